"""PyTorch backend, core: dtypes, Variable, conversion, device, shape/cast/no_grad, the operand helpers
every op module uses, keras.ops.core's scatter and control flow. The bottom of the package.
"""
import builtins as _bi
import contextlib
import os
import sys
import threading

import numpy as np
import torch
import torch.utils._device
import torch.utils._pytree

from kerasport.backends import ops_common as _common


NAME = "torch"
STRING_TENSORS = False  # no string tensor: string data stays in NumPy object arrays on the host
Tensor = torch.Tensor

_dev = os.environ.get("KERASPORT_DEVICE")
DEVICE = torch.device(_dev if _dev else ("cuda" if torch.cuda.is_available() else "cpu"))
if DEVICE.type == "cuda" and DEVICE.index is None and "LOCAL_RANK" in os.environ:
    DEVICE = torch.device("cuda", int(os.environ["LOCAL_RANK"]))  # torchrun: one GPU per process
    torch.cuda.set_device(DEVICE)

_DTYPES = {
    "float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
    "float64": torch.float64, "int8": torch.int8, "int16": torch.int16,
    "int32": torch.int32, "int64": torch.int64, "uint8": torch.uint8,
    "bool": torch.bool, "complex64": torch.complex64,
    "float8_e4m3fn": torch.float8_e4m3fn, "float8_e5m2": torch.float8_e5m2,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


def to_dtype(dtype):
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, np.dtype) or isinstance(dtype, type):
        dtype = np.dtype(dtype).name
    try:
        return _DTYPES[dtype]
    except KeyError:
        raise ValueError(f"Unknown dtype {dtype!r}; expected one of {sorted(_DTYPES)}") from None


def standardize_dtype(dtype):
    """Keras dtype name (``"float32"``) of a torch/numpy dtype or name."""
    if isinstance(dtype, torch.dtype):
        return _NAMES[dtype]
    if dtype in (float, "float"):
        return "float32"
    if dtype in (int, "int"):
        return "int64"
    return np.dtype(dtype).name if not isinstance(dtype, str) else dtype


# ----------------------------------------------------------------------------- variables
class Variable(torch.nn.Parameter):
    """A ``torch.nn.Parameter`` with Keras's variable methods (assign, numpy, name)."""

    regularizer = None  # set by ``add_weight(regularizer=...)``, as Keras
    overwrite_with_gradient = False

    def __new__(cls, value, trainable=True, name=None):
        self = super().__new__(cls, value, requires_grad=trainable and value.is_floating_point())
        self._kp_name = name
        self.path = name
        self.constraint = None
        return self

    @property
    def name(self):
        return self._kp_name

    @property
    def trainable(self):
        return self.requires_grad

    @trainable.setter
    def trainable(self, flag):
        self.requires_grad_(bool(flag) and self.is_floating_point())

    @property
    def value(self):
        return self

    def assign(self, value):
        with torch.no_grad():
            self.copy_(convert_to_tensor(value, self.dtype).reshape(self.shape))
        return self

    def assign_add(self, value):
        with torch.no_grad():
            self.add_(value if isinstance(value, (int, float)) else convert_to_tensor(value, self.dtype))
        return self

    def assign_sub(self, value):
        with torch.no_grad():
            self.sub_(value if isinstance(value, (int, float)) else convert_to_tensor(value, self.dtype))
        return self

    def numpy(self):
        return self.detach().cpu().numpy()

    def __repr__(self):
        return f"<Variable path={self.path}, shape={tuple(self.shape)}, dtype={_NAMES[self.dtype]}>"

    def __reduce_ex__(self, proto):
        return (Variable, (self.detach().cpu(), self.requires_grad, self.name))

    def __deepcopy__(self, memo):
        copy = Variable(self.detach().clone(), self.requires_grad, self.name)
        copy.__dict__.update(self.__dict__)  # path, constraint and the other attributes a layer gave it
        return copy


