"""Masks flow as in Keras 3, eagerly and while Functional models are wired: same weights in, same numbers out.

Each program builds a model on masked sequences (``Embedding(mask_zero=True)``, ``Masking``, an explicit
``mask``) with mask producers, consumers and pass-through layers; ``check_program`` runs it with Keras 3
and then with kerasport on Keras's initial weights. The Masking layer itself matches Keras's outputs and masks.
"""
import numpy as np
import pytest

import kerasport
from kerasport import layers
from kerasport.backends import B
from tests.helpers import keras_module, to_numpy
from tests.programs.test_keras_programs import check_program, program_id


def _padded(keras, n=8, length=7, vocab=20, seed=0):
    rng = np.random.RandomState(seed)
    seqs = [list(rng.randint(1, vocab, rng.randint(1, length + 1))) for _ in range(n)]
    return keras.utils.pad_sequences(seqs, maxlen=length, padding="post")


def _has_mask(t):
    return getattr(t, "_keras_mask", None) is not None


def consumers_in_functional(keras, sync):
    """Dense passes the mask on; LSTM, Bidirectional, Attention, GlobalAveragePooling1D and SimpleRNN use it."""
    L, out = keras.layers, {}
    x_data = _padded(keras)
    y_data = (x_data.sum(1) % 3).astype("int64")
    inputs = keras.Input((None,), dtype="int32")
    e = L.Embedding(20, 8, mask_zero=True)(inputs)
    d = L.Dense(6, activation="tanh")(e)
    r = L.LSTM(5, return_sequences=True)(d)
    b = L.Bidirectional(L.GRU(3, return_sequences=True))(r)
    a = L.Attention()([b, b])
    g = L.GlobalAveragePooling1D()(a)
    s = L.SimpleRNN(4)(b)
    c = L.Concatenate()([g, s])
    outputs = L.Dense(3, activation="softmax")(c)
    out["symbolic_masks"] = [_has_mask(t) for t in (e, d, r, b, a, g, s, c, outputs)]
    out["mask_shape"] = [tuple(t._keras_mask.shape) for t in (e, d, r, b, a)]
    model = keras.Model(inputs, outputs)
    sync(model)
    out["predict"] = model.predict(x_data, verbose=0)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    out["history"] = model.fit(x_data, y_data, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    return out


def self_attention_block(keras, sync):
    """MultiHeadAttention fills its query / value masks from the inputs; ops drop masks silently."""
    L, ops, out = keras.layers, keras.ops, {}
    x_data = _padded(keras, seed=1)
    inputs = keras.Input((7,), dtype="int32")
    x = L.Embedding(20, 8, mask_zero=True)(inputs)
    attn = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    summed = x + attn
    h = L.LayerNormalization()(summed)
    outputs = L.GlobalAveragePooling1D()(h)
    out["symbolic_masks"] = [_has_mask(t) for t in (x, attn, summed, h)]
    model = keras.Model(inputs, outputs)
    sync(model)
    out["predict"] = model.predict(x_data, verbose=0)
    return out


def masking_layer_sequential(keras, sync):
    """A ``Masking`` layer in a Sequential model: the LSTM skips all-zero steps while it trains."""
    rng = np.random.RandomState(2)
    x = rng.randn(12, 6, 3).astype("float32")
    x[:4, 4:] = 0.0
    x[4:8, 2:] = 0.0
    y = rng.randn(12, 2).astype("float32")
    model = keras.Sequential([keras.Input((6, 3)), keras.layers.Masking(), keras.layers.LSTM(4),
                              keras.layers.Dense(2)])
    sync(model)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(x, verbose=0),
            "symbolic_mask": _has_mask(model.layers[0].output)}


