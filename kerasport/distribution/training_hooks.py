"""What the epoch loop and callbacks do differently under a ``DataParallel`` distribution.

Each function is a no-op (or the identity) when no distribution is set, so
``fit``/``evaluate`` call them unconditionally.
"""
import numpy as np

from kerasport.backends import B
from kerasport.core import nest
from kerasport.distribution.distribution_lib import backend_distribute, distribution
from kerasport.trainers.data_adapters import ArrayAdapter, DataAdapter


def _active():
    d = distribution()
    return d if d is not None and d.num_processes > 1 else None


def is_chief():
    """Whether this process prints and writes files: rank 0, or the only process."""
    d = _active()
    return d is None or d.rank == 0


class ShardedAdapter(DataAdapter):
    """This process's slice of every global batch of ``adapter``.

    The ``n`` rows of a batch are cut into ``num_processes`` contiguous slices whose
    sizes differ by at most one (``n // W`` or ``n // W + 1``), so an uneven last batch
    is split without duplicating or dropping a sample. Every process reads the same
    batches: array shuffles draw from a generator seeded by rank 0.
    """

    def __init__(self, adapter, rank, world):
        self.adapter, self.rank, self.world = adapter, rank, world
        if isinstance(adapter, ArrayAdapter) and adapter.shuffle:
            seed = int(np.random.randint(0, 2 ** 31 - 1)) if rank == 0 else 0
            total = backend_distribute.all_reduce_sum([B.convert_to_tensor(float(seed), "float64")])
            seed = int(B.convert_to_numpy(total[0]))
            adapter.generator = B.make_generator(seed)

    @property
    def num_batches(self):
        return self.adapter.num_batches

    def peek(self):
        return self.adapter.peek()

    def peek_y(self):
        return self.adapter.peek_y()

    def __iter__(self):
        for batch in self.adapter:
            n = int(nest.flatten(batch[0])[0].shape[0])
            lo = self.rank * (n // self.world) + min(self.rank, n % self.world)
            hi = lo + n // self.world + (self.rank < n % self.world)
            yield tuple(None if part is None else nest.map_structure(lambda t: t[lo:hi], part) for part in batch)

    def on_epoch_end(self):
        self.adapter.on_epoch_end()

    def close(self):
        self.adapter.close()


def shard(adapter):
    """``adapter`` sharded over the processes of the current distribution (as is without one)."""
    d = _active()
    if d is None or adapter is None or not d.auto_shard_dataset:
        return adapter
    return ShardedAdapter(adapter, d.rank, d.num_processes)


def _local_replicas():
    """The distribution when this process holds several replicas (TensorFlow's local devices), else ``None``."""
    d = distribution()
    return d if d is not None and d.num_replicas > d.num_processes else None


def sync_variables(model):
    """Give every process rank 0's weights and optimizer state (after a restore, before training);
    with several replicas in this process, check first that the variables are mirrored over them."""
    if _active() is None and _local_replicas() is None:
        return
    variables = list(model.weights)
    if model.optimizer is not None and model.optimizer.built:
        variables += list(model.optimizer.variables)
    if _local_replicas() is not None:
        backend_distribute.check_replicated(variables + [v for m in model.metrics for v in m.variables])
    if _active() is not None:
        backend_distribute.broadcast_variables(variables)


def process_logs(model):
    """The model's logs over this process's replicas: with several local replicas (TensorFlow's
    devices) their metric states are summed first; else simply the model's logs."""
    if _local_replicas() is not None and model._custom_logs() is None:
        backend_distribute.merge_local_replicas([v for m in model.metrics for v in m.variables])
    return model._logs()


def global_logs(model):
    """The model's logs over all replicas: metric states are summed over the replicas before
    the results are read (the logs of an overridden step are averaged over the processes), so
    every process sees the single-device figures and callbacks decide the same way everywhere."""
    if _active() is None:
        return process_logs(model)
    if model._custom_logs() is not None:
        logs = model._logs()
        keys = sorted(logs)
        sums = backend_distribute.all_reduce_sum([B.convert_to_tensor(np.asarray(logs[k], np.float64)) for k in keys])
        world = distribution().num_processes
        return {k: _plain(B.convert_to_numpy(v) / world) for k, v in zip(keys, sums)}
    variables = [v for m in model.metrics for v in m.variables]
    local = [np.array(B.convert_to_numpy(v)) for v in variables]
    for var, total in zip(variables, backend_distribute.all_reduce_sum(variables)):
        B.assign(var, total)
    try:
        return model._logs()
    finally:
        for var, value in zip(variables, local):
            B.assign(var, value)


def _plain(value):
    return float(value) if np.ndim(value) == 0 else value
