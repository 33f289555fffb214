"""``SpectralNormalization``: a ``Wrapper`` dividing its layer's kernel by its spectral norm (power iteration),
with Keras 3's weights and formulas."""
from kerasport import initializers
from kerasport.backends import B
from kerasport.layers.wrapper import Wrapper

_EPSILON = 1e-7  # Keras's backend.epsilon(), the floor of the power iteration's norms.


def _l2_normalize(x):
    """``x / ||x||`` over all elements, the norm floored at Keras's epsilon."""
    return x * B.minimum(B.rsqrt(B.sum(B.square(x))), 1.0 / _EPSILON)


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's kernel by its spectral norm (Miyato et al., 2018) when training.

    In training, ``power_iterations`` steps of the power method (from the stored ``vector_u``)
    estimate the largest singular value ``sigma`` of the kernel reshaped to
    ``(-1, kernel.shape[-1])``; ``vector_u`` and the kernel (``kernel / sigma``) are then written
    back in place, as in Keras, and the layer runs on the new kernel. In inference the layer runs
    on the kernel as it is.

    Args:
        layer: a layer with a ``kernel`` (``Dense``, ``Conv2D``, ...) or ``embeddings`` attribute.
        power_iterations: power-method steps per training call (``1``).

    Weights: the wrapped layer's, then ``vector_u (1, kernel.shape[-1])`` (non-trainable).
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if not isinstance(power_iterations, int) or power_iterations <= 0:
            raise ValueError("SpectralNormalization: `power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        if hasattr(self.layer, "kernel"):
            self.kernel = self.layer.kernel
        elif hasattr(self.layer, "embeddings"):
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(f"SpectralNormalization {self.name!r}: {type(self.layer).__name__} object has no "
                             "attribute 'kernel' nor 'embeddings'")
        self.kernel_shape = tuple(self.kernel.shape)  # the kernel, set as an attribute, is also this layer's own
        # weight, as in Keras, hence Keras's weight order: kernel, vector_u, bias.
        self.vector_u = self.add_weight((1, self.kernel_shape[-1]), initializers.TruncatedNormal(stddev=0.02),
                                        trainable=False, name="vector_u")
        self.built = True

    def normalized_weights(self):
        """``(new vector_u, kernel / sigma)`` after ``power_iterations`` power-method steps."""
        weights = B.reshape(self.kernel, (-1, self.kernel_shape[-1]))
        u = B.convert_to_tensor(self.vector_u)
        for _ in range(self.power_iterations):
            v = _l2_normalize(B.matmul(u, B.transpose(weights)))
            u = _l2_normalize(B.matmul(v, weights))
        sigma = B.matmul(B.matmul(v, weights), B.transpose(u))
        return u, B.reshape(B.divide(weights, sigma), self.kernel_shape)

    def call(self, inputs, training=False):
        if training:
            with B.no_grad():
                kernel = B.convert_to_tensor(self.kernel)
                u, new_kernel = B.cond(B.all(B.equal(kernel, 0)), lambda: (B.convert_to_tensor(self.vector_u), kernel),
                                       self.normalized_weights)
                B.assign(self.vector_u, u)
                B.assign(self.kernel, new_kernel)
        return B.cast(self.layer(inputs), B.dtype(inputs))

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
