"""Generalizing vs memorizing networks and the width result (Morcos et al. 2018): configs,
runs, cache, accessors, the network-level statistics, figures, and the CIFAR-10 path."""

from __future__ import annotations

import math
from math import comb

import numpy as np
import pytest

from conftest import TOL32, TOL64, assert_figures_render, write_fake_cifar10

torch = pytest.importorskip("torch")

import svcca  # noqa: E402
from svcca.experiments import run_or_load  # noqa: E402
from svcca.experiments.generalization import (  # noqa: E402
    DEFAULT_MEASURES,
    GapResult,
    GeneralizationConfig,
    group_permutation_test,
    network_bootstrap,
    pair_values,
    unpack,
)
from svcca.experiments.width import WidthConfig  # noqa: E402
from svcca.experiments.width import unpack as unpack_width  # noqa: E402
from svcca.nn import available_device  # noqa: E402
from svcca.stats import BootstrapResult  # noqa: E402

pytestmark = pytest.mark.torch

#: The tiny preset; conftest's ``tiny_result`` runs it once per module.
TINY = GeneralizationConfig.for_scale("tiny")
FIGURES = ["generalization-pwcca", "generalization-measures", "generalization-svcca", "width-similarity"]


@pytest.fixture(scope="module")
def tiny_width_result(tiny_cache):
    return run_or_load(WidthConfig.for_scale("tiny"), tiny_cache)


