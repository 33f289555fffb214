"""``LayerBase``: the class every kerasport layer derives from on torch (``kerasport.layers.Layer(B.LayerBase)``)."""


class LayerBase:
    """The framework's side of a layer: a plain base on torch, with ``torch.nn.Module``'s ``parameters()``."""

    __slots__ = ()

    def parameters(self, recurse=True):
        """``torch.nn.Module.parameters()``, as Keras's layers are torch modules on its torch backend.

        Yields the layer's variables (native ``torch.nn.Parameter``; the non-trainable ones do not require
        gradients), so that a native optimizer such as ``torch.optim.Adam(model.parameters())`` trains the
        model. With ``recurse=False``, only the variables the layer itself created. TensorFlow's layers have
        no such method (``AttributeError``), as in Keras.
        """
        return iter(self.weights if recurse else self._weights_list)