def custom_mask_layers(keras, sync):
    """Custom layers: a list input gets a list of masks; a split mask feeds two LSTMs; an explicit mask Input."""
    L, ops, out = keras.layers, keras.ops, {}

    class GatedSum(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            first_mask = ops.cast(ops.expand_dims(mask[0], -1), inputs[0].dtype)
            return inputs[0] * first_mask + inputs[1]

        def compute_mask(self, inputs, mask=None):
            return mask[0]

    class TemporalSplit(L.Layer):
        def call(self, inputs):
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            return None if mask is None else ops.split(mask, 2, axis=1)

    x_data = _padded(keras, length=8, seed=3)
    tokens = keras.Input((8,), dtype="int32")
    dense_in = keras.Input((8, 5))
    e = L.Embedding(20, 5, mask_zero=True)(tokens)
    g = GatedSum()([e, dense_in])
    first, second = TemporalSplit()(g)
    out["split_masks"] = [tuple(first._keras_mask.shape), tuple(second._keras_mask.shape)]
    step_mask = keras.Input((8,), dtype="bool")
    explicit = L.GRU(3)(dense_in, mask=step_mask)
    outputs = L.Concatenate()([L.LSTM(3)(first), L.LSTM(3)(second), explicit])
    model = keras.Model([tokens, dense_in, step_mask], outputs)
    sync(model)
    rng = np.random.RandomState(4)
    dense_data = rng.randn(8, 8, 5).astype("float32")
    mask_data = rng.rand(8, 8) > 0.3
    out["predict"] = model.predict([x_data, dense_data, mask_data], verbose=0)
    return out


def initial_state_keeps_mask_out(keras, sync):
    """As in Keras, an RNN called with ``initial_state`` (two tensor arguments) is not given the input's mask."""
    L, out = keras.layers, {}
    x_data = _padded(keras, seed=5)
    inputs = keras.Input((7,), dtype="int32")
    state = keras.Input((4,))
    e = L.Embedding(20, 6, mask_zero=True)(inputs)
    lstm = L.LSTM(4)
    outputs = L.Concatenate()([lstm(e), lstm(e, initial_state=[state, state])])
    model = keras.Model([inputs, state], outputs)
    sync(model)
    out["predict"] = model.predict([x_data, np.full((8, 4), 0.1, "float32")], verbose=0)
    return out


def masked_sequence_tagger(keras, sync):
    """Per-step outputs keep the mask to the end, and the loss and metrics leave the padded steps out."""
    L = keras.layers
    x_data = _padded(keras, n=12, seed=7)
    y_data = (x_data % 3).astype("int64")
    inputs = keras.Input((7,), dtype="int32")
    h = L.Embedding(20, 6, mask_zero=True)(inputs)
    h = L.Bidirectional(L.LSTM(4, return_sequences=True))(h)
    outputs = L.Dense(3, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    sync(model)
    # SGD: Keras on TensorFlow's Adam differs on repeated tokens (tests/programs/test_guide_programs.py KNOWN_GAPS)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_data, y_data, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x_data, y_data, verbose=0),
            "output_mask": _has_mask(outputs)}


def explicit_mask_to_models(keras, sync):
    """A ``mask`` given to a Sequential or Functional model's call reaches its first layers."""
    rng = np.random.RandomState(6)
    x = rng.randn(4, 5, 3).astype("float32")
    mask = rng.rand(4, 5) > 0.4
    sequential = keras.Sequential([keras.Input((5, 3)), keras.layers.Dense(3), keras.layers.GRU(2)])
    sync(sequential)
    inputs = keras.Input((5, 3))
    functional = keras.Model(inputs, keras.layers.LSTM(2)(inputs))
    sync(functional)
    t = keras.ops.convert_to_tensor(x)
    return {"sequential": sequential(t, mask=keras.ops.convert_to_tensor(mask)),
            "functional": functional(keras.ops.convert_to_tensor(x), mask=keras.ops.convert_to_tensor(mask))}


@pytest.mark.parametrize("program", [consumers_in_functional, self_attention_block, masking_layer_sequential,
                                     custom_mask_layers, initial_state_keeps_mask_out, explicit_mask_to_models,
                                     masked_sequence_tagger],
                         ids=program_id)
def test_masks_as_keras(program):
    check_program(program)


def test_call_mask_is_filled_in_while_wiring():
    seen = []

    class Consumer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            seen.append(mask is not None)
            return inputs

    inputs = kerasport.Input((None,), dtype="int32")
    x = Consumer()(layers.Embedding(10, 3, mask_zero=True)(inputs))
    assert seen and all(seen)
    assert x._keras_mask.shape == (None, None) and x._keras_mask.dtype == "bool"
    model = kerasport.Model(inputs, x)
    seen.clear()
    y = model(np.array([[1, 2, 0]]))
    assert seen == [True]
    np.testing.assert_array_equal(B.convert_to_numpy(y._keras_mask), [[True, True, False]])


def test_layer_without_masking_drops_the_mask_with_keras_warning():
    x = layers.Embedding(10, 3, mask_zero=True)(np.array([[1, 0]]))
    with pytest.warns(UserWarning, match="does not support masking"):
        y = layers.Conv1D(2, 1)(x)
    assert getattr(y, "_keras_mask", None) is None
    inputs = kerasport.Input((None,), dtype="int32")
    with pytest.warns(UserWarning, match="'conv1d_1'.*does not support masking"):
        y = layers.Conv1D(2, 1, name="conv1d_1")(layers.Embedding(10, 3, mask_zero=True)(inputs))
    assert getattr(y, "_keras_mask", None) is None


def test_defining_compute_mask_means_supports_masking():
    class Producer(layers.Layer):
        def compute_mask(self, inputs, mask=None):
            return kerasport.ops.not_equal(inputs, 0)

    class Plain(layers.Layer):
        pass

    assert Producer().supports_masking and not Plain().supports_masking


def _zero_padded():
    x = np.random.RandomState(0).randn(2, 4, 3).astype("float32")
    x[0, 2:] = 0.0
    x[1, 0] = 0.0
    x[1, 1, 0] = 0.0  # partly zero: not masked
    return x


def test_masking_matches_keras():
    keras = keras_module()
    x = _zero_padded()
    k_out = keras.layers.Masking()(x)
    out = layers.Masking()(B.convert_to_tensor(x))
    np.testing.assert_array_equal(to_numpy(out), k_out.numpy())
    np.testing.assert_array_equal(to_numpy(out._keras_mask), [[True, True, False, False], [False, True, True, True]])


def test_masking_mask_flows_through_a_functional_model():
    inp = kerasport.Input((4, 3))
    masked = layers.Masking(mask_value=0.0)(inp)
    out = layers.Lambda(lambda t, mask: B.cast(mask, "float32") + B.sum(t, axis=-1) * 0, output_shape=(4,))(masked)
    model = kerasport.Model(inp, out)
    np.testing.assert_array_equal(to_numpy(model(B.convert_to_tensor(_zero_padded()))), [[1, 1, 0, 0], [0, 1, 1, 1]])
