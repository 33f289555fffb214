"""The ``Optimizer`` base: hyper-parameters, slot variables, clipping, weight decay.

The update rules themselves are the backend's fused multi-tensor kernels
(``T.adam``, ``T.sgd``, ...); an optimizer here only says which kernel and
which slots. ``apply`` runs inside the backend's train step.
"""
from kerasport.backends import B, T
from kerasport.utils import naming


class Optimizer:
    """Base class of optimizers.

    Args:
        learning_rate: a float, or a ``LearningRateSchedule`` called with the step count.
        weight_decay: decoupled weight decay ``w -= lr * weight_decay * w`` before each update.
        clipnorm, clipvalue, global_clipnorm: gradient clipping, as in Keras.
    """

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        kwargs.pop("decay", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}.")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of clipnorm, clipvalue and global_clipnorm can be set.")
        self.name = name or naming.to_snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum, self.ema_overwrite_frequency = use_ema, ema_momentum, ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.iterations = T.host_variable(0, "int64", "iteration")
        if callable(learning_rate) and not isinstance(learning_rate, (int, float)):
            self._schedule = learning_rate
            self._learning_rate = None
        else:
            self._schedule = None
            self._learning_rate = T.host_variable(float(learning_rate), "float32", "learning_rate")
        self.built = False
        self._slots = []
        self._exclude_ids = set()

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The current learning rate (the schedule's value at ``iterations`` for a schedule)."""
        if self._schedule is not None:
            return self._schedule(T.read(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value) and not isinstance(value, (int, float)):
            self._schedule = value
            return
        if self._schedule is not None:
            raise TypeError("This optimizer uses a learning-rate schedule; its learning_rate cannot be set.")
        B.assign(self._learning_rate, float(value))

    lr = learning_rate

    def _current_lr(self):
        if self._schedule is not None:
            return self._schedule(T.read(self.iterations))
        return T.read(self._learning_rate)

    # ------------------------------------------------------------------ slots
    def build(self, variables):
        """Create slot variables for ``variables`` (called once, before the first step)."""
        self._trainable_variables = list(variables)
        self.built = True

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        value = B.zeros_like(reference_variable) if initializer == "zeros" else initializer
        var = B.variable(value, trainable=False, name=f"{name}")
        var.path = f"{self.name}/{reference_variable.path.replace('/', '_')}_{name}"
        self._slots.append(var)
        return var

    def add_optimizer_variables(self, variables, names):
        """For each name, one zero slot per variable; returns a list per name (Keras's order)."""
        single = isinstance(names, str)
        names = [names] if single else names
        out = [[] for _ in names]
        for v in variables:
            for i, name in enumerate(names):
                out[i].append(self.add_variable_from_reference(v, name))
        return out[0] if single else tuple(out)

    @property
    def variables(self):
        """``iterations``, the learning rate (unless scheduled), then the slots in creation order."""
        return [self.iterations] + ([self._learning_rate] if self._learning_rate is not None else []) + self._slots

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        self._exclude_ids |= {id(v) for v in var_list or []}
        self._exclude_names = list(var_names or [])

    # ------------------------------------------------------------------ the update
    def apply(self, grads, trainable_variables=None):
        """Apply one update of ``grads`` to ``trainable_variables`` (gradients ``None`` are skipped)."""
        variables = list(trainable_variables if trainable_variables is not None else self._trainable_variables)
        if not self.built:
            self.build(variables)
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not pairs:
            return
        grads, variables = [g for g, _ in pairs], [v for _, v in pairs]
        grads = self._clip(grads)
        lr = self._current_lr()
        step = T.increment(self.iterations)
        if self.weight_decay:
            decayed = [v for v in variables if not self._excluded(v)]
            T.weight_decay(decayed, lr, self.weight_decay)
        self.update(grads, variables, lr, step)

    def apply_gradients(self, grads_and_vars):
        grads_and_vars = list(grads_and_vars)
        self.apply([g for g, _ in grads_and_vars], [v for _, v in grads_and_vars])
        return self.iterations

    def _excluded(self, v):
        if id(v) in self._exclude_ids:
            return True
        return any(n in (v.path or "") for n in getattr(self, "_exclude_names", []))

    def _clip(self, grads):
        if self.clipvalue is not None:
            return [B.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            return T.clip_each_by_norm(grads, self.clipnorm)
        if self.global_clipnorm is not None:
            return T.clip_by_global_norm(grads, self.global_clipnorm)
        return grads

    def update(self, grads, variables, lr, step):
        """Multi-tensor update; subclasses call their backend kernel here."""
        raise NotImplementedError

    # ------------------------------------------------------------------ config
    def get_config(self):
        lr = self._schedule if self._schedule is not None else float(B.convert_to_numpy(self._learning_rate))
        if self._schedule is not None:
            from kerasport.saving.serialization import serialize_keras_object
            lr = serialize_keras_object(self._schedule)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            from kerasport.optimizers import schedules
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        config.pop("is_legacy_optimizer", None)
        return cls(**config)
