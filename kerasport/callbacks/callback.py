"""``Callback`` (every Keras hook), ``CallbackList`` and ``History``.

Batch-level ``logs`` cost a device sync, so ``CallbackList`` builds them only
when some callback overrides a batch hook; the progress bar pulls them itself
at its own refresh rate.
"""


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


class CallbackList:
    """Calls each hook on every callback, in order."""

    def __init__(self, callbacks=None, model=None, add_history=False, add_progbar=False, verbose=1, epochs=1,
                 steps=None, mode="train"):
        from kerasport.callbacks.progbar_logger import ProgbarLogger
        from kerasport.distribution.training_hooks import is_chief
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, received {cb!r}.")
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger(mode=mode))
        if not is_chief():
            self.callbacks = [cb for cb in self.callbacks if not cb._chief_worker_only]
        if add_history:
            # A History among ``callbacks`` is the one ``fit`` returns (Keras adds its own only if none is given).
            history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
            if history is None:
                history = History()
                self.callbacks.append(history)
            model.history = history
        params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        self.wants_batch_logs = any(_overrides(cb, h) for cb in self.callbacks for h in _BATCH_END_HOOKS
                                    if not isinstance(cb, ProgbarLogger))
        self._logs_fn = None

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def _batch(self, hook, batch, logs_fn):
        logs = logs_fn() if callable(logs_fn) else (logs_fn or {})
        for cb in self.callbacks:
            getattr(cb, hook)(batch, logs)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._batch("on_train_batch_end", batch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_test_batch_begin(self, batch, logs=None): self._call("on_test_batch_begin", batch, logs)
    def on_test_batch_end(self, batch, logs=None): self._batch("on_test_batch_end", batch, logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)
    def on_predict_batch_begin(self, batch, logs=None): self._call("on_predict_batch_begin", batch, logs)
    def on_predict_batch_end(self, batch, logs=None): self._batch("on_predict_batch_end", batch, logs)
