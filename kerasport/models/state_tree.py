"""``Model.get_state_tree`` / ``set_state_tree``: a model's variables as nested dicts keyed by their paths, as Keras 3
gives them (``{"trainable_variables": {"model": {"dense": {"kernel": ...}}}, ...}``). The leaves are the variables
themselves (Keras's ``variable.value``: the framework's variable) or NumPy copies."""
import numpy as np

from kerasport.backends import B
from kerasport.core.tree import flatten_with_path

_GROUPS = ("trainable_variables", "non_trainable_variables", "optimizer_variables", "metrics_variables")


def _groups(model):
    optimizer = getattr(model, "optimizer", None)
    return {"trainable_variables": model.trainable_variables,
            "non_trainable_variables": model.non_trainable_variables,
            "optimizer_variables": optimizer.variables if optimizer is not None else [],
            "metrics_variables": model.metrics_variables}


def get_state_tree(model, value_format="backend_tensor"):
    """The nested dict of each group of ``model``'s variables (see ``Model.get_state_tree``)."""
    if value_format not in ("backend_tensor", "numpy_array"):
        raise ValueError("Invalid `value_format` argument. Expected one of {'numpy_array', 'backend_tensor'}. "
                         f"Received: value_format={value_format}")
    if getattr(model, "optimizer", None) is None:  # as Keras, which reads `model.optimizer.variables`
        raise AttributeError(f"Model {model.name!r} has no optimizer: compile it before calling `get_state_tree()`.")
    tree = {}
    for group, variables in _groups(model).items():
        nested, seen = {}, set()
        for v in variables:
            if v.path in seen:
                raise ValueError(f"The following variable path is found twice in the model: '{v.path}'. "
                                 "`get_state_tree()` can only be called when all variable paths are unique. Make sure "
                                 "to give unique names to your layers (and other objects).")
            seen.add(v.path)
            *parents, leaf = v.path.split("/")
            node = nested
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = np.array(B.convert_to_numpy(v)) if value_format == "numpy_array" else v
        tree[group] = nested
    return tree


def set_state_tree(model, state_tree):
    """Assign the values of ``state_tree`` (as ``get_state_tree`` gives it) to ``model``'s variables of the same
    paths; paths that name no variable are skipped, as in Keras."""
    unknown = [k for k in state_tree if k not in _GROUPS]
    if unknown:
        raise ValueError(f"Unknown variable name: {unknown[0]}. Expected keys among {_GROUPS}.")
    groups = _groups(model)
    for group, nested in state_tree.items():
        by_path = {v.path: v for v in groups[group]}
        for keys, value in flatten_with_path(nested):
            path = "/".join(map(str, keys))
            if path in by_path:
                B.assign(by_path[path], value)
