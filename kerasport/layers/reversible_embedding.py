"""ReversibleEmbedding: an Embedding that can also project hidden states back onto the vocabulary."""
from kerasport.backends import B
from kerasport.core.masks import set_mask
from kerasport.layers.core import Embedding
from kerasport.layers.layer import KerasTensor
from kerasport.quantizers import AbsMaxQuantizer, QuantizationConfig


class ReversibleEmbedding(Embedding):
    """An embedding layer which can project backwards to the input dim.

    Called as usual it is an ``Embedding``. Called with ``reverse=True`` it projects its
    input ``(..., output_dim)`` linearly onto ``(..., input_dim)`` logits, with the transposed
    ``embeddings`` (``tie_weights=True``) or a separate trainable ``reverse_embeddings`` matrix
    of shape ``(output_dim, input_dim)``. There is no bias.

    Args:
        input_dim: size of the vocabulary (maximum integer index + 1).
        output_dim: dimension of the dense embedding.
        tie_weights: whether the reverse projection uses the transposed ``embeddings``
            (default) or its own ``reverse_embeddings`` weight.
        embeddings_initializer: initializer for ``embeddings`` (and ``reverse_embeddings``).
        embeddings_regularizer: regularizer applied to ``embeddings``.
        embeddings_constraint: constraint applied to ``embeddings``.
        mask_zero: whether index 0 is padding (the forward output then carries a mask).
        reverse_dtype: dtype of the reverse projection; defaults to the layer's compute dtype.
        logit_soft_cap: when set, reverse logits become
            ``tanh(logits / logit_soft_cap) * logit_soft_cap``.
        **kwargs: other ``Embedding`` / ``Layer`` arguments (``name``, ``dtype``, ``trainable``...).

    Call arguments:
        inputs: integer ids, or hidden states ``(..., output_dim)`` when ``reverse``.
        reverse: project from ``output_dim`` back to ``input_dim`` instead of embedding.

    Example:

    >>> embedding = keras.layers.ReversibleEmbedding(100, 32)
    >>> hidden = embedding(np.random.randint(100, size=(16, 50)))  # (16, 50, 32)
    >>> logits = embedding(hidden, reverse=True)  # (16, 50, 100)
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer, embeddings_constraint=embeddings_constraint,
                         mask_zero=mask_zero, **kwargs)
        if logit_soft_cap is not None and not logit_soft_cap > 0:
            raise ValueError(f"ReversibleEmbedding {self.name!r}: `logit_soft_cap` must be a positive number or "
                             f"None, received logit_soft_cap={logit_soft_cap!r}.")
        self.tie_weights = tie_weights
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    _quantization_modes = ("int8",)

    def _serialization_spec(self):
        reverse = [] if self.tie_weights else ["reverse_embeddings"]
        return {None: ["embeddings"] + reverse,
                "int8": ["embeddings", "embeddings_scale"] + [n + s for n in reverse for s in ("", "_scale")]}

    def _quantized_build(self, embeddings_shape, mode, config):
        super()._quantized_build(embeddings_shape, mode, config)
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, AbsMaxQuantizer(axis=-1))
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight((self.output_dim, self.input_dim), "zeros", dtype="int8",
                                                      trainable=False, name="reverse_embeddings")
            self.reverse_embeddings_scale = self.add_weight((self.input_dim,), "ones", trainable=False,
                                                            name="reverse_embeddings_scale")

    def _quantize_weights(self, mode, config):
        reverse = None
        if not self.tie_weights:
            quantizer = QuantizationConfig.weight_quantizer_or_default(config, AbsMaxQuantizer(axis=0))
            reverse = quantizer(self.reverse_embeddings, to_numpy=True)
            self._untrack_weight(self.reverse_embeddings)
        super()._quantize_weights(mode, config)
        if reverse is not None:
            B.assign(self.reverse_embeddings, reverse[0])
            B.assign(self.reverse_embeddings_scale, B.squeeze(reverse[1], 0))

    def _int8_reverse(self, inputs):
        """Keras's int8 reverse projection: int8 inputs (per row) times the int8 table, de-scaled."""
        if self.tie_weights:
            kernel, scale = B.transpose(self._embeddings), self.embeddings_scale
        else:
            kernel, scale = self.reverse_embeddings, self.reverse_embeddings_scale
        if self.inputs_quantizer:
            inputs, inputs_scale = self.inputs_quantizer(inputs)
            logits = B.matmul(B.cast(inputs, "int32"), B.cast(kernel, "int32"))
            scale = B.multiply(inputs_scale, scale)
        else:
            logits = B.matmul(inputs, B.cast(kernel, B.dtype(inputs)))
        logits = B.divide(B.cast(logits, self.compute_dtype), scale)
        if self.logit_soft_cap is not None:
            logits = B.multiply(B.tanh(B.divide(logits, self.logit_soft_cap)), self.logit_soft_cap)
        return logits

    def build(self, input_shape=None):
        initial, self._initial_weights = self._initial_weights, None
        super().build(input_shape)
        if not self.tie_weights and self.quantization_mode is None:
            self.reverse_embeddings = self.add_weight((self.output_dim, self.input_dim), self.embeddings_initializer,
                                                      name="reverse_embeddings")
        if initial is not None:
            self.set_weights(initial)

    def call(self, inputs, reverse=False):
        if not reverse:
            outputs = super().call(inputs)
            if self.mask_zero:
                set_mask(outputs, B.not_equal(inputs, 0))
            return outputs
        if inputs.shape[-1] is not None and inputs.shape[-1] != self.output_dim:
            raise ValueError(f"ReversibleEmbedding {self.name!r}: a reverse call expects inputs whose last "
                             f"dimension is output_dim={self.output_dim}, received shape {tuple(inputs.shape)}.")
        if self.quantization_mode == "int8":
            return self._int8_reverse(inputs)
        kernel = B.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = B.cast(inputs, self.reverse_dtype), B.cast(kernel, self.reverse_dtype)
        logits = B.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = B.multiply(B.tanh(B.divide(logits, self.logit_soft_cap)), self.logit_soft_cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        return None  # the forward call attaches its own mask; the reverse projection has none

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return tuple(input_shape) + (self.output_dim,)

    def compute_output_spec(self, inputs, reverse=False):
        dtype = self.reverse_dtype if reverse and self.reverse_dtype is not None else self.compute_dtype
        return KerasTensor(self.compute_output_shape(inputs.shape, reverse), dtype)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap}
