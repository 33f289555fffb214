"""int8 quantization of Dense and Embedding (``quantize``, the quantized policies, files) against Keras 3."""
import warnings

import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy


@pytest.fixture(scope="module")
def keras():
    return keras_module()


def _grads(layer, x):
    """``layer(x)`` and the gradients of ``sum(y * r)`` (``r`` random, seed 1) w.r.t. ``x`` and the trainable
    weights."""
    if B.NAME == "torch":
        import torch
        xt = torch.tensor(x, requires_grad=True)
        out = layer(xt)
        r = np.random.RandomState(1).randn(*out.shape).astype("float32")
        grads = torch.autograd.grad((out * torch.tensor(r)).sum(), [xt] + list(layer.trainable_weights))
    else:
        import tensorflow as tf
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            out = layer(xt)
            r = np.random.RandomState(1).randn(*out.shape).astype("float32")
            loss = tf.reduce_sum(out * r)
        grads = tape.gradient(loss, [xt] + list(layer.trainable_weights))
    return to_numpy(out), [to_numpy(g) for g in grads]


def _keras_grads(layer, x):
    import tensorflow as tf
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = layer(xt)
        loss = tf.reduce_sum(out * np.random.RandomState(1).randn(*out.shape).astype("float32"))
    return np.asarray(out), [np.asarray(g) for g in tape.gradient(loss, [xt] + list(layer.trainable_weights))]


def _pair(keras, name, x, lora_rank=0, seed=0, **kwargs):
    """Keras's layer ``name`` and ours, built on ``x`` with Keras's weights; with ``lora_rank``, both with LoRA
    enabled and a random ``lora_*_b`` (seed ``seed``), so the adapters change the outputs."""
    theirs, ours = getattr(keras.layers, name)(**kwargs), getattr(kerasport.layers, name)(**kwargs)
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    if lora_rank:
        for layer in (theirs, ours):
            layer.enable_lora(lora_rank)
        b = theirs.lora_embeddings_b if name == "Embedding" else theirs.lora_kernel_b
        b.assign(np.random.RandomState(seed).randn(*b.shape).astype("float32"))
        ours.set_weights(theirs.get_weights())
    return theirs, ours


def _config(lib, mode, option):
    """The config of ``quantize(mode, config=...)``: None for ``"default"``, int8 weight-only for
    ``"weight_only"``, else an int4 config with block size ``option``."""
    if option == "default":
        return None
    if option == "weight_only":
        return lib.quantizers.Int8QuantizationConfig(activation_quantizer=None)
    return lib.quantizers.Int4QuantizationConfig(block_size=option)


def _quantize_both(keras, theirs, ours, mode, option):
    theirs.quantize(mode, config=_config(keras, mode, option))
    ours.quantize(mode, config=_config(kerasport, mode, option))
    assert ours.dtype_policy.name == theirs.dtype_policy.name


def _assert_same_weights(ours, theirs):
    assert [(v.name, tuple(v.shape)) for v in ours.weights] == [(v.name, tuple(v.shape)) for v in theirs.weights]
    assert [v.name for v in ours.trainable_weights] == [v.name for v in theirs.trainable_weights]
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, rtol=1e-6)


def _assert_same_grads(ours, theirs, x):
    out, grads = _grads(ours, x)
    kout, kgrads = _keras_grads(theirs, x)
    np.testing.assert_allclose(out, kout, atol=1e-5, rtol=1e-5)
    assert len(grads) == len(kgrads)
    for mine, want in zip(grads, kgrads):
        np.testing.assert_allclose(mine, want, atol=1e-5, rtol=1e-4)


def _assert_same_store(ours, theirs, exact=False):
    """The variables ``save_own_variables`` writes (a LoRA update merged and re-quantized) equal Keras's."""
    store, kstore = {}, {}
    ours.save_own_variables(store)
    theirs.save_own_variables(kstore)
    assert sorted(store) == sorted(kstore)
    for key in store:
        if exact:
            np.testing.assert_array_equal(np.asarray(store[key]), np.asarray(kstore[key]))
        else:
            np.testing.assert_allclose(np.asarray(store[key]).astype("float32"),
                                       np.asarray(kstore[key]).astype("float32"), rtol=1e-5, atol=1e-6)


MODES = [("int8", "default"), ("int8", "weight_only"), ("int4", "default"), ("int4", 4), ("int4", -1)]


@pytest.mark.parametrize("mode,option", MODES)
@pytest.mark.parametrize("lora", [False, True])
def test_dense_quantized_matches_keras(keras, mode, option, lora):
    x = np.random.RandomState(0).randn(2, 3, 10).astype("float32")
    theirs, ours = _pair(keras, "Dense", x, lora_rank=2 if lora else 0, seed=2, units=5, activation="tanh")
    _quantize_both(keras, theirs, ours, mode, option)
    assert ours.dtype_policy.name.startswith(mode) and ours.dtype_policy.name.endswith("_from_float32")
    _assert_same_weights(ours, theirs)
    assert B.standardize_dtype(ours._kernel.dtype) == "int8"
    _assert_same_grads(ours, theirs, x)
    _assert_same_store(ours, theirs)


