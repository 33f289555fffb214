"""``MultiOptimizer``: each variable trained by the optimizer an ``OptimizerMap`` (or a callable) picks for it."""
import re
from collections.abc import MutableMapping

from kerasport.backends import B
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object
from kerasport.optimizers.base import Optimizer
from kerasport.optimizers.loss_scale import LossScaleOptimizer


class OptimizerMap(MutableMapping):
    """A mapping from variable paths (exact, or regular expressions) to optimizers, with a default.

    ``optimizer_map[path]`` is the optimizer stored under ``path`` itself, else the
    one whose key ``re.fullmatch``-es ``path`` (``"encoder/.*"`` for everything
    under ``encoder``; ``"encoder"`` matches that path only), else
    ``default_optimizer``. Calling the map with a variable looks up its ``path``.

    Args:
        default_optimizer: the ``Optimizer`` of the variables no key matches.
        optimizer_map: an optional dict ``{path or pattern: Optimizer}``.

    Example:

    >>> optimizer_map = OptimizerMap(kerasport.optimizers.RMSprop())
    >>> optimizer_map["encoder/.*"] = kerasport.optimizers.SGD()
    >>> type(optimizer_map["encoder/dense/kernel"]).__name__
    'SGD'
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(f"default_optimizer must be a Keras Optimizer instance. Received: {default_optimizer!r}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map!r}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self):
        """The optimizer of the variables that no key matches."""
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}: patterns {matches} all match it.")
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(f"'{key}' already exists in the OptimizerMap with value {self._optimizer_map[key]}. "
                             "Please make sure to not use duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key!r}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer!r}")
        if isinstance(optimizer, LossScaleOptimizer):
            raise ValueError("optimizer cannot be LossScaleOptimizer.")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("optimizer cannot be MultiOptimizer.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        return {"default_optimizer": serialize_keras_object(self._default_optimizer),
                "optimizer_map": serialize_keras_object(self._optimizer_map)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasport.optimizers.lookup import deserialize
        return cls(deserialize(config["default_optimizer"], custom_objects),
                   {k: deserialize(v, custom_objects) for k, v in (config.get("optimizer_map") or {}).items()})


class MultiOptimizer(Optimizer):
    """Delegates each variable to the optimizer that ``optimizer_map`` gives it.

    ``optimizer_map`` is an ``OptimizerMap`` or a callable ``variable -> Optimizer``.
    The sub-optimizers (the map's values and its default, then those the callable
    returns, in first-seen order) are built on their own variables and each
    keeps its own step count and learning rate: a ``MultiOptimizer`` has no
    ``learning_rate``. Its ``variables`` are its ``iterations`` and (unused)
    learning rate, then every sub-optimizer's variables.

    Args:
        optimizer_map: an ``OptimizerMap``, or a callable returning an ``Optimizer`` for a variable.
        loss_scale_factor: overrides the sub-optimizers' ``loss_scale_factor``.
        name: the optimizer's name.

    Example:

    ```python
    model.compile(optimizer=MultiOptimizer(OptimizerMap(kerasport.optimizers.SGD(),
                                                        {"encoder/.*": kerasport.optimizers.Adam()})),
                  loss="mse")
    ```
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if not callable(optimizer_map):
            raise ValueError("MultiOptimizer: `optimizer_map` must be an OptimizerMap or a callable returning an "
                             f"Optimizer for a variable. Received: {optimizer_map!r}")
        self._inner_optimizers = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        for opt in list(getattr(optimizer_map, "values", lambda: [])()) + \
                [getattr(optimizer_map, "default_optimizer", None)]:
            if opt is not None and opt not in self._inner_optimizers:
                opt.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(opt)

    def build(self, variables):
        if self.built:
            return
        variables = list(variables)
        chosen = []
        for var in variables:
            opt = self._optimizer_map(var)
            if not isinstance(opt, Optimizer):
                raise ValueError(f"Optimizer for variable {var.path!r} is not an Optimizer instance: {opt!r}.")
            if isinstance(opt, LossScaleOptimizer):
                raise ValueError("LossScaleOptimizer cannot be used inside an MultiOptimizer.")
            if isinstance(opt, MultiOptimizer):
                raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer.")
            if opt not in self._inner_optimizers:
                opt.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(opt)
            chosen.append(self._inner_optimizers.index(opt))
        self._owner = {id(v): i for v, i in zip(variables, chosen)}
        for i, opt in enumerate(self._inner_optimizers):
            own = [v for v, c in zip(variables, chosen) if c == i]
            if own:
                opt.build(own)
        super().build(variables)

    @property
    def optimizers(self):
        """The sub-optimizers."""
        return self._inner_optimizers

    @property
    def variables(self):
        return super().variables + [v for opt in self._inner_optimizers for v in opt.variables]

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate on the "
                             "individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the "
                             "individual sub-optimizers instead.")

    @property
    def loss_scale_factor(self):
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for opt in self._inner_optimizers:
            opt.loss_scale_factor = value

    def scale_loss(self, loss):
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def _split(self, variables, *lists):
        """Per sub-optimizer, its variables (and the matching entries of each of ``lists``)."""
        groups = [[[] for _ in range(1 + len(lists))] for _ in self._inner_optimizers]
        for var, *rest in zip(variables, *lists):
            group = groups[self._owner[id(var)]]
            for column, item in zip(group, (var, *rest)):
                column.append(item)
        return groups

    def apply(self, grads, trainable_variables=None):
        """Hand each sub-optimizer the gradients of its variables, then count the step."""
        if len(grads) == 0:
            return
        trainable_variables = self._built_on(trainable_variables)
        if len(grads) != len(self._owner):
            raise ValueError("Gradients must match trainable variables one-to-one. Received "
                             f"{len(grads)} gradients and {len(self._owner)} variables.")
        unknown = [v.path for v in trainable_variables if id(v) not in self._owner]
        if unknown:
            raise ValueError(f"MultiOptimizer {self.name!r} was built on other variables; it has no optimizer for "
                             f"{unknown}.")
        for opt, (variables, sub_grads) in zip(self._inner_optimizers, self._split(trainable_variables, grads)):
            if variables:
                opt.apply(sub_grads, variables)
        B.increment(self._iterations)

    def finalize_variable_values(self, var_list):
        for opt, (variables,) in zip(self._inner_optimizers, self._split(list(var_list))):
            if variables:
                opt.finalize_variable_values(variables)

    def get_config(self):
        return {"optimizer_map": serialize_keras_object(self._optimizer_map),
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        optimizer_map = config["optimizer_map"]
        if isinstance(optimizer_map, dict) and optimizer_map.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(optimizer_map["config"], custom_objects)
        else:
            config["optimizer_map"] = deserialize_keras_object(optimizer_map, None, custom_objects,
                                                               "optimizer_map")
        return cls(**config)
