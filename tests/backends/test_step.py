"""``B.compile_function``: a compiled step gives its function's results for every signature of arguments,
and on TensorFlow calls the traced graph of a known signature directly."""
import numpy as np
import pytest

from kerasport.backends import B


def _step(batch, scale):
    x, extra = batch["x"], batch.get("extra")
    y = B.multiply(B.convert_to_tensor(x), 2.0 if scale is True else float(scale))
    return y if extra is None else B.add(y, B.convert_to_tensor(extra))


def test_each_signature_gives_its_own_results():
    compiled = B.compile_function(_step, jit_compile=False, run_eagerly=False)
    a, b = np.ones((4, 3), "float32"), np.ones((2, 3), "float32")
    calls = [({"x": a}, 3), ({"x": b}, 3), ({"x": a}, True), ({"x": a}, 4), ({"x": a, "extra": b[:1]}, 4),
             ({"x": a.astype("int64")}, 4), ({"x": B.convert_to_tensor(b)}, 0.5)]
    for _ in range(2):  # the second round finds every signature known
        for batch, scale in calls:
            np.testing.assert_allclose(B.convert_to_numpy(compiled(batch, scale)),
                                       B.convert_to_numpy(_step(batch, scale)))


def test_tensorflow_calls_the_graph_of_a_known_signature():
    if B.NAME != "tensorflow":
        pytest.skip("torch has no dispatch over traces to skip")
    from kerasport.backends.tensorflow import step

    compiled = B.compile_function(_step, jit_compile=False, run_eagerly=False)
    x = np.ones((4, 3), "float32")
    for _ in range(5):
        compiled({"x": x}, 2)
    assert compiled.experimental_get_tracing_count() == 1
    # any other structure is matched by tf.function itself
    assert step._signature((object(),), 1) is step._UNKEYED
    assert step._signature(({1: x},), 1) is step._UNKEYED


def test_tensorflow_traces_once_for_every_batch_size():
    """The trace leaves the batch dim unknown, as Keras's ``tf.data`` batches: a ``fit`` whose last batch is
    smaller, then ``evaluate`` and ``predict`` at other batch sizes, each trace their step once."""
    if B.NAME != "tensorflow":
        pytest.skip("TensorFlow's traces")
    import kerasport as keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    x, y = np.ones((10, 3), "float32"), np.ones((10, 2), "float32")
    model.fit(x, y, batch_size=4, validation_data=(x[:2], y[:2]), epochs=2, verbose=0)
    model.evaluate(x, y, batch_size=3, verbose=0)
    model.predict(x, batch_size=3, verbose=0)
    model.predict(x[:1], verbose=0)
    for kind in ("train", "test", "predict"):
        assert model._step(kind).compiled.experimental_get_tracing_count() == 1, kind
    # steps_per_execution's in-graph loop leaves its group size and the batch size unknown
    model.compile("sgd", "mse", steps_per_execution=2)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    model.fit(x, y, batch_size=5, epochs=1, verbose=0)
    assert model._step("train").loop.compiled.experimental_get_tracing_count() == 1


def test_tensorflow_run_functions_eagerly_is_still_honoured():
    if B.NAME != "tensorflow":
        pytest.skip("TensorFlow's switch")
    import tensorflow as tf

    seen = []
    compiled = B.compile_function(lambda x: seen.append(tf.executing_eagerly()) or x * 2.0, False, False)
    x = np.ones((2,), "float32")
    compiled(x)
    compiled(x)
    tf.config.run_functions_eagerly(True)
    try:
        compiled(x)
    finally:
        tf.config.run_functions_eagerly(False)
    assert seen == [False, True]  # one trace, then the eager run that the switch asks for


def test_tensorflow_a_step_that_needs_a_known_batch_size_is_traced_at_each_batch_s_shapes():
    """A ``train_step`` that reads the batch size as a number (as one may on a ``tf.data`` batch of
    ``drop_remainder=True``, whose batch dim Keras traces known) cannot be traced with it unknown: it is traced at
    each batch's shapes instead, and its optimizer's variables are still made in its first trace."""
    if B.NAME != "tensorflow":
        pytest.skip("TensorFlow's traces")
    import tensorflow as tf

    import kerasport as keras

    class KnownBatch(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            n = int(x.shape[0])
            with tf.GradientTape() as tape:
                loss = keras.ops.sum((self(x) - y) ** 2) / n
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            return {"mse": loss}

    model = KnownBatch()
    model.compile(keras.optimizers.Adam(0.1))
    x, y = np.ones((10, 3), "float32"), np.full((10, 1), 2.0, "float32")
    losses = model.fit(x, y, batch_size=4, epochs=3, verbose=0).history["mse"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert model._step("train").compiled.experimental_get_tracing_count() == 2  # batches of 4 and of 2
    assert len(model.optimizer.variables) > 1
