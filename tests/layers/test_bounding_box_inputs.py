"""Dict inputs (images, labels, segmentation masks, bounding boxes) in the image layers, against Keras 3.

Random layers draw different numbers than Keras, so boxes and masks are compared on the same
transformation (Keras's ``get_random_transformation`` fed to both layers' ``transform_*``) or with
factors that pin the draw; every ``bounding_box_format`` is checked against "xyxy" on the same draw.
"""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from kerasport.utils import bounding_boxes as box_utils
from tests.helpers import keras_module, run_layer_test, to_numpy

RNG = np.random.RandomState(3)
IMAGES = (RNG.rand(2, 10, 12, 3) * 255).astype("float32")
SQUARE = (RNG.rand(2, 12, 12, 3) * 255).astype("float32")
FORMATS = ("xyxy", "rel_xyxy", "xywh", "rel_xywh", "center_xywh", "rel_center_xywh", "yxyx", "rel_yxyx",
           "center_yxhw")


def _boxes(height, width, n=4):
    """(2, n, 4) "xyxy" boxes inside a ``height`` x ``width`` image, the last one of the second image padding."""
    start = RNG.uniform(0, 0.6, (2, n, 2)) * [width, height]
    size = RNG.uniform(0.1, 0.4, (2, n, 2)) * [width, height]
    boxes = np.concatenate([start, start + size], -1).astype("float32")
    labels = np.arange(2 * n, dtype="int32").reshape(2, n)
    boxes[1, -1], labels[1, -1] = -1, -1
    return {"boxes": boxes, "labels": labels}


BOXES = _boxes(10, 12)
SQUARE_BOXES = _boxes(12, 12)


@pytest.fixture(scope="module")
def keras():
    return keras_module()


def close(ours, theirs, tol=1e-3):
    np.testing.assert_allclose(to_numpy(ours), np.asarray(theirs), rtol=tol, atol=tol)


def close_boxes(ours, theirs, labels):
    """Boxes equal where ``labels`` (the input's) are not padding: Keras moves the -1 padding boxes differently
    from layer to layer (e.g. RandomFlip leaves them outside the image), kerasport clips them like any box."""
    keep = np.asarray(labels) >= 0
    close(to_numpy(ours)[keep], np.asarray(theirs)[keep])


def in_format(boxes, fmt, height, width):
    return {"boxes": np.asarray(box_utils.convert_format(B.convert_to_tensor(boxes["boxes"]), "xyxy", fmt, height,
                                                         width)), "labels": boxes["labels"]}


def ours_from_keras(transformation, images):
    """Keras's transformation as this library's layers take it (shapes stay tuples)."""
    if isinstance(transformation, tuple):  # RandomCrop's (top, left) and the input size that kerasport adds
        return tuple(int(np.asarray(v)) for v in transformation) + tuple(images.shape[1:3])
    return {k: B.convert_to_tensor(np.asarray(v)) if k != "input_shape" and hasattr(v, "shape") else
            (tuple(images.shape) if k == "input_shape" else v) for k, v in transformation.items()}


