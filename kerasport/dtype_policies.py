"""``kerasport.dtype_policies``: ``DTypePolicy`` objects, by name or config (plain float policies only)."""
from kerasport.config import DTypePolicy

FloatDTypePolicy = DTypePolicy


def get(identifier):
    """A ``DTypePolicy`` from a name (``"float32"``), a config dict or a policy."""
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Cannot interpret dtype policy identifier: {identifier!r}")


def serialize(policy):
    """Keras 3's serialized form: ``{"module": "keras", "class_name": "DTypePolicy", "config": {...}}``."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(), "registered_name": None}


def deserialize(config):
    """The policy a serialized dict (or a bare ``{"name": ...}`` config) describes."""
    return DTypePolicy.from_config(config.get("config", config))
