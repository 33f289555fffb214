"""Keras idioms from keras.io guides, run by real Keras 3 and by kerasport, that must agree.

Same harness as ``tests/test_keras_programs.py``: each ``program(keras, sync)`` takes the API
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
from tests.test_keras_programs import _data, check_program, program_id
from tests.test_keras_programs_more import _gradient_step


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


PROGRAMS = [dict_inputs_and_targets_any_order, dict_data_for_list_inputs_and_outputs,
            metric_attributes_tracked_and_reset, metrics_structure_of_compiled_models,
            plain_loss_functions_align_ranks, plain_loss_function_on_sequences]


@pytest.mark.parametrize("program", PROGRAMS, ids=program_id)
def test_program_gives_keras_numbers(program):
    check_program(program)
