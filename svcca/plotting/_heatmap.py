"""Layer x layer similarity heatmaps."""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.patches import Rectangle

from .._backend import to_numpy
from .._docs import fill_doc
from .._typing import ArrayOrTensor
from .._validation import check_option
from ._inputs import as_float, attr, slant_xticklabels
from ._style import new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_similarity_matrix"]


def _labels(given: Any, from_obj: Any, n: int, name: str) -> list[str] | None:
    labels = given if given is not None else from_obj
    if isinstance(labels, str):  # one string is not a list of names (its characters would be)
        raise TypeError(f"{name} must be a sequence of names; got the string {labels!r}")
    if labels is None:
        return None
    labels = [str(v) for v in (to_numpy(labels) if hasattr(labels, "shape") else labels)]
    if len(labels) != n:
        raise ValueError(f"{name} must have one label per {name.split('_')[0]} ({n}); got {len(labels)}")
    return labels


def _to_float(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _colour_limits(
    values: np.ndarray, hide: np.ndarray | None, vmin: Any, vmax: Any
) -> tuple[float | None, float | None, str]:
    """Resolve ``vmin``/``vmax`` ("auto", None or a number) for the matrix ``values``.

    Returns the limits (None: seaborn takes the range of the cells not hidden) and the
    colour bar's ``extend``: an arrow at each end beyond which some shown value lies (it is
    painted in the end colour).
    """
    limits = []
    for name, v in (("vmin", vmin), ("vmax", vmax)):
        if isinstance(v, str):
            if v != "auto":
                raise ValueError(f"{name} must be a number, 'auto' or None; got {v!r}")
        elif v is not None:
            number = None if isinstance(v, bool) else _to_float(v)
            if number is None or not np.isfinite(number):
                raise ValueError(f"{name} must be a finite number, 'auto' or None; got {v!r}")
            v = number
        limits.append(v)
    finite = values[np.isfinite(values)]
    shown = values[np.isfinite(values) & (True if hide is None else ~hide)]
    lo, hi = limits
    if lo == "auto":
        lo = min(0.0, float(finite.min())) if finite.size else 0.0
    if hi == "auto":
        hi = max(1.0, float(finite.max())) if finite.size else 1.0
    low = lo if lo is not None else (float(shown.min()) if shown.size else None)
    high = hi if hi is not None else (float(shown.max()) if shown.size else None)
    if low is not None and high is not None and low > high:
        raise ValueError(
            f"vmin must not exceed vmax; got vmin={low:g}{'' if lo is not None else ' (the data minimum)'} "
            f"and vmax={high:g}{'' if hi is not None else ' (the data maximum)'}"
        )
    if lo is not None and hi is not None and lo == hi:  # zero width: every cell would get the bottom colour
        half = 0.1 * abs(lo) if lo != 0 else 0.1
        lo, hi = lo - half, hi + half
    below = lo is not None and shown.size > 0 and float(shown.min()) < lo
    above = hi is not None and shown.size > 0 and float(shown.max()) > hi
    extend = "both" if below and above else "min" if below else "max" if above else "neither"
    return lo, hi, extend


@fill_doc
def plot_similarity_matrix(
    matrix: Any,
    row_labels: Any = None,
    col_labels: Any = None,
    *,
    ax: Axes | None = None,
    annot: bool | str = "auto",
    fmt: str = ".2f",
    mask: ArrayOrTensor | None = None,
    mask_style: str = "hatch",
    vmin: float | str | None = "auto",
    vmax: float | str | None = "auto",
    cmap: Any = "viridis",
    cbar: bool = True,
    cbar_label: str | None = None,
    square: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Plot a layer x layer similarity matrix as a labelled heatmap (seaborn).

    Parameters
    ----------
    matrix : array-like of shape (n_rows, n_cols), or a SimilarityMatrix-like object
        The similarities (NaN cells are left blank). An object with ``.values`` (and
        optionally ``.row_labels``, ``.col_labels``, ``.measure``), such as the labelled
        matrix returned by ``svcca.similarity_matrix``, or a pandas DataFrame (``.index``
        and ``.columns`` become the labels), is accepted too.
    row_labels, col_labels : sequence of str, optional
        Tick labels (layer names); they override the object's own. For a square matrix,
        ``row_labels`` alone labels both axes.
    %(ax)s
    annot : bool or "auto", default "auto"
        Write each value in its cell; ``"auto"`` does so for grids up to 10 x 10.
    fmt : str, default ".2f"
        Format of the annotations.
    mask : array-like of bool, shape (n_rows, n_cols), optional
        ``True`` marks the cells to de-emphasise, as in seaborn and numpy masked arrays,
        e.g. ``mask = p_values > 0.05`` for the non-significant cells.
    mask_style : {"hatch", "grey"}, default "hatch"
        ``"hatch"`` keeps the masked cells' colours and values and hatches them over;
        ``"grey"`` replaces them with a plain light-grey cell.
    vmin, vmax : float, "auto" or None, default "auto"
        Colour-scale limits. ``"auto"``: 0 and 1 (the range of most similarities), widened
        to the data where they go beyond it (debiased CKA below 0), so that no cell is
        clipped to a colour it does not have; ``None``: the data's range. A cell beyond a
        limit given as a number is painted in the end colour, and the colour bar gets an
        arrow at that end (``extend``); equal limits are widened by 10%.
    cmap : str or colormap, default "viridis"
        A sequential, colour-blind-safe map.
    cbar : bool, default True
        Draw a colour bar.
    cbar_label : str, optional
        Colour-bar label; default the object's ``measure`` (e.g. ``"pwcca"``) or ``"similarity"``.
    square : bool, default True
        Square cells.
    xlabel, ylabel : str, optional
        Axis labels (e.g. ``"network b layer"``).

    Returns
    -------
    matplotlib.axes.Axes
        The heatmap axes (the colour bar is ``ax.collections[0].colorbar``).

    Raises
    ------
    ValueError
        When the matrix is not 2-D or holds an infinite value, the labels or the mask do not
        match its shape, or ``vmin``/``vmax`` is not finite or ``vmin`` exceeds ``vmax``.

    Warns
    -----
    RuntimeWarning
        When every cell is NaN (the heatmap is empty).

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> from svcca.plotting import plot_similarity_matrix
    >>> sims = np.array([[1.0, 0.8, 0.5], [0.8, 1.0, 0.7], [0.5, 0.7, 1.0]])
    >>> ax = plot_similarity_matrix(sims, ["conv1", "conv2", "fc"], mask=sims < 0.6)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['conv1', 'conv2', 'fc']
    >>> plt.close(ax.figure)
    """
    import seaborn as sns  # imported here: it is only needed for this figure

    check_option(mask_style, "mask_style", ("hatch", "grey"))
    values_src = attr(matrix, "values")
    obj_rows = obj_cols = None
    if values_src is not None:
        obj_rows = attr(matrix, "row_labels")
        obj_cols = attr(matrix, "col_labels")
        if obj_rows is None and hasattr(matrix, "index") and hasattr(matrix, "columns"):  # pandas
            obj_rows, obj_cols = list(matrix.index), list(matrix.columns)
        if cbar_label is None:
            measure = attr(matrix, "measure")
            cbar_label = str(measure) if measure is not None else None
    else:
        values_src = matrix
    values = as_float(values_src, "matrix", ndim=2, finite=False)
    n_rows, n_cols = values.shape
    infinite = np.argwhere(np.isinf(values))
    if infinite.size:  # a colour map has no colour for them: they would show blank, as NaN does
        i, j = (int(v) for v in infinite[0])
        raise ValueError(
            f"matrix must hold finite values (NaN marks a missing cell); got {len(infinite)} infinite "
            f"cell(s), the first at row {i}, column {j}: {values[i, j]}"
        )
    if values.size and np.isnan(values).all():
        warnings.warn(
            f"every cell of the {n_rows} x {n_cols} matrix is NaN: the heatmap is empty",
            RuntimeWarning,
            stacklevel=2,
        )
    rows = _labels(row_labels, obj_rows, n_rows, "row_labels")
    same_layers = obj_cols is None or (obj_rows is not None and list(obj_cols) == list(obj_rows))
    if col_labels is None and same_layers and row_labels is not None and n_rows == n_cols:
        col_labels = row_labels  # one network's layers against themselves (a symmetric grid too)
    cols = _labels(col_labels, obj_cols, n_cols, "col_labels")
    if cbar_label is None:
        cbar_label = "similarity"
    if annot == "auto":
        annot = max(n_rows, n_cols) <= 10
    elif not isinstance(annot, bool):
        raise ValueError(f"annot must be True, False or 'auto'; got {annot!r}")
    hide = None
    if mask is not None:
        m = to_numpy(mask)
        if m.shape != values.shape:
            raise ValueError(f"mask must have the matrix's shape {values.shape}; got mask.shape={m.shape}")
        if m.dtype != bool:
            raise TypeError(f"mask must be boolean (True = masked cell); got dtype {m.dtype}")
        mask = m
        if mask_style == "grey":
            hide = mask

    vmin, vmax, extend = _colour_limits(values, hide, vmin, vmax)
    labels: Any = annot
    if annot:  # a value that rounds to zero is written 0.00, never -0.00
        digits = re.fullmatch(r"\.(\d+)f", fmt)
        if digits is not None:
            labels = np.where(np.abs(values) < 0.5 * 10.0 ** -int(digits.group(1)), 0.0, values)

    if ax is None:
        side = min(3.4, 1.0 + 0.45 * max(n_rows, n_cols))
        width = side + (0.7 if cbar else 0.0)
        ax = new_axes(None, width=width, aspect=side / width)
    else:
        ax = new_axes(ax)
    with warnings.catch_warnings():  # seaborn's limits of an all-NaN matrix (warned above)
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        sns.heatmap(
            values,
            ax=ax,
            mask=hide,
            vmin=vmin,
            vmax=vmax,
            cmap=cmap,
            annot=labels,
            fmt=fmt,
            annot_kws={"fontsize": "x-small"},
            square=square,
            cbar=cbar,
            cbar_kws={"label": cbar_label, "extend": extend} if cbar else None,
            xticklabels=cols if cols is not None else True,
            yticklabels=rows if rows is not None else True,
            linewidths=0,
        )
    ax.grid(False)
    ax.tick_params(length=0)
    ax.tick_params(axis="y", labelrotation=0)
    if cols is not None and n_cols > 5 and max(len(s) for s in cols) > 3:
        slant_xticklabels(ax, 45)
    if mask is not None:
        for i, j in zip(*np.nonzero(mask)):
            if mask_style == "hatch":
                patch = Rectangle(
                    (j, i),
                    1,
                    1,
                    fill=False,
                    hatch="////",
                    edgecolor="0.45",
                    linewidth=0,
                    zorder=2,
                    label="_masked",
                )
            else:
                patch = Rectangle(
                    (j, i),
                    1,
                    1,
                    facecolor="0.88",
                    edgecolor="white",
                    linewidth=0.5,
                    zorder=2,
                    label="_masked",
                )
            ax.add_patch(patch)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    return ax
