"""Categorical and text preprocessing: CategoryEncoding, IntegerLookup, StringLookup, TextVectorization,
Hashing and Discretization, with Keras 3's arguments, vocabularies, ``adapt()`` and outputs.

Numbers are looked up with backend ops (a vectorized binary search over the sorted vocabulary), so
``IntegerLookup``, ``CategoryEncoding`` and ``Discretization`` sit inside a model. Strings have no
tensor type on torch: string layers work on the host (Python lists, NumPy arrays of ``str``/``bytes``,
and ``tf.string`` tensors on TensorFlow) and return backend tensors (int64 indices or float32 encodings).
"""
import collections
import os
import re

import numpy as np

from kerasport import backend
from kerasport.backends import B
from kerasport.layers.layer import KerasTensor, Layer, is_symbolic
from kerasport.saving.serialization import check_local_file_allowed
from kerasport.utils import farmhash

_INT64_MAX = np.iinfo(np.int64).max
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_WHITESPACE = re.compile(r"[^ \t\n\r\x0b\x0c]+")


# ---------------------------------------------------------------------------- helpers
def _eager_numpy(x):
    """``x`` as NumPy when it holds values (eager), ``None`` inside a traced TensorFlow function."""
    try:
        return B.convert_to_numpy(x)
    except Exception:  # a symbolic tf.Tensor in a tf.function has no value
        return None


def _host_numpy(x):
    """A NumPy array from a list, array, backend tensor or ``tf.Tensor`` (also on the torch backend)."""
    if isinstance(x, np.ndarray):
        return x
    if B.is_tensor(x):
        return B.convert_to_numpy(x)
    if hasattr(x, "numpy") and not isinstance(x, (list, tuple)):
        return np.asarray(x.numpy())
    return np.asarray(x, dtype=object if _has_strings(x) else None)


def _traced_strings(x):
    """Whether ``x`` is a string (or number) tensor inside a traced TensorFlow step: the layers then use
    the backend's string kernels instead of NumPy."""
    return B.STRING_TENSORS and B.string_is_symbolic(x)


def _has_strings(x):
    while isinstance(x, (list, tuple)) and x:
        x = x[0]
    return isinstance(x, (str, bytes))


_decode = np.frompyfunc(lambda s: s.decode("utf-8") if isinstance(s, bytes) else str(s), 1, 1)


def _as_strings(x):
    """An object array of ``str`` (bytes decoded as UTF-8) from any string container."""
    arr = _host_numpy(x)
    return _decode(arr).astype(object) if arr.size else arr.astype(object)


def _search(sorted_values, x, n, right=False):
    """``searchsorted`` with backend ops: for each ``x``, how many of the ``n`` sorted values are ``< x``
    (``<= x`` with ``right``). A fixed number of vectorized bisection steps, so it also traces."""
    lo = B.zeros_like(x, dtype="int64")
    hi = B.full_like(x, n, dtype="int64")
    for _ in range(max(n, 1).bit_length()):
        mid = B.floor_divide(lo + hi, 2)
        value = B.take(sorted_values, B.minimum(mid, n - 1))
        go_right = B.logical_and(B.less_equal(value, x) if right else B.less(value, x), B.less(mid, hi))
        lo = B.where(go_right, mid + 1, lo)
        hi = B.where(go_right, hi, mid)
    return lo


def _encode(indices, output_mode, depth, dtype="float32", count_weights=None):
    """Keras's ``encode_categorical_inputs`` on int indices: ``one_hot``, ``multi_hot`` or ``count`` over
    ``depth`` classes. Indices outside ``[0, depth)`` (``-1`` marks padding and masks) count for nothing."""
    rank = len(B.shape(indices))
    if rank == 0:
        indices, rank = B.expand_dims(indices, -1), 1
    if output_mode == "one_hot" and rank > 1 and B.shape(indices)[-1] == 1:
        indices = B.squeeze(indices, -1)
    hits = B.equal(B.expand_dims(B.cast(indices, "int64"), -1), B.arange(depth, dtype="int64"))
    if output_mode == "one_hot":
        return B.cast(hits, dtype)
    axis = 1 if rank > 1 else 0
    if output_mode == "multi_hot":
        return B.cast(B.any(hits, axis=axis), dtype)
    hits = B.cast(hits, B.dtype(count_weights) if count_weights is not None else dtype)
    if count_weights is not None:
        hits = hits * B.expand_dims(count_weights, -1)
    return B.sum(hits, axis=axis)


def _encoded_shape(input_shape, output_mode, depth):
    input_shape = tuple(input_shape)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)


def _check_mode(layer, output_mode, allowed):
    output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
    if output_mode not in allowed:
        raise ValueError(f"{layer}: `output_mode` must be one of {allowed}, received output_mode={output_mode!r}.")
    return output_mode


def _no_sparse(layer, sparse):
    if sparse:
        raise ValueError(f"{layer}: `sparse=True` is not supported by kerasport; use sparse=False.")


def _batches(data, steps):
    """The batches of ``adapt`` data: the whole of an array/list/tensor, or each item of an iterable."""
    if isinstance(data, (list, tuple, np.ndarray)) or B.is_tensor(data) or (
            hasattr(data, "numpy") and hasattr(data, "shape") and hasattr(data, "dtype")):
        return None
    if not hasattr(data, "__iter__"):
        raise TypeError(f"adapt() expects an array, a list, a tensor or an iterable of batches, "
                        f"received {type(data).__name__}.")
    return (b for i, b in enumerate(data) if steps is None or i < steps)


def _is_ragged(data):
    """Whether ``data`` is a list of token lists (rows of any lengths)."""
    return isinstance(data, list) and bool(data) and all(isinstance(r, (list, tuple)) for r in data)


