"""What an exported model takes and returns: named, flat inputs and outputs, and the checks done before export.

Both backends' writers use this, so every format names inputs and outputs alike.
"""
import contextlib
import re

from kerasport import tree
from kerasport.backends import B

# Layers whose work runs on the host (Python/NumPy lookups and hashing), outside any traced graph.
_HOST_LAYERS = ("StringLookup", "IntegerLookup", "TextVectorization", "Hashing", "HashedCrossing")


class ServingSpec:
    """The flat, named inputs and outputs of ``model`` as exported.

    The inputs are the model's (``model.inputs``), or, for a subclassed model called on data, those of
    its first call (batch dimension free), or ``input_signature``'s when given (as Keras names them:
    ``args_0`` for one tensor, ``args_0``, ``args_0_1``, ... for a list, the keys of a dict).

    Attributes:
        names: one name per input (the dict keys of a dict-input model, else the input layers' names),
            in the order of ``model.inputs``.
        shapes: each input's shape with ``None`` for the batch and other free dimensions.
        dtypes: each input's dtype name.
        output_names: ``output_0``, ``output_1``, ... or the keys of a dict output.
    """

    def __init__(self, model, input_signature=None):
        inputs = getattr(model, "inputs", None)
        if input_signature is not None:
            self._kind, names, self.shapes, self.dtypes = signature_inputs(input_signature)
        elif getattr(model, "built", False) and inputs:
            nested = getattr(model, "_nested_inputs", None)
            self._kind = "dict" if isinstance(nested, dict) else ("tensor" if len(inputs) == 1 else "list")
            names = sorted(nested) if self._kind == "dict" else [t.name or f"input_{i}" for i, t in enumerate(inputs)]
            self.shapes = [tuple(t.shape) for t in inputs]
            self.dtypes = [str(t.dtype) for t in inputs]
        elif getattr(model, "built", False) and getattr(model, "_build_shapes", None) is not None:
            self._kind, names, shapes, self.dtypes = signature_inputs([model._serving_inputs()])
            self.shapes = [(None,) + tuple(shape)[1:] for shape in shapes]  # the first call's, batch free
        else:
            raise ValueError(f"Model {model.name!r} has no known inputs, so it cannot be exported: build it "
                             "from keras.Input (Functional or Sequential) or call it on data first.")
        self.names = [_identifier(n) for n in names]
        if len(set(self.names)) != len(self.names):
            self.names = [f"{n}_{i}" for i, n in enumerate(self.names)]
        self._keys = names
        for name, shape, dtype in zip(self.names, self.shapes, self.dtypes):
            if "string" in dtype:
                raise ValueError(f"Input {name!r} of model {model.name!r} holds strings; kerasport exports "
                                 "numeric inputs only: preprocess strings before the model.")
        outputs = getattr(model, "_nested_outputs", None) if inputs else None
        if outputs is None:  # a subclassed model: its outputs' structure from a call on zeros
            outputs = model(self.pack([B.zeros([1 if d is None else d for d in shape], dtype)
                                       for shape, dtype in zip(self.shapes, self.dtypes)]), training=False)
        if isinstance(outputs, dict):
            self.output_names = [_identifier(k) for k in sorted(outputs)]
        else:
            self.output_names = [f"output_{i}" for i in range(len(tree.flatten(outputs)))]

    def signature(self):
        """The inputs as ``input_signature`` takes them in another process (JSON)."""
        return {"kind": self._kind, "names": self._keys, "shapes": self.shapes, "dtypes": self.dtypes}

    def pack(self, flat):
        """The model's input structure from the flat inputs: a dict, a list or one tensor."""
        flat = list(flat)
        if self._kind == "dict":
            return dict(zip(self._keys, flat))
        return flat[0] if self._kind == "tensor" else flat

    def flat_outputs(self, outputs):
        """The model's outputs as a flat list, in ``output_names`` order."""
        return tree.flatten(outputs)


def _spec_shape_dtype(spec, where):
    """``(shape, dtype name)`` of an ``InputSpec``, ``KerasTensor`` or ``tf.TensorSpec``."""
    shape, dtype = getattr(spec, "shape", None), getattr(spec, "dtype", None)
    if shape is None:
        raise ValueError(f"export(input_signature=...) expects InputSpec, KerasTensor or tf.TensorSpec with a "
                         f"shape, received {spec!r} at {where}.")
    shape = tuple(None if d is None else int(d) for d in shape)
    return shape, str(getattr(dtype, "name", dtype) or "float32")


def signature_inputs(input_signature):
    """``(kind, names, shapes, dtypes)`` of an ``input_signature``: a list with one entry for the model's input
    (a spec, a list of specs or a dict of them), a bare one of those, or ``ServingSpec.signature()``'s dict."""
    if isinstance(input_signature, dict) and set(input_signature) == {"kind", "names", "shapes", "dtypes"}:
        shapes = [tuple(s) for s in input_signature["shapes"]]
        return input_signature["kind"], input_signature["names"], shapes, input_signature["dtypes"]
    structure = input_signature
    if isinstance(structure, (list, tuple, dict)) and not structure:
        raise ValueError(f"export(input_signature=...) expects the model's input: a list with one InputSpec (or "
                         f"a list or dict of them), received {input_signature!r}.")
    if isinstance(structure, (list, tuple)) and len(structure) == 1:
        structure = structure[0]  # one entry per positional argument of call(): the model's one input
    if isinstance(structure, dict):
        names = sorted(structure)
        specs = [_spec_shape_dtype(structure[k], repr(k)) for k in names]
        kind = "dict"
    elif isinstance(structure, (list, tuple)):
        names = ["args_0"] + [f"args_0_{i}" for i in range(1, len(structure))]
        specs = [_spec_shape_dtype(spec, f"index {i}") for i, spec in enumerate(structure)]
        kind = "list"
    else:
        names, specs, kind = ["args_0"], [_spec_shape_dtype(structure, "index 0")], "tensor"
    return kind, names, [shape for shape, _ in specs], [dtype for _, dtype in specs]


def _rnn_layers(model):
    return [layer for layer in model._flatten_layers(include_self=False)
            if any(cls.__name__ == "RNN" for cls in type(layer).__mro__)]


def check_exportable(model, format, spec):
    """Raise ``ValueError`` naming the first layer that ``format`` cannot express (before anything is written)."""
    free = [f"{name} {shape}" for name, shape in zip(spec.names, spec.shapes) if None in shape[1:]]
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
