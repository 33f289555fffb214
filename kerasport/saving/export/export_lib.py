"""Exporting a model for serving: ``export_model``, ``export_models`` and the format table; a format of the other
framework is written by a child process (``child.py``)."""
import json
import os
import subprocess
import sys
import tempfile

from kerasport.backends import backend
from kerasport.saving.atomic import atomic_write
from kerasport.saving.export.atomic_folder import atomic_folder
from kerasport.saving.export.spec import ServingSpec, check_exportable, unrolled_rnns

# format -> (framework that writes it, file extension)
FORMATS = {"torch": ("torch", ".pt2"), "onnx": ("torch", ".onnx"),
           "tf_saved_model": ("tensorflow", ""), "litert": ("tensorflow", ".tflite")}
EXTENSIONS = {ext: fmt for fmt, (_, ext) in FORMATS.items() if ext}
ERROR_PREFIX = "kerasport-export-error: "


def export_model(model, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
    """Export ``model`` for inference (``training=False``) in a serving ``format``.

    The batch dimension stays dynamic in every format, and so do the other ``None``
    dimensions of the model's inputs, except where a format cannot express them
    (``"torch"`` and ``"onnx"`` unroll an RNN over its time steps: give such a model
    a fixed time length, ``keras.Input((timesteps, features))``; the error says so).

    Formats:

    - ``"torch"``: a ``.pt2`` ``torch.export`` program; ``torch.export.load(path).module()(*inputs)``.
      It is traced on the model's device: ``KERASPORT_DEVICE=cpu`` exports a CPU program from a GPU machine.
    - ``"onnx"``: an ONNX model (``torch.onnx.export(..., dynamo=True)``); run it with onnxruntime.
      Its inputs are named after the model's inputs (dict keys for a dict-input model).
    - ``"tf_saved_model"``: a SavedModel folder with a ``serve`` endpoint (the model's
      inputs in order, its outputs as the model returns them) and a ``serving_default``
      signature (inputs by name, outputs ``output_0``, ``output_1``, ... or the output
      dict's keys) for TF Serving.
    - ``"litert"``: a ``.tflite`` file for the LiteRT interpreter (``ai_edge_litert``), built
      from TensorFlow Lite builtin ops only; resize its inputs to the batch size you run.

    Writes are atomic: the target is replaced only once the artifact is complete. A
    model with a layer the format cannot express is refused before anything is written.
    From the other backend's process the model is saved to a temporary ``.keras`` file
    and exported by a child process, so custom layers must be registered
    (``register_keras_serializable``) in an importable module.

    Args:
        model: a Functional or Sequential model, or a subclassed model called on data (its first call's
            shapes, batch dimension free, are then its inputs, named ``args_0``, ... as in Keras).
        filepath: the file (or, for ``"tf_saved_model"``, the folder) to write.
        format: ``"tf_saved_model"`` (the default, as in Keras), ``"torch"``, ``"onnx"`` or ``"litert"``.
        verbose: print where the artifact was written (the default); ``False`` to stay quiet.
        input_signature: the inputs to export instead of the model's: a list with one entry, the model's
            input, as an ``InputSpec`` / ``KerasTensor`` / ``tf.TensorSpec``, a list or a dict of them.
            They are named as in Keras (``args_0``, ``args_0_1``, ... or the dict's keys).
        **kwargs: for ``"litert"``, the TFLite converter's settings, as Keras takes them:
            ``optimizations`` (e.g. ``[tf.lite.Optimize.DEFAULT]``: 8-bit weights), ``target_spec``
            (a dict, e.g. ``{"supported_types": [tf.float16]}``) and ``representative_dataset``
            (full-integer quantization; from a TensorFlow process only).

    Example::

        model.export("model.onnx", format="onnx")
        import onnxruntime as ort
        ort.InferenceSession("model.onnx").run(None, {"input_layer": x})
    """
    export_models([(model, filepath, format)], verbose=verbose, input_signature=input_signature, **kwargs)


def converter_options(format, kwargs):
    """``kwargs`` of ``export`` as the LiteRT converter's settings, JSON except ``representative_dataset``:
    ``tf.lite.Optimize`` / ``tf.lite.OpsSet`` members and dtypes become their names."""
    if kwargs and format != "litert":
        raise ValueError(f"Model.export got unexpected arguments {sorted(kwargs)} for format {format!r}; only "
                         "'litert' takes converter settings.")
    unknown = sorted(set(kwargs) - {"optimizations", "target_spec", "representative_dataset"})
    if unknown:
        raise ValueError(f"Unknown LiteRT converter settings {unknown}; expected some of 'optimizations', "
                         "'target_spec' and 'representative_dataset'.")
    names = lambda values: [str(getattr(v, "name", v)) for v in values]  # noqa: E731
    options = dict(kwargs)
    if "optimizations" in options:
        options["optimizations"] = names(options["optimizations"])
    target = options.get("target_spec")
    if target is not None:
        if not isinstance(target, dict):
            raise ValueError(f"export(target_spec=...) expects a dict such as {{'supported_types': [tf.float16]}}, "
                             f"received {target!r}.")
        unknown = sorted(set(target) - {"supported_types", "supported_ops"})
        if unknown:
            raise ValueError(f"Unknown target_spec attributes {unknown}; expected 'supported_types' or "
                             "'supported_ops'.")
        options["target_spec"] = {key: names(values) for key, values in target.items()}
    return options


def export_models(jobs, verbose=None, input_signature=None, **kwargs):
    """Export several ``(model, filepath, format)`` jobs, with one child process for all the other framework's.

    Every job is checked (format, inputs, layers) before anything is written.
    ``export_model`` is the one-model case; see it for the formats.
    """
    checked = []
    for model, filepath, format in jobs:
        if format not in FORMATS:
            raise ValueError(f"Unknown export format {format!r}; expected one of {sorted(FORMATS)}.")
        spec = ServingSpec(model, input_signature)
        check_exportable(model, format, spec)
        checked.append((model, spec, os.fspath(filepath), format, converter_options(format, kwargs)))
    here = [job for job in checked if FORMATS[job[3]][0] == backend()]
    there = [job for job in checked if FORMATS[job[3]][0] != backend()]
    for model, spec, filepath, format, options in here:
        _write(model, spec, filepath, format, options)
    if there:
        if any("representative_dataset" in job[4] for job in there):
            raise ValueError("export(representative_dataset=...) needs the LiteRT converter in this process: it "
                             "is a Python generator, which cannot travel to the TensorFlow child process that "
                             "exports from torch. Export from KERASPORT_BACKEND=tensorflow.")
        _export_in_child([(model, filepath, format, spec.signature(), options)
                          for model, spec, filepath, format, options in there])
    if verbose is None or verbose:
        for _, _, filepath, format, _ in checked:
            print(f"Saved artifact at '{filepath}' (format {format!r}).")


def _write(model, spec, filepath, format, options):
    """Export one model with this process's backend writer, atomically."""
    if backend() == "torch":
        from kerasport.backends.torch import export as writer
    else:
        from kerasport.backends.tensorflow import export as writer

    def call(*inputs):
        return model(spec.pack(inputs), training=False)

    def serve(*inputs):
        return spec.flat_outputs(call(*inputs))

    if format == "tf_saved_model":
        with atomic_folder(filepath) as tmp:
            writer.export(call, model.weights, spec, tmp, format)
        return
    with atomic_write(filepath) as tmp:
        if format == "litert":
            with unrolled_rnns(model):
                writer.export(call, model.weights, spec, tmp, format, options)
        else:
            writer.export(serve, model.weights, spec, tmp, format)


def _export_in_child(jobs):
    """Save each model (jobs of ``(model, filepath, format, spec.signature(), converter options)``) to a
    temporary ``.keras`` file and export them all from one other-backend process."""
    for model, *_ in jobs:
        check_importable(model)
    with tempfile.TemporaryDirectory(prefix="kerasport-export-") as folder:
        plan = []
        for i, (model, filepath, format, signature, options) in enumerate(jobs):
            source = os.path.join(folder, f"model{i}.keras")
            model.save(source, include_optimizer=False)
            plan.append([source, os.path.abspath(filepath), format, signature, options])
        run_child(folder, plan, f"Exporting to {sorted({job[2] for job in jobs})}")


def check_importable(model):
    """Raise ``ValueError`` naming the first class in ``model`` (itself included) that another process cannot
    import: one defined inside a function or in the ``__main__`` script."""
    for layer in model._flatten_layers(include_self=True):
        cls = type(layer)
        if "<locals>" in cls.__qualname__ or cls.__module__ == "__main__":
            raise ValueError(
                f"{cls.__qualname__} (layer {layer.name!r}) cannot be exported from this {backend()} process: the "
                f"format is written by a child process of the other framework, which rebuilds the model from a "
                f".keras file and must import its classes, but {cls.__qualname__} is defined "
                f"{'inside a function' if '<locals>' in cls.__qualname__ else 'in the __main__ script'}. Define "
                f"it at the top level of an importable module, registered with register_keras_serializable, or "
                f"export from KERASPORT_BACKEND={'tensorflow' if backend() == 'torch' else 'torch'}.")


def run_child(folder, plan, what):
    """Run ``child.py`` with the other framework's backend on ``plan`` (written to ``folder/jobs.json``).

    ``plan`` is a list of ``[model.keras, target, format, input signature, converter options]`` jobs, or an
    ``ExportArchive`` plan
    (``{"archive": ...}``). A ``ValueError`` in the child is raised as one here; any other failure
    as a ``RuntimeError`` that starts with ``what``.
    """
    framework = "tensorflow" if backend() == "torch" else "torch"
    jobs_file = os.path.join(folder, "jobs.json")
    with open(jobs_file, "w") as f:
        json.dump(plan, f)
    env = dict(os.environ, KERASPORT_BACKEND=framework)
    run = subprocess.run([sys.executable, "-m", "kerasport.saving.export.child", jobs_file],
                         env=env, capture_output=True, text=True)
    if run.returncode != 0:
        lines = [l for l in run.stderr.splitlines() if l.startswith(ERROR_PREFIX)]
        if lines:
            kind, _, message = lines[-1][len(ERROR_PREFIX):].partition(": ")
            if kind == "ValueError":
                raise ValueError(message)
            raise RuntimeError(f"{what} in a {framework} child process failed: {kind}: {message}")
        tail = "\n".join(run.stderr.strip().splitlines()[-20:])
        raise RuntimeError(f"{what} in a {framework} child process failed (exit code {run.returncode}):\n{tail}")
