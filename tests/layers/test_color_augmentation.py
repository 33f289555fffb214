"""Colour augmentation layers (``kerasport/layers/color_augmentation.py``) against Keras 3's, on both backends.

Random layers draw other numbers than Keras, so they are compared on Keras's own transformation
(its ``get_random_transformation`` fed to both ``transform_images``), on calls whose factors pin the
draw, and on the ranges of their draws.
"""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import to_numpy
from tests.layers.image_layer_checks import (
    augmented_classifier, check_config_matches_keras, check_file_round_trip, check_fits_one_epoch,
    check_inference_passthrough, check_keras_file_loads, check_seeds, check_standard_layer, check_tf_data_map,
    check_transform_matches_keras, close, layer_input, named_cases, needs_tf_data, random_images, to_ours)

RNG = np.random.RandomState(0)
IMAGES = random_images(RNG, (3, 10, 12, 3))

CASES = named_cases([
    ("RandomColorDegeneration", dict(factor=0.6, seed=1)),
    ("RandomColorDegeneration", dict(factor=(0.2, 0.9), value_range=(0, 1), data_format="channels_first")),
    ("RandomSaturation", dict(factor=(0.2, 0.8), seed=2)),
    ("RandomSaturation", dict(factor=(0.6, 0.9), data_format="channels_first")),
    ("RandomHue", dict(factor=0.5, seed=3)),
    ("RandomHue", dict(factor=(0.2, 0.9), value_range=(0, 1), data_format="channels_first")),
    ("RandomSharpness", dict(factor=(0.1, 0.9), seed=4)),
    ("RandomSharpness", dict(factor=0.7, data_format="channels_first")),
    ("RandomInvert", dict(factor=0.5, seed=5)),
    ("RandomInvert", dict(value_range=(0, 1), data_format="channels_first")),
    ("RandomPosterization", dict(factor=6, seed=6)),
    ("RandomPosterization", dict(factor=(2, 5), value_range=(0, 1), data_format="channels_first")),
    ("Equalization", dict()),
    ("Equalization", dict(value_range=(0, 1), bins=64, data_format="channels_first")),
    ("RandomColorJitter", dict(brightness_factor=0.2, contrast_factor=0.3, saturation_factor=(0.4, 0.6),
                               hue_factor=0.1, seed=7)),
    ("RandomColorJitter", dict(value_range=(0, 1), contrast_factor=(0.1, 0.2))),
])
RANDOM = [c for c in CASES if c.values[0] != "Equalization"]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_config_matches_keras(keras, name, kwargs):
    check_config_matches_keras(keras, name, kwargs)


@pytest.mark.parametrize("name,kwargs", [c for c in CASES if c.values[0] != "RandomColorJitter"])
def test_transform_matches_keras_on_the_same_transformation(keras, name, kwargs):
    check_transform_matches_keras(keras, name, kwargs, layer_input(kwargs, IMAGES), 2e-3)


PINNED = named_cases([
    ("RandomColorDegeneration", dict(factor=(0.5, 0.5))),
    ("RandomColorDegeneration", dict(factor=(0.3, 0.3), data_format="channels_first")),
    ("RandomSaturation", dict(factor=(0.3, 0.3))),
    ("RandomSaturation", dict(factor=(0.8, 0.8), value_range=(0, 1), data_format="channels_first")),
    ("RandomHue", dict(factor=0.0)),
    ("RandomSharpness", dict(factor=(0.9, 0.9))),
    ("RandomSharpness", dict(factor=(0.2, 0.2), data_format="channels_first")),
    ("RandomInvert", dict(factor=(1.0, 1.0))),
    ("RandomInvert", dict(factor=(0.0, 0.0))),
    ("RandomPosterization", dict(factor=(3, 3))),
    ("RandomPosterization", dict(factor=(5, 5), value_range=(0, 1), data_format="channels_first")),
    ("Equalization", dict()),
    ("Equalization", dict(value_range=(0, 1), bins=32, data_format="channels_first")),
    ("RandomColorJitter", dict(brightness_factor=(0.1, 0.1), contrast_factor=(-0.3, 0.3),
                               saturation_factor=(0.7, 0.7))),
    ("RandomColorJitter", dict(value_range=(0, 1), brightness_factor=(-0.2, -0.2), saturation_factor=(0.2, 0.2),
                               hue_factor=0.0)),
])


