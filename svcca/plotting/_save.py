"""Writing figures at publication settings, atomically."""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes

from .._io import atomic_write

__all__ = ["FORMATS", "save_figure"]

#: The formats :func:`save_figure` writes.
FORMATS: tuple[str, ...] = ("pdf", "svg", "png")

# Metadata without dates, so that saving the same figure twice gives the same bytes.
_METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"Creator": "svcca", "CreationDate": None},
    "svg": {"Creator": "svcca", "Date": None},
    "png": {"Software": "svcca"},
}


def _formats(path: Path, formats: str | Sequence[str] | None) -> list[str]:
    if formats is None:
        suffix = path.suffix.lower().lstrip(".")
        if suffix not in FORMATS:
            raise ValueError(
                f"cannot tell the format from {path.name!r}: give a suffix of {', '.join(FORMATS)} "
                f"or pass formats=; got suffix {path.suffix!r}"
            )
        return [suffix]
    items = [formats] if isinstance(formats, str) else list(formats)
    if not items:
        raise ValueError("formats must name at least one format")
    out = []
    for f in items:
        f = str(f).lower().lstrip(".")
        if f not in FORMATS:
            raise ValueError(f"formats must be among {', '.join(map(repr, FORMATS))}; got {f!r}")
        if f not in out:
            out.append(f)
    return out


def save_figure(
    fig: Any,
    path: str | os.PathLike[str],
    formats: str | Sequence[str] | None = None,
    dpi: int = 300,
    **savefig_kwargs: Any,
) -> list[Path]:
    """Save a figure as PDF, SVG and/or PNG at publication settings, atomically.

    Parameters
    ----------
    fig : matplotlib Figure or Axes
        The figure (an Axes stands for its figure).
    path : str or path-like
        Where to write. With ``formats=None`` its suffix (``.pdf``, ``.svg``, ``.png``) gives
        the format; otherwise one file per format is written next to it, named after
        ``path`` without a format suffix (``out/fig1`` -> ``out/fig1.pdf``, ``out/fig1.png``).
        Missing parent directories are created.
    formats : str or sequence of str, optional
        Some of ``"pdf"``, ``"svg"``, ``"png"``.
    dpi : int, default 300
        Resolution of PNGs and of any rasterised element in PDF/SVG.
    **savefig_kwargs
        Passed on to :meth:`matplotlib.figure.Figure.savefig` (e.g. ``transparent=True`` for
        a transparent background instead of white).

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``formats``.

    Raises
    ------
    ValueError
        For a format that is not supported, a path without a format suffix and no ``formats``,
        or a ``dpi`` that is not a positive number.

    Notes
    -----
    Settings: tight bounding box with a small pad, white background (unless ``transparent``),
    TrueType (type 42) fonts in PDF so text stays text and is embedded, dates left out of the
    PDF and SVG metadata and a fixed SVG hash salt, so the same figure made twice (a figure
    script run again) gives the same bytes. (Saving one figure object twice may differ in the
    last digits of coordinates: constrained layout refines positions on every draw.)
    Each file is written to a temporary file in the target directory and moved into place
    with :func:`os.replace`: a reader never sees a half-written figure, and a failed save
    leaves any previous file untouched.

    Examples
    --------
    >>> import tempfile, pathlib, matplotlib.pyplot as plt
    >>> from svcca.plotting import plot_spectrum, save_figure
    >>> ax = plot_spectrum([0.99, 0.8, 0.3])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = save_figure(ax.figure, pathlib.Path(d) / "figs" / "spectrum", formats=["pdf", "png"])
    ...     [p.name for p in paths], paths[0].read_bytes()[:5]
    (['spectrum.pdf', 'spectrum.png'], b'%PDF-')
    >>> plt.close(ax.figure)
    """
    if isinstance(fig, Axes):
        fig = fig.figure
    if not hasattr(fig, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure or Axes; got {type(fig).__name__}")
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real) or not (np.isfinite(dpi) and dpi > 0):
        raise ValueError(f"dpi must be a positive number; got {dpi!r}")
    if "format" in savefig_kwargs:
        raise TypeError("save_figure takes the format from the path's suffix or formats=, not format=")
    path = Path(path)
    fmts = _formats(path, formats)
    stem = path.with_suffix("") if path.suffix.lower().lstrip(".") in FORMATS else path
    targets = [path] if formats is None else [stem.with_name(f"{stem.name}.{f}") for f in fmts]
    options: dict[str, Any] = {"dpi": dpi, "bbox_inches": "tight", "pad_inches": 0.02}
    if not savefig_kwargs.get("transparent"):  # a facecolor would keep the background opaque
        options["facecolor"] = "white"
    options.update(savefig_kwargs)
    rc: dict[Any, Any] = {"pdf.fonttype": 42, "ps.fonttype": 42}
    if mpl.rcParams["svg.hashsalt"] is None:
        rc["svg.hashsalt"] = "svcca"
    written = []
    with mpl.rc_context(rc):
        for fmt, target in zip(fmts, targets):
            meta = {**_METADATA[fmt], **options.get("metadata", {})}

            def write(fh: Any, fmt: str = fmt, meta: dict = meta) -> None:
                fig.savefig(fh, format=fmt, **{**options, "metadata": meta})

            atomic_write(target, write)
            written.append(target)
    return written
