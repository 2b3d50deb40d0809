"""The registry of similarity measures: one entry per measure, read by everything that lists them.

Each entry says, for one measure:

- ``function``: the public per-pair function (``svcca.cca``, ``svcca.rbf_cka``, ...);
- ``options``: its options and their defaults, and how they are checked (once);
- ``prepare``: the work done once per layer (centre, whiten, reduce, form a kernel);
- ``compare``: the similarity of two prepared layers (what a grid repeats per pair);
- ``engine``: how a batch of permutations of the second side is scored at once.

:func:`svcca.similarity_matrix`, :mod:`svcca.stats`, :mod:`svcca.streaming`, the command
line and the experiments list measures through :data:`MEASURES` and take a measure as a
name with options (``measure="svcca", measure_options={"keep": 0.95}``) or as a
:class:`Measure` (``Measure("svcca", keep=0.95)``).

Validation happens once, at the public entry: :func:`resolve` checks the name and the
options; the entry checks the arrays (:func:`svcca._validation.check_pair`); ``prepare``,
``compare`` and the engines trust what they are given.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._backend import is_torch, to_numpy
from ._cca import cca, cca_from_whitened, whiten_checked
from ._cka import (
    MINIBATCH_SIZE,
    RBF_BANDWIDTH,
    _centre,
    _centre_scaled,
    _procrustes_factor,
    _self_hsic,
    _unbiased_hsic,
    batch_bounds,
    check_bandwidth,
    check_batch_size,
    kernel_hsic,
    linear_cka,
    minibatch_cka,
    minibatch_hsic,
    outlier_gram,
    prepare_rbf,
    procrustes,
    rbf_cka,
    shift_for,
)
from ._pwcca import DIRECTIONS, SIDES, canonical_ties, pair_alphas, pwcca, tie_blocks, tie_tolerance
from ._svcca import reduce_and_whiten, svcca
from ._validation import (
    DegenerateLayerError,
    SampleSizeWarning,
    check_bool,
    check_epsilon,
    check_option,
    check_rtol,
    resolve_keep,
)

__all__ = ["MEASURES", "Measure", "resolve"]

# Memory for one batch of permuted copies (bytes); a batch never holds more than this.
_BATCH_BYTES = 64 * 2**20


# --- prepared layers ----------------------------------------------------------------------


@dataclass(eq=False)
class Prepared:
    """One layer, prepared once for many comparisons (a grid row, a permutation null)."""

    label: str
    w: Any = None  # Whitened (cca, svcca, pwcca)
    n_varying: int = 0  # features that vary (pwcca side="smaller")
    data: Any = None  # centred data (cka, when p < n; minibatch cka)
    gram: Any = None  # Xc Xc^T (cka, when p >= n) or the RBF kernel (centred unless debiased)
    self_hsic: float = 0.0  # raw HSIC term of the layer with itself (cka)
    diag: Any = None  # row squared norms (debiased cka)
    ones: float = 0.0  # 1^T Kt 1 (debiased cka)
    u: Any = None  # Kt 1 (debiased cka)
    factor: Any = None  # centred, unit-norm factor (procrustes)
    shape: tuple = ()


def _prepare_cca(X: Any, ops: Any, opts: dict[str, Any], n: int, label: str) -> Prepared:
    w = whiten_checked(X, ops, epsilon=opts["epsilon"], rtol=opts["rtol"], name=label)
    return Prepared(label, w=w, n_varying=int(w.kept.shape[0]))


def _keep_of(opts: dict[str, Any]) -> float | int:
    """SVCCA's choice of directions from resolved options: a fraction or a number."""
    return opts["keep"] if "keep" in opts else opts["n_components"]


def _prepare_svcca(X: Any, ops: Any, opts: dict[str, Any], n: int, label: str) -> Prepared:
    red = reduce_and_whiten(X, _keep_of(opts), ops, epsilon=opts["epsilon"], rtol=opts["rtol"], name=label)
    return Prepared(label, w=red.w)


def _need_four(opts: dict[str, Any], n: int, label: str, shape: tuple, what: str = "debiased CKA") -> None:
    if n < 4 and opts.get("debiased", True):
        raise ValueError(f"{what} needs at least 4 samples; got {label}.shape={shape}")


