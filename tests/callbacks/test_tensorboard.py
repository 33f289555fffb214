"""TensorBoard writes event files with the epoch, batch, learning-rate and histogram summaries."""
import glob
import os

import pytest

from kerasport import callbacks
from kerasport.backends import NAME
from tests.callbacks.test_callback import X, Y, _model


def _event_tags(directory):
    tf = pytest.importorskip("tensorflow")
    tags = set()
    for path in glob.glob(os.path.join(directory, "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            tags |= {value.tag for value in event.summary.value}
    return tags


def test_tensorboard_writes_event_files(tmp_path):
    if NAME == "torch":
        pytest.importorskip("tensorboard")
    log_dir = str(tmp_path / "logs")
    model = _model()
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0, validation_data=(X, Y),
              callbacks=[callbacks.TensorBoard(log_dir, histogram_freq=1, update_freq=2)])
    train = _event_tags(os.path.join(log_dir, "train"))
    assert {"epoch_loss", "epoch_learning_rate", "batch_loss"} <= train
    assert any(tag.endswith("/histogram") for tag in train)
    assert "epoch_loss" in _event_tags(os.path.join(log_dir, "validation"))
