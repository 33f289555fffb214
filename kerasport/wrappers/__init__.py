"""``kerasport.wrappers``: scikit-learn estimators around kerasport models (``keras.wrappers``).

Needs scikit-learn (``pip install kerasport[sklearn]``); the classes can be imported without it and
raise an ``ImportError`` naming the extra when one is made.
"""
from kerasport.wrappers.sklearn_wrapper import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: F401

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
