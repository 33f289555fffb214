"""The dataset utilities against Keras 3: time-series windows, ``split_dataset`` (on arrays, and on each
backend's own dataset type: a batched ``tf.data.Dataset`` on TensorFlow, a ``torch.utils.data.Dataset`` on
torch), directory datasets (and ``fit`` on them)."""
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


@pytest.mark.parametrize("interpolation", ["bilinear", "area", "nearest"])
def test_image_dataset_from_directory_resizes_as_keras(image_dir, interpolation):
    # keras.io's sub-pixel super-resolution example resizes its images on loading: Keras's pixels are those of
    # tf.image.resize (kerasport used Pillow's filters, up to 7 % apart).
    kwargs = dict(image_size=(7, 9), batch_size=6, shuffle=False, interpolation=interpolation, verbose=False)
    got = as_numpy_batches(utils.image_dataset_from_directory(image_dir, **kwargs))
    want = list(keras_module().utils.image_dataset_from_directory(str(image_dir), **kwargs).as_numpy_iterator())
    np.testing.assert_allclose(got[0][0], want[0][0], rtol=1e-5, atol=1e-3)


# ----------------------------------------------------------------------------- each backend's own dataset type
X = np.arange(20, dtype="float32").reshape(10, 2)
Y = np.arange(10)


@pytest.mark.skipif(B.NAME != "tensorflow", reason="tf.data input exists on the TensorFlow backend only")
@pytest.mark.parametrize("kwargs", [dict(left_size=0.6), dict(right_size=3, shuffle=True, seed=5)])
def test_split_batched_tf_dataset_matches_keras(kwargs):
    import tensorflow as tf
    dataset = tf.data.Dataset.from_tensor_slices((X, Y)).batch(3)
    got = utils.split_dataset(dataset, **kwargs)
    want = keras_module().utils.split_dataset(dataset, **kwargs)
    for g, w in zip(got, want):
        assert isinstance(g, tf.data.Dataset)
        g_batches, w_batches = list(g.as_numpy_iterator()), list(w.as_numpy_iterator())
        assert len(g_batches) == len(w_batches)
        for gb, wb in zip(g_batches, w_batches):
            np.testing.assert_array_equal(gb[0], wb[0])
            np.testing.assert_array_equal(gb[1], wb[1])
    with pytest.raises(ValueError, match="empty tf.data.Dataset"):
        utils.split_dataset(tf.data.Dataset.from_tensor_slices(np.zeros((0, 2))), left_size=1)


@pytest.mark.skipif(B.NAME != "tensorflow", reason="dicts of arrays are split on the TensorFlow backend only")
def test_split_dict_of_arrays_tf():
    left, right = utils.split_dataset({"a": X, "b": Y}, left_size=4)
    first = next(iter(right))
    np.testing.assert_array_equal(first["a"], X[4])
    assert int(first["b"]) == 4 and len(list(left)) == 4


@pytest.mark.skipif(B.NAME != "torch", reason="torch datasets exist on the torch backend only")
def test_split_torch_dataset_is_subsets_of_it():
    import torch
    from torch.utils.data import Subset, TensorDataset
    dataset = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    left, right = utils.split_dataset(dataset, left_size=0.5, shuffle=True, seed=2)
    generator = torch.Generator()
    generator.manual_seed(2)
    perm = torch.randperm(10, generator=generator).tolist()
    assert isinstance(left, Subset) and left.dataset is dataset
    assert left.indices == perm[:5] and right.indices == perm[5:]
    left, right = utils.split_dataset((X, Y), left_size=3)
    assert isinstance(left.dataset, TensorDataset) and left.indices == [0, 1, 2] and right.indices == list(range(3, 10))
    with pytest.raises(TypeError, match="dict of arrays"):
        utils.split_dataset({"a": X}, left_size=3)


def test_dataset_utils_never_import_the_other_framework():
    import subprocess
    import sys
    other = "tensorflow" if B.NAME == "torch" else "torch"
    code = ("import kerasport, sys, numpy as np; import kerasport.utils.dataset_utils; "
            "kerasport.utils.split_dataset(np.arange(6), left_size=2); "
            "kerasport.utils.timeseries_dataset_from_array(np.arange(8), None, 3, batch_size=2); "
            f"print({other!r} in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
