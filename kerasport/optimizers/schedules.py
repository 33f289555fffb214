"""Learning-rate schedules: the learning rate as a function of the optimizer step, with Keras's formulas.

A schedule is called with the step count: a Python number on torch (the formula
runs in ``math``, so a step launches no kernel) or a tensor on TensorFlow (the
formula becomes part of the compiled train step).
"""
import math
import numbers

from kerasport.backends import B
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object


class _PythonMath:
    """The few functions the formulas need, for a Python-number step."""
    floor, ceil, cos, log = math.floor, math.ceil, math.cos, math.log
    minimum = min

    @staticmethod
    def cond(pred, true_fn, false_fn):
        return true_fn() if pred else false_fn()


class _TensorMath:
    """The same functions, for a tensor step (``B`` ops)."""
    floor, ceil, cos, log, minimum, cond = B.floor, B.ceil, B.cos, B.log, B.minimum, B.cond


def _math(step):
    """``(namespace, step as float)`` for a Python-number or tensor ``step``."""
    if isinstance(step, numbers.Number):
        return _PythonMath, float(step)
    return _TensorMath, B.cast(step, "float32")


class LearningRateSchedule:
    """Base class of learning-rate schedules: ``schedule(step) -> learning rate``.

    Subclass it, write ``__call__(self, step)`` and ``get_config()``, and pass an
    instance as an optimizer's ``learning_rate``::

        class InverseSqrt(kerasport.optimizers.schedules.LearningRateSchedule):
            def __init__(self, initial_learning_rate):
                self.initial_learning_rate = initial_learning_rate

            def __call__(self, step):
                return self.initial_learning_rate / (step + 1) ** 0.5

            def get_config(self):
                return {"initial_learning_rate": self.initial_learning_rate}
    """

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule {type(self).__name__!r} must override "
                                  "`__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(f"Learning rate schedule {type(self).__name__!r} must override `get_config()` "
                                  "in order to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check_decay_steps(decay_steps):
    if decay_steps <= 0:
        raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}")


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: steps over which the rate is multiplied by ``decay_rate``.
        decay_rate: the decay factor.
        staircase: decay in whole steps (``floor(step / decay_steps)``).
        name: name of the schedule.

    Example::

        schedule = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96, staircase=True)
        optimizer = kerasport.optimizers.SGD(learning_rate=schedule)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        m, step = _math(step)
        p = step / self.decay_steps
        if self.staircase:
            p = m.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``.

    Args:
        boundaries: increasing step counts.
        values: one more value than boundaries: ``values[0]`` up to ``boundaries[0]``,
            ..., ``values[-1]`` after ``boundaries[-1]``.
        name: name of the schedule.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of values. Received: "
                             f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of "
                             f"length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        if isinstance(step, numbers.Number):
            return next((v for b, v in zip(self.boundaries, self.values) if step <= b), self.values[-1])
        step = B.cast(step, "float32")
        result = B.convert_to_tensor(self.values[-1], "float32")
        for b, v in reversed(list(zip(self.boundaries, self.values[:-1]))):
            result = B.where(B.less_equal(step, float(b)), v, result)
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` in ``decay_steps`` steps::

        (initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end

    Args:
        initial_learning_rate, end_learning_rate: the rates at step 0 and at ``decay_steps``.
        decay_steps: length of the decay.
        power: the polynomial's power (1: linear).
        cycle: restart the decay at each multiple of ``decay_steps`` instead of staying at the end.
        name: name of the schedule.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        m, step = _math(step)
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps = decay_steps * m.cond(step == 0, lambda: 1.0, lambda: m.ceil(step / self.decay_steps))
        else:
            step = m.minimum(step, float(decay_steps))
        p = step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * (1 - p) ** self.power + \
            self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: how often to apply ``decay_rate``.
        decay_rate: the decay factor.
        staircase: decay in whole steps (``floor(step / decay_steps)``).
        name: name of the schedule.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        m, step = _math(step)
        p = step / self.decay_steps
        if self.staircase:
            p = m.floor(p)
        return self.initial_learning_rate / (1 + self.decay_rate * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


def _cosine(fraction, m, alpha):
    return (1 - alpha) * 0.5 * (1.0 + m.cos(math.pi * fraction)) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay (SGDR without restarts), optionally after a linear warmup.

    Without warmup: ``initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)``.
    With ``warmup_target``: a linear ramp from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps``, then the cosine decay from ``warmup_target``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: length of the decay.
        alpha: the final rate as a fraction of the decayed-from rate.
        name: name of the schedule.
        warmup_target: the rate at the end of the warmup (``None``: no warmup).
        warmup_steps: length of the warmup.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        m, step = _math(step)
        if self.warmup_target is None:
            step = m.minimum(step, float(self.decay_steps))
            return self.initial_learning_rate * _cosine(step / self.decay_steps, m, self.alpha)
        step = m.minimum(step, float(self.decay_steps + self.warmup_steps))
        start, target = self.initial_learning_rate, self.warmup_target
        return m.cond(step < self.warmup_steps,
                      lambda: (target - start) * (step / self.warmup_steps) + start,
                      lambda: target * _cosine((step - self.warmup_steps) / self.decay_steps, m, self.alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    The first period lasts ``first_decay_steps``; each next one is ``t_mul`` times
    longer and starts from ``m_mul`` times the previous initial rate.

    Args:
        initial_learning_rate: the learning rate at step 0.
        first_decay_steps: length of the first period.
        t_mul: growth of the period length.
        m_mul: decay of the initial rate at each restart.
        alpha: the final rate of a period as a fraction of its initial rate.
        name: name of the schedule.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        _check_decay_steps(first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        m, step = _math(step)
        fraction = step / self.first_decay_steps
        t_mul = self._t_mul
        if t_mul == 1.0:
            i_restart = m.floor(fraction)
            fraction = fraction - i_restart
        else:
            i_restart = m.floor(m.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            sum_r = (1.0 - t_mul ** i_restart) / (1.0 - t_mul)
            fraction = (fraction - sum_r) / t_mul ** i_restart
        decayed = self._m_mul ** i_restart * (1 - self.alpha) * 0.5 * (1.0 + m.cos(math.pi * fraction)) + self.alpha
        return self.initial_learning_rate * decayed

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self._t_mul, "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {c.__name__: c for c in (LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay,
                                      PolynomialDecay, InverseTimeDecay, CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule):
    """The Keras dict form (``{"module", "class_name", "config", ...}``) of a schedule."""
    return serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """A schedule from its dict form (Keras 3 or Keras 2 layout)."""
    return deserialize_keras_object(config, _SCHEDULES, custom_objects, "decay")
