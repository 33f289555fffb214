"""The ``Layer`` base class.

A layer owns native backend variables (``add_weight``), builds itself on first
call, and runs ``call`` eagerly on real tensors. Called on ``KerasTensor``s
(from ``kerasport.Input``) it records a ``Node`` instead, which is how
Functional models are wired.
"""
import contextlib
import copy
import inspect
import warnings

import numpy as np

from kerasport import constraints, dtype_policies, initializers, regularizers
from kerasport.backends import B
from kerasport.layers.input_spec import assert_input_compatibility
from kerasport.layers.layer_dtype_policy import LayerDTypePolicy
from kerasport.metrics.base import Metric
from kerasport.core import naming
from kerasport.core import nest as tree
from kerasport.core.keras_tensor import KerasTensor
from kerasport.core.masks import copy_masks, get_mask, set_mask
from kerasport.core.naming import current_path
from kerasport.layers.symbolic import Node, any_symbolic, build_by_running, is_tensor_argument
from kerasport.layers.symbolic import mask_spec_by_running, spec_by_running
from kerasport.layers.build_once import build_once, is_shape, jsonable_shape, tuple_shape
from kerasport.layers.call_context import CALL_CONTEXT, LayerScope, call_params, check_positional_args
from kerasport.layers.call_context import fix_path, remat_mode
from kerasport.layers.tracking import TrackedLayerDict, TrackedLayers, list_of_layers, track_layers
_MODULES = B.NAME == "torch"  # layers are torch.nn.Modules (B.LayerBase): attribute sublayers are submodules


def _as_tensors(x, dtype):
    """NumPy arrays (also inside lists, tuples and dicts) as backend tensors; floats in ``dtype``."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "OUS" and not B.STRING_TENSORS:
            return x  # strings stay on the host for the string preprocessing layers
        return B.convert_to_tensor(x, dtype if x.dtype.kind == "f" else None)
    if isinstance(x, (list, tuple)):
        return type(x)(_as_tensors(v, dtype) for v in x)
    if isinstance(x, dict):
        return {k: _as_tensors(v, dtype) for k, v in x.items()}
    return x


def _is_numbers(x):
    """Whether ``x`` is a (nested) list or tuple of Python numbers only."""
    if isinstance(x, (list, tuple)):
        return bool(x) and all(_is_numbers(v) for v in x)
    return isinstance(x, (bool, int, float))


def _positional_weight_args(args, shape, initializer, dtype):
    """``add_weight``'s positional ``(shape, initializer, dtype)``, checked as Keras checks them."""
    if len(args) > 3:
        raise TypeError(f"add_weight() takes at most 3 positional arguments but {len(args)} were given.")
    if args and isinstance(args[0], str):
        raise ValueError(f"`name` must be passed as a keyword argument. Received: add_weight('{args[0]}', ...). "
                         f"Use: add_weight(shape=..., name='{args[0]}').")
    given = [shape, initializer, dtype]
    for i, (key, value) in enumerate(zip(("shape", "initializer", "dtype"), args)):
        if given[i] is not None:
            raise ValueError(f"`{key}` was passed both positionally and as a keyword argument.")
        given[i] = value
    return given


def _cast_floats(x, dtype):
    """``x`` (a tensor, or a list / tuple of them) with its float tensors cast to ``dtype``."""
    if isinstance(x, (list, tuple)):
        return type(x)(_cast_floats(v, dtype) for v in x)
    if B.is_tensor(x) and "float" in B.dtype(x) and B.dtype(x) != dtype:
        return B.cast(x, dtype)
    return x


def returns_fresh_outputs(call):
    """Marks a layer's ``call`` as returning new tensors aliasing no input and nothing the layer keeps (a
    Functional model may let their one reader overwrite them); an overriding ``call`` is unmarked."""
    call.returns_fresh_outputs = True
    return call


def may_overwrite_input(call):
    """Marks a layer's ``call`` as able to compute in its one input's memory when ``self._input_is_scratch``: a
    Functional model owns that input and nothing else reads it (see ``_execution_plan``); overriding unmarks."""
    call.may_overwrite_input = True
    return call


