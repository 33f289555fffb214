"""LoRA on Dense, EinsumDense, Embedding, ReversibleEmbedding and Conv1D/2D/3D, against Keras 3 on the same
weights."""
import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, to_numpy


@pytest.fixture(scope="module")
def keras():
    return keras_module()


def _randomize_lora_b(layer, seed=0):
    """Give Keras's ``lora_*_b`` (zeros at first) random values, so that the update counts."""
    rng = np.random.RandomState(seed)
    for v in layer.weights:
        if v.name.startswith("lora_") and v.name.endswith("_b"):
            v.assign(rng.randn(*v.shape).astype("float32"))


def test_dense_lora_matches_keras(keras):
    x = np.random.RandomState(0).randn(5, 4).astype("float32")
    theirs = keras.layers.Dense(3, activation="relu", lora_rank=2)
    theirs(x)
    _randomize_lora_b(theirs)
    ours = kerasport.layers.Dense(3, activation="relu", lora_rank=2)
    keras_oracle(ours, theirs, x)
    assert [v.name for v in ours.weights] == [v.name for v in theirs.weights]
    assert [v.name for v in ours.trainable_weights] == ["bias", "lora_kernel_a", "lora_kernel_b"]
    assert [v.name for v in ours.non_trainable_weights] == ["kernel"]
    np.testing.assert_allclose(to_numpy(ours.kernel), np.asarray(theirs.kernel), atol=1e-6)


def test_enable_lora_with_alpha_matches_keras(keras):
    x = np.random.RandomState(1).randn(2, 3, 4).astype("float32")
    theirs = keras.layers.Dense(6)
    theirs(x)
    theirs.enable_lora(3, lora_alpha=12)
    _randomize_lora_b(theirs, 1)
    ours = kerasport.layers.Dense(6)
    ours(x)
    ours.enable_lora(3, lora_alpha=12)
    assert (ours.lora_rank, ours.lora_alpha, ours.lora_enabled) == (3, 12, True)
    keras_oracle(ours, theirs, x)
    assert ours.get_config()["lora_rank"] == 3 and ours.get_config()["lora_alpha"] == 12


def test_constructor_alpha_is_ignored_by_dense_build_as_in_keras(keras):
    ours, theirs = kerasport.layers.Dense(2, lora_rank=2, lora_alpha=8), keras.layers.Dense(2, lora_rank=2,
                                                                                          lora_alpha=8)
    ours.build((None, 3))
    theirs.build((None, 3))
    assert ours.lora_alpha == theirs.lora_alpha == 2


def test_einsum_dense_lora_matches_keras(keras):
    x = np.random.RandomState(2).randn(2, 3, 4).astype("float32")
    kwargs = dict(equation="abc,cde->abde", output_shape=(None, 5, 2), bias_axes="de", lora_rank=2, lora_alpha=4)
    theirs = keras.layers.EinsumDense(**kwargs)
    theirs(x)
    _randomize_lora_b(theirs, 2)
    ours = kerasport.layers.EinsumDense(**kwargs)
    keras_oracle(ours, theirs, x)
    assert [tuple(v.shape) for v in ours.weights] == [(4, 5, 2), (5, 2), (4, 5, 2), (2, 2)]
    assert [v.name for v in ours.weights] == [v.name for v in theirs.weights]
    assert ours.lora_alpha == 4


@pytest.mark.parametrize("cls", ["Embedding", "ReversibleEmbedding"])
def test_embedding_lora_matches_keras(keras, cls):
    ids = np.array([[1, 2, 0], [4, 4, 3]])
    theirs = getattr(keras.layers, cls)(6, 4, lora_rank=2)
    theirs(ids)
    _randomize_lora_b(theirs, 3)
    ours = getattr(kerasport.layers, cls)(6, 4, lora_rank=2)
    ours(ids)
    ours.set_weights(theirs.get_weights())
    assert [v.name for v in ours.weights] == [v.name for v in theirs.weights] == [
        "embeddings", "lora_embeddings_a", "lora_embeddings_b"]
    assert [v.name for v in ours.trainable_weights] == ["lora_embeddings_a", "lora_embeddings_b"]
    np.testing.assert_allclose(to_numpy(ours(ids)), np.asarray(theirs(ids)), atol=1e-6)
    if cls == "ReversibleEmbedding":
        h = np.random.RandomState(4).randn(2, 4).astype("float32")
        np.testing.assert_allclose(to_numpy(ours(B.convert_to_tensor(h), reverse=True)),
                                   np.asarray(theirs(h, reverse=True)), atol=1e-5)


