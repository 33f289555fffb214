"""Utilities: seeding, and helpers users reach for (``to_categorical``, ``plot_history``, ``plot_model``)."""
import numpy as np

from kerasport.backends import B
from kerasport.utils.plotting import plot_history  # noqa: F401
from kerasport.utils.model_visualization import model_to_dot, plot_model  # noqa: F401
from kerasport.utils.py_dataset import PyDataset, Sequence  # noqa: F401
from kerasport.utils.config import Config  # noqa: F401
from kerasport.utils.dataset_utils import (image_dataset_from_directory, split_dataset,  # noqa: F401
                                           text_dataset_from_directory, timeseries_dataset_from_array)
from kerasport.utils.dtype_utils import standardize_dtype  # noqa: F401
from kerasport.utils.file_utils import get_file  # noqa: F401
from kerasport.utils.graph_utils import get_source_inputs, is_keras_tensor  # noqa: F401
from kerasport.utils.image_utils import array_to_img, img_to_array, load_img, save_img  # noqa: F401
from kerasport.utils.io_utils import (disable_interactive_logging, enable_interactive_logging,  # noqa: F401
                                      is_interactive_logging_enabled)
from kerasport.utils.progbar import Progbar  # noqa: F401
from kerasport.saving.serialization import (CustomObjectScope, custom_object_scope,  # noqa: F401,E402
                                            deserialize_keras_object, get_registered_name, get_registered_object,
                                            register_keras_serializable, serialize_keras_object)


def set_random_seed(seed):
    """Seed Python's ``random``, NumPy and the backend framework, so runs repeat exactly."""
    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed expects an integer seed, received {seed!r}.")
    B.set_seed_all(int(seed))


def to_categorical(x, num_classes=None):
    """One-hot encode integer labels: ``(n,)`` -> ``(n, num_classes)`` as float32."""
    x = np.asarray(x, dtype="int64")
    shape = x.shape[:-1] if x.ndim > 1 and x.shape[-1] == 1 else x.shape
    x = x.reshape(-1)
    num_classes = int(x.max()) + 1 if num_classes is None else num_classes
    out = np.zeros((x.size, num_classes), np.float32)
    out[np.arange(x.size), x] = 1
    return out.reshape(shape + (num_classes,))


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (or truncate) a list of sequences to one length: ``(n, maxlen)`` NumPy array.

    ``padding``/``truncating`` are ``"pre"`` (at the start, the default) or ``"post"``.
    ``pad_sequences([[1, 2], [3]])`` is ``[[1, 2], [0, 3]]``.
    """
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"padding and truncating must be 'pre' or 'post'; received {padding!r}, {truncating!r}.")
    lengths = [len(s) for s in sequences]
    sample_shape = next((np.asarray(s).shape[1:] for s in sequences if len(s)), ())
    maxlen = max(lengths, default=0) if maxlen is None else maxlen
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for row, s in zip(out, sequences):
        if len(s) and maxlen:
            kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
            if padding == "post":
                row[:len(kept)] = kept
            else:
                row[-len(kept):] = kept
    return out


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left alone); NumPy in, NumPy out."""
    if not isinstance(x, np.ndarray):
        return B.normalize(x, axis=axis, order=order)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def __getattr__(name):
    """Names that live in modules importing this package: resolved on first use."""
    if name in ("pack_x_y_sample_weight", "unpack_x_y_sample_weight"):
        from kerasport.trainers import data_adapters
        return getattr(data_adapters, name)
    if name == "clear_session":
        from kerasport.backend import clear_session
        return clear_session
    if name == "get_custom_objects":
        from kerasport.saving import get_custom_objects
        return get_custom_objects
    raise AttributeError(f"module 'kerasport.utils' has no attribute {name!r}")
