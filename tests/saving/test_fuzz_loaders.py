"""Property-based fuzzing of the three loaders (``.h5``, ``.weights.h5``, ``.keras``).

Valid files are damaged at random (truncated, bytes flipped, JSON configs edited,
datasets given other shapes or dtypes). Loading must end either in a load or in a
plain ``ValueError`` (kerasport's error for a bad file): never another exception
from h5py, zipfile, json or a framework, never a partial load (on error the
target keeps all its weights), never a Python-level read of a file other than
the one loaded (checked with an audit hook).
"""
import copy
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kerasport
from tests.saving.crafted_files import (FORMATS, datasets, edit_config, edit_h5, model_weight_datasets,
                                        replace_dataset, save, small_model)

FUZZ = settings(max_examples=15, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

_WATCH = []


def _audit(event, args):
    if _WATCH and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _WATCH[-1].append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


class _Originals(dict):
    def __repr__(self):
        return f"<valid files: {', '.join(f'{k} ({len(v)} bytes)' for k, v in self.items())}>"


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("originals")
    model = small_model()
    model.compile("adam", "mse")
    model.fit(np.ones((4, 4), "float32"), np.ones((4, 2), "float32"), verbose=0)
    return _Originals({fmt: save(model, folder, fmt).read_bytes() for fmt in FORMATS})


def _allowed_open(path, target, scratch):
    path = os.path.abspath(path)
    return (path == os.path.abspath(target) or path.startswith(tempfile.gettempdir() + os.sep + "tmp")
            or path.startswith(scratch) or path.endswith((".py", ".pyc", ".so"))
            or path.startswith((sys.prefix, sys.base_prefix)))  # imports


def _load_and_judge(path, fmt, scratch):
    """Load ``path``; assert the outcome is a load or a clean ValueError, all or nothing, no foreign reads."""
    target = small_model()
    sentinel = [np.full(w.shape, -7.0, "float32") for w in target.get_weights()]
    target.set_weights(sentinel)
    _WATCH.append([])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fmt == "weights.h5":
                target.load_weights(path)
            else:
                loaded = kerasport.saving.load_model(path)
                target.load_weights(path)
                assert [w.shape for w in loaded.get_weights()] == [w.shape for w in target.get_weights()]
    except ValueError as e:
        assert type(e) is ValueError, f"{type(e).__name__} is not kerasport's plain ValueError: {e}"
        for w, s in zip(target.get_weights(), sentinel):
            np.testing.assert_array_equal(w, s)  # nothing assigned
    else:
        assert not any(np.array_equal(w, s) for w, s in zip(target.get_weights(), sentinel))
    finally:
        opened = _WATCH.pop()
    foreign = [p for p in opened if not _allowed_open(p, path, scratch)]
    assert not foreign, f"loading read other files: {foreign}"


def _write(folder, fmt, data):
    path = os.path.join(folder, f"m.{fmt}")
    with open(path, "wb") as f:
        f.write(data)
    return path


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ
@given(data=st.data())
def test_truncated_files(originals, fmt, data):
    original = originals[fmt]
    size = data.draw(st.integers(0, len(original) - 1), label="size")
    with tempfile.TemporaryDirectory() as folder:
        _load_and_judge(_write(folder, fmt, original[:size]), fmt, folder)


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ
@given(data=st.data())
def test_flipped_bytes(originals, fmt, data):
    content = bytearray(originals[fmt])
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(content) - 1), st.integers(1, 255)), min_size=1,
                               max_size=16), label="flips")
    for position, mask in flips:
        content[position] ^= mask
    with tempfile.TemporaryDirectory() as folder:
        _load_and_judge(_write(folder, fmt, bytes(content)), fmt, folder)


ODD_VALUES = st.sampled_from([None, -1, 0, 2 ** 40, 1.5, "", "x", "/etc/passwd", [], {}, [None], {"a": 1}, True,
                              "float64", "string", [2, 3], {"class_name": "Lambda", "config": {}}])


def _json_paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _json_paths(v, prefix + (i,))


def _set(config, path, value):
    if not path:
        return value
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return config


@pytest.mark.parametrize("fmt", ["h5", "keras"])
@FUZZ
@given(data=st.data())
def test_edited_json_configs(originals, fmt, data):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, fmt, originals[fmt])
        edits = []

        def edit(config):
            paths = list(_json_paths(config))
            for _ in range(data.draw(st.integers(1, 3), label="edits")):
                where = data.draw(st.sampled_from(paths), label="path")
                value = copy.deepcopy(data.draw(ODD_VALUES, label="value"))
                edits.append((where, value))
                try:
                    config = _set(config, where, value)
                except (KeyError, IndexError, TypeError):
                    pass  # an earlier edit removed that place
                paths = list(_json_paths(config))
            return config
        edit_config(path, fmt, edit)
        _load_and_judge(path, fmt, folder)


DTYPES = st.sampled_from(["float16", "float64", "int8", "uint32", "bool", "complex64", "S3"])


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ
@given(data=st.data())
def test_changed_dataset_shapes_and_dtypes(originals, fmt, data):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, fmt, originals[fmt])

        def edit(f):
            names = model_weight_datasets(f) if data.draw(st.booleans(), label="model weight") else sorted(datasets(f))
            name = data.draw(st.sampled_from(names), label="dataset")
            shape = tuple(f[name].shape)
            if data.draw(st.booleans(), label="new shape"):
                shape = tuple(data.draw(st.lists(st.integers(0, 5), max_size=3), label="shape"))
            dtype = data.draw(DTYPES, label="dtype")
            values = np.ones(shape, "float32").astype(dtype) if dtype != "S3" else np.full(shape, b"ab", dtype)
            replace_dataset(f, name, data=values)
        edit_h5(path, fmt, edit)
        _load_and_judge(path, fmt, folder)


def test_the_audit_hook_sees_python_level_reads(tmp_path):
    """The fuzz tests' file watch works: a vocabulary read with safe_mode=False is seen."""
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\n")
    _WATCH.append([])
    try:
        kerasport.layers.StringLookup(vocabulary=str(vocab))
    finally:
        opened = _WATCH.pop()
    assert str(vocab) in opened
    assert not _allowed_open(str(vocab), tmp_path / "m.h5", str(tmp_path / "scratch"))
    shutil.rmtree(tmp_path / "scratch", ignore_errors=True)
