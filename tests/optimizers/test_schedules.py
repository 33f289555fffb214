"""Learning-rate schedules: Keras's values for Python and tensor steps, and the config round trip."""
import numpy as np
import pytest

from kerasport.backends import B
from kerasport.optimizers import schedules
from tests.helpers import keras_module

CASES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.5}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.5, "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [5, 12], "values": [1.0, 0.5, 0.1]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "power": 2.0}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "cycle": True, "power": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5, "staircase": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 20, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 20, "warmup_target": 0.2, "warmup_steps": 5}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 4}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 4, "t_mul": 1.0, "m_mul": 0.5,
                             "alpha": 0.1}),
]
STEPS = list(range(0, 40, 3))


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_values_match_keras(name, kwargs):
    keras = keras_module()
    ours, theirs = getattr(schedules, name)(**kwargs), getattr(keras.optimizers.schedules, name)(**kwargs)
    expected = [float(theirs(step)) for step in STEPS]
    python = [ours(step) for step in STEPS]
    assert all(isinstance(v, float) for v in python), "a Python step must give a Python float"
    np.testing.assert_allclose(python, expected, rtol=1e-6, atol=1e-8)
    tensor = [float(B.convert_to_numpy(ours(B.convert_to_tensor(step, "int64")))) for step in STEPS]
    np.testing.assert_allclose(tensor, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name,kwargs", CASES[::2], ids=[n for n, _ in CASES[::2]])
def test_serialize_round_trip_and_keras_config(name, kwargs):
    keras = keras_module()
    schedule = getattr(schedules, name)(**kwargs)
    config = schedules.serialize(schedule)
    clone = schedules.deserialize(config)
    assert type(clone) is type(schedule) and clone.get_config() == schedule.get_config()
    assert schedule.get_config() == getattr(keras.optimizers.schedules, name)(**kwargs).get_config()
    assert keras.optimizers.schedules.deserialize(config).get_config() == schedule.get_config()


def test_invalid_arguments():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="1 less"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1])
