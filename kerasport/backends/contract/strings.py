"""The backend contract, ``strings``: string tensors (only a backend with ``STRING_TENSORS``: TensorFlow).

Each backend implements these in ``backends/<name>/strings.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def as_strings(x: ArrayLike) -> Any:
    """``x`` as ``tf.string``: strings unchanged, integers (floats truncated first) as decimal text."""


def rows_flat_values(rows: ArrayLike) -> Any:
    """All tokens of ragged ``rows`` as one 1-D tensor."""


def rows_to_dense(rows: ArrayLike, width, default) -> Any:
    """Ragged ``rows`` as a dense ``(n, width)`` tensor: cut or padded with ``default`` (``width=None``:
    the longest row).
    """


def rows_with_values(rows: ArrayLike, values: ArrayLike) -> Any:
    """``rows`` with their tokens replaced by ``values`` (same count, e.g. their indices)."""


def string_cross_hashed(inputs, num_bins) -> Any:
    """Keras's ``HashedCrossing`` bins of ``inputs`` (int or ``tf.string`` tensors of one shape, rank <= 2):
    ``tf.sparse.cross_hashed`` (FingerprintCat64 of the values) modulo ``num_bins``, in the inputs' shape."""


def string_equal(x: ArrayLike, value: ArrayLike) -> Any:
    """Element-wise ``x == value`` for a ``tf.string`` tensor and one string."""


def string_hash_bucket(x: ArrayLike, num_bins, salt=None) -> Any:
    """Keras's bins: ``Fingerprint64(x) % num_bins`` (FarmHash), or keyed SipHash with ``salt`` (2 ints)."""


def string_is_symbolic(x: ArrayLike) -> bool:
    """Whether ``x`` is a graph tensor with no value (inside a traced ``tf.function``)."""


def string_lower(x: ArrayLike) -> Any:
    """ASCII lowercasing (``tf.strings.lower``), as Keras's standardization."""


def string_ngrams(rows: ArrayLike, widths) -> Any:
    """The n-grams of each row for each width in ``widths``, joined by spaces (``tf.strings.ngrams``)."""


def string_regex_replace(x: ArrayLike, pattern, rewrite) -> Any:
    """Every match of the RE2 ``pattern`` in ``x`` replaced by ``rewrite``."""


def string_split(x: ArrayLike, mode) -> Any:
    """Rows of tokens (a ragged tensor) from 1-D strings: ``"whitespace"`` or ``"character"`` (UTF-8)."""


def string_table(keys, values: ArrayLike, default) -> Any:
    """A static table from ``keys`` (strings) to int64 ``values``, made eagerly even while tracing."""


def string_table_lookup(table: ArrayLike, x: ArrayLike) -> Any:
    """The int64 value of each string of ``x`` in ``table`` (its default where absent)."""