def _block_matrix(
    gg: float, mm: float, gm: float, n_g: int = 4, n_m: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """A similarity matrix whose GG, MM and GM pairs all have the given values (diagonal 1)."""
    memorizing = np.array([False] * n_g + [True] * n_m)
    M = np.full((n_g + n_m, n_g + n_m), gm)
    M[np.ix_(~memorizing, ~memorizing)] = gg
    M[np.ix_(memorizing, memorizing)] = mm
    np.fill_diagonal(M, 1.0)
    return M, memorizing


# --------------------------------------------------------------------------- pure helpers


def test_pair_values_reads_each_kind_once():
    M, mem = _block_matrix(0.9, 0.6, 0.4, n_g=3, n_m=4)
    assert pair_values(M, mem, "GG").tolist() == [0.9] * comb(3, 2)
    assert pair_values(M, mem, "MM").tolist() == [0.6] * comb(4, 2)
    assert pair_values(M, mem, "GM").tolist() == [0.4] * (3 * 4)
    # the groups need not be contiguous: the flags decide
    order = np.array([4, 0, 5, 1, 6, 2, 3])
    np.testing.assert_array_equal(pair_values(M[np.ix_(order, order)], mem[order], "MM"), [0.6] * 6)


def test_pair_values_and_statistics_reject_bad_input():
    M, mem = _block_matrix(0.9, 0.6, 0.4)
    with pytest.raises(ValueError, match="kind must be one of"):
        pair_values(M, mem, "GX")
    with pytest.raises(
        ValueError, match=r"matrix must have shape \(n_networks, n_networks\) = \(8, 8\); got \(7, 7\)"
    ):
        pair_values(M[:7, :7], mem, "GG")
    with pytest.raises(ValueError, match="need at least 2 networks in each group; got 1 generalizing and 7"):
        network_bootstrap(M, [False] + [True] * 7)
    with pytest.raises(ValueError, match="n_resamples must be a positive int; got 0"):
        network_bootstrap(M, mem, n_resamples=0)


def test_network_bootstrap_recovers_block_values_exactly():
    M, mem = _block_matrix(0.9, 0.6, 0.4)
    boot = network_bootstrap(M, mem, n_resamples=300, rng=1)
    assert set(boot) == {"GG", "MM", "GM"}
    for kind, value in (("GG", 0.9), ("MM", 0.6), ("GM", 0.4)):
        finite = boot[kind][np.isfinite(boot[kind])]
        assert finite.size > 250
        np.testing.assert_allclose(finite, value, atol=TOL64)


def test_network_bootstrap_never_pairs_a_network_with_itself():
    # a huge diagonal would leak into every replicate that drew a network twice
    rng = np.random.default_rng(0)
    A = rng.uniform(0.3, 0.7, (10, 10))
    M = (A + A.T) / 2
    np.fill_diagonal(M, 100.0)
    mem = np.array([False] * 5 + [True] * 5)
    boot = network_bootstrap(M, mem, n_resamples=500, rng=0)
    for kind in ("GG", "MM", "GM"):
        finite = boot[kind][np.isfinite(boot[kind])]
        assert finite.max() <= 0.7 and finite.min() >= 0.3


def test_network_bootstrap_is_seeded_and_spreads_with_network_variation():
    rng = np.random.default_rng(3)
    n = 10
    effect = rng.normal(0, 0.05, n)  # each network's own offset: its pairs move together
    M = 0.6 + (effect[:, None] + effect[None, :]) / 2
    np.fill_diagonal(M, 1.0)
    mem = np.array([False] * 5 + [True] * 5)
    a = network_bootstrap(M, mem, n_resamples=400, rng=7)
    b = network_bootstrap(M, mem, n_resamples=400, rng=7)
    for kind in a:
        np.testing.assert_array_equal(a[kind], b[kind])
    assert np.nanstd(a["GG"]) > 0.005
    # negative control: with no network effect there is nothing to resample
    flat, _ = _block_matrix(0.6, 0.6, 0.6, 5, 5)
    c = network_bootstrap(flat, mem, n_resamples=400, rng=7)
    assert np.nanstd(c["GG"]) < TOL64


def test_group_permutation_test_is_exact():
    M, mem = _block_matrix(0.9, 0.6, 0.5, n_g=5, n_m=5)
    observed, p = group_permutation_test(M, mem)
    assert observed == pytest.approx(0.3, abs=TOL64)
    assert p == pytest.approx(1 / comb(10, 5), abs=TOL64)  # only the true split does as well
    # swapping the labels turns the gap around: every split is at least as large
    observed_swapped, p_swapped = group_permutation_test(M, ~mem)
    assert observed_swapped == pytest.approx(-0.3, abs=TOL64) and p_swapped == pytest.approx(1.0)


def test_group_permutation_test_negative_control():
    # exchangeable networks: the labels carry nothing, so the p-value is not small
    rng = np.random.default_rng(11)
    A = rng.normal(0.6, 0.02, (10, 10))
    M = (A + A.T) / 2
    np.fill_diagonal(M, 1.0)
    masks = [rng.permutation(np.repeat([False, True], 5)) for _ in range(4)]
    ps = np.array([group_permutation_test(M, mask)[1] for mask in masks])
    assert np.all((ps >= 1 / comb(10, 5)) & (ps <= 1.0)) and np.median(ps) > 0.1, ps


# --------------------------------------------------------------------------- configs


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dataset": "mnist"}, "dataset must be one of 'digits', 'cifar10'; got 'mnist'"),
        ({"model": "rnn"}, "model must be one of 'mlp', 'conv'; got 'rnn'"),
        ({"n_networks": 1}, r"n_networks must be an int >= 2 \(networks per group\); got 1"),
        ({"measures": ("pwcca", "rsa")}, "measures must be distinct names from"),
        ({"measures": ("cka", "cka")}, "measures must be distinct names from"),
        ({"target_train_accuracy": 0.0}, r"target_train_accuracy must be in \(0, 1\]; got 0.0"),
        ({"eval_shift": -1}, "eval_shift must be an int >= 0; got -1"),
        ({"dataset": "cifar10", "eval_shift": 1}, "is for the digits only; got dataset='cifar10'"),
        ({"keep": 1}, r"keep is a variance fraction in \(0, 1\]; got the int 1"),
        ({"keep": 1.5}, r"keep as a variance fraction must be in \(0, 1\]; got 1.5"),
        ({"n_train": 0}, "n_train must be None or an int >= 1; got 0"),
        ({"n_eval": 1}, "n_eval must be None or an int >= 2; got 1"),
        ({"positions_per_image": 0}, "positions_per_image must be None or an int >= 1; got 0"),
        ({"model": "conv", "arch": "vgg"}, "arch must be one of .*; got 'vgg'"),
    ],
)
def test_bad_generalization_configs_say_what_was_expected(overrides, message):
    with pytest.raises(ValueError, match=message):
        GeneralizationConfig(**overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"seeds": (0,)}, r"seeds must be at least 2 distinct ints; got \(0,\)"),
        ({"widths": (64, 32)}, r"widths must be increasing positive numbers; got \(64, 32\)"),
        ({"widths": (0.5, 1.0)}, r"MLP widths must be whole numbers of units; got \(0.5, 1.0\)"),
        ({"depth": 0}, "depth must be an int >= 1; got 0"),
        ({"measures": ()}, "measures must be distinct names from"),
        ({"keep": 0.0}, r"keep as a variance fraction must be in \(0, 1\]; got 0.0"),
        ({"n_train": -1}, "n_train must be None or an int >= 1; got -1"),
        ({"n_eval": 0}, "n_eval must be None or an int >= 2; got 0"),
        ({"positions_per_image": 0}, "positions_per_image must be None or an int >= 1; got 0"),
        ({"model": "conv", "widths": (0.5, 1.0), "arch": "vgg"}, "arch must be one of .*; got 'vgg'"),
    ],
)
def test_bad_width_configs_say_what_was_expected(overrides, message):
    with pytest.raises(ValueError, match=message):
        WidthConfig(**overrides)


