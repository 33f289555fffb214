"""keras.distillation against Keras 3: a teacher/student pair with the same weights gives the same losses, logs
and student weights over a few epochs; configs have Keras's keys; bad arguments raise clear errors."""
import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.helpers import keras_module


def _sequential(lib, units, name):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(units, activation="relu", name=f"{name}_hidden"),
                           lib.layers.Dense(6, activation="tanh", name=f"{name}_features"),
                           lib.layers.Dense(3, name=f"{name}_logits")], name=name)


def _functional(lib, depth, name):
    inputs = lib.Input((4,))
    x = inputs
    for i in range(depth):
        x = lib.layers.Dense(7, activation="relu", name=f"{name}_block{i}")(x)
    features = lib.layers.Dense(6, activation="tanh", name="features")(x)
    return lib.Model(inputs, lib.layers.Dense(3, name="logits")(features), name=name)


CASES = {
    "logits-and-features": lambda lib: dict(
        models=(_sequential(lib, 9, "teacher"), _sequential(lib, 5, "student")),
        distillation_losses=[lib.distillation.LogitsDistillation(2.0),
                             lib.distillation.FeatureDistillation("mse", "teacher_features", "student_features")],
        distillation_loss_weights=[1.0, 0.5], student_loss_weight=0.3),
    "kl-instance-functional": lambda lib: dict(
        models=(_functional(lib, 2, "teacher"), _functional(lib, 1, "student")),
        distillation_losses=[lib.distillation.LogitsDistillation(4.0, loss=lib.losses.KLDivergence()),
                             lib.distillation.FeatureDistillation("cosine_similarity", "features", "features")],
        distillation_loss_weights=None, student_loss_weight=0.5),
    "features-only-final": lambda lib: dict(
        models=(_sequential(lib, 9, "teacher"), _sequential(lib, 5, "student")),
        distillation_losses=lib.distillation.FeatureDistillation(loss=lib.losses.MeanAbsoluteError()),
        distillation_loss_weights=None, student_loss_weight=0.0),
    "student-only": lambda lib: dict(
        models=(_sequential(lib, 9, "teacher"), _sequential(lib, 5, "student")),
        distillation_losses=lib.distillation.LogitsDistillation(), distillation_loss_weights=None,
        student_loss_weight=1.0),
}


def _data():
    rng = np.random.RandomState(0)
    return rng.randn(24, 4).astype("float32"), rng.randint(0, 3, 24)


def _distiller(lib, case, weights=None):
    args = CASES[case](lib)
    teacher, student = args.pop("models")
    if weights is not None:
        teacher.set_weights(weights[0])
        student.set_weights(weights[1])
    distiller = lib.distillation.Distiller(teacher, student, **args)
    distiller.compile(optimizer=lib.optimizers.Adam(0.01),
                      loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return distiller


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_matches_keras(case):
    keras = keras_module()
    x, y = _data()
    theirs = _distiller(keras, case)
    ours = _distiller(kerasport, case, (theirs.teacher.get_weights(), theirs.student.get_weights()))
    teacher_before = ours.teacher.get_weights()
    want = theirs.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False).history
    got = ours.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False).history
    assert sorted(got) == sorted(want) == ["accuracy", "distillation_loss", "loss", "student_loss", "total_loss"]
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=2e-5, atol=1e-6, err_msg=key)
    for o, k in zip(ours.student.get_weights(), theirs.student.get_weights()):
        np.testing.assert_allclose(o, k, rtol=2e-5, atol=2e-6)
    for o, k in zip(ours.teacher.get_weights(), teacher_before):
        np.testing.assert_array_equal(o, k)  # the teacher is frozen
    assert [v.path for v in ours.trainable_weights] == [v.path for v in theirs.trainable_weights]
    np.testing.assert_allclose(B.convert_to_numpy(ours.predict(x, verbose=0)),
                               np.asarray(theirs.predict(x, verbose=0)), rtol=1e-4, atol=2e-5)
    got_eval = ours.evaluate(x, y, verbose=0, return_dict=True)
    want_eval = theirs.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(got_eval) == sorted(want_eval)
    for key in want_eval:
        np.testing.assert_allclose(got_eval[key], want_eval[key], rtol=2e-5, atol=1e-6, err_msg=key)


def test_distillation_losses_match_keras_directly():
    keras = keras_module()
    rng = np.random.RandomState(3)
    teacher, student = rng.randn(5, 4).astype("float32"), rng.randn(5, 4).astype("float32")
    pairs = [(lambda lib: lib.distillation.LogitsDistillation()),
             (lambda lib: lib.distillation.LogitsDistillation(2.5, lib.losses.KLDivergence())),
             (lambda lib: lib.distillation.LogitsDistillation(1.5, "categorical_crossentropy")),
             (lambda lib: lib.distillation.FeatureDistillation(["mse", None, "cosine_similarity"]))]
    for make in pairs:
        ours, theirs = make(kerasport), make(keras)
        if isinstance(ours.loss, list):
            t, s = [teacher, teacher * 2, teacher + 1], [student, student, student * 3]
        else:
            t, s = teacher, student
        got = float(B.convert_to_numpy(ours.compute_loss(t, s)))
        want = float(np.asarray(theirs.compute_loss(t, s)))
        assert got == pytest.approx(want, rel=1e-5)


