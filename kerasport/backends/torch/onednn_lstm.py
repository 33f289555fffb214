"""PyTorch backend: oneDNN's fused CPU LSTM layer as an opaque ``torch.compile``-able op (``lstm``).

``torch._VF.lstm`` on CPU runs ``aten::mkldnn_rnn_layer``, whose backward needs the forward's oneDNN
workspace. Compiled, it is lost: AOT autograd runs the compiled forward without grad mode, where the
kernel writes no workspace, and the op's meta function gives it zero bytes (pytorch/pytorch#158007). Here the
forward and the backward are two custom ops that Dynamo and Inductor carry as black boxes: the forward
turns grad mode on to write the workspace and returns it, with a size the fake kernel leaves unknown
(``new_dynamic_size``), and ``register_autograd`` hands it to ``aten::mkldnn_rnn_layer_backward``.
"""
import torch

_LSTM = 2  # oneDNN's rnn_kind for an LSTM (ideep::rnn_kind::LSTM), as ``torch._decomp`` passes it
_AVAILABLE = torch.backends.mkldnn.is_available()  # read here: Dynamo does not trace the function


def _hidden_size(h0):
    return h0.shape[-1]


@torch.library.custom_op("kerasport::lstm_forward", mutates_args=())
def _forward(x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor,
             h0: torch.Tensor, c0: torch.Tensor, has_biases: bool,
             train: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    with torch.set_grad_enabled(train):  # the kernel writes its workspace only in grad mode
        out, hy, cy, workspace = torch.ops.aten.mkldnn_rnn_layer(
            x, w_ih, w_hh, b_ih, b_hh, h0, c0, False, [], _LSTM, _hidden_size(h0), 1, has_biases, False, False,
            train)
    return out, hy, cy, workspace if train else x.new_empty(0, dtype=torch.uint8)


@_forward.register_fake
def _(x, w_ih, w_hh, b_ih, b_hh, h0, c0, has_biases, train):
    size = torch.library.get_ctx().new_dynamic_size() if train else 0
    return (x.new_empty(x.shape[:-1] + (_hidden_size(h0),)), h0.new_empty(h0.shape), c0.new_empty(c0.shape),
            x.new_empty(size, dtype=torch.uint8))


@torch.library.custom_op("kerasport::lstm_backward", mutates_args=())
def _backward(x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor,
              h0: torch.Tensor, c0: torch.Tensor, out: torch.Tensor, hy: torch.Tensor, cy: torch.Tensor,
              grad_out: torch.Tensor, grad_hy: torch.Tensor, grad_cy: torch.Tensor, workspace: torch.Tensor,
              has_biases: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
                                         torch.Tensor]:
    dx, dw_ih, dw_hh, db, _, dh0, dc0 = torch.ops.aten.mkldnn_rnn_layer_backward(
        x, w_ih, w_hh, b_ih, b_hh, h0, c0, out, hy, cy, grad_out, grad_hy, grad_cy, False, _LSTM,
        _hidden_size(h0), 1, has_biases, True, False, [], False, workspace)
    return dx, dw_ih, dw_hh, db, dh0, dc0


@_backward.register_fake
def _(x, w_ih, w_hh, b_ih, b_hh, h0, c0, out, hy, cy, grad_out, grad_hy, grad_cy, workspace, has_biases):
    return (torch.empty_like(x), torch.empty_like(w_ih), torch.empty_like(w_hh), torch.empty_like(b_ih),
            torch.empty_like(h0), torch.empty_like(c0))


def _setup_context(ctx, inputs, output):
    ctx.has_biases = inputs[7]
    ctx.save_for_backward(*inputs[:7], *output)
    ctx.mark_non_differentiable(output[3])


def _gradients(ctx, grad_out, grad_hy, grad_cy, _):
    x, w_ih, w_hh, b_ih, b_hh, h0, c0, out, hy, cy, workspace = ctx.saved_tensors
    dx, dw_ih, dw_hh, db, dh0, dc0 = _backward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, out, hy, cy, grad_out, grad_hy,
                                                 grad_cy, workspace, ctx.has_biases)
    return dx, dw_ih, dw_hh, db, db, dh0, dc0, None, None


_forward.register_autograd(_gradients, setup_context=_setup_context)


def supports(*tensors):
    """Whether ``lstm`` can run on ``tensors`` in the ``torch.compile`` trace now being made: float32 CPU
    tensors with oneDNN on, and no ``torch.export`` (an exported program keeps the decomposable cell loop)."""
    return (not torch.compiler.is_exporting() and _AVAILABLE and torch.backends.mkldnn.enabled
            and all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors))


def lstm(x, hx, params, has_biases):
    """``torch._VF.lstm(x, hx, params, has_biases, 1, 0.0, False, False, True)`` where ``supports``:
    one layer, batch-major ``x (B, T, I)``, ``hx = (h0, c0)`` each ``(1, B, units)``, ``params`` PyTorch's
    ``[w_ih, w_hh(, b_ih, b_hh)]``. Returns ``(out (B, T, units), h, c)``.
    """
    w_ih, w_hh = params[:2]
    b_ih, b_hh = params[2:] if has_biases else (w_ih.new_zeros(w_ih.shape[0]),) * 2
    train = torch.is_grad_enabled() and any(t.requires_grad for t in (x, *hx, *params))
    # the kernel's batch_first=True gives wrong numbers and corrupts the heap (torch 2.13): it runs time-major
    out, h, c, _ = _forward(x.transpose(0, 1).contiguous(), w_ih, w_hh, b_ih, b_hh, hx[0].contiguous(),
                            hx[1].contiguous(), has_biases, train)
    return out.transpose(0, 1), h, c
