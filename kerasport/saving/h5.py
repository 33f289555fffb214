"""Keras's legacy HDF5 format (``.h5``): whole models and weights, read and written as Keras 2 and 3 do.

Layout: root attributes ``keras_version``, ``backend``, ``model_config`` and
``training_config`` (JSON); group ``model_weights`` with attribute
``layer_names``, one group per layer with attribute ``weight_names`` and one
dataset per weight (trainable weights first), and ``top_level_model_weights``;
group ``optimizer_weights`` with ``weight_names``. Name-list attributes larger
than an HDF5 object header are split into ``name0``, ``name1``, ... as Keras
does. Loading checks every count and shape before it assigns anything.
"""
import contextlib
import io
import json
import os
import warnings

import h5py
import numpy as np

from kerasport.backends import B
from kerasport.saving import configs
from kerasport.saving.atomic import atomic_write
from kerasport.core.serialization import json_default, safe_mode_scope, serialize_keras_object

HDF5_OBJECT_HEADER_LIMIT = 64512
KERAS_VERSION = "3.15.1"  # the Keras release whose file format this module writes
TOP_LEVEL = "top_level_model_weights"


# ---------------------------------------------------------------------------- attributes
def save_attributes(group, name, data):
    """Store the list of byte strings ``data`` as ``group.attrs[name]``, split into chunks if too large."""
    too_long = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(f"Cannot save names longer than {HDF5_OBJECT_HEADER_LIMIT} bytes in HDF5: {too_long}")
    array = np.asarray(data)
    chunks, parts = 1, [array]
    while any(p.nbytes > HDF5_OBJECT_HEADER_LIMIT for p in parts):
        chunks += 1
        parts = np.array_split(array, chunks)
    if chunks == 1:
        group.attrs[name] = array
    else:
        for i, part in enumerate(parts):
            group.attrs[f"{name}{i}"] = part


def load_attributes(group, name):
    """The list of strings stored by ``save_attributes`` (whole or in chunks); ``[]`` when absent."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, i = [], 0
        while f"{name}{i}" in group.attrs:
            values.extend(group.attrs[f"{name}{i}"])
            i += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _json_attr(f, name, filepath):
    raw = f.attrs.get(name)
    if raw is None:
        return None
    try:
        return json.loads(raw.decode("utf8") if isinstance(raw, bytes) else raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{filepath}: the `{name}` attribute is not valid JSON ({e}).") from None


# ---------------------------------------------------------------------------- opening files
class MissingFileError(FileNotFoundError, ValueError):
    """A file to load does not exist: a ``FileNotFoundError``, and the ``ValueError`` Keras raises there."""


@contextlib.contextmanager
def open_h5(filepath, content=None):
    """Open ``filepath`` for reading; turn HDF5 failures (truncated, not HDF5, missing objects) into ValueErrors.

    With ``content`` (bytes: the weights inside a ``.keras`` archive) those bytes
    are opened instead, and ``filepath`` only names them in errors.
    """
    filepath = os.fspath(filepath)
    if content is None and not os.path.isfile(filepath):
        raise MissingFileError(f"No such file: {filepath}")
    try:
        f = h5py.File(filepath if content is None else io.BytesIO(content), "r")
    except (OSError, RuntimeError) as e:
        raise ValueError(f"{filepath} is not a readable HDF5 file (truncated, corrupted or another format): "
                         f"{e}") from None
    try:
        with f:
            yield f
    except (OSError, RuntimeError, KeyError) as e:  # h5py's errors for damaged metadata and data
        raise ValueError(f"{filepath} is damaged or incomplete: {e}") from None


def _group(parent, name, filepath, what):
    if name not in parent or not isinstance(parent[name], h5py.Group):
        raise ValueError(f"{filepath}: missing HDF5 group {name!r} ({what}) under {parent.name!r}.")
    return parent[name]


# ---------------------------------------------------------------------------- weights
def layer_weights(layer):
    """A layer's variables in the order legacy HDF5 files store them: trainable first."""
    return layer.trainable_weights + layer.non_trainable_weights


