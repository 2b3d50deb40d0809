"""Canonical correlation analysis with explicit rank handling.

Notation (Raghu et al. 2017; Hotelling 1936): ``X`` (n x p) and ``Y`` (n x q) hold the
activations of two layers over the same n datapoints; ``Sigma_xx``, ``Sigma_yy`` and
``Sigma_xy`` are their (cross-)covariances. CCA finds weights ``a_i``, ``b_i`` maximising
``rho_i = corr(X a_i, Y b_i)`` subject to the variates being uncorrelated with the earlier
ones. With whitened bases ``Z_x = X Sigma_xx^{-1/2}`` the ``rho_i`` are the singular values
of ``Z_x^T Z_y`` (the cosines of the principal angles between the column spaces).

How we whiten each side (code symbol -> paper symbol in comments):

1. centre the columns; drop the constant (dead) ones, reporting which;
2. rescale every kept column to unit norm (CCA is invariant to it, and it removes bad
   scaling from the condition number), so ``G = Xs^T Xs`` is the correlation matrix;
3. *Gram path* (fast): eigendecompose ``G = V diag(lam) V^T``. It is used only when
   ``lam_min / lam_max`` is large enough that squaring the condition number costs no
   accuracy (about 1e-11 relative in float64). *SVD path* (robust): otherwise take the
   thin SVD of the data, ``Xs = U diag(s) V^T``, and keep the directions with
   ``s_i > rtol * s_max``, so rank-deficient and ill-conditioned input stays exact;
4. the optional ridge ``epsilon`` is added to the diagonal of the correlation matrix,
   ``G + epsilon I``, so it is dimensionless (a fraction of each feature's variance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ._backend import get_ops
from ._validation import check_epsilon, check_option, check_pair, warn_sample_size

__all__ = ["CCAResult", "cca", "whiten", "Whitened", "cca_from_whitened"]

# Largest squared condition number of the unit-norm data for which the Gram path is used,
# by compute precision: the error it adds to rho is about eps * cond^2.
_GRAM_MAX_COND2 = {8: 1e5, 4: 1e2}


@dataclass(frozen=True, eq=False)
class Whitened:
    """One side of a CCA, centred and whitened once (reusable across many comparisons).

    Attributes
    ----------
    mean : array of shape (n_features,)
        Column means that were subtracted.
    kept : array of int
        Indices of the features that vary (constant/dead features are dropped).
    scale : array of shape (n_kept,)
        Norms of the centred kept columns (the data were divided by them).
    basis : array of shape (n_samples, rank) or None
        ``Xs @ W`` when the SVD path was used (an orthonormal basis if ``epsilon=0``).
    data : array of shape (n_samples, n_kept) or None
        The centred, rescaled kept columns ``Xs``, held for the Gram path.
    W : array of shape (n_kept, rank)
        Whitening map in rescaled-feature space: ``Z = Xs @ W``.
    shrink : array of shape (rank,)
        ``s / sqrt(s^2 + epsilon)``: the norms of the whitened directions.
    rank : int
        Number of whitened directions kept.
    method : {"gram", "svd"}
        Which path was used.
    singular_values : array of shape (rank,)
        Singular values of the rescaled data along the kept directions.
    """

    mean: Any
    kept: Any
    scale: Any
    basis: Any
    data: Any
    W: Any
    shrink: Any
    rank: int
    method: str
    singular_values: Any
    n_samples: int
    n_features: int
    dropped_constant: int
    epsilon: float
    ops: Any = field(repr=False)
    source: Any = field(repr=False, default=None)

    def Z(self) -> Any:
        """The whitened data ``Xs @ W`` (n_samples x rank)."""
        if self.basis is not None:
            return self.basis
        return self.data @ self.W

    def weights_to_features(self, A: Any) -> Any:
        """Map coefficients on whitened directions to weights on the original features."""
        ops = self.ops
        w_kept = (self.W @ A) / self.scale[:, None]
        out = ops.zeros((self.n_features, w_kept.shape[1]), like=w_kept)
        out[self.kept] = w_kept
        return out


def _col_scale_tolerance(mean_abs: Any, n: int, eps: float) -> Any:
    # A constant column differs from its computed mean only by rounding: about
    # eps * log2(n) * |mean| per entry, so its centred norm is below this.
    return 8.0 * eps * math.sqrt(n) * max(1.0, math.log2(n)) * mean_abs


def whiten(
    X: Any,
    *,
    epsilon: float = 0.0,
    rtol: float | None = None,
    method: str = "auto",
    dtype: Any = None,
    _ops: Any = None,
    _checked: bool = False,
) -> Whitened:
    """Centre and whiten one layer's activations once, for reuse across comparisons.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features)
        Activations, samples first. Real or complex.
    epsilon : float, default 0.0
        Ridge added to the diagonal of the correlation matrix (dimensionless).
    rtol : float, optional
        Relative rank tolerance on singular values of the unit-norm data; default
        ``max(n_samples, n_features) * eps`` of the input's precision.
    method : {"auto", "gram", "svd"}
        ``"auto"`` takes the Gram path when it is accurate and the SVD path otherwise.
    dtype : {None, numpy.float32, numpy.float64}
        Compute precision; float64 by default.

    Returns
    -------
    Whitened
    """
    check_option(method, "method", ("auto", "gram", "svd"))
    epsilon = check_epsilon(epsilon)
    if not _checked:
        from ._validation import check_array

        X = check_array(X, "X")
    ops = _ops if _ops is not None else get_ops(X, dtype=dtype)
    in_eps = _input_eps(X)
    X = ops.asarray(X)
    n, p = X.shape
    if n < 2:
        raise ValueError(f"CCA needs at least 2 samples; got X.shape={tuple(X.shape)}")
    eps = max(ops.real_dtype_eps(X), in_eps)
    mean = ops.mean0(X)
    Xc = X - mean
    norms = ops.colnorm(Xc)
    tol = _col_scale_tolerance(ops.abs(mean), n, eps)
    keep_mask = (norms > tol) & (norms > 0)
    kept = ops.nonzero(keep_mask)
    n_kept = int(kept.shape[0])
    if n_kept == 0:
        raise ValueError(
            f"X has no varying feature: all {p} features are constant over the {n} samples "
            f"(dead neurons?); CCA is undefined for it"
        )
    if n_kept < p:
        Xc = Xc[:, kept]
        norms = norms[kept]
    Xs = Xc / norms
    if rtol is None:
        rtol = max(n, p) * eps
    itemsize = 4 if ops.real_dtype_eps(X) > 1e-10 else 8

    use_gram = method == "gram" or (method == "auto" and n_kept < n)
    if use_gram:
        G = ops.gram(Xs)
        lam, V = ops.eigh(G)
        lam = ops.real(lam)
        lam_max = ops.max(lam)
        lam_min = float(lam[0])
        if method == "gram" or (lam_min + epsilon) / (lam_max + epsilon) * _GRAM_MAX_COND2[itemsize] >= 1.0:
            # keep directions above the rank tolerance (squared, since lam = s^2)
            mask = lam > rtol * rtol * lam_max
            idx = ops.nonzero(mask)
            lam = lam[idx]
            V = V[:, idx]
            s = ops.sqrt(lam)
            denom = ops.sqrt(lam + epsilon)
            W = V / denom
            return Whitened(
                mean=mean, kept=kept, scale=norms, basis=None, data=Xs, W=W, shrink=s / denom,
                rank=int(lam.shape[0]), method="gram", singular_values=s, n_samples=n,
                n_features=p, dropped_constant=p - n_kept, epsilon=epsilon, ops=ops,
            )
    U, s, Vh = ops.svd(Xs)
    s_max = ops.max(s)
    r = int((s > rtol * s_max).sum())
    U, s, V = U[:, :r], s[:r], ops.ct(Vh)[:, :r]
    denom = ops.sqrt(s * s + epsilon)
    shrink = s / denom
    return Whitened(
        mean=mean, kept=kept, scale=norms, basis=U * shrink, data=Xs, W=V / denom, shrink=shrink,
        rank=r, method="svd", singular_values=s, n_samples=n, n_features=p,
        dropped_constant=p - n_kept, epsilon=epsilon, ops=ops,
    )


def _input_eps(X: Any) -> float:
    """Machine epsilon of the input's own precision (float32 data carry float32 noise)."""
    dt = X.dtype
    try:
        import torch

        if isinstance(dt, torch.dtype):
            return float(torch.finfo(dt).eps) if (dt.is_floating_point or dt.is_complex) else 0.0
    except ImportError:  # pragma: no cover - torch absent
        pass
    dt = np.dtype(dt)
    if dt.kind in "fc":
        return float(np.finfo(dt).eps)
    return 0.0


