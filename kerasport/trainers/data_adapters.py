"""Turn what users pass to ``fit``/``evaluate``/``predict`` into batches of backend tensors.

Every adapter yields ``(x, y, sample_weight)`` tuples, ``None`` where a part is
absent. ``ArrayAdapter`` moves arrays to the device once and slices them;
generators, ``PyDataset``, ``torch.utils.data.DataLoader`` and
``tf.data.Dataset`` are streams whose batches are converted one by one.
"""
import collections
import collections.abc
import itertools
import math
import multiprocessing
import pickle
import random
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

from kerasport.backends import B, NAME
from kerasport.core import nest as tree
from kerasport.core.tree import lists_to_tuples
from kerasport.utils.py_dataset import PyDataset


def _as_array(x):
    """``x`` as ``fit`` / ``evaluate`` / ``predict`` hold it: float64 arrays and tensors become float32, as Keras's
    data adapters cast float data to floatx."""
    if x is None:
        return x
    if B.is_tensor(x):
        return B.cast(x, "float32") if B.dtype(x) == "float64" else x
    if isinstance(x, (list, tuple)) and x and not isinstance(x[0], (np.ndarray, list, tuple, dict)) and \
            not B.is_tensor(x[0]):
        return np.asarray(x)
    if isinstance(x, (list, tuple, dict)):
        return tree.map_structure(_as_array, x)
    x = np.asarray(x)
    return x.astype(np.float32) if x.dtype == np.float64 else x


def _labels(y):
    """Integer class labels of ``y`` (sparse labels, one-hot rows, or binary probabilities)."""
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1).reshape(-1), y.shape[-1]
    return np.rint(y.reshape(-1)).astype(np.int64), None


def _class_weight_table(class_weight):
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(f"class_weight must be a non-empty dict {{class index: weight}}, received {class_weight!r}.")
    bad = [k for k in class_weight if not isinstance(k, (int, np.integer)) or k < 0]
    if bad:
        raise ValueError(f"class_weight keys must be non-negative class indices, received {bad}.")
    table = np.ones(max(class_weight) + 1, np.float32)
    for k, w in class_weight.items():
        table[k] = w
    return table


def class_weight_to_sample_weight(y, class_weight, all_classes_seen=True):
    """Per-sample weights ``class_weight[label]`` (1 for a class it omits), from int or one-hot labels.

    Raises ``ValueError`` when ``class_weight`` names a class that the labels
    cannot have: beyond the one-hot width, or (when ``y`` holds the whole data
    set, ``all_classes_seen``) beyond the largest sparse label.
    """
    table = _class_weight_table(class_weight)
    labels, width = _labels(B.convert_to_numpy(y) if B.is_tensor(y) else y)
    n_classes = width or (max(int(labels.max()) + 1, 2) if all_classes_seen and labels.size else None)
    if n_classes is not None:
        unknown = sorted(int(k) for k in class_weight if k >= n_classes)
        if unknown:
            raise ValueError(f"class_weight names class(es) {unknown} that do not exist: the labels have "
                             f"{n_classes} classes (0..{n_classes - 1}).")
    if labels.size and labels.min() < 0:
        raise ValueError(f"class_weight needs non-negative integer labels, found label {int(labels.min())}.")
    weights = np.ones(labels.shape, np.float32)
    known = labels < len(table)
    weights[known] = table[labels[known]]
    return weights


