"""keras.io example "Timeseries classification with a Transformer model"
(examples/timeseries/timeseries_classification_transformer.py), synthetic series, dropout 0."""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers = keras.layers
    rng = np.random.RandomState(0)
    x_train = rng.randn(32, 20, 1).astype("float32")
    y_train = (x_train[:, :10, 0].mean(1) > 0).astype("int64")
    n_classes = len(np.unique(y_train))

    def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
        x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(inputs, inputs)
        x = layers.Dropout(dropout)(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
        res = x + inputs
        x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
        x = layers.Dropout(dropout)(x)
        x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
        return x + res

    def build_model(input_shape, head_size, num_heads, ff_dim, num_transformer_blocks, mlp_units, dropout=0,
                    mlp_dropout=0):
        inputs = keras.Input(shape=input_shape)
        x = inputs
        for _ in range(num_transformer_blocks):
            x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)
        x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
        for dim in mlp_units:
            x = layers.Dense(dim, activation="relu")(x)
            x = layers.Dropout(mlp_dropout)(x)
        outputs = layers.Dense(n_classes, activation="softmax")(x)
        return keras.Model(inputs, outputs)

    model = build_model(x_train.shape[1:], head_size=8, num_heads=2, ff_dim=4, num_transformer_blocks=2,
                        mlp_units=[16], mlp_dropout=0.0, dropout=0.0)
    sync(model)
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=1e-4),
                  metrics=["sparse_categorical_accuracy"])
    callbacks = [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]
    history = model.fit(x_train, y_train, validation_split=0.25, epochs=2, batch_size=8, callbacks=callbacks,
                        shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x_train, y_train, verbose=0)}


def test_timeseries_classification_transformer():
    check_program(program)
