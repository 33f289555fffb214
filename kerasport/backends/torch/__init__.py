"""The PyTorch backend: kerasport's contract (``kerasport/backends/contract/``) on torch tensors, one module
per op family; ``kerasport.backends`` binds it as ``B``.

Module-level imports point down this order (a module imports only modules listed before it):

    core        dtypes, Variable, conversion, device, the operand helpers, keras.ops.core (imports no sibling)
    numpy       keras.ops.numpy                                             (core)
    math        keras.ops.math and the special elementwise functions         (core, numpy)
    linalg      products and keras.ops.linalg                               (core)
    random      seeds, generators, random_* and dropout                     (core)
    nn          layer kernels and keras.ops.nn                              (core, numpy)
    image       image kernels of kerasport.ops.image                        (none)
    onednn_lstm the fused CPU LSTM as torch.compile-able custom ops         (none)
    rnn         recurrent kernels                                           (onednn_lstm)
    optimizers  multi-tensor optimizer primitives                           (none)
    distribute  collectives for data parallelism                            (core)
    step        the hooks of the steps kerasport.trainers writes once         (distribute)
    data        dataset pieces of kerasport.utils's builders                (core)
    layer_base  the class every layer derives from                         (none)
    optimizer_base  the class every optimizer derives from                 (none)
    export      serving writers                                             (core)
    summary     TensorBoard event writing                                   (none)

The public names of the op, kernel, step and data modules are gathered below. ``distribute``, ``export`` and
``summary`` are imported by name where they are needed (``kerasport.distribution``, ``kerasport.saving.export``,
the TensorBoard callback): export and summary load on demand. The function ``rnn`` hides the ``rnn`` module
here: import it as ``kerasport.backends.torch.rnn``.
"""
import sys as _sys

from kerasport.backends import ops_common as _common
from kerasport.backends.torch.core import (  # noqa: F401
    as_float, as_tensor, assign, associative_scan, cast, cond, convert_to_numpy, convert_to_tensor, custom_gradient,
    DEVICE, device_name, device_scope, dtype, fori_loop, probe_scope, init_scope,
    is_module, is_tensor, is_variable, item, map,
    module_from_text,
    module_to_text, NAME, ndim, no_grad, saturate_cast,
    scan, scatter, scatter_update, shape, size, slice_update, standardize_dtype, stop_gradient, STRING_TENSORS,
    remat, switch, Tensor, to_dtype, Variable, variable, vectorized_map, while_loop, zero_grad)
from kerasport.backends.torch.numpy import (  # noqa: F401
    abs, absolute, add, all, any, append, arange, arctan, arctan2, argmax, argmin, argsort, array_split, average,
    bartlett, bincount, blackman, broadcast_to, ceil, clip, concatenate, corrcoef, correlate, cos, cosh,
    count_nonzero, cumprod, cumsum, diag, diagflat, diagonal, diff, digitize, divide, divide_no_nan, dstack, empty,
    empty_like, equal, exp, expand_dims, expm1, eye, flip, floor, floor_divide, full, full_like, geomspace, greater,
    greater_equal, hamming, hanning, histogram, hstack, identity, isclose, isfinite, isinf, isnan, kaiser, less,
    less_equal, linspace, log, log10, log1p, log2, logaddexp, logical_and, logical_not, logical_or, logical_xor,
    logspace, max, maximum, mean, median, meshgrid, min, minimum, mod, moveaxis, multiply, nan_to_num, nanquantile,
    negative, nonzero, norm, not_equal, ones, ones_like, pad, power, prod, quantile, ravel, reciprocal, repeat,
    reshape, roll, rot90, round, rsqrt, searchsorted, select, sign, sin, sinh, slice, sort, split, sqrt, square,
    squeeze, stack, std, subtract, sum, swapaxes, take, take_along_axis, tan, tile, trace, transpose, trapezoid, tri,
    tril, triu, true_divide, unique, unravel_index, unstack, vander, var, vectorize, view, vstack, where, zeros,
    zeros_like)
from kerasport.backends.torch.math import (  # noqa: F401
    angle, arccos, arccosh, arcsin, arcsinh, arctanh, bitwise_and, bitwise_invert, bitwise_left_shift, bitwise_not,
    bitwise_or, bitwise_right_shift, bitwise_xor, cbrt, conj, conjugate, copy, deg2rad, erf, erfc, erfinv, exp2, fabs,
    fft, fft2, fmax, fmin, fmod, gcd, heaviside, hypot, i0, ifft2, imag, in_top_k, irfft, isin, isneginf, isposinf,
    isreal, lcm, ldexp, left_shift, logaddexp2, logsumexp, nextafter, rad2deg, real, rfft, right_shift, segment_max,
    segment_min, segment_prod, segment_sum, signbit, sinc, top_k, trunc)
