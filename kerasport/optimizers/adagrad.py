"""Adagrad and Adadelta: per-coordinate learning rates from accumulated squared gradients."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): ``a += g^2; w -= lr * g / sqrt(a + epsilon)``.

    Args:
        learning_rate: 0.001 by default.
        initial_accumulator_value: starting value of the accumulators (0.1).
        epsilon: 1e-7.
        **kwargs: the common arguments of ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.accumulators = self.add_optimizer_variables(variables, "accumulator",
                                                         initializer=float(self.initial_accumulator_value))

    def update(self, grads, variables, lr, step):
        accumulators = B.foreach_addcmul_(self._slots_of(self.accumulators), grads, grads)
        B.foreach_addcdiv_(variables, grads, B.foreach_sqrt_(B.foreach_add(accumulators, self.epsilon)), value=-lr)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), scaled by ``learning_rate`` as in Keras.

    ``a = rho*a + (1-rho)*g^2; d = -sqrt(s + eps) / sqrt(a + eps) * g;
    s = rho*s + (1-rho)*d^2; w += lr * d``.

    Args:
        learning_rate: 0.001 by default (1.0 gives the paper's rule).
        rho: decay rate of both averages (0.95).
        epsilon: 1e-7.
        **kwargs: the common arguments of ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.accumulated_grads, self.accumulated_delta_vars = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"])

    def update(self, grads, variables, lr, step):
        rho = self.rho
        acc_grads = B.foreach_addcmul_(B.foreach_mul_(self._slots_of(self.accumulated_grads), rho),
                                       grads, grads, value=1 - rho)
        acc_deltas = self._slots_of(self.accumulated_delta_vars)
        delta = B.foreach_mul_(B.foreach_sqrt_(B.foreach_add(acc_deltas, self.epsilon)), grads)
        delta = B.foreach_div_(delta, B.foreach_sqrt_(B.foreach_add(acc_grads, self.epsilon)))
        B.foreach_addcmul_(B.foreach_mul_(acc_deltas, rho), delta, delta, value=1 - rho)
        B.foreach_add_(variables, delta, alpha=-lr)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
