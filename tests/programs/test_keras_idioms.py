"""Keras idioms from keras.io guides, run by real Keras 3 and by kerasport, that must agree.

Same harness as ``tests/programs/test_keras_programs.py``: each ``program(keras, sync)`` takes the API
module, Keras runs first, ``sync(model)`` hands its initial weights to kerasport's model, and
everything returned must agree. Programs here cover dict inputs/targets in any key order,
metric trackers on subclassed models (VAE / GAN guides), plain loss functions with ranks that
differ, ``Sequential`` models built at construction, ``model.losses``, ``PyDataset`` epoch
hooks, ``steps_per_epoch`` beyond the data, and the smaller things users see (``summary()``,
``jit_compile``, variable names, exception types).
"""
import warnings

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import _data, _summary_totals, check_program, program_id
from tests.programs.test_guide_programs import _gradient_step


# ---------------------------------------------------------------------------------------------- dict data


def _two_input_model(keras):
    alpha = keras.Input((3,), name="alpha")
    beta = keras.Input((5,), name="beta")
    h = keras.layers.Concatenate()([keras.layers.Dense(4, name="da")(alpha), keras.layers.Dense(2, name="db")(beta)])
    return keras.Model({"beta": beta, "alpha": alpha},
                       {"zeta": keras.layers.Dense(1, name="zeta")(h), "eta": keras.layers.Dense(2, name="eta")(h)})


def _dict_data(n=24, seed=1):
    rng = np.random.RandomState(seed)
    x = {"beta": rng.randn(n, 5).astype("float32"), "alpha": rng.randn(n, 3).astype("float32")}
    y = {"zeta": rng.randn(n, 1).astype("float32"), "eta": rng.randn(n, 2).astype("float32")}
    return x, y


def dict_inputs_and_targets_any_order(keras, sync):
    x, y = _dict_data()
    model = _two_input_model(keras)
    sync(model)
    model.compile(optimizer="sgd", loss={"zeta": "mse", "eta": "mae"}, loss_weights={"eta": 0.5, "zeta": 2.0})
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                        validation_data=({"alpha": x["alpha"][:8], "beta": x["beta"][:8]},
                                         {"eta": y["eta"][:8], "zeta": y["zeta"][:8]}))
    reordered_x = {"alpha": x["alpha"], "beta": x["beta"]}
    reordered_y = {"eta": y["eta"], "zeta": y["zeta"]}
    return {"history": history.history,
            "evaluate": model.evaluate(reordered_x, reordered_y, verbose=0, return_dict=True),
            "predict": model.predict(reordered_x, verbose=0),
            "train_on_batch": model.train_on_batch(x, reordered_y, return_dict=True),
            "test_on_batch": model.test_on_batch(reordered_x, y, return_dict=True),
            "predict_on_batch": model.predict_on_batch(x)}


def dict_data_for_list_inputs_and_outputs(keras, sync):
    rng = np.random.RandomState(2)
    x = {"zz_text": rng.randn(16, 4).astype("float32"), "aa_meta": rng.randn(16, 7).astype("float32")}
    y = {"zz_out": rng.randn(16, 1).astype("float32"), "aa_out": rng.randn(16, 3).astype("float32")}
    text = keras.Input((4,), name="zz_text")
    meta = keras.Input((7,), name="aa_meta")
    h = keras.layers.Concatenate()([text, meta])
    model = keras.Model([text, meta], [keras.layers.Dense(1, name="zz_out")(h), keras.layers.Dense(3, name="aa_out")(h)])
    sync(model)
    model.compile(optimizer="adam", loss=["mse", "mae"], metrics=[["mae"], ["mse"]])
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(x, verbose=0),
            "evaluate": model.evaluate(x, y, verbose=0, return_dict=True)}


