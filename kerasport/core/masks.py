"""Keras masks: the boolean ``_keras_mask`` that a layer or a loss attaches to a tensor it returns,
and that the next layer (``call``'s ``mask`` argument) or the loss reads back."""
from kerasport.core import nest as tree


def get_mask(x):
    """``x``'s Keras mask (``_keras_mask``) or None; for a list / tuple / dict, the same structure of masks."""
    if isinstance(x, (list, tuple, dict)):
        return tree.map_structure(lambda t: getattr(t, "_keras_mask", None), x)
    return getattr(x, "_keras_mask", None)


def set_mask(x, mask):
    """Attach ``mask`` to the tensor ``x`` as its ``_keras_mask`` (where the tensor type allows it); returns ``x``."""
    try:
        x._keras_mask = mask
    except AttributeError:
        pass
    return x


def copy_masks(source, target):
    """Carry the masks of ``source``'s tensors over to ``target``'s (a cast of the same structure)."""
    for s, t in zip(tree.flatten(source), tree.flatten(target)):
        mask = getattr(s, "_keras_mask", None)
        if mask is not None and t is not s:
            set_mask(t, mask)
