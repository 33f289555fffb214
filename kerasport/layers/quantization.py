"""Keras 3's ``quantize`` for ``Dense``, ``EinsumDense`` and ``Embedding``, and the variables their files hold.

``layer.quantize("int8")`` replaces the layer's float base weight (``kernel`` / ``embeddings``) by an int8
variable of the same name and a float ``<weight>_scale``, both non-trainable, and sets the layer's policy to
``"int8_from_<policy>"`` (``"int4"``: the values packed two a byte, ``"int4/<block_size>_from_<policy>"``); a
layer built under such a policy (a loaded file) creates them directly. A LoRA layer saves its base weight with
the update merged (re-quantized when the layer is quantized), as Keras does. ``"float8"`` keeps the float kernel
and adds Keras's delayed-scaling state (a scale and an amax history for the inputs, the kernel and the outputs'
gradient), which the optimizer overwrites with the new values the backward pass computes.
"""
from kerasport import activations
from kerasport.backends import B
from kerasport.dtype_policies import QuantizedFloat8DTypePolicy
from kerasport.layers.call_context import CALL_CONTEXT
from kerasport.layers.lora import LoRA
from kerasport.quantizers import (compute_float8_amax_history, compute_float8_scale, deserialize,
                                  quantize_and_dequantize)
from kerasport.quantizers.quantizers import FLOAT8_MAX
from kerasport.quantizers.quantization_config import (block_size_for_layer, check_quantization_mode,
                                                      validate_and_resolve_config)


def check_quantize_args(layer, mode):
    """Keras's checks before quantizing: built, not yet quantized, a known mode, no float16 int8."""
    if not layer.built:
        raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer '{layer.name}' (of type "
                         f"'{type(layer).__name__}') is not built yet.")
    if layer.__dict__.get("_is_quantized"):
        raise ValueError(f"Layer '{layer.name}' is already quantized with dtype_policy="
                         f"'{layer.dtype_policy.name}'. Received: mode={mode}")
    check_quantization_mode(mode, layer.compute_dtype, hint=" Consider loading model/layer with another dtype "
                            "policy such as 'mixed_bfloat16' or 'mixed_float16' before calling `quantize()`.")

# The variables of a float8 layer's files, in Keras's order.
FLOAT8_SPEC = ["kernel", "bias", "inputs_scale", "inputs_amax_history", "kernel_scale", "kernel_amax_history",
               "outputs_grad_scale", "outputs_grad_amax_history"]


