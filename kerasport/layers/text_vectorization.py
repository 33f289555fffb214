"""``TextVectorization``: standardizes, splits and n-grams text, then maps the tokens to indices
or encodings through a ``StringLookup``."""
import re

import numpy as np

from kerasport.backends import B
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.layers.symbolic import is_symbolic
from kerasport.layers.preprocessing_utils import (adapt_batches, as_strings, batch_features, check_output_mode,
                                                  host_numpy, traced_strings)
from kerasport.layers.string_lookup import StringLookup

_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_WHITESPACE = re.compile(r"[^ \t\n\r\x0b\x0c]+")


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

    supports_jit = False  # as Keras: no XLA / torch.compile for this layer
    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags

    @property
    def dtype(self):
        """As Keras: ``"string"``, what the layer takes (the config keeps the policy)."""
        return "string"

    compute_dtype = variable_dtype = dtype

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
        output_mode = check_output_mode(label, output_mode, ("int", "multi_hot", "count", "tf_idf"))
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
            return as_strings(self._standardize(given))
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
        rows = result.to_list() if hasattr(result, "to_list") else host_numpy(result).tolist()
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
        strings = as_strings(inputs)
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
        batches = adapt_batches(data, steps)
        if batches is None:
            strings = as_strings(data)
            self.update_state(strings[:, None] if strings.ndim == 1 else strings)
        else:
            for batch in batches:
                self.update_state(batch_features(batch))
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
        # One string (rank 0) is split into one row of tokens, returned without a batch axis, as in Keras.
        one_string = self._split is not None and not lookup.sparse and (
            isinstance(inputs, (str, bytes)) or len(getattr(inputs, "shape", (None,))) == 0)
        if one_string:
            return self.call(B.reshape(inputs, (1,)) if traced_strings(inputs) else as_strings(inputs).reshape(1))[0]
        if traced_strings(inputs):
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
        from kerasport.core.serialization import deserialize_keras_object
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