# (layer, kwargs, images, boxes, formats compared with Keras)
CASES = [
    ("RandomFlip", dict(mode="horizontal"), IMAGES, BOXES, FORMATS),
    ("RandomFlip", dict(mode="vertical"), IMAGES, BOXES, FORMATS),
    ("RandomFlip", dict(), IMAGES, BOXES, FORMATS),
    ("RandomTranslation", dict(height_factor=0.3, width_factor=(-0.4, 0.2)), IMAGES, BOXES, FORMATS),
    ("RandomZoom", dict(height_factor=(-0.4, 0.3)), IMAGES, BOXES, FORMATS),
    ("RandomZoom", dict(height_factor=0.3, width_factor=(-0.5, -0.2)), IMAGES, BOXES, FORMATS),
    ("RandomRotation", dict(factor=0.2), IMAGES, BOXES, ("xyxy",)),  # Keras reads other formats as xyxy
    ("RandomShear", dict(x_factor=0.3, y_factor=0.2), SQUARE, SQUARE_BOXES, FORMATS),
    ("Resizing", dict(height=5, width=7), IMAGES, BOXES, FORMATS),
    ("Resizing", dict(height=6, width=4, crop_to_aspect_ratio=True), IMAGES, BOXES, FORMATS),
    ("Resizing", dict(height=6, width=4, pad_to_aspect_ratio=True), IMAGES, BOXES, FORMATS),
    ("CenterCrop", dict(height=6, width=8), IMAGES, BOXES, FORMATS),
    ("CenterCrop", dict(height=14, width=8), IMAGES, BOXES, FORMATS),
]
KERAS_CASES = [(n, k, x, b, f) for n, k, x, b, fmts in CASES for f in fmts]
KERAS_IDS = [f"{n}-{i}-{f}" for i, (n, _, _, _, fmts) in enumerate(CASES) for f in fmts]


@pytest.mark.parametrize("name,kwargs,images,boxes,fmt", KERAS_CASES, ids=KERAS_IDS)
def test_boxes_match_keras_on_the_same_transformation(keras, name, kwargs, images, boxes, fmt):
    height, width = images.shape[1:3]
    boxes = in_format(boxes, fmt, height, width)
    theirs = getattr(keras.layers, name)(bounding_box_format=fmt, **kwargs)
    transformation = theirs.get_random_transformation({"images": images}, training=True)
    want = theirs.transform_bounding_boxes({k: np.array(v) for k, v in boxes.items()}, transformation, training=True)
    ours = getattr(layers, name)(bounding_box_format=fmt, **kwargs)
    ours_transformation = ours.get_random_transformation(images) if name == "Resizing" else \
        ours_from_keras(transformation, images)
    assert name != "Resizing" or ours_transformation == tuple(transformation)
    got = ours.transform_bounding_boxes({k: B.convert_to_tensor(v) for k, v in boxes.items()}, ours_transformation,
                                        training=True)
    close_boxes(got["boxes"], want["boxes"], boxes["labels"])
    np.testing.assert_array_equal(to_numpy(got["labels"]), np.asarray(want["labels"]))


def test_random_crop_boxes_match_keras_where_keras_is_right(keras):
    # Keras 3.15 subtracts the top offset from x and the left one from y and never clips at the far edge; with
    # equal offsets and boxes inside the window its numbers are the right ones.
    boxes = {"boxes": np.array([[[3, 4, 6, 8], [5, 3, 9, 7]]], "float32"), "labels": np.array([[1, 2]], "int32")}
    theirs = keras.layers.RandomCrop(6, 8, bounding_box_format="xyxy")
    want = theirs.transform_bounding_boxes({k: np.array(v) for k, v in boxes.items()}, (2, 2))
    got = layers.RandomCrop(6, 8, bounding_box_format="xyxy").transform_bounding_boxes(
        {k: B.convert_to_tensor(v) for k, v in boxes.items()}, (2, 2, 10, 12))
    close(got["boxes"], want["boxes"])
    np.testing.assert_array_equal(to_numpy(got["labels"]), want["labels"])


def test_random_crop_boxes_follow_the_window():
    boxes = {"boxes": np.array([[[1, 2, 5, 6], [9, 1, 12, 4], [0, 0, 12, 10]]], "float32"),
             "labels": np.array([[1, 2, 3]], "int32")}
    layer = layers.RandomCrop(6, 8, bounding_box_format="xywh")
    xywh = in_format(boxes, "xywh", 10, 12)
    got = layer.transform_bounding_boxes({k: B.convert_to_tensor(v) for k, v in xywh.items()}, (3, 4, 10, 12))
    # x - 4 and y - 3 clipped to the 8 x 6 window; the second box ends up outside it
    want = [[0, 0, 1, 3], [5, 0, 8, 1], [0, 0, 8, 6]]
    close(box_utils.convert_format(got["boxes"], "xywh", "xyxy")[0], want)
    np.testing.assert_array_equal(to_numpy(got["labels"]), [[1, 2, 3]])
    # inference: the centered 9 x 12 window of the output's aspect ratio (at row 0), scaled to 6 x 8
    got = layer.transform_bounding_boxes({k: B.convert_to_tensor(v) for k, v in xywh.items()},
                                         layer.get_random_transformation(IMAGES, training=False), training=False)
    top, left, sy, sx = 0, 0, 6 / 9, 8 / 12
    want = np.clip((boxes["boxes"][0] - [left, top, left, top]) * [sx, sy, sx, sy], 0, [8, 6, 8, 6])
    close(box_utils.convert_format(got["boxes"], "xywh", "xyxy")[0], want)


