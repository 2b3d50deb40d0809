"""Spectra: canonical correlations, explained variance, PWCCA weights."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from .._docs import fill_doc
from .._pca import directions_reaching
from .._validation import check_keep, check_option
from ._inputs import as_float, attr, null_band
from ._style import MARK_COLOR, NULL_COLOR, direction_xaxis, finish_axes, finish_legend, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_explained_variance", "plot_pwcca_weights", "plot_spectrum"]


def _truncation_index(rho: np.ndarray, threshold: float) -> int:
    """Count the leading correlations whose cumulative sum first reaches ``threshold`` of the total.

    The rule of :meth:`svcca.CCAResult.truncated_mean`.
    """
    total = rho.sum()
    if total <= 0:
        return int(rho.size)
    return min(int(np.searchsorted(np.cumsum(rho) / total, threshold - 1e-12)) + 1, int(rho.size))


@fill_doc
def plot_spectrum(
    result_or_rho: Any,
    null: Any = None,
    *,
    ax: Axes | None = None,
    threshold: float | None = None,
    svcca_cut: int | bool | None = None,
    label: str | None = None,
    level: float = 0.95,
    color: Any = None,
    xlabel: str = "canonical direction",
    ylabel: str = "canonical correlation",
) -> Axes:
    """Plot a canonical-correlation spectrum, optionally against a null band.

    Parameters
    ----------
    result_or_rho : CCAResult-like or array-like of shape (k,)
        A result with a ``.rho`` attribute (``svcca.cca``, ``svcca.svcca``, ``svcca.pwcca``)
        or the correlations themselves, in descending order.
    null : array-like of shape (n_draws, k_null), sequence of results, or object, optional
        A null spectrum, one value per canonical direction: draws of the spectrum under a
        random or permutation null (one per row, e.g. the ``.rho`` of :func:`svcca.cca` on
        ``X`` and ``Y`` with its rows shuffled, or on random matrices shaped like the
        layers; the central ``level`` interval per direction is shaded), a list of results
        with ``.rho``, or a mapping/object with ``lower`` and ``upper`` (arrays of length
        ``k_null``, or scalars for one band at every direction). ``k_null`` may differ from
        ``k``. The results of :mod:`svcca.stats` hold similarities, one number per draw,
        not spectra, and are refused: a :class:`~svcca.stats.BootstrapResult` is the
        interval of the summary over directions, and the nulls of
        :func:`~svcca.stats.permutation_test` and :func:`~svcca.stats.random_baseline` hold
        one similarity per draw.
    %(ax)s
    threshold : float in (0, 1], optional
        Mark the truncation of :meth:`svcca.CCAResult.truncated_mean`: the leading
        directions whose correlations sum to ``threshold`` of the total.
    svcca_cut : int or True, optional
        Mark a number of kept directions (e.g. the SVD directions SVCCA keeps). ``True``
        takes ``min(x_dims, y_dims)`` from an ``SVCCAResult``.
    label : str, optional
        Legend label of the spectrum.
    level : float, default 0.95
        Central coverage of the null band when ``null`` holds draws.
    color : matplotlib colour, optional
        Colour of the spectrum (the next colour of the cycle by default).
    %(xlabel_ylabel)s

    %(returns_axes)s

    Raises
    ------
    ValueError
        When the spectrum is not 1-D and finite, ``threshold`` is outside (0, 1],
        ``svcca_cut`` is not an int from 1 to ``k`` (or True), ``svcca_cut=True`` comes
        without an SVCCA result, or ``null`` is malformed (draws not 2-D, ``lower`` above
        ``upper``, ``level`` outside (0, 1)).
    TypeError
        When ``null`` is a result of :mod:`svcca.stats` (similarities, not spectra).

    Notes
    -----
    Every argument is checked before anything is drawn: a call that raises leaves ``ax``
    as it was. Directions are numbered from 1. Cuts are drawn between the last kept and the first
    dropped direction. The y-axis spans 0 to 1.02, widened to any value drawn beyond it.

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> from svcca.plotting import plot_spectrum
    >>> rng = np.random.default_rng(0)
    >>> rho = np.sort(rng.uniform(0.2, 1.0, 12))[::-1]
    >>> null = np.sort(rng.uniform(0.0, 0.4, (50, 12)), axis=1)[:, ::-1]
    >>> ax = plot_spectrum(rho, null, threshold=0.98, label="layer 2 vs layer 2")
    >>> len(ax.lines), len(ax.collections)
    (2, 1)
    >>> plt.close(ax.figure)
    """
    # every argument is checked before anything is drawn (a failed call leaves ax as it was)
    rho_src = attr(result_or_rho, "rho")
    rho = as_float(rho_src if rho_src is not None else result_or_rho, "rho", ndim=1)
    k = rho.size
    threshold_cut = None if threshold is None else _threshold_cut(rho, threshold)
    cut = _svcca_cut(result_or_rho, svcca_cut, k)
    band = None if null is None else null_band(null, level)

    ax = new_axes(ax)
    x = np.arange(1, k + 1)
    n_x = k
    if band is not None:
        lower, upper = band
        if lower.ndim == 0:  # scalar bounds: the same band at every direction
            lower, upper = np.full(k, float(lower)), np.full(k, float(upper))
        n_x = max(k, lower.size)
        xb = np.arange(1, lower.size + 1, dtype=float)
        if lower.size == 1:  # a band through one point has no area: span the direction's cell
            xb, lower, upper = np.array([0.5, 1.5]), np.repeat(lower, 2), np.repeat(upper, 2)
        ax.fill_between(
            xb,
            lower,
            upper,
            color=NULL_COLOR,
            alpha=0.3,
            linewidth=0,
            label=f"null ({level:.0%})",
            zorder=1,
        )
    marker = "o" if k <= 40 else None
    ax.plot(x, rho, marker=marker, color=color, label=label, zorder=3)

    if threshold_cut is not None:
        ax.axvline(
            threshold_cut + 0.5,
            color=MARK_COLOR,
            linestyle=":",
            linewidth=1.0,
            label=f"{threshold:g} of sum (k={threshold_cut})",
        )
    if cut is not None:
        ax.axvline(cut + 0.5, color=MARK_COLOR, linestyle="--", linewidth=1.0, label=f"svcca cut (k={cut})")

    ax.set_ylim(*_correlation_ylim(np.asarray(ax.dataLim.intervaly)))  # all drawn here, earlier calls too
    direction_xaxis(ax, n_x)
    return finish_axes(ax, xlabel, ylabel)


def _threshold_cut(rho: np.ndarray, threshold: Any) -> int:
    """Check ``threshold`` and return the number of directions it keeps."""
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, numbers.Real)
        or not 0.0 < float(threshold) <= 1.0
    ):
        raise ValueError(f"threshold must be in (0, 1]; got {threshold!r}")
    return _truncation_index(rho, float(threshold))


def _svcca_cut(result_or_rho: Any, svcca_cut: Any, k: int) -> int | None:
    """Check ``svcca_cut`` against the ``k`` directions of the spectrum; None when no cut is asked for."""
    if svcca_cut is None or svcca_cut is False:
        return None
    if svcca_cut is True:
        dims = [attr(result_or_rho, "x_dims"), attr(result_or_rho, "y_dims")]
        if any(d is None for d in dims):
            raise ValueError("svcca_cut=True needs an SVCCAResult (with x_dims and y_dims); pass an int")
        cut = int(min(dims))
        if not 1 <= cut <= k:
            raise ValueError(
                f"svcca_cut=True takes min(x_dims, y_dims) = {cut} directions, outside the spectrum's "
                f"1 to {k}"
            )
        return cut
    if not isinstance(svcca_cut, numbers.Integral):
        raise ValueError(f"svcca_cut must be True or an int from 1 to {k}; got {svcca_cut!r}")
    if not 1 <= int(svcca_cut) <= k:
        raise ValueError(
            f"svcca_cut must be from 1 to {k} (the number of directions in the spectrum); got {svcca_cut!r}"
        )
    return int(svcca_cut)


def _correlation_ylim(values: np.ndarray) -> tuple[float, float]:
    """``(0, 1.02)``, the range of correlations, widened to any value beyond it (none is hidden)."""
    v = values[np.isfinite(values)]
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
    pad = 0.02 * (max(hi, 1.0) - min(lo, 0.0))
    return (0.0 if lo >= 0.0 else lo - pad), (1.02 if hi <= 1.02 else hi + pad)


def _variance_fractions(obj: Any, side: str) -> list[tuple[str | None, np.ndarray]]:
    """Per-direction variance fractions (summing to 1) from a result or singular values."""
    ratio = attr(obj, "explained_variance_ratio")
    if ratio is not None:  # PCAResult: fractions of the total, even when truncated
        return [(None, as_float(ratio, "explained_variance_ratio", ndim=1))]
    sx, sy = attr(obj, "x_singular_values"), attr(obj, "y_singular_values")
    if sx is not None or sy is not None:  # SVCCAResult
        sides = {"x": [("x", sx)], "y": [("y", sy)], "both": [("x", sx), ("y", sy)]}[side]
        out: list[tuple[str | None, np.ndarray]] = []
        for name, s in sides:
            if s is None:
                raise ValueError(f"the result has no {name}_singular_values")
            out.append((name, _fractions(as_float(s, f"{name}_singular_values", ndim=1))))
        return out
    sv = attr(obj, "singular_values")
    return [(None, _fractions(as_float(sv if sv is not None else obj, "singular_values", ndim=1)))]


def _fractions(s: np.ndarray) -> np.ndarray:
    if np.any(s < 0):
        raise ValueError(f"singular values must be >= 0; got min {s.min():g}")
    top = float(s.max()) if s.size else 0.0
    if not top > 0:
        raise ValueError("singular values must not all be zero")
    var = (s / top) ** 2  # relative to the largest: values of 1e200 or 1e-170 square in range
    return var / var.sum()


@fill_doc
def plot_explained_variance(
    result_or_singular_values: Any,
    *,
    ax: Axes | None = None,
    keep: float | int | None = None,
    cumulative: bool = True,
    side: str = "both",
    label: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Plot variance explained by a layer's singular directions, marking where ``keep`` is reached.

    Parameters
    ----------
    result_or_singular_values : PCAResult, SVCCAResult or array-like of shape (n_directions,)
        A :class:`svcca.PCAResult` (its ``explained_variance_ratio``), a
        :class:`svcca.SVCCAResult` (its ``x_singular_values``/``y_singular_values``), or the
        singular values of a centred layer (variance is their square, as in SVCCA).
    %(ax)s
    keep : float in (0, 1] or int, optional
        The variance fraction (or number of directions) to mark. Default: the result's own
        ``keep`` for an SVCCAResult, else 0.99.
    cumulative : bool, default True
        Cumulative fraction (a curve rising to 1) or the fraction per direction (a scree plot,
        log scale).
    side : {"both", "x", "y"}, default "both"
        Which layer(s) of an SVCCAResult to draw.
    label : str, optional
        Legend label (for a single curve).
    xlabel, ylabel : str, optional
        Axis labels (sensible defaults).

    %(returns_axes)s

    Raises
    ------
    ValueError
        For negative or all-zero singular values, a bad ``keep`` or ``side``.

    Notes
    -----
    The number of directions marked is the smallest ``k`` with
    ``sum(s[:k]**2) / sum(s**2) >= keep``, the rule :func:`svcca.svcca` uses.

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt, svcca
    >>> from svcca.plotting import plot_explained_variance
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 3)) @ rng.standard_normal((3, 20))
    >>> X += 0.01 * rng.standard_normal((200, 20))
    >>> ax = plot_explained_variance(svcca.pca(X), keep=0.99)
    >>> ax.get_xlabel()
    'number of directions'
    >>> plt.close(ax.figure)
    """
    check_option(side, "side", ("both", "x", "y"))
    if keep is None:
        rk = attr(result_or_singular_values, "keep")
        keep = rk if rk is not None else 0.99
    keep = check_keep(keep)
    curves = _variance_fractions(result_or_singular_values, side)
    ax = new_axes(ax)
    for i, (name, frac) in enumerate(curves):
        k = directions_reaching(frac, keep)  # fractions of the total: None when a truncated PCA falls short
        x = np.arange(1, frac.size + 1)
        lab = label if len(curves) == 1 else (f"{label} {name}" if label else f"layer {name}")
        y = np.cumsum(frac) if cumulative else frac
        marker = "o" if frac.size <= 40 else None
        (line,) = ax.plot(x, np.minimum(y, 1.0) if cumulative else y, marker=marker, label=lab)
        if k is not None:
            ax.axvline(k, color=line.get_color(), linestyle="--", linewidth=0.9, alpha=0.8, zorder=1)
        ax.annotate(
            f"k={k}" if k is not None else f"keep={keep:g} not reached by {frac.size}",
            xy=(k if k is not None else frac.size, 0.02 + 0.08 * i),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize="small",
            color=line.get_color(),
        )
    if cumulative:
        if isinstance(keep, float):
            ax.axhline(keep, color=MARK_COLOR, linestyle=":", linewidth=0.9, label=f"keep={keep:g}")
        ax.set_ylim(0.0, 1.02)
        ax.set_ylabel(ylabel or "cumulative variance explained")
        ax.set_xlabel(xlabel or "number of directions")
    else:
        ax.set_yscale("log")
        ax.set_ylabel(ylabel or "variance explained")
        ax.set_xlabel(xlabel or "direction")
    direction_xaxis(ax, max(frac.size for _, frac in curves))
    finish_legend(ax)
    return ax


