"""plot_model / model_to_dot: the graph's boxes, labels and arrows, and the image file graphviz draws."""
import shutil

import pytest

pydot = pytest.importorskip("pydot")

import kerasport as keras  # noqa: E402
from kerasport import layers  # noqa: E402


def _model():
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu", name="inner_dense")],
                             name="block")
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b", dtype="float64")
    x = layers.Add(name="add")([inner(a), layers.Dense(3, name="side")(b)])
    return keras.Model([a, b], layers.Dense(1, name="head")(x))


def _labels(graph):
    nodes = graph.get_nodes() + [n for s in graph.get_subgraphs() for n in s.get_nodes()]
    return {n.get_name(): n.get("label").strip('"') for n in nodes if n.get("label")}


def _arrows(graph):
    names = _labels(graph)
    edges = graph.get_edges() + [e for s in graph.get_subgraphs() for e in s.get_edges()]
    return {(names[e.get_source()].split(" ")[0], names[e.get_destination()].split(" ")[0]) for e in edges}


def test_boxes_and_arrows_follow_the_graph():
    graph = keras.utils.model_to_dot(_model())
    assert sorted(label.split(" ")[0] for label in _labels(graph).values()) == \
        ["a", "add", "b", "block", "head", "side"]
    assert _arrows(graph) == {("a", "block"), ("b", "side"), ("block", "add"), ("side", "add"), ("add", "head")}
    assert graph.get_rankdir() == "TB" and graph.get_subgraphs() == []


def test_labels_show_what_is_asked():
    graph = keras.utils.model_to_dot(_model(), show_shapes=True, show_dtype=True, show_layer_activations=True,
                                     show_trainable=True, rankdir="LR", dpi=72)
    labels = {label.split(" ")[0]: label for label in _labels(graph).values()}
    assert "Input shape: [(None, 3), (None, 3)]" in labels["add"] and "Output shape: (None, 3)" in labels["add"]
    assert "Output dtype: float64" in labels["b"]
    assert "Activation: linear" in labels["head"] and "Trainable: True" in labels["head"]
    assert graph.get_rankdir() == "LR" and str(graph.get_dpi()) == "72"
    plain = _labels(keras.utils.model_to_dot(_model(), show_layer_names=False))
    assert sorted(plain.values()) == ["Add", "Dense", "Dense", "InputLayer", "InputLayer", "Sequential"]


def test_expand_nested_draws_the_inner_layers_in_a_cluster():
    graph = keras.utils.model_to_dot(_model(), expand_nested=True)
    (cluster,) = graph.get_subgraphs()
    assert cluster.get_name() == "cluster_block"
    assert sorted(n.get("label").strip('"').split(" ")[0] for n in cluster.get_nodes()) == \
        ["inner_dense", "input_layer"]
    assert ("a", "input_layer") in _arrows(graph) and ("inner_dense", "add") in _arrows(graph)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="rankdir must be one of .* received 'up'"):
        keras.utils.model_to_dot(_model(), rankdir="up")
    with pytest.raises(ValueError, match="is not built"):
        keras.utils.model_to_dot(keras.Sequential([layers.Dense(2)]))


def test_plot_model_writes_the_image(tmp_path):
    model = _model()
    keras.utils.plot_model(model, tmp_path / "model.dot", show_shapes=True)
    assert "Output shape: (None, 1)" in (tmp_path / "model.dot").read_text()
    target = tmp_path / "model.png"
    if shutil.which("dot") is None:
        with pytest.raises(OSError, match="apt-get install graphviz"):
            keras.utils.plot_model(model, target)
        assert not target.exists()
        return
    keras.utils.plot_model(model, target, show_shapes=True, dpi=50)
    small = target.read_bytes()
    assert small[:8] == b"\x89PNG\r\n\x1a\n"
    keras.utils.plot_model(model, target, show_shapes=True, dpi=100)
    assert len(target.read_bytes()) > len(small)