def _prepare_cka(X: Any, ops: Any, opts: dict[str, Any], n: int, label: str) -> Prepared:
    _need_four(opts, n, label, (n, int(X.shape[1])))
    Xc = _centre(ops, X, shift_for(opts["debiased"]))
    p = int(Xc.shape[1])
    prep = Prepared(label, shape=(n, p))
    if p < n and not (opts["debiased"] and outlier_gram(ops, Xc)):
        prep.data = Xc
    else:
        prep.gram = Xc @ ops.ct(Xc)
    if opts["debiased"]:
        _debias(ops, prep, Xc, n)
    prep.self_hsic = _cka_cross(ops, prep, prep)
    _check_cka_layer(ops, prep, n, opts["debiased"])
    return prep


def _debias(ops: Any, prep: Prepared, Xc: Any, n: int) -> None:
    """Return the terms of the unbiased HSIC that depend on one side only."""
    if prep.data is not None:
        d = ops.sum(Xc * Xc, axis=1)
        colsum = ops.sum(Xc, axis=0)  # X^T 1 (about 0 after centring; kept for exactness)
        prep.ones = float(ops.sum(colsum * colsum)) - float(ops.sum(d))
        prep.u = Xc @ colsum - d
    else:  # the diagonal zeroed exactly (not subtracted from the sums, which could cancel)
        K = prep.gram
        prep.gram = K = K - K * ops.eye(n, like=K)
        d = ops.zeros((n,), like=K)
        prep.u = ops.sum(K, axis=1)
        prep.ones = float(ops.sum(prep.u))
    prep.diag = d


def _prepare_rbf_cka(X: Any, ops: Any, opts: dict[str, Any], n: int, label: str) -> Prepared:
    _need_four(opts, n, label, (n, int(X.shape[1])))
    prep = Prepared(label, gram=prepare_rbf(ops, X, opts["bandwidth"], opts["debiased"], label))
    prep.shape = (n, int(X.shape[1]))
    if opts["debiased"]:
        _debias(ops, prep, None, n)
    prep.self_hsic = _cka_cross(ops, prep, prep)
    _check_cka_layer(ops, prep, n, opts["debiased"])
    return prep


def _prepare_minibatch(X: Any, ops: Any, opts: dict[str, Any], n: int, label: str) -> Prepared:
    _need_four(opts, n, label, (n, int(X.shape[1])), "minibatch CKA")
    prep = Prepared(label, data=_centre_scaled(ops, X, shift_for(True))[0], shape=(n, int(X.shape[1])))
    bounds = batch_bounds(n, opts["batch_size"])
    prep.self_hsic = minibatch_hsic(ops, prep.data, prep.data, bounds)
    if not prep.self_hsic > 0:
        raise DegenerateLayerError(
            f"{label} has no varying feature (shape {prep.shape}): its HSIC with itself is "
            f"{prep.self_hsic:g}; CKA is undefined for it"
        )
    return prep


def _prepare_procrustes(X: Any, ops: Any, opts: dict[str, Any], n: int, label: str) -> Prepared:
    return Prepared(label, factor=_procrustes_factor(ops, X, label))


def _mean(ops: Any, rho: Any) -> float:
    return float(ops.to_numpy(rho).astype(np.float64).mean()) if rho.shape[0] else float("nan")


def _compare_cca(ops: Any, a: Prepared, b: Prepared, opts: dict[str, Any], n: int) -> float:
    return float(cca_from_whitened(a.w, b.w).mean)


def _compare_pwcca(ops: Any, a: Prepared, b: Prepared, opts: dict[str, Any], n: int) -> float:
    res = cca_from_whitened(a.w, b.w, directions=DIRECTIONS[opts["side"]])
    _, alpha, _, _ = pair_alphas(res, opts["side"])
    return float((alpha * res.rho).sum())


def _compare_pwcca_both(
    ops: Any, a: Prepared, b: Prepared, opts: dict[str, Any], n: int
) -> tuple[float, float]:
    """Both cells of a one-sided PWCCA, ``(a, b)`` and ``(b, a)``, from one CCA of the pair.

    The cell ``(b, a)`` is the CCA of ``(a, b)`` weighted from the other side: one cross-product
    and both sides' weights instead of two of each.
    """
    res = cca_from_whitened(a.w, b.w, directions="x")
    _, _, x_alpha, y_alpha = pair_alphas(res, "symmetric")
    vx, vy = float((x_alpha * res.rho).sum()), float((y_alpha * res.rho).sum())
    side = opts["side"]
    if side == "smaller":  # (a, b) weighs by a on a tie, (b, a) by b
        return (vx if a.n_varying <= b.n_varying else vy), (vy if b.n_varying <= a.n_varying else vx)
    return (vx, vy) if side == "x" else (vy, vx)