def test_presets_and_cache_key():
    default = GeneralizationConfig.for_scale("default")
    assert (default.hidden, default.n_networks, default.eval_shift, default.target_train_accuracy) == (
        (256, 256, 256),
        5,
        1,
        1.0,
    )
    assert default.network_seeds() == ((0, 1, 2, 3, 4), (500, 501, 502, 503, 504))
    full = GeneralizationConfig.for_scale("full")
    expected = ("cifar10", "conv", available_device(), 0)  # the full presets say device='auto'
    assert (full.dataset, full.model, full.device, full.eval_shift) == expected
    # the device, data folder and thread count are not part of an experiment's identity
    assert full.key() == GeneralizationConfig.for_scale("full", device="cpu", num_threads=1).key()
    assert default.key() != GeneralizationConfig.for_scale("default", seed=1).key()
    width = WidthConfig.for_scale("default")
    assert width.widths == (32, 64, 128, 256, 512) and width.seeds == (0, 1, 2) and not width.all_layers
    assert WidthConfig.for_scale("full").widths == (0.25, 0.5, 1.0, 2.0, 4.0)


# --------------------------------------------------------------------------- the tiny run


def test_tiny_generalization_run_caches_and_has_the_documented_arrays(tiny_result, tiny_cache):
    again = run_or_load(TINY, tiny_cache)
    assert again.from_cache
    np.testing.assert_array_equal(again["similarity"], tiny_result["similarity"])
    data = unpack(tiny_result)
    k = data.config.n_networks
    assert data.layers == ("fc1", "fc2", "logits") and data.hidden_layers == ("fc1", "fc2")
    assert data.last_hidden == "fc2" and data.measures == DEFAULT_MEASURES
    assert data.n_per_group == (k, k) and data.dataset == "digits"
    assert data.memorizing.tolist() == [False] * k + [True] * k
    assert data.seeds.tolist() == [*range(k), *range(500, 500 + k)]
    assert tiny_result["similarity"].shape == (len(DEFAULT_MEASURES), 3, 2 * k, 2 * k)
    assert data.n_rows == {"fc1": 100, "fc2": 100, "logits": 100}
    assert data.layer_widths == {"fc1": 32, "fc2": 32, "logits": 10}
    assert np.all(data.epochs <= data.config.epochs) and np.all(
        (data.test_accuracy >= 0) & (data.test_accuracy <= 1)
    )
    for m in DEFAULT_MEASURES:
        for layer in data.layers:
            S = data.matrix(m, layer)
            np.testing.assert_allclose(S, S.T, atol=TOL64)  # symmetric PWCCA, symmetric measures
            np.testing.assert_allclose(np.diag(S), 1.0, atol=1e-6)
            assert np.all((S >= -TOL64) & (S <= 1 + 1e-6))
    assert data.svcca_dims("G").shape == (k, 3) and np.all(data.svcca_dims("M") >= 1)


def test_tiny_generalization_accessors(tiny_result):
    data = unpack(tiny_result)
    k = data.config.n_networks
    assert data.pairs("pwcca", "GG").shape == (comb(k, 2), 3)
    assert data.pairs("pwcca", "GM", ["fc2"]).shape == (k * k, 1)
    np.testing.assert_allclose(data.mean("cka", "MM"), data.pairs("cka", "MM").mean(0), atol=TOL64)
    intervals = data.intervals("pwcca", "GG", n_resamples=200)
    assert len(intervals) == 3 and all(isinstance(iv, BootstrapResult) for iv in intervals)
    assert all(iv.low <= iv.observed <= iv.high for iv in intervals)
    np.testing.assert_allclose([iv.observed for iv in intervals], data.mean("pwcca", "GG"), atol=TOL64)
    gap = data.gap("pwcca", "fc2", n_resamples=200)
    assert isinstance(gap, GapResult) and gap.kinds == ("GG", "MM") and gap.layer == "fc2"
    assert gap.difference == pytest.approx(
        data.mean("pwcca", "GG", ["fc2"])[0] - data.mean("pwcca", "MM", ["fc2"])[0], abs=TOL64
    )
    assert 1 / comb(2 * k, k) - TOL64 <= gap.p_value <= 1.0
    assert data.gap("cka", -1, ("MM", "GM"), n_resamples=50).p_value is None
    assert data.gap("pwcca", 1, n_resamples=50).layer == "fc2"  # layers by index too
    assert "GG-MM" in data.table("pwcca") and "fc1" in data.table("pwcca")
    with pytest.raises(KeyError, match="unknown measure 'rsa'"):
        data.matrix("rsa", "fc1")
    with pytest.raises(KeyError, match="unknown layer 'fc9'"):
        data.matrix("pwcca", "fc9")
    with pytest.raises(ValueError, match="group must be one of 'G', 'M'; got 'X'"):
        data.group("X")
    with pytest.raises(ValueError, match=r"confidence must be a number in \(0, 1\); got 1.5"):
        data.gap("pwcca", "fc1", confidence=1.5)


