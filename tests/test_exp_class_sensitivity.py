"""Class sensitivity through depth (Raghu et al. 2017): measures, config, run, cache, accessors, figures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.linalg

from conftest import TOL64, assert_figures_render

torch = pytest.importorskip("torch")

import svcca  # noqa: E402
from svcca.experiments import run_or_load  # noqa: E402
from svcca.experiments.class_sensitivity import (  # noqa: E402
    ClassSensitivityConfig,
    _top_images,
    cv_correlation,
    insample_correlation,
    reduce_layer,
    unpack,
)
from svcca.nn import available_device  # noqa: E402

pytestmark = pytest.mark.torch

#: The tiny preset; conftest's ``tiny_result`` runs it once per module.
TINY = ClassSensitivityConfig.for_scale("tiny")
FIGURES = ["class-sensitivity", "class-sensitivity-images"]


@pytest.fixture
def rng():
    return np.random.default_rng(20261126)


# --------------------------------------------------------------------------- reduce_layer


@pytest.mark.parametrize("p", [30, 400])  # thin SVD (p < n) and the Gram route (p > n)
def test_reduce_layer_returns_the_top_principal_scores(rng, p):
    n = 120
    X = rng.standard_normal((n, 6)) @ rng.standard_normal((6, p)) * 3.0 + 0.01 * rng.standard_normal((n, p))
    X += rng.standard_normal(p)  # an offset: the reduction centres
    Z = reduce_layer(X, keep=0.99)
    Xc = X - X.mean(0)
    U, s, _ = np.linalg.svd(Xc, full_matrices=False)  # independent oracle: numpy's SVD of the centred data
    k = int(np.searchsorted(np.cumsum(s**2) / np.sum(s**2), 0.99) + 1)
    assert Z.shape == (n, k) and k == 6
    np.testing.assert_allclose(np.abs(Z), np.abs(U[:, :k] * s[:k]), atol=1e-8)
    # the scores span the top principal subspace (principal angles 0) and keep the variance
    assert np.max(scipy.linalg.subspace_angles(Z, U[:, :k])) < 1e-8
    np.testing.assert_allclose(np.sum(Z**2), np.sum(s[:k] ** 2), rtol=1e-10)


def test_reduce_layer_caps_and_handles_low_rank(rng):
    X = rng.standard_normal((50, 3)) @ rng.standard_normal((3, 200))  # rank 3
    assert reduce_layer(X, keep=1.0).shape == (50, 3)  # never beyond the rank
    assert reduce_layer(X, keep=1.0, max_dims=2).shape == (50, 2)
    assert reduce_layer(X, keep=1e-6).shape == (50, 1)
    assert reduce_layer(np.ones((10, 4))).shape == (10, 0)  # a constant layer has no direction
    with pytest.raises(
        ValueError, match=r"X must be \(n_samples, n_features\) with n_samples >= 2; got shape \(5,\)"
    ):
        reduce_layer(np.ones(5))
    with pytest.raises(ValueError, match=r"keep must be in \(0, 1\]; got 1.5"):
        reduce_layer(X, keep=1.5)


# --------------------------------------------------------------------------- correlations


def test_insample_correlation_is_the_canonical_correlation(rng):
    Z = rng.standard_normal((80, 7))
    Y = Z[:, :2] @ rng.standard_normal((2, 3)) + rng.standard_normal((80, 3))
    got = insample_correlation(Z, Y)
    assert got.shape == (3,)
    for j in range(3):  # independent oracle: the core CCA, and the cosine of the principal angle
        assert got[j] == pytest.approx(svcca.cca(Z, Y[:, [j]]).rho[0], abs=TOL64)
        Zc, yc = Z - Z.mean(0), Y[:, [j]] - Y[:, j].mean()
        assert got[j] == pytest.approx(np.cos(scipy.linalg.subspace_angles(Zc, yc)[0]), abs=TOL64)
    assert isinstance(insample_correlation(Z, Y[:, 0]), float)


def test_cv_correlation_removes_the_inflation_of_fitting_noise(rng):
    n, p = 200, 60
    Z = rng.standard_normal((n, p))
    noise = rng.standard_normal((n, 5))  # unrelated to Z
    inflated = insample_correlation(Z, noise)
    assert np.all(inflated > 0.45)  # about sqrt(p / n) = 0.55 from fitting noise alone
    assert np.all(np.abs(cv_correlation(Z, noise)) < 0.2)  # negative control: held out, about 0
    signal = Z[:, :3].sum(1) + 0.2 * rng.standard_normal(n)
    assert cv_correlation(Z, signal) > 0.9  # a real linear relation survives cross-validation


def test_cv_correlation_is_invariant_to_affine_maps_without_ridge_and_to_scale_with_it(rng):
    Z = rng.standard_normal((100, 4))
    y = Z @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.standard_normal(100)
    W = rng.standard_normal((4, 4)) + 4 * np.eye(4)  # invertible
    base = cv_correlation(Z, y, ridge=0.0)
    assert cv_correlation(Z @ W + 3.0, y, ridge=0.0) == pytest.approx(base, abs=1e-10)
    assert cv_correlation(Z, 5 * y - 2, ridge=0.0) == pytest.approx(base, abs=1e-10)
    ridged = cv_correlation(Z, y, ridge=0.1)
    assert cv_correlation(10.0 * Z, y, ridge=0.1) == pytest.approx(ridged, abs=1e-10)  # relative penalty
    # negative control: a strong ridge is not invariant to an anisotropic map
    A = np.diag([100.0, 1.0, 1.0, 1.0])
    assert abs(cv_correlation(Z @ A, y, ridge=10.0) - cv_correlation(Z, y, ridge=10.0)) > 1e-3


def test_cv_correlation_columns_match_one_at_a_time_and_folds_can_be_given(rng):
    Z = rng.standard_normal((90, 5))
    Y = Z @ rng.standard_normal((5, 3)) + rng.standard_normal((90, 3))
    together = cv_correlation(Z, Y, folds=3, rng=1)
    alone = [cv_correlation(Z, Y[:, j], folds=3, rng=1) for j in range(3)]
    np.testing.assert_allclose(together, alone, atol=TOL64)
    fold = np.arange(90) % 2
    by_hand = []
    for f in (0, 1):  # the definition, written out
        tr, te = fold != f, fold == f
        A, m = Z[tr] - Z[tr].mean(0), Z[tr].mean(0)
        w = np.linalg.lstsq(A, Y[tr, 0] - Y[tr, 0].mean(), rcond=None)[0]
        by_hand.append(np.corrcoef((Z[te] - m) @ w, Y[te, 0])[0, 1])
    assert cv_correlation(Z, Y[:, 0], folds=fold, ridge=0.0) == pytest.approx(np.mean(by_hand), abs=TOL64)


def test_cv_correlation_rejects_bad_input(rng):
    Z = rng.standard_normal((20, 3))
    with pytest.raises(
        ValueError,
        match=r"y must be \(n_samples,\) or \(n_samples, n_targets\) with n_samples = 20; got shape \(19,\)",
    ):
        cv_correlation(Z, np.ones(19))
    with pytest.raises(ValueError, match="folds must be >= 2; got 1"):
        cv_correlation(Z, np.ones(20), folds=1)
    with pytest.raises(
        ValueError, match=r"folds must be an int or one fold id per sample \(20\); got shape \(3,\)"
    ):
        cv_correlation(Z, np.ones(20), folds=np.array([0, 1, 0]))
    with pytest.raises(ValueError, match="folds must define at least two folds; got 1"):
        cv_correlation(Z, np.ones(20), folds=np.zeros(20))
    with pytest.raises(ValueError, match=r"Z must be \(n_samples, n_features\); got shape \(20,\)"):
        cv_correlation(np.ones(20), np.ones(20))
    assert cv_correlation(Z, np.ones(20)) == 0.0  # a constant target has no correlation


# --------------------------------------------------------------------------- directions and neurons


def test_top_images_find_a_class_direction_hidden_in_mixed_neurons(rng):
    n, n_classes = 300, 4
    labels = np.repeat(np.arange(n_classes), n // n_classes)
    logits = 3.0 * np.eye(n_classes)[labels] + 0.3 * rng.standard_normal((n, n_classes))
    # 40 neurons, each a random mixture of the logits plus noise: no neuron is one class
    X = logits @ rng.standard_normal((n_classes, 40)) + 0.5 * rng.standard_normal((n, 40))
    X[:, 7] = 50.0 + 0.1 * rng.standard_normal(n)  # the most active neuron (largest norm) is a constant bias
    Z = reduce_layer(X, max_dims=20)
    top = _top_images(X, Z, logits, 3, 10)
    assert top["direction_images"].shape == (3, 10) and top["neuron_images"].shape == (3, 10)
    for j in range(3):  # each canonical direction's top images are all of the class it follows
        assert np.all(labels[top["direction_images"][j]] == top["direction_class"][j])
    assert np.all(top["direction_rho"] > 0.9)
    assert top["neuron_ids"][0] == 7
    assert np.all((top["neuron_match"] > 0) & (top["neuron_match"] < 1))


# --------------------------------------------------------------------------- config


def test_presets_and_cache_key():
    default = ClassSensitivityConfig.for_scale("default")
    assert (default.dataset, default.model, default.image_size, default.seeds) == (
        "digits",
        "resnet_small",
        16,
        (0, 1, 2),
    )
    full = ClassSensitivityConfig.for_scale("full")
    assert (full.dataset, full.model, full.weights, full.epochs, full.device) == (
        "imagenet",
        "resnet50",
        "IMAGENET1K_V1",
        0,
        available_device(),  # no hard-coded GPU: the full preset runs where it can
    )
    # the device, data folder and thread count are not part of the cache key
    assert dataclasses.replace(default, device="cuda", num_threads=2).key() == default.key()
    assert dataclasses.replace(default, threshold=0.95).key() != default.key()


# --------------------------------------------------------------------------- the tiny run


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dataset": "cifar10"}, "dataset must be one of 'digits', 'imagenet'; got 'cifar10'"),
        ({"model": "vgg"}, "model must be one of 'resnet_small', 'resnet18', 'resnet50'; got 'vgg'"),
        ({"weights": "IMAGENET1K_V1"}, "weights apply to the torchvision models only"),
        ({"seeds": (1, 1)}, r"seeds must be at least 1 distinct ints; got \(1, 1\)"),
        ({"folds": 1}, "folds must be an int >= 2; got 1"),
        ({"threshold": 1.0}, r"threshold must be in \(0, 1\); got 1.0"),
        ({"pool": 0}, "pool must be None or an int >= 1; got 0"),
        ({"epochs": -1}, "epochs must be an int >= 0; got -1"),
        ({"keep": 0.0}, r"keep as a variance fraction must be in \(0, 1\]; got 0.0"),
        ({"keep": 1}, r"keep is a variance fraction in \(0, 1\]; got the int 1"),
        ({"widths": (8, 16)}, r"widths must hold three stage widths; got \(8, 16\)"),
        ({"widths": (8, 0, 32)}, "each of widths must be an int >= 1; got 0"),
        ({"ridge": -1e-3}, "ridge must be >= 0; got -0.001"),
        ({"augment_shift": -1}, "augment_shift must be an int >= 0; got -1"),
        ({"n_eval": 0}, "n_eval must be None or an int >= 1; got 0"),
        (
            {"n_per_class": 10},
            "n_per_class is for dataset='imagenet' only .*; got n_per_class=10 with dataset='digits'",
        ),
        ({"resize": 256}, "resize is for dataset='imagenet' only"),
        (
            {"dataset": "imagenet", "model": "resnet18", "epochs": 0, "n_eval": 100},
            "n_eval is for dataset='digits' only",
        ),
        (
            {"dataset": "imagenet", "model": "resnet18", "epochs": 0, "image_size": 224, "resize": 200},
            "resize must be at least image_size",
        ),
        ({"max_dims": 0}, "max_dims must be an int >= 1; got 0"),
        # it trained the networks, then failed at the folds, naming neither n_eval nor folds
        ({"n_eval": 3}, r"n_eval must give every one of the 2 folds at least 2 images \(n_eval >= 4\)"),
        ({"n_eval": 7, "folds": 4}, r"n_eval >= 8\); got n_eval=7, folds=4"),
    ],
)
def test_config_rejects_bad_settings(overrides, message):
    with pytest.raises(ValueError, match=message):
        ClassSensitivityConfig(**overrides)


@pytest.mark.slow
def test_tiny_run_caches_and_has_the_documented_arrays(tiny_result, tiny_cache):
    again = run_or_load(TINY, tiny_cache)
    assert not tiny_result.from_cache and again.from_cache
    data = unpack(again)
    S, L, C = 2, 5, 10  # two seeds; pixels + stem + three stages; ten digits
    assert data.layers == ("input", "stem", "stage1.0", "stage2.0", "stage3.0")
    assert data.classes == tuple(str(i) for i in range(10)) and data.seeds == (0, 1)
    assert data.n_eval == 200 and data.labels.shape == (200,) and data.dataset == "digits"
    for target in ("logit", "onehot"):
        for cv in (True, False):
            s = data.similarity(target, cv)
            assert s.shape == (S, L, C) and np.all(np.isfinite(s)) and np.all(np.abs(s) <= 1 + TOL64)
    # in-sample correlations are never below the cross-validated ones on average (fitting noise)
    assert data.similarity(cv=False).mean() > data.similarity(cv=True).mean()
    np.testing.assert_allclose(data.pixel_baseline(), data.similarity()[:, 0].mean(0))
    assert data.dims.shape == (S, L) and np.all((data.dims >= 1) & (data.dims <= 16))
    assert data.widths.tolist() == [64, 4 * 64, 4 * 64, 8 * 16, 8 * 4]  # flattened, 8x8 input
    first = data.first_layer()
    assert first.shape == (S, C) and np.all((first >= -1) & (first < L))
    assert sorted(data.order()) == sorted(data.classes)
    top = data.top_images("stage1.0", "direction")
    assert top.shape == (3, 4) and top.max() < 200
    assert data.top_images(2, "neuron").shape == (3, 4)
    thumbs = data.images(top)
    assert thumbs.shape == (3, 4, 8, 8) and thumbs.dtype == np.uint8
    for kind in ("direction", "neuron", "svcca", "matched"):
        purity = data.purity(kind)
        assert purity.shape == (S, L, 3) and np.all((purity >= 0.25) & (purity <= 1.0))
        assert data.images(data.top_images("stage1.0", kind, seed=1)).shape == (3, 4, 8, 8)
    # SVCCA directions against the other seed's network: correlations in (0, 1], sorted
    rho = data.arrays["svcca_rho"]
    assert rho.shape == (S, L, 3) and np.all((rho > 0) & (rho <= 1 + TOL64))
    assert np.all(np.diff(rho, axis=-1) <= TOL64)
    # the matched neuron is the one closest to each direction: its correlation is neuron_match
    assert data.arrays["matched_ids"].shape == (S, L, 3)
    assert len(data.direction_class("stem")) == 3 and data.neuron_match("stem").shape == (S, 3)
    assert data.middle_layer == "stage2.0"
    assert set(data.summary()) == {"class", "pixels", "mean first layer", "seed 0", "seed 1"}
    claims = ClassSensitivityConfig.for_scale("tiny").claims(again)
    names = [c.name for c in claims]
    assert len(names) == len(set(names)) and all(n.startswith("class_sensitivity.") for n in names)
    # a bare dict of arrays unpacks too
    assert unpack(dict(again.arrays)).layers == data.layers


@pytest.mark.slow
def test_accessors_reject_unknown_names(tiny_result):
    data = unpack(tiny_result)
    with pytest.raises(KeyError, match="unknown layer 'conv9'"):
        data.top_images("conv9")
    with pytest.raises(
        ValueError, match="kind must be one of 'direction', 'neuron', 'svcca', 'matched'; got 'unit'"
    ):
        data.top_images("stem", "unit")
    with pytest.raises(ValueError, match="target must be one of 'logit', 'onehot'; got 'label'"):
        data.similarity("label")
    with pytest.raises(KeyError, match=r"unknown seed 5; seeds are \(0, 1\)"):
        data.top_images("stem", seed=5)
    with pytest.raises(IndexError, match="layer index 9 out of range for 5 layers"):
        data.top_images(9)
    stored = set(data.arrays["thumb_index"].tolist())
    missing = next(i for i in range(200) if i not in stored)
    with pytest.raises(KeyError, match=rf"images \[{missing}\] were not stored"):
        data.images([missing])


def _synthetic(sims: np.ndarray, classes=("a", "b", "c"), **extra) -> dict[str, np.ndarray]:
    S, L, C = sims.shape
    zeros = np.zeros((S, L, 1, 1), dtype=np.int64)
    return extra | {
        "layers": np.array(["input"] + [f"l{i}" for i in range(1, L)]),
        "classes": np.array(classes),
        "seeds": np.arange(S),
        "cv_logit": sims,
        "cv_onehot": sims,
        "insample_logit": sims,
        "insample_onehot": sims,
        "accuracy": np.ones(S),
        "labels": np.zeros(4, dtype=np.int64),
        "threshold": np.array(0.9),
        "dataset": np.array("synthetic"),
        "direction_images": extra.get("direction_images", zeros),
        "neuron_images": extra.get("neuron_images", zeros),
        "svcca_images": extra.get("svcca_images", zeros),
        "matched_images": extra.get("matched_images", zeros),
        "neuron_match": extra.get("neuron_match", np.full((S, L, 1), 0.5)),
    }


def test_first_layer_and_order_read_the_threshold_crossings():
    # class a crosses 0.9 at layer 1, b at layer 3 (seed 0) / 2 (seed 1), c never in seed 1
    a = [0.85, 0.92, 0.95, 0.97]
    b0, b1 = [0.6, 0.7, 0.8, 0.93], [0.6, 0.75, 0.91, 0.95]
    c0, c1 = [0.5, 0.6, 0.7, 0.95], [0.5, 0.6, 0.7, 0.85]
    sims = np.array([np.array([a, b0, c0]).T, np.array([a, b1, c1]).T])  # (2 seeds, 4 layers, 3 classes)
    data = unpack(_synthetic(sims))
    assert data.first_layer().tolist() == [[1, 3, 3], [1, 2, -1]]
    np.testing.assert_allclose(data.mean_first_layer(), [1.0, 2.5, 3.5])  # "never" counts as 4 layers
    assert data.first_layer(threshold=0.5).tolist() == [[0, 0, 0], [0, 0, 0]]
    assert data.order() == ("a", "b", "c")
    # the pixel baseline (layer 0) ranks the classes the other way round: rank correlation -1
    assert data.pixel_rank_correlation() == pytest.approx(-1.0)


def _ordered_result(reverse_seed1: bool = False) -> dict[str, np.ndarray]:
    """Six classes whose pixel baseline falls with the class index, and whose first layer
    rises with it (class i decodable at layer 1 + i // 2), in two networks of 5 layers.
    With ``reverse_seed1``, the second network decodes them in the opposite order."""
    S, L, C = 2, 5, 6
    sims = np.zeros((S, L, C))
    for i in range(C):
        sims[:, 0, i] = 0.85 - 0.05 * i  # the pixels
        first = 1 + i // 2
        sims[:, 1:, i] = np.where(np.arange(1, L) >= first, 0.95, 0.8)
        if reverse_seed1:
            sims[1, 1:, i] = np.where(np.arange(1, L) >= 1 + (C - 1 - i) // 2, 0.95, 0.8)
    # 4 images per direction, 8 images labelled 0 0 0 0 1 2 3 4: directions pure, neurons mixed
    labels = np.array([0, 0, 0, 0, 1, 2, 3, 4])
    pure = np.broadcast_to(np.array([0, 1, 2, 3]), (S, L, 1, 4)).copy()
    mixed = np.broadcast_to(np.array([4, 5, 6, 7]), (S, L, 1, 4)).copy()
    half = np.broadcast_to(np.array([0, 1, 4, 5]), (S, L, 1, 4)).copy()
    out = _synthetic(
        sims,
        classes=tuple("abcdef"),
        direction_images=pure,
        svcca_images=half,
        neuron_images=mixed,
        matched_images=mixed,
        neuron_match=np.full((S, L, 1), 0.6),
    )
    out["labels"] = labels
    out["accuracy"] = np.array([0.99, 0.98])
    return out


def test_claims_read_orders_contrasts_and_purities_from_the_result():
    data = unpack(_ordered_result())
    claims = {c.name: c for c in data.claims()}
    assert all(n.startswith("class_sensitivity.") for n in claims) and len(claims) == len(data.claims())
    assert data.pixel_extremes() == (("a", "b", "c"), ("f", "e", "d"))
    # a, b at layer 1, c at 2 (mean 4/3) | d at 2, e, f at 3 (mean 8/3): 4/3 layers later,
    # positive in every network but short of the 1.5 layers the book claims on average
    np.testing.assert_allclose(data.extremes_gap(), [4 / 3, 4 / 3])
    assert claims["class_sensitivity.pixel_extremes_every_network"].holds
    assert claims["class_sensitivity.pixel_extremes_order"].value == pytest.approx(4 / 3)
    assert not claims["class_sensitivity.pixel_extremes_order"].holds
    from scipy.stats import spearmanr

    ref = spearmanr([0.85, 0.8, 0.75, 0.7, 0.65, 0.6], [1, 1, 2, 2, 3, 3]).statistic  # ties in the layers
    np.testing.assert_allclose(data.per_seed_rank_correlation(), [ref, ref])
    assert claims["class_sensitivity.pixel_rank_correlation"].value == pytest.approx(ref)
    assert claims["class_sensitivity.pixel_rank_correlation_every_network"].value == pytest.approx(ref)
    assert claims["class_sensitivity.pixel_rank_correlation"].holds
    assert claims["class_sensitivity.depth_spread"].value == pytest.approx(2.0)  # layer 1 to layer 3
    assert claims["class_sensitivity.accuracy"].value == pytest.approx(0.98)
    # purity over the network layers: directions 4/4 (labels 0 0 0 0), svcca 2/4 (0 0 1 2),
    # neurons and matched neurons 1/4 (1 2 3 4)
    pur = {
        c: claims[f"class_sensitivity.purity_{c}"].value
        for c in ("logit_directions_vs_neurons", "svcca_vs_neurons", "directions_vs_matched_neurons")
    }
    assert pur == pytest.approx(
        {"logit_directions_vs_neurons": 0.75, "svcca_vs_neurons": 0.25, "directions_vs_matched_neurons": 0.75}
    )
    assert claims["class_sensitivity.no_neuron_follows_a_direction"].value == pytest.approx(0.6)


def test_claims_fail_when_one_network_reverses_the_order():
    data = unpack(_ordered_result(reverse_seed1=True))
    claims = {c.name: c for c in data.claims()}
    # the reversed network correlates positively; averaged, every class sits at layer 2 (no order)
    assert claims["class_sensitivity.pixel_rank_correlation_every_network"].value > 0.9
    assert not claims["class_sensitivity.pixel_rank_correlation_every_network"].holds
    assert not claims["class_sensitivity.pixel_rank_correlation"].holds  # NaN never holds
    np.testing.assert_allclose(data.extremes_gap(), [4 / 3, -4 / 3])
    assert not claims["class_sensitivity.pixel_extremes_every_network"].holds


def test_the_every_network_claim_fails_where_one_networks_order_is_undefined(monkeypatch):
    # nanmax skipped a network whose rank correlation is NaN: "negative in every network"
    # held on {seed 0: nan, seed 1: -0.435}
    data = unpack(_ordered_result())
    real = type(data).per_seed_rank_correlation

    def first_undefined(self, *args, **kwargs):
        value = real(self, *args, **kwargs)
        value[0] = np.nan
        return value

    monkeypatch.setattr(type(data), "per_seed_rank_correlation", first_undefined)
    claim = {c.name: c for c in data.claims()}["class_sensitivity.pixel_rank_correlation_every_network"]
    assert np.isnan(claim.value) and not claim.holds


# --------------------------------------------------------------------------- similar classes, similar curves


def test_mantel_test_finds_shared_structure_and_its_null_permutes_whole_classes(rng):
    from svcca.experiments.class_sensitivity import mantel_test

    pos = rng.standard_normal((12, 2))
    A = -np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    rho, p = mantel_test(A, A, n_resamples=999, rng=0)
    assert rho == pytest.approx(1.0) and p == pytest.approx(1 / 1000)  # only the identity reaches 1
    other = rng.standard_normal((12, 2))
    rho0, p0 = mantel_test(A, -np.linalg.norm(other[:, None] - other[None], axis=-1), rng=0)
    assert abs(rho0) < 0.5 and p0 > 0.05  # unrelated classes: no evidence
    # five classes: all 120 relabellings are enumerated, so the test is exact and needs no seed
    small = A[:5, :5]
    assert (
        mantel_test(small, small, rng=1) == mantel_test(small, small, rng=2) == (pytest.approx(1.0), 1 / 120)
    )


def test_mantel_test_rejects_bad_input():
    from svcca.experiments.class_sensitivity import mantel_test

    with pytest.raises(ValueError, match=r"A and B must be square .* got A.shape=\(3, 2\)"):
        mantel_test(np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="n_classes >= 3"):
        mantel_test(np.eye(2), np.eye(2))


def test_similar_classes_claims_follow_the_curves_not_the_labels():
    # six classes whose curves are ordered a..f (_ordered_result); the mean images here are
    # alike in the same order (minus the distance of the indices); the confusion is flat
    out = _ordered_result()
    out["class_mean_similarity"] = -np.abs(np.subtract.outer(np.arange(6), np.arange(6))).astype(float)
    out["confusion"] = np.broadcast_to(np.eye(6), (2, 6, 6)).copy()
    data = unpack(out, ClassSensitivityConfig())
    curves = data.curve_similarity()
    assert curves.shape == (6, 6) and np.allclose(np.diag(curves), 0.0) and np.allclose(curves, curves.T)
    assert curves[0, 1] > curves[0, 2] > curves[0, 5]  # pairs alike, far classes unalike
    assert curves[0, 1] == pytest.approx(-0.05 / 4)  # the pixels differ by 0.05, the last layer is left out
    rho, p = data.similar_classes_test("image")
    assert rho > 0.6 and p < 0.05
    claims = {c.name: c for c in ClassSensitivityConfig().claims(out)}
    assert {
        "class_sensitivity.curves_follow_pixel_baseline",
        "class_sensitivity.similar_looking_classes_not_similar_curves",
    } <= set(claims)
    assert claims["class_sensitivity.curves_follow_pixel_baseline"].holds
    assert not claims[
        "class_sensitivity.similar_looking_classes_not_similar_curves"
    ].holds  # here they are alike
    with pytest.raises(ValueError, match="kind must be one of 'image', 'confusion', 'pixels'"):
        data.class_similarity("shape")


# --------------------------------------------------------------------------- figures


@pytest.mark.slow
def test_figures_render_at_tiny_scale(tmp_path, tiny_cache, tiny_result):
    import matplotlib

    matplotlib.use("Agg")
    assert_figures_render(FIGURES, tmp_path, tiny_cache)


# --------------------------------------------------------------------------- the full path, on fake data


def _fake_imagenet(root, per_class=3, size=(40, 36)):
    from PIL import Image

    from svcca.nn.data import IMAGENET_SUBSET

    g = np.random.default_rng(0)
    for c in IMAGENET_SUBSET:
        (root / c.wnid).mkdir(parents=True)
        for i in range(per_class):
            pixels = g.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / c.wnid / f"{c.wnid}_{i}.JPEG")
    return root


def _full_tiny(root, **overrides):
    """The full preset with a tiny override: random weights, small images, CPU."""
    tiny = dict(weights=None, image_size=32, resize=36, pool=2, max_dims=8, n_images=3, thumb_size=16)
    tiny.update(device="cpu", **overrides)
    return ClassSensitivityConfig.for_scale("full", data_root=str(root), **tiny)


@pytest.mark.parametrize("model", ["resnet18", "resnet50"])
def test_full_path_end_to_end_on_a_fake_imagenet_folder(tmp_path, model):
    from svcca.nn.data import IMAGENET_SUBSET

    root = _fake_imagenet(tmp_path / "imagenet_subset", per_class=4)
    config = _full_tiny(root, model=model, n_per_class=3)
    data = unpack(run_or_load(config, tmp_path / "cache"))
    blocks = {"resnet18": [2, 2, 2, 2], "resnet50": [3, 4, 6, 3]}[model]
    expected = ("input", "maxpool", *(f"layer{k}.{i}" for k, b in enumerate(blocks, 1) for i in range(b)))
    assert data.layers == expected and data.dataset == "imagenet"
    assert data.classes == tuple(c.name for c in IMAGENET_SUBSET)
    assert data.seeds == (0,) and np.bincount(data.labels).tolist() == [3, 3, 3, 3, 3]
    assert data.similarity().shape == (1, len(expected), 5)
    assert np.all(np.isfinite(data.similarity()))
    assert data.widths[0] == 3 * 2 * 2  # the pixels, average-pooled to 2x2
    thumbs = data.images(data.top_images("layer2.0", "direction"))
    assert thumbs.shape == (3, 3, 16, 16, 3) and thumbs.dtype == np.uint8
    # the chapter's drawing helpers handle five named classes and RGB thumbnails
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from svcca.figures.class_sensitivity import draw_curves, draw_images

    ax = draw_curves(data)
    assert len(ax.lines) == 5 and ax.get_xticklabels()[2].get_text() == "1.0"
    axes = draw_images(data, layer="layer3.0")
    assert axes.shape == (6, 3) and axes[0, 0].get_title().startswith("cca 1: ")
    plt.close("all")


def test_full_path_without_the_data_names_the_prepare_command(tmp_path):
    config = _full_tiny(tmp_path / "nothing_here")
    with pytest.raises(FileNotFoundError, match="prepare_imagenet_subset.py"):
        config.run()


def test_full_path_without_cached_weights_says_where_they_belong(tmp_path, monkeypatch):
    root = _fake_imagenet(tmp_path / "imagenet_subset", per_class=2)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    config = _full_tiny(root, weights="IMAGENET1K_V1", allow_download=False)
    with pytest.raises(RuntimeError, match="not in torchvision's cache"):
        config.run()


def test_training_is_for_the_digits_only(tmp_path):
    root = _fake_imagenet(tmp_path / "imagenet_subset", per_class=2)
    with pytest.raises(ValueError, match="training is done on the digits only"):  # when made, not run
        _full_tiny(root, model="resnet18", epochs=1)


@pytest.mark.parametrize("n", [0, -1, 1.5])
def test_pixel_extremes_refuse_a_count_below_one(n):
    # n=-1 sliced order[:-1]: nine of ten classes as "the most readable", quietly
    sims = np.random.default_rng(0).uniform(size=(2, 4, 3))
    data = unpack(_synthetic(sims))
    with pytest.raises((ValueError, TypeError), match="n must be an int >= 1"):
        data.pixel_extremes(n)
    with pytest.raises((ValueError, TypeError), match="n must be an int >= 1"):
        data.extremes_gap(n)
    base = sims[:, 0].mean(axis=0)  # the pixel baseline: layer 0, averaged over seeds
    top, bottom = data.pixel_extremes(1)
    assert (top, bottom) == (
        (data.classes[int(np.argmax(base))],),
        (data.classes[int(np.argmin(base))],),
    )


def test_a_nan_threshold_is_an_error_not_every_class_never_decodable():
    sims = np.random.default_rng(0).uniform(size=(2, 4, 3))
    data = unpack(_synthetic(sims))
    for call in (data.first_layer, data.mean_first_layer, data.order, data.pixel_rank_correlation):
        with pytest.raises(ValueError, match="threshold must be a real number"):
            call(float("nan"))


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"model": "resnet_small", "epochs": 0}, "must be a torchvision ResNet"),
        ({"model": "resnet18"}, "epochs must be 0"),
    ],
)
def test_imagenet_configs_that_cannot_run_are_refused_when_made(kw, why):
    # both were accepted, loaded every image, then failed deep in the run
    # (IndexError: index 555 is out of bounds; "training is only done on the digits")
    with pytest.raises(ValueError, match=why):
        ClassSensitivityConfig(dataset="imagenet", **kw)