# Keras resizes the masks of images smaller than a CenterCrop bilinearly; kerasport uses nearest (see README)
MASK_CASES = [c for c in CASES if (c[4] == FORMATS or c[0] == "RandomRotation") and c[1].get("height") != 14]


@pytest.mark.parametrize("name,kwargs,images,boxes,fmts", MASK_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(MASK_CASES)])
def test_segmentation_masks_match_keras_on_the_same_transformation(keras, name, kwargs, images, boxes, fmts):
    masks = RNG.randint(0, 4, images.shape[:3] + (1,))
    theirs = getattr(keras.layers, name)(**kwargs)
    transformation = theirs.get_random_transformation({"images": images}, training=True)
    want = theirs.transform_segmentation_masks(masks.astype("float32"), transformation, training=True)
    ours = getattr(layers, name)(**kwargs)
    got = ours.transform_segmentation_masks(B.convert_to_tensor(masks.astype("int32")),
                                            ours_from_keras(transformation, images), training=True)
    assert B.dtype(got) == "int32"
    np.testing.assert_array_equal(to_numpy(got), np.asarray(want))


PINNED = [
    ("RandomTranslation", dict(height_factor=(0.2, 0.2), width_factor=(-0.3, -0.3), interpolation="nearest")),
    ("RandomZoom", dict(height_factor=(-0.3, -0.3), width_factor=(0.2, 0.2), interpolation="nearest")),
    ("RandomZoom", dict(height_factor=(0.4, 0.4), fill_mode="constant")),
    ("RandomRotation", dict(factor=(0.05, 0.05), interpolation="nearest")),
    ("Resizing", dict(height=5, width=7, interpolation="nearest")),
    ("Resizing", dict(height=8, width=4, pad_to_aspect_ratio=True)),
    ("CenterCrop", dict(height=6, width=8)),
    ("RandomBrightness", dict(factor=(0.2, 0.2))),
    ("AutoContrast", dict()),
    ("RandomSaturation", dict(factor=(0.3, 0.3))),
]


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("name,kwargs", PINNED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PINNED)])
def test_dict_call_matches_keras_with_pinned_draws(keras, name, kwargs, batched):
    data = {"images": IMAGES, "labels": np.array([[1.0, 0.0], [0.0, 1.0]], "float32"),
            "segmentation_masks": RNG.randint(0, 4, (2, 10, 12, 1)).astype("float32"),
            "bounding_boxes": {k: v.copy() for k, v in BOXES.items()}}
    if not batched:
        data = {k: ({i: j[0] for i, j in v.items()} if isinstance(v, dict) else v[0]) for k, v in data.items()}
    want = getattr(keras.layers, name)(bounding_box_format="xyxy", **kwargs)(
        {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}, training=True)
    got = getattr(layers, name)(bounding_box_format="xyxy", **kwargs)(data, training=True)
    assert set(got) == set(data) and set(got["bounding_boxes"]) == {"boxes", "labels"}
    for key in ("images", "labels", "segmentation_masks"):
        close(got[key], want[key], 1e-2)
    close_boxes(got["bounding_boxes"]["boxes"], want["bounding_boxes"]["boxes"], data["bounding_boxes"]["labels"])
    np.testing.assert_array_equal(to_numpy(got["bounding_boxes"]["labels"]), want["bounding_boxes"]["labels"])