def test_tiny_generalization_matches_an_independent_recomputation(tiny_result):
    """Train one generalizing and one memorizing network by hand and compare them directly."""
    from svcca.nn import MLP, load_digits, random_labels, record
    from svcca.nn.train import train

    data = unpack(tiny_result)
    cfg = data.config
    digits = load_digits()
    x, y = digits.train.tensors
    subset = torch.utils.data.TensorDataset(x[: cfg.n_train], y[: cfg.n_train])
    nets = []
    for seed, ds in ((0, subset), (500, random_labels(subset, seed=cfg.seed))):
        net = MLP(64, cfg.hidden, 10, seed=seed)
        train(net, ds, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=seed,
              target_train_accuracy=cfg.target_train_accuracy, progress=False)  # fmt: skip
        nets.append(net)
    test_x = digits.test.tensors[0][: cfg.n_eval]
    X, Y = (record(n, test_x, ["fc2"])["fc2"].astype(np.float64) for n in nets)
    k = cfg.n_networks
    expected = svcca.pwcca(X, Y, side="symmetric", warn=False).similarity
    assert data.matrix("pwcca", "fc2")[0, k] == pytest.approx(expected, abs=TOL32)
    assert data.matrix("cka", "fc2")[0, k] == pytest.approx(svcca.linear_cka(X, Y).similarity, abs=TOL32)


def test_tiny_width_run_caches_and_has_the_documented_arrays(tiny_width_result, tiny_cache):
    assert run_or_load(WidthConfig.for_scale("tiny"), tiny_cache).from_cache
    data = unpack_width(tiny_width_result)
    assert data.layers == ("fc2",) and data.seeds == (0, 1) and data.width_labels == ["8", "16"]
    assert tiny_width_result["similarity"].shape == (2, len(DEFAULT_MEASURES), 2, 1, 1)
    assert data.test_accuracy.shape == data.init_accuracy.shape == (2, 2)
    assert data.pairs("pwcca").shape == (1, 2) and data.pairs("cka", "init", "fc2").shape == (1, 2)
    np.testing.assert_allclose(
        data.learned("cka"), data.mean("cka", "trained") - data.mean("cka", "init"), atol=TOL64
    )
    assert np.all(np.isfinite(tiny_width_result["similarity"]))
    assert "test acc" in data.table() and int(tiny_width_result["n_rows"]) == 100
    with pytest.raises(ValueError, match="state must be one of 'trained', 'init'; got 'final'"):
        data.pairs("pwcca", "final")
    with pytest.raises(KeyError, match="unknown measure 'rsa'"):
        data.pairs("rsa")
    with pytest.raises(KeyError, match="layer 'fc1' was not compared"):
        data.pairs("pwcca", layer="fc1")


def test_width_controls_are_a_row_shuffle_and_every_image(tiny_cache):
    # the shuffled baseline is the pair with one network's rows permuted; the check uses
    # every image of both splits (1797 digits, no shifts at the tiny scale)
    cfg = WidthConfig.for_scale("tiny", measures=("cka",), widths=(8,))
    data = unpack_width(run_or_load(cfg, tiny_cache))
    assert data.shuffled("cka").shape == data.check("cka", "init").shape == (1, 1)
    assert data.check_rows == 1797 and data.arrays["shuffled_similarity"].shape == (2, 1, 1, 1, 1)
    from svcca.nn import MLP, load_digits, record

    x = load_digits().test.tensors[0][: cfg.n_eval]
    a, b = (record(MLP(64, (8, 8), 10, seed=s), x, ["fc2"])["fc2"].astype(np.float64) for s in cfg.seeds)
    perm = np.random.default_rng([cfg.seed, 0, 0, 1]).permutation(len(b))
    assert data.shuffled("cka", "init")[0, 0] == pytest.approx(
        svcca.linear_cka(a, b[perm]).similarity, abs=TOL32
    )
    np.testing.assert_allclose(
        data.above_baseline("cka"), data.mean("cka") - data.shuffled("cka").mean(axis=0), atol=TOL64
    )
    claims = {c.name: c for c in data.control_claims()}
    assert set(claims) == {
        "width.baseline.cka_flat", "width.baseline.above_everywhere", "width.check.cka_trained_rises",
        "width.check.cka_init_rises_faster", "width.check.cka_learned_shrinks",
    }  # fmt: skip
    largest = max(data.shuffled("cka", state).max() for state in ("trained", "init"))
    assert claims["width.baseline.cka_flat"].value == pytest.approx(largest, abs=TOL64)
    without = unpack_width({k: v for k, v in data.arrays.items() if not k.startswith("check")}, cfg)
    assert without.check_rows is None
    assert not [c for c in without.control_claims() if c.name.startswith("width.check.")]
    with pytest.raises(KeyError, match="no sample-size check"):
        without.check("cka")


