"""Lamb: Adam moments with a layer-wise trust ratio ``||w|| / ||update||`` (You et al., 2019)."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer


def as_float(x):
    """A step count or learning rate (Python number on torch, tensor on TensorFlow) as a float32 tensor."""
    return B.cast(B.convert_to_tensor(x), "float32")


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
        lr, t = as_float(lr), as_float(step)
        c1, c2 = 1.0 - self.beta_1 ** t, 1.0 - self.beta_2 ** t
        for v, g, m, s in zip(variables, grads, self._slots_of(self.momentums, variables),
                              self._slots_of(self.velocities, variables)):
            B.assign(m, m + (g - m) * (1 - self.beta_1))
            B.assign(s, s + (B.square(g) - s) * (1 - self.beta_2))
            update = (m / c1) / (B.sqrt(s / c2) + self.epsilon)
            w_norm, u_norm = B.sqrt(B.sum(B.square(v))), B.sqrt(B.sum(B.square(update)))
            ratio = B.where(B.greater(w_norm, 0), B.where(B.greater(u_norm, 0), w_norm / u_norm, 1.0), 1.0)
            B.assign(v, v - ratio * lr * update)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
