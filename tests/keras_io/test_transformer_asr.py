"""keras.io example "Automatic Speech Recognition with Transformer" (examples/audio/transformer_asr.py), both forms.

The example's ``TokenEmbedding`` and ``SpeechFeatureEmbedding`` (three strided ``Conv1D``), ``TransformerEncoder``
and ``TransformerDecoder`` layers (``MultiHeadAttention`` with a causal ``attention_mask`` built from ``range``
comparisons and ``tile``), the ``Transformer`` model (an encoder ``Sequential`` of custom layers, decoder layers set
by ``setattr``, a ``Mean`` loss tracker returned by the ``metrics`` property, custom ``train_step`` / ``test_step``
on dict batches, greedy ``generate``), ``VectorizeChar``, the ``DisplayOutputs`` callback (whose ``__init__`` does
not call ``super().__init__()``), the warm-up / decay ``CustomSchedule`` and label-smoothed
``CategoricalCrossentropy(from_logits=True)`` with a padding mask as ``sample_weight``, trained with validation
data. The TensorFlow form (``tf.GradientTape``, ``tf.data`` of dict batches) runs under
``KERASPORT_BACKEND=tensorflow`` against Keras 3 on TensorFlow; the form a torch user writes (``self.zero_grad()``,
``loss.backward()``, ``optimizer.apply`` under ``torch.no_grad()``, dicts of NumPy arrays to ``fit``) runs under
``KERASPORT_BACKEND=torch`` against Keras 3 on torch in a child process.

Changed, as Keras 3 has it: the example's ``tf.*`` calls in the layers, the schedule and ``generate`` are their
``keras.ops`` equivalents, ``self.compiled_loss(...)`` is ``self.compute_loss(None, ...)``, and the schedule casts
the epoch to float (Keras 3 passes the optimizer's ``int64`` iteration count); the causal mask is tiled by
``[batch_size, 1, 1]`` (Keras 3 on TensorFlow cannot tile by a symbolic tensor of repeats), and
``SpeechFeatureEmbedding``'s ``pos_emb``, never called, is left out (an unbuilt layer makes Keras 3's ``fit`` try to
build the model again, symbolically, which this model's list input cannot). Every dropout rate is 0 (dropout masks
are random), the model is called once on a batch before training so that its weights exist for ``sync``, and
``compute_loss`` once after ``compile`` (see the comment there). Shrunk: LJSpeech (a download, then
``tf.signal.stft`` of each wav) becomes 8 training and 4 validation "spectrograms" of 32 frames x 16 bins of normal
noise with random transcripts of at most 10 characters (``max_target_len=12``); ``num_hid=16``,
``num_feed_forward=32``, 2 encoder layers, ``batch_size=4``, 2 epochs, a schedule over 2 warm-up and 3 decay epochs;
``DisplayOutputs`` keeps its targets and predictions as text.

The TensorFlow form trains with ``SGD`` on the same schedule (scaled by 100) instead of ``Adam``: Keras 3 on
TensorFlow gets the token embedding's gradient as ``tf.IndexedSlices`` and Adam squares it per token occurrence,
where kerasport (deliberately, on both backends) and Keras on torch square the summed gradient (see
``embedding_adam_repeated_tokens`` in ``tests/programs/test_guide_programs.py``). The torch form keeps Adam.
"""
import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program
from tests.programs.test_keras_programs import check_program

max_target_len = 12
num_frames = 32
num_bins = 16
batch_size = 4


class VectorizeChar:
    def __init__(self, max_len=50):
        self.vocab = ["-", "#", "<", ">"] + [chr(i + 96) for i in range(1, 27)] + [" ", ".", ",", "?"]
        self.max_len = max_len
        self.char_to_idx = {}
        for i, ch in enumerate(self.vocab):
            self.char_to_idx[ch] = i

    def __call__(self, text):
        text = text.lower()
        text = text[: self.max_len - 2]
        text = "<" + text + ">"
        pad_len = self.max_len - len(text)
        return [self.char_to_idx.get(ch, 1) for ch in text] + [0] * pad_len

    def get_vocabulary(self):
        return self.vocab


def _data(vectorizer, n, seed):
    rng = np.random.RandomState(seed)
    letters = "abcdefghij klmnop,.?!"
    texts = ["".join(rng.choice(list(letters), rng.randint(3, 11))) for _ in range(n)]
    source = rng.randn(n, num_frames, num_bins).astype("float32")
    target = np.array([vectorizer(t) for t in texts], dtype="int32")
    return {"source": source, "target": target}


