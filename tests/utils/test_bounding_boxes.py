"""``kerasport.utils.bounding_boxes`` against ``keras.utils.bounding_boxes`` on both backends."""
import itertools

import numpy as np
import pytest

import kerasport
from kerasport.utils import bounding_boxes as bb
from tests.helpers import to_numpy

RNG = np.random.RandomState(5)
CORNERS = RNG.uniform(0, 40, (2, 5, 2)).astype("float32")
XYXY = np.concatenate([CORNERS, CORNERS + RNG.uniform(1, 30, (2, 5, 2)).astype("float32")], -1)
HEIGHT, WIDTH = 64, 80


def close(ours, theirs, tol=1e-4):
    np.testing.assert_allclose(to_numpy(ours), np.asarray(theirs), rtol=tol, atol=tol)


@pytest.mark.parametrize("source,target", list(itertools.product(bb.FORMATS, repeat=2)))
def test_convert_format_matches_keras(keras, source, target):
    boxes = np.asarray(keras.utils.bounding_boxes.convert_format(XYXY, "xyxy", source, height=HEIGHT, width=WIDTH))
    for data in (boxes, boxes[0]):
        close(bb.convert_format(data, source, target, height=HEIGHT, width=WIDTH),
              keras.utils.bounding_boxes.convert_format(data, source, target, height=HEIGHT, width=WIDTH))
    close(bb.convert_format(data, source, source.upper(), height=HEIGHT, width=WIDTH), data)


def test_convert_format_dicts_dtypes_and_errors(keras):
    out = bb.convert_format({"boxes": XYXY, "labels": np.ones((2, 5))}, "xyxy", "center_yxhw")
    assert sorted(out) == ["boxes", "labels"]
    close(out["boxes"], keras.utils.bounding_boxes.convert_format(XYXY, "xyxy", "center_yxhw"))
    assert kerasport.backend.standardize_dtype(
        bb.convert_format(XYXY.astype("int32"), "xyxy", "xywh", dtype="float64").dtype) == "float64"
    with pytest.raises(ValueError, match="last dimension of 4"):
        bb.convert_format(XYXY[..., :3], "xyxy", "xywh")
    with pytest.raises(ValueError, match="invalid source or target format"):
        bb.convert_format(XYXY, "xyxy", "xxyy")
    with pytest.raises(ValueError, match="`height` and `width`"):
        bb.convert_format(XYXY, "xyxy", "rel_xyxy")


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
def test_clip_to_image_size_matches_keras(keras, fmt):
    boxes = XYXY * 2.0 - 20.0 if fmt == "xyxy" else XYXY / 40.0 - 0.3
    boxes[0, 0] = [-5.0, -5.0, -1.0, -1.0] if fmt == "xyxy" else [1.2, 1.3, 1.5, 1.6]  # all outside: label -1
    data = {"boxes": boxes, "labels": np.arange(10, dtype="int32").reshape(2, 5)}
    ours = bb.clip_to_image_size(data, height=HEIGHT, width=WIDTH, bounding_box_format=fmt)
    theirs = keras.utils.bounding_boxes.clip_to_image_size(dict(data), height=HEIGHT, width=WIDTH,
                                                           bounding_box_format=fmt)
    close(ours["boxes"], theirs["boxes"])
    np.testing.assert_array_equal(to_numpy(ours["labels"]), np.asarray(theirs["labels"]))
    assert to_numpy(ours["labels"])[0, 0] == -1
    with pytest.raises(NotImplementedError, match="xywh"):
        bb.clip_to_image_size(data, HEIGHT, WIDTH, bounding_box_format="xywh")


def test_crop_and_pad_match_keras(keras):
    for boxes in (XYXY, XYXY[0]):
        close(bb.crop(boxes, 10, 20, 30, 25), keras.utils.bounding_boxes.crop(boxes, 10, 20, 30, 25))
        close(bb.pad(boxes, 7, 3), keras.utils.bounding_boxes.pad(boxes, 7, 3))
    with pytest.raises(NotImplementedError, match="crop.*xyxy"):
        bb.crop(XYXY, 1, 1, 5, 5, bounding_box_format="yxyx")