GEOMETRIC = [
    ("RandomFlip", dict()),
    ("RandomTranslation", dict(height_factor=0.3, width_factor=0.3)),
    ("RandomZoom", dict(height_factor=0.4, width_factor=0.3)),
    ("RandomRotation", dict(factor=0.15)),
    ("RandomShear", dict(x_factor=0.3, y_factor=0.3)),
    ("RandomCrop", dict(height=6, width=8)),
    ("RandomCrop", dict(height=12, width=8)),
    ("Resizing", dict(height=8, width=4, crop_to_aspect_ratio=True)),
    ("CenterCrop", dict(height=14, width=8)),
    ("RandomPerspective", dict(factor=(0.5, 1.0), scale=0.5)),
]


def seeded(name, **kwargs):
    """The layer ``name`` with a fixed seed where it takes one."""
    return getattr(layers, name)(**kwargs) if name in ("Resizing", "CenterCrop") else \
        getattr(layers, name)(seed=11, **kwargs)


@pytest.mark.parametrize("fmt", FORMATS[1:])
@pytest.mark.parametrize("name,kwargs", GEOMETRIC, ids=[f"{n}-{i}" for i, (n, _) in enumerate(GEOMETRIC)])
def test_every_format_moves_boxes_as_xyxy_does(name, kwargs, fmt):
    data = {"images": IMAGES, "bounding_boxes": BOXES}
    want = seeded(name, bounding_box_format="xyxy", **kwargs)(data, training=True)
    layer = seeded(name, bounding_box_format=fmt, **kwargs)
    got = layer({"images": IMAGES, "bounding_boxes": in_format(BOXES, fmt, 10, 12)}, training=True)
    close(got["images"], want["images"])
    out_h, out_w = tuple(B.shape(got["images"]))[1:3]
    close(box_utils.convert_format(got["bounding_boxes"]["boxes"], fmt, "xyxy", out_h, out_w),
          to_numpy(want["bounding_boxes"]["boxes"]))
    np.testing.assert_array_equal(to_numpy(got["bounding_boxes"]["labels"]),
                                  to_numpy(want["bounding_boxes"]["labels"]))


SAME_DRAW = [  # "constant" fill, so that no reflected copy of the painted box comes in
    ("RandomFlip", dict(mode="horizontal_and_vertical")),
    ("RandomTranslation", dict(height_factor=0.3, width_factor=0.3, interpolation="nearest", fill_mode="constant")),
    ("RandomZoom", dict(height_factor=0.4, interpolation="nearest", fill_mode="constant")),
    ("RandomRotation", dict(factor=0.3, interpolation="nearest", fill_mode="constant")),
    ("RandomShear", dict(x_factor=0.3, y_factor=0.3, interpolation="nearest", fill_mode="constant")),
    ("RandomCrop", dict(height=6, width=8)),
    ("Resizing", dict(height=7, width=5, interpolation="nearest")),
    ("CenterCrop", dict(height=6, width=8)),
]


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("name,kwargs", SAME_DRAW, ids=[n for n, _ in SAME_DRAW])
def test_masks_and_boxes_get_the_draw_of_their_images(name, kwargs, batched):
    images = np.round(IMAGES)
    boxes = {"boxes": np.array([[[2, 3, 6, 7]], [[5, 1, 11, 4]]], "float32"), "labels": np.array([[4], [5]], "int32")}
    painted = np.zeros(images.shape[:3], "float32")
    for i, (x1, y1, x2, y2) in enumerate(boxes["boxes"][:, 0].astype(int)):
        painted[i, y1:y2, x1:x2] = 1.0
    images = np.concatenate([images[..., :2], painted[..., None]], -1)
    data = {"images": images, "segmentation_masks": images[..., :1].astype("int32"), "labels": np.array([0, 1]),
            "bounding_boxes": boxes}
    if not batched:
        data = {k: ({i: j[0] for i, j in v.items()} if isinstance(v, dict) else v[0]) for k, v in data.items()}
    layer = seeded(name, bounding_box_format="xyxy", **kwargs)
    for _ in range(3):
        out = layer(data, training=True)
        images_out = to_numpy(out["images"])
        np.testing.assert_array_equal(to_numpy(out["segmentation_masks"]), images_out[..., :1].astype("int32"))
        np.testing.assert_array_equal(to_numpy(out["labels"]), data["labels"])
        # the box drawn into the last channel is where the returned box says (to a pixel)
        for painted_out, box in zip(images_out[..., 2].reshape((-1,) + images_out.shape[-3:-1]),
                                    to_numpy(out["bounding_boxes"]["boxes"]).reshape(-1, 4)):
            rows, cols = np.nonzero(painted_out > 0.5)
            if len(rows):
                np.testing.assert_allclose([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1], box, atol=2.0)


