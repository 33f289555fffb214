"""keras.io example "Speaker Recognition" (examples/audio/speaker_recognition_using_cnn.py).

The example's 1D-convolutional ``residual_block`` (a ``Conv1D`` shortcut, ``Add``, ``MaxPool1D``) and
``build_model`` (five blocks, ``AveragePooling1D``, ``Flatten``, two ``Dense`` layers and a softmax), compiled with
``optimizer="Adam"``, ``sparse_categorical_crossentropy`` and accuracy, trained with
``EarlyStopping(patience=10, restore_best_weights=True)`` and ``ModelCheckpoint("model.h5", monitor="val_accuracy",
save_best_only=True)``, evaluated, then the demonstration's ``predict`` and ``argmax``; here the saved ``model.h5``
is also loaded back with ``keras.models.load_model`` and predicts. Two programs:

- ``speaker_recognition_tensorflow`` (TensorFlow only) keeps the example's data pipeline: 16-bit WAV files per
  speaker and noise files (written here with ``tf.audio.encode_wav``), ``tf.split`` of the noise into one-"second"
  chunks, ``paths_and_labels_to_dataset`` (``tf.io.read_file``, ``tf.audio.decode_wav``), seeded ``shuffle``,
  ``add_noise`` and ``audio_to_fft`` (``tf.signal.fft``) mapped over batches, ``prefetch``.
- ``speaker_recognition`` (both backends) trains the same model on the same kind of waves, with the noise and the
  FFT computed in NumPy and ``fit`` given the arrays (``shuffle=False``).

Changed: ``add_noise`` picks its noise chunks with ``tf.random.uniform``, whose stream differs between the two
libraries; here chunk ``i % len(noises)`` goes to the batch's ``i``-th sample. The displayed samples of
``np.random.randint`` indices are every sample of the batch. The ffmpeg resampling step is left out (the noise is
written at the sampling rate). Shrunk: 3 speakers with 4 waves each (sums of sines at each speaker's own
frequencies) and 2 noise files instead of 5 speakers x 1500 recordings, a "second" of 256 samples instead of
16000, filters 4/4/8/8/8 (not 16..128), ``Dense`` 16 and 8 (not 256 and 128), ``VALID_SPLIT=0.25``,
``BATCH_SIZE=4``, 3 epochs.
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

VALID_SPLIT = 0.25
SHUFFLE_SEED = 43
SAMPLING_RATE = 256
SCALE = 0.5
BATCH_SIZE = 4
EPOCHS = 3
class_names = ["Benjamin_Netanyau", "Jens_Stoltenberg", "Julia_Gillard"]


def _waves():
    """Per speaker, 4 one-"second" waves in [-1, 1]; and 2 noise recordings of 3 and 2 "seconds"."""
    rng = np.random.RandomState(0)
    t = np.arange(SAMPLING_RATE) / SAMPLING_RATE
    speakers = [[0.4 * np.sin(2 * np.pi * (f0 * (1 + 0.1 * k)) * t + k) + 0.3 * np.sin(2 * np.pi * 3 * f0 * t)
                 for k in range(4)] for f0 in (11.0, 23.0, 37.0)]
    noises = [rng.uniform(-0.5, 0.5, seconds * SAMPLING_RATE) for seconds in (3, 2)]
    return speakers, noises


def _labelled_waves():
    """The example's audio paths and labels as (speaker, take) pairs, shuffled with its two seeded RNGs."""
    items, labels = [], []
    for label, _ in enumerate(class_names):
        items += [(label, k) for k in range(4)]
        labels += [label] * 4
    rng = np.random.RandomState(SHUFFLE_SEED)
    rng.shuffle(items)
    rng = np.random.RandomState(SHUFFLE_SEED)
    rng.shuffle(labels)
    return items, labels


