"""svcca.pls: the SVD of the cross-covariance, for layers of any two widths."""

from __future__ import annotations

import numpy as np
import pytest

import svcca
from conftest import TOL64


@pytest.mark.parametrize(("n", "p", "q"), [(300, 8, 4), (300, 4, 8), (50, 70, 20), (200, 1, 5)])
def test_covariances_are_singular_values_of_the_cross_covariance(rng, n, p, q):
    X = rng.standard_normal((n, p))
    Y = np.hstack([X[:, :1] * 2.0, rng.standard_normal((n, q - 1))]) + 4.0
    res = svcca.pls(X, Y)
    cross = np.cov(X, Y, rowvar=False)[:p, p:]  # independent: numpy's covariance
    s = np.linalg.svd(cross, compute_uv=False)
    assert res.n_components == min(p, q)
    np.testing.assert_allclose(res.covariances, s, rtol=1e-10)
    assert res.x_weights.shape == (p, res.n_components) and res.y_weights.shape == (q, res.n_components)
    np.testing.assert_allclose(res.x_weights.T @ res.x_weights, np.eye(res.n_components), atol=TOL64)


def test_scores_pair_at_the_covariances_and_correlations(rng):
    X = rng.standard_normal((400, 6))
    Y = X[:, :3] @ rng.standard_normal((3, 5)) + 0.5 * rng.standard_normal((400, 5))
    res = svcca.pls(X, Y)
    xs, ys = res.x_scores, res.y_scores
    np.testing.assert_allclose(xs.T @ ys / 399, np.diag(res.covariances), atol=1e-10)
    corr = [np.corrcoef(xs[:, i], ys[:, i])[0, 1] for i in range(res.n_components)]
    np.testing.assert_allclose(res.correlations, corr, atol=TOL64)
    assert res.similarity == pytest.approx(np.mean(corr))
    np.testing.assert_allclose(xs, (X - res.x_mean) @ res.x_weights, atol=1e-12)
    assert res.explained_covariance_ratio.sum() == pytest.approx(1.0)
    W = res.x_weights
    assert np.all(W[np.abs(W).argmax(0), np.arange(W.shape[1])] > 0)  # sign convention


def test_invariant_to_rotations_and_offsets_not_to_neuron_scales(rng):
    X = rng.standard_normal((400, 6))
    Y = X[:, :2] @ rng.standard_normal((2, 4)) + rng.standard_normal((400, 4))
    base = svcca.pls(X, Y)
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    np.testing.assert_allclose(svcca.pls(X @ Q + 5.0, Y - 1.0).covariances, base.covariances, rtol=1e-10)
    # negative control: unlike CCA, PLS weighs neurons by their scale
    scaled = svcca.pls(X * np.r_[10.0, np.ones(5)], Y)
    assert abs(scaled.similarity - base.similarity) > 1e-2


def test_zero_covariance_pairs_are_dropped(rng):
    X = rng.standard_normal((200, 5))
    Y = X[:, :1]  # rank-one cross-covariance with any width of X
    res = svcca.pls(X, np.hstack([Y, 2 * Y]))
    assert res.n_components == 1
    # the x direction is Sigma_xx e_1 (not e_1), so the pair correlates below 1
    w = np.cov(X, rowvar=False)[:, 0]
    r = np.corrcoef(X @ w, Y[:, 0])[0, 1]
    assert res.correlations[0] == pytest.approx(r, abs=TOL64)


def test_n_components(rng):
    X, Y = rng.standard_normal((100, 6)), rng.standard_normal((100, 5))
    assert svcca.pls(X, Y, n_components=2).n_components == 2
    with pytest.raises(ValueError, match=r"n_components must be None or an int >= 1; got 0"):
        svcca.pls(X, Y, n_components=0)


def test_float32_on_request(rng):
    X, Y = rng.standard_normal((100, 6)), rng.standard_normal((100, 5))
    res = svcca.pls(X, Y, dtype=np.float32)
    assert res.covariances.dtype == np.float32
    np.testing.assert_allclose(res.covariances, svcca.pls(X, Y).covariances, rtol=1e-4)


def test_bad_input_names_both_shapes(rng):
    with pytest.raises(
        ValueError, match=r"same number of samples \(rows\); got X.shape=\(10, 2\), Y.shape=\(9, 2\)"
    ):
        svcca.pls(rng.standard_normal((10, 2)), rng.standard_normal((9, 2)))
    with pytest.raises(
        ValueError, match=r"PLS needs at least 2 samples; got X.shape=\(1, 2\), Y.shape=\(1, 3\)"
    ):
        svcca.pls(np.ones((1, 2)), np.ones((1, 3)))


@pytest.mark.parametrize("scale", [1e-160, 1e-85, 1e80, 1e160])
def test_extreme_scales(scale):
    # at 1e160 the cross-covariance overflowed and PLS returned 0
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 10))
    Y = X @ rng.standard_normal((10, 8)) + rng.standard_normal((200, 8))
    ref, res = svcca.pls(X, Y), svcca.pls(X * scale, Y)
    np.testing.assert_allclose(res.correlations, ref.correlations, atol=TOL64)
    np.testing.assert_allclose(res.covariances, ref.covariances * scale, rtol=1e-10)
    np.testing.assert_allclose(res.x_mean, ref.x_mean * scale, rtol=1e-10)


