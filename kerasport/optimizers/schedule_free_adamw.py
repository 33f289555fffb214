"""ScheduleFreeAdamW: AdamW without a learning-rate schedule, by interpolation and averaging (Defazio et al., 2024)."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer, float_step


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW, as Keras computes it.

    The ``momentum`` slot holds the sequence ``z`` the Adam-normalised gradient
    steps are taken on (it starts at the variable's value); the variable ``y``
    is an interpolation of ``z`` and its running average. Each step ``t``::

        v = beta_2 * v + (1 - beta_2) * g^2
        z -= lr_t * g / (sqrt(v / (1 - beta_2^t)) + epsilon)
        y = (1 - 1/t) * y + (1/t) * z

    with ``lr_t = lr * min(t / warmup_steps, 1)`` (``lr`` without warmup). The
    last line is Keras's computation: it recovers the average from ``y`` and
    the already updated ``z``, which reduces its interpolation with weight
    ``beta_1`` to this one.

    Args:
        learning_rate: 0.0025 by default.
        beta_1: interpolation weight of the average (0.9), in ``(0, 1]``.
        beta_2: decay rate of the second moment (0.999).
        epsilon: 1e-8, added to the bias-corrected ``sqrt(v)``.
        warmup_steps: steps over which the learning rate rises linearly to ``learning_rate`` (0: none).
        **kwargs: the common arguments of ``Optimizer`` (``weight_decay``, ``clipnorm``, ``use_ema``, ...).
    """

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if isinstance(beta_1, (int, float)) and not 0 < beta_1 <= 1:
            raise ValueError(f"ScheduleFreeAdamW: `beta_1` must be in (0, 1]. Received: beta_1={beta_1}")
        if not isinstance(warmup_steps, int) or isinstance(warmup_steps, bool) or warmup_steps < 0:
            raise ValueError("ScheduleFreeAdamW: `warmup_steps` must be an integer >= 0. Received: "
                             f"warmup_steps={warmup_steps!r}")
        self.beta_1, self.beta_2, self.epsilon, self.warmup_steps = beta_1, beta_2, epsilon, warmup_steps

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        B.copy_into(self._momentums, list(variables))

    def update(self, grads, variables, lr, step):
        step = float_step(step)
        if self.warmup_steps > 0:
            lr = lr * B.minimum(step / self.warmup_steps, 1.0) if B.is_tensor(step) else \
                lr * min(step / self.warmup_steps, 1.0)
        vs = B.foreach_lerp_(self._slots_of(self._velocities), B.foreach_mul(grads, grads),
                             1 - self.beta_2)
        denom = B.foreach_add_(B.foreach_sqrt_(B.foreach_div(vs, 1 - self.beta_2 ** step)), self.epsilon)
        zs = B.foreach_addcdiv_(self._slots_of(self._momentums), grads, denom, value=-lr)
        B.foreach_lerp_(variables, zs, 1.0 / step)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps}
