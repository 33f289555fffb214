"""``kerasport.dtype_policies``: ``DTypePolicy`` objects, by name or config (plain and mixed policies)."""
from kerasport.config import DTypePolicy

FloatDTypePolicy = DTypePolicy


def get(identifier):
    """A ``DTypePolicy`` from a name (``"float32"``, ``"mixed_float16"``), a config dict or a policy."""
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
    """The policy a serialized dict (Keras 3's, Keras 2's ``Policy``, or a bare ``{"name": ...}``) describes."""
    return DTypePolicy(config.get("config", config)["name"])
