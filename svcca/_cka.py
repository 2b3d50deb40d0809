"""Linear centred kernel alignment (CKA) and orthogonal Procrustes similarity.

Two comparison measures outside the CCA family, so that CCA-type similarities can be set
beside them (Kornblith et al. 2019 show where they disagree). Both are invariant to
orthogonal maps and isotropic scaling of either side, but, unlike CCA, *not* to arbitrary
invertible linear maps: they weigh directions by their variance.

Notation (Kornblith et al. 2019; Song et al. 2012): ``X`` (n x p), ``Y`` (n x q), linear
kernels ``K = X X^T`` and ``L = Y Y^T``, centring matrix ``H = I - 11^T / n``.

- biased HSIC: ``HSIC(K, L) = tr(K H L H) / (n - 1)^2 = ||Xc^T Yc||_F^2 / (n - 1)^2``;
- unbiased HSIC (Song et al. 2012, eq. 5), with ``Kt``, ``Lt`` the kernels with a zeroed
  diagonal: ``[tr(Kt Lt) + 1^T Kt 1 1^T Lt 1 / ((n-1)(n-2)) - 2/(n-2) 1^T Kt Lt 1] / (n(n-3))``;
- ``CKA = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import get_ops
from ._cca import _pow2_rescale
from ._validation import check_array, check_option, shape_of

__all__ = ["CKAResult", "ProcrustesResult", "linear_cka", "procrustes"]

_CKA_METHODS = ("auto", "features", "gram")


@dataclass(frozen=True)
class CKAResult:
    """The result of :func:`svcca.linear_cka`.

    Attributes
    ----------
    cka : float
        Linear CKA; in [0, 1] when biased, in [-1, 1] when debiased. Also ``.similarity``.
    hsic_xy, hsic_xx, hsic_yy : float
        The HSIC estimates the ratio is made of (biased or unbiased, scaled as in the
        module notes).
    debiased : bool
        Whether the unbiased HSIC estimator was used.
    method : {"features", "gram"}
        Whether the feature-space products (p x q) or the n x n Gram matrices were used.
    n_samples, n_features_x, n_features_y : int
    """

    cka: float
    hsic_xy: float
    hsic_xx: float
    hsic_yy: float
    debiased: bool
    method: str
    n_samples: int
    n_features_x: int
    n_features_y: int

    @property
    def similarity(self) -> float:
        """The one number this result reports: the CKA value."""
        return self.cka

    def summaries(self) -> dict[str, float]:
        """All summaries as a dict (for printing and tables)."""
        return {
            "similarity": self.cka,
            "hsic_xy": self.hsic_xy,
            "hsic_xx": self.hsic_xx,
            "hsic_yy": self.hsic_yy,
        }

    def __repr__(self) -> str:
        kind = "debiased" if self.debiased else "biased"
        return (
            f"CKAResult(similarity={self.cka:.4f}, {kind}, method={self.method!r}, "
            f"n_samples={self.n_samples})"
        )


def _check_real_pair(X: Any, Y: Any, what: str) -> tuple[Any, Any]:
    X = check_array(X, "X", allow_complex=False)
    Y = check_array(Y, "Y", allow_complex=False)
    sx, sy = shape_of(X), shape_of(Y)
    if sx[0] != sy[0]:
        raise ValueError(
            f"X and Y must have the same number of samples (rows); got X.shape={sx}, Y.shape={sy}"
        )
    if sx[0] < 2:
        raise ValueError(f"{what} needs at least 2 samples; got X.shape={sx}, Y.shape={sy}")
    return X, Y


def _centre(ops: Any, X: Any) -> Any:
    """``X`` scaled by one power of two (largest entry near 1) and centred.

    CKA and Procrustes are invariant to isotropic scaling; the exact power-of-two factor
    keeps their fourth-power HSIC terms from overflowing (1e80) or underflowing (1e-85).
    """
    return _centre_scaled(ops, X)[0]


def _centre_scaled(ops: Any, X: Any) -> tuple[Any, int]:
    """:func:`_centre` and the exponent ``e`` of the factor ``2**-e`` that was applied."""
    X, c = _pow2_rescale(ops, ops.asarray(X, complex_ok=False), per_column=False)
    e = -int(np.frexp(float(ops.to_numpy(c).reshape(-1)[0]))[1] - 1)
    return X - ops.mean0(X), e


def _unscale(h: float, e: int) -> float:
    """``h * 2**e`` as a float (inf when it overflows)."""
    try:
        return math.ldexp(h, e)
    except OverflowError:
        return math.copysign(math.inf, h)


def _self_hsic(ops: Any, Xc: Any, debiased: bool) -> float:
    """HSIC of a centred layer with itself, scaled as :class:`CKAResult`'s fields."""
    n = int(Xc.shape[0])
    if debiased:
        return _unbiased_hsic(n, *_hsic_terms_features(ops, Xc, Xc))
    return _fro2(ops, ops.gram(Xc)) / (n - 1) ** 2


