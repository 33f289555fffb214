"""``kerasport.tree`` against Keras 3's ``tree``: flatten / pack / map over every kind of structure, dict order,
errors, ``map_structure_up_to`` and shapes."""
import collections

import pytest

from kerasport import tree
from tests.helpers import keras_module

Point = collections.namedtuple("Point", ["x", "y"])

STRUCTURES = [1, None, [1, [2, (3, None)]], {"b": 1, "a": [2, {"d": 3, "c": 4}]}, Point(1, [2, 3]),
              collections.OrderedDict([("b", 1), ("a", 2)]), (), [[], {}], (1,)]


@pytest.mark.parametrize("structure", STRUCTURES)
def test_tree_matches_keras(structure):
    kt = keras_module().tree
    assert tree.flatten(structure) == kt.flatten(structure)
    assert tree.flatten_with_path(structure) == kt.flatten_with_path(structure)
    assert tree.is_nested(structure) == kt.is_nested(structure)
    double = lambda v: None if v is None else v * 2  # noqa: E731
    assert tree.map_structure(double, structure) == kt.map_structure(double, structure)
    assert tree.map_structure(lambda a, b: (a, b), structure, structure) == \
        kt.map_structure(lambda a, b: (a, b), structure, structure)
    flat = list(range(len(kt.flatten(structure))))
    packed = tree.pack_sequence_as(structure, flat)
    assert packed == kt.pack_sequence_as(structure, flat)
    assert type(packed) is type(structure) or not kt.is_nested(structure)
    assert tree.lists_to_tuples(structure) == kt.lists_to_tuples(structure)
    seen, kseen = [], []
    for top_down in (True, False):
        assert tree.traverse(seen.append, structure, top_down=top_down) == \
            kt.traverse(kseen.append, structure, top_down=top_down)
    assert seen == kseen


def test_tree_dict_order_and_errors():
    kt = keras_module().tree
    assert tree.map_structure(lambda x: x, {"b": 1, "a": 2}) == {"b": 1, "a": 2}
    assert list(tree.pack_sequence_as({"b": 0, "a": 0}, [1, 2])) == ["b", "a"]
    assert tree.map_structure(lambda a, b: a + b, {"b": 1, "a": 2}, {"a": 10, "b": 20}) == {"b": 21, "a": 12}
    assert tree.map_structure(lambda v: 1, [None, 2], none_is_leaf=False) == [None, 1]
    for a, b in [([1, 2], (1, 2)), ([1, [2]], [1, 2]), ({"a": 1}, {"b": 1})]:
        with pytest.raises(ValueError):
            kt.assert_same_structure(a, b)
        with pytest.raises(ValueError):
            tree.assert_same_structure(a, b)
        with pytest.raises(ValueError):
            tree.map_structure(lambda x, y: x, a, b)
    tree.assert_same_structure({"a": [1, (2,)]}, {"a": [5, (6,)]})
    tree.assert_same_paths([0, 1], (2, 3))
    with pytest.raises(ValueError, match="paths"):
        tree.assert_same_paths([0, 1], [0])
    with pytest.raises(ValueError):
        tree.pack_sequence_as([1, 2], [1])
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if isinstance(x, tuple) else None, [(1,), 2]) == [None, 2]


def test_tree_map_structure_up_to_and_shapes():
    kt = keras_module().tree
    shallow, deep = [0, [0, 0]], [[1, 1], [2, (3, 4)]]
    assert tree.map_structure_up_to(shallow, str, deep) == kt.map_structure_up_to(shallow, str, deep)
    assert tree.map_structure_up_to([0, 0], len, [[1, 1], [2]]) == [2, 1]
    with pytest.raises(ValueError):
        tree.map_structure_up_to([0, [0, 0]], str, [1, 2])
    shapes = [(1, None), {"a": (3,), "b": [(2, 2)]}]
    assert tree.map_shape_structure(len, shapes) == kt.map_shape_structure(len, shapes)
