"""Muon and ScheduleFreeAdamW against Keras: same updates and optimizer variables, config, fit, saved state."""
import numpy as np
import pytest

import kerasport
from kerasport import optimizers
from kerasport.backends import B
from tests.optimizers.optimizer_checks import (
    apply_steps, check_fit_matches_keras, check_same_state, check_saved_model_keeps_optimizer_state, gradients,
    initial_values, make_variables)

# (3, 4) and (5, 3) take Muon's step (wide and tall), the others AdamW's: 1-D, 3-D, "embedding" in the path.
VARIABLES = [("dense/kernel", (3, 4)), ("dense/bias", (4,)), ("tall/kernel", (5, 3)), ("conv/kernel", (2, 3, 4)),
             ("token_Embedding/embeddings", (6, 3)), ("output_dense/kernel", (3, 2))]
PATHS, SHAPES = [p for p, _ in VARIABLES], [s for _, s in VARIABLES]

CASES = [
    ("Muon", {}), ("Muon", {"learning_rate": 0.02, "exclude_layers": ["output_.*"], "weight_decay": 0.1}),
    ("Muon", {"nesterov": False, "rms_rate": None, "adam_lr_ratio": 0.1, "adam_weight_decay": None}),
    ("Muon", {"exclude_embeddings": False, "ns_steps": 3, "momentum": 0.9, "weight_decay": None}),
    ("Muon", {"clipnorm": 0.5, "use_ema": True, "gradient_accumulation_steps": 2}),
    ("ScheduleFreeAdamW", {}), ("ScheduleFreeAdamW", {"learning_rate": 0.01, "warmup_steps": 3, "beta_1": 0.5}),
    ("ScheduleFreeAdamW", {"weight_decay": 0.05, "beta_2": 0.99, "epsilon": 1e-6, "global_clipnorm": 1.0}),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES])
def test_same_updates_and_variables_as_keras(keras, name, kwargs):
    grads = gradients(SHAPES, 5)
    opt, kopt = getattr(optimizers, name)(**kwargs), getattr(keras.optimizers, name)(**kwargs)
    ours = apply_steps(kerasport, opt, initial_values(SHAPES), grads, PATHS)
    theirs = apply_steps(keras, kopt, initial_values(SHAPES), grads, PATHS)
    check_same_state(ours, opt, theirs, kopt, rtol=2e-5, atol=2e-6)
    assert [v.path.split("/")[-1] for v in opt.variables] == [v.path.split("/")[-1] for v in kopt.variables]


def test_muon_splits_variables_as_keras(keras):
    variables = make_variables(kerasport, initial_values(SHAPES), PATHS)
    kvars = make_variables(keras, initial_values(SHAPES), PATHS)
    for kwargs in ({"exclude_layers": ["^output"]}, {"exclude_embeddings": False}, {"exclude_layers": ["dense"]}):
        ours, theirs = optimizers.Muon(**kwargs), keras.optimizers.Muon(**kwargs)
        assert [ours._should_use_adamw(v) for v in variables] == [theirs._should_use_adamw(k) for k in kvars]
    assert [optimizers.Muon(exclude_layers=["^output"])._should_use_adamw(v) for v in variables] == \
        [False, True, False, True, True, True]


def test_muon_orthogonalises():
    """Newton-Schulz takes a matrix close to the orthogonal factor of its SVD: singular values near 1."""
    x = np.random.RandomState(0).randn(8, 5).astype("float32")
    out = B.convert_to_numpy(optimizers.Muon(ns_steps=10).zeropower_via_newtonschulz5(B.convert_to_tensor(x), 10))
    assert out.shape == (8, 5)
    singular = np.linalg.svd(out, compute_uv=False)
    assert np.all(singular > 0.6) and np.all(singular < 1.3), singular
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    assert np.abs(out - u @ vt).max() < 0.35


