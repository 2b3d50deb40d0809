"""Canonical correlation analysis with explicit rank handling.

Notation (Raghu et al. 2017; Hotelling 1936): ``X`` (n x p) and ``Y`` (n x q) hold the
activations of two layers over the same n datapoints; ``Sigma_xx``, ``Sigma_yy`` and
``Sigma_xy`` are their (cross-)covariances. CCA finds weights ``a_i``, ``b_i`` maximising
``rho_i = corr(X a_i, Y b_i)`` subject to the variates being uncorrelated with the earlier
ones. With whitened bases ``Z_x = Xs W_x`` (``Z_x^H Z_x = I``) the ``rho_i`` are the
singular values of ``M = Z_x^H Z_y`` (the cosines of the principal angles between the
centred column spaces).

How each side is whitened (code symbol -> paper symbol in comments):

1. centre the columns; drop the constant (dead) ones, reporting which;
2. rescale every kept column to unit norm (CCA is invariant to it, and it takes bad
   scaling out of the condition number): ``Xs = Xc / ||Xc||``, so ``G = Xs^H Xs`` is the
   correlation matrix (``Sigma_xx`` rescaled);
3. *Gram path* (fast): ``G = L L^H`` (Cholesky) and ``W = L^{-H}``. It is taken only when
   LAPACK's estimate of the condition number of ``G`` shows that squaring the data's
   condition number costs no accuracy (the error it adds to ``rho`` is about
   ``eps * cond(G)``, kept below ``1e5 eps``, about 2e-11, in float64). The three
   products ``X^H X``, ``Y^H Y`` and ``X^H Y`` are then the whole cost: the Gram matrix
   is formed from the uncentred data and centred afterwards (``G - n m m^H``) when the
   column means are small enough next to the spreads for that to be exact to the same
   accuracy, which saves a centred copy of each layer (float64 only: in float32 the
   correction is off to first order in the rounding of the computed means). A centred
   copy's Gram loses the copy's own means too (``(Xc - 1 o^T)^H (Xc - 1 o^T)``: what the
   computed means missed, up to the spread itself in float32 at offsets of 1e5);
4. *two-pass Gram path* (float64, no ridge): a correlation matrix too ill-conditioned for
   one pass (``cond(G)`` up to 1e10, common in trained layers) is whitened by two
   Cholesky-QR passes, ``Q1 = Xs L1^{-H}`` then ``Q = Q1 L2^{-H}`` with ``Q1^H Q1 = L2 L2^H``
   (CholeskyQR2), orthonormal to rounding like the SVD path's basis and several times
   faster; only where the SVD path would keep every direction;
   *float32 compute*: the one-pass route in float32 takes only correlation matrices with
   ``cond(G)`` up to 1e2; any other layer (most trained layers, and wide ones) is whitened
   in float64 by items 3-5 and handed on as its whitened data ``Z`` rounded to float32
   (orthonormal to float32 rounding): faster than a float32 SVD of the data, and with the
   float64 computation's ranks;
5. *SVD path* (robust): otherwise take the thin SVD of the data, ``Xs = U diag(s) V^H``,
   and keep the directions with ``s_i > rtol * s_max``, so rank-deficient and
   ill-conditioned input stays exact;
6. the optional ridge ``epsilon`` is added to the diagonal of the correlation matrix,
   ``G + epsilon I``, so it is dimensionless (a fraction of each feature's variance).

``rho`` comes from the singular values of ``M`` alone (for a large real float64 ``M``
through one tridiagonalisation of ``M M^T``, the small values recomputed without squaring:
:func:`svcca._backend.svdvals_tridiagonal`); the canonical weights (one SVD with vectors)
and the variates are computed on first access.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from typing import Any, NamedTuple, TypeVar

import numpy as np

from ._backend import _TRIDIAGONAL_MIN, get_ops, is_torch, svd_left_eigh
from ._docs import fill_doc
from ._validation import (
    DegenerateLayerError,
    PrecisionWarning,
    assert_finite,
    check_array,
    check_bool,
    check_epsilon,
    check_option,
    check_pair,
    check_rtol,
    shape_of,
    warn_sample_size,
)

__all__ = ["CCAResult", "cca", "whiten", "whiten_checked", "Whitened", "cca_from_whitened"]

#: The whitening solvers (``algorithm=``).
ALGORITHMS = ("auto", "gram", "svd")

# The Gram path is taken when q_max * cond_1(G) stays below this, by the compute
# precision's itemsize. cond_1 >= cond_2 for a Hermitian G; q_max >= 1 measures how much
# accuracy centring after the product costs (1 when the data were centred first). The
# error the path adds to rho is about eps * q_max * cond(G): ~2e-11 (float64), ~1e-5 (float32).
_GRAM_LIMIT = {8: 1e5, 4: 1e2}


@fill_doc
@dataclass(frozen=True, eq=False)
class Whitened:
    """One side of a CCA, centred and whitened once (reusable across many comparisons).

    Build it with :func:`whiten`; compare two with :func:`cca_from_whitened`.

    Attributes
    ----------
    %(column_means)s
    kept : int array
        Indices of the features that vary (constant/dead features are dropped).
    scale : array of shape (n_kept,)
        What the centred kept columns were divided by: their norms, on the SVD path times
        each feature's rounding weight where a feature's mean exceeds its spread (see
        :func:`svcca.cca`'s ``rtol``).
    rank : int
        Number of whitened directions kept.
    algorithm : {"gram", "svd"}
        Which path was used.
    n_samples, n_features : int
    dropped_constant : int
        How many constant features were dropped.
    %(ridge_used)s
    data : array of shape (n_samples, n_kept) or None
        Gram path: the kept columns, uncentred (``offset`` = their means) or centred
        (``offset`` = the rounding left in their means); ``Xs = (data - offset) / scale``.
    offset : array of shape (n_kept,) or None
    basis : array of shape (n_samples, rank) or None
        SVD path: the whitened data ``Z`` (orthonormal columns when ``epsilon=0``).
    """

    mean: Any
    kept: Any
    scale: Any
    rank: int
    algorithm: str
    n_samples: int
    n_features: int
    dropped_constant: int
    epsilon: float
    ops: Any = field(repr=False)
    data: Any = field(default=None, repr=False)
    offset: Any = field(default=None, repr=False)
    # the columns of data that are the kept features (None: all of data's columns, in order);
    # offset is then over all of data's columns
    data_cols: Any = field(default=None, repr=False)
    basis: Any = field(default=None, repr=False)
    # Gram path: lower Cholesky factor of G + epsilon I (W = L^{-H}), or a dense W from eigh
    chol: Any = field(default=None, repr=False)
    gram: Any = field(default=None, repr=False)
    _W: Any = field(default=None, repr=False)
    _singular_values: Any = field(default=None, repr=False)
    # per-feature powers of two the data were multiplied by to avoid over/underflow
    colscale: Any = field(default=None, repr=False)
    source: Any = field(default=None, repr=False)

    # --- the whitening map --------------------------------------------------------------
    @cached_property
    def W(self) -> Any:
        """Whitening map on the rescaled kept features, shape (n_kept, rank): ``Z = Xs @ W``."""
        if self._W is not None:
            return self._W
        ops = self.ops
        return ops.solve_tril(self.chol, ops.eye(self.rank, like=self.chol), adjoint=True)

    @cached_property
    def singular_values(self) -> Any:
        """Singular values of the rescaled data ``Xs``, descending (rank of them)."""
        if self._singular_values is not None:
            return self._singular_values
        lam = self.ops.eigvalsh(self.gram)
        lam = lam.flip(0) if is_torch(lam) else lam[::-1]
        return self.ops.sqrt(lam * (lam > 0))

    @property
    def shrink(self) -> Any:
        """``s / sqrt(s^2 + epsilon)`` along the singular directions (all 1 when ``epsilon=0``)."""
        s = self.singular_values
        return s / self.ops.sqrt(s * s + self.epsilon)

    def _apply_WH(self, C: Any) -> Any:
        """``W^H C`` for ``C`` with one row per kept feature (Gram path)."""
        if self.chol is not None:
            return self.ops.solve_tril(self.chol, C)
        return self.ops.ct(self._W) @ C

    def _apply_W(self, A: Any) -> Any:
        """``W A`` for ``A`` with one row per whitened direction."""
        if self.chol is not None:
            return self.ops.solve_tril(self.chol, A, adjoint=True)
        return self._W @ A

    def Z(self) -> Any:
        """Return the whitened data ``Xs @ W``, shape (n_samples, rank)."""
        if self.basis is not None:
            return self.basis
        ops = self.ops
        data, offset = self.data, self.offset
        if self.data_cols is not None:
            data, offset = ops.index_cols(data, self.data_cols), offset[self.data_cols]
        Xs = (data - offset) / self.scale
        return ops.ct(self._apply_WH(ops.ct(Xs)))

    def comoment(self) -> Any:
        """Return ``Xc^H Xc`` over the kept features, up to one positive factor.

        This is the co-moment PWCCA's projection weights need (they do not depend on that
        factor), from the whitening's own Gram matrix or SVD: no pass over the samples. The
        factor keeps it finite for data near the ends of the floating-point range (1e300
        would overflow its square).
        """
        ops = self.ops
        if self.gram is not None:
            G = self.gram
        elif self.basis is not None:  # Xs = U diag(s) V^H, and _W = V / sqrt(s^2 + epsilon)
            s = self._singular_values
            Vs = self._W * (ops.sqrt(s * s + self.epsilon) * s)
            G = Vs @ ops.ct(Vs)
        else:
            raise ValueError("this whitening keeps neither a Gram matrix nor an SVD of the data")
        d = self.relative_norms()
        return G * d[:, None] * d[None, :]

    def relative_norms(self) -> Any:
        """Return the kept features' centred norms in the data's units, relative to the largest.

        Computed in float64 from the norms of the rescaled data and the powers of two they
        were rescaled by, so that float32 norms near the end of the range (``3e38 * sqrt(n)``)
        do not overflow on the way; returned in the compute precision.
        """
        scale = self.ops.to_numpy(self.scale)
        d = scale.astype(np.float64)
        if self.colscale is not None:
            d = d / self.ops.to_numpy(self.colscale[self.kept]).astype(np.float64)
        dmax = float(np.abs(d).max()) if d.size else 0.0
        if 0.0 < dmax < float("inf"):
            d = d / dmax
        return self.ops.from_numpy(d.astype(scale.dtype), like=self.scale)

    def feature_cross(self) -> Any:
        """Return ``Xs^H Z`` (n_kept x rank) from the whitening alone, or None.

        The inner products of the unit-norm features with the whitened directions, with no
        ridge: the Cholesky factor ``L`` on the Gram route (``Xs^H Xs L^{-H} = L``), and
        ``V diag(s)`` on the SVD path (``Xs^H U = V diag(s)``); None with a ridge or on the
        two-pass route. Both are as well conditioned as the data, unlike the product of the
        co-moment with the whitening map that they equal.
        """
        if self.epsilon != 0:
            return None
        if self.chol is not None:
            return self.chol
        if self.basis is not None and self._singular_values is not None and self.gram is None:
            s = self._singular_values
            return self._W * (s * s)[None, :]  # _W = V / s on the SVD path
        return None

    def weights_to_features(self, A: Any) -> Any:
        """Map coefficients on whitened directions to weights on the original features.

        Rank x k coefficients become n_features x k weights, zero for dropped features:
        ``Z A = (X - mean) @ w``.
        """
        ops = self.ops
        w_kept = self._apply_W(A) / self.scale[:, None]
        if self.colscale is not None:
            w_kept = w_kept * self.colscale[self.kept][:, None]
        if int(w_kept.shape[0]) == self.n_features:
            return w_kept
        out = ops.zeros((self.n_features, int(w_kept.shape[1])), like=w_kept)
        out[self.kept] = w_kept
        return out


def _col_scale_tolerance(mean_abs: Any, n: int, eps: float) -> Any:
    """Largest centred norm of a column that is constant up to rounding.

    A constant column differs from its computed mean only by rounding, about
    ``eps * log2(n) * |mean|`` per entry, so its centred norm is below this.
    """
    return 8.0 * eps * math.sqrt(n) * max(1.0, math.log2(n)) * mean_abs


def zero_constant_columns(ops: Any, Xa: Any, mean: Any, Xc: Any) -> tuple[Any, bool]:
    """Return ``Xc`` (``Xa`` minus ``mean``, or another location) with its rounding-constant features 0.

    Centring leaves rounding in a constant feature (0.1 repeated): a measure that uses the
    centred data as they are (PLS, CKA, Procrustes) would read it as a feature of tiny
    variance, and a layer without a varying feature as a tiny similarity instead of an
    error. One pass for the column norms; the full test of :func:`_varying_columns` only
    where a column is near its rounding. Also returns whether any feature varies.
    """
    n = int(Xa.shape[0])
    norms = ops.colnorm(Xc)
    if bool((norms > 4.0 * _col_scale_tolerance(ops.abs(mean), n, float(ops.finfo(Xa).eps))).all()):
        return Xc, True  # a constant column's centred norm is below the tolerance
    varies = _varying_columns(ops, Xa, mean, norms, n)
    return (Xc if bool(varies.all()) else Xc * varies), bool(varies.any())


# machine epsilon of float32: inputs coarser than this (float16, bfloat16) are "half"
_FLOAT32_EPS = float(np.finfo(np.float32).eps)


def _varying_columns(
    ops: Any, Xa: Any, mean: Any, norms: Any, n: int, moments: tuple[Any, Any] | None = None
) -> Any:
    """Mask of the columns of ``Xa`` that vary, from their centred ``norms``.

    A column whose entries all equal its first is constant whatever rounding its computed
    mean carries; any other column varies by at least one unit in the last place of its
    own precision, which the compute precision sees when it is at least as fine. In
    float32 the centred norm of a column with a large offset (3e5 +- 1) can fall below
    the rounding tolerance of its mean: such columns are measured again in float64.

    ``moments = (m, d)``, the column means and sums of squares of the data a Gram matrix
    was formed from (the centred copy, or the data themselves: ``d`` is that Gram's
    diagonal), spare the comparison of every entry with the first wherever they decide:
    the ``n`` equal entries of a constant column give ``d`` and ``n |m|^2`` that agree to
    about ``3 n eps``, so a column with ``n |m|^2 < (1 - 8 n eps) d`` varies.
    """
    eps = float(ops.finfo(Xa).eps)
    mask = (norms > _col_scale_tolerance(ops.abs(mean), n, eps)) & (norms > 0)
    slack = 8.0 * n * eps
    if moments is not None and slack < 0.5:
        m, d = moments
        m2 = ops.real(m * m.conj()) if ops.is_complex(m) else m * m
        varies = mask & (n * m2 < (1.0 - slack) * d)
        unsure = ops.nonzero(~varies)
        if int(unsure.shape[0]):  # compare only those columns' entries with their first
            sub = ops.index_cols(Xa, unsure)
            varies[unsure] = (sub != sub[:1]).any(0)
    else:
        varies = (Xa != Xa[:1]).any(0)
    mask = mask & varies
    if eps > 1e-10:
        doubt = ops.to_numpy(varies & ~mask)
        if doubt.any():
            idx = np.flatnonzero(doubt)
            x64 = ops.to_numpy(ops.index_cols(Xa, ops.from_numpy(idx, like=Xa))).astype(np.float64)
            m64 = x64.mean(axis=0)
            n64 = np.linalg.norm(x64 - m64, axis=0)
            tol64 = _col_scale_tolerance(np.abs(m64), n, float(np.finfo(np.float64).eps))
            spread = ops.to_numpy(mask).copy()
            spread[idx] = (n64 > tol64) & (n64 > 0)
            mask = ops.from_numpy(spread, like=Xa)
    return mask


def _input_eps(X: Any) -> float:
    """Machine epsilon of the input's own precision (float32 data carry float32 noise)."""
    if is_torch(X):
        import torch

        dt = X.dtype
        return float(torch.finfo(dt).eps) if (dt.is_floating_point or dt.is_complex) else 0.0
    dt = np.asarray(X).dtype
    return float(np.finfo(dt).eps) if dt.kind in "fc" else 0.0


