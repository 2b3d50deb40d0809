"""plot_canonical_directions: the geometry figure of chapter 1."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import svcca  # noqa: E402
from svcca.plotting import plot_canonical_directions  # noqa: E402


@pytest.fixture
def two_neuron_layers():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((400, 2))
    X = z @ np.array([[1.0, 0.6], [0.2, 1.0]]) + 3.0
    Y = np.column_stack([z[:, 0] + 0.3 * rng.standard_normal(400), rng.standard_normal(400)])
    return X, Y, z[:, 0]


def test_three_panels_and_variates_correlate_as_rho(two_neuron_layers):
    X, Y, colour = two_neuron_layers
    res = svcca.cca(X, Y)
    axes = plot_canonical_directions(X, Y, res, color=colour)
    assert len(axes) == 3
    # the third panel's k-th point set is (X a_k, Y b_k): its correlation is rho_k
    for k, coll in enumerate(axes[2].collections):
        u, v = np.asarray(coll.get_offsets()).T
        assert abs(np.corrcoef(u, v)[0, 1] - res.rho[k]) < 1e-10
    # one arrow per canonical direction in each neuron-space panel
    for ax in axes[:2]:
        assert sum(1 for t in ax.texts if "$_" in t.get_text()) == 2
    plt.close("all")


def test_draws_on_given_axes(two_neuron_layers):
    X, Y, _ = two_neuron_layers
    fig, given = plt.subplots(1, 3)
    axes = plot_canonical_directions(X, Y, axes=given)
    assert list(axes) == list(given)
    plt.close(fig)


def test_bad_input_says_what_arrived(two_neuron_layers):
    X, Y, _ = two_neuron_layers
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\).*\(400, 3\)"):
        plot_canonical_directions(np.column_stack([X, X[:, :1]]), Y)
    with pytest.raises(ValueError, match="same number of samples"):
        plot_canonical_directions(X[:-1], Y)
    fig, two = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="three matplotlib Axes; got 2"):
        plot_canonical_directions(X, Y, axes=two)
    plt.close("all")
