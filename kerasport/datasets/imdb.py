"""IMDB movie-review sentiment: 25,000 + 25,000 reviews as word-index sequences (Keras's copy and cache)."""
import json
import warnings

import numpy as np

from kerasport.datasets._common import (ORIGIN, drop_long, encode_sequences, limit_vocabulary, load_npz,
                                        object_array)
from kerasport.utils.file_utils import get_file


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """Load IMDB as Keras does: shuffled with ``seed``, words indexed by frequency (1 is the most frequent).

    Args:
        path: cached file name (relative to ``~/.keras/datasets``).
        num_words: keep the ``num_words`` most frequent words (by their shifted
            index); rarer ones become ``oov_char``. ``None`` keeps all.
        skip_top: the ``skip_top`` most frequent indices also become ``oov_char``.
        maxlen: drop the reviews of ``maxlen`` words or more (after ``start_char``).
        seed: seed of the shuffle of each split.
        start_char: index put at the start of every review (``None`` for none).
        oov_char: index of words cut by ``num_words``/``skip_top``; ``None`` removes them.
        index_from: offset added to every word index.
        **kwargs: ignored with a warning (Keras ignores them silently).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints, and 0/1 labels.
    """
    if kwargs:
        warnings.warn(f"imdb.load_data: ignoring unknown keyword arguments {sorted(kwargs)} (as Keras does).",
                      stacklevel=2)
    path = get_file(fname=path, origin=f"{ORIGIN}imdb.npz",
                    file_hash="69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f")
    f = load_npz(path)
    rng = np.random.RandomState(seed)
    splits = []
    for x, y in ((f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])):
        indices = np.arange(len(x))
        rng.shuffle(indices)
        splits.append((encode_sequences(x[indices], start_char, index_from), y[indices]))
    (x_train, labels_train), (x_test, labels_test) = splits
    if maxlen:
        x_train, labels_train = drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"imdb.load_data: after filtering for sequences shorter than maxlen={maxlen}, no "
                             "sequence was kept. Increase maxlen.")
    xs = limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    cut = len(x_train)
    return (object_array(xs[:cut]), labels[:cut]), (object_array(xs[cut:]), labels[cut:])


def get_word_index(path="imdb_word_index.json"):
    """``{word: index}`` of IMDB (index 1 is the most frequent word; add ``index_from`` to match the data)."""
    path = get_file(fname=path, origin=f"{ORIGIN}imdb_word_index.json", file_hash="bfafd718b763782e994055a2d397834f")
    with open(path) as f:
        return json.load(f)
