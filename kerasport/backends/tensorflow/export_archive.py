"""TensorFlow's side of ``ExportArchive``: endpoints as ``tf.function``s on a trackable root, written as a SavedModel.

Called by ``kerasport.saving.export.archive`` in a TensorFlow-backend process.
"""
import tensorflow as tf


def is_trackable(resource):
    """Whether ``resource`` is a TensorFlow trackable (a lookup table, a ``tf.Module``, ...)."""
    return isinstance(resource, tf.__internal__.tracking.Trackable)


def is_tensor_spec(x):
    return isinstance(x, tf.TensorSpec)


def tensor_spec(shape, dtype, name=None):
    return tf.TensorSpec(shape, dtype, name=name)


def traced_function(fn):
    """``fn`` if it is a ``tf.function`` traced at least once; ``None`` if it is no ``tf.function``.

    Raises:
        ValueError: ``fn`` is a ``tf.function`` that was never called (Keras's message).
    """
    if not isinstance(fn, tf.types.experimental.GenericFunction):
        return None
    if not fn._list_all_concrete_functions():
        raise ValueError(f"The provided tf.function '{fn}' has never been called. To specify the expected shape "
                         "and dtype of the function's arguments, you must either provide a function that has been "
                         "called at least once, or alternatively pass an `input_signature` argument in "
                         "`add_endpoint()`.")
    return fn


def function(fn, input_signature):
    """``fn`` as a ``tf.function`` with the given ``tf.TensorSpec`` structure."""
    return tf.function(fn, input_signature=input_signature, autograph=False)


class Root:
    """The object a SavedModel stores: endpoints, variable collections and the variables the endpoints read.

    ``variables``, ``trainable_variables`` and ``non_trainable_variables`` hold the tracked
    layers' weights (restored as attributes of ``tf.saved_model.load``'s object).
    """

    def __init__(self):
        self.trackable = tf.__internal__.tracking.AutoTrackable()
        self.trackable.variables = []
        self.trackable.trainable_variables = []
        self.trackable.non_trainable_variables = []
        self._resources = []

    def track_layer(self, layer):
        self.trackable.variables += layer.weights
        self.trackable.trainable_variables += layer.trainable_weights
        self.trackable.non_trainable_variables += layer.non_trainable_weights

    def track_resource(self, resource):
        self._resources.append(resource)

    def set(self, name, value):
        setattr(self.trackable, name, value)

    def _concrete(self, fn):
        if fn.input_signature is not None:
            return fn.get_concrete_function()
        return fn._list_all_concrete_functions()[0]

    def write(self, endpoints, path, options=None):
        """Save the root with ``endpoints`` (``{name: tf.function}``, in order) as a SavedModel at ``path``.

        Every endpoint is a signature too, and the first one is also ``serving_default`` unless
        an endpoint has that name. Returns each endpoint's printed signature.
        """
        concrete = {name: self._concrete(fn) for name, fn in endpoints.items()}
        used = {}
        for fn in concrete.values():
            for v in list(fn.trainable_variables) + list(fn.variables):
                used.setdefault(id(v), v)
        self.trackable._all_variables = list(used.values())
        self.trackable._misc_assets = list(self._resources)
        signatures = dict(concrete)
        if "serving_default" not in signatures:
            signatures["serving_default"] = concrete[next(iter(endpoints))]
        tf.saved_model.save(self.trackable, path, options=options, signatures=signatures)
        printed = []
        for name, fn in concrete.items():
            lines = fn.pretty_printed_signature(verbose=True).split("\n")
            printed.append("\n".join([f"* Endpoint '{name}'"] + lines[1:]))
        return printed
