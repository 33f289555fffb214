"""``TerminateOnNaN``: stop training at the first NaN or infinite loss, keeping the last good weights."""
import math

from kerasport.backends import B
from kerasport.callbacks.callback import Callback
from kerasport.utils import io_utils


class TerminateOnNaN(Callback):
    """Stop ``fit`` when a batch's loss is NaN or infinite, with the weights from before that batch.

    The callback keeps an on-device copy of the weights, refreshed after every good
    batch (one fused copy, no transfer to the host), and writes it back when the
    loss goes bad, so the model ends with finite weights.

    Args:
        raise_error: raise a ``RuntimeError`` instead of stopping quietly (the
            weights are restored first).
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_begin(self, logs=None):
        self._weights = list(self.model.weights)
        self._last_good = [B.variable(B.zeros_like(w), trainable=False, name="last_good") for w in self._weights]
        B.copy_into(self._last_good, self._weights)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            B.copy_into(self._last_good, self._weights)
            return
        B.copy_into(self._weights, self._last_good)
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating "
                               "training immediately.")
        io_utils.print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True

    def on_train_end(self, logs=None):
        self._last_good = None
