"""LambdaCallback receives the batch logs."""
import numpy as np

from kerasport import callbacks
from tests.callbacks.test_callback import X, Y, _model


def test_lambda_callback_receives_batch_logs():
    losses, ends = [], []
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: losses.append(logs["loss"]),
                                  on_train_end=lambda logs: ends.append(logs))
    _model().fit(X, Y, epochs=1, batch_size=8, verbose=0, callbacks=[cb])
    assert len(losses) == 4 and all(np.isfinite(losses)) and len(ends) == 1
