"""keras.io example "Recommendations with Transformer"
(examples/structured_data/movielens_recommendations_transformers.py).

The Behavior Sequence Transformer as the example builds it, in its Keras 3 form: string ``Input``s (user features,
the sequence of movie ids, the target movie id) looked up by ``StringLookup`` layers inside the model
(``mask_token=None``, ``num_oov_indices=0``), ``encode_input_features`` (user-feature embeddings of
``sqrt(vocabulary)`` dimensions, a movie ``Embedding`` shared by the target and the sequence, the frozen genres
``Embedding`` with a ``Constant`` initializer and its ``Dense`` processor, a position ``Embedding`` on
``ops.arange``, ``Multiply`` by the ratings, ``ops.unstack`` / ``ops.expand_dims`` and ``concatenate`` into the
transformer's input), ``create_model`` (``MultiHeadAttention``, ``Add`` / ``LayerNormalization`` / ``LeakyReLU``,
``Flatten``, the ``Reshape``-d user features, ``Dense`` / ``BatchNormalization`` / ``LeakyReLU`` layers) and
``run_experiment`` (``Adagrad``, ``MeanSquaredError``, ``MeanAbsoluteError``, ``fit`` with ``steps_per_epoch``,
``evaluate``). The data preparation's ``create_sequences`` windows each user's ratings (``sequence_length=4``,
``step_size=2``); the last movie and rating of each window are the target.

Changed: the example's ``tf.*`` calls on symbolic tensors (``tf.range``, ``tf.unstack``, ``tf.expand_dims``), which
Keras 3 refuses on ``KerasTensor``s, are the ``keras.ops`` ones; the MovieLens download, pandas and the ``tf.data``
CSV pipeline become 8 synthetic users with 10 ratings each (every user rates movies of their own, 80 movies with
random genres), windowed as the example does and given to ``fit`` / ``evaluate`` as arrays. The example trains
with ``include_user_id = include_user_features = include_movie_features = False``; the program trains that model,
and builds, compiles and evaluates a second one with all three set, so that every branch of
``encode_input_features`` runs (not trained: its sex, age group and occupation repeat within every batch, see
below).
``hidden_units=[16, 8]``, ``batch_size=8``, 2 epochs; ``dropout_rate`` is 0 (dropout masks are random).
The position ``Embedding`` is called on a constant (``ops.arange``), so Keras 3 (and kerasport) runs it once, eagerly,
while the model is built: its output is a constant of the model and its weights are not the model's (they never
train), so ``sync`` cannot give kerasport Keras's random draw; it starts from a ``Constant`` of the same
``uniform(-0.05, 0.05)`` draw in both.

Keras 3 on TensorFlow gets the Embeddings' gradients as ``IndexedSlices``, and Adagrad squares them per row
occurrence where Keras on torch and kerasport square the summed gradient, so a movie twice in a batch would give
different numbers. Keras on torch has no string tensors, so the oracle is Keras on TensorFlow, and the samples are
ordered so that no batch repeats a movie (batch ``k`` holds the ``k``-th window of every user): the two updates
agree there.
"""
import math

import numpy as np

from tests.programs.test_keras_programs import check_program

sequence_length = 4
step_size = 2
genres = ["Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama"]
USERS = [f"user_{i}" for i in range(1, 9)]
MOVIES = [f"movie_{i}" for i in range(1, 81)]
USER_FEATURES = ["sex", "age_group", "occupation"]
CATEGORICAL_FEATURES_WITH_VOCABULARY = {
    "user_id": USERS, "movie_id": MOVIES, "sex": ["F", "M"],
    "age_group": ["group_1", "group_18", "group_25", "group_35"],
    "occupation": [f"occupation_{i}" for i in range(5)],
}

hidden_units = [16, 8]
dropout_rate = 0.0
num_heads = 3
learning_rate = 0.01
batch_size = 8
num_epochs = 2


def create_sequences(values, window_size, step_size):
    sequences = []
    start_index = 0
    while True:
        end_index = start_index + window_size
        seq = values[start_index:end_index]
        if len(seq) < window_size:
            seq = values[-window_size:]
            if len(seq) == window_size:
                sequences.append(seq)
            break
        sequences.append(seq)
        start_index += step_size
    return sequences


