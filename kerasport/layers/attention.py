"""Attention layers: ``MultiHeadAttention``, dot-product ``Attention`` and ``AdditiveAttention``.

Masked keys get a score of -1e9 before the softmax (and a weight of exactly 0 after it where
``MultiHeadAttention`` computes the scores itself: with dropout, ``return_attention_scores`` or
several attention axes; else it runs the backend's ``dot_product_attention``, as Keras); masked
queries give zero outputs in ``Attention``, as in Keras.
"""
import string

from kerasport import constraints, initializers, regularizers
from kerasport.backends import B
from kerasport.layers.core import check_rank
from kerasport.layers.einsum_dense import EinsumDense
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.core.serialization import serialized
from kerasport.core import naming

NEG_INF = -1e9  # the score of a masked query-key pair before the softmax


def _mask_of(x):
    return getattr(x, "_keras_mask", None)


def _causal_mask(q_len, v_len):
    """``(1, q_len, v_len)`` bool: query ``i`` sees keys ``j <= i``."""
    rows = B.expand_dims(B.arange(q_len), 1)
    return B.expand_dims(B.greater_equal(rows, B.expand_dims(B.arange(v_len), 0)), 0)


def combined_attention_mask(query, value, key, query_mask, value_mask, key_mask, attention_mask, use_causal_mask,
                            sliding_window=None):
    """The mask of ``MultiHeadAttention`` and ``GroupQueryAttention``: bool, broadcastable to ``(B, T, S)``,
    True where query ``t`` may attend to key ``s``; None when nothing masks.

    It combines the query's ``(B, T)`` and the value's and key's ``(B, S)`` masks (when not given, their
    Keras masks; ``key`` is ``value`` when the caller had no key, and then adds nothing), the causal mask,
    the sliding window (``|t - s| < sliding_window``) and ``attention_mask`` ``(B, T, S)``.
    """
    query_mask = _mask_of(query) if query_mask is None else query_mask
    value_mask = _mask_of(value) if value_mask is None else value_mask
    key_mask = _mask_of(key) if key_mask is None and key is not value else key_mask
    mask = None
    if query_mask is not None:
        mask = B.expand_dims(B.cast(query_mask, "bool"), -1)
    for m in (value_mask, key_mask):
        if m is not None:
            m = B.expand_dims(B.cast(m, "bool"), -2)
            mask = m if mask is None else B.logical_and(mask, m)
    q_len, v_len = B.shape(query)[1], B.shape(value)[1]
    if use_causal_mask:
        m = _causal_mask(q_len, v_len)
        mask = m if mask is None else B.logical_and(mask, m)
    if sliding_window is not None:
        gap = B.abs(B.expand_dims(B.arange(q_len), 1) - B.expand_dims(B.arange(v_len), 0))
        m = B.expand_dims(B.less(gap, sliding_window), 0)
        mask = m if mask is None else B.logical_and(mask, m)
    if attention_mask is not None:
        attention_mask = B.cast(attention_mask, "bool")
        mask = attention_mask if mask is None else B.logical_and(attention_mask, mask)
    return mask


def take_sublayer_names():
    """Take the automatic names ``softmax`` and ``dropout`` as Keras's attention layers do.

    Keras's ``MultiHeadAttention`` / ``GroupQueryAttention`` build a ``Softmax`` and a ``Dropout``
    sublayer, which consume the next automatic ``softmax`` / ``dropout`` names; kerasport computes
    both inline, so it takes the names to keep later layers' names (``dropout_1``, ...) as in Keras.
    """
    naming.uniquify("softmax")
    naming.uniquify("dropout")