def _top_level_weights(model):
    """Variables the model owns directly (not through one of ``model.layers``)."""
    owned = {id(v) for layer in model.layers for v in layer.weights}
    return [v for v in layer_weights(model) if id(v) not in owned]


def _write_weights(group, weights, names):
    unique, seen = [], {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name] - 1}")
    save_attributes(group, "weight_names", [n.encode("utf8") for n in unique])
    for name, var in zip(unique, weights):
        value = B.convert_to_numpy(var)
        group.create_dataset(name, data=value)


def save_weights_to_group(group, model):
    """Write ``model``'s weights, layer by layer, into ``group`` (Keras's ``model_weights`` layout)."""
    layers = model.layers
    save_attributes(group, "layer_names", [layer.name.encode("utf8") for layer in layers])
    group.attrs["backend"] = B.NAME
    group.attrs["keras_version"] = KERAS_VERSION
    for layer in sorted(layers, key=lambda layer: layer.name):
        weights = layer_weights(layer)
        _write_weights(group.create_group(layer.name), weights, [v.path for v in weights])
    top = _top_level_weights(model)
    _write_weights(group.create_group(TOP_LEVEL), top, [v.path for v in top])


BOMB_FLOOR_BYTES = 1 << 30  # a dataset declaring more than this must not declare over MAX_EXPANSION x its storage
MAX_EXPANSION = 1000


def checked_dataset(group, name, filepath):
    """The dataset ``group[name]``, checked from its HDF5 metadata alone: nothing is read yet.

    Refused with a ``ValueError`` naming the file and the dataset: links (soft or
    to other files), external or virtual datasets (they would read other files),
    groups where a weight should be, non-numeric dtypes (strings, compounds) and
    sizes that the stored bytes cannot hold (a 4 TB weight in a small file).
    """
    where = f"{filepath}: weight {group.name.rstrip('/')}/{name}"
    link = group.get(name, getlink=True)
    if link is None:
        raise ValueError(f"{where} is missing from the file.")
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise ValueError(f"{where} is an HDF5 {type(link).__name__}; weights must be stored in the file itself.")
    dataset = group[name]
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"{where} should be a dataset (an array), found {type(dataset).__name__}.")
    if dataset.external or dataset.is_virtual:
        raise ValueError(f"{where} is an external or virtual dataset (its data lives in other files); weights "
                         "must be stored in the file itself.")
    if dataset.dtype.kind not in "biuf":
        raise ValueError(f"{where} has dtype {dataset.dtype} ({dataset.dtype.kind!r}); expected a numeric (float, "
                         "int or bool) array.")
    declared = int(np.prod(dataset.shape, dtype=np.float64)) * dataset.dtype.itemsize
    stored = dataset.id.get_storage_size()
    if declared > BOMB_FLOOR_BYTES and declared > MAX_EXPANSION * stored:
        raise ValueError(f"{where} declares shape {dataset.shape} ({declared} bytes) but stores only {stored} bytes; "
                         "refusing to read it.")
    return dataset


def _read_weights(group, filepath):
    names = load_attributes(group, "weight_names")
    return names, [checked_dataset(group, n, filepath) for n in names]


def match_weights(pairs, variables, values, where, filepath, skip_mismatch):
    """Append ``(variable, value)`` pairs after checking shapes; mismatches raise or (skip_mismatch) warn."""
    for var, value in zip(variables, values):
        expected, received = tuple(var.shape), tuple(value.shape)
        if expected == received:
            pairs.append((var, value))
            continue
        message = (f"{filepath}: shape mismatch in {where} for weight {var.path!r}: the model expects shape "
                   f"{expected}, the file holds shape {received}.")
        if not skip_mismatch:
            raise ValueError(message)
        warnings.warn(message + " Skipped (skip_mismatch=True).", stacklevel=4)