def _ratings_data(seed):
    """Windows of each user's (time-ordered) ratings, user-major; then reordered window-major."""
    rng = np.random.RandomState(seed)
    users = {user: {"sex": rng.choice(["F", "M"]), "age_group": rng.choice(CATEGORICAL_FEATURES_WITH_VOCABULARY[
        "age_group"]), "occupation": f"occupation_{rng.randint(5)}"} for user in USERS}
    rows = []
    for u, user in enumerate(USERS):
        movie_ids = list(np.array(MOVIES[10 * u: 10 * u + 10])[rng.permutation(10)])
        ratings = [float(r) for r in rng.randint(1, 6, 10)]
        windows = zip(create_sequences(movie_ids, sequence_length, step_size),
                      create_sequences(ratings, sequence_length, step_size))
        rows.append([dict(user_id=user, sequence_movie_ids=m, sequence_ratings=r, **users[user]) for m, r in windows])
    return [rows[u][k] for k in range(len(rows[0])) for u in range(len(USERS))]


def _features(keras, rows):
    """``_process``'s features and target from the rows: the last movie and rating of a window are the target."""
    def strings(array):  # Keras's array adapter takes a tf.string tensor, kerasport the NumPy array
        return array if keras.__name__ == "kerasport" else keras.ops.convert_to_tensor(array)

    movies = np.array([row["sequence_movie_ids"] for row in rows])
    ratings = np.array([row["sequence_ratings"] for row in rows], "float32")
    features = {name: strings(np.array([[row[name]] for row in rows])) for name in ["user_id"] + USER_FEATURES}
    features.update(sequence_movie_ids=strings(movies[:, :-1]), target_movie_id=strings(movies[:, -1:]),
                    sequence_ratings=ratings[:, :-1])
    return features, ratings[:, -1]


