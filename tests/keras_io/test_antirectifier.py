"""keras.io example "Simple custom layer example: Antirectifier" (examples/keras_recipes/antirectifier.py)."""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers, ops = keras.layers, keras.ops

    class Antirectifier(layers.Layer):
        def __init__(self, initializer="he_normal", **kwargs):
            super().__init__(**kwargs)
            self.initializer = keras.initializers.get(initializer)

        def build(self, input_shape):
            output_dim = input_shape[-1]
            self.kernel = self.add_weight(shape=(output_dim * 2, output_dim), initializer=self.initializer,
                                          name="kernel", trainable=True)

        def call(self, inputs):
            inputs -= ops.mean(inputs, axis=-1, keepdims=True)
            pos = ops.relu(inputs)
            neg = ops.relu(-inputs)
            concatenated = ops.concatenate([pos, neg], axis=-1)
            mixed = ops.matmul(concatenated, self.kernel)
            return mixed

        def get_config(self):
            base_config = super().get_config()
            config = {"initializer": keras.initializers.serialize(self.initializer)}
            return dict(list(base_config.items()) + list(config.items()))

    rng = np.random.RandomState(0)
    x_train = rng.rand(60, 784).astype("float32")
    y_train = rng.randint(0, 10, 60)
    x_test, y_test = x_train[:20], y_train[:20]
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(32),
        Antirectifier(),
        layers.Dense(32),
        Antirectifier(),
        layers.Dropout(0.0),  # the example's 0.5: dropout masks are random, so 0 here
        layers.Dense(10),
    ])
    sync(model)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.RMSprop(), metrics=[keras.metrics.SparseCategoricalAccuracy()])
    history = model.fit(x_train, y_train, batch_size=16, epochs=2, validation_split=0.15, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x_test, y_test, verbose=0),
            "config": model.layers[1].get_config()["initializer"]["class_name"]}


def test_antirectifier():
    check_program(program)
