"""Crash-safe file writes: write a temporary file beside the target, then rename it over the target.

A reader sees either the old file or the complete new one, never a partial
write, even if the process is killed mid-save. The temporary file such a kill
leaves behind is removed by the next save to the same target.
"""
import contextlib
import os
import re
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
    _remove_leftovers(folder, os.path.basename(filepath))
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


def _remove_leftovers(folder, name):
    """Delete the temporary files that saves to ``name`` killed mid-write left in ``folder``.

    Only names of ``atomic_write``'s own pattern for this target
    (``.<name>.<pid>.<8 hex digits>.tmp``) whose writing process is gone are removed:
    a save still running in another process keeps its file, and no other file is touched.
    """
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[0-9a-f]{{8}}\.tmp")
    for entry in os.listdir(folder):
        match = pattern.fullmatch(entry)
        if match and not _process_alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(folder, entry))


def _process_alive(pid):
    """Whether process ``pid`` exists (True when that cannot be told, so that its file is kept)."""
    if pid == os.getpid() or os.name == "nt":  # on Windows, os.kill(pid, 0) would send CTRL_C_EVENT
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, ValueError, OverflowError):
        return True
    return True


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
