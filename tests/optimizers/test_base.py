"""The Optimizer base: ``apply`` on the train step's variable list builds once, skips missing
gradients and honours ``loss_scale_factor``."""
import warnings

import numpy as np

import kerasport


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


def test_apply_gradients_in_another_order_than_built_updates_each_variable_with_its_own_slots():
    """keras.io's ShiftViT applies ``(gradient, variable)`` pairs gathered layer by layer, in another order than
    ``model.trainable_variables`` (which the optimizer was built on): each variable keeps its own moments."""
    shapes = [(3, 2), (2,), (4,)]
    rng = np.random.RandomState(0)
    grads = [[rng.rand(*s).astype("float32") for s in shapes] for _ in range(3)]
    results = []
    for order in ([0, 1, 2], [2, 0, 1]):
        variables = [kerasport.Variable(np.ones(s, "float32")) for s in shapes]
        optimizer = kerasport.optimizers.Adam(0.1)
        optimizer.build(variables)
        for step in grads:
            optimizer.apply_gradients([(kerasport.ops.convert_to_tensor(step[i]), variables[i]) for i in order])
        results.append([kerasport.ops.convert_to_numpy(v) for v in variables])
    for in_order, reordered in zip(*results):
        np.testing.assert_allclose(reordered, in_order, rtol=1e-6)
