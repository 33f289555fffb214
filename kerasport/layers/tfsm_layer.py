"""``TFSMLayer``: a SavedModel's endpoint as a layer, its variables tracked and trainable (TensorFlow backend)."""
from kerasport.backends import B
from kerasport.core.serialization import in_safe_mode
from kerasport.layers.layer import Layer


class TFSMLayer(Layer):
    """Reload a Keras model/layer that was saved via SavedModel / ExportArchive.

    The endpoint runs as the layer's ``call()``; the variables it reads become the layer's
    weights (the very variables the endpoint computes with), so the layer can be trained or
    fine-tuned (``trainable=True``) inside a model, and saved with it. It keeps none of the
    original object's structure or methods.

    Only on the TensorFlow backend (as in Keras, which also runs it on JAX): a SavedModel is
    TensorFlow graphs, which a torch process does not run.

    Args:
        filepath: the SavedModel folder (``model.export(...)``, ``ExportArchive.write_out(...)``,
            or ``tf.saved_model.save``).
        call_endpoint: the endpoint used as ``call()``: an attribute of the reloaded object
            (``"serve"`` for ``model.export``), or else a signature name (``"serving_default"``).
        call_training_endpoint: the endpoint called with ``training=True``, if any.
        trainable: whether the layer's trainable variables are trained.
        name: the layer's name.
        dtype: the layer's dtype policy.

    Only endpoints taking a single ``inputs`` argument (a tensor, or a list/dict of
    tensors) are supported; a signature endpoint takes a dict as keyword arguments.

    Example::

        model.export("path/to/artifact")
        reloaded_layer = keras.layers.TFSMLayer("path/to/artifact")
        outputs = reloaded_layer(inputs)
    """

    def __init__(self, filepath, call_endpoint="serve", call_training_endpoint=None, trainable=True, name=None,
                 dtype=None):
        if B.NAME != "tensorflow":
            raise NotImplementedError(
                f"The TFSMLayer is only currently supported with the TensorFlow backend; this process runs the "
                f"{B.NAME!r} backend. A SavedModel holds TensorFlow graphs, which a torch process does not run: use "
                "KERASPORT_BACKEND=tensorflow, or load the model's .keras file instead.")
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        from kerasport.backends.tensorflow import saved_model
        self._reloaded_obj = saved_model.load(str(filepath))
        self.filepath = str(filepath)
        self.call_endpoint = call_endpoint
        self.call_training_endpoint = call_training_endpoint
        self.call_endpoint_fn, self._call_is_signature = self._endpoint(saved_model, call_endpoint, select=True)
        fns = [self.call_endpoint_fn]
        if call_training_endpoint:
            self.call_training_endpoint_fn, self._training_is_signature = self._endpoint(
                saved_model, call_training_endpoint, select=False)
            fns.append(self.call_training_endpoint_fn)
        trainable_vars, non_trainable_vars = saved_model.variables_used(fns)
        for variable, flag in [(v, True) for v in trainable_vars] + [(v, False) for v in non_trainable_vars]:
            saved_model.adopt(variable, f"{self.name}/{variable.name.rsplit(':', 1)[0].replace('/', '_')}")
            self._weights_list.append(variable)
            self._trainable_flags[id(variable)] = flag
        self.built = True

    def _endpoint(self, saved_model, name, select):
        fn, is_signature = saved_model.endpoint(self._reloaded_obj, name)
        if fn is None:
            how = " Select another endpoint via the `call_endpoint` argument." if select else ""
            raise ValueError(
                f"The endpoint '{name}' is neither an attribute of the reloaded SavedModel, nor an entry in the "
                f"`signatures` field of the reloaded SavedModel ({self.filepath}).{how} Available endpoints for "
                f"this SavedModel: {saved_model.signature_names(self._reloaded_obj)}")
        return fn, is_signature

    def call(self, inputs, training=False, **kwargs):
        fn, is_signature = self.call_endpoint_fn, self._call_is_signature
        if training and self.call_training_endpoint:
            fn, is_signature = self.call_training_endpoint_fn, self._training_is_signature
        if is_signature and isinstance(inputs, dict):
            return fn(**inputs, **kwargs)
        return fn(inputs, **kwargs)

    def get_config(self):
        return {**super().get_config(), "filepath": self.filepath, "call_endpoint": self.call_endpoint,
                "call_training_endpoint": self.call_training_endpoint}

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild the layer from its config; only with ``safe_mode=False``, since it loads an outside SavedModel."""
        if (in_safe_mode() if safe_mode is None else safe_mode) is not False:
            raise ValueError(
                "Requested the deserialization of a `TFSMLayer`, which loads an external SavedModel. This carries "
                "a potential risk of arbitrary code execution and thus it is disallowed by default. If you trust "
                "the source of the artifact, you can override this error by passing `safe_mode=False` to the "
                "loading function, or calling `keras.config.enable_unsafe_deserialization().")
        return cls(**config)
