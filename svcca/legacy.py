"""Drop-in replacements for the original SVCCA code (google/svcca).

.. warning::

   **Every array in this module is NEURONS x DATAPOINTS**, ``(num_neurons, num_datapoints)``,
   the layout of the original ``cca_core.py``, ``pwcca.py``, ``numpy_pca.py`` and
   ``numpy_pls.py``. The rest of :mod:`svcca` is *samples first*,
   ``(n_samples, n_features)``: pass ``acts.T`` when you move between the two.

The functions keep the original names, signatures, defaults and dictionary keys, so code
written for the original runs unchanged after ``from svcca import legacy as cca_core``
(or ``pwcca``, ``numpy_pca``, ``numpy_pls``). Where the original computes a well-defined
answer these functions return the same numbers: the same relative ``epsilon`` (a fraction
of the layer's largest neuron variance, used both to drop low-variance neurons and as the
ridge), the same truncated ``mean``, and keys of the same shapes and meanings. Where the
original crashed or returned NaN they work, or raise an error that says what arrived:

- rank-deficient input and constant (dead) neurons: whitening is done by a thin SVD of
  the data with an explicit rank tolerance, so directions outside the data's span get
  zero weight (what the original's ``pinv`` means in exact arithmetic) instead of NaN;
- a second layer with more neurons than datapoints works (a :class:`SampleSizeWarning`
  says that some correlations are then 1 whatever the data);
- :func:`compute_pwcca` when the second layer keeps fewer neurons (the original indexed
  the first layer there);
- :func:`get_pls_similarity` of layers of different widths.

The deliberate differences are listed on the book page *Coming from the original SVCCA
code*. For new code prefer the typed, samples-first API: :func:`svcca.cca`,
:func:`svcca.svcca`, :func:`svcca.pwcca`, :func:`svcca.pls`, :func:`svcca.pca`.

Notation (Raghu et al. 2017): ``Sigma_xx``, ``Sigma_yy``, ``Sigma_xy`` are the sample
covariances (``ddof=1``) of the kept neurons, each side divided by its largest neuron
variance; the canonical correlations are the singular values of
``(Sigma_xx + epsilon I)^{-1/2} Sigma_xy (Sigma_yy + epsilon I)^{-1/2}``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import is_torch, to_numpy
from ._cca import _col_scale_tolerance
from ._docs import fill_doc
from ._typing import ArrayOrTensor
from ._validation import check_epsilon, check_rtol, warn_sample_size

__all__ = [
    "compute_pwcca",
    "get_cca_similarity",
    "get_pca",
    "get_pls_similarity",
    "robust_cca_similarity",
    "sum_threshold",
]

_LAYOUT = "(num_neurons, num_datapoints)"


# --------------------------------------------------------------------------------- checks
def _check_acts(acts: ArrayOrTensor | None, name: str) -> np.ndarray:
    """One activation array in the original layout, as float64; errors name what arrived."""
    if acts is None:
        raise TypeError(f"{name} must be an array of shape {_LAYOUT}; got None")
    if is_torch(acts):
        acts = to_numpy(acts)
    try:
        arr = np.asarray(acts)
    except Exception as exc:  # ragged lists and such
        raise TypeError(f"{name} could not be read as an array: {exc}") from exc
    if arr.dtype == object or arr.dtype.kind not in "biufc":
        raise TypeError(f"{name} must hold numbers; got dtype {arr.dtype}")
    if arr.ndim != 2:
        hint = " (one neuron? use acts.reshape(1, -1))" if arr.ndim == 1 else ""
        raise ValueError(
            f"{name} must be 2-D of shape {_LAYOUT} (svcca.legacy uses the original "
            f"neurons x datapoints layout); got {name}.shape={arr.shape}{hint}"
        )
    if arr.size == 0:
        raise ValueError(
            f"{name} is empty; expected {_LAYOUT} with no zero size, got {name}.shape={arr.shape}"
        )
    if arr.dtype.kind == "c":
        raise TypeError(
            f"{name} is complex ({arr.dtype}); svcca.legacy takes real activations. For Fourier "
            f"coefficients use svcca.cca, which handles complex input (samples first)"
        )
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or Inf values (shape {arr.shape}); clean or impute them first")
    return arr


def _check_narrow(acts: np.ndarray, name: str) -> None:
    # The original asserted this to catch transposed (samples-first) input.
    n_neurons, m = acts.shape
    if n_neurons >= m:
        raise ValueError(
            f"{name} must be {_LAYOUT} with fewer neurons than datapoints, as in the original "
            f"code; got {name}.shape={acts.shape}. Samples-first data must be transposed "
            f"({name}.T), or use the samples-first svcca.cca / svcca.pca"
        )


def _check_pair(acts1: ArrayOrTensor, acts2: ArrayOrTensor) -> tuple[np.ndarray, np.ndarray]:
    a1 = _check_acts(acts1, "acts1")
    a2 = _check_acts(acts2, "acts2")
    _check_narrow(a1, "acts1")
    if a1.shape[1] != a2.shape[1]:
        raise ValueError(
            f"acts1 and acts2 must have the same number of datapoints (columns, layout {_LAYOUT}); "
            f"got acts1.shape={a1.shape}, acts2.shape={a2.shape}"
        )
    return a1, a2


def _check_threshold(threshold: Any) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"threshold must be a number in (0, 1]; got {threshold!r}")
    t = float(threshold)
    if not 0.0 < t <= 1.0:
        raise ValueError(
            f"threshold must be in (0, 1] (the fraction of the sum of the correlations that the "
            f"truncated mean keeps); got {threshold!r}"
        )
    return t


# ------------------------------------------------------------------------------ one side
@dataclass
class _Side:
    """One layer, centred, cropped by the relative-variance rule and whitened by SVD.

    Code symbol -> paper symbol: ``Xs = Xc[idxs] / sqrt((m - 1) * var_max)`` so that
    ``Xs @ Xs.T`` is the rescaled ``Sigma_xx``; ``Xs = basis @ diag(s) @ Q.T`` (thin SVD).
    """

    acts: np.ndarray  # (num_neurons, m) as given
    means: np.ndarray  # (num_neurons, 1)
    centred: np.ndarray  # (num_neurons, m), constant neurons exactly 0
    idxs: np.ndarray  # bool (num_neurons,): the original's x_idxs / y_idxs
    scale: float  # sqrt((m - 1) * var_max)
    basis: np.ndarray  # (n_kept, n_kept): eigenvectors of Sigma_xx, data span first
    rank: int  # number of directions in the data's span
    s: np.ndarray  # (rank,) singular values of Xs along basis[:, :rank]
    Q: np.ndarray  # (m, rank) the matching datapoint-space singular vectors
    shrink: np.ndarray  # (rank,) s / sqrt(s^2 + epsilon)
    invsqrt: np.ndarray  # (n_kept, n_kept) (Sigma_xx + epsilon I)^{-1/2}, pinv on the null space

    @property
    def n_kept(self) -> int:
        return int(self.basis.shape[0])


def _side(acts: np.ndarray, name: str, epsilon: float, rtol: float | None) -> _Side | None:
    """Centre, crop and whiten one layer; None when no neuron passes the epsilon rule."""
    n_neurons, m = acts.shape
    eps64 = float(np.finfo(np.float64).eps)
    means = acts.mean(axis=1, keepdims=True)
    centred = acts - means
    # each row's norm without squaring its entries (1e160 would overflow, 1e-170 underflow)
    amax = np.abs(centred).max(axis=1)
    norms = amax * np.linalg.norm(centred / np.where(amax > 0, amax, 1.0)[:, None], axis=1)
    # a constant neuron differs from its computed mean only by rounding: make it exactly 0
    constant = norms <= _col_scale_tolerance(np.abs(means[:, 0]), m, eps64)
    centred[constant] = 0.0
    norms = np.where(constant, 0.0, norms)
    scale = float(norms.max())  # sqrt((m - 1) * the largest variance)
    if scale <= 0.0:
        raise ValueError(
            f"{name} has no varying neuron: all {n_neurons} neurons are constant over the {m} "
            f"datapoints (dead units?); CCA is undefined for it"
        )
    # the original's rule: keep neurons whose variance is >= epsilon * the largest variance
    idxs = (norms / scale) ** 2 >= epsilon
    n_kept = int(idxs.sum())
    if n_kept == 0:
        return None
    Xs = centred[idxs] / scale
    rtol = max(m, n_kept) * eps64 if rtol is None else float(rtol)
    U_r, s, Q = _thin_svd(Xs, rtol)
    rank = s.size
    U_r[constant[idxs]] = 0.0  # exactly, not round-off: a dead neuron takes no part
    basis = U_r
    if rank < n_kept:  # complete to an orthonormal basis of neuron space: the null directions
        full, _ = np.linalg.qr(U_r, mode="complete")
        basis = np.hstack([U_r, full[:, rank:]])
    denom = np.sqrt(s * s + epsilon)
    # (Sigma_xx + eps I)^{-1/2}: 1/sqrt(s^2 + eps) on the span; on the null space
    # eps^{-1/2} when eps > 0, and 0 when eps = 0 (what pinv gives in exact arithmetic)
    w = np.concatenate([1.0 / denom, np.full(n_kept - rank, epsilon**-0.5 if epsilon > 0 else 0.0)])
    invsqrt = (basis * w) @ basis.T
    return _Side(
        acts=acts,
        means=means,
        centred=centred,
        idxs=idxs,
        scale=scale,
        basis=basis,
        rank=rank,
        s=s,
        Q=Q,
        shrink=s / denom,
        invsqrt=invsqrt,
    )


def _thin_svd(Xs: np.ndarray, rtol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Xs = U diag(s) Q^T`` over the directions with ``s > rtol * s_max``.

    Through the Gram matrix ``Xs Xs^T`` (fast: one product and a small eigendecomposition)
    when it is well conditioned enough that squaring the condition number costs no accuracy
    (error about ``eps * cond^2 <= 2e-11``); through the SVD of the data otherwise, so
    rank-deficient and ill-conditioned layers stay exact.
    """
    n_kept, m = Xs.shape
    if n_kept < m:
        lam, V = np.linalg.eigh(Xs @ Xs.T)
        if lam[0] > 1e-5 * lam[-1]:
            s = np.sqrt(lam[::-1])
            rank = int((s > rtol * s[0]).sum())  # a user's rtol applies here too
            U = V[:, ::-1][:, :rank]
            return U, s[:rank], (Xs.T @ U) / s[:rank]
    U, s, Vh = np.linalg.svd(Xs, full_matrices=False)
    rank = int((s > rtol * (s[0] if s.size else 0.0)).sum())
    return U[:, :rank], s[:rank], Vh[:rank].T