@pytest.mark.parametrize("name,kwargs", PINNED)
def test_calls_with_a_pinned_draw_match_keras(keras, name, kwargs):
    x = layer_input(kwargs, IMAGES)
    close(getattr(layers, name)(**kwargs)(x), getattr(keras.layers, name)(**kwargs)(x), 2e-3)
    close(getattr(layers, name)(**kwargs)(x[0]), getattr(keras.layers, name)(**kwargs)(x[0]), 2e-3)


def test_equalization_matches_keras_on_integer_valued_images(keras):
    x = RNG.randint(40, 120, size=(2, 16, 16, 3)).astype("float32")
    x[..., 2] = 7.0  # one bin: the channel is left as it is
    close(layers.Equalization()(x), keras.layers.Equalization()(x), 1e-5)
    close(layers.Equalization(bins=16)(x), keras.layers.Equalization(bins=16)(x), 1e-5)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_standard_layer_checks(name, kwargs):
    check_standard_layer(name, kwargs, layer_input(kwargs, IMAGES))


@pytest.mark.parametrize("name,kwargs", CASES)
def test_layers_pass_through_in_inference(name, kwargs):
    check_inference_passthrough(getattr(layers, name)(**kwargs), layer_input(kwargs, IMAGES))


@pytest.mark.parametrize("name,kwargs", RANDOM)
def test_seeds_reproduce_and_streams_advance(name, kwargs):
    check_seeds(name, kwargs, layer_input(kwargs, IMAGES))


def test_sampling_ranges():
    x = np.zeros((400, 4, 4, 3), "float32")
    f = to_numpy(layers.RandomColorDegeneration(0.4, seed=1).get_random_transformation(x)["factor"])
    assert f.shape == (400, 1, 1, 1) and f.min() >= -0.4 and f.max() <= 0.4 and f.min() < -0.3 and f.max() > 0.3
    s = to_numpy(layers.RandomSaturation((0.2, 0.6), seed=1).get_random_transformation(x)["factor"])
    assert s.min() >= 0.25 - 1e-5 and s.max() <= 1.5 + 1e-5 and s.std() > 0.2
    h = to_numpy(layers.RandomHue((0.2, 0.6), seed=1).get_random_transformation(x)["factor"])
    assert np.all(np.abs(h) >= 0.1 - 1e-6) and np.all(np.abs(h) <= 0.3 + 1e-6)
    assert 0.35 < (h > 0).mean() < 0.65
    inv = to_numpy(layers.RandomInvert((0.2, 0.4), seed=1).get_random_transformation(x)["apply_inversion"])
    assert 0.2 < inv.mean() < 0.4
    shift = to_numpy(layers.RandomPosterization((2, 6), seed=1).get_random_transformation(x)["shift_factor"])
    assert set(np.unique(shift)) == {3, 4, 5, 6}
    sharp = to_numpy(layers.RandomSharpness(0.5, seed=1).get_random_transformation(x)["factor"])
    assert sharp.min() >= 0 and sharp.max() <= 0.5 and sharp.std() > 0.1


def test_color_jitter_steps_apply_in_keras_order():
    x = layer_input({}, IMAGES)
    jitter = layers.RandomColorJitter(brightness_factor=(0.2, 0.2), contrast_factor=(-0.5, 0.5),
                                      saturation_factor=(0.25, 0.25))
    want = layers.RandomSaturation((0.25, 0.25))(layers.RandomContrast((-0.5, 0.5))(
        layers.RandomBrightness((0.2, 0.2))(x)))
    close(jitter(x), want, 1e-3)
    hue = layers.RandomColorJitter(hue_factor=(0.5, 0.5), seed=3)(x)
    gray = np.broadcast_to(x.mean(-1, keepdims=True), x.shape)
    close(layers.RandomColorJitter(hue_factor=0.9)(gray), gray, 1e-3)  # a hue change leaves gray pixels alone
    assert not np.allclose(to_numpy(hue), x, atol=1)


def test_errors():
    with pytest.raises(ValueError, match="RandomHue.*factor.*\\[0, 1\\].*1.5"):
        layers.RandomHue(1.5)
    with pytest.raises(ValueError, match="RandomPosterization.*factor.*\\[1, 8\\].*9"):
        layers.RandomPosterization(9)
    with pytest.raises(ValueError, match="RandomSaturation.*value_range.*3"):
        layers.RandomSaturation(0.5, value_range=3)
    with pytest.raises(ValueError, match="Equalization.*bins.*0"):
        layers.Equalization(bins=0)
    with pytest.raises(ValueError, match="RandomColorDegeneration.*3 channels.*4"):
        layers.RandomColorDegeneration(0.5).compute_output_shape((None, 8, 8, 4))
    with pytest.raises(ValueError, match="RandomInvert.*rank 3 .* or 4"):
        layers.RandomInvert()(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="RandomHue.*factor.*2.0"):
        layers.RandomColorJitter(hue_factor=2.0)


