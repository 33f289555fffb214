"""Mean, Sum and MeanMetricWrapper: Keras's weighting and reduction rules, reset, config and custom metrics."""
import numpy as np
import pytest

from kerasport import metrics
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy
from tests.metrics import close


@pytest.mark.parametrize("name", ["Mean", "Sum"])
def test_mean_and_sum_match_keras(name, rng):
    keras = keras_module()
    ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
    updates = [(rng.randn(6), None), (rng.randn(6), rng.rand(6)), (rng.randn(4, 3), rng.rand(4)),
               (rng.randn(4, 3), rng.rand(4, 3)), (rng.randn(4, 3, 2), rng.rand(4, 1)), (2.5, 3)]
    for values, sw in updates:
        values = np.asarray(values, "float32")
        ours.update_state(values, sample_weight=sw)
        theirs.update_state(values, sample_weight=sw)
        close(ours.result(), theirs.result())
    ours.reset_state()
    assert float(to_numpy(ours.result())) == 0.0
    assert [tuple(v.shape) for v in ours.variables] == [tuple(v.shape) for v in theirs.variables]


def test_mean_metric_wrapper_custom_function_and_config(rng):
    def abs_error(y_true, y_pred):
        return B.abs(B.convert_to_tensor(y_true) - B.convert_to_tensor(y_pred))

    metric = metrics.MeanMetricWrapper(abs_error)
    y_true, y_pred, sw = rng.rand(5, 2), rng.rand(5, 2), rng.rand(5)
    metric.update_state(y_true.astype("float32"), y_pred.astype("float32"), sample_weight=sw)
    expected = (np.abs(y_true - y_pred).mean(-1) * sw).sum() / sw.sum()
    close(metric.result(), expected)
    assert metric.name.startswith("mean_metric_wrapper")  # Keras's default name, not the function's
    wrapped = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="acc", threshold=0.3)
    clone = metrics.MeanMetricWrapper.from_config(wrapped.get_config())
    assert clone._fn is metrics.binary_accuracy and clone.threshold == 0.3 and clone.name == "acc"


def test_metric_subclass_with_own_state(rng):
    class CountPositives(metrics.Metric):
        def __init__(self, name=None, dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.count = self.add_variable((), name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign_add(B.sum(B.cast(B.greater(B.convert_to_tensor(y_pred), 0.0), "float32")))

        def result(self):
            return self.count + 0

    metric = CountPositives()
    data = rng.randn(10).astype("float32")
    assert metric.name == "count_positives"
    close(metric(None, data), (data > 0).sum())
    metric.reset_state()
    close(metric.result(), 0.0)


def test_mean_of_scalar_losses_weighed_by_sample_counts_matches_the_general_path():
    """The loss tracker's shortcut (a scalar loss weighed by a Python sample count) gives the general path's
    mean and count."""
    shortcut, general = metrics.Mean(), metrics.Mean()
    for loss, count in [(0.5, 32), (2.0, 8), (1.25, 0)]:
        shortcut.update_state(B.convert_to_tensor(loss), sample_weight=count)
        general.update_state(B.convert_to_tensor([loss]), sample_weight=np.array([count], "float32"))
    expected = (0.5 * 32 + 2.0 * 8) / 40
    for metric in (shortcut, general):
        np.testing.assert_allclose(float(to_numpy(metric.result())), expected, rtol=1e-6)
        np.testing.assert_allclose(float(to_numpy(metric.count)), 40.0)
