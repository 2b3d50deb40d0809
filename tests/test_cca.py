"""svcca.cca: an independent oracle, closed forms, invariances (with negative controls),
paired variates, dead features, both whitening paths, ridge, float32 and complex input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import svcca
from conftest import (
    TOL32,
    TOL64,
    make_shared_latent_views,
    offset_feature_layers,
    principal_cosines,
    pwcca_alpha_oracle,
)
from svcca._cca import cca_from_whitened, whiten

# (n, p, q, rank_x, rank_y): tall, square-ish, wide (n <= p) and rank-deficient
SHAPES = [
    (200, 5, 7, None, None),
    (100, 30, 20, None, None),
    (60, 59, 3, None, None),
    (40, 40, 10, None, None),
    (30, 50, 8, None, None),
    (25, 60, 70, None, None),
    (300, 40, 30, 12, 7),
    (150, 20, 20, 5, 20),
    (80, 100, 6, 9, None),
]


def _with_rank(rng: np.random.Generator, n: int, p: int, r: int | None) -> np.ndarray:
    if r is None:
        return rng.standard_normal((n, p))
    return rng.standard_normal((n, r)) @ rng.standard_normal((r, p))


def _cca(X, Y, **kw):
    """cca() that tolerates the SampleSizeWarning of deliberately wide cases."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", svcca.SampleSizeWarning)
        return svcca.cca(X, Y, **kw)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("n", "p", "q", "rx", "ry"), SHAPES)
def test_matches_principal_angles_oracle(seed, n, p, q, rx, ry):
    rng = np.random.default_rng(seed)
    X = _with_rank(rng, n, p, rx)
    # Y shares two directions with X, the rest independent
    Y = np.hstack(
        [X @ rng.standard_normal((p, 2)), _with_rank(rng, n, q - 2, None if ry is None else ry - 2)]
    )
    res = _cca(X, Y)
    oracle = principal_cosines(X, Y)
    assert res.n_components == oracle.size == min(res.x_rank, res.y_rank)
    assert res.x_rank == min(rx or p, n - 1)
    np.testing.assert_allclose(res.rho, oracle, atol=1e-9)
    assert np.all(np.diff(res.rho) <= 0) and res.rho.min() >= 0 and res.rho.max() <= 1


@pytest.mark.parametrize("shared", [0, 40, 150])
def test_wide_layers_match_oracle(shared):
    # 150 x 150 correlations: rho comes from the tridiagonal route (svdvals_tridiagonal)
    rng = np.random.default_rng(shared)
    n, p = 1200, 150
    X = rng.standard_normal((n, p)) + 2.0
    Y = np.hstack(
        [X[:, :shared] @ rng.standard_normal((shared, shared)), rng.standard_normal((n, p - shared))]
    )
    res = svcca.cca(X, Y)
    assert res.x_algorithm == "gram" and res.n_components == p
    np.testing.assert_allclose(res.rho, principal_cosines(X, Y), atol=TOL64)


@pytest.mark.parametrize("method", ["gram", "svd"])
def test_both_paths_match_oracle_when_forced(shared_latent_views, method):
    X, Y = shared_latent_views
    res = svcca.cca(X, Y, algorithm=method)
    assert res.x_algorithm == res.y_algorithm == method
    np.testing.assert_allclose(res.rho, principal_cosines(X, Y), atol=TOL64)


def test_auto_takes_gram_when_well_conditioned_and_svd_when_not(
    shared_latent_views, rank_deficient_ill_conditioned
):
    X, Y = shared_latent_views
    assert svcca.cca(X, Y).x_algorithm == "gram"
    A, B = rank_deficient_ill_conditioned
    res = svcca.cca(A, B)
    assert res.x_algorithm == "svd" and res.y_algorithm == "gram"
    assert res.x_rank == 20  # 22 columns, 2 exactly dependent


def test_ill_conditioned_rank_deficient_stays_accurate(rank_deficient_ill_conditioned):
    X, Y = rank_deficient_ill_conditioned
    res = svcca.cca(X, Y)
    oracle = principal_cosines(X, Y)
    assert res.n_components == oracle.size == 9
    # 4 shared directions are exactly 1; cond(X) = 1e8 limits the oracle itself to ~1e-9
    np.testing.assert_allclose(res.rho[:4], 1.0, atol=1e-9)
    np.testing.assert_allclose(res.rho, oracle, atol=1e-8)
    assert np.all(np.isfinite(res.x_weights))


def test_forced_gram_drops_directions_it_cannot_resolve(rank_deficient_ill_conditioned):
    X, _ = rank_deficient_ill_conditioned
    wg = whiten(X, algorithm="gram")
    ws = whiten(X, algorithm="svd")
    assert wg.rank < ws.rank == 20
    Z = wg.Z()
    np.testing.assert_allclose(Z.T @ Z, np.eye(wg.rank), atol=1e-6)


# --- closed forms -------------------------------------------------------------------------
def test_self_similarity_is_one(shared_latent_views):
    X, _ = shared_latent_views
    res = svcca.cca(X, X)
    np.testing.assert_allclose(res.rho, 1.0, atol=TOL64)
    assert res.similarity == pytest.approx(1.0, abs=TOL64)


@pytest.mark.parametrize(("n", "p", "q"), [(50, 30, 30), (40, 25, 20), (30, 29, 5)])
def test_number_of_forced_ones_is_p_plus_q_minus_n_minus_1(rng, n, p, q):
    X, Y = rng.standard_normal((n, p)), rng.standard_normal((n, q))
    forced = p + q - (n - 1)
    with pytest.warns(svcca.SampleSizeWarning, match=rf"{forced} canonical correlation\(s\) are exactly 1"):
        res = svcca.cca(X, Y)
    n_ones = int(np.sum(res.rho > 1 - 1e-8))
    assert n_ones == forced
    if forced < res.n_components:
        assert res.rho[forced] < 0.999  # the next one is an ordinary correlation


def test_no_forced_ones_when_p_plus_q_fits(rng):
    X, Y = rng.standard_normal((50, 25)), rng.standard_normal((50, 24))  # p + q = n - 1
    res = svcca.cca(X, Y)  # no warning (filterwarnings = error)
    assert res.rho[0] < 0.999