def _count_error(filepath, where, variables, values, skip_mismatch):
    message = (f"{filepath}: weight count mismatch for {where}: the model has {len(variables)} weight(s) "
               f"{[tuple(v.shape) for v in variables]}, the file holds {len(values)} "
               f"{[tuple(v.shape) for v in values]}.")
    if not skip_mismatch:
        raise ValueError(message)
    warnings.warn(message + " Skipped (skip_mismatch=True).", stacklevel=4)


def weight_assignments(group, model, filepath, skip_mismatch=False, by_name=False):
    """The ``(variable, value)`` pairs that loading ``group`` into ``model`` makes, all checked, none assigned.

    Topological loading pairs the file's layers that have weights with the
    model's layers that have weights, in order; ``by_name`` pairs layers with
    the same name and ignores the rest.
    """
    saved = load_attributes(group, "layer_names")
    for name in saved:
        _group(group, name, filepath, "the weights of a layer listed in `layer_names`")
    pairs = []
    if by_name:
        index = {}
        for layer in model.layers:
            index.setdefault(layer.name, []).append(layer)
        for name in saved:
            _, values = _read_weights(group[name], filepath)
            for layer in index.get(name, []):
                variables = layer_weights(layer)
                where = f"layer {layer.name!r}"
                if len(variables) != len(values):
                    _count_error(filepath, where, variables, values, skip_mismatch)
                    continue
                match_weights(pairs, variables, values, where, filepath, skip_mismatch)
    else:
        layers = [layer for layer in model.layers if layer_weights(layer)]
        saved = [name for name in saved if load_attributes(group[name], "weight_names")]
        if len(saved) != len(layers):
            raise ValueError(f"{filepath}: layer count mismatch: the file holds weights for {len(saved)} layer(s) "
                             f"{saved}, the model has {len(layers)} layer(s) with weights "
                             f"{[layer.name for layer in layers]}.")
        for k, (layer, name) in enumerate(zip(layers, saved)):
            variables = layer_weights(layer)
            _, values = _read_weights(group[name], filepath)
            where = f"layer #{k} ({layer.name!r} in the model, {name!r} in the file)"
            if len(variables) != len(values):
                raise ValueError(f"{filepath}: weight count mismatch for {where}: the layer has {len(variables)} "
                                 f"weight(s) {[tuple(v.shape) for v in variables]}, the file holds {len(values)} "
                                 f"{[tuple(v.shape) for v in values]}.")
            match_weights(pairs, variables, values, where, filepath, skip_mismatch)
    top = _top_level_weights(model)
    if TOP_LEVEL in group and (top or load_attributes(group[TOP_LEVEL], "weight_names")):
        _, values = _read_weights(group[TOP_LEVEL], filepath)
        where = f"the top-level weights of model {model.name!r}"
        if len(top) != len(values):
            _count_error(filepath, where, top, values, skip_mismatch)
        else:
            match_weights(pairs, top, values, where, filepath, skip_mismatch)
    return pairs


def assign(pairs, filepath):
    """Read every value (checked beforehand), then copy each into its variable: all or nothing.

    ``value`` may be an array or an HDF5 dataset; a read failure (a damaged
    file) raises a ``ValueError`` naming ``filepath`` before any variable changes.
    """
    tensors = []
    for var, value in pairs:
        try:
            tensors.append(B.convert_to_tensor(np.asarray(value), B.dtype(var)))
        except (OSError, ValueError, TypeError) as e:
            name = getattr(value, "name", None) or var.path
            raise ValueError(f"{filepath}: cannot read weight {name!r} for {var.path!r} (shape {tuple(var.shape)}, "
                             f"{B.dtype(var)}): {e}") from None
    for (var, _), tensor in zip(pairs, tensors):
        B.assign(var, tensor)


