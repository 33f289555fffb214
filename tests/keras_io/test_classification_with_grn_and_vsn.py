"""keras.io example "Classification with Gated Residual and Variable Selection Networks"
(examples/structured_data/classification_with_grn_and_vsn.py, its Keras 3 backend-agnostic form).

Kept as written: the dataset metadata (numeric features, categorical vocabularies as sorted strings, the weight
column), ``process`` (a ``StringLookup`` per categorical feature, ``mask_token=None``, ``num_oov_indices=0``,
the weight popped from the features), ``create_model_inputs`` (scalar ``int64`` categorical and ``float32`` numeric
inputs), ``GatedLinearUnit``, ``GatedResidualNetwork`` (a ``project`` ``Dense`` where the widths differ), the
``VariableSelection`` layer (a dict of ``Embedding``s called on ``ops.clip``-ped indices, a dict of per-feature
``Dense`` projections, a GRN per feature, a GRN and softmax over their concatenation, and its per-backend weighted
sum: ``torch.sum`` on torch, ``tf.matmul(..., transpose_a=True)`` on TensorFlow, chosen by
``keras.backend.backend()``; its ``build(self)`` takes no shape), ``create_model``, ``Adam`` with
``BinaryCrossentropy`` and ``BinaryAccuracy``, ``EarlyStopping(monitor="val_loss", patience=5,
restore_best_weights=True)``, ``fit`` with validation data, ``evaluate`` on the test split.

Shrunk: 7 of the census features (4 numeric, 3 categorical with 3-5 values each) for 64 synthetic rows to train,
32 to validate and 32 to test, instead of the UCI download (299,285 rows, 41 features); ``encoding_size=8``,
``batch_size=16``, 3 epochs. Changed: the ``tf.data`` CSV pipeline (``make_csv_dataset``, ``process`` in ``map``)
is ``process`` applied to arrays, given to ``fit`` / ``evaluate``; the instance weight, which the example pops and
never passes to the model, is dropped the same way; ``dropout_rate`` is 0 (dropout masks are random).

Keras 3 on TensorFlow gets the Embeddings' gradients as ``IndexedSlices`` and Adam squares them per row
occurrence, where Keras on torch and kerasport square the summed gradient: the oracle is Keras 3 on torch, in a
child process, on both backends (so the TensorFlow branch of the weighted sum runs in kerasport only, held to
Keras's numbers from the torch branch).
"""
import numpy as np

from tests.keras_io.keras_on_torch_program import check_torch_program

TARGET_FEATURE_NAME = "income_level"
WEIGHT_COLUMN_NAME = "instance_weight"
NUMERIC_FEATURE_NAMES = ["age", "wage_per_hour", "capital_gains", "weeks_worked_in_year"]
CATEGORIES = {"class_of_worker": [" Private", " Not in universe", " Self-employed-incorporated",
                                  " Local government", " Never worked"],
              "education": [" High school graduate", " Bachelors degree(BA AB BS)", " Children"],
              "sex": [" Female", " Male"], "race": [" White", " Black", " Other"]}
CATEGORICAL_FEATURES_WITH_VOCABULARY = {name: sorted(values) for name, values in CATEGORIES.items()}
FEATURE_NAMES = NUMERIC_FEATURE_NAMES + list(CATEGORICAL_FEATURES_WITH_VOCABULARY.keys())

learning_rate = 0.001
dropout_rate = 0.0
batch_size = 16
num_epochs = 3
encoding_size = 8


def _census(n, seed):
    rng = np.random.RandomState(seed)
    data = {"age": rng.randint(0, 90, n), "wage_per_hour": (rng.rand(n) < 0.3) * rng.randint(0, 2000, n),
            "capital_gains": (rng.rand(n) < 0.1) * rng.randint(0, 9999, n),
            "weeks_worked_in_year": rng.randint(0, 53, n)}
    data = {name: value.astype("float32") for name, value in data.items()}
    for name, values in CATEGORIES.items():
        data[name] = np.array(values)[rng.randint(0, len(values), n)]
    data[WEIGHT_COLUMN_NAME] = rng.uniform(100, 5000, n).astype("float32")
    score = data["weeks_worked_in_year"] / 52 + (data["education"] == " Bachelors degree(BA AB BS)")
    data[TARGET_FEATURE_NAME] = (score + rng.rand(n) > 1.4).astype("float32")
    return data


