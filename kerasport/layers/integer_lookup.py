"""``IntegerLookup``: integers to vocabulary indices (or back), with backend ops."""
import numpy as np

from kerasport.backends import B
from kerasport.layers.index_lookup import IndexLookup
from kerasport.layers.symbolic import is_symbolic
from kerasport.layers.preprocessing_utils import eager_numpy, host_numpy, is_ragged_tensor, search_sorted


class IntegerLookup(IndexLookup):
    """Maps integers to indices in a vocabulary (or back with ``invert=True``), with backend ops.

    Args:
        max_tokens: the largest vocabulary size, mask and OOV indices included (``None``: no limit).
        num_oov_indices: how many indices out-of-vocabulary values share (``1``); with more,
            a value goes to ``value % num_oov_indices`` (``oov_method="floormod"``) or to its
            FarmHash bucket (``"farmhash"``, with optional ``salt``); with 0 they raise an error.
        mask_token: a value mapped to index 0 (``output_mode="int"``) or to nothing (``None``).
        oov_token: the term returned for OOV indices with ``invert=True`` (``-1``).
        vocabulary: a list/array of ints or a file with one per line; or call ``adapt()``.
        vocabulary_dtype: only ``"int64"``.
        idf_weights: (``"tf_idf"``) one weight per vocabulary term.
        invert: map indices back to values.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        pad_to_max_tokens: encode into ``max_tokens`` columns instead of the vocabulary size.
        sparse: only ``False``.

    Example::

        model = Sequential([Input((), dtype="int64"), IntegerLookup(vocabulary=[12, 36, 1138]),
                            Embedding(4, 8)])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup: only vocabulary_dtype='int64' is supported, received "
                             f"vocabulary_dtype={vocabulary_dtype!r}.")
        self.vocabulary_dtype = "int64"
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)

    def __call__(self, inputs, *args, **kwargs):
        if is_ragged_tensor(inputs):
            return self.call(inputs)
        if not is_symbolic(inputs) and not B.is_tensor(inputs):
            inputs = B.convert_to_tensor(np.asarray(host_numpy(inputs)).astype(np.int64))
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs):
        self._check_ready()
        if is_ragged_tensor(inputs):
            return self._call_ragged(inputs, lambda values: self._lookup(B.cast(values, "int64")))
        inputs = B.cast(inputs, "int64")
        if self.invert:
            return self._invert(inputs)
        return self._finish(self._lookup(inputs))

    def _lookup(self, inputs):
        """The int64 indices of int64 ``inputs`` (``-1`` for a mask outside ``"int"`` mode)."""
        n = len(self._tokens)
        if n:
            pos = search_sorted(self._keys, inputs, n)
            safe = B.minimum(pos, n - 1)
            found = B.logical_and(B.less(pos, n), B.equal(B.take(self._keys, safe), inputs))
            hit = B.take(self._key_index, safe)
        else:
            found, hit = B.zeros_like(inputs, dtype="bool"), inputs
        default = self._oov_start_index() if self.num_oov_indices == 1 else -1
        lookups = B.where(found, hit, default)
        if self.num_oov_indices == 0:
            values = eager_numpy(inputs)
            oov = None if values is None else values[~B.convert_to_numpy(found)]
            if self.mask_token is not None and oov is not None:
                oov = oov[oov != self.mask_token]
            if oov is not None and oov.size:
                lookups = B.where(found, lookups, self._oov_error(oov))
        elif self.num_oov_indices > 1:
            values = None if self.oov_method == "floormod" else B.convert_to_numpy(inputs)
            buckets = self._oov_indices(inputs, values)
            lookups = B.where(found, lookups, B.cast(B.convert_to_tensor(buckets), "int64")
                              + self._oov_start_index())
        if self.mask_token is not None:
            lookups = B.where(B.equal(inputs, self.mask_token), 0 if self.output_mode == "int" else -1, lookups)
        return lookups

    def _invert(self, indices):
        start, n = self._token_start_index(), len(self._tokens)
        valid = B.logical_and(B.greater_equal(indices, start), B.less(indices, start + n))
        if n:
            out = B.where(valid, B.take(self._token_tensor, B.clip(indices - start, 0, n - 1)), self.oov_token)
        else:
            out = B.full_like(indices, self.oov_token)
        if self.mask_token is not None:
            out = B.where(B.equal(indices, 0), self.mask_token, out)
        return out

    def get_config(self):
        config = super().get_config()
        config["vocabulary_dtype"] = "int64"
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
