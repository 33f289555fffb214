"""The ``kerasport`` command: inspect, convert, run and draw model files from the shell.

``kerasport info FILE``, ``kerasport convert IN OUT [--format F]``, ``kerasport predict FILE
data.npy --out preds.npy`` and ``kerasport plot FILE model.png``. Files load in safe mode
(no stored bytecode is run) unless ``--unsafe`` is given. Bad input exits with status 1
and one ``kerasport: error: ...`` line on stderr. The backend is ``KERASPORT_BACKEND``'s.
"""
import argparse
import io
import json
import os
import sys
import zipfile

import numpy as np

_MODEL_EXTENSIONS = (".keras", ".h5", ".hdf5")


class _Refusal(ValueError):
    """Bad input, reported as one line."""


def _check_file(path):
    if not os.path.isfile(path):
        raise _Refusal(f"no such file: {path}")


def _load(path, unsafe, compile=False):
    """The model in ``path`` (``.keras`` or ``.h5``)."""
    from kerasport.saving import load_model
    _check_file(path)
    if path.lower().endswith(".weights.h5"):
        raise _Refusal(f"{path} holds weights only, no architecture; give a `.keras` or `.h5` model file.")
    return load_model(path, compile=compile, safe_mode=not unsafe)


def _file_facts(path):
    """``(format, writer, backend, has_optimizer)`` read from the file itself, without building the model."""
    import h5py
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            metadata = json.loads(z.read("metadata.json")) if "metadata.json" in names else {}
            weights = z.read("model.weights.h5") if "model.weights.h5" in names else None
        optimizer = False
        if weights is not None:
            with h5py.File(io.BytesIO(weights), "r") as f:
                optimizer = "optimizer" in f
        return ".keras archive", metadata.get("keras_version"), None, optimizer
    from kerasport.saving.h5 import open_h5
    with open_h5(path) as f:
        kind = "Keras 3 weights (.weights.h5)" if "layer_names" not in f.attrs and "model_config" not in f.attrs \
            and "model_weights" not in f else "Keras HDF5 (.h5)"
        version, backend = (f.attrs.get(k) for k in ("keras_version", "backend"))
        decode = (lambda v: v.decode() if isinstance(v, bytes) else v)
        return kind, decode(version), decode(backend), "optimizer_weights" in f or "optimizer" in f


def _info(args):
    _check_file(args.file)
    kind, version, backend, optimizer = _file_facts(args.file)
    print(f"File: {args.file}")
    print(f"Format: {kind}")
    print(f"Written by: Keras format version {version or 'unknown'}, backend {backend or 'not recorded'}")
    print(f"Optimizer state: {'yes' if optimizer else 'no'}")
    if kind.startswith("Keras 3 weights"):
        import h5py
        with h5py.File(args.file, "r") as f:
            sizes = []
            f.visititems(lambda name, obj: sizes.append(obj.size) if isinstance(obj, h5py.Dataset)
                         and not name.startswith("optimizer") else None)
        print(f"Weights only: {len(sizes)} arrays, {sum(sizes):,} values")
        return
    model = _load(args.file, args.unsafe)
    model.summary()


def _convert(args):
    from kerasport.saving.export import EXTENSIONS, export_models
    target = args.output
    lower = target.lower()
    format = args.format or next((fmt for ext, fmt in EXTENSIONS.items() if lower.endswith(ext)), None)
    if format is None and not lower.endswith(_MODEL_EXTENSIONS):
        raise _Refusal(f"cannot tell the format of {target}: use a .keras, .h5, .weights.h5, "
                       f"{', '.join(EXTENSIONS)} name, or --format tf_saved_model (a folder).")
    model = _load(args.input, args.unsafe, compile=format is None)
    if format is not None:
        export_models([(model, target, format)], verbose=False)
    elif lower.endswith(".weights.h5"):
        model.save_weights(target)
    else:
        model.save(target)
    print(f"Wrote {target}")


def _read_inputs(path, model):
    _check_file(path)
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise _Refusal(f"{path} is not a readable .npy/.npz file: {e}") from None
    if isinstance(data, np.ndarray):
        return data
    with data:
        names = list(getattr(model, "input_names", None) or [])
        nested = getattr(model, "_nested_inputs", None)
        keys = sorted(nested) if isinstance(nested, dict) else names
        missing = [k for k in keys if k not in data.files]
        if missing:
            raise _Refusal(f"{path} holds {data.files}; the model's inputs are {keys} (missing {missing}).")
        return {k: data[k] for k in keys}


def _predict(args):
    from kerasport.saving.atomic import atomic_write
    model = _load(args.file, args.unsafe)
    x = _read_inputs(args.data, model)
    try:
        predictions = model.predict(x, batch_size=args.batch_size, verbose=0)
    except ValueError as e:
        raise _Refusal(f"the data in {args.data} does not fit the model: {e}") from None
    several = isinstance(predictions, (list, dict))
    if several and not args.out.lower().endswith(".npz"):
        raise _Refusal(f"the model has {len(predictions)} outputs: give an .npz --out file to hold them all.")
    with atomic_write(args.out) as tmp, open(tmp, "wb") as f:
        if isinstance(predictions, dict):
            np.savez(f, **predictions)
        elif several:
            np.savez(f, **{f"output_{i}": p for i, p in enumerate(predictions)})
        elif args.out.lower().endswith(".npz"):
            np.savez(f, output_0=predictions)
        else:
            np.save(f, predictions)
    print(f"Wrote {args.out}")


def _plot(args):
    from kerasport.utils.model_visualization import plot_model
    model = _load(args.file, args.unsafe)
    plot_model(model, args.image, show_shapes=args.show_shapes, show_dtype=args.show_dtype,
               rankdir=args.rankdir, expand_nested=args.expand_nested, dpi=args.dpi)
    print(f"Wrote {args.image}")


def _parser():
    parser = argparse.ArgumentParser(prog="kerasport", description="Inspect, convert, run and draw model files.")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name, handler, help):
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        sub.add_argument("--unsafe", action="store_true",
                         help="load files that hold Python bytecode (Lambda layers); only for files you trust")
        return sub

    sub = command("info", _info, "Architecture summary, parameter count, writer version and backend, optimizer.")
    sub.add_argument("file")
    sub = command("convert", _convert, "Convert between .h5, .keras and .weights.h5, or export "
                  "(.pt2, .onnx, .tflite, or --format tf_saved_model).")
    sub.add_argument("input")
    sub.add_argument("output")
    sub.add_argument("--format", choices=["torch", "onnx", "tf_saved_model", "litert"],
                     help="export format (default: from OUT's extension)")
    sub = command("predict", _predict, "Run the model on an .npy array (or an .npz of named inputs).")
    sub.add_argument("file")
    sub.add_argument("data")
    sub.add_argument("--out", required=True, help="where to write the predictions (.npy, or .npz)")
    sub.add_argument("--batch-size", type=int, default=32)
    sub = command("plot", _plot, "Draw the model's graph (needs pydot and graphviz).")
    sub.add_argument("file")
    sub.add_argument("image")
    sub.add_argument("--show-shapes", action="store_true")
    sub.add_argument("--show-dtype", action="store_true")
    sub.add_argument("--expand-nested", action="store_true")
    sub.add_argument("--rankdir", default="TB", choices=["TB", "LR", "BT", "RL"])
    sub.add_argument("--dpi", type=int, default=200)
    return parser


def main(argv=None):
    """Run the ``kerasport`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        args.handler(args)
    except Exception as error:  # any failure is reported as one line, with a non-zero status
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"kerasport {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
