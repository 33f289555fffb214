"""Symbolic calls: which call arguments are symbolic, the graph ``Node`` a symbolic call records, and the output
specs (shapes, dtypes, masks) of a layer found by running it on probe tensors."""
import math
import threading
import warnings

import numpy as np

from kerasport.backends import B
from kerasport.core import nest as tree
from kerasport.core.keras_tensor import KerasTensor
from kerasport.core.masks import set_mask


_PROBING = threading.local()


def is_probing():
    """Whether this thread is running a layer on probe tensors (zeros, ``"0.0"`` strings) to find its output spec:
    values are meaningless there, only shapes and dtypes count."""
    return getattr(_PROBING, "depth", 0) > 0


def is_symbolic(x):
    return any(isinstance(t, KerasTensor) for t in tree.flatten(x))


def any_symbolic(args, kwargs):
    """Whether a call's arguments hold a KerasTensor; a few type checks for plain tensors."""
    for value in (*args, *kwargs.values()) if kwargs else args:
        if isinstance(value, KerasTensor) or isinstance(value, (list, tuple, dict)) and is_symbolic(value):
            return True
    return False


class Node:
    """One call of ``layer`` on symbolic inputs: arguments in, KerasTensors out."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args, self.kwargs = args, kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        self.output_tensors = [t for t in tree.flatten(outputs) if t is not None]  # a call may return None
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = (layer, self.index, i)

    @property
    def parent_nodes(self):
        nodes = []
        for t in self.input_tensors:
            if t._keras_history is not None:  # not a bare ``KerasTensor`` (a ``keras.Function``'s input)
                layer, node_index, _ = t._keras_history
                nodes.append(layer._inbound_nodes[node_index])
        return nodes


def is_tensor_argument(x):
    """Whether a call argument counts as a tensor argument in Keras: a tensor, or a non-empty nest of them."""
    if isinstance(x, (list, tuple, dict)):
        flat = tree.flatten(x)
        return bool(flat) and all(t is None or isinstance(t, KerasTensor) or B.is_tensor(t) for t in flat) \
            and any(t is not None for t in flat)
    return isinstance(x, KerasTensor) or B.is_tensor(x)


# Two sizes for every unknown dim, as Keras on torch probes. A call that cannot run at those sizes (a layer that
# looks positions 0..n-1 up in a table of fewer rows) gets a second try at small ones, where Keras's symbolic
# tensors never fail: each size tells the other apart, and neither is read as a batch of 1.
_PROBE_SIZES = ((83, 89), (2, 3))


def spec_by_running(layer, args, kwargs):
    """Run ``layer.call`` on zeros for two sizes of every unknown dim; differing dims are None.

    As in Keras, ``training`` left out is the ``call`` signature's default (inference where that is None), so
    a layer whose ``call(x, training=True)`` branches on it gives its training-time output. A probe run in
    training does not keep the updates it makes to the layer's non-trainable variables (moving statistics).
    """
    default = layer._call_training_default
    training = kwargs.get("training", False if default is None else default)

    def run(cargs, ckwargs):
        if layer._call_has_training:
            ckwargs.setdefault("training", training)
        if "mask" in ckwargs and not layer._call_has_mask:
            ckwargs.pop("mask")
        with B.no_grad(), layer._losses_kept():
            return layer.call(*cargs, **ckwargs)

    if training is not True or not layer._call_has_training:
        return _probe(run, args, kwargs)
    kept = [(v, B.convert_to_numpy(v)) for v in layer.non_trainable_variables]
    try:
        return _probe(run, args, kwargs)
    finally:
        for v, value in kept:
            v.assign(value)


def build_by_running(layer, base, args, kwargs):
    """As Keras: a layer without its own ``build`` (``base.build``) whose sublayers are unbuilt runs its ``call``
    on probe tensors to build them, also where its ``compute_output_shape`` gives the output shape without running
    it. Where that run fails, Keras warns and the first eager call builds them."""
    if type(layer).build is not base.build or all(sub.built for sub in layer._flatten_layers(include_self=False)):
        return
    try:
        spec_by_running(layer, args, kwargs)
    except Exception as e:  # noqa: BLE001 (Keras warns on any failure, and so does this)
        warnings.warn(f"Layer '{layer.name}' looks like it has unbuilt state, but it could not run its `call()` to "
                      f"build it: implement `build()` to create its variables. Exception encountered: {e}")


def mask_spec_by_running(layer, inputs, mask):
    """The symbolic output mask(s) of ``layer``: its ``compute_mask`` run on probe tensors."""
    def run(cargs, ckwargs):
        with B.no_grad():
            return layer.compute_mask(*cargs)

    return _probe(run, (inputs, mask), {})


def _probe(fn, args, kwargs):
    """``fn(args, kwargs)`` with the KerasTensors made concrete (zeros; masks and other bools all True), for
    two sizes of every unknown dim: the output KerasTensors, None where the sizes differ.

    The run is first worked out in the backend's ``probe_scope`` (shapes and dtypes only: a graph, or torch's
    ``meta`` device), then, where that fails (a call that reads values), run on real zeros; where every size fails
    eagerly, once more traced in a graph with the unknown dims left unknown (``_trace``), if the backend has one."""
    inputs = [t for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)]
    scope = B.probe_scope(sum(math.prod(_PROBE_SIZES[0][0] if d is None else d for d in t.shape) for t in inputs))
    if scope is not None:
        try:
            with scope:
                return _probe_at(fn, args, kwargs, _PROBE_SIZES[0])
        except Exception:  # noqa: BLE001 (run on real zeros instead, which raises what it raises)
            pass
    for attempt, sizes in enumerate(_PROBE_SIZES):
        try:
            return _probe_at(fn, args, kwargs, sizes)
        except Exception as e:  # noqa: BLE001 (the first failure is raised when every size fails)
            if attempt == 0:
                first = e
    if scope is not None and scope.unknown_dims:
        try:
            return _trace(fn, args, kwargs, scope)
        except Exception:  # noqa: BLE001 (the first eager failure says more than the graph's)
            pass
    raise first


def _run_probing(fn, convert, args, kwargs):
    """``fn(args, kwargs)`` with each KerasTensor made ``convert(t)``, while ``is_probing()``."""
    _PROBING.depth = getattr(_PROBING, "depth", 0) + 1
    try:
        return fn(tree.map_structure(convert, args), tree.map_structure(convert, kwargs))
    finally:
        _PROBING.depth -= 1


def _trace(fn, args, kwargs, scope):
    """``fn`` traced in the backend's graph ``scope`` on placeholders, unknown dims left unknown, as Keras on
    TensorFlow traces every symbolic call: a call that runs only in a graph (``tf.gradients``), or that needs the
    unknown dim to stay unknown (a reshape to a fixed total batch, a ``segment_sum`` with fixed segments)."""
    with scope:
        def placeholder(t):
            return scope.placeholder(t.shape, t.dtype) if isinstance(t, KerasTensor) else t

        out = _run_probing(fn, placeholder, args, kwargs)
        if out is None:
            return None
        return tree.map_structure(lambda t: None if t is None else KerasTensor(tuple(t.shape), B.dtype(t)), out)


def _static_shape(x):
    """The shape of a probe's output, None where a graph leaves a dim unknown."""
    return tuple(x.shape) if hasattr(x, "shape") else tuple(B.shape(x))


