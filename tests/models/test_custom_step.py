"""Overriding train_step / test_step / predict_step in Keras's idioms, on each backend."""
import numpy as np

import kerasport
from kerasport import layers
from kerasport.backends import B


def _gradients(model, x, y):
    """The backend-specific part of a Keras custom train_step: loss and gradients."""
    if B.NAME == "torch":
        model.zero_grad()
        y_pred = model(x, training=True)
        loss = model.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        return loss, y_pred, [v.value.grad for v in model.trainable_weights]
    import tensorflow as tf
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(y=y, y_pred=y_pred)
    return loss, y_pred, tape.gradient(loss, model.trainable_weights)


class CustomStep(kerasport.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.mae = kerasport.metrics.MeanAbsoluteError(name="mae")
        self.loss_tracker = kerasport.metrics.Mean(name="loss")
        self.steps_seen = 0

    def call(self, x):
        return self.dense(x)

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae]

    def train_step(self, data):
        x, y = data
        self.steps_seen += 1
        loss, y_pred, grads = _gradients(self, x, y)
        with kerasport.backend.B.no_grad():
            self.optimizer.apply(grads, self.trainable_weights)
        self.loss_tracker.update_state(loss)
        self.mae.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(self.compute_loss(y=y, y_pred=y_pred))
        self.mae.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae.result(), "extra": 1.0}


def _data():
    x = np.random.RandomState(0).rand(64, 3).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3


def test_custom_train_and_test_steps_train_and_report_their_logs():
    x, y = _data()
    model = CustomStep()
    model.compile(kerasport.optimizers.SGD(0.1), "mse")
    hist = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert set(hist.history) == {"loss", "mae"}
    assert hist.history["loss"][-1] < hist.history["loss"][0] / 5
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["extra"] == 1.0 and abs(logs["mae"] - hist.history["mae"][-1]) < hist.history["mae"][0]


def test_super_train_step_runs_the_built_in_step():
    class Wrapped(kerasport.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.calls = 0

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            self.calls += 1
            return super().train_step(data)

    x, y = _data()
    kerasport.utils.set_random_seed(1)
    plain = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(1)])
    kerasport.utils.set_random_seed(1)
    wrapped = Wrapped()
    wrapped.build((None, 3))
    wrapped.set_weights(plain.get_weights())
    for m in (plain, wrapped):
        m.compile(kerasport.optimizers.Adam(0.01), "mse", metrics=["mae"])
    h1 = plain.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
    h2 = wrapped.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
    assert wrapped.calls >= 1
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(plain.get_weights()[0], wrapped.get_weights()[0], rtol=1e-5)


def test_custom_predict_step_and_keras_2_compiled_helpers():
    class Doubled(kerasport.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

        def predict_step(self, data):
            return self(data) * 2.0

    model = Doubled()
    x = np.ones((5, 3), "float32")
    model.build((None, 3))
    np.testing.assert_allclose(model.predict(x, verbose=0), 2 * B.convert_to_numpy(model(B.convert_to_tensor(x))),
                               rtol=1e-6)
    model.compile("sgd", "mse", metrics=["mae"])
    y_pred = model(B.convert_to_tensor(x))
    loss = model.compiled_loss(B.zeros((5, 2)), y_pred)
    assert float(B.convert_to_numpy(loss)) > 0
    model.compiled_metrics.update_state(B.zeros((5, 2)), y_pred)
    assert model.compute_metrics(x, B.zeros((5, 2)), y_pred)["mae"] is not None
