"""Adam, AdamW, Adamax and Nadam: the Adam family, with Keras's epsilon placement and bias correction."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer, float_step


def adam_update_(variables, grads, momentums, velocities, velocity_hats, lr, beta_1, beta_2, epsilon, step):
    """Keras's Adam step on ``variables`` in place (AMSGrad when ``velocity_hats`` is not ``None``): one
    ``torch._fused_adam_`` kernel where the backend has it, the ``foreach_*`` primitives otherwise."""
    if B.fused_adam_(variables, grads, momentums, velocities, velocity_hats, lr, beta_1, beta_2, epsilon, step):
        return
    step = float_step(step)
    alpha = lr * (1 - beta_2 ** step) ** 0.5 / (1 - beta_1 ** step)
    ms = B.foreach_lerp_(momentums, grads, 1 - beta_1)
    vs = B.foreach_lerp_(velocities, B.foreach_mul(grads, grads), 1 - beta_2)
    if velocity_hats is not None:
        vs = B.foreach_maximum_(velocity_hats, vs)
    B.foreach_addcdiv_(variables, ms, B.foreach_add_(B.foreach_sqrt(vs), epsilon), value=-alpha)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), as Keras computes it.

    ``m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)``.
    On torch, float32 and float64 variables take one ``torch._fused_adam_`` kernel per step.

    Args:
        learning_rate: 0.001 by default.
        beta_1: decay rate of the first moment (0.9).
        beta_2: decay rate of the second moment (0.999).
        epsilon: 1e-7 (Keras's default, added to ``sqrt(v)``).
        amsgrad: use the maximum of past second moments (AMSGrad).
        **kwargs: the common arguments of ``Optimizer`` (``weight_decay``, ``clipnorm``, ``use_ema``, ...).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name=None,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums, self.velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        self.velocity_hats = self.add_optimizer_variables(variables, "velocity_hat") if self.amsgrad else None

    def update(self, grads, variables, lr, step):
        adam_update_(variables, grads, self._slots_of(self.momentums),
                     self._slots_of(self.velocities), self._slots_of(self.velocity_hats), lr,
                     self.beta_1, self.beta_2, self.epsilon, step)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): ``weight_decay=0.004`` by default.

    Args:
        learning_rate, beta_1, beta_2, epsilon, amsgrad: as ``Adam``.
        weight_decay: ``w -= lr * weight_decay * w`` before each Adam update.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, name=name, weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm (Kingma & Ba, 2014, section 7).

    ``m = b1*m + (1-b1)*g; u = max(b2*u, |g|); w -= lr * m / ((1 - b1^t) * (u + epsilon))``.

    Args:
        learning_rate: 0.001 by default.
        beta_1: decay rate of the first moment (0.9).
        beta_2: decay rate of the weighted infinity norm (0.999).
        epsilon: 1e-7.
        **kwargs: the common arguments of ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums, self.norms = self.add_optimizer_variables(variables, ["momentum", "norm"])

    def update(self, grads, variables, lr, step):
        ms = B.foreach_lerp_(self._slots_of(self.momentums), grads, 1 - self.beta_1)
        us = B.foreach_maximum_(B.foreach_mul_(self._slots_of(self.norms), self.beta_2),
                                B.foreach_abs(grads))
        B.foreach_addcdiv_(variables, ms, B.foreach_add(us, self.epsilon),
                           value=-lr / (1 - self.beta_1 ** float_step(step)))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat, 2015), with Keras's momentum schedule ``b1 * (1 - 0.5 * 0.96^t)``.

    Args:
        learning_rate: 0.001 by default.
        beta_1: decay rate of the first moment (0.9).
        beta_2: decay rate of the second moment (0.999).
        epsilon: 1e-7.
        **kwargs: the common arguments of ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums, self.velocities = self.add_optimizer_variables(variables, ["momentum", "velocity"])
        self.u_product = B.host_variable(1.0, "float32", "u_product")
        self.u_product.path = f"{self.name}/u_product"
        self._slots.append(self.u_product)

    def update(self, grads, variables, lr, step):
        step = float_step(step)
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96 ** step)
        u_t_1 = self.beta_1 * (1.0 - 0.5 * 0.96 ** (step + 1))
        product = B.read(self.u_product) * u_t  # the running product of the momentum schedule
        B.assign(self.u_product, product)
        ms = B.foreach_lerp_(self._slots_of(self.momentums), grads, 1 - self.beta_1)
        vs = B.foreach_lerp_(self._slots_of(self.velocities), B.foreach_mul(grads, grads),
                             1 - self.beta_2)
        m_hat = B.foreach_add_(B.foreach_mul(ms, u_t_1 / (1 - product * u_t_1)), grads,
                               alpha=(1 - u_t) / (1 - product))
        denom = B.foreach_add_(B.foreach_sqrt_(B.foreach_div(vs, 1 - self.beta_2 ** step)), self.epsilon)
        B.foreach_addcdiv_(variables, m_hat, denom, value=-lr)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
