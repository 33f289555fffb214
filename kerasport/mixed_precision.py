"""``kerasport.mixed_precision``: Keras's names for dtype policies and loss scaling.

kerasport runs every layer in one float dtype: plain policies (``"float32"``,
``"float64"``, ``"float16"``, ``"bfloat16"``) work; the mixed ones
(``"mixed_float16"``, ``"mixed_bfloat16"``) raise ``NotImplementedError``.
``LossScaleOptimizer`` (dynamic loss scaling around any optimizer) is available on its own.
"""
from kerasport.config import DTypePolicy, dtype_policy, set_dtype_policy  # noqa: F401
from kerasport.optimizers import LossScaleOptimizer  # noqa: F401

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy
