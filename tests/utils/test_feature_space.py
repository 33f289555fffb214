"""FeatureSpace against real Keras 3: the same table, adapted and encoded by both, gives the same numbers for
every preset, crosses and both output modes; Functional models on top; .keras files both ways; the errors."""
import subprocess
import sys

import numpy as np
import pytest

import kerasport
from kerasport.utils import FeatureSpace
from tests.helpers import keras_module


def _table(n=45, seed=0):
    """A small table: floats, ints and strings (more than 32 rows, so Keras's adapt batches matter)."""
    rng = np.random.RandomState(seed)
    return {"price": (rng.randn(n) * 3 + 2).astype("float32"), "weight": rng.rand(n).astype("float32") * 10,
            "rooms": rng.randint(1, 7, n), "zip": rng.randint(100, 160, n),
            "city": rng.choice(["paris", "lyon", "nice", "lille", "metz"], n),
            "color": rng.choice(["red", "green", "blue", "cyan", "gold", "pink", "teal"], n)}


def _unseen(n=7, seed=1):
    """New rows with values the adapted table never had (OOV ints and strings, floats outside its range)."""
    rng = np.random.RandomState(seed)
    return {"price": (rng.randn(n) * 6).astype("float32"), "weight": rng.rand(n).astype("float32") * 14 - 2,
            "rooms": rng.randint(0, 9, n), "zip": rng.randint(90, 170, n),
            "city": rng.choice(["paris", "rome", "nice"], n), "color": rng.choice(["red", "black", "teal"], n)}


def _numpy(x):
    if isinstance(x, dict):
        return {k: _numpy(v) for k, v in x.items()}
    return np.asarray(kerasport.ops.convert_to_numpy(x) if kerasport.ops.is_tensor(x) else x)


def _same(got, want):
    got, want = _numpy(got), _numpy(want)
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), (list(got), list(want))
        for key in want:
            _same(got[key], want[key])
        return
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got.astype("float64"), want.astype("float64"), rtol=1e-5, atol=1e-6)


def _features(fs_cls, case):
    """The feature specs of one case, made with ``fs_cls`` (Keras's or kerasport's FeatureSpace)."""
    return {
        "presets": {"price": "float_normalized", "weight": "float_discretized", "rooms": "integer_categorical",
                    "zip": "integer_hashed", "city": "string_categorical", "color": "string_hashed"},
        "plain": {"price": "float", "weight": "float_rescaled", "city": "string_categorical"},
        "custom": {"price": fs_cls.float_rescaled(scale=0.5, offset=-1.0),
                   "weight": fs_cls.float_discretized(num_bins=4),
                   "rooms": fs_cls.integer_categorical(max_tokens=4, num_oov_indices=2),
                   "zip": fs_cls.integer_hashed(num_bins=5),
                   "city": fs_cls.string_categorical(max_tokens=4, num_oov_indices=2),
                   "color": fs_cls.string_hashed(num_bins=6)},
        "int_modes": {"weight": fs_cls.float_discretized(num_bins=3, output_mode="int"),
                      "rooms": fs_cls.integer_categorical(output_mode="int"),
                      "city": fs_cls.string_categorical(output_mode="int"),
                      "color": fs_cls.string_hashed(num_bins=4, output_mode="int")},
    }[case]


def _crosses(fs_cls, case):
    return {"none": None,
            "tuples": [("city", "rooms"), ("color", "zip")],
            "custom": [fs_cls.cross(("city", "color"), crossing_dim=16),
                       fs_cls.cross(("weight", "rooms"), crossing_dim=8, output_mode="int")]}[case]


def _pair(case, crosses, output_mode, **kwargs):
    """The same FeatureSpace in Keras and kerasport, adapted on the same table."""
    keras = keras_module()
    spaces = []
    for fs_cls in (keras.utils.FeatureSpace, FeatureSpace):
        features = _features(fs_cls, case)
        fs = fs_cls(features, output_mode=output_mode, crosses=_crosses(fs_cls, crosses), **kwargs)
        fs.adapt({k: v for k, v in _table().items() if k in features})
        spaces.append(fs)
    return spaces


def _rows(data, features):
    return {k: v for k, v in data.items() if k in features}


