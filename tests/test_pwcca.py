"""svcca.pwcca: Morcos et al. (2018) against an independent implementation, its side
rule, and its invariances (offsets, invertible maps of the other side) with negative
controls (invertible maps of the weighting side)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import svcca
from conftest import TOL64, pwcca_alpha_oracle


def pwcca_oracle(X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """PWCCA from scratch: orthonormal bases by scipy.linalg.orth, canonical variates of X
    from the SVD of Qx^T Qy, alpha_i = sum_j |<h_i, x_j>| over X's centred neurons."""
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    Qx, Qy = scipy.linalg.orth(Xc), scipy.linalg.orth(Yc)
    U, rho, _ = np.linalg.svd(Qx.T @ Qy, full_matrices=False)
    k = min(Qx.shape[1], Qy.shape[1])
    h = Qx @ U[:, :k]  # unit-norm canonical variates of X
    alpha = np.abs(h.T @ Xc).sum(axis=1)
    alpha /= alpha.sum()
    return float(alpha @ rho[:k]), alpha, rho[:k]


@pytest.fixture
def signal_and_noise_views(rng):
    """X: 12 neurons driven by 4 signals of distinct strength plus noise; Y: 3 of the
    signals (distinct noise levels) plus 5 unrelated neurons. Distinct correlations."""
    n = 1500
    latent = rng.standard_normal((n, 4))
    X = latent @ rng.standard_normal((4, 12)) + 0.3 * rng.standard_normal((n, 12)) + rng.standard_normal(12)
    Y = np.hstack(
        [latent[:, :3] + [0.1, 0.3, 0.6] * rng.standard_normal((n, 3)), rng.standard_normal((n, 5))]
    )
    return X, Y


def test_matches_independent_implementation(signal_and_noise_views):
    X, Y = signal_and_noise_views
    res = svcca.pwcca(X, Y)
    value, alpha, rho = pwcca_oracle(X, Y)
    np.testing.assert_allclose(res.rho, rho, atol=TOL64)
    np.testing.assert_allclose(res.alpha, alpha, atol=1e-9)
    assert res.similarity == res.pwcca == pytest.approx(value, abs=1e-10)
    assert res.side == "x" and res.y_alpha is None


def test_alpha_is_a_distribution_over_the_pairs(signal_and_noise_views):
    res = svcca.pwcca(*signal_and_noise_views, side="symmetric")
    for a in (res.alpha, res.x_alpha, res.y_alpha):
        assert a.shape == (res.n_components,) and np.all(a >= 0) and a.sum() == pytest.approx(1.0)


def test_weights_the_directions_the_layer_uses(signal_and_noise_views):
    # Morcos et al.: the shared signals carry most of X, so PWCCA > the plain mean, which
    # counts X's chance matches with Y's unrelated neurons as much as the signals
    X, Y = signal_and_noise_views
    res = svcca.pwcca(X, Y)
    assert res.similarity > res.mean + 0.2
    assert res.alpha[:3].sum() > 0.6 and res.alpha[:3].min() > res.alpha[3:].max()


def test_invariant_to_offsets_of_either_side(signal_and_noise_views, rng):
    X, Y = signal_and_noise_views
    base = svcca.pwcca(X, Y, side="symmetric")
    moved = svcca.pwcca(X + 100 * rng.standard_normal(X.shape[1]), Y - 7.0, side="symmetric")
    np.testing.assert_allclose(moved.alpha, base.alpha, atol=1e-9)
    assert moved.similarity == pytest.approx(base.similarity, abs=1e-10)


@pytest.mark.parametrize("side", ["x", "y"])
def test_invariant_to_invertible_maps_of_the_other_side_only(signal_and_noise_views, rng, side):
    X, Y = signal_and_noise_views
    base = svcca.pwcca(X, Y, side=side).similarity
    Tx = rng.standard_normal((X.shape[1], X.shape[1]))
    Ty = rng.standard_normal((Y.shape[1], Y.shape[1]))
    other = (X, Y @ Ty) if side == "x" else (X @ Tx, Y)
    same = (X @ Tx, Y) if side == "x" else (X, Y @ Ty)
    assert svcca.pwcca(*other, side=side).similarity == pytest.approx(base, abs=1e-9)
    # negative control: the weights are read in the weighting side's neuron basis
    assert abs(svcca.pwcca(*same, side=side).similarity - base) > 1e-3
    # (plain CCA is invariant to both)
    np.testing.assert_allclose(svcca.cca(*same).rho, svcca.cca(X, Y).rho, atol=1e-9)


