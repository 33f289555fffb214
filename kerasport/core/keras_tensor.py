"""``KerasTensor``: the symbolic tensor of Functional models (a shape, a dtype, and the layer that made it)."""


class KerasTensor:
    """A symbolic tensor: a shape (``None`` for unknown dims), a dtype, and where it came from."""

    def __init__(self, shape, dtype="float32", sparse=False, name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.sparse = sparse
        self.name = name
        self._keras_history = history  # (layer, node_index, tensor_index)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __len__(self):
        raise TypeError("A symbolic KerasTensor has no length; use .shape.")

    def __iter__(self):
        raise TypeError("A symbolic KerasTensor cannot be iterated over.")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value.")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"KerasTensor has no attribute {name!r}: it is a symbolic placeholder in a "
                             "Functional model. Wrap backend ops in a Layer (or a Lambda layer).")


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic ``KerasTensor`` (from ``kerasport.Input`` or a layer called on one)."""
    return isinstance(x, KerasTensor)
