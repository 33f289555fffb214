"""TensorFlow collectives for data-parallel training: one worker process per device, ``tf.distribute``.

Several workers named in ``TF_CONFIG`` form a ``MultiWorkerMirroredStrategy``; otherwise a
``MirroredStrategy`` over the local device. Weights stay plain ``tf.Variable``s that every
worker updates identically: the train step runs in the strategy's replica context, where
gradients, metric states and broadcasts are one ``all_reduce`` each. Collectives time out,
so a worker that died ends the others instead of hanging them.
"""
import json
import os

import tensorflow as tf

TIMEOUT_S = float(os.environ.get("KERASPORT_COLLECTIVE_TIMEOUT", 30))
_active = {"world": 1, "strategy": None}


def list_devices(device_type=None):
    """``["cpu:0"]`` or ``["gpu:0", ...]``: the devices of this machine, of ``device_type`` when given."""
    kind = (device_type or ("gpu" if tf.config.list_logical_devices("GPU") else "cpu")).lower()
    kind = "gpu" if kind == "cuda" else kind
    if kind not in ("cpu", "gpu"):
        raise ValueError(f"Unknown device type {device_type!r}: expected 'cpu' or 'gpu'.")
    return [f"{kind}:{i}" for i in range(len(tf.config.list_logical_devices(kind.upper())))]


def initialize(devices, strategy=None):
    """Create (or adopt) the strategy; returns ``(rank, world_size)``.

    ``TF_CONFIG`` naming several workers gives a ``MultiWorkerMirroredStrategy`` (rank:
    this task's index); otherwise a ``MirroredStrategy`` over ``devices`` (one process; by
    default its first device).
    Each worker must drive exactly one device.
    """
    if strategy is None:
        workers = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {}).get("worker", [])
        if len(workers) > 1:
            options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=TIMEOUT_S)
            strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
        else:
            strategy = tf.distribute.MirroredStrategy([_tf_device(d) for d in devices or list_devices()[:1]])
    resolver = getattr(strategy, "cluster_resolver", None)
    world = resolver.cluster_spec().num_tasks("worker") if resolver is not None and resolver.cluster_spec() else 1
    world = max(world, 1)
    if strategy.num_replicas_in_sync != world:
        raise NotImplementedError(
            f"DataParallel on TensorFlow runs one device per worker process, but the strategy has "
            f"{strategy.num_replicas_in_sync} replicas over {world} worker(s). Start one worker per device "
            f"(TF_CONFIG, with CUDA_VISIBLE_DEVICES naming one GPU each).")
    rank = resolver.task_id if world > 1 else 0
    _active["strategy"] = strategy
    return int(rank or 0), world


def enclosing_strategy():
    """The strategy of an enclosing ``with strategy.scope():`` block, or ``None``."""
    return tf.distribute.get_strategy() if tf.distribute.has_strategy() else None


def _tf_device(name):
    kind, _, index = name.partition(":")
    return f"/{kind.upper()}:{index or 0}"


def activate(world_size):
    """Make step functions built from now on run in the strategy and average gradients."""
    _active["world"] = world_size


def shutdown():
    """Forget the strategy."""
    _active["strategy"], _active["world"] = None, 1


def _in_replica(fn, *args):
    return _active["strategy"].run(fn, args=args)


def _all_reduce(values):
    """Sum ``values`` over the workers, from the replica context (pinned to this worker's
    device: a collective needs to know where its inputs live)."""
    with tf.device(_active["strategy"].extended.worker_devices[0]):
        values = tf.nest.map_structure(tf.identity, values)
    return tf.distribute.get_replica_context().all_reduce("sum", values)


@tf.function
def _sum(values):
    return _in_replica(_all_reduce, values)


def all_reduce_sum(tensors):
    """The element-wise sums over workers of ``tensors``."""
    if not tensors:
        return []
    tensors = [tf.convert_to_tensor(t) for t in tensors]
    flat = _sum(tf.concat([tf.reshape(tf.cast(t, tf.float64), [-1]) for t in tensors], 0))
    sizes = [int(tf.size(t)) for t in tensors]
    return [tf.cast(tf.reshape(part, t.shape), t.dtype) for part, t in zip(tf.split(flat, sizes), tensors)]


def broadcast_variables(variables):
    """Give every worker worker 0's values of ``variables``."""
    if not variables:
        return
    rank = _active["strategy"].cluster_resolver.task_id
    mine = [tf.convert_to_tensor(v) for v in variables]
    summed = all_reduce_sum([t if rank == 0 else tf.zeros_like(t) for t in mine])
    for var, value in zip(variables, summed):
        var.assign(value)


def replicated(step):
    """``step`` run in the strategy's replica context under an active distribution (else ``step``)."""
    if _active["world"] == 1:
        return step
    return lambda *args: _in_replica(step, *args)


def gradient_reducer():
    """``reduce(grads, params, count)`` under an active distribution (else ``None``): the global-batch
    gradients from each worker's gradients of its ``count`` samples.

    Each worker's gradients are weighted by its sample count and all-reduced in one flat
    bucket together with the counts, then divided by the total count: N workers holding
    shards of a global batch get the gradients of that whole batch, even for uneven
    shards (a worker with an empty shard adds zeros). A ``None`` gradient stays ``None``.
    """
    if _active["world"] == 1:
        return None

    def reduce(grads, params, count):
        weight = tf.cast(count, params[0].dtype)
        parts = [tf.zeros([tf.size(p)], p.dtype) if g is None
                 else tf.where(weight > 0, tf.reshape(tf.convert_to_tensor(g), [-1]) * weight, 0.0)
                 for g, p in zip(grads, params)]
        flat = _all_reduce(tf.concat(parts + [tf.reshape(weight, [1])], 0))
        flat = flat[:-1] / flat[-1]
        out, i = [], 0
        for g, p in zip(grads, params):
            size = int(tf.size(p))
            out.append(None if g is None else tf.reshape(flat[i:i + size], p.shape))
            i += size
        return out

    return reduce


def when_samples(count, update):
    """Run ``update()`` only when ``count`` (a scalar tensor) is positive, under a distribution."""
    if _active["world"] == 1:
        update()
    else:
        tf.cond(count > 0, lambda: (update(), tf.constant(0))[1], lambda: tf.constant(0))
