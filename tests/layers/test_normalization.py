"""Normalization layers: shared checks, Keras as the oracle (outputs, gradients, moving statistics), errors."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, run_layer_test, to_numpy


def _x(shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype("float32") * 2 + 0.5


def _randomize(keras_layer, seed=3):
    """Non-trivial weights (gamma, beta, moving statistics) so that every term is exercised."""
    rng = np.random.RandomState(seed)
    keras_layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in keras_layer.get_weights()])


@pytest.mark.parametrize("layer_cls,kwargs,shape", [
    (layers.BatchNormalization, {}, (4, 3)),
    (layers.BatchNormalization, {"axis": 1, "center": False}, (4, 3, 5, 2)),
    (layers.BatchNormalization, {"renorm": True, "renorm_clipping": {"rmax": 2.0}}, (4, 3)),
    (layers.LayerNormalization, {}, (2, 3, 4)),
    (layers.LayerNormalization, {"axis": [1, 2], "scale": False}, (2, 3, 4)),
    (layers.LayerNormalization, {"rms_scaling": True}, (2, 4)),
    (layers.GroupNormalization, {"groups": 2}, (2, 5, 4)),
    (layers.GroupNormalization, {"groups": -1, "axis": 1}, (2, 4, 3, 3)),
    (layers.UnitNormalization, {"axis": [1, 2]}, (2, 3, 4)),
])
def test_shared_checks(layer_cls, kwargs, shape):
    run_layer_test(layer_cls, kwargs, shape)


@pytest.mark.parametrize("kwargs,shape,training", [
    ({}, (6, 4), False),
    ({}, (6, 4), True),
    ({"axis": 1, "epsilon": 1e-2}, (4, 3, 5), True),
    ({"axis": 1}, (4, 3, 5), False),
    ({"center": False, "scale": False}, (3, 2, 2, 4), True),
    ({"epsilon": 1e-5}, (8, 5, 6, 4), True),  # an image batch, channels_last: torch's fused kernel on the NCHW view
    ({"renorm": True, "renorm_clipping": {"rmax": 1.1, "rmin": 0.9, "dmax": 0.2}}, (8, 3), True),
    ({"renorm": True, "center": False}, (8, 3), False),
])
def test_batch_normalization_matches_keras(kwargs, shape, training):
    keras = keras_module()
    k = keras.layers.BatchNormalization(**kwargs)
    k.build(shape)
    _randomize(k)
    keras_oracle(layers.BatchNormalization(**kwargs), k, _x(shape), call_kwargs={"training": training})


def test_batch_normalization_inference_with_a_tiny_epsilon_matches_keras():
    # tf_keras raised epsilon to 1.001e-5 before FusedBatchNormV3; the fused path here must keep 1e-6,
    # which tiny moving variances make visible
    keras = keras_module()
    k = keras.layers.BatchNormalization(epsilon=1e-6)
    k.build((2, 3, 3, 4))
    k.set_weights([np.full(4, 2.0, "float32"), np.full(4, 0.5, "float32"), np.full(4, 0.1, "float32"),
                   np.full(4, 1e-6, "float32")])
    keras_oracle(layers.BatchNormalization(epsilon=1e-6), k, 0.1 + 1e-3 * _x((2, 3, 3, 4)),
                 call_kwargs={"training": False})


@pytest.mark.parametrize("kwargs", [{"axis": 1}, {"renorm": True, "renorm_momentum": 0.6},
                                    {"renorm": True, "scale": False, "renorm_clipping": {"rmax": 1.2, "dmax": 0.3}}])
def test_batch_normalization_training_steps_match_keras(kwargs):
    """Successive training calls give Keras's outputs and move the statistics exactly as Keras's
    (momentum, biased variance; renorm corrections from the statistics before each update)."""
    keras = keras_module()
    k = keras.layers.BatchNormalization(momentum=0.7, **kwargs)
    ours = layers.BatchNormalization(momentum=0.7, **kwargs)
    k.build((16, 3, 4))
    _randomize(k)
    ours.build((16, 3, 4))
    ours.set_weights(k.get_weights())
    for step in range(3):
        x = _x((16, 3, 4), seed=step)
        np.testing.assert_allclose(to_numpy(ours(B.convert_to_tensor(x), training=True)),
                                   k(x, training=True).numpy(), rtol=1e-4, atol=1e-5)
    for got, want in zip(ours.get_weights(), k.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_synchronized_batch_normalization_on_one_device_is_the_plain_one():
    """Without replicas there is nothing to synchronize: the same outputs and moving statistics (the
    all-reduce over replicas is tested in tests/distribution/test_custom_step.py)."""
    plain, synced = layers.BatchNormalization(momentum=0.7), layers.BatchNormalization(momentum=0.7, synchronized=True)
    for step in range(2):
        x = B.convert_to_tensor(_x((16, 3, 4), seed=step))
        np.testing.assert_allclose(to_numpy(synced(x, training=True)), to_numpy(plain(x, training=True)),
                                   rtol=1e-5, atol=1e-5)
    for got, want in zip(synced.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert np.abs(synced.get_weights()[2]).max() > 0.1  # the moving mean moved
    assert synced.get_config()["synchronized"] is True


def test_batch_normalization_masked_statistics_match_keras():
    keras = keras_module()
    x = _x((4, 5, 3))
    mask = np.random.RandomState(1).rand(4, 5) > 0.4
    k = keras.layers.BatchNormalization(momentum=0.5)
    ours = layers.BatchNormalization(momentum=0.5)
    k_out = k(x, training=True, mask=mask)
    out = ours(B.convert_to_tensor(x), training=True, mask=B.convert_to_tensor(mask))
    np.testing.assert_allclose(to_numpy(out), k_out.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.moving_variance.numpy(), k.moving_variance.numpy(), rtol=1e-5, atol=1e-6)


def _bn_model(module, trainable=True):
    model = module.Sequential([module.Input((5,)), module.layers.Dense(4), module.layers.BatchNormalization(),
                               module.layers.Dense(1)])
    model.layers[1].trainable = trainable
    return model


@pytest.mark.parametrize("trainable", [True, False])
def test_batch_normalization_fit_matches_keras(trainable):
    """The same model, weights, data and SGD steps give the same weights and moving statistics as Keras."""
    keras = keras_module()
    rng = np.random.RandomState(0)
    x, y = rng.randn(32, 5).astype("float32"), rng.randn(32, 1).astype("float32")
    k, ours = _bn_model(keras, trainable), _bn_model(kerasport, trainable)
    init = [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in k.get_weights()]
    k.set_weights(init)
    ours.set_weights(init)
    k.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    ours.compile(optimizer=kerasport.optimizers.SGD(0.05), loss="mse")
    k.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    bn_k, bn = k.layers[1], ours.layers[1]
    for got, want in zip(bn.get_weights(), bn_k.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    moved = not np.allclose(bn.moving_mean.numpy(), init[4])
    assert moved == trainable  # a frozen BatchNormalization runs in inference mode and keeps its statistics
    np.testing.assert_allclose(ours.predict(x, verbose=0), k.predict(x, verbose=0), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kwargs,shape", [
    ({}, (2, 3, 6)),
    ({"axis": [1, 2]}, (2, 3, 4)),
    ({"axis": 1, "center": False}, (2, 4, 3)),
    ({"axis": -2, "epsilon": 0.1}, (2, 4, 3)),
    ({"rms_scaling": True}, (3, 5)),
])
@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
def test_layer_normalization_matches_keras(kwargs, shape):
    keras = keras_module()
    k = keras.layers.LayerNormalization(**kwargs)
    k.build(shape)
    _randomize(k)
    keras_oracle(layers.LayerNormalization(**kwargs), k, _x(shape))


@pytest.mark.parametrize("kwargs,shape", [
    ({"groups": 2}, (2, 3, 4)),
    ({"groups": 1, "epsilon": 0.01}, (2, 3, 3, 6)),
    ({"groups": -1, "scale": False}, (2, 5, 3)),
    ({"groups": 2, "axis": 1}, (2, 4, 3, 3)),
])
def test_group_normalization_matches_keras(kwargs, shape):
    keras = keras_module()
    k = keras.layers.GroupNormalization(**kwargs)
    k.build(shape)
    _randomize(k)
    keras_oracle(layers.GroupNormalization(**kwargs), k, _x(shape))


@pytest.mark.parametrize("axis", [-1, [1, 2]])
def test_unit_normalization_matches_keras(axis):
    keras = keras_module()
    keras_oracle(layers.UnitNormalization(axis=axis), keras.layers.UnitNormalization(axis=axis), _x((2, 3, 4)))


def test_keras_configs_load():
    keras = keras_module()
    for name, kwargs in [("BatchNormalization", {"momentum": 0.9, "gamma_regularizer": "l2"}),
                         ("LayerNormalization", {"axis": [1, 2]}), ("GroupNormalization", {"groups": 4}),
                         ("UnitNormalization", {"axis": 1})]:
        config = getattr(keras.layers, name)(**kwargs).get_config()
        ours = getattr(layers, name).from_config(config)
        assert ours.get_config() == config


def test_weights_order_and_trainability():
    bn = layers.BatchNormalization(renorm=True)
    bn.build((None, 3))
    assert [w.path.split("/")[-1] for w in bn.weights] == [
        "gamma", "beta", "moving_mean", "moving_variance", "moving_stddev", "renorm_mean", "renorm_stddev"]
    assert len(bn.trainable_weights) == 2
    ln = layers.LayerNormalization(rms_scaling=True)
    ln.build((None, 3))
    assert [w.path.split("/")[-1] for w in ln.weights] == ["gamma"]


def test_bad_inputs():
    with pytest.raises(ValueError, match="out of bounds"):
        layers.BatchNormalization(axis=3)(B.ones((2, 3)))
    bn = layers.BatchNormalization()
    bn(B.ones((2, 3)))
    with pytest.raises(ValueError, match=r"batch_normalization.*expected ndim=2 with size \(3,\).*\(2, 4\)"):
        bn(B.ones((2, 4)))
    with pytest.raises(ValueError, match="multiple of"):
        layers.GroupNormalization(groups=4)(B.ones((2, 6)))
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=0)
    with pytest.raises(TypeError, match="axis"):
        layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="known size"):
        layers.LayerNormalization()(kerasport.Input((3, None)))
    with pytest.raises(ValueError, match="renorm_clipping"):
        layers.BatchNormalization(renorm=True, renorm_clipping={"rmaxx": 1.0})
    with pytest.raises(ValueError, match="one dimension less"):
        layers.BatchNormalization()(B.ones((2, 3)), training=True, mask=B.ones((2, 3)))
