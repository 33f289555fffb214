"""keras.io example "Structured data learning with TabTransformer" (examples/structured_data/tabtransformer.py).

Kept as written: the dataset metadata (numeric and categorical feature names, vocabularies, the ``fnlwgt`` weight
column, the target labels), ``StringLookup`` layers for the target and each categorical feature
(``mask_token=None``, ``num_oov_indices=0``), ``run_experiment`` (``AdamW``, ``BinaryCrossentropy``,
``BinaryAccuracy(name="accuracy")``, ``fit`` with validation data and sample weights, ``evaluate``),
``create_model_inputs`` (scalar ``float32`` inputs for every feature), ``encode_inputs`` (an ``Embedding`` per
categorical feature called on its float index, ``ops.expand_dims`` for the numeric ones), ``create_mlp``
(normalization, ``Dense``, ``Dropout`` in a ``Sequential``, ``functools.partial`` for ``LayerNormalization``'s
epsilon), the baseline MLP (``gelu`` blocks, a ``selu`` MLP with ``BatchNormalization``) and the TabTransformer
(``ops.stack`` of the embeddings, ``MultiHeadAttention`` blocks with ``Add`` skip connections and layer norms,
``Flatten``, the numeric features' ``LayerNormalization``, the final MLP), both trained and evaluated.

Shrunk: 64 synthetic census rows to train and 32 to validate (uniform draws from small vocabularies, an income
label from a few of the features) instead of the UCI download; ``BATCH_SIZE=16``, 2 epochs,
``NUM_TRANSFORMER_BLOCKS=2``, ``NUM_HEADS=2``, ``EMBEDDING_DIMS=4``; ``fnlwgt`` is drawn between 0.5 and 2 (its
scale, tens of thousands, only scales the loss). Changed: the ``tf.data`` CSV pipeline
(``make_csv_dataset`` with ``shuffle``, a non-deterministic ``map``) is the same lookups applied to arrays, given to
``fit`` / ``evaluate`` with ``sample_weight``; every dropout rate is 0 (dropout masks are random); the plots are
the parameter counts.

Keras 3 on TensorFlow gets the Embeddings' gradients as ``IndexedSlices`` and AdamW squares them per row
occurrence, where Keras on torch and kerasport square the summed gradient: the oracle is Keras 3 on torch, in a
child process, on both backends.
"""
from functools import partial

import numpy as np

from tests.keras_io.keras_on_torch_program import check_torch_program

NUMERIC_FEATURE_NAMES = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
CATEGORICAL_FEATURES_WITH_VOCABULARY = {
    "workclass": [" Private", " Self-emp", " State-gov"],
    "education": [" Bachelors", " HS-grad", " Masters", " Some-college"],
    "marital_status": [" Divorced", " Married", " Never-married"],
    "occupation": [" Adm-clerical", " Exec-managerial", " Sales"],
    "relationship": [" Husband", " Not-in-family", " Wife"],
    "race": [" Black", " White"],
    "gender": [" Female", " Male"],
    "native_country": [" Mexico", " United-States"],
}
WEIGHT_COLUMN_NAME = "fnlwgt"
CATEGORICAL_FEATURE_NAMES = list(CATEGORICAL_FEATURES_WITH_VOCABULARY.keys())
FEATURE_NAMES = NUMERIC_FEATURE_NAMES + CATEGORICAL_FEATURE_NAMES
TARGET_FEATURE_NAME = "income_bracket"
TARGET_LABELS = [" <=50K", " >50K"]

LEARNING_RATE = 0.001
WEIGHT_DECAY = 0.0001
DROPOUT_RATE = 0.0
BATCH_SIZE = 16
NUM_EPOCHS = 2

NUM_TRANSFORMER_BLOCKS = 2
NUM_HEADS = 2
EMBEDDING_DIMS = 4
MLP_HIDDEN_UNITS_FACTORS = [2, 1]
NUM_MLP_BLOCKS = 2


def _census(n, seed):
    """Rows as the CSV reader gives them: numbers as floats, categories and labels as strings."""
    rng = np.random.RandomState(seed)
    data = {"age": rng.randint(17, 80, n).astype("float32"), "education_num": rng.randint(1, 17, n).astype("float32"),
            "capital_gain": (rng.rand(n) < 0.2) * rng.randint(0, 9999, n).astype("float32"),
            "capital_loss": (rng.rand(n) < 0.1) * rng.randint(0, 2000, n).astype("float32"),
            "hours_per_week": rng.randint(10, 70, n).astype("float32"),
            WEIGHT_COLUMN_NAME: rng.uniform(0.5, 2.0, n).astype("float32")}
    for name, vocabulary in CATEGORICAL_FEATURES_WITH_VOCABULARY.items():
        data[name] = np.array(vocabulary)[rng.randint(0, len(vocabulary), n)]
    score = data["education_num"] / 16 + (data["marital_status"] == " Married") + data["hours_per_week"] / 70
    data[TARGET_FEATURE_NAME] = np.where(score + rng.rand(n) > 1.8, TARGET_LABELS[1], TARGET_LABELS[0])
    return data


