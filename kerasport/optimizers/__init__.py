"""Optimizers with Keras's names, defaults and update rules (each written once, over the backends' multi-tensor
primitives), and their schedules."""
from kerasport.optimizers import schedules
from kerasport.optimizers.adagrad import Adadelta, Adagrad
from kerasport.optimizers.adam import Adam, Adamax, AdamW, Nadam
from kerasport.optimizers.base import Optimizer
from kerasport.optimizers.ftrl import Ftrl
from kerasport.optimizers.adafactor import Adafactor
from kerasport.optimizers.lamb import Lamb
from kerasport.optimizers.loss_scale import LossScaleOptimizer
from kerasport.optimizers.lion import Lion
from kerasport.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from kerasport.optimizers.muon import Muon
from kerasport.optimizers.rmsprop import RMSprop
from kerasport.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from kerasport.optimizers.sgd import SGD
from kerasport.optimizers.lookup import deserialize, get, serialize  # noqa: F401
