"""Chapter 2 (convolutional layers): the conv-pair experiment and the chapter's figures."""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")
from matplotlib.figure import Figure  # noqa: E402

import svcca  # noqa: E402
from conftest import TOL64  # noqa: E402
from svcca import figures  # noqa: E402
from svcca.conv import average_pool, dft_cca, positions_as_samples  # noqa: E402
from svcca.experiments import run_or_load  # noqa: E402
from svcca.experiments.conv_pair import ConvPairConfig, unpack  # noqa: E402
from svcca.figures import conv as figures_conv  # noqa: E402
from svcca.nn import record  # noqa: E402

#: The tiny preset (two quarter-width pilot5 nets, one epoch, 40 test images);
#: conftest's ``tiny_result`` runs it once per module.
TINY = ConvPairConfig.for_scale("tiny")
TOL32 = 1e-5  # float32 network outputs recomputed by the same float32 network
CHAPTER = Path(__file__).resolve().parents[1] / "book" / "chapters" / "02_conv_layers.md"
CONV_FIGURES = [
    "conv-subsampling",
    "conv-variance-kept",
    "conv-recipes",
    "conv-dft-spectrum",
    "conv-frequency-map",
]


@pytest.fixture(scope="module")
def tiny(tiny_result):
    return unpack(tiny_result)


# --------------------------------------------------------------------------- config


def test_presets_describe_the_documented_runs():
    from svcca.nn import available_device  # the full presets say device='auto'

    tiny, default, full = (ConvPairConfig.for_scale(s) for s in ("tiny", "default", "full"))
    assert (default.arch, default.dataset, default.image_size) == ("pilot5", "digits", 8)
    assert default.seeds == (0, 1, 2)
    assert default.n_eval is None and default.record_init
    assert tiny.n_eval == 40 and tiny.epochs == 1 and tiny.width < default.width
    assert full.dataset == "cifar10" and full.device == available_device() and full.augment_shift > 0
    assert len({tiny.key(), default.key(), full.key()}) == 3


def test_device_and_threads_are_not_part_of_the_cache_key():
    cfg = ConvPairConfig()
    assert dataclasses.replace(cfg, device="cuda", num_threads=None).key() == cfg.key()
    assert dataclasses.replace(cfg, epochs=3).key() != cfg.key()


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"dataset": "mnist"}, r"dataset must be one of 'digits', 'cifar10'; got 'mnist'"),
        ({"arch": "vgg"}, r"arch must be one of .*'pilot5'.*; got 'vgg'"),
        ({"seeds": (0,)}, r"seeds must be at least 2 distinct ints; got \(0,\)"),
        ({"seeds": (1, 1)}, r"seeds must be at least 2 distinct ints; got \(1, 1\)"),
        ({"n_eval": 1}, r"n_eval must be None or an int >= 2; got 1"),
        ({"augment_shift": -1}, r"augment_shift must be an int >= 0; got -1"),  # refused when training began
        ({"arch": "tiny10", "image_size": 8}, r"arch='tiny10' needs images of at least 9x9"),
        ({"epochs": 0}, r"epochs must be an int >= 1; got 0"),
        ({"num_threads": 0}, r"num_threads must be None or an int >= 1; got 0"),
    ],
)
def test_bad_configs_are_refused_with_what_arrived(overrides, match):
    with pytest.raises(ValueError, match=match):
        ConvPairConfig(**overrides)


# --------------------------------------------------------------------------- the tiny run


def test_tiny_run_is_cached_and_reloads_identically(tiny_result, tiny_cache):
    again = run_or_load(TINY, tiny_cache)
    assert again.from_cache
    assert set(again.arrays) == set(tiny_result.arrays)
    for k, v in tiny_result.arrays.items():
        np.testing.assert_array_equal(again[k], v)


def test_tiny_run_records_every_conv_layer_whole(tiny):
    assert tiny.layers == ("conv1", "conv2", "conv3", "conv4", "conv5")
    assert tiny.seeds == (0, 1) and tiny.dataset == "digits" and tiny.n_classes == 10
    assert tiny.images.shape == (40, 1, 8, 8) and tiny.labels.shape == (40,)
    assert tiny.has_init
    for L in tiny.layers:
        for state in ("trained", "init"):
            for s in tiny.seeds:
                a = tiny.acts(L, s, state)
                assert a.shape == (40, 8, 8, 8) and a.dtype == np.float64
        assert tiny.grid(L) == (8, 8) and tiny.channels(L) == 8
    assert tiny.test_accuracy.shape == tiny.init_accuracy.shape == (2,)
    # different seeds and training give different layers (negative control for the oracle below)
    assert np.abs(tiny.acts("conv2", 0) - tiny.acts("conv2", 1)).max() > 1e-3
    assert np.abs(tiny.acts("conv2", 0) - tiny.acts("conv2", 0, "init")).max() > 1e-3


