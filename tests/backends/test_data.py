"""``B.batch_tensor``: the NumPy batches of fit / evaluate / predict as tensors, without needless copies."""
import numpy as np
import pytest

from kerasport.backends import B


def _aligned(shape, dtype="float32"):
    """A C-contiguous array whose data starts on a 64-byte boundary (TensorFlow shares only those)."""
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    raw = np.zeros(size + 64, np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start:start + size].view(dtype).reshape(shape)


def test_an_aligned_batch_is_shared_not_copied():
    a = _aligned((16, 8))
    a[:] = np.arange(128).reshape(16, 8)
    t = B.batch_tensor(a)
    a[0, 0] = 1000.0  # nothing writes a batch while its tensor lives: done here only to see the sharing
    assert B.convert_to_numpy(t)[0, 0] == 1000.0


@pytest.mark.parametrize("offset", [0, 1])
def test_values_dtypes_and_unaligned_batches(offset):
    x = np.random.RandomState(0).rand(33, 5)
    for array, dtype in [(x.astype("float32")[offset:], "float32"), (x[offset:], "float32"),
                         (np.arange(40, dtype="int64")[offset:], "int64"), ((x > 0.5)[offset:], "bool"),
                         (x.astype("float32")[offset:, ::2], "float32")]:
        t = B.batch_tensor(array)
        assert B.is_tensor(t) and B.dtype(t) == dtype
        np.testing.assert_array_equal(B.convert_to_numpy(t), array.astype(dtype))


def test_string_batches_on_backends_with_string_tensors():
    if not B.STRING_TENSORS:
        pytest.skip("this backend keeps strings in NumPy object arrays")
    t = B.batch_tensor(np.array(["a", "bc"]))
    assert [s.decode() for s in B.convert_to_numpy(t)] == ["a", "bc"]
