"""Singular vector CCA (Raghu et al. 2017): reduce each side by SVD, then CCA."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ._backend import get_ops, is_torch
from ._cca import (
    _GRAM_LIMIT,
    CCAResult,
    Whitened,
    _bad_scale,
    _cca_result,
    _col_scale_tolerance,
    _fix_signs,
    _narrowed,
    _no_varying,
    _offsets_dominate,
    _pow2_rescale,
    cast_to,
    cca_from_whitened,
    centre_scaled,
    check_narrowing,
    whiten_checked,
)
from ._docs import fill_doc
from ._pca import _centred_svd, _sign_flip, n_directions_for
from ._validation import (
    check_bool,
    check_epsilon,
    check_min_samples,
    check_pair,
    check_rtol,
    resolve_keep,
    shape_of,
    warn_sample_size,
)

__all__ = ["SVCCAResult", "svcca", "svd_reduce", "reduce_and_whiten"]


@dataclass(frozen=True, eq=False)
class SVCCAResult(CCAResult):
    """The result of :func:`svcca.svcca`: a :class:`CCAResult` of the SVD-reduced layers.

    Weights map back to the original features (``x_variates = (X - x_mean) @ x_weights``).

    Attributes
    ----------
    keep : float or None
        The variance fraction that was asked for (None when ``n_components`` was given).
    n_directions : int or None
        The number of directions per side that was asked for (``n_components``), or None.
    x_dims, y_dims : int
        Number of SVD directions kept and compared on each side (a kept direction that the
        whitening finds to be rounding is not compared).
    x_algorithm, y_algorithm : {"gram", "svd"}
        How each side's directions were found: the eigendecomposition of its Gram matrix,
        or the SVD of its centred data (see :func:`svcca.svcca`, Notes).
    x_explained, y_explained : float
        Fraction of each side's variance the kept directions explain.
    x_singular_values, y_singular_values : arrays
        All singular values of each centred layer (for spectra plots).

    Examples
    --------
    The pair of :class:`svcca.CCAResult`'s example, three directions kept on each side:

    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 4))
    >>> Y = np.hstack([X[:, :2], rng.standard_normal((300, 3))])
    >>> res = svcca.svcca(X, Y, n_components=3)
    >>> res
    SVCCAResult(similarity=0.3219, n_components=3, x_dims=3, y_dims=3, n_samples=300)
    >>> res.keep, res.n_directions, res.x_singular_values.shape
    (None, 3, (4,))
    """

    keep: Any = None
    n_directions: int | None = None
    x_dims: int = 0
    y_dims: int = 0
    x_explained: float = 0.0
    y_explained: float = 0.0
    x_singular_values: Any = None
    y_singular_values: Any = None

    def __repr__(self) -> str:
        return (
            f"SVCCAResult(similarity={self.similarity:.4f}, "
            + (f"keep={self.keep}" if self.n_directions is None else f"n_components={self.n_directions}")
            + f", x_dims={self.x_dims}, "
            f"y_dims={self.y_dims}, n_samples={self.n_samples})"
        )


def svd_reduce(X: Any, keep: float | int, ops: Any) -> tuple[Any, Any, Any, int, float, Any]:
    """Centre ``X`` and keep its top SVD directions.

    Returns ``(mean, reduced, V_k, k, explained, s)`` where ``reduced = (X - mean) @ V_k``
    has shape (n_samples, k). ``k`` follows ``keep`` (see :func:`svcca.svcca`) but never
    exceeds the numerical rank: directions with ``s_i <= max(n, p) * eps * s_max`` are
    rounding noise, not data.
    """
    mean, reduced, V, k, explained, s, c = _svd_reduce_scaled(X, keep, ops)
    return mean, reduced / c, V, k, explained, s


def _svd_reduce_scaled(X: Any, keep: float | int, ops: Any) -> tuple[Any, Any, Any, int, float, Any, Any]:
    """:func:`svd_reduce`, with ``reduced`` scaled by the power of two ``c`` it returns last.

    The scaled reduction neither overflows (1e307) nor underflows (1e-308) where the data
    do not: its largest entries are near 1.
    """
    mean, U, s, Vh, c = _centred_svd(X, ops)  # s of the data times c (a power of two)
    U, Vh = _sign_flip(ops, U, Vh)
    k = n_directions_for(s, keep)
    s_max = ops.max(s)
    rank = int((s > max(U.shape[0], Vh.shape[1]) * ops.real_dtype_eps(s) * s_max).sum()) if s_max > 0 else 0
    k = max(1, min(k, rank))
    total = ops.item((s * s).sum())
    explained = ops.item((s[:k] * s[:k]).sum()) / total if total > 0 else 0.0
    reduced = U[:, :k] * s[:k]
    with np.errstate(over="ignore"):
        s = s / c
    return mean, reduced, ops.ct(Vh[:k]), k, explained, s, c


@dataclass(frozen=True, eq=False)
class _Reduction:
    """One side of an SVCCA, reduced and whitened once (reusable across comparisons).

    ``w`` whitens the kept directions; ``V`` maps weights on its features back to the
    layer's features (None when ``w`` is already over the layer's features).
    """

    w: Whitened
    V: Any
    mean: Any
    k: int
    explained: float
    s: Any
    norms: Any = None  # centred column norms, when the reduction computed them
    moments: Any = None  # (column means, sums of squares) of the data its Gram was formed from


def _gram_reduction(Xa: Any, keep: float | int, epsilon: float, ops: Any) -> _Reduction | None:
    """SVCCA's reduction from the eigendecomposition of the centred Gram matrix ``Xc^H Xc``.

    ``Xc^H Xc = V diag(s^2) V^H`` gives the singular values and right singular vectors of
    the centred data in ``n p^2`` work. The kept directions ``Z = Xc V_k diag(s_k)^-1``
    are orthonormal up to about ``eps * d_max / s_k^2``, with ``d_max`` the largest
    diagonal entry of the Gram matrix actually formed (uncentred data, centred after the
    product, when the means are small next to the spreads); returns None (take the SVD of
    the data) when that exceeds the Gram limit of :func:`svcca._cca.whiten`, when the layer
    has at least as many features as samples, or when its scale needs rescaling.
    """
    n, p = (int(d) for d in Xa.shape)
    if p >= n:
        return None
    finfo = ops.finfo(Xa)
    limit = _GRAM_LIMIT[8 if float(finfo.eps) < 1e-10 else 4]
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        mean = ops.mean0(Xa)
        if not ops.all_finite(mean):
            return None
        # float32 always centres first (see _cca._whiten: the uncentred correction is off to
        # first order in the rounding of the computed means)
        if float(finfo.eps) > 1e-10 or _offsets_dominate(ops, Xa, mean, limit):
            data = Xa - mean
            offset = ops.mean0(data)  # the rounding left in the means
        else:
            data, offset = Xa, mean
        G = ops.gram(data)
        d = ops.diag_real(G)
        if _bad_scale(ops, d, mean, finfo, centred=data is not Xa):
            return None
        ops.sub_outer_(G, offset, offset, float(n))  # Xc^H Xc
        lam, V = ops.eigh(G)
    lam = ops.real(lam)
    lam, V = (lam.flip(0), V.flip(1)) if is_torch(lam) else (lam[::-1], V[:, ::-1])
    lam = lam * (lam > 0)
    s = ops.sqrt(lam)
    k = n_directions_for(s, keep)
    lam_k = ops.item(lam[k - 1])
    if not lam_k > 0 or ops.max(d) > limit * lam_k:
        return None
    # centred column norms for the constant-feature test, from the Gram matrix; where a
    # mean dominates its column (q > 1e4) the difference d - n m^2 is too rough: measure
    # those few columns on the data
    dc = ops.diag_real(G)
    norms = ops.sqrt(dc * (dc > 0))
    rough = ops.nonzero(d > 1e4 * dc) if data is Xa else ops.arange(0)
    if int(rough.shape[0]):
        norms[rough] = ops.colnorm(ops.index_cols(Xa, rough) - mean[rough])
    Vk, _ = _sign_flip(ops, V[:, :k], ops.ct(V[:, :k]))  # each column's sign is its own: the kept ones
    total = ops.item(lam.sum())
    explained = ops.item(lam[:k].sum()) / total if total > 0 else 0.0
    # SVCCA's CCA whitens the reduced layer Xc V_k after scaling its columns to unit norm,
    # adding epsilon to the identity it then has: Z = Xc V_k diag(s_k)^-1 / sqrt(1 + epsilon)
    W = Vk / (s[:k] * (1.0 + epsilon) ** 0.5)
    w = Whitened(
        mean=mean,
        kept=ops.arange(p),
        scale=ops.zeros((p,), like=d) + 1.0,
        rank=k,
        algorithm="gram",
        n_samples=n,
        n_features=p,
        dropped_constant=0,
        epsilon=epsilon,
        ops=ops,
        data=data,
        offset=offset,
        _W=W,
        _singular_values=ops.zeros((k,), like=d) + 1.0,
    )
    return _Reduction(
        w=w, V=None, mean=mean, k=k, explained=explained, s=s[: min(n, p)], norms=norms, moments=(offset, d)
    )


def reduce_and_whiten(
    X: Any, keep: float | int, ops: Any, *, epsilon: float = 0.0, rtol: float | None = None, name: str = "X"
) -> _Reduction:
    """SVCCA's per-layer work: centre, keep the top directions, whiten them.

    Through the Gram matrix when it resolves the kept directions (see
    :func:`_gram_reduction`), otherwise through the SVD of the data
    (:func:`svd_reduce`) followed by :func:`svcca._cca.whiten` of the reduced layer.
    """
    check_narrowing(X, ops, name)
    Xa = ops.asarray(X)
    red = _gram_reduction(Xa, keep, epsilon, ops)
    if red is not None:
        return red
    if float(ops.finfo(Xa).eps) > 1e-10:
        # float32 compute: a float32 SVD's rank, max(n, p) eps32, would cap the directions kept
        # below float64's (n_components=190 kept 122); as svcca._cca.whiten does, the float64
        # reduction, handed on in float32
        # (its norms and moments, in the data's units, may exceed float32: the constant-feature
        # test measures the float32 layer itself)
        wide = reduce_and_whiten(X, keep, ops.wider(), epsilon=epsilon, rtol=rtol, name=name)
        return replace(
            wide, w=_narrowed(wide.w, ops), V=cast_to(ops, wide.V), mean=cast_to(ops, wide.mean),
            s=cast_to(ops, wide.s), norms=None, moments=None,
        )  # fmt: skip
    mean, reduced, V, k, explained, s, c = _svd_reduce_scaled(X, keep, ops)
    n, p = (int(d) for d in Xa.shape)
    # a layer constant up to rounding (0.1 repeated) is said so of its own features, not of
    # the one reduced column of rounding it leaves. Only a layer whose largest singular value
    # is within rounding of its means can be one (then its features are tested, each scaled
    # by its own power of two so that neither 1e-300 nor a neighbour at 1e200 underflows it)
    eps = float(ops.finfo(Xa).eps)
    if not ops.max(s) > math.sqrt(p) * _col_scale_tolerance(ops.max(ops.abs(mean)), n, eps):
        if not centre_scaled(ops, Xa).varies:
            _no_varying(name, p, n)
    got = f"{name}.shape={shape_of(X)}, reduced to {k} direction(s)"
    # the reduction is whitened as scaled by c (near 1), and c is kept as the whitening's
    # column scale: a layer of 1e307 or 1e-308 would otherwise over- or underflow here
    w = whiten_checked(reduced, ops, epsilon=epsilon, rtol=rtol, name=name, got=got)
    cs = ops.zeros((k,), like=reduced) + c  # one power of two for every reduced column
    w = replace(w, algorithm="svd", colscale=cs if w.colscale is None else cs * w.colscale, mean=w.mean / c)
    return _Reduction(w=w, V=V, mean=mean, k=k, explained=explained, s=s)


@fill_doc
def svcca(
    X: Any,
    Y: Any,
    *,
    keep: float | None = None,
    n_components: int | None = None,
    epsilon: float = 0.0,
    rtol: float | None = None,
    dtype: Any = None,
    warn: bool = True,
) -> SVCCAResult:
    """SVCCA: keep each layer's top singular directions, then compute CCA between them.

    Parameters
    ----------
    %(X)s
    %(Y)s
    keep : float, default 0.99
        A variance fraction in (0, 1]: per side, the smallest number of SVD directions whose
        squared singular values reach ``keep`` of the total variance (the paper's 99%).
        Never more than the side's numerical rank. An int is refused (``keep=1`` would
        silently mean one direction where ``keep=1.0`` keeps all the variance). The count
        stops once all but 1e-12 of the variance is reached, so that rounding never adds
        directions: ``keep=1.0`` leaves out a direction holding less than that (a singular
        value below 1e-6 of the largest); pass ``n_components`` to keep it.
    n_components : int, optional
        Instead of ``keep``: that many SVD directions per side (never more than the rank).
    epsilon, rtol, dtype, warn
        As in :func:`svcca.cca` (half-precision input is computed in float32 or wider).

    Returns
    -------
    SVCCAResult
        ``.similarity`` is the mean canonical correlation of the reduced layers; the
        dimensions kept are in ``x_dims``/``y_dims``.

    Raises
    ------
    ValueError
        For invalid arrays (see :func:`svcca.cca`), an int ``keep``, a ``keep`` outside
        (0, 1], a non-positive ``n_components``, or both ``keep`` and ``n_components``.

    Notes
    -----
    Variance is measured on the centred, *unscaled* activations: SVCCA is deliberately not
    invariant to per-neuron scaling (low-variance directions count as noise), unlike CCA.

    The kept directions come from the eigendecomposition of the ``p x p`` Gram matrix
    ``Xc^T Xc = V diag(s^2) V^T`` (``n p^2`` work, as :func:`svcca.cca`), which resolves
    them to about ``eps * d_max / s_k^2``, with ``s_k`` the smallest kept singular value and
    ``d_max`` the largest diagonal entry of the Gram matrix formed (the data are centred
    before the product when their means dominate). Where that exceeds ``1e5`` (float64;
    ``1e2`` in float32), i.e. when the kept singular values span more than about 300x
    (10x in float32), and for layers with at least as many features as samples, the SVD
    of the centred data is taken instead, as in the original method. ``x_algorithm`` and
    ``y_algorithm`` say which route each side took. On the Gram route the singular values
    that are *not* kept are known to about ``sqrt(eps) * s_max``. With ``dtype=float32`` a
    side beyond float32's limit is reduced in float64 and handed on in float32 (a float32
    SVD's rank, ``max(n, p) * eps32``, would cap the kept directions below float64's).

    References
    ----------
    Raghu, Gilmer, Yosinski, Sohl-Dickstein (2017), SVCCA, NeurIPS.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> latent = rng.standard_normal((2000, 5))
    >>> X = latent @ rng.standard_normal((5, 50)) + 0.01 * rng.standard_normal((2000, 50))
    >>> Y = latent @ rng.standard_normal((5, 40)) + 0.01 * rng.standard_normal((2000, 40))
    >>> res = svcca.svcca(X, Y, keep=0.99)
    >>> res.x_dims, res.y_dims, round(res.similarity, 3)
    (5, 5, 1.0)
    >>> svcca.svcca(X, Y, n_components=2).x_dims
    2
    """
    keep = resolve_keep(keep, n_components)
    epsilon, rtol, warn = check_epsilon(epsilon), check_rtol(rtol), check_bool(warn, "warn")
    X, Y = check_pair(X, Y)
    check_min_samples(X, Y, 2, "SVCCA")
    ops = get_ops(X, Y, dtype=dtype)
    with ops.lapack_context():
        rx = reduce_and_whiten(X, keep, ops, epsilon=epsilon, rtol=rtol)
        ry = reduce_and_whiten(Y, keep, ops, epsilon=epsilon, rtol=rtol, name="Y")
        if warn:
            warn_sample_size(rx.w.n_samples, rx.w.rank, ry.w.rank)
        inner = cca_from_whitened(rx.w, ry.w)
    mx, my = rx.mean, ry.mean
    x_kept, y_kept = _varying(X, mx, ops, rx.norms, rx.moments), _varying(Y, my, ops, ry.norms, ry.moments)

    def weights() -> dict[str, Any]:
        # the reduced layer is (X - mean) @ V_k, so its weights map back through V_k (the
        # Gram route whitens on the features directly); constant features take no part
        # (their rows are rounding noise: set them to 0)
        xw, yw = inner.x_weights, inner.y_weights
        xw = xw if rx.V is None else rx.V @ xw
        yw = yw if ry.V is None else ry.V @ yw
        xw, yw = _fix_signs(ops, _only_rows(ops, xw, x_kept), _only_rows(ops, yw, y_kept))
        return {"x_weights": xw, "y_weights": yw}

    return _cca_result(
        SVCCAResult,
        rx.w,
        ry.w,
        inner.rho,
        weights,
        x_kept=x_kept,
        y_kept=y_kept,
        x_mean=mx,
        y_mean=my,
        _X=X,
        _Y=Y,
        keep=keep if isinstance(keep, float) else None,
        n_directions=keep if isinstance(keep, int) else None,
        # the directions compared: a reduced direction the whitening finds to be rounding
        # (the centred rank's extra direction under an offset of 1e5) is not one of them
        x_dims=rx.w.rank,
        y_dims=ry.w.rank,
        x_explained=rx.explained,
        y_explained=ry.explained,
        x_singular_values=rx.s,
        y_singular_values=ry.s,
    )


def _only_rows(ops: Any, w: Any, kept: Any) -> Any:
    """``w`` with every row outside ``kept`` set to exactly 0."""
    if int(kept.shape[0]) == int(w.shape[0]):
        return w
    out = ops.zeros(tuple(w.shape), like=w)
    out[kept] = w[kept]
    return out


def _varying(X: Any, mean: Any, ops: Any, norms: Any = None, moments: Any = None) -> Any:
    """Return the indices of the non-constant features (the same test as CCA's whitening).

    ``norms``, the centred column norms in the data's units, are measured here unless given,
    and ``moments`` (see :func:`svcca._cca._varying_columns`) spare most of the comparisons
    of entries when the Gram route gave them.
    """
    from ._cca import _varying_columns

    Xa = ops.asarray(X)
    if norms is not None and moments is not None:
        # the Gram route, which took only sums of squares far from over- and underflow: no
        # rescaled copy needed (a zero norm there is a cancellation, a question of constancy)
        return ops.nonzero(_varying_columns(ops, Xa, mean, norms, int(Xa.shape[0]), moments))
    # constancy does not depend on a column's scale: powers of two keep the norms finite
    Xa, c = _pow2_rescale(ops, Xa)
    mean = mean * c
    norms = ops.colnorm(Xa - mean) if norms is None else norms * c
    return ops.nonzero(_varying_columns(ops, Xa, mean, norms, int(Xa.shape[0])))