@pytest.mark.parametrize("mode,option,lora_rank", [("int8", "default", 0), ("int8", "default", 3),
                                                   ("int4", "default", 0), ("int4", "default", 2),
                                                   ("int4", 2, 0), ("int4", 2, 2), ("int4", -1, 0), ("int4", -1, 2)])
def test_embedding_quantized_matches_keras(keras, mode, option, lora_rank):
    ids = np.array([[1, 5, 0], [7, 7, 2]])
    theirs, ours = _pair(keras, "Embedding", ids, lora_rank=lora_rank, seed=3, input_dim=8, output_dim=5)
    _quantize_both(keras, theirs, ours, mode, option)
    _assert_same_weights(ours, theirs)
    np.testing.assert_allclose(to_numpy(ours(ids)), np.asarray(theirs(ids)), atol=1e-6)
    _assert_same_store(ours, theirs)


def test_mixed_bfloat16_source_policy(keras):
    x = np.random.RandomState(4).randn(3, 6).astype("float32")
    theirs = keras.layers.Dense(4, dtype="mixed_bfloat16")
    ours = kerasport.layers.Dense(4, dtype="mixed_bfloat16")
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    theirs.quantize("int8")
    ours.quantize("int8")
    assert ours.dtype_policy.name == "int8_from_mixed_bfloat16"
    assert (ours.compute_dtype, ours.variable_dtype) == ("bfloat16", "float32")
    out = to_numpy(B.cast(ours(x), "float32"))
    np.testing.assert_allclose(out, np.asarray(theirs(x)).astype("float32"), atol=2e-2, rtol=2e-2)
    with pytest.raises(ValueError, match="float16"):
        half = kerasport.layers.Dense(2, dtype="mixed_float16")
        half.build((None, 3))
        half.quantize("int8")


def test_policies_by_name_and_config(keras):
    for name in ("int8_from_float32", "int8_from_mixed_bfloat16", "float8_from_float32", "int4/64_from_float32",
                 "int4_from_bfloat16"):
        ours, theirs = kerasport.dtype_policies.get(name), keras.dtype_policies.get(name)
        assert type(ours).__name__ == type(theirs).__name__
        assert (ours.name, ours.compute_dtype, ours.variable_dtype, ours.quantization_mode) == (
            theirs.name, theirs.compute_dtype, theirs.variable_dtype, theirs.quantization_mode)
        written = keras.dtype_policies.serialize(theirs)
        assert kerasport.dtype_policies.serialize(ours) == written
        assert kerasport.dtype_policies.get(written).name == name
    assert kerasport.dtype_policies.get("float32").quantization_mode is None
    with pytest.raises(ValueError, match="mode"):
        kerasport.dtype_policies.get("int8_float32")
    for mode, source in (("int8", "float16"), ("int3", "float32")):  # the mode checks, with Keras's messages
        with pytest.raises(ValueError) as want:
            keras.dtype_policies.QuantizedDTypePolicy(mode, source)
        with pytest.raises(ValueError) as got:
            kerasport.dtype_policies.QuantizedDTypePolicy(mode, source)
        assert str(got.value) == str(want.value)


def _models(keras_lib, ours_lib):
    def build(lib):
        inputs = lib.Input((4,), dtype="int32")
        x = lib.layers.Flatten()(lib.layers.Embedding(10, 3)(inputs))
        x = lib.layers.Dense(6, activation="relu")(x)
        return lib.Model(inputs, lib.layers.Dense(2)(x))
    return build(keras_lib), build(ours_lib)


def test_model_quantize_and_train_as_keras(keras):
    theirs, ours = _models(keras, kerasport)
    ours.set_weights(theirs.get_weights())
    for model in (theirs, ours):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.quantize("int8", filters=lambda layer: layer.name != model.layers[-1].name)
        assert any("InputLayer" in str(w.message) for w in caught)
    assert [layer.dtype_policy.name for layer in ours.layers[1:]] == [
        layer.dtype_policy.name for layer in theirs.layers[1:]]
    assert ours.layers[-1].quantization_mode is None and ours.layers[1].quantization_mode == "int8"
    for layer in (theirs.layers[3], ours.layers[3]):
        layer.enable_lora(2)
    ours.set_weights(theirs.get_weights())
    rng = np.random.RandomState(5)
    x, y = rng.randint(0, 10, size=(8, 4)), rng.randn(8, 2).astype("float32")
    frozen = [to_numpy(v) for v in ours.non_trainable_weights]
    for model in (theirs, ours):
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, atol=1e-5, rtol=1e-4)
    for before, v in zip(frozen, ours.non_trainable_weights):
        np.testing.assert_array_equal(to_numpy(v), before)
    np.testing.assert_allclose(to_numpy(ours.predict(x, verbose=0)), theirs.predict(x, verbose=0), atol=1e-5)


