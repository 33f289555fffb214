"""Dtypes as Keras names them: ``standardize_dtype``, ``result_type`` and the dtype predicates against Keras 3."""
import numpy as np
import pytest

from kerasport import backend, utils
from kerasport.backends import B
from tests.helpers import keras_module


@pytest.mark.parametrize("dtype", [None, "float16", float, int, bool, np.int8, np.dtype("uint16"), "bfloat16"])
def test_standardize_dtype_matches_keras(dtype):
    want = keras_module().utils.standardize_dtype(dtype)
    if dtype is int and B.NAME == "torch":
        want = "int32"  # Keras maps Python int to int32 on every backend but TensorFlow
    assert utils.standardize_dtype(dtype) == want
    with pytest.raises(ValueError, match="Invalid dtype"):
        utils.standardize_dtype("float13")


def test_standardize_dtype_of_framework_dtypes():
    assert utils.standardize_dtype(B.to_dtype("float16")) == "float16"
    assert utils.standardize_dtype(B.convert_to_tensor(np.zeros(2, "int32")).dtype) == "int32"


RESULT_TYPES = [("int32", "float16"), ("int8", "uint8"), ("bool", "int16"), ("float16", float), ("int32", int),
                ("uint8", int), ("bfloat16", "float16"), ("float32",), (int, float), ("int16", "int32", "uint16"),
                (None, "int8"), ("uint32", "int32"), ("int64", "float32"), ("float64", "float32"), ()]


@pytest.mark.parametrize("dtypes", RESULT_TYPES)
def test_result_type_matches_keras(dtypes):
    want = keras_module().backend.result_type(*dtypes)
    if B.NAME == "torch":  # Keras narrows 64-bit results to 32 bits on every backend but TensorFlow
        want = {"int64": "int32", "float64": "float32"}.get(want, want)
    assert backend.result_type(*dtypes) == want


def test_dtype_predicates():
    assert backend.is_float_dtype("bfloat16") and backend.is_float_dtype(float) and not backend.is_float_dtype("int8")
    assert backend.is_int_dtype("uint16") and not backend.is_int_dtype("bool")
    assert backend.standardize_dtype("float64") == "float64"
