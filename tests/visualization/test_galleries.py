"""The galleries: figures and saved files (matplotlib's Agg backend), pixel for pixel Keras 3's where Keras
can draw them here."""
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="the galleries need matplotlib (the `plot` extra)")
matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from kerasport import ops  # noqa: E402
from kerasport.visualization import (draw_bounding_boxes, draw_segmentation_masks,  # noqa: E402
                                     plot_bounding_box_gallery, plot_image_gallery, plot_segmentation_mask_gallery)
from tests.helpers import keras_module  # noqa: E402


def _images(n=5, h=12, w=10, seed=0):
    return np.random.RandomState(seed).uniform(0, 1, (n, h, w, 3)).astype("float32")


def test_image_gallery_equals_keras(tmp_path):
    keras = keras_module()
    images, labels = _images(), {0: "cat", 1: "dog"}
    y_true, y_pred = np.array([0, 1, 2, 0, 1]), np.array([1, 1, 0, 0, 1])
    fig = plot_image_gallery(ops.convert_to_tensor(images), y_true=y_true, y_pred=y_pred, label_map=labels,
                             value_range=(0, 1), path=tmp_path / "ours.png")
    keras.visualization.plot_image_gallery(images, y_true=y_true, y_pred=y_pred, label_map=labels,
                                           value_range=(0, 1), path=str(tmp_path / "keras.png"))
    ours, theirs = mpimg.imread(tmp_path / "ours.png"), mpimg.imread(tmp_path / "keras.png")
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    assert isinstance(fig, Figure)
    shown = [ax for ax in fig.axes if ax.get_images()]
    assert len(shown) == 3  # ceil(sqrt(5)) = 3 rows of 5 // 3 = 1 column, as Keras
    assert [ax.get_title() for ax in shown] == ["Label: cat  Pred: dog", "Label: dog  Pred: dog",
                                               "Label: Unknown  Pred: cat"]
    np.testing.assert_array_equal(shown[1].get_images()[0].get_array(), (images[1] * 255).astype("uint8"))


def test_image_gallery_layout_channels_first_and_show():
    images = _images(n=3)
    fig = plot_image_gallery(images * 255, rows=2, cols=2, show=False)
    assert len(fig.axes) == 4 and [len(ax.get_images()) for ax in fig.axes] == [1, 1, 1, 0]
    first = plot_image_gallery(images.transpose(0, 3, 1, 2) * 255, rows=1, cols=3, show=False,
                               data_format="channels_first")
    for a, b in zip(first.axes, fig.axes):
        np.testing.assert_array_equal(a.get_images()[0].get_array(), b.get_images()[0].get_array())
    import matplotlib.pyplot as plt
    shown = plot_image_gallery(images * 255, rows=1, cols=3)
    assert isinstance(shown, Figure) and not plt.fignum_exists(shown.number)


def test_image_gallery_errors(tmp_path):
    with pytest.raises(ValueError, match="either `path`"):
        plot_image_gallery(_images(), path=tmp_path / "x.png", show=True)
    with pytest.raises(ValueError, match="label_map"):
        plot_image_gallery(_images(), y_true=np.zeros(5), show=False)
    with pytest.raises(ValueError, match=r"4D.*\(12, 10, 3\)"):
        plot_image_gallery(_images()[0], show=False)


def test_without_matplotlib_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for plot, args in ((plot_image_gallery, ()), (plot_bounding_box_gallery, ("xyxy",)),
                       (plot_segmentation_mask_gallery, (3,))):
        with pytest.raises(ImportError, match=r"kerasport\[plot\]"):
            plot(_images(), *args, show=False)


def test_segmentation_mask_gallery_equals_keras(tmp_path):
    keras = keras_module()
    images = (_images(n=3) * 255).astype("uint8")
    masks = np.random.RandomState(1).randint(0, 4, (3, 12, 10, 1)).astype("int32")
    fig = plot_segmentation_mask_gallery(images, 4, y_true=masks, y_pred=masks[::-1], path=tmp_path / "ours.png")
    keras.visualization.plot_segmentation_mask_gallery(images, 4, y_true=masks, y_pred=masks[::-1],
                                                       path=str(tmp_path / "keras.png"))
    np.testing.assert_array_equal(mpimg.imread(tmp_path / "ours.png"), mpimg.imread(tmp_path / "keras.png"))
    assert len(fig.axes) == 9
    np.testing.assert_array_equal(fig.axes[5].get_images()[0].get_array(),
                                  draw_segmentation_masks(images, masks[::-1], num_classes=4)[1])
    first = plot_segmentation_mask_gallery(images.transpose(0, 3, 1, 2), 4, y_true=masks.transpose(0, 3, 1, 2),
                                           show=False, data_format="channels_first")
    assert len(first.axes) == 6
    np.testing.assert_array_equal(first.axes[3].get_images()[0].get_array(), fig.axes[4].get_images()[0].get_array())


def test_bounding_box_gallery(tmp_path):
    images = np.zeros((2, 20, 24, 3), "uint8")
    y_true = {"boxes": np.array([[[2, 2, 10, 10]], [[4, 4, 20, 16]]], "float32"), "labels": np.array([[0], [1]])}
    y_pred = {"boxes": np.array([[[5, 6, 15, 18]], [[1, 1, 8, 8]]], "float32"), "labels": np.array([[0], [-1]])}
    fig = plot_bounding_box_gallery(images, "xyxy", y_true=y_true, y_pred=y_pred, rows=1, cols=2, legend=True,
                                    path=tmp_path / "boxes.png")
    expected = draw_bounding_boxes(draw_bounding_boxes(images, y_true, "xyxy", color=(0, 188, 212)), y_pred, "xyxy",
                                   color=(255, 235, 59))
    for i in range(2):
        np.testing.assert_array_equal(fig.axes[i].get_images()[0].get_array(), expected[i])
    assert expected[0, 2, 5].tolist() == [0, 188, 212] and expected[0, 6, 8].tolist() == [255, 235, 59]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Ground Truth", "Prediction"]
    saved = mpimg.imread(tmp_path / "boxes.png")
    assert saved.ndim == 3 and saved.shape[1] > saved.shape[0]
    with pytest.raises(ValueError, match="legend"):
        plot_bounding_box_gallery(images, "xyxy", y_true=y_true, legend=True, legend_handles=[1], show=False)


def test_bounding_box_gallery_equals_keras_with_opencv(tmp_path):
    pytest.importorskip("cv2", reason="Keras draws boxes with OpenCV, which is not installed (it is no kerasport dependency)")
    keras = keras_module()
    images = (_images(n=4, h=30, w=30) * 255).astype("uint8")
    y_true = {"boxes": np.array([[[2, 2, 20, 20]]] * 4, "float32"), "labels": np.array([[0]] * 4)}
    plot_bounding_box_gallery(images, "xyxy", y_true=y_true, legend=True, path=tmp_path / "ours.png")
    keras.visualization.plot_bounding_box_gallery(images, "xyxy", y_true=y_true, legend=True,
                                                  path=str(tmp_path / "keras.png"))
    np.testing.assert_array_equal(mpimg.imread(tmp_path / "ours.png"), mpimg.imread(tmp_path / "keras.png"))
