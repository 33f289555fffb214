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


@pytest.mark.parametrize("weight_only", [False, True])
@pytest.mark.parametrize("lora", [False, True])
def test_dense_int8_matches_keras(keras, weight_only, lora):
    x = np.random.RandomState(0).randn(2, 3, 6).astype("float32")
    theirs, ours = keras.layers.Dense(4, activation="tanh"), kerasport.layers.Dense(4, activation="tanh")
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    if lora:
        for layer in (theirs, ours):
            layer.enable_lora(2)
        theirs.lora_kernel_b.assign(np.random.RandomState(2).randn(2, 4).astype("float32"))
        ours.set_weights(theirs.get_weights())
    kconfig = keras.quantizers.Int8QuantizationConfig(activation_quantizer=None) if weight_only else None
    config = kerasport.quantizers.Int8QuantizationConfig(activation_quantizer=None) if weight_only else None
    theirs.quantize("int8", config=kconfig)
    ours.quantize("int8", config=config)
    assert ours.dtype_policy.name == theirs.dtype_policy.name == "int8_from_float32"
    assert [v.name for v in ours.weights] == [v.name for v in theirs.weights]
    assert [v.name for v in ours.trainable_weights] == [v.name for v in theirs.trainable_weights]
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, rtol=1e-6)
    assert B.standardize_dtype(ours._kernel.dtype) == "int8"
    out, grads = _grads(ours, x)
    kout, kgrads = _keras_grads(theirs, x)
    np.testing.assert_allclose(out, kout, atol=1e-5, rtol=1e-5)
    assert len(grads) == len(kgrads)
    for mine, want in zip(grads, kgrads):
        np.testing.assert_allclose(mine, want, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("lora", [False, True])
def test_embedding_int8_matches_keras(keras, lora):
    ids = np.array([[1, 5, 0], [7, 7, 2]])
    theirs, ours = keras.layers.Embedding(8, 5), kerasport.layers.Embedding(8, 5)
    theirs(ids)
    ours(ids)
    ours.set_weights(theirs.get_weights())
    if lora:
        for layer in (theirs, ours):
            layer.enable_lora(3)
        theirs.lora_embeddings_b.assign(np.random.RandomState(3).randn(3, 5).astype("float32"))
        ours.set_weights(theirs.get_weights())
    theirs.quantize("int8")
    ours.quantize("int8")
    assert [v.name for v in ours.weights] == [v.name for v in theirs.weights]
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(ours(ids)), np.asarray(theirs(ids)), atol=1e-6)


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
    einsum = kerasport.layers.EinsumDense("ab,bc->ac", 2)
    einsum.build((None, 3))
    with pytest.raises(NotImplementedError, match="'float8' is not supported"):
        einsum.quantize("float8")
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


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape", [
    ("ab,bc->ac", 4, "c", (3, 5)),
    ("abc,cde->abde", (None, 4, 2), "de", (2, 3, 5)),
    ("abcd,cde->abe", (3, 4), "e", (2, 3, 5, 2)),
    ("ab,bcd->acd", (4, 2), "d", (3, 5)),
    ("abc,cd->abd", (None, 4), None, (2, 3, 5)),
])
@pytest.mark.parametrize("weight_only", [False, True])
def test_einsum_dense_int8_matches_keras(keras, equation, output_shape, bias_axes, input_shape, weight_only):
    x = np.random.RandomState(9).randn(*input_shape).astype("float32")
    kwargs = dict(equation=equation, output_shape=output_shape, bias_axes=bias_axes)
    theirs, ours = keras.layers.EinsumDense(**kwargs), kerasport.layers.EinsumDense(**kwargs)
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    for layer in (theirs, ours):
        layer.enable_lora(2)
    theirs.lora_kernel_b.assign(np.random.RandomState(10).randn(*theirs.lora_kernel_b.shape).astype("float32"))
    ours.set_weights(theirs.get_weights())
    kconfig = keras.quantizers.Int8QuantizationConfig(activation_quantizer=None) if weight_only else None
    config = kerasport.quantizers.Int8QuantizationConfig(activation_quantizer=None) if weight_only else None
    theirs.quantize("int8", config=kconfig)
    ours.quantize("int8", config=config)
    assert [(v.name, tuple(v.shape)) for v in ours.weights] == [(v.name, tuple(v.shape)) for v in theirs.weights]
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, rtol=1e-6)
    out, grads = _grads(ours, x)
    kout, kgrads = _keras_grads(theirs, x)
    np.testing.assert_allclose(out, kout, atol=1e-5, rtol=1e-5)
    for mine, want in zip(grads, kgrads):
        np.testing.assert_allclose(mine, want, atol=1e-5, rtol=1e-4)
    store, kstore = {}, {}
    ours.save_own_variables(store)
    theirs.save_own_variables(kstore)
    assert sorted(store) == sorted(kstore)
    for key in store:  # the LoRA update merged and re-quantized, as Keras saves it
        np.testing.assert_allclose(np.asarray(store[key]).astype("float32"),
                                   np.asarray(kstore[key]).astype("float32"), rtol=1e-5, atol=1e-6)


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


