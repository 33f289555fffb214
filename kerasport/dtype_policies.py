"""``kerasport.dtype_policies``: ``DTypePolicy`` objects, by name or config (plain, mixed and quantized policies)."""
from kerasport.config import DTypePolicy, dtype_policy
from kerasport.quantizers.quantization_config import QUANTIZATION_MODES, check_quantization_mode

FloatDTypePolicy = DTypePolicy


class QuantizedDTypePolicy(DTypePolicy):
    """The policy of a quantized layer: ``"<mode>_from_<source>"`` (``"int8_from_float32"``).

    The layer computes in the source policy's compute dtype and keeps its float variables in its variable
    dtype; its quantized weights have the mode's dtype.

    Args:
        mode: the quantization mode (``"int8"``, ``"int4"``, ``"float8"``).
        source_name: the float policy it was quantized from; the global policy by default.
    """

    def __init__(self, mode, source_name=None):
        source_name = dtype_policy().name if source_name is None else source_name
        self._source = DTypePolicy(source_name)
        check_quantization_mode(mode, self._source.compute_dtype)
        self._name = f"{mode}_from_{source_name}"
        self._source_name = source_name
        self._quantization_mode = mode

    @property
    def compute_dtype(self):
        return self._source.compute_dtype

    @property
    def variable_dtype(self):
        return self._source.variable_dtype

    @property
    def is_mixed(self):
        return self._source.is_mixed

    @property
    def quantization_mode(self):
        return self._quantization_mode

    def __repr__(self):
        return f'<{type(self).__name__} "{self._name}">'

    def get_config(self):
        return {"mode": self._quantization_mode, "source_name": self._source_name}


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """The policy of a float8-trained layer (``"float8_from_float32"``).

    Args:
        mode: ``"float8"``.
        source_name: the float policy it was quantized from.
        amax_history_length: the length of the layer's amax histories (1024).
    """

    default_amax_history_length = 1024

    def __init__(self, mode, source_name=None, amax_history_length=1024):
        super().__init__(mode=mode, source_name=source_name)
        if not isinstance(amax_history_length, int):
            raise TypeError(f"`amax_history_length` must be an integer. Received: "
                            f"amax_history_length={amax_history_length}")
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self):
        """The length of the amax history window of float8 training."""
        return self._amax_history_length

    def get_config(self):
        return {**super().get_config(), "amax_history_length": self._amax_history_length}


class Int4DTypePolicy(QuantizedDTypePolicy):
    """The policy of an int4 layer with its block size: ``"int4/<block_size>_from_<source>"`` (``-1``: one
    scale per output channel).

    Args:
        mode: ``"int4/<block_size>"``.
        source_name: the float policy it was quantized from.
    """

    def __init__(self, mode, source_name=None):
        parts = mode.split("/")
        if len(parts) != 2 or parts[0] != "int4":
            raise ValueError(f"Invalid mode for Int4DTypePolicy. Expected format 'int4/<block_size>', but got "
                             f"'{mode}'.")
        try:
            block_size = int(parts[1])
        except ValueError:
            raise ValueError("Invalid mode for Int4DTypePolicy. <block_size> must be an integer. Expected format "
                             f"'int4/<block_size>', but got '{mode}'.") from None
        if block_size < -1 or block_size == 0:
            raise ValueError("Invalid block_size in mode. Supported values are -1 (per-channel) or a positive "
                             f"integer (sub-channel), but got {block_size} from '{mode}'.")
        super().__init__(mode="int4", source_name=source_name)
        self._name = f"{mode}_from_{self._source_name}"
        self.mode = "int4"
        self.block_size = block_size

    def get_config(self):
        return {**super().get_config(), "mode": f"int4/{self.block_size}"}


ALL_OBJECTS_DICT = {cls.__name__: cls for cls in (DTypePolicy, QuantizedDTypePolicy, QuantizedFloat8DTypePolicy,
                                                  Int4DTypePolicy)}
ALL_OBJECTS_DICT["FloatDTypePolicy"] = DTypePolicy


def _quantized_by_name(name):
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError("Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
                         f"`QuantizedDTypePolicy`. Received: policy={name}")
    mode, source_name = parts
    if mode.startswith(("gptq", "awq")):
        raise NotImplementedError(f"The {mode.split('/')[0].upper()} dtype policy {name!r} (calibration-based "
                                  "quantization) is not supported by kerasport.")
    if mode.startswith("float8"):
        return QuantizedFloat8DTypePolicy(mode, source_name)
    if mode.startswith("int4") and "/" in mode:
        return Int4DTypePolicy(mode, source_name)
    return QuantizedDTypePolicy(mode, source_name)


def get(identifier):
    """A ``DTypePolicy`` from a name (``"float32"``, ``"mixed_float16"``, ``"int8_from_float32"``), a config
    dict or a policy."""
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, str):
        return _quantized_by_name(identifier) if identifier.startswith(QUANTIZATION_MODES) else \
            DTypePolicy(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Cannot interpret dtype policy identifier: {identifier!r}")


def serialize(policy):
    """Keras 3's serialized form: ``{"module": "keras", "class_name": "DTypePolicy", "config": {...}}``
    (``"keras.dtype_policies"`` and the class's name for a quantized policy)."""
    if isinstance(policy, QuantizedDTypePolicy):
        return {"module": "keras.dtype_policies", "class_name": type(policy).__name__,
                "config": policy.get_config(), "registered_name": None}
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(), "registered_name": None}


def deserialize(config):
    """The policy a serialized dict (Keras 3's, Keras 2's ``Policy``, or a bare ``{"name": ...}``) describes."""
    cls = ALL_OBJECTS_DICT.get(config.get("class_name"))
    if cls is not None and issubclass(cls, QuantizedDTypePolicy):
        inner = config.get("config", {})
        if str(inner.get("mode", "")).startswith(("gptq", "awq")):
            return _quantized_by_name(f"{inner['mode']}_from_{inner.get('source_name')}")
        return cls(**inner)
    return DTypePolicy(config.get("config", config)["name"])