def test_expected_pillai_under_independence_is_pq_over_n_minus_1():
    # E[sum rho^2] = p q / (n - 1) for independent Gaussian layers (centred data live in
    # n - 1 dimensions); average over seeds and compare within 4 standard errors
    n, p, q, reps = 40, 5, 4, 300
    rng = np.random.default_rng(7)
    vals = np.array(
        [svcca.cca(rng.standard_normal((n, p)), rng.standard_normal((n, q))).pillai for _ in range(reps)]
    )
    expected = p * q / (n - 1)
    se = vals.std(ddof=1) / np.sqrt(reps)
    assert abs(vals.mean() - expected) < 4 * se
    # negative control: a shared direction moves it far outside that band
    shared = [svcca.cca(*make_shared_latent_views(rng, n, p, q, 1, noise=0.5)).pillai for _ in range(30)]
    assert np.mean(shared) > expected + 10 * se


# --- invariances ----------------------------------------------------------------------------
def test_invariant_to_invertible_maps_and_offsets(shared_latent_views, rng):
    X, Y = shared_latent_views
    base = svcca.cca(X, Y).rho
    Wx = rng.standard_normal((X.shape[1], X.shape[1]))
    Wy = rng.standard_normal((Y.shape[1], Y.shape[1]))
    moved = svcca.cca(X @ Wx + 5.0, Y @ Wy - 3.0 * rng.standard_normal(Y.shape[1])).rho
    np.testing.assert_allclose(moved, base, atol=1e-9)
    # per-neuron scales over twelve orders of magnitude
    scales = np.logspace(-6, 6, X.shape[1])
    np.testing.assert_allclose(svcca.cca(X * scales, Y).rho, base, atol=1e-9)


def test_not_invariant_to_a_nonlinear_map_negative_control(shared_latent_views):
    X, Y = shared_latent_views
    base = svcca.cca(X, Y).rho
    assert np.abs(svcca.cca(np.tanh(X / X.std()), Y).rho - base).max() > 1e-2


def test_symmetric_in_x_and_y(shared_latent_views):
    X, Y = shared_latent_views
    a, b = svcca.cca(X, Y), svcca.cca(Y, X)
    np.testing.assert_allclose(a.rho, b.rho, atol=TOL64)
    np.testing.assert_allclose(np.abs(a.x_weights), np.abs(b.y_weights), rtol=1e-7, atol=1e-12)


def test_permuting_samples_jointly_changes_nothing_and_separately_breaks_it(shared_latent_views, rng):
    X, Y = shared_latent_views
    base = svcca.cca(X, Y).rho
    perm = rng.permutation(X.shape[0])
    np.testing.assert_allclose(svcca.cca(X[perm], Y[perm]).rho, base, atol=1e-9)
    assert svcca.cca(X[perm], Y).rho[0] < 0.5  # negative control: pairing destroyed