class Layer(LayerDTypePolicy, B.LayerBase):
    """Base class of all layers.

    Subclasses implement ``build(input_shape)`` (create weights with
    ``add_weight``) and ``call(inputs, training=None, mask=None)``; on torch it is a ``torch.nn.Module``.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: the layer's name; unique automatic names (``dense``, ``dense_1``) by default.
        dtype: the layer's dtype policy: a name (``"float32"``, ``"mixed_float16"``,
            ``"mixed_bfloat16"``), a ``DTypePolicy`` or its config; the global policy
            (``kerasport.mixed_precision.set_global_policy``) by default. Under a mixed policy the
            variables are float32 and ``call`` sees them, and its float inputs, in the 16-bit
            compute dtype.
        input_shape: (first layer of a ``Sequential``) the shape of one sample.
        activity_regularizer: a regularizer applied to the layer's output, added to ``losses``.
    """

    _call_signature_cache = {}
    _input_is_scratch = False  # set by a Functional model around a `may_overwrite_input` call (see there)
    _allow_non_tensor_positional_args = False  # Keras's flag: data layers and Functional take lists, flags, ...
    _masks_from_input_masks = False  # whether compute_mask gives None when no input has a mask (Merge layers)
    _numbers_are_one_input = False  # image layers: a nested list of Python numbers is one image, as Keras on TF
    supports_jit = True  # Keras's flag: a model with a layer without it runs `jit_compile=True` steps uncompiled

    def __init_subclass__(cls, **kwargs):
        """Wrap each subclass's ``build`` so that it runs once and marks the layer built."""
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = build_once(cls.__dict__["build"])

    def __init__(self, trainable=True, name=None, dtype=None, autocast=True, input_shape=None,
                 batch_input_shape=None, input_dim=None, batch_size=None, activity_regularizer=None, **kwargs):
        for legacy in ("dynamic", "input_length", "autocast"):
            kwargs.pop(legacy, None)
        for unsupported in ("lora_rank", "lora_alpha", "quantization_config"):
            if kwargs.pop(unsupported, None) is not None:
                raise ValueError(f"{type(self).__name__}: `{unsupported}` (LoRA / quantization) is taken only by "
                                 "the Dense, EinsumDense, Embedding (and for LoRA, Conv1D/2D/3D) layers.")
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        B.LayerBase.__init__(self)
        self.__dict__.setdefault("_layers", [])
        self.__dict__.setdefault("input_spec", None)
        self._trainable = trainable
        self._first_call = True
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self._remat_mode = remat_mode(self)  # as Keras, the RematScope the layer is created in
        self.dtype_policy = dtype
        self.autocast = autocast
        self.built = False
        self._weights_list = []
        self._trainable_flags = {}
        self._no_autocast = set()
        self._regularizers = []
        self._losses = []
        self._inbound_nodes = []
        self._build_shapes = None
        self.activity_regularizer = (regularizers.get(activity_regularizer) if activity_regularizer is not None
                                     else getattr(self, "activity_regularizer", None))
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            batch_size, input_shape = batch_input_shape[0], tuple(batch_input_shape[1:])
        self._input_shape_arg = tuple(input_shape) if input_shape is not None else None
        self._batch_size_arg = batch_size
        cls = type(self)
        if cls not in Layer._call_signature_cache:
            Layer._call_signature_cache[cls] = call_params(cls)
        (self._call_has_training, self._call_has_mask, _, self._call_mask_pairs, self._call_first_arg,
         self._call_training_default) = Layer._call_signature_cache[cls]
        self._makes_masks = cls.compute_mask is not Layer.compute_mask
        # As in Keras, a layer that defines compute_mask supports masking unless it says otherwise.
        self.supports_masking = getattr(self, "supports_masking", self._makes_masks)

    @property
    def path(self):
        """The layer's path (``"model/block/dense"``): its name scope when it was built; None before."""
        return self.__dict__.get("_path")

    # ------------------------------------------------------------------ attribute tracking
    def __setattr__(self, name, value):
        submodule = None
        if isinstance(value, Metric) and not name.startswith("_"):
            if value not in self.__dict__.get("_metrics", []):
                self.__dict__.setdefault("_metrics", []).append(value)
        elif isinstance(value, Layer) and name != "_parent" and not name.startswith("_keras") or \
                list_of_layers(name, value, Layer):
            if type(value) is list and not name.startswith("_"):  # Keras's TrackedList: later appends count too
                value = TrackedLayers(self, value, Layer)
            track_layers(self, value if isinstance(value, (list, tuple)) else [value], Layer)
            submodule = value if isinstance(value, Layer) and name != "_input_layer" else None  # (Sequential's Input)
        elif type(value) is dict and not name.startswith("_") and all(isinstance(v, Layer) for v in value.values()):
            value = TrackedLayerDict(self, value, Layer)  # Keras's TrackedDict: later insertions count too
        elif value is not None and B.is_variable(value) and hasattr(value, "path") and \
                not any(value is v for v in self.__dict__.get("_weights_list", [value])):
            self._weights_list.append(value)  # as Keras, a variable set as an attribute is a weight (a raw tf.Variable
            # has no path: Keras 3 does not track those, its migration guide from Keras 2 says)
            self._trainable_flags[id(value)] = bool(getattr(value, "trainable", True))
        elif B.is_module(value) and not isinstance(value, Layer):
            if not getattr(self, "_wraps_a_module", False):  # Keras on torch: made a layer
                from kerasport.layers.torch_module_wrapper import TorchModuleWrapper
                return self.__setattr__(name, TorchModuleWrapper(value))
            submodule = value
        object.__setattr__(self, name, value)
        if _MODULES and (submodule is not None or name in self._modules):  # torch: an attribute sublayer is
            self._note_submodule(name, submodule)  # also a submodule of the torch module, as in Keras

    # ------------------------------------------------------------------ weights
    def add_weight(self, *args, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", overwrite_with_gradient=False, name=None):
        """Create a native variable owned by this layer.

        Args:
            shape: the variable's shape (``()`` for a scalar). ``shape``, ``initializer`` and ``dtype`` may also
                be passed by position, in that order, as in Keras.
            initializer: name, ``Initializer`` or callable(shape, dtype); ``glorot_uniform``
                for floats by default (``zeros`` for ints).
            dtype: the variable's dtype; the layer's variable dtype by default.
            trainable: whether gradients update it.
            autocast: whether the layer's ``call`` sees it in the compute dtype under mixed precision.
            regularizer: penalty added to ``layer.losses``.
            constraint: projection applied after each optimizer update.
            aggregation: Keras's multi-replica annotation, one of None, ``"none"``, ``"mean"``, ``"sum"``,
                ``"only_first_replica"``.
            overwrite_with_gradient: whether the optimizer overwrites the variable with its gradient instead of
                applying it (float8 training's scales).
            name: the variable's name.
        """
        shape, initializer, dtype = _positional_weight_args(args, shape, initializer, dtype)
        if aggregation not in (None, "none", "mean", "sum", "only_first_replica"):
            raise ValueError("Invalid value for argument `aggregation`. Expected one of None, 'none', 'mean', "
                             f"'sum', 'only_first_replica'. Received: aggregation={aggregation!r} (layer "
                             f"'{self.name}')")
        shape = tuple(int(d) for d in (shape or ()))
        name = name or naming.uniquify("variable")  # Keras's automatic name: "variable", "variable_1", ...
        dtype = B.standardize_dtype(dtype) if dtype else self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if "float" in str(dtype) else "zeros"
        init = initializers.get(initializer)
        with B.init_scope():  # eager, also when a sublayer builds while shape inference traces a graph
            value = init(shape, dtype=dtype) if not isinstance(init, initializers.Initializer) else init(shape, dtype)
            var = B.variable(value, dtype=dtype, trainable=trainable, name=name,
                             constraint=None if constraint is None else constraints.get(constraint))
        with LayerScope(self):
            var.path = f"{current_path()}/{name}"
        self._weights_list.append(var)
        self._trainable_flags[id(var)] = trainable
        if not autocast:
            self._no_autocast.add(id(var))
        if regularizer is not None:
            var.regularizer = regularizers.get(regularizer)
            self._regularizers.append((var, var.regularizer))
        if overwrite_with_gradient:
            var.overwrite_with_gradient = True
        self._sync_requires_grad()
        return var

    def add_variable(self, shape, initializer="zeros", dtype=None, trainable=True, name=None, **kwargs):
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable,
                               name=name, **kwargs)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = bool(value)
            layer._sync_requires_grad()

    def _sync_requires_grad(self):
        if B.NAME == "torch":
            for v in self._weights_list:
                v.trainable = self._trainable and self._is_trainable_weight(v)

    def _is_trainable_weight(self, variable):
        """Whether ``variable`` (one of this layer's own) trains: created trainable and not frozen since."""
        return self._trainable_flags[id(variable)] and id(variable) not in self.__dict__.get("_frozen_weights", ())

    def _untrack_weight(self, variable):
        """Forget ``variable``, one of this layer's own (Keras's ``del layer.attr`` of a tracked variable): it
        leaves ``weights``, and its regularizer stops counting."""
        self._weights_list = [v for v in self._weights_list if v is not variable]
        del self._trainable_flags[id(variable)]
        self._regularizers = [(v, r) for v, r in self._regularizers if v is not variable]
        self._no_autocast.discard(id(variable))
        self.__dict__.get("_frozen_weights", set()).discard(id(variable))

    def _freeze_weight(self, variable):
        """Stop training ``variable``, one of this layer's own, as Keras's ``variable.trainable = False``: it
        keeps its place in ``weights`` (and in the saved files) but leaves ``trainable_weights``."""
        self.__dict__.setdefault("_frozen_weights", set()).add(id(variable))
        self._sync_requires_grad()

    def _flatten_layers(self, include_self=True, recursive=True):
        if not recursive:
            return ([self] if include_self else []) + list(self._layers)
        seen, out = set(), []
        stack = [self] if include_self else self._layers[::-1]
        while stack:  # depth first, in order: children pushed in reverse, popped from the end (linear time)
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(layer._layers[::-1])
        return out

    @property
    def metrics(self):
        """The metric objects held as attributes of this layer and of its sublayers (Keras's order)."""
        out = list(self.__dict__.get("_metrics", []))
        for layer in self._layers:
            out.extend(layer.metrics)
        return out

    @property
    def metrics_variables(self):
        """The variables of ``metrics``, in their order."""
        return [v for metric in self.metrics for v in metric.variables]

    def add_metric(self, *args, **kwargs):
        raise NotImplementedError("Layer `add_metric()` method is deprecated. Add your metric in "
                                  "`Model.compile(metrics=[...])`, or create metric trackers in init() or build() when "
                                  "subclassing the layer or model, then call `metric.update_state()` whenever "
                                  "necessary.")

    @property
    def weights(self):
        """All variables in Keras's order: own trainable, own non-trainable, then each sublayer's weights."""
        out = self._own_weights()
        for layer in self._layers:
            out += [v for v in layer.weights if not any(v is o for o in out)]
        return out

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        out = [v for v in self._weights_list if self._is_trainable_weight(v)]
        for layer in self._layers:
            out += [v for v in layer.trainable_weights if not any(v is o for o in out)]
        return out

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            out = [v for v in self._weights_list]
            for layer in self._layers:
                out += [v for v in layer.weights if not any(v is o for o in out)]
            return out
        out = [v for v in self._own_weights() if not self._is_trainable_weight(v)]
        for layer in self._layers:
            out += [v for v in layer.non_trainable_weights if not any(v is o for o in out)]
        return out

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self):
        """Copies of the weights as NumPy arrays, in ``weights`` order (torch's would alias the live weights)."""
        return [np.array(B.convert_to_numpy(v)) for v in self.weights]

    def set_weights(self, weights):
        """Set the weights from NumPy arrays (same order and shapes as ``get_weights()``).

        Every shape is checked before anything is assigned.
        """
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"Layer {self.name!r} expects {len(own)} weight arrays "
                             f"(shapes {[tuple(v.shape) for v in own]}), received {len(weights)}.")
        for v, w in zip(own, weights):
            if tuple(v.shape) != tuple(np.shape(w)):
                raise ValueError(f"Layer {self.name!r}: weight {v.path} has shape {tuple(v.shape)}, "
                                 f"received an array of shape {tuple(np.shape(w))}.")
        for v, w in zip(own, weights):
            _assign_array(v, w)

    def count_params(self):
        return int(sum(np.prod(tuple(v.shape)) for v in self.weights))

    # ------------------------------------------------------------------ losses
    @property
    def losses(self):
        """The ``add_loss`` terms of the last call of this layer and its sublayers, then the weight
        regularization penalties (Keras's order)."""
        layers = self._flatten_layers()
        return [term for layer in layers for term in layer._losses] + \
            [reg(var) for layer in layers for var, reg in layer._regularizers]

    def add_loss(self, loss):
        """Add a loss term (a scalar tensor) to be minimised; cleared at each call of the model."""
        self._losses.append(loss)

    def _clear_losses(self):
        for layer in self._flatten_layers():
            if layer._losses:
                layer._losses = []

    @contextlib.contextmanager
    def _losses_kept(self):
        """Run a probe call (shape inference) without leaving its ``add_loss`` terms behind."""
        saved = [(layer, list(layer._losses)) for layer in self._flatten_layers()]
        try:
            yield
        finally:
            for layer, terms in saved:
                layer._losses = terms

    # ------------------------------------------------------------------ build / call
    def build(self, input_shape):
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return inputs

    def _maybe_build(self, args):
        first = args[0] if args else None
        shapes = tree.map_structure(lambda t: tuple(t.shape), first)
        self._check_input_spec(shapes)
        with LayerScope(self), B.init_scope():  # real state, also when built inside a shape probe or a trace
            fix_path(self)
            self.build(shapes)
        self.built = True
        self._build_shapes = shapes

    def _check_input_spec(self, shapes):
        """Hook: raise a clear error when the input shape cannot be accepted."""

    def __call__(self, *args, **kwargs):
        if not args and self._call_first_arg in kwargs:  # as Keras, the first argument builds the layer by name too
            args = (kwargs.pop(self._call_first_arg),)
        symbolic = any_symbolic(args, kwargs)
        if args and not (len(args) == 1 and B.is_tensor(args[0])):
            if not self._allow_non_tensor_positional_args:
                check_positional_args(self, args)
            if not symbolic:
                if self._numbers_are_one_input and _is_numbers(args[0]):
                    args = (np.asarray(args[0]),) + args[1:]
                args = tuple(_as_tensors(a, self._compute_dtype if self.autocast else None) for a in args)
        if symbolic:
            return self._symbolic_call(args, kwargs)
        for v in kwargs.values():
            if isinstance(v, (np.ndarray, list, tuple, dict)):
                kwargs = {k: _as_tensors(v, self._compute_dtype if self.autocast else None) for k, v in kwargs.items()}
                break
        if args and self.autocast and "float" in self._input_dtype:  # as Keras, float inputs in the layer's dtype
            x = args[0]
            if isinstance(x, (list, tuple)) or B.is_tensor(x) and B.dtype(x) != self._input_dtype:
                cast = _cast_floats(x, self._input_dtype)
                copy_masks(x, cast)
                args = (cast,) + args[1:]
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, args[0] if args else None, self.name)
        if not self.built:
            self._maybe_build(args)
        context = CALL_CONTEXT
        if not context.depth and (self._losses or self._layers):  # as Keras, the outermost call clears losses
            self._clear_losses()
        context.depth += 1
        try:
            return self._call_in_context(context, args, kwargs)
        finally:
            context.depth -= 1
            if not context.depth:
                context.training = None

    def _call_in_context(self, context, args, kwargs):
        if "training" in kwargs:
            training = kwargs["training"]
        else:
            training = context.training if context.training is not None else self._call_training_default
        context.training = training
        if self._call_has_training:
            if training is not None:
                kwargs["training"] = training
        elif "training" in kwargs:
            del kwargs["training"]
        if len(args) == 1 and (not kwargs or len(kwargs) == 1 and "training" in kwargs) \
                and not self._call_mask_pairs and B.is_tensor(args[0]):  # the common case, in short
            in_mask = getattr(args[0], "_keras_mask", None)
            if in_mask is not None and self._call_has_mask:
                kwargs["mask"] = in_mask
        else:
            kwargs, in_mask = self._mask_arguments(args, kwargs)
        if self._autocast_variables:
            outputs = self._call_autocast(args, kwargs)
        elif self._first_call:  # sublayers built inside the first call get this layer's path
            with LayerScope(self):
                outputs = self.call(*args, **kwargs)
            self._first_call = False
        else:
            outputs = self.call(*args, **kwargs)
        if self._statistics_in_float32 and self._input_dtype != self._compute_dtype:
            outputs = _cast_floats(outputs, self._compute_dtype)
        if self.activity_regularizer is not None:  # as Keras: per sample, for tensors with a batch axis
            for out in tree.flatten(outputs):
                if B.is_tensor(out):
                    loss = self.activity_regularizer(out)
                    self.add_loss(B.divide_no_nan(loss, B.cast(B.shape(out)[0], loss.dtype)) if B.ndim(out) else loss)
        if in_mask is not None or self._makes_masks:
            self._set_output_masks(args[0] if args else None, outputs, in_mask)
        return outputs

    def _mask_arguments(self, args, kwargs):
        """The call's keyword arguments with Keras's masks filled in, and the input mask.

        As in Keras: when ``call`` has a ``mask`` argument, left out or None, and the call has a
        single tensor argument (a tensor, or a list / dict of them), ``mask`` is that argument's
        ``_keras_mask`` (a list / dict of them). With several tensor arguments, each ``<arg>_mask``
        argument of ``call`` left None gets ``<arg>``'s mask. The input mask, which ``compute_mask``
        receives, is ``mask`` when given, else the first argument's mask.
        """
        kwargs = dict(kwargs)
        given = kwargs.get("mask")
        if "mask" in kwargs and not self._call_has_mask:
            del kwargs["mask"]
        if given is not None:
            return kwargs, given
        in_mask = get_mask(args[0]) if args else None
        tensor_args = [v for v in (*args, *(v for k, v in kwargs.items() if k not in ("mask", "training")))
                       if is_tensor_argument(v)]
        if len(tensor_args) == 1 and self._call_has_mask and in_mask is not None:
            kwargs["mask"] = in_mask if tensor_args[0] is (args[0] if args else None) else get_mask(tensor_args[0])
        elif len(tensor_args) > 1:
            for position, name, mask_name in self._call_mask_pairs:
                value = args[position] if position is not None and position < len(args) else kwargs.get(name)
                if kwargs.get(mask_name) is None and is_tensor_argument(value):
                    mask = get_mask(value)
                    if mask is not None:
                        kwargs[mask_name] = mask
        return kwargs, in_mask

    def _set_output_masks(self, inputs, outputs, mask, symbolic=False):
        """Attach ``compute_mask(inputs, mask)`` to the outputs that have no mask yet, as Keras does.

        A layer that does not support masking drops the input mask, with Keras's warning. On
        symbolic inputs the output masks are symbolic too: ``compute_mask`` runs on probe tensors.
        """
        if not self.supports_masking:
            if any(m is not None for m in tree.flatten(mask)):
                warnings.warn(f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with a mask "
                              "attached to it. However, this layer does not support masking and will therefore "
                              "destroy the mask information. Downstream layers will not see the mask.", stacklevel=3)
            return
        flat = tree.flatten(outputs)
        if all(get_mask(o) is not None for o in flat):
            return
        if not self._makes_masks:
            out_mask = mask
        elif symbolic:
            if self._masks_from_input_masks and all(m is None for m in tree.flatten(mask)):
                return  # nothing to propagate: no probe (on a ResNet's 83x83 probe images, 1 s an Add)
            out_mask = mask_spec_by_running(self, inputs, mask)
        else:
            out_mask = self.compute_mask(inputs, mask)
        if out_mask is None:
            return
        for o, m in zip(flat, tree.flatten(out_mask)):
            if m is not None and get_mask(o) is None:
                set_mask(o, m)

    def _call_autocast(self, args, kwargs):
        """``call`` with this layer's (and its sublayers') float variables read in their compute dtype.

        As Keras's autocast scope: each attribute holding a float variable is replaced by the
        variable cast to its layer's compute dtype (gradients flow back to the float32
        variable) and restored afterwards. Normalization layers and ``add_weight(autocast=False)``
        variables keep float32. Sublayers are included for layers (RNNs) that read their
        cells' weights without calling them.
        """
        swapped = []
        for layer in self._flatten_layers():
            if layer._statistics_in_float32 or not layer._policy.is_mixed:
                continue
            compute = layer._compute_dtype
            for name, value in list(layer.__dict__.items()):
                if B.is_variable(value) and id(value) not in layer._no_autocast and "float" in B.dtype(value) \
                        and B.dtype(value) != compute:
                    object.__setattr__(layer, name, B.cast(value, compute))
                    swapped.append((layer, name, value))
        try:
            with LayerScope(self):
                outputs = self.call(*args, **kwargs)
            self._first_call = False
        finally:
            for layer, name, value in swapped:
                object.__setattr__(layer, name, value)
        return outputs

    def compute_mask(self, inputs, mask=None):
        """The output mask for ``inputs`` and their mask ``mask``: by default ``mask`` itself.

        It is attached to the outputs (``_keras_mask``) when the layer ``supports_masking``, also
        while a Functional model is wired, where ``inputs`` and ``mask`` are symbolic.
        """
        return mask

    # ------------------------------------------------------------------ symbolic execution
    def _symbolic_call(self, args, kwargs):
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, args[0] if args else None, self.name)
        with LayerScope(self):
            return self._symbolic_call_in_scope(args, kwargs)

    def _symbolic_call_in_scope(self, args, kwargs):
        if not self.built:
            first = args[0]
            shapes = tree.map_structure(lambda t: t if t is None else tuple(t.shape), first)  # None: Keras allows it
            self._check_input_spec(shapes)
            self.build(shapes)
            self.built = True
            self._build_shapes = shapes
        call_kwargs, in_mask = self._mask_arguments(args, kwargs)
        outputs = self.compute_output_spec(*args, **call_kwargs)
        outputs = tree.map_structure(
            lambda t: KerasTensor(t.shape, t.dtype) if isinstance(t, KerasTensor) else t, outputs)
        Node(self, args, kwargs, outputs)  # the masks filled in are not graph inputs: each call reads its own
        if in_mask is not None or self._makes_masks:
            self._set_output_masks(args[0] if args else None, outputs, in_mask, symbolic=True)
        return outputs

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``; by default found by running ``call`` on zeros."""
        def spec(s):
            return KerasTensor(s)
        args = tree.map_structure(spec, input_shape) if not is_shape(input_shape) else spec(input_shape)
        out = self.compute_output_spec(args)
        return tree.map_structure(lambda t: t.shape, out)

    def compute_output_spec(self, *args, **kwargs):
        """Output ``KerasTensor``(s) for symbolic inputs.

        Uses ``compute_output_shape`` when the subclass defines it, otherwise calls the
        layer on zero tensors twice, with unknown dims set to two different sizes:
        output dims that differ are unknown.
        """
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            build_by_running(self, Layer, args, kwargs)
            out_shapes = self.compute_output_shape(tree.map_structure(lambda t: t.shape, args[0]))
            dtype = self.compute_dtype
            if is_shape(out_shapes):
                return KerasTensor(out_shapes, dtype)
            return tree.map_structure(lambda s: KerasTensor(s, dtype), out_shapes) \
                if not isinstance(out_shapes, (list, tuple)) or not is_shape(out_shapes[0]) \
                else type(out_shapes)(KerasTensor(s, dtype) for s in out_shapes)
        return spec_by_running(self, args, kwargs)

    # ------------------------------------------------------------------ functional-graph helpers
    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called and has no defined input.")
        node = self._inbound_nodes[0]
        return node.args[0] if len(node.args) == 1 else list(node.args)

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called and has no defined output.")
        return self._inbound_nodes[0].outputs

    @property
    def input_shape(self):
        return tree.map_structure(lambda t: t.shape, self.input)

    @property
    def output_shape(self):
        return tree.map_structure(lambda t: t.shape, self.output)

    # ------------------------------------------------------------------ config
    def get_config(self):
        """The constructor arguments that rebuild this layer (``from_config``)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": dtype_policies.serialize(self._dtype_policy)}
        if self._input_shape_arg is not None:
            config["batch_input_shape"] = (self._batch_size_arg,) + tuple(self._input_shape_arg)
        base_params = inspect.signature(Layer.__init__).parameters
        own = [name for name, p in inspect.signature(type(self).__init__).parameters.items()
               if name not in base_params and name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if type(self).get_config is Layer.get_config and own and type(self).__module__.split(".")[0] != "kerasport":
            raise NotImplementedError(
                f"Layer {type(self).__name__} has constructor arguments {own} but no get_config(). "
                f"Add a get_config() method that returns them, e.g.\n"
                f"    def get_config(self):\n        return {{**super().get_config(), "
                + ", ".join(f'"{p}": self.{p}' for p in own) + "}")
        if type(self).__init__ is Layer.__init__:
            # Keras records a plain subclass's base arguments: these two travel too.
            config["activity_regularizer"] = (None if self.activity_regularizer is None
                                              else regularizers.serialize(self.activity_regularizer))
            config["autocast"] = self.autocast
        if type(self).get_config is Layer.get_config:
            drop_name_init_cannot_take(type(self), config)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(**config)

    def get_build_config(self):
        """What ``build_from_config`` needs to build this layer again.

        ``{"input_shape": shape}``, or, for a ``build`` that was called with several arguments,
        ``{"shapes_dict": {argument: value, ...}}``, as Keras 3 records them.
        """
        if not self.built or self._build_shapes is None:
            return None
        arguments = self.__dict__.get("_build_arguments")
        if arguments:
            return {"shapes_dict": {k: jsonable_shape(v) if is_shape(v) else v for k, v in arguments.items()}}
        return {"input_shape": jsonable_shape(self._build_shapes)}

    def build_from_config(self, config):
        """Build the layer from ``get_build_config()``'s dict: ``build(input_shape)`` or ``build(**shapes_dict)``."""
        if self.built or not config:
            return
        shape = config.get("input_shape")
        if shape is not None:
            self.build(tuple_shape(shape))
            self.built = True
            self._build_shapes = tuple_shape(shape)
        elif config.get("shapes_dict"):
            self.build(**config["shapes_dict"])
            self.built = True

    def save_own_variables(self, store):
        """Save the layer's own state (its own variables, trainable ones first) into ``store``.

        ``model.save`` and ``save_weights`` call it for every layer; the dict-like ``store`` receives
        ``{"0": array, "1": array, ...}``. Override it (with ``load_own_variables``) to save other state.

        Args:
            store: Dict-like object the layer's state is written into.
        """
        for i, v in enumerate(self._own_variables()):
            store[str(i)] = B.convert_to_numpy(v)

    def load_own_variables(self, store):
        """Load the state written by ``save_own_variables`` from ``store`` into the layer's own variables.

        Args:
            store: Dict-like object holding ``{"0": array, "1": array, ...}``.
        """
        own = self._own_variables()
        if len(store.keys()) != len(own):
            raise ValueError(f"Layer {self.name!r} expected {len(own)} variables, but received {len(store.keys())} "
                             f"variables during loading. Expected: {[v.name for v in own]}")
        for i, v in enumerate(own):
            if tuple(v.shape) != tuple(np.shape(store[str(i)])):
                raise ValueError(f"Layer {self.name!r}: variable {v.name!r} has shape {tuple(v.shape)}, the "
                                 f"loaded value has shape {tuple(np.shape(store[str(i)]))}.")
        for i, v in enumerate(own):
            _assign_array(v, store[str(i)])
        for v in self._reset_on_load():
            _assign_array(v, np.zeros(tuple(v.shape)))

    def _own_weights(self):
        """The variables this layer itself created, those created trainable first (Keras's order)."""
        return ([v for v in self._weights_list if self._trainable_flags[id(v)]]
                + [v for v in self._weights_list if not self._trainable_flags[id(v)]])

    def _own_variables(self):
        """The variables ``save_own_variables`` writes and ``load_own_variables`` reads, in order: by default
        all of ``_own_weights()``; a LoRA layer leaves its adapters out, as Keras does."""
        return self._own_weights()

    def _reset_on_load(self):
        """Variables that loading weights sets to zero (a LoRA layer's adapters: the file holds the merged
        kernel); none by default."""
        return []

    def __deepcopy__(self, memo):
        """``copy.deepcopy(layer)``: a layer with copies of the weights and sublayers, each weight trainable or
        frozen as its original (the layer's record of that is keyed by the weights' identities)."""
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        state = copy.deepcopy(self.__dict__, memo)
        moved = lambda key: id(memo[key]) if key in memo else key  # noqa: E731
        state["_trainable_flags"] = {moved(key): flag for key, flag in state["_trainable_flags"].items()}
        if "_frozen_weights" in state:
            state["_frozen_weights"] = {moved(key) for key in state["_frozen_weights"]}
        new.__dict__.update(state)
        return new

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# ---------------------------------------------------------------------- helpers
def drop_name_init_cannot_take(cls, config):
    """Remove ``name`` from an automatic ``config`` when ``cls.__init__`` takes neither ``name`` nor
    ``**kwargs``, as Keras does: such a class could not be rebuilt from the config otherwise."""
    params = inspect.signature(cls.__init__).parameters
    if "name" not in params and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        config.pop("name", None)


def _assign_array(variable, value):
    """Assign the array ``value`` (its shape already checked) to ``variable``, cast to its dtype."""
    B.assign(variable, B.convert_to_tensor(np.asarray(value), B.dtype(variable) if B.NAME == "torch"
                                           else variable.dtype))
