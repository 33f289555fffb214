"""keras.io example "Using the Forward-Forward Algorithm for Image Classification" (examples/vision/forwardforward.py).

The Keras 3 version of the example, which is written for the TensorFlow backend (``tf.GradientTape``,
``tf.function``, ``tf.map_fn``, ``xla.dynamic_update_slice``), so it runs only under
``KERASPORT_BACKEND=tensorflow``, against Keras 3 on TensorFlow. As written: ``FFDense`` (a ``Dense`` and a
``ReLU`` behind an ``ops.norm`` normalisation, its own ``Adam`` from ``init_optimizer()``, a
``keras.metrics.Mean`` loss metric, and ``forward_forward``, a local training loop under ``tf.GradientTape``
that ends in ``ops.stop_gradient``); ``FFNetwork``, a subclassed model with no ``call`` whose ``layer_list``
starts with a ``keras.Input``, ``keras.Variable`` loss accumulators, the ``tf.function`` methods
``overlay_y_on_x`` and ``predict_one_sample``, a ``predict`` override built on ``ops.vectorized_map``, and a
``tf.function`` ``train_step`` that builds the compiled metrics (``metrics=[]``) and returns ``FinalLoss``;
``compile(..., loss="mse", jit_compile=False, metrics=[])``; ``fit`` on a ``tf.data`` dataset of float64 images
in one batch; ``predict`` and the accuracy of its labels.

Changed: MNIST (a download) becomes 32 random 8x8 images (64 pixels, the first 10 zero as in MNIST) with labels
0-9, ``dims=[64, 16, 16]`` instead of ``[784, 500, 500]``, 3 epochs instead of 250, ``num_epochs=5`` local
steps per layer instead of 50 (each is a gradient step traced into the train step's graph). The negative
labels come from ``tf.random.shuffle(y)``, whose draws depend on TensorFlow's op seeds, which the two
libraries advance differently; here they are ``ops.roll(y, 1)``, a fixed derangement of the batch's labels.
Each ``FFDense`` is called once on zeros before
``fit`` so that its weights exist for ``sync`` (the example creates them in the first train step).
``predict`` takes ``tf.convert_to_tensor(x_test)``
(float64); a second test runs the example's own ``ops.convert_to_tensor(x_test)`` (float64 too, as in Keras).
sklearn's ``accuracy_score`` becomes the mean of the matching labels; the plots are the numbers they show.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the example is written for TensorFlow (tf.GradientTape, xla ops)")


def _classes(keras):
    """The example's ``FFDense`` and ``FFNetwork``, for ``keras`` (Keras 3 or kerasport, on TensorFlow)."""
    import tensorflow as tf
    from tensorflow.compiler.tf2xla.python import xla

    ops = keras.ops

    class FFDense(keras.layers.Layer):
        def __init__(
            self,
            units,
            init_optimizer,
            loss_metric,
            num_epochs=5,
            use_bias=True,
            kernel_initializer="glorot_uniform",
            bias_initializer="zeros",
            kernel_regularizer=None,
            bias_regularizer=None,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(
                units=units,
                use_bias=use_bias,
                kernel_initializer=kernel_initializer,
                bias_initializer=bias_initializer,
                kernel_regularizer=kernel_regularizer,
                bias_regularizer=bias_regularizer,
            )
            self.relu = keras.layers.ReLU()
            self.optimizer = init_optimizer()
            self.loss_metric = loss_metric
            self.threshold = 1.5
            self.num_epochs = num_epochs

        def call(self, x):
            x_norm = ops.norm(x, ord=2, axis=1, keepdims=True)
            x_norm = x_norm + 1e-4
            x_dir = x / x_norm
            res = self.dense(x_dir)
            return self.relu(res)

        def forward_forward(self, x_pos, x_neg):
            for i in range(self.num_epochs):
                with tf.GradientTape() as tape:
                    g_pos = ops.mean(ops.power(self.call(x_pos), 2), 1)
                    g_neg = ops.mean(ops.power(self.call(x_neg), 2), 1)

                    loss = ops.log(
                        1
                        + ops.exp(
                            ops.concatenate(
                                [-g_pos + self.threshold, g_neg - self.threshold], 0
                            )
                        )
                    )
                    mean_loss = ops.cast(ops.mean(loss), dtype="float32")
                    self.loss_metric.update_state([mean_loss])
                gradients = tape.gradient(mean_loss, self.dense.trainable_weights)
                self.optimizer.apply_gradients(zip(gradients, self.dense.trainable_weights))
            return (
                ops.stop_gradient(self.call(x_pos)),
                ops.stop_gradient(self.call(x_neg)),
                self.loss_metric.result(),
            )

    class FFNetwork(keras.Model):
        def __init__(
            self,
            dims,
            init_layer_optimizer=lambda: keras.optimizers.Adam(learning_rate=0.03),
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.init_layer_optimizer = init_layer_optimizer
            self.loss_var = keras.Variable(0.0, trainable=False, dtype="float32")
            self.loss_count = keras.Variable(0.0, trainable=False, dtype="float32")
            self.layer_list = [keras.Input(shape=(dims[0],))]
            self.metrics_built = False
            for d in range(len(dims) - 1):
                self.layer_list += [
                    FFDense(
                        dims[d + 1],
                        init_optimizer=self.init_layer_optimizer,
                        loss_metric=keras.metrics.Mean(),
                    )
                ]

        @tf.function(reduce_retracing=True)
        def overlay_y_on_x(self, data):
            X_sample, y_sample = data
            max_sample = ops.amax(X_sample, axis=0, keepdims=True)
            max_sample = ops.cast(max_sample, dtype="float64")
            X_zeros = ops.zeros([10], dtype="float64")
            X_update = xla.dynamic_update_slice(X_zeros, max_sample, [y_sample])
            X_sample = xla.dynamic_update_slice(X_sample, X_update, [0])
            return X_sample, y_sample

        @tf.function(reduce_retracing=True)
        def predict_one_sample(self, x):
            goodness_per_label = []
            x = ops.reshape(x, [ops.shape(x)[0] * ops.shape(x)[1]])
            for label in range(10):
                h, label = self.overlay_y_on_x(data=(x, label))
                h = ops.reshape(h, [-1, ops.shape(h)[0]])
                goodness = []
                for layer_idx in range(1, len(self.layer_list)):
                    layer = self.layer_list[layer_idx]
                    h = layer(h)
                    goodness += [ops.mean(ops.power(h, 2), 1)]
                goodness_per_label += [ops.expand_dims(ops.sum(goodness, keepdims=True), 1)]
            goodness_per_label = tf.concat(goodness_per_label, 1)
            return ops.cast(ops.argmax(goodness_per_label, 1), dtype="float64")

        def predict(self, data):
            x = data
            preds = list()
            preds = ops.vectorized_map(self.predict_one_sample, x)
            return np.asarray(preds, dtype=int)

        @tf.function(jit_compile=False)
        def train_step(self, data):
            x, y = data

            if not self.metrics_built:
                # build metrics to ensure they can be queried without erroring out.
                # We can't update the metrics' state, as we would usually do, since
                # we do not perform predictions within the train step
                for metric in self.metrics:
                    if hasattr(metric, "build"):
                        metric.build(y, y)
                self.metrics_built = True

            # Flatten op
            x = ops.reshape(x, [-1, ops.shape(x)[1] * ops.shape(x)[2]])

            x_pos, y = ops.vectorized_map(self.overlay_y_on_x, (x, y))

            random_y = ops.roll(y, 1)
            x_neg, y = tf.map_fn(self.overlay_y_on_x, (x, random_y))

            h_pos, h_neg = x_pos, x_neg

            for idx, layer in enumerate(self.layers):
                if isinstance(layer, FFDense):
                    h_pos, h_neg, loss = layer.forward_forward(h_pos, h_neg)
                    self.loss_var.assign_add(loss)
                    self.loss_count.assign_add(1.0)
                else:
                    x = layer(x)
            mean_res = ops.divide(self.loss_var, self.loss_count)
            return {"FinalLoss": mean_res}

    return FFDense, FFNetwork


def _data():
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (32, 8, 8))
    x_train[:, 0, :8] = 0
    x_train[:, 1, :2] = 0
    y_train = np.arange(32) % 10
    x_test, y_test = x_train[:8], y_train[:8]

    x_train = x_train.astype(float) / 255
    x_test = x_test.astype(float) / 255
    y_train = y_train.astype(int)
    y_test = y_test.astype(int)
    return x_train, y_train, x_test, y_test


def _network(keras, sync):
    FFDense, FFNetwork = _classes(keras)
    model = FFNetwork(dims=[64, 16, 16])
    h = np.zeros((1, 64))
    for layer in model.layer_list[1:]:
        h = layer(h)  # creates the weights before fit, so that sync can record them
    sync(model)
    return model


def forwardforward(keras, sync):
    import tensorflow as tf

    x_train, y_train, x_test, y_test = _data()
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.batch(32)

    model = _network(keras, sync)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.03),
        loss="mse",
        jit_compile=False,
        metrics=[],
    )

    epochs = 3
    history = model.fit(train_dataset, epochs=epochs, verbose=0)

    preds = model.predict(tf.convert_to_tensor(x_test))
    preds = preds.reshape((preds.shape[0], preds.shape[1]))
    results = np.mean(preds[:, 0] == y_test)
    return {"history": history.history, "preds": preds, "accuracy": results,
            "layer_losses": [layer.loss_metric.result() for layer in model.layer_list[1:]],
            "weights": model.get_weights()}


def forwardforward_predict_converted(keras, sync):
    """The example's ``model.predict(ops.convert_to_tensor(x_test))``: a float64 tensor in Keras."""
    ops = keras.ops
    x_test = _data()[2]
    model = _network(keras, sync)
    preds = model.predict(ops.convert_to_tensor(x_test))
    return {"preds": preds.reshape((preds.shape[0], preds.shape[1]))}


def test_forwardforward():
    check_program(forwardforward)


def test_forwardforward_predict_on_converted_float64():
    check_program(forwardforward_predict_converted)
