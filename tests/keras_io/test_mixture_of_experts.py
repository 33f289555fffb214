"""keras.io example "Standalone Mixture-of-Experts (MoE) Layers" (examples/keras_recipes/mixture_of_experts.py).

The example as written, on both backends: the ``DenseMoE`` layer (``ops.tensordot`` of the inputs with a
3-D expert kernel, ``activations.get`` / ``activations.serialize`` in its config) and the ``Conv2DMoE`` layer
(``ops.conv`` with the expert kernels reshaped into one, the output reshaped back with ``ops.shape`` values, a
1x1 ``ops.conv`` gate), a baseline CNN and the MoE model trained with ``validation_split``, evaluated,
``count_params``, then the gating analysis: a feature extractor up to ``dense_moe_layer.input`` and the gate
recomputed by hand from the layer's weights.

Shrunk: 40 random 32x32 "CIFAR-10" images (20 to test), batch size 8, one epoch; ``shuffle=False`` and
``Dropout`` rates 0 (the shuffled order and the dropout masks are random).
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def mixture_of_experts(keras, sync):
    layers, ops, activations, optimizers = keras.layers, keras.ops, keras.activations, keras.optimizers

    class DenseMoE(layers.Layer):
        def __init__(
            self,
            units,
            n_experts,
            expert_activation=None,
            gating_activation=None,
            use_expert_bias=True,
            use_gating_bias=True,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.units = units
            self.n_experts = n_experts
            self.expert_activation = activations.get(expert_activation)
            self.gating_activation = activations.get(gating_activation)
            self.use_expert_bias = use_expert_bias
            self.use_gating_bias = use_gating_bias

        def build(self, input_shape):
            input_dim = input_shape[-1]

            # Expert kernels: (input_dim, units, n_experts)
            self.expert_kernel = self.add_weight(
                name="expert_kernel",
                shape=(input_dim, self.units, self.n_experts),
                initializer="glorot_uniform",
                trainable=True,
            )

            # Expert biases: (units, n_experts)
            if self.use_expert_bias:
                self.expert_bias = self.add_weight(
                    name="expert_bias",
                    shape=(self.units, self.n_experts),
                    initializer="zeros",
                    trainable=True,
                )

            # Gating kernel: (input_dim, n_experts)
            self.gating_kernel = self.add_weight(
                name="gating_kernel",
                shape=(input_dim, self.n_experts),
                initializer="glorot_uniform",
                trainable=True,
            )

            # Gating bias: (n_experts,)
            if self.use_gating_bias:
                self.gating_bias = self.add_weight(
                    name="gating_bias",
                    shape=(self.n_experts,),
                    initializer="zeros",
                    trainable=True,
                )

            super().build(input_shape)

        def call(self, inputs):
            # Compute expert outputs
            # Shape: (batch_size, units, n_experts)
            expert_outputs = ops.tensordot(inputs, self.expert_kernel, axes=1)

            if self.use_expert_bias:
                expert_outputs = expert_outputs + self.expert_bias

            if self.expert_activation is not None:
                expert_outputs = self.expert_activation(expert_outputs)

            # Compute gating weights
            # Shape: (batch_size, n_experts)
            gating_outputs = ops.tensordot(inputs, self.gating_kernel, axes=1)

            if self.use_gating_bias:
                gating_outputs = gating_outputs + self.gating_bias

            if self.gating_activation is not None:
                gating_outputs = self.gating_activation(gating_outputs)

            # Expand gating weights to broadcast with expert outputs
            # Shape: (batch_size, 1, n_experts)
            gating_outputs = ops.expand_dims(gating_outputs, axis=1)

            # Weighted combination of expert outputs
            # Shape: (batch_size, units)
            output = ops.sum(expert_outputs * gating_outputs, axis=-1)

            return output

        def get_config(self):
            config = super().get_config()
            config.update(
                {
                    "units": self.units,
                    "n_experts": self.n_experts,
                    "expert_activation": activations.serialize(self.expert_activation),
                    "gating_activation": activations.serialize(self.gating_activation),
                    "use_expert_bias": self.use_expert_bias,
                    "use_gating_bias": self.use_gating_bias,
                }
            )
            return config

    class Conv2DMoE(layers.Layer):
        def __init__(
            self,
            filters,
            kernel_size,
            n_experts,
            strides=1,
            padding="valid",
            expert_activation=None,
            gating_activation=None,
            use_expert_bias=True,
            use_gating_bias=True,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.filters = filters
            self.kernel_size = (
                kernel_size
                if isinstance(kernel_size, tuple)
                else (kernel_size, kernel_size)
            )
            self.n_experts = n_experts
            self.strides = strides if isinstance(strides, tuple) else (strides, strides)
            self.padding = padding
            self.expert_activation = activations.get(expert_activation)
            self.gating_activation = activations.get(gating_activation)
            self.use_expert_bias = use_expert_bias
            self.use_gating_bias = use_gating_bias

        def build(self, input_shape):
            input_channels = input_shape[-1]

            # Expert kernels: (kernel_h, kernel_w, input_channels, filters, n_experts)
            self.expert_kernel = self.add_weight(
                name="expert_kernel",
                shape=(
                    self.kernel_size[0],
                    self.kernel_size[1],
                    input_channels,
                    self.filters,
                    self.n_experts,
                ),
                initializer="glorot_uniform",
                trainable=True,
            )

            # Expert biases: (filters, n_experts)
            if self.use_expert_bias:
                self.expert_bias = self.add_weight(
                    name="expert_bias",
                    shape=(self.filters, self.n_experts),
                    initializer="zeros",
                    trainable=True,
                )

            # Gating kernel: (1, 1, input_channels, n_experts)
            # Uses 1x1 convolution for efficient per-position gating
            self.gating_kernel = self.add_weight(
                name="gating_kernel",
                shape=(1, 1, input_channels, self.n_experts),
                initializer="glorot_uniform",
                trainable=True,
            )

            # Gating bias: (n_experts,)
            if self.use_gating_bias:
                self.gating_bias = self.add_weight(
                    name="gating_bias",
                    shape=(self.n_experts,),
                    initializer="zeros",
                    trainable=True,
                )

            super().build(input_shape)

        def call(self, inputs):
            # Process each expert and collect outputs
            expert_kernel = ops.reshape(
                self.expert_kernel,
                (
                    self.kernel_size[0],
                    self.kernel_size[1],
                    ops.shape(inputs)[-1],
                    self.filters * self.n_experts,
                ),
            )

            expert_outputs = ops.conv(
                inputs,
                expert_kernel,
                strides=self.strides,
                padding=self.padding,
            )

            # Reshape output to split the experts dimension.
            output_shape = ops.shape(expert_outputs)
            expert_outputs = ops.reshape(
                expert_outputs,
                (
                    output_shape[0],
                    output_shape[1],
                    output_shape[2],
                    self.filters,
                    self.n_experts,
                ),
            )

            if self.use_expert_bias:
                expert_outputs = expert_outputs + self.expert_bias

            if self.expert_activation is not None:
                expert_outputs = self.expert_activation(expert_outputs)

            # Compute gating weights using 1x1 convolution
            # Shape: (batch, height, width, n_experts)
            gating_outputs = ops.conv(
                inputs,
                self.gating_kernel,
                strides=self.strides,
                padding=self.padding,
            )

            if self.use_gating_bias:
                gating_outputs = gating_outputs + self.gating_bias

            if self.gating_activation is not None:
                gating_outputs = self.gating_activation(gating_outputs)

            # Expand gating to broadcast with expert outputs
            # Shape: (batch, height, width, 1, n_experts)
            gating_outputs = ops.expand_dims(gating_outputs, axis=-2)

            # Weighted combination of expert outputs
            # Shape: (batch, height, width, filters)
            output = ops.sum(expert_outputs * gating_outputs, axis=-1)

            return output

        def get_config(self):
            config = super().get_config()
            config.update(
                {
                    "filters": self.filters,
                    "kernel_size": self.kernel_size,
                    "n_experts": self.n_experts,
                    "strides": self.strides,
                    "padding": self.padding,
                    "expert_activation": activations.serialize(self.expert_activation),
                    "gating_activation": activations.serialize(self.gating_activation),
                    "use_expert_bias": self.use_expert_bias,
                    "use_gating_bias": self.use_gating_bias,
                }
            )
            return config

    rng = np.random.RandomState(0)
    x_train, y_train = rng.rand(40, 32, 32, 3).astype("float32"), rng.randint(0, 10, (40, 1))
    x_test, y_test = rng.rand(20, 32, 32, 3).astype("float32"), rng.randint(0, 10, (20, 1))

    def create_baseline_model():
        inputs = keras.Input(shape=(32, 32, 3))

        # Convolutional feature extraction
        x = layers.Conv2D(32, 3, activation="relu", padding="same")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(2)(x)

        x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(2)(x)

        # Dense classification head
        x = layers.Flatten()(x)
        x = layers.Dense(128, activation="relu")(x)
        x = layers.Dropout(0.0)(x)
        x = layers.Dense(64, activation="relu")(x)
        outputs = layers.Dense(10, activation="softmax")(x)

        model = keras.Model(inputs, outputs, name="baseline_model")
        return model

    def create_moe_model():
        inputs = keras.Input(shape=(32, 32, 3))

        # MoE convolutional feature extraction
        x = Conv2DMoE(
            32,
            3,
            n_experts=4,
            padding="same",
            expert_activation="relu",
            gating_activation="softmax",
        )(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(2)(x)

        x = Conv2DMoE(
            64,
            3,
            n_experts=4,
            padding="same",
            expert_activation="relu",
            gating_activation="softmax",
        )(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(2)(x)

        # MoE dense classification head
        x = layers.Flatten()(x)
        x = DenseMoE(
            128,
            n_experts=8,
            expert_activation="relu",
            gating_activation="softmax",
        )(x)
        x = layers.Dropout(0.0)(x)
        x = DenseMoE(
            64,
            n_experts=4,
            expert_activation="relu",
            gating_activation="softmax",
        )(x)
        outputs = layers.Dense(10, activation="softmax")(x)

        model = keras.Model(inputs, outputs, name="moe_model")
        return model

    # Training parameters
    epochs = 1
    batch_size = 8

    baseline_model = create_baseline_model()
    sync(baseline_model)
    baseline_model.compile(
        optimizer=optimizers.Adam(learning_rate=0.001),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    baseline_history = baseline_model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_split=0.2,
        shuffle=False,
        verbose=0,
    )
    baseline_test_loss, baseline_test_acc = baseline_model.evaluate(
        x_test, y_test, verbose=0
    )

    moe_model = create_moe_model()
    sync(moe_model)
    moe_model.compile(
        optimizer=optimizers.Adam(learning_rate=0.001),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    moe_history = moe_model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_split=0.2,
        shuffle=False,
        verbose=0,
    )
    moe_test_loss, moe_test_acc = moe_model.evaluate(x_test, y_test, verbose=0)

    # Get the first DenseMoE layer from the MoE model
    dense_moe_layer = None
    for layer in moe_model.layers:
        if isinstance(layer, DenseMoE):
            dense_moe_layer = layer
            break

    feature_extractor = keras.Model(
        inputs=moe_model.input,
        outputs=dense_moe_layer.input,  # Input to the first DenseMoE layer
    )
    test_features = feature_extractor.predict(x_test[:100], verbose=0)
    gating_outputs = ops.tensordot(
        test_features, dense_moe_layer.gating_kernel, axes=1
    )
    if dense_moe_layer.use_gating_bias:
        gating_outputs = gating_outputs + dense_moe_layer.gating_bias
    if dense_moe_layer.gating_activation is not None:
        gating_weights = dense_moe_layer.gating_activation(gating_outputs)
    else:
        gating_weights = gating_outputs
    gating_weights_np = ops.convert_to_numpy(gating_weights)

    return {"baseline": baseline_history.history, "moe": moe_history.history,
            "test": [baseline_test_loss, baseline_test_acc, moe_test_loss, moe_test_acc],
            "params": [baseline_model.count_params(), moe_model.count_params()],
            "gating_mean": gating_weights_np.mean(axis=0), "gating_std": gating_weights_np.std(axis=0),
            "dense_moe_config": str(sorted(dense_moe_layer.get_config().items()))}


def test_mixture_of_experts():
    check_program(mixture_of_experts)
