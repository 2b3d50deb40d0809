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
import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import get_ops
from ._cca import centre_scaled, narrows
from ._docs import fill_doc
from ._validation import (
    DegenerateLayerError,
    check_bool,
    check_min_samples,
    check_option,
    check_pair,
    shape_of,
)

__all__ = ["CKAResult", "ProcrustesResult", "linear_cka", "minibatch_cka", "procrustes", "rbf_cka"]

#: The solvers of linear CKA (``algorithm=``).
CKA_ALGORITHMS = ("auto", "features", "gram")
#: Kornblith et al. (2019)'s reference code: sigma = 1.0 x the median distance.
RBF_BANDWIDTH = 1.0
#: Nguyen, Raghu, Kornblith (2021) compare representations with minibatches of 256 samples.
MINIBATCH_SIZE = 256


def _summaries(result: Any, similarity: float, *names: str) -> dict[str, float]:
    """Return a result's ``summaries()``: its similarity, then its attributes ``names``."""
    return {"similarity": similarity, **{name: getattr(result, name) for name in names}}


@dataclass(frozen=True)
class CKAResult:
    """The result of :func:`svcca.linear_cka`, :func:`svcca.rbf_cka` and :func:`svcca.minibatch_cka`.

    Attributes
    ----------
    cka : float
        CKA; in [0, 1] when biased, in [-1, 1] when debiased. Also ``.similarity``.
    hsic_xy, hsic_xx, hsic_yy : float
        The HSIC estimates the ratio is made of (biased or unbiased, scaled as in the
        module notes; for minibatch CKA the mean over the batches), in the data's own units:
        for layers scaled near float64's limits (1e150, 1e-150) they overflow to inf or
        underflow to 0, while ``cka``, computed from the rescaled data, stays exact.
    debiased : bool
        Whether the unbiased HSIC estimator was used.
    algorithm : {"features", "gram", "minibatch"}
        Whether the feature-space products (p x q), the n x n Gram (kernel) matrices, or
        per-batch estimates averaged over minibatches were used.
    n_samples, n_features_x, n_features_y : int
    kernel : {"linear", "rbf"}
        The kernel of both sides.
    bandwidth : float or None
        RBF only: sigma as a fraction of each side's median distance between samples.
    n_batches : int
        The number of minibatches (1 unless minibatch CKA).

    Examples
    --------
    Linear CKA of the pair of :class:`svcca.CCAResult`'s example:

    >>> import numpy as np
    >>> from svcca import linear_cka
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 4))
    >>> Y = np.concatenate([X[:, :2], rng.standard_normal((300, 3))], axis=1)
    >>> res = linear_cka(X, Y)
    >>> res
    CKAResult(similarity=0.4030, linear, biased, algorithm='features', n_samples=300)
    >>> res.n_features_x, res.n_features_y, res.n_batches
    (4, 5, 1)
    >>> bool(np.isclose(res.cka, res.hsic_xy / np.sqrt(res.hsic_xx * res.hsic_yy)))
    True
    """

    cka: float
    hsic_xy: float
    hsic_xx: float
    hsic_yy: float
    debiased: bool
    algorithm: str
    n_samples: int
    n_features_x: int
    n_features_y: int
    kernel: str = "linear"
    bandwidth: float | None = None
    n_batches: int = 1

    @property
    def similarity(self) -> float:
        """The one number this result reports: the CKA value."""
        return self.cka

    def summaries(self) -> dict[str, float]:
        """All summaries as a dict (for printing and tables)."""
        return _summaries(self, self.cka, "hsic_xy", "hsic_xx", "hsic_yy")

    def __repr__(self) -> str:
        kind = "debiased" if self.debiased else "biased"
        return (
            f"CKAResult(similarity={self.cka:.4f}, {self.kernel}, {kind}, algorithm={self.algorithm!r}, "
            f"n_samples={self.n_samples})"
        )


