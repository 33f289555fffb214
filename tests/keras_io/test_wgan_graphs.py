"""keras.io example "WGAN-GP with R-GCN for the generation of small molecular graphs"
(examples/generative/wgan-graphs.py), written for TensorFlow: run with ``KERASPORT_BACKEND=tensorflow`` only.

The example's ``GraphGenerator`` (Dense stack, ``Reshape``, a symmetrized adjacency, ``Softmax`` over bond and atom
types), its ``RelationalGraphConvLayer`` (``tf.matmul`` over bond types, a ``build`` with ``add_weight``),
``GraphDiscriminator`` and the ``GraphWGAN`` model with its own ``compile`` (two Adam optimizers, two ``Mean``
metrics) and its ``tf.GradientTape`` ``train_step`` with a gradient penalty, trained with
``fit([adjacency_tensor, feature_tensor])``: the list of inputs reaches ``train_step`` as a tuple under Keras on
TensorFlow (tf.data), which the example's ``isinstance(inputs[0], tuple)`` unpacks. Shrunk: 16 random graphs of
5 atoms, 4 atom types and 3 bond types instead of QM9, smaller dense and graph-convolution units, 2 epochs of
batch 8. Changed: dropout rates are 0; the ``tf.random.normal`` latent vectors and ``tf.random.uniform``
interpolation weights are drawn beforehand with NumPy (random streams differ between the libraries); Keras 3
takes neither a tensor ``units`` nor ``tf.transpose`` of a KerasTensor, so the generator uses
``int(tf.math.reduce_prod(...))`` and ``keras.ops.transpose``; the molecule drawing (RDKit) is left out, the
generator's ``predict`` output is compared instead.
"""
import numpy as np
import pytest
import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the example is written with tf.GradientTape and tf ops")
BOND_DIM, NUM_ATOMS, ATOM_DIM, LATENT_DIM = 3, 5, 4, 8