def _cka_cross(ops: Any, a: Prepared, b: Prepared) -> float:
    """``<K_a, K_b>_F`` (= ``||Xa^T Xb||_F^2``) from whichever representation each side holds."""
    if a.data is not None and b.data is not None:
        M = ops.ct(a.data) @ b.data
        return float(ops.sum(M * M))
    if a.gram is not None and b.gram is not None:
        return float(ops.sum(a.gram * b.gram))
    K, Xc = (a.gram, b.data) if a.gram is not None else (b.gram, a.data)
    return float(ops.sum((K @ Xc) * Xc))


def _cka_hsic(ops: Any, a: Prepared, b: Prepared, n: int, debiased: bool, cross: float) -> float:
    if not debiased:
        return cross / (n - 1) ** 2
    tr = cross - float(ops.sum(a.diag * b.diag))
    return _unbiased_hsic(n, tr, a.ones, b.ones, float(ops.sum(a.u * b.u)))


def _compare_cka(ops: Any, a: Prepared, b: Prepared, opts: dict[str, Any], n: int) -> float:
    debiased = opts["debiased"]
    hab = _cka_hsic(ops, a, b, n, debiased, _cka_cross(ops, a, b))
    haa = _cka_hsic(ops, a, a, n, debiased, a.self_hsic)
    hbb = _cka_hsic(ops, b, b, n, debiased, b.self_hsic)
    return float(np.clip(hab / math.sqrt(haa * hbb), -1.0 if debiased else 0.0, 1.0))


def _compare_minibatch(ops: Any, a: Prepared, b: Prepared, opts: dict[str, Any], n: int) -> float:
    hab = minibatch_hsic(ops, a.data, b.data, batch_bounds(n, opts["batch_size"]))
    return float(np.clip(hab / math.sqrt(a.self_hsic * b.self_hsic), -1.0, 1.0))


def _compare_procrustes(ops: Any, a: Prepared, b: Prepared, opts: dict[str, Any], n: int) -> float:
    return min(max(float(ops.sum(ops.svd(ops.ct(a.factor) @ b.factor)[1])), 0.0), 1.0)


def _check_cka_layer(ops: Any, prep: Prepared, n: int, debiased: bool) -> None:
    h = _cka_hsic(ops, prep, prep, n, debiased, prep.self_hsic)
    if not h > 0:
        raise DegenerateLayerError(
            f"{prep.label} has no varying feature (shape {prep.shape}): its HSIC with itself is {h:g}; "
            f"CKA is undefined for it"
        )


def _self_cca(ops: Any, a: Prepared, opts: dict[str, Any]) -> float:
    """Compare a layer with itself, without the cross-product.

    The whitened basis has ``Z^H Z = diag(s^2 / (s^2 + epsilon))``, the identity when
    ``epsilon = 0``, so the canonical correlations are the squared shrink factors (all 1
    without a ridge).
    """
    if opts["epsilon"] == 0:
        return 1.0
    shrink = a.w.shrink
    return _mean(ops, ops.clip01(shrink * shrink))


def _self_pwcca(ops: Any, a: Prepared, opts: dict[str, Any]) -> float | None:
    """1 without a ridge, whatever the weights; with one, the pair is computed (None)."""
    return 1.0 if opts["epsilon"] == 0 else None


def _self_one(ops: Any, a: Prepared, opts: dict[str, Any]) -> float:
    return 1.0


# --- batched permutation engines: similarity of (X, Y[perm]) for a batch of permutations ---


def _svdvals(M: Any) -> Any:
    if is_torch(M):
        import torch

        return torch.linalg.svdvals(M)
    return np.linalg.svd(M, compute_uv=False)


def _svd(M: Any) -> tuple[Any, Any, Any]:
    if is_torch(M):
        import torch

        return torch.linalg.svd(M, full_matrices=False)
    return np.linalg.svd(M, full_matrices=False)


def _mH(a: Any) -> Any:
    """Return the conjugate transpose of each matrix of a batch."""
    return a.mH if is_torch(a) else np.conj(np.swapaxes(a, -1, -2))


def _clip(a: Any, lo: float, hi: float) -> Any:
    if is_torch(a):
        return a.clamp(lo, hi)
    return np.clip(a, lo, hi)


