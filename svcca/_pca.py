"""Principal component analysis of one layer (the SVD half of SVCCA)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import get_ops, is_torch, to_numpy
from ._cca import _pivot_phase, centre_scaled, check_narrowing
from ._docs import fill_doc
from ._validation import DegenerateLayerError, check_array, check_int, check_keep

__all__ = ["PCAResult", "pca", "n_directions_for", "directions_reaching"]


def n_directions_for(singular_values: Any, keep: float | int, name: str = "keep") -> int:
    """Return the smallest number of leading directions that keep ``keep`` of the variance.

    That is, whose squared singular values reach ``keep`` of the total (a fraction in (0,
    1]), or ``keep`` itself when it is an int.
    """
    keep = check_keep(keep, name)
    s = np.asarray(singular_values.detach().cpu() if hasattr(singular_values, "detach") else singular_values)
    s = s.astype(np.float64)
    if isinstance(keep, int):
        return int(min(keep, s.size))
    var = s * s
    total = var.sum()
    if total <= 0:
        return 1
    k = directions_reaching(var / total, keep)
    return int(s.size) if k is None else k


def directions_reaching(fractions: Any, keep: float | int) -> int | None:
    """Return the smallest ``k`` whose first ``k`` variance ``fractions`` (of the total) reach ``keep``.

    None when all of them together fall short (a truncated result); an int ``keep`` is a
    number of directions (at most as many as there are).

    Examples
    --------
    >>> from svcca._pca import directions_reaching
    >>> directions_reaching([0.6, 0.3, 0.1], 0.85), directions_reaching([0.6, 0.25], 0.9)
    (2, None)
    """
    frac = np.asarray(fractions, dtype=np.float64)
    if isinstance(keep, int):
        return int(min(keep, frac.size))
    cum = np.cumsum(frac)
    # 1e-12 guards against cumsum rounding just below 1.0 at keep=1
    k = int(np.searchsorted(cum, keep - 1e-12)) + 1
    if k <= frac.size:
        return k
    # fractions that sum to 1 up to their own rounding (float32 ratios) are complete: every
    # keep is reached by all of them; only a truncated set falls short
    return int(frac.size) if cum[-1] >= 1.0 - 1e-5 else None


@fill_doc
@dataclass(frozen=True, eq=False)
class PCAResult:
    """The result of :func:`svcca.pca`.

    Attributes
    ----------
    %(column_means)s
    components : array of shape (n_components, n_features)
        Principal directions (rows, unit norm), as in scikit-learn.
    singular_values : array of shape (n_components,)
        Singular values of the centred data.
    explained_variance : array of shape (n_components,)
        Variance along each direction, ``singular_values**2 / (n_samples - 1)``.
    explained_variance_ratio : array of shape (n_components,)
        Fraction of the total variance along each direction.
    total_variance : float
        Sum of all feature variances (over every direction, kept or not).
    scores : array of shape (n_samples, n_components)
        The data in the principal basis, ``(X - mean) @ components.T``.
    n_samples : int
        The number of rows of the data.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 4)) @ np.diag([10.0, 1.0, 1.0, 0.1])
    >>> res = svcca.pca(X)
    >>> res.n_components, res.n_samples, res.components.shape, res.scores.shape
    (4, 300, (4, 4), (300, 4))
    >>> bool(np.allclose(res.scores, (X - res.mean) @ res.components.T))
    True
    >>> round(float(res.explained_variance_ratio.sum()), 6)
    1.0
    """

    mean: Any
    components: Any
    singular_values: Any
    explained_variance: Any
    explained_variance_ratio: Any
    total_variance: float
    scores: Any
    n_samples: int

    @property
    def n_components(self) -> int:
        return int(self.components.shape[0])

    def __repr__(self) -> str:
        # the arrays (scores: one row per sample) would print pages in a notebook
        kept = float(to_numpy(self.explained_variance_ratio).sum())
        return (
            f"PCAResult(n_components={self.n_components}, n_features={int(self.components.shape[1])}, "
            f"explained={kept:.4f}, n_samples={self.n_samples})"
        )

    def n_components_for(self, keep: float | int = 0.99) -> int:
        """Return the smallest number of directions explaining ``keep`` of the total variance.

        Parameters
        ----------
        keep : float or int, default 0.99
            A fraction of the variance in ``(0, 1]``, or a number of directions.

        Returns
        -------
        int
            The number of leading directions, at least 1.

        Raises
        ------
        ValueError
            When the directions this result kept (``n_components=``) explain less than
            ``keep`` together: the answer lies beyond them.
        """
        var = self.explained_variance_ratio
        var = np.asarray(var.detach().cpu() if hasattr(var, "detach") else var, dtype=np.float64)
        keep = check_keep(keep)
        k = directions_reaching(var, keep)
        if k is None:
            raise ValueError(
                f"the {var.size} direction(s) this result kept explain {var.sum():.4g} of the variance, "
                f"less than keep={keep}: compute svcca.pca without n_components to find how many do"
            )
        return k

    def _like(self, A: Any, name: str, width: int | None = None, what: str = "") -> Any:
        """Return ``A`` as a 2-D array (of ``width`` columns), on this result's backend (numpy or torch)."""
        A = check_array(A, name)
        if width is not None and int(A.shape[1]) != width:
            raise ValueError(f"{name} must have {width} columns ({what}); got {name}.shape={tuple(A.shape)}")
        C = self.components
        if is_torch(C):
            import torch

            return torch.as_tensor(A, device=C.device).to(dtype=C.dtype)
        return A.detach().cpu().numpy() if is_torch(A) else A

    def transform(self, X: Any, n_components: int | None = None) -> Any:
        """Project ``X`` on the first ``n_components`` directions (scores).

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, n_features)
            Activations of the fitted layer's features (centred with the fitted mean).
        n_components : int, optional
            At most the number this result kept (default: all of them).

        Returns
        -------
        array or torch.Tensor of shape (n_samples, n_components)
        """
        k = check_int(n_components, "n_components", allow_none=True)
        if k is not None and k > self.n_components:
            raise ValueError(
                f"n_components must be at most the {self.n_components} this result kept; got {k}"
            )
        comps = self.components[:k]
        X = self._like(X, "X", int(self.components.shape[1]), "the fitted layer's features")
        return (X - self.mean) @ comps.T

    def inverse_transform(self, Z: Any) -> Any:
        """Map scores (n_samples, k) back to feature space (``k`` at most ``n_components``)."""
        Z = self._like(Z, "Z")
        k = int(Z.shape[1])
        if k > self.n_components:
            raise ValueError(
                f"Z must have at most {self.n_components} columns (the directions this result kept); "
                f"got Z.shape={tuple(Z.shape)}"
            )
        return Z @ self.components[:k] + self.mean

    def project(self, X: Any, n_components: int) -> Any:
        """Return ``X`` with everything outside its top ``n_components`` directions removed.

        This is the SVCCA paper's low-rank projection of a layer.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (n_samples, n_features)
        n_components : int
            Directions kept, at most the number this result kept.

        Returns
        -------
        array or torch.Tensor of shape (n_samples, n_features)
        """
        return self.inverse_transform(self.transform(X, n_components))


