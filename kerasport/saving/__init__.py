"""Saving and loading: whole models and weights in Keras's file formats, and (de)serialization of objects.

``.h5`` / ``.hdf5``: Keras's legacy HDF5 format (``kerasport.saving.h5``); Keras 3's
``.keras`` archives and ``.weights.h5`` files (``kerasport.saving.keras_v3``). All are read and written.
Every save is atomic (``kerasport.saving.atomic``); loading never unpickles and
refuses stored bytecode unless ``safe_mode=False``. The functions live in ``saving_api.py``;
the (de)serialization registry in ``kerasport.core.serialization``.
"""
from kerasport.core.serialization import (CustomObjectScope, custom_object_scope, deserialize_keras_object,  # noqa: F401
                                          get_custom_objects, get_registered_name, get_registered_object,
                                          in_safe_mode, register_keras_serializable, safe_mode_scope,
                                          serialize_keras_object)
from kerasport.saving.file_editor import KerasFileEditor  # noqa: F401
from kerasport.saving.saving_api import load_model, load_weights, save_model, save_weights  # noqa: F401