@pytest.mark.parametrize("state", ["trained", "init"])
def test_rebuilt_networks_reproduce_the_recorded_activations(tiny, state):
    """Oracle: the stored weights (or the seeded initialisation) give back every recorded layer."""
    for s in tiny.seeds:
        net = tiny.network(s, state)
        acts = record(net, torch.from_numpy(tiny.images), list(tiny.layers))
        for L in tiny.layers:
            np.testing.assert_allclose(acts[L], tiny.acts(L, s, state), atol=TOL32, rtol=0)


def test_run_restores_torch_threads(tmp_path):
    before = torch.get_num_threads()
    cfg = dataclasses.replace(ConvPairConfig.for_scale("tiny"), n_eval=4, record_init=False)
    data = unpack(run_or_load(cfg, tmp_path))
    assert torch.get_num_threads() == before
    assert not data.has_init
    with pytest.raises(KeyError, match=r"no activations for layer='conv1', seed=0, state='init'"):
        data.acts("conv1", 0, "init")


def test_unpack_errors_say_what_exists(tiny):
    with pytest.raises(ValueError, match=r"state must be one of 'trained', 'init'; got 'final'"):
        tiny.acts("conv1", state="final")
    with pytest.raises(KeyError, match=r"no activations for layer='fc1'.*layers \('conv1'"):
        tiny.acts("fc1")
    with pytest.raises(KeyError, match=r"no network for seed=7; seeds \(0, 1\)"):
        tiny.network(7)


# --------------------------------------------------------------------------- the chapter's computations


def test_variance_kept_is_one_for_constant_maps_and_small_for_noise():
    rng = np.random.default_rng(0)
    constant = np.repeat(np.repeat(rng.standard_normal((200, 1, 1, 4)), 8, 1), 8, 2)
    noise = rng.standard_normal((200, 8, 8, 4))
    assert abs(figures_conv.variance_kept(constant) - 1.0) < TOL64
    assert abs(figures_conv.variance_kept(noise, 8) - 1.0) < TOL64  # no pooling keeps everything
    # white noise: the spatial mean holds 1/64 of the variance, a 2x2 grid 4/64 (up to sampling)
    assert abs(figures_conv.variance_kept(noise) - 1 / 64) < 0.01
    assert abs(figures_conv.variance_kept(noise, 2) - 4 / 64) < 0.02


def test_variance_kept_is_nan_where_the_pooling_size_does_not_divide_the_grid():
    A = np.random.default_rng(0).standard_normal((30, 6, 6, 2))
    assert np.isnan(figures_conv.variance_kept(A, 4)) and np.isnan(
        figures_conv.variance_kept(A[:, :2, :2], 4)
    )
    assert np.isfinite(figures_conv.variance_kept(A, 3)) and np.isfinite(figures_conv.variance_kept(A, None))


def test_shift_closed_example_makes_dft_equal_to_the_flattened_cca():
    A, B = figures_conv.shift_closed_example(n_images=40, width=0.25)
    assert A.shape == (40 * 64, 8, 8, 8) == B.shape
    n = len(A)
    full = svcca.cca(A.reshape(n, -1), B.reshape(n, -1))
    per_freq = dft_cca(A, B)
    assert full.n_components == per_freq.n_components == 512
    np.testing.assert_allclose(per_freq.rho, full.rho, atol=1e-9, rtol=0)
    # negative control: dropping one shift of every image breaks the closure and the equality
    keep = np.ones(n, dtype=bool)
    keep[40 * 5 : 40 * 6] = False
    broken = dft_cca(A[keep], B[keep], warn=False)
    assert np.abs(broken.rho - svcca.cca(A[keep].reshape(-1, 512), B[keep].reshape(-1, 512)).rho).max() > 1e-3


def test_zero_frequency_of_the_frequency_maps_is_global_pooling(tiny):
    maps, freqs = figures_conv.frequency_maps(tiny)
    assert list(maps) == list(tiny.layers) and list(freqs) == [-4, -3, -2, -1, 0, 1, 2, 3]
    zero = (4, 4)
    for L in tiny.layers:
        A, B = tiny.acts(L, 0), tiny.acts(L, 1)
        gap = svcca.cca(average_pool(A), average_pool(B), warn=False)
        assert abs(maps[L][zero] - gap.mean) < TOL64