def _first(batch):
    return batch[0] if isinstance(batch, tuple) else batch


# ---------------------------------------------------------------------------- CategoryEncoding
class CategoryEncoding(Layer):
    """Encodes integer ids in ``[0, num_tokens)`` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of ids; outputs have this last dimension.
        output_mode: ``"multi_hot"`` (default; 1 where an id occurs in the last input axis),
            ``"one_hot"`` (one vector per id; a trailing axis of size 1 is replaced) or
            ``"count"`` (how often each id occurs).
        sparse: only ``False``.

    Call arguments:
        inputs: integer tensor; ids outside ``[0, num_tokens)`` raise an error (checked eagerly).
        count_weights: (``"count"`` only) weights, shaped like ``inputs``, summed instead of 1s.

    Example::

        CategoryEncoding(num_tokens=4, output_mode="count")([[0, 1], [3, 3]])  # [[1,1,0,0],[0,0,0,2]]
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        name = f"CategoryEncoding {self.name!r}"
        self.output_mode = _check_mode(name, output_mode, ("count", "one_hot", "multi_hot"))
        if num_tokens is None:
            raise ValueError(f"{name}: `num_tokens` must be set; to learn the ids, use IntegerLookup instead.")
        if num_tokens < 1:
            raise ValueError(f"{name}: `num_tokens` must be >= 1, received num_tokens={num_tokens}.")
        _no_sparse(name, sparse)
        self.num_tokens, self.sparse = num_tokens, sparse
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if not is_symbolic(inputs) and not B.is_tensor(inputs):
            inputs = B.convert_to_tensor(np.asarray(_host_numpy(inputs)))
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"CategoryEncoding {self.name!r}: `count_weights` is only used when output_mode "
                                 f"is 'count', received output_mode={self.output_mode!r}.")
            count_weights = B.convert_to_tensor(_host_numpy(count_weights), self.compute_dtype)
        values = _eager_numpy(inputs)
        if values is not None and values.size and (values.min() < 0 or values.max() >= self.num_tokens):
            raise ValueError(f"CategoryEncoding {self.name!r}: every input must be in [0, {self.num_tokens}) "
                             f"(num_tokens={self.num_tokens}), received values in "
                             f"[{values.min()}, {values.max()}].")
        return _encode(inputs, self.output_mode, self.num_tokens, self.compute_dtype, count_weights)

    def compute_output_shape(self, input_shape):
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and len(input_shape) == 1:
            return tuple(input_shape) + (self.num_tokens,)
        return _encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def compute_output_spec(self, inputs, count_weights=None):
        return KerasTensor(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode,
                "sparse": self.sparse}


# ---------------------------------------------------------------------------- IntegerLookup / StringLookup
class _IndexLookup(Layer):
    """What IntegerLookup and StringLookup share: the vocabulary, ``adapt``, the index layout and encodings.

    Index layout: ``[mask_token]`` (``output_mode="int"`` with a mask token), then ``num_oov_indices``
    OOV indices, then the vocabulary terms in order.
    """

    _string = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, **kwargs):
        frozen = kwargs.pop("vocabulary_size", None)
        has_vocab = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("dtype", None)
        kwargs.pop("trainable", None)
        super().__init__(**kwargs)
        name = f"{type(self).__name__} {self.name!r}"
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{name}: `max_tokens`, if set, must be greater than 1, received max_tokens={max_tokens}.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{name}: `pad_to_max_tokens=True` needs `max_tokens`, received max_tokens=None.")
        if num_oov_indices < 0:
            raise ValueError(f"{name}: `num_oov_indices` must be >= 0, received num_oov_indices={num_oov_indices}.")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{name}: `oov_method` must be 'floormod' or 'farmhash', received {oov_method!r}.")
        if salt is not None:
            if not self._string and oov_method != "farmhash":
                raise ValueError(f"{name}: `salt` can only be used when oov_method='farmhash', received "
                                 f"oov_method={oov_method!r}.")
            if isinstance(salt, int):
                salt = [salt, salt]
            elif not (isinstance(salt, (tuple, list)) and len(salt) == 2):
                raise ValueError(f"{name}: `salt` must be an int or a pair of ints, received salt={salt!r}.")
            salt = list(salt)
        output_mode = _check_mode(name, output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"))
        if invert and output_mode != "int":
            raise ValueError(f"{name}: `output_mode` must be 'int' when `invert` is True, received {output_mode!r}.")
        _no_sparse(name, sparse)
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{name}: `idf_weights` is only used with output_mode='tf_idf', received "
                             f"output_mode={output_mode!r}.")
        if output_mode == "tf_idf" and has_vocab and idf_weights is None:
            raise ValueError(f"{name}: with a `vocabulary` and output_mode='tf_idf', `idf_weights` must be given.")
        self.max_tokens, self.num_oov_indices = max_tokens, num_oov_indices
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode, self.sparse = invert, output_mode, sparse
        self.pad_to_max_tokens, self.oov_method, self.salt = pad_to_max_tokens, oov_method, salt
        self._frozen_vocab_size = frozen
        self._has_input_vocabulary = has_vocab
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self.input_idf_weights = idf_weights
        self._tokens = []
        self._idf = None
        self._reset_counts()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        else:
            self._build_tables()
        self.built = True

    # -- index layout
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _name(self):
        return f"{type(self).__name__} {self.name!r}"

    # -- vocabulary
    def vocabulary_size(self):
        """The vocabulary size, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, so that a term's position is its index (without mask/OOV tokens if asked)."""
        vocab = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        vocab = vocab + list(self._tokens)
        return vocab if include_special_tokens else vocab[self._token_start_index():]

    def _parse_tokens(self, values):
        """Vocabulary terms as Python ``str`` (StringLookup) or ``int`` (IntegerLookup)."""
        if self._string:
            return list(_as_strings(values).reshape(-1))
        return [int(v) for v in np.asarray(_host_numpy(values)).reshape(-1)]

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and IDF weights for ``"tf_idf"``), replacing any earlier one.

        Args:
            vocabulary: a list, tuple, 1-D array or tensor of terms, or the path of a text file with
                one term per line. It may start with the mask and OOV tokens, in that order.
            idf_weights: (``"tf_idf"`` only) one inverse document frequency per term.
        """
        name = self._name()
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{name}: `idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{name}: `idf_weights` is only used with output_mode='tf_idf', received "
                             f"output_mode={self.output_mode!r}.")
        if isinstance(vocabulary, str):
            check_local_file_allowed(vocabulary, f"the vocabulary of {name}")
            if not os.path.exists(vocabulary):
                raise ValueError(f"{name}: vocabulary file {vocabulary} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError(f"{name}: output_mode 'tf_idf' does not support loading a vocabulary from file.")
            with open(vocabulary, encoding="utf-8") as f:
                lines = f.read().split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            self._tokens = self._parse_tokens(np.array(lines, dtype=object))
            self._build_tables()
            self._record_vocabulary_size()
            return
        tokens = self._parse_tokens(vocabulary)
        if not tokens:
            raise ValueError(f"{name}: cannot set an empty vocabulary, received vocabulary={vocabulary}.")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        found_special = tokens[:start] == special
        if found_special:
            tokens = tokens[start:]
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(f"{name}: the vocabulary has repeated terms {repeated}; make it unique.")
        for label, token in (("mask_token", self.mask_token), ("oov_token", self.oov_token)):
            if token is not None and token in tokens and (label == "mask_token" or self.num_oov_indices):
                raise ValueError(f"{name}: found the reserved {label} {token!r} at an unexpected place in "
                                 f"`vocabulary`; leave it out, or put the special tokens first, in this order: "
                                 f"{special}.")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(f"{name}: the vocabulary size {start + len(tokens)} is larger than "
                             f"max_tokens={self.max_tokens}.")
        self._tokens = tokens
        self._build_tables()
        self._record_vocabulary_size()
        if self.output_mode == "tf_idf":
            idf = np.asarray(_host_numpy(idf_weights), np.float32)
            if idf.ndim != 1 or len(idf) != len(tokens) + (start if found_special else 0):
                raise ValueError(f"{name}: `idf_weights` must be 1-D with one weight per vocabulary term "
                                 f"({len(tokens)}), received shape {idf.shape}.")
            front = 0 if found_special else start
            back = self.max_tokens - front - len(idf) if self.pad_to_max_tokens else 0
            self._set_idf(np.pad(idf, (front, back), constant_values=(np.average(idf), 0)))

    def _set_idf(self, idf):
        self._idf = np.asarray(idf, np.float32)
        self._idf_tensor = B.convert_to_tensor(self._idf)

    def _record_vocabulary_size(self):
        size = self.vocabulary_size()
        if (self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is not None
                and size != self._frozen_vocab_size):
            raise RuntimeError(f"{self._name()}: with output_mode={self.output_mode!r} and pad_to_max_tokens=False "
                               f"the vocabulary size cannot change after it is set; it was "
                               f"{self._frozen_vocab_size}, the new one is {size}.")
        self._frozen_vocab_size = size

    def _build_tables(self):
        """Sorted keys and their indices: a NumPy object array for strings, backend tensors for ints."""
        start = self._token_start_index()
        if self._string:
            keys = np.empty(len(self._tokens), object)
            keys[:] = self._tokens
            order = np.argsort(keys, kind="stable") if len(keys) else np.zeros(0, np.int64)
            self._keys, self._key_index = keys[order], order.astype(np.int64) + start
            self._token_array = keys
            self._graph_table = None
        else:
            keys = np.asarray(self._tokens, np.int64).reshape(-1)
            order = np.argsort(keys, kind="stable")
            self._keys = B.convert_to_tensor(keys[order])
            self._key_index = B.convert_to_tensor(order.astype(np.int64) + start)
            self._token_tensor = B.convert_to_tensor(keys)

    # -- adapt
    def _reset_counts(self):
        self._counts = collections.Counter()
        self._doc_counts = collections.Counter()
        self._num_documents = 0

    def reset_state(self):
        if not self._has_input_vocabulary:
            self._reset_counts()

    def adapt(self, data, steps=None):
        """Learn the vocabulary from ``data``: terms by decreasing count, ties by decreasing term, cut to
        ``max_tokens``; with ``"tf_idf"`` also the IDF weights, ``log(1 + documents / (1 + df))``.

        Args:
            data: an array, list or tensor of terms (a 1-D one is one document per term), a list
                of token lists (one document each), or an iterable of batches (a generator,
                ``tf.data.Dataset``, ...).
            steps: the number of batches to take from an iterable.
        """
        self.reset_state()
        batches = _batches(data, steps)
        if batches is None and _is_ragged(data):
            self.update_state(data)
        elif batches is None:
            values = self._values(data)
            self.update_state(values[:, None] if values.ndim == 1 else values)
        else:
            for batch in batches:
                self.update_state(_first(batch))
        self.finalize_state()

    def _values(self, data):
        """``data`` as an array of ``str`` (object dtype) or int64."""
        return _as_strings(data) if self._string else np.asarray(_host_numpy(data)).astype(np.int64)

    def update_state(self, data):
        """Count the terms of one batch: one document per row of an array (a 1-D array is one document),
        or per list of a list of token lists."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt {self._name()} after setting a static vocabulary via the "
                             f"`vocabulary` argument or `set_vocabulary()`.")
        if _is_ragged(data):
            rows = [self._values(np.array(r, dtype=object if self._string else None)).tolist() for r in data]
        else:
            values = self._values(data)
            rows = values.reshape(values.shape[0] if values.ndim > 1 else 1, -1).tolist()
        for row in rows:
            self._counts.update(row)
        if self.output_mode == "tf_idf":
            for row in rows:
                self._doc_counts.update(set(row))
            self._num_documents += len(rows)

    def finalize_state(self):
        if self._has_input_vocabulary or not self._counts:
            self._record_vocabulary_size()
            return
        for token in (self.mask_token, self.oov_token):
            self._counts.pop(token, None)
        ranked = sorted(self._counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        start = self._token_start_index()
        if self.max_tokens:
            ranked = ranked[:self.max_tokens - start]
        self._tokens = [t for t, _ in ranked]
        self._build_tables()
        if self.output_mode == "tf_idf":
            df = np.array([self._doc_counts[t] for t in self._tokens], np.float64)
            idf = np.log(1 + self._num_documents / (1 + df)).astype(np.float32)
            idf = np.pad(idf, (start, 0), constant_values=np.mean(idf))
            if self.pad_to_max_tokens:
                idf = np.pad(idf, (0, self.max_tokens - len(idf)))
            self._set_idf(idf)
        self._reset_counts()
        self._record_vocabulary_size()

    # -- lookup
    def _oov_indices(self, inputs, values):
        """OOV bucket of each input (``num_oov_indices > 1``): floormod for ints, FarmHash for strings."""
        if not self._string and self.oov_method == "floormod":
            return B.mod(inputs, self.num_oov_indices)
        strings = [str(v) for v in values.reshape(-1)]
        if self.salt is not None:
            buckets = farmhash.hash_bucket_strong(strings, self.num_oov_indices, self.salt)
        else:
            buckets = farmhash.hash_bucket_fast(strings, self.num_oov_indices)
        return buckets.reshape(values.shape)

    def _check_ready(self):
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(f"{self._name()}: with output_mode={self.output_mode!r} and pad_to_max_tokens=False "
                               f"the vocabulary must be set before the layer is called: pass `vocabulary` or "
                               f"call `adapt()` first.")

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def _finish(self, lookups):
        """Encode int lookups (``-1``: padding/mask) in the output mode."""
        if self.output_mode == "int":
            return lookups
        out = _encode(lookups, "count" if self.output_mode == "tf_idf" else self.output_mode, self._depth())
        return out * self._idf_tensor if self.output_mode == "tf_idf" else out

    def _oov_error(self, oov_values):
        raise ValueError(f"{self._name()}: when `num_oov_indices=0` all inputs should be in the vocabulary; "
                         f"found OOV values {oov_values[:10]}. Consider setting `num_oov_indices=1`.")

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return _encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs):
        dtype = "int64" if self.output_mode == "int" else "float32"
        if self.invert:
            dtype = "string" if self._string else "int64"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    # -- saving
    def get_config(self):
        vocab, idf = self.input_vocabulary, self.input_idf_weights
        listify = (lambda v: v if v is None or isinstance(v, list) else np.asarray(_host_numpy(v)).tolist())
        config = {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                  "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                  "mask_token": self.mask_token, "output_mode": self.output_mode, "sparse": self.sparse,
                  "pad_to_max_tokens": self.pad_to_max_tokens, "idf_weights": listify(idf),
                  "vocabulary": listify(vocab), "vocabulary_size": self._frozen_vocab_size,
                  "oov_method": self.oov_method, "salt": self.salt}
        return config

    def save_own_variables(self, store):
        """Put the IDF weights (``"tf_idf"``) in ``store``, as Keras does (``vars/idf_weights``)."""
        if self.output_mode == "tf_idf" and self._idf is not None:
            store["idf_weights"] = self._idf

    def load_own_variables(self, store):
        """Read the IDF weights written by ``save_own_variables`` (before ``load_assets``)."""
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self._set_idf(store["idf_weights"])

    def save_assets(self, dir_path):
        """Write an adapted vocabulary to ``dir_path/vocabulary.txt``, as Keras does."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary()))

    def load_assets(self, dir_path):
        """Read the vocabulary written by ``save_assets`` (or by Keras)."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self._string else [int(v) for v in lines]
        if self.output_mode == "tf_idf" and self._idf is None:
            raise ValueError(f"{self._name()}: the IDF weights must be loaded (load_own_variables) before the "
                             f"vocabulary.")
        self._frozen_vocab_size = None
        has = self._has_input_vocabulary
        idf = self._idf[:len(values)] if self.output_mode == "tf_idf" else None
        self.set_vocabulary(values, idf_weights=idf)
        self._has_input_vocabulary = has


