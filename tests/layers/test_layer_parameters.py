"""``Layer.parameters()``: torch's ``nn.Module.parameters()`` on the torch backend, absent on TensorFlow (as in Keras)."""
import numpy as np
import pytest

import kerasport as keras


def _model():
    inputs = keras.Input((3,))
    hidden = keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs))
    return keras.Model(inputs, keras.layers.Dense(2)(hidden))


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch.nn.Module.parameters() is a torch-backend API")
def test_parameters_feed_a_native_torch_optimizer():
    import torch

    model = _model()
    params = list(model.parameters())
    assert len(params) == len(model.weights) == 8
    assert all(p is w for p, w in zip(params, model.weights))
    assert list(model.layers[1].parameters(recurse=False)) == model.layers[1].weights
    assert [p.requires_grad for p in params] == [True, True, True, True, False, False, True, True]
    before = model.get_weights()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = model(np.ones((5, 3), "float32")).sum()
    model.zero_grad()
    loss.backward()
    optimizer.step()
    after = model.get_weights()
    for i, (b, a) in enumerate(zip(before, after)):
        assert np.array_equal(a, b) == (not params[i].requires_grad), model.weights[i].path


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the TensorFlow side of the same API")
def test_parameters_is_absent_on_tensorflow():
    with pytest.raises(AttributeError, match="parameters"):
        _model().parameters()
