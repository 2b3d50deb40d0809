"""svcca.svcca: the keep rule, recorded dimensions, weights back on the features, and the
invariances SVCCA has (orthogonal maps, offsets) and deliberately lacks (neuron scales)."""

from __future__ import annotations

import numpy as np
import pytest

import svcca
from conftest import TOL64, principal_cosines
from svcca._svcca import svd_reduce


@pytest.fixture
def low_rank_plus_noise_views(rng):
    """Two layers driven by the same 5 latent signals (variance ~1 per neuron) plus
    isotropic noise of variance 1e-4: 5 directions hold > 99% of each layer's variance."""
    latent = rng.standard_normal((2000, 5))
    X = latent @ rng.standard_normal((5, 40)) + 0.01 * rng.standard_normal((2000, 40))
    Y = latent @ rng.standard_normal((5, 30)) + 0.01 * rng.standard_normal((2000, 30))
    return X, Y


def _dims_by_hand(X, keep):
    s = np.linalg.svd(X - X.mean(0), compute_uv=False)
    frac = np.cumsum(s**2) / np.sum(s**2)
    return int(np.argmax(frac >= keep)) + 1


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99, 0.999, 1.0])
def test_keep_fraction_is_the_smallest_count_reaching_it(low_rank_plus_noise_views, keep):
    X, Y = low_rank_plus_noise_views
    res = svcca.svcca(X, Y, keep=keep)
    assert res.x_dims == _dims_by_hand(X, keep)
    assert res.y_dims == _dims_by_hand(Y, keep)
    assert res.x_explained >= keep - 1e-12
    s = np.asarray(res.x_singular_values)
    assert np.sum(s[: res.x_dims - 1] ** 2) / np.sum(s**2) < keep  # one fewer is not enough
    assert res.n_components == min(res.x_dims, res.y_dims) and res.keep == keep


def test_paper_default_finds_the_shared_signal(low_rank_plus_noise_views):
    X, Y = low_rank_plus_noise_views
    res = svcca.svcca(X, Y)  # keep=0.99
    assert (res.x_dims, res.y_dims) == (5, 5)
    np.testing.assert_allclose(res.rho, 1.0, atol=1e-3)
    # negative control: without the SVD step, CCA also matches the 35 noise directions by chance
    assert svcca.cca(X, Y).similarity < 0.5


def test_n_components_is_a_count_capped_at_the_rank(rng):
    X = rng.standard_normal((300, 4)) @ rng.standard_normal((4, 12))  # rank 4
    Y = rng.standard_normal((300, 10))
    res = svcca.svcca(X, Y, n_components=3)
    assert (res.x_dims, res.y_dims) == (3, 3) and (res.keep, res.n_directions) == (None, 3)
    assert repr(res).startswith("SVCCAResult(similarity=") and "n_components=3" in repr(res)
    res = svcca.svcca(X, Y, n_components=8)
    assert (res.x_dims, res.y_dims) == (4, 8)  # X has only 4 directions that are not noise
    # 10 samples centred have rank 9; under an offset of 1e5 the 10th direction is rounding
    W, V = rng.standard_normal((10, 10)), rng.standard_normal((10, 10))
    with pytest.warns(svcca.SampleSizeWarning):
        res = svcca.svcca(W + 1e5, V, n_components=100)
    assert res.x_dims == res.x_rank == len(res.rho) == 9


def test_equals_cca_of_the_projected_layers(low_rank_plus_noise_views):
    X, Y = low_rank_plus_noise_views
    res = svcca.svcca(X, Y, n_components=7)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    Px = Xc @ np.linalg.svd(Xc, full_matrices=False)[2][:7].T
    Py = Yc @ np.linalg.svd(Yc, full_matrices=False)[2][:7].T
    np.testing.assert_allclose(res.rho, principal_cosines(Px, Py), atol=TOL64)


def test_weights_map_back_to_the_features(low_rank_plus_noise_views):
    X, Y = low_rank_plus_noise_views
    res = svcca.svcca(X, Y, n_components=6)
    assert res.x_weights.shape == (40, 6) and res.y_weights.shape == (30, 6)
    u, v = res.x_variates, res.y_variates
    n = X.shape[0]
    np.testing.assert_allclose(u, (X - res.x_mean) @ res.x_weights, atol=1e-12)
    np.testing.assert_allclose(u.T @ u / (n - 1), np.eye(6), atol=1e-9)
    np.testing.assert_allclose(u.T @ v / (n - 1), np.diag(res.rho), atol=1e-9)


