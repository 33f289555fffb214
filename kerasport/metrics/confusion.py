"""Thresholded confusion-matrix metrics: TP/FP/TN/FN counts, Precision, Recall, AUC and the "X at Y" family.

Counts for all thresholds are computed at once: by broadcasting predictions
against the thresholds, or, for evenly spaced thresholds, by bucketing each
prediction with one ``segment_sum`` and a reversed cumulative sum (O(N + T)).
"""
import numpy as np

from kerasport import backend
from kerasport.backends import B
from kerasport.losses import squeeze_or_expand_to_same_rank
from kerasport.metrics.base import Metric

NEG_INF = -1e10
_COUNTS = ("tp", "fp", "tn", "fn")


def _parse_thresholds(thresholds, default):
    """A list of thresholds: the given one(s), checked to lie in [0, 1], or ``[default]``."""
    if thresholds is None:
        return [default]
    thresholds = np.ravel(np.asarray(thresholds, dtype=object)).tolist()
    invalid = [t for t in thresholds if t is None or not 0 <= t <= 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return thresholds


def _evenly_distributed(thresholds):
    """Whether ``thresholds`` are ``i / (n - 1)`` for ``i = 0 .. n-1`` (within epsilon), n >= 3."""
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n, dtype="float32") / (n - 1), atol=backend.epsilon())


def _filter_top_k(x, k):
    """Keep the ``k`` largest values of the last axis; set the others to ``NEG_INF``."""
    _, idx = B.top_k(x, k)
    keep = B.sum(B.one_hot(idx, x.shape[-1], dtype=B.dtype(x)), axis=-2)
    return x * keep + NEG_INF * (1.0 - keep)


