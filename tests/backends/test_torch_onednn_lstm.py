"""torch's compiled CPU LSTM (``kerasport/backends/torch/onednn_lstm.py``): ``B.lstm`` in a ``torch.compile``
graph runs oneDNN's fused kernel as two custom ops, with ``torch._VF.lstm``'s eager outputs and gradients."""
import numpy as np
import pytest

from kerasport.backends import B

if B.NAME != "torch":
    pytest.skip("torch.compile is torch's", allow_module_level=True)

import torch  # noqa: E402
from functorch.compile import make_boxed_func  # noqa: E402
from torch._dynamo.backends.common import aot_autograd  # noqa: E402


def recording_backend():
    """An ``aot_eager`` backend that also returns the set of ops in the forward and backward graphs it runs."""
    ops = set()

    def record(graph, example_inputs):
        ops.update(node.target for node in graph.graph.nodes if node.op == "call_function")
        return make_boxed_func(graph.forward)

    return aot_autograd(fw_compiler=record, bw_compiler=record), ops


FUSED_OPS = {torch.ops.kerasport.lstm_forward.default, torch.ops.kerasport.lstm_backward.default}


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_compiled_outputs_and_gradients_equal_eager(go_backwards, use_bias, return_sequences):
    rng = np.random.RandomState(0)
    units = 5
    tensors = [rng.randn(*shape).astype("float32") for shape in
               [(3, 6, 4), (3, units), (3, units), (4, 4 * units), (units, 4 * units), (4 * units,)]]
    grads_in = [rng.randn(3, 6, units).astype("float32"), rng.randn(3, units).astype("float32"),
                rng.randn(3, units).astype("float32"), rng.randn(3, units).astype("float32")]

    def run(fn):
        leaves = [torch.tensor(t, requires_grad=True) for t in tensors[:6 if use_bias else 5]]
        last, sequences, (h, c) = fn(*leaves)
        outputs = [last, h, c] + ([sequences] if return_sequences else [])
        weights = [torch.tensor(g) for g in grads_in[1:] + grads_in[:1]]
        loss = sum((o * w).sum() for o, w in zip(outputs, weights))
        return [o.detach() for o in outputs], torch.autograd.grad(loss, leaves)

    def lstm(x, h, c, kernel, recurrent_kernel, bias=None):
        last, sequences, states = B.lstm(x, h, c, kernel, recurrent_kernel, bias, go_backwards=go_backwards,
                                         return_sequences=return_sequences)
        return last, sequences, states

    backend, ops = recording_backend()
    torch._dynamo.reset()
    compiled_outputs, compiled_grads = run(torch.compile(lstm, backend=backend, fullgraph=True))
    assert FUSED_OPS <= ops  # the compiled forward and backward ran the custom ops, not a cell loop
    eager_outputs, eager_grads = run(lstm)
    for a, b in zip(compiled_outputs + list(compiled_grads), eager_outputs + list(eager_grads)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_compiled_inference_runs_the_forward_op_alone():
    backend, ops = recording_backend()
    torch._dynamo.reset()
    x, h = torch.randn(2, 3, 4), torch.zeros(2, 5)
    kernel, recurrent_kernel = torch.randn(4, 20), torch.randn(5, 20)
    with torch.no_grad():
        compiled = torch.compile(lambda *a: B.lstm(*a)[1], backend=backend, fullgraph=True)(x, h, h, kernel,
                                                                                         recurrent_kernel)
        eager = B.lstm(x, h, h, kernel, recurrent_kernel)[1]
    assert ops & FUSED_OPS == {torch.ops.kerasport.lstm_forward.default}
    np.testing.assert_allclose(compiled.numpy(), eager.numpy(), rtol=1e-6, atol=1e-7)


def test_forward_op_writes_its_workspace_without_grad_mode():
    # AOT autograd runs a compiled forward without grad mode: the workspace must come out all the same
    x, h = torch.randn(6, 3, 4), torch.zeros(1, 3, 5)
    w_ih, w_hh, b = torch.randn(20, 4), torch.randn(20, 5), torch.randn(20)
    with torch.no_grad():
        assert torch.ops.kerasport.lstm_forward(x, w_ih, w_hh, b, b, h, h, True, True)[3].numel() > 0
        assert torch.ops.kerasport.lstm_forward(x, w_ih, w_hh, b, b, h, h, True, False)[3].numel() == 0


def fit_eager_and_compiled(build, x, y):
    """Fit and predict with ``build()``'s model eagerly and with ``jit_compile=True`` (a recording
    ``aot_eager``), check that losses, predictions and weights agree, and return the compiled graphs' ops,
    Dynamo's graph breaks and its graph count."""
    from torch._dynamo.utils import counters

    import kerasport
    from kerasport.backends.torch import step

    backend, ops = recording_backend()
    results = []
    for jit in (False, True):
        kerasport.utils.set_random_seed(0)
        model = build()
        model.compile("adam", "mse", jit_compile=jit)
        compile_backend, step.COMPILE_BACKEND = step.COMPILE_BACKEND, backend
        torch._dynamo.reset()
        counters.clear()
        try:
            history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history  # 8, 8, then 4
            predictions = model.predict(x, batch_size=8, verbose=0)
        finally:
            step.COMPILE_BACKEND = compile_backend
        results.append((history["loss"], predictions, model.get_weights()))
    (eager_loss, eager_predictions, eager_weights), (loss, predictions, weights) = results
    np.testing.assert_allclose(loss, eager_loss, rtol=1e-5)
    np.testing.assert_allclose(predictions, eager_predictions, rtol=1e-5, atol=1e-6)
    for a, b in zip(weights, eager_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    return ops, dict(counters["graph_break"]), counters["stats"]["unique_graphs"]


@pytest.mark.parametrize("options", [{}, {"go_backwards": True, "use_bias": False, "return_sequences": True}],
                         ids=["default", "backwards_no_bias_sequences"])
def test_compiled_fit_runs_the_fused_ops_in_one_graph(options):
    import kerasport
    from kerasport import layers

    def build():
        lstm = layers.LSTM(4, **options)
        return kerasport.Sequential([kerasport.Input((5, 3)), lstm]
                                    + ([layers.Flatten()] if lstm.return_sequences else []) + [layers.Dense(2)])

    rng = np.random.RandomState(0)
    ops, graph_breaks, graphs = fit_eager_and_compiled(build, rng.rand(20, 5, 3).astype("float32"),
                                                       rng.rand(20, 2).astype("float32"))
    assert graph_breaks == {}
    # the train and the predict step, each for the full batches and once more, with a dynamic batch size, for
    # the partial one: no recompile per step
    assert graphs == 4
    assert FUSED_OPS <= ops


def test_compiled_masked_fit_keeps_the_cell_loop():
    import kerasport
    from kerasport import layers

    rng = np.random.RandomState(0)
    x = rng.rand(20, 5, 3).astype("float32")
    x[::3, 3:] = 0.0  # right-padded rows
    ops, _, _ = fit_eager_and_compiled(
        lambda: kerasport.Sequential([kerasport.Input((5, 3)), layers.Masking(), layers.LSTM(4), layers.Dense(2)]),
        x, rng.rand(20, 2).astype("float32"))
    assert not ops & FUSED_OPS and ops
