"""Benchmark: the CCA family against the classic pipeline and the three-product floor.

Run ``python benchmarks/bench_cca.py`` (``--quick`` for a smaller run). For each size and
precision it prints, measured in the same run (best of several interleaved repetitions),
one row per measure (``cca``, ``svcca``, ``pwcca``):

- ``ours``: :func:`svcca.cca`, :func:`svcca.svcca` (keep 0.99), :func:`svcca.pwcca`;
- ``classic``: the same measure by the pipeline of the original SVCCA code, written out
  below: covariance of the stacked layers, each side rescaled by its largest absolute
  entry, pseudo-inverse, inverse square root through ``eigh``, SVD (SVCCA first reduces
  each layer by the SVD of its centred data; PWCCA weights by the canonical variates'
  projections on the neurons);
- ``floor``: the three products ``X^T X``, ``Y^T Y``, ``X^T Y`` of the centred data,
  which any exact method pays;

and the ratios ``ours/floor``, ``classic/ours`` and ``ours/cca``, with the largest
difference between the two methods' answers and the load average when the row was
measured (ratios from a machine busy with other work are rougher). A last table gives each method's error
against the principal-angle oracle on ill-conditioned, rank-deficient input, and another
``dtype=float32`` on layers as ill-conditioned as trained ones, against the float32 SVD route
and the float64 computation.

This is a measurement, not a test: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.linalg

import svcca


# --------------------------------------------------------------------------- the baseline
def classic_cca(X: np.ndarray, Y: np.ndarray, epsilon: float = 0.0) -> np.ndarray:
    """Canonical correlations by the classic pipeline (samples first), descending.

    Joint covariance -> per-side rescale by the largest absolute entry -> ridge ->
    ``pinv`` -> inverse square root by ``eigh`` -> SVD of the whitened cross-covariance.
    No rank handling: exactly what the original code does with its default options.
    """
    p, q = X.shape[1], Y.shape[1]
    cov = np.cov(np.hstack([X, Y]), rowvar=False)  # (p + q) x (p + q)
    sxx, sxy, syy = cov[:p, :p], cov[:p, p:], cov[p:, p:]
    xmax, ymax = np.abs(sxx).max(), np.abs(syy).max()
    sxx = sxx / xmax + epsilon * np.eye(p)
    syy = syy / ymax + epsilon * np.eye(q)
    sxy = sxy / np.sqrt(xmax * ymax)

    whitened = _classic_inv_sqrt(sxx) @ sxy @ _classic_inv_sqrt(syy)
    _, s, _ = np.linalg.svd(whitened)
    return s[: min(p, q)]


def _classic_inv_sqrt(a: np.ndarray) -> np.ndarray:
    """``pinv(a)^{1/2}`` through ``eigh``, as the original code computes it."""
    w, v = np.linalg.eigh(np.linalg.pinv(a))
    with np.errstate(invalid="ignore"):  # negative round-off eigenvalues give NaN, as in the original
        return (v * np.sqrt(w)) @ v.T


def classic_svcca(X: np.ndarray, Y: np.ndarray, keep: float = 0.99) -> float:
    """SVCCA as the original code computes it: SVD of each centred layer, the directions
    holding ``keep`` of the variance, then the classic CCA of the reduced layers."""

    def reduce(A: np.ndarray) -> np.ndarray:
        Ac = A - A.mean(axis=0)
        U, s, _ = np.linalg.svd(Ac, full_matrices=False)
        k = int(np.searchsorted(np.cumsum(s**2) / np.sum(s**2), keep)) + 1
        return U[:, :k] * s[:k]

    return float(classic_cca(reduce(X), reduce(Y)).mean())


def classic_pwcca(X: np.ndarray, Y: np.ndarray) -> float:
    """PWCCA on the classic pipeline: canonical directions of X from the SVD of the
    whitened cross-covariance, its variates on the samples, weights from their
    projections on X's centred neurons."""
    p, q = X.shape[1], Y.shape[1]
    cov = np.cov(np.hstack([X, Y]), rowvar=False)
    sxx, sxy, syy = cov[:p, :p], cov[:p, p:], cov[p:, p:]
    xmax, ymax = np.abs(sxx).max(), np.abs(syy).max()
    wx = _classic_inv_sqrt(sxx / xmax)
    U, rho, _ = np.linalg.svd(wx @ (sxy / np.sqrt(xmax * ymax)) @ _classic_inv_sqrt(syy / ymax))
    k = min(p, q)
    Xc = X - X.mean(axis=0)
    h = Xc @ (wx @ U[:, :k])  # canonical variates of X
    h /= np.linalg.norm(h, axis=0)
    alpha = np.abs(h.T @ Xc).sum(axis=1)
    return float((alpha / alpha.sum()) @ rho[:k])


def floor_products(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, ...]:
    """The three products every exact method pays for (pass centred data)."""
    return X.T @ X, Y.T @ Y, X.T @ Y


