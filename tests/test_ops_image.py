"""``kerasport.ops.image`` against ``keras.ops.image`` (Keras 3, TensorFlow backend) on both backends."""
import numpy as np
import pytest

import kerasport
from kerasport import ops
from kerasport.backends import B
from tests.helpers import to_numpy

RNG = np.random.RandomState(0)
IMAGES = RNG.rand(2, 9, 13, 3).astype("float32")
CF = (0, 3, 1, 2)


def close(ours, theirs, tol=1e-5):
    np.testing.assert_allclose(to_numpy(ours), np.asarray(theirs), rtol=tol, atol=tol)


# PyTorch reproduces tf.image.resize by TF's own weights (Keys cubic table, area overlaps,
# ScaleAndTranslate kernels); measured max |diff| on [0, 1] images is below 1e-6 (area
# upsampling ~2e-6), so every mode is held to 1e-5.
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("size", [(4, 5), (17, 30), (9, 6)])
def test_resize_matches_keras(keras, interpolation, antialias, size):
    want = keras.ops.image.resize(IMAGES, size, interpolation=interpolation, antialias=antialias)
    close(ops.image.resize(IMAGES, size, interpolation=interpolation, antialias=antialias), want)


@pytest.mark.parametrize("kwargs", [{"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True, "fill_value": 0.5},
                                    {"interpolation": "bicubic", "data_format": "channels_first"}])
@pytest.mark.parametrize("size", [(6, 4), (4, 12)])
def test_resize_aspect_ratio_and_channels_first(keras, kwargs, size):
    x = IMAGES if kwargs.get("data_format") != "channels_first" else np.transpose(IMAGES, CF)
    close(ops.image.resize(x, size, **kwargs), keras.ops.image.resize(x, size, **kwargs))


def test_resize_unbatched_and_uint8(keras):
    close(ops.image.resize(IMAGES[0], (5, 7)), keras.ops.image.resize(IMAGES[0], (5, 7)))
    x = (IMAGES * 255).astype("uint8")
    ours = ops.image.resize(x, (5, 20))
    assert B.dtype(ours) == "uint8"
    np.testing.assert_array_equal(to_numpy(ours), keras.ops.image.resize(x, (5, 20)).numpy())


TRANSFORMS = np.array([[1.2, 0.3, -2.5, -0.2, 0.9, 1.7, 0, 0], [0.5, -0.7, 6.1, 0.6, 0.8, -3.3, 0.001, 0.002]],
                      "float32")


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "reflect"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_affine_transform_matches_keras(keras, interpolation, fill_mode, data_format):
    x = IMAGES if data_format == "channels_last" else np.transpose(IMAGES, CF)
    kwargs = dict(interpolation=interpolation, fill_mode=fill_mode, fill_value=0.7, data_format=data_format)
    close(ops.image.affine_transform(x, TRANSFORMS, **kwargs), keras.ops.image.affine_transform(x, TRANSFORMS, **kwargs))


def test_affine_transform_unbatched_and_gradient(keras):
    close(ops.image.affine_transform(IMAGES[0], TRANSFORMS[0]),
          keras.ops.image.affine_transform(IMAGES[0], TRANSFORMS[0]))
    identity = np.array([1, 0, 0, 0, 1, 0, 0, 0], "float32")
    close(ops.image.affine_transform(IMAGES, identity), IMAGES)
    if B.NAME == "torch":
        import torch
        x = torch.tensor(IMAGES, requires_grad=True)
        ops.image.affine_transform(x, identity).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), np.ones_like(IMAGES))


