"""``Model.get_state_tree`` / ``set_state_tree`` and ``Layer.metrics_variables``, as Keras 3 gives them."""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def _leaves(tree, prefix=""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}/")
        else:
            yield f"{prefix}{key}", np.asarray(value)


def state_tree_program(keras, sync):
    """keras.io's docstring example of ``get_state_tree``, then a second model set from its tree."""
    def PSNR(y_true, y_pred):  # a metric function: Keras names it "psnr", its variables "mean_metric_wrapper/..."
        return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)

    def build():
        model = keras.Sequential([keras.Input(shape=(1,), name="my_input"),
                                  keras.layers.Dense(2, activation="sigmoid", name="my_dense"),
                                  keras.layers.BatchNormalization(name="my_norm")], name="my_sequential")
        model.compile(optimizer="adam", loss="mse", metrics=["mae", PSNR])
        return model

    model = build()
    sync(model)
    model.fit(np.array([[1.0], [2.0]]), np.array([[1.0, 0.0], [0.0, 1.0]]), verbose=0)
    tree = model.get_state_tree(value_format="numpy_array")
    other = build()
    other.fit(np.array([[3.0]]), np.array([[0.5, 0.5]]), verbose=0)  # builds its optimizer and metrics
    other.set_state_tree(tree)
    return {"structure": sorted(path for path, _ in _leaves(tree)),
            "values": [value for _, value in sorted(_leaves(tree))],
            "copied": [value for _, value in sorted(_leaves(other.get_state_tree("numpy_array")))],
            "metrics_variables": [v.path for v in model.metrics_variables]}


def test_state_tree_as_keras():
    check_program(state_tree_program)


def test_state_tree_leaves_are_the_variables_and_bad_arguments_are_refused():
    model = kerasport.Sequential([kerasport.Input((2,)), kerasport.layers.Dense(1, name="d")], name="m")
    with pytest.raises(AttributeError, match="compile it"):
        model.get_state_tree()
    model.compile("sgd", "mse")
    assert model.get_state_tree()["trainable_variables"]["m"]["d"]["kernel"] is model.layers[0].kernel
    with pytest.raises(ValueError, match="value_format"):
        model.get_state_tree("list")
    with pytest.raises(ValueError, match="Unknown variable name: weights"):
        model.set_state_tree({"weights": {}})
    with pytest.raises(NotImplementedError, match="add_metric"):
        model.add_metric(1.0)
