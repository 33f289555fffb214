"""``kerasport.mixed_precision``: Keras's names for dtype policies and loss scaling.

``set_global_policy("mixed_float16")`` (or ``"mixed_bfloat16"``) makes the layers created
afterwards keep float32 variables and compute in 16 bits; ``compile()`` then wraps the
optimizer in a ``LossScaleOptimizer`` (``mixed_float16`` only).
"""
from kerasport.config import DTypePolicy, dtype_policy, set_dtype_policy  # noqa: F401
from kerasport.optimizers import LossScaleOptimizer  # noqa: F401

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy
