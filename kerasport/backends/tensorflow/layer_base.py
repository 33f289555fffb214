"""``LayerBase``: the class every kerasport layer derives from on TensorFlow (``kerasport.layers.Layer(B.LayerBase)``)."""


class LayerBase:
    """The framework's side of a layer: a plain base on TensorFlow."""

    __slots__ = ()
