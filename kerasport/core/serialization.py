"""Keras-compatible object (de)serialization and the custom-object registry.

``serialize_keras_object`` writes Keras 3's dict form
(``{"module", "class_name", "config", "registered_name"}``);
``deserialize_keras_object`` reads it, Keras 2's ``{"class_name", "config"}``
form and bare strings, looking names up in: ``custom_objects``, the
``custom_object_scope``, registered objects, then the module's built-ins.
"""
import contextlib
import inspect

import numpy as np

_REGISTERED = {}
_SCOPE = [{}]


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function as ``"package>name"`` for loading.

    Example::

        @kerasport.saving.register_keras_serializable(package="my_pkg")
        class MyLayer(kerasport.layers.Layer): ...
    """

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: it has no get_config() method.")
        _REGISTERED[key] = obj
        obj._registered_name = key
        return obj

    return decorator


def get_custom_objects():
    """The global ``{name: object}`` registry that loading searches (Keras's ``get_custom_objects``).

    ``register_keras_serializable`` adds ``"package>name"`` entries to it; adding
    ``get_custom_objects()["MyLayer"] = MyLayer`` makes ``MyLayer`` loadable by name.
    """
    return _REGISTERED


def get_registered_name(obj):
    return getattr(obj, "_registered_name", None) or getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    for table in (custom_objects or {}, *_SCOPE[::-1], _REGISTERED, module_objects or {}):
        if name in table:
            return table[name]
    short = name.split(">")[-1]
    for table in (custom_objects or {}, *_SCOPE[::-1], module_objects or {}):
        if short in table:
            return table[short]
    for key, obj in _REGISTERED.items():
        if key.split(">")[-1] == short:
            return obj
    return None


@contextlib.contextmanager
def custom_object_scope(custom_objects):
    """Within this ``with`` block, ``custom_objects`` are found by name when loading."""
    _SCOPE.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        _SCOPE.pop()


CustomObjectScope = custom_object_scope


def serialize_keras_object(obj):
    """Keras 3's dict form of a layer, loss, metric, optimizer, initializer, ... ."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if type(obj).__module__ == np.__name__:  # as Keras: an array as __numpy__, a NumPy scalar as a number
        if isinstance(obj, np.ndarray) and obj.ndim > 0:
            return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
        return obj.item()
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        if obj.__module__.startswith("kerasport."):  # a built-in: Keras finds it by name, as it writes its own
            return {"module": "builtins", "class_name": "function", "config": obj.__name__,
                    "registered_name": "function"}
        return {"module": obj.__module__, "class_name": "function",
                "config": getattr(obj, "_registered_name", None) or obj.__name__,
                "registered_name": getattr(obj, "_registered_name", None) or obj.__name__}
    cls = type(obj)
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {obj!r}: it has no get_config() method.")
    config = obj.get_config()
    class_name = _KERAS_EXPORT_NAMES.get(cls.__name__, cls.__name__) if cls.__module__.startswith("kerasport.") \
        else cls.__name__
    out = {"module": _keras_module(cls), "class_name": class_name, "config": config,
           "registered_name": None if cls.__module__.startswith("kerasport.") else
           getattr(cls, "_registered_name", None) or cls.__name__}
    build_config = obj.get_build_config() if hasattr(obj, "get_build_config") else None
    if build_config is not None:
        out["build_config"] = build_config
    return out


# Built-in classes whose Keras class is exported (and so written and found) under another name.
def serialized(obj):
    """``serialize_keras_object(obj)``, or ``None`` for ``None`` (an unset initializer, regularizer...)."""
    return serialize_keras_object(obj) if obj is not None else None


def json_default(obj):
    """``json.dumps``'s ``default``: NumPy scalars and arrays as Python numbers and lists."""
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_KERAS_EXPORT_NAMES = {"GroupedQueryAttention": "GroupQueryAttention"}


def _keras_module(cls):
    """Keras's module name for a built-in class (so Keras can load our files), else the real one."""
    parts = cls.__module__.split(".")
    if parts[0] != "kerasport" or len(parts) < 2:
        return cls.__module__
    if parts[1] == "models":
        return "keras.src.models.functional" if cls.__name__ == "Functional" else "keras"
    return "keras." + parts[1]


def deserialize_keras_object(config, module_objects=None, custom_objects=None, printable_module_name="object"):
    """Rebuild an object from its config (Keras 3 or Keras 2 form) or its name."""
    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects, module_objects)
        if obj is None and module_objects is None:
            return config  # as Keras: a name nothing is registered under is taken as already deserialized
        if obj is None:
            raise ValueError(_unknown(printable_module_name, config, module_objects))
        return obj() if inspect.isclass(obj) else obj
    if isinstance(config, (list, tuple)) and module_objects is None:
        return [deserialize_keras_object(c, None, custom_objects, printable_module_name) for c in config]
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret {printable_module_name} config: {config!r}")
    class_name, inner = config["class_name"], config.get("config", {})
    if class_name == "function":
        name = inner if config.get("registered_name") in (None, "function") else config["registered_name"]
        fn = get_registered_object(name, custom_objects, module_objects)
        if fn is None:
            raise ValueError(_unknown(printable_module_name, name, module_objects))
        return fn
    if class_name == "__tensor__" or class_name == "__numpy__":
        return np.array(inner["value"], dtype=inner.get("dtype"))
    name = config.get("registered_name") or class_name
    cls = get_registered_object(name, custom_objects, module_objects)
    if cls is None and name != class_name:
        cls = get_registered_object(class_name, custom_objects, module_objects)
    if cls is None:
        raise ValueError(_unknown(printable_module_name, class_name, module_objects)
                         + " If it is a custom class, pass it in `custom_objects` or decorate it "
                           "with `@kerasport.saving.register_keras_serializable()`.")
    if hasattr(cls, "from_config"):
        obj = cls.from_config(inner) if custom_objects is None else _from_config(cls, inner, custom_objects)
    else:
        obj = cls(**inner)
    build_config = config.get("build_config")
    if build_config and hasattr(obj, "build_from_config"):
        obj.build_from_config(build_config)
    return obj


