"""STFTSpectrogram, MelSpectrogram and the STFT initializer against Keras 3's, on both backends.

The signal is real-looking audio: two sine waves (440 Hz and 1250 Hz at 8 kHz) plus noise, in
two channels. Keras's STFT layers need SciPy (its window functions): the oracle tests skip
without it; kerasport's layers do not need it.
"""
import os
import sys

import numpy as np
import pytest

import kerasport
from kerasport import initializers, layers
from kerasport.backends import B
from tests.helpers import keras_module, keras_oracle, run_layer_test, to_numpy

RNG = np.random.RandomState(0)
_T = np.arange(1200) / 8000.0
SIGNAL = (np.sin(2 * np.pi * 440 * _T) + 0.5 * np.sin(2 * np.pi * 1250 * _T + 0.3)
          + 0.1 * RNG.randn(1200)).astype("float32")
MONO = np.stack([SIGNAL, 0.7 * np.roll(SIGNAL, 37)])  # (batch, samples)
STEREO = np.stack([MONO.T, 0.5 * MONO.T[::-1]])  # (batch, samples, channels)


@pytest.fixture(scope="module")
def keras():
    keras = keras_module()
    pytest.importorskip("scipy", reason="Keras's STFT layers need SciPy")
    return keras


def close(ours, theirs, tol=1e-4):
    ours, theirs = to_numpy(ours), np.asarray(theirs)
    scale = max(1.0, float(np.abs(theirs).max()))
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol * scale)


STFT_CASES = [
    {},
    dict(mode="magnitude", frame_length=64, frame_step=16),
    dict(mode="psd", frame_length=100, fft_length=128, padding="same"),
    dict(mode="real", window="hamming", periodic=True, scaling="spectrum"),
    dict(mode="imag", window=None, frame_length=48, scaling=None),
    dict(mode="angle", frame_length=32),
    dict(mode="stft", frame_length=64, expand_dims=True),
    dict(mode="log", frame_length=64, window="blackman", expand_dims=True, data_format="channels_first"),
    dict(mode="magnitude", frame_length=60, window="bartlett", data_format="channels_first"),
]
STFT_IDS = [f"{c.get('mode', 'log')}-{i}" for i, c in enumerate(STFT_CASES)]


def _keras_stft(keras, kwargs):
    """Keras's layer in channels_last (TensorFlow's CPU kernels may lack channels_first convolutions), and the
    permutation of our channels_first output that its output is."""
    kwargs = dict(kwargs)
    if kwargs.pop("data_format", None) != "channels_first":
        return keras.layers.STFTSpectrogram(**kwargs), None
    return keras.layers.STFTSpectrogram(**kwargs), (0, 3, 1, 2) if kwargs.get("expand_dims") else (0, 2, 1)


def _stft_input(kwargs):
    return STEREO if kwargs.get("data_format") != "channels_first" else np.transpose(STEREO, (0, 2, 1))


@pytest.mark.parametrize("kwargs", STFT_CASES, ids=STFT_IDS)
def test_stft_spectrogram_matches_keras(keras, kwargs):
    theirs, perm = _keras_stft(keras, kwargs)
    want = np.asarray(theirs(STEREO))
    ours = layers.STFTSpectrogram(**kwargs)
    out = ours(_stft_input(kwargs))
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):  # the STFT initializer's kernels
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)
    close(out if perm is None else np.transpose(to_numpy(out), np.argsort(perm)), want)
    assert tuple(ours.compute_output_shape((None,) + _stft_input(kwargs).shape[1:]))[1:] == tuple(B.shape(out))[1:]


@pytest.mark.parametrize("kwargs", [dict(mode="magnitude", frame_length=32, frame_step=8),
                                    dict(mode="stft", frame_length=40, fft_length=64, padding="same"),
                                    dict(mode="psd", frame_length=16, expand_dims=True)])
def test_stft_spectrogram_gradients_match_keras(keras, kwargs):
    x = STEREO[:, :300]
    keras_oracle(layers.STFTSpectrogram(**kwargs), keras.layers.STFTSpectrogram(**kwargs), x, atol=1e-3,
                 rtol=1e-3)


