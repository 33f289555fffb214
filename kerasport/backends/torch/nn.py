"""PyTorch backend, layer kernels and keras.ops.nn: dense, embedding, activations, convolution,
pooling, normalization, loss kernels, attention, ctc.

Layout follows Keras (channels_last); convolutions run on a permuted view with
channels_last memory format, so NHWC data reaches oneDNN/cuDNN without copies.
"""
import builtins as _bi
import math

import torch
import torch.nn.functional as F

from kerasport.backends import ops_common as _common
from kerasport.core import settings
from kerasport.backends.torch.core import as_float, as_tensor, convert_to_tensor, ndim, promote_float, to_dtype


# ----------------------------------------------------------------------------- activations
relu = F.relu
sigmoid = torch.sigmoid
tanh = torch.tanh
softplus = F.softplus
softsign = F.softsign
silu = F.silu
swish = F.silu
selu = F.selu
log_sigmoid = F.logsigmoid


def relu6(x):
    return F.relu6(x)


def can_overwrite():
    return not torch.is_grad_enabled() and not torch.compiler.is_compiling()


def relu_overwriting(x, max_value=None):
    if torch.is_grad_enabled():
        return F.relu(x) if max_value is None else F.hardtanh(x, 0.0, max_value)
    return F.relu_(x) if max_value is None else F.hardtanh_(x, 0.0, max_value)


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def gelu(x, approximate=True):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope)


def hard_sigmoid(x):
    return F.relu6(x + 3.0) / 6.0


def hard_silu(x):
    return x * hard_sigmoid(x)


def softmax(x, axis=-1):
    return torch.softmax(x, dim=axis) if isinstance(axis, int) else _multi_axis_softmax(x, axis, False)


def log_softmax(x, axis=-1):
    return torch.log_softmax(x, dim=axis) if isinstance(axis, int) else _multi_axis_softmax(x, axis, True)


def _multi_axis_softmax(x, axis, log):
    lse = torch.logsumexp(x, dim=tuple(axis), keepdim=True)
    return x - lse if log else torch.exp(x - lse)


# ----------------------------------------------------------------------------- convolution and pooling
def _tuple(v, n):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


def _to_cf(x, data_format):
    """Channels-first view of a channels_last tensor (no copy for 2D/3D)."""
    if data_format == "channels_first":
        return x
    return torch.movedim(x, -1, 1)


def _from_cf(x, data_format):
    return x if data_format == "channels_first" else torch.movedim(x, 1, -1)


