"""What an exported model takes and returns: named, flat inputs and outputs, and the checks done before export.

Both backends' writers use this, so every format names inputs and outputs alike.
"""
import contextlib
import re

from kerasport import tree

# Layers whose work runs on the host (Python/NumPy lookups and hashing), outside any traced graph.
_HOST_LAYERS = ("StringLookup", "IntegerLookup", "TextVectorization", "Hashing", "HashedCrossing")


class ServingSpec:
    """The flat, named inputs and outputs of ``model`` as exported.

    Attributes:
        names: one name per input (the dict keys of a dict-input model, else the input layers' names),
            in the order of ``model.inputs``.
        shapes: each input's shape with ``None`` for the batch and other free dimensions.
        dtypes: each input's dtype name.
        output_names: ``output_0``, ``output_1``, ... or the keys of a dict output.
    """

    def __init__(self, model):
        inputs = getattr(model, "inputs", None)
        if not getattr(model, "built", False) or not inputs:
            raise ValueError(f"Model {model.name!r} has no known inputs, so it cannot be exported: build it "
                             "from keras.Input (Functional or Sequential) or call it on data first.")
        nested = getattr(model, "_nested_inputs", None)
        self._dict_inputs = isinstance(nested, dict)
        if self._dict_inputs:
            names = sorted(nested)
        else:
            names = [t.name or f"input_{i}" for i, t in enumerate(inputs)]
        self.names = [_identifier(n) for n in names]
        if len(set(self.names)) != len(self.names):
            self.names = [f"{n}_{i}" for i, n in enumerate(self.names)]
        self._keys = names
        self.shapes = [tuple(t.shape) for t in inputs]
        self.dtypes = [str(t.dtype) for t in inputs]
        for name, shape, dtype in zip(self.names, self.shapes, self.dtypes):
            if "string" in dtype:
                raise ValueError(f"Input {name!r} of model {model.name!r} holds strings; kerasport exports "
                                 "numeric inputs only: preprocess strings before the model.")
        outputs = getattr(model, "_nested_outputs", None)
        if isinstance(outputs, dict):
            self.output_names = [_identifier(k) for k in sorted(outputs)]
        else:
            self.output_names = [f"output_{i}" for i in range(len(model.outputs))]

    def pack(self, flat):
        """The model's input structure from the flat inputs: a dict, a list or one tensor."""
        flat = list(flat)
        if self._dict_inputs:
            return dict(zip(self._keys, flat))
        return flat[0] if len(flat) == 1 else flat

    def flat_outputs(self, outputs):
        """The model's outputs as a flat list, in ``output_names`` order."""
        return tree.flatten(outputs)


def _rnn_layers(model):
    return [layer for layer in model._flatten_layers(include_self=False)
            if any(cls.__name__ == "RNN" for cls in type(layer).__mro__)]


def check_exportable(model, format):
    """Raise ``ValueError`` naming the first layer that ``format`` cannot express (before anything is written)."""
    free = [f"{t.name} {tuple(t.shape)}" for t in model.inputs if None in tuple(t.shape)[1:]]
    rnns = _rnn_layers(model)
    if format in ("torch", "onnx", "litert") and free and rnns:
        how = "torch.export unrolls" if format != "litert" else "LiteRT's builtin ops run unrolled"
        raise ValueError(
            f"Layer {rnns[0].name!r} ({type(rnns[0]).__name__}) cannot be exported to the {format!r} format with a "
            f"free time dimension (input(s) {', '.join(free)}): {how} the RNN over its time steps, so their number "
            "must be fixed. Give the model keras.Input((timesteps, features)); the batch dimension stays dynamic. "
            "The 'tf_saved_model' format keeps the time dimension dynamic.")
    check_no_host_layers(model, format)


def check_no_host_layers(layer, format):
    """Raise ``ValueError`` naming the first layer in ``layer`` (itself included) that kerasport runs on the host."""
    for layer in layer._flatten_layers(include_self=True):
        kinds = {cls.__name__ for cls in type(layer).__mro__}
        host = kinds.intersection(_HOST_LAYERS)
        if host:
            raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) cannot be exported to the {format!r} "
                             f"format: kerasport runs its {host.pop()} work on the host (Python), outside the "
                             "graph an exported file holds. Apply it to the data before the model and export "
                             "the rest.")


def _identifier(name):
    """``name`` as a valid identifier (TF signature keys and ONNX input names)."""
    name = re.sub(r"\W", "_", str(name))
    return name if name and not name[0].isdigit() else f"input_{name}"


@contextlib.contextmanager
def unrolled_rnns(model):
    """Unroll every RNN layer over its (fixed) time steps while tracing for LiteRT.

    LiteRT's builtin ops hold a ``tf.while_loop`` over time only with static tensor-list
    shapes, which a dynamic batch rules out; an unrolled loop needs neither.
    """
    rnns = [layer for layer in _rnn_layers(model) if not layer.unroll]
    for layer in rnns:
        layer.unroll = True
    try:
        yield
    finally:
        for layer in rnns:
            layer.unroll = False
