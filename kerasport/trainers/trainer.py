"""``Trainer``: what ``Model`` does to learn: ``compile``, ``fit`` / ``evaluate`` / ``predict``, the steps.

Written once for both backends: the epoch loop drives, batch by batch, the step
functions built once per ``compile``; ``Model`` inherits it (``Model(Trainer, Layer)``).
"""
import warnings

import numpy as np

from kerasport import config
from kerasport import optimizers as optimizers_mod
from kerasport.backends import B, NAME
from kerasport.callbacks.callback import CallbackList, pythonify_logs
from kerasport.distribution import distribution_lib
from kerasport.distribution import training_hooks as distributed
from kerasport.layers.input_spec import rank_adjustment
from kerasport.layers.layer import Layer
from kerasport.losses.loss import scale_loss_for_distribution
from kerasport.metrics import Mean
from kerasport.trainers import step as steps
from kerasport.trainers.compile_utils import CompileLoss, CompileMetrics, by_output
from kerasport.trainers.data_adapters import (ArrayAdapter, get_adapter, pack_x_y_sample_weight, unpack_data,
                                              unpack_x_y_sample_weight)
from kerasport.trainers.epoch_iterator import EpochIterator, executions, warn_ran_out
from kerasport.trainers.predict_outputs import HostOutputs
from kerasport.core import nest as tree


def _step_function(kind):
    """A ``Trainer`` property: the step function of ``kind`` once built, else ``None``; ``None`` set has it rebuilt."""
    def get(self):
        return self.__dict__.get("_step_functions", {}).get(kind)

    def set(self, fn):
        if fn is None:  # Keras's idiom to have the step built anew
            self._step_functions.pop(kind, None)
            self._step_functions.pop("default_" + kind, None)
        else:
            self._step_functions[kind] = fn

    return property(get, set, doc=f"""The function that runs one {kind} batch ``(x, y, sample_weight)`` once
    ``make_{kind}_function`` (or ``fit``, ``evaluate``, ``predict``) built it, else ``None``; set it to ``None`` to
    have it built anew, as Keras.""")


class Trainer:
    """The training half of ``Model``: ``compile``, ``fit``, ``evaluate``, ``predict``, ``*_on_batch``.

    Steps are built once per ``compile`` (or when ``run_eagerly`` / ``jit_compile`` change) and
    cached; the epoch loop touches Python numbers only where the user sees them.
    """

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._step_logs = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._step_functions = {}
        self._compile_config = None
        self._run_eagerly = False
        self._jit_compile = False
        self.steps_per_execution = 1

    # ------------------------------------------------------------------ building
    def _build_from_data(self, x, step="train"):
        """Build a model whose input shape was unknown, from a first batch.

        A model without ``call()`` (a GAN whose ``train_step`` drives its sub-models) stays unbuilt on
        TensorFlow, as Keras leaves it there; so does one whose ``step`` (``"train"``, ``"test"``, ``"predict"``)
        is overridden and runs eagerly: its step calls what it needs (keras.io's StyleGAN's ``call`` takes a dict,
        not the batch). A traced step needs its variables first: it is built from the batch, unless its own step
        cannot be (then it is left to the step, as Keras leaves it). On torch Keras builds the model from the batch,
        or refuses it with a ``RuntimeError`` that names the failure (a ``ValueError`` goes through as it is). A
        model whose sublayers are all built is only marked built.
        """
        own_step = getattr(type(self), f"{step}_step") is not getattr(Trainer, f"{step}_step")
        if self.built or (NAME == "tensorflow" and (type(self).call is Layer.call or own_step and self.run_eagerly)):
            return
        sublayers = self._flatten_layers(include_self=False)
        if sublayers and all(layer.built for layer in sublayers):
            # As Keras: fit builds nothing when every sublayer is built (a Siamese model whose ``train_step`` feeds
            # the whole (anchor, positive, negative) batch to its network, that ``x`` alone would not fit).
            self.built = True
            return
        shapes = tree.map_structure(lambda t: (None,) + tuple(t.shape)[1:], x)
        if NAME != "torch":
            try:
                self.build(shapes)
            except Exception:  # noqa: BLE001 (Keras on TensorFlow builds nothing here: its own step calls what it
                if not own_step:  # needs, as keras.io's GauGAN, whose ``call`` takes [latent, labels], not ``x``)
                    raise
            return
        try:
            self.build(shapes)
        except ValueError:
            raise
        except Exception as e:  # noqa: BLE001 (re-raised with Keras's message, the cause chained)
            raise RuntimeError("Unable to automatically build the model. Please build it yourself before calling "
                               "fit/evaluate/predict. A model is 'built' when its variables have been created and "
                               "its `self.built` attribute is True. Usually, calling the model on a batch of data is "
                               f"the right way to build it.\nException encountered:\n'{e}'") from e


    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Configure training.

        Args:
            optimizer: name (``"adam"``) or ``Optimizer``.
            loss: name, function or ``Loss``; a list or dict for several outputs.
            loss_weights: weights of each output's loss (list or dict).
            metrics: names, functions or ``Metric``s; a list per output or a dict for several outputs.
            weighted_metrics: metrics that take ``sample_weight``/``class_weight`` into account.
            run_eagerly: (TensorFlow) run the step eagerly instead of in one ``tf.function``.
            steps_per_execution: batches per execution of the train / test / predict step: on TensorFlow
                one ``tf.function`` loops over them (batches of one shape), on torch they run
                back to back; batch callbacks fire once per execution, at Keras's batch indices.
            jit_compile: ``True`` compiles the step with XLA (TensorFlow) or ``torch.compile`` (torch);
                ``"auto"`` leaves it off on CPU.
            auto_scale_loss: under the ``"mixed_float16"`` policy, wrap the optimizer in a
                ``LossScaleOptimizer`` (dynamic loss scaling), as Keras does.
        """
        distribution_lib.adopt_enclosing_strategy()
        self.optimizer = optimizers_mod.get(optimizer)
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16" and self.optimizer is not None \
                and not isinstance(self.optimizer, optimizers_mod.LossScaleOptimizer):
            self.optimizer = optimizers_mod.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        self.loss = loss
        output_names = self._output_names()
        self._compile_loss = CompileLoss(loss, loss_weights, output_names) if loss is not None else None
        if metrics is not None or weighted_metrics is not None:  # else Keras keeps the previous compile's metrics
            self._compile_metrics = CompileMetrics(metrics, weighted_metrics, output_names, self._compile_loss)
        self._loss_tracker = Mean(name="loss")
        self._run_eagerly = bool(run_eagerly)
        if not isinstance(steps_per_execution, int) or isinstance(steps_per_execution, bool) or \
                steps_per_execution < 1:
            raise ValueError(f"compile(): `steps_per_execution` must be a positive integer, received "
                             f"{steps_per_execution!r}.")
        self.steps_per_execution = steps_per_execution
        if jit_compile is True and run_eagerly:
            warnings.warn("If `run_eagerly` is True, then `jit_compile` cannot also be True. Disabling `jit_compile`.",
                          stacklevel=2)
        self._jit_compile = self._supported_jit(jit_compile is True and not run_eagerly)
        self._step_functions = {}
        self.compiled = True
        self._compile_config = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                "metrics": metrics, "weighted_metrics": weighted_metrics,
                                "run_eagerly": run_eagerly, "jit_compile": jit_compile}
        if self.built and getattr(self, "outputs", None) is not None:
            self._build_metrics()

    @property
    def run_eagerly(self):
        """Whether the train/test/predict steps run eagerly (TensorFlow: no ``tf.function``)."""
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = bool(value)
        self._step_functions = {}

    @property
    def jit_compile(self):
        """Whether the train/test/predict steps are compiled (XLA on TensorFlow, ``torch.compile`` on torch)."""
        return self._jit_compile

    @jit_compile.setter
    def jit_compile(self, value):
        self._jit_compile = self._supported_jit(bool(value))
        self._step_functions = {}

    def _supported_jit(self, jit):
        """``jit``, or ``False`` with Keras's warning where a layer cannot be compiled (``supports_jit``)."""
        if jit and not all(layer.supports_jit for layer in self._flatten_layers()):
            warnings.warn("Model doesn't support `jit_compile=True`. Proceeding with `jit_compile=False`.",
                          stacklevel=3)
            return False
        return jit

    train_function = _step_function("train")
    test_function = _step_function("test")
    predict_function = _step_function("predict")

    def _output_names(self):
        names = getattr(self, "output_names", None)
        return list(names) if names else ["output"]

    def _build_metrics(self, y_pred_shapes=None, y=None):
        """Build the compiled metrics from the output shapes (and the targets ``y``, when known)."""
        if self._compile_metrics is None or self._compile_metrics.built:
            return
        if y_pred_shapes is None and getattr(self, "outputs", None):
            y_pred_shapes = [t.shape for t in self.outputs]
        target_shapes = None if y is None else \
            [None if t is None else np.shape(t) for t in by_output(y, self._compile_metrics.output_names, "targets")]
        self._compile_metrics.build(y_pred_shapes, target_shapes)

    @property
    def metrics(self):
        """The metrics in Keras's order: the ``loss`` tracker, ``compile_metrics`` (all compiled metrics in
        one), the per-output loss trackers, the metrics held as attributes, then those of the sublayers."""
        out = []
        if self.compiled:
            out += [self._loss_tracker] if self._loss_tracker is not None else []
            out += [self._compile_metrics] if self._compile_metrics is not None else []
            out += self._compile_loss.metrics if self._compile_loss is not None else []
        out += self.__dict__.get("_metrics", [])
        for layer in self._flatten_layers(include_self=False):
            if not isinstance(layer, Trainer):
                out += layer.__dict__.get("_metrics", [])
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    # ------------------------------------------------------------------ the pieces a step runs
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Compiled loss of ``(y, y_pred)`` plus the model's regularization and ``add_loss`` terms (each summed
        to a scalar, as in Keras: an ``add_loss`` of per-sample values counts their sum)."""
        total = None
        if self._compile_loss is not None and y is not None:
            total, _ = self._compile_loss(y, y_pred, sample_weight)
        extra = [_summed_loss(term) for term in self.losses]
        if extra:
            reg = extra[0]
            for term in extra[1:]:
                reg = B.add(reg, term)
            reg = scale_loss_for_distribution(reg)
            total = reg if total is None else B.add(total, reg)
        if total is None:
            raise ValueError("No loss to optimize: compile() the model with a `loss`, pass targets `y`, "
                             "or add losses with `add_loss`.")
        return total

    def update_metrics(self, loss, y, y_pred, sample_weight, batch_size):
        self._loss_tracker.update_state(loss, sample_weight=batch_size)
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with one batch and return all metric results (Keras 3 API)."""
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return _flat_results(self.metrics, [m.result() for m in self.metrics], lambda v: v)

    @property
    def compiled_loss(self):
        """Keras 2's ``compiled_loss(y, y_pred, sample_weight, regularization_losses)`` (prefer ``compute_loss``)."""
        def loss(y_true, y_pred, sample_weight=None, regularization_losses=None):
            total, _ = self._compile_loss(y_true, y_pred, sample_weight)
            for term in regularization_losses or []:
                total = B.add(total, term)
            return total
        return loss

    @property
    def compiled_metrics(self):
        """Keras 2's ``compiled_metrics.update_state(y, y_pred, sample_weight)`` (prefer ``compute_metrics``).

        As Keras 3 keeps it, it updates every metric of ``model.metrics``: the compiled ones with
        ``(y, y_pred, sample_weight)``, and each ``Mean`` (the ``loss`` tracker among them) with ``y_pred`` itself,
        so a custom ``train_step`` that reports ``m.result() for m in self.metrics`` gives Keras's numbers.
        """
        self._build_metrics()
        return _CompiledMetrics(self)

    def zero_grad(self, set_to_none=True):
        """Clear the gradients that ``loss.backward()`` left on the weights: ``torch.nn.Module.zero_grad`` on
        torch (``set_to_none=False`` zeroes them instead); a no-op on TensorFlow."""
        if not set_to_none and NAME == "torch":
            return B.LayerBase.zero_grad(self, False)
        B.zero_grad(self.weights)  # what torch's zero_grad() does to the parameters, without the module walk

    def _module_mode(self, training):
        """As Keras on torch: ``fit`` puts the model's torch modules in training mode (``train()``) at each epoch,
        ``evaluate`` and ``predict`` in evaluation mode (``eval()``), for torch code that reads ``self.training``."""
        if NAME == "torch":
            self.train(training)

    def train_step(self, data):
        """One step of training on ``data`` (``x``, ``(x, y)`` or ``(x, y, sample_weight)``).

        Override it as in Keras: an override is traced into one ``tf.function`` on
        TensorFlow and runs eagerly on torch, and may return the logs to show.
        ``super().train_step(data)`` runs the backend's built-in step.
        """
        return self._default_step("train")(unpack_x_y_sample_weight(data))

    def test_step(self, data):
        """One evaluation step on ``data``; overridable as ``train_step``."""
        return self._default_step("test")(unpack_x_y_sample_weight(data))

    def predict_step(self, data):
        """The outputs for one batch ``data``; overridable as ``train_step``."""
        return self._default_step("predict")(unpack_x_y_sample_weight(data))

    # ------------------------------------------------------------------ step functions
    def _step(self, kind):
        """The backend's step function for ``kind``, built once per compile.

        An overridden ``train_step``/``test_step``/``predict_step`` receives the batch
        packed as Keras packs it (``x``, ``(x, y)`` or ``(x, y, sample_weight)``) and may
        return the logs to show (a dict of values).
        """
        fn = self._step_functions.get(kind)
        if fn is None:
            if getattr(type(self), f"{kind}_step") is not getattr(Trainer, f"{kind}_step"):
                if kind == "train" and self.optimizer is not None and self.built:
                    self.optimizer.build(self.trainable_weights)  # else on its first ``apply``, as Keras
                user_step = B.compile_user_function(B.distributed_user_step(getattr(self, f"{kind}_step"), self, kind),
                                                    self.jit_compile, self.run_eagerly)
                fn = lambda batch: user_step(pack_x_y_sample_weight(*batch))  # noqa: E731
                fn.compiled = user_step
                if kind == "predict":
                    fn = steps.with_predict_loop(fn, lambda batch: self.predict_step(pack_x_y_sample_weight(*batch)),
                                                 self)
            else:
                fn = self._default_step(kind)
            self._step_functions[kind] = fn
        return fn

    def make_train_function(self, force=False):
        """The function that trains on one batch ``(x, y, sample_weight)``: an overridden ``train_step``
        or the built-in step, built once per ``compile`` and cached; ``force=True`` builds it anew."""
        return self._make_function("train", force)

    def make_test_function(self, force=False):
        """The function that evaluates one batch (updates the metrics); as ``make_train_function``."""
        return self._make_function("test", force)

    def make_predict_function(self, force=False):
        """The function that returns the outputs for one batch; as ``make_train_function``."""
        return self._make_function("predict", force)

    def _make_function(self, kind, force):
        if force:
            self._step_functions.pop(kind, None)
            self._step_functions.pop("default_" + kind, None)
        return self._step(kind)

    def _default_step(self, kind):
        key = "default_" + kind
        if key not in self._step_functions:
            builder = {"train": steps.make_train_function, "test": steps.make_test_function,
                       "predict": steps.make_predict_function}[kind]
            self._step_functions[key] = builder(self)
        return self._step_functions[key]

    def _run_step(self, kind, batch):
        """Run one step; keep the logs an overridden step returned (else the metrics give them)."""
        out = self._step(kind)(batch)
        if isinstance(out, dict):
            self._step_logs = out
        return out

    def _run_steps(self, kind, batches):
        """Run one step per batch without returning to the epoch loop; one call of the backend's
        multi-step loop (TensorFlow's in-graph loop) when the built-in step runs."""
        fn = self._step(kind)
        loop = getattr(fn, "loop", None)
        if len(batches) > 1 and loop is not None:
            loop(batches)
            return
        for batch in batches:
            self._run_step(kind, batch)

    def _predict_steps(self, batches):
        """The outputs of the batches of one execution, as a list of output structures: one, concatenated, from
        the backend's multi-step loop (TensorFlow's in-graph loop) when it has one, else one per batch."""
        fn = self._step("predict")
        loop = getattr(fn, "loop", None)
        if len(batches) > 1 and loop is not None:
            return [loop(batches)]
        return [fn(batch) for batch in batches]

    def _logs(self):
        """The logs users see: what a custom step returned last, else the metrics' results."""
        custom = self._custom_logs()
        return pythonify_logs(custom) if custom is not None else self.get_metrics_result()

    def _custom_logs(self):
        """The logs an overridden step returned last, unless they name exactly the metrics' results (then,
        as in Keras, the metrics give the logs: summed over the replicas under a distribution); else None."""
        if self._step_logs is None:
            return None
        keys, known = frozenset(self._step_logs), self._step_functions.setdefault("metric_keys", {})
        if keys not in known:  # decided once per compile and set of keys: the metrics' names do not change
            known[keys] = keys == set(self.get_metrics_result())
        return None if known[keys] else self._step_logs

    def _prepare(self, data, for_training=True, step=None):
        """Build the model and its metrics from the first batch of ``data`` (an adapter), and check that
        batch against the model (unless ``step``'s method is overridden), before anything changes."""
        x = data.peek()
        step = step or ("train" if for_training else "predict")
        self._build_from_data(x, step)
        self._check_data_shapes(x, step)
        if for_training:
            if not self.compiled:
                raise ValueError(f"You must call `compile()` before using the model {self.name!r} to train or "
                                 "evaluate.")
            self._check_target_keys(data.peek_y())
            if self._compile_metrics is not None and not self._compile_metrics.built:
                self._build_metrics(self._infer_output_shapes(x), data.peek_y())

    def _check_target_keys(self, y):
        """An error naming the unknown or missing keys of a ``y`` dict keyed by the output names (as the
        compiled loss matches it), raised before the first step; a custom step reads ``y`` as it likes."""
        if isinstance(y, dict) and self._compile_loss is not None and \
                type(self).train_step is Trainer.train_step and type(self).test_step is Trainer.test_step:
            by_output(y, self._output_names(), "targets")

    def _infer_output_shapes(self, x):
        if getattr(self, "outputs", None):
            return [t.shape for t in self.outputs]
        sample = tree.map_structure(lambda t: t[:1], x)
        with B.no_grad(), self._losses_kept():
            out = self(sample, training=False)
        return [tuple(o.shape) for o in tree.flatten(out)]

    def _check_data_shapes(self, x, step):
        """An error naming the expected and received shapes when ``x`` does not fit the model's inputs. Not
        when ``step`` (``"train"``, ``"test"`` or ``"predict"``) is overridden: as in Keras, a custom step
        reads its batch as it likes (e.g. anchors and positives stacked in one array)."""
        expected = self.__dict__.get("inputs")  # the instance's: no torch.nn.Module.__getattr__ when there is none
        if not expected or getattr(type(self), f"{step}_step") is not getattr(Trainer, f"{step}_step"):
            return
        flat = self._standardize_inputs(x) if hasattr(type(self), "_standardize_inputs") else x
        flat = tree.flatten(flat)
        if len(flat) != len(expected):
            raise ValueError(f"Model {self.name!r} expects {len(expected)} input(s), received {len(flat)}.")
        for i, (t, spec) in enumerate(zip(flat, expected)):
            shape = tuple(t.shape)
            change = rank_adjustment(shape, spec.shape)
            shape = shape[:-1] if change < 0 else shape + (1,) if change > 0 else shape
            # As Keras's Functional input specs (allow_last_axis_squeeze): an Input's last axis of size 1 takes any.
            want = spec.shape[:-1] if spec.shape and spec.shape[-1] == 1 else spec.shape
            if len(shape) != len(spec.shape) or any(
                    e is not None and e != s for e, s in zip(want[1:], shape[1:])):
                raise ValueError(f"Input {i} of model {self.name!r} is incompatible: expected shape "
                                 f"{spec.shape}, received data of shape {shape}.")

    # ------------------------------------------------------------------ fit / evaluate / predict
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1):
        """Train for ``epochs`` epochs; returns a ``History`` (``history.history[name]`` per epoch).

        Args:
            x, y: arrays (or lists/dicts of arrays for several inputs/outputs), or a
                generator, ``kerasport.utils.PyDataset``, ``tf.data.Dataset`` or
                ``torch.utils.data.DataLoader`` yielding ``(x, y[, sample_weight])``
                batches (then ``y`` and ``sample_weight`` must be ``None``).
            batch_size: samples per step for arrays (32 by default).
            epochs: index of the last epoch (training starts at ``initial_epoch``).
            verbose: 0 silent, 1 progress bar (one line per epoch when stdout is not
                a terminal), 2 one line per epoch; ``"auto"`` is 1.
            callbacks: list of ``Callback``.
            validation_split: fraction in ``[0, 1)`` of the arrays, taken from their
                end before shuffling, to validate on instead of training.
            validation_data: ``(x_val, y_val[, sw_val])`` or a dataset/generator.
            shuffle: ``True`` shuffles array samples each epoch, ``"batch"`` shuffles
                the order of batches, ``False`` keeps the order (a ``PyDataset``
                shuffles its batch indices; other streams are left as they are).
            class_weight: ``{class index: weight}`` scaling each sample's loss (and
                weighted metrics) by its class; classes not named weigh 1.
            sample_weight: per-sample loss weights, shape ``(samples,)``.
            initial_epoch: epoch to start from (to resume a run).
            steps_per_epoch: batches per epoch; a pass over the data then continues
                into the next epoch, and an epoch that reaches the end of the pass stops
                there with Keras's "ran out of data" warning. Required for endless
                generators/datasets.
            validation_steps: batches per validation (all of them by default).
            validation_batch_size: batch size of array ``validation_data``
                (``batch_size`` by default).
            validation_freq: validate every ``n`` epochs (an int), or after the
                epochs listed (1-based, e.g. ``[1, 5, 10]``).
        """
        _check_batch_size(batch_size)
        _check_batch_size(validation_batch_size)
        if not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be in [0, 1), received {validation_split}.")
        if epochs < 0 or initial_epoch < 0:
            raise ValueError(f"epochs and initial_epoch must be non-negative, received {epochs}, {initial_epoch}.")
        _check_validation_freq(validation_freq)
        adapter = get_adapter(x, y, sample_weight, batch_size, shuffle, class_weight)
        val_adapter = None
        if validation_data is not None:
            vx, vy, vsw = unpack_data(tuple(validation_data) if isinstance(validation_data, list)
                                      else validation_data)
            val_adapter = get_adapter(vx, vy, vsw, validation_batch_size or batch_size)
        elif validation_split:
            if not isinstance(adapter, ArrayAdapter):
                raise ValueError("validation_split is only supported for array inputs; pass validation_data "
                                 f"for a {type(x).__name__}.")
            adapter, val_adapter = adapter.split(validation_split)
        epochs = config.capped_epochs(epochs)
        adapter, val_adapter = distributed.shard(adapter), distributed.shard(val_adapter)
        data = EpochIterator(adapter, config.capped_steps(steps_per_epoch))
        val_data = EpochIterator(val_adapter, validation_steps) if val_adapter is not None else None
        try:
            self._prepare(data)
            if val_data is not None:
                self._check_data_shapes(val_data.peek(), "test")
                self._check_target_keys(val_data.peek_y())
            self._step("train")
            data.reset()
            verbose = 1 if verbose == "auto" else verbose
            callbacks = _callback_list(callbacks, self, add_history=True, add_progbar=verbose != 0,
                                       verbose=verbose, epochs=epochs, steps=data.num_batches)
            self.stop_training = False
            logs = {}
            self._initial_epoch = None
            callbacks.on_train_begin()
            distributed.sync_variables(self)
            initial_epoch = self._initial_epoch or initial_epoch
            try:
                for epoch in range(initial_epoch, epochs):
                    self.reset_metrics()
                    self._step_logs = None
                    callbacks.on_epoch_begin(epoch)
                    self._module_mode(True)
                    step = -1
                    for step, end, batches in executions(data, self.steps_per_execution):
                        callbacks.on_train_batch_begin(step)
                        self._run_steps("train", batches)
                        callbacks.on_train_batch_end(end, self._batch_logs if callbacks.wants_batch_logs else None)
                        if self.stop_training:
                            break
                    else:
                        adapter.on_epoch_end()
                    if step < 0:
                        warn_ran_out()
                        break
                    logs = distributed.global_logs(self)
                    if val_data is not None and _should_validate(epoch, validation_freq):
                        val_logs = self._evaluate_adapter(val_data, callbacks)
                        if val_logs is None:
                            warn_ran_out()
                            val_data = None
                        else:
                            logs.update({"val_" + k: v for k, v in val_logs.items()})
                    callbacks.on_epoch_end(epoch, logs)
                    if self.stop_training:
                        break
                if epochs > 0:
                    self.optimizer.finalize_variable_values(self.trainable_weights)
            finally:
                callbacks.on_train_end(logs)
        finally:
            adapter.close()
            if val_adapter is not None:
                val_adapter.close()
        return self.history

    def _format_result(self, logs, return_dict):
        """The logs as a dict (keys sorted, as Keras), or as Keras lists them: metrics in ``self.metrics`` order by
        their own (unprefixed) names, then the remaining keys sorted; a lone value is returned as is."""
        if return_dict:
            return dict(sorted(logs.items()))  # as Keras's pythonified logs
        names = [getattr(m, "_base_name", m.name) for metric in self.metrics
                 for m in (metric.metrics if isinstance(metric, CompileMetrics) else [metric])]
        values = [logs[n] for n in names if n in logs] + [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    def _batch_logs(self):
        return self._logs()

    def get_metrics_result(self):
        """Current metric values as Python floats (``{"loss": ..., "accuracy": ...}``)."""
        metrics = self.metrics
        cached, results = self._step_functions.get("results", (None, None))
        if cached != [id(m) for m in metrics]:  # one compiled call on TensorFlow instead of eager ops per metric
            results = B.compile_user_function(lambda: [m.result() for m in metrics], self.jit_compile,
                                              self.run_eagerly)
            self._step_functions["results"] = ([id(m) for m in metrics], results)
        return _flat_results(metrics, results(), _to_float)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics on ``(x, y)``.

        Takes the same kinds of data as ``fit``; ``steps`` limits the number of
        batches. Returns the loss as a float when the model has no metrics, else
        a list in ``metrics_names`` order, or a dict with ``return_dict=True``.
        """
        _check_batch_size(batch_size)
        adapter = distributed.shard(get_adapter(x, y, sample_weight, batch_size))
        data = EpochIterator(adapter, config.capped_steps(steps))
        try:
            self._prepare(data, step="test")
            verbose = 1 if verbose == "auto" else verbose
            cbs = _callback_list(callbacks, self, add_progbar=verbose != 0, verbose=verbose, epochs=1,
                                 steps=data.num_batches, mode="test")
            logs = self._evaluate_adapter(data, cbs)
        finally:
            adapter.close()
        if logs is None:
            raise ValueError("evaluate() received no data: the generator or dataset yielded no batch.")
        return self._format_result(logs, return_dict)

    def _evaluate_adapter(self, data, callbacks):
        """Metrics over the batches of ``data``, or ``None`` when it has none left."""
        self._step("test")
        data.reset()
        self.reset_metrics()
        self._step_logs = None
        if callbacks:
            callbacks.on_test_begin()
        self._module_mode(False)
        step = -1
        for step, end, batches in executions(data, self.steps_per_execution):
            if callbacks:
                callbacks.on_test_batch_begin(step)
            self._run_steps("test", batches)
            if callbacks:
                callbacks.on_test_batch_end(end, self._batch_logs if callbacks.wants_batch_logs else None)
        data.adapter.on_epoch_end()
        logs = distributed.global_logs(self) if step >= 0 else None
        if callbacks:
            callbacks.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` as NumPy arrays (a list or dict for several outputs).

        Batches stream through the model one execution (``steps_per_execution``
        batches) at a time; each execution's outputs are copied to host memory at
        once (into arrays made for all rows when ``x`` is arrays, else into chunks
        concatenated at the end), so no device memory is held beyond one
        execution. ``on_predict_batch_end`` receives them as ``logs["outputs"]``.
        ``x`` takes the same kinds of data as ``fit`` (targets in a dataset's
        batches are ignored).
        """
        _check_batch_size(batch_size)
        adapter = get_adapter(x, None, None, batch_size, stream=True)
        data = EpochIterator(adapter, config.capped_steps(steps))
        outputs = HostOutputs(adapter.num_samples if isinstance(adapter, ArrayAdapter) and data.steps is None
                              else None)
        try:
            self._prepare(data, for_training=False)
            self._step("predict")
            verbose = 1 if verbose == "auto" else verbose
            cbs = _callback_list(callbacks, self, add_progbar=verbose != 0, verbose=verbose, epochs=1,
                                 steps=data.num_batches, mode="predict")
            cbs.on_predict_begin()
            self._module_mode(False)
            for step, end, batches in executions(data, self.steps_per_execution):
                cbs.on_predict_batch_begin(step)
                batch_outputs = outputs.add(self._predict_steps(batches))
                cbs.on_predict_batch_end(end, {"outputs": batch_outputs} if cbs.wants_batch_logs else None)
            adapter.on_epoch_end()
            cbs.on_predict_end()
        finally:
            adapter.close()
        if not outputs.batches:
            raise ValueError("predict() received no data: the generator or dataset yielded no batch.")
        return outputs.result()

    def _one_batch(self, x, y=None, sample_weight=None, class_weight=None, for_training=True, step=None):
        """``(x, y, sample_weight)`` of arrays as a single batch of device tensors."""
        adapter = get_adapter(x, y, sample_weight, None, False, class_weight)
        if not isinstance(adapter, ArrayAdapter):
            raise TypeError(f"*_on_batch methods take arrays (or lists/dicts of arrays), received a "
                            f"{type(x).__name__}.")
        adapter.batch_size = max(adapter.num_samples, 1)
        self._prepare(adapter, for_training=for_training, step=step)
        return next(iter(adapter))

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the loss (and metrics) of that batch."""
        batch = self._one_batch(x, y, sample_weight, class_weight)
        self.reset_metrics()
        self._step_logs = None
        self._run_step("train", batch)
        return self._format_result(distributed.process_logs(self), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of one batch, without training."""
        batch = self._one_batch(x, y, sample_weight, step="test")
        self.reset_metrics()
        self._step_logs = None
        self._run_step("test", batch)
        return self._format_result(distributed.process_logs(self), return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch as NumPy arrays."""
        batch = self._one_batch(x, for_training=False)
        return tree.map_structure(B.convert_to_numpy, self._step("predict")(batch))


def _callback_list(callbacks, model, **kwargs):
    """``callbacks`` as given when they are a ``CallbackList`` already (Keras then adds and sets nothing), else a
    ``CallbackList`` of them for ``model``."""
    return callbacks if isinstance(callbacks, CallbackList) else CallbackList(callbacks, model=model, **kwargs)


def _flat_results(metrics, results, convert):
    """``{name: convert(result)}``; a metric whose result is a dict (``compile_metrics``) adds its entries."""
    out = {}
    for m, r in zip(metrics, results):
        if isinstance(r, dict):
            out.update({k: convert(v) for k, v in r.items()})
        else:
            out[m.name] = convert(r)
    return out


def _to_float(v):
    """A Python float for a scalar result; a NumPy array for a vector one (``F1Score(average=None)``)."""
    v = np.asarray(B.convert_to_numpy(v) if B.is_tensor(v) else v)
    return float(v) if v.ndim == 0 else v


def _check_validation_freq(freq):
    if isinstance(freq, (int, np.integer)) and not isinstance(freq, bool):
        if freq < 1:
            raise ValueError(f"validation_freq must be at least 1, received {freq}.")
    elif not isinstance(freq, (list, tuple, set, range)) or not all(isinstance(e, (int, np.integer)) for e in freq):
        raise ValueError(f"validation_freq must be an int or a list of epoch numbers, received {freq!r}.")


def _should_validate(epoch, freq):
    """Whether to validate after 0-based ``epoch``: every ``freq`` epochs, or after the (1-based) listed ones."""
    if isinstance(freq, (int, np.integer)):
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq


def _check_batch_size(batch_size):
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size <= 0):
        raise ValueError(f"batch_size must be a positive integer, received {batch_size!r}.")


def _summed_loss(term):
    """An ``add_loss`` or regularization term as Keras's trainer adds it: a float scalar, the sum of its values."""
    term = B.convert_to_tensor(term)
    if not B.dtype(term).startswith(("float", "bfloat")):
        term = B.cast(term, config.floatx())
    return B.sum(term) if B.ndim(term) else term


class _CompiledMetrics:
    """What ``model.compiled_metrics`` gives: Keras 3's shim of Keras 2's compiled-metrics container."""

    def __init__(self, model):
        self._model = model

    def update_state(self, y, y_pred, sample_weight=None):
        for metric in self._model.metrics:
            if isinstance(metric, Mean):
                metric.update_state(y_pred, sample_weight=sample_weight)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
