"""Helpers the categorical and text preprocessing layers share: host arrays and strings, a traceable
sorted search, categorical encodings, argument checks and the batches of ``adapt()`` data."""
import numpy as np

from kerasport.backends import B


def eager_numpy(x):
    """``x`` as NumPy when it holds values (eager), ``None`` inside a traced TensorFlow function."""
    try:
        return B.convert_to_numpy(x)
    except Exception:  # a symbolic tf.Tensor in a tf.function has no value
        return None


def host_numpy(x):
    """A NumPy array from a list, array, backend tensor or ``tf.Tensor`` (also on the torch backend)."""
    if isinstance(x, np.ndarray):
        return x
    if B.is_tensor(x):
        return B.convert_to_numpy(x)
    if hasattr(x, "numpy") and not isinstance(x, (list, tuple)):
        return np.asarray(x.numpy())
    return np.asarray(x, dtype=object if _has_strings(x) else None)


def traced_strings(x):
    """Whether ``x`` is a string (or number) tensor inside a traced TensorFlow step: the layers then use
    the backend's string kernels instead of NumPy."""
    return B.STRING_TENSORS and B.string_is_symbolic(x)


def _has_strings(x):
    while isinstance(x, (list, tuple)) and x:
        x = x[0]
    return isinstance(x, (str, bytes))


_decode = np.frompyfunc(lambda s: s.decode("utf-8") if isinstance(s, bytes) else str(s), 1, 1)


def as_strings(x):
    """An object array of ``str`` (bytes decoded as UTF-8) from any string container."""
    arr = np.asarray(host_numpy(x))  # a scalar string tensor gives ``bytes``
    return np.asarray(_decode(arr), dtype=object) if arr.size else arr.astype(object)


def search_sorted(sorted_values, x, n, right=False):
    """``searchsorted`` with backend ops: for each ``x``, how many of the ``n`` sorted values are ``< x``
    (``<= x`` with ``right``). A fixed number of vectorized bisection steps, so it also traces."""
    lo = B.zeros_like(x, dtype="int64")
    hi = B.full_like(x, n, dtype="int64")
    for _ in range(max(n, 1).bit_length()):
        mid = B.floor_divide(lo + hi, 2)
        value = B.take(sorted_values, B.minimum(mid, n - 1))
        go_right = B.logical_and(B.less_equal(value, x) if right else B.less(value, x), B.less(mid, hi))
        lo = B.where(go_right, mid + 1, lo)
        hi = B.where(go_right, hi, mid)
    return lo


def encode_categorical(indices, output_mode, depth, dtype="float32", count_weights=None):
    """Keras's ``encode_categorical_inputs`` on int indices: ``one_hot``, ``multi_hot`` or ``count`` over
    ``depth`` classes. Indices outside ``[0, depth)`` (``-1`` marks padding and masks) count for nothing."""
    rank = len(B.shape(indices))
    if rank == 0:
        indices, rank = B.expand_dims(indices, -1), 1
    if output_mode == "one_hot" and rank > 1 and B.shape(indices)[-1] == 1:
        indices = B.squeeze(indices, -1)
    hits = B.equal(B.expand_dims(B.cast(indices, "int64"), -1), B.arange(depth, dtype="int64"))
    if output_mode == "one_hot":
        return B.cast(hits, dtype)
    axis = 1 if rank > 1 else 0
    if output_mode == "multi_hot":
        return B.cast(B.any(hits, axis=axis), dtype)
    hits = B.cast(hits, B.dtype(count_weights) if count_weights is not None else dtype)
    if count_weights is not None:
        hits = hits * B.expand_dims(count_weights, -1)
    return B.sum(hits, axis=axis)


def encoded_shape(input_shape, output_mode, depth):
    """The shape ``encode_categorical`` gives ``input_shape`` in ``output_mode`` over ``depth`` classes."""
    input_shape = tuple(input_shape)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)


def check_output_mode(layer, output_mode, allowed):
    """``output_mode`` (Keras 2 aliases renamed) if in ``allowed``; else a ValueError naming ``layer``."""
    output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
    if output_mode not in allowed:
        raise ValueError(f"{layer}: `output_mode` must be one of {allowed}, received output_mode={output_mode!r}.")
    return output_mode


def check_not_sparse(layer, sparse):
    """A ValueError naming ``layer`` for ``sparse=True``, which kerasport does not support."""
    if sparse:
        raise ValueError(f"{layer}: `sparse=True` is not supported by kerasport; use sparse=False.")


def adapt_batches(data, steps):
    """The batches of ``adapt`` data: the whole of an array/list/tensor, or each item of an iterable."""
    if isinstance(data, (list, tuple, np.ndarray)) or B.is_tensor(data) or (
            hasattr(data, "numpy") and hasattr(data, "shape") and hasattr(data, "dtype")):
        return None
    if not hasattr(data, "__iter__"):
        raise TypeError(f"adapt() expects an array, a list, a tensor or an iterable of batches, "
                        f"received {type(data).__name__}.")
    return (b for i, b in enumerate(data) if steps is None or i < steps)


def is_ragged(data):
    """Whether ``data`` is a list of token lists (rows of any lengths)."""
    return isinstance(data, list) and bool(data) and all(isinstance(r, (list, tuple)) for r in data)


def is_ragged_tensor(x):
    """Whether ``x`` is a ``tf.RaggedTensor`` (TensorFlow's rows of any lengths); TensorFlow is not imported."""
    return hasattr(x, "flat_values") and hasattr(x, "row_splits") and hasattr(x, "with_flat_values")


def token_lists(data):
    """``adapt`` data with a ``tf.RaggedTensor`` as the list of its rows (``to_list``); other data as it is."""
    return data.to_list() if is_ragged_tensor(data) else data


def batch_features(batch):
    """The features of an ``adapt`` batch: the first item of an ``(x, y)`` tuple, else the batch."""
    return batch[0] if isinstance(batch, tuple) else batch
