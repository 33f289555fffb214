"""keras.io example "Supervised Contrastive Learning" (examples/vision/supervised-contrastive-learning.py).

Both experiments: the baseline classifier trained end to end, then the encoder pretrained with the example's
``SupervisedContrastiveLoss`` (a ``keras.losses.Loss`` subclass) through a projection head, and a classifier on
the same encoder with its layers frozen (``layer.trainable = False``, which also puts its ``BatchNormalization``
in inference mode). Shrunk: 24 images of 32x32x3 uniform noise instead of CIFAR-10, ``hidden_units=16``,
``projection_units=8``, ``batch_size=8``, 2 epochs, ``shuffle=False``; the encoder's ``ResNet50V2(include_top=False,
weights=None, pooling="avg")`` (23.5M parameters, far too slow for a unit test on CPU) is a small functional
model in its place, with the same interface: two convolutions with ``BatchNormalization``, average pooling.
Changed: ``dropout_rate=0`` (dropout masks are random); ``RandomFlip`` and ``RandomRotation`` are left out of
``data_augmentation`` (their random draws differ between the two libraries).
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

num_classes = 50
input_shape = (32, 32, 3)
learning_rate = 0.001
batch_size = 8
hidden_units = 16
projection_units = 8
num_epochs = 2
dropout_rate = 0.0
temperature = 0.05


def supervised_contrastive_learning(keras, sync):
    layers, ops = keras.layers, keras.ops
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (24,) + input_shape).astype("uint8")
    y_train = rng.randint(0, 10, (24, 1))
    x_test, y_test = x_train[:8], y_train[:8]

    data_augmentation = keras.Sequential([layers.Normalization()])
    data_augmentation.layers[0].adapt(x_train)

    def small_resnet():
        inputs = keras.Input(shape=input_shape)
        x = layers.Conv2D(8, 3, strides=2)(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(16, 3, strides=2)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        outputs = layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, outputs, name="resnet")

    def create_encoder():
        resnet = small_resnet()

        inputs = keras.Input(shape=input_shape)
        augmented = data_augmentation(inputs)
        outputs = resnet(augmented)
        model = keras.Model(inputs=inputs, outputs=outputs, name="cifar10-encoder")
        return model

    def create_classifier(encoder, trainable=True):
        for layer in encoder.layers:
            layer.trainable = trainable

        inputs = keras.Input(shape=input_shape)
        features = encoder(inputs)
        features = layers.Dropout(dropout_rate)(features)
        features = layers.Dense(hidden_units, activation="relu")(features)
        features = layers.Dropout(dropout_rate)(features)
        outputs = layers.Dense(num_classes, activation="softmax")(features)

        model = keras.Model(inputs=inputs, outputs=outputs, name="cifar10-classifier")
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(),
            metrics=[keras.metrics.SparseCategoricalAccuracy()],
        )
        return model

    results = {}

    encoder = create_encoder()
    classifier = create_classifier(encoder)
    sync(classifier)
    history = classifier.fit(x=x_train, y=y_train, batch_size=batch_size, epochs=num_epochs, shuffle=False,
                             verbose=0)
    accuracy = classifier.evaluate(x_test, y_test, verbose=0)[1]
    results["baseline"] = {"history": history.history, "accuracy": accuracy,
                           "predict": classifier.predict(x_test[:4], verbose=0)}

    class SupervisedContrastiveLoss(keras.losses.Loss):
        def __init__(self, temperature=0.05, **kwargs):
            super().__init__(**kwargs)
            self.temperature = temperature

        def call(self, labels, feature_vectors):
            feature_vectors = ops.normalize(feature_vectors, axis=1)

            logits = ops.divide(
                ops.matmul(feature_vectors, ops.transpose(feature_vectors)),
                self.temperature,
            )

            # Create a mask to find positive pairs (images of same class)
            labels = ops.cast(labels, "int32")
            labels = ops.reshape(labels, (-1, 1))
            mask = ops.cast(ops.equal(labels, ops.transpose(labels)), "float32")

            batch_size = ops.shape(logits)[0]
            logits_mask = 1.0 - ops.eye(batch_size)
            mask = mask * logits_mask

            logits_max = ops.max(logits, axis=1, keepdims=True)
            logits_exp = ops.exp(logits - logits_max) * logits_mask

            log_prob = (logits - logits_max) - ops.log(
                ops.sum(logits_exp, axis=1, keepdims=True) + 1e-8
            )

            mean_log_prob_pos = ops.sum(mask * log_prob, axis=1) / (
                ops.sum(mask, axis=1) + 1e-8
            )

            return ops.subtract(0.0, ops.mean(mean_log_prob_pos))

    def add_projection_head(encoder):
        inputs = keras.Input(shape=input_shape)
        features = encoder(inputs)
        outputs = layers.Dense(projection_units, activation="relu")(features)
        model = keras.Model(
            inputs=inputs, outputs=outputs, name="cifar-encoder_with_projection-head"
        )
        return model

    encoder = create_encoder()

    encoder_with_projection_head = add_projection_head(encoder)
    sync(encoder_with_projection_head)
    encoder_with_projection_head.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=SupervisedContrastiveLoss(temperature),
    )
    history = encoder_with_projection_head.fit(
        x=x_train,
        y=y_train,
        batch_size=batch_size,
        epochs=num_epochs,
        shuffle=False,
        verbose=0,
    )
    results["pretraining"] = {"history": history.history, "features": encoder.predict(x_test[:4], verbose=0)}

    classifier = create_classifier(encoder, trainable=False)
    sync(classifier)
    history = classifier.fit(x=x_train, y=y_train, batch_size=batch_size, epochs=num_epochs, shuffle=False,
                             verbose=0)
    accuracy = classifier.evaluate(x_test, y_test, verbose=0)[1]
    results["frozen"] = {"history": history.history, "accuracy": accuracy,
                         "trainable": len(classifier.trainable_weights),
                         "non_trainable": len(classifier.non_trainable_weights),
                         "features": encoder.predict(x_test[:4], verbose=0),
                         "predict": classifier.predict(x_test[:4], verbose=0)}
    return results


def test_supervised_contrastive_learning():
    # The loss divides cosine similarities by temperature=0.05: float rounding in the encoder's features is
    # amplified 20 times in the loss's gradients, and after the pretraining the features of kerasport on torch
    # and of kerasport on TensorFlow are 3e-4 apart from Keras's (and from each other). Hence atol=1e-3.
    check_program(supervised_contrastive_learning, atol=1e-3)
