"""Framework-neutral code shared by the backend packages (``backends/torch``, ``backends/tensorflow``).

Two kinds: algorithms that work on any tensor type with NumPy-style slicing, the framework calls they
need passed in (``associative_scan``, ``vectorize``, ``scan``, ...); and ``shared_ops(tb, ...)``, the ops
written only in terms of other backend functions, built once per backend module ``tb``. Nothing here
imports a framework or ``kerasport.backends.B``.
"""
import math
import re

import numpy as np


def _named(op, name, doc=None):
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc if doc is not None else op.__doc__
    return op


def unary_float_op(fn, name, to_float):
    """The op ``x -> fn(to_float(x))`` named ``name`` (NumPy's unary math; ints become float32)."""
    return _named(lambda x: fn(to_float(x)), name, f"NumPy's ``{name}``; ints become float32.")


def binary_op(fn, name, operands, doc=""):
    """The op ``(x1, x2) -> fn(*operands(x1, x2))`` named ``name``; ``operands`` promotes the two inputs."""
    return _named(lambda x1, x2: fn(*operands(x1, x2)), name,
                  doc or f"NumPy's ``{name}``, with Keras's dtype promotion.")


def window_op(make, name):
    """The window op ``x -> make(int(x))`` named ``name`` (``make(n)``: the float32 window of length n)."""
    return _named(lambda x: make(int(x)), name, f"The ``{name}`` window of length ``x`` (NumPy's symmetric window).")


def axes_of(axis, rank):
    """``axis`` (None: all of them; an int; a sequence) as the tuple of axes it names of a rank-``rank`` tensor."""
    return tuple(range(rank)) if axis is None else tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)


def reduced_last(axis, rank):
    """``(rest, axes)`` for a reduction over ``axis`` done on the last axis of a reshaped copy (quantiles): the
    kept axes and the reduced ones (non-negative); transposing to ``rest + axes`` puts the reduced ones last."""
    axes = [a % rank for a in axes_of(axis, rank)]
    return [a for a in range(rank) if a not in axes], axes


def kept_dims(shape, axes):
    """``shape`` with the reduced ``axes`` kept as 1 (a reduction's ``keepdims=True`` shape)."""
    return [1 if a in axes else n for a, n in enumerate(shape)]


def check_data_format(data_format):
    """``data_format``, once checked to be "channels_last" or "channels_first"."""
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Expected data_format 'channels_last' or 'channels_first'; received {data_format!r}.")
    return data_format


def check_crossentropy_shapes(target_shape, output_shape, sparse_axis=None):
    """Keras's checks of a crossentropy's arguments: ``target`` of ``output``'s rank and shape (of its shape
    without the class axis ``sparse_axis`` for a sparse one); a dim unknown in a traced graph matches any."""
    target_shape, output_shape = tuple(target_shape), tuple(output_shape)
    received = f"target.shape={target_shape}, output.shape={output_shape}"
    if sparse_axis is not None:
        if not output_shape:
            raise ValueError(f"Argument `output` must be at least rank 1. Received: output.shape={output_shape}")
        axis = sparse_axis % len(output_shape)
        output_shape = output_shape[:axis] + output_shape[axis + 1:]
        if len(target_shape) != len(output_shape):
            raise ValueError(f"Argument `output` must have rank (ndim) `target.ndim - 1`. Received: {received}")
    elif len(target_shape) != len(output_shape):
        raise ValueError(f"Arguments `target` and `output` must have the same rank (ndim). Received: {received}")
    if any(a is not None and b is not None and a != b for a, b in zip(target_shape, output_shape)):
        what = "the same shape. Received:" if sparse_axis is None else "the same shape up until the last dimension:"
        raise ValueError(f"Arguments `target` and `output` must have {what} {received}")


def block_rearrange(name, x, block_size, data_format, channels_last_op, transpose):
    """``depth_to_space`` or ``space_to_depth`` (``name``): checks ``block_size`` (at least 2) and
    ``data_format``, then runs ``channels_last_op(x, block_size)`` on the NHWC ``x``; a channels_first ``x``
    is moved there and back with ``transpose(x, perm)``."""
    if block_size < 2:
        raise ValueError(f"{name}: block_size must be at least 2; received {block_size}.")
    if check_data_format(data_format) == "channels_first":
        return transpose(channels_last_op(transpose(x, (0, 2, 3, 1)), block_size), (0, 3, 1, 2))
    return channels_last_op(x, block_size)


