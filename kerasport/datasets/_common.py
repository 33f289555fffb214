"""What Keras's dataset loaders share: where files come from, safe ``.npz``/pickle reading,
shuffled train/test splits and the word-index encoding of IMDB and Reuters."""
import io
import pickle
import zipfile

import numpy as np

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# Rebuilding the numpy object arrays of IMDB / Reuters (and CIFAR's pickled dicts)
# needs these globals and no others; anything else in a pickle is refused.
_ALLOWED = frozenset({("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                      ("numpy._core.multiarray", "_reconstruct")})


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and plain containers, and refuses everything else."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to deserialize `{module}.{name}` while loading a dataset: the "
                                     "file may be corrupted or malicious.")


def _read_npy(fp):
    try:
        return np.lib.format.read_array(fp, allow_pickle=False)
    except ValueError:  # an object array: skip the header, then unpickle with the restricted unpickler
        fp.seek(0)
        major, _ = np.lib.format.read_magic(fp)
        if major == 1:
            np.lib.format.read_array_header_1_0(fp)
        elif major in (2, 3):
            np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"Unsupported .npy format version {major}.") from None
        return RestrictedUnpickler(fp).load()


def load_npz(path):
    """The arrays of an ``.npz`` file as a dict; object arrays are unpickled safely (numpy arrays only)."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[:-4]] = _read_npy(io.BytesIO(raw.read()))
    return arrays


def shuffled_split(x, y, test_split, seed):
    """Shuffle ``(x, y)`` with ``RandomState(seed)`` and cut off the last ``test_split`` as the test set."""
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
                         "(exclusive of 1).")
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def encode_sequences(seqs, start_char, index_from):
    """Shift word indices by ``index_from`` and prepend ``start_char`` (when not ``None``)."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in s] for s in seqs]
    return [[w + index_from for w in s] for s in seqs]


def drop_long(maxlen, seqs, labels):
    """Keep the sequences shorter than ``maxlen`` (Keras drops, rather than truncates, the others)."""
    kept = [(s, label) for s, label in zip(seqs, labels) if len(s) < maxlen]
    return [s for s, _ in kept], [label for _, label in kept]


def limit_vocabulary(seqs, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char`` (or are removed when it is ``None``)."""
    if not num_words:
        num_words = max(max(s) for s in seqs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in s] for s in seqs]
    return [[w for w in s if skip_top <= w < num_words] for s in seqs]


def object_array(seqs):
    """A 1-D numpy object array of lists (``np.array`` would make a 2-D array of equal-length lists)."""
    out = np.empty(len(seqs), dtype="object")
    out[:] = seqs
    return out
