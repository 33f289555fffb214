"""``model.summary()``: Keras's table of layers, output shapes and parameter counts."""
import math


def _shape_str(layer):
    try:
        shape = layer.output_shape
    except (AttributeError, ValueError):
        return "?"
    if isinstance(shape, list) and len(shape) == 1:
        shape = shape[0]
    return str(shape)


def _count(weights):
    return int(sum(math.prod(tuple(v.shape)) for v in weights))


def _unique(weights):
    seen, out = set(), []
    for v in weights:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def print_summary(model, line_length=None, print_fn=None, show_trainable=False):
    print_fn = print_fn or print
    width = line_length or 80
    cols = [int(width * 0.42), int(width * 0.35), width - int(width * 0.42) - int(width * 0.35)]
    from kerasport.models.functional import Functional
    functional = isinstance(model, Functional)
    if functional:
        cols = [int(width * 0.32), int(width * 0.25), int(width * 0.13), width - int(width * 0.70)]

    def row(fields):
        return "".join(str(f)[:c - 1].ljust(c) for f, c in zip(fields, cols))

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * width)
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional else [])
    print_fn(row(header))
    print_fn("=" * width)
    layers = model.layers
    for i, layer in enumerate(layers):
        fields = [f"{layer.name} ({type(layer).__name__})", _shape_str(layer), f"{layer.count_params():,}"]
        if functional:
            parents = []
            for node in layer._inbound_nodes:
                for t in node.input_tensors:
                    src, node_index, tensor_index = t._keras_history
                    parents.append(f"{src.name}[{node_index}][{tensor_index}]")
            fields.append(", ".join(parents) if parents else "-")
        print_fn(row(fields))
        if i < len(layers) - 1:
            print_fn("")
    print_fn("=" * width)
    trainable = _count(_unique(model.trainable_weights))
    non_trainable = _count(_unique(model.weights)) - trainable
    optimizer = model.optimizer if getattr(model, "compiled", False) and model.optimizer.built else None
    slots = _count(optimizer.variables) if optimizer else 0
    print_fn(f" Total params: {trainable + non_trainable + slots:,}")  # Keras 3 counts the optimizer's too
    print_fn(f" Trainable params: {trainable:,}")
    print_fn(f" Non-trainable params: {non_trainable:,}")
    if optimizer:
        print_fn(f" Optimizer params: {slots:,}")
    print_fn("_" * width)
