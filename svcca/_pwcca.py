"""Projection-weighted CCA (Morcos, Raghu, Bengio 2018)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import is_torch, to_numpy
from ._cca import CCAResult, Whitened, _cca_pair, _extend, _Pairs
from ._docs import fill_doc
from ._validation import check_option

__all__ = ["PWCCAResult", "pwcca", "projection_weights", "projection_weights_from_comoment"]

SIDES = ("x", "y", "smaller", "symmetric")
#: The side whose canonical directions give the correlations (``cca_from_whitened(directions=)``);
#: ``"symmetric"`` takes the other side's from a second decomposition.
DIRECTIONS = {"x": "x", "y": "y", "smaller": "smaller", "symmetric": "x"}


@dataclass(frozen=True, eq=False)
class PWCCAResult(CCAResult):
    """The result of :func:`svcca.pwcca`: a :class:`CCAResult` plus projection weights.

    Attributes
    ----------
    side : str
        Which side's activations weighted the correlations (``"x"``, ``"y"``, or
        ``"symmetric"``; ``"smaller"`` resolves to ``"x"`` or ``"y"``).
    alpha : array of shape (n_components,)
        The weights used (sum to 1); for ``"symmetric"`` the mean of both sides'. A tensor
        (on the input's device) when tensors were passed.
    x_alpha, y_alpha : array or None
        Each side's weights, when computed.
    pwcca : float
        The weighted mean ``sum_i alpha_i rho_i``; also ``.similarity``.

    Examples
    --------
    Two layers that share two directions through noise, the correlations weighted by ``X``
    (without noise the two would tie at 1; see :func:`svcca.pwcca`'s Notes for ties):

    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 4))
    >>> noise = rng.standard_normal((300, 5))
    >>> Y = np.column_stack([X[:, 0] + 0.5 * noise[:, 0], X[:, 1] + noise[:, 1], noise[:, 2:]])
    >>> res = svcca.pwcca(X, Y)
    >>> res
    PWCCAResult(similarity=0.4169, side='x', mean=0.4597, n_components=4, n_samples=300)
    >>> np.round(res.rho, 3)
    array([0.876, 0.701, 0.211, 0.051])
    >>> np.round(res.alpha, 3), round(float(res.alpha.sum()), 6)
    (array([0.221, 0.211, 0.286, 0.281]), 1.0)
    >>> bool(np.isclose(res.pwcca, np.sum(res.alpha * res.rho)))
    True
    """

    side: str = "x"
    alpha: Any = None
    x_alpha: Any = None
    y_alpha: Any = None
    pwcca: float = float("nan")

    @property
    def similarity(self) -> float:
        """The projection-weighted mean correlation."""
        return self.pwcca

    def __repr__(self) -> str:
        return (
            f"PWCCAResult(similarity={self.pwcca:.4f}, side={self.side!r}, mean={self.mean:.4f}, "
            f"n_components={self.n_components}, n_samples={self.n_samples})"
        )


def projection_weights(variates: Any, acts: Any, mean: Any) -> Any:
    """PWCCA weights: ``alpha_i ∝ sum_j |<h_i, x_j>|`` over the centred neurons ``x_j``.

    Parameters
    ----------
    variates : array of shape (n_samples, n_components)
        Canonical variates ``h_i`` of the chosen side; each is scaled to unit norm first
        (they already share one norm when ``epsilon=0``).
    acts : array of shape (n_samples, n_features)
        That side's activations; ``mean`` (shape (n_features,)) is subtracted.

    Returns
    -------
    array of shape (n_components,), summing to 1, real; a tensor on the variates'
    device when they are tensors.
    """
    if is_torch(variates):
        import torch

        acts = torch.as_tensor(acts).to(device=variates.device, dtype=variates.dtype)
        h = variates / torch.linalg.vector_norm(variates, dim=0)
        a = torch.abs((acts - mean).mH @ h).sum(0)
    else:
        acts = np.asarray(acts, dtype=variates.dtype)
        h = variates / np.linalg.norm(variates, axis=0)
        a = np.abs((acts - mean).conj().T @ h).sum(0)
    return _to_unit_sum(a)


def projection_weights_from_comoment(
    ops: Any, C: Any, weights: Any, ties: Sequence[tuple[int, int]] = ()
) -> Any:
    """PWCCA weights ``alpha_i ∝ sum_j |<h_i, x_j>| / ||h_i||`` from ``C = X_c^H X_c``.

    With canonical weights ``w_i`` (so ``h_i = X_c w_i``), ``X_c^H h_i = C w_i`` and
    ``||h_i||^2 = w_i^H C w_i``: the samples are not needed (Morcos et al. 2018).

    Parameters
    ----------
    ops : backend from :func:`svcca._backend.get_ops`
    C : array of shape (n_features, n_features)
        The centred co-moment ``X_c^H X_c`` of the weighting side, or any positive multiple
        of it (the weights do not depend on the factor).
    weights : array of shape (n_features, n_components)
        Its canonical weights (each column may be scaled by any positive factor; the
        columns of a tie by one common factor).
    ties : sequence of (start, stop), optional
        Runs of columns whose correlations tie (:func:`tie_blocks`): each run's basis is
        first rotated to the one :func:`canonical_ties` defines, so the weights do not
        depend on the basis the solver returned there.

    Returns
    -------
    array of shape (n_components,)
        Summing to 1; a tensor on the device for torch.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca._backend import get_ops
    >>> rng = np.random.default_rng(0)
    >>> Xc = rng.standard_normal((100, 3)); Xc -= Xc.mean(0)
    >>> w = rng.standard_normal((3, 2))
    >>> a = projection_weights_from_comoment(get_ops(Xc), Xc.T @ Xc, w)
    >>> bool(np.allclose(a, projection_weights(Xc @ w, Xc, np.zeros(3))))
    True
    """
    # alpha is invariant to a positive factor on C and on each column of the weights:
    # bring both near 1 so data near the ends of the float range neither overflow nor vanish
    # (one factor for the columns of a tie, whose basis is rotated below)
    c = float(ops.max(ops.abs(ops.diag_real(C)))) if int(C.shape[0]) else 0.0
    if 0 < c < float("inf"):
        C = C / c
    m = ops.colmaxabs(weights)
    for a, b in ties:
        m[a:b] = ops.max(m[a:b])
    weights = weights / (m + (m == 0))
    P, weights = canonical_ties(ops, C @ weights, ties, weights)
    norms = ops.sqrt(ops.real(ops.sum(weights.conj() * P, axis=0)))
    return _to_unit_sum(ops.sum(ops.abs(P), axis=0) / norms)


#: Correlations closer than this (absolute) are a tie, whose weights come from the basis
#: of :func:`canonical_ties` rather than from the solver's. Computed in float32, closer
#: than ``32 eps32`` (3.8e-6): float32 arithmetic spreads an exact tie by up to about 3e-6,
#: while correlations that the data keep 7e-6 apart (near 1, in float64) stay apart.
TIE_TOL = 1e-6


def tie_tolerance(rho: Any) -> float:
    """Return the tie tolerance for correlations computed in ``rho``'s precision (see :data:`TIE_TOL`)."""
    return max(TIE_TOL, 32 * float(np.finfo(to_numpy(rho[:0]).dtype).eps))