@fill_doc
def plot_pwcca_weights(
    result: Any,
    alpha: Any = None,
    *,
    ax: Axes | None = None,
    kind: str = "scatter",
    color: Any = None,
) -> Axes:
    """Plot PWCCA's projection weights ``alpha_i`` against the correlations ``rho_i``.

    Parameters
    ----------
    result : PWCCAResult or array-like of shape (k,)
        A :class:`svcca.PWCCAResult` (``.rho`` and ``.alpha``), or the correlations ``rho``
        when ``alpha`` is given.
    alpha : array-like of shape (k,), optional
        The weights, when ``result`` is an array.
    %(ax)s
    kind : {"scatter", "bars"}, default "scatter"
        ``"scatter"``: one point per direction, ``alpha_i`` against ``rho_i``, with the uniform
        weight ``1/k`` and the two summaries (mean ``rho`` and PWCCA ``sum alpha_i rho_i``)
        marked. ``"bars"``: ``alpha_i`` per direction as bars, with ``rho_i`` on a twin axis.
    color : matplotlib colour, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes holding the weights (for ``"bars"`` the twin axis is ``ax.right_ax``).

    Raises
    ------
    ValueError
        When ``rho`` and ``alpha`` differ in shape, or ``alpha`` is missing or negative.

    Notes
    -----
    PWCCA (Morcos et al. 2018) weighs each correlation by how much of the layer its canonical
    variate accounts for: ``alpha_i ∝ sum_j |<h_i, x_j>|``. Directions with high weight and low
    correlation pull PWCCA below the plain mean, and the reverse.

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt, svcca
    >>> from svcca.plotting import plot_pwcca_weights
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 6))
    >>> Y = X @ rng.standard_normal((6, 5)) + rng.standard_normal((300, 5))
    >>> ax = plot_pwcca_weights(svcca.pwcca(X, Y))
    >>> len(ax.collections[0].get_offsets())
    5
    >>> plt.close(ax.figure)
    """
    check_option(kind, "kind", ("scatter", "bars"))
    rho_src = attr(result, "rho")
    rho = as_float(rho_src if rho_src is not None else result, "rho", ndim=1)
    a_src = alpha if alpha is not None else attr(result, "alpha")
    if a_src is None:
        raise ValueError("plot_pwcca_weights needs a PWCCAResult or rho and alpha arrays; got no alpha")
    a = as_float(a_src, "alpha", ndim=1)
    if a.shape != rho.shape:
        raise ValueError(
            f"rho and alpha must have the same shape; got rho.shape={rho.shape}, alpha.shape={a.shape}"
        )
    if np.any(a < 0):
        raise ValueError(f"alpha must be >= 0; got min {a.min():g}")
    total = a.sum()
    w = a / total if total > 0 else np.full(a.shape, 1.0 / a.size)
    ax = new_axes(ax)
    k = rho.size
    if kind == "scatter":
        coll = ax.scatter(rho, w, color=color, s=14, zorder=3, label="direction")
        c = coll.get_facecolor()[0]
        ax.axhline(1.0 / k, color=MARK_COLOR, linestyle=":", linewidth=0.9, label="uniform (1/k)")
        ax.axvline(
            rho.mean(), color=NULL_COLOR, linestyle="--", linewidth=0.9, label=f"mean = {rho.mean():.2f}"
        )
        pw = float(np.dot(w, rho))
        ax.axvline(pw, color=c, linestyle="-", linewidth=0.9, label=f"pwcca = {pw:.2f}")
        ax.set_xlim(0.0, 1.02)
        ax.set_ylim(0.0, max(float(w.max()), 1.0 / k) * 1.1)
        finish_axes(ax, "canonical correlation", "projection weight")
    else:
        x = np.arange(1, k + 1)
        ax.bar(x, w, color=color, width=0.8, label="weight")
        right = ax.twinx()
        right.grid(False)
        right.spines["right"].set_visible(True)
        right.plot(x, rho, marker="o" if k <= 40 else None, color="0.2", label="correlation")
        right.set_ylim(0.0, 1.02)
        right.set_ylabel("canonical correlation")
        ax.set_xlabel("canonical direction")
        ax.set_ylabel("projection weight")
        direction_xaxis(ax, k)
        ax.right_ax = right  # type: ignore[union-attr]  # the twin axes, for callers
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = right.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2)
    return ax
