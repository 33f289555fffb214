"""Saving and loading: the custom-object registry and (de)serialization of objects."""
from kerasport.saving.serialization import (CustomObjectScope, custom_object_scope, deserialize_keras_object,
                                            get_registered_name, get_registered_object, register_keras_serializable,
                                            serialize_keras_object)
