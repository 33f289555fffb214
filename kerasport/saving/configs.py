"""Model and training configs as saved files hold them: Keras 2 forms read, compile arguments both ways.

``normalize_model_config`` rewrites what Keras 2 (tf_keras) writes into what
kerasport's constructors take, and refuses Python bytecode in safe mode;
``training_config`` (legacy HDF5) and ``compile_config`` (``.keras``) turn
``compile()`` arguments into what Keras saves, ``compile_args`` turns either back.
"""
import contextlib
import inspect

from kerasport import initializers, losses, metrics, optimizers
from kerasport.core.serialization import get_registered_name, get_registered_object, serialize_keras_object
from kerasport.models.keras_op_nodes import op_layer_entry

# Constructor arguments of Keras 2 that Keras 3 dropped; removed when the target class does not take them.
LEGACY_LAYER_ARGS = ("time_major", "input_dtype", "implementation", "zero_output_for_mask", "ragged",
                     "groups",  # transposed convolutions (always 1)
                     "kernel_initializer", "kernel_regularizer", "kernel_constraint",  # separable convs (unused)
                     "query_shape", "key_shape", "value_shape", "softmax_robust_masking")  # MultiHeadAttention
LEGACY_OPTIMIZER_ARGS = ("jit_compile", "is_legacy_optimizer", "decay")
# Keras 2 Lambda arguments that describe how the function was pickled.
_LAMBDA_ENCODING_ARGS = ("module", "function_type", "output_shape_type", "output_shape_module")
# compile() strings whose meaning depends on the loss and the output shape: kept as strings.
_CONTEXT_METRICS = ("accuracy", "acc", "crossentropy", "ce")


@contextlib.contextmanager
def config_errors(source):
    """Turn what a malformed config makes deserialization raise into one ``ValueError`` naming ``source``.

    A file's config can hold anything (a number where a dict belongs, a layer
    with 2**40 units): rebuilding the model from it must end in kerasport's
    ``ValueError`` for a bad file, never in a ``TypeError``, ``AttributeError``
    or ``MemoryError`` from deep inside.
    """
    try:
        yield
    except (TypeError, AttributeError, IndexError, KeyError, ValueError, MemoryError, OverflowError,
            RecursionError) as e:
        if type(e) is ValueError:
            raise
        raise ValueError(f"{source}: cannot rebuild the model from its config ({type(e).__name__}: {e}).") from e


def _is_object_config(x):
    return isinstance(x, dict) and "class_name" in x and "config" in x


def _accepted_args(cls):
    """Names of the keyword arguments that ``cls``'s constructor chain takes."""
    names = set()
    for klass in inspect.getmro(cls):
        if "__init__" in vars(klass) and klass is not object:
            names.update(inspect.signature(klass.__init__).parameters)
    return names


def normalize_model_config(config, custom_objects=None, safe_mode=True, source="the config"):
    """A copy of a model/layer config that kerasport's layers accept.

    Handles Keras 2 forms: single-element ``axis`` lists, arguments Keras 3
    removed (``time_major``, ...), pickled ``Lambda`` functions; drops
    initializer arguments kerasport does not take, and the ops (``NotEqual``,
    ``Any``) that Keras 3 records in Functional configs to compute the masks
    that kerasport's layers propagate themselves. In safe mode a
    ``Lambda`` whose function is Python bytecode raises instead of loading.

    Args:
        config: ``{"class_name", "config"}`` dict (nested layers are walked).
        custom_objects: ``{name: class_or_function}`` used to find custom layer classes.
        safe_mode: refuse configs that would run bytecode from the file.
        source: how to name the config's origin in errors (usually the file path).
    """
    from kerasport import layers as layers_mod
    table = layers_mod.layer_classes()

    def walk(x):
        if isinstance(x, list):
            return [walk(v) for v in x]
        if not isinstance(x, dict):
            return x
        x = {k: walk(v) for k, v in x.items()}
        if _is_object_config(x) and isinstance(x["config"], dict):
            x["config"] = _normalize_layer(x["class_name"], x.get("registered_name"), x.get("module"), x["config"])
            if isinstance(x["config"].get("layers"), list) and "output_layers" in x["config"]:
                x["config"]["layers"] = [op_layer_entry(e) for e in _drop_mask_ops(x["config"], is_layer)]
        return x

    def is_layer(entry):
        return get_registered_object(entry.get("registered_name") or entry["class_name"], custom_objects,
                                     table) is not None

    def _normalize_layer(class_name, registered_name, module, cfg):
        cls = get_registered_object(registered_name or class_name, custom_objects, table)
        if cls is None and (module is None or ".initializers" in module):  # not an op of the same name (STFT)
            cls = getattr(initializers, class_name, None)
        if inspect.isclass(cls) and issubclass(cls, initializers.Initializer):
            # Newer Keras knobs (e.g. 3.15's `input_axes`) only shape fresh weights, which loading replaces.
            accepted = _accepted_args(cls)
            return {k: v for k, v in cfg.items() if k in accepted}
        if not (inspect.isclass(cls) and issubclass(cls, layers_mod.Layer)):
            return cfg
        if class_name == "Lambda":
            cfg = _lambda_config(cfg, safe_mode, source)
        if isinstance(cfg.get("axis"), list) and len(cfg["axis"]) == 1:
            cfg["axis"] = int(cfg["axis"][0])
        accepted = _accepted_args(cls)
        return {k: v for k, v in cfg.items() if k in accepted or k not in LEGACY_LAYER_ARGS}

    return walk(config)


