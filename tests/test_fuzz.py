"""Property-based fuzzing of shapes, ranks and scales: never NaN, rho always in [0, 1],
one correlation per pair of directions, and the principal-angle oracle wherever the
problem is well posed."""

from __future__ import annotations

import os
import re
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


def build_pair(seed: int, n: int, xs: dict, ys: dict) -> tuple[np.ndarray, np.ndarray]:
    """Two layers built from ``xs`` and ``ys`` that share two latent directions."""
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((n, 2))
    X, _ = build(rng, n, xs, shared)
    Y, _ = build(rng, n, ys, shared)
    return X, Y


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
    X, Y = build_pair(seed, n, xs, ys)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", svcca.SampleSizeWarning)
        try:
            res = svcca.cca(X, Y, dtype=dtype, algorithm=method)
        except ValueError as exc:
            # float64 data asked for in float32: a spread below float32's resolution at its
            # offset is refused, never compared through its rounding (found by this fuzz)
            # likewise data whose every direction is below its own (or the compute) rounding
            refusals = ("resolution at their offset", "varies only at the level of")
            if not any(r in str(exc) for r in refusals):
                raise
            event("refused: the spread is below the rounding")
            return
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
        # float32 input computed in float64: the SVD path weighs each feature by its float32
        # rounding (the oracle takes the values as exact), which moves rho by ~eps32 x offset/spread
        np.testing.assert_allclose(rho, oracle, atol=1e-5 if single else 1e-8)
    elif max(1 / sx[rx - 1], 1 / sy[ry - 1]) < 10:
        event("oracle: compared (float32)")
        assert (res.x_rank, res.y_rank) == (rx, ry)
        np.testing.assert_allclose(rho, oracle, atol=1e-3)


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 40), xs=layers("x"), ys=layers("y"))
def test_family_never_nan(seed, n, xs, ys):
    X, Y = build_pair(seed, n, xs, ys)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", svcca.SampleSizeWarning)
        for res in (svcca.svcca(X, Y), svcca.pwcca(X, Y, side="symmetric"), svcca.cca(X, Y, epsilon=1e-3)):
            assert 0.0 <= res.similarity <= 1.0
            assert np.all(np.isfinite(res.x_weights))
    try:
        pls = svcca.pls(X, Y)
    except svcca.DegenerateLayerError as exc:  # float32 layers whose every pair is rounding
        assert "below the input's own rounding" in str(exc) or "no varying feature" in str(exc)
        assert np.float32 in (X.dtype, Y.dtype) or "no varying feature" in str(exc)
        return
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


# --- every public measure, adversarial inputs ------------------------------------------------
# dtypes from float16 to complex128 (numpy and torch, bfloat16 included), constant, huge, tiny
# and non-finite values, n < p, Fortran and strided layouts, mismatched sample counts. Each
# call must return finite values in range, or raise ValueError/TypeError naming what was wrong.

from svcca import conv, stats, streaming  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional: numpy dtypes only
    torch = None

_ALLOWED_WARNINGS = (svcca.SampleSizeWarning, svcca.PrecisionWarning, stats.DegenerateResampleWarning)
_NAMES_WHAT = re.compile(
    r"\b(X|Y|A|B|layer|layers|samples?|n_samples|shape|dtype|float\d+|complex|real-valued|rows?)\b"
)
_DTYPES = [
    "float16", "float32", "float64", "complex64", "complex128", "int64",
    "torch.bfloat16", "torch.float16", "torch.float32", "torch.float64", "torch.complex128",
]  # fmt: skip
# ordinary data most often, so that both layers are valid in many examples
_VALUES = ["normal"] * 5 + [
    "constant_column",
    "all_constant",
    "huge",
    "tiny",
    "nonfinite",
    "offset",
    "sparse",
]


@st.composite
def adversarial_layer(draw: st.DrawFn, side: str) -> dict:
    return {
        "p": draw(st.integers(1, 12), label=f"{side}_p"),
        "values": draw(st.sampled_from(_VALUES), label=f"{side}_values"),
        "dtype": draw(
            st.sampled_from(_DTYPES if torch is not None else [d for d in _DTYPES if "torch" not in d]),
            label=f"{side}_dtype",
        ),
        "layout": draw(st.sampled_from(["C", "F", "strided"]), label=f"{side}_layout"),
    }


def adversarial(rng: np.random.Generator, n: int, spec: dict, shared: np.ndarray) -> object:
    p = spec["p"]
    X = np.hstack([shared[:, :p], rng.standard_normal((n, max(0, p - shared.shape[1])))])[:, :p]
    X = X @ rng.standard_normal((p, p)) if p > 1 else X
    kind = spec["values"]
    if kind == "constant_column":
        X[:, int(rng.integers(p))] = 2.5
    elif kind == "all_constant":
        X[:] = -1.0
    elif kind == "huge":
        X = X * 10.0 ** rng.choice([40, 155, 300])
    elif kind == "tiny":
        X = X * 10.0 ** rng.choice([-40, -160, -300])
    elif kind == "nonfinite":
        X[int(rng.integers(n)), int(rng.integers(p))] = rng.choice([np.nan, np.inf, -np.inf])
    elif kind == "offset":
        X = X + 3e5
    elif kind == "sparse":  # ReLU units active on a few samples
        X = np.maximum(X - 1.5, 0.0)
    dtype = spec["dtype"]
    if "complex" in dtype:
        X = X + 1j * rng.standard_normal(X.shape)
    if spec["layout"] == "F":
        X = np.asfortranarray(X)
    elif spec["layout"] == "strided":  # every other column of a wider array
        wide = np.repeat(X, 2, axis=1)
        wide[:, 1::2] = rng.standard_normal((n, p))
        X = wide[:, ::2]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        if dtype.startswith("torch."):
            t = torch.from_numpy(np.array(X, copy=True))
            X = t.to(getattr(torch, dtype.split(".")[1]))
        elif dtype == "int64":
            X = np.nan_to_num(np.clip(X, -1e15, 1e15)).astype(np.int64)
        else:
            X = X.astype(dtype) if spec["layout"] != "strided" else X.astype(dtype)[:, :]
    return X


