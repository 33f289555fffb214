"""keras.io example "CTC ASR" (examples/audio/ctc_asr.py): a DeepSpeech2-like model trained with a CTC loss.

The example's ``StringLookup`` both ways over its character set (``oov_token=""``), its ``CTCLoss`` function as a
compiled loss (input and label lengths from the tensors' shapes), ``build_model`` (``Reshape`` to a 2D map, two
strided ``Conv2D`` with ``BatchNormalization`` and ``ReLU``, a ``Reshape`` back to frames, ``Bidirectional(GRU(...,
reset_after=True))`` layers, ``Dense`` and a softmax classifier, Adam) compiled inside the builder,
``decode_batch_predictions`` (greedy CTC decoding, then the characters joined), the ``CallbackEval`` callback
(``predict`` per validation batch, a word error rate) and ``fit`` with validation data, then the inference loop.
The program is backend-neutral and runs on both backends against Keras 3 on TensorFlow.

Changed, as Keras 3 has it: ``keras.backend.ctc_batch_cost`` (gone in Keras 3) is ``keras.ops.ctc_loss`` on
``log(y_pred + 1e-7)`` with the blank at the last class, which is what ``ctc_batch_cost`` computed, and
``keras.backend.ctc_decode(..., greedy=True)`` is ``keras.ops.ctc_decode(..., strategy="greedy")`` with that blank
as its ``mask_index``; ``tf.strings.reduce_join`` of the characters is a Python ``join``. ``jiwer.wer`` (not
installed) is a word-level edit distance written out. The dropout rates (0.5) are 0 (their masks are random), and
the printed samples of ``np.random.randint`` indices are every sample. Shrunk: LJSpeech (a download, read and
turned into spectrograms by ``tf.signal.stft`` in a ``tf.data`` pipeline) becomes 8 training and 4 validation
"spectrograms" of 20 frames x 16 bins of normal noise, with random 2- to 4-character transcripts padded with 0 as
``padded_batch`` pads them; 4 and 4 conv filters (not 32), 2 recurrent layers of 8 units (not 5 of 512),
``batch_size=4``, 2 epochs.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

input_dim = 16
num_frames = 20
batch_size = 4
max_label_len = 4


def wer(targets, predictions):
    """The word error rate of ``predictions`` against ``targets``, as ``jiwer.wer`` computes it."""
    errors = words = 0
    for target, prediction in zip(targets, predictions):
        t, p = target.split(), prediction.split()
        row = list(range(len(p) + 1))
        for i in range(1, len(t) + 1):
            previous, row[0] = row[0], i
            for j in range(1, len(p) + 1):
                previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (t[i - 1] != p[j - 1]))
        errors += row[-1]
        words += len(t)
    return errors / words


def ctc_asr(keras, sync):
    layers, ops = keras.layers, keras.ops

    # The set of characters accepted in the transcription.
    characters = [x for x in "abcdefghijklmnopqrstuvwxyz'?! "]
    # Mapping characters to integers
    char_to_num = keras.layers.StringLookup(vocabulary=characters, oov_token="")
    # Mapping integers back to original characters
    num_to_char = keras.layers.StringLookup(vocabulary=char_to_num.get_vocabulary(), oov_token="", invert=True)
    blank = char_to_num.vocabulary_size()  # the last of the model's output_dim + 1 classes, as ctc_batch_cost has it

    def join_chars(chars):
        return "".join(c.decode("utf-8") if isinstance(c, bytes) else str(c) for c in ops.convert_to_numpy(chars))

    def dataset(n, seed):
        rng = np.random.RandomState(seed)
        spectrograms = rng.randn(n, num_frames, input_dim).astype("float32")
        labels = np.zeros((n, max_label_len), "int64")
        for i in range(n):
            text = "".join(rng.choice(list("abc de!"), rng.randint(2, max_label_len + 1)))
            label = ops.convert_to_numpy(char_to_num(np.array(list(text))))
            labels[i, :len(label)] = label
        return [(spectrograms[i:i + batch_size], labels[i:i + batch_size]) for i in range(0, n, batch_size)]

    train_batches, validation_batches = dataset(8, 0), dataset(4, 1)

    def CTCLoss(y_true, y_pred):
        # Compute the training-time loss value
        batch_len = ops.cast(ops.shape(y_true)[0], dtype="int64")
        input_length = ops.cast(ops.shape(y_pred)[1], dtype="int64")
        label_length = ops.cast(ops.shape(y_true)[1], dtype="int64")

        input_length = input_length * ops.ones(shape=(batch_len,), dtype="int64")
        label_length = label_length * ops.ones(shape=(batch_len,), dtype="int64")

        loss = ops.ctc_loss(ops.cast(y_true, "int32"), ops.log(y_pred + 1e-7), label_length, input_length,
                            mask_index=blank)
        return loss

    def build_model(input_dim, output_dim, rnn_layers=5, rnn_units=128):
        """Model similar to DeepSpeech2."""
        # Model's input
        input_spectrogram = layers.Input((None, input_dim), name="input")
        # Expand the dimension to use 2D CNN.
        x = layers.Reshape((-1, input_dim, 1), name="expand_dim")(input_spectrogram)
        # Convolution layer 1
        x = layers.Conv2D(filters=4, kernel_size=[11, 41], strides=[2, 2], padding="same", use_bias=False,
                          name="conv_1")(x)
        x = layers.BatchNormalization(name="conv_1_bn")(x)
        x = layers.ReLU(name="conv_1_relu")(x)
        # Convolution layer 2
        x = layers.Conv2D(filters=4, kernel_size=[11, 21], strides=[1, 2], padding="same", use_bias=False,
                          name="conv_2")(x)
        x = layers.BatchNormalization(name="conv_2_bn")(x)
        x = layers.ReLU(name="conv_2_relu")(x)
        # Reshape the resulted volume to feed the RNNs layers
        x = layers.Reshape((-1, x.shape[-2] * x.shape[-1]))(x)
        # RNN layers
        for i in range(1, rnn_layers + 1):
            recurrent = layers.GRU(units=rnn_units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                                   return_sequences=True, reset_after=True, name=f"gru_{i}")
            x = layers.Bidirectional(recurrent, name=f"bidirectional_{i}", merge_mode="concat")(x)
            if i < rnn_layers:
                x = layers.Dropout(rate=0.0)(x)
        # Dense layer
        x = layers.Dense(units=rnn_units * 2, name="dense_1")(x)
        x = layers.ReLU(name="dense_1_relu")(x)
        x = layers.Dropout(rate=0.0)(x)
        # Classification layer
        output = layers.Dense(units=output_dim + 1, activation="softmax")(x)
        # Model
        model = keras.Model(input_spectrogram, output, name="DeepSpeech_2")
        sync(model)
        # Optimizer
        opt = keras.optimizers.Adam(learning_rate=1e-4)
        # Compile the model and return
        model.compile(optimizer=opt, loss=CTCLoss)
        return model

    model = build_model(input_dim=input_dim, output_dim=char_to_num.vocabulary_size(), rnn_layers=2, rnn_units=8)

    # A utility function to decode the output of the network
    def decode_batch_predictions(pred):
        input_len = np.ones(pred.shape[0]) * pred.shape[1]
        # Use greedy search. For complex tasks, you can use beam search
        results = ops.ctc_decode(pred, sequence_lengths=input_len, strategy="greedy", mask_index=blank)[0][0]
        # Iterate over the results and get back the text
        output_text = []
        for result in results:
            result = join_chars(num_to_char(result))
            output_text.append(result)
        return output_text

    def evaluate_transcriptions(batches):
        predictions = []
        targets = []
        for batch in batches:
            X, y = batch
            batch_predictions = model.predict(X, verbose=0)
            batch_predictions = decode_batch_predictions(batch_predictions)
            predictions.extend(batch_predictions)
            for label in y:
                label = join_chars(num_to_char(label))
                targets.append(label)
        return wer(targets, predictions), list(zip(targets, predictions))

    # A callback class to output a few transcriptions during training
    class CallbackEval(keras.callbacks.Callback):
        """Displays a batch of outputs after every epoch (here: keeps them)."""

        def __init__(self, dataset):
            super().__init__()
            self.dataset = dataset
            self.shown = []

        def on_epoch_end(self, epoch: int, logs=None):
            self.shown.append(evaluate_transcriptions(self.dataset))

    validation_callback = CallbackEval(validation_batches)
    train_x = np.concatenate([x for x, _ in train_batches])
    train_y = np.concatenate([y for _, y in train_batches])
    val_x = np.concatenate([x for x, _ in validation_batches])
    val_y = np.concatenate([y for _, y in validation_batches])
    history = model.fit(train_x, train_y, batch_size=batch_size, validation_data=(val_x, val_y), epochs=2,
                        callbacks=[validation_callback], shuffle=False, verbose=0)
    wer_score, samples = evaluate_transcriptions(validation_batches)
    return {"history": history.history, "callback": validation_callback.shown, "wer": wer_score,
            "samples": samples, "predict": model.predict(val_x, verbose=0), "params": model.count_params()}


def test_ctc_asr():
    check_program(ctc_asr)
