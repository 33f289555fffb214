"""keras.io guide "Making new layers and models via subclassing" (guides/making_new_layers_and_models_via_subclassing.py).

Linear (add_weight, non-trainable weights), ComputeSum, the MLPBlock, an activity-regularization
layer's ``add_loss``, and the end-to-end VAE trained with ``fit`` on small synthetic images.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers, ops = keras.layers, keras.ops
    out = {}

    class Linear(keras.layers.Layer):
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    x = ops.ones((2, 2))
    linear_layer = Linear(4, 2)
    sync(linear_layer)
    out["linear"] = linear_layer(x)

    class ComputeSum(keras.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

        def call(self, inputs):
            self.total.assign_add(ops.sum(inputs, axis=0))
            return self.total

    my_sum = ComputeSum(2)
    my_sum(x)
    out["sum"] = my_sum(x)
    out["sum_weights"] = [len(my_sum.weights), len(my_sum.non_trainable_weights), len(my_sum.trainable_weights)]

    class Linear2(keras.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    class MLPBlock(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear2(32)
            self.linear_2 = Linear2(32)
            self.linear_3 = Linear2(1)

        def call(self, inputs):
            x = self.linear_1(inputs)
            x = keras.activations.relu(x)
            x = self.linear_2(x)
            x = keras.activations.relu(x)
            return self.linear_3(x)

    mlp = MLPBlock()
    y = mlp(ops.ones(shape=(3, 64)))
    out["mlp_weights"] = [len(mlp.weights), len(mlp.trainable_weights)]
    sync(mlp)
    out["mlp"] = mlp(ops.ones(shape=(3, 64)))

    class ActivityRegularizationLayer(keras.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(inputs))
            return inputs

    inputs = keras.Input(shape=(3,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = ActivityRegularizationLayer()(x)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    sync(model)
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.RandomState(0)
    model.fit(rng.random_sample((2, 3)), rng.random_sample((2, 3)), verbose=0)
    history = model.fit(rng.random_sample((8, 3)), rng.random_sample((8, 1)), batch_size=4, shuffle=False, verbose=0)
    out["activity_reg"] = history.history

    # The end-to-end VAE (encoder, decoder, KL loss added with add_loss).
    class Sampling(layers.Layer):
        """Uses (z_mean, z_log_var) to sample z. Here the noise is zero: random draws differ between frameworks."""

        def call(self, inputs):
            z_mean, z_log_var = inputs
            epsilon = ops.zeros_like(z_mean)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    class Encoder(layers.Layer):
        def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_mean = layers.Dense(latent_dim)
            self.dense_log_var = layers.Dense(latent_dim)
            self.sampling = Sampling()

        def call(self, inputs):
            x = self.dense_proj(inputs)
            z_mean = self.dense_mean(x)
            z_log_var = self.dense_log_var(x)
            z = self.sampling((z_mean, z_log_var))
            return z_mean, z_log_var, z

    class Decoder(layers.Layer):
        def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_output = layers.Dense(original_dim, activation="sigmoid")

        def call(self, inputs):
            return self.dense_output(self.dense_proj(inputs))

    class VariationalAutoEncoder(keras.Model):
        def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.original_dim = original_dim
            self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
            self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

        def call(self, inputs):
            z_mean, z_log_var, z = self.encoder(inputs)
            reconstructed = self.decoder(z)
            kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
            self.add_loss(kl_loss)
            return reconstructed

    x_train = rng.rand(40, 784).astype("float32")
    original_dim = 784
    vae = VariationalAutoEncoder(784, 64, 32)
    vae(x_train[:1])
    sync(vae)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    history = vae.fit(x_train, x_train, epochs=2, batch_size=16, shuffle=False, verbose=0)
    out["vae"] = {"history": history.history, "original_dim": original_dim, "predict": vae.predict(x_train[:2], verbose=0)}
    return out


def test_making_new_layers_and_models_via_subclassing():
    check_program(program)
