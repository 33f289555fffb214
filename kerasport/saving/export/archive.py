"""``ExportArchive``: a SavedModel with the serving endpoints you choose, from either backend.

On TensorFlow each endpoint is a ``tf.function`` of any function (Keras's behaviour). On torch,
where Keras itself needs TensorFlow in the same process, an endpoint is a tracked model's own
forward pass: the models travel as temporary ``.keras`` files to a TensorFlow child process
(``child.py``), which builds the same archive there (``write_plan``).
"""
import os
import tempfile

from kerasport import tree
from kerasport.backend import is_tensor, standardize_dtype
from kerasport.backends import backend
from kerasport.core.keras_tensor import KerasTensor
from kerasport.layers.input_spec import InputSpec
from kerasport.layers.layer import Layer
from kerasport.saving.export.atomic_folder import atomic_folder
from kerasport.saving.export.spec import check_no_host_layers

_FORWARD = ("call", "__call__")


class ExportArchive:
    """ExportArchive is used to write SavedModel artifacts for inference.

    Instantiate an ``ExportArchive``, ``track()`` the model(s) or layer(s) the endpoints use,
    register serving endpoints with ``add_endpoint()``, then ``write_out()`` the artifact, a
    SavedModel that ``tf.saved_model.load`` reloads (its endpoints are methods of the reloaded
    object) and TF Serving serves (every endpoint is a signature; the first one is also
    ``"serving_default"``).

    On the TensorFlow backend an endpoint may be any function of the tracked objects (a
    ``tf.function`` traced at least once, or any callable with an ``input_signature``). On
    the torch backend an endpoint must be a tracked model's forward pass (the model,
    ``model.call`` or ``model.__call__``): the archive is written by a TensorFlow child process
    that rebuilds the models from ``.keras`` files (custom layers must be registered with
    ``register_keras_serializable`` in an importable module), since a torch process never
    imports TensorFlow and a Python function cannot be traced without it.

    Args:
        format: ``"saved_model"``, the only format (Keras's ``"neptune_model"`` is not supported).

    Example::

        export_archive = ExportArchive()
        export_archive.track(model)
        export_archive.add_endpoint(
            name="serve",
            fn=model.call,
            input_signature=[keras.InputSpec(shape=(None, 3), dtype="float32")],
        )
        export_archive.write_out("path/to/location")

        serving_model = tf.saved_model.load("path/to/location")
        outputs = serving_model.serve(inputs)
    """

    def __init__(self, format="saved_model"):
        if format != "saved_model":
            raise ValueError(f"Unsupported format: {format}. kerasport's ExportArchive writes 'saved_model' only.")
        self._endpoint_names = []
        self._tracked_layers = []
        if backend() == "tensorflow":
            from kerasport.backends.tensorflow import export_archive as tf_archive
            self._tf = tf_archive
            self._root = tf_archive.Root()
            self._endpoints = {}
        else:
            self._tf = None
            self._plan_endpoints = []
            self._collections = {}

    # ------------------------------------------------------------------ what is stored
    @property
    def variables(self):
        return self._variables("weights")

    @property
    def trainable_variables(self):
        return self._variables("trainable_weights")

    @property
    def non_trainable_variables(self):
        return self._variables("non_trainable_weights")

    def _variables(self, kind):
        out = {}
        for layer in self._tracked_layers:
            for v in getattr(layer, kind):
                out.setdefault(id(v), v)
        return list(out.values())

    def track(self, resource):
        """Track the variables (of a layer or model) and other assets.

        The variables an endpoint uses are tracked when the archive is written anyway; tracking a
        model also makes its ``variables``, ``trainable_variables`` and ``non_trainable_variables``
        attributes of the reloaded object. On TensorFlow a TensorFlow trackable (a lookup table)
        may be tracked too.

        Args:
            resource: a layer, a model, or (TensorFlow backend) a TensorFlow trackable resource.
        """
        if isinstance(resource, Layer):
            if not resource.built:
                raise ValueError("The layer provided has not yet been built. It must be built before export.")
            check_no_host_layers(resource, "tf_saved_model")
            if self._tf is None and not hasattr(resource, "save"):
                raise ValueError(f"On the torch backend ExportArchive tracks models only (it writes them to a "
                                 f"TensorFlow process as .keras files); received layer {resource.name!r} "
                                 f"({type(resource).__name__}). Wrap it in a keras.Model.")
            if not any(resource is t for t in self._tracked_layers):
                self._tracked_layers.append(resource)
                if self._tf is not None:
                    self._root.track_layer(resource)
            return
        if self._tf is not None and self._tf.is_trackable(resource):
            self._root.track_resource(resource)
            return
        expected = "a Keras `Layer` or `Model` or a TensorFlow `Trackable` object" if self._tf else \
            "a Keras `Model` (the torch backend cannot hold TensorFlow objects)"
        raise ValueError(f"Invalid resource type. Expected {expected}. Received object {resource} of type "
                         f"'{type(resource)}'. ")

    def add_endpoint(self, name, fn, input_signature=None, **kwargs):
        """Register a new serving endpoint.

        Args:
            name: the endpoint's name (a method of the reloaded object, and a signature).
            fn: what the endpoint runs. TensorFlow backend: any callable using the tracked
                objects (a ``tf.function`` called at least once needs no ``input_signature``).
                Torch backend: a tracked model, ``model.call`` or ``model.__call__`` (the model
                is tracked if it is not yet).
            input_signature: the structure of ``fn``'s positional arguments, with
                ``keras.InputSpec`` (shape and dtype given), ``KerasTensor`` or tensor leaves (their
                batch dimension becomes ``None``), or ``tf.TensorSpec`` on TensorFlow.

        Returns:
            The ``tf.function`` added (TensorFlow backend); ``None`` on torch, where it is built
            by the child process.
        """
        if name in self._endpoint_names:
            raise ValueError(f"Endpoint name '{name}' is already taken.")
        if "jax2tf_kwargs" in kwargs or "is_static" in kwargs:
            raise ValueError(f"'jax2tf_kwargs' and 'is_static' are only supported with the jax backend. "
                             f"Current backend: {backend()}")
        if kwargs:
            raise ValueError(f"add_endpoint() got unexpected arguments {sorted(kwargs)}.")
        if self._tf is None:
            return self._add_forward_endpoint(name, fn, input_signature)
        if input_signature is None:
            traced = self._tf.traced_function(fn)
            if traced is None:
                raise ValueError(_NO_SIGNATURE)
            decorated = traced
        else:
            signature = tree.map_structure(_tf_spec(self._tf), input_signature)
            decorated = self._tf.function(fn, signature)
        self._root.set(name, decorated)
        self._endpoints[name] = decorated
        self._endpoint_names.append(name)
        return decorated

    def track_and_add_endpoint(self, name, resource, input_signature, **kwargs):
        """``track(resource)``, then ``add_endpoint(name, resource.__call__, input_signature)``."""
        self.track(resource)
        return self.add_endpoint(name, resource.__call__, input_signature, **kwargs)

    def add_variable_collection(self, name, variables):
        """Register a set of variables to be retrieved after reloading (``reloaded.<name>``).

        Args:
            name: the collection's attribute name.
            variables: a list, tuple or set of variables (on torch, weights or optimizer variables of
                tracked models).
        """
        if not isinstance(variables, (list, tuple, set)):
            raise ValueError(f"Expected `variables` to be a list/tuple/set. Received instead object of type "
                             f"'{type(variables)}'.")
        from kerasport.backend import Variable
        wrong = {type(v) for v in variables if not isinstance(v, Variable)}
        if wrong:
            raise ValueError(f"Expected all elements in `variables` to be `keras.Variable` instances. Found "
                             f"instead the following types: {list(wrong)}")
        if self._tf is not None:
            self._root.set(name, list(variables))
            return
        places = []
        for v in variables:
            place = next(([i, kind, j] for i, layer in enumerate(self._tracked_layers)
                          for kind, held in (("weights", layer.weights), ("optimizer", _optimizer_variables(layer)))
                          for j, w in enumerate(held) if w is v), None)
            if place is None:
                raise ValueError(f"Variable {getattr(v, 'path', v)!r} of collection {name!r} belongs to no tracked "
                                 "model; on the torch backend a collection holds weights or optimizer variables of "
                                 "tracked models (call track(model) first).")
            places.append(place)
        self._collections[name] = places

    def write_out(self, filepath, options=None, verbose=True):
        """Write the SavedModel to ``filepath`` (a folder, replaced atomically).

        Every endpoint is a signature for TF Serving; the first one is also
        ``"serving_default"``, unless an endpoint has that name.

        Args:
            filepath: the folder to write.
            options: a ``tf.saved_model.SaveOptions`` (TensorFlow backend only).
            verbose: print the endpoints and their signatures.
        """
        if not self._endpoint_names:
            raise ValueError("No endpoints have been set yet. Call add_endpoint().")
        filepath = os.path.abspath(os.fspath(filepath))
        if self._tf is None:
            if options is not None:
                raise ValueError("`options` (a tf.saved_model.SaveOptions) cannot be given on the torch backend: "
                                 "the SavedModel is written by a TensorFlow child process.")
            printed = self._write_in_child(filepath)
        else:
            printed = self._write(filepath, options)
        if verbose:
            endpoints = "\n\n".join(printed)
            print(f"Saved artifact at '{filepath}'. The following endpoints are available:\n\n{endpoints}")

    def _write(self, filepath, options):
        with atomic_folder(filepath) as tmp:
            return self._root.write(self._endpoints, tmp, options)

    # ------------------------------------------------------------------ torch: a plan for the child
    def _add_forward_endpoint(self, name, fn, input_signature):
        model, method = _forward_of(fn)
        if model is None or not hasattr(model, "save"):
            raise ValueError(
                f"On the torch backend an ExportArchive endpoint must be a model's own forward pass (the model, "
                f"`model.call` or `model.__call__`); received fn={fn!r}. A Python function cannot be written to a "
                "SavedModel without tracing it in TensorFlow, and a torch process never imports TensorFlow. Put "
                "the computation in the model (custom layers registered with register_keras_serializable), or "
                "build the archive with KERASPORT_BACKEND=tensorflow.")
        if input_signature is None:
            raise ValueError(_NO_SIGNATURE)
        signature = tree.map_structure(_encode_spec, input_signature)
        self.track(model)
        index = next(i for i, t in enumerate(self._tracked_layers) if t is model)
        self._plan_endpoints.append([name, index, method, signature])
        self._endpoint_names.append(name)

    def _write_in_child(self, filepath):
        from kerasport.saving.export.export_lib import run_child
        with tempfile.TemporaryDirectory(prefix="kerasport-archive-") as folder:
            models, compiled = [], {i for places in self._collections.values() for i, kind, _ in places
                                    if kind == "optimizer"}
            for i, model in enumerate(self._tracked_layers):
                source = os.path.join(folder, f"model{i}.keras")
                model.save(source, include_optimizer=i in compiled)
                models.append([source, i in compiled])
            printed = os.path.join(folder, "endpoints.txt")
            plan = {"models": models, "endpoints": self._plan_endpoints, "collections": self._collections,
                    "target": filepath, "printed": printed}
            run_child(folder, {"archive": plan}, "Writing the ExportArchive")
            with open(printed) as f:
                return f.read().split("\n\n\n")


