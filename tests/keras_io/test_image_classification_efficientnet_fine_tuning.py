"""keras.io example "Image classification via fine-tuning with EfficientNet"
(examples/vision/image_classification_efficientnet_fine_tuning.py).

The example's transfer-learning path: ``EfficientNetB0(include_top=False, input_tensor=inputs)`` frozen with
``model.trainable = False``, a new top (``GlobalAveragePooling2D``, ``BatchNormalization``, ``Dropout``,
``Dense`` softmax) on ``model.output``, ``Adam(1e-2)`` with one-hot labels, then ``unfreeze_model``: the last 20
layers trainable again except the ``BatchNormalization`` ones, recompiled with ``Adam(1e-5)``, trained again.

Changed: ``weights=None`` (random weights, set from Keras's: no download). The example's random augmentation
layers are left out, and every ``Dropout`` (EfficientNet's drop-connect and the top's) gets rate 0 after the
model is built: their masks are random. Shrunk: 4 random 32x32 images of 3 classes, batch size 4, one epoch (one
step) per phase.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def efficientnet_fine_tuning(keras, sync):
    layers = keras.layers
    EfficientNetB0 = keras.applications.EfficientNetB0

    IMG_SIZE = 32
    NUM_CLASSES = 3
    rng = np.random.RandomState(0)
    x_train = rng.uniform(0, 255, (4, IMG_SIZE, IMG_SIZE, 3)).astype("float32")
    y_train = keras.utils.to_categorical(rng.randint(0, NUM_CLASSES, 4), NUM_CLASSES)

    def build_model(num_classes):
        inputs = layers.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
        model = EfficientNetB0(include_top=False, input_tensor=inputs, weights=None)

        # Freeze the pretrained weights
        model.trainable = False

        # Rebuild top
        x = layers.GlobalAveragePooling2D(name="avg_pool")(model.output)
        x = layers.BatchNormalization()(x)

        top_dropout_rate = 0.2
        x = layers.Dropout(top_dropout_rate, name="top_dropout")(x)
        outputs = layers.Dense(num_classes, activation="softmax", name="pred")(x)

        # Compile
        model = keras.Model(inputs, outputs, name="EfficientNet")
        optimizer = keras.optimizers.Adam(learning_rate=1e-2)
        model.compile(
            optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"]
        )
        return model

    model = build_model(num_classes=NUM_CLASSES)
    for layer in model.layers:
        if isinstance(layer, layers.Dropout):
            layer.rate = 0.0
    sync(model)
    hist = model.fit(x_train, y_train, epochs=1, batch_size=4, shuffle=False, verbose=0)
    trainable_before = len(model.trainable_weights)

    def unfreeze_model(model):
        # We unfreeze the top 20 layers while leaving BatchNorm layers frozen
        for layer in model.layers[-20:]:
            if not isinstance(layer, layers.BatchNormalization):
                layer.trainable = True

        optimizer = keras.optimizers.Adam(learning_rate=1e-5)
        model.compile(
            optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"]
        )

    unfreeze_model(model)
    hist2 = model.fit(x_train, y_train, epochs=1, batch_size=4, shuffle=False, verbose=0)
    return {"history": hist.history, "history_after_unfreezing": hist2.history,
            "trainable": [trainable_before, len(model.trainable_weights)],
            "unfrozen": " ".join(layer.name for layer in model.layers[-20:] if layer.trainable),
            "weights": model.get_weights(), "predict": model.predict(x_train[:2], verbose=0)}


def test_image_classification_efficientnet_fine_tuning():
    check_program(efficientnet_fine_tuning)