def test_symmetric_is_the_mean_of_the_two_sides(signal_and_noise_views):
    X, Y = signal_and_noise_views
    sx = svcca.pwcca(X, Y, side="x")
    sy = svcca.pwcca(X, Y, side="y")
    both = svcca.pwcca(X, Y, side="symmetric")
    assert both.similarity == pytest.approx(0.5 * (sx.similarity + sy.similarity), abs=1e-12)
    np.testing.assert_allclose(both.alpha, 0.5 * (sx.alpha + sy.alpha), atol=1e-12)
    # and side="y" is side="x" with the layers swapped
    assert sy.similarity == pytest.approx(svcca.pwcca(Y, X).similarity, abs=1e-10)


def test_smaller_side_rule_counts_varying_features(signal_and_noise_views):
    X, Y = signal_and_noise_views  # 12 and 8 neurons
    assert svcca.pwcca(X, Y, side="smaller").side == "y"
    assert svcca.pwcca(Y, X, side="smaller").side == "x"
    # dead neurons do not count: 12 - 6 dead = 6 < 8
    Xd = X.copy()
    Xd[:, :6] = 0.0
    assert svcca.pwcca(Xd, Y, side="smaller").side == "x"


def test_self_similarity_is_one(signal_and_noise_views):
    X, _ = signal_and_noise_views
    assert svcca.pwcca(X, X).similarity == pytest.approx(1.0, abs=TOL64)


def test_ridge_uses_unit_norm_variates(signal_and_noise_views):
    X, Y = signal_and_noise_views
    res = svcca.pwcca(X, Y, epsilon=0.1)
    h = res.x_variates / np.linalg.norm(res.x_variates, axis=0)
    alpha = np.abs(h.T @ (X - X.mean(0))).sum(1)
    np.testing.assert_allclose(res.alpha, alpha / alpha.sum(), atol=1e-12)
    assert res.similarity == pytest.approx(float(res.alpha @ res.rho))


def test_bad_side(signal_and_noise_views):
    with pytest.raises(ValueError, match=r"side must be one of 'x', 'y', 'smaller', 'symmetric'; got 'z'"):
        svcca.pwcca(*signal_and_noise_views, side="z")


def test_repr(signal_and_noise_views):
    assert repr(svcca.pwcca(*signal_and_noise_views)).startswith("PWCCAResult(similarity=")


@pytest.mark.parametrize("dependent", [False, True])
def test_weights_from_the_whitening_match_the_oracle_on_both_paths(signal_and_noise_views, dependent, rng):
    # the projection weights come from the whitening's co-moment (Gram path) or its SVD
    # (dependent and constant columns force the SVD path): both against the oracle
    X, Y = signal_and_noise_views
    if dependent:
        X = np.hstack([X, X[:, :3] @ rng.standard_normal((3, 2)), np.full((len(X), 1), 2.5)])
    res = svcca.pwcca(X, Y)
    assert res.x_algorithm == ("svd" if dependent else "gram")
    value, alpha, rho = pwcca_oracle(X[:, :-1] if dependent else X, Y)
    np.testing.assert_allclose(res.alpha, alpha, atol=1e-9)
    assert res.similarity == pytest.approx(value, abs=1e-10)


@pytest.mark.parametrize("cond", [1e12, 1e14])
def test_weights_of_a_very_ill_conditioned_layer_match_the_variates(rng, cond):
    # on the SVD path the projections come from V diag(s), not from the co-moment times the
    # weights (which lost about eps * cond(G) of them: 1.6e-9 at 1e12, 9e-8 at 1e14)
    from svcca._pwcca import projection_weights

    n, p = 20000, 120
    Q = np.linalg.qr(rng.standard_normal((p, p)))[0]
    X = rng.standard_normal((n, p)) * np.logspace(0, -np.log10(cond) / 2, p) @ Q + 2.0
    Y = X[:, :30] @ rng.standard_normal((30, 80)) + rng.standard_normal((n, 80)) * np.logspace(0, -2, 80)
    res, ref = svcca.pwcca(X, Y, side="x"), svcca.cca(X, Y)
    assert res.x_algorithm == "svd"
    alpha = projection_weights(ref.x_variates, X, X.mean(0))
    np.testing.assert_allclose(res.alpha, alpha, atol=1e-10)
    # float32 compute: the layer is whitened in float64 and handed on (before: NaN weights,
    # and a similarity of 0.0); every measure of the grid agrees with float64
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    got = svcca.pwcca(X32, Y32, dtype=np.float32)
    assert np.all(np.isfinite(got.alpha))
    assert got.similarity == pytest.approx(svcca.pwcca(X32, Y32).similarity, abs=1e-4)
    # (PWCCA's weights follow canonical directions that float32 rounding may turn within a
    # cluster of nearly equal correlations: a looser tolerance)
    for measure, tol in (("cca", 1e-6), ("svcca", 1e-6), ("pwcca", 1e-4)):
        g32 = svcca.similarity_matrix([X32, Y32], measure=measure, dtype=np.float32).values
        np.testing.assert_allclose(g32, svcca.similarity_matrix([X32, Y32], measure=measure).values, atol=tol)


