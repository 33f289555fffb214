"""TensorFlow training: one ``tf.function`` per step and the optimizer update kernels.

The whole step (forward, ``GradientTape``, update, constraints, metrics) is
traced once; ``jit_compile=True`` compiles it with XLA. Inside the graph the
per-variable updates are fused by Grappler/XLA, so the kernels below loop in
Python only while tracing.
"""
import tensorflow as tf

from kerasport.backends import tf_backend as B
from kerasport.utils import tree


# ----------------------------------------------------------------------------- optimizer state
def host_variable(value, dtype, name):
    """A scalar variable (step counts, learning rates)."""
    return B.variable(value, dtype=dtype, trainable=False, name=name)


def read(var):
    """The variable's value as a tensor (read each step inside the graph)."""
    return tf.convert_to_tensor(var)


def increment(counter):
    """Add 1 to ``counter``; returns the new count as a float tensor."""
    counter.assign_add(1)
    return tf.cast(counter, tf.float32)


# ----------------------------------------------------------------------------- update kernels
def weight_decay(variables, lr, decay):
    for v in variables:
        v.assign_sub(v * tf.cast(lr * decay, v.dtype))


def sgd(variables, grads, moms, lr, momentum, nesterov):
    lr = tf.cast(lr, tf.float32)
    if moms is None:
        for v, g in zip(variables, grads):
            v.assign_sub(g * lr)
        return
    for v, g, m in zip(variables, grads, moms):
        m.assign(m * momentum - g * lr)
        if nesterov:
            v.assign_add(m * momentum - g * lr)
        else:
            v.assign_add(m)


def adam(variables, grads, ms, vs, vhats, lr, beta_1, beta_2, epsilon, step):
    lr = tf.cast(lr, tf.float32)
    alpha = lr * tf.sqrt(1 - tf.pow(beta_2, step)) / (1 - tf.pow(beta_1, step))
    for i, (v, g, m, s) in enumerate(zip(variables, grads, ms, vs)):
        m.assign_add((g - m) * (1 - beta_1))
        s.assign_add((tf.square(g) - s) * (1 - beta_2))
        if vhats is not None:
            vhats[i].assign(tf.maximum(vhats[i], s))
            s = vhats[i]
        v.assign_sub((m * alpha) / (tf.sqrt(s) + epsilon))


def rmsprop(variables, grads, velocities, moms, avgs, lr, rho, momentum, epsilon):
    lr = tf.cast(lr, tf.float32)
    for i, (v, g, vel) in enumerate(zip(variables, grads, velocities)):
        vel.assign(rho * vel + (1 - rho) * tf.square(g))
        if avgs is not None:
            avgs[i].assign(rho * avgs[i] + (1 - rho) * g)
            denom = vel - tf.square(avgs[i]) + epsilon
        else:
            denom = vel + epsilon
        increment_ = lr * g / tf.sqrt(denom)
        if moms is not None:
            moms[i].assign(momentum * moms[i] + increment_)
            v.assign_sub(moms[i])
        else:
            v.assign_sub(increment_)


def clip_each_by_norm(grads, clipnorm):
    return [tf.clip_by_norm(g, clipnorm) for g in grads]


def clip_by_global_norm(grads, clipnorm):
    return tf.clip_by_global_norm(grads, clipnorm)[0]


# ----------------------------------------------------------------------------- step builders
def _batch_size(x):
    return tf.cast(tf.shape(tree.flatten(x)[0])[0], tf.float32)


def _compile(fn, model):
    if model._run_eagerly:
        return fn
    return tf.function(fn, jit_compile=model._jit_compile, reduce_retracing=True)


def _constraints(model):
    return [(v, c) for layer in model._flatten_layers() for v, c in layer._constraints]


def make_train_function(model):
    """The callable ``step((x, y, sample_weight))`` that trains ``model`` on one batch."""
    from kerasport.models.model import Model
    if type(model).train_step is not Model.train_step:
        fn = _compile(model.train_step, model)
        return fn
    params = model.trainable_weights
    optimizer = model.optimizer
    optimizer.build(params)
    constrained = _constraints(model)

    def step(x, y, sw):
        with tf.GradientTape() as tape:
            tape.watch(params)
            y_pred = model(x, training=True)
            loss = model.compute_loss(x, y, y_pred, sw)
        grads = tape.gradient(loss, params)
        optimizer.apply(grads, params)
        for var, constraint in constrained:
            var.assign(constraint(var))
        model.update_metrics(loss, y, y_pred, sw, _batch_size(x))

    compiled = _compile(step, model)
    return lambda batch: compiled(*batch)


def make_test_function(model):
    from kerasport.models.model import Model
    if type(model).test_step is not Model.test_step:
        return _compile(model.test_step, model)

    def step(x, y, sw):
        y_pred = model(x, training=False)
        loss = model.compute_loss(x, y, y_pred, sw)
        model.update_metrics(loss, y, y_pred, sw, _batch_size(x))

    compiled = _compile(step, model)
    return lambda batch: compiled(*batch)


def make_predict_function(model):
    from kerasport.models.model import Model
    if type(model).predict_step is not Model.predict_step:
        return _compile(model.predict_step, model)

    def step(x):
        return model(x, training=False)

    compiled = _compile(step, model)
    return lambda batch: compiled(batch[0])
