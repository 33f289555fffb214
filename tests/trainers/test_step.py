"""The train / test / predict steps: overriding them in Keras's idioms, on each backend, and compiling them.

``compile(jit_compile=True)``: torch compiles the whole step (forward, loss, backward, optimizer,
metrics) with ``torch.compile`` and no graph break; TensorFlow runs the XLA-compiled ``tf.function``.
Numbers equal eager's. The torch tests use the ``aot_eager`` backend: Dynamo's graph capture (what
graph breaks and recompiles are about) is the same as Inductor's, without its long C++ build."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B


def _gradients(model, x, y):
    """The backend-specific part of a Keras custom train_step: loss and gradients."""
    if B.NAME == "torch":
        model.zero_grad()
        y_pred = model(x, training=True)
        loss = model.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        return loss, y_pred, [v.value.grad for v in model.trainable_weights]
    import tensorflow as tf
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(y=y, y_pred=y_pred)
    return loss, y_pred, tape.gradient(loss, model.trainable_weights)


class CustomStep(kerasport.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.mae = kerasport.metrics.MeanAbsoluteError(name="mae")
        self.loss_tracker = kerasport.metrics.Mean(name="loss")
        self.steps_seen = 0

    def call(self, x):
        return self.dense(x)

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae]

    def train_step(self, data):
        x, y = data
        self.steps_seen += 1
        loss, y_pred, grads = _gradients(self, x, y)
        with kerasport.backend.B.no_grad():
            self.optimizer.apply(grads, self.trainable_weights)
        self.loss_tracker.update_state(loss)
        self.mae.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(self.compute_loss(y=y, y_pred=y_pred))
        self.mae.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae.result(), "extra": 1.0}


def _data():
    x = np.random.RandomState(0).rand(64, 3).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3


def test_custom_train_and_test_steps_train_and_report_their_logs():
    x, y = _data()
    model = CustomStep()
    model.compile(kerasport.optimizers.SGD(0.1), "mse")
    hist = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert set(hist.history) == {"loss", "mae"}
    assert hist.history["loss"][-1] < hist.history["loss"][0] / 5
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["extra"] == 1.0 and abs(logs["mae"] - hist.history["mae"][-1]) < hist.history["mae"][0]


def test_super_train_step_runs_the_built_in_step():
    class Wrapped(kerasport.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.calls = 0

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            self.calls += 1
            return super().train_step(data)

    x, y = _data()
    kerasport.utils.set_random_seed(1)
    plain = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(1)])
    kerasport.utils.set_random_seed(1)
    wrapped = Wrapped()
    wrapped.build((None, 3))
    wrapped.set_weights(plain.get_weights())
    for m in (plain, wrapped):
        m.compile(kerasport.optimizers.Adam(0.01), "mse", metrics=["mae"])
    h1 = plain.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
    h2 = wrapped.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
    assert wrapped.calls >= 1
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(plain.get_weights()[0], wrapped.get_weights()[0], rtol=1e-5)


def test_custom_predict_step_and_keras_2_compiled_helpers():
    class Doubled(kerasport.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

        def predict_step(self, data):
            return self(data) * 2.0

    model = Doubled()
    x = np.ones((5, 3), "float32")
    model.build((None, 3))
    np.testing.assert_allclose(model.predict(x, verbose=0), 2 * B.convert_to_numpy(model(B.convert_to_tensor(x))),
                               rtol=1e-6)
    model.compile("sgd", "mse", metrics=["mae"])
    y_pred = model(B.convert_to_tensor(x))
    loss = model.compiled_loss(B.zeros((5, 2)), y_pred)
    assert float(B.convert_to_numpy(loss)) > 0
    model.compiled_metrics.update_state(B.zeros((5, 2)), y_pred)
    assert model.compute_metrics(x, B.zeros((5, 2)), y_pred)["mae"] is not None


def test_keras_2_compiled_metrics_update_every_metric_as_keras_3_does():
    """Keras 3's ``compiled_metrics.update_state(y, y_pred)`` updates all of ``model.metrics``: the compiled ones
    with ``(y, y_pred)``, and each ``Mean`` (the ``loss`` tracker) with ``y_pred`` (keras.io's ShiftViT reports
    ``m.result() for m in self.metrics`` after it)."""
    model = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(2)])
    model.compile("sgd", "mse", metrics=["mae"])
    x = np.random.RandomState(0).rand(5, 3).astype("float32")
    y_pred = model(B.convert_to_tensor(x))
    model.compiled_metrics.update_state(B.zeros((5, 2)), y_pred)
    results = {m.name: m.result() for m in model.metrics}
    expected = B.convert_to_numpy(y_pred)
    np.testing.assert_allclose(B.convert_to_numpy(results["loss"]), expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(B.convert_to_numpy(results["compile_metrics"]["mae"]), np.abs(expected).mean(),
                               rtol=1e-5)


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

    from kerasport.backends.torch import step  # the module whose step builders read COMPILE_BACKEND
    backend = step.COMPILE_BACKEND
    step.COMPILE_BACKEND = "aot_eager"
    torch._dynamo.reset()
    counters.clear()
    yield counters
    step.COMPILE_BACKEND = backend
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


def _fit_residual(jit):
    """A Functional residual block whose BatchNormalization and ReLU may compute in their inputs' memory in
    inference (``may_overwrite_input``)."""
    kerasport.utils.set_random_seed(0)
    inputs = kerasport.Input((8,))
    h = layers.ReLU()(layers.BatchNormalization()(layers.Dense(16)(inputs)))
    h = layers.ReLU()(layers.Add()([h, layers.BatchNormalization()(layers.Dense(16)(h))]))
    model = kerasport.Model(inputs, layers.Dense(3, activation="softmax")(h))
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=jit)
    rng = np.random.RandomState(0)
    x, y = rng.rand(64, 8).astype("float32"), rng.randint(0, 3, 64)
    history = model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history
    return model, history, x, y


def test_torch_compiled_functional_with_inplace_layers_has_no_graph_break(dynamo):
    """The in-place inference path (a layer computing in its input's memory) is not taken in a compiled step:
    marking the layer for it broke the graph at every BatchNormalization and ReLU."""
    model, history, x, y = _fit_residual(True)
    eager, eager_history, _, _ = _fit_residual(False)
    # the compiled batch normalization is decomposed into other ops: float32 rounding, 4 Adam steps
    np.testing.assert_allclose(model.predict(x, verbose=0), eager.predict(x, verbose=0), rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), eager.evaluate(x, y, verbose=0), rtol=1e-4)
    assert dict(dynamo["graph_break"]) == {}
    np.testing.assert_allclose(history["loss"], eager_history["loss"], rtol=1e-5)


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


@pytest.fixture
def quick_compile():
    """``jit_compile=True`` as it runs on each backend: XLA on TensorFlow, Dynamo with ``aot_eager`` on torch."""
    if kerasport.backend.backend() != "torch":
        yield
        return
    import torch

    from kerasport.backends.torch import step
    backend = step.COMPILE_BACKEND
    step.COMPILE_BACKEND = "aot_eager"
    torch._dynamo.reset()
    yield
    step.COMPILE_BACKEND = backend
    torch._dynamo.reset()


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_recurrent_layers_compiled_equal_eager(quick_compile, cell):
    # compiled on torch's CPU, the fused LSTM is oneDNN's kernel as custom ops (tests/backends/test_torch_onednn_lstm.py)
    rng = np.random.RandomState(0)
    x, y = rng.rand(20, 5, 3).astype("float32"), rng.rand(20, 2).astype("float32")  # batches of 8, 8, then 4
    results = []
    for jit in (False, True):
        kerasport.utils.set_random_seed(0)
        model = kerasport.Sequential([kerasport.Input((5, 3)), getattr(layers, cell)(4), layers.Dense(2)])
        model.compile("adam", "mse", jit_compile=jit)
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        results.append((history["loss"], model.get_weights()))
    (eager_loss, eager_weights), (loss, weights) = results
    np.testing.assert_allclose(loss, eager_loss, rtol=1e-5)
    for a, b in zip(weights, eager_weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_batch_normalization_compiled_equal_eager(quick_compile):
    # under XLA the statistics are moments and plain ops, not FusedBatchNormV3: the same numbers
    rng = np.random.RandomState(0)
    x, y = rng.rand(20, 6, 6, 3).astype("float32"), rng.randint(0, 3, 20)
    results = []
    for jit in (False, True):
        kerasport.utils.set_random_seed(0)
        model = kerasport.Sequential([kerasport.Input((6, 6, 3)), layers.Conv2D(4, 3, use_bias=False),
                                      layers.BatchNormalization(), layers.Activation("relu"),
                                      layers.GlobalAveragePooling2D(), layers.Dense(3)])
        model.compile("adam", kerasport.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=jit)
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        results.append((history["loss"], model.get_weights(), model.predict(x, verbose=0)))
    (eager_loss, eager_weights, eager_out), (loss, weights, out) = results
    np.testing.assert_allclose(loss, eager_loss, rtol=1e-5)
    for a, b in zip(weights, eager_weights):   # moving mean and variance included
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out, eager_out, rtol=1e-4, atol=1e-5)


def test_auto_stays_eager_on_cpu():
    model = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    assert model._jit_compile is False
    model.compile("sgd", "mse", jit_compile=True)
    assert model._jit_compile is True


def test_a_layer_without_jit_support_makes_jit_compile_fall_back_with_keras_warning():
    inputs = kerasport.Input((1,), dtype="string")
    hidden = layers.Flatten()(layers.Embedding(5, 2)(layers.StringLookup(vocabulary=["a", "b", "c"])(inputs)))
    model = kerasport.Model(inputs, layers.Dense(1)(hidden))
    with pytest.warns(UserWarning, match=r"Model doesn't support `jit_compile=True`\. Proceeding with"):
        model.compile("sgd", "mse", jit_compile=True)
    assert model.jit_compile is False
    history = model.fit(np.array([["a"], ["b"], ["z"], ["c"]]), np.ones((4, 1), "float32"), verbose=0).history
    assert np.isfinite(history["loss"][0])
    with pytest.warns(UserWarning, match="If `run_eagerly` is True, then `jit_compile` cannot also be True"):
        kerasport.Sequential([layers.Dense(1)]).compile("sgd", "mse", run_eagerly=True, jit_compile=True)


def test_step_functions_are_none_until_built_and_none_has_them_rebuilt_as_keras():
    model = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(1)])
    assert (model.loss, model.train_function, model.test_function, model.predict_function) == (None,) * 4
    model.compile("sgd", "mse")
    assert model.loss == "mse" and model.train_function is None
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    model.fit(x, y, verbose=0)
    first = model.train_function
    assert callable(first) and model.make_train_function() is first and model.test_function is None
    model.train_function = None
    assert model.train_function is None
    model.fit(x, y, verbose=0)
    assert callable(model.train_function) and model.train_function is not first


class _NormalizedNoTraining(kerasport.Model):
    def __init__(self):
        super().__init__()
        self.norm = layers.BatchNormalization()
        self.dense = layers.Dense(1, kernel_initializer="ones")

    def call(self, x):
        return self.dense(self.norm(x))


class _NormalizedWithTraining(_NormalizedNoTraining):
    def call(self, x, training=None):
        return self.dense(self.norm(x, training=training))


@pytest.mark.parametrize("with_training", [False, True])
def test_built_in_steps_pass_training_only_to_a_call_that_takes_it(with_training):
    """As Keras's steps: ``model(x, training=True)`` where ``call`` takes ``training``, else ``model(x)``, so the
    layers of a subclassed model whose ``call`` takes none run in inference mode in ``fit`` (BatchNormalization
    normalizes with its moving statistics and leaves them alone), as the keras.io GNN example trains."""
    x = np.random.RandomState(0).randn(8, 3).astype("float32") * 4 + 2
    y = np.zeros((8, 1), "float32")
    model = (_NormalizedWithTraining if with_training else _NormalizedNoTraining)()
    model.compile(optimizer=kerasport.optimizers.SGD(0.0), loss="mse")
    inference = kerasport.ops.convert_to_numpy(model(x))
    loss = model.train_on_batch(x, y)
    moving_mean = kerasport.ops.convert_to_numpy(model.norm.moving_mean)
    if with_training:
        assert np.abs(moving_mean).max() > 0.01
        assert not np.isclose(loss, np.mean(inference ** 2), rtol=1e-3)
    else:
        np.testing.assert_array_equal(moving_mean, np.zeros(3))
        np.testing.assert_allclose(loss, np.mean(inference ** 2), rtol=1e-5)


@pytest.mark.skipif(B.NAME != "tensorflow", reason="on torch Keras builds the model from the first batch")
def test_eager_own_train_step_leaves_the_model_unbuilt_as_keras_on_tensorflow():
    """keras.io's StyleGAN: ``call`` takes a dict, ``train_step`` (run eagerly) drives the sub-layers. Keras on
    TensorFlow builds nothing before the step, and the optimizer is built by its first ``apply``."""
    import tensorflow as tf
    from tests.helpers import keras_module

    def run(lib):
        class DictCall(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(1, kernel_initializer="ones")

            def call(self, inputs):
                return self.dense(inputs.get("x"))

            def train_step(self, data):
                x, y = data
                with tf.GradientTape() as tape:
                    loss = lib.ops.mean((self({"x": x}) - y) ** 2)
                grads = tape.gradient(loss, self.trainable_variables)
                self.optimizer.apply(grads, self.trainable_variables)
                return {"loss": loss}

        model = DictCall()
        model.compile(optimizer=lib.optimizers.SGD(0.1), run_eagerly=True)
        x = np.arange(12, dtype="float32").reshape(6, 2) / 10
        history = model.fit(x, x.sum(1, keepdims=True) * 2, batch_size=3, epochs=2, shuffle=False, verbose=0)
        return history.history["loss"], lib.ops.convert_to_numpy(model.dense.kernel)

    (ours, kernel), (theirs, keras_kernel) = run(kerasport), run(keras_module())
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose(kernel, keras_kernel, rtol=1e-6)


@pytest.mark.skipif(B.NAME != "torch", reason="Keras on TensorFlow builds nothing before the step")
def test_a_model_fit_cannot_build_gets_keras_runtime_error_on_torch():
    """keras.io's StyleGAN as written on torch: ``call`` takes a dict, so ``fit`` cannot build the model from
    the batch; Keras raises a RuntimeError naming the cause."""
    class DictCall(kerasport.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs.get("x"))

        def train_step(self, data):
            return {}

    model = DictCall()
    model.compile(optimizer="sgd")
    with pytest.raises(RuntimeError, match=r"Unable to automatically build the model(.|\n)*no attribute 'get'"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
