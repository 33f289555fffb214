"""Turn what users pass to ``fit``/``evaluate``/``predict`` into batches of backend tensors.

``ArrayAdapter`` moves NumPy arrays (or lists/dicts of them) to the device once;
a batch is then an index slice. Every adapter yields ``(x, y, sample_weight)``
tuples with ``None`` where a part is absent.
"""
import math

import numpy as np

from kerasport.backends import B
from kerasport.utils import tree


def _is_array(x):
    return isinstance(x, np.ndarray) or B.is_tensor(x) or hasattr(x, "__array__") and not isinstance(x, (list, dict))


def _as_array(x):
    if x is None or B.is_tensor(x):
        return x
    if isinstance(x, (list, tuple)) and x and not isinstance(x[0], (np.ndarray, list, tuple, dict)) and \
            not B.is_tensor(x[0]):
        return np.asarray(x)
    if isinstance(x, (list, tuple, dict)):
        return tree.map_structure(_as_array, x)
    x = np.asarray(x)
    return x.astype(np.float32) if x.dtype == np.float64 else x


def _length(x):
    return int(x.shape[0])


def class_weight_to_sample_weight(y, class_weight):
    """Per-sample weights from a ``{class_index: weight}`` dict (labels int or one-hot)."""
    y = np.asarray(B.convert_to_numpy(y) if B.is_tensor(y) else y)
    labels = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.rint(labels).astype(np.int64)
    n_classes = (y.shape[-1] if y.ndim > 1 and y.shape[-1] > 1 else int(labels.max()) + 1 if len(labels) else 0)
    unknown = sorted(int(k) for k in class_weight if not 0 <= int(k) < max(n_classes, 2 if y.ndim == 1 or y.shape[-1] == 1 else 0))
    if unknown:
        raise ValueError(f"class_weight names class(es) {unknown} that do not exist: the labels have "
                         f"{max(n_classes, 2)} classes (0..{max(n_classes, 2) - 1}).")
    table = np.ones(max(n_classes, max(int(k) for k in class_weight) + 1), np.float32)
    for k, w in class_weight.items():
        table[int(k)] = w
    return table[labels]


class ArrayAdapter:
    """Batches from in-memory arrays, held on the device for the whole ``fit``."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, class_weight=None,
                 steps=None):
        x, y, sample_weight = _as_array(x), _as_array(y), _as_array(sample_weight)
        if class_weight is not None:
            if y is None:
                raise ValueError("class_weight needs targets `y`.")
            if len(tree.flatten(y)) > 1:
                raise ValueError("class_weight is supported only for models with a single output.")
            cw = class_weight_to_sample_weight(tree.flatten(y)[0], class_weight)
            sample_weight = cw if sample_weight is None else np.asarray(sample_weight, np.float32) * cw
        lengths = {}
        for part, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
            for leaf in tree.flatten(value) if value is not None else []:
                if not hasattr(leaf, "shape") or len(leaf.shape) == 0:
                    raise ValueError(f"`{part}` must be an array with a batch dimension, received {leaf!r}.")
                lengths.setdefault(part, set()).add(_length(leaf))
        sizes = set().union(*lengths.values()) if lengths else set()
        if len(sizes) > 1:
            detail = ", ".join(f"{k}: {sorted(v)}" for k, v in lengths.items())
            raise ValueError(f"Data cardinality is ambiguous: x, y and sample_weight must have the same number "
                             f"of samples. Received sizes {detail}.")
        self.num_samples = sizes.pop() if sizes else 0
        if batch_size is None:
            batch_size = 32
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        to_t = B.convert_to_tensor
        self.x = tree.map_structure(to_t, x)
        self.y = tree.map_structure(to_t, y) if y is not None else None
        self.sample_weight = to_t(sample_weight) if sample_weight is not None else None
        self._steps = steps
        self.shapes = tree.map_structure(lambda t: tuple(t.shape), self.x)

    @property
    def num_batches(self):
        full = math.ceil(self.num_samples / self.batch_size)
        return min(full, self._steps) if self._steps else full

    def __iter__(self):
        n, bs = self.num_samples, self.batch_size
        if self.shuffle == "batch":
            order = B.random_permutation(self.num_batches)
            starts = [int(i) * bs for i in B.convert_to_numpy(order)]
        else:
            starts = range(0, n, bs)
        perm = B.random_permutation(n) if self.shuffle is True else None
        for step, start in enumerate(starts):
            if self._steps and step >= self._steps:
                return
            stop = min(start + bs, n)
            if perm is not None:
                idx = perm[start:stop]
                take = lambda t: B.take(t, idx, axis=0)  # noqa: E731
            else:
                take = lambda t: t[start:stop]  # noqa: E731
            x = take(self.x) if not isinstance(self.x, (list, tuple, dict)) else tree.map_structure(take, self.x)
            y = None if self.y is None else (take(self.y) if not isinstance(self.y, (list, tuple, dict))
                                              else tree.map_structure(take, self.y))
            sw = None if self.sample_weight is None else take(self.sample_weight)
            yield x, y, sw

    def split(self, fraction):
        """(train, validation) adapters: the last ``fraction`` of samples validate, as Keras."""
        n_val = int(self.num_samples * fraction)
        if n_val == 0 or n_val == self.num_samples:
            raise ValueError(f"validation_split={fraction} leaves no sample for training or validation "
                             f"({self.num_samples} samples).")
        cut = self.num_samples - n_val

        def part(lo, hi):
            sub = object.__new__(ArrayAdapter)
            sub.__dict__.update(self.__dict__)
            sl = lambda t: t[lo:hi]  # noqa: E731
            sub.x = tree.map_structure(sl, self.x)
            sub.y = None if self.y is None else tree.map_structure(sl, self.y)
            sub.sample_weight = None if self.sample_weight is None else sl(self.sample_weight)
            sub.num_samples = hi - lo
            return sub

        val = part(cut, self.num_samples)
        val.shuffle = False
        return part(0, cut), val


def unpack_data(data):
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` -> three parts."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
        raise ValueError(f"Data should be (x,), (x, y) or (x, y, sample_weight); received a tuple of {len(data)}.")
    return data, None, None


def get_adapter(x, y=None, sample_weight=None, batch_size=None, shuffle=False, class_weight=None, steps=None):
    """The adapter for this kind of input."""
    if x is None:
        raise ValueError("No data: pass `x` (arrays, a generator, a Dataset or a DataLoader).")
    return ArrayAdapter(x, y, sample_weight, batch_size, shuffle, class_weight, steps)
