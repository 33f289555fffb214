"""PyTorch backend, image kernels behind ``kerasport.ops.image``: resizing, projective warps, HSV,
map_coordinates.

Images are 4-D ``(N, H, W, C)`` or
``(N, C, H, W)`` float tensors (``kerasport/ops_image.py`` validates, batches and
casts). Every kernel reproduces TensorFlow's (the oracle Keras runs on): half-pixel
resizing, Keys cubic with TF's coefficient table, ``ImageProjectiveTransformV3``'s
fill modes and rounding.
"""
import math

import torch
import torch.nn.functional as F

_TABLE = 1024  # TF's ResizeBicubic looks the Keys-cubic weights up in a table of 1024 steps.


def _nchw(images, data_format):
    return images.permute(0, 3, 1, 2) if data_format == "channels_last" else images


def _back(images, data_format):
    return images.permute(0, 2, 3, 1) if data_format == "channels_last" else images


def _keys_cubic(x):
    return torch.where(x >= 2, torch.zeros_like(x), torch.where(
        x >= 1, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, ((1.5 * x - 2.5) * x) * x + 1.0))


def _lanczos(radius):
    def kernel(x):
        y = radius * torch.sin(math.pi * x) * torch.sin(math.pi * x / radius) / (math.pi ** 2 * x * x).clamp_min(1e-30)
        return torch.where(x > radius, torch.zeros_like(x), torch.where(x <= 1e-3, torch.ones_like(x), y))
    return kernel


_KERNELS = {"bilinear": lambda x: (1 - x).clamp_min(0), "bicubic": _keys_cubic,
            "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0)}
_RADIUS = {"bilinear": 1.0, "bicubic": 2.0, "lanczos3": 3.0, "lanczos5": 5.0}


def _scale_translate_weights(n_in, n_out, method, antialias, device):
    """TF's ScaleAndTranslate weights (n_out, n_in): the kernel at each source pixel, renormalized."""
    inv_scale = 1.0 / (float(n_out) / float(n_in))
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (torch.arange(n_out, dtype=torch.float32, device=device) + 0.5) * inv_scale
    pos = torch.arange(n_in, dtype=torch.float32, device=device) + 0.5
    w = _KERNELS[method]((pos[None, :] - sample[:, None]).abs() / kernel_scale)
    total = w.sum(1, keepdim=True)
    w = torch.where(total.abs() >= 1000.0 * torch.finfo(torch.float32).tiny, w / total, w)
    inside = (sample >= 0) & (sample <= n_in)
    return w * inside[:, None]


def _bicubic_weights(n_in, n_out, device):
    """TF's ResizeBicubic (half-pixel, Keys a=-0.5) weights: four taps from its coefficient table,
    taps outside the image dropped and the rest renormalized."""
    src = (torch.arange(n_out, dtype=torch.float32, device=device) + 0.5) * (float(n_in) / float(n_out)) - 0.5
    base = torch.floor(src)
    offset = torch.round((src - base) * _TABLE)  # lrintf: round half to even, like torch.round
    x0 = offset / _TABLE
    x1 = (_TABLE - offset) / _TABLE
    a = -0.5
    near = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731
    far = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731
    taps = torch.stack([far(x0 + 1), near(x0), near(x1), far(x1 + 1)], 1)
    index = base.long()[:, None] + torch.arange(-1, 3, device=device)[None, :]
    valid = (index >= 0) & (index < n_in)
    taps = taps * valid
    total = taps.sum(1, keepdim=True)
    taps = torch.where(total.abs() >= 1000.0 * torch.finfo(torch.float32).tiny, taps / total, taps)
    return torch.zeros(n_out, n_in, device=device).scatter_add_(1, index.clamp(0, n_in - 1), taps)


def _area_weights(n_in, n_out, device):
    """TF's ResizeArea weights: the overlap of each output box with each input pixel, over the box size."""
    scale = float(n_in) / float(n_out)
    lo = torch.arange(n_out, dtype=torch.float32, device=device)[:, None] * scale
    j = torch.arange(n_in, dtype=torch.float32, device=device)[None, :]
    overlap = (torch.minimum(j + 1, lo + scale) - torch.maximum(j, lo)).clamp_min(0)
    return overlap / scale


def _weights(n_in, n_out, interpolation, antialias, device):
    if interpolation == "area":
        return _area_weights(n_in, n_out, device)
    if interpolation == "bicubic" and not antialias:
        return _bicubic_weights(n_in, n_out, device)
    return _scale_translate_weights(n_in, n_out, interpolation, antialias, device)


def image_resize(images, size, interpolation="bilinear", antialias=False, data_format="channels_last"):
    """Resize a float batch ``images`` (N, H, W, C) / (N, C, H, W) to ``size`` (height, width).

    ``interpolation``: "bilinear", "nearest", "bicubic", "area", "lanczos3" or "lanczos5", with
    TensorFlow's half-pixel conventions (``tf.image.resize``); ``antialias`` widens the kernel
    when downsampling (ignored for "nearest" and "area", as in TF).
    """
    x = _nchw(images, data_format)
    height, width = int(size[0]), int(size[1])
    if interpolation == "nearest":
        out = F.interpolate(x, size=(height, width), mode="nearest-exact")
    elif interpolation == "bilinear" and not antialias:
        out = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)
    else:
        wh = _weights(x.shape[2], height, interpolation, antialias, x.device).to(x.dtype)
        ww = _weights(x.shape[3], width, interpolation, antialias, x.device).to(x.dtype)
        out = torch.einsum("nchw,oh,pw->ncop", x, wh, ww)
    return _back(out.contiguous(), data_format)