@pytest.mark.parametrize("name", ["Muon", "ScheduleFreeAdamW"])
def test_config_matches_keras_and_round_trips(keras, name):
    kwargs = {"exclude_layers": ["head"], "rms_rate": None} if name == "Muon" else {"warmup_steps": 4}
    opt = getattr(optimizers, name)(**kwargs)
    config = {k: v for k, v in opt.get_config().items() if k != "name"}
    keras_config = getattr(keras.optimizers, name)(**kwargs).get_config()
    assert set(config) == set(keras_config) - {"name"}
    for key, value in config.items():
        assert value == pytest.approx(keras_config[key]) if isinstance(value, float) else value == keras_config[key]
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert type(clone) is type(opt)
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == config
    assert type(optimizers.get(name.lower())) is type(opt)


def _model(lib, optimizer):
    """Muon's three kinds of variables: a 2-D kernel, an "embedding" one and an excluded output layer's (AdamW).
    (A Dense layer stands in for an Embedding, whose repeated indices Keras-on-TensorFlow squares slice by
    slice in Adam's second moment.)"""
    inputs = lib.Input((4,))
    x = lib.layers.Dense(6, name="token_embedding")(inputs)
    x = lib.layers.Dense(5, activation="tanh")(x)
    outputs = lib.layers.Dense(2, name="output_dense")(x)
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _data():
    rng = np.random.RandomState(0)
    return rng.randn(16, 4).astype("float32"), rng.randn(16, 2).astype("float32")


def _optimizer(lib, name):
    if name == "Muon":
        return lib.optimizers.Muon(learning_rate=0.01, exclude_layers=["output_dense"])
    return lib.optimizers.ScheduleFreeAdamW(learning_rate=0.01, warmup_steps=2)


@pytest.mark.parametrize("name", ["Muon", "ScheduleFreeAdamW"])
def test_fit_matches_keras(keras, name):
    """Through the compiled train step (``tf.function`` on TensorFlow)."""
    check_fit_matches_keras(keras, lambda lib: _model(lib, _optimizer(lib, name)), *_data())


@pytest.mark.parametrize("name", ["Muon", "ScheduleFreeAdamW"])
@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_saved_model_keeps_optimizer_state(tmp_path, name, ext):
    check_saved_model_keeps_optimizer_state(_model(kerasport, _optimizer(kerasport, name)), *_data(),
                                            str(tmp_path / f"model.{ext}"))


@pytest.mark.parametrize("name,kwargs,match", [
    ("Muon", {"exclude_layers": "output"}, "exclude_layers"),
    ("Muon", {"exclude_layers": [3]}, "exclude_layers"),
    ("Muon", {"ns_steps": 2.5}, "ns_steps"),
    ("Muon", {"rms_rate": "0.2"}, "rms_rate"),
    ("Muon", {"bogus": 1}, "not recognized"),
    ("ScheduleFreeAdamW", {"beta_1": 0.0}, "beta_1"),
    ("ScheduleFreeAdamW", {"warmup_steps": -1}, "warmup_steps"),
])
def test_bad_arguments(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(optimizers, name)(**kwargs)


@pytest.mark.parametrize("name", ["Muon", "ScheduleFreeAdamW"])
def test_keras_written_file_loads_with_optimizer_state(keras, tmp_path, name):
    """A compiled model Keras saved (``.keras``) loads with the optimizer's class, config and slots, and goes on
    training as Keras does."""
    x, y = _data()
    theirs = _model(keras, _optimizer(keras, name))
    theirs.optimizer.build(theirs.trainable_variables)
    theirs.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    path = str(tmp_path / "keras_model.keras")
    theirs.save(path)
    ours = kerasport.saving.load_model(path)
    assert type(ours.optimizer) is getattr(optimizers, name)
    assert len(ours.optimizer.variables) == len(theirs.optimizer.variables)
    for o, k in zip(ours.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_allclose(B.convert_to_numpy(o), k.numpy(), rtol=1e-6)
    want = theirs.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False).history["loss"]
    got = ours.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)
