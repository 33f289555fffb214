"""``RMSNormalization``: scales inputs by their root mean square over the given axes, with Keras 3's weights."""
from kerasport.backends import B
from kerasport.layers.layer import Layer
from kerasport.layers.normalization import check_axes


class RMSNormalization(Layer):
    """Root mean square normalization (Zhang & Sennrich, 2019): ``x * rsqrt(mean(x^2) + epsilon) * scale``.

    Args:
        axis: the axis (or list of axes) normalized over; ``-1`` by default.
        epsilon: added to the mean square (``1e-6``).

    Weights: ``scale``, shaped like the normalized axes, initialized to ones.
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, list, tuple)):
            raise TypeError(f"RMSNormalization {self.name!r}: `axis` must be an int or a list of ints, "
                            f"received {axis!r}.")
        self.axis, self.epsilon = axis, epsilon

    def build(self, input_shape):
        axes = sorted(self.axis) if isinstance(self.axis, (list, tuple)) else [self.axis]
        check_axes(self, input_shape, axes)
        self.axis = axes
        self._ndim = len(input_shape)
        self.scale = self.add_weight(tuple(input_shape[a] for a in axes), "ones", name="scale")
        self.built = True

    def call(self, inputs):
        axes = [a % self._ndim for a in self.axis]
        rrms = B.rsqrt(B.mean(B.square(inputs), axis=tuple(axes), keepdims=True) + self.epsilon)
        shape = [inputs.shape[a] if a in axes else 1 for a in range(self._ndim)]
        return inputs * rrms * B.reshape(self.scale, shape)

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        check_axes(self, input_shape, axes, known=False)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