def _flip(v: np.ndarray) -> float:
    """Return the sign that makes the largest-magnitude entry of ``v`` positive."""
    if v.size == 0:
        return 1.0
    return -1.0 if v[np.argmax(np.abs(v))] < 0 else 1.0


def _signed(M: np.ndarray, start: int = 0) -> np.ndarray:
    """Flip each column of ``M`` from ``start`` on so its largest-magnitude entry is positive."""
    M = M.copy()
    for j in range(start, M.shape[1]):
        M[:, j] *= _flip(M[:, j])
    return M


@dataclass
class _CCA:
    sx: _Side
    sy: _Side
    u: np.ndarray  # (kx, kx) left singular vectors of the whitened cross-covariance (columns)
    vh: np.ndarray  # (ky, ky) right singular vectors (rows), as numpy's svd returns them
    rho: np.ndarray  # (min(kx, ky),) canonical correlations, zero-padded, in [0, 1]


def _cca(a1: np.ndarray, a2: np.ndarray, epsilon: float, rtol: float | None) -> _CCA | None:
    sx = _side(a1, "acts1", epsilon, rtol)
    sy = _side(a2, "acts2", epsilon, rtol)
    if sx is None or sy is None:
        return None
    # whitened cross-covariance = basis_x [diag(shrink_x) Q_x^T Q_y diag(shrink_y)] basis_y^T,
    # so its singular vectors are the basis times those of the small core M
    M = (sx.Q * sx.shrink).T @ (sy.Q * sy.shrink)
    if M.size:
        A, r, Bh = np.linalg.svd(M, full_matrices=True)
    else:
        A, r, Bh = np.eye(sx.rank), np.zeros(0), np.eye(sy.rank)
    B = Bh.T
    k = r.size
    u = np.hstack([sx.basis[:, : sx.rank] @ A, sx.basis[:, sx.rank :]])
    v = np.hstack([sy.basis[:, : sy.rank] @ B, sy.basis[:, sy.rank :]])
    u, v = _numpy_signs(u, v, r)
    n = min(sx.n_kept, sy.n_kept)
    rho = np.zeros(n)
    rho[:k] = np.clip(r, 0.0, 1.0)
    return _CCA(sx=sx, sy=sy, u=u, vh=v.T, rho=rho)