def variable(value, dtype=None, trainable=True, name=None, constraint=None):
    """Create a native variable (``torch.nn.Parameter``) holding ``value``; ``.constraint`` is applied
    by the optimizer step."""
    v = Variable(convert_to_tensor(value, dtype).detach().clone(), trainable, name)
    v.constraint = constraint
    return v


def is_variable(x):
    return isinstance(x, torch.nn.Parameter)


def is_module(x):
    return isinstance(x, torch.nn.Module)


def module_to_text(module):
    import base64
    import io
    buffer = io.BytesIO()
    torch.save(module, buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def module_from_text(text):
    import base64
    import io
    return torch.load(io.BytesIO(base64.b64decode(text.encode("ascii"))), weights_only=False)


def assign(var, value):
    var.assign(value)


# ----------------------------------------------------------------------------- conversion
def _python_scalars(x, types):
    """Whether the nested lists / tuples ``x`` hold only Python scalars of ``types`` (``type(v) in types``: a
    NumPy scalar is not one)."""
    return all(_python_scalars(v, types) if isinstance(v, (list, tuple)) else type(v) in types for v in x)


_SCALAR_DTYPES = {bool: torch.bool, int: torch.int32, float: torch.float32}


def convert_to_tensor(x, dtype=None):
    """A tensor on the backend's device, as Keras converts: a NumPy array keeps its dtype (float64 stays float64);
    Python floats (alone or in lists) become float32 and Python ints int32; string data (which no torch tensor
    holds) becomes a NumPy object array, as the string layers take it."""
    dtype = to_dtype(dtype)
    if isinstance(x, torch.Tensor):
        if dtype is not None and x.dtype != dtype:
            x = x.to(dtype)
        return x if x.device == DEVICE else x.to(DEVICE)
    if type(x) in (bool, int, float):  # without NumPy: torch.compile traces it; an int is int32, as Keras
        if dtype is None:
            dtype = torch.int64 if type(x) is int and not -2**31 <= x < 2**31 else _SCALAR_DTYPES[type(x)]
        return torch.tensor(x, dtype=dtype, device=DEVICE)
    if isinstance(x, (list, tuple)) and dtype is None:
        array = np.asarray(x)
        if array.dtype == np.int64 and _python_scalars(x, (int,)):
            array = array.astype(np.int32)  # Python ints: int32, as Keras
        elif array.dtype == np.float64 and _python_scalars(x, (int, float)):
            array = array.astype(np.float32)  # Python floats: floatx, as Keras
        x = array
    elif not isinstance(x, np.ndarray):
        x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if dtype is None and (x.dtype.kind in "US" or x.dtype.kind == "O" and x.size and all(
            isinstance(v, (str, bytes)) for v in x.flat)):
        return x.astype(object)  # strings: no torch tensor holds them; they stay a NumPy array on the host
    if not x.flags.writeable or not x.flags.c_contiguous:
        x = np.array(x, order="C")
    return torch.from_numpy(x).to(device=DEVICE, dtype=dtype)


def convert_to_numpy(x):
    if isinstance(x, torch.Tensor):
        variable, x = isinstance(x, torch.nn.Parameter), x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        array = x.cpu().numpy()
        return array.copy() if variable else array  # a variable's value, not a view that later assigns change
    return np.asarray(x)


def is_tensor(x):
    return isinstance(x, torch.Tensor)


def shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else tuple(as_tensor(x).shape)


def ndim(x):
    return x.dim() if hasattr(x, "dim") else as_tensor(x).dim()


def size(x):
    return x.numel() if hasattr(x, "numel") else as_tensor(x).numel()  # a shape tuple too, as Keras


def dtype(x):
    return _NAMES[x.dtype]


def cast(x, dtype):
    x = convert_to_tensor(x)
    d = to_dtype(dtype)
    return x if x.dtype == d else x.to(d)


def stop_gradient(x):
    return x.detach()


def item(x):
    return x.item()


# ----------------------------------------------------------------------------- operand helpers
def as_tensor(x):
    """``x`` itself if it is a tensor (on whatever device), else ``convert_to_tensor(x)``."""
    return x if isinstance(x, torch.Tensor) else convert_to_tensor(x)


def operand(x):
    """``x`` as a tensor; a Python scalar becomes a 0-d CPU tensor, which torch promotes weakly (as Keras
    does) and passes to device kernels without a host-to-device copy."""
    if isinstance(x, torch.Tensor):
        return x
    return torch.tensor(x) if isinstance(x, (int, float)) else convert_to_tensor(x)


def as_float(x):
    """``x`` as a float tensor (ints and bools become float32, as in Keras)."""
    x = as_tensor(x)
    return x if x.is_floating_point() or x.is_complex() else x.float()


def promote(x1, x2):
    """Two operands promoted to one dtype (Python scalars weakly typed, as Keras does)."""
    x1, x2 = operand(x1), operand(x2)
    d = torch.result_type(x1, x2)
    dev = x1.device if x1.dim() else x2.device
    return x1.to(dev, d), x2.to(dev, d)


def promote_float(x1, x2):
    """``promote(x1, x2)``, then float32 when the common dtype is not a float."""
    x1, x2 = promote(x1, x2)
    return (x1, x2) if x1.is_floating_point() else (x1.float(), x2.float())


# ----------------------------------------------------------------------------- control flow and misc
def cond(pred, true_fn, false_fn):
    return true_fn() if bool(pred) else false_fn()


def no_grad():
    return torch.no_grad()


class _MetaProbe(torch.overrides.TorchFunctionMode):
    """Every torch call runs on the ``meta`` device: its tensor arguments (the layers' variables too) are taken as
    empty ``meta`` tensors of their shapes and dtypes, and new tensors are made there. Shapes and dtypes come out
    as on the CPU, and nothing is computed or changed; a call that needs values (``.item()``, ``.numpy()``) or a
    kernel without a ``meta`` form raises."""

    unknown_dims = False
    real = threading.local()  # ``depth``: how many ``init_scope``s are open

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if not getattr(_MetaProbe.real, "depth", 0):
            if func in _CONSTRUCTORS:
                kwargs = {**kwargs, "device": "meta"}
            args, kwargs = torch.utils._pytree.tree_map(_to_meta, (args, kwargs))
        return func(*args, **kwargs)

    @staticmethod
    def placeholder(shape, dtype):
        return torch.empty(shape, dtype=to_dtype(dtype), device="meta")


_CONSTRUCTORS = torch.utils._device._device_constructors()


def _to_meta(x):
    if isinstance(x, torch.Tensor) and x.device.type != "meta":
        return torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device="meta")
    return x