def _train(keras, sync, train_ds, valid_ds, fit_kwargs, demo_ffts):
    def residual_block(x, filters, conv_num=3, activation="relu"):
        # Shortcut
        s = keras.layers.Conv1D(filters, 1, padding="same")(x)
        for i in range(conv_num - 1):
            x = keras.layers.Conv1D(filters, 3, padding="same")(x)
            x = keras.layers.Activation(activation)(x)
        x = keras.layers.Conv1D(filters, 3, padding="same")(x)
        x = keras.layers.Add()([x, s])
        x = keras.layers.Activation(activation)(x)
        return keras.layers.MaxPool1D(pool_size=2, strides=2)(x)

    def build_model(input_shape, num_classes):
        inputs = keras.layers.Input(shape=input_shape, name="input")

        x = residual_block(inputs, 4, 2)
        x = residual_block(x, 4, 2)
        x = residual_block(x, 8, 3)
        x = residual_block(x, 8, 3)
        x = residual_block(x, 8, 3)

        x = keras.layers.AveragePooling1D(pool_size=3, strides=3)(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(16, activation="relu")(x)
        x = keras.layers.Dense(8, activation="relu")(x)

        outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)

        return keras.models.Model(inputs=inputs, outputs=outputs)

    model = build_model((SAMPLING_RATE // 2, 1), len(class_names))
    sync(model)
    # Compile the model using Adam's default learning rate
    model.compile(optimizer="Adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    with tempfile.TemporaryDirectory() as folder:
        model_save_filename = os.path.join(folder, "model.h5")
        earlystopping_cb = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
        mdlcheckpoint_cb = keras.callbacks.ModelCheckpoint(model_save_filename, monitor="val_accuracy",
                                                           save_best_only=True)
        history = model.fit(train_ds, epochs=EPOCHS, validation_data=valid_ds,
                            callbacks=[earlystopping_cb, mdlcheckpoint_cb], verbose=0, **fit_kwargs)
        # The validation data: a tf.data pipeline, or (x, y) arrays.
        evaluation = model.evaluate(*(valid_ds if isinstance(valid_ds, tuple) else (valid_ds,)), verbose=0)
        reloaded = keras.models.load_model(model_save_filename)
        reloaded_pred = reloaded.predict(demo_ffts, verbose=0)

    y_pred = model.predict(demo_ffts, verbose=0)
    return {"history": history.history, "evaluate": evaluation, "y_pred": y_pred,
            "speakers": [class_names[i] for i in np.argmax(y_pred, axis=-1)], "reloaded": reloaded_pred,
            "stopped_epoch": earlystopping_cb.stopped_epoch, "best": earlystopping_cb.best}


def speaker_recognition_tensorflow(keras, sync):
    import tensorflow as tf

    speakers, noise_waves = _waves()
    with tempfile.TemporaryDirectory() as root:
        def write_wav(path, wave):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            wav = tf.audio.encode_wav(wave[:, None].astype("float32"), SAMPLING_RATE)
            tf.io.write_file(path, wav)

        for name, waves in zip(class_names, speakers):
            for k, wave in enumerate(waves):
                write_wav(os.path.join(root, "audio", name, f"{k}.wav"), wave)
        noise_paths = [os.path.join(root, "noise", "other", f"{k}.wav") for k in range(len(noise_waves))]
        for path, wave in zip(noise_paths, noise_waves):
            write_wav(path, wave)

        # Split noise into chunks of SAMPLING_RATE steps each
        def load_noise_sample(path):
            sample, sampling_rate = tf.audio.decode_wav(tf.io.read_file(path), desired_channels=1)
            if sampling_rate == SAMPLING_RATE:
                # Number of slices of SAMPLING_RATE each that can be generated from the noise sample
                slices = int(sample.shape[0] / SAMPLING_RATE)
                sample = tf.split(sample[: slices * SAMPLING_RATE], slices)
                return sample
            return None

        noises = []
        for path in noise_paths:
            sample = load_noise_sample(path)
            if sample:
                noises.extend(sample)
        noises = tf.stack(noises)

        def paths_and_labels_to_dataset(audio_paths, labels):
            """Constructs a dataset of audios and labels."""
            path_ds = tf.data.Dataset.from_tensor_slices(audio_paths)
            audio_ds = path_ds.map(lambda x: path_to_audio(x), num_parallel_calls=tf.data.AUTOTUNE)
            label_ds = tf.data.Dataset.from_tensor_slices(labels)
            return tf.data.Dataset.zip((audio_ds, label_ds))

        def path_to_audio(path):
            """Reads and decodes an audio file."""
            audio = tf.io.read_file(path)
            audio, _ = tf.audio.decode_wav(audio, 1, SAMPLING_RATE)
            return audio

        def add_noise(audio, noises=None, scale=0.5):
            if noises is not None:
                # The example draws these indices with tf.random.uniform.
                tf_rnd = tf.range(tf.shape(audio)[0]) % noises.shape[0]
                noise = tf.gather(noises, tf_rnd, axis=0)

                # Get the amplitude proportion between the audio and the noise
                prop = tf.math.reduce_max(audio, axis=1) / tf.math.reduce_max(noise, axis=1)
                prop = tf.repeat(tf.expand_dims(prop, axis=1), tf.shape(audio)[1], axis=1)

                # Adding the rescaled noise to audio
                audio = audio + noise * prop * scale

            return audio

        def audio_to_fft(audio):
            audio = tf.squeeze(audio, axis=-1)
            fft = tf.signal.fft(tf.cast(tf.complex(real=audio, imag=tf.zeros_like(audio)), tf.complex64))
            fft = tf.expand_dims(fft, axis=-1)

            # Return the absolute value of the first half of the FFT
            # which represents the positive frequencies
            return tf.math.abs(fft[:, : (audio.shape[1] // 2), :])

        items, labels = _labelled_waves()
        audio_paths = [os.path.join(root, "audio", class_names[label], f"{k}.wav") for label, k in items]

        # Split into training and validation
        num_val_samples = int(VALID_SPLIT * len(audio_paths))
        train_audio_paths = audio_paths[:-num_val_samples]
        train_labels = labels[:-num_val_samples]
        valid_audio_paths = audio_paths[-num_val_samples:]
        valid_labels = labels[-num_val_samples:]

        train_ds = paths_and_labels_to_dataset(train_audio_paths, train_labels)
        train_ds = train_ds.shuffle(buffer_size=BATCH_SIZE * 8, seed=SHUFFLE_SEED).batch(BATCH_SIZE)

        valid_ds = paths_and_labels_to_dataset(valid_audio_paths, valid_labels)
        valid_ds = valid_ds.shuffle(buffer_size=32 * 8, seed=SHUFFLE_SEED).batch(32)

        # Add noise to the training set
        train_ds = train_ds.map(lambda x, y: (add_noise(x, noises, scale=SCALE), y),
                                num_parallel_calls=tf.data.AUTOTUNE)

        # Transform audio wave to the frequency domain using `audio_to_fft`
        train_ds = train_ds.map(lambda x, y: (audio_to_fft(x), y), num_parallel_calls=tf.data.AUTOTUNE)
        train_ds = train_ds.prefetch(tf.data.AUTOTUNE)

        valid_ds = valid_ds.map(lambda x, y: (audio_to_fft(x), y), num_parallel_calls=tf.data.AUTOTUNE)
        valid_ds = valid_ds.prefetch(tf.data.AUTOTUNE)

        test_ds = paths_and_labels_to_dataset(valid_audio_paths, valid_labels)
        test_ds = test_ds.shuffle(buffer_size=BATCH_SIZE * 8, seed=SHUFFLE_SEED).batch(BATCH_SIZE)
        test_ds = test_ds.map(lambda x, y: (add_noise(x, noises, scale=SCALE), y),
                              num_parallel_calls=tf.data.AUTOTUNE)
        for audios, _ in test_ds.take(1):
            # Get the signal FFT
            ffts = audio_to_fft(audios)

        return _train(keras, sync, train_ds, valid_ds, {}, ffts)


def speaker_recognition(keras, sync):
    speakers, noise_waves = _waves()
    noises = np.stack([chunk for wave in noise_waves for chunk in np.split(wave, len(wave) // SAMPLING_RATE)])
    items, labels = _labelled_waves()
    audios = np.stack([speakers[label][k] for label, k in items])
    labels = np.array(labels)

    def add_noise(audio, start):
        noise = noises[(start + np.arange(len(audio))) % len(noises)]
        prop = audio.max(axis=1, keepdims=True) / noise.max(axis=1, keepdims=True)
        return audio + noise * prop * SCALE

    def audio_to_fft(audio):
        return np.abs(np.fft.fft(audio)[:, : audio.shape[1] // 2])[..., None].astype("float32")

    num_val_samples = int(VALID_SPLIT * len(audios))
    train_audio, train_labels = audios[:-num_val_samples], labels[:-num_val_samples]
    valid_audio, valid_labels = audios[-num_val_samples:], labels[-num_val_samples:]
    noisy = np.concatenate([add_noise(train_audio[i:i + BATCH_SIZE], 0)
                            for i in range(0, len(train_audio), BATCH_SIZE)])
    return _train(keras, sync, audio_to_fft(noisy), (audio_to_fft(valid_audio), valid_labels),
                  {"y": train_labels, "batch_size": BATCH_SIZE, "shuffle": False},
                  audio_to_fft(add_noise(valid_audio, 0)))


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's data pipeline (tf.audio, tf.signal, tf.data) runs under TensorFlow only")
def test_speaker_recognition_tensorflow_pipeline():
    check_program(speaker_recognition_tensorflow)


def test_speaker_recognition():
    check_program(speaker_recognition)
