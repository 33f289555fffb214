"""audio_dataset_from_directory against Keras 3's, on WAV files the tests write with ``wave``, and B.decode_wav."""
import io
import os
import wave

import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from kerasport.utils import audio_dataset_from_directory
from tests.helpers import keras_module, to_numpy


def _wav_bytes(samples, rate=8000, width=2):
    """A PCM WAV file of int ``samples`` ``(n, channels)`` of ``width`` bytes each."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(width)
        f.setframerate(rate)
        if width == 1:
            data = samples.astype(np.uint8).tobytes()
        elif width == 3:
            data = samples.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
        else:
            data = samples.astype({2: "<i2", 4: "<i4"}[width]).tobytes()
        f.writeframes(data)
    return buffer.getvalue()


def _clip(rng, length, channels, freq):
    t = np.arange(length) / 8000.0
    wave_ = 0.6 * np.sin(2 * np.pi * freq * t)[:, None] + 0.05 * rng.randn(length, channels)
    return np.clip(np.round(wave_ * 32767), -32768, 32767).astype(np.int16)


@pytest.fixture
def audio_dir(tmp_path):
    """Three classes of mono clips of different lengths (two in a nested folder)."""
    rng = np.random.RandomState(0)
    for c, (name, freq) in enumerate([("down", 300), ("go", 700), ("up", 1500)]):
        folder = tmp_path / name
        (folder / "more").mkdir(parents=True)
        for i in range(4):
            where = folder / "more" if i == 3 else folder
            (where / f"clip{i}.wav").write_bytes(_wav_bytes(_clip(rng, 300 + 97 * i + 41 * c, 1, freq)))
        (folder / "notes.txt").write_text("not audio")
    return str(tmp_path)


def _batches(dataset):
    out = []
    for batch in dataset:
        parts = batch if isinstance(batch, tuple) else (batch,)
        out.append(tuple(np.asarray(to_numpy(p) if B.is_tensor(p) else p) for p in parts))
    return out


CASES = [dict(batch_size=4, shuffle=False), dict(batch_size=5, shuffle=True, seed=3, label_mode="categorical"),
         dict(batch_size=3, output_sequence_length=400, shuffle=False, label_mode=None),
         dict(batch_size=None, shuffle=False), dict(batch_size=4, shuffle=False, class_names=["up", "down"]),
         dict(batch_size=2, shuffle=True, seed=1, validation_split=0.25, subset="validation")]


@pytest.mark.parametrize("kwargs", CASES)
def test_batches_match_keras(audio_dir, kwargs):
    keras = keras_module()
    theirs = keras.utils.audio_dataset_from_directory(audio_dir, verbose=False, **kwargs)
    ours = audio_dataset_from_directory(audio_dir, verbose=False, **kwargs)
    assert ours.class_names == theirs.class_names
    got, want = _batches(ours), _batches(theirs)
    assert len(got) == len(want) == len(ours)
    assert [[(a.dtype, a.shape[:1]) for a in g] for g in got] == [[(a.dtype, a.shape[:1]) for a in w] for w in want]
    if kwargs.get("shuffle"):
        # Keras also runs its first epoch through a seeded shuffle buffer: the same samples, in another order
        assert _samples(got) == _samples(want)
        return
    for g, w in zip(got, want):
        for a, b in zip(g, w):
            assert a.shape == b.shape
            np.testing.assert_array_equal(a, b)


def _samples(batches):
    """The sorted (first 50 audio values, label) of every sample."""
    out = []
    for batch in batches:
        audio = batch[0] if batch[0].ndim == 3 else batch[0][None]
        labels = np.reshape(batch[1], (len(audio), -1)) if len(batch) > 1 else [()] * len(audio)
        out += [(tuple(a[:50, 0]), tuple(label)) for a, label in zip(audio, labels)]
    return sorted(out)


def test_both_subsets_and_binary_labels(audio_dir):
    keras = keras_module()
    kwargs = dict(batch_size=3, validation_split=0.3, subset="both", seed=5, class_names=["go", "up"],
                  label_mode="binary", output_sequence_length=350, verbose=False)
    ours = audio_dataset_from_directory(audio_dir, **kwargs)
    theirs = keras.utils.audio_dataset_from_directory(audio_dir, **kwargs)
    assert len(ours) == 2
    for mine, reference in zip(ours, theirs):
        # the first epoch is in the listing's (seeded) order in both; Keras's shuffle buffer then reorders
        got = sorted(map(tuple, np.concatenate([b[0][:, :5, 0] for b in _batches(mine)])))
        want = sorted(map(tuple, np.concatenate([b[0][:, :5, 0] for b in _batches(reference)])))
        np.testing.assert_array_equal(got, want)
        assert all(b[1].shape[1:] == (1,) and b[1].dtype == np.float32 for b in _batches(mine))
    assert sorted(ours[0].file_paths + ours[1].file_paths) == sorted(
        os.path.join(audio_dir, c, *p) for c in ("go", "up") for p in (("clip0.wav",), ("clip1.wav",),
                                                                        ("clip2.wav",), ("more", "clip3.wav")))


def test_a_model_fits_on_the_dataset(audio_dir):
    dataset = audio_dataset_from_directory(audio_dir, batch_size=4, output_sequence_length=512, seed=0,
                                           verbose=False)
    model = kerasport.Sequential([
        kerasport.Input((512, 1)), kerasport.layers.STFTSpectrogram(mode="log", frame_length=64, trainable=False),
        kerasport.layers.GlobalAveragePooling1D(), kerasport.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.all(np.isfinite(history.history["loss"]))


@pytest.mark.skipif(B.NAME != "tensorflow", reason="tf.data exists in a TensorFlow process only")
def test_element_spec_matches_keras(audio_dir):
    keras = keras_module()
    for kwargs in (dict(batch_size=4), dict(batch_size=4, output_sequence_length=300), dict(batch_size=None)):
        ours = audio_dataset_from_directory(audio_dir, verbose=False, **kwargs).element_spec
        theirs = keras.utils.audio_dataset_from_directory(audio_dir, verbose=False, **kwargs).element_spec
        assert [(tuple(s.shape), s.dtype) for s in ours] == [(tuple(s.shape), s.dtype) for s in theirs]


@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize("desired", [-1, 50, 400])
def test_decode_wav(width, desired):
    rng = np.random.RandomState(width)
    bits = 8 * width
    if width == 1:
        ints = rng.randint(0, 256, (300, 2))
        want = (ints.astype(np.float32) - 128) / 128
    else:
        ints = rng.randint(-2 ** (bits - 1), 2 ** (bits - 1), (300, 2), dtype=np.int64)
        want = (ints / 2.0 ** (bits - 1)).astype(np.float32)
    contents = _wav_bytes(ints, rate=22050, width=width)
    if width != 2 and B.NAME == "tensorflow":
        with pytest.raises(ValueError, match="Could not decode a PCM WAV file"):
            B.decode_wav(contents, desired)  # TensorFlow's decoder reads 16-bit PCM only
        return
    audio, rate = B.decode_wav(contents, desired)
    assert rate == 22050 and audio.dtype == np.float32
    if desired >= 0:
        want = np.pad(want[:desired], ((0, max(0, desired - 300)), (0, 0)))
    np.testing.assert_array_equal(audio, want)
    if width == 2:  # the same numbers as TensorFlow's decoder (the oracle; Keras's tests import it too)
        keras_module()
        import tensorflow as tf
        decoded, _ = tf.audio.decode_wav(contents, desired_samples=desired)
        np.testing.assert_array_equal(audio, decoded.numpy())


def test_errors(audio_dir, tmp_path):
    with pytest.raises(ValueError, match="Could not decode a PCM WAV file"):
        B.decode_wav(b"RIFF not a wave file at all")
    with pytest.raises(ValueError, match="cannot set both `ragged` and `output_sequence_length`"):
        audio_dataset_from_directory(audio_dir, ragged=True, output_sequence_length=10)
    with pytest.raises(ValueError, match="integer value. Received: sampling_rate=8000.0"):
        audio_dataset_from_directory(audio_dir, sampling_rate=8000.0)
    with pytest.raises(ValueError, match="higher than 0"):
        audio_dataset_from_directory(audio_dir, sampling_rate=0)
    with pytest.raises(NotImplementedError, match="resampling"):
        audio_dataset_from_directory(audio_dir, sampling_rate=16000)
    with pytest.raises(NotImplementedError, match="ragged=True"):
        audio_dataset_from_directory(audio_dir, ragged=True)
    with pytest.raises(ValueError, match="output_sequence_length"):
        audio_dataset_from_directory(audio_dir, output_sequence_length=0)
    with pytest.raises(ValueError, match='label_mode="binary"'):
        audio_dataset_from_directory(audio_dir, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="label_mode"):
        audio_dataset_from_directory(audio_dir, label_mode="sparse")
    with pytest.raises(ValueError, match="validation_split"):
        audio_dataset_from_directory(audio_dir, subset="training")
    bad = tmp_path / "bad" / "a"
    bad.mkdir(parents=True)
    (bad / "x.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(ValueError, match=r"cannot read .*x\.wav"):
        list(audio_dataset_from_directory(str(tmp_path / "bad"), verbose=False))
