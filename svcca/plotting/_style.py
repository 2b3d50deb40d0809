"""The house style: the packaged ``.mplstyle``, the palette, figure sizes and new axes."""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

__all__ = [
    "PALETTE",
    "STYLE_PATH",
    "depth_colors",
    "figure_size",
    "style",
    "use_style",
]

#: Path of the packaged style file (also usable as ``plt.style.use("svcca.plotting.svcca")``).
STYLE_PATH: Path = Path(__file__).with_name("svcca.mplstyle")

#: The colour-blind-safe qualitative palette of Okabe & Ito (2008), in the house order
#: (blue, vermillion, bluish green, reddish purple, orange, sky blue, black, yellow).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
)

# Neutral colours for reference marks (null bands, chance levels, cuts).
NULL_COLOR = "0.55"
MARK_COLOR = "0.3"

#: Column widths in inches: one column of a two-column paper, and the full text width.
WIDTHS: dict[str, float] = {"single": 3.4, "double": 7.0}

DEFAULT_ASPECT = 0.75


def _rc(rc: Mapping[str, Any] | None) -> dict[Any, Any]:
    if rc is None:
        return {}
    if not isinstance(rc, Mapping):
        raise TypeError(f"rc must be a mapping of rcParams overrides; got {type(rc).__name__}")
    mpl.RcParams(rc)  # checks every key and value now, before any setting is changed
    return dict(rc)


def use_style(rc: Mapping[str, Any] | None = None) -> None:
    """Apply the svcca house style to every figure made from now on.

    Parameters
    ----------
    rc : mapping, optional
        rcParams to override on top of the house style, e.g. ``{"font.sans-serif": ["Arial"]}``.

    See Also
    --------
    style : the same, for the duration of a ``with`` block.

    Notes
    -----
    The style lives in ``svcca/plotting/svcca.mplstyle``: 8 pt text, the Okabe-Ito
    colour-blind-safe cycle, light grids, no top/right spines, constrained layout, and
    publication output settings (300 dpi, tight bounding box, TrueType fonts in PDF).

    Examples
    --------
    >>> import matplotlib as mpl
    >>> from svcca.plotting import use_style
    >>> with mpl.rc_context():  # only to leave the doctest session unchanged
    ...     use_style()
    ...     mpl.rcParams["pdf.fonttype"], mpl.rcParams["font.size"]
    (42, 8.0)
    """
    overrides = _rc(rc)
    plt.style.use(str(STYLE_PATH))
    if overrides:
        mpl.rcParams.update(overrides)


