"""``get_file``: download a file once into Keras's cache (``~/.keras`` or ``$KERAS_HOME``), check it, unpack it.

The cache layout, file names and hashes are Keras's, so a file that Keras has
already downloaded is found and used without a network.
"""
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from kerasport.utils import io_utils
from kerasport.utils.progbar import Progbar


def keras_home():
    """Keras's cache root: ``$KERAS_HOME`` when set, else ``~/.keras``."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    return os.path.join(os.path.expanduser("~"), ".keras")


def resolve_hasher(algorithm, file_hash=None):
    """A ``hashlib`` object: sha256 for ``"sha256"`` (or ``"auto"`` with a 64-character hash), else md5."""
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm not in ("auto", "md5"):
        raise ValueError(f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5', received {algorithm!r}.")
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of a file (``algorithm``: ``"sha256"``, ``"md5"``, ``"auto"`` or a hashlib object)."""
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file's sha256 or md5 digest equals ``file_hash``."""
    return hash_file(fpath, resolve_hasher(algorithm, file_hash), chunk_size) == str(file_hash)


def _inside(base, name):
    """Whether archive member ``name`` lands inside ``base`` once extracted."""
    base = os.path.realpath(base)
    target = os.path.realpath(os.path.join(base, name))
    return os.path.commonpath([base, target]) == base


def _safe_tar_members(archive, base):
    for info in archive.getmembers():
        ok = _inside(base, info.name)
        if ok and info.issym():
            ok = _inside(base, os.path.join(os.path.dirname(info.name), info.linkname))
        elif ok and info.islnk():
            ok = _inside(base, info.linkname)
        if ok:
            yield info
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: {info.name!r}.", stacklevel=3)


def extract_archive(file_path, path=".", archive_format="auto"):
    """Unpack a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``) or zip archive into ``path``.

    Members that would land outside ``path`` (``../`` names, absolute paths,
    links pointing out) are skipped with a warning.

    Args:
        file_path: the archive.
        path: folder to extract into.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list
            of those, or ``None`` (extract nothing).

    Returns:
        True when the file was an archive of an allowed format and was extracted.
    """
    if not archive_format:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in formats:
        if kind not in ("tar", "zip"):
            raise ValueError(f"extract_archive: archive_format must be 'auto', 'tar', 'zip' or None, "
                             f"received {kind!r}.")
        if not (tarfile.is_tarfile if kind == "tar" else zipfile.is_zipfile)(file_path):
            continue
        try:
            if kind == "tar":
                with tarfile.open(file_path) as archive:
                    kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                    archive.extractall(path, members=_safe_tar_members(archive, path), **kwargs)
            else:
                with zipfile.ZipFile(file_path) as archive:
                    members = [m for m in archive.infolist() if _inside(path, m.filename)]
                    for m in set(archive.infolist()) - set(members):
                        warnings.warn(f"Skipping invalid path during archive extraction: {m.filename!r}.",
                                      stacklevel=2)
                    archive.extractall(path, members=members)
        except (tarfile.TarError, zipfile.BadZipFile, RuntimeError, KeyboardInterrupt):
            if os.path.isfile(path):
                os.remove(path)
            elif os.path.isdir(path):
                shutil.rmtree(path)
            raise
        return True
    return False


class _DownloadProgress:
    """``urlretrieve``'s report hook drawing a ``Progbar`` of bytes."""

    def __init__(self):
        self.progbar = None
        self.finished = False

    def __call__(self, block_num, block_size, total_size):
        total = None if total_size == -1 else total_size
        if self.progbar is None:
            self.progbar = Progbar(total)
        current = block_num * block_size
        if total is None or current < total:
            self.progbar.update(current)
        elif not self.finished:
            self.progbar.update(total)
            self.finished = True


def _download(origin, target, file_hash, hash_algorithm):
    """Download ``origin`` to a temporary file beside ``target``, check its hash, and rename it into place."""
    io_utils.print_msg(f"Downloading data from {origin}")
    fd, partial = tempfile.mkstemp(dir=os.path.dirname(target), prefix=os.path.basename(target) + ".",
                                   suffix=".part")
    os.close(fd)
    try:
        try:
            urllib.request.urlretrieve(origin, partial, _DownloadProgress())
        except urllib.error.HTTPError as e:
            raise Exception(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
        except urllib.error.URLError as e:
            raise Exception(f"URL fetch failure on {origin}: {e.errno} -- {e.reason}") from e
        if file_hash is not None and not validate_file(partial, file_hash, algorithm=hash_algorithm):
            raise ValueError(f"Incomplete or corrupted file detected. The {hash_algorithm} file hash does not "
                             f"match the provided value of {file_hash}.")
        os.replace(partial, target)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Download a file from a URL unless it is already in the cache; returns its local path.

    The file goes to ``cache_dir/cache_subdir/fname`` (``~/.keras/datasets/fname``
    by default; ``$KERAS_HOME`` replaces ``~/.keras``, and ``/tmp/.keras`` is used
    when the cache folder is not writable). A cached file whose hash does not match
    ``file_hash`` is downloaded again. The download is written to a temporary file
    and renamed into place only once complete and verified, so an interrupted
    download never leaves a half-written file in the cache. ``file://`` URLs work.

    Args:
        fname: local file name; by default the last part of ``origin``'s path.
            With ``extract=True``: a name without a dot names the extraction
            folder (the archive is kept as ``{fname}_archive``); a name with a dot
            names the archive (extracted to ``{stem}_extracted``).
        origin: URL of the file.
        untar: deprecated; same as ``extract=True, archive_format="tar"``.
        md5_hash: deprecated; same as ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: expected sha256 or md5 hex digest of the file.
        cache_subdir: folder under the cache root (an absolute path is used as is).
        hash_algorithm: ``"auto"`` (sha256 for a 64-character hash, else md5),
            ``"sha256"`` or ``"md5"``.
        extract: unpack the archive (tar or zip) and return the extraction folder.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"`` or ``None``.
        cache_dir: cache root instead of ``$KERAS_HOME`` / ``~/.keras``.
        force_download: download even when a cached file is there.

    Returns:
        The path of the downloaded file, or of the extraction folder with ``extract=True``.
    """
    if origin is None:
        raise ValueError('get_file: please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(keras_home() if cache_dir is None else os.fspath(cache_dir))
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        pass
    if not os.access(base, os.W_OK):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    given = fname is not None and os.fspath(fname) != ""
    fname = os.fspath(fname) if given else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"get_file: can't parse the file name from the origin provided: {origin!r}. "
                         "Please specify the `fname` argument.")
    if os.sep in fname:
        raise ValueError("get_file: paths are not accepted as the `fname` argument; use `cache_dir` to choose "
                         f"the folder. Received: fname={fname}")
    if extract or untar:
        if given and "." in fname:
            target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, fname[:fname.find(".")] + "_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, fname + "_archive")
    else:
        target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and not validate_file(target, file_hash, algorithm=hash_algorithm):
        io_utils.print_msg(f"A local file was found, but it seems to be incomplete or outdated because the "
                           f"{hash_algorithm} file hash does not match the original value of {file_hash} so we "
                           "will re-download the data.")
        download = True
    if download:
        _download(origin, target, file_hash, hash_algorithm)

    if extract or untar:
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return target
