"""Ops on symbolic tensors: ``kerasport.ops.mean(x, axis=1)`` or ``x * 2`` in a Functional model.

Calling an op (or a Python operator) on a ``KerasTensor`` adds an ``OpLayer`` to
the graph: it remembers the op's name and its non-tensor arguments, and replays
the op on real tensors when the model runs.
"""
import inspect
import operator

import numpy as np

from kerasport.backends import B
from kerasport.layers.keras_op_classes import KERAS_OPS
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.core import naming, nest

_TENSOR = "__tensor__"
OPERATORS = {"getitem": operator.getitem}  # ops that are Python operators, not functions of kerasport.ops


def _encode(value):
    """Non-tensor arguments in a JSON-friendly form (slices and Ellipsis included)."""
    if isinstance(value, slice):
        return {"__slice__": [value.start, value.stop, value.step]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _constant(value):
    """A NumPy constant among an op's arguments as a backend tensor (torch's ops take no arrays), once."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return B.convert_to_tensor(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_constant(v) for v in value)
    return value


def _decode(value):
    if isinstance(value, dict) and "__slice__" in value:
        return slice(*value["__slice__"])
    if isinstance(value, dict) and "__ellipsis__" in value:
        return Ellipsis
    if isinstance(value, dict) and "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class OpLayer(Layer):
    """Replays ``kerasport.ops.<op>`` (or a Python operator) with tensors in the marked places.

    Args:
        op: the op's name in ``kerasport.ops`` (or ``"getitem"``).
        arguments: the positional arguments, tensors replaced by ``"__tensor__"``.
        keyword_arguments: the keyword arguments, likewise.
    """

    _masks_from_input_masks = True  # no mask ever (``compute_mask``): no symbolic mask probe

    def __init__(self, op, arguments=(), keyword_arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.autocast = False  # as Keras's ops: a float64 input stays float64, and float16 meets float32 as it is
        self.op = op
        self.arguments = list(arguments)
        self.keyword_arguments = dict(keyword_arguments or {})
        self._fn = OPERATORS.get(op) or getattr(B, op)
        self._args = [_decode(a) for a in self.arguments]
        self._kwargs = {k: _decode(v) for k, v in self.keyword_arguments.items()}
        convert = _constant if op != "getitem" else (lambda v: v)
        self._call_args = [convert(a) for a in self._args]  # the file keeps the arrays (``keras_form``)
        self._call_kwargs = {k: convert(v) for k, v in self._kwargs.items()}

    def call(self, inputs):
        tensors = iter(inputs)
        return self._fn(*_fill(self._call_args, tensors), **_fill(self._call_kwargs, tensors))

    @property
    def keras_class_name(self):
        """The Keras op class this layer stands for (``Square``), which Keras's summary shows."""
        return KERAS_OPS[self.op][1] if self.op in KERAS_OPS else type(self).__name__

    def compute_output_spec(self, inputs, **kwargs):
        """A broadcasting elementwise op's output: the broadcast of its arguments' shapes, in the dtype the op gives
        on one element of each (a residual ``x + y`` on 83x83 probe images took a second); others as any layer."""
        if self.op in _BROADCASTING and not self._kwargs:
            tensors = iter(inputs)
            args = _fill(self._call_args, tensors)
            shape = _broadcast([tuple(a.shape) if hasattr(a, "shape") else () for a in args])
            if shape is not None:
                small = [B.zeros((1,) * len(a.shape), a.dtype) if isinstance(a, KerasTensor) else a for a in args]
                return KerasTensor(shape, B.dtype(self._fn(*small)))
        return super().compute_output_spec(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        """None: as Keras's ops, an op's output carries no mask, and its inputs' masks go without a warning."""
        return None

    def get_config(self):
        return {**super().get_config(), "op": self.op, "arguments": self.arguments,
                "keyword_arguments": self.keyword_arguments}

    def keras_form(self, tensors):
        """This op as Keras 3 writes it in a Functional graph, or None where Keras has no such op.

        Returns ``(module, class_name, config, args, kwargs)``: the op class, its constructor
        arguments (``config``), and the call's arguments with ``tensors`` (the node's inputs)
        in place; slices and ``...`` in Keras's JSON form.
        """
        if self.op not in KERAS_OPS:
            return None
        suffix, class_name, init_names = KERAS_OPS[self.op]
        tensors = iter(tensors)
        args, kwargs = _fill(self._args, tensors), _fill(self._kwargs, tensors)
        if self.op == "getitem":
            return f"keras.src.ops.{suffix}", class_name, {}, [args[0], _keras_json(args[1])], {}
        try:
            params = inspect.signature(self._fn).parameters
            bound = inspect.signature(self._fn).bind(*args, **kwargs).arguments
        except (TypeError, ValueError):  # a framework builtin (torch.multiply): tensors come first
            params, bound = {}, {}
        if not bound:
            call = list(args)
            config = {k: v for k, v in kwargs.items() if k in init_names}
            call_kwargs = {k: v for k, v in kwargs.items() if k not in init_names}
        else:
            config = {k: v for k, v in bound.items() if k in init_names}
            call, call_kwargs = [], {}
            for name, value in bound.items():
                if name in init_names:
                    continue
                if params[name].kind == params[name].VAR_POSITIONAL:
                    call.extend(value)
                elif params[name].kind == params[name].VAR_KEYWORD:
                    call_kwargs.update(value)
                else:
                    call.append(value)
        return (f"keras.src.ops.{suffix}", class_name, _keras_json(config), [_keras_json(a) for a in call],
                _keras_json(call_kwargs))


_BROADCASTING = frozenset({"add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum"})


def _broadcast(shapes):
    """NumPy's broadcast of ``shapes`` with unknown (None) dims, as Keras's ``broadcast_shapes``; None where two
    known dims clash (the op's own run then raises its error)."""
    rank = max(map(len, shapes))
    out = []
    for dims in zip(*[(1,) * (rank - len(s)) + s for s in shapes]):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            return None
        out.append(known.pop() if known else None if None in dims else 1)
    return tuple(out)


def _fill(template, tensors):
    """``template`` with each ``"__tensor__"`` mark replaced by the next of ``tensors``; other values (constant
    framework tensors among them, which are not compared with the mark) as they are."""
    return nest.map_structure(lambda a: next(tensors) if isinstance(a, str) and a == _TENSOR else a, template)


def _keras_json(value):
    """Slices, ``...`` and tuples in the JSON form Keras's serialization gives them."""
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {"start": value.start, "stop": value.stop, "step": value.step}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, (list, tuple)):
        return [_keras_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _keras_json(v) for k, v in value.items()}
    return value


def symbolic_op(name, args, kwargs):
    """Add an ``OpLayer`` for ``name(*args, **kwargs)`` to the graph of the KerasTensors among them."""
    tensors = []

    def mark(value):
        if isinstance(value, KerasTensor):
            tensors.append(value)
            return _TENSOR
        return _encode(value) if isinstance(value, (slice, type(Ellipsis))) else value

    arguments = nest.map_structure(mark, list(args))
    keyword_arguments = nest.map_structure(mark, dict(kwargs))
    arguments = [_encode(a) if isinstance(a, tuple) else a for a in arguments]
    # Named as Keras names the op (``square``, ``multiply_1``), from the counter layers' names use.
    layer = OpLayer(name, arguments, keyword_arguments,
                    name=naming.uniquify(naming.to_snake_case(KERAS_OPS[name][1])) if name in KERAS_OPS else None)
    return layer(tensors)


def _binary(name, reverse=False):
    def method(self, other):
        return symbolic_op(name, (other, self) if reverse else (self, other), {})
    return method


for _dunder, _op in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "divide"),
                     ("floordiv", "floor_divide"), ("mod", "mod"), ("pow", "power"), ("matmul", "matmul")]:
    setattr(KerasTensor, f"__{_dunder}__", _binary(_op))
    setattr(KerasTensor, f"__r{_dunder}__", _binary(_op, reverse=True))
for _dunder, _op in [("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal")]:
    setattr(KerasTensor, f"__{_dunder}__", _binary(_op))
for _dunder, _op in [("and", "logical_and"), ("or", "logical_or"), ("xor", "logical_xor")]:
    setattr(KerasTensor, f"__{_dunder}__", _binary(_op))
    setattr(KerasTensor, f"__r{_dunder}__", _binary(_op, reverse=True))
KerasTensor.__neg__ = lambda self: symbolic_op("negative", (self,), {})
KerasTensor.__abs__ = lambda self: symbolic_op("abs", (self,), {})
KerasTensor.__invert__ = lambda self: symbolic_op("logical_not", (self,), {})
KerasTensor.__getitem__ = lambda self, key: symbolic_op("getitem", (self, key), {})
KerasTensor.__round__ = lambda self, ndigits=None: symbolic_op("round", (self,), {"decimals": ndigits or 0})
KerasTensor.reshape = lambda self, newshape: symbolic_op("reshape", (self, newshape), {})
KerasTensor.squeeze = lambda self, axis=None: symbolic_op("squeeze", (self,), {"axis": axis})