def probe_scope(elements):
    """``_MetaProbe``; None for inputs of fewer than a million values until ``meta`` kernels have been loaded: their
    first use imports torch's decompositions (3 s), where small inputs take milliseconds on real zeros."""
    if elements < 1 << 20 and "torch._meta_registrations" not in sys.modules:
        return None
    return _MetaProbe()


@contextlib.contextmanager
def init_scope():
    """Variables and what a ``build`` makes are real tensors, also inside a ``probe_scope``."""
    _MetaProbe.real.depth = getattr(_MetaProbe.real, "depth", 0) + 1
    try:
        yield
    finally:
        _MetaProbe.real.depth -= 1


def device_name():
    return str(DEVICE)


def _torch_device(device_name):
    """``device_name`` (``"cpu"``, ``"cpu:0"``, ``"gpu:0"``, ``"cuda"``, a ``torch.device``) as a torch device."""
    if isinstance(device_name, torch.device):
        return device_name
    if not isinstance(device_name, str):
        raise ValueError("Invalid value for argument `device_name`. Expected a string like 'gpu:0' or 'cpu'. "
                         f"Received: device_name={device_name!r}")
    name = device_name.lower().replace("gpu", "cuda")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ValueError("Invalid value for argument `device_name`. Expected a device like 'cpu', 'cpu:0', "
                         f"'gpu:0' or 'cuda:1'. Received: device_name={device_name!r}") from None
    if dev.type == "cuda" and (not torch.cuda.is_available() or (dev.index or 0) >= torch.cuda.device_count()):
        raise ValueError(f"Invalid value for argument `device_name`: {device_name!r} names a GPU, but torch sees "
                         f"{torch.cuda.device_count()} CUDA device(s).")
    return dev