def _augmenting_model(equalize=True):
    """A model with every layer of the module (Keras 3.15 cannot put ``Equalization`` in a model of its own: its
    ``compute_output_spec`` returns its input, a cycle for its graph builder, so ``equalize=False`` leaves it out)."""
    return augmented_classifier([
        layers.RandomColorJitter(brightness_factor=0.1, contrast_factor=0.1, saturation_factor=(0.3, 0.7),
                                 hue_factor=0.1, seed=1),
        layers.RandomSharpness(0.5, seed=2), layers.RandomPosterization(6, seed=3), layers.RandomInvert(0.2, seed=4),
        layers.RandomColorDegeneration(0.3, seed=5)] + ([layers.Equalization()] if equalize else []))


def test_augmented_model_fits_one_epoch():
    x = random_images(RNG, (16, 16, 16, 3))
    check_fits_one_epoch(_augmenting_model(), x, RNG.randint(0, 2, 16))


def test_save_load_round_trip_and_keras_interop(keras, tmp_path):
    x = random_images(RNG, (4, 16, 16, 3))
    check_file_round_trip(keras, _augmenting_model(), x, tmp_path, keras_loads=False)
    check_file_round_trip(keras, _augmenting_model(equalize=False), x, tmp_path)
    theirs = keras.Sequential([
        keras.Input((16, 16, 3)), keras.layers.RandomColorJitter(brightness_factor=0.1, hue_factor=0.2),
        keras.layers.RandomSaturation(0.4), keras.layers.RandomHue(0.2), keras.layers.RandomSharpness(0.3),
        keras.layers.RandomInvert(), keras.layers.RandomPosterization(4), keras.layers.RandomColorDegeneration(0.2),
        keras.layers.Conv2D(2, 3), keras.layers.Flatten(), keras.layers.Dense(1)])
    check_keras_file_loads(theirs, x, tmp_path, ["RandomColorJitter", "RandomSaturation", "RandomHue",
                                                 "RandomSharpness", "RandomInvert", "RandomPosterization",
                                                 "RandomColorDegeneration"])


@needs_tf_data
@pytest.mark.parametrize("name,kwargs", CASES)
def test_layers_run_inside_tf_data_map(name, kwargs):
    x = layer_input(kwargs, IMAGES)
    layer = getattr(layers, name)(**{**kwargs, "seed": 11} if name != "Equalization" else kwargs)
    twin = getattr(layers, name)(**{**kwargs, "seed": 11} if name != "Equalization" else kwargs)
    mapped = check_tf_data_map(layer, x, batch_size=3)
    if name == "Equalization":
        close(mapped, twin(x), 1e-5)


POLICIES = named_cases([
    ("RandAugment", dict(seed=1)),
    ("RandAugment", dict(value_range=(0, 1), num_ops=3, factor=(0.1, 0.3), interpolation="nearest",
                         data_format="channels_first")),
    ("AugMix", dict(seed=2)),
    ("AugMix", dict(value_range=(0, 1), num_chains=2, chain_depth=4, factor=0.6, alpha=0.5, all_ops=False,
                    data_format="channels_first")),
])


@pytest.mark.parametrize("name,kwargs", POLICIES)
def test_policy_config_matches_keras(keras, name, kwargs):
    check_config_matches_keras(keras, name, kwargs)


@pytest.mark.parametrize("name,kwargs", POLICIES)
@pytest.mark.parametrize("draw", range(3))
def test_policy_transform_matches_keras_on_the_same_transformation(keras, name, kwargs, draw):
    """Keras runs channels_last (its AutoContrast takes channels_first images' ranges over (C, H))."""
    keras_kwargs = {k: v for k, v in kwargs.items() if k != "data_format"}
    x = layer_input(keras_kwargs, IMAGES)
    theirs = getattr(keras.layers, name)(**{**keras_kwargs, "seed": draw})
    transformation = theirs.get_random_transformation(x, training=True)
    want = theirs.transform_images(x, transformation, training=True)
    ours = getattr(layers, name)(**kwargs)
    got = to_numpy(ours.transform_images(B.convert_to_tensor(layer_input(kwargs, IMAGES)), to_ours(transformation)))
    close(got if kwargs.get("data_format") != "channels_first" else np.transpose(got, (0, 2, 3, 1)), want, 2e-3)