def tie_blocks(rho: Any, tol: float | None = None) -> list[tuple[int, int]]:
    """Return the runs ``[a, b)`` of two or more correlations within ``tol`` of their neighbours.

    ``rho`` is descending. A run is chained: each value is within ``tol`` of the next.
    ``tol`` defaults to :func:`tie_tolerance` of ``rho``.

    Examples
    --------
    >>> tie_blocks(np.array([1.0, 1.0 - 1e-9, 0.7, 0.5, 0.5, 0.5, 0.1]))
    [(0, 2), (3, 6)]
    >>> tie_blocks(np.array([1.0, 1.0 - 3e-6], dtype=np.float32))   # float32: within 3.8e-6
    [(0, 2)]
    """
    tol = tie_tolerance(rho) if tol is None else tol
    r = np.asarray(to_numpy(rho), dtype=np.float64).ravel()
    close = np.abs(np.diff(r)) <= tol
    blocks, a = [], None
    for i, c in enumerate(close):
        if c and a is None:
            a = i
        elif not c and a is not None:
            blocks.append((a, i + 1))
            a = None
    if a is not None:
        blocks.append((a, int(r.shape[0])))
    return blocks


def canonical_ties(ops: Any, P: Any, ties: Sequence[tuple[int, int]], W: Any = None) -> tuple[Any, Any]:
    """Rotate each tie's basis to the one where its projections are orthogonal.

    Within a tie the canonical variates are any orthonormal basis of their span, and the
    L1 weights depend on which. ``P`` (features x components) holds the variates'
    projections onto the features; for each run ``[a, b)`` of ``ties`` its columns become
    ``P_ab R``, with ``R`` the right singular vectors of ``P_ab`` (orthogonal columns
    ``U diag(s)``). That is the same for every basis the solver may return there
    (``P_ab Q`` for an orthogonal ``Q`` has the right singular vectors ``Q^H R``, so
    ``P_ab Q Q^H R = P_ab R``), up to column signs, which the absolute values ignore.
    ``W`` (the matching weights or directions, one column per component), when given,
    is rotated alike. Returns ``(P, W)``, copies where a tie was rotated.
    """
    if not ties:
        return P, W
    copy = (lambda a: a.clone()) if is_torch(P) else (lambda a: a.copy())
    P = copy(P)
    W = None if W is None else copy(W)
    for a, b in ties:
        R = ops.ct(ops.svd(P[:, a:b])[2])
        P[:, a:b] = P[:, a:b] @ R
        if W is not None:
            W[:, a:b] = W[:, a:b] @ R
    return P, W