def _pieces(keras):
    layers, ops = keras.layers, keras.ops

    class TokenEmbedding(layers.Layer):
        def __init__(self, num_vocab=1000, maxlen=100, num_hid=64):
            super().__init__()
            self.emb = keras.layers.Embedding(num_vocab, num_hid)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=num_hid)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            x = self.emb(x)
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            return x + positions

    class SpeechFeatureEmbedding(layers.Layer):
        def __init__(self, num_hid=64, maxlen=100):
            super().__init__()
            self.conv1 = keras.layers.Conv1D(num_hid, 11, strides=2, padding="same", activation="relu")
            self.conv2 = keras.layers.Conv1D(num_hid, 11, strides=2, padding="same", activation="relu")
            self.conv3 = keras.layers.Conv1D(num_hid, 11, strides=2, padding="same", activation="relu")

        def call(self, x):
            x = self.conv1(x)
            x = self.conv2(x)
            return self.conv3(x)

    class TransformerEncoder(layers.Layer):
        def __init__(self, embed_dim, num_heads, feed_forward_dim, rate=0.0):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential(
                [
                    layers.Dense(feed_forward_dim, activation="relu"),
                    layers.Dense(embed_dim),
                ]
            )
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs, training=False):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output, training=training)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output, training=training)
            return self.layernorm2(out1 + ffn_output)

    class TransformerDecoder(layers.Layer):
        def __init__(self, embed_dim, num_heads, feed_forward_dim, dropout_rate=0.0):
            super().__init__()
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm3 = layers.LayerNormalization(epsilon=1e-6)
            self.self_att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.enc_att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.self_dropout = layers.Dropout(dropout_rate)
            self.enc_dropout = layers.Dropout(dropout_rate)
            self.ffn_dropout = layers.Dropout(dropout_rate)
            self.ffn = keras.Sequential(
                [
                    layers.Dense(feed_forward_dim, activation="relu"),
                    layers.Dense(embed_dim),
                ]
            )

        def causal_attention_mask(self, batch_size, n_dest, n_src, dtype):
            """Masks the upper half of the dot product matrix in self attention."""
            i = ops.arange(n_dest)[:, None]
            j = ops.arange(n_src)
            m = i >= j - n_src + n_dest
            mask = ops.cast(m, dtype)
            mask = ops.reshape(mask, [1, n_dest, n_src])
            return ops.tile(mask, [batch_size, 1, 1])

        def call(self, enc_out, target):
            input_shape = ops.shape(target)
            batch_size = input_shape[0]
            seq_len = input_shape[1]
            causal_mask = self.causal_attention_mask(batch_size, seq_len, seq_len, "bool")
            target_att = self.self_att(target, target, attention_mask=causal_mask)
            target_norm = self.layernorm1(target + self.self_dropout(target_att))
            enc_out = self.enc_att(target_norm, enc_out)
            enc_out_norm = self.layernorm2(self.enc_dropout(enc_out) + target_norm)
            ffn_out = self.ffn(enc_out_norm)
            ffn_out_norm = self.layernorm3(enc_out_norm + self.ffn_dropout(ffn_out))
            return ffn_out_norm

    class TransformerBase(keras.Model):
        """The example's ``Transformer`` but its ``train_step``, which each form writes its own way."""

        def __init__(self, num_hid=64, num_head=2, num_feed_forward=128, source_maxlen=100, target_maxlen=100,
                     num_layers_enc=4, num_layers_dec=1, num_classes=10):
            super().__init__()
            self.loss_metric = keras.metrics.Mean(name="loss")
            self.num_layers_enc = num_layers_enc
            self.num_layers_dec = num_layers_dec
            self.target_maxlen = target_maxlen
            self.num_classes = num_classes

            self.enc_input = SpeechFeatureEmbedding(num_hid=num_hid, maxlen=source_maxlen)
            self.dec_input = TokenEmbedding(num_vocab=num_classes, maxlen=target_maxlen, num_hid=num_hid)

            self.encoder = keras.Sequential(
                [self.enc_input]
                + [TransformerEncoder(num_hid, num_head, num_feed_forward) for _ in range(num_layers_enc)]
            )

            for i in range(num_layers_dec):
                setattr(self, f"dec_layer_{i}", TransformerDecoder(num_hid, num_head, num_feed_forward))

            self.classifier = layers.Dense(num_classes)

        def decode(self, enc_out, target):
            y = self.dec_input(target)
            for i in range(self.num_layers_dec):
                y = getattr(self, f"dec_layer_{i}")(enc_out, y)
            return y

        def call(self, inputs):
            source = inputs[0]
            target = inputs[1]
            x = self.encoder(source)
            y = self.decode(x, target)
            return self.classifier(y)

        @property
        def metrics(self):
            return [self.loss_metric]

        def test_step(self, batch):
            if isinstance(batch, tuple):
                batch = batch[0]
            source = batch["source"]
            target = batch["target"]
            dec_input = target[:, :-1]
            dec_target = target[:, 1:]
            preds = self([source, dec_input])
            one_hot = ops.one_hot(dec_target, self.num_classes)
            mask = ops.logical_not(ops.equal(dec_target, 0))
            loss = self.compute_loss(None, one_hot, preds, sample_weight=mask)
            self.loss_metric.update_state(loss)
            return {"loss": self.loss_metric.result()}

        def generate(self, source, target_start_token_idx):
            """Performs inference over one batch of inputs using greedy decoding."""
            bs = ops.shape(source)[0]
            enc = self.encoder(source)
            dec_input = ops.ones((bs, 1), dtype="int32") * target_start_token_idx
            dec_logits = []
            for i in range(self.target_maxlen - 1):
                dec_out = self.decode(enc, dec_input)
                logits = self.classifier(dec_out)
                logits = ops.cast(ops.argmax(logits, axis=-1), "int32")
                last_logit = ops.expand_dims(logits[:, -1], axis=-1)
                dec_logits.append(last_logit)
                dec_input = ops.concatenate([dec_input, last_logit], axis=-1)
            return dec_input

    return TransformerBase


