"""keras.io example "Feature Engineering using Keras Functional API and custom Feature layer"
(examples/structured_data/feature_engineering_with_custom_layer.py).

TensorFlow only, as keras.io writes it: a dict of ``keras.Input(shape=(1,), dtype=tf.float32 / tf.string)``,
the ``FeatureLayer`` (``__init__(self, *args, **kwargs)``, no ``get_config``) that engineers features with
``tf.math.logical_and``, string comparisons and ``keras.layers.concatenate`` inside ``call``,
``BatchNormalization`` and a sigmoid ``Dense`` on a ``tf.data.experimental.make_csv_dataset`` of the heart-disease
CSV, compiled with ``BinaryAccuracy`` and ``AUC``, saved, loaded and evaluated. Shrunk: a CSV of 48 random rows
with the heart dataset's columns instead of the download, ``batch_size=16``, one pass per epoch, 2 epochs,
``shuffle=False``. Changed: ``make_csv_dataset`` yields ``OrderedDict`` features, which Keras 3 flattens in another
order than its inputs' plain dict (Keras fails on them), so a ``map`` makes them plain dicts; ``save_model`` writes
``.keras`` (Keras 3 has no SavedModel ``save_model``) and ``load_model`` gets the layer in ``custom_objects``;
``plot_model`` is left out.
What it fixed: ``Input(dtype=tf.float32)`` (a dtype object as a layer's dtype) and the automatic config of a
layer whose ``__init__`` takes ``*args``.
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="the example is written in TensorFlow ops (tf.string inputs, tf.math)")

binary_features = ["sex", "fbs", "exang"]
numeric_features = ["trestbps", "chol", "thalach", "oldpeak", "slope", "cp", "restecg", "ca"]


def _csv(path):
    rng = np.random.RandomState(0)
    cols = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak", "slope",
            "ca", "thal", "target"]
    lines = [",".join(cols)]
    for _ in range(48):
        row = [rng.randint(30, 70), rng.randint(0, 2), rng.randint(0, 4), rng.randint(100, 180),
               rng.randint(150, 350), rng.randint(0, 2), rng.randint(0, 3), rng.randint(90, 200),
               rng.randint(0, 2), round(rng.rand() * 4, 1), rng.randint(0, 3), rng.randint(0, 4),
               ["fixed", "normal", "reversible"][rng.randint(0, 3)], rng.randint(0, 2)]
        lines.append(",".join(str(v) for v in row))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def feature_layer_program(keras, sync):
    with tempfile.TemporaryDirectory() as tmp:
        return _feature_layer_program(keras, sync, tmp)


def _feature_layer_program(keras, sync, tmp):
    import tensorflow as tf
    heart_dir = os.path.join(tmp, "heart.csv")
    _csv(heart_dir)
    dataset = tf.data.experimental.make_csv_dataset(heart_dir, batch_size=16, label_name="target", num_epochs=1,
                                                     shuffle=False)
    dataset = dataset.map(lambda features, label: (dict(features), label))
    dtype_mapper = {"age": tf.float32, "sex": tf.float32, "cp": tf.float32, "trestbps": tf.float32,
                    "chol": tf.float32, "fbs": tf.float32, "restecg": tf.float32, "thalach": tf.float32,
                    "exang": tf.float32, "oldpeak": tf.float32, "slope": tf.float32, "ca": tf.float32,
                    "thal": tf.string}

    def create_inputs(data_type_mapper):
        return {feature: keras.Input(shape=(1,), name=feature, dtype=dtype)
                for feature, dtype in data_type_mapper.items()}

    feature_layer_inputs = create_inputs(dtype_mapper)

    class FeatureLayer(keras.layers.Layer):
        def __init__(self, *args, **kwargs):
            super(FeatureLayer, self).__init__(*args, **kwargs)

        def call(self, inputs):
            age_and_gender = tf.cast(tf.math.logical_and(inputs["age"] > 50, inputs["sex"] == 1), dtype=tf.float32)
            thal_fixed_category = tf.cast(inputs["thal"] == "fixed", dtype=tf.float32)
            thal_reversible_category = tf.cast(inputs["thal"] == "reversible", dtype=tf.float32)
            thal_normal_category = tf.cast(inputs["thal"] == "normal", dtype=tf.float32)
            trest_chol_ratio = inputs["trestbps"] / inputs["chol"]
            trest_cross_thalach = inputs["trestbps"] * inputs["thalach"]
            feature_list = [thal_fixed_category, thal_reversible_category, thal_normal_category, age_and_gender,
                            trest_chol_ratio, trest_cross_thalach]
            engineered_feature_layer = keras.layers.concatenate(feature_list)
            numeric_feature_layer = keras.layers.concatenate([inputs[feature] for feature in numeric_features])
            binary_feature_layer = keras.layers.concatenate([inputs[feature] for feature in binary_features])
            return keras.layers.concatenate([engineered_feature_layer, numeric_feature_layer, binary_feature_layer])

    feature_layer = FeatureLayer(name="feature_layer")(feature_layer_inputs)
    x = keras.layers.BatchNormalization(name="batch_norm")(feature_layer)
    output = keras.layers.Dense(1, activation="sigmoid", name="target")(x)
    model = keras.Model(inputs=feature_layer_inputs, outputs=output)
    sync(model)
    model.compile(loss=keras.losses.BinaryCrossentropy(), optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  metrics=[keras.metrics.BinaryAccuracy(name="accuracy"), keras.metrics.AUC(name="auc")])
    h = model.fit(dataset, epochs=2, verbose=0)
    path = os.path.join(tmp, "saved_model.keras")
    keras.models.save_model(model, path)
    loaded_model = keras.models.load_model(path, custom_objects={"FeatureLayer": FeatureLayer})
    ev = loaded_model.evaluate(dataset, verbose=0)
    return {"h": h.history, "ev": dict(zip(loaded_model.metrics_names, ev)), "p": loaded_model.predict(dataset,
            verbose=0), "names": loaded_model.metrics_names}


def test_feature_engineering_with_custom_layer():
    check_program(feature_layer_program)
