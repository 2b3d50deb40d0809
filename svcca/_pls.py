"""Partial least squares (SVD of the cross-covariance), for layers of any two widths."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._backend import get_ops, to_numpy
from ._cca import Centred, _dtype_name, _fix_signs, _input_eps, centre_scaled, check_narrowing
from ._docs import fill_doc
from ._validation import DegenerateLayerError, check_int, check_pair, check_rtol, shape_of

__all__ = ["PLSResult", "pls"]


@fill_doc
@dataclass(frozen=True, eq=False)
class PLSResult:
    """The result of :func:`svcca.pls`.

    Arrays are numpy arrays, or torch tensors on the input's device when tensors were passed.

    Attributes
    ----------
    covariances : array of shape (n_components,)
        Singular values of the cross-covariance ``Sigma_xy``: the covariance of each pair of
        PLS scores, descending.
    x_weights, y_weights : arrays of shape (n_features_x, n_components), (n_features_y, n_components)
        Orthonormal PLS directions (singular vectors of ``Sigma_xy``); the largest-magnitude
        entry of each ``x_weights`` column is positive, and ``y_weights`` follows its pair.
    %(xy_means)s
    n_samples : int
    correlations : array of shape (n_components,)
        Correlation of each pair of scores, in [0, 1].
    x_scores, y_scores : arrays of shape (n_samples, n_components)
        Projections of the centred data on the directions.
    explained_covariance_ratio : array of shape (n_components,)
        Each pair's share of the total squared cross-covariance ``||Sigma_xy||_F^2``, over
        all pairs, kept or not (so it sums to less than 1 when ``n_components`` truncates).
    similarity : float
        Mean of ``correlations``.

    Examples
    --------
    Two layers that share two directions (as in :class:`svcca.CCAResult`'s example):

    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X, noise = rng.standard_normal((300, 4)), rng.standard_normal((300, 3))
    >>> Y = np.hstack([X[:, :2], noise])
    >>> res = svcca.pls(X, Y)
    >>> res
    PLSResult(similarity=0.5303, n_components=4, n_samples=300)
    >>> res.x_weights.shape, res.x_scores.shape
    ((4, 4), (300, 4))
    >>> bool(np.allclose(res.x_weights.T @ res.x_weights, np.eye(4)))
    True
    """

    covariances: Any
    x_weights: Any
    y_weights: Any
    x_mean: Any
    y_mean: Any
    n_samples: int
    correlations: Any
    x_scores: Any = field(default=None, repr=False)
    y_scores: Any = field(default=None, repr=False)
    explained_covariance_ratio: Any = field(default=None, repr=False)

    @property
    def n_components(self) -> int:
        return int(self.covariances.shape[0])

    @property
    def similarity(self) -> float:
        """Mean correlation of the paired PLS scores."""
        c = to_numpy(self.correlations)
        return float(np.mean(c)) if c.size else 0.0

    def __repr__(self) -> str:
        return (
            f"PLSResult(similarity={self.similarity:.4f}, n_components={self.n_components}, "
            f"n_samples={self.n_samples})"
        )


def rounding_floor(ops: Any, n: int, eps: float, col_ms: Any, W: Any) -> Any:
    """Score norm that rounding alone gives each unit direction (column of ``W``) of a layer.

    Rounding of up to ``eps |x_ij| / 2`` in each entry (rms ``eps |x_ij| / sqrt(12)``) gives
    the direction ``w`` a score norm ``|Xc w|`` of about ``eps sqrt(n sum_j |w_j|^2 m_j / 12)``,
    with ``m_j`` (``col_ms``) the mean square of column ``j``'s raw entries: a direction
    along a small column is held to that column's rounding, not to the layer's largest.
    ``eps`` 0 (the input is as precise as the computation) gives 0.
    """
    if not eps:
        return 0.0 * ops.sum(ops.abs(W), axis=0)
    return 4.0 * eps * ops.sqrt(ops.sum(ops.abs(W) ** 2 * col_ms[:, None], axis=0) * (n / 12.0))


def resolved_pairs(
    ops: Any, tx: Any, ty: Any, sx: Any, sy: Any, *pairs: Any, what: str = ""
) -> tuple[Any, ...]:
    """Keep the PLS pairs whose directions carry more than the input's own rounding.

    Returns ``(sx, sy, *pairs)`` restricted to those pairs (the pairs' arrays: vectors of
    one value per pair, or matrices of one column per pair), unchanged when all are kept.
    When none is left, a :class:`svcca.DegenerateLayerError` (``what`` describes the input)
    rather than a similarity of 0.

    A pair whose x or y score norm (``sx``, ``sy``) is within its side's rounding floor
    (``tx``, ``ty``: :func:`rounding_floor`) lies in a direction the layer has only
    through its rounding. A float32 layer whose features are exactly dependent (an
    expanding linear map) is full rank by its rounding alone, and PLS made pairs of
    covariance 1e-10 there; their correlations are anything, and they moved the mean
    correlation (0.354 for 0.458). The same test as :func:`svcca.cca`'s noise floor for
    input coarser than the compute precision: a well-conditioned layer keeps every pair,
    as its float64 copy does.
    """
    keep = (sx > tx) & (sy > ty)
    arrays = (sx, sy, *pairs)
    if bool(keep.all()):
        return arrays
    if not bool(keep.any()):  # not "similarity 0": nothing the input resolves is left
        raise DegenerateLayerError(
            f"no PLS pair of X and Y lies above the input's own rounding ({what}): the layers "
            "vary by less than their precision resolves at their size (float32 values near 1e8 "
            "come in steps of 8). Store the activations in float64, or centre them before "
            "rounding them to float32"
        )
    idx = ops.nonzero(keep)
    return tuple(a[idx] if a.ndim == 1 else a[:, idx] for a in arrays)


def _pls_directions(
    ops: Any, C: Any, n_components: int | None, rtol: float | None
) -> tuple[Any, Any, Any, Any]:
    """Return the PLS pairs ``(U, s, V, share)`` of a cross-covariance ``C = Sigma_xy = U diag(s) V^H``.

    Truncated to the covariances above ``rtol * max`` (and to ``n_components``), with one
    sign convention; ``share`` is each kept pair's ``s_i^2`` over ``||C||_F^2`` (all pairs,
    kept or not). Shared by :func:`pls` and the streaming accumulators.
    """
    U, s, Vh = ops.svd(C)
    if rtol is None:
        rtol = max(C.shape) * ops.real_dtype_eps(C)
    smax = ops.max(s)
    k = int((s > rtol * smax).sum()) if smax > 0 else 0
    if n_components is not None:
        k = min(k, int(n_components))
    total = ops.sum(s * s)
    share = (s[:k] * s[:k]) / total if float(total) > 0 else s[:k] * 0
    U, s, V = U[:, :k], s[:k], ops.ct(Vh)[:, :k]
    U, V = _fix_signs(ops, U, V)
    return U, s, V, share


def _varying_part(ops: Any, X: Any, name: str) -> Centred:
    """Centre a layer, scaled by a power of two, with its constant features exactly 0 (CCA drops them).

    Rounding left by centring would otherwise make a PLS pair out of noise; a layer with no
    varying feature is refused.
    """
    centred = centre_scaled(ops, X)
    if not centred.varies:
        raise DegenerateLayerError(
            f"{name} has no varying feature: all {int(X.shape[1])} features are constant over the "
            f"{int(X.shape[0])} samples (dead neurons?); it has no covariance with anything and PLS is "
            "undefined for it"
        )
    return centred


def _raw_mean_squares(ops: Any, centred: Centred) -> Any:
    """Mean square of each feature's raw entries, in the units of ``centred.data``.

    ``|mean|^2 + mean(|x - mean|^2)``; a constant feature (0 in the data) counts 0.
    """
    varies = ops.colmaxabs(centred.data) > 0
    m = centred.location * (centred.scale * varies)
    return ops.abs(m) ** 2 + ops.mean0(ops.abs(centred.data) ** 2)


@fill_doc
def pls(
    X: Any, Y: Any, *, n_components: int | None = None, rtol: float | None = None, dtype: Any = None
) -> PLSResult:
    """Partial least squares between two layers: the directions of maximal covariance.

    Parameters
    ----------
    %(X)s
    Y : array-like or torch.Tensor of shape (n_samples, n_features_y)
        Activations of the second layer; any width.
    n_components : int, optional
        Keep at most this many pairs; by default every pair with a non-zero covariance.
    rtol : float, optional
        Pairs with covariance ``<= rtol * max`` are dropped; default
        ``max(n_features_x, n_features_y) * eps``. With the default, input coarser than the
        compute precision (float32 activations) also loses the pairs in directions that a
        layer has only through its rounding (see :func:`svcca._pls.resolved_pairs`).
    dtype : {None, numpy.float32, numpy.float64}
        Compute precision (float64 by default; half-precision input is computed in float32
        or wider). Each side is scaled by an exact power of two while computing, so any
        finite scale (1e-160 to 1e160) gives the same correlations.

    Returns
    -------
    PLSResult

    Raises
    ------
    ValueError
        For invalid arrays (see :func:`svcca.cca`), fewer than 2 samples, or a layer with
        no varying feature; float64 data with ``dtype=float32`` that float32 cannot hold
        (see :func:`svcca.pca`). A :class:`svcca.DegenerateLayerError` when the input is
        coarser than the compute precision and no pair lies above its rounding (float32
        layers near 1e8, in steps of 8, that vary by less).

    Notes
    -----
    ``Sigma_xy = X_c^T Y_c / (n - 1) = U diag(s) V^T``; the PLS pairs are ``(u_i, v_i)``
    with covariance ``s_i``. Unlike CCA, PLS depends on the scale of each neuron.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 8))
    >>> Y = np.hstack([3 * X[:, :1], rng.standard_normal((500, 3))])   # widths 8 and 4
    >>> res = svcca.pls(X, Y)
    >>> res.n_components, round(float(res.correlations[0]), 3)
    (4, 1.0)
    """
    n_components = check_int(n_components, "n_components", allow_none=True)
    rtol = check_rtol(rtol)
    X0, Y0 = X, Y = check_pair(X, Y)
    ops = get_ops(X, Y, dtype=dtype)
    check_narrowing(X, ops, "X")
    check_narrowing(Y, ops, "Y")
    n = int(X.shape[0])
    if n < 2:
        raise ValueError(f"PLS needs at least 2 samples; got X.shape={shape_of(X)}, Y.shape={shape_of(Y)}")
    # one exact power of two per side, set by the centred data, keeps the products from
    # over/underflowing (1e160, 1e-160, a neuron stuck at 1e30 in float32); covariances and
    # scores are scaled back at the end
    cenx, ceny = _varying_part(ops, ops.asarray(X), "X"), _varying_part(ops, ops.asarray(Y), "Y")
    Xc, Yc, cx, cy, mx, my = cenx.data, ceny.data, cenx.scale, ceny.scale, cenx.location, ceny.location
    U, s, V, share = _pls_directions(ops, (ops.ct(Xc) @ Yc) / (n - 1), n_components, rtol)
    xs, ys = Xc @ U, Yc @ V
    sx = ops.sqrt(ops.sum(ops.abs(xs) ** 2, axis=0))
    sy = ops.sqrt(ops.sum(ops.abs(ys) ** 2, axis=0))
    # each side's own rounding, where it is coarser than the compute precision (float32 data)
    eps_x, eps_y = (e if e > ops.real_dtype_eps(Xc) else 0.0 for e in (_input_eps(X0), _input_eps(Y0)))
    if rtol is None and (eps_x or eps_y):
        tx = rounding_floor(ops, n, eps_x, _raw_mean_squares(ops, cenx), U)
        ty = rounding_floor(ops, n, eps_y, _raw_mean_squares(ops, ceny), V)
        what = (
            f"eps={max(eps_x, eps_y):.1e}, X {_dtype_name(X0)}, Y {_dtype_name(Y0)}; "
            f"X.shape={shape_of(X0)}, Y.shape={shape_of(Y0)}"
        )
        sx, sy, U, s, V, share, xs, ys = resolved_pairs(
            ops, tx, ty, sx, sy, U, s, V, share, xs, ys, what=what
        )
    # u_i^H Sigma_xy v_i = s_i, so corr(xs_i, ys_i) = s_i (n - 1) / (|xs_i| |ys_i|)
    corr = ops.clip01(s * (n - 1) / (sx * sy))
    with np.errstate(over="ignore"):  # a covariance beyond the float range is reported as inf
        s, xs, ys = s / cx / cy, xs / cx, ys / cy
    return PLSResult(
        covariances=s,
        x_weights=U,
        y_weights=V,
        x_mean=mx,
        y_mean=my,
        n_samples=n,
        correlations=corr,
        x_scores=xs,
        y_scores=ys,
        explained_covariance_ratio=share,
    )
