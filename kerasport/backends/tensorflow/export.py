"""TensorFlow's serving writers: SavedModels for TF Serving and LiteRT (``.tflite``) files.

Called by ``kerasport.saving.export`` in a TensorFlow-backend process. Free input
dimensions stay ``None`` in the signatures; LiteRT records them as ``-1``.
"""
import tensorflow as tf


class _ServingModule(tf.Module):
    """Holds the weights (so the SavedModel stores them) and the two traced endpoints."""

    def __init__(self, call, variables, spec):
        super().__init__()
        self.model_variables = list({id(v): v for v in variables}.values())
        signature = [tf.TensorSpec(shape, dtype, name=name)
                     for name, shape, dtype in zip(spec.names, spec.shapes, spec.dtypes)]

        def serving_default(*inputs):
            return dict(zip(spec.output_names, spec.flat_outputs(call(*inputs))))

        self.serve = tf.function(call, input_signature=signature, autograph=False)
        self.serving_default = tf.function(serving_default, input_signature=signature, autograph=False)


def export(call, variables, spec, path, format, options=None):
    """Write ``call`` as a SavedModel folder (``format="tf_saved_model"``) or a ``.tflite`` file (``"litert"``).

    Args:
        call: ``call(*inputs)`` -> the model's outputs, as the model returns them.
        variables: the weights ``call`` reads.
        spec: the inputs' ``names``, ``shapes``, ``dtypes``, the ``output_names`` and ``flat_outputs``.
        path: the (empty) folder or the file to write.
        format: ``"tf_saved_model"`` or ``"litert"``.
        options: the LiteRT converter's settings: ``optimizations`` (``tf.lite.Optimize`` names),
            ``target_spec`` (``supported_types``: dtype names, ``supported_ops``: ``tf.lite.OpsSet`` names)
            and ``representative_dataset``.
    """
    module = _ServingModule(call, variables, spec)
    signature = module.serving_default.get_concrete_function()
    if format == "tf_saved_model":
        tf.saved_model.save(module, path, signatures={"serving_default": signature})
        return
    converter = tf.lite.TFLiteConverter.from_concrete_functions([signature], module)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    options = options or {}
    if options.get("optimizations"):
        converter.optimizations = [tf.lite.Optimize[name] for name in options["optimizations"]]
    target = options.get("target_spec") or {}
    if target.get("supported_types"):
        converter.target_spec.supported_types = [tf.as_dtype(name) for name in target["supported_types"]]
    if target.get("supported_ops"):
        converter.target_spec.supported_ops = [tf.lite.OpsSet[name] for name in target["supported_ops"]]
    if options.get("representative_dataset") is not None:
        converter.representative_dataset = options["representative_dataset"]
    flatbuffer = converter.convert()
    with open(path, "wb") as f:
        f.write(flatbuffer)
