"""``Progbar``: Keras's text progress bar, for custom training loops and downloads.

``fit``/``evaluate``/``predict`` draw their own (tqdm) bars through
``kerasport.callbacks.ProgbarLogger``; this class reproduces the output of
``keras.utils.Progbar`` character for character, for code that drives one by hand.
"""
import math
import os
import sys
import time

import numpy as np

from kerasport.utils import io_utils


def _format_duration(seconds, unit_name):
    """Keras's time per unit: ``" 3s/step"``, ``" 12ms/step"``, ``" 850us/step"`` (0 reads ``" 0s/step"``)."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def _format_value(value):
    return f" {value:.4f}" if abs(value) > 1e-3 else f" {value:.4e}"


class Progbar:
    """A progress bar of ``current/target`` steps with ETA, time per step and averaged values.

    Args:
        target: total number of steps, or ``None`` when unknown.
        width: width of the bar in characters.
        verbose: 0 silent, 1 a bar redrawn in place, 2 one line when ``target`` is reached.
        interval: least seconds between two redraws (``verbose=1``).
        stateful_metrics: names of values shown as given; the others are
            averaged over the steps they were reported for.
        stateless_metrics: alternatively, the names of the values to average
            (all others are shown as given). Give at most one of the two.
        unit_name: what a step is called in ``ms/step``.

    Example::

        bar = kerasport.utils.Progbar(100)
        for i in range(100):
            loss = train_one_batch()
            bar.update(i + 1, values=[("loss", loss)])
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, stateless_metrics=None,
                 unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Progbar: give only one of `stateful_metrics` (values not to average) or "
                             "`stateless_metrics` (values to average).")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateless_metrics is not None:
            self.stateful_metrics, self.stateless_metrics = None, set(stateless_metrics)
        else:
            self.stateful_metrics, self.stateless_metrics = set(stateful_metrics or ()), None
        self._dynamic_display = ((hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
                                 or "ipykernel" in sys.modules or "posix" in sys.modules
                                 or "PYCHARM_HOSTED" in os.environ)
        self._seen_so_far = 0
        self._values = {}  # name -> [weighted sum, weight]
        self._values_order = []
        self._start = time.time()
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def _averaged(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Move the bar to step ``current``.

        Args:
            current: index of the current step (the number of steps done).
            values: list of ``(name, value_for_last_step)``; averaged values are
                weighted by the steps since the previous update.
            finalize: whether this is the last update; by default ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            if name not in self._values_order:
                self._values_order.append(name)
            if not self._averaged(name) or finalize:
                self._values[name] = [value, 1]
            else:
                weight = max(current - self._seen_so_far, 1)
                total = self._values.setdefault(name, [0, 0])
                total[0] += value * weight
                total[1] += weight
        self._seen_so_far = current
        now = time.time()
        time_per_unit = self._step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._draw(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize and self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            info = f"%{digits}d/%d - {now - self._start:.0f}s -" % (current, self.target)
            info += _format_duration(time_per_unit, self.unit_name)
            for name in self._values_order:
                info += f" - {name}:" + self._average_text(name, signed=False)
            io_utils.print_msg(info + "\n", line_break=False)
        self._last_update = now

    def _average_text(self, name, signed=True):
        total, count = self._values[name]
        if not isinstance(total, float):
            total = np.mean(total)
        avg = total / max(1, count)
        return _format_value(avg) if signed else (f" {avg:.4f}" if avg > 1e-3 else f" {avg:.4e}")

    def _draw(self, current, now, time_per_unit, finalize):
        message = "\b" * self._prev_total_width + "\r" if self._dynamic_display else "\n"
        hidden = 0  # characters of ANSI escapes, which take no width on screen
        if self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            bar = f"\x1b[1m{f'%{digits}d/%d' % (current, self.target)}\x1b[0m "
            hidden += 8
            done = int(self.width * float(current) / self.target)
            if done > 0:
                bar += f"\33[32m{'━' * done}\x1b[0m"
                hidden += 9
            bar += f"\33[37m{'━' * (self.width - done)}\x1b[0m"
            hidden += 9
        else:
            bar = "%7d/Unknown" % current
        if self.target is not None and self.target > 0 and not finalize:
            eta = time_per_unit * (self.target - current)
            if eta > 3600:
                eta_text = "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
            elif eta > 60:
                eta_text = "%d:%02d" % (eta // 60, eta % 60)
            else:
                eta_text = "%ds" % eta
            info = f" \x1b[1m{eta_text}\x1b[0m"
        else:
            info = f" \x1b[1m{now - self._start:.0f}s\x1b[0m"
        hidden += 8
        info += _format_duration(time_per_unit, self.unit_name)
        for name in self._values_order:
            info += f" - {name}:" + self._average_text(name)
        message += bar + info
        width = len(bar) + len(info) - hidden
        if self._prev_total_width > width:
            message += " " * (self._prev_total_width - width)
        if finalize:
            message += "\n"
        io_utils.print_msg(message, line_break=False)
        self._prev_total_width = width

    def add(self, n, values=None):
        """Advance the bar by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    def _step_duration(self, current, now):
        """Seconds per step, leaving out the first (warm-up) step once there are more."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit
