"""Lion: sign updates of an interpolated momentum (Chen et al., 2023)."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer


class Lion(Optimizer):
    """``w -= lr * sign(b1*m + (1-b1)*g); m = b2*m + (1-b2)*g``.

    Every coordinate moves by ``lr``, so Lion wants a learning rate 3-10x smaller
    than Adam's.

    Args:
        learning_rate: 0.001 by default.
        beta_1: interpolation of momentum and gradient in the update (0.9), in ``(0, 1]``.
        beta_2: decay rate of the momentum (0.99).
        **kwargs: the common arguments of ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates "
                             f"to SignSGD. Received: beta_1={beta_1}.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update(self, grads, variables, lr, step):
        ms = self._slots_of(self.momentums)
        B.foreach_add_(variables, B.foreach_sign_(B.foreach_lerp(ms, grads, 1 - self.beta_1)), alpha=-lr)
        B.foreach_lerp_(ms, grads, 1 - self.beta_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
