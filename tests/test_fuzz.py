"""Property-based fuzzing of shapes, ranks and scales: never NaN, rho always in [0, 1],
one correlation per pair of directions, and the principal-angle oracle wherever the
problem is well posed."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import svcca

# The same examples on every run, so CI cannot flake; SVCCA_FUZZ_EXAMPLES=N explores N
# fresh random examples instead (for a long local search).
_EXPLORE = int(os.environ.get("SVCCA_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_EXPLORE or 80,
    deadline=None,
    derandomize=not _EXPLORE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def layers(draw: st.DrawFn, side: str) -> dict:
    """One layer's recipe: shape, rank, per-column scales and offsets, duplicated and
    constant columns, storage dtype."""
    return {
        "p": draw(st.integers(1, 10), label=f"{side}_p"),
        "rank_frac": draw(st.floats(0.1, 1.0), label=f"{side}_rank_frac"),
        "log_scale": draw(st.sampled_from([-8.0, -3.0, 0.0, 3.0, 8.0]), label=f"{side}_log_scale"),
        "spread": draw(st.floats(0.0, 6.0), label=f"{side}_spread"),  # decades between columns
        "offset": draw(st.sampled_from([0.0, 1.0, -50.0, 1e3]), label=f"{side}_offset"),
        "n_dup": draw(st.integers(0, 2), label=f"{side}_dup"),
        "n_const": draw(st.integers(0, 2), label=f"{side}_const"),
        "float32": draw(st.booleans(), label=f"{side}_float32"),
    }


def build(rng: np.random.Generator, n: int, spec: dict, shared: np.ndarray) -> tuple[np.ndarray, int]:
    """The layer and its true rank (before centring)."""
    p = spec["p"]
    r = max(1, round(spec["rank_frac"] * p))
    base = np.hstack([shared[:, : min(2, r)], rng.standard_normal((n, r))])[:, :r]
    X = base @ rng.standard_normal((r, p))
    for _ in range(spec["n_dup"]):  # exact duplicates (up to a power-of-two scale)
        X = np.hstack([X, 2.0 * X[:, [int(rng.integers(p))]]])
    scales = 10.0 ** (spec["log_scale"] + spec["spread"] * (rng.random(X.shape[1]) - 0.5))
    # offsets of at most 1e3 spreads: larger ones leave no varying digits to compare
    X = X * scales + spec["offset"] * scales * rng.random(X.shape[1])
    for _ in range(spec["n_const"]):  # constant (dead) columns at random places
        X = np.insert(X, int(rng.integers(X.shape[1] + 1)), rng.choice([0.0, 3.5, -1e4]), axis=1)
    if spec["float32"]:
        X = X.astype(np.float32)
    return X, r


def spectrum(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left singular vectors and singular values of the centred, column-normalised data
    (constant columns removed), in float64."""
    Xc = X.astype(np.float64) - X.astype(np.float64).mean(0)
    norms = np.linalg.norm(Xc, axis=0)
    keep = norms > 1e-9 * max(norms.max(), 1e-300)
    U, s, _ = np.linalg.svd(Xc[:, keep] / norms[keep], full_matrices=False)
    return U, s / s[0]


def clear_rank(s: np.ndarray, hi: float, lo: float) -> int | None:
    """The rank when the spectrum has a clear gap: every kept singular value above ``hi``,
    every dropped one below ``lo`` (relative to the largest); else None."""
    r = int(np.sum(s > hi))
    return r if np.all(s[r:] < lo) else None


def oracle_on_span(Ux: np.ndarray, Uy: np.ndarray) -> np.ndarray:
    """Principal-angle cosines (scipy.linalg.subspace_angles) between two bases."""
    return np.sort(np.cos(scipy.linalg.subspace_angles(Ux, Uy)))[::-1]


