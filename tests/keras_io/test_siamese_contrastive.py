"""keras.io example "Image similarity estimation using a Siamese Network with a contrastive loss"
(examples/vision/siamese_contrastive.py), on small synthetic image pairs."""
import numpy as np
import pytest

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    ops = keras.ops
    rng = np.random.RandomState(0)
    x_train_1 = rng.rand(40, 28, 28).astype("float32")
    x_train_2 = rng.rand(40, 28, 28).astype("float32")
    labels_train = rng.randint(0, 2, 40).astype("float32")
    epochs = 2
    batch_size = 8
    margin = 1

    def euclidean_distance(vects):
        x, y = vects
        sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
        return ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))

    input = keras.layers.Input((28, 28, 1))
    x = keras.layers.BatchNormalization()(input)
    x = keras.layers.Conv2D(4, (5, 5), activation="tanh")(x)
    x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = keras.layers.Conv2D(16, (5, 5), activation="tanh")(x)
    x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dense(10, activation="tanh")(x)
    embedding_network = keras.Model(input, x)

    input_1 = keras.layers.Input((28, 28, 1))
    input_2 = keras.layers.Input((28, 28, 1))
    tower_1 = embedding_network(input_1)
    tower_2 = embedding_network(input_2)
    merge_layer = keras.layers.Lambda(euclidean_distance, output_shape=(1,))([tower_1, tower_2])
    normal_layer = keras.layers.BatchNormalization()(merge_layer)
    output_layer = keras.layers.Dense(1, activation="sigmoid")(normal_layer)
    siamese = keras.Model(inputs=[input_1, input_2], outputs=output_layer)
    sync(siamese)

    def loss(margin=1):
        def contrastive_loss(y_true, y_pred):
            square_pred = ops.square(y_pred)
            margin_square = ops.square(ops.maximum(margin - (y_pred), 0))
            return ops.mean((1 - y_true) * square_pred + (y_true) * margin_square)
        return contrastive_loss

    siamese.compile(loss=loss(margin=margin), optimizer="RMSprop", metrics=["accuracy"])
    history = siamese.fit([x_train_1, x_train_2], labels_train, validation_split=0.2, batch_size=batch_size,
                          epochs=epochs, shuffle=False, verbose=0)
    results = siamese.evaluate([x_train_1, x_train_2], labels_train, verbose=0)
    predictions = siamese.predict([x_train_1[:4], x_train_2[:4]], verbose=0)
    return {"history": history.history, "test loss, test acc": results, "predictions": predictions}


def test_siamese_contrastive():
    check_program(program)
