"""Functional model configs in Keras's format, both ways.

Writes Keras 3's form (``inbound_nodes`` as ``{"args", "kwargs"}`` with
``__keras_tensor__`` entries); reads it and Keras 2's list form
(``[[layer_name, node_index, tensor_index, kwargs], ...]``). Node indices count
only the nodes that belong to the model. As in Keras, a nested model's first
call is node 1, its own graph counting as node 0, in ``input_layers`` and
``output_layers`` (Keras 3: Functional models only) and everywhere in Keras 2
(models that start with an ``InputLayer``); Keras 3's ``inbound_nodes`` count
calls from 0.
"""
from kerasport.layers.core import InputLayer
from kerasport.layers.layer import KerasTensor
from kerasport.layers.op_layer import OpLayer
from kerasport.models.keras_op_nodes import op_layer_entry
from kerasport.core.serialization import serialize_keras_object
from kerasport.core import nest


def _own_nodes(model):
    nodes = [node for t in model.inputs for node in t._keras_history[0]._inbound_nodes[:1]]
    return {id(n) for n in nodes + list(model._nodes)}


def _node_offset(layer):
    """1 where Keras 3 counts a model's own graph as node 0 (``input_layers``/``output_layers``), else 0."""
    from kerasport.models.functional import Functional
    return 1 if isinstance(layer, Functional) else 0


def _keras2_node_offset(entry):
    """1 where Keras 2 counts a model's own graph as node 0: models whose first layer is an ``InputLayer``."""
    layers = entry["config"].get("layers") if isinstance(entry.get("config"), dict) else None
    return 1 if layers and layers[0].get("class_name") == "InputLayer" else 0


def functional_config(model):
    own = _own_nodes(model)
    reindex = {}
    for layer in model._functional_layers:
        kept = 0
        for node in layer._inbound_nodes:
            if id(node) in own:
                reindex[id(node)] = kept
                kept += 1

    def tensor_ref(t, offset=True):
        layer, node_index, tensor_index = t._keras_history
        return [layer.name, reindex[id(layer._inbound_nodes[node_index])] + offset * _node_offset(layer),
                tensor_index]

    def ser_arg(x):
        if isinstance(x, KerasTensor):
            return {"class_name": "__keras_tensor__", "config": {
                "shape": list(x.shape), "dtype": x.dtype, "keras_history": tensor_ref(x, offset=False)}}
        return serialize_keras_object(x)

    layer_configs = []
    for layer in model._functional_layers:
        entry = _keras_op_entry(layer, own, ser_arg) if isinstance(layer, OpLayer) else None
        if entry is not None:
            layer_configs.append(entry)
            continue
        entry = serialize_keras_object(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": [nest.map_structure(ser_arg, a) for a in node.args],
             "kwargs": {k: nest.map_structure(ser_arg, v) for k, v in node.kwargs.items()}}
            for node in layer._inbound_nodes if id(node) in own and node.input_tensors]
        layer_configs.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layer_configs,
            "input_layers": nest.map_structure(tensor_ref, model._nested_inputs) if not isinstance(
                model._nested_inputs, KerasTensor) else [tensor_ref(model._nested_inputs)],
            "output_layers": nest.map_structure(tensor_ref, model._nested_outputs) if not isinstance(
                model._nested_outputs, KerasTensor) else [tensor_ref(model._nested_outputs)]}


def _keras_op_entry(layer, own, ser_arg):
    """An ``OpLayer`` called once in the model, as the op node Keras writes (None: keep our form)."""
    nodes = [node for node in layer._inbound_nodes if id(node) in own]
    form = layer.keras_form(nodes[0].args[0]) if len(nodes) == 1 and len(nodes[0].args) == 1 else None
    if form is None:
        return None
    module, class_name, config, args, kwargs = form
    return {"module": module, "class_name": class_name, "config": {"name": layer.name, **config},
            "registered_name": None, "name": layer.name,
            "inbound_nodes": [{"args": nest.map_structure(ser_arg, args),
                               "kwargs": {k: nest.map_structure(ser_arg, v) for k, v in kwargs.items()}}]}