def _map_coordinate(coord, size, fill_mode):
    """TF's MapCoordinate: fold an input coordinate back into [0, size-1] per ``fill_mode``."""
    if fill_mode == "constant":
        return coord
    if size <= 1:
        return torch.zeros_like(coord)
    if fill_mode == "reflect":
        sz2 = 2 * size
        neg = sz2 * torch.trunc(-coord / sz2) + coord
        neg = torch.where(neg < -size, neg + sz2, -neg - 1)
        pos = coord - sz2 * torch.trunc(coord / sz2)
        pos = torch.where(pos >= size, sz2 - pos - 1, pos)
        coord = torch.where(coord < 0, neg, torch.where(coord > size - 1, pos, coord))
    elif fill_mode == "wrap":
        sz = size - 1
        neg = coord + size * (torch.trunc(-coord / sz) + 1)
        pos = coord - size * torch.trunc(coord / sz)
        coord = torch.where(coord < 0, neg, torch.where(coord > size - 1, pos, coord))
    return coord.clamp(0, size - 1)


def _gather(flat, iy, ix, height, width, fill_value):
    """Pixels (N, P, C) of ``flat`` (N, H*W, C) at integer (N, P) coordinates; ``fill_value`` outside."""
    inside = (iy >= 0) & (iy < height) & (ix >= 0) & (ix < width)
    index = (iy.clamp(0, height - 1) * width + ix.clamp(0, width - 1)).long()
    values = torch.gather(flat, 1, index[..., None].expand(-1, -1, flat.shape[-1]))
    return torch.where(inside[..., None], values, torch.as_tensor(fill_value, dtype=flat.dtype, device=flat.device))


def image_affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0,
                           data_format="channels_last"):
    """Warp a batch of images by projective transforms (N or 1, 8), as TF's ImageProjectiveTransformV3.

    Each row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` maps an output pixel (x, y) to the input point
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``; points outside are
    resolved by ``fill_mode`` ("constant", "nearest", "wrap", "reflect"); ``interpolation`` is
    "nearest" or "bilinear". Gradients flow to the images, not to the transform.
    """
    x = images.permute(0, 2, 3, 1) if data_format == "channels_first" else images
    n, height, width, channels = x.shape
    t = transform.to(torch.float32).detach()
    t = t.expand(n, 8) if t.shape[0] == 1 else t
    gy, gx = torch.meshgrid(torch.arange(height, dtype=torch.float32, device=x.device),
                            torch.arange(width, dtype=torch.float32, device=x.device), indexing="ij")
    gx, gy = gx.reshape(1, -1), gy.reshape(1, -1)
    k = t[:, 6:7] * gx + t[:, 7:8] * gy + 1.0
    safe_k = torch.where(k == 0, torch.ones_like(k), k)
    in_x = _map_coordinate((t[:, 0:1] * gx + t[:, 1:2] * gy + t[:, 2:3]) / safe_k, width, fill_mode)
    in_y = _map_coordinate((t[:, 3:4] * gx + t[:, 4:5] * gy + t[:, 5:6]) / safe_k, height, fill_mode)
    flat = x.reshape(n, height * width, channels)
    if interpolation == "nearest":
        rx = torch.sign(in_x) * torch.floor(in_x.abs() + 0.5)  # std::round: halves away from zero
        ry = torch.sign(in_y) * torch.floor(in_y.abs() + 0.5)
        out = _gather(flat, ry.long(), rx.long(), height, width, fill_value)
    else:
        x0, y0 = torch.floor(in_x), torch.floor(in_y)
        wx, wy = (in_x - x0)[..., None].to(x.dtype), (in_y - y0)[..., None].to(x.dtype)
        x0, y0 = x0.long(), y0.long()
        top = (1 - wx) * _gather(flat, y0, x0, height, width, fill_value) + \
            wx * _gather(flat, y0, x0 + 1, height, width, fill_value)
        bottom = (1 - wx) * _gather(flat, y0 + 1, x0, height, width, fill_value) + \
            wx * _gather(flat, y0 + 1, x0 + 1, height, width, fill_value)
        out = (1 - wy) * top + wy * bottom
    out = torch.where((k == 0)[..., None], torch.as_tensor(fill_value, dtype=out.dtype, device=out.device), out)
    out = out.reshape(n, height, width, channels)
    return out.permute(0, 3, 1, 2) if data_format == "channels_first" else out


