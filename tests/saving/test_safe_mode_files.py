"""Safe mode: a loaded file never makes kerasport read another local file (a vocabulary path in a config)."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from tests.saving.crafted_files import edit_config


def _lookup_model(kind):
    if kind == "string":
        lookup = layers.StringLookup(vocabulary=["a", "b", "c"], name="lookup")
        inputs = kerasport.Input((2,), dtype="string")
    elif kind == "integer":
        lookup = layers.IntegerLookup(vocabulary=[3, 5, 7], name="lookup")
        inputs = kerasport.Input((2,), dtype="int64")
    else:
        lookup = layers.TextVectorization(vocabulary=["a", "b", "c"], output_sequence_length=2, name="lookup")
        inputs = kerasport.Input((1,), dtype="string")
    return kerasport.Model(inputs, lookup(inputs)), lookup


def _crafted(tmp_path, kind, fmt, secret):
    """Save a model with a lookup layer, then point the layer's `vocabulary` in the file's config at ``secret``."""
    model, _ = _lookup_model(kind)
    path = tmp_path / f"m.{fmt}"
    model.save(path)

    def point_at_secret(config):
        for layer in config["config"]["layers"]:
            if layer["config"]["name"] == "lookup":
                layer["config"]["vocabulary"] = str(secret)
                return config
        raise AssertionError("no lookup layer in the config")
    edit_config(path, fmt, point_at_secret)
    return path


@pytest.mark.parametrize("fmt", ["keras", "h5"])
@pytest.mark.parametrize("kind", ["string", "integer", "text"])
def test_vocabulary_path_in_a_loaded_config_is_refused_in_safe_mode(tmp_path, kind, fmt):
    secret = tmp_path / "secret.txt"
    secret.write_text("7\n5\n3\n" if kind == "integer" else "x\ny\nz\n")
    path = _crafted(tmp_path, kind, fmt, secret)
    with pytest.raises(ValueError, match="safe_mode=False") as info:
        kerasport.saving.load_model(path)
    assert str(secret) in str(info.value)
    loaded = kerasport.saving.load_model(path, safe_mode=False)
    vocab = loaded.get_layer("lookup").get_vocabulary()
    assert [str(v) for v in vocab[-3:]] == (["7", "5", "3"] if kind == "integer" else ["x", "y", "z"])


def test_vocabulary_files_still_work_outside_loading(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\nb\n")
    lookup = layers.StringLookup(vocabulary=str(vocab))
    assert lookup.get_vocabulary() == ["[UNK]", "a", "b"]
    np.testing.assert_array_equal(kerasport.ops.convert_to_numpy(lookup(np.array(["b", "q"]))), [2, 0])


def test_adapted_vocabulary_assets_inside_a_keras_archive_still_load(tmp_path):
    lookup = layers.StringLookup(name="lookup")
    lookup.adapt(np.array(["x", "y", "y"]))
    inputs = kerasport.Input((1,), dtype="string")
    model = kerasport.Model(inputs, lookup(inputs))
    model.save(tmp_path / "m.keras")
    loaded = kerasport.saving.load_model(tmp_path / "m.keras")
    assert loaded.get_layer("lookup").get_vocabulary() == ["[UNK]", "y", "x"]