@pytest.mark.parametrize("cls, shape", [("Conv1D", (2, 7, 3)), ("Conv2D", (2, 6, 5, 3)), ("Conv3D", (1, 4, 4, 4, 2))])
def test_conv_lora_matches_keras(keras, cls, shape):
    x = np.random.RandomState(11).randn(*shape).astype("float32")
    kwargs = dict(filters=4, kernel_size=3, padding="same", activation="relu", lora_rank=2, lora_alpha=6)
    theirs = getattr(keras.layers, cls)(**kwargs)
    theirs(x)
    _randomize_lora_b(theirs, 11)
    ours = getattr(kerasport.layers, cls)(**kwargs)
    keras_oracle(ours, theirs, x)
    assert [v.name for v in ours.weights] == [v.name for v in theirs.weights] == [
        "kernel", "bias", "lora_kernel_a", "lora_kernel_b"]
    assert [v.name for v in ours.trainable_weights] == ["bias", "lora_kernel_a", "lora_kernel_b"]
    assert ours.lora_alpha == theirs.lora_alpha == 6  # the convolutions' build keeps the constructor's alpha
    assert ours.get_config()["lora_rank"] == 2 and ours.get_config()["lora_alpha"] == 6
    np.testing.assert_allclose(to_numpy(ours.kernel), np.asarray(theirs.kernel), atol=1e-6)


@pytest.mark.parametrize("fmt", [".keras", ".weights.h5"])
def test_conv_lora_files_hold_the_merged_kernel_both_ways(keras, tmp_path, fmt):
    def build(lib):
        inputs = lib.Input((6, 6, 2))
        x = lib.layers.Conv2D(3, 3, activation="tanh", lora_rank=2)(inputs)
        return lib.Model(inputs, lib.layers.Dense(2)(lib.layers.Flatten()(x)))

    theirs, ours = build(keras), build(kerasport)
    _randomize_lora_b(theirs.layers[1], 12)
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(12).randn(3, 6, 6, 2).astype("float32")
    expected = np.asarray(theirs(x))
    for writer, reader in ((ours, keras), (theirs, kerasport)):
        path = str(tmp_path / f"{'ours' if writer is ours else 'theirs'}{fmt}")
        writer.save(path) if fmt == ".keras" else writer.save_weights(path)
        loaded = reader.models.load_model(path) if fmt == ".keras" else build(reader)
        if fmt != ".keras":
            loaded.load_weights(path)
        value = to_numpy if reader is kerasport else np.asarray
        np.testing.assert_allclose(value(loaded(x)), expected, atol=1e-5)
        assert loaded.layers[1].lora_enabled and not np.any(value(loaded.layers[1].lora_kernel_b))


def _pair(keras_lib, ours_lib):
    """The same small LoRA model built with Keras and with kerasport."""
    def build(lib):
        inputs = lib.Input((3,), dtype="int32")
        x = lib.layers.Embedding(8, 4, lora_rank=2)(inputs)
        x = lib.layers.Flatten()(x)
        x = lib.layers.Dense(5, activation="tanh", lora_rank=2)(x)
        x = lib.layers.EinsumDense("ab,bc->ac", 2, bias_axes="c", lora_rank=1, lora_alpha=3)(x)
        return lib.Model(inputs, x)
    return build(keras_lib), build(ours_lib)


def test_fit_trains_only_the_adapters_as_keras(keras):
    theirs, ours = _pair(keras, kerasport)
    for layer in theirs.layers:
        _randomize_lora_b(layer, 5)
    ours.set_weights(theirs.get_weights())
    frozen = {v.path: to_numpy(v) for v in ours.non_trainable_weights}
    assert sorted(p.rsplit("/", 1)[1] for p in frozen) == ["embeddings", "kernel", "kernel"]
    rng = np.random.RandomState(6)
    x, y = rng.randint(0, 8, size=(16, 3)), rng.randn(16, 2).astype("float32")
    for model in (theirs, ours):
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for mine, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, want, atol=1e-5, rtol=1e-4)
    for v in ours.non_trainable_weights:
        np.testing.assert_array_equal(to_numpy(v), frozen[v.path])
    np.testing.assert_allclose(to_numpy(ours(x)), np.asarray(theirs(x)), atol=1e-5)


