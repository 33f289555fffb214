"""keras.io example "Collaborative Filtering for Movie Recommendations"
(examples/structured_data/collaborative_filtering_movielens.py, its Keras 3 form with ``ops.tensordot``).

Shrunk: 300 synthetic ratings (20 users x 15 movies, a few ratings each, drawn from a fixed NumPy stream) instead
of the MovieLens download, ``EMBEDDING_SIZE=8`` instead of 50, ``batch_size=32`` and 3 epochs; ``fit`` runs with
``shuffle=False`` so both libraries see the same batches. The plot becomes the loss history it draws, and the
recommendations become the predicted ratings of one user's unseen movies and their top-10 order. Added: one call
of the model on a row before ``compile`` builds its weights, so that ``sync`` can copy Keras's initial values.
"""
import numpy as np

from tests.keras_io.keras_on_torch_program import check_torch_program


def program(keras, sync):
    layers, ops = keras.layers, keras.ops
    rng = np.random.RandomState(0)
    user_ids = rng.randint(1, 21, 300) * 7
    movie_ids = rng.randint(1, 16, 300) * 11
    ratings = rng.randint(1, 11, 300).astype(np.float32) / 2

    user2user_encoded = {x: i for i, x in enumerate(dict.fromkeys(user_ids.tolist()))}
    movie2movie_encoded = {x: i for i, x in enumerate(dict.fromkeys(movie_ids.tolist()))}
    movie_encoded2movie = {i: x for x, i in movie2movie_encoded.items()}
    user = np.array([user2user_encoded[u] for u in user_ids])
    movie = np.array([movie2movie_encoded[m] for m in movie_ids])
    num_users = len(user2user_encoded)
    num_movies = len(movie_encoded2movie)
    min_rating = min(ratings)
    max_rating = max(ratings)

    x = np.stack([user, movie], axis=1)
    y = (ratings - min_rating) / (max_rating - min_rating)
    train_indices = int(0.9 * len(x))
    x_train, x_val, y_train, y_val = (x[:train_indices], x[train_indices:], y[:train_indices], y[train_indices:])

    EMBEDDING_SIZE = 8

    class RecommenderNet(keras.Model):
        def __init__(self, num_users, num_movies, embedding_size, **kwargs):
            super().__init__(**kwargs)
            self.num_users = num_users
            self.num_movies = num_movies
            self.embedding_size = embedding_size
            self.user_embedding = layers.Embedding(
                num_users,
                embedding_size,
                embeddings_initializer="he_normal",
                embeddings_regularizer=keras.regularizers.l2(1e-6),
            )
            self.user_bias = layers.Embedding(num_users, 1)
            self.movie_embedding = layers.Embedding(
                num_movies,
                embedding_size,
                embeddings_initializer="he_normal",
                embeddings_regularizer=keras.regularizers.l2(1e-6),
            )
            self.movie_bias = layers.Embedding(num_movies, 1)

        def call(self, inputs):
            user_vector = self.user_embedding(inputs[:, 0])
            user_bias = self.user_bias(inputs[:, 0])
            movie_vector = self.movie_embedding(inputs[:, 1])
            movie_bias = self.movie_bias(inputs[:, 1])
            dot_user_movie = ops.tensordot(user_vector, movie_vector, 2)
            # Add all the components (including bias)
            x = dot_user_movie + user_bias + movie_bias
            # The sigmoid activation forces the rating to between 0 and 1
            return ops.nn.sigmoid(x)

    model = RecommenderNet(num_users, num_movies, EMBEDDING_SIZE)
    model(x_train[:1])  # builds the weights, so that sync can copy Keras's initial values
    sync(model)
    model.compile(
        loss=keras.losses.BinaryCrossentropy(),
        optimizer=keras.optimizers.Adam(learning_rate=0.001),
    )
    history = model.fit(x=x_train, y=y_train, batch_size=32, epochs=3, verbose=0, validation_data=(x_val, y_val),
                        shuffle=False)

    user_id = user_ids[0]
    movies_watched_by_user = set(movie_ids[user_ids == user_id].tolist())
    movies_not_watched = sorted(set(movie2movie_encoded) - movies_watched_by_user)
    movies_not_watched = [[movie2movie_encoded.get(x)] for x in movies_not_watched]
    user_encoder = user2user_encoded.get(user_id)
    user_movie_array = np.hstack(([[user_encoder]] * len(movies_not_watched), movies_not_watched))
    predicted = model.predict(user_movie_array, verbose=0).flatten()
    top_ratings_indices = predicted.argsort()[-10:][::-1]
    recommended_movie_ids = [movie_encoded2movie.get(movies_not_watched[x][0]) for x in top_ratings_indices]
    return {"history": history.history, "ratings": predicted, "recommended": recommended_movie_ids,
            "losses": list(model.losses), "weights": model.get_weights()}


def test_collaborative_filtering_movielens():
    """The oracle is Keras 3 on torch (in a child process), on both backends.

    Keras 3 on TensorFlow gets the Embeddings' gradients as ``IndexedSlices`` and Adam squares them per
    occurrence of an index in the batch (a user rated twice adds ``g1² + g2²`` to the second moment, not
    ``(g1 + g2)²``): from the same weights its loss parts from Keras on torch by 4e-4 in the second epoch.
    kerasport, on both backends, takes the dense gradient, as Keras on torch does.
    """
    check_torch_program(program, [program])
