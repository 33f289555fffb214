"""keras.io example "PixelCNN" (examples/generative/pixelcnn.py), on small synthetic binary images.

Shrunk: 40 random binary 6x6 images instead of MNIST's 28x28 digits (thresholded as the example does), 2
residual blocks instead of 5, 16 filters instead of 128, ``keras.Input(..., batch_size=8)`` and
``batch_size=8`` instead of 128, ``validation_split=0.2`` so that every batch has the declared size, 2 epochs,
``verbose=0``. The pixel-by-pixel generation loop is kept as written (``predict`` on a batch of 4, smaller than
the declared batch size, one call per pixel); its ``keras.random.uniform`` draws, whose streams differ between
the two libraries, are replaced by a fixed pattern of the same shape; the PNGs become the generated pixels.
"""
import numpy as np

from tests.programs.test_keras_programs import _summary_totals, check_program


def program(keras, sync):
    layers, ops = keras.layers, keras.ops

    input_shape = (6, 6, 1)
    n_residual_blocks = 2
    data = np.random.RandomState(0).randint(0, 256, (40, 6, 6))
    data = np.where(data < (0.33 * 256), 0, 1)
    data = data.astype(np.float32)

    # The first layer is the PixelCNN layer. This layer simply
    # builds on the 2D convolutional layer, but includes masking.
    class PixelConvLayer(layers.Layer):
        def __init__(self, mask_type, **kwargs):
            super().__init__()
            self.mask_type = mask_type
            self.conv = layers.Conv2D(**kwargs)

        def build(self, input_shape):
            # Build the conv2d layer to initialize kernel variables
            self.conv.build(input_shape)
            # Use the initialized kernel to create the mask
            kernel_shape = ops.shape(self.conv.kernel)
            self.mask = np.zeros(shape=kernel_shape)
            self.mask[: kernel_shape[0] // 2, ...] = 1.0
            self.mask[kernel_shape[0] // 2, : kernel_shape[1] // 2, ...] = 1.0
            if self.mask_type == "B":
                self.mask[kernel_shape[0] // 2, kernel_shape[1] // 2, ...] = 1.0

        def call(self, inputs):
            self.conv.kernel.assign(self.conv.kernel * self.mask)
            return self.conv(inputs)

    # Next, we build our residual block layer.
    # This is just a normal residual block, but based on the PixelConvLayer.
    class ResidualBlock(keras.layers.Layer):
        def __init__(self, filters, **kwargs):
            super().__init__(**kwargs)
            self.conv1 = keras.layers.Conv2D(filters=filters, kernel_size=1, activation="relu")
            self.pixel_conv = PixelConvLayer(
                mask_type="B",
                filters=filters // 2,
                kernel_size=3,
                activation="relu",
                padding="same",
            )
            self.conv2 = keras.layers.Conv2D(filters=filters, kernel_size=1, activation="relu")

        def call(self, inputs):
            x = self.conv1(inputs)
            x = self.pixel_conv(x)
            x = self.conv2(x)
            return keras.layers.add([inputs, x])

    inputs = keras.Input(shape=input_shape, batch_size=8)
    x = PixelConvLayer(mask_type="A", filters=16, kernel_size=7, activation="relu", padding="same")(inputs)

    for _ in range(n_residual_blocks):
        x = ResidualBlock(filters=16)(x)

    for _ in range(2):
        x = PixelConvLayer(
            mask_type="B",
            filters=16,
            kernel_size=1,
            strides=1,
            activation="relu",
            padding="valid",
        )(x)

    out = keras.layers.Conv2D(filters=1, kernel_size=1, strides=1, activation="sigmoid", padding="valid")(x)

    pixel_cnn = keras.Model(inputs, out)
    sync(pixel_cnn)
    adam = keras.optimizers.Adam(learning_rate=0.0005)
    pixel_cnn.compile(optimizer=adam, loss="binary_crossentropy")

    history = pixel_cnn.fit(x=data, y=data, batch_size=8, epochs=2, validation_split=0.2, shuffle=False, verbose=0)

    # Create an empty array of pixels.
    batch = 4
    pixels = np.zeros(shape=(batch,) + (pixel_cnn.input_shape)[1:])
    batch, rows, cols, channels = pixels.shape
    uniform = (np.sin(np.arange(rows * cols * channels * batch)) * 0.5 + 0.5).reshape(rows, cols, channels, batch)

    # Iterate over the pixels because generation has to be done sequentially pixel by pixel.
    probabilities = []
    for row in range(rows):
        for col in range(cols):
            for channel in range(channels):
                # Feed the whole array and retrieving the pixel value probabilities for the next
                # pixel.
                probs = pixel_cnn.predict(pixels, verbose=0)[:, row, col, channel]
                probabilities.append(probs)
                # Use the probabilities to pick pixel values and append the values to the image
                # frame.
                pixels[:, row, col, channel] = ops.ceil(probs - uniform[row, col, channel].astype("float32"))

    return {"history": history.history, "pixels": pixels, "probabilities": probabilities,
            "params": pixel_cnn.count_params(), "input_shape": pixel_cnn.input_shape,
            "mask_A": pixel_cnn.layers[1].mask, "kernel_A": pixel_cnn.layers[1].conv.kernel,
            "summary": _summary_totals(pixel_cnn)}


def test_pixelcnn():
    check_program(program)