@FUZZ
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 60),
    xs=layers("x"),
    ys=layers("y"),
    dtype=st.sampled_from([None, np.float32]),
    method=st.sampled_from(["auto", "auto", "svd", "gram"]),
)
def test_cca_never_nan_always_in_range_and_matches_oracle(seed, n, xs, ys, dtype, method):
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((n, 2))
    X, _ = build(rng, n, xs, shared)
    Y, _ = build(rng, n, ys, shared)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", svcca.SampleSizeWarning)
        res = svcca.cca(X, Y, dtype=dtype, method=method)
    rho = np.asarray(res.rho)
    assert np.all(np.isfinite(rho)) and np.all((rho >= 0) & (rho <= 1))
    assert np.all(np.diff(rho) <= 1e-12)
    assert rho.size == min(res.x_rank, res.y_rank) >= 1
    assert res.x_rank <= min(n - 1, X.shape[1]) or n == 1
    assert np.all(np.isfinite(res.x_weights)) and np.all(np.isfinite(res.y_variates))
    # dead columns are reported, never NaN
    const = [j for j in range(X.shape[1]) if np.all(X[:, j] == X[0, j])]
    assert set(const) <= set(np.asarray(res.x_dropped).tolist())
    # the oracle, where the problem is well posed: clear ranks, moderate conditioning
    if method == "gram":
        return
    (Ux, sx), (Uy, sy) = spectrum(X), spectrum(Y)
    # float32 anywhere: rounding of ~1e-7 * |mean| / std blurs the small directions
    single = dtype is not None or X.dtype == np.float32 or Y.dtype == np.float32
    hi, lo = (1e-2, 1e-4) if single else (1e-5, 1e-9)
    rx, ry = clear_rank(sx, hi, lo), clear_rank(sy, hi, lo)
    if rx is None or ry is None:
        event("oracle: ranks ambiguous, skipped")
        return
    oracle = oracle_on_span(Ux[:, :rx], Uy[:, :ry])
    if dtype is None:
        event("oracle: compared (float64)")
        assert (res.x_rank, res.y_rank) == (rx, ry)
        np.testing.assert_allclose(rho, oracle, atol=1e-8)
    elif max(1 / sx[rx - 1], 1 / sy[ry - 1]) < 10:
        event("oracle: compared (float32)")
        assert (res.x_rank, res.y_rank) == (rx, ry)
        np.testing.assert_allclose(rho, oracle, atol=1e-3)


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 40), xs=layers("x"), ys=layers("y"))
def test_family_never_nan(seed, n, xs, ys):
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((n, 2))
    X, _ = build(rng, n, xs, shared)
    Y, _ = build(rng, n, ys, shared)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", svcca.SampleSizeWarning)
        for res in (svcca.svcca(X, Y), svcca.pwcca(X, Y, side="symmetric"), svcca.cca(X, Y, epsilon=1e-3)):
            assert 0.0 <= res.similarity <= 1.0
            assert np.all(np.isfinite(res.x_weights))
    pls = svcca.pls(X, Y)
    assert np.all(np.isfinite(pls.correlations)) and 0.0 <= pls.similarity <= 1.0


@pytest.mark.parametrize("scale", [1e-8, 1e8])
def test_duplicated_and_constant_columns_at_extreme_scales(scale):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 4)) * scale
    X = np.hstack([X, X[:, :2], np.full((50, 1), 5 * scale)])
    Y = np.hstack([X[:, :1], rng.standard_normal((50, 2))]).astype(np.float32)
    res = svcca.cca(X, Y)
    assert res.x_rank == 4 and np.asarray(res.x_dropped).tolist() == [6]
    (Ux, _), (Uy, _) = spectrum(X), spectrum(Y)
    np.testing.assert_allclose(res.rho, oracle_on_span(Ux[:, :4], Uy[:, :3]), atol=1e-7)


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    p=st.integers(128, 200),
    q=st.integers(128, 200),
    n_ones=st.integers(0, 20),
    n_zeros=st.integers(0, 20),
    tail_decades=st.floats(0.0, 14.0),
)
def test_tridiagonal_singular_values_fuzz(seed, p, q, n_ones, n_zeros, tail_decades):
    """The fast route for rho (large float64 M) against LAPACK's SVD: never less accurate
    than 2e-12 of the largest value, whatever the spectrum (exact 0s and 1s, long tails)."""
    from svcca._backend import NumpyOps, svdvals_tridiagonal

    rng = np.random.default_rng(seed)
    k = min(p, q)
    U = np.linalg.qr(rng.standard_normal((p, k)))[0]
    V = np.linalg.qr(rng.standard_normal((q, k)))[0]
    rest = k - n_ones - n_zeros
    rho = np.r_[np.ones(n_ones), 10.0 ** (-tail_decades * rng.random(rest)), np.zeros(n_zeros)]
    M = (U * np.sort(rho)[::-1]) @ V.T
    ref = np.linalg.svd(M, compute_uv=False)
    s = svdvals_tridiagonal(M)
    event("tridiagonal: fell back" if s is None else "tridiagonal: used")
    if s is not None:
        np.testing.assert_allclose(s, ref, rtol=0, atol=2e-12 * ref[0])
    np.testing.assert_allclose(NumpyOps().svdvals(M), ref, rtol=0, atol=2e-12 * ref[0])