def _is_ref(x):
    return isinstance(x, list) and len(x) == 3 and isinstance(x[0], str) and isinstance(x[1], int)


def functional_from_config(cls, config, custom_objects=None):
    from kerasport import layers as layers_mod
    config = {**config, "layers": [op_layer_entry(e) for e in config["layers"]]}
    created, outputs_of = {}, {}  # name -> layer ; (name, call index from 0) -> output structure
    keras2 = any(isinstance(node, list) for entry in config["layers"] for node in entry.get("inbound_nodes", []))
    offsets = {}  # name -> node offset of input_layers, output_layers and Keras 2's inbound nodes
    pending = []
    for entry in config["layers"]:
        layer = layers_mod.deserialize(entry, custom_objects=custom_objects)
        if isinstance(layer, InputLayer) or entry.get("class_name") == "InputLayer":
            outputs_of[(entry["name"], 0)] = layer.output_tensor
        created[entry["name"]] = layer
        offsets[entry["name"]] = _keras2_node_offset(entry) if keras2 else _node_offset(layer)
        if entry.get("name") and layer.name != entry["name"]:
            layer.name = entry["name"]
        for node_data in entry.get("inbound_nodes", []):
            pending.append((layer, entry["name"], node_data))

    def lookup(name, node_index, tensor_index, offset=True):
        out = outputs_of.get((name, node_index - offset * offsets.get(name, 0)))
        if out is None:
            return None
        flat = nest.flatten(out)
        return flat[tensor_index] if tensor_index < len(flat) else None

    def resolve(x):
        """Replace tensor references by KerasTensors; None if one is not available yet."""
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            return lookup(*x["config"]["keras_history"], offset=False)
        if isinstance(x, dict):
            vals = {k: resolve(v) for k, v in x.items()}
            return None if any(v is None and x[k] is not None for k, v in vals.items()) else vals
        if isinstance(x, (list, tuple)):
            vals = [resolve(v) for v in x]
            return None if any(v is None and o is not None for v, o in zip(vals, x)) else vals
        return x

    def call_args(node_data):
        if isinstance(node_data, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
            tensors = [lookup(d[0], d[1], d[2]) for d in node_data]
            if any(t is None for t in tensors):
                return None
            kwargs = node_data[0][3] if len(node_data[0]) > 3 else {}
            kwargs = {k: (lookup(*v) if _is_ref(v) else v) for k, v in (kwargs or {}).items()}
            return [tensors[0] if len(tensors) == 1 else tensors], kwargs
        args = resolve(node_data.get("args", []))
        kwargs = resolve(node_data.get("kwargs", {}))
        if args is None or kwargs is None:
            return None
        return args, kwargs

    node_counts = {}
    while pending:
        progressed = False
        remaining = []
        for layer, name, node_data in pending:
            ready = call_args(node_data)
            if ready is None:
                remaining.append((layer, name, node_data))
                continue
            args, kwargs = ready
            out = layer(*args, **kwargs)
            index = node_counts.get(name, 0)
            node_counts[name] = index + 1
            outputs_of[(name, index)] = out
            progressed = True
        if not progressed:
            missing = sorted({n for _, n, _ in remaining})
            raise ValueError(f"Invalid Functional model config: cannot connect layer(s) {missing}.")
        pending = remaining

    def refs(spec):
        if _is_ref(spec):
            return lookup(*spec)
        if isinstance(spec, dict):
            return {k: refs(v) for k, v in spec.items()}
        return [refs(s) for s in spec]

    inputs, outputs = refs(config["input_layers"]), refs(config["output_layers"])
    if isinstance(inputs, list) and len(inputs) == 1 and _is_ref(config["input_layers"][0]):
        inputs = inputs[0]
    if isinstance(outputs, list) and len(outputs) == 1 and _is_ref(config["output_layers"][0]):
        outputs = outputs[0]
    model = cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))
    # Keep the config's layer order, as Keras does: weight files and optimizer state follow it.
    rank = {name: i for i, name in enumerate(created)}
    model._functional_layers.sort(key=lambda layer: rank.get(layer.name, len(rank)))
    model._layers.sort(key=lambda layer: rank.get(layer.name, len(rank)))
    return model
