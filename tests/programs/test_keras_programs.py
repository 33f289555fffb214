"""Whole Keras programs, written once against the API module, give Keras 3's numbers.

Each ``program(keras, sync)`` is ordinary Keras code that takes the API module
(``kerasport`` or real Keras 3 on TensorFlow) and returns what a user looks at:
``history.history``, ``evaluate`` and ``predict`` results, metric names, layer
names, parameter totals. Keras runs first; ``sync(model)`` records its initial
weights there and loads them, in Keras's weight order, into kerasport's model.
Data is unshuffled and training has no randomness, so both runs must agree.
"""
import re

import numpy as np
import pytest

import kerasport
from tests.helpers import MISSING_TF_KERNEL, keras_module, shared_answer
from tests.keras_io.keras_on_torch_program import keras_on_torch_answer, to_numpy_tree


def _data(n=64, features=6, classes=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, features).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1)
    return x, np.minimum(y, classes - 1)


def _summary_totals(model):
    lines = []
    model.summary(print_fn=lambda text, *args, **kwargs: lines.append(text))
    found = re.findall(r"(Total|Trainable|Non-trainable|Optimizer) params: ([\d,]+)", "\n".join(lines))
    return {kind: int(count.replace(",", "")) for kind, count in found}


def _structure(model):
    return {"layers": [layer.name for layer in model.layers], "n_weights": len(model.weights),
            "shapes": [tuple(w.shape) for w in model.weights], "summary": _summary_totals(model)}


# ---------------------------------------------------------------------------------------------- programs


def mlp_categorical_validation_split(keras, sync):
    x, y = _data(80)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(3, activation="softmax")])
    sync(model)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    y1 = keras.utils.to_categorical(y, 3)
    history = model.fit(x, y1, batch_size=16, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    return {"history": history.history, "epochs": history.epoch, "params": history.params,
            "evaluate": model.evaluate(x, y1, verbose=0), "predict": model.predict(x[:5], verbose=0),
            "shapes_io": [model.input_shape, model.output_shape, model.layers[0].output.shape],
            "count_params": model.count_params(), **_structure(model)}


def binary_sigmoid_with_add(keras, sync):
    x, y = _data(64, classes=2)
    model = keras.Sequential()
    model.add(keras.Input(shape=(6,)))
    model.add(keras.layers.Dense(12, activation="relu"))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    sync(model)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.Precision(), keras.metrics.Recall(), keras.metrics.AUC()])
    history = model.fit(x, y, batch_size=8, epochs=2, validation_data=(x[:16], y[:16]), shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x, y, verbose=0, return_dict=True),
            "predict": model.predict(x, batch_size=10, verbose=0), **_structure(model)}


def cnn_batchnorm_evaluate_predict(keras, sync):
    rng = np.random.RandomState(1)
    x = rng.rand(48, 8, 8, 1).astype("float32")
    y = rng.randint(0, 4, 48)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(6, (3, 3), strides=1),
        keras.layers.Activation("relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(4, activation="softmax"),
    ])
    sync(model)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    history = model.fit(x, y, batch_size=12, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x, y, batch_size=16, verbose=0),
            "predict": model.predict(x[:6], verbose=0), "weights": model.get_weights(), **_structure(model)}


def cnn_flatten_dropout_rate_zero(keras, sync):
    rng = np.random.RandomState(2)
    x = rng.rand(32, 10, 10, 3).astype("float32")
    y = keras.utils.to_categorical(rng.randint(0, 2, 32), 2)
    inputs = keras.Input((10, 10, 3))
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="valid")(inputs)
    h = keras.layers.AveragePooling2D(2)(h)
    h = keras.layers.Dropout(0.0)(h)
    h = keras.layers.Flatten()(h)
    outputs = keras.layers.Dense(2, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    sync(model)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3, clipnorm=1.0), loss="categorical_crossentropy",
                  metrics=["accuracy", "categorical_crossentropy"])
    history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x, y, verbose=0), **_structure(model)}


def functional_two_inputs_two_outputs(keras, sync):
    rng = np.random.RandomState(3)
    a, b = rng.randn(40, 5).astype("float32"), rng.randn(40, 5).astype("float32")
    y_cls = (a[:, 0] > b[:, 0]).astype("int64")
    y_reg = (a.sum(1) - b.sum(1))[:, None].astype("float32")
    in_a, in_b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    shared = keras.layers.Dense(8, activation="relu", name="shared")
    h = keras.layers.concatenate([shared(in_a), shared(in_b)])
    tower_in = keras.Input((16,))
    tower = keras.Model(tower_in, keras.layers.Dense(6, activation="tanh")(tower_in), name="tower")
    h = tower(h)
    cls = keras.layers.Dense(2, activation="softmax", name="cls")(h)
    reg = keras.layers.Dense(1, name="reg")(h)
    model = keras.Model(inputs=[in_a, in_b], outputs=[cls, reg])
    sync(model)
    model.compile(optimizer="adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"], "reg": ["mae"]})
    # Equal batches: Keras on TensorFlow averages the per-output losses over batches unweighted.
    history = model.fit([a, b], {"cls": y_cls, "reg": y_reg}, batch_size=8, epochs=2, validation_split=0.2,
                        shuffle=False, verbose=0)
    return {"history": history.history,
            "evaluate": model.evaluate([a, b], [y_cls, y_reg], batch_size=8, verbose=0, return_dict=True),
            "predict": model.predict([a[:4], b[:4]], verbose=0), **_structure(model)}


def functional_dict_inputs_list_losses(keras, sync):
    rng = np.random.RandomState(4)
    x = {"num": rng.randn(32, 3).astype("float32"), "cat": rng.randint(1, 10, (32, 4))}
    y1, y2 = rng.randn(32, 1).astype("float32"), rng.randint(0, 2, (32, 1)).astype("float32")
    num, cat = keras.Input((3,), name="num"), keras.Input((4,), name="cat", dtype="int32")
    e = keras.layers.Flatten()(keras.layers.Embedding(10, 2)(cat))
    h = keras.layers.Dense(8, activation="elu")(keras.layers.Concatenate()([num, e]))
    out1 = keras.layers.Dense(1, name="out1")(h)
    out2 = keras.layers.Dense(1, activation="sigmoid", name="out2")(h)
    model = keras.Model({"num": num, "cat": cat}, [out1, out2])
    sync(model)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=["huber", "binary_crossentropy"], loss_weights=[0.3, 1.0],
                  metrics=[["mse"], ["binary_accuracy"]])
    history = model.fit(x, [y1, y2], batch_size=8, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x, [y1, y2], verbose=0, return_dict=True),
             **_structure(model)}


def _tokens(n=32, length=7, vocab=20, seed=5):
    rng = np.random.RandomState(seed)
    x = np.zeros((n, length), "int64")
    for i in range(n):
        k = rng.randint(2, length + 1)
        x[i, length - k:] = rng.randint(1, vocab, k)
    return x, (x.sum(1) % 2).astype("int64")


def lstm_masked_text_classifier(keras, sync):
    rng = np.random.RandomState(5)
    texts = [list(rng.randint(1, 20, rng.randint(1, 10))) for _ in range(32)]
    x = keras.utils.pad_sequences(texts, maxlen=7, truncating="post")
    y = np.array([len(t) % 2 for t in texts])
    model = keras.Sequential([keras.Input((7,), dtype="int32"), keras.layers.Embedding(20, 8, mask_zero=True),
                              keras.layers.LSTM(6), keras.layers.Dense(1, activation="sigmoid")])
    sync(model)
    model.compile(optimizer=keras.optimizers.SGD(0.5, momentum=0.9), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(x, verbose=0), **_structure(model)}


def bidirectional_gru_stack(keras, sync):
    x, y = _tokens(seed=6)
    model = keras.Sequential([keras.Input((7,)), keras.layers.Embedding(20, 6, mask_zero=True),
                              keras.layers.Bidirectional(keras.layers.GRU(5, return_sequences=True)),
                              keras.layers.SimpleRNN(4), keras.layers.Dense(2, activation="softmax")])
    sync(model)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x, y, verbose=0), **_structure(model)}


