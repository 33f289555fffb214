"""TensorFlow training: the optimizer update kernels (and the step hooks of ``tf_step``).

The kernels are traced into the one ``tf.function`` of a train step; inside the
graph the per-variable updates are fused by Grappler/XLA, so they loop in
Python only while tracing.
"""
import tensorflow as tf

from kerasport.backends import tf_backend as B


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
# Per-variable assigns, traced once into the train step (Grappler/XLA fuse them).
# ``lr`` is a float tensor (or a Python float) and ``step`` the 1-based update
# count, an integer tensor.
def _f(x):
    return tf.cast(x, tf.float32)


def weight_decay(variables, lr, decay):
    """``w -= lr * decay * w`` for each variable."""
    for v in variables:
        v.assign_sub(v * tf.cast(lr * decay, v.dtype))


def sgd(variables, grads, moms, lr, momentum, nesterov):
    """``m = momentum*m - lr*g; w += m`` (Nesterov: ``w += momentum*m - lr*g``); ``w -= lr*g`` without ``moms``."""
    lr = _f(lr)
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
    """Adam with Keras's bias correction folded into the step size; AMSGrad when ``vhats`` is given."""
    step = _f(step)
    alpha = _f(lr) * tf.sqrt(1 - tf.pow(beta_2, step)) / (1 - tf.pow(beta_1, step))
    for i, (v, g, m, s) in enumerate(zip(variables, grads, ms, vs)):
        m.assign_add((g - m) * (1 - beta_1))
        s.assign_add((tf.square(g) - s) * (1 - beta_2))
        if vhats is not None:
            vhats[i].assign(tf.maximum(vhats[i], s))
            s = vhats[i]
        v.assign_sub((m * alpha) / (tf.sqrt(s) + epsilon))


def adamax(variables, grads, ms, us, lr, beta_1, beta_2, epsilon, step):
    """``m = lerp(m, g, 1-b1); u = max(b2*u, |g|); w -= lr/(1-b1^t) * m/(u+eps)``."""
    lr, step = _f(lr), _f(step)
    for v, g, m, u in zip(variables, grads, ms, us):
        m.assign_add((g - m) * (1 - beta_1))
        u.assign(tf.maximum(beta_2 * u, tf.abs(g)))
        v.assign_sub(lr * m / ((1 - tf.pow(beta_1, step)) * (u + epsilon)))


def nadam(variables, grads, ms, vs, u_product, lr, beta_1, beta_2, epsilon, step):
    """Nadam; ``u_product`` is the running product of the momentum schedule."""
    lr, step = _f(lr), _f(step)
    u_t = beta_1 * (1.0 - 0.5 * tf.pow(0.96, step))
    u_t_1 = beta_1 * (1.0 - 0.5 * tf.pow(0.96, step + 1))
    product = u_product.assign(u_product * u_t)
    product_1 = product * u_t_1
    v_scale = 1 - tf.pow(beta_2, step)
    for v, g, m, s in zip(variables, grads, ms, vs):
        m.assign_add((g - m) * (1 - beta_1))
        s.assign_add((tf.square(g) - s) * (1 - beta_2))
        m_hat = u_t_1 * m / (1 - product_1) + (1 - u_t) * g / (1 - product)
        v.assign_sub(m_hat * lr / (tf.sqrt(s / v_scale) + epsilon))


def rmsprop(variables, grads, velocities, moms, avgs, lr, rho, momentum, epsilon):
    """RMSprop; centered when ``avgs`` is given, with momentum when ``moms`` is given."""
    lr = _f(lr)
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


def adagrad(variables, grads, accumulators, lr, epsilon):
    """``a += g^2; w -= lr * g / sqrt(a + eps)``."""
    lr = _f(lr)
    for v, g, a in zip(variables, grads, accumulators):
        a.assign_add(tf.square(g))
        v.assign_sub(lr * g / tf.sqrt(a + epsilon))


def adadelta(variables, grads, acc_grads, acc_deltas, lr, rho, epsilon):
    """``a = rho*a + (1-rho)*g^2; d = sqrt(s+eps)/sqrt(a+eps)*g; s = rho*s + (1-rho)*d^2; w -= lr*d``."""
    lr = _f(lr)
    for v, g, a, s in zip(variables, grads, acc_grads, acc_deltas):
        a.assign(rho * a + (1 - rho) * tf.square(g))
        delta = tf.sqrt(s + epsilon) * g / tf.sqrt(a + epsilon)
        s.assign(rho * s + (1 - rho) * tf.square(delta))
        v.assign_sub(lr * delta)


def lion(variables, grads, ms, lr, beta_1, beta_2):
    """``w -= lr * sign(b1*m + (1-b1)*g); m = b2*m + (1-b2)*g``."""
    lr = _f(lr)
    for v, g, m in zip(variables, grads, ms):
        v.assign_sub(lr * tf.sign(m * beta_1 + g * (1.0 - beta_1)))
        m.assign(m * beta_2 + g * (1.0 - beta_2))


def ftrl(variables, grads, accumulators, linears, lr, lr_power, l1, l2, l2_shrinkage, beta):
    """FTRL-Proximal: accumulate ``z`` (``linears``) and ``n`` (``accumulators``), then solve for ``w``."""
    lr = _f(lr)
    l2_reg = l2 + beta / (2.0 * lr)
    for v, g, n, z in zip(variables, grads, accumulators, linears):
        new_n = n + tf.square(g)
        new_pow = tf.pow(new_n, -lr_power)
        z.assign_add(g + 2 * l2_shrinkage * v - (new_pow - tf.pow(n, -lr_power)) / lr * v)
        v.assign((tf.clip_by_value(z, -l1, l1) - z) / (new_pow / lr + 2 * l2_reg))
        n.assign(new_n)


def clip_each_by_norm(grads, clipnorm):
    """Each gradient scaled to an L2 norm of at most ``clipnorm``."""
    return [tf.clip_by_norm(g, clipnorm) for g in grads]


def clip_by_global_norm(grads, clipnorm):
    """All gradients scaled together to a global L2 norm of at most ``clipnorm``."""
    return tf.clip_by_global_norm(grads, clipnorm)[0]


def accumulate(accumulators, grads):
    """``a += g`` (gradient accumulation)."""
    for a, g in zip(accumulators, grads):
        a.assign_add(g)


def zero(variables):
    """Set every variable to zeros."""
    for v in variables:
        v.assign(tf.zeros_like(v))


def ema(averages, variables, momentum, count):
    """``a = momentum*a + (1-momentum)*w``, or ``a = w`` at update count 0."""
    momentum = tf.cast(tf.not_equal(count, 0), tf.float32) * momentum
    for a, v in zip(averages, variables):
        a.assign(momentum * a + (1 - momentum) * v)


def copy_into(targets, sources):
    """``t = s`` for each pair."""
    for t, s in zip(targets, sources):
        t.assign(s)


from kerasport.backends.tf_step import *  # noqa: E402,F401,F403  (the step hooks of kerasport.trainers.step)
from kerasport.backends.tf_data import *  # noqa: E402,F401,F403  (dataset builders of kerasport.utils)
