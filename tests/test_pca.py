"""svcca.pca: named spectra against scikit-learn, the keep rule, and projections."""

from __future__ import annotations

import numpy as np
import pytest

import svcca


@pytest.fixture
def anisotropic_layer(rng):
    """500 samples whose 6 directions have standard deviations 10, 5, 2, 1, 0.1, 0.01."""
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    return rng.standard_normal((500, 6)) @ np.diag([10, 5, 2, 1, 0.1, 0.01]) @ Q + 3.0


def test_matches_scikit_learn(anisotropic_layer):
    sklearn = pytest.importorskip("sklearn.decomposition")
    X = anisotropic_layer
    ref = sklearn.PCA().fit(X)
    res = svcca.pca(X)
    # small singular values are accurate relative to the largest (218), not to themselves
    np.testing.assert_allclose(res.singular_values, ref.singular_values_, rtol=1e-10, atol=1e-12 * 218)
    np.testing.assert_allclose(res.explained_variance, ref.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose(res.explained_variance_ratio, ref.explained_variance_ratio_, rtol=1e-9)
    np.testing.assert_allclose(np.abs(res.components), np.abs(ref.components_), atol=1e-8)
    np.testing.assert_allclose(res.mean, ref.mean_, atol=1e-12)


def test_named_quantities_are_consistent(anisotropic_layer):
    X = anisotropic_layer
    res = svcca.pca(X)
    n = X.shape[0]
    np.testing.assert_allclose(res.explained_variance, res.singular_values**2 / (n - 1))
    assert res.total_variance == pytest.approx(np.var(X, axis=0, ddof=1).sum())
    np.testing.assert_allclose(res.explained_variance_ratio, res.explained_variance / res.total_variance)
    np.testing.assert_allclose(res.scores, (X - res.mean) @ res.components.T, atol=1e-10)
    np.testing.assert_allclose(res.inverse_transform(res.scores), X, atol=1e-10)
    C = res.components
    assert np.all(C[np.arange(C.shape[0]), np.abs(C).argmax(1)] > 0)  # sign convention
    assert res.n_components == 6


def test_repr_is_one_line_whatever_the_number_of_samples(anisotropic_layer):
    """The arrays (scores: a row per sample) stay out of the repr a notebook prints."""
    assert repr(svcca.pca(anisotropic_layer, n_components=2)) == (
        "PCAResult(n_components=2, n_features=6, explained=0.9579, n_samples=500)"
    )


@pytest.mark.parametrize(("keep", "expected"), [(0.5, 1), (0.9, 2), (0.99, 3), (0.999, 4), (1.0, 6), (2, 2)])
def test_keep_rule(anisotropic_layer, keep, expected):
    res = svcca.pca(anisotropic_layer)
    assert res.n_components_for(keep) == expected
    assert svcca.pca(anisotropic_layer, n_components=keep).n_components == expected


def test_project_removes_the_other_directions(anisotropic_layer):
    X = anisotropic_layer
    res = svcca.pca(X)
    P = res.project(X, 2)
    assert np.linalg.matrix_rank(P - P.mean(0), tol=1e-8) == 2
    np.testing.assert_allclose(res.transform(P, 2), res.transform(X, 2), atol=1e-10)


def test_wide_layer(rng):
    X = rng.standard_normal((10, 30))
    res = svcca.pca(X)
    assert res.n_components == 10 and res.singular_values[-1] < 1e-12  # centring costs a direction


@pytest.mark.parametrize(
    ("n_components", "error", "match"),
    [
        (0, ValueError, r"n_components as a number of directions must be >= 1; got 0"),
        (1.5, ValueError, r"n_components as a variance fraction must be in \(0, 1\]; got 1.5"),
    ],
)
def test_bad_n_components(anisotropic_layer, n_components, error, match):
    with pytest.raises(error, match=match):
        svcca.pca(anisotropic_layer, n_components)


def test_bad_input():
    with pytest.raises(ValueError, match=r"X must be real-valued; got dtype complex128 \(X.shape=\(4, 2\)\)"):
        svcca.pca(np.ones((4, 2), dtype=complex))
    with pytest.raises(ValueError, match=r"PCA needs at least 2 samples; got X.shape=\(1, 3\)"):
        svcca.pca(np.ones((1, 3)))


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_extreme_scales_keep_the_ratios(scale):
    # squared singular values overflowed (RuntimeWarning, inf/NaN ratios) at 1e300
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3)) @ np.diag([10.0, 1.0, 0.1])
    ref, res = svcca.pca(X), svcca.pca(X * scale)
    np.testing.assert_allclose(res.explained_variance_ratio, ref.explained_variance_ratio, atol=1e-12)
    np.testing.assert_allclose(res.singular_values, ref.singular_values * scale, rtol=1e-10)
    a, b = svcca.svcca(X * scale, X[:, ::-1]), svcca.svcca(X, X[:, ::-1])
    assert (a.x_dims, a.similarity) == (b.x_dims, pytest.approx(b.similarity, abs=1e-10))


