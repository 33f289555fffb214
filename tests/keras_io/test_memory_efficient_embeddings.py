"""keras.io example "Memory-efficient embeddings for recommendation systems"
(examples/keras_recipes/memory_efficient_embeddings.py), TensorFlow form.

A baseline collaborative-filtering model (``StringLookup`` + ``Embedding`` per feature, ``Dot``, a sigmoid
scaled to the ratings), then a memory-efficient one: a quotient-remainder user embedding (``QREmbedding``,
with ``tf.math.floordiv`` / ``floormod``) and a mixed-dimension movie embedding (``MDEmbedding``, with a
``tf.lookup.StaticHashTable`` from movie to block, per-block ``StringLookup`` + ``Embedding`` encoders and
``Dense`` or identity ``Lambda`` projectors). The example's layers use TensorFlow ops, so it runs under
``KERASPORT_BACKEND=tensorflow`` against Keras 3 on TensorFlow.

Shrunk: 240 synthetic ratings of 30 users and 20 movies (the MovieLens 1M download is replaced by
``rng``-drawn ids and ratings, split 200 / 40), given to ``fit`` as dicts of arrays (in place of CSV files
read with ``make_csv_dataset``, which also shuffles), ``batch_size=32``, 2 epochs, ``base_embedding_dim=8``,
movie blocks of 5 / 7 / 8 movies with 8 / 4 / 2 dimensions, and ``len(user_vocabulary) // 5`` user
buckets (the example's ``// 50`` leaves none for 30 users). The loss plots become the histories.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def memory_efficient_embeddings(keras, sync):
    import tensorflow as tf
    layers = keras.layers
    StringLookup = keras.layers.StringLookup

    rng = np.random.RandomState(0)
    user_ids = np.array([f"user_{i}" for i in rng.randint(1, 31, 240)], dtype=object)
    movie_ids = np.array([f"movie_{i}" for i in rng.randint(1, 21, 240)], dtype=object)
    ratings = rng.randint(1, 6, 240).astype("float32")
    train = {"user_id": user_ids[:200], "movie_id": movie_ids[:200]}, ratings[:200]
    evaluation = {"user_id": user_ids[200:], "movie_id": movie_ids[200:]}, ratings[200:]

    user_vocabulary = list(dict.fromkeys(user_ids))
    movie_vocabulary = list(dict.fromkeys(movie_ids))
    learning_rate = 0.001
    batch_size = 32
    num_epochs = 2
    base_embedding_dim = 8

    def run_experiment(model):
        # Compile the model.
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.MeanSquaredError(),
            metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
        )
        # Fit the model with the training data.
        history = model.fit(
            *train,
            batch_size=batch_size,
            epochs=num_epochs,
            validation_data=evaluation,
            shuffle=False,
            verbose=0,
        )
        return history

    def embedding_encoder(vocabulary, embedding_dim, num_oov_indices=0, name=None):
        return keras.Sequential(
            [
                StringLookup(
                    vocabulary=vocabulary, mask_token=None, num_oov_indices=num_oov_indices
                ),
                layers.Embedding(
                    input_dim=len(vocabulary) + num_oov_indices, output_dim=embedding_dim
                ),
            ],
            name=f"{name}_embedding" if name else None,
        )

    def create_baseline_model():
        # Receive the user as an input.
        user_input = layers.Input(name="user_id", shape=(), dtype="string")
        # Get user embedding.
        user_embedding = embedding_encoder(
            vocabulary=user_vocabulary, embedding_dim=base_embedding_dim, name="user"
        )(user_input)

        # Receive the movie as an input.
        movie_input = layers.Input(name="movie_id", shape=(), dtype="string")
        # Get embedding.
        movie_embedding = embedding_encoder(
            vocabulary=movie_vocabulary, embedding_dim=base_embedding_dim, name="movie"
        )(movie_input)

        # Compute dot product similarity between user and movie embeddings.
        logits = layers.Dot(axes=1, name="dot_similarity")(
            [user_embedding, movie_embedding]
        )
        # Convert to rating scale.
        prediction = keras.activations.sigmoid(logits) * 5
        # Create the model.
        model = keras.Model(
            inputs=[user_input, movie_input], outputs=prediction, name="baseline_model"
        )
        return model

    out = {}
    baseline_model = create_baseline_model()
    sync(baseline_model)
    out["baseline_params"] = baseline_model.count_params()
    out["baseline_history"] = run_experiment(baseline_model).history

    class QREmbedding(keras.layers.Layer):
        def __init__(self, vocabulary, embedding_dim, num_buckets, name=None):
            super(QREmbedding, self).__init__(name=name)
            self.num_buckets = num_buckets

            self.index_lookup = StringLookup(
                vocabulary=vocabulary, mask_token=None, num_oov_indices=0
            )
            self.q_embeddings = layers.Embedding(
                num_buckets,
                embedding_dim,
            )
            self.r_embeddings = layers.Embedding(
                num_buckets,
                embedding_dim,
            )

        def call(self, inputs):
            # Get the item index.
            embedding_index = self.index_lookup(inputs)
            # Get the quotient index.
            quotient_index = tf.math.floordiv(embedding_index, self.num_buckets)
            # Get the reminder index.
            remainder_index = tf.math.floormod(embedding_index, self.num_buckets)
            # Lookup the quotient_embedding using the quotient_index.
            quotient_embedding = self.q_embeddings(quotient_index)
            # Lookup the remainder_embedding using the remainder_index.
            remainder_embedding = self.r_embeddings(remainder_index)
            # Use multiplication as a combiner operation
            return quotient_embedding * remainder_embedding

    class MDEmbedding(keras.layers.Layer):
        def __init__(
            self, blocks_vocabulary, blocks_embedding_dims, base_embedding_dim, name=None
        ):
            super(MDEmbedding, self).__init__(name=name)
            self.num_blocks = len(blocks_vocabulary)

            # Create vocab to block lookup.
            keys = []
            values = []
            for block_idx, block_vocab in enumerate(blocks_vocabulary):
                keys.extend(block_vocab)
                values.extend([block_idx] * len(block_vocab))
            self.vocab_to_block = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(keys, values), default_value=-1
            )

            self.block_embedding_encoders = []
            self.block_embedding_projectors = []

            # Create block embedding encoders and projectors.
            for idx in range(self.num_blocks):
                vocabulary = blocks_vocabulary[idx]
                embedding_dim = blocks_embedding_dims[idx]
                block_embedding_encoder = embedding_encoder(
                    vocabulary, embedding_dim, num_oov_indices=1
                )
                self.block_embedding_encoders.append(block_embedding_encoder)
                if embedding_dim == base_embedding_dim:
                    self.block_embedding_projectors.append(layers.Lambda(lambda x: x))
                else:
                    self.block_embedding_projectors.append(
                        layers.Dense(units=base_embedding_dim)
                    )

        def call(self, inputs):
            # Get block index for each input item.
            block_indicies = self.vocab_to_block.lookup(inputs)
            # Initialize output embeddings to zeros.
            embeddings = tf.zeros(shape=(tf.shape(inputs)[0], base_embedding_dim))
            # Generate embeddings from blocks.
            for idx in range(self.num_blocks):
                # Lookup embeddings from the current block.
                block_embeddings = self.block_embedding_encoders[idx](inputs)
                # Project embeddings to base_embedding_dim.
                block_embeddings = self.block_embedding_projectors[idx](block_embeddings)
                # Create a mask to filter out embeddings of items that do not belong to the current block.
                mask = tf.expand_dims(tf.cast(block_indicies == idx, tf.dtypes.float32), 1)
                # Set the embeddings for the items not belonging to the current block to zeros.
                block_embeddings = block_embeddings * mask
                # Add the block embeddings to the final embeddings.
                embeddings += block_embeddings

            return embeddings

    movie_counts = {}
    for movie in movie_ids:
        movie_counts[movie] = movie_counts.get(movie, 0) + 1
    sorted_movie_vocabulary = sorted(movie_counts, key=lambda m: (-movie_counts[m], m))

    movie_blocks_vocabulary = [
        sorted_movie_vocabulary[:5],  # high popularity movies block
        sorted_movie_vocabulary[5:12],  # normal popularity movies block
        sorted_movie_vocabulary[12:],  # low popularity movies block
    ]

    movie_blocks_embedding_dims = [8, 4, 2]

    user_embedding_num_buckets = len(user_vocabulary) // 5

    def create_memory_efficient_model():
        # Take the user as an input.
        user_input = layers.Input(name="user_id", shape=(), dtype="string")
        # Get user embedding.
        user_embedding = QREmbedding(
            vocabulary=user_vocabulary,
            embedding_dim=base_embedding_dim,
            num_buckets=user_embedding_num_buckets,
            name="user_embedding",
        )(user_input)

        # Take the movie as an input.
        movie_input = layers.Input(name="movie_id", shape=(), dtype="string")
        # Get embedding.
        movie_embedding = MDEmbedding(
            blocks_vocabulary=movie_blocks_vocabulary,
            blocks_embedding_dims=movie_blocks_embedding_dims,
            base_embedding_dim=base_embedding_dim,
            name="movie_embedding",
        )(movie_input)

        # Compute dot product similarity between user and movie embeddings.
        logits = layers.Dot(axes=1, name="dot_similarity")(
            [user_embedding, movie_embedding]
        )
        # Convert to rating scale.
        prediction = keras.activations.sigmoid(logits) * 5
        # Create the model.
        model = keras.Model(
            inputs=[user_input, movie_input], outputs=prediction, name="baseline_model"
        )
        return model

    memory_efficient_model = create_memory_efficient_model()
    sync(memory_efficient_model)
    out["memory_efficient_params"] = memory_efficient_model.count_params()
    out["memory_efficient_history"] = run_experiment(memory_efficient_model).history
    out["predictions"] = memory_efficient_model.predict(evaluation[0], verbose=0)
    return out


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's layers use TensorFlow ops (tf.lookup, tf.math): TensorFlow only")
def test_memory_efficient_embeddings_tensorflow_form():
    check_program(memory_efficient_embeddings)
