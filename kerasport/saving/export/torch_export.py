"""The torch-side writers: ``.pt2`` programs with ``torch.export`` and ONNX with the ``dynamo=True`` exporter.

Imported only by a torch-backend process. Free input dimensions become ``torch.export.Dim``s.
"""
import contextlib

import numpy as np
import torch

from kerasport.backends.torch_backend import Variable
from kerasport.saving.atomic import atomic_write

_EXAMPLE_SIZE = 3  # torch.export specializes example sizes 0 and 1


class _Serving(torch.nn.Module):
    """The model in inference mode behind flat positional inputs, returning a flat tuple."""

    def __init__(self, model, spec):
        super().__init__()
        self.model = model
        self.spec = spec

    def forward(self, *inputs):
        return tuple(self.spec.flat_outputs(self.model(self.spec.pack(inputs), training=False)))


@contextlib.contextmanager
def _plain_parameters(model):
    """Show the weights to the tracer as plain ``torch.nn.Parameter``s.

    ``torch.export`` traces ``Parameter`` itself but not subclasses such as kerasport's
    ``Variable``; the class is restored on exit.
    """
    variables = [v for v in {id(v): v for v in model.weights}.values() if type(v) is Variable]
    for v in variables:
        v.__class__ = torch.nn.Parameter
    try:
        yield
    finally:
        for v in variables:
            v.__class__ = Variable


def _examples_and_dims(spec):
    batch = torch.export.Dim("batch", min=1)
    examples, dims = [], []
    for name, shape, dtype in zip(spec.names, spec.shapes, spec.dtypes):
        sizes = [_EXAMPLE_SIZE if s is None else s for s in shape]
        if np.issubdtype(np.dtype(dtype), np.floating):
            examples.append(torch.rand(sizes, dtype=getattr(torch, dtype)))
        else:
            examples.append(torch.zeros(sizes, dtype=getattr(torch, dtype)))
        dims.append({axis: batch if axis == 0 else torch.export.Dim(f"{name}_dim{axis}", min=1)
                     for axis, s in enumerate(shape) if s is None})
    return tuple(examples), tuple(dims)


def _trace(model, spec, format):
    examples, dims = _examples_and_dims(spec)
    module = _Serving(model, spec).eval()
    try:
        with _plain_parameters(model), torch.no_grad():
            return torch.export.export(module, examples, dynamic_shapes=(dims,), strict=False), module, examples, dims
    except torch._dynamo.exc.UserError as error:
        if "specialized it to be a constant" not in str(error):
            raise
        rnns = [l.name for l in model._flatten_layers(include_self=False)
                if any(c.__name__ == "RNN" for c in type(l).__mro__)]
        free = [f"{n} {s}" for n, s in zip(spec.names, spec.shapes) if None in s[1:]]
        raise ValueError(
            f"The {format!r} format cannot keep the free dimensions of input(s) {', '.join(free)} dynamic: "
            f"torch.export fixes them while tracing" + (f" (RNN layer(s) {rnns} unroll over the time steps)"
                                                         if rnns else "") +
            ". Give the model fixed sizes there, e.g. keras.Input((timesteps, features)); only the batch "
            "dimension stays dynamic. The 'tf_saved_model' format keeps them dynamic.") from None


def export(model, spec, filepath, format):
    """Write ``model`` as a ``torch.export`` program (``format="torch"``) or an ONNX model (``"onnx"``)."""
    program, module, examples, dims = _trace(model, spec, format)
    if format == "torch":
        with atomic_write(filepath) as tmp, open(tmp, "wb") as f:
            torch.export.save(program, f)
        return
    with _plain_parameters(model), torch.no_grad():
        onnx_program = torch.onnx.export(module, examples, dynamo=True, dynamic_shapes=(dims,), verbose=False,
                                         input_names=spec.names, output_names=spec.output_names)
    with atomic_write(filepath) as tmp:
        onnx_program.save(tmp)
