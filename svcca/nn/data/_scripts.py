"""How the ``data_scripts/`` front doors report a user's or an environment's error: one line."""

from __future__ import annotations

import errno
import sys
import urllib.error
from collections.abc import Callable

from ..._io import describe_os_error

#: What to do about an operating-system error, by errno (appended to its one-line report).
_OS_HINTS = {
    errno.EACCES: "check the permissions of that path, or choose another folder",
    errno.EPERM: "check the permissions of that path, or choose another folder",
    errno.EROFS: "it is on a read-only file system; choose another folder",
    errno.EEXIST: "a file stands where a folder is expected; move it or choose another folder",
    errno.ENOTDIR: "a file stands where a folder is expected; move it or choose another folder",
    errno.ENOSPC: "the disk is full; free some space or choose another folder",
}


def _one_line(text: str) -> str:
    return "; ".join(part.strip() for part in text.splitlines() if part.strip())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return (
            f"could not download {exc.filename}: the server answered HTTP {exc.code} ({exc.reason}); "
            "check the address or try again later"
        )
    if isinstance(exc, urllib.error.URLError):
        return (
            f"could not download: {exc.reason}; check the internet connection (and any proxy), or copy "
            "the files by hand from a machine that has one (see --help)"
        )
    if isinstance(exc, OSError):
        hint = _OS_HINTS.get(exc.errno) if exc.errno is not None else None
        return describe_os_error(exc) + (f"; {hint}" if hint else "")
    return str(exc) or type(exc).__name__


def run_data_script(prog: str, body: Callable[[], int]) -> int:
    r"""Run the work of a ``data_scripts/`` command; report its user-facing errors as one line.

    A missing, unreadable or corrupted file, a checksum that does not match, a folder that
    cannot be written, no network: each is printed to stderr as the single line
    ``<prog>: error: <what was expected, what arrived, what to do>`` and the exit status is
    1, with no traceback. Ctrl-C prints ``<prog>: interrupted`` and gives 130. Anything else
    (a bug) propagates with its traceback. Usage errors are argparse's (exit status 2),
    raised before this is called.

    Parameters
    ----------
    prog : str
        The command's name as the user typed it, e.g. ``"download_cifar10.py"``.
    body : callable
        The work, ``() -> exit status``; it raises ``OSError`` (``urllib.error.URLError``
        included), ``ValueError`` or ``RuntimeError`` for errors the user can fix.

    Returns
    -------
    int
        ``body()``'s status, 1 after a reported error, 130 after Ctrl-C.

    Examples
    --------
    >>> import contextlib, io
    >>> from svcca.nn.data import run_data_script
    >>> def body():
    ...     raise FileNotFoundError("CIFAR-10 not found: expected data/cifar-10-batches-py/")
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     status = run_data_script("download_cifar10.py", body)
    >>> status, err.getvalue()
    (1, 'download_cifar10.py: error: CIFAR-10 not found: expected data/cifar-10-batches-py/\n')
    """
    try:
        return int(body())
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; rerun the same command to finish", file=sys.stderr)
        return 130
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"{prog}: error: {_one_line(_describe(exc))}", file=sys.stderr)
        return 1
