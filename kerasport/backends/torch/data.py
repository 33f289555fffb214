"""PyTorch backend, the dataset pieces of ``kerasport.utils``'s builders (``dataset_utils``), which
calls them as ``B.dataset_from_batches`` etc.

The builders return ``kerasport.utils.PyDataset``
objects of NumPy batches here, and ``split_dataset`` returns
``torch.utils.data.Subset``s, as Keras's torch path does.
"""
import numpy as np
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

from kerasport.backends.torch.core import convert_to_tensor


def batch_tensor(x):
    """``convert_to_tensor``: ``torch.from_numpy`` shares the array's memory on the CPU."""
    return convert_to_tensor(x)


def dataset_from_batches(batches):
    """``batches`` itself: a ``PyDataset`` is the torch backend's dataset type."""
    return batches


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