@pytest.mark.parametrize("case,crosses,output_mode", [
    ("presets", "none", "concat"), ("presets", "tuples", "concat"), ("presets", "tuples", "dict"),
    ("plain", "none", "concat"), ("plain", "none", "dict"),
    ("custom", "none", "concat"), ("custom", "tuples", "dict"),
    ("int_modes", "none", "dict"), ("int_modes", "custom", "dict"),
])
def test_encodings_match_keras(case, crosses, output_mode):
    if case == "int_modes" or crosses == "custom":
        # "int" features (and "int" crosses) cannot be concatenated: dict mode only, as in Keras.
        assert output_mode == "dict"
    keras_fs, ours = _pair(case, crosses, output_mode, crossing_dim=12, hashing_dim=9, num_discretization_bins=5)
    features = ours.features
    for data in (_table(), _unseen()):
        _same(ours(_rows(data, features)), keras_fs(_rows(data, features)))
    one = {k: v[2] for k, v in _rows(_unseen(), features).items()}  # a single sample of scalars
    _same(ours(one), keras_fs(one))
    lists = {k: v.tolist() for k, v in _rows(_unseen(), features).items()}  # lists are data too
    _same(ours(lists), keras_fs(lists))


def test_custom_feature_with_its_own_layer_matches_keras():
    keras = keras_module()
    data = _table()
    spaces = []
    for lib, fs_cls in ((keras, keras.utils.FeatureSpace), (kerasport, FeatureSpace)):
        lookup = lib.layers.StringLookup(output_mode="one_hot", name="colors")
        hashed = lib.layers.Hashing(num_bins=3, name="hashed_zip")
        fs = fs_cls({"color": fs_cls.feature(dtype="string", preprocessor=lookup, output_mode="float"),
                     "zip": fs_cls.feature(dtype="int32", preprocessor=hashed, output_mode="one_hot"),
                     "price": "float"})
        fs.adapt({k: data[k] for k in ("color", "zip", "price")})
        spaces.append(fs)
    rows = {k: _unseen()[k] for k in ("color", "zip", "price")}
    _same(spaces[1](rows), spaces[0](rows))


def test_adapted_state_matches_keras():
    keras_fs, ours = _pair("presets", "tuples", "concat", num_discretization_bins=6)
    assert ours.preprocessors["city"].get_vocabulary() == keras_fs.preprocessors["city"].get_vocabulary()
    assert ours.preprocessors["rooms"].get_vocabulary() == \
        [int(v) for v in keras_fs.preprocessors["rooms"].get_vocabulary()]
    np.testing.assert_allclose(ours.preprocessors["weight"].bin_boundaries,
                               keras_fs.preprocessors["weight"].bin_boundaries, rtol=1e-6)
    for stat in ("mean", "variance"):
        np.testing.assert_allclose(_numpy(getattr(ours.preprocessors["price"], stat)),
                                   _numpy(getattr(keras_fs.preprocessors["price"], stat)), rtol=1e-5)
    assert sorted(ours.crossers) == sorted(keras_fs.crossers) == ["city_X_rooms", "color_X_zip"]


def _batches(data, size):
    n = len(next(iter(data.values())))
    return [{k: v[i:i + size] for k, v in data.items()} for i in range(0, n, size)]


@pytest.mark.parametrize("form", ["batches", "generator", "samples", "tf_data"])
def test_adapt_on_iterables_matches_keras(form):
    """Batches of dicts (a list or a generator), single-sample dicts, or (TensorFlow) a ``tf.data.Dataset``."""
    if form == "tf_data" and kerasport.backend.backend() != "tensorflow":
        pytest.skip("a tf.data.Dataset is TensorFlow's: the torch backend takes the other forms")
    keras = keras_module()
    import tensorflow as tf
    data = _table()
    keras_fs = keras.utils.FeatureSpace(_features(keras.utils.FeatureSpace, "presets"),
                                        crosses=[("city", "rooms")], num_discretization_bins=7)
    ours = FeatureSpace(_features(FeatureSpace, "presets"), crosses=[("city", "rooms")], num_discretization_bins=7)
    keras_fs.adapt(tf.data.Dataset.from_tensor_slices(data).batch(10 if form != "samples" else 32))
    if form == "batches":
        ours.adapt(_batches(data, 10))
    elif form == "generator":
        ours.adapt(batch for batch in _batches(data, 10))
    elif form == "samples":
        ours.adapt([{k: v[i] for k, v in data.items()} for i in range(len(data["price"]))])
    else:
        ours.adapt(tf.data.Dataset.from_tensor_slices(data).batch(10))
    _same(ours(_unseen()), keras_fs(_unseen()))


