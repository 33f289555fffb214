"""CSVLogger writes one row per epoch and appends."""
import csv

from kerasport import callbacks
from tests.callbacks.test_callback import X, Y, _model


def test_csv_logger_writes_and_appends(tmp_path):
    path = str(tmp_path / "log.csv")
    model = _model()
    model.fit(X, Y, epochs=2, verbose=0, validation_data=(X, Y), callbacks=[callbacks.CSVLogger(path)])
    model.fit(X, Y, epochs=3, initial_epoch=2, verbose=0, validation_data=(X, Y),
              callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[0] == "epoch,loss,val_loss"
    assert [line.replace(";", ",").split(",")[0] for line in lines[1:]] == ["0", "1", "2"]
    assert ";" in lines[3] and "," not in lines[3]
    with open(path) as f:
        rows = list(csv.reader(f))
    assert all(float(v) > 0 for v in rows[1][1:])
