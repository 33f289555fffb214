"""The backend contract, ``nn``: layer kernels (dense, conv, pooling, normalization) and keras.ops.nn.

Each backend implements these in ``backends/<name>/nn.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def average_pool(
        inputs: ArrayLike,
        pool_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] | None = None,
        padding: str = 'valid',
        data_format: str | None = None,
) -> Tensor:
    """Keras's ``keras.ops.average_pool``: the same arguments and results."""


def batch_normalization(
        x: ArrayLike,
        mean: ArrayLike,
        variance: ArrayLike,
        axis: Axis,
        offset: ArrayLike | None = None,
        scale: ArrayLike | None = None,
        epsilon: float = 0.001,
) -> Tensor:
    """Keras's ``keras.ops.batch_normalization``: the same arguments and results."""


def batch_normalization_inference(
        x: ArrayLike,
        mean: ArrayLike,
        variance: ArrayLike,
        axis: Axis,
        offset: ArrayLike | None = None,
        scale: ArrayLike | None = None,
        epsilon: float = 0.001,
        overwrite: bool = False,
) -> Tensor:
    """``BatchNormalization``'s inference kernel (a kerasport extension): ``batch_normalization``'s numbers,
    on the backend's fastest kernel for them.

    ``overwrite=True`` is for a caller that owns ``x`` and reads it no more: where tensors are mutable
    (torch) and no gradient is recorded, the result then reuses ``x``'s memory. TensorFlow runs
    ``FusedBatchNormV3`` on 4D channels-last float32 inputs, which Grappler folds into a preceding convolution.
    """


def batch_normalization_training(
        x: ArrayLike,
        axis: int,
        offset: ArrayLike | None = None,
        scale: ArrayLike | None = None,
        epsilon: float = 0.001,
) -> tuple[Tensor, Tensor, Tensor]:
    """``BatchNormalization``'s training kernel: normalizes ``x`` with its own statistics over every axis but ``axis``.

    Returns ``(outputs, mean, variance)``: the outputs of ``batch_normalization(x, mean, variance, axis, offset,
    scale, epsilon)`` with ``mean, variance = moments(x, other axes)``, and those statistics (the biased variance),
    of shape ``(x.shape[axis],)``; the gradient flows through the outputs only. PyTorch runs one fused kernel
    (``torch.native_batch_norm`` on a channels-first view, no copy of a channels_last tensor).
    """


def binary_crossentropy(target: ArrayLike, output: ArrayLike, from_logits: bool = False) -> Tensor:
    """Keras's ``keras.ops.binary_crossentropy``: the same arguments and results."""


def categorical_crossentropy(
        target: ArrayLike, output: ArrayLike, from_logits: bool = False, axis: Axis = -1,
) -> Tensor:
    """Keras's ``keras.ops.categorical_crossentropy``: the same arguments and results."""


