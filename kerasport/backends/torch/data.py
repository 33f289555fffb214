"""PyTorch backend, the dataset pieces of ``kerasport.utils``'s builders (``dataset_utils``), which
calls them as ``B.dataset_from_batches`` etc.

The builders return ``kerasport.utils.PyDataset``
objects of NumPy batches here, and ``split_dataset`` returns
``torch.utils.data.Subset``s, as Keras's torch path does.
"""
import io
import wave

import numpy as np
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

from kerasport.backends.torch.core import convert_to_tensor


def batch_tensor(x):
    """``convert_to_tensor``, float64 data in float32 as Keras's data adapters give it: ``torch.from_numpy`` shares
    the array's memory on the CPU."""
    return convert_to_tensor(x, "float32" if getattr(x, "dtype", None) == np.float64 else None)


def dataset_from_batches(batches):
    """``batches`` itself: a ``PyDataset`` is the torch backend's dataset type."""
    return batches


def decode_wav(contents, desired_samples=-1):
    """The standard library's ``wave`` reader, scaled as ``tf.audio.decode_wav`` scales: 16-bit samples / 2**15
    (8-bit unsigned, 24- and 32-bit PCM are scaled to ``[-1, 1)`` the same way)."""
    try:
        with wave.open(io.BytesIO(contents)) as f:
            channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
            frames = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"Could not decode a PCM WAV file: {e}") from None
    raw = np.frombuffer(frames, np.uint8).reshape(-1, width)
    if width == 1:
        samples = (raw[:, 0].astype(np.float32) - 128) / 128
    else:  # little-endian signed integers: sign-extend into int32 from the top byte down
        padded = np.zeros((len(raw), 4), np.uint8)
        padded[:, 4 - width:] = raw
        samples = padded.view("<i4")[:, 0].astype(np.float64) / 2.0 ** 31
    audio = samples.astype(np.float32).reshape(-1, channels)
    if desired_samples >= 0:
        audio = np.pad(audio[:desired_samples], ((0, max(0, desired_samples - len(audio))), (0, 0)))
    return audio, rate


def split_source(dataset):
    """``(dataset, len(dataset), None)`` for a ``torch.utils.data.Dataset``, ``None`` for anything else."""
    if not isinstance(dataset, Dataset):
        return None
    return dataset, len(dataset), None


def arrays_split_source(arrays):
    """A ``TensorDataset`` of a NumPy array or a tuple of arrays with the same first dim:
    ``(dataset, total, None)``."""
    if isinstance(arrays, dict):
        raise TypeError("split_dataset: a dict of arrays is not supported on the torch backend; pass a "
                        "list or tuple of arrays.")
    arrays = arrays if isinstance(arrays, tuple) else (arrays,)
    dataset = TensorDataset(*[torch.from_numpy(np.ascontiguousarray(a)) for a in arrays])
    return dataset, len(dataset), None


def split_order(total, shuffle, seed):
    """Sample order of ``split_dataset``: ``range(total)``, or with ``shuffle`` a
    ``torch.randperm`` drawn from a generator seeded with ``seed`` (fresh when ``None``)."""
    if not shuffle:
        return list(range(total))
    generator = torch.Generator()
    generator.manual_seed(seed) if seed is not None else generator.seed()
    return torch.randperm(total, generator=generator).tolist()


def split_parts(source, left_indices, right_indices, batch_size):
    """``(left, right)`` ``torch.utils.data.Subset``s of ``source`` (``batch_size`` is unused: wrap them
    in a ``DataLoader`` to batch them)."""
    return Subset(source, list(left_indices)), Subset(source, list(right_indices))