# --- weights and variates ------------------------------------------------------------------
@pytest.mark.parametrize("method", ["auto", "svd", "gram"])
def test_variates_have_unit_variance_and_pair_at_rho(shared_latent_views, method):
    X, Y = shared_latent_views
    res = svcca.cca(X, Y, algorithm=method)
    u, v = res.x_variates, res.y_variates
    n = X.shape[0]
    np.testing.assert_allclose(u.var(axis=0, ddof=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(v.var(axis=0, ddof=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(u.T @ u / (n - 1), np.eye(res.n_components), atol=1e-9)
    cross = u.T @ v / (n - 1)
    np.testing.assert_allclose(cross, np.diag(res.rho), atol=1e-9)
    np.testing.assert_allclose(u, (X - res.x_mean) @ res.x_weights, atol=1e-9)


def test_weight_sign_convention(shared_latent_views):
    X, Y = shared_latent_views
    res = svcca.cca(X, Y)
    W = res.x_weights
    pivots = W[np.abs(W).argmax(axis=0), np.arange(W.shape[1])]
    assert np.all(pivots > 0)
    # the paths agree on signs, not only up to sign
    other = svcca.cca(X, Y, algorithm="svd")
    np.testing.assert_allclose(other.x_weights[:, :3], W[:, :3], rtol=1e-6, atol=1e-9)


def test_weights_are_computed_lazily(shared_latent_views):
    X, Y = shared_latent_views
    res = svcca.cca(X, Y)
    assert res.__dict__["_lazy_x_weights"] is None
    assert res.x_weights.shape == (X.shape[1], res.n_components)
    assert res.y_weights.shape == (Y.shape[1], res.n_components)
    assert res.__dict__["_lazy_x_weights"] is res.x_weights


def test_dead_and_constant_features_dropped_and_reported(shared_latent_views):
    X, Y = shared_latent_views
    base = svcca.cca(X, Y)
    Xd = np.insert(X, [2, 5], 0.0, axis=1)  # two dead ReLUs (exact zeros) at 2 and 6
    Xd = np.insert(Xd, 0, 7.25, axis=1)  # a constant unit at 0
    res = svcca.cca(Xd, Y)
    np.testing.assert_array_equal(res.x_dropped, [0, 3, 7])
    assert res.x_kept.size == X.shape[1] and res.x_rank == X.shape[1]
    np.testing.assert_allclose(res.rho, base.rho, atol=TOL64)
    assert np.all(res.x_weights[[0, 3, 7]] == 0)
    np.testing.assert_allclose(res.x_variates, base.x_variates, atol=1e-9)


def test_constant_column_under_a_large_offset_is_dropped(rng):
    X = rng.standard_normal((300, 6)) + 1e6
    X[:, 2] = 1e6 + 0.5  # constant; the others vary by ~1 around 1e6
    Y = X[:, :2] @ rng.standard_normal((2, 3)) + rng.standard_normal((300, 3))
    res = svcca.cca(X, Y)
    np.testing.assert_array_equal(res.x_dropped, [2])
    np.testing.assert_allclose(res.rho, principal_cosines(np.delete(X, 2, axis=1), Y), atol=1e-9)


def test_every_feature_constant_is_an_error(rng):
    X = np.ones((50, 3))
    with pytest.raises(
        ValueError, match=r"X has no varying feature: all 3 features are constant over the 50 samples"
    ):
        svcca.cca(X, rng.standard_normal((50, 2)))


# --- ridge ---------------------------------------------------------------------------------
def test_epsilon_is_a_ridge_on_the_correlation_matrix(shared_latent_views):
    X, Y = shared_latent_views
    eps = 0.1
    # reference: singular values of (Rxx + eps I)^{-1/2} Rxy (Ryy + eps I)^{-1/2} on the
    # correlation scale, computed independently with scipy's matrix square root
    import scipy.linalg

    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    Xs, Ys = Xc / np.linalg.norm(Xc, axis=0), Yc / np.linalg.norm(Yc, axis=0)
    ix = scipy.linalg.inv(scipy.linalg.sqrtm(Xs.T @ Xs + eps * np.eye(X.shape[1])))
    iy = scipy.linalg.inv(scipy.linalg.sqrtm(Ys.T @ Ys + eps * np.eye(Y.shape[1])))
    expected = np.linalg.svd(ix @ Xs.T @ Ys @ iy, compute_uv=False)[: Y.shape[1]]
    for method in ("auto", "svd", "gram"):
        res = svcca.cca(X, Y, epsilon=eps, algorithm=method)
        np.testing.assert_allclose(res.rho, expected, atol=1e-9)
        assert res.epsilon == eps
    # a scaled feature is scaled back before the ridge: the ridge is dimensionless
    np.testing.assert_allclose(svcca.cca(X * 1e3, Y, epsilon=eps).rho, expected, atol=1e-9)
    # negative control: the ridge does shrink the correlations
    assert np.all(expected <= svcca.cca(X, Y).rho + 1e-12) and expected[0] < svcca.cca(X, Y).rho[0]


def test_epsilon_keeps_rank_deficient_input_finite(rank_deficient_ill_conditioned):
    X, Y = rank_deficient_ill_conditioned
    res = svcca.cca(X, Y, epsilon=1e-3)
    assert np.all(np.isfinite(res.rho)) and res.rho.max() <= 1


# --- precision and number types --------------------------------------------------------------
def test_float32_on_request(shared_latent_views):
    X, Y = shared_latent_views
    res = svcca.cca(X, Y, dtype=np.float32)
    assert res.rho.dtype == np.float32 and res.x_weights.dtype == np.float32
    np.testing.assert_allclose(res.rho, principal_cosines(X, Y), atol=TOL32)


def test_float32_input_computes_in_float64_by_default(shared_latent_views):
    X, Y = shared_latent_views
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    res = svcca.cca(X32, Y32)
    assert res.rho.dtype == np.float64
    # exact CCA of the float32 values (the oracle upcasts them too)
    np.testing.assert_allclose(res.rho, principal_cosines(X32.astype(float), Y32.astype(float)), atol=TOL64)


def test_integer_and_boolean_input(rng):
    X = rng.integers(0, 5, size=(200, 4))
    Y = (X[:, :2] + rng.integers(0, 3, size=(200, 2))) > 3
    res = svcca.cca(X, Y)
    np.testing.assert_allclose(res.rho, principal_cosines(X.astype(float), Y.astype(float)), atol=TOL64)


@pytest.mark.parametrize("method", ["auto", "svd", "gram"])
def test_complex_input(rng, method):
    n, p, q = 300, 6, 5
    X = rng.standard_normal((n, p)) + 1j * rng.standard_normal((n, p))
    Y = np.hstack(
        [X[:, :2] * (1 - 2j), rng.standard_normal((n, q - 2)) + 1j * rng.standard_normal((n, q - 2))]
    )
    res = svcca.cca(X, Y, algorithm=method)
    assert res.rho.dtype == np.float64
    np.testing.assert_allclose(res.rho, principal_cosines(X, Y), atol=TOL64)
    np.testing.assert_allclose(res.rho[:2], 1.0, atol=TOL64)
    u, v = res.x_variates, res.y_variates
    np.testing.assert_allclose(u.conj().T @ v / (n - 1), np.diag(res.rho), atol=1e-9)


@pytest.mark.parametrize("scale", [1e-200, 1e-8, 1e8, 1e200])
def test_extreme_scales(shared_latent_views, scale):
    X, Y = shared_latent_views
    res = svcca.cca(X * scale, Y / scale)
    np.testing.assert_allclose(res.rho, principal_cosines(X, Y), atol=1e-9)
    assert np.all(np.isfinite(res.x_weights)) and np.all(np.isfinite(res.x_variates))
    np.testing.assert_allclose(res.x_variates.var(axis=0, ddof=1), 1.0, atol=1e-9)


def test_single_feature_is_the_multiple_correlation(rng):
    X = rng.standard_normal((500, 4))
    y = X @ np.array([1.0, -2.0, 0.0, 0.5]) + rng.standard_normal(500)
    res = svcca.cca(X, y[:, None])
    beta, *_ = np.linalg.lstsq(np.c_[np.ones(500), X], y, rcond=None)
    r = np.corrcoef(np.c_[np.ones(500), X] @ beta, y)[0, 1]
    assert res.n_components == 1 and res.rho[0] == pytest.approx(r, abs=TOL64)


def test_two_samples():
    with pytest.warns(svcca.SampleSizeWarning, match="1 canonical correlation"):
        res = svcca.cca(np.array([[0.0], [1.0]]), np.array([[3.0], [2.0]]))
    np.testing.assert_allclose(res.rho, [1.0])


def test_one_sample_is_an_error():
    with pytest.raises(
        ValueError, match=r"CCA needs at least 2 samples; got X.shape=\(1, 2\), Y.shape=\(1, 3\)"
    ):
        svcca.cca(np.ones((1, 2)), np.ones((1, 3)))


# --- reuse and summaries ---------------------------------------------------------------------
def test_whitened_reuse_equals_cca(shared_latent_views, rng):
    X, Y = shared_latent_views
    wx = whiten(X)
    for _ in range(2):
        Y2 = Y + 0.1 * rng.standard_normal(Y.shape)
        np.testing.assert_allclose(cca_from_whitened(wx, whiten(Y2)).rho, svcca.cca(X, Y2).rho, atol=TOL64)


@pytest.mark.parametrize("method", ["gram", "svd"])
def test_whitened_basis_is_orthonormal_and_spans_the_data(shared_latent_views, method):
    X, _ = shared_latent_views
    w = whiten(X + 100.0, algorithm=method)
    Z = w.Z()
    np.testing.assert_allclose(Z.T @ Z, np.eye(w.rank), atol=1e-9)
    Xc = X - X.mean(0)
    np.testing.assert_allclose(Z @ (Z.T @ Xc), Xc, atol=1e-8)
    np.testing.assert_allclose(Z, ((X - X.mean(0)) / w.scale) @ w.W, atol=1e-9)
    np.testing.assert_allclose(
        w.singular_values, np.linalg.svd(Xc / w.scale, compute_uv=False), atol=1e-9
    )  # of the rescaled data (the SVD path also weighs each feature by its rounding)


def test_summaries(shared_latent_views):
    X, Y = shared_latent_views
    res = svcca.cca(X, Y)
    r = res.rho
    assert res.similarity == res.mean == pytest.approx(r.mean())
    assert res.yanai == pytest.approx(np.mean(r**2))
    assert res.pillai == pytest.approx(np.sum(r**2))
    assert res.top_k_mean(3) == pytest.approx(r[:3].mean())
    # truncated mean: the fewest leading correlations whose sum reaches the threshold
    k = int(np.argmax(np.cumsum(r) / r.sum() >= 0.5)) + 1
    assert res.truncated_mean(0.5) == pytest.approx(r[:k].mean())
    assert res.truncated_mean(1.0) == pytest.approx(r.mean())
    assert set(res.summaries()) == {
        "similarity",
        "mean",
        "yanai_r2",
        "pillai",
        "truncated_mean@0.98",
        "n_components",
    }
    assert "similarity=" in repr(res)
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\]; got 0"):
        res.truncated_mean(0)
    with pytest.raises(ValueError, match=r"k must be >= 1; got 0"):
        res.top_k_mean(0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"algorithm": "qr"}, r"algorithm must be one of 'auto', 'gram', 'svd'; got 'qr'"),
        ({"epsilon": -1.0}, r"epsilon must be a finite number >= 0; got -1.0"),
        ({"epsilon": float("nan")}, r"epsilon must be a finite number >= 0; got nan"),
        ({"dtype": np.float16}, r"dtype must be None, float32 or float64; got float16"),
    ],
)
def test_bad_options(independent_views, kwargs, match):
    X, Y = independent_views
    with pytest.raises(ValueError, match=match):
        svcca.cca(X, Y, **kwargs)