@pytest.mark.parametrize("kwargs", STFT_CASES, ids=STFT_IDS)
def test_stft_spectrogram_config_matches_keras(keras, kwargs):
    ours = layers.STFTSpectrogram(**kwargs).get_config()
    theirs = keras.layers.STFTSpectrogram(**kwargs).get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs
    again = layers.STFTSpectrogram.from_config(ours).get_config()
    again.pop("name")
    assert again == ours


def test_stft_spectrogram_trainable_flags():
    layer = layers.STFTSpectrogram(frame_length=32)
    layer(STEREO)
    assert [w.path for w in layer.trainable_weights] == ["stft_spectrogram/real_kernel",
                                                         "stft_spectrogram/imag_kernel"]
    frozen = layers.STFTSpectrogram(frame_length=32, trainable=False)
    frozen(STEREO)
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 2
    for mode in ("real", "imag"):
        one_sided = layers.STFTSpectrogram(mode=mode, frame_length=32)
        one_sided(STEREO)
        assert [w.name for w in one_sided.weights] == [f"{mode}_kernel"]


@pytest.mark.parametrize("kwargs", [dict(frame_length=32, frame_step=16), dict(mode="stft", frame_length=16,
                                                                                expand_dims=True),
                                    dict(mode="real", frame_length=16, data_format="channels_first")])
def test_stft_spectrogram_standard_layer_checks(kwargs):
    data = _stft_input(kwargs)[:, :200] if kwargs.get("data_format") != "channels_first" \
        else _stft_input(kwargs)[:, :, :200]
    run_layer_test(layers.STFTSpectrogram, kwargs, data.shape, input_data=data)


