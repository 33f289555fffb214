"""``KerasFileEditor``: inspect and edit the weights of a ``.keras`` or ``.weights.h5`` file, and save them again.

The weights are read into ``weights_dict``, a nested dict that mirrors the file: one key per
object path element (``"layers"``, ``"dense"``, ...) and, for an object's own variables, the
keys of its ``vars`` group (``"0"``, ``"1"``, ...) mapping to NumPy arrays. Every dataset is
checked before it is read (``h5.checked_dataset``: no links, external or virtual data, or
sizes the file cannot hold), and the source file is never written unless asked.
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

from kerasport.saving import h5, keras_v3
from kerasport.saving.atomic import atomic_write

_WEIGHTS = "model.weights.h5"


class KerasFileEditor:
    """Utility to inspect, edit, and resave Keras weights files.

    Useful to adapt an old weights file to a model whose architecture changed: rename,
    delete or add objects (layers) and weights, compare the file with a model, then save
    the result (``.weights.h5``, or ``.keras`` when the source is a ``.keras`` file: its
    config, metadata and assets are kept and the weights replaced).

    Args:
        filepath: the ``.keras`` or ``.weights.h5`` file (Keras 3's or kerasport's) to inspect and edit.

    Attributes:
        weights_dict: the nested dict of the file's weights (edited in place by the methods).
        object_metadata: ``{object path: attributes}`` of the file's groups.
        config, metadata: a ``.keras`` file's ``config.json`` and ``metadata.json`` (``None`` otherwise).

    Example::

        editor = KerasFileEditor("my_model.weights.h5")
        editor.summary()
        editor.delete_object("layers/dense_2")
        editor.add_object("layers/einsum_dense", weights={"0": kernel, "1": bias})
        editor.save("edited_model.weights.h5")
    """

    def __init__(self, filepath):
        self.filepath = os.fspath(filepath)
        self.metadata = None
        self.config = None
        if self.filepath.endswith(".keras"):
            self.config, content = keras_v3.read_archive(self.filepath)
            self.metadata = self._read_metadata()
        elif self.filepath.endswith(".weights.h5"):
            content = None
        else:
            raise ValueError(f"Invalid filename: expected a `.keras` `.weights.h5` extension. "
                             f"Received: filepath={self.filepath}")
        self.object_metadata = {}
        with h5.open_h5(self.filepath, content) as f:
            self.weights_dict = _read_tree(f, "", self.filepath, self.object_metadata)
        print(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            print(f"Saved with Keras {self.metadata.get('keras_version')} - date: {self.metadata.get('date_saved')}")

    # ------------------------------------------------------------------ reading
    def _read_metadata(self):
        try:
            with zipfile.ZipFile(self.filepath) as z:
                if "metadata.json" not in z.namelist():
                    return None
                metadata = json.loads(z.read("metadata.json"))
        except (zipfile.BadZipFile, OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{self.filepath}: metadata.json is not readable JSON: {e}") from None
        if not isinstance(metadata, dict):
            raise ValueError(f"{self.filepath}: metadata.json should hold a JSON object, found "
                             f"{type(metadata).__name__}.")
        return metadata

    # ------------------------------------------------------------------ inspecting
    def summary(self):
        """Prints the weight structure of the opened file."""
        print("Weights structure")
        self._print_tree(self.weights_dict, "  ", "", True)

    def _print_tree(self, tree, prefix, path, first):
        items = list(tree.items())
        for i, (key, value) in enumerate(items):
            last = i == len(items) - 1
            connector = "> " if first and i == 0 else "└─ " if last else "├─ "
            inner = f"{path}/{key}" if path else key
            if isinstance(value, dict):
                name = self.object_metadata.get(inner, {}).get("name")
                print(f"{prefix}{connector}{key}" + (f" ('{name}')" if name and name != key else ""))
                self._print_tree(value, prefix + ("    " if last else "│   "), inner, False)
            else:
                print(f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}")

    def compare(self, reference_model):
        """Compares the opened file to a reference model, printing every mismatch.

        Args:
            reference_model: the model whose weights the file should fit.

        Returns:
            ``{"status": "success" or "error", "error_count": n, "match_count": m}``.
        """
        print("Running comparison")
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            keras_v3.write_weights(f, reference_model)
        with h5py.File(buffer, "r") as f:
            reference_dict = _read_tree(f, "", "reference model", {})
        checked = set()
        errors, matches = _compare(self.weights_dict, reference_dict, "", "saved file", "reference model", checked)
        reverse_errors, _ = _compare(reference_dict, self.weights_dict, "", "reference model", "saved file", checked)
        errors += reverse_errors
        print("─────────────────────")
        if errors == 0:
            print("Comparison successful: saved file is compatible with the reference model")
            print(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
        else:
            print(f"Found {errors} error{'' if errors == 1 else 's'}: saved file is not compatible with the "
                  "reference model")
        return {"status": "success" if errors == 0 else "error", "error_count": errors, "match_count": matches}

    # ------------------------------------------------------------------ editing
    def _locate(self, name):
        """``(parent dict, key)`` of the object ``name``: a path (``"layers/dense"``) or a name found once."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"Expected an object name or path (a non-empty string), received {name!r}.")
        if "/" in name:
            *parents, leaf = name.split("/")
            node = self.weights_dict
            for element in parents:
                if not isinstance(node.get(element), dict):
                    raise ValueError(f"Path '{name}' not found in model.")
                node = node[element]
            if leaf not in node:
                raise ValueError(f"Path '{name}' not found in model.")
            return node, leaf
        found = []

        def visit(node):
            for key, value in node.items():
                if key == name:
                    found.append(node)
                if isinstance(value, dict):
                    visit(value)

        visit(self.weights_dict)
        if len(found) > 1:
            raise ValueError(f"Name '{name}' occurs more than once in the model; try passing a complete path")
        if not found:
            raise ValueError(f"Source name '{name}' does not appear in the model. Use `editor.summary()` to list "
                             "all objects.")
        return found[0], name

    def _object(self, name):
        parent, key = self._locate(name)
        if not isinstance(parent[key], dict):
            raise ValueError(f"'{name}' is a weight, not an object; expected an object (e.g. a layer) name or path.")
        return parent, key

    def rename_object(self, object_name, new_name):
        """Rename an object in the file (e.g. a layer).

        Args:
            object_name: name or path of the object to rename (e.g. ``"dense_2"`` or ``"layers/dense_2"``).
            new_name: new name of the object (a leaf name, not a path).
        """
        if not isinstance(new_name, str) or not new_name or "/" in new_name:
            raise ValueError(f"Argument `target_name` should be a leaf name, not a full path name. "
                             f"Received: target_name='{new_name}'")
        parent, key = self._locate(object_name)
        if new_name in parent and new_name != key:
            raise ValueError(f"Cannot rename '{object_name}' to '{new_name}': an object named '{new_name}' is "
                             "already there.")
        parent[new_name] = parent.pop(key)

    def delete_object(self, object_name):
        """Removes an object from the file (e.g. a layer).

        Args:
            object_name: name or path of the object to delete (e.g. ``"dense_2"`` or ``"layers/dense_2"``).
        """
        parent, key = self._locate(object_name)
        parent.pop(key)

    def add_object(self, object_path, weights):
        """Add a new object to the file (e.g. a layer).

        Args:
            object_path: full path of the object to add (e.g. ``"layers/dense_2"``); its parents must exist.
            weights: dict mapping weight names to arrays, e.g. ``{"0": kernel_value, "1": bias_value}``.
        """
        weights = _checked_weights(weights)
        if not isinstance(object_path, str) or not object_path or object_path.endswith("/"):
            raise ValueError(f"Expected `object_path` to be a path such as 'layers/dense_2', received {object_path!r}.")
        *parents, leaf = object_path.split("/")
        node = self.weights_dict
        for element in parents:
            if not isinstance(node.get(element), dict):
                raise ValueError(f"Path '{'/'.join(parents)}' not found in model.")
            node = node[element]
        if leaf in node:
            raise ValueError(f"Object '{object_path}' already exists; use add_weights() to add weights to it, or "
                             "delete_object() first.")
        node[leaf] = weights

    def delete_weight(self, object_name, weight_name):
        """Removes a weight from an existing object.

        Args:
            object_name: name or path of the object (e.g. ``"dense_2"`` or ``"layers/dense_2"``).
            weight_name: name of the weight to delete (e.g. ``"0"``).
        """
        parent, key = self._object(object_name)
        weights = parent[key]
        if weight_name not in weights or isinstance(weights[weight_name], dict):
            raise ValueError(f"Weight {weight_name} not found in object {object_name}. Weights found: "
                             f"{[k for k, v in weights.items() if not isinstance(v, dict)]}")
        weights.pop(weight_name)

    def add_weights(self, object_name, weights):
        """Add one or more new weights to an existing object.

        Args:
            object_name: name or path of the object (e.g. ``"dense_2"`` or ``"layers/dense_2"``).
            weights: dict mapping weight names to arrays, e.g. ``{"0": kernel_value, "1": bias_value}``.
        """
        weights = _checked_weights(weights)
        parent, key = self._object(object_name)
        parent[key].update(weights)

    # ------------------------------------------------------------------ saving
    def save(self, filepath, overwrite=False):
        """Save the edited weights.

        Args:
            filepath: a ``.weights.h5`` file, or a ``.keras`` file when the opened file is one (its config,
                metadata and assets are kept; the weights are the edited ones). Written atomically.
            overwrite: the opened file itself is replaced only when this is ``True``.
        """
        filepath = os.fspath(filepath)
        keras_file = filepath.endswith(".keras")
        if not filepath.endswith(".weights.h5") and not (keras_file and self.config is not None):
            allowed = "a `.weights.h5` or `.keras`" if self.config is not None else "a `.weights.h5`"
            raise ValueError(f"Invalid `filepath` argument: expected {allowed} extension. Received: "
                             f"filepath={filepath}")
        if os.path.exists(filepath) and os.path.samefile(filepath, self.filepath) and not overwrite:
            raise ValueError(f"Refusing to overwrite the opened file {self.filepath}; pass overwrite=True to "
                             "replace it, or save to another path.")
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            self._write_group(f, self.weights_dict, "")
        if not keras_file:
            with atomic_write(filepath) as tmp, open(tmp, "wb") as out:
                out.write(buffer.getvalue())
            return
        with zipfile.ZipFile(self.filepath) as source:
            members = [(info, source.read(info)) for info in source.infolist() if info.filename != _WEIGHTS]
        with atomic_write(filepath) as tmp, zipfile.ZipFile(tmp, "w") as z:
            for info, data in members:
                z.writestr(info, data)
            z.writestr(_WEIGHTS, buffer.getvalue())

    def resave_weights(self, filepath):
        """``save(filepath)``, Keras's older name."""
        self.save(filepath)

    def _write_group(self, group, tree, path):
        leaves = {k: v for k, v in tree.items() if not isinstance(v, dict)}
        if leaves:
            vars_group = group.create_group("vars")
            for name, value in self.object_metadata.get(path, {}).items():
                vars_group.attrs[name] = value
            for name, value in leaves.items():
                vars_group.create_dataset(name, data=value)
        for key, value in tree.items():
            if isinstance(value, dict) and value:
                self._write_group(group.create_group(key), value, f"{path}/{key}" if path else key)


