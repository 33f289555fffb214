"""``LayerBase``: the class every kerasport layer derives from on TensorFlow (``kerasport.layers.Layer(B.LayerBase)``).

It makes a layer a TensorFlow trackable, as Keras 3's layers (and, through ``optimizer_base``, optimizers) are:
``tf.saved_model.save(model, path)``, ``tf.train.Checkpoint(model=model)`` and a ``tf.Module`` holding a layer see
the layer's variables, sublayers and resources (lookup tables, ...). The children are found when TensorFlow asks for them (``_trackable_children``),
in the layer's attributes, so assigning an attribute costs nothing more than in Python.
"""
import tensorflow as tf

_Trackable = tf.__internal__.tracking.Trackable
_Function = tf.types.experimental.GenericFunction


def _children(name, value, depth=0):
    """``(name, trackable)`` for ``value`` and, within lists, tuples and dicts, each trackable it holds."""
    if isinstance(value, _Function):  # a compiled step (Keras leaves them out of SavedModels too)
        return
    if isinstance(value, _Trackable):
        yield name, value
    elif depth < 3 and isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _children(f"{name}-{i}", item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for key, item in value.items():
            yield from _children(f"{name}-{key}", item, depth + 1)


class AttributeTrackable(_Trackable):
    """A ``tf.__internal__.tracking.Trackable`` whose children are the trackables among its attributes, named
    after them (``_kernel``, ``bias``, ``_layers-0``, ...). Restoring a checkpoint fills the variables that exist
    (build the model, and the optimizer, first)."""

    __slots__ = ()

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        children = {}
        for attribute, value in vars(self).items():
            if attribute.startswith("_self_"):  # Trackable's own bookkeeping
                continue
            for name, child in _children(attribute, value):
                children.setdefault(name, child)
        return children

    def _lookup_dependency(self, name, cached_dependencies=None):
        if cached_dependencies:
            return cached_dependencies.get(name)
        return self._trackable_children().get(name)


class LayerBase(AttributeTrackable):
    """The framework's side of a layer on TensorFlow: a trackable (``AttributeTrackable``). Saved as a SavedModel,
    a model whose inputs are known also gets Keras's default signature, ``serving_default``: the model called on
    its inputs."""

    __slots__ = ()

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        children = super()._trackable_children(save_type, **kwargs)
        if save_type == "savedmodel":
            signature = self._default_save_signature
            if signature is not None:
                children["_default_save_signature"] = signature
        return children

    def _serving_inputs(self):
        """The inputs of the default signature: none for a layer (``Model`` gives its own), as in Keras."""
        return None

    @property
    def _default_save_signature(self):
        """A ``tf.function`` of a model on its inputs (``Model._serving_inputs()``, ``KerasTensor``s), or ``None``."""
        inputs = self._serving_inputs()
        if inputs is None:
            return None
        specs = tf.nest.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), inputs)

        @tf.function(input_signature=(specs,))
        def serving_default(inputs):
            return self(inputs)

        return serving_default