def _drop_mask_ops(config, is_layer):
    """A Functional config's layers without the non-layer ops that only compute ``mask`` arguments."""
    entries = config["layers"]
    ops = {e["name"] for e in entries if not is_layer(e)}
    for entry in entries:
        for node in entry.get("inbound_nodes", []):
            if isinstance(node, dict) and _referenced_layers(node.get("kwargs", {}).get("mask")) & ops:
                node["kwargs"] = {k: v for k, v in node["kwargs"].items() if k != "mask"}
    while True:
        used = {name for e in entries for name in _referenced_layers(e.get("inbound_nodes", []))}
        used.update(_referenced_layers(config["output_layers"]))
        unused = ops - used
        if not unused:
            return entries
        entries = [e for e in entries if e["name"] not in unused]
        ops -= unused


def _referenced_layers(x):
    """Names of the layers that tensor references in ``x`` (a node or ``output_layers``, Keras 2 or 3) point to."""
    if isinstance(x, dict):
        if x.get("class_name") == "__keras_tensor__":
            return {x["config"]["keras_history"][0]}
        return set().union(*map(_referenced_layers, x.values()))
    if isinstance(x, list):
        if len(x) >= 3 and isinstance(x[0], str) and isinstance(x[1], int):
            return {x[0]}
        return set().union(*map(_referenced_layers, x))
    return set()


def _lambda_config(cfg, safe_mode, source):
    """Keras 2 Lambda config -> Keras 3 form; in safe mode, refuse bytecode."""
    cfg = {k: v for k, v in cfg.items() if k not in _LAMBDA_ENCODING_ARGS}
    for key in ("function", "output_shape"):
        value = cfg.get(key)
        if isinstance(value, (list, tuple)) and len(value) == 3 and isinstance(value[0], str):
            value = cfg[key] = {"class_name": "__lambda__",
                                "config": {"code": value[0], "defaults": value[1], "closure": value[2]}}
        if isinstance(value, dict) and value.get("class_name") == "__lambda__" and safe_mode:
            raise ValueError(
                f"{source}: Lambda layer {cfg.get('name')!r} stores its `{key}` as Python bytecode, and loading "
                "it would execute that code. Loading refuses this in safe mode. If you trust the file, load it "
                "with `safe_mode=False`.")
    return cfg


# ---------------------------------------------------------------------------- training config
def _legacy_serialize(obj):
    """Keras's legacy form of a compile argument: names for functions, ``{class_name, config}`` for objects."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_legacy_serialize(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _legacy_serialize(v) for k, v in obj.items()}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return get_registered_name(obj)
    if type(obj) is metrics.MeanMetricWrapper:
        return {"class_name": "MeanMetricWrapper", "config": {**obj.get_config(), "fn": get_registered_name(obj._fn)}}
    if type(obj) is losses.LossFunctionWrapper:
        return {"class_name": "LossFunctionWrapper", "config": {**obj.get_config(), "fn": get_registered_name(obj.fn)}}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot save the compile argument {obj!r}: it is neither a name, a function, nor an "
                        "object with get_config().")
    return {"class_name": get_registered_name(type(obj)), "config": obj.get_config()}


def training_config(model):
    """Keras's ``training_config`` for a compiled model: compile arguments plus ``optimizer_config``."""
    cc = model.get_compile_config()
    out = {key: _legacy_serialize(cc.get(key)) for key in ("loss", "loss_weights", "metrics", "weighted_metrics")}
    out.update(run_eagerly=bool(cc.get("run_eagerly")), steps_per_execution=model.steps_per_execution,
               jit_compile=cc.get("jit_compile"))
    optimizer = model.optimizer
    out["optimizer_config"] = {"class_name": get_registered_name(type(optimizer)), "config": optimizer.get_config()}
    return out


def compile_config(model):
    """Keras 3's ``compile_config`` (the ``.keras`` form): the compiled optimizer and arguments, serialized."""
    cc = model.get_compile_config()
    out = {"optimizer": serialize_keras_object(model.optimizer)}
    out.update({key: serialize_keras_object(cc.get(key)) for key in ("loss", "loss_weights", "metrics",
                                                                      "weighted_metrics")})
    out.update(run_eagerly=bool(cc.get("run_eagerly")), steps_per_execution=model.steps_per_execution,
               jit_compile=cc.get("jit_compile") is True)
    return out


def compile_args(training_config, custom_objects=None, source="the file"):
    """``compile()`` keyword arguments from a Keras 3 or Keras 2 ``training_config``."""
    opt = training_config.get("optimizer_config") or "rmsprop"  # compile()'s default optimizer
    if isinstance(opt, dict):
        opt_cfg = {k: v for k, v in opt.get("config", {}).items() if k not in LEGACY_OPTIMIZER_ARGS}
        if "lr" in opt_cfg:
            opt_cfg["learning_rate"] = opt_cfg.pop("lr")
        opt = {**opt, "config": opt_cfg}
    optimizer = optimizers.deserialize(opt, custom_objects)

    def resolve(spec, kind):
        if spec is None:
            return None
        if isinstance(spec, list):
            return [resolve(s, kind) for s in spec]
        if isinstance(spec, dict) and not _is_object_config(spec):
            return {k: resolve(v, kind) for k, v in spec.items()}
        return _compile_object(spec, kind, custom_objects, source)

    def metric_list(spec):
        # tf_keras nests a single-output model's metrics as one per-output list: [[m1, m2]].
        if isinstance(spec, list) and len(spec) == 1 and isinstance(spec[0], list):
            spec = spec[0]
        return resolve(spec, "metric")

    return dict(optimizer=optimizer, loss=resolve(training_config.get("loss"), "loss"),
                loss_weights=training_config.get("loss_weights"),
                metrics=metric_list(training_config.get("metrics")),
                weighted_metrics=metric_list(training_config.get("weighted_metrics")),
                steps_per_execution=int(training_config.get("steps_per_execution") or 1))


def _compile_object(spec, kind, custom_objects, source):
    """One loss or metric of a training config: builtin names stay names, the rest become objects."""
    module = losses if kind == "loss" else metrics
    if isinstance(spec, str):
        if kind == "metric" and spec in _CONTEXT_METRICS:
            return spec
        found = get_registered_object(spec, custom_objects)
        if found is not None:
            return found() if inspect.isclass(found) else found
        try:
            module.get(spec)
            return spec
        except ValueError as e:
            raise ValueError(f"{source}: the training config names the {kind} {spec!r}, which is unknown. If it "
                             "is a custom object, pass it in `custom_objects` (or load with compile=False).") from e
    if spec.get("class_name") == "function":  # Keras 3's form of a plain function
        return _function(spec["config"] if spec.get("registered_name") in (None, "function") else
                         spec["registered_name"], custom_objects, source)
    cfg = dict(spec.get("config") or {})
    if cfg.get("reduction") == "auto":  # Keras 2's default reduction
        cfg["reduction"] = "sum_over_batch_size"
    wrapper = {"metric": metrics.MeanMetricWrapper, "loss": losses.LossFunctionWrapper}[kind]
    if spec["class_name"] == wrapper.__name__:  # a plain function saved with its name under "fn"
        return wrapper(_function(cfg.pop("fn"), custom_objects, source), **cfg)
    return module.deserialize({**spec, "config": cfg}, custom_objects)


def _function(name, custom_objects, source):
    """The loss or metric function called ``name`` (custom objects first)."""
    for module in (losses, metrics):
        try:
            return module.deserialize(name, custom_objects)
        except ValueError:
            continue
    raise ValueError(f"{source}: the training config wraps an unknown function {name!r}; pass it in "
                     "`custom_objects` (or load with compile=False).")
