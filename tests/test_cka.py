"""Linear CKA (biased, debiased) and orthogonal Procrustes: invariances, oracles, errors."""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg

import svcca
from conftest import TOL32, TOL64
from svcca._cka import CKAResult, ProcrustesResult, linear_cka, procrustes

REF = Path(__file__).resolve().parents[1].parent / "shared" / "reference_activations"


# --- fixtures named after their truth ---------------------------------------------------


def independent_views(n: int, p: int, q: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, p)), rng.standard_normal((n, q))


def shared_latent_views(n: int = 300, p: int = 12, q: int = 9, k: int = 3, seed: int = 0):
    """``k`` shared latent directions plus private noise, mixed by invertible maps."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, k))
    X = np.hstack([latent, rng.standard_normal((n, p - k))]) @ rng.standard_normal((p, p))
    Y = np.hstack([latent, rng.standard_normal((n, q - k))]) @ rng.standard_normal((q, q))
    return X, Y


def orthogonal(p: int, seed: int) -> np.ndarray:
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((p, p)))
    return Q


# --- independent oracles (textbook formulas on n x n matrices) --------------------------


def cka_oracle_biased(X: np.ndarray, Y: np.ndarray) -> float:
    """tr(K H L H) / sqrt(tr(K H K H) tr(L H L H)) with the explicit centring matrix H."""
    n = X.shape[0]
    H = np.eye(n) - np.ones((n, n)) / n
    K, L = X @ X.T, Y @ Y.T

    def hsic(A, B):
        return np.trace(A @ H @ B @ H)

    return hsic(K, L) / np.sqrt(hsic(K, K) * hsic(L, L))


def cka_oracle_debiased(X: np.ndarray, Y: np.ndarray) -> float:
    """U-centred Gram matrices (Szekely & Rizzo 2014), as in Kornblith et al.'s notebook; the
    inner product of U-centred matrices equals n(n-3) times Song et al.'s unbiased HSIC."""

    def u_centre(G):
        n = G.shape[0]
        G = G.copy()
        np.fill_diagonal(G, 0.0)
        means = G.sum(0) / (n - 2)
        means -= means.sum() / (2 * (n - 1))
        G -= means[:, None]
        G -= means[None, :]
        np.fill_diagonal(G, 0.0)
        return G

    K, L = u_centre(X @ X.T), u_centre(Y @ Y.T)
    return (K * L).sum() / np.sqrt((K * K).sum() * (L * L).sum())


# --- CKA: invariances -------------------------------------------------------------------


@pytest.mark.parametrize("debiased", [False, True])
@pytest.mark.parametrize("method", ["features", "gram"])
def test_cka_of_rotated_scaled_shifted_copy_is_one(debiased, method):
    X, _ = shared_latent_views()
    Y = 3.0 * X @ orthogonal(X.shape[1], 1) + 1.0
    res = linear_cka(X, Y, debiased=debiased, algorithm=method)
    assert res.similarity == pytest.approx(1.0, abs=TOL64)
    assert isinstance(res, CKAResult) and res.debiased is debiased and res.algorithm == method


@pytest.mark.parametrize("debiased", [False, True])
def test_cka_is_invariant_to_isotropic_scaling(debiased):
    X, Y = shared_latent_views()
    base = linear_cka(X, Y, debiased=debiased).similarity
    assert linear_cka(0.01 * X, 250.0 * Y, debiased=debiased).similarity == pytest.approx(base, abs=TOL64)


@pytest.mark.parametrize("debiased", [False, True])
def test_cka_is_not_invariant_to_invertible_linear_maps_unlike_cca(debiased):
    # negative control: CCA sees X W as X itself; CKA weighs directions by variance
    X = np.random.default_rng(0).standard_normal((500, 10))
    W = np.diag(np.geomspace(1.0, 100.0, 10)) @ orthogonal(10, 2)
    assert svcca.cca(X, X @ W).similarity == pytest.approx(1.0, abs=TOL64)
    assert linear_cka(X, X @ W, debiased=debiased).similarity < 0.5


def test_cka_is_not_invariant_to_per_feature_scaling():
    X, Y = shared_latent_views()
    scaled = Y * np.geomspace(0.01, 100.0, Y.shape[1])
    assert abs(linear_cka(X, Y).similarity - linear_cka(X, scaled).similarity) > 0.05


# --- CKA: bias of the biased estimator --------------------------------------------------


def test_debiased_cka_of_independent_data_has_mean_zero_and_biased_is_positive():
    n, p, q, seeds = 40, 10, 15, 200
    biased, unbiased = [], []
    for seed in range(seeds):
        X, Y = independent_views(n, p, q, seed)
        biased.append(linear_cka(X, Y).similarity)
        unbiased.append(linear_cka(X, Y, debiased=True).similarity)
    biased, unbiased = np.array(biased), np.array(unbiased)
    sem = unbiased.std(ddof=1) / np.sqrt(seeds)
    assert abs(unbiased.mean()) < 4 * sem  # about 0
    assert np.all(biased > 0)  # the bias: never 0 for independent data
    assert biased.mean() > 0.2  # about sqrt(p q) / n = 0.31 here
    assert biased.mean() > unbiased.mean() + 20 * sem