class Engine:
    """Similarity of ``(X, Y[perm])`` for each row of a ``(B, n)`` array of permutations."""

    ops: Any
    bytes_per_perm: int
    ranks: tuple[int, int] | None = None  # the CCA family's ranks (for the sample-size warning)
    _like: Any = None

    def batch(self, perms: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def __call__(self, perms: np.ndarray) -> np.ndarray:
        out = np.empty(perms.shape[0])
        step = max(1, _BATCH_BYTES // max(self.bytes_per_perm, 1))
        for start in range(0, perms.shape[0], step):
            chunk = perms[start : start + step]
            idx = self.ops.from_numpy(chunk, like=self._like) if self.ops.name == "torch" else chunk
            out[start : start + step] = to_numpy(self.batch(idx))
        return out


class _CCAEngine(Engine):
    """Run the permutation null of CCA, SVCCA and PWCCA, whitening each side once.

    Permuting Y permutes the rows of ``Z_y``, so the correlations of each permutation are
    the singular values of ``Z_x^H Z_y[perm]``.
    """

    def __init__(self, X: Any, Y: Any, ops: Any, entry: _Entry, opts: dict[str, Any]) -> None:
        self.ops = ops
        self.kind = entry.name
        n = int(X.shape[0])
        wx = entry.prepare(X, ops, opts, n, "X").w
        wy = entry.prepare(Y, ops, opts, n, "Y").w
        self.ranks = (wx.rank, wy.rank)
        Zx = wx.Z()
        self.ZxH = ops.ct(Zx)
        self.Zy = wy.Z()
        self._like = self.Zy
        itemsize = 16 if ops.is_complex(self.Zy) else 8
        self.bytes_per_perm = itemsize * (n * wy.rank + 3 * wx.rank * wy.rank)
        if self.kind == "pwcca":
            # PWCCA weights alpha_i ∝ sum_j |<x_j, h_i>| with h_i = Z_x a_i: precompute Xc^H Z_x
            # (and Yc^H Z_y, which a permutation of Y's rows leaves unchanged)
            side = opts["side"]
            if side == "smaller":
                side = "x" if int(wx.kept.shape[0]) <= int(wy.kept.shape[0]) else "y"
            self.side = side
            self.Cx = ops.ct(ops.asarray(X) - wx.mean) @ Zx if side != "y" else None
            self.Cy = ops.ct(ops.asarray(Y) - wy.mean) @ self.Zy if side != "x" else None
            # with a ridge Z's columns are not orthonormal: the variates Z a_i are scaled to unit
            # norm (as svcca.pwcca does), ||Z a_i||^2 = a_i^H (Z^H Z) a_i
            ridge = opts["epsilon"] != 0
            self.Gx = ops.ct(Zx) @ Zx if ridge and side != "y" else None
            self.Gy = ops.ct(self.Zy) @ self.Zy if ridge and side != "x" else None
            self.bytes_per_perm += itemsize * (int(X.shape[1]) * wx.rank + int(Y.shape[1]) * wy.rank)

    @staticmethod
    def _alpha(ops: Any, C: Any, U: Any, s: Any, G: Any = None) -> Any:
        P = C @ U  # (B, p, k)
        # a permutation whose correlations tie: its ties in the basis svcca.pwcca uses
        for b in np.flatnonzero((np.abs(np.diff(to_numpy(s), axis=-1)) <= tie_tolerance(s)).any(-1)):
            P[b], U[b] = canonical_ties(ops, P[b], tie_blocks(s[b]), U[b])
        alpha = ops.abs(P).sum(-2)  # (B, k)
        if G is not None:  # divide by the variates' norms
            alpha = alpha / ops.sqrt(ops.real((U.conj() * (G @ U)).sum(-2)))
        return alpha / alpha.sum(-1, keepdims=True)

    def batch(self, perms: Any) -> Any:
        M = self.ZxH @ self.Zy[perms]  # (B, rx, ry)
        if self.kind != "pwcca":
            return _clip(_svdvals(M), 0.0, 1.0).mean(-1)
        U, s, Vh = _svd(M)
        if self.side == "x":
            alpha = self._alpha(self.ops, self.Cx, U, s, self.Gx)
        elif self.side == "y":
            alpha = self._alpha(self.ops, self.Cy, _mH(Vh), s, self.Gy)
        else:
            x_alpha = self._alpha(self.ops, self.Cx, U, s, self.Gx)
            alpha = 0.5 * (x_alpha + self._alpha(self.ops, self.Cy, _mH(Vh), s, self.Gy))
        return (alpha * _clip(s, 0.0, 1.0)).sum(-1)


class _CKAEngine(Engine):
    """Run the permutation null of CKA, where only the cross term changes.

    The self-similarities are permutation invariant; only ``||Xc^T Yc[perm]||_F^2`` (or
    ``<K, L[perm, perm]>`` with Gram or kernel matrices) is recomputed.
    """

    K: Any
    L: Any
    dx: Any
    dy: Any

    def __init__(self, X: Any, Y: Any, ops: Any, entry: _Entry, opts: dict[str, Any]) -> None:
        self.ops = ops
        debiased = self.debiased = opts["debiased"]
        n, p = (int(s) for s in X.shape)
        q = int(Y.shape[1])
        self.n = n
        Xc: Any = None
        Yc: Any = None
        if entry.name == "rbf_cka":
            K = prepare_rbf(ops, X, opts["bandwidth"], debiased, "X")
            L = prepare_rbf(ops, Y, opts["bandwidth"], debiased, "Y")
            hxx, hyy = kernel_hsic(ops, K, K, debiased), kernel_hsic(ops, L, L, debiased)
            if not (hxx > 0 and hyy > 0):
                rbf_cka(X, Y, bandwidth=opts["bandwidth"], debiased=debiased)  # raises its message
            self.use_gram = True
        else:
            Xc, Yc = _centre(ops, X, shift_for(debiased)), _centre(ops, Y, shift_for(debiased))
            hxx, hyy = _self_hsic(ops, Xc, debiased), _self_hsic(ops, Yc, debiased)
            if not (hxx > 0 and hyy > 0):
                linear_cka(X, Y, debiased=debiased)  # raises its message for the dead side
            outliers = debiased and outlier_gram(ops, Xc, Yc)
            self.use_gram = n * n < p * q or outliers
            if self.use_gram:
                K, L = Xc @ ops.ct(Xc), Yc @ ops.ct(Yc)
        if self.use_gram:
            if debiased:
                eye = ops.eye(n, like=K)
                K, L = K - K * eye, L - L * eye
            self.K, self.L = K, L
            self._like = L
            self.bytes_per_perm = 8 * 2 * n * n
        else:
            self.XcT, self.Yc = ops.ct(Xc), Yc
            self._like = Yc
            self.bytes_per_perm = 8 * (n * q + 2 * p * q)
        if debiased:
            if self.use_gram:  # zero-diagonal kernels: Kt 1 and 1^T Kt 1
                self.dx = self.dy = None
                self.u, self.v = ops.sum(self.K, axis=1), ops.sum(self.L, axis=1)
                self.ones = float(ops.sum(self.u)) * float(ops.sum(self.v))
            else:
                dx, dy = ops.sum(Xc * Xc, axis=1), ops.sum(Yc * Yc, axis=1)
                sx, sy = ops.sum(Xc, axis=0), ops.sum(Yc, axis=0)
                self.dx, self.dy = dx, dy
                self.u, self.v = Xc @ sx - dx, Yc @ sy - dy
                self.ones = (float(ops.sum(sx * sx)) - float(ops.sum(dx))) * (
                    float(ops.sum(sy * sy)) - float(ops.sum(dy))
                )
            self.norm = math.sqrt(hxx * hyy)
        else:
            self.norm = math.sqrt(hxx * hyy) * (n - 1) ** 2

    def batch(self, perms: Any) -> Any:
        if self.use_gram:
            Lp = self.L[perms[:, :, None], perms[:, None, :]]
            cross = (self.K * Lp).sum((-2, -1))
        else:
            M = self.XcT @ self.Yc[perms]
            cross = (M * M).sum((-2, -1))
            if self.debiased:
                cross = cross - self.dy[perms] @ self.dx
        if not self.debiased:
            return _clip(cross / self.norm, 0.0, 1.0)
        n = self.n
        hsic = (cross + self.ones / ((n - 1) * (n - 2)) - 2.0 * (self.v[perms] @ self.u) / (n - 2)) / (
            n * (n - 3)
        )
        return _clip(hsic / self.norm, -1.0, 1.0)


class _PreparedLoopEngine(Engine):
    """Prepare X once, and Y's permuted rows for each permutation, then compare.

    This serves measures whose per-side terms depend on the order of the rows, as minibatch
    CKA's batches do.
    """

    def __init__(self, X: Any, Y: Any, ops: Any, entry: _Entry, opts: dict[str, Any]) -> None:
        self.ops, self.entry, self.opts, self.Y = ops, entry, opts, Y
        self.n = int(X.shape[0])
        self.a = entry.prepare(X, ops, opts, self.n, "X")
        self._like = self.a.data
        self.bytes_per_perm = 8 * self.n * int(Y.shape[1])

    def batch(self, perms: Any) -> Any:
        out = []
        for perm in perms:
            b = self.entry.prepare(self.Y[perm], self.ops, self.opts, self.n, "Y")
            out.append(self.entry.compare(self.ops, self.a, b, self.opts, self.n))
        return np.array(out, dtype=np.float64)


class _ProcrustesEngine(Engine):
    """Procrustes: the nuclear norm of ``Ax^T Ay[perm]`` for the centred unit-norm factors."""

    def __init__(self, X: Any, Y: Any, ops: Any, entry: _Entry, opts: dict[str, Any]) -> None:
        self.ops = ops
        self.AxT = ops.ct(_procrustes_factor(ops, X, "X"))
        self.Ay = _procrustes_factor(ops, Y, "Y")
        self._like = self.Ay
        n, r = (int(s) for s in self.Ay.shape)
        self.bytes_per_perm = 8 * (n * r + 3 * int(self.AxT.shape[0]) * r)

    def batch(self, perms: Any) -> Any:
        return _clip(_svdvals(self.AxT @ self.Ay[perms]).sum(-1), 0.0, 1.0)


class LoopEngine(Engine):
    """Any callable measure: one call per permutation."""

    def __init__(self, X: Any, Y: Any, f: Callable[[Any, Any], float]) -> None:
        self.X, self.Y, self.f = X, Y, f

    def __call__(self, perms: np.ndarray) -> np.ndarray:
        # the observed pair warned about its sample size once; shuffles have the same size
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SampleSizeWarning)
            return np.array([self.f(self.X, take_rows(self.Y, perm)) for perm in perms], dtype=np.float64)


def take_rows(A: Any, idx: np.ndarray) -> Any:
    """Return the rows ``idx`` of an array or tensor."""
    if is_torch(A):
        import torch

        return A[torch.as_tensor(idx, device=A.device)]
    return A[idx]


# --- the registry ---------------------------------------------------------------------------


def _resolve_cca(o: dict[str, Any]) -> dict[str, Any]:
    return {"epsilon": check_epsilon(o.get("epsilon", 0.0)), "rtol": check_rtol(o.get("rtol"))}


def _resolve_svcca(o: dict[str, Any]) -> dict[str, Any]:
    k = resolve_keep(o.get("keep"), o.get("n_components"))
    return {"keep" if isinstance(k, float) else "n_components": k, **_resolve_cca(o)}


def _resolve_pwcca(o: dict[str, Any]) -> dict[str, Any]:
    return {"side": check_option(o.get("side", "x"), "side", SIDES), **_resolve_cca(o)}


def _resolve_cka(o: dict[str, Any]) -> dict[str, Any]:
    return {"debiased": check_bool(o.get("debiased", False), "debiased")}


def _resolve_rbf(o: dict[str, Any]) -> dict[str, Any]:
    return {"bandwidth": check_bandwidth(o.get("bandwidth", RBF_BANDWIDTH)), **_resolve_cka(o)}


def _resolve_minibatch(o: dict[str, Any]) -> dict[str, Any]:
    return {"batch_size": check_batch_size(o.get("batch_size", MINIBATCH_SIZE))}


def _resolve_none(o: dict[str, Any]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, eq=False)
class _Entry:
    """One measure of the registry (see the module notes)."""

    name: str
    function: Callable[..., Any]
    options: tuple[str, ...]
    resolve: Callable[[dict[str, Any]], dict[str, Any]]
    prepare: Callable[..., Prepared]
    compare: Callable[..., float]
    self_value: Callable[..., float | None]  # None: compare the layer with itself
    engine: Callable[..., Engine]
    cca_family: bool = False  # complex input, sample-size warnings
    summary: str = ""
    min_samples: int = 2
    symmetric: Callable[[dict[str, Any]], bool] = field(default=lambda opts: True)
    # an unbiased HSIC estimate (a U-statistic over distinct samples): it can be negative,
    # and a bootstrap resample's repeated rows bias it
    unbiased: Callable[[dict[str, Any]], bool] = field(default=lambda opts: False)
    # for a measure that is not symmetric: both cells (a, b) and (b, a) from one comparison
    compare_both: Callable[..., tuple[float, float]] | None = None

    def bounds(self, opts: dict[str, Any]) -> tuple[float, float]:
        """Return the values the similarity can take: (0, 1), or (-1, 1) for an unbiased HSIC estimate.

        The unbiased HSIC is an inner product (of U-centred kernels), so Cauchy-Schwarz
        bounds its CKA by 1 in absolute value; it can be negative.
        """
        return (-1.0, 1.0) if self.unbiased(opts) else (0.0, 1.0)

    def call(self, X: Any, Y: Any, opts: dict[str, Any], *, warn: bool = False, dtype: Any = None) -> Any:
        """Return the public per-pair function with these options."""
        kw = dict(opts)
        if self.cca_family:
            kw["warn"] = warn
        if dtype is not None:
            kw["dtype"] = dtype
        return self.function(X, Y, **kw)


def _debiased(opts: dict[str, Any]) -> bool:
    return bool(opts["debiased"])


_CCA_OPTS = ("epsilon", "rtol")
_ENTRIES = (
    _Entry(
        "cca", function=cca, options=_CCA_OPTS, resolve=_resolve_cca,
        prepare=_prepare_cca, compare=_compare_cca, self_value=_self_cca, engine=_CCAEngine,
        cca_family=True, summary="mean canonical correlation",
    ),
    _Entry(
        "svcca", function=svcca, options=("keep", "n_components", *_CCA_OPTS), resolve=_resolve_svcca,
        prepare=_prepare_svcca, compare=_compare_cca, self_value=_self_cca, engine=_CCAEngine,
        cca_family=True, summary="CCA of each layer's top SVD directions",
    ),
    _Entry(
        "pwcca", function=pwcca, options=("side", *_CCA_OPTS), resolve=_resolve_pwcca,
        prepare=_prepare_cca, compare=_compare_pwcca, self_value=_self_pwcca, engine=_CCAEngine,
        cca_family=True, summary="projection-weighted CCA",
        symmetric=lambda opts: opts["side"] == "symmetric", compare_both=_compare_pwcca_both,
    ),
    _Entry(
        "cka", function=linear_cka, options=("debiased",), resolve=_resolve_cka,
        prepare=_prepare_cka, compare=_compare_cka, self_value=_self_one, engine=_CKAEngine,
        summary="linear CKA", unbiased=_debiased,
    ),
    _Entry(
        "rbf_cka", function=rbf_cka, options=("bandwidth", "debiased"), resolve=_resolve_rbf,
        prepare=_prepare_rbf_cka, compare=_compare_cka, self_value=_self_one, engine=_CKAEngine,
        summary="CKA with RBF kernels", unbiased=_debiased,
    ),
    _Entry(
        "minibatch_cka", function=minibatch_cka, options=("batch_size",), resolve=_resolve_minibatch,
        prepare=_prepare_minibatch, compare=_compare_minibatch, self_value=_self_one,
        engine=_PreparedLoopEngine, min_samples=4, summary="unbiased linear CKA averaged over minibatches",
        unbiased=lambda opts: True,
    ),
    _Entry(
        "procrustes", function=procrustes, options=(), resolve=_resolve_none,
        prepare=_prepare_procrustes, compare=_compare_procrustes, self_value=_self_one,
        engine=_ProcrustesEngine, summary="orthogonal Procrustes (nuclear norm)",
    ),
)  # fmt: skip
_REGISTRY: dict[str, _Entry] = {e.name: e for e in _ENTRIES}

#: The measures that can be named by a string, in the registry's order.
MEASURES: tuple[str, ...] = tuple(_REGISTRY)


def entry(name: str) -> _Entry:
    """Return the registry entry of a measure name (checked against :data:`MEASURES`).

    A name that is a measure's function rather than its registry name (``"linear_cka"``)
    is refused with the name to use.
    """
    if isinstance(name, str) and name not in _REGISTRY:
        named = [e.name for e in _ENTRIES if getattr(e.function, "__name__", None) == name]
        if named:
            raise ValueError(
                f"measure must be one of {', '.join(map(repr, MEASURES))}; got {name!r}, the name of "
                f"the function svcca.{name}, whose measure is named {named[0]!r}"
            )
    return _REGISTRY[check_option(name, "measure", MEASURES)]


class Measure:
    """A similarity measure of the registry with its options, checked once.

    Parameters
    ----------
    name : str
        One of :data:`MEASURES`: ``"cca"``, ``"svcca"``, ``"pwcca"``, ``"cka"``,
        ``"rbf_cka"``, ``"minibatch_cka"``, ``"procrustes"``.
    **options
        The measure's options (those of its per-pair function, e.g. ``keep`` for
        ``"svcca"``, ``debiased`` for ``"cka"``, ``bandwidth`` for ``"rbf_cka"``); missing
        ones take their defaults.

    Attributes
    ----------
    name : str
    options : dict
        Every option of the measure, defaults filled in (read-only copy).

    Raises
    ------
    ValueError
        For an unknown name (the message lists :data:`MEASURES`), an option the measure
        does not take (the message lists those it takes), or an invalid option value.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> m = svcca.Measure("svcca", keep=0.95)
    >>> m
    Measure('svcca', keep=0.95, epsilon=0.0, rtol=None)
    >>> X = np.random.default_rng(0).standard_normal((200, 6))
    >>> round(m(X, 2 * X).similarity, 6)
    1.0
    """

    __slots__ = ("_entry", "_options")

    def __init__(self, name: str, **options: Any) -> None:
        e = entry(name)
        unknown = [k for k in options if k not in e.options]
        if unknown:
            takes = ", ".join(e.options) if e.options else "none"
            raise ValueError(
                f"{unknown[0]} does not apply to measure={name!r} (its options: {takes}); "
                f"got {unknown[0]}={options[unknown[0]]!r}"
            )
        given = {k: v for k, v in options.items() if v is not None}  # None: the default
        self._entry = e
        self._options = e.resolve(given)

    @property
    def name(self) -> str:
        """The measure's name in :data:`MEASURES`."""
        return self._entry.name

    @property
    def options(self) -> dict[str, Any]:
        """The options, defaults filled in."""
        return dict(self._options)

    @property
    def bounds(self) -> tuple[float, float]:
        """The values the similarity can take: ``(0.0, 1.0)``, or ``(-1.0, 1.0)`` for debiased CKA.

        Examples
        --------
        >>> import svcca
        >>> svcca.Measure("pwcca").bounds, svcca.Measure("cka", debiased=True).bounds
        ((0.0, 1.0), (-1.0, 1.0))
        """
        return self._entry.bounds(self._options)

    @property
    def unbiased(self) -> bool:
        """Whether the measure is an unbiased HSIC estimate (debiased CKA, minibatch CKA).

        Such an estimate is a U-statistic over distinct samples: it can be negative, and
        resampling rows with replacement biases it (see :func:`svcca.stats.bootstrap_ci`).

        Examples
        --------
        >>> import svcca
        >>> svcca.Measure("cka").unbiased, svcca.Measure("minibatch_cka").unbiased
        (False, True)
        """
        return self._entry.unbiased(self._options)

    def __call__(self, X: Any, Y: Any, *, warn: bool = True, dtype: Any = None) -> Any:
        """Return the measure's full result for one pair (``svcca.cca(X, Y, **options)``, ...)."""
        return self._entry.call(X, Y, self._options, warn=warn, dtype=dtype)

    def __repr__(self) -> str:
        opts = "".join(f", {k}={v!r}" for k, v in self._options.items())
        return f"Measure({self.name!r}{opts})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Measure) and (self.name, self._options) == (other.name, other._options)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by name and options: the registry entry holds functions pickle cannot name.

        So that a measure can be handed to a process pool (``multiprocessing``,
        ``concurrent.futures.ProcessPoolExecutor``).
        """
        return (_measure_from, (self.name, self.options))

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self._options.items()))))


def resolve(measure: str | Measure, measure_options: Mapping[str, Any] | None = None) -> Measure:
    """Return a :class:`Measure` from a name and options, or a Measure as it is.

    Raises
    ------
    ValueError
        As :class:`Measure`; also for ``measure_options`` given with a ``Measure`` (its
        options are already set).
    TypeError
        For a measure that is neither a name nor a ``Measure``, or options that are not a
        mapping.
    """
    if isinstance(measure, Measure):
        if measure_options:
            raise ValueError(
                f"measure_options apply to a measure given by name; {measure!r} already has its options"
            )
        return measure
    if not isinstance(measure, str):
        hint = (
            " (here each layer's preparation is reused, which a plain function does not offer: "
            "name a measure, or loop your function over the pairs, e.g. "
            "[[f(a, b) for b in layers] for a in layers])"
            if callable(measure)
            else ""
        )
        raise TypeError(
            f"measure must be one of {', '.join(map(repr, MEASURES))} or a svcca.Measure; "
            f"got {type(measure).__name__}{hint}"
        )
    if measure_options is not None and not isinstance(measure_options, Mapping):
        raise TypeError(
            f"measure_options must be a dict of option -> value; got {type(measure_options).__name__}"
        )
    return Measure(measure, **dict(measure_options or {}))


def entry_of(measure: Measure) -> _Entry:
    """Return the registry entry behind a :class:`Measure`."""
    return measure._entry


def real_only(measure: Measure) -> bool:
    """Whether the measure needs real-valued input (everything outside the CCA family)."""
    return not measure._entry.cca_family


def build_engine(measure: Measure, X: Any, Y: Any, ops: Any) -> Engine:
    """Return the batched permutation engine of a measure for a checked pair."""
    e = measure._entry
    return e.engine(X, Y, ops, e, measure._options)


def _measure_from(name: str, options: dict[str, Any]) -> Measure:
    """Rebuild a pickled :class:`Measure`."""
    return Measure(name, **options)
