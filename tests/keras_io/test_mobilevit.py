"""keras.io example "MobileViT: A mobile-friendly Transformer-based model for image classification"
(examples/vision/mobilevit.py, the Keras 3 version).

The example's ``conv_block`` (``Conv2D`` with ``activation=keras.activations.swish``), ``inverted_residual_block``
(``BatchNormalization``, ``keras.activations.swish`` on symbolic tensors, ``ZeroPadding2D`` then a strided
``DepthwiseConv2D``, a residual ``Add``), ``mlp``, ``transformer_block`` (``MultiHeadAttention`` over the 4-D
``(patch_size, num_patches, projection_dim)`` unfolded patches), ``mobilevit_block`` (the ``Reshape`` unfold and
fold, ``Concatenate``) and ``create_mobilevit`` (the XXS variant, every block as written); the ``tf.data`` pipeline
(``preprocess_dataset``: ``tf.image.resize``, ``tf.one_hot``; ``prepare_dataset``: ``map``, ``batch``,
``prefetch``) and ``run_experiment`` (``Adam``, label-smoothed categorical cross-entropy, ``ModelCheckpoint`` of the
best ``val_accuracy`` weights, ``load_weights``, ``evaluate``). Shrunk: ``image_size=64`` (the smallest size
whose third MobileViT block still has a whole patch: 256 in the example), ``resize_bigger=72``, 16 images of
40x40x3 uniform noise in 5 classes instead of ``tf_flowers`` (8 to train, 8 to validate), ``batch_size=8``, 2
epochs; the checkpoint goes to a temporary folder. Changed: every dropout rate is 0 (dropout masks are random);
the training dataset is neither shuffled nor randomly cropped and flipped (``tf.image.random_crop`` and
``random_flip_left_right`` draw from TensorFlow's own generator): it is mapped with the example's validation
preprocessing, and the example's training preprocessing is compared by its batches' shapes only. The TFLite
conversion is left out (``tests/keras_io/test_litert_export.py`` covers that path).
"""
import os
import tempfile

import numpy as np
import tensorflow as tf

from tests.programs.test_keras_programs import check_program

patch_size = 4
image_size = 64
expansion_factor = 2
batch_size = 8
auto = tf.data.AUTOTUNE
resize_bigger = 72
num_classes = 5
learning_rate = 0.002
label_smoothing_factor = 0.1
epochs = 2


