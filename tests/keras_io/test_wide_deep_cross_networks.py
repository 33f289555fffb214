"""keras.io example "Structured data learning with Wide, Deep, and Cross networks"
(examples/structured_data/wide_deep_cross_networks.py, its Keras 3 form).

Shrunk: a synthetic 48-row table with the example's 10 numeric columns (values 0 to 100), its two string
columns (``Soil_Type``: 8 values, ``Wilderness_Area``: 4) and its 7 classes, instead of the covertype download;
36 rows train and 12 test. The ``make_csv_dataset`` pipeline becomes the dict of columns it yields, given to
``fit`` / ``evaluate`` with ``batch_size=12`` and ``shuffle=False``; ``hidden_units=[16, 16]``, 2 epochs. All three
experiments (baseline, wide & deep, deep & cross) run; each returns its history, test accuracy and predictions
instead of printing them, and ``plot_model`` is left out. ``dropout_rate`` is 0: dropout masks are random, and
the two libraries' streams differ. Keras's array adapter takes the string columns as ``tf.string`` tensors,
kerasport as NumPy arrays (as in ``tests/programs/test_string_programs.py``).

The wide & deep and deep & cross models train ``Embedding`` layers: there Keras 3 on TensorFlow gets their
gradients as ``IndexedSlices`` and Adam squares them per occurrence of an index in the batch, where Keras on
torch (which cannot take string inputs) and kerasport square the summed gradient (their losses part by 5e-4 with
Adam, from the same weights). Those two experiments use
``keras.optimizers.SGD(learning_rate)`` instead of Adam; the baseline keeps the example's Adam.
"""
import math

import numpy as np
import pytest

from tests.programs.test_keras_programs import check_program

NUMERIC_FEATURE_NAMES = [
    "Aspect",
    "Elevation",
    "Hillshade_3pm",
    "Hillshade_9am",
    "Hillshade_Noon",
    "Horizontal_Distance_To_Fire_Points",
    "Horizontal_Distance_To_Hydrology",
    "Horizontal_Distance_To_Roadways",
    "Slope",
    "Vertical_Distance_To_Hydrology",
]


def _data(keras):
    rng = np.random.RandomState(0)
    n = 48
    data = {name: (rng.rand(n) * 100).astype("float32") for name in NUMERIC_FEATURE_NAMES}
    data["Soil_Type"] = np.array([f"soil_type_{i}" for i in rng.randint(1, 9, n)], dtype=object)
    data["Wilderness_Area"] = np.array([f"area_{i}" for i in rng.randint(1, 5, n)], dtype=object)
    target = rng.randint(0, 7, n)
    vocabulary = {name: list(dict.fromkeys(data[name].tolist())) for name in ("Soil_Type", "Wilderness_Area")}

    def columns(rows):
        return {name: (values[rows] if keras.__name__ == "kerasport" or values.dtype != object
                       else keras.ops.convert_to_tensor(values[rows])) for name, values in data.items()}

    return vocabulary, (columns(slice(0, 36)), target[:36]), (columns(slice(36, n)), target[36:])


