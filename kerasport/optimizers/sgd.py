"""Stochastic gradient descent with optional (Nesterov) momentum."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer


class SGD(Optimizer):
    """Gradient descent, with Keras's momentum form.

    ``v = momentum * v - lr * g; w += v`` (Nesterov: ``w += momentum * v - lr * g``);
    without momentum ``w -= lr * g``.

    Args:
        learning_rate: 0.01 by default.
        momentum: in ``[0, 1]``; 0 disables momentum.
        nesterov: use Nesterov momentum.
        **kwargs: the common arguments of ``Optimizer`` (``weight_decay``, ``clipnorm``, ``use_ema``, ...).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum, self.nesterov = momentum, nesterov

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum else None

    def update(self, grads, variables, lr, step):
        if self.momentums is None:
            B.foreach_add_(variables, grads, alpha=-lr)
            return
        moms = B.foreach_add_(B.foreach_mul_(self._slots_of(self.momentums), self.momentum), grads,
                              alpha=-lr)
        if self.nesterov:
            B.foreach_add_(B.foreach_add_(variables, moms, alpha=self.momentum), grads, alpha=-lr)
        else:
            B.foreach_add_(variables, moms)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