def mobilevit(keras, sync):
    layers = keras.layers

    def conv_block(x, filters=16, kernel_size=3, strides=2):
        conv_layer = layers.Conv2D(
            filters, kernel_size, strides=strides, activation=keras.activations.swish, padding="same"
        )
        return conv_layer(x)

    def inverted_residual_block(x, expanded_channels, output_channels, strides=1):
        m = layers.Conv2D(expanded_channels, 1, padding="same", use_bias=False)(x)
        m = layers.BatchNormalization()(m)
        m = keras.activations.swish(m)

        if strides == 2:
            m = layers.ZeroPadding2D()(m)
        m = layers.DepthwiseConv2D(
            3, strides=strides, padding="same" if strides == 1 else "valid", use_bias=False
        )(m)
        m = layers.BatchNormalization()(m)
        m = keras.activations.swish(m)

        m = layers.Conv2D(output_channels, 1, padding="same", use_bias=False)(m)
        m = layers.BatchNormalization()(m)

        if x.shape[-1] == output_channels and strides == 1:
            return layers.Add()([m, x])
        return m

    def mlp(x, hidden_units, dropout_rate):
        for units in hidden_units:
            x = layers.Dense(units, activation=keras.activations.swish)(x)
            x = layers.Dropout(dropout_rate)(x)
        return x

    def transformer_block(x, transformer_layers, projection_dim, num_heads=2):
        for _ in range(transformer_layers):
            x1 = layers.LayerNormalization(epsilon=1e-6)(x)
            attention_output = layers.MultiHeadAttention(
                num_heads=num_heads, key_dim=projection_dim, dropout=0.0
            )(x1, x1)
            x2 = layers.Add()([attention_output, x])
            x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
            x3 = mlp(
                x3,
                hidden_units=[x.shape[-1] * 2, x.shape[-1]],
                dropout_rate=0.0,
            )
            x = layers.Add()([x3, x2])
        return x

    def mobilevit_block(x, num_blocks, projection_dim, strides=1):
        local_features = conv_block(x, filters=projection_dim, strides=strides)
        local_features = conv_block(
            local_features, filters=projection_dim, kernel_size=1, strides=strides
        )
        num_patches = int((local_features.shape[1] * local_features.shape[2]) / patch_size)
        non_overlapping_patches = layers.Reshape((patch_size, num_patches, projection_dim))(
            local_features
        )
        global_features = transformer_block(
            non_overlapping_patches, num_blocks, projection_dim
        )
        folded_feature_map = layers.Reshape((*local_features.shape[1:-1], projection_dim))(
            global_features
        )
        folded_feature_map = conv_block(
            folded_feature_map, filters=x.shape[-1], kernel_size=1, strides=strides
        )
        local_global_features = layers.Concatenate(axis=-1)([x, folded_feature_map])
        local_global_features = conv_block(
            local_global_features, filters=projection_dim, strides=strides
        )
        return local_global_features

    def create_mobilevit(num_classes=5):
        inputs = keras.Input((image_size, image_size, 3))
        x = layers.Rescaling(scale=1.0 / 255)(inputs)
        x = conv_block(x, filters=16)
        x = inverted_residual_block(
            x, expanded_channels=16 * expansion_factor, output_channels=16
        )
        x = inverted_residual_block(
            x, expanded_channels=16 * expansion_factor, output_channels=24, strides=2
        )
        x = inverted_residual_block(
            x, expanded_channels=24 * expansion_factor, output_channels=24
        )
        x = inverted_residual_block(
            x, expanded_channels=24 * expansion_factor, output_channels=24
        )
        x = inverted_residual_block(
            x, expanded_channels=24 * expansion_factor, output_channels=48, strides=2
        )
        x = mobilevit_block(x, num_blocks=2, projection_dim=64)
        x = inverted_residual_block(
            x, expanded_channels=64 * expansion_factor, output_channels=64, strides=2
        )
        x = mobilevit_block(x, num_blocks=4, projection_dim=80)
        x = inverted_residual_block(
            x, expanded_channels=80 * expansion_factor, output_channels=80, strides=2
        )
        x = mobilevit_block(x, num_blocks=3, projection_dim=96)
        x = conv_block(x, filters=320, kernel_size=1, strides=1)
        x = layers.GlobalAvgPool2D()(x)
        outputs = layers.Dense(num_classes, activation="softmax")(x)
        return keras.Model(inputs, outputs)

    def preprocess_dataset(is_training=True):
        def _pp(image, label):
            if is_training:
                image = tf.image.resize(image, (resize_bigger, resize_bigger))
                image = tf.image.random_crop(image, (image_size, image_size, 3))
                image = tf.image.random_flip_left_right(image)
            else:
                image = tf.image.resize(image, (image_size, image_size))
            label = tf.one_hot(label, depth=num_classes)
            return image, label

        return _pp

    def prepare_dataset(dataset, is_training=True):
        dataset = dataset.map(preprocess_dataset(is_training), num_parallel_calls=auto)
        return dataset.batch(batch_size).prefetch(auto)

    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (16, 40, 40, 3)).astype("uint8")
    labels = rng.randint(0, num_classes, 16)
    train_dataset = tf.data.Dataset.from_tensor_slices((images[:8], labels[:8]))
    val_dataset = tf.data.Dataset.from_tensor_slices((images[8:], labels[8:]))
    augmented_shapes = [tuple(x.shape) for x, _ in prepare_dataset(train_dataset, is_training=True)]
    train_dataset = prepare_dataset(train_dataset, is_training=False)
    val_dataset = prepare_dataset(val_dataset, is_training=False)

    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    loss_fn = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing_factor)

    def run_experiment(folder, epochs=epochs):
        mobilevit_xxs = create_mobilevit(num_classes=num_classes)
        sync(mobilevit_xxs)
        mobilevit_xxs.compile(optimizer=optimizer, loss=loss_fn, metrics=["accuracy"])
        checkpoint_filepath = os.path.join(folder, "checkpoint.weights.h5")
        checkpoint_callback = keras.callbacks.ModelCheckpoint(
            checkpoint_filepath,
            monitor="val_accuracy",
            save_best_only=True,
            save_weights_only=True,
        )
        history = mobilevit_xxs.fit(
            train_dataset,
            validation_data=val_dataset,
            epochs=epochs,
            callbacks=[checkpoint_callback],
            verbose=0,
        )
        mobilevit_xxs.load_weights(checkpoint_filepath)
        _, accuracy = mobilevit_xxs.evaluate(val_dataset, verbose=0)
        return mobilevit_xxs, history, accuracy

    with tempfile.TemporaryDirectory() as folder:
        mobilevit_xxs, history, accuracy = run_experiment(folder)
    # No predict: on TensorFlow each compiled function of this model costs seconds of XLA compilation, and
    # val_loss and evaluate already compare the model's outputs.
    return {"history": history.history, "accuracy": accuracy, "augmented_shapes": augmented_shapes,
            "params": mobilevit_xxs.count_params()}


def test_mobilevit():
    # Adam's first steps on a 21-BatchNormalization net amplify float32 round-off: Keras's own predictions move by
    # 6e-4 (relative) between its eager and its traced steps on TensorFlow, so 2e-3 here.
    check_program(mobilevit, rtol=2e-3, atol=1e-4)
