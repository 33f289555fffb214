"""keras.io example "Using pre-trained word embeddings" (examples/nlp/pretrained_word_embeddings.py).

Shrunk: 40 synthetic newsgroup-like messages in 4 classes, made here from class-specific and common words,
instead of the 20 Newsgroups download, and a synthetic "GloVe" table (16-dim vectors from a fixed NumPy stream
for every word but a few) instead of ``glove.6B.100d.txt``; ``embedding_dim=16``, 8 filters / units instead of
128, ``max_tokens=200``, ``batch_size=8``, 2 epochs, ``shuffle=False``. ``vectorizer.adapt`` gets the training
texts as a list instead of a ``tf.data`` dataset of them. ``Dropout(0.5)`` is ``Dropout(0.0)``: dropout masks are
random, and the two libraries' streams differ. The printed values are returned.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

_COMMON = ["the", "a", "is", "of", "and", "to", "in", "it", "for", "on", "with", "this"]
_TOPICS = {
    "comp.graphics": ["computer", "graphics", "3d", "modeling", "render", "image", "pixel"],
    "rec.autos": ["car", "engine", "wheel", "drive", "speed", "road", "tire"],
    "sci.space": ["space", "orbit", "nasa", "launch", "moon", "rocket", "star"],
    "talk.politics": ["government", "vote", "law", "tax", "policy", "state", "election"],
}


def program(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    class_names = sorted(_TOPICS)
    samples, labels = [], []
    for i in range(40):
        label = i % 4
        words = list(rng.choice(_TOPICS[class_names[label]] + _COMMON, rng.randint(5, 30)))
        samples.append(" ".join(words))
        labels.append(label)

    # Shuffle the data
    seed = 1337
    rng = np.random.RandomState(seed)
    rng.shuffle(samples)
    rng = np.random.RandomState(seed)
    rng.shuffle(labels)

    # Extract a training & validation split
    validation_split = 0.2
    num_validation_samples = int(validation_split * len(samples))
    train_samples = samples[:-num_validation_samples]
    val_samples = samples[-num_validation_samples:]
    train_labels = labels[:-num_validation_samples]
    val_labels = labels[-num_validation_samples:]

    vectorizer = layers.TextVectorization(max_tokens=200, output_sequence_length=200)
    vectorizer.adapt(train_samples)
    top_words = vectorizer.get_vocabulary()[:5]
    output = vectorizer([["the cat sat on the mat"]])
    test_sentence = output.numpy()[0, :6]

    voc = vectorizer.get_vocabulary()
    word_index = dict(zip(voc, range(len(voc))))

    glove_rng = np.random.RandomState(7)
    embeddings_index = {word: glove_rng.randn(16).astype("f")
                        for word in sorted(set(_COMMON).union(*_TOPICS.values())) if word not in ("nasa", "3d")}

    num_tokens = len(voc) + 2
    embedding_dim = 16
    hits = 0
    misses = 0

    # Prepare embedding matrix
    embedding_matrix = np.zeros((num_tokens, embedding_dim))
    for word, i in word_index.items():
        embedding_vector = embeddings_index.get(word)
        if embedding_vector is not None:
            # Words not found in embedding index will be all-zeros.
            # This includes the representation for "padding" and "OOV"
            embedding_matrix[i] = embedding_vector
            hits += 1
        else:
            misses += 1

    Embedding = layers.Embedding
    embedding_layer = Embedding(
        num_tokens,
        embedding_dim,
        trainable=False,
    )
    embedding_layer.build((1,))
    embedding_layer.set_weights([embedding_matrix])

    int_sequences_input = keras.Input(shape=(None,), dtype="int32")
    embedded_sequences = embedding_layer(int_sequences_input)
    x = layers.Conv1D(8, 5, activation="relu")(embedded_sequences)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(8, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(8, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(8, activation="relu")(x)
    x = layers.Dropout(0.0)(x)
    preds = layers.Dense(len(class_names), activation="softmax")(x)
    model = keras.Model(int_sequences_input, preds)
    sync(model)

    x_train = vectorizer(np.array([[s] for s in train_samples])).numpy()
    x_val = vectorizer(np.array([[s] for s in val_samples])).numpy()

    y_train = np.array(train_labels)
    y_val = np.array(val_labels)

    model.compile(loss="sparse_categorical_crossentropy", optimizer="rmsprop", metrics=["acc"])
    history = model.fit(x_train, y_train, batch_size=8, epochs=2, validation_data=(x_val, y_val), shuffle=False,
                        verbose=0)

    string_input = keras.Input(shape=(1,), dtype="string")
    x = vectorizer(string_input)
    preds = model(x)
    end_to_end_model = keras.Model(string_input, preds)

    probabilities = end_to_end_model(
        keras.ops.convert_to_tensor([["this message is about computer graphics and 3D modeling"]])
    )
    return {"history": history.history, "top_words": top_words, "test_sentence": test_sentence,
            "hits_misses": [hits, misses], "embeddings": embedding_layer.get_weights()[0],
            "trainable_weights": len(model.trainable_weights), "probabilities": probabilities,
            "predicted": class_names[np.argmax(keras.ops.convert_to_numpy(probabilities)[0])]}


def test_pretrained_word_embeddings():
    check_program(program)
