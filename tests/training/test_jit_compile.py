"""``compile(jit_compile=True)``: torch compiles the whole step (forward, loss, backward, optimizer,
metrics) with ``torch.compile`` and no graph break; TensorFlow runs the XLA-compiled ``tf.function``.
Numbers equal eager's. The torch tests use the ``aot_eager`` backend: Dynamo's graph capture (what
graph breaks and recompiles are about) is the same as Inductor's, without its long C++ build."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B


def _fit(jit, optimizer="adam", epochs=2, dropout=0.2):
    kerasport.utils.set_random_seed(0)
    model = kerasport.Sequential([kerasport.Input((8,)), layers.Dense(16, activation="relu"), layers.Dropout(dropout),
                                  layers.Dense(3, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    rng = np.random.RandomState(0)
    x, y = rng.rand(70, 8).astype("float32"), rng.randint(0, 3, 70)  # 32, 32, then a partial batch of 6
    history = model.fit(x, y, batch_size=32, epochs=epochs, shuffle=False, verbose=0).history
    return model, history, x, y


@pytest.fixture
def dynamo():
    if kerasport.backend.backend() != "torch":
        pytest.skip("torch.compile is torch's")
    import torch
    from torch._dynamo.utils import counters
    from kerasport.backends import torch_step
    backend = torch_step.COMPILE_BACKEND
    torch_step.COMPILE_BACKEND = "aot_eager"
    torch._dynamo.reset()
    counters.clear()
    yield counters
    torch_step.COMPILE_BACKEND = backend
    torch._dynamo.reset()


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_torch_whole_train_step_one_graph_no_break(dynamo, optimizer):
    model, history, x, y = _fit(True, optimizer)
    assert dict(dynamo["graph_break"]) == {}
    # one graph for the full batches, one recompile (dynamic batch size) for the partial last batch
    assert dynamo["stats"]["unique_graphs"] == 2
    eager, eager_history, _, _ = _fit(False, optimizer)
    for key in history:
        np.testing.assert_allclose(history[key], eager_history[key], rtol=1e-6)
    for a, b in zip(model.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert int(B.convert_to_numpy(model.optimizer.iterations)) == 6


def test_torch_compiled_evaluate_and_predict(dynamo):
    model, _, x, y = _fit(True, epochs=1)
    eager, _, _, _ = _fit(False, epochs=1)
    dynamo.clear()
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), eager.evaluate(x, y, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), eager.predict(x, verbose=0), rtol=1e-6, atol=1e-7)
    assert dict(dynamo["graph_break"]) == {}


def test_tensorflow_xla_numbers_equal_eager():
    if kerasport.backend.backend() != "tensorflow":
        pytest.skip("XLA is TensorFlow's")
    # no Dropout: XLA's random ops draw other numbers than TensorFlow's kernels
    model, history, x, y = _fit(True, dropout=0.0)
    eager, eager_history, _, _ = _fit(False, dropout=0.0)
    assert model._jit_compile and not eager._jit_compile
    for key in history:
        np.testing.assert_allclose(history[key], eager_history[key], rtol=1e-5)
    for a, b in zip(model.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_auto_stays_eager_on_cpu():
    model = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    assert model._jit_compile is False
    model.compile("sgd", "mse", jit_compile=True)
    assert model._jit_compile is True
