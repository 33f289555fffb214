"""keras.io example "Structured data classification with FeatureSpace"
(examples/structured_data/structured_data_classification_with_feature_space.py).

A synthetic table with the heart-disease CSV's columns (120 rows) instead of the download. The example's
``tf.data`` pipeline (``dataset.map(lambda x, y: (feature_space(x), y))``) is TensorFlow's; here the
FeatureSpace encodes the dict of columns directly, the same numbers on both backends. Its
``Dropout(0.5)`` is ``Dropout(0.0)`` (dropout masks are random); the rest is the example's: both
FeatureSpaces (only the second is adapted), the training model on the encoded features, the
end-to-end inference model on raw values. (The presets and crosses are checked one by one against
Keras in ``tests/utils/test_feature_space.py``.)
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def _heart_table(n=120, seed=0):
    """Columns like heart.csv's: ints, floats and the string column ``thal``; a target that depends on them."""
    rng = np.random.RandomState(seed)
    table = {"age": rng.randint(29, 78, n), "sex": rng.randint(0, 2, n), "cp": rng.randint(0, 5, n),
             "trestbps": rng.randint(94, 200, n), "chol": rng.randint(126, 565, n), "fbs": rng.randint(0, 2, n),
             "restecg": rng.randint(0, 3, n), "thalach": rng.randint(71, 203, n), "exang": rng.randint(0, 2, n),
             "oldpeak": np.round(rng.rand(n) * 6.2, 1), "slope": rng.randint(1, 4, n), "ca": rng.randint(0, 4, n),
             "thal": rng.choice(["normal", "fixed", "reversible"], n)}
    score = (table["age"] - 55) / 10 + table["exang"] + (table["thal"] == "reversible") - table["thalach"] / 150
    table["target"] = (score + rng.randn(n) * 0.5 > 0).astype("int64")
    return table


def program(keras, sync):
    FeatureSpace = keras.utils.FeatureSpace
    dataframe = _heart_table()
    val_index = np.random.RandomState(1337).permutation(120)[:24]
    is_val = np.isin(np.arange(120), val_index)
    labels = dataframe.pop("target")
    train = {k: v[~is_val] for k, v in dataframe.items()}
    val = {k: v[is_val] for k, v in dataframe.items()}
    train_labels, val_labels = labels[~is_val], labels[is_val]

    feature_space = FeatureSpace(
        features={
            "sex": "integer_categorical", "cp": "integer_categorical", "fbs": "integer_categorical",
            "restecg": "integer_categorical", "exang": "integer_categorical", "ca": "integer_categorical",
            "thal": "string_categorical",
            "age": "float_discretized",
            "trestbps": "float_normalized", "chol": "float_normalized", "thalach": "float_normalized",
            "oldpeak": "float_normalized", "slope": "float_normalized",
        },
        crosses=[("sex", "age"), ("thal", "ca")],
        crossing_dim=32,
        output_mode="concat",
    )
    preset_names = sorted(feature_space.preprocessors)  # the example only builds this first one

    feature_space = FeatureSpace(
        features={
            "sex": FeatureSpace.integer_categorical(num_oov_indices=0),
            "cp": FeatureSpace.integer_categorical(num_oov_indices=0),
            "fbs": FeatureSpace.integer_categorical(num_oov_indices=0),
            "restecg": FeatureSpace.integer_categorical(num_oov_indices=0),
            "exang": FeatureSpace.integer_categorical(num_oov_indices=0),
            "ca": FeatureSpace.integer_categorical(num_oov_indices=0),
            "thal": FeatureSpace.string_categorical(num_oov_indices=0),
            "age": FeatureSpace.float_discretized(num_bins=30),
            "trestbps": FeatureSpace.float_normalized(),
            "chol": FeatureSpace.float_normalized(),
            "thalach": FeatureSpace.float_normalized(),
            "oldpeak": FeatureSpace.float_normalized(),
            "slope": FeatureSpace.float_normalized(),
        },
        crosses=[
            FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64),
            FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=16),
        ],
        output_mode="concat",
    )
    feature_space.adapt(train)
    preprocessed_x = feature_space({k: v[:32] for k, v in train.items()})
    preprocessed_train, preprocessed_val = feature_space(train), feature_space(val)

    dict_inputs = feature_space.get_inputs()
    encoded_features = feature_space.get_encoded_features()
    x = keras.layers.Dense(32, activation="relu")(encoded_features)
    x = keras.layers.Dropout(0.0)(x)
    predictions = keras.layers.Dense(1, activation="sigmoid")(x)
    training_model = keras.Model(inputs=encoded_features, outputs=predictions)
    sync(training_model)
    training_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    inference_model = keras.Model(inputs=dict_inputs, outputs=predictions)

    history = training_model.fit(preprocessed_train, train_labels, batch_size=32, epochs=3, shuffle=False,
                                 validation_data=(preprocessed_val, val_labels), verbose=0)

    sample = {"age": 60, "sex": 1, "cp": 1, "trestbps": 145, "chol": 233, "fbs": 1, "restecg": 2, "thalach": 150,
              "exang": 0, "oldpeak": 2.3, "slope": 3, "ca": 0, "thal": "fixed"}
    # The example's ``tf.convert_to_tensor([value])``: Keras takes string tensors, kerasport NumPy arrays too.
    as_input = np.array if keras.__name__ == "kerasport" else keras.ops.convert_to_tensor
    input_dict = {name: as_input([value]) for name, value in sample.items()}
    sample_prediction = inference_model.predict(input_dict, verbose=0)
    val_inputs = {name: as_input(values) for name, values in val.items()}  # the sample's shape: (batch,)
    assert sorted(feature_space.preprocessors) == preset_names
    return {"preprocessed_x.shape": np.array(preprocessed_x.shape),
            "history": history.history, "sample_prediction": sample_prediction,
            "val_predictions": inference_model.predict(val_inputs, verbose=0),
            "training_model_val_predictions": training_model.predict(preprocessed_val, verbose=0)}


def test_structured_data_classification_with_feature_space():
    check_program(program)