def test_complex_directions_stay_orthonormal_with_a_real_positive_pivot(rng):
    # the sign convention of a complex direction is a unit phase (a real "sign" would shrink it)
    from svcca._backend import get_ops
    from svcca._pca import _sign_flip

    A = rng.standard_normal((30, 4)) + 1j * rng.standard_normal((30, 4))
    U, s, Vh = np.linalg.svd(A - A.mean(0), full_matrices=False)
    U2, Vh2 = _sign_flip(get_ops(A), U, Vh)
    np.testing.assert_allclose((U2 * s) @ Vh2, A - A.mean(0), atol=1e-12)
    np.testing.assert_allclose(U2.conj().T @ U2, np.eye(4), atol=1e-12)
    pivots = Vh2[np.arange(4), np.abs(Vh2).argmax(axis=1)]
    np.testing.assert_allclose(pivots.imag, 0, atol=1e-15)
    assert np.all(pivots.real > 0)


def test_a_truncated_result_does_not_claim_a_keep_it_falls_short_of(rng):
    # explained_variance_ratio is a fraction of the total even when truncated: two kept
    # directions that explain 0.88 cannot answer keep=0.99
    X = rng.standard_normal((50, 6)) @ np.diag([5, 3, 2, 1, 0.5, 0.1])
    full, two = svcca.pca(X), svcca.pca(X, n_components=2)
    assert two.n_components_for(0.5) == full.n_components_for(0.5)
    with pytest.raises(
        ValueError, match=r"the 2 direction\(s\) this result kept explain 0\.\d+ of the variance"
    ):
        two.n_components_for(0.99)
    import matplotlib.pyplot as plt

    from svcca.plotting import plot_explained_variance

    ax = plot_explained_variance(two, keep=0.99)
    assert [t.get_text() for t in ax.texts] == ["keep=0.99 not reached by 2"]
    plt.close(ax.figure)
    ax = plot_explained_variance(full, keep=0.9)
    assert [t.get_text() for t in ax.texts] == [f"k={full.n_components_for(0.9)}"]
    plt.close(ax.figure)


def test_transform_and_inverse_say_what_width_they_expect(rng):
    X = rng.standard_normal((40, 6))
    res = svcca.pca(X)
    np.testing.assert_allclose(res.transform(X, 2), res.transform(X)[:, :2], atol=1e-12)
    with pytest.raises(
        ValueError, match=r"X must have 6 columns \(the fitted layer's features\); got X.shape=\(40, 5\)"
    ):
        res.transform(X[:, :5])
    with pytest.raises(ValueError, match=r"n_components must be None or an int >= 1; got -1"):
        res.transform(X, -1)  # once silently all but the last
    with pytest.raises(ValueError, match=r"Z must have at most 6 columns"):
        res.inverse_transform(np.ones((3, 9)))
    torch = pytest.importorskip("torch")
    tres = svcca.pca(torch.from_numpy(X))
    out = tres.transform(X, 2)  # numpy data into a torch result: a tensor on its device
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), res.transform(X, 2), atol=1e-10)


def test_a_full_float32_pca_reaches_every_keep(rng):
    # float32 ratios sum to 1 only up to float32 rounding: that is not a truncated result
    torch = pytest.importorskip("torch")
    for seed in range(10):
        g = np.random.default_rng(seed)
        X = g.standard_normal((200, 30)) @ g.standard_normal((30, 30))
        res = svcca.pca(torch.tensor(X, dtype=torch.float32), dtype=torch.float32)
        assert res.n_components_for(1.0) == res.n_components == 30


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_constant_features_explain_nothing(backend):
    # centring 0.1 repeated leaves rounding: a dead layer once "explained" [1, 6e-32, ...] in
    # numpy and [0, 0, ...] in torch; a dead feature beside live ones adds nothing
    rng = np.random.default_rng(0)
    live = rng.standard_normal((50, 3))
    dead = np.full((50, 4), 0.1)
    with_dead = np.hstack([live, np.full((50, 1), 0.1)])
    if backend == "torch":
        torch = pytest.importorskip("torch")
        dead, live, with_dead = (torch.from_numpy(a) for a in (dead, live, with_dead))
    # a dead layer has no direction of variance: ratios of 0 / 0 are refused, as every
    # measure refuses it, instead of read as "explains nothing" (then n_components_for(0.9)
    # said to compute the PCA without n_components)
    with pytest.raises(svcca.DegenerateLayerError, match=r"all 4 features are constant over the 50 samples"):
        svcca.pca(dead)
    np.testing.assert_allclose(
        np.asarray(svcca.pca(with_dead).explained_variance_ratio)[:3],
        np.asarray(svcca.pca(live).explained_variance_ratio),
        rtol=0,
        atol=1e-14,
    )