def check_attention_inputs(q, k, v, bias, mask, flash_attention, ndim):
    """The checks ``dot_product_attention`` makes on its tensors and options before any computation
    (``ndim``: the backend's rank function)."""
    if ndim(q) != 4 or ndim(k) != 4 or ndim(v) != 4:
        raise ValueError("dot_product_attention expects 4D (batch, length, heads, head_dim) query/key/value; "
                         f"received {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}.")
    if bias is not None and mask is not None:
        raise ValueError("dot_product_attention: pass `bias` or `mask`, not both.")
    if flash_attention:
        raise ValueError("dot_product_attention: flash_attention=True is not supported by kerasport.")


def complex_parts(x, to_float):
    """The float ``(real, imag)`` parts of a complex input given as a pair, checked to match in shape."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError("Expected a (real, imag) pair of tensors for a complex input; "
                         f"received {type(x).__name__}.")
    re_, im = to_float(x[0]), to_float(x[1])
    if tuple(re_.shape) != tuple(im.shape):
        raise ValueError(f"real and imag parts must have the same shape; received {tuple(re_.shape)} "
                         f"and {tuple(im.shape)}.")
    return re_, im


def check_select(condlist, choicelist):
    """``select``'s check: one choice per condition."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist and choicelist must have the same length; "
                         f"received {len(condlist)} and {len(choicelist)}.")


def cross(a, b, axisa, axisb, axisc, axis, moveaxis, cross3):
    """``np.cross`` of the promoted ``a`` and ``b``: 2- or 3-vectors along ``axisa``/``axisb``, the result's
    vectors along ``axisc`` (``axis`` sets all three); two 2-vectors give the scalar z component.

    ``cross3(a, b)``: the cross product of vectors on the last axis, where either may be a 2-vector (z = 0).
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"cross: vectors must have 2 or 3 components; received {a.shape[-1]} and {b.shape[-1]}.")
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    return moveaxis(cross3(a, b), -1, axisc)


def correlate(a, v, mode, full):
    """``np.correlate`` of the 1-D ``a`` and ``v``: ``full(a, v)`` is the "full" correlation (length
    ``n + m - 1``); "valid" and "same" are cut from it as NumPy does."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full'; received {mode!r}.")
    n, m = a.shape[0], v.shape[0]
    out = full(a, v)
    if mode == "full":
        return out
    if mode == "valid":
        return out[min(n, m) - 1:max(n, m)]
    length = max(n, m)
    start = (out.shape[0] - length) // 2
    return out[start:start + length]


def unique_outputs(out, size, fill_value, return_index, return_inverse, return_counts, fit):
    """``unique``'s result from the list ``out`` (values, then the asked-for first indices, inverse and
    counts): with ``size``, values are padded with ``fill_value`` (default the first value) and first
    indices and counts with 0, or all cut, to ``size`` by ``fit(t, fill)``."""
    if size is not None:
        out[0] = fit(out[0], out[0][0] if fill_value is None else fill_value)
        k = 1
        if return_index:
            out[k] = fit(out[k], 0)
            k += 1
        if return_inverse:
            k += 1
        if return_counts:
            out[k] = fit(out[k], 0)
    return out[0] if len(out) == 1 else tuple(out)


def scan(f, init, xs, length, reverse, leaves, item, stack_tree):
    """``keras.ops.scan`` as a Python loop: ``carry, y = f(carry, item(i))`` over ``range(n)``.

    Args:
        leaves: the flattened ``xs`` (``n`` is their leading size unless ``length`` is given).
        item: ``item(i)`` -> the nest ``xs`` at index ``i`` of the leading axis.
        stack_tree: stacks a list of nests leaf by leaf.
    Returns ``(carry, stacked ys)`` (``ys`` None when ``f`` returns None for ``y``).
    """
    if xs is None and length is None:
        raise ValueError("scan: pass `xs` or `length`.")
    n = int(length) if length is not None else leaves[0].shape[0]
    carry, ys = init, []
    for i in (reversed(range(n)) if reverse else range(n)):
        carry, y = f(carry, None if xs is None else item(i))
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys or ys[0] is None:
        return carry, None
    return carry, stack_tree(ys)


