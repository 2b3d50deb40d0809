"""The data folder, file checksums, checked downloads and archive extraction shared by the loaders."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from ..._io import atomic_write, file_digest

#: Environment variable naming the data folder (default ``./data``, git-ignored).
DATA_ENV = "SVCCA_DATA"


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the data folder: ``path`` if given, else ``$SVCCA_DATA``, else ``./data``.

    The folder is not created. ``./data`` is relative to the current working directory, so
    set ``SVCCA_DATA`` to an absolute path when running from several places (the book
    executes its chapters from ``book/chapters/``).

    Parameters
    ----------
    path : str or os.PathLike, optional
        An explicit folder, returned as it is.

    Returns
    -------
    pathlib.Path
        The data folder (it may not exist).

    Examples
    --------
    >>> from svcca.nn.data import data_dir
    >>> str(data_dir("datasets/digits"))
    'datasets/digits'
    """
    if path is not None:
        return Path(path)
    return Path(os.environ.get(DATA_ENV) or "data")


def _md5(path: Path) -> str | None:
    """Return the md5 sum of a file (the checksums datasets publish); None when it is absent."""
    return file_digest(path, "md5") if path.is_file() else None


def download_file(url: str, path: Path, md5: str, *, timeout: float = 60.0, progress: bool = True) -> Path:
    """Stream ``url`` into ``path``, which appears only whole and with the expected md5.

    The bytes go to a temporary file beside ``path`` (:func:`svcca._io.atomic_write`) and
    are moved into place only when their md5 is ``md5``: an interrupted or altered download
    (a proxy's error page) leaves ``path`` as it was. A file already at ``path`` with that
    md5 (a copy put there by hand, an earlier run) is kept, and nothing is fetched.

    Parameters
    ----------
    url : str
        Any address :func:`urllib.request.urlopen` reads (``https://``, ``file://``).
    path : pathlib.Path
        The file to write; its folder is created if needed.
    md5 : str
        The published md5 sum (32 hexadecimal digits).
    timeout : float, default 60.0
        Seconds to wait for the server.
    progress : bool, default True
        Show a tqdm progress bar (bytes received).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        When the downloaded bytes do not have the expected md5 (both sums are named).
    urllib.error.URLError, OSError
        From the network or the folder.

    Examples
    --------
    >>> import hashlib, tempfile
    >>> from pathlib import Path
    >>> from svcca.nn.data import download_file
    >>> with tempfile.TemporaryDirectory() as d:
    ...     source = Path(d, "source.txt")
    ...     _ = source.write_bytes(b"corpus")
    ...     md5 = hashlib.md5(b"corpus").hexdigest()
    ...     copy = download_file(source.as_uri(), Path(d, "copy.txt"), md5, progress=False)
    ...     copy.read_bytes()
    b'corpus'
    """
    import hashlib
    import urllib.request

    from tqdm.auto import tqdm

    if _md5(path) == md5:
        return path

    def fetch(out: IO[bytes]) -> None:
        h = hashlib.md5(usedforsecurity=False)
        request = urllib.request.Request(url, headers={"User-Agent": "svcca-data-scripts"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            size = getattr(response, "length", None)
            bar_options = {"unit": "B", "unit_scale": True, "leave": False, "disable": not progress}
            with tqdm(total=size or None, desc=path.name, **bar_options) as bar:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    h.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
        if h.hexdigest() != md5:
            raise ValueError(
                f"the download of {url} fails its md5 check: expected {md5}, got {h.hexdigest()} (a "
                f"truncated or altered download, such as a proxy's error page); {path} was left as it was"
            )

    return atomic_write(path, fetch)


def _check_members(names: Sequence[str], archive: Path) -> None:
    for name in names:
        if name.startswith(("/", "\\")) or ".." in Path(name).parts:
            raise RuntimeError(f"unsafe path {name!r} in {archive}; expected paths inside the archive")


def extract_archive(archive: Path, dest: Path) -> None:
    """Unpack a ``.zip`` or a (compressed) tar archive into ``dest``, each file appearing whole.

    The archive is unpacked into a temporary folder inside ``dest`` and each file is then
    moved into place with :func:`os.replace`, so an interrupted extraction leaves no
    truncated file (rerunning extracts again).

    Parameters
    ----------
    archive : pathlib.Path
        A ``.zip``, ``.tar``, ``.tar.gz``, ``.tar.bz2`` or ``.tar.xz`` file.
    dest : pathlib.Path
        The folder the archive's paths are relative to; created if needed.

    Raises
    ------
    RuntimeError
        For a member with an absolute path or a ``..`` component, and for links and device
        files in a tar archive (nothing is extracted then).

    Examples
    --------
    >>> from svcca.nn.data import extract_archive
    >>> import tarfile, tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = Path(d, "batch.txt").write_text("pixels")
    ...     with tarfile.open(Path(d, "data.tar.gz"), "w:gz") as tf:
    ...         tf.add(Path(d, "batch.txt"), arcname="cifar/batch.txt")
    ...     extract_archive(Path(d, "data.tar.gz"), Path(d, "out"))
    ...     Path(d, "out", "cifar", "batch.txt").read_text()
    'pixels'
    """
    import shutil
    import tarfile
    import tempfile
    import zipfile

    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".svcca-tmp-extract-", dir=dest))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                _check_members(zf.namelist(), archive)
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tf:
                members = tf.getmembers()
                _check_members([m.name for m in members], archive)
                odd = [m.name for m in members if not (m.isfile() or m.isdir())]
                if odd:
                    raise RuntimeError(f"{archive} holds a link or device {odd[0]!r}; expected plain files")
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, members=members, filter="data")
                else:  # pragma: no cover - Python before 3.10.12 / 3.11.4; members checked above
                    tf.extractall(tmp, members=members)
        for f in sorted(p for p in tmp.rglob("*") if p.is_file()):
            target = dest / f.relative_to(tmp)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
