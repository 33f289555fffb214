"""``draw_bounding_boxes`` and ``draw_segmentation_masks``: the exact pixels on simple cases, OpenCV's
rectangles, and Keras 3's results (masks always; boxes where OpenCV, which Keras draws them with, is installed)."""
import sys

import numpy as np
import pytest

from kerasport import ops
from kerasport.visualization import draw_bounding_boxes, draw_segmentation_masks
from tests.helpers import keras_module

RED = (255, 0, 0)


def _picture(rows):
    """A boolean mask from rows of '#' (set) and '.' (not set)."""
    return np.array([[c == "#" for c in row] for row in rows])


def _boxes(boxes, labels=None, **extra):
    boxes = np.asarray(boxes, "float32")
    labels = np.zeros(boxes.shape[:2], "int32") if labels is None else np.asarray(labels, "int32")
    return {"boxes": boxes, "labels": labels, **extra}


def _painted(image, color=RED):
    return np.all(image == np.array(color, "uint8"), axis=-1)


def test_one_pixel_outline():
    images = np.zeros((1, 10, 12, 3), "uint8")
    out = draw_bounding_boxes(images, _boxes([[[2, 3, 7, 8]]]), "xyxy", color=RED, line_thickness=1)
    assert out.shape == (1, 10, 12, 3) and out.dtype == np.uint8
    expected = np.zeros((10, 12), bool)
    expected[[3, 8], 2:8] = True
    expected[3:9, [2, 7]] = True
    np.testing.assert_array_equal(_painted(out[0]), expected)
    np.testing.assert_array_equal(out[0][~expected], 0)
    np.testing.assert_array_equal(images, 0)


def test_thick_lines_have_round_corners_as_opencv():
    out = draw_bounding_boxes(np.zeros((1, 14, 14, 3), "uint8"), _boxes([[[3, 4, 10, 9]]]), "xyxy", color=RED)
    expected = _picture(["..............",
                         "..............",
                         "..............",
                         "...########...",
                         "..##########..",
                         "..##########..",
                         "..###....###..",
                         "..###....###..",
                         "..##########..",
                         "..##########..",
                         "...########...",
                         "..............",
                         "..............",
                         ".............."])
    np.testing.assert_array_equal(_painted(out[0]), expected)
    thick = draw_bounding_boxes(np.zeros((1, 14, 14, 3), "uint8"), _boxes([[[3, 4, 10, 9]]]), "xyxy", color=RED,
                                line_thickness=3)
    corner = _painted(thick[0])[1:6, 0:6]
    np.testing.assert_array_equal(corner, _picture(["......",
                                                    "...###",
                                                    "..####",
                                                    ".#####",
                                                    ".#####"]))


def test_filled_boxes_skipped_labels_and_clipping():
    images = np.zeros((2, 8, 8, 3), "uint8")
    boxes = _boxes([[[1, 1, 3, 2], [5, 5, 7, 7]], [[-4, -4, 20, 20], [0, 0, 1, 1]]], labels=[[0, -1], [1, 1]])
    out = draw_bounding_boxes(images, boxes, "xyxy", color=(0, 255, 0), line_thickness=-1)
    green = _painted(out, (0, 255, 0))
    expected = np.zeros((2, 8, 8), bool)
    expected[0, 1:3, 1:4] = True
    expected[1] = True
    np.testing.assert_array_equal(green, expected)


def test_formats_float_images_channels_first_and_tensors():
    images = np.full((1, 16, 20, 3), 0.5, "float32")
    xyxy = draw_bounding_boxes(images, _boxes([[[2, 4, 12, 10]]]), "xyxy", color=RED)
    assert xyxy.dtype == np.uint8
    assert np.all(xyxy[0, 0, 0] == 127)
    for fmt, box in (("yxyx", [4, 2, 10, 12]), ("xywh", [2, 4, 10, 6]), ("center_xywh", [7, 7, 10, 6]),
                     ("rel_xyxy", [2 / 20, 4 / 16, 12 / 20, 10 / 16])):
        np.testing.assert_array_equal(draw_bounding_boxes(images, _boxes([[box]]), fmt, color=RED), xyxy, fmt)
    first = draw_bounding_boxes(ops.convert_to_tensor(images.transpose(0, 3, 1, 2)),
                                {"boxes": ops.convert_to_tensor(np.array([[[2, 4, 12, 10]]], "float32")),
                                 "labels": ops.convert_to_tensor(np.array([[3]], "int32"))},
                                "xyxy", color=RED, data_format="channels_first")
    assert first.shape == (1, 3, 16, 20)
    np.testing.assert_array_equal(first.transpose(0, 2, 3, 1), xyxy)
    scaled = draw_bounding_boxes(np.full((1, 4, 4, 1), 300.0), _boxes([[[0, 0, 3, 3]]]), "xyxy", color=(9,),
                                 line_thickness=1)
    assert scaled[0, 1, 1, 0] == 255 and scaled[0, 0, 0, 0] == 9


def test_labels_are_written_above_the_box():
    pytest.importorskip("PIL", reason="labels are written with Pillow (the `image` extra)")
    images = np.zeros((1, 96, 128, 3), "uint8")
    boxes = _boxes([[[10, 60, 100, 90]]], labels=[[1]])
    plain = _painted(draw_bounding_boxes(images, boxes, "xyxy", color=RED)[0])
    named = _painted(draw_bounding_boxes(images, boxes, "xyxy", color=RED, class_mapping={1: "cat"})[0])
    text = named & ~plain
    rows, cols = np.nonzero(text)
    assert text.sum() > 20 and rows.max() <= 60 - 8 and rows.min() > 20 and cols.min() >= 10
    scored = draw_bounding_boxes(images, dict(boxes, confidences=np.array([[0.75]])), "xyxy", color=RED,
                                 class_mapping={1: "cat"})
    assert (_painted(scored[0]) & ~plain).sum() > text.sum()
    low = _painted(draw_bounding_boxes(images, _boxes([[[10, 10, 100, 90]]], labels=[[1]]), "xyxy", color=RED,
                                       class_mapping={1: "cat"})[0])
    inside = low & ~_painted(draw_bounding_boxes(images, _boxes([[[10, 10, 100, 90]]]), "xyxy", color=RED)[0])
    assert inside.sum() > 20 and np.nonzero(inside)[0].min() > 10


def test_labels_without_pillow_name_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    images = np.zeros((1, 32, 32, 3), "uint8")
    with pytest.raises(ImportError, match=r"kerasport\[image\]"):
        draw_bounding_boxes(images, _boxes([[[2, 2, 9, 9]]]), "xyxy", class_mapping={0: "dog"})
    assert _painted(draw_bounding_boxes(images, _boxes([[[2, 2, 9, 9]]]), "xyxy", color=RED)[0]).any()


def test_bounding_box_errors():
    with pytest.raises(ValueError, match=r"4D.*\(4, 4, 3\)"):
        draw_bounding_boxes(np.zeros((4, 4, 3)), _boxes([[[0, 0, 1, 1]]]), "xyxy")
    with pytest.raises(TypeError, match="should be a dict"):
        draw_bounding_boxes(np.zeros((1, 4, 4, 3)), [[0, 0, 1, 1]], "xyxy")
    with pytest.raises(ValueError, match="'boxes' and 'labels'"):
        draw_bounding_boxes(np.zeros((1, 4, 4, 3)), {"boxes": np.zeros((1, 1, 4))}, "xyxy")
    with pytest.raises(ValueError, match=r"labels.shape=\(1, 2\)"):
        draw_bounding_boxes(np.zeros((1, 4, 4, 3)), _boxes([[[0, 0, 1, 1]]], labels=[[0, 0]]), "xyxy")
    with pytest.raises(ValueError, match="data_format"):
        draw_bounding_boxes(np.zeros((1, 4, 4, 3)), _boxes([[[0, 0, 1, 1]]]), "xyxy", data_format="nhwc")