def test_functional_models_on_encoded_features_match_keras():
    """The keras.io pattern: a training model from the encoded features, an inference model from the raw inputs."""
    keras = keras_module()
    data, unseen = _table(), _unseen()
    results = []
    weights = None
    for lib, fs in zip((keras, kerasport), _pair("presets", "tuples", "concat", crossing_dim=8)):
        inputs, encoded = fs.get_inputs(), fs.get_encoded_features()
        assert sorted(inputs) == sorted(data) and tuple(encoded.shape) == (None, fs(unseen).shape[-1])
        outputs = lib.layers.Dense(1, activation="sigmoid")(lib.layers.Dense(4, activation="relu")(encoded))
        training_model, inference_model = lib.Model(encoded, outputs), lib.Model(inputs, outputs)
        if weights is None:
            weights = training_model.get_weights()
        else:
            training_model.set_weights(weights)
        raw = {k: (v[:, None] if lib is kerasport else keras.ops.convert_to_tensor(v[:, None]))
               for k, v in unseen.items()}
        results.append((training_model.predict(fs(unseen), verbose=0), inference_model.predict(raw, verbose=0)))
    (k_train, k_inference), (train, inference) = results
    _same(train, k_train)
    _same(inference, k_inference)
    _same(inference, train)


def test_save_and_load_round_trip(tmp_path):
    ours = _pair("custom", "tuples", "dict", crossing_dim=10)[1]
    path = str(tmp_path / "fs.keras")
    ours.save(path)
    loaded = kerasport.saving.load_model(path)
    assert isinstance(loaded, FeatureSpace)
    assert loaded.get_config() == ours.get_config()
    assert loaded.preprocessors["city"].get_vocabulary() == ours.preprocessors["city"].get_vocabulary()
    _same(loaded(_unseen()), ours(_unseen()))
    rebuilt = FeatureSpace.from_config(ours.get_config())
    assert rebuilt.get_config() == ours.get_config()
    assert list(rebuilt.features) == list(ours.features) and rebuilt.crosses_by_name.keys() == \
        ours.crosses_by_name.keys()


@pytest.mark.parametrize("direction", ["keras_to_kerasport", "kerasport_to_keras"])
def test_keras_files_both_ways(tmp_path, direction):
    """A ``.keras`` file of Keras's FeatureSpace loads in kerasport (means, vocabularies, boundaries kept), and
    the reverse; the encodings are the same."""
    keras = keras_module()
    keras_fs, ours = _pair("presets", "tuples", "concat", num_discretization_bins=5)
    path = str(tmp_path / "fs.keras")
    if direction == "keras_to_kerasport":
        keras_fs.save(path)
        loaded, want = kerasport.saving.load_model(path), keras_fs
    else:
        ours.save(path)
        loaded, want = keras.models.load_model(path), ours
    _same(loaded(_unseen()), want(_unseen()))
    _same(loaded(_table()), want(_table()))


