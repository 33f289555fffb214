"""Lamb: Adam moments with a layer-wise trust ratio ``||w|| / ||update||`` (You et al., 2019)."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer, float_step


class Lamb(Optimizer):
    """Lamb, as Keras computes it.

    ``m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + epsilon);
    w -= lr * (||w|| / ||u||) * u`` (the ratio is 1 when either norm is 0).

    Args:
        learning_rate: 0.001 by default.
        beta_1: decay rate of the first moment (0.9).
        beta_2: decay rate of the second moment (0.999).
        epsilon: 1e-7, added to the bias-corrected ``sqrt(v)``.
        **kwargs: the common arguments of ``Optimizer`` (``weight_decay``, ``clipnorm``, ``use_ema``, ...).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums, self.velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])

    def update(self, grads, variables, lr, step):
        step = float_step(step)
        ms = B.foreach_lerp_(self._slots_of(self.momentums), grads, 1 - self.beta_1)
        vs = B.foreach_lerp_(self._slots_of(self.velocities), B.foreach_mul(grads, grads),
                             1 - self.beta_2)
        denom = B.foreach_add_(B.foreach_sqrt_(B.foreach_div(vs, 1 - self.beta_2 ** step)), self.epsilon)
        updates = B.foreach_div_(B.foreach_div(ms, 1 - self.beta_1 ** step), denom)
        w_norm, u_norm = B.stack(B.foreach_norm(variables)), B.stack(B.foreach_norm(updates))
        ratio = B.where(B.greater(w_norm, 0), B.where(B.greater(u_norm, 0), w_norm / u_norm, 1.0), 1.0)
        B.foreach_addcmul_(variables, updates, B.unstack(ratio), value=-lr)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
