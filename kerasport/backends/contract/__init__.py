"""The backend contract: every function a backend provides, typed and documented once.

A backend is a package ``kerasport/backends/<name>/`` with one module per family; this package has a module of the
same name for each family (``core``, ``numpy``, ``math``, ``linalg``, ``random``, ``nn``, ``image``, ``rnn``,
``optimizers``, ``step``, ``data``, and ``strings`` for backends with ``STRING_TENSORS``), whose function stubs
give each name's signature, types (``contract.types``) and docstring. ``tests/backends/test_contract.py`` checks
that each backend implements every stub with the same parameters, and that the library calls nothing else.
Adding a backend means filling in these modules (plus ``distribute``, ``export`` and ``summary``: the lists below).

Ops follow ``keras.ops`` names and semantics (NumPy-style broadcasting, channels_last images). The lists below
group the names as ``kerasport.ops`` exposes them.
"""
import importlib
import inspect

FAMILIES = ("core", "numpy", "math", "linalg", "random", "nn", "image", "rnn", "optimizers", "step", "data", "strings")
CONSTANTS = {"NAME": "the backend's name, ``torch`` or ``tensorflow``",
             "STRING_TENSORS": "whether string data can be a tensor (else NumPy object arrays)",
             "RANDOM_SEED_DTYPE": "the dtype of a ``SeedGenerator``'s ``state`` (Keras's ``random_seed_dtype``)",
             "LayerBase": "the class every layer derives from (``layer_base``): the framework's side of a layer",
             "OptimizerBase": "the class every optimizer derives from (``optimizer_base``)"}

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

# The rest of keras.ops, grouped as keras.ops.nn / numpy / core / linalg expose them. Complex values (FFT) are ``(real, imag)`` pairs, as in Keras.
EXTRA_NN = ["celu", "glu", "hard_shrink", "hard_tanh", "hard_swish", "soft_shrink", "sparse_plus", "sparse_sigmoid",
            "sparsemax", "squareplus", "tanh_shrink", "threshold", "rms_normalization", "dot_product_attention",
            "psnr", "in_top_k", "multi_hot", "depth_to_space", "space_to_depth", "ctc_loss", "polar",
            "adaptive_average_pool", "adaptive_max_pool", "fold", "unfold", "ctc_decode"]
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
                "solve_triangular", "svd", "slogdet", "logdet", "pinv", "matrix_rank", "jvp"]
EXTRA_FFT = ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft"]
# Only at keras.ops's top level (Keras's ``ops/math.py``), as the FFTs.
EXTRA_MATH = ["extract_sequences", "cdist", "view_as_real", "view_as_complex", "rearrange"]
EXTRA = EXTRA_NN + EXTRA_NUMPY + EXTRA_CORE + EXTRA_LINALG + EXTRA_FFT + EXTRA_MATH

OPS = CREATION + MATH + REDUCTIONS + SHAPES + LINALG + NN + EXTRA
VARIABLES = ["variable", "is_variable", "assign", "standardize_dtype", "to_dtype", "no_grad", "seed",
             "set_seed_all", "make_generator", "seeded_generator", "random_uniform", "random_normal",
             "random_permutation", "random_randint", "dropout",
             "dense", "embedding", "item", "device_name", "zero_grad"]
FOREACH = ["foreach_abs", "foreach_add", "foreach_add_", "foreach_addcdiv_", "foreach_addcmul", "foreach_addcmul_",
           "foreach_clamp_max", "foreach_clamp_min", "foreach_div", "foreach_div_", "foreach_lerp", "foreach_lerp_",
           "foreach_maximum_", "foreach_mean", "foreach_mul", "foreach_mul_", "foreach_norm", "foreach_pow",
           "foreach_sign_", "foreach_sqrt", "foreach_sqrt_", "foreach_zero_"]
TRAINING = ["host_variable", "read", "increment", "copy_into",
            "batch_size", "gradient_function", "compile_function", "compile_user_function", "compile_loop",
            "compile_predict_loop", "replicated", "distributed_user_step", "replicas_in_sync",
            "all_reduce_replica_gradients", "when_samples",
            "dataset_from_batches", "split_source", "arrays_split_source", "split_order", "split_parts"] + FOREACH

# ``backends/<name>/distribute.py`` (data parallelism, one process per device; see kerasport.distribution):
#   list_devices(device_type) -> ["cpu:0"] | ["gpu:0", ...]
#   initialize(devices, strategy=None) -> (rank, processes, replicas)   join the processes of the run
#   activate(replicas); shutdown(); enclosing_strategy() -> TF strategy of a `with scope():` | None
#   all_reduce_sum(tensors) -> tensors summed over processes; broadcast_variables(vars) (from rank 0)
#   when_samples(count, update) (TF: runs update() if count > 0)
#   replicated(step, variables=()) (TF: in the replica context, also of a one-replica strategy that made variables)
#   only where a process has several replicas (TF): check_replicated(vars), merge_local_replicas(metric vars)
DISTRIBUTE = ["list_devices", "initialize", "activate", "shutdown", "enclosing_strategy", "all_reduce_sum",
              "broadcast_variables"]

IMAGE = ["image_resize", "image_affine_transform", "image_rgb_to_hsv", "image_hsv_to_rgb", "image_map_coordinates"]


def missing(backend):
    """Names of the contract that ``backend`` (a backend package) does not define: empty when complete. The
    ``strings`` family is required only of a backend with ``STRING_TENSORS``."""
    families = [f for f in FAMILIES if f != "strings" or getattr(backend, "STRING_TENSORS", False)]
    return [name for name in CONSTANTS if not hasattr(backend, name)] + \
           [name for family in families for name in stubs(family) if not hasattr(backend, name)]


def stubs(family):
    """``{name: stub function}`` of one family module of the contract."""
    module = importlib.import_module(f"kerasport.backends.contract.{family}")
    return {name: fn for name, fn in vars(module).items()
            if inspect.isfunction(fn) and fn.__module__ == module.__name__}


def document(backend):
    """Give each of ``backend``'s own functions that has no docstring the contract's (written once, here)."""
    for family in FAMILIES:
        for name, stub in stubs(family).items():
            fn = getattr(backend, name, None)
            if inspect.isfunction(fn) and fn.__module__.startswith("kerasport.") and not fn.__doc__:
                fn.__doc__ = stub.__doc__
