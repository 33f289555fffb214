"""``kerasport.utils.get_file``: cache layout, hashes, atomic download and extraction, all without a network
(``file://`` URLs and a local HTTP server thread)."""
import functools
import hashlib
import http.server
import io
import os
import pathlib
import tarfile
import threading
import zipfile

import pytest

from kerasport.utils import file_utils, get_file

PAYLOAD = b"kerasport " * 1000


@pytest.fixture
def src(tmp_path):
    """A folder of files to 'download'."""
    folder = tmp_path / "remote"
    folder.mkdir()
    (folder / "data.bin").write_bytes(PAYLOAD)
    with tarfile.open(folder / "pack.tar.gz", "w:gz") as tar:
        for name, body in (("pack/a.txt", b"alpha"), ("pack/sub/b.txt", b"beta")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    with zipfile.ZipFile(folder / "pack.zip", "w") as z:
        z.writestr("z/a.txt", "zeta")
    return folder


@pytest.fixture
def server(src):
    """An HTTP server on localhost serving ``src``; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(src))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def url(path):
    return pathlib.Path(path).as_uri()


def test_file_url_download_into_cache_dir(src, tmp_path):
    cache = tmp_path / "cache"
    path = get_file("copy.bin", origin=url(src / "data.bin"), cache_dir=str(cache))
    assert path == os.path.join(str(cache), "datasets", "copy.bin")
    assert open(path, "rb").read() == PAYLOAD
    assert os.listdir(os.path.dirname(path)) == ["copy.bin"]  # no temporary file left behind


def test_http_download_and_name_from_origin(server, tmp_path):
    path = get_file(origin=server + "data.bin", cache_dir=str(tmp_path), cache_subdir="models")
    assert path == os.path.join(str(tmp_path), "models", "data.bin")
    assert open(path, "rb").read() == PAYLOAD


def test_keras_home_is_the_default_cache(src, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    path = get_file("d.bin", origin=url(src / "data.bin"))
    assert path == os.path.join(str(tmp_path / "home"), "datasets", "d.bin")


def test_default_cache_is_dot_keras(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert file_utils.keras_home() == os.path.join(str(tmp_path), ".keras")


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_hash_checked_and_cached_file_reused_offline(src, tmp_path, algorithm):
    digest = getattr(hashlib, algorithm)(PAYLOAD).hexdigest()
    path = get_file("h.bin", origin=url(src / "data.bin"), file_hash=digest, cache_dir=str(tmp_path))
    assert file_utils.validate_file(path, digest)
    # Cached and valid: the origin is not contacted (it no longer exists).
    again = get_file("h.bin", origin=url(src / "missing.bin"), file_hash=digest, cache_dir=str(tmp_path),
                     hash_algorithm=algorithm)
    assert again == path


def test_md5_hash_legacy_argument(src, tmp_path):
    path = get_file("m.bin", origin=url(src / "data.bin"), md5_hash=hashlib.md5(PAYLOAD).hexdigest(),
                    cache_dir=str(tmp_path))
    assert os.path.exists(path)


def test_bad_hash_raises_and_leaves_no_file(src, tmp_path):
    with pytest.raises(ValueError, match="hash does not match"):
        get_file("bad.bin", origin=url(src / "data.bin"), file_hash="0" * 64, cache_dir=str(tmp_path))
    assert os.listdir(tmp_path / "datasets") == []


def test_stale_cached_file_is_downloaded_again(src, tmp_path, capsys):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "s.bin").write_bytes(b"truncated")
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    path = get_file("s.bin", origin=url(src / "data.bin"), file_hash=digest, cache_dir=str(tmp_path))
    assert open(path, "rb").read() == PAYLOAD
    assert "re-download" in capsys.readouterr().out


def test_force_download_replaces_cached_file(src, tmp_path):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "f.bin").write_bytes(b"old")
    path = get_file("f.bin", origin=url(src / "data.bin"), cache_dir=str(tmp_path))
    assert open(path, "rb").read() == b"old"
    path = get_file("f.bin", origin=url(src / "data.bin"), cache_dir=str(tmp_path), force_download=True)
    assert open(path, "rb").read() == PAYLOAD


def test_failed_download_keeps_cache_clean(tmp_path, server):
    with pytest.raises(Exception, match="URL fetch failure"):
        get_file("x.bin", origin=server + "nope.bin", cache_dir=str(tmp_path))
    assert os.listdir(tmp_path / "datasets") == []


def test_extract_tar_without_dot_in_fname(src, tmp_path):
    out = get_file("pack", origin=url(src / "pack.tar.gz"), extract=True, cache_dir=str(tmp_path))
    assert out == os.path.join(str(tmp_path), "datasets", "pack")
    assert open(os.path.join(out, "pack", "sub", "b.txt")).read() == "beta"
    assert os.path.exists(os.path.join(str(tmp_path), "datasets", "pack_archive"))


def test_extract_zip_with_dot_in_fname(src, tmp_path):
    out = get_file("pack.zip", origin=url(src / "pack.zip"), extract=True, cache_dir=str(tmp_path))
    assert out == os.path.join(str(tmp_path), "datasets", "pack_extracted")
    assert open(os.path.join(out, "z", "a.txt")).read() == "zeta"


def test_untar_and_archive_format_none(src, tmp_path):
    out = get_file("u", origin=url(src / "pack.tar.gz"), untar=True, cache_dir=str(tmp_path))
    assert os.path.exists(os.path.join(out, "pack", "a.txt"))
    with pytest.warns(UserWarning, match="Could not extract"):
        get_file("n", origin=url(src / "pack.zip"), extract=True, archive_format="tar", cache_dir=str(tmp_path))


def test_extraction_skips_members_outside_the_folder(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../escape.txt", "x")
        z.writestr("ok.txt", "y")
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match="Skipping invalid path"):
        assert file_utils.extract_archive(archive, out)
    assert (out / "ok.txt").exists() and not (tmp_path / "escape.txt").exists()


def test_bad_arguments():
    with pytest.raises(ValueError, match="origin"):
        get_file("a")
    with pytest.raises(ValueError, match="fname"):
        get_file(os.path.join("a", "b"), origin="file:///nowhere")


def test_matches_keras_paths(src, tmp_path):
    keras_utils = pytest.importorskip("keras").utils
    (tmp_path / "k").mkdir()  # Keras falls back to /tmp/.keras for a cache_dir that does not exist yet
    for kwargs in ({"fname": "p"}, {"fname": "p.tar.gz"}, {}):
        want = keras_utils.get_file(origin=url(src / "pack.tar.gz"), extract=True, cache_dir=str(tmp_path / "k"),
                                    **kwargs)
        got = get_file(origin=url(src / "pack.tar.gz"), extract=True, cache_dir=str(tmp_path / "p"), **kwargs)
        assert os.path.relpath(got, tmp_path / "p") == os.path.relpath(want, tmp_path / "k")
        assert sorted(os.listdir(tmp_path / "p" / "datasets")) == sorted(os.listdir(tmp_path / "k" / "datasets"))
