"""``IndexLookup``, the base of ``IntegerLookup`` and ``StringLookup``: the vocabulary, its file I/O,
``adapt()``, the index layout (mask, OOV, terms) and the output encodings."""
import collections
import os

import numpy as np

from kerasport.backends import B
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.layers.symbolic import is_probing
from kerasport.layers.preprocessing_utils import (adapt_batches, as_strings, batch_features, check_not_sparse,
                                                  check_output_mode, encode_categorical, encoded_shape, host_numpy,
                                                  is_ragged, token_lists)
from kerasport.core.serialization import check_local_file_allowed
from kerasport.utils import farmhash


class IndexLookup(Layer):
    """What IntegerLookup and StringLookup share: the vocabulary, ``adapt``, the index layout and encodings.

    Index layout: ``[mask_token]`` (``output_mode="int"`` with a mask token), then ``num_oov_indices``
    OOV indices, then the vocabulary terms in order.
    """

    supports_jit = False  # as Keras: no XLA / torch.compile for this layer
    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags

    _string = False

    @property
    def dtype(self):
        """As Keras: the vocabulary's dtype, ``"string"`` or ``"int64"`` (the config keeps the policy)."""
        return "string" if self._string else "int64"

    compute_dtype = variable_dtype = dtype

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
        output_mode = check_output_mode(name, output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"))
        if invert and output_mode != "int":
            raise ValueError(f"{name}: `output_mode` must be 'int' when `invert` is True, received {output_mode!r}.")
        check_not_sparse(name, sparse)
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
            return list(as_strings(values).reshape(-1))
        return [int(v) for v in np.asarray(host_numpy(values)).reshape(-1)]

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
            idf = np.asarray(host_numpy(idf_weights), np.float32)
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
        data = token_lists(data)
        batches = adapt_batches(data, steps)
        if batches is None and is_ragged(data):
            self.update_state(data)
        elif batches is None:
            values = self._values(data)
            self.update_state(values[:, None] if values.ndim == 1 else values)
        else:
            for batch in batches:
                self.update_state(batch_features(batch))
        self.finalize_state()

    def _values(self, data):
        """``data`` as an array of ``str`` (object dtype) or int64."""
        return as_strings(data) if self._string else np.asarray(host_numpy(data)).astype(np.int64)

    def update_state(self, data):
        """Count the terms of one batch: one document per row of an array (a 1-D array is one document),
        or per list of a list of token lists."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt {self._name()} after setting a static vocabulary via the "
                             f"`vocabulary` argument or `set_vocabulary()`.")
        data = token_lists(data)
        if is_ragged(data):
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
        if self._frozen_vocab_size is None and self.output_mode == "int":   # Keras: "Table not initialized"
            raise RuntimeError(f"{self._name()}: the vocabulary is not set: pass `vocabulary` or call `adapt()` "
                               f"before calling the layer.")
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(f"{self._name()}: with output_mode={self.output_mode!r} and pad_to_max_tokens=False "
                               f"the vocabulary must be set before the layer is called: pass `vocabulary` or "
                               f"call `adapt()` first.")

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def _call_ragged(self, inputs, lookup):
        """A ``tf.RaggedTensor`` of terms, as Keras takes it: ``lookup`` (terms -> int64 indices) on its values;
        ``"int"`` gives a ragged tensor of the same rows, the other modes encode each row (its padding ignored)."""
        if self.invert:
            raise NotImplementedError(f"{self._name()}: `invert=True` does not take ragged inputs in kerasport; "
                                      f"pass a dense tensor or the ragged tensor's `flat_values`.")
        ids = inputs.with_flat_values(lookup(inputs.flat_values))
        return ids if self.output_mode == "int" else self._finish(ids.to_tensor(default_value=-1))

    def _finish(self, lookups):
        """Encode int lookups (``-1``: padding/mask) in the output mode: int64 as in Keras (whose symbolic output
        says float32 for the encoded modes all the same), float32 for ``"tf_idf"``."""
        if self.output_mode == "int":
            return lookups
        if self.output_mode == "tf_idf":
            return encode_categorical(lookups, "count", self._depth()) * self._idf_tensor
        return encode_categorical(lookups, self.output_mode, self._depth(), dtype="int64")

    def _oov_error(self, oov_values):
        """Refuse out-of-vocabulary values when ``num_oov_indices=0``; on probe tensors (whose values mean nothing,
        see ``symbolic.is_probing``) give the first token's index instead, as Keras's value-free tracing would."""
        if is_probing():
            return self._token_start_index()
        raise ValueError(f"{self._name()}: when `num_oov_indices=0` all inputs should be in the vocabulary; "
                         f"found OOV values {oov_values[:10]}. Consider setting `num_oov_indices=1`.")

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs):
        dtype = "int64" if self.output_mode == "int" else "float32"
        if self.invert:
            dtype = "string" if self._string else "int64"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    # -- saving
    def get_config(self):
        vocab, idf = self.input_vocabulary, self.input_idf_weights
        listify = (lambda v: v if v is None or isinstance(v, list) else np.asarray(host_numpy(v)).tolist())
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