def test_invariant_to_orthogonal_maps_and_offsets(low_rank_plus_noise_views, rng):
    X, Y = low_rank_plus_noise_views
    base = svcca.svcca(X, Y, keep=0.99)
    Q = np.linalg.qr(rng.standard_normal((40, 40)))[0]
    moved = svcca.svcca(X @ Q + 3.0, Y - 1.0, keep=0.99)
    assert moved.x_dims == base.x_dims
    np.testing.assert_allclose(moved.rho, base.rho, atol=1e-9)


def test_not_invariant_to_neuron_scales_negative_control(rng):
    # SVCCA measures variance on unscaled activations: blowing up a noise neuron makes
    # it a kept direction, unlike CCA, which is scale invariant
    latent = rng.standard_normal((1000, 2))
    X = np.hstack([latent @ rng.standard_normal((2, 6)), 0.01 * rng.standard_normal((1000, 4))])
    Y = np.hstack([latent @ rng.standard_normal((2, 5)), 3 * rng.standard_normal((1000, 4))])
    base = svcca.svcca(X, Y, keep=0.99)
    assert (base.x_dims, base.y_dims) == (2, 6) and base.similarity > 0.99
    scaled = X * np.r_[np.ones(6), 1e3 * np.ones(4)]
    moved = svcca.svcca(scaled, Y, keep=0.99)
    assert moved.x_dims == 6 and moved.similarity < 0.5  # X's noise neurons now count
    np.testing.assert_allclose(svcca.cca(scaled, Y).rho, svcca.cca(X, Y).rho, atol=1e-9)  # CCA: invariant


def test_constant_features_are_reported(low_rank_plus_noise_views):
    X, Y = low_rank_plus_noise_views
    Xd = np.insert(X, [1, 4], 0.0, axis=1)
    res = svcca.svcca(Xd, Y)
    np.testing.assert_array_equal(res.x_dropped, [1, 5])
    np.testing.assert_allclose(res.rho, svcca.svcca(X, Y).rho, atol=TOL64)
    assert np.all(res.x_weights[[1, 5]] == 0)


def test_svd_reduce_returns_the_projection(low_rank_plus_noise_views):
    X, _ = low_rank_plus_noise_views
    ops = svcca._backend.get_ops(X)
    mean, reduced, V, k, explained, s = svd_reduce(X, 0.99, ops)
    assert k == 5 and reduced.shape == (2000, 5) and V.shape == (40, 5)
    np.testing.assert_allclose(reduced, (X - mean) @ V, atol=1e-10)
    assert explained == pytest.approx(np.sum(s[:5] ** 2) / np.sum(s**2))


@pytest.mark.parametrize(
    ("keep", "error", "match"),
    [
        (0.0, ValueError, r"keep as a variance fraction must be in \(0, 1\]; got 0.0"),
        (1.5, ValueError, r"keep as a variance fraction must be in \(0, 1\]; got 1.5"),
        (True, TypeError, r"keep must be a float in \(0, 1\]; got True"),
        ("all", TypeError, r"keep must be a float in \(0, 1\]; got 'all'"),
        # keep=1 would read as one direction where keep=1.0 keeps all the variance: refused
        (
            1,
            ValueError,
            r"keep is a variance fraction in \(0, 1\]; got the int 1\. For a number of "
            r"directions pass n_components=1; for all the variance pass keep=1\.0",
        ),
        (np.int64(5), ValueError, r"pass n_components=5"),
        (0, ValueError, r"got the int 0\. For a number of directions pass n_components, a positive int;"),
    ],
)
def test_bad_keep(independent_views, keep, error, match):
    X, Y = independent_views
    with pytest.raises(error, match=match):
        svcca.svcca(X, Y, keep=keep)


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"n_components": 0}, ValueError, r"n_components as a number of directions must be >= 1; got 0"),
        ({"n_components": 0.5}, TypeError, r"n_components must be a positive int .*; got 0.5"),
        ({"keep": 0.9, "n_components": 2}, ValueError, r"pass keep \(a variance fraction\) or n_components"),
    ],
)
def test_bad_n_components(independent_views, kw, error, match):
    X, Y = independent_views
    with pytest.raises(error, match=match):
        svcca.svcca(X, Y, **kw)


