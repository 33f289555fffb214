"""keras.io example "Point cloud classification with PointNet" (examples/vision/pointnet.py, the Keras 3 version).

The example's model as written: ``conv_bn`` / ``dense_bn`` blocks (``Conv1D`` with ``kernel_size=1``,
``BatchNormalization(momentum=0.0)``, ReLU), two T-nets whose last ``Dense`` starts at the identity
(``keras.initializers.Constant(np.eye(k).flatten())``, ``kernel_initializer="zeros"``) with a custom
``keras.regularizers.Regularizer`` subclass (``OrthogonalRegularizer``, built on ``keras.ops.eye`` /
``tensordot`` / ``reshape``) as ``activity_regularizer``, ``layers.Dot(axes=(2, 1))`` to apply the transform,
``GlobalMaxPooling1D``; compiled with ``sparse_categorical_crossentropy`` and ``sparse_categorical_accuracy``,
fitted with validation data, then ``predict`` and ``argmax`` as the example's visualisation does.

Changed: the ModelNet10 meshes (a download, sampled with trimesh) become 24 random clouds of 32 points in 3
classes; smaller widths (the T-net's 512 / 256 / 128 become 32 / 16 / 16); ``Dropout(0.3)`` becomes
``Dropout(0.0)`` (dropout masks are random); the ``tf.data`` augmentation (jitter, shuffle) is left out, as its
random numbers are TensorFlow's own; 2 epochs.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

NUM_POINTS, NUM_CLASSES = 32, 3


def pointnet(keras, sync):
    layers, ops = keras.layers, keras.ops

    def conv_bn(x, filters):
        x = layers.Conv1D(filters, kernel_size=1, padding="valid")(x)
        x = layers.BatchNormalization(momentum=0.0)(x)
        return layers.Activation("relu")(x)

    def dense_bn(x, filters):
        x = layers.Dense(filters)(x)
        x = layers.BatchNormalization(momentum=0.0)(x)
        return layers.Activation("relu")(x)

    class OrthogonalRegularizer(keras.regularizers.Regularizer):
        def __init__(self, num_features, l2reg=0.001):
            self.num_features = num_features
            self.l2reg = l2reg
            self.eye = ops.eye(num_features)

        def __call__(self, x):
            x = ops.reshape(x, (-1, self.num_features, self.num_features))
            xxt = ops.tensordot(x, x, axes=(2, 2))
            xxt = ops.reshape(xxt, (-1, self.num_features, self.num_features))
            return ops.sum(self.l2reg * ops.square(xxt - self.eye))

    def tnet(inputs, num_features):
        bias = keras.initializers.Constant(np.eye(num_features).flatten())
        reg = OrthogonalRegularizer(num_features)
        x = conv_bn(inputs, 16)
        x = conv_bn(x, 16)
        x = conv_bn(x, 32)
        x = layers.GlobalMaxPooling1D()(x)
        x = dense_bn(x, 16)
        x = dense_bn(x, 16)
        x = layers.Dense(num_features * num_features, kernel_initializer="zeros", bias_initializer=bias,
                         activity_regularizer=reg)(x)
        feat_T = layers.Reshape((num_features, num_features))(x)
        return layers.Dot(axes=(2, 1))([inputs, feat_T])

    inputs = keras.Input(shape=(NUM_POINTS, 3))
    x = tnet(inputs, 3)
    x = conv_bn(x, 16)
    x = conv_bn(x, 16)
    x = tnet(x, 16)
    x = conv_bn(x, 16)
    x = conv_bn(x, 32)
    x = conv_bn(x, 64)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 32)
    x = layers.Dropout(0.0)(x)
    x = dense_bn(x, 16)
    x = layers.Dropout(0.0)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="pointnet")
    sync(model)

    rng = np.random.RandomState(0)
    train_points = rng.normal(size=(24, NUM_POINTS, 3)).astype("float32")
    train_labels = rng.randint(0, NUM_CLASSES, 24)
    test_points, test_labels = train_points[:8], train_labels[:8]
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  metrics=["sparse_categorical_accuracy"])
    history = model.fit(train_points, train_labels, batch_size=8, epochs=2, shuffle=False,
                        validation_data=(test_points, test_labels), verbose=0)
    preds = ops.argmax(model.predict(test_points, verbose=0), -1)
    model(test_points)  # an eager call: the T-nets' orthogonality penalties in model.losses
    return {"history": history.history, "preds": ops.convert_to_numpy(preds),
            "regularization": [float(ops.convert_to_numpy(v)) for v in model.losses],
            "params": model.count_params()}


def test_pointnet():
    # The validation loss runs two T-nets on BatchNormalization(momentum=0.0)'s one-batch statistics: Keras's own
    # val_loss moves by 5e-4 (relative) between TensorFlow's oneDNN and Eigen kernels, so 1e-3 here.
    check_program(pointnet, rtol=1e-3, atol=1e-4)
