"""Tests of svcca.similarity_matrix: a grid equals the per-pair functions, cell by cell."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import svcca
from conftest import TOL64, make_shared_latent_views
from svcca._cka import linear_cka
from svcca._grid import SimilarityMatrix, similarity_matrix

PER_PAIR = {
    "cca": lambda X, Y, **kw: svcca.cca(X, Y, **kw).similarity,
    "svcca": lambda X, Y, **kw: svcca.svcca(X, Y, **kw).similarity,
    "pwcca": lambda X, Y, **kw: svcca.pwcca(X, Y, **kw).similarity,
    "cka": lambda X, Y, **kw: linear_cka(X, Y, **kw).similarity,
    "rbf_cka": lambda X, Y, **kw: svcca.rbf_cka(X, Y, **kw).similarity,
    "minibatch_cka": lambda X, Y, **kw: svcca.minibatch_cka(X, Y, **kw).similarity,
    "procrustes": lambda X, Y, **kw: svcca.procrustes(X, Y, **kw).similarity,
}


def per_pair(method, rows, cols, **kw):
    rows = list(rows.values()) if isinstance(rows, dict) else rows
    cols = list(cols.values()) if isinstance(cols, dict) else cols
    return np.array([[PER_PAIR[method](X, Y, **kw) for Y in cols] for X in rows])


@pytest.fixture
def network_layers(rng):
    """Five layers of one small network over 300 samples: widths 3 to 40, one with a dead
    (constant) neuron, one rank-deficient (12 neurons on an 8-dim span)."""
    n = 300
    x = rng.standard_normal((n, 8))
    h1 = np.tanh(x @ rng.standard_normal((8, 20)))
    h1[:, 4] = 0.0  # a dead ReLU
    h2 = np.tanh(h1 @ rng.standard_normal((20, 40)) / 3)
    h3 = (h2 @ rng.standard_normal((40, 8))) @ rng.standard_normal((8, 12))  # rank 8 of 12
    out = h3 @ rng.standard_normal((12, 3)) + 0.5 * rng.standard_normal((n, 3))
    return {"input": x, "h1": h1, "h2": h2, "h3": h3, "out": out}


@pytest.fixture
def other_network(rng, network_layers):
    """Three layers of a second network over the same samples."""
    x = network_layers["input"]
    g1 = np.maximum(x @ rng.standard_normal((8, 16)), 0)
    g2 = np.tanh(g1 @ rng.standard_normal((16, 10)))
    return [g1, g2, g2 @ rng.standard_normal((10, 4))]


CASES = [
    ("cca", {}),
    ("cca", {"epsilon": 1e-3}),
    ("svcca", {}),
    ("svcca", {"n_components": 4}),
    ("pwcca", {}),
    ("pwcca", {"side": "y"}),
    ("pwcca", {"side": "smaller"}),
    ("pwcca", {"side": "symmetric"}),
    ("cka", {}),
    ("cka", {"debiased": True}),
    ("rbf_cka", {}),
    ("rbf_cka", {"bandwidth": 0.5, "debiased": True}),
    ("minibatch_cka", {"batch_size": 64}),
    ("procrustes", {}),
]


def test_every_registered_measure_has_a_grid_case():
    assert {m for m, _ in CASES} == set(svcca.MEASURES) == set(PER_PAIR)


@pytest.mark.parametrize(("method", "kw"), CASES)
def test_symmetric_grid_equals_per_pair_calls(network_layers, method, kw):
    grid = similarity_matrix(network_layers, measure=method, measure_options=kw)
    want = per_pair(method, network_layers, network_layers, **kw)
    np.testing.assert_allclose(grid.values, want, rtol=0, atol=TOL64)
    assert grid.measure == method
    assert grid.row_labels == grid.col_labels == ("input", "h1", "h2", "h3", "out")


@pytest.mark.parametrize(("method", "kw"), CASES)
def test_rectangular_grid_equals_per_pair_calls(network_layers, other_network, method, kw):
    grid = similarity_matrix(network_layers, other_network, measure=method, measure_options=kw)
    want = per_pair(method, network_layers, other_network, **kw)
    assert grid.shape == (5, 3)
    assert grid.col_labels == (0, 1, 2)
    np.testing.assert_allclose(grid.values, want, rtol=0, atol=TOL64)


@pytest.mark.parametrize(
    ("method", "kw"),
    [("cca", {}), ("svcca", {}), ("cka", {}), ("pwcca", {"side": "symmetric"}), ("rbf_cka", {}),
     ("minibatch_cka", {}), ("procrustes", {})],
)  # fmt: skip
def test_symmetric_measures_give_symmetric_grids(network_layers, method, kw):
    values = similarity_matrix(network_layers, measure=method, measure_options=kw).values
    np.testing.assert_array_equal(values, values.T)  # mirrored, not recomputed


def test_pwcca_from_one_side_is_not_symmetric(network_layers):
    """PWCCA weighted by the row layer differs across the diagonal; both triangles are computed."""
    values = similarity_matrix(network_layers, measure="pwcca").values
    assert np.abs(values - values.T).max() > 1e-3
    layers = list(network_layers.values())
    assert values[3, 1] == pytest.approx(svcca.pwcca(layers[3], layers[1]).similarity, abs=TOL64)
    assert values[1, 3] == pytest.approx(svcca.pwcca(layers[1], layers[3]).similarity, abs=TOL64)


def test_layers_are_prepared_once(network_layers, monkeypatch):
    """Each layer is whitened once, however many pairs it takes part in."""
    import svcca._measures as measures_module

    calls = []
    real = measures_module.whiten_checked
    counting = lambda X, ops, **kw: calls.append(1) or real(X, ops, **kw)  # noqa: E731
    monkeypatch.setattr(measures_module, "whiten_checked", counting)
    similarity_matrix(network_layers, measure="cca")
    assert len(calls) == 5
    calls.clear()
    similarity_matrix(network_layers, list(network_layers.values())[:2], measure="cca")
    assert len(calls) == 7


def test_cka_with_more_features_than_samples(rng):
    """Layers wider than the sample count take the n x n Gram route (also mixed with narrow ones)."""
    n = 40
    x = rng.standard_normal((n, 5))
    layers = {
        "wide": np.tanh(x @ rng.standard_normal((5, 60))),
        "narrow": x,
        "wider": rng.standard_normal((n, 90)),
    }
    for debiased in (False, True):
        grid = similarity_matrix(layers, measure="cka", measure_options={"debiased": debiased})
        want = per_pair("cka", layers, layers, debiased=debiased)
        np.testing.assert_allclose(grid.values, want, rtol=0, atol=TOL64)


@pytest.mark.torch
def test_torch_layers_give_the_same_numbers(network_layers):
    torch = pytest.importorskip("torch")
    tensors = {k: torch.as_tensor(v) for k, v in network_layers.items()}
    for method in ("cca", "pwcca", "cka"):
        got = similarity_matrix(tensors, measure=method)
        assert isinstance(got.values, np.ndarray)
        np.testing.assert_allclose(
            got.values, similarity_matrix(network_layers, measure=method).values, atol=TOL64
        )


def test_reference_activations(reference_dir):
    """Real SVHN layers (half dead ReLUs): the grid equals the per-pair calls."""
    with np.load(reference_dir / "svhn_fc200.npz") as f:
        layers = {k: f[k].astype(np.float64) for k in ("model_0", "model_1")}
    for method in ("cca", "svcca", "pwcca"):
        grid = similarity_matrix(layers, measure=method)
        np.testing.assert_allclose(grid.values, per_pair(method, layers, layers), rtol=0, atol=TOL64)


# --- the result object --------------------------------------------------------------------------


def test_labels_and_result_object(network_layers):
    cols = list(network_layers.values())[:2]
    grid = similarity_matrix(network_layers, cols, measure=svcca.Measure("svcca", keep=0.9))
    assert isinstance(grid, SimilarityMatrix)
    assert grid.row_labels == ("input", "h1", "h2", "h3", "out") and grid.col_labels == (0, 1)
    assert grid.options == {"keep": 0.9, "epsilon": 0.0, "rtol": None}
    assert np.asarray(grid).shape == (5, 2)
    with pytest.raises(ValueError, match="read-only"):
        grid.values[0, 0] = 0.5
    with pytest.raises(AttributeError):
        grid.measure = "cca"
    assert "SimilarityMatrix(measure='svcca', shape=(5, 2)" in repr(grid)


def test_to_pandas(network_layers):
    pytest.importorskip("pandas")
    df = similarity_matrix(network_layers, measure="cka").to_pandas()
    assert list(df.index) == list(df.columns) == list(network_layers)
    assert df.loc["h1", "h2"] == pytest.approx(
        linear_cka(network_layers["h1"], network_layers["h2"]).similarity
    )


def test_progress_bar_runs(network_layers, capsys):
    similarity_matrix(network_layers, measure="cca", progress=True)
    assert "similarity_matrix (cca)" in capsys.readouterr().err


def test_one_sample_size_warning_for_the_grid(rng):
    X, Y = make_shared_latent_views(rng, 40, 25, 20, 2)
    with pytest.warns(svcca.SampleSizeWarning) as record:
        similarity_matrix([X, Y])
    assert len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        similarity_matrix([X, Y], warn=False)
        # a layer against itself is set to 1 without a CCA: the wide layer's 25 + 25
        # features named an inflation no value has; the computed pair (25 + 2) has none
        similarity_matrix({"big": X, "small": X[:, :2]})


def test_a_pickled_grid_stays_read_only(rng):
    import pickle

    X, Y = make_shared_latent_views(rng, 300, 5, 4, 2)
    copy = pickle.loads(pickle.dumps(similarity_matrix([X, Y])))
    with pytest.raises(ValueError, match="read-only"):
        copy.values[0, 1] = 42.0


# --- bad input ------------------------------------------------------------------------------------


def test_different_sample_counts_name_the_layer_and_shapes(network_layers, rng):
    layers = dict(network_layers, short=rng.standard_normal((299, 5)))
    with pytest.raises(
        ValueError,
        match=r"same number of samples \(rows\); got layers_a\['input'\].shape=\(300, 8\) but "
        r"layers_a\['short'\].shape=\(299, 5\)",
    ):
        similarity_matrix(layers)
    with pytest.raises(ValueError, match=r"but layers_b\[1\].shape=\(299, 5\)"):
        similarity_matrix(network_layers, [network_layers["h1"], layers["short"]])


def test_bad_arguments(network_layers):
    X = network_layers["h1"]
    with pytest.raises(ValueError, match="measure must be one of 'cca', 'svcca', .* got 'rsa'"):
        similarity_matrix([X], measure="rsa")
    with pytest.raises(
        ValueError, match=r"keep does not apply to measure='cca' \(its options: epsilon, rtol\)"
    ):
        similarity_matrix([X], measure_options={"keep": 0.9})
    with pytest.raises(ValueError, match="side does not apply to measure='svcca'"):
        similarity_matrix([X], measure="svcca", measure_options={"side": "y"})
    with pytest.raises(ValueError, match="epsilon does not apply to measure='cka'"):
        similarity_matrix([X], measure="cka", measure_options={"epsilon": 0.1})
    with pytest.raises(ValueError, match="side must be one of"):
        similarity_matrix([X], measure="pwcca", measure_options={"side": "left"})
    with pytest.raises(ValueError, match="keep as a variance fraction must be in"):
        similarity_matrix([X], measure="svcca", measure_options={"keep": 1.5})
    with pytest.raises(ValueError, match="measure_options apply to a measure given by name"):
        similarity_matrix([X], measure=svcca.Measure("svcca"), measure_options={"keep": 0.5})
    with pytest.raises(TypeError, match="measure_options must be a dict"):
        similarity_matrix([X], measure="svcca", measure_options=[("keep", 0.5)])


def test_bad_layers(network_layers, rng):
    X = network_layers["h1"]
    with pytest.raises(
        TypeError,
        match=r"layers_a must be a list or dict of arrays .* got a single array of shape \(300, 20\)",
    ):
        similarity_matrix(X)
    with pytest.raises(TypeError, match="layers_b must be a list or dict of arrays"):
        similarity_matrix([X], "h1")
    with pytest.raises(ValueError, match="layers_a is empty"):
        similarity_matrix({})
    with pytest.raises(
        ValueError, match=r"layers_a\['conv'\] must be 2-D .* got layers_a\['conv'\].shape=\(300, 2, 2, 5\)"
    ):
        similarity_matrix({"conv": rng.standard_normal((300, 2, 2, 5))})
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"layers_b\[0\] contains NaN or Inf"):
        similarity_matrix([X], [bad])
    dead = np.full((300, 4), 3.0)
    with pytest.raises(ValueError, match=r"layers_a\['dead'\] has no varying feature"):
        similarity_matrix({"ok": X, "dead": dead})
    with pytest.raises(ValueError, match=r"layers_a\['dead'\] has no varying feature"):
        similarity_matrix({"ok": X, "dead": dead}, measure="cka")
    with pytest.raises(ValueError, match="must be real-valued"):
        similarity_matrix([X + 1j * X], measure="cka")
