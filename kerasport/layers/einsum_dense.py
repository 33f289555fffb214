"""``EinsumDense``: a dense layer whose contraction is any einsum equation (Keras's shapes and weight names)."""
import re
import string

import numpy as np

from kerasport import activations, constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.layers.layer import Layer
from kerasport.layers.lora import LoRAKernel
from kerasport.layers.quantization import FLOAT8_SPEC, Quantizable
from kerasport.core.serialization import serialize_keras_object
from kerasport.quantizers import (AbsMaxQuantizer, QuantizationConfig, abs_max_quantize,
                                  abs_max_quantize_grouped_with_zero_point, pack_int4, unpack_int4)
from kerasport.quantizers.quantization_config import block_size_for_layer
from kerasport.quantizers.quantizers import dequantize_with_sz_map


def _ser(obj):
    return serialize_keras_object(obj) if obj is not None else None


def _parse(equation):
    """``(input_spec, weight_spec, output_spec, left_elided)``; ``...`` may lead the input/output or end them."""
    eq = re.sub(r"\.\.\.", "0", equation)
    for pattern, left in ((r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                          (r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        m = re.match(pattern, eq)
        if m:
            return m.group(1), m.group(2), m.group(3), left
    raise ValueError(f"EinsumDense: invalid einsum equation {equation!r}. Equations must be in the form "
                     "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def analyze_einsum(equation, bias_axes, input_shape, output_shape):
    """Keras's shape analysis of an ``EinsumDense`` equation.

    Returns ``(kernel_shape, bias_shape or None, full_output_shape, kernel_input_axes, kernel_output_axes)``.
    """
    input_spec, weight_spec, output_spec, left = _parse(equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        out_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        in_map = {d: i for i, d in enumerate(input_spec)}
        out_map = {d: i for i, d in enumerate(output_spec)}
    for d in input_spec:
        if d in out_map and out[out_map[d]] is not None and out[out_map[d]] != input_shape[in_map[d]]:
            raise ValueError(f"EinsumDense: input shape and output shape do not match at shared dimension {d!r}. "
                             f"Input shape is {input_shape[in_map[d]]}, and output shape is {out[out_map[d]]}.")
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ValueError(f"EinsumDense: dimension {d!r} was specified in the output {output_spec!r} but has no "
                             f"corresponding dim in the input spec {input_spec!r} or weight spec {weight_spec!r}.")
    kernel_shape, in_axes, out_axes = [], [], []
    for i, d in enumerate(weight_spec):
        if d in out_map:
            kernel_shape.append(out[out_map[d]])
            out_axes.append(i)
        elif d in in_map:
            kernel_shape.append(input_shape[in_map[d]])
            in_axes.append(i)
        else:
            raise ValueError(f"EinsumDense: weight dimension {d!r} did not have a match in either the input spec "
                             f"{input_spec!r} or the output spec {output_spec!r}. For this layer, the weight must "
                             "be fully specified.")
    bias_shape = None
    if bias_axes is not None:
        shift = elided if left else 0
        sizes = {d: out[i + shift] for i, d in enumerate(output_spec)}
        for d in bias_axes:
            if d not in output_spec:
                raise ValueError(f"EinsumDense: bias dimension {d!r} was requested, but is not part of the output "
                                 f"spec {output_spec!r}.")
        first = min(output_spec.find(d) for d in bias_axes)
        bias_shape = [sizes[d] if d in bias_axes else 1 for d in output_spec[first:]]
        if not left:
            bias_shape += [1] * elided
    return kernel_shape, bias_shape, out, in_axes, out_axes


def _full_specs(equation, ndim):
    """``(input_spec, weight_spec, output_spec)`` of ``equation`` for an input of rank ``ndim``, with letters
    unused by the equation standing for the dims ``...`` covers."""
    input_spec, weight_spec, output_spec, left = _parse(equation)
    elided = ndim - len(input_spec)
    if "..." in equation and elided > 0:
        free = sorted(set(string.ascii_letters) - set(input_spec + weight_spec + output_spec))[:elided]
        if left:  # prepended one by one, as Keras does: the last free letter ends up first
            pad = "".join(reversed(free))
            input_spec, output_spec = pad + input_spec, pad + output_spec
        else:
            pad = "".join(free)
            input_spec, output_spec = input_spec + pad, output_spec + pad
    return input_spec, weight_spec, output_spec


def quantization_axes(equation, ndim):
    """How int8 scales line up with an ``EinsumDense`` equation, as Keras computes it.

    Returns a dict: ``input_reduced`` / ``kernel_reduced`` (the axes the input / kernel quantizers reduce: those
    absent from the output) and, for each of ``"input"`` and ``"kernel"``, the ``transpose`` / ``expand`` /
    ``squeeze`` axes that turn its kept-dims scale into one that broadcasts against the output; and
    ``gradient_equation``, the einsum giving the inputs' gradient from the output's.
    """
    input_spec, weight_spec, output_spec = _full_specs(equation, ndim)
    out = {"gradient_equation": f"{output_spec},{weight_spec}->{input_spec}"}
    # Keras reuses the last position it computed when a reduced axis finds no free output axis: follow it.
    index = output_spec.find(weight_spec[-1])
    for name, spec in (("input", input_spec), ("kernel", weight_spec)):
        reduced = [i for i, label in enumerate(spec) if label not in output_spec]
        expand = [i for i, label in enumerate(output_spec) if label not in spec]
        transpose = [spec.index(label) for label in output_spec if label in spec]
        squeeze = []
        for axis in reduced:
            if expand:
                index = expand.pop(0)
            else:
                squeeze.append(axis)
            transpose.insert(index, axis)
        out[f"{name}_reduced"] = reduced
        out[name] = {"transpose": transpose, "expand": expand, "squeeze": squeeze}
    return out


def _scale_for_output(scale, axes):
    """A kept-dims scale (an input's or the kernel's) rearranged to broadcast against the einsum's output."""
    if axes["transpose"]:
        scale = B.transpose(scale, axes["transpose"])
    for axis in sorted(axes["expand"]):
        scale = B.expand_dims(scale, axis)
    if axes["squeeze"]:
        scale = B.squeeze(scale, tuple(axes["squeeze"]))
    return scale


def _scale_for_kernel(scale, axes):
    """The kernel's stored scale back in the kernel's own layout (dims of size 1 where it was reduced)."""
    for axis in sorted(axes["squeeze"]):
        scale = B.expand_dims(scale, axis)
    if axes["expand"]:
        scale = B.squeeze(scale, tuple(axes["expand"]))
    if axes["transpose"]:
        scale = B.transpose(scale, [int(i) for i in np.argsort(axes["transpose"])])
    return scale


class EinsumDense(Quantizable, LoRAKernel, Layer):
    """A dense layer computing ``activation(einsum(equation, inputs, kernel) + bias)``.

    Args:
        equation: an einsum equation ``"ab,bc->ac"``; ``...`` may stand for leading
            (``"...b,bc->...c"``) or trailing (``"ab...,bc->ac..."``) input dims.
        output_shape: the output shape without the batch dim and the dims ``...`` stands for
            (an int for one dim; ``None`` for a dim inferred from the input).
        activation: applied to the result (none by default).
        bias_axes: the output letters that get a bias (e.g. ``"c"``); ``None``: no bias.
        kernel_initializer, bias_initializer: ``"glorot_uniform"``, ``"zeros"``; the kernel's fans
            are computed over its input and output axes, as in Keras.
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint.
        lora_rank: when set, the layer enables LoRA with this rank (and ``lora_alpha``) once built
            (``enable_lora``): the kernel is frozen and a trainable update ``lora_kernel_a @ lora_kernel_b``
            (``lora_kernel_a``: the kernel's shape with its last dim ``lora_rank``) is added to it.
        lora_alpha: the update's scale is ``lora_alpha / lora_rank`` (``lora_rank`` by default).
        quantization_config: a ``kerasport.quantizers.QuantizationConfig`` for ``quantize``.

    Example::

        layer = kerasport.layers.EinsumDense("abc,cde->abde", output_shape=(None, 8, 4), bias_axes="de")
        layer(x)  # (batch, T, C) -> (batch, T, 8, 4); kernel (C, 8, 4), bias (8, 4)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = quantization_config
        if not isinstance(equation, str):
            raise TypeError(f"EinsumDense {self.name!r}: `equation` must be a string, received {equation!r}.")
        _parse(equation)
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _check_input_spec(self, shape):
        spec = _parse(self.equation)[0]
        if len(shape) < len(spec):
            raise ValueError(f"Input 0 of layer {self.name!r} (EinsumDense) is incompatible: equation "
                             f"{self.equation!r} needs at least {len(spec)} dims, received shape {tuple(shape)}.")

    _quantization_modes = ("int8", "int4", "float8")

    def _serialization_spec(self):
        return {None: ["kernel", "bias"], "int8": ["kernel", "bias", "kernel_scale"],
                "int4": ["kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"], "float8": FLOAT8_SPEC}

    def _lora_base_shape(self):
        return self.__dict__.get("_original_kernel_shape") or tuple(self._kernel.shape)

    def _int4_layout(self, kernel_shape):
        """``(rows, columns)`` of the int4 kernel's 2D view: the reduced dims' size by the others', as Keras
        flattens it (a plain reshape of the kernel)."""
        reduced = self._axes["kernel_reduced"]
        rows = int(np.prod([d for i, d in enumerate(kernel_shape) if i in reduced]))
        return rows, int(np.prod(kernel_shape)) // rows

    def _quantized_build(self, kernel_shape, mode, config):
        if mode == "float8":
            return self._float8_build()
        if mode not in self._quantization_modes:
            raise NotImplementedError(f"EinsumDense {self.name!r}: quantization mode {mode!r} is not supported by "
                                      f"kerasport; supported: {self._quantization_modes}.")
        self._axes = quantization_axes(self.equation, self._input_ndim)
        self._original_kernel_shape = tuple(int(d) for d in kernel_shape)
        if mode == "int4":  # a 2D (rows, columns) view packed two values a byte along the columns
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, None)
            rows, columns = self._int4_layout(kernel_shape)
            block_size = block_size_for_layer(self, config)
            self._int4_block_size = block_size if block_size is not None and block_size > 0 else None
            self._kernel = self.add_weight((rows, (columns + 1) // 2), "zeros", dtype="int8", trainable=False,
                                           name="kernel")
            scale_shape = ((rows + block_size - 1) // block_size, columns) if self._int4_block_size else (columns,)
            self.kernel_scale = self.add_weight(scale_shape, "ones", trainable=False, name="kernel_scale")
            if self._int4_block_size:
                self.kernel_zero = self.add_weight(scale_shape, "zeros", dtype="int8", trainable=False,
                                                   name="kernel_zero")
                self.g_idx = self.add_weight((rows,), lambda shape, dtype: B.cast(
                    B.floor_divide(B.arange(rows), block_size), dtype), dtype="float32", trainable=False,
                    name="g_idx")
            self._is_quantized = True
            return
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, AbsMaxQuantizer())
        self._kernel = self.add_weight(tuple(kernel_shape), "zeros", dtype="int8", trainable=False, name="kernel")
        scale_shape = np.array(kernel_shape)
        scale_shape[self._axes["kernel_reduced"]] = 1
        scale_shape = scale_shape[self._axes["kernel"]["transpose"]].tolist()
        for axis in sorted(self._axes["kernel"]["expand"]):
            scale_shape.insert(axis, 1)
        for axis in sorted(self._axes["kernel"]["squeeze"], reverse=True):
            scale_shape.pop(axis)
        self.kernel_scale = self.add_weight(tuple(int(d) for d in scale_shape), "ones", trainable=False,
                                            name="kernel_scale")
        self._is_quantized = True

    def _quantize_int4(self, flat_kernel, block_size):
        """``(packed, scale[, zero])`` of the 2D view ``flat_kernel``, per column or in groups of rows."""
        if block_size:
            value, scale, zero = abs_max_quantize_grouped_with_zero_point(flat_kernel, block_size=block_size,
                                                                          to_numpy=True)
            return pack_int4(value, axis=-1)[0], scale, zero
        value, scale = abs_max_quantize(flat_kernel, axis=0, value_range=(-8, 7), to_numpy=True)
        return pack_int4(value, axis=-1)[0], B.squeeze(scale, 0)

    def _quantize_weights(self, mode, config):
        if mode == "float8":
            return self._float8_build()
        self._axes = quantization_axes(self.equation, self._input_ndim)
        shape = tuple(self._kernel.shape)
        if mode == "int4":  # Keras's own quantizer, whatever the config's weight quantizer
            block_size = block_size_for_layer(self, config)
            quantized = self._quantize_int4(B.reshape(self._kernel, self._int4_layout(shape)),
                                            block_size if block_size is not None and block_size > 0 else None)
            self._replace_base_weight(shape, mode, config)
            for variable, value in zip((self._kernel, self.kernel_scale, getattr(self, "kernel_zero", None)),
                                       quantized):
                B.assign(variable, value)
            return
        quantizer = QuantizationConfig.weight_quantizer_or_default(
            config, AbsMaxQuantizer(axis=self._axes["kernel_reduced"]))
        value, scale = quantizer(self._kernel, to_numpy=True)
        self._replace_base_weight(shape, mode, config)
        B.assign(self._kernel, value)
        B.assign(self.kernel_scale, _scale_for_output(scale, self._axes["kernel"]))

    def _int4_float_kernel(self, kernel, kernel_scale, zero=None, g_idx=None):
        """The float kernel (its original shape, compute dtype) that packed int4 tensors stand for."""
        unpacked = unpack_int4(kernel, self._int4_layout(self._original_kernel_shape)[1], axis=-1)
        if zero is not None:
            float_kernel = dequantize_with_sz_map(unpacked, kernel_scale, zero, g_idx, group_axis=0)
        else:
            float_kernel = B.divide(B.cast(unpacked, self.compute_dtype), kernel_scale)
        return B.reshape(B.cast(float_kernel, self.compute_dtype), self._original_kernel_shape)

    def _dequantized(self):
        if self.quantization_mode == "int4":
            return self._int4_float_kernel(self._kernel, self.kernel_scale, getattr(self, "kernel_zero", None),
                                           getattr(self, "g_idx", None))
        return B.divide(B.cast(self._kernel, "float32"), _scale_for_kernel(self.kernel_scale, self._axes["kernel"]))

    def _requantized(self, kernel):
        if self.quantization_mode == "int4":
            return self._quantize_int4(B.reshape(kernel, self._int4_layout(self._original_kernel_shape)),
                                       self._int4_block_size)
        value, scale = abs_max_quantize(kernel, axis=self._axes["kernel_reduced"], to_numpy=True)
        return value, _scale_for_output(scale, self._axes["kernel"])

    def _int4_call(self, inputs):
        compute, quantizer, axes, equation = self.compute_dtype, self.inputs_quantizer, self._axes, self.equation
        grouped = self._int4_block_size is not None
        zero = B.convert_to_tensor(self.kernel_zero) if grouped else None
        g_idx = B.convert_to_tensor(self.g_idx) if grouped else None

        @B.custom_gradient
        def einsum_int4(x, kernel, kernel_scale):
            float_kernel = self._int4_float_kernel(kernel, kernel_scale, zero, g_idx)

            def grad(upstream):  # the inputs' gradient through the dequantized kernel; the int4 weights get none
                return B.einsum(axes["gradient_equation"], upstream, float_kernel), None, None

            if quantizer and not grouped:
                x, x_scale = quantizer(x, axis=tuple(axes["input_reduced"]))
                y = B.divide(B.cast(B.einsum(equation, B.cast(x, compute), float_kernel), compute),
                             _scale_for_output(x_scale, axes["input"]))
            else:
                y = B.einsum(equation, x, float_kernel)
            return y, grad

        return self._quantized_output(inputs, einsum_int4(inputs, B.convert_to_tensor(self._kernel),
                                                          B.convert_to_tensor(self.kernel_scale)))

    def _int8_call(self, inputs):
        compute, quantizer, axes, equation = self.compute_dtype, self.inputs_quantizer, self._axes, self.equation

        @B.custom_gradient
        def einsum_int8(x, kernel, kernel_scale):
            def grad(upstream):  # the inputs' gradient through the dequantized kernel; the int8 weights get none
                float_kernel = B.divide(B.cast(kernel, compute), _scale_for_kernel(kernel_scale, axes["kernel"]))
                return B.einsum(axes["gradient_equation"], upstream, float_kernel), None, None

            if quantizer:
                x, x_scale = quantizer(x, axis=tuple(axes["input_reduced"]))
                y = B.cast(B.einsum(equation, B.cast(x, "int32"), B.cast(kernel, "int32")), compute)
                y = B.divide(y, B.multiply(_scale_for_output(x_scale, axes["input"]), kernel_scale))
            else:
                y = B.divide(B.cast(B.einsum(equation, x, B.cast(kernel, B.dtype(x))), compute), kernel_scale)
            return y, grad

        return self._quantized_output(inputs, einsum_int8(inputs, B.convert_to_tensor(self._kernel),
                                                          B.convert_to_tensor(self.kernel_scale)))

    def _quantized_output(self, inputs, x):
        """The quantized product ``x`` plus the LoRA update, the bias and the activation."""
        if self.lora_enabled:
            lora = B.matmul(B.einsum(self.equation, inputs, self.lora_kernel_a), self.lora_kernel_b)
            x = B.cast(B.add(x, B.multiply(lora, self.lora_alpha / self.lora_rank)), self.compute_dtype)
        if self.bias is not None:
            x = B.add(x, self.bias)
        return x if self.activation in (None, activations.linear) else self.activation(x)

    def build(self, input_shape):
        kernel_shape, bias_shape, _, in_axes, out_axes = analyze_einsum(self.equation, self.bias_axes, input_shape,
                                                                        self.partial_output_shape)
        if any(d is None for d in kernel_shape):
            raise ValueError(f"EinsumDense {self.name!r}: the kernel shape {tuple(kernel_shape)} has an unknown "
                             f"dim; give the input dims it contracts a known size (input shape {tuple(input_shape)}).")
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and (init.input_axes is None or init.output_axes is None):
            init = type(init)(**{**init.get_config(), "input_axes": in_axes, "output_axes": out_axes})
        self._input_ndim = len(input_shape)
        mode = self.quantization_mode
        if mode is not None:  # float8 adds its state first, then the float kernel, in Keras's order
            self._quantized_build(kernel_shape, mode, self.quantization_config)
        if mode in (None, "float8"):
            self.kernel = self.add_weight(tuple(kernel_shape), init, name="kernel",
                                          regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None if bias_shape is None else self.add_weight(
            tuple(bias_shape), self.bias_initializer, name="bias", regularizer=self.bias_regularizer,
            constraint=self.bias_constraint)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def call(self, inputs):
        if B.ndim(inputs) != self._input_ndim:
            raise ValueError(f"Input 0 of layer {self.name!r} (EinsumDense) is incompatible: expected ndim="
                             f"{self._input_ndim}, found ndim={B.ndim(inputs)}. Full shape received: "
                             f"{tuple(inputs.shape)}")
        if self.quantization_mode == "float8":
            return self._float8_call(inputs, lambda x, kernel: B.einsum(self.equation, x, kernel))
        if self.quantization_mode == "int8":
            return self._int8_call(inputs)
        if self.quantization_mode == "int4":
            return self._int4_call(inputs)
        x = B.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = x + self.bias
        return x if self.activation in (None, activations.linear) else self.activation(x)

    def compute_output_shape(self, input_shape):
        """Keras's output shape, with ``None`` output dims taken from the input dim of the same letter."""
        out = analyze_einsum(self.equation, self.bias_axes, input_shape, self.partial_output_shape)[2]
        input_spec, _, output_spec, left = _parse(self.equation)
        shift_in = len(input_shape) - len(input_spec) if left else 0
        shift_out = len(out) - len(output_spec) if left else 0
        for i, d in enumerate(output_spec):
            if out[i + shift_out] is None and d in input_spec:
                out[i + shift_out] = input_shape[input_spec.index(d) + shift_in]
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "output_shape": self.partial_output_shape, "equation": self.equation,
                "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
                "kernel_initializer": _ser(self.kernel_initializer), "bias_initializer": _ser(self.bias_initializer),
                "kernel_regularizer": _ser(self.kernel_regularizer), "bias_regularizer": _ser(self.bias_regularizer),
                "activity_regularizer": _ser(self.activity_regularizer),
                "kernel_constraint": _ser(self.kernel_constraint), "bias_constraint": _ser(self.bias_constraint),
                "quantization_config": _ser(self.quantization_config), **self._lora_config()}
