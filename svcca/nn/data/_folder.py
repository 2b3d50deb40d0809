"""The data folder and file checksums shared by the dataset loaders."""

from __future__ import annotations

import os
from pathlib import Path

from ..._io import file_digest

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