def test_constant_features_make_no_pair_of_rounding_noise(rng):
    # 0.1 repeated leaves rounding after centring: it made a PLS pair of correlation 2e-16
    Y = rng.standard_normal((300, 15))
    X = np.full((300, 20), 0.1)
    X[:, 0] = rng.standard_normal(300)
    res, ref = svcca.pls(X, Y), svcca.pls(X[:, :1], Y)
    assert res.n_components == 1
    np.testing.assert_allclose(res.similarity, ref.similarity, rtol=1e-12)
    np.testing.assert_array_equal(res.x_weights[1:], 0.0)


def test_explained_covariance_ratio_is_a_share_of_all_pairs(rng):
    # a share of ||Sigma_xy||_F^2 over every pair, also when n_components keeps fewer
    X = rng.standard_normal((300, 5))
    Y = X[:, :3] @ rng.standard_normal((3, 4)) + rng.standard_normal((300, 4))
    C = (X - X.mean(0)).T @ (Y - Y.mean(0)) / 299
    s = np.linalg.svd(C, compute_uv=False)
    full, one = svcca.pls(X, Y), svcca.pls(X, Y, n_components=1)
    np.testing.assert_allclose(full.explained_covariance_ratio, s**2 / np.sum(s**2), atol=1e-12)
    np.testing.assert_allclose(one.explained_covariance_ratio, s[:1] ** 2 / np.sum(s**2), atol=1e-12)
    from svcca.streaming import PairAccumulator

    streamed = PairAccumulator().update(X[:100], Y[:100]).update(X[100:], Y[100:]).pls(n_components=1)
    np.testing.assert_allclose(
        streamed.explained_covariance_ratio, one.explained_covariance_ratio, atol=1e-12
    )
    for bad, exc in ((2.7, TypeError), ("3", TypeError), (float("nan"), TypeError), (0, ValueError)):
        with pytest.raises(exc, match=r"n_components must be None or an int >= 1"):
            svcca.pls(X, Y, n_components=bad)


@pytest.mark.parametrize("streaming", [False, True])
def test_float32_input_of_a_rank_deficient_layer_gives_no_pairs_of_rounding(streaming):
    # X has rank 6 of 10: float32 input carries rounding that made two extra pairs of
    # covariance 1e-10 (8 pairs, 0.354 for float64's 6 and 0.458)
    from svcca.streaming import PairAccumulator

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6))
    X = np.hstack([X, X @ rng.standard_normal((6, 4))])
    Y = X[:, :3] @ rng.standard_normal((3, 8)) + rng.standard_normal((300, 8))
    ref = svcca.pls(X, Y)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    got = PairAccumulator().update(X32, Y32).pls() if streaming else svcca.pls(X32, Y32)
    assert got.n_components == ref.n_components == 6
    assert abs(got.similarity - ref.similarity) < 1e-5


def test_pls_of_layers_that_vary_only_within_their_rounding_is_refused_not_zero():
    # float32 layers near 1e8 come in steps of 8: every pair lay below the input's rounding,
    # and PLS returned similarity 0.0 with no component and no word
    rng = np.random.default_rng(17)
    X = rng.standard_normal((30, 3)) * [3.0, 2.0, 1.0]
    coarse = (X + 1e8).astype(np.float32)
    with pytest.raises(
        svcca.DegenerateLayerError, match=r"no PLS pair of X and Y lies above the input's own rounding"
    ):
        svcca.pls(coarse, X.astype(np.float32))
    assert svcca.pls(X.astype(np.float32), X.astype(np.float32)).n_components == 3  # resolved: kept


def test_each_side_is_held_to_its_own_rounding_and_each_column_to_its_size():
    # the floor was float32's for both sides whenever one was float32, and the layer's
    # largest column's for every direction: a float64 column varying by 1e-13 beside a
    # constant 0.61 was dropped, and with it the only pair (found by the fuzz)
    rng = np.random.default_rng(5)
    n = 40
    shared = rng.standard_normal(n)
    X = np.column_stack([np.full(n, -0.61), 1e-13 * shared])
    Y = (shared + 0.3 * rng.standard_normal(n))[:, None].astype(np.float32)
    wide = svcca.pls(X, Y.astype(np.float64))
    mixed = svcca.pls(X, Y)
    assert mixed.n_components == wide.n_components == 1
    assert mixed.similarity == pytest.approx(wide.similarity, abs=1e-6)
    # the same small column stored in float32 is resolved too: its entries round to
    # 1e-7 of their own size, not of the constant column's
    small32 = svcca.pls(X.astype(np.float32), Y)
    assert small32.n_components == 1 and small32.similarity == pytest.approx(wide.similarity, abs=1e-5)


def test_streaming_pls_refuses_layers_below_their_rounding_as_pls_does():
    # the refusal lived in svcca.pls only: the streaming PLS of the same data returned 0.0
    from svcca.streaming import PairAccumulator

    rng = np.random.default_rng(17)
    X = rng.standard_normal((30, 3)) * [3.0, 2.0, 1.0]
    coarse, Y = (X + 1e8).astype(np.float32), X.astype(np.float32)
    acc = PairAccumulator().update(coarse[:15], Y[:15]).update(coarse[15:], Y[15:])
    with pytest.raises(svcca.DegenerateLayerError, match="above the input's own rounding"):
        acc.pls()
    with pytest.raises(svcca.DegenerateLayerError, match="above the input's own rounding"):
        svcca.pls(coarse, Y)
