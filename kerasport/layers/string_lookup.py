"""``StringLookup``: strings to vocabulary indices (or back), on the host or with TensorFlow's
string kernels inside a traced step."""
import numpy as np

from kerasport.backends import B
from kerasport.layers.index_lookup import IndexLookup
from kerasport.layers.symbolic import is_symbolic
from kerasport.layers.preprocessing_utils import as_strings, host_numpy, is_ragged_tensor, traced_strings


class StringLookup(IndexLookup):
    """Maps strings to indices in a vocabulary (or indices back to strings with ``invert=True``).

    Runs on the host: inputs are Python lists or NumPy arrays of ``str``/``bytes`` (or ``tf.string``
    tensors on the TensorFlow backend); outputs are backend tensors (int64 indices, or float32
    encodings), and with ``invert=True`` a NumPy array of ``str`` (a ``tf.string`` tensor on
    TensorFlow). Use it on the data before ``fit()``. On TensorFlow a ``tf.RaggedTensor`` (rows of any
    lengths, e.g. label lists) is adapted as rows and looked up as Keras does: ``"int"`` gives a ragged
    tensor of the same rows, the other modes one encoded row each.

    Args:
        max_tokens, num_oov_indices, mask_token, vocabulary, idf_weights, invert, output_mode,
            pad_to_max_tokens, sparse: as for ``IntegerLookup``; OOV strings are spread over
            ``num_oov_indices`` buckets by FarmHash (SipHash with ``salt``), as Keras does.
        oov_token: the term of OOV indices (``"[UNK]"``).
        encoding: the text encoding of ``bytes`` inputs (``"utf-8"``).

    Example::

        layer = StringLookup()
        layer.adapt([["a", "b"], ["a", "c"]])
        layer(["a", "z"])            # [1, 0]: "a" is the most frequent term, "z" is OOV
    """

    _string = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]", vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", pad_to_max_tokens=False, sparse=False,
                 encoding="utf-8", name=None, salt=None, **kwargs):
        kwargs.pop("vocabulary_dtype", None)
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, sparse=sparse, pad_to_max_tokens=pad_to_max_tokens, salt=salt,
                         name=name, **kwargs)

    def __call__(self, inputs, *args, **kwargs):
        if is_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        return self.call(inputs)

    def call(self, inputs):
        self._check_ready()
        if is_ragged_tensor(inputs):
            return self._call_ragged(inputs, lambda strings: self.lookup_graph(strings) if traced_strings(strings)
                                     else B.convert_to_tensor(self.lookup_strings(as_strings(strings))))
        if traced_strings(inputs):
            if self.invert:
                raise NotImplementedError(f"{self._name()}: `invert=True` runs eagerly only; call the layer "
                                          f"outside a compiled step (or with run_eagerly=True).")
            return self._finish(self.lookup_graph(inputs))
        if self.invert:
            return self._invert(np.asarray(host_numpy(inputs)).astype(np.int64))
        return self._finish(B.convert_to_tensor(self.lookup_strings(as_strings(inputs))))

    def lookup_graph(self, strings):
        """``lookup_strings`` on a ``tf.string`` tensor inside a traced step, with a static hash table.
        With ``num_oov_indices=0`` an OOV string gets ``-1`` (Keras raises at run time)."""
        if getattr(self, "_graph_table", None) is None:
            self._graph_table = B.string_table(self._keys.tolist(), self._key_index.tolist(), -1)
        ids = B.string_table_lookup(self._graph_table, strings)
        if self.num_oov_indices == 1:
            ids = B.where(B.less(ids, 0), self._oov_start_index(), ids)
        elif self.num_oov_indices > 1:
            buckets = B.string_hash_bucket(strings, self.num_oov_indices, self.salt) + self._oov_start_index()
            ids = B.where(B.less(ids, 0), buckets, ids)
        if self.mask_token is not None:
            ids = B.where(B.string_equal(strings, self.mask_token), 0 if self.output_mode == "int" else -1, ids)
        return ids

    def lookup_strings(self, strings):
        """The int64 indices (NumPy, ``-1`` for a mask outside ``"int"`` mode) of an object array of ``str``."""
        flat = strings.reshape(-1)
        n = len(self._keys)
        pos = np.searchsorted(self._keys, flat) if n else np.zeros(len(flat), np.int64)
        safe = np.minimum(pos, max(n - 1, 0))
        found = (pos < n) & (self._keys[safe] == flat) if n else np.zeros(len(flat), bool)
        out = np.where(found, self._key_index[safe] if n else 0,
                       self._oov_start_index() if self.num_oov_indices == 1 else -1).astype(np.int64)
        is_mask = flat == self.mask_token if self.mask_token is not None else np.zeros(len(flat), bool)
        oov = ~found & ~is_mask
        if self.num_oov_indices == 0 and oov.any():
            out[oov] = self._oov_error(flat[oov])
        if self.num_oov_indices > 1 and oov.any():
            out[oov] = self._oov_indices(None, flat[oov]) + self._oov_start_index()
        out[is_mask] = 0 if self.output_mode == "int" else -1
        return out.reshape(strings.shape)

    def _invert(self, indices):
        start = self._token_start_index()
        table = np.array([self.oov_token] * start + list(self._tokens) + [self.oov_token], dtype=object)
        if self.mask_token is not None and self.output_mode == "int":
            table[0] = self.mask_token
        out = table[np.where((indices >= 0) & (indices < len(table) - 1), indices, len(table) - 1)]
        if self.mask_token is not None:
            out = np.where(indices == 0, self.mask_token, out)
        if B.NAME == "tensorflow":
            return B.convert_to_tensor(np.array([s.encode(self.encoding) for s in out.reshape(-1)],
                                                dtype=object).reshape(out.shape))
        return out.astype(str)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}
