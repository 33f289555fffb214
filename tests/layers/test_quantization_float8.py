"""float8 training (``quantize("float8")``: Dense, EinsumDense) and the quantization of MultiHeadAttention's
projections, against Keras 3."""
import warnings

import numpy as np
import pytest

import kerasport
from tests.helpers import keras_module, to_numpy


@pytest.fixture(scope="module")
def keras():
    return keras_module()


def _float8_model(lib):
    inputs = lib.Input((6,))
    x = lib.layers.Dense(8, activation="relu")(inputs)
    return lib.Model(inputs, lib.layers.EinsumDense("ab,bc->ac", 3, bias_axes="c")(x))


def test_float8_training_matches_keras(keras, tmp_path):
    """``quantize("float8")`` on Dense and EinsumDense: Keras's variables, and a few ``fit`` steps give Keras's
    weights, scales and amax histories (delayed scaling: the backward pass writes them); the ``.keras`` files
    move both ways."""
    keras.backend.clear_session()  # the same layer names (and so paths) on both sides
    kerasport.backend.clear_session()
    theirs, ours = _float8_model(keras), _float8_model(kerasport)
    ours.set_weights(theirs.get_weights())
    for model in (theirs, ours):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.quantize("float8")
    assert [layer.dtype_policy.name for layer in ours.layers] == [layer.dtype_policy.name for layer in theirs.layers]
    assert [v.path for v in ours.weights] == [v.path for v in theirs.weights]
    assert [v.path for v in ours.trainable_weights] == [v.path for v in theirs.trainable_weights]
    assert all(v.overwrite_with_gradient for v in ours.weights if "scale" in v.path or "amax" in v.path)
    rng = np.random.RandomState(20)
    x, y = rng.randn(24, 6).astype("float32") * 3, rng.randn(24, 3).astype("float32")
    np.testing.assert_allclose(to_numpy(ours(x)), np.asarray(theirs(x)), atol=1e-6)
    for model in (theirs, ours):
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, rtol=1e-4, atol=1e-6)
    assert not np.all(ours.get_weights()[3] == 0)  # dense/inputs_amax_history was written
    expected = np.asarray(theirs(x))
    np.testing.assert_allclose(to_numpy(ours(x)), expected, atol=1e-5)
    theirs.save(str(tmp_path / "theirs.keras"))
    loaded = kerasport.models.load_model(str(tmp_path / "theirs.keras"))
    assert loaded.layers[1].dtype_policy.name == "float8_from_float32"
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, atol=1e-5)
    ours.save(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(np.asarray(keras.models.load_model(str(tmp_path / "ours.keras"))(x)), expected,
                               atol=1e-5)


def test_float8_refusals():
    """LoRA on a float8 layer raises in ``call``, as in Keras; ``gradient_accumulation_steps`` with float8's
    overwritten variables is refused by name."""
    layer = kerasport.layers.Dense(2)
    layer.build((None, 3))
    layer.quantize("float8")
    layer.enable_lora(1)
    with pytest.raises(NotImplementedError, match="LoRA"):
        layer(np.ones((1, 3), "float32"))
    model = _float8_model(kerasport)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.quantize("float8")
    model.compile(optimizer=kerasport.optimizers.Adam(gradient_accumulation_steps=2), loss="mse")
    with pytest.raises(NotImplementedError, match="gradient_accumulation_steps"):
        model.fit(np.ones((4, 6), "float32"), np.ones((4, 3), "float32"), verbose=0)


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_multi_head_attention_quantizes_as_keras(keras, mode):
    """``model.quantize`` reaches MultiHeadAttention's query / key / value / output projections (EinsumDense
    layers, as in Keras): same policies, variables and outputs."""
    keras.backend.clear_session()
    kerasport.backend.clear_session()

    def build(lib):
        inputs = lib.Input((5, 8))
        return lib.Model(inputs, lib.layers.MultiHeadAttention(num_heads=2, key_dim=4)(inputs, inputs))
    theirs, ours = build(keras), build(kerasport)
    ours.set_weights(theirs.get_weights())
    for model in (theirs, ours):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.quantize(mode)
    mha, kmha = ours.layers[1], theirs.layers[1]
    names = ("query", "key", "value", "attention_output")
    assert sorted(v.path for v in ours.weights) == sorted(v.path for v in theirs.weights)
    assert {layer.name: layer.dtype_policy.name for layer in mha._flatten_layers(include_self=False)
            if layer.name in names} == {layer.name: layer.dtype_policy.name
                                        for layer in kmha._flatten_layers(include_self=False) if layer.name in names}
    x = np.random.RandomState(21).randn(2, 5, 8).astype("float32")
    np.testing.assert_allclose(to_numpy(ours(x)), np.asarray(theirs(x)), atol=1e-5)
