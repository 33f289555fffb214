"""Functional models: a graph of layer calls from ``Input``s to outputs."""
import numpy as np

from kerasport.backends import B
from kerasport.layers.core import InputLayer
from kerasport.layers.input_spec import rank_adjustment
from kerasport.core.masks import set_mask
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.models.model import Model
from kerasport.trainers.trainer import Trainer
from kerasport.core import nest as tree


def _fit_rank(x, ref_shape):
    """``x`` with Keras's rank adjustment to its ``Input`` (``rank_adjustment``)."""
    if not hasattr(x, "shape") or isinstance(x, KerasTensor):
        return x
    change = rank_adjustment(tuple(x.shape), ref_shape)
    if change == 0:
        return x
    if isinstance(x, np.ndarray):
        return np.expand_dims(x, -1) if change > 0 else np.squeeze(x, -1)
    return B.expand_dims(x, -1) if change > 0 else B.squeeze(x, -1)


def _as_input_dtype(x, ref):
    """``x`` in the dtype of its ``Input`` ``ref``, as Keras's Functional converts its inputs
    (``_convert_inputs_to_tensors``): uint8 images fed to a float32 ``Input`` reach the first layer as float32."""
    dtype = ref.dtype
    if dtype is None or dtype == "string" or isinstance(x, KerasTensor):
        return x
    if isinstance(x, np.ndarray):
        return x if x.dtype.kind in "OSU" or x.dtype == dtype else x.astype(dtype)
    if B.is_tensor(x) and B.standardize_dtype(x.dtype) not in (dtype, "string"):
        return B.cast(x, dtype)
    return x


def sharper_inputs(given, inputs):
    """Whether the symbolic ``given`` inputs know a dim (other than the batch) that the model's ``inputs`` leave
    unknown: Keras then runs the graph again to find the outputs' shapes for them."""
    pairs = zip(tree.flatten(given), inputs)
    return any(isinstance(g, KerasTensor) and len(g.shape) == len(t.shape)
               and any(w is None and d is not None for d, w in zip(tuple(g.shape)[1:], tuple(t.shape)[1:]))
               for g, t in pairs)


def _node_of(t):
    layer, node_index, _ = t._keras_history
    return layer._inbound_nodes[node_index]


def topological_nodes(inputs, outputs):
    """Nodes between ``inputs`` and ``outputs`` in execution order; errors name a missing Input."""
    input_ids = {id(t) for t in inputs}
    order, state = [], {}

    def visit(node):
        if state.get(id(node)) == 2:
            return
        state[id(node)] = 1
        for t in node.input_tensors:
            if id(t) in input_ids:
                continue
            if t._keras_history is None:
                raise ValueError(f"Tensor {t} is not connected to the model's inputs.")
            parent = _node_of(t)
            if isinstance(parent.layer, InputLayer):
                raise ValueError(f"Graph disconnected: the output depends on Input {parent.layer.name!r}, "
                                 f"which is not among the model's inputs.")
            visit(parent)
        state[id(node)] = 2
        order.append(node)

    for t in outputs:
        if id(t) in input_ids:
            continue
        if t._keras_history is None:
            raise ValueError(f"Output {t} was not produced by a layer.")
        node = _node_of(t)
        if isinstance(node.layer, InputLayer):
            raise ValueError(f"Graph disconnected: output {t.name} is an Input that is not a model input.")
        visit(node)
    return order


