"""RMSprop, plain or centered, with optional momentum."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton), with Keras's placement of epsilon.

    ``v = rho*v + (1-rho)*g^2; w -= lr * g / sqrt(v + epsilon)``; centered:
    ``sqrt(v - mean_g^2 + epsilon)``; with momentum the increments go through
    ``m = momentum*m + increment; w -= m``.

    Args:
        learning_rate: 0.001 by default.
        rho: decay of the moving average of squared gradients (0.9).
        momentum: momentum on the increments (0 disables it).
        epsilon: 1e-7.
        centered: normalise by the variance estimate ``v - mean(g)^2``.
        **kwargs: the common arguments of ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.velocities = self.add_optimizer_variables(variables, "velocity")
        self.momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum > 0 else None
        self.average_gradients = self.add_optimizer_variables(variables, "average_gradient") \
            if self.centered else None

    def update(self, grads, variables, lr, step):
        rho = self.rho
        velocities = B.foreach_addcmul_(B.foreach_mul_(self._slots_of(self.velocities), rho), grads, grads,
                                        value=1 - rho)
        if self.average_gradients is not None:
            averages = B.foreach_add_(B.foreach_mul_(self._slots_of(self.average_gradients), rho), grads,
                                      alpha=1 - rho)
            denom = B.foreach_add_(B.foreach_addcmul(velocities, averages, averages, value=-1), self.epsilon)
        else:
            denom = B.foreach_add(velocities, self.epsilon)
        denom = B.foreach_sqrt_(denom)
        if self.momentums is not None:
            moms = B.foreach_addcdiv_(B.foreach_mul_(self._slots_of(self.momentums), self.momentum),
                                      grads, denom, value=lr)
            B.foreach_add_(variables, moms, alpha=-1)
        else:
            B.foreach_addcdiv_(variables, grads, denom, value=-lr)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