def test_dict_data_with_a_missing_key_names_it():
    x, y = _dict_data(8)
    model = _two_input_model(kerasport)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"expected keys \['alpha', 'beta'\], missing 'beta'"):
        model.fit({"alpha": x["alpha"]}, y, verbose=0)
    with pytest.raises(ValueError, match=r"expected keys \['alpha', 'beta'\], missing 'beta'"):
        model.predict({"alpha": x["alpha"]}, verbose=0)
    with pytest.raises(ValueError, match=r"\['eta', 'zeta'\], missing 'zeta'"):
        model.fit(x, {"eta": y["eta"]}, verbose=0)
    with pytest.raises(ValueError, match=r"unknown key\(s\) 'omega'.*\['eta', 'zeta'\]"):
        model.evaluate(x, dict(y, omega=y["eta"]), verbose=0)
    alpha, beta = kerasport.Input((3,), name="alpha"), kerasport.Input((5,), name="beta")
    listed = kerasport.Model([alpha, beta], kerasport.layers.Dense(1)(kerasport.layers.Concatenate()([alpha, beta])))
    with pytest.raises(ValueError, match=r"expected keys \['alpha', 'beta'\], missing 'beta'"):
        listed.predict({"alpha": x["alpha"]}, verbose=0)


def test_dict_data_with_an_unknown_key_names_it_before_anything_changes():
    """Keras 3 raises for an unknown target key and only warns of an unknown input key (then ignores it);
    kerasport raises for both, naming the key and the expected ones, before a callback runs or a weight moves."""
    x, y = _dict_data(8)
    model = _two_input_model(kerasport)
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    seen = []
    spy = kerasport.callbacks.LambdaCallback(on_train_begin=lambda logs: seen.append("train"),
                                             on_test_begin=lambda logs: seen.append("test"))
    extra_x, extra_y = dict(x, gamma=x["alpha"]), dict(y, omega=y["eta"])
    x_error = r"unknown key\(s\) 'gamma'.*\['alpha', 'beta'\]"
    y_error = r"unknown key\(s\) 'omega'.*\['eta', 'zeta'\]"

    def batches(inputs, targets):
        yield inputs, targets

    calls = [
        (x_error, lambda: model.fit(extra_x, y, callbacks=[spy], verbose=0)),
        (x_error, lambda: model.fit(batches(extra_x, y), callbacks=[spy], verbose=0)),
        (x_error, lambda: model.fit(x, y, validation_data=(extra_x, y), callbacks=[spy], verbose=0)),
        (x_error, lambda: model.evaluate(extra_x, y, callbacks=[spy], verbose=0)),
        (x_error, lambda: model.predict(extra_x, verbose=0)),
        (x_error, lambda: model.train_on_batch(extra_x, y)),
        (x_error, lambda: model.test_on_batch(extra_x, y)),
        (x_error, lambda: model.predict_on_batch(extra_x)),
        (x_error, lambda: model(extra_x)),
        (y_error, lambda: model.fit(x, extra_y, callbacks=[spy], verbose=0)),
        (y_error, lambda: model.fit(batches(x, extra_y), callbacks=[spy], verbose=0)),
        (y_error, lambda: model.fit(x, y, validation_data=(x, extra_y), callbacks=[spy], verbose=0)),
        (y_error, lambda: model.evaluate(x, extra_y, callbacks=[spy], verbose=0)),
        (y_error, lambda: model.train_on_batch(x, extra_y)),
        (y_error, lambda: model.test_on_batch(x, extra_y)),
    ]
    for error, call in calls:
        with pytest.raises(ValueError, match=error):
            call()
    assert seen == []
    assert model.optimizer.iterations.numpy() == 0
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)


# ---------------------------------------------------------------------------------------------- metrics