def write_plan(plan):
    """Build and write, in a TensorFlow process, the archive a torch process planned (``ExportArchive``)."""
    from kerasport.saving.saving_api import load_model
    # Each file was written a moment ago by the parent from its own model (Lambda layers included),
    # so safe mode's refusal of stored bytecode has nothing to protect here.
    models = [load_model(source, compile=compiled, safe_mode=False) for source, compiled in plan["models"]]
    archive = ExportArchive()
    for model in models:
        archive.track(model)
    for name, index, method, signature in plan["endpoints"]:
        fn = getattr(models[index], method)
        archive.add_endpoint(name, fn, _decode_signature(signature))
    for name, places in plan["collections"].items():
        archive.add_variable_collection(name, [(models[i].weights if kind == "weights" else
                                                _optimizer_variables(models[i]))[j] for i, kind, j in places])
    printed = archive._write(plan["target"], None)
    with open(plan["printed"], "w") as f:
        f.write("\n\n\n".join(printed))


def _optimizer_variables(layer):
    optimizer = getattr(layer, "optimizer", None)
    return optimizer.variables if optimizer is not None and optimizer.built else []


def _forward_of(fn):
    """``(model, method name)`` when ``fn`` is a layer or its bound ``call`` / ``__call__``, else ``(None, None)``."""
    if isinstance(fn, Layer):
        return fn, "__call__"
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, Layer) and getattr(fn, "__name__", None) in _FORWARD:
        return owner, fn.__name__
    return None, None


