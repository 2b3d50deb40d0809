"""Benchmark: ``svcca.cca`` against the classic CCA pipeline and the three-product floor.

Run ``python benchmarks/bench_cca.py`` (``--quick`` for a smaller run). It prints, for
each size and measured in the same run (best of several interleaved repetitions):

- ``cca``: :func:`svcca.cca` (float64, default options);
- ``classic``: the pipeline of the original SVCCA code, written out below: joint
  covariance of the stacked layers, each side rescaled by its largest absolute entry,
  pseudo-inverse, inverse square root through ``eigh``, SVD;
- ``floor``: the three products ``X^T X``, ``Y^T Y``, ``X^T Y`` alone, which any exact
  method pays;

and the ratios ``classic/cca`` and ``cca/floor`` with the largest difference between the
two methods' correlations. A last table gives each method's error against the
principal-angle oracle on ill-conditioned, rank-deficient input.

This is a measurement, not a test: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable

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


def floor_products(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, ...]:
    """The three products every exact method pays for."""
    return X.T @ X, Y.T @ Y, X.T @ Y


def oracle(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Cosines of the principal angles between the centred column spaces, descending."""
    return np.sort(np.cos(scipy.linalg.subspace_angles(X - X.mean(0), Y - Y.mean(0))))[::-1]


# --------------------------------------------------------------------------- timing
def best_times(funcs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
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


def bench_sizes(sizes: list[tuple[int, int, int]], repeat: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    header = (
        f"{'n':>6} {'p':>5} {'q':>5} | {'cca ms':>8} {'classic ms':>10} {'floor ms':>9} | "
        f"{'classic/cca':>11} {'cca/floor':>9} | {'max|drho|':>9}  path"
    )
    print(header)
    print("-" * len(header))
    for n, p, q in sizes:
        # two layers sharing 10 directions, rotated, with unequal neuron scales and offsets:
        # an ordinary, well-conditioned case
        latent = rng.standard_normal((n, 10))
        X = np.hstack([latent, rng.standard_normal((n, p - 10))]) @ _rotation(rng, p)
        X = X * np.logspace(-1, 1, p) + 1.0
        Y = np.hstack([latent + 0.5 * rng.standard_normal((n, 10)), rng.standard_normal((n, q - 10))])
        Y = Y @ _rotation(rng, q) * np.logspace(1, -1, q) - 2.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", svcca.SampleSizeWarning)
            t = best_times(
                {
                    "cca": lambda X=X, Y=Y: svcca.cca(X, Y),
                    "classic": lambda X=X, Y=Y: classic_cca(X, Y),
                    "floor": lambda X=X, Y=Y: floor_products(X, Y),
                },
                repeat,
            )
            res = svcca.cca(X, Y)
        diff = float(np.max(np.abs(res.rho - classic_cca(X, Y))))
        ms = f"{1e3 * t['cca']:>8.1f} {1e3 * t['classic']:>10.1f} {1e3 * t['floor']:>9.1f}"
        ratios = f"{t['classic'] / t['cca']:>10.2f}x {t['cca'] / t['floor']:>8.2f}x"
        print(f"{n:>6} {p:>5} {q:>5} | {ms} | {ratios} | {diff:>9.1e}  {res.x_method}/{res.y_method}")


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
    print(f"  svcca.cca   max error {err(res.rho)}  (x path: {res.x_method}, x_rank {res.x_rank})")
    print(f"  classic     max error {err(classic)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions per method (best is kept)")
    args = parser.parse_args(argv)
    if args.quick:
        sizes = [(4000, 200, 200), (2000, 50, 80)]
        repeat = args.repeat or 3
        ill = (2000, 100, 40)
    else:
        sizes = [(10000, 500, 500), (10000, 100, 100), (50000, 64, 64), (5000, 300, 800), (2000, 1000, 100)]
        repeat = args.repeat or 7
        ill = (10000, 200, 100)
    print(
        f"svcca {svcca.__version__}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, BLAS threads {blas_threads()}, float64"
    )
    print(f"best of {repeat} interleaved runs\n")
    bench_sizes(sizes, repeat)
    bench_ill_conditioned(*ill)


if __name__ == "__main__":
    main()