def conv1d_text_model(keras, sync):
    x, y = _tokens(seed=7)
    model = keras.Sequential([keras.Input((7,)), keras.layers.Embedding(20, 8),
                              keras.layers.Conv1D(6, 3, activation="relu", padding="causal"),
                              keras.layers.MaxPooling1D(2), keras.layers.Conv1D(4, 2, activation="relu"),
                              keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(1, activation="sigmoid")])
    sync(model)
    model.compile(optimizer=keras.optimizers.SGD(0.1, nesterov=True, momentum=0.5), loss=keras.losses.BinaryCrossentropy(),
                  metrics=[keras.metrics.BinaryAccuracy(name="acc")])
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x, y, verbose=0, return_dict=True),
            **_structure(model)}


def regression_sample_weight(keras, sync):
    rng = np.random.RandomState(8)
    x = rng.randn(48, 4).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], "float32") + 0.1)[:, None]
    sw = rng.rand(48).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu",
                                                                    kernel_regularizer=keras.regularizers.l2(1e-3)),
                              keras.layers.Dense(1)])
    sync(model)
    model.compile(optimizer=keras.optimizers.SGD(0.02, momentum=0.9, clipnorm=1.0), loss="mse",
                  metrics=["mae", keras.metrics.RootMeanSquaredError()], weighted_metrics=["mse"])
    history = model.fit(x, y, sample_weight=sw, batch_size=12, epochs=3, shuffle=False, verbose=0,
                        validation_data=(x[:12], y[:12], sw[:12]))
    return {"history": history.history, "evaluate": model.evaluate(x, y, sample_weight=sw, verbose=0),
            "evaluate_unweighted": model.evaluate(x, y, verbose=0), **_structure(model)}


def class_weight_classifier(keras, sync):
    x, y = _data(60, seed=9)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(10, activation="selu"),
                              keras.layers.Dense(3)])
    sync(model)
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], weighted_metrics=["accuracy"])
    history = model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 5.0}, batch_size=10, epochs=3, shuffle=False,
                        verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x, y, verbose=0, return_dict=True)}


def early_stopping_and_reduce_lr(keras, sync):
    x, y = _data(40, seed=10)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    sync(model)
    model.compile(optimizer=keras.optimizers.Adam(0.3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-3)
    history = model.fit(x[:30], y[:30], validation_data=(x[30:], y[30:]), batch_size=10, epochs=30,
                        shuffle=False, verbose=0, callbacks=[stop, reduce])
    return {"history": history.history, "epochs": history.epoch, "stopped_epoch": stop.stopped_epoch,
            "best": stop.best, "weights": model.get_weights()}


def lr_scheduler_and_exponential_decay(keras, sync):
    x, y = _data(32, seed=11)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="gelu"), keras.layers.Dense(3)])
    sync(model)
    model.compile(optimizer=keras.optimizers.RMSprop(0.01), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    seen = []
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr * 0.5)
    logger = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(sorted(logs)))
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[schedule, logger])

    model2 = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    sync(model2)
    decay = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5, staircase=True)
    optimizer = keras.optimizers.SGD(learning_rate=decay)
    model2.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history2 = model2.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return {"history": history.history, "logs_keys": seen, "history2": history2.history,
            "iterations": int(keras.ops.convert_to_numpy(optimizer.iterations)),
            "lr": float(keras.ops.convert_to_numpy(optimizer.learning_rate))}


def optimizer_zoo(keras, sync):
    x, y = _data(24, seed=12)
    out = {}
    for optimizer in ["adagrad", "nadam", "ftrl", keras.optimizers.AdamW(0.01, weight_decay=0.05, amsgrad=True),
                      keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True, global_clipnorm=0.5),
                      keras.optimizers.Adam(0.01, clipvalue=0.01)]:
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="sigmoid"),
                                  keras.layers.Dense(3)])
        sync(model)
        model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        name = optimizer if isinstance(optimizer, str) else type(optimizer).__name__ + str(len(out))
        out[name] = model.fit(x, y, batch_size=6, shuffle=False, verbose=0).history["loss"]
    return out