def test_crop_and_pad_images(keras):
    for kwargs in [dict(top_cropping=1, left_cropping=2, target_height=5, target_width=6),
                   dict(top_cropping=1, bottom_cropping=2, left_cropping=0, right_cropping=3)]:
        close(ops.image.crop_images(IMAGES, **kwargs), keras.ops.image.crop_images(IMAGES, **kwargs))
        cf = np.transpose(IMAGES, CF)
        close(ops.image.crop_images(cf, data_format="channels_first", **kwargs),
              keras.ops.image.crop_images(cf, data_format="channels_first", **kwargs))
    kwargs = dict(top_padding=2, left_padding=3, target_height=14, target_width=20)
    close(ops.image.pad_images(IMAGES, **kwargs), keras.ops.image.pad_images(IMAGES, **kwargs))
    close(ops.image.pad_images(IMAGES[0], 1, 2, 3, 4), keras.ops.image.pad_images(IMAGES[0], 1, 2, 3, 4))
    with pytest.raises(ValueError, match="exactly two of top_padding"):
        ops.image.pad_images(IMAGES, 1, 1, 1, 1, target_height=3)
    with pytest.raises(ValueError, match="top_cropping must be >= 0"):
        ops.image.crop_images(IMAGES, target_height=20, bottom_cropping=0, left_cropping=0, right_cropping=0)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_colour_conversions(keras, data_format):
    x = IMAGES if data_format == "channels_last" else np.transpose(IMAGES, CF)
    for name in ("rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb"):
        close(getattr(ops.image, name)(x, data_format=data_format),
              getattr(keras.ops.image, name)(x, data_format=data_format))
    gray = np.array([[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]], "float32")  # zero saturation: hue 0
    close(ops.image.rgb_to_hsv(gray), keras.ops.image.rgb_to_hsv(gray))
    with pytest.raises(ValueError, match="expected float dtype"):
        ops.image.rgb_to_hsv(np.zeros((2, 2, 3), "int32"))
    with pytest.raises(ValueError, match="expected 3 \\(RGB\\) or 1"):
        ops.image.rgb_to_grayscale(np.zeros((2, 2, 2), "float32"))


@pytest.mark.parametrize("kwargs", [dict(size=3), dict(size=(2, 4), strides=(1, 2), padding="same"),
                                    dict(size=3, strides=1, padding="same"),  # keras.io involution's int stride
                                    dict(size=2, data_format="channels_first")])
def test_extract_patches(keras, kwargs):
    # Keras's reference runs channels_last (TensorFlow's Eigen kernels have no NCHW convolution) and is
    # transposed for channels_first.
    channels_first = kwargs.get("data_format") == "channels_first"
    x = np.transpose(IMAGES, CF) if channels_first else IMAGES
    reference = dict(kwargs, data_format="channels_last")
    for ours, image in [(x, IMAGES), (x[0], IMAGES[0])]:
        want = np.asarray(keras.ops.image.extract_patches(image, **reference))
        if channels_first:
            want = np.moveaxis(want, -1, -3)
        close(ops.image.extract_patches(ours, **kwargs), want)


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_map_coordinates(keras, order, fill_mode):
    x = RNG.rand(5, 7).astype("float32")
    coords = np.stack(np.meshgrid(np.linspace(-3.3, 7.2, 6), np.linspace(-2.6, 8.9, 8), indexing="ij")).astype(
        "float32")
    if fill_mode == "mirror":  # Keras's TF kernel indexes out of range at exactly 2 * size: stay inside
        coords = np.clip(coords, -3, 3.9)
    close(ops.image.map_coordinates(x, coords, order, fill_mode, 0.25),
          keras.ops.image.map_coordinates(x, coords, order, fill_mode, 0.25))


def test_gaussian_blur(keras):
    for kwargs in [{}, dict(kernel_size=(5, 5), sigma=(2.0, 2.0))]:
        close(ops.image.gaussian_blur(IMAGES, **kwargs), keras.ops.image.gaussian_blur(IMAGES, **kwargs))


def test_validation_errors():
    with pytest.raises(ValueError, match="ops.image.resize: invalid images rank"):
        ops.image.resize(np.zeros((4, 4), "float32"), (2, 2))
    with pytest.raises(ValueError, match="`interpolation`"):
        ops.image.resize(IMAGES, (2, 2), interpolation="cubic")
    with pytest.raises(ValueError, match="only one of"):
        ops.image.resize(IMAGES, (2, 2), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="`fill_mode`"):
        ops.image.affine_transform(IMAGES, TRANSFORMS, fill_mode="mirror")
    with pytest.raises(ValueError, match="transform.shape"):
        ops.image.affine_transform(IMAGES, np.zeros((2, 6), "float32"))


