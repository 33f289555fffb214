"""keras.io example "OCR model for reading Captchas" (examples/vision/captcha_ocr.py).

The example as written on its TensorFlow backend: PNG files named after their labels, ``StringLookup`` both
ways, ``split_data`` with ``ops.arange`` / ``keras.random.shuffle`` indices, a ``tf.data`` pipeline that decodes
and transposes the images and maps characters to numbers, the ``CTCLayer`` endpoint layer that adds the
``tf.compat.v1.nn.ctc_loss`` of the example's ``ctc_batch_cost`` with ``add_loss`` and is called with two
positional tensors, a model compiled with no loss, ``EarlyStopping(restore_best_weights=True)`` on
``val_loss``, then a prediction model cut out of the trained one at ``dense2`` and greedy ``ops.ctc_decode``.

Shrunk: 20 synthetic 40x16 captchas of 4 characters from 6 (random strokes drawn in NumPy, so every image
differs), batch size 4, 3 epochs, 16 and 8 LSTM units; dropout rates 0 (their masks are random). The plots are
replaced by the numbers and texts they show.

Keras 3.15 itself cannot build the example's model on TensorFlow (its ``ops.tile`` fails on the symbolic
``repeats`` of ``ctc_label_dense_to_sparse`` while the functional model is traced), so only Keras's copy of the
``CTCLayer`` gets a ``compute_output_spec``; kerasport runs the example as written. Keras runs eagerly here
(``check_program``), where its ``tile`` works.
"""
import os
import tempfile

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def _write_captchas(data_dir):
    import tensorflow as tf

    rng = np.random.RandomState(0)
    for _ in range(20):
        label = "".join(rng.choice(list("23bcdn"), 4))
        image = (rng.rand(16, 40, 1) * 255).astype("uint8")
        with open(os.path.join(data_dir, label + ".png"), "wb") as f:
            f.write(tf.io.encode_png(image).numpy())


