"""The top-level names of ``kerasport`` that Keras programs use, and the public modules' names Keras has."""
import kerasport
from tests.helpers import keras_module


def test_top_level_names():
    keras = keras_module()
    for name in ("Variable", "Initializer", "Loss", "Metric", "Optimizer", "Regularizer", "KerasTensor",
                 "name_scope", "tree", "Quantizer", "device", "remat", "RematScope", "SymbolicScope"):
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
               for m in ("datasets", "config", "backend", "models", "wrappers", "visualization", "quantizers")}
    assert missing == {m: [] for m in ("datasets", "config", "backend", "models", "wrappers", "visualization",
                                       "quantizers")}


def test_initializers_have_keras_names():
    keras = keras_module()
    missing = [n for n in dir(keras.initializers) if not n.startswith("_") and not hasattr(kerasport.initializers, n)]
    assert missing == []
    assert kerasport.initializers.OrthogonalInitializer is kerasport.initializers.Orthogonal
    assert isinstance(kerasport.initializers.get("IdentityInitializer"), kerasport.initializers.Identity)
    assert kerasport.initializers.serialize(kerasport.initializers.get("OrthogonalInitializer"))["class_name"] == \
        keras.initializers.serialize(keras.initializers.get("OrthogonalInitializer"))["class_name"] == "Orthogonal"


def test_image_ops_and_dtype_policies_have_keras_names():
    """Every ``keras.ops.image`` name; every ``keras.dtype_policies`` name but the calibration-based (GPTQ, AWQ)
    policies, which kerasport does not have (docs/quantization.md)."""
    keras = keras_module()
    assert [n for n in dir(keras.ops.image) if not n.startswith("_") and not hasattr(kerasport.ops.image, n)] == []
    missing = [n for n in dir(keras.dtype_policies)
               if not n.startswith("_") and not hasattr(kerasport.dtype_policies, n)]
    assert sorted(missing) == ["AWQDTypePolicy", "GPTQDTypePolicy"]
