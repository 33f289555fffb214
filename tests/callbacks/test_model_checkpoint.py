"""ModelCheckpoint on a tiny model: file name templates, save_best_only, batch frequency, bad arguments."""
import glob
import os

import numpy as np
import pytest

import kerasport
from kerasport import callbacks
from tests.callbacks.test_callback import X, Y, _model, _scripted


def test_model_checkpoint_templates_best_only_and_batch_freq(tmp_path):
    model = _model()
    every = callbacks.ModelCheckpoint(str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.weights.h5"),
                                      save_weights_only=True)
    best = callbacks.ModelCheckpoint(str(tmp_path / "best.{epoch:02d}.h5"), monitor="val_loss",
                                     save_best_only=True, initial_value_threshold=0.9)
    steps = callbacks.ModelCheckpoint(str(tmp_path / "steps" / "e{epoch}b{batch}.weights.h5"),
                                      save_weights_only=True, save_freq=3)
    model.fit(X, Y, epochs=4, batch_size=8, verbose=0,
              callbacks=[_scripted("val_loss", [1.0, 0.5, 0.7, 0.25]), every, best, steps])
    names = sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "*.h5")))
    assert names == ["best.02.h5", "best.04.h5", "w.01-1.00.weights.h5", "w.02-0.50.weights.h5",
                     "w.03-0.70.weights.h5", "w.04-0.25.weights.h5"]
    assert sorted(os.listdir(tmp_path / "steps")) == ["e1b3.weights.h5", "e2b2.weights.h5", "e3b1.weights.h5",
                                                      "e3b4.weights.h5", "e4b3.weights.h5"]
    clone = _model()
    clone.load_weights(str(tmp_path / "w.04-0.25.weights.h5"))
    for a, b in zip(clone.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    reloaded = kerasport.saving.load_model(str(tmp_path / "best.04.h5"))
    np.testing.assert_allclose(reloaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_model_checkpoint_rejects_bad_arguments():
    with pytest.raises(ValueError, match="weights.h5"):
        callbacks.ModelCheckpoint("w.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint("m.h5", save_freq="often")
