"""Stochastic gradient descent with optional (Nesterov) momentum."""
from kerasport.backends import T
from kerasport.optimizers.base import Optimizer


class SGD(Optimizer):
    """``v = momentum * v - lr * g; w += v`` (Nesterov: ``w += momentum * v - lr * g``), as in Keras.

    Args:
        learning_rate: 0.01 by default.
        momentum: 0 disables momentum.
        nesterov: use Nesterov momentum.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be in [0, 1], received {momentum}.")
        self.momentum, self.nesterov = momentum, nesterov

    def build(self, variables):
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum") if self.momentum else []
        self._slot_of = {id(v): i for i, v in enumerate(variables)}

    def update(self, grads, variables, lr, step):
        moms = [self.momentums[self._slot_of[id(v)]] for v in variables] if self.momentum else None
        T.sgd(variables, grads, moms, lr, self.momentum, self.nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