def fresh_initializer(initializer):
    """A copy of ``initializer``, so that each projection draws its own values (as in Keras)."""
    return type(initializer).from_config(initializer.get_config())


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017), with Keras's weights and options.

    ``query``, ``key`` and ``value`` are projected to ``num_heads`` heads; each head computes
    ``softmax(q k^T / sqrt(key_dim)) v`` over ``attention_axes``; the heads are projected back.

    Args:
        num_heads: number of heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (``key_dim`` by default).
        dropout: dropout rate on the attention weights (training only).
        use_bias: whether the projections have biases.
        output_shape: the output's last dims (the query's last dim by default).
        attention_axes: the axes attention runs over (all but batch, heads and features by default).
        use_gate: multiply the attention output by a sigmoid gate computed from the query.
        sliding_window: if set, a query attends only to keys less than this many positions away.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
            activity_regularizer, kernel_constraint, bias_constraint: for the projections.
        seed: seed of the dropout.

    Call arguments:
        query ``(B, T, dim)``, value ``(B, S, dim)``, key ``(B, S, dim)`` (``value`` by default);
        attention_mask ``(B, T, S)`` bool (True: attend); the query's, value's and key's Keras masks
        are applied too; use_causal_mask; return_attention_scores (then also ``(B, heads, T, S)``);
        training.

    Weights: ``query/kernel (dim, heads, key_dim)``, ``query/bias (heads, key_dim)``, likewise
    ``key`` and ``value``, then ``attention_output/kernel (heads, value_dim, out)``, ``bias (out,)``.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("num_heads", num_heads), ("key_dim", key_dim), ("value_dim", value_dim)):
            if not (value is None and arg == "value_dim") and (not isinstance(value, int) or value <= 0):
                raise ValueError(f"MultiHeadAttention {self.name!r}: `{arg}` must be a positive integer, "
                                 f"received {value!r}.")
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = value_dim or key_dim
        self.dropout, self.use_bias, self.use_gate, self.seed = dropout, use_bias, use_gate, seed
        # Keras's private names, which subclasses overriding ``_compute_attention`` read.
        self._num_heads, self._key_dim, self._value_dim, self._dropout = num_heads, key_dim, self.value_dim, dropout
        self._inverse_sqrt_key_dim = 1.0 / float(key_dim) ** 0.5
        self.output_shape_arg = (output_shape,) if isinstance(output_shape, int) else \
            (tuple(output_shape) if output_shape else None)
        self.attention_axes = tuple(attention_axes) if isinstance(attention_axes, (list, tuple)) else \
            ((attention_axes,) if attention_axes is not None else None)
        self.sliding_window, self.flash_attention = sliding_window, flash_attention
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
        check_rank(self, query_shape, min_rank=3)

    def _projection(self, name, bound_dims, output_shape, input_shape):
        """An ``EinsumDense`` (as Keras's, so ``quantize`` reaches it) projecting the last ``bound_dims`` dims of
        ``input_shape`` to ``output_shape``: ``x (..., *bound) -> (..., *out)``, kernel ``bound + out``, bias
        ``out``."""
        rank, out = len(input_shape), len(output_shape)
        free = string.ascii_lowercase[:rank - bound_dims]
        inner = string.ascii_lowercase[rank - bound_dims:rank]
        outer = string.ascii_lowercase[rank:rank + out]
        layer = EinsumDense(f"{free}{inner},{inner}{outer}->{free}{outer}",
                            (None,) * (len(free) - 1) + tuple(output_shape),
                            bias_axes=outer if self.use_bias else None,
                            kernel_initializer=fresh_initializer(self.kernel_initializer),
                            bias_initializer=fresh_initializer(self.bias_initializer),
                            kernel_regularizer=self.kernel_regularizer, bias_regularizer=self.bias_regularizer,
                            kernel_constraint=self.kernel_constraint, bias_constraint=self.bias_constraint, name=name,
                            dtype=self.dtype_policy)
        # Keras's attention layers take the masks off their inputs before projecting them (it handles them
        # itself); these projections pass them on, unused, rather than warn that they drop them.
        layer.supports_masking = True
        layer.build(tuple(input_shape))
        return layer

    def _build_projections(self, query_shape, value_shape, key_shape=None):
        self._shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not None:
            self._shapes["key_shape"] = key_shape
        key_shape = value_shape if key_shape is None else key_shape
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(f"MultiHeadAttention {self.name!r}: value and key must agree on all dims but the last, "
                             f"received value shape {tuple(value_shape)} and key shape {tuple(key_shape)}.")
        heads_k, heads_v = (self.num_heads, self.key_dim), (self.num_heads, self.value_dim)
        self.query_dense = self._projection("query", 1, heads_k, query_shape)
        self.key_dense = self._projection("key", 1, heads_k, key_shape)
        if self.use_gate:
            self.gate_dense = self._projection("gate", 1, heads_v, query_shape)
        self.value_dense = self._projection("value", 1, heads_v, value_shape)
        output_shape = self.output_shape_arg or (query_shape[-1],)
        self.output_dense = self._projection("attention_output", 2, output_shape,
                                             tuple(query_shape[:-1]) + heads_v)
        rank = len(query_shape) + 1
        axes = self.attention_axes if self.attention_axes is not None else tuple(range(1, rank - 2))
        self._axes = tuple(a % (rank - 1) for a in axes)
        letters = string.ascii_lowercase
        target = letters[:rank]
        source = "".join(letters[rank + self._axes.index(i)] if i in self._axes else target[i] for i in range(rank))
        batch = [i for i in range(rank - 1) if i not in self._axes]
        product = "".join([target[i] for i in batch] + [target[i] for i in self._axes] +
                          [source[i] for i in self._axes])
        self._dot_product_equation = f"{source},{target}->{product}"
        self._combine_equation = f"{product},{source}->{target}"
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
        # Keras's fused path: one backend attention kernel (torch: scaled_dot_product_attention), the causal
        # mask left to it; explicit scores with dropout, when they are returned, or over several attention axes.
        fused = not (self.dropout > 0 or return_attention_scores or len(query.shape) != 3)
        # As Keras, a subclass's own ``_compute_attention`` gets the causal mask in ``attention_mask``.
        fused_causal = use_causal_mask and fused and \
            type(self)._compute_attention is MultiHeadAttention._compute_attention
        mask = combined_attention_mask(query, value, key, query_mask, value_mask, key_mask, attention_mask,
                                       use_causal_mask and not fused_causal, self.sliding_window)
        gate = B.sigmoid(self.gate_dense(query)) if self.use_gate else None
        q, k, v = self.query_dense(query), self.key_dense(key), self.value_dense(value)
        output, scores = self._compute_attention(q, k, v, mask, training, return_attention_scores,
                                                 **({"use_causal_mask": True} if fused_causal else {}))
        output = self.output_dense(output * gate if gate is not None else output)
        return (output, scores) if return_attention_scores else output

    def _compute_attention(self, query, key, value, attention_mask=None, training=None, return_attention_scores=False,
                           use_causal_mask=False):
        """Attention over the projected heads; Keras's hook for subclasses that customise attention.

        Args:
            query: ``(B, T, heads, key_dim)``; key: ``(B, S, heads, key_dim)``; value: ``(B, S, heads, value_dim)``.
            attention_mask: bool, broadcastable to ``(B, T, S)`` (True: attend), or None.
            training: whether dropout applies to the attention weights.
            return_attention_scores: whether the scores are computed (else the fused kernel may run).
            use_causal_mask: add the causal mask (passed only where the fused kernel applies it).

        Returns:
            ``(output (B, T, heads, value_dim), scores (B, heads, T, S) or None)``.
        """
        if not (self.dropout > 0 or return_attention_scores or len(query.shape) != 4):
            mask = None if attention_mask is None else B.expand_dims(B.cast(attention_mask, "bool"), 1)
            return B.dot_product_attention(query, key, value, mask=mask, scale=self._inverse_sqrt_key_dim,
                                           is_causal=use_causal_mask), None
        if use_causal_mask:
            causal = _causal_mask(query.shape[1], key.shape[1])
            attention_mask = causal if attention_mask is None else \
                B.logical_and(B.cast(attention_mask, "bool"), causal)
        query = query * self._inverse_sqrt_key_dim
        scores = self._masked_softmax(B.einsum(self._dot_product_equation, key, query), attention_mask)
        output = B.einsum(self._combine_equation, self._dropout_layer(scores, training=training), value)
        return output, scores

    def _masked_softmax(self, attention_scores, attention_mask=None):
        """Keras's hook: the softmax of ``attention_scores`` over the attention axes, masked keys weighted 0."""
        softmax_axes = tuple(range(attention_scores.ndim - len(self._axes), attention_scores.ndim))
        mask = attention_mask
        if mask is not None:
            mask = B.cast(mask, "bool")
            while mask.ndim < attention_scores.ndim:
                mask = B.expand_dims(mask, -2 * len(self._axes) - 1)
            attention_scores = B.where(mask, attention_scores, NEG_INF)
        scores = B.softmax(attention_scores, axis=softmax_axes if len(softmax_axes) > 1 else softmax_axes[0])
        # Keras zeroes fully masked rows on this Softmax-layer path; its fused path leaves them uniform.
        return scores if mask is None else B.where(mask, scores, 0.0)

    def _dropout_layer(self, attention_scores, training=None):
        """Keras's ``Dropout`` sublayer of the attention weights, as a call (``self._dropout_layer(x, training)``)."""
        if training and self.dropout:
            return B.dropout(attention_scores, self.dropout, generator=self._generator)
        return attention_scores

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if self.output_shape_arg:
            return tuple(query_shape[:-1]) + self.output_shape_arg
        return tuple(query_shape)

    def compute_output_spec(self, query, value, key=None, return_attention_scores=False, **kwargs):
        if not self._projections_built:
            self._build_projections(query.shape, value.shape, None if key is None else key.shape)
        key = value if key is None else key
        output = KerasTensor(self.compute_output_shape(query.shape), self.compute_dtype)
        if not return_attention_scores:
            return output
        scores = (query.shape[0], self.num_heads) + tuple(query.shape[a] for a in self._axes) + \
            tuple(value.shape[a] for a in self._axes)
        return output, KerasTensor(scores, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "output_shape": self.output_shape_arg, "attention_axes": self.attention_axes,
                "sliding_window": self.sliding_window, "flash_attention": self.flash_attention,
                "kernel_initializer": serialized(self.kernel_initializer),
                "bias_initializer": serialized(self.bias_initializer),
                "kernel_regularizer": serialized(self.kernel_regularizer),
                "bias_regularizer": serialized(self.bias_regularizer),
                "activity_regularizer": serialized(self.activity_regularizer),
                "kernel_constraint": serialized(self.kernel_constraint),
                "bias_constraint": serialized(self.bias_constraint),
                "use_gate": self.use_gate, "seed": self.seed}