@contextlib.contextmanager
def style(rc: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Context manager: the house style inside the ``with`` block, the previous settings after.

    Parameters
    ----------
    rc : mapping, optional
        rcParams to override on top of the house style.

    Examples
    --------
    >>> import matplotlib as mpl, matplotlib.pyplot as plt
    >>> from svcca.plotting import style, plot_spectrum
    >>> with style():
    ...     ax = plot_spectrum([0.99, 0.9, 0.5, 0.1])
    ...     mpl.rcParams["axes.spines.top"]
    False
    >>> plt.close(ax.figure)
    """
    with plt.style.context(str(STYLE_PATH)), mpl.rc_context(_rc(rc)):
        yield


def figure_size(width: str | float = "single", aspect: float = DEFAULT_ASPECT) -> tuple[float, float]:
    """Figure size in inches for a paper column.

    Parameters
    ----------
    width : {"single", "double"} or float, default "single"
        ``"single"``: one column of a two-column paper (3.4 in); ``"double"``: the full text
        width (7 in); or a width in inches.
    aspect : float, default 0.75
        Height divided by width.

    Returns
    -------
    (width, height) : tuple of float
        In inches, for ``plt.figure(figsize=...)``.

    Raises
    ------
    ValueError
        For an unknown width name or a non-positive width or aspect.

    Examples
    --------
    >>> from svcca.plotting import figure_size
    >>> figure_size("single")
    (3.4, 2.55)
    >>> figure_size("double", aspect=0.5)
    (7.0, 3.5)
    """
    if isinstance(width, str):
        if width not in WIDTHS:
            raise ValueError(
                f"width must be one of {', '.join(map(repr, WIDTHS))} or a number of inches; got {width!r}"
            )
        w = WIDTHS[width]
    elif isinstance(width, numbers.Real) and not isinstance(width, bool):
        w = float(width)
    else:
        raise TypeError(f"width must be 'single', 'double' or a number of inches; got {type(width).__name__}")
    if not (np.isfinite(w) and w > 0):
        raise ValueError(f"width must be a positive number of inches; got {width!r}")
    if (
        isinstance(aspect, bool)
        or not isinstance(aspect, numbers.Real)
        or not (np.isfinite(aspect) and aspect > 0)
    ):
        raise ValueError(f"aspect (height / width) must be a positive number; got {aspect!r}")
    return (w, round(w * float(aspect), 6))


def depth_colors(n: int, cmap: str | Any = "viridis") -> list[tuple[float, float, float, float]]:
    """``n`` colours from a sequential colour map, shallow (dark) to deep (light), by depth.

    The lightest 15% of the map is skipped so the deepest layer stays visible on white.

    Parameters
    ----------
    n : int
        Number of layers.
    cmap : str or matplotlib colormap, default "viridis"
        A sequential, perceptually uniform map.

    Returns
    -------
    list of RGBA tuples

    Examples
    --------
    >>> from svcca.plotting import depth_colors
    >>> len(depth_colors(5))
    5
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a positive int; got {n!r}")
    cm = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap
    pos = np.linspace(0.0, 0.85, int(n)) if n > 1 else np.array([0.0])
    return [tuple(float(c) for c in cm(p)) for p in pos]


def new_axes(ax: Any = None, width: str | float = "single", aspect: float = DEFAULT_ASPECT) -> Any:
    """Return ``ax``, or the axes of a new figure of a paper size (constrained layout)."""
    if ax is not None:
        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
        return ax
    _, ax = plt.subplots(figsize=figure_size(width, aspect), layout="constrained")
    return ax


def unit_ylim(ax: Any, *arrays: Any, top: float = 1.02) -> None:
    """Fix the y-range to [0, top] when every finite value lies in [0, 1] (similarities).

    The values are ``arrays`` and everything already drawn on ``ax`` (its data limits), so
    a call that draws similarities onto an axes holding other curves (a debiased CKA below
    0) does not push those out of view.
    """
    vals = [np.asarray(a, dtype=float).ravel() for a in arrays if a is not None]
    if not vals:
        return
    drawn = np.asarray(ax.dataLim.intervaly, dtype=float)
    if ax.has_data() and np.isfinite(drawn).all():
        vals.append(drawn)
    v = np.concatenate(vals)
    v = v[np.isfinite(v)]
    if v.size and v.min() >= 0.0 and v.max() <= 1.0:
        ax.set_ylim(0.0, top)


def integer_ticks(axis: Any) -> None:
    """Whole-number ticks (direction counts, indices)."""
    axis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))


def plain_log_labels(axis: Any) -> None:
    """Label a log-scaled axis of whole numbers as 1, 10, 100 rather than 10^0, 10^1, 10^2."""
    axis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    # on an axis spanning less than a decade matplotlib labels the minor ticks too, in
    # mathtext, and they overlap the plain major labels
    axis.set_minor_formatter(mpl.ticker.NullFormatter())


def finish_legend(ax: Any, **kwargs: Any) -> None:
    """Draw a legend when some artist carries a label."""
    handles, labels = ax.get_legend_handles_labels()
    if labels:
        ax.legend(**kwargs)


def finish_axes(ax: Any, xlabel: str, ylabel: str, *arrays: Any, top: float = 1.02, **legend: Any) -> Any:
    """Label both axes, fix a similarity y-range (:func:`unit_ylim`), draw the legend; return ``ax``."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    unit_ylim(ax, *arrays, top=top)
    finish_legend(ax, **legend)
    return ax


def direction_xaxis(ax: Any, n: int) -> None:
    """Set the x-axis to directions 1 to ``n``: whole-number ticks, half a step of margin each side."""
    ax.set_xlim(0.5, n + 0.5)
    integer_ticks(ax.xaxis)
