"""Core layers: Input, Dense, Activation, Dropout, Flatten, Reshape, Embedding, Identity."""
import math
import numbers

from kerasport import activations, backend, constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.layers.quantization import FLOAT8_SPEC, Quantizable
from kerasport.quantizers import (AbsMaxQuantizer, QuantizationConfig, abs_max_quantize,
                                  abs_max_quantize_grouped_with_zero_point, pack_int4, unpack_int4)
from kerasport.quantizers.quantization_config import block_size_for_layer
from kerasport.quantizers.quantizers import dequantize_with_sz_map
from kerasport.core.serialization import serialized


def check_rank(layer, shape, min_rank=None, rank=None):
    """Raise a clear error naming ``layer`` when ``shape`` has the wrong rank."""
    if rank is not None and len(shape) != rank:
        raise ValueError(f"Input 0 of layer {layer.name!r} ({type(layer).__name__}) is incompatible: "
                         f"expected ndim={rank}, found ndim={len(shape)}. Full shape received: {tuple(shape)}")
    if min_rank is not None and len(shape) < min_rank:
        raise ValueError(f"Input 0 of layer {layer.name!r} ({type(layer).__name__}) is incompatible: "
                         f"expected min_ndim={min_rank}, found ndim={len(shape)}. Full shape received: {tuple(shape)}")


