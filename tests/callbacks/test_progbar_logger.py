"""The progress output: a tqdm bar on terminals and in notebooks, one clean line per epoch elsewhere."""
import io
import re

import numpy as np
import pytest
import tqdm.autonotebook
import tqdm.std

import kerasport
from kerasport import layers
from kerasport.callbacks.progbar_logger import ProgbarLogger, format_time_per_step


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def model_and_data():
    x = np.random.RandomState(0).randn(40, 3).astype("float32")
    model = kerasport.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model, x, x[:, :1]


LINE = r"Epoch {}/2 - 4/4 - \d+s - \d+(us|ms|s)/step - loss: \d+\.\d{{4}} - mae: \d+\.\d{{4}}"


def test_terminal_bar_shows_progress_eta_rate_and_metrics():
    model, x, y = model_and_data()
    out = FakeTTY()
    model.fit(x, y, batch_size=10, epochs=2, validation_data=(x, y), callbacks=[ProgbarLogger(interval=0, file=out)])
    text = out.getvalue()
    assert "\r" in text and text.count("\n") == 2  # redrawn in place, one finished bar per epoch
    final = [line.split("\r")[-1] for line in text.split("\n")]
    assert re.search(r"Epoch 2/2: 100%.*\| 4/4 \[\d\d:\d\d<\d\d:\d\d, +[\d.]+(step/s|s/step), loss: [\d.]+ - mae: "
                     r"[\d.]+ - val_loss: [\d.]+ - val_mae: [\d.]+\]", final[1]), final[1]
    assert re.search(r"2/4 .*loss: [\d.]+ - mae: [\d.]+\]", text)  # metrics while the epoch runs


@pytest.mark.parametrize("verbose, tty", [(1, False), (2, True), (2, False)])
def test_plain_output_is_one_line_per_epoch(verbose, tty):
    model, x, y = model_and_data()
    out = FakeTTY() if tty else io.StringIO()
    model.fit(x, y, batch_size=10, epochs=2, verbose=verbose, callbacks=[ProgbarLogger(file=out)])
    lines = out.getvalue().split("\n")
    assert "\r" not in out.getvalue() and lines[-1] == "" and len(lines) == 3
    for epoch, line in enumerate(lines[:2], 1):
        assert re.fullmatch(LINE.format(epoch), line), line


def test_stdout_is_used_by_default_and_verbose_0_is_silent(capsys):
    model, x, y = model_and_data()
    model.fit(x, y, batch_size=10, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, batch_size=10, epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(re.fullmatch(LINE.format(i), l) for i, l in enumerate(lines, 1))


def test_evaluate_and_predict_lines(capsys):
    model, x, y = model_and_data()
    model.evaluate(x, y, batch_size=10, verbose=1)
    model.predict(x, batch_size=10, verbose=2)
    evaluate_line, predict_line = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"4/4 - \d+s - \d+(us|ms|s)/step - loss: [\d.]+ - mae: [\d.]+", evaluate_line)
    assert re.fullmatch(r"4/4 - \d+s - \d+(us|ms|s)/step", predict_line)


def test_notebook_bar(monkeypatch):
    drawn = []

    class Widget(tqdm.std.tqdm):
        def __init__(self, *args, **kwargs):
            drawn.append(kwargs["desc"])
            kwargs["file"] = io.StringIO()
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm.autonotebook, "tqdm", Widget)
    model, x, y = model_and_data()
    model.fit(x, y, batch_size=10, epochs=2, verbose=1)
    assert drawn == ["Epoch 1/2", "Epoch 2/2"]


def test_interrupted_fit_closes_the_bar():
    model, x, y = model_and_data()
    logger = ProgbarLogger(file=FakeTTY())

    class Interrupt(kerasport.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=10, callbacks=[logger, Interrupt()])
    assert logger._bar is None


@pytest.mark.parametrize("seconds, text", [(2.4, "2s/step"), (0.0123, "12ms/step"), (0.00085, "850us/step")])
def test_time_per_step(seconds, text):
    assert format_time_per_step(seconds) == text
