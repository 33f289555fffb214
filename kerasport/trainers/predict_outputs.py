"""``HostOutputs``: ``predict``'s outputs gathered in host memory, one copy per batch.

Each batch's outputs leave the device as soon as they are computed, so device memory never holds more than
one execution's. Where the number of input rows is known (arrays), the first batch's outputs size NumPy
arrays of that many rows, and every batch is copied once, into its rows: no chunk per batch and no
concatenation at the end, which would hold the outputs twice.
"""
import numpy as np

from kerasport.backends import B
from kerasport.core import nest as tree


class HostOutputs:
    """The outputs of the batches of a ``predict`` run, in order, as NumPy arrays.

    Args:
        rows: the number of input rows (the outputs' rows when each output has a row per input row), or
            ``None`` when unknown (a generator or dataset): then each batch is copied into a chunk of its
            own and the chunks are concatenated at the end. Outputs that do not fit the arrays (more rows,
            another dtype or trailing shape: an overridden ``predict_step``) switch to chunks as well.
    """

    def __init__(self, rows=None):
        self._rows = rows
        self._structure = None
        self._arrays = None
        self._filled = 0
        self._chunks = []
        self.batches = 0

    def add(self, outputs):
        """Copy the outputs of one execution's batches (a list of output structures) to the host and return
        them, concatenated, as NumPy arrays (views of the gathered arrays where these are preallocated)."""
        start, first_chunk = self._filled, len(self._chunks)
        self.batches += len(outputs)
        for out in outputs:
            leaves = [B.convert_to_numpy(t) for t in tree.flatten(out)]
            if self._structure is None:
                self._structure = out
                if self._rows is not None and leaves and all(leaf.ndim for leaf in leaves):
                    self._arrays = [np.empty((self._rows,) + leaf.shape[1:], leaf.dtype) for leaf in leaves]
            if self._arrays is not None and not self._fits(leaves):
                self._chunks = [[a[lo:hi] for a in self._arrays] for lo, hi in ((0, start), (start, self._filled))
                                if hi > lo]
                first_chunk = len(self._chunks) - (self._filled > start)
                self._arrays = None
            if self._arrays is None:
                # A copy: a view of a CPU tensor would keep its memory between the freed activations of
                # later batches, and the heap would grow by a batch of activations per batch.
                self._chunks.append([np.array(leaf) for leaf in leaves])
                continue
            rows = leaves[0].shape[0]
            for array, leaf in zip(self._arrays, leaves):
                array[self._filled:self._filled + rows] = leaf
            self._filled += rows
        if self._arrays is not None:
            return tree.pack_as(self._structure, [a[start:self._filled] for a in self._arrays])
        return tree.pack_as(self._structure, _concatenate(self._chunks[first_chunk:]))

    def _fits(self, leaves):
        if len(leaves) != len(self._arrays) or not all(leaf.ndim for leaf in leaves):
            return False
        rows = leaves[0].shape[0]
        return self._filled + rows <= self._rows and all(
            leaf.shape == (rows,) + a.shape[1:] and leaf.dtype == a.dtype for a, leaf in zip(self._arrays, leaves))

    def result(self):
        """All outputs, in the structure of one batch's."""
        if self._arrays is not None:
            return tree.pack_as(self._structure, [a if self._filled == self._rows else a[:self._filled].copy()
                                                  for a in self._arrays])
        return tree.pack_as(self._structure, _concatenate(self._chunks))


def _concatenate(chunks):
    """The leaves of ``chunks`` (lists of leaves) concatenated on the first axis; a lone chunk as it is."""
    return chunks[0] if len(chunks) == 1 else [np.concatenate(parts, axis=0) for parts in zip(*chunks)]
