"""``kerasport.dtype_policies``: ``DTypePolicy`` objects, by name or config (plain, mixed and quantized policies),
and ``DTypePolicyMap``, the policies of a model's layers by path."""
import re
from collections.abc import MutableMapping

from kerasport.config import DTypePolicy, dtype_policy, policy_property
from kerasport.core.dtypes import standardize_dtype
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

    compute_dtype = policy_property("_source", "compute_dtype")
    variable_dtype = policy_property("_source", "variable_dtype")
    is_mixed = policy_property("_source", "is_mixed")

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


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """Dict-like object mapping layer paths to ``DTypePolicy`` instances.

    A layer given ``dtype=DTypePolicyMap(...)`` takes, once built, the policy its ``layer.path`` maps to (the
    default policy before that, or where no key matches); ``layer.get_config()`` then writes the whole map.
    Keys are paths or regular expressions: a query first tries an exact key, then every key as a pattern
    (``re.fullmatch``); two matching patterns raise ``ValueError``.

    Args:
        default_policy: the policy of paths that no key matches; ``keras.config.dtype_policy()`` by default.
        policy_map: an optional dict of path (or pattern) to policy.

    Example:

    >>> policy_map = keras.dtype_policies.DTypePolicyMap(default_policy="float32")
    >>> policy_map["encoder/layer_0/dense"] = "bfloat16"
    >>> policy_map["encoder/.*"] = "float16"
    >>> policy_map["encoder/layer_0/dense"].name, policy_map["encoder/attention/query"].name
    ('bfloat16', 'float16')
    >>> policy_map["decoder/attention"].name
    'float32'
    """

    def __init__(self, default_policy=None, policy_map=None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(f"If specified, `policy_map` must be a dict. Received: policy_map={policy_map} of type "
                            f"{type(policy_map)}")
        self._default_policy_arg = default_policy
        self._default_policy = dtype_policy() if default_policy is None else get(default_policy)
        self._policy_map = {k: get(v) for k, v in (policy_map or {}).items()}

    @property
    def name(self):
        return f"map_{self.default_policy.name}"

    @property
    def default_policy(self):
        """The policy of unmatched paths: ``default_policy``, else the global policy when the map was made."""
        return self._default_policy

    variable_dtype = policy_property("default_policy", "variable_dtype")
    compute_dtype = policy_property("default_policy", "compute_dtype")
    is_mixed = policy_property("default_policy", "is_mixed")
    quantization_mode = policy_property("default_policy", "quantization_mode")

    def __getitem__(self, key):
        """The policy of ``key``: its exact entry, else the one pattern that ``re.fullmatch``es it, else the
        default policy."""
        if key in self._policy_map:
            return self._policy_map[key]
        matching = [pattern for pattern in self._policy_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(f"Path '{key}' matches multiple dtype policy specification keys: {matching}. Please "
                             "make sure each path only matches at most one dtype policy specification key in the "
                             "DTypePolicyMap.")
        return self._policy_map[matching[0]] if matching else self.default_policy

    def __setitem__(self, key, policy):
        if key in self._policy_map:
            raise ValueError(f"{key} already exist in the DTypePolicyMap with value {self._policy_map[key]}. "
                             "Please make sure to not use duplicated keys.")
        try:
            policy = get(policy)
        except Exception:
            raise ValueError("Cannot interpret the assigned value by `keras.dtype_policies.get`. Received: "
                             f"{policy} of type {type(policy)}") from None
        self._policy_map[key] = policy

    def __delitem__(self, key):
        return self._policy_map.pop(key)

    def __contains__(self, key):
        return key in self._policy_map

    def __len__(self):
        return len(self._policy_map)

    def __iter__(self):
        return iter(self._policy_map)

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self):
        default = self._default_policy.name if self._default_policy is not None else None
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return f"<DTypePolicyMap at {hex(id(self))} default_policy={default}, mapping={mapping}>"

    def get_config(self):
        """Keras's config. Without a ``default_policy`` the float policies are written with ``"name": None``
        (quantized ones without their source), as Keras writes them: they read back as the global policy."""
        policy_map = {}
        for key, policy in self._policy_map.items():
            entry = serialize(policy)
            if self._default_policy_arg is None:
                inner = dict(entry["config"])
                inner.update({"source_name": None} if isinstance(policy, QuantizedDTypePolicy) else {"name": None})
                entry = {**entry, "config": inner}
            policy_map[key] = entry
        default = self._default_policy_arg
        return {"default_policy": default if default is None or isinstance(default, str) else serialize(default),
                "policy_map": policy_map}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        # (Keras writes the entries given to its constructor as they were given: names, not configs)
        config["policy_map"] = {k: get(v) for k, v in (config.get("policy_map") or {}).items()}
        if isinstance(config.get("default_policy"), dict):
            config["default_policy"] = deserialize(config["default_policy"])
        return cls(**config)


def for_path(policy, path):
    """The policy of the layer at ``path``: ``policy`` itself, or for a ``DTypePolicyMap``, its entry for ``path``
    (its default policy while ``path`` is None)."""
    return policy[path] if isinstance(policy, DTypePolicyMap) and path else policy


ALL_OBJECTS_DICT = {cls.__name__: cls for cls in (DTypePolicy, QuantizedDTypePolicy, QuantizedFloat8DTypePolicy,
                                                  Int4DTypePolicy, DTypePolicyMap)}
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
    dict, a policy, or a dtype object (``np.float32``, ``tf.float32``, ``torch.float32``), as Keras."""
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, str):
        return _quantized_by_name(identifier) if identifier.startswith(QUANTIZATION_MODES) else \
            DTypePolicy(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    try:
        return DTypePolicy(standardize_dtype(identifier))
    except ValueError:
        raise ValueError(f"Cannot interpret dtype policy identifier: {identifier!r}") from None


def serialize(policy):
    """Keras 3's serialized form: ``{"module": "keras", "class_name": "DTypePolicy", "config": {...}}``
    (``"keras.dtype_policies"`` and the class's name for a quantized policy)."""
    if isinstance(policy, (QuantizedDTypePolicy, DTypePolicyMap)):
        return {"module": "keras.dtype_policies", "class_name": type(policy).__name__,
                "config": policy.get_config(), "registered_name": None}
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(), "registered_name": None}


def deserialize(config):
    """The policy a serialized dict (Keras 3's, Keras 2's ``Policy``, or a bare ``{"name": ...}``) describes."""
    cls = ALL_OBJECTS_DICT.get(config.get("class_name"))
    if cls is DTypePolicyMap:
        return DTypePolicyMap.from_config(config["config"])
    if cls is not None and issubclass(cls, QuantizedDTypePolicy):
        inner = config.get("config", {})
        if str(inner.get("mode", "")).startswith(("gptq", "awq")):
            return _quantized_by_name(f"{inner['mode']}_from_{inner.get('source_name')}")
        return cls(**inner)
    return DTypePolicy(config.get("config", config)["name"])
