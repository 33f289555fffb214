"""keras.io example "Serving TensorFlow models with TFServing" (examples/keras_recipes/tf_serving.py).

The example's TensorFlow side, as written: a ``keras.applications.MobileNet``, its ``preprocess``
(``tf.image.resize``) and ``postprocess`` (``tf.argmax`` and ``tf.gather`` of the label names), the model called on
a batched ``tf.Tensor``, ``tf.saved_model.save(model, export_dir=...)`` with no signature given, the input name
read back from ``tf.saved_model.load(...).signatures["serving_default"].structured_input_signature``, then the
model saved again with a custom ``serving_default`` signature (a ``tf.function`` that preprocesses, calls the
model and postprocesses). The TensorFlow Serving server itself (REST on port 8501, gRPC on 8500) is not run:
both signatures are called as the server calls them, from the loaded SavedModels. TensorFlow only.

Changed: ``MobileNet(weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=10)`` with ten made-up label
names (no download); a random 40x48 "banana" picture; ``preprocess`` resizes to (32, 32).

``tf.saved_model.save`` takes the model because kerasport's layers are TensorFlow trackables, as Keras 3's are
(kerasport/backends/tensorflow/layer_base.py).
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def tf_serving(keras, sync):
    import tensorflow as tf

    model = keras.applications.MobileNet(weights=None, input_shape=(32, 32, 3), alpha=0.25, classes=10)
    sync(model)

    def preprocess(image, mean=0.5, std=0.5, shape=(32, 32)):
        """Scale, normalize and resizes images."""
        image = image / 255.0  # Scale
        image = (image - mean) / std  # Normalize
        image = tf.image.resize(image, shape)  # Resize
        return image

    labels = ["apple", "banana", "cherry", "date", "elderberry", "fig", "grape", "honeydew", "kiwi", "lemon"]
    # Convert the labels to the TensorFlow data format
    tf_labels = tf.constant(labels, dtype=tf.string)

    def postprocess(prediction, labels=tf_labels):
        """Convert from probs to labels."""
        indices = tf.argmax(prediction, axis=-1)  # Index with highest prediction
        label = tf.gather(params=labels, indices=indices)  # Class name
        return label

    sample_img = np.random.RandomState(0).randint(0, 256, (40, 48, 3)).astype("uint8")
    preprocess_img = preprocess(sample_img)

    batched_img = tf.expand_dims(preprocess_img, axis=0)
    batched_img = tf.cast(batched_img, tf.float32)

    model_outputs = model(batched_img)
    predicted = postprocess(model_outputs)

    model_dir = tempfile.mkdtemp()
    model_version = 1
    model_export_path = f"{model_dir}/{model_version}"

    tf.saved_model.save(
        model,
        export_dir=model_export_path,
    )

    # Get the serving_input key
    loaded_model = tf.saved_model.load(model_export_path)
    input_name = list(
        loaded_model.signatures["serving_default"].structured_input_signature[1].keys()
    )[0]
    served = loaded_model.signatures["serving_default"](**{input_name: batched_img})

    def export_model(model, labels):
        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
        def serving_fn(image):
            processed_img = preprocess(image)
            probs = model(processed_img)
            label = postprocess(probs)
            return {"label": label}

        return serving_fn

    model_sig_version = 2
    model_sig_export_path = f"{model_dir}/{model_sig_version}"

    tf.saved_model.save(
        model,
        export_dir=model_sig_export_path,
        signatures={"serving_default": export_model(model, labels)},
    )
    raw = tf.constant(sample_img[None].astype("float32"))
    custom = tf.saved_model.load(model_sig_export_path).signatures["serving_default"](image=raw)

    return {"model_outputs": model_outputs, "predicted": predicted.numpy()[0].decode(),
            "saved_model_files": " ".join(sorted(os.listdir(model_export_path))),
            "served_keys": " ".join(sorted(served)), "served": list(served.values())[0],
            "custom_label": custom["label"].numpy()[0].decode()}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example saves with tf.saved_model for TensorFlow Serving: TensorFlow only")
def test_tf_serving():
    check_program(tf_serving)
