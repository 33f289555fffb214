"""Adafactor: Adam-like steps with factored second moments for matrices (Shazeer & Stern, 2018)."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer
from kerasport.optimizers.lamb import as_float


def _rms(x):
    return B.sqrt(B.mean(B.square(x)))


class Adafactor(Optimizer):
    """Adafactor, as Keras computes it.

    For a variable of rank >= 2 the second moment is kept as a row mean ``r`` (shape
    ``w.shape[:-1]``) and a column mean ``c`` (``w.shape[:-2] + w.shape[-1:]``) and rebuilt as
    ``v = (r / mean(r)) c``; smaller variables keep a full ``v``. With ``b2_t = 1 - t^beta_2_decay``
    and ``g2 = g^2 + epsilon_1``: ``r = b2_t*r + (1-b2_t)*mean(g2, -1)`` (likewise ``c`` over -2);
    ``u = g / sqrt(v)``, clipped to ``u / max(1, rms(u) / clip_threshold)``;
    ``w -= max(epsilon_2, rms(w)) * min(lr, 1/sqrt(t)) * u``.

    Args:
        learning_rate: 0.001 by default; with ``relative_step`` (and a constant rate) it is capped
            at ``1 / sqrt(t)``.
        beta_2_decay: decay exponent of the second-moment rate (-0.8).
        epsilon_1: added to the squared gradients (1e-30).
        epsilon_2: the floor of the relative step's ``rms(w)`` (1e-3).
        clip_threshold: the update-clipping threshold (1.0).
        relative_step: cap the learning rate at ``1 / sqrt(t)`` (True).
        **kwargs: the common arguments of ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
                 relative_step=True, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._r, self._c, self._v = [], [], []
        for var in variables:
            shape = tuple(var.shape)
            name = (var.path or "").replace("/", "_")
            if len(shape) < 2:  # Keras keeps two unused scalars here (they are saved with the optimizer)
                self._r.append(self.add_variable((), 0.0, name=name))
                self._c.append(self.add_variable((), 0.0, name=name))
            else:
                self._r.append(self.add_variable(shape[:-1], 0.0, name=name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], 0.0, name=name))
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    def update(self, grads, variables, lr, step):
        lr, t = as_float(lr), as_float(step)
        if not callable(self._learning_rate) and self.relative_step:
            lr = B.minimum(lr, 1.0 / B.sqrt(t))
        rho = B.minimum(lr, 1.0 / B.sqrt(t))
        beta_2_t = 1.0 - B.power(t, self.beta_2_decay)
        for var, g, r, c, v in zip(variables, grads, self._slots_of(self._r, variables),
                                   self._slots_of(self._c, variables), self._slots_of(self._v, variables)):
            alpha = B.maximum(self.epsilon_2, _rms(var)) * rho
            g2 = B.square(g) + self.epsilon_1
            if len(var.shape) >= 2:
                B.assign(r, beta_2_t * r + (1.0 - beta_2_t) * B.mean(g2, axis=-1))
                B.assign(c, beta_2_t * c + (1.0 - beta_2_t) * B.mean(g2, axis=-2))
                B.assign(v, B.expand_dims(r / B.mean(r, axis=-1, keepdims=True), -1) * B.expand_dims(c, -2))
            else:
                B.assign(v, beta_2_t * v + (1.0 - beta_2_t) * g2)
            u = g / B.sqrt(v)
            u = u / B.maximum(1.0, _rms(u) / self.clip_threshold)
            B.assign(var, var - alpha * u)

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}