@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "center_xywh", "rel_xyxy", "rel_xywh"])
@pytest.mark.parametrize("use_masking", [False, True])
def test_compute_iou_matches_keras(keras, fmt, use_masking):
    boxes = np.array(keras.utils.bounding_boxes.convert_format(XYXY, "xyxy", fmt, height=HEIGHT, width=WIDTH))
    others = boxes[:, ::-1] + 1.0 if not fmt.startswith("rel") else boxes[:, ::-1] * 1.1
    boxes[1, 2] = -1.0  # a padded box
    shape = (HEIGHT, WIDTH, 3) if fmt.startswith("rel") else None
    kwargs = dict(bounding_box_format=fmt, use_masking=use_masking, mask_val=-3, image_shape=shape)
    for a, b in ((boxes, others), (boxes[0], others[1, :3]), (boxes, others[0]), (boxes[1], others)):
        ours = bb.compute_iou(a, b, **kwargs)
        if use_masking and a.ndim != b.ndim:  # Keras's masking fails on mixed ranks: compare with both batched
            a, b = (np.broadcast_to(t, (2,) + t.shape[-2:]) for t in (a, b))
        close(ours, keras.utils.bounding_boxes.compute_iou(a, b, **kwargs), 1e-5)
    assert tuple(bb.compute_iou(boxes, others, **kwargs).shape) == (2, 5, 5)
    np.testing.assert_allclose(np.diagonal(to_numpy(bb.compute_iou(boxes[0], boxes[0], fmt, image_shape=shape))),
                               1.0, rtol=1e-5)


def test_compute_iou_errors():
    with pytest.raises(ValueError, match="boxes1"):
        bb.compute_iou(XYXY[0, 0], XYXY, "xyxy")
    with pytest.raises(ValueError, match="image_shape"):
        bb.compute_iou(XYXY, XYXY, "rel_xyxy")


@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_box_deltas_match_keras_and_invert(keras, encoding, variance):
    anchors = XYXY[0]
    boxes = np.array(keras.utils.bounding_boxes.convert_format(XYXY[:, ::-1], "xyxy", "rel_xywh", HEIGHT, WIDTH))
    kwargs = dict(variance=variance, image_shape=(HEIGHT, WIDTH, 3))
    for data in (boxes, boxes[1]):
        ours = bb.encode_box_to_deltas(anchors, data, "xyxy", "rel_xywh", encoding, **kwargs)
        close(ours, keras.utils.bounding_boxes.encode_box_to_deltas(anchors, data, "xyxy", "rel_xywh", encoding,
                                                                     **kwargs))
        back = bb.decode_deltas_to_boxes(anchors, ours, "xyxy", "rel_xywh", encoding, **kwargs)
        close(back, keras.utils.bounding_boxes.decode_deltas_to_boxes(anchors, np.array(ours), "xyxy", "rel_xywh",
                                                                       encoding, **kwargs))
        close(back, data)
    levels = bb.decode_deltas_to_boxes({"p3": anchors}, {"p3": np.zeros((5, 4), "float32")}, "xyxy", "xyxy",
                                       encoding)
    close(levels["p3"], anchors)
    with pytest.raises(ValueError, match="encoding_format"):
        bb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", "xyxy")
    with pytest.raises(ValueError, match="variance"):
        bb.decode_deltas_to_boxes(anchors, boxes, "xyxy", "xyxy", variance=[1.0, 2.0])


@pytest.mark.parametrize("fmt", ["xyxy", "center_yxhw", "xywh"])
def test_compute_ciou_matches_keras(keras, fmt):
    boxes = np.array(keras.utils.bounding_boxes.convert_format(XYXY, "xyxy", fmt))
    others = boxes[:, ::-1] + 2.0
    for a, b in ((boxes, others), (boxes[0], others[1]), (boxes, others[0])):
        close(bb.compute_ciou(a, b, fmt), keras.utils.bounding_boxes.compute_ciou(a, b, fmt), 1e-5)
    np.testing.assert_allclose(to_numpy(bb.compute_ciou(boxes, boxes, fmt)), 1.0, rtol=1e-5)
    relative = bb.convert_format(boxes, fmt, "rel_" + fmt if fmt != "center_yxhw" else "rel_xyxy", HEIGHT, WIDTH)
    rel_fmt = "rel_" + fmt if fmt != "center_yxhw" else "rel_xyxy"
    np.testing.assert_allclose(to_numpy(bb.compute_ciou(relative, relative, rel_fmt, image_shape=(HEIGHT, WIDTH, 3))),
                               1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="image_shape"):
        bb.compute_ciou(relative, relative, rel_fmt)


@pytest.mark.parametrize("center", [(None, None), (0.3, 0.7)])
def test_affine_transform_matches_keras(keras, center):
    params = [RNG.uniform(lo, hi, 2).astype("float32") for lo, hi in
              ((-40, 40), (-0.2, 0.2), (-0.2, 0.2), (0.7, 1.3), (-20, 20), (-20, 20))]
    kwargs = dict(height=HEIGHT, width=WIDTH, center_x=center[0], center_y=center[1])
    close(bb.affine_transform(XYXY, *params, **kwargs), keras.utils.bounding_boxes.affine_transform(XYXY, *params,
                                                                                                    **kwargs))
    identity = [np.zeros(2, "float32")] * 3 + [np.ones(2, "float32")] + [np.zeros(2, "float32")] * 2
    close(bb.affine_transform(XYXY, *identity, **kwargs), XYXY)
    with pytest.raises(NotImplementedError, match="affine_transform.*xyxy"):
        bb.affine_transform(XYXY, *identity, bounding_box_format="xywh", **kwargs)
