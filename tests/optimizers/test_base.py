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
