"""TensorFlow collectives for data-parallel training with ``tf.distribute``.

Several workers named in ``TF_CONFIG`` form a ``MultiWorkerMirroredStrategy`` (one device
per worker process); otherwise a ``MirroredStrategy`` over the local devices, one replica
each, in this process. Every replica holds a copy of every variable and updates it
identically: the train step runs in the strategy's replica context, where gradients,
metric states and broadcasts are one ``all_reduce`` each. A worker's weights stay plain
``tf.Variable``s; with several local replicas they are ``tf.distribute`` mirrored
variables (one component per device), created in the strategy's scope. Collectives time
out, so a worker that died ends the others instead of hanging them.
"""
import contextlib
import json
import os
import threading

import tensorflow as tf

from kerasport.backends.tensorflow import core
from kerasport.core import nest as tree

TIMEOUT_S = float(os.environ.get("KERASPORT_COLLECTIVE_TIMEOUT", 30))
_active = {"replicas": 1, "strategy": None}
_replica = threading.local()  # per replica thread (MirroredStrategy runs each replica in its own): in a user step?


def list_devices(device_type=None):
    """``["cpu:0"]`` or ``["gpu:0", ...]``: the devices of this machine, of ``device_type`` when given."""
    kind = (device_type or ("gpu" if tf.config.list_logical_devices("GPU") else "cpu")).lower()
    kind = "gpu" if kind == "cuda" else kind
    if kind not in ("cpu", "gpu"):
        raise ValueError(f"Unknown device type {device_type!r}: expected 'cpu' or 'gpu'.")
    return [f"{kind}:{i}" for i in range(len(tf.config.list_logical_devices(kind.upper())))]


def initialize(devices, strategy=None):
    """Create (or adopt) the strategy; returns ``(rank, num_processes, num_replicas)``.

    ``TF_CONFIG`` naming several workers gives a ``MultiWorkerMirroredStrategy`` (rank:
    this task's index); otherwise a ``MirroredStrategy`` over ``devices`` (one process, one
    replica per device; by default every device of ``list_devices()``, as in Keras). Several
    workers each drive one device (MultiWorkerMirroredStrategy gives a worker one CPU device);
    several devices per worker raise ``NotImplementedError``.
    """
    if strategy is None:
        workers = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {}).get("worker", [])
        if len(workers) > 1 and devices is not None and len(devices) > 1:
            raise NotImplementedError(_one_device_per_worker(f"DataParallel(devices={list(devices)!r})"))
        if len(workers) > 1:
            options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=TIMEOUT_S)
            strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
        else:
            strategy = tf.distribute.MirroredStrategy([_tf_device(d) for d in _local_devices(devices)])
    resolver = getattr(strategy, "cluster_resolver", None)
    world = resolver.cluster_spec().num_tasks("worker") if resolver is not None and resolver.cluster_spec() else 1
    world = max(world, 1)
    replicas = strategy.num_replicas_in_sync
    if world > 1 and replicas != world:
        raise NotImplementedError(_one_device_per_worker(f"a strategy of {replicas} replicas over {world} workers"))
    rank = resolver.task_id if world > 1 else 0
    _active["strategy"] = strategy
    return int(rank or 0), world, replicas


def _one_device_per_worker(received):
    return (f"DataParallel on TensorFlow with several workers (TF_CONFIG) trains one device per worker process, "
            f"received {received}. MultiWorkerMirroredStrategy gives each worker a single CPU device, however many "
            f"logical CPU devices the process has, and kerasport does not split a worker's batch over several "
            f"GPUs. Start one worker per device (TF_CONFIG naming each, CUDA_VISIBLE_DEVICES one GPU per "
            f"worker), or train on the local devices of one process without TF_CONFIG "
            f"(DataParallel(devices=[...]) or MirroredStrategy).")


def enclosing_strategy():
    """The strategy of an enclosing ``with strategy.scope():`` block, or ``None``."""
    return tf.distribute.get_strategy() if tf.distribute.has_strategy() else None