from kerasport.backends.torch.math import (  # noqa: F401
    cdist, extract_sequences, istft, rearrange, stft, view_as_complex, view_as_real)
from kerasport.backends.torch.linalg import jvp  # noqa: F401
from kerasport.backends.torch.linalg import (  # noqa: F401
    cholesky, cholesky_inverse, cross, det, dot, eig, eigh, einsum, inner, inv, kron, logdet, lstsq, lu_factor,
    matmul, matrix_rank, outer, pinv, qr, slogdet, solve, solve_triangular, svd, tensordot, vdot)
from kerasport.backends.torch.random import (  # noqa: F401
    dropout, make_generator, RANDOM_SEED_DTYPE, random_normal, random_permutation, random_randint, random_uniform,
    seed, seeded_generator, set_seed_all)
from kerasport.backends.torch.nn import (  # noqa: F401
    average_pool, batch_normalization, batch_normalization_inference, batch_normalization_training,
    binary_crossentropy, can_overwrite, categorical_crossentropy, celu, conv, conv_transpose,
    ctc_loss, dense, depth_to_space, depthwise_conv, dot_product_attention, elu, embedding, gelu, glu, hard_shrink,
    hard_sigmoid, hard_silu, hard_tanh, layer_normalization, leaky_relu, log_sigmoid, log_softmax, max_pool, moments,
    normalize, one_hot, psnr, relu, relu6, relu_overwriting, rms_normalization, selu, separable_conv, sigmoid, silu,
    soft_shrink, softmax, softplus, softsign, space_to_depth, sparse_categorical_crossentropy, sparsemax, swish, tanh,
    tanh_shrink, threshold)
from kerasport.backends.torch.nn import (  # noqa: F401
    adaptive_average_pool, adaptive_max_pool, ctc_decode, fold, polar, unfold)
from kerasport.backends.torch.image import (  # noqa: F401
    image_affine_transform, image_hsv_to_rgb, image_map_coordinates, image_resize, image_rgb_to_hsv)
from kerasport.backends.torch.rnn import (  # noqa: F401
    gru, lstm, rnn)
from kerasport.backends.torch.optimizers import (  # noqa: F401
    copy_into, foreach_abs, foreach_add, foreach_add_, foreach_addcdiv_, foreach_addcmul, foreach_addcmul_,
    foreach_clamp_max, foreach_clamp_min, foreach_div, foreach_div_, foreach_lerp, foreach_lerp_, foreach_maximum_,
    foreach_mean, foreach_mul, foreach_mul_, foreach_norm, foreach_pow, foreach_sign_, foreach_sqrt, foreach_sqrt_,
    foreach_zero_, fused_adam_, host_variable, increment, read)
from kerasport.backends.torch.step import (  # noqa: F401
    all_reduce_replica_gradients, batch_size, compile_function, compile_loop, compile_predict_loop,
    compile_user_function, distributed_user_step, gradient_function, replicas_in_sync, replicated, when_samples)
from kerasport.backends.torch.layer_base import LayerBase  # noqa: F401
from kerasport.backends.torch.optimizer_base import OptimizerBase  # noqa: F401
from kerasport.backends.torch.data import (  # noqa: F401
    arrays_split_source, batch_tensor, dataset_from_batches, decode_wav, split_order, split_parts, split_source)

# The ops that ``ops_common`` writes once from other backend functions (amax, nanmean, hard_swish, ...); they look
# those functions up on this package when they run.
_SHARED = _common.shared_ops(_sys.modules[__name__], to_float=as_float, is_float=lambda x: x.is_floating_point())
(
    allclose, amax, amin, argpartition, array, dsplit, fliplr, flipud, get_item, hard_swish, hsplit, multi_hot,
    nanargmax, nanargmin, nancumprod, nancumsum, nanmax, nanmean, nanmedian, nanmin, nanpercentile, nanprod, nanstd,
    nansum, nanvar, percentile, ptp, sparse_plus, sparse_sigmoid, squareplus, vsplit,
) = (_SHARED[name] for name in sorted(_SHARED))