class IntegerLookup(_IndexLookup):
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
        if not is_symbolic(inputs) and not B.is_tensor(inputs):
            inputs = B.convert_to_tensor(np.asarray(_host_numpy(inputs)).astype(np.int64))
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs):
        self._check_ready()
        inputs = B.cast(inputs, "int64")
        if self.invert:
            return self._invert(inputs)
        n = len(self._tokens)
        if n:
            pos = _search(self._keys, inputs, n)
            safe = B.minimum(pos, n - 1)
            found = B.logical_and(B.less(pos, n), B.equal(B.take(self._keys, safe), inputs))
            hit = B.take(self._key_index, safe)
        else:
            found, hit = B.zeros_like(inputs, dtype="bool"), inputs
        default = self._oov_start_index() if self.num_oov_indices == 1 else -1
        lookups = B.where(found, hit, default)
        if self.num_oov_indices == 0:
            values = _eager_numpy(inputs)
            oov = None if values is None else values[~B.convert_to_numpy(found)]
            if self.mask_token is not None and oov is not None:
                oov = oov[oov != self.mask_token]
            if oov is not None and oov.size:
                self._oov_error(oov)
        elif self.num_oov_indices > 1:
            values = None if self.oov_method == "floormod" else B.convert_to_numpy(inputs)
            buckets = self._oov_indices(inputs, values)
            lookups = B.where(found, lookups, B.cast(B.convert_to_tensor(buckets), "int64")
                              + self._oov_start_index())
        if self.mask_token is not None:
            lookups = B.where(B.equal(inputs, self.mask_token), 0 if self.output_mode == "int" else -1, lookups)
        return self._finish(lookups)

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