def _cross(wx: Whitened, wy: Whitened) -> Any:
    """``Z_x^H Z_y`` computed in the most accurate order available."""
    ops = wx.ops
    if wx.basis is not None and wy.basis is not None:
        return ops.ct(wx.basis) @ wy.basis
    if wx.basis is not None:
        return (ops.ct(wx.basis) @ wy.data) @ wy.W
    if wy.basis is not None:
        return ops.ct(wx.W) @ (ops.ct(wx.data) @ wy.basis)
    return ops.ct(wx.W) @ (ops.ct(wx.data) @ wy.data) @ wy.W


def _fix_signs(ops: Any, A: Any, B: Any) -> tuple[Any, Any]:
    """One sign (phase) convention: the largest-magnitude entry of each column of A is real > 0."""
    if A.shape[1] == 0:
        return A, B
    idx = ops.abs(A).argmax(0)
    cols = ops.arange(A.shape[1])
    pivot = A[idx, cols]
    phase = pivot / ops.abs(pivot)
    if ops.is_complex(A):
        phase = phase.conj()
    else:
        phase = ops.real(phase)
    return A * phase, B * phase


def cca_from_whitened(wx: Whitened, wy: Whitened, *, X: Any = None, Y: Any = None) -> CCAResult:
    """CCA between two sides whitened by :func:`whiten` (the reusable second half of :func:`cca`)."""
    if wx.n_samples != wy.n_samples:
        raise ValueError(
            f"X and Y must have the same number of samples; got {wx.n_samples} and {wy.n_samples}"
        )
    ops = wx.ops
    M = _cross(wx, wy)
    A, rho, Bh = ops.svd(M)
    k = min(wx.rank, wy.rank)
    A, rho, B = A[:, :k], rho[:k], ops.ct(Bh)[:, :k]
    A, B = _fix_signs(ops, A, B)
    rho = ops.clip01(ops.real(rho))
    # variates with unit variance (ddof=1): scale by sqrt(n - 1)
    c = math.sqrt(wx.n_samples - 1)
    x_weights = wx.weights_to_features(A) * c
    y_weights = wy.weights_to_features(B) * c
    return CCAResult(
        rho=rho,
        x_weights=x_weights,
        y_weights=y_weights,
        x_rank=wx.rank,
        y_rank=wy.rank,
        x_kept=wx.kept,
        y_kept=wy.kept,
        x_mean=wx.mean,
        y_mean=wy.mean,
        n_samples=wx.n_samples,
        epsilon=wx.epsilon,
        x_method=wx.method,
        y_method=wy.method,
        _X=X,
        _Y=Y,
    )