def test_symbolic_op_in_functional_model():
    inp = kerasport.Input((9, 13, 3))
    out = ops.image.resize(inp, (4, 6))
    assert tuple(out.shape) == (None, 4, 6, 3)
    model = kerasport.Model(inp, out)
    close(model.predict(IMAGES, verbose=0), to_numpy(ops.image.resize(IMAGES, (4, 6))))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_sobel_edges_matches_keras(keras, data_format):
    x = IMAGES if data_format == "channels_last" else IMAGES.transpose(CF)
    ours = ops.image.sobel_edges(x, data_format=data_format)
    theirs = keras.ops.image.sobel_edges(x, data_format=data_format)
    assert tuple(ours.shape) == tuple(theirs.shape) == x.shape + (2,)
    close(ours, theirs)
    with pytest.raises(ValueError, match="expected rank 4"):
        ops.image.sobel_edges(IMAGES[0])


@pytest.mark.parametrize("kwargs", [{}, dict(max_val=2.0, filter_size=5, filter_sigma=1.0, k1=0.02, k2=0.05)])
def test_ssim_matches_keras(keras, kwargs):
    other = np.clip(IMAGES + RNG.randn(*IMAGES.shape).astype("float32") * 0.1, 0, 1)
    big1, big2 = RNG.rand(2, 16, 14, 3).astype("float32"), RNG.rand(2, 16, 14, 3).astype("float32")
    for a, b, extra in [(big1, big2, {}), (big1[0], np.clip(big1[0] + 0.05, 0, 1), {}),
                        (big1.transpose(CF), big2.transpose(CF), {"data_format": "channels_first"}),
                        (IMAGES, other, {"filter_size": 3})]:
        ours = ops.image.ssim(a, b, **{**kwargs, **extra})
        theirs = keras.ops.image.ssim(a, b, **{**kwargs, **extra})
        assert tuple(ours.shape) == tuple(theirs.shape) and ops.dtype(ours) == "float32"
        close(ours, theirs)
    np.testing.assert_allclose(to_numpy(ops.image.ssim(big1, big1)), [1.0, 1.0], rtol=1e-5)
    with pytest.raises(ValueError, match="invalid image2 rank"):
        ops.image.ssim(big1, big1[0, 0])


def test_sobel_ssim_and_scale_and_translate_in_a_functional_model():
    inp, other = kerasport.Input((9, 13, 3)), kerasport.Input((9, 13, 3))
    edges, score = ops.image.sobel_edges(inp), ops.image.ssim(inp, other, filter_size=5)
    scaled = ops.image.scale_and_translate(inp, (None, 4, 20, 3), [0.5, 1.5], [0.0, 0.2], (1, 2), "cubic")
    assert tuple(edges.shape) == (None, 9, 13, 3, 2) and tuple(score.shape) == (None,)
    assert tuple(scaled.shape) == (None, 4, 20, 3)
    model = kerasport.Model([inp, other], [edges, score, scaled])
    got = model.predict([IMAGES, IMAGES[::-1]], verbose=0)
    close(got[2], to_numpy(ops.image.scale_and_translate(IMAGES, (2, 4, 20, 3), [0.5, 1.5], [0.0, 0.2], (1, 2),
                                                         "cubic")))
    close(got[0], to_numpy(ops.image.sobel_edges(IMAGES)))
    close(got[1], to_numpy(ops.image.ssim(IMAGES, IMAGES[::-1], filter_size=5)))