def captcha_ocr(keras, sync):
    from pathlib import Path

    import tensorflow as tf

    ops, layers = keras.ops, keras.layers
    folder = tempfile.mkdtemp()
    _write_captchas(folder)

    # Path to the data directory
    data_dir = Path(folder)

    # Get list of all the images
    images = sorted(list(map(str, list(data_dir.glob("*.png")))))
    labels = [img.split(os.path.sep)[-1].split(".png")[0] for img in images]
    characters = set(char for label in labels for char in label)
    characters = sorted(list(characters))

    # Batch size for training and validation
    batch_size = 4

    # Desired image dimensions
    img_width = 40
    img_height = 16

    # Maximum length of any captcha in the dataset
    max_length = max([len(label) for label in labels])

    # Mapping characters to integers
    char_to_num = layers.StringLookup(vocabulary=list(characters), mask_token=None)

    # Mapping integers back to original characters
    num_to_char = layers.StringLookup(
        vocabulary=char_to_num.get_vocabulary(), mask_token=None, invert=True
    )

    def split_data(images, labels, train_size=0.9, shuffle=True):
        # 1. Get the total size of the dataset
        size = len(images)
        # 2. Make an indices array and shuffle it, if required
        indices = ops.arange(size)
        if shuffle:
            keras.random.shuffle(indices)
        # 3. Get the size of training samples
        train_samples = int(size * train_size)
        # 4. Split data into training and validation sets
        x_train, y_train = images[indices[:train_samples]], labels[indices[:train_samples]]
        x_valid, y_valid = images[indices[train_samples:]], labels[indices[train_samples:]]
        return x_train, x_valid, y_train, y_valid

    # Splitting data into training and validation sets
    x_train, x_valid, y_train, y_valid = split_data(np.array(images), np.array(labels))

    def encode_single_sample(img_path, label):
        # 1. Read image
        img = tf.io.read_file(img_path)
        # 2. Decode and convert to grayscale
        img = tf.io.decode_png(img, channels=1)
        # 3. Convert to float32 in [0, 1] range
        img = tf.image.convert_image_dtype(img, tf.float32)
        # 4. Resize to the desired size
        img = ops.image.resize(img, [img_height, img_width])
        # 5. Transpose the image because we want the time
        # dimension to correspond to the width of the image.
        img = ops.transpose(img, axes=[1, 0, 2])
        # 6. Map the characters in label to numbers
        label = char_to_num(tf.strings.unicode_split(label, input_encoding="UTF-8"))
        # 7. Return a dict as our model is expecting two inputs
        return {"image": img, "label": label}

    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = (
        train_dataset.map(encode_single_sample, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(buffer_size=tf.data.AUTOTUNE)
    )

    validation_dataset = tf.data.Dataset.from_tensor_slices((x_valid, y_valid))
    validation_dataset = (
        validation_dataset.map(encode_single_sample, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(buffer_size=tf.data.AUTOTUNE)
    )

    def ctc_batch_cost(y_true, y_pred, input_length, label_length):
        label_length = ops.cast(ops.squeeze(label_length, axis=-1), dtype="int32")
        input_length = ops.cast(ops.squeeze(input_length, axis=-1), dtype="int32")
        sparse_labels = ops.cast(
            ctc_label_dense_to_sparse(y_true, label_length), dtype="int32"
        )

        y_pred = ops.log(ops.transpose(y_pred, axes=[1, 0, 2]) + keras.backend.epsilon())

        return ops.expand_dims(
            tf.compat.v1.nn.ctc_loss(
                inputs=y_pred, labels=sparse_labels, sequence_length=input_length
            ),
            1,
        )

    def ctc_label_dense_to_sparse(labels, label_lengths):
        label_shape = ops.shape(labels)
        num_batches_tns = ops.stack([label_shape[0]])
        max_num_labels_tns = ops.stack([label_shape[1]])

        def range_less_than(old_input, current_input):
            return ops.expand_dims(ops.arange(ops.shape(old_input)[1]), 0) < tf.fill(
                max_num_labels_tns, current_input
            )

        init = ops.cast(tf.fill([1, label_shape[1]], 0), dtype="bool")
        dense_mask = tf.compat.v1.scan(
            range_less_than, label_lengths, initializer=init, parallel_iterations=1
        )
        dense_mask = dense_mask[:, 0, :]

        label_array = ops.reshape(
            ops.tile(ops.arange(0, label_shape[1]), num_batches_tns), label_shape
        )
        label_ind = tf.compat.v1.boolean_mask(label_array, dense_mask)

        batch_array = ops.transpose(
            ops.reshape(
                ops.tile(ops.arange(0, label_shape[0]), max_num_labels_tns),
                tf.reverse(label_shape, [0]),
            )
        )
        batch_ind = tf.compat.v1.boolean_mask(batch_array, dense_mask)
        indices = ops.transpose(
            ops.reshape(ops.concatenate([batch_ind, label_ind], axis=0), [2, -1])
        )

        vals_sparse = tf.compat.v1.gather_nd(labels, indices)

        return tf.SparseTensor(
            ops.cast(indices, dtype="int64"),
            vals_sparse,
            ops.cast(label_shape, dtype="int64"),
        )

    class CTCLayer(layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = ctc_batch_cost

        def call(self, y_true, y_pred):
            # Compute the training-time loss value and add it
            # to the layer using `self.add_loss()`.
            batch_len = ops.cast(ops.shape(y_true)[0], dtype="int64")
            input_length = ops.cast(ops.shape(y_pred)[1], dtype="int64")
            label_length = ops.cast(ops.shape(y_true)[1], dtype="int64")

            input_length = input_length * ops.ones(shape=(batch_len, 1), dtype="int64")
            label_length = label_length * ops.ones(shape=(batch_len, 1), dtype="int64")

            loss = self.loss_fn(y_true, y_pred, input_length, label_length)
            self.add_loss(loss)

            # At test time, just return the computed predictions
            return y_pred

    if keras.__name__ == "keras":
        # Keras 3.15's TensorFlow ``ops.tile`` iterates over its ``repeats``, which fails on the symbolic tensors
        # of Keras's functional-model tracing; the oracle's layer states its output instead of being traced.
        CTCLayer.compute_output_spec = lambda self, y_true, y_pred: keras.KerasTensor(y_pred.shape, y_pred.dtype)

    def build_model():
        # Inputs to the model
        input_img = layers.Input(
            shape=(img_width, img_height, 1), name="image", dtype="float32"
        )
        labels = layers.Input(name="label", shape=(None,), dtype="float32")

        # First conv block
        x = layers.Conv2D(
            32,
            (3, 3),
            activation="relu",
            kernel_initializer="he_normal",
            padding="same",
            name="Conv1",
        )(input_img)
        x = layers.MaxPooling2D((2, 2), name="pool1")(x)

        # Second conv block
        x = layers.Conv2D(
            64,
            (3, 3),
            activation="relu",
            kernel_initializer="he_normal",
            padding="same",
            name="Conv2",
        )(x)
        x = layers.MaxPooling2D((2, 2), name="pool2")(x)

        new_shape = ((img_width // 4), (img_height // 4) * 64)
        x = layers.Reshape(target_shape=new_shape, name="reshape")(x)
        x = layers.Dense(64, activation="relu", name="dense1")(x)
        x = layers.Dropout(0.0)(x)

        # RNNs
        x = layers.Bidirectional(layers.LSTM(16, return_sequences=True, dropout=0.0))(x)
        x = layers.Bidirectional(layers.LSTM(8, return_sequences=True, dropout=0.0))(x)

        # Output layer
        x = layers.Dense(
            len(char_to_num.get_vocabulary()) + 1, activation="softmax", name="dense2"
        )(x)

        # Add CTC layer for calculating CTC loss at each step
        output = CTCLayer(name="ctc_loss")(labels, x)

        # Define the model
        model = keras.models.Model(
            inputs=[input_img, labels], outputs=output, name="ocr_model_v1"
        )
        # Optimizer
        opt = keras.optimizers.Adam()
        # Compile the model and return
        model.compile(optimizer=opt)
        return model

    # Get the model
    model = build_model()
    sync(model)

    epochs = 3
    early_stopping_patience = 10
    # Add early stopping
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=early_stopping_patience, restore_best_weights=True
    )

    # Train the model
    history = model.fit(
        train_dataset,
        validation_data=validation_dataset,
        epochs=epochs,
        callbacks=[early_stopping],
        verbose=0,
    )

    # Get the prediction model by extracting layers till the output layer
    prediction_model = keras.models.Model(
        model.input[0], model.get_layer(name="dense2").output
    )

    # A utility function to decode the output of the network
    def decode_batch_predictions(pred):
        input_len = np.ones(pred.shape[0]) * pred.shape[1]
        # Use greedy search. For complex tasks, you can use beam search
        results = ops.ctc_decode(pred, sequence_lengths=input_len, strategy="greedy")[0][0]
        # Keep only up to max_length
        results = results[:, :max_length]
        # Iterate over the results and get back the text
        output_text = []
        for res in results:
            res = tf.strings.reduce_join(num_to_char(res)).numpy().decode("utf-8")
            output_text.append(res)
        return output_text

    for batch in validation_dataset.take(1):
        batch_images = batch["image"]
        batch_labels = batch["label"]

        preds = prediction_model.predict(batch_images, verbose=0)
        pred_texts = decode_batch_predictions(preds)

        orig_texts = []
        for label in batch_labels:
            label = tf.strings.reduce_join(num_to_char(label)).numpy().decode("utf-8")
            orig_texts.append(label)

    return {"history": history.history, "characters": "".join(characters), "labels": " ".join(labels),
            "preds": preds, "pred_texts": " ".join(pred_texts), "orig_texts": " ".join(orig_texts),
            "weights": model.get_weights()}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's CTC loss is tf.compat.v1.nn.ctc_loss, its data tf.data: TensorFlow only")
def test_captcha_ocr():
    check_program(captcha_ocr)
