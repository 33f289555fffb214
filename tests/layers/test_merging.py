"""Merging layers: Keras 3 as the oracle, functional forms in a model, masks, clear shape errors."""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, to_numpy

CASES = [
    ("Add", dict(), [(2, 3, 4), (2, 3, 4), (2, 3, 4)]),
    ("Add", dict(), [(2, 3, 4), (2, 1, 4)]),
    ("Subtract", dict(), [(2, 5), (2, 5)]),
    ("Multiply", dict(), [(2, 3, 4), (2, 3, 4)]),
    ("Multiply", dict(), [(2, 3, 4), (2, 4)]),
    ("Average", dict(), [(2, 5), (2, 5), (2, 5)]),
    ("Maximum", dict(), [(2, 3, 4), (2, 3, 4)]),
    ("Minimum", dict(), [(2, 3, 4), (2, 3, 4), (2, 3, 4)]),
    ("Concatenate", dict(), [(2, 3, 4), (2, 3, 2)]),
    ("Concatenate", dict(axis=1), [(2, 3, 4), (2, 1, 4), (2, 2, 4)]),
    ("Dot", dict(axes=1), [(2, 4), (2, 4)]),
    ("Dot", dict(axes=(2, 1)), [(2, 3, 4), (2, 4, 5)]),
    ("Dot", dict(axes=(1, 1), normalize=True), [(2, 3, 4), (2, 3, 2)]),
    ("Dot", dict(axes=-1), [(2, 3, 4), (2, 5, 4)]),
]


@pytest.mark.parametrize("name, kwargs, shapes", CASES,
                         ids=[f"{n}-{kw}-{len(s)}x{s[-1]}" for n, kw, s in CASES])
def test_matches_keras(name, kwargs, shapes):
    keras = keras_module()
    rng = np.random.RandomState(0)
    xs = [rng.randn(*s).astype("float32") for s in shapes]
    layer, keras_layer = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    out = keras_oracle(layer, keras_layer, xs)
    assert set(layer.get_config()) == set(keras_layer.get_config())
    assert layer.compute_output_shape([(None,) + s[1:] for s in shapes]) == (None,) + out.shape[1:]


@pytest.mark.parametrize("fn, kwargs", [("add", {}), ("subtract", {}), ("multiply", {}), ("average", {}),
                                        ("maximum", {}), ("minimum", {}), ("concatenate", {"axis": 1}),
                                        ("dot", {"axes": 1, "normalize": True})])
def test_functional_forms_in_a_model_match_keras(fn, kwargs):
    keras = keras_module()
    rng = np.random.RandomState(0)
    a, b = rng.randn(4, 3).astype("float32"), rng.randn(4, 3).astype("float32")
    i1, i2 = kerasport.Input(shape=(3,)), kerasport.Input(shape=(3,))
    symbolic = getattr(layers, fn)([i1, i2], **kwargs)
    model = kerasport.Model([i1, i2], symbolic)
    want = getattr(keras.layers, fn)([a, b], **kwargs)
    np.testing.assert_allclose(to_numpy(model([B.convert_to_tensor(a), B.convert_to_tensor(b)])), np.asarray(want),
                               atol=1e-5, rtol=1e-4)
    assert symbolic.shape == (None,) + tuple(want.shape[1:])