def test_keep_one_float_keeps_all_the_variance(low_rank_plus_noise_views):
    X, Y = low_rank_plus_noise_views
    res = svcca.svcca(X, Y, keep=1.0)
    assert res.x_dims > 1 and res.keep == 1.0 and res.n_directions is None


def test_keep_one_float_stops_within_1e_12_of_all_the_variance(rng):
    """The documented limit: a direction with 1e-14 of the variance (relative singular value
    1e-7) is left out by keep=1.0 and kept by n_components."""
    a, b = rng.standard_normal((1000, 1)), rng.standard_normal((1000, 1))
    X, Y = np.hstack([a, 1e-7 * b]), b
    assert svcca.svcca(X, Y, keep=1.0).x_dims == 1
    res = svcca.svcca(X, Y, n_components=2)
    assert res.x_dims == 2 and res.similarity == pytest.approx(svcca.cca(X, Y).similarity, abs=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_keep_one_float_leaves_out_directions_of_rounding(rng, dtype):
    """A rank-5 layer of 10 features: its 5 other directions hold only rounding (1e-33 of
    the variance in float64, 1e-16 of float32 data), which keep=1.0 does not count, in PCA
    as in SVCCA."""
    X = (rng.standard_normal((500, 5)) @ rng.standard_normal((5, 10))).astype(dtype)
    res = svcca.pca(X, n_components=1.0)
    assert res.n_components == 5 and svcca.pca(X).n_components_for(1.0) == 5
    assert svcca.svcca(X, rng.standard_normal((500, 8)), keep=1.0).x_dims == 5


def test_repr_and_summaries(low_rank_plus_noise_views):
    res = svcca.svcca(*low_rank_plus_noise_views)
    assert repr(res).startswith("SVCCAResult(similarity=1.0000, keep=0.99, x_dims=5, y_dims=5")
    assert res.similarity == res.mean


def _svd_route(monkeypatch):
    """Force the reduction through the SVD of the data (the route the Gram route must match)."""
    import svcca._svcca as mod

    monkeypatch.setattr(mod, "_gram_reduction", lambda *args, **kwargs: None)


@pytest.mark.parametrize("offset", [0.0, 50.0, 1e4])
@pytest.mark.parametrize("keep", [{"keep": 0.9}, {"keep": 0.99}, {"n_components": 6}])
def test_gram_route_matches_the_svd_route_on_well_conditioned_data(rng, monkeypatch, offset, keep):
    # kept singular values spanning 10x, offsets small and large next to the spreads
    latent = rng.standard_normal((3000, 4))
    X = np.hstack([latent, rng.standard_normal((3000, 26))]) @ np.diag(np.logspace(0, -1, 30)) + offset
    X = X @ np.linalg.qr(rng.standard_normal((30, 30)))[0]
    Y = latent @ rng.standard_normal((4, 20)) + 0.5 * rng.standard_normal((3000, 20)) - offset
    res = svcca.svcca(X, Y, **keep)
    assert (res.x_algorithm, res.y_algorithm) == ("gram", "gram")
    _svd_route(monkeypatch)
    ref = svcca.svcca(X, Y, **keep)
    assert (ref.x_algorithm, ref.y_algorithm) == ("svd", "svd")
    assert (res.x_dims, res.y_dims) == (ref.x_dims, ref.y_dims)
    np.testing.assert_allclose(res.rho, ref.rho, rtol=0, atol=TOL64)
    assert res.x_explained == pytest.approx(ref.x_explained, abs=1e-12)
    k = res.x_dims
    np.testing.assert_allclose(res.x_singular_values[:k], ref.x_singular_values[:k], rtol=1e-10)
    # the same weights, with the same sign convention
    np.testing.assert_allclose(res.x_weights, ref.x_weights, rtol=0, atol=1e-8 * np.abs(ref.x_weights).max())
    np.testing.assert_allclose(res.y_weights, ref.y_weights, rtol=0, atol=1e-8 * np.abs(ref.y_weights).max())


def test_gram_route_steps_aside_where_it_cannot_resolve_the_kept_directions(rng, monkeypatch):
    # kept singular values spanning 1e4 (1e8 in the Gram matrix, past its 1e5 limit):
    # the eigenvectors of X^T X would be off by ~eps 1e8 ~ 1e-8 there, so the SVD is used
    n, p = 2000, 12
    X = (
        rng.standard_normal((n, p))
        @ np.diag(np.logspace(0, -4, p))
        @ np.linalg.qr(rng.standard_normal((p, p)))[0]
    )
    Y = X[:, :6] @ rng.standard_normal((6, 8)) + 1e-3 * rng.standard_normal((n, 8))
    res = svcca.svcca(X, Y, keep=1.0)
    assert res.x_algorithm == "svd" and res.x_dims == p
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    np.testing.assert_allclose(res.rho, principal_cosines(Xc, Yc)[: res.n_components], atol=1e-9)
    # negative control: the Gram route's directions are visibly less orthonormal there
    lam, V = np.linalg.eigh(Xc.T @ Xc)
    Z = Xc @ V / np.sqrt(lam)
    assert np.abs(Z.T @ Z - np.eye(p)).max() > 1e-10
    # and on the same data with a narrower kept spectrum the Gram route is taken again
    assert svcca.svcca(X, Y, keep=0.9).x_algorithm == "gram"


def test_gram_route_with_a_ridge_matches_the_svd_route(low_rank_plus_noise_views, monkeypatch):
    X, Y = low_rank_plus_noise_views
    res = svcca.svcca(X, Y, keep=0.999, epsilon=0.1)
    _svd_route(monkeypatch)
    ref = svcca.svcca(X, Y, keep=0.999, epsilon=0.1)
    assert res.x_algorithm == "gram" and ref.x_algorithm == "svd"
    np.testing.assert_allclose(res.rho, ref.rho, rtol=0, atol=TOL64)


def test_constant_features_found_from_the_gram_route_too(rng):
    # centred norms from the Gram matrix; a column whose mean dominates (q > 1e4) is measured
    # on the data: a tiny-spread column next to a large offset still counts as varying
    latent = rng.standard_normal((2000, 3))
    X = latent @ rng.standard_normal((3, 8)) + 0.01 * rng.standard_normal((2000, 8))
    X = np.hstack([X, np.full((2000, 1), 0.3), 1e-3 * rng.standard_normal((2000, 1)) + 0.5])
    res = svcca.svcca(X, latent, keep=0.99)
    assert res.x_algorithm == "gram"
    np.testing.assert_array_equal(res.x_dropped, [8])


@pytest.mark.parametrize("dtype", [None, np.float32])
def test_gram_route_finds_constant_features_without_another_copy_of_the_layer(rng, dtype, monkeypatch):
    # the Gram route's norms and moments decide; no rescaled copy of the layer is made, and
    # only the columns they cannot settle are compared entry by entry
    import svcca._cca as core

    def refuse(*args, **kwargs):
        raise AssertionError("a rescaled copy of the layer was made")

    latent = rng.standard_normal((3000, 3))
    X = latent @ rng.standard_normal((3, 8)) + 0.1 * rng.standard_normal((3000, 8)) + 2.0
    X = np.hstack([X, np.full((3000, 1), 0.5), np.zeros((3000, 1)), np.full((3000, 1), -1.5)])
    ref = svcca.svcca(X, latent, keep=0.99, dtype=dtype)
    monkeypatch.setattr(core, "_pow2_rescale", refuse)
    res = svcca.svcca(X, latent, keep=0.99, dtype=dtype)
    assert res.x_algorithm == "gram"
    np.testing.assert_array_equal(res.x_dropped, [8, 9, 10])
    np.testing.assert_array_equal(res.x_dropped, ref.x_dropped)
    assert res.similarity == ref.similarity


@pytest.mark.parametrize("backend", ["numpy", "torch", "streaming"])
def test_complex_input_keeping_every_direction_is_cca(rng, backend):
    # keeping every direction is an invertible map of each side, so SVCCA must equal CCA and
    # the principal angles; a real "sign" of a complex direction once shrank the basis
    n = 60
    X = rng.standard_normal((n, 4)) + 1j * rng.standard_normal((n, 4))
    Y = rng.standard_normal((n, 3)) + 0.5 * X[:, :3]
    ref = principal_cosines(X, Y)
    if backend == "streaming":
        from svcca.streaming import PairAccumulator

        res = PairAccumulator().update(X[:25], Y[:25]).update(X[25:], Y[25:]).svcca(keep=1.0)
    elif backend == "torch":
        torch = pytest.importorskip("torch")
        res = svcca.svcca(torch.from_numpy(X), torch.from_numpy(Y), keep=1.0)
    else:
        res = svcca.svcca(X, Y, keep=1.0)
    np.testing.assert_allclose(np.asarray(res.rho), ref, rtol=0, atol=TOL64)


@pytest.mark.parametrize("kw", [{"keep": 0.999999}, {"n_components": 190}])
def test_float32_keeps_the_directions_float64_keeps(rng, kw):
    # beyond float32's Gram limit the reduction is float64's, handed on in float32: a float32
    # SVD capped the directions at its rank, max(n, p) eps32 (122 of the 190 asked for, and
    # similarity 0.219 against float64's 0.160)
    n, p = 30000, 200
    Q = np.linalg.qr(rng.standard_normal((p, p)))[0]
    X = (rng.standard_normal((n, p)) * np.logspace(0, -4, p) @ Q + 3.0).astype(np.float32)
    Y = X[:, :20] @ rng.standard_normal((20, p)) * 0.1 + rng.standard_normal((n, p)) * np.logspace(0, -2, p)
    Y = Y.astype(np.float32)
    res, ref = svcca.svcca(X, Y, dtype=np.float32, **kw), svcca.svcca(X, Y, **kw)
    assert (res.x_dims, res.y_dims) == (ref.x_dims, ref.y_dims) and res.x_dims >= 150
    assert res.rho.dtype == res.x_weights.dtype == res.x_singular_values.dtype == np.float32
    assert res.similarity == pytest.approx(ref.similarity, abs=1e-6)
    np.testing.assert_allclose(res.rho, ref.rho, atol=1e-6)
    np.testing.assert_allclose(
        res.x_weights, ref.x_weights, rtol=1e-3, atol=1e-3 * np.abs(ref.x_weights).max()
    )
    grid = svcca.similarity_matrix([X, Y], measure="svcca", measure_options=kw, dtype=np.float32)
    assert grid.values[0, 1] == pytest.approx(ref.similarity, abs=1e-6)


@pytest.mark.parametrize("scale", [1e307, 1e-308])
def test_svcca_of_a_layer_at_the_ends_of_the_float64_range(rng, scale):
    # the reduced layer (U s, in the data's units) overflowed to inf at 1e307 ("contains NaN
    # or Inf") and underflowed at 1e-308 ("no varying feature"), where cca works: it is now
    # whitened scaled by a power of two, kept as the whitening's column scale
    X = rng.standard_normal((200, 5))
    Y = X[:, :3] @ rng.standard_normal((3, 4)) + rng.standard_normal((200, 4))
    ref, got = svcca.svcca(X, Y), svcca.svcca(X, Y * scale)
    assert got.similarity == pytest.approx(ref.similarity, abs=1e-12)
    np.testing.assert_allclose(got.y_weights * scale, ref.y_weights, rtol=1e-10, atol=0)
    np.testing.assert_allclose(got.y_variates, ref.y_variates, rtol=0, atol=1e-10)


def test_svcca_names_what_is_wrong(rng):
    X, Y = rng.standard_normal((50, 4)), rng.standard_normal((50, 3))
    with pytest.raises(ValueError, match=r"SVCCA needs at least 2 samples; got X.shape=\(1, 4\)"):
        svcca.svcca(X[:1], Y[:1])
    layers = {"a": X, "dead": np.zeros((50, 3))}
    with pytest.raises(ValueError, match=r"layers_a\['dead'\] has no varying feature"):
        svcca.similarity_matrix(layers, measure="svcca")
