"""``Distiller``: a model that trains a student on its labels and on a frozen teacher, as Keras's does."""
from kerasport import metrics, ops, tree
from kerasport.core.serialization import serialize_keras_object
from kerasport.distillation.distillation_loss import loss_function
from kerasport.layers.layer import Layer
from kerasport.models import Functional, Model, Sequential


class Distiller(Model):
    """Knowledge distillation: trains ``student`` to fit the labels and to imitate a frozen ``teacher``.

    The loss of a batch is ``student_loss_weight * student_loss + (1 -
    student_loss_weight) * sum_i(weight_i * distillation_loss_i)``, where the
    student loss is the compiled ``loss`` on the student's predictions and each
    distillation loss compares teacher and student outputs, or the outputs of
    the layers a ``FeatureDistillation`` names (one extra forward pass of each
    model computes them all). ``fit`` also reports ``student_loss``,
    ``distillation_loss`` and ``total_loss``; calling the distiller calls the
    student.

    Args:
        teacher: a trained ``Model``; it is frozen (``trainable = False``).
        student: the ``Model`` to train (``distiller.student`` after training).
        distillation_losses: a ``DistillationLoss`` or a list of them.
        distillation_loss_weights: one weight per distillation loss (all 1.0 by default).
        student_loss_weight: weight of the student's own loss, in ``[0, 1]`` (0.5).
        name: the model's name (``"distiller"``).
        **kwargs: the other arguments of ``Model``.

    Example:

    ```python
    distiller = Distiller(teacher, student, LogitsDistillation(temperature=3.0))
    distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    distiller.fit(x_train, y_train, epochs=10)
    ```
    """

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        self._validate_models(teacher, student)
        self.teacher = teacher
        self.student = student
        if not isinstance(student_loss_weight, (int, float)) or isinstance(student_loss_weight, bool):
            raise ValueError(f"student_loss_weight must be a number, got {type(student_loss_weight)}")
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}")
        self.student_loss_weight = student_loss_weight
        if distillation_losses is None:
            raise ValueError("'distillation_losses' cannot be `None`. Provide a distillation loss (e.g., "
                             "LogitsDistillation or FeatureDistillation) or a list of distillation losses.")
        if not isinstance(distillation_losses, (list, tuple)):
            self.distillation_losses, self.distillation_loss_weights = [distillation_losses], [1.0]
        else:
            if distillation_loss_weights is not None and len(distillation_loss_weights) != len(distillation_losses):
                raise ValueError(f"Number of distillation_loss_weights ({len(distillation_loss_weights)}) must "
                                 f"match number of distillation_losses ({len(distillation_losses)})")
            self.distillation_losses = list(distillation_losses)
            self.distillation_loss_weights = list(distillation_loss_weights) if distillation_loss_weights \
                is not None else [1.0] * len(distillation_losses)
        for distillation_loss in self.distillation_losses:
            distillation_loss.validate_model_compatibility(teacher, student)
        self._teacher_feature_extractor = self._feature_extractor(teacher, "teacher_layer_name")
        self._student_feature_extractor = self._feature_extractor(student, "student_layer_name")
        self.teacher.trainable = False
        self.student_loss_tracker = metrics.Mean(name="student_loss")
        self.distillation_loss_tracker = metrics.Mean(name="distillation_loss")
        self.total_loss_tracker = metrics.Mean(name="total_loss")

    # ------------------------------------------------------------------ checks
    @staticmethod
    def _validate_models(teacher, student):
        for role, model in (("Teacher", teacher), ("Student", student)):
            if not isinstance(model, Model):
                raise ValueError(f"{role} must be a keras.Model, got {type(model)}")
        if getattr(teacher, "inputs", None) is None or getattr(student, "inputs", None) is None:
            return
        for kind in ("input", "output"):
            teacher_tensors, student_tensors = tree.flatten(getattr(teacher, kind + "s")), \
                tree.flatten(getattr(student, kind + "s"))
            if len(teacher_tensors) != len(student_tensors):
                raise ValueError(f"Teacher and student must have the same number of {kind}s. Teacher: "
                                 f"{len(teacher_tensors)}, Student: {len(student_tensors)}.")
            for t, s in zip(teacher_tensors, student_tensors):
                t_shape, s_shape = tuple(t.shape), tuple(s.shape)
                if len(t_shape) != len(s_shape):
                    raise ValueError(f"Teacher and student {kind} shapes have different dimensions. Teacher: "
                                     f"{t_shape}, Student: {s_shape}.")
                if any(a is not None and b is not None and a != b for a, b in zip(t_shape, s_shape)):
                    raise ValueError(f"Teacher and student {kind} shapes are incompatible. Teacher: {t_shape}, "
                                     f"Student: {s_shape}. All dimensions must match.")
                if t.dtype != s.dtype:
                    raise ValueError(f"Teacher and student {kind} dtypes must match. Teacher: {t.dtype}, "
                                     f"Student: {s.dtype}.")

    def _feature_extractor(self, model, attribute):
        """A model giving ``model``'s output (``"final_output"``) and the outputs of the layers the distillation
        losses name, in one pass; ``None`` when none is named."""
        names = []
        for distillation_loss in self.distillation_losses:
            name = getattr(distillation_loss, attribute, None)
            if name and name not in names:
                names.append(name)
        if not names:
            return None
        if getattr(model, "inputs", None) is None:
            raise ValueError(f"Cannot create feature extractor for {model.name}. The model has no symbolic inputs "
                             "attribute.")
        outputs = {"final_output": model.layers[-1].output if isinstance(model, Sequential) else model.output}
        outputs.update({name: model.get_layer(name=name).output for name in names})
        return Functional(model.inputs, outputs, name=f"{model.name}_multi_feature_extractor")

    # ------------------------------------------------------------------ training
    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """Configure training: ``loss`` is the student's supervised loss (required), ``metrics`` a list or tuple.

        Args:
            optimizer: the optimizer of the student's weights ("adam").
            loss: the student's loss (a name, a loss, or a structure of them for several outputs).
            metrics: metrics of the student's predictions.
            **kwargs: the other arguments of ``Model.compile``.
        """
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        self._student_loss = tree.map_structure(loss_function, loss)
        self._student_loss_for_serialization = loss
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def call(self, inputs, training=None, **kwargs):
        """The student's predictions."""
        return self.student(inputs, training=training, **kwargs)

    def _features(self, extractor, model, x, training, y_pred):
        if extractor is not None:
            return extractor(x, training=training)
        return {"final_output": y_pred if y_pred is not None else model(x, training=training)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The weighted sum of the student's loss and the distillation losses (``sample_weight`` is not used,
        as in Keras); updates the ``student_loss``, ``distillation_loss`` and ``total_loss`` trackers."""
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            values = tree.flatten(tree.map_structure(lambda fn, target, pred: fn(target, pred),
                                                     self._student_loss, y, y_pred))
            student_loss = ops.sum(ops.stack(values)) if len(values) > 1 else values[0]
            if len(getattr(student_loss, "shape", ())) > 0:
                student_loss = ops.mean(student_loss)
        distillation_loss = 0.0
        if self.student_loss_weight < 1.0:
            teacher_features = self._features(self._teacher_feature_extractor, self.teacher, x, False, None)
            student_features = self._features(self._student_feature_extractor, self.student, x, True, y_pred)
            for loss_fn, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                teacher_out, student_out = teacher_features["final_output"], y_pred
                if getattr(loss_fn, "teacher_layer_name", None) is not None:
                    teacher_out = teacher_features[loss_fn.teacher_layer_name]
                    student_out = student_features[loss_fn.student_layer_name or "final_output"]
                loss_fn.validate_outputs(teacher_out, student_out)
                value = loss_fn.compute_loss(teacher_out, student_out)
                if len(getattr(value, "shape", ())) > 0:
                    raise ValueError(f"Distillation loss {type(loss_fn).__name__} returned a non-scalar loss with "
                                     f"shape {tuple(value.shape)}. The compute_loss method must return a scalar "
                                     "tensor.")
                distillation_loss = ops.add(distillation_loss, ops.multiply(weight, value))
        total_loss = ops.add(ops.multiply(self.student_loss_weight, student_loss),
                             ops.multiply(1.0 - self.student_loss_weight, distillation_loss))
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total_loss)
        return total_loss

    # ------------------------------------------------------------------ config
    def get_config(self):
        return {**Layer.get_config(self), "teacher": serialize_keras_object(self.teacher),
                "student": serialize_keras_object(self.student),
                "distillation_losses": [serialize_keras_object(d) for d in self.distillation_losses],
                "distillation_loss_weights": self.distillation_loss_weights,
                "student_loss_weight": self.student_loss_weight}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasport import distillation, layers
        from kerasport.core.serialization import deserialize_keras_object
        config = dict(config)
        config["teacher"] = layers.deserialize(config["teacher"], custom_objects)
        config["student"] = layers.deserialize(config["student"], custom_objects)
        known = {name: getattr(distillation, name) for name in ("FeatureDistillation", "LogitsDistillation")}
        config["distillation_losses"] = [deserialize_keras_object(d, known, custom_objects, "distillation loss")
                                         for d in config["distillation_losses"]]
        return cls(**config)