# --- CKA: oracles and paths -------------------------------------------------------------


@pytest.mark.parametrize("shape", [(60, 5, 8), (25, 40, 30), (30, 30, 7)])
@pytest.mark.parametrize("debiased", [False, True])
def test_feature_path_equals_gram_path_equals_oracle(shape, debiased):
    n, p, q = shape
    rng = np.random.default_rng(sum(shape))
    X = rng.standard_normal((n, p)) + 5.0
    Y = X[:, :1] @ rng.standard_normal((1, q)) + rng.standard_normal((n, q)) - 2.0
    feats = linear_cka(X, Y, debiased=debiased, algorithm="features")
    gram = linear_cka(X, Y, debiased=debiased, algorithm="gram")
    oracle = cka_oracle_debiased(X, Y) if debiased else cka_oracle_biased(X, Y)
    assert feats.similarity == pytest.approx(gram.similarity, abs=TOL64)
    assert feats.similarity == pytest.approx(oracle, abs=TOL64)
    for name in ("hsic_xy", "hsic_xx", "hsic_yy"):
        assert getattr(feats, name) == pytest.approx(getattr(gram, name), rel=1e-9)


def test_auto_picks_features_when_narrower_than_tall_and_gram_otherwise():
    X, Y = independent_views(50, 10, 20, 0)
    assert linear_cka(X, Y).algorithm == "features"
    X, Y = independent_views(20, 10, 30, 0)
    assert linear_cka(X, Y).algorithm == "gram"


def test_biased_hsic_is_scaled_as_a_covariance():
    # HSIC(K, L) = ||Sigma_xy||_F^2 with Sigma_xy the (ddof=1) cross-covariance
    X, Y = shared_latent_views()
    res = linear_cka(X, Y)
    sigma_xy = np.cov(X, Y, rowvar=False)[: X.shape[1], X.shape[1] :]
    assert res.hsic_xy == pytest.approx((sigma_xy**2).sum(), rel=1e-10)


def test_cka_summaries_and_repr():
    X, Y = shared_latent_views()
    res = linear_cka(X, Y, debiased=True)
    assert res.summaries()["similarity"] == res.similarity == res.cka
    assert "debiased" in repr(res)
    assert (res.n_samples, res.n_features_x, res.n_features_y) == (300, 12, 9)


def test_cka_float32_compute_matches_float64():
    X, Y = shared_latent_views()
    assert linear_cka(X, Y, dtype=np.float32).similarity == pytest.approx(
        linear_cka(X, Y).similarity, abs=TOL32
    )


@pytest.mark.torch
@pytest.mark.parametrize("debiased", [False, True])
@pytest.mark.parametrize("method", ["features", "gram"])
def test_cka_torch_matches_numpy(debiased, method):
    torch = pytest.importorskip("torch")
    X, Y = shared_latent_views(n=80)
    want = linear_cka(X, Y, debiased=debiased, algorithm=method).similarity
    got = linear_cka(torch.from_numpy(X), torch.from_numpy(Y), debiased=debiased, algorithm=method)
    assert got.similarity == pytest.approx(want, abs=TOL64)
    got32 = linear_cka(torch.from_numpy(X).float(), torch.from_numpy(Y).float(), debiased=debiased)
    assert got32.similarity == pytest.approx(want, abs=TOL32)


@pytest.mark.skipif(not REF.is_dir(), reason="reference activations absent")
def test_cka_on_real_network_activations_feature_path_equals_gram_path():
    with np.load(REF / "svhn_fc200.npz") as f:  # ReLU layer, about half exact zeros
        A, B = f["model_0"], f["model_1"]
    for debiased in (False, True):
        feats = linear_cka(A, B, debiased=debiased, algorithm="features").similarity
        gram = linear_cka(A, B, debiased=debiased, algorithm="gram").similarity
        assert feats == pytest.approx(gram, abs=1e-8)
        assert 0.0 < feats < 1.0


# --- CKA: errors ------------------------------------------------------------------------


def test_cka_errors_say_what_was_expected_and_what_arrived():
    X, Y = independent_views(30, 4, 5, 0)
    with pytest.raises(ValueError, match=r"same number of samples.*X.shape=\(30, 4\), Y.shape=\(29, 5\)"):
        linear_cka(X, Y[:-1])
    with pytest.raises(ValueError, match=r"algorithm must be one of 'auto', 'features', 'gram'; got 'fast'"):
        linear_cka(X, Y, algorithm="fast")
    with pytest.raises(ValueError, match=r"debiased CKA needs at least 4 samples; got X.shape=\(3, 4\)"):
        linear_cka(X[:3], Y[:3], debiased=True)
    with pytest.raises(ValueError, match=r"X has no varying feature \(shape \(30, 4\)\)"):
        linear_cka(np.ones((30, 4)), Y)
    with pytest.raises(ValueError, match="must be real-valued"):
        linear_cka(X + 1j, Y)
    with pytest.raises(ValueError, match=r"X must be 2-D .* got X.shape=\(30,\)"):
        linear_cka(X[:, 0], Y)
    with pytest.raises(ValueError, match="NaN or Inf"):
        linear_cka(np.full((30, 4), np.nan), Y)