def _spec(x):
    """``(shape, dtype, name)`` of one ``input_signature`` leaf, as Keras's ``make_input_spec`` reads it."""
    if isinstance(x, InputSpec):
        if x.shape is None or x.dtype is None:
            raise ValueError(f"The `shape` and `dtype` must be provided. Received: x={x}")
        return tuple(x.shape), x.dtype, x.name
    if isinstance(x, KerasTensor) or is_tensor(x):
        name = x.name if isinstance(x, KerasTensor) else None
        return (None,) + tuple(x.shape)[1:], standardize_dtype(x.dtype), name
    raise TypeError(f"Unsupported x={x} of the type ({type(x)}). Supported types are: `keras.InputSpec`, "
                    "`keras.KerasTensor` and backend tensor.")


def _tf_spec(tf_archive):
    def convert(x):
        if tf_archive.is_tensor_spec(x):
            return x
        return tf_archive.tensor_spec(*_spec(x))
    return convert


def _encode_spec(x):
    shape, dtype, name = _spec(x)
    return {"__spec__": [list(shape), dtype, name]}


def _decode_signature(x):
    if isinstance(x, dict):
        if "__spec__" in x:
            shape, dtype, name = x["__spec__"]
            return InputSpec(shape=tuple(shape), dtype=dtype, name=name)
        return {k: _decode_signature(v) for k, v in x.items()}
    return [_decode_signature(v) for v in x]


_NO_SIGNATURE = ("If the `fn` argument provided is not a `tf.function`, you must provide an `input_signature` "
                 "argument to specify the shape and dtype of the function arguments. Example:\n\n"
                 "export_archive.add_endpoint(\n    name='call',\n    fn=model.call,\n    input_signature=[\n"
                 "        keras.InputSpec(\n            shape=(None, 224, 224, 3),\n            dtype='float32',\n"
                 "        )\n    ],\n)")
