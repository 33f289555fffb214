"""``Model.summary`` prints Keras 3's parameter counts."""
import pytest

import kerasport
from kerasport import layers
from tests.helpers import keras_module


def test_summary_parameter_counts_match_keras(capsys):
    keras = keras_module()
    specs = [("Conv2D", dict(filters=8, kernel_size=3, activation="relu")), ("MaxPooling2D", {}),
             ("Flatten", {}), ("Dense", dict(units=16)), ("Dropout", dict(rate=0.2)), ("Dense", dict(units=10))]
    ours = kerasport.Sequential([kerasport.Input((12, 12, 1))] + [getattr(layers, n)(**k) for n, k in specs])
    theirs = keras.Sequential([keras.Input((12, 12, 1))] + [getattr(keras.layers, n)(**k) for n, k in specs])
    lines = []
    ours.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert f"Total params: {theirs.count_params():,}" in text
    assert [layer.count_params() for layer in ours.layers] == [layer.count_params() for layer in theirs.layers]
    assert [layer.output.shape for layer in theirs.layers] == [layer.output_shape for layer in ours.layers]


def _models(lib):
    """A Functional with ops on its tensors, and a Sequential holding a Functional holding a frozen Sequential."""
    lib.utils.clear_session()
    x = lib.Input((8,), name="x")
    h = lib.layers.Dense(4, activation="relu", name="h")(x)
    h = lib.ops.concatenate([h, lib.ops.square(h)], axis=-1)
    with_ops = lib.Model(x, lib.layers.Dense(2, name="out")(h[:, :6] * 2.0))
    inner = lib.Sequential([lib.Input((8,)), lib.layers.Dense(3, name="in_d")], name="inner")
    inner.trainable = False
    outer_in = lib.Input((8,))
    outer = lib.Model(outer_in, lib.layers.Dense(1, name="o")(inner(outer_in)), name="outer")
    return with_ops, lib.Sequential([lib.Input((8,)), outer, lib.layers.Dense(2, name="last")], name="big")


def test_summary_text_matches_keras_with_ops_nested_models_and_layer_range():
    keras = keras_module()
    cases = [(0, {}), (0, {"layer_range": ["h", "conc"]}), (0, {"show_trainable": True}),
             (1, {"expand_nested": True}), (1, {"expand_nested": True, "show_trainable": True}), (1, {})]
    for lib_index, kwargs in cases:
        texts = []
        for lib in (keras, kerasport):
            lines = []
            _models(lib)[lib_index].summary(line_length=100, print_fn=lambda text, **_: lines.append(text), **kwargs)
            texts.append(lines)
        assert texts[1] == texts[0], kwargs
    ours = _models(kerasport)[0]
    assert [layer.name for layer in ours.layers] == [layer.name for layer in _models(keras)[0].layers]
    with pytest.raises(ValueError, match="layer_range"):
        ours.summary(layer_range=["nothing"])