def _fro2(ops: Any, M: Any) -> float:
    """Squared Frobenius norm as a float."""
    return float(ops.sum(M * M))


def _hsic_terms_features(ops: Any, Xc: Any, Yc: Any) -> tuple[float, float, float, float]:
    """``tr(Kt Lt)``, ``1^T Kt 1``, ``1^T Lt 1`` and ``1^T Kt Lt 1`` from feature products.

    ``Kt = K - diag(dx)`` with ``dx`` the squared row norms; costs O(n p q) instead of O(n^2 (p + q)).
    """
    dx = ops.sum(Xc * Xc, axis=1)
    dy = ops.sum(Yc * Yc, axis=1)
    sx = ops.sum(Xc, axis=0)  # X^T 1 (about 0 after centring; kept for exactness)
    sy = ops.sum(Yc, axis=0)
    tr = _fro2(ops, ops.ct(Xc) @ Yc) - float(ops.sum(dx * dy))
    one_k = float(ops.sum(sx * sx)) - float(ops.sum(dx))
    one_l = float(ops.sum(sy * sy)) - float(ops.sum(dy))
    u = Xc @ sx - dx  # Kt 1
    v = Yc @ sy - dy  # Lt 1
    return tr, one_k, one_l, float(ops.sum(u * v))


def _hsic_terms_gram(ops: Any, K: Any, L: Any) -> tuple[float, float, float, float]:
    """The same four terms from n x n Gram matrices (diagonals zeroed here)."""
    n = int(K.shape[0])
    eye = ops.eye(n, like=K)
    Kt = K - K * eye
    Lt = L - L * eye
    u = ops.sum(Kt, axis=1)
    v = ops.sum(Lt, axis=1)
    return float(ops.sum(Kt * Lt)), float(ops.sum(u)), float(ops.sum(v)), float(ops.sum(u * v))


def _unbiased_hsic(n: int, tr: float, one_k: float, one_l: float, kl: float) -> float:
    """Song et al. (2012), eq. (5), from the four terms."""
    return (tr + one_k * one_l / ((n - 1) * (n - 2)) - 2.0 * kl / (n - 2)) / (n * (n - 3))