def test_a_nan_similarity_is_not_clipped_to_zero(signal_and_noise_views, monkeypatch):
    # min(1, max(0, nan)) is 0.0: a numerical failure must not read as "no similarity"
    import svcca._pwcca as pw

    monkeypatch.setattr(pw, "side_alpha", lambda w, A, rho=None: A[0] * np.nan)
    assert np.isnan(svcca.pwcca(*signal_and_noise_views).similarity)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_projection_weights_at_the_ends_of_the_float_range(scale):
    # found by the long fuzz after the co-moment route: at 1e300 the co-moment's square
    # overflowed and PWCCA returned NaN (with a RuntimeWarning only)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 7))
    Y = X[:, :3] @ rng.standard_normal((3, 4)) + rng.standard_normal((300, 4))
    ref = svcca.pwcca(X, Y)
    for side in ("x", "y", "symmetric"):
        got = svcca.pwcca(X * scale, Y, side=side)
        want = svcca.pwcca(X, Y, side=side)
        assert got.similarity == pytest.approx(want.similarity, abs=1e-10)
    grid = svcca.similarity_matrix([X * scale, Y], measure="pwcca")
    assert grid.values[0, 1] == pytest.approx(ref.similarity, abs=1e-10)


@pytest.mark.parametrize("dtype", [None, np.float32])
def test_one_decomposition_gives_the_correlations_and_the_weights(rng, dtype, monkeypatch):
    # the weights need the SVD of M: rho comes from it too, not from a second decomposition
    from svcca._backend import NumpyOps

    n, p, q = 1000, 150, 140
    X = rng.standard_normal((n, p)) + 1.0
    Y = X[:, :10] @ rng.standard_normal((10, q)) + rng.standard_normal((n, q))
    ref = svcca.cca(X, Y, dtype=dtype)

    def refuse(self, a):
        raise AssertionError("pwcca took the singular values separately")

    monkeypatch.setattr(NumpyOps, "svdvals", refuse)
    res = svcca.pwcca(X, Y, dtype=dtype)
    assert res.rho.dtype == ref.rho.dtype
    np.testing.assert_allclose(res.rho, ref.rho, atol=1e-12 if dtype is None else 1e-7)
    np.testing.assert_allclose(res.x_weights, ref.x_weights, atol=1e-9 if dtype is None else 1e-4)


# --- the eigendecomposition route for one side's directions (layers of 128+ features) ---
@pytest.fixture
def wide_views(rng):
    """X: 160 neurons mixing 20 shared signals with noise, offsets and unequal scales; Y: 15
    of the signals at distinct noise levels plus 125 other neurons (140 in all)."""
    n = 2000
    latent = rng.standard_normal((n, 20))
    X = np.hstack([latent, rng.standard_normal((n, 140))]) @ rng.standard_normal((160, 160))
    X = X * np.logspace(-1, 1, 160) + 3.0
    noisy = latent[:, :15] + np.linspace(0.05, 2.0, 15) * rng.standard_normal((n, 15))
    Y = np.hstack([noisy, rng.standard_normal((n, 125))]) @ rng.standard_normal((140, 140)) - 1.0
    return X, Y


def _svd_route(monkeypatch):
    """Make every side's directions come from the SVD of M (the reference route)."""
    import svcca._cca as core

    monkeypatch.setattr(core, "svd_left_eigh", lambda M, k: None)
    monkeypatch.setattr(core._Pairs, "_from_other_side", lambda self, side: None)


def _variant(X, Y, case, rng):
    if case == "dead and dependent neurons":  # constant columns, and the SVD whitening path
        X = X.copy()
        X[:, 7] = 2.5
        X = np.hstack([X, X[:, :3] @ rng.standard_normal((3, 2))])
    elif case == "wider x":  # M has more rows than columns
        X = np.hstack([X, rng.standard_normal((X.shape[0], 40))])
    elif case == "huge scale":  # the columns are rescaled by powers of two
        X = X * 1e200
    return X, Y


CASES_EIGH = ["plain", "dead and dependent neurons", "wider x", "huge scale"]


@pytest.mark.parametrize("side", ["x", "y", "smaller", "symmetric"])
@pytest.mark.parametrize("case", CASES_EIGH)
def test_eigh_route_matches_the_svd_route(wide_views, rng, monkeypatch, side, case):
    X, Y = _variant(*wide_views, case, rng)
    got = svcca.pwcca(X, Y, side=side)
    with monkeypatch.context() as m:
        _svd_route(m)
        want = svcca.pwcca(X, Y, side=side)
    assert got.similarity == pytest.approx(want.similarity, abs=1e-10)
    np.testing.assert_allclose(got.alpha, want.alpha, atol=1e-10)
    np.testing.assert_allclose(got.rho, want.rho, atol=1e-12)
    if side == "x" and case != "huge scale":
        value, alpha, rho = pwcca_oracle(X, Y)
        assert got.similarity == pytest.approx(value, abs=1e-9)
        np.testing.assert_allclose(got.alpha, alpha, atol=1e-9)


@pytest.mark.parametrize("epsilon", [0.0, 1e-2])
def test_eigh_route_with_a_ridge_and_in_float32(wide_views, monkeypatch, epsilon):
    X, Y = wide_views
    for dtype, tol in ((None, 1e-10), (np.float32, 2e-5)):
        got = svcca.pwcca(X, Y, epsilon=epsilon, dtype=dtype)
        with monkeypatch.context() as m:
            _svd_route(m)
            want = svcca.pwcca(X, Y, epsilon=epsilon)
        assert got.similarity == pytest.approx(want.similarity, abs=tol)
        np.testing.assert_allclose(got.alpha, want.alpha, atol=tol)


def test_eigh_route_is_taken_and_the_weights_stay_lazy(wide_views, monkeypatch):
    import svcca._cca as core

    calls = {"eigh": 0, "svd": 0}
    eigh, svd = core.svd_left_eigh, core._Pairs.svd

    def count_eigh(M, k):
        calls["eigh"] += 1
        return eigh(M, k)

    def count_svd(self):
        calls["svd"] += 1
        return svd(self)

    monkeypatch.setattr(core, "svd_left_eigh", count_eigh)
    monkeypatch.setattr(core._Pairs, "svd", count_svd)
    res = svcca.pwcca(*wide_views)
    assert calls == {"eigh": 1, "svd": 0}  # one decomposition gives rho and the weights
    ref = svcca.cca(*wide_views)
    np.testing.assert_allclose(res.x_weights, ref.x_weights, atol=1e-9)  # computed on access
    assert calls["svd"] == 2  # one SVD for each result's weights
    svcca.pwcca(*wide_views, side="symmetric")  # the second side from the first: no new decomposition
    assert calls == {"eigh": 2, "svd": 2}


@pytest.mark.parametrize("side", ["x", "y", "smaller"])
def test_grid_of_wide_layers_takes_both_cells_from_one_cca(wide_views, rng, side):
    X, Y = wide_views
    layers = {"x": X, "y": Y, "z": np.tanh(Y[:, :130] / 3) + 0.1 * rng.standard_normal((X.shape[0], 130))}
    grid = svcca.similarity_matrix(layers, measure="pwcca", measure_options={"side": side})
    names = list(layers)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            want = 1.0 if i == j else svcca.pwcca(layers[a], layers[b], side=side, warn=False).similarity
            assert grid.values[i, j] == pytest.approx(want, abs=1e-10), (a, b)


# --- ties: several equal correlations, whose basis the paper's weights depend on ---------


def tied_oracle(X: np.ndarray, Y: np.ndarray, side: str = "x") -> float:
    """PWCCA with tied correlations from scratch: variates from orthonormal bases, each run of
    correlations within 1e-6 in the basis whose projections are orthogonal."""
    A, B = (X, Y) if side == "x" else (Y, X)
    Ac, Bc = A - A.mean(0), B - B.mean(0)
    Qa, Qb = scipy.linalg.orth(Ac), scipy.linalg.orth(Bc)
    U, rho, _ = np.linalg.svd(Qa.T @ Qb, full_matrices=False)
    k = min(Qa.shape[1], Qb.shape[1])
    return float(pwcca_alpha_oracle(Qa @ U[:, :k], Ac, rho[:k]) @ rho[:k])


@pytest.fixture
def tied_views(rng):
    """Two layers sharing two exact columns (correlations 1, 1, then distinct ones)."""
    base = rng.standard_normal((40, 7))
    return base[:, 1:5], base[:, 3:7] @ rng.standard_normal((4, 4))