def _reverse_cumsum(x, axis):
    return B.flip(B.cumsum(B.flip(x, axis), axis=axis), axis)


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None,
                     multi_label=False, label_weights=None, evenly_distributed=False):
    """Weighted true/false positives/negatives of ``y_pred > t`` for every threshold ``t``.

    Args:
        y_true: Labels (cast to bool), broadcastable to ``y_pred``.
        y_pred: Scores in [0, 1] (or anything, with ``top_k``).
        thresholds: Python list of floats.
        sample_weight: Optional weights broadcastable to ``y_pred``.
        top_k: Only the ``k`` highest scores of each sample can be positive.
        class_id: Only this class (last axis) is counted.
        multi_label: Count each label (last axis) separately instead of flattening.
        label_weights: Optional per-label weights (only without ``multi_label``).
        evenly_distributed: The thresholds are ``i / (n - 1)`` (up to endpoints moved
            past 0 and 1), so the bucketed O(N + T) count applies.

    Returns:
        A dict ``{"tp", "fp", "tn", "fn"}`` of float32 tensors of shape
        ``(T,)``, or ``(T, labels)`` with ``multi_label``.
    """
    y_pred = B.cast(y_pred, "float32")
    y_true = B.cast(y_true, "float32")
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = B.expand_dims(B.cast(sample_weight, "float32"), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if B.ndim(y_pred) == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {tuple(y_pred.shape)}")
        y_true, y_pred = y_true[..., class_id:class_id + 1], y_pred[..., class_id:class_id + 1]
    y_true = B.cast(B.not_equal(y_true, 0.0), "float32")
    weights = B.ones_like(y_pred)
    if sample_weight is not None:
        weights = weights * sample_weight
    if label_weights is not None:
        weights = weights * B.convert_to_tensor(label_weights, "float32")
    if not multi_label:
        y_true, y_pred, weights = (B.reshape(B.broadcast_to(t, B.shape(y_pred)), (-1,))
                                   for t in (y_true, y_pred, weights))
    true_w, false_w = y_true * weights, (1.0 - y_true) * weights
    if evenly_distributed:
        tp, fp = _bucketed_counts(true_w, false_w, y_pred, thresholds, multi_label)
    else:
        above = B.cast(B.greater(y_pred, B.reshape(B.convert_to_tensor(thresholds, "float32"),
                                                   (-1,) + (1,) * B.ndim(y_pred))), "float32")
        tp, fp = B.sum(above * true_w, axis=1), B.sum(above * false_w, axis=1)
    return {"tp": tp, "fp": fp, "tn": B.sum(false_w, axis=0) - fp, "fn": B.sum(true_w, axis=0) - tp}


def _bucketed_counts(true_w, false_w, y_pred, thresholds, multi_label):
    """(tp, fp) for evenly spaced thresholds: bucket ``i`` holds ``t_i < p <= t_{i+1}``."""
    n = len(thresholds)
    bucket = B.ceil(B.clip(y_pred, 0.0, 1.0) * float(n - 1)) - 1.0
    if thresholds[0] < 0.0 or thresholds[-1] > 1.0:
        bucket = B.maximum(bucket, 0.0)  # the first threshold sits below 0: every prediction exceeds it
    # Bucket -1 (p = 0 at a threshold of exactly 0) counts for no threshold: it goes to a dropped segment.
    ids = B.cast(bucket, "int32") + 1
    if multi_label:
        labels = true_w.shape[-1]
        ids = ids + B.arange(labels, dtype="int32") * (n + 1)
        size, shape = labels * (n + 1), (labels, n + 1)
    else:
        size, shape = n + 1, (n + 1,)
    ids = B.reshape(ids, (-1,))

    def count(w):
        buckets = B.reshape(B.segment_sum(B.reshape(w, (-1,)), ids, size), shape)[..., 1:]
        counts = _reverse_cumsum(buckets, -1)
        return B.transpose(counts) if multi_label else counts

    return count(true_w), count(false_w)


class _ConfusionMatrixConditionCount(Metric):
    """One weighted confusion-matrix count per threshold."""

    _count = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self._evenly = _evenly_distributed(self.thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight,
                                  evenly_distributed=self._evenly)
        self.accumulator.assign_add(B.cast(counts[self._count], self.dtype))

    def result(self):
        value = self.accumulator + 0
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of true positives: label 1 and ``y_pred > threshold``.

    Args:
        thresholds: A float or list of floats in [0, 1]; one count per threshold
            (a scalar result for a single one). Defaults to 0.5.
        name, dtype: See ``Metric``.
    """

    _count = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of false positives: label 0 and ``y_pred > threshold``.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to 0.5.
        name, dtype: See ``Metric``.
    """

    _count = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of true negatives: label 0 and ``y_pred <= threshold``.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to 0.5.
        name, dtype: See ``Metric``.
    """

    _count = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of false negatives: label 1 and ``y_pred <= threshold``.

    Args:
        thresholds: A float or list of floats in [0, 1]. Defaults to 0.5.
        name, dtype: See ``Metric``.
    """

    _count = "fn"


class _PrecisionRecall(Metric):
    """Shared state of Precision and Recall: true positives and one other count per threshold."""

    _other = None

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = _evenly_distributed(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self._other_var = self.add_variable((n,), name={"fp": "false_positives", "fn": "false_negatives"}[self._other])

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the counts of one batch; ``sample_weight`` broadcasts to ``y_pred``."""
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, top_k=self.top_k,
                                  class_id=self.class_id, evenly_distributed=self._evenly)
        self.true_positives.assign_add(B.cast(counts["tp"], self.dtype))
        self._other_var.assign_add(B.cast(counts[self._other], self.dtype))

    def result(self):
        value = B.divide_no_nan(self.true_positives, self.true_positives + self._other_var)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """Precision ``tp / (tp + fp)`` of ``y_pred > threshold`` against binary labels.

    Args:
        thresholds: A float or list of floats in [0, 1] (one result per threshold).
            Defaults to 0.5, or to "any of the top k" when ``top_k`` is set.
        top_k: Only the ``k`` highest predictions of each sample count as positive.
        class_id: Only this class (last axis) is evaluated.
        name, dtype: See ``Metric``.

    Example::

        m = Precision()
        m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        m.result()  # 0.6666667
    """

    _other = "fp"

    @property
    def false_positives(self):
        return self._other_var


class Recall(_PrecisionRecall):
    """Recall ``tp / (tp + fn)`` of ``y_pred > threshold`` against binary labels.

    Args:
        thresholds: A float or list of floats in [0, 1] (one result per threshold).
            Defaults to 0.5, or to "any of the top k" when ``top_k`` is set.
        top_k: Only the ``k`` highest predictions of each sample count as positive.
        class_id: Only this class (last axis) is evaluated.
        name, dtype: See ``Metric``.
    """

    _other = "fn"

    @property
    def false_negatives(self):
        return self._other_var


class SensitivitySpecificityBase(Metric):
    """All four counts at ``num_thresholds`` thresholds evenly spaced in [0, 1]; the best value under a constraint.

    Subclasses define ``_constrained`` and ``_dependent``: the result is the largest
    dependent value at a threshold where the constrained value is ``>= value``.
    ``_argument`` is the name under which ``value`` is taken and configured.
    """

    _argument = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(f"Argument `{self._argument}` must be in the range [0, 1]. "
                             f"Received: {self._argument}={value}")
        setattr(self, self._argument, value)
        super().__init__(name=name, dtype=dtype)
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. "
                             f"Received: num_thresholds={num_thresholds}")
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            self.thresholds = [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
            self._evenly = True
        for var in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, var, self.add_variable((len(self.thresholds),), name=var))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, class_id=self.class_id,
                                  evenly_distributed=self._evenly)
        for count, var in zip(_COUNTS, (self.true_positives, self.false_positives, self.true_negatives,
                                        self.false_negatives)):
            var.assign_add(B.cast(counts[count], self.dtype))

    def _rates(self):
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        return {"sensitivity": B.divide_no_nan(tp, tp + fn), "specificity": B.divide_no_nan(tn, tn + fp),
                "precision": B.divide_no_nan(tp, tp + fp)}

    def result(self):
        rates = self._rates()
        constrained, dependent = rates[self._constrained], rates[self._dependent]
        feasible = B.greater_equal(constrained, self.value)
        return B.max(B.where(feasible, dependent, 0.0), initial=0.0)

    def get_config(self):
        return {**super().get_config(), self._argument: self.value, "class_id": self.class_id,
                "num_thresholds": self.num_thresholds}


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) at a threshold where specificity is at least ``specificity``.

    Args:
        specificity: In [0, 1].
        num_thresholds: Number of evenly spaced thresholds. Defaults to 200.
        class_id: Only this class (last axis) is evaluated.
        name, dtype: See ``Metric``.
    """

    _constrained, _dependent = "specificity", "sensitivity"
    _argument = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity at a threshold where sensitivity (recall) is at least ``sensitivity``.

    Args:
        sensitivity: In [0, 1].
        num_thresholds: Number of evenly spaced thresholds. Defaults to 200.
        class_id: Only this class (last axis) is evaluated.
        name, dtype: See ``Metric``.
    """

    _constrained, _dependent = "sensitivity", "specificity"
    _argument = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision at a threshold where recall is at least ``recall``.

    Args:
        recall: In [0, 1].
        num_thresholds: Number of evenly spaced thresholds. Defaults to 200.
        class_id: Only this class (last axis) is evaluated.
        name, dtype: See ``Metric``.
    """

    _constrained, _dependent = "sensitivity", "precision"
    _argument = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall at a threshold where precision is at least ``precision``.

    Args:
        precision: In [0, 1].
        num_thresholds: Number of evenly spaced thresholds. Defaults to 200.
        class_id: Only this class (last axis) is evaluated.
        name, dtype: See ``Metric``.
    """

    _constrained, _dependent = "precision", "sensitivity"
    _argument = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


class AUC(Metric):
    """Area under the ROC or precision-recall curve, by a Riemann sum over thresholds.

    Args:
        num_thresholds: Number of thresholds (> 1), evenly spaced in [0, 1]. Defaults to 200.
        curve: ``"ROC"`` (default), ``"PR"`` or ``"PRGAIN"`` (precision-recall-gain).
        summation_method: ``"interpolation"`` (default; trapezoids, and for PR the
            Davis & Goadrich interpolation), ``"minoring"`` or ``"majoring"``.
        name, dtype: See ``Metric``.
        thresholds: Optional explicit thresholds in [0, 1]; ``num_thresholds`` then is
            ``len(thresholds) + 2``.
        multi_label: Whether each label (last axis of 2D inputs) gets its own curve,
            the AUCs then averaged, instead of flattening all labels into one curve.
        num_labels: Number of labels with ``multi_label``; when ``None`` the state is
            built on the first update.
        label_weights: Optional per-label weights: of the label AUCs with
            ``multi_label``, of the counts otherwise.
        from_logits: Whether ``y_pred`` holds logits (a sigmoid is applied).
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        self.curve = _choice("curve", curve, ("ROC", "PR", "PRGAIN"))
        self.summation_method = _choice("summation_method", summation_method.lower(),
                                        ("interpolation", "majoring", "minoring"))
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(thresholds)
            self.num_thresholds = len(thresholds) + 2
            self._evenly = _evenly_distributed([0.0] + thresholds + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        # End points below 0 and above 1 absorb floating point imprecision.
        eps = backend.epsilon()
        self._thresholds = [0.0 - eps] + thresholds + [1.0 + eps]
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else B.convert_to_tensor(label_weights, self.dtype)
        self._from_logits = from_logits
        self._built = False
        if not multi_label and num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        if num_labels or not multi_label:
            self._build(num_labels)

    @property
    def thresholds(self):
        """The thresholds the counts are taken at, end points included."""
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds, num_labels) if self.multi_label else (self.num_thresholds,)
        self._num_labels = num_labels
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the four counts of one batch at every threshold."""
        y_pred = B.convert_to_tensor(y_pred)
        if not self._built:
            if B.ndim(y_pred) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {B.ndim(y_pred)}.")
            self._build(y_pred.shape[-1])
        if self._from_logits:
            y_pred = B.sigmoid(y_pred)
        counts = confusion_counts(y_true, y_pred, self._thresholds, sample_weight, multi_label=self.multi_label,
                                  label_weights=None if self.multi_label else self.label_weights,
                                  evenly_distributed=self._evenly)
        for count, var in zip(_COUNTS, (self.true_positives, self.false_positives, self.true_negatives,
                                        self.false_negatives)):
            var.assign_add(B.cast(counts[count], self.dtype))

    def _average(self, riemann_terms):
        if not self.multi_label:
            return B.sum(riemann_terms)
        by_label = B.sum(riemann_terms, axis=0)
        if self.label_weights is None:
            return B.mean(by_label)
        return B.divide_no_nan(B.sum(by_label * self.label_weights), B.sum(self.label_weights))

    def _interpolate_pr_auc(self):
        """PR AUC with precision interpolated between thresholds (Davis & Goadrich, 2006).

        Between thresholds A and B, TP and P = TP + FP vary linearly, so precision
        is ``(TP_A + slope * (P - P_A)) / P`` and its integral over recall has the
        closed form ``slope * (dTP + intercept * log(P_B / P_A)) / total_positives``.
        """
        tp, fp, fn = self.true_positives + 0, self.false_positives + 0, self.false_negatives + 0
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = B.divide_no_nan(dtp, B.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        safe_ratio = B.where(B.logical_and(B.greater(p[:-1], 0.0), B.greater(p[1:], 0.0)),
                             B.divide_no_nan(p[:-1], B.maximum(p[1:], 0.0)), B.ones_like(p[1:]))
        increments = B.divide_no_nan(slope * (dtp + intercept * B.log(safe_ratio)), B.maximum(tp[1:] + fn[1:], 0.0))
        return self._average(increments)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp = self.true_positives + 0, self.false_positives + 0
        tn, fn = self.true_negatives + 0, self.false_negatives + 0
        recall = B.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = B.divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, B.divide_no_nan(tp, tp + fp)
        else:
            # Precision-recall gain; recall gain 0 and precision gain 1 where there
            # are no true positives, and recall gain clipped at 0.
            scale = B.divide_no_nan(tp + fn, tn + fp)
            no_tp = B.equal(tp, 0.0)
            x = B.maximum(B.where(no_tp, 0.0, 1.0 - scale * B.divide_no_nan(fn, tp)), 0.0)
            y = B.where(no_tp, 1.0, 1.0 - scale * B.divide_no_nan(fp, tp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = B.minimum(y[:-1], y[1:])
        else:
            heights = B.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self):
        label_weights = None if self.label_weights is None else B.convert_to_numpy(self.label_weights).tolist()
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": label_weights, "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _choice(argument, value, allowed):
    key = value.upper() if argument == "curve" else value
    if key not in allowed:
        raise ValueError(f'Invalid {argument} value: "{value}". Expected one of {list(allowed)}.')
    return key
