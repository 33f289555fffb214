"""The ``Optimizer`` base: learning rate, slots, clipping, weight decay, EMA and gradient accumulation.

Each update rule is written once, in its optimizer's ``update``, over the
backend's multi-tensor primitives (``B.foreach_lerp_``, ``B.foreach_addcdiv_``,
..., one fused ``torch._foreach_*`` launch each on torch). ``apply`` runs inside
the backend's train step: on torch the step count and the learning rate are
Python numbers (host scalars: no device sync, no extra kernel), on TensorFlow
they are tensors of the compiled step; the scalar maths on them is written with
Python operators, which serve both.
"""
import operator
import re
import warnings

import numpy as np

from kerasport import initializers
from kerasport.backends import B
from kerasport.core.settings import floatx
from kerasport.optimizers.schedules import LearningRateSchedule
from kerasport.core import naming
from kerasport.core.serialization import serialize_keras_object


def float_step(step):
    """A step count ready for float maths (``beta ** step``): a Python number as it is (torch), a tensor cast to
    float32 (TensorFlow)."""
    return B.cast(step, "float32") if B.is_tensor(step) else step


class Optimizer(B.OptimizerBase):
    """Base class of optimizers.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` (called with the step
            count), or a callable taking no argument.
        weight_decay: decoupled weight decay ``w -= lr * weight_decay * w`` before each update.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
        use_ema: keep an exponential moving average of the trained variables;
            ``fit`` writes it into the model at the end (``finalize_variable_values``).
        ema_momentum: ``average = ema_momentum * average + (1 - ema_momentum) * variable``.
        ema_overwrite_frequency: also overwrite the variables with their average
            every this many steps (``None``: only at the end of ``fit``).
        loss_scale_factor: the train step multiplies the loss by it and ``apply``
            divides the gradients by it (mixed precision).
        gradient_accumulation_steps: update every this many steps, with the mean of
            the gradients since the last update. ``iterations`` then counts updates
            and schedules see the raw step count, as in Keras.
        name: name of the optimizer, used as the prefix of its slot variables.
    """

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=2)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        if gradient_accumulation_steps is not None and gradient_accumulation_steps < 2:
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema and not 0 <= ema_momentum <= 1:
            raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
        if use_ema and ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
            raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                             f"ema_overwrite_frequency={ema_overwrite_frequency}")
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum, self.ema_overwrite_frequency = use_ema, ema_momentum, ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._iterations = B.host_variable(0, "int64", "iteration")
        self._learning_rate = learning_rate if callable(learning_rate) else \
            B.host_variable(float(learning_rate), "float32", "learning_rate")
        for var in (self._iterations, self._learning_rate):
            if not callable(var):
                var.path = f"{self.name}/{var.path}"
        self.built = False
        self._overwrites = False  # any variable marked ``overwrite_with_gradient`` (set by ``build``)
        self._slots = []
        self._exclude_ids, self._exclude_pattern = set(), None

    # ------------------------------------------------------------------ step count and learning rate
    @property
    def iterations(self):
        """The number of updates applied (a host variable; a tensor with gradient accumulation)."""
        if self.gradient_accumulation_steps:
            return B.floor_divide(self._iterations, self.gradient_accumulation_steps)
        return self._iterations

    @property
    def learning_rate(self):
        """The learning rate: its variable, or the schedule's value at the current step."""
        return self._current_lr(B.read(self._iterations)) if callable(self._learning_rate) else \
            self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value):
            self._learning_rate = value
        elif callable(self._learning_rate):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` (or callable) as its "
                            "`learning_rate`, hence its learning rate is not settable. Create the optimizer with "
                            "a float `learning_rate` to set it.")
        else:
            B.assign(self._learning_rate, float(value))

    def _current_lr(self, iterations):
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return lr(iterations)
        return lr() if callable(lr) else B.read(lr)

    # ------------------------------------------------------------------ variables
    def build(self, variables):
        """Create the slot variables of ``variables`` (once, before the first step).

        Subclasses call ``super().build(variables)`` and then add their own slots
        with ``add_optimizer_variables``, returning early when ``self.built``.
        """
        if self.built:
            return
        self._trainable_variables = list(variables)
        self._index = {id(v): i for i, v in enumerate(self._trainable_variables)}
        self._overwrites = any(getattr(v, "overwrite_with_gradient", False) for v in self._trainable_variables)
        self._averages = self.add_optimizer_variables(variables, "average") if self.use_ema else None
        self._accumulated_gradients = self.add_optimizer_variables(variables, "gradient_accumulator") \
            if self.gradient_accumulation_steps else None
        self.built = True

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="none", layout=None, name=None):
        """A new optimizer variable (appended to ``variables``), as Keras's.

        Args:
            shape: its shape.
            initializer: a number, or an initializer (``"zeros"``, ``"ones"``, an ``Initializer``...).
            dtype: its dtype; ``floatx()`` by default.
            aggregation, layout: accepted for Keras's signature (they concern distribution strategies).
            name: its name, under the optimizer's.
        """
        dtype = dtype or floatx()
        value = B.full(shape, initializer, dtype=dtype) if isinstance(initializer, (int, float)) else \
            B.convert_to_tensor(initializers.get(initializer)(tuple(shape), dtype=dtype), dtype)
        var = B.variable(value, trainable=False, name=name)
        var.path = f"{self.name}/{name}"
        self._slots.append(var)
        return var

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot shaped like ``reference_variable``, filled with zeros or the number ``initializer``."""
        value = B.zeros_like(reference_variable) if initializer == "zeros" else \
            B.full_like(reference_variable, initializer)
        var = B.variable(value, trainable=False, name=name)
        var.path = f"{self.name}/{(reference_variable.path or '').replace('/', '_')}_{name}"
        self._slots.append(var)
        return var

    def add_optimizer_variables(self, variables, names, initializer="zeros"):
        """For each name, one slot per variable; returns a list per name (a single list for one name).

        Slots are created variable by variable (Keras's interleaved order);
        ``initializer`` is one for all names or a list with one per name.
        """
        single = isinstance(names, str)
        names = [names] if single else list(names)
        inits = initializer if isinstance(initializer, (list, tuple)) else [initializer] * len(names)
        out = tuple([] for _ in names)
        for v in variables:
            for slots, name, init in zip(out, names, inits):
                slots.append(self.add_variable_from_reference(v, name, init))
        return out[0] if single else out

    @property
    def variables(self):
        """``iterations``, the learning rate (unless scheduled), then the slots in Keras's order."""
        return [self._iterations] + ([] if callable(self._learning_rate) else [self._learning_rate]) + self._slots

    def set_weights(self, weights):
        """Set every variable of ``variables`` from a list of arrays."""
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been built. Call "
                             "`optimizer.build(trainable_variables)` first.")
        for var, value in zip(self.variables, weights):
            if tuple(var.shape) != tuple(value.shape):
                raise ValueError(f"Optimizer variable {var.path!r} has shape {tuple(var.shape)} not compatible "
                                 f"with provided weight shape {tuple(value.shape)}.")
            B.assign(var, value)

    def save_own_variables(self, store):
        """Write the variables into ``store`` as ``{"0": array, "1": array, ...}``."""
        for i, var in enumerate(self.variables):
            store[str(i)] = B.convert_to_numpy(var)

    def load_own_variables(self, store):
        """Read the variables written by ``save_own_variables``."""
        if len(store.keys()) != len(self.variables):
            warnings.warn(f"Skipping variable loading for optimizer {self.name!r}, because it has "
                          f"{len(self.variables)} variables whereas the saved optimizer has {len(store.keys())} "
                          "variables.", stacklevel=2)
            return
        for i, var in enumerate(self.variables):
            B.assign(var, np.asarray(store[str(i)]))

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude ``var_list`` and variables whose name contains one of ``var_names`` from weight decay."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_ids = {id(v) for v in var_list or []}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        return self._exclude_pattern is None or self._exclude_pattern.search(variable.name) is None

    # ------------------------------------------------------------------ the update
    def _built_on(self, trainable_variables):
        """The variables ``apply`` updates: ``trainable_variables`` (the optimizer built on them), or, when None,
        the ones it was built with."""
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be built "
                                 "on a list of variables. Call `optimizer.build(trainable_variables)` first.")
            return self._trainable_variables
        variables = list(trainable_variables)
        self.build(variables)
        return variables

    def apply(self, grads, trainable_variables=None):
        """Apply one update of ``grads`` to ``trainable_variables`` (gradients ``None`` are skipped).

        Without ``trainable_variables`` the gradients must match the variables the
        optimizer was built with.
        """
        if trainable_variables is not None and trainable_variables is self.__dict__.get("_applied_list"):
            variables = trainable_variables   # a train step's list: built already
        else:
            variables = self._built_on(trainable_variables)
            if isinstance(trainable_variables, list):
                self._applied_list = trainable_variables
        if not grads:
            return
        if len(grads) != len(variables) or any(g is None for g in grads):
            pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
            if not pairs:
                raise ValueError("No gradients provided for any variable.")
            if len(pairs) < len(variables):
                missing = [v.path for g, v in zip(grads, variables) if g is None]
                warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss. If "
                              "using `model.compile()`, did you forget to provide a `loss` argument?", stacklevel=2)
            grads, variables = [g for g, _ in pairs], [v for _, v in pairs]
        else:
            grads = list(grads)
        grads = B.all_reduce_replica_gradients(grads)
        grads, variables = self._overwrite_with_gradients(grads, variables)
        if not grads:
            return
        # as Keras, each gradient in its variable's dtype (a float64 NumPy gradient for a float32 variable)
        grads = [g if getattr(g, "dtype", None) == v.dtype else B.cast(g, v.dtype) for g, v in zip(grads, variables)]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        with B.no_grad():
            self._apply(grads, variables)

    def _overwrite_with_gradients(self, grads, variables):
        """Assign their gradient to the variables marked ``overwrite_with_gradient`` (float8's scales and amax
        histories, whose backward pass computes their next value), as Keras does; the rest go on to the update.
        ``build`` finds whether there are any, once."""
        if not self._overwrites:
            return grads, variables
        if self.gradient_accumulation_steps:
            raise NotImplementedError("`overwrite_with_gradient` variables (float8 training) with "
                                      "`gradient_accumulation_steps` are not supported by kerasport. Received: "
                                      f"gradient_accumulation_steps={self.gradient_accumulation_steps}")
        kept_grads, kept = [], []
        with B.no_grad():
            for g, v in zip(grads, variables):
                if getattr(v, "overwrite_with_gradient", False):
                    B.assign(v, g)
                else:
                    kept_grads.append(g)
                    kept.append(v)
        return kept_grads, kept

    def _apply(self, grads, variables):
        in_order = len(variables) == len(self._trainable_variables) and all(
            map(operator.is_, variables, self._trainable_variables))
        self._slot_order = None if in_order else [self._index[id(v)] for v in variables]
        count = B.read(self._iterations)
        lr = self._current_lr(count)
        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = self._slots_of(self._accumulated_gradients)
            B.cond((count + 1) % steps == 0,
                   lambda: self._accumulated_update(grads, accumulators, variables, lr, count // steps + 1),
                   lambda: self._accumulate(accumulators, grads))
            count = count // steps
        else:
            self._update(grads, variables, lr, count + 1)
        if self.use_ema:  # the first average is the variable itself (0 ** 0 == 1)
            momentum = self.ema_momentum * (1.0 - 0.0 ** float_step(count))
            B.foreach_lerp_(self._averages, self._trainable_variables, 1.0 - momentum)
            if self.ema_overwrite_frequency:
                B.cond((count + 1) % self.ema_overwrite_frequency == 0,
                       lambda: B.copy_into(self._trainable_variables, self._averages), lambda: None)
        B.increment(self._iterations)

    def apply_gradients(self, grads_and_vars):
        """``apply`` for a list of ``(gradient, variable)`` pairs; returns ``iterations``."""
        grads, variables = zip(*grads_and_vars)
        self.apply(list(grads), list(variables))
        return self._iterations

    def _accumulated_update(self, grads, accumulators, variables, lr, step):
        steps = self.gradient_accumulation_steps
        self._update([B.divide(B.add(g, a), steps) for g, a in zip(grads, accumulators)], variables, lr, step)
        B.foreach_zero_(self._accumulated_gradients)

    @staticmethod
    def _accumulate(accumulators, grads):
        B.foreach_add_(accumulators, grads)

    def _update(self, grads, variables, lr, step):
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables, lr)
        self.update(grads, variables, lr, step)

    def _apply_weight_decay(self, variables, lr):
        """``w -= lr * weight_decay * w`` for the variables not excluded from weight decay."""
        decayed = [v for v in variables if self._use_weight_decay(v)] if self.weight_decay else []
        if decayed:
            B.foreach_mul_(decayed, 1.0 - lr * self.weight_decay)

    def _clip_gradients(self, grads):
        """Keras's clipping: ``clipnorm`` scales each gradient to an L2 norm of at most ``clipnorm``
        (``g * clipnorm / max(||g||, clipnorm)``); ``global_clipnorm`` scales all of them together to a global
        norm of at most ``global_clipnorm`` (NaN everywhere when that norm is not finite, as in Keras);
        ``clipvalue`` clips each entry to ``[-clipvalue, clipvalue]``."""
        if self.clipnorm:
            return B.foreach_div(B.foreach_mul(grads, self.clipnorm),
                                 B.foreach_clamp_min(B.foreach_norm(grads), self.clipnorm))
        if self.global_clipnorm:
            norm = B.sqrt(B.sum(B.square(B.stack(B.foreach_norm(grads)))))
            scale = self.global_clipnorm * B.minimum(1.0 / norm, 1.0 / self.global_clipnorm) + (norm - norm)
            return B.foreach_mul(grads, scale)
        if self.clipvalue:
            return B.foreach_clamp_max(B.foreach_clamp_min(grads, -self.clipvalue), self.clipvalue)
        return grads

    def _slots_of(self, slots):
        """The entries of ``slots`` (one per built variable) for this step's ``variables``, in their order (which may
        be another order than the built one: ``apply_gradients`` of a custom step's own list of pairs, as in Keras).
        ``_apply`` finds that order once per step."""
        order = self._slot_order
        return slots if slots is None or order is None else [slots[i] for i in order]

    def update(self, grads, variables, lr, step):
        """One update of ``variables``: subclasses write their rule here, over the backend's ``foreach_*`` primitives,
        or, as in Keras, one variable at a time in ``update_step``, which this calls for each variable.

        Args:
            grads: clipped gradients, one per variable.
            variables: the variables to update (those with a gradient).
            lr: the learning rate (Python float on torch, tensor on TensorFlow).
            step: the 1-based update count (Python int on torch, tensor on TensorFlow; see ``float_step``).
        """
        for gradient, variable in zip(grads, variables):
            self.update_step(gradient, variable, lr)

    def update_step(self, gradient, variable, learning_rate):
        """Keras's update rule of one variable, for optimizers written as Keras's: ``build`` adds the slots
        (``add_variable_from_reference``), and this updates ``variable`` with ``assign`` / ``assign_add`` /
        ``assign_sub``, finding its slots with ``_get_variable_index(variable)``.

        Args:
            gradient: the variable's (clipped) gradient.
            variable: the variable to update.
            learning_rate: this step's learning rate.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement `update_step(gradient, variable, "
                                  "learning_rate)`, as Keras's optimizers do, or `update(grads, variables, lr, step)`.")

    def _get_variable_index(self, variable):
        """The index of ``variable`` in the list the optimizer was built on (Keras's name, which Keras-written
        ``update_step`` methods call to find a variable's slots)."""
        return self._index[id(variable)]

    def assign(self, variable, value):
        """``variable.assign(value)``, as Keras's optimizers write their updates."""
        variable.assign(value)

    def assign_add(self, variable, value):
        """``variable.assign_add(value)``."""
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        """``variable.assign_sub(value)``."""
        variable.assign_sub(value)

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` (identity without a factor), for the train step."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, write the moving averages into ``var_list`` (``fit`` calls it at the end)."""
        if self.use_ema:
            B.copy_into(list(var_list), self._averages)

    # ------------------------------------------------------------------ config
    def get_config(self):
        """The constructor arguments, with a schedule in its serialized form."""
        lr = self._learning_rate
        if callable(lr):
            lr = serialize_keras_object(lr)
        else:
            lr = float(B.convert_to_numpy(lr))
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