def test_width_controls_only_for_the_measures_they_are_asked_for(tiny_width_result, tiny_cache):
    """By default the controls are computed for PWCCA and CKA only (what chapter 6 reads);
    another measure's control says how to get it, and a measure outside ``measures`` is refused."""
    data = unpack_width(tiny_width_result)
    assert data.measures == ("pwcca", "cca", "svcca", "cka") and data.controlled == ("pwcca", "cka")
    assert tiny_width_result["shuffled_similarity"].shape[1] == 2
    assert data.shuffled("cka").shape == data.check("pwcca", "init").shape == data.pairs("cka").shape
    with pytest.raises(KeyError, match=r"no controls for 'cca' \(control_measures=\('pwcca', 'cka'\)\)"):
        data.shuffled("cca")
    with pytest.raises(KeyError, match="no controls for 'svcca'"):
        data.check("svcca")
    # the same controls as a run that controls every measure (the cca and svcca ones added)
    every = WidthConfig.for_scale("tiny", control_measures=("pwcca", "cca", "svcca", "cka"))
    assert every.controlled == every.measures and every.key() != WidthConfig.for_scale("tiny").key()
    full = unpack_width(run_or_load(every, tiny_cache))
    for m in ("pwcca", "cka"):
        for state in ("trained", "init"):
            np.testing.assert_array_equal(full.shuffled(m, state), data.shuffled(m, state))
            np.testing.assert_array_equal(full.check(m, state), data.check(m, state))
    assert [c.to_dict() for c in full.control_claims()] == [c.to_dict() for c in data.control_claims()]
    assert np.isfinite(full.shuffled("cca")).all()
    # no controls at all
    none = unpack_width(run_or_load(WidthConfig.for_scale("tiny", control_measures=()), tiny_cache))
    assert none.controlled == () and "shuffled_similarity" not in none.arrays
    assert none.control_claims() == []
    for control in (none.shuffled, none.check):  # not "check_all_images=False": it was True
        with pytest.raises(KeyError, match=r"no controls for 'pwcca' \(control_measures=\(\)\)"):
            control("pwcca")


@pytest.mark.parametrize("bad", [("rsa",), ("cka", "cka"), "cka", ("cca",)])
def test_width_control_measures_must_be_some_of_the_measures(bad):
    with pytest.raises(ValueError, match="control_measures must be distinct names among measures="):
        WidthConfig.for_scale("tiny", measures=("pwcca", "cka"), control_measures=bad)


def test_width_all_layers_and_init_is_the_untrained_network(tiny_cache):
    cfg = WidthConfig.for_scale("tiny", all_layers=True, measures=("cka",), widths=(8,))
    data = unpack_width(run_or_load(cfg, tiny_cache))
    assert data.layers == ("fc1", "fc2")
    # the untrained twin is the network as built from its seed
    from svcca.nn import MLP, load_digits, record

    x = load_digits().test.tensors[0][: cfg.n_eval]
    a, b = (record(MLP(64, (8, 8), 10, seed=s), x, ["fc1"])["fc1"].astype(np.float64) for s in cfg.seeds)
    assert data.pairs("cka", "init", "fc1")[0, 0] == pytest.approx(
        svcca.linear_cka(a, b).similarity, abs=TOL32
    )


def test_tiny_figures_render(tiny_result, tiny_width_result, tiny_cache, tmp_path):
    import matplotlib.pyplot as plt

    from svcca import figures

    assert {s.chapter for s in figures.specs() if s.name in FIGURES} == {6}
    assert_figures_render(FIGURES, tmp_path, tiny_cache)
    plt.close("all")


