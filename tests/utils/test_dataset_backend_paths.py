"""``split_dataset`` on each backend's own dataset type (``kerasport/backends/*_data.py``):
a batched ``tf.data.Dataset`` against Keras 3 on TensorFlow, a ``torch.utils.data.Dataset`` on torch."""
import numpy as np
import pytest

from kerasport import utils
from kerasport.backends import B
from tests.helpers import keras_module

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