def _experiment(keras, sync, model_name):
    layers = keras.layers
    CATEGORICAL_FEATURES_WITH_VOCABULARY, train_dataset, test_dataset = _data(keras)
    CATEGORICAL_FEATURE_NAMES = list(CATEGORICAL_FEATURES_WITH_VOCABULARY.keys())
    FEATURE_NAMES = NUMERIC_FEATURE_NAMES + CATEGORICAL_FEATURE_NAMES
    TARGET_FEATURE_LABELS = ["0", "1", "2", "3", "4", "5", "6"]
    NUM_CLASSES = len(TARGET_FEATURE_LABELS)

    learning_rate = 0.001
    dropout_rate = 0.0
    batch_size = 12
    num_epochs = 2

    hidden_units = [16, 16]

    def run_experiment(model, optimizer):
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=[keras.metrics.SparseCategoricalAccuracy()],
        )
        history = model.fit(*train_dataset, batch_size=batch_size, epochs=num_epochs, shuffle=False, verbose=0)
        _, accuracy = model.evaluate(*test_dataset, batch_size=batch_size, verbose=0)
        return {"history": history.history, "accuracy": accuracy,
                "predict": model.predict(test_dataset[0], batch_size=batch_size, verbose=0)}

    def create_model_inputs():
        inputs = {}
        for feature_name in FEATURE_NAMES:
            if feature_name in NUMERIC_FEATURE_NAMES:
                inputs[feature_name] = layers.Input(name=feature_name, shape=(), dtype="float32")
            else:
                inputs[feature_name] = layers.Input(name=feature_name, shape=(), dtype="string")
        return inputs

    def encode_inputs(inputs, use_embedding=False):
        encoded_features = []
        for feature_name in inputs:
            if feature_name in CATEGORICAL_FEATURE_NAMES:
                vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
                # Create a lookup to convert string values to an integer indices.
                # Since we are not using a mask token nor expecting any out of vocabulary
                # (oov) token, we set mask_token to None and  num_oov_indices to 0.
                lookup = layers.StringLookup(
                    vocabulary=vocabulary,
                    mask_token=None,
                    num_oov_indices=0,
                    output_mode="int" if use_embedding else "binary",
                )
                if use_embedding:
                    # Convert the string input values into integer indices.
                    encoded_feature = lookup(inputs[feature_name])
                    embedding_dims = int(math.sqrt(len(vocabulary)))
                    # Create an embedding layer with the specified dimensions.
                    embedding = layers.Embedding(input_dim=len(vocabulary), output_dim=embedding_dims)
                    # Convert the index values to embedding representations.
                    encoded_feature = embedding(encoded_feature)
                else:
                    # Convert the string input values into a one hot encoding.
                    encoded_feature = lookup(keras.ops.expand_dims(inputs[feature_name], -1))
            else:
                # Use the numerical features as-is.
                encoded_feature = keras.ops.expand_dims(inputs[feature_name], -1)

            encoded_features.append(encoded_feature)

        all_features = layers.concatenate(encoded_features)
        return all_features

    def create_baseline_model():
        inputs = create_model_inputs()
        features = encode_inputs(inputs)

        for units in hidden_units:
            features = layers.Dense(units)(features)
            features = layers.BatchNormalization()(features)
            features = layers.ReLU()(features)
            features = layers.Dropout(dropout_rate)(features)

        outputs = layers.Dense(units=NUM_CLASSES, activation="softmax")(features)
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    def create_wide_and_deep_model():
        inputs = create_model_inputs()
        wide = encode_inputs(inputs)
        wide = layers.BatchNormalization()(wide)

        deep = encode_inputs(inputs, use_embedding=True)
        for units in hidden_units:
            deep = layers.Dense(units)(deep)
            deep = layers.BatchNormalization()(deep)
            deep = layers.ReLU()(deep)
            deep = layers.Dropout(dropout_rate)(deep)

        merged = layers.concatenate([wide, deep])
        outputs = layers.Dense(units=NUM_CLASSES, activation="softmax")(merged)
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    def create_deep_and_cross_model():
        inputs = create_model_inputs()
        x0 = encode_inputs(inputs, use_embedding=True)

        cross = x0
        for _ in hidden_units:
            units = cross.shape[-1]
            x = layers.Dense(units)(cross)
            cross = x0 * x + cross
        cross = layers.BatchNormalization()(cross)

        deep = x0
        for units in hidden_units:
            deep = layers.Dense(units)(deep)
            deep = layers.BatchNormalization()(deep)
            deep = layers.ReLU()(deep)
            deep = layers.Dropout(dropout_rate)(deep)

        merged = layers.concatenate([cross, deep])
        outputs = layers.Dense(units=NUM_CLASSES, activation="softmax")(merged)
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    if model_name == "baseline":
        model = create_baseline_model()
        optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    else:
        model = create_wide_and_deep_model() if model_name == "wide_and_deep" else create_deep_and_cross_model()
        optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    sync(model)
    result = run_experiment(model, optimizer)
    result["inputs"] = [tuple(t.shape) for t in model.inputs]
    result["params"] = model.count_params()
    return result


def baseline(keras, sync):
    return _experiment(keras, sync, "baseline")


def wide_and_deep(keras, sync):
    return _experiment(keras, sync, "wide_and_deep")


def deep_and_cross(keras, sync):
    return _experiment(keras, sync, "deep_and_cross")


@pytest.mark.parametrize("program", [baseline, wide_and_deep, deep_and_cross], ids=lambda p: p.__name__)
def test_wide_deep_cross_networks(program):
    check_program(program)
