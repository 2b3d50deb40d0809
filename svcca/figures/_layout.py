"""Panel layout shared by the figure functions: the axes a caller passed, or a new figure."""

from __future__ import annotations

from typing import Any

import numpy as np


def panel_axes(
    axes: Any, ncols: int, *, aspect: float, width: str = "double", nrows: int = 1, **subplots_kw: Any
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
    **subplots_kw
        Passed on to ``matplotlib.pyplot.subplots`` (``sharey=True``, ...).

    Returns
    -------
    numpy.ndarray of matplotlib Axes, shape (n_panels,)

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> axes = panel_axes(None, 3, aspect=0.3)
    >>> axes.shape
    (3,)
    >>> panel_axes(axes[0], 1, aspect=0.3).shape   # a single Axes given: one panel
    (1,)
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
