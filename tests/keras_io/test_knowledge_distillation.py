"""keras.io example "Knowledge Distillation" (examples/vision/knowledge_distillation.py), small synthetic images.

The ``Distiller`` model overrides ``compile`` and ``compute_loss`` (student loss plus the KL
divergence of temperature-softened teacher and student outputs), as in the Keras 3 example.
"""
import numpy as np
import pytest

from tests.programs.test_keras_programs import check_program


def program(keras, sync):
    layers, ops = keras.layers, keras.ops

    class Distiller(keras.Model):
        def __init__(self, student, teacher):
            super().__init__()
            self.teacher = teacher
            self.student = student

        def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1, temperature=3):
            super().compile(optimizer=optimizer, metrics=metrics)
            self.student_loss_fn = student_loss_fn
            self.distillation_loss_fn = distillation_loss_fn
            self.alpha = alpha
            self.temperature = temperature

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
            teacher_pred = self.teacher(x, training=False)
            student_loss = self.student_loss_fn(y, y_pred)
            distillation_loss = self.distillation_loss_fn(
                ops.softmax(teacher_pred / self.temperature, axis=1),
                ops.softmax(y_pred / self.temperature, axis=1),
            ) * (self.temperature**2)
            loss = self.alpha * student_loss + (1 - self.alpha) * distillation_loss
            return loss

        def call(self, x):
            return self.student(x)

    teacher = keras.Sequential([keras.Input(shape=(28, 28, 1)),
                                layers.Conv2D(8, (3, 3), strides=(2, 2), padding="same"),
                                layers.LeakyReLU(negative_slope=0.2),
                                layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
                                layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
                                layers.Flatten(), layers.Dense(10)], name="teacher")
    student = keras.Sequential([keras.Input(shape=(28, 28, 1)),
                                layers.Conv2D(4, (3, 3), strides=(2, 2), padding="same"),
                                layers.LeakyReLU(negative_slope=0.2),
                                layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
                                layers.Conv2D(8, (3, 3), strides=(2, 2), padding="same"),
                                layers.Flatten(), layers.Dense(10)], name="student")
    sync(teacher)
    sync(student)
    rng = np.random.RandomState(0)
    x_train = rng.rand(32, 28, 28, 1).astype("float32")
    y_train = rng.randint(0, 10, 32)
    teacher.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=[keras.metrics.SparseCategoricalAccuracy()])
    teacher_history = teacher.fit(x_train, y_train, epochs=1, batch_size=8, shuffle=False, verbose=0)
    teacher_eval = teacher.evaluate(x_train, y_train, verbose=0)
    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(optimizer=keras.optimizers.Adam(), metrics=[keras.metrics.SparseCategoricalAccuracy()],
                      student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      distillation_loss_fn=keras.losses.KLDivergence(), alpha=0.1, temperature=10)
    history = distiller.fit(x_train, y_train, epochs=2, batch_size=8, shuffle=False, verbose=0)
    return {"teacher": teacher_history.history, "teacher_eval": teacher_eval, "distiller": history.history,
            "evaluate": distiller.evaluate(x_train, y_train, verbose=0)}


def test_knowledge_distillation():
    check_program(program)
