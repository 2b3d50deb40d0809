"""Singular vector CCA (Raghu et al. 2017): reduce each side by SVD, then CCA."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import get_ops
from ._cca import CCAResult, cca_from_whitened, whiten
from ._pca import _centred_svd, _sign_flip, n_directions_for
from ._validation import check_pair, resolve_keep, warn_sample_size

__all__ = ["SVCCAResult", "svcca", "svd_reduce"]


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
        Number of SVD directions kept on each side.
    x_explained, y_explained : float
        Fraction of each side's variance the kept directions explain.
    x_singular_values, y_singular_values : arrays
        All singular values of each centred layer (for spectra plots).
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
    mean, U, s, Vh, c = _centred_svd(X, ops)  # s of the data times c (a power of two)
    U, Vh = _sign_flip(ops, U, Vh)
    k = n_directions_for(s, keep)
    s_max = ops.max(s)
    rank = int((s > max(U.shape[0], Vh.shape[1]) * ops.real_dtype_eps(s) * s_max).sum()) if s_max > 0 else 0
    k = max(1, min(k, rank))
    total = ops.item((s * s).sum())
    explained = ops.item((s[:k] * s[:k]).sum()) / total if total > 0 else 0.0
    with np.errstate(over="ignore"):
        s = s / c
    reduced = U[:, :k] * s[:k]
    return mean, reduced, ops.ct(Vh[:k]), k, explained, s


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
    X : array-like or torch.Tensor of shape (n_samples, n_features_x)
        Activations of the first layer, samples first.
    Y : array-like or torch.Tensor of shape (n_samples, n_features_y)
        Activations of the second layer over the same samples.
    keep : float, default 0.99
        A variance fraction in (0, 1]: per side, the smallest number of SVD directions whose
        squared singular values reach ``keep`` of the total variance (the paper's 99%).
        Never more than the side's numerical rank. An int is refused (``keep=1`` would
        silently mean one direction where ``keep=1.0`` keeps all the variance).
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
    X, Y = check_pair(X, Y)
    ops = get_ops(X, Y, dtype=dtype)
    mx, rx, Vx, kx, ex, sx = svd_reduce(X, keep, ops)
    my, ry, Vy, ky, ey, sy = svd_reduce(Y, keep, ops)
    wx = whiten(rx, epsilon=epsilon, rtol=rtol, _ops=ops, _checked=True)
    wy = whiten(ry, epsilon=epsilon, rtol=rtol, _ops=ops, _checked=True)
    if warn:
        warn_sample_size(wx.n_samples, wx.rank, wy.rank)
    inner = cca_from_whitened(wx, wy)

    x_kept, y_kept = _varying(X, mx, ops), _varying(Y, my, ops)

    def weights() -> dict[str, Any]:
        # reduced = (X - mean) @ V_k, so weights on the reduced layer map back through V_k;
        # constant features take no part (their rows are rounding noise: set them to 0)
        xw, yw = Vx @ inner.x_weights, Vy @ inner.y_weights
        return {"x_weights": _only_rows(ops, xw, x_kept), "y_weights": _only_rows(ops, yw, y_kept)}

    return SVCCAResult(
        rho=inner.rho,
        x_weights=None,
        y_weights=None,
        x_rank=inner.x_rank,
        y_rank=inner.y_rank,
        x_kept=x_kept,
        y_kept=y_kept,
        x_mean=mx,
        y_mean=my,
        n_samples=inner.n_samples,
        epsilon=inner.epsilon,
        x_method=inner.x_method,
        y_method=inner.y_method,
        _X=X,
        _Y=Y,
        _weights_fn=weights,
        keep=keep if isinstance(keep, float) else None,
        n_directions=keep if isinstance(keep, int) else None,
        x_dims=kx,
        y_dims=ky,
        x_explained=ex,
        y_explained=ey,
        x_singular_values=sx,
        y_singular_values=sy,
    )


def _only_rows(ops: Any, w: Any, kept: Any) -> Any:
    """``w`` with every row outside ``kept`` set to exactly 0."""
    if int(kept.shape[0]) == int(w.shape[0]):
        return w
    out = ops.zeros(tuple(w.shape), like=w)
    out[kept] = w[kept]
    return out


def _varying(X: Any, mean: Any, ops: Any) -> Any:
    """Indices of the non-constant features (the same test as CCA's whitening)."""
    from ._cca import _pow2_rescale, _varying_columns

    # constancy does not depend on a column's scale: powers of two keep the norms finite
    Xa, c = _pow2_rescale(ops, ops.asarray(X))
    mean = mean * c
    return ops.nonzero(_varying_columns(ops, Xa, mean, ops.colnorm(Xa - mean), int(Xa.shape[0])))