def test_layers_that_keep_pixels_in_place_pass_boxes_through():
    data = {"images": IMAGES, "bounding_boxes": BOXES, "segmentation_masks": IMAGES[..., :1]}
    for layer in (layers.RandomContrast(0.5, bounding_box_format="xywh"),
                  layers.AutoContrast(bounding_box_format="xyxy"),
                  layers.RandomGrayscale(1.0, bounding_box_format="rel_xyxy"),
                  layers.RandomBrightness(0.3, bounding_box_format="yxyx"),
                  layers.RandomHue(0.3, bounding_box_format="xyxy", value_range=(0, 255)),
                  layers.Equalization(bounding_box_format="xyxy"),
                  layers.RandomColorJitter(brightness_factor=0.2, bounding_box_format="xyxy"),
                  layers.RandomGaussianBlur(bounding_box_format="xyxy")):
        out = layer(data, training=True)
        for key in ("boxes", "labels"):
            np.testing.assert_array_equal(to_numpy(out["bounding_boxes"][key]), BOXES[key])
        np.testing.assert_array_equal(to_numpy(out["segmentation_masks"]), IMAGES[..., :1])


def test_random_layers_leave_every_entry_in_inference():
    data = {"images": IMAGES, "bounding_boxes": BOXES, "segmentation_masks": IMAGES[..., :1]}
    for name, kwargs in GEOMETRIC:
        if name in ("RandomCrop", "Resizing", "CenterCrop"):
            continue
        out = getattr(layers, name)(bounding_box_format="xyxy", **kwargs)(data, training=False)
        for key in ("boxes", "labels"):
            np.testing.assert_array_equal(to_numpy(out["bounding_boxes"][key]), BOXES[key])
        np.testing.assert_array_equal(to_numpy(out["segmentation_masks"]), IMAGES[..., :1])


def test_config_keeps_the_format_as_keras(keras, tmp_path):
    for name, kwargs in GEOMETRIC[:-1] + [("RandomContrast", dict(factor=0.2))]:
        ours = seeded(name, bounding_box_format="center_xywh", **kwargs).get_config()
        theirs = getattr(keras.layers, name)(bounding_box_format="center_xywh",
                                             **({**kwargs, "seed": 11} if "seed" in ours else kwargs)).get_config()
        assert ours["bounding_box_format"] == theirs["bounding_box_format"] == "center_xywh"
        assert set(ours) == set(theirs), name
        rebuilt = getattr(layers, name).from_config(ours)
        assert rebuilt.bounding_box_format == "center_xywh"
    model = keras.Sequential([keras.Input((10, 12, 3)), keras.layers.RandomFlip(bounding_box_format="yxyx"),
                              keras.layers.Resizing(6, 6, bounding_box_format="yxyx")])
    path = str(tmp_path / "boxes.keras")
    model.save(path)
    loaded = kerasport.saving.load_model(path)
    assert [layer.bounding_box_format for layer in loaded.layers] == ["yxyx", "yxyx"]
    out = loaded.layers[1]({"images": IMAGES, "bounding_boxes": in_format(BOXES, "yxyx", 10, 12)})
    close(out["bounding_boxes"]["boxes"], model.layers[1]({"images": IMAGES, "bounding_boxes": in_format(
        BOXES, "yxyx", 10, 12)})["bounding_boxes"]["boxes"])


