"""PyTorch backend, collectives for data-parallel training: one process per device,
``torch.distributed``.

The process group comes from ``torchrun``'s environment (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``): gloo on CPU, NCCL on CUDA. Every
collective has a timeout, so a rank that died ends the others instead of hanging them.
"""
import datetime
import os

import torch
import torch.distributed as dist

from kerasport.backends.torch.core import DEVICE

TIMEOUT_S = float(os.environ.get("KERASPORT_COLLECTIVE_TIMEOUT", 30))
_active = {"world": 1}


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


def gradient_reducer():
    """``reduce(grads, params, count)`` under an active distribution (else ``None``): the global-batch
    gradients from each rank's gradients of its ``count`` samples.

    Each rank's gradients are weighted by its sample count and all-reduced in one flat
    bucket together with the counts, then divided by the total count: N ranks holding
    shards of a global batch get the gradients of that whole batch, even for uneven
    shards (a rank with an empty shard adds zeros). A ``None`` gradient stays ``None``.
    """
    if _active["world"] == 1:
        return None

    def reduce(grads, params, count):
        weight = float(count)
        parts = [torch.zeros(p.numel(), dtype=p.dtype, device=p.device) if g is None or not weight
                 else g.reshape(-1) * weight for g, p in zip(grads, params)]
        flat = torch.cat(parts + [torch.tensor([weight], dtype=parts[0].dtype, device=parts[0].device)])
        dist.all_reduce(flat)
        flat = flat[:-1] / flat[-1]
        out, i = [], 0
        for g, p in zip(grads, params):
            out.append(None if g is None else flat[i:i + p.numel()].reshape(p.shape))
            i += p.numel()
        return out

    return reduce
