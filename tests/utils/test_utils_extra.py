"""The rest of ``kerasport.utils`` (and ``kerasport.tree``) against Keras 3: Progbar output, time-series
windows, split_dataset, image helpers, directory datasets (and ``fit`` on them), tree functions."""
import collections
import time

import numpy as np
import pytest

import kerasport
from kerasport import tree, utils
from kerasport.backends import B
from tests.helpers import keras_module


def as_numpy_batches(dataset):
    """Batches of a tf.data.Dataset or a PyDataset as lists of NumPy arrays."""
    if isinstance(dataset, utils.PyDataset):
        return [tree.flatten(dataset[i]) for i in range(len(dataset))]
    return [[np.asarray(a) for a in tree.flatten(b)] for b in dataset.as_numpy_iterator()]


# ----------------------------------------------------------------------------- Progbar
def _progbar_output(cls, capsys, monkeypatch, kwargs, calls):
    monkeypatch.setattr(time, "time", lambda: 1000.0)
    bar = cls(**kwargs)
    for method, args in calls:
        getattr(bar, method)(*args)
    return capsys.readouterr().out


@pytest.mark.parametrize("kwargs", [{"target": 3}, {"target": 3, "verbose": 2}, {"target": None},
                                    {"target": 12, "width": 7, "stateful_metrics": ["acc"], "unit_name": "sample"},
                                    {"target": 3, "stateless_metrics": ["loss"]}])
def test_progbar_prints_what_keras_prints(capsys, monkeypatch, kwargs):
    keras = keras_module()
    calls = [("update", (1, [("loss", 0.5), ("acc", 0.25)])), ("add", (1, [("loss", 0.25), ("acc", 0.5)])),
             ("update", (3, [("loss", 1e-5), ("acc", 0.75)]))]
    want = _progbar_output(keras.utils.Progbar, capsys, monkeypatch, kwargs, calls)
    got = _progbar_output(utils.Progbar, capsys, monkeypatch, kwargs, calls)
    assert got == want
    assert kwargs.get("verbose") == 2 or "loss" in got


def test_progbar_silent_and_bad_args(capsys):
    bar = utils.Progbar(2, verbose=0)
    bar.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="only one"):
        utils.Progbar(2, stateful_metrics=["a"], stateless_metrics=["b"])


def test_interactive_logging_silences_progbar(capsys):
    kerasport.config.disable_interactive_logging()
    try:
        assert not utils.is_interactive_logging_enabled()
        utils.Progbar(1).update(1)
        assert capsys.readouterr().out == ""
    finally:
        kerasport.config.enable_interactive_logging()
    utils.Progbar(1).update(1)
    assert "1/1" in capsys.readouterr().out


# ----------------------------------------------------------------------------- timeseries
TS_CASES = [
    {"sequence_length": 3, "batch_size": 4},
    {"sequence_length": 4, "sequence_stride": 2, "sampling_rate": 2, "batch_size": 3},
    {"sequence_length": 2, "start_index": 3, "end_index": 15, "batch_size": 5},
    {"sequence_length": 5, "batch_size": None},
]


@pytest.mark.parametrize("kwargs", TS_CASES)
@pytest.mark.parametrize("with_targets", [True, False])
def test_timeseries_windows_match_keras(kwargs, with_targets):
    data = np.arange(40, dtype="float32").reshape(20, 2)
    targets = np.arange(100, 120) if with_targets else None
    want = as_numpy_batches(keras_module().utils.timeseries_dataset_from_array(data, targets, **kwargs))
    got = as_numpy_batches(utils.timeseries_dataset_from_array(data, targets, **kwargs))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert len(g) == len(w)
        for a, b in zip(g, w):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype


def test_timeseries_shuffle_is_a_permutation_and_fits():
    data = np.random.RandomState(0).rand(50, 3).astype("float32")
    targets = np.arange(50, dtype="float32")
    ds = utils.timeseries_dataset_from_array(data, targets, 5, batch_size=8, shuffle=True, seed=1)
    assert isinstance(ds, utils.PyDataset) == (B.NAME == "torch")
    batches = as_numpy_batches(ds)
    starts = np.concatenate([b[1] for b in batches])
    assert sorted(starts.tolist()) == list(range(46)) and starts.tolist() != list(range(46))
    for windows, first in ((b[0], b[1]) for b in batches):
        np.testing.assert_array_equal(windows[:, 0], data[first.astype(int)])
    model = kerasport.Sequential([kerasport.Input((5, 3)), kerasport.layers.Flatten(), kerasport.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(utils.timeseries_dataset_from_array(data, None, 5, batch_size=8), verbose=0).shape == (46, 1)


def test_timeseries_bad_args():
    data = np.zeros((10, 1))
    with pytest.raises(ValueError, match="start_index"):
        utils.timeseries_dataset_from_array(data, None, 2, start_index=10)
    with pytest.raises(ValueError, match="sampling_rate"):
        utils.timeseries_dataset_from_array(data, None, 2, sampling_rate=0)


# ----------------------------------------------------------------------------- split_dataset
@pytest.mark.parametrize("sizes", [(0.75, None), (None, 3), (4, 2), (0.5, 0.25)])
def test_split_dataset(sizes):
    x = np.arange(24, dtype="float32").reshape(12, 2)
    y = np.arange(12)
    left, right = utils.split_dataset((x, y), *sizes)
    lx = np.stack([np.asarray(e[0]) for e in left])
    rx = np.stack([np.asarray(e[0]) for e in right])
    if B.NAME == "tensorflow":  # Keras's own path: same samples, same order
        kl, kr = keras_module().utils.split_dataset((x, y), *sizes)
        np.testing.assert_array_equal(lx, np.stack([e[0] for e in kl.as_numpy_iterator()]))
        np.testing.assert_array_equal(rx, np.stack([e[0] for e in kr.as_numpy_iterator()]))
    expected_left = {(0.75, None): 9, (None, 3): 9, (4, 2): 4, (0.5, 0.25): 6}[sizes]
    assert len(lx) == expected_left and len(rx) == {(0.75, None): 3, (None, 3): 3, (4, 2): 2, (0.5, 0.25): 3}[sizes]
    np.testing.assert_array_equal(lx, x[:expected_left])


def test_split_dataset_shuffle_and_errors():
    x = np.arange(20)
    left, right = utils.split_dataset(x, left_size=0.5, shuffle=True, seed=3)
    values = [int(np.asarray(e if B.NAME == "tensorflow" else e[0])) for part in (left, right) for e in part]
    assert sorted(values) == list(range(20)) and values != list(range(20))
    if B.NAME == "tensorflow":
        kl, kr = keras_module().utils.split_dataset(x, left_size=0.5, shuffle=True, seed=3)
        assert values == [int(e) for part in (kl, kr) for e in part.as_numpy_iterator()]
    with pytest.raises(ValueError, match="left_size"):
        utils.split_dataset(x, left_size=25)
    with pytest.raises(ValueError, match="at least one"):
        utils.split_dataset(x)
    with pytest.raises(TypeError, match="left_size"):
        utils.split_dataset(x, left_size="half")


def test_split_dataset_output_trains():
    x = np.random.RandomState(0).rand(16, 3).astype("float32")
    y = np.random.RandomState(1).rand(16, 1).astype("float32")
    train, _ = utils.split_dataset((x, y), left_size=0.75)
    if B.NAME == "tensorflow":
        train = train.batch(4)
    else:
        import torch
        train = torch.utils.data.DataLoader(train, batch_size=4)
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert len(model.fit(train, epochs=1, verbose=0).history["loss"]) == 1


# ----------------------------------------------------------------------------- directory datasets
@pytest.fixture
def text_dir(tmp_path):
    for label, texts in (("neg", ["bad film", "awful", "dull plot"]), ("pos", ["great", "superb acting"])):
        (tmp_path / label).mkdir()
        for i, text in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(text)
    (tmp_path / "pos" / "ignored.md").write_text("not a txt")
    return tmp_path


def test_text_dataset_from_directory(text_dir, capsys):
    ds = utils.text_dataset_from_directory(text_dir, batch_size=2, shuffle=False)
    assert "Found 5 files belonging to 2 classes." in capsys.readouterr().out
    assert ds.class_names == ["neg", "pos"]
    batches = as_numpy_batches(ds)
    texts = [t.decode() if isinstance(t, bytes) else t for b in batches for t in b[0]]
    labels = [int(v) for b in batches for v in b[1]]
    assert texts == ["bad film", "awful", "dull plot", "great", "superb acting"] and labels == [0, 0, 0, 1, 1]
    want = keras_module().utils.text_dataset_from_directory(str(text_dir), batch_size=2, shuffle=False)
    assert [t.decode() for b in want.as_numpy_iterator() for t in b[0]] == texts
    texts_of = lambda ds: sorted(t.decode() if isinstance(t, bytes) else t  # noqa: E731
                                 for b in as_numpy_batches(ds) for t in b[0])
    train, val = utils.text_dataset_from_directory(text_dir, label_mode="categorical", validation_split=0.4,
                                                   subset="both", seed=1)
    k_train, k_val = keras_module().utils.text_dataset_from_directory(
        str(text_dir), label_mode="categorical", validation_split=0.4, subset="both", seed=1)
    assert texts_of(train) == texts_of(k_train) and texts_of(val) == texts_of(k_val)
    assert as_numpy_batches(val)[0][1].shape == (2, 2)
    short = utils.text_dataset_from_directory(text_dir, max_length=3, labels=None, verbose=False)
    assert len(as_numpy_batches(short)[0]) == 1 and all(len(t) <= 3 for t in texts_of(short))
    with pytest.raises(ValueError, match="seed"):
        utils.text_dataset_from_directory(text_dir, validation_split=0.2, subset="training")


@pytest.fixture
def image_dir(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    rng = np.random.RandomState(0)
    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(3):
            pil.fromarray(rng.randint(0, 256, (10, 12, 3)).astype("uint8")).save(tmp_path / label / f"{i}.png")
    return tmp_path


def test_image_dataset_from_directory_trains(image_dir):
    ds = utils.image_dataset_from_directory(image_dir, image_size=(10, 12), batch_size=4, shuffle=False,
                                            label_mode="binary", verbose=False)
    batches = as_numpy_batches(ds)
    assert batches[0][0].shape == (4, 10, 12, 3) and batches[0][0].dtype == np.float32
    assert batches[0][1].shape == (4, 1) and batches[1][0].shape == (2, 10, 12, 3)
    want = keras_module().utils.image_dataset_from_directory(str(image_dir), image_size=(10, 12), batch_size=4,
                                                             shuffle=False, label_mode="binary", verbose=False)
    for g, w in zip(batches, want.as_numpy_iterator()):  # same size: no resampling, same pixels
        np.testing.assert_array_equal(g[0], w[0])
        np.testing.assert_array_equal(g[1], w[1])
    gray = utils.image_dataset_from_directory(image_dir, image_size=(5, 6), color_mode="grayscale", verbose=False,
                                              crop_to_aspect_ratio=True, seed=2)
    assert as_numpy_batches(gray)[0][0].shape == (6, 5, 6, 1)
    model = kerasport.Sequential([kerasport.Input((10, 12, 3)), kerasport.layers.Rescaling(1 / 255),
                                  kerasport.layers.Flatten(), kerasport.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    assert len(model.fit(ds, epochs=2, verbose=0).history["loss"]) == 2
    assert np.isfinite(model.evaluate(ds, verbose=0))


def test_image_helpers_match_keras(tmp_path):
    pytest.importorskip("PIL")
    keras = keras_module()
    x = np.random.RandomState(0).rand(6, 5, 3).astype("float32") * 300 - 20
    img, kimg = utils.array_to_img(x), keras.utils.array_to_img(x)
    np.testing.assert_array_equal(np.asarray(img), np.asarray(kimg))
    np.testing.assert_array_equal(utils.img_to_array(img, data_format="channels_first"),
                                  keras.utils.img_to_array(kimg, data_format="channels_first"))
    utils.save_img(tmp_path / "a.png", x)
    loaded = utils.load_img(tmp_path / "a.png", color_mode="grayscale", target_size=(3, 4), keep_aspect_ratio=True)
    want = keras.utils.load_img(tmp_path / "a.png", color_mode="grayscale", target_size=(3, 4),
                                keep_aspect_ratio=True)
    np.testing.assert_array_equal(np.asarray(loaded), np.asarray(want))
    assert utils.img_to_array(loaded).shape == (3, 4, 1)
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((2, 2)))


# ----------------------------------------------------------------------------- small helpers
def test_pack_unpack_match_keras():
    keras = keras_module()
    for args in [(1,), (1, 2), (1, 2, 3), ([1, 2],), ((1, 2), None, 3)]:
        assert utils.pack_x_y_sample_weight(*args) == keras.utils.pack_x_y_sample_weight(*args)
    for data in [1, (1,), (1, 2), [1, 2, 3]]:
        assert utils.unpack_x_y_sample_weight(data) == keras.utils.unpack_x_y_sample_weight(data)


def test_graph_helpers():
    a, b = kerasport.Input((3,)), kerasport.Input((3,))
    merged = kerasport.layers.Add()([kerasport.layers.Dense(3)(a), b])
    out = kerasport.layers.Dense(1)(kerasport.layers.Concatenate()([merged, a]))
    sources = utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert utils.get_source_inputs(a) == [a]
    assert utils.is_keras_tensor(out) and kerasport.backend.is_keras_tensor(a)
    assert not utils.is_keras_tensor(np.zeros(2))


@pytest.mark.parametrize("dtype", [None, "float16", float, int, bool, np.int8, np.dtype("uint16"), "bfloat16"])
def test_standardize_dtype_matches_keras(dtype):
    want = keras_module().utils.standardize_dtype(dtype)
    if dtype is int and B.NAME == "torch":
        want = "int32"  # Keras maps Python int to int32 on every backend but TensorFlow
    assert utils.standardize_dtype(dtype) == want
    with pytest.raises(ValueError, match="Invalid dtype"):
        utils.standardize_dtype("float13")


def test_standardize_dtype_of_framework_dtypes():
    assert utils.standardize_dtype(B.to_dtype("float16")) == "float16"
    assert utils.standardize_dtype(B.convert_to_tensor(np.zeros(2, "int32")).dtype) == "int32"


def test_config_matches_keras():
    keras = keras_module()
    for cls in (utils.Config, keras.utils.Config):
        c = cls(lr=0.1, name="x")
        c.momentum = 0.9
        c["beta"] = 2
        assert c.momentum == 0.9 and c["lr"] == 0.1 and len(c) == 4 and list(c) == ["beta", "lr", "momentum", "name"]
        assert c.to_json() == '{"lr": 0.1, "name": "x", "momentum": 0.9, "beta": 2}'
        with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
            c.momentun
        c.freeze()
        assert c.frozen
        with pytest.raises(ValueError, match="frozen"):
            c.lr = 1
        c.unfreeze()
        c.pop("beta")
        assert "beta" not in c and c.as_dict() == {"lr": 0.1, "name": "x", "momentum": 0.9}


def test_get_custom_objects_is_the_registry(tmp_path):
    @kerasport.saving.register_keras_serializable(package="extra")
    def my_activation(x):
        return x * 2

    assert utils.get_custom_objects() is kerasport.saving.get_custom_objects()
    assert utils.get_custom_objects()["extra>my_activation"] is my_activation

    class Triple(kerasport.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def call(self, x):
            return x * 3

    utils.get_custom_objects()["Triple"] = Triple
    try:
        model = kerasport.Sequential([kerasport.Input((2,)), Triple()])
        kerasport.models.save_model(model, tmp_path / "m.keras")
        loaded = kerasport.models.load_model(tmp_path / "m.keras")
        np.testing.assert_allclose(loaded.predict(np.ones((1, 2)), verbose=0), [[3, 3]])
    finally:
        del utils.get_custom_objects()["Triple"]
        del utils.get_custom_objects()["extra>my_activation"]


def test_clear_session_resets_names():
    kerasport.layers.Dense(1)
    utils.clear_session()
    assert kerasport.layers.Dense(1).name == "dense"


# ----------------------------------------------------------------------------- tree
Point = collections.namedtuple("Point", ["x", "y"])
STRUCTURES = [1, None, [1, [2, (3, None)]], {"b": 1, "a": [2, {"d": 3, "c": 4}]}, Point(1, [2, 3]),
              collections.OrderedDict([("b", 1), ("a", 2)]), (), [[], {}], (1,)]


@pytest.mark.parametrize("structure", STRUCTURES)
def test_tree_matches_keras(structure):
    kt = keras_module().tree
    assert tree.flatten(structure) == kt.flatten(structure)
    assert tree.flatten_with_path(structure) == kt.flatten_with_path(structure)
    assert tree.is_nested(structure) == kt.is_nested(structure)
    double = lambda v: None if v is None else v * 2  # noqa: E731
    assert tree.map_structure(double, structure) == kt.map_structure(double, structure)
    assert tree.map_structure(lambda a, b: (a, b), structure, structure) == \
        kt.map_structure(lambda a, b: (a, b), structure, structure)
    flat = list(range(len(kt.flatten(structure))))
    packed = tree.pack_sequence_as(structure, flat)
    assert packed == kt.pack_sequence_as(structure, flat)
    assert type(packed) is type(structure) or not kt.is_nested(structure)
    assert tree.lists_to_tuples(structure) == kt.lists_to_tuples(structure)
    seen, kseen = [], []
    for top_down in (True, False):
        assert tree.traverse(seen.append, structure, top_down=top_down) == \
            kt.traverse(kseen.append, structure, top_down=top_down)
    assert seen == kseen


def test_tree_dict_order_and_errors():
    kt = keras_module().tree
    assert tree.map_structure(lambda x: x, {"b": 1, "a": 2}) == {"b": 1, "a": 2}
    assert list(tree.pack_sequence_as({"b": 0, "a": 0}, [1, 2])) == ["b", "a"]
    assert tree.map_structure(lambda a, b: a + b, {"b": 1, "a": 2}, {"a": 10, "b": 20}) == {"b": 21, "a": 12}
    assert tree.map_structure(lambda v: 1, [None, 2], none_is_leaf=False) == [None, 1]
    for a, b in [([1, 2], (1, 2)), ([1, [2]], [1, 2]), ({"a": 1}, {"b": 1})]:
        with pytest.raises(ValueError):
            kt.assert_same_structure(a, b)
        with pytest.raises(ValueError):
            tree.assert_same_structure(a, b)
        with pytest.raises(ValueError):
            tree.map_structure(lambda x, y: x, a, b)
    tree.assert_same_structure({"a": [1, (2,)]}, {"a": [5, (6,)]})
    tree.assert_same_paths([0, 1], (2, 3))
    with pytest.raises(ValueError, match="paths"):
        tree.assert_same_paths([0, 1], [0])
    with pytest.raises(ValueError):
        tree.pack_sequence_as([1, 2], [1])
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if isinstance(x, tuple) else None, [(1,), 2]) == [None, 2]


def test_tree_map_structure_up_to_and_shapes():
    kt = keras_module().tree
    shallow, deep = [0, [0, 0]], [[1, 1], [2, (3, 4)]]
    assert tree.map_structure_up_to(shallow, str, deep) == kt.map_structure_up_to(shallow, str, deep)
    assert tree.map_structure_up_to([0, 0], len, [[1, 1], [2]]) == [2, 1]
    with pytest.raises(ValueError):
        tree.map_structure_up_to([0, [0, 0]], str, [1, 2])
    shapes = [(1, None), {"a": (3,), "b": [(2, 2)]}]
    assert tree.map_shape_structure(len, shapes) == kt.map_shape_structure(len, shapes)