def grn_and_vsn(keras, sync):
    layers = keras.layers

    def process(features, target):
        for feature_name in features:
            if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
                vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
                index = layers.StringLookup(vocabulary=vocabulary, mask_token=None, num_oov_indices=0,
                                            output_mode="int")
                value_index = index(features[feature_name])
                features[feature_name] = keras.ops.convert_to_numpy(value_index)
        weight = features.pop(WEIGHT_COLUMN_NAME)
        return dict(features), target, weight

    def get_dataset(data):
        features = {name: data[name] for name in FEATURE_NAMES + [WEIGHT_COLUMN_NAME]}
        features, target, _ = process(features, data[TARGET_FEATURE_NAME])
        return features, target

    def create_model_inputs():
        inputs = {}
        for feature_name in FEATURE_NAMES:
            if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
                inputs[feature_name] = layers.Input(name=feature_name, shape=(), dtype="int64")
            else:
                inputs[feature_name] = layers.Input(name=feature_name, shape=(), dtype="float32")
        return inputs

    class GatedLinearUnit(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.linear = layers.Dense(units)
            self.sigmoid = layers.Dense(units, activation="sigmoid")

        def call(self, inputs):
            return self.linear(inputs) * self.sigmoid(inputs)

    class GatedResidualNetwork(layers.Layer):
        def __init__(self, units, dropout_rate):
            super().__init__()
            self.units = units
            self.elu_dense = layers.Dense(units, activation="elu")
            self.linear_dense = layers.Dense(units)
            self.dropout = layers.Dropout(dropout_rate)
            self.gated_linear_unit = GatedLinearUnit(units)
            self.layer_norm = layers.LayerNormalization()
            self.project = layers.Dense(units)

        def call(self, inputs):
            x = self.elu_dense(inputs)
            x = self.linear_dense(x)
            x = self.dropout(x)
            if inputs.shape[-1] != self.units:
                inputs = self.project(inputs)
            x = inputs + self.gated_linear_unit(x)
            x = self.layer_norm(x)
            return x

    class VariableSelection(layers.Layer):
        def __init__(self, num_features, units, dropout_rate):
            super().__init__()
            self.units = units
            self.embeddings = dict()
            for input_ in CATEGORICAL_FEATURES_WITH_VOCABULARY:
                vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[input_]
                embedding_encoder = layers.Embedding(input_dim=len(vocabulary), output_dim=self.units, name=input_)
                self.embeddings[input_] = embedding_encoder

            self.proj_layer = dict()
            for input_ in NUMERIC_FEATURE_NAMES:
                proj_layer = layers.Dense(units=self.units)
                self.proj_layer[input_] = proj_layer

            self.grns = list()
            for idx in range(num_features):
                grn = GatedResidualNetwork(units, dropout_rate)
                self.grns.append(grn)
            self.grn_concat = GatedResidualNetwork(units, dropout_rate)
            self.softmax = layers.Dense(units=num_features, activation="softmax")

        def call(self, inputs):
            concat_inputs = []
            for input_ in inputs:
                if input_ in CATEGORICAL_FEATURES_WITH_VOCABULARY:
                    max_index = self.embeddings[input_].input_dim - 1  # Clamp the indices
                    embedded_feature = self.embeddings[input_](keras.ops.clip(inputs[input_], 0, max_index))
                    concat_inputs.append(embedded_feature)
                else:
                    proj_feature = keras.ops.expand_dims(inputs[input_], -1)
                    proj_feature = self.proj_layer[input_](proj_feature)
                    concat_inputs.append(proj_feature)

            v = layers.concatenate(concat_inputs)
            v = self.grn_concat(v)
            v = keras.ops.expand_dims(self.softmax(v), axis=-1)
            x = []
            for idx, input in enumerate(concat_inputs):
                x.append(self.grns[idx](input))
            x = keras.ops.stack(x, axis=1)

            def matmul_dependent_on_backend(thsi, v):
                if keras.backend.backend() == "torch":
                    result = torch.sum(thsi * v, dim=1)
                elif keras.backend.backend() == "tensorflow":
                    result = keras.ops.squeeze(tf.matmul(thsi, v, transpose_a=True), axis=1)
                else:
                    raise ValueError("Unsupported backend: {}".format(keras.backend.backend()))
                return result

            if keras.backend.backend() == "torch":
                import torch

                result_torch = matmul_dependent_on_backend(v, x)
                return result_torch
            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                result_tf = keras.ops.squeeze(tf.matmul(v, x, transpose_a=True), axis=1)
                return result_tf

        # to remove the build warnings
        def build(self):
            self.built = True

    def create_model(encoding_size):
        inputs = create_model_inputs()
        num_features = len(inputs)
        features = VariableSelection(num_features, encoding_size, dropout_rate)(inputs)
        outputs = layers.Dense(units=1, activation="sigmoid")(features)
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    model = create_model(encoding_size)
    sync(model)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)

    train_dataset = get_dataset(_census(64, 0))
    valid_dataset = get_dataset(_census(32, 1))
    history = model.fit(*train_dataset, batch_size=batch_size, epochs=num_epochs, validation_data=valid_dataset,
                        callbacks=[early_stopping], shuffle=False, verbose=0)
    test_dataset = get_dataset(_census(32, 2))
    loss, accuracy = model.evaluate(*test_dataset, batch_size=batch_size, verbose=0)
    return {"history": history.history, "test loss": loss, "test accuracy": accuracy,
            "predict": model.predict(test_dataset[0], verbose=0), "params": model.count_params(),
            "n_weights": len(model.weights), "best_epoch": early_stopping.best_epoch}


def test_classification_with_grn_and_vsn():
    check_torch_program(grn_and_vsn, [grn_and_vsn])
