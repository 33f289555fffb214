"""TensorFlow's hooks for the train / test / predict steps that ``kerasport.trainers.step`` writes once.

Gradients come from a ``GradientTape``; a step is one ``tf.function`` (XLA with ``jit_compile``),
and ``steps_per_execution`` steps over batches of one shape run in one ``tf.function`` that loops
over them in the graph. Sample counts are float tensors.
"""
import numpy as np
import tensorflow as tf

from kerasport.backends.tensorflow.distribute import (all_reduce_replica_gradients, distributed_user_step,  # noqa: F401
                                                      gradient_reducer, in_user_step, replicas_in_sync,
                                                      replicated, when_samples)
from kerasport.backends.tensorflow.nn import XLA_TRACING
from kerasport.core import nest as tree


def batch_size(x):
    """The number of samples in the batch ``x`` (a tensor or a structure of tensors), a float32 tensor."""
    return tf.cast(tf.shape(tree.flatten(x)[0])[0], tf.float32)


def gradient_function(variables):
    """``gradients(fn, count)``: ``(aux, grads)`` where ``fn()`` returns ``(value, aux)`` and ``grads`` are
    the gradients of the scalar ``value`` with respect to ``variables`` (``None`` where unused), taken on
    a ``GradientTape``; under a distribution, all-reduced by ``distribute.gradient_reducer`` into the
    mean over the workers weighted by their ``count`` (an empty share's gradients are zeroed in the graph).
    """
    reduce = gradient_reducer()

    def gradients(fn, count):
        with tf.GradientTape() as tape:
            tape.watch(variables)
            value, aux = fn()
        grads = tape.gradient(value, variables)
        return aux, grads if reduce is None else reduce(grads, variables, count)

    return gradients


def compile_function(fn, jit_compile, run_eagerly):
    """``fn`` traced once into a ``tf.function`` (XLA with ``jit_compile``), or ``fn`` itself when ``run_eagerly``.

    The trace leaves the batch dim of every tensor argument unknown, as Keras's ``tf.data`` batches have it: a
    ``fit`` whose last batch is smaller, and an ``evaluate`` or ``predict`` at another batch size, run the same
    graph (one trace where there was one per batch size).

    Called inside an overridden step's replica under a distribution (``super().train_step(data)``), the
    compiled function runs ``fn`` itself, traced into that step: TensorFlow refuses the all-reduces of a
    ``tf.function`` nested in ``strategy.run``.
    """
    return _compiled(fn, jit_compile, run_eagerly, batch_axes=1)


def _compiled(fn, jit_compile, run_eagerly, batch_axes):
    """``compile_function``, its trace leaving the first ``batch_axes`` dims of every tensor argument unknown.

    Where that trace fails (a layer that needs a known batch size, a loss whose targets do not fit the outputs),
    the arguments' own shapes are traced instead: the step runs where it ran before, and an error names the batch's
    shapes."""
    if run_eagerly:
        return fn

    def function(relaxed):
        return tf.function(_tracing_for_xla(fn) if jit_compile else fn, jit_compile=jit_compile,
                           reduce_retracing=relaxed, autograph=False)

    traced, exact = function(True), []  # ``exact``: the function traced at each batch's shapes, once one is needed
    concrete = {}  # the traced graph of each batch signature seen, called without tf.function's dispatch

    def trace(args):
        try:
            return traced.get_concrete_function(*_specs(args, batch_axes))
        except Exception:  # noqa: BLE001 (traced again at each batch's own shapes, which raises what it raises)
            if not exact:
                exact.append(function(False))  # a new function: its first trace may still make the step's variables
            return exact[0]

    def run(*args):
        if in_user_step():
            return fn(*args)
        key = _signature(args, batch_axes) if _plain_eager_call() else _UNKEYED
        if key is _UNKEYED:
            return traced(*args)
        graph = concrete.get(key)
        if graph is None:
            graph = concrete[key] = trace(args)
        try:
            return graph(*args)
        except tf.errors.InvalidArgumentError:
            # Traced at the batch's own shapes, a step whose shapes cannot fit (targets for another output) fails
            # while tracing, with an error that names them; else the graph's own error stands.
            tf.function(fn, autograph=False).get_concrete_function(*_specs(args, 0))
            raise

    run.experimental_get_tracing_count = lambda: sum(f.experimental_get_tracing_count() for f in [traced] + exact)
    return run


compile_user_function = compile_function


def _tracing_for_xla(fn):
    """``fn`` with ``nn.XLA_TRACING`` set while it runs (is traced), so the kernels choose XLA's best ops."""
    def traced(*args):
        token = XLA_TRACING.set(True)
        try:
            return fn(*args)
        finally:
            XLA_TRACING.reset(token)

    return traced