def _to_unit_sum(a: Any) -> Any:
    """Scale non-negative weights to sum to one (equal weights when all are zero)."""
    total = float(to_numpy(a.sum()))
    return a / total if total > 0 else a * 0 + 1.0 / max(int(a.shape[0]), 1)


def side_alpha(w: Whitened, A: Any, rho: Any = None) -> Any:
    """PWCCA weights of the canonical directions ``A`` of one whitened side.

    ``A`` (rank x k) holds the directions in the side's whitened coordinates, so the
    variates are ``h_i = Z a_i``. Without a ridge every ``||h_i||`` is 1 and ``Xc^H h_i``
    is ``D F a_i``, with ``D`` the column norms and ``F = Xs^H Z`` known from the whitening
    (:meth:`svcca._cca.Whitened.feature_cross`: ``L`` on the Cholesky route, ``V diag(s)``
    on the SVD path): one product, no pass over the samples, and no product of the
    ill-conditioned co-moment with the weights, which loses about ``eps * cond(G)`` of
    the projections. Otherwise from the co-moment (:func:`projection_weights_from_comoment`).
    ``rho``, the correlations (descending, at least one per column of ``A``), marks the
    ties, whose weights then come from the basis of :func:`canonical_ties`; without it the
    directions are taken as they are.
    """
    ops = w.ops
    ties = tie_blocks(rho[: int(A.shape[1])]) if rho is not None else []
    with ops.lapack_context():
        F = w.feature_cross()
        if F is None:
            weights = w.weights_to_features(A)
            rows = weights if int(w.kept.shape[0]) == w.n_features else weights[w.kept]
            return projection_weights_from_comoment(ops, w.comoment(), rows, ties)
        d = w.relative_norms()
        P = d[:, None] * (F @ A)  # the unit-norm variates' projections onto the unit-norm features
        P, _ = canonical_ties(ops, P, ties)
        return _to_unit_sum(ops.sum(ops.abs(P), axis=0))


def pair_alphas(res: CCAResult, side: str) -> tuple[str, Any, Any | None, Any | None]:
    """Return the projection weights of a CCA result: ``(side, alpha, x_alpha, y_alpha)``.

    The one computation behind :func:`pwcca`, the grid's PWCCA and the streaming PWCCA.
    ``side`` is one of :data:`SIDES` (``"smaller"`` is resolved here). The weights need
    only the chosen side's canonical directions, which come from one symmetric
    eigendecomposition where that is exact enough (:meth:`svcca._cca._Pairs._one_side`),
    the SVD otherwise, and each side's whitening (:func:`side_alpha`).
    """
    check_option(side, "side", SIDES)
    pairs = res._weights_fn
    assert isinstance(pairs, _Pairs), "pair_alphas needs the result of a CCA of two whitened sides"
    side = pairs.side(side)
    alphas: dict[str, Any] = {}
    for s in ("x", "y"):
        if side in (s, "symmetric"):
            alphas[s] = side_alpha(pairs.wx if s == "x" else pairs.wy, pairs.directions(s), pairs.rho(s))
    x_alpha, y_alpha = alphas.get("x"), alphas.get("y")
    if side == "symmetric":
        # the mean of the two weighted means is the mean weights' weighted mean
        assert x_alpha is not None and y_alpha is not None
        return side, 0.5 * (x_alpha + y_alpha), x_alpha, y_alpha
    return side, alphas[side], x_alpha, y_alpha


