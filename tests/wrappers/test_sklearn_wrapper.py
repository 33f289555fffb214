"""``kerasport.wrappers``: the scikit-learn estimators in pipelines, grid searches and cross-validation on
scikit-learn's bundled datasets, and their predictions against Keras 3's wrappers from the same weights."""
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="kerasport.wrappers needs scikit-learn (the `sklearn` extra)")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import kerasport  # noqa: E402
from kerasport import layers, optimizers  # noqa: E402
from kerasport.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402
from kerasport.wrappers import sklearn_wrapper  # noqa: E402
from tests.helpers import keras_module  # noqa: E402

QUIET = {"verbose": 0}


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, (y - y.mean()) / y.std()


def mlp(X, y, hidden=8, lr=0.05, keras=kerasport, optimizer=None, weights=None, activation="softmax"):
    """A Dense MLP sized from ``X`` and ``y``, compiled, with ``weights`` when given (``keras`` builds it)."""
    model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(y.shape[1], activation=activation)])
    loss = "categorical_crossentropy" if activation == "softmax" else "mse"
    model.compile(loss=loss, optimizer=optimizer or keras.optimizers.Adam(lr))
    if weights is not None:
        model.set_weights(weights)
    return model


def test_classifier_in_a_pipeline_keeps_the_labels():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    pipe = make_pipeline(StandardScaler(), SKLearnClassifier(mlp, fit_kwargs={"epochs": 40, **QUIET}))
    pipe.fit(X, names)
    est = pipe[-1]
    assert list(est.classes_) == ["setosa", "versicolor", "virginica"]
    assert est.n_features_in_ == 4 and est.epoch_ == 40
    assert est.model_.output_shape == (None, 3)
    predicted = pipe.predict(X)
    assert predicted.shape == (150,) and set(predicted) <= set(est.classes_)
    assert pipe.score(X, names) > 0.9
    raw = est.decision_function(StandardScaler().fit(X).transform(X))
    assert raw.shape == (150, 3)
    np.testing.assert_allclose(raw.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(est.classes_[raw.argmax(axis=1)], predicted)


def test_grid_search_over_model_kwargs():
    X, y = _iris()
    search = GridSearchCV(SKLearnClassifier(mlp, fit_kwargs={"epochs": 15, **QUIET}),
                          {"model_kwargs": [{"hidden": 2, "lr": 1e-4}, {"hidden": 16}]}, cv=3)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_params_ == {"model_kwargs": {"hidden": 16}}
    assert search.best_estimator_.model_.layers[0].units == 16
    assert search.best_score_ > 0.8


def test_regressor_cross_val_score_and_multi_output():
    X, y = _diabetes()
    reg = SKLearnRegressor(mlp, model_kwargs={"activation": None, "lr": 0.02}, fit_kwargs={"epochs": 60, **QUIET})
    scores = cross_val_score(reg, X, y, cv=3)
    assert scores.shape == (3,) and np.all(np.isfinite(scores)) and scores.mean() > 0.25
    reg.fit(X, y)
    assert reg.predict(X[:7]).shape == (7,)
    two = reg.fit(X, np.stack([y, -y], axis=1)).predict(X[:7])
    assert two.shape == (7, 2)


def test_transformer_feeds_a_pipeline():
    X, y = _iris()
    onehot = np.eye(3)[y]

    def embedding(X, y):
        return mlp(X, onehot, hidden=6, activation=None)

    pipe = make_pipeline(SKLearnTransformer(embedding, fit_kwargs={"epochs": 30, **QUIET}), LogisticRegression())
    pipe.fit(X, onehot.argmax(axis=1))
    features = pipe[0].transform(X)
    assert features.shape == (150, 3) and features.dtype == np.float32
    np.testing.assert_allclose(features, pipe[0].model_.predict(X, verbose=0), rtol=1e-6)
    assert pipe.score(X, y) > 0.85


def _same_start(keras, X, y, lr=0.1, **kwargs):
    """Builders of kerasport's and Keras's model with the same starting weights and a plain SGD."""
    rng = np.random.RandomState(3)
    n_out = kwargs.get("n_out")

    def weights(X, y):
        out = n_out or y.shape[1]
        return [rng_w[0][:, :8], np.zeros(8, "float32"), rng_w[1][:, :out], np.zeros(out, "float32")]

    rng_w = [rng.uniform(-0.5, 0.5, (X.shape[1], 8)).astype("float32"), rng.uniform(-0.5, 0.5, (8, 3)).astype("float32")]

    def ours(X, y, **kw):
        return mlp(X, y, optimizer=optimizers.SGD(lr), weights=weights(X, y), **kw)

    def theirs(X, y, **kw):
        return mlp(X, y, keras=keras, optimizer=keras.optimizers.SGD(lr), weights=weights(X, y), **kw)

    return ours, theirs


def _fit(est_cls, builder, X, y, **model_kwargs):
    fit_kwargs = {"epochs": 3, "batch_size": 32, "shuffle": False, **QUIET}
    return est_cls(builder, model_kwargs=model_kwargs, fit_kwargs=dict(fit_kwargs)).fit(X, y)


def test_classifier_matches_keras():
    keras = keras_module()
    from keras.wrappers import SKLearnClassifier as KerasClassifier
    X, y = _iris()
    ours, theirs = _same_start(keras, X, y)
    mine, ref = _fit(SKLearnClassifier, ours, X, y), _fit(KerasClassifier, theirs, X, y)
    np.testing.assert_allclose(mine.decision_function(X), ref.decision_function(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(mine.predict(X), ref.predict(X))
    np.testing.assert_array_equal(mine.classes_, ref.classes_)
    assert mine.score(X, y) == ref.score(X, y)


def test_regressor_and_transformer_match_keras():
    keras = keras_module()
    from keras.wrappers import SKLearnRegressor as KerasRegressor
    from keras.wrappers import SKLearnTransformer as KerasTransformer
    X, y = _diabetes()
    ours, theirs = _same_start(keras, X, y, lr=0.05, n_out=1)
    mine = _fit(SKLearnRegressor, ours, X, y, activation=None)
    ref = _fit(KerasRegressor, theirs, X, y, activation=None)
    assert mine.predict(X).shape == ref.predict(X).shape == (len(X),)
    np.testing.assert_allclose(mine.predict(X), ref.predict(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mine.score(X, y), ref.score(X, y), rtol=1e-4)
    ours, theirs = _same_start(keras, X, y, lr=0.05, n_out=1)
    mine = _fit(SKLearnTransformer, ours, X, y, activation="tanh")
    ref = _fit(KerasTransformer, theirs, X, y, activation="tanh")
    assert mine.transform(X).shape == ref.transform(X).shape == (len(X), 1)
    np.testing.assert_allclose(mine.transform(X), ref.transform(X), rtol=1e-4, atol=1e-5)


def test_model_instance_is_cloned_unless_warm_start():
    X, y = _iris()
    model = mlp(X, np.eye(3)[y])
    before = [w.copy() for w in model.get_weights()]
    est = SKLearnClassifier(model, fit_kwargs={"epochs": 2, **QUIET}).fit(X, y)
    assert est.model_ is not model and est.model_.compiled
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    warm = SKLearnClassifier(model, warm_start=True, fit_kwargs={"epochs": 2, **QUIET}).fit(X, y)
    assert warm.model_ is model
    first = [w.copy() for w in model.get_weights()]
    assert any(not np.array_equal(a, b) for a, b in zip(first, before))
    warm.fit(X, y)
    assert warm.model_ is model
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(), first))


def test_clone_get_params_and_set_params():
    X, y = _iris()
    est = SKLearnClassifier(mlp, model_kwargs={"hidden": 4}, fit_kwargs={"epochs": 1, **QUIET})
    params = est.get_params()
    assert params == {"model": mlp, "warm_start": False, "model_kwargs": {"hidden": 4},
                      "fit_kwargs": {"epochs": 1, **QUIET}}
    copy = clone(est)
    assert copy is not est and copy.get_params() == params and not hasattr(copy, "model_")
    copy.set_params(model_kwargs={"hidden": 5}).fit(X, y)
    assert copy.model_.layers[0].units == 5 and est.model_kwargs == {"hidden": 4}

    model = mlp(X, np.eye(3)[y])
    wrapped = SKLearnClassifier(model, warm_start=True)
    twin = clone(wrapped)
    assert twin.model is not model and twin.warm_start and twin.model.compiled
    for a, b in zip(twin.model.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    twin.model.layers[0].kernel.assign(np.zeros((4, 8), "float32"))
    assert np.abs(model.layers[0].kernel.numpy()).sum() > 0


def test_fit_kwargs_passed_to_fit_take_precedence():
    X, y = _iris()
    fit_kwargs = {"epochs": 5, **QUIET}
    est = SKLearnClassifier(mlp, fit_kwargs=fit_kwargs).fit(X, y, epochs=2)
    assert est.epoch_ == 2 and fit_kwargs == {"epochs": 5, **QUIET}
    assert est.fit(X, y).epoch_ == 5


def test_tags():
    from sklearn.utils import get_tags
    classifier, regressor = get_tags(SKLearnClassifier(mlp)), get_tags(SKLearnRegressor(mlp))
    transformer = get_tags(SKLearnTransformer(mlp))
    assert classifier.non_deterministic and regressor.non_deterministic and transformer.non_deterministic
    assert classifier.estimator_type == "classifier" and regressor.estimator_type == "regressor"
    assert classifier.classifier_tags.poor_score and regressor.regressor_tags.poor_score
    assert transformer.transformer_tags.preserves_dtype == []


def test_bad_input_gets_clear_errors():
    X, y = _iris()
    uncompiled = kerasport.Sequential([kerasport.Input((4,)), layers.Dense(3)])
    with pytest.raises(RuntimeError, match="compiled"):
        SKLearnClassifier(lambda X, y: uncompiled).fit(X, y)
    with pytest.raises(TypeError, match="must build a kerasport Model"):
        SKLearnRegressor(lambda X, y: "not a model").fit(X, y)
    with pytest.raises(TypeError, match="compiled Model or a callable"):
        SKLearnRegressor(3).fit(X, y)
    with pytest.raises(ValueError, match="binary and multiclass"):
        SKLearnClassifier(mlp).fit(X, y + 0.5)
    with pytest.raises(ValueError, match="only one class"):
        SKLearnClassifier(mlp).fit(X, np.zeros(150, int))
    with pytest.raises(NotFittedError):
        SKLearnClassifier(mlp).predict(X)
    est = SKLearnClassifier(mlp, fit_kwargs={"epochs": 1, **QUIET}).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        est.predict(X[:, :3])


def test_set_fit_request_needs_metadata_routing():
    with pytest.raises(RuntimeError, match="metadata routing"):
        SKLearnClassifier(mlp).set_fit_request(sample_weight=True)
    with sklearn.config_context(enable_metadata_routing=True):
        est = SKLearnClassifier(mlp).set_fit_request(sample_weight=True)
        assert est.get_metadata_routing().fit.requests == {"sample_weight": True}


def test_without_sklearn_the_error_names_the_extra(monkeypatch):
    monkeypatch.setattr(sklearn_wrapper, "sklearn", None)
    for cls in (SKLearnClassifier, SKLearnRegressor, SKLearnTransformer):
        with pytest.raises(ImportError, match=r"kerasport\[sklearn\]"):
            cls(mlp)


def dynamic_model(X, y, loss, activation="softmax"):
    """Keras's estimator-check model: one hidden layer, outputs sized from ``y``."""
    n_outputs = y.shape[1] if len(y.shape) > 1 else 1
    model = kerasport.Sequential([kerasport.Input((X.shape[1],)), layers.Dense(10, activation="relu"),
                                  layers.Dense(n_outputs, activation=activation)])
    model.compile(loss=loss, optimizer="rmsprop")
    return model


# Checks that refit and compare, or expect a reproducible fit (as in Keras's own test of its wrappers).
NOT_REPRODUCIBLE = ("check_fit_idempotent", "check_supervised_y_2d", "check_classifier_data_not_an_array",
                    "check_classifiers_classes", "check_classifiers_train", "check_regressor_data_not_an_array",
                    "check_regressors_int", "check_classifiers_one_label_sample_weights")


@pytest.mark.parametrize("estimator", [
    SKLearnClassifier(dynamic_model, model_kwargs={"loss": "categorical_crossentropy"}, fit_kwargs={"epochs": 5, **QUIET}),
    SKLearnRegressor(dynamic_model, model_kwargs={"loss": "mse", "activation": None}, fit_kwargs=QUIET),
    SKLearnTransformer(dynamic_model, model_kwargs={"loss": "mse", "activation": None}, fit_kwargs=QUIET),
], ids=lambda est: type(est).__name__)
def test_scikit_learn_estimator_checks(estimator):
    import inspect
    from sklearn.utils.estimator_checks import check_estimator
    if "expected_failed_checks" not in inspect.signature(check_estimator).parameters:
        pytest.skip("check_estimator takes expected_failed_checks from scikit-learn 1.6 on")
    results = check_estimator(estimator, expected_failed_checks={c: "not reproducible" for c in NOT_REPRODUCIBLE},
                              on_fail="raise", on_skip=None)
    passed = {r["check_name"] for r in results if r["status"] == "passed"}
    assert {"check_estimators_pickle", "check_estimators_dtypes", "check_n_features_in",
            "check_fit2d_1sample", "check_estimators_nan_inf"} <= passed


def test_fitted_estimator_pickles():
    import pickle
    X, y = _iris()
    est = SKLearnClassifier(mlp, fit_kwargs={"epochs": 3, **QUIET}).fit(X, y)
    back = pickle.loads(pickle.dumps(est))
    assert back.model_ is not est.model_ and back.model_.compiled
    np.testing.assert_array_equal(back.decision_function(X), est.decision_function(X))
    np.testing.assert_array_equal(back.classes_, est.classes_)
    back.fit(X, y, epochs=1)
