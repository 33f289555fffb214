"""``layers.TorchModuleWrapper``: a ``torch.nn.Module`` trained, saved and loaded as a layer (torch backend only)."""
import numpy as np
import pytest

import kerasport as keras
from kerasport.backends import B

torch_only = pytest.mark.skipif(B.NAME != "torch", reason="torch modules exist on the torch backend only")


def test_refuses_anything_but_a_torch_module_naming_the_backend():
    with pytest.raises(ValueError, match=f"torch backend only .*this one is '{B.NAME}'.*module=3"):
        keras.layers.TorchModuleWrapper(3)


def _classifier():
    """Keras's docstring example, smaller, with a BatchNorm (buffers) and a module wrapped on assignment."""
    import torch.nn as nn
    import torch.nn.functional as F

    class Classifier(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.conv1 = keras.layers.TorchModuleWrapper(nn.Conv2d(in_channels=1, out_channels=4, kernel_size=(3, 3)))
            self.bn = nn.BatchNorm2d(4)
            self.pool = nn.MaxPool2d(kernel_size=(2, 2))
            self.flatten = nn.Flatten()
            self.fc = keras.layers.TorchModuleWrapper(nn.Linear(4 * 5 * 5, 10))

        def call(self, inputs):
            x = self.pool(F.relu(self.bn(self.conv1(inputs))))
            return F.softmax(self.fc(self.flatten(x)), dim=1)

    return Classifier


def _data():
    rng = np.random.RandomState(0)
    return rng.rand(32, 1, 12, 12).astype("float32"), rng.randint(0, 10, 32)


@torch_only
def test_fit_trains_the_module_as_the_same_loop_in_plain_torch():
    import copy
    import torch
    torch.manual_seed(0)
    model = _classifier()()
    model.build((2, 1, 12, 12))
    assert isinstance(model.bn, keras.layers.TorchModuleWrapper) and isinstance(model.pool, keras.layers.Layer)
    # Keras's weights are the parameters; kerasport adds the persistent buffers as non-trainable variables.
    assert [(v.path.split("/")[-1], v.trainable) for v in model.weights] == [
        ("weight", True), ("bias", True), ("weight", True), ("bias", True), ("running_mean", False),
        ("running_var", False), ("num_batches_tracked", False), ("weight", True), ("bias", True)]
    assert [p is v for p, v in zip(model.fc.parameters(), model.fc.weights)] == [True, True]
    modules = [copy.deepcopy(layer.module) for layer in (model.conv1, model.bn, model.fc)]
    x, y = _data()
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.SGD(0.1))
    history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)

    conv, bn, fc = modules
    params = [p for m in modules for p in m.parameters()]
    opt = torch.optim.SGD(params, lr=0.1)
    losses = []
    for _ in range(2):
        for i in range(0, 32, 8):
            probs = torch.softmax(fc(torch.flatten(torch.max_pool2d(torch.relu(bn(conv(torch.from_numpy(
                x[i:i + 8])))), 2), 1)), dim=1)
            loss = torch.nn.functional.nll_loss(torch.log(probs.clamp(1e-7, 1 - 1e-7)), torch.from_numpy(y[i:i + 8]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    np.testing.assert_allclose(history.history["loss"], [np.mean(losses[:4]), np.mean(losses[4:])], rtol=1e-5)
    for ours, theirs in zip([model.conv1, model.bn, model.fc], modules):
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(B.convert_to_numpy(ours.module.state_dict()[key]), value.numpy(), atol=1e-6)


@torch_only
def test_files_keep_parameters_and_buffers(tmp_path):
    import torch
    torch.manual_seed(1)
    classifier = _classifier()
    model = classifier()
    x, y = _data()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    # A subclassed model rebuilds its modules in __init__: no pickled module is loaded, safe mode is enough.
    loaded = keras.saving.load_model(path, custom_objects={"Classifier": classifier})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)
    assert float(B.convert_to_numpy(loaded.bn.module.running_var).std()) > 0   # the statistics fit gathered
    fresh = classifier()
    fresh.build((2, 1, 12, 12))
    fresh.load_weights(_saved_weights(model, tmp_path))
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, atol=1e-6)


def _saved_weights(model, tmp_path):
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    return path