def _train(keras, Transformer, sync, fit_data, adam):
    ops = keras.ops
    vectorizer = VectorizeChar(max_target_len)
    train, val = _data(vectorizer, 8, 0), _data(vectorizer, 4, 1)

    class DisplayOutputs(keras.callbacks.Callback):
        def __init__(self, batch, idx_to_token, target_start_token_idx=27, target_end_token_idx=28):
            """Displays a batch of outputs after every epoch (here: keeps them)."""
            self.batch = batch
            self.target_start_token_idx = target_start_token_idx
            self.target_end_token_idx = target_end_token_idx
            self.idx_to_char = idx_to_token
            self.shown = []

        def on_epoch_end(self, epoch, logs=None):
            if epoch % 5 != 0:
                return
            source = self.batch["source"]
            target = self.batch["target"]
            bs = ops.shape(source)[0]
            preds = self.model.generate(source, self.target_start_token_idx)
            preds = ops.convert_to_numpy(preds)
            for i in range(bs):
                target_text = "".join([self.idx_to_char[_] for _ in target[i, :]])
                prediction = ""
                for idx in preds[i, :]:
                    prediction += self.idx_to_char[idx]
                    if idx == self.target_end_token_idx:
                        break
                self.shown.append((f"target:     {target_text.replace('-', '')}", f"prediction: {prediction}"))

    class CustomSchedule(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, init_lr=0.00001, lr_after_warmup=0.001, final_lr=0.00001, warmup_epochs=15,
                     decay_epochs=85, steps_per_epoch=203):
            super().__init__()
            self.init_lr = init_lr
            self.lr_after_warmup = lr_after_warmup
            self.final_lr = final_lr
            self.warmup_epochs = warmup_epochs
            self.decay_epochs = decay_epochs
            self.steps_per_epoch = steps_per_epoch

        def calculate_lr(self, epoch):
            """linear warm up - linear decay"""
            warmup_lr = self.init_lr + ((self.lr_after_warmup - self.init_lr) / (self.warmup_epochs - 1)) * epoch
            decay_lr = ops.maximum(
                self.final_lr,
                self.lr_after_warmup
                - (epoch - self.warmup_epochs) * (self.lr_after_warmup - self.final_lr) / (self.decay_epochs),
            )
            return ops.minimum(warmup_lr, decay_lr)

        def __call__(self, step):
            epoch = ops.cast(step // self.steps_per_epoch, "float32")
            return self.calculate_lr(epoch)

    batch = {"source": val["source"][:batch_size], "target": val["target"][:batch_size]}
    idx_to_char = vectorizer.get_vocabulary()
    display_cb = DisplayOutputs(batch, idx_to_char, target_start_token_idx=2, target_end_token_idx=3)

    model = Transformer(num_hid=16, num_head=2, num_feed_forward=32, target_maxlen=max_target_len,
                        num_layers_enc=2, num_layers_dec=1, num_classes=34)
    model([train["source"][:1], train["target"][:1, :-1]])
    sync(model)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    if adam:
        learning_rate = CustomSchedule(init_lr=0.00001, lr_after_warmup=0.001, final_lr=0.00001, warmup_epochs=2,
                                       decay_epochs=3, steps_per_epoch=len(train["source"]) // batch_size)
        optimizer = keras.optimizers.Adam(learning_rate)
    else:  # SGD takes larger steps than Adam
        learning_rate = CustomSchedule(init_lr=0.001, lr_after_warmup=0.1, final_lr=0.001, warmup_epochs=2,
                                       decay_epochs=3, steps_per_epoch=len(train["source"]) // batch_size)
        optimizer = keras.optimizers.SGD(learning_rate)
    model.compile(optimizer=optimizer, loss=loss_fn)
    # Keras 3 on torch builds an unbuilt compiled loss in fit by calling the model on a dict batch, which this
    # model's list input cannot take: one compute_loss on the first sample builds it first.
    dec_target = train["target"][:1, 1:]
    model.compute_loss(None, ops.one_hot(dec_target, 34), model([train["source"][:1], train["target"][:1, :-1]]))
    history = model.fit(**fit_data(train, val), callbacks=[display_cb], epochs=2, verbose=0)
    return {"history": history.history, "shown": display_cb.shown,
            "generated": model.generate(batch["source"], 2), "lr": [learning_rate(step) for step in range(0, 12, 2)],
            "weights": model.get_weights()}


def transformer_asr_tensorflow(keras, sync):
    import tensorflow as tf

    ops = keras.ops

    class Transformer(_pieces(keras)):
        def train_step(self, batch):
            """Processes one batch inside model.fit()."""
            source = batch["source"]
            target = batch["target"]
            dec_input = target[:, :-1]
            dec_target = target[:, 1:]
            with tf.GradientTape() as tape:
                preds = self([source, dec_input])
                one_hot = ops.one_hot(dec_target, self.num_classes)
                mask = ops.logical_not(ops.equal(dec_target, 0))
                loss = self.compute_loss(None, one_hot, preds, sample_weight=mask)
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)
            self.optimizer.apply_gradients(zip(gradients, trainable_vars))
            self.loss_metric.update_state(loss)
            return {"loss": self.loss_metric.result()}

    def fit_data(train, val):
        ds = tf.data.Dataset.from_tensor_slices(train).batch(batch_size)
        val_ds = tf.data.Dataset.from_tensor_slices(val).batch(batch_size)
        return {"x": ds, "validation_data": val_ds}

    return _train(keras, Transformer, sync, fit_data, adam=False)


def transformer_asr_torch(keras, sync):
    import torch

    ops = keras.ops

    class Transformer(_pieces(keras)):
        def train_step(self, batch):
            """Processes one batch inside model.fit()."""
            if isinstance(batch, tuple):
                batch = batch[0]
            source = batch["source"]
            target = batch["target"]
            dec_input = target[:, :-1]
            dec_target = target[:, 1:]
            self.zero_grad()
            preds = self([source, dec_input])
            one_hot = ops.one_hot(dec_target, self.num_classes)
            mask = ops.logical_not(ops.equal(dec_target, 0))
            loss = self.compute_loss(None, one_hot, preds, sample_weight=mask)
            loss.backward()
            trainable_vars = self.trainable_variables
            gradients = [v.value.grad for v in trainable_vars]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_vars)
            self.loss_metric.update_state(loss)
            return {"loss": self.loss_metric.result()}

    def fit_data(train, val):
        return {"x": train, "batch_size": batch_size, "shuffle": False, "validation_data": (val,)}

    return _train(keras, Transformer, sync, fit_data, adam=True)


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the TensorFlow form of the example (tf.GradientTape, tf.data) runs under TensorFlow only")
def test_transformer_asr_tensorflow_form():
    check_program(transformer_asr_tensorflow)


@pytest.mark.skipif(kerasport.backend.backend() != "torch",
                    reason="the torch form of the example (loss.backward()) runs under torch only")
def test_transformer_asr_torch_form():
    check_torch_program(transformer_asr_torch, [transformer_asr_torch])