def _conv(X: object) -> object:
    """A (n, h, w, c) view of a layer: two positions when the width is even.

    Laid out 1 x 2 or 2 x 1, whichever does not look channels-first (``(n, 2, 1, 1)`` and
    ``(n, 1, 2, 2)`` rightly draw a LayoutWarning).
    """
    n, p = X.shape[0], X.shape[1]
    if p % 2:
        return X.reshape(n, 1, 1, p)
    return X.reshape(n, 2, 1, p // 2) if p // 2 == 2 else X.reshape(n, 1, 2, p // 2)


def _stream(X: object, Y: object) -> object:
    acc = streaming.PairAccumulator()
    cut = max(1, X.shape[0] // 2)
    acc.update(X[:cut], Y[:cut]).update(X[cut:], Y[cut:])
    return acc


# each: (name, call, how to read (value, low, high) triples from the result)
_MEASURES = [
    ("cca", lambda X, Y: svcca.cca(X, Y), lambda r: [(r.rho, 0, 1), (r.similarity, 0, 1)]),
    ("svcca", lambda X, Y: svcca.svcca(X, Y), lambda r: [(r.rho, 0, 1), (r.similarity, 0, 1)]),
    ("svcca_n", lambda X, Y: svcca.svcca(X, Y, n_components=2), lambda r: [(r.rho, 0, 1)]),
    ("pwcca", lambda X, Y: svcca.pwcca(X, Y), lambda r: [(r.similarity, 0, 1), (r.alpha, 0, 1)]),
    ("pls", lambda X, Y: svcca.pls(X, Y), lambda r: [(r.correlations, 0, 1)]),
    ("pca", lambda X, Y: svcca.pca(X), lambda r: [(r.explained_variance_ratio, 0, 1 + 1e-9)]),
    ("cka", lambda X, Y: svcca.linear_cka(X, Y), lambda r: [(r.similarity, 0, 1)]),
    ("cka_debiased", lambda X, Y: svcca.linear_cka(X, Y, debiased=True), lambda r: [(r.similarity, -1, 1)]),
    ("procrustes", lambda X, Y: svcca.procrustes(X, Y), lambda r: [(r.similarity, 0, 1), (r.distance, 0, 2)]),
    ("grid_cca", lambda X, Y: svcca.similarity_matrix([X, Y]), lambda r: [(r.values, 0, 1)]),
    ("grid_cka", lambda X, Y: svcca.similarity_matrix([X, Y], measure="cka"), lambda r: [(r.values, 0, 1)]),
    (
        "permutation",
        lambda X, Y: stats.permutation_test(X, Y, "pwcca", n_resamples=3, rng=0),
        lambda r: [(r.observed, 0, 1), (r.null_distribution, 0, 1), (r.p_value, 0, 1)],
    ),
    (
        "bootstrap",
        lambda X, Y: stats.bootstrap_ci(X, Y, "cca", n_resamples=3, rng=0),
        lambda r: [(r.observed, 0, 1), (r.low, 0, 1), (r.high, 0, 1)],
    ),
    ("streaming", lambda X, Y: _stream(X, Y).cca(), lambda r: [(r.rho, 0, 1)]),
    ("streaming_pls", lambda X, Y: _stream(X, Y).pls(), lambda r: [(r.correlations, 0, 1)]),
    ("dft_cca", lambda X, Y: conv.dft_cca(_conv(X), _conv(Y)), lambda r: [(r.rho, 0, 1)]),
]


def _check_values(name: str, triples: list) -> None:
    for value, lo, hi in triples:
        v = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value, dtype=np.float64)
        assert np.all(np.isfinite(v)), f"{name}: non-finite {v}"
        assert np.all((v >= lo - 1e-12) & (v <= hi + 1e-12)), f"{name}: {v} outside [{lo}, {hi}]"


_ADVERSARIAL = settings(FUZZ, max_examples=_EXPLORE or 40)


@_ADVERSARIAL
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.one_of(st.integers(1, 3), st.integers(4, 30), st.integers(4, 30)),
    xs=adversarial_layer("x"),
    ys=adversarial_layer("y"),
    mismatch=st.sampled_from([0] * 9 + [1]),
)
def test_every_measure_survives_adversarial_input(seed, n, xs, ys, mismatch):
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((n + 1, 3))
    X = adversarial(rng, n, xs, shared[:n])
    Y = adversarial(rng, n + mismatch, ys, shared[: n + mismatch])
    for name, call, read in _MEASURES:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for category in _ALLOWED_WARNINGS:
                warnings.simplefilter("ignore", category)
            try:
                res = call(X, Y)
            except (ValueError, TypeError) as exc:
                msg = str(exc)
                assert _NAMES_WHAT.search(msg), f"{name}: {type(exc).__name__} names nothing: {msg!r}"
                event(f"{name}: {type(exc).__name__}")
                continue
        _check_values(name, read(res))
        event(f"{name}: ok")


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
