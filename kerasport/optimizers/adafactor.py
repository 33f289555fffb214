"""Adafactor: Adam-like steps with factored second moments for matrices (Shazeer & Stern, 2018)."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer, float_step


def _rms(xs):
    """``sqrt(mean(x^2))`` of each tensor."""
    return B.foreach_sqrt_(B.foreach_mean(B.foreach_mul(xs, xs)))


def _split(xs, factored):
    """``xs`` split into the entries of the factored variables (rank >= 2) and those of the others."""
    return [x for x, f in zip(xs, factored) if f], [x for x, f in zip(xs, factored) if not f]


def _smaller(a, b):
    """``min(a, b)`` of two step scalars: Python numbers (torch) or tensors (TensorFlow)."""
    return B.minimum(a, b) if B.is_tensor(a) or B.is_tensor(b) else min(a, b)


class Adafactor(Optimizer):
    """Adafactor, as Keras computes it.

    For a variable of rank >= 2 the second moment is kept as a row mean ``r`` (shape
    ``w.shape[:-1]``) and a column mean ``c`` (``w.shape[:-2] + w.shape[-1:]``) and rebuilt as
    ``v = (r / mean(r)) c``; smaller variables keep a full ``v``. With ``b2_t = 1 - t^beta_2_decay``
    and ``g2 = g^2 + epsilon_1``: ``r = b2_t*r + (1-b2_t)*mean(g2, -1)`` (likewise ``c`` over -2);
    ``u = g / sqrt(v)``, clipped to ``u / max(1, rms(u) / clip_threshold)``;
    ``w -= max(epsilon_2, rms(w)) * min(lr, 1/sqrt(t)) * u``.

    Args:
        learning_rate: 0.001 by default; the step uses ``min(learning_rate, 1 / sqrt(t))``.
        beta_2_decay: decay exponent of the second-moment rate (-0.8).
        epsilon_1: added to the squared gradients (1e-30).
        epsilon_2: the floor of the relative step's ``rms(w)`` (1e-3).
        clip_threshold: the update-clipping threshold (1.0).
        relative_step: Keras's flag (True), kept in the config; as in Keras, the rate is capped at
            ``1 / sqrt(t)`` either way.
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
                self._r.append(self.add_variable(shape[:-1], 0.0, B.dtype(var), name=name))  # var's dtype, as Keras
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], 0.0, B.dtype(var), name=name))
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    def update(self, grads, variables, lr, step):
        t = float_step(step)
        rho = _smaller(lr, 1.0 / t ** 0.5)  # Keras caps lr at 1/sqrt(t) here with or without `relative_step`
        beta_2_t = 1.0 - t ** self.beta_2_decay
        alphas = B.foreach_mul_(B.foreach_clamp_min(_rms(variables), self.epsilon_2), rho)
        g2 = B.foreach_add_(B.foreach_mul(grads, grads), self.epsilon_1)
        vs = self._slots_of(self._v)
        factored = [len(var.shape) >= 2 for var in variables]
        (g2_f, g2_v), (v_f, v_v) = _split(g2, factored), _split(vs, factored)
        if g2_f:  # the second moment's row and column means, and v rebuilt from them
            rs, cs = (_split(self._slots_of(slots), factored)[0] for slots in (self._r, self._c))
            rs = B.foreach_add_(B.foreach_mul_(rs, beta_2_t), B.foreach_mean(g2_f, axis=-1), alpha=1.0 - beta_2_t)
            cs = B.foreach_add_(B.foreach_mul_(cs, beta_2_t), B.foreach_mean(g2_f, axis=-2), alpha=1.0 - beta_2_t)
            rows = B.foreach_div(rs, B.foreach_mean(rs, axis=-1, keepdims=True))
            B.copy_into(v_f, B.foreach_mul([B.expand_dims(r, -1) for r in rows], [B.expand_dims(c, -2) for c in cs]))
        if g2_v:
            B.foreach_add_(B.foreach_mul_(v_v, beta_2_t), g2_v, alpha=1.0 - beta_2_t)
        us = B.foreach_div(grads, B.foreach_sqrt(vs))
        clips = B.foreach_clamp_min(B.foreach_div_(_rms(us), self.clip_threshold), 1.0)
        B.foreach_addcdiv_(variables, B.foreach_mul_(us, alphas), clips, value=-1.0)

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}
