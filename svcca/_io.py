"""Files, one way: the atomic writer, stale temp-file cleanup and the safe readers.

Every file svcca writes (experiment cache entries, training checkpoints, streaming
statistics, downloads) goes through :func:`atomic_write`: a temp file in the target's
folder, created with the process umask (``0o666 & ~umask``, as ``open`` would), fsynced,
renamed over the target, and removed on any exception (``KeyboardInterrupt`` included).
A process killed mid-write leaves only a temp file named ``.svcca-tmp-*.tmp``;
:func:`remove_stale_temps` deletes those older than an hour when a folder is opened again.

Reading never unpickles anything: :func:`check_regular_file` refuses FIFOs, devices and
folders before they are opened (a FIFO would block forever), :func:`read_npy_header`
checks a ``.npy`` header against the bytes that are really there before numpy allocates
the array, and :func:`load_torch` wraps ``torch.load(..., weights_only=True)`` so that its
failures read as one line naming the file (never suggesting ``weights_only=False``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import secrets
import stat
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = [
    "STALE_SECONDS",
    "TMP_PREFIX",
    "atomic_write",
    "check_regular_file",
    "describe_os_error",
    "file_digest",
    "folder_fingerprint",
    "load_torch",
    "probe_writable",
    "read_npy_header",
    "remove_stale_temps",
]

#: Every temp file svcca creates starts with this (and ends with ``.tmp``).
TMP_PREFIX = ".svcca-tmp-"
#: A temp file older than this (seconds) belongs to a dead writer and may be removed.
STALE_SECONDS = 3600.0


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """Create a new, empty temp file next to ``name``; mode ``0o666`` minus the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    while True:
        tmp = folder / f"{TMP_PREFIX}{name[:180]}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def _fsync_folder(folder: Path) -> None:
    # makes the rename itself durable; not possible on every platform, harmless to skip
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: str | os.PathLike[str], content: bytes | Callable[[IO[bytes]], Any]) -> Path:
    """Write a file so that readers see the old version or the new one, never a partial one.

    Parameters
    ----------
    path : path
        The target; its folder is created if needed.
    content : bytes or callable
        The bytes to write, or a function that writes to the binary file object it is given
        (``lambda fh: np.savez(fh, **arrays)``, ``lambda fh: torch.save(obj, fh)``). If it
        raises, the target is left as it was and the exception propagates.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    The temp file ``.svcca-tmp-<name>.<random>.tmp`` is created in the target's folder
    (so the rename never crosses file systems) with mode ``0o666`` minus the umask,
    flushed and fsynced before :func:`os.replace`; the folder is fsynced after it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from svcca._io import atomic_write
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = atomic_write(pathlib.Path(d) / "a.bin", b"abc")
    ...     p.read_bytes(), sorted(x.name for x in pathlib.Path(d).iterdir())
    (b'abc', ['a.bin'])
    """
    path = Path(path)
    if path.is_dir():  # checked first: os.replace's message would name the temp file
        raise IsADirectoryError(f"cannot write {path}: it is a folder; pass the path of a file to write")
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(content):
                content(fh)
            else:
                fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)
    return path


def file_digest(path: str | os.PathLike[str] | IO[bytes], algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in 1 MiB chunks (any :mod:`hashlib` algorithm).

    ``path`` may also be a binary file open for reading: it is read from its position to its
    end (so that a reader can check the very file it then loads, not one renamed over it since).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from svcca._io import file_digest
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "a.bin"
    ...     _ = p.write_bytes(b"abc")
    ...     file_digest(p)[:16], file_digest(p, "md5")[:8]
    ('ba7816bf8f01cfea', '90015098')
    """
    h = hashlib.new(algorithm, usedforsecurity=False)  # checksums, not security
    with contextlib.nullcontext(path) if hasattr(path, "read") else open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def folder_fingerprint(folder: str | os.PathLike[str]) -> str:
    """Return a digest of the data a folder holds: every data file's relative path, size and mtime.

    Cheap (no file is read): it tells a cached result whether the data it was computed from
    changed since (files added, removed, replaced or rewritten). ``"absent"`` when the
    folder does not exist.

    Parameters
    ----------
    folder : path
        The data folder; its subfolders are walked too, symlinks followed (a hand-made
        ImageNet subset links its class folders to the full validation set), each real
        folder once.

    Returns
    -------
    str
        A sha256 hex digest, or ``"absent"``.

    Notes
    -----
    Hidden files (names starting with ``.``) are left out: no loader reads them as data, and
    they change while the data do not (the ImageNet subset's marker
    ``.svcca-imagenet-subset.json``, rewritten by every preparation; svcca's temp files
    ``.svcca-tmp-*.tmp``; ``.DS_Store``). A folder without hidden files has the digest it had
    before they were left out.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from svcca._io import folder_fingerprint
    >>> with tempfile.TemporaryDirectory() as d:
    ...     before = folder_fingerprint(d)
    ...     _ = pathlib.Path(d, ".marker.json").write_bytes(b"{}")
    ...     unchanged = before == folder_fingerprint(d)
    ...     _ = pathlib.Path(d, "img0.JPEG").write_bytes(b"abc")
    ...     unchanged, before == folder_fingerprint(d), len(folder_fingerprint(d))
    (True, False, 64)
    >>> folder_fingerprint("no/such/folder")
    'absent'
    """
    root = Path(folder)
    if not root.is_dir():
        return "absent"
    h = hashlib.sha256()
    # hidden files are not data: see Notes. Path.rglob does not descend into a symlinked
    # folder, so images added behind a linked class folder left the digest unchanged
    files, seen = [], set()
    for top, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(top)
        if real in seen:  # a link cycle, or a folder linked twice
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        files += [Path(top, n) for n in names if not n.startswith(".") and Path(top, n).is_file()]
    for path in sorted(files):
        st = path.stat()
        h.update(f"{path.relative_to(root).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def remove_stale_temps(folder: str | os.PathLike[str], max_age: float = STALE_SECONDS) -> list[Path]:
    """Delete svcca's own temp files in ``folder`` older than ``max_age`` seconds.

    Only regular files named ``.svcca-tmp-*.tmp`` are touched (a younger one may belong to a
    writer still at work). Errors are ignored: cleanup never stops the caller.

    Returns
    -------
    list of pathlib.Path
        The files removed.

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> from svcca._io import remove_stale_temps
    >>> with tempfile.TemporaryDirectory() as d:
    ...     old = pathlib.Path(d) / ".svcca-tmp-a.npz.0a1b.tmp"
    ...     _ = old.write_bytes(b"half")
    ...     os.utime(old, (0, 0))
    ...     [p.name for p in remove_stale_temps(d)]
    ['.svcca-tmp-a.npz.0a1b.tmp']
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(TMP_PREFIX) and entry.name.endswith(".tmp")):
            continue
        with contextlib.suppress(OSError):
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > max_age:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def describe_os_error(exc: OSError) -> str:
    """``"No space left on device: 'path'"``: the reason and the file, without the errno prefix."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    where = exc.filename if exc.filename is not None else None
    return f"{reason}: {str(where)!r}" if where is not None else reason


def probe_writable(folder: str | os.PathLike[str]) -> str | None:
    """Check that files can be created in ``folder`` (creating it if needed).

    Returns
    -------
    str or None
        None when a file could be created and removed, else why not (one line).

    Examples
    --------
    >>> import tempfile
    >>> from svcca._io import probe_writable
    >>> with tempfile.TemporaryDirectory() as d:
    ...     probe_writable(d) is None
    True
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(folder, "write-probe")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return f"cannot write to {folder}: {describe_os_error(exc)}"
    return None


def check_regular_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if it names a regular file (symlinks followed); raise otherwise.

    A FIFO, socket, device or folder is refused before anything opens it (opening a FIFO
    blocks until a writer appears).

    Raises
    ------
    FileNotFoundError
        When nothing is there.
    ValueError
        When it is not a regular file; the message says what it is.

    Examples
    --------
    >>> import tempfile
    >>> from svcca._io import check_regular_file
    >>> with tempfile.TemporaryDirectory() as d:
    ...     try:
    ...         check_regular_file(d)
    ...     except ValueError as exc:
    ...         print(str(exc).replace(d, "<folder>"))
    <folder> is a directory; expected a regular file
    """
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"file not found: {p}") from None
    if stat.S_ISREG(mode):
        return p
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    raise ValueError(f"{p} is {kind}; expected a regular file")


def _human_bytes(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"  # pragma: no cover


def read_npy_header(fh: IO[bytes], available: int, label: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Read and check a ``.npy`` header; leave ``fh`` at the start of the data.

    Parameters
    ----------
    fh : binary file object
        Positioned at the start of the ``.npy`` data (a file, or a member of an ``.npz``).
    available : int
        Bytes from that position to the end of the data.
    label : str
        How to name the file in messages.

    Returns
    -------
    shape, fortran_order, dtype

    Raises
    ------
    ValueError
        Not a ``.npy`` file; a header longer than numpy's safety limit; a dtype that holds
        Python objects ("pickled Python objects"); or a header that declares more data than
        the file holds (so a 100-byte file declaring a terabyte is refused before any
        allocation).

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from svcca._io import read_npy_header
    >>> buf = io.BytesIO(); np.save(buf, np.zeros((3, 2)))
    >>> n = buf.tell(); _ = buf.seek(0)
    >>> read_npy_header(buf, n, "x.npy")
    ((3, 2), False, dtype('float64'))
    """
    fmt = np.lib.format
    start = fh.tell()
    try:
        version = fmt.read_magic(fh)
    except ValueError as exc:
        raise ValueError(f"could not read {label}: not a .npy file ({exc})") from None
    try:
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except ValueError as exc:
        if "max_header_size" in str(exc):
            fh.seek(start + 8)
            raw = fh.read(4 if version != (1, 0) else 2)
            length = int.from_bytes(raw, "little") if raw else 0
            raise ValueError(
                f"{label} has a .npy header of {length} bytes, more than numpy's safety limit of "
                f"10000 bytes for headers; it is not a plain activation file. "
                f"Re-save the array with numpy.save"
            ) from None
        raise ValueError(f"could not read {label}: malformed .npy header ({exc})") from None
    except (EOFError, OSError) as exc:
        raise ValueError(f"could not read {label}: truncated .npy header ({exc})") from None
    if dtype.hasobject:
        raise ValueError(
            f"{label} is not a plain numeric array file: it holds pickled Python objects (dtype {dtype}). "
            f"svcca never unpickles files; save numeric arrays with numpy.save / numpy.savez"
        )
    n_items = 1
    for s in shape:
        n_items *= int(s)
    need = n_items * dtype.itemsize
    have = available - (fh.tell() - start)
    if need > have:
        raise ValueError(
            f"could not read {label}: its header declares an array of shape {shape} and dtype {dtype} "
            f"({_human_bytes(need)}) but the file holds only {_human_bytes(max(have, 0))} of data "
            f"(truncated or forged)"
        )
    return shape, fortran, dtype


def load_torch(path: str | os.PathLike[str], *, map_location: Any = "cpu") -> Any:
    """``torch.load(path, weights_only=True)`` whose failures name the file, in one line.

    Raises
    ------
    ValueError
        The file is not a torch file, is truncated or corrupted, or holds Python objects
        other than tensors and plain containers (which are never unpickled).
    OSError
        The file cannot be read at all.

    Examples
    --------
    A round trip of a dict of tensors:

    >>> import tempfile, pathlib, torch
    >>> from svcca._io import load_torch
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "t.pt"
    ...     torch.save({"a": torch.ones(2)}, p)
    ...     load_torch(p)["a"].tolist()
    [1.0, 1.0]
    """
    import torch

    path = check_regular_file(path)
    try:
        with warnings.catch_warnings():  # a plain pickle: torch's warning names its own source line
            warnings.filterwarnings("ignore", "Detected pickle protocol", UserWarning)
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
        if found is None:
            raise ValueError(
                f"{path} is not a readable torch file: not written by torch.save (a plain pickle?), or "
                f"truncated or corrupted ({_first_line(exc)})"
            ) from None
        raise ValueError(
            f"{path} holds Python objects other than tensors and plain containers (it names "
            f"{found.group(1)}); svcca reads .pt files with torch.load(weights_only=True) and never "
            f"unpickles objects: save tensors or a dict of tensors"
        ) from None
    except PermissionError:
        raise
    except Exception as exc:  # noqa: BLE001 - torch raises RuntimeError, EOFError, KeyError, ...
        raise ValueError(
            f"{path} is not a readable torch file: truncated or corrupted ({_first_line(exc)})"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, pickle.UnpicklingError):
        # torch's text here is advice about weights_only that does not apply to a damaged file
        found = re.search(r"WeightsUnpickler error:\s*(.+?)\s*(?:\n|$)", text)
        text = found.group(1) if found else "not a pickle torch can read"
    line = text.splitlines()[0] if text else ""
    line = line.split(". This is an internal miniz error")[0]
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__
