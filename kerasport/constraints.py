"""Weight constraints applied after each optimizer step, as in Keras."""
from kerasport.backends import B
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object


class Constraint:
    """Base class: ``c(w)`` returns the projected weight."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = B.convert_to_tensor(w)  # NumPy data too, as Keras
        norms = B.sqrt(B.sum(B.square(w), axis=self.axis, keepdims=True))
        desired = B.clip(norms, 0, self.max_value)
        return B.multiply(w, B.divide(desired, B.add(norms, 1e-7)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    def __call__(self, w):
        w = B.convert_to_tensor(w)  # NumPy data too, as Keras
        return B.multiply(w, B.cast(B.greater_equal(w, 0.0), B.dtype(w)))


class UnitNorm(Constraint):
    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = B.convert_to_tensor(w)  # NumPy data too, as Keras
        return B.divide(w, B.add(B.sqrt(B.sum(B.square(w), axis=self.axis, keepdims=True)), 1e-7))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = B.convert_to_tensor(w)  # NumPy data too, as Keras
        norms = B.sqrt(B.sum(B.square(w), axis=self.axis, keepdims=True))
        desired = self.rate * B.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return B.multiply(w, B.divide(desired, B.add(norms, 1e-7)))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_LOOKUP = {"MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm,
           "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}


def get(identifier):
    if identifier is None or isinstance(identifier, Constraint) or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    return deserialize_keras_object(identifier, _LOOKUP, printable_module_name="constraint")


serialize = serialize_keras_object


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, _LOOKUP, custom_objects, "constraint")