def _local_devices(devices):
    """``devices`` (by default ``list_devices()``) as ``"gpu:1"``, checked against this machine's devices."""
    if devices is None:
        return list_devices()
    names = [str(d).lower().lstrip("/").replace("cuda", "gpu") for d in devices]
    names = [n if ":" in n else n + ":0" for n in names]
    known = list_devices("cpu") + list_devices("gpu")
    if not names or any(n not in known for n in names):
        raise ValueError(f"DataParallel(devices=...) expects some of this machine's devices {known}, "
                         f"received {list(devices)}.")
    return names


def _tf_device(name):
    kind, _, index = name.partition(":")
    return f"/{kind.upper()}:{index or 0}"


def activate(num_replicas):
    """Make step functions built from now on run in the strategy over ``num_replicas`` replicas
    and average gradients (``1``: no distribution)."""
    _active["replicas"] = num_replicas
    core.set_variable_creation_scope(_creation_scope if _local_replicas() > 1 else contextlib.nullcontext)


def _local_replicas():
    strategy = _active["strategy"]
    return len(strategy.extended.worker_devices) if _active["replicas"] > 1 and strategy is not None else 1


def _creation_scope():
    """Where variables are created: the strategy's scope while it has several local replicas (its
    variables are mirrored over the devices), unless a strategy's scope is entered already: that one
    holds them (a new ``with strategy.scope():`` the next ``compile`` adopts)."""
    if _local_replicas() == 1 or tf.distribute.has_strategy():
        return contextlib.nullcontext()
    return _active["strategy"].scope()


def check_replicated(variables):
    """Raise when several local replicas would share a plain (not mirrored) variable in ``variables``."""
    if _local_replicas() == 1:
        return
    plain = [v.name for v in variables if not isinstance(v, tf.distribute.DistributedValues)]
    if plain:
        raise ValueError(
            f"DataParallel over {_local_replicas()} local devices needs its variables created in its scope, "
            f"but {len(plain)} were created before (e.g. {plain[0]!r}). Set the distribution "
            f"(`set_distribution(DataParallel(...))`) before building and compiling the model, or build and "
            f"compile it inside `with strategy.scope():`.")


def merge_local_replicas(variables):
    """Give each variable's first local replica the sum over the local replicas and the others zeros
    (metric states: reading the variable then gives this process's totals). A no-op with one replica."""
    if _local_replicas() == 1:
        return
    for var in variables:
        parts = _active["strategy"].experimental_local_results(var)
        if len(parts) > 1:
            total = tf.add_n([tf.identity(p.read_value()) for p in parts])
            parts[0].assign(total)
            for part in parts[1:]:
                part.assign(tf.zeros_like(total))


def shutdown():
    """Forget the strategy."""
    _active["strategy"] = None
    activate(1)


def _in_replica(fn, *args):
    return _active["strategy"].run(fn, args=args)