def linear_cka(
    X: Any,
    Y: Any,
    *,
    debiased: bool = False,
    method: str = "auto",
    dtype: Any = None,
) -> CKAResult:
    """Linear centred kernel alignment between two layers' activations.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features_x)
        Activations of the first layer, samples first. Real-valued.
    Y : array-like or torch.Tensor of shape (n_samples, n_features_y)
        Activations of the second layer over the same samples.
    debiased : bool, default False
        Use the unbiased HSIC estimator of Song et al. (2012), as Kornblith et al. (2019)
        recommend when features are many compared to samples: the biased estimate of
        independent layers is positive (about ``sqrt(p q) / n`` for white data), the
        debiased one is about 0.
    method : {"auto", "features", "gram"}, default "auto"
        ``"features"`` works with the p x q cross-product ``Xc^T Yc`` (cost O(n p q));
        ``"gram"`` with the n x n Gram matrices ``K = Xc Xc^T``, ``L = Yc Yc^T``
        (cost O(n^2 (p + q))). ``"auto"`` takes the feature path when ``max(p, q) < n``.
        Both give the same value up to rounding.
    dtype : {None, numpy.float32, numpy.float64}, optional
        Compute precision; float64 unless float32 is asked for (half-precision input is
        computed in float32 or wider). Each side is scaled by an exact power of two while
        computing, so any finite scale (1e-160 to 1e160) gives the same value.

    Returns
    -------
    CKAResult
        ``.similarity`` is the CKA value; the HSIC terms and the path used are recorded.

    Raises
    ------
    ValueError
        For non-2-D, empty, complex or NaN/Inf input, different sample counts, fewer than 4
        samples when ``debiased=True``, or a side with no varying feature.

    Notes
    -----
    With centred ``Xc``, ``Yc`` the biased value is
    ``CKA = ||Xc^T Yc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F)`` (Kornblith et al. 2019, eq. 4).
    The debiased value replaces each HSIC by the unbiased estimator (module notes); it is
    invariant to translations of either side, as the biased one is after centring.
    CKA is invariant to orthogonal maps and isotropic scaling of either side, not to
    general invertible linear maps (unlike CCA).

    References
    ----------
    Kornblith, Norouzi, Lee, Hinton (2019), Similarity of neural network representations
    revisited, ICML. Song, Smola, Gretton, Bedo, Borgwardt (2012), Feature selection via
    dependence maximization, JMLR 13.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 20))
    >>> Q, _ = np.linalg.qr(rng.standard_normal((20, 20)))
    >>> round(svcca.linear_cka(X, 3.0 * X @ Q + 1.0).similarity, 6)
    1.0
    >>> Z = rng.standard_normal((500, 20))
    >>> biased = svcca.linear_cka(X, Z).similarity
    >>> unbiased = svcca.linear_cka(X, Z, debiased=True).similarity
    >>> round(biased, 2), abs(unbiased) < 0.01
    (0.04, True)
    """
    check_option(method, "method", _CKA_METHODS)
    X, Y = _check_real_pair(X, Y, "CKA")
    ops = get_ops(X, Y, dtype=dtype)
    (Xc, ex), (Yc, ey) = _centre_scaled(ops, X), _centre_scaled(ops, Y)
    n, p = (int(s) for s in Xc.shape)
    q = int(Yc.shape[1])
    if debiased and n < 4:
        raise ValueError(f"debiased CKA needs at least 4 samples; got X.shape={(n, p)}, Y.shape={(n, q)}")
    if method == "auto":
        method = "features" if max(p, q) < n else "gram"

    if method == "features":
        if debiased:
            hxy = _unbiased_hsic(n, *_hsic_terms_features(ops, Xc, Yc))
            hxx = _unbiased_hsic(n, *_hsic_terms_features(ops, Xc, Xc))
            hyy = _unbiased_hsic(n, *_hsic_terms_features(ops, Yc, Yc))
        else:
            hxy = _fro2(ops, ops.ct(Xc) @ Yc)
            hxx = _fro2(ops, ops.gram(Xc))
            hyy = _fro2(ops, ops.gram(Yc))
    else:
        K = Xc @ ops.ct(Xc)
        L = Yc @ ops.ct(Yc)
        if debiased:
            hxy = _unbiased_hsic(n, *_hsic_terms_gram(ops, K, L))
            hxx = _unbiased_hsic(n, *_hsic_terms_gram(ops, K, K))
            hyy = _unbiased_hsic(n, *_hsic_terms_gram(ops, L, L))
        else:
            hxy = float(ops.sum(K * L))
            hxx = _fro2(ops, K)
            hyy = _fro2(ops, L)
    if not debiased:
        scale = 1.0 / (n - 1) ** 2
        hxy, hxx, hyy = hxy * scale, hxx * scale, hyy * scale
    for name, h, shape in (("X", hxx, (n, p)), ("Y", hyy, (n, q))):
        if not h > 0:
            raise ValueError(
                f"{name} has no varying feature (shape {shape}): its HSIC with itself is {h:g}; "
                f"CKA is undefined for it"
            )
    value = hxy / math.sqrt(hxx * hyy)
    value = float(np.clip(value, -1.0 if debiased else 0.0, 1.0))
    # the HSIC terms of the data as given (the kernels scale as 2**(2 e) each)
    hxy, hxx, hyy = _unscale(hxy, 2 * (ex + ey)), _unscale(hxx, 4 * ex), _unscale(hyy, 4 * ey)
    return CKAResult(
        cka=value, hsic_xy=hxy, hsic_xx=hxx, hsic_yy=hyy, debiased=bool(debiased), method=method,
        n_samples=n, n_features_x=p, n_features_y=q,
    )  # fmt: skip


# --- orthogonal Procrustes --------------------------------------------------------------


@dataclass(frozen=True)
class ProcrustesResult:
    """The result of :func:`svcca.procrustes`.

    Attributes
    ----------
    nuclear_norm : float
        ``||Xn^T Yn||_*`` of the centred, unit-Frobenius-norm data, in [0, 1]: the
        cosine of the Procrustes angle. Also ``.similarity``.
    distance : float
        The squared Procrustes distance of Ding et al. (2021),
        ``min_Q ||Xn - Yn Q||_F^2 = 2 - 2 * nuclear_norm``, in [0, 2]. Not a metric
        (its square root is).
    n_samples, n_features_x, n_features_y : int
    """

    nuclear_norm: float
    distance: float
    n_samples: int
    n_features_x: int
    n_features_y: int

    @property
    def similarity(self) -> float:
        """The one number this result reports: the nuclear norm ``||Xn^T Yn||_*`` in [0, 1]."""
        return self.nuclear_norm

    @property
    def euclidean_distance(self) -> float:
        """``sqrt(distance) = min_Q ||Xn - Yn Q||_F``: a metric on shapes, in [0, sqrt(2)]."""
        return math.sqrt(max(self.distance, 0.0))

    @property
    def angular_distance(self) -> float:
        """``arccos(nuclear_norm)`` (Williams et al. 2021): a metric, in [0, pi/2]."""
        return math.acos(min(max(self.nuclear_norm, 0.0), 1.0))

    def summaries(self) -> dict[str, float]:
        """All summaries as a dict (for printing and tables)."""
        return {
            "similarity": self.nuclear_norm,
            "distance": self.distance,
            "euclidean_distance": self.euclidean_distance,
            "angular_distance": self.angular_distance,
        }

    def __repr__(self) -> str:
        return (
            f"ProcrustesResult(similarity={self.nuclear_norm:.4f}, distance={self.distance:.4f}, "
            f"n_samples={self.n_samples})"
        )


