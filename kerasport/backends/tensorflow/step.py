"""TensorFlow step builders: one ``tf.function`` per train/test/predict step (``jit_compile=True``: XLA).
The whole step (forward, ``GradientTape``, update, constraints, metrics) is traced once."""
import tensorflow as tf

from kerasport.backends.tensorflow import distribute


# ----------------------------------------------------------------------------- step builders
def _batch_size(x):
    from kerasport.utils import tree  # kerasport.utils imports kerasport.backends: imported on first use
    return tf.cast(tf.shape(tree.flatten(x)[0])[0], tf.float32)


def _compile(fn, model):
    if model.run_eagerly:
        return fn
    return tf.function(fn, jit_compile=model.jit_compile, reduce_retracing=True)


def _constraints(model):
    """(variable, constraint) for each trainable variable with a constraint, as Keras's optimizer applies them."""
    return [(v, v.constraint) for v in model.trainable_variables if getattr(v, "constraint", None) is not None]


def compile_step(fn, model):
    """A user's overridden step, traced once into a ``tf.function`` (unless ``run_eagerly``)."""
    return _compile(fn, model)


def make_train_function(model):
    params = model.trainable_weights
    optimizer = model.optimizer
    optimizer.build(params)
    constrained = _constraints(model)
    all_reduce = distribute.gradient_reducer()

    def step(x, y, sw):
        with tf.GradientTape() as tape:
            tape.watch(params)
            y_pred = model(x, training=True)
            loss = model.compute_loss(x, y, y_pred, sw)
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, params)
        n = _batch_size(x)
        if all_reduce is not None:
            grads = all_reduce(grads, params, n)
        optimizer.apply(grads, params)
        for var, constraint in constrained:
            var.assign(constraint(var))
        distribute.when_samples(n, lambda: model.update_metrics(loss, y, y_pred, sw, n))

    return _runner(distribute.replicated(step), model)


def make_test_function(model):
    def step(x, y, sw):
        y_pred = model(x, training=False)
        loss = model.compute_loss(x, y, y_pred, sw)
        n = _batch_size(x)
        distribute.when_samples(n, lambda: model.update_metrics(loss, y, y_pred, sw, n))

    return _runner(distribute.replicated(step), model)


def _runner(step, model):
    """``run(batch)`` for one step, and ``run.loop(batches)`` for ``steps_per_execution`` steps:
    batches of one shape go stacked into one ``tf.function`` that loops over them in the graph."""
    from kerasport.utils import tree  # kerasport.utils imports kerasport.backends: imported on first use
    one = _compile(step, model)

    def many(xs, ys, sws):
        def body(i):
            step(*tree.map_structure(lambda t: None if t is None else t[i], (xs, ys, sws)))
            return (i + 1,)
        count = tf.shape(tree.flatten(xs)[0])[0]
        tf.while_loop(lambda i: i < count, body, (tf.constant(0),))

    looped = _compile(many, model)

    def run(batch):
        return one(*batch)

    def loop(batches):
        flats = [tree.flatten(b) for b in batches]
        shapes = [[None if t is None else tuple(t.shape) for t in f] for f in flats]
        if model.run_eagerly or not one.experimental_get_tracing_count() or any(s != shapes[0] for s in shapes):
            for batch in batches:  # eager, the first trace (variables are made in it), or a ragged group
                one(*batch)
            return
        looped(*tree.pack_as(batches[0], [None if ts[0] is None else tf.stack(ts) for ts in zip(*flats)]))

    loop.compiled = looped  # the tf.function with the in-graph loop
    run.loop = loop
    return run


def make_predict_function(model):
    def step(x):
        return model(x, training=False)

    compiled = _compile(step, model)
    return lambda batch: compiled(batch[0])
