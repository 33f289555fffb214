"""keras.io guide "Writing your own callbacks" (guides/writing_your_own_callbacks.py), with small data.

The callbacks record what the guide prints (method calls, loss and mean-absolute-error logs), and
``EarlyStoppingAtMinLoss`` / ``CustomLearningRateScheduler`` steer training as in the guide.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    printed = []

    def get_model():
        model = keras.Sequential()
        model.add(keras.layers.Dense(1))
        model.build((None, 784))
        sync(model)
        model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss="mean_squared_error",
                      metrics=["mean_absolute_error"])
        return model

    rng = np.random.RandomState(0)
    x_train = rng.rand(64, 784).astype("float32")
    y_train = rng.rand(64).astype("float32") * 9
    x_test, y_test = x_train[:32], y_train[:32]

    class CustomCallback(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            printed.append(("Starting training; got log keys", sorted(logs or {})))

        def on_train_end(self, logs=None):
            printed.append(("Stop training; got log keys", sorted(logs or {})))

        def on_epoch_begin(self, epoch, logs=None):
            printed.append(("Start epoch", epoch, sorted(logs or {})))

        def on_epoch_end(self, epoch, logs=None):
            printed.append(("End epoch", epoch, sorted(logs)))

        def on_test_begin(self, logs=None):
            printed.append(("Start testing", sorted(logs or {})))

        def on_test_end(self, logs=None):
            printed.append(("Stop testing", sorted(logs)))

        def on_predict_begin(self, logs=None):
            printed.append(("Start predicting", sorted(logs or {})))

        def on_predict_end(self, logs=None):
            printed.append(("Stop predicting", sorted(logs or {})))

        def on_train_batch_begin(self, batch, logs=None):
            printed.append(("Training: start of batch", batch))

        def on_train_batch_end(self, batch, logs=None):
            printed.append(("Training: end of batch", batch, sorted(logs)))

        def on_test_batch_begin(self, batch, logs=None):
            printed.append(("Evaluating: start of batch", batch))

        def on_test_batch_end(self, batch, logs=None):
            printed.append(("Evaluating: end of batch", batch, sorted(logs)))

    model = get_model()
    model.fit(x_train, y_train, batch_size=16, epochs=1, verbose=0, validation_split=0.5, shuffle=False,
              callbacks=[CustomCallback()])
    res = model.evaluate(x_test, y_test, batch_size=16, verbose=0, callbacks=[CustomCallback()])
    model.predict(x_test, batch_size=16, callbacks=[CustomCallback()], verbose=0)

    class LossAndErrorPrintingCallback(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            printed.append(("Up to batch", batch, "the average loss is", logs["loss"]))

        def on_test_batch_end(self, batch, logs=None):
            printed.append(("Up to batch", batch, "the average loss is", logs["loss"]))

        def on_epoch_end(self, epoch, logs=None):
            printed.append(("The average loss for epoch", epoch, logs["loss"], logs["mean_absolute_error"]))

    model = get_model()
    model.fit(x_train, y_train, batch_size=16, epochs=2, verbose=0, shuffle=False,
              callbacks=[LossAndErrorPrintingCallback()])
    res2 = model.evaluate(x_test, y_test, batch_size=16, verbose=0, callbacks=[LossAndErrorPrintingCallback()])

    class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
        def __init__(self, patience=0):
            super().__init__()
            self.patience = patience
            self.best_weights = None

        def on_train_begin(self, logs=None):
            self.wait = 0
            self.stopped_epoch = 0
            self.best = np.inf

        def on_epoch_end(self, epoch, logs=None):
            current = logs.get("loss")
            if np.less(current, self.best):
                self.best = current
                self.wait = 0
                self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch = epoch
                    self.model.stop_training = True
                    printed.append(("Restoring model weights from the end of the best epoch.",))
                    self.model.set_weights(self.best_weights)

        def on_train_end(self, logs=None):
            if self.stopped_epoch > 0:
                printed.append(("Epoch", self.stopped_epoch + 1, "early stopping"))

    model = get_model()
    history = model.fit(x_train, y_train, batch_size=64, epochs=30, verbose=0, shuffle=False,
                        callbacks=[LossAndErrorPrintingCallback(), EarlyStoppingAtMinLoss()])

    class CustomLearningRateScheduler(keras.callbacks.Callback):
        def __init__(self, schedule):
            super().__init__()
            self.schedule = schedule

        def on_epoch_begin(self, epoch, logs=None):
            if not hasattr(self.model.optimizer, "learning_rate"):
                raise ValueError('Optimizer must have a "learning_rate" attribute.')
            lr = self.model.optimizer.learning_rate
            scheduled_lr = self.schedule(epoch, lr)
            self.model.optimizer.learning_rate = scheduled_lr
            printed.append(("Epoch", epoch, "Learning rate is", float(np.array(scheduled_lr))))

    LR_SCHEDULE = [(3, 0.05), (6, 0.01), (9, 0.005), (12, 0.001)]

    def lr_schedule(epoch, lr):
        if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
            return lr
        for i in range(len(LR_SCHEDULE)):
            if epoch == LR_SCHEDULE[i][0]:
                return LR_SCHEDULE[i][1]
        return lr

    model = get_model()
    history2 = model.fit(x_train, y_train, batch_size=64, epochs=8, verbose=0, shuffle=False,
                         callbacks=[LossAndErrorPrintingCallback(), CustomLearningRateScheduler(lr_schedule)])
    return {"printed": printed, "res": res, "res2": res2, "history": history.history, "history2": history2.history}


def test_writing_your_own_callbacks():
    check_program(program)
