"""PyTorch backend, collectives for data-parallel training: one process per device,
``torch.distributed``.

The process group comes from ``torchrun``'s environment (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``): gloo on CPU, NCCL on CUDA. Every
collective has a timeout, so a rank that died ends the others instead of hanging them.
"""
import contextlib
import datetime
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from kerasport.backends.torch.core import DEVICE, zero_grad
from kerasport.core import nest as tree

TIMEOUT_S = float(os.environ.get("KERASPORT_COLLECTIVE_TIMEOUT", 30))
_active = {"world": 1, "forward": False, "user_step": None}  # forward: inside a forward through DDP;
# user_step: (DataParallelGradients, its DDP forwards before, sample count) during an overridden train_step


def list_devices(device_type=None):
    """``["cpu:0"]`` or ``["gpu:0", ...]``: the devices of this machine, of ``device_type`` when given."""
    kind = (device_type or ("cuda" if torch.cuda.is_available() else "cpu")).lower().replace("gpu", "cuda")
    if kind == "cuda":
        return [f"gpu:{i}" for i in range(torch.cuda.device_count())]
    if kind == "cpu":
        return ["cpu:0"]
    raise ValueError(f"Unknown device type {device_type!r}: expected 'cpu' or 'gpu'/'cuda'.")


def initialize(devices, strategy=None):
    """Join (or start) the process group; returns ``(rank, world_size, world_size)``: rank, processes,
    replicas (one per process).

    Without torchrun's environment (no ``WORLD_SIZE``) this is one process: ``(0, 1, 1)``.
    ``devices`` (one per process) only checks that it names as many devices as there are ranks;
    ``strategy`` is TensorFlow's and is ignored here.
    """
    world = int(os.environ.get("WORLD_SIZE", 1))
    if devices is not None and len(devices) not in (1, world):
        raise ValueError(f"DataParallel on torch runs one device per process: devices={devices} names "
                         f"{len(devices)} devices but WORLD_SIZE is {world}. Launch one process per device "
                         f"with `torchrun --nproc_per_node {len(devices)}`.")
    if world == 1 and not dist.is_initialized():
        return 0, 1, 1
    if not dist.is_initialized():
        missing = [k for k in ("RANK", "MASTER_ADDR", "MASTER_PORT") if k not in os.environ]
        if missing:
            raise ValueError(f"WORLD_SIZE={world} but {', '.join(missing)} is not set: launch with torchrun or "
                             f"set RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT.")
        backend = "nccl" if DEVICE.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=TIMEOUT_S))
    return dist.get_rank(), dist.get_world_size(), dist.get_world_size()


def enclosing_strategy():
    """``None``: torch has no strategy scopes (TensorFlow's ``with strategy.scope():``)."""
    return None


def activate(world_size):
    """Make step functions built from now on average gradients over ``world_size`` processes."""
    _active["world"] = world_size


def shutdown():
    """Leave the process group."""
    if dist.is_initialized():
        dist.destroy_process_group()


def _flat(tensors):
    return torch.cat([t.detach().reshape(-1).to(torch.float64) for t in tensors])


def _unflat(flat, like):
    out, i = [], 0
    for t in like:
        out.append(flat[i:i + t.numel()].reshape(t.shape).to(t.dtype))
        i += t.numel()
    return out


def all_reduce_sum(tensors):
    """The element-wise sums over ranks of ``tensors`` (one collective for all of them)."""
    if not tensors:
        return []
    flat = _flat(tensors)
    dist.all_reduce(flat)
    return _unflat(flat, tensors)


@torch.no_grad()
def broadcast_variables(variables):
    """Give every rank rank 0's values of ``variables`` (one collective)."""
    if variables:
        flat = _flat(variables)
        dist.broadcast(flat, 0)
        for var, value in zip(variables, _unflat(flat, variables)):
            var.copy_(value)


class _Parameters(torch.nn.Module):
    """The trainable variables of a model registered (not copied) on a module that DDP can wrap; its
    ``forward(fn, *args)`` runs ``fn(*args)``, the model's step code."""

    def __init__(self, variables):
        super().__init__()
        self.variables = torch.nn.ParameterList(variables)

    def forward(self, fn, *args, **kwargs):
        _active["forward"] = True
        try:
            return fn(*args, **kwargs)
        finally:
            _active["forward"] = False


class DataParallelGradients:
    """The gradients of a step's forward taken through ``DistributedDataParallel``, built once per compile.

    DDP wraps a module holding ``variables`` themselves: a forward through it and ``backward()`` fill
    the variables' ``.grad`` while DDP's reducer all-reduces them in buckets that overlap the backward.
    Its communication hook weights each rank's bucket by its sample ``count`` and divides the sum by
    the total count, which rides in the same collective: N ranks holding shards of a global batch get
    that whole batch's gradients, also for an uneven last batch, and a rank with an empty shard (whose
    loss may be NaN) adds exact zeros while still taking part in every collective.

    ``static_graph=True``: a Keras model uses the same variables at every step (its layers fix them),
    so DDP learns in the first step which variables no rank used and leaves their gradients ``None``,
    as Keras does, without the walk of the autograd graph that ``find_unused_parameters=True`` repeats
    at every step. A model whose set of used variables changes from step to step gets DDP's error
    ("Your training graph has changed in this iteration").
    """

    def __init__(self, variables):
        self.variables = list(variables)
        self.count, self.ddp_calls = 1, 0
        module = _Parameters(self.variables)
        self.ddp = DistributedDataParallel(module, device_ids=[DEVICE] if DEVICE.type == "cuda" else None,
                                           init_sync=False, static_graph=True)
        self.ddp.register_comm_hook(self, _count_weighted_mean)
        self._routed = {}

    def __call__(self, fn, count):
        """``(aux, grads)``: ``fn()`` returns ``(value, aux)``; ``grads`` are the global-batch gradients of
        ``value``, this rank's ``count`` samples weighted against every rank's."""
        zero_grad(self.variables)
        self.count = count
        kept = []

        def forward():
            value, aux = fn()
            kept.append(aux)
            return value if count else value.sum()  # an empty shard's loss may have no elements

        self.ddp(forward).backward()
        aux = kept[0]
        grads = [v.grad for v in self.variables]
        zero_grad(self.variables)
        return aux, grads

    @contextlib.contextmanager
    def routing(self, model, count):
        """Inside the block, ``model(...)`` runs through DDP, so that ``loss.backward()`` all-reduces the
        gradients, ``count``-weighted, into ``.grad``: the model's instance gets, for the block, a subclass
        of its class whose ``__call__`` is the DDP forward (``self(x)`` looks ``__call__`` up on the class).
        The model's layers and other models are called as usual."""
        cls = type(model)
        if cls not in self._routed:
            parallel = self

            def __call__(self, *args, **kwargs):
                if _active["forward"]:  # the built-in step (``super().train_step``) already runs through DDP
                    return cls.__call__(self, *args, **kwargs)
                kept = []

                def call():
                    kept.append(cls.__call__(self, *args, **kwargs))
                    return kept[0]

                parallel.ddp_calls += 1
                outputs = parallel.ddp(call)
                for mine, theirs in zip(tree.flatten(outputs), tree.flatten(kept[0])):
                    if mine is not theirs and hasattr(theirs, "__dict__"):
                        mine.__dict__.update(theirs.__dict__)  # DDP's copies keep the outputs' masks
                return outputs

            self._routed[cls] = type(cls.__name__, (cls,), {"__call__": __call__, "__module__": cls.__module__,
                                                            "__qualname__": cls.__qualname__})
        self.count = count
        model.__class__ = self._routed[cls]
        try:
            yield
        finally:
            model.__class__ = cls


def _weighted(flat, count):
    """``flat * count`` (exact zeros when ``count`` is 0, even where ``flat`` is NaN) with ``count`` appended:
    all-reduced and passed to ``_mean``, it gives the sample-weighted mean over the ranks."""
    count = float(count)
    return torch.cat([flat.mul_(count) if count else flat.zero_(), flat.new_tensor([count])])


def _mean(total):
    return total[:-1] / total[-1]


def _count_weighted_mean(parallel, bucket):
    """DDP's communication hook: the sum over ranks of ``count * gradient``, divided by the sum of the
    counts (appended to the bucket, so one collective carries both)."""
    flat = _weighted(bucket.buffer(), parallel.count)
    return dist.all_reduce(flat, async_op=True).get_future().then(lambda fut: _mean(fut.value()[0]))


def data_parallel(variables):
    """A ``DataParallelGradients`` over ``variables`` under an active distribution, else ``None`` (also
    when there is nothing to train)."""
    if _active["world"] == 1 or not variables:
        return None
    return DataParallelGradients(variables)


def distributed_user_step(step, model, kind):
    """An overridden ``train_step`` under an active distribution: the model's top-level call inside it
    runs through DDP, so the user's ``loss.backward()`` leaves the global-batch gradients in ``.grad``
    (each rank weighted by its batch's sample count: the plain mean of DDP for equal shards); a step that
    trains sub-models without calling the model has its gradients reduced in ``optimizer.apply``
    (``all_reduce_replica_gradients``). Test and predict steps, and any step outside a distribution, are
    ``step`` itself."""
    parallel = data_parallel(model.trainable_weights) if kind == "train" else None
    if parallel is None:
        return step

    def run(data):
        count = tree.flatten(data)[0].shape[0]
        with parallel.routing(model, count):
            _active["user_step"] = (parallel, parallel.ddp_calls, count)
            try:
                return step(data)
            finally:
                _active["user_step"] = None

    return run


def all_reduce_replica_gradients(grads):
    """Inside an overridden ``train_step`` under a distribution, gradients that did not come through the
    model's DDP forward (sub-models trained directly, such as a GAN's generator and discriminator) are
    all-reduced here, in ``optimizer.apply``, into the sample-weighted mean over the processes, in one
    collective; gradients of a step that called the model itself are already reduced, and stay as they are."""
    user_step = _active["user_step"]
    if user_step is None or user_step[0].ddp_calls != user_step[1]:
        return grads
    present = [g for g in grads if g is not None]
    if not present:
        return grads
    flat = _weighted(_flat(present), user_step[2])
    dist.all_reduce(flat)
    reduced = iter(_unflat(_mean(flat), present))
    return [None if g is None else next(reduced) for g in grads]