def test_standard_layer_checks_with_a_format():
    run_layer_test(layers.RandomFlip, dict(bounding_box_format="xyxy", seed=1), IMAGES.shape, train=False,
                   input_data=IMAGES, call_kwargs={"training": False})
    run_layer_test(layers.Resizing, dict(height=5, width=6, bounding_box_format="rel_xyxy"), IMAGES.shape,
                   train=False, input_data=IMAGES)


def test_dict_output_shapes():
    shapes = {"images": (2, 10, 12, 3), "segmentation_masks": (2, 10, 12, 1), "labels": (2,),
              "bounding_boxes": {"boxes": (2, 4, 4), "labels": (2, 4)}}
    out = layers.Resizing(5, 7, bounding_box_format="xyxy").compute_output_shape(shapes)
    assert out == {**shapes, "images": (2, 5, 7, 3), "segmentation_masks": (2, 5, 7, 1)}
    assert layers.RandomFlip(bounding_box_format="xyxy").compute_output_shape(shapes) == shapes


def test_errors():
    flip = layers.RandomFlip(name="flip")
    with pytest.raises(ValueError, match=r"flip.*'images' key.*Received keys: \['boxes'\]"):
        flip({"boxes": IMAGES})
    with pytest.raises(ValueError, match=r"flip.*no bounding box format.*bounding_box_format='xyxy'"):
        flip({"images": IMAGES, "bounding_boxes": BOXES})
    with pytest.raises(ValueError, match=r"flip.*'boxes' and 'labels'"):
        flip({"images": IMAGES, "bounding_boxes": {"boxes": BOXES["boxes"]}})
    with pytest.raises(ValueError, match=r"RandomZoom.*bounding_box_format.*Received: bounding_box_format='xyz'"):
        layers.RandomZoom(0.1, bounding_box_format="xyz")
    crop = layers.CenterCrop(5, 5, bounding_box_format="xyxy", name="crop")
    with pytest.raises(ValueError, match=r"crop.*rank 4.*'boxes' of rank 3.*boxes.shape=\(4, 4\)"):
        crop({"images": IMAGES, "bounding_boxes": {"boxes": BOXES["boxes"][0], "labels": BOXES["labels"][0]}})
    with pytest.raises(NotImplementedError, match=r"MixUp.*not supported"):
        layers.MixUp(bounding_box_format="xyxy")({"images": IMAGES, "bounding_boxes": BOXES})


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow", reason="tf.data runs on the TensorFlow backend")
def test_dicts_in_tf_data_map():
    import tensorflow as tf
    flip = layers.RandomFlip("horizontal", seed=3, bounding_box_format="xyxy")
    crop = layers.RandomCrop(8, 10, seed=4, bounding_box_format="xyxy")

    def augment(data):
        return crop(flip(data, training=True), training=True)

    data = {"images": IMAGES, "segmentation_masks": IMAGES[..., :1], "bounding_boxes": BOXES}
    batches = list(tf.data.Dataset.from_tensor_slices(data).batch(2).map(augment))
    assert len(batches) == 1
    out = batches[0]
    assert tuple(out["images"].shape) == (2, 8, 10, 3) and tuple(out["bounding_boxes"]["boxes"].shape) == (2, 4, 4)
    np.testing.assert_array_equal(out["segmentation_masks"].numpy(), out["images"].numpy()[..., :1])
    singles = list(tf.data.Dataset.from_tensor_slices(data).map(augment))
    assert [tuple(s["bounding_boxes"]["boxes"].shape) for s in singles] == [(4, 4), (4, 4)]
    # each box is the flipped one (when its image was flipped) in the frame of the crop its image got
    for i, single in enumerate(singles):
        image = single["images"].numpy()
        mirrored = BOXES["boxes"][i][:, [2, 1, 0, 3]] * [-1, 1, -1, 1] + [12, 0, 12, 0]
        found = [(boxes, t, left) for source, boxes in ((IMAGES[i], BOXES["boxes"][i]), (IMAGES[i, :, ::-1], mirrored))
                 for t in range(3) for left in range(3) if np.array_equal(image, source[t:t + 8, left:left + 10])]
        assert len(found) == 1
        boxes, t, left = found[0]
        want = np.clip(boxes - [left, t, left, t], 0, [10, 8, 10, 8])
        keep = BOXES["labels"][i] >= 0
        close(single["bounding_boxes"]["boxes"].numpy()[keep], want[keep])