def _check_real_pair(X: Any, Y: Any, what: str) -> tuple[Any, Any]:
    """Check a pair for the measures outside the CCA family: real, at least 2 samples."""
    X, Y = check_pair(X, Y, allow_complex=False)
    check_min_samples(X, Y, 2, what)
    return X, Y


def _centre(ops: Any, X: Any, location: str = "mean") -> Any:
    """``X`` centred and scaled by one power of two (largest centred entry near 1), constant features 0.

    CKA and Procrustes are invariant to isotropic scaling; the exact power-of-two factor
    keeps their fourth-power HSIC terms from overflowing (1e80) or underflowing (1e-85).
    ``location="median"`` subtracts each column's median instead of its mean, for the
    quantities that do not depend on the shift (the unbiased HSIC, distances): one outlier
    row then stays in its own row instead of spreading its size, through the mean, into
    every row, where the products would cancel it away with the digits of the rest.
    """
    return _centre_scaled(ops, X, location)[0]


def _centre_scaled(ops: Any, X: Any, location: str = "mean") -> tuple[Any, int]:
    """:func:`_centre` and the exponent ``e`` of the factor ``2**-e`` that was applied.

    Data wider than the compute precision (float64 with ``dtype=float32``) are centred and
    scaled in their own precision first: the narrowing then rounds the centred values, not
    an offset (1e8 + x in float32 keeps none of x's digits) or a scale float32 cannot hold.
    """
    if narrows(ops, X):
        Xc, e = _centre_scaled(get_ops(X), X, location)
        return ops.asarray(Xc, complex_ok=False), e
    # constant features (up to centring's rounding) are exactly 0: a constant layer is then
    # refused, not read as a tiny similarity
    centred = centre_scaled(ops, ops.asarray(X, complex_ok=False), location)
    return centred.data, centred.exponent


def _unscale(h: float, e: int) -> float:
    """``h * 2**e`` as a float (inf when it overflows)."""
    try:
        return math.ldexp(h, e)
    except OverflowError:
        return math.copysign(math.inf, h)


def shift_for(debiased: bool) -> str:
    """Where linear CKA centres a layer: the unbiased HSIC takes any shift, so a robust one.

    The median keeps an outlier sample's digits in its own row (exact on the Gram route,
    where the diagonal is zeroed); the biased HSIC needs the mean.
    """
    return "median" if debiased else "mean"


# the Gram route for outlier samples holds n x n kernels: up to 2 GiB of float64 each
_OUTLIER_GRAM_MAX_N = 16384


def outlier_gram(ops: Any, *layers: Any) -> bool:
    """Return whether debiased CKA should take the Gram route for these centred layers.

    That is, whether a few samples are far larger than the others, so that the feature
    route, which subtracts their own kernel terms, would lose digits (the Gram route zeroes
    them exactly), and the ``n x n`` kernels fit (``n <= 16384``; beyond, the feature route
    says how many digits it keeps).
    """
    if int(layers[0].shape[0]) > _OUTLIER_GRAM_MAX_N:
        return False
    for Xc in layers:
        d = ops.sum(Xc * Xc, axis=1)
        if _digits_left(ops, d, d, float(ops.finfo(Xc).eps)) is not None:
            return True
    return False


def _self_hsic(ops: Any, Xc: Any, debiased: bool) -> float:
    """HSIC of a centred layer with itself, scaled as :class:`CKAResult`'s fields."""
    n = int(Xc.shape[0])
    if debiased:
        if outlier_gram(ops, Xc):  # the diagonal zeroed exactly instead of subtracted
            K = Xc @ ops.ct(Xc)
            return _unbiased_hsic(n, *_hsic_terms_gram(ops, K, K))
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
    diagonal = float(ops.sum(dx * dy))
    tr = _fro2(ops, ops.ct(Xc) @ Yc) - diagonal
    digits = _digits_left(ops, dx, dy, float(ops.finfo(Xc).eps))
    if digits is not None:
        # the samples' own terms, subtracted, dwarf the rest: a few rows far larger than the others
        warnings.warn(
            f"debiased CKA on the feature route keeps only about {digits:.0f} correct digits here: a "
            "few samples are far larger than the others (their own kernel terms, removed by "
            "subtraction, dwarf the rest); linear_cka(..., algorithm='gram') removes them exactly",
            RuntimeWarning,
            stacklevel=3,
        )
    one_k = float(ops.sum(sx * sx)) - float(ops.sum(dx))
    one_l = float(ops.sum(sy * sy)) - float(ops.sum(dy))
    u = Xc @ sx - dx  # Kt 1
    v = Yc @ sy - dy  # Lt 1
    return tr, one_k, one_l, float(ops.sum(u * v))


