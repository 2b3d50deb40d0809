"""PWCCA against mean CCA under added noise (svcca.experiments.pwcca_noise)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from svcca.experiments import book_config, run_or_load
from svcca.experiments.pwcca_noise import (
    CURVES,
    PWCCANoiseConfig,
    add_noise_directions,
    noise_similarities,
    synthetic_views,
    unpack,
)
from svcca.experiments.seed_pair import SeedPairConfig


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return run_or_load(PWCCANoiseConfig.for_scale("tiny"), cache), cache


@pytest.mark.torch
def test_tiny_run_shapes_and_networks_from_the_same_cache(tiny_run):
    result, cache = tiny_run
    data = result.data
    cfg = PWCCANoiseConfig.for_scale("tiny")
    assert data.synthetic("cca").shape == (cfg.n_resamples, len(cfg.synthetic_dims))
    assert data.layers == ("fc1", "fc2")
    assert data.network("pwcca", "fc1").shape == (1, len(cfg.network_fractions))
    assert data.network_dims("fc1").tolist() == [0, 8, 32]
    # the seed-pair networks were run (and cached) in the cache this experiment ran in
    assert list(cache.glob("seed_pair-*.npz"))
    assert str(result.arrays["networks_key"]) == cfg.networks.key()
    # no noise: the three numbers are those of the plain comparison
    again = run_or_load(cfg.networks, cache)
    assert again.from_cache
    from svcca.experiments.seed_pair import unpack as unpack_pairs

    nets = unpack_pairs(again)
    X, Y = nets.acts("fc1", nets.seeds[0]), nets.acts("fc1", nets.seeds[1])
    np.testing.assert_allclose(data.network("cca", "fc1")[0, 0], noise_similarities(X, Y)[0], atol=1e-12)


@pytest.mark.torch
def test_claims_names_unique_and_prefixed(tiny_run):
    claims = tiny_run[0].data.claims()
    names = [c.name for c in claims]
    assert len(set(names)) == len(names) == 7
    assert all(n.startswith("pwcca_noise.synthetic.") or n.startswith("pwcca_noise.network.") for n in names)
    assert all(np.isfinite(c.value) for c in claims)
    # the config's claims are the typed data's
    assert [c.name for c in PWCCANoiseConfig.for_scale("tiny").claims(tiny_run[0])] == names


def test_claims_on_a_synthetic_result():
    # mean CCA 0.9 -> 0.3, PWCCA 0.95 -> 0.9, noisy-side PWCCA 0.95 -> 0.5; networks: one layer,
    # one pair, fractions (0, 0.5, 1)
    syn = np.array([[[0.9, 0.5, 0.3]], [[0.95, 0.93, 0.9]], [[0.95, 0.7, 0.5]]])
    net = np.array([[[[0.6, 0.5, 0.3]]], [[[0.8, 0.75, 0.65]]], [[[0.8, 0.6, 0.4]]]])
    arrays = {
        "curves": np.array(CURVES),
        "synthetic_dims": np.array([0, 8, 16]),
        "synthetic_similarity": syn,
        "layers": np.array(["fc1"]),
        "pairs": np.array([[0, 1]]),
        "network_fractions": np.array([0.0, 0.5, 1.0]),
        "network_dims": np.array([[0, 4, 8]]),
        "network_similarity": net,
    }
    c = {x.name.removeprefix("pwcca_noise."): x for x in unpack(arrays).claims()}
    assert c["synthetic.mean_cca_falls"].value == pytest.approx(0.6)
    assert c["synthetic.pwcca_loses_little"].value == pytest.approx(max(0.02 / 0.4, 0.05 / 0.6))
    assert c["synthetic.pwcca_stays_high"].value == pytest.approx(0.9)
    assert c["synthetic.noisy_weights_fall"].value == pytest.approx(0.45)
    assert c["network.pwcca_loses_less"].value == pytest.approx(max(0.05 / 0.1, 0.15 / 0.3))
    assert c["network.pwcca_lead_all_noisy"].value == pytest.approx(0.3 - 0.15)
    assert c["network.noisy_weights_lose_more"].value == pytest.approx(min(0.2 - 0.1, 0.4 - 0.3))
    assert all(x.holds for x in c.values())
    # without networks only the synthetic claims
    bare = {k: v for k, v in arrays.items() if k == "curves" or k.startswith("synthetic")}
    assert len(unpack(bare).claims()) == 4
    with pytest.raises(KeyError, match="no networks"):
        unpack(bare).network("cca")


def test_seed_offset_moves_the_networks_too():
    cfg = PWCCANoiseConfig()
    moved = cfg.with_seed_offset(2)
    assert moved.seed == 2 and moved.networks.seeds == (2, 3, 4) and moved.networks.seed == 2
    assert moved.key() != cfg.key()
    assert book_config("pwcca_noise", scale="tiny", seed_offset=1).networks == SeedPairConfig.for_scale(
        "tiny"
    ).with_seed_offset(1)
    assert dataclasses.replace(cfg, networks=None).with_seed_offset(1).networks is None


def test_add_noise_directions():
    Y = np.random.default_rng(0).standard_normal((500, 8)) * np.arange(1, 9)
    assert np.array_equal(add_noise_directions(Y, 0, rng=1), Y)
    D = add_noise_directions(Y, 3, scale=2.0, rng=1) - Y
    assert np.linalg.matrix_rank(D) == 3
    # the noise's standard deviation along its directions is scale x the RMS neuron sd
    s = np.sqrt(Y.var(0).mean())
    assert np.sqrt((D**2).sum(1).mean() / 3) == pytest.approx(2.0 * s, rel=0.1)
    with pytest.raises(ValueError, match="at most the number of features"):
        add_noise_directions(Y, 9)
    with pytest.raises(ValueError, match="k must be"):
        add_noise_directions(Y, -1)


def test_synthetic_views_share_their_signals():
    X, Y, noise = synthetic_views(1500, 3, 12, 4, rng=0)
    mean, pw_x, pw_y = noise_similarities(X, Y)
    assert min(mean, pw_x, pw_y) > 0.95
    # appended noise neurons add correlations near chance: mean CCA falls, PWCCA on X's side does not
    mean_n, pw_x_n, _ = noise_similarities(X, np.hstack([Y, noise]))
    assert mean_n < 0.7 * mean and pw_x_n > 0.9


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"synthetic_dims": (4, 8)}, "synthetic_dims must be increasing ints starting at 0"),
        ({"synthetic_dims": (0, 8, 8)}, "synthetic_dims must be increasing"),
        ({"width": 16}, "width must hold the signals"),
        ({"network_fractions": (0.0, 1.5)}, "network_fractions must increase from 0 to at most 1"),
        ({"noise_scale": 0.0}, "noise_scale must be a positive finite number"),
        ({"private_noise": float("nan")}, "private_noise must be a positive finite number"),
        ({"n_resamples": 0}, "n_resamples must be an int >= 1"),
        ({"n_samples": 1}, "n_samples must be an int >= 2; got 1"),
        ({"layers": ()}, r"layers must be None or distinct layer names, at least one; got \(\)"),
        ({"layers": ("fc1", "fc1")}, "layers must be None or distinct layer names"),
    ],
)
def test_bad_configs(change, match):
    with pytest.raises(ValueError, match=match):
        PWCCANoiseConfig(**change)


def test_a_misnamed_layer_is_refused_before_any_training(monkeypatch, tmp_path):
    def no_training(*args, **kwargs):
        raise AssertionError("the networks were trained before the layers were checked")

    monkeypatch.setattr(SeedPairConfig, "fit", no_training)
    cfg = dataclasses.replace(PWCCANoiseConfig.for_scale("tiny"), layers=("fc9",))
    with pytest.raises(ValueError, match=r"layers \['fc9'\] are not layers of the networks; layers: \['fc1'"):
        cfg.run()


def test_bad_networks_type():
    with pytest.raises(TypeError, match="networks must be a SeedPairConfig or None; got str"):
        PWCCANoiseConfig(networks="default")  # type: ignore[arg-type]
