"""TerminateOnNaN stops training with the last good weights, or raises when asked."""
import numpy as np
import pytest

from kerasport import callbacks
from tests.callbacks.test_callback import X, Y, _model


def test_terminate_on_nan_stops_with_the_last_good_weights():
    y = Y.copy()
    y[20] = np.nan                                      # in the third batch of 8
    model = _model()
    seen = []
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(model.get_weights()))
    history = model.fit(X, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[record, callbacks.TerminateOnNaN()])
    assert len(seen) == 3 and history.epoch == [0]
    assert not np.isfinite(seen[2][0]).all()
    for final, good in zip(model.get_weights(), seen[1]):
        np.testing.assert_array_equal(final, good)
    with pytest.raises(RuntimeError, match="NaN or Inf loss"):
        _model().fit(X, y, batch_size=8, shuffle=False, verbose=0,
                     callbacks=[callbacks.TerminateOnNaN(raise_error=True)])