def narrows(ops: Any, X: Any) -> bool:
    """Whether ``ops`` computes in a precision narrower than ``X``'s own (float64 data, ``dtype=float32``)."""
    eps_in = _input_eps(X)
    return bool(eps_in) and float(ops.finfo(ops.zeros((1,))).eps) > 4.0 * eps_in


def check_narrowing(X: Any, ops: Any, name: str = "X", got: str | None = None) -> None:
    """Refuse a narrowing cast (float64 data, ``dtype=float32``) that would change the data.

    A column whose spread the compute precision cannot resolve at its offset, values that
    underflow its smallest normal number or overflow its largest: each is a
    ``ValueError`` that names the column and the way out, where the cast would otherwise
    compare the rounding instead of the values. Nothing happens when ``ops`` is as wide as
    the input.
    """
    if not narrows(ops, X):
        return
    probe = ops.zeros((1,))
    _check_narrowing(X, ops, probe, name, got)
    x = ops.to_numpy(X) if is_torch(X) else np.asarray(X)
    with np.errstate(invalid="ignore"):
        big = float(np.max(np.abs(x))) if x.size else 0.0
    if np.isfinite(big) and big > float(ops.finfo(probe).max):
        _overflow(X, probe, ops, name, got)


def _bad_scale(ops: Any, sq: Any, mean: Any, finfo: Any, centred: bool = False) -> bool:
    """Whether squared column norms ``sq`` over/underflowed (then rescale the columns).

    ``centred``: ``sq`` are of the centred columns, where a constant column (0.5 repeated)
    gives exactly 0; a 0 is then suspect only where the column's mean is so small that a
    variation in its last place would underflow when squared.
    """
    if not ops.all_finite(sq):
        return True
    tiny, eps = float(finfo.tiny), float(finfo.eps)
    absm = ops.abs(mean)
    if centred:
        suspect = (absm > 0) & (absm * absm * (eps * eps) < tiny / eps)
    else:
        suspect = absm > 0
    small = (sq < tiny / eps) & ((sq > 0) | suspect)
    return bool(small.any())


def _pow2_rescale(ops: Any, Xa: Any, per_column: bool = True) -> tuple[Any, Any]:
    """Scale by powers of two (exact) so the largest entries are near 1.

    Each column is scaled (or, with ``per_column=False``, the whole array); returns the
    scaled array and the factors.
    """
    amax = ops.to_numpy(ops.colmaxabs(Xa)).astype(np.float64)
    if not per_column:  # one factor: measures that depend on relative column scales
        amax = amax.max(keepdims=True)
    c = pow2_factors(ops, amax, Xa)
    return Xa * c, c


