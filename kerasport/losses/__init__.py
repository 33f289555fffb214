"""Losses, by Keras name: loss functions and ``Loss`` classes (Keras 3's names, defaults, formulas and
reductions); ``get``, ``serialize`` and ``deserialize`` find them by name or config."""
from kerasport.losses.ctc_loss import CTC, ctc
from kerasport.losses.hinge_losses import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from kerasport.losses.loss import (REDUCTIONS, Loss, LossFunctionWrapper, apply_mask, get_mask,
                                   reduce_weighted_values, squeeze_or_expand_to_same_rank, standardize_reduction)
from kerasport.losses.probabilistic import (BCE, KLD, BinaryCrossentropy, BinaryFocalCrossentropy,
                                            CategoricalCrossentropy, CategoricalFocalCrossentropy,
                                            CategoricalGeneralizedCrossEntropy, KLDivergence, Poisson,
                                            SparseCategoricalCrossentropy, bce, binary_crossentropy,
                                            binary_focal_crossentropy, categorical_crossentropy,
                                            categorical_focal_crossentropy, categorical_generalized_cross_entropy,
                                            kl_divergence, kld, poisson, sparse_categorical_crossentropy)
from kerasport.losses.regression import (MAE, MAPE, MSE, MSLE, CosineSimilarity, Huber, LogCosh, MeanAbsoluteError,
                                         MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError,
                                         cosine_similarity, huber, l2_normalize, log_cosh, logcosh, mae, mape,
                                         mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                                         mean_squared_logarithmic_error, mse, msle)
from kerasport.losses.segmentation import Dice, Tversky, dice, tversky
from kerasport.losses.similarity import Circle, circle
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object

_CLASSES = (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge,
            KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
            CategoricalFocalCrossentropy, SparseCategoricalCrossentropy, CategoricalGeneralizedCrossEntropy,
            Dice, Tversky, Circle)
_FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge, squared_hinge,
              categorical_hinge, kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy,
              categorical_crossentropy, categorical_focal_crossentropy, sparse_categorical_crossentropy,
              categorical_generalized_cross_entropy, dice, tversky, circle)
_LOOKUP = {obj.__name__: obj for obj in _CLASSES + _FUNCTIONS}
_LOOKUP.update(mse=mse, MSE=mse, mae=mae, MAE=mae, mape=mape, MAPE=mape, msle=msle, MSLE=msle, kld=kld, KLD=kld,
               bce=bce, BCE=bce, logcosh=log_cosh, kullback_leibler_divergence=kl_divergence, huber_loss=huber)
_LOOKUP.update(ctc=ctc, CTC=CTC)


def serialize(loss):
    """The Keras config dict of a ``Loss``, or the name record of a loss function."""
    return serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    """A ``Loss`` or loss function from ``serialize``'s output (or a name)."""
    return deserialize_keras_object(config, _LOOKUP, custom_objects, "loss")


def get(identifier):
    """A loss from a name, a config dict, a ``Loss`` class or instance, or a callable.

    Names give Keras's object of that name: ``"mse"`` and ``"categorical_crossentropy"``
    give functions, ``"CategoricalCrossentropy"`` a ``Loss`` instance.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier not in _LOOKUP:
            raise ValueError(f"Unknown loss: {identifier!r}. Expected one of: "
                             f"{', '.join(sorted(k for k in _LOOKUP if k not in ('Loss', 'LossFunctionWrapper')))}; "
                             f"or a Loss instance or callable.")
        obj = _LOOKUP[identifier]
    else:
        obj = identifier
    if isinstance(obj, type):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
