"""String kernels on ``tf.string`` tensors for the preprocessing layers' graph path (TensorFlow only).

Hashing, vocabulary tables, standardizing, splitting and n-grams with TensorFlow's own string ops,
so ``Hashing``, ``StringLookup`` and ``TextVectorization`` run inside a traced step (no NumPy there).
Token rows are ``tf.RaggedTensor``s; ``rows_to_dense`` pads them into a tensor.
"""
import tensorflow as tf


def string_is_symbolic(x):
    """Whether ``x`` is a graph tensor with no value (inside a traced ``tf.function``)."""
    return isinstance(x, (tf.Tensor, tf.RaggedTensor)) and not tf.executing_eagerly()


def as_strings(x):
    """``x`` as ``tf.string``: strings unchanged, integers (floats truncated first) as decimal text."""
    x = tf.convert_to_tensor(x)
    if x.dtype == tf.string:
        return x
    if x.dtype.is_floating:
        x = tf.cast(x, tf.int64)
    return tf.strings.as_string(x)


def string_hash_bucket(x, num_bins, salt=None):
    """Keras's bins: ``Fingerprint64(x) % num_bins`` (FarmHash), or keyed SipHash with ``salt`` (2 ints)."""
    if salt is not None:
        return tf.strings.to_hash_bucket_strong(x, num_bins, list(salt))
    return tf.strings.to_hash_bucket_fast(x, num_bins)


def string_cross_hashed(inputs, num_bins):
    """Keras's ``HashedCrossing`` bins of ``inputs`` (int or ``tf.string`` tensors of one shape, rank <= 2):
    ``tf.sparse.cross_hashed`` (FingerprintCat64 of the values) modulo ``num_bins``, in the inputs' shape."""
    inputs = [tf.convert_to_tensor(x) for x in inputs]
    shape = tf.shape(inputs[0])
    columns = [tf.reshape(x if x.dtype == tf.string else tf.cast(x, tf.int64), (-1, 1)) for x in inputs]
    dense = tf.sparse.to_dense(tf.sparse.cross_hashed(columns, num_buckets=num_bins))
    return tf.reshape(dense, shape)


def string_equal(x, value):
    """Element-wise ``x == value`` for a ``tf.string`` tensor and one string."""
    return tf.equal(x, tf.constant(value, tf.string))


def string_table(keys, values, default):
    """A static table from ``keys`` (strings) to int64 ``values``, made eagerly even while tracing."""
    with tf.init_scope():
        init = tf.lookup.KeyValueTensorInitializer(tf.constant(list(keys), tf.string),
                                                   tf.constant(values, tf.int64))
        return tf.lookup.StaticHashTable(init, default_value=default)


def string_table_lookup(table, x):
    """The int64 value of each string of ``x`` in ``table`` (its default where absent)."""
    return table.lookup(x)


def string_lower(x):
    """ASCII lowercasing (``tf.strings.lower``), as Keras's standardization."""
    return tf.strings.lower(x)


def string_regex_replace(x, pattern, rewrite):
    """Every match of the RE2 ``pattern`` in ``x`` replaced by ``rewrite``."""
    return tf.strings.regex_replace(x, pattern, rewrite)


def string_split(x, mode):
    """Rows of tokens (a ragged tensor) from 1-D strings: ``"whitespace"`` or ``"character"`` (UTF-8)."""
    if mode == "character":
        return tf.strings.unicode_split(x, "UTF-8")
    return tf.strings.split(x)


def string_ngrams(rows, widths):
    """The n-grams of each row for each width in ``widths``, joined by spaces (``tf.strings.ngrams``)."""
    return tf.strings.ngrams(rows, ngram_width=tuple(widths), separator=" ")


def rows_flat_values(rows):
    """All tokens of ragged ``rows`` as one 1-D tensor."""
    return rows.flat_values


def rows_with_values(rows, values):
    """``rows`` with their tokens replaced by ``values`` (same count, e.g. their indices)."""
    return rows.with_flat_values(values)


def rows_to_dense(rows, width, default):
    """Ragged ``rows`` as a dense ``(n, width)`` tensor: cut or padded with ``default`` (``width=None``:
    the longest row)."""
    return rows.to_tensor(default_value=default, shape=None if width is None else [None, width])
