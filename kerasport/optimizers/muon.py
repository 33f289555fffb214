"""Muon: Newton-Schulz orthogonalised momentum for 2-D weights, AdamW for the rest (Keras's split)."""
import re

from kerasport.backends import B
from kerasport.optimizers.adam import adam_update_
from kerasport.optimizers.base import Optimizer


class Muon(Optimizer):
    """Muon (Jordan et al., 2024; Liu et al., 2025), as Keras computes it.

    A variable takes the AdamW step when it is not 2-D, when ``exclude_embeddings``
    is set and its path contains ``"embedding"`` (any case), or when one of the
    regular expressions in ``exclude_layers`` matches its path (``re.search``);
    every other variable takes the Muon step::

        m = momentum * m + g
        u = g + momentum * m            (nesterov; u = m otherwise)
        w -= lr * NS5(u) * sqrt(max(rows, cols)) * rms_rate

    ``NS5`` is ``ns_steps`` quintic Newton-Schulz iterations (coefficients
    ``muon_a``, ``muon_b``, ``muon_c``) on ``u / (||u||_F + 1e-7)``, which take
    it close to the orthogonal factor ``U V^T`` of its SVD. The AdamW step is
    Adam's with ``learning_rate * adam_lr_ratio``. Weight decay
    (``w -= lr * decay * w``) is ``weight_decay`` for Muon variables and
    ``adam_weight_decay`` for AdamW ones.

    Pass the name of the output layer in ``exclude_layers`` (e.g.
    ``exclude_layers=["output_dense"]``): Muon is not meant for it.

    Args:
        learning_rate: 0.001 by default.
        adam_beta_1: decay rate of the AdamW first moment (0.9).
        adam_beta_2: decay rate of the AdamW second moment (0.999).
        adam_weight_decay: decoupled weight decay of the AdamW variables (0.004; ``None``: none).
        epsilon: 1e-7, added to ``sqrt(v)`` in the AdamW step.
        weight_decay: decoupled weight decay of the Muon variables (0.004; ``None``: none).
        exclude_layers: regular expressions; variables whose path one of them matches take the AdamW step.
        exclude_embeddings: whether variables whose path contains ``"embedding"`` take the AdamW step (True).
        muon_a, muon_b, muon_c: the Newton-Schulz coefficients (3.4445, -4.7750, 2.0315).
        adam_lr_ratio: the AdamW step's learning rate over ``learning_rate`` (1).
        momentum: momentum of the Muon step (0.95).
        ns_steps: number of Newton-Schulz iterations (5).
        nesterov: use Nesterov momentum in the Muon step (True).
        rms_rate: scale of the Muon update, times ``sqrt(max(rows, cols))`` (0.2; ``None``: no scaling).
        **kwargs: the common arguments of ``Optimizer`` (``clipnorm``, ``use_ema``, ...).
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,
                 epsilon=1e-7, weight_decay=0.004, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None, exclude_embeddings=True,
                 muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5,
                 nesterov=True, rms_rate=0.2, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, **kwargs)
        if isinstance(exclude_layers, str) or not isinstance(exclude_layers, (list, tuple, type(None))) or any(
                not isinstance(k, str) for k in exclude_layers or ()):
            raise ValueError("Muon: `exclude_layers` must be a list of strings (regular expressions matched "
                             f"against variable paths). Received: exclude_layers={exclude_layers!r}")
        if not isinstance(ns_steps, int) or isinstance(ns_steps, bool) or ns_steps < 0:
            raise ValueError(f"Muon: `ns_steps` must be an integer >= 0. Received: ns_steps={ns_steps!r}")
        if rms_rate is not None and not isinstance(rms_rate, (int, float)):
            raise ValueError(f"Muon: `rms_rate` must be a float or None. Received: rms_rate={rms_rate!r}")
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps, self.nesterov = adam_lr_ratio, momentum, ns_steps, nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay, self.rms_rate = adam_weight_decay, rms_rate

    def _should_use_adamw(self, variable):
        """Whether ``variable`` takes the AdamW step (Keras's rule, see the class docstring)."""
        if len(variable.shape) != 2:
            return True
        path = variable.path or ""
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums, self.adam_velocities = [], []
        for v in variables:  # Keras's order: each variable's momentum, then its velocity if it takes AdamW
            self.momentums.append(self.add_variable_from_reference(v, "momentum"))
            self.adam_velocities.append(self.add_variable_from_reference(v, "velocity")
                                        if self._should_use_adamw(v) else None)

    def _apply_weight_decay(self, variables, lr):
        for rate, group in ((self.adam_weight_decay, [v for v in variables if self._should_use_adamw(v)]),
                            (self.weight_decay, [v for v in variables if not self._should_use_adamw(v)])):
            decayed = [v for v in group if self._use_weight_decay(v)] if rate is not None else []
            if decayed:
                B.foreach_mul_(decayed, 1.0 - lr * rate)

    def update(self, grads, variables, lr, step):
        momentums = self._slots_of(self.momentums)
        velocities = self._slots_of(self.adam_velocities)
        adam = [i for i, v in enumerate(velocities) if v is not None]
        if adam:
            adam_update_([variables[i] for i in adam], [grads[i] for i in adam], [momentums[i] for i in adam],
                         [velocities[i] for i in adam], None, lr * self.adam_lr_ratio, self.adam_beta_1,
                         self.adam_beta_2, self.epsilon, step)
        muon = [i for i, v in enumerate(velocities) if v is None]
        if not muon:
            return
        ms = B.foreach_add_(B.foreach_mul_([momentums[i] for i in muon], self.momentum), [grads[i] for i in muon])
        directions = [B.add(grads[i], B.multiply(m, self.momentum)) for i, m in zip(muon, ms)] if self.nesterov \
            else ms
        for i, direction in zip(muon, directions):
            update = self.zeropower_via_newtonschulz5(direction, self.ns_steps)
            scale = lr if self.rms_rate is None else lr * max(update.shape[0], update.shape[1]) ** 0.5 * self.rms_rate
            B.foreach_add_([variables[i]], [update], alpha=-scale)

    def zeropower_via_newtonschulz5(self, x, steps):
        """``steps`` quintic Newton-Schulz iterations on ``x / ||x||_F``: close to the orthogonal factor of ``x``."""
        shape = tuple(x.shape)
        if len(shape) < 2:
            raise ValueError(f"Expected gradient or momentum to have at least 2 dimensions. Received: shape={shape}")
        tall = shape[-2] > shape[-1]
        if tall:
            x = B.swapaxes(x, -2, -1)
        x = x / (B.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
        for _ in range(steps):
            gram = B.matmul(x, B.swapaxes(x, -2, -1))
            x = self.muon_a * x + B.matmul(self.muon_b * gram + self.muon_c * B.matmul(gram, gram), x)
        return B.swapaxes(x, -2, -1) if tall else x

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon, "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum, "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate}