def _centred_svd(X: Any, ops: Any) -> tuple[Any, Any, Any, Any, Any]:
    """Return the mean and the thin SVD of the centred data, scaled by a power of two.

    The scale is one exact power of two ``c`` (largest centred entry near 1, so that squared
    singular values neither overflow nor underflow): ``(X - mean) * c = U diag(s) Vh``.
    Returns ``(mean, U, s, Vh, c)``.
    """
    # a constant feature (0.1 repeated) is exactly 0 once centred, not its rounding: a dead
    # layer then explains nothing, on every backend, instead of [1, 6e-32, ...]; the scale
    # comes from the centred data, so a neuron stuck at 1e160 leaves the others' squares whole
    centred = centre_scaled(ops, X)
    U, s, Vh = ops.svd(centred.data)
    return centred.location, U, s, Vh, centred.scale


def pca(X: Any, n_components: int | float | None = None, *, dtype: Any = None) -> PCAResult:
    """Principal component analysis of a layer's activations.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features)
        Activations, samples first.
    n_components : int or float, optional
        An int keeps that many directions (at most ``min(n_samples, n_features)``: the
        result's ``n_components`` says how many); a float in (0, 1] keeps the fewest directions
        explaining that fraction of the variance; None keeps ``min(n_samples, n_features)``.
    dtype : {None, numpy.float32, numpy.float64}
        Compute precision (float64 by default; half-precision input is computed in float32
        or wider).

    Returns
    -------
    PCAResult

    Raises
    ------
    DegenerateLayerError
        When every feature is constant (a dead layer): no direction has variance, and the
        explained-variance ratios would be 0 / 0. A layer with some constant features is
        analysed; those features explain nothing.
    ValueError
        For fewer than 2 samples, or float64 data with ``dtype=float32`` that float32
        cannot hold (values that vary below its resolution at their offset, that underflow
        or overflow it).

    Examples
    --------
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((500, 3)) @ np.diag([10.0, 1.0, 0.1])
    >>> res = svcca.pca(X)
    >>> np.round(res.explained_variance_ratio, 3)
    array([0.99 , 0.009, 0.   ])
    >>> res.n_components_for(0.99)
    1
    """
    if n_components is not None:
        check_keep(n_components, "n_components")
    X = check_array(X, "X", allow_complex=False)
    ops = get_ops(X, dtype=dtype)
    n = int(X.shape[0])
    if n < 2:
        raise ValueError(f"PCA needs at least 2 samples; got X.shape={tuple(X.shape)}")
    check_narrowing(X, ops, "X")
    mean, U, s, Vh, c = _centred_svd(X, ops)
    U, Vh = _sign_flip(ops, U, Vh)
    var = s * s / (n - 1)  # of the scaled data: the ratios are the same
    total = ops.item(var.sum())
    k = int(s.shape[0]) if n_components is None else n_directions_for(s, n_components, "n_components")
    if not total > 0:  # every feature constant: no direction has variance to explain
        raise DegenerateLayerError(
            f"X has no varying feature: all {int(X.shape[1])} features are constant over the {n} "
            "samples (dead neurons?); PCA has no direction of variance for it"
        )
    ratio = var / total
    with np.errstate(over="ignore"):  # the data's own units (inf beyond the float range)
        s = s / c
        var = s * s / (n - 1)
        total = ops.item(var.sum())
    return PCAResult(
        mean=mean,
        components=Vh[:k],
        singular_values=s[:k],
        explained_variance=var[:k],
        explained_variance_ratio=ratio[:k],
        total_variance=total,
        scores=U[:, :k] * s[:k],
        n_samples=n,
    )


def _sign_flip(ops: Any, U: Any, Vh: Any) -> tuple[Any, Any]:
    """Deterministic signs: the largest-|.| entry of each principal direction is positive.

    For complex data the sign is a unit phase: ``U`` times it and ``Vh`` times its
    conjugate, so that ``U S Vh`` is unchanged and the columns stay orthonormal.
    """
    if Vh.shape[0] == 0:
        return U, Vh
    phase = _pivot_phase(ops, Vh, axis=1)
    return U * phase, Vh * phase.conj()[:, None]