# --- Procrustes -------------------------------------------------------------------------


def test_procrustes_distance_is_zero_for_rotated_scaled_shifted_copies():
    X, _ = shared_latent_views()
    res = procrustes(X, -4.0 * X @ orthogonal(X.shape[1], 3) + 7.0)
    assert isinstance(res, ProcrustesResult)
    assert res.similarity == pytest.approx(1.0, abs=TOL64)
    assert res.distance == pytest.approx(0.0, abs=TOL64)
    assert res.angular_distance == pytest.approx(0.0, abs=1e-5)  # arccos near 1: sqrt(eps) accuracy


def test_procrustes_is_not_invariant_to_invertible_linear_maps():
    # negative control (CCA would give 1)
    X = np.random.default_rng(0).standard_normal((500, 10))
    W = np.diag(np.geomspace(1.0, 100.0, 10)) @ orthogonal(10, 2)
    assert procrustes(X, X @ W).distance > 0.5


def test_procrustes_is_symmetric():
    X, Y = shared_latent_views()
    a, b = procrustes(X, Y), procrustes(Y, X)
    assert a.distance == pytest.approx(b.distance, abs=TOL64)
    assert a.similarity == pytest.approx(b.similarity, abs=TOL64)


@pytest.mark.parametrize("shape", [(50, 6, 6), (50, 4, 11), (20, 35, 8), (20, 30, 45)])
def test_procrustes_equals_explicit_minimum_over_rotations_of_zero_padded_data(shape):
    # oracle: scipy's orthogonal Procrustes solver on centred, unit-norm, zero-padded data
    n, p, q = shape
    rng = np.random.default_rng(sum(shape))
    X = rng.standard_normal((n, p))
    Y = X[:, :1] @ rng.standard_normal((1, q)) + rng.standard_normal((n, q))

    def normalise(A):
        A = A - A.mean(0)
        return A / np.linalg.norm(A)

    width = max(p, q)
    Xn = np.hstack([normalise(X), np.zeros((n, width - p))])
    Yn = np.hstack([normalise(Y), np.zeros((n, width - q))])
    R, _ = scipy.linalg.orthogonal_procrustes(Yn, Xn)
    oracle = np.linalg.norm(Yn @ R - Xn) ** 2
    assert procrustes(X, Y).distance == pytest.approx(oracle, abs=TOL64)


def test_procrustes_metrics_satisfy_the_triangle_inequality_on_random_triplets():
    rng = np.random.default_rng(0)
    n = 30
    base = rng.standard_normal((n, 3))
    widths = [2, 5, 12, 40]
    layers = [
        base @ rng.standard_normal((3, w)) + rng.uniform(0.2, 2.0) * rng.standard_normal((n, w))
        for w in widths
    ]
    layers += [rng.standard_normal((n, w)) for w in widths]
    checked = 0
    for A, B, C in itertools.permutations(layers, 3):
        ab, bc, ac = procrustes(A, B), procrustes(B, C), procrustes(A, C)
        for metric in ("euclidean_distance", "angular_distance"):
            assert getattr(ac, metric) <= getattr(ab, metric) + getattr(bc, metric) + 1e-12
        checked += 1
    assert checked == 8 * 7 * 6


def test_squared_procrustes_distance_violates_the_triangle_inequality():
    # negative control: three centred unit vectors at 0, 30 and 60 degrees on a geodesic;
    # the squared distance 2 - 2 cos is not a metric, its square root is
    e1 = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
    e2 = np.array([1.0, 1.0, -2.0]) / np.sqrt(6)
    a, b, c = (np.cos(t) * e1 + np.sin(t) * e2 for t in np.deg2rad([0.0, 30.0, 60.0]))
    ab, bc, ac = (procrustes(u[:, None], v[:, None]) for u, v in ((a, b), (b, c), (a, c)))
    assert ac.distance > ab.distance + bc.distance
    assert ac.euclidean_distance <= ab.euclidean_distance + bc.euclidean_distance
    assert ac.angular_distance == pytest.approx(ab.angular_distance + bc.angular_distance, abs=1e-12)


def test_procrustes_summaries_are_consistent():
    X, Y = shared_latent_views()
    res = procrustes(X, Y)
    s = res.summaries()
    assert s["distance"] == pytest.approx(2 - 2 * s["similarity"], abs=TOL64)
    assert s["euclidean_distance"] == pytest.approx(np.sqrt(s["distance"]), abs=TOL64)
    assert s["angular_distance"] == pytest.approx(np.arccos(s["similarity"]), abs=TOL64)
    assert "ProcrustesResult(similarity=" in repr(res)


