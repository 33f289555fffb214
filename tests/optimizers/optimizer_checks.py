"""The checks of an optimizer against Keras's, shared by the optimizer tests.

The same optimizer is made from ``kerasport`` and from ``keras`` (``lib``, either module), applied to the same
gradients on variables holding the same values, and both must end with the same variables and the same optimizer
variables. A model is checked through ``fit`` (Keras's side by side) and through a saved file (``.keras``/``.h5``)
that keeps the optimizer's state.
"""
import numpy as np

import kerasport
from kerasport.backends import B


def gradients(shapes, steps):
    """``steps`` lists of random float32 gradients of ``shapes`` (seed 0)."""
    rng = np.random.RandomState(0)
    return [[rng.randn(*shape).astype("float32") for shape in shapes] for _ in range(steps)]


def initial_values(shapes, one_stream=True):
    """Random float32 values of ``shapes`` (seed 1): drawn one after the other from one generator, or with
    ``one_stream=False`` each from a generator of its own. Fresh arrays at each call (a variable may share one)."""
    if not one_stream:
        return [np.random.RandomState(1).randn(*shape).astype("float32") for shape in shapes]
    rng = np.random.RandomState(1)
    return [rng.randn(*shape).astype("float32") for shape in shapes]


def make_optimizer(lib, name, kwargs):
    """``lib.optimizers.<name>(**kwargs)``; a ``LossScaleOptimizer``'s ``kwargs["inner"]`` names the optimizer it
    wraps, as ``(name, kwargs)``."""
    if name == "LossScaleOptimizer":
        inner_name, inner_kwargs = kwargs["inner"]
        rest = {k: v for k, v in kwargs.items() if k != "inner"}
        return lib.optimizers.LossScaleOptimizer(getattr(lib.optimizers, inner_name)(**inner_kwargs), **rest)
    return getattr(lib.optimizers, name)(**kwargs)


def make_variables(lib, values, paths=None):
    """Variables of ``lib`` holding ``values``, named after the last part of their ``paths`` (default ``w0``,
    ``w1``, ...) and with those paths."""
    paths = paths or [f"w{i}" for i in range(len(values))]
    if lib is kerasport:
        variables = [B.variable(w, name=path.split("/")[-1]) for path, w in zip(paths, values)]
        for path, v in zip(paths, variables):
            v.path = path
    else:
        variables = [lib.Variable(w, name=path.split("/")[-1]) for path, w in zip(paths, values)]
        for path, v in zip(paths, variables):
            v._path = path
    return variables


def as_array(lib, variable, dtype=None):
    """What ``variable`` (of ``lib``) holds, as a numpy array (of ``dtype``)."""
    return np.asarray(B.convert_to_numpy(variable) if lib is kerasport else variable.numpy(), dtype)


def apply_steps(lib, optimizer, values, grads, paths=None):
    """``optimizer`` (of ``lib``) applies ``grads``, step by step, to new variables holding ``values``
    (``make_variables``); returns what the variables hold then."""
    variables = make_variables(lib, values, paths)
    tensor = B.convert_to_tensor if lib is kerasport else lib.ops.convert_to_tensor
    for step in grads:
        optimizer.apply([tensor(g) for g in step], variables)
    return [as_array(lib, v) for v in variables]


def check_same_state(ours, opt, theirs, kopt, rtol, atol):
    """Our variables' values ``ours`` and our optimizer ``opt`` equal Keras's ``theirs`` and ``kopt``: the values,
    and the optimizer variables' shapes and values, to ``rtol`` and ``atol``."""
    for o, k in zip(ours, theirs):
        np.testing.assert_allclose(o, k, rtol=rtol, atol=atol)
    assert [tuple(v.shape) for v in opt.variables] == [tuple(v.shape) for v in kopt.variables]
    for o, k in zip(opt.variables, kopt.variables):
        np.testing.assert_allclose(as_array(kerasport, o, "float64"), np.asarray(k.numpy(), "float64"),
                                   rtol=rtol, atol=atol)


def check_fit_matches_keras(keras, build, x, y):
    """``build(lib)`` (a compiled model of ``lib``) fits two epochs of ``(x, y)`` to Keras's losses, weights and
    optimizer variables, from Keras's initial weights.

    Keras's optimizer is built before ``fit``: built while Keras-on-TensorFlow traces its train step, some
    optimizers lose what they set up in ``build`` (ScheduleFreeAdamW's copy of the weights, MultiOptimizer's
    sub-optimizers' slots)."""
    theirs = build(keras)
    theirs.optimizer.build(theirs.trainable_variables)
    ours = build(kerasport)
    ours.set_weights(theirs.get_weights())
    want = theirs.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    got = ours.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for o, k in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(o, k, rtol=1e-5, atol=1e-6)
    assert len(ours.optimizer.variables) == len(theirs.optimizer.variables)
    for o, k in zip(ours.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_allclose(as_array(kerasport, o, "float64"), np.asarray(k.numpy(), "float64"),
                                   rtol=1e-5, atol=1e-6)


def check_saved_model_keeps_optimizer_state(model, x, y, path):
    """``model`` (ours, compiled) fits one epoch and is saved to ``path``; the loaded model's optimizer has the same
    class, config and variables, and the next epoch of both gives the same losses. Returns the loaded model."""
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    model.save(path)
    loaded = kerasport.saving.load_model(path)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_allclose(B.convert_to_numpy(a), B.convert_to_numpy(b))
    want = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False).history["loss"]
    got = loaded.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    return loaded