@pytest.mark.parametrize("name,kwargs", POLICIES)
def test_policy_standard_checks_inference_and_seeds(name, kwargs):
    x = layer_input(kwargs, IMAGES)
    check_standard_layer(name, kwargs, x)
    check_inference_passthrough(getattr(layers, name)(**kwargs), x)
    check_seeds(name, kwargs, x, draws=3)


def test_policy_draws():
    x = np.zeros((2, 8, 8, 3), "float32")
    rand = layers.RandAugment(num_ops=400, seed=1).get_random_transformation(x)
    picks = to_numpy(rand["layer_idxes"])
    assert picks.shape == (400,) and set(np.unique(picks)) == set(range(11))
    assert list(rand["transforms"]) == layers.RandAugment._AUGMENT_LAYERS
    mix = layers.AugMix(num_chains=4, seed=1)
    draws = [mix.get_random_transformation(x) for _ in range(200)]
    weights = np.stack([to_numpy(d["chain_mixing_weights"]) for d in draws])
    samples = np.array([float(to_numpy(d["weight_sample"])) for d in draws])
    np.testing.assert_allclose(weights.sum(1), 1, rtol=1e-5)
    assert np.all(weights >= 0) and abs(weights.mean() - 0.25) < 0.03
    assert samples.min() >= 0 and samples.max() <= 1 and abs(samples.mean() - 0.5) < 0.06  # Beta(1, 1)
    depths = [len(chain) for d in draws for chain in d["chain_transforms"]]
    assert min(depths) >= 0 and max(depths) == 3 and 1.5 < np.mean(depths) < 3
    names = {step["layer_name"] for d in draws for chain in d["chain_transforms"] for step in chain}
    assert names == set(layers.AugMix._AUGMENT_LAYERS + layers.AugMix._MORE_LAYERS)
    assert not {step["layer_name"] for d in [layers.AugMix(all_ops=False, seed=2).get_random_transformation(x)
                                             for _ in range(50)] for chain in d["chain_transforms"]
                for step in chain} & set(layers.AugMix._MORE_LAYERS)


def test_policies_fit_save_and_load_both_ways(keras, tmp_path):
    x = random_images(RNG, (8, 16, 16, 3))
    model = kerasport.Sequential([
        kerasport.Input((16, 16, 3)), layers.RandAugment(seed=1), layers.AugMix(seed=2), layers.Rescaling(1 / 255),
        layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(1)])
    check_fits_one_epoch(model, x, RNG.rand(8, 1).astype("float32"), loss="mse", batch_size=4)
    check_file_round_trip(keras, model, x, tmp_path)
    theirs = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.RandAugment(num_ops=1, factor=0.2),
                               keras.layers.AugMix(all_ops=False), keras.layers.Flatten(), keras.layers.Dense(1)])
    loaded = check_keras_file_loads(theirs, x, tmp_path, ["RandAugment", "AugMix"])
    assert (loaded.layers[0].num_ops, loaded.layers[0].factor, loaded.layers[1].all_ops) == (1, (0, 0.2), False)


@needs_tf_data
@pytest.mark.parametrize("name,kwargs", POLICIES)
def test_policies_run_inside_tf_data_map(name, kwargs):
    mapped = check_tf_data_map(getattr(layers, name)(**kwargs), layer_input(kwargs, IMAGES), batch_size=2)
    low, high = kwargs.get("value_range", (0, 255))
    assert np.all(np.isfinite(mapped)) and mapped.min() >= low - 1e-4 and mapped.max() <= high + 1e-4


def test_policy_errors():
    with pytest.raises(ValueError, match="RandAugment.*factor.*\\[0, 1\\].*1.5"):
        layers.RandAugment(factor=1.5)
    with pytest.raises(ValueError, match="RandAugment.*num_ops.*-1"):
        layers.RandAugment(num_ops=-1)
    with pytest.raises(ValueError, match="AugMix.*chain_depth.*0"):
        layers.AugMix(chain_depth=0)
    with pytest.raises(ValueError, match="AugMix.*alpha.*0"):
        layers.AugMix(alpha=0.0)
    for layer in (layers.RandAugment, layers.AugMix, layers.RandomColorJitter, layers.RandomHue, layers.RandomInvert):
        with pytest.raises(ValueError, match=f"{layer.__name__}.*value_range.*list of two numbers.*\\(0, 1, 2\\)"):
            layer(value_range=(0, 1, 2), **({"factor": 0.5} if layer is layers.RandomHue else {}))
