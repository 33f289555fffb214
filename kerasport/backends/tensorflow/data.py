"""TensorFlow pieces of the dataset builders of ``kerasport.utils`` (``dataset_utils``).

The package gathers them, so that ``dataset_utils`` calls them as
``B.dataset_from_batches`` etc. and never imports TensorFlow itself. The builders
return ``tf.data.Dataset`` objects here, as Keras does.
"""
import random

import numpy as np
import tensorflow as tf
from tensorflow.python.eager import context
from tensorflow.python.framework.ops import EagerTensor

from kerasport.core import nest as tree


__all__ = ["batch_tensor", "dataset_from_batches", "decode_wav", "split_source", "arrays_split_source", "split_order",
           "split_parts"]


def batch_tensor(x):
    """The batch as an ``EagerTensor`` made straight from the array. ``tf.convert_to_tensor`` copies every NumPy
    array first (so that the tensor never shares the caller's memory), and the tensor then copies that copy
    unless it is 64-byte aligned: two copies of each batch. Here an aligned array is shared and any other copied
    once."""
    if x.dtype.kind not in "biuf" or x.dtype == np.float64:
        return tf.convert_to_tensor(x.astype("float32") if x.dtype == np.float64 else x)
    ctx = context.context()
    ctx.ensure_initialized()
    return EagerTensor(x, ctx.device_name)


def dataset_from_batches(batches):
    """A ``tf.data.Dataset`` yielding the batches of ``batches``.

    Args:
        batches: a ``PyDataset`` with a ``batch_size`` attribute (``None``: its
            items are single samples); its ``on_epoch_end`` runs after each pass. An
            optional ``sample_shape`` attribute is the shape of one input sample, None
            where it varies (by default the first batch's sample shape).

    Returns:
        A ``tf.data.Dataset`` of the same batches (strings as ``tf.string``) with
        a known cardinality.
    """

    def spec(a, sample_shape=None):
        a = np.asarray(a)
        shape = a.shape[1 if batches.batch_size else 0:] if sample_shape is None else tuple(sample_shape)
        shape = shape if batches.batch_size is None else (None,) + shape
        return tf.TensorSpec(shape, tf.string if a.dtype.kind in "USO" else tf.as_dtype(a.dtype))

    def generate():
        for i in range(len(batches)):
            yield batches[i]
        batches.on_epoch_end()

    first = batches[0]
    signature = tree.map_structure(spec, first)
    sample_shape = getattr(batches, "sample_shape", None)
    if sample_shape is not None:  # the inputs' sizes that change from batch to batch are None
        signature = (spec(first[0], sample_shape),) + signature[1:] if isinstance(first, tuple) \
            else spec(first, sample_shape)
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return dataset.apply(tf.data.experimental.assert_cardinality(len(batches)))


def decode_wav(contents, desired_samples=-1):
    """``tf.audio.decode_wav`` (16-bit PCM): ``(float32 array (samples, channels), sample rate)``."""
    try:
        audio, rate = tf.audio.decode_wav(contents, desired_samples=desired_samples)
    except tf.errors.InvalidArgumentError as e:
        raise ValueError(f"Could not decode a PCM WAV file: {e.message}") from None
    return audio.numpy(), int(rate)


def split_source(dataset):
    """The samples of a ``tf.data.Dataset`` to split, or ``None`` if ``dataset`` is not one.

    Returns:
        ``(arrays, total, batch_size)``: the unbatched elements stacked into NumPy
        arrays (same structure as an element), their count, and the batch size of
        ``dataset`` (``None`` if it is not batched).
    """
    if not isinstance(dataset, tf.data.Dataset):
        return None
    batch_size = getattr(dataset, "_batch_size", None)
    elements = list((dataset.unbatch() if batch_size is not None else dataset).as_numpy_iterator())
    if not elements:
        raise ValueError("split_dataset: `dataset` is an empty tf.data.Dataset; it must yield at least 2 samples.")
    columns = zip(*[tree.flatten(element) for element in elements])
    arrays = tree.pack_as(elements[0], [np.stack(column) for column in columns])
    return arrays, len(tree.flatten(arrays)[0]), batch_size


def arrays_split_source(arrays):
    """``(arrays, total, None)`` for a NumPy array or a tuple/dict of arrays with the same first dim."""
    return arrays, len(tree.flatten(arrays)[0]), None


def split_order(total, shuffle, seed):
    """Sample order of ``split_dataset``: ``range(total)``, shuffled as Keras's TensorFlow path does
    (Python's ``random.Random(seed)``) when ``shuffle``."""
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, int(1e6)) if seed is None else seed).shuffle(order)
    return order


def split_parts(source, left_indices, right_indices, batch_size):
    """``(left, right)`` ``tf.data.Dataset``s of the samples of ``source`` at the given indices,
    batched by ``batch_size`` when it is not ``None``, prefetched."""
    parts = []
    for indices in (left_indices, right_indices):
        indices = np.asarray(indices, dtype="int64")
        part = tf.data.Dataset.from_tensor_slices(tree.map_structure(lambda a: a[indices], source))
        if batch_size is not None:
            part = part.batch(int(batch_size))
        parts.append(part.prefetch(tf.data.AUTOTUNE))
    return tuple(parts)
