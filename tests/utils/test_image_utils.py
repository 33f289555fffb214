"""The image helpers (``array_to_img``, ``img_to_array``, ``save_img``, ``load_img``) against Keras 3."""
import numpy as np
import pytest

from kerasport import utils
from tests.helpers import keras_module


def test_image_helpers_match_keras(tmp_path):
    pytest.importorskip("PIL")
    keras = keras_module()
    x = np.random.RandomState(0).rand(6, 5, 3).astype("float32") * 300 - 20
    img, kimg = utils.array_to_img(x), keras.utils.array_to_img(x)
    np.testing.assert_array_equal(np.asarray(img), np.asarray(kimg))
    np.testing.assert_array_equal(utils.img_to_array(img, data_format="channels_first"),
                                  keras.utils.img_to_array(kimg, data_format="channels_first"))
    utils.save_img(tmp_path / "a.png", x)
    loaded = utils.load_img(tmp_path / "a.png", color_mode="grayscale", target_size=(3, 4), keep_aspect_ratio=True)
    want = keras.utils.load_img(tmp_path / "a.png", color_mode="grayscale", target_size=(3, 4),
                                keep_aspect_ratio=True)
    np.testing.assert_array_equal(np.asarray(loaded), np.asarray(want))
    assert utils.img_to_array(loaded).shape == (3, 4, 1)
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((2, 2)))
