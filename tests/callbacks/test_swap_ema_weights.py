"""SwapEMAWeights: evaluation and prediction on the EMA weights, as in Keras."""
import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from tests.helpers import keras_module

RNG = np.random.RandomState(0)
X, Y = RNG.randn(16, 3).astype("float32"), RNG.randn(16, 2).astype("float32")
INIT = [RNG.randn(3, 2).astype("float32"), RNG.randn(2).astype("float32")]


def _model(lib, use_ema=True):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
    model.compile(optimizer=lib.optimizers.SGD(0.1, use_ema=use_ema, ema_momentum=0.5), loss="mse")
    model.set_weights(INIT)
    return model


def test_evaluate_and_predict_use_the_averages_then_restore():
    keras = keras_module()
    ours, theirs = _model(kerasport), _model(keras)
    for m in (ours, theirs):
        m.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False)
        # fit wrote the averages into the model at its end: train one more batch so they differ.
        m.train_on_batch(X[:4], Y[:4])
    trained = ours.get_weights()
    averages = [B.convert_to_numpy(a).copy() for a in ours.optimizer._averages]
    assert not np.allclose(trained[0], averages[0])
    loss = ours.evaluate(X, Y, verbose=0, callbacks=[kerasport.callbacks.SwapEMAWeights()])
    keras_loss = theirs.evaluate(X, Y, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    assert loss == pytest.approx(keras_loss, rel=1e-5)
    for w, t in zip(ours.get_weights(), trained):
        np.testing.assert_allclose(w, t)
    pred = ours.predict(X, verbose=0, callbacks=[kerasport.callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(pred, X @ averages[0] + averages[1], rtol=1e-5, atol=1e-6)
    for w, t in zip(ours.get_weights(), trained):
        np.testing.assert_allclose(w, t)


def test_swap_on_epoch_matches_keras():
    keras = keras_module()
    seen = []
    check = kerasport.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(ours.get_weights()[1]))
    ours, theirs = _model(kerasport), _model(keras)
    ours.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False,
             callbacks=[kerasport.callbacks.SwapEMAWeights(swap_on_epoch=True), check])
    theirs.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False,
               callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch=True)])
    for o, k in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(o, k, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(seen[-1], ours.get_weights()[1])


def test_needs_use_ema():
    model = _model(kerasport, use_ema=False)
    model.fit(X, Y, verbose=0, epochs=1)
    with pytest.raises(ValueError, match="use_ema=True"):
        model.evaluate(X, Y, verbose=0, callbacks=[kerasport.callbacks.SwapEMAWeights()])
