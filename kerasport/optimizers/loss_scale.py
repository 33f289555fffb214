"""``LossScaleOptimizer``: dynamic loss scaling around an inner optimizer (for float16 training)."""
from kerasport.backends import B
from kerasport.optimizers.base import Optimizer
from kerasport.core.serialization import serialize_keras_object


class LossScaleOptimizer(Optimizer):
    """Scales the loss up before the gradients are taken and the gradients down before the update.

    The train step calls ``scale_loss(loss)`` (``loss * dynamic_scale``) and then ``apply``:
    when every gradient is finite they are divided by the scale and handed to the inner
    optimizer, and after ``dynamic_growth_steps`` such steps in a row the scale doubles; when a
    gradient is ``inf``/``nan`` the update is skipped and the scale halves. Scales are powers of
    two, so in float32 training the updates equal the inner optimizer's.

    Args:
        inner_optimizer: the ``Optimizer`` that makes the updates.
        initial_scale: the first loss scale (``2**15``).
        dynamic_growth_steps: finite steps between two doublings (2000).
        name: the optimizer's name.

    Variables: ``iterations``, ``learning_rate`` (unused, as in Keras), ``step_counter``,
    ``dynamic_scale``, then the inner optimizer's.
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                             "`loss_scale_factor` directly on the `inner_optimizer`.")
        defaults = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                    "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                    "loss_scale_factor": None, "gradient_accumulation_steps": None}
        for key, default in defaults.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{key}`. Instead, set `{key}` on the "
                                 "`inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(f"LossScaleOptimizer: `inner_optimizer` must be an Optimizer, received "
                             f"{inner_optimizer!r}.")
        if not isinstance(dynamic_growth_steps, int) or dynamic_growth_steps < 1:
            raise ValueError("LossScaleOptimizer: `dynamic_growth_steps` must be a positive integer, received "
                             f"{dynamic_growth_steps!r}.")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, variables):
        if self.built:
            return
        self.step_counter = B.host_variable(0, "int64", "step_counter")
        self.dynamic_scale = B.host_variable(self.initial_scale, "float32", "dynamic_scale")
        self._slots += [self.step_counter, self.dynamic_scale]
        self.step_counter.path, self.dynamic_scale.path = f"{self.name}/step_counter", f"{self.name}/dynamic_scale"
        self.inner_optimizer.build(variables)
        super().build(variables)

    @property
    def variables(self):
        return super().variables + self.inner_optimizer.variables

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def check_finite(self, grads):
        """Whether every gradient is free of ``inf`` and ``nan`` (a boolean tensor)."""
        return B.all(B.stack([B.all(B.isfinite(g)) for g in grads if g is not None]))

    def apply(self, grads, trainable_variables=None):
        trainable_variables = self._built_on(trainable_variables)
        B.cond(self.check_finite(grads), lambda: self._finite_step(grads, trainable_variables),
               self._non_finite_step)

    def _finite_step(self, grads, variables):
        scale = B.cast(B.convert_to_tensor(self.dynamic_scale), "float32")
        self.inner_optimizer.apply([None if g is None else g / B.cast(scale, B.dtype(g)) for g in grads], variables)
        count = B.convert_to_tensor(self.step_counter)
        grow = B.equal(count, self.dynamic_growth_steps - 1)
        B.assign(self.dynamic_scale, B.where(grow, scale * 2.0, scale))
        B.assign(self.step_counter, B.where(grow, B.zeros_like(count), count + 1))

    def _non_finite_step(self):
        B.assign(self.step_counter, B.zeros_like(B.convert_to_tensor(self.step_counter)))
        B.assign(self.dynamic_scale, B.convert_to_tensor(self.dynamic_scale) * 0.5)

    def scale_loss(self, loss):
        """``loss * dynamic_scale`` (``initial_scale`` before the first step)."""
        if not self.built:
            return loss * self.initial_scale
        return loss * B.cast(B.convert_to_tensor(self.dynamic_scale), B.dtype(loss))

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {"name": self.name, "inner_optimizer": serialize_keras_object(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasport.optimizers.lookup import deserialize
        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)
