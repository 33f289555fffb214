"""Galleries of images drawn with matplotlib: ``plot_image_gallery`` and the galleries of images with
their bounding boxes (``plot_bounding_box_gallery``) or segmentation masks (``plot_segmentation_mask_gallery``).

Needs matplotlib (``pip install kerasport[plot]``). A gallery saved to a file or not shown is drawn on a
figure of its own, without pyplot (no GUI).
"""
import math

import numpy as np

from kerasport.visualization.boxes import draw_bounding_boxes
from kerasport.visualization.images import as_numpy, batched_images
from kerasport.visualization.masks import draw_segmentation_masks


def _matplotlib(fn_name):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(f"{fn_name} needs matplotlib: install it with `pip install kerasport[plot]` "
                          "(or `pip install matplotlib`).") from None


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None,
                       value_range=(0, 255), scale=2, path=None, show=None, transparent=True, dpi=60,
                       legend_handles=None, data_format=None):
    """Displays a gallery of images with optional labels and predictions.

    Args:
        images: a 4D tensor or NumPy array of images, ``(batch_size, height, width, channels)``
            (channels first with ``data_format="channels_first"``).
        y_true: 1D tensor or array of the true class indices, shown in the titles. Defaults to ``None``.
        y_pred: 1D tensor or array of the predicted class indices, shown in the titles. Defaults to ``None``.
        label_map: dict mapping class indices to class names. Required with ``y_true`` or ``y_pred``.
        rows: the number of rows. Defaults to ``ceil(sqrt(batch_size))``.
        cols: the number of columns. Defaults to ``batch_size // rows``.
        value_range: ``(low, high)``, the range of the images' values, mapped to ``[0, 255]``.
            Defaults to ``(0, 255)``.
        scale: float, the size in inches of each image. Defaults to ``2``.
        path: file to save the gallery to. Defaults to ``None``.
        show: whether to show the gallery with ``matplotlib.pyplot.show()``. Defaults to ``True``
            when ``path`` is ``None``, ``False`` otherwise.
        transparent: bool, whether the saved file has a transparent background. Defaults to ``True``.
        dpi: the dots per inch of the saved file. Defaults to ``60``.
        legend_handles: a list of matplotlib ``Patch`` objects to show as a legend. Defaults to ``None``.
        data_format: ``"channels_last"`` or ``"channels_first"``. Defaults to
            ``kerasport.config.image_data_format()``.

    Returns:
        The ``matplotlib.figure.Figure`` of the gallery (Keras returns ``None``).

    Raises:
        ValueError: if both ``path`` and ``show`` are given, if ``images`` is not a 4D tensor/array,
            or if ``y_true`` or ``y_pred`` come without a ``label_map``.
        ImportError: if matplotlib is not installed.
    """
    _matplotlib("plot_image_gallery")
    if path is not None and show:
        raise ValueError("plot_image_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError("If `y_true` or `y_pred` are provided, a `label_map` must also be provided.")
    images, _ = batched_images("plot_image_gallery", images, data_format)
    show = show if show is not None else path is None
    batch_size = images.shape[0]
    rows = rows or int(math.ceil(math.sqrt(batch_size)))
    cols = cols or int(math.ceil(batch_size // rows))
    images = images[:rows * cols]
    low, high = value_range
    if (low, high) != (0, 255):
        images = (images.astype("float32") - np.float32(low)) / np.float32(high - low) * np.float32(255)
    y_true = as_numpy(y_true) if y_true is not None else None
    y_pred = as_numpy(y_pred) if y_pred is not None else None

    if show:
        import matplotlib.pyplot as plt
        fig = plt.figure(figsize=(cols * scale, rows * scale), frameon=False, layout="tight")
    else:
        from matplotlib.figure import Figure
        fig = Figure(figsize=(cols * scale, rows * scale), frameon=False, layout="tight")
    axes = fig.subplots(nrows=rows, ncols=cols, squeeze=False, sharex="row", sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= len(images):
            continue
        axis.imshow(images[index].astype("uint8"))
        axis.margins(x=0, y=0)
        title = []
        if y_true is not None and index < len(y_true):
            title.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
        if y_pred is not None and index < len(y_pred):
            title.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
        if title:
            axis.set_title("  ".join(title), fontsize=8)
    if path is not None:
        fig.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
    elif show:
        import matplotlib.pyplot as plt
        plt.show()
        plt.close(fig)
    return fig


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None, value_range=(0, 255),
                              true_color=(0, 188, 212), pred_color=(255, 235, 59), line_thickness=2,
                              font_scale=1.0, text_thickness=None, class_mapping=None, ground_truth_mapping=None,
                              prediction_mapping=None, legend=False, legend_handles=None, rows=None, cols=None,
                              data_format=None, **kwargs):
    """Plots a gallery of images with their true and predicted bounding boxes.

    Args:
        images: a 4D tensor or NumPy array of images, ``(batch_size, height, width, channels)``.
        bounding_box_format: the boxes' format (``"xyxy"``, ``"yxyx"``, ``"xywh"``, ``"center_xywh"``,
            ``"center_yxhw"``, or a ``"rel_*"`` one).
        y_true: dict of the true boxes: ``boxes``, ``labels`` (and optional ``confidences``), as
            ``draw_bounding_boxes`` takes them. Defaults to ``None``.
        y_pred: dict of the predicted boxes, as ``y_true``. Defaults to ``None``.
        value_range: ``(low, high)``, the range of the images' values. Defaults to ``(0, 255)``.
        true_color: RGB color of the true boxes. Defaults to ``(0, 188, 212)``.
        pred_color: RGB color of the predicted boxes. Defaults to ``(255, 235, 59)``.
        line_thickness: the thickness of the boxes' lines. Defaults to ``2``.
        font_scale: the scale of the labels' font. Defaults to ``1.0``.
        text_thickness: the thickness of the labels. Defaults to ``line_thickness``.
        class_mapping: dict mapping class ids to names, for both kinds of boxes unless overridden.
        ground_truth_mapping: dict mapping class ids to names for the true boxes.
        prediction_mapping: dict mapping class ids to names for the predicted boxes.
        legend: bool, whether to show a legend of the two colors. Defaults to ``False``.
        legend_handles: a list of matplotlib ``Patch`` objects for the legend (not with ``legend``).
        rows: the number of rows of the gallery. Defaults to ``None`` (as ``plot_image_gallery``).
        cols: the number of columns of the gallery. Defaults to ``None`` (as ``plot_image_gallery``).
        data_format: ``"channels_last"`` or ``"channels_first"``. Defaults to
            ``kerasport.config.image_data_format()``.
        **kwargs: passed to ``plot_image_gallery`` (``path``, ``show``, ``scale``, ``dpi``, ...).

    Returns:
        The figure of ``plot_image_gallery``.

    Raises:
        ValueError: if ``images`` is not a 4D tensor/array or both ``legend`` and ``legend_handles``
            are given.
        ImportError: if matplotlib is not installed.
    """
    _matplotlib("plot_bounding_box_gallery")
    if legend and legend_handles:
        raise ValueError("Only pass `legend` OR `legend_handles` to plot_bounding_box_gallery().")
    images, _ = batched_images("plot_bounding_box_gallery", images, data_format)
    drawn = images
    for boxes, color, mapping in ((y_true, true_color, ground_truth_mapping or class_mapping),
                                  (y_pred, pred_color, prediction_mapping or class_mapping)):
        if boxes is not None:
            drawn = draw_bounding_boxes(drawn, boxes, bounding_box_format, class_mapping=mapping, color=color,
                                        line_thickness=line_thickness, text_thickness=text_thickness,
                                        font_scale=font_scale, data_format="channels_last")
    if legend:
        from matplotlib.patches import Patch
        legend_handles = [Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
                          Patch(color=np.array(pred_color) / 255.0, label="Prediction")]
    return plot_image_gallery(drawn, value_range=value_range, legend_handles=legend_handles, rows=rows, cols=cols,
                              data_format="channels_last", **kwargs)


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None, y_pred=None,
                                   color_mapping=None, blend=True, alpha=0.8, ignore_index=-1, data_format=None,
                                   **kwargs):
    """Plots a gallery of images beside their true and predicted segmentation masks, one image a row.

    Args:
        images: a 4D tensor or NumPy array of images, ``(batch_size, height, width, channels)``.
        num_classes: the number of segmentation classes.
        value_range: ``(low, high)``, the range of the images' values. Defaults to ``(0, 255)``.
        y_true: the true masks, ``(batch_size, height, width)`` or ``(batch_size, height, width, 1)``.
            Defaults to ``None``.
        y_pred: the predicted masks, shaped as ``y_true``. Defaults to ``None``.
        color_mapping: dict mapping class ids to RGB colors. Defaults to ``None`` (a fixed palette).
        blend: whether to blend the masks with the images. Defaults to ``True``.
        alpha: the opacity of the masks. Defaults to ``0.8``.
        ignore_index: the mask value left undrawn. Defaults to ``-1``.
        data_format: ``"channels_last"`` or ``"channels_first"``. Defaults to
            ``kerasport.config.image_data_format()``.
        **kwargs: passed to ``plot_image_gallery`` (``path``, ``show``, ``scale``, ``dpi``, ...).

    Returns:
        The figure of ``plot_image_gallery``.

    Raises:
        ValueError: if ``images`` is not a 4D tensor/array.
        ImportError: if matplotlib is not installed.
    """
    _matplotlib("plot_segmentation_mask_gallery")
    images, data_format = batched_images("plot_segmentation_mask_gallery", images, data_format)
    columns = [images]
    for masks in (y_true, y_pred):
        if masks is not None:
            masks = as_numpy(masks)
            if masks.ndim == 4 and data_format == "channels_first":
                masks = masks.transpose(0, 2, 3, 1)
            columns.append(draw_segmentation_masks(images, masks.astype("int32"), num_classes=num_classes,
                                                   color_mapping=color_mapping, alpha=alpha, blend=blend,
                                                   ignore_index=ignore_index, data_format="channels_last"))
    gallery = np.stack([column[i] for i in range(len(images)) for column in columns], axis=0)
    return plot_image_gallery(gallery, value_range=value_range, rows=len(images), cols=len(columns),
                              data_format="channels_last", **kwargs)
