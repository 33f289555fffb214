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

    def __int__(self):
        raise ValueError("A KerasTensor is symbolic: it's a placeholder for a shape and a dtype. It doesn't have any "
                         "actual numerical value. You cannot convert it to an int.")

    def __float__(self):
        raise ValueError("A KerasTensor is symbolic: it's a placeholder for a shape and a dtype. It doesn't have any "
                         "actual numerical value. You cannot convert it to a float.")

    def __array__(self, dtype=None, copy=None):
        raise ValueError("A KerasTensor is symbolic: it's a placeholder for a shape and a dtype. It doesn't have any "
                         "actual numerical value. You cannot convert it to a NumPy array.")

    def __tf_tensor__(self, dtype=None, name=None):
        """TensorFlow's conversion protocol: a symbolic tensor is refused with Keras's message."""
        raise ValueError("A KerasTensor cannot be used as input to a TensorFlow function. A KerasTensor is a symbolic "
                         "placeholder for a shape and dtype, used when constructing Keras Functional models or Keras "
                         "Functions. You can only use it as input to a Keras layer or a Keras operation (from the "
                         "namespaces `keras.layers` and `keras.ops`). You are likely doing something like:\n\n"
                         "```\nx = Input(...)\n...\ntf_fn(x)  # Invalid.\n```\n\nWhat you should do instead is "
                         "wrap `tf_fn` in a layer:\n\n```\nclass MyLayer(Layer):\n    def call(self, x):\n        "
                         "return tf_fn(x)\n\nx = MyLayer()(x)\n```\n")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"KerasTensor has no attribute {name!r}: it is a symbolic placeholder in a "
                             "Functional model. Wrap backend ops in a Layer (or a Lambda layer).")


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic ``KerasTensor`` (from ``kerasport.Input`` or a layer called on one)."""
    return isinstance(x, KerasTensor)
