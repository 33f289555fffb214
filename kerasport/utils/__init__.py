"""Utilities: seeding, and helpers users reach for (``to_categorical``, ``plot_history``, ``plot_model``)."""
from kerasport.utils.plotting import plot_history  # noqa: F401
from kerasport.utils.model_visualization import model_to_dot, plot_model  # noqa: F401
from kerasport.utils.py_dataset import PyDataset, Sequence  # noqa: F401
from kerasport.utils.attribute_dict import Config  # noqa: F401
from kerasport.utils.dataset_utils import (audio_dataset_from_directory, image_dataset_from_directory,  # noqa: F401
                                           split_dataset, text_dataset_from_directory,
                                           timeseries_dataset_from_array)
from kerasport.core.dtypes import standardize_dtype  # noqa: F401
from kerasport.utils.file_utils import get_file  # noqa: F401
from kerasport.utils.graph_utils import get_source_inputs, is_keras_tensor  # noqa: F401
from kerasport.utils.image_utils import array_to_img, img_to_array, load_img, save_img  # noqa: F401
from kerasport.utils.io_utils import (disable_interactive_logging, enable_interactive_logging,  # noqa: F401
                                      is_interactive_logging_enabled)
from kerasport.utils.progbar import Progbar  # noqa: F401
from kerasport.utils import bounding_boxes  # noqa: F401
from kerasport.utils.numerical_utils import normalize, to_categorical  # noqa: F401
from kerasport.utils.rng_utils import set_random_seed  # noqa: F401
from kerasport.utils.sequence_utils import pad_sequences  # noqa: F401
from kerasport.core.serialization import (CustomObjectScope, custom_object_scope,  # noqa: F401,E402
                                          deserialize_keras_object, get_custom_objects, get_registered_name,
                                          get_registered_object, register_keras_serializable, serialize_keras_object)


_LAZY = ("FeatureSpace", "clear_session", "pack_x_y_sample_weight", "unpack_x_y_sample_weight")


def __dir__():
    """The module's names, with those resolved on first use (``FeatureSpace``, ``clear_session``, ...)."""
    return sorted(set(globals()) | set(_LAZY))


def __getattr__(name):
    """Names that live in modules importing this package: resolved on first use."""
    if name in ("pack_x_y_sample_weight", "unpack_x_y_sample_weight"):
        from kerasport.trainers import data_adapters
        return getattr(data_adapters, name)
    if name == "FeatureSpace":
        from kerasport.utils.feature_space import FeatureSpace
        return FeatureSpace
    if name == "clear_session":
        from kerasport.backend import clear_session
        return clear_session
    raise AttributeError(f"module 'kerasport.utils' has no attribute {name!r}")
