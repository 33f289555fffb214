"""Questions about symbolic tensors: ``is_keras_tensor`` and ``get_source_inputs``."""
from kerasport.core.keras_tensor import is_keras_tensor  # noqa: F401


def get_source_inputs(tensor):
    """The ``Input`` tensors that ``tensor`` was computed from, in first-seen order.

    A tensor without layer history is returned as is; an ``Input`` tensor gives ``[tensor]``.
    """
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return tensor
    layer, node_index, _ = history
    if not layer or not layer._inbound_nodes:
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if not node.input_tensors:
        return list(node.output_tensors)
    sources = []
    for t in node.input_tensors:
        for s in get_source_inputs(t):
            if all(s is not seen for seen in sources):
                sources.append(s)
    return sources
