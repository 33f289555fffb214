"""``GroupQueryAttention``: key and value heads shared by groups of query heads (Ainslie et al., 2023)."""
from kerasport import constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.core.serialization import serialized
from kerasport.layers.attention import NEG_INF, combined_attention_mask, fresh_initializer, take_sublayer_names
from kerasport.layers.core import check_rank
from kerasport.layers.einsum_dense import EinsumDense
from kerasport.layers.layer import KerasTensor, Layer


class GroupedQueryAttention(Layer):
    """Grouped-query attention, with Keras 3's sublayers (``EinsumDense`` query/key/[gate]/value/attention_output).

    ``num_query_heads`` query heads share ``num_key_value_heads`` key and value heads: each
    key/value head serves ``num_query_heads // num_key_value_heads`` query heads.

    Args:
        head_dim: size of each head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key and value heads (divides ``num_query_heads``).
        dropout: dropout rate on the attention weights (training only).
        use_bias: biases in the projections.
        sliding_window: query ``i`` attends only to keys ``j`` with ``|i - j| < sliding_window``.
        flash_attention: accepted for Keras compatibility (``None``/``False``); the scores path is exact.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
            kernel_constraint, bias_constraint: for the projections.
        use_gate: gate the heads with ``sigmoid(gate(query))`` before the output projection.
        seed: seed of the dropout.

    Call: ``layer(query (B, T, dim), value (B, S, dim), key=None, query_mask=None, value_mask=None,
    key_mask=None, attention_mask=None (B, T, S), return_attention_scores=False, training=None,
    use_causal_mask=False)`` -> ``(B, T, dim)`` (and scores ``(B, num_query_heads, T, S)``).
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                           ("num_key_value_heads", num_key_value_heads)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"GroupQueryAttention {self.name!r}: `{arg}` must be a positive integer, "
                                 f"received {value!r}.")
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError("`sliding_window` must be `None` or a positive integer. Received: "
                             f"sliding_window={sliding_window}")
        if flash_attention:
            raise NotImplementedError("GroupQueryAttention: `flash_attention=True` is not supported by kerasport.")
        self.head_dim, self.num_query_heads, self.num_key_value_heads = head_dim, num_query_heads, num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout, self.use_bias, self.use_gate, self.seed = dropout, use_bias, use_gate, seed
        self.sliding_window = sliding_window
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._generator = B.make_generator(seed)
        self.supports_masking = True
        self._projections_built = False

    def _check_input_spec(self, query_shape):
        check_rank(self, query_shape, rank=3)

    def _dense(self, equation, output_shape, bias_axes, name, input_shape, activation=None):
        layer = EinsumDense(equation, output_shape, activation=activation,
                            bias_axes=bias_axes if self.use_bias else None,
                            kernel_initializer=fresh_initializer(self.kernel_initializer),
                            bias_initializer=fresh_initializer(self.bias_initializer),
                            kernel_regularizer=self.kernel_regularizer, bias_regularizer=self.bias_regularizer,
                            kernel_constraint=self.kernel_constraint, bias_constraint=self.bias_constraint, name=name,
                            dtype=self.dtype_policy)
        layer.build(tuple(input_shape))
        return layer

    def _build_projections(self, query_shape, value_shape, key_shape=None):
        self._shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not None:
            self._shapes["key_shape"] = key_shape
        key_shape = value_shape if key_shape is None else key_shape
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(f"GroupQueryAttention {self.name!r}: the last dimension of `query_shape` and "
                             f"`value_shape` must be equal, received {tuple(query_shape)}, {tuple(value_shape)}.")
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(f"GroupQueryAttention {self.name!r}: all dimensions of `value` and `key`, except the "
                             f"last one, must be equal. Received: value_shape={tuple(value_shape)} and "
                             f"key_shape={tuple(key_shape)}")
        self.feature_dim = query_shape[-1]
        q_heads, kv_heads = (None, self.num_query_heads, self.head_dim), (None, self.num_key_value_heads,
                                                                           self.head_dim)
        self._query_dense = self._dense("bqm,muh->bquh", q_heads, "uh", "query", query_shape)
        self._key_dense = self._dense("bkm,mvh->bkvh", kv_heads, "vh", "key", key_shape)
        if self.use_gate:
            self._gate_dense = self._dense("bqm,muh->bquh", q_heads, "uh", "gate", query_shape, "sigmoid")
        self._value_dense = self._dense("bkm,mvh->bkvh", kv_heads, "vh", "value", value_shape)
        self._output_dense = self._dense("bquh,uhm->bqm", (None, self.feature_dim), "m", "attention_output",
                                         (None, None, self.num_query_heads, self.head_dim))
        take_sublayer_names()
        self._projections_built = True

    def get_build_config(self):
        """Keras's build config of a layer built from several shapes: ``{"shapes_dict": {...}}``."""
        return {"shapes_dict": {k: list(v) for k, v in self._shapes.items()}} if self._projections_built else None

    def build_from_config(self, config):
        if "shapes_dict" in config:
            self.build(**{k: tuple(v) for k, v in config["shapes_dict"].items()})
        else:
            super().build_from_config(config)

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is not None:
            self._build_projections(query_shape, value_shape, key_shape)
        self.built = True

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        if not self._projections_built:
            self._build_projections(tuple(query.shape), tuple(value.shape), None if key is None else tuple(key.shape))
        key = value if key is None else key
        mask = combined_attention_mask(query, value, key, query_mask, value_mask, key_mask, attention_mask,
                                       use_causal_mask, self.sliding_window)
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query) * (1.0 / float(self.head_dim) ** 0.5)
        k = B.repeat(self._key_dense(key), self.num_repeats, axis=2)
        v = B.repeat(self._value_dense(value), self.num_repeats, axis=2)
        scores = B.einsum("bquh,bkuh->buqk", q, k)
        if mask is not None:
            while mask.ndim < scores.ndim:
                mask = B.expand_dims(mask, -3)
            scores = B.where(mask, scores, NEG_INF)
        scores = B.softmax(scores, axis=-1)
        # As in MultiHeadAttention: Keras zeroes fully masked rows only on its Softmax-layer path.
        if mask is not None and (return_attention_scores or self.dropout > 0):
            scores = B.where(mask, scores, 0.0)
        weights = B.dropout(scores, self.dropout, generator=self._generator) if training and self.dropout else scores
        output = B.einsum("buqk,bkuh->bquh", weights, v)
        output = self._output_dense(output * gate if gate is not None else output)
        return (output, scores) if return_attention_scores else output

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape)

    def compute_output_spec(self, query, value, key=None, return_attention_scores=False, **kwargs):
        if not self._projections_built:
            self._build_projections(query.shape, value.shape, None if key is None else key.shape)
        output = KerasTensor(tuple(query.shape), self.compute_dtype)
        if not return_attention_scores:
            return output
        kv_len = value.shape[1] if key is None else key.shape[1]
        return output, KerasTensor((query.shape[0], self.num_query_heads, query.shape[1], kv_len),
                                   self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, "use_bias": self.use_bias,
                "use_gate": self.use_gate, "sliding_window": self.sliding_window, "dropout": self.dropout,
                "kernel_initializer": serialized(self.kernel_initializer),
                "bias_initializer": serialized(self.bias_initializer),
                "kernel_regularizer": serialized(self.kernel_regularizer),
                "bias_regularizer": serialized(self.bias_regularizer),
                "activity_regularizer": serialized(self.activity_regularizer),
                "kernel_constraint": serialized(self.kernel_constraint),
                "bias_constraint": serialized(self.bias_constraint),
                "seed": self.seed}


GroupQueryAttention = GroupedQueryAttention
