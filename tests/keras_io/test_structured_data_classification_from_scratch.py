"""keras.io example "Structured data classification from scratch"
(examples/structured_data/structured_data_classification_from_scratch.py, its backend-agnostic Keras 3 form).

Shrunk: a synthetic 40-row table with the heart-disease CSV's 13 feature columns and its ``target`` (values in
the CSV's ranges, drawn from a fixed NumPy stream) instead of the download; 32 rows train, 8 validate (the
example samples 20 % at random); ``batch_size=8``, 3 epochs, ``shuffle=False``. Changed:

- The table is a dict of NumPy columns instead of a pandas DataFrame (``dataframe[name].dtype == "int64"`` and
  ``.unique()`` become the NumPy column's dtype and its values in order of appearance).
- ``encode_categorical`` (the example's lookups with ``output_mode="binary"``) runs on the whole columns, not
  inside ``tf.data.Dataset.map`` (which kerasport does not support), each row a ``(1,)`` sample of the
  ``(rows, 1)`` column, as the map gives each row alone: it encodes every row the same way; its
  ``features[name].dtype == "string"`` is the NumPy column's dtype.
- ``Normalization.adapt`` gets the training column as a ``(rows, 1)`` array instead of a ``tf.data`` map of it.
- ``Dropout(0.5)`` is ``Dropout(0.0)``: dropout masks are random, and the two libraries' streams differ.
- The inference sample's ``tf.convert_to_tensor([value])`` is ``keras.ops.convert_to_tensor([value])``;
  ``plot_model`` is left out; the printed probability is returned.
"""
import numpy as np

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program
from tests.programs.test_keras_programs import check_program

COLUMN_NAMES = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak", "slope",
                "ca", "thal", "target"]


def _table(rows=40):
    rng = np.random.RandomState(0)
    return {
        "age": rng.randint(29, 78, rows), "sex": rng.randint(0, 2, rows), "cp": rng.randint(0, 5, rows),
        "trestbps": rng.randint(94, 201, rows), "chol": rng.randint(126, 565, rows), "fbs": rng.randint(0, 2, rows),
        "restecg": rng.randint(0, 3, rows), "thalach": rng.randint(71, 203, rows), "exang": rng.randint(0, 2, rows),
        "oldpeak": np.round(rng.rand(rows) * 6.2, 1), "slope": rng.randint(1, 4, rows), "ca": rng.randint(0, 4, rows),
        "thal": rng.choice(["fixed", "normal", "reversible", "1", "2"], rows).astype(object),
        "target": rng.randint(0, 2, rows),
    }