class device_scope:
    """Tensors and variables created inside go to ``device_name`` (Keras's torch ``device_scope``).

    Every backend module reads the module global ``DEVICE`` when it creates a tensor; the scope rebinds it in
    each of them, and puts the previous device back on exit.
    """

    def __init__(self, device_name):
        self.device = _torch_device(device_name)

    def __enter__(self):
        self.previous = DEVICE
        self._rebind(DEVICE, self.device)
        return self.device

    def __exit__(self, *exc):
        self._rebind(self.device, self.previous)  # also in backend modules first imported inside the block

    @staticmethod
    def _rebind(old, new):
        import sys
        for name, module in list(sys.modules.items()):
            if name.startswith("kerasport.backends.torch") and getattr(module, "DEVICE", None) is old:
                module.DEVICE = new


def remat(f):
    """``f`` recomputed in the backward pass (``torch.utils.checkpoint``, non-reentrant) instead of storing
    its intermediate activations."""
    import torch.utils.checkpoint

    def wrapped(*args, **kwargs):
        return torch.utils.checkpoint.checkpoint(f, *args, use_reentrant=False, **kwargs)

    return wrapped


def zero_grad(variables):
    """Drop the ``.grad`` that ``loss.backward()`` left on ``variables``."""
    for v in variables:
        v.grad = None


# ----------------------------------------------------------------------------- keras.ops.core
def _indices(indices):
    idx = as_tensor(indices).long()
    return tuple(idx[..., i] for i in range(idx.shape[-1]))


def scatter(indices, values, shape):
    values = as_tensor(values)
    out = torch.zeros(tuple(shape), dtype=values.dtype, device=values.device)
    return out.index_put_(_indices(indices), values, accumulate=True)


def scatter_update(inputs, indices, updates, reduction=None):
    x = as_tensor(inputs).clone()
    idx, upd = _indices(indices), as_tensor(updates).to(x.dtype)
    if reduction is None:
        return x.index_put_(idx, upd)
    if reduction == "add":
        return x.index_put_(idx, upd, accumulate=True)
    if reduction not in ("max", "min", "mul"):
        raise ValueError(f"scatter_update: unsupported reduction {reduction!r}; expected None, 'add', 'max', "
                         "'min' or 'mul'.")
    k = len(idx)
    flat_idx = torch.zeros_like(idx[0])
    for i, n in zip(idx, x.shape[:k]):
        flat_idx = flat_idx * n + i
    flat = x.reshape((-1,) + x.shape[k:])
    upd = upd.reshape((-1,) + x.shape[k:])
    index = flat_idx.reshape((-1,) + (1,) * (flat.dim() - 1)).expand_as(upd)
    mode = {"max": "amax", "min": "amin", "mul": "prod"}[reduction]
    return flat.scatter_reduce(0, index, upd, mode, include_self=True).reshape(x.shape)


def slice_update(inputs, start_indices, updates):
    x, u = as_tensor(inputs).clone(), as_tensor(updates)
    x[tuple(_bi.slice(int(s), int(s) + n) for s, n in zip(start_indices, u.shape))] = u.to(x.dtype)
    return x


