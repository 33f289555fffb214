"""The TensorFlow backend: kerasport's contract (``kerasport/backends/contract/``) on tf tensors, one module per op family.

Every function works eagerly and inside ``tf.function``; variables are plain ``tf.Variable`` objects, and
TensorFlow places ops itself (GPU when present). ``kerasport.backends`` binds this package as ``B``
(ops, variables, layer kernels, optimizer kernels, step hooks, dataset pieces); the names of its
modules are gathered here one by one. ``distribute``, ``export``, ``summary`` and ``kernels`` are used as
modules (``kerasport.backends.tensorflow.distribute``, ...).

Module-level imports point down this order only, so the package has no import cycle::

    core                           dtypes, variables, conversion, control flow; imports no sibling
    kernels                        which CPU convolution kernels exist (probed once); imports no sibling
    numpy, math, random            <- core
    linalg                         <- core, math
    nn                             <- core, math, kernels
    image, rnn, strings            import no sibling
    optimizers                     <- core
    distribute                     <- core
    export, summary                import no sibling
    step                           <- distribute
    data                           imports no sibling
    layer_base                     imports no sibling
    optimizer_base                 <- layer_base
"""
import sys as _sys

from kerasport.backends import ops_common as _common
from kerasport.backends.tensorflow.core import (
    as_tensor, assign, associative_scan, axis_arg, cast, cond, convert_to_numpy, convert_to_tensor,
    custom_gradient, device_name, device_scope, dtype, fori_loop, probe_scope, init_scope,
    is_module, is_tensor, is_variable, item, map,
    module_from_text,
    module_to_text, NAME, ndim, no_grad,
    promote_float_pair, promote_pair, remat, result_dtype, saturate_cast, scan, scatter, scatter_update, shape, size,
    slice_update, standardize_dtype, stop_gradient, STRING_TENSORS, switch, Tensor, to_dtype, to_float, variable,
    vectorize, vectorized_map, while_loop, zero_grad)
from kerasport.backends.tensorflow.numpy import (
    abs, absolute, add, all, any, append, arange, argmax, argmin, argsort, array_split, average, bincount,
    broadcast_to, clip, concatenate, copy, corrcoef, correlate, count_nonzero, cumprod, cumsum, diag, diagflat,
    diagonal, diff, digitize, divide, divide_no_nan, dstack, empty, empty_like, equal, expand_dims, eye, flip,
    floor_divide, full, full_like, geomspace, greater, greater_equal, histogram, hstack, identity, isclose, isfinite,
    isinf, isnan, less, less_equal, linspace, logical_and, logical_not, logical_or, logical_xor, logspace, max,
    maximum, mean, median, meshgrid, min, minimum, mod, moveaxis, multiply, nan_to_num, nanquantile, negative,
    nonzero, norm, not_equal, ones, ones_like, pad, power, prod, quantile, ravel, repeat, reshape, roll, rot90, round,
    searchsorted, select, sign, slice, sort, split, square, squeeze, stack, std, subtract, sum, swapaxes, take,
    take_along_axis, tile, trace, transpose, trapezoid, tri, tril, triu, true_divide, unique, unravel_index, unstack,
    vander, var, view, vstack, where, zeros, zeros_like)
from kerasport.backends.tensorflow.math import (
    angle, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, bartlett, bitwise_and, bitwise_invert,
    bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift, bitwise_xor, blackman, cbrt, ceil, conj,
    conjugate, cos, cosh, deg2rad, erf, erfc, erfinv, exp, exp2, expm1, fabs, fft, fft2, floor, fmax, fmin, fmod, gcd,
    hamming, hanning, heaviside, hypot, i0, ifft2, imag, in_top_k, irfft, isin, isneginf, isposinf, isreal, kaiser,
    lcm, ldexp, left_shift, log, log10, log1p, log2, logaddexp, logaddexp2, logsumexp, nextafter, rad2deg, real,
    reciprocal, rfft, right_shift, rsqrt, segment_max, segment_min, segment_prod, segment_sum, signbit, sin, sinc,
    sinh, sqrt, tan, top_k, trunc)
from kerasport.backends.tensorflow.math import (  # noqa: F401
    cdist, extract_sequences, istft, rearrange, stft, view_as_complex, view_as_real)
