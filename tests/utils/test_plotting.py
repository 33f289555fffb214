"""plot_history draws the curves of a fit to an image file."""
import builtins

import numpy as np
import pytest

import kerasport
from kerasport.utils import plot_history


def test_plot_history_writes_a_png_with_a_panel_per_metric(tmp_path):
    pytest.importorskip("matplotlib")
    x = np.random.RandomState(0).randn(32, 3).astype("float32")
    model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    history = model.fit(x, x[:, :1], epochs=4, validation_data=(x, x[:, :1]), validation_freq=2, verbose=0)
    path = tmp_path / "history.png"
    fig = plot_history(history, path, validation_freq=2)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loss_ax, mae_ax = fig.axes
    assert (loss_ax.get_title(), mae_ax.get_title()) == ("loss", "mae")
    train, val = loss_ax.get_lines()
    assert list(train.get_xdata()) == [1, 2, 3, 4] and list(val.get_xdata()) == [2, 4]
    np.testing.assert_allclose(val.get_ydata(), history.history["val_loss"])


def test_plot_history_rejects_unknown_metrics():
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match=r"no metric \['accuracy'\]"):
        plot_history({"loss": [1.0, 0.5]}, metrics=["accuracy"])


def test_plot_history_without_matplotlib(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install kerasport\[plot\]"):
        plot_history({"loss": [1.0]})
