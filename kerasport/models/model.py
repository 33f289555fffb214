"""``Model``: a layer that trains (``Trainer``'s ``compile``/``fit``/``evaluate``/``predict``).

``Model(inputs, outputs)`` builds a Functional model; subclass ``Model`` and
write ``call`` for a subclassed one. This module holds what is the model's own:
building, calling, inspection, saving hooks and config.
"""

import functools
import re
import warnings

from kerasport.backends import B
from kerasport.distribution import training_hooks as distributed
from kerasport.layers.call_context import LayerScope, fix_path
from kerasport.layers.layer import KerasTensor, Layer, drop_name_init_cannot_take
from kerasport.models import state_tree as state_trees
from kerasport.trainers.trainer import Trainer
from kerasport.core import nest as tree
from kerasport.core.tree import map_shape_structure


@functools.cache
def _subclass_builds(cls):
    """Whether ``cls`` is a user's subclass of ``Model`` (not of ``Functional`` / ``Sequential``) with its own
    ``build``: the first call then builds it with ``build(input_shape)``, as Keras."""
    owners = [c for c in cls.__mro__ if "build" in vars(c)]
    ours = [c for c in owners if c.__module__.split(".")[0] == "kerasport"]
    return owners[0] not in ours and ours[0] is Model


class Model(Trainer, Layer):
    """A trainable graph of layers.

    Functional::

        inputs = kerasport.Input(shape=(784,))
        x = kerasport.layers.Dense(64, activation="relu")(inputs)
        model = kerasport.Model(inputs, kerasport.layers.Dense(10)(x))

    Subclassed::

        class MLP(kerasport.Model):
            def __init__(self):
                super().__init__()
                self.hidden = kerasport.layers.Dense(64, activation="relu")
                self.out = kerasport.layers.Dense(10)

            def call(self, x):
                return self.out(self.hidden(x))
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs):
            from kerasport.models.functional import Functional
            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or ("inputs" in kwargs and "outputs" in kwargs):
            # A subclass called as ``MyModel(inputs, outputs)``: as in Keras, it becomes a Functional subclass.
            from kerasport.models.functional import Functional
            _inject_functional_model_class(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        Layer.__init__(self, trainable=kwargs.pop("trainable", True), name=kwargs.pop("name", None),
                       dtype=kwargs.pop("dtype", None), **kwargs)
        Trainer.__init__(self)

    def __reduce__(self):
        """Pickle the model as its ``.keras`` file (architecture, weights, compile arguments, optimizer state).

        As in Keras, this is for handing a model to another process (``joblib``, ``multiprocessing``), not
        for storage: unpickling loads the file with ``safe_mode=False``.
        """
        from kerasport.saving.pickling import model_from_keras_bytes, model_to_keras_bytes
        return model_from_keras_bytes, (model_to_keras_bytes(self),)

    def __deepcopy__(self, memo):
        """``copy.deepcopy(model)``: the model rebuilt from its ``.keras`` file, as ``pickle`` does (Keras's way)."""
        rebuild, args = self.__reduce__()
        return rebuild(*args)

    @property
    def layers(self):
        """The layers the model tracks directly, in the order they were set (a plain ``Layer`` has no ``layers``)."""
        return list(self._layers)

    def build(self, input_shape):
        """Build a subclassed model by calling it on zeros of ``input_shape``.

        Reached through ``super().build(input_shape)`` from a subclass's own ``build`` (which creates the
        sublayers), it only marks the model built, as Keras's ``Layer.build``.
        """
        if self.built:
            return
        if _subclass_builds(type(self)):
            self.built = True
            return
        if type(self).call is Layer.call:
            raise NotImplementedError(f"Model {self.name!r} has no call() method.")
        # A list of shapes ([(None, 3), (None, 3)]: ``fit([a, b])``) is a list of inputs, each shape a leaf.
        batch = map_shape_structure(lambda s: B.zeros(tuple(1 if d is None else d for d in s)), input_shape)
        self.built = True
        self._build_shapes = input_shape
        with B.no_grad(), self._losses_kept():
            self.call(batch, training=False) if self._call_has_training else self.call(batch)

    def __call__(self, *args, **kwargs):
        if not args and "inputs" in kwargs:
            args = (kwargs.pop("inputs"),)
        if args and not self.built and not _subclass_builds(type(self)) and not isinstance(args[0], KerasTensor) \
                and not any(isinstance(t, KerasTensor) for t in tree.flatten(args[0])):
            self.built = True
            self._build_shapes = tree.map_structure(lambda t: tuple(t.shape), args[0])
            with LayerScope(self):  # as Keras, built in its name scope: that is its ``path``
                fix_path(self)
        return super().__call__(*args, **kwargs)

    def _serving_inputs(self):
        """The inputs of ``tf.saved_model.save``'s default signature, as Keras 3 makes it: the model's inputs
        (Functional, Sequential), else ``KerasTensor``s of the shapes it was built or first called with."""
        nested = getattr(self, "_nested_inputs", None)
        if nested is None and getattr(self, "inputs", None):
            nested = self.inputs[0] if len(self.inputs) == 1 else self.inputs
        if nested is not None:
            return nested
        def tensors(shapes):
            if isinstance(shapes, dict):
                return {key: tensors(s) for key, s in shapes.items()}
            if all(d is None or isinstance(d, int) for d in shapes):
                return KerasTensor(tuple(shapes), self._input_dtype)
            return [tensors(s) for s in shapes]

        return None if self._build_shapes is None else tensors(self._build_shapes)

    # ------------------------------------------------------------------ inspection
    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize the weights of the model's layers that support it: ``"int8"`` (``Dense``, ``EinsumDense``,
        ``Embedding``, ``ReversibleEmbedding``), ``"int4"`` (``Dense``, ``EinsumDense``, ``Embedding``) or ``"float8"``
        training (``Dense``, ``EinsumDense``).

        The model must be built. Each leaf layer is quantized in place (``layer.quantize``); a layer that cannot
        be quantized is left as it is with a warning, as in Keras.

        Args:
            mode: ``"int8"``, ``"int4"`` or ``"float8"``; optional when ``config`` is given.
            config: a ``kerasport.quantizers.QuantizationConfig`` (the mode's default when None).
            filters: a regex (or list of them) matched against the layer names, or a callable taking a layer:
                only the layers that match are quantized.

        Example::

            model.quantize("int8")
            model.quantize(config=kerasport.quantizers.Int8QuantizationConfig(activation_quantizer=None))
        """
        from kerasport.quantizers.quantization_config import validate_and_resolve_config
        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if filters is not None and not isinstance(filters, (str, list, tuple)) and not callable(filters):
            raise ValueError("The `filters` argument must be a regex string, a list of regex strings, or a callable. "
                             f"Received: {type(filters)}")
        validate_and_resolve_config(mode, config)
        modified = False
        for layer in self._flatten_layers():
            if len(layer._flatten_layers()) != 1 or not _matches(layer, filters):
                continue
            try:
                layer.quantize(mode, type_check=type_check, config=config)
                modified = True
            except NotImplementedError as e:
                warnings.warn(str(e), stacklevel=2)
        if modified:
            self._step_functions = {}

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Print Keras's table: layer (type), output shape, parameter count, and the totals.

        Args:
            line_length: the table's width in characters.
            positions: the columns' right edges, as fractions of ``line_length`` (or in characters).
            print_fn: called with the whole summary as one string (default: ``print``).
            expand_nested: list each nested model's layers below it.
            show_trainable: add a column saying whether each layer is trainable.
            layer_range: two layer-name patterns (``re.match``): list only the layers from the first match of
                the first to the last match of the second.
        """
        from kerasport.utils.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by ``index``."""
        if index is not None:
            if index >= len(self.layers):
                raise ValueError(f"Model {self.name!r} has {len(self.layers)} layers; index {index} is out of range.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: {[l.name for l in self.layers]}.")

    # ------------------------------------------------------------------ saving
    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """Save architecture, weights, compile config and optimizer state (``.h5`` or ``.keras``).

        Under a distribution only process 0 writes the file."""
        if not distributed.is_chief():
            return
        from kerasport.saving import save_model
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer, **kwargs)

    def save_weights(self, filepath, overwrite=True, **kwargs):
        """Save the weights only (``.h5`` in Keras's legacy layout, or ``.weights.h5``).

        Under a distribution only process 0 writes the file."""
        if not distributed.is_chief():
            return
        from kerasport.saving import save_weights
        save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False, **kwargs):
        """Load weights saved by ``save_weights`` (or by Keras) into this model."""
        from kerasport.saving import load_weights
        load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name, **kwargs)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Export the model for serving: ``"tf_saved_model"``, ``"torch"`` (``.pt2``), ``"onnx"`` or ``"litert"``.

        Every format works from both backends; ``input_signature`` overrides the inputs, and ``"litert"``
        takes the converter's ``optimizations``, ``target_spec`` and ``representative_dataset`` (see
        ``kerasport.saving.export.export_model``).
        """
        from kerasport.saving.export import export_model
        export_model(self, filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs)

    def to_json(self, **kwargs):
        """The model's config as a JSON string, with its ``compile_config`` if it is compiled, as Keras writes
        it; ``kerasport.models.model_from_json`` rebuilds (and compiles) the model from it.

        Args:
            **kwargs: passed to ``json.dumps()``.
        """
        import json
        from kerasport.core.serialization import json_default
        from kerasport.saving.keras_v3 import model_config
        return json.dumps(model_config(self), default=json_default, **kwargs)

    def get_state_tree(self, value_format="backend_tensor"):
        """The model's variables as nested dicts keyed by the parts of their paths, in four groups:
        ``"trainable_variables"``, ``"non_trainable_variables"``, ``"optimizer_variables"``, ``"metrics_variables"``.

        Args:
            value_format: ``"backend_tensor"`` (the variables themselves) or ``"numpy_array"`` (copies).

        Example::

            model.compile(optimizer="adam", loss="mse", metrics=["mae"])
            model.fit(x, y)
            model.get_state_tree()["trainable_variables"]["my_sequential"]["my_dense"]["kernel"]
        """
        return state_trees.get_state_tree(self, value_format)

    def set_state_tree(self, state_tree):
        """Assign the values of a tree as ``get_state_tree`` gives it to the variables of the same paths."""
        state_trees.set_state_tree(self, state_tree)

    def get_compile_config(self):
        """The arguments ``compile()`` was called with, which ``model.save`` writes as the ``compile_config``.

        Override it, with ``compile_from_config``, for a model whose ``compile`` takes other arguments.
        """
        return self._compile_config

    def compile_from_config(self, config):
        """Compile the model from a ``compile_config``, as ``load_model`` does with a ``.keras`` file's.

        A model whose ``compile`` is overridden is left uncompiled, with a warning (as in Keras): it should
        override ``get_compile_config`` and ``compile_from_config`` too, or be compiled after loading.

        Args:
            config: The serialized compile arguments (``optimizer``, ``loss``, ``metrics``, ...).
        """
        if type(self).compile is not Trainer.compile:
            warnings.warn("`compile()` was not called as part of model loading because the model's `compile()` "
                          "method is custom. All subclassed Models that have `compile()` overridden should also "
                          "override `get_compile_config()` and `compile_from_config(config)`. Alternatively, you "
                          "can call `compile()` manually after loading.", stacklevel=2)
            return
        from kerasport.saving.configs import compile_args
        self.compile(**compile_args({**config, "optimizer_config": config.get("optimizer")}))

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "output_layers" in config:
            from kerasport.models.functional import Functional
            from kerasport.models.graph_config import functional_from_config
            return functional_from_config(Functional if cls is Model else cls, config, custom_objects)
        return cls(**config)

    def get_config(self):
        if type(self).get_config is Model.get_config and type(self).__init__ is not Model.__init__:
            config = Layer.get_config(self)
            drop_name_init_cannot_take(type(self), config)
            return config
        return {"name": self.name, "trainable": self.trainable}


def _inject_functional_model_class(cls):
    """Put ``Functional`` in place of ``Model`` among the bases of ``cls`` (Keras's own trick)."""
    from kerasport.models.functional import Functional
    if cls is Model:
        return Functional
    if cls is object or cls is Functional:
        return cls
    cls.__bases__ = tuple(_inject_functional_model_class(base) for base in cls.__bases__)
    return cls


def _matches(layer, filters):
    """Whether ``model.quantize``'s ``filters`` (a regex, a list of them, a callable, or None) select ``layer``."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(pattern, layer.name) for pattern in filters)
    return bool(filters(layer))