def test_configs_match_keras_and_round_trip():
    keras = keras_module()
    ours, theirs = _distiller(kerasport, "logits-and-features"), _distiller(keras, "logits-and-features")
    config, keras_config = ours.get_config(), theirs.get_config()
    assert sorted(config) == sorted(keras_config)
    for key in ("distillation_loss_weights", "student_loss_weight", "name", "trainable"):
        assert config[key] == keras_config[key]
    for mine, keras_loss in zip(config["distillation_losses"], keras_config["distillation_losses"]):
        assert mine["class_name"] == keras_loss["class_name"]
        assert sorted(mine["config"]) == sorted(keras_loss["config"])
    clone = kerasport.distillation.Distiller.from_config(config)
    assert [type(d) for d in clone.distillation_losses] == [type(d) for d in ours.distillation_losses]
    assert clone.distillation_losses[1].teacher_layer_name == "teacher_features"
    assert clone.distillation_losses[0].temperature == 2.0
    assert clone.student_loss_weight == 0.3 and clone.distillation_loss_weights == [1.0, 0.5]
    assert not clone.teacher.trainable and [w.shape for w in clone.student.weights] == \
        [w.shape for w in ours.student.weights]
    from_keras = kerasport.distillation.Distiller.from_config(keras_config)
    assert type(from_keras.distillation_losses[0].loss) is type(clone.distillation_losses[0].loss)
    for cls in ("LogitsDistillation", "FeatureDistillation"):
        loss = getattr(kerasport.distillation, cls)()
        assert sorted(loss.get_config()) == sorted(getattr(keras.distillation, cls)().get_config())
        assert loss.from_config(loss.get_config()).get_config() == loss.get_config()


def test_bad_arguments():
    d = kerasport.distillation
    teacher, student = _sequential(kerasport, 9, "teacher"), _sequential(kerasport, 5, "student")
    logits = d.LogitsDistillation()
    with pytest.raises(ValueError, match="Teacher must be a keras.Model"):
        d.Distiller(kerasport.layers.Dense(3), student, logits)
    with pytest.raises(ValueError, match="between 0.0 and 1.0"):
        d.Distiller(teacher, student, logits, student_loss_weight=1.5)
    with pytest.raises(ValueError, match="cannot be `None`"):
        d.Distiller(teacher, student, None)
    with pytest.raises(ValueError, match=r"distillation_loss_weights \(1\) must match"):
        d.Distiller(teacher, student, [logits, d.FeatureDistillation()], [1.0])
    with pytest.raises(ValueError, match="In teacher model: No such layer: 'nope'"):
        d.Distiller(teacher, student, d.FeatureDistillation(teacher_layer_name="nope"))
    other = kerasport.Sequential([kerasport.Input((4,)), kerasport.layers.Dense(5)])
    with pytest.raises(ValueError, match="output shapes are incompatible"):
        d.Distiller(teacher, other, logits)
    inputs = kerasport.Input((4,))
    two_outputs = kerasport.Model(inputs, [kerasport.layers.Dense(3)(inputs), kerasport.layers.Dense(3)(inputs)])
    with pytest.raises(ValueError, match="same number of outputs"):
        d.Distiller(teacher, two_outputs, logits)
    with pytest.raises(ValueError, match="temperature must be positive"):
        d.LogitsDistillation(temperature=0)
    with pytest.raises(ValueError, match="temperature must be a number"):
        d.LogitsDistillation(temperature="3")
    with pytest.raises(ValueError, match="at least one non-`None`"):
        d.FeatureDistillation(loss=[None, None])
    with pytest.raises(ValueError, match="Unknown loss"):
        d.LogitsDistillation(loss="nope")
    distiller = d.Distiller(teacher, student, logits)
    with pytest.raises(ValueError, match="'loss' cannot be `None`"):
        distiller.compile(optimizer="adam")
    with pytest.raises(ValueError, match="metrics must be a list or tuple"):
        distiller.compile(optimizer="adam", loss="mse", metrics="accuracy")
    with pytest.raises(NotImplementedError):
        d.DistillationLoss().compute_loss(1.0, 1.0)


@pytest.mark.parametrize("writer", ["kerasport", "keras"])
def test_keras_file_round_trip(tmp_path, writer):
    """A trained Distiller saved to ``.keras`` (by kerasport or Keras) loads with its teacher, student and losses;
    like Keras, loading leaves it uncompiled (its ``compile`` is custom), with a warning."""
    keras = keras_module()
    x, y = _data()
    source = _distiller(kerasport if writer == "kerasport" else keras, "logits-and-features")
    source.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    path = str(tmp_path / "distiller.keras")
    source.save(path)
    with pytest.warns(UserWarning, match="compile"):
        loaded = kerasport.saving.load_model(path)
    assert type(loaded) is kerasport.distillation.Distiller and not loaded.compiled
    assert [type(d).__name__ for d in loaded.distillation_losses] == ["LogitsDistillation", "FeatureDistillation"]
    assert not loaded.teacher.trainable
    for model in ("teacher", "student"):
        for a, b in zip(getattr(loaded, model).get_weights(), getattr(source, model).get_weights()):
            np.testing.assert_array_equal(a, np.asarray(b))
    np.testing.assert_allclose(B.convert_to_numpy(loaded.predict(x, verbose=0)),
                               np.asarray(B.convert_to_numpy(source.predict(x, verbose=0))), rtol=1e-6, atol=1e-6)