def test_trainable_stft_learns_inside_a_model():
    x = np.stack([SIGNAL[i:i + 256] for i in range(0, 512, 64)])[..., None]
    y = RNG.randint(0, 2, len(x))
    model = kerasport.Sequential([kerasport.Input((256, 1)), layers.STFTSpectrogram(mode="magnitude", frame_length=64),
                                  layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    kernel = to_numpy(model.layers[0].real_kernel).copy()
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(to_numpy(model.layers[0].real_kernel), kernel)


MEL_CASES = [
    {},
    dict(fft_length=256, sequence_stride=64, num_mel_bins=40, sampling_rate=8000),
    dict(fft_length=256, sequence_stride=100, sequence_length=200, window="hamming", power_to_db=False,
         mag_exp=1.0, max_freq=3000, min_freq=100.0),
    dict(fft_length=128, sequence_stride=32, num_mel_bins=16, sampling_rate=8000, top_db=20.0, ref_power=4.0,
         min_power=1e-6, window=None),
]


@pytest.mark.parametrize("kwargs", MEL_CASES)
def test_mel_spectrogram_matches_keras(keras, kwargs):
    theirs = keras.layers.MelSpectrogram(**kwargs)
    ours = layers.MelSpectrogram(**kwargs)
    out = ours(MONO)
    close(out, theirs(MONO), 2e-5)
    close(ours(MONO[0]), theirs(MONO[0]), 2e-5)
    assert tuple(ours.compute_output_shape((None, 1200))) == (None,) + tuple(B.shape(out))[1:]
    assert tuple(ours.compute_output_shape((1200,))) == tuple(B.shape(out))[1:]
    config, want = ours.get_config(), theirs.get_config()
    config.pop("name"), want.pop("name")
    assert config == want
    np.testing.assert_allclose(to_numpy(ours.linear_to_mel_weight_matrix(8, 33, 8000, 100.0, 3500.0)),
                               np.asarray(theirs.linear_to_mel_weight_matrix(8, 33, 8000, 100.0, 3500.0)),
                               rtol=1e-5, atol=1e-6)


def test_mel_spectrogram_standard_layer_checks():
    layer, out = run_layer_test(layers.MelSpectrogram, dict(fft_length=64, sequence_stride=16, num_mel_bins=8),
                                (2, 300), train=False, input_data=MONO[:, :300])
    assert tuple(B.shape(out)) == (2, 8, 1 + 300 // 16)
    assert layer.weights == []


def test_mel_spectrogram_frames_for_every_length():
    """Keras's ``compute_output_shape`` says ``(n + stride + 1) // stride`` frames, one too many when
    ``n + 1`` is a multiple of the stride; the layer makes ``1 + n // stride`` (centred frames) and says so."""
    layer = layers.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=4)
    for n in (47, 48, 63, 64, 100):
        assert tuple(B.shape(layer(MONO[:, :n]))) == tuple(layer.compute_output_shape((2, n))) == (2, 4, 1 + n // 16)


def test_audio_model_fits_saves_and_loads(keras, tmp_path):
    x = np.stack([SIGNAL[i:i + 512] for i in range(0, 640, 32)])
    y = RNG.randint(0, 2, len(x))
    model = kerasport.Sequential([
        kerasport.Input((512,)), layers.MelSpectrogram(fft_length=128, sequence_stride=64, num_mel_bins=16,
                                                        sampling_rate=8000),
        layers.Reshape((16, 9, 1)), layers.Rescaling(1 / 80.0), layers.Flatten(),
        layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=5, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    want = model.predict(x, verbose=0)
    path = os.path.join(tmp_path, "mel.keras")
    model.save(path)
    close(kerasport.saving.load_model(path).predict(x, verbose=0), want, 1e-5)
    close(keras.models.load_model(path).predict(x, verbose=0), want, 1e-4)


def _keras_written(lib):
    signal = lib.Input((300, 2))
    spec = lib.layers.STFTSpectrogram(mode="magnitude", frame_length=32, frame_step=16, window="hamming")(signal)
    frozen = lib.layers.STFTSpectrogram(mode="log", frame_length=64, frame_step=32, trainable=False,
                                        expand_dims=True)(signal)
    merged = lib.layers.Concatenate()([lib.layers.Flatten()(spec), lib.layers.Flatten()(frozen)])
    return lib.Model(signal, lib.layers.Dense(3)(merged))


def test_keras_stft_files_load_and_ours_load_in_keras(keras, tmp_path):
    x = STEREO[:, :300]
    theirs = _keras_written(keras)
    rng = np.random.RandomState(3)
    theirs.set_weights([w + rng.uniform(-0.01, 0.01, w.shape).astype("float32") for w in theirs.get_weights()])
    want = theirs.predict(x, verbose=0)
    kpath, wpath = os.path.join(tmp_path, "keras.keras"), os.path.join(tmp_path, "keras.weights.h5")
    theirs.save(kpath)
    theirs.save_weights(wpath)
    loaded = kerasport.saving.load_model(kpath)
    close(loaded.predict(x, verbose=0), want)
    assert [len(layer.trainable_weights) for layer in loaded.layers[1:3]] == [2, 0]
    rebuilt = _keras_written(kerasport)
    rebuilt.load_weights(wpath)
    close(rebuilt.predict(x, verbose=0), want)
    opath = os.path.join(tmp_path, "ours.keras")
    loaded.save(opath)
    close(keras.models.load_model(opath).predict(x, verbose=0), want)
    close(kerasport.saving.load_model(opath).predict(x, verbose=0), want)


@pytest.mark.skipif(B.NAME != "tensorflow", reason="tf.data exists in a TensorFlow process only")
def test_spectrogram_layers_run_inside_tf_data_map():
    import tensorflow as tf
    mel = layers.MelSpectrogram(fft_length=64, sequence_stride=32, num_mel_bins=8, power_to_db=False)
    stft = layers.STFTSpectrogram(frame_length=32, trainable=False)
    for layer, data in ((mel, MONO[:, :400]), (stft, STEREO[:, :400])):
        data = np.concatenate([data, data[::-1]])
        mapped = [d.numpy() for d in tf.data.Dataset.from_tensor_slices(data).batch(2).map(layer)]
        np.testing.assert_allclose(np.concatenate(mapped), to_numpy(layer(data)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(side="real", window="hann", scaling="density", periodic=False),
                                    dict(side="imag", window="hamming", scaling="spectrum", periodic=True),
                                    dict(side="real", window=None, scaling=None),
                                    dict(side="imag", window="tukey", scaling="density"),
                                    dict(side="real", window="blackman", periodic=True)])
def test_stft_initializer_matches_keras(keras, kwargs):
    ours, theirs = initializers.STFT(**kwargs), keras.initializers.STFT(**kwargs)
    for shape in ((64, 1, 33), (50, 1, 65), (1, 1, 2)):
        np.testing.assert_allclose(to_numpy(ours(shape)), np.asarray(theirs(shape)), rtol=1e-5, atol=1e-6)
    assert ours.get_config() == theirs.get_config()
    assert initializers.serialize(ours) == keras.initializers.serialize(theirs)
    again = initializers.deserialize(keras.initializers.serialize(theirs))
    assert isinstance(again, initializers.STFT) and again.get_config() == ours.get_config()
    assert B.standardize_dtype(B.dtype(ours((8, 1, 5), dtype="float64"))) == "float64"


def test_stft_initializer_names_and_window_values(keras):
    assert initializers.STFTInitializer is initializers.STFT is initializers.stft
    assert isinstance(initializers.get("stft"), initializers.STFT)
    assert isinstance(initializers.get("STFTInitializer"), initializers.STFT)
    values = np.linspace(0.5, 1.0, 16)
    np.testing.assert_allclose(to_numpy(initializers.STFT("imag", values)((16, 1, 9))),
                               np.asarray(keras.initializers.STFT("imag", values)((16, 1, 9))), rtol=1e-5, atol=1e-6)


def test_windows_without_scipy(monkeypatch):
    """The common windows are computed without SciPy; the others ask for it by name."""
    import scipy.signal
    expected = {(name, n, periodic): scipy.signal.get_window(name, n, periodic)
                for name in ("hann", "hamming", "blackman", "bartlett", "boxcar") for n in (1, 2, 9, 16)
                for periodic in (False, True)}
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.signal", None)
    for (name, n, periodic), want in expected.items():
        np.testing.assert_allclose(initializers.get_window(name, n, periodic), want, atol=1e-12)
    with pytest.raises(ValueError, match="Unknown window 'tukey': without SciPy"):
        layers.STFTSpectrogram(window="tukey")


def test_errors():
    for kwargs, match in [(dict(frame_length=16, frame_step=20), "frame_step"),
                          (dict(frame_length=16, fft_length=8), "fft_length"),
                          (dict(mode="power"), "mode=power"), (dict(scaling="l2"), "scaling=l2"),
                          (dict(padding="causal"), "padding=causal"), (dict(data_format="nchw"), "data_format")]:
        with pytest.raises(ValueError, match=match):
            layers.STFTSpectrogram(**kwargs)
    with pytest.raises(ValueError):
        layers.STFTSpectrogram(window="no-such-window")
    with pytest.warns(UserWarning, match="power of two"):
        layers.STFTSpectrogram(frame_length=16, fft_length=24)
    with pytest.raises(ValueError, match="expected ndim=3"):
        layers.STFTSpectrogram()(MONO)
    with pytest.raises(TypeError, match="Expected `float16`, `float32` or `float64`. Received: input type=int32"):
        layers.STFTSpectrogram(frame_length=16)(np.ones((1, 64, 1), "int32"))
    with pytest.raises(ValueError, match="`fft_length` must be greater than or equal to"):
        layers.MelSpectrogram(fft_length=128, sequence_length=256)
    with pytest.raises(ValueError, match="'hann', 'hamming'"):
        layers.MelSpectrogram(window="tukey")
    for kwargs, match in [(dict(side="both"), "side"), (dict(scaling="l1"), "scaling")]:
        with pytest.raises(ValueError, match=match):
            initializers.STFT(**kwargs)
    with pytest.raises(ValueError, match=r"\(frame_length, 1, fft_length // 2 \+ 1\)"):
        initializers.STFT()((16, 2, 9))
    with pytest.raises(ValueError, match=r"window must have shape \(16,\)"):
        initializers.STFT(window=np.ones(8))((16, 1, 9))
