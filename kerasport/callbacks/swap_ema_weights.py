"""``SwapEMAWeights``: evaluate and predict with the optimizer's moving averages of the weights (``use_ema``)."""
from kerasport.backends import B
from kerasport.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's EMA weights around evaluation and prediction.

    The optimizer needs ``use_ema=True`` (the inner optimizer of a ``LossScaleOptimizer`` too).
    ``evaluate``/``predict`` called with this callback run on the averages, and the training
    weights come back afterwards. With ``swap_on_epoch=True`` the averages are also swapped in at
    each epoch end (so epoch-end callbacks after this one, e.g. ``ModelCheckpoint``, see them)
    and swapped out at the next epoch begin; after the last epoch they stay in the model.

    Args:
        swap_on_epoch: also swap at epoch ends (``False``).

    Example::

        model.compile(optimizer=kerasport.optimizers.SGD(use_ema=True), loss="mse")
        model.fit(x, y, callbacks=[kerasport.callbacks.SwapEMAWeights(swap_on_epoch=True)])
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizer(self):
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if not getattr(optimizer, "use_ema", False) or getattr(optimizer, "_averages", None) is None:
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the optimizer (and the "
                             f"optimizer has been built). Received: use_ema={getattr(optimizer, 'use_ema', None)}")
        return optimizer

    def _swap_variables(self):
        optimizer = self._optimizer()
        variables, averages = list(optimizer._trainable_variables), list(optimizer._averages)
        with B.no_grad():
            saved = [B.add(v, B.zeros_like(v)) for v in variables]
            B.copy_into(variables, averages)
            B.copy_into(averages, saved)

    def _finalize_ema_values(self):
        optimizer = self._optimizer()
        B.copy_into(list(optimizer._averages), list(optimizer._trainable_variables))

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    on_predict_begin = on_test_begin
    on_predict_end = on_test_end
