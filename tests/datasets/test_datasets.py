"""``kerasport.datasets``: Keras's loaders read tiny fake files written in Keras's exact on-disk formats
into a temporary ``KERAS_HOME``; no network (downloads are made to fail). Where Keras's own loader can
read the same tiny file, its output is the oracle."""
import gzip
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

import kerasport
from kerasport.datasets import (boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
                                reuters)
from kerasport.utils import file_utils
from tests.helpers import keras_module

RNG = np.random.RandomState(0)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """``$KERAS_HOME/datasets`` in a temp dir; hashes accepted (fake files), any download fails."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(file_utils, "validate_file", lambda *args, **kwargs: True)

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to download")

    monkeypatch.setattr(file_utils, "_download", no_network)
    folder = tmp_path / "datasets"
    folder.mkdir()
    return folder


def keras_loader(monkeypatch, module_name, path):
    """Keras's loader ``module_name`` with its ``get_file`` pointed at our fake file(s)."""
    keras_module()
    module = __import__(f"keras.src.datasets.{module_name}", fromlist=["load_data"])
    monkeypatch.setattr(module, "get_file", lambda fname=None, *a, **k: path(fname) if callable(path) else path)
    return module


def assert_same(got, want):
    """Same arrays, dtypes and shapes. Sequences: same lists (Keras makes a 2-D object array when all
    sequences of a split happen to have one length; kerasport always gives a 1-D array of lists)."""
    (gx, gy), (gtx, gty) = got
    (wx, wy), (wtx, wty) = want
    for g, w in ((gx, wx), (gy, wy), (gtx, wtx), (gty, wty)):
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        if g.dtype == object:
            assert g.ndim == 1 and [list(s) for s in g] == [list(s) for s in w]
        else:
            assert g.shape == w.shape
            np.testing.assert_array_equal(g, w)


def test_mnist(home, monkeypatch):
    arrays = {"x_train": RNG.randint(0, 256, (5, 28, 28)).astype("uint8"), "y_train": np.arange(5, dtype="uint8"),
              "x_test": RNG.randint(0, 256, (3, 28, 28)).astype("uint8"), "y_test": np.arange(3, dtype="uint8")}
    np.savez(home / "mnist.npz", **arrays)
    got = mnist.load_data()
    np.testing.assert_array_equal(got[0][0], arrays["x_train"])
    assert got[1][1].dtype == np.uint8
    assert_same(got, keras_loader(monkeypatch, "mnist", str(home / "mnist.npz")).load_data())


def _idx(path, array, header):
    with gzip.open(path, "wb") as f:
        f.write(b"\0" * header + array.tobytes())


def test_fashion_mnist(home, monkeypatch):
    folder = home / "fashion-mnist"
    folder.mkdir()
    x = RNG.randint(0, 256, (4, 28, 28)).astype("uint8")
    for name, array, header in (("train-labels-idx1-ubyte.gz", np.arange(4, dtype="uint8"), 8),
                                ("train-images-idx3-ubyte.gz", x, 16),
                                ("t10k-labels-idx1-ubyte.gz", np.arange(2, dtype="uint8"), 8),
                                ("t10k-images-idx3-ubyte.gz", x[:2], 16)):
        _idx(folder / name, array, header)
    got = fashion_mnist.load_data()
    assert got[0][0].shape == (4, 28, 28) and got[1][0].shape == (2, 28, 28)
    np.testing.assert_array_equal(got[0][0], x)
    assert_same(got, keras_loader(monkeypatch, "fashion_mnist", lambda fname: str(folder / fname)).load_data())


def _cifar_archive(path, top, batches):
    """A tar.gz holding ``top/<name>`` pickles with bytes keys, as the CIFAR Python archives hold."""
    with tarfile.open(path, "w:gz") as tar:
        for name, batch in batches.items():
            body = pickle.dumps({k.encode(): v for k, v in batch.items()}, protocol=3)
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))


def test_cifar10(home):
    images = RNG.randint(0, 256, (12, 3 * 32 * 32)).astype("uint8")
    batches = {f"data_batch_{i}": {"data": images[2 * (i - 1):2 * i], "labels": [i, i + 1]} for i in range(1, 6)}
    batches["test_batch"] = {"data": images[10:], "labels": [7, 8]}
    _cifar_archive(home / "cifar-10-batches-py-target_archive", "cifar-10-batches-py", batches)
    (x, y), (tx, ty) = cifar10.load_data()
    assert x.shape == (10, 32, 32, 3) and tx.shape == (2, 32, 32, 3) and x.dtype == np.uint8
    assert y.shape == (10, 1) and y.dtype == np.uint8 and ty.dtype == np.uint8
    assert y[:, 0].tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6] and ty[:, 0].tolist() == [7, 8]
    np.testing.assert_array_equal(x[3], images[3].reshape(3, 32, 32).transpose(1, 2, 0))
    kerasport.config.set_image_data_format("channels_first")
    try:
        assert cifar10.load_data()[0][0].shape == (10, 3, 32, 32)
    finally:
        kerasport.config.set_image_data_format("channels_last")


