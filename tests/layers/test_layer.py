"""The Layer base: weights, names, trainable freezing, config, the training argument, losses, the
traversal order of nested layers, and ``Layer.parameters()`` (torch's ``nn.Module.parameters()`` on the torch
backend, absent on TensorFlow, as in Keras)."""
import numpy as np
import pytest

import kerasport
import kerasport as keras
from kerasport import layers, ops
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy


class Scale(layers.Layer):
    """A custom layer written only with kerasport.ops."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), initializer="ones", name="w",
                                 regularizer=kerasport.regularizers.L2(0.5))
        self.counter = self.add_weight((), initializer="zeros", name="counter", trainable=False)

    def call(self, inputs, training=None):
        out = ops.multiply(ops.multiply(inputs, self.w), self.factor)
        return out if training else ops.add(out, 0.0)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_automatic_names_are_unique_as_in_keras():
    names = [layers.Dense(2).name, layers.Dense(2).name, layers.Conv2D(1, 1).name, layers.MaxPooling2D().name]
    assert names == ["dense", "dense_1", "conv2d", "max_pooling2d"]
    assert layers.Dense(1, name="head").name == "head"


def test_custom_layer_with_ops_weights_and_losses():
    layer = Scale(3.0)
    out = layer(B.ones((2, 4)))
    np.testing.assert_allclose(to_numpy(out), np.full((2, 4), 3.0))
    assert [w.path for w in layer.weights] == ["scale/w", "scale/counter"]
    assert len(layer.trainable_weights) == 1 and len(layer.non_trainable_weights) == 1
    np.testing.assert_allclose(float(B.convert_to_numpy(layer.losses[0])), 0.5 * 4)
    clone = Scale.from_config(layer.get_config())
    assert clone.factor == 3.0 and clone.name == layer.name


def test_get_set_weights_checks_count_and_shapes_before_assigning():
    dense = layers.Dense(3)
    dense.build((None, 2))
    before = dense.get_weights()
    with pytest.raises(ValueError, match=r"expects 2 weight arrays"):
        dense.set_weights([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"dense/bias has shape \(3,\), received an array of shape \(4,\)"):
        dense.set_weights([np.ones((2, 3)), np.ones(4)])
    for a, b in zip(before, dense.get_weights()):
        np.testing.assert_array_equal(a, b)
    dense.set_weights([np.ones((2, 3)), np.arange(3)])
    np.testing.assert_array_equal(dense.get_weights()[1], [0, 1, 2])


def test_freezing_moves_weights_and_stops_training():
    model = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    frozen = model.layers[0].get_weights()
    model.compile("sgd", "mse")
    model.fit(np.random.rand(16, 3), np.random.rand(16, 1), epochs=2, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_training_argument_reaches_call():
    drop = layers.Dropout(0.9)
    x = B.ones((50, 50))
    assert (to_numpy(drop(x, training=True)) == 0).mean() > 0.5
    model = kerasport.Sequential([kerasport.Input((50,)), drop])
    np.testing.assert_array_equal(model.predict(np.ones((4, 50)), verbose=0), np.ones((4, 50)))


def _training_probe(lib):
    """A custom layer whose ``call`` takes no ``training``, with a BatchNormalization made in ``build`` (keras.io
    involution's kernel generator), and a layer whose ``call`` defaults ``training`` to True."""
    class Outer(lib.layers.Layer):
        def build(self, input_shape):
            self.norm = lib.Sequential([lib.layers.BatchNormalization()])

        def call(self, x):
            return self.norm(x)

    class DefaultsToTraining(lib.layers.Layer):
        def build(self, input_shape):
            self.norm = lib.layers.BatchNormalization()

        def call(self, x, training=True):
            return self.norm(x)

    return Outer, DefaultsToTraining


def test_a_symbolic_call_runs_in_the_training_of_the_call_signature_default():
    """As in Keras, a functional model's layer whose ``call(x, training=True)`` branches on ``training`` gets its
    training-time output shape (keras.io's MelGAN ``MelSpec``); the probe run leaves moving statistics as built."""
    def layer_class(lib):
        class TrainingOnly(lib.layers.Layer):
            def build(self, input_shape):
                self.norm = lib.layers.BatchNormalization()

            def call(self, x, training=True):
                if training:
                    return lib.ops.concatenate([self.norm(x), x], axis=-1)
                return x

        return TrainingOnly

    got, want = [], []
    for lib, out in ((kerasport, got), (keras_module(), want)):
        inputs = lib.Input((3,))
        layer = layer_class(lib)()
        outputs = layer(inputs)
        out.append(tuple(outputs.shape))
        out.extend(lib.ops.convert_to_numpy(w) for w in layer.non_trainable_weights)
    assert got[0] == want[0] == (None, 6)
    for g, w in zip(got[1:], want[1:]):
        np.testing.assert_allclose(g, w)


@pytest.mark.parametrize("training", [True, False, None])
def test_training_reaches_layers_nested_in_a_call_without_it(training):
    # As in Keras, a layer's training is the one it is given, else an enclosing call's, else its call's default.
    x = np.random.RandomState(0).rand(4, 3).astype("float32") * 3.0
    kwargs = {} if training is None else {"training": training}
    got, want = [], []
    for lib, out in ((kerasport, got), (keras_module(), want)):
        outer, defaults_to_training = _training_probe(lib)
        inputs = lib.Input((3,))
        for model in (outer(), lib.Model(inputs, outer()(inputs)), defaults_to_training()):
            out.append(lib.ops.convert_to_numpy(model(x, **kwargs)))
            out.append([lib.ops.convert_to_numpy(w) for w in model.non_trainable_weights])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    # The context ends with the outermost call: a later call without training runs in inference.
    layer = _training_probe(kerasport)[0]()
    layer(x, training=True)
    np.testing.assert_allclose(to_numpy(layer(x)), to_numpy(layer.norm(x, training=False)))


def test_constraint_is_applied_after_each_update():
    model = kerasport.Sequential([kerasport.Input((3,)),
                                  layers.Dense(2, kernel_constraint=kerasport.constraints.NonNeg())])
    model.compile(kerasport.optimizers.SGD(1.0), "mse")
    model.fit(np.random.rand(8, 3), -10 * np.ones((8, 2)), epochs=3, verbose=0)
    assert (model.layers[0].get_weights()[0] >= 0).all()


def test_layer_without_get_config_gets_a_helpful_error():
    class NoConfig(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

    with pytest.raises(NotImplementedError, match=r"get_config\(\).*\"units\": self.units"):
        NoConfig(3).get_config()


def test_automatic_config_of_a_layer_whose_init_takes_star_args_as_keras():
    keras = keras_module()

    def round_trip(lib):
        class StarArgs(lib.layers.Layer):  # keras.io's feature_engineering_with_custom_layer writes its layer so
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)

        config = StarArgs(name="feature_layer").get_config()
        return config["name"], StarArgs.from_config(config).name

    assert round_trip(kerasport) == round_trip(keras) == ("feature_layer", "feature_layer")


def test_initializers_are_seeded_and_match_keras_statistics():
    init = kerasport.initializers.get("glorot_uniform")
    a = B.convert_to_numpy(kerasport.initializers.GlorotUniform(seed=3)((100, 50)))
    b = B.convert_to_numpy(kerasport.initializers.GlorotUniform(seed=3)((100, 50)))
    np.testing.assert_array_equal(a, b)
    limit = np.sqrt(6 / 150)
    assert np.abs(a).max() <= limit and np.abs(a).max() > 0.9 * limit
    he = B.convert_to_numpy(kerasport.initializers.HeNormal(seed=1)((400, 300)))
    assert abs(he.std() - np.sqrt(2 / 400)) < 0.05 * np.sqrt(2 / 400)
    q = B.convert_to_numpy(kerasport.initializers.Orthogonal(seed=0)((6, 6)))
    np.testing.assert_allclose(q @ q.T, np.eye(6), atol=1e-5)
    assert isinstance(init, kerasport.initializers.GlorotUniform)
    with pytest.raises(ValueError, match="Unknown initializer"):
        kerasport.initializers.get("glorot_unifrom")


def test_regularizers_match_keras_formula():
    w = B.convert_to_tensor(np.array([[1.0, -2.0], [3.0, 0.5]], "float32"))
    assert np.isclose(float(to_numpy(kerasport.regularizers.L1(0.1)(w))), 0.1 * 6.5)
    assert np.isclose(float(to_numpy(kerasport.regularizers.L2(0.1)(w))), 0.1 * 14.25)
    assert np.isclose(float(to_numpy(kerasport.regularizers.L1L2(0.1, 0.2)(w))), 0.65 + 2.85)
    cfg = kerasport.regularizers.L1L2(0.1, 0.2).get_config()
    assert kerasport.regularizers.get({"class_name": "L1L2", "config": cfg}).l2 == 0.2


def _paths(lib):
    seq = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3), lib.layers.BatchNormalization()])
    x = lib.Input((5, 4))
    y = lib.layers.Bidirectional(lib.layers.LSTM(3))(x)
    y = lib.layers.TimeDistributed(lib.layers.Dense(2))(lib.layers.RepeatVector(2)(y))
    y = lib.layers.MultiHeadAttention(2, 3)(y, y)
    functional = lib.Model(x, y)

    class Sub(lib.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.d = lib.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    sub = Sub()
    sub(np.ones((1, 3), "float32"))
    opt = lib.optimizers.Adam()
    opt.build(seq.trainable_variables)
    return [[w.path for w in m.weights] for m in (seq, functional, sub)] + [[v.path for v in opt.variables]]


def test_variable_paths_follow_keras_name_scopes():
    """``variable.path`` is the chain of layers building it, as Keras's name scopes make it."""
    keras = keras_module()
    ours = _paths(kerasport)
    kerasport.backend.clear_session()
    keras.backend.clear_session()
    assert ours == _paths(keras)


def test_input_spec_is_checked_with_keras_messages():
    class Pair(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = kerasport.InputSpec(ndim=3, axes={-1: 4})

        def call(self, x):
            return x

    layer = Pair(name="pair")
    assert to_numpy(layer(np.ones((2, 3, 4), "float32"))).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="layer 'pair' is incompatible with the layer: expected ndim=3, found ndim=2"):
        layer(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        layer(kerasport.Input((3, 5)))
    spec = kerasport.layers.InputSpec(shape=(None, 8), dtype="float32")
    assert spec.ndim == 2 and kerasport.layers.InputSpec.from_config(spec.get_config()).shape == (None, 8)


def test_build_config_matches_keras():
    keras = keras_module()

    def build_configs(lib):
        mha = lib.layers.MultiHeadAttention(2, 4)
        mha(np.ones((2, 3, 8), "float32"), np.ones((2, 5, 6), "float32"))
        dense = lib.layers.Dense(3)
        dense.build((None, 7))
        return kerasport.core.nest.map_structure(lambda v: v, (mha.get_build_config(), dense.get_build_config()))

    def plain(config):  # tuples and lists alike
        return {k: plain(v) if isinstance(v, dict) else list(v) for k, v in config.items()}

    ours, theirs = build_configs(kerasport), build_configs(keras)
    assert [plain(c) for c in ours] == [plain(c) for c in theirs]


def test_float_inputs_are_cast_to_the_layer_dtype_as_keras_does():
    keras = keras_module()
    x = np.random.RandomState(0).rand(2, 3).astype("float32")
    outputs = []
    for lib in (kerasport, keras):
        inp = lib.Input((3,))
        model = lib.Model(inp, lib.layers.Dense(2)(lib.layers.Dense(2, dtype="float64", name="wide")(inp)))
        outputs.append(model)
    outputs[0].set_weights(outputs[1].get_weights())
    ours = outputs[0].predict(x, verbose=0)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, outputs[1].predict(x, verbose=0), atol=1e-6)
    assert B.dtype(outputs[0].get_layer("wide")(B.convert_to_tensor(x))) == "float64"
    ints = B.convert_to_tensor(np.array([[1, 2]], "int32"))
    assert B.dtype(layers.Embedding(4, 2)(ints)) == "float32"  # integer inputs are left alone


def _reference_order(layer, seen=None):
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return []
    seen.add(id(layer))
    out = [layer]
    for child in layer._layers:
        out += _reference_order(child, seen)
    return out


def test_flatten_layers_is_depth_first_in_order_with_shared_layers():
    shared = layers.Dense(2, name="shared")
    inner = kerasport.Sequential([kerasport.Input((3,)), layers.Dense(3, name="a"), shared], name="inner")
    x = kerasport.Input((3,))
    outer = kerasport.Model(x, layers.Dense(1, name="b")(shared(inner(x))), name="outer")
    names = [l.name for l in outer._flatten_layers()]
    assert names == [l.name for l in _reference_order(outer)]
    assert names.count("shared") == 1 and names[0] == "outer"
    assert [l.name for l in outer._flatten_layers(include_self=False)] == names[1:]


def _model():
    inputs = keras.Input((3,))
    hidden = keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs))
    return keras.Model(inputs, keras.layers.Dense(2)(hidden))


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the TensorFlow side of the same API")
def test_parameters_is_absent_on_tensorflow():
    with pytest.raises(AttributeError, match="parameters"):
        _model().parameters()


