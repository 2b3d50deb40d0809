"""Layer identification across seeds (Kornblith et al. 2019, Table 2): config, run, cache, accessors."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from conftest import TOL64, assert_figures_render, write_fake_cifar10

torch = pytest.importorskip("torch")

from svcca.experiments import run_or_load  # noqa: E402
from svcca.experiments.layer_identification import (  # noqa: E402
    DEFAULT_MEASURES,
    KORNBLITH2019_TABLE2,
    LayerIdentificationConfig,
    _identify,
    identification_hits,
    unpack,
)

pytestmark = pytest.mark.torch

#: The tiny preset; conftest's ``tiny_result`` runs it once per module.
TINY = LayerIdentificationConfig.for_scale("tiny")
FIGURES = ["layer-identification", "layer-identification-matrices", "layer-identification-by-layer"]


# --------------------------------------------------------------------------- pure helpers


def test_identification_hits_reads_the_argmax_of_each_row():
    diagonal = np.array([[0.9, 0.2, 0.1], [0.3, 0.8, 0.5], [0.1, 0.4, 0.7]])
    hub = np.array([[0.9, 0.5, 0.4], [0.95, 0.8, 0.7], [0.9, 0.85, 0.88]])
    assert identification_hits(diagonal).tolist() == [True, True, True]
    assert identification_hits(hub).tolist() == [True, False, False]  # every row picks layer 0
    with_nan = diagonal.copy()
    with_nan[1, 0] = np.nan
    assert identification_hits(with_nan).tolist() == [True, False, True]  # a NaN row never counts
    with pytest.raises(ValueError, match=r"matrix must be square \(n_layers, n_layers\); got shape \(2, 3\)"):
        identification_hits(np.ones((2, 3)))


def _synthetic_grid(n_nets: int, blocks: dict[tuple[int, int], np.ndarray], L: int) -> np.ndarray:
    grid = np.eye(n_nets * L)
    for (a, b), block in blocks.items():
        grid[a * L : (a + 1) * L, b * L : (b + 1) * L] = block
    return grid


def test_identify_counts_hits_per_ordered_pair_and_averages_blocks():
    L = 3
    good = np.array([[0.9, 0.2, 0.1], [0.3, 0.8, 0.5], [0.1, 0.4, 0.7]])
    hub = np.array([[0.9, 0.5, 0.4], [0.95, 0.8, 0.7], [0.9, 0.85, 0.88]])
    # nets 0 and 1 correspond layer by layer; every pair with net 2 maps onto a hub
    blocks = {(0, 1): good, (1, 0): good.T, (0, 2): hub, (2, 0): hub.T, (1, 2): hub, (2, 1): hub.T}
    grid = _synthetic_grid(3, blocks, L)[None]
    pairs = np.array([(a, b) for a in range(3) for b in range(3) if a != b])
    argmax, acc, mean = _identify(grid, pairs, L)
    expected = {(0, 1): 1.0, (1, 0): 1.0, (0, 2): 1 / 3, (1, 2): 1 / 3}
    for p, (a, b) in enumerate(pairs):
        if (a, b) in expected:
            assert acc[0, p] == pytest.approx(expected[(a, b)], abs=TOL64)
        np.testing.assert_array_equal(argmax[0, p], np.argmax(blocks[(a, b)], axis=1))
    # hub.T: row 0 = [0.9, 0.95, 0.9] -> 1, row 1 = [0.5, 0.8, 0.85] -> 2, row 2 = [0.4, 0.7, 0.88] -> 2
    assert acc[0, list(map(tuple, pairs)).index((2, 0))] == pytest.approx(1 / 3, abs=TOL64)
    np.testing.assert_allclose(mean[0], sum(blocks.values()) / 6, atol=TOL64)


def test_jackknife_matches_an_explicit_leave_one_network_out_loop():
    K, L = 4, 3
    pairs = np.array([(a, b) for a in range(K) for b in range(K) if a != b])
    rng = np.random.default_rng(0)
    acc = rng.integers(0, L + 1, size=(2, len(pairs))) / L  # two measures, accuracies in thirds
    arrays = {
        "measures": np.array(["cca", "cka"]),
        "layers": np.array(["c1", "c2", "c3"]),
        "seeds": np.arange(K),
        "pairs": pairs,
        "pair_accuracy": acc,
        "test_accuracy": np.ones(K),
    }
    data = unpack(arrays)
    res = data.jackknife("cka", "cca")
    loo = []
    for k in range(K):
        sel = [(a != k and b != k) for a, b in pairs]
        loo.append(acc[1][sel].mean() - acc[0][sel].mean())
    loo = np.array(loo)
    se = math.sqrt((K - 1) / K * ((loo - loo.mean()) ** 2).sum())
    assert res.estimate == pytest.approx(acc[1].mean() - acc[0].mean(), abs=TOL64)
    assert res.se == pytest.approx(se, abs=TOL64)
    assert res.z == pytest.approx(res.estimate / se, abs=1e-8)
    np.testing.assert_allclose(res.leave_one_out, loo, atol=TOL64)
    # negative control: a measure against itself differs by exactly nothing
    same = data.jackknife("cka", "cka")
    assert same.estimate == 0.0 and same.se == 0.0 and math.isnan(same.z)
    with pytest.raises(KeyError, match="measure 'svcca' was not computed"):
        data.jackknife("svcca")


def test_paper_table_is_the_transcribed_table_2():
    # Kornblith et al. (2019), Table 2 (arXiv:1905.00414v4), transcribed by hand
    assert KORNBLITH2019_TABLE2["CCA (rho-bar)"] == 1.4
    assert KORNBLITH2019_TABLE2["SVCCA (rho-bar)"] == 9.9
    assert KORNBLITH2019_TABLE2["PWCCA"] == 11.1
    assert KORNBLITH2019_TABLE2["CKA (Linear)"] == 99.3
    assert KORNBLITH2019_TABLE2["CKA (RBF 0.4)"] == 99.1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dataset": "mnist"}, "dataset must be one of 'digits', 'cifar10'; got 'mnist'"),
        ({"arch": "vgg"}, "arch must be one of .*; got 'vgg'"),
        ({"seeds": (1,)}, r"seeds must be at least 2 distinct ints; got \(1,\)"),
        ({"seeds": (1, 1)}, r"seeds must be at least 2 distinct ints; got \(1, 1\)"),
        ({"eval_split": "val"}, "eval_split must be one of 'test', 'train'; got 'val'"),
        ({"pool": 0}, "pool must be None or an int >= 1; got 0"),
        ({"measures": ("cca", "rsa")}, r"measures must be a non-empty subset of .*; got \('cca', 'rsa'\)"),
        ({"pwcca_side": "both"}, "pwcca_side must be one of 'x', 'y', 'smaller', 'symmetric'; got 'both'"),
        ({"n_eval": 1}, "n_eval must be None or an int >= 2; got 1"),
        ({"augment_shift": -1}, "augment_shift must be an int >= 0; got -1"),
        ({"keep": 1}, r"keep is a variance fraction in \(0, 1\]; got the int 1"),
        ({"keep": 0.0}, r"keep as a variance fraction must be in \(0, 1\]; got 0.0"),
        ({"check_pool": 0}, "check_pool must be None or an int >= 1; got 0"),
    ],
)
def test_bad_configs_say_what_was_expected(overrides, message):
    with pytest.raises(ValueError, match=message):
        LayerIdentificationConfig(**overrides)


def test_presets_and_cache_key():
    from svcca.nn import available_device  # the full presets say device='auto'

    default = LayerIdentificationConfig.for_scale("default")
    assert (default.arch, default.image_size, default.augment_shift, default.pool) == ("six", 16, 2, 1)
    assert default.seeds == (0, 1, 2, 3, 4) and default.measures == DEFAULT_MEASURES
    full = LayerIdentificationConfig.for_scale("full")
    assert (full.dataset, full.arch, full.include_pool_layer) == ("cifar10", "tiny10", True)
    assert len(full.seeds) == 10 and full.device == available_device() and full.num_threads is None
    assert default.num_threads == 1  # CPU runs are pinned to one thread: reproducible, no oversubscription
    # the device, data folder and thread count do not change the results, so not the key
    same = dataclasses.replace(default, device="cuda", data_root="/x", num_threads=2, verify_data=False)
    assert same.key() == default.key()
    assert dataclasses.replace(default, keep=0.9).key() != default.key()


# --------------------------------------------------------------------------- the tiny run


@pytest.mark.slow
def test_tiny_run_caches_and_has_the_documented_arrays(tiny_result, tiny_cache):
    cfg = LayerIdentificationConfig.for_scale("tiny")
    assert not tiny_result.from_cache
    again = run_or_load(cfg, tiny_cache)
    assert again.from_cache
    data = unpack(again)
    K, L, M = len(cfg.seeds), 6, len(DEFAULT_MEASURES)
    assert data.layers == ("conv1", "conv2", "conv3", "conv4", "conv5", "conv6")
    assert data.measures == DEFAULT_MEASURES and data.seeds == cfg.seeds and data.n_eval == 200
    assert data.dataset == "digits" and data.chance == pytest.approx(1 / 6)
    # half-width "six" net, each conv layer average-pooled to its channels
    np.testing.assert_array_equal(data.layer_widths, [8, 16, 16, 32, 32, 64])
    assert again["grid"].shape == (M, K * L, K * L)
    assert again["argmax"].shape == (M, K * (K - 1), L)
    assert again["pair_accuracy"].shape == (M, K * (K - 1))
    assert again["mean_matrix"].shape == (M, L, L)
    assert data.test_accuracy.shape == (K,) and np.all(data.test_accuracy > 0.3)  # trained, not chance
    for m in DEFAULT_MEASURES:
        grid = data.grid(m)
        assert np.all(np.isfinite(grid)) and grid.min() >= -TOL64 and grid.max() <= 1 + TOL64
        np.testing.assert_allclose(np.diag(grid), 1.0, atol=1e-8)  # every layer equals itself
        # every measure here is symmetric (PWCCA weighted from both sides): block(b, a) = block(a, b)^T
        np.testing.assert_allclose(data.block(m, 1, 0), data.block(m, 0, 1).T, atol=1e-12)
        blocks = [data.block(m, a, b) for a, b in data.pairs]
        np.testing.assert_allclose(data.mean_matrix(m).values, np.mean(blocks, axis=0), atol=TOL64)
        hits = np.array([identification_hits(b).mean() for b in blocks])
        np.testing.assert_allclose(data.pair_accuracy(m), hits, atol=TOL64)
        assert data.accuracy(m) == pytest.approx(hits.mean(), abs=TOL64)
        np.testing.assert_allclose(data.layer_accuracy(m).mean(), data.accuracy(m), atol=TOL64)
        freq = data.match_frequency(m)
        np.testing.assert_allclose(freq.sum(axis=1), 1.0, atol=TOL64)
        np.testing.assert_allclose(np.diag(freq), data.layer_accuracy(m), atol=TOL64)
        hub, share = data.hub_layer(m)
        assert hub in data.layers and 1 / L - TOL64 <= share <= 1.0
    # the stored activations are what the measures compared: recompute one cell independently
    import svcca

    X, Y = data.acts("conv3", seed=cfg.seeds[0]), data.acts("conv5", seed=cfg.seeds[1])
    assert X.shape == (200, 16) and Y.shape == (200, 32) and X.dtype == np.float64
    L0 = data.layers.index("conv3")
    L1 = L + data.layers.index("conv5")
    assert data.grid("cka")[L0, L1] == pytest.approx(svcca.linear_cka(X, Y).similarity, abs=1e-9)
    assert data.grid("cca")[L0, L1] == pytest.approx(svcca.cca(X, Y).mean, abs=1e-9)
    assert list(data.network(cfg.seeds[2])) == list(data.layers)
    with pytest.raises(KeyError, match="no activations for layer='fc1', seed=0"):
        data.acts("fc1")
    matrix = data.mean_matrix("svcca")
    assert matrix.measure == "svcca" and matrix.options == {"keep": 0.99} and matrix.row_labels == data.layers
    table = data.paper_table()
    assert table["cka"][1] == 99.3 and 0.0 <= table["cka"][0] <= 100.0
    assert set(data.accuracies()) == set(DEFAULT_MEASURES)


@pytest.mark.slow
def test_tiny_sample_size_check_uses_every_image_and_pooled_positions(tiny_result):
    data = unpack(tiny_result)
    # 1797 digits (both splits), each conv map pooled to 2 x 2 with positions as rows
    assert data.check_rows == 1797 * 4
    K, L, M = len(data.seeds), data.n_layers, len(data.measures)
    assert tiny_result["check_grid"].shape == (M, K * L, K * L)
    for m in data.measures:
        assert data.check_argmax(m).shape == (K * (K - 1), L)
        grid = tiny_result["check_grid"][data.measures.index(m)]
        block = grid[:L, L : 2 * L]
        assert data.check_argmax(m)[0].tolist() == np.argmax(block, axis=1).tolist()
    acc = data.check_accuracies()
    np.testing.assert_allclose(
        [acc[m] for m in data.measures], tiny_result["check_pair_accuracy"].mean(axis=1), atol=TOL64
    )
    assert sum(data.check_share("cka", i) for i in range(L)) == pytest.approx(1.0)
    names = [c.name for c in data.check_claims()]
    assert all(n.startswith("layer_identification.check.") for n in names)


@pytest.mark.slow
def test_tiny_figures_render(tiny_result, tiny_cache, tmp_path):
    assert_figures_render(FIGURES, tmp_path, tiny_cache)


# --------------------------------------------------------------------------- the full path on fake CIFAR-10


def test_full_preset_runs_end_to_end_on_fake_cifar10(tmp_path):
    write_fake_cifar10(tmp_path / "data", per_batch=60)
    cfg = LayerIdentificationConfig.for_scale(
        "full",
        seeds=(0, 1, 2),
        epochs=1,
        width=0.25,  # 4 .. 16 channels
        pool=2,  # 2x2 maps: at most 64 features for 300 images, so CCA has enough samples
        device="cpu",
        data_root=str(tmp_path / "data"),
        verify_data=False,
    )
    assert (cfg.dataset, cfg.arch, cfg.eval_split) == (
        "cifar10",
        "tiny10",
        "train",
    ) and cfg.include_pool_layer
    data = unpack(run_or_load(cfg, tmp_path / "cache"))
    # eight conv layers and the pooling layer (logits excluded), as in Kornblith et al.
    assert data.layers == (*(f"conv{i}" for i in range(1, 9)), "pool")
    assert data.dataset == "cifar10" and data.n_eval == 300  # n_eval=10000 capped at the 300 training images
    with pytest.raises(KeyError, match="did not store activations; rerun with store_activations=True"):
        data.acts("conv1")
    np.testing.assert_array_equal(data.layer_widths, [16, 16, 32, 32, 32, 64, 64, 64, 16])
    assert data.chance == pytest.approx(1 / 9)
    for m in DEFAULT_MEASURES:
        assert 0.0 <= data.accuracy(m) <= 1.0 and np.all(np.isfinite(data.grid(m)))


def test_full_preset_without_data_points_at_the_download_command(tmp_path):
    cfg = LayerIdentificationConfig.for_scale("full", device="cpu", data_root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"CIFAR-10 not found.*data_scripts/download_cifar10.py"):
        cfg.run()


# --------------------------------------------------------------------------- claims


def _synthetic_result(hub_share_cca: float = 1.0) -> dict[str, np.ndarray]:
    """Four networks of three layers: CKA finds every layer; mean CCA maps every layer onto
    layer 0 (a hub)."""
    K, L = 4, 3
    good = np.array([[0.9, 0.2, 0.1], [0.3, 0.8, 0.5], [0.1, 0.4, 0.7]])
    hub = np.array([[0.9, 0.5, 0.4], [0.95, 0.8, 0.7], [0.9, 0.85, 0.88]])
    pairs = np.array([(a, b) for a in range(K) for b in range(K) if a != b])
    blocks_cka = {(a, b): (good if a < b else good.T) for a, b in pairs}
    blocks_cca = {(a, b): (hub if a < b else hub.T) for a, b in pairs}
    grid = np.stack([_synthetic_grid(K, blocks_cca, L), _synthetic_grid(K, blocks_cka, L)])
    argmax, acc, mean = _identify(grid, pairs, L)
    return {
        "measures": np.array(["cca", "cka"]),
        "layers": np.array(["c1", "c2", "c3"]),
        "layer_widths": np.array([16, 32, 64]),
        "seeds": np.arange(K),
        "pairs": pairs,
        "grid": grid,
        "argmax": argmax,
        "pair_accuracy": acc,
        "mean_matrix": mean,
        "test_accuracy": np.ones(K),
        "n_eval": np.array(100),
        "dataset": np.array("digits"),
    }


def test_claims_compute_accuracies_hubs_and_margins_from_the_result():
    from svcca.experiments import Claim

    data = unpack(_synthetic_result())
    claims = {c.name: c for c in data.claims()}
    assert all(isinstance(c, Claim) and c.name.startswith("layer_identification.") for c in claims.values())
    assert len(claims) == len(data.claims())
    acc_cca, acc_cka = data.accuracy("cca"), data.accuracy("cka")
    assert acc_cka == 1.0 and acc_cca < 1.0
    assert claims["layer_identification.cka.accuracy"].value == acc_cka
    assert claims["layer_identification.cka.above_chance"].value == pytest.approx(1 - 1 / 3)
    assert claims["layer_identification.cka.above_cca_family"].value == pytest.approx(acc_cka - acc_cca)
    assert claims["layer_identification.cca_family.at_chance"].value == pytest.approx(acc_cca - 1 / 3)
    assert claims["layer_identification.cca_family.at_chance"].bound == 0.05
    # hub (a < b) sends every row to layer 0; hub.T (a > b) sends rows to 1, 2, 2
    assert claims["layer_identification.cca_family.hub_first"].value == pytest.approx(0.5)
    # the seed-averaged matrix is (good + good.T) / 2; its last row is 0.1, 0.45, 0.7
    assert claims["layer_identification.cka.diagonal"].value == pytest.approx(0.25)
    assert claims["layer_identification.cka.every_pair"].value == pytest.approx(1 - acc_cca)
    assert claims["layer_identification.cka.no_hub"].value == pytest.approx(1 / 3)
    # no stored activations: the exercises' claims are left out
    assert not any(".top_k." in n or "svcca_keep" in n for n in claims)


def test_tiny_claims_include_the_exercises_and_agree_with_the_grid(tiny_result):
    data = unpack(tiny_result)
    names = [c.name for c in LayerIdentificationConfig.for_scale("tiny").claims(tiny_result)]
    assert len(set(names)) == len(names) and all(n.startswith("layer_identification.") for n in names)
    assert "layer_identification.top_k.hub_widest" in names
    # rerunning a computed measure on the stored activations gives the experiment's accuracy
    accuracy, choices = data.identification_from_acts("cka")
    assert accuracy == pytest.approx(data.accuracy("cka"), abs=1e-9)
    assert choices.sum() == len(data.pairs) * data.n_layers


@pytest.mark.parametrize("a, b", [(0, 4), (4, 0), (-5, 1), (0, 1.0)])
def test_block_refuses_a_network_index_out_of_range(a, b):
    # a slice past the grid gave an empty block, and -1 a block of the wrong networks
    data = unpack(_synthetic_result())
    with pytest.raises((IndexError, TypeError, ValueError), match="network index"):
        data.block("cka", a, b)


def test_block_reads_the_grid_of_the_two_networks():
    data = unpack(_synthetic_result())
    grid, L = data.grid("cka"), data.n_layers
    for a, b in [(0, 1), (3, 2), (-1, 0)]:
        np.testing.assert_array_equal(
            data.block("cka", a, b), grid[(a % 4) * L : (a % 4 + 1) * L, b * L : (b + 1) * L]
        )


def test_accuracy_figure_shows_the_papers_rows_of_the_measures_it_has():
    # a run with a measure Table 2 has no row for (rbf_cka) raised KeyError in the figure
    import types

    import matplotlib.pyplot as plt

    from svcca.figures.layer_identification import draw_accuracy

    ours = {"cka": 0.9, "rbf_cka": 0.8}
    data = types.SimpleNamespace(measures=tuple(ours), accuracy=ours.__getitem__, chance=0.2)
    axes = draw_accuracy(data)
    assert [p.get_height() for p in axes[0].patches] == [0.9, 0.8]
    assert [p.get_height() for p in axes[1].patches] == [0.993]  # Kornblith et al., CKA (Linear)
    assert [t.get_text() for t in axes[1].get_xticklabels()] == ["linear cka"]
    plt.close(axes[0].figure)
    axes = draw_accuracy(types.SimpleNamespace(measures=("rbf_cka",), accuracy=ours.__getitem__, chance=0.2))
    assert axes[0].get_visible() and not axes[1].get_visible()
    plt.close(axes[0].figure)


def test_accuracy_panels_name_their_source_in_their_labels_not_in_titles():
    # both panels read "measure": which is this run and which is Kornblith et al.'s table
    # was only in the caption. The house style puts no titles inside plots (STYLE.md)
    import types

    import matplotlib.pyplot as plt

    from svcca.figures.layer_identification import draw_accuracy

    ours = {"cca": 0.2, "cka": 0.9}
    data = types.SimpleNamespace(measures=tuple(ours), accuracy=ours.__getitem__, chance=0.2)
    axes = draw_accuracy(data)
    assert [ax.get_xlabel() for ax in axes] == [
        "measure, this run",
        "measure, kornblith et al. (2019), table 2",
    ]
    assert [ax.get_ylabel() for ax in axes] == ["identification accuracy", ""]  # the y axis is shared
    assert [ax.get_title() for ax in axes] == ["", ""]
    plt.close(axes[0].figure)
