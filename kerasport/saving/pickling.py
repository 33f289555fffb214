"""A model pickled as the bytes of its ``.keras`` file (what ``Model.__reduce__`` hands to ``pickle``)."""
import os
import tempfile


def model_to_keras_bytes(model):
    """The bytes of ``model`` saved as a ``.keras`` file."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        with open(path, "rb") as f:
            return f.read()


def model_from_keras_bytes(data):
    """The model of a ``.keras`` file's bytes, compiled, loaded with ``safe_mode=False`` (unpickling runs code anyway)."""
    from kerasport.saving.saving_api import load_model
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        return load_model(path, safe_mode=False)