def _digits_left(ops: Any, dx: Any, dy: Any, eps: float) -> float | None:
    """Correct digits the feature route's diagonal subtraction leaves, where it costs many.

    One sample's own kernel term, ``max_i dx_i dy_i``, rounds to ``eps`` of itself; against
    the typical size of the rest, ``n`` times the median row's ``dx dy``, that leaves about
    ``-log10(eps ratio)`` digits. None (nothing to say) while that is 6 or more in float64,
    and while fewer than 3 of float32's own digits are lost.
    """
    prod = np.abs(ops.to_numpy(dx * dy)).astype(np.float64)
    nonzero = prod[prod > 0]
    if nonzero.size == 0:
        return None
    loss = eps * float(prod.max()) / (prod.size * float(np.median(nonzero)))
    if loss <= max(1e-6, 1000.0 * eps):
        return None
    return max(0.0, -math.log10(loss))


def _hsic_terms_gram(ops: Any, K: Any, L: Any) -> tuple[float, float, float, float]:
    """Return the same four terms from n x n Gram matrices (diagonals zeroed here)."""
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


@fill_doc
def linear_cka(
    X: Any,
    Y: Any,
    *,
    debiased: bool = False,
    algorithm: str = "auto",
    dtype: Any = None,
) -> CKAResult:
    """Linear centred kernel alignment between two layers' activations.

    Parameters
    ----------
    %(X_real)s
    %(Y)s
    debiased : bool, default False
        Use the unbiased HSIC estimator of Song et al. (2012), as Kornblith et al. (2019)
        recommend when features are many compared to samples: the biased estimate of
        independent layers is positive (about ``sqrt(p q) / n`` for white data), the
        debiased one is about 0.
    algorithm : {"auto", "features", "gram"}, default "auto"
        ``"features"`` works with the p x q cross-product ``Xc^T Yc`` (cost O(n p q));
        ``"gram"`` with the n x n Gram matrices ``K = Xc Xc^T``, ``L = Yc Yc^T``
        (cost O(n^2 (p + q))). ``"auto"`` takes the feature path when ``max(p, q) < n``,
        unless (debiased) a few samples are so much larger than the others that subtracting
        their own kernel terms would cost digits: the Gram path zeroes them exactly. Both
        give the same value up to rounding.
    %(cka_dtype_scaled)s

    Returns
    -------
    CKAResult
        ``.similarity`` is the CKA value; the HSIC terms and the path used are recorded.

    Raises
    ------
    ValueError
        For non-2-D, empty, complex or NaN/Inf input, different sample counts, fewer than 4
        samples when ``debiased=True``, or a side with no varying feature.
    TypeError
        For a ``debiased`` that is not a bool (``"false"`` would read as True).

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
    %(ref_cka)s

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
    check_option(algorithm, "algorithm", CKA_ALGORITHMS)
    debiased = check_bool(debiased, "debiased")
    X, Y = _check_real_pair(X, Y, "CKA")
    if debiased:
        check_min_samples(X, Y, 4, "debiased CKA")
    ops = get_ops(X, Y, dtype=dtype)
    (n, p), q = shape_of(X), shape_of(Y)[1]
    where = shift_for(debiased)
    (Xc, ex), (Yc, ey) = _centre_scaled(ops, X, where), _centre_scaled(ops, Y, where)
    if algorithm == "auto":
        outliers = debiased and outlier_gram(ops, Xc, Yc)
        algorithm = "features" if max(p, q) < n and not outliers else "gram"

    if algorithm == "features":
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
    value = _ratio(hxy, hxx, hyy, debiased, (n, p), (n, q))
    # the HSIC terms of the data as given (the kernels scale as 2**(2 e) each)
    hxy, hxx, hyy = _unscale(hxy, 2 * (ex + ey)), _unscale(hxx, 4 * ex), _unscale(hyy, 4 * ey)
    return CKAResult(
        cka=value, hsic_xy=hxy, hsic_xx=hxx, hsic_yy=hyy, debiased=bool(debiased), algorithm=algorithm,
        n_samples=n, n_features_x=p, n_features_y=q,
    )  # fmt: skip


def _ratio(hxy: float, hxx: float, hyy: float, debiased: bool, sx: tuple, sy: tuple) -> float:
    """Return ``HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))``, clipped to its range.

    A side whose HSIC with itself is not positive has no varying feature.
    """
    for name, h, shape in (("X", hxx, sx), ("Y", hyy, sy)):
        if not h > 0:
            raise DegenerateLayerError(
                f"{name} has no varying feature (shape {shape}): its HSIC with itself is {h:g}; "
                f"CKA is undefined for it"
            )
    return float(np.clip(hxy / math.sqrt(hxx * hyy), -1.0 if debiased else 0.0, 1.0))


# --- CKA with an RBF kernel -------------------------------------------------------------


def check_bandwidth(bandwidth: Any) -> float:
    """Check that the RBF bandwidth is a finite number > 0 (a fraction of the median distance)."""
    real = isinstance(bandwidth, numbers.Real) and not isinstance(bandwidth, bool)
    if not real or not 0 < float(bandwidth) < math.inf:
        raise ValueError(
            f"bandwidth must be a finite number > 0 (sigma as a fraction of the median distance); "
            f"got {bandwidth!r}"
        )
    return float(bandwidth)


def rbf_kernel(ops: Any, Xc: Any, bandwidth: float, name: str = "X") -> tuple[Any, float]:
    """Return ``(E, s)`` with ``K - 1 = s E = expm1(-D^2 / (2 sigma^2))`` (or ``E = K``) of shifted data.

    ``Xc`` may be shifted by any location (distances do not depend on it). Here ``sigma =
    bandwidth x`` the median distance between distinct samples.

    The constant 1 is left out: centring removes it from ``H K H``, the unbiased HSIC is
    blind to it, and without it the kernel keeps its precision for wide bandwidths, where
    ``K`` itself rounds to 1 (the linear-CKA limit). So wide that even ``K - 1`` would
    underflow (``D^2 / (2 sigma^2)`` below ``1e-17``), ``E = -D^2 / median^2`` and ``s``
    carries the factor (CKA does not depend on it).

    For narrow bandwidths the constant stays in, ``E = K``: ``K - 1`` holds an entry to
    ``eps (1 - K)``, ``K`` to ``eps K``, and where ``K`` between distinct samples is small
    (``1e-8``) its digits would drown in the ``-1``, which the unbiased HSIC (no diagonal
    to dominate it) cancels away with them. ``E = K`` is taken when the kernel between
    distinct samples lies nearer 0 than 1 (its largest and smallest values sum below 1);
    so narrow that every such ``K`` is 0, ``K = I``.
    """
    G = Xc @ ops.ct(Xc)
    d = ops.diag_real(G)
    D2 = d[:, None] + d[None, :] - 2.0 * G
    D2 = D2 * (D2 > 0)  # rounding can make a distance slightly negative
    n = int(D2.shape[0])
    D2[ops.arange(n), ops.arange(n)] = 0.0
    median = ops.upper_median(ops.sqrt(D2))
    if not bool((d > 0).any()):  # every feature constant (up to rounding): all distances 0
        raise DegenerateLayerError(
            f"{name} has no varying feature (shape {tuple(Xc.shape)}); RBF CKA is undefined for it"
        )
    if not median > 0:
        raise DegenerateLayerError(
            f"{name}: the median distance between samples is 0 (most samples are identical; shape "
            f"{tuple(Xc.shape)}), so the RBF bandwidth sigma = bandwidth x median is 0; RBF CKA is "
            f"undefined for it"
        )
    t = D2 / (median * median)  # squared distances in median units: the median pair is at 1
    c = 0.5 / bandwidth / bandwidth  # without bandwidth**2, which over/underflows first
    t_max = float(ops.max(t))
    if c * t_max < 1e-17:  # expm1(-x) = -x (1 - x / 2 + ...): exact to rounding
        return -t, c
    diagonal = ops.arange(n)
    t[diagonal, diagonal] = t_max  # the least distance between distinct samples
    t_min = float(ops.min(t))
    t[diagonal, diagonal] = 0.0
    with np.errstate(over="ignore", under="ignore"):  # a narrow kernel: exp(-inf) = 0, K = I
        x = (t / bandwidth) * (-0.5 / bandwidth)  # -D^2 / (2 sigma^2)
        k_max, k_min = (math.exp(-(v / bandwidth) * (0.5 / bandwidth)) for v in (t_min, t_max))
        return (ops.exp(x) if k_max + k_min < 1.0 else ops.expm1(x)), 1.0


def _centre_gram(ops: Any, K: Any) -> Any:
    """``H K H`` for a symmetric kernel matrix."""
    m = ops.sum(K, axis=0) / int(K.shape[0])
    return K - m[:, None] - m[None, :] + ops.sum(m) / int(K.shape[0])


def kernel_hsic(ops: Any, K: Any, L: Any, debiased: bool) -> float:
    """HSIC of two kernel matrices (``K`` and ``L`` centred already when biased)."""
    n = int(K.shape[0])
    if debiased:
        return _unbiased_hsic(n, *_hsic_terms_gram(ops, K, L))
    return float(ops.sum(K * L)) / (n - 1) ** 2


@fill_doc
def rbf_cka(
    X: Any,
    Y: Any,
    *,
    bandwidth: float = RBF_BANDWIDTH,
    debiased: bool = False,
    dtype: Any = None,
) -> CKAResult:
    """Centred kernel alignment with Gaussian (RBF) kernels.

    Parameters
    ----------
    %(X_real)s
    %(Y)s
    bandwidth : float, default 1.0
        Each side's kernel width ``sigma`` as a fraction of that side's median Euclidean
        distance between distinct samples (Kornblith et al. 2019; 1.0 is their reference
        code's default; their tables also report 0.2, 0.4 and 0.8). Large values approach
        linear CKA.
    debiased : bool, default False
        Use the unbiased HSIC estimator of Song et al. (2012), as in :func:`linear_cka`.
    %(cka_dtype)s

    Returns
    -------
    CKAResult
        ``.similarity`` is the CKA value; ``kernel="rbf"``, ``algorithm="gram"``.

    Raises
    ------
    ValueError
        For non-2-D, empty, complex or NaN/Inf input, different sample counts, fewer than 4
        samples when ``debiased=True``, a ``bandwidth`` that is not a positive number, or a
        side whose median distance between samples is 0.
    TypeError
        For a ``debiased`` that is not a bool.

    Warns
    -----
    UserWarning
        When the bandwidth is so narrow that the kernel between distinct samples rounds to
        0 (``K = I``, the same for every layer): the biased value is then 1 or near it
        whatever the data (the debiased one is undefined, a ``ValueError``).

    Notes
    -----
    ``K_ij = exp(-||x_i - x_j||^2 / (2 sigma_x^2))`` with ``sigma_x = bandwidth x
    median_{i<j} ||x_i - x_j||`` (likewise ``L`` for ``Y``), then
    ``CKA = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))`` with ``HSIC(K, L) = tr(K H L H) /
    (n - 1)^2``. Kornblith et al.'s code takes the median over all ``n^2`` squared
    distances, the zero diagonal included; here it is over the distinct pairs, as their
    text says. As ``sigma -> infinity``, ``H K H -> H X X^T H / sigma^2`` and the value tends
    to linear CKA. Costs ``O(n^2 (p + q))`` time and two ``n x n`` matrices of memory.
    Invariant to orthogonal maps, translations and isotropic scaling of either side.

    References
    ----------
    %(ref_cka)s

    Examples
    --------
    >>> import numpy as np, svcca
    >>> X = np.random.default_rng(0).standard_normal((300, 10))
    >>> Q = np.linalg.qr(X[:10])[0]                                   # an orthogonal map
    >>> round(svcca.rbf_cka(X, 2.0 * X @ Q + 1.0).similarity, 6)
    1.0
    >>> wide = svcca.rbf_cka(X, X[:, :5], bandwidth=1e4).similarity   # the linear limit
    >>> round(wide, 6) == round(svcca.linear_cka(X, X[:, :5]).similarity, 6)
    True
    """
    bandwidth = check_bandwidth(bandwidth)
    debiased = check_bool(debiased, "debiased")
    X, Y = _check_real_pair(X, Y, "CKA")
    if debiased:
        check_min_samples(X, Y, 4, "debiased CKA")
    ops = get_ops(X, Y, dtype=dtype)
    K, sk = prepare_rbf(ops, X, bandwidth, debiased, "X", scaled=True)
    L, sl = prepare_rbf(ops, Y, bandwidth, debiased, "Y", scaled=True)
    hxy, hxx, hyy = (kernel_hsic(ops, A, B, debiased) for A, B in ((K, L), (K, K), (L, L)))
    (n, p), q = shape_of(X), shape_of(Y)[1]
    for name, h in (("X", hxx), ("Y", hyy)):
        if debiased and not h > 0 and bandwidth < 1:  # the median distance is > 0 (checked)
            raise ValueError(
                f"{name}: at bandwidth={bandwidth!r} the RBF kernel between distinct samples rounds to 0 "
                f"(K = I, whose unbiased HSIC is 0), so debiased RBF CKA is undefined; choose a larger "
                f"bandwidth (sigma as a fraction of the median distance), or debiased=False"
            )
    value = _ratio(hxy, hxx, hyy, debiased, (n, p), (n, q))
    hxy, hxx, hyy = hxy * sk * sl, hxx * sk * sk, hyy * sl * sl  # the HSIC of the kernels themselves
    return CKAResult(
        cka=value, hsic_xy=hxy, hsic_xx=hxx, hsic_yy=hyy,
        debiased=bool(debiased), algorithm="gram", n_samples=n, n_features_x=p, n_features_y=q,
        kernel="rbf", bandwidth=bandwidth,
    )  # fmt: skip


def prepare_rbf(
    ops: Any, X: Any, bandwidth: float, debiased: bool, name: str = "X", scaled: bool = False
) -> Any:
    """One side of RBF CKA: its kernel minus 1, centred unless ``debiased``.

    Up to a factor (CKA does not depend on it) that ``scaled=True`` returns too:
    ``(matrix, factor)``; see :func:`rbf_kernel`.
    """
    E, s = rbf_kernel(ops, _centre(ops, X, "median"), bandwidth, name)
    if not debiased and s == 1.0 and float(ops.sum(E)) == int(E.shape[0]):  # E = K = I exactly
        warnings.warn(
            f"{name}: at bandwidth={bandwidth!r} the RBF kernel between distinct samples rounds to 0 "
            "(K = I, the same for every layer), so RBF CKA is 1 or near it whatever the data; choose a "
            "larger bandwidth (sigma as a fraction of the median distance)",
            UserWarning,
            stacklevel=3,
        )
    E = E if debiased else _centre_gram(ops, E)
    return (E, s) if scaled else E


# --- minibatch CKA ----------------------------------------------------------------------


def check_batch_size(batch_size: Any) -> int:
    """Check that a minibatch holds at least 4 samples (the unbiased HSIC needs 4)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(f"batch_size must be an int >= 4; got {batch_size!r}")
    if batch_size < 4:
        raise ValueError(f"batch_size must be >= 4 (the unbiased HSIC needs 4 samples); got {batch_size}")
    return int(batch_size)