class _PositionTable(layers.Layer):
    """Adds a learned vector per position, from a table of 8 positions (keras.io's ``PositionalEmbedding``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.table = layers.Embedding(8, 4)

    def call(self, x):
        return x + self.table(ops.arange(0, ops.shape(x)[1], 1))


def test_symbolic_call_on_unknown_length_that_indexes_a_small_table():
    """An unknown dim is probed at sizes a table of 8 rows cannot index (83, 89); the call is tried again at
    small sizes, as Keras's symbolic tensors let it run, and the unknown dim stays unknown."""
    inputs = keras.Input((None, 4))
    out = _PositionTable()(inputs)
    assert out.shape == (None, None, 4)
    model = keras.Model(inputs, out)
    x = np.ones((2, 5, 4), "float32")
    np.testing.assert_allclose(to_numpy(model(x)), x + to_numpy(model.layers[1].table.embeddings)[:5], rtol=1e-6)


def test_symbolic_call_that_fails_at_every_size_raises_the_first_error():
    class Broken(layers.Layer):
        def call(self, x):
            raise ValueError(f"Broken got length {x.shape[1]}")

    with pytest.raises(ValueError, match="Broken got length 83"):
        Broken()(keras.Input((None, 4)))


@pytest.mark.skipif(B.NAME != "tensorflow", reason="Keras on torch probes concrete sizes too, and fails alike")
def test_symbolic_call_that_needs_an_unknown_batch_is_traced_as_keras_on_tensorflow():
    """keras.io's Switch Transformer reshapes to a fixed total batch, and its MPNN sums into a fixed number of
    segments: at any concrete probe size they fail, and Keras on TensorFlow traces them with the batch unknown.
    The sublayer built inside the traced call gets eager variables, the same as Keras's."""
    K = keras_module()

    def build(lib):
        class FixedBatch(lib.layers.Layer):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(8)

            def call(self, x):
                flat = lib.ops.reshape(x, [4 * 6, 8])  # the batch must be 4
                pooled = lib.ops.segment_sum(self.dense(flat), lib.ops.repeat(lib.ops.arange(4), 6), num_segments=4)
                return lib.ops.reshape(flat, [lib.ops.shape(x)[0], 6, 8]) + pooled[:, None, :]

        inputs = lib.Input((6, 8))
        return lib.Model(inputs, FixedBatch()(inputs))

    ours, theirs = build(keras), build(K)
    assert tuple(ours.output.shape) == tuple(theirs.output.shape)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert all(B.is_variable(w) for w in ours.weights)
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(0).randn(4, 6, 8).astype("float32")
    np.testing.assert_allclose(to_numpy(ours(x)), K.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-6)