def program(keras, sync):
    layers = keras.layers
    dataframe = _table()
    val_dataframe = {name: column[32:] for name, column in dataframe.items()}
    train_dataframe = {name: column[:32] for name, column in dataframe.items()}

    # Target feature name.
    TARGET_FEATURE_NAME = "target"
    # Numeric feature names.
    NUMERIC_FEATURE_NAMES = ["age", "trestbps", "thalach", "oldpeak", "slope", "chol"]
    CATEGORICAL_FEATURES_WITH_VOCABULARY = {
        feature_name: sorted(
            [
                # Integer categorcal must be int and string must be str
                value if dataframe[feature_name].dtype == "int64" else str(value)
                for value in list(dict.fromkeys(dataframe[feature_name].tolist()))
            ]
        )
        for feature_name in COLUMN_NAMES
        if feature_name not in list(NUMERIC_FEATURE_NAMES + [TARGET_FEATURE_NAME])
    }
    # All features names.
    FEATURE_NAMES = NUMERIC_FEATURE_NAMES + list(CATEGORICAL_FEATURES_WITH_VOCABULARY.keys())

    def encode_categorical(features, target):
        for feature_name in features:
            if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
                lookup_class = (
                    layers.StringLookup
                    if features[feature_name].dtype == object
                    else layers.IntegerLookup
                )
                vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
                # Create a lookup to convert a string values to an integer indices.
                # Since we are not using a mask token nor expecting any out of vocabulary
                # (oov) token, we set mask_token to None and  num_oov_indices to 0.
                index = lookup_class(
                    vocabulary=vocabulary,
                    mask_token=None,
                    num_oov_indices=0,
                    output_mode="binary",
                )
                # Convert the string input values into integer indices.
                value_index = index(np.expand_dims(features[feature_name], -1))
                features[feature_name] = value_index

            else:
                pass

        # Change features from OrderedDict to Dict to match Inputs as they are Dict.
        return dict(features), target

    def encode_numerical_feature(feature, name, dataset):
        # Create a Normalization layer for our feature
        normalizer = layers.Normalization()
        # Prepare the training column of our feature
        feature_ds = dataset[0][name].astype("float32")
        feature_ds = np.expand_dims(feature_ds, -1)
        # Learn the statistics of the data
        normalizer.adapt(feature_ds)
        # Normalize the input feature
        encoded_feature = normalizer(feature)
        return encoded_feature

    def dataframe_to_dataset(dataframe):
        dataframe = dict(dataframe)
        labels = dataframe.pop("target")
        return encode_categorical(dataframe, labels)

    train_ds = dataframe_to_dataset(train_dataframe)
    val_ds = dataframe_to_dataset(val_dataframe)

    def create_model_inputs():
        inputs = {}

        # This a helper function for creating categorical features
        def create_input_helper(feature_name):
            num_categories = len(CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name])
            inputs[feature_name] = layers.Input(name=feature_name, shape=(num_categories,), dtype="int64")
            return inputs

        for feature_name in FEATURE_NAMES:
            if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
                # Categorical features
                create_input_helper(feature_name)
            else:
                # Make them float32, they are Real numbers
                feature_input = layers.Input(name=feature_name, shape=(1,), dtype="float32")
                # Process the Inputs here
                inputs[feature_name] = encode_numerical_feature(feature_input, feature_name, train_ds)
        return inputs

    # This Layer defines the logic of the Model to perform the classification
    class Classifier(keras.layers.Layer):

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense_1 = layers.Dense(32, activation="relu")
            self.dropout = layers.Dropout(0.0)
            self.dense_2 = layers.Dense(1, activation="sigmoid")

        def call(self, inputs):
            all_features = layers.concatenate(list(inputs.values()))
            x = self.dense_1(all_features)
            x = self.dropout(x)
            output = self.dense_2(x)
            return output

        # Surpress build warnings
        def build(self, input_shape):
            self.built = True

    # Create the Classifier model
    def create_model():
        all_inputs = create_model_inputs()
        output = Classifier()(all_inputs)
        model = keras.Model(all_inputs, output)
        return model

    model = create_model()
    sync(model)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train_ds[0], train_ds[1], batch_size=8, epochs=3, validation_data=val_ds, shuffle=False,
                        verbose=0)

    sample = {
        "age": 60,
        "sex": 1,
        "cp": 1,
        "trestbps": 145,
        "chol": 233,
        "fbs": 1,
        "restecg": 2,
        "thalach": 150,
        "exang": 0,
        "oldpeak": 2.3,
        "slope": 3,
        "ca": 0,
        "thal": "fixed",
    }

    # Given the category (in the sample above - key) and the category value (in the sample above - value),
    # we return its one-hot encoding
    def get_cat_encoding(cat, cat_value):
        # Create a list of zeros with the same length as categories
        encoding = [0] * len(cat)
        # Find the index of category_value in categories and set the corresponding position to 1
        if cat_value in cat:
            encoding[cat.index(cat_value)] = 1
        return encoding

    for name, value in sample.items():
        if name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
            sample.update({name: get_cat_encoding(CATEGORICAL_FEATURES_WITH_VOCABULARY[name], sample[name])})
    # Convert inputs to tensors
    input_dict = {name: keras.ops.convert_to_tensor([value]) for name, value in sample.items()}
    predictions = model.predict(input_dict, verbose=0)
    return {"history": history.history, "vocabularies": CATEGORICAL_FEATURES_WITH_VOCABULARY,
            "encoded_thal": train_ds[0]["thal"], "encoded_ca": train_ds[0]["ca"],
            "probability": 100 * predictions[0][0], "weights": model.get_weights()}


def test_structured_data_classification_from_scratch():
    """On TensorFlow the oracle is Keras 3 on TensorFlow, on torch Keras 3 on torch (in a child process).

    The model's inputs for the numeric features are the ``Normalization`` outputs (``create_model_inputs``
    returns them), so, in Keras as here, the raw values enter the classifier unnormalized, and its sigmoid
    saturates. Keras on TensorFlow then computes the binary crossentropy from the logits it keeps on the
    sigmoid's output, Keras on torch from the probabilities clipped to ``[1e-7, 1 - 1e-7]``: their first
    epoch's losses are 21.9 and 9.5. kerasport on each backend gives that backend's Keras numbers.
    """
    if kerasport.backend.backend() == "torch":
        check_torch_program(program, [program])
    else:
        check_program(program)
