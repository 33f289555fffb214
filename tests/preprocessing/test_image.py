"""``kerasport.preprocessing.image`` against ``keras.preprocessing.image`` (Keras 3, TensorFlow backend)."""
import numpy as np
import pytest

from kerasport import preprocessing
from kerasport.backends import B
from tests.helpers import keras_module

CASES = [((34, 50, 3), (20, 20), "channels_last"), ((2, 37, 21, 3), (10, 30), "channels_last"),
         ((3, 37, 21), (11, 7), "channels_first"), ((2, 3, 9, 40), (5, 5), "channels_first")]


@pytest.mark.parametrize("shape,size,data_format", CASES)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
def test_smart_resize_crops_the_centre_then_resizes_as_keras(shape, size, data_format, interpolation):
    keras = keras_module()
    x = np.random.RandomState(0).rand(*shape).astype("float32") * 255
    expected = keras.preprocessing.image.smart_resize(x, size, interpolation=interpolation, data_format=data_format)
    ours = preprocessing.image.smart_resize(x, size, interpolation=interpolation, data_format=data_format)
    assert isinstance(ours, np.ndarray) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, atol=5e-4)
    tensor = preprocessing.image.smart_resize(B.convert_to_tensor(x), size, data_format=data_format)
    assert B.is_tensor(tensor)


def test_smart_resize_of_integer_images_takes_each_backends_keras_type():
    keras = keras_module()
    x = (np.random.RandomState(1).rand(34, 50, 3) * 255).astype("uint8")
    ours = preprocessing.image.smart_resize(x, (20, 20))
    expected = keras.preprocessing.image.smart_resize(x, (20, 20))   # float32: tf.image.resize's type
    if B.NAME == "tensorflow":
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, expected, atol=5e-4)
    else:   # Keras on torch rounds back to the image's dtype
        assert ours.dtype == np.uint8
        np.testing.assert_allclose(ours, expected, atol=0.5 + 5e-4)


def test_smart_resize_rejects_bad_rank_and_size():
    with pytest.raises(ValueError, match=r"incorrect rank, of shape \(4, 4\)"):
        preprocessing.image.smart_resize(np.zeros((4, 4)), (2, 2))
    with pytest.raises(ValueError, match=r"tuple of 2 integers, but got: \(2, 2, 2\)"):
        preprocessing.image.smart_resize(np.zeros((4, 4, 3)), (2, 2, 2))


def test_the_namespace_has_keras_names():
    keras = keras_module()
    for ours, theirs in ((preprocessing, keras.preprocessing), (preprocessing.image, keras.preprocessing.image),
                         (preprocessing.sequence, keras.preprocessing.sequence)):
        names = [n for n in dir(theirs) if not n.startswith("_")]
        assert [n for n in names if not hasattr(ours, n)] == []
