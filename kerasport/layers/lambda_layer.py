"""``Lambda``: wraps a Python function as a layer, and (de)serializes the function as Keras does."""
import base64
import builtins
import inspect
import marshal
import types

from kerasport import activations, ops
from kerasport.core.serialization import (deserialize_keras_object, get_registered_object, in_safe_mode,
                                          serialize_keras_object)
from kerasport.layers.layer import Layer
from kerasport.layers.symbolic import spec_by_running


# Where a function config's ``module`` says to look its name up. Keras writes its own functions in a
# Lambda as ``module: "builtins"`` and finds them among its activations (and such); ``keras.ops`` by path.
_FUNCTION_NAMESPACES = {"builtins": (activations, ops), "keras.activations": (activations,), "keras.ops": (ops,)}


def _serialize_function(fn):
    """Keras's config of a callable: a Python lambda as marshalled bytecode, a named function by name."""
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
        return {"class_name": "__lambda__",
                "config": {"code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
                           "defaults": fn.__defaults__, "closure": closure}}
    name = getattr(fn, "__name__", None)
    if name and getattr(activations, name, None) is fn:
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    if name and getattr(ops, name, None) is fn:
        return {"module": "keras.ops", "class_name": "function", "config": name, "registered_name": name}
    return serialize_keras_object(fn)


def _deserialize_function(config, custom_objects, safe_mode):
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        if safe_mode:
            raise ValueError(
                "Refusing to load a `Lambda` layer whose function is a Python lambda stored as bytecode: "
                "loading it runs arbitrary code. If you trust the source of this file, pass `safe_mode=False` "
                "to the loading function.")
        inner = config["config"]
        code = marshal.loads(base64.decodebytes(inner["code"].encode("ascii")))
        defaults = tuple(inner["defaults"]) if inner.get("defaults") is not None else None
        closure = tuple(types.CellType(v) for v in inner["closure"]) if inner.get("closure") is not None else None
        return types.FunctionType(code, {"__builtins__": builtins, "ops": ops}, code.co_name, defaults, closure)
    if not (isinstance(config, dict) and config.get("class_name") == "function"):
        return deserialize_keras_object(config, None, custom_objects, "function")
    # Found by its ``config`` name, as Keras does (its ``registered_name`` may be just ``"function"``).
    name = config["config"]
    fn = get_registered_object(name, custom_objects)
    if fn is None:
        namespaces = _FUNCTION_NAMESPACES.get(config.get("module"), ())
        fn = next((getattr(ns, name) for ns in namespaces if hasattr(ns, name)), None)
    if fn is None:
        raise ValueError(f"Unknown function {config['config']!r} in a Lambda config. Pass it in `custom_objects` "
                         "or decorate it with `@kerasport.saving.register_keras_serializable()`.")
    return fn


class Lambda(Layer):
    """Wraps a function of tensors as a layer: ``Lambda(lambda x: ops.square(x))``.

    Prefer a ``Layer`` subclass for anything with weights or state. A Python lambda is
    saved as bytecode (Keras's format, tied to the Python version) and loads only with
    ``safe_mode=False``; a named function is saved by name and must be registered
    (``register_keras_serializable``) or passed in ``custom_objects`` to load.

    Args:
        function: called as ``function(inputs, **arguments)``, plus ``mask=``/``training=``
            when it takes those arguments.
        output_shape: the output shape without the batch dim (or a list of them), or a function
            of the input shape; inferred by running ``function`` when omitted.
        mask: the output mask, or a function ``mask(inputs, input_mask)`` computing it
            (``None``: no mask).
        arguments: extra keyword arguments for ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda {self.name!r}: `function` must be callable, received {function!r}.")
        self.function, self.arguments, self.mask = function, arguments or {}, mask
        self._output_shape = output_shape
        self.supports_masking = mask is not None
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):  # builtins without a signature take neither argument
            params = {}
        self._fn_expects_mask, self._fn_expects_training = "mask" in params, "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask:
            kwargs["mask"] = mask
        if self._fn_expects_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def compute_output_spec(self, *args, **kwargs):
        if self._output_shape is None:
            return spec_by_running(self, args, kwargs)
        return super().compute_output_spec(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = input_shape[0] if input_shape and not isinstance(input_shape[0], (list, tuple)) \
            else input_shape[0][0]

        def with_batch(shape):
            if shape and all(isinstance(s, (list, tuple)) for s in shape):
                return [with_batch(s) for s in shape]
            return (batch,) + tuple(shape)
        return with_batch(self._output_shape)

    def get_config(self):
        config = {**super().get_config(), "function": _serialize_function(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = _serialize_function(self._output_shape) if callable(self._output_shape) \
                else self._output_shape
        if self.mask is not None:
            config["mask"] = _serialize_function(self.mask) if callable(self.mask) \
                else serialize_keras_object(self.mask)
        config["arguments"] = serialize_keras_object(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild the layer; a Python lambda (bytecode) loads only when ``safe_mode=False`` is in effect."""
        config = dict(config)
        safe_mode = in_safe_mode() if safe_mode is None else bool(safe_mode)
        config["function"] = _deserialize_function(config["function"], custom_objects, safe_mode)
        shape = config.get("output_shape")
        if isinstance(shape, dict):
            config["output_shape"] = _deserialize_function(shape, custom_objects, safe_mode)
        elif isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
            config["output_shape"] = tuple(shape)
        if isinstance(config.get("mask"), dict) and config["mask"].get("class_name") in ("__lambda__", "function"):
            config["mask"] = _deserialize_function(config["mask"], custom_objects, safe_mode)
        config["arguments"] = {k: deserialize_keras_object(v, custom_objects=custom_objects)
                               if isinstance(v, dict) and "class_name" in v else v
                               for k, v in (config.get("arguments") or {}).items()}
        return super().from_config(config)
