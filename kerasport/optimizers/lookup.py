"""Optimizers by Keras name: ``get``, ``serialize`` and ``deserialize``."""
from kerasport.optimizers.adagrad import Adadelta, Adagrad
from kerasport.optimizers.adam import Adam, Adamax, AdamW, Nadam
from kerasport.optimizers.base import Optimizer
from kerasport.optimizers.ftrl import Ftrl
from kerasport.optimizers.adafactor import Adafactor
from kerasport.optimizers.lamb import Lamb
from kerasport.optimizers.loss_scale import LossScaleOptimizer
from kerasport.optimizers.lion import Lion
from kerasport.optimizers.multi_optimizer import MultiOptimizer
from kerasport.optimizers.muon import Muon
from kerasport.optimizers.rmsprop import RMSprop
from kerasport.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from kerasport.optimizers.sgd import SGD
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object

_CLASSES = {c.__name__: c for c in (Optimizer, SGD, Adam, AdamW, Adamax, Nadam, RMSprop, Adagrad, Adadelta, Lion,
                                    Ftrl, Adafactor, Lamb, LossScaleOptimizer, Muon, ScheduleFreeAdamW,
                                    MultiOptimizer)}
_LOOKUP = {**_CLASSES, **{k.lower(): v for k, v in _CLASSES.items() if k != "Optimizer"}}


def get(identifier):
    """An optimizer for a name (``"adam"``, ``"nadam"``, ...), class, config dict or instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() not in _LOOKUP:
        raise ValueError(f"Unknown optimizer: {identifier!r}. Expected one of: "
                         f"{', '.join(sorted(k for k in _LOOKUP if k.islower()))}, or an Optimizer instance.")
    if isinstance(identifier, str):
        return _LOOKUP[identifier.lower()]()
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize_keras_object(identifier, _LOOKUP, printable_module_name="optimizer")
    raise ValueError(f"Could not interpret optimizer: {identifier!r}")


def serialize(optimizer):
    """The Keras dict form of an optimizer."""
    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """An optimizer from its dict form or name."""
    return deserialize_keras_object(config, _LOOKUP, custom_objects, "optimizer")
