"""``Masking``: marks the padded timesteps of a sequence, so later mask-aware layers skip them."""
from kerasport.backends import B
from kerasport.core.serialization import deserialize_keras_object
from kerasport.layers.layer import Layer
from kerasport.layers.preprocessing import serialize_value


class Masking(Layer):
    """Masks the timesteps whose features all equal ``mask_value``.

    For inputs ``(batch, steps, features)`` the mask is ``any(inputs != mask_value, axis=-1)``;
    masked steps are set to 0 and later mask-aware layers (RNNs, pooling, losses) skip them.

    Args:
        mask_value: the padding value (``0.0``).
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and mask_value.get("config"):
            mask_value = deserialize_keras_object(mask_value)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return B.any(B.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = B.any(B.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return B.where(keep, inputs, 0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": serialize_value(self.mask_value)}
