"""Layers are ``torch.nn.Module``s on the torch backend, as in Keras 3 (``TorchLayer``).

The oracle is Keras 3 on its torch backend, in a child process (``tests/keras_io/keras_on_torch_program.py``):
the names, order and ``requires_grad`` of ``named_parameters()``, the ``state_dict()`` keys, the submodules, and a
native ``torch.optim.Adam`` over ``model.parameters()`` training a model step by step. The other checks are
kerasport's own: ``train()``/``eval()``, ``to()``, ``load_state_dict``, ``zero_grad``, ``forward``, copies, and the
attribute storage that keeps a step's lookups plain (``__dict__``). On TensorFlow a layer is no module.
"""
import copy
import pickle

import numpy as np
import pytest

import kerasport
from kerasport import layers
from tests.keras_io.keras_on_torch_program import check_torch_program

torch_only = pytest.mark.skipif(kerasport.backend.backend() != "torch", reason="torch.nn.Module is torch's")


def _block_class(keras):
    class Block(keras.layers.Layer):
        """A layer with a sublayer attribute and a weight of its own."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = keras.layers.Dense(3)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(3,), initializer="ones", name="scale")
            self.inner.build(input_shape)

        def call(self, x):
            return self.inner(x) * self.scale

    return Block


def _listing(module):
    return {"parameters": [[name, list(p.shape), p.requires_grad] for name, p in module.named_parameters()],
            "state_dict": list(module.state_dict()), "modules": [name for name, _ in module.named_modules()]}


def parameter_names(keras, sync):
    sequential = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.BatchNormalization(),
                                   keras.layers.Dense(2)])
    sequential.layers[0].trainable = False
    inputs = keras.Input((3,))
    functional = keras.Model(inputs, keras.layers.Dense(2, name="out")(keras.layers.Dense(4, name="hidden")(inputs)))
    block = _block_class(keras)(name="block")
    block.build((None, 2))
    return {"sequential": _listing(sequential), "functional": _listing(functional), "block": _listing(block)}


def torch_adam_over_parameters(keras, sync):
    import torch

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    sync(model)
    rng = np.random.RandomState(0)
    x = torch.from_numpy(rng.rand(32, 8).astype("float32"))
    y = torch.from_numpy(rng.rand(32, 1).astype("float32"))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = torch.nn.MSELoss()
    losses = []
    for _ in range(5):
        loss = loss_fn(model(x), y)  # BatchNormalization in inference mode, as the call has no training=True
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, "weights": model.get_weights()}


def keras_layer_in_torch_sequential(keras, sync):
    import torch

    torch.manual_seed(0)
    dense = keras.layers.Dense(3, activation="tanh")
    dense.build((None, 4))
    sync(dense)
    net = torch.nn.Sequential(dense, torch.nn.ReLU(), torch.nn.Linear(3, 1))
    names = [name for name, _ in net.named_parameters()]
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    x = torch.from_numpy(np.random.RandomState(1).rand(6, 4).astype("float32"))
    loss = net(x).square().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return {"names": names, "loss": loss.item(), "kernel": dense.get_weights()[0], "after": net(x).detach()}


def train_and_eval_modes_leave_calls_alone(keras, sync):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dropout(0.5),
                              keras.layers.Dense(2)])
    sync(model)
    x = np.random.RandomState(2).rand(3, 4).astype("float32")
    model.eval()
    evaluated = [model.training, keras.ops.convert_to_numpy(model(x))]
    model.train()
    return {"eval": evaluated, "train": [model.training, keras.ops.convert_to_numpy(model(x))]}


PROGRAMS = [parameter_names, torch_adam_over_parameters, keras_layer_in_torch_sequential,
            train_and_eval_modes_leave_calls_alone]


@torch_only
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_as_keras_on_torch(program):
    check_torch_program(program, PROGRAMS)


@torch_only
def test_a_torch_optimizer_trains_the_model():
    initial = []
    got = torch_adam_over_parameters(kerasport, lambda model: initial.extend(model.get_weights()))
    assert got["losses"][-1] < got["losses"][0]
    changed = [not np.array_equal(a, b) for a, b in zip(initial, got["weights"])]
    assert changed == [True, True, True, True, False, False, True, True]  # the moving statistics have no gradient


@torch_only
def test_layers_models_and_their_sublayers_are_modules():
    import torch

    block = _block_class(kerasport)()
    model = kerasport.Sequential([kerasport.Input((2,)), block])
    assert all(isinstance(m, torch.nn.Module) for m in (block, block.inner, model))
    assert block._modules["inner"] is block.__dict__["inner"]  # a step reads the attribute from __dict__
    assert list(block.children())[0] is block.inner
    assert [p is v for p, v in zip(block.inner.parameters(), (block.inner.bias, block.inner.kernel))] == [True] * 2
    np.testing.assert_array_equal(block.forward(np.ones((1, 2), "float32")).detach(),
                                  block(np.ones((1, 2), "float32")).detach())
    block.inner = None
    assert "inner" not in block._modules
    block.inner = layers.Dense(1)
    del block.inner
    assert "inner" not in block._modules and "inner" not in block.__dict__


@torch_only
def test_state_dict_to_and_zero_grad():
    import torch

    def make():
        return kerasport.Sequential([kerasport.Input((3,)), layers.Dense(4), layers.BatchNormalization(),
                                     layers.Dense(2)])

    model = make()
    kerasport.backend.clear_session()  # the keys are the variables' paths: the twin gets the same layer names
    other = make()
    x = np.random.RandomState(3).rand(5, 3).astype("float32")
    other.load_state_dict(model.state_dict())
    np.testing.assert_allclose(other.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Missing key"):
        other.load_state_dict({k: v for k, v in model.state_dict().items() if "kernel" not in k})
    kernel = model.layers[0].kernel
    assert model.to("cpu") is model and model.layers[0].kernel is kernel  # the optimizers' references stay valid
    model.to(torch.float64)
    assert kernel.dtype == torch.float64 and model.layers[0].kernel is kernel
    model.to(torch.float32)
    model(x).sum().backward()
    assert kernel.grad is not None
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@torch_only
def test_copies_keep_the_module_structure():
    model = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(4), layers.Dense(2)])
    names = [name.split(".")[-1].split("/")[-2:] for name, _ in model.named_parameters()]
    copies = [copy.deepcopy(model), pickle.loads(pickle.dumps(model))]
    for twin in copies:
        for a, b in zip(twin.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(a, b)
    for twin in copies + [kerasport.models.clone_model(model)]:  # a clone has new weights, as in Keras
        assert not any(a is b for a, b in zip(twin.parameters(), model.parameters()))
        # As in Keras, a copy (a model loaded from its .keras bytes) has its variables' paths without the model's
        # name: "_functional._torch_params.dense/bias".
        assert [name.split(".")[-1].split("/")[-2:] for name, _ in twin.named_parameters()] == names


@torch_only
def test_an_unbuilt_layer_has_empty_torch_params_as_keras():
    dense = layers.Dense(3)
    assert hasattr(dense, "torch_params") and len(dense.torch_params) == 0 and list(dense.parameters()) == []
    dense.build((2, 4))
    assert sorted(key.split("/")[-1] for key in dense.torch_params) == ["bias", "kernel"]


@torch_only
def test_keras_methods_win_over_the_module_ones():
    import torch

    model = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")  # Model.compile, not torch.nn.Module.compile
    assert model.compiled and model.optimizer is not None
    assert type(model).__call__ is not torch.nn.Module.__call__  # no torch hooks in a step
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow", reason="the TensorFlow side")
def test_no_module_on_tensorflow():
    layer = layers.Dense(2)
    assert not hasattr(layer, "named_parameters") and not hasattr(layer, "state_dict")
