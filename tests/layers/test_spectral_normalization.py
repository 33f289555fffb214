"""SpectralNormalization against Keras 3: outputs and power iterations, config, fit and errors."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy


@pytest.mark.parametrize("inner,shape,iterations", [("Dense", (3, 5), 1), ("Conv2D", (2, 6, 6, 3), 2),
                                                    ("Embedding", (2, 4), 1)])
def test_spectral_normalization_matches_keras(inner, shape, iterations):
    keras = keras_module()
    rng = np.random.RandomState(0)
    kw = {"Dense": {"units": 4}, "Conv2D": {"filters": 4, "kernel_size": 3}, "Embedding": {"input_dim": 6,
                                                                                           "output_dim": 3}}[inner]
    x = rng.randint(0, 6, shape).astype("int32") if inner == "Embedding" else rng.randn(*shape).astype("float32")
    theirs = keras.layers.SpectralNormalization(getattr(keras.layers, inner)(**kw), power_iterations=iterations)
    ours = layers.SpectralNormalization(getattr(layers, inner)(**kw), power_iterations=iterations)
    theirs.build(shape)
    ours.build(shape)
    start = theirs.get_weights()
    assert [tuple(w.shape) for w in ours.weights] == [w.shape for w in start]
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    ours.set_weights(start)
    # Inference: the kernel as it is.
    np.testing.assert_allclose(to_numpy(ours(B.convert_to_tensor(x))), theirs(x).numpy(), atol=1e-5)
    # Training: normalized kernel and new vector_u, written back as Keras does.
    for _ in range(2):
        want = theirs(x, training=True).numpy()
        got = to_numpy(ours(B.convert_to_tensor(x), training=True))
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=1e-5)
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)


def test_spectral_normalization_config_fit_and_errors():
    layer = layers.SpectralNormalization(layers.Dense(3), power_iterations=2)
    config = layer.get_config()
    clone = layers.SpectralNormalization.from_config(config)
    assert clone.power_iterations == 2 and isinstance(clone.layer, layers.Dense) and clone.layer.units == 3
    model = kerasport.Sequential([kerasport.Input((4,)), layers.SpectralNormalization(layers.Dense(2))])
    model.compile("sgd", "mse")
    model.fit(np.random.randn(8, 4).astype("float32"), np.random.randn(8, 2).astype("float32"), verbose=0)
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        layers.SpectralNormalization(layers.Flatten())(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="supported layer type"):
        layers.Wrapper("dense")
