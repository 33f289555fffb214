"""The batches of each epoch (``steps_per_epoch``), grouped into executions (``steps_per_execution``).

``EpochIterator`` cuts an adapter's batches into epochs; ``executions`` groups them for one step call.
"""
import itertools
import warnings

import numpy as np


class EpochIterator:
    """The batches of each epoch drawn from an adapter.

    Without ``steps`` an epoch is one pass over the data. With ``steps`` an epoch
    is the next ``steps`` batches: a pass continues into the next epoch, and, as in
    Keras, an epoch that reaches the end of a pass stops there with the "ran out
    of data" warning; the next epoch starts a new pass. A generator cannot start
    over, so once it is exhausted its epochs are empty: ``fit`` then stops.
    """

    def __init__(self, adapter, steps=None):
        if steps is not None and (not isinstance(steps, (int, np.integer)) or steps <= 0):
            raise ValueError(f"steps must be a positive integer, received {steps!r}.")
        self.adapter = adapter
        self.steps = steps
        self._iterator = None
        # As Keras: an epoch has as many batches as the data had when the iterator was made or last reset (the
        # start of fit and of each evaluation), though a PyDataset's ``__len__`` changes later.
        self._batches = adapter.num_batches

    @property
    def num_batches(self):
        return self.steps or (self.adapter.num_batches if self._batches is None else self._batches)

    def peek(self):
        return self.adapter.peek()

    def peek_y(self):
        return self.adapter.peek_y()

    def __iter__(self):
        if self.steps is not None:
            return self._take(self.steps)
        if self._batches is None or self._batches == self.adapter.num_batches:
            return iter(self.adapter)
        return itertools.islice(iter(self.adapter), self._batches)

    def reset(self):
        """Start the next epoch on a new pass of the data's present length; the adapter's ``on_epoch_end`` runs
        then, as in Keras."""
        self._iterator = None
        self._batches = self.adapter.num_batches
        self.adapter.on_epoch_end()

    def _take(self, steps):
        known = self.adapter.num_batches
        if self._iterator is None:
            self._iterator, self._seen = iter(self.adapter), 0
        for _ in range(steps):
            batch = None if known is not None and self._seen >= known else next(self._iterator, None)
            if batch is None:
                if self._seen:
                    warn_ran_out()
                self._iterator = None
                return
            self._seen += 1
            yield batch
        if known is not None and self._seen >= known:
            self._iterator = None


def warn_ran_out():
    """The warning of an epoch that found no data left, as Keras words it."""
    warnings.warn("Your input ran out of data; interrupting training. Make sure that your dataset or generator "
                  "can generate at least `steps_per_epoch * epochs` batches.", stacklevel=3)


def executions(data, steps_per_execution):
    """``(first index, last index, batches)`` per execution of ``steps_per_execution`` batches.

    As in Keras, the last index is ``first + steps_per_execution - 1`` even when the data
    runs out inside the execution.
    """
    if steps_per_execution == 1:
        for step, batch in enumerate(data):
            yield step, step, (batch,)
        return
    batches = iter(data)
    for first in itertools.count(0, steps_per_execution):
        group = tuple(itertools.islice(batches, steps_per_execution))
        if not group:
            return
        yield first, first + steps_per_execution - 1, group

