"""Models rebuilt from a model or from a JSON config: ``clone_model`` and ``model_from_json``."""
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and freshly initialised weights.

    A compiled ``model`` gives a clone compiled with the same arguments (a fresh optimizer), as in Keras.
    """
    from kerasport.layers import layer_classes
    clone = deserialize_keras_object(serialize_keras_object(model), layer_classes())
    if getattr(model, "compiled", False) and getattr(model, "_compile_config", None) is not None:
        clone.compile_from_config(serialize_keras_object(model.get_compile_config()))
    return clone


def model_from_json(json_string, custom_objects=None):
    """A model (or layer) from the JSON string of ``model.to_json()``, compiled if the string has a
    ``compile_config`` (as Keras's ``deserialize_keras_object`` compiles it); its weights are new."""
    import json
    from kerasport import layers
    from kerasport.saving.keras_v3 import compile_from_config
    config = json.loads(json_string)
    compile_config = config.pop("compile_config", None) if isinstance(config, dict) else None
    model = layers.deserialize(config, custom_objects=custom_objects)
    if compile_config:
        compile_from_config(model, compile_config, custom_objects)
    return model