def batch_bounds(n: int, batch_size: int) -> list[tuple[int, int]]:
    """Split ``n >= 4`` rows into ``ceil(n / batch_size)`` consecutive ranges of near-equal sizes.

    The sizes differ by at most 1 and no sample is left out. None is above ``batch_size``,
    except where that many ranges would leave one under the 4 samples the unbiased HSIC
    needs (``batch_size < 8``, e.g. 10 rows in batches of 4): then there are ``n // 4``
    ranges, of 4 to 7 rows.
    """
    k = min(-(-n // batch_size), max(1, n // 4))
    edges = [(i * n) // k for i in range(k + 1)]
    return list(zip(edges[:-1], edges[1:]))


def minibatch_hsic(ops: Any, Xc: Any, Yc: Any, bounds: list[tuple[int, int]]) -> float:
    """Return the sum over batches of the unbiased HSIC of the linear kernels.

    Each batch takes the route :func:`linear_cka` takes for a whole layer: the feature
    products where both sides are narrower than the batch and neither has outlier samples
    (:func:`outlier_gram`), else the batch's Gram matrices.
    """
    total = 0.0
    same = Xc is Yc
    for a, b in bounds:
        Xb, Yb = Xc[a:b], Yc[a:b]
        outliers = outlier_gram(ops, Xb) if same else outlier_gram(ops, Xb, Yb)
        if max(int(Xb.shape[1]), int(Yb.shape[1])) < b - a and not outliers:
            terms = _hsic_terms_features(ops, Xb, Yb)
        else:
            terms = _hsic_terms_gram(ops, Xb @ ops.ct(Xb), Yb @ ops.ct(Yb))
        total += _unbiased_hsic(b - a, *terms)
    return total


@fill_doc
def minibatch_cka(X: Any, Y: Any, *, batch_size: int = MINIBATCH_SIZE, dtype: Any = None) -> CKAResult:
    """Minibatch linear CKA: unbiased HSIC averaged over minibatches (Nguyen et al. 2021).

    Parameters
    ----------
    %(X_real)s
    %(Y)s
    batch_size : int, default 256
        The most samples a minibatch holds (at least 4). The rows are split, in the order
        given, into ``ceil(n_samples / batch_size)`` consecutive batches of near-equal sizes,
        so no sample is left out; shuffle the rows first if their order carries structure.
        Where that would leave a batch under 4 samples (``batch_size < 8``), there are
        ``n_samples // 4`` batches instead, of 4 to 7 samples.
    %(cka_dtype)s

    Returns
    -------
    CKAResult
        ``.similarity`` is the minibatch CKA; ``debiased=True``, ``algorithm="minibatch"``,
        ``n_batches``; the HSIC fields are the means over the batches.

    Raises
    ------
    ValueError
        For non-2-D, empty, complex or NaN/Inf input, different sample counts, fewer than 4
        samples, a ``batch_size`` below 4, or a side with no varying feature.
    TypeError
        For a ``batch_size`` that is not an int.

    Notes
    -----
    ``CKA_mb = (1/k) sum_i HSIC_1(K_i, L_i) / sqrt((1/k) sum_i HSIC_1(K_i, K_i) (1/k) sum_i
    HSIC_1(L_i, L_i))`` with ``K_i``, ``L_i`` the linear kernels of batch ``i`` and
    ``HSIC_1`` the unbiased estimator of Song et al. (2012). Each batch's HSIC is unbiased,
    so their mean is too, and the ratio converges as batches accumulate: memory is one batch
    of kernels, ``O(batch_size^2)``, whatever ``n_samples``. With one batch
    (``batch_size >= n_samples``) the value is debiased linear CKA
    (``linear_cka(X, Y, debiased=True)``).

    References
    ----------
    Nguyen, Raghu, Kornblith (2021), Do wide and deep networks learn the same things?
    Uncovering how neural network representations vary with width and depth, ICLR.
    Song, Smola, Gretton, Bedo, Borgwardt (2012), Feature selection via dependence
    maximization, JMLR 13.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 10))
    >>> Y = X[:, :5] + 0.5 * rng.standard_normal((2000, 5))
    >>> res = svcca.minibatch_cka(X, Y, batch_size=250)
    >>> res.n_batches, round(res.similarity, 2), round(svcca.linear_cka(X, Y, debiased=True).similarity, 2)
    (8, 0.57, 0.57)
    """
    batch_size = check_batch_size(batch_size)
    X, Y = _check_real_pair(X, Y, "CKA")
    check_min_samples(X, Y, 4, "minibatch CKA")
    ops = get_ops(X, Y, dtype=dtype)
    (Xc, ex), (Yc, ey) = _centre_scaled(ops, X, shift_for(True)), _centre_scaled(ops, Y, shift_for(True))
    (n, p), q = shape_of(X), shape_of(Y)[1]
    bounds = batch_bounds(n, batch_size)
    k = len(bounds)
    hxy, hxx, hyy = (minibatch_hsic(ops, A, B, bounds) / k for A, B in ((Xc, Yc), (Xc, Xc), (Yc, Yc)))
    value = _ratio(hxy, hxx, hyy, True, (n, p), (n, q))
    hxy, hxx, hyy = _unscale(hxy, 2 * (ex + ey)), _unscale(hxx, 4 * ex), _unscale(hyy, 4 * ey)
    return CKAResult(
        cka=value, hsic_xy=hxy, hsic_xx=hxx, hsic_yy=hyy, debiased=True, algorithm="minibatch",
        n_samples=n, n_features_x=p, n_features_y=q, n_batches=k,
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

    Examples
    --------
    The pair of :class:`svcca.CCAResult`'s example:

    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X, rest = rng.standard_normal((300, 4)), rng.standard_normal((300, 3))
    >>> res = svcca.procrustes(X, np.hstack([X[:, :2], rest]))
    >>> res
    ProcrustesResult(similarity=0.4581, distance=1.0837, n_samples=300)
    >>> round(res.distance, 6) == round(2 - 2 * res.nuclear_norm, 6)
    True

    A rotated and scaled copy is at distance 0:

    >>> Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    >>> round(svcca.procrustes(X, 3 * X @ Q).distance, 6)
    0.0
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
        return _summaries(self, self.nuclear_norm, "distance", "euclidean_distance", "angular_distance")

    def __repr__(self) -> str:
        return (
            f"ProcrustesResult(similarity={self.nuclear_norm:.4f}, distance={self.distance:.4f}, "
            f"n_samples={self.n_samples})"
        )


def _procrustes_factor(ops: Any, X: Any, name: str) -> Any:
    """Centre and scale to unit Frobenius norm; when wider than tall, factor the Gram matrix.

    A wide side is replaced by an n x rank factor ``A`` with ``A A^T = Xn Xn^T`` (the
    nuclear norm of ``Xn^T Yn`` depends on each side only through its Gram matrix).
    """
    Xc = _centre(ops, X)
    norm2 = _fro2(ops, Xc)
    if not norm2 > 0:
        raise DegenerateLayerError(
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


@fill_doc
def procrustes(X: Any, Y: Any, *, dtype: Any = None) -> ProcrustesResult:
    """Orthogonal Procrustes similarity and distance between two layers' activations.

    Parameters
    ----------
    %(X_real)s
    Y : array-like or torch.Tensor of shape (n_samples, n_features_y)
        Activations of the second layer over the same samples. The widths may differ: the
        narrower side is implicitly padded with zero features.
    %(cka_dtype_scaled)s

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
