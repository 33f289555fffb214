"""``PyDataset`` (alias ``Sequence``): a dataset of batches indexed by number, as in Keras.

Subclass it, implement ``__len__`` and ``__getitem__``, and pass an instance to
``fit``/``evaluate``/``predict``; ``workers > 1`` loads batches in parallel.
"""


class PyDataset:
    """Base class of datasets that return whole batches by index.

    Subclasses implement ``__len__`` (the number of batches) and
    ``__getitem__(index)``, which returns a batch as ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)`` of NumPy arrays (or lists/dicts of them). Override
    ``on_epoch_end`` to reshuffle between epochs. A dataset without an end
    overrides ``num_batches`` to return ``None``; ``fit`` then needs
    ``steps_per_epoch``.

    Args:
        workers: number of threads (or processes) that load batches ahead of
            the training step; ``1`` loads each batch when it is needed.
        use_multiprocessing: load in worker processes instead of threads (for
            ``__getitem__`` that holds the GIL). Workers are forked where the
            platform can (Linux), sharing the dataset as in Keras; elsewhere
            they are spawned and the dataset must be picklable.
        max_queue_size: how many batches may be loaded ahead of the one being
            trained on.

    Example::

        class Batches(kerasport.utils.PyDataset):
            def __init__(self, x, y, batch_size, **kwargs):
                super().__init__(**kwargs)
                self.x, self.y, self.batch_size = x, y, batch_size

            def __len__(self):
                return math.ceil(len(self.x) / self.batch_size)

            def __getitem__(self, index):
                sl = slice(index * self.batch_size, (index + 1) * self.batch_size)
                return self.x[sl], self.y[sl]

        model.fit(Batches(x, y, 32, workers=4), epochs=10)
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, received {workers!r}.")
        if not isinstance(max_queue_size, int) or max_queue_size < 1:
            raise ValueError(f"max_queue_size must be a positive integer, received {max_queue_size!r}.")
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return self.__dict__.get("_workers", 1)

    @property
    def use_multiprocessing(self):
        return self.__dict__.get("_use_multiprocessing", False)

    @property
    def max_queue_size(self):
        return self.__dict__.get("_max_queue_size", 10)

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__ (the number of batches).")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__ (batch number `index`).")

    @property
    def num_batches(self):
        """Batches in one epoch (``len(self)``), or ``None`` for a dataset without an end."""
        return len(self)

    def on_epoch_begin(self):
        """Called before each epoch."""

    def on_epoch_end(self):
        """Called after each epoch (reshuffle here)."""


Sequence = PyDataset