def tabtransformer(keras, sync):
    layers, ops = keras.layers, keras.ops

    target_label_lookup = layers.StringLookup(vocabulary=TARGET_LABELS, mask_token=None, num_oov_indices=0)

    def prepare_example(features, target):
        target_index = target_label_lookup(target)
        weights = features.pop(WEIGHT_COLUMN_NAME)
        return features, target_index, weights

    lookup_dict = {}
    for feature_name in CATEGORICAL_FEATURE_NAMES:
        vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
        lookup = layers.StringLookup(vocabulary=vocabulary, mask_token=None, num_oov_indices=0)
        lookup_dict[feature_name] = lookup

    def encode_categorical(batch_x, batch_y, weights):
        for feature_name in CATEGORICAL_FEATURE_NAMES:
            batch_x[feature_name] = lookup_dict[feature_name](batch_x[feature_name])
        return batch_x, batch_y, weights

    def get_dataset(rows):
        features = {name: rows[name] for name in FEATURE_NAMES + [WEIGHT_COLUMN_NAME]}
        x, y, w = encode_categorical(*prepare_example(features, rows[TARGET_FEATURE_NAME]))
        convert = keras.ops.convert_to_numpy
        return ({name: convert(value).astype("float32") for name, value in x.items()},
                convert(y).astype("float32"), convert(w))

    train_data, test_data = _census(64, 0), _census(32, 1)
    out = {}

    def run_experiment(model, num_epochs, learning_rate, weight_decay, batch_size):
        optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay)
        model.compile(optimizer=optimizer, loss=keras.losses.BinaryCrossentropy(),
                      metrics=[keras.metrics.BinaryAccuracy(name="accuracy")])
        train_x, train_y, train_w = get_dataset(train_data)
        validation_dataset = get_dataset(test_data)
        history = model.fit(train_x, train_y, sample_weight=train_w, batch_size=batch_size, epochs=num_epochs,
                            validation_data=validation_dataset, shuffle=False, verbose=0)
        val_x, val_y, val_w = validation_dataset
        _, accuracy = model.evaluate(val_x, val_y, sample_weight=val_w, batch_size=batch_size, verbose=0)
        return history, accuracy, model.predict(val_x, batch_size=batch_size, verbose=0)

    def create_model_inputs():
        inputs = {}
        for feature_name in FEATURE_NAMES:
            if feature_name in NUMERIC_FEATURE_NAMES:
                inputs[feature_name] = layers.Input(name=feature_name, shape=(), dtype="float32")
            else:
                inputs[feature_name] = layers.Input(name=feature_name, shape=(), dtype="float32")
        return inputs

    def encode_inputs(inputs, embedding_dims):
        encoded_categorical_feature_list = []
        numerical_feature_list = []
        for feature_name in inputs:
            if feature_name in CATEGORICAL_FEATURE_NAMES:
                vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
                embedding = layers.Embedding(input_dim=len(vocabulary), output_dim=embedding_dims)
                encoded_categorical_feature = embedding(inputs[feature_name])
                encoded_categorical_feature_list.append(encoded_categorical_feature)
            else:
                numerical_feature = ops.expand_dims(inputs[feature_name], -1)
                numerical_feature_list.append(numerical_feature)
        return encoded_categorical_feature_list, numerical_feature_list

    def create_mlp(hidden_units, dropout_rate, activation, normalization_layer, name=None):
        mlp_layers = []
        for units in hidden_units:
            mlp_layers.append(normalization_layer())
            mlp_layers.append(layers.Dense(units, activation=activation))
            mlp_layers.append(layers.Dropout(dropout_rate))
        return keras.Sequential(mlp_layers, name=name)

    def create_baseline_model(embedding_dims, num_mlp_blocks, mlp_hidden_units_factors, dropout_rate):
        inputs = create_model_inputs()
        encoded_categorical_feature_list, numerical_feature_list = encode_inputs(inputs, embedding_dims)
        features = layers.concatenate(encoded_categorical_feature_list + numerical_feature_list)
        feedforward_units = [features.shape[-1]]
        for layer_idx in range(num_mlp_blocks):
            features = create_mlp(hidden_units=feedforward_units, dropout_rate=dropout_rate,
                                  activation=keras.activations.gelu, normalization_layer=layers.LayerNormalization,
                                  name=f"feedforward_{layer_idx}")(features)
        mlp_hidden_units = [factor * features.shape[-1] for factor in mlp_hidden_units_factors]
        features = create_mlp(hidden_units=mlp_hidden_units, dropout_rate=dropout_rate,
                              activation=keras.activations.selu, normalization_layer=layers.BatchNormalization,
                              name="MLP")(features)
        outputs = layers.Dense(units=1, activation="sigmoid", name="sigmoid")(features)
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    baseline_model = create_baseline_model(embedding_dims=EMBEDDING_DIMS, num_mlp_blocks=NUM_MLP_BLOCKS,
                                           mlp_hidden_units_factors=MLP_HIDDEN_UNITS_FACTORS,
                                           dropout_rate=DROPOUT_RATE)
    sync(baseline_model)
    out["baseline weights"] = baseline_model.count_params()
    history, accuracy, predictions = run_experiment(model=baseline_model, num_epochs=NUM_EPOCHS,
                                                    learning_rate=LEARNING_RATE, weight_decay=WEIGHT_DECAY,
                                                    batch_size=BATCH_SIZE)
    out.update({"baseline history": history.history, "baseline accuracy": accuracy,
                "baseline predictions": predictions})

    def create_tabtransformer_classifier(num_transformer_blocks, num_heads, embedding_dims, mlp_hidden_units_factors,
                                         dropout_rate, use_column_embedding=False):
        inputs = create_model_inputs()
        encoded_categorical_feature_list, numerical_feature_list = encode_inputs(inputs, embedding_dims)
        encoded_categorical_features = ops.stack(encoded_categorical_feature_list, axis=1)
        numerical_features = layers.concatenate(numerical_feature_list)

        if use_column_embedding:
            num_columns = encoded_categorical_features.shape[1]
            column_embedding = layers.Embedding(input_dim=num_columns, output_dim=embedding_dims)
            column_indices = ops.arange(start=0, stop=num_columns, step=1)
            encoded_categorical_features = encoded_categorical_features + column_embedding(column_indices)

        for block_idx in range(num_transformer_blocks):
            attention_output = layers.MultiHeadAttention(
                num_heads=num_heads, key_dim=embedding_dims, dropout=dropout_rate,
                name=f"multihead_attention_{block_idx}",
            )(encoded_categorical_features, encoded_categorical_features)
            x = layers.Add(name=f"skip_connection1_{block_idx}")([attention_output, encoded_categorical_features])
            x = layers.LayerNormalization(name=f"layer_norm1_{block_idx}", epsilon=1e-6)(x)
            feedforward_output = create_mlp(
                hidden_units=[embedding_dims], dropout_rate=dropout_rate, activation=keras.activations.gelu,
                normalization_layer=partial(layers.LayerNormalization, epsilon=1e-6),
                name=f"feedforward_{block_idx}",
            )(x)
            x = layers.Add(name=f"skip_connection2_{block_idx}")([feedforward_output, x])
            encoded_categorical_features = layers.LayerNormalization(name=f"layer_norm2_{block_idx}",
                                                                     epsilon=1e-6)(x)

        categorical_features = layers.Flatten()(encoded_categorical_features)
        numerical_features = layers.LayerNormalization(epsilon=1e-6)(numerical_features)
        features = layers.concatenate([categorical_features, numerical_features])
        mlp_hidden_units = [factor * features.shape[-1] for factor in mlp_hidden_units_factors]
        features = create_mlp(hidden_units=mlp_hidden_units, dropout_rate=dropout_rate,
                              activation=keras.activations.selu, normalization_layer=layers.BatchNormalization,
                              name="MLP")(features)
        outputs = layers.Dense(units=1, activation="sigmoid", name="sigmoid")(features)
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    tabtransformer_model = create_tabtransformer_classifier(
        num_transformer_blocks=NUM_TRANSFORMER_BLOCKS, num_heads=NUM_HEADS, embedding_dims=EMBEDDING_DIMS,
        mlp_hidden_units_factors=MLP_HIDDEN_UNITS_FACTORS, dropout_rate=DROPOUT_RATE)
    sync(tabtransformer_model)
    out["tabtransformer weights"] = tabtransformer_model.count_params()
    history, accuracy, predictions = run_experiment(model=tabtransformer_model, num_epochs=NUM_EPOCHS,
                                                    learning_rate=LEARNING_RATE, weight_decay=WEIGHT_DECAY,
                                                    batch_size=BATCH_SIZE)
    out.update({"tabtransformer history": history.history, "tabtransformer accuracy": accuracy,
                "tabtransformer predictions": predictions, "layers": [layer.name for layer in
                                                                      tabtransformer_model.layers]})
    return out


def test_tabtransformer():
    check_torch_program(tabtransformer, [tabtransformer])
