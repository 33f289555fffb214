"""Build small saved models and edit their files in place, for tests of damaged and crafted files."""
import io
import json
import zipfile

import h5py
import numpy as np

import kerasport

FORMATS = ("h5", "weights.h5", "keras")


def small_model():
    """A 4 -> 3 -> 2 Functional MLP with distinct, known weights."""
    inputs = kerasport.Input((4,))
    hidden = kerasport.layers.Dense(3, activation="relu", name="a")(inputs)
    model = kerasport.Model(inputs, kerasport.layers.Dense(2, name="b")(hidden))
    model.set_weights([np.arange(np.prod(w.shape), dtype="float32").reshape(w.shape) / 10 + i
                       for i, w in enumerate(model.get_weights())])
    return model


def save(model, folder, fmt):
    """Save ``model`` as ``folder/m.<fmt>`` (weights only for ``weights.h5``); return the path."""
    path = folder / f"m.{fmt}"
    if fmt == "weights.h5":
        model.save_weights(path)
    else:
        model.save(path)
    return path


def load_into(model, path, fmt):
    """Load ``path`` the way its format is meant to be loaded; return the model that holds the weights."""
    if fmt == "weights.h5":
        model.load_weights(path)
        return model
    return kerasport.saving.load_model(path)


def read_archive(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_archive(path, entries):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)


def edit_h5(path, fmt, edit):
    """Call ``edit(h5py.File)`` on the HDF5 part of ``path`` (inside the zip for ``.keras``), in place."""
    if fmt != "keras":
        with h5py.File(path, "r+") as f:
            edit(f)
        return
    entries = read_archive(path)
    buffer = io.BytesIO(entries["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        edit(f)
    entries["model.weights.h5"] = buffer.getvalue()
    write_archive(path, entries)


def datasets(f):
    """``{name: dataset}`` of every dataset in the open file ``f``."""
    found = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            found[name] = obj
    f.visititems(visit)
    return found


def model_weight_datasets(f):
    """Names of the datasets that hold the model's weights (not the optimizer's), in file order."""
    return sorted(n for n in datasets(f) if not n.startswith(("optimizer", "optimizer_weights")))


def replace_dataset(f, name, **create_kwargs):
    """Delete dataset ``name`` and create a new one in its place with ``create_kwargs``."""
    parent, _, leaf = name.rpartition("/")
    group = f[parent] if parent else f
    del group[leaf]
    group.create_dataset(leaf, **create_kwargs)


def edit_config(path, fmt, edit):
    """Call ``edit(config_dict)`` (it returns the new config) on the model config of a ``.h5`` / ``.keras`` file."""
    if fmt == "h5":
        with h5py.File(path, "r+") as f:
            f.attrs["model_config"] = json.dumps(edit(json.loads(f.attrs["model_config"])))
        return
    entries = read_archive(path)
    entries["config.json"] = json.dumps(edit(json.loads(entries["config.json"]))).encode()
    write_archive(path, entries)
