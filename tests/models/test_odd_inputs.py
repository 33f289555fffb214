"""Odd inputs to fit / evaluate / predict: clear errors instead of silence or raw framework errors."""
import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasport
from kerasport import losses

LOSS_CLASSES = sorted(name for name, obj in vars(losses).items()
                      if inspect.isclass(obj) and issubclass(obj, losses.Loss) and obj is not losses.Loss
                      and obj.__module__.startswith(f"{losses.__name__}."))
# CTC: predictions (batch, time, classes), targets (batch, label length), any widths fit; the wrapper needs an `fn`
# (the string losses below go through it).
NOT_ELEMENTWISE = {"CTC", "LossFunctionWrapper"}


def _model(loss, units=2):
    model = kerasport.Sequential([kerasport.Input((4,)), kerasport.layers.Dense(units, activation="softmax",
                                                                                name="probabilities")])
    model.compile("sgd", loss)
    return model


@pytest.mark.parametrize("name", [n for n in LOSS_CLASSES if n not in NOT_ELEMENTWISE])
def test_targets_that_cannot_match_the_output_name_both_shapes_and_the_output(name):
    model = _model(getattr(losses, name)())
    x, y = np.ones((6, 4), "float32"), np.ones((6, 3), "float32")
    with pytest.raises(ValueError) as info:
        model.fit(x, y, batch_size=6, verbose=0)
    message = str(info.value)
    assert "(6, 3)" in message and "(6, 2)" in message and "'probabilities'" in message


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse", "sparse_categorical_crossentropy"])
def test_string_losses_in_evaluate_too(loss):
    model = _model(loss, units=3)
    with pytest.raises(ValueError, match=r"targets have shape \(5, 7\), the predictions shape \(5, 3\)"):
        model.evaluate(np.ones((5, 4), "float32"), np.ones((5, 7), "float32"), batch_size=5, verbose=0)


def test_shapes_that_broadcast_or_sparse_labels_still_train():
    _model("mse").fit(np.ones((6, 4), "float32"), np.ones((6, 1), "float32"), verbose=0)
    _model("sparse_categorical_crossentropy").fit(np.ones((6, 4), "float32"), np.array([0, 1, 1, 0, 1, 0]),
                                                  verbose=0)


def test_a_failure_that_is_not_about_shapes_keeps_its_own_error():
    def broken(y_true, y_pred):
        raise ZeroDivisionError("not a shape problem")
    model = _model(broken)
    with pytest.raises(Exception, match="not a shape problem") as info:  # TensorFlow wraps it in a StagingError
        model.fit(np.ones((6, 4), "float32"), np.ones((6, 2), "float32"), verbose=0)
    assert "cannot compare" not in str(info.value)


@pytest.mark.parametrize("call", ["fit", "evaluate", "predict", "validation_data"])
def test_empty_arrays_raise_a_clear_error(call):
    model = _model("mse")
    x, y = np.zeros((0, 4), "float32"), np.zeros((0, 2), "float32")
    weights = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="0 samples"):
        if call == "fit":
            model.fit(x, y, verbose=0)
        elif call == "evaluate":
            model.evaluate(x, y, verbose=0)
        elif call == "predict":
            model.predict(x, verbose=0)
        else:
            model.fit(np.ones((3, 4), "float32"), np.ones((3, 2), "float32"), validation_data=(x, y), verbose=0)
    if call == "fit":
        for before, after in zip(weights, model.get_weights()):
            np.testing.assert_array_equal(before, after)


def test_an_empty_generator_raises_a_clear_error():
    model = _model("mse")
    with pytest.raises(ValueError, match="yielded no batch"):
        model.fit(iter([]), verbose=0)


PREDICT_RSS = """
import resource, sys
import numpy as np
import kerasport
model = kerasport.Sequential([kerasport.Input((32,)), kerasport.layers.Dense(1)])
model.predict(np.ones((64, 32), "float32"), verbose=0)
x = np.ones((400_000, 32), "float32")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
y = model.predict(x, batch_size=1024, verbose=0)
assert y.shape == (400_000, 1)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024 / x.nbytes)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_predict_streams_array_batches_without_copying_the_input():
    out = subprocess.run([sys.executable, "-c", PREDICT_RSS], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert float(out.stdout.split()[-1]) < 0.5  # a copy of the whole input would be 1.0 per copy


def test_predict_stream_batches_match_fit_style_batches():
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(2)])
    x = np.random.RandomState(0).rand(1000, 3).astype("float32")
    expected = x @ model.get_weights()[0] + model.get_weights()[1]
    for batch_size in (1, 7, 32, 1000, 5000):
        np.testing.assert_allclose(model.predict(x, batch_size=batch_size, verbose=0), expected, rtol=1e-5,
                                   atol=1e-6)
    two = kerasport.Model(*(lambda a, b: ([a, b], kerasport.layers.Concatenate()([a, b])))(
        kerasport.Input((3,)), kerasport.Input((2,))))
    np.testing.assert_array_equal(two.predict([x, x[:, :2]], batch_size=300, verbose=0),
                                  np.concatenate([x, x[:, :2]], axis=1))