def test_recipes_and_subsampling_agree_with_direct_computation(tiny):
    sims = figures_conv.recipe_similarities(tiny)
    assert set(sims) == {"trained", "init"}
    A, B = tiny.acts("conv3", 0), tiny.acts("conv3", 1)
    direct = svcca.cca(positions_as_samples(A), positions_as_samples(B)).mean
    assert abs(sims["trained"]["positions"][2] - direct) < TOL64
    rows, curve = figures_conv.subsampling_curve(tiny, n_resamples=2, n_halvings=3)
    assert list(rows) == [320, 640, 1280, 2560] and curve.shape == (4, 5)
    np.testing.assert_allclose(curve[-1], sims["trained"]["positions"], atol=TOL64)


class _StridedPair:
    """Two networks' conv layers on different grids (a strided conv between them): 4x4, then 3x3."""

    seeds = (0, 1)
    layers = ("conv1", "conv2")

    def __init__(self):
        gen = np.random.default_rng(0)
        self._acts = {
            (L, s): gen.standard_normal((20, g, g, 3))
            for L, g in (("conv1", 4), ("conv2", 3))
            for s in self.seeds
        }

    def acts(self, layer, seed, state="trained"):
        return self._acts[layer, seed]

    def grid(self, layer):
        return self._acts[layer, 0].shape[1:3]


def test_layers_on_different_grids_are_drawn_at_their_own_rows_and_frequencies():
    # the rows and frequency labels were the first layer's for every layer: a 3x3 layer's
    # all-rows value was drawn at 320 'positions kept' (it has 180), and its 3x3 frequency map
    # failed against the first layer's 4 labels
    data = _StridedPair()
    rows, curve = figures_conv.subsampling_curve(data, n_resamples=1, n_halvings=3)
    assert list(rows) == [40, 80, 160, 180, 320]  # 20 images x 16 positions halved, and conv2's 20 x 9
    for j, L in enumerate(data.layers):
        A, B = data.acts(L, 0), data.acts(L, 1)
        own = A.shape[0] * A.shape[1] * A.shape[2]
        assert np.isnan(curve[rows > own, j]).all() and not np.isnan(curve[rows <= own, j]).any()
        direct = svcca.cca(positions_as_samples(A), positions_as_samples(B)).mean
        assert abs(curve[rows == own, j][0] - direct) < TOL64
    maps, freqs = figures_conv.frequency_maps(data)
    axes = figures_conv.draw_frequency_maps(maps, freqs)
    for ax, L in zip(axes, data.layers):
        n = maps[L].shape[0]
        expected = [str(int(f)) for f in np.sort(np.fft.fftfreq(n) * n)]
        assert [t.get_text() for t in ax.get_xticklabels()] == expected
        assert [t.get_text() for t in ax.get_yticklabels()] == expected
        np.testing.assert_array_equal(np.asarray(ax.collections[0].get_array()).reshape(n, n), maps[L])
    plt.close(axes[0].figure)


# --------------------------------------------------------------------------- figures


def test_chapter_figures_are_registered_under_the_chapters_names():
    specs = {s.name: s for s in figures.specs()}
    for name in CONV_FIGURES:
        assert name in specs and specs[name].chapter == 2 and specs[name].caption.strip()
    assert {s.name for s in figures.specs() if s.chapter == 2} == set(CONV_FIGURES)
    if CHAPTER.exists():  # every captioned figure of the chapter is registered, and only those
        named = set(re.findall(r"^\s+name: fig-(\S+)$", CHAPTER.read_text(), flags=re.MULTILINE))
        assert named == set(CONV_FIGURES)


@pytest.mark.slow
@pytest.mark.parametrize("name", CONV_FIGURES)
def test_figure_renders_at_tiny_scale(name, tiny_cache, tiny_result):
    fig = figures.make_figure(name, scale="tiny", cache_dir=tiny_cache)
    try:
        assert isinstance(fig, Figure)
        axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        assert axes and all(ax.get_xlabel() for ax in axes)
        if name == "conv-subsampling":
            assert len(axes[0].lines) == 5 and axes[0].get_xscale() == "log"
        elif name == "conv-recipes":
            assert len(axes) == 2 and len(axes[0].get_legend().get_texts()) == 4
        elif name == "conv-dft-spectrum":
            x0, y0 = axes[0].lines[0].get_data()
            x1, y1 = axes[0].lines[1].get_data()
            assert len(y0) == 512 and np.abs(np.asarray(y0) - np.asarray(y1)).max() < 1e-9
        elif name == "conv-frequency-map":
            assert len(axes) == 5 and axes[0].get_ylabel() == "u"
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- claims