@pytest.mark.parametrize("fmt", [".keras", ".weights.h5"])
def test_quantized_files_both_ways(keras, tmp_path, fmt):
    theirs, ours = _models(keras, kerasport)
    ours.set_weights(theirs.get_weights())
    for model in (theirs, ours):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.quantize("int8")
    theirs.layers[3].enable_lora(2)
    theirs.layers[3].lora_kernel_b.assign(np.random.RandomState(6).randn(2, 6).astype("float32"))
    ours.layers[3].enable_lora(2)
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(7).randint(0, 10, size=(5, 4))
    path = str(tmp_path / f"theirs{fmt}")
    theirs.save(path) if fmt == ".keras" else theirs.save_weights(path)
    keras_reloaded = keras.models.load_model(path) if fmt == ".keras" else None
    if fmt == ".keras":
        loaded = kerasport.models.load_model(path)
        assert loaded.layers[3].dtype_policy.name == "int8_from_float32" and loaded.layers[3].lora_enabled
    else:
        loaded = _models(keras, kerasport)[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded.quantize("int8")
        loaded.layers[3].enable_lora(2)
        loaded.load_weights(path)
        keras_reloaded = _models(keras, kerasport)[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            keras_reloaded.quantize("int8")
        keras_reloaded.layers[3].enable_lora(2)
        keras_reloaded.load_weights(path)
    # The file holds the LoRA update merged and re-quantized: Keras's own reload is the reference.
    expected = np.asarray(keras_reloaded(x))
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, atol=1e-5)
    assert not np.any(to_numpy(loaded.layers[3].lora_kernel_b))
    path = str(tmp_path / f"ours{fmt}")
    ours.save(path) if fmt == ".keras" else ours.save_weights(path)
    if fmt == ".keras":
        back = keras.models.load_model(path)
    else:
        back = _models(keras, kerasport)[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            back.quantize("int8")
        back.layers[3].enable_lora(2)
        back.load_weights(path)
    np.testing.assert_allclose(np.asarray(back(x)), expected, atol=1e-5)


def test_quantize_errors_as_keras():
    layer = kerasport.layers.Dense(2)
    with pytest.raises(ValueError, match="isn't yet built"):
        layer.quantize("int8")
    layer.build((None, 3))
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        layer.quantize("int3")
    with pytest.raises(ValueError, match="either `mode` or `config`"):
        layer.quantize()
    with pytest.raises(ValueError, match="Contradictory"):
        layer.quantize("int4", config=kerasport.quantizers.Int8QuantizationConfig())
    with pytest.raises(NotImplementedError, match="GPTQ"):
        layer.quantize("gptq")
    layer.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        layer.quantize("int8")

    class MyDense(kerasport.layers.Dense):
        pass

    sub = MyDense(2)
    sub.build((None, 3))
    with pytest.raises(NotImplementedError, match="MyDense does not have a `quantize`"):
        sub.quantize("int8")
    embedding = kerasport.layers.Embedding(4, 2)
    embedding.build()
    with pytest.raises(NotImplementedError, match="'float8' is not supported"):
        embedding.quantize("float8")
    conv = kerasport.layers.Conv1D(2, 2)
    conv.build((None, 4, 3))
    with pytest.raises(NotImplementedError, match="Conv1D does not have a `quantize`"):
        conv.quantize("int8")


def test_setting_a_quantized_policy_quantizes(keras):
    x = np.random.RandomState(8).randn(2, 3).astype("float32")
    layer = kerasport.layers.Dense(2)
    layer(x)
    layer.dtype_policy = "int8_from_float32"
    assert layer.quantization_mode == "int8" and B.standardize_dtype(layer._kernel.dtype) == "int8"
    built = kerasport.layers.Dense(2, dtype="int8_from_float32")
    built.build((None, 3))
    assert [(v.name, B.standardize_dtype(v.dtype)) for v in built.weights] == [
        ("bias", "float32"), ("kernel", "int8"), ("kernel_scale", "float32")]


def test_einsum_dense_int8_with_ellipsis_equals_the_spelled_out_equation():
    """Keras 3.15 cannot quantize an equation with ``...`` (a TypeError); kerasport can: its numbers are those
    of the same equation with the dims spelled out, which Keras's oracle covers above."""
    x = np.random.RandomState(11).randn(2, 3, 5).astype("float32")
    short = kerasport.layers.EinsumDense("...b,bc->...c", 4, bias_axes="c")
    spelled = kerasport.layers.EinsumDense("abc,cd->abd", (None, 4), bias_axes="d")
    short(x)
    spelled(x)
    spelled.set_weights(short.get_weights())
    float_out = to_numpy(short(x))
    for layer in (short, spelled):
        layer.quantize("int8")
    for mine, want in zip(short.get_weights(), spelled.get_weights()):
        np.testing.assert_array_equal(mine, want)
    out, grads = _grads(short, x)
    want, want_grads = _grads(spelled, x)
    np.testing.assert_allclose(out, want, atol=1e-6)
    for mine, expected in zip(grads, want_grads):
        np.testing.assert_allclose(mine, expected, atol=1e-6)
    assert 0 < np.abs(out - float_out).max() < 0.05


@pytest.mark.parametrize("tie_weights", [True, False])
@pytest.mark.parametrize("option", ["default", "weight_only"])
def test_reversible_embedding_int8_matches_keras(keras, tie_weights, option):
    ids = np.array([[1, 5, 0], [7, 7, 2]])
    hidden = np.random.RandomState(16).randn(2, 3, 5).astype("float32")
    theirs, ours = _pair(keras, "ReversibleEmbedding", ids, input_dim=8, output_dim=5, tie_weights=tie_weights,
                         logit_soft_cap=4.0)
    _quantize_both(keras, theirs, ours, "int8", option)
    _assert_same_weights(ours, theirs)
    np.testing.assert_allclose(to_numpy(ours(ids)), np.asarray(theirs(ids)), atol=1e-6)
    np.testing.assert_allclose(to_numpy(ours(B.convert_to_tensor(hidden), reverse=True)),
                               np.asarray(theirs(hidden, reverse=True)), atol=1e-5)
    _assert_same_store(ours, theirs, exact=True)


EINSUM_INT8 = [("ab,bc->ac", 4, "c", (3, 5)), ("abc,cde->abde", (None, 4, 2), "de", (2, 3, 5)),
               ("abcd,cde->abe", (3, 4), "e", (2, 3, 5, 2)), ("ab,bcd->acd", (4, 2), "d", (3, 5)),
               ("abc,cd->abd", (None, 4), None, (2, 3, 5))]
EINSUM_INT4 = [("abc,cde->abde", (None, 4, 2), "de", (2, 3, 6)), ("ab,bc->ac", 5, "c", (3, 6))]


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape,mode,option", [
    *[(*case, "int8", option) for case in EINSUM_INT8 for option in ("default", "weight_only")],
    *[(*case, "int4", option) for case in EINSUM_INT4 for option in ("default", 4, -1)]])