def _from_config(cls, inner, custom_objects):
    with custom_object_scope(custom_objects):
        return cls.from_config(inner)


def _unknown(kind, name, module_objects):
    known = sorted(k for k in (module_objects or {}) if not k.startswith("_"))
    hint = f" Known names: {', '.join(known[:60])}." if known else ""
    return f"Unknown {kind}: {name!r}.{hint}"


_SAFE_MODE = [True]


@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    """Within this block ``in_safe_mode()`` is ``safe_mode``.

    Loading runs in ``safe_mode_scope(True)`` unless the caller passes
    ``safe_mode=False``; objects whose config holds Python bytecode (a
    ``Lambda``'s function) must refuse to rebuild it while ``in_safe_mode()``.
    """
    _SAFE_MODE.append(bool(safe_mode))
    try:
        yield
    finally:
        _SAFE_MODE.pop()


def enable_unsafe_deserialization():
    """Let loading rebuild ``Lambda`` layers from stored Python bytecode (only for files you trust)."""
    _SAFE_MODE[0] = False


def in_safe_mode():
    """Whether deserialization must refuse to execute code stored in a config (True by default)."""
    return _SAFE_MODE[-1]


def check_local_file_allowed(path, what):
    """Refuse to read the local file ``path`` for ``what`` while a file is being loaded in safe mode.

    A loaded config must not make the library read other files on this machine
    (a vocabulary path pointing at ``/etc/passwd``): inside ``load_model`` with
    ``safe_mode=True`` any config field that names a path raises this
    ``ValueError``. Outside loading (a layer built in code) and with
    ``safe_mode=False`` the path is read. Assets stored inside a ``.keras``
    archive are not affected.
    """
    if len(_SAFE_MODE) > 1 and _SAFE_MODE[-1]:
        raise ValueError(f"Requested the loading of {what} from the file {path!r}, outside of the model file being "
                         "loaded. A loaded file may not make kerasport read other local files in safe mode (it "
                         "could expose arbitrary, sensitive files). If you trust the source of the file, pass "
                         "`safe_mode=False` to the loading function.")
