"""``kerasport.dtype_policies.DTypePolicyMap`` against Keras 3's: lookups by path and pattern, configs and
serialized forms (read and written both ways), and layers given a map as their ``dtype``."""
import json

import numpy as np
import pytest

import kerasport
from kerasport import dtype_policies
from kerasport.dtype_policies import DTypePolicyMap


def _filled(module, default_policy):
    policy_map = module.dtype_policies.DTypePolicyMap(default_policy=default_policy)
    policy_map["encoder/layer_0/dense"] = "bfloat16"
    policy_map["encoder/.*"] = "float16"
    policy_map["decoder"] = module.dtype_policies.DTypePolicy("bfloat16")
    policy_map["quant/.*"] = "int8_from_float32"
    return policy_map


@pytest.mark.parametrize("default_policy", [None, "float32", "bfloat16"])
def test_lookups_and_config_match_keras(keras, default_policy):
    ours, theirs = _filled(kerasport, default_policy), _filled(keras, default_policy)
    for path in ["encoder/layer_0/dense", "encoder/attention/query", "decoder", "decoder/attention", "quant/q",
                 "other"]:
        assert ours[path].name == theirs[path].name, path
        assert ours[path].quantization_mode == theirs[path].quantization_mode
    for attr in ("name", "compute_dtype", "variable_dtype", "quantization_mode"):
        assert getattr(ours, attr) == getattr(theirs, attr)
    assert len(ours) == len(theirs) == 4 and list(ours) == list(theirs) and ("decoder" in ours)
    want = json.loads(json.dumps(keras.dtype_policies.serialize(theirs)))
    assert json.loads(json.dumps(dtype_policies.serialize(ours))) == want
    back = dtype_policies.deserialize(want)  # Keras's serialized map read by kerasport
    assert isinstance(back, DTypePolicyMap) and back.get_config() == ours.get_config()
    again = keras.dtype_policies.deserialize(dtype_policies.serialize(ours))  # and ours read by Keras
    assert sorted((k, v.name) for k, v in again.items()) == sorted((k, v.name) for k, v in back.items())


def test_ambiguous_duplicate_and_bad_values():
    policy_map = DTypePolicyMap(policy_map={"a/.*": "float16", ".*/b": "bfloat16"})
    with pytest.raises(ValueError, match="matches multiple"):
        policy_map["a/b"]
    with pytest.raises(ValueError, match="already exist"):
        policy_map["a/.*"] = "float32"
    with pytest.raises(ValueError, match="Cannot interpret"):
        policy_map["c"] = 3.5
    with pytest.raises(TypeError, match="must be a dict"):
        DTypePolicyMap(policy_map=[("a", "float32")])
    with pytest.raises(ValueError, match="cannot be a `DTypePolicyMap`"):
        DTypePolicyMap(default_policy=DTypePolicyMap())
    del policy_map["a/.*"]
    assert policy_map["a/b"].name == "bfloat16"


def _mixed_model(keras):
    policy_map = keras.dtype_policies.DTypePolicyMap(default_policy="float32")
    policy_map["hidden"] = "float16"
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, name="hidden", dtype=policy_map)
    outputs = keras.layers.Dense(2, name="out", dtype=policy_map)(hidden(inputs))
    return keras.Model(inputs, outputs), hidden


def test_layers_take_their_policy_by_path(keras):
    model, hidden = _mixed_model(kerasport)
    keras_model, keras_hidden = _mixed_model(keras)
    for ours, theirs in zip(model.layers[1:], keras_model.layers[1:]):
        assert ours.path == theirs.path
        assert (ours.compute_dtype, ours.variable_dtype) == (theirs.compute_dtype, theirs.variable_dtype)
        assert ours.get_config()["dtype"] == keras.dtype_policies.serialize(theirs.dtype_policy)
    model.set_weights(keras_model.get_weights())
    x = np.random.RandomState(0).rand(3, 4).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), keras_model.predict(x, verbose=0), rtol=1e-3, atol=1e-3)
    hidden.dtype_policy = "bfloat16"  # as Keras: a built layer's new policy is its path's entry in the map
    keras_hidden.dtype_policy = "bfloat16"
    assert hidden.compute_dtype == keras_hidden.compute_dtype == "bfloat16"
    assert hidden.dtype_policy["hidden"].name == "bfloat16"