def test_claims_are_named_by_the_registry_unique_and_measured_on_every_pair(tiny, tiny_result):
    from svcca.experiments import Claim, book_experiments

    assert "conv_pair" in book_experiments()
    claims = ConvPairConfig.for_scale("tiny").claims(tiny_result)
    names = [c.name for c in claims]
    assert len(names) == len(set(names)) and all(isinstance(c, Claim) for c in claims)
    assert all(re.fullmatch(r"conv_pair\.[a-z0-9_]+", n) for n in names)
    assert all(np.isfinite(c.value) for c in claims)
    C = {c.name: c for c in claims}
    assert C["conv_pair.accuracy"].value == pytest.approx(tiny.test_accuracy.min())
    assert set(C["conv_pair.global_pool_flat"].details) == {f"{a}-{b}" for a, b in tiny.pairs()}


def test_chapter_claims_come_from_the_build_memo_for_the_same_result(
    tiny, tiny_result, tmp_path, monkeypatch
):
    """Chapter 2 calls ``data.claims()``: inside the book build it reads what the experiment's
    job computed (no second computation), and only for the very same arrays."""
    cfg = ConvPairConfig.for_scale("tiny")
    monkeypatch.setenv("SVCCA_CLAIMS_MEMO", str(tmp_path / "memo"))
    assert tiny.remembered_claims() is None  # nothing kept yet
    first = cfg.claims(tiny_result)  # the experiment's job: computes and keeps them
    assert [c.to_dict() for c in tiny.remembered_claims()] == [c.to_dict() for c in first]
    monkeypatch.setattr(type(tiny), "measurements", lambda self: pytest.fail("computed again"))
    assert [c.to_dict() for c in tiny.claims()] == [c.to_dict() for c in first]
    changed = dict(tiny_result.arrays)
    changed["test_accuracy"] = changed["test_accuracy"] + 0.5
    assert unpack(changed, cfg).remembered_claims() is None


def test_claim_measurements_match_the_chapter_recipes(tiny):
    m = tiny.measurements()
    s0, s1 = tiny.seeds[:2]
    rec = figures_conv.recipe_similarities(tiny)
    np.testing.assert_allclose(m["positions"][0], rec["trained"]["positions"], atol=TOL64)
    np.testing.assert_allclose(m["global_init"][0], rec["init"]["global pool"], atol=TOL64)
    kept = [figures_conv.variance_kept(tiny.acts(L, s1)) for L in tiny.layers]
    np.testing.assert_allclose(m["kept_global"][1], kept, atol=TOL64)
    maps, _ = figures_conv.frequency_maps(tiny)
    first = maps[tiny.layers[0]]
    assert m["first_map_range"][0] == pytest.approx(np.nanmax(first) - np.nanmin(first))
    assert m["resize_area"].shape == (len(tiny.pairs()), len(tiny.layers))


def test_measurements_of_a_strided_architecture_use_each_layers_own_grid(tmp_path):
    # measurements took the first layer's grid for every layer: with arch="six" (8x8, 4x4,
    # 4x4, 2x2, 2x2, 1x1 on digits) it raised on the 1x1 layer's resize, its frequency masks
    # did not fit the smaller maps, and its subsampling offsets compared a layer's value
    # with the NaN the curve holds above the layer's own rows
    cfg = dataclasses.replace(TINY, arch="six", record_init=False)
    data = unpack(run_or_load(cfg, tmp_path))
    grids = [data.grid(L) for L in data.layers]
    assert grids == [(8, 8), (4, 4), (4, 4), (2, 2), (2, 2), (1, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no mean of an empty slice
        warnings.simplefilter("ignore", svcca.SampleSizeWarning)
        m = data.measurements()
    side = np.array([g[0] for g in grids])
    np.testing.assert_array_equal(np.isnan(m["kept_4x4"][0]), side < 4)
    np.testing.assert_array_equal(np.isnan(m["resize_area"][0]), side < 2)
    np.testing.assert_array_equal(np.isnan(m["contrast"][0]), side <= 2)  # no separate low and high bands
    assert np.isnan(m["last_zero_lead"][0]) and np.isnan(m["last_zero_spread"][0])  # a 1x1 map
    assert not np.isnan(m["sub_first"][0]).any()
    # oracles: the 4x4 layer's own bands (radius 0 low, radius >= 1 high) and its own rows
    maps, _ = figures_conv.frequency_maps(data)
    fmap = maps[data.layers[1]]
    zero = np.zeros((4, 4), bool)
    zero[2, 2] = True  # fftshift puts frequency 0 at index n // 2
    assert m["contrast"][0, 1] == pytest.approx(fmap[zero].mean() - fmap[~zero].mean(), abs=TOL64)
    rows, curve = figures_conv.subsampling_curve(data)
    own = np.prod(data.acts(data.layers[1], 0).shape[:3])
    full = curve[rows == own, 1][0]
    assert m["sub_eighth"][0, 1] == pytest.approx(curve[rows == own // 8, 1][0] - full, abs=TOL64)
    assert m["sub_first"][0, 1] == pytest.approx(curve[0, 1] - full, abs=TOL64)
