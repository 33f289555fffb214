"""RMSprop, plain or centered, with optional momentum."""
from kerasport.backends import T
from kerasport.optimizers.base import Optimizer


class RMSprop(Optimizer):
    """``v = rho*v + (1-rho)*g^2; w -= lr * g / sqrt(v + epsilon)`` (Keras's placement of epsilon).

    Args:
        learning_rate: 0.001 by default.
        rho: decay of the moving average of squared gradients (0.9).
        momentum: momentum on the increments (0 disables it).
        epsilon: 1e-7.
        centered: normalise by the variance estimate ``v - mean(g)^2``.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build(self, variables):
        super().build(variables)
        self.velocities = self.add_optimizer_variables(variables, "velocity")
        self.momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum > 0 else None
        self.average_gradients = self.add_optimizer_variables(variables, "average_gradient") \
            if self.centered else None
        self._slot_of = {id(v): i for i, v in enumerate(variables)}

    def update(self, grads, variables, lr, step):
        idx = [self._slot_of[id(v)] for v in variables]
        pick = lambda slots: [slots[i] for i in idx] if slots is not None else None  # noqa: E731
        T.rmsprop(variables, grads, pick(self.velocities), pick(self.momentums), pick(self.average_gradients),
                  lr, self.rho, self.momentum, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
