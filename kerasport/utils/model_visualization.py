"""``plot_model`` and ``model_to_dot``: a model's graph of layers drawn with pydot and graphviz.

pydot comes with the ``kerasport[plot]`` extra; writing an image also needs graphviz's
``dot`` program (``apt-get install graphviz`` or ``brew install graphviz``).
"""
import os

_RANKDIRS = ("TB", "LR", "BT", "RL")


def _pydot():
    try:
        import pydot
    except ImportError:
        raise ImportError("plot_model needs pydot: `pip install pydot` (or `pip install kerasport[plot]`), "
                          "and graphviz's `dot` program (`apt-get install graphviz` / `brew install graphviz`)."
                          ) from None
    return pydot


def _is_model(layer):
    return hasattr(layer, "inputs") and hasattr(layer, "outputs") and hasattr(layer, "layers")


def _layer_calls(model):
    """The layers between ``model.inputs`` and ``model.outputs`` in topological order, and the tensor edges.

    Returns ``(layers, edges)`` where each edge is ``(tensor, layer, position)``: ``tensor``
    feeds ``layer`` as its ``position``-th symbolic input.
    """
    inputs = {id(t) for t in model.inputs}
    layers, edges, seen = [], [], set()

    def visit(t):
        layer, node_index, _ = t._keras_history
        if id(layer) in seen:
            return
        seen.add(id(layer))
        if id(t) not in inputs:
            for position, source in enumerate(layer._inbound_nodes[node_index].input_tensors):
                visit(source)
                edges.append((source, layer, position))
        layers.append(layer)

    for t in model.outputs:
        visit(t)
    return layers, edges


def _shape_text(tensors):
    shapes = [tuple(t.shape) for t in tensors]
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable):
    lines = [f"{layer.name} ({type(layer).__name__})" if show_layer_names else type(layer).__name__]
    node = layer._inbound_nodes[0] if layer._inbound_nodes else None
    if show_shapes and node is not None:
        if node.input_tensors:
            lines.append(f"Input shape: {_shape_text(node.input_tensors)}")
        lines.append(f"Output shape: {_shape_text(node.output_tensors)}")
    if show_dtype and node is not None:
        lines.append(f"Output dtype: {', '.join(str(t.dtype) for t in node.output_tensors)}")
    activation = getattr(layer, "activation", None)
    if show_layer_activations and callable(activation):
        lines.append(f"Activation: {getattr(activation, '__name__', type(activation).__name__)}")
    if show_trainable:
        lines.append(f"Trainable: {bool(layer.trainable)}")
    return "\n".join(lines)


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, **kwargs):
    """The model's graph as a ``pydot.Dot``: one box per layer, one arrow per connection.

    Args:
        model: a built Functional or Sequential model.
        show_shapes: add each layer's input and output shapes.
        show_dtype: add each layer's output dtype.
        show_layer_names: label boxes ``name (Class)`` rather than ``Class``.
        rankdir: graph direction, ``"TB"`` (top to bottom), ``"LR"``, ``"BT"`` or ``"RL"``.
        expand_nested: draw nested models' layers inside a cluster instead of one box.
        dpi: image resolution.
        subgraph: return a ``pydot.Cluster`` (used for nested models).
        show_layer_activations: add the activation of layers that have one.
        show_trainable: add whether each layer is trainable.

    Returns:
        A ``pydot.Dot`` (or ``pydot.Cluster`` when ``subgraph``).
    """
    if kwargs:
        raise ValueError(f"model_to_dot got unexpected arguments {sorted(kwargs)}.")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {_RANKDIRS}, received {rankdir!r}.")
    if not getattr(model, "built", False) or not getattr(model, "outputs", None):
        raise ValueError(f"Model {model.name!r} is not built, so it has no graph to plot: build it from "
                         "keras.Input or call `model.build(input_shape)` first.")
    pydot = _pydot()
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name, label=model.name)
    else:
        dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, concentrate=True, dpi=dpi)
        dot.set_node_defaults(shape="box", fontname="Helvetica")
    options = (show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
    layers, edges = _layer_calls(model)
    expanded = {}
    for layer in layers:
        if expand_nested and _is_model(layer):
            inner = model_to_dot(layer, show_shapes, show_dtype, show_layer_names, rankdir, True, dpi, True,
                                 show_layer_activations, show_trainable)
            dot.add_subgraph(inner)
            expanded[id(layer)] = layer
        else:
            dot.add_node(pydot.Node(str(id(layer)), label=_label(layer, *options)))

    def source_id(t):
        layer, _, index = t._keras_history
        return source_id(layer.outputs[index]) if id(layer) in expanded else str(id(layer))

    def target_id(layer, position):
        return str(id(layer.inputs[position]._keras_history[0] if id(layer) in expanded else layer))

    for tensor, layer, position in edges:
        source, target = source_id(tensor), target_id(layer, position)
        if not dot.get_edge(source, target):
            dot.add_edge(pydot.Edge(source, target))
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               **kwargs):
    """Draw the model's graph to an image file (Keras's ``plot_model``).

    The format follows ``to_file``'s extension (``.png``, ``.svg``, ``.pdf``, ...; ``.dot``
    writes the graph's DOT source and needs no graphviz). Needs pydot (``pip install
    kerasport[plot]``) and graphviz's ``dot`` program (``apt-get install graphviz``,
    ``brew install graphviz``). The file is written atomically.

    Args:
        model: a built Functional or Sequential model.
        to_file: the image file to write.
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
        show_layer_activations, show_trainable: as in ``model_to_dot``.

    Example::

        keras.utils.plot_model(model, "model.png", show_shapes=True, rankdir="LR")
    """
    from kerasport.saving.atomic import atomic_write
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable, **kwargs)
    extension = os.path.splitext(os.fspath(to_file))[1][1:].lower() or "png"
    with atomic_write(to_file) as tmp:
        if extension == "dot":
            with open(tmp, "w") as f:
                f.write(dot.to_string())
            return
        try:
            dot.write(tmp, format=extension)
        except FileNotFoundError:
            raise OSError("plot_model needs graphviz's `dot` program to draw images: install graphviz "
                          "(`apt-get install graphviz`, `brew install graphviz`), or write a `.dot` file.") from None