def movielens_bst(keras, sync):
    layers, ops = keras.layers, keras.ops
    StringLookup = layers.StringLookup
    genre_vectors = np.random.RandomState(2).randint(0, 2, (len(MOVIES), len(genres)))
    position_init = np.random.RandomState(3).uniform(-0.05, 0.05, (sequence_length, 16)).astype("float32")

    def create_model_inputs():
        return {
            "user_id": layers.Input(name="user_id", shape=(1,), dtype="string"),
            "sequence_movie_ids": layers.Input(name="sequence_movie_ids", shape=(sequence_length - 1,),
                                               dtype="string"),
            "target_movie_id": layers.Input(name="target_movie_id", shape=(1,), dtype="string"),
            "sequence_ratings": layers.Input(name="sequence_ratings", shape=(sequence_length - 1,),
                                             dtype="float32"),
            "sex": layers.Input(name="sex", shape=(1,), dtype="string"),
            "age_group": layers.Input(name="age_group", shape=(1,), dtype="string"),
            "occupation": layers.Input(name="occupation", shape=(1,), dtype="string"),
        }

    def encode_input_features(inputs, include_user_id=True, include_user_features=True,
                              include_movie_features=True):
        encoded_transformer_features = []
        encoded_other_features = []

        other_feature_names = []
        if include_user_id:
            other_feature_names.append("user_id")
        if include_user_features:
            other_feature_names.extend(USER_FEATURES)

        for feature_name in other_feature_names:
            feature = inputs[feature_name]
            vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
            idx = StringLookup(vocabulary=vocabulary, mask_token=None, num_oov_indices=0)(feature)
            embedding_dims = int(math.sqrt(len(vocabulary)))
            embedding_encoder = layers.Embedding(input_dim=len(vocabulary), output_dim=embedding_dims,
                                                 name=f"{feature_name}_embedding")
            encoded_feature = embedding_encoder(idx)
            encoded_other_features.append(encoded_feature)

        if len(encoded_other_features) > 1:
            encoded_other_features = layers.concatenate(encoded_other_features)
        elif len(encoded_other_features) == 1:
            encoded_other_features = encoded_other_features[0]
        else:
            encoded_other_features = None

        movie_vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY["movie_id"]
        movie_embedding_dims = int(math.sqrt(len(movie_vocabulary)))
        movie_index_lookup = StringLookup(vocabulary=movie_vocabulary, mask_token=None, num_oov_indices=0,
                                          name="movie_index_lookup")
        movie_embedding_encoder = layers.Embedding(input_dim=len(movie_vocabulary), output_dim=movie_embedding_dims,
                                                   name="movie_embedding")
        movie_genres_lookup = layers.Embedding(
            input_dim=genre_vectors.shape[0], output_dim=genre_vectors.shape[1],
            embeddings_initializer=keras.initializers.Constant(genre_vectors), trainable=False,
            name="genres_vector")
        movie_embedding_processor = layers.Dense(units=movie_embedding_dims, activation="relu",
                                                 name="process_movie_embedding_with_genres")

        def _encode_movie(movie_id):
            movie_idx = movie_index_lookup(movie_id)
            movie_embedding = movie_embedding_encoder(movie_idx)
            encoded_movie = movie_embedding
            if include_movie_features:
                movie_genres_vector = movie_genres_lookup(movie_idx)
                encoded_movie = movie_embedding_processor(layers.concatenate([movie_embedding, movie_genres_vector]))
            return encoded_movie

        target_movie_id = inputs["target_movie_id"]
        encoded_target_movie = _encode_movie(target_movie_id)

        sequence_movies_ids = inputs["sequence_movie_ids"]
        encoded_sequence_movies = _encode_movie(sequence_movies_ids)
        position_embedding_encoder = layers.Embedding(input_dim=sequence_length, output_dim=movie_embedding_dims,
                                                      embeddings_initializer=keras.initializers.Constant(
                                                          position_init[:, :movie_embedding_dims]),
                                                      name="position_embedding")
        positions = ops.arange(start=0, stop=sequence_length - 1, step=1)
        encodded_positions = position_embedding_encoder(positions)
        sequence_ratings = ops.expand_dims(inputs["sequence_ratings"], -1)
        encoded_sequence_movies_with_poistion_and_rating = layers.Multiply()(
            [(encoded_sequence_movies + encodded_positions), sequence_ratings])

        for encoded_movie in ops.unstack(encoded_sequence_movies_with_poistion_and_rating, axis=1):
            encoded_transformer_features.append(ops.expand_dims(encoded_movie, 1))
        encoded_transformer_features.append(encoded_target_movie)

        encoded_transformer_features = layers.concatenate(encoded_transformer_features, axis=1)
        return encoded_transformer_features, encoded_other_features

    def create_model(include_user_id, include_user_features, include_movie_features):
        inputs = create_model_inputs()
        transformer_features, other_features = encode_input_features(
            inputs, include_user_id, include_user_features, include_movie_features)

        attention_output = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=transformer_features.shape[2], dropout=dropout_rate
        )(transformer_features, transformer_features)

        attention_output = layers.Dropout(dropout_rate)(attention_output)
        x1 = layers.Add()([transformer_features, attention_output])
        x1 = layers.LayerNormalization()(x1)
        x2 = layers.LeakyReLU()(x1)
        x2 = layers.Dense(units=x2.shape[-1])(x2)
        x2 = layers.Dropout(dropout_rate)(x2)
        transformer_features = layers.Add()([x1, x2])
        transformer_features = layers.LayerNormalization()(transformer_features)
        features = layers.Flatten()(transformer_features)

        if other_features is not None:
            features = layers.concatenate([features, layers.Reshape([other_features.shape[-1]])(other_features)])

        for num_units in hidden_units:
            features = layers.Dense(num_units)(features)
            features = layers.BatchNormalization()(features)
            features = layers.LeakyReLU()(features)
            features = layers.Dropout(dropout_rate)(features)

        outputs = layers.Dense(units=1)(features)
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    train_rows, test_rows = _ratings_data(0), _ratings_data(1)
    train_dataset, test_dataset = _features(keras, train_rows), _features(keras, test_rows)

    def run_experiment(model):
        model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=learning_rate),
                      loss=keras.losses.MeanSquaredError(), metrics=[keras.metrics.MeanAbsoluteError()])
        history = model.fit(*train_dataset, batch_size=batch_size, epochs=num_epochs,
                            steps_per_epoch=len(train_rows) // batch_size, shuffle=False, verbose=0)
        return history

    model = create_model(include_user_id=False, include_user_features=False, include_movie_features=False)
    sync(model)
    history = run_experiment(model)
    _, rmse = model.evaluate(*test_dataset, batch_size=batch_size, verbose=0)
    out = {"history": history.history, "mae": rmse, "params": model.count_params(),
           "predict": model.predict(test_dataset[0], batch_size=batch_size, verbose=0)}

    # Every feature included: compiled and evaluated as built (its user features repeat within a batch).
    model = create_model(include_user_id=True, include_user_features=True, include_movie_features=True)
    sync(model)
    model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=learning_rate),
                  loss=keras.losses.MeanSquaredError(), metrics=[keras.metrics.MeanAbsoluteError()])
    out["all features"] = {"evaluate": model.evaluate(*test_dataset, batch_size=batch_size, verbose=0),
                           "params": model.count_params(), "trainable": len(model.trainable_weights),
                           "predict": model.predict(test_dataset[0], batch_size=batch_size, verbose=0)}
    return out


def test_movielens_recommendations_transformers():
    check_program(movielens_bst)
