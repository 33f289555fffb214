"""The backend contract, ``data``: dataset pieces of kerasport.utils's builders.

Each backend implements these in ``backends/<name>/data.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def arrays_split_source(arrays: list[Tensor]) -> Any:
    """A ``TensorDataset`` of a NumPy array or a tuple of arrays with the same first dim:
    ``(dataset, total, None)``.
    """


def batch_tensor(x: np.ndarray) -> Tensor:
    """``x``, a NumPy array of samples read by ``fit`` / ``evaluate`` / ``predict``, as a tensor that may share
    its memory: no copy where the framework can avoid one, at most one where it cannot (writing to ``x`` while the
    tensor lives may change the tensor). float64 becomes float32, as Keras's data adapters cast float data to floatx.
    """


def dataset_from_batches(batches) -> Any:
    """``batches`` itself: a ``PyDataset`` is the torch backend's dataset type."""


def decode_wav(contents: bytes, desired_samples: int = -1) -> tuple[np.ndarray, int]:
    """The samples of a PCM WAV file's bytes ``contents`` as ``tf.audio.decode_wav`` gives them: a float32 NumPy
    array ``(samples, channels)`` in ``[-1, 1)`` and the sample rate. ``desired_samples`` >= 0 truncates or
    zero-pads the samples to that many; -1 keeps them all. A file that is not PCM WAV raises ``ValueError``.
    """


def split_order(total, shuffle, seed) -> Any:
    """Sample order of ``split_dataset``: ``range(total)``, or with ``shuffle`` a
    ``torch.randperm`` drawn from a generator seeded with ``seed`` (fresh when ``None``).
    """


def split_parts(source: ArrayLike, left_indices, right_indices, batch_size) -> Any:
    """``(left, right)`` ``torch.utils.data.Subset``s of ``source`` (``batch_size`` is unused: wrap them
    in a ``DataLoader`` to batch them).
    """


def split_source(dataset) -> Any:
    """``(dataset, len(dataset), None)`` for a ``torch.utils.data.Dataset``, ``None`` for anything else."""
