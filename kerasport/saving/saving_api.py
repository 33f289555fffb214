"""Whole models and weights to and from files: ``save_model``, ``load_model``, ``save_weights``, ``load_weights``.

The file name picks the format: ``.h5`` / ``.hdf5`` (Keras's legacy HDF5, ``saving/h5.py``), ``.keras`` and
``.weights.h5`` (Keras 3, ``saving/keras_v3.py``). The format modules are imported on first use.
"""
import os
import warnings

_H5 = (".h5", ".hdf5")


def _kind(filepath, purpose):
    path = os.fspath(filepath).lower()
    if path.endswith(".weights.h5"):
        return "weights.h5"
    if path.endswith(".keras"):
        return "keras"
    if path.endswith(_H5):
        return "h5"
    raise ValueError(f"Cannot tell the format of {os.fspath(filepath)!r} for {purpose}: use a `.keras`, `.h5` "
                     "(Keras's legacy HDF5) or `.weights.h5` file name.")


def save_model(model, filepath, overwrite=True, include_optimizer=True, **kwargs):
    """Save architecture, weights, compile arguments and optimizer state.

    Writes Keras 3's native format for a ``.keras`` name (which Keras 3 loads)
    and Keras's legacy HDF5 format for ``.h5``/``.hdf5`` (which Keras 3 and
    tf_keras load). The file is written to a temporary file beside the target
    and renamed over it, so it is never left half-written.

    Args:
        model: the model to save.
        filepath: target path (``.keras``, ``.h5`` or ``.hdf5``); missing folders are created.
        overwrite: when False and the file exists, raise ``FileExistsError``.
        include_optimizer: also save the compile arguments and the optimizer state.
        **kwargs: ``save_format`` (Keras 2's argument, deprecated as in Keras 3) is accepted with a warning
            where the file name already says ``.keras`` or ``.h5``, and refused otherwise; any other
            argument is refused.
    """
    from kerasport.saving import h5, keras_v3
    path = os.fspath(filepath).lower()
    save_format = kwargs.pop("save_format", False)
    if save_format:
        if not path.endswith((".keras",) + _H5):
            raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove this argument and "
                             f"pass a file path with either `.keras` or `.h5` extension. Received: "
                             f"save_format={save_format}")
        warnings.warn("The `save_format` argument is deprecated in Keras 3. We recommend removing this argument as "
                      f"it can be inferred from the file path. Received: save_format={save_format}", stacklevel=3)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if not path.endswith((".keras", ".weights.h5") + _H5):  # Keras 3's message: no SavedModel from save()
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` extension for the "
                         "native Keras format (recommended) or a `.h5` extension. Use `model.export(filepath)` if "
                         "you want to export a SavedModel for use with TFLite/TFServing/etc. Received: "
                         f"filepath={os.fspath(filepath)}.")
    kind = _kind(filepath, "save_model")
    if kind == "weights.h5":
        raise ValueError(f"{os.fspath(filepath)!r} names a weights file; use `model.save_weights` for it, "
                         "or a `.keras` / `.h5` name to save the whole model.")
    module = keras_v3 if kind == "keras" else h5
    module.save_model(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by ``save_model`` (or by Keras 3 or tf_keras).

    Args:
        filepath: a ``.keras`` or HDF5 (``.h5``) model file.
        custom_objects: ``{name: class_or_function}`` for custom layers, losses, metrics,
            activations that the file names.
        compile: compile the model with the saved compile arguments and restore the
            optimizer state (when the file has them).
        safe_mode: refuse to rebuild Python bytecode stored in the file (``Lambda`` layers).

    Returns:
        The model, compiled when the file had a training config and ``compile`` is True.
    """
    from kerasport.saving import h5, keras_v3
    path = os.fspath(filepath)
    if keras_v3.is_keras_zip(path):
        return keras_v3.load_model(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    if os.path.isdir(path):  # a SavedModel folder: Keras 3's message, which names the way to load one
        raise ValueError(f"File format not supported: filepath={path}. Keras 3 only supports V3 `.keras` files, "
                         "legacy H5 format files (`.h5` extension). Note that the legacy SavedModel format is not "
                         "supported by `load_model()` in Keras 3. In order to reload a TensorFlow SavedModel as an "
                         f"inference-only layer in Keras 3, use `keras.layers.TFSMLayer({path}, "
                         "call_endpoint='serving_default')` (note that your `call_endpoint` might have a different "
                         "name).")
    return h5.load_model(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_weights(model, filepath, overwrite=True):
    """Save the model's weights: ``.weights.h5`` in Keras 3's layout, ``.h5`` in the legacy layout."""
    from kerasport.saving import h5, keras_v3
    kind = _kind(filepath, "save_weights")
    if kind == "keras":
        raise ValueError(f"{os.fspath(filepath)!r} is a whole-model file name; use `model.save` for it, or a "
                         "`.weights.h5` name to save weights.")
    if kind == "weights.h5":
        keras_v3.save_weights(model, filepath, overwrite=overwrite)
        return
    h5.save_weights(model, filepath, overwrite=overwrite)


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Load weights into ``model`` from a weights or whole-model file (kerasport's or Keras's).

    Every count and shape is checked before anything is assigned: on an error
    the model keeps its current weights.

    Args:
        model: a built model.
        filepath: ``.weights.h5``, legacy ``.h5`` (weights or whole model) or ``.keras``.
        skip_mismatch: skip (with a warning) weights whose shape or count differs instead of raising.
        by_name: (legacy ``.h5``) match layers by name rather than by order; unmatched layers are left alone.
    """
    from kerasport.saving import h5, keras_v3
    path = os.fspath(filepath)
    if keras_v3.is_keras_zip(path):
        keras_v3.load_weights_from_zip(model, path, skip_mismatch=skip_mismatch)
        return
    with h5.open_h5(path) as f:
        if "layer_names" in f.attrs or "layer_names0" in f.attrs or "model_weights" in f:
            group = f["model_weights"] if "model_weights" in f else f
            h5.assign(h5.weight_assignments(group, model, path, skip_mismatch=skip_mismatch, by_name=by_name), path)
        else:
            if by_name:
                raise ValueError(f"{path}: by_name=True needs a legacy `.h5` weights file; this file has "
                                 "Keras 3's `.weights.h5` layout.")
            keras_v3.load_weights_from_h5(model, f, path, skip_mismatch=skip_mismatch)
