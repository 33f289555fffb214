"""Keras 3's distribution API: ``DataParallel``, ``set_distribution``, ``distribution``, ``list_devices``,
``get_device_count``.

A ``DataParallel`` joins the processes of a run (torch: ``torch.distributed`` from
torchrun's environment; TensorFlow: ``tf.distribute`` from ``TF_CONFIG``, or several
local devices of one process) and, once set, makes ``fit``/``evaluate`` shard each global
batch over the replicas and average the gradients, so N replicas train as one device with
the same global batch.
"""
import contextlib
import importlib

from kerasport.backends import NAME

# The active backend's distribution module (process groups, all-reduce), shared with training_hooks.
backend_distribute = importlib.import_module(f"kerasport.backends.{NAME}.distribute")
_current = None


def list_devices(device_type=None):
    """The devices of this machine available to the active backend, as ``"cpu:0"``, ``"gpu:0"``, ....

    Args:
        device_type: ``"cpu"`` or ``"gpu"``; by default the GPUs when there are any, else the CPU.
    """
    return backend_distribute.list_devices(device_type)


def get_device_count(device_type=None):
    """The number of devices ``list_devices(device_type)`` gives, as Keras's (which has it on JAX only).

    Args:
        device_type: ``"cpu"`` or ``"gpu"``; by default the GPUs when there are any, else the CPU.
    """
    return len(list_devices(device_type))


class DataParallel:
    """Data parallelism: every replica holds all the weights and trains on its shard of each batch.

    On torch one process runs per device: the processes form a ``torch.distributed``
    group from torchrun's environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
    ``MASTER_ADDR``, ``MASTER_PORT``), with gloo on CPU and NCCL on CUDA. On TensorFlow
    they form a ``MultiWorkerMirroredStrategy`` when ``TF_CONFIG`` names several workers
    (one device each); otherwise one process trains a ``MirroredStrategy`` replica on each
    of ``devices``, whose variables are mirrored over them (set the distribution before
    building the model). ``batch_size`` stays the global batch: replica ``r`` trains on the
    ``r``-th slice of each batch, the gradients are averaged over the whole batch, metrics
    are summed over the replicas, and only process 0 prints, writes callback files and saves.

    Args:
        devices: the devices of the run: on torch one per process, for checking (by
            default one device per process); on TensorFlow without ``TF_CONFIG`` the
            local devices to train on, e.g. ``["gpu:0", "gpu:1"]`` (by default all of
            ``list_devices()``, as in Keras).
        auto_shard_dataset: shard each batch over the processes (``True``); ``False``
            when every process already reads its own part of the data (its batches are
            then that process's local share of the global batch).

    Example (``torchrun --nproc_per_node 2 train.py``)::

        kerasport.distribution.set_distribution(kerasport.distribution.DataParallel())
        model.compile("adam", "mse")
        model.fit(x, y, batch_size=64)    # 32 samples per process and step
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True, _strategy=None):
        if device_mesh is not None:
            raise NotImplementedError("DataParallel(device_mesh=...) is not supported: kerasport runs one process "
                                      "per device; pass `devices` or nothing.")
        self.rank, self.num_processes, self.num_replicas = backend_distribute.initialize(devices, _strategy)
        self._strategy = _strategy  # the strategy of a `with strategy.scope():` this distribution was adopted from
        self.devices = list(devices) if devices is not None else None
        self.auto_shard_dataset = bool(auto_shard_dataset)

    @property
    def data_shard_id(self):
        """This process's rank: which slice of each batch it trains on."""
        return self.rank

    @contextlib.contextmanager
    def scope(self):
        """Make this the current distribution inside a ``with`` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield self
        finally:
            set_distribution(previous)

    def __repr__(self):
        return f"<DataParallel rank={self.rank} num_processes={self.num_processes} num_replicas={self.num_replicas}>"


def set_distribution(value):
    """Make ``value`` (a ``DataParallel``, or ``None`` for a single process) the current distribution.

    Set it before ``compile``: the train step is built for the distribution current then.
    """
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(f"set_distribution expects a DataParallel or None, received {value!r}.")
    _current = value
    backend_distribute.activate(value.num_replicas if value is not None else 1)


def distribution():
    """The current distribution (``None`` when training runs in a single process)."""
    return _current


def adopt_enclosing_strategy():
    """Under TensorFlow's ``with strategy.scope():`` (and no distribution set, or one adopted from
    another strategy's scope), make that strategy the current distribution: the idiom
    ``with strategy.scope(): model = ...; model.compile(...)`` then trains data-parallel, also when
    a program makes a new strategy for each run (keras.io's fault-tolerance recipe)."""
    strategy = backend_distribute.enclosing_strategy()
    if strategy is None:
        return
    if _current is None or (_current._strategy is not None and _current._strategy is not strategy):
        set_distribution(DataParallel(_strategy=strategy))
