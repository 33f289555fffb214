"""What ``compile`` decides once: one loss per output (with weights) and the metrics per output."""
from kerasport import losses as losses_mod
from kerasport import metrics as metrics_mod
from kerasport.backends import B
from kerasport.core import nest as tree
from kerasport.core.naming import to_snake_case
from kerasport.losses.loss import unscale_loss_for_distribution


def _per_output(spec, output_names, what):
    """Spread a loss/metric spec (single, list, dict) over the model's outputs."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"compile(): {what} names unknown output(s) {unknown}; outputs are {output_names}.")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and n > 1 and what == "loss":
        if len(spec) != n:
            raise ValueError(f"compile(): the model has {n} outputs but {len(spec)} losses were given.")
        return list(spec)
    if what == "metrics" and isinstance(spec, (list, tuple)) and n > 1 and spec and \
            (len(spec) == n or all(isinstance(s, (list, tuple)) or s is None for s in spec)):
        return list(spec)  # one entry per output (Keras 3: a list as long as the outputs), else for every output
    return [spec] * n


def by_output(data, output_names, what):
    """The leaves of ``data`` in output order: a dict keyed by output names is matched by name, in any order."""
    if not isinstance(data, dict) or len(output_names) == 1 and not set(data) & set(output_names):
        return tree.flatten(data)
    return tree.values_by_key(data, output_names, "The model", f"{what} keyed by the output names")


class CompileLoss:
    """Total loss = sum over outputs of ``weight * loss(y_true, y_pred, sample_weight)``."""

    def __init__(self, loss, loss_weights, output_names):
        self.output_names = output_names
        specs = _per_output(loss, output_names, "loss")
        self.losses = [_as_loss(s) for s in specs]
        if loss_weights is None:
            weights = [1.0] * len(output_names)
        elif isinstance(loss_weights, dict):
            weights = [loss_weights.get(n, 1.0) for n in output_names]
        else:
            weights = list(loss_weights) if isinstance(loss_weights, (list, tuple)) else [loss_weights]
            if len(weights) != len(output_names):
                raise ValueError(f"compile(): {len(weights)} loss_weights for {len(output_names)} outputs.")
        self.weights = [float(w) for w in weights]
        self.multi = len(output_names) > 1
        self.spec = loss
        named = [name for name, fn in zip(output_names, self.losses) if fn is not None]
        # Keras 3 tracks each output's unweighted loss (``out1_loss``) when there are several.
        self.trackers = {name: metrics_mod.Mean(name=f"{name}_loss") for name in named} if len(named) > 1 else {}
        self.built = False

    @property
    def metrics(self):
        """The per-output loss trackers, listed (as in Keras) once the loss has been computed."""
        return list(self.trackers.values()) if self.built else []

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.built = True
        ys_true, ys_pred = by_output(y_true, self.output_names, "targets"), tree.flatten(y_pred)
        if len(ys_true) != len(ys_pred) and None not in self.losses:
            # Keras 3's errors: a ValueError for a loss per output (a list or dict), a KeyError for one loss
            error = ValueError if isinstance(self.spec, (list, tuple, dict)) else KeyError
            raise error(f"y_true and y_pred have different structures: the model has {len(ys_pred)} outputs "
                        f"{self.output_names}, each with a loss, but the targets hold {len(ys_true)} array(s): give "
                        f"one target per output (a list, or a dict keyed by the output names).")
        sws = by_output(sample_weight, self.output_names, "sample weights") if sample_weight is not None \
            else [None] * len(ys_pred)
        if len(sws) == 1 and len(ys_pred) > 1:
            sws = sws * len(ys_pred)
        total, parts = None, []
        for name, fn, w, yt, yp, sw in zip(self.output_names, self.losses, self.weights, ys_true, ys_pred, sws):
            if fn is None:
                parts.append(None)
                continue
            try:
                value = fn(yt, yp, sample_weight=sw)
            except Exception as e:
                _raise_if_shapes_cannot_match(name, fn, yt, yp, e)
                raise
            parts.append(value)
            if name in self.trackers:
                self.trackers[name].update_state(B.stop_gradient(unscale_loss_for_distribution(value)),
                                                sample_weight=B.shape(yp)[0])
            term = value if w == 1.0 else B.multiply(value, w)
            total = term if total is None else B.add(total, term)
        return total, parts


def _static_shape(x):
    return tuple(None if d is None else int(d) for d in x.shape)


def _shapes_can_match(true_shape, pred_shape, sparse):
    """Whether targets of ``true_shape`` can go with predictions of ``pred_shape`` (``None``: any size).

    A sparse loss takes one label per prediction row: ``pred_shape[:-1]``, or that
    with a trailing 1. Other losses compare elementwise: after dropping or adding a
    trailing axis of size 1 (as the losses align ranks), every dimension must be
    equal, unknown or 1 (broadcast).
    """
    if sparse:
        labels = true_shape[:-1] if len(true_shape) == len(pred_shape) and true_shape[-1:] == (1,) else true_shape
        return len(labels) == len(pred_shape) - 1 and all(
            a is None or b is None or a == b for a, b in zip(labels, pred_shape))
    if len(true_shape) == len(pred_shape) + 1 and true_shape[-1] == 1:
        true_shape = true_shape[:-1]
    elif len(pred_shape) == len(true_shape) + 1 and pred_shape[-1] == 1:
        pred_shape = pred_shape[:-1]
    return len(true_shape) == len(pred_shape) and all(
        a is None or b is None or a == b or a == 1 or b == 1 for a, b in zip(true_shape, pred_shape))


def _raise_if_shapes_cannot_match(output, fn, y_true, y_pred, error):
    """Turn the framework's error from a loss into one naming the output and both shapes, when they cannot match.

    Called only once a loss has failed, so well-shaped steps pay nothing; a loss
    that failed for another reason (a label out of range) keeps its own error.
    """
    try:
        true_shape, pred_shape = _static_shape(y_true), _static_shape(y_pred)
    except (AttributeError, TypeError, ValueError):
        return
    name = getattr(fn, "name", None) or getattr(fn, "__name__", type(fn).__name__)
    if _shapes_can_match(true_shape, pred_shape, "sparse" in name.lower()):
        return
    raise ValueError(f"Loss {name!r} cannot compare the targets and the predictions of output {output!r}: the "
                     f"targets have shape {true_shape}, the predictions shape {pred_shape}. Give targets shaped "
                     f"like the output (integer labels without the class axis for a sparse loss). "
                     f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})") from error


def _as_loss(spec):
    """The ``Loss`` for a compile spec: a plain function is wrapped as Keras wraps it, in a
    ``LossFunctionWrapper`` that matches the ranks of ``y_true`` and ``y_pred`` and applies the
    reduction and ``sample_weight``."""
    loss = losses_mod.get(spec)
    if loss is None or isinstance(loss, losses_mod.Loss):
        return loss
    name = spec if isinstance(spec, str) else getattr(loss, "__name__", None) or type(loss).__name__
    return losses_mod.LossFunctionWrapper(loss, name=name)


def _resolve_metric(m, loss_fn, output_shape, target_shape=None):
    """Keras's meaning of ``"accuracy"``/``"acc"`` depends on the loss and the output shape; without a compiled
    loss (a model computing its own, like ``Distiller``), on the target's and output's shapes as in Keras."""
    if m in ("accuracy", "acc"):
        name = m
        fn_name = getattr(loss_fn, "fn", loss_fn)
        fn_name = getattr(fn_name, "__name__", "")
        if loss_fn is None and target_shape is not None and output_shape and target_shape and output_shape[-1] != 1:
            sparse = len(target_shape) < len(output_shape) or target_shape[-1] == 1
            metric_cls = metrics_mod.SparseCategoricalAccuracy if sparse else metrics_mod.CategoricalAccuracy
            return metric_cls(name=name)
        if "binary" in fn_name or (output_shape and output_shape[-1] == 1):
            metric = metrics_mod.BinaryAccuracy(name=name)
        elif "sparse" in fn_name:
            metric = metrics_mod.SparseCategoricalAccuracy(name=name)
        else:
            metric = metrics_mod.CategoricalAccuracy(name=name)
        return metric
    if m in ("crossentropy", "ce"):
        fn_name = getattr(getattr(loss_fn, "fn", loss_fn), "__name__", "")
        fn = {"binary_crossentropy": losses_mod.binary_crossentropy,
              "sparse_categorical_crossentropy": losses_mod.sparse_categorical_crossentropy}.get(
            fn_name, losses_mod.categorical_crossentropy)
        return metrics_mod.MeanMetricWrapper(fn, name=m)
    metric = metrics_mod.get(m)
    if not isinstance(metric, metrics_mod.Metric):  # a function: Keras's compile wraps it, "mean_metric_wrapper"
        metric = metrics_mod.MeanMetricWrapper(metric)
    # As Keras's compile: a metric given by name is named as given, a function by its ``__name__`` in snake case
    # (``PSNR`` -> ``psnr``); their variables keep the paths of the metric's own name (``mean_absolute_error/total``
    # for ``"mae"``, ``mean_metric_wrapper/total`` for a function).
    if isinstance(m, str):
        metric.name = m
    elif callable(m) and not isinstance(m, (type, metrics_mod.Metric)) and not hasattr(m, "name"):
        metric.name = to_snake_case(getattr(m, "__name__", type(m).__name__))
    return metric


class CompileMetrics(metrics_mod.Metric):
    """The compiled metrics as one metric named ``compile_metrics``, as in Keras 3.

    Holds a metric object per output (names follow Keras: ``accuracy``, ``out_1_accuracy``,
    ``weighted_accuracy``); ``result()`` is a dict of their results. The objects are made by
    ``build`` from the outputs' shapes, since ``"accuracy"`` depends on them.
    """

    def __init__(self, metrics, weighted_metrics, output_names, compile_loss):
        super().__init__(name="compile_metrics")
        for arg, spec in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if spec and not isinstance(spec, (list, tuple, dict)):  # as Keras: a bare metric is an error
                raise ValueError(f"Expected `{arg}` argument to be a list, tuple, or dict. Received instead: "
                                 f"{arg}={spec} of type {type(spec)}")
        self.specs = (metrics, weighted_metrics)
        self.output_names = output_names
        self.compile_loss = compile_loss or CompileLoss(None, None, output_names)
        self.entries = []  # (output index, metric, weighted)
        self.built = False
        self._zipped = False  # whether ``entries`` are cut to the outputs that have targets

    def build(self, output_shapes, target_shapes=None):
        taken = set()
        for spec, weighted in ((self.specs[0], False), (self.specs[1], True)):
            if not spec:
                continue
            for i, per_out in enumerate(_per_output(spec, self.output_names, "metrics")):
                if per_out is None:
                    continue
                per_out = per_out if isinstance(per_out, (list, tuple)) else [per_out]
                for m in per_out:
                    metric = _resolve_metric(m, self.compile_loss.losses[i],
                                             output_shapes[i] if output_shapes else None,
                                             target_shapes[i] if target_shapes and i < len(target_shapes) else None)
                    metric._base_name = metric.name
                    metric.name = _unique_name(metric.name, self.output_names[i] if len(self.output_names) > 1
                                               else None, weighted, taken)
                    self.entries.append((i, metric, weighted))
        self.built = True

    @property
    def metrics(self):
        return [m for _, m, _ in self.entries]

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def result(self):
        return {m.name: m.result() for m in self.metrics}

    def update_state(self, y_true, y_pred, sample_weight=None):
        ys_true, ys_pred = by_output(y_true, self.output_names, "targets"), tree.flatten(y_pred)
        if not self.built:
            self.build([tuple(p.shape) for p in ys_pred],
                       [None if t is None else tuple(getattr(t, "shape", ())) for t in ys_true])
        sws = by_output(sample_weight, self.output_names, "sample weights") if sample_weight is not None else None
        if not self._zipped:  # as Keras, which zips the targets with the outputs: one past the targets has no metrics
            self.entries = [entry for entry in self.entries if entry[0] < len(ys_true)]
            self._zipped = True
        for i, metric, weighted in self.entries:
            sw = None
            if weighted and sws is not None:
                sw = sws[i] if len(sws) > 1 else sws[0]
            metric.update_state(ys_true[i], ys_pred[i], sample_weight=sw)


def _unique_name(name, output_name, weighted, taken):
    """Keras's log name: output prefix; a weighted metric that clashes becomes ``weighted_<name>``; then ``_1``..."""
    prefix = f"{output_name}_" if output_name else ""
    candidates = [prefix + name] + ([f"{prefix}weighted_{name}"] if weighted else [])
    for candidate in candidates:
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    index = 1
    while f"{candidates[-1]}_{index}" in taken:
        index += 1
    taken.add(f"{candidates[-1]}_{index}")
    return f"{candidates[-1]}_{index}"