def metric_attributes_tracked_and_reset(keras, sync):
    """The VAE / GAN guides' idiom: trackers held as attributes, updated by a custom ``train_step``;
    Keras tracks them without a ``metrics`` override, logs them and resets them each epoch."""

    class Regressor(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = keras.layers.Dense(5, activation="tanh")
            self.head = keras.layers.Dense(1)
            self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
            self.target_sum = keras.metrics.Sum(name="target_sum")

        def call(self, inputs):
            return self.head(self.hidden(inputs))

        def train_step(self, data):
            x, y = data
            loss, _ = _gradient_step(keras, self, x, y)
            self.total_loss_tracker.update_state(loss)
            self.target_sum.update_state(y)
            return {"total_loss": self.total_loss_tracker.result(), "target_sum": self.target_sum.result()}

    rng = np.random.RandomState(3)
    x = rng.randn(24, 4).astype("float32")
    y = x[:, :1] - 0.5 * x[:, 1:2]
    model = Regressor()
    model(x[:1])
    sync(model)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return {"history": history.history, "metrics_names": model.metrics_names,
            "types": [type(m).__name__ for m in model.metrics], "evaluate": model.evaluate(x, y, verbose=0)}


def metrics_structure_of_compiled_models(keras, sync):
    x, y = _data(16, seed=4)
    inputs = keras.Input((6,))
    model = keras.Model(inputs, [keras.layers.Dense(3, name="a")(inputs), keras.layers.Dense(1, name="b")(inputs)])
    sync(model)
    out = {"before_compile": model.metrics_names}
    model.compile(optimizer="sgd", loss=["mse", "mse"], metrics=[["mae"], []])
    out["compiled"] = model.metrics_names
    out["types"] = [type(m).__name__ for m in model.metrics]
    targets = [keras.utils.to_categorical(y, 3), x[:, :1]]
    model.fit(x, targets, batch_size=8, shuffle=False, verbose=0)
    out["after_fit"] = model.metrics_names
    out["evaluate"] = model.evaluate(x, targets, verbose=0)
    out["evaluate_dict"] = model.evaluate(x, targets, verbose=0, return_dict=True)
    model.compile(optimizer="sgd", loss=["mse", "mse"])
    out["recompiled_without_metrics"] = model.metrics_names
    out["evaluate_recompiled"] = model.evaluate(x, targets, verbose=0, return_dict=True)
    return out


# ---------------------------------------------------------------------------------------------- plain loss functions


def plain_loss_functions_align_ranks(keras, sync):
    """A ``(N,)`` target against an ``(N, 1)`` prediction: Keras's ``LossFunctionWrapper`` expands the
    target to ``(N, 1)`` instead of broadcasting the difference to ``(N, N)``."""
    ops = keras.ops

    def custom_mse(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    rng = np.random.RandomState(5)
    x = rng.randn(24, 3).astype("float32")
    y = (x[:, 0] - x[:, 2]).astype("float32")
    sw = rng.rand(24).astype("float32")
    out = {}
    for name, loss in [("custom", custom_mse), ("lambda", lambda t, p: ops.abs(t - p)),
                       ("keras_function", keras.losses.mean_squared_error), ("name", "huber")]:
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        sync(model)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
        history = model.fit(x, y, sample_weight=sw, batch_size=8, epochs=2, shuffle=False, verbose=0)
        out[name] = {"history": history.history, "evaluate": model.evaluate(x, y, verbose=0),
                     "weighted": model.evaluate(x, y, sample_weight=sw, verbose=0)}
    return out


def plain_loss_function_on_sequences(keras, sync):
    """Rank alignment squeezes a trailing 1 of the prediction when the target has rank 2."""
    ops = keras.ops

    def sequence_loss(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    rng = np.random.RandomState(6)
    x = rng.randn(12, 5, 2).astype("float32")
    y = x.sum(-1)
    model = keras.Sequential([keras.Input((5, 2)), keras.layers.Dense(1)])
    sync(model)
    model.compile(optimizer="sgd", loss=sequence_loss)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(x[:2], verbose=0)}


# ---------------------------------------------------------------------------------------------- model.losses


def model_losses_at_every_point(keras, sync):
    """``model.losses`` holds the ``add_loss`` terms of the last call (and the weight regularizers),
    never those of a symbolic call or of shape inference. (After ``fit`` Keras on TensorFlow holds
    the traced step's symbolic terms, so only their number is compared there.)"""
    ops = keras.ops

    class ActivityPenalty(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.01 * ops.sum(ops.square(inputs)))
            return inputs

    class Subclassed(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.1))
            self.penalty = ActivityPenalty()

        def call(self, inputs):
            return self.penalty(self.dense(inputs))

    rng = np.random.RandomState(7)
    x = rng.randn(8, 3).astype("float32")
    y = rng.randn(8, 2).astype("float32")
    out = {}
    inputs = keras.Input((3,))
    functional = keras.Model(inputs, ActivityPenalty()(keras.layers.Dense(2, kernel_regularizer="l2")(inputs)))
    subclassed = Subclassed()
    subclassed(x[:1])
    for name, model in [("functional", functional), ("subclassed", subclassed)]:
        out[f"{name}_built"] = len(model.losses)  # (the subclassed model's terms come from weights before sync)
        sync(model)
        model(x[:4])
        out[f"{name}_called"] = [ops.convert_to_numpy(v) for v in model.losses]
        model.compile(optimizer="sgd", loss="mse")
        out[f"{name}_fit"] = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history
        out[f"{name}_after_fit"] = len(model.losses)
        model.predict(x, verbose=0)
        out[f"{name}_after_predict"] = len(model.losses)
        model.evaluate(x, y, verbose=0)
        out[f"{name}_after_evaluate"] = len(model.losses)
    return out


# ---------------------------------------------------------------------------------------------- data iteration


def py_dataset_epoch_hooks(keras, sync):
    """``PyDataset.on_epoch_end`` is called as Keras calls it, in the same order as the callbacks."""
    events = []

    class Batches(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return len(self.x) // self.batch_size

        def __getitem__(self, index):
            part = slice(index * self.batch_size, (index + 1) * self.batch_size)
            return self.x[part], self.y[part]

        def on_epoch_end(self):
            events.append("dataset.on_epoch_end")

    class Recorder(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch_begin {epoch}")

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end {epoch}")

        def on_train_end(self, logs=None):
            events.append("train_end")

    x, y = _data(24, seed=8)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    sync(model)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(Batches(x, y, 8), epochs=3, verbose=0, callbacks=[Recorder()])
    events.append("evaluate")
    model.evaluate(Batches(x, y, 8), verbose=0)
    events.append("predict")
    model.predict(Batches(x, y, 8), verbose=0)
    return {"history": history.history, "events": " | ".join(events)}


def steps_per_epoch_beyond_the_data(keras, sync):
    """More ``steps_per_epoch`` than the data holds: Keras warns that the input ran out of data and
    stops, with the batches it had."""
    x, y = _data(24, seed=9)

    def batches():
        for start in range(0, 24, 8):
            yield x[start:start + 8], y[start:start + 8]

    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    sync(model)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    out = {}
    runs = [("generator", lambda: model.fit(batches(), steps_per_epoch=5, epochs=1, verbose=0)),
            ("arrays", lambda: model.fit(x, y, batch_size=8, steps_per_epoch=5, epochs=2, shuffle=False, verbose=0)),
            ("arrays_across_passes",
             lambda: model.fit(x, y, batch_size=8, steps_per_epoch=2, epochs=3, shuffle=False, verbose=0)),
            ("validation_steps", lambda: model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                                                   validation_data=(x, y), validation_steps=2))]
    for name, run in runs:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = run()
        out[name] = {"history": history.history,
                     "ran_out": sum("ran out of data" in str(w.message) for w in caught)}
    out["weights"] = model.get_weights()
    return out


def generator_of_bare_arrays_to_predict(keras, sync):
    """Keras takes ``(x,)`` tuples from a generator and refuses bare arrays (ambiguous with ``(x, y)``)."""
    x, _ = _data(20, seed=10)

    def inputs_only():
        for start in range(0, 20, 6):
            yield x[start:start + 6]

    def one_tuples():
        for start in range(0, 20, 6):
            yield (x[start:start + 6],)

    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2)])
    sync(model)
    try:
        model.predict(inputs_only(), verbose=0)
        bare = "accepted"
    except ValueError as e:
        bare = "refused: must yield tuples" if "tuple" in str(e) else str(e)
    return {"bare": bare, "tuples": model.predict(one_tuples(), verbose=0),
            "steps": model.predict(one_tuples(), steps=2, verbose=0)}


