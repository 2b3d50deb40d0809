"""Coercing what the figure functions accept (arrays, tensors, result objects) into numpy."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._backend import to_numpy

__all__ = ["as_float", "attr", "layer_positions", "null_band", "set_layer_ticks"]


def as_float(
    x: Any, name: str, *, ndim: int | tuple[int, ...] | None = None, finite: bool = True
) -> np.ndarray:
    """``x`` (array-like or tensor) as a float64 numpy array, with its dimension checked."""
    try:
        a = to_numpy(x)
        if np.iscomplexobj(a):
            raise TypeError(f"{name} must be real; got a complex array of shape {a.shape}")
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, TypeError) and "complex" in str(exc):
            raise
        raise TypeError(f"{name} must be a numeric array-like; got {type(x).__name__}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if a.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}; got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {a.shape}")
    if finite and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite; got {int(np.sum(~np.isfinite(a)))} NaN/inf value(s)")
    return a


def attr(obj: Any, *names: str) -> Any:
    """Return the first of ``names`` that ``obj`` has (attribute or mapping key) and is not None."""
    for n in names:
        if isinstance(obj, Mapping):
            v = obj.get(n)
        else:
            v = getattr(obj, n, None)
        if v is not None and not callable(v):
            return v
    return None


def _is_label_numeric(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def layer_positions(layers: Any, n: int, name: str = "layers") -> tuple[np.ndarray, list[str] | None]:
    """Place ``n`` layers on the x axis: at the numbers themselves, or at 0..n-1 with the labels as ticks."""
    if layers is None:
        return np.arange(n, dtype=float), None
    if (
        isinstance(layers, str)
        or not isinstance(layers, (Sequence, np.ndarray))
        and not hasattr(layers, "__len__")
    ):
        raise TypeError(f"{name} must be a sequence of layer labels; got {type(layers).__name__}")
    labels = list(to_numpy(layers)) if hasattr(layers, "shape") else list(layers)
    if len(labels) != n:
        raise ValueError(f"{name} must have one label per layer ({n}); got {len(labels)}")
    if all(_is_label_numeric(v) for v in labels):
        return np.asarray(labels, dtype=float), None
    return np.arange(n, dtype=float), [str(v) for v in labels]


def slant_xticklabels(ax: Any, angle: float) -> None:
    """Rotate the x tick labels by ``angle`` degrees, each anchored at its right end under its tick."""
    for t in ax.get_xticklabels():
        t.set_rotation(angle)
        t.set_horizontalalignment("right")
        t.set_rotation_mode("anchor")


def set_layer_ticks(ax: Any, x: np.ndarray, labels: list[str] | None, axis: str = "x") -> None:
    """Categorical layer ticks; long labels on crowded axes are rotated."""
    if labels is None:
        return
    if axis == "x":
        ax.set_xticks(x, labels)
        if len(labels) > 5 and max(len(s) for s in labels) > 3:
            slant_xticklabels(ax, 45)
    else:
        ax.set_yticks(x, labels)


# how to make what plot_spectrum's null= needs, for the messages that refuse something else
_NULL_SPECTRA = (
    "null= needs spectra of the null, one value per canonical direction: draws of shape "
    "(n_draws, k), e.g. np.array([svcca.cca(X, rng.permutation(Y)).rho for _ in range(100)]) or "
    "the .rho of svcca.cca on random matrices shaped like the layers, a list of results with .rho, "
    "or per-direction lower and upper bounds"
)


def _refuse_scalar_null(null: Any) -> None:
    """Refuse a result that holds similarities (one number per draw), not spectra.

    A bootstrap interval is the interval of one similarity (the summary over directions),
    and a permutation or random-baseline null holds one similarity per draw: drawn as a
    band it would read as a per-direction null it is not.
    """
    if isinstance(null, (np.ndarray, list, tuple)) or np.isscalar(null):
        return
    name = type(null).__name__
    if attr(null, "bootstrap_distribution") is not None:
        raise TypeError(
            f"{_NULL_SPECTRA}; got a {name}, the interval of one similarity (the summary over "
            f"directions), which is not a null spectrum"
        )
    if attr(null, "low", "high") is not None and attr(null, "lower", "upper") is None:
        raise TypeError(
            f"{_NULL_SPECTRA}; got a {name} with low and high, as the interval of one similarity "
            f"(svcca.stats.bootstrap_ci's), which is not a null spectrum (bounds per direction are "
            f"named lower and upper)"
        )
    draws = attr(null, "null_distribution")
    if draws is not None and np.ndim(draws) == 1:
        raise TypeError(
            f"{_NULL_SPECTRA}; got a {name}, whose null_distribution holds one similarity per draw, "
            f"not a spectrum"
        )


def null_band(null: Any, level: float) -> tuple[np.ndarray, np.ndarray]:
    """``(lower, upper)`` of a null distribution of spectra.

    Accepts a 2-D array of draws ``(n_draws, k)`` (central ``level`` interval per index),
    a sequence of results with ``.rho`` (stacked, ragged lengths padded with NaN), or a
    mapping / object with ``lower`` and ``upper`` (arrays, or scalars: returned 0-d).
    Refuses (``TypeError``) results that hold similarities, not spectra: a
    :class:`svcca.stats.BootstrapResult`, and the nulls of
    :func:`svcca.stats.permutation_test` and :func:`svcca.stats.random_baseline`.
    """
    _refuse_scalar_null(null)
    lo, hi = attr(null, "lower"), attr(null, "upper")
    if lo is not None or hi is not None:
        if lo is None or hi is None:
            raise ValueError("null needs both 'lower' and 'upper'; got only one of them")
        lower = as_float(lo, "null lower", ndim=(0, 1))
        upper = as_float(hi, "null upper", ndim=(0, 1))
        if lower.ndim == 1 and upper.ndim == 1 and lower.shape != upper.shape:
            raise ValueError(
                f"null lower and upper must have the same shape; got {lower.shape} and {upper.shape}"
            )
        lower, upper = np.broadcast_arrays(lower, upper)
        if np.any(lower > upper):
            raise ValueError("null lower must not exceed null upper")
        return lower.astype(float), upper.astype(float)  # 0-d for scalar bounds: one band for every direction
    draws_attr = attr(null, "samples", "draws", "null_distribution")
    if draws_attr is not None:
        null = draws_attr
    if isinstance(null, (list, tuple)) and null and all(hasattr(r, "rho") for r in null):
        rows = [as_float(r.rho, "null[i].rho", ndim=1) for r in null]
        k = max(r.size for r in rows)
        draws = np.full((len(rows), k), np.nan)
        for i, r in enumerate(rows):
            draws[i, : r.size] = r
    else:
        draws = as_float(null, "null", finite=False)
        if draws.ndim != 2:
            hint = (
                " (a 1-D null distribution holds one similarity per draw, not a spectrum: pass the "
                "draws' spectra, e.g. np.array([svcca.cca(X, rng.permutation(Y)).rho for _ in "
                "range(100)]), or a list of results with .rho)"
                if draws.ndim == 1
                else ""
            )
            raise ValueError(
                f"null must be 2-D draws of the spectrum (n_draws, k); got shape {draws.shape}{hint}"
            )
        if np.all(np.isnan(draws)):
            raise ValueError("null must contain finite values")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level}")
    q = 100.0 * np.array([(1.0 - level) / 2.0, 1.0 - (1.0 - level) / 2.0])
    with warnings.catch_warnings():  # a direction no draw reached (all NaN) has no band: NaN, drawn as a gap
        warnings.simplefilter("ignore", RuntimeWarning)
        lower, upper = np.nanpercentile(draws, q, axis=0)
    return lower, upper