def celu(x: ArrayLike, alpha: float = 1.0) -> Tensor:
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``."""


def conv(
        inputs: ArrayLike,
        kernel: ArrayLike,
        strides: int | tuple[int, ...] = 1,
        padding: str = 'valid',
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        bias: ArrayLike | None = None,
) -> Tensor:
    """N-d convolution. inputs (batch, *spatial, in) channels_last; kernel (*k, in/groups, out).

    ``bias`` (out,) is fused into the kernel call when given (a kerasport extension).
    """


def conv_transpose(
        inputs: ArrayLike,
        kernel: ArrayLike,
        strides: int | tuple[int, ...] = 1,
        padding: str = 'valid',
        output_padding: int | tuple[int, ...] | None = None,
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        bias: ArrayLike | None = None,
) -> Tensor:
    """Transposed conv. kernel (*k, out, in) as in Keras; output sizes follow TensorFlow.

    Runs torch's kernel unpadded, then crops (or zero-pads) each spatial side to
    Keras's left/right padding, which is exact for every argument combination.
    """


def ctc_loss(target: ArrayLike, output: ArrayLike, target_length, output_length, mask_index: int = 0) -> Tensor:
    """CTC loss per sample.

    Args:
        target: int labels ``(B, L)``; output: logits ``(B, T, C)``;
        target_length, output_length: ``(B,)`` ints; mask_index: the blank class.
    Returns ``(B,)`` negative log-likelihoods.
    """


def dense(x: ArrayLike, kernel: ArrayLike, bias: ArrayLike | None = None) -> Tensor:
    """``x @ kernel + bias``; one fused addmm for 2D inputs."""


def depth_to_space(x: ArrayLike, block_size, data_format: str | None = 'channels_last') -> Tensor:
    """Moves channel blocks into ``block_size x block_size`` spatial tiles (TensorFlow's DCR order)."""


def depthwise_conv(
        inputs: ArrayLike,
        kernel: ArrayLike,
        strides: int | tuple[int, ...] = 1,
        padding: str = 'valid',
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        bias: ArrayLike | None = None,
) -> Tensor:
    """Depthwise conv. kernel (*k, in, multiplier) -> output channels in*multiplier (+ ``bias``)."""


def dot_product_attention(
        query: ArrayLike,
        key: ArrayLike,
        value: ArrayLike,
        bias: ArrayLike | None = None,
        mask: ArrayLike | None = None,
        scale: ArrayLike | None = None,
        is_causal: bool = False,
        flash_attention=None,
        attn_logits_soft_cap=None,
) -> Tensor:
    """Scaled dot-product attention on ``(B, T, N, H)`` query and ``(B, S, K, H)`` key/value.

    Args:
        bias: added to the logits, broadcastable to ``(B, N, T, S)``.
        mask: bool, broadcastable to ``(B, N, T, S)``; False positions get no attention.
        scale: logits multiplier, default ``1 / sqrt(H)``.
        is_causal: mask out keys after each query position.
        attn_logits_soft_cap: when set, logits become ``cap * tanh(logits / cap)``.
    Returns ``(B, T, N, H)``. Runs ``F.scaled_dot_product_attention`` unless a soft cap is asked for.
    """


def elu(x: ArrayLike, alpha: float = 1.0) -> Tensor:
    """Keras's ``keras.ops.elu``: the same arguments and results."""


def embedding(indices: ArrayLike, table: ArrayLike) -> Tensor:
    """Rows of ``table`` (vocab, dim) at integer ``indices``: (...) -> (..., dim)."""


def gelu(x: ArrayLike, approximate: bool = True) -> Tensor:
    """Keras's ``keras.ops.gelu``: the same arguments and results."""


def glu(x: ArrayLike, axis: Axis = -1) -> Tensor:
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""


def hard_shrink(x: ArrayLike, threshold: float = 0.5) -> Tensor:
    """``x`` where ``|x| > threshold``, else 0."""


def hard_sigmoid(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.hard_sigmoid``: the same arguments and results."""


def hard_silu(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.hard_silu``: the same arguments and results."""


def hard_swish(x: ArrayLike) -> Tensor:
    """Alias of ``hard_silu``: ``x * relu6(x + 3) / 6``."""


def hard_tanh(x: ArrayLike) -> Tensor:
    """``clip(x, -1, 1)``."""


def layer_normalization(
        x: ArrayLike,
        gamma: ArrayLike | None = None,
        beta: ArrayLike | None = None,
        axis: Axis = -1,
        epsilon=None,
        rms_scaling: bool = False,
) -> Tensor:
    """Normalize each sample over ``axis`` (int or list), then ``* gamma + beta``.

    ``gamma`` and ``beta`` have the shape of the normalized dims. Trailing axes use the
    fused ``F.layer_norm`` kernel. ``rms_scaling`` (Keras's deprecated flag) divides by the
    standard deviation without centering and ignores ``beta``.
    """


def leaky_relu(x: ArrayLike, negative_slope: float = 0.2) -> Tensor:
    """Keras's ``keras.ops.leaky_relu``: the same arguments and results."""


def log_sigmoid(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.log_sigmoid``: the same arguments and results."""


def log_softmax(x: ArrayLike, axis: Axis = -1) -> Tensor:
    """Keras's ``keras.ops.log_softmax``: the same arguments and results."""


def max_pool(
        inputs: ArrayLike,
        pool_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] | None = None,
        padding: str = 'valid',
        data_format: str | None = None,
) -> Tensor:
    """Keras's ``keras.ops.max_pool``: the same arguments and results."""


def moments(x: ArrayLike, axes: Axis, keepdims: bool = False, synchronized: bool = False) -> tuple[Tensor, ...]:
    """Keras's ``keras.ops.moments``: the same arguments and results. ``synchronized``: in a replica of a
    TensorFlow distribution, the moments of the global batch (all-reduced over the replicas)."""


def multi_hot(
        inputs: ArrayLike,
        num_classes=None,
        axis: Axis = -1,
        dtype: DType | None = None,
        sparse: bool = False,
        **kwargs,
) -> Tensor:
    """Multi-hot encoding: ``(B, L)`` int labels -> ``(B, num_classes)``, 1 where a label occurs."""


def normalize(x: ArrayLike, axis: Axis = -1, order: int = 2, epsilon=None) -> Tensor:
    """Keras's ``keras.ops.normalize``: the same arguments and results."""


def one_hot(x: ArrayLike, num_classes, axis: Axis = -1, dtype: DType | None = 'float32') -> Tensor:
    """Keras's ``keras.ops.one_hot``: the same arguments and results."""


def psnr(x1: ArrayLike, x2: ArrayLike, max_val) -> Tensor:
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``."""


def relu(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.relu``: the same arguments and results."""


def relu6(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.relu6``: the same arguments and results."""


def can_overwrite() -> bool:
    """Whether a layer may compute in its input's memory now (a kerasport extension): eager, with no gradient
    recorded and nothing tracing or compiling the call. A Functional model asks before it marks an input
    scratch (``may_overwrite_input``)."""


def relu_overwriting(x: ArrayLike, max_value: float | None = None) -> Tensor:
    """``relu(x)``, capped at ``max_value`` when given, whose result may be written into ``x`` (a kerasport
    extension): as ``batch_normalization_inference(overwrite=True)``, for a caller that owns ``x`` and reads it
    no more."""


def rms_normalization(x: ArrayLike, scale: ArrayLike | None = None, axis: Axis = -1, epsilon=None) -> Tensor:
    """``x * rsqrt(mean(x**2, axis) + epsilon) * scale`` (computed in at least float32)."""


def selu(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.selu``: the same arguments and results."""


def separable_conv(
        inputs: ArrayLike,
        depthwise_kernel: ArrayLike,
        pointwise_kernel: ArrayLike,
        strides: int | tuple[int, ...] = 1,
        padding: str = 'valid',
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        bias: ArrayLike | None = None,
) -> Tensor:
    """Depthwise conv (strides, padding, dilation apply here), then the 1x1 ``pointwise_kernel`` (+ ``bias``)."""


def sigmoid(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.sigmoid``: the same arguments and results."""


def silu(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.silu``: the same arguments and results."""


def soft_shrink(x: ArrayLike, threshold: float = 0.5) -> Tensor:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""


def softmax(x: ArrayLike, axis: Axis = -1) -> Tensor:
    """Keras's ``keras.ops.softmax``: the same arguments and results."""


def softplus(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.softplus``: the same arguments and results."""


def softsign(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.softsign``: the same arguments and results."""


def space_to_depth(x: ArrayLike, block_size, data_format: str | None = 'channels_last') -> Tensor:
    """Inverse of ``depth_to_space``: ``block_size x block_size`` tiles become channels."""


def sparse_categorical_crossentropy(
        target: ArrayLike, output: ArrayLike, from_logits: bool = False, axis: Axis = -1,
) -> Tensor:
    """Keras's ``keras.ops.sparse_categorical_crossentropy``: the same arguments and results."""


def sparse_plus(x: ArrayLike) -> Tensor:
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between."""


def sparse_sigmoid(x: ArrayLike) -> Tensor:
    """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""


def sparsemax(x: ArrayLike, axis: Axis = -1) -> Tensor:
    """Sparsemax along ``axis``, computed exactly as Keras 3 does so the numbers match.

    Keras's threshold sums the cumulative sums over the whole support (not just the last one), so where
    the support has more than one element the result is not the textbook simplex projection.
    """


def squareplus(x: ArrayLike, b: int = 4) -> Tensor:
    """``(x + sqrt(x**2 + b)) / 2``."""


def swish(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.swish``: the same arguments and results."""


def tanh(x: ArrayLike) -> Tensor:
    """Keras's ``keras.ops.tanh``: the same arguments and results."""


def tanh_shrink(x: ArrayLike) -> Tensor:
    """``x - tanh(x)``."""


def threshold(x: ArrayLike, threshold, default_value) -> Tensor:
    """``x`` where ``x > threshold``, else ``default_value``."""


def polar(abs_: ArrayLike, angle: ArrayLike) -> Tensor:
    """The complex tensor ``abs_ * (cos(angle) + i sin(angle))`` (complex64 from float32 parts)."""


def adaptive_average_pool(inputs: ArrayLike, output_size: int | tuple[int, ...], data_format: str | None = None
                          ) -> Tensor:
    """Average pooling to a fixed spatial ``output_size`` (1 to 3 spatial axes): output cell ``i`` of an axis of
    ``L`` averages inputs ``floor(i * L / n)`` to ``ceil((i + 1) * L / n)``, as PyTorch and Keras do.

    Args:
        inputs: ``(batch, *spatial, channels)``, or ``(batch, channels, *spatial)`` for "channels_first".
        output_size: an int for every spatial axis, or one per axis.
        data_format: "channels_last" (None) or "channels_first".
    """


def adaptive_max_pool(inputs: ArrayLike, output_size: int | tuple[int, ...], data_format: str | None = None
                      ) -> Tensor:
    """Max pooling to a fixed spatial ``output_size``: the windows of ``adaptive_average_pool``, their maximum."""


def unfold(x: ArrayLike, kernel_size: int | tuple[int, int], dilation: int | tuple[int, int] = 1,
           padding: int | tuple[int, int] = 0, stride: int | tuple[int, int] = 1) -> Tensor:
    """Sliding blocks of an NCHW image ``x`` (PyTorch's ``unfold``, im2col): ``(N, C * kh * kw, L)``, the block
    positions ``L`` row-major, after zero ``padding`` on both sides of H and W."""


def fold(x: ArrayLike, output_size: int | tuple[int, int], kernel_size: int | tuple[int, int],
         dilation: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
         stride: int | tuple[int, int] = 1) -> Tensor:
    """The adjoint of ``unfold`` (col2im): blocks ``(N, C * kh * kw, L)`` summed into an ``(N, C, *output_size)``
    image, overlapping values added."""


def ctc_decode(inputs: ArrayLike, sequence_lengths: ArrayLike, strategy: str = "greedy", beam_width: int = 100,
               top_paths: int = 1, merge_repeated: bool = True, mask_index: int | None = 0) -> tuple[Tensor, Tensor]:
    """Decodes CTC logits ``(batch, steps, classes)`` (not softmaxed) of the given ``sequence_lengths``.

    Args:
        strategy: "greedy" (the best class of each step; ``merge_repeated`` merges runs) or "beam_search"
            (prefix beam search keeping ``beam_width`` prefixes; repeats are always merged).
        top_paths: the decodings returned by beam search; mask_index: the blank class (None: the last).
    Returns ``(decoded, scores)``: int32 labels ``(paths, batch, steps)`` padded with -1 (``paths`` is 1 for
    greedy, else ``top_paths``); greedy's scores are ``(batch, 1)``, minus the sum of each step's best logit,
    beam search's ``(batch, top_paths)``, the paths' log-probabilities.
    """
