"""``kerasport.tree``: Keras 3's functions over nested structures; they live in ``kerasport.core.tree``."""
from kerasport.core.tree import (MAP_TO_NONE, assert_same_paths, assert_same_structure, flatten,  # noqa: F401
                                 flatten_with_path, is_nested, lists_to_tuples, map_shape_structure, map_structure,
                                 map_structure_up_to, pack_sequence_as, traverse)