def custom_layer_with_ops(keras, sync):
    ops = keras.ops

    class ScaledLinear(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
            self.scale = self.add_weight(shape=(), initializer="ones", trainable=False, name="scale")

        def call(self, inputs):
            return ops.tanh(ops.matmul(inputs, self.w) + self.b) * self.scale

    x, y = _data(40, seed=13)
    inputs = keras.Input((6,))
    h = ScaledLinear(8)(inputs)
    h = keras.layers.Lambda(lambda t: ops.concatenate([t, ops.square(t)], axis=-1))(h)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h))
    sync(model)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "n_trainable": len(model.trainable_weights),
            "n_non_trainable": len(model.non_trainable_weights), **_structure(model)}


def subclassed_model(keras, sync):
    class MLP(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.norm = keras.layers.LayerNormalization()
            self.head = keras.layers.Dense(3)

        def call(self, inputs, training=False):
            return self.head(self.norm(self.hidden(inputs)))

    x, y = _data(40, seed=14)
    model = MLP()
    model(x[:2])
    sync(model)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.2, shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(x[:3], verbose=0),
            "n_weights": len(model.weights), "params": model.count_params()}


def transformer_block(keras, sync):
    rng = np.random.RandomState(15)
    x = rng.randn(24, 5, 8).astype("float32")
    y = (x[:, :, 0].mean(1) > 0).astype("int64")
    inputs = keras.Input((5, 8))
    attn = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(inputs, inputs)
    h = keras.layers.LayerNormalization(epsilon=1e-6)(keras.layers.Add()([inputs, attn]))
    ff = keras.layers.Dense(8)(keras.layers.Dense(16, activation="relu")(h))
    h = keras.layers.LayerNormalization(epsilon=1e-6)(h + ff)
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling1D()(h))
    model = keras.Model(inputs, outputs)
    sync(model)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(x[:2], verbose=0), **_structure(model)}


def on_batch_loops(keras, sync):
    x, y = _data(32, seed=16)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(6, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    sync(model)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    train, test = [], []
    for epoch in range(2):
        model.reset_metrics()
        for i in range(0, 32, 8):
            train.append(model.train_on_batch(x[i:i + 8], y[i:i + 8]))
        test.append(model.test_on_batch(x, y, return_dict=True))
    return {"train": train, "test": test, "predict": model.predict_on_batch(x[:4])}


def seq2seq_timedistributed(keras, sync):
    rng = np.random.RandomState(17)
    x = rng.randn(20, 6, 3).astype("float32")
    y = np.cumsum(x, axis=1)[:, -4:, :2]
    model = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(8), keras.layers.RepeatVector(4),
                              keras.layers.GRU(8, return_sequences=True),
                              keras.layers.TimeDistributed(keras.layers.Dense(2))])
    sync(model)
    model.compile(optimizer="adam", loss="mae", metrics=["mse"])
    history = model.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "evaluate": model.evaluate(x, y, verbose=0), **_structure(model)}


def normalization_adapt_and_regularizers(keras, sync):
    rng = np.random.RandomState(18)
    x = (rng.randn(40, 4) * [1.0, 10.0, 0.1, 3.0] + [0.0, 5.0, -1.0, 2.0]).astype("float32")
    y = (x[:, 1] > 5).astype("float32")
    norm = keras.layers.Normalization()
    norm.adapt(x)
    model = keras.Sequential([keras.Input((4,)), norm,
                              keras.layers.Dense(6, activation="relu", kernel_regularizer="l1",
                                                 bias_regularizer=keras.regularizers.L2(0.01),
                                                 activity_regularizer=keras.regularizers.L1L2(0.001, 0.001)),
                              keras.layers.Dense(1, activation="sigmoid", kernel_initializer="he_normal")])
    sync(model)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "predict": model.predict(x[:3], verbose=0), **_structure(model)}