class Attention(Layer):
    """Dot-product (Luong-style) attention: ``softmax(query @ key^T) @ value``.

    Args:
        use_scale: learn a scalar ``scale`` multiplying the scores.
        score_mode: ``"dot"`` (``q . k``) or ``"concat"`` (``concat_score_weight * sum(tanh(q + k))``).
        dropout: dropout rate on the attention weights (training only).
        seed: seed of the dropout.

    Call arguments:
        inputs: ``[query (B, T, dim), value (B, S, dim)]`` or ``[query, value, key]``.
        mask: ``[query_mask (B, T), value_mask (B, S)]`` (the inputs' Keras masks by default):
            masked values are ignored, masked queries give zeros.
        return_attention_scores: also return the weights ``(B, T, S)``.
        use_causal_mask: query ``i`` attends only to values ``j <= i``.
        training: whether dropout is active.

    Shapes: ``(B, T, dim)`` out.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{type(self).__name__} {self.name!r}: score_mode must be 'dot' or 'concat', "
                             f"received {score_mode!r}.")
        self.use_scale, self.score_mode, self.dropout, self.seed = use_scale, score_mode, dropout, seed
        self._generator = B.make_generator(seed)
        self.supports_masking = True

    def _check_input_spec(self, shapes):
        name = type(self).__name__
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(shapes[0], (list, tuple)) \
                or not 2 <= len(shapes) <= 3:
            raise ValueError(f"{name} layer {self.name!r} must be called on a list [query, value] or "
                             f"[query, value, key], received input shape(s) {shapes}.")

    def build(self, input_shape):
        self.scale = self.add_weight((), "ones", name="scale") if self.use_scale else None
        self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight") \
            if self.score_mode == "concat" else None
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = B.matmul(query, B.swapaxes(key, -2, -1))
            return scores * self.scale if self.scale is not None else scores
        summed = B.expand_dims(query, -2) + B.expand_dims(key, -3)
        if self.scale is not None:
            summed = self.scale * summed
        return self.concat_score_weight * B.sum(B.tanh(summed), axis=-1)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        if mask is None:
            mask = [_mask_of(t) for t in inputs]
        q_mask, v_mask = mask[0], mask[1]
        scores = self._scores(query, key)
        keep = None if v_mask is None else B.expand_dims(B.cast(v_mask, "bool"), -2)
        if use_causal_mask:
            causal = _causal_mask(B.shape(scores)[-2], B.shape(scores)[-1])
            keep = causal if keep is None else B.logical_and(keep, causal)
        if keep is not None:
            scores = B.where(keep, scores, scores - 1e9)
        weights = B.softmax(scores, axis=-1)
        dropped = B.dropout(weights, self.dropout, generator=self._generator) if training and self.dropout > 0 \
            else weights
        output = B.matmul(dropped, value)
        if q_mask is not None:
            output = B.where(B.expand_dims(B.cast(q_mask, "bool"), -1), output, 0.0)
        return (output, weights) if return_attention_scores else output

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            mask = [_mask_of(t) for t in inputs] if isinstance(inputs, (list, tuple)) else None
        return None if not mask or mask[0] is None else mask[0]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def compute_output_spec(self, inputs, return_attention_scores=False, **kwargs):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        output = KerasTensor(self.compute_output_shape([query.shape, value.shape]), self.compute_dtype)
        if not return_attention_scores:
            return output
        return output, KerasTensor(tuple(query.shape[:-1]) + (key.shape[-2],), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: scores ``sum(scale * tanh(query + key), axis=-1)``.

    Args:
        use_scale: learn a per-feature ``scale`` of shape ``(dim,)``.
        dropout: dropout rate on the attention weights (training only).

    Call arguments and shapes: as ``Attention``.
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self.scale = self.add_weight((input_shape[0][-1],), "glorot_uniform", name="scale") \
            if self.use_scale else None
        self.built = True

    def _scores(self, query, key):
        tanh = B.tanh(B.expand_dims(query, -2) + B.expand_dims(key, -3))
        return B.sum(self.scale * tanh if self.scale is not None else tanh, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