@torch_only
def test_a_pickled_module_loads_only_with_safe_mode_off(tmp_path):
    import torch.nn as nn
    model = keras.Sequential([keras.Input((4,)), keras.layers.TorchModuleWrapper(nn.Sequential(
        nn.Linear(4, 3), nn.BatchNorm1d(3)))])
    x = np.random.RandomState(3).rand(16, 4).astype("float32")
    model.compile(loss="mse", optimizer="sgd")
    model.fit(x, x[:, :3], epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    with pytest.raises(ValueError, match=r"via `torch.load\(\)`.*passing `safe_mode=False`"):
        keras.saving.load_model(path)
    loaded = keras.saving.load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


@torch_only
def test_functional_use_shared_parameters_and_lazy_modules():
    import torch.nn as nn
    inputs = keras.Input((4,))
    outputs = keras.layers.TorchModuleWrapper(nn.Linear(4, 3))(inputs)
    assert tuple(outputs.shape) == (None, 3)
    model = keras.Model(inputs, outputs)
    x = np.random.RandomState(2).rand(5, 4).astype("float32")
    layer = model.layers[-1]
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ layer.get_weights()[0].T + layer.get_weights()[1],
                               atol=1e-6)
    tied = nn.Sequential(nn.Linear(3, 3, bias=False), nn.Linear(3, 3, bias=False))
    tied[1].weight = tied[0].weight
    wrapper = keras.layers.TorchModuleWrapper(tied)
    assert len(wrapper.weights) == 1 and tied[0].weight is tied[1].weight is wrapper.weights[0]
    assert keras.layers.TorchModuleWrapper(nn.Linear(2, 2), output_shape=(None, 2)).compute_output_shape(
        (None, 2)) == (None, 2)
    with pytest.raises(ValueError, match="LazyModules are not supported"):
        keras.layers.TorchModuleWrapper(nn.LazyLinear(3))


@torch_only
def test_weights_are_the_modules_state_dict_by_name_and_checked_before_loading(tmp_path):
    import h5py
    import torch.nn as nn
    model = keras.Sequential([keras.Input((4,)), keras.layers.TorchModuleWrapper(nn.Sequential(
        nn.Linear(4, 3), nn.BatchNorm1d(3)), name="wrapped")])
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    with h5py.File(path) as f:   # Keras's TorchModuleWrapper layout: the state_dict's names
        assert sorted(f["layers/torch_module_wrapper/vars"]) == ["0.bias", "0.weight", "1.bias", "1.num_batches_tracked",
                                                    "1.running_mean", "1.running_var", "1.weight"]
    other = keras.Sequential([keras.Input((4,)), keras.layers.TorchModuleWrapper(nn.Sequential(
        nn.Linear(4, 3), nn.BatchNorm1d(3)), name="wrapped")])
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    wider = keras.Sequential([keras.Input((4,)), keras.layers.TorchModuleWrapper(nn.Sequential(
        nn.Linear(4, 5), nn.BatchNorm1d(5)), name="wrapped")])
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r"'wrapped' \(TorchModuleWrapper\) expected the module's state .*0.weight"):
        wider.load_weights(path)
    for a, b in zip(before, wider.get_weights()):
        np.testing.assert_array_equal(a, b)


_KERAS_ON_TORCH = """
import os, sys
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np, torch, keras
x = np.random.RandomState(0).rand(8, 4).astype("float32")
if sys.argv[1] == "write":
    torch.manual_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.TorchModuleWrapper(
        torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3)))])
    model.compile("sgd", "mse")
    model.fit(x, x[:, :3], epochs=1, verbose=0)
    model.save(sys.argv[2])
else:
    model = keras.saving.load_model(sys.argv[2], safe_mode=False)
np.save(sys.argv[3], model.predict(x, verbose=0))
"""


@torch_only
def test_keras_files_with_a_wrapped_module_load_both_ways(tmp_path):
    import subprocess
    import sys

    def keras_on_torch(*args):
        env = {k: v for k, v in __import__("os").environ.items() if k != "KERAS_BACKEND"}
        subprocess.run([sys.executable, "-c", _KERAS_ON_TORCH, *map(str, args)], check=True, env=env,
                       capture_output=True, timeout=300)

    keras_file, ours_file = tmp_path / "keras.keras", tmp_path / "ours.keras"
    keras_on_torch("write", keras_file, tmp_path / "keras.npy")
    x = np.random.RandomState(0).rand(8, 4).astype("float32")
    model = keras.saving.load_model(str(keras_file), safe_mode=False)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.load(tmp_path / "keras.npy"), atol=1e-6)
    model.save(str(ours_file))
    keras_on_torch("read", ours_file, tmp_path / "again.npy")
    np.testing.assert_allclose(np.load(tmp_path / "again.npy"), np.load(tmp_path / "keras.npy"), atol=1e-6)
