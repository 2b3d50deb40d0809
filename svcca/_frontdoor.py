"""How svcca's commands (``svcca``, ``data_scripts/``) report a user's or an environment's error.

One line on standard error, ``<prog>: error: <what was expected, what arrived, what to do>``,
and exit status 1, never a traceback: a missing or malformed file, a checksum that does not
match, a folder that cannot be written, no network, memory exhausted. Ctrl-C gives 130 and a
reader of the output that went away (``| head -1``) gives the shell's SIGPIPE status, 141.
Anything else (a bug) keeps its traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import urllib.error
from collections.abc import Callable

from ._io import describe_os_error

__all__ = ["run_reporting_errors"]

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
    if isinstance(exc, MemoryError):
        return "out of memory" + (f" ({exc})" if str(exc) else "")
    if isinstance(exc, OSError):
        hint = _OS_HINTS.get(exc.errno) if exc.errno is not None else None
        return describe_os_error(exc) + (f"; {hint}" if hint else "")
    return str(exc) or type(exc).__name__


def _closed_pipe() -> int:
    """Stop quietly when the reader of our output went away (``svcca figures --list | head -1``).

    Standard output is pointed at the null device so that Python's final flush does not
    report the same broken pipe again; the status is the shell's for a writer killed by SIGPIPE.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 128 + int(getattr(signal, "SIGPIPE", 13))


def run_reporting_errors(
    prog: str,
    body: Callable[[], int],
    user_errors: tuple[type[BaseException], ...] = (ValueError,),
    interrupted: str | Callable[[], str] = "interrupted",
) -> int:
    r"""Run a command's work; report its user-facing errors as one line and return the exit status.

    Parameters
    ----------
    prog : str
        The command as the user typed it (``"svcca compare"``, ``"download_cifar10.py"``).
    body : callable
        The work, ``() -> exit status``.
    user_errors : tuple of exception types, default (ValueError,)
        Errors the user can fix, reported as one line (besides ``OSError``, network errors
        included, and ``MemoryError``, always reported so).
    interrupted : str or callable, default "interrupted"
        What Ctrl-C prints after ``<prog>: `` (a callable is asked when it happens).

    Returns
    -------
    int
        ``body()``'s status; 1 after a reported error, 130 after Ctrl-C, 141 when the reader
        of standard output went away.

    Examples
    --------
    >>> import contextlib, io
    >>> from svcca._frontdoor import run_reporting_errors
    >>> def body():
    ...     raise FileNotFoundError(2, "No such file or directory", "a.npy")
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     status = run_reporting_errors("svcca compare", body)
    >>> status, err.getvalue()
    (1, "svcca compare: error: No such file or directory: 'a.npy'\n")
    """
    reported: tuple[type[BaseException], ...] = (MemoryError, *user_errors)
    try:
        status = int(body())
        sys.stdout.flush()  # a closed pipe or a full disk shows here, not at interpreter exit
        return status
    except BrokenPipeError:
        return _closed_pipe()
    except KeyboardInterrupt:
        said = interrupted() if callable(interrupted) else interrupted
        print(f"{prog}: {said}", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            return _closed_pipe()
        print(f"{prog}: error: {_one_line(_describe(exc))}", file=sys.stderr)
        return 1
    except reported as exc:
        print(f"{prog}: error: {_one_line(_describe(exc))}", file=sys.stderr)
        return 1
