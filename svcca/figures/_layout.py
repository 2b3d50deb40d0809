"""Panel layout shared by the figure functions: the axes a caller passed, or a new figure."""

from __future__ import annotations

from typing import Any

import numpy as np


def panel_axes(
    axes: Any,
    ncols: int,
    *,
    aspect: float,
    width: str = "double",
    nrows: int = 1,
    n_panels: int | None = None,
    **subplots_kw: Any,
) -> np.ndarray:
    """Return the caller's axes as a flat object array, or those of a new ``nrows x ncols`` figure.

    Parameters
    ----------
    axes : matplotlib Axes, array of Axes or None
        Where to draw; None makes a new figure in the house size (``plotting.figure_size``)
        with a constrained layout.
    ncols : int
        Panels per row of a new figure.
    aspect : float
        Height over width of a new figure.
    width : {"single", "double"}, default "double"
        Column width of a new figure.
    nrows : int, default 1
        Rows of a new figure.
    n_panels : int, optional
        How many panels the figure draws (default ``nrows * ncols``): the caller's axes must
        hold at least that many, and the first ``n_panels`` are returned.
    **subplots_kw
        Passed on to ``matplotlib.pyplot.subplots`` (``sharey=True``, ...).

    Returns
    -------
    numpy.ndarray of matplotlib Axes, shape (n_panels,)
        A new figure's axes are all returned (``nrows * ncols``).

    Raises
    ------
    ValueError
        When the caller's axes are not matplotlib Axes, or fewer than the panels to draw
        (each panel would otherwise be paired with an axes silently, and the rest dropped).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> axes = panel_axes(None, 3, aspect=0.3)
    >>> axes.shape
    (3,)
    >>> panel_axes(axes[0], 1, aspect=0.3).shape   # a single Axes given: one panel
    (1,)
    >>> panel_axes(axes[:2], 3, aspect=0.3)
    Traceback (most recent call last):
    ...
    ValueError: axes must hold at least one Axes per panel (3); got 2
    >>> plt.close("all")
    """
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1 or nrows < 1:
        raise ValueError(f"nothing to draw: the data gives {ncols} panel(s) a row (one per layer or state)")
    if axes is None:
        import matplotlib.pyplot as plt

        from .. import plotting

        _, axes = plt.subplots(
            nrows,
            ncols,
            figsize=plotting.figure_size(width, aspect=aspect),
            layout="constrained",
            squeeze=False,
            **subplots_kw,
        )
        return np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    from matplotlib.axes import Axes

    flat = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    if not all(isinstance(ax, Axes) for ax in flat):
        kinds = sorted({type(ax).__name__ for ax in flat if not isinstance(ax, Axes)})
        raise ValueError(f"axes must be matplotlib Axes (or an array of them); got {', '.join(kinds)}")
    need = ncols * nrows if n_panels is None else n_panels
    if flat.size < need:
        raise ValueError(f"axes must hold at least one Axes per panel ({need}); got {flat.size}")
    return flat[:need]