@pytest.mark.parametrize("block_size", ["default", 4, -1])
@pytest.mark.parametrize("lora", [False, True])
def test_dense_int4_matches_keras(keras, block_size, lora):
    x = np.random.RandomState(12).randn(3, 10).astype("float32")
    theirs, ours = keras.layers.Dense(5, activation="relu"), kerasport.layers.Dense(5, activation="relu")
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    if lora:
        for layer in (theirs, ours):
            layer.enable_lora(2)
        theirs.lora_kernel_b.assign(np.random.RandomState(13).randn(2, 5).astype("float32"))
        ours.set_weights(theirs.get_weights())
    kconfig = None if block_size == "default" else keras.quantizers.Int4QuantizationConfig(block_size=block_size)
    config = None if block_size == "default" else kerasport.quantizers.Int4QuantizationConfig(block_size=block_size)
    theirs.quantize("int4", config=kconfig)
    ours.quantize("int4", config=config)
    assert ours.dtype_policy.name == theirs.dtype_policy.name
    assert [(v.name, tuple(v.shape)) for v in ours.weights] == [(v.name, tuple(v.shape)) for v in theirs.weights]
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, rtol=1e-6)
    out, grads = _grads(ours, x)
    kout, kgrads = _keras_grads(theirs, x)
    np.testing.assert_allclose(out, kout, atol=1e-5, rtol=1e-5)
    for mine, want in zip(grads, kgrads):
        np.testing.assert_allclose(mine, want, atol=1e-5, rtol=1e-4)
    store, kstore = {}, {}
    ours.save_own_variables(store)
    theirs.save_own_variables(kstore)
    assert sorted(store) == sorted(kstore)
    for key in store:
        np.testing.assert_allclose(np.asarray(store[key]).astype("float32"),
                                   np.asarray(kstore[key]).astype("float32"), rtol=1e-5, atol=1e-6)