class StringLookup(_IndexLookup):
    """Maps strings to indices in a vocabulary (or indices back to strings with ``invert=True``).

    Runs on the host: inputs are Python lists or NumPy arrays of ``str``/``bytes`` (or ``tf.string``
    tensors on the TensorFlow backend); outputs are backend tensors (int64 indices, or float32
    encodings), and with ``invert=True`` a NumPy array of ``str`` (a ``tf.string`` tensor on
    TensorFlow). Use it on the data before ``fit()``.

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
        if _traced_strings(inputs):
            if self.invert:
                raise NotImplementedError(f"{self._name()}: `invert=True` runs eagerly only; call the layer "
                                          f"outside a compiled step (or with run_eagerly=True).")
            return self._finish(self.lookup_graph(inputs))
        if self.invert:
            return self._invert(np.asarray(_host_numpy(inputs)).astype(np.int64))
        return self._finish(B.convert_to_tensor(self.lookup_strings(_as_strings(inputs))))

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
            self._oov_error(flat[oov])
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


# ---------------------------------------------------------------------------- TextVectorization
class TextVectorization(Layer):
    """Turns strings into token indices or token encodings, with a vocabulary learned by ``adapt``.

    Each string is standardized, split into tokens, optionally joined into n-grams, and looked
    up (index 0 is padding, 1 is ``"[UNK]"``). Runs on the host, like ``StringLookup``.

    Args:
        max_tokens: the largest vocabulary, padding and OOV included.
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``, ``"strip_punctuation"``,
            ``None`` or a callable (given a NumPy array of ``str`` on torch, a ``tf.string`` tensor on
            TensorFlow). Lowercasing is ASCII-only, as ``tf.strings.lower``.
        split: ``"whitespace"`` (default), ``"character"``, ``None`` (inputs are tokens already) or a
            callable (given a 1-D array of ``str`` / ``tf.string`` tensor, returning lists of tokens).
        ngrams: ``None``, an int ``n`` (1- to n-grams) or a tuple of widths.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        output_sequence_length: (``"int"``) pad or truncate every row to this many tokens; otherwise
            rows are padded to the longest in the batch.
        pad_to_max_tokens: encode into ``max_tokens`` columns.
        vocabulary, idf_weights: a given vocabulary (list or file path) instead of ``adapt``.
        sparse, ragged: only ``False``.
        encoding: the encoding of ``bytes`` inputs.

    Example::

        vectorize = TextVectorization(max_tokens=1000, output_sequence_length=20)
        vectorize.adapt(texts)
        x = vectorize(texts)          # int64 tensor (len(texts), 20)
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace",
                 ngrams=None, output_mode="int", output_sequence_length=None, pad_to_max_tokens=False,
                 vocabulary=None, idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        has_vocab = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        kwargs.pop("trainable", None)
        super().__init__(name=name, **kwargs)
        label = f"TextVectorization {self.name!r}"
        if not (standardize is None or callable(standardize) or standardize in (
                "lower_and_strip_punctuation", "lower", "strip_punctuation")):
            raise ValueError(f"{label}: `standardize` must be 'lower_and_strip_punctuation', 'lower', "
                             f"'strip_punctuation', None or a callable, received {standardize!r}.")
        if not (split is None or callable(split) or split in ("whitespace", "character")):
            raise ValueError(f"{label}: `split` must be 'whitespace', 'character', None or a callable, "
                             f"received {split!r}.")
        output_mode = _check_mode(label, output_mode, ("int", "multi_hot", "count", "tf_idf"))
        if not (ngrams is None or isinstance(ngrams, int) or
                isinstance(ngrams, tuple) and all(isinstance(i, int) for i in ngrams)):
            raise ValueError(f"{label}: `ngrams` must be None, an int or a tuple of ints, received {ngrams!r}.")
        if output_mode == "int" and not (output_sequence_length is None or isinstance(output_sequence_length, int)):
            raise ValueError(f"{label}: `output_sequence_length` must be None or an int, received "
                             f"{output_sequence_length!r}.")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"{label}: `output_sequence_length` is only used with output_mode='int', received "
                             f"output_mode={output_mode!r}.")
        if ragged:
            raise ValueError(f"{label}: `ragged=True` is not supported by kerasport; use ragged=False.")
        self._standardize, self._split, self._ngrams_arg = standardize, split, ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode, self._output_sequence_length = output_mode, output_sequence_length
        self._ragged, self._encoding = ragged, encoding
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          pad_to_max_tokens=pad_to_max_tokens, mask_token="",
                                          output_mode=output_mode, sparse=sparse, has_input_vocabulary=has_vocab,
                                          encoding=encoding, vocabulary_size=vocabulary_size)
        self.built = True

    # -- text processing
    def _standardized(self, strings):
        if callable(self._standardize):
            if B.NAME == "tensorflow":
                given = B.convert_to_tensor(np.array([s.encode("utf-8") for s in strings.reshape(-1)],
                                                     dtype=object).reshape(strings.shape))
            else:
                given = strings.astype(str)
            return _as_strings(self._standardize(given))
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            strings = np.frompyfunc(lambda s: s.translate(_ASCII_LOWER), 1, 1)(strings)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            strings = np.frompyfunc(lambda s: _PUNCTUATION.sub("", s), 1, 1)(strings)
        return np.asarray(strings, dtype=object)

    def _split_rows(self, strings):
        """Token lists, one per string (the strings as a 1-D array)."""
        if self._split == "whitespace":
            return [_WHITESPACE.findall(s) for s in strings]
        if self._split == "character":
            return [list(s) for s in strings]
        given = (B.convert_to_tensor(np.array([s.encode("utf-8") for s in strings], dtype=object))
                 if B.NAME == "tensorflow" else strings.astype(str))
        result = self._split(given)
        rows = result.to_list() if hasattr(result, "to_list") else _host_numpy(result).tolist()
        return [[t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in row] for row in rows]

    def _ngram_rows(self, rows):
        out = []
        for row in rows:
            grams = []
            for w in self._ngrams:
                grams += [" ".join(row[i:i + w]) for i in range(len(row) - w + 1)]
            out.append(grams)
        return out

    def _preprocess(self, inputs):
        """Standardized tokens: a list of token lists (one per row) or, with ``split=None``, an object array."""
        strings = _as_strings(inputs)
        strings = self._standardized(strings)
        if self._split is None:
            if self._ngrams is None:
                return strings
            rows = [list(r) for r in strings.reshape(strings.shape[0], -1)] if strings.ndim > 1 else [list(strings)]
            return self._ngram_rows(rows)
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError(f"TextVectorization {self.name!r}: with `split`, inputs must be 1-D or have a last "
                                 f"dimension of 1, received shape {strings.shape}.")
            strings = strings.reshape(strings.shape[:-1])
        if strings.ndim == 0:
            strings = strings.reshape(1)
        rows = self._split_rows(strings.reshape(-1))
        return self._ngram_rows(rows) if self._ngrams is not None else rows

    # -- vocabulary
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and IDF weights) from ``data``: an array/list of strings (one document
        each) or an iterable of batches."""
        self._lookup_layer.reset_state()
        batches = _batches(data, steps)
        if batches is None:
            strings = _as_strings(data)
            self.update_state(strings[:, None] if strings.ndim == 1 else strings)
        else:
            for batch in batches:
                self.update_state(_first(batch))
        self._lookup_layer.finalize_state()

    def update_state(self, data):
        self._lookup_layer.update_state(self._preprocess(data))

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary: ``""`` (padding), ``"[UNK]"``, then the terms (special tokens left out if asked)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (list or file path) and, for ``"tf_idf"``, the IDF weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- call
    def __call__(self, inputs, *args, **kwargs):
        if is_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        return self.call(inputs)

    def call(self, inputs):
        lookup = self._lookup_layer
        lookup._check_ready()
        if _traced_strings(inputs):
            return lookup._finish(self._call_graph(inputs))
        tokens = self._preprocess(inputs)
        if isinstance(tokens, np.ndarray):
            indices = lookup.lookup_strings(tokens)
            if self._output_mode == "int" and self._output_sequence_length is not None:
                length = self._output_sequence_length
                indices = indices[..., :length]
                pad = [(0, 0)] * (indices.ndim - 1) + [(0, length - indices.shape[-1])]
                indices = np.pad(indices, pad)
            elif self._output_mode != "int" and indices.ndim < 2:
                indices = indices.reshape(-1, 1)
            return lookup._finish(B.convert_to_tensor(indices))
        lengths = [len(r) for r in tokens]
        width = self._output_sequence_length if self._output_mode == "int" and self._output_sequence_length \
            is not None else max(lengths, default=0)
        flat = np.empty(sum(lengths), object)
        flat[:] = [t for r in tokens for t in r]
        ids = lookup.lookup_strings(flat)
        dense = np.full((len(tokens), width), 0 if self._output_mode == "int" else -1, np.int64)
        rows = np.repeat(np.arange(len(tokens)), lengths)
        cols = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        keep = cols < width
        dense[rows[keep], cols[keep]] = ids[keep]
        return lookup._finish(B.convert_to_tensor(dense))

    def _call_graph(self, strings):
        """``call``'s int indices (``-1``: padding outside ``"int"``) from ``tf.string`` inputs in a traced step."""
        lookup, pad = self._lookup_layer, 0 if self._output_mode == "int" else -1
        if callable(self._standardize):
            strings = self._standardize(strings)
        else:
            if self._standardize in ("lower", "lower_and_strip_punctuation"):
                strings = B.string_lower(strings)
            if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
                strings = B.string_regex_replace(strings, _PUNCTUATION.pattern, "")
        if self._split is None:
            if self._ngrams is not None:
                raise NotImplementedError(f"TextVectorization {self.name!r}: `ngrams` with split=None runs "
                                          f"eagerly only (run_eagerly=True).")
            indices = lookup.lookup_graph(strings)
            if self._output_mode != "int" and len(B.shape(indices)) < 2:
                indices = B.reshape(indices, (-1, 1))
            if self._output_mode == "int" and self._output_sequence_length is not None:
                length = self._output_sequence_length
                indices = indices[..., :length]
                missing = length - B.shape(indices)[-1]
                if missing:
                    indices = B.pad(indices, [(0, 0)] * (len(B.shape(indices)) - 1) + [(0, missing)])
            return indices
        if len(B.shape(strings)) > 1:
            if B.shape(strings)[-1] != 1:
                raise ValueError(f"TextVectorization {self.name!r}: with `split`, inputs must be 1-D or have a last "
                                 f"dimension of 1, received shape {B.shape(strings)}.")
            strings = B.squeeze(strings, -1)
        rows = self._split(strings) if callable(self._split) else B.string_split(strings, self._split)
        if self._ngrams is not None:
            rows = B.string_ngrams(rows, self._ngrams)
        rows = B.rows_with_values(rows, lookup.lookup_graph(B.rows_flat_values(rows)))
        width = self._output_sequence_length if self._output_mode == "int" else None
        return B.rows_to_dense(rows, width, pad)

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            shape = tuple(input_shape) + (1,) if len(input_shape) <= 1 else tuple(input_shape)
        else:
            shape = tuple(input_shape) + (None,)
        return self._lookup_layer.compute_output_shape(shape)

    def compute_output_spec(self, inputs):
        dtype = "int64" if self._output_mode == "int" else "float32"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    # -- saving
    def get_config(self):
        lookup = self._lookup_layer
        config = {**super().get_config(), "max_tokens": lookup.max_tokens, "standardize": self._standardize,
                  "split": self._split, "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                  "output_sequence_length": self._output_sequence_length,
                  "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": lookup.sparse, "ragged": self._ragged,
                  "vocabulary": lookup.get_config()["vocabulary"], "idf_weights": lookup.get_config()["idf_weights"],
                  "encoding": self._encoding, "vocabulary_size": self.vocabulary_size()}
        return config

    @classmethod
    def from_config(cls, config):
        from kerasport.saving.serialization import deserialize_keras_object
        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str) and not callable(config[key]):
                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return super().from_config(config)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)


