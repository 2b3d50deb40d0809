"""Tests of svcca.legacy, the drop-in for the original SVCCA code (NEURONS x DATAPOINTS).

"Same numbers as the original" is checked against a test oracle written here from the
original algorithm's description (not its code): sample covariances, each layer divided by
its largest neuron variance, neurons below ``epsilon`` of it dropped, a ridge ``epsilon``,
inverse square roots by eigendecomposition, the SVD of the whitened cross-covariance and
the truncated mean. The oracle is only valid on well-posed input (full rank, no constant
neuron), which is exactly where the original computes correctly. The cases where the
original crashed or returned NaN are tested for working, or for a clear error.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import svcca
from svcca import legacy

REF = Path(__file__).resolve().parents[1].parent / "shared" / "reference_activations"

# float64 tolerances. The oracle goes through covariances (condition number squared), so
# vectors and inverse square roots agree to ~cond^2 * eps; correlations to ~1e-12.
RHO_TOL = 1e-10
VEC_TOL = 1e-7

# The keys, in order, that the original get_cca_similarity returns.
ORIGINAL_COEF_KEYS = [
    "coef_x",
    "invsqrt_xx",
    "full_coef_x",
    "full_invsqrt_xx",
    "coef_y",
    "invsqrt_yy",
    "full_coef_y",
    "full_invsqrt_yy",
    "neuron_means1",
    "neuron_means2",
]
ORIGINAL_SUMMARY_KEYS = ["cca_coef1", "cca_coef2", "x_idxs", "y_idxs", "mean", "sum"]


# ------------------------------------------------------------------------ the test oracle
def oracle_cca(acts1, acts2, epsilon=0.0, threshold=0.98):
    """TEST ORACLE (well-posed input only): the original get_cca_similarity's math, restated."""
    n_dp = acts1.shape[1]
    mu1 = acts1.mean(axis=1, keepdims=True)
    mu2 = acts2.mean(axis=1, keepdims=True)
    d1, d2 = acts1 - mu1, acts2 - mu2
    s11, s22, s12 = d1 @ d1.T / (n_dp - 1), d2 @ d2.T / (n_dp - 1), d1 @ d2.T / (n_dp - 1)
    big1, big2 = np.abs(s11).max(), np.abs(s22).max()
    keep1 = np.diag(s11) / big1 >= epsilon
    keep2 = np.diag(s22) / big2 >= epsilon
    c11 = s11[np.ix_(keep1, keep1)] / big1 + epsilon * np.eye(keep1.sum())
    c22 = s22[np.ix_(keep2, keep2)] / big2 + epsilon * np.eye(keep2.sum())
    c12 = s12[np.ix_(keep1, keep2)] / np.sqrt(big1 * big2)

    def inv_half(c):
        lam, vecs = np.linalg.eigh(c)
        assert lam.min() > 1e-8 * lam.max(), "the oracle needs well-posed input"
        return (vecs / np.sqrt(lam)) @ vecs.T

    w1, w2 = inv_half(c11), inv_half(c22)
    left, rho, right_t = np.linalg.svd(w1 @ c12 @ w2)
    total = rho.sum()
    cut = next((i for i in range(rho.size) if rho[:i].sum() / total >= threshold), rho.size)
    return {
        "rho": rho, "mean": rho[:cut].mean(), "keep1": keep1, "keep2": keep2, "w1": w1, "w2": w2,
        "left": left, "right_t": right_t, "mu1": mu1, "mu2": mu2,
    }  # fmt: skip


def oracle_pwcca(acts1, acts2, epsilon=0.0):
    """TEST ORACLE: the original compute_pwcca's weighting, with numpy's singular-vector signs
    as the original had them (and its second-layer branch fixed to use acts2)."""
    o = oracle_cca(acts1, acts2, epsilon)
    if o["keep1"].sum() <= o["keep2"].sum():
        rows, acts, keep, mu = o["left"].T, acts1, o["keep1"], o["mu1"]
    else:
        rows, acts, keep, mu = o["right_t"], acts2, o["keep2"], o["mu2"]
    weights = _projection_weights(rows, acts[keep], mu[keep])
    return float(weights @ o["rho"]), weights, o["rho"]


def _projection_weights(rows, kept_acts, kept_means):
    """The original's weights: rotate the centred neurons, add each row's neuron mean back,
    orthonormalise in order, sum |projections| of the uncentred neurons, normalise."""
    rotated = rows @ (kept_acts - kept_means) + kept_means
    basis, _ = np.linalg.qr(rotated.T)
    weights = np.abs(basis.T @ kept_acts.T).sum(axis=1)
    return weights / weights.sum()


def oracle_pls(acts1, acts2):
    """TEST ORACLE: SVD of the sample cross-covariance, per-neuron centring."""
    d1 = acts1 - acts1.mean(axis=1, keepdims=True)
    d2 = acts2 - acts2.mean(axis=1, keepdims=True)
    return np.linalg.svd(d1 @ d2.T / (acts1.shape[1] - 1), full_matrices=False)