def test_int4_files_both_ways(keras, tmp_path):
    def build(lib):
        inputs = lib.Input((10,))
        return lib.Model(inputs, lib.layers.Dense(3)(lib.layers.Dense(6, activation="relu")(inputs)))
    theirs, ours = build(keras), build(kerasport)
    ours.set_weights(theirs.get_weights())
    for model, lib in ((theirs, keras), (ours, kerasport)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.quantize(config=lib.quantizers.Int4QuantizationConfig(block_size=4))
    x = np.random.RandomState(14).randn(4, 10).astype("float32")
    expected = np.asarray(theirs(x))
    theirs.save(str(tmp_path / "theirs.keras"))
    loaded = kerasport.models.load_model(str(tmp_path / "theirs.keras"))
    assert loaded.layers[1].dtype_policy.name == "int4/4_from_float32"
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, atol=1e-5)
    ours.save(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(np.asarray(keras.models.load_model(str(tmp_path / "ours.keras"))(x)), expected,
                               atol=1e-5)


@pytest.mark.parametrize("block_size", ["default", 2, -1])
@pytest.mark.parametrize("lora", [False, True])
def test_embedding_int4_matches_keras(keras, block_size, lora):
    ids = np.array([[1, 5, 0], [7, 7, 2]])
    theirs, ours = keras.layers.Embedding(8, 5), kerasport.layers.Embedding(8, 5)
    theirs(ids)
    ours(ids)
    ours.set_weights(theirs.get_weights())
    if lora:
        for layer in (theirs, ours):
            layer.enable_lora(2)
        theirs.lora_embeddings_b.assign(np.random.RandomState(15).randn(2, 5).astype("float32"))
        ours.set_weights(theirs.get_weights())
    kconfig = None if block_size == "default" else keras.quantizers.Int4QuantizationConfig(block_size=block_size)
    config = None if block_size == "default" else kerasport.quantizers.Int4QuantizationConfig(block_size=block_size)
    theirs.quantize("int4", config=kconfig)
    ours.quantize("int4", config=config)
    assert ours.dtype_policy.name == theirs.dtype_policy.name
    assert [(v.name, tuple(v.shape)) for v in ours.weights] == [(v.name, tuple(v.shape)) for v in theirs.weights]
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(ours(ids)), np.asarray(theirs(ids)), atol=1e-6)
    store, kstore = {}, {}
    ours.save_own_variables(store)
    theirs.save_own_variables(kstore)
    assert sorted(store) == sorted(kstore)
    for key in store:
        np.testing.assert_allclose(np.asarray(store[key]).astype("float32"),
                                   np.asarray(kstore[key]).astype("float32"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("tie_weights", [True, False])
@pytest.mark.parametrize("weight_only", [False, True])
def test_reversible_embedding_int8_matches_keras(keras, tmp_path, tie_weights, weight_only):
    ids = np.array([[1, 5, 0], [7, 7, 2]])
    hidden = np.random.RandomState(16).randn(2, 3, 5).astype("float32")
    kwargs = dict(input_dim=8, output_dim=5, tie_weights=tie_weights, logit_soft_cap=4.0)
    theirs, ours = keras.layers.ReversibleEmbedding(**kwargs), kerasport.layers.ReversibleEmbedding(**kwargs)
    theirs(ids)
    ours(ids)
    ours.set_weights(theirs.get_weights())
    kconfig = keras.quantizers.Int8QuantizationConfig(activation_quantizer=None) if weight_only else None
    config = kerasport.quantizers.Int8QuantizationConfig(activation_quantizer=None) if weight_only else None
    theirs.quantize("int8", config=kconfig)
    ours.quantize("int8", config=config)
    assert [(v.name, tuple(v.shape)) for v in ours.weights] == [(v.name, tuple(v.shape)) for v in theirs.weights]
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(ours(ids)), np.asarray(theirs(ids)), atol=1e-6)
    np.testing.assert_allclose(to_numpy(ours(B.convert_to_tensor(hidden), reverse=True)),
                               np.asarray(theirs(hidden, reverse=True)), atol=1e-5)
    store, kstore = {}, {}
    ours.save_own_variables(store)
    theirs.save_own_variables(kstore)
    assert sorted(store) == sorted(kstore)
    for key in store:
        np.testing.assert_array_equal(np.asarray(store[key]), np.asarray(kstore[key]))


def test_quantized_einsum_dense_file_both_ways(keras, tmp_path):
    def build(lib):
        inputs = lib.Input((3, 5))
        x = lib.layers.EinsumDense("abc,cde->abde", (3, 4, 2), bias_axes="de")(inputs)
        return lib.Model(inputs, lib.layers.Reshape((3, 8))(x))
    theirs, ours = build(keras), build(kerasport)
    ours.set_weights(theirs.get_weights())
    for model in (theirs, ours):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.quantize("int8")
    x = np.random.RandomState(17).randn(2, 3, 5).astype("float32")
    expected = np.asarray(theirs(x))
    theirs.save(str(tmp_path / "theirs.keras"))
    loaded = kerasport.models.load_model(str(tmp_path / "theirs.keras"))
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, atol=1e-5)
    ours.save(str(tmp_path / "ours.keras"))
    np.testing.assert_allclose(np.asarray(keras.models.load_model(str(tmp_path / "ours.keras"))(x)), expected,
                               atol=1e-5)


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape", [
    ("abc,cde->abde", (None, 4, 2), "de", (2, 3, 6)),
    ("ab,bc->ac", 5, "c", (3, 6)),
])
@pytest.mark.parametrize("block_size", ["default", 4, -1])
def test_einsum_dense_int4_matches_keras(keras, equation, output_shape, bias_axes, input_shape, block_size):
    x = np.random.RandomState(18).randn(*input_shape).astype("float32")
    kwargs = dict(equation=equation, output_shape=output_shape, bias_axes=bias_axes)
    theirs, ours = keras.layers.EinsumDense(**kwargs), kerasport.layers.EinsumDense(**kwargs)
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    for layer in (theirs, ours):
        layer.enable_lora(2)
    theirs.lora_kernel_b.assign(np.random.RandomState(19).randn(*theirs.lora_kernel_b.shape).astype("float32"))
    ours.set_weights(theirs.get_weights())
    kconfig = None if block_size == "default" else keras.quantizers.Int4QuantizationConfig(block_size=block_size)
    config = None if block_size == "default" else kerasport.quantizers.Int4QuantizationConfig(block_size=block_size)
    theirs.quantize("int4", config=kconfig)
    ours.quantize("int4", config=config)
    assert ours.dtype_policy.name == theirs.dtype_policy.name
    assert [(v.name, tuple(v.shape)) for v in ours.weights] == [(v.name, tuple(v.shape)) for v in theirs.weights]
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, rtol=1e-6)
    out, grads = _grads(ours, x)
    kout, kgrads = _keras_grads(theirs, x)
    np.testing.assert_allclose(out, kout, atol=1e-5, rtol=1e-5)
    for mine, want in zip(grads, kgrads):
        np.testing.assert_allclose(mine, want, atol=1e-5, rtol=1e-4)
    store, kstore = {}, {}
    ours.save_own_variables(store)
    theirs.save_own_variables(kstore)
    assert sorted(store) == sorted(kstore)
    for key in store:
        np.testing.assert_allclose(np.asarray(store[key]).astype("float32"),
                                   np.asarray(kstore[key]).astype("float32"), rtol=1e-5, atol=1e-6)
