"""``MonitorCallback``: the shared logic of callbacks that watch one logged metric for improvement."""
import operator
import re
import warnings

from kerasport.callbacks.callback import Callback

_HIGHER_IS_BETTER = re.compile(r"acc|auc|precision|recall|f1|fbeta|iou|r2|similarity|correlation")
_LOWER_IS_BETTER = re.compile(r"loss|error|crossentropy|mse|mae|mape|msle|hinge|divergence|logcosh|poisson")


class MonitorCallback(Callback):
    """Base class of callbacks that compare a monitored value with the best so far.

    Args:
        monitor: the logged quantity (``"val_loss"``, ``"accuracy"``, ...).
        mode: ``"min"``, ``"max"``, or ``"auto"``: a metric's ``_direction``
            (``"up"``/``"down"``) if it has one, else by name (losses and errors down;
            accuracy, AUC, precision, recall, F-scores, IoU, R2, similarities up).
        baseline: the starting best value (``None``: the first value).
        min_delta: the smallest change that counts as an improvement.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            direction = next((getattr(m, "_direction", None) for m in getattr(self.model, "metrics", [])
                              if m.name == name), None)
            if name == "loss" or direction == "down" or (direction is None and _LOWER_IS_BETTER.search(name)):
                self.monitor_op = operator.lt
            elif direction == "up" or _HIGHER_IS_BETTER.search(name):
                self.monitor_op = operator.gt
            else:
                raise ValueError(f"{type(self).__name__} callback received monitor={self.monitor}, but kerasport "
                                 "isn't able to automatically determine whether that metric should be maximized or "
                                 "minimized. Pass `mode='max'` in order to monitor based on the highest metric "
                                 "value, or pass `mode='min'` in order to use the lowest value.")
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value):
        return reference_value is None or self.monitor_op(monitor_value - self.min_delta, reference_value)
