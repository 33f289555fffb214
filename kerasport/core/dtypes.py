"""Keras's dtype names and type promotion: ``standardize_dtype``, ``result_type``, ``is_float_dtype``.

``result_type`` follows Keras 3's promotion lattice (itself JAX's), including its
backend-dependent choices: a Python ``int`` is ``int64`` on TensorFlow and
``int32`` on torch, and on torch 64-bit results are narrowed to 32 bits, as Keras does.
"""
import functools

from kerasport.backends import B
from kerasport.core.settings import floatx

BOOL_TYPES = ("bool",)
INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
WEAK_TYPES = ("int", "float")
COMPLEX_TYPES = ("complex64", "complex128")
FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
                  "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2", "complex64", "complex128")
_TF = B.NAME == "tensorflow"
_PYTHON = {bool: "bool", int: "int64" if _TF else "int32", float: "float32", str: "string",
           "int": "int64" if _TF else "int32", complex: "complex128" if _TF else "complex64"}
_NARROW = {"int64": "int64" if _TF else "int32", "uint64": "uint32", "float64": "float64" if _TF else "float32",
           "complex128": "complex64"}


def standardize_dtype(dtype):
    """Keras's name of a dtype: ``None`` -> ``floatx()``, ``float`` -> ``"float32"``, ``np.int8`` -> ``"int8"``,
    ``torch.float16`` / ``tf.float16`` -> ``"float16"``. Raises ``ValueError`` for an unknown dtype."""
    if dtype is None:
        return floatx()
    try:
        dtype = _PYTHON.get(dtype, dtype)
    except TypeError:  # unhashable
        pass
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    elif "torch" in str(dtype):
        dtype = str(dtype).split(".")[-1]
    if dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def is_float_dtype(dtype):
    """Whether ``dtype`` is a floating-point dtype (``float16/32/64``, ``bfloat16``, float8)."""
    dtype = standardize_dtype(dtype)
    return dtype.startswith("float") or dtype.startswith("bfloat")


def is_int_dtype(dtype):
    """Whether ``dtype`` is a signed or unsigned integer dtype."""
    dtype = standardize_dtype(dtype)
    return dtype.startswith("int") or dtype.startswith("uint")


def _lattice():
    u1, u2, u4, u8, i1, i2, i4, i8 = INT_TYPES
    bf, f2, f4, f8 = FLOAT_TYPES
    i_, f_ = WEAK_TYPES
    c64, c128 = COMPLEX_TYPES
    return {"bool": [i_], u1: [i2, u2], u2: [i4, u4], u4: [i8, u8], u8: [f_], i_: [u1, i1, c64], i1: [i2],
            i2: [i4], i4: [i8], i8: [f_], f_: [bf, f2], bf: [f4], f2: [f4], f4: [f8, c64], f8: [c128],
            c64: [c128], c128: []}


def _upper_bounds():
    lattice = _lattice()
    bounds = {node: {node} for node in lattice}
    for node in lattice:
        while True:
            grown = set().union(*(lattice[b] for b in bounds[node]))
            if grown <= bounds[node]:
                break
            bounds[node] |= grown
    return bounds


_UPPER = _upper_bounds()


@functools.lru_cache(512)
def _least_upper_bound(*nodes):
    nodes = set(nodes)
    unknown = [n for n in nodes if n not in _UPPER]
    if unknown:
        raise ValueError(f"dtype={unknown[0]!r} is not a valid dtype for Keras type promotion.")
    common = set.intersection(*(_UPPER[n] for n in nodes))
    least = (common & nodes) or {c for c in common if common <= _UPPER[c]}
    if len(least) != 1:
        raise ValueError(f"Input dtypes {tuple(nodes)} have no available implicit dtype promotion path. Try "
                         "explicitly casting inputs to the desired output type.")
    return least.pop()


def _weak(dtype):
    if dtype == "bool":
        return dtype
    for kind in ("float", "int", "complex"):
        if kind in dtype:
            return kind
    raise ValueError(f"Invalid value for argument `dtype`. Expected one of {ALLOWED_DTYPES}. Received: dtype={dtype}")


def _resolve_weak(dtype, precision):
    kind = "f" if dtype == "bfloat16" else dtype[:1]
    return {"b": "bool", "i": f"int{precision}", "u": f"uint{precision}"}.get(kind, f"float{precision}")


def result_type(*dtypes):
    """The dtype Keras gives an operation on values of ``dtypes`` (``floatx()`` for none).

    Python ``int``/``float`` are weak types: they take the other operand's
    precision (``result_type("float16", float)`` is ``"float16"``).
    Example: ``result_type("int32", "float16")`` is ``"float16"``.
    """
    if not dtypes:
        return floatx()
    if any(d in FLOAT8_TYPES for d in dtypes if isinstance(d, str)):
        raise ValueError(f"There is no implicit conversions from float8 dtypes to others. You must cast it "
                         f"internally. Received: {dtypes}")
    args = [floatx() if d is None else d for d in dtypes]
    names = [standardize_dtype(d) for d in args]
    weak = [d is int or d is float for d in args]
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(*set(names)), True
    else:
        out = _least_upper_bound(*{_weak(d) if w else d for d, w in zip(names, weak)})
        out_weak = out in WEAK_TYPES
    if out_weak and out != "bool":
        out = _resolve_weak(out, floatx()[-2:])
    return _NARROW.get(out, out)
