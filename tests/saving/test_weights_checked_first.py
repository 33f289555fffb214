"""Weights are checked from the HDF5 metadata before any data is read, and loading is all or nothing."""
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

from tests.saving.crafted_files import (FORMATS, edit_h5, load_into, model_weight_datasets, replace_dataset, save,
                                        small_model)


def _replace_bias(tmp_path, fmt, **create_kwargs):
    """Save the small model, then replace the last layer's bias (shape (2,), the last weight) in the file."""
    path = save(small_model(), tmp_path, fmt)

    def edit(f):
        bias = [n for n in model_weight_datasets(f) if f[n].shape == (2,)]
        assert len(bias) == 1
        replace_dataset(f, bias[0], **create_kwargs)
    edit_h5(path, fmt, edit)
    return path


def _fresh_target():
    model = small_model()
    model.set_weights([np.full(w.shape, -1.0, "float32") for w in model.get_weights()])
    return model


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_string_typed_weight_is_refused_before_anything_is_assigned(tmp_path, fmt):
    path = _replace_bias(tmp_path, fmt, data=np.array([b"x", b"y"]))
    model = _fresh_target()
    with pytest.raises(ValueError) as info:
        model.load_weights(path)
    message = str(info.value)
    assert str(path) in message and "dtype" in message and ("bias" in message or "vars/1" in message)
    for w in model.get_weights():
        np.testing.assert_array_equal(w, -1.0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_weight_declared_as_4_terabytes_fails_at_once_with_a_clear_error(tmp_path, fmt):
    path = _replace_bias(tmp_path, fmt, shape=(1 << 20, 1 << 20), dtype="float32")
    model = _fresh_target()
    with pytest.raises(ValueError) as info:
        load_into(model, path, fmt)
    message = str(info.value)
    assert str(path) in message and "1048576" in message
    for w in model.get_weights():
        np.testing.assert_array_equal(w, -1.0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_mismatched_shape_names_file_layer_weight_and_both_shapes(tmp_path, fmt):
    path = _replace_bias(tmp_path, fmt, data=np.zeros(5, "float32"))
    model = _fresh_target()
    with pytest.raises(ValueError) as info:
        model.load_weights(path)
    message = str(info.value)
    assert str(path) in message and "b/bias" in message and "(2,)" in message and "(5,)" in message
    for w in model.get_weights():
        np.testing.assert_array_equal(w, -1.0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_external_link_as_a_weight_is_refused(tmp_path, fmt):
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as f:
        f["bias"] = np.full(2, 7.0, "float32")
    path = save(small_model(), tmp_path, fmt)

    def edit(f):
        name = [n for n in model_weight_datasets(f) if f[n].shape == (2,)][0]
        parent, _, leaf = name.rpartition("/")
        del f[parent][leaf]
        f[parent][leaf] = h5py.ExternalLink(str(outside), "bias")
    edit_h5(path, fmt, edit)
    model = _fresh_target()
    with pytest.raises(ValueError, match="ExternalLink"):
        model.load_weights(path)
    for w in model.get_weights():
        np.testing.assert_array_equal(w, -1.0)


def test_a_large_mismatched_weight_is_not_read_before_its_error(tmp_path):
    """A 1.2 GB (declared, compressed to almost nothing) kernel of the wrong shape adds no memory before failing."""
    script = textwrap.dedent("""
        import resource, sys
        import numpy as np
        import kerasport
        model = kerasport.Sequential([kerasport.Input((4,)), kerasport.layers.Dense(3)])
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            model.load_weights(sys.argv[1])
        except ValueError as e:
            assert "vars/0" in str(e), e
        else:
            raise AssertionError("loaded")
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
    """)
    path = tmp_path / "big.weights.h5"
    with h5py.File(path, "w") as f:
        group = f.create_group("layers/dense/vars")
        group.create_dataset("0", shape=(4, 75_000_000), dtype="float32", chunks=(4, 1 << 20), compression="gzip",
                             fillvalue=1.0)
        group.create_dataset("1", data=np.zeros(3, "float32"))
        f.create_group("vars")
    assert path.stat().st_size < 10_000_000
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert int(out.stdout.split()[-1]) < 200_000_000
