"""keras.io example "Audio Classification with the STFTSpectrogram layer" (examples/audio/stft.py).

The example as written: the multi-bandwidth spectrogram (three ``layers.STFTSpectrogram(mode="log", ...,
padding="same", expand_dims=True)`` called eagerly on one wave, concatenated with NumPy and transposed); the 1D
model, a ``Sequential`` from ``layers.InputLayer((None, 1))`` with a non-trainable ``STFTSpectrogram``, Conv1D /
``LayerNormalization`` / ``MaxPooling1D`` / ``GlobalMaxPooling1D``; the 2D model, three trainable spectrograms of a
``layers.Input((None, 1))`` concatenated into channels and fed to ``keras.applications.MobileNet(include_top=False,
pooling="max")``; both compiled with ``Adam`` and ``sparse_categorical_crossentropy``, fitted with
``EarlyStopping(monitor="val_loss", patience=EPOCHS, restore_best_weights=True)`` and evaluated.

Changed: the multi-bandwidth spectrograms go through ``keras.ops.convert_to_numpy`` before ``np.concatenate``
(as written, the example fails under Keras on torch too: the trainable layer's outputs require grad); the ESC-10 waves (a download) become 24 random 0.5 s waves at ``SAMPLE_RATE = 1000`` in 3 classes;
convolution widths and kernels divided by 8, dense 256 -> 16; ``MobileNet(weights=None, alpha=0.25)`` (the ImageNet
weights are a download); ``Dropout(0.5)`` -> ``Dropout(0.0)`` (dropout masks are random); batch 8, 2 epochs for the
1D model and 1 for the 2D one: MobileNet's BatchNormalization ends on a 1x2 map of 8 examples, where Adam turns the
rounding of near-zero gradients into whole +-lr steps, and a second epoch parts from Keras's by up to 5e-3.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

SAMPLE_RATE, NUM_CLASSES, EPOCHS = 1000, 3, 2


def stft_classification(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    train_y = rng.randint(0, NUM_CLASSES, 24)
    t = np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE
    waves = np.sin(2 * np.pi * (50 + 100 * train_y[:, None]) * t) + 0.3 * rng.normal(size=(24, t.size))
    train_x = waves[..., None].astype(np.float32)
    valid_x, valid_y, test_x, test_y = train_x[16:], train_y[16:], train_x[:8], train_y[:8]
    train_x, train_y = train_x[:16], train_y[:16]

    sample_wav_data = train_x[0]
    spectrograms = np.concatenate([keras.ops.convert_to_numpy(
        layers.STFTSpectrogram(mode="log", frame_length=SAMPLE_RATE * x // 1000,
                               frame_step=SAMPLE_RATE * 5 // 1000, fft_length=64, padding="same",
                               expand_dims=True)(sample_wav_data[None, ...])[0, ...])
        for x in [5, 10, 20]], axis=-1).transpose([1, 0, 2])
    mn = spectrograms.min(axis=(0, 1), keepdims=True)
    mx = spectrograms.max(axis=(0, 1), keepdims=True)
    spectrograms = (spectrograms - mn) / (mx - mn)

    model1d = keras.Sequential([
        layers.InputLayer((None, 1)),
        layers.STFTSpectrogram(mode="log", frame_length=SAMPLE_RATE * 40 // 1000,
                               frame_step=SAMPLE_RATE * 15 // 1000, trainable=False),
        layers.Conv1D(8, 8, activation="relu"),
        layers.Conv1D(16, 2, activation="relu"),
        layers.LayerNormalization(),
        layers.MaxPooling1D(4),
        layers.Conv1D(16, 1, activation="relu"),
        layers.Conv1D(32, 1, activation="relu"),
        layers.Conv1D(64, 1, activation="relu"),
        layers.LayerNormalization(),
        layers.Dropout(0.0),
        layers.GlobalMaxPooling1D(),
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dropout(0.0),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ], name="model_1d_non_trainble_stft")
    sync(model1d)
    model1d.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    history_model1d = model1d.fit(
        train_x, train_y, batch_size=8, validation_data=(valid_x, valid_y), epochs=EPOCHS, shuffle=False, verbose=0,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=EPOCHS, restore_best_weights=True)])

    input = layers.Input((None, 1))
    spectrograms_2d = [
        layers.STFTSpectrogram(mode="log", frame_length=SAMPLE_RATE * frame_size // 1000,
                               frame_step=SAMPLE_RATE * 15 // 1000, fft_length=128, padding="same",
                               expand_dims=True)(input)
        for frame_size in [30, 40, 50]]
    multi_spectrograms = layers.Concatenate(axis=-1)(spectrograms_2d)
    img_model = keras.applications.MobileNet(include_top=False, pooling="max", weights=None, alpha=0.25,
                                             input_shape=(None, None, 3))
    output = img_model(multi_spectrograms)
    output = layers.Dropout(0.0)(output)
    output = layers.Dense(16, activation="relu")(output)
    output = layers.Dense(16, activation="relu")(output)
    output = layers.Dense(NUM_CLASSES, activation="softmax")(output)
    model2d = keras.Model(input, output, name="model_2d_trainble_stft")
    sync(model2d)
    model2d.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    history_model2d = model2d.fit(
        train_x, train_y, batch_size=8, validation_data=(valid_x, valid_y), epochs=1, shuffle=False, verbose=0,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=EPOCHS, restore_best_weights=True)])
    return {"multi_bandwidth": spectrograms, "history_1d": history_model1d.history,
            "history_2d": history_model2d.history, "test_1d": model1d.evaluate(test_x, test_y, verbose=0),
            "test_2d": model2d.evaluate(test_x, test_y, verbose=0),
            "trainable_2d": len(model2d.trainable_weights), "trainable_1d": len(model1d.trainable_weights)}


def test_stft():
    check_program(stft_classification)