@pytest.mark.torch
def test_procrustes_torch_matches_numpy():
    torch = pytest.importorskip("torch")
    for n, p, q in [(80, 12, 9), (20, 30, 8)]:
        X, Y = shared_latent_views(n=n, p=p, q=q, k=3)
        want = procrustes(X, Y).similarity
        got = procrustes(torch.from_numpy(X), torch.from_numpy(Y)).similarity
        assert got == pytest.approx(want, abs=TOL64)


def test_procrustes_errors():
    X, Y = independent_views(30, 4, 5, 0)
    with pytest.raises(ValueError, match=r"same number of samples.*X.shape=\(30, 4\), Y.shape=\(28, 5\)"):
        procrustes(X, Y[:-2])
    with pytest.raises(ValueError, match=r"Y has no varying feature \(shape \(30, 5\)\)"):
        procrustes(X, np.full((30, 5), 3.0))
    with pytest.raises(ValueError, match=r"Procrustes needs at least 2 samples"):
        procrustes(X[:1], Y[:1])
    with pytest.raises(TypeError, match="got None"):
        procrustes(None, Y)


@pytest.mark.parametrize("scale", [1e80, 1e155, 1e160, 1e-85, 1e-160])
def test_extreme_scales_leave_cka_and_procrustes_unchanged(scale):
    # 1e80 gave CKA 0.0, 1e155 NaN, 1e160 Procrustes 0, 1e-85 "no varying feature"
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 10))
    Y = X @ rng.standard_normal((10, 8)) + rng.standard_normal((200, 8))
    for debiased in (False, True):
        want = linear_cka(X, Y, debiased=debiased).similarity
        assert linear_cka(X * scale, Y, debiased=debiased).similarity == pytest.approx(want, abs=TOL64)
        assert linear_cka(X * scale, Y * scale, debiased=debiased).similarity == pytest.approx(
            want, abs=TOL64
        )
    assert procrustes(X * scale, Y).similarity == pytest.approx(procrustes(X, Y).similarity, abs=TOL64)


def test_hsic_terms_are_of_the_data_as_given():
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((50, 3)), rng.standard_normal((50, 2))
    a, b = linear_cka(X, Y), linear_cka(1e3 * X, Y)
    assert b.hsic_xx == pytest.approx(1e12 * a.hsic_xx, rel=1e-12)  # kernels scale as c^2
    assert b.hsic_xy == pytest.approx(1e6 * a.hsic_xy, rel=1e-12)
    assert linear_cka(1e200 * X, Y).hsic_xx == np.inf  # beyond the float range, not NaN


# --- CKA with RBF kernels ----------------------------------------------------------------


def rbf_oracle(X: np.ndarray, Y: np.ndarray, fraction: float, debiased: bool = False) -> float:
    """Explicit n x n kernels ``exp(-D^2 / (2 sigma^2))`` (scipy's distances, sigma = fraction x
    the median distance between distinct samples), then the textbook CKA of those kernels:
    ``tr(K H L H)`` for the biased value, Song et al.'s eq. (5) on the zero-diagonal kernels
    for the unbiased one."""
    from scipy.spatial.distance import pdist, squareform

    def kernel(A):
        d = pdist(A)
        sigma = fraction * np.median(d)
        return np.exp(-(squareform(d) ** 2) / (2 * sigma**2))

    K, L = kernel(X), kernel(Y)
    n = K.shape[0]
    if not debiased:
        H = np.eye(n) - np.ones((n, n)) / n

        def hsic(A, B):
            return np.trace(A @ H @ B @ H)

    else:

        def hsic(A, B):
            A, B = A - np.diag(np.diag(A)), B - np.diag(np.diag(B))
            one = np.ones(n)
            ones = one @ A @ one * (one @ B @ one) / ((n - 1) * (n - 2))
            return (np.trace(A @ B) + ones - 2 / (n - 2) * one @ A @ B @ one) / (n * (n - 3))

    return hsic(K, L) / np.sqrt(hsic(K, K) * hsic(L, L))