@dataclass(frozen=True, eq=False)
class CCAResult:
    """The result of :func:`svcca.cca`.

    Arrays are numpy arrays, or torch tensors on the input's device when tensors were
    passed. Summaries (``mean``, ``yanai``, ...) are Python floats.

    Attributes
    ----------
    rho : array of shape (n_components,)
        Canonical correlations, descending, in [0, 1]; ``n_components = min(x_rank, y_rank)``.
    x_weights, y_weights : arrays of shape (n_features_x, n_components), (n_features_y, n_components)
        Canonical weights on the centred features; rows of dropped (constant) features are 0.
        ``x_variates = (X - x_mean) @ x_weights``.
    x_rank, y_rank : int
        Effective ranks after dropping constant features and rank-deficient directions.
    x_kept, y_kept : int arrays
        Indices of the features that vary (constant and dead features are dropped).
    x_mean, y_mean : arrays
        Column means that were subtracted.
    n_samples : int
    epsilon : float
        The ridge that was used.
    x_method, y_method : {"gram", "svd"}
        Which whitening path each side took.
    """

    rho: Any
    x_weights: Any
    y_weights: Any
    x_rank: int
    y_rank: int
    x_kept: Any
    y_kept: Any
    x_mean: Any
    y_mean: Any
    n_samples: int
    epsilon: float
    x_method: str
    y_method: str
    _X: Any = field(default=None, repr=False)
    _Y: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(similarity={self.similarity:.4f}, n_components={self.n_components}, "
            f"x_rank={self.x_rank}, y_rank={self.y_rank}, n_samples={self.n_samples})"
        )

    # --- variates (computed on first access, so cca() itself pays only for rho/weights)
    @cached_property
    def x_variates(self) -> Any:
        """Canonical variates of X, shape (n_samples, n_components), unit variance (ddof=1)."""
        return self._variates(self._X, self.x_mean, self.x_weights, "X")

    @cached_property
    def y_variates(self) -> Any:
        """Canonical variates of Y, shape (n_samples, n_components), unit variance (ddof=1)."""
        return self._variates(self._Y, self.y_mean, self.y_weights, "Y")

    def _variates(self, data: Any, mean: Any, weights: Any, name: str) -> Any:
        if data is None:
            raise AttributeError(f"{name} was not kept with this result; compute (X - x_mean) @ x_weights")
        if hasattr(weights, "detach"):
            import torch

            data = torch.as_tensor(data).to(device=weights.device, dtype=weights.dtype)
        else:
            data = np.asarray(data, dtype=weights.dtype)
        return (data - mean) @ weights

    # --- summaries ---------------------------------------------------------------------
    @property
    def n_components(self) -> int:
        """Number of canonical pairs."""
        return int(self.rho.shape[0])

    @property
    def x_dropped(self) -> Any:
        """Indices of X's constant (dead) features, which were dropped."""
        return _complement(self.x_kept, self.x_weights.shape[0])

    @property
    def y_dropped(self) -> Any:
        """Indices of Y's constant (dead) features, which were dropped."""
        return _complement(self.y_kept, self.y_weights.shape[0])

    @property
    def _rho_np(self) -> np.ndarray:
        r = self.rho
        return r.detach().cpu().numpy() if hasattr(r, "detach") else np.asarray(r)

    @property
    def mean(self) -> float:
        """Mean canonical correlation (the SVCCA paper's similarity)."""
        return float(self._rho_np.mean())

    @property
    def similarity(self) -> float:
        """The one number this result reports: the mean canonical correlation."""
        return self.mean

    @property
    def yanai(self) -> float:
        """Yanai's generalised coefficient of determination, R^2 = mean(rho^2)."""
        return float((self._rho_np**2).mean())

    @property
    def pillai(self) -> float:
        """Pillai's trace, sum(rho^2)."""
        return float((self._rho_np**2).sum())

    def truncated_mean(self, threshold: float = 0.98) -> float:
        """Mean of the leading correlations whose cumulative sum first reaches ``threshold``
        of the total (the original code's summary)."""
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1]; got {threshold}")
        r = self._rho_np
        total = r.sum()
        if total <= 0:
            return 0.0
        k = int(np.searchsorted(np.cumsum(r) / total, threshold - 1e-12) + 1)
        return float(r[: min(k, r.size)].mean())

    def top_k_mean(self, k: int) -> float:
        """Mean of the ``k`` largest correlations."""
        if int(k) < 1:
            raise ValueError(f"k must be >= 1; got {k}")
        return float(self._rho_np[: int(k)].mean())

    def summaries(self, threshold: float = 0.98) -> dict[str, float]:
        """All summaries as a dict (for printing and tables)."""
        return {
            "similarity": self.similarity,
            "mean": self.mean,
            "yanai_r2": self.yanai,
            "pillai": self.pillai,
            f"truncated_mean@{threshold:g}": self.truncated_mean(threshold),
            "n_components": float(self.n_components),
        }