def fft_ops(make_complex, to_float, to_pair, c_fft, c_fft2, c_ifft2, r_fft, r_ifft):
    """``fft``, ``fft2``, ``ifft2``, ``rfft`` and ``irfft`` on complex values given as ``(real, imag)`` pairs of
    float tensors (as in Keras), built from a framework's complex kernels.

    Args:
        make_complex: ``(re, im) -> z``; to_float: ``x`` as a float tensor; to_pair: ``z -> (real, imag)``.
        c_fft, c_fft2, c_ifft2: ``z -> z`` over the last axis (two axes for the 2-D ones).
        r_fft: ``(x, n) -> z``, r_ifft: ``(z, n) -> x`` (``n``: the signal length, or None).
    Returns a dict ``{name: function}``.
    """
    def to_complex(x):
        return make_complex(*complex_parts(x, to_float))

    def fft(x):
        """FFT over the last axis of a complex ``(real, imag)`` pair."""
        return to_pair(c_fft(to_complex(x)))

    def fft2(x):
        """2-D FFT over the last two axes of a ``(real, imag)`` pair."""
        return to_pair(c_fft2(to_complex(x)))

    def ifft2(x):
        """Inverse 2-D FFT over the last two axes of a ``(real, imag)`` pair."""
        return to_pair(c_ifft2(to_complex(x)))

    def rfft(x, fft_length=None):
        """FFT of real ``x`` over the last axis: ``(real, imag)`` with ``fft_length // 2 + 1`` bins."""
        return to_pair(r_fft(to_float(x), fft_length))

    def irfft(x, fft_length=None):
        """Inverse of ``rfft``: a real signal of ``fft_length`` samples from a ``(real, imag)`` pair."""
        return r_ifft(to_complex(x), fft_length)

    return {name: _named(fn, name) for name, fn in (("fft", fft), ("fft2", fft2), ("ifft2", ifft2), ("rfft", rfft),
                                                    ("irfft", irfft))}


