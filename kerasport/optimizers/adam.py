"""Adam and AdamW, with Keras's epsilon placement and bias correction."""
from kerasport.backends import T
from kerasport.optimizers.base import Optimizer


class Adam(Optimizer):
    """Adam: ``w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)``, as in Keras.

    Args:
        learning_rate: 0.001 by default.
        beta_1, beta_2: decay rates of the first and second moments.
        epsilon: 1e-7 (Keras's default).
        amsgrad: keep the maximum of past second moments.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build(self, variables):
        super().build(variables)
        self.momentums, self.velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        self.velocity_hats = self.add_optimizer_variables(variables, "velocity_hat") if self.amsgrad else None
        self._slot_of = {id(v): i for i, v in enumerate(variables)}

    def update(self, grads, variables, lr, step):
        idx = [self._slot_of[id(v)] for v in variables]
        vhats = [self.velocity_hats[i] for i in idx] if self.amsgrad else None
        T.adam(variables, grads, [self.momentums[i] for i in idx], [self.velocities[i] for i in idx], vhats,
               lr, self.beta_1, self.beta_2, self.epsilon, step)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (``weight_decay=0.004`` by default, as Keras)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adamw", **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, weight_decay=weight_decay, **kwargs)
        if not weight_decay:
            raise ValueError("AdamW: `weight_decay` must be a positive float.")