@fill_doc
def pwcca(
    X: Any,
    Y: Any,
    *,
    side: str = "x",
    epsilon: float = 0.0,
    rtol: float | None = None,
    dtype: Any = None,
    warn: bool = True,
) -> PWCCAResult:
    """Compute projection-weighted CCA (PWCCA).

    The canonical correlations are weighted by how much of a layer each canonical direction
    accounts for.

    Parameters
    ----------
    %(X)s
    %(Y)s
    side : {"x", "y", "smaller", "symmetric"}, default "x"
        Whose activations define the weights. ``"x"`` follows the paper (weights from the
        first layer's canonical variates against its own neurons); ``"smaller"`` picks the
        side with fewer varying features (the original code's rule); ``"symmetric"``
        averages the two weighted means.
    epsilon, rtol, dtype, warn
        As in :func:`svcca.cca` (half-precision input is computed in float32 or wider; a
        :class:`svcca.PrecisionWarning` says when its rounding limits the answer).

    Returns
    -------
    PWCCAResult
        ``.similarity`` is ``sum_i alpha_i rho_i``.

    Notes
    -----
    Morcos et al. (2018): with ``h_i`` the canonical variates of layer ``L1`` and
    ``x_j`` its centred neurons, ``alpha_i = sum_j |<h_i, x_j>|``, normalised to sum to
    one, and ``PWCCA = sum_i alpha_i rho_i``. Directions that the layer's neurons actually
    use get more weight than noise directions that CCA matches by chance. The measure is
    invariant to per-neuron offsets and to invertible linear maps of the *other* side
    (for ``side="x"``, of ``Y``).

    Where correlations tie (part of ``Y`` an exact linear image of ``X``: several equal to
    1; or fewer samples than ``p + q + 1``, a ``svcca.SampleSizeWarning``, with many forced
    to 1), the canonical variates within the tie are any orthonormal basis of their span,
    and the L1 weights depend on which: the paper's definition leaves the value open there
    (by several percent in small cases). Correlations within 1e-6 of each other (3.8e-6
    when computed in float32) are treated as a tie, and its weights come from the one basis
    in which the variates' projections onto the weighting layer's neurons are orthogonal
    (the right singular vectors of those projections), which no solver's choice changes.
    So the value is the same for ``pwcca(X, Y)`` and ``pwcca(Y, X, side="y")``, for both
    argument orders of ``side="symmetric"``, in a grid in either order, on numpy and
    torch, in float32 and float64, in the permutation null, and under a rotation of
    ``Y``. Mean CCA needs no basis.

    References
    ----------
    %(ref_pwcca)s

    Examples
    --------
    Three signals that make up most of ``X`` and half of ``Y``; PWCCA weighs their
    correlations by how much of ``X`` they explain:

    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> latent = rng.standard_normal((2000, 3))
    >>> X = latent @ rng.standard_normal((3, 10)) + 0.3 * rng.standard_normal((2000, 10))
    >>> Y = np.hstack([latent, rng.standard_normal((2000, 3))])  # the 3 signals + 3 others
    >>> res = svcca.pwcca(X, Y)
    >>> np.round(res.rho, 2)
    array([1.  , 0.99, 0.99, 0.08, 0.06, 0.04])
    >>> round(res.mean, 2), round(res.similarity, 2)   # X is mostly the shared signals
    (0.53, 0.9)
    """
    check_option(side, "side", SIDES)
    res, wx, wy = _cca_pair(
        X,
        Y,
        epsilon=epsilon,
        rtol=rtol,
        algorithm="auto",
        dtype=dtype,
        warn=warn,
        directions=DIRECTIONS[side],
    )
    side, alpha, x_alpha, y_alpha = pair_alphas(res, side)
    # rounding can step past 1; a NaN stays NaN (max(0.0, nan) would return 0.0)
    value = min(max(float(to_numpy((alpha * res.rho).sum())), 0.0), 1.0)
    return _extend(res, PWCCAResult, side=side, alpha=alpha, x_alpha=x_alpha, y_alpha=y_alpha, pwcca=value)