PROGRAMS = [mlp_categorical_validation_split, binary_sigmoid_with_add, cnn_batchnorm_evaluate_predict,
            cnn_flatten_dropout_rate_zero, functional_two_inputs_two_outputs, functional_dict_inputs_list_losses,
            lstm_masked_text_classifier, bidirectional_gru_stack, conv1d_text_model, regression_sample_weight,
            class_weight_classifier, early_stopping_and_reduce_lr, lr_scheduler_and_exponential_decay,
            optimizer_zoo, custom_layer_with_ops, subclassed_model, transformer_block, on_batch_loops,
            seq2seq_timedistributed, normalization_adapt_and_regularizers]


# ---------------------------------------------------------------------------------------------- harness


def _assert_same(got, want, path="result", rtol=1e-4, atol=1e-5):
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), f"{path}: keys {sorted(got)} != {sorted(want)}"
        for key in want:
            _assert_same(got[key], want[key], f"{path}[{key!r}]", rtol, atol)
    elif want is None or isinstance(want, str):
        assert got == want, f"{path}: {got!r} != {want!r}"
    elif isinstance(want, (list, tuple)) and not all(isinstance(v, (int, float, np.number)) for v in want):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), f"{path}: {got!r} != {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, f"{path}[{i}]", rtol, atol)
    else:
        want = np.asarray(want)
        got = np.asarray(kerasport.ops.convert_to_numpy(got) if kerasport.ops.is_tensor(got) else got)
        assert got.shape == want.shape, f"{path}: shape {got.shape} != {want.shape}"
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=path)


def check_program(program, rtol=1e-4, atol=1e-5):
    """Run ``program`` with Keras 3, then with kerasport on Keras's initial weights; results must agree.

    ``rtol`` / ``atol``: the tolerance of every number; loosen them only where Keras's own numbers move
    that much (e.g. between TensorFlow's oneDNN and Eigen kernels), and say so where it is done.

    Where this machine's TensorFlow kernels cannot run the program under Keras (``MISSING_TF_KERNEL``:
    ``channels_first`` convolutions on Eigen), Keras on its torch backend runs it in a child process
    instead: the reference is computed another way, never skipped. Keras runs the program as with
    ``run_eagerly=True`` (its kernels, without tracing a graph for a few steps), unless the program is marked
    ``keras_traced``. Under ``make test`` Keras's answer is
    computed once per run, by whichever pass needs it first, and shared by every pass (``shared_answer``).
    """
    keras = keras_module()

    def keras_answer():
        import tensorflow as tf
        initial = []
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        # Keras's numbers as with run_eagerly=True: the same kernels, without tracing graphs for a few steps.
        # A program marked ``keras_traced`` needs Keras's traced step (where Keras's two modes differ).
        tf.config.run_functions_eagerly(not getattr(program, "keras_traced", False))
        try:
            want = program(keras, lambda model: initial.append(model.get_weights()))
        except Exception as e:  # noqa: BLE001 (only the missing-kernel errors are caught; the rest are raised)
            if not MISSING_TF_KERNEL.search(str(e)):
                raise
            return keras_on_torch_answer(program)
        finally:
            tf.config.run_functions_eagerly(False)
        return to_numpy_tree(want, keras.ops.convert_to_numpy), initial

    name = f"{program.__module__}.{program.__qualname__}"  # one program per name, unless defined in a function
    # One answer for both kinds of CPU kernels: kerasport on Eigen is held to Keras's oneDNN numbers (or the
    # reverse) at the tolerance that already holds kerasport on torch to them.
    want, initial = shared_answer(None if "<locals>" in name else f"check_program {name}", keras_answer,
                                  kernels=False)
    queue = iter(initial)
    kerasport.backend.clear_session()
    # As Keras's run: the same global seeds (a seeded tf.data ``shuffle`` draws from the global seed too), whether
    # Keras ran just before in this process or its answer was read from the run's shared folder.
    kerasport.utils.set_random_seed(0)
    got = program(kerasport, lambda model: model.set_weights(next(queue)))
    _assert_same(got, want, rtol=rtol, atol=atol)


def program_id(param):
    """A test id for a program or a ``pytest.param`` wrapping one."""
    return getattr(param, "__name__", None) or param.values[0].__name__


@pytest.mark.parametrize("program", PROGRAMS, ids=program_id)
def test_program_gives_keras_numbers(program):
    check_program(program)