def save_weights(model, filepath, overwrite=True):
    """Write ``model``'s weights to ``filepath`` in the legacy layout (at the file's root), atomically."""
    with atomic_write(filepath, overwrite) as tmp, h5py.File(tmp, "w") as f:
        save_weights_to_group(f, model)


# ---------------------------------------------------------------------------- whole models
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` to ``filepath`` in Keras's legacy HDF5 format, atomically."""
    model_config = json.dumps(serialize_keras_object(model), default=json_default)
    compiled = include_optimizer and model.compiled and model.optimizer is not None
    training_config = json.dumps(configs.training_config(model), default=json_default) if compiled else None
    with atomic_write(filepath, overwrite) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = B.NAME
        f.attrs["model_config"] = model_config
        if training_config is not None:
            f.attrs["training_config"] = training_config
        save_weights_to_group(f.create_group("model_weights"), model)
        if compiled:
            optimizer = model.optimizer
            prefix = optimizer.name + "/"
            names = [v.path if v.path.startswith(prefix) else prefix + v.path for v in optimizer.variables]
            _write_weights(f.create_group("optimizer_weights"), optimizer.variables, names)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild the model stored in a legacy HDF5 file (kerasport's, Keras 3's or tf_keras's)."""
    from kerasport import layers as layers_mod
    with open_h5(filepath) as f:
        config = _json_attr(f, "model_config", filepath)
        if config is None:
            raise ValueError(f"{filepath} holds no model config (`model_config` attribute): it is not a whole-model "
                             "file. If it holds weights only, build the model and call `model.load_weights`.")
        with configs.config_errors(filepath), safe_mode_scope(safe_mode):
            config = configs.normalize_model_config(config, custom_objects, safe_mode, filepath)
            model = layers_mod.deserialize(config, custom_objects=custom_objects)
        assign(weight_assignments(_group(f, "model_weights", filepath, "the model's weights"), model, filepath),
               filepath)
        training_config = _json_attr(f, "training_config", filepath) if compile else None
        if training_config is not None:
            with configs.config_errors(filepath):
                model.compile(**configs.compile_args(training_config, custom_objects, filepath))
            if "optimizer_weights" in f:
                names, values = _read_weights(f["optimizer_weights"], filepath)
                restore_optimizer(model, values, filepath, names)
    return model


def restore_optimizer(model, values, filepath, names=None):
    """Load the optimizer's state (step count, learning rate, slots), or warn and keep a fresh one."""
    assign(optimizer_assignments(model, values, filepath, names), filepath)


def optimizer_assignments(model, values, filepath, names=None):
    """Checked ``(variable, value)`` pairs for the optimizer's state, or none (with a warning) when it does not fit.

    tf_keras files (``names`` without a ``learning_rate``) have no learning-rate
    variable: their state maps onto the step count and the slots, and the
    learning rate comes from the config. A file saved before the first
    training step holds no slots: only the step count and learning rate load.
    """
    optimizer = model.optimizer
    if len(values) != len(optimizer.variables):
        optimizer.build(model.trainable_weights)
    variables = list(optimizer.variables)
    has_lr = len(variables) > 1 and variables[1] is getattr(optimizer, "_learning_rate", None)
    if has_lr and names is not None and len(values) == len(variables) - 1 and \
            not any(n.endswith("learning_rate") for n in names):
        variables = variables[:1] + variables[2:]
    if len(values) != len(variables) or any(tuple(v.shape) != tuple(np.shape(x)) for v, x in zip(variables,
                                                                                                   values)):
        warnings.warn(f"{filepath}: the saved optimizer state ({len(values)} variables: "
                      f"{[tuple(np.shape(x)) for x in values]}) does not fit optimizer {optimizer.name!r} "
                      f"({len(variables)} variables: {[tuple(v.shape) for v in variables]}); the model starts "
                      "with a freshly initialized optimizer.", stacklevel=4)
        return []
    return list(zip(variables, values))