def oracle(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Cosines of the principal angles between the centred column spaces, descending."""
    return np.sort(np.cos(scipy.linalg.subspace_angles(X - X.mean(0), Y - Y.mean(0))))[::-1]


# --------------------------------------------------------------------------- timing
def best_times(funcs: Mapping[str, Callable[..., Any]], repeat: int) -> dict[str, float]:
    """Best wall time of each function, repetitions interleaved so that load from other
    processes hits every method alike."""
    for f in funcs.values():  # warm up (BLAS threads, caches, lazy imports)
        f()
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(repeat):
        for name, f in funcs.items():
            t0 = time.perf_counter()
            f()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info

        info = [
            f"{d.get('internal_api')}:{d.get('num_threads')}"
            for d in threadpool_info()
            if d.get("user_api") == "blas"
        ]
        return ", ".join(info) or "unknown"
    except Exception:  # pragma: no cover - threadpoolctl missing or failing
        return "unknown"


def _rotation(rng: np.random.Generator, p: int) -> np.ndarray:
    return np.linalg.qr(rng.standard_normal((p, p)))[0]


def two_layers(rng: np.random.Generator, n: int, p: int, q: int, dtype: type) -> tuple[np.ndarray, ...]:
    """Two layers sharing 10 directions, rotated, with unequal neuron scales and offsets:
    an ordinary, well-conditioned case."""
    latent = rng.standard_normal((n, 10))
    X = np.hstack([latent, rng.standard_normal((n, p - 10))]) @ _rotation(rng, p)
    X = X * np.logspace(-1, 1, p) + 1.0
    Y = np.hstack([latent + 0.5 * rng.standard_normal((n, 10)), rng.standard_normal((n, q - 10))])
    Y = Y @ _rotation(rng, q) * np.logspace(1, -1, q) - 2.0
    return X.astype(dtype), Y.astype(dtype)


def bench_sizes(sizes: Sequence[tuple[int, int, int, type]], repeat: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    header = (
        f"{'n':>6} {'p':>4} {'q':>4} {'dtype':>7} {'measure':>7} | {'ours ms':>8} {'classic ms':>10} "
        f"{'floor ms':>8} | {'ours/floor':>10} {'classic/ours':>12} {'ours/cca':>8} | {'max|diff|':>9} "
        f"{'load':>5}  path"
    )
    print(header)
    print("-" * len(header))
    for n, p, q, dtype in sizes:
        X, Y = two_layers(rng, n, p, q, dtype)
        Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
        kw = {"dtype": np.float32} if dtype == np.float32 else {}
        ours: dict[str, Callable[..., Any]] = {
            "cca": lambda X=X, Y=Y, kw=kw: svcca.cca(X, Y, **kw),
            "svcca": lambda X=X, Y=Y, kw=kw: svcca.svcca(X, Y, keep=0.99, **kw),
            "pwcca": lambda X=X, Y=Y, kw=kw: svcca.pwcca(X, Y, **kw),
        }
        classic: dict[str, Callable[..., Any]] = {
            "cca": lambda X=X, Y=Y: classic_cca(X, Y),
            "svcca": lambda X=X, Y=Y: classic_svcca(X, Y),
            "pwcca": lambda X=X, Y=Y: classic_pwcca(X, Y),
        }
        funcs: dict[str, Callable[..., Any]] = {"floor": lambda Xc=Xc, Yc=Yc: floor_products(Xc, Yc)}
        funcs.update({f"ours {k}": f for k, f in ours.items()})
        funcs.update({f"classic {k}": f for k, f in classic.items()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", svcca.SampleSizeWarning)
            t = best_times(funcs, repeat)
            results = {k: f() for k, f in ours.items()}
        for measure in ("cca", "svcca", "pwcca"):
            res = results[measure]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = classic[measure]()
            mine = np.asarray(res.rho, dtype=np.float64) if measure == "cca" else res.similarity
            diff = float(np.max(np.abs(mine - ref)))
            to, tc, tf, tcca = t[f"ours {measure}"], t[f"classic {measure}"], t["floor"], t["ours cca"]
            print(
                f"{n:>6} {p:>4} {q:>4} {np.dtype(dtype).name:>7} {measure:>7} | {1e3 * to:>8.1f} "
                f"{1e3 * tc:>10.1f} {1e3 * tf:>8.1f} | {to / tf:>9.2f}x {tc / to:>11.2f}x "
                f"{to / tcca:>7.2f}x | {diff:>9.1e} {os.getloadavg()[0]:>5.1f}  "
                f"{res.x_algorithm}/{res.y_algorithm}"
            )


def bench_ill_conditioned(n: int, p: int, q: int, seed: int = 1) -> None:
    """Condition number 1e8 on the span, plus exactly dependent columns."""
    rng = np.random.default_rng(seed)
    Qm = np.linalg.qr(rng.standard_normal((p, p)))[0]
    X = rng.standard_normal((n, p)) @ np.diag(np.logspace(0, -8, p)) @ Qm + 3.0
    X = np.hstack([X, X[:, :5] @ rng.standard_normal((5, 5))])  # 5 exactly dependent columns
    Y = np.hstack([X[:, :20] @ rng.standard_normal((20, 10)), rng.standard_normal((n, q - 10))])
    truth = oracle(X, Y)
    res = svcca.cca(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            classic: np.ndarray | None = classic_cca(X, Y)
        except np.linalg.LinAlgError as exc:
            classic = None
            cov = np.cov(X, rowvar=False)
            nan = int(np.isnan(_classic_inv_sqrt(cov / np.abs(cov).max())).sum())
            failure = f"NaN in {nan} entries of its Sigma_xx^(-1/2), then LinAlgError: {exc}"

    def err(rho: np.ndarray | None) -> str:
        if rho is None:
            return failure
        if not np.all(np.isfinite(rho)):
            return f"NaN in {int(np.sum(~np.isfinite(rho)))} of {rho.size}"
        m = min(rho.size, truth.size)
        e = float(np.max(np.abs(rho[:m] - truth[:m])))
        extra = f", {rho.size - truth.size} extra" if rho.size != truth.size else ""
        return f"{e:.1e}{extra}"

    print(f"\nIll-conditioned: n={n}, X {p}+5 columns (cond 1e8, rank {p}), Y {q} columns")
    print(f"  oracle (principal angles): {truth.size} correlations, top {truth[0]:.12f}")
    print(f"  svcca.cca   max error {err(res.rho)}  (x path: {res.x_algorithm}, x_rank {res.x_rank})")
    print(f"  classic     max error {err(classic)}")


def bench_float32_trained_like(n: int, p: int, repeat: int, seed: int = 2) -> None:
    """``dtype=float32`` on layers as ill-conditioned as trained ones (cond(G) 1e4 to 1e12).

    The float32 Gram route takes only ``cond(G) <= 1e2``; such a layer is whitened in
    float64 (Gram routes up to 1e10, then the SVD) and handed on in float32. Baselines in
    the same run: the float32 SVD of the data (``algorithm="svd"``: the route such layers
    took before, whose rank tolerance drops weak directions), the float64 computation
    (``dtype=None``) and the float32 floor (three float32 products).
    """
    rng = np.random.default_rng(seed)
    print(f"\nfloat32 compute on trained-like layers: n={n}, p=q={p}, float32 data, offsets")
    print(
        f"  {'cond(G)':>7} | {'f32 ms':>7} {'f32 svd ms':>10} {'f64 ms':>7} {'floor32 ms':>10} | "
        f"{'svd/f32':>7} {'f32/f64':>7} {'f32/floor32':>11} | {'ranks f32 svd f64':>18} "
        f"{'|mean diff| f32 svd':>21}"
    )
    for cond_g in (1e4, 1e6, 1e12):
        Q = _rotation(rng, p)
        X = rng.standard_normal((n, p)) * np.logspace(0, -np.log10(cond_g) / 2, p) @ Q + 3.0
        Y = X[:, :20] @ rng.standard_normal((20, p)) * 0.1 + rng.standard_normal((n, p)) - 1.0
        X, Y = X.astype(np.float32), Y.astype(np.float32)
        Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
        funcs: dict[str, Callable[..., Any]] = {
            "f32": lambda X=X, Y=Y: svcca.cca(X, Y, dtype=np.float32),
            "svd": lambda X=X, Y=Y: svcca.cca(X, Y, dtype=np.float32, algorithm="svd"),
            "f64": lambda X=X, Y=Y: svcca.cca(X, Y),
            "floor": lambda Xc=Xc, Yc=Yc: floor_products(Xc, Yc),
        }
        t = best_times(funcs, repeat)
        r32, rsvd, r64 = funcs["f32"](), funcs["svd"](), funcs["f64"]()
        print(
            f"  {cond_g:>7.0e} | {1e3 * t['f32']:>7.1f} {1e3 * t['svd']:>10.1f} {1e3 * t['f64']:>7.1f} "
            f"{1e3 * t['floor']:>10.1f} | {t['svd'] / t['f32']:>6.2f}x {t['f32'] / t['f64']:>6.2f}x "
            f"{t['f32'] / t['floor']:>10.2f}x | {r32.x_rank:>6} {rsvd.x_rank:>4} {r64.x_rank:>4}  "
            f"{abs(r32.similarity - r64.similarity):>9.1e} {abs(rsvd.similarity - r64.similarity):>9.1e}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions per method (best is kept)")
    args = parser.parse_args(argv)
    if args.quick:
        sizes = [(4000, 200, 200, np.float64), (4000, 200, 200, np.float32), (2000, 50, 80, np.float64)]
        repeat = args.repeat or 3
        ill = (2000, 100, 40)
        trained = (8000, 100)
    else:
        sizes = [
            (10000, 500, 500, np.float64),
            (10000, 500, 500, np.float32),
            (50000, 256, 256, np.float64),
            (50000, 256, 256, np.float32),
            (5000, 300, 800, np.float64),
        ]
        repeat = args.repeat or 5
        ill = (10000, 200, 100)
        trained = (50000, 256)
    print(
        f"svcca {svcca.__version__}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, BLAS threads {blas_threads()}, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"best of {repeat} interleaved runs; classic pipelines compute in float64 (np.cov)\n")
    bench_sizes(sizes, repeat)
    bench_ill_conditioned(*ill)
    bench_float32_trained_like(*trained, repeat)


if __name__ == "__main__":
    main()