def test_einsum_dense_quantized_matches_keras(keras, equation, output_shape, bias_axes, input_shape, mode, option):
    x = np.random.RandomState(9).randn(*input_shape).astype("float32")
    theirs, ours = _pair(keras, "EinsumDense", x, lora_rank=2, seed=10, equation=equation,
                         output_shape=output_shape, bias_axes=bias_axes)
    _quantize_both(keras, theirs, ours, mode, option)
    _assert_same_weights(ours, theirs)
    _assert_same_grads(ours, theirs, x)
    _assert_same_store(ours, theirs)


def _dense_model(lib):
    inputs = lib.Input((10,))
    return lib.Model(inputs, lib.layers.Dense(3)(lib.layers.Dense(6, activation="relu")(inputs)))


def _einsum_model(lib):
    inputs = lib.Input((3, 5))
    x = lib.layers.EinsumDense("abc,cde->abde", (3, 4, 2), bias_axes="de")(inputs)
    return lib.Model(inputs, lib.layers.Reshape((3, 8))(x))


@pytest.mark.parametrize("build,input_shape,mode,option,policy", [
    (_dense_model, (4, 10), "int4", 4, "int4/4_from_float32"),
    (_einsum_model, (2, 3, 5), "int8", "default", "int8_from_float32")])
def test_quantized_keras_file_both_ways(keras, tmp_path, build, input_shape, mode, option, policy):
    theirs, ours = build(keras), build(kerasport)
    ours.set_weights(theirs.get_weights())
    for model, lib in ((theirs, keras), (ours, kerasport)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.quantize(mode, config=_config(lib, mode, option))
    x = np.random.RandomState(14).randn(*input_shape).astype("float32")
    expected = np.asarray(theirs(x))
    theirs.save(str(tmp_path / "theirs.keras"))
    loaded = kerasport.models.load_model(str(tmp_path / "theirs.keras"))
    assert loaded.layers[1].dtype_policy.name == policy
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, atol=1e-5)
    ours.save(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(np.asarray(keras.models.load_model(str(tmp_path / "ours.keras"))(x)), expected,
                               atol=1e-5)