def wgan_graphs(keras, sync):
    import tensorflow as tf
    rng = np.random.RandomState(0)
    adjacency_tensor = rng.randint(0, 2, (16, BOND_DIM, NUM_ATOMS, NUM_ATOMS)).astype("float32")
    feature_tensor = rng.randint(0, 2, (16, NUM_ATOMS, ATOM_DIM)).astype("float32")
    zs = [tf.constant(rng.normal(size=(8, LATENT_DIM)).astype("float32")) for _ in range(20)]
    alphas = [tf.constant(rng.uniform(size=(8,)).astype("float32")) for _ in range(20)]
    draws = {"z": iter(zs), "a": iter(alphas)}

    def GraphGenerator(dense_units, dropout_rate, latent_dim, adjacency_shape, feature_shape):
        z = keras.layers.Input(shape=(LATENT_DIM,))
        x = z
        for units in dense_units:
            x = keras.layers.Dense(units, activation="tanh")(x)
            x = keras.layers.Dropout(dropout_rate)(x)
        x_adjacency = keras.layers.Dense(int(tf.math.reduce_prod(adjacency_shape)))(x)
        x_adjacency = keras.layers.Reshape(adjacency_shape)(x_adjacency)
        x_adjacency = (x_adjacency + keras.ops.transpose(x_adjacency, (0, 1, 3, 2))) / 2
        x_adjacency = keras.layers.Softmax(axis=1)(x_adjacency)
        x_features = keras.layers.Dense(int(tf.math.reduce_prod(feature_shape)))(x)
        x_features = keras.layers.Reshape(feature_shape)(x_features)
        x_features = keras.layers.Softmax(axis=2)(x_features)
        return keras.Model(inputs=z, outputs=[x_adjacency, x_features], name="Generator")

    class RelationalGraphConvLayer(keras.layers.Layer):
        def __init__(self, units=128, activation="relu", use_bias=False, kernel_initializer="glorot_uniform",
                     bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.activation = keras.activations.get(activation)
            self.use_bias = use_bias
            self.kernel_initializer = keras.initializers.get(kernel_initializer)
            self.bias_initializer = keras.initializers.get(bias_initializer)
            self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
            self.bias_regularizer = keras.regularizers.get(bias_regularizer)

        def build(self, input_shape):
            bond_dim = input_shape[0][1]
            atom_dim = input_shape[1][2]
            self.kernel = self.add_weight(shape=(bond_dim, atom_dim, self.units), initializer=self.kernel_initializer,
                                          regularizer=self.kernel_regularizer, trainable=True, name="W",
                                          dtype=tf.float32)
            if self.use_bias:
                self.bias = self.add_weight(shape=(bond_dim, 1, self.units), initializer=self.bias_initializer,
                                            regularizer=self.bias_regularizer, trainable=True, name="b",
                                            dtype=tf.float32)
            self.built = True

        def call(self, inputs, training=False):
            adjacency, features = inputs
            x = tf.matmul(adjacency, features[:, None, :, :])
            x = tf.matmul(x, self.kernel)
            if self.use_bias:
                x += self.bias
            x_reduced = tf.reduce_sum(x, axis=1)
            return self.activation(x_reduced)

    def GraphDiscriminator(gconv_units, dense_units, dropout_rate, adjacency_shape, feature_shape):
        adjacency = keras.layers.Input(shape=adjacency_shape)
        features = keras.layers.Input(shape=feature_shape)
        features_transformed = features
        for units in gconv_units:
            features_transformed = RelationalGraphConvLayer(units)([adjacency, features_transformed])
        x = keras.layers.GlobalAveragePooling1D()(features_transformed)
        for units in dense_units:
            x = keras.layers.Dense(units, activation="relu")(x)
            x = keras.layers.Dropout(dropout_rate)(x)
        x_out = keras.layers.Dense(1, dtype="float32")(x)
        return keras.Model(inputs=[adjacency, features], outputs=x_out)

    generator = GraphGenerator([16, 32], 0.0, LATENT_DIM, (BOND_DIM, NUM_ATOMS, NUM_ATOMS), (NUM_ATOMS, ATOM_DIM))
    discriminator = GraphDiscriminator([16, 16], [32], 0.0, (BOND_DIM, NUM_ATOMS, NUM_ATOMS), (NUM_ATOMS, ATOM_DIM))
    sync(generator)
    sync(discriminator)

    class GraphWGAN(keras.Model):
        def __init__(self, generator, discriminator, discriminator_steps=1, generator_steps=1, gp_weight=10,
                     **kwargs):
            super().__init__(**kwargs)
            self.generator = generator
            self.discriminator = discriminator
            self.discriminator_steps = discriminator_steps
            self.generator_steps = generator_steps
            self.gp_weight = gp_weight
            self.latent_dim = self.generator.input_shape[-1]

        def compile(self, optimizer_generator, optimizer_discriminator, **kwargs):
            super().compile(**kwargs)
            self.optimizer_generator = optimizer_generator
            self.optimizer_discriminator = optimizer_discriminator
            self.metric_generator = keras.metrics.Mean(name="loss_gen")
            self.metric_discriminator = keras.metrics.Mean(name="loss_dis")

        def train_step(self, inputs):
            if isinstance(inputs[0], tuple):
                inputs = inputs[0]
            graph_real = inputs
            self.batch_size = tf.shape(inputs[0])[0]
            for _ in range(self.discriminator_steps):
                z = next(draws["z"])
                with tf.GradientTape() as tape:
                    graph_generated = self.generator(z, training=True)
                    loss = self._loss_discriminator(graph_real, graph_generated)
                grads = tape.gradient(loss, self.discriminator.trainable_weights)
                self.optimizer_discriminator.apply_gradients(zip(grads, self.discriminator.trainable_weights))
                self.metric_discriminator.update_state(loss)
            for _ in range(self.generator_steps):
                z = next(draws["z"])
                with tf.GradientTape() as tape:
                    graph_generated = self.generator(z, training=True)
                    loss = self._loss_generator(graph_generated)
                    grads = tape.gradient(loss, self.generator.trainable_weights)
                    self.optimizer_generator.apply_gradients(zip(grads, self.generator.trainable_weights))
                    self.metric_generator.update_state(loss)
            return {m.name: m.result() for m in self.metrics}

        def _loss_discriminator(self, graph_real, graph_generated):
            logits_real = self.discriminator(graph_real, training=True)
            logits_generated = self.discriminator(graph_generated, training=True)
            loss = tf.reduce_mean(logits_generated) - tf.reduce_mean(logits_real)
            loss_gp = self._gradient_penalty(graph_real, graph_generated)
            return loss + loss_gp * self.gp_weight

        def _loss_generator(self, graph_generated):
            logits_generated = self.discriminator(graph_generated, training=True)
            return -tf.reduce_mean(logits_generated)

        def _gradient_penalty(self, graph_real, graph_generated):
            adjacency_real, features_real = graph_real
            adjacency_generated, features_generated = graph_generated
            alpha = next(draws["a"])
            alpha = tf.reshape(alpha, (self.batch_size, 1, 1, 1))
            adjacency_interp = (adjacency_real * alpha) + (1 - alpha) * adjacency_generated
            alpha = tf.reshape(alpha, (self.batch_size, 1, 1))
            features_interp = (features_real * alpha) + (1 - alpha) * features_generated
            with tf.GradientTape() as tape:
                tape.watch(adjacency_interp)
                tape.watch(features_interp)
                logits = self.discriminator([adjacency_interp, features_interp], training=True)
            grads = tape.gradient(logits, [adjacency_interp, features_interp])
            grads_adjacency_penalty = (1 - tf.norm(grads[0], axis=1)) ** 2
            grads_features_penalty = (1 - tf.norm(grads[1], axis=2)) ** 2
            return tf.reduce_mean(tf.reduce_mean(grads_adjacency_penalty, axis=(-2, -1))
                                  + tf.reduce_mean(grads_features_penalty, axis=(-1)))

    wgan = GraphWGAN(generator, discriminator, discriminator_steps=1)
    wgan.compile(optimizer_generator=keras.optimizers.Adam(5e-4),
                 optimizer_discriminator=keras.optimizers.Adam(5e-4), run_eagerly=True)
    history = wgan.fit([adjacency_tensor, feature_tensor], epochs=2, batch_size=8, verbose=0, shuffle=False)
    graph = generator.predict(zs[-1], verbose=0)
    out = {k: np.array(v) for k, v in history.history.items()}
    out["adj"], out["feat"] = np.asarray(graph[0]), np.asarray(graph[1])
    out["dw"] = np.concatenate([np.ravel(w) for w in discriminator.get_weights()])
    return out


def test_wgan_graphs():
    check_program(wgan_graphs)