def image_rgb_to_hsv(images):
    """RGB -> HSV along the last axis, all in [0, 1] (``tf.image.rgb_to_hsv``)."""
    r, g, b = images.unbind(-1)
    value = torch.maximum(torch.maximum(r, g), b)
    rng = value - torch.minimum(torch.minimum(r, g), b)
    saturation = torch.where(value > 0, rng / torch.where(value > 0, value, torch.ones_like(value)),
                             torch.zeros_like(value))
    safe = torch.where(rng > 0, rng, torch.ones_like(rng))
    hue = torch.where(value == r, (g - b) / safe,
                      torch.where(value == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    hue = torch.where(rng > 0, hue / 6.0, torch.zeros_like(hue))
    hue = torch.where(hue < 0, hue + 1.0, hue)
    return torch.stack([hue, saturation, value], -1)


def image_hsv_to_rgb(images):
    h, s, v = images.unbind(-1)
    dh = h * 6.0
    dr = (torch.abs(dh - 3.0) - 1.0).clamp(0.0, 1.0)
    dg = (2.0 - torch.abs(dh - 2.0)).clamp(0.0, 1.0)
    db = (2.0 - torch.abs(dh - 4.0)).clamp(0.0, 1.0)
    one_minus_s = 1.0 - s
    return torch.stack([(one_minus_s + s * dr) * v, (one_minus_s + s * dg) * v, (one_minus_s + s * db) * v], -1)


def _fold(index, size, fill_mode):
    if fill_mode == "constant":
        return index.clamp(0, size - 1), (index >= 0) & (index < size)
    if fill_mode == "nearest":
        return index.clamp(0, size - 1), None
    if fill_mode == "wrap":
        return torch.remainder(index, size), None
    period = 2 * size  # mirror / reflect, as Keras
    mod = torch.remainder(index.abs(), period)
    folded = torch.where(mod < size, mod, period - mod)
    if fill_mode == "reflect":
        folded = torch.where(mod < size, folded, folded - 1)
    return folded.clamp(0, size - 1), None


def image_map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    dtype = inputs.dtype
    coords = coordinates.to(torch.float32) if not coordinates.is_floating_point() else coordinates
    taps = []
    for axis, size in enumerate(inputs.shape):
        c = coords[axis]
        if order == 0:
            taps.append([(torch.round(c).long(), torch.ones_like(c))])  # round half to even, as tf.round
        else:
            lower = torch.floor(c)
            w = c - lower
            taps.append([(lower.long(), 1 - w), (lower.long() + 1, w)])
    total = 0
    for combo in _product(taps):
        flat_index, weight, valid = 0, 1, None
        for axis, (index, w) in enumerate(combo):
            size = inputs.shape[axis]
            folded, ok = _fold(index, size, fill_mode)
            flat_index = flat_index * size + folded
            weight = weight * w
            if ok is not None:
                valid = ok if valid is None else valid & ok
        values = inputs.reshape(-1)[flat_index].to(weight.dtype)
        if valid is not None:
            values = torch.where(valid, values, torch.as_tensor(fill_value, dtype=values.dtype, device=values.device))
        total = total + weight * values
    if not dtype.is_floating_point:
        total = torch.round(total)
    return total.to(dtype)


def _product(lists):
    combos = [[]]
    for options in lists:
        combos = [c + [o] for c in combos for o in options]
    return combos
