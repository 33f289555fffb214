"""Keras 3's formats, read and written: ``.weights.h5`` and ``.keras`` zip archives.

A ``.weights.h5`` file holds one group per object, at the path Keras 3's
saver walks: ``layers/<snake_case class name>[_n]`` for a Sequential or
Functional model's layers, the attribute name for sublayers of other layers,
each with ``vars/0``, ``vars/1``, ... (own trainable variables first), and
``optimizer/vars/i`` for the optimizer. A ``.keras`` file is a zip of
``metadata.json``, ``config.json`` (the model serialized as Keras 3 does, with
its ``compile_config``) and ``model.weights.h5`` (that same layout).
"""
import datetime
import io
import json
import os
import tempfile
import warnings
import zipfile
import zlib

import h5py
import numpy as np

from kerasport.backends import B
from kerasport.saving import configs, h5
from kerasport.saving.atomic import atomic_write
from kerasport.core.serialization import json_default, safe_mode_scope, serialize_keras_object
from kerasport.core.naming import to_snake_case


def _custom_state(layer, method):
    """Whether ``layer``'s class overrides ``save_own_variables`` / ``load_own_variables`` (``method``):
    then that method, not the checked default path, writes or reads the layer's ``vars`` group."""
    from kerasport.layers.layer import Layer
    return getattr(type(layer), method) is not getattr(Layer, method)


def _custom_compile(model, method):
    """Whether ``model``'s class overrides ``method`` (``compile``, ``get_compile_config``, ...) of ``Model``."""
    from kerasport.models import Model
    return getattr(type(model), method) is not getattr(Model, method)


def _children(layer):
    """``(attribute, child)`` pairs in Keras's walk order: a model's (or a Pipeline's) ``layers`` first, then
    attributes, public first.

    A subclassed model's public ``layers`` property is walked in its alphabetical place among the attributes,
    as Keras does: sublayers held by attributes named after ``"layers"`` are saved under ``layers/<class>``."""
    from kerasport.layers.layer import Layer
    from kerasport.layers.pipeline import Pipeline
    from kerasport.models import Functional, Model, Sequential
    if isinstance(layer, (Functional, Sequential, Pipeline)):
        yield "layers", layer.layers
    subclassed_model = isinstance(layer, Model) and not isinstance(layer, (Functional, Sequential))
    names = list(vars(layer)) + (["layers"] if subclassed_model and "layers" not in vars(layer) else [])
    # ``_layers`` (kerasport's own list of tracked sublayers; Keras skips it) last: attributes name the paths.
    for attr in sorted(names, key=lambda a: "~~" if a == "_layers" else f"~{a}" if a.startswith("_") else a):
        if attr == "layers" and subclassed_model:
            yield attr, list(layer.layers)
            continue
        if attr == "_modules":
            continue  # torch.nn.Module's registry of the attribute sublayers (torch backend), not an attribute
        value = vars(layer)[attr]
        if isinstance(value, Layer):
            yield attr, value
        elif isinstance(value, (list, tuple, dict)):
            items = list(value.values()) if isinstance(value, dict) else list(value)
            if items and all(isinstance(v, Layer) for v in items):
                yield attr, items


def layer_paths(model):
    """``{path: layer}`` for ``model`` and every layer in it, at the paths of Keras 3's saver."""
    out, visited = {}, set()

    def visit(layer, path):
        if id(layer) in visited:
            return
        visited.add(id(layer))
        out[path] = layer
        for attr, child in _children(layer):
            base = f"{path}/{attr}" if path else attr
            if not isinstance(child, list):
                visit(child, base)
                continue
            used = {}
            for item in child:
                name = to_snake_case(type(item).__name__)
                used[name] = used.get(name, -1) + 1
                visit(item, f"{base}/{name}" if used[name] == 0 else f"{base}/{name}_{used[name]}")

    visit(model, "")
    return out


def variable_paths(model):
    """``{path: [variables]}`` for every layer of ``model`` that owns variables, in Keras 3's layout."""
    return {path: layer._own_variables() for path, layer in layer_paths(model).items() if layer._own_variables()}


def _write_assets(z, model):
    """Files a layer's ``save_assets(dir)`` writes (adapted vocabularies), as ``assets/<path>/...`` in ``z``."""
    for path, layer in layer_paths(model).items():
        if hasattr(layer, "save_assets"):
            with tempfile.TemporaryDirectory() as tmp:
                layer.save_assets(tmp)
                for name in sorted(os.listdir(tmp)):
                    z.write(os.path.join(tmp, name), f"assets/{path}/{name}")