def test_constant_column_with_a_long_sum_is_dropped():
    # numpy's mean over axis 0 accumulates rounding of about n * eps * |mean|: a constant
    # column of 0.1 over 10000 rows used to survive centring as a tiny noise feature
    rng = np.random.default_rng(0)
    X = np.hstack([rng.standard_normal((10_000, 3)), np.full((10_000, 1), 0.1)])
    res = svcca.cca(X, rng.standard_normal((10_000, 3)))
    assert res.x_rank == 3
    assert list(res.x_dropped) == [3]


# --- issue 10: input precision ------------------------------------------------------------------


def _rank_40_layer(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    L = rng.standard_normal((300, 40)) @ rng.standard_normal((40, 80))  # rank 40, 80 features
    Y = L @ rng.standard_normal((80, 50)) + 0.5 * rng.standard_normal((300, 50))
    return L, Y


def test_float16_input_keeps_its_rank_and_warns(rng):
    # the rank tolerance used to scale with float16's eps (1e-3 * 300): x_rank fell to 1-32
    L, Y = _rank_40_layer(rng)
    ref = svcca.cca(L, Y, warn=False)
    with pytest.warns(svcca.PrecisionWarning, match=r"X arrived in float16 .* directions lie below"):
        res = svcca.cca(L.astype(np.float16), Y, warn=False)
    assert (res.x_rank, ref.x_rank) == (40, 40)
    assert res.similarity == pytest.approx(ref.similarity, abs=1e-3)  # float16 rounding, 1e-3


def test_bfloat16_tensors_give_numbers_not_nan():
    torch = pytest.importorskip("torch")
    L, Y = _rank_40_layer(np.random.default_rng(0))
    tX, tY = torch.tensor(L).bfloat16(), torch.tensor(Y).bfloat16()
    ref = svcca.cca(L, Y, warn=False)
    with pytest.warns(svcca.PrecisionWarning):
        res = svcca.cca(tX, tY, warn=False)  # was NaN (rank 0)
    assert res.x_rank == 40 and res.rho.dtype == torch.float64
    assert res.similarity == pytest.approx(ref.similarity, abs=1e-2)  # bfloat16 eps 8e-3
    with pytest.warns(svcca.PrecisionWarning):
        pw = svcca.pwcca(tX, tY, warn=False)  # was 0.0
    assert pw.similarity == pytest.approx(svcca.pwcca(L, Y, warn=False).similarity, abs=1e-2)


@pytest.mark.parametrize("dtype", [None, np.float32])
def test_float32_units_with_a_large_offset_are_not_dead(rng, dtype):
    # 3e5 +- 1 in float32 has ~176 distinct values: it varies, and CCA must see it
    X = rng.standard_normal((500, 5))
    Y = X @ rng.standard_normal((5, 5)) + 0.1 * rng.standard_normal((500, 5))
    ref = svcca.cca(X, Y)
    res = svcca.cca((X + 3e5).astype(np.float32), Y, dtype=dtype)  # raised "no varying feature"
    assert res.x_rank == 5 and res.x_dropped.size == 0
    assert res.rho[0] == pytest.approx(ref.rho[0], abs=1e-3)  # the float32 grid of 0.03 at 3e5


def test_float32_overflow_is_named(rng):
    X, Y = rng.standard_normal((100, 4)), rng.standard_normal((100, 3))
    with pytest.raises(
        ValueError,
        match=r"Y's values overflow float32 \(largest \|value\| .*e\+50 > 3.4e\+38; "
        r"X.shape=\(100, 4\), Y.shape=\(100, 3\)\); compute in float64",
    ):
        svcca.cca(X, Y * 1e50, dtype=np.float32)


def test_float32_with_large_offsets_centres_before_the_product(rng):
    # |mean| / std of 100 to 1000: in float32 the uncentred Gram would lose the spread, so
    # a sample of rows sends the data to the centred Gram at once; the answer stays at
    # float32 accuracy against the float64 computation
    from svcca._backend import get_ops
    from svcca._cca import _GRAM_LIMIT, _offsets_dominate

    X = rng.standard_normal((4000, 30)) * np.logspace(-1, 0, 30) + 100.0
    Y = X[:, :10] @ rng.standard_normal((10, 20)) + rng.standard_normal((4000, 20)) - 1000.0
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    ops = get_ops(X32, dtype=np.float32)
    assert _offsets_dominate(ops, X32, X32.mean(0), _GRAM_LIMIT[4])
    assert not _offsets_dominate(ops, X32 - X32.mean(0), X32.mean(0) * 0, _GRAM_LIMIT[4])  # control
    res = svcca.cca(X32, Y32, dtype=np.float32)
    assert (res.x_algorithm, res.y_algorithm) == ("gram", "gram") and res.rho.dtype == np.float32
    ref = svcca.cca(X32.astype(np.float64), Y32.astype(np.float64))
    np.testing.assert_allclose(res.rho, ref.rho, atol=1e-4)


@pytest.mark.parametrize("algorithm", ["auto", "svd", "gram"])
def test_float32_offset_feature_leaves_the_other_directions_alone(algorithm):
    # 100 +- 1e-3 in float32 (|mean| / std = 1e5) is coarse but real. Its rounding used to set
    # the rank cut-off of every direction: 19 of 59 were dropped without a word, and the mean
    # canonical correlation read 0.95 for 0.55
    X, Y = offset_feature_layers(100.0, 1e-3)
    res = svcca.cca(X, Y, algorithm=algorithm)
    assert res.x_rank == 59 and res.x_algorithm == ("gram" if algorithm == "gram" else "svd")
    np.testing.assert_allclose(res.rho, principal_cosines(X.astype(float), Y.astype(float)), atol=1e-9)


@pytest.mark.parametrize("algorithm", ["auto", "svd"])
def test_float32_feature_lost_in_its_own_rounding_goes_alone(algorithm):
    # 1000 +- 1e-5 in float32 takes 3 values a float32 step (6e-5) apart: its direction is
    # rounding and is dropped; every other direction stays
    X, Y = offset_feature_layers(1000.0, 1e-5)
    res = svcca.cca(X, Y, algorithm=algorithm)
    assert res.x_rank == 58
    ref = principal_cosines(np.delete(X, 2, axis=1).astype(float), Y.astype(float))
    np.testing.assert_allclose(res.rho, ref, atol=1e-9)


def test_float32_offset_features_on_torch_as_on_numpy():
    torch = pytest.importorskip("torch")
    for offset, spread in [(100.0, 1e-3), (1000.0, 1e-5)]:
        X, Y = offset_feature_layers(offset, spread)
        res, ref = svcca.cca(torch.from_numpy(X), torch.from_numpy(Y)), svcca.cca(X, Y)
        assert res.x_rank == ref.x_rank
        np.testing.assert_allclose(res.rho.double().numpy(), ref.rho, atol=1e-9)


def test_narrower_compute_dtype_refuses_to_round_the_spread_away(rng):
    # float64 data at 1000 +- 1e-8 computed in float32: casting rounds the spread away and
    # the fuzz got rho = 0.9959 where the answer is 1 (n = 2); now a clear refusal
    X = 1000.0 + 1e-8 * rng.standard_normal((50, 3))
    Y = rng.standard_normal((50, 2))
    with pytest.raises(ValueError, match=r"X has 3 column\(s\) that vary too little for the float32"):
        svcca.cca(X, Y, dtype=np.float32)
    assert svcca.cca(X, Y).x_rank == 3  # float64 sees it
    # a spread float32 resolves at its offset is computed as before (control)
    res = svcca.cca(3e5 + rng.standard_normal((50, 3)), Y, dtype=np.float32)
    assert res.x_rank == 3


# --- issue 13: the float32 path at its floor ------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_centred_means_settle_which_columns_vary_as_the_full_comparison_does(rng, dtype):
    # explicit centring decides constancy from the Gram diagonal and the centred means, and
    # compares entries with the first only where those cannot decide: the same columns
    from svcca._backend import get_ops
    from svcca._cca import _varying_columns

    n = 5000
    ulp = float(np.spacing(np.float32(3e5)))
    X = np.column_stack(
        [
            rng.standard_normal(n) + 100.0,  # varies
            np.full(n, 0.1),  # constant, with a long sum
            np.full(n, 1e6 + 0.5),  # constant under a large offset
            3e5 + ulp * (rng.random(n) < 0.5),  # varies by one float32 unit at 3e5
            10.0 + 1e-3 * rng.standard_normal(n),  # varies, small next to its offset
            np.zeros(n),  # dead
        ]
    ).astype(dtype)
    ops = get_ops(X, dtype=dtype)
    mean = ops.mean0(X)
    Xc = X - mean
    sq, offset = np.diag(Xc.T @ Xc).copy(), ops.mean0(Xc)
    full = _varying_columns(ops, X, mean, np.sqrt(sq), n)
    np.testing.assert_array_equal(_varying_columns(ops, X, mean, np.sqrt(sq), n, (offset, sq)), full)
    np.testing.assert_array_equal(np.flatnonzero(full), [0, 3, 4])
    # the same from the Gram of the data themselves (SVCCA's reduction; these norms are
    # rough where a mean dominates, and both tests see the same rough norms)
    d = np.diag(X.T @ X).copy()
    norms = np.sqrt(np.maximum(d - n * mean * mean, 0))
    rough = _varying_columns(ops, X, mean, norms, n)
    np.testing.assert_array_equal(_varying_columns(ops, X, mean, norms, n, (mean, d)), rough)
    # end to end on the explicit-centring path
    Y = X[:, [0, 4]] @ rng.standard_normal((2, 3)) + rng.standard_normal((n, 3))
    res = svcca.cca(X, Y.astype(dtype), dtype=dtype)
    np.testing.assert_array_equal(res.x_dropped, [1, 2, 5])


def test_float32_correlations_through_the_float64_tridiagonal_route(rng):
    # p >= 128: the float32 singular values of M come from the float64 tridiagonal route,
    # asked for float32 accuracy; the answer stays within float32 rounding of the float64
    # computation of the same float32 data (the offsets send it through explicit centring)
    from svcca._backend import NumpyOps

    n, p, q = 3000, 160, 140
    X = rng.standard_normal((n, p)) * np.logspace(-1, 1, p) + 1.0
    Y = X[:, :20] @ rng.standard_normal((20, q)) + rng.standard_normal((n, q)) - 2.0
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    res = svcca.cca(X32, Y32, dtype=np.float32)
    ref = svcca.cca(X32.astype(np.float64), Y32.astype(np.float64))
    assert res.rho.dtype == np.float32 and res.x_algorithm == "gram"
    np.testing.assert_allclose(res.rho, ref.rho, atol=2e-7)
    # the route itself: float32 in and out, within eps32 / 16 of the largest value of
    # LAPACK's float64 answer, plus the rounding to float32 (half a unit of each value)
    M = (rng.standard_normal((150, 150)) * np.logspace(0, -6, 150)).astype(np.float32)
    s = NumpyOps(np.float32).svdvals(M)
    s64 = np.linalg.svd(M.astype(np.float64), compute_uv=False)
    eps = float(np.finfo(np.float32).eps)
    assert s.dtype == np.float32
    assert np.all(np.abs(s - s64) <= eps * (s64[0] / 16 + 0.5 * s64))


# --- float32 compute of layers the float32 Gram route cannot whiten -----------------------
@pytest.mark.parametrize(("cond", "route"), [(1e2, "one pass"), (1e3, "two passes")])
def test_float32_compute_of_an_ill_conditioned_layer_matches_float64(rng, cond, route):
    # cond(G) = cond^2 is far above float32's one-pass limit (1e2): the layer is whitened by
    # the float64 Gram routes and handed on as a float32 basis. With n = 30000 a float32 SVD
    # would cut at max(n, p) eps32 = 3.6e-3 and drop the weak directions that float64 keeps
    n = 30000
    X = _ill_conditioned(rng, n=n, cond=cond).astype(np.float32)
    Y = (X[:, :20] @ rng.standard_normal((20, 30)) + rng.standard_normal((n, 30))).astype(np.float32)
    assert route == ("two passes" if whiten(X).basis is not None else "one pass")  # the float64 route
    w = whiten(X, dtype=np.float32)
    assert w.algorithm == "gram" and w.rank == 90 and w.basis.dtype == np.float32
    np.testing.assert_allclose(w.basis.T.astype(float) @ w.basis, np.eye(90), atol=2e-6)
    res, ref = svcca.cca(X, Y, dtype=np.float32), svcca.cca(X, Y)
    assert res.x_algorithm == "gram" and (res.x_rank, res.y_rank) == (ref.x_rank, ref.y_rank) == (90, 30)
    assert res.rho.dtype == res.x_weights.dtype == res.x_variates.dtype == np.float32
    np.testing.assert_allclose(res.rho, ref.rho, atol=1e-6)  # float32 rounding of the float64 answer
    np.testing.assert_allclose(res.rho, principal_cosines(X.astype(float), Y.astype(float)), atol=1e-6)
    u, v = res.x_variates.astype(float), res.y_variates.astype(float)
    np.testing.assert_allclose(np.sum(u * v, axis=0) / (n - 1), res.rho, atol=1e-4)
    # the float32 SVD of the same layer (the route taken before) cuts at max(n, p) eps32 =
    # 3.6e-3 of the largest singular value: at cond 1e3 it drops directions, and its mean
    # correlation is off by more than 1e-3
    if cond > 1 / (n * float(np.finfo(np.float32).eps)):
        old = svcca.cca(X, Y, dtype=np.float32, algorithm="svd")
        assert old.x_rank < 90 and abs(old.similarity - ref.similarity) > 1e-3
    # PWCCA's weights from the narrowed whitening's Gram matrix, and the torch backend
    np.testing.assert_allclose(
        svcca.pwcca(X, Y, dtype=np.float32, side="x").alpha, svcca.pwcca(X, Y, side="x").alpha, atol=1e-5
    )
    torch = pytest.importorskip("torch")
    rt = svcca.cca(torch.from_numpy(X), torch.from_numpy(Y), dtype=torch.float32)
    assert rt.rho.dtype == torch.float32 and rt.x_algorithm == "gram"
    np.testing.assert_allclose(rt.rho.numpy(), ref.rho, atol=1e-6)


@pytest.mark.parametrize("case", ["dependent columns", "cond 1e12", "wide"])
def test_float32_compute_of_layers_float64_takes_through_the_svd(rng, case):
    # no Gram route in float64 either: the float64 SVD, handed on in float32, so the ranks
    # and correlations are float64's (a float32 SVD cuts at max(n, p) eps32 and, at
    # cond 1e12, dropped half the directions: mean CCA 0.35 off)
    n = 20000 if case == "cond 1e12" else 2000
    if case == "dependent columns":
        base = rng.standard_normal((n, 30))
        X = np.hstack([base, base[:, :10] @ rng.standard_normal((10, 10))])
    elif case == "cond 1e12":
        X = _ill_conditioned(rng, n=n, p=120, cond=1e6, offset=2.0)
    else:
        X = rng.standard_normal((n, 2500)) * np.logspace(0, -3, 2500)
    X = X.astype(np.float32)
    Y = (X[:, :20] @ rng.standard_normal((20, 40)) + rng.standard_normal((n, 40))).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", svcca.SampleSizeWarning)
        res, ref = svcca.cca(X, Y, dtype=np.float32), svcca.cca(X, Y)
    assert res.x_algorithm == ref.x_algorithm == "svd" and res.x_rank == ref.x_rank
    assert res.rho.dtype == res.x_weights.dtype == np.float32
    np.testing.assert_allclose(res.rho, ref.rho, atol=1e-6)
    assert res.similarity == pytest.approx(ref.similarity, abs=1e-6)


@pytest.mark.parametrize("scale", [1e-40, 1e-43, 1e38])
def test_float32_compute_at_the_ends_of_the_float32_range(rng, scale):
    # subnormal float32 layers were scaled by 2**131 (inf in float32): NaN, then "array must
    # not contain infs or NaNs" from deep inside an SVD; near 3e38, a layer handed on from
    # float64 carried its norms (beyond float32) as inf, and PWCCA's weights were NaN
    n, p = 4000, 30
    base = rng.standard_normal((n, p)) * np.logspace(0, -1, p) @ np.linalg.qr(rng.standard_normal((p, p)))[0]
    X = (base * scale).astype(np.float32)
    Y = (base[:, :8] @ rng.standard_normal((8, 12)) + rng.standard_normal((n, 12))).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for f in (svcca.cca, svcca.pwcca, svcca.svcca):
            got, want = f(X, Y, dtype=np.float32), f(X, Y)
            assert got.similarity == pytest.approx(want.similarity, abs=1e-6), f.__name__


# --- moderately ill-conditioned layers: two Cholesky-QR passes instead of the SVD ---------
def _ill_conditioned(rng, n=3000, p=90, cond=1e3, offset=3.0):
    """Centred columns spanning a space with condition number ``cond`` (cond(G) = cond^2)."""
    Q = np.linalg.qr(rng.standard_normal((p, p)))[0]
    return rng.standard_normal((n, p)) @ np.diag(np.logspace(0, -np.log10(cond), p)) @ Q + offset


@pytest.mark.parametrize("cond", [1e3, 1e4, 3e4])
def test_two_pass_gram_route_matches_the_oracle_and_the_svd(rng, cond):
    X = _ill_conditioned(rng, cond=cond)
    Y = np.hstack([X[:, :20] @ rng.standard_normal((20, 20)), rng.standard_normal((3000, 40))]) - 2.0
    w = whiten(X)
    assert w.algorithm == "gram" and w.basis is not None and w.rank == 90  # the two-pass route
    Z = w.Z()
    np.testing.assert_allclose(Z.T @ Z, np.eye(90), atol=1e-13)  # orthonormal to rounding
    res, ref = svcca.cca(X, Y), svcca.cca(X, Y, algorithm="svd")
    truth = principal_cosines(X, Y)
    np.testing.assert_allclose(res.rho, truth, atol=1e-12)
    np.testing.assert_allclose(res.rho, ref.rho, atol=1e-12)
    # the weights give unit-variance variates that correlate at rho
    u, v = res.x_variates, res.y_variates
    np.testing.assert_allclose(u.std(axis=0, ddof=1), 1.0, atol=1e-10)
    np.testing.assert_allclose(np.sum(u * v, axis=0) / (len(u) - 1), res.rho, atol=1e-10)
    # PWCCA's weights come from the whitening's own Gram matrix on this route too (the 20
    # correlations of 1 tie: their basis is the canonical one)
    pw, pw_ref = svcca.pwcca(X, Y), svcca.pwcca(X, Y, side="x")
    np.testing.assert_allclose(pw.alpha, pw_ref.alpha, atol=1e-12)
    alpha = pwcca_alpha_oracle(res.x_variates, X - X.mean(0), res.rho)
    np.testing.assert_allclose(pw.alpha, alpha, atol=1e-10)


@pytest.mark.parametrize(
    ("case", "kw"),
    [("a ridge", {"epsilon": 1e-3}), ("a user rtol", {"rtol": 1e-2}), ("forced svd", {"algorithm": "svd"}),
     ("beyond the limit", {})],
)  # fmt: skip
def test_two_pass_gram_route_is_not_taken(rng, case, kw):
    X = _ill_conditioned(rng, cond=1e6 if case == "beyond the limit" else 1e3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = whiten(X, **kw)
    assert w.basis is None or w.algorithm == "svd", case


def test_two_pass_gram_route_for_float32_activations(rng):
    # float32 input computed in float64: taken while no direction nears the input's rounding
    X = _ill_conditioned(rng, cond=1e3).astype(np.float32)
    Y = rng.standard_normal((3000, 50)).astype(np.float32) + X[:, :50]
    assert whiten(X).basis is not None
    res, ref = svcca.cca(X, Y), svcca.cca(X, Y, algorithm="svd")
    assert res.x_algorithm == "gram" and ref.x_rank == res.x_rank == 90
    np.testing.assert_allclose(res.rho, ref.rho, atol=1e-12)


@pytest.mark.parametrize("n_dead", [3, 30])  # a few all-zero columns stay in the data; many are copied out
def test_dead_columns_on_the_gram_route(rng, n_dead):
    n, p = 800, 40
    X = rng.standard_normal((n, p)) @ rng.standard_normal((p, p)) + 1.0
    X[:, rng.choice(p, n_dead, replace=False)] = 0.0
    Y = np.hstack([X[:, :25] @ rng.standard_normal((25, 20)), rng.standard_normal((n, 10))]) + 2.0
    w = whiten(X)
    assert w.algorithm == "gram" and w.rank == p - n_dead
    assert (w.data_cols is not None) == (n_dead == 3)
    np.testing.assert_allclose(w.Z().T @ w.Z(), np.eye(p - n_dead), atol=1e-12)
    res = svcca.cca(X, Y)
    np.testing.assert_allclose(res.rho, principal_cosines(X, Y), atol=1e-12)
    np.testing.assert_allclose(res.rho, svcca.cca(Y, X).rho, atol=1e-12)  # the dead side second
    assert np.all(res.x_weights[res.x_dropped] == 0)
    np.testing.assert_allclose(res.x_variates.T @ res.y_variates / (n - 1), np.diag(res.rho), atol=1e-10)
    # against a side on the SVD path (its basis meets the data of this one)
    Z = np.hstack([Y, Y[:, :3]])
    np.testing.assert_allclose(svcca.cca(X, Z).rho, principal_cosines(X, Z), atol=1e-12)


def test_cca_from_whitened_refuses_bad_directions_and_cross_products(rng):
    X, Y = rng.standard_normal((100, 5)), rng.standard_normal((100, 4))
    wx, wy = whiten(X), whiten(Y)
    with pytest.raises(ValueError, match="directions must be one of 'x', 'y', 'smaller'; got 'z'"):
        cca_from_whitened(wx, wy, directions="z")
    shape = r"cross must have shape \(x rank, y rank\) = \(5, 4\); got \(4, 5\)"
    with pytest.raises(ValueError, match=shape):
        cca_from_whitened(wx, wy, cross=np.zeros((4, 5)))
    M = wx.Z().T @ wy.Z()
    np.testing.assert_allclose(cca_from_whitened(wx, wy, cross=M).rho, svcca.cca(X, Y).rho, atol=TOL64)


def _orth_basis(A, rtol):
    """Oracle: orthonormal basis of the centred unit-norm columns' directions with s > rtol s_max."""
    A = A - A.mean(0)
    A = A / np.linalg.norm(A, axis=0)
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    return U[:, s > rtol * s[0]]


@pytest.mark.parametrize(
    "call",
    ["cca auto", "cca gram", "cca svd", "pwcca", "streaming cca", "grid"],
)
def test_a_user_rtol_drops_directions_on_every_route(rng, call):
    # well conditioned enough for the one-pass Cholesky route, which keeps every direction:
    # a user's rtol must still drop the weak ones (it once was ignored there)
    X = rng.standard_normal((40, 6))
    Y = X[:, :4] @ rng.standard_normal((4, 5)) + 0.3 * rng.standard_normal((40, 5))
    rtol = 0.5
    Ux, Uy = _orth_basis(X, rtol), _orth_basis(Y, rtol)
    ref = np.linalg.svd(Ux.T @ Uy, compute_uv=False)
    assert Uy.shape[1] < 5  # the case drops a direction of Y
    if call.startswith("cca"):
        res = svcca.cca(X, Y, rtol=rtol, algorithm=call.split()[1])
    elif call == "pwcca":
        res = svcca.pwcca(X, Y, rtol=rtol)
    elif call == "grid":
        grid = svcca.similarity_matrix({"x": X}, {"y": Y}, measure=svcca.Measure("cca", rtol=rtol))
        assert float(np.asarray(grid.values)[0, 0]) == pytest.approx(ref.mean(), abs=1e-10)
        return
    else:
        from svcca.streaming import PairAccumulator

        res = PairAccumulator().update(X[:20], Y[:20]).update(X[20:], Y[20:]).cca(rtol=rtol)
    assert (res.x_rank, res.y_rank) == (Ux.shape[1], Uy.shape[1])
    np.testing.assert_allclose(res.rho, ref, atol=1e-10)


@pytest.mark.parametrize("rtol", [float("nan"), float("inf"), -1.0, 1.0, 2.0, "a", True])
@pytest.mark.parametrize(
    "call", ["cca", "whiten", "svcca", "pwcca", "pls", "dft_cca", "streaming", "measure"]
)
def test_rtol_is_checked_at_every_entry(rng, rtol, call):
    X, Y = rng.standard_normal((30, 4)), rng.standard_normal((30, 3))
    exc = TypeError if isinstance(rtol, (str, bool)) else ValueError
    with pytest.raises(exc, match=r"rtol must be None or a number in \[0, 1\)"):
        if call == "whiten":
            whiten(X, rtol=rtol)
        elif call == "dft_cca":
            svcca.conv.dft_cca(X.reshape(30, 2, 2, 1), Y[:, :2].reshape(30, 1, 2, 1), rtol=rtol)
        elif call == "streaming":
            from svcca.streaming import PairAccumulator

            PairAccumulator().update(X, Y).cca(rtol=rtol)
        elif call == "measure":
            svcca.similarity_matrix({"x": X}, {"y": Y}, measure=svcca.Measure("cca", rtol=rtol))
        else:
            getattr(svcca, call)(X, Y, rtol=rtol)


@pytest.mark.parametrize("offset", [3.0, 7e5])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_float32_compute_of_layers_with_offsets_matches_float64(rng, offset, backend):
    # float32 means are off by up to n eps32 |mean| (0.8 at 7e5 +- 1, n = 1000): what they
    # miss once stayed in the centred Gram (cca 0.476 for 0.496, linear CKA 0.328 for 0.457);
    # at offsets of three times the spread the uncentred Gram's correction lost 2e-5 to 7e-5
    X = rng.standard_normal((1000, 10))
    Y = X[:, :4] @ rng.standard_normal((4, 8)) + rng.standard_normal((1000, 8))
    A, B = (X + offset).astype(np.float32), (0.1 * Y - 0.3 * offset).astype(np.float32)
    if backend == "torch":
        torch = pytest.importorskip("torch")
        A, B = torch.from_numpy(A), torch.from_numpy(B)
    for f in (svcca.cca, svcca.pwcca, svcca.svcca, svcca.linear_cka, svcca.procrustes, svcca.pls):
        ref, got = f(A, B).similarity, f(A, B, dtype=np.float32).similarity
        assert abs(float(got) - float(ref)) < 2e-6, (f.__name__, got, ref)
    rho32 = np.asarray(svcca.cca(A, B, dtype=np.float32).rho, dtype=np.float64)
    np.testing.assert_allclose(rho32, svcca.cca(A, B).rho, rtol=0, atol=2e-6)
    P = A[:, :3] * np.array([1.0, 0.5, 0.1], dtype=np.float32) if backend == "numpy" else None
    if P is not None:
        np.testing.assert_allclose(
            svcca.pca(P, dtype=np.float32).explained_variance_ratio,
            svcca.pca(P).explained_variance_ratio,
            rtol=0,
            atol=1e-6,
        )


@pytest.mark.parametrize("f", [svcca.cca, svcca.pwcca, svcca.svcca])
def test_float32_compute_drops_a_dead_neuron_of_float64_input(rng, f):
    # a constant column's float64 spread is rounding (7e-16 around 0.1): it is a dead neuron,
    # dropped as in float64, not a column whose variation float32 would round away
    X, Y = rng.standard_normal((400, 6)), rng.standard_normal((400, 5))
    X[:, 2], X[:, 4] = 0.1, 3.7
    got, ref = f(X, Y, dtype=np.float32), f(X, Y)
    np.testing.assert_array_equal(got.x_dropped, [2, 4])
    assert abs(got.similarity - ref.similarity) < 1e-6
    if f is svcca.svcca:  # keeping 99% of the variance drops such a column anyway
        return
    X[:, 4] = 3.7 + 1e-9 * rng.standard_normal(400)  # a real variation float32 cannot hold
    with pytest.raises(ValueError, match="vary too little for the float32 resolution"):
        f(X, Y, dtype=np.float32)


@pytest.mark.parametrize("offset", [1e4, 3e4])
def test_float32_svd_path_keeps_the_rank_of_a_layer_with_offsets(rng, offset):
    # float32 data centred twice carry no rounding of the size of their offset: the cut-off
    # once scaled with it and kept 8 of 10 directions at 1e4 (0.416 for 0.496) and refused 3e4
    X = rng.standard_normal((1000, 10))
    Y = X[:, :4] @ rng.standard_normal((4, 8)) + rng.standard_normal((1000, 8))
    A, B = (1.3 * X + offset).astype(np.float32), Y.astype(np.float32)
    got, ref = svcca.cca(A, B, algorithm="svd", dtype=np.float32), svcca.cca(A, B)
    assert got.x_rank == ref.x_rank == 10
    assert abs(got.similarity - ref.similarity) < 1e-5


def test_float32_compute_of_float64_values_below_its_range_says_so(rng):
    # 1e-300 is 0 in float32: the layer once read as "no varying feature (dead neurons?)"
    X, Y = rng.standard_normal((200, 5)), rng.standard_normal((200, 4))
    with pytest.raises(ValueError, match=r"X's values underflow float32: 5 column\(s\) lie below"):
        svcca.cca(X * 1e-300, Y, dtype=np.float32)
    assert svcca.cca(X * 1e-300, Y).similarity == pytest.approx(svcca.cca(X, Y).similarity, abs=1e-12)
