"""Keras 3's quantization configs: which mode ``quantize`` uses and with which weight / activation quantizers."""
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
SUPPORTED_MODES = ("int8", "int4", "float8")


def _serialize(obj):
    from kerasport.quantizers import serialize
    return serialize(obj) if obj is not None else None


def _deserialize(config):
    from kerasport.quantizers import deserialize
    return deserialize(config) if config is not None else None


class QuantizationConfig:
    """Base class of quantization configs; subclasses name their ``mode``.

    Args:
        weight_quantizer: the quantizer of the weights (the mode's default when None).
        activation_quantizer: the quantizer of the inputs (None: weight-only quantization).
    """

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        """The quantization mode (``"int8"``, ``"int4"``, ``"float8"``)."""
        raise NotImplementedError("Subclasses must implement this property. Do not instantiate QuantizationConfig "
                                  "directly.")

    def get_config(self):
        return {"weight_quantizer": _serialize(self.weight_quantizer),
                "activation_quantizer": _serialize(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=_deserialize(config.get("weight_quantizer")),
                   activation_quantizer=_deserialize(config.get("activation_quantizer")))

    @staticmethod
    def weight_quantizer_or_default(config, default):
        """``config``'s weight quantizer, or ``default`` when it has none."""
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        """``config``'s activation quantizer (None too), or ``default`` without a config."""
        return config.activation_quantizer if config is not None else default


class Int8QuantizationConfig(QuantizationConfig):
    """int8 quantization: int8 weights (per output channel) and, by default, int8 inputs (per row).

    Args:
        weight_quantizer: an ``AbsMaxQuantizer`` with ``output_dtype="int8"`` (Keras's default when None).
        activation_quantizer: ``"default"`` (an ``AbsMaxQuantizer()``), a quantizer, or None (weight-only).
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        from kerasport.quantizers.quantizers import AbsMaxQuantizer
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if self.weight_quantizer is not None and self.weight_quantizer.output_dtype != "int8":
            raise ValueError("Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                             f"Received: output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """int4 quantization: weights in ``[-8, 7]`` packed two to a byte; inputs stay float by default.

    Args:
        weight_quantizer: an ``AbsMaxQuantizer(value_range=(-8, 7), output_dtype="int8")`` (per-channel only).
        activation_quantizer: ``"default"`` (None: weight-only), or a quantizer.
        block_size: rows per group of the sub-channel (asymmetric, with zero points) quantization; None or -1
            for one scale per output channel.
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(f"block_size must be None, -1, or a positive integer. Received: block_size={block_size}")
        self.block_size = block_size
        if block_size is not None and block_size > 0 and (self.weight_quantizer is not None
                                                          or self.activation_quantizer is not None):
            raise ValueError("Int4 sub-channel quantization (block_size > 0) does not support custom quantizers. "
                             "Either set block_size to None or -1 for per-channel quantization, or remove the "
                             f"custom quantizer arguments. Received: block_size={block_size}")
        if self.weight_quantizer is not None:
            if tuple(self.weight_quantizer.value_range) != (-8, 7):
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with value_range=(-8, 7). "
                                 f"Received: value_range={self.weight_quantizer.value_range}")
            if self.weight_quantizer.output_dtype != "int8":
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                                 f"Received: output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=_deserialize(config.get("weight_quantizer")),
                   activation_quantizer=_deserialize(config.get("activation_quantizer")),
                   block_size=config.get("block_size", None))


class Float8QuantizationConfig(QuantizationConfig):
    """float8 training (e4m3 forward, e5m2 gradients, delayed scaling); it takes no quantizers."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


class _CalibrationConfig(QuantizationConfig):
    """A calibration-based mode kerasport does not implement: constructing its config raises."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}: {self._method} quantization (calibration-based) is not "
                                  "supported by kerasport; the supported modes are 'int8', 'int4' and 'float8'.")


class GPTQConfig(_CalibrationConfig):
    """GPTQ quantization: not supported by kerasport (raises ``NotImplementedError``)."""

    _method = "GPTQ"


class AWQConfig(_CalibrationConfig):
    """AWQ quantization: not supported by kerasport (raises ``NotImplementedError``)."""

    _method = "AWQ"


def validate_and_resolve_config(mode, config):
    """The ``QuantizationConfig`` that ``quantize(mode, config=config)`` uses, with Keras's errors.

    ``config`` may be None (the mode's default config), a mode name, or a config whose mode agrees with
    ``mode``.
    """
    if isinstance(config, str):
        mode, config = config, None
    _validate_mode(mode)
    if mode in ("gptq", "awq"):
        raise NotImplementedError(f"{mode.upper()} quantization (calibration-based) is not supported by kerasport; "
                                  f"the supported modes are {SUPPORTED_MODES}.")
    if config is None:
        if mode is None:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
        config = {"int8": Int8QuantizationConfig, "int4": Int4QuantizationConfig,
                  "float8": Float8QuantizationConfig}[mode]()
    elif not isinstance(config, QuantizationConfig):
        raise ValueError("Argument `config` must be an instance of `QuantizationConfig`. "
                         f"Received: config={config} (of type {type(config)})")
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    return config


def _validate_mode(mode):
    if mode is not None:
        check_quantization_mode(mode)


def check_quantization_mode(mode, compute_dtype=None, hint=""):
    """Keras's checks of a quantization mode, shared by ``quantize`` and ``QuantizedDTypePolicy``.

    Args:
        mode: the mode to check; one of ``QUANTIZATION_MODES``.
        compute_dtype: the compute dtype the mode is used with; ``"int8"`` refuses ``"float16"``.
        hint: appended to the float16 error (``quantize`` suggests another policy).

    Raises:
        ValueError: an unknown mode, or int8 with a float16 compute dtype.
    """
    if mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")
    if mode == "int8" and compute_dtype == "float16":
        raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'.{hint}")


def block_size_for_layer(layer, config):
    """The int4 block size of ``layer``: its ``Int4QuantizationConfig``'s, else its ``Int4DTypePolicy``'s
    (``-1`` as None), else None (one scale per output channel)."""
    if isinstance(config, Int4QuantizationConfig):
        return config.block_size
    from kerasport.dtype_policies import for_path  # (dtype_policies imports this module)
    block_size = getattr(for_path(layer.dtype_policy, layer.path), "block_size", None)
    return None if block_size == -1 else block_size