def _read_assets(path, model):
    """Hand each layer with ``load_assets(dir)`` its ``assets/<path>/`` files from the archive ``path``."""
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.startswith("assets/")]
        if not names:
            return
        for inner, layer in layer_paths(model).items():
            prefix = f"assets/{inner}/"
            files = [n for n in names if n.startswith(prefix) and "/" not in n[len(prefix):]]
            if files and hasattr(layer, "load_assets"):
                with tempfile.TemporaryDirectory() as tmp:
                    for n in files:
                        with open(os.path.join(tmp, n[len(prefix):]), "wb") as f:
                            f.write(z.read(n))
                    layer.load_assets(tmp)


def write_weights(f, model, include_optimizer=True):
    """Write ``model``'s weights, and its built optimizer's state unless excluded, into the open h5 file ``f``."""
    f.create_group("vars").attrs["name"] = model.name
    for path, layer in layer_paths(model).items():
        store = {}
        layer.save_own_variables(store)  # own variables, or what an overriding layer keeps (IDF weights)
        if not store:
            continue
        group = f.require_group(path).require_group("vars") if path else f["vars"]
        group.attrs["name"] = path.rsplit("/", 1)[-1] if path else model.name
        for key, value in store.items():
            group.create_dataset(key, data=value)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and optimizer.built:
        group = f.create_group("optimizer").create_group("vars")
        group.attrs["name"] = optimizer.name
        for i, v in enumerate(optimizer.variables):
            group.create_dataset(str(i), data=B.convert_to_numpy(v))


def save_weights(model, filepath, overwrite=True):
    """Write ``model``'s weights (and its optimizer's state, as Keras does) in the ``.weights.h5`` layout.

    A model that is not built (a subclassed model never called) is refused, as Keras refuses it."""
    if not model.built:
        raise ValueError("You are saving a model that has not yet been built. Try building the model first by "
                         "calling it on some data or by using `build()`.")
    with atomic_write(filepath, overwrite) as tmp, h5py.File(tmp, "w") as f:
        write_weights(f, model)


def _read_vars(f, path, filepath):
    key = f"{path}/vars" if path else "vars"
    if key not in f:
        return None
    group = f[key]
    if not isinstance(group, h5py.Group):
        raise ValueError(f"{filepath}: {key!r} should be a group of weights, found {type(group).__name__}.")
    return [h5.checked_dataset(group, str(i), filepath) for i in range(len(group))]


def weight_assignments(f, model, filepath, skip_mismatch=False):
    """Checked ``(variable, value)`` pairs for loading a ``.weights.h5`` file (open as ``f``) into ``model``."""
    pairs, layers = [], layer_paths(model)
    for path, variables in variable_paths(model).items():
        if _custom_state(layers[path], "load_own_variables"):
            continue  # read by the layer's own ``load_own_variables`` (``load_weights_from_h5``)
        values = _read_vars(f, path, filepath)
        where = f"layer {path!r} ({variables[0].path.rsplit('/', 1)[0]!r} in the model)"
        if values is None or len(values) != len(variables):
            message = (f"{filepath}: {where} has {len(variables)} weight(s) {[tuple(v.shape) for v in variables]}, "
                       f"the file holds {0 if values is None else len(values)}"
                       f"{'' if values is None else ' ' + str([v.shape for v in values])}.")
            if not skip_mismatch:
                raise ValueError(message)
            warnings.warn(message + " Skipped (skip_mismatch=True).", stacklevel=3)
            continue
        h5.match_weights(pairs, variables, values, where, filepath, skip_mismatch)
        pairs += [(v, np.zeros(tuple(v.shape))) for v in layers[path]._reset_on_load()]
    return pairs


def load_weights_from_h5(model, f, filepath, skip_mismatch=False):
    """Load a ``.weights.h5`` file (already open as ``f``) into ``model``; nothing is assigned on error.

    The file's optimizer state (step count, learning rate, slots) loads into the model's optimizer when
    it is built; an unbuilt optimizer keeps its fresh state, with Keras's warning."""
    pairs = weight_assignments(f, model, filepath, skip_mismatch)
    optimizer = getattr(model, "optimizer", None)
    values = _read_vars(f, "optimizer", filepath) if optimizer is not None else None
    if values is not None and optimizer.built:
        pairs += h5.optimizer_assignments(model, values, filepath)
    elif values is not None:
        warnings.warn(f"{filepath}: skipping variable loading for optimizer {optimizer.name!r}, because it has "
                      f"not been built yet whereas the saved optimizer has {len(values)} variables. Build it "
                      f"first (`model.optimizer.build(model.trainable_variables)`) to restore its state.",
                      stacklevel=3)
    h5.assign(pairs, filepath)
    for path, layer in layer_paths(model).items():
        key = f"{path}/vars" if path else "vars"
        if _custom_state(layer, "load_own_variables") and key in f:
            layer.load_own_variables({k: np.asarray(h5.checked_dataset(f[key], k, filepath)) for k in f[key]})


