"""The TensorFlow-side writers: SavedModels for TF Serving and LiteRT (``.tflite``) files.

Imported only by a TensorFlow-backend process. Free input dimensions stay ``None`` in the
signatures; LiteRT records them as ``-1`` in its shape signatures.
"""
import contextlib

import tensorflow as tf

from kerasport.saving.atomic import atomic_write
from kerasport.saving.export.atomic_folder import atomic_folder


class _ServingModule(tf.Module):
    """Holds the model's variables (so the SavedModel stores them) and the traced endpoints."""

    def __init__(self, model, spec):
        super().__init__(name=None)
        self.model_variables = list({id(v): v for v in model.weights}.values())
        signature = [tf.TensorSpec(shape, dtype, name=name)
                     for name, shape, dtype in zip(spec.names, spec.shapes, spec.dtypes)]

        def serve(*inputs):
            return model(spec.pack(inputs), training=False)

        def serving_default(*inputs):
            outputs = spec.flat_outputs(serve(*inputs))
            return dict(zip(spec.output_names, outputs))

        self.serve = tf.function(serve, input_signature=signature, autograph=False)
        self.serving_default = tf.function(serving_default, input_signature=signature, autograph=False)


@contextlib.contextmanager
def _unrolled_rnns(model):
    """Unroll every RNN layer over its (fixed) time steps while tracing.

    LiteRT's builtin ops hold a ``tf.while_loop`` over time only with static tensor-list
    shapes, which a dynamic batch rules out; an unrolled loop needs neither.
    """
    rnns = [l for l in model._flatten_layers(include_self=False)
            if any(c.__name__ == "RNN" for c in type(l).__mro__) and not l.unroll]
    for layer in rnns:
        layer.unroll = True
    try:
        yield
    finally:
        for layer in rnns:
            layer.unroll = False


def export(model, spec, filepath, format):
    """Write ``model`` as a SavedModel folder (``format="tf_saved_model"``) or a ``.tflite`` file (``"litert"``)."""
    module = _ServingModule(model, spec)
    if format == "tf_saved_model":
        signature = module.serving_default.get_concrete_function()
        with atomic_folder(filepath) as tmp:
            tf.saved_model.save(module, tmp, signatures={"serving_default": signature})
        return
    try:
        with _unrolled_rnns(model):
            signature = module.serving_default.get_concrete_function()
    except ValueError as error:
        if "cannot unroll over an unknown number" not in str(error):
            raise
        raise ValueError(f"The 'litert' format needs a fixed number of time steps: {error} LiteRT runs an RNN "
                         "unrolled (its builtin ops cannot hold the time loop with a dynamic batch). Give the "
                         "model keras.Input((timesteps, features)); the batch dimension stays dynamic. The "
                         "'tf_saved_model' format keeps the time dimension dynamic.") from None
    converter = tf.lite.TFLiteConverter.from_concrete_functions([signature], module)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    flatbuffer = converter.convert()
    with atomic_write(filepath) as tmp:
        with open(tmp, "wb") as f:
            f.write(flatbuffer)
