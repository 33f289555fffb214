"""fit/evaluate/predict: every argument Keras users pass, every kind of data, and the errors they meet;
odd inputs get clear errors instead of silence or raw framework errors."""
import inspect
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import kerasport
from kerasport import layers, losses
from kerasport.backends import B


def mlp(features=4, outputs=1, loss="mse", metrics=None, lr=0.05, **layer_kwargs):
    model = kerasport.Sequential([layers.Input((features,)), layers.Dense(8, activation="tanh", **layer_kwargs),
                                  layers.Dense(outputs)])
    model.compile(kerasport.optimizers.SGD(lr), loss, metrics=metrics)
    return model


def regression(n=64, features=4, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, features).astype("float32")
    return x, (x @ rng.randn(features, 1)).astype("float32")


def classification(n=60, classes=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 4).astype("float32")
    return x, (np.arange(n) % classes).astype("int64")


def twin(model):
    """A second compiled model with the same weights, to compare two ways of training."""
    clone = mlp(features=model.inputs[0].shape[1], outputs=model.outputs[0].shape[1], loss=model.loss,
                lr=float(B.convert_to_numpy(model.optimizer.learning_rate)))
    clone.set_weights(model.get_weights())
    return clone


def assert_same_weights(a, b, atol=1e-6):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, atol=atol)


class Recorder(kerasport.callbacks.Callback):
    """Counts hooks: ``calls["on_train_batch_end"]`` and so on."""

    def __init__(self):
        super().__init__()
        self.calls = {}

    def __getattribute__(self, name):
        if name.startswith("on_"):
            calls = object.__getattribute__(self, "calls")
            return lambda *args: calls.__setitem__(name, calls.get(name, 0) + 1)
        return object.__getattribute__(self, name)


