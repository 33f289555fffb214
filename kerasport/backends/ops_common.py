"""Framework-neutral algorithms shared by ``torch_ops_extra`` and ``tf_ops_extra``.

They work on any tensor type with NumPy-style slicing; the framework calls they need are passed in.
"""
import re


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
