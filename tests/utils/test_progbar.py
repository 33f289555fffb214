"""``kerasport.utils.Progbar`` prints what Keras's prints, stays silent when asked, checks its arguments and
obeys interactive logging."""
import time

import pytest

import kerasport
from kerasport import utils
from tests.helpers import keras_module


def _progbar_output(cls, capsys, monkeypatch, kwargs, calls):
    monkeypatch.setattr(time, "time", lambda: 1000.0)
    bar = cls(**kwargs)
    for method, args in calls:
        getattr(bar, method)(*args)
    return capsys.readouterr().out


@pytest.mark.parametrize("kwargs", [{"target": 3}, {"target": 3, "verbose": 2}, {"target": None},
                                    {"target": 12, "width": 7, "stateful_metrics": ["acc"], "unit_name": "sample"},
                                    {"target": 3, "stateless_metrics": ["loss"]}])
def test_progbar_prints_what_keras_prints(capsys, monkeypatch, kwargs):
    keras = keras_module()
    calls = [("update", (1, [("loss", 0.5), ("acc", 0.25)])), ("add", (1, [("loss", 0.25), ("acc", 0.5)])),
             ("update", (3, [("loss", 1e-5), ("acc", 0.75)]))]
    want = _progbar_output(keras.utils.Progbar, capsys, monkeypatch, kwargs, calls)
    got = _progbar_output(utils.Progbar, capsys, monkeypatch, kwargs, calls)
    assert got == want
    assert kwargs.get("verbose") == 2 or "loss" in got


def test_progbar_silent_and_bad_args(capsys):
    bar = utils.Progbar(2, verbose=0)
    bar.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="only one"):
        utils.Progbar(2, stateful_metrics=["a"], stateless_metrics=["b"])


def test_interactive_logging_silences_progbar(capsys):
    kerasport.config.disable_interactive_logging()
    try:
        assert not utils.is_interactive_logging_enabled()
        utils.Progbar(1).update(1)
        assert capsys.readouterr().out == ""
    finally:
        kerasport.config.enable_interactive_logging()
    utils.Progbar(1).update(1)
    assert "1/1" in capsys.readouterr().out