def unpack_data(data):
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` -> three parts; anything else is ``x``."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
        raise ValueError(f"Data should be (x,), (x, y) or (x, y, sample_weight); received a tuple of {len(data)}.")
    return data, None, None


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a packed batch, ``None`` for the parts it lacks."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    return tuple(data) + (None,) * (3 - len(data)) if len(data) <= 3 else (data, None, None)


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """A batch as Keras hands it to an overridden step: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


class DataAdapter:
    """One pass over the data, as ``(x, y, sample_weight)`` batches of backend tensors.

    ``num_batches`` is the number of batches in a pass (``None`` while unknown);
    ``peek()`` returns the ``x`` of the first batch (for building the model)
    without losing it, ``peek_y()`` its ``y``; ``on_epoch_end()`` runs after each epoch; ``close()``
    frees loader workers when ``fit``/``evaluate``/``predict`` return.
    """

    num_batches = None

    def __iter__(self):
        raise NotImplementedError

    def peek(self):
        raise NotImplementedError

    def peek_y(self):
        raise NotImplementedError

    def on_epoch_end(self):
        pass

    def close(self):
        pass


def _batchable(leaf):
    """``leaf`` as a backend tensor; strings stay a NumPy object array where the backend has no
    string tensor (torch), for the string preprocessing layers to read on the host."""
    if not B.STRING_TENSORS and getattr(getattr(leaf, "dtype", None), "kind", None) in ("O", "U", "S"):
        return np.asarray(leaf, dtype=object)
    return B.batch_tensor(leaf) if isinstance(leaf, np.ndarray) else B.convert_to_tensor(leaf)


class ArrayAdapter(DataAdapter):
    """Batches from in-memory arrays, held on the device for the whole ``fit``.

    With ``stream=True`` (``predict``) the arrays stay where they are and each
    batch is sliced and converted on its own, so no copy of the whole input is made.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, class_weight=None,
                 stream=False):
        x, y, sample_weight = _as_array(x), _as_array(y), _as_array(sample_weight)
        if class_weight is not None:
            if y is None:
                raise ValueError("class_weight needs targets `y`.")
            if len(tree.flatten(y)) > 1:
                raise ValueError("class_weight is supported only for models with a single output.")
            cw = class_weight_to_sample_weight(tree.flatten(y)[0], class_weight)
            sample_weight = cw if sample_weight is None else B.convert_to_numpy(sample_weight).astype(np.float32) * cw
        lengths = {}
        for part, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
            for leaf in tree.flatten(value) if value is not None else []:
                if not hasattr(leaf, "shape") or len(leaf.shape) == 0:
                    raise ValueError(f"`{part}` must be an array with a batch dimension, received {leaf!r}.")
                lengths.setdefault(part, set()).add(int(leaf.shape[0]))
        sizes = set().union(*lengths.values()) if lengths else set()
        if len(sizes) > 1:
            detail = ", ".join(f"{k}: {sorted(v)}" for k, v in lengths.items())
            raise ValueError(f"Data cardinality is ambiguous: x, y and sample_weight must have the same number "
                             f"of samples. Received sizes {detail}.")
        self.num_samples = sizes.pop() if sizes else 0
        self.batch_size = 32 if batch_size is None else int(batch_size)
        self.shuffle = shuffle
        self.stream = stream
        self.generator = None
        to_t = (lambda t: t) if stream else _batchable
        if NAME == "tensorflow":  # as Keras on TensorFlow, whose tf.data batches hold tuples where x held lists
            x, y, sample_weight = (lists_to_tuples(v) for v in (x, y, sample_weight))
        self.x = tree.map_structure(to_t, x)
        self.y = tree.map_structure(to_t, y) if y is not None else None
        self.sample_weight = tree.map_structure(to_t, sample_weight) if sample_weight is not None else None

    @property
    def num_batches(self):
        return math.ceil(self.num_samples / self.batch_size)

    def peek(self):
        if self.num_samples == 0:
            shapes = [tuple(leaf.shape) for leaf in tree.flatten(self.x)]
            raise ValueError(f"No data: the arrays hold 0 samples (x shapes {shapes}); fit, evaluate and predict "
                             "need at least one sample.")
        if self.stream:
            return self._slice(self.x, 0, self.batch_size)
        return self.x

    def peek_y(self):
        return self.y

    _STREAM_CHUNK_BYTES = 1 << 18

    def _streamed_batches(self, n, bs):
        """The batches of ``stream`` mode: whole batches of about ``_STREAM_CHUNK_BYTES`` in all are converted
        with one op and split with another, so that memory holds one chunk and a step costs no op of its own."""
        parts = [v for v in (self.x, self.y, self.sample_weight) if v is not None]
        row_bytes = sum(B.convert_to_numpy(leaf[:1]).nbytes for part in parts for leaf in tree.flatten(part))
        step = bs * max(1, self._STREAM_CHUNK_BYTES // max(1, row_bytes * bs))
        for lo in range(0, n, step):
            cuts = list(range(bs, min(n - lo, step), bs))

            def batches(value):
                if value is None:
                    return [None] * (len(cuts) + 1)
                flat = [(np.split(leaf, cuts) if isinstance(leaf, np.ndarray) else B.split(leaf, cuts, axis=0))
                        if cuts else [leaf]
                        for leaf in tree.flatten(self._slice(value, lo, lo + step))]
                return [tree.pack_as(value, [pieces[i] for pieces in flat]) for i in range(len(cuts) + 1)]
            yield from zip(batches(self.x), batches(self.y), batches(self.sample_weight))

    @staticmethod
    def _slice(value, lo, hi):
        return None if value is None else tree.map_structure(lambda t: _batchable(t[lo:hi]), value)

    def __iter__(self):
        """One epoch of batches. Each array is cut into all its batches with one split op
        (after one gather when shuffling), so a step costs no slicing op of its own."""
        n, bs = self.num_samples, self.batch_size
        if n == 0:
            return
        if self.stream:
            yield from self._streamed_batches(n, bs)
            return
        cuts = list(range(bs, n, bs))
        perm = B.random_permutation(n, self.generator) if self.shuffle is True and n > 1 else None

        def batches(t):
            if isinstance(t, np.ndarray):
                return np.split(t if perm is None else t[B.convert_to_numpy(perm)], cuts)
            return B.split(t if perm is None else B.take(t, perm, axis=0), cuts, axis=0)

        def per_batch(value):
            if value is None:
                return [None] * (len(cuts) + 1)
            flat = [batches(leaf) for leaf in tree.flatten(value)]
            return [tree.pack_as(value, [parts[i] for parts in flat]) for i in range(len(cuts) + 1)]

        order = range(len(cuts) + 1)
        if self.shuffle == "batch":
            order = [int(i) for i in B.convert_to_numpy(B.random_permutation(len(cuts) + 1, self.generator))]
        xs, ys, sws = per_batch(self.x), per_batch(self.y), per_batch(self.sample_weight)
        for i in order:
            yield xs[i], ys[i], sws[i]

    def split(self, fraction):
        """(train, validation) adapters: the last ``fraction`` of samples validate, as Keras."""
        cut = int(math.floor(self.num_samples * (1.0 - fraction)))  # Keras's split point
        if cut == 0 or cut == self.num_samples:
            raise ValueError(f"validation_split={fraction} leaves no sample for training or validation "
                             f"({self.num_samples} samples).")

        def part(lo, hi):
            sub = object.__new__(ArrayAdapter)
            sub.__dict__.update(self.__dict__)
            sl = lambda t: t[lo:hi]  # noqa: E731
            sub.x = tree.map_structure(sl, self.x)
            sub.y = None if self.y is None else tree.map_structure(sl, self.y)
            sub.sample_weight = None if self.sample_weight is None else tree.map_structure(sl, self.sample_weight)
            sub.num_samples = hi - lo
            return sub

        val = part(cut, self.num_samples)
        val.shuffle = False
        return part(0, cut), val


# ----------------------------------------------------------------------------- streams
def _signature(value):
    """The nesting of ``value`` with each array shown as ``"array"``, to compare batch structures."""
    return tree.map_structure(lambda leaf: None if leaf is None else "array", value)


class _StreamAdapter(DataAdapter):
    """Base of adapters over a stream of batches: checks and converts each element.

    Subclasses set ``self.kind`` (named in errors) and implement ``_open()``,
    which returns an iterator over the raw elements of one pass.
    """

    lists_are_tuples = False

    def __init__(self, kind, class_weight=None):
        self.kind = kind
        self._class_weight = class_weight
        if class_weight is not None:
            _class_weight_table(class_weight)
        self._structure = None
        self._peeked = None

    def _open(self):
        raise NotImplementedError

    def _convert(self, element):
        if self.lists_are_tuples and isinstance(element, list):
            element = tuple(element)
        if isinstance(element, tuple) and not 1 <= len(element) <= 3:
            raise ValueError(f"The {self.kind} must yield (x,), (x, y) or (x, y, sample_weight); it yielded a "
                             f"tuple of {len(element)} items.")
        x, y, sw = unpack_data(element)
        structure = _signature((x, y, sw))
        if self._structure is None:
            self._structure = structure
        elif structure != self._structure:
            raise ValueError(f"The {self.kind} changed the structure of its batches: the first was "
                             f"(x, y, sample_weight) = {self._structure}, this one is {structure}.")
        if x is None:
            raise ValueError(f"The {self.kind} yielded a batch without inputs `x`.")
        if self._class_weight is not None:
            if y is None or len(tree.flatten(y)) != 1:
                raise ValueError("class_weight needs batches (x, y) with a single target array.")
            cw = class_weight_to_sample_weight(np.asarray(tree.flatten(y)[0]), self._class_weight,
                                               all_classes_seen=False)
            sw = cw if sw is None else np.asarray(sw, np.float32) * cw
        batch = []
        sizes = set()
        # Plain (x, y, sample_weight) arrays must hold as many samples each; nested ones may not, as in Keras (a
        # custom train_step on zipped datasets: x = (unlabeled, _), y = (labeled, labels), each its own batch).
        plain = all(value is None or not isinstance(value, (list, tuple, dict)) for value in (x, y, sw))
        for part, value in (("x", x), ("y", y), ("sample_weight", sw)):
            if value is None:
                batch.append(None)
                continue
            try:
                value = tree.map_structure(B.convert_to_tensor, value)
            except (TypeError, ValueError, RuntimeError) as e:
                raise ValueError(f"The {self.kind} yielded a `{part}` that is not an array or a list/dict of "
                                 f"arrays: {e}") from e
            for leaf in tree.flatten(value):
                if B.ndim(leaf) == 0:
                    raise ValueError(f"The {self.kind} yielded a `{part}` without a batch dimension "
                                     f"(a scalar); every array must hold a batch of samples.")
                sizes.add(int(B.shape(leaf)[0]))
            batch.append(value)
        if plain and len(sizes) > 1:
            raise ValueError(f"The {self.kind} yielded a batch whose arrays hold different numbers of samples "
                             f"{sorted(sizes)}: x, y and sample_weight must agree.")
        return tuple(batch)

    def peek(self):
        if self._peeked is None:
            iterator = self._open()
            for element in iterator:
                self._peeked = (self._convert(element), iterator)
                break
            else:
                raise ValueError(f"The {self.kind} yielded no batch.")
        return self._peeked[0][0]

    def peek_y(self):
        self.peek()
        return self._peeked[0][1]

    def __iter__(self):
        if self._peeked is not None and self._peeked[1] is not None:  # the peek's pass goes on
            (first, iterator), self._peeked = self._peeked, None
            yield first
        else:
            iterator = self._open()
        convert = self._convert
        for element in iterator:
            yield convert(element)


class GeneratorAdapter(_StreamAdapter):
    """A Python generator (or any iterator): one pass, then it is exhausted.

    A finite generator is one epoch of data; an endless one needs ``steps_per_epoch``.
    """

    def __init__(self, generator, class_weight=None):
        super().__init__("generator", class_weight)
        self._generator = generator

    def _open(self):
        return self._generator

    def _convert(self, element):
        if not isinstance(element, tuple):  # as in Keras: a bare array would be ambiguous
            raise ValueError(f"A generator passed to a model must yield tuples, either (inputs,) or (inputs, "
                             f"targets) or (inputs, targets, sample_weights); it yielded a {type(element).__name__}.")
        return super()._convert(element)


class PyDatasetAdapter(_StreamAdapter):
    """A ``PyDataset``: batches by index, loaded ahead by a pool of threads or processes."""

    def __init__(self, dataset, shuffle=False, class_weight=None):
        super().__init__(f"PyDataset {type(dataset).__name__}", class_weight)
        self.dataset = dataset
        self.shuffle = shuffle
        self._pool = None

    @property
    def num_batches(self):
        return self.dataset.num_batches

    def _indices(self):
        n = self.dataset.num_batches
        if n is None:
            return itertools.count()
        order = list(range(n))
        if self.shuffle:
            random.shuffle(order)  # Python's generator, as Keras: the same order under the same seed
        return iter(order)

    def _executor(self):
        ds = self.dataset
        if self._pool is None:
            if ds.use_multiprocessing:
                # Forked workers inherit the dataset, as in Keras and torch's DataLoader; spawned ones unpickle it.
                method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
                if method == "spawn":
                    try:
                        pickle.dumps(ds)
                    except Exception as e:
                        raise TypeError(f"use_multiprocessing=True sends the {self.kind} to worker processes, so "
                                        f"it must be picklable: {e}. Use threads (use_multiprocessing=False).") from e
                self._pool = ProcessPoolExecutor(ds.workers, mp_context=multiprocessing.get_context(method),
                                                 initializer=_set_worker_dataset, initargs=(ds,))
            else:
                self._pool = ThreadPoolExecutor(ds.workers, thread_name_prefix="kerasport-pydataset")
        return self._pool

    def peek(self):
        # As Keras (TensorFlow): the first two batches are read by index, outside any epoch, to learn the batches'
        # structure (a ``__getitem__`` that changes the dataset, as keras.io's depth_estimation shrinking its
        # batch size at the last batch, then does so at the same time), and every pass reads its batches afresh
        # (fit and evaluate call on_epoch_end first): a dataset that reshuffles in on_epoch_end is trained on its
        # new order, never on a batch read before it.
        if self._peeked is None:
            n = self.dataset.num_batches
            if n == 0:
                raise ValueError(f"The {self.kind} has length 0.")
            batches = [self._convert(self.dataset[i]) for i in range(2 if n is None else min(2, n))]
            self._peeked = (batches[0], None)
        return self._peeked[0][0]

    def _open(self):
        ds = self.dataset
        ds.on_epoch_begin()
        if ds.workers == 1 and not ds.use_multiprocessing:
            return (ds[i] for i in self._indices())
        getitem = _worker_getitem if ds.use_multiprocessing else ds.__getitem__
        return _ordered_prefetch(self._executor(), getitem, self._indices(), ds.max_queue_size)

    def on_epoch_end(self):
        self.dataset.on_epoch_end()

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


_worker_dataset = None


def _set_worker_dataset(dataset):
    global _worker_dataset
    _worker_dataset = dataset


def _worker_getitem(index):
    return _worker_dataset[index]


def _ordered_prefetch(executor, getitem, indices, depth):
    """``getitem(i)`` for each index, in order, with up to ``depth`` loads running ahead."""
    pending = collections.deque(executor.submit(getitem, i) for i in itertools.islice(indices, depth))
    try:
        while pending:
            batch = pending.popleft().result()
            for i in itertools.islice(indices, 1):
                pending.append(executor.submit(getitem, i))
            yield batch
    finally:
        for future in pending:
            future.cancel()


class TorchDataLoaderAdapter(_StreamAdapter):
    """A ``torch.utils.data.DataLoader`` (its default collation gives ``[x, y]`` lists)."""

    lists_are_tuples = True

    def __init__(self, loader, class_weight=None):
        super().__init__("DataLoader", class_weight)
        self.loader = loader

    @property
    def num_batches(self):
        try:
            return len(self.loader)
        except TypeError:
            return None

    def _open(self):
        return iter(self.loader)


class TFDatasetAdapter(_StreamAdapter):
    """A batched ``tf.data.Dataset`` yielding ``x`` or ``(x, y[, sample_weight])``."""

    def __init__(self, dataset, class_weight=None):
        super().__init__("tf.data.Dataset", class_weight)
        self.dataset = dataset
        n = int(dataset.cardinality())
        self._cardinality = n if n >= 0 else None

    @property
    def num_batches(self):
        return self._cardinality

    def _open(self):
        return iter(self.dataset)

    def __iter__(self):
        yield from super().__iter__()
        if self._cardinality is not None:
            # Keras opens the dataset's next iterator as soon as a pass of known length ends, and (without
            # ``steps_per_epoch``) another one for the next epoch: a seeded ``shuffle`` that reshuffles each
            # iteration gives each later epoch the order Keras trains on.
            iter(self.dataset)


def _class_names(x):
    return {f"{c.__module__}.{c.__qualname__}" for c in type(x).__mro__}


def _is_tf_dataset(x):
    return "tensorflow.python.data.ops.dataset_ops.DatasetV2" in _class_names(x)


def _is_torch_dataloader(x):
    return "torch.utils.data.dataloader.DataLoader" in _class_names(x)


def get_adapter(x, y=None, sample_weight=None, batch_size=None, shuffle=False, class_weight=None, stream=False):
    """The adapter for this kind of input.

    Arrays (NumPy, backend tensors, lists/dicts of them) take ``y``,
    ``sample_weight`` and ``batch_size`` (and ``stream``: convert them one batch
    at a time, for ``predict``); a generator, ``PyDataset``,
    ``DataLoader`` or ``tf.data.Dataset`` yields whole batches with their
    targets, so ``y`` and ``sample_weight`` must be ``None``.
    """
    if x is None:
        raise ValueError("No data: pass `x` (arrays, a generator, a PyDataset, a Dataset or a DataLoader).")
    if shuffle not in (True, False, "batch"):
        raise ValueError(f'shuffle must be True, False or "batch", received {shuffle!r}.')
    if isinstance(x, PyDataset):
        shuffle = bool(shuffle) and getattr(x, "fit_shuffles", True)
        stream, adapter = "PyDataset", lambda: PyDatasetAdapter(x, shuffle, class_weight)
    elif _is_tf_dataset(x):
        stream, adapter = "tf.data.Dataset", lambda: TFDatasetAdapter(x, class_weight)
    elif _is_torch_dataloader(x):
        stream, adapter = "DataLoader", lambda: TorchDataLoaderAdapter(x, class_weight)
    elif isinstance(x, collections.abc.Iterator):
        stream, adapter = "generator", lambda: GeneratorAdapter(x, class_weight)
    else:
        return ArrayAdapter(x, y, sample_weight, batch_size, shuffle, class_weight, stream)
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(f"`{name}` must be None when `x` is a {stream}: yield (x, y, sample_weight) "
                             f"batches from it instead.")
    return adapter()