def shared_ops(tb, to_float, is_float):
    """The ``keras.ops`` functions written only in terms of other backend functions, built for the backend
    package ``tb`` (``backends/torch`` or ``backends/tensorflow``); each package's ``__init__`` binds them.

    ``tb``'s functions are looked up when an op runs, not here: ``tb`` is still being built when this runs,
    and some ops used (``nanquantile``) come from the package itself.

    Args:
        tb: the backend package.
        to_float: ``x`` as a float tensor (ints and bools become float32; floats and complex unchanged).
        is_float: whether a tensor has a (real) floating-point dtype.
    Returns a dict ``{name: function}``.
    """
    def nan_fill(x, value):
        x = tb.as_tensor(x)
        return tb.where(tb.isnan(x), value, x) if is_float(x) else x

    def hard_swish(x):
        """Alias of ``hard_silu``: ``x * relu6(x + 3) / 6``."""
        return tb.hard_silu(to_float(x))

    def sparse_plus(x):
        """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between."""
        x = to_float(x)
        return tb.where(x <= -1, tb.zeros_like(x), tb.where(x >= 1, x, (x + 1) ** 2 / 4))

    def sparse_sigmoid(x):
        """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""
        return tb.clip((to_float(x) + 1) / 2, 0.0, 1.0)

    def squareplus(x, b=4):
        """``(x + sqrt(x**2 + b)) / 2``."""
        x = to_float(x)
        return (x + tb.sqrt(x * x + b)) / 2

    def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
        """Multi-hot encoding: ``(B, L)`` int labels -> ``(B, num_classes)``, 1 where a label occurs."""
        if num_classes is None:
            num_classes = kwargs.pop("num_tokens", None)
        if num_classes is None:
            raise ValueError("multi_hot: `num_classes` is required.")
        if sparse:
            raise ValueError("multi_hot: sparse=True is not supported by kerasport.")
        x = tb.as_tensor(inputs)
        out = tb.one_hot(x, num_classes, axis=axis, dtype=dtype or "float32")
        return tb.max(out, axis=1 if tb.ndim(x) > 1 else 0)

    def array(x, dtype=None):
        """``convert_to_tensor`` under NumPy's name."""
        return tb.convert_to_tensor(x, dtype)

    def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
        """Whether all elements are close (a 0-d bool tensor)."""
        return tb.all(tb.isclose(x1, x2, rtol, atol, equal_nan))

    def amax(x, axis=None, keepdims=False):
        return tb.max(x, axis=axis, keepdims=keepdims)

    def amin(x, axis=None, keepdims=False):
        return tb.min(x, axis=axis, keepdims=keepdims)

    def ptp(x, axis=None, keepdims=False):
        """Range (max - min) along ``axis``."""
        return tb.max(x, axis, keepdims) - tb.min(x, axis, keepdims)

    def nansum(x, axis=None, keepdims=False):
        """Sum treating NaNs as 0."""
        return tb.sum(nan_fill(x, 0.0), axis, keepdims)

    def nanprod(x, axis=None, keepdims=False):
        """Product treating NaNs as 1."""
        return tb.prod(nan_fill(x, 1.0), axis, keepdims)

    def nanmean(x, axis=None, keepdims=False):
        """Mean over the non-NaN elements."""
        x = to_float(x)
        valid = tb.cast(tb.logical_not(tb.isnan(x)), x.dtype)
        return tb.sum(nan_fill(x, 0.0), axis, keepdims) / tb.sum(valid, axis, keepdims)

    def nanvar(x, axis=None, keepdims=False):
        """Variance over the non-NaN elements."""
        x = to_float(x)
        mu = nanmean(x, axis, keepdims=True)
        return nanmean(tb.square(x - mu), axis, keepdims)

    def nanstd(x, axis=None, keepdims=False):
        return tb.sqrt(nanvar(x, axis, keepdims))

    def nanmax(x, axis=None, keepdims=False):
        """Max ignoring NaNs (NaN where a slice is all NaN)."""
        x = tb.as_tensor(x)
        if not is_float(x):
            return tb.max(x, axis, keepdims)
        out = tb.max(nan_fill(x, -math.inf), axis, keepdims)
        return tb.where(tb.all(tb.isnan(x), axis, keepdims), math.nan, out)

    def nanmin(x, axis=None, keepdims=False):
        """Min ignoring NaNs (NaN where a slice is all NaN)."""
        x = tb.as_tensor(x)
        if not is_float(x):
            return tb.min(x, axis, keepdims)
        out = tb.min(nan_fill(x, math.inf), axis, keepdims)
        return tb.where(tb.all(tb.isnan(x), axis, keepdims), math.nan, out)

    def nanargmax(x, axis=None, keepdims=False):
        """Index of the max ignoring NaNs."""
        return tb.argmax(nan_fill(x, -math.inf), axis, keepdims)

    def nanargmin(x, axis=None, keepdims=False):
        """Index of the min ignoring NaNs."""
        return tb.argmin(nan_fill(x, math.inf), axis, keepdims)

    def nancumsum(x, axis=None, dtype=None):
        return tb.cumsum(nan_fill(x, 0.0), axis, dtype)

    def nancumprod(x, axis=None, dtype=None):
        return tb.cumprod(nan_fill(x, 1.0), axis, dtype)

    def nanmedian(x, axis=None, keepdims=False):
        return tb.nanquantile(x, 0.5, axis=axis, keepdims=keepdims)

    def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
        return tb.nanquantile(x, to_float(q) / 100.0, axis, method, keepdims)

    def percentile(x, q, axis=None, method="linear", keepdims=False):
        """``quantile`` with ``q`` in percent."""
        return tb.quantile(x, to_float(q) / 100.0, axis, method, keepdims)

    def fliplr(x):
        return tb.flip(x, 1)

    def flipud(x):
        return tb.flip(x, 0)

    def hsplit(x, indices_or_sections):
        x = tb.as_tensor(x)
        return tb.split(x, indices_or_sections, 1 if tb.ndim(x) > 1 else 0)

    def vsplit(x, indices_or_sections):
        return tb.split(x, indices_or_sections, 0)

    def dsplit(x, indices_or_sections):
        return tb.split(x, indices_or_sections, 2)

    def argpartition(x, kth, axis=-1):
        """Indices that partition ``x`` around its ``kth`` element (here: a stable full argsort)."""
        return tb.argsort(x, axis)

    def get_item(x, key):
        """``x[key]``."""
        return tb.as_tensor(x)[key]

    return {name: _named(fn, name) for name, fn in locals().items()
            if name not in ("tb", "to_float", "is_float", "nan_fill")}


