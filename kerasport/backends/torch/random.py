"""PyTorch backend, random numbers: seeds, generators (explicit state), random_* draws and
dropout.
"""
import random as _pyrandom

import numpy as np
import torch
import torch.nn.functional as F

from kerasport.backends.torch.core import DEVICE, to_dtype


RANDOM_SEED_DTYPE = "int32"  # as Keras on torch


# ----------------------------------------------------------------------------- random
def seed(value):
    torch.manual_seed(value)


def make_generator(seed_value):
    if seed_value is None:
        return None
    g = torch.Generator(device=DEVICE)
    g.manual_seed(int(seed_value))
    return g


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", generator=None):
    out = torch.empty(tuple(shape), dtype=to_dtype(dtype), device=DEVICE)
    return out.uniform_(minval, maxval, generator=generator)


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", generator=None):
    out = torch.empty(tuple(shape), dtype=to_dtype(dtype), device=DEVICE)
    return out.normal_(mean, stddev, generator=generator)


def random_permutation(n, generator=None):
    return torch.randperm(n, device=DEVICE, generator=generator)


def dropout(x, rate, noise_shape=None, generator=None):
    if noise_shape is None and generator is None:
        return F.dropout(x, rate, True)
    shape_ = tuple(x.shape[i] if d is None else d for i, d in enumerate(noise_shape or x.shape))
    keep = torch.empty(shape_, device=x.device, dtype=x.dtype).uniform_(generator=generator) >= rate
    return x * keep.to(x.dtype) / (1.0 - rate)


def set_seed_all(seed_value):
    _pyrandom.seed(seed_value)
    np.random.seed(seed_value)
    torch.manual_seed(seed_value)


# --- random (kerasport/random.py)
def seeded_generator(seed_value):
    return make_generator(seed_value)


def random_randint(shape, minval, maxval, dtype="int32", generator=None):
    return torch.randint(int(minval), int(maxval), tuple(shape), generator=generator, device=DEVICE,
                         dtype=to_dtype(dtype))