def test_model_config_round_trip():
    model, _ = _mixed_model(kerasport)
    clone = kerasport.Model.from_config(model.get_config())
    clone(np.ones((1, 4), "float32"))
    hidden = clone.get_layer("hidden")
    assert isinstance(hidden.dtype_policy, DTypePolicyMap)
    assert (hidden.compute_dtype, clone.get_layer("out").compute_dtype) == ("float16", "float32")


def _quantized_model(lib, policy):
    policy_map = lib.dtype_policies.DTypePolicyMap(default_policy="float32")
    policy_map["dense"] = policy
    inputs = lib.Input((128,))
    hidden = lib.layers.Dense(8, name="dense", dtype=policy_map)(inputs)
    outputs = lib.layers.Dense(3, name="e", dtype=policy_map)(hidden)
    return lib.Model(inputs, outputs)


@pytest.mark.parametrize("policy", ["int8_from_float32", "int4/64_from_float32", "int4_from_float32",
                                    "float8_from_float32"])
def test_quantized_policy_by_path_matches_keras(keras, policy, tmp_path):
    """A layer whose path maps to a quantized policy builds Keras's quantized weights (int4: the map's block size)
    and computes Keras's outputs; the model's .keras archive loads in Keras."""
    theirs, ours = _quantized_model(keras, policy), _quantized_model(kerasport, policy)
    assert [(w.path, tuple(w.shape), _dtype(w)) for w in ours.weights] == \
        [(w.path, tuple(w.shape), w.dtype) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(0).rand(2, 128).astype("float32")
    want = theirs.predict(x, verbose=0)
    np.testing.assert_allclose(ours.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
    ours.save(tmp_path / "map.keras")
    loaded = keras.saving.load_model(tmp_path / "map.keras")
    assert loaded.get_layer("dense").quantization_mode == ours.get_layer("dense").quantization_mode
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)


def _dtype(variable):
    return kerasport.backend.standardize_dtype(variable.dtype)


def _paths(lib):
    """``layer.path`` of layers in a Sequential, a subclassed model, a Functional block and wrappers."""
    seq = lib.Sequential([lib.Input((4, 8)), lib.layers.Dense(8, name="d1"), lib.layers.Dense(8, name="d2")],
                         name="seq")

    class Block(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = lib.layers.Dense(3, name="inner")

        def build(self, shape):
            self.inner.build(shape)

        def call(self, x):
            return self.inner(x)

    class Outer(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.block = Block(name="block")

        def call(self, x):
            return self.block(x)

    outer = Outer(name="outer")
    outer(np.ones((1, 4), "float32"))
    inputs, block = lib.Input((4,)), Block(name="fblock")
    lib.Model(inputs, block(inputs))
    x = np.ones((1, 2, 4), "float32")
    lstm, bidirectional = lib.layers.LSTM(3, name="lstm"), lib.layers.Bidirectional(lib.layers.GRU(3), name="bi")
    distributed = lib.layers.TimeDistributed(lib.layers.Dense(2, name="tdd"), name="td")
    for layer in (lstm, bidirectional, distributed):
        layer(x)
    return [layer.path for layer in seq.layers + [outer, outer.block, outer.block.inner, block, block.inner, lstm,
                                                  lstm.cell, bidirectional, bidirectional.forward_layer,
                                                  bidirectional.backward_layer, distributed, distributed.layer]]


def test_layer_paths_match_keras(keras):
    """A map is looked up by ``layer.path``: the same paths as Keras's."""
    assert _paths(kerasport) == _paths(keras)


def test_constructor_entries_and_policy_default_round_trip(keras):
    """Keras writes entries given to its constructor as names and a ``DTypePolicy`` default as its config; both
    read back here, and what kerasport writes reads back in Keras."""
    theirs = keras.dtype_policies.DTypePolicyMap(default_policy=keras.dtype_policies.DTypePolicy("mixed_float16"),
                                                 policy_map={"a": "int8_from_mixed_bfloat16"})
    ours = dtype_policies.deserialize(keras.dtype_policies.serialize(theirs))
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == ("map_mixed_float16", "float16", "float32")
    assert ours["a"].name == "int8_from_mixed_bfloat16" and ours["a"].quantization_mode == "int8"
    back = keras.dtype_policies.deserialize(dtype_policies.serialize(ours))
    assert (back.name, back["a"].name) == ("map_mixed_float16", "int8_from_mixed_bfloat16")
