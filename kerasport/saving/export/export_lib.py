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


def export_model(model, filepath, format="tf_saved_model", verbose=None):
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
        model: a Functional or Sequential model (its inputs must be known).
        filepath: the file (or, for ``"tf_saved_model"``, the folder) to write.
        format: ``"tf_saved_model"`` (the default, as in Keras), ``"torch"``, ``"onnx"`` or ``"litert"``.
        verbose: print where the artifact was written (the default); ``False`` to stay quiet.

    Example::

        model.export("model.onnx", format="onnx")
        import onnxruntime as ort
        ort.InferenceSession("model.onnx").run(None, {"input_layer": x})
    """
    export_models([(model, filepath, format)], verbose=verbose)


def export_models(jobs, verbose=None):
    """Export several ``(model, filepath, format)`` jobs, with one child process for all the other framework's.

    Every job is checked (format, inputs, layers) before anything is written.
    ``export_model`` is the one-model case; see it for the formats.
    """
    checked = []
    for model, filepath, format in jobs:
        if format not in FORMATS:
            raise ValueError(f"Unknown export format {format!r}; expected one of {sorted(FORMATS)}.")
        spec = ServingSpec(model)
        check_exportable(model, format)
        checked.append((model, spec, os.fspath(filepath), format))
    here = [job for job in checked if FORMATS[job[3]][0] == backend()]
    there = [job for job in checked if FORMATS[job[3]][0] != backend()]
    for model, spec, filepath, format in here:
        _write(model, spec, filepath, format)
    if there:
        _export_in_child([(model, filepath, format) for model, _, filepath, format in there])
    if verbose is None or verbose:
        for _, _, filepath, format in checked:
            print(f"Saved artifact at '{filepath}' (format {format!r}).")


def _write(model, spec, filepath, format):
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
                writer.export(call, model.weights, spec, tmp, format)
        else:
            writer.export(serve, model.weights, spec, tmp, format)


def _export_in_child(jobs):
    """Save each model to a temporary ``.keras`` file and export them all from one other-backend process."""
    with tempfile.TemporaryDirectory(prefix="kerasport-export-") as folder:
        plan = []
        for i, (model, filepath, format) in enumerate(jobs):
            source = os.path.join(folder, f"model{i}.keras")
            model.save(source, include_optimizer=False)
            plan.append([source, os.path.abspath(filepath), format])
        run_child(folder, plan, f"Exporting to {sorted({format for _, _, format in jobs})}")


def run_child(folder, plan, what):
    """Run ``child.py`` with the other framework's backend on ``plan`` (written to ``folder/jobs.json``).

    ``plan`` is a list of ``[model.keras, target, format]`` jobs, or an ``ExportArchive`` plan
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
