"""FTRL-Proximal (McMahan et al., 2013), with L1, L2 and L2-shrinkage regularization."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer


class Ftrl(Optimizer):
    """Follow The Regularized Leader, as Keras computes it.

    ``n' = n + g^2; z += g + 2*l2_shrinkage*w - (n'^-p - n^-p) / lr * w;
    w = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2*(l2 + beta / (2*lr)))`` with
    ``p = learning_rate_power``.

    Args:
        learning_rate: 0.001 by default.
        learning_rate_power: ``<= 0``; -0.5 by default.
        initial_accumulator_value: starting value of ``n`` (0.1, ``>= 0``).
        l1_regularization_strength, l2_regularization_strength: ``>= 0``.
        l2_shrinkage_regularization_strength: L2 penalty on the weights in the gradient (``>= 0``).
        beta: the paper's beta (0.0).
        **kwargs: the common arguments of ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        for arg, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be positive or zero. Received: {arg}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError("`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.accumulators, self.linears = self.add_optimizer_variables(
            variables, ["accumulator", "linear"], initializer=[float(self.initial_accumulator_value), "zeros"])

    def update(self, grads, variables, lr, step):
        accumulators = self._slots_of(self.accumulators)
        power, l1, shrinkage = -self.learning_rate_power, self.l1_regularization_strength, \
            self.l2_shrinkage_regularization_strength
        new_accumulators = B.foreach_addcmul(accumulators, grads, grads)
        new_pow = B.foreach_pow(new_accumulators, power)
        sigma = B.foreach_div_(B.foreach_add(new_pow, B.foreach_pow(accumulators, power), alpha=-1), lr)
        linears = B.foreach_add_(self._slots_of(self.linears),
                                 B.foreach_add(grads, variables, alpha=2 * shrinkage) if shrinkage else grads)
        linears = B.foreach_add_(linears, B.foreach_mul(sigma, variables), alpha=-1)
        quadratic = B.foreach_add_(B.foreach_div(new_pow, lr),
                                   2 * (self.l2_regularization_strength + self.beta / (2.0 * lr)))
        new_w = B.foreach_add_(B.foreach_clamp_min(B.foreach_clamp_max(linears, l1), -l1), linears, alpha=-1)
        B.copy_into(variables, B.foreach_div_(new_w, quadratic))
        B.copy_into(accumulators, new_accumulators)

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
