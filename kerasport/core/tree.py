"""Keras 3's functions over nested structures (lists, tuples, namedtuples, dicts): ``kerasport.tree``.

Leaves are everything else, ``None`` included. Dicts are visited in sorted-key
order (``OrderedDict`` in insertion order) and rebuilt with their own key order,
as Keras (optree) does. ``kerasport.core.nest`` keeps the minimal, faster subset
that the library uses on its hot paths.
"""
import collections

__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
           "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure", "map_structure_up_to",
           "pack_sequence_as", "traverse"]


class MAP_TO_NONE:
    """Returned by ``traverse``'s ``func`` to replace a sub-tree with ``None``."""


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(structure):
    """Whether ``structure`` is a list, tuple, namedtuple, dict or deque (not a leaf)."""
    return isinstance(structure, (list, tuple, dict, collections.deque))


def _keys(x):
    """Child keys of a node, in flattening order."""
    if isinstance(x, dict):
        return list(x) if isinstance(x, collections.OrderedDict) else sorted(x)
    return list(range(len(x)))


def _children(x):
    return [x[k] for k in _keys(x)] if isinstance(x, dict) else list(x)


def _rebuild(x, children):
    """A node of ``x``'s type holding ``children`` (given in flattening order)."""
    if isinstance(x, dict):
        by_key = dict(zip(_keys(x), children))
        if isinstance(x, collections.defaultdict):
            return collections.defaultdict(x.default_factory, ((k, by_key[k]) for k in x))
        return type(x)((k, by_key[k]) for k in x)
    if _is_namedtuple(x):
        return type(x)(*children)
    if isinstance(x, collections.deque):
        return collections.deque(children, maxlen=x.maxlen)
    return type(x)(children)


def _same_node(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b)
    if type(a) is not type(b):
        return False
    return len(a) == len(b)


def flatten(structure):
    """The leaves of ``structure`` as a list: ``flatten({"b": 1, "a": [2, None]})`` is ``[2, None, 1]``."""
    if not is_nested(structure):
        return [structure]
    return [leaf for child in _children(structure) for leaf in flatten(child)]


def flatten_with_path(structure):
    """``[(path, leaf), ...]``: each path is the tuple of indices/keys leading to the leaf."""
    if not is_nested(structure):
        return [((), structure)]
    return [((k,) + path, leaf) for k, child in zip(_keys(structure), _children(structure))
            for path, leaf in flatten_with_path(child)]


def _structure_error(a, b):
    return ValueError(f"The two structures don't have the same nested structure: {a!r} and {b!r}.")


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied to the leaves of ``structures`` (same layout), rebuilt in that layout.

    Args:
        func: a function taking one leaf of each structure.
        *structures: structures of the same nesting (same node types, same dict keys).
        none_is_leaf: when False, ``None`` leaves are kept as ``None`` without calling ``func``.
    """
    if not structures:
        raise ValueError("map_structure: must provide at least one structure.")
    if not callable(func):
        raise TypeError(f"map_structure: `func` must be callable, received {func!r}.")
    first = structures[0]
    if not is_nested(first) and not (first is None and not none_is_leaf):
        if any(is_nested(s) for s in structures[1:]):
            raise ValueError("Structures don't have the same nested structure.")
        return func(*structures)
    if first is None:
        return None
    for s in structures[1:]:
        if not is_nested(s) or not _same_node(first, s):
            raise _structure_error(first, s)
    columns = zip(*[_children(s) for s in structures])
    return _rebuild(first, [map_structure(func, *col, none_is_leaf=none_is_leaf) for col in columns])


def map_structure_up_to(shallow_structure, func, *structures):
    """Like ``map_structure``, but only down to the leaves of ``shallow_structure``: the deeper parts
    of ``structures`` are passed to ``func`` whole.

    Example: ``map_structure_up_to([0, 0], len, [[1, 1], [2]])`` is ``[2, 1]``.
    """
    if not structures:
        raise ValueError("map_structure_up_to: must provide at least one structure.")
    if not is_nested(shallow_structure):
        return func(*structures)
    for s in structures:
        if not is_nested(s) or not _same_node(shallow_structure, s):
            raise _structure_error(shallow_structure, s)
    columns = zip(_children(shallow_structure), *[_children(s) for s in structures])
    return _rebuild(shallow_structure, [map_structure_up_to(col[0], func, *col[1:]) for col in columns])


def assert_same_structure(a, b, check_types=None):
    """Raise ``ValueError`` unless ``a`` and ``b`` nest the same way (same node types; dicts by key set).

    ``check_types`` is accepted for compatibility and ignored, as in Keras 3.
    """
    if is_nested(a) != is_nested(b):
        raise _structure_error(a, b)
    if is_nested(a):
        if not _same_node(a, b):
            raise _structure_error(a, b)
        for x, y in zip(_children(a), _children(b)):
            assert_same_structure(x, y)


def assert_same_paths(a, b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths (node types may differ)."""
    a_paths = {p for p, _ in flatten_with_path(a)}
    b_paths = {p for p, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        raise ValueError(f"`a` and `b` don't have the same paths. Paths in `a` missing in `b`: "
                         f"{a_paths - b_paths}; paths in `b` missing in `a`: {b_paths - a_paths}")


def pack_sequence_as(structure, flat_sequence):
    """``flat_sequence`` laid out as ``structure`` (the inverse of ``flatten``)."""
    flat = list(flat_sequence)
    count = len(flatten(structure))
    if len(flat) != count:
        raise ValueError(f"pack_sequence_as: the structure has {count} leaves but `flat_sequence` has "
                         f"{len(flat)} elements.")
    it = iter(flat)

    def build(s):
        return _rebuild(s, [build(c) for c in _children(s)]) if is_nested(s) else next(it)

    return build(structure)


def traverse(func, structure, top_down=True):
    """Apply ``func`` to every sub-tree (depth first), replacing those for which it returns a value.

    Top down, a non-``None`` result replaces the sub-tree and stops the descent
    into it; bottom up, sub-trees are rebuilt first and then offered to ``func``.
    Return ``MAP_TO_NONE`` to replace a sub-tree with ``None``.
    """
    if not callable(func):
        raise TypeError(f"traverse: `func` must be callable, received {func!r}.")

    def children_of(s):
        return _rebuild(s, [visit(c) for c in _children(s)]) if is_nested(s) else s

    def visit(s):
        if top_down:
            out = func(s)
            if out is None:
                return children_of(s)
        else:
            s = children_of(s)
            out = func(s)
            if out is None:
                return s
        return None if out is MAP_TO_NONE else out

    return visit(structure)


def lists_to_tuples(structure):
    """``structure`` with every list turned into a tuple."""
    return traverse(lambda s: tuple(s) if isinstance(s, list) else None, structure, top_down=False)


def map_shape_structure(func, structure):
    """``map_structure`` that treats tuples/lists of ints and ``None`` (shapes) as leaves."""
    if isinstance(structure, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in structure):
        return func(structure)
    if not is_nested(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, c) for c in _children(structure)])
