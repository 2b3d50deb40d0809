"""The core on real, non-Gaussian activations of trained networks (the shared reference
set, samples first): cross-checked against the principal-angle oracle. Skips cleanly
when the folder is absent."""

from __future__ import annotations

import numpy as np
import pytest

import svcca
from conftest import TOL32, TOL64, principal_cosines


def _load(reference_dir, name):
    with np.load(reference_dir / f"{name}.npz", allow_pickle=False) as d:
        return d["model_0"], d["model_1"]


@pytest.fixture(scope="module")
def mnist_logits(reference_dir):
    """Logits (10000, 10) of two MNIST nets trained from different initialisations."""
    return _load(reference_dir, "mnist_logits")


@pytest.fixture(scope="module")
def svhn_fc200(reference_dir):
    """A 200-unit ReLU layer (1000, 200) of two SVHN nets; about half exact zeros."""
    return _load(reference_dir, "svhn_fc200")


def test_mnist_logits_of_two_nets_are_highly_similar(mnist_logits):
    a, b = mnist_logits
    assert a.shape == b.shape == (10000, 10) and a.dtype == np.float32
    res = svcca.cca(a, b)
    np.testing.assert_allclose(res.rho, principal_cosines(a.astype(float), b.astype(float)), atol=TOL64)
    assert res.n_components == 10
    assert np.all(res.rho[:5] > 0.8) and res.similarity > 0.6
    assert svcca.pwcca(a, b).similarity > res.similarity  # the used directions match best
    # negative control: breaking the pairing of samples leaves chance-level correlations
    perm = np.random.default_rng(0).permutation(a.shape[0])
    assert svcca.cca(a, b[perm]).similarity < 0.1


def test_mnist_logits_self_similarity(mnist_logits):
    a, _ = mnist_logits
    np.testing.assert_allclose(svcca.cca(a, a).rho, 1.0, atol=TOL64)


def test_svhn_relu_layer_no_nan_and_oracle(svhn_fc200):
    a, b = svhn_fc200
    zeros = float(np.mean(a == 0))
    assert 0.4 < zeros < 0.6  # a ReLU layer: about half exact zeros
    res = svcca.cca(a, b)
    assert np.all(np.isfinite(res.rho)) and np.all(np.isfinite(res.x_weights))
    np.testing.assert_allclose(res.rho, principal_cosines(a.astype(float), b.astype(float)), atol=TOL64)
    assert res.x_dropped.size == 0 and res.x_rank == 200  # no unit is dead over all 1000 images
    u, v = res.x_variates, res.y_variates
    np.testing.assert_allclose(u.T @ v / (a.shape[0] - 1), np.diag(res.rho), atol=1e-9)
    perm = np.random.default_rng(0).permutation(a.shape[0])
    assert res.similarity > svcca.cca(a, b[perm]).similarity + 0.1  # above the chance baseline


def test_svhn_dead_units_are_dropped_and_reported(svhn_fc200):
    a, b = svhn_fc200
    dead = np.arange(0, 200, 9)  # silence 23 units, as a dead ReLU would be
    a_dead = a.copy()
    a_dead[:, dead] = 0.0
    res = svcca.cca(a_dead, b)
    np.testing.assert_array_equal(res.x_dropped, dead)
    assert res.x_rank == 200 - dead.size and np.all(res.x_weights[dead] == 0)
    alive = np.setdiff1d(np.arange(200), dead)
    np.testing.assert_allclose(res.rho, svcca.cca(a[:, alive], b).rho, atol=TOL64)
    np.testing.assert_allclose(
        res.rho, principal_cosines(a[:, alive].astype(float), b.astype(float)), atol=TOL64
    )


def test_svhn_float32_compute_and_the_family(svhn_fc200):
    a, b = svhn_fc200
    ref = svcca.cca(a, b)
    np.testing.assert_allclose(svcca.cca(a, b, dtype=np.float32).rho, ref.rho, atol=TOL32)
    np.testing.assert_allclose(svcca.cca(a, b, algorithm="svd").rho, ref.rho, atol=TOL64)
    s = svcca.svcca(a, b)
    assert 0 < s.x_dims <= 200 and 0 < s.similarity <= 1
    p = svcca.pwcca(a, b, side="symmetric")
    assert np.isfinite(p.similarity) and p.alpha.sum() == pytest.approx(1.0)
