"""How the ``data_scripts/`` front doors report a user's or an environment's error: one line."""

from __future__ import annotations

from collections.abc import Callable

from ..._frontdoor import run_reporting_errors


def run_data_script(
    prog: str,
    body: Callable[[], int],
    *,
    interrupted: str | Callable[[], str] = "interrupted; rerun the same command to finish",
) -> int:
    r"""Run the work of a ``data_scripts/`` command; report its user-facing errors as one line.

    A missing, unreadable or corrupted file, a checksum that does not match, a folder that
    cannot be written, no network: each is printed to stderr as the single line
    ``<prog>: error: <what was expected, what arrived, what to do>`` and the exit status is
    1, with no traceback. Ctrl-C prints ``<prog>: interrupted`` and gives 130. Anything else
    (a bug) propagates with its traceback. Usage errors are argparse's (exit status 2),
    raised before this is called. The ``svcca`` command reports its errors the same way.

    Parameters
    ----------
    prog : str
        The command's name as the user typed it, e.g. ``"download_cifar10.py"``.
    body : callable
        The work, ``() -> exit status``; it raises ``OSError`` (``urllib.error.URLError``
        included), ``ValueError``, ``TypeError`` (a setting of the wrong type) or
        ``RuntimeError`` for errors the user can fix.
    interrupted : str or callable, default "interrupted; rerun the same command to finish"
        What Ctrl-C prints after ``<prog>: `` (a callable is asked when it happens).

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
    return run_reporting_errors(
        prog,
        body,
        user_errors=(ValueError, TypeError, RuntimeError),
        interrupted=interrupted,
    )