from kerasport.backends.tensorflow.linalg import jvp  # noqa: F401
from kerasport.backends.tensorflow.linalg import (
    cholesky, cholesky_inverse, cross, det, dot, eig, eigh, einsum, inner, inv, kron, logdet, lstsq, lu_factor,
    matmul, matrix_rank, outer, pinv, qr, slogdet, solve, solve_triangular, svd, tensordot, vdot)
from kerasport.backends.tensorflow.random import (
    dropout, make_generator, RANDOM_SEED_DTYPE, random_normal, random_permutation, random_randint, random_uniform,
    seed, seeded_generator, set_seed_all)
from kerasport.backends.tensorflow.nn import (
    average_pool, batch_normalization, batch_normalization_inference, batch_normalization_training,
    binary_crossentropy, can_overwrite, categorical_crossentropy, celu, conv, conv_transpose,
    ctc_loss, dense, depth_to_space, depthwise_conv, dot_product_attention, elu, embedding, gelu, glu, hard_shrink,
    hard_sigmoid, hard_silu, hard_tanh, layer_normalization, leaky_relu, log_sigmoid, log_softmax, max_pool, moments,
    normalize, one_hot, psnr, relu, relu6, relu_overwriting, rms_normalization, selu, separable_conv, sigmoid, silu,
    soft_shrink, softmax, softplus, softsign, space_to_depth, sparse_categorical_crossentropy, sparsemax, swish, tanh,
    tanh_shrink, threshold)
from kerasport.backends.tensorflow.nn import (  # noqa: F401
    adaptive_average_pool, adaptive_max_pool, ctc_decode, fold, polar, unfold)
from kerasport.backends.tensorflow.image import (
    image_affine_transform, image_hsv_to_rgb, image_map_coordinates, image_resize, image_rgb_to_hsv)
from kerasport.backends.tensorflow.rnn import gru, lstm, rnn
from kerasport.backends.tensorflow.strings import (
    as_strings, rows_flat_values, rows_to_dense, rows_with_values, string_cross_hashed, string_equal,
    string_hash_bucket,
    string_is_symbolic, string_lower, string_ngrams, string_regex_replace, string_split, string_table,
    string_table_lookup)
from kerasport.backends.tensorflow.optimizers import (
    copy_into, foreach_abs, foreach_add, foreach_add_, foreach_addcdiv_, foreach_addcmul, foreach_addcmul_,
    foreach_clamp_max, foreach_clamp_min, foreach_div, foreach_div_, foreach_lerp, foreach_lerp_, foreach_maximum_,
    foreach_mean, foreach_mul, foreach_mul_, foreach_norm, foreach_pow, foreach_sign_, foreach_sqrt, foreach_sqrt_,
    foreach_zero_, fused_adam_, host_variable, increment, read)
from kerasport.backends.tensorflow.step import (
    all_reduce_replica_gradients, batch_size, compile_function, compile_loop, compile_predict_loop,
    compile_user_function, distributed_user_step, gradient_function, replicas_in_sync, replicated, when_samples)
from kerasport.backends.tensorflow.layer_base import LayerBase  # noqa: F401
from kerasport.backends.tensorflow.optimizer_base import OptimizerBase  # noqa: F401
from kerasport.backends.tensorflow.data import (
    arrays_split_source, batch_tensor, dataset_from_batches, decode_wav, split_order, split_parts, split_source)

# The ops that ``ops_common`` writes once from other backend functions (amax, nanmean, hard_swish, ...); they look
# those functions up on this package when they run.
_SHARED = _common.shared_ops(_sys.modules[__name__], to_float=to_float, is_float=lambda x: x.dtype.is_floating)
(
    allclose, amax, amin, argpartition, array, dsplit, fliplr, flipud, get_item, hard_swish, hsplit, multi_hot,
    nanargmax, nanargmin, nancumprod, nancumsum, nanmax, nanmean, nanmedian, nanmin, nanpercentile, nanprod, nanstd,
    nansum, nanvar, percentile, ptp, sparse_plus, sparse_sigmoid, squareplus, vsplit,
) = (_SHARED[name] for name in sorted(_SHARED))
