"""``plot_history``: the loss and metric curves of a ``fit``, training against validation, as a PNG.

Needs matplotlib (``pip install kerasport[plot]``); drawing uses no GUI.
"""


def plot_history(history, path=None, metrics=None, title=None, validation_freq=1):
    """Draw one panel per metric of a training run: the training curve and, when recorded, validation.

    Args:
        history: the ``History`` returned by ``fit`` (or its ``.history`` dict,
            ``{"loss": [...], "val_loss": [...], ...}``).
        path: file to save the figure to (``.png``, or any format matplotlib
            writes); ``None`` only returns the figure.
        metrics: names to plot (``["loss", "accuracy"]``); all the training
            metrics by default, loss first.
        title: title over the panels.
        validation_freq: the ``validation_freq`` given to ``fit``, which places
            the validation points when validation did not run every epoch.

    Returns:
        The ``matplotlib.figure.Figure``.

    Example::

        history = model.fit(x, y, validation_split=0.2, epochs=20)
        kerasport.utils.plot_history(history, "history.png")
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("plot_history needs matplotlib: install it with `pip install kerasport[plot]` "
                          "(or `pip install matplotlib`).") from e
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"plot_history expects a History or a non-empty dict of per-epoch lists, "
                         f"received {history!r}.")
    epochs = getattr(history, "epoch", None)
    names = metrics or sorted((k for k in logs if not k.startswith("val_")), key=lambda k: (k != "loss", k))
    unknown = [n for n in names if n not in logs]
    if unknown:
        raise ValueError(f"plot_history: no metric {unknown} in the history; it has {sorted(logs)}.")
    fig = Figure(figsize=(4.5 * len(names), 3.5), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        values = logs[name]
        xs = [e + 1 for e in epochs] if epochs and len(epochs) == len(values) else list(range(1, len(values) + 1))
        ax.plot(xs, values, marker="o", markersize=3, label="training")
        val = logs.get("val_" + name)
        if val:
            val_xs = [e for e in xs if (e % validation_freq == 0 if isinstance(validation_freq, int)
                                        else e in validation_freq)]
            ax.plot(val_xs[:len(val)], val[:len(val_xs)], marker="o", markersize=3, label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig

