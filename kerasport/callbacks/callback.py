"""``Callback`` (every Keras hook), ``CallbackList`` and ``History``.

Batch-level ``logs`` cost a device sync, so ``CallbackList`` builds them only
when some callback overrides a batch hook; the progress bar pulls them itself
at its own refresh rate.
"""
from kerasport.backends import B


class Callback:
    """Base class: override any hook; ``self.model`` and ``self.params`` are set by ``fit``.

    A callback whose ``_chief_worker_only`` is ``True`` (progress bar, file writers)
    runs only in process 0 under a distribution.
    """

    _chief_worker_only = False

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): self.on_batch_begin(batch, logs)
    def on_train_batch_end(self, batch, logs=None): self.on_batch_end(batch, logs)
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


_BATCH_END_HOOKS = ("on_train_batch_end", "on_batch_end", "on_test_batch_end", "on_predict_batch_end")


def _overrides(cb, name):
    return name in vars(cb) or getattr(type(cb), name, None) is not getattr(Callback, name)


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"]`` is a list with one value per epoch."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []  # as in Keras, ``history`` keeps growing when one History is passed to several fits

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


def pythonify_logs(logs):
    """Logs as Keras hands them to callbacks: nested dicts flattened, keys sorted, tensors and NumPy scalars as
    Python floats (arrays that are not scalars as NumPy arrays)."""
    out = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
            continue
        try:
            value = B.convert_to_numpy(value) if B.is_tensor(value) else value
            value = float(value)
        except (TypeError, ValueError):
            pass
        out[key] = value
    return out


class CallbackList(Callback):
    """Calls each hook on every callback, in order, with the logs as Keras passes them (``pythonify_logs``).

    Args:
        callbacks: a list of ``Callback`` instances.
        add_history: add a ``History`` callback if ``callbacks`` has none (the model's ``history`` then).
        add_progbar: add a ``ProgbarLogger`` if ``callbacks`` has none.
        model: the model the callbacks are used with.
        mode: (kerasport) ``"train"``, ``"test"`` or ``"predict"``: what an added progress bar shows.
        **params: passed to every callback through ``set_params`` (``verbose``, ``epochs``, ``steps``).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, mode="train", **params):
        from kerasport.callbacks.progbar_logger import ProgbarLogger
        from kerasport.distribution.training_hooks import is_chief
        super().__init__()
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, received {cb!r}.")
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if add_history and self._history is None:  # a History among ``callbacks`` is the one ``fit`` returns
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger(mode=mode))
        if not is_chief():
            self.callbacks = [cb for cb in self.callbacks if not cb._chief_worker_only]
        self.set_model(model)
        self.set_params(params)
        self.wants_batch_logs = any(_overrides(cb, h) for cb in self.callbacks for h in _BATCH_END_HOOKS
                                    if not isinstance(cb, ProgbarLogger))

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)

    def _call(self, hook, *args, logs=None):
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(*args, logs)

    def _batch(self, hook, batch, logs_fn):
        """A batch-end hook; ``logs_fn`` may be a function that builds the logs (called only when given)."""
        self._call(hook, batch, logs=logs_fn() if callable(logs_fn) else logs_fn)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs=logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs=logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs=logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs=logs)
    def on_batch_begin(self, batch, logs=None): self._call("on_batch_begin", batch, logs=logs)
    def on_batch_end(self, batch, logs=None): self._batch("on_batch_end", batch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs=logs)
    def on_train_batch_end(self, batch, logs=None): self._batch("on_train_batch_end", batch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs=logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs=logs)
    def on_test_batch_begin(self, batch, logs=None): self._call("on_test_batch_begin", batch, logs=logs)
    def on_test_batch_end(self, batch, logs=None): self._batch("on_test_batch_end", batch, logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs=logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs=logs)
    def on_predict_batch_begin(self, batch, logs=None): self._call("on_predict_batch_begin", batch, logs=logs)
    def on_predict_batch_end(self, batch, logs=None): self._batch("on_predict_batch_end", batch, logs)