def test_trains_and_round_trips_config():
    i1, i2 = kerasport.Input(shape=(4,)), kerasport.Input(shape=(4,))
    merged = layers.Concatenate(axis=-1, name="cat")([layers.Dense(3)(i1), layers.Dense(2)(i2)])
    model = kerasport.Model([i1, i2], layers.Dense(1)(merged))
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.RandomState(0)
    x = [rng.randn(8, 4).astype("float32"), rng.randn(8, 4).astype("float32")]
    before = [w.copy() for w in model.get_weights()]
    assert np.isfinite(model.train_on_batch(x, rng.randn(8, 1).astype("float32")))
    assert all(not np.allclose(p, q) for p, q in zip(before, model.get_weights()))
    for layer in (layers.Add(), layers.Concatenate(axis=1), layers.Dot(axes=(1, 2), normalize=True)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


def _masked(x, mask):
    t = B.convert_to_tensor(x)
    t._keras_mask = B.convert_to_tensor(np.asarray(mask, bool))
    return t


def test_masks():
    rng = np.random.RandomState(0)
    a, b = rng.randn(2, 3, 4).astype("float32"), rng.randn(2, 3, 2).astype("float32")
    ma, mb = [[1, 1, 0], [1, 0, 0]], [[1, 0, 0], [1, 1, 0]]
    # Elementwise merges: the OR of the masks when every input has one, otherwise none.
    out = layers.Add()([_masked(a, ma), _masked(a, mb)])
    np.testing.assert_array_equal(to_numpy(out._keras_mask), np.logical_or(ma, mb))
    assert getattr(layers.Add()([_masked(a, ma), B.convert_to_tensor(a)]), "_keras_mask", None) is None
    # Concatenate on the feature axis: inputs without a mask count as unmasked everywhere, as in Keras.
    keras = keras_module()
    out = layers.Concatenate()([_masked(a, ma), _masked(b, mb)])
    want = keras.layers.Concatenate().compute_mask([a, b], [np.array(ma, bool), np.array(mb, bool)])
    np.testing.assert_array_equal(to_numpy(out._keras_mask), np.asarray(want))
    out = layers.Concatenate()([_masked(a, ma), B.convert_to_tensor(b)])
    np.testing.assert_array_equal(to_numpy(out._keras_mask), np.ones((2, 3), bool))
    # Concatenate on the time axis: the masks are concatenated.
    out = layers.Concatenate(axis=1)([_masked(a, ma), _masked(a, mb)])
    np.testing.assert_array_equal(to_numpy(out._keras_mask), np.concatenate([ma, mb], 1).astype(bool))


def test_shape_errors_name_the_layer_and_all_shapes():
    a, b = B.zeros((2, 3, 4)), B.zeros((2, 3, 5))
    with pytest.raises(ValueError, match=r"Add 'plus'.*\[\(2, 3, 4\), \(2, 3, 5\)\]"):
        layers.Add(name="plus")([a, b])
    with pytest.raises(ValueError, match=r"Subtract.*exactly 2 inputs.*\(2, 3, 4\)"):
        layers.Subtract()([a, a, a])
    with pytest.raises(ValueError, match=r"Concatenate 'cat'.*except on the concatenation axis.*\(2, 3, 5\)"):
        layers.Concatenate(axis=1, name="cat")([a, b])
    with pytest.raises(ValueError, match=r"Concatenate.*equal ranks"):
        layers.Concatenate()([a, B.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"Dot 'd'.*equal sizes.*4.*5"):
        layers.Dot(axes=-1, name="d")([a, b])
    with pytest.raises(ValueError, match=r"batch axis"):
        layers.Dot(axes=0)([a, a])
    with pytest.raises(ValueError, match=r"different batch sizes"):
        layers.Maximum()([a, B.zeros((3, 3, 4))])
    with pytest.raises(ValueError, match=r"list of tensors"):
        layers.Average()(a)
    with pytest.raises(ValueError, match=r"axes"):
        layers.Dot(axes=(1, 2, 3))


def test_masked_values_follow_keras_rules_for_maximum_minimum_multiply():
    keras = keras_module()

    def program(api):
        a, b = api.Input((4,), dtype="int32"), api.Input((4,), dtype="int32")
        ea = api.layers.Embedding(6, 3, mask_zero=True)(a)
        eb = api.layers.Embedding(6, 3, mask_zero=True)(b)
        merged = [cls()([ea, eb]) for cls in (api.layers.Maximum, api.layers.Minimum, api.layers.Multiply)]
        return api.Model([a, b], [api.layers.GlobalAveragePooling1D()(m) for m in merged])

    theirs, ours = program(keras), program(kerasport)
    ours.set_weights(theirs.get_weights())
    x = [np.array([[1, 2, 0, 0], [3, 0, 0, 0]]), np.array([[4, 0, 5, 0], [1, 2, 3, 0]])]
    for got, expected in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_symbolic_merge_without_input_masks_runs_no_mask_probe(monkeypatch):
    """A merge of unmasked symbolic inputs has no output mask, found without running ``compute_mask`` on probe
    tensors (83x83 images for every residual ``Add`` of a ResNet on unknown sizes); masked inputs still give one."""
    from kerasport.layers import layer as layer_module
    probes = []
    real = layer_module.mask_spec_by_running
    monkeypatch.setattr(layer_module, "mask_spec_by_running", lambda *a: probes.append(a) or real(*a))
    a, b = kerasport.Input((None, None, 3)), kerasport.Input((None, None, 3))
    out = kerasport.layers.Add()([a, b])
    assert probes == [] and getattr(out, "_keras_mask", None) is None
    seq = kerasport.Input((4,))
    masked = kerasport.layers.Embedding(5, 2, mask_zero=True)(seq)
    out = kerasport.layers.Add()([masked, masked])
    assert [type(p[0]).__name__ for p in probes] == ["Embedding", "Add"]
    assert tuple(out._keras_mask.shape) == (None, 4)
