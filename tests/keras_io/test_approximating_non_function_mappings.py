"""keras.io recipe "Approximating non-Function Mappings with Mixture Density Networks"
(examples/keras_recipes/approximating_non_function_mappings.py). TensorFlow only.

The recipe as written: a plain MLP fitted with ``EarlyStopping(monitor="val_loss", patience=5)`` and
``validation_split``; then ``MixtureDensityOutput``, a layer that builds its three ``Dense`` sublayers in ``build``
(then ``super().build``), overrides the ``trainable_weights`` / ``non_trainable_weights`` properties and calls
``layers.concatenate([...], name="mdn_outputs")`` in ``call``, with ``elu_plus_one_plus_epsilon`` as a custom
activation (``keras.activations.elu`` + ``keras.backend.epsilon()``); a ``Sequential`` MDN compiled with the
closure loss ``get_mixture_loss_func`` (``tf.reshape`` / ``tf.split`` with ``name=``), fitted with
``EarlyStopping(monitor="loss", patience=10, restore_best_weights=True)`` and ``ReduceLROnPlateau``; ``predict``.

Changed: the mixture's negative log-likelihood is written with ``tf`` ops (``tf.nn.log_softmax``,
``tf.reduce_logsumexp``) in place of TensorFlow Probability's ``tfd.Mixture`` (not installed); 300 spiral points
instead of 10,000; ``N_HIDDEN`` 128 -> 16, 10 mixtures, 8 and 12 epochs; no shuffling; the sampling with
``np.random`` after ``predict`` is left out (NumPy only).
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def spiral():
    rng = np.random.RandomState(0)
    t = rng.uniform(0, 4 * np.pi, 300)
    x = (t * np.cos(t) + rng.normal(0, 0.3, 300)).astype("float32")
    y = (t * np.sin(t) + rng.normal(0, 0.3, 300)).astype("float32")

    def normalize(v):
        return (v - v.min()) / (v.max() - v.min())

    return np.expand_dims(normalize(x) * 10 - 5, axis=1), normalize(y) * 10 - 5


def mixture_density(keras, sync):
    import tensorflow as tf
    layers, callbacks = keras.layers, keras.callbacks
    x, y = spiral()
    N_HIDDEN = 16

    model = keras.Sequential([layers.Dense(N_HIDDEN, activation="relu"), layers.Dense(N_HIDDEN, activation="relu"),
                              layers.Dense(1)])
    model.build((None, 1))
    sync(model)
    model.compile(optimizer="adam", loss="mse")
    plain = model.fit(x, y, epochs=8, batch_size=32, validation_split=0.15, shuffle=False, verbose=0,
                      callbacks=[callbacks.EarlyStopping(monitor="val_loss", patience=5)])
    y_pred = model.predict(x, verbose=0)

    def elu_plus_one_plus_epsilon(x):
        return keras.activations.elu(x) + 1 + keras.backend.epsilon()

    class MixtureDensityOutput(layers.Layer):
        def __init__(self, output_dimension, num_mixtures, **kwargs):
            super().__init__(**kwargs)
            self.output_dim = output_dimension
            self.num_mix = num_mixtures
            self.mdn_mus = layers.Dense(self.num_mix * self.output_dim, name="mdn_mus")
            self.mdn_sigmas = layers.Dense(self.num_mix * self.output_dim, activation=elu_plus_one_plus_epsilon,
                                           name="mdn_sigmas")
            self.mdn_pi = layers.Dense(self.num_mix, name="mdn_pi")

        def build(self, input_shape):
            self.mdn_mus.build(input_shape)
            self.mdn_sigmas.build(input_shape)
            self.mdn_pi.build(input_shape)
            super().build(input_shape)

        @property
        def trainable_weights(self):
            return self.mdn_mus.trainable_weights + self.mdn_sigmas.trainable_weights + self.mdn_pi.trainable_weights

        @property
        def non_trainable_weights(self):
            return (self.mdn_mus.non_trainable_weights + self.mdn_sigmas.non_trainable_weights
                    + self.mdn_pi.non_trainable_weights)

        def call(self, x, mask=None):
            return layers.concatenate([self.mdn_mus(x), self.mdn_sigmas(x), self.mdn_pi(x)], name="mdn_outputs")

    OUTPUT_DIMS, N_MIXES = 1, 10
    mdn_network = keras.Sequential([layers.Dense(N_HIDDEN, activation="relu"),
                                    layers.Dense(N_HIDDEN, activation="relu"),
                                    MixtureDensityOutput(OUTPUT_DIMS, N_MIXES)])
    mdn_network.build((None, 1))
    sync(mdn_network)

    def get_mixture_loss_func(output_dim, num_mixes):
        def mdn_loss_func(y_true, y_pred):
            y_pred = tf.reshape(y_pred, [-1, (2 * num_mixes * output_dim) + num_mixes], name="reshape_ypreds")
            y_true = tf.reshape(y_true, [-1, output_dim], name="reshape_ytrue")
            out_mu, out_sigma, out_pi = tf.split(
                y_pred, num_or_size_splits=[num_mixes * output_dim, num_mixes * output_dim, num_mixes], axis=-1,
                name="mdn_coef_split")
            log_normal = (-0.5 * tf.square((y_true - out_mu) / out_sigma) - tf.math.log(out_sigma)
                          - 0.5 * np.log(2 * np.pi))
            loss = tf.reduce_logsumexp(tf.nn.log_softmax(out_pi) + log_normal, axis=-1)
            return tf.reduce_mean(tf.negative(loss))

        return mdn_loss_func

    mdn_network.compile(loss=get_mixture_loss_func(OUTPUT_DIMS, N_MIXES), optimizer="adam")
    history = mdn_network.fit(
        x, y, epochs=12, batch_size=32, validation_split=0.15, shuffle=False, verbose=0,
        callbacks=[callbacks.EarlyStopping(monitor="loss", patience=10, restore_best_weights=True),
                   callbacks.ReduceLROnPlateau(monitor="loss", patience=5)])
    y_pred_mixture = mdn_network.predict(x, verbose=0)
    return {"plain": plain.history, "y_pred": y_pred, "mdn": history.history, "mixture": y_pred_mixture,
            "trainable": len(mdn_network.trainable_weights), "shape": y_pred_mixture.shape}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the recipe's loss is written with tf ops: TensorFlow only")
def test_approximating_non_function_mappings():
    check_program(mixture_density)