# ---------------------------------------------------------------------------- .keras archives
def is_keras_zip(path):
    """Whether ``path`` is a zip archive (a ``.keras`` file), judged by its content."""
    return os.path.isfile(path) and zipfile.is_zipfile(path)


def read_archive(path):
    """``(config, weights)`` of the ``.keras`` archive at ``path``: its config dict and its weights file's bytes."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            missing = {"config.json", "model.weights.h5"} - names
            if missing:
                raise ValueError(f"{path}: a `.keras` archive needs {sorted(missing)}, which it lacks.")
            for info in z.infolist():
                if info.file_size > h5.BOMB_FLOOR_BYTES and info.file_size > h5.MAX_EXPANSION * info.compress_size:
                    raise ValueError(f"{path}: archive member {info.filename!r} declares {info.file_size} bytes but "
                                     f"stores only {info.compress_size}; refusing to unpack it.")
            config = json.loads(z.read("config.json"))
            if not isinstance(config, dict):
                raise ValueError(f"{path}: config.json should hold a JSON object, found {type(config).__name__}.")
            return config, z.read("model.weights.h5")
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, UnicodeDecodeError,
            json.JSONDecodeError) as e:
        raise ValueError(f"{path} is not a readable `.keras` archive: {e}") from None


def model_config(model, with_compile_config=True):
    """``serialize_keras_object(model)``, with the ``compile_config`` of a compiled model, as Keras writes it in
    ``config.json`` and ``model.to_json()``."""
    config = serialize_keras_object(model)
    if with_compile_config and model.compiled and model.optimizer is not None:
        config["compile_config"] = (serialize_keras_object(model.get_compile_config())
                                    if _custom_compile(model, "get_compile_config") else configs.compile_config(model))
    return config


def compile_from_config(model, compile_config, custom_objects=None, path="the model's config"):
    """Compile ``model`` as its ``compile_config`` says (Keras's ``compile_from_config``)."""
    if _custom_compile(model, "compile_from_config") or _custom_compile(model, "compile"):
        model.compile_from_config(compile_config)  # the model's own, or Keras's warning
    else:
        with configs.config_errors(path):
            compile_config = {**compile_config, "optimizer_config": compile_config.get("optimizer")}
            model.compile(**configs.compile_args(compile_config, custom_objects, path))


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` as a ``.keras`` archive, atomically; with the compile config and optimizer state if compiled.

    With ``include_optimizer=False`` the archive holds neither, and loads as an uncompiled model.
    """
    compiled = include_optimizer and model.compiled and model.optimizer is not None
    config = json.dumps(model_config(model, compiled), default=json_default)
    metadata = json.dumps({"keras_version": h5.KERAS_VERSION,
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        write_weights(f, model, include_optimizer=compiled)
    with atomic_write(filepath, overwrite) as tmp, zipfile.ZipFile(tmp, "w") as z:
        z.writestr("metadata.json", metadata)
        z.writestr("config.json", config)
        z.writestr("model.weights.h5", weights.getvalue())
        _write_assets(z, model)


def load_weights_from_zip(model, path, skip_mismatch=False):
    """Load the weights of a ``.keras`` archive into ``model``."""
    _, weights = read_archive(path)
    with h5.open_h5(path, weights) as f:
        load_weights_from_h5(model, f, path, skip_mismatch)


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild the model in a ``.keras`` archive (Keras 3's or kerasport's): config, weights, compile and optimizer
    state."""
    from kerasport import layers as layers_mod
    config, weights = read_archive(path)
    compile_config = config.pop("compile_config", None)
    with configs.config_errors(path), safe_mode_scope(safe_mode):
        config = configs.normalize_model_config(config, custom_objects, safe_mode, path)
        model = layers_mod.deserialize(config, custom_objects=custom_objects)
    with h5.open_h5(path, weights) as f:
        load_weights_from_h5(model, f, path)
        _read_assets(path, model)
        if compile and compile_config:
            compile_from_config(model, compile_config, custom_objects, path)
            values = _read_vars(f, "optimizer", path)
            if values is not None and getattr(model, "optimizer", None) is not None:
                h5.restore_optimizer(model, values, path)
    return model
