"""The top-level names of ``kerasport`` that Keras programs use, and the public modules' names Keras has."""
import kerasport
from tests.helpers import keras_module


def test_top_level_names():
    keras = keras_module()
    for name in ("Variable", "Initializer", "Loss", "Metric", "Optimizer", "Regularizer", "KerasTensor",
                 "name_scope", "tree"):
        assert hasattr(kerasport, name) and hasattr(keras, name)
    assert isinstance(kerasport.Input((2,)), kerasport.KerasTensor)
    assert isinstance(kerasport.losses.MeanSquaredError(), kerasport.Loss)
    assert isinstance(kerasport.metrics.Mean(), kerasport.Metric)
    assert isinstance(kerasport.optimizers.Adam(), kerasport.Optimizer)
    assert isinstance(kerasport.regularizers.L2(), kerasport.Regularizer)
    assert isinstance(kerasport.initializers.Zeros(), kerasport.Initializer)
    assert kerasport.models.save_model and kerasport.saving.get_custom_objects
    missing = {m: [n for n in dir(getattr(keras, m))
                   if not n.startswith("_") and not hasattr(getattr(kerasport, m), n)]
               for m in ("datasets", "config", "backend", "models")}
    assert missing == {"datasets": [], "config": [], "backend": [], "models": []}