def _complement(kept: Any, p: int) -> Any:
    if hasattr(kept, "detach"):
        import torch

        mask = torch.ones(p, dtype=torch.bool, device=kept.device)
        mask[kept] = False
        return torch.nonzero(mask).flatten()
    mask = np.ones(p, dtype=bool)
    mask[np.asarray(kept)] = False
    return np.flatnonzero(mask)


def cca(
    X: Any,
    Y: Any,
    *,
    epsilon: float = 0.0,
    rtol: float | None = None,
    method: str = "auto",
    dtype: Any = None,
    warn: bool = True,
) -> CCAResult:
    """Canonical correlation analysis between two layers' activations.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features_x)
        Activations of the first layer, samples first. Real or complex.
    Y : array-like or torch.Tensor of shape (n_samples, n_features_y)
        Activations of the second layer over the same samples.
    epsilon : float, default 0.0
        Ridge added to the diagonal of each side's *correlation* matrix (features scaled
        to unit variance), so it is dimensionless: ``1e-4`` shrinks by one ten-thousandth
        of each feature's variance. 0 gives exact CCA.
    rtol : float, optional
        Relative rank tolerance: whitened directions with singular value
        ``s_i <= rtol * s_max`` of the unit-norm data are dropped. Default
        ``max(n_samples, n_features) * eps`` in the input's precision.
    method : {"auto", "gram", "svd"}, default "auto"
        ``"auto"`` whitens through the Gram matrix when it is well conditioned (fast: the
        three products ``X^T X``, ``Y^T Y``, ``X^T Y`` dominate) and through a thin SVD of
        the data otherwise (accurate for any rank or condition number).
    dtype : {None, numpy.float32, numpy.float64}, optional
        Compute precision; float64 unless float32 is asked for.
    warn : bool, default True
        Warn (:class:`SampleSizeWarning`) when ``p + q > n - 1``, where some correlations
        are 1 whatever the data.

    Returns
    -------
    CCAResult
        ``rho`` (descending, in [0, 1]), weights, lazily computed variates, ranks, kept
        features and summaries; ``.similarity`` is the mean correlation.

    Raises
    ------
    ValueError
        For non-2-D, empty, NaN/Inf input, different sample counts, or a side with no
        varying feature.

    Notes
    -----
    ``rho_i = max corr(X a, Y b)`` over directions uncorrelated with the first ``i - 1``
    pairs; equivalently the singular values of ``Sigma_xx^{-1/2} Sigma_xy Sigma_yy^{-1/2}``
    and the cosines of the principal angles between the centred column spaces. Constant
    features are dropped (and listed in ``x_dropped``) instead of producing NaN.

    References
    ----------
    Hotelling (1936), Relations between two sets of variates. Raghu et al. (2017), SVCCA.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((1000, 20))
    >>> Y = X @ rng.standard_normal((20, 30)) + 1.0     # an invertible-on-its-span map
    >>> res = svcca.cca(X, Y)
    >>> round(res.similarity, 6), res.n_components
    (1.0, 20)
    >>> round(svcca.cca(X, rng.standard_normal((1000, 20))).similarity, 2)
    0.09
    """
    X, Y = check_pair(X, Y)
    ops = get_ops(X, Y, dtype=dtype)
    wx = whiten(X, epsilon=epsilon, rtol=rtol, method=method, _ops=ops, _checked=True)
    wy = whiten(Y, epsilon=epsilon, rtol=rtol, method=method, _ops=ops, _checked=True)
    if warn:
        warn_sample_size(wx.n_samples, wx.rank, wy.rank)
    return cca_from_whitened(wx, wy, X=X, Y=Y)
