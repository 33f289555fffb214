"""The scikit-learn estimators ``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer``.

Each wraps a compiled kerasport model, or a callable ``model(X=..., y=..., **model_kwargs)`` that builds
one, so that it can sit in a ``Pipeline`` or be tuned by ``GridSearchCV``. A classifier one-hot encodes
its targets for the model and maps the model's outputs back to the class labels.
"""
import numpy as np

from kerasport.models.cloning import clone_model
from kerasport.models.model import Model

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:
    sklearn = None

    class BaseEstimator:
        """Stands in for scikit-learn's base class when scikit-learn is not installed."""

    class ClassifierMixin:
        """Stands in for scikit-learn's mixin when scikit-learn is not installed."""

    class RegressorMixin:
        """Stands in for scikit-learn's mixin when scikit-learn is not installed."""

    class TransformerMixin:
        """Stands in for scikit-learn's mixin when scikit-learn is not installed."""


def _require_sklearn(name):
    if sklearn is None:
        raise ImportError(f"`{name}` needs scikit-learn: install it with `pip install kerasport[sklearn]` "
                          "(or `pip install scikit-learn`).")


def _validate_data(estimator, *args, **kwargs):
    """scikit-learn's input check (``validate_data`` from 1.6 on, the estimator's method before)."""
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:
        return estimator._validate_data(*args, **kwargs)
    return validate_data(estimator, *args, **kwargs)


def _target_type(y):
    """scikit-learn's ``type_of_target``; an unknown type of target is an error."""
    from sklearn.utils.multiclass import type_of_target
    target_type = type_of_target(y)
    if target_type == "unknown":
        raise ValueError(f"Unknown label type for the target y: {y!r}")
    return target_type


def _routing_enabled():
    return bool(sklearn is not None and sklearn.get_config().get("enable_metadata_routing", False))


