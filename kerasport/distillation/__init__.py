"""Knowledge distillation (``keras.distillation``): a ``Distiller`` model trains a student on its labels and on a
frozen teacher's outputs or intermediate features, through ``DistillationLoss``es."""
from kerasport.distillation.distillation_loss import (DistillationLoss, FeatureDistillation,  # noqa: F401
                                                      LogitsDistillation)
from kerasport.distillation.distiller import Distiller  # noqa: F401
