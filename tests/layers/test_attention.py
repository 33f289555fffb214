"""Attention layers against Keras 3: outputs and gradients, masks, causal masks, scores."""
import numpy as np
import pytest

from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, run_layer_test, to_numpy
from tests.layers.test_rnn import _grads, _keras_grads


def _check(ours, ref, inputs, call_kwargs=None, pick=lambda o: o):
    """Same weights, same outputs and gradients w.r.t. the query and the weights."""
    call_kwargs = call_kwargs or {}
    ours_kwargs = {k: B.convert_to_tensor(v) if isinstance(v, np.ndarray) else v for k, v in call_kwargs.items()}
    ref(*inputs, **call_kwargs)
    rest = [B.convert_to_tensor(x) for x in inputs[1:]]
    ours(B.convert_to_tensor(inputs[0]), *rest, **ours_kwargs)
    ours.set_weights(ref.get_weights())
    out, grads = _grads(lambda q: pick(ours(q, *rest, **ours_kwargs)), inputs[0], ours.trainable_weights)
    ref_out, ref_grads = _keras_grads(lambda q: pick(ref(q, *inputs[1:], **call_kwargs)), inputs[0],
                                      ref.trainable_weights)
    np.testing.assert_allclose(out, ref_out, atol=1e-5, rtol=1e-4)
    for g, rg in zip(grads, ref_grads):
        np.testing.assert_allclose(g, rg, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("kwargs, call_kwargs", [
    ({"num_heads": 2, "key_dim": 4}, {}),
    ({"num_heads": 3, "key_dim": 2, "value_dim": 5, "output_shape": 6, "use_bias": False}, {}),
    ({"num_heads": 2, "key_dim": 4}, {"use_causal_mask": True}),
    ({"num_heads": 2, "key_dim": 3}, {"attention_mask": "random"}),
], ids=["default", "dims", "causal", "attention_mask"])
def test_multi_head_attention_matches_keras(kwargs, call_kwargs, rng):
    keras = keras_module()
    query, value = rng.randn(2, 5, 8).astype("float32"), rng.randn(2, 5, 8).astype("float32")
    if call_kwargs.get("attention_mask") == "random":
        call_kwargs = {"attention_mask": rng.rand(2, 5, 5) > 0.3}
    _check(layers.MultiHeadAttention(**kwargs), keras.layers.MultiHeadAttention(**kwargs), [query, value],
           call_kwargs)


@pytest.mark.parametrize("case", ["causal_longer_keys", "causal_and_mask", "masks_and_empty_rows", "gate_and_key"])
def test_multi_head_attention_fused_path_masks_match_keras(case, rng):
    keras = keras_module()
    query, value = rng.randn(3, 4, 8).astype("float32"), rng.randn(3, 6, 8).astype("float32")
    kwargs, call_kwargs, inputs = {"num_heads": 2, "key_dim": 4}, {}, [query, value]
    if case == "causal_longer_keys":
        call_kwargs = {"use_causal_mask": True}
    elif case == "causal_and_mask":
        call_kwargs = {"use_causal_mask": True, "attention_mask": rng.rand(3, 4, 6) > 0.4}
    elif case == "masks_and_empty_rows":
        mask = rng.rand(3, 4, 6) > 0.5
        mask[0, 1] = False  # a query that sees no key: Keras's fused path gives it uniform weights
        call_kwargs = {"attention_mask": mask, "value_mask": np.array([[1] * 6, [1] * 4 + [0] * 2, [1] * 5 + [0]])}
    else:
        kwargs = {"num_heads": 2, "key_dim": 3, "value_dim": 2, "use_gate": True}
        inputs = [query, value, rng.randn(3, 6, 5).astype("float32")]
        call_kwargs = {"use_causal_mask": True}
    _check(layers.MultiHeadAttention(**kwargs), keras.layers.MultiHeadAttention(**kwargs), inputs, call_kwargs)


def test_multi_head_attention_torch_runs_one_attention_kernel(rng):
    if B.NAME != "torch":
        pytest.skip("scaled_dot_product_attention is torch's")
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    class Ops(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.names = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.names.append(str(func))
            return func(*args, **(kwargs or {}))

    layer = layers.MultiHeadAttention(2, 4)
    x = B.convert_to_tensor(rng.randn(2, 5, 8).astype("float32"))
    mask = B.convert_to_tensor(rng.rand(2, 5, 5) > 0.3)
    for call_kwargs in ({}, {"use_causal_mask": True}, {"attention_mask": mask}):
        with torch.no_grad(), Ops() as ops:
            layer(x, x, **call_kwargs)
        assert any("scaled_dot_product" in name for name in ops.names), ops.names
        assert not any("softmax" in name for name in ops.names), ops.names
    with torch.no_grad(), Ops() as ops:
        layer(x, x, return_attention_scores=True)
    assert any("softmax" in name for name in ops.names)


def test_multi_head_attention_scores_and_axes(rng):
    keras = keras_module()
    query = rng.randn(2, 3, 4, 6).astype("float32")
    kwargs = {"num_heads": 2, "key_dim": 3, "attention_axes": (1, 2)}
    ours, ref = layers.MultiHeadAttention(**kwargs), keras.layers.MultiHeadAttention(**kwargs)
    _check(ours, ref, [query, query], {"return_attention_scores": True}, pick=lambda o: o[0])
    np.testing.assert_allclose(to_numpy(ours(B.convert_to_tensor(query), B.convert_to_tensor(query),
                                             return_attention_scores=True)[1]),
                               np.asarray(ref(query, query, return_attention_scores=True)[1]), atol=1e-6)
    ours = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    _, scores = ours(B.convert_to_tensor(query[:, 0]), B.convert_to_tensor(query[:, 1]), return_attention_scores=True)
    assert tuple(B.shape(scores)) == (2, 2, 4, 4)


def test_masks_from_embedding_are_ignored_keys(rng):
    keras = keras_module()
    tokens = np.array([[3, 4, 0, 0], [5, 1, 2, 0]])
    emb, ref_emb = layers.Embedding(8, 6, mask_zero=True), keras.layers.Embedding(8, 6, mask_zero=True)
    ref_emb(tokens)
    emb(B.convert_to_tensor(tokens))
    emb.set_weights(ref_emb.get_weights())
    for ours, ref in [(layers.MultiHeadAttention(2, 3), keras.layers.MultiHeadAttention(2, 3)),
                      (layers.Attention(), keras.layers.Attention())]:
        # Fresh masked inputs each time: Keras's MultiHeadAttention clears its inputs' masks.
        ref_x, x = ref_emb(tokens), emb(B.convert_to_tensor(tokens))
        args = (lambda t: ([t, t],)) if isinstance(ours, layers.Attention) else (lambda t: (t, t))
        ref_out = ref(*args(ref_x))
        ours(*args(x))
        ours.set_weights(ref.get_weights())
        out = ours(*args(x))
        np.testing.assert_allclose(to_numpy(out), np.asarray(ref_out), atol=1e-5)
        np.testing.assert_array_equal(to_numpy(out._keras_mask), tokens != 0)


@pytest.mark.parametrize("cls, kwargs, call_kwargs", [
    ("Attention", {}, {}),
    ("Attention", {"use_scale": True, "score_mode": "concat"}, {"use_causal_mask": True}),
    ("AdditiveAttention", {}, {}),
    ("AdditiveAttention", {"use_scale": False}, {"use_causal_mask": True}),
])
def test_attention_matches_keras(cls, kwargs, call_kwargs, rng):
    keras = keras_module()
    query, value, key = (rng.randn(2, 5, 4).astype("float32") for _ in range(3))
    ours, ref = getattr(layers, cls)(**kwargs), getattr(keras.layers, cls)(**kwargs)
    ref([query, value, key], **call_kwargs)
    ours([B.convert_to_tensor(t) for t in (query, value, key)], **call_kwargs)
    ours.set_weights(ref.get_weights())
    v, k = B.convert_to_tensor(value), B.convert_to_tensor(key)
    out, grads = _grads(lambda q: ours([q, v, k], **call_kwargs), query, ours.trainable_weights)
    ref_out, ref_grads = _keras_grads(lambda q: ref([q, value, key], **call_kwargs), query, ref.trainable_weights)
    np.testing.assert_allclose(out, ref_out, atol=1e-5, rtol=1e-4)
    for g, rg in zip(grads, ref_grads):
        np.testing.assert_allclose(g, rg, atol=1e-5, rtol=1e-4)


def test_attention_dropout_only_in_training(rng):
    q = B.convert_to_tensor(rng.randn(2, 5, 4).astype("float32"))
    layer = layers.Attention(dropout=0.5, seed=3)
    plain = to_numpy(layer([q, q]))
    assert not np.allclose(to_numpy(layer([q, q], training=True)), plain)
    mha = layers.MultiHeadAttention(2, 2, dropout=0.5, seed=3)
    assert not np.allclose(to_numpy(mha(q, q, training=True)), to_numpy(mha(q, q)))


def test_standard_layer_checks():
    run_layer_test(layers.TimeDistributed, {"layer": layers.Dense(3)}, (2, 5, 4), expected_output_shape=(2, 5, 3))
    for cls, kwargs in [(layers.Attention, {"use_scale": True}), (layers.AdditiveAttention, {})]:
        layer = cls(**kwargs)
        x = B.convert_to_tensor(np.random.randn(2, 5, 4).astype("float32"))
        assert tuple(B.shape(layer([x, x]))) == (2, 5, 4)
        assert cls.from_config(layer.get_config()).get_config() == layer.get_config()
    layer = layers.MultiHeadAttention(2, 3, output_shape=5)
    assert layers.MultiHeadAttention.from_config(layer.get_config()).get_config() == layer.get_config()


def test_bad_input_is_rejected(rng):
    with pytest.raises(ValueError, match="num_heads"):
        layers.MultiHeadAttention(0, 4)
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="cosine")
    x = B.convert_to_tensor(rng.randn(2, 4).astype("float32"))
    with pytest.raises(ValueError, match=r"'mha'.*min_ndim=3.*\(2, 4\)"):
        layers.MultiHeadAttention(2, 4, name="mha")(x, x)
    with pytest.raises(ValueError, match="list"):
        layers.Attention()(x)


@pytest.mark.parametrize("make", [lambda L: L.MultiHeadAttention(num_heads=2, key_dim=3),
                                  lambda L: L.GroupQueryAttention(head_dim=3, num_query_heads=2,
                                                                  num_key_value_heads=1)])
def test_attention_build_takes_softmax_and_dropout_names_as_keras(make):
    """Keras's attention layers build ``Softmax`` and ``Dropout`` sublayers, so the next automatic
    ``dropout`` / ``softmax`` names after one is built are ``dropout_1`` / ``softmax_1``."""
    import kerasport
    keras = keras_module()
    names = []
    for module in (keras, kerasport):
        module.backend.clear_session()
        q = module.Input((4, 6))
        make(module.layers)(q, q)
        names.append([module.layers.Dropout(0.1).name, module.layers.Softmax().name])
    assert names[0] == names[1] == ["dropout_1", "softmax_1"]


def _locality_attention(base, ops):
    """keras.io vit_small_ds's ``MultiHeadAttentionLSA``: ``_compute_attention`` overridden on Keras's private names."""
    class LocalityAttention(base):
        def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                               return_attention_scores=False):
            query = ops.multiply(query, 0.5 / float(self._key_dim) ** 0.5)
            scores = self._masked_softmax(ops.einsum(self._dot_product_equation, key, query), attention_mask)
            output = ops.einsum(self._combine_equation, self._dropout_layer(scores, training=training), value)
            return output, scores
    return LocalityAttention


@pytest.mark.parametrize("call_kwargs", [{"attention_mask": "diagonal"}, {"use_causal_mask": True}],
                         ids=["attention_mask", "causal"])
def test_multi_head_attention_subclass_overrides_compute_attention_as_keras(call_kwargs, rng):
    import kerasport
    keras = keras_module()
    query = rng.randn(2, 5, 8).astype("float32")
    if call_kwargs.get("attention_mask") == "diagonal":
        call_kwargs = {"attention_mask": (1 - np.eye(5, dtype="int8"))[None]}
    ours = _locality_attention(layers.MultiHeadAttention, kerasport.ops)(num_heads=2, key_dim=4)
    ref = _locality_attention(keras.layers.MultiHeadAttention, keras.ops)(num_heads=2, key_dim=4)
    _check(ours, ref, [query, query], call_kwargs)
    plain = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    plain(B.convert_to_tensor(query), B.convert_to_tensor(query))
    plain.set_weights(ours.get_weights())
    kwargs = {k: B.convert_to_tensor(v) if isinstance(v, np.ndarray) else v for k, v in call_kwargs.items()}
    assert not np.allclose(to_numpy(plain(B.convert_to_tensor(query), B.convert_to_tensor(query), **kwargs)),
                           to_numpy(ours(B.convert_to_tensor(query), B.convert_to_tensor(query), **kwargs)))