def test_bounding_boxes_match_keras_with_opencv():
    pytest.importorskip("cv2", reason="Keras draws boxes with OpenCV, which is not installed (it is no kerasport dependency)")
    keras = keras_module()
    rng = np.random.RandomState(0)
    images = rng.randint(0, 255, (3, 40, 50, 3)).astype("uint8")
    boxes = _boxes(rng.uniform(-5, 55, (3, 6, 4)), labels=rng.randint(-1, 3, (3, 6)))
    for thickness in (1, 2, 3, 5, -1):
        ours = draw_bounding_boxes(images, boxes, "xyxy", color=(10, 200, 30), line_thickness=thickness)
        theirs = keras.visualization.draw_bounding_boxes(images, boxes, "xyxy", color=(10, 200, 30),
                                                         line_thickness=thickness)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


def test_masks_exact_blend():
    images = np.full((1, 2, 3, 3), 100, "uint8")
    masks = np.array([[[0, 1, 2], [2, 1, 0]]], "int32")[..., None]
    colors = {0: (0, 0, 0), 1: (255, 0, 0), 2: (0, 0, 255)}
    out = draw_segmentation_masks(images, masks, num_classes=3, color_mapping=colors, alpha=0.5, ignore_index=0)
    assert out.dtype == np.uint8 and out.shape == (1, 2, 3, 3)
    np.testing.assert_array_equal(out[0, 0], [[100, 100, 100], [177, 50, 50], [50, 50, 177]])
    np.testing.assert_array_equal(out[0, 1], [[50, 50, 177], [177, 50, 50], [100, 100, 100]])
    flat = draw_segmentation_masks(images, masks[..., 0], num_classes=3, color_mapping=colors, blend=False)
    assert flat.dtype == np.float32
    np.testing.assert_array_equal(flat[0, 0], [[0, 0, 0], [255, 0, 0], [0, 0, 255]])
    first = draw_segmentation_masks(images.transpose(0, 3, 1, 2), masks.transpose(0, 3, 1, 2), num_classes=3,
                                    color_mapping=colors, alpha=0.5, ignore_index=0, data_format="channels_first")
    np.testing.assert_array_equal(first, out)


def test_masks_match_keras():
    keras = keras_module()
    rng = np.random.RandomState(1)
    images = rng.uniform(0, 255, (2, 9, 7, 3)).astype("float32")
    masks = rng.randint(-1, 5, (2, 9, 7, 1)).astype("int32")
    cases = [{}, {"num_classes": 6}, {"alpha": 0.3, "ignore_index": 2}, {"blend": False},
             {"num_classes": 3, "color_mapping": {0: (1, 2, 3), 1: (250, 10, 0), 2: (0, 128, 255)}}]
    for kwargs in cases:
        ours = draw_segmentation_masks(ops.convert_to_tensor(images), ops.convert_to_tensor(masks), **kwargs)
        theirs = np.asarray(keras.visualization.draw_segmentation_masks(images, masks, **kwargs))
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, kwargs
        np.testing.assert_array_equal(ours, theirs, err_msg=str(kwargs))


def test_mask_errors():
    images = np.zeros((1, 4, 4, 3))
    with pytest.raises(TypeError, match="integer dtype.*float32"):
        draw_segmentation_masks(images, np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match=r"\(1, 4, 4\).*\(1, 4, 5, 1\)"):
        draw_segmentation_masks(images, np.zeros((1, 4, 5, 1), "int32"))
    with pytest.raises(ValueError, match=r"missing \[0\]"):
        draw_segmentation_masks(images, np.ones((1, 4, 4), "int32"), num_classes=2, color_mapping={1: (1, 1, 1)})
    with pytest.raises(ValueError, match="4D"):
        draw_segmentation_masks(np.zeros((4, 4, 3)), np.ones((4, 4), "int32"))
