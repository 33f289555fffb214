"""keras.io example "Keypoint Detection with Transfer Learning" (examples/vision/keypoint_detection.py).

The example's ``KeyPointsDataset`` (a ``keras.utils.Sequence`` that reshuffles its keys in ``on_epoch_end`` with
NumPy's global generator, and does not call ``super().__init__()``), ``get_model`` (a frozen ``MobileNetV2``
backbone with ``include_top=False`` after ``mobilenet_v2.preprocess_input``, then two ``SeparableConv2D`` heads to
a ``(1, 1, 48)`` output), ``summary``, ``compile(loss="mse", optimizer=Adam(1e-4))``, ``fit`` with the validation
``Sequence``, and ``predict`` on a validation batch.

Changed: the StanfordExtra images and their ``imgaug`` augmentation become 12 random 224x224 images with random
keypoints (224 stays: the heads need the backbone's 7x7 map); ``weights=None`` with ``alpha=0.35`` (no download,
less CPU time); ``Dropout(0.3)`` becomes ``Dropout(0.0)`` (dropout masks are random); batches of 4, 2 epochs.
What it found: ``fit`` trained its first epoch on the batch it had peeked before ``on_epoch_end`` reshuffled.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

IMG_SIZE = 224
BATCH_SIZE = 4
NUM_KEYPOINTS = 24 * 2


def keypoint_detection(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, (12, IMG_SIZE, IMG_SIZE, 3))
    joints = rng.uniform(0, IMG_SIZE, (12, 24, 2)).astype("float32")

    class KeyPointsDataset(keras.utils.Sequence):
        def __init__(self, image_keys, batch_size=BATCH_SIZE, train=True):
            self.image_keys = image_keys
            self.batch_size = batch_size
            self.train = train
            self.on_epoch_end()

        def __len__(self):
            return len(self.image_keys) // self.batch_size

        def on_epoch_end(self):
            self.indexes = np.arange(len(self.image_keys))
            if self.train:
                np.random.shuffle(self.indexes)

        def __getitem__(self, index):
            indexes = self.indexes[index * self.batch_size:(index + 1) * self.batch_size]
            image_keys_temp = [self.image_keys[k] for k in indexes]
            batch_images = np.empty((self.batch_size, IMG_SIZE, IMG_SIZE, 3), dtype="int")
            batch_keypoints = np.empty((self.batch_size, 1, 1, NUM_KEYPOINTS), dtype="float32")
            for i, key in enumerate(image_keys_temp):
                batch_images[i,] = images[key]
                batch_keypoints[i,] = joints[key].reshape(1, 1, 24 * 2)
            return batch_images, batch_keypoints / IMG_SIZE

    def get_model():
        backbone = keras.applications.MobileNetV2(weights=None, include_top=False, alpha=0.35,
                                                  input_shape=(IMG_SIZE, IMG_SIZE, 3))
        backbone.trainable = False
        inputs = layers.Input((IMG_SIZE, IMG_SIZE, 3))
        x = keras.applications.mobilenet_v2.preprocess_input(inputs)
        x = backbone(x)
        x = layers.Dropout(0.0)(x)
        x = layers.SeparableConv2D(NUM_KEYPOINTS, kernel_size=5, strides=1, activation="relu")(x)
        outputs = layers.SeparableConv2D(NUM_KEYPOINTS, kernel_size=3, strides=1, activation="sigmoid")(x)
        return keras.Model(inputs, outputs, name="keypoint_detector")

    train_dataset = KeyPointsDataset(list(range(8)))
    validation_dataset = KeyPointsDataset(list(range(8, 12)), train=False)
    model = get_model()
    sync(model)
    model.summary(print_fn=lambda *args, **kwargs: None)
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(1e-4))
    history = model.fit(train_dataset, validation_data=validation_dataset, epochs=2, verbose=0)
    sample_val_images, _ = next(iter(validation_dataset))
    predictions = model.predict(sample_val_images, verbose=0).reshape(-1, 24, 2) * IMG_SIZE
    return {"history": history.history, "predictions": predictions, "params": model.count_params(),
            "trainable": len(model.trainable_weights), "output_shape": model.output_shape}


def test_keypoint_detection():
    check_program(keypoint_detection, rtol=1e-3, atol=1e-4)