# ---------------------------------------------------------------------------- Hashing
class Hashing(Layer):
    """Hashes strings (or integers, as their decimal text) into ``num_bins`` bins, as Keras does.

    Bins are ``Fingerprint64(value) % num_bins`` (FarmHash, ``tf.strings.to_hash_bucket_fast``), or
    ``SipHash(salt, value) % num_bins`` with a ``salt`` (``to_hash_bucket_strong``), computed in NumPy
    on the host, so the bins are Keras's on every backend.

    Args:
        num_bins: the number of bins, mask bin included.
        mask_value: a value sent to bin 0; the others then use bins ``1..num_bins-1``.
        salt: an int or a pair of ints: use the keyed SipHash.
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: only ``False``.
        dtype: the output dtype (``"int64"`` for ``"int"``, ``"float32"`` otherwise).
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        label = f"Hashing {self.name!r}"
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"{label}: `num_bins` must be a positive int, received num_bins={num_bins}.")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f"{label}: with output_mode='int', `dtype` must be 'int32' or 'int64', received "
                             f"dtype={self.dtype!r}.")
        _check_mode(label, output_mode, ("int", "one_hot", "multi_hot", "count"))
        _no_sparse(label, sparse)
        if salt is not None:
            if isinstance(salt, int):
                salt = [salt, salt]
            elif not (isinstance(salt, (tuple, list)) and len(salt) == 2):
                raise ValueError(f"{label}: `salt` must be an int or a pair of ints, received salt={salt!r}.")
            salt = list(salt)
        self.num_bins, self.mask_value, self.salt = num_bins, mask_value, salt
        self.strong_hash = salt is not None
        self.output_mode, self.sparse = output_mode, sparse
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if is_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        return self.call(inputs)

    def call(self, inputs):
        masked = self.mask_value is not None and self.num_bins > 1
        bins = self.num_bins - 1 if masked else self.num_bins
        mask_text = (self.mask_value.decode("utf-8") if isinstance(self.mask_value, bytes)
                     else str(self.mask_value))
        if _traced_strings(inputs):
            strings = B.as_strings(inputs)
            hashed = B.string_hash_bucket(strings, bins, self.salt)
            if masked:
                hashed = B.where(B.string_equal(strings, mask_text), 0, hashed + 1)
        else:
            values = _host_numpy(inputs)
            if values.dtype.kind == "f":
                values = values.astype(np.int64)
            strings = _as_strings(values)
            flat = list(strings.reshape(-1))
            hashed = (farmhash.hash_bucket_strong(flat, bins, self.salt) if self.strong_hash
                      else farmhash.hash_bucket_fast(flat, bins)).reshape(strings.shape)
            if masked:
                hashed = np.where(strings == mask_text, 0, hashed + 1)
            hashed = B.convert_to_tensor(hashed.astype(np.int64))
        if self.output_mode == "int":
            return B.cast(hashed, self.dtype)
        shape = B.shape(hashed)
        if self.output_mode == "one_hot" and len(shape) and shape[-1] == 1:
            hashed = B.squeeze(hashed, -1)
        return _encode(hashed, self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), self.dtype)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode, "sparse": self.sparse}


class HashedCrossing(Layer):
    """Crosses two or more categorical features into ``num_bins`` hashed bins (``tf.sparse.cross_hashed``).

    Integer features combine by their values, string features by their FarmHash fingerprints, with
    TensorFlow's ``FingerprintCat64``; computed in NumPy on the host.

    Args:
        num_bins: the number of bins.
        output_mode: ``"int"`` (int64 bins) or ``"one_hot"``.
        sparse: only ``False``.
        dtype: the output dtype (``"int64"`` for ``"int"``, ``"float32"`` otherwise).

    Call arguments:
        inputs: a list/tuple of at least two equally shaped features, each of shape ``()``,
            ``(batch,)`` or ``(batch, 1)``, of ints or strings.
    """

    _HASH_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default key

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        label = f"HashedCrossing {self.name!r}"
        _check_mode(label, output_mode, ("int", "one_hot"))
        _no_sparse(label, sparse)
        self.num_bins, self.output_mode, self.sparse = num_bins, output_mode, sparse
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if is_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        return self.call(inputs)

    def call(self, inputs):
        label = f"HashedCrossing {self.name!r}"
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{label} should be called on a list or tuple of at least two inputs, received "
                             f"{type(inputs).__name__}.")
        values = [_host_numpy(x) for x in inputs]
        shape = values[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(f"{label}: every input should have shape (), (batch_size,) or (batch_size, 1), "
                             f"received shape {shape}.")
        if any(v.shape != shape for v in values[1:]):
            raise ValueError(f"{label}: every input should have the same shape, received "
                             f"{[v.shape for v in values]}.")
        if any(v.dtype.kind not in "iuSUO" for v in values):
            raise ValueError(f"{label}: inputs should have an integer or string dtype, received "
                             f"{[str(v.dtype) for v in values]}.")
        hashed = np.full(int(np.prod(shape)), self._HASH_KEY, np.uint64)
        for v in values:
            flat = v.reshape(-1)
            feature = (farmhash.fingerprint64(list(_as_strings(flat))) if v.dtype.kind in "SUO"
                       else flat.astype(np.int64).view(np.uint64))
            hashed = farmhash.fingerprint_cat64(hashed, feature)
        bins = (hashed % np.uint64(self.num_bins)).astype(np.int64).reshape(shape)
        if self.output_mode == "int":
            return B.convert_to_tensor(bins.astype(self.dtype))
        return _encode(B.convert_to_tensor(bins), "one_hot", self.num_bins, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if len(shape) == 0:
            return (self.num_bins,)
        return shape + (self.num_bins,) if shape[-1] != 1 else shape[:-1] + (self.num_bins,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape([x.shape for x in inputs]), self.compute_dtype)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": self.sparse,
                "name": self.name, "dtype": super().get_config()["dtype"]}


# ---------------------------------------------------------------------------- Discretization
def _summarize(values, epsilon):
    """Keras's quantile summary of one batch: every ``step``-th sorted value, each weighing ``step``."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) / (1.0 / epsilon), 1)
    bounds = values[int(step - 1)::int(step)]
    return np.stack([bounds, np.ones_like(bounds) * step])


