"""Partial least squares (SVD of the cross-covariance), for layers of any two widths."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ._backend import get_ops
from ._validation import check_pair

__all__ = ["PLSResult", "pls"]


@dataclass(frozen=True, eq=False)
class PLSResult:
    """The result of :func:`svcca.pls`.

    Attributes
    ----------
    covariances : array of shape (n_components,)
        Singular values of the cross-covariance ``Sigma_xy``: the covariance of each pair of
        PLS scores, descending.
    x_weights, y_weights : arrays of shape (n_features_x, n_components), (n_features_y, n_components)
        Orthonormal PLS directions (singular vectors of ``Sigma_xy``).
    x_mean, y_mean : arrays
        Column means that were subtracted.
    x_scores, y_scores : arrays of shape (n_samples, n_components)
        Projections of the centred data on the directions (computed on first access).
    correlations : numpy.ndarray of shape (n_components,)
        Correlation of each pair of scores.
    similarity : float
        Mean of ``correlations``.
    """

    covariances: Any
    x_weights: Any
    y_weights: Any
    x_mean: Any
    y_mean: Any
    n_samples: int
    correlations: Any
    _Xc: Any = None
    _Yc: Any = None

    @property
    def n_components(self) -> int:
        return int(self.covariances.shape[0])

    @cached_property
    def x_scores(self) -> Any:
        return self._Xc @ self.x_weights

    @cached_property
    def y_scores(self) -> Any:
        return self._Yc @ self.y_weights

    @property
    def similarity(self) -> float:
        """Mean correlation of the paired PLS scores."""
        c = self.correlations
        return float(np.mean(c)) if c.size else 0.0

    @property
    def explained_covariance_ratio(self) -> np.ndarray:
        """Share of the total squared cross-covariance ``||Sigma_xy||_F^2`` per component."""
        s = np.asarray(self.covariances.detach().cpu() if hasattr(self.covariances, "detach") else self.covariances)
        tot = (s**2).sum()
        return s**2 / tot if tot > 0 else s * 0

    def __repr__(self) -> str:
        return f"PLSResult(similarity={self.similarity:.4f}, n_components={self.n_components}, n_samples={self.n_samples})"


def pls(X: Any, Y: Any, *, n_components: int | None = None, rtol: float | None = None, dtype: Any = None) -> PLSResult:
    """Partial least squares between two layers: the directions of maximal covariance.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features_x)
        Activations of the first layer, samples first.
    Y : array-like or torch.Tensor of shape (n_samples, n_features_y)
        Activations of the second layer; any width.
    n_components : int, optional
        Keep at most this many pairs; by default every pair with a non-zero covariance.
    rtol : float, optional
        Pairs with covariance ``<= rtol * max`` are dropped; default
        ``max(n_features_x, n_features_y) * eps``.
    dtype : {None, numpy.float32, numpy.float64}
        Compute precision.

    Returns
    -------
    PLSResult

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
    X, Y = check_pair(X, Y)
    ops = get_ops(X, Y, dtype=dtype)
    X = ops.asarray(X)
    Y = ops.asarray(Y)
    n = int(X.shape[0])
    if n < 2:
        raise ValueError(f"PLS needs at least 2 samples; got X.shape={tuple(X.shape)}")
    mx, my = ops.mean0(X), ops.mean0(Y)
    Xc, Yc = X - mx, Y - my
    C = (ops.ct(Xc) @ Yc) / (n - 1)
    U, s, Vh = ops.svd(C)
    if rtol is None:
        rtol = max(C.shape) * ops.real_dtype_eps(C)
    smax = ops.max(s)
    k = int((s > rtol * smax).sum()) if smax > 0 else 0
    if n_components is not None:
        if int(n_components) < 1:
            raise ValueError(f"n_components must be >= 1; got {n_components}")
        k = min(k, int(n_components))
    U, s, V = U[:, :k], s[:k], ops.ct(Vh)[:, :k]
    from ._cca import _fix_signs

    U, V = _fix_signs(ops, U, V)
    xs, ys = Xc @ U, Yc @ V
    sx = ops.sqrt(ops.sum(ops.abs(xs) ** 2, axis=0))
    sy = ops.sqrt(ops.sum(ops.abs(ys) ** 2, axis=0))
    corr = ops.to_numpy(s * (n - 1) / (sx * sy)) if k else np.zeros(0)
    corr = np.clip(np.real(corr).astype(np.float64), 0.0, 1.0)
    return PLSResult(
        covariances=s, x_weights=U, y_weights=V, x_mean=mx, y_mean=my, n_samples=n,
        correlations=corr, _Xc=Xc, _Yc=Yc,
    )