def _read_tree(group, path, filepath, metadata):
    """The nested dict of ``group`` (at object path ``path``): its ``vars`` datasets and its child objects.

    Each ``vars`` group's attributes go to ``metadata[path]``; every dataset is checked before it is read.
    """
    out = {}
    for key in group.keys():
        link = group.get(key, getlink=True)
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            raise ValueError(f"{filepath}: {group.name.rstrip('/')}/{key} is an HDF5 {type(link).__name__}; "
                             "a weights file must hold its objects itself.")
        child = group[key]
        if key == "vars" and isinstance(child, h5py.Group):
            if child.attrs:
                metadata[path] = {k: _plain(v) for k, v in child.attrs.items()}
            for name in child.keys():
                out[name] = np.asarray(h5.checked_dataset(child, name, filepath)[()])
        elif isinstance(child, h5py.Group):
            inner = _read_tree(child, f"{path}/{key}" if path else key, filepath, metadata)
            if inner:
                out[key] = inner
        else:
            raise ValueError(f"{filepath}: {child.name} is a dataset outside a `vars` group; expected Keras 3's "
                             "layout (<object path>/vars/<index>).")
    return out


def _checked_weights(weights):
    if not isinstance(weights, dict):
        raise ValueError(f"Argument `weights` should be a dict where keys are weight names (usually '0', '1', etc.) "
                         f"and values are NumPy arrays. Received: type(weights)={type(weights)}")
    out = {}
    for name, value in weights.items():
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"Weight names must be non-empty strings without '/' (usually '0', '1', ...); "
                             f"received {name!r}.")
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise ValueError(f"Weight {name!r} should be a numeric array; received dtype {array.dtype}.")
        out[name] = array
    return out