def _probe_at(fn, args, kwargs, sizes):
    """``_probe`` at the given pair of sizes for the unknown dims."""
    results = []
    for size in sizes:
        def concrete(t, size=size):
            if not isinstance(t, KerasTensor):
                return t
            shape = tuple(size if d is None else d for d in t.shape)
            if t.dtype == "bool":
                return B.ones(shape, dtype="bool")
            if t.dtype == "string":   # empty strings, held as real string data is: a host array or a string tensor
                empty = np.full(shape, "", dtype=object)
                return B.convert_to_tensor(empty) if B.STRING_TENSORS else empty
            mask = getattr(t, "_keras_mask", None)  # a masked input's probe carries its mask (merge layers read it)
            return set_mask(B.zeros(shape, dtype=t.dtype), concrete(mask) if isinstance(mask, KerasTensor) else None)

        out = _run_probing(fn, concrete, args, kwargs)
        if out is None:
            return None
        results.append(out)
        if not any(d is None for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor) for d in t.shape):
            results.append(out)
            break
    flat_a, flat_b = tree.flatten(results[0]), tree.flatten(results[1])
    specs = []
    for a, b in zip(flat_a, flat_b):
        if a is None:
            specs.append(None)
            continue
        sa, sb = _static_shape(a), _static_shape(b)
        dtype = "string" if isinstance(a, np.ndarray) and a.dtype.kind in "OSU" else B.dtype(a)  # host strings
        specs.append(KerasTensor(tuple(x if x == y else None for x, y in zip(sa, sb)), dtype))
    # Batch dims stay unknown when the inputs' batch dim is unknown.
    ins = [t for t in tree.flatten(args) if isinstance(t, KerasTensor)]
    if ins and ins[0].shape and ins[0].shape[0] is None:
        for s in specs:
            if s is not None and s.shape and s.shape[0] in sizes:
                s.shape = (None,) + s.shape[1:]
    return tree.pack_as(results[0], specs)
