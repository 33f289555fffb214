"""``Model.summary`` prints Keras 3's parameter counts."""
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
