"""The library's hot-path subset of ``tree``: flatten and rebuild nested lists / tuples / dicts of leaves.

Plain lists, tuples and dicts only (no namedtuples, no ``None`` rules), so it is fast; the full
Keras API over nested structures is ``kerasport.core.tree`` (public as ``kerasport.tree``).
"""


def flatten(x):
    """Leaves of ``x`` in order; dicts are visited in sorted-key order, as in Keras."""
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in flatten(item)]
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in flatten(x[k])]
    return [x]


def map_structure(fn, x):
    if isinstance(x, list):
        return [map_structure(fn, v) for v in x]
    if isinstance(x, tuple):
        return tuple(map_structure(fn, v) for v in x)
    if isinstance(x, dict):
        return {k: map_structure(fn, v) for k, v in x.items()}
    return fn(x)


def pack_as(structure, flat):
    """Rebuild ``structure`` with the leaves of ``flat`` (inverse of ``flatten``)."""
    it = iter(flat)

    def rebuild(s):
        if isinstance(s, list):
            return [rebuild(v) for v in s]
        if isinstance(s, tuple):
            return tuple(rebuild(v) for v in s)
        if isinstance(s, dict):
            out = {k: rebuild(s[k]) for k in sorted(s)}
            return {k: out[k] for k in s}
        return next(it)

    return rebuild(structure)


def is_nested(x):
    return isinstance(x, (list, tuple, dict))


def values_by_key(data, expected, owner, what="keys"):
    """``[data[k] for k in expected]``, or an error naming the missing or unknown key(s) and the expected ones."""
    missing = [k for k in expected if k not in data]
    if missing:
        raise ValueError(f"{owner} expected {what} {list(expected)}, missing "
                         f"{', '.join(repr(k) for k in missing)}; the data dict has keys {list(data)}.")
    if len(data) > len(expected):
        unknown = [k for k in data if k not in expected]
        raise ValueError(f"{owner} received unknown key(s) {', '.join(repr(k) for k in unknown)} in a data dict; "
                         f"expected {what} {list(expected)}.")
    return [data[k] for k in expected]