@pytest.mark.parametrize("fmt", [".keras", ".weights.h5"])
def test_files_hold_the_merged_kernel_both_ways(keras, tmp_path, fmt):
    theirs, ours = _pair(keras, kerasport)
    for layer in theirs.layers:
        _randomize_lora_b(layer, 7)
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(8).randint(0, 8, size=(4, 3))
    expected = np.asarray(theirs(x))
    # kerasport writes, kerasport and Keras read.
    path = str(tmp_path / f"ours{fmt}")
    ours.save(path) if fmt == ".keras" else ours.save_weights(path)
    if fmt == ".keras":
        again, keras_again = kerasport.models.load_model(path), keras.models.load_model(path)
    else:
        again, keras_again = _pair(keras, kerasport)[1], _pair(keras, kerasport)[0]
        again.load_weights(path)
        keras_again.load_weights(path)
    np.testing.assert_allclose(to_numpy(again(x)), expected, atol=1e-5)
    np.testing.assert_allclose(np.asarray(keras_again(x)), expected, atol=1e-5)
    lora = [v for v in again.weights if v.name.startswith("lora_") and v.name.endswith("_b")]
    assert len(lora) == 3 and all(not np.any(to_numpy(v)) for v in lora)
    # Keras writes, kerasport reads.
    path = str(tmp_path / f"theirs{fmt}")
    theirs.save(path) if fmt == ".keras" else theirs.save_weights(path)
    if fmt == ".keras":
        loaded = kerasport.models.load_model(path)
    else:
        loaded = _pair(keras, kerasport)[1]
        loaded.load_weights(path)
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, atol=1e-5)
    assert loaded.layers[1].lora_enabled and loaded.layers[1].lora_rank == 2


def test_bad_lora_calls_raise_clear_errors():
    layer = kerasport.layers.Dense(2)
    with pytest.raises(ValueError, match="isn't yet built"):
        layer.enable_lora(2)
    layer.build((None, 3))
    with pytest.raises(ValueError, match="rank"):
        layer.enable_lora(0)
    layer.enable_lora(2)
    with pytest.raises(ValueError, match="already enabled"):
        layer.enable_lora(2)
    constrained = kerasport.layers.Embedding(4, 2, embeddings_constraint="non_neg")
    constrained.build()
    with pytest.raises(ValueError, match="embeddings_constraint"):
        constrained.enable_lora(2)
    with pytest.raises(ValueError, match="lora_rank"):
        kerasport.layers.Conv2DTranspose(2, 3, lora_rank=2)
    constrained = kerasport.layers.Conv2D(2, 3, kernel_constraint="non_neg")
    constrained.build((None, 5, 5, 1))
    with pytest.raises(ValueError, match="kernel_constraint"):
        constrained.enable_lora(2)


def _lora_dense_model(lib, seed=9):
    """A model whose first Dense has LoRA enabled after build (``enable_lora``), its ``lora_kernel_b`` random."""
    inputs = lib.Input((5,))
    dense = lib.layers.Dense(4, activation="tanh")
    model = lib.Model(inputs, lib.layers.Dense(2)(dense(inputs)))
    dense.enable_lora(2)
    dense.lora_kernel_b.assign(np.random.RandomState(seed).randn(2, 4).astype("float32"))
    return model


def test_legacy_h5_of_a_lora_dense_round_trips(tmp_path):
    """``model.save("m.h5")`` (Keras's legacy HDF5 file: the config with ``lora_rank`` and every weight, adapters
    included) and ``load_model`` give the same model, outputs identical."""
    model = _lora_dense_model(kerasport)
    x = np.random.RandomState(10).randn(3, 5).astype("float32")
    path = str(tmp_path / "m.h5")
    model.save(path)
    loaded = kerasport.models.load_model(path)
    assert loaded.layers[1].lora_enabled and loaded.layers[1].lora_rank == 2
    assert [v.name for v in loaded.layers[1].weights] == ["kernel", "bias", "lora_kernel_a", "lora_kernel_b"]
    for mine, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, want)
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(model(x)))


@pytest.mark.parametrize("fmt", [".h5", ".keras"])
def test_keras_written_lora_model_loads_with_keras_outputs(keras, tmp_path, fmt):
    """A LoRA model written by Keras 3 (legacy ``.h5``: adapters saved apart; ``.keras``: the update merged into
    the kernel) loads in kerasport with Keras's outputs, as Keras's own reload has them."""
    theirs = _lora_dense_model(keras)
    x = np.random.RandomState(10).randn(3, 5).astype("float32")
    path = str(tmp_path / f"theirs{fmt}")
    theirs.save(path)
    expected = np.asarray(keras.models.load_model(path)(x))
    np.testing.assert_allclose(expected, np.asarray(theirs(x)), atol=1e-6)
    loaded = kerasport.models.load_model(path)
    assert loaded.layers[1].lora_enabled and loaded.layers[1].lora_rank == 2
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, atol=1e-6)
    ours_path = str(tmp_path / f"ours{fmt}")  # and back: kerasport's file of it, read by Keras
    loaded.save(ours_path)
    np.testing.assert_allclose(np.asarray(keras.models.load_model(ours_path)(x)), expected, atol=1e-6)
