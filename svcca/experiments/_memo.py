"""The book build's memo: what is derived from an experiment's result, computed once per build.

The book build sets ``$SVCCA_CLAIMS_MEMO`` to a folder it empties first. Each experiment's
claims are computed where the experiment runs and kept there; the chapters then read them,
and derived results that both the claims and a chapter compute (a bootstrap over every
layer) are kept the same way, instead of being computed again. An entry is keyed by the
experiment's cache key, a label and a digest of the result's arrays: a result that differs
in any byte is never answered from the memo. Without the variable nothing is kept or read.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .._io import atomic_write

#: The environment variable naming the memo folder (set by the book build only).
MEMO_ENV = "SVCCA_CLAIMS_MEMO"

T = TypeVar("T")


def arrays_digest(arrays: Mapping[str, Any]) -> str:
    """Digest of a result's arrays: names, dtypes, shapes and bytes."""
    h = hashlib.blake2b(digest_size=20)
    for name in sorted(arrays):
        a = np.asarray(arrays[name])  # its own shape: ascontiguousarray makes a 0-d array 1-d
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(repr(a.tolist()).encode() if a.dtype == object else np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _entry(config: Any, label: str) -> Path | None:
    folder = os.environ.get(MEMO_ENV, "").strip()
    if not folder or config is None:
        return None
    return Path(folder) / f"{config.experiment}-{config.key()[:20]}-{label}.pkl"


def recall(config: Any, arrays: Mapping[str, Any], label: str) -> Any:
    """Return the value kept under ``label`` for this config and these very arrays, or None."""
    path = _entry(config, label)
    if path is None or not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            digest, value = pickle.load(fh)  # noqa: S301 - the build's own folder
    except Exception:  # noqa: BLE001 - a damaged entry (unpickling raises anything) is computed again
        return None
    return value if digest == arrays_digest(arrays) else None


def remember(config: Any, arrays: Mapping[str, Any], label: str, value: Any) -> None:
    """Keep ``value`` under ``label`` (atomically), where the memo folder is set."""
    path = _entry(config, label)
    if path is None:
        return
    try:
        atomic_write(path, pickle.dumps((arrays_digest(arrays), value)))
    except OSError as exc:  # the value is computed: a memo that cannot keep it only costs time
        warnings.warn(f"the memo could not keep {path.name} ({type(exc).__name__}: {exc})", stacklevel=2)


def memoized(config: Any, arrays: Mapping[str, Any], label: str, compute: Callable[[], T]) -> T:
    """Return ``compute()``, computed once per book build for this result.

    Inside the book build (``$SVCCA_CLAIMS_MEMO`` set), the first call for a config, a
    label and a result's arrays computes and keeps the value; later calls, in any process
    of the build, load it. Elsewhere it simply returns ``compute()``.

    Parameters
    ----------
    config : ExperimentConfig
        The experiment the value is derived from (its cache key names the entry).
    arrays : dict of str -> numpy.ndarray
        The result's arrays (compared by digest: other arrays are never answered).
    label : str
        What is kept, with every argument that changes it (``"bootstrap-basic-200"``).
    compute : callable
        ``compute()`` gives the value (anything picklable).

    Returns
    -------
    object
        The value of ``compute()``.

    Examples
    --------
    >>> from svcca.experiments import memoized
    >>> memoized(None, {}, "demo", lambda: 42)  # outside the book build: computed
    42
    """
    found = recall(config, arrays, label)
    if found is not None:
        return found
    value = compute()
    remember(config, arrays, label, value)
    return value
