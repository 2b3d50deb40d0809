"""The seed-pair experiment: tiny runs, caching, array layout, and low-rank projections."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import TOL32, TOL64  # noqa: E402
from svcca.experiments import run_or_load  # noqa: E402
from svcca.experiments.seed_pair import (  # noqa: E402
    METHODS,
    Reconstruction,
    SeedPairConfig,
    direction_weights,
    fit_projection,
    projected_accuracy,
    unpack,
)
from svcca.nn import evaluate  # noqa: E402
from svcca.nn.data import load_digits  # noqa: E402
from svcca.nn.models import MLP, ConvNet  # noqa: E402

#: The tiny preset (two 2 x 32 MLPs, 100 test images x 9 shifts);
#: conftest's ``tiny_result`` runs it once per module.
TINY = SeedPairConfig.for_scale("tiny")


@pytest.fixture(scope="module")
def tiny(tiny_result):
    return unpack(tiny_result)


@pytest.fixture
def correlated_layer():
    """A 6-neuron layer of rank 5 (one dead, constant neuron; a very unequal spectrum) and a
    partner layer of 8 neurons that shares two of its directions."""
    rng = np.random.default_rng(0)
    latent = rng.standard_normal((600, 2))
    X = np.hstack([latent, rng.standard_normal((600, 3)) * [3.0, 0.5, 0.1], np.zeros((600, 1))])
    X[:, :5] = X[:, :5] @ np.linalg.qr(rng.standard_normal((5, 5)))[0]
    X[:, 5] = 2.0
    Y = np.hstack([latent + 0.3 * rng.standard_normal((600, 2)), rng.standard_normal((600, 6))])
    return X, Y


# --------------------------------------------------------------------------- the run


def test_tiny_run_is_cached_and_reloads_identically(tiny_result, tiny_cache):
    again = run_or_load(TINY, tiny_cache)
    assert not tiny_result.from_cache and again.from_cache
    assert set(again.arrays) == set(tiny_result.arrays)
    for k, v in tiny_result.arrays.items():
        np.testing.assert_array_equal(again[k], v)


def test_tiny_arrays_have_the_documented_shapes(tiny):
    cfg = SeedPairConfig.for_scale("tiny")
    n_eval = cfg.n_eval * (2 * cfg.probe_shift + 1) ** 2  # 100 test images x 9 shifts
    assert tiny.layers == ("fc1", "fc2", "logits")
    assert tiny.seeds == cfg.seeds
    for layer, width in zip(tiny.layers, (32, 32, 10)):
        for seed in tiny.seeds:
            for state in ("trained", "init"):
                acts = tiny.acts(layer, seed, state)
                assert acts.shape == (n_eval, width) and acts.dtype == np.float64
        np.testing.assert_array_equal(tiny.rows(layer), np.arange(n_eval))
    assert tiny.labels.shape == (n_eval,) and tiny.shifts.shape == (n_eval, 2)
    assert tiny.unshifted("fc1").sum() == cfg.n_eval
    assert tiny.test_accuracy.shape == tiny.init_accuracy.shape == (2,)
    assert tiny.pairs() == [(0, 1)]
    ks, curves = tiny.intrinsic_dimensionality("fc2")
    np.testing.assert_array_equal(ks, cfg.ks)
    assert set(curves) == set(METHODS) and all(c.shape == (len(cfg.ks), 2) for c in curves.values())
    assert tiny.id_layers == ("fc1", "fc2")
    assert np.all(tiny.id_dims("fc2")["pca"] <= 32)


def test_trained_differs_from_init_and_learns(tiny):
    assert np.all(tiny.test_accuracy > tiny.init_accuracy)
    assert not np.allclose(tiny.acts("fc1", 0), tiny.acts("fc1", 0, "init"))
    # networks of different seeds differ
    assert not np.allclose(tiny.acts("fc1", 0), tiny.acts("fc1", 1))


def test_rebuilt_network_reproduces_recorded_accuracy_and_activations(tiny):
    net = tiny.network(1)
    _, test = tiny.inputs()
    assert evaluate(net, test)[1] == pytest.approx(tiny.test_accuracy[1], abs=1e-12)
    x = load_digits().probe(1).tensors[0][:5]  # the first 5 probe rows (shift (-1, -1))
    with torch.no_grad():
        h = net.fc1(x.flatten(1)).numpy()
    np.testing.assert_allclose(h, tiny.acts("fc1", 1)[:5], atol=TOL32)
    init = tiny.network(1, state="init")
    with torch.no_grad():
        h0 = init.fc1(x.flatten(1)).numpy()
    np.testing.assert_allclose(h0, tiny.acts("fc1", 1, "init")[:5], atol=TOL32)


def test_full_projection_recovers_the_unprojected_accuracy(tiny):
    # every direction kept: the projection is the identity on the layer's span
    ks, curves = tiny.intrinsic_dimensionality("fc1")
    assert ks[-1] == 32
    for method in ("pca", "random"):
        np.testing.assert_allclose(curves[method][-1], tiny.test_accuracy, atol=1.0 / 100)


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"seeds": (0,)}, "seeds must be at least 2 distinct ints"),
        ({"seeds": (1, 1)}, "seeds must be at least 2 distinct ints"),
        ({"methods": ("pca", "ica")}, "methods must be a non-empty subset"),
        ({"ks": (4, 2)}, "ks must be increasing positive ints"),
        ({"ks": (0, 2)}, "ks must be increasing positive ints"),
        ({"dataset": "mnist"}, "dataset must be one of 'digits', 'cifar10'; got 'mnist'"),
        ({"model": "rnn"}, "model must be one of 'mlp', 'conv'; got 'rnn'"),
        ({"model": "conv", "arch": "vgg"}, "arch must be one of .*; got 'vgg'"),  # failed when built
        # these were read only after every network had trained
        ({"keep": 1.5}, r"keep as a variance fraction must be in \(0, 1\]; got 1.5"),
        ({"keep": float("nan")}, r"keep as a variance fraction must be in \(0, 1\]; got nan"),
        ({"keep": 1}, "keep is a variance fraction in"),
        ({"project_layers": "fc1"}, "project_layers must be None or a non-empty tuple of names; got 'fc1'"),
        ({"project_layers": ()}, "project_layers must be None or a non-empty tuple of names"),
        ({"probe_shift": -1}, "probe_shift must be an int >= 0; got -1"),
        ({"fit_shift": 1.5}, "fit_shift must be an int >= 0; got 1.5"),
        ({"augment_shift": -2}, "augment_shift must be an int >= 0; got -2"),
        ({"seed": -1}, "seed must be an int >= 0; got -1"),
        ({"n_eval": 0}, "n_eval must be None or an int >= 1; got 0"),
        ({"n_fit": -5}, "n_fit must be None or an int >= 1; got -5"),
        ({"positions_per_image": 0}, "positions_per_image must be None or an int >= 1; got 0"),
    ],
)
def test_bad_config_raises(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        dataclasses.replace(SeedPairConfig(), **bad)


def test_unknown_project_layer_raises_before_training(monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("the networks were trained before project_layers was checked")

    monkeypatch.setattr(SeedPairConfig, "fit", no_training)
    cfg = dataclasses.replace(SeedPairConfig.for_scale("tiny"), project_layers=("fc9",), epochs=1)
    with pytest.raises(ValueError, match=r"project_layers \['fc9'\] are not layers of the networks"):
        cfg.run()


def test_presets_and_cache_keys():
    tiny, default, full = (SeedPairConfig.for_scale(s) for s in ("tiny", "default", "full"))
    assert default == SeedPairConfig() and default.hidden == (128, 128, 128) and default.probe_shift == 1
    assert full.dataset == "cifar10" and full.model == "conv"
    assert len({tiny.key(), default.key(), full.key()}) == 3
    # device and data folder are not part of the experiment's identity
    assert dataclasses.replace(default, device="cuda", data_root="/x", num_threads=4).key() == default.key()


@pytest.mark.slow
def test_conv_positions_are_sampled_identically_for_every_network(tmp_path):
    cfg = SeedPairConfig(
        model="conv", arch="pilot5", seeds=(0, 1), epochs=1, n_eval=20, n_fit=50, positions_per_image=4,
        project_layers=("conv2",), methods=("pca", "random"), ks=(1, 32),
    )  # fmt: skip
    data = unpack(run_or_load(cfg, tmp_path))
    assert data.layers == ("conv1", "conv2", "conv3", "conv4", "conv5", "logits")
    n_rows = 20 * 9
    conv = data.acts("conv3", 0)
    assert conv.shape == (n_rows * 4, 32)
    np.testing.assert_array_equal(data.rows("conv3"), np.repeat(np.arange(n_rows), 4))
    assert data.acts("logits", 1).shape == (n_rows, 10)
    # the same sampled positions in every network: re-record and compare exactly
    net = data.network(1)
    from svcca.experiments._toolbox import probe_inputs
    from svcca.experiments.seed_pair import _collect

    x = probe_inputs(cfg.load_data(), cfg.n_eval, cfg.probe_shift)[0].tensors[0]
    acts, rows = _collect(net, x, cfg, tag=0)
    np.testing.assert_allclose(acts["conv3"], data.acts("conv3", 1), atol=TOL32)
    ks, curves = data.intrinsic_dimensionality("conv2")
    np.testing.assert_allclose(curves["pca"][-1], data.test_accuracy, atol=1.0 / 20)


# --------------------------------------------------------------------------- projections


@pytest.mark.parametrize("method", METHODS)
def test_projection_with_every_direction_is_the_identity_on_the_layer(correlated_layer, method):
    X, Y = correlated_layer
    W = direction_weights(method, X, Y, keep=1.0, rng=0)
    assert W.shape[1] >= 5  # as many directions as the layer's rank
    mean, P = fit_projection(X, W, W.shape[1])
    np.testing.assert_allclose(mean + (X - mean) @ P, X, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_rank_k_projection_is_idempotent_and_keeps_its_scores(correlated_layer, method):
    X, Y = correlated_layer
    W = direction_weights(method, X, Y, rng=0)
    mean, P = fit_projection(X, W, 2)
    Xc = X - mean
    assert np.linalg.matrix_rank(P, tol=1e-8) == 2
    np.testing.assert_allclose(Xc @ P @ P, Xc @ P, atol=1e-8)
    # the k scores the projection was built from pass through unchanged
    np.testing.assert_allclose(Xc @ P @ W[:, :2], Xc @ W[:, :2], atol=1e-8)


@pytest.mark.parametrize("shape", [(400, 12), (10, 12)])
def test_reconstruction_solves_the_full_least_squares_problem(rng, shape):
    # the p x k problem on R (Xc = Q R) against numpy's lstsq on the n x k scores, with a
    # dead neuron, a duplicated one, more directions than the rank, and n < p
    n, p = shape
    X = rng.standard_normal((n, p)) @ rng.standard_normal((p, p)) + 5.0
    X[:, 3] = 2.0
    X[:, 7] = X[:, 1]
    W = rng.standard_normal((p, p))
    rec = Reconstruction(X)
    for k in (1, 5, p):
        Xc = X - X.mean(0)
        B = np.linalg.lstsq(Xc @ W[:, :k], Xc, rcond=None)[0]
        mean, P = rec.fit(W, k)
        np.testing.assert_allclose(mean, X.mean(0), rtol=0, atol=1e-12)
        # the fitted reconstructions agree (P itself is not unique where the scores are dependent)
        np.testing.assert_allclose(Xc @ P, Xc @ W[:, :k] @ B, atol=1e-9)
        np.testing.assert_allclose(fit_projection(X, W, k)[1], P, atol=1e-12)


def test_neuron_families_select_live_neurons(correlated_layer):
    X, _ = correlated_layer
    W = direction_weights("neurons", X, rng=3)
    # columns of the identity, one per live neuron (the dead, constant one is left out)
    assert W.shape == (6, 5) and np.all(W.sum(0) == 1) and np.all(W[5] == 0)
    np.testing.assert_array_equal(W, direction_weights("neurons", X, rng=3))  # seeded
    top = direction_weights("top_neurons", X)
    order = np.argmax(top, axis=0)
    assert sorted(order) == [0, 1, 2, 3, 4]
    assert np.all(np.diff(X[:, order].var(0)) <= 0)  # loudest first


def test_pca_projection_is_orthogonal_and_matches_reconstruction(correlated_layer):
    X, _ = correlated_layer
    mean, P = fit_projection(X, direction_weights("pca", X), 3)
    np.testing.assert_allclose(P, P.T, atol=TOL64)
    # oracle: reconstruction from the top 3 right singular vectors
    _, _, Vt = np.linalg.svd(X - X.mean(0), full_matrices=False)
    np.testing.assert_allclose(P, Vt[:3].T @ Vt[:3], atol=TOL64)


def test_cca_directions_are_the_canonical_variates(correlated_layer):
    import svcca

    X, Y = correlated_layer
    W = direction_weights("cca", X, Y)
    assert W.shape == (6, 5) and np.all(W[5] == 0)  # the dead neuron gets no weight
    H = (X - X.mean(0)) @ W
    # oracle: each variate's multiple correlation with Y is its canonical correlation
    Yc = Y - Y.mean(0)
    fitted = Yc @ np.linalg.lstsq(Yc, H, rcond=None)[0]
    multiple_r = np.linalg.norm(fitted, axis=0) / np.linalg.norm(H, axis=0)
    np.testing.assert_allclose(multiple_r, svcca.cca(X, Y).rho, atol=1e-8)
    assert multiple_r[1] > 0.9 > 0.5 > multiple_r[2]  # two shared directions first


def test_partner_layer_is_required_for_canonical_directions(correlated_layer):
    X, _ = correlated_layer
    with pytest.raises(ValueError, match="method='svcca' needs the partner layer Y; got Y=None"):
        direction_weights("svcca", X)
    with pytest.raises(ValueError, match="method must be one of"):
        direction_weights("ica", X)


@pytest.mark.parametrize("model", ["mlp", "conv"])
def test_projected_accuracy_identity_equals_evaluate_and_a_constant_layer_does_not(model):
    digits = load_digits()
    test = torch.utils.data.TensorDataset(*(t[:200] for t in digits.test.tensors))
    net = (MLP(64, (16,), seed=0) if model == "mlp" else ConvNet(["8"], seed=0)).eval()
    layer, width = ("fc1", 16) if model == "mlp" else ("conv1", 8)
    with torch.no_grad():
        out = net(test.tensors[0][:3])
    assert projected_accuracy(net, layer, np.zeros(width), np.eye(width), test) == evaluate(net, test)[1]
    # negative control: a rank-0 projection makes the layer constant, so every image gets the
    # same prediction and the accuracy is the frequency of one class
    acc = projected_accuracy(net, layer, np.linspace(0.0, 1.0, width), np.zeros((width, width)), test)
    freqs = [float(np.mean(test.tensors[1].numpy() == c)) for c in range(10)]
    assert any(acc == pytest.approx(f, abs=1e-12) for f in freqs)
    with torch.no_grad():  # the hook is removed afterwards
        torch.testing.assert_close(net(test.tensors[0][:3]), out)


# --------------------------------------------------------------------------- claims


@pytest.fixture(scope="module")
def tiny_claims(tiny):
    return tiny.claims()


def test_claims_are_named_by_the_registry_and_group_and_unique(tiny, tiny_claims, tiny_result):
    from svcca.experiments import Claim, book_experiments
    from svcca.experiments.seed_pair import CLAIM_GROUPS

    assert "seed_pair" in book_experiments()
    names = [c.name for c in tiny_claims]
    assert len(names) == len(set(names)) and all(isinstance(c, Claim) for c in tiny_claims)
    assert {n.split(".")[1] for n in names} == set(CLAIM_GROUPS)
    assert all(re.fullmatch(r"seed_pair\.(cca|methods|significance)\.[a-z0-9_]+", n) for n in names)
    assert all(np.isfinite(c.value) for c in tiny_claims)
    # the config's claims are the typed result's, and a group selects its chapter's
    cfg = SeedPairConfig.for_scale("tiny")
    assert [c.name for c in cfg.claims(tiny_result)] == names
    assert [c.name for c in tiny.claims(["methods"])] == [
        n for n in names if n.startswith("seed_pair.methods.")
    ]


def test_the_book_builds_memo_answers_only_for_the_same_result(
    tiny, tiny_claims, tiny_result, tmp_path, monkeypatch
):
    """Inside the book build (``$SVCCA_CLAIMS_MEMO`` set) the claims are computed once and
    read back, bit for bit; other arrays, another config or no memo folder compute afresh."""
    from svcca.experiments import recall_claims

    cfg = SeedPairConfig.for_scale("tiny")
    assert recall_claims(cfg, tiny_result.arrays) is None  # no memo folder: nothing recalled
    monkeypatch.setenv("SVCCA_CLAIMS_MEMO", str(tmp_path / "memo"))
    assert recall_claims(cfg, tiny_result.arrays) is None  # nothing remembered yet
    first = cfg.claims(tiny_result)  # computes and remembers
    assert [c.to_dict() for c in first] == [c.to_dict() for c in tiny_claims]
    again = recall_claims(cfg, tiny_result.arrays)
    assert [c.to_dict() for c in again] == [c.to_dict() for c in tiny_claims]
    # a chapter's group comes from the memo, in the order a computation gives
    for groups in ("significance", ["methods", "cca"]):
        want = [
            c
            for g in ([groups] if isinstance(groups, str) else groups)
            for c in tiny_claims
            if c.name.split(".")[1] == g
        ]
        assert [c.to_dict() for c in tiny.claims(groups)] == [c.to_dict() for c in want]
    # one changed value, or a config with other seeds, is never answered from the memo
    changed = dict(tiny_result.arrays)
    key = sorted(k for k in changed if changed[k].dtype.kind == "f")[0]
    changed[key] = changed[key].copy()
    changed[key].flat[0] += 1.0
    assert recall_claims(cfg, changed) is None
    assert recall_claims(cfg.with_seed_offset(1), tiny_result.arrays) is None


def test_the_build_memo_keeps_a_bootstrap_for_the_same_data_only(tiny, tmp_path, monkeypatch):
    """bootstrap_by_layer, drawn by the claims and by chapter 4, is computed once per build."""
    from svcca.figures.methods import bootstrap_by_layer

    fresh = bootstrap_by_layer(tiny, "basic", 20, rng=0)
    monkeypatch.setenv("SVCCA_CLAIMS_MEMO", str(tmp_path / "memo"))
    first = bootstrap_by_layer(tiny, "basic", 20, rng=0)
    assert len(list((tmp_path / "memo").iterdir())) == 1
    again = bootstrap_by_layer(tiny, "basic", 20, rng=0)
    for state in ("trained", "init"):
        for a, b, c in zip(fresh[state], first[state], again[state]):
            assert a.low == b.low == c.low and a.high == b.high == c.high
            np.testing.assert_array_equal(a.bootstrap_distribution, c.bootstrap_distribution)
    # other arguments are other entries; nothing is read without the memo folder
    bootstrap_by_layer(tiny, "percentile", 20, rng=0)
    assert len(list((tmp_path / "memo").iterdir())) == 2
    monkeypatch.delenv("SVCCA_CLAIMS_MEMO")
    (tmp_path / "memo" / sorted(p.name for p in (tmp_path / "memo").iterdir())[0]).write_bytes(b"junk")
    assert bootstrap_by_layer(tiny, "basic", 20, rng=0)["trained"][0].low == fresh["trained"][0].low


def test_claim_values_are_what_they_say(tiny, tiny_claims):
    import svcca

    C = {c.name: c for c in tiny_claims}
    assert C["seed_pair.cca.accuracy"].value == pytest.approx(tiny.test_accuracy.min())
    assert C["seed_pair.cca.untrained_near_chance"].value == pytest.approx(tiny.init_accuracy.max())
    test = tiny.unshifted("fc2")  # the middle hidden layer of the tiny nets is fc2
    X, Y = tiny.acts("fc2", 0), tiny.acts("fc2", 1)
    inflate = svcca.cca(X[test], Y[test]).mean - svcca.cca(X, Y).mean
    assert C["seed_pair.cca.few_samples_inflate"].value == pytest.approx(inflate, abs=TOL64)
    ks, curves = tiny.intrinsic_dimensionality("fc1")
    full = tiny.test_accuracy.mean()
    one = full - curves["pca"][0].mean()
    assert C["seed_pair.methods.one_direction_short"].details["fc1"] == pytest.approx(one)


def test_rows_know_their_image_and_the_grouped_claims_use_them(tiny, tiny_claims):
    from svcca import stats

    C = {c.name: c for c in tiny_claims}
    image = tiny.images("fc2")
    n_images = int(tiny.unshifted("fc2").sum())
    # every test image appears once per shift, and its rows hold the same digit
    assert np.array_equal(np.bincount(image), np.full(n_images, 9))
    assert all(len(set(tiny.labels[tiny.rows("fc2")][image == i])) == 1 for i in range(n_images))
    X, Y = tiny.acts("fc2", 0), tiny.acts("fc2", 1)
    ess = stats.effective_sample_size(X, image, Y)
    assert C["seed_pair.significance.effective_share_small"].value == pytest.approx(ess.n_effective / len(X))
    assert n_images <= ess.n_effective <= len(X)


def test_neuron_claims_compare_svcca_with_both_neuron_curves(tiny, tiny_claims):
    C = {c.name: c for c in tiny_claims}
    ks, curves = tiny.intrinsic_dimensionality("fc1")
    k8 = list(ks).index(4)  # an eighth of 32 neurons
    best_neurons = max(curves["neurons"][k8].mean(), curves["top_neurons"][k8].mean())
    lead = C["seed_pair.methods.svcca_beats_neurons_first"]
    assert lead.value == pytest.approx(curves["svcca"][k8].mean() - best_neurons)
    assert set(lead.details) == {"svcca", "neurons", "top_neurons"}
    assert set(C["seed_pair.methods.neurons_catch_up_deeper"].details) == {"fc2"}
    # a run without the neuron curves has no neuron claims
    arrays = dict(tiny.arrays)
    keep = [i for i, m in enumerate(tiny.id_methods) if "neurons" not in m]
    arrays["id_methods"] = arrays["id_methods"][keep]
    arrays["id_accuracy"] = arrays["id_accuracy"][:, keep]
    arrays["id_dims"] = arrays["id_dims"][:, keep]
    names = [c.name for c in unpack(arrays, tiny.config).claims("methods")]
    assert not [n for n in names if "neurons_" in n and "random_neurons" not in n]


def test_a_bad_claim_group_is_refused(tiny):
    with pytest.raises(ValueError, match="groups must be one of 'cca', 'methods', 'significance'; got 'ch9'"):
        tiny.claims("ch9")


def test_the_seed_moves_the_data_split():
    cfg = SeedPairConfig.for_scale("tiny")
    a, b = cfg.load_data(), cfg.with_seed_offset(1).load_data()
    assert not torch.equal(a.test.tensors[0], b.test.tensors[0])


def test_middle_layer_is_the_middle_hidden_layer(tiny):
    assert tiny.hidden_layers == tiny.layers[:-1]
    assert tiny.middle_layer == tiny.hidden_layers[len(tiny.hidden_layers) // 2]


def test_layer_accessors_name_the_layers_not_an_array_key():
    # rows("bogus") raised KeyError('rows__bogus'), width("bogus") KeyError('trained__s0__bogus')
    from svcca.experiments.conv_pair import ConvPairData
    from svcca.experiments.seed_pair import SeedPairData

    arrays = {
        "eval_image": np.array([0, 1]),
        "rows__fc1": np.array([0, 1]),
        "trained__s0__fc1": np.zeros((2, 3)),
    }
    data = SeedPairData(None, arrays, ("fc1",), (0,), *[None] * 4, 10)
    assert data.width("fc1") == 3
    for call in (data.rows, data.images, data.unshifted, data.width):
        with pytest.raises(KeyError, match=r"unknown layer 'bogus'; layers: \('fc1',\)"):
            call("bogus")
    conv = ConvPairData(None, {"trained__s0__c1": np.zeros((2, 4, 4, 5))}, ("c1",), (0,), *[None] * 5, 10)
    assert conv.grid("c1") == (4, 4) and conv.channels("c1") == 5
    for call in (conv.grid, conv.channels):
        with pytest.raises(KeyError, match=r"unknown layer 'bogus'; layers: \('c1',\)"):
            call("bogus")
