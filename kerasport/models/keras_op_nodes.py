"""Keras 3's op nodes in a Functional graph config (``x * 2``, ``ops.mean(x)``) read as ``OpLayer`` entries.

Keras records an op call as a node whose class is the op's class (``keras.src.ops.numpy.Sum``);
``op_layer_entry`` turns one into the ``OpLayer`` entry that replays ``kerasport.ops.<op>``.
"""
import inspect
import re

import numpy as np

from kerasport import layers, ops
from kerasport.backends import B
from kerasport.core.serialization import get_custom_objects
from kerasport.layers.keras_op_classes import KERAS_OPS
from kerasport.layers.op_layer import OPERATORS


# Keras op classes whose snake_case name is not the op's function name.
_OP_ALIASES = {"AllClose": "allclose", "IsIn": "isin", "SearchSorted": "searchsorted", "GetItem": "getitem",
               "BatchNorm": "batch_normalization", "RMSNorm": "rms_normalization", "LayerNorm": "layer_normalization",
               "CDist": "cdist"}


def _legacy_op_modules():
    """``{class name: module}`` of Keras's op classes that no layer or registered object shares a name with.

    Keras's legacy ``.h5`` config records an op node (``x[:, 0]``: ``GetItem``) without its module;
    names such as ``Add`` stay layers there, as they do for Keras.
    """
    return {name: f"keras.src.ops.{module}" for module, name, _ in KERAS_OPS.values()
            if not hasattr(layers, name) and name not in get_custom_objects()}


def op_layer_entry(entry):
    """Keras 3's record of a ``keras.ops`` call in a Functional graph as an ``OpLayer`` entry
    (other entries are returned as they are).

    Keras records the op's class (``Sum``), its constructor arguments (``axis``) in ``config``
    and the call's arguments (tensors, constants) in the node; the ``OpLayer`` replays
    ``kerasport.ops.<op>(*call_args, **constructor_args)``.
    """
    if not entry.get("module") and entry.get("class_name") not in (None, "InputLayer"):
        module = _legacy_op_modules().get(entry["class_name"])
        entry = {**entry, "module": module} if module else entry
    if not str(entry.get("module", "")).startswith(("keras.src.ops.", "keras.ops")):
        return entry
    class_name = entry["class_name"]
    op = _OP_ALIASES.get(class_name) or re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_",
                                               class_name).lower()
    if entry.get("module", "").endswith(".image"):
        op = f"image.{op}"
    fn = OPERATORS.get(op) or getattr(ops, op, None) or getattr(B, op, None)
    if fn is None:
        raise ValueError(f"Functional graph node {entry.get('name')!r} calls the Keras op {class_name} "
                         f"(keras.ops.{op}), which kerasport does not have.")
    if len(entry.get("inbound_nodes", [])) != 1:
        raise ValueError(f"Keras op node {entry.get('name')!r} must be called exactly once, "
                         f"found {len(entry.get('inbound_nodes', []))} calls.")
    node = entry["inbound_nodes"][0]
    refs = []

    def mark(v):
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            refs.append(v)
            return "__tensor__"
        if isinstance(v, dict) and v.get("class_name") == "__slice__":
            return {"__slice__": [v["config"].get(k) for k in ("start", "stop", "step")]}
        if isinstance(v, dict) and v.get("class_name") == "__ellipsis__":
            return {"__ellipsis__": True}
        if isinstance(v, dict) and v.get("class_name") in ("__numpy__", "__tensor__"):  # a constant array
            return np.array(v["config"]["value"], dtype=v["config"].get("dtype"))
        if isinstance(v, (list, tuple)):  # tuples: an in-memory ``get_config()``, not read from JSON
            return [mark(item) for item in v]
        if isinstance(v, dict):
            return {k: mark(item) for k, item in v.items()}
        return v

    call_args, call_kwargs = mark(list(node.get("args", []))), mark(dict(node.get("kwargs", {})))
    init = mark({k: v for k, v in entry["config"].items() if k != "name"})
    if op == "getitem":
        arguments = [call_args[0], {"__tuple__": call_args[1]} if isinstance(call_args[1], list) else call_args[1]]
    else:  # the function's own argument order: constructor arguments may come first (einsum's subscripts)
        try:
            params = inspect.signature(getattr(fn, "__wrapped__", fn)).parameters.values()
        except ValueError:  # a framework builtin (torch.multiply): tensors first, options by keyword
            params = ()
        arguments = []
        for p in params:
            if p.kind == p.VAR_POSITIONAL or not call_args or \
                    p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                break
            arguments.append(init.pop(p.name) if p.name in init else call_args.pop(0))
        arguments += call_args
    name = entry["config"].get("name") or entry.get("name")
    return {"module": "keras.layers", "class_name": "OpLayer", "name": entry.get("name", name),
            "config": {"name": name, "op": op, "arguments": arguments, "keyword_arguments": {**init, **call_kwargs}},
            "inbound_nodes": [{"args": [refs], "kwargs": {}}]}
