"""What an interrupted experiment keeps for its rerun: the networks it trained.

:func:`~svcca.experiments.run_or_load` opens a work folder beside the cache entry it is
computing, ``<experiment>-<key>.partial/``, and every network the experiment trains
through :meth:`~svcca.experiments.TrainingConfig.fit` is trained with its training state
kept there (:func:`svcca.nn.train`'s ``checkpoint_dir``): at the end of an epoch once a
minute has passed since it was last kept, and when the network is done. A run stopped
by Ctrl-C, a crash or a lost machine therefore keeps the networks it finished and the
last minute's state of the one it was training; the same command run again trains only
what is missing, and its result is bit-identical to an uninterrupted run's on the CPU
(where training is deterministic). The folder is removed once the entry is written.

The folder is used only by the run that locks it (``fcntl.flock``: on POSIX systems;
elsewhere runs are not resumed) and only while its ``run.json`` matches the run: the
experiment, its cache key, its schema version, the versions of svcca, torch and numpy,
the data's fingerprint and the device. Anything else is cleared first, so a rerun after
an upgrade trains again rather than mix two versions. Each network's own folder is named after
its place in the run (the first ``fit`` call, the second, ...), its seed and a digest
of its initial weights, so a network is resumed only into an identical one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .._io import atomic_write

log = logging.getLogger("svcca.experiments")
T = TypeVar("T")

#: The suffix of a run's work folder in the cache.
PARTIAL_SUFFIX = ".partial"
#: How often (seconds) a network's training state is kept at the end of an epoch.
RESUME_SECONDS = 60.0
_IDENTITY = "run.json"
_LOCK = "lock"


@dataclass
class _Work:
    folder: Path
    fd: int
    fits: int = 0


#: The work folder of the experiment running now (None: nothing is kept).
_WORK: ContextVar[_Work | None] = ContextVar("svcca_partial_work", default=None)


def _lock(path: Path) -> int | None:
    """Open and lock ``path`` without waiting; None when another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: runs are not resumed
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # the folder may have been removed (by the run that finished) after we opened it
        if not os.path.samestat(os.fstat(fd), os.stat(path)):
            raise FileNotFoundError(path)
    except OSError:
        os.close(fd)
        return None
    return fd


def _clear(folder: Path, keep: str) -> None:
    for entry in folder.iterdir():
        if entry.name == keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()


@contextlib.contextmanager
def kept_work(folder: Path | None, identity: Mapping[str, Any]) -> Iterator[_Work | None]:
    """Open, lock and check a run's work folder for the body; release it after.

    ``folder`` None (an unwritable cache), a folder another process holds, or one that
    cannot be made yields None: the run goes on and keeps nothing. A folder that kept no
    network is removed at the end; one that did is left in place for a rerun, and
    :func:`finish` removes it once the result is safe.
    """
    work = None
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if (folder / _LOCK).is_dir() and not (folder / _LOCK).is_symlink():  # damaged by hand
                shutil.rmtree(folder / _LOCK, ignore_errors=True)
            fd = _lock(folder / _LOCK)
            if fd is None:
                log.info("%s is in use by another run of the same experiment; nothing kept here", folder.name)
            else:
                work = _Work(folder, fd)
                want = json.dumps(dict(identity), indent=2, sort_keys=True, default=str)
                try:
                    have = (folder / _IDENTITY).read_text()
                except OSError:
                    have = None
                if have != want:
                    if have is not None:
                        log.warning("discarding %s: kept by another version or configuration", folder.name)
                    _clear(folder, keep=_LOCK)
                    atomic_write(folder / _IDENTITY, want.encode())
                elif any(p.name != _IDENTITY and p.name != _LOCK for p in folder.iterdir()):
                    log.warning("resuming the interrupted run kept in %s", folder.name)
        except OSError as exc:  # a read-only or full cache: run without keeping anything
            log.info("cannot keep work in %s (%s)", folder, exc)
            if work is not None:
                os.close(work.fd)
            work = None
    token = _WORK.set(work)
    try:
        yield work
    finally:
        _WORK.reset(token)
        if work is not None:
            if work.folder.is_dir() and not any(p.is_dir() for p in work.folder.iterdir()):
                finish(work)  # it kept no network: nothing for a rerun, leave nothing behind
            os.close(work.fd)  # releases the lock


def finish(work: _Work | None) -> None:
    """Remove a run's work folder: its result is in the cache now."""
    if work is not None:
        _clear(work.folder, keep="")
        with contextlib.suppress(OSError):
            work.folder.rmdir()


def network_folder(model: Any, seed: int) -> Path | None:
    """Return the folder where the running experiment keeps the next network it trains, or None.

    None outside :func:`~svcca.experiments.run_or_load` or where nothing can be kept.
    Networks are numbered in the order they are trained, which a rerun repeats.
    """
    work = _WORK.get()
    if work is None:
        return None
    work.fits += 1
    from ..nn.utils import state_digest  # torch only where a network is trained

    return work.folder / f"fit-{work.fits:03d}-seed{int(seed)}-{state_digest(model)}"


def resume_options(folder: Path) -> dict[str, Any]:
    """Return the :func:`svcca.nn.train` arguments that keep a network's state in ``folder``."""
    return {"checkpoint_dir": folder, "resume": True, "resume_seconds": RESUME_SECONDS}


def kept_or_fresh(folder: Path, model: Any, attempt: Callable[[], T]) -> T:
    """Run ``attempt`` (training ``model`` kept in ``folder``); train afresh if what was kept is unusable.

    A kept file that is damaged or was written by another training configuration makes
    :func:`svcca.nn.train` raise ``ValueError`` (a folder where a file belongs, an
    ``OSError``) before it touches the model's weights.
    Here that costs only time: the folder is cleared, the model gets back its initial
    weights and ``attempt`` runs once more. An error that is not about the kept files
    (a bad option) raises again on the second attempt.
    """
    if os.path.lexists(folder) and not folder.is_dir():  # a file in its place: not ours to use
        folder.unlink()
    if folder.is_dir() and any(p.is_dir() for p in folder.iterdir()):  # it holds files only
        log.warning("training %s again from the start: it holds a folder where a file belongs", folder.name)
        _clear(folder, keep="")
    had = folder.is_dir() and any(folder.iterdir())
    initial = {k: v.detach().clone() for k, v in model.state_dict().items()} if had else None
    try:
        return attempt()
    except (ValueError, OSError) as exc:  # damaged, foreign or misplaced kept files
        if initial is None:
            raise
        log.warning("training %s again from the start: what was kept is unusable (%s)", folder.name, exc)
        _clear(folder, keep="")
        model.load_state_dict(initial)
        return attempt()