# --------------------------------------------------------------------------- the full path on fake CIFAR-10


@pytest.mark.slow
def test_full_presets_run_end_to_end_on_fake_cifar10(tmp_path):
    write_fake_cifar10(tmp_path / "data", per_batch=20)
    common = {"device": "cpu", "data_root": str(tmp_path / "data"), "verify_data": False, "n_eval": 20}
    cfg = GeneralizationConfig.for_scale(
        "full", n_networks=2, epochs=1, width=0.25, positions_per_image=4, num_threads=1, **common
    )
    assert (cfg.dataset, cfg.model, cfg.arch) == ("cifar10", "conv", "tiny10")
    data = unpack(run_or_load(cfg, tmp_path / "cache"))
    assert data.dataset == "cifar10" and data.layers == (*(f"conv{i}" for i in range(1, 9)), "logits")
    assert data.n_rows["conv1"] == 20 * 4 and data.n_rows["logits"] == 20  # positions as datapoints
    assert data.layer_widths["conv1"] == 4 and data.layer_widths["conv8"] == 16
    assert np.all(np.isfinite(data.arrays["similarity"]))
    assert not data.reached_target.any()  # one epoch does not fit 100 random labels to 99%
    wcfg = WidthConfig.for_scale(
        "full", widths=(0.125, 0.25), seeds=(0, 1), epochs=1, positions_per_image=4, **common
    )
    wdata = unpack_width(run_or_load(wcfg, tmp_path / "cache"))
    assert (
        wdata.dataset == "cifar10" and wdata.layers == ("conv8",) and wdata.width_labels == ["0.125", "0.25"]
    )
    assert int(wdata.arrays["n_rows"]) == 20 * 4 and np.all(np.isfinite(wdata.arrays["similarity"]))


def test_full_presets_without_data_point_at_the_download_command(tmp_path):
    for cfg in (
        GeneralizationConfig.for_scale("full", device="cpu", data_root=str(tmp_path)),
        WidthConfig.for_scale("full", device="cpu", data_root=str(tmp_path)),
    ):
        with pytest.raises(FileNotFoundError, match=r"CIFAR-10 not found.*data_scripts/download_cifar10.py"):
            cfg.run()


# --------------------------------------------------------------------------- claims


def _synthetic_generalization(n: int = 3) -> dict[str, np.ndarray]:
    """Three hidden layers and logits; PWCCA's GG - MM gap grows 0.02 -> 0.08 -> 0.20 and MM
    sits 0.01 above GM in the last hidden layer; tiny deterministic noise keeps the spreads
    non-zero."""
    rng = np.random.default_rng(0)
    layers = ["fc1", "fc2", "fc3", "logits"]
    values = {  # measure -> per layer (GG, MM, GM)
        "pwcca": [(0.90, 0.88, 0.87), (0.90, 0.84, 0.83), (0.90, 0.70, 0.69), (0.99, 0.6, 0.3)],
        "cca": [(0.60, 0.60, 0.59), (0.55, 0.50, 0.50), (0.55, 0.45, 0.44), (0.95, 0.6, 0.3)],
        "svcca": [(0.80, 0.75, 0.85), (0.85, 0.70, 0.90), (0.90, 0.65, 0.80), (0.97, 0.7, 0.3)],
        "cka": [(0.98, 0.93, 0.85), (0.98, 0.80, 0.55), (0.97, 0.60, 0.15), (0.97, 0.6, 0.03)],
    }
    sims = np.zeros((len(DEFAULT_MEASURES), len(layers), 2 * n, 2 * n))
    for mi, m in enumerate(DEFAULT_MEASURES):
        for li, (gg, mm, gm) in enumerate(values[m]):
            M, _ = _block_matrix(gg, mm, gm, n, n)
            noise = rng.normal(scale=1e-6, size=M.shape)
            sims[mi, li] = M + (noise + noise.T) / 2
    memorizing = np.array([False] * n + [True] * n)
    dims = np.array([[10] * n + [15] * n, [10] * n + [25] * n, [8] * n + [20] * n, [9] * n + [9] * n])
    return {
        "layers": np.array(layers),
        "measures": np.array(DEFAULT_MEASURES),
        "similarity": sims,
        "svcca_dims": dims,
        "memorizing": memorizing,
        "seeds": np.arange(2 * n),
        "epochs": np.array([20] * n + [65] * n),
        "train_accuracy": np.ones(2 * n),
        "test_accuracy": np.array([0.97] * n + [0.11] * n),
        "reached_target": np.ones(2 * n, dtype=bool),
    }


