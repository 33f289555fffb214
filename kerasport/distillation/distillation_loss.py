"""Distillation losses: how a teacher's outputs (``LogitsDistillation``) or features (``FeatureDistillation``)
are compared with the student's."""
from kerasport import losses, ops, tree
from kerasport.core.serialization import serialize_keras_object


def loss_function(identifier):
    """A loss for a name (``losses.get``), the loss itself, or ``None`` (no loss for that output)."""
    return losses.get(identifier) if isinstance(identifier, str) else identifier


def _deserialize_losses(config):
    """The loss structure of a ``get_config()``: a serialized loss, ``None``, or a list/dict of them."""
    if config is None or isinstance(config, str) or (isinstance(config, dict) and "class_name" in config):
        return losses.deserialize(config) if config is not None else None
    if isinstance(config, dict):
        return {k: _deserialize_losses(v) for k, v in config.items()}
    return [_deserialize_losses(c) for c in config]


def _losses(loss, owner):
    structure = tree.map_structure(loss_function, loss)
    if all(item is None for item in tree.flatten(structure)):
        raise ValueError(f"The `loss` argument in `{owner}` must contain at least one non-`None` value. "
                         f"Received: loss={loss!r}")
    return structure


def _sum_of_means(loss_structure, teacher_outputs, student_outputs, one_loss):
    """``sum`` over the outputs of ``one_loss(fn, teacher, student)`` (0 where the loss is ``None``)."""
    values = tree.map_structure(lambda fn, t, s: 0.0 if fn is None else one_loss(fn, t, s),
                                loss_structure, teacher_outputs, student_outputs)
    return ops.sum(ops.stack(tree.flatten(values)))


class DistillationLoss:
    """Base class of distillation losses: how teacher and student outputs are compared.

    Subclasses override ``compute_loss(teacher_outputs, student_outputs, **kwargs)``
    (a scalar), and may override ``validate_outputs`` and
    ``validate_model_compatibility``.
    """

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The scalar loss between the teacher's and the student's outputs (a tensor or a structure of them)."""
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Raise a ``ValueError`` when the outputs do not have the same structure."""
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        """Raise a ``ValueError`` when this loss cannot work on these models (the base accepts any)."""


class FeatureDistillation(DistillationLoss):
    """Matches an intermediate layer's output of the student to one of the teacher.

    The loss is ``mean(loss(teacher_features, student_features))``, summed over
    the outputs of a multi-output layer.

    Args:
        loss: a loss name (``"mse"``, ``"cosine_similarity"``, ...), a loss, or a
            structure of them matching the features (``None`` skips an output;
            at least one must be set). ``"mse"`` by default.
        teacher_layer_name: the teacher layer whose output is used (``None``: the teacher's output).
        student_layer_name: the student layer whose output is used (``None``: the student's output).

    Example:

    ```python
    FeatureDistillation(loss="mse", teacher_layer_name="dense_1", student_layer_name="dense_1")
    ```
    """

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = _losses(loss, "FeatureDistillation")

    def validate_model_compatibility(self, teacher, student):
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            subclassed = [role for role, model in (("teacher", teacher), ("student", student))
                          if getattr(model, "inputs", None) is None]
            if subclassed:
                raise ValueError(
                    "FeatureDistillation with specific layer names requires Functional or Sequential models. The "
                    f"{' and '.join(subclassed)} model(s) appear to be subclassed (no symbolic inputs/outputs). "
                    "Either use Functional/Sequential models, or use FeatureDistillation without layer names (to "
                    "distill final outputs only), or use LogitsDistillation instead.")
        for role, model, name in (("teacher", teacher, self.teacher_layer_name),
                                  ("student", student, self.student_layer_name)):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as e:
                    raise ValueError(f"In {role} model: {e}") from None

    def validate_outputs(self, teacher_outputs, student_outputs):
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as e:
            raise ValueError(f"Loss structure mismatch. Loss structure: {self.loss!r}, output structure: "
                             f"{tree.map_structure(lambda _: '*', teacher_outputs)!r}. Error: {e}") from None

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        return _sum_of_means(self.loss, teacher_outputs, student_outputs, lambda fn, t, s: ops.mean(fn(t, s)))

    def get_config(self):
        return {"loss": serialize_keras_object(self.loss), "teacher_layer_name": self.teacher_layer_name,
                "student_layer_name": self.student_layer_name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _deserialize_losses(config["loss"])
        return cls(**config)


class LogitsDistillation(DistillationLoss):
    """Matches the student's logits to the teacher's, both divided by ``temperature``.

    With a ``KLDivergence`` instance as the loss, the loss is
    ``mean(KL(softmax(teacher / T), softmax(student / T))) * T**2``; with any
    other loss (the ``"kl_divergence"`` function included, as in Keras) it is
    ``mean(loss(teacher / T, student / T))``. Summed over the outputs.

    Args:
        temperature: the positive temperature ``T`` (3.0).
        loss: a loss name, a loss, or a structure of them matching the outputs
            (``None`` skips an output; at least one must be set). ``"kl_divergence"`` by default.

    Example:

    ```python
    LogitsDistillation(temperature=4.0, loss=kerasport.losses.KLDivergence())
    ```
    """

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss = _losses(loss, "LogitsDistillation")
        if not isinstance(temperature, (int, float)) or isinstance(temperature, bool):
            raise ValueError(f"temperature must be a number, got {type(temperature)}")
        if temperature <= 0.0:
            raise ValueError(f"temperature must be positive. Received: temperature={temperature}")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        def one(fn, teacher_logits, student_logits):
            teacher_logits = ops.divide(teacher_logits, self.temperature)
            student_logits = ops.divide(student_logits, self.temperature)
            if isinstance(fn, losses.KLDivergence):
                kl = fn(ops.softmax(teacher_logits, axis=-1), ops.softmax(student_logits, axis=-1))
                return ops.mean(kl) * self.temperature ** 2
            return ops.mean(fn(teacher_logits, student_logits))

        return _sum_of_means(self.loss, teacher_outputs, student_outputs, one)

    def get_config(self):
        return {"temperature": self.temperature, "loss": serialize_keras_object(self.loss)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _deserialize_losses(config["loss"])
        return cls(**config)