def _signature(value, batch_axes):
    """A hashable key of the structure, shapes (less their first ``batch_axes`` dims) and dtypes of ``value`` (a
    step's arguments), or ``_UNKEYED`` for anything but tensors, arrays and Python constants in tuples, lists and
    str-keyed dicts.

    ``tf.function`` matches each call's arguments against its traces through its general type system,
    about 0.15 ms a call on a CPU, much of a small step. A ``fit`` or ``predict`` has one batch signature, so
    ``compile_function`` looks its traced graph up by this key instead."""
    if isinstance(value, (tf.Tensor, np.ndarray)):
        return _free(value.shape, batch_axes), value.dtype
    if value is None or isinstance(value, (bool, int, float, str)):
        return type(value), value
    if isinstance(value, (tuple, list)):
        keys, items = None, value
    elif isinstance(value, dict) and all(type(k) is str for k in value):
        keys = tuple(sorted(value))
        items = [value[k] for k in keys]
    else:
        return _UNKEYED
    parts = tuple(_signature(item, batch_axes) for item in items)
    return _UNKEYED if any(p is _UNKEYED for p in parts) else (type(value), keys, parts)


def _free(shape, batch_axes):
    """``shape`` as a tuple with its first ``batch_axes`` dims unknown (``None``)."""
    shape = tuple(shape)
    n = min(batch_axes, len(shape))
    return (None,) * n + shape[n:]


def _specs(args, batch_axes):
    """``args`` with each tensor or array as a ``tf.TensorSpec`` whose first ``batch_axes`` dims are unknown."""
    def spec(value):
        if isinstance(value, (tf.Tensor, np.ndarray)):
            text = isinstance(value, np.ndarray) and value.dtype.kind in "OSU"
            dtype = tf.string if text else tf.as_dtype(value.dtype)
            return tf.TensorSpec(_free(value.shape, batch_axes), dtype)
        return value

    return tf.nest.map_structure(spec, args)


_UNKEYED = object()


def _plain_eager_call():
    """Whether a call's trace depends on its arguments alone: called eagerly, with no distribution strategy
    (whose scope ``tf.function`` keys its traces by) and ``tf.config.run_functions_eagerly`` off."""
    return tf.executing_eagerly() and not tf.distribute.has_strategy() and not tf.config.functions_run_eagerly()


def compile_loop(step, compiled, jit_compile, run_eagerly):
    """``loop(batches)``, running ``step`` once per batch: batches of one shape go stacked into one
    ``tf.function`` that loops over them in the graph (``loop.compiled``).

    ``compiled`` is ``step``'s own compiled function: it runs the batches one by one when eager, before
    its first trace (variables are made in it), and for a group of batches of different shapes.
    """
    def many(batches):
        def body(i):
            step(_batch(batches, i))
            return (i + 1,)
        tf.while_loop(lambda i: i < _count(batches), body, (tf.constant(0),))

    looped = _compiled(many, jit_compile, run_eagerly, batch_axes=2)

    def loop(batches):
        stacked = None if run_eagerly or not compiled.experimental_get_tracing_count() else _stacked(batches)
        if stacked is None:
            for batch in batches:
                compiled(batch)
            return
        looped(stacked)

    loop.compiled = looped
    return loop


def compile_predict_loop(step, compiled, jit_compile, run_eagerly):
    """``loop(batches)``: ``step``'s outputs for each batch, concatenated on the first axis, as Keras's
    ``predict`` gives them for a ``steps_per_execution`` group. Batches of one shape go stacked into one
    ``tf.function`` that loops over them in the graph and gathers the outputs in ``TensorArray``s
    (``loop.compiled``); ``compiled`` (``step``'s own compiled function) runs them one by one when
    eager, in the first group (variables may be made then) and for a group of batches of different shapes.
    """
    def many(batches):
        first = step(_batch(batches, 0))
        arrays = [tf.TensorArray(t.dtype, size=_count(batches), element_shape=t.shape).write(0, t)
                  for t in tree.flatten(first)]

        def body(i, arrays):
            outputs = tree.flatten(step(_batch(batches, i)))
            return i + 1, [a.write(i, t) for a, t in zip(arrays, outputs)]

        _, arrays = tf.while_loop(lambda i, _: i < _count(batches), body, (tf.constant(1), arrays))
        return tree.pack_as(first, [a.concat() for a in arrays])

    looped = _compiled(many, jit_compile, run_eagerly, batch_axes=2)
    ran = []

    def loop(batches):
        stacked = None if run_eagerly or not ran else _stacked(batches)
        ran[:] = [True]
        if stacked is not None:
            return looped(stacked)
        outputs = [compiled(batch) for batch in batches]
        return tree.pack_as(outputs[0], [tf.concat(ts, 0) for ts in zip(*map(tree.flatten, outputs))])

    loop.compiled = looped
    return loop


def _count(stacked):
    """The number of batches stacked in ``stacked``."""
    return tf.shape(tree.flatten(stacked[0])[0])[0]


def _batch(stacked, i):
    """Batch ``i`` of ``stacked``."""
    return tree.map_structure(lambda t: None if t is None else t[i], stacked)


def _stacked(batches):
    """The batches stacked on a new first axis into one structure, or ``None`` when their shapes differ."""
    flats = [tree.flatten(b) for b in batches]
    shapes = [[None if t is None else tuple(t.shape) for t in f] for f in flats]
    if any(s != shapes[0] for s in shapes):
        return None
    return tree.pack_as(batches[0], [None if ts[0] is None else tf.stack(ts) for ts in zip(*flats)])
