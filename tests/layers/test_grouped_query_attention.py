"""GroupedQueryAttention against Keras 3: outputs, masks, functional use and config."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy


def _gqa_pair(keras, **kwargs):
    rng = np.random.RandomState(0)
    q, v = rng.randn(2, 4, 6).astype("float32"), rng.randn(2, 5, 6).astype("float32")
    theirs = keras.layers.GroupQueryAttention(**kwargs)
    theirs(q, v)
    ours = layers.GroupQueryAttention(**kwargs)
    ours(B.convert_to_tensor(q), B.convert_to_tensor(v))
    ours.set_weights(theirs.get_weights())
    return ours, theirs, q, v


@pytest.mark.parametrize("kwargs,call", [
    ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, {}),
    ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1, "use_gate": True, "use_bias": False}, {}),
    ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 4, "sliding_window": 2},
     {"return_attention_scores": True}),
    ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, {"use_causal_mask": True}),
])
def test_group_query_attention_matches_keras(kwargs, call):
    keras = keras_module()
    ours, theirs, q, v = _gqa_pair(keras, **kwargs)
    assert [w.path.split("/")[-2:] for w in ours.weights] == [w.path.split("/")[-2:] for w in theirs.weights]
    want = theirs(q, v, **call)
    got = ours(B.convert_to_tensor(q), B.convert_to_tensor(v), **call)
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    for g, w in zip(got, want):
        np.testing.assert_allclose(to_numpy(g), w.numpy(), atol=1e-5, rtol=1e-4)


def test_group_query_attention_masks_functional_and_config():
    keras = keras_module()
    ours, theirs, q, v = _gqa_pair(keras, head_dim=2, num_query_heads=4, num_key_value_heads=2)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], bool)
    want = theirs(q, v, value_mask=mask).numpy()
    got = to_numpy(ours(B.convert_to_tensor(q), B.convert_to_tensor(v), value_mask=B.convert_to_tensor(mask)))
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-4)
    config = ours.get_config()
    assert set(config) == set(theirs.get_config())
    qi, vi = kerasport.Input((4, 6)), kerasport.Input((5, 6))
    model = kerasport.Model([qi, vi], layers.GroupQueryAttention.from_config({**config, "name": "gqa2"})(qi, vi))
    assert model.outputs[0].shape == (None, 4, 6)
    model.compile("sgd", "mse")
    assert np.isfinite(model.train_on_batch([q, v], np.zeros((2, 4, 6), "float32")))
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(2, 3, 2)
    with pytest.raises(ValueError, match="sliding_window"):
        layers.GroupQueryAttention(2, 2, 1, sliding_window=0)