def _keras_depths(inputs, outputs):
    """Keras's graph map: each layer's first depth-first visit from the outputs, and the
    depth of every node and layer (the longest path to an output), as ``keras.src.ops.function.map_graph``."""
    input_ids = {id(t) for t in inputs}
    post_order, first_visit, done = [], {}, set()

    def visit(t):
        if t._keras_history is None:  # a bare ``KerasTensor`` input of a ``keras.Function``
            return
        layer, node_index, _ = t._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in done:
            return
        if id(t) in input_ids and not isinstance(layer, InputLayer):
            done.add(id(node))
            return
        first_visit.setdefault(id(layer), (len(first_visit), layer))
        for parent in node.input_tensors:
            visit(parent)
        done.add(id(node))
        post_order.append(node)

    for t in outputs:
        visit(t)
    in_graph = {id(n) for n in post_order}
    node_depth, layer_depth = {}, {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    return first_visit, node_depth, layer_depth


def keras_order(inputs, outputs, nodes):
    """Keras's orders of a graph, from one walk of it: ``nodes`` (a topological order) as Keras runs them, and
    the layers as ``model.layers`` lists them.

    Both go deepest first. Nodes tie in the order Keras met them; it matters where a layer changes the call for
    those after it (a preprocessing layer such as ``Resizing``, whose ``training`` defaults to True, sets it for
    the layers that run later in the call, as in Keras). Layers tie by their first depth-first visit from the
    outputs; this is the order of ``model.weights`` in Keras, which weight files saved by Keras rely on.
    """
    first_visit, node_depth, layer_depth = _keras_depths(inputs, outputs)
    rank = {key: i for i, key in enumerate(node_depth)}
    nodes = sorted(nodes, key=lambda node: (-node_depth.get(id(node), 0), rank.get(id(node), 0)))
    for t in inputs:  # inputs that no output depends on
        layer = t._keras_history[0] if t._keras_history is not None else None
        if id(layer) not in layer_depth and isinstance(layer, InputLayer):
            layer_depth[id(layer)] = 0
            first_visit[id(layer)] = (-1, layer)
    ranked = sorted(first_visit.values(), key=lambda item: (-layer_depth[id(item[1])], item[0]))
    return nodes, [layer for _, layer in ranked]


def _execution_plan(nodes, inputs, outputs):
    """One ``(layer, args, kwargs, output ids, last uses, scratch)`` per node, in execution order.

    ``last uses``: the ids of the tensors this node is the last to read (neither inputs nor outputs of the
    model), which the call frees so that inference keeps only the live activations. ``scratch``: the node's
    one input is read by no one else, was made fresh by a layer of this model (``returns_fresh_outputs``), and
    its layer may compute in that memory (``may_overwrite_input`` in ``layers/layer.py``).
    """
    kept = {id(t) for t in inputs} | {id(t) for t in outputs}
    reads, last = {}, {}
    for i, node in enumerate(nodes):
        for t in tree.flatten((node.args, node.kwargs)):
            if isinstance(t, KerasTensor):
                reads[id(t)] = reads.get(id(t), 0) + 1
                last[id(t)] = i
    plan = []
    for i, node in enumerate(nodes):
        args = tree.flatten((node.args, node.kwargs))
        tensors = [t for t in args if isinstance(t, KerasTensor)]
        scratch = (getattr(type(node.layer).call, "may_overwrite_input", False) and len(tensors) == 1
                   and id(tensors[0]) not in kept and reads[id(tensors[0])] == 1
                   and getattr(type(tensors[0]._keras_history[0]).call, "returns_fresh_outputs", False))
        last_uses = sorted({tid for tid in map(id, tensors) if last[tid] == i and tid not in kept})
        plan.append((node.layer, node.args, node.kwargs, [id(t) for t in node.output_tensors], last_uses, scratch))
    return plan


class Functional(Model):
    """A model defined by ``Model(inputs, outputs)`` on symbolic tensors.

    Supports several inputs and outputs (lists or dicts), shared layers, and
    models used as layers.
    """

    _allow_non_tensor_positional_args = True  # as Keras: any nest of inputs, checked against the model's own

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Layer.__init__(self, name=name or None, trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs = tree.flatten(inputs)
        self.outputs = tree.flatten(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model inputs and outputs must be KerasTensors (from kerasport.Input and layer "
                                f"calls), received {t!r}.")
        self._nodes, layers = keras_order(self.inputs, self.outputs, topological_nodes(self.inputs, self.outputs))
        self._functional_layers = layers
        for layer in layers:
            if not isinstance(layer, InputLayer) and layer not in self._layers:
                self._layers.append(layer)
        self.built = True
        self._build_shapes = tree.map_structure(lambda t: t.shape, inputs)
        self.output_names = [t._keras_history[0].name for t in self.outputs]
        if isinstance(outputs, dict):
            self.output_names = sorted(outputs.keys())  # the order of tree.flatten(outputs), as in Keras
        self.input_names = [t._keras_history[0].name for t in self.inputs]
        self._plan = _execution_plan(self._nodes, self.inputs, self.outputs)

    @property
    def layers(self):
        """The model's layers in Keras's order (ops on symbolic tensors are not listed, as in Keras)."""
        from kerasport.layers.op_layer import OpLayer
        return [layer for layer in self._functional_layers if not isinstance(layer, OpLayer)]

    def _standardize_inputs(self, inputs):
        """The inputs in the order of ``self.inputs``: a dict is matched by key, whatever its order; a missing
        or unknown key is an error naming it (Keras warns of an unknown one and ignores it)."""
        if isinstance(self._nested_inputs, dict):
            if not isinstance(inputs, dict):
                return dict(zip(self._nested_inputs, tree.flatten(inputs)))
            return tree.values_by_key(inputs, sorted(self._nested_inputs), f"Model {self.name!r}")
        if isinstance(inputs, dict):
            return tree.values_by_key(inputs, [t._keras_history[0].name for t in self.inputs], f"Model {self.name!r}")
        flat = tree.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} input(s), received {len(flat)}.")
        return flat

    def call(self, inputs, training=None, mask=None):
        flat = tree.flatten(self._standardize_inputs(inputs))  # a dict's values may nest (Keras 3 allows it)
        flat = [_as_input_dtype(v, t) for t, v in zip(self.inputs, flat)]
        values = {id(t): _fit_rank(v, t.shape) for t, v in zip(self.inputs, flat)}
        if mask is not None:
            for v, m in zip(flat, tree.flatten(mask)):
                if m is not None:
                    set_mask(v, m)

        def fetch(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        for layer, args, kwargs, out_ids, last_uses, scratch in self._plan:
            cargs = tree.map_structure(fetch, args) if len(args) != 1 or not isinstance(args[0], KerasTensor) \
                else (values[id(args[0])],)
            ckwargs = tree.map_structure(fetch, kwargs) if kwargs else {}
            if training is not None and layer._call_has_training:
                ckwargs["training"] = training
            for tid in last_uses:
                del values[tid]
            if scratch and B.can_overwrite():  # not in a compiled step: setting the flag would break its graph
                object.__setattr__(layer, "_input_is_scratch", True)
                try:
                    out = layer(*cargs, **ckwargs)
                finally:
                    del layer._input_is_scratch
            else:
                out = layer(*cargs, **ckwargs)
            if len(out_ids) == 1:
                values[out_ids[0]] = out if not isinstance(out, (list, tuple)) or len(out) != 1 else out[0]
            else:
                for oid, o in zip(out_ids, tree.flatten(out)):
                    values[oid] = o
        return tree.pack_as(self._nested_outputs, [values[id(t)] for t in self.outputs])

    @property
    def input(self):
        """The symbolic inputs the model was built from, nested as given (Keras's ``model.input``)."""
        return self._nested_inputs

    @property
    def output(self):
        """The symbolic outputs, nested as given: ``Model(base.input, head(base.output))`` works as in Keras."""
        return self._nested_outputs

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def add_loss(self, loss):
        """Not supported, as in Keras 3: a Functional model takes its losses from its layers' ``add_loss`` calls.

        ``model.add_loss(symbolic_tensor)`` (Keras 2's way to add, e.g., a VAE's KL term) raises
        ``NotImplementedError``; add the loss from the ``call`` of a layer in the graph instead.
        """
        raise NotImplementedError(
            f"Model {self.name!r} is a Functional model, whose add_loss() is not supported (as in Keras 3); "
            f"received {loss!r}. Call add_loss() in the call() of a layer of the model instead.")

    def compute_output_spec(self, *args, **kwargs):
        """The outputs' ``KerasTensor``s: those the model was built with, unless the inputs know dims that the
        model's ``Input``s leave unknown; then, as Keras, the graph is run for them on symbolic tensors
        (``Resizing(shape[1] * 2, ...)`` after a backbone built on ``Input((None, None, 3))`` needs the height)."""
        if args and sharper_inputs(self._standardize_inputs(args[0]), self.inputs):
            return self._spec_through_graph(self._standardize_inputs(args[0]))
        return tree.map_structure(lambda t: KerasTensor(t.shape, t.dtype), self._nested_outputs)

    def _spec_through_graph(self, inputs):
        """The outputs' ``KerasTensor``s for the given ones: each node's ``compute_output_spec`` in turn, as Keras's
        ``_run_through_graph`` (no node is recorded, nothing runs on data)."""
        values = {id(t): v for t, v in zip(self.inputs, tree.flatten(inputs))}

        def fetch(x):
            return values.get(id(x), x) if isinstance(x, KerasTensor) else x

        for layer, args, kwargs, out_ids, _, _ in self._plan:
            out = layer.compute_output_spec(*tree.map_structure(fetch, args), **tree.map_structure(fetch, kwargs))
            if len(out_ids) == 1:
                values[out_ids[0]] = out if not isinstance(out, (list, tuple)) or len(out) != 1 else out[0]
            else:
                values.update(zip(out_ids, tree.flatten(out)))
        return tree.pack_as(self._nested_outputs, [values[id(t)] for t in self.outputs])

    def compute_output_shape(self, input_shape):
        return tree.map_structure(lambda t: t.shape, self._nested_outputs)

    def build(self, input_shape):
        self.built = True

    def get_config(self):
        from kerasport.models.graph_config import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasport.models.graph_config import functional_from_config
        return functional_from_config(cls, config, custom_objects)
