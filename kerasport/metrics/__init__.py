"""Metrics: stateful ``Metric`` objects and metric functions, by Keras name."""
from kerasport.losses import (binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
                              categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence,
                              log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                              mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)
from kerasport.metrics.accuracy_metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                                SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                                                TopKCategoricalAccuracy, accuracy, binary_accuracy,
                                                categorical_accuracy, sparse_categorical_accuracy,
                                                sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from kerasport.metrics.base import Mean, MeanMetricWrapper, Metric, Sum
from kerasport.metrics.confusion import (AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
                                         RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
                                         TrueNegatives, TruePositives)
from kerasport.metrics.correlation import (ConcordanceCorrelation, PearsonCorrelation, concordance_correlation,
                                           pearson_correlation)
from kerasport.metrics.f_score import F1Score, FBetaScore
from kerasport.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kerasport.metrics.probabilistic import (BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, Hinge,
                                             KLDivergence, Poisson, SparseCategoricalCrossentropy, SquaredHinge)
from kerasport.metrics.regression import (CosineSimilarity, LogCoshError, MeanAbsoluteError,
                                          MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError,
                                          R2Score, RootMeanSquaredError)
from kerasport.metrics.lookup import deserialize, get, serialize  # noqa: F401

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
