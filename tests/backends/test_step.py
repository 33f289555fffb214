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
    assert step._signature((object(),)) is step._UNKEYED
    assert step._signature(({1: x},)) is step._UNKEYED


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