class Quantizable(LoRA):
    """Mixin of the layers that ``quantize`` (and take LoRA adapters).

    A layer names the variables of its files in ``_serialization_spec`` (per mode, in order), implements
    ``_quantized_build(shape, mode, config)``, ``_quantize_weights(mode, config)`` and
    ``_requantized(float_weight)``, and lists the modes it supports in ``_quantization_modes``.
    """

    _quantization_modes = ("int8",)

    def _int4_grouped(self):
        """Whether the layer is int4 with a scale (and zero point) per block of rows rather than per column."""
        return self.quantization_mode == "int4" and (self.__dict__.get("_int4_block_size") or 0) > 0

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the layer's weights, as Keras does.

        Args:
            mode: ``"int8"``, ``"int4"`` (not for ``ReversibleEmbedding``) or ``"float8"`` (``Dense`` and
                ``EinsumDense``); optional when ``config`` is given.
            type_check: refuse subclasses (their ``call`` may not use the quantized weights).
            config: a ``kerasport.quantizers.QuantizationConfig`` (the mode's default when None).
        """
        config = validate_and_resolve_config(mode, config)
        mode = config.mode
        check_quantize_args(self, mode)
        if type_check and "_quantize_weights" not in type(self).__dict__:
            raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize` method implemented.")
        if mode not in self._quantization_modes:
            raise NotImplementedError(f"{type(self).__name__} {self.name!r}: quantization mode {mode!r} is not "
                                      f"supported by kerasport for this layer; supported: {self._quantization_modes}.")
        self.quantization_config = config
        self._quantize_weights(mode, config)
        self._is_quantized = True
        if self.dtype_policy.quantization_mode is None:
            if mode == "int4":
                block_size = block_size_for_layer(self, config)
                mode = f"int4/{-1 if block_size is None else block_size}"
            self.dtype_policy = f"{mode}_from_{self.dtype_policy.name}"

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("quantization_config"), dict):
            config["quantization_config"] = deserialize(config["quantization_config"])
        return super().from_config(config)

    def _replace_base_weight(self, shape, mode, config):
        """Forget the float base weight and build the quantized variables in its place."""
        self._untrack_weight(self.__dict__[f"_{self._lora_weight}"])
        self._quantized_build(shape, mode, config)
        self._is_quantized = True

    def _own_variables(self):
        if not self.lora_enabled and self.quantization_mode is None:
            return self._own_weights()
        out = []
        for name in self._serialization_spec()[self.quantization_mode]:
            v = self.__dict__.get(f"_{name}") if name == self._lora_weight else getattr(self, name, None)
            if v is not None:
                out.append(v)
        return out

    def save_own_variables(self, store):
        """Write the layer's variables into ``store`` (``"0"``, ``"1"``, ...), in Keras's order, with a LoRA
        update merged into the base weight (and re-quantized with a new scale when the layer is quantized);
        the adapters are not saved.

        Args:
            store: Dict-like object the layer's state is written into.
        """
        base = self.__dict__.get(f"_{self._lora_weight}")
        merged = {}
        if self.lora_enabled and self.quantization_mode in (None, "float8"):
            merged[id(base)] = self._with_lora(base)
        elif self.lora_enabled:
            weight = self._lora_weight
            requantized = self._requantized(B.add(self._dequantized(), self._lora_delta()))
            for name, value in zip((f"_{weight}", f"{weight}_scale", f"{weight}_zero"), requantized):
                merged[id(self.__dict__[name] if name.startswith("_") else getattr(self, name))] = value
        for i, v in enumerate(self._own_variables()):
            store[str(i)] = B.convert_to_numpy(merged.get(id(v), v))

    def _float8_build(self):
        """Keras's float8 training state: ``<inputs|kernel|outputs_grad>_scale`` (ones) and ``..._amax_history``
        (zeros, the policy's ``amax_history_length``), float32, trainable and overwritten with their gradient."""
        length = getattr(self.dtype_policy, "amax_history_length",
                         QuantizedFloat8DTypePolicy.default_amax_history_length)
        for name in ("inputs", "kernel", "outputs_grad"):
            for suffix, shape, init in (("scale", (), "ones"), ("amax_history", (length,), "zeros")):
                variable = self.add_weight(shape, init, dtype="float32", autocast=False, name=f"{name}_{suffix}")
                variable.overwrite_with_gradient = True
                setattr(self, f"{name}_{suffix}", variable)
        self._is_quantized = True

    def _float8_call(self, inputs, product):
        """``product(inputs, kernel)`` on float8 (e4m3) quantize-dequantized operands, the outputs' gradient
        quantize-dequantized to e5m2, then bias and activation, as Keras computes it. In training, the backward
        pass gives each scale and amax history its next value as its gradient (delayed scaling)."""
        if self.lora_enabled:
            raise NotImplementedError("Currently, `_float8_call` doesn't support LoRA")
        training, compute = CALL_CONTEXT.training, self.compute_dtype

        @B.custom_gradient
        def qdq_inputs(x, scale, amax_history):
            new_scale = new_history = None
            if training:
                new_scale = compute_float8_scale(B.max(amax_history, axis=0), scale,
                                                 B.cast(FLOAT8_MAX["float8_e4m3fn"], "float32"))
                new_history = compute_float8_amax_history(x, amax_history)

            def grad(upstream):
                return upstream, new_scale, new_history

            return quantize_and_dequantize(x, scale, "float8_e4m3fn", compute), grad

        @B.custom_gradient
        def qdq_outputs_grad(x, scale, amax_history):
            def grad(upstream):
                new_scale = compute_float8_scale(B.max(amax_history, axis=0), scale,
                                                 B.cast(FLOAT8_MAX["float8_e5m2"], "float32"))
                return (quantize_and_dequantize(upstream, scale, "float8_e5m2", compute), new_scale,
                        compute_float8_amax_history(upstream, amax_history))

            return x, grad

        t = B.convert_to_tensor
        x = product(qdq_inputs(inputs, t(self.inputs_scale), t(self.inputs_amax_history)),
                    qdq_inputs(B.cast(t(self.__dict__["_kernel"]), compute), t(self.kernel_scale),
                               t(self.kernel_amax_history)))
        x = qdq_outputs_grad(x, t(self.outputs_grad_scale), t(self.outputs_grad_amax_history))
        if self.bias is not None:
            bias = self.bias
            if compute == "float32":  # Keras rounds a float32 bias through bfloat16 (for XLA's bias-add fusion)
                bias = B.cast(B.cast(bias, "bfloat16"), B.dtype(bias))
            x = B.add(x, bias)
        return x if self.activation in (None, activations.linear) else self.activation(x)
