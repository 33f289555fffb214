"""Reuters newswire topics: 11,228 newswires in 46 topics as word-index sequences (Keras's copy and cache)."""
import json

import numpy as np

from kerasport.datasets._common import (ORIGIN, drop_long, encode_sequences, limit_vocabulary, load_npz,
                                        object_array)
from kerasport.utils.file_utils import get_file

LABEL_NAMES = ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
               "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
               "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
               "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
               "dlr", "gas", "silver", "wpi", "hog", "lead")


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3):
    """Load Reuters as Keras does: shuffled with ``seed``, then the last ``test_split`` is the test set.

    Args:
        path: cached file name (relative to ``~/.keras/datasets``).
        num_words: keep the ``num_words`` most frequent words (by their shifted
            index); rarer ones become ``oov_char``. ``None`` keeps all.
        skip_top: the ``skip_top`` most frequent indices also become ``oov_char``.
        maxlen: drop the newswires of ``maxlen`` words or more (after ``start_char``).
        test_split: fraction of the newswires in the test set.
        seed: seed of the shuffle.
        start_char: index put at the start of every newswire (``None`` for none).
        oov_char: index of words cut by ``num_words``/``skip_top``; ``None`` removes them.
        index_from: offset added to every word index.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints, and topic labels 0-45.
    """
    path = get_file(fname=path, origin=f"{ORIGIN}reuters.npz",
                    file_hash="d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916")
    f = load_npz(path)
    xs, labels = f["x"], f["y"]
    indices = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(indices)
    xs, labels = encode_sequences(xs[indices], start_char, index_from), labels[indices]
    if maxlen:
        xs, labels = drop_long(maxlen, xs, labels)
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (object_array(xs[:cut]), np.array(labels[:cut])), (object_array(xs[cut:]), np.array(labels[cut:]))


def get_word_index(path="reuters_word_index.json"):
    """``{word: index}`` of Reuters (index 1 is the most frequent word; add ``index_from`` to match the data)."""
    path = get_file(path, origin=f"{ORIGIN}reuters_word_index.json", file_hash="4d44cc38712099c9e383dc6e5f11a921")
    with open(path) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, in label order."""
    return LABEL_NAMES