def _numpy_signs(u: np.ndarray, v: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give the singular vectors the signs the original got from ``numpy.linalg.svd``.

    Singular vectors are defined up to sign, and the original's ``cca_dirns`` and PWCCA
    value depend on it (PWCCA adds the neuron means to the rotated neurons). So the
    whitened cross-covariance ``u[:, :k] diag(r) v[:, :k]^T`` is handed to
    ``numpy.linalg.svd`` as the original did, and each of our (accurate) vectors takes the
    sign of the numpy vector it matches. A vector with no clear match (inside a block of
    equal correlations, where the original's choice was arbitrary anyway) keeps the
    convention "largest-magnitude entry positive".
    """
    k = r.size
    u, v = u.copy(), v.copy()
    for j in range(k):  # the convention first; a pair shares one sign
        f = _flip(u[:, j])
        u[:, j] *= f
        v[:, j] *= f
    u, v = _signed(u, start=k), _signed(v, start=k)
    arr = (u[:, :k] * r) @ v[:, :k].T
    nu, _, nvh = np.linalg.svd(arr, full_matrices=True)
    du = np.sum(u * nu, axis=0)
    dv = np.sum(v * nvh.T, axis=0)
    for j in range(u.shape[1]):
        if abs(du[j]) > 0.5 and du[j] < 0:
            u[:, j] *= -1.0
            if j < k:
                v[:, j] *= -1.0
    for j in range(k, v.shape[1]):
        if abs(dv[j]) > 0.5 and dv[j] < 0:
            v[:, j] *= -1.0
    return u, v


def _place(full_size: int, idxs: np.ndarray, block: np.ndarray) -> np.ndarray:
    out = np.zeros((full_size, full_size))
    out[np.ix_(idxs, idxs)] = block
    return out


# ---------------------------------------------------------------------------- summaries
def sum_threshold(array: ArrayOrTensor, threshold: float) -> int:
    """Count the leading entries of a decreasing array that first reach ``threshold`` of its total.

    The original ``cca_core.sum_threshold``.

    Parameters
    ----------
    array : array-like of shape (n,)
        Non-negative numbers in decreasing order (canonical correlations).
    threshold : float in [0, 1]

    Returns
    -------
    int
        The smallest ``i`` in ``0 .. n - 1`` with ``sum(array[:i]) / sum(array) >= threshold``,
        or ``n`` when there is none (the original returned ``None`` there, which slices the
        same way).

    Raises
    ------
    ValueError
        If ``threshold`` is outside [0, 1].

    Examples
    --------
    >>> from svcca import legacy
    >>> legacy.sum_threshold([0.9, 0.5, 0.1, 0.0], 0.98)  # 0.9 + 0.5 = 1.4 < 0.98 * 1.5
    3
    """
    t = float(threshold)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"threshold must be in [0, 1]; got {threshold!r}")
    a = np.asarray(array, dtype=np.float64).ravel()
    n = a.size
    total = a.sum()
    if not total > 0:  # the original's 0/0 compares False everywhere: the whole array
        return n
    prefix = np.concatenate([[0.0], np.cumsum(a)[:-1]]) / total  # sum(a[:i]) / total, i < n
    hits = np.flatnonzero(prefix >= t)
    i = int(hits[0]) if hits.size else n
    # settle the crossing with the original's own arithmetic (np.sum of each prefix)
    while i > 0 and np.sum(a[: i - 1]) / total >= t:
        i -= 1
    while i < n and not np.sum(a[:i]) / total >= t:
        i += 1
    return i


def _zero_dict(compute_dirns: bool, m: int, x_idxs: np.ndarray, y_idxs: np.ndarray) -> dict[str, Any]:
    # the original's answer when one layer has no neuron left after the epsilon rule
    out: dict[str, Any] = {
        "mean": (np.asarray(0), np.asarray(0)),
        "sum": (np.asarray(0), np.asarray(0)),
        "cca_coef1": np.asarray(0),
        "cca_coef2": np.asarray(0),
        "idx1": 0,
        "idx2": 0,
        "x_idxs": x_idxs,
        "y_idxs": y_idxs,
    }
    if compute_dirns:
        out["cca_dirns1"] = np.zeros((1, m))
        out["cca_dirns2"] = np.zeros((1, m))
    return out


def _idxs_of(acts: np.ndarray, epsilon: float) -> np.ndarray:
    var = acts.var(axis=1, ddof=1)
    return var / var.max() >= epsilon if var.max() > 0 else np.zeros(acts.shape[0], dtype=bool)


# --------------------------------------------------------------------------- public API
def get_cca_similarity(
    acts1: ArrayOrTensor,
    acts2: ArrayOrTensor,
    epsilon: float = 0.0,
    threshold: float = 0.98,
    compute_coefs: bool = True,
    compute_dirns: bool = False,
    verbose: bool = True,
    *,
    rtol: float | None = None,
    warn: bool = True,
) -> dict[str, Any]:
    """CCA between two layers, as the original ``cca_core.get_cca_similarity``.

    **Layout: NEURONS x DATAPOINTS** (the original's), not samples first.

    Parameters
    ----------
    acts1 : array-like of shape (num_neurons1, num_datapoints)
        Activations of the first layer: entry ``(i, j)`` is neuron ``i`` on datapoint ``j``.
        Must have fewer neurons than datapoints (the original's guard against transposed input).
    acts2 : array-like of shape (num_neurons2, num_datapoints)
        The second layer over the same datapoints; any number of neurons.
    epsilon : float, default 0.0
        Relative, as in the original: neurons whose variance is below ``epsilon`` times their
        layer's largest neuron variance are dropped (``x_idxs``/``y_idxs``), and ``epsilon`` is
        added to the diagonal of each layer's covariance after dividing it by that largest
        variance. ``0`` keeps every neuron and gives exact CCA.
    threshold : float in (0, 1], default 0.98
        ``mean`` averages the leading correlations up to the index where their running sum
        first reaches ``threshold`` of the total (dropping the trailing near-zero ones).
    compute_coefs : bool, default True
        Return the coefficient, inverse-square-root and mean keys.
    compute_dirns : bool, default False
        Also return the canonical directions ``cca_dirns1``/``cca_dirns2``.
    verbose : bool, default True
        Print short progress lines, as the original did by default (the modern API never prints).
    rtol : float, optional
        Relative rank tolerance on the singular values of each scaled layer (keyword only):
        directions with ``s_i <= rtol * s_max`` are treated as outside the data's span.
        Default ``max(num_datapoints, num_neurons) * 2.2e-16``. ``rtol=np.sqrt(1e-15)``
        mimics the original's ``pinv`` cut-off on covariance eigenvalues.
    warn : bool, default True
        Warn (:class:`svcca.SampleSizeWarning`) when the two ranks add up to more than
        ``num_datapoints - 1``, where some correlations are 1 whatever the data.

    Returns
    -------
    dict
        With ``kx``, ``ky`` the numbers of kept neurons and ``k = min(kx, ky)``:

        - ``cca_coef1``, ``cca_coef2`` : (k,) the canonical correlations, decreasing, in [0, 1]
          (the same array twice, as in the original); zero beyond the smaller rank;
        - ``mean`` : (float, float) the truncated mean (see ``threshold``), twice;
        - ``sum`` : (float, float) the sum of all ``k`` correlations, twice;
        - ``x_idxs``, ``y_idxs`` : bool (num_neurons1,), (num_neurons2,) kept neurons;
        - ``coef_x`` : (kx, kx) rows are the left singular vectors of the whitened
          cross-covariance, ordered as the correlations, then directions with correlation 0;
          ``coef_y`` : (ky, ky) the same for the second layer;
        - ``invsqrt_xx``, ``invsqrt_yy`` : (kx, kx), (ky, ky) ``(Sigma + epsilon I)^{-1/2}`` of
          the rescaled covariance of the kept neurons (0 on the null space when ``epsilon=0``);
        - ``full_coef_x``, ``full_invsqrt_xx`` : (num_neurons1, num_neurons1) the same with zero
          rows and columns at dropped neurons; ``full_coef_y``, ``full_invsqrt_yy`` likewise;
        - ``neuron_means1``, ``neuron_means2`` : (num_neurons, 1) per-neuron means;
        - ``cca_dirns1``, ``cca_dirns2`` (if ``compute_dirns``): (num_neurons, num_datapoints)
          ``full_coef @ full_invsqrt @ (acts - neuron_means) + neuron_means`` -- row ``i`` is
          the ``i``-th canonical variate (variance = the layer's largest neuron variance) with,
          as in the original, neuron ``i``'s mean added.

        When no neuron of a layer passes the ``epsilon`` rule (``epsilon > 1``) the all-zero
        dictionary the original's code was written to return is returned (plus
        ``x_idxs``/``y_idxs``); the original itself raises ``ValueError: too many values to
        unpack`` there (its ``compute_ccas`` returns six values on that branch, its caller
        expects five).

    Raises
    ------
    ValueError
        Non-2-D, empty, NaN/Inf input; different numbers of datapoints; ``acts1`` with at
        least as many neurons as datapoints; a layer whose neurons are all constant;
        ``threshold`` outside (0, 1]; ``epsilon < 0``.
    TypeError
        Non-numeric or complex input.

    Notes
    -----
    The correlations are the singular values of ``Cxx^{-1/2} Cxy Cyy^{-1/2}`` over the kept
    neurons, where ``Cxx = Sigma_xx / x_max + epsilon I``, ``Cyy = Sigma_yy / y_max + epsilon I``,
    ``Cxy = Sigma_xy / sqrt(x_max y_max)`` and ``x_max``, ``y_max`` are the largest neuron
    variances of each layer (so ``epsilon`` is relative to them). They are
    computed from thin SVDs of the data (cosines of principal angles), never by inverting a
    covariance, so rank-deficient layers and constant neurons give zeros, not NaN.
    Singular vectors are defined up to sign; they take the signs ``numpy.linalg.svd`` gives
    the whitened cross-covariance, as in the original, so ``coef_x``, ``coef_y`` and
    ``cca_dirns`` match it entry by entry. Where some correlations are equal (exactly
    shared directions, or correlations forced to 1 when a layer has at least as many
    neurons as datapoints minus the other's), the vectors inside that block are defined only
    up to a rotation, and numpy's choice of sign for the *other* vectors then changes under
    rounding-level changes of its input: both codes' vectors are valid, but some rows may
    differ in sign or rotation, and :func:`compute_pwcca`, whose value depends on them, by
    about the rounding of its input times the tie's width (1e-3 in such cases; the
    original's own value moves as much under a 1e-15 perturbation of the data).

    Every computation is in float64, also for float32 input (the original computes the
    neuron means in the input's precision, so its ``neuron_means``, ``cca_dirns`` and PWCCA
    value of float32 activations carry float32 rounding; give it ``acts.astype(float64)``
    to compare).

    References
    ----------
    Raghu, Gilmer, Yosinski, Sohl-Dickstein (2017), SVCCA, NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca import legacy
    >>> rng = np.random.default_rng(0)
    >>> acts1 = rng.standard_normal((20, 1000))                 # 20 neurons, 1000 datapoints
    >>> acts2 = np.vstack([rng.standard_normal((5, 5)) @ acts1[:5], rng.standard_normal((25, 1000))])
    >>> res = legacy.get_cca_similarity(acts1, acts2, verbose=False)
    >>> res["cca_coef1"].shape, res["coef_y"].shape, np.round(res["cca_coef1"][:6], 3)
    ((20,), (30, 30), array([1.   , 1.   , 1.   , 1.   , 1.   , 0.291]))
    """
    a1, a2 = _check_pair(acts1, acts2)
    epsilon, rtol = check_epsilon(epsilon), check_rtol(rtol)
    threshold = _check_threshold(threshold)
    numx, m = a1.shape
    numy = a2.shape[0]
    if verbose:
        print(f"svcca.legacy: CCA of {numx} x {m} and {numy} x {m} activations (neurons x datapoints)")
    fit = _cca(a1, a2, epsilon, rtol)
    if fit is None:
        if verbose:
            print(f"svcca.legacy: no neuron of a layer has variance >= {epsilon:g} x its largest; all zeros")
        return _zero_dict(compute_dirns, m, _idxs_of(a1, epsilon), _idxs_of(a2, epsilon))
    sx, sy = fit.sx, fit.sy
    if warn:
        warn_sample_size(m, sx.rank, sy.rank, stacklevel=3)
    rho = fit.rho
    out: dict[str, Any] = {}
    coef_x, coef_y = fit.u.T, fit.vh
    if compute_coefs:
        out["coef_x"] = coef_x
        out["invsqrt_xx"] = sx.invsqrt
        out["full_coef_x"] = _place(numx, sx.idxs, coef_x)
        out["full_invsqrt_xx"] = _place(numx, sx.idxs, sx.invsqrt)
        out["coef_y"] = coef_y
        out["invsqrt_yy"] = sy.invsqrt
        out["full_coef_y"] = _place(numy, sy.idxs, coef_y)
        out["full_invsqrt_yy"] = _place(numy, sy.idxs, sy.invsqrt)
        out["neuron_means1"] = sx.means
        out["neuron_means2"] = sy.means
    idx = sum_threshold(rho, threshold)
    mean = np.mean(rho[:idx])
    total = np.sum(rho)
    out["cca_coef1"] = rho
    out["cca_coef2"] = rho
    out["x_idxs"] = sx.idxs
    out["y_idxs"] = sy.idxs
    out["mean"] = (mean, mean)
    out["sum"] = (total, total)
    if compute_dirns:
        out["cca_dirns1"] = _dirns(sx, coef_x)
        out["cca_dirns2"] = _dirns(sy, coef_y)
    if verbose:
        print(
            f"svcca.legacy: kept {int(sx.idxs.sum())} and {int(sy.idxs.sum())} neurons "
            f"(ranks {sx.rank} and {sy.rank}); {rho.size} correlations, mean {float(mean):.4f} "
            f"(threshold {threshold:g})"
        )
    return out


def _dirns(side: _Side, coef: np.ndarray) -> np.ndarray:
    """``full_coef @ full_invsqrt @ (acts - means) + means`` without forming the inverse.

    With ``Xc[idxs] = scale * basis[:, :r] diag(s) Q^T``, ``invsqrt @ Xc[idxs]`` is
    ``scale * basis[:, :r] diag(shrink) Q^T`` (null directions carry no data).
    """
    whitened = side.scale * (side.basis[:, : side.rank] * side.shrink) @ side.Q.T
    out = np.zeros_like(side.centred)
    out[side.idxs] = coef @ whitened
    return out + side.means


def robust_cca_similarity(
    acts1: ArrayOrTensor,
    acts2: ArrayOrTensor,
    threshold: float = 0.98,
    epsilon: float = 1e-6,
    compute_dirns: bool = True,
) -> dict[str, Any]:
    """Compute CCA as the original's retry-with-noise wrapper did; here simply :func:`get_cca_similarity`.

    **Layout: NEURONS x DATAPOINTS.** The original retried with added noise when the SVD
    did not converge; the SVD-based computation here does not fail that way, so no noise
    is added and the result is deterministic. (The original also passed ``threshold`` where
    ``epsilon`` belonged; the keywords here mean what they say.)

    Parameters
    ----------
    acts1, acts2 : array-like of shapes (num_neurons1, num_datapoints), (num_neurons2, num_datapoints)
    threshold, epsilon, compute_dirns
        As in :func:`get_cca_similarity` (note the defaults: ``epsilon=1e-6``, directions on).

    Returns
    -------
    dict
        As :func:`get_cca_similarity` with ``verbose=False``.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.legacy import robust_cca_similarity
    >>> rng = np.random.default_rng(0)
    >>> acts1 = rng.standard_normal((10, 500))                  # 10 neurons, 500 datapoints
    >>> acts2 = np.vstack([acts1[:3], rng.standard_normal((7, 500))])
    >>> res = robust_cca_similarity(acts1, acts2)
    >>> np.round(res["cca_coef1"][:4], 2), res["cca_dirns1"].shape
    (array([1. , 1. , 1. , 0.2]), (10, 500))
    """
    return get_cca_similarity(
        acts1, acts2, epsilon=epsilon, threshold=threshold, compute_dirns=compute_dirns, verbose=False
    )


@fill_doc
def compute_pwcca(
    acts1: ArrayOrTensor, acts2: ArrayOrTensor, epsilon: float = 0.0, *, rtol: float | None = None
) -> tuple:
    """Projection-weighted CCA, as the original ``pwcca.compute_pwcca``.

    **Layout: NEURONS x DATAPOINTS** (the original's), not samples first.

    Parameters
    ----------
    %(legacy_acts1)s
    acts2 : array-like of shape (num_neurons2, num_datapoints)
        Second layer over the same datapoints.
    epsilon : float, default 0.0
        As in :func:`get_cca_similarity` (relative to each layer's largest neuron variance).
    rtol : float, optional
        As in :func:`get_cca_similarity` (keyword only).

    Returns
    -------
    value : numpy.float64
        ``sum(weights * coefs)``.
    weights : numpy.ndarray of shape (k,)
        Projection weights of the weighting layer's directions, summing to 1.
    coefs : numpy.ndarray of shape (k,)
        The canonical correlations (``cca_coef1`` of :func:`get_cca_similarity`).

    Raises
    ------
    ValueError
        As :func:`get_cca_similarity`, and when a layer has no neuron left after the
        ``epsilon`` rule.

    Notes
    -----
    The original's weighting, reproduced: the layer that keeps fewer neurons (``acts1`` on a
    tie) is the weighting layer. Its kept, centred neurons ``Xc`` are rotated by ``coef_x``
    (``coef_x @ Xc`` plus, row by row, the neurons' means), these rows are orthonormalised in
    order of decreasing correlation (QR), and direction ``i`` gets the weight
    ``sum_j |<p_i, a_j>|`` over the layer's kept, *uncentred* neurons ``a_j``, normalised
    to sum to 1. This is not the paper's definition, which weights by the canonical
    variates (``coef_x @ invsqrt_xx @ Xc``) against centred neurons: use :func:`svcca.pwcca`
    for that. Because the means are added back, the original's weights also depend on the
    sign of each singular vector whenever the neurons have non-zero means; the signs here
    are numpy's, as in the original, so the numbers are the original's.

    Two fixes: when ``acts2`` is the weighting layer it is ``acts2`` that is used (the
    original indexed ``acts1`` there: an ``IndexError`` when the widths differ, a silently
    wrong number when they agree), and directions outside a rank-deficient layer's span get
    weight 0 (the original orthonormalised round-off there).

    References
    ----------
    %(ref_pwcca)s

    Examples
    --------
    Two layers that share 3 of their 10 neurons, neurons first:

    >>> import numpy as np
    >>> from svcca import legacy
    >>> rng = np.random.default_rng(0)
    >>> acts1 = rng.standard_normal((10, 2000))
    >>> acts2 = np.vstack([acts1[:3], rng.standard_normal((7, 2000))])
    >>> value, weights, coefs = legacy.compute_pwcca(acts1, acts2)
    >>> weights.shape, round(float(weights.sum()), 6), round(float(np.mean(coefs)), 2)
    ((10,), 1.0, 0.33)
    """
    a1, a2 = _check_pair(acts1, acts2)
    epsilon, rtol = check_epsilon(epsilon), check_rtol(rtol)
    fit = _cca(a1, a2, epsilon, rtol)
    if fit is None:
        raise ValueError(
            f"no neuron of one layer has variance >= epsilon={epsilon!r} times the layer's largest "
            f"(acts1.shape={a1.shape}, acts2.shape={a2.shape}); PWCCA is undefined. Lower epsilon"
        )
    warn_sample_size(a1.shape[1], fit.sx.rank, fit.sy.rank, stacklevel=3)
    if fit.sx.n_kept <= fit.sy.n_kept:
        side, coef = fit.sx, fit.u.T
    else:
        side, coef = fit.sy, fit.vh
    coefs = fit.rho
    kept_means = side.means[side.idxs]
    # directions in the layer's span only: the rest of coef's rows (its null space) get weight 0
    r = side.rank
    # the rows keep numpy's signs, as in the original: adding the means back makes the
    # weights depend on them (see _numpy_signs)
    rows = coef[:r] @ side.centred[side.idxs] + kept_means[:r]
    P, _ = np.linalg.qr(rows.T)
    weights = np.zeros(side.n_kept)
    weights[:r] = np.abs(P.T @ side.acts[side.idxs].T).sum(axis=1)
    weights = weights / weights.sum()
    return np.sum(weights * coefs), weights, coefs


def get_pca(acts: ArrayOrTensor, compute_dirns: bool = False) -> dict[str, Any]:
    """Principal components of one layer, as the original ``numpy_pca.get_pca``.

    **Layout: NEURONS x DATAPOINTS** (the original's), not samples first.

    Parameters
    ----------
    acts : array-like of shape (num_neurons, num_datapoints)
        One layer; fewer neurons than datapoints.
    compute_dirns : bool, default False
        Also return ``pca_dirns``.

    Returns
    -------
    dict
        - ``eigenvals`` : (num_neurons,) despite the original's name, the *singular values* of
          the centred activations, decreasing; the covariance eigenvalues (variance along each
          direction) are ``eigenvals**2 / (num_datapoints - 1)``;
        - ``neuron_coefs`` : (num_neurons, num_neurons) rows are the principal directions in
          neuron space (unit norm; signs as ``numpy.linalg.svd`` gives them, as in the original);
        - ``neuron_means`` : (num_neurons, 1) per-neuron means (not in the original);
        - ``pca_dirns`` (if ``compute_dirns``): (num_neurons, num_datapoints)
          ``neuron_coefs @ (acts - neuron_means) + neuron_means``, as in the original (row
          ``i`` is the projection on direction ``i`` with neuron ``i``'s mean added).

    Raises
    ------
    ValueError
        Non-2-D, empty or NaN/Inf input, or at least as many neurons as datapoints.

    Notes
    -----
    Each neuron is centred over the datapoints. An intermediate version of the original centred
    each datapoint over the neurons (``axis=0``), which is not PCA of the neurons.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca import legacy
    >>> rng = np.random.default_rng(0)
    >>> acts = np.diag([10.0, 1.0, 0.1]) @ rng.standard_normal((3, 500))
    >>> res = legacy.get_pca(acts)
    >>> np.round(res["eigenvals"] ** 2 / 499, 1)
    array([102.9,   0.9,   0. ])
    """
    a = _check_acts(acts, "acts")
    _check_narrow(a, "acts")
    means = a.mean(axis=1, keepdims=True)
    centred = a - means
    U, S, _ = np.linalg.svd(centred, full_matrices=False)
    out: dict[str, Any] = {"eigenvals": S, "neuron_coefs": U.T, "neuron_means": means}
    if compute_dirns:
        out["pca_dirns"] = U.T @ centred + means
    return out


@fill_doc
def get_pls_similarity(
    acts1: ArrayOrTensor, acts2: ArrayOrTensor, compute_dirns: bool = True
) -> dict[str, Any]:
    """Partial least squares between two layers, as the original ``numpy_pls.get_pls_similarity``.

    **Layout: NEURONS x DATAPOINTS** (the original's), not samples first. The layers may have
    different numbers of neurons.

    Parameters
    ----------
    %(legacy_acts1)s
    acts2 : array-like of shape (num_neurons2, num_datapoints)
        Second layer over the same datapoints; any width.
    compute_dirns : bool, default True
        Return ``pls_dirns1``/``pls_dirns2`` (the original always did; not in its signature).

    Returns
    -------
    dict
        With ``k = min(num_neurons1, num_neurons2)``:

        - ``eigenvals`` : (k,) singular values of the cross-covariance ``Sigma_xy`` (``ddof=1``),
          decreasing: the covariance of each pair of PLS projections;
        - ``neuron_coeffs1`` : (k, num_neurons1), ``neuron_coeffs2`` : (k, num_neurons2) rows are
          the paired PLS directions (unit norm; signs as ``numpy.linalg.svd`` gives them);
        - ``neuron_means1``, ``neuron_means2`` : (num_neurons, 1) per-neuron means (not in the
          original);
        - ``pls_dirns1``, ``pls_dirns2`` (if ``compute_dirns``): (k, num_datapoints)
          ``neuron_coeffs @ (acts - neuron_means) + neuron_means[:k]``: the projections on the
          PLS directions with, row by row, the first ``k`` neurons' means added. With equal
          widths this is the original's formula; with unequal widths the original crashed.

    Raises
    ------
    ValueError
        Non-2-D, empty or NaN/Inf input, different numbers of datapoints, or ``acts1`` with
        at least as many neurons as datapoints.

    Notes
    -----
    ``Sigma_xy = U diag(eigenvals) V^T``; ``neuron_coeffs1 = U^T``, ``neuron_coeffs2 = V^T``. Unlike
    CCA, PLS depends on each neuron's scale. :func:`svcca.pls` is the samples-first version,
    which also reports the correlation of each pair.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca import legacy
    >>> rng = np.random.default_rng(0)
    >>> acts1 = rng.standard_normal((8, 500))                 # neurons x datapoints
    >>> acts2 = np.vstack([3 * acts1[:1], rng.standard_normal((3, 500))])    # widths 8 and 4
    >>> res = legacy.get_pls_similarity(acts1, acts2)
    >>> res["eigenvals"].shape, res["neuron_coeffs1"].shape, res["pls_dirns2"].shape
    ((4,), (4, 8), (4, 500))
    """
    a1, a2 = _check_pair(acts1, acts2)
    m = a1.shape[1]
    m1 = a1.mean(axis=1, keepdims=True)
    m2 = a2.mean(axis=1, keepdims=True)
    c1, c2 = a1 - m1, a2 - m2
    U, S, Vh = np.linalg.svd(c1 @ c2.T / (m - 1), full_matrices=False)
    k = S.size
    out: dict[str, Any] = {
        "eigenvals": S,
        "neuron_coeffs1": U.T,
        "neuron_coeffs2": Vh,
        "neuron_means1": m1,
        "neuron_means2": m2,
    }
    if compute_dirns:
        out["pls_dirns1"] = U.T @ c1 + m1[:k]
        out["pls_dirns2"] = Vh @ c2 + m2[:k]
    return out
