"""Weight regularizers L1, L2 and L1L2 (and OrthogonalRegularizer), as in Keras."""
from kerasport.backends import B
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object


class Regularizer:
    """Base class: ``reg(weight)`` returns a scalar penalty added to the loss."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        out, x = 0.0, B.convert_to_tensor(x)
        if self.l1:
            out = B.multiply(B.sum(B.abs(x)), self.l1)
        if self.l2:
            out = B.add(B.multiply(B.sum(B.square(x)), self.l2), out)
        return out

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    def __init__(self, factor=0.01, mode="rows"):
        self.factor, self.mode = factor, mode

    def __call__(self, x):
        x = B.convert_to_tensor(x)
        x = x if self.mode == "rows" else B.transpose(x)
        x = B.normalize(x, axis=1)
        prod = B.matmul(x, B.transpose(x))
        n = x.shape[0]
        off = B.subtract(prod, B.eye(n))
        return self.factor * B.sum(B.abs(off)) / (n * (n - 1))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2 = L1, L2, L1L2
orthogonal_regularizer = OrthogonalRegularizer
_LOOKUP = {"L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer,
           "l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}


def get(identifier):
    if identifier is None or isinstance(identifier, Regularizer) or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    return deserialize_keras_object(identifier, _LOOKUP, printable_module_name="regularizer")


serialize = serialize_keras_object


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, _LOOKUP, custom_objects, "regularizer")