def _plain(value):
    return value.decode("utf8") if isinstance(value, bytes) else value


def _compare(target, reference, path, target_name, reference_name, checked):
    """``(errors, matches)`` of ``target`` against ``reference`` (nested weight dicts), printing each mismatch."""
    errors = matches = 0
    for key, value in reference.items():
        inner = f"{path}/{key}"
        if inner in checked:
            continue
        if key not in target:
            errors += 1
            checked.add(inner)
            if isinstance(value, dict):
                print(f"...Object {inner} present in {reference_name}, missing from {target_name}")
                print(f"    In {reference_name}, {inner} contains the following keys: {list(value)}")
            else:
                print(f"...Weight {inner} present in {reference_name}, missing from {target_name}")
        elif isinstance(value, dict) != isinstance(target[key], dict):
            errors += 1
            checked.add(inner)
            print(f"...{inner} is an object in one and a weight in the other")
        elif isinstance(value, dict):
            sub_errors, sub_matches = _compare(target[key], value, inner, target_name, reference_name, checked)
            errors += sub_errors
            matches += sub_matches
        elif target[key].shape != value.shape:
            errors += 1
            checked.add(inner)
            print(f"...Weight shape mismatch for {inner}\n    In {reference_name}: shape={value.shape}\n"
                  f"    In {target_name}: shape={target[key].shape}")
        else:
            matches += 1
    return errors, matches