def test_symbolic_dict_calls_and_a_functional_model():
    inputs = {"images": kerasport.Input((10, 12, 3)), "segmentation_masks": kerasport.Input((10, 12, 1), dtype="int32")}
    boxes = {"boxes": kerasport.Input((4, 4)), "labels": kerasport.Input((4,), dtype="int32")}
    spec = layers.Resizing(5, 6, bounding_box_format="xyxy")({**inputs, "bounding_boxes": boxes})
    assert tuple(spec["images"].shape) == (None, 5, 6, 3) and tuple(spec["segmentation_masks"].shape) == (None, 5, 6, 1)
    assert tuple(spec["bounding_boxes"]["boxes"].shape) == (None, 4, 4)
    assert spec["segmentation_masks"].dtype == "int32" and spec["bounding_boxes"]["labels"].dtype == "int32"
    model = kerasport.Model(inputs, layers.Resizing(5, 6, interpolation="nearest")(layers.RandomFlip(seed=2)(inputs)))
    masks = np.round(IMAGES[..., :1]).astype("int32")
    out = model({"images": np.round(IMAGES), "segmentation_masks": masks}, training=True)
    np.testing.assert_array_equal(to_numpy(out["segmentation_masks"]), to_numpy(out["images"])[..., :1])


def test_layers_with_a_format_train_in_a_sequential_model():
    x, y = IMAGES / 255.0, np.array([0, 1])
    model = kerasport.Sequential([
        kerasport.Input((10, 12, 3)), layers.RandomFlip(bounding_box_format="xyxy"),
        layers.RandomRotation(0.1, bounding_box_format="xyxy"), layers.CenterCrop(8, 8, bounding_box_format="xyxy"),
        layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow", reason="tf.data runs on the TensorFlow backend")
def test_every_geometric_layer_in_tf_data_map():
    import tensorflow as tf
    pipeline = [seeded(name, bounding_box_format="center_xywh", **kwargs) for name, kwargs in SAME_DRAW[:6]] + [
        layers.CenterCrop(4, 6, bounding_box_format="center_xywh"),
        layers.Resizing(8, 6, interpolation="nearest", bounding_box_format="center_xywh")]  # no bilinear resize

    def augment(data):
        for layer in pipeline:
            data = layer(data, training=True)
        return data

    images = np.round(IMAGES)
    data = {"images": images, "segmentation_masks": images[..., :1].astype("int32"), "labels": np.array([3, 4]),
            "bounding_boxes": in_format(BOXES, "center_xywh", 10, 12)}
    for dataset in (tf.data.Dataset.from_tensor_slices(data).batch(2), tf.data.Dataset.from_tensor_slices(data)):
        for out in dataset.map(augment):
            assert tuple(out["images"].shape)[-3:] == (8, 6, 3)
            assert tuple(out["bounding_boxes"]["boxes"].shape)[-2:] == (4, 4)
            np.testing.assert_array_equal(out["segmentation_masks"].numpy(), out["images"].numpy()[..., :1])
            assert np.all(np.isfinite(out["bounding_boxes"]["boxes"].numpy()))
