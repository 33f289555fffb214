"""The old home of ``kerasport.core.serialization``, kept while modules rewritten on other branches (the model,
``layers/rnn.py``, ``layers/preprocessing_lookup.py``, ``losses.py``) still import it from here; new code
imports ``kerasport.core.serialization``."""
from kerasport.core.serialization import (CustomObjectScope, check_local_file_allowed,  # noqa: F401
                                          custom_object_scope, deserialize_keras_object,
                                          enable_unsafe_deserialization, get_registered_name,
                                          get_registered_object, in_safe_mode, register_keras_serializable,
                                          safe_mode_scope, serialize_keras_object)