def test_cifar100(home, monkeypatch):
    images = RNG.randint(0, 256, (5, 3 * 32 * 32)).astype("uint8")
    batches = {"train": {"data": images[:3], "fine_labels": [10, 20, 30], "coarse_labels": [1, 2, 3]},
               "test": {"data": images[3:], "fine_labels": [40, 50], "coarse_labels": [4, 5]}}
    _cifar_archive(home / "cifar-100-python-target_archive", "cifar-100-python", batches)
    fine = cifar100.load_data()
    coarse = cifar100.load_data(label_mode="coarse")
    assert fine[0][1][:, 0].tolist() == [10, 20, 30] and coarse[1][1][:, 0].tolist() == [4, 5]
    assert fine[0][0].shape == (3, 32, 32, 3)
    target = str(home / "cifar-100-python-target")
    assert_same(fine, keras_loader(monkeypatch, "cifar100", target).load_data())
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


def _object_array(seqs):
    out = np.empty(len(seqs), dtype=object)
    out[:] = [list(s) for s in seqs]
    return out


IMDB_TRAIN = [[1, 2, 3], [4, 5], [6, 1, 1, 9], [2], [7, 8, 3, 3, 3]]
IMDB_TEST = [[3, 3], [9, 10, 11], [1]]


@pytest.fixture
def imdb_file(home):
    np.savez(home / "imdb.npz", x_train=_object_array(IMDB_TRAIN), y_train=np.arange(5),
             x_test=_object_array(IMDB_TEST), y_test=np.arange(100, 103))
    return str(home / "imdb.npz")


def test_imdb_vocabulary_by_hand(imdb_file):
    (x, y), (tx, ty) = imdb.load_data(num_words=6, skip_top=2)
    by_label = dict(zip(y.tolist(), x))
    # [1, 2, 3] -> start 1 + shifted [4, 5, 6]; kept: 2 <= w < 6; others become oov 2.
    assert by_label[0] == [2, 4, 5, 2]
    assert by_label[3] == [2, 5]
    assert sorted(ty.tolist()) == [100, 101, 102] and x.dtype == object and x.shape == (5,)
    (x, y), _ = imdb.load_data(start_char=None, oov_char=None, index_from=0, num_words=4)
    assert dict(zip(y.tolist(), x))[0] == [1, 2, 3] and dict(zip(y.tolist(), x))[1] == []
    (x, y), _ = imdb.load_data(maxlen=4)  # sequences of 4+ tokens (with the start char) are dropped
    assert sorted(y.tolist()) == [1, 3]


@pytest.mark.parametrize("kwargs", [{}, {"num_words": 7, "skip_top": 1}, {"maxlen": 5, "seed": 3},
                                    {"start_char": None, "oov_char": None, "index_from": 2, "num_words": 8}])
def test_imdb_matches_keras(imdb_file, monkeypatch, kwargs):
    want = keras_loader(monkeypatch, "imdb", imdb_file).load_data(**kwargs)
    assert_same(imdb.load_data(**kwargs), want)


def test_imdb_word_index(home):
    (home / "imdb_word_index.json").write_text('{"the": 1, "and": 2}')
    assert imdb.get_word_index() == {"the": 1, "and": 2}


@pytest.mark.parametrize("kwargs", [{}, {"num_words": 6, "skip_top": 2, "test_split": 0.4},
                                    {"maxlen": 4, "seed": 7}])
def test_reuters_matches_keras(home, monkeypatch, kwargs):
    seqs = [[1, 2], [3, 4, 5], [6], [7, 8, 9, 10], [2, 2], [1], [5, 4, 3], [9, 9]]
    np.savez(home / "reuters.npz", x=_object_array(seqs), y=np.arange(8) % 3)
    got = reuters.load_data(**kwargs)
    assert_same(got, keras_loader(monkeypatch, "reuters", str(home / "reuters.npz")).load_data(**kwargs))
    (home / "reuters_word_index.json").write_text('{"said": 1}')
    assert reuters.get_word_index() == {"said": 1}
    assert len(reuters.get_label_names()) == 46


@pytest.mark.parametrize("module,name,features", [(boston_housing, "boston_housing", 13),
                                                  (california_housing, "california_housing", 8)])
def test_housing_matches_keras(home, monkeypatch, module, name, features):
    np.savez(home / f"{name}.npz", x=RNG.rand(20, features), y=RNG.rand(20))
    keras_mod = keras_loader(monkeypatch, name, str(home / f"{name}.npz"))
    for kwargs in ({}, {"test_split": 0.3, "seed": 5}):
        got = module.load_data(**kwargs)
        assert got[0][0].shape == (int(20 * (1 - kwargs.get("test_split", 0.2))), features)
        assert_same(got, keras_mod.load_data(**kwargs))
    with pytest.raises(ValueError, match="test_split"):
        module.load_data(test_split=1.0)


def test_california_small_version(home):
    np.savez(home / "california_housing.npz", x=RNG.rand(700, 8), y=RNG.rand(700))
    (x, _), (tx, _) = california_housing.load_data(version="small")
    assert len(x) + len(tx) == 600
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="medium")


def test_refuses_malicious_pickle(home):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    evil = np.empty(1, dtype=object)
    evil[0] = Evil()
    np.savez(home / "imdb.npz", x_train=evil, y_train=np.zeros(1), x_test=evil, y_test=np.zeros(1))
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        imdb.load_data()


def test_digits_still_there():
    (x, y), _ = kerasport.datasets.digits.load_data()
    assert x.shape[1:] == (8, 8)
