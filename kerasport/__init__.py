"""kerasport: a Keras-style deep-learning API on real PyTorch and real TensorFlow.

Choose the framework with ``KERASPORT_BACKEND=torch|tensorflow`` (torch by default)
before importing; ``kerasport.backend.backend()`` says which one runs.
"""
from kerasport import (activations, backend, config, constraints, initializers, losses, metrics, ops, optimizers,  # noqa: F401
                       regularizers, utils)
from kerasport import callbacks, distribution, layers, models, preprocessing, random, saving  # noqa: F401
from kerasport.layers import Input, InputLayer, InputSpec, Layer  # noqa: F401
from kerasport.models import Functional, Model, Sequential  # noqa: F401
from kerasport.models.function import Function  # noqa: F401
from kerasport import tree  # noqa: F401
from kerasport.backend import Variable, name_scope  # noqa: F401
from kerasport.initializers import Initializer  # noqa: F401
from kerasport.layers.layer import KerasTensor  # noqa: F401
from kerasport.losses import Loss  # noqa: F401
from kerasport.metrics import Metric  # noqa: F401
from kerasport.optimizers import Optimizer  # noqa: F401
from kerasport.regularizers import Regularizer  # noqa: F401
from kerasport import dtype_policies, export, mixed_precision, quantizers  # noqa: F401
from kerasport.quantizers import Quantizer  # noqa: F401
from kerasport.config import DTypePolicy  # noqa: F401
from kerasport.scopes import RematScope, SymbolicScope, device, remat  # noqa: F401
FloatDTypePolicy = DTypePolicy


def __getattr__(name):
    # ``kerasport.datasets`` (nine loaders, urllib, zipfile), ``kerasport.applications`` (twenty model
    # families), ``kerasport.distillation``, ``kerasport.wrappers`` (scikit-learn) and ``kerasport.visualization``
    # are imported on first use: most programs never need them.
    if name in ("datasets", "applications", "distillation", "wrappers", "visualization"):
        import importlib
        return importlib.import_module(f"kerasport.{name}")
    raise AttributeError(f"module 'kerasport' has no attribute {name!r}")


__version__ = "0.1.0"
version = __version__