def test_a_tie_has_one_value_whatever_the_basis(tied_views, rng):
    X, Y = tied_views
    res = svcca.pwcca(X, Y)
    assert np.sum(res.rho > 1 - 1e-9) == 2  # the tie
    expected = tied_oracle(X, Y)
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    values = {
        "pwcca(X, Y)": res.similarity,
        "pwcca(Y, X, side='y')": svcca.pwcca(Y, X, side="y").similarity,
        "Y rotated": svcca.pwcca(X, Y @ Q).similarity,
        "Y's columns reversed": svcca.pwcca(X, Y[:, ::-1]).similarity,
        "X's rows permuted": svcca.pwcca(X[::-1], Y[::-1]).similarity,
        "ridge 0 through the comoment route": svcca.pwcca(X, Y, epsilon=1e-300).similarity,
    }
    for name, value in values.items():
        assert value == pytest.approx(expected, abs=1e-9), name


def test_symmetric_pwcca_of_a_tie_does_not_depend_on_the_argument_order(tied_views):
    X, Y = tied_views
    both = 0.5 * (tied_oracle(X, Y, "x") + tied_oracle(X, Y, "y"))
    assert svcca.pwcca(X, Y, side="symmetric").similarity == pytest.approx(both, abs=1e-9)
    assert svcca.pwcca(Y, X, side="symmetric").similarity == pytest.approx(both, abs=1e-9)
    for side in ("x", "y", "symmetric"):
        g1 = svcca.similarity_matrix({"X": X, "Y": Y}, measure="pwcca", measure_options={"side": side})
        g2 = svcca.similarity_matrix({"Y": Y, "X": X}, measure="pwcca", measure_options={"side": side})
        assert g1.values[0, 1] == pytest.approx(g2.values[1, 0], abs=1e-9), side


def test_a_tie_on_torch_in_float32_and_streaming(tied_views):
    torch = pytest.importorskip("torch")
    from svcca.streaming import PairAccumulator

    X, Y = tied_views
    expected = tied_oracle(X, Y)
    assert float(svcca.pwcca(torch.tensor(X), torch.tensor(Y)).similarity) == pytest.approx(
        expected, abs=1e-9
    )
    assert svcca.pwcca(X, Y, dtype=np.float32).similarity == pytest.approx(expected, abs=1e-5)
    assert PairAccumulator().update(X[:25], Y[:25]).update(
        X[25:], Y[25:]
    ).pwcca().similarity == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("how", ["float32 compute", "float32 data", "torch float32"])
def test_a_tie_computed_in_float32_is_still_a_tie(seed, how):
    """Float32 leaves an exact tie spread by up to about 3e-6 (12 ulps above 1 seen): seed 0
    here, computed in float32, gave 0.679 against float64's 0.653 with a 1e-6 tolerance."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((40, 7))
    X, Y = base[:, 1:5], base[:, 3:7] @ rng.standard_normal((4, 4))
    expected = tied_oracle(X, Y)
    if how == "float32 compute":
        got = svcca.pwcca(X, Y, dtype=np.float32).similarity
    elif how == "float32 data":
        got = svcca.pwcca(X.astype(np.float32), Y.astype(np.float32)).similarity
    else:
        torch = pytest.importorskip("torch")
        got = float(
            svcca.pwcca(torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)).similarity
        )
    assert got == pytest.approx(expected, abs=2e-5)


def test_the_permutation_null_weighs_ties_as_pwcca_does(tied_views):
    """The batched null and svcca.pwcca agree on a permutation whose correlations tie (the
    identity, through the engine's own arithmetic)."""
    from svcca._backend import get_ops
    from svcca._measures import build_engine

    X, Y = tied_views
    for side in ("x", "y", "symmetric"):
        engine = build_engine(svcca.Measure("pwcca", side=side), X, Y, get_ops(X))
        null = engine(np.stack([np.arange(40), np.arange(40)[::-1]]))
        assert null[0] == pytest.approx(svcca.pwcca(X, Y, side=side).similarity, abs=1e-9), side
        assert null[1] == pytest.approx(svcca.pwcca(X, Y[::-1], side=side).similarity, abs=1e-9), side


def test_tie_blocks_chain_neighbours_within_the_tolerance():
    from svcca._pwcca import tie_blocks

    assert tie_blocks(np.array([0.9, 0.5, 0.1])) == []
    assert tie_blocks(np.array([1.0, 1.0, 1.0])) == [(0, 3)]
    assert tie_blocks(np.array([1.0, 1 - 6e-7, 1 - 12e-7, 0.3, 0.3])) == [(0, 3), (3, 5)]
