"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

The table is drawn as Keras draws it (box characters, one row per layer, long cells
wrapped at spaces), followed by the parameter totals with their sizes in bytes:
``Total params: 1,234 (4.82 KB)``.
"""
import math
import re
import shutil

from kerasport.backends import B

_TOP, _HEAD, _HEAD_RULE, _ROW, _ROW_RULE, _BOTTOM = "┏━┳┓", "┃ ┃┃", "┡━╇┩", "│ ││", "├─┼┤", "└─┴┘"


def _format_shape(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        shapes = [_format_shape(s) for s in shape]
        return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _shape_str(layer):
    try:
        shape = layer.output_shape
    except (AttributeError, ValueError):
        return "?"
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_format_shape(v)}" for k, v in shape.items()) + "}"
    return _format_shape(shape)


def _unique(weights):
    return list({id(v): v for v in weights}.values())


def _count(weights):
    return int(sum(math.prod(tuple(v.shape)) for v in _unique(weights)))


def _memory_size(weights):
    """Bytes held by ``weights`` (each counted once), by their dtypes."""
    return sum(math.prod(tuple(v.shape)) * _dtype_bytes(v) for v in _unique(weights))


def _dtype_bytes(variable):
    name = B.standardize_dtype(variable.dtype)
    if name == "bool":
        return 1 / 8
    digits = "".join(c for c in name if c.isdigit())
    return int(digits) / 8 if digits else 4


def readable_memory_size(size):
    """``size`` bytes as Keras shows them: ``"4.82 KB"``."""
    for unit in ["B", "KB", "MB", "GB", "TB"]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _column_widths(line_length, positions):
    """The text width of each column, as Keras's ``rich`` table lays them out in ``line_length``."""
    widths, current = [], 0
    for pos in positions:
        width = int(pos * line_length) if pos <= 1 else int(pos)
        width -= current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    padded = [w + 2 for w in widths]
    excess = sum(padded) - (line_length - len(widths) - 1)
    if excess > 0:  # rich reduces the columns evenly (its ``ratio_reduce``)
        remaining_ratio, reduced = len(padded), []
        for w in padded:
            cut = min(w, round(excess / remaining_ratio))
            reduced.append(w - cut)
            excess -= cut
            remaining_ratio -= 1
        padded = reduced
    return [w - 2 for w in padded]


def _wrap(text, width):
    """``text`` split into lines of at most ``width`` characters at spaces; a longer word ends in "…". Leading
    spaces (a nested layer's indent) stay with the first word."""
    lines = []
    for paragraph in str(text).split("\n"):
        line = ""
        words = paragraph.lstrip(" ").split(" ")
        words[0] = paragraph[:len(paragraph) - len(paragraph.lstrip(" "))] + words[0]
        for word in words:
            if len(word) > width:
                word = word[:width - 1] + "…"
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def _rule(chars, widths):
    left, fill, mid, right = chars
    return left + mid.join(fill * (w + 2) for w in widths) + right


def _row(chars, widths, cells, alignment):
    edge, _, mid, _ = chars
    wrapped = [_wrap(cell, w) for cell, w in zip(cells, widths)]
    height = max(len(lines) for lines in wrapped)
    out = []
    for i in range(height):
        parts = []
        for lines, w, align in zip(wrapped, widths, alignment):
            text = lines[i] if i < len(lines) else ""
            parts.append(" " + (text.rjust(w) if align == "right" else text.center(w) if align == "center"
                                else text.ljust(w)) + " ")
        out.append(edge + mid.join(parts) + edge)
    return out


def _sequential_like(model, layers):
    """Keras leaves out the "Connected to" column when each layer feeds the next one only."""
    from kerasport.models.functional import Functional
    if not isinstance(model, Functional):
        return True
    for layer in layers:
        nodes = [n for n in layer._inbound_nodes if n in model._nodes]
        if len(nodes) > 1 or any(len(n.input_tensors) > 1 for n in nodes):
            return False
    consumers = {}
    for node in model._nodes:
        for t in node.input_tensors:
            consumers[id(t)] = consumers.get(id(t), 0) + 1
    return all(count == 1 for count in consumers.values()) and len(model.inputs) == 1 and len(model.outputs) == 1