def test_errors():
    keras = keras_module()
    with pytest.raises(ValueError, match="Invalid feature type: floaty"):
        FeatureSpace({"x": "floaty"})
    with pytest.raises(ValueError, match="Invalid feature type"):
        keras.utils.FeatureSpace({"x": "floaty"})
    with pytest.raises(ValueError, match="cannot be None or empty"):
        FeatureSpace({})
    with pytest.raises(ValueError, match="output_mode"):
        FeatureSpace({"x": "float"}, output_mode="list")
    with pytest.raises(ValueError, match=r"unknown features.*\['nope'\]"):
        FeatureSpace({"x": "integer_categorical"}, crosses=[("x", "nope")])
    with pytest.raises(ValueError, match="output_mode"):
        FeatureSpace.integer_categorical(output_mode="multi_hot")
    with pytest.raises(ValueError, match="output_mode"):
        FeatureSpace.cross(("a", "b"), crossing_dim=4, output_mode="float")

    fs = FeatureSpace({"price": "float_normalized", "city": "string_categorical"})
    for use in (lambda: fs({"price": [1.0], "city": ["a"]}), fs.get_encoded_features, fs.get_inputs):
        with pytest.raises(ValueError, match=r"call `.adapt\(dataset\)`"):
            use()
    with pytest.raises(KeyError, match=r"missing feature\(s\) \['city'\].*has keys \['price'\]"):
        fs.adapt({"price": [1.0, 2.0]})
    with pytest.raises(ValueError, match="can only be called on a dict"):
        fs.adapt(3.0)
    with pytest.raises(ValueError, match=r"different lengths: \{'price': 2, 'city': 3\}"):
        fs.adapt({"price": [1.0, 2.0], "city": ["a", "b", "c"]})
    with pytest.raises(ValueError, match="dicts of feature values.*tuple"):
        fs.adapt([({"price": [1.0], "city": ["a"]}, [0])])
    fs.adapt({"price": [1.0, 2.0, 4.0], "city": ["a", "b", "a"]})
    with pytest.raises(KeyError, match=r"missing feature\(s\) \['price'\]"):
        fs({"city": ["a"]})
    with pytest.raises(KeyError, match=r"unknown feature\(s\) \['label'\]"):
        fs({"city": ["a"], "price": [1.0], "label": [1]})
    with pytest.raises(ValueError, match="can only be called with a dict"):
        fs([1.0, 2.0])
    with pytest.raises(ValueError, match="expected a `.keras` extension.*fs.h5"):
        fs.save("fs.h5")

    no_adapt = FeatureSpace({"price": "float", "score": FeatureSpace.float_rescaled(scale=2.0)})
    _same(no_adapt({"price": [1.5], "score": [2.0]}), [[1.5, 4.0]])  # nothing to adapt: usable at once
    not_int = FeatureSpace({"x": FeatureSpace.feature("float32", kerasport.layers.Normalization(mean=0.0,
                                                                                             variance=1.0),
                                                      "one_hot")})
    with pytest.raises(ValueError, match="Feature 'x' has `output_mode='one_hot'`.*integer dtype"):
        not_int.get_encoded_features()
    int_concat = FeatureSpace({"city": FeatureSpace.string_categorical(output_mode="int")})
    with pytest.raises(ValueError, match="Cannot concatenate features because feature 'city'"):
        int_concat.adapt({"city": ["a", "b"]})


def test_given_bin_boundaries_need_no_adapt():
    """``float_discretized(num_bins=None, bin_boundaries=...)``: bins as ``np.digitize`` gives them, one-hot.
    (Keras 3.15 still tries to adapt such a layer and fails; kerasport leaves it as given.)"""
    fs = FeatureSpace({"w": FeatureSpace.float_discretized(num_bins=None, bin_boundaries=[0.0, 1.0, 5.0])},
                      output_mode="dict")
    x = np.array([-3.0, 0.0, 0.5, 1.0, 7.0], "float32")
    want = np.eye(4, dtype="float32")[np.digitize(x, [0.0, 1.0, 5.0])]
    _same(fs({"w": x})["w"], want)


def test_inside_tf_data_map_matches_eager_call():
    """On TensorFlow a FeatureSpace maps over a ``tf.data.Dataset`` (the string layers' graph paths), as in Keras."""
    if kerasport.backend.backend() != "tensorflow":
        pytest.skip("tf.data is TensorFlow's")
    import tensorflow as tf
    ours = _pair("presets", "tuples", "concat", crossing_dim=8)[1]
    unseen = _unseen(n=20)
    labels = np.arange(20, dtype="float32")
    ds = tf.data.Dataset.from_tensor_slices((unseen, labels)).batch(6).map(lambda x, y: (ours(x), y))
    got = np.concatenate([x.numpy() for x, _ in ds])
    _same(got, ours(unseen))


def test_a_process_imports_only_its_framework(tmp_path):
    """Adapt, call, save and load in a child process: the other framework is never imported (on torch, no
    TensorFlow)."""
    other = "tensorflow" if kerasport.backend.backend() == "torch" else "torch"
    script = (
        "import sys, numpy as np, kerasport\n"
        "fs = kerasport.utils.FeatureSpace({'a': 'float_normalized', 'b': 'string_categorical', 'c': "
        "'integer_hashed', 'd': 'float_discretized'}, crosses=[('b', 'c')])\n"
        "data = {'a': [1.0, 2.0, 4.0], 'b': ['x', 'y', 'x'], 'c': [3, 4, 5], 'd': [0.5, 0.1, 0.3]}\n"
        "fs.adapt([data, data])\n"
        "fs.save(sys.argv[1])\n"
        "out = kerasport.ops.convert_to_numpy(kerasport.saving.load_model(sys.argv[1])(data))\n"
        "assert out.shape == (3, 1 + 3 + 32 + 32 + 32), out.shape\n"
        f"assert {other!r} not in sys.modules, 'FeatureSpace imported {other}'\n")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "fs.keras")], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
