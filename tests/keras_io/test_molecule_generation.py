"""keras.io example "Drug Molecule Generation with VAE" (examples/generative/molecule_generation.py), TensorFlow form.

The example's ``RelationalGraphConvLayer`` (``tf.matmul`` of the adjacency and feature tensors, ``add_weight`` with
``dtype=tf.float32``), the graph encoder and the decoder (``Reshape``, a symmetrised adjacency, ``Softmax`` on the
bond and atom axes), the ``Sampling`` layer, and ``MoleculeGenerator`` with its ``tf.GradientTape`` ``train_step``
(the VAE losses plus a gradient penalty from a nested tape over interpolated graphs), its ``inference`` (decoder
``predict``, ``argmax``, ``one_hot``, ``set_diag``) and ``encoder.predict``: written for TensorFlow, it runs under
``KERASPORT_BACKEND=tensorflow`` against Keras 3 on TensorFlow.
Shrunk: 16 random graphs (no ZINC download, no RDKit) of 6 atoms instead of 120, ``LATENT_DIM=12``, encoder
``dense_units=[32]``, decoder ``[16, 24, 32]``, ``BATCH_SIZE=8``, 2 epochs, ``shuffle=False``; the model is called
once before ``sync`` (it is built in ``fit`` in the example). Changed for Keras 3: the decoder's ``Dense`` units are
Python ints (Keras 3 rejects ``tf.math.reduce_prod``'s tensor), the symmetrising transpose is
``keras.ops.transpose`` (a TensorFlow function takes no KerasTensor), and the QED targets have shape ``(n, 1)``:
Keras 3 rejects the example's 1-D targets against ``(batch, 1)`` predictions in ``binary_crossentropy`` (tf.keras
broadcast them to ``(batch, batch)``); the program checks that error too. What it found: the crossentropy ops
broadcast a target of another rank or shape silently (Keras raises ``ValueError``), and
``keras.losses.binary_crossentropy`` matched the ranks first (Keras's probabilistic loss functions do not; only loss
objects do). The random draws (``Sampling``'s epsilon, the penalty's interpolation weights, ``inference``'s latent
points) are fixed patterns, the decoder's dropout rate 0.2 is 0.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

BATCH_SIZE = 8
EPOCHS = 2
VAE_LR = 5e-4
NUM_ATOMS = 6
ATOM_DIM = 11
BOND_DIM = 4 + 1
LATENT_DIM = 12


def molecule_generation(keras, sync):
    import tensorflow as tf
    layers = keras.layers

    def _pattern(shape, phase):
        size = tf.reduce_prod(shape)
        return tf.reshape(tf.sin(tf.cast(tf.range(size), tf.float32) * 0.37 + phase), shape)

    rng = np.random.RandomState(0)
    n = 16
    bonds = rng.randint(0, BOND_DIM, (n, NUM_ATOMS, NUM_ATOMS))
    bonds = np.triu(bonds, 1) + np.transpose(np.triu(bonds, 1), (0, 2, 1))
    adjacency_tensor = np.transpose(np.eye(BOND_DIM, dtype="float32")[bonds], (0, 3, 1, 2))
    feature_tensor = np.eye(ATOM_DIM, dtype="float32")[rng.randint(0, ATOM_DIM, (n, NUM_ATOMS))]
    qed_tensor = rng.uniform(0, 1, (n, 1)).astype("float32")

    class RelationalGraphConvLayer(keras.layers.Layer):
        def __init__(
            self,
            units=128,
            activation="relu",
            use_bias=False,
            kernel_initializer="glorot_uniform",
            bias_initializer="zeros",
            kernel_regularizer=None,
            bias_regularizer=None,
            **kwargs
        ):
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

            self.kernel = self.add_weight(
                shape=(bond_dim, atom_dim, self.units),
                initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer,
                trainable=True,
                name="W",
                dtype=tf.float32,
            )

            if self.use_bias:
                self.bias = self.add_weight(
                    shape=(bond_dim, 1, self.units),
                    initializer=self.bias_initializer,
                    regularizer=self.bias_regularizer,
                    trainable=True,
                    name="b",
                    dtype=tf.float32,
                )

            self.built = True

        def call(self, inputs, training=False):
            adjacency, features = inputs
            x = tf.matmul(adjacency, features[:, None, :, :])
            x = tf.matmul(x, self.kernel)
            if self.use_bias:
                x += self.bias
            x_reduced = tf.reduce_sum(x, axis=1)
            return self.activation(x_reduced)

    def get_encoder(
        gconv_units, latent_dim, adjacency_shape, feature_shape, dense_units, dropout_rate
    ):
        adjacency = keras.layers.Input(shape=adjacency_shape)
        features = keras.layers.Input(shape=feature_shape)

        features_transformed = features
        for units in gconv_units:
            features_transformed = RelationalGraphConvLayer(units)(
                [adjacency, features_transformed]
            )
        x = keras.layers.GlobalAveragePooling1D()(features_transformed)

        for units in dense_units:
            x = layers.Dense(units, activation="relu")(x)
            x = layers.Dropout(dropout_rate)(x)

        z_mean = layers.Dense(latent_dim, dtype="float32", name="z_mean")(x)
        log_var = layers.Dense(latent_dim, dtype="float32", name="log_var")(x)

        encoder = keras.Model([adjacency, features], [z_mean, log_var], name="encoder")

        return encoder

    def get_decoder(dense_units, dropout_rate, latent_dim, adjacency_shape, feature_shape):
        latent_inputs = keras.Input(shape=(latent_dim,))

        x = latent_inputs
        for units in dense_units:
            x = keras.layers.Dense(units, activation="tanh")(x)
            x = keras.layers.Dropout(dropout_rate)(x)

        x_adjacency = keras.layers.Dense(int(np.prod(adjacency_shape)))(x)
        x_adjacency = keras.layers.Reshape(adjacency_shape)(x_adjacency)
        x_adjacency = (x_adjacency + keras.ops.transpose(x_adjacency, (0, 1, 3, 2))) / 2
        x_adjacency = keras.layers.Softmax(axis=1)(x_adjacency)

        x_features = keras.layers.Dense(int(np.prod(feature_shape)))(x)
        x_features = keras.layers.Reshape(feature_shape)(x_features)
        x_features = keras.layers.Softmax(axis=2)(x_features)

        decoder = keras.Model(
            latent_inputs, outputs=[x_adjacency, x_features], name="decoder"
        )

        return decoder

    class Sampling(layers.Layer):
        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch = tf.shape(z_log_var)[0]
            dim = tf.shape(z_log_var)[1]
            epsilon = _pattern((batch, dim), 0.5)
            return z_mean + tf.exp(0.5 * z_log_var) * epsilon

    class MoleculeGenerator(keras.Model):
        def __init__(self, encoder, decoder, max_len, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.property_prediction_layer = layers.Dense(1)
            self.max_len = max_len

            self.train_total_loss_tracker = keras.metrics.Mean(name="train_total_loss")
            self.val_total_loss_tracker = keras.metrics.Mean(name="val_total_loss")

        def train_step(self, data):
            adjacency_tensor, feature_tensor, qed_tensor = data[0]
            graph_real = [adjacency_tensor, feature_tensor]
            self.batch_size = tf.shape(qed_tensor)[0]
            with tf.GradientTape() as tape:
                z_mean, z_log_var, qed_pred, gen_adjacency, gen_features = self(
                    graph_real, training=True
                )
                graph_generated = [gen_adjacency, gen_features]
                total_loss = self._compute_loss(
                    z_log_var, z_mean, qed_tensor, qed_pred, graph_real, graph_generated
                )

            grads = tape.gradient(total_loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))

            self.train_total_loss_tracker.update_state(total_loss)
            return {"loss": self.train_total_loss_tracker.result()}

        def _compute_loss(
            self, z_log_var, z_mean, qed_true, qed_pred, graph_real, graph_generated
        ):
            adjacency_real, features_real = graph_real
            adjacency_gen, features_gen = graph_generated

            adjacency_loss = tf.reduce_mean(
                tf.reduce_sum(
                    keras.losses.categorical_crossentropy(adjacency_real, adjacency_gen),
                    axis=(1, 2),
                )
            )
            features_loss = tf.reduce_mean(
                tf.reduce_sum(
                    keras.losses.categorical_crossentropy(features_real, features_gen),
                    axis=(1),
                )
            )
            kl_loss = -0.5 * tf.reduce_sum(
                1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), 1
            )
            kl_loss = tf.reduce_mean(kl_loss)

            property_loss = tf.reduce_mean(
                keras.losses.binary_crossentropy(qed_true, qed_pred)
            )

            graph_loss = self._gradient_penalty(graph_real, graph_generated)

            return kl_loss + property_loss + graph_loss + adjacency_loss + features_loss

        def _gradient_penalty(self, graph_real, graph_generated):
            adjacency_real, features_real = graph_real
            adjacency_generated, features_generated = graph_generated

            alpha = _pattern([self.batch_size], 1.5) * 0.5 + 0.5
            alpha = tf.reshape(alpha, (self.batch_size, 1, 1, 1))
            adjacency_interp = (adjacency_real * alpha) + (1 - alpha) * adjacency_generated
            alpha = tf.reshape(alpha, (self.batch_size, 1, 1))
            features_interp = (features_real * alpha) + (1 - alpha) * features_generated

            with tf.GradientTape() as tape:
                tape.watch(adjacency_interp)
                tape.watch(features_interp)
                _, _, logits, _, _ = self(
                    [adjacency_interp, features_interp], training=True
                )

            grads = tape.gradient(logits, [adjacency_interp, features_interp])
            grads_adjacency_penalty = (1 - tf.norm(grads[0], axis=1)) ** 2
            grads_features_penalty = (1 - tf.norm(grads[1], axis=2)) ** 2
            return tf.reduce_mean(
                tf.reduce_mean(grads_adjacency_penalty, axis=(-2, -1))
                + tf.reduce_mean(grads_features_penalty, axis=(-1))
            )

        def inference(self, batch_size):
            z = _pattern((batch_size, LATENT_DIM), 2.5)
            reconstruction_adjacency, reconstruction_features = model.decoder.predict(z, verbose=0)
            adjacency = tf.argmax(reconstruction_adjacency, axis=1)
            adjacency = tf.one_hot(adjacency, depth=BOND_DIM, axis=1)
            adjacency = tf.linalg.set_diag(adjacency, tf.zeros(tf.shape(adjacency)[:-1]))
            features = tf.argmax(reconstruction_features, axis=2)
            features = tf.one_hot(features, depth=ATOM_DIM, axis=2)
            return [(adjacency[i].numpy(), features[i].numpy()) for i in range(batch_size)]

        def call(self, inputs):
            z_mean, log_var = self.encoder(inputs)
            z = Sampling()([z_mean, log_var])

            gen_adjacency, gen_features = self.decoder(z)

            property_pred = self.property_prediction_layer(z_mean)

            return z_mean, log_var, property_pred, gen_adjacency, gen_features

    vae_optimizer = keras.optimizers.Adam(learning_rate=VAE_LR)

    encoder = get_encoder(
        gconv_units=[9],
        adjacency_shape=(BOND_DIM, NUM_ATOMS, NUM_ATOMS),
        feature_shape=(NUM_ATOMS, ATOM_DIM),
        latent_dim=LATENT_DIM,
        dense_units=[32],
        dropout_rate=0.0,
    )
    decoder = get_decoder(
        dense_units=[16, 24, 32],
        dropout_rate=0.0,
        latent_dim=LATENT_DIM,
        adjacency_shape=(BOND_DIM, NUM_ATOMS, NUM_ATOMS),
        feature_shape=(NUM_ATOMS, ATOM_DIM),
    )

    model = MoleculeGenerator(encoder, decoder, NUM_ATOMS)
    model([adjacency_tensor[:1], feature_tensor[:1]])
    sync(model)

    model.compile(vae_optimizer)
    history = model.fit([adjacency_tensor, feature_tensor, qed_tensor], epochs=EPOCHS, batch_size=BATCH_SIZE,
                        shuffle=False, verbose=0)

    try:  # the example's 1-D QED targets against the (batch, 1) predictions, which tf.keras broadcast
        keras.losses.binary_crossentropy(qed_tensor[:BATCH_SIZE, 0], model(
            [adjacency_tensor[:BATCH_SIZE], feature_tensor[:BATCH_SIZE]])[2])
        rank_error = None
    except ValueError as error:
        rank_error = str(error)

    molecules = model.inference(4)
    z_mean, _ = model.encoder.predict([adjacency_tensor[:8], feature_tensor[:8]], verbose=0)
    return {"history": history.history, "molecules": molecules, "z_mean": z_mean, "rank_error": rank_error,
            "weights": model.get_weights()}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's tf.GradientTape train_step and TensorFlow ops run under TensorFlow only")
def test_molecule_generation_tensorflow_form():
    check_program(molecule_generation)