@pytest.mark.parametrize("method", ["linear", "bicubic", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("antialias", [True, False])
def test_scale_and_translate_matches_keras(keras, method, antialias):
    cases = [(IMAGES, (2, 5, 20, 3), [0.55, 1.6], [0.3, -1.2], (1, 2)),
             (IMAGES[0, :, :, 0], (15, 7), np.array([1.7, 0.5], "float32"), np.array([-0.4, 0.25], "float32"), (0, 1)),
             (IMAGES, (2, 9, 26, 3), [2.0], [0.0], (-2,))]
    for images, shape, scale, translation, dims in cases:
        scale, translation = np.asarray(scale, "float32"), np.asarray(translation, "float32")
        ours = ops.image.scale_and_translate(images, shape, scale, translation, dims, method, antialias)
        theirs = keras.ops.image.scale_and_translate(images, shape, scale, translation, dims, method, antialias)
        assert tuple(ours.shape) == tuple(theirs.shape) == shape
        assert ops.dtype(ours) == keras.backend.standardize_dtype(theirs.dtype)
        close(ours, theirs)
    # Keras's TensorFlow backend fails on integer images; they are the float result rounded into their range.
    pixels = (IMAGES * 255).astype("uint8")
    args = ((2, 4, 6, 3), np.array([0.45, 0.45], "float32"), np.array([0.0, 0.5], "float32"), (1, 2), method,
            antialias)
    ours = ops.image.scale_and_translate(pixels, *args)
    want = np.clip(np.round(to_numpy(ops.image.scale_and_translate(pixels.astype("float32"), *args))),
                   pixels.min(), pixels.max())
    assert ops.dtype(ours) == "uint8"
    np.testing.assert_array_equal(to_numpy(ours), want.astype("uint8"))
    with pytest.raises(ValueError, match="`method`"):
        ops.image.scale_and_translate(IMAGES, (2, 4, 4, 3), scale, translation, (1, 2), "area")


CORNERS = np.array([[0, 0], [12, 0], [0, 8], [12, 8]], "float32")
MOVED = CORNERS + RNG.uniform(-2, 2, (2, 4, 2)).astype("float32")


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_perspective_transform_matches_keras(keras, interpolation, data_format):
    x = IMAGES if data_format == "channels_last" else np.transpose(IMAGES, CF)
    start = np.stack([CORNERS, CORNERS])
    kwargs = dict(interpolation=interpolation, fill_value=0.5, data_format=data_format)
    close(ops.image.perspective_transform(x, start, MOVED, **kwargs),
          keras.ops.image.perspective_transform(x, start, MOVED, **kwargs), 1e-4)
    close(ops.image.perspective_transform(x[0], CORNERS, MOVED[0], **kwargs),
          keras.ops.image.perspective_transform(x[0], CORNERS, MOVED[0], **kwargs), 1e-4)
    close(ops.image.perspective_transform(x, CORNERS, CORNERS, **kwargs), x, 1e-4)


def test_gaussian_blur_takes_tensor_sigmas(keras):
    sigma = (B.convert_to_tensor(np.float32(0.7)), B.convert_to_tensor(np.float32(1.9)))
    close(ops.image.gaussian_blur(IMAGES, (3, 5), sigma), keras.ops.image.gaussian_blur(IMAGES, (3, 5), (0.7, 1.9)))


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill_mode", ["reflect", "constant"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_elastic_warp_matches_keras_blur_and_map_coordinates(keras, interpolation, fill_mode, data_format):
    """The deterministic part of elastic_transform (given the noise fields) against Keras's own steps."""
    dx, dy = (RNG.randn(2, 9, 13).astype("float32") for _ in range(2))
    alpha, sigma, size = 3.0, 1.2, 7
    x = IMAGES if data_format == "channels_last" else np.transpose(IMAGES, CF)
    got = ops.image.elastic_warp(B.convert_to_tensor(x), B.convert_to_tensor(dx), B.convert_to_tensor(dy), alpha,
                                 sigma, size, interpolation, fill_mode, 0.25, data_format)
    blurred = [np.asarray(keras.ops.image.gaussian_blur(d[..., None], (size, size), (sigma, sigma)))[..., 0]
               for d in (dx, dy)]
    gy, gx = np.meshgrid(np.arange(9, dtype="float32"), np.arange(13, dtype="float32"), indexing="ij")
    order = ["nearest", "bilinear"].index(interpolation)
    want = np.stack([np.stack([np.asarray(keras.ops.image.map_coordinates(
        IMAGES[b, ..., c], [gy + alpha * blurred[1][b], gx + alpha * blurred[0][b]], order, fill_mode, 0.25))
        for c in range(3)], -1) for b in range(2)])
    close(got, want if data_format == "channels_last" else np.transpose(want, CF), 1e-4)


def test_elastic_transform_draws_and_validates():
    x = RNG.rand(2, 16, 16, 3).astype("float32")
    close(ops.image.elastic_transform(x, alpha=0.0, sigma=2.0, seed=1), x)
    a = to_numpy(ops.image.elastic_transform(x, alpha=10.0, sigma=2.0, seed=3))
    np.testing.assert_array_equal(a, to_numpy(ops.image.elastic_transform(x, alpha=10.0, sigma=2.0, seed=3)))
    assert a.shape == x.shape and np.abs(a - x).mean() > 0.01
    assert a.min() >= x.min() - 1e-6 and a.max() <= x.max() + 1e-6  # bilinear samples of the input
    single = to_numpy(ops.image.elastic_transform(x[0], alpha=10.0, sigma=2.0, seed=3))
    assert single.shape == x.shape[1:]
    with pytest.raises(ValueError, match="elastic_transform.*`fill_mode`"):
        ops.image.elastic_transform(x, fill_mode="mirror")
    with pytest.raises(ValueError, match="perspective_transform: invalid start_points shape"):
        ops.image.perspective_transform(x, np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="same shape"):
        ops.image.perspective_transform(x, np.zeros((2, 4, 2)), np.zeros((4, 2)))


VOLUMES = RNG.rand(2, 5, 6, 7, 2).astype("float32")


@pytest.mark.parametrize("kwargs", [{"size": 2}, {"size": (2, 3, 2)}, {"size": (2, 2, 3), "strides": (1, 2, 1)},
                                    {"size": 3, "strides": 2, "padding": "same"},
                                    {"size": (2, 2, 2), "strides": 1, "dilation_rate": 2},
                                    {"size": (2, 3, 2), "data_format": "channels_first"}])
def test_extract_patches_3d(keras, kwargs):
    # As test_extract_patches: Keras runs channels_last, transposed for channels_first.
    channels_first = kwargs.get("data_format") == "channels_first"
    x = np.moveaxis(VOLUMES, -1, 1) if channels_first else VOLUMES
    reference = dict(kwargs, data_format="channels_last")
    for ours, volume in [(x, VOLUMES), (x[0], VOLUMES[0])]:
        want = np.asarray(keras.ops.image.extract_patches_3d(volume, **reference))
        if channels_first:
            want = np.moveaxis(want, -1, -4)
        close(ops.image.extract_patches_3d(ours, **kwargs), want)
        if not channels_first and "dilation_rate" not in kwargs:  # a 3-tuple size makes extract_patches 3-D too
            size = kwargs["size"] if isinstance(kwargs["size"], tuple) else (kwargs["size"],) * 3
            close(ops.image.extract_patches(ours, **dict(kwargs, size=size)), want)


def test_extract_patches_3d_symbolic_and_errors():
    x = kerasport.Input((4, 6, 6, 3))
    assert tuple(ops.image.extract_patches_3d(x, 2).shape) == (None, 2, 3, 3, 24)
    with pytest.raises(TypeError, match="size"):
        ops.image.extract_patches_3d(VOLUMES, (2, 2))
    with pytest.raises(ValueError, match="rank"):
        ops.image.extract_patches_3d(VOLUMES[0, 0], 2)
    with pytest.raises(ValueError, match="strides"):
        ops.image.extract_patches_3d(VOLUMES, 2, strides=(1, 1))


def _patches_3d_model(lib):
    x = lib.Input((4, 6, 6, 2))
    return lib.Model(x, lib.layers.Flatten()(lib.ops.image.extract_patches_3d(x, 2, strides=(2, 3, 3))))


def test_extract_patches_3d_in_a_keras_archive(keras, tmp_path):
    """Keras writes a symbolic extract_patches_3d as its ExtractPatches op; archives move both ways."""
    data = VOLUMES[:, :4, :6, :6]
    theirs = _patches_3d_model(keras)
    theirs.save(tmp_path / "keras.keras")
    close(kerasport.saving.load_model(tmp_path / "keras.keras").predict(data, verbose=0),
          theirs.predict(data, verbose=0))
    ours = _patches_3d_model(kerasport)
    ours.save(tmp_path / "ours.keras")
    loaded = keras.saving.load_model(tmp_path / "ours.keras")
    assert "ExtractPatches" in {e["class_name"] for e in loaded.get_config()["layers"]}
    close(ours.predict(data, verbose=0), loaded.predict(data, verbose=0))
