"""The backend contract: every function a backend module provides, in one place.

A backend is two modules: ``<name>_backend.py`` (tensors, variables, ops: the
names in ``OPS`` plus ``VARIABLES``) and ``<name>_train.py`` (the names in
``TRAINING``). Layers, losses, metrics, optimizers and models call only these.
Ops follow ``keras.ops`` names and semantics (NumPy-style broadcasting,
channels_last images); shapes below use ``B`` for batch and ``C`` for channels.

Tensors and variables
    NAME ("torch" | "tensorflow"); STRING_TENSORS: whether string data can be a tensor (else NumPy object arrays)
    convert_to_tensor(x, dtype=None) -> Tensor     NumPy/Python -> device tensor; float64 -> float32
    convert_to_numpy(x) -> np.ndarray
    variable(value, dtype, trainable, name, constraint=None) -> native variable (nn.Parameter / tf.Variable)
        with .assign / .assign_add / .assign_sub / .numpy() / .path / .constraint
    assign(var, value)                            in-place copy, same shape
    is_tensor(x), is_variable(x), shape(x) -> tuple, ndim(x), size(x), dtype(x) -> "float32", cast(x, dtype)
    standardize_dtype(d), to_dtype(name), stop_gradient(x), no_grad() (context manager)

Random (explicit state)
    seed(n); set_seed_all(n) (Python, NumPy and framework)
    make_generator(seed | None) -> state or None (None: the global, seeded stream)
    random_uniform(shape, minval, maxval, dtype, generator), random_normal(shape, mean, stddev, dtype, generator)
    random_permutation(n, generator) -> int tensor (n,)
    dropout(x, rate, noise_shape=None, generator=None) -> x with rate dropped, rest scaled 1/(1-rate)
    seeded_generator(seed) -> state restarted from an int seed (safe to make inside a compiled step)
    random_randint(shape, minval, maxval, dtype, generator) -> ints uniform in [minval, maxval)

Layer kernels (kerasport extensions; fused where the framework has it)
    dense(x (..., I), kernel (I, U), bias (U,) | None) -> (..., U)
    embedding(indices (...) int, table (V, D)) -> (..., D)
    conv(x (B, *S, C), kernel (*K, C/groups, F), strides, padding "valid"|"same", data_format,
         dilation_rate, bias=None) -> (B, *S', F)
    depthwise_conv(x, kernel (*K, C, M), ..., bias=None) -> (B, *S', C*M)
    separable_conv(x, depthwise (*K, C, M), pointwise (1.., C*M, F), ..., bias=None) -> (B, *S', F)
    conv_transpose(x, kernel (*K, F, C), strides, padding, output_padding, data_format, dilation_rate,
                   bias=None) -> (B, *S', F)
    max_pool / average_pool(x (B, *S, C), pool_size, strides, padding, data_format) -> (B, *S', C)
    moments(x, axes, keepdims) -> (mean, variance); batch_normalization(x, mean, var, axis, offset, scale, eps)
    layer_normalization(x, gamma, beta, axis, epsilon, rms_scaling) -> x normalized per sample over axis

Image kernels (``<name>_image.py``, star-imported into the backend; ``kerasport.ops.image`` validates)
    image_resize(x (N, H, W, C) | (N, C, H, W) float, size, interpolation, antialias, data_format)
    image_affine_transform(x, transform (N | 1, 8), interpolation, fill_mode, fill_value, data_format)
    image_rgb_to_hsv(x (..., 3)), image_hsv_to_rgb(x (..., 3))
    image_map_coordinates(x, coordinates (x.ndim, ...), order 0 | 1, fill_mode, fill_value)

Training (``<name>_train.py``)
    host_variable(value, dtype, name), read(var), increment(counter) -> new count
    weight_decay(vars, lr, decay); sgd(...), adam(...), rmsprop(...), adamax(...), nadam(...), adagrad(...),
        adadelta(...), lion(...), ftrl(...) fused multi-tensor updates (lr, step: Python numbers on torch)
    accumulate(accs, grads), zero(vars), ema(averages, vars, momentum, count), copy_into(targets, sources)
    clip_each_by_norm(grads, c), clip_by_global_norm(grads, c)
    Step hooks (``<name>_step.py``; kerasport.trainers.step writes the steps once over them):
    batch_size(x) -> sample count (torch: int; TF: float tensor)
    value_and_grad(fn, variables, count=None) -> (aux, grads); fn() -> (scalar value, aux)
    compile_function(fn, jit_compile, run_eagerly) -> fn compiled (torch.compile / tf.function, XLA)
    compile_user_function(fn, jit_compile, run_eagerly) -> a user's overridden step, compiled as the backend does
    compile_loop(step, compiled, jit_compile, run_eagerly) -> loop(batches) (TF: in-graph) | None (torch)
    replicated(step), gradient_reducer(), when_samples(count, update): the distribution hooks (below)
    dataset_from_batches(py_dataset) -> backend dataset (tf.data.Dataset / the PyDataset itself)
    split_source(dataset) | arrays_split_source(arrays) -> (samples, total, batch_size); split_order(total,
        shuffle, seed) -> list; split_parts(samples, left_idx, right_idx, batch_size) -> (left, right)
        (``<name>_data.py``, used by kerasport.utils.split_dataset and the *_dataset_from_* builders)
"""

CREATION = ["zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange", "eye", "linspace",
            "identity", "meshgrid"]
MATH = ["add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "power", "negative",
        "abs", "absolute", "sign", "sqrt", "rsqrt", "square", "exp", "expm1", "log", "log1p", "log2", "log10",
        "sin", "cos", "tan", "arctan", "arctan2", "sinh", "cosh", "floor", "ceil", "round", "erf", "reciprocal",
        "maximum", "minimum", "clip", "isnan", "isinf", "isfinite", "nan_to_num", "divide_no_nan",
        "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
        "logical_and", "logical_or", "logical_not", "logical_xor", "where", "erfinv", "logaddexp", "isclose"]
REDUCTIONS = ["sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "argmax", "argmin", "all", "any",
              "cumsum", "norm", "sort", "argsort", "top_k", "segment_sum",
              "cumprod", "count_nonzero", "quantile", "median", "trace"]
SHAPES = ["reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "unstack", "split", "tile",
          "repeat", "broadcast_to", "flip", "moveaxis", "swapaxes", "take", "take_along_axis", "slice", "pad",
          "tril", "triu", "diag", "diagonal", "one_hot", "shape", "ndim", "size", "dtype", "cast", "convert_to_tensor",
          "convert_to_numpy", "is_tensor", "stop_gradient", "cond"]
LINALG = ["matmul", "dot", "tensordot", "einsum", "outer"]
NN = ["relu", "relu6", "sigmoid", "tanh", "softplus", "softsign", "silu", "swish", "selu", "elu", "gelu",
      "leaky_relu", "hard_sigmoid", "hard_silu", "log_sigmoid", "softmax", "log_softmax",
      "conv", "depthwise_conv", "separable_conv", "conv_transpose", "max_pool", "average_pool",
      "moments", "batch_normalization", "normalize", "layer_normalization",
      "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy"]

# The rest of keras.ops (``torch_ops_extra.py`` / ``tf_ops_extra.py``), grouped as keras.ops.nn / numpy / core /
# linalg expose them. Complex values (FFT) are ``(real, imag)`` pairs, as in Keras.
EXTRA_NN = ["celu", "glu", "hard_shrink", "hard_tanh", "hard_swish", "soft_shrink", "sparse_plus", "sparse_sigmoid",
            "sparsemax", "squareplus", "tanh_shrink", "threshold", "rms_normalization", "dot_product_attention",
            "psnr", "in_top_k", "multi_hot", "depth_to_space", "space_to_depth", "ctc_loss"]
EXTRA_NUMPY = ["amax", "amin", "append", "arccos", "arccosh", "arcsin", "arcsinh", "arctanh", "average", "bincount",
               "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_invert", "bitwise_left_shift",
               "bitwise_right_shift", "left_shift", "right_shift", "cbrt", "copy", "correlate", "cross", "deg2rad",
               "rad2deg", "diagflat", "diff", "digitize", "dstack", "hstack", "vstack", "hsplit", "vsplit", "dsplit",
               "array_split", "empty", "empty_like", "erfc", "exp2", "fabs", "fliplr", "flipud", "fmax", "fmin",
               "fmod", "gcd", "lcm", "heaviside", "hypot", "i0", "inner", "isin", "isneginf", "isposinf", "isreal",
               "kron", "ldexp", "logaddexp2", "logspace", "geomspace", "nansum", "nanmean", "nanmax", "nanmin",
               "nanprod", "nanstd", "nanvar", "nanargmax", "nanargmin", "nancumsum", "nancumprod", "nanmedian",
               "nanpercentile", "nanquantile", "nonzero", "percentile", "ptp", "ravel", "roll", "rot90",
               "searchsorted", "select", "signbit", "sinc", "trapezoid", "tri", "trunc", "unravel_index", "vdot",
               "vander", "corrcoef", "histogram", "argpartition", "allclose", "array", "real", "imag", "conj",
               "conjugate", "angle", "nextafter", "view", "bartlett", "blackman", "hamming", "hanning", "kaiser",
               "get_item", "unique", "vectorize"]
EXTRA_CORE = ["scatter", "scatter_update", "slice_update", "saturate_cast", "segment_max", "segment_min",
              "segment_prod", "fori_loop", "while_loop", "scan", "map", "switch", "associative_scan",
              "vectorized_map", "custom_gradient"]
EXTRA_LINALG = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "lstsq", "lu_factor", "qr", "solve",
                "solve_triangular", "svd", "slogdet", "logdet", "pinv", "matrix_rank"]
EXTRA_FFT = ["fft", "fft2", "ifft2", "rfft", "irfft"]
EXTRA = EXTRA_NN + EXTRA_NUMPY + EXTRA_CORE + EXTRA_LINALG + EXTRA_FFT

OPS = CREATION + MATH + REDUCTIONS + SHAPES + LINALG + NN + EXTRA
VARIABLES = ["variable", "is_variable", "assign", "standardize_dtype", "to_dtype", "no_grad", "seed",
             "set_seed_all", "make_generator", "seeded_generator", "random_uniform", "random_normal",
             "random_permutation", "random_randint", "dropout",
             "dense", "embedding", "item", "device_name", "zero_grad"]
TRAINING = ["host_variable", "read", "increment", "weight_decay", "sgd", "adam", "rmsprop",
            "clip_each_by_norm", "clip_by_global_norm", "batch_size", "value_and_grad", "compile_function",
            "compile_user_function", "compile_loop", "replicated", "gradient_reducer", "when_samples",
            "adamax", "nadam", "adagrad", "adadelta", "lion", "ftrl", "accumulate", "zero", "ema", "copy_into",
            "dataset_from_batches", "split_source", "arrays_split_source", "split_order", "split_parts"]

# ``<name>_distribute.py`` (data parallelism, one process per device; see kerasport.distribution):
#   list_devices(device_type) -> ["cpu:0"] | ["gpu:0", ...]
#   initialize(devices, strategy=None) -> (rank, world_size)   join the processes of the run
#   activate(world_size); shutdown(); enclosing_strategy() -> TF strategy of a `with scope():` | None
#   all_reduce_sum(tensors) -> tensors summed over processes; broadcast_variables(vars) (from rank 0)
#   gradient_reducer() -> reduce(grads, params, count) | None: count-weighted mean of the gradients
#   when_samples(count, update) (TF: runs update() if count > 0); replicated(step) (TF: in the replica context)
DISTRIBUTE = ["list_devices", "initialize", "activate", "shutdown", "enclosing_strategy", "all_reduce_sum",
              "broadcast_variables", "gradient_reducer"]

IMAGE = ["image_resize", "image_affine_transform", "image_rgb_to_hsv", "image_hsv_to_rgb", "image_map_coordinates"]


def missing(backend_module, train_module):
    """Names of the contract that a backend does not define (empty when complete)."""
    return [n for n in OPS + VARIABLES + IMAGE if not hasattr(backend_module, n)] + \
           [n for n in TRAINING if not hasattr(train_module, n)]