def assert_rows_equal_up_to_sign(a, b, atol):
    """Rows of a and b agree up to one sign per row."""
    signs = np.sign(np.sum(a * b, axis=1))
    signs[signs == 0] = 1.0
    np.testing.assert_allclose(a, b * signs[:, None], atol=atol)


# --------------------------------------------------------------------------- fixtures
def shared_signal_layers(p, q, n=600, shared=4, seed=0, low_variance=()):
    """Two well-posed layers (neurons x datapoints) sharing a ``shared``-dim signal, with
    offsets and unequal scales; neurons in ``low_variance`` of acts1 are scaled by 1e-4."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((shared, n))
    acts1 = rng.standard_normal((p, shared)) @ z + rng.standard_normal((p, n))
    acts2 = rng.standard_normal((q, shared)) @ z + rng.standard_normal((q, n))
    acts1 = acts1 * rng.uniform(0.5, 3.0, (p, 1)) + rng.normal(2.0, 1.0, (p, 1))
    acts2 = acts2 * rng.uniform(0.5, 3.0, (q, 1)) + rng.normal(-1.0, 1.0, (q, 1))
    for i in low_variance:
        acts1[i] = 1e-4 * (acts1[i] - acts1[i].mean()) + acts1[i].mean()
    return acts1, acts2


def _quiet(acts1, acts2, **kw):
    return legacy.get_cca_similarity(acts1, acts2, verbose=False, **kw)


# ---------------------------------------------------------- same numbers as the original
WELL_POSED = [
    pytest.param(8, 12, 0.0, (), id="narrow-first"),
    pytest.param(12, 8, 0.0, (), id="wide-first"),
    pytest.param(10, 10, 1e-6, (2, 7), id="epsilon-drops-two"),
    pytest.param(15, 25, 1e-3, (0,), id="epsilon-drops-first"),
    pytest.param(6, 9, 1e-2, (), id="epsilon-ridge-only"),
]


@pytest.mark.parametrize(("p", "q", "epsilon", "low"), WELL_POSED)
def test_cca_matches_original_math_on_well_posed_input(p, q, epsilon, low):
    acts1, acts2 = shared_signal_layers(p, q, low_variance=low)
    o = oracle_cca(acts1, acts2, epsilon)
    res = _quiet(acts1, acts2, epsilon=epsilon, compute_dirns=True)

    np.testing.assert_array_equal(res["x_idxs"], o["keep1"])
    np.testing.assert_array_equal(res["y_idxs"], o["keep2"])
    assert res["x_idxs"].sum() == p - len(low) and res["y_idxs"].all()
    np.testing.assert_allclose(res["cca_coef1"], o["rho"], atol=RHO_TOL)
    assert res["cca_coef2"] is res["cca_coef1"]
    np.testing.assert_allclose(res["mean"], (o["mean"], o["mean"]), atol=RHO_TOL)
    np.testing.assert_allclose(res["sum"], (o["rho"].sum(),) * 2, atol=RHO_TOL)
    np.testing.assert_allclose(res["invsqrt_xx"], o["w1"], rtol=VEC_TOL, atol=VEC_TOL)
    np.testing.assert_allclose(res["invsqrt_yy"], o["w2"], rtol=VEC_TOL, atol=VEC_TOL)
    np.testing.assert_allclose(res["neuron_means1"], o["mu1"], atol=1e-12)
    np.testing.assert_allclose(res["neuron_means2"], o["mu2"], atol=1e-12)

    # paired singular vectors: equal with their signs (numpy's, as the original's)
    k = o["rho"].size
    np.testing.assert_allclose(res["coef_x"][:k], o["left"].T[:k], atol=VEC_TOL)
    np.testing.assert_allclose(res["coef_y"][:k], o["right_t"][:k], atol=VEC_TOL)
    # the unpaired rows of the wider side span the same complement (its basis is arbitrary)
    for mine, theirs in ((res["coef_x"][k:], o["left"].T[k:]), (res["coef_y"][k:], o["right_t"][k:])):
        np.testing.assert_allclose(mine.T @ mine, theirs.T @ theirs, atol=VEC_TOL)
    for name, small, full, keep in (
        ("x", "coef_x", "full_coef_x", o["keep1"]),
        ("y", "coef_y", "full_coef_y", o["keep2"]),
    ):
        assert res[full].shape == (keep.size, keep.size), name
        np.testing.assert_array_equal(res[full][np.ix_(keep, keep)], res[small])
        assert not res[full][~keep].any() and not res[full][:, ~keep].any()
    np.testing.assert_array_equal(res["full_invsqrt_xx"][np.ix_(o["keep1"], o["keep1"])], res["invsqrt_xx"])

    # canonical directions: full_coef @ full_invsqrt @ centred, plus each row's neuron mean
    for got, rows, w, keep, mu, acts in (
        (res["cca_dirns1"], o["left"].T, o["w1"], o["keep1"], o["mu1"], acts1),
        (res["cca_dirns2"], o["right_t"], o["w2"], o["keep2"], o["mu2"], acts2),
    ):
        want = (rows[:k] @ w) @ (acts[keep] - mu[keep]) + mu[keep][:k]
        np.testing.assert_allclose(got[keep][:k], want, atol=VEC_TOL * np.abs(want).max())
        np.testing.assert_allclose(got[~keep], np.broadcast_to(mu[~keep], got[~keep].shape))


def test_canonical_directions_have_the_originals_scale():
    # covariance of the directions = the layer's largest neuron variance times I (the
    # original's rescaling), so their correlations are the canonical correlations
    acts1, acts2 = shared_signal_layers(6, 9, seed=3)
    res = _quiet(acts1, acts2, compute_dirns=True)
    d1, d2 = res["cca_dirns1"], res["cca_dirns2"]
    cov1 = np.cov(d1)
    np.testing.assert_allclose(cov1, np.cov(acts1).diagonal().max() * np.eye(6), atol=1e-8 * cov1.max())
    corr = np.corrcoef(d1, d2[:6])[:6, 6:].diagonal()
    np.testing.assert_allclose(corr, res["cca_coef1"], atol=RHO_TOL)


def test_epsilon_is_relative_to_the_largest_neuron_variance():
    acts1, acts2 = shared_signal_layers(8, 10, seed=17)
    base = _quiet(acts1, acts2, epsilon=1e-2)
    # scaling a whole layer changes nothing: the rule and the ridge are relative
    scaled = _quiet(acts1 * 1e6, acts2 * 1e-6, epsilon=1e-2)
    np.testing.assert_array_equal(scaled["x_idxs"], base["x_idxs"])
    np.testing.assert_allclose(scaled["cca_coef1"], base["cca_coef1"], atol=RHO_TOL)
    assert base["x_idxs"].all()
    # negative control: one loud neuron raises the bar for all the others
    loud = acts1.copy()
    loud[0] = 100 * (loud[0] - loud[0].mean())
    res = _quiet(loud, acts2, epsilon=1e-2)
    assert res["x_idxs"][0] and not res["x_idxs"][1:].any()


@pytest.mark.parametrize("threshold", [0.5, 0.9, 0.98, 1.0])
def test_truncated_mean_follows_the_originals_cut(threshold):
    acts1, acts2 = shared_signal_layers(10, 14, seed=1)
    res = _quiet(acts1, acts2, threshold=threshold)
    o = oracle_cca(acts1, acts2, threshold=threshold)
    np.testing.assert_allclose(res["mean"][0], o["mean"], atol=RHO_TOL)


def test_sum_threshold_is_the_first_prefix_reaching_the_threshold():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = np.sort(rng.uniform(0, 1, rng.integers(1, 40)))[::-1]
        t = rng.uniform(0.01, 1.0)
        want = next((i for i in range(a.size) if a[:i].sum() / a.sum() >= t), a.size)
        assert legacy.sum_threshold(a, t) == want
    assert legacy.sum_threshold([0.5, 0.5], 1.0) == 2  # the original's None: the whole array
    assert legacy.sum_threshold([0.0, 0.0], 0.98) == 2
    assert legacy.sum_threshold([0.9, 0.1], 0.0) == 0
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]; got 1.5"):
        legacy.sum_threshold([1.0], 1.5)


@pytest.mark.parametrize(("compute_coefs", "compute_dirns"), [(True, False), (False, False), (True, True)])
def test_returns_the_originals_keys_in_order(compute_coefs, compute_dirns):
    acts1, acts2 = shared_signal_layers(5, 7)
    res = _quiet(acts1, acts2, compute_coefs=compute_coefs, compute_dirns=compute_dirns)
    want = (ORIGINAL_COEF_KEYS if compute_coefs else []) + ORIGINAL_SUMMARY_KEYS
    want += ["cca_dirns1", "cca_dirns2"] if compute_dirns else []
    assert list(res) == want
    assert isinstance(res["mean"], tuple) and isinstance(res["sum"], tuple)
    shapes = {k: np.shape(v) for k, v in res.items()}
    if compute_coefs:
        assert shapes["coef_x"] == shapes["invsqrt_xx"] == shapes["full_coef_x"] == (5, 5)
        assert shapes["coef_y"] == shapes["invsqrt_yy"] == shapes["full_invsqrt_yy"] == (7, 7)
        assert shapes["neuron_means1"] == (5, 1) and shapes["neuron_means2"] == (7, 1)
    assert shapes["cca_coef1"] == (5,) and shapes["x_idxs"] == (5,) and shapes["y_idxs"] == (7,)
    if compute_dirns:
        assert shapes["cca_dirns1"] == (5, 600) and shapes["cca_dirns2"] == (7, 600)


def test_directions_without_coefficients_work():
    # the original raised KeyError for compute_coefs=False, compute_dirns=True
    acts1, acts2 = shared_signal_layers(5, 7)
    full = _quiet(acts1, acts2, compute_dirns=True)
    bare = _quiet(acts1, acts2, compute_coefs=False, compute_dirns=True)
    np.testing.assert_array_equal(bare["cca_dirns1"], full["cca_dirns1"])
    assert "coef_x" not in bare


# ---------------------------------------------------------------------------- PWCCA
@pytest.mark.parametrize(("p", "q", "epsilon", "low"), WELL_POSED)
def test_pwcca_matches_original_weighting(p, q, epsilon, low):
    acts1, acts2 = shared_signal_layers(p, q, low_variance=low, seed=2)
    value, weights, coefs = legacy.compute_pwcca(acts1, acts2, epsilon=epsilon)
    want_value, want_weights, want_coefs = oracle_pwcca(acts1, acts2, epsilon)
    np.testing.assert_allclose(coefs, want_coefs, atol=RHO_TOL)
    np.testing.assert_allclose(weights, want_weights, atol=VEC_TOL)
    np.testing.assert_allclose(value, want_value, atol=VEC_TOL)
    assert weights.shape == coefs.shape and np.isclose(weights.sum(), 1.0)


def test_original_weighting_depends_on_singular_vector_signs_only_with_offsets():
    # Why legacy reproduces numpy's singular-vector signs: adding the neuron means back to
    # the rotated rows makes a row's sign matter. Flipping one row leaves centred layers
    # unchanged ...
    acts1, acts2 = shared_signal_layers(9, 13, seed=4)
    o = oracle_cca(acts1, acts2)
    rows = o["left"].T
    flipped = rows * np.where(np.arange(9) == 1, -1.0, 1.0)[:, None]
    zero = np.zeros((9, 1))
    centred = acts1 - o["mu1"]
    np.testing.assert_allclose(
        _projection_weights(rows, centred, zero), _projection_weights(flipped, centred, zero), atol=1e-12
    )
    # ... but not layers with offsets (negative control)
    a = _projection_weights(rows, acts1, o["mu1"])
    b = _projection_weights(flipped, acts1, o["mu1"])
    assert np.abs(a - b).max() > 1e-4


def test_pwcca_when_the_second_layer_keeps_fewer_neurons():
    # The original indexed acts1 with the second layer's mask here: IndexError.
    acts1, acts2 = shared_signal_layers(12, 7, seed=5)
    value, weights, coefs = legacy.compute_pwcca(acts1, acts2)
    want_value, want_weights, _ = oracle_pwcca(acts1, acts2)
    assert weights.shape == (7,)
    np.testing.assert_allclose(weights, want_weights, atol=VEC_TOL)
    np.testing.assert_allclose(value, want_value, atol=VEC_TOL)
    # the weighting layer is the narrower one whichever argument it is: on centred layers
    # (where the signs do not matter) swapping the arguments gives the same value
    c1 = acts1 - acts1.mean(axis=1, keepdims=True)
    c2 = acts2 - acts2.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(legacy.compute_pwcca(c2, c1)[0], legacy.compute_pwcca(c1, c2)[0], atol=VEC_TOL)


def test_pwcca_when_equal_widths_but_the_second_layer_keeps_fewer():
    # The original silently weighted with acts1's rows here (a wrong number, no error).
    low, other = shared_signal_layers(10, 10, low_variance=(2, 7), seed=16)
    acts1, acts2 = other, low  # acts2 loses two neurons to epsilon
    value, weights, _ = legacy.compute_pwcca(acts1, acts2, epsilon=1e-6)
    want_value, want_weights, _ = oracle_pwcca(acts1, acts2, epsilon=1e-6)
    assert weights.shape == (8,)
    np.testing.assert_allclose(weights, want_weights, atol=VEC_TOL)
    np.testing.assert_allclose(value, want_value, atol=VEC_TOL)


def test_pwcca_on_whitened_centred_layer_is_the_papers_pwcca():
    # When the weighting layer is centred with identity covariance, the original's rotated
    # neurons are the canonical variates, so it agrees with svcca.pwcca (the paper's form).
    acts1, acts2 = shared_signal_layers(6, 10, seed=6)
    c = acts1 - acts1.mean(axis=1, keepdims=True)
    lam, vecs = np.linalg.eigh(np.cov(c))
    white = (vecs / np.sqrt(lam)) @ vecs.T @ c
    value = legacy.compute_pwcca(white, acts2)[0]
    modern = svcca.pwcca(white.T, acts2.T, side="x")
    np.testing.assert_allclose(value, modern.similarity, atol=VEC_TOL)
    # negative control: on the raw layer the two definitions differ
    assert abs(legacy.compute_pwcca(acts1, acts2)[0] - svcca.pwcca(acts1.T, acts2.T).similarity) > 1e-4


def test_pwcca_on_a_rank_deficient_layer_gives_null_directions_no_weight():
    acts1, acts2 = shared_signal_layers(8, 12, seed=7)
    acts1 = np.vstack([acts1, acts1[:2] + acts1[2:4]])  # 10 neurons, rank 8
    value, weights, coefs = legacy.compute_pwcca(acts1, acts2)
    assert np.isfinite(value) and weights.shape == (10,)
    np.testing.assert_array_equal(weights[8:], 0.0)
    np.testing.assert_array_equal(coefs[8:], 0.0)
    np.testing.assert_allclose(weights.sum(), 1.0)


# ----------------------------------------------------------- agreement with modern API
def test_agrees_with_modern_cca_samples_first():
    acts1, acts2 = shared_signal_layers(10, 16, seed=8)
    res = _quiet(acts1, acts2)
    modern = svcca.cca(acts1.T, acts2.T)
    np.testing.assert_allclose(res["cca_coef1"], modern.rho, atol=RHO_TOL)
    np.testing.assert_allclose(res["mean"][0], modern.truncated_mean(0.98), atol=RHO_TOL)


def test_pca_matches_per_neuron_centred_svd_and_modern_pca():
    acts = shared_signal_layers(7, 3, seed=9)[0]
    res = legacy.get_pca(acts, compute_dirns=True)
    centred = acts - acts.mean(axis=1, keepdims=True)
    U, S, _ = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(res["eigenvals"], S, rtol=1e-12)
    np.testing.assert_allclose(res["neuron_coefs"], U.T, atol=1e-12)
    np.testing.assert_allclose(res["pca_dirns"], U.T @ centred + res["neuron_means"], atol=1e-9)
    modern = svcca.pca(acts.T)
    np.testing.assert_allclose(res["eigenvals"], modern.singular_values, rtol=1e-12)
    assert_rows_equal_up_to_sign(res["neuron_coefs"], modern.components, 1e-10)
    assert list(res) == ["eigenvals", "neuron_coefs", "neuron_means", "pca_dirns"]
    assert "pca_dirns" not in legacy.get_pca(acts)


@pytest.mark.parametrize(("p", "q"), [(6, 6), (9, 4), (4, 9)])
def test_pls_matches_cross_covariance_svd_for_any_widths(p, q):
    # unequal widths: the original's pls_dirns could not add the neuron means and crashed
    acts1, acts2 = shared_signal_layers(p, q, seed=10)
    res = legacy.get_pls_similarity(acts1, acts2)
    U, S, Vh = oracle_pls(acts1, acts2)
    k = min(p, q)
    np.testing.assert_allclose(res["eigenvals"], S, rtol=1e-12)
    np.testing.assert_allclose(res["neuron_coeffs1"], U.T, atol=1e-10)
    np.testing.assert_allclose(res["neuron_coeffs2"], Vh, atol=1e-10)
    assert res["pls_dirns1"].shape == res["pls_dirns2"].shape == (k, acts1.shape[1])
    scores = res["pls_dirns1"] - res["neuron_means1"][:k]
    np.testing.assert_allclose(scores, res["neuron_coeffs1"] @ (acts1 - res["neuron_means1"]), atol=1e-9)
    # the covariance of each pair of projections is its eigenval
    d1, d2 = res["pls_dirns1"], res["pls_dirns2"]
    np.testing.assert_allclose(np.cov(d1, d2)[:k, k:].diagonal(), S, rtol=1e-9)
    np.testing.assert_allclose(res["eigenvals"], svcca.pls(acts1.T, acts2.T).covariances, rtol=1e-10)
    assert "pls_dirns1" not in legacy.get_pls_similarity(acts1, acts2, compute_dirns=False)


def test_cca_is_invariant_to_neuron_scale_and_offset_but_pls_is_not():
    acts1, acts2 = shared_signal_layers(6, 8, seed=11)
    rng = np.random.default_rng(0)
    mix = rng.standard_normal((8, 8)) + 3 * np.eye(8)  # invertible
    moved = mix @ acts2 * 1e3 + 7.0
    a = _quiet(acts1, acts2)["cca_coef1"]
    b = _quiet(acts1, moved)["cca_coef1"]
    np.testing.assert_allclose(a, b, atol=1e-9)
    # negative control: PLS depends on the scale of the neurons
    pa = legacy.get_pls_similarity(acts1, acts2)["eigenvals"]
    pb = legacy.get_pls_similarity(acts1, moved)["eigenvals"]
    assert not np.allclose(pa, pb, rtol=1e-2)


# ------------------------------------------------------ where the original broke: works
def test_ill_conditioned_layer_stays_accurate_against_principal_angles():
    # neuron scales from 1 to 1e-6 (condition number ~1e6): the covariance path of the
    # original squares it and loses digits; legacy whitens by SVD of the data
    from scipy.linalg import subspace_angles

    acts1, acts2 = shared_signal_layers(8, 10, seed=15)
    acts1 = acts1 * np.logspace(0, -6, 8)[:, None]
    rho = _quiet(acts1, acts2)["cca_coef1"]
    c1 = (acts1 - acts1.mean(axis=1, keepdims=True)).T
    c2 = (acts2 - acts2.mean(axis=1, keepdims=True)).T
    truth = np.sort(np.cos(subspace_angles(c1, c2)))[::-1]
    np.testing.assert_allclose(rho, truth, atol=RHO_TOL)


def test_rank_deficient_layer_gives_zeros_not_nan():
    acts1, acts2 = shared_signal_layers(8, 12, seed=12)
    acts1 = np.vstack([acts1, acts1[:3] - 2 * acts1[3:6]])  # 11 neurons of rank 8
    res = _quiet(acts1, acts2, compute_dirns=True)
    rho = res["cca_coef1"]
    assert rho.shape == (11,) and all(np.isfinite(v).all() for v in res.values() if isinstance(v, np.ndarray))
    np.testing.assert_allclose(rho[:8], svcca.cca(acts1.T, acts2.T).rho, atol=RHO_TOL)
    np.testing.assert_array_equal(rho[8:], 0.0)
    # the null directions of the layer get zero inverse square root (pinv semantics)
    null = np.linalg.svd(np.cov(acts1))[0][:, 8:]
    np.testing.assert_allclose(res["invsqrt_xx"] @ null, 0.0, atol=1e-8)
    np.testing.assert_allclose(res["coef_x"] @ res["coef_x"].T, np.eye(11), atol=1e-12)
    np.testing.assert_allclose(res["mean"][0], rho[: legacy.sum_threshold(rho, 0.98)].mean())


def test_constant_neuron_keeps_its_index_and_contributes_nothing():
    acts1, acts2 = shared_signal_layers(6, 9, seed=13)
    dead = np.vstack([acts1[:2], np.full((1, acts1.shape[1]), 0.3), acts1[2:]])  # neuron 2 is dead
    res = _quiet(dead, acts2)
    assert res["x_idxs"].all()  # epsilon=0 keeps every neuron, as the original did
    np.testing.assert_allclose(res["cca_coef1"][:6], _quiet(acts1, acts2)["cca_coef1"], atol=RHO_TOL)
    assert res["cca_coef1"][6] == 0.0
    assert not res["invsqrt_xx"][2].any() and not res["invsqrt_xx"][:, 2].any()
    # with the tutorials' epsilon=1e-10 the dead neuron is dropped instead
    res = _quiet(dead, acts2, epsilon=1e-10)
    assert not res["x_idxs"][2] and res["x_idxs"].sum() == 6
    np.testing.assert_allclose(
        res["cca_coef1"], _quiet(acts1, acts2, epsilon=1e-10)["cca_coef1"], atol=RHO_TOL
    )


def test_second_layer_wider_than_the_datapoints_works_and_warns():
    rng = np.random.default_rng(14)
    acts1 = rng.standard_normal((5, 40))
    acts2 = rng.standard_normal((60, 40))  # more neurons than datapoints: rank 39
    with pytest.warns(svcca.SampleSizeWarning, match="exactly 1 whatever the data"):
        res = _quiet(acts1, acts2)
    np.testing.assert_allclose(res["cca_coef1"], 1.0, atol=1e-10)
    assert res["coef_y"].shape == (60, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _quiet(acts1, acts2, warn=False)


def test_epsilon_above_one_returns_the_originals_zero_dict():
    acts1, acts2 = shared_signal_layers(4, 5)
    res = _quiet(acts1, acts2, epsilon=2.0, compute_dirns=True)
    assert list(res)[:6] == ["mean", "sum", "cca_coef1", "cca_coef2", "idx1", "idx2"]
    assert float(res["mean"][0]) == 0.0 and res["cca_dirns1"].shape == (1, 600)
    assert not res["x_idxs"].any()
    with pytest.raises(ValueError, match=r"no neuron of one layer has variance >= epsilon=2\.0"):
        legacy.compute_pwcca(acts1, acts2, epsilon=2.0)


# ---------------------------------------------------------- bad input: clear errors
_TRANSPOSED = r"fewer neurons than datapoints, as in the original code; got acts1.shape=\(600, 4\)"
_DATAPOINTS = r"same number of datapoints .* got acts1.shape=\(4, 600\), acts2.shape=\(5, 599\)"
_ONE_D = r"acts1 must be 2-D .*one neuron\? use acts.reshape\(1, -1\)"
_DEAD = r"acts1 has no varying neuron: all 4 neurons are constant"


@pytest.mark.parametrize(
    ("acts1", "acts2", "exc", "match"),
    [
        (np.ones((600, 4)), np.ones((600, 5)), ValueError, _TRANSPOSED),
        (np.ones((4, 600)), np.ones((5, 599)), ValueError, _DATAPOINTS),
        (np.ones(600), np.ones((5, 600)), ValueError, _ONE_D),
        (np.ones((4, 0)), np.ones((5, 0)), ValueError, r"acts1 is empty"),
        (np.full((4, 600), np.nan), np.ones((5, 600)), ValueError, r"acts1 contains NaN or Inf"),
        (np.ones((4, 600), dtype=complex), np.ones((5, 600)), TypeError, r"acts1 is complex"),
        (np.array([["a"] * 9] * 2), np.ones((5, 9)), TypeError, r"acts1 must hold numbers"),
        (np.ones((4, 600)), np.ones((5, 600)), ValueError, _DEAD),
    ],
    ids=["transposed", "datapoints", "1-D", "empty", "nan", "complex", "strings", "all-constant"],
)
def test_bad_input_raises_a_clear_error(acts1, acts2, exc, match):
    with pytest.raises(exc, match=match):
        _quiet(acts1, acts2)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"threshold": 0.0}, r"threshold must be in \(0, 1\].*got 0.0"),
        ({"threshold": 1.5}, r"threshold must be in \(0, 1\].*got 1.5"),
        ({"epsilon": -1e-3}, r"epsilon must be a finite number >= 0; got -0.001"),
    ],
)
def test_bad_options_raise_a_clear_error(kw, match):
    acts1, acts2 = shared_signal_layers(3, 4)
    with pytest.raises(ValueError, match=match):
        _quiet(acts1, acts2, **kw)


def test_pca_and_pls_check_their_input():
    with pytest.raises(
        ValueError, match=r"acts must be .*fewer neurons than datapoints.*got acts.shape=\(50, 5\)"
    ):
        legacy.get_pca(np.ones((50, 5)))
    with pytest.raises(ValueError, match=r"same number of datapoints"):
        legacy.get_pls_similarity(np.ones((3, 50)), np.ones((3, 49)))


# ---------------------------------------------------------------- printing, aliases
def test_verbose_prints_by_default_like_the_original(capsys):
    acts1, acts2 = shared_signal_layers(3, 4)
    legacy.get_cca_similarity(acts1, acts2)
    assert "svcca.legacy: CCA of 3 x 600 and 4 x 600" in capsys.readouterr().out
    legacy.get_cca_similarity(acts1, acts2, verbose=False)
    legacy.compute_pwcca(acts1, acts2)
    svcca.cca(acts1.T, acts2.T)
    assert capsys.readouterr().out == ""


def test_robust_cca_similarity_is_plain_cca_with_its_defaults(capsys):
    acts1, acts2 = shared_signal_layers(5, 7)
    a = legacy.robust_cca_similarity(acts1, acts2)
    b = _quiet(acts1, acts2, epsilon=1e-6, compute_dirns=True)
    assert list(a) == list(b) and capsys.readouterr().out == ""
    np.testing.assert_array_equal(a["cca_coef1"], b["cca_coef1"])
    np.testing.assert_array_equal(a["cca_dirns2"], b["cca_dirns2"])


@pytest.mark.torch
def test_torch_tensors_are_accepted():
    torch = pytest.importorskip("torch")
    acts1, acts2 = shared_signal_layers(4, 6)
    got = _quiet(torch.from_numpy(acts1), torch.from_numpy(acts2))["cca_coef1"]
    np.testing.assert_allclose(got, _quiet(acts1, acts2)["cca_coef1"], atol=1e-12)


def test_float32_activations_are_computed_in_float64():
    # the documented difference from the original, which takes float32 neuron means
    rng = np.random.default_rng(0)
    a = (20.0 + rng.standard_normal((6, 4000))).astype(np.float32)
    b = (a[:3] * 2.0 + rng.standard_normal((3, 4000)).astype(np.float32)).astype(np.float32)
    got = _quiet(a, b, compute_dirns=True)
    want = _quiet(a.astype(np.float64), b.astype(np.float64), compute_dirns=True)
    assert got["neuron_means1"].dtype == np.float64
    np.testing.assert_array_equal(got["neuron_means1"], a.astype(np.float64).mean(axis=1, keepdims=True))
    for key in ("cca_coef1", "coef_x", "cca_dirns1"):
        np.testing.assert_array_equal(got[key], want[key])


# -------------------------------------------------------- real activations (skip if absent)
def _reference(name):
    path = REF / f"{name}.npz"
    if not path.exists():
        pytest.skip(f"reference activations not found at {path}")
    with np.load(path, allow_pickle=False) as data:
        # stored samples first: the legacy layout is neurons x datapoints
        return data["model_0"].astype(np.float64).T, data["model_1"].astype(np.float64).T


@pytest.mark.parametrize(
    ("name", "epsilon"), [("mnist_logits", 0.0), ("svhn_fc200", 0.0), ("svhn_fc200", 1e-10)]
)
def test_reference_activations_match_original_math(name, epsilon):
    acts1, acts2 = _reference(name)
    res = _quiet(acts1, acts2, epsilon=epsilon)
    o = oracle_cca(acts1, acts2, epsilon)
    np.testing.assert_allclose(res["cca_coef1"], o["rho"], atol=RHO_TOL)
    np.testing.assert_allclose(res["mean"][0], o["mean"], atol=RHO_TOL)
    np.testing.assert_array_equal(res["x_idxs"], o["keep1"])
    value, weights, _ = legacy.compute_pwcca(acts1, acts2, epsilon=epsilon)
    want_value, want_weights, _ = oracle_pwcca(acts1, acts2, epsilon)
    np.testing.assert_allclose(weights, want_weights, atol=VEC_TOL)
    np.testing.assert_allclose(value, want_value, atol=VEC_TOL)
    np.testing.assert_allclose(
        res["cca_coef1"], svcca.cca(acts1.T, acts2.T, epsilon=0.0).rho, atol=1e-6 if epsilon else RHO_TOL
    )


# The original code's own numbers on the reference activations: google/svcca's cca_core.py
# and pwcca.py (commit 1f3fbf1) run once on these files in float64, recorded here.
# (name, epsilon, summary "mean" at threshold 0.98, first and last cca_coef1, count)
ORIGINAL_OUTPUTS = [
    ("mnist_logits", 0.0, 0.7741083293569921, 0.9462459238198376, 0.09028817238626234, 10),
    ("mnist_logits", 1e-10, 0.7741083286284337, 0.946245923687832, 0.09028817193515316, 10),
    ("mnist_logits", 1e-06, 0.7741010439968049, 0.9462446036238268, 0.09028366151366489, 10),
    ("svhn_fc200", 0.0, 0.6181928638788187, 0.9914818918686701, 0.0032900202878737776, 200),
    ("svhn_fc200", 1e-10, 0.6181928634182646, 0.9914818918434557, 0.003290020283219646, 200),
    ("svhn_fc200", 1e-06, 0.6181882584064258, 0.9914816402620388, 0.0032899737526342144, 200),
]
#: compute_pwcca(acts1, acts2, epsilon=1e-10)[0] of the original
ORIGINAL_PWCCA = {"mnist_logits": 0.737200725922082, "svhn_fc200": 0.7126493411771184}


@pytest.mark.parametrize(("name", "epsilon", "mean", "first", "last", "count"), ORIGINAL_OUTPUTS)
def test_reference_activations_give_the_original_codes_own_numbers(name, epsilon, mean, first, last, count):
    acts1, acts2 = _reference(name)
    res = _quiet(acts1, acts2, epsilon=epsilon)
    rho = res["cca_coef1"]
    assert rho.shape == (count,)
    np.testing.assert_allclose([res["mean"][0], rho[0], rho[-1]], [mean, first, last], rtol=0, atol=1e-12)
    if epsilon == 1e-10:
        value = legacy.compute_pwcca(acts1, acts2, epsilon=epsilon)[0]
        np.testing.assert_allclose(value, ORIGINAL_PWCCA[name], rtol=0, atol=1e-12)


def test_rtol_applies_on_every_route_and_is_checked():
    # a well-conditioned layer takes the fast Gram route: a user's rtol must still drop directions
    rng = np.random.default_rng(0)
    m = 500
    Z = np.linalg.qr(rng.standard_normal((m, 3)))[0].T * np.sqrt(m - 1)
    B = rng.standard_normal((4, m))
    B[:3] += Z
    for s3 in (1e-2, 1e-3):  # the Gram route, then the SVD route
        A = np.diag([1.0, 0.5, s3]) @ Z
        rho = legacy.get_cca_similarity(A, B, rtol=0.6, verbose=False)["cca_coef1"]
        assert np.count_nonzero(rho) == 1
    for bad in (-1.0, float("nan"), 1.0):
        with pytest.raises(ValueError, match=r"rtol must be None or a number in \[0, 1\)"):
            legacy.get_cca_similarity(A, B, rtol=bad, verbose=False)
        with pytest.raises(ValueError, match=r"rtol must be None or a number in \[0, 1\)"):
            legacy.compute_pwcca(A, B, rtol=bad)
    for bad in (None, "0.5", True):
        with pytest.raises(TypeError, match=r"threshold must be a number in \(0, 1\]"):
            legacy.get_cca_similarity(A, B, threshold=bad, verbose=False)


@pytest.mark.parametrize("scale", [1e155, 1e-170])
def test_extreme_but_finite_scales_match_the_modern_api(scale):
    # squared norms would over/underflow: the original's zero dict or a false "constant" error
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((4, 300)), rng.standard_normal((3, 300))
    B[:2] += A[:2]
    want = svcca.cca(A.T, B.T).rho
    got = legacy.get_cca_similarity(A * scale, B, verbose=False)["cca_coef1"]
    np.testing.assert_allclose(got, want, atol=1e-10)