def _same_pad(x, kernel, strides, dilation):
    """TF-style 'same' padding of a channels-first tensor (extra pixel on the right)."""
    pads = []
    for i, (k, s, d) in enumerate(zip(kernel, strides, dilation)):
        size = x.shape[2 + i]
        eff = (k - 1) * d + 1
        out = -(-size // s)
        total = _bi.max(0, (out - 1) * s + eff - size)
        pads.append((total // 2, total - total // 2))
    return pads


def _prepare_padding(x, kernel, strides, dilation, padding):
    """Returns (x, torch padding argument) realising Keras's padding."""
    if padding == "valid":
        return x, 0
    pads = _same_pad(x, kernel, strides, dilation)
    if _bi.all(lo == hi for lo, hi in pads):
        return x, tuple(lo for lo, _ in pads)
    flat = []
    for lo, hi in reversed(pads):
        flat += [lo, hi]
    return F.pad(x, flat), 0


_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, bias=None):
    """N-d convolution. inputs (batch, *spatial, in) channels_last; kernel (*k, in/groups, out).

    ``bias`` (out,) is fused into the kernel call when given (a kerasport extension).
    """
    data_format = data_format or "channels_last"
    n = kernel.dim() - 2
    strides, dilation = _tuple(strides, n), _tuple(dilation_rate, n)
    x = _to_cf(inputs, data_format)
    w = kernel.permute(n + 1, n, *range(n))
    groups = x.shape[1] // kernel.shape[-2]
    x, pad_arg = _prepare_padding(x, kernel.shape[:n], strides, dilation, padding)
    if n == 2 and data_format != "channels_first":
        # The kernel's permuted view matches neither layout oneDNN takes: one channels-last copy here is what
        # its forward and backward then share (and it is how the raw channels-last loop holds its weights).
        x, w = x.contiguous(memory_format=torch.channels_last), w.contiguous(memory_format=torch.channels_last)
    out = _CONV[n](x, w, bias, strides, pad_arg, dilation, groups)
    return _from_cf(out, data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, bias=None):
    n = kernel.dim() - 2
    kshape = kernel.shape
    k = kernel.reshape(*kshape[:n], 1, kshape[-2] * kshape[-1])
    return conv(inputs, k, strides, padding, data_format, dilation_rate, bias=bias)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1, bias=None):
    x = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(x, pointwise_kernel, 1, "valid", data_format, bias=bias)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1, bias=None):
    """Transposed conv. kernel (*k, out, in) as in Keras; output sizes follow TensorFlow.

    Runs torch's kernel unpadded, then crops (or zero-pads) each spatial side to
    Keras's left/right padding, which is exact for every argument combination.
    """
    data_format = data_format or "channels_last"
    n = kernel.dim() - 2
    strides, dilation = _tuple(strides, n), _tuple(dilation_rate, n)
    ops_ = (None,) * n if output_padding is None else _tuple(output_padding, n)
    x = _to_cf(inputs, data_format)
    w = kernel.permute(n + 1, n, *range(n))  # (in, out, *k)
    out = _CONV_T[n](x, w, None, strides, 0, 0, 1, dilation)
    index = [_bi.slice(None)] * 2
    flat = []
    for i in range(n):
        k = (kernel.shape[i] - 1) * dilation[i] + 1
        s, op = strides[i], ops_[i]
        if padding == "valid":
            op = _bi.max(k, s) - k if op is None else op
            left, right = k - 1, k - 1 + op
        else:
            pad_len = s + k - 2 if op is None else k + k % 2 - 2 + op
            left = _bi.min(pad_len // 2 + pad_len % 2, k - 1)
            right = pad_len - left
        crop_l, crop_r = k - 1 - left, k - 1 - right
        size = out.shape[2 + i]
        index.append(_bi.slice(_bi.max(crop_l, 0), size - _bi.max(crop_r, 0)))
        flat = [_bi.max(-crop_l, 0), _bi.max(-crop_r, 0)] + flat
    out = out[tuple(index)]
    if _bi.any(flat):
        out = F.pad(out, flat)
    if bias is not None:
        out = out + bias.reshape(-1, *(1,) * n)
    return _from_cf(out, data_format)


def _pool(x, pool_size, strides, padding, data_format, kind):
    """Max or average pooling; 'same' pads as TensorFlow does, and padded cells never count."""
    data_format = data_format or "channels_last"
    n = x.dim() - 2
    pool_size = _tuple(pool_size, n)
    strides = _tuple(strides if strides is not None else pool_size, n)
    x = _to_cf(x, data_format)
    fn = ({1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d} if kind == "max" else
          {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d})[n]
    if padding != "same":
        return _from_cf(fn(x, pool_size, strides), data_format)
    pads = _same_pad(x, pool_size, strides, (1,) * n)
    if _bi.all(lo == hi for lo, hi in pads):  # torch pads in the kernel: -inf for max, uncounted for average
        extra = {} if kind == "max" else {"count_include_pad": False}
        return _from_cf(fn(x, pool_size, strides, tuple(lo for lo, _ in pads), **extra), data_format)
    flat = []
    for lo, hi in reversed(pads):
        flat += [lo, hi]
    if kind == "max":
        out = fn(F.pad(x, flat, value=-math.inf), pool_size, strides)
    else:
        out = fn(F.pad(x, flat), pool_size, strides) / fn(F.pad(torch.ones_like(x[:1, :1]), flat), pool_size, strides)
    return _from_cf(out, data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(inputs, pool_size, strides, padding, data_format, "max")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(inputs, pool_size, strides, padding, data_format, "avg")


# ----------------------------------------------------------------------------- normalisation helpers
def moments(x, axes, keepdims=False, synchronized=False):
    """Keras's ``keras.ops.moments``. With ``synchronized`` in several processes (``torch.distributed``), the
    statistics are those of the global batch: the sums of ``x``, of its squares and the counts are all-reduced
    over the processes, differentiably (as TensorFlow's synchronized moments; Keras itself refuses it on torch)."""
    x = as_tensor(x)
    if synchronized and torch.distributed.is_available() and torch.distributed.is_initialized() \
            and torch.distributed.get_world_size() > 1:
        return _global_moments(x, tuple(axes), keepdims)
    var_, mean_ = torch.var_mean(x, dim=tuple(axes), keepdim=keepdims, correction=0)
    return mean_, var_


def _global_moments(x, axes, keepdims):
    from torch.distributed.nn.functional import all_reduce   # its backward all-reduces the gradients
    total, squares = x.sum(axes, keepdim=True), x.square().sum(axes, keepdim=True)
    count = x.numel() // _bi.max(total.numel(), 1)   # an empty shard (count 0) still takes part
    summed = all_reduce(torch.cat([total.flatten(), squares.flatten(), x.new_tensor([count])]))
    size = total.numel()
    n = summed[-1].clamp_min(1)
    mean_ = (summed[:size] / n).reshape(total.shape)
    var_ = (summed[size:2 * size] / n).reshape(total.shape).sub(mean_.square()).clamp_min(0)
    if not keepdims:
        mean_, var_ = mean_.squeeze(axes), var_.squeeze(axes)
    return mean_, var_


def _batch_norm_affine(x, mean, variance, axis, offset, scale, epsilon):
    """``(inv, shift)`` shaped to broadcast over ``x``: batch normalization is ``x * inv + shift``."""
    shape_ = [1] * x.dim()
    shape_[axis] = x.shape[axis]
    inv = torch.rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * scale
    shift = -mean * inv
    if offset is not None:
        shift = shift + offset
    return inv.reshape(shape_), shift.reshape(shape_)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    inv, shift = _batch_norm_affine(x, mean, variance, axis, offset, scale, epsilon)
    return torch.addcmul(shift, x, inv)  # one pass over x


def batch_normalization_inference(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3, overwrite=False):
    inv, shift = _batch_norm_affine(x, mean, variance, axis, offset, scale, epsilon)
    if not overwrite or torch.is_grad_enabled() or torch.result_type(shift, x) != x.dtype:
        return torch.addcmul(shift, x, inv)
    return torch.addcmul(shift, x, inv, out=x)


def batch_normalization_training(x, axis, offset=None, scale=None, epsilon=1e-3):
    x = as_tensor(x)
    axis = axis % x.dim()
    if x.dtype not in (torch.float32, torch.float64):
        mean_, variance = moments(x, [i for i in range(x.dim()) if i != axis])
        return batch_normalization(x, mean_, variance, axis, offset, scale, epsilon), mean_, variance
    out, mean_, invstd = torch.native_batch_norm(torch.movedim(x, axis, 1), scale, offset, None, None, True, 0.0,
                                                 epsilon)
    return torch.movedim(out, 1, axis), mean_, torch.clamp_min(torch.reciprocal(invstd * invstd) - epsilon, 0.0)


def normalize(x, axis=-1, order=2, epsilon=None):
    """As Keras: ``x * min(rsqrt(sum(x**2)), 1 / epsilon)`` for ``order=2``, else ``x / max(norm, epsilon)``;
    ``epsilon`` defaults to ``keras.config.epsilon()``; arrays and scalars are taken as tensors."""
    _common.check_normalize_order(order)
    x = as_float(x)
    x = x.reshape(1) if x.dim() == 0 else x
    epsilon = settings.epsilon() if epsilon is None else epsilon
    if order == 2:
        return x * torch.clamp_max(torch.rsqrt(torch.sum(x * x, dim=axis, keepdim=True)), 1.0 / epsilon)
    return x / torch.clamp_min(torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True), epsilon)


# ----------------------------------------------------------------------------- losses
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = as_tensor(target), as_tensor(output)
    _common.check_crossentropy_shapes(target.shape, output.shape)
    if from_logits:
        return -(target * torch.log_softmax(output, dim=axis)).sum(dim=axis)
    output = output / output.sum(dim=axis, keepdim=True)
    output = output.clamp(1e-7, 1 - 1e-7)
    return -(target * torch.log(output)).sum(dim=axis)


_NO_LABEL = torch.iinfo(torch.int64).min  # cross_entropy's ignore_index, set where no label can be


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = as_tensor(target).long(), as_tensor(output)
    if target.dim() == output.dim() and target.shape[axis] == 1:
        target = target.squeeze(axis)
    _common.check_crossentropy_shapes(target.shape, output.shape, sparse_axis=axis)
    if from_logits and axis in (-1, output.dim() - 1) and output.dtype in (torch.float32, torch.float64):
        # one fused kernel (log-softmax and pick, one backward node); no label is ignored
        if output.dim() == 2:
            return F.cross_entropy(output, target, reduction="none", ignore_index=_NO_LABEL)
        losses = F.cross_entropy(output.reshape(-1, output.shape[-1]), target.reshape(-1), reduction="none",
                                 ignore_index=_NO_LABEL)
        return losses.view(target.shape)
    if from_logits:
        logp = torch.log_softmax(output, dim=axis)
    else:
        output = output / output.sum(dim=axis, keepdim=True)
        logp = torch.log(output.clamp(1e-7, 1 - 1e-7))
    if axis != -1 and axis != output.dim() - 1:
        logp = torch.movedim(logp, axis, -1)
    return -torch.gather(logp, -1, target.unsqueeze(-1)).squeeze(-1)


def binary_crossentropy(target, output, from_logits=False):
    target, output = as_tensor(target), as_tensor(output)
    _common.check_crossentropy_shapes(target.shape, output.shape)
    target = target.to(output.dtype)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    output = output.clamp(1e-7, 1 - 1e-7)
    return -(target * torch.log(output) + (1 - target) * torch.log(1 - output))


# ----------------------------------------------------------------------------- layer kernels (kerasport extensions)
def dense(x, kernel, bias=None):
    """``x @ kernel + bias``; one fused addmm for 2D inputs.

    On the CPU, a float32 kernel of fewer than 16 columns (a classifier's head) is read through a column-major
    copy when the product is large: PyTorch's CPU sgemm takes about twice as long on a row-major right operand
    that narrow as on ``nn.Linear``'s layout (a 1024x256 by 256x10 product: 190 against 100 us on 2 cores,
    the copy included). In a ``torch.compile`` graph the copy is fused and costs no call, so it is made for any
    batch (and no guard on the batch size is added); ``torch.export`` records the plain product."""
    if kernel.dim() == 2 and kernel.shape[1] < 16 and kernel.dtype == torch.float32 and x.device.type == "cpu" and (
            not torch.compiler.is_exporting() if torch.compiler.is_compiling() else x.numel() >= 65536):
        kernel = kernel.t().contiguous().t()
    if bias is not None and x.dim() == 2:
        return torch.addmm(bias, x, kernel)
    out = torch.matmul(x, kernel)
    return out if bias is None else out + bias


def embedding(indices, table):
    if indices.dtype not in (torch.int64, torch.int32):
        indices = indices.long()
    return F.embedding(indices, table)


# --- normalization helpers (layers/normalization.py)
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """Normalize each sample over ``axis`` (int or list), then ``* gamma + beta``.

    ``gamma`` and ``beta`` have the shape of the normalized dims. Trailing axes use the
    fused ``F.layer_norm`` kernel. ``rms_scaling`` (Keras's deprecated flag) divides by the
    standard deviation without centering and ignores ``beta``.
    """
    epsilon = 1e-7 if epsilon is None else epsilon
    axes = sorted(a % x.dim() for a in ([axis] if isinstance(axis, int) else axis))
    if not rms_scaling and axes == list(range(x.dim() - len(axes), x.dim())):
        return F.layer_norm(x, tuple(x.shape[a] for a in axes), gamma, beta, epsilon)
    bshape = [x.shape[i] if i in axes else 1 for i in range(x.dim())]
    variance, mean_ = torch.var_mean(x, dim=axes, keepdim=True, correction=0)
    inv = torch.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma.reshape(bshape)
    if rms_scaling:
        return x * inv
    shift = -mean_ * inv
    if beta is not None:
        shift = shift + beta.reshape(bshape)
    return x * inv + shift


# ----------------------------------------------------------------------------- more activations
def celu(x, alpha=1.0):
    return F.celu(as_float(x), alpha)


def glu(x, axis=-1):
    x = as_float(x)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: axis {axis} must have an even size; received shape {tuple(x.shape)}.")
    return F.glu(x, dim=axis)


def hard_shrink(x, threshold=0.5):
    return F.hardshrink(as_float(x), threshold)


def hard_tanh(x):
    return F.hardtanh(as_float(x))


def soft_shrink(x, threshold=0.5):
    return F.softshrink(as_float(x), threshold)


def sparsemax(x, axis=-1):
    x = as_float(x)
    srt = torch.sort(x, dim=axis, descending=True).values
    cum = torch.cumsum(srt, dim=axis)
    shape = [1] * x.dim()
    shape[axis] = -1
    r = torch.arange(1, x.shape[axis] + 1, dtype=x.dtype, device=x.device).reshape(shape)
    support = srt - (cum - 1) / r > 0
    k = support.sum(dim=axis, keepdim=True).to(x.dtype)
    tau = (torch.where(support, cum, torch.zeros_like(cum)).sum(dim=axis, keepdim=True) - 1) / k
    return torch.clamp(x - tau, min=0)


def tanh_shrink(x):
    return F.tanhshrink(as_float(x))


def threshold(x, threshold, default_value):
    return F.threshold(as_float(x), threshold, default_value)


# ----------------------------------------------------------------------------- attention and other nn ops
def one_hot(x, num_classes, axis=-1, dtype="float32"):
    out = F.one_hot(as_tensor(x).long().clamp(min=-1) % (num_classes + 1), num_classes + 1)[..., :num_classes]
    out = out.to(to_dtype(dtype))
    return out if axis == -1 else torch.movedim(out, -1, axis)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    x = as_tensor(x)
    orig = x.dtype
    x = x.float() if not x.is_floating_point() or x.element_size() < 4 else x
    eps = 1e-7 if epsilon is None else epsilon
    out = x * torch.rsqrt(torch.mean(x * x, dim=_common.axes_of(axis, x.dim()), keepdim=True) + eps)
    if scale is not None:
        out = out * convert_to_tensor(scale, x.dtype)
    return out.to(orig) if orig.is_floating_point else out


def _large_negative(dtype):
    return -0.7 * (65500.0 if dtype == torch.float16 else 3.38953e38)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention on ``(B, T, N, H)`` query and ``(B, S, K, H)`` key/value.

    Args:
        bias: added to the logits, broadcastable to ``(B, N, T, S)``.
        mask: bool, broadcastable to ``(B, N, T, S)``; False positions get no attention.
        scale: logits multiplier, default ``1 / sqrt(H)``.
        is_causal: mask out keys after each query position.
        attn_logits_soft_cap: when set, logits become ``cap * tanh(logits / cap)``.
    Returns ``(B, T, N, H)``. Runs ``F.scaled_dot_product_attention`` unless a soft cap is asked for.
    """
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    _common.check_attention_inputs(q, k, v, bias, mask, flash_attention, ndim)
    d = torch.promote_types(torch.promote_types(q.dtype, k.dtype), v.dtype)
    q, k, v = (t.to(d).transpose(1, 2) for t in (q, k, v))
    if q.shape[1] > k.shape[1]:
        k, v = (torch.repeat_interleave(t, q.shape[1] // t.shape[1], dim=1) for t in (k, v))
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    if is_causal and mask is None and bias is None and attn_logits_soft_cap is None:  # the causal kernel
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale).transpose(1, 2)
    attn = None
    if mask is not None or is_causal:
        allowed = torch.ones((q.shape[2], k.shape[2]), dtype=torch.bool, device=q.device)
        if is_causal:
            allowed = torch.tril(allowed)
        if mask is not None:
            allowed = allowed & as_tensor(mask).bool()
        # A query that sees no key gets uniform weights and no gradient, as where its logits are replaced: its
        # logits are zeros (a large negative bias on all of them would cost the kernel's backward its precision).
        sees = allowed.any(-1, keepdim=True)
        q = torch.where(sees, q, torch.zeros((), dtype=d, device=q.device))
        attn = torch.where(allowed | ~sees, torch.zeros((), dtype=d, device=q.device),
                           torch.full((), _large_negative(d), dtype=d, device=q.device))
    if bias is not None:
        bias = convert_to_tensor(bias, d)
        attn = bias if attn is None else attn + bias
    if attn_logits_soft_cap is None:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn, scale=scale).transpose(1, 2)
    logits = torch.matmul(q, k.transpose(-1, -2)) * scale
    logits = attn_logits_soft_cap * torch.tanh(logits / attn_logits_soft_cap)
    if attn is not None:
        logits = logits + attn
    return torch.matmul(torch.softmax(logits, dim=-1), v).transpose(1, 2)


def psnr(x1, x2, max_val):
    x1, x2 = as_tensor(x1), as_tensor(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: shapes must match; received {tuple(x1.shape)} and {tuple(x2.shape)}.")
    mse = torch.mean(torch.square(x1 - x2))
    return 20 * torch.log10(torch.as_tensor(max_val, dtype=x2.dtype, device=x2.device)) - 10 * torch.log10(mse)


def _depth_to_space_nhwc(x, b):
    n, h, w, c = x.shape
    b = int(b)
    return x.reshape(n, h, w, b, b, c // (b * b)).permute(0, 1, 3, 2, 4, 5).reshape(n, h * b, w * b, c // (b * b))


def _space_to_depth_nhwc(x, b):
    n, h, w, c = x.shape
    b = int(b)
    return x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5).reshape(n, h // b, w // b, c * b * b)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into ``block_size x block_size`` spatial tiles (TensorFlow's DCR order)."""
    return _common.block_rearrange("depth_to_space", as_tensor(x), block_size, data_format, _depth_to_space_nhwc,
                                   lambda t, perm: t.permute(*perm))


def space_to_depth(x, block_size, data_format="channels_last"):
    return _common.block_rearrange("space_to_depth", as_tensor(x), block_size, data_format, _space_to_depth_nhwc,
                                   lambda t, perm: t.permute(*perm))


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    output = as_float(output)
    logp = torch.log_softmax(output.transpose(0, 1), dim=-1)
    return F.ctc_loss(logp, as_tensor(target).long(), as_tensor(output_length).long(), as_tensor(target_length).long(),
                      blank=mask_index, reduction="none")


def polar(abs_, angle):
    return torch.polar(*promote_float(abs_, angle))


# ----------------------------------------------------------------------------- adaptive pooling, fold and unfold
def _adaptive_pool(name, kernels, inputs, output_size, data_format):
    x = as_tensor(inputs)
    sizes = _common.adaptive_pool_sizes(name, x.shape, output_size)
    data_format = _common.check_data_format(data_format or "channels_last")
    return _from_cf(kernels[len(sizes) - 1](_to_cf(x, data_format), sizes), data_format)


def adaptive_average_pool(inputs, output_size, data_format=None):
    return _adaptive_pool("adaptive_average_pool", (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d,
                                                    F.adaptive_avg_pool3d), inputs, output_size, data_format)


def adaptive_max_pool(inputs, output_size, data_format=None):
    return _adaptive_pool("adaptive_max_pool", (F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d),
                          inputs, output_size, data_format)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    x = as_tensor(x)
    _common.check_patches_input("unfold", x.shape, 4)
    return F.unfold(x, kernel_size, dilation, padding, stride)


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    x = as_tensor(x)
    _common.check_patches_input("fold", x.shape, 3)
    return F.fold(x, output_size, kernel_size, dilation, padding, stride)


# ----------------------------------------------------------------------------- CTC decoding
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
               mask_index=0):
    x = as_float(inputs)
    blank = _common.ctc_decode_blank("ctc_decode", strategy, x.shape, mask_index)
    lengths = as_tensor(sequence_lengths).to(x.device, torch.long)
    batch, steps, _ = x.shape
    if strategy == "greedy":
        best, labels = x.max(-1)
        valid = torch.arange(steps, device=x.device) < lengths[:, None]
        keep = valid & (labels != blank)
        if merge_repeated:
            keep[:, 1:] &= labels[:, 1:] != labels[:, :-1]
        order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)
        decoded = torch.where(keep, labels, -1).gather(1, order).to(torch.int32)
        return decoded[None], -(best * valid).sum(1, keepdim=True)
    log_probs = torch.log_softmax(x, -1).tolist()
    decoded = torch.full((top_paths, batch, steps), -1, dtype=torch.int32)
    scores = torch.full((batch, top_paths), -math.inf, dtype=x.dtype)
    for b, length in enumerate(lengths.tolist()):
        for k, (path, score) in enumerate(_common.ctc_prefix_beam_search(log_probs[b][:length], blank, beam_width,
                                                                          top_paths)):
            decoded[k, b, :len(path)] = torch.tensor(path, dtype=torch.int32)
            scores[b, k] = score
    return decoded.to(x.device), scores.to(x.device)