# ----------------------------------------------------------------------------- weights
def test_sample_weight_scales_the_loss_and_its_gradient():
    x, y = regression(16)
    model = mlp()
    doubled = twin(model)
    doubled.optimizer.learning_rate.assign(0.1)
    model.train_on_batch(x, y, sample_weight=np.full(16, 2.0, "float32"))
    doubled.train_on_batch(x, y)
    assert_same_weights(model, doubled)
    zero = mlp()
    before = zero.get_weights()
    zero.fit(x, y, sample_weight=np.zeros(16, "float32"), epochs=2, verbose=0)
    for a, b in zip(before, zero.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_evaluate_with_sample_weight_matches_numpy():
    x, y = regression(20)
    sw = np.linspace(0, 2, 20).astype("float32")
    model = mlp()
    errors = ((model.predict(x, verbose=0) - y) ** 2).mean(axis=1)
    assert model.evaluate(x, y, sample_weight=sw, batch_size=20, verbose=0) == pytest.approx(
        (errors * sw).mean(), rel=1e-5)


def test_class_weight_equals_the_sample_weight_of_each_class():
    x, y = classification()
    model = mlp(outputs=3, loss="sparse_categorical_crossentropy")
    other = twin(model)
    cw = {0: 0.5, 1: 2.0, 2: 1.0}
    loss_cw = model.train_on_batch(x, y, class_weight=cw)
    loss_sw = other.train_on_batch(x, y, sample_weight=np.array([cw[c] for c in y], "float32"))
    assert loss_cw == pytest.approx(loss_sw, rel=1e-6)
    assert_same_weights(model, other)
    model.fit(x, y, class_weight=cw, epochs=1, batch_size=16, shuffle=False, verbose=0)
    other.fit(x, y, sample_weight=np.array([cw[c] for c in y], "float32"), epochs=1, batch_size=16,
              shuffle=False, verbose=0)
    assert_same_weights(model, other)


def test_class_weight_naming_a_missing_class():
    x, y = classification(classes=3)
    model = mlp(outputs=3, loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"class\(es\) \[5\]"):
        model.fit(x, y, class_weight={0: 1.0, 5: 2.0}, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- epochs and steps
@pytest.mark.parametrize("freq, validated", [(2, [2, 4]), ([1, 4], [1, 4]), (1, [1, 2, 3, 4])])
def test_validation_freq(freq, validated):
    x, y = regression()
    history = mlp().fit(x, y, epochs=4, validation_data=(x[:8], y[:8]), validation_freq=freq, verbose=0)
    assert len(history.history["loss"]) == 4
    assert len(history.history["val_loss"]) == len(validated)


def test_validation_freq_must_be_positive():
    x, y = regression()
    with pytest.raises(ValueError, match="validation_freq"):
        mlp().fit(x, y, validation_data=(x, y), validation_freq=0, verbose=0)


def test_steps_per_epoch_and_initial_epoch():
    x, y = regression(72)
    rec = Recorder()
    history = mlp().fit(x, y, batch_size=8, epochs=5, initial_epoch=2, steps_per_epoch=3, callbacks=[rec],
                        verbose=0)
    assert history.epoch == [2, 3, 4]
    assert rec.calls["on_train_batch_end"] == 9 and rec.calls["on_epoch_end"] == 3


def test_validation_steps_draws_that_many_batches():
    x, y = regression(32)
    drawn = []

    def endless():
        while True:
            drawn.append(1)
            yield x[:4], y[:4]

    mlp().fit(x, y, epochs=3, validation_data=endless(), validation_steps=2, verbose=0)
    assert len(drawn) == 6


def test_validation_batch_size():
    x, y = regression(30)
    sizes = []

    class Spy(layers.Layer):
        def call(self, inputs, training=None):
            if training is False:
                sizes.append(int(B.shape(inputs)[0]))
            return inputs

    model = kerasport.Sequential([layers.Input((4,)), Spy(), layers.Dense(1)])
    model.compile("sgd", "mse", run_eagerly=True)
    sizes.clear()  # building may have called the layer
    model.fit(x, y, batch_size=16, epochs=1, validation_data=(x[:10], y[:10]), validation_batch_size=4, verbose=0)
    assert sizes == [4, 4, 2]


def test_shuffle_false_keeps_the_order_true_changes_it():
    x = np.arange(12, dtype="float32")[:, None]
    seen = []

    class Spy(layers.Layer):
        def call(self, inputs, training=None):
            if training:
                seen.extend(B.convert_to_numpy(inputs)[:, 0].astype(int).tolist())
            return inputs

    model = kerasport.Sequential([layers.Input((1,)), Spy(), layers.Dense(1)])
    model.compile("sgd", "mse", run_eagerly=True)
    model.fit(x, x, batch_size=4, shuffle=False, verbose=0)
    assert seen == list(range(12))
    seen.clear()
    model.fit(x, x, batch_size=4, epochs=2, shuffle=True, verbose=0)
    assert sorted(seen[:12]) == sorted(seen[12:]) == list(range(12)) and seen[:12] != seen[12:]


# ----------------------------------------------------------------------------- losses of the model
def test_regularization_losses_are_part_of_the_loss():
    x, y = regression(16)
    model = mlp(kernel_regularizer=kerasport.regularizers.L2(0.1))
    kernel = model.layers[0].kernel
    penalty = 0.1 * float((B.convert_to_numpy(kernel) ** 2).sum())
    mse = float(((model.predict(x, verbose=0) - y) ** 2).mean())
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(mse + penalty, rel=1e-5)


def test_add_loss_and_activity_regularizer_are_part_of_the_loss():
    x, y = regression(16)

    class Penalized(layers.Layer):
        def call(self, inputs):
            self.add_loss(B.multiply(B.mean(B.square(inputs)), 0.5))
            return inputs

    inputs = kerasport.Input((4,))
    hidden = layers.Dense(3, activity_regularizer=kerasport.regularizers.L1(0.01))(Penalized()(inputs))
    model = kerasport.Model(inputs, layers.Dense(1)(hidden))
    model.compile("sgd", "mse")
    activity = layers.Dense(3)
    h = x @ B.convert_to_numpy(model.layers[2].kernel) + B.convert_to_numpy(model.layers[2].bias)
    expected = float(((model.predict(x, verbose=0) - y) ** 2).mean()) + 0.5 * float((x ** 2).mean()) + \
        0.01 * float(np.abs(h).sum()) / 16
    assert activity is not None
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert model.fit(x, y, epochs=1, verbose=0).history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_add_loss_of_per_sample_values_counts_their_sum():
    # As Keras's trainer (and keras.io's OCR example, whose CTC layer adds a (batch, 1) loss): the sum, not the mean.
    x, y = regression(16)

    class PerSample(layers.Layer):
        def call(self, inputs):
            self.add_loss(B.square(inputs[:, :1]))
            return inputs

    inputs = kerasport.Input((4,))
    model = kerasport.Model(inputs, layers.Dense(1)(PerSample()(inputs)))
    model.compile("sgd", "mse")
    expected = float(((model.predict(x, verbose=0) - y) ** 2).mean()) + float((x[:, 0] ** 2).sum())
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(expected, rel=1e-5)


# ----------------------------------------------------------------------------- results
def test_evaluate_results():
    x, y = classification()
    model = mlp(outputs=3, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"} and all(isinstance(v, float) for v in logs.values())
    assert model.evaluate(x, y, verbose=0) == pytest.approx([logs["loss"], logs["accuracy"]])
    assert isinstance(mlp().evaluate(*regression(), verbose=0), float)


def test_on_batch_methods():
    x, y = classification(12)
    model = mlp(outputs=3, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = model.test_on_batch(x, y, return_dict=True)
    assert model.test_on_batch(x, y) == pytest.approx([logs["loss"], logs["accuracy"]])
    before = model.get_weights()
    loss, _ = model.train_on_batch(x, y)
    assert loss == pytest.approx(logs["loss"], rel=1e-5)
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    out = model.predict_on_batch(x)
    assert isinstance(out, np.ndarray) and out.shape == (12, 3)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- input validation
@pytest.mark.parametrize("kwargs, message", [
    ({"validation_split": 1.0}, r"validation_split must be in \[0, 1\)"),
    ({"validation_split": -0.1}, r"validation_split must be in \[0, 1\)"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"batch_size": -3}, "batch_size must be a positive integer"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer"),
    ({"shuffle": "sometimes"}, "shuffle must be"),
])
def test_bad_fit_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mlp().fit(*regression(), verbose=0, **kwargs)


def test_validation_split_with_a_generator():
    x, y = regression()
    with pytest.raises(ValueError, match="validation_split is only supported for array inputs"):
        mlp().fit(iter([(x, y)]), validation_split=0.2, verbose=0)


def test_wrong_feature_count_is_reported_before_any_update():
    x, y = regression(features=5)
    model = mlp(features=4)
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"expected shape \(None, 4\), received data of shape \(64, 5\)"):
        model.fit(x, y, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_x_and_y_of_different_lengths():
    x, y = regression()
    with pytest.raises(ValueError, match=r"x: \[64\], y: \[50\]"):
        mlp().fit(x, y[:50], verbose=0)


def test_generator_with_wrong_structure_is_reported():
    x, y = regression(8)
    with pytest.raises(ValueError, match="tuple of 4 items"):
        mlp().fit(iter([(x, y, y, y)]), verbose=0)


# ----------------------------------------------------------------------------- robustness
def test_keyboard_interrupt_leaves_the_model_usable():
    x, y = regression()
    ended = []

    class Interrupt(kerasport.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise KeyboardInterrupt

        def on_train_end(self, logs=None):
            ended.append(True)

    model = mlp()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=3, callbacks=[Interrupt()], verbose=0)
    assert ended == [True]
    assert model.predict(x, verbose=0).shape == (64, 1)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_nan_inputs_stop_training_at_the_first_bad_batch():
    x, y = regression(32)
    x[20] = np.nan
    stop = getattr(kerasport.callbacks, "TerminateOnNaN", None)
    if stop is None:
        class Stop(kerasport.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if not np.isfinite(logs["loss"]):
                    self.model.stop_training = True
        stop = Stop
    rec = Recorder()
    history = mlp().fit(x, y, batch_size=8, epochs=5, shuffle=False, callbacks=[stop(), rec], verbose=0)
    assert rec.calls["on_train_batch_end"] == 3
    assert len(history.history["loss"]) == 1 and np.isnan(history.history["loss"][0])


# ----------------------------------------------------------------------------- kinds of data
class Batches(kerasport.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        sl = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[sl], self.y[sl]

    def on_epoch_end(self):
        self.epochs_ended += 1


def batches_of(kind, x, y, batch_size):
    if kind == "generator":
        return ((x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(x), batch_size))
    if kind == "pydataset":
        return Batches(x, y, batch_size)
    if kind == "pydataset-threads":
        return Batches(x, y, batch_size, workers=3, max_queue_size=2)
    if kind == "dataloader":
        torch = pytest.importorskip("torch")
        dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        return torch.utils.data.DataLoader(dataset, batch_size=batch_size)
    tf = pytest.importorskip("tensorflow")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)


@pytest.mark.parametrize("kind", ["generator", "pydataset", "pydataset-threads", "dataloader", "tf.data"])
def test_every_kind_of_data_trains_exactly_like_arrays(kind):
    x, y = regression(40)
    model = mlp()
    reference = twin(model)
    reference.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    history = model.fit(batches_of(kind, x, y, 16), shuffle=False, verbose=0)
    assert_same_weights(model, reference, atol=1e-5)
    assert history.history["loss"][0] == pytest.approx(reference.history.history["loss"][0], rel=1e-5)
    assert model.evaluate(batches_of(kind, x, y, 16), verbose=0) == pytest.approx(
        reference.evaluate(x, y, verbose=0), rel=1e-5)
    np.testing.assert_allclose(model.predict(batches_of(kind, x, y, 16), verbose=0),
                               reference.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_pydataset_epochs_and_validation():
    x, y = regression(40)
    train, val = Batches(x, y, 16), Batches(x[:8], y[:8], 4)
    history = mlp().fit(train, epochs=3, validation_data=val, verbose=0)
    # As in Keras: once before the first epoch, then after each epoch; twice per evaluation.
    assert train.epochs_ended == 4 and val.epochs_ended == 6 and len(history.history["val_loss"]) == 3


def test_finite_generator_is_one_epoch_then_runs_out():
    x, y = regression(32)
    with pytest.warns(UserWarning, match="ran out of data"):
        history = mlp().fit(batches_of("generator", x, y, 8), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


def test_endless_generator_with_steps_per_epoch():
    x, y = regression(32)

    def endless():
        while True:
            for i in range(0, 32, 8):
                yield x[i:i + 8], y[i:i + 8]

    rec = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = mlp().fit(endless(), steps_per_epoch=5, epochs=3, callbacks=[rec], verbose=0)
    assert rec.calls["on_train_batch_end"] == 15 and len(history.history["loss"]) == 3


def test_generator_with_sample_weight_and_class_weight():
    x, y = classification(24)
    model = mlp(outputs=3, loss="sparse_categorical_crossentropy")
    other = twin(model)
    cw = {0: 3.0, 2: 0.5}
    model.fit(batches_of("generator", x, y, 8), class_weight=cw, verbose=0)
    other.fit(x, y, batch_size=8, class_weight=cw, shuffle=False, verbose=0)
    assert_same_weights(model, other)


# ----------------------------------------------------------------------------- memory
def _rss_mb(field="VmRSS"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    pytest.skip("needs /proc/self/status")


def test_memory_stays_flat_over_200_epochs():
    x, y = regression(64)
    model = mlp()
    model.fit(x, y, batch_size=64, epochs=10, validation_data=(x[:16], y[:16]), verbose=0)
    before = _rss_mb()
    model.fit(x, y, batch_size=64, epochs=200, validation_data=(x[:16], y[:16]), verbose=0)
    assert _rss_mb() - before < 50


def test_predict_streams_a_million_rows():
    x = np.random.RandomState(0).randn(1_000_000, 4).astype("float32")
    model = kerasport.Sequential([layers.Input((4,)), layers.Dense(64, activation="relu"), layers.Dense(1)])
    model.predict(x[:10], verbose=0)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets the peak resident size (VmHWM)
    except OSError:
        pytest.skip("cannot reset the peak resident size")
    before = _rss_mb()
    out = model.predict(x, batch_size=8192, verbose=0)
    growth = _rss_mb("VmHWM") - before
    assert out.shape == (1_000_000, 1) and isinstance(out, np.ndarray)
    # Streaming holds one batch's activations (2 MB here) plus the outputs (4 MB, twice while they are
    # concatenated); the allocator's arenas add tens of MB that vary by machine (20-110 MB seen). Holding
    # every hidden activation at once would need 256 MB for the first Dense alone, twice with its ReLU.
    assert growth < 200, f"peak resident memory grew by {growth:.0f} MB"


LOSS_CLASSES = sorted(name for name, obj in vars(losses).items()
                      if inspect.isclass(obj) and issubclass(obj, losses.Loss) and obj is not losses.Loss
                      and obj.__module__.startswith(f"{losses.__name__}."))
# CTC: predictions (batch, time, classes), targets (batch, label length), any widths fit; the wrapper needs an `fn`
# (the string losses below go through it).
NOT_ELEMENTWISE = {"CTC", "LossFunctionWrapper"}


def _model(loss, units=2):
    model = kerasport.Sequential([kerasport.Input((4,)), kerasport.layers.Dense(units, activation="softmax",
                                                                                name="probabilities")])
    model.compile("sgd", loss)
    return model


@pytest.mark.parametrize("name", [n for n in LOSS_CLASSES if n not in NOT_ELEMENTWISE])
def test_targets_that_cannot_match_the_output_name_both_shapes_and_the_output(name):
    model = _model(getattr(losses, name)())
    x, y = np.ones((6, 4), "float32"), np.ones((6, 3), "float32")
    with pytest.raises(ValueError) as info:
        model.fit(x, y, batch_size=6, verbose=0)
    message = str(info.value)
    assert "(6, 3)" in message and "(6, 2)" in message and "'probabilities'" in message


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse", "sparse_categorical_crossentropy"])
def test_string_losses_in_evaluate_too(loss):
    model = _model(loss, units=3)
    with pytest.raises(ValueError, match=r"targets have shape \(5, 7\), the predictions shape \(5, 3\)"):
        model.evaluate(np.ones((5, 4), "float32"), np.ones((5, 7), "float32"), batch_size=5, verbose=0)


def test_shapes_that_broadcast_or_sparse_labels_still_train():
    _model("mse").fit(np.ones((6, 4), "float32"), np.ones((6, 1), "float32"), verbose=0)
    _model("sparse_categorical_crossentropy").fit(np.ones((6, 4), "float32"), np.array([0, 1, 1, 0, 1, 0]),
                                                  verbose=0)


def test_a_failure_that_is_not_about_shapes_keeps_its_own_error():
    def broken(y_true, y_pred):
        raise ZeroDivisionError("not a shape problem")
    model = _model(broken)
    with pytest.raises(Exception, match="not a shape problem") as info:  # TensorFlow wraps it in a StagingError
        model.fit(np.ones((6, 4), "float32"), np.ones((6, 2), "float32"), verbose=0)
    assert "cannot compare" not in str(info.value)


@pytest.mark.parametrize("call", ["fit", "evaluate", "predict", "validation_data"])
def test_empty_arrays_raise_a_clear_error(call):
    model = _model("mse")
    x, y = np.zeros((0, 4), "float32"), np.zeros((0, 2), "float32")
    weights = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="0 samples"):
        if call == "fit":
            model.fit(x, y, verbose=0)
        elif call == "evaluate":
            model.evaluate(x, y, verbose=0)
        elif call == "predict":
            model.predict(x, verbose=0)
        else:
            model.fit(np.ones((3, 4), "float32"), np.ones((3, 2), "float32"), validation_data=(x, y), verbose=0)
    if call == "fit":
        for before, after in zip(weights, model.get_weights()):
            np.testing.assert_array_equal(before, after)


def test_an_empty_generator_raises_a_clear_error():
    model = _model("mse")
    with pytest.raises(ValueError, match="yielded no batch"):
        model.fit(iter([]), verbose=0)


PREDICT_RSS = """
import resource, sys
import numpy as np
import kerasport
model = kerasport.Sequential([kerasport.Input((32,)), kerasport.layers.Dense(1)])
model.predict(np.ones((64, 32), "float32"), verbose=0)
x = np.ones((400_000, 32), "float32")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
y = model.predict(x, batch_size=1024, verbose=0)
assert y.shape == (400_000, 1)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024 / x.nbytes)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_predict_streams_array_batches_without_copying_the_input():
    out = subprocess.run([sys.executable, "-c", PREDICT_RSS], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert float(out.stdout.split()[-1]) < 0.5  # a copy of the whole input would be 1.0 per copy


def test_predict_stream_batches_match_fit_style_batches():
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(2)])
    x = np.random.RandomState(0).rand(1000, 3).astype("float32")
    expected = x @ model.get_weights()[0] + model.get_weights()[1]
    for batch_size in (1, 7, 32, 1000, 5000):
        np.testing.assert_allclose(model.predict(x, batch_size=batch_size, verbose=0), expected, rtol=1e-5,
                                   atol=1e-6)
    two = kerasport.Model(*(lambda a, b: ([a, b], kerasport.layers.Concatenate()([a, b])))(
        kerasport.Input((3,)), kerasport.Input((2,))))
    np.testing.assert_array_equal(two.predict([x, x[:, :2]], batch_size=300, verbose=0),
                                  np.concatenate([x, x[:, :2]], axis=1))


def test_fit_and_evaluate_before_compile_raise_keras_value_error():
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(1)])
    x = np.zeros((4, 3), "float32")
    for run in (lambda: model.fit(x, x[:, :1], verbose=0), lambda: model.evaluate(x, x[:, :1], verbose=0)):
        with pytest.raises(ValueError, match=r"You must call `compile\(\)` before using the model 'sequential"):
            run()
    assert model.predict(x, verbose=0).shape == (4, 1)   # predict needs no compile


def _two_output_model():
    inputs = kerasport.Input((4,))
    return kerasport.Model(inputs, [layers.Dense(3, activation="softmax", name="out_1")(inputs),
                                    layers.Dense(3, activation="softmax", name="out_2")(inputs)])


def test_a_metrics_list_as_long_as_the_outputs_has_one_entry_per_output():
    """As Keras 3: ``metrics=["a", "b"]`` for two outputs gives ``a`` to the first and ``b`` to the second."""
    model = _two_output_model()
    model.compile("sgd", "categorical_crossentropy", metrics=["categorical_crossentropy", "mae"])
    x, y = np.ones((4, 4), "float32"), np.full((4, 3), 1 / 3, "float32")
    logs = model.evaluate(x, [y, y], verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "out_1_categorical_crossentropy", "out_1_loss", "out_2_loss", "out_2_mae"]


@pytest.mark.parametrize("loss", ["categorical_crossentropy", ["mse", "mse"], {"out_1": "mse", "out_2": "mse"}])
def test_one_target_for_two_outputs_is_refused(loss):
    """Keras 3 raises a KeyError for one loss, a ValueError for a loss per output (a list or dict)."""
    model = _two_output_model()
    model.compile("sgd", loss)
    error = KeyError if isinstance(loss, str) else ValueError
    with pytest.raises(error, match=r"2 outputs \['out_1', 'out_2'\], each with a loss, but the targets hold 1"):
        model.evaluate(np.ones((4, 4), "float32"), np.ones((4, 3), "float32"), verbose=0)


def test_an_input_whose_last_axis_is_1_takes_data_with_more_channels_as_in_keras():
    """Keras's Functional input specs squeeze a last axis of size 1 before comparing shapes: a model built on
    ``Input((None, 1))`` predicts on data of shape ``(batch, steps, 8)`` (keras.io's MelGAN runs its generator so,
    on spectrograms, after training on waves)."""
    from tests.helpers import keras_module

    x = np.random.RandomState(0).rand(2, 6, 8).astype("float32")
    got, want = [], []
    for lib, out in ((kerasport, got), (keras_module(), want)):
        inputs = lib.Input((None, 1))
        model = lib.Model(inputs, lib.layers.GlobalAveragePooling1D()(inputs))
        out.append(model.predict(x, verbose=0))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    # Any other last axis must match.
    inputs = kerasport.Input((None, 2))
    model = kerasport.Model(inputs, kerasport.layers.GlobalAveragePooling1D()(inputs))
    with pytest.raises(ValueError, match="is incompatible: expected shape"):
        model.predict(x, verbose=0)


def test_an_overridden_step_reads_a_batch_that_does_not_fit_the_inputs_as_in_keras():
    """Keras hands a custom ``train_step`` / ``test_step`` its batch as it is, without checking it against the
    model's inputs (keras.io's metric learning example stacks anchors and positives in one array of shape
    ``(2, classes, h, w, c)``); the built-in steps still check it."""
    class Pairs(kerasport.Model):
        def train_step(self, data):
            anchors, positives = data[0], data[1]
            return {"gap": kerasport.ops.mean(self(anchors) - self(positives))}

        test_step = train_step

    inputs = kerasport.Input((4,))
    model = Pairs(inputs, layers.Dense(2, kernel_initializer="ones")(inputs))
    model.compile(optimizer="sgd")
    class Stacked(kerasport.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return x

    x = np.stack([np.ones((3, 4)), np.zeros((3, 4))]).astype("float32")
    history = model.fit(Stacked(), epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["gap"], [4.0])
    np.testing.assert_allclose(model.evaluate(Stacked(), verbose=0, return_dict=True)["gap"], 4.0)
    with pytest.raises(ValueError, match="is incompatible: expected shape"):
        model.predict(x, verbose=0)


def test_a_metric_function_is_logged_under_its_name_in_snake_case():
    """As Keras 3's compile (keras.io's EDSR, ``metrics=[PSNR]``): a function's metric is named
    ``to_snake_case(fn.__name__)``; a ``Metric`` keeps its own name."""
    def PSNR(y_true, y_pred):
        return kerasport.ops.mean(y_pred, axis=-1)

    def meanAbs(y_true, y_pred):
        return kerasport.ops.mean(kerasport.ops.abs(y_pred), axis=-1)

    model = kerasport.Sequential([kerasport.Input((4,)), layers.Dense(2)])
    model.compile("sgd", "mse", metrics=[PSNR, meanAbs, kerasport.metrics.MeanAbsoluteError(name="MAE")])
    logs = model.evaluate(np.ones((4, 4), "float32"), np.ones((4, 2), "float32"), verbose=0, return_dict=True)
    assert sorted(logs) == ["MAE", "loss", "mean_abs", "psnr"]


def test_fit_only_marks_a_model_of_built_sublayers_built():
    # keras.io's Siamese network: batches are (anchor, positive, negative) triplets that train_step feeds whole
    # to a built 3-input network; Keras builds nothing from the data (x alone, the anchors, would not fit).
    inputs = [kerasport.Input((2,)) for _ in range(3)]
    network = kerasport.Model(inputs, layers.Add()(inputs))

    class Triplets(kerasport.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            x = np.full((4, 2), i + 1.0, "float32")
            return x, x, 2 * x

    class Siamese(kerasport.Model):
        def __init__(self):
            super().__init__()
            self.network = network
            self.tracker = kerasport.metrics.Mean(name="loss")

        def call(self, inputs):
            return self.network(inputs)

        def train_step(self, data):
            self.tracker.update_state(kerasport.ops.mean(self.network(data)))
            return {"loss": self.tracker.result()}

        @property
        def metrics(self):
            return [self.tracker]

    model = Siamese()
    model.compile(optimizer="adam")
    assert model.fit(Triplets(), epochs=1, verbose=0).history["loss"] == [pytest.approx(6.0)]
    assert model.built


@pytest.mark.parametrize("arg", ["metrics", "weighted_metrics"])
@pytest.mark.parametrize("spec", ["accuracy", kerasport.metrics.SparseCategoricalAccuracy])
def test_a_bare_metric_in_compile_is_refused_as_in_keras(arg, spec):
    """As Keras 3 (keras.io's AdaMatch writes ``compile(metrics=SparseCategoricalAccuracy())``): ``metrics`` and
    ``weighted_metrics`` must be a list, tuple or dict."""
    model = kerasport.Sequential([kerasport.Input((4,)), layers.Dense(2)])
    spec = spec if isinstance(spec, str) else spec()
    with pytest.raises(ValueError, match=f"Expected `{arg}` argument to be a list, tuple, or dict. Received instead"):
        model.compile("sgd", "mse", **{arg: spec})


def test_one_target_for_several_outputs_with_a_metric_each_updates_the_first_output_only_as_keras():
    """As Keras 3, which zips the targets with the outputs (keras.io's BASNet: one mask, 8 outputs, ``metrics=[MAE
    for each output]`` and its own ``compute_loss``): only the first output's metric is logged and updated."""
    class OwnLoss(kerasport.Model):
        def compute_loss(self, x, y, y_pred, sample_weight=None, training=False):
            return kerasport.ops.mean((y_pred[0] - y) ** 2) + kerasport.ops.mean((y_pred[1] - y) ** 2)

    inp = kerasport.Input((4,))
    model = OwnLoss(inp, [layers.Dense(2, name="a")(inp), layers.Dense(2, name="b")(inp)])
    model.compile("sgd", metrics=[kerasport.metrics.MeanAbsoluteError(name="mae") for _ in model.outputs])
    x, y = np.ones((4, 4), "float32"), np.zeros((4, 2), "float32")
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    first = np.abs(model.predict(x, verbose=0)[0]).mean()
    assert sorted(logs) == ["a_mae", "loss"]
    np.testing.assert_allclose(logs["a_mae"], first, rtol=1e-5)


@pytest.mark.skipif(B.NAME != "tensorflow", reason="Keras on torch builds the model from the batch (or refuses it)")
def test_a_traced_own_step_model_that_x_cannot_build_is_left_to_its_step_as_keras():
    """keras.io's GauGAN: batches are (segmentation map, image, labels), ``call`` takes ``[latent, labels]`` and its
    own ``train_step`` drives built sub-models and a weightless sampler; Keras on TensorFlow builds nothing before
    tracing the step, so ``fit`` must not call the model on ``x`` alone."""
    generator = kerasport.Sequential([kerasport.Input((2,)), layers.Dense(2)])

    class Sampler(layers.Layer):
        def call(self, inputs):
            return inputs[0] + inputs[1]

    class GAN(kerasport.Model):
        def __init__(self):
            super().__init__()
            self.generator, self.sampler = generator, Sampler()
            self.tracker = kerasport.metrics.Mean(name="loss")

        def call(self, inputs):
            latent, labels = inputs
            return self.generator(self.sampler([latent, labels]))

        def train_step(self, data):
            x, y, labels = data
            self.tracker.update_state(kerasport.ops.mean(self([x, labels]) - y))
            return {"loss": self.tracker.result()}

        @property
        def metrics(self):
            return [self.tracker]

    model = GAN()
    model.compile(optimizer="adam")
    x = np.ones((4, 2), "float32")
    history = model.fit(x, np.zeros((4, 2), "float32"), sample_weight=x, batch_size=4, verbose=0)
    want = np.mean(generator.predict(2 * x, verbose=0))
    np.testing.assert_allclose(history.history["loss"], [want], rtol=1e-5)
