"""The per-step shortcuts keep their behaviour: layer traversal order, Dense's shape error,
and optimizer.apply on the train step's variable list."""
import warnings

import numpy as np
import pytest

import kerasport
from kerasport import layers


def _reference_order(layer, seen=None):
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return []
    seen.add(id(layer))
    out = [layer]
    for child in layer._layers:
        out += _reference_order(child, seen)
    return out


def test_flatten_layers_is_depth_first_in_order_with_shared_layers():
    shared = layers.Dense(2, name="shared")
    inner = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(3, name="a"), shared], name="inner")
    x = kerasport.Input((3,))
    outer = kerasport.Model(x, layers.Dense(1, name="b")(shared(inner(x))), name="outer")
    names = [l.name for l in outer._flatten_layers()]
    assert names == [l.name for l in _reference_order(outer)]
    assert names.count("shared") == 1 and names[0] == "outer"
    assert [l.name for l in outer._flatten_layers(include_self=False)] == names[1:]


def test_dense_still_names_an_incompatible_input():
    dense = layers.Dense(2, name="head")
    dense(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"head.*expected axis -1 to have value 3.*\(1, 4\)"):
        dense(np.zeros((1, 4), "float32"))


def test_apply_on_the_same_list_builds_once_and_still_skips_missing_gradients():
    optimizer = kerasport.optimizers.SGD(0.5)
    a, b = kerasport.Variable(np.ones(2, "float32")), kerasport.Variable(np.ones(2, "float32"))
    variables = [a, b]
    calls = []
    build = optimizer.build
    optimizer.build = lambda v: (calls.append(len(v)), build(v))
    grad = kerasport.ops.convert_to_tensor(np.ones(2, "float32"))
    optimizer.apply([grad, grad], variables)
    optimizer.apply([grad, grad], variables)
    assert calls == [2]
    np.testing.assert_allclose(kerasport.ops.convert_to_numpy(a), [0.0, 0.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizer.apply([None, grad], variables)
    assert any("Gradients do not exist" in str(w.message) for w in caught)
    np.testing.assert_allclose(kerasport.ops.convert_to_numpy(a), [0.0, 0.0])
    np.testing.assert_allclose(kerasport.ops.convert_to_numpy(b), [-0.5, -0.5])
    optimizer.loss_scale_factor = 2.0
    optimizer.apply([grad, grad], variables)
    np.testing.assert_allclose(kerasport.ops.convert_to_numpy(a), [-0.25, -0.25])


def test_mean_of_scalar_losses_weighed_by_sample_counts_matches_the_general_path():
    shortcut, general = kerasport.metrics.Mean(), kerasport.metrics.Mean()
    for loss, count in [(0.5, 32), (2.0, 8), (1.25, 0)]:
        shortcut.update_state(kerasport.ops.convert_to_tensor(loss), sample_weight=count)
        general.update_state(kerasport.ops.convert_to_tensor([loss]), sample_weight=np.array([count], "float32"))
    expected = (0.5 * 32 + 2.0 * 8) / 40
    for metric in (shortcut, general):
        np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-6)
        np.testing.assert_allclose(float(metric.count), 40.0)