def associative_scan(fn, leaves, concat, interleave):
    """Inclusive scan of the associative ``fn`` over axis 0 of the tensors in ``leaves``, in O(log n)
    vectorized steps (the Blelloch-style recursion of ``jax.lax.associative_scan``).

    Args:
        fn: ``fn(a_leaves, b_leaves) -> leaves``, elementwise over axis 0.
        concat: ``concat([t1, t2])`` along axis 0; interleave: ``interleave(even, odd)`` -> e0 o0 e1 o1 ...
            (``even`` may be one longer than ``odd``).
    """
    n = leaves[0].shape[0]
    if n < 2:
        return leaves
    odd = associative_scan(fn, fn([x[0:-1:2] for x in leaves], [x[1::2] for x in leaves]), concat, interleave)
    if n % 2 == 0:
        even = fn([o[:-1] for o in odd], [x[2::2] for x in leaves])
    else:
        even = fn(odd, [x[2::2] for x in leaves])
    even = [concat([x[:1], e]) for x, e in zip(leaves, even)]
    return [interleave(e, o) for e, o in zip(even, odd)]


def parse_signature(signature):
    """Numbers of core dimensions of each input of a NumPy gufunc ``signature`` such as "(n),(n)->()"."""
    if signature is None:
        return None
    match = re.match(r"^((\([^)]*\),?)*)->", signature.replace(" ", ""))
    if not match:
        raise ValueError(f"vectorize: invalid signature {signature!r}; expected e.g. '(n),(n)->()'.")
    return [len([d for d in s.split(",") if d]) for s in re.findall(r"\(([^)]*)\)", match.group(1))]


def vectorize(pyfunc, excluded, signature, vmap, to_tensor, broadcast_shapes, broadcast_to):
    """NumPy's ``vectorize`` built from a framework's ``vmap``: one ``vmap`` per broadcast batch axis."""
    excluded = set(excluded or ())
    core = parse_signature(signature)

    def wrapped(*args, **kwargs):
        keep = [i for i in range(len(args)) if i not in excluded]
        tensors = [to_tensor(args[i]) for i in keep]
        dims = core or [0] * len(tensors)
        shapes = [tuple(t.shape) for t in tensors]
        batch = tuple(broadcast_shapes([s[:len(s) - d] for s, d in zip(shapes, dims)]))
        tensors = [broadcast_to(t, batch + s[len(s) - d:]) for t, s, d in zip(tensors, shapes, dims)]

        def call(*ts):
            full = list(args)
            for i, t in zip(keep, ts):
                full[i] = t
            return pyfunc(*full, **kwargs)

        fn = call
        for _ in batch:
            fn = vmap(fn)
        return fn(*tensors)

    wrapped.__name__ = getattr(pyfunc, "__name__", "vectorized")
    return wrapped


def check_stft_arguments(name, sequence_length, sequence_stride, fft_length, window):
    """The checks ``stft`` and ``istft`` (``name``) make on their arguments before any computation."""
    if isinstance(sequence_stride, bool) or not isinstance(sequence_stride, int) or sequence_stride <= 0:
        raise ValueError(f"{name}: `sequence_stride` must be a positive integer; received "
                         f"sequence_stride={sequence_stride!r}.")
    if fft_length < sequence_length:
        raise ValueError(f"{name}: `fft_length` must be at least `sequence_length`; received "
                         f"sequence_length={sequence_length}, fft_length={fft_length}.")
    if isinstance(window, str) and window not in ("hann", "hamming"):
        raise ValueError(f'{name}: a string `window` must be "hann" or "hamming"; received window={window!r}.')


def check_window(name, shape, sequence_length):
    """A tensor ``window`` of ``stft``/``istft`` (its ``shape``) must hold ``sequence_length`` values."""
    if tuple(shape) != (sequence_length,):
        raise ValueError(f"{name}: `window` must have shape ({sequence_length},) (sequence_length); received "
                         f"shape {tuple(shape)}.")