def test_generalization_claims_compute_their_values_from_the_result():
    from svcca.experiments import Claim

    data = unpack(_synthetic_generalization())
    claims = {c.name: c for c in data.claims()}
    assert all(isinstance(c, Claim) for c in claims.values())
    assert all(name.startswith("generalization.") for name in claims)
    assert len(claims) == len(data.claims())  # names are unique
    approx = lambda v: pytest.approx(v, abs=1e-4)  # noqa: E731 - noise of 1e-6 per pair
    assert claims["generalization.epochs_ratio"].value == approx(65 / 20)
    assert claims["generalization.test_accuracy_m"].value == approx(0.11)
    # constant blocks: the bootstrap interval collapses onto the observed values
    assert claims["generalization.pwcca.gap_last"].value == approx(0.20)
    assert claims["generalization.pwcca.gap_grows"].value == approx(0.04)  # min(0.06 - 0.02, 0.20 - 0.06)
    assert claims["generalization.pwcca.gap_first_small"].value == approx(0.02 / 0.20)
    assert claims["generalization.pwcca.mm_gm_close"].value == approx(0.01)
    assert claims["generalization.pwcca.permutation_p"].value == pytest.approx(1 / comb(6, 3))
    assert claims["generalization.cca.first_spread"].value == approx(0.01)
    assert claims["generalization.cka.mm_above_gm_last"].value == approx(0.45)
    assert claims["generalization.cka.gap_larger"].value == approx(0.37 - 0.20)
    assert claims["generalization.cka.largest_gap"].value == approx(0.37 - 0.25)
    assert claims["generalization.svcca.gm_above_mm"].value == approx(0.10)  # fc1: 0.85 - 0.75
    assert claims["generalization.svcca.gm_level_with_gg"].value == approx(0.05)
    assert claims["generalization.svcca.dims_more"].value == approx(1.5)
    assert claims["generalization.all_measures.gap_last"].value == approx(0.10)  # mean CCA
    # with 3 + 3 networks no split can give p < 0.01 (the smallest p is 1/20); the interval
    # widths of constant blocks are noise, so the separation ranking and the width ratio are too
    failing = {n for n, c in claims.items() if not c.holds}
    noisy = {"generalization.pwcca.separation_beats_cca_svcca", "generalization.pwcca.bootstrap_wider"}
    assert failing <= {"generalization.pwcca.permutation_p", *noisy}, failing
    assert "generalization.pwcca.permutation_p" in failing
    # a variant in which MM falls well below GM in fc3 fails the closeness claim
    arrays = _synthetic_generalization()
    pw = list(DEFAULT_MEASURES).index("pwcca")
    M, _ = _block_matrix(0.90, 0.60, 0.69, 3, 3)
    arrays["similarity"][pw, 2] = M
    failed = [c for c in unpack(arrays).claims() if not c.holds]
    assert "generalization.pwcca.mm_gm_close" in [c.name for c in failed]


def test_bootstrap_wider_fails_where_a_t_interval_is_undefined(monkeypatch):
    # a kind with one pair (two networks) has no t-interval: its width is NaN, and NaN > 0
    # is false, so the ratio used to be counted as infinitely wider and the claim passed
    data = unpack(_synthetic_generalization())
    widths = data.naive_interval_widths("pwcca", 2)
    monkeypatch.setattr(type(data), "naive_interval_widths", lambda *a, **k: {**widths, "GG": math.nan})
    claim = {c.name: c for c in data.claims()}["generalization.pwcca.bootstrap_wider"]
    assert math.isnan(claim.value) and not claim.holds


def test_tiny_generalization_and_width_claims_are_well_formed(tiny_result, tiny_width_result):
    cfg = GeneralizationConfig.for_scale("tiny")
    claims = cfg.claims(tiny_result)
    names = [c.name for c in claims]
    assert len(set(names)) == len(names) and all(n.startswith("generalization.") for n in names)
    assert {"generalization.pwcca.gap_last", "generalization.pwcca.mm_gm_close"} <= set(names)
    wcfg = WidthConfig.for_scale("tiny")
    wnames = [c.name for c in wcfg.claims(tiny_width_result)]
    assert len(set(wnames)) == len(wnames) and all(n.startswith("width.") for n in wnames)
    assert {
        "width.cka.init_rises_faster",
        "width.pwcca.learned_shrinks",
        "width.cka.init_share_rises",
    } <= set(wnames)


