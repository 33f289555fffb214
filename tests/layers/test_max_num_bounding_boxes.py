"""MaxNumBoundingBoxes against Keras 3's, on both backends."""
import os

import numpy as np
import pytest

import kerasport
from kerasport import layers
from tests.helpers import run_layer_test, to_numpy
from tests.layers.image_layer_checks import needs_tf_data, tf_data_map

IMAGES = np.random.RandomState(4).rand(2, 8, 8, 3).astype("float32")
BOXES = np.arange(2 * 5 * 4, dtype="float32").reshape(2, 5, 4)
BOX_LABELS = np.arange(10, dtype="int32").reshape(2, 5)


def _plain(config):
    return {k: v for k, v in config.items() if k != "name"}


@pytest.mark.parametrize("max_number,fill_value", [(3, -1), (5, -1), (8, -2)])
@pytest.mark.parametrize("batched", [True, False])
def test_matches_keras(keras, max_number, fill_value, batched):
    def data():
        if batched:
            return {"images": IMAGES, "labels": np.eye(2, dtype="float32"),
                    "bounding_boxes": {"boxes": BOXES, "labels": BOX_LABELS}}
        return {"images": IMAGES[0], "bounding_boxes": {"boxes": BOXES[0], "labels": BOX_LABELS[0]}}
    kwargs = dict(max_number=max_number, fill_value=fill_value, bounding_box_format="xyxy")
    ours = layers.MaxNumBoundingBoxes(**kwargs)(data())
    theirs = keras.layers.MaxNumBoundingBoxes(**kwargs)(data())
    assert sorted(ours) == sorted(theirs)
    for key in ("boxes", "labels"):
        np.testing.assert_array_equal(to_numpy(ours["bounding_boxes"][key]), np.asarray(theirs["bounding_boxes"][key]))
    np.testing.assert_array_equal(to_numpy(ours["images"]), np.asarray(theirs["images"]))
    if batched:
        np.testing.assert_array_equal(to_numpy(ours["labels"]), np.eye(2))
    assert _plain(layers.MaxNumBoundingBoxes(**kwargs).get_config()) == \
        _plain(keras.layers.MaxNumBoundingBoxes(**kwargs).get_config())


def test_images_alone_pass_through_and_standard_checks():
    np.testing.assert_array_equal(to_numpy(layers.MaxNumBoundingBoxes(2)(IMAGES)), IMAGES)
    run_layer_test(layers.MaxNumBoundingBoxes, dict(max_number=2), IMAGES.shape, train=False, input_data=IMAGES)
    shape = layers.MaxNumBoundingBoxes(7).compute_output_shape(
        {"images": (None, 8, 8, 3), "bounding_boxes": {"boxes": (None, 5, 4), "labels": (None, 5)}})
    assert shape["bounding_boxes"] == {"boxes": (None, 7, 4), "labels": (None, 7)}


def test_saved_files_round_trip(keras, tmp_path):
    model = kerasport.Sequential([kerasport.Input((8, 8, 3)), layers.MaxNumBoundingBoxes(4, bounding_box_format="xyxy"),
                                  layers.Flatten(), layers.Dense(1)])
    path = os.path.join(tmp_path, "ours.keras")
    model.save(path)
    want = model.predict(IMAGES, verbose=0)
    np.testing.assert_allclose(kerasport.saving.load_model(path).predict(IMAGES, verbose=0), want, rtol=1e-6)
    np.testing.assert_allclose(keras.models.load_model(path).predict(IMAGES, verbose=0), want, rtol=1e-5)
    theirs = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.MaxNumBoundingBoxes(6)])
    theirs.save(os.path.join(tmp_path, "keras.keras"))
    loaded = kerasport.saving.load_model(os.path.join(tmp_path, "keras.keras"))
    assert loaded.layers[0].max_number == 6


def test_errors():
    with pytest.raises(ValueError, match="MaxNumBoundingBoxes.*max_number"):
        layers.MaxNumBoundingBoxes(0)
    boxes = {"boxes": BOXES, "labels": BOX_LABELS}
    with pytest.raises(ValueError, match="MaxNumBoundingBoxes.*bounding_box_format"):
        layers.MaxNumBoundingBoxes(3)({"images": IMAGES, "bounding_boxes": boxes})
    with pytest.raises(ValueError, match="MaxNumBoundingBoxes.*'boxes' and 'labels'"):
        layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")({"images": IMAGES, "bounding_boxes": BOXES})
    with pytest.raises(ValueError, match="MaxNumBoundingBoxes.*boxes.shape=\\(2, 5, 3\\)"):
        layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")(
            {"images": IMAGES, "bounding_boxes": {"boxes": BOXES[..., :3], "labels": BOX_LABELS}})


@needs_tf_data
def test_runs_inside_tf_data_map():
    layer = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    [out] = tf_data_map(layer, {"images": IMAGES, "bounding_boxes": {"boxes": BOXES, "labels": BOX_LABELS}}, 2)
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], BOXES[:, :3])
