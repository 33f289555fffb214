"""keras.io guide "Understanding masking & padding" (guides/understanding_masking_and_padding.py)."""
import numpy as np
import pytest

from tests.programs.test_keras_programs import check_program, program_id


def program(keras, sync):
    layers, ops = keras.layers, keras.ops
    out = {}
    raw_inputs = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
    padded_inputs = keras.utils.pad_sequences(raw_inputs, padding="post")
    out["padded"] = padded_inputs

    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    masked_output = embedding(padded_inputs)
    out["embedding_mask"] = embedding.compute_mask(padded_inputs)

    masking_layer = layers.Masking()
    unmasked_embedding = ops.cast(ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]), "float32")
    masked_embedding = masking_layer(unmasked_embedding)
    out["masking_mask"] = masking_layer.compute_mask(unmasked_embedding)
    out["masked_embedding"] = masked_embedding
    del masked_output

    model = keras.Sequential([layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True), layers.LSTM(32)])
    model.build((None, 6))
    sync(model)
    out["sequential_lstm"] = model(padded_inputs)

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    outputs = layers.LSTM(32)(x)
    model = keras.Model(inputs, outputs)
    sync(model)
    out["functional_lstm"] = model(padded_inputs)

    class MyLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
            self.lstm = layers.LSTM(32)

        def call(self, inputs):
            x = self.embedding(inputs)
            mask = self.embedding.compute_mask(inputs)
            return self.lstm(x, mask=mask)

    layer = MyLayer()
    x = np.random.RandomState(0).random_sample((32, 10)) * 100
    x = x.astype("int32")
    layer(x)
    sync(layer)
    out["my_layer"] = layer(x)

    class TemporalSplit(keras.layers.Layer):
        def call(self, inputs):
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            if mask is None:
                return None
            return ops.split(mask, 2, axis=1)

    first_half, second_half = TemporalSplit()(masked_embedding)
    out["split_shapes"] = [tuple(first_half.shape), tuple(second_half.shape)]

    class CustomEmbedding(keras.layers.Layer):
        def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
            super().__init__(**kwargs)
            self.input_dim = input_dim
            self.output_dim = output_dim
            self.mask_zero = mask_zero

        def build(self, input_shape):
            self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), initializer="random_normal",
                                              dtype="float32")

        def call(self, inputs):
            inputs = ops.cast(inputs, "int32")
            return ops.take(self.embeddings, inputs, axis=0)

        def compute_mask(self, inputs, mask=None):
            if not self.mask_zero:
                return None
            return ops.not_equal(inputs, 0)

    layer = CustomEmbedding(10, 32, mask_zero=True)
    x = np.random.RandomState(1).random_sample((3, 10)) * 9
    x = x.astype("int32")
    layer(x)
    sync(layer)
    out["custom_embedding"] = layer(x)
    out["custom_mask"] = layer.compute_mask(x)

    return out


def temporal_softmax(keras, sync):
    """A layer that uses the mask in ``call``, built symbolically in a Functional model."""
    layers, ops, out = keras.layers, keras.ops, {}

    class TemporalSoftmax(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            assert mask is not None
            broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
            inputs_exp = ops.exp(inputs) * broadcast_float_mask
            inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=-1, keepdims=True)
            return inputs_exp / inputs_sum

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)(inputs)
    x = layers.Dense(1)(x)
    outputs = TemporalSoftmax()(x)
    model = keras.Model(inputs, outputs)
    sync(model)
    y = model(np.random.RandomState(2).randint(0, 10, size=(32, 100)))
    out["temporal_softmax"] = y
    return out


def attached_masks(keras, sync):
    """The guide's ``_keras_mask`` prints: on eager outputs, split by ``compute_mask``, and on the
    symbolic tensor of a Functional model (``MyActivation`` passes the mask on to the ``LSTM``)."""
    layers, ops, out = keras.layers, keras.ops, {}
    padded_inputs = keras.utils.pad_sequences([[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]],
                                              padding="post")
    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    out["embedding_output_mask"] = embedding(padded_inputs)._keras_mask
    unmasked_embedding = ops.cast(ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]), "float32")
    masked_embedding = layers.Masking()(unmasked_embedding)
    out["masking_output_mask"] = masked_embedding._keras_mask

    class TemporalSplit(keras.layers.Layer):
        def call(self, inputs):
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            if mask is None:
                return None
            return ops.split(mask, 2, axis=1)

    first_half, second_half = TemporalSplit()(masked_embedding)
    out["split_masks"] = [first_half._keras_mask, second_half._keras_mask]

    class MyActivation(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs):
            return ops.relu(inputs)

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    x = MyActivation()(x)
    out["symbolic_mask"] = [tuple(x._keras_mask.shape), str(x._keras_mask.dtype)]
    outputs = layers.LSTM(32)(x)
    model = keras.Model(inputs, outputs)
    sync(model)
    out["lstm_after_activation"] = model(padded_inputs)
    return out


@pytest.mark.parametrize("program", [program, temporal_softmax, attached_masks], ids=program_id)
def test_understanding_masking_and_padding(program):
    check_program(program)