def test_width_claims_compute_their_values_from_the_result():
    # widths 8, 16, 32; three seeds, three pairs; values the same for every pair
    trained = {"pwcca": [0.80, 0.81, 0.82], "cka": [0.70, 0.85, 0.95]}
    init = {"pwcca": [0.30, 0.50, 0.70], "cka": [0.20, 0.50, 0.90]}
    sims = np.zeros((2, 2, 3, 1, 3))
    for mi, m in enumerate(("pwcca", "cka")):
        sims[0, mi, :, 0, :] = np.array(trained[m])[:, None]
        sims[1, mi, :, 0, :] = np.array(init[m])[:, None]
    arrays = {
        "widths": np.array([8.0, 16.0, 32.0]),
        "seeds": np.arange(3),
        "layers": np.array(["fc2"]),
        "measures": np.array(["pwcca", "cka"]),
        "similarity": sims,
        "test_accuracy": np.full((3, 3), 0.95),
        "init_accuracy": np.full((3, 3), 0.1),
    }
    claims = {c.name: c for c in unpack_width(arrays).claims()}
    assert claims["width.pwcca.trained_rise_small"].value == pytest.approx(0.02)
    assert claims["width.cka.trained_rises"].value == pytest.approx(0.25)
    assert claims["width.pwcca.init_rises"].value == pytest.approx(0.2)
    assert claims["width.cka.init_rises_faster"].value == pytest.approx(0.70 - 0.25)
    assert claims["width.pwcca.learned_shrinks"].value == pytest.approx(0.50 - 0.12)
    assert claims["width.cka.learned_positive"].value == pytest.approx(0.05)
    assert claims["width.cka.init_share_widest"].value == pytest.approx(0.9 / 0.95)
    assert claims["width.pwcca.init_share_rises"].value == pytest.approx(0.70 / 0.82 - 0.30 / 0.80)
    assert all(c.holds for c in claims.values())


def test_every_network_bootstrap_interval_contains_its_observed_value(monkeypatch):
    # with few networks the resampled values can all fall on one side of the observed one:
    # intervals() widened its interval to contain it, gap() and gap_change() did not
    data = unpack(_synthetic_generalization())
    boot = {k: np.full(50, 5.0 if k == "GG" else 0.0) for k in ("GG", "MM", "GM")}  # far above
    monkeypatch.setattr(type(data), "bootstrap", lambda self, measure, layer, **kw: boot)
    gap = data.gap("pwcca", 2)
    assert gap.low == pytest.approx(gap.difference) and gap.high == pytest.approx(5.0)
    change = data.gap_change("pwcca", 1, 2)  # every replicate change is 0
    assert min(change.observed, 0.0) == change.low and change.high == max(change.observed, 0.0)
    (interval,) = data.intervals("pwcca", "GG", [2])
    assert interval.low == pytest.approx(interval.observed) and interval.high == pytest.approx(5.0)


def test_percentile_interval_counts_the_replicates_it_leaves_out():
    """A non-finite network-bootstrap replicate is left out and counted, not hidden in n_resamples."""
    from svcca.experiments.generalization import _percentile

    iv = _percentile(np.array([0.1, np.nan, 0.3, 0.2, np.inf]), 0.5, 0.9, "pwcca")
    assert (iv.n_resamples, iv.n_degenerate, iv.bootstrap_distribution.size) == (5, 2, 3)
    assert iv.method == "percentile" and iv.measure == "pwcca"
    assert (
        iv.low == pytest.approx(np.quantile([0.1, 0.2, 0.3], 0.25)) and iv.high == 0.9
    )  # widened to observed
    # every replicate degenerate (n_resamples=1 that drew no network of a kind): numpy's
    # "IndexError: index -1 is out of bounds" came through
    with pytest.raises(ValueError, match=r"none of the 2 network-bootstrap resample\(s\) .*n_resamples"):
        _percentile(np.array([np.nan, np.inf]), 0.95, 0.5, "pwcca")


def test_accessors_refuse_one_string_where_they_take_several_names():
    # tuple("fc1") read as ("f", "c", "1"): "unknown layer 'f'"
    data = unpack(_synthetic_generalization())
    with pytest.raises(TypeError, match=r"layers must be a sequence of names, not one string; got 'fc1'"):
        data.mean("pwcca", "GG", "fc1")
    with pytest.raises(TypeError, match=r"layers must be a sequence of names"):
        data.intervals("pwcca", "GG", "fc1")
    np.testing.assert_array_equal(data.mean("pwcca", "GG", ["fc1"]), data.mean("pwcca", "GG")[:1])


def test_a_layer_index_out_of_range_names_the_layers(tiny_result):
    data = unpack(tiny_result)
    with pytest.raises(IndexError, match=r"layer index 99 out of range: 3 layers \('fc1'"):
        data.matrix("cca", 99)