def test_first_call_argument_by_keyword_builds_the_layer():
    """``MultiHeadAttention(query=..., value=...)``: as in Keras, the first argument of ``call`` builds the
    layer whether it is passed by position or by name, eagerly and symbolically."""
    K = keras_module()
    rng = np.random.RandomState(0)
    q, v = rng.randn(2, 3, 4).astype("float32"), rng.randn(2, 5, 4).astype("float32")
    theirs = K.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    want = K.ops.convert_to_numpy(theirs(query=q, value=v))
    ours = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    got = ours(query=q, value=v)
    assert ours.built and [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(to_numpy(ours(query=q, value=v)), want, rtol=1e-5, atol=1e-6)
    assert tuple(got.shape) == want.shape
    sym = layers.MultiHeadAttention(num_heads=2, key_dim=3)(query=keras.Input((3, 4)), value=keras.Input((5, 4)))
    assert sym.shape == (None, 3, 4)


def test_build_with_several_arguments_records_a_shapes_dict_as_keras_does():
    keras = keras_module()

    def configs(lib):
        class TwoArgumentBuild(lib.layers.Layer):
            def build(self, input_shape, layer_init):
                self.w = self.add_weight(shape=(input_shape[-1], 2), initializer=layer_init)

            def call(self, inputs):
                return lib.ops.matmul(inputs, self.w)

        layer = TwoArgumentBuild()
        layer.build((3,), layer_init="ones")
        rebuilt = TwoArgumentBuild()
        rebuilt.build_from_config(layer.get_build_config())
        return layer.get_build_config(), [tuple(v.shape) for v in rebuilt.weights], rebuilt.built

    (ours, our_shapes, our_built), (theirs, their_shapes, their_built) = configs(kerasport), configs(keras)
    assert ours == {"shapes_dict": {"input_shape": [3], "layer_init": "ones"}}
    assert list(theirs) == ["shapes_dict"] and tuple(theirs["shapes_dict"]["input_shape"]) == (3,)
    assert theirs["shapes_dict"]["layer_init"] == "ones"
    assert our_shapes == their_shapes == [(3, 2)] and our_built and their_built


def test_build_without_a_shape_argument_is_called_without_one():
    """keras.io's GRN/VSN example: ``def build(self): self.built = True`` on a layer called on a dict of inputs,
    symbolically and eagerly; Keras calls such a ``build`` with no shapes."""
    keras = keras_module()

    def results(lib):
        class NoShapeBuild(lib.layers.Layer):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(2, kernel_initializer="ones")

            def call(self, inputs):
                return self.dense(inputs["a"] + inputs["b"])

            def build(self):
                self.built = True

        inputs = {"a": lib.Input((3,), name="a"), "b": lib.Input((3,), name="b")}
        model = lib.Model(inputs, NoShapeBuild()(inputs))
        eager = NoShapeBuild()({"a": np.ones((1, 3), "float32"), "b": np.ones((1, 3), "float32")})
        return to_numpy(model.predict({"a": np.ones((2, 3)), "b": np.ones((2, 3))}, verbose=0)), to_numpy(eager)

    for ours, theirs in zip(results(kerasport), results(keras)):
        np.testing.assert_allclose(ours, theirs)


def test_save_and_load_own_variables_default_and_checked():
    layer = Scale()
    layer.build((None, 3))
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "1"] and store["0"].shape == (3,) and store["1"].shape == ()
    other = Scale()
    other.build((None, 3))
    other.load_own_variables({"0": np.array([1.0, 2.0, 3.0]), "1": np.array(4.0)})
    np.testing.assert_allclose(to_numpy(other.w), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(to_numpy(other.counter), 4.0)
    with pytest.raises(ValueError, match="expected 2 variables, but received 1"):
        other.load_own_variables({"0": np.zeros(3)})
    with pytest.raises(ValueError, match=r"has shape \(3,\), the loaded value has shape \(4,\)"):
        other.load_own_variables({"0": np.zeros(4), "1": np.array(0.0)})
    np.testing.assert_allclose(to_numpy(other.w), [1.0, 2.0, 3.0])  # nothing assigned on error


def test_automatic_config_leaves_out_a_name_init_cannot_take_as_keras_does():
    keras = keras_module()

    def config_keys(lib):
        class NoArguments(lib.layers.Layer):
            def __init__(self):
                super().__init__()

        class WithKwargs(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)

        class NoArgumentsModel(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(2)

            def call(self, x):
                return self.dense(x)

        return ["name" in obj.get_config() for obj in (NoArguments(), WithKwargs(), NoArgumentsModel())]

    assert config_keys(kerasport) == config_keys(keras) == [False, True, False]


def test_layers_appended_to_a_list_attribute_are_sublayers_as_in_keras():
    keras = keras_module()

    def build(lib):
        class Blocks(lib.layers.Layer):
            def __init__(self):
                super().__init__()
                self.blocks = []
                for units in (3, 2):
                    self.blocks.append(lib.layers.Dense(units))
                self.blocks += [lib.layers.Dense(1)]

            def call(self, x):
                for block in self.blocks:
                    x = block(x)
                return x

        layer = Blocks()
        layer(np.ones((2, 4), "float32"))
        return layer

    ours, theirs = build(kerasport), build(keras)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert len(ours.trainable_weights) == 6 and isinstance(ours.blocks, list)


def test_unnamed_weights_are_named_variable_as_in_keras(keras):
    """``add_weight`` without a name gives Keras's automatic names, "variable", "variable_1", ..., counted with
    ``keras.Variable``'s and reset by ``clear_session`` (a weight named None was "layer/None" in paths)."""
    def names(api):
        class TwoUnnamed(api.layers.Layer):
            def build(self, input_shape):
                self.a = self.add_weight(shape=(1,))
                self.b = self.add_weight(shape=(2,), name="b")
                self.c = self.add_weight(shape=(3,))

        api.backend.clear_session()
        first, second = TwoUnnamed(), TwoUnnamed()
        first.build((1,))
        second.build((1,))
        return [(w.name, w.path) for w in first.weights + second.weights] + [api.Variable(1.0).name]

    assert names(kerasport) == names(keras)


def test_variables_set_as_attributes_are_weights_as_in_keras():
    """``self.w = keras.Variable(...)`` in ``__init__`` (the researchers' guide's ``Linear``) is tracked as Keras
    tracks it: in ``weights``, trainable or not as the variable says, once even when set twice."""
    def tracked(api):
        class Linear(api.layers.Layer):
            def __init__(self):
                super().__init__()
                self.w = api.Variable(np.ones((2, 3), "float32"), name="w")
                self.total = api.Variable(np.zeros(2, "float32"), trainable=False, name="total")
                self.alias = self.w

            def call(self, inputs):
                self.total.assign_add(api.ops.sum(inputs, axis=0))
                return api.ops.matmul(inputs, self.w)

        layer = Linear()
        layer(np.ones((4, 2), "float32"))
        return ([w.name.split(":")[0] for w in layer.weights], len(layer.trainable_weights),
                len(layer.non_trainable_weights), layer.weights == [layer.w, layer.total])

    assert tracked(kerasport) == tracked(keras_module())


def test_losses_are_cleared_by_the_outermost_call_of_a_plain_layer_as_in_keras():
    """A ``Layer`` (not a ``Model``) called twice keeps only the second call's ``add_loss`` terms; a sublayer
    called twice within one call keeps both."""
    def counts(api):
        class Penalty(api.layers.Layer):
            def call(self, inputs):
                self.add_loss(api.ops.sum(inputs))
                return inputs

        class Block(api.layers.Layer):
            def __init__(self):
                super().__init__()
                self.penalty = Penalty()

            def call(self, inputs):
                return self.penalty(self.penalty(inputs))

        block, leaf, x = Block(), Penalty(), np.ones((2, 2), "float32")
        out = []
        for layer in (block, leaf):
            layer(x)
            layer(x)
            out.append(len(layer.losses))
        return out

    assert counts(kerasport) == counts(keras_module()) == [2, 1]


def test_layers_in_a_list_with_other_things_are_sublayers_as_in_keras():
    """Keras tracks the layers of a public list attribute that also holds other things (the keras.io
    forward-forward example's ``self.layer_list = [keras.Input(...)]`` then ``+= [FFDense(...)]``)."""
    keras = keras_module()

    def build(lib):
        class Stack(lib.Model):
            def __init__(self):
                super().__init__()
                self.layer_list = [lib.Input(shape=(4,))]
                self.layer_list += [lib.layers.Dense(3)]
                self.mixed = ["a note", lib.layers.Dense(2), 3]

        model = Stack()
        model.layer_list[1](np.ones((2, 4), "float32"))
        model.mixed[1](np.ones((2, 4), "float32"))
        return model

    ours, theirs = build(kerasport), build(keras)
    assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in theirs.layers]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert len(ours.weights) == 4


def test_dicts_of_layers_set_as_attributes_are_tracked_as_in_keras():
    """``self.embeddings = dict()`` then ``self.embeddings[name] = Embedding(...)`` (keras.io's variable selection
    network), and a dict given whole: their layers are sublayers, their weights in Keras's order."""
    def tracked(api):
        class Holder(api.layers.Layer):
            def __init__(self):
                super().__init__()
                self.embeddings = dict()
                for name in ("b", "a"):
                    self.embeddings[name] = api.layers.Embedding(3, 2, name=name)
                self.projections = {"x": api.layers.Dense(2, name="x")}
                self.projections.update({"y": api.layers.Dense(2, name="y")})
                self.settings = {"rate": 0.5}

            def call(self, inputs):
                out = self.embeddings["a"](inputs["i"]) + self.embeddings["b"](inputs["i"])
                return out + self.projections["x"](inputs["f"]) + self.projections["y"](inputs["f"])

        layer = Holder()
        layer({"i": np.array([0, 2]), "f": np.ones((2, 1), "float32")})
        return [w.path for w in layer.weights], [sub.name for sub in layer._flatten_layers(include_self=False)]

    assert tracked(kerasport) == tracked(keras_module())


def test_deepcopy_gives_a_layer_with_its_own_weights_trainable_or_frozen_as_before():
    """``copy.deepcopy(layer)`` (Keras layers allow it) copies weights and sublayers; each copy keeps its weight's
    trainable flag, and training the copy leaves the original alone."""
    import copy

    class Block(kerasport.layers.Layer):
        def __init__(self):
            super().__init__()
            self.blocks = [kerasport.layers.Dense(2), kerasport.layers.BatchNormalization()]

        def call(self, x, training=None):
            return self.blocks[1](self.blocks[0](x), training=training)

    block = Block()
    x = np.random.RandomState(0).rand(4, 3).astype("float32")
    block(x)
    block.blocks[0].trainable = False
    twin = copy.deepcopy(block)
    assert twin.blocks[0] is not block.blocks[0] and twin.weights[0] is twin.blocks[0].kernel
    assert [w.path for w in twin.trainable_weights] == [w.path for w in block.trainable_weights]
    assert len(twin.trainable_weights) == 2 and len(twin.non_trainable_weights) == 4
    before = [kerasport.ops.convert_to_numpy(w) for w in block.weights]
    np.testing.assert_allclose(kerasport.ops.convert_to_numpy(twin(x)), kerasport.ops.convert_to_numpy(block(x)))
    model = kerasport.Sequential([kerasport.Input((3,)), twin])
    model.compile("sgd", "mse")
    model.fit(x, np.ones((4, 2)), verbose=0)
    for w, value in zip(block.weights, before):
        np.testing.assert_array_equal(kerasport.ops.convert_to_numpy(w), value)
    assert not np.allclose(kerasport.ops.convert_to_numpy(twin.blocks[1].gamma), before[2])


def test_activity_regularizer_of_a_scalar_or_empty_output_as_in_keras():
    """Keras divides the activity penalty by the batch size only for outputs with a batch axis, and an empty batch
    gives 0, not NaN."""
    keras = keras_module()
    for values in (np.float32(3.0), np.zeros((0, 2), "float32"), np.ones((4, 2), "float32")):
        got = []
        for mod in (keras, kerasport):
            layer = mod.layers.Activation("linear", activity_regularizer=mod.regularizers.L2(0.5))
            layer(mod.ops.convert_to_tensor(values))
            got.append(float(mod.ops.convert_to_numpy(layer.losses[0])))
        assert got[1] == pytest.approx(got[0]), values


def _block_with_output_shape(api, call_fails=False):
    class Block(api.layers.Layer):
        """No ``build``, a ``Dense`` sublayer and a ``compute_output_shape`` (the keras.io MPNN's layers)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = api.layers.Dense(4)

        def call(self, x):
            if call_fails:
                raise ValueError("this call cannot run on symbolic inputs")
            return self.dense(x)

        def compute_output_shape(self, input_shape):
            return input_shape[:-1] + (4,)

    return Block()


def test_a_layer_without_build_runs_its_call_to_build_its_sublayers_as_keras():
    """Keras builds a layer that has no ``build`` and unbuilt sublayers by running its ``call`` on symbolic
    inputs, also where ``compute_output_shape`` gives its shape: its weights exist once the model is wired. Where
    that run fails, Keras warns and the first eager call builds them."""
    want = []
    for api in (keras_module(), kerasport):
        inputs = api.Input((3,))
        model = api.Model(inputs, _block_with_output_shape(api)(inputs))
        want.append(([tuple(w.shape) for w in model.weights], model.output.shape))
    assert want[1] == want[0] == ([(3, 4), (4,)], (None, 4))
    inputs = kerasport.Input((3,))
    block = _block_with_output_shape(kerasport, call_fails=True)
    with pytest.warns(UserWarning, match="unbuilt state"):
        outputs = block(inputs)
    assert outputs.shape == (None, 4) and not block.dense.built


def test_only_tensors_may_be_passed_positionally_as_in_keras():
    """Keras raises for a flag, a number or a Python list passed as a positional argument (data layers and
    Functional models excepted); NumPy arrays and None are fine. Each case behaves as under Keras."""
    K = keras_module()
    x = np.ones((2, 3), "float32")

    def cases(lib):
        class Flagged(lib.layers.Layer):
            def call(self, inputs, flag=False):
                return inputs

        class FlaggedModel(lib.Model):
            def call(self, inputs, flag=False):
                return inputs

        seq = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        return {"dense_list": lambda: lib.layers.Dense(2)([[1.0, 2.0, 3.0]]),
                "dense_scalar": lambda: lib.layers.Dense(2)(1.0),
                "flag": lambda: Flagged()(x, True),
                "flag_symbolic": lambda: Flagged()(lib.Input((3,)), True),
                "model_flag": lambda: FlaggedModel()(x, True),
                "sequential_list": lambda: seq([[1.0, 2.0, 3.0]]),
                "dropout_training": lambda: lib.layers.Dropout(0.5)(x, True),
                "none": lambda: Flagged()(x, None),
                "arrays": lambda: lib.layers.Add()([x, x]),
                "flag_by_keyword": lambda: Flagged()(x, flag=True),
                "data_layer": lambda: lib.layers.Hashing(num_bins=3)(["a", "b"])}

    def outcome(case):
        try:
            case()
            return "ok"
        except ValueError as e:
            assert "Only input tensors may be passed as positional arguments" in str(e), str(e)
            return "refused"

    ours = {name: outcome(case) for name, case in cases(keras).items()}
    assert ours == {name: outcome(case) for name, case in cases(K).items()}
    assert ours["flag"] == "refused" and ours["none"] == "ok"
    with pytest.raises(ValueError, match=r"Layer 'dense\w*': Only input tensors .* 1.0 \(of type <class 'float'>\)"):
        layers.Dense(2)(1.0)


def test_image_layers_take_an_image_as_nested_lists_as_keras_on_tensorflow():
    """Keras on TensorFlow converts a nested list of numbers given to an image layer into one image (kerasport
    took the list for several inputs); the deterministic layers give Keras's numbers, the random ones its shape."""
    K = keras_module()
    image = [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], [[0.7, 0.8, 0.9], [1.0, 0.0, 0.5]]]
    for name, args in (("Rescaling", (2.0,)), ("Resizing", (3, 3))):
        ours, theirs = getattr(layers, name)(*args)(image), getattr(K.layers, name)(*args)(image)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(ours), K.ops.convert_to_numpy(theirs), rtol=1e-6)
    for layer in (layers.RandomFlip(seed=1), layers.RandomContrast(0.2, seed=1)):
        assert tuple(keras.ops.shape(layer(image))) == (2, 2, 3)
    assert tuple(keras.ops.shape(layers.Rescaling(2.0)([[1, 2], [3, 4]]))) == (2, 2)


def test_add_weight_takes_keras_arguments():
    """Keras's ``add_weight``: shape, initializer and dtype by position; a positional name (Keras 2's style), a
    doubly given argument or an unknown aggregation raise Keras's errors; ``overwrite_with_gradient`` marks the
    variable for the optimizer."""
    K = keras_module()
    for lib in (keras, K):
        layer = lib.layers.Layer()
        w = layer.add_weight((2, 3), "ones", "float16", name="w")
        assert tuple(w.shape) == (2, 3) and lib.ops.convert_to_numpy(w).dtype == np.float16
        with pytest.raises(ValueError, match="`name` must be passed as a keyword argument"):
            layer.add_weight("kernel", shape=(2,))
        with pytest.raises(ValueError, match="`shape` was passed both positionally and as a keyword argument"):
            layer.add_weight((2,), shape=(2,))
        with pytest.raises(TypeError, match="at most 3 positional arguments"):
            layer.add_weight((2,), "ones", "float32", True)
        assert layer.add_weight(shape=(), overwrite_with_gradient=True).overwrite_with_gradient
    with pytest.raises(ValueError, match="Invalid value for argument `aggregation`.*Received: aggregation='max'"):
        layers.Layer().add_weight(shape=(), aggregation="max")