def _local_share(batch):
    """This local replica's contiguous slice of the process's batch (any structure of tensors, whose
    first leaf gives the sample count): the ``n`` rows are cut into slices whose sizes differ by at
    most one, so an uneven batch is split without duplicating or dropping a sample (a replica may get none)."""
    context = tf.distribute.get_replica_context()
    r, world = context.replica_id_in_sync_group, context.num_replicas_in_sync
    n = tf.shape(next(t for t in tree.flatten(batch) if t is not None))[0]
    lo = r * (n // world) + tf.minimum(r, n % world)
    hi = lo + n // world + tf.cast(r < n % world, n.dtype)
    return tree.map_structure(lambda t: None if t is None else t[lo:hi], batch)


def _all_reduce(values):
    """Sum ``values`` over the replicas, from the replica context. A worker's values are pinned to
    its device (a collective needs to know where its inputs live); local replicas run on theirs."""
    devices = _active["strategy"].extended.worker_devices
    if len(devices) == 1:
        with tf.device(devices[0]):
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


def replicated(step, variables=()):
    """``step(batch)`` run in the strategy's replica context under an active distribution (else
    ``step``); with several local replicas, each runs on its share of the batch. Called from an
    overridden step (``super().train_step(data)``), it runs in that step's replica, on its share.
    Without a distribution of several replicas, a step whose ``variables`` were made in the scope of a
    one-replica strategy (``MirroredStrategy()`` on a machine with one device) runs in that strategy's
    replica context, where its mirrored variables can be watched and updated."""
    if _active["replicas"] == 1:
        strategy = _one_replica_strategy(variables)
        if strategy is None:
            return step
        return lambda batch: strategy.run(step, args=(batch,))
    local = _local_replicas() > 1

    def run(batch):
        if in_user_step():
            with _user_step(False):
                return step(batch)
        return _in_replica(lambda b: step(_local_share(b) if local else b), batch)

    return run


def _one_replica_strategy(variables):
    """The one-replica strategy whose scope made ``variables`` (mirrored over its one device), or ``None``."""
    for var in variables:
        strategy = getattr(var, "distribute_strategy", None) if isinstance(var, tf.distribute.DistributedValues) \
            else None
        if strategy is not None and strategy.num_replicas_in_sync == 1:
            return strategy
    return None


@contextlib.contextmanager
def _user_step(inside=True):
    """Mark the code run (or traced) in this block as an overridden step's replica: its losses are
    scaled by the number of replicas and ``optimizer.apply`` sums the gradients over them."""
    previous, _replica.user_step = in_user_step(), inside
    try:
        yield
    finally:
        _replica.user_step = previous


def distributed_user_step(step, model, kind):
    """An overridden ``train_step`` / ``test_step`` run as Keras runs it under ``tf.distribute``: once per
    replica (``strategy.run``, each local replica on its share of the process's batch), the logs it
    returns averaged over the local replicas. Inside it, losses that average over the batch are
    divided by the number of replicas (``replicas_in_sync``) and ``optimizer.apply`` sums the
    gradients over the replicas (``all_reduce_replica_gradients``): the replicas update identically,
    as one device with the global batch. ``step`` itself without a distribution and for ``predict_step``."""
    if _active["replicas"] == 1 or kind == "predict":
        return step
    strategy, local = _active["strategy"], _local_replicas() > 1

    def replica_step(data):
        with _user_step():
            return step(_local_share(data) if local else data)

    def run(data):
        return tf.nest.map_structure(_local_mean, strategy.run(replica_step, args=(data,)))

    return run


def in_user_step():
    """Whether the code running (or being traced) now is an overridden step's, in its replica."""
    return getattr(_replica, "user_step", False)


def _local_mean(value):
    """The mean over this process's replicas of a per-replica step output (as is when not a tensor)."""
    parts = _active["strategy"].experimental_local_results(value)
    if not all(tf.is_tensor(p) and p.dtype.is_floating for p in parts):
        return parts[0]
    return tf.add_n(list(parts)) / len(parts) if len(parts) > 1 else parts[0]


def replicas_in_sync():
    """The number of replicas an overridden step runs on, inside its replica (else 1)."""
    return tf.distribute.get_replica_context().num_replicas_in_sync if in_user_step() else 1


def all_reduce_replica_gradients(grads):
    """Inside an overridden step's replica, ``grads`` summed over the replicas (one all-reduce); else as is."""
    if not in_user_step():
        return grads
    return _all_reduce([tf.convert_to_tensor(g) for g in grads])


def gradient_reducer():
    """``reduce(grads, params, count)`` under an active distribution (else ``None``): the global-batch
    gradients from each worker's gradients of its ``count`` samples.

    Each worker's gradients are weighted by its sample count and all-reduced in one flat
    bucket together with the counts, then divided by the total count: N workers holding
    shards of a global batch get the gradients of that whole batch, even for uneven
    shards (a worker with an empty shard adds zeros). A ``None`` gradient stays ``None``.
    """
    if _active["replicas"] == 1:
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
            size = p.shape.num_elements()
            out.append(None if g is None else tf.reshape(flat[i:i + size], p.shape))
            i += size
        return out

    return reduce


def when_samples(count, update):
    """Run ``update()`` only when ``count`` (a scalar tensor) is positive, under a distribution."""
    if _active["replicas"] == 1:
        update()
    else:
        tf.cond(count > 0, lambda: (update(), tf.constant(0))[1], lambda: tf.constant(0))
