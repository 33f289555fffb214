"""Reading a SavedModel back as functions and variables (``layers.TFSMLayer``), on the TensorFlow backend."""
import tensorflow as tf

from kerasport.backends.tensorflow.core import keras_named


def load(path):
    """The object ``tf.saved_model.load`` restores from the SavedModel folder ``path``."""
    return tf.saved_model.load(path)


def endpoint(reloaded, name):
    """``(function, is_signature)``: the endpoint ``name`` as an attribute of ``reloaded``, else its signature
    ``name``; ``(None, False)`` when it has neither."""
    if hasattr(reloaded, name):
        return getattr(reloaded, name), False
    if name in reloaded.signatures:
        return reloaded.signatures[name], True
    return None, False


def signature_names(reloaded):
    return list(reloaded.signatures.keys())


def variables_used(fns):
    """The variables the concrete functions of ``fns`` read, each once: ``(trainable, non_trainable)``."""
    trainable, non_trainable, seen = [], [], set()
    for fn in fns:
        if hasattr(fn, "concrete_functions"):
            concrete = fn.concrete_functions
        elif hasattr(fn, "_list_all_concrete_functions"):
            concrete = fn._list_all_concrete_functions()
        else:
            concrete = [fn]
        for function in concrete:
            for v in function.trainable_variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    trainable.append(v)
            for v in function.variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    non_trainable.append(v)
    return trainable, non_trainable


def adopt(variable, path):
    """Make a restored variable a kerasport variable (Keras's ``name``, ``path`` set) in place; the restored
    functions keep reading and training it."""
    variable.__class__ = keras_named(type(variable))
    variable.path = path
    return variable