# ---------------------------------------------------------------------------------------------- Sequential


def sequential_around_a_base_model(keras, sync):
    """The transfer-learning guide: a ``Sequential`` whose first layer is a model is built at once, so
    ``summary()``, ``count_params()``, ``get_weights()`` and ``set_weights()`` work before ``fit``."""
    x, y = _data(16, seed=11)
    base = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.BatchNormalization()], name="base")
    inputs = keras.Input((6,))
    functional_base = keras.Model(inputs, keras.layers.Dense(5)(inputs), name="functional_base")
    out = {}
    for name, first in [("sequential_base", base), ("functional_base", functional_base)]:
        first.trainable = False
        model = keras.Sequential([first, keras.layers.Dense(1, activation="sigmoid")])
        out[name] = {"built": model.built, "params": model.count_params(), "summary": _summary_totals(model),
                     "n_weights": len(model.get_weights()), "trainable": len(model.trainable_weights)}
        sync(model)
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        out[name]["history"] = model.fit(x, (y > 0).astype("float32"), batch_size=8, epochs=2, shuffle=False,
                                         verbose=0).history
    return out


# ---------------------------------------------------------------------------------------------- small things


def smaller_differences(keras, sync):
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    sync(model)
    out = {"jit_before_compile": model.jit_compile}
    model.compile(optimizer="sgd", loss="mse")
    out["jit_auto"] = model.jit_compile
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    out["jit_true"] = model.jit_compile
    model.jit_compile = False
    out["jit_set"] = model.jit_compile
    out["weight_paths"] = [w.path for w in model.weights]
    out["weight_names"] = [w.name for w in model.weights]  # on TensorFlow too: "kernel", not "kernel:0"
    model.optimizer.build(model.trainable_variables)
    out["optimizer_variable_names"] = [v.name for v in model.optimizer.variables]
    try:
        keras.Sequential().pop()
        out["pop_empty"] = "no error"
    except Exception as e:  # noqa: BLE001 -- the exception's type is what is compared
        out["pop_empty"] = type(e).__name__
    return out