def pow2_factors(ops: Any, amax: np.ndarray, like: Any) -> Any:
    """Powers of two that bring columns whose largest ``|value|`` is ``amax`` near 1.

    Returned in ``like``'s compute precision and backend; a column of zeros gets 1.
    """
    _, e = np.frexp(np.where(amax > 0, amax, 1.0))
    single = ops.real_dtype_eps(like) > 1e-10
    # 2**-e must stay a finite, normal float of the compute precision: float32 subnormal
    # columns (1e-40) would otherwise be scaled by 2**131, which is inf in float32
    e = np.clip(e, -127, 126) if single else np.clip(e, -1020, 1020)
    c = np.ldexp(1.0, -e).astype(np.float32 if single else np.float64)
    return ops.from_numpy(c, like=like)


class Centred(NamedTuple):
    """A layer centred and scaled by one power of two (see :func:`centre_scaled`)."""

    #: ``(X - location) * 2**-exponent``: largest entry near 1, constant features exactly 0.
    data: Any
    #: The subtracted column location (mean or median), in the data's own units.
    location: Any
    #: ``e`` of the factor ``2**-e``.
    exponent: int
    #: ``2**-exponent`` in the compute precision, shape ``(1,)``.
    scale: Any
    #: Whether any feature varies.
    varies: bool