def saturate_cast(x, dtype):
    x, d = as_tensor(x), to_dtype(dtype)
    if d == torch.bool or x.dtype == d:
        return x.to(d)
    info = torch.finfo(d) if d.is_floating_point else torch.iinfo(d)
    src = torch.finfo(x.dtype) if x.is_floating_point() else torch.iinfo(x.dtype) if x.dtype != torch.bool else None
    if src is not None:
        lo, hi = _bi.max(info.min, src.min), _bi.min(info.max, src.max)
        if x.is_floating_point() and not d.is_floating_point:
            hi = float(np.nextafter(np.float32(hi), -np.inf)) if x.dtype == torch.float32 and hi > 2 ** 24 else hi
        x = torch.clamp(x, lo, hi)
    return x.to(d)


def fori_loop(lower, upper, body_fun, init_val):
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = (loop_vars,) if single else tuple(loop_vars)
    n = 0
    while bool(cond(*vars_)) and (maximum_iterations is None or n < maximum_iterations):
        out = body(*vars_)
        vars_ = (out,) if single or not isinstance(out, (list, tuple)) else tuple(out)
        n += 1
    return vars_[0] if single else type(loop_vars)(vars_)


def _stack_tree(items):
    flat = [torch.utils._pytree.tree_flatten(i) for i in items]
    leaves = [torch.stack([as_tensor(f[0][j]) for f in flat]) for j in range(len(flat[0][0]))]
    return torch.utils._pytree.tree_unflatten(leaves, flat[0][1])


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    leaves, spec = torch.utils._pytree.tree_flatten(xs)
    return _common.scan(f, init, xs, length, reverse, leaves,
                        lambda i: torch.utils._pytree.tree_unflatten([as_tensor(l)[i] for l in leaves], spec),
                        _stack_tree)


def map(f, xs):
    leaves, spec = torch.utils._pytree.tree_flatten(xs)
    return _stack_tree([f(torch.utils._pytree.tree_unflatten([as_tensor(l)[i] for l in leaves], spec))
                        for i in range(leaves[0].shape[0])])


def switch(index, branches, *operands):
    i = _bi.min(_bi.max(int(index), 0), len(branches) - 1)
    return branches[i](*operands)


def vectorized_map(function, elements):
    """``function`` over the leading axis of ``elements``, vectorized with ``torch.vmap``."""
    return torch.vmap(function)(elements)


def _interleave(even, odd):
    inter = torch.stack([even[:odd.shape[0]], odd], dim=1).reshape((-1,) + tuple(odd.shape[1:]))
    return torch.cat([inter, even[odd.shape[0]:]]) if even.shape[0] > odd.shape[0] else inter


def associative_scan(f, elems, reverse=False, axis=0):
    leaves, spec = torch.utils._pytree.tree_flatten(elems)
    leaves = [torch.movedim(as_tensor(x), axis, 0) for x in leaves]
    if reverse:
        leaves = [torch.flip(x, [0]) for x in leaves]

    def fn(a, b):
        out = f(torch.utils._pytree.tree_unflatten(a, spec), torch.utils._pytree.tree_unflatten(b, spec))
        return torch.utils._pytree.tree_flatten(out)[0]

    out = _common.associative_scan(fn, leaves, torch.cat, _interleave)
    if reverse:
        out = [torch.flip(o, [0]) for o in out]
    return torch.utils._pytree.tree_unflatten([torch.movedim(o, 0, axis) for o in out], spec)


def custom_gradient(f):
    class _Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            with torch.enable_grad():
                out, grad_fn = f(*args)
            ctx.grad_fn = grad_fn
            return out.detach() if isinstance(out, torch.Tensor) else out

        @staticmethod
        def backward(ctx, *upstream):
            grads = ctx.grad_fn(*upstream)
            return tuple(grads) if isinstance(grads, (list, tuple)) else (grads,)

    def wrapped(*args):
        return _Fn.apply(*args)

    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = f.__doc__
    return wrapped
