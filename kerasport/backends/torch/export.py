"""PyTorch backend, serving writers: ``.pt2`` programs with ``torch.export`` and ONNX with the
``dynamo=True`` exporter.

Called by ``kerasport.saving.export`` in a torch-backend process. ``serve(*inputs)`` is the
model in inference mode on flat inputs; free input dimensions become ``torch.export.Dim``s.
"""
import contextlib

import numpy as np
import torch

from kerasport.backends.torch.core import Variable

_EXAMPLE_SIZE = 3  # torch.export specializes example sizes 0 and 1


class _Serving(torch.nn.Module):
    def __init__(self, serve):
        super().__init__()
        self.serve = serve

    def forward(self, *inputs):
        return tuple(self.serve(*inputs))


@contextlib.contextmanager
def _plain_parameters(variables):
    """Show the weights to the tracer as plain ``torch.nn.Parameter``s.

    ``torch.export`` traces ``Parameter`` itself but not its subclasses, such as kerasport's
    ``Variable``; the class is restored on exit.
    """
    variables = [v for v in {id(v): v for v in variables}.values() if type(v) is Variable]
    for v in variables:
        v.__class__ = torch.nn.Parameter
    try:
        yield
    finally:
        for v in variables:
            v.__class__ = Variable


def _examples_and_dims(spec, device):
    batch = torch.export.Dim("batch", min=1)
    examples, dims = [], []
    for name, shape, dtype in zip(spec.names, spec.shapes, spec.dtypes):
        sizes = [_EXAMPLE_SIZE if s is None else s for s in shape]
        make = torch.rand if np.issubdtype(np.dtype(dtype), np.floating) else torch.zeros
        examples.append(make(sizes, dtype=getattr(torch, dtype), device=device))
        dims.append({axis: batch if axis == 0 else torch.export.Dim(f"{name}_dim{axis}", min=1)
                     for axis, s in enumerate(shape) if s is None})
    return tuple(examples), (tuple(dims),)


def export(serve, variables, spec, path, format):
    """Write ``serve`` as a ``torch.export`` program (``format="torch"``) or an ONNX model (``"onnx"``) at ``path``.

    Args:
        serve: ``serve(*inputs)`` -> flat list of outputs.
        variables: the weights ``serve`` reads.
        spec: the inputs' ``names``, ``shapes``, ``dtypes`` and the ``output_names``.
        path: the file to write.
        format: ``"torch"`` or ``"onnx"``.
    """
    examples, dims = _examples_and_dims(spec, variables[0].device if variables else None)
    module = _Serving(serve).eval()
    with _plain_parameters(variables), torch.no_grad():
        try:
            program = torch.export.export(module, examples, dynamic_shapes=dims, strict=False)
        except torch._dynamo.exc.UserError as error:
            if "specialized it to be a constant" not in str(error):
                raise
            free = [f"{n} {s}" for n, s in zip(spec.names, spec.shapes) if None in s[1:]]
            raise ValueError(f"The {format!r} format cannot keep the free dimensions of input(s) "
                             f"{', '.join(free)} dynamic: torch.export fixed them while tracing. Give the model "
                             "fixed sizes there; only the batch dimension stays dynamic.") from None
        if format == "torch":
            with open(path, "wb") as f:
                torch.export.save(program, f)
            return
        onnx_program = torch.onnx.export(module, examples, dynamo=True, dynamic_shapes=dims, verbose=False,
                                         input_names=spec.names, output_names=spec.output_names)
    onnx_program.save(path)