def centre_scaled(ops: Any, X: Any, location: str = "mean") -> Centred:
    """Centre a layer and scale it by the power of two that brings its *centred* entries near 1.

    For the measures that depend on the relative scale of the features (PCA, PLS, CKA,
    Procrustes), whose squared (or fourth-power) terms must neither overflow nor underflow.
    The factor is set by the centred data, not by the raw entries: a dead neuron stuck at
    1e100, or an offset of 1e13 on every feature, would otherwise scale the varying
    features towards zero before their squares are taken (and underflow them in float32).

    Each feature is first scaled by its own power of two (exact), so that its mean is
    computed and subtracted far from over- and underflow; the features constant up to
    rounding (the tolerance of :func:`zero_constant_columns`, whichever the location) are
    set to exactly 0; then each feature is brought to the one common factor, again exactly.
    Where nothing over- or underflows the result is the centred layer times ``2**-exponent``, bit for bit.
    ``location="median"`` subtracts each column's median of about 1000 evenly spaced rows
    (robust to a few outlier rows; any location gives the statistics that use it).
    """
    Xs, cols = _pow2_rescale(ops, ops.asarray(X))
    if location == "median":  # exact: a constant feature is 0 exactly
        step = max(1, int(Xs.shape[0]) // 1024)
        loc = ops.colmedian(Xs[::step])
        Xc = Xs - loc
    else:
        Xc, loc = ops.centre(Xs)
    # a feature constant up to rounding (1e6 +- an ulp) is 0 too, whichever the location
    Xc = zero_constant_columns(ops, Xs, loc, Xc)[0]
    single = ops.real_dtype_eps(Xs) > 1e-10
    amax = ops.to_numpy(ops.colmaxabs(Xc)).astype(np.float64)
    own = -(np.frexp(ops.to_numpy(cols).astype(np.float64))[1] - 1)  # cols = 2**-own, per column
    varies = amax > 0
    e = int(np.max((np.frexp(amax)[1] + own)[varies])) if varies.any() else 0
    e = int(np.clip(e, -127, 126) if single else np.clip(e, -1020, 1020))
    # 2**(own - e): at most 1 on the largest feature, 0 on the constant ones (finite either way)
    factor = np.where(varies, np.ldexp(1.0, np.clip(own - e, -1100, 1000)), 0.0)
    if not bool((factor == 1.0).all()):
        Xc = Xc * ops.from_numpy(factor.astype(np.float32 if single else np.float64), like=Xc)
    scale = ops.from_numpy(np.array([np.ldexp(1.0, -e)], dtype=np.float32 if single else np.float64), like=Xc)
    return Centred(Xc, loc / cols, e, scale, bool(varies.any()))


def _offsets_dominate(ops: Any, Xa: Any, mean: Any, limit: float) -> bool:
    """Check whether the Gram of the uncentred data would lose too much accuracy.

    That is, whether some column's mean is so large next to its spread, estimated on about
    512 evenly spaced rows (``q = |x|^2 / |x - mean|^2`` above a quarter of ``limit``); the
    full test follows the product anyway, so a wrong guess costs time, never accuracy.
    """
    n = int(Xa.shape[0])
    dev = Xa[:: max(1, n // 512)] - mean
    var = ops.real(ops.mean0(dev * dev.conj())) if ops.is_complex(dev) else ops.mean0(dev * dev)
    m2 = ops.real(mean * mean.conj())
    spread = var > 0
    return bool((spread & (var + m2 > 0.25 * limit * var)).any())


class _Rejected(NamedTuple):
    """Why :func:`_try_gram` refused a Gram matrix.

    The estimated condition number, and the Cholesky factor it computed (None when ``Gs``
    was not positive definite), for the two-pass route.
    """

    kappa: float
    chol: Any


def _try_gram(
    ops: Any, Gs: Any, qmax: float, epsilon: float, forced: bool, rtol: float, noise: float,
    floors: Any = None, user_rtol: bool = False,
) -> dict[str, Any] | _Rejected:  # fmt: skip
    """Whiten through the scaled Gram matrix ``Gs``.

    Returns a dict on success, else a :class:`_Rejected` with the estimated condition
    number (so the caller knows whether centring first, or a second pass, would help).
    ``user_rtol``: ``rtol`` was given by the user, so the Cholesky route (which keeps every
    direction) is taken only where every singular value is certainly above ``rtol * s_max``;
    otherwise the rejection (condition number inf) sends the caller to the SVD path.
    ``floors`` (forced only): each feature's noise level on its unit-norm scale; a
    direction ``v`` is kept only where its singular value exceeds ``||floors * v||``, the
    noise of the features it is made of.
    """
    limit = _GRAM_LIMIT[8 if ops.real_dtype_eps(Gs) < 1e-10 else 4]
    if forced:
        # eigh, keeping the directions the Gram matrix can resolve
        lam, V = ops.eigh(Gs)
        lam = ops.real(lam)
        lam_max = ops.max(lam)
        # an eigenvalue of G is known to about noise * lam_max: keeping lam_i above
        # sqrt(noise) * lam_max makes Z orthonormal to about sqrt(noise)
        resolved = lam > max(rtol * rtol, math.sqrt(noise * qmax)) * lam_max
        if floors is not None:
            resolved = resolved & (lam > ops.sum(ops.abs(V * floors[:, None]) ** 2, axis=0))
        idx = ops.nonzero(resolved)
        idx = idx.flip(0) if is_torch(idx) else idx[::-1]
        lam, V = lam[idx], V[:, idx]
        s = ops.sqrt(lam)
        return {"_W": V / ops.sqrt(lam + epsilon), "_singular_values": s, "rank": int(s.shape[0])}
    L, ok = ops.cholesky(Gs)
    if not ok:
        return _Rejected(math.inf, None)
    rc = ops.rcond_chol(L, Gs)
    kappa = 1.0 / rc if rc > 0 else math.inf
    if qmax * kappa > limit:
        return _Rejected(kappa, L)
    # s_min^2 / s_max^2 = 1 / cond_2 >= 1 / cond_1, and LAPACK's estimate of cond_1 is rarely
    # more than a few times low: a factor max(10, p) of room
    if user_rtol and rtol * rtol * kappa * max(10, int(Gs.shape[0])) >= 1.0:
        return _Rejected(math.inf, None)
    if epsilon > 0:
        L, _ = ops.cholesky(Gs + epsilon * ops.eye(int(Gs.shape[0]), like=Gs))
    return {"chol": L, "rank": int(Gs.shape[0])}


def whiten(
    X: Any,
    *,
    epsilon: float = 0.0,
    rtol: float | None = None,
    algorithm: str = "auto",
    dtype: Any = None,
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
        ``max(n_samples, n_features) * eps`` with ``eps`` of the input's precision, on the
        data with each feature also weighed by its rounding (centring leaves about
        ``eps * |mean|`` in each entry; see :func:`svcca.cca`).
    algorithm : {"auto", "gram", "svd"}
        ``"auto"`` takes the Gram path when it is accurate and the SVD path otherwise;
        ``"gram"`` forces an eigendecomposition of the Gram matrix, keeping only the
        directions with ``s_i > (max(n_samples, n_features) * eps)^(1/4) * s_max``, whose
        whitening it resolves to about ``sqrt(max(n_samples, n_features) * eps)``.
    dtype : {None, numpy.float32, numpy.float64}
        Compute precision; float64 by default. With float32 and ``algorithm="auto"``, a
        layer that the float32 Gram route cannot whiten accurately is whitened in float64
        and its whitened data handed on in float32 (see :func:`svcca.cca`).

    Returns
    -------
    Whitened

    Raises
    ------
    ValueError
        For invalid input (see :func:`svcca.cca`), fewer than 2 samples, or no varying feature.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca._cca import whiten, cca_from_whitened
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((200, 5)), rng.standard_normal((200, 4))
    >>> wx = whiten(X)
    >>> Z = wx.Z()
    >>> bool(np.allclose(Z.T @ Z, np.eye(5))), wx.algorithm
    (True, 'gram')
    >>> round(cca_from_whitened(wx, whiten(Y)).similarity, 4)
    0.1462
    """
    check_option(algorithm, "algorithm", ALGORITHMS)
    epsilon, rtol = check_epsilon(epsilon), check_rtol(rtol)
    X = check_array(X, "X", check_finite=False)
    return whiten_checked(X, get_ops(X, dtype=dtype), epsilon=epsilon, rtol=rtol, algorithm=algorithm)


def whiten_checked(
    X: Any,
    ops: Any,
    *,
    epsilon: float = 0.0,
    rtol: float | None = None,
    algorithm: str = "auto",
    name: str = "X",
    got: str | None = None,
) -> Whitened:
    """:func:`whiten` of input that a public entry has already checked.

    ``X`` passed :func:`svcca._validation.check_array` (NaN and Inf are detected here, on
    the way), ``epsilon`` :func:`svcca._validation.check_epsilon` and ``algorithm`` its
    allowed set; ``ops`` is the backend of the whole call. ``name`` and ``got`` word the
    errors found on the way (fewer than 2 samples, non-finite values).
    """
    # over/underflow and NaN are detected explicitly below (and rescaled or reported)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"), ops.lapack_context():
        return _whiten(X, ops, epsilon, rtol, algorithm, name, got)


def _whiten(
    X: Any, ops: Any, epsilon: float, rtol: float | None, method: str, _name: str, _got: str | None
) -> Whitened:
    Xa = ops.asarray(X)
    n, p = (int(s) for s in Xa.shape)
    if n < 2:
        raise ValueError(f"CCA needs at least 2 samples; got {_got or f'{_name}.shape={shape_of(X)}'}")
    finfo = ops.finfo(Xa)
    # the compute precision is float32 or wider whatever arrives; the input's own rounding
    # (float32 data in float64, float16/bfloat16 data) enters as a noise floor on the SVD path
    eps = float(finfo.eps)
    eps_in = _input_eps(X)
    if narrows(ops, X):  # computing in a narrower precision than the input's
        _check_narrowing(X, ops, Xa, _name, _got)
    user_rtol = rtol
    rtol = max(n, p) * eps if rtol is None else float(rtol)
    limit = _GRAM_LIMIT[8 if float(finfo.eps) < 1e-10 else 4]
    noise = max(n, p) * float(finfo.eps)

    mean = ops.mean0(Xa)
    colscale = None
    if not ops.all_finite(mean):  # NaN/Inf in X (raises), or a sum that overflowed
        assert_finite(X, _name, _got=_got)
        if not ops.all_finite(Xa):  # finite input that the compute precision cannot hold
            _overflow(X, Xa, ops, _name, _got)
        Xa, colscale = _pow2_rescale(ops, Xa)
        mean = ops.mean0(Xa)
    common = {"n_samples": n, "n_features": p, "epsilon": epsilon, "ops": ops, "source": None}

    def out_mean() -> Any:
        return mean / colscale if colscale is not None else mean

    def done(kept: Any, scale: Any, fields: dict[str, Any], method_: str) -> Whitened:
        n_kept = int(kept.shape[0])
        return Whitened(
            mean=out_mean(),
            kept=kept,
            scale=scale,
            algorithm=method_,
            dropped_constant=p - n_kept,
            colscale=colscale,
            **common,
            **fields,
        )

    forced = method == "gram"
    retry_gram = forced or method == "auto"
    # a centred Gram matrix too ill-conditioned for one pass may still take two (CholeskyQR2)
    two_pass = method == "auto" and epsilon == 0 and eps < 1e-10 and eps_in <= _FLOAT32_EPS
    # the uncentred Gram is tried unless a sample of rows already shows that centring after
    # the product would fail its accuracy test (float64 data with large offsets): one wasted
    # Gram less. Never in float32: the correction n m m^H is off to first order in the
    # rounding of the computed mean m (c eps32 |m|, c up to about sqrt(n)), which cost
    # 2e-5 to 7e-5 of the correlations of layers with offsets of three to five times their spread
    if eps < 1e-10 and (
        forced or (method == "auto" and p < n and not _offsets_dominate(ops, Xa, mean, limit))
    ):
        # --- Gram of the uncentred data, centred afterwards when that is exact enough
        G = ops.gram(Xa)
        d = ops.diag_real(G)
        if colscale is None and _bad_scale(ops, d, mean, finfo):
            Xa, colscale = _pow2_rescale(ops, Xa)
            mean = ops.mean0(Xa)
            G = ops.gram(Xa)
            d = ops.diag_real(G)
        m2 = ops.real(mean * mean.conj()) if ops.is_complex(mean) else mean * mean
        v = d - n * m2  # n * variance of each column
        nz = d > 0  # all-zero columns (dead ReLUs) are dropped exactly
        bad = nz & (v * limit < d)  # q = d / v > limit (or v <= 0)
        if not bool(bad.any()):
            kept = ops.nonzero(nz)
            n_kept = int(kept.shape[0])
            if n_kept == 0:
                _no_varying(_name, p, n)
            q = d[kept] / v[kept]
            qmax = ops.max(q)
            # in place (G is our own product): Gc = G - n m m^H, then Gs = D^-1 Gc D^-1
            ops.sub_outer_(G, mean, mean, float(n))
            data, offset, data_cols = Xa, mean, None
            if n_kept < p:
                G = G[kept][:, kept]
                if n_kept < _LAZY_COLUMNS * p:
                    data, offset = ops.index_cols(Xa, kept), mean[kept]
                else:  # a few all-zero columns: their rows of the cross-product are dropped instead
                    data_cols = kept
            scale = ops.sqrt(ops.diag_real(G))
            inv = 1.0 / scale
            G *= inv[:, None]
            G *= inv[None, :]
            Gs = G
            res = _try_gram(ops, Gs, qmax, epsilon, forced, rtol, noise, user_rtol=user_rtol is not None)
            if isinstance(res, dict):
                fields = {"data": data, "offset": offset, "data_cols": data_cols, "gram": Gs, **res}
                return done(kept, scale, fields, "gram")
            # rejected only because centring after the product cost accuracy, or for two passes
            retry_gram = res.kappa <= (_QR2_LIMIT if two_pass else limit)
        del G

    # --- centre explicitly (one centred copy). With fewer features than samples the Gram
    # of the copy follows anyway: its diagonal gives the column norms, and with the centred
    # means it settles which columns vary, so no other pass over the copy is made
    gram_first = retry_gram and method != "svd" and (forced or p < n)

    def centred() -> tuple[Any, Any, Any, Any]:
        Xc = Xa - mean
        if not gram_first:
            norms = ops.colnorm(Xc)
            return Xc, None, norms * norms, norms
        G = ops.gram(Xc)
        sq = ops.diag_real(G)
        return Xc, G, sq, ops.sqrt(sq)

    Xc, G, sq, norms = centred()
    if colscale is None and _bad_scale(ops, sq, mean, finfo, centred=True):
        Xa, colscale = _pow2_rescale(ops, Xa)
        mean = ops.mean0(Xa)
        Xc, G, sq, norms = centred()
    offset = ops.mean0(Xc) if gram_first else None
    kept = ops.nonzero(_varying_columns(ops, Xa, mean, norms, n, None if G is None else (offset, sq)))
    n_kept = int(kept.shape[0])
    if n_kept == 0:
        _no_varying(_name, p, n)
    if n_kept < p:
        Xc = ops.index_cols(Xc, kept)
        norms = norms[kept]
        if G is not None:
            assert offset is not None  # both come from the Gram route (gram_first)
            G, offset = G[kept][:, kept], offset[kept]
    if retry_gram and (forced or n_kept < n) and method != "svd":
        if G is None:
            offset = ops.mean0(Xc)
            G = ops.gram(Xc)
        # the copy's means (what the rounding of the computed means left: in float32 up to
        # the spread itself, 7e5 +- 1) leave its Gram: (Xc - 1 o^T)^H (Xc - 1 o^T), as Z uses
        ops.sub_outer_(G, offset, offset, float(n))
        norms = ops.sqrt(ops.diag_real(G))
        inv = 1.0 / norms
        G *= inv[:, None]
        G *= inv[None, :]
        res = _try_gram(ops, G, 1.0, epsilon, forced, rtol, noise, user_rtol=user_rtol is not None)
        if isinstance(res, dict):
            return done(kept, norms, {"data": Xc, "offset": offset, "gram": G, **res}, "gram")
        if two_pass:
            cut = _svd_cutoff(ops, mean, kept, norms, n, p, eps, eps_in, user_rtol, rtol)[:2]
            refined = _cholesky_qr2(ops, Xc, G, norms, res, cut)
            if refined is not None:
                return done(kept, norms, refined, "gram")
    del G
    if method == "auto" and eps > 1e-10:
        # float32 compute, and the float32 Gram route cannot whiten the layer accurately
        # (cond(G) above 1e2, as in most trained layers, or at least as many features as
        # samples): whiten in float64 and hand the result on in float32. Its Gram routes are
        # faster than a float32 SVD of the data, and a float32 SVD's rank tolerance,
        # max(n, p) eps32, would drop weak directions that float64 resolves
        wide = _whiten(X, ops.wider(), epsilon, user_rtol, "auto", _name, _got)
        narrow = _narrowed(wide, ops)
        if colscale is None:
            return narrow
        # the layer's squares over- or underflow float32, and its norms may exceed it: they
        # are handed on as the norms of the columns rescaled here by powers of two (exact)
        both = wide.ops.asarray(ops.to_numpy(colscale))
        both = both if wide.colscale is None else both * wide.colscale
        return replace(narrow, scale=cast_to(ops, wide.scale * both[wide.kept]), colscale=cast_to(ops, both))
    # --- SVD path
    if eps > 1e-10:  # float32: centre again, so the mean's rounding leaves no offset
        Xc = Xc - ops.mean0(Xc)
        norms = ops.colnorm(Xc)
    rtol, floor, weights = _svd_cutoff(
        ops, mean, kept, norms, n, p, eps, eps_in, user_rtol, rtol, epsilon == 0
    )
    if weights is not None:  # the rounding of every feature at one level (see _svd_cutoff)
        norms = norms * weights
    Xc /= norms
    U, s, Vh = ops.svd(Xc)
    r = int((s > max(rtol * ops.max(s), floor)).sum())
    if floor and eps_in > _FLOAT32_EPS:
        hidden = int((s > rtol * ops.max(s)).sum()) - r
        if hidden:
            _warn_precision(X, _name, eps_in, hidden, r)
    if r == 0:
        got = _got or f"{_name}.shape={shape_of(X)}"
        if eps > eps_in:  # the compute precision is the coarser one (a narrower dtype was asked for)
            raise DegenerateLayerError(
                f"{_name} varies only at the level of {_dtype_name(Xa)} rounding, the precision it is "
                f"computed in (every direction is below eps={eps:.1e} relative to its offset; {got}); "
                f"compute in {_dtype_name(X)} (the dtype argument), or subtract the column means first"
            )
        raise DegenerateLayerError(
            f"{_name} varies only at the level of its own {_dtype_name(X)} rounding (every direction "
            f"is below eps={eps_in:.1e} relative to its offset; {got}); pass the activations in "
            + ("float64" if eps_in < 1e-6 else "float32 or float64")
        )
    U, s, V = U[:, :r], s[:r], ops.ct(Vh)[:, :r]
    denom = ops.sqrt(s * s + epsilon)
    basis = U if epsilon == 0 else U * (s / denom)
    fields = {"basis": basis, "_W": V / denom, "_singular_values": s, "rank": r}
    return done(kept, norms, fields, "svd")


def cast_to(ops: Any, a: Any) -> Any:
    """Return ``a`` in ``ops``' compute precision (None stays None): a float64 result handed on.

    A value beyond float32's range becomes inf, as it would had float32 computed it.
    """
    if a is None:
        return None
    with np.errstate(over="ignore"):
        return ops.asarray(a)


def _narrowed(w: Whitened, ops: Any) -> Whitened:
    """Hand on a float64 whitening in ``ops``' (float32) precision.

    The whitened data ``Z`` (orthonormal to float64 rounding; the SVD path's basis, or
    formed once on the Gram routes) is rounded to float32, so it stays orthonormal to
    float32 rounding; the later products with the other side then run in float32.
    """
    cast = partial(cast_to, ops)
    basis, chol = w.basis, w.chol
    if chol is None and w.epsilon == 0 and w.gram is not None:
        # two-pass route: the Cholesky factor of G (float64) gives PWCCA's projections as
        # D L a (see svcca._pwcca.side_alpha), where the float32 product of G and W would lose
        # eps32 * sqrt(cond(G)) of them
        L, ok = w.ops.cholesky(w.gram)
        chol = L if ok else None
    if basis is None:  # one-pass route: Z = (data - offset) D^-1 W as one product (no scaled copy)
        data, offset = w.data, w.offset
        if w.data_cols is not None:
            data, offset = w.ops.index_cols(data, w.data_cols), offset[w.data_cols]
        Ws = w.W / w.scale[:, None]
        basis = data @ Ws
        basis -= (offset @ Ws)[None, :]
    return replace(
        w,
        mean=cast(w.mean),
        scale=cast(w.scale),
        ops=ops,
        data=None,
        offset=None,
        data_cols=None,
        basis=cast(basis),
        chol=cast(chol),
        gram=cast(w.gram),
        _W=cast(w.W),
        _singular_values=cast(w._singular_values),
        colscale=cast(w.colscale),
    )


def _svd_cutoff(
    ops: Any, mean: Any, kept: Any, norms: Any, n: int, p: int, eps: float, eps_in: float,
    user_rtol: float | None, rtol: float, weigh: bool = False,
) -> tuple[float, float, Any]:  # fmt: skip
    """Return ``(rtol, floor, weights)`` for the SVD path's rank.

    The path keeps the directions with ``s > max(rtol s_max, floor)``, ``s`` the singular
    values of the centred data of the ``kept`` features, each divided by its norm (``norms``)
    and, where ``weights`` is not None, by its weight too. ``floor`` is 0 unless the input is
    coarser than the compute precision. A ``user_rtol`` is kept as given (``rtol`` is then
    that value, and there are no weights).

    Centring leaves rounding of about ``eps |mean_j|`` in each entry of feature ``j``, and
    input coarser than the compute precision carries its own rounding, ``eps_in |x|``:
    relative to the feature's spread, noise of about ``eps (1 + r_j)`` with
    ``r_j = |mean_j| / std_j``. Without weights the largest ``r_j`` sets the cut-off for
    every direction, so one nearly constant feature with a large offset (float32
    ``100 +- 1e-3``) drops the weak directions of all the others. With ``weigh`` and some
    ``r_j > 1``, each feature is also divided by ``w_j = max(1, r_j) / min_k max(1, r_k)``:
    its rounding is then at one level for all, the cut-off is set by that level, and a
    feature lost in its own rounding falls below it alone. With every ``r_j <= 1`` the
    weights are None and the cut-off is the unweighted one, to the last bit.
    """
    if user_rtol is not None:
        return rtol, 0.0, None
    ratio = _offset_ratio(ops, mean, kept, norms, n, p)
    # below float64 the path centres twice: what the first mean missed (the offset that sets
    # the cut-off) is gone, and a difference of two values of the compute precision is
    # rounded relative to itself, not to the mean, unless the input was narrowed to it
    largest = ops.max(ratio) if eps < 1e-10 or eps_in < eps else 0.0
    weights = None
    if weigh and largest > 1.0:
        lift = ops.at_least(ratio, 1.0)
        weights = lift / ops.min(lift)
        centring = ops.min(lift)
    else:
        centring = max(1.0, largest)
    floor = 0.0
    if eps_in > eps:
        floors = _rounding_floors(ratio, int(kept.shape[0]), n, eps_in)
        floor = ops.max(floors if weights is None else floors / weights)
    return max(n, p) * eps * centring, floor, weights


def _offset_ratio(ops: Any, mean: Any, kept: Any, norms: Any, n: int, p: int) -> Any:
    """``|mean_j| / std_j`` of the ``kept`` features (``norms``: their centred norms)."""
    mean_kept = ops.abs(mean[kept]) if int(kept.shape[0]) < p else ops.abs(mean)
    return mean_kept * math.sqrt(n) / norms


def _rounding_floors(ratio: Any, n_kept: int, n: int, eps_in: float) -> Any:
    """Each feature's noise floor from input rounding, on its unit-norm scale.

    Input rounding of ``eps_in * |x|`` per entry is, on a unit-norm column with
    ``|mean| / std = ratio``, a noise column of norm about ``eps_in (1 + ratio) / sqrt(12)``;
    over the layer, a noise matrix up to ``(1 + sqrt(n_kept / n))`` times that, floored at 7x.
    """
    return 2.0 * eps_in * (1.0 + ratio) * (1.0 + math.sqrt(n_kept / n))


# The Gram route keeps a layer's all-zero (dead) columns in its data, and drops their rows of
# each cross-product instead of copying the layer, while at least this fraction is kept
# (the cross-product then costs at most 1 / 0.75 as much; a copy costs a pass over the layer).
_LAZY_COLUMNS = 0.75

# A float64 layer whose correlation matrix is too ill-conditioned for the one-pass Gram route
# (cond above 1e5) but below this is whitened by two Cholesky-QR passes instead of an SVD.
_QR2_LIMIT = 1e10


def _cholesky_qr2(
    ops: Any, Xc: Any, G: Any, norms: Any, first: _Rejected, cut: tuple[float, float]
) -> dict[str, Any] | None:
    """Whiten the centred data ``Xc`` by two Cholesky-QR passes (CholeskyQR2).

    ``G`` is the correlation matrix of ``Xc`` (columns scaled by ``norms``); ``first`` is
    the one-pass route's refusal, with LAPACK's estimate ``kappa`` of the 1-norm condition
    number of ``G`` and its Cholesky factor ``L1``. The first pass ``Q1 = Xs L1^{-H}``
    (``G = L1 L1^H``) is orthonormal only to about ``eps * kappa``; the Gram matrix of ``Q1``
    is then within that of the identity, and a second pass makes the basis orthonormal to
    rounding (Fukaya, Nakatsukasa, Yanagisawa and Yamamoto 2014), at the cost of two
    products with the data instead of a thin SVD (several times faster).

    It keeps every direction, so it is used only when the SVD path would keep them all:
    the smallest singular value of the unit-norm data, at least ``1 / sqrt(10 kappa)``
    (the estimate is rarely more than 3 times below the true condition number), must
    exceed twice the SVD path's cut-off ``cut = (rtol, floor)`` with ``s_max <= sqrt(p)``.
    Returns the fields of the whitening (a basis, like the SVD path's) or None.
    """
    p = int(G.shape[0])
    rtol, floor = cut
    kappa, L1 = first
    s_min = 1.0 / math.sqrt(10.0 * kappa)
    if L1 is None or not (kappa <= _QR2_LIMIT and s_min > 2.0 * max(rtol * math.sqrt(p), floor)):
        return None
    W1 = ops.ct(ops.solve_tril(L1, ops.eye(p, like=G)))  # L1^{-H}: Xs W1 = Xc (W1 / norms)
    Q1 = Xc @ (W1 / norms[:, None])
    L2, ok = ops.cholesky(ops.gram(Q1))
    if not ok:
        return None
    W2 = ops.ct(ops.solve_tril(L2, ops.eye(p, like=G)))
    return {"basis": Q1 @ W2, "_W": W1 @ W2, "gram": G, "rank": p}


def _check_narrowing(X: Any, ops: Any, Xa: Any, name: str, got: str | None) -> None:
    """Refuse to compute in a precision that rounds a column's variation away.

    Called when the compute dtype is narrower than the input's (float64 data with
    ``dtype=np.float32``): a column whose spread is below a few units in the last place of
    the compute precision at its offset (1000 +- 1e-8 in float32) would be compared through
    its rounding, not its values.
    """
    x = ops.to_numpy(X) if is_torch(X) else np.asarray(X)
    x = x.real if np.iscomplexobj(x) else x
    with np.errstate(over="ignore", invalid="ignore"):
        m = x.mean(axis=0, dtype=np.float64)
        sd = x.std(axis=0, dtype=np.float64)
    eps, tiny = float(ops.finfo(Xa).eps), float(ops.finfo(Xa).tiny)
    with np.errstate(over="ignore", invalid="ignore"):
        amax = np.abs(x).max(axis=0)
    under = np.flatnonzero((amax > 0) & (amax < tiny))
    if under.size:  # narrowed, the column would be 0 or a few subnormal values
        j = int(under[0])
        raise ValueError(
            f"{name}'s values underflow {_dtype_name(Xa)}: {under.size} column(s) lie below its smallest "
            f"normal number {tiny:.3g} (column {j}: largest |value| {amax[j]:.3g}; "
            f"{got or f'{name}.shape={shape_of(X)}'}); compute in {_dtype_name(X)} (the dtype argument) "
            "or rescale the layer (CCA's correlations do not depend on its scale)"
        )
    lost = np.flatnonzero((sd > 0) & np.isfinite(m) & (sd < 8.0 * eps * np.abs(m)))
    if lost.size:  # a constant column (0.1 repeated: a dead neuron) has a spread of rounding
        lost = lost[(x[:, lost] != x[:1, lost]).any(axis=0)]
    if lost.size:
        j = int(lost[0])
        step = float(np.spacing(np.abs(m[j]).astype(ops.to_numpy(Xa).dtype)))
        raise ValueError(
            f"{name} has {lost.size} column(s) that vary too little for the {_dtype_name(Xa)} resolution "
            f"at their offset (column {j}: spread {sd[j]:.2e} around {m[j]:.6g}, where {_dtype_name(Xa)} "
            f"values are {step:.2g} apart; a spread under 8 eps |offset| = {8.0 * eps * abs(m[j]):.2g} keeps "
            f"too few of its digits; {got or f'{name}.shape={shape_of(X)}'}): computing in "
            f"{_dtype_name(Xa)} would compare rounding, not values. Compute in {_dtype_name(X)} (the "
            "dtype argument), or subtract the column means before narrowing"
        )


def _dtype_name(X: Any) -> str:
    return str(X.dtype).replace("torch.", "")


def _warn_precision(X: Any, name: str, eps_in: float, hidden: int, rank: int) -> None:
    warnings.warn(
        f"{name} arrived in {_dtype_name(X)} (eps={eps_in:.1e}): {hidden} of its directions lie "
        f"below the input's own rounding and were dropped, keeping {rank}; the ranks and the "
        f"correlations are limited by the input precision. Pass float32 or float64 activations "
        f"for the full answer.",
        PrecisionWarning,
        stacklevel=5,
    )


def _overflow(X: Any, Xa: Any, ops: Any, name: str, got: str | None) -> None:
    big = float(np.max(np.abs(ops.to_numpy(X) if is_torch(X) else np.asarray(X))))
    raise ValueError(
        f"{name}'s values overflow {_dtype_name(Xa)} (largest |value| {big:.3g} > "
        f"{float(ops.finfo(Xa).max):.3g}; {got or f'{name}.shape={shape_of(X)}'}); compute in "
        f"float64 (dtype=None) or rescale the layer (CCA's correlations do not depend on its scale)"
    )


def _no_varying(name: str, p: int, n: int) -> None:
    raise DegenerateLayerError(
        f"{name} has no varying feature: all {p} features are constant over the {n} samples "
        f"(dead neurons?); CCA is undefined for it"
    )


def _cross(wx: Whitened, wy: Whitened) -> Any:
    """``M = Z_x^H Z_y`` (rank_x x rank_y), from the data without forming ``Z``."""
    ops = wx.ops
    if wx.basis is not None and wy.basis is not None:
        return ops.ct(wx.basis) @ wy.basis
    if wx.basis is not None:
        return ops.ct(_cross(wy, wx))
    n = wx.n_samples
    if wy.basis is not None:
        By = wy.basis
        C = ops.ct(wx.data) @ By - n * ops.outer(wx.offset, ops.mean0(By))
        C = C if wx.data_cols is None else C[wx.data_cols]
        return wx._apply_WH(C / wx.scale[:, None])
    # (data_x - 1 o_x^T)^H (data_y - 1 o_y^T) = data_x^H data_y - n conj(o_x) o_y^T,
    # then the scaling D_x^-1 . D_y^-1, all in place on the one product
    C = ops.cross(wx.data, wy.data)
    ops.sub_outer_(C, wx.offset, wy.offset, float(n))
    if wx.data_cols is not None:
        C = C[wx.data_cols]
    if wy.data_cols is not None:
        C = C[:, wy.data_cols]
    C *= (1.0 / wx.scale)[:, None]
    C *= (1.0 / wy.scale)[None, :]
    if wx.chol is not None and wy.chol is not None:
        return ops.tril_sandwich(wx.chol, C, wy.chol)  # L_x^-1 C L_y^-H
    return ops.ct(wy._apply_WH(ops.ct(wx._apply_WH(C))))


def _fix_signs(ops: Any, A: Any, B: Any) -> tuple[Any, Any]:
    """Fix one sign (phase) convention for paired columns.

    The largest-magnitude entry of each column of A is made real and positive; the same
    phase multiplies the paired column of B.
    """
    if A.shape[1] == 0:
        return A, B
    phase = _pivot_phase(ops, A)
    phase = phase.conj() if ops.is_complex(A) else ops.real(phase)
    return A * phase, B * phase


def _pivot_phase(ops: Any, A: Any, axis: int = 0) -> Any:
    """Return ``a / |a|`` for ``a`` the largest-magnitude entry of each column of ``A``.

    Of each row for ``axis=1``. The one pivot of every sign convention: CCA's and PLS's paired weights
    (:func:`_fix_signs`), PCA's and SVCCA's directions (:func:`svcca._pca._sign_flip`).
    """
    idx = ops.abs(A).argmax(axis)
    others = ops.arange(A.shape[1 - axis])
    pivot = A[idx, others] if axis == 0 else A[others, idx]
    zero = ops.abs(pivot) == 0  # an all-zero column keeps its phase: 1
    return (pivot + zero) / (ops.abs(pivot) + zero)


class _Pairs:
    """The canonical weights of a CCA, computed from ``M`` on first request."""

    def __init__(self, wx: Whitened, wy: Whitened, M: Any, k: int) -> None:
        self.wx, self.wy, self.M, self.k = wx, wy, M, k
        self._svd: tuple[Any, Any, Any] | None = None
        self._sides: dict[str, tuple[Any, Any]] = {}

    def __call__(self) -> dict[str, Any]:
        with self.wx.ops.lapack_context():
            return self._weights()

    def svd(self) -> tuple[Any, Any, Any]:
        """Return the SVD of ``M``, computed once.

        A float32 numpy ``M`` is decomposed in float64 (LAPACK takes the same time for it,
        and the vectors come out finer).
        """
        if self._svd is None:
            M = self.M
            if not is_torch(M) and M.dtype == np.float32:
                U, s, Vh = self.wx.ops.svd(M.astype(np.float64))
                self._svd = (U.astype(np.float32), s.astype(np.float32), Vh.astype(np.float32))
            else:
                self._svd = self.wx.ops.svd(M)
        return self._svd

    def side(self, side: str) -> str:
        """Resolve ``"smaller"`` to the side with fewer kept features (``"x"`` on a tie)."""
        if side != "smaller":
            return side
        return "x" if int(self.wx.kept.shape[0]) <= int(self.wy.kept.shape[0]) else "y"

    def _one_side(self, side: str) -> tuple[Any, Any]:
        """Return ``(rho, directions)`` of one side ("x" or "y") from one decomposition, computed once.

        The directions are in the side's whitened coordinates (rank x k): the left
        singular vectors of ``M`` for ``"x"``, the right ones for ``"y"``. For a large real
        numpy ``M`` they come from one eigendecomposition of ``M M^T`` (or ``M^T M``), a
        third of the SVD's time (:func:`svcca._backend.svd_left_eigh`); otherwise, and
        where that route cannot be sure, from the SVD.
        """
        if side not in self._sides:
            M = self.M
            got = None if self._svd is not None else self._from_other_side(side)
            large_real = not is_torch(M) and M.dtype.kind == "f" and min(M.shape) >= _TRIDIAGONAL_MIN
            if got is None and self._svd is None and large_real:
                M64 = M.astype(np.float64, copy=False)
                got = svd_left_eigh(M64 if side == "x" else M64.T, self.k)
            if got is not None:
                self._sides[side] = (got[0].astype(M.dtype, copy=False), got[1].astype(M.dtype, copy=False))
            else:
                A, s, Bh = self.svd()
                D = A[:, : self.k] if side == "x" else self.wx.ops.ct(Bh)[:, : self.k]
                self._sides[side] = (s, D)
        return self._sides[side]

    def _from_other_side(self, side: str) -> tuple[Any, Any] | None:
        """Return ``(rho, directions)`` of ``side`` from the other side's, when those are known.

        ``v_i = M^H u_i / rho_i`` (and ``u_i = M v_i / rho_i``): one product instead of a
        second decomposition. Rounding enters ``v_i`` as about ``eps rho_max / rho_i`` of the
        other directions, so this is used only while every ``rho_i`` is above ``1e-6 rho_max``
        (float64 numpy ``M``); the returned columns have unit norm.
        """
        other = "y" if side == "x" else "x"
        if other not in self._sides or is_torch(self.M) or self.M.dtype != np.float64:
            return None
        s, D = self._sides[other]
        if int(s.shape[0]) == 0 or not s[-1] > 1e-6 * s[0]:
            return None
        E = (self.M.conj().T @ D) if side == "y" else (self.M @ D)
        return s, E / np.linalg.norm(E, axis=0)

    def rho(self, directions: str) -> Any:
        """Return the singular values of ``M`` from the decomposition that one side's directions need.

        ``directions`` is ``"x"``, ``"y"`` or ``"smaller"`` (see :meth:`_one_side`).
        """
        return self._one_side(self.side(directions))[0]

    def directions(self, side: str) -> Any:
        """Return one side's canonical directions in its whitened coordinates (rank x k)."""
        return self._one_side(side)[1]

    def _weights(self) -> dict[str, Any]:
        ops, k = self.wx.ops, self.k
        A, _, Bh = self.svd()
        A, B = A[:, :k], ops.ct(Bh)[:, :k]
        # variates with unit variance (ddof=1): Z has orthonormal columns, so scale by sqrt(n - 1)
        c = math.sqrt(self.wx.n_samples - 1)
        xw = self.wx.weights_to_features(A) * c
        yw = self.wy.weights_to_features(B) * c
        xw, yw = _fix_signs(ops, xw, yw)
        return {"x_weights": xw, "y_weights": yw}


class _LazyWeights:
    """Make a dataclass field that is computed on first access when given None.

    The result's ``_weights_fn`` computes it (the SVD with vectors costs more than ``rho``
    itself).

    Installed on :class:`CCAResult` after the dataclass is built, so the field stays a
    required constructor argument (None meaning "compute on first access").
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.slot = "_lazy_" + name

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            raise AttributeError(self.name)  # no class-level default: the field stays required
        d = obj.__dict__
        val = d.get(self.slot)
        if val is None:
            fn = d.get("_weights_fn")
            if fn is None:
                return None
            d.update({"_lazy_" + k: v for k, v in fn().items()})
            val = d[self.slot]
        return val

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


def cca_from_whitened(
    wx: Whitened,
    wy: Whitened,
    *,
    X: Any = None,
    Y: Any = None,
    directions: str | None = None,
    cross: Any = None,
) -> CCAResult:
    """CCA between two sides whitened by :func:`whiten` (the reusable second half of :func:`cca`).

    Parameters
    ----------
    wx, wy : Whitened
        The two sides, over the same samples and on the same backend.
    X, Y : arrays, optional
        The original data, kept so that ``x_variates``/``y_variates`` can be computed.
    directions : {None, "x", "y", "smaller"}, optional
        Take the correlations from the decomposition that this side's canonical
        directions need (``"smaller"``: the side with fewer kept features), one
        decomposition instead of two when they will be asked for, as PWCCA's weights do.
        By default only the singular values are computed, and the canonical weights on
        first access.
    cross : array of shape (rank_x, rank_y), optional
        ``M = Z_x^H Z_y`` when it is already known (the streaming accumulators form it from
        their co-moments); by default it is computed from the whitened sides' data.

    Returns
    -------
    CCAResult
    """
    if wx.n_samples != wy.n_samples:
        raise ValueError(
            f"X and Y must have the same number of samples; got {wx.n_samples} and {wy.n_samples}"
        )
    if directions is not None:
        check_option(directions, "directions", ("x", "y", "smaller"))
    if cross is not None and tuple(int(d) for d in cross.shape) != (wx.rank, wy.rank):
        raise ValueError(
            f"cross must have shape (x rank, y rank) = ({wx.rank}, {wy.rank}); got {shape_of(cross)}"
        )
    ops = wx.ops
    with ops.lapack_context():
        M = _cross(wx, wy) if cross is None else cross
        k = min(wx.rank, wy.rank)
        pairs = _Pairs(wx, wy, M, k)
        rho = ops.clip01(ops.real(ops.svdvals(M) if directions is None else pairs.rho(directions))[:k])
    return _cca_result(CCAResult, wx, wy, rho, pairs, _X=X, _Y=Y)


@fill_doc
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
        ``x_variates = (X - x_mean) @ x_weights``. Computed on first access. Sign
        convention: the largest-magnitude entry of each column of ``x_weights`` is positive
        (real), and the paired column of ``y_weights`` takes the same sign (phase).
    x_variates, y_variates : arrays of shape (n_samples, n_components)
        Canonical variates, unit variance (ddof=1) when ``epsilon=0``; pair ``i``
        correlates at ``rho[i]``. Computed on first access.
    x_rank, y_rank : int
        Effective ranks after dropping constant features and rank-deficient directions.
    x_kept, y_kept : int arrays
        Indices of the features that vary; ``x_dropped``/``y_dropped`` list the constant
        (dead) ones.
    %(xy_means)s
    n_samples : int
    %(ridge_used)s
    x_algorithm, y_algorithm : {"gram", "svd"}
        Which whitening path each side took (``"gram"`` includes the two-pass Cholesky-QR
        route for moderately ill-conditioned float64 layers, and, with float32 compute, the
        float64 Gram routes of layers too ill-conditioned for float32's; see the module notes).

    Examples
    --------
    Two layers that share two directions: the first two canonical correlations are 1.

    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 4))
    >>> Y = np.hstack([X[:, :2], rng.standard_normal((300, 3))])
    >>> res = svcca.cca(X, Y)
    >>> res
    CCAResult(similarity=0.5364, n_components=4, x_rank=4, y_rank=5, n_samples=300)
    >>> np.round(res.rho, 3)
    array([1.   , 1.   , 0.131, 0.015])
    >>> res.x_weights.shape, res.x_variates.shape
    ((4, 4), (300, 4))
    >>> round(float(res.x_variates[:, 0].std(ddof=1)), 6)
    1.0
    """

    rho: Any
    # None means "compute on first access" (see _LazyWeights, installed below the class)
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
    x_algorithm: str
    y_algorithm: str
    _X: Any = field(default=None, repr=False)
    _Y: Any = field(default=None, repr=False)
    _weights_fn: Callable[[], dict[str, Any]] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(similarity={self.similarity:.4f}, n_components={self.n_components}, "
            f"x_rank={self.x_rank}, y_rank={self.y_rank}, n_samples={self.n_samples})"
        )

    def __getstate__(self) -> dict[str, Any]:
        """Return the state to pickle, with the canonical weights computed.

        The function that computes them on demand is a closure, which pickle cannot send to
        another process.
        """
        state = dict(self.__dict__)
        fn = state.get("_weights_fn")
        if fn is not None and state.get("_lazy_x_weights") is None:
            state.update({"_lazy_" + k: v for k, v in fn().items()})
        state["_weights_fn"] = None
        return state

    # --- variates (computed on first access, so cca() itself pays only for rho)
    @cached_property
    def x_variates(self) -> Any:
        """Canonical variates of X, shape (n_samples, n_components), unit variance (ddof=1)."""
        return self._variates(self._X, self.x_mean, self.x_weights, "X")

    @cached_property
    def y_variates(self) -> Any:
        """Canonical variates of Y, shape (n_samples, n_components), unit variance (ddof=1)."""
        return self._variates(self._Y, self.y_mean, self.y_weights, "Y")

    def _variates(self, data: Any, mean: Any, weights: Any, name: str) -> Any:
        if data is None or weights is None:
            raise AttributeError(f"{name} was not kept with this result; compute (X - x_mean) @ x_weights")
        if is_torch(weights):
            import torch

            data = torch.as_tensor(data).detach().to(device=weights.device, dtype=weights.dtype)
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
        return _complement(self.x_kept, _n_features(self.x_mean))

    @property
    def y_dropped(self) -> Any:
        """Indices of Y's constant (dead) features, which were dropped."""
        return _complement(self.y_kept, _n_features(self.y_mean))

    @property
    def _rho_np(self) -> np.ndarray:
        r = self.rho
        return r.detach().cpu().numpy().astype(np.float64) if is_torch(r) else np.asarray(r, dtype=np.float64)

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
        """Return the mean of the leading correlations that reach ``threshold`` of the total.

        The leading correlations are those whose cumulative sum first reaches the threshold
        (the original code's summary).

        Parameters
        ----------
        threshold : float, default 0.98
            In ``(0, 1]``.

        Returns
        -------
        float
        """
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1]; got {threshold}")
        r = self._rho_np
        total = r.sum()
        if total <= 0:
            return 0.0
        k = int(np.searchsorted(np.cumsum(r) / total, threshold - 1e-12) + 1)
        return float(r[: min(k, r.size)].mean())

    def top_k_mean(self, k: int) -> float:
        """Return the mean of the ``k`` largest correlations.

        Parameters
        ----------
        k : int
            At least 1 (all of them when ``k`` exceeds their number).

        Returns
        -------
        float
        """
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


for _field in ("x_weights", "y_weights"):
    setattr(CCAResult, _field, _LazyWeights(_field))

_R = TypeVar("_R", bound=CCAResult)


def _cca_result(
    cls: type[_R], wx: Whitened, wy: Whitened, rho: Any, weights_fn: Callable[[], Any], **fields: Any
) -> _R:
    """Build the result (``cls``: :class:`CCAResult` or a subclass) of a CCA between ``wx`` and ``wy``.

    Ranks, kept features, means, sample count, ridge and algorithms come from the whitened
    sides; the weights are computed by ``weights_fn`` on first access. ``fields`` replace
    any of these and fill a subclass's own fields.
    """
    return cls(
        **{
            "rho": rho, "x_weights": None, "y_weights": None, "x_rank": wx.rank, "y_rank": wy.rank,
            "x_kept": wx.kept, "y_kept": wy.kept, "x_mean": wx.mean, "y_mean": wy.mean,
            "n_samples": wx.n_samples, "epsilon": wx.epsilon, "x_algorithm": wx.algorithm,
            "y_algorithm": wy.algorithm, "_weights_fn": weights_fn, **fields,
        }
    )  # fmt: skip


def _extend(res: CCAResult, cls: type[_R], **fields: Any) -> _R:
    """Return ``res`` as a ``cls`` (a subclass of :class:`CCAResult`) with its own ``fields`` added.

    Weights not computed yet stay so: the same ``_weights_fn`` computes them on first access.
    """
    lazy = ("x_weights", "y_weights")
    kept: dict[str, Any] = {k: getattr(res, k) for k in CCAResult.__dataclass_fields__ if k not in lazy}
    kept.update({k: res.__dict__.get(f"_lazy_{k}") for k in lazy})
    return cls(**kept, **fields)


def _n_features(mean: Any) -> int:
    return int(mean.shape[0])


def _complement(kept: Any, p: int) -> Any:
    if is_torch(kept):
        import torch

        tmask = torch.ones(p, dtype=torch.bool, device=kept.device)
        tmask[kept] = False
        return torch.nonzero(tmask).flatten()
    mask = np.ones(p, dtype=bool)
    mask[np.asarray(kept)] = False
    return np.flatnonzero(mask)


@fill_doc
def cca(
    X: Any,
    Y: Any,
    *,
    epsilon: float = 0.0,
    rtol: float | None = None,
    algorithm: str = "auto",
    dtype: Any = None,
    warn: bool = True,
) -> CCAResult:
    """Canonical correlation analysis between two layers' activations.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features_x)
        Activations of the first layer, samples first. Real or complex.
    %(Y)s
    epsilon : float, default 0.0
        Ridge added to the diagonal of each side's *correlation* matrix (features scaled
        to unit variance), so it is dimensionless: ``1e-4`` shrinks by one ten-thousandth
        of each feature's variance. 0 gives exact CCA.
    rtol : float, optional
        Relative rank tolerance: whitened directions with singular value
        ``s_i <= rtol * s_max`` of the unit-norm data are dropped (and the data's own
        rounding is not weighed). Default ``max(n_samples, n_features) * eps``, with ``eps``
        of the input's precision (float32 data carry float32 rounding even when computed
        in float64), on the data with each feature weighed by its rounding: centring leaves
        about ``eps * |mean|`` in each entry, so a feature whose mean is ``r`` times its
        spread is divided by ``max(1, r)`` (relative to the least offset feature) before
        the rank is taken, and one nearly constant feature far from zero does not cost the
        other features their weak directions. ``epsilon > 0`` takes the unweighed data,
        with the tolerance times the largest ``max(1, r)``.
    algorithm : {"auto", "gram", "svd"}, default "auto"
        ``"auto"`` whitens through the Gram matrix when it is well conditioned (fast: the
        three products ``X^T X``, ``Y^T Y``, ``X^T Y`` dominate) and through a thin SVD of
        the data otherwise (accurate for any rank or condition number). ``"gram"`` forces
        the Gram route for every side (an eigendecomposition that drops the directions it
        cannot resolve, see :func:`svcca._cca.whiten`); ``"svd"`` forces the SVD.
    dtype : {None, numpy.float32, numpy.float64}, optional
        Compute precision; float64 unless float32 is asked for (complex input computes in
        the matching complex type). Whatever arrives (float16, bfloat16, integers) is
        computed in float32 or wider; input coarser than the compute precision adds its own
        rounding as a floor under the rank tolerance (about ``eps_input * (1 + |mean|/std)``
        on unit-variance features), so float16 rounding noise is not mistaken for directions.
    warn : bool, default True
        Warn (:class:`SampleSizeWarning`) when ``p + q > n - 1``, where some correlations
        are 1 whatever the data.

    Returns
    -------
    CCAResult
        ``rho`` (descending, in [0, 1]), weights and variates (computed on first access),
        ranks, kept features and summaries; ``.similarity`` is the mean correlation.

    Raises
    ------
    ValueError
        For non-2-D, empty, NaN/Inf input, different sample counts (every message names
        both shapes), fewer than 2 samples, a side with no varying feature, values that
        overflow the compute precision (``dtype=numpy.float32`` with values beyond 3.4e38),
        or a ``dtype`` other than float32/float64.
    %(raises_non_numeric)s

    Warns
    -----
    SampleSizeWarning
        When ``x_rank + y_rank > n_samples - 1``.
    PrecisionWarning
        When half-precision input (float16, bfloat16) hides directions below its own
        rounding: they are dropped, and the ranks and correlations are limited by it.

    Notes
    -----
    ``rho_i = max corr(X a, Y b)`` over directions uncorrelated with the first ``i - 1``
    pairs; equivalently the singular values of ``Sigma_xx^{-1/2} Sigma_xy Sigma_yy^{-1/2}``
    and the cosines of the principal angles between the centred column spaces. Constant
    features are dropped (and listed in ``x_dropped``) instead of producing NaN. The
    number of correlations is ``min(x_rank, y_rank)``; with ``p + q > n - 1`` at least
    ``p + q - (n - 1)`` of them are 1 whatever the data.

    With ``dtype=numpy.float32`` the products over the samples run in float32 (twice the
    speed of float64). Each layer is centred first, in one copy: the product of the
    uncentred data, corrected by ``n m m^H`` afterwards, would carry the rounding of the
    float32 means to first order. The copy's Gram diagonal gives the column norms and,
    with the copy's own column means (what the float32 means missed, which its Gram then
    loses), shows which columns are constant, so no other pass is made over it. The
    Cholesky factors, the condition estimate and the triangular solves run in float32;
    the correlations are the singular values of the ``x_rank x y_rank`` matrix ``M``
    computed in float64 (through its tridiagonalisation, to ``eps32 / 16`` of the largest,
    which costs less than a float32 SVD), and the weights come from a float64 SVD of ``M``.
    Against the float64 computation of the same float32 data the correlations agree to a
    few float32 units (3e-8 on the benchmark's 10,000 x 500 layers).

    The float32 route is taken only where the correlation matrix's condition number (times
    what centring after the product costs) is at most 1e2, since its error in ``rho`` is
    about ``eps32`` times that. Trained layers are rarely so well conditioned: such a layer
    is whitened through the float64 Gram routes (one or two passes) and handed on as its
    whitened data rounded to float32, so the correlations are the float64 computation's, to
    float32 rounding, and every later product runs in float32. That costs about as much as
    ``dtype=None`` on that layer, several times less than a float32 SVD of the data. A layer
    that float64 takes through the SVD (exactly dependent features, a condition number above
    1e10, at least as many features as samples) gets the float64 SVD, handed on the same
    way: a float32 SVD's rank tolerance, ``max(n_samples, n_features) * eps32``, would drop
    weak directions that float64 keeps (``algorithm="svd"`` still asks for the float32 SVD).

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
    >>> round(svcca.cca(X, rng.standard_normal((1000, 20))).similarity, 2)  # independent
    0.13
    """
    res, _, _ = _cca_pair(X, Y, epsilon=epsilon, rtol=rtol, algorithm=algorithm, dtype=dtype, warn=warn)
    return res


def _cca_pair(
    X: Any,
    Y: Any,
    *,
    epsilon: float,
    rtol: float | None,
    algorithm: str,
    dtype: Any,
    warn: bool,
    directions: str | None = None,
) -> tuple[CCAResult, Whitened, Whitened]:
    """Compute :func:`cca`, also returning both sides' whitenings (which PWCCA reuses).

    This is the one place the pair and the options are checked.
    """
    check_option(algorithm, "algorithm", ALGORITHMS)
    epsilon, rtol, warn = check_epsilon(epsilon), check_rtol(rtol), check_bool(warn, "warn")
    X, Y = check_pair(X, Y, check_finite=False)
    got = f"X.shape={shape_of(X)}, Y.shape={shape_of(Y)}"
    ops = get_ops(X, Y, dtype=dtype)
    with ops.lapack_context():
        wx = whiten_checked(X, ops, epsilon=epsilon, rtol=rtol, algorithm=algorithm, name="X", got=got)
        wy = whiten_checked(Y, ops, epsilon=epsilon, rtol=rtol, algorithm=algorithm, name="Y", got=got)
        res = cca_from_whitened(wx, wy, X=X, Y=Y, directions=directions)
    if warn:
        warn_sample_size(wx.n_samples, wx.rank, wy.rank, stacklevel=4)
    return res, wx, wy