class InputLayer(Layer):
    """The entry point of a Functional model; produces a symbolic ``KerasTensor``.

    Args:
        shape: shape of one sample, without the batch dim (``None`` for unknown dims).
        batch_size: optional fixed batch size.
        dtype: the input's dtype (``"float32"``).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=False, batch_shape=None,
                 input_tensor=None, name=None, optional=False, **kwargs):
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name or None, dtype=dtype, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs a `shape` (the shape of one sample, without the batch dim).")
            batch_shape = (batch_size,) + _checked_shape(shape)
        self.batch_shape = _checked_shape(batch_shape)
        self.sparse = sparse
        self.optional = optional
        self.built = True
        out = KerasTensor(self.batch_shape, self.dtype, name=self.name)
        from kerasport.layers.symbolic import Node
        Node(self, (), {}, out)
        self.output_tensor = out

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": self.sparse,
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name", "float32")
        config.pop("ragged", None)
        return cls(**config)


def _checked_shape(shape):
    """``shape`` as a tuple of ints and Nones, or Keras's error for anything else (negative, float, str dims)."""
    if not isinstance(shape, (tuple, list)):
        raise ValueError(f"Cannot convert '{shape}' to a shape.")
    for d in shape:
        if d is not None and not isinstance(d, numbers.Integral):
            raise ValueError(f"Cannot convert '{shape}' to a shape. Found invalid dimension '{d}' of type "
                             f"'{type(d)}'. ")
        if d is not None and d < 0:
            raise ValueError(f"Cannot convert '{shape}' to a shape. Negative dimensions are not allowed.")
    return tuple(None if d is None else int(d) for d in shape)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None,
          optional=False):
    """A symbolic input of a Functional model.

    Example::

        x = kerasport.Input(shape=(784,))
        y = kerasport.layers.Dense(10)(x)
        model = kerasport.Model(x, y)
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=bool(sparse),
                      batch_shape=batch_shape, name=name, optional=optional).output_tensor


class Dense(Quantizable, Layer):
    """``activation(inputs @ kernel + bias)`` on the last axis.

    Args:
        units: output features.
        activation: name or callable (none by default).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: ``"glorot_uniform"``, ``"zeros"`` by default.
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint.
        lora_rank: when set, the layer enables LoRA with this rank once built (``enable_lora``): the kernel is
            frozen and a trainable low-rank update ``lora_kernel_a @ lora_kernel_b`` is added to it.
        lora_alpha: the update's scale is ``lora_alpha / lora_rank``. As in Keras 3.15, the build enables LoRA
            with ``lora_alpha = lora_rank``; pass ``lora_alpha`` to ``enable_lora`` to use another.
        quantization_config: a ``kerasport.quantizers.QuantizationConfig`` for ``quantize``.

    Shapes: ``(..., input_dim)`` -> ``(..., units)``.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = quantization_config
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense {self.name!r}: `units` must be a positive integer, received {units!r}.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def _check_input_spec(self, shape):
        check_rank(self, shape, min_rank=1)
        if shape[-1] is None:
            raise ValueError(f"Dense {self.name!r} needs a known last input dimension, received shape {shape}.")

    def build(self, input_shape):
        mode = self.quantization_mode
        if mode is not None:  # float8 adds its state first, then the float kernel, in Keras's order
            self._quantized_build((input_shape[-1], self.units), mode, self.quantization_config)
        if mode in (None, "float8"):
            self.kernel = self.add_weight((input_shape[-1], self.units), self.kernel_initializer, name="kernel",
                                          regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank)

    @property
    def kernel(self):
        """The kernel the layer computes with: its variable (unpacked under int4), plus the LoRA update when LoRA
        is enabled."""
        return self._with_lora(self._unpacked_kernel())

    @kernel.setter
    def kernel(self, value):
        self._kernel = value

    _quantization_modes = ("int8", "int4", "float8")

    def _serialization_spec(self):
        return {None: ["kernel", "bias"], "int8": ["kernel", "bias", "kernel_scale"],
                "int4": ["kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"], "float8": FLOAT8_SPEC}

    def _lora_base_shape(self):
        return (self.__dict__["_kernel"].shape[0], self.units)

    def _quantized_build(self, kernel_shape, mode, config):
        if mode == "float8":
            return self._float8_build()
        if mode not in self._quantization_modes:
            raise NotImplementedError(f"Dense {self.name!r}: quantization mode {mode!r} is not supported by "
                                      f"kerasport; supported: {self._quantization_modes}.")
        input_dim = kernel_shape[0]
        if mode == "int8":
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, AbsMaxQuantizer())
            self._kernel = self.add_weight(kernel_shape, "zeros", dtype="int8", trainable=False, name="kernel")
            self.kernel_scale = self.add_weight((self.units,), "ones", trainable=False, name="kernel_scale")
        else:  # int4: two values a byte along the output axis; one scale per unit, or per block of input rows
            self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, None)
            self._kernel = self.add_weight((input_dim, (self.units + 1) // 2), "zeros", dtype="int8",
                                           trainable=False, name="kernel")
            block_size = self._int4_block_size = block_size_for_layer(self, config)
            grouped = block_size is not None and block_size > 0
            scale_shape = ((input_dim + block_size - 1) // block_size, self.units) if grouped else (self.units,)
            self.kernel_scale = self.add_weight(scale_shape, "ones", trainable=False, name="kernel_scale")
            if grouped:
                self.kernel_zero = self.add_weight(scale_shape, "zeros", dtype="int8", trainable=False,
                                                   name="kernel_zero")
                self.g_idx = self.add_weight((input_dim,), lambda shape, dtype: B.cast(
                    B.floor_divide(B.arange(input_dim), block_size), dtype), dtype="float32", trainable=False,
                    name="g_idx")
        self._is_quantized = True

    def _quantize_weights(self, mode, config):
        if mode == "float8":
            return self._float8_build()
        if mode == "int8":
            quantizer = QuantizationConfig.weight_quantizer_or_default(config, AbsMaxQuantizer(axis=0))
            value, scale = quantizer(self._kernel, to_numpy=True)
            self._replace_base_weight(tuple(self._kernel.shape), mode, config)
            B.assign(self._kernel, value)
            B.assign(self.kernel_scale, B.squeeze(scale, 0))
            return
        block_size = block_size_for_layer(self, config)
        zero = None
        if block_size is None or block_size == -1:
            quantizer = QuantizationConfig.weight_quantizer_or_default(
                config, AbsMaxQuantizer(axis=0, value_range=(-8, 7), output_dtype="int8"))
            value, scale = quantizer(self._kernel, to_numpy=True)
            scale = B.squeeze(scale, 0)
        else:
            value, scale, zero = abs_max_quantize_grouped_with_zero_point(self._kernel, block_size=block_size,
                                                                          to_numpy=True)
        self._replace_base_weight(tuple(self._kernel.shape), mode, config)
        B.assign(self._kernel, pack_int4(value, axis=-1)[0])
        B.assign(self.kernel_scale, scale)
        if zero is not None:
            B.assign(self.kernel_zero, zero)

    def _unpacked_kernel(self):
        return unpack_int4(self._kernel, self.units, axis=-1) if self.quantization_mode == "int4" else self._kernel

    def _dequantized(self):
        unpacked = self._unpacked_kernel()
        if self._int4_grouped():
            return B.cast(dequantize_with_sz_map(unpacked, self.kernel_scale, self.kernel_zero, self.g_idx,
                                                 group_axis=0), self.compute_dtype)
        return B.divide(B.cast(unpacked, self.compute_dtype), self.kernel_scale)

    def _requantized(self, kernel):
        if self._int4_grouped():
            value, scale, zero = abs_max_quantize_grouped_with_zero_point(kernel, block_size=self._int4_block_size,
                                                                          to_numpy=True)
            return pack_int4(value, axis=-1)[0], scale, zero
        value_range = (-8, 7) if self.quantization_mode == "int4" else (-127, 127)
        value, scale = abs_max_quantize(kernel, axis=0, value_range=value_range, to_numpy=True)
        if self.quantization_mode == "int4":
            value = pack_int4(value, axis=-1)[0]
        return value, B.squeeze(scale, 0)

    def _int8_call(self, inputs):
        compute, quantizer = self.compute_dtype, self.inputs_quantizer

        grouped = self._int4_grouped()
        zero, g_idx = (B.convert_to_tensor(self.kernel_zero), B.convert_to_tensor(self.g_idx)) if grouped else (None,
                                                                                                               None)

        def float_kernel(kernel, kernel_scale):
            if grouped:
                return B.cast(dequantize_with_sz_map(kernel, kernel_scale, zero, g_idx, group_axis=0), compute)
            return B.divide(B.cast(kernel, compute), kernel_scale)

        @B.custom_gradient
        def matmul_int8(x, kernel, kernel_scale):
            def grad(upstream):  # the inputs' gradient through the dequantized kernel; the int8 weights get none
                return B.matmul(upstream, B.transpose(float_kernel(kernel, kernel_scale))), None, None

            if grouped:  # int4 with zero points: the float kernel, as Keras computes it
                return B.matmul(x, float_kernel(kernel, kernel_scale)), grad
            if quantizer:
                x, x_scale = quantizer(x, axis=-1)
                y = B.divide(B.cast(B.matmul(B.cast(x, "int32"), B.cast(kernel, "int32")), compute),
                             B.multiply(kernel_scale, x_scale))
            else:
                y = B.divide(B.cast(B.matmul(x, B.cast(kernel, B.dtype(x))), compute), kernel_scale)
            return y, grad

        x = matmul_int8(inputs, B.convert_to_tensor(self._unpacked_kernel()), B.convert_to_tensor(self.kernel_scale))
        if self.lora_enabled:
            lora = B.matmul(B.matmul(inputs, self.lora_kernel_a), self.lora_kernel_b)
            x = B.cast(B.add(x, B.multiply(lora, self.lora_alpha / self.lora_rank)), compute)
        if self.bias is not None:
            x = B.add(x, self.bias)
        return x if self.activation in (None, activations.linear) else self.activation(x)

    def call(self, inputs):
        mode = self.quantization_mode
        if mode == "float8":
            return self._float8_call(inputs, B.matmul)
        if mode is not None:  # int8, or int4 unpacked to int8 values first
            return self._int8_call(inputs)
        try:
            out = B.dense(inputs, self._with_lora(self._kernel) if self.lora_enabled else self._kernel, self.bias)
        except Exception as error:  # the shape is checked only when the kernel refused the input
            if inputs.shape[-1] is not None and inputs.shape[-1] != self.kernel.shape[0]:
                raise ValueError(f"Input 0 of layer {self.name!r} (Dense) is incompatible: expected axis -1 to "
                                 f"have value {self.kernel.shape[0]}, received input of shape "
                                 f"{tuple(inputs.shape)}") from error
            if "float" in B.dtype(inputs):
                raise
            out = B.dense(B.cast(inputs, B.dtype(self.kernel)), self.kernel, self.bias)   # Keras promotes ints
        return out if self.activation in (None, activations.linear) else self.activation(out)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, "kernel_initializer": serialized(self.kernel_initializer),
                "bias_initializer": serialized(self.bias_initializer),
                "kernel_regularizer": serialized(self.kernel_regularizer),
                "bias_regularizer": serialized(self.bias_regularizer),
                "activity_regularizer": serialized(self.activity_regularizer),
                "kernel_constraint": serialized(self.kernel_constraint),
                "bias_constraint": serialized(self.bias_constraint),
                "quantization_config": serialized(self.quantization_config), **self._lora_config()}


class Activation(Layer):
    """Applies an activation function: ``Activation("relu")``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Sets inputs to 0 with probability ``rate`` in training, scaling the rest by ``1/(1-rate)``.

    Args:
        rate: fraction of inputs to drop, in [0, 1).
        noise_shape: shape of the binary mask (``None`` dims follow the input).
        seed: seed for the layer's own random stream.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout {self.name!r}: `rate` must be in [0, 1], received {rate}.")
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self._generator = B.make_generator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return B.dropout(inputs, self.rate, self.noise_shape, self._generator)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}


class Flatten(Layer):
    """Flattens every dim but the batch: ``(batch, d1, d2, ...)`` -> ``(batch, d1*d2*...)``."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or backend.image_data_format()

    def call(self, inputs):
        if self.data_format == "channels_first" and B.ndim(inputs) > 2:
            inputs = B.moveaxis(inputs, 1, -1)
        rest = tuple(inputs.shape)[1:]
        if all(d is not None for d in rest):
            return B.reshape(inputs, (-1, math.prod(rest)))
        return B.reshape(inputs, (B.shape(inputs)[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one ``-1`` allowed)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(f"Reshape {self.name!r}: at most one -1 in target_shape, received {target_shape}.")

    def _resolve(self, input_shape):
        rest = input_shape[1:]
        known = math.prod(d for d in self.target_shape if d != -1)
        if any(d is None for d in rest):
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = math.prod(rest)
        if -1 in self.target_shape:
            if total % known:
                raise ValueError(f"Reshape {self.name!r}: cannot reshape input of shape {tuple(input_shape)} "
                                 f"to {self.target_shape}.")
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if total != known:
            raise ValueError(f"Reshape {self.name!r}: total size of the new shape {self.target_shape} ({known}) "
                             f"must equal the input's {tuple(input_shape[1:])} ({total}).")
        return self.target_shape

    def _check_input_spec(self, shape):
        self._resolve(shape)

    def call(self, inputs):
        if -1 not in self.target_shape:
            return B.reshape(inputs, (-1,) + self.target_shape)
        return B.reshape(inputs, (B.shape(inputs)[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(input_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Embedding(Quantizable, Layer):
    """Maps integer indices to dense vectors.

    Args:
        input_dim: vocabulary size (indices in ``[0, input_dim)``).
        output_dim: size of each vector.
        mask_zero: whether index 0 is padding; then a mask flows to later layers.
        lora_rank: when set, the layer enables LoRA with this rank once built (``enable_lora``): the
            embeddings are frozen and a trainable update ``lora_embeddings_a @ lora_embeddings_b`` is added.
        lora_alpha: the update's scale is ``lora_alpha / lora_rank``. As in Keras 3.15, the build enables LoRA
            with ``lora_alpha = lora_rank``; pass ``lora_alpha`` to ``enable_lora`` to use another.
        quantization_config: a ``kerasport.quantizers.QuantizationConfig`` for ``quantize``.

    Shapes: ``(batch, ...)`` ints -> ``(batch, ..., output_dim)``.
    """

    _lora_weight = "embeddings"

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = quantization_config
        if input_dim <= 0 or output_dim <= 0:
            raise ValueError(f"Embedding {self.name!r}: input_dim and output_dim must be positive, "
                             f"received {input_dim} and {output_dim}.")
        self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero
        if embeddings_initializer == "uniform":
            embeddings_initializer = initializers.RandomUniform()
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.supports_masking = mask_zero
        self._initial_weights = weights

    def build(self, input_shape=None):
        if self.quantization_mode is not None:
            self._quantized_build((self.input_dim, self.output_dim), self.quantization_mode,
                                  self.quantization_config)
        else:
            self.embeddings = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                                              name="embeddings", regularizer=self.embeddings_regularizer,
                                              constraint=self.embeddings_constraint)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)

    @property
    def embeddings(self):
        """The embedding matrix the layer computes with: its variable (unpacked under int4), plus the LoRA
        update when enabled."""
        return self._with_lora(self._unpacked_embeddings(self._embeddings))

    @embeddings.setter
    def embeddings(self, value):
        self._embeddings = value

    _quantization_modes = ("int8", "int4")

    def _serialization_spec(self):
        return {None: ["embeddings"], "int8": ["embeddings", "embeddings_scale"],
                "int4": ["embeddings", "embeddings_scale", "embeddings_zero", "g_idx"]}

    def _lora_base_shape(self):
        return (self.input_dim, self.output_dim)

    def _quantized_build(self, embeddings_shape, mode, config):
        if mode not in self._quantization_modes:
            raise NotImplementedError(f"{type(self).__name__} {self.name!r}: quantization mode {mode!r} is not "
                                      f"supported by kerasport; supported: {self._quantization_modes}.")
        columns = self.output_dim if mode == "int8" else (self.output_dim + 1) // 2  # int4: two values a byte
        self._embeddings = self.add_weight((self.input_dim, columns), "zeros", dtype="int8", trainable=False,
                                           name="embeddings")
        # One scale per row (vocabulary entry), as in Keras: input_dim is usually the larger dimension.
        scale_shape = (self.input_dim,)
        block_size = self._int4_block_size = block_size_for_layer(self, config) if mode == "int4" else None
        if block_size is not None and block_size > 0:  # int4 groups of `block_size` columns with zero points
            scale_shape = (self.input_dim, (self.output_dim + block_size - 1) // block_size)
        self.embeddings_scale = self.add_weight(scale_shape, "ones", trainable=False, name="embeddings_scale")
        if len(scale_shape) == 2:
            self.embeddings_zero = self.add_weight(scale_shape, "zeros", dtype="int8", trainable=False,
                                                   name="embeddings_zero")
            self.g_idx = self.add_weight((self.output_dim,), lambda shape, dtype: B.cast(
                B.floor_divide(B.arange(self.output_dim), block_size), dtype), dtype="float32", trainable=False,
                name="g_idx")
        self._is_quantized = True

    def _quantize_weights(self, mode, config):
        block_size = block_size_for_layer(self, config) if mode == "int4" else None
        zero = None
        if block_size is not None and block_size > 0:
            value, scale, zero = (B.transpose(t) for t in abs_max_quantize_grouped_with_zero_point(
                B.transpose(self._embeddings), block_size=block_size, to_numpy=True))
        else:
            default = AbsMaxQuantizer(axis=-1) if mode == "int8" else AbsMaxQuantizer(axis=-1, value_range=(-8, 7))
            value, scale = QuantizationConfig.weight_quantizer_or_default(config, default)(self._embeddings,
                                                                                            to_numpy=True)
            scale = B.squeeze(scale, -1)
        self._replace_base_weight((self.input_dim, self.output_dim), mode, config)
        B.assign(self._embeddings, pack_int4(value, axis=-1)[0] if mode == "int4" else value)
        B.assign(self.embeddings_scale, scale)
        if zero is not None:
            B.assign(self.embeddings_zero, zero)

    def _unpacked_embeddings(self, table):
        return unpack_int4(table, self.output_dim, axis=-1) if self.quantization_mode == "int4" else table

    def _dequantized(self):
        unpacked = B.cast(self._unpacked_embeddings(self._embeddings), self.compute_dtype)
        if self._int4_grouped():
            return dequantize_with_sz_map(unpacked, self.embeddings_scale, self.embeddings_zero, self.g_idx,
                                          group_axis=-1)
        return B.divide(unpacked, B.expand_dims(self.embeddings_scale, -1))

    def _requantized(self, embeddings):
        if self._int4_grouped():
            value, scale, zero = (B.transpose(t) for t in abs_max_quantize_grouped_with_zero_point(
                B.transpose(embeddings), block_size=self._int4_block_size, to_numpy=True))
            return pack_int4(value, axis=-1)[0], scale, zero
        int4 = self.quantization_mode == "int4"
        value, scale = abs_max_quantize(embeddings, axis=-1, value_range=(-8, 7) if int4 else (-127, 127),
                                        to_numpy=True)
        return (pack_int4(value, axis=-1)[0] if int4 else value), B.squeeze(scale, -1)

    def _int8_call(self, inputs):
        """The int8 / int4 lookup: the quantized rows, dequantized with their own scales."""
        if B.dtype(inputs) not in ("int32", "int64"):
            inputs = B.cast(inputs, "int32")
        rows = B.cast(B.take(self._unpacked_embeddings(self._embeddings), inputs, axis=0), self.compute_dtype)
        scale = B.take(self.embeddings_scale, inputs, axis=0)
        if self._int4_grouped():
            outputs = dequantize_with_sz_map(rows, scale, B.take(self.embeddings_zero, inputs, axis=0), self.g_idx,
                                             group_axis=-1)
        else:
            outputs = B.divide(rows, B.expand_dims(scale, -1))
        if self.lora_enabled:
            lora = B.matmul(B.take(self.lora_embeddings_a, inputs, axis=0), self.lora_embeddings_b)
            outputs = B.cast(B.add(outputs, B.multiply(lora, self.lora_alpha / self.lora_rank)), self.compute_dtype)
        return outputs

    def call(self, inputs):
        if self.quantization_mode in ("int8", "int4"):
            return self._int8_call(inputs)
        return B.embedding(inputs, self.embeddings)

    def compute_mask(self, inputs, mask=None):
        return B.not_equal(inputs, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": serialized(self.embeddings_initializer),
                "embeddings_regularizer": serialized(self.embeddings_regularizer),
                "activity_regularizer": serialized(self.activity_regularizer),
                "embeddings_constraint": serialized(self.embeddings_constraint), "mask_zero": self.mask_zero,
                "quantization_config": serialized(self.quantization_config), **self._lora_config()}


class Identity(Layer):
    """Returns its input unchanged (and passes masks through)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
