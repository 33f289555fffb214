"""Crash-safe file writes: write a temporary file beside the target, then rename it over the target.

A reader sees either the old file or the complete new one, never a partial
write, even if the process is killed mid-save.
"""
import contextlib
import os
import secrets


@contextlib.contextmanager
def atomic_write(filepath, overwrite=True):
    """Yield a temporary path in ``filepath``'s folder; on success it replaces ``filepath``.

    The folder is created if missing. The new file is flushed to disk
    (``fsync``) before ``os.replace`` moves it into place, and the folder entry
    afterwards. On any error the temporary file is removed and the target is
    left as it was.

    Args:
        filepath: the file to write.
        overwrite: when False and ``filepath`` exists, raise ``FileExistsError``
            instead of replacing it.

    Example::

        with atomic_write("model.h5") as tmp:
            with h5py.File(tmp, "w") as f:
                ...
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} already exists and overwrite=False; pass overwrite=True to replace it.")
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(filepath)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # the umask applies, as for open()
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder):
    """Persist the rename itself (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