def _procrustes_factor(ops: Any, X: Any, name: str) -> Any:
    """Centre, scale to unit Frobenius norm and, when wider than tall, replace by an
    n x rank factor ``A`` with ``A A^T = Xn Xn^T`` (the nuclear norm of ``Xn^T Yn`` depends
    on each side only through its Gram matrix)."""
    Xc = _centre(ops, X)
    norm2 = _fro2(ops, Xc)
    if not norm2 > 0:
        raise ValueError(
            f"{name} has no varying feature (shape {tuple(Xc.shape)}); Procrustes is undefined for it"
        )
    Xn = Xc / math.sqrt(norm2)
    n, p = int(Xn.shape[0]), int(Xn.shape[1])
    if p > n:
        U, s, _ = ops.svd(Xn)
        Xn = U * s
    return Xn


def _nuclear_norm(ops: Any, M: Any) -> float:
    return float(ops.sum(ops.svd(M)[1]))


def procrustes(X: Any, Y: Any, *, dtype: Any = None) -> ProcrustesResult:
    """Orthogonal Procrustes similarity and distance between two layers' activations.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features_x)
        Activations of the first layer, samples first. Real-valued.
    Y : array-like or torch.Tensor of shape (n_samples, n_features_y)
        Activations of the second layer over the same samples. The widths may differ: the
        narrower side is implicitly padded with zero features.
    dtype : {None, numpy.float32, numpy.float64}, optional
        Compute precision; float64 unless float32 is asked for (half-precision input is
        computed in float32 or wider). Each side is scaled by an exact power of two while
        computing, so any finite scale (1e-160 to 1e160) gives the same value.

    Returns
    -------
    ProcrustesResult
        ``.similarity`` is ``||Xn^T Yn||_*`` in [0, 1]; ``.distance`` is
        ``2 - 2 * similarity``; ``.euclidean_distance`` and ``.angular_distance`` are metrics.

    Raises
    ------
    ValueError
        For non-2-D, empty, complex or NaN/Inf input, different sample counts, or a side
        with no varying feature.

    Notes
    -----
    Each side is centred and scaled to unit Frobenius norm (``Xn = Xc / ||Xc||_F``). Then
    ``min_{Q^T Q = I} ||Xn - Yn Q||_F^2 = 2 - 2 ||Xn^T Yn||_*`` (Schönemann 1966): the
    squared distance of Ding et al. (2021). Padding the narrower side with zero columns
    changes neither ``Xn^T Yn``'s singular values nor the minimum, so layers of different
    widths are compared as if embedded in the wider space. The angle
    ``arccos ||Xn^T Yn||_*`` is the shape metric of Williams et al. (2021). The measure is
    invariant to translations, isotropic scaling and orthogonal maps of either side.

    References
    ----------
    Schönemann (1966), A generalized solution of the orthogonal Procrustes problem,
    Psychometrika. Ding, Denain, Steinhardt (2021), Grounding representation similarity
    with statistical testing, NeurIPS. Williams, Kunz, Kornblith, Linderman (2021),
    Generalized shape metrics on neural representations, NeurIPS.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 10))
    >>> Q, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    >>> res = svcca.procrustes(X, 2.0 * X @ Q - 5.0)
    >>> round(res.similarity, 6), round(res.distance, 6)
    (1.0, 0.0)
    >>> round(svcca.procrustes(X, rng.standard_normal((300, 10))).distance, 1)
    1.6
    """
    X, Y = _check_real_pair(X, Y, "Procrustes")
    ops = get_ops(X, Y, dtype=dtype)
    Ax = _procrustes_factor(ops, X, "X")
    Ay = _procrustes_factor(ops, Y, "Y")
    nuc = min(max(_nuclear_norm(ops, ops.ct(Ax) @ Ay), 0.0), 1.0)
    sx, sy = shape_of(X), shape_of(Y)
    return ProcrustesResult(
        nuclear_norm=nuc, distance=2.0 - 2.0 * nuc, n_samples=sx[0], n_features_x=sx[1], n_features_y=sy[1]
    )