def _compress(summary, epsilon):
    """Re-bin a summary at the ``epsilon`` quantiles by interpolating its cumulative weights."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    cum_pct = cum / cum[-1]
    new_bins = np.interp(percents, cum_pct, summary[0])
    cum = np.interp(percents, cum_pct, cum)
    return np.stack((new_bins, cum - np.concatenate(([0], cum[:-1])))).astype("float32")


class Discretization(Layer):
    """Buckets numbers by boundaries: bin ``i`` holds ``bin_boundaries[i-1] <= x < bin_boundaries[i]``.

    Args:
        bin_boundaries: sorted boundaries (``len + 1`` bins); or give ``num_bins`` and ``adapt()``.
        num_bins: the number of bins to learn by ``adapt()`` (approximate quantiles, as Keras).
        epsilon: the quantile error tolerance of ``adapt()`` (``0.01``).
        output_mode: ``"int"`` (int32 bin ids), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: only ``False``.
        dtype: the dtype of the encoded outputs (``float32``).

    Example::

        Discretization(bin_boundaries=[0.0, 1.0])([[-1.5, 0.5, 2.0]])   # [[0, 1, 2]]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        label = f"Discretization {self.name!r}"
        _no_sparse(label, sparse)
        self.output_mode = _check_mode(label, output_mode, ("int", "one_hot", "multi_hot", "count"))
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"{label}: `num_bins` must be >= 0, received num_bins={num_bins}.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"{label}: give `bin_boundaries` or `num_bins`, not both; received "
                             f"bin_boundaries={bin_boundaries} and num_bins={num_bins}.")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{label}: give `bin_boundaries` or `num_bins` (then call adapt()).")
        self.num_bins, self.epsilon, self.sparse = num_bins, epsilon, sparse
        self.bin_boundaries = bin_boundaries
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    @property
    def bin_boundaries(self):
        return self._bin_boundaries

    @bin_boundaries.setter
    def bin_boundaries(self, value):
        self._bin_boundaries = None if value is None else list(value)
        if value is not None:
            self._boundary_tensor = B.convert_to_tensor(np.asarray(value, np.float32).reshape(-1))

    @property
    def output_dtype(self):
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def adapt(self, data, steps=None):
        """Learn ``num_bins - 1`` boundaries at approximate quantiles of ``data`` (an array/tensor or an
        iterable of batches), by Keras's summarize-merge-compress algorithm."""
        if self.num_bins is None:
            raise ValueError(f"Discretization {self.name!r}: adapt() needs `num_bins`; the layer was given "
                             f"bin_boundaries.")
        self.reset_state()
        batches = _batches(data, steps) if not isinstance(data, (list, tuple)) else (b for b in data)
        for batch in [data] if batches is None else batches:
            self.update_state(_first(batch))
        self.finalize_state()

    def update_state(self, data):
        summary = _summarize(np.asarray(_host_numpy(data)).astype("float32"), self.epsilon)
        merged = np.concatenate((summary, self.summary), axis=1)
        self.summary = _compress(np.take(merged, np.argsort(merged[0]), axis=1), self.epsilon)

    def finalize_state(self):
        if self.num_bins is not None:
            self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization {self.name!r}: no bin boundaries; pass `bin_boundaries` or call "
                             f"adapt() first.")
        n = len(self.bin_boundaries)
        x = B.cast(inputs, "float32")
        indices = _search(self._boundary_tensor, x, n, right=True) if n else B.zeros_like(x, dtype="int64")
        if self.output_mode == "int":
            return B.cast(indices, "int32")
        return _encode(indices, self.output_mode, n + 1, self.output_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return tuple(input_shape[:-1]) + (depth,)
            return tuple(input_shape) + (depth,)
        return tuple(input_shape[:-1]) + (depth,) if len(input_shape) >= 1 else (depth,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), self.output_dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name,
                "dtype": super().get_config()["dtype"]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)
