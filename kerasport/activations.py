"""Activation functions by Keras name; ``get`` resolves a name, callable or config."""
import functools
import inspect

from kerasport.backends import B
from kerasport.core.keras_tensor import KerasTensor
from kerasport.core.serialization import deserialize_keras_object, get_registered_object, serialize_keras_object


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), with Keras's optional slope below ``threshold`` and cap ``max_value``."""
    if negative_slope == 0.0 and threshold == 0.0:  # one kernel for relu / relu6 / capped relu
        if max_value is None:
            return B.relu(x)
        return B.relu6(x) if max_value == 6.0 else B.minimum(B.relu(x), max_value)
    out = B.where(B.greater(x, threshold), x, B.multiply(B.subtract(x, threshold), negative_slope)
                  if negative_slope else B.zeros_like(x))
    return out if max_value is None else B.minimum(out, max_value)


def relu6(x):
    return B.relu6(x)


def sigmoid(x):
    return B.sigmoid(x)


def tanh(x):
    return B.tanh(x)


def softmax(x, axis=-1):
    return B.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return B.log_softmax(x, axis=axis)


def gelu(x, approximate=False):
    """Gaussian error linear unit (exact erf form by default, as Keras's activation)."""
    return B.gelu(x, approximate=approximate)


def silu(x):
    return B.silu(x)



def elu(x, alpha=1.0):
    return B.elu(x, alpha)


def selu(x):
    return B.selu(x)


def softplus(x):
    return B.softplus(x)


def softsign(x):
    return B.softsign(x)


def leaky_relu(x, negative_slope=0.2):
    return B.leaky_relu(x, negative_slope)


def linear(x):
    return x


def exponential(x):
    return B.exp(x)


def hard_sigmoid(x):
    return B.hard_sigmoid(x)


def hard_silu(x):
    return B.hard_silu(x)



def mish(x):
    return B.multiply(x, B.tanh(B.softplus(x)))


def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably."""
    return B.log_sigmoid(x)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``."""
    return B.celu(x, alpha)


def glu(x, axis=-1):
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""
    return B.glu(x, axis)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return B.hard_shrink(x, threshold)


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return B.hard_tanh(x)


def soft_shrink(x, threshold=0.5):
    """``x`` moved ``threshold`` towards 0, and 0 within ``[-threshold, threshold]``."""
    return B.soft_shrink(x, threshold)


def sparse_plus(x):
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between."""
    return B.sparse_plus(x)


def sparse_sigmoid(x):
    """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""
    return B.sparse_sigmoid(x)


def sparsemax(x, axis=-1):
    """Keras 3's sparsemax along ``axis`` (same numbers as Keras; see ``ops.sparsemax``)."""
    return B.sparsemax(x, axis)


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``, a smooth relu."""
    return B.squareplus(x, b)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return B.tanh_shrink(x)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return B.threshold(x, threshold, default_value)


def _taking_keras_tensors(fn):
    """``fn`` that also takes NumPy data and a ``KerasTensor`` (a Functional model being wired), as Keras's
    activations, written with its ops, do: it records ``kerasport.ops``' op of the same name where that op takes ``fn``'s arguments,
    else a ``ReLU`` / ``Activation`` layer."""
    signature = inspect.signature(fn)

    convert = fn.__name__ != "linear"  # Keras's linear returns its input as it is

    @functools.wraps(fn)
    def activation(x, *args, **kwargs):
        if not isinstance(x, KerasTensor):  # a NumPy array becomes a tensor, as Keras's ops convert it
            return fn(B.convert_to_tensor(x) if convert and not B.is_tensor(x) else x, *args, **kwargs)
        from kerasport import layers, ops
        bound = signature.bind(x, *args, **kwargs)
        bound.apply_defaults()
        options = dict(list(bound.arguments.items())[1:])
        op = {"exponential": ops.exp, "linear": lambda t: t}.get(fn.__name__, getattr(ops, fn.__name__, None))
        try:
            takes = set(inspect.signature(op).parameters) if op is not None else set()
        except ValueError:  # a framework builtin bound directly: it takes the tensor only
            takes = {"x"}
        if op is not None and set(options) <= takes:
            return op(x, **options)
        if fn.__name__ == "relu":
            return layers.ReLU(max_value=options["max_value"], negative_slope=options["negative_slope"],
                               threshold=options["threshold"])(x)
        return layers.Activation(fn.__name__)(x)   # mish: no op of its own, and no argument

    return activation


globals().update({_f.__name__: _taking_keras_tensors(_f) for _f in (
    relu, relu6, sigmoid, tanh, softmax, log_softmax, gelu, silu, elu, selu, softplus, softsign, leaky_relu, linear,
    exponential, hard_sigmoid, hard_silu, mish, log_sigmoid, celu, glu, hard_shrink, hard_tanh, soft_shrink,
    sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink, threshold)})
swish, hard_swish = silu, hard_silu
_ALL = {f.__name__: f for f in (relu, relu6, sigmoid, tanh, softmax, log_softmax, gelu, silu, elu, selu,
                                softplus, softsign, leaky_relu, linear, exponential, hard_sigmoid,
                                hard_silu, mish, log_sigmoid, celu, glu, hard_shrink, hard_tanh, soft_shrink,
                                sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink, threshold)}
_ALL.update(swish=silu, hard_swish=hard_silu)


def get(identifier):
    """The activation function for a name, callable, config dict or ``None`` (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and get_registered_object(identifier, module_objects=_ALL) is None:
        raise ValueError(f"Unknown activation: {identifier!r}. Expected one of: {', '.join(sorted(_ALL))}, "
                         "a registered custom activation, or a callable.")
    return deserialize_keras_object(identifier, _ALL, printable_module_name="activation")


def serialize(fn):
    name = getattr(fn, "__name__", None)
    if _ALL.get(name) is fn:
        return name
    return serialize_keras_object(fn)


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, _ALL, custom_objects, "activation")