def istft_span(fft_length, sequence_stride, frames, length, center):
    """``(start, end)``: the slice of the overlap-added signal ``istft`` returns (Keras's trimming)."""
    start = fft_length // 2 if center else 0
    if length is not None:
        return start, start + length
    return start, -(fft_length // 2) if center else fft_length + sequence_stride * (frames - 1)


def check_cdist(x_shape, y_shape):
    """``cdist``'s checks: both inputs of rank 2 or more, with the same last dimension."""
    if len(x_shape) < 2 or len(y_shape) < 2 or x_shape[-1] != y_shape[-1]:
        raise ValueError("cdist: expected inputs (..., m, d) and (..., n, d) of rank >= 2 with the same last "
                         f"dimension; received shapes {tuple(x_shape)} and {tuple(y_shape)}.")


def check_real_pairs(shape):
    """``view_as_complex``'s check: the last axis holds (real, imag), so it has size 2."""
    if len(shape) < 1 or shape[-1] != 2:
        raise ValueError("view_as_complex: the last dimension must be 2 (real and imaginary parts); received "
                         f"shape {tuple(shape)}.")


def adaptive_pool_sizes(name, shape, output_size):
    """The output's spatial sizes of adaptive pooling (``name``) of an input of ``shape`` (rank 3 to 5: batch,
    channels and 1 to 3 spatial axes), checked; an int ``output_size`` serves every spatial axis."""
    spatial = len(shape) - 2
    if spatial not in (1, 2, 3):
        raise ValueError(f"{name}: expected a 3D, 4D or 5D input (batch, 1 to 3 spatial axes, channels); "
                         f"received shape {tuple(shape)}.")
    sizes = tuple(output_size) if isinstance(output_size, (list, tuple)) else (output_size,) * spatial
    if len(sizes) != spatial or not all(isinstance(n, int) and n > 0 for n in sizes):
        raise ValueError(f"{name}: `output_size` must be a positive int or {spatial} of them for a "
                         f"{len(shape)}D input; received output_size={output_size!r}.")
    return sizes


def adaptive_windows(length, size):
    """Adaptive pooling's windows along an axis of ``length``: window ``i`` covers ``floor(i * length / size)``
    up to ``ceil((i + 1) * length / size)`` (PyTorch's and Keras's). Returns ``(index, weight)``, ``(size,
    widest)`` NumPy arrays: each window's indices (its last one repeated to fill the row) and ``1 / its
    length`` for its own indices, 0 for the fill."""
    starts = [i * length // size for i in range(size)]
    ends = [-(-(i + 1) * length // size) for i in range(size)]
    widest = max(e - s for s, e in zip(starts, ends))
    steps = np.arange(widest)
    index = np.array([np.minimum(s + steps, e - 1) for s, e in zip(starts, ends)], "int32")
    weight = np.array([(steps < e - s) / (e - s) for s, e in zip(starts, ends)])
    return index, weight


def check_patches_input(name, shape, rank):
    """``unfold`` (NCHW images, ``rank`` 4) and ``fold`` (blocks ``(N, C * kh * kw, L)``, ``rank`` 3) inputs."""
    if len(shape) != rank:
        what = "(N, C, H, W) image" if rank == 4 else "(N, C * kernel_h * kernel_w, L) blocks"
        raise ValueError(f"{name}: expected a {rank}D {what} input; received shape {tuple(shape)}.")


def patch_indices(channels, size, kernel_size, dilation, padding, stride):
    """Where ``unfold``'s values come from: flat indices into the zero-padded ``(channels, H + 2 * pad_h,
    W + 2 * pad_w)`` image of ``size`` ``(H, W)``, as a ``(channels * kh * kw, L)`` NumPy array (``L``: the
    block positions, row-major). Returns ``(index, padded (Hp, Wp))``; ``fold`` sums blocks into the same places.
    """
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
        tuple(v) if isinstance(v, (list, tuple)) else (v, v) for v in (kernel_size, dilation, padding, stride))
    hp, wp = size[0] + 2 * ph, size[1] + 2 * pw
    rows, cols = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    c, i, j, y, x = np.ix_(range(channels), range(kh), range(kw), range(rows), range(cols))
    index = c * hp * wp + (y * sh + i * dh) * wp + x * sw + j * dw
    return index.reshape(channels * kh * kw, rows * cols), (hp, wp)


_REARRANGE_TOKEN = re.compile(r"\(([^()]*)\)|([A-Za-z_]\w*)|(\S)")


def _rearrange_side(side, pattern):
    groups = []
    for match in _REARRANGE_TOKEN.finditer(side):
        group, axis, other = match.groups()
        if other is not None or group is not None and not all(a.isidentifier() for a in group.split()):
            raise ValueError(f"rearrange: expected axis names and (groups) of them in the pattern; received "
                             f"{pattern!r}.")
        groups.append(group.split() if group is not None else [axis])
    return groups


def rearrange_plan(pattern, shape, axes_lengths):
    """How ``rearrange`` (einops notation, as ``keras.ops.rearrange``) moves a tensor of ``shape``:
    ``(split, permutation, merged)``, the shape with the input's groups split into their axes, the
    permutation of those axes that gives the output's order, and the output's shape. ``shape`` may hold
    framework scalars (unknown dims): the sizes are computed with ``*`` and ``//`` only."""
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"rearrange: the pattern must be 'input axes -> output axes'; received {pattern!r}.")
    left, right = pattern.split("->")
    inputs, outputs = _rearrange_side(left, pattern), _rearrange_side(right, pattern)
    names_in = [a for group in inputs for a in group]
    names_out = [a for group in outputs for a in group]
    if len(inputs) != len(shape):
        raise ValueError(f"rearrange: the pattern {pattern!r} has {len(inputs)} input axes, the tensor "
                         f"{len(shape)} (shape {tuple(shape)}).")
    if len(set(names_in)) != len(names_in) or sorted(names_in) != sorted(names_out):
        raise ValueError(f"rearrange: each axis must appear once on each side of the pattern; received {pattern!r}.")
    if set(axes_lengths) - set(names_in):
        raise ValueError(f"rearrange: axes {sorted(set(axes_lengths) - set(names_in))} are not in the pattern "
                         f"{pattern!r}.")
    sizes = {}
    for group, dim in zip(inputs, shape):
        unknown = [a for a in group if a not in axes_lengths]
        if len(unknown) > 1:
            raise ValueError(f"rearrange: give the lengths of all but one of the axes {group} (as keyword "
                             f"arguments); received {axes_lengths}.")
        known = math.prod(axes_lengths[a] for a in group if a in axes_lengths)
        sizes.update({a: axes_lengths[a] for a in group if a in axes_lengths})
        if unknown:
            sizes[unknown[0]] = dim // known
        if isinstance(dim, int) and (dim % known if unknown else dim != known):
            raise ValueError(f"rearrange: an input axis of {dim} cannot be split as {group} with the lengths "
                             f"{ {a: axes_lengths[a] for a in group if a in axes_lengths} }.")
    return ([sizes[a] for a in names_in], [names_in.index(a) for a in names_out],
            [math.prod(sizes[a] for a in group) for group in outputs])


def ctc_decode_blank(name, strategy, shape, mask_index):
    """``ctc_decode``'s checks (a known strategy, ``(batch, steps, classes)`` inputs); returns the blank class
    (``mask_index``; None: the last class)."""
    if strategy not in ("greedy", "beam_search"):
        raise ValueError(f"{name}: strategy must be 'greedy' or 'beam_search'; received {strategy!r}.")
    if len(shape) != 3:
        raise ValueError(f"{name}: expected inputs (batch, steps, classes); received shape {tuple(shape)}.")
    return shape[-1] - 1 if mask_index is None else mask_index % shape[-1]


def _log_add(a, b):
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def ctc_prefix_beam_search(log_probs, blank, beam_width, top_paths):
    """CTC prefix beam search over one sequence's per-step log-probabilities (a list of lists, the classes
    of each step), as TensorFlow's decoder does it: each prefix keeps the probability of its alignments
    ending in a blank and in its last label; at each step it goes on (a blank, or its last label again) and
    grows by every other label, merged by prefix; the ``beam_width`` most probable survive. Returns the
    ``top_paths`` best ``(labels, log probability)``, the most probable first."""
    beams = {(): (0.0, -math.inf)}  # prefix -> (log p ending in blank, log p ending in its last label)
    for step in log_probs:
        grown = {}

        def add(prefix, blank_p, label_p):
            old_blank, old_label = grown.get(prefix, (-math.inf, -math.inf))
            grown[prefix] = (_log_add(old_blank, blank_p), _log_add(old_label, label_p))

        for prefix, (blank_p, label_p) in beams.items():
            total = _log_add(blank_p, label_p)
            last = prefix[-1] if prefix else None
            add(prefix, total + step[blank], label_p + step[last] if prefix else -math.inf)
            for label, p in enumerate(step):
                if label != blank:
                    add(prefix + (label,), -math.inf, (blank_p if label == last else total) + p)
        ranked = sorted(grown.items(), key=lambda item: -_log_add(*item[1]))
        beams = dict(ranked[:beam_width])
    ranked = sorted(beams.items(), key=lambda item: -_log_add(*item[1]))[:top_paths]
    return [(list(prefix), _log_add(*p)) for prefix, p in ranked]


def check_normalize_order(order):
    """``ops.normalize``'s ``order``: an int of at least 1, as Keras checks it."""
    if not isinstance(order, int) or not order >= 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