class TargetReshaper(TransformerMixin, BaseEstimator):
    """Makes 1-D targets 2-D (``(n, 1)``) and turns the model's ``(n, 1)`` outputs back into 1-D.

    Attributes:
        ndim_: the number of dimensions of the target it was fitted on.
    """

    def fit(self, y):
        """Remember the number of dimensions of ``y``; returns ``self``."""
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        """``y`` as a 2-D array (a column when it is 1-D)."""
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        """``y`` squeezed back to 1-D when the fitted target was 1-D and ``y`` is one column."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y


class SKLBase(BaseEstimator):
    """Base class of the scikit-learn wrappers.

    Args:
        model: a compiled ``Model``, or a callable returning one. A ``Model`` is cloned (fresh weights,
            compiled with the same arguments) before each fit, unless ``warm_start=True``. A callable
            is called as ``model(X=X, y=y, **model_kwargs)`` with the fit's validated inputs and
            (for a classifier, one-hot encoded) targets.
        warm_start: bool, defaults to ``False``. Whether a fit goes on training the model of the
            previous fit (or, the first time, the given ``Model`` itself, not a clone).
        model_kwargs: dict, defaults to ``None``. Keyword arguments passed to ``model`` when it is a
            callable.
        fit_kwargs: dict, defaults to ``None``. Keyword arguments passed to ``model.fit``
            (``epochs``, ``batch_size``, ...). Those given to the wrapper's ``fit`` take precedence.

    Attributes:
        model_: the fitted ``Model``.
        history_: the ``History`` returned by ``model.fit``.
        n_features_in_: the number of features seen by ``fit``.
    """

    _multi_output = True  # a regressor or transformer takes a 2-D target, ``(n_samples, n_outputs)``

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        _require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self):
        return {"non_deterministic": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        """An unfitted copy with the same parameters (``sklearn.base.clone``).

        A ``Model`` is copied: same architecture, compile arguments and weights, variables of its own.
        """
        model = self.model
        if isinstance(model, Model):
            model = clone_model(self.model)
            if self.model.built:
                model.set_weights(self.model.get_weights())
        return type(self)(model=model, warm_start=self.warm_start, model_kwargs=self.model_kwargs,
                          fit_kwargs=self.fit_kwargs)

    @property
    def epoch_(self):
        """The number of epochs the last fit ran."""
        history = getattr(self, "history_", None)
        return len(history.epoch) if history is not None else 0

    def set_fit_request(self, **kwargs):
        """Ask for metadata (``sample_weight=True``, ...) to be routed to ``fit`` by a meta-estimator.

        Only available when metadata routing is on (``sklearn.set_config(enable_metadata_routing=True)``).

        Args:
            **kwargs: ``param_name=alias``, the alias one of ``True``, ``False``, ``None`` or a string.

        Returns:
            ``self``.
        """
        if not _routing_enabled():
            raise RuntimeError("set_fit_request is only available when metadata routing is enabled: "
                               "sklearn.set_config(enable_metadata_routing=True).")
        from sklearn.utils.metadata_routing import MetadataRequest
        self._metadata_request = MetadataRequest(owner=type(self).__name__)
        for param, alias in kwargs.items():
            self._metadata_request.fit.add_request(param=param, alias=alias)
        return self

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return self.model if self.warm_start else clone_model(self.model)
        if not callable(self.model):
            raise TypeError(f"{type(self).__name__}: `model` must be a compiled Model or a callable building "
                            f"one, received {self.model!r}.")
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fit the model.

        Args:
            X: array-like, shape ``(n_samples, n_features)``. The input samples.
            y: array-like, shape ``(n_samples,)`` or ``(n_samples, n_outputs)``. The targets.
            **kwargs: keyword arguments passed to ``model.fit`` (over ``fit_kwargs``).

        Returns:
            ``self``.
        """
        X, y = _validate_data(self, X, y, multi_output=self._multi_output)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        if not isinstance(model, Model):
            raise TypeError(f"{type(self).__name__}: `model` must build a kerasport Model, it returned {model!r}.")
        if not model.compiled or not model.loss or not model.optimizer:
            raise RuntimeError(f"{type(self).__name__}: the model needs to be compiled, with a loss and an "
                               "optimizer.")
        self.history_ = model.fit(X, y, **{**(self.fit_kwargs or {}), **kwargs})
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions for ``X`` (for a classifier, class labels)."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X, verbose=0))

    def _process_target(self, y, reset=False):
        """A regressor's target as 2-D (checked for a known type of target)."""
        _target_type(y)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """scikit-learn compatible classifier wrapping a kerasport model.

    The targets (binary or multiclass labels of any type) are one-hot encoded for the model, whose last
    layer should have one output per class (``softmax``); ``predict`` gives back the labels.

    Args:
        model: a compiled ``Model``, or a callable returning one, called as
            ``model(X=X, y=y, **model_kwargs)`` with ``y`` one-hot encoded. A ``Model`` is cloned
            before each fit unless ``warm_start=True``.
        warm_start: bool, defaults to ``False``. Whether a fit goes on training the previous fit's model.
        model_kwargs: dict, defaults to ``None``. Keyword arguments passed to ``model`` when callable.
        fit_kwargs: dict, defaults to ``None``. Keyword arguments passed to ``model.fit``; those
            given to ``fit`` take precedence.

    Attributes:
        model_: the fitted ``Model``.
        history_: the ``History`` of the fit.
        classes_: the class labels, sorted.

    Example:

    ```python
    from sklearn.datasets import load_iris
    from kerasport import layers, models
    from kerasport.wrappers import SKLearnClassifier

    def mlp(X, y, hidden=16):
        model = models.Sequential([layers.Input((X.shape[1],)), layers.Dense(hidden, activation="relu"),
                                   layers.Dense(y.shape[1], activation="softmax")])
        model.compile(loss="categorical_crossentropy", optimizer="adam")
        return model

    X, y = load_iris(return_X_y=True)
    clf = SKLearnClassifier(mlp, model_kwargs={"hidden": 32}, fit_kwargs={"epochs": 50, "verbose": 0})
    clf.fit(X, y).score(X, y)
    ```
    """

    _multi_output = False

    def decision_function(self, X):
        """The model's raw outputs for ``X`` (one column per class)."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self.model_.predict(X, verbose=0)

    def _process_target(self, y, reset=False):
        target_type = _target_type(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {target_type}")
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder
            classes = np.unique(y)
            if len(classes) == 1:
                raise ValueError(f"Classifier can't train when only one class is present: {classes[0]!r}.")
            self._target_encoder = make_pipeline(TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = classes
        return self._target_encoder.transform(y)

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """scikit-learn compatible regressor wrapping a kerasport model.

    Args:
        model: a compiled ``Model``, or a callable returning one, called as
            ``model(X=X, y=y, **model_kwargs)`` with ``y`` made 2-D. A ``Model`` is cloned before each
            fit unless ``warm_start=True``.
        warm_start: bool, defaults to ``False``. Whether a fit goes on training the previous fit's model.
        model_kwargs: dict, defaults to ``None``. Keyword arguments passed to ``model`` when callable.
        fit_kwargs: dict, defaults to ``None``. Keyword arguments passed to ``model.fit``; those
            given to ``fit`` take precedence.

    Attributes:
        model_: the fitted ``Model``.
        history_: the ``History`` of the fit.

    Example:

    ```python
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import cross_val_score
    from kerasport import layers, models
    from kerasport.wrappers import SKLearnRegressor

    def linear_model(X, y):
        model = models.Sequential([layers.Input((X.shape[1],)), layers.Dense(y.shape[1])])
        model.compile(loss="mse", optimizer="sgd")
        return model

    X, y = load_diabetes(return_X_y=True)
    reg = SKLearnRegressor(linear_model, fit_kwargs={"epochs": 20, "verbose": 0})
    cross_val_score(reg, X, y / y.std(), cv=3)
    ```
    """

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """scikit-learn compatible transformer (a pipeline step) wrapping a kerasport model.

    ``transform`` returns the model's outputs, such as embeddings of the inputs. (A scikit-learn
    transformer, not the attention architecture.)

    Args:
        model: a compiled ``Model``, or a callable returning one, called as
            ``model(X=X, y=y, **model_kwargs)``. A ``Model`` is cloned before each fit unless
            ``warm_start=True``.
        warm_start: bool, defaults to ``False``. Whether a fit goes on training the previous fit's model.
        model_kwargs: dict, defaults to ``None``. Keyword arguments passed to ``model`` when callable.
        fit_kwargs: dict, defaults to ``None``. Keyword arguments passed to ``model.fit``; those
            given to ``fit`` take precedence.

    Attributes:
        model_: the fitted ``Model``.
        history_: the ``History`` of the fit.

    Example:

    ```python
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from kerasport import layers, models
    from kerasport.wrappers import SKLearnTransformer

    def embedding(X, y):  # two features, trained to regress the target
        model = models.Sequential([layers.Input((X.shape[1],)), layers.Dense(2, activation="tanh")])
        model.compile(loss="mse", optimizer="adam")
        return model

    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(SKLearnTransformer(embedding, fit_kwargs={"epochs": 5, "verbose": 0}),
                         LogisticRegression())
    pipe.fit(X, y)
    ```
    """

    def transform(self, X):
        """The model's outputs for ``X``.

        Args:
            X: array-like, shape ``(n_samples, n_features)``. The input samples.

        Returns:
            The transformed data, a NumPy array.
        """
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self.model_.predict(X, verbose=0)

    def _more_tags(self):
        return {"preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
