"""Models: ``Model`` (Functional or subclassed), ``Sequential``, and loading."""
from kerasport.models.functional import Functional
from kerasport.models.model import Model
from kerasport.models.sequential import Sequential


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Save a whole model (``.keras`` or ``.h5``): see ``kerasport.saving.save_model``."""
    from kerasport.saving import save_model as _save
    _save(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save`` (or by Keras): see ``kerasport.saving.load_model``."""
    from kerasport.saving import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and freshly initialised weights."""
    from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object
    from kerasport.layers import layer_classes
    return deserialize_keras_object(serialize_keras_object(model), layer_classes())


def model_from_json(json_string, custom_objects=None):
    import json
    from kerasport import layers
    return layers.deserialize(json.loads(json_string), custom_objects=custom_objects)