def _connections(model, layer):
    parents = []
    for node in layer._inbound_nodes:
        if node not in model._nodes:
            continue
        for t in node.input_tensors:
            src, node_index, tensor_index = t._keras_history
            parents.append(f"{src.name}[{node_index}][{tensor_index}]")
    return ", ".join(parents) if parents else "-"


def _layer_bounds(layers, layer_range):
    """Keras's ``layer_range``: the first layer whose name matches its first pattern to the last layer whose name
    matches its second (both ``re.match``), as ``[start, stop)``; all layers without one."""
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2 or not all(isinstance(p, str) for p in layer_range):
        raise ValueError(f"layer_range must be a list or tuple of 2 layer-name patterns (strings). Received: "
                         f"layer_range={layer_range}")
    first = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    last = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not first or not last:
        raise ValueError(f"layer_range={layer_range}: no layer name matches {layer_range[0 if not first else 1]!r}. "
                         f"Layer names: {[layer.name for layer in layers]}")
    if min(first) > max(last):
        raise ValueError(f"layer_range={layer_range}: the first layer comes after the last one.")
    return min(first), max(last) + 1


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print ``model``'s summary as Keras 3 does (one string to ``print_fn``, or to stdout): with
    ``expand_nested``, each nested model's layers below it (``   └ name``); with ``layer_range``, only the
    layers from the first whose name matches ``layer_range[0]`` to the last that matches ``layer_range[1]``."""
    from kerasport.models.functional import Functional
    functional = isinstance(model, Functional)
    layers = list(model._functional_layers) if functional else model.layers
    sequential_like = _sequential_like(model, layers)
    if sequential_like:
        default_length, positions = 88, positions or [0.45, 0.80, 1.0]
        header, alignment = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default_length, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignment = ["left", "left", "right", "left"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        alignment.append("center")
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(line_length, positions)

    lines = [f'Model: "{model.name}"', _rule(_TOP, widths)]
    lines += _row(_HEAD, widths, header, alignment)
    lines.append(_rule(_HEAD_RULE, widths))
    rows = []

    def add(layer, level):
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        prefix = "   " * level + "└ " if level else ""
        cells = [f"{prefix}{layer.name} ({getattr(layer, 'keras_class_name', type(layer).__name__)})",
                 _shape_str(layer), params]
        if not sequential_like:
            cells.append(_connections(model, layer))
        if show_trainable:
            cells.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(cells)
        if expand_nested and getattr(layer, "layers", None):
            for inner in layer.layers:
                add(inner, level + 1)

    start, stop = _layer_bounds(layers, layer_range)
    for layer in layers[start:stop]:
        add(layer, 0)
    for i, cells in enumerate(rows):
        if i:
            lines.append(_rule(_ROW_RULE, widths))
        lines += _row(_ROW, widths, cells, alignment)
    lines.append(_rule(_BOTTOM, widths))

    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    optimizer = model.optimizer if getattr(model, "compiled", False) and model.optimizer is not None \
        and model.optimizer.built else None
    slots = optimizer.variables if optimizer else []
    total = _count(trainable) + _count(non_trainable) + _count(slots)  # Keras 3 counts the optimizer's too
    total_size = _memory_size(trainable) + _memory_size(non_trainable) + _memory_size(slots)
    lines.append(f" Total params: {total:,} ({readable_memory_size(total_size)})")
    lines.append(f" Trainable params: {_count(trainable):,} ({readable_memory_size(_memory_size(trainable))})")
    lines.append(f" Non-trainable params: {_count(non_trainable):,} "
                 f"({readable_memory_size(_memory_size(non_trainable))})")
    if optimizer:
        lines.append(f" Optimizer params: {_count(slots):,} ({readable_memory_size(_memory_size(slots))})")
    columns = shutil.get_terminal_size().columns  # Keras's console crops a wider table to the terminal
    text = "\n".join(line[:columns] for line in lines) + "\n"
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)
