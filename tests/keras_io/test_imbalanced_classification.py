"""keras.io example "Imbalanced classification: credit card fraud detection"
(examples/structured_data/imbalanced_classification.py).

The example as written: uint8 targets of shape ``(n, 1)``, ``class_weight`` of ``1 / count`` per class (weights
far below 1), features normalized with training statistics, a ``Sequential`` MLP with a sigmoid output compiled
with ``Adam(1e-2)``, ``binary_crossentropy`` and six confusion metrics (``FalseNegatives``, ``FalsePositives``,
``TrueNegatives``, ``TruePositives``, ``Precision``, ``Recall``, each with its ``name``), ``ModelCheckpoint`` with a
``fraud_model_at_epoch_{epoch}.keras`` path, ``fit`` with validation data. Added: the last checkpoint loaded
back with ``keras.saving.load_model`` and its validation ``predict``.

Changed: the Kaggle CSV (a download) becomes 200 random transactions of 30 features with 12 frauds; widths
256 -> 16; ``Dropout(0.3)`` -> ``Dropout(0.0)`` (dropout masks are random); batch 64, 3 epochs.
"""
import os
import tempfile

import numpy as np

from tests.programs.test_keras_programs import check_program


def imbalanced(keras, sync):
    rng = np.random.RandomState(0)
    features = rng.normal(size=(200, 30)).astype("float32")
    targets = np.zeros((200, 1), dtype="uint8")
    targets[rng.choice(200, 12, replace=False)] = 1
    features[targets[:, 0] == 1] += 1.5
    num_val_samples = int(len(features) * 0.2)
    train_features, train_targets = features[:-num_val_samples], targets[:-num_val_samples]
    val_features, val_targets = features[-num_val_samples:], targets[-num_val_samples:]
    counts = np.bincount(train_targets[:, 0])
    weight_for_0 = 1.0 / counts[0]
    weight_for_1 = 1.0 / counts[1]
    mean = np.mean(train_features, axis=0)
    train_features -= mean
    val_features -= mean
    std = np.std(train_features, axis=0)
    train_features /= std
    val_features /= std

    model = keras.Sequential([
        keras.Input(shape=train_features.shape[1:]),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.0),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.0),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    sync(model)
    metrics = [
        keras.metrics.FalseNegatives(name="fn"),
        keras.metrics.FalsePositives(name="fp"),
        keras.metrics.TrueNegatives(name="tn"),
        keras.metrics.TruePositives(name="tp"),
        keras.metrics.Precision(name="precision"),
        keras.metrics.Recall(name="recall"),
    ]
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics)
    with tempfile.TemporaryDirectory() as folder:
        callbacks = [keras.callbacks.ModelCheckpoint(os.path.join(folder, "fraud_model_at_epoch_{epoch}.keras"))]
        class_weight = {0: weight_for_0, 1: weight_for_1}
        history = model.fit(train_features, train_targets, batch_size=64, epochs=3, verbose=0,
                            callbacks=callbacks, validation_data=(val_features, val_targets),
                            class_weight=class_weight, shuffle=False)
        saved = sorted(os.listdir(folder))
        reloaded = keras.saving.load_model(os.path.join(folder, "fraud_model_at_epoch_3.keras"))
        return {"history": history.history, "saved": " ".join(saved),
                "reloaded": reloaded.predict(val_features, verbose=0),
                "reloaded_metrics": reloaded.evaluate(val_features, val_targets, verbose=0)}


def test_imbalanced_classification():
    check_program(imbalanced)
