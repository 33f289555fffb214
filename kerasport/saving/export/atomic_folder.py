"""Crash-safe folder writes (SavedModels): build the folder beside the target, then swap it in."""
import contextlib
import os
import secrets
import shutil


@contextlib.contextmanager
def atomic_folder(path):
    """Yield a fresh temporary folder beside ``path``; on success it replaces ``path``.

    An existing ``path`` is moved aside and deleted only after the new folder is in
    place; on any error the temporary folder is removed and ``path`` is left as it was.
    """
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    token = f"{os.getpid()}.{secrets.token_hex(4)}"
    tmp = os.path.join(parent, f".{os.path.basename(path)}.{token}.tmp")
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if os.path.lexists(path):
        if not os.path.isdir(path):
            shutil.rmtree(tmp, ignore_errors=True)
            raise FileExistsError(f"{path} exists and is not a folder; a SavedModel is a folder.")
        old = os.path.join(parent, f".{os.path.basename(path)}.{token}.old")
        os.replace(path, old)
    os.replace(tmp, path)
    if old:
        shutil.rmtree(old, ignore_errors=True)