def summary_text_as_keras(keras, sync):
    """``summary()`` prints Keras 3's table and totals with byte sizes, character for character."""
    x, y = _data(8, seed=12)
    sequential = keras.Sequential([keras.Input((6,)), keras.layers.Dense(300), keras.layers.BatchNormalization(),
                                   keras.layers.Dense(3, activation="softmax")], name="seq")
    a, b = keras.Input((6,), name="a"), keras.Input((3,), name="b")
    h = keras.layers.Concatenate(name="concatenate")([keras.layers.Dense(4, name="hidden")(a), b])
    functional = keras.Model([a, b], [keras.layers.Dense(2, name="o1")(h), keras.layers.Dense(1, name="o2")(h)],
                             name="two_in_two_out")
    nested = keras.Sequential([sequential, keras.layers.Dense(1, name="head")], name="nested")
    out = {}
    for name, model in [("sequential", sequential), ("functional", functional), ("nested", nested)]:
        for options in [{}, {"show_trainable": True}, {"line_length": 100}]:
            lines = []
            model.summary(print_fn=lambda text, *args, **kwargs: lines.append(text), **options)
            out[f"{name}_{sorted(options)}"] = "".join(lines)
    sync(sequential)
    sequential.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    sequential.fit(x, y, batch_size=4, verbose=0)
    lines = []
    sequential.summary(print_fn=lambda text, *args, **kwargs: lines.append(text))
    out["after_fit"] = "".join(lines)
    return out


PROGRAMS = [dict_inputs_and_targets_any_order, dict_data_for_list_inputs_and_outputs,
            metric_attributes_tracked_and_reset, metrics_structure_of_compiled_models,
            plain_loss_functions_align_ranks, plain_loss_function_on_sequences, model_losses_at_every_point,
            py_dataset_epoch_hooks, steps_per_epoch_beyond_the_data, generator_of_bare_arrays_to_predict,
            sequential_around_a_base_model, smaller_differences, summary_text_as_keras]


@pytest.mark.parametrize("program", PROGRAMS, ids=program_id)
def test_program_gives_keras_numbers(program):
    check_program(program)
