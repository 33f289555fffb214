"""Intersection-over-union metrics from an accumulated confusion matrix: IoU, BinaryIoU, MeanIoU, one-hot variants.

As in Keras, the confusion matrix is integer by default, so float sample
weights are truncated; pass ``dtype="float32"`` to keep fractional weights.
"""
from kerasport import backend
from kerasport.backends import B
from kerasport.metrics.base import Metric


def confusion_matrix(labels, predictions, num_classes, weights=None, dtype="int64"):
    """The ``(num_classes, num_classes)`` matrix of (weighted) counts, rows labels, columns predictions."""
    labels, predictions = B.cast(labels, "int32"), B.cast(predictions, "int32")
    values = B.ones_like(labels, dtype=dtype) if weights is None else B.cast(weights, dtype)
    cells = B.segment_sum(values, labels * num_classes + predictions, num_classes * num_classes)
    return B.reshape(cells, (num_classes, num_classes))


class IoU(Metric):
    """Mean intersection-over-union ``tp / (tp + fp + fn)`` of the classes ``target_class_ids``.

    Labels and predictions are class ids (any shape, flattened); classes out of
    ``[0, num_classes)`` and ``ignore_class`` entries are skipped; classes absent
    from both count as no entry.

    Args:
        num_classes: Number of classes; the confusion matrix is ``(num_classes, num_classes)``.
        target_class_ids: Ids of the classes whose IoUs are averaged.
        name: See ``Metric``.
        dtype: Dtype of the confusion matrix, ``"int64"`` by default.
        ignore_class: Optional label (e.g. a "void" class) left out.
        sparse_y_true: Whether labels are class ids; if False, their argmax over ``axis`` is taken.
        sparse_y_pred: Whether predictions are class ids; if False, their argmax over ``axis`` is taken.
        axis: The class axis of dense inputs. Defaults to -1.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int64")
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which is [0, {num_classes}).")
        self.num_classes = num_classes
        self.target_class_ids = list(target_class_ids)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch to the confusion matrix; ``sample_weight`` broadcasts to the labels."""
        if not self.sparse_y_true:
            y_true = B.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = B.argmax(y_pred, axis=self.axis)
        y_true = B.reshape(B.cast(y_true, self.dtype), (-1,))
        y_pred = B.reshape(B.cast(y_pred, self.dtype), (-1,))
        weight = B.cast(1 if sample_weight is None else sample_weight, self.dtype)
        weight = B.broadcast_to(B.reshape(weight, (-1,)) if B.ndim(weight) > 1 else weight, B.shape(y_true))
        valid = B.logical_and(B.logical_and(B.greater_equal(y_true, 0), B.less(y_true, self.num_classes)),
                              B.logical_and(B.greater_equal(y_pred, 0), B.less(y_pred, self.num_classes)))
        if self.ignore_class is not None:
            valid = B.logical_and(valid, B.not_equal(y_true, self.ignore_class))
        zero = B.zeros_like(y_true)
        self.total_cm.assign_add(confusion_matrix(B.where(valid, y_true, zero), B.where(valid, y_pred, zero),
                                                  self.num_classes, B.where(valid, weight, B.zeros_like(weight)),
                                                  self.dtype))

    def result(self):
        cm = B.cast(self.total_cm, "float32")
        true_positives = B.sum(cm * B.eye(self.num_classes), axis=1)
        denominator = B.sum(cm, axis=0) + B.sum(cm, axis=1) - true_positives
        ids = B.convert_to_tensor(self.target_class_ids, "int32")
        true_positives, denominator = B.take(true_positives, ids), B.take(denominator, ids)
        valid = B.greater(denominator, 1e-9)
        iou = B.where(valid, true_positives / (denominator + backend.epsilon()), 0.0)
        return B.sum(iou) / (B.sum(B.cast(valid, "float32")) + backend.epsilon())

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task: predictions ``>= threshold`` are class 1, the rest class 0.

    Args:
        target_class_ids: ``[0]``, ``[1]`` or ``[0, 1]`` (default, their mean).
        threshold: Where predictions switch to class 1. Defaults to 0.5.
        name, dtype: See ``IoU``.
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = B.cast(B.greater_equal(B.cast(y_pred, "float32"), self.threshold), self.dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class MeanIoU(IoU):
    """IoU averaged over all ``num_classes`` classes.

    Args:
        num_classes: Number of classes.
        name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis: See ``IoU``.

    Example::

        m = MeanIoU(num_classes=2)
        m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        m.result()  # 0.33333334
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """``IoU`` for one-hot labels and class-probability predictions (argmax over ``axis``).

    Args:
        num_classes, target_class_ids, name, dtype, ignore_class, axis: See ``IoU``.
        sparse_y_pred: Whether predictions already are class ids. Defaults to False.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot labels and class-probability predictions (argmax over ``axis``).

    Args:
        num_classes, name, dtype, ignore_class, axis: See ``IoU``.
        sparse_y_pred: Whether predictions already are class ids. Defaults to False.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
