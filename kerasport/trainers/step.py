"""The built-in train / test / predict steps, written once over the model's public methods.

A step takes one batch ``(x, y, sample_weight)``. The backend (``B``) supplies only the hooks:
``gradient_function`` (all-reducing under a distribution), ``compile_function``, ``compile_loop`` and
``compile_predict_loop`` (TensorFlow's in-graph loops for ``steps_per_execution``), ``batch_size`` and the
distribution hooks (``when_samples``, ``replicated``). Each builder runs once per ``compile``, never per step.
"""
from kerasport.backends import B


def make_train_function(model):
    """The callable ``step((x, y, sample_weight))`` that trains ``model`` on one batch: forward, loss,
    gradients (all-reduced under a distribution), the optimizer's update, the variables' constraints
    and the metric updates. ``step.loop(batches)`` runs several (TensorFlow)."""
    params = model.trainable_weights
    optimizer = model.optimizer
    optimizer.build(params)
    constrained = [(v, v.constraint) for v in params if getattr(v, "constraint", None) is not None]
    gradients = B.gradient_function(params)

    def step(batch):
        x, y, sw = batch

        def forward():
            y_pred = _forward(model, x, True)
            loss = model.compute_loss(x, y, y_pred, sw)
            return optimizer.scale_loss(loss), (loss, y_pred)

        n = B.batch_size(x)
        (loss, y_pred), grads = gradients(forward, n)
        with B.no_grad():
            optimizer.apply(grads, params)
            for var, constraint in constrained:
                var.assign(constraint(var))
            B.when_samples(n, lambda: model.update_metrics(loss, y, y_pred, sw, n))

    return _runner(B.replicated(step, params), model)


def make_test_function(model):
    """The callable ``step((x, y, sample_weight))`` that updates the metrics on one batch."""

    def step(batch):
        x, y, sw = batch
        with B.no_grad():
            y_pred = _forward(model, x, False)
            n = B.batch_size(x)
            B.when_samples(n, lambda: model.update_metrics(model.compute_loss(x, y, y_pred, sw), y, y_pred, sw, n))

    return _runner(B.replicated(step), model)


def make_predict_function(model):
    """The callable ``step((x, y, sample_weight))`` returning the model's outputs for ``x``;
    ``step.loop(batches)`` returns those of several concatenated (TensorFlow)."""

    def step(batch):
        with B.no_grad():
            return _forward(model, batch[0], False)

    return with_predict_loop(B.compile_function(step, model.jit_compile, model.run_eagerly), step, model)


def _forward(model, x, training):
    """``model(x, training=training)`` where the model's ``call`` takes ``training``, else ``model(x)``, as Keras's
    steps call it: the layers of a subclassed model whose ``call`` takes no ``training`` then run with their own
    default (``BatchNormalization`` and ``Dropout`` in inference mode, even in ``fit``)."""
    return model(x, training=training) if model._call_has_training else model(x)


def with_predict_loop(compiled, step, model):
    """``compiled`` (a predict step) with ``.loop(batches)`` where the backend runs several in one call."""
    return _with_loop(compiled, B.compile_predict_loop(step, compiled, model.jit_compile, model.run_eagerly))


def _runner(step, model):
    """``step`` compiled, with ``.loop(batches)`` where the backend runs several steps in one call."""
    compiled = B.compile_function(step, model.jit_compile, model.run_eagerly)
    return _with_loop(compiled, B.compile_loop(step, compiled, model.jit_compile, model.run_eagerly))


def _with_loop(compiled, loop):
    """``compiled``, with the backend's multi-step ``loop`` (if any) as ``.loop`` (and itself as ``.compiled``)."""
    if loop is None:
        return compiled

    def run(batch):
        return compiled(batch)

    run.loop, run.compiled = loop, compiled
    return run
