"""Chapter 9's starting points as an experiment: config, seeds, claims, the tiny run."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from svcca.experiments import book_config, book_experiments, check_claims, run_or_load  # noqa: E402
from svcca.experiments.open_questions import (  # noqa: E402
    AE_LAYERS,
    OpenQuestionsConfig,
    synthetic_recording,
    unpack,
)

pytestmark = pytest.mark.torch


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"seeds": (1,)}, r"seeds must be at least 2 distinct ints; got \(1,\)"),
        ({"seeds": (1, 1)}, r"seeds must be at least 2 distinct ints; got \(1, 1\)"),
        ({"ae_steps": 0}, "ae_steps must be an int >= 1; got 0"),
        ({"ks": (1, 2)}, r"ks must include 8 .*; got \(1, 2\)"),
        ({"dynamics_epochs": (1, 5)}, r"dynamics_epochs must be increasing, start at 0 .*; got \(1, 5\)"),
        ({"dynamics_epochs": (0,)}, r"dynamics_epochs must .* hold at least two epochs; got \(0,\)"),
        ({"recording_sources": (("conv1", 1),)}, "recording_sources must start with conv3"),
        (
            {"recording_sources": (("conv3", 4), ("fc1", 1))},
            "each recording source must be one of .*; got 'fc1'",
        ),
        (
            {"recording_sources": (("conv3", 0),)},
            "trials of recording source 'conv3' must be an int >= 1; got 0",
        ),
        ({"ks": (0, 8)}, r"ks must be increasing ints >= 1, at least one; got \(0, 8\)"),
        ({"ks": (8, 2)}, r"ks must be increasing ints >= 1, at least one; got \(8, 2\)"),
        ({"neuron_ms": ()}, r"neuron_ms must be increasing ints >= 1, at least one; got \(\)"),
        ({"neuron_ms": (4, 4)}, r"neuron_ms must be increasing ints >= 1, at least one; got \(4, 4\)"),
        ({"n_neurons": 0}, "n_neurons must be an int >= 1; got 0"),
    ],
)
def test_config_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OpenQuestionsConfig(**kwargs)


def test_the_book_registry_shifts_every_seed():
    entry = book_experiments()["open_questions"]
    assert entry.chapter == "09_open_questions"
    cfg = book_config("open_questions", scale="default", seed_offset=2)
    assert cfg.seeds == (2, 3, 4) and cfg.seed == 2
    assert cfg.key() != book_config("open_questions", scale="default", seed_offset=0).key()


def test_synthetic_recording_is_seeded_and_averages_trials():
    X = np.random.default_rng(0).standard_normal((300, 10))
    a, b = synthetic_recording(X, n_neurons=7, rng=3), synthetic_recording(X, n_neurons=7, rng=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (300, 7) and np.all(a >= 0)
    assert np.allclose(a * 4, np.round(a * 4))  # the mean of four integer counts
    with pytest.raises(ValueError, match=r"source must be \(n_stimuli, n_features\); got shape \(5,\)"):
        synthetic_recording(np.ones(5))


def _synthetic_arrays() -> dict[str, np.ndarray]:
    """Two seeds with hand-made measurements whose claims are known."""
    S, C = 2, 3
    ae_cca = np.ones((S, 5, 5)) * 0.99
    ae_cka = np.ones((S, 5, 5)) * 0.8
    ms = np.array([1, 2, 4, 128])
    # class 0: 90% with one neuron; class 1: with 4; class 2: only with the whole layer
    table = np.array([[0.9, 0.95, 0.97, 1.0], [0.5, 0.7, 0.92, 1.0], [0.45, 0.6, 0.8, 1.0]])
    layers = ["conv1", "conv2", "conv3", "conv4", "conv5"]
    cka = np.array([0.3, 0.5, 0.9, 0.6, 0.4])  # peaks at conv3 by 0.3
    svcca = np.array([0.6, 0.7, 0.75, 0.72, 0.7])  # range 0.15 vs CKA's 0.6
    return {
        "seeds": np.array([0, 1]),
        "ae_mse": np.array([0.3, 0.4]),
        "ae_cca": ae_cca,
        "ae_cka": ae_cka,
        "ks": np.array([2, 8]),
        "compression_methods": np.array(["pca", "pls (labels)", "random"]),
        "compression_full": np.array([0.97, 0.96]),
        "compression_accuracy": np.array([[[0.5, 0.96], [0.6, 0.955], [0.2, 0.5]]] * S),
        "neuron_ms": ms,
        "neuron_table": np.stack([table] * S)[:, :C],
        "dyn_gen": np.array([[0.3, 0.5, 0.6], [0.35, 0.5, 0.62]]),
        "dyn_mem": np.array([[0.3, 0.4, 0.45], [0.3, 0.42, 0.5]]),
        "dyn_gen_train_accuracy": np.array([1.0, 1.0]),
        "dyn_mem_train_accuracy": np.array([0.6, 0.7]),
        "types_cca": np.array([[1.0, 0.8, 0.9]] * S),
        "types_cka": np.array([[0.97, 0.85, 0.9]] * S),
        "conv_layers": np.array([layers] * S),
        "recording_cka": np.array([[cka]] * S),
        "recording_svcca": np.array([[svcca]] * S),
    }


def test_claims_are_worst_cases_over_seeds():
    data = unpack(_synthetic_arrays())
    claims = {c.name: c for c in data.claims()}
    assert len(claims) == len(data.claims()) and all(n.startswith("open_questions.") for n in claims)
    np.testing.assert_array_equal(data.neurons_needed(), [[1, 4, 128]] * 2)
    np.testing.assert_allclose(data.single_neuron_share(), [[0.9, 0.5, 0.45]] * 2)
    assert claims["open_questions.neurons.single_share_min"].value == pytest.approx(0.45)
    assert claims["open_questions.neurons.needed_vary"].value == 3
    assert claims["open_questions.ae.mse"].value == pytest.approx(0.4)
    # PCA 0.96 and PLS 0.955 against full 0.97 / 0.96: worst change 0.955 - 0.97
    assert claims["open_questions.compression.pca_pls_keep_accuracy"].value == pytest.approx(-0.015)
    assert claims["open_questions.compression.pca_pls_close"].value == pytest.approx(0.005)
    assert claims["open_questions.dynamics.gen_above_mem"].value == pytest.approx(0.12)  # 0.62 - 0.5
    assert claims["open_questions.dynamics.gen_grows"].value == pytest.approx(0.27)
    assert claims["open_questions.recording.cka_peaks_at_source"].value == pytest.approx(0.3)
    assert claims["open_questions.recording.svcca_flatter"].value == pytest.approx(0.45)
    assert data.recording_peak("svcca") == ["conv3", "conv3"]
    arrays = _synthetic_arrays()
    arrays["compression_accuracy"] = arrays["compression_accuracy"].copy()
    arrays["compression_accuracy"][0, 1, 1] = np.nan  # PLS has fewer than 8 directions
    curves = unpack(arrays).compression_curves(0)
    np.testing.assert_allclose(curves["pls (labels)"], [0.6, 0.6])
    np.testing.assert_allclose(curves["pca"], [0.5, 0.96])
    check_claims(claims.values())  # every hand-made value satisfies its bound


def test_the_recording_claim_reads_the_seed_averaged_profile():
    arrays = _synthetic_arrays()
    arrays["recording_cka"] = arrays["recording_cka"].copy()
    arrays["recording_cka"][1, 0, 1] = 0.95  # seed 1: conv2 above the source
    claims = {c.name: c for c in unpack(arrays).claims()}
    c = claims["open_questions.recording.cka_peaks_at_source"]
    assert c.details["seed 1"] == pytest.approx(-0.05) and c.details["seed 0"] == pytest.approx(0.3)
    assert c.holds and c.value == pytest.approx(0.9 - 0.725)  # the seed-averaged profile still peaks
    arrays["recording_cka"][0, 0, 1] = 0.95  # ... until both seeds put conv2 above conv3
    c = {c.name: c for c in unpack(arrays).claims()}["open_questions.recording.cka_peaks_at_source"]
    assert not c.holds and c.value == pytest.approx(-0.05)


@pytest.mark.slow
def test_tiny_run_has_the_documented_arrays(tmp_path):
    config = OpenQuestionsConfig.for_scale("tiny")
    result = run_or_load(config, tmp_path)
    data = unpack(run_or_load(config, tmp_path))
    S = 2
    assert not result.from_cache and data.seeds == (0, 1)
    assert data["ae_cca"].shape == (S, len(AE_LAYERS), len(AE_LAYERS))
    np.testing.assert_allclose(data["ae_cka"][:, np.arange(5), np.arange(5)], 1.0, atol=1e-8)
    assert data["compression_accuracy"].shape == (S, 3, 2) and np.all(data["pls_dims"] == 9)
    assert data["neuron_table"].shape == (S, 10, 3)
    assert data["dyn_gen"].shape == (S, 2) and data["dyn_mem"].shape == (S, 2)
    assert data["types_cca"].shape == (S, 3)
    np.testing.assert_allclose(data["types_cca"][:, 0], 1.0, atol=1e-6)  # CCA cannot see batch norm
    assert data.conv_layers == ["conv1", "conv2", "conv3", "conv4", "conv5"]
    assert data["recording_cka"].shape == (S, 3, 5)
    names = [c.name for c in config.claims(result)]
    assert len(names) == len(set(names)) and all(n.startswith("open_questions.") for n in names)


def test_the_figure_accessors_pick_one_seed_and_say_which_array_is_which():
    data = unpack(_synthetic_arrays())
    arrays = _synthetic_arrays()
    np.testing.assert_array_equal(data.autoencoder_grid("cka", 1), arrays["ae_cka"][1])
    np.testing.assert_array_equal(data.dynamics_curves(1)[:, 0], arrays["dyn_gen"][1])
    np.testing.assert_array_equal(data.dynamics_curves(1)[:, 1], arrays["dyn_mem"][1])
    rec = data.recording_similarity(0)
    assert list(rec) == ["svcca", "linear cka"] and int(np.argmax(rec["linear cka"])) == 2
    with pytest.raises(ValueError, match="measure must be one of 'cca', 'cka'; got 'pwcca'"):
        data.autoencoder_grid("pwcca")


@pytest.mark.parametrize("fraction", [0.0, 1.5, float("nan"), -0.5])
def test_neurons_needed_refuses_a_fraction_outside_zero_one(fraction):
    # a fraction no count reaches gave argmax of all-False: "one neuron", quietly
    data = unpack(_synthetic_arrays())
    with pytest.raises(ValueError, match=r"fraction must be a number in \(0, 1\]"):
        data.neurons_needed(fraction)
    table, ms = data["neuron_table"], data["neuron_ms"]
    oracle = [[min(m for m, v in zip(ms, row) if v >= 0.9 * row[-1]) for row in seed] for seed in table]
    assert data.neurons_needed(0.9).tolist() == oracle


def test_compression_names_the_stored_ks():
    with pytest.raises(ValueError, match="k must be one of 2, 8; got 3"):
        unpack(_synthetic_arrays()).compression(3)


def test_an_index_out_of_range_names_its_argument():
    # numpy's "index 5 is out of bounds for axis 0 with size 2" named neither the argument nor the range
    from svcca.experiments.open_questions import OpenQuestionsData

    rec = np.zeros((2, 3, 4))
    d = OpenQuestionsData(
        None, {"ae_cca": np.zeros((2, 5, 5)), "recording_cka": rec, "recording_svcca": rec}, (0, 1)
    )
    with pytest.raises(IndexError, match=r"seed_index=5 is out of range for 2 items \(use 0 to 1\)"):
        d.autoencoder_grid("cca", seed_index=5)
    with pytest.raises(IndexError, match=r"source=9 is out of range for 3 items"):
        d.recording_similarity(source=9)
    assert d.recording_similarity(seed_index=-1, source=2)["svcca"].shape == (4,)