@pytest.mark.parametrize("fraction", [0.2, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("debiased", [False, True])
def test_rbf_cka_equals_the_explicit_kernel_oracle(fraction, debiased):
    X, Y = shared_latent_views(n=80)
    got = svcca.rbf_cka(X, Y, bandwidth=fraction, debiased=debiased)
    assert got.similarity == pytest.approx(rbf_oracle(X, Y, fraction, debiased), abs=TOL64)
    assert got.kernel == "rbf" and got.bandwidth == fraction and got.algorithm == "gram"


@pytest.mark.parametrize("debiased", [False, True])
def test_rbf_cka_tends_to_linear_cka_as_the_bandwidth_grows(debiased):
    """H K H -> H X X^T H / sigma^2: wide kernels give linear CKA (error O(1 / sigma^2));
    a narrow one visibly does not (the negative control)."""
    X, Y = shared_latent_views(n=120)
    linear = linear_cka(X, Y, debiased=debiased).similarity
    errors = [
        abs(svcca.rbf_cka(X, Y, bandwidth=b, debiased=debiased).similarity - linear) for b in (10, 100, 1000)
    ]
    assert errors[2] < 1e-6
    assert errors[0] > errors[1] > errors[2]  # converging, about 100x per decade
    assert abs(svcca.rbf_cka(X, Y, bandwidth=0.2, debiased=debiased).similarity - linear) > 0.05


def test_rbf_cka_invariances_with_a_negative_control():
    """Invariant to orthogonal maps, translations and isotropic scaling (sigma follows the
    median distance); a per-feature scaling changes it."""
    X, Y = shared_latent_views(n=100)
    base = svcca.rbf_cka(X, Y).similarity
    moved = svcca.rbf_cka(5.0 * X @ orthogonal(X.shape[1], 2) - 3.0, Y).similarity
    assert moved == pytest.approx(base, abs=TOL64)
    assert svcca.rbf_cka(X, X).similarity == pytest.approx(1.0, abs=TOL64)
    stretched = X * np.linspace(0.1, 10.0, X.shape[1])
    assert abs(svcca.rbf_cka(stretched, Y).similarity - base) > 1e-2


@pytest.mark.torch
@pytest.mark.parametrize("debiased", [False, True])
def test_rbf_cka_torch_matches_numpy(debiased):
    torch = pytest.importorskip("torch")
    X, Y = shared_latent_views(n=81)  # an odd number of pairs' middle: the median's two middle values
    want = svcca.rbf_cka(X, Y, bandwidth=0.7, debiased=debiased).similarity
    got = svcca.rbf_cka(torch.from_numpy(X), torch.from_numpy(Y), bandwidth=0.7, debiased=debiased)
    assert got.similarity == pytest.approx(want, abs=TOL64)


def test_rbf_cka_errors():
    X, Y = independent_views(30, 4, 5, 0)
    for bad in (0, -1.0, float("inf"), True, "wide"):
        with pytest.raises(ValueError, match=f"bandwidth must be a finite number > 0 .*; got {bad!r}"):
            svcca.rbf_cka(X, Y, bandwidth=bad)
    same = np.vstack([np.ones((25, 4)), rng_rows(5, 4)])  # 300 of the 435 pairs are identical
    with pytest.raises(ValueError, match=r"X: the median distance between samples is 0 .*shape \(30, 4\)"):
        svcca.rbf_cka(same, Y)
    with pytest.raises(ValueError, match=r"debiased CKA needs at least 4 samples; got X.shape=\(3, 4\)"):
        svcca.rbf_cka(X[:3], Y[:3], debiased=True)
    with pytest.raises(ValueError, match="X must be real-valued"):
        svcca.rbf_cka(X + 1j, Y)


def rng_rows(n: int, p: int) -> np.ndarray:
    return np.random.default_rng(5).standard_normal((n, p))


# --- minibatch CKA -----------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(60, 5, 8), (30, 40, 50)])
def test_minibatch_cka_of_one_batch_is_debiased_cka(shape):
    n, p, q = shape
    X, Y = shared_latent_views(n=n, p=p, q=q)
    got = svcca.minibatch_cka(X, Y, batch_size=n)
    want = linear_cka(X, Y, debiased=True)
    assert got.n_batches == 1 and got.algorithm == "minibatch" and got.debiased
    assert got.similarity == pytest.approx(want.similarity, abs=TOL64)
    assert got.similarity == pytest.approx(cka_oracle_debiased(X, Y), abs=TOL64)
    assert got.hsic_xy == pytest.approx(want.hsic_xy, rel=1e-10)


def test_minibatch_cka_averages_each_batchs_unbiased_hsic():
    """The oracle: split the rows by hand, take each batch's unbiased HSIC terms from
    linear_cka(debiased=True), average, then the ratio (Nguyen et al. 2021, eq. 3)."""
    X, Y = shared_latent_views(n=250)
    got = svcca.minibatch_cka(X, Y, batch_size=64)
    edges = [0, 62, 125, 187, 250]  # four batches of near-equal sizes, none over 64
    parts = [linear_cka(X[a:b], Y[a:b], debiased=True) for a, b in zip(edges[:-1], edges[1:])]
    hxy, hxx, hyy = (np.mean([getattr(r, h) for r in parts]) for h in ("hsic_xy", "hsic_xx", "hsic_yy"))
    assert got.n_batches == 4
    assert got.similarity == pytest.approx(hxy / np.sqrt(hxx * hyy), abs=TOL64)
    assert got.hsic_xy == pytest.approx(hxy, rel=1e-10)
    # a different order of the rows is a different set of batches: a different estimate
    perm = np.random.default_rng(0).permutation(250)
    shuffled = svcca.minibatch_cka(X[perm], Y[perm], batch_size=64).similarity
    assert shuffled != pytest.approx(got.similarity, abs=1e-6)


def test_minibatch_batches_cover_every_sample_once():
    from svcca._cka import batch_bounds

    for n, b in [(12, 4), (250, 64), (256, 256), (257, 256), (1000, 7), (10, 4), (5, 4), (13, 6), (4, 4)]:
        bounds = batch_bounds(n, b)
        sizes = [hi - lo for lo, hi in bounds]
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(prev[1] == nxt[0] for prev, nxt in zip(bounds, bounds[1:]))
        assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 4  # the unbiased HSIC needs 4 per batch
        if n // -(-n // b) >= 4:  # ceil(n / b) batches of at most b leave none under 4
            assert max(sizes) <= b and len(bounds) == -(-n // b)
        else:  # fewer batches (n // 4), of 4 to 7 samples
            assert len(bounds) == n // 4 and max(sizes) <= 7


def _hsic1_oracle(K, L):
    """Song et al. (2012), eq. (5), written out with explicit zero-diagonal kernels."""
    n = K.shape[0]
    Kt, Lt, one = K - np.diag(np.diag(K)), L - np.diag(np.diag(L)), np.ones(n)
    return (
        np.trace(Kt @ Lt)
        + (one @ Kt @ one) * (one @ Lt @ one) / ((n - 1) * (n - 2))
        - 2 / (n - 2) * one @ Kt @ Lt @ one
    ) / (n * (n - 3))


@pytest.mark.parametrize(
    "n, batch_size, sizes", [(10, 4, [5, 5]), (7, 4, [7]), (6, 5, [6]), (22, 4, [4, 4, 5, 4, 5])]
)
def test_minibatch_cka_with_small_batch_size_keeps_four_samples_per_batch(n, batch_size, sizes):
    """batch_size < 8 used to split 10 rows into batches of 3, 3, 4: the unbiased HSIC of a
    3-sample batch divides by n - 3 = 0 (ZeroDivisionError), in minibatch_cka, the grid and
    the CLI alike. Now fewer batches of at least 4; brute-force oracle of the same batches."""
    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, 3)) + 4.0
    Y = X[:, :1] @ rng.standard_normal((1, 2)) + rng.standard_normal((n, 2))
    edges = np.cumsum([0, *sizes])
    h = {"xy": 0.0, "xx": 0.0, "yy": 0.0}
    for a, b in zip(edges[:-1], edges[1:]):
        Kx, Ky = X[a:b] @ X[a:b].T, Y[a:b] @ Y[a:b].T
        h["xy"] += _hsic1_oracle(Kx, Ky)
        h["xx"] += _hsic1_oracle(Kx, Kx)
        h["yy"] += _hsic1_oracle(Ky, Ky)
    want = h["xy"] / np.sqrt(h["xx"] * h["yy"])
    got = svcca.minibatch_cka(X, Y, batch_size=batch_size)
    assert got.n_batches == len(sizes)
    assert got.similarity == pytest.approx(want, abs=1e-9)
    grid = svcca.similarity_matrix(
        [X, Y], measure="minibatch_cka", measure_options={"batch_size": batch_size}
    )
    assert grid.values[0, 1] == pytest.approx(want, abs=1e-9)


def test_minibatch_cka_of_batches_of_the_same_data_converges():
    """Each batch's HSIC is unbiased, so the estimate over more batches of one population
    concentrates around the full-data value: the spread over row orders shrinks about as
    1 / sqrt(n_batches) and the values agree with debiased CKA of all the samples."""
    rng = np.random.default_rng(1)
    latent = rng.standard_normal((32000, 2))
    X = np.hstack([latent, rng.standard_normal((32000, 3))]) @ rng.standard_normal((5, 5))
    Y = np.hstack([latent, rng.standard_normal((32000, 2))]) @ rng.standard_normal((4, 4))
    full = linear_cka(X, Y, debiased=True).similarity
    spread = {}
    for n in (2000, 32000):
        values = [svcca.minibatch_cka(X[p], Y[p], batch_size=200).similarity
                  for p in (rng.permutation(32000)[:n] for _ in range(6))]  # fmt: skip
        spread[n] = np.std(values)
        assert abs(np.mean(values) - full) < 4 * spread[n] + 0.01
    assert spread[32000] < spread[2000] / 2  # 16x the batches: 1/4 of the spread expected


@pytest.mark.torch
def test_minibatch_cka_torch_matches_numpy():
    torch = pytest.importorskip("torch")
    X, Y = shared_latent_views(n=300)
    want = svcca.minibatch_cka(X, Y, batch_size=64).similarity
    got = svcca.minibatch_cka(torch.from_numpy(X), torch.from_numpy(Y), batch_size=64).similarity
    assert got == pytest.approx(want, abs=TOL64)


def test_minibatch_cka_errors():
    X, Y = independent_views(30, 4, 5, 0)
    with pytest.raises(ValueError, match=r"batch_size must be >= 4 \(the unbiased HSIC needs 4 .*\); got 3"):
        svcca.minibatch_cka(X, Y, batch_size=3)
    for bad in (2.5, True, None):
        with pytest.raises(TypeError, match=f"batch_size must be an int >= 4; got {bad!r}"):
            svcca.minibatch_cka(X, Y, batch_size=bad)
    with pytest.raises(ValueError, match=r"minibatch CKA needs at least 4 samples; got X.shape=\(3, 4\)"):
        svcca.minibatch_cka(X[:3], Y[:3])
    with pytest.raises(ValueError, match=r"X has no varying feature"):
        svcca.minibatch_cka(np.ones((30, 4)), Y)


@pytest.mark.parametrize("measure", ["cka", "procrustes", "rbf_cka"])
def test_features_constant_up_to_rounding_weigh_nothing(rng, measure):
    # 0.1 repeated is not 0 after centring (rounding): it must count as constant, as in CCA
    X, Y = rng.standard_normal((200, 6)), rng.standard_normal((200, 5))
    padded = np.hstack([X, np.full((200, 4), 0.1)])
    f = svcca.Measure(measure)
    assert f(padded, Y).similarity == pytest.approx(f(X, Y).similarity, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("measure", "options"),
    [("cka", {"debiased": True}), ("minibatch_cka", {}), ("rbf_cka", {}), ("rbf_cka", {"debiased": True})],
)
def test_a_layer_constant_up_to_rounding_is_refused_by_every_cka(rng, measure, options):
    # these measures centre on the median, which zeroed only exactly constant features: a
    # dead layer at 1e6 +- an ulp gave debiased CKA -0.0008 and RBF CKA 0.0065, not an error
    Y = rng.standard_normal((500, 4))
    D = np.column_stack([1e6 + k * 1e-10 * rng.standard_normal(500) for k in (1, 2)])
    with pytest.raises(svcca.DegenerateLayerError, match="X has no varying feature"):
        svcca.Measure(measure, **options)(D, Y)
    live = np.hstack([rng.standard_normal((500, 3)), D])  # beside varying features they weigh nothing
    f = svcca.Measure(measure, **options)
    assert f(live, Y).similarity == pytest.approx(f(live[:, :3], Y).similarity, rel=1e-9, abs=1e-12)


# --- one sample far larger than the rest ----------------------------------------------------


def _spiked(spike: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    X, Y = np.round(rng.standard_normal((8, 8)) * 2), np.round(rng.standard_normal((8, 6)) * 2)
    Y[3, :] = spike  # one sample with a huge activation on every unit of Y
    return X, Y


def _exact_debiased_cka(X: np.ndarray, Y: np.ndarray) -> float:
    """Oracle: Song et al.'s unbiased HSIC of the linear kernels in exact rational arithmetic."""
    from fractions import Fraction

    n = X.shape[0]

    def kernel(A):
        A = [[Fraction(float(v)) for v in row] for row in A]  # exact for every float
        return [
            [sum(a * b for a, b in zip(A[i], A[j])) if i != j else Fraction(0) for j in range(n)]
            for i in range(n)
        ]

    def hsic(K, L):
        tr = sum(K[i][j] * L[j][i] for i in range(n) for j in range(n))
        sk, sl = sum(map(sum, K)), sum(map(sum, L))
        kl = sum(K[i][j] * sum(L[j]) for i in range(n) for j in range(n))
        return (tr + sk * sl / ((n - 1) * (n - 2)) - Fraction(2, n - 2) * kl) / (n * (n - 3))

    K, L = kernel(X), kernel(Y)
    return float(hsic(K, L)) / math.sqrt(float(hsic(K, K)) * float(hsic(L, L)))


@pytest.mark.parametrize("spike", [1e3, 1e8, 1e12])
def test_debiased_cka_keeps_its_digits_beside_an_outlier_sample(spike):
    # the unbiased HSIC does not depend on the shift: a median keeps the outlier in its row
    X, Y = _spiked(spike)
    got = linear_cka(X, Y, debiased=True, algorithm="gram").similarity
    assert got == pytest.approx(_exact_debiased_cka(X, Y), rel=1e-12)
    # every other route to the same number: the grid, the permutation test's observed value,
    # and minibatch CKA (whose batches leave the feature route for such samples)
    grid = svcca.similarity_matrix({"x": X}, {"y": Y}, measure=svcca.Measure("cka", debiased=True))
    assert float(np.asarray(grid.values)[0, 0]) == pytest.approx(got, rel=1e-10)
    observed = svcca.stats.permutation_test(X, Y, "cka", measure_options={"debiased": True}, n_resamples=3)
    assert observed.observed == pytest.approx(got, rel=1e-10)
    assert svcca.minibatch_cka(X, Y, batch_size=8).similarity == pytest.approx(got, rel=1e-10)


def test_minibatch_batches_choose_their_route_by_linear_ckas_rule(monkeypatch):
    # one rule for outlier samples: a layer with one is compared on the Gram route, whether
    # the whole layer (linear_cka) or a batch of it (minibatch CKA), even where the other
    # layer is small in that sample (the product of the two would not have flagged it)
    import svcca._cka as cka_module

    rng = np.random.default_rng(3)
    X, half = rng.standard_normal((41, 3)), rng.standard_normal((20, 2))
    X[5] *= 1e7
    Y = np.vstack([half[:5], np.zeros((1, 2)), -half[:5], half[5:], -half[5:]])  # median 0, row 5 at it
    routes = []
    real = cka_module._hsic_terms_gram
    monkeypatch.setattr(cka_module, "_hsic_terms_gram", lambda *a: (routes.append("gram"), real(*a))[1])
    want = linear_cka(X, Y, debiased=True)
    assert want.algorithm == "gram" and routes
    routes.clear()
    got = svcca.minibatch_cka(X, Y, batch_size=41)
    assert len(routes) == 2  # the cross term and X's own term (Y has no outlier sample)
    assert got.similarity == pytest.approx(want.similarity, rel=1e-12)
    assert got.similarity == pytest.approx(_exact_debiased_cka(X, Y), rel=1e-9)


def test_the_feature_route_says_when_an_outlier_costs_it_digits():
    X, Y = _spiked(1e7)
    with pytest.warns(RuntimeWarning, match=r"keeps only about \d+ correct digits .* algorithm='gram'"):
        linear_cka(X, Y, debiased=True, algorithm="features")
    X, Y = shared_latent_views(n=200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ordinary data: silent
        linear_cka(X + 1e4, Y, debiased=True, algorithm="features")


@pytest.mark.parametrize("spike", [1e3, 1e9, 1e12])
@pytest.mark.parametrize("debiased", [False, True])
def test_rbf_cka_beside_an_outlier_sample(spike, debiased):
    # distances do not depend on the shift: an outlier no longer drowns the others' distances
    X, Y = _spiked(spike)
    X, Y = np.vstack([X, X + 1.0]), np.vstack([Y, Y[::-1]])
    got = svcca.rbf_cka(X, Y, bandwidth=0.8, debiased=debiased).similarity
    assert got == pytest.approx(rbf_oracle(X, Y, 0.8, debiased), abs=1e-10)


@pytest.mark.parametrize("backend", ["numpy", pytest.param("torch", marks=pytest.mark.torch)])
@pytest.mark.parametrize("fraction", [0.05, 0.1])
def test_debiased_rbf_cka_at_narrow_bandwidths_keeps_the_small_kernel_values(fraction, backend):
    """The kernel used to be held as ``K - 1`` at every bandwidth: where ``K`` between distinct
    samples is about 1e-8 (bandwidth 0.05), its digits drowned in the ``-1``s, which the
    unbiased HSIC cancels, and debiased RBF CKA came out quietly wrong (-0.0017 for -0.0082
    here on numpy) or, on torch, refused as if ``K = I``. Oracle: the explicit ``exp`` kernels."""
    rng = np.random.default_rng(11)
    X = rng.standard_normal((30, 5))
    Y = X[:, :2] @ rng.standard_normal((2, 4)) + 0.5 * rng.standard_normal((30, 4))
    want = rbf_oracle(X, Y, fraction, debiased=True)
    if backend == "torch":
        torch = pytest.importorskip("torch")
        X, Y = torch.from_numpy(X), torch.from_numpy(Y)
    got = svcca.rbf_cka(X, Y, bandwidth=fraction, debiased=True).similarity
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("debiased", [False, True])
def test_rbf_cka_at_extreme_bandwidths_reaches_its_limits(debiased):
    X, Y = shared_latent_views(n=60)
    linear = linear_cka(X, Y, debiased=debiased).similarity
    for wide in (1e10, 1e100, 1e200):  # K - 1 -> -D^2 / (2 sigma^2): linear CKA
        res = svcca.rbf_cka(X, Y, bandwidth=wide, debiased=debiased)
        assert res.similarity == pytest.approx(linear, abs=1e-9)
    for narrow in (1e-100, 1e-300):  # K -> I between distinct samples: identical kernels
        if not debiased:  # the limit, with a warning: independent data would give it too
            with pytest.warns(UserWarning, match=r"[XY]: at bandwidth=1e-\d+ the RBF kernel .* rounds to 0"):
                assert svcca.rbf_cka(X, Y, bandwidth=narrow).similarity == pytest.approx(1.0)
        else:  # the unbiased HSIC of I is 0: undefined, and said so
            with pytest.raises(ValueError, match=r"X: at bandwidth=1e-\d+ the RBF kernel .* rounds to 0"):
                svcca.rbf_cka(X, Y, bandwidth=narrow, debiased=True)
