"""Learning dynamics and freeze training (Raghu et al. 2017): configs, runs, cache, accessors, figures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from conftest import TOL64, assert_figures_render, write_fake_cifar10

torch = pytest.importorskip("torch")

import svcca  # noqa: E402
from svcca.experiments import freeze_training as FT  # noqa: E402
from svcca.experiments import learning_dynamics as LD  # noqa: E402
from svcca.experiments import run_or_load  # noqa: E402
from svcca.nn.models import MLP, ConvNet, LSTMLanguageModel, SmallResNet  # noqa: E402
from svcca.nn.train import freeze_schedule  # noqa: E402

pytestmark = pytest.mark.torch

FIGURES = [
    "ld-conv-curves",
    "ld-conv-grids",
    "ld-resnet-curves",
    "ld-resnet-grids",
    "ld-plain-curves",
    "ld-lstm-curves",
    "ld-conv-pooled-curves",
    "ld-mlp-curves",
    "ld-freeze",
]


@pytest.fixture(scope="module")
def conv(tiny_cache):
    return run_or_load(LD.LearningDynamicsConfig.for_scale("tiny", model="conv"), tiny_cache)


@pytest.fixture(scope="module")
def frozen(tiny_cache):
    return run_or_load(FT.FreezeTrainingConfig.for_scale("tiny"), tiny_cache)


# --------------------------------------------------------------------------- pure helpers


def test_checkpoints_are_log_spaced_in_the_first_epoch_then_every_epoch():
    steps = LD.checkpoint_steps(21, 30)
    assert steps[:8] == (0, 1, 2, 3, 5, 8, 13, 21)  # the pilot's early checkpoints, within epoch 1
    assert steps[7:] == tuple(21 * e for e in range(1, 31))
    assert LD.checkpoint_steps(10, 5, early=2, every=2) == (0, 10, 20, 40, 50)  # the last step always
    assert LD.checkpoint_steps(1, 3) == (0, 1, 2, 3)


def test_grid_layers_add_the_sub_layers_of_each_block():
    conv = ConvNet([4, 4], seed=0)
    assert LD.grid_layers(conv) == ("conv1.0", "conv1.1", "conv1", "conv2.0", "conv2.1", "conv2")
    assert LD.grid_layers(conv, detail=False) == ("conv1", "conv2")
    res = SmallResNet(1, (4, 4, 4), in_channels=1, seed=0)
    assert LD.grid_layers(res)[:6] == ("stem.0", "stem.1", "stem", "stage1.0.bn1", "stage1.0.bn2", "stage1.0")
    assert len(LD.grid_layers(res)) == 12 and "logits" not in LD.grid_layers(res)
    lm = LSTMLanguageModel(10, 4, 4, 2, seed=0)
    assert LD.grid_layers(lm) == ("embedding", "lstm1", "lstm2", "logits")
    assert LD.grid_layers(MLP(64, (8,), seed=0)) == ("fc1", "logits")
    # every name is a submodule the recorder can hook
    assert all(isinstance(res.get_submodule(n), torch.nn.Module) for n in LD.grid_layers(res))
    assert all(isinstance(conv.get_submodule(n), torch.nn.Module) for n in LD.grid_layers(conv))


def test_prepared_svcca_equals_the_library_svcca():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 12)) @ rng.standard_normal((12, 12))
    Y = X[:, :8] @ rng.standard_normal((8, 10)) + 0.5 * rng.standard_normal((400, 10))
    a, b = LD._Prepared(X, 0.99), LD._Prepared(Y, 0.99)
    expected = svcca.svcca(X, Y, keep=0.99)
    assert a.svcca(b) == pytest.approx(expected.similarity, abs=TOL64)
    assert (a.dims, b.dims) == (expected.x_dims, expected.y_dims)


def test_views_keep_the_same_positions_for_every_layer_of_one_size():
    acts = torch.arange(2 * 3 * 3 * 2, dtype=torch.float32).reshape(2, 3, 3, 2)
    views = {"a": ("x", None), "b": ("y", None), "p": ("x", 1)}
    sink = LD._Views(views, n_images=2, per_image=4, seed=0)
    sink.update({"x": acts, "y": acts + 100})
    out = sink.result(numpy=True)
    assert out["a"].shape == (8, 2) and out["a"].dtype == np.float64
    np.testing.assert_array_equal(out["b"], out["a"] + 100)  # same positions in both layers
    np.testing.assert_allclose(out["p"], acts.mean(dim=(1, 2)).numpy())  # global average pooling
    per_image = out["a"].reshape(2, 4, 2)
    assert per_image[0].max() < 18 <= per_image[1].min()  # each image's rows come from that image


def test_conv_and_batch_norm_outputs_are_the_same_layer_for_cca():
    """The block pattern of the grids: in eval mode batch norm is ``a_c * x + b_c`` per channel."""
    from svcca.nn.activations import record
    from svcca.nn.data import load_digits

    net = ConvNet("pilot5", width=0.25, seed=0).eval()
    # non-trivial running statistics and affine parameters, drawn from a seeded generator:
    # from the global one they depend on which tests ran before in the worker, and some
    # draws leave the ReLU of the negative control below almost inactive (similarity 0.9997)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for k in range(1, 6):
            bn = net.get_submodule(f"conv{k}.1")
            bn.running_mean.uniform_(-1, 1, generator=gen)
            bn.running_var.uniform_(0.5, 2, generator=gen)
            bn.weight.uniform_(0.5, 2, generator=gen)
            bn.bias.uniform_(-1, 1, generator=gen)
    acts = record(net, load_digits().test, ["conv3.0", "conv3.1", "conv3"])
    X, Y, Z = (acts[n].reshape(-1, 8).astype(np.float64) for n in ("conv3.0", "conv3.1", "conv3"))
    assert svcca.cca(X, Y).similarity == pytest.approx(1.0, abs=1e-8)
    assert svcca.cca(X, Z).similarity < 0.99  # negative control: the ReLU is not affine


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"model": "gru"}, "model must be one of 'conv', 'resnet', 'lstm', 'mlp', 'plain'; got 'gru'"),
        ({"dataset": "stdlib"}, "dataset for model='conv' must be one of 'digits', 'cifar10'; got 'stdlib'"),
        ({"epochs": 0}, "epochs must be an int >= 1; got 0"),
        ({"early_checkpoints": 1}, "early_checkpoints must be an int >= 2; got 1"),
        ({"keep": 1.5}, r"keep as a variance fraction must be in \(0, 1\]; got 1.5"),
        ({"keep": 1}, r"keep is a variance fraction in \(0, 1\]; got the int 1"),
        ({"grid_fractions": (0.5, 0.2)}, r"grid_fractions must be increasing fractions in \[0, 1\]"),
        ({"grid_fractions": ()}, r"grid_fractions must be increasing fractions in \[0, 1\], at least one"),
        ({"coarse_side": 0}, "coarse_side must be an int >= 1; got 0"),
        ({"checkpoint_every": 0}, "checkpoint_every must be an int >= 1; got 0"),
        ({"n_eval": 1}, "n_eval must be None or an int >= 2; got 1"),
        ({"arch": "vgg"}, "arch must be one of .*; got 'vgg'"),
        ({"model": "resnet", "blocks": 0}, "blocks must be an int >= 1; got 0"),
        ({"model": "resnet", "widths": (16, 0, 64)}, "each of widths must be an int >= 1; got 0"),
        ({"model": "lstm", "dataset": "stdlib", "hidden_size": 0}, "hidden_size must be an int >= 1; got 0"),
        ({"model": "lstm", "dataset": "stdlib", "num_layers": 0}, "num_layers must be an int >= 1; got 0"),
        ({"model": "lstm", "dataset": "stdlib", "embedding_dim": -1}, "embedding_dim must be an int >= 1"),
        ({"model": "lstm", "dataset": "stdlib", "seq_len": 0}, "seq_len must be an int >= 1; got 0"),
        ({"model": "lstm", "dataset": "stdlib", "max_chars": 0}, "max_chars must be None or an int >= 1"),
        ({"dropout": 1.0}, r"dropout must be a probability in \[0, 1\); got 1.0"),
        ({"dropout": -0.1}, r"dropout must be a probability in \[0, 1\); got -0.1"),
        ({"optimizer": "adamw"}, "optimizer must be one of 'adam', 'sgd'; got 'adamw'"),
        ({"momentum": 1.0}, r"momentum must be in \[0, 1\); got 1.0"),
        ({"momentum": -0.5}, r"momentum must be in \[0, 1\); got -0.5"),
        ({"lr_schedule": "step"}, "lr_schedule must be one of None, 'cosine'; got 'step'"),
        ({"grad_clip": 0.0}, "grad_clip must be a positive finite number; got 0.0"),
        ({"augment_shift": -1}, "augment_shift must be an int >= 0; got -1"),
        ({"split_seed": -1}, "split_seed must be an int >= 0; got -1"),
        ({"positions_per_image": 0}, "positions_per_image must be None or an int >= 1; got 0"),
        ({"seeds": ()}, r"seeds must be at least 1 distinct ints; got \(\)"),
        ({"seeds": (1, 1)}, r"seeds must be at least 1 distinct ints; got \(1, 1\)"),
    ],
)
def test_bad_configs_say_what_was_expected(overrides, message):
    with pytest.raises(ValueError, match=message):
        LD.LearningDynamicsConfig(**overrides)


def test_presets_match_the_pilot_and_the_cache_key_ignores_the_device():
    from svcca.nn import available_device  # the full presets say device='auto'

    cfg = LD.LearningDynamicsConfig.for_scale("default")
    assert (cfg.model, cfg.arch, cfg.image_size, cfg.epochs, cfg.batch_size, cfg.lr, cfg.keep) == (
        "conv",
        "pilot5",
        8,
        30,
        64,
        1e-3,
        0.99,
    )
    lstm = LD.LearningDynamicsConfig.for_scale("default", model="lstm")
    assert (lstm.dataset, lstm.hidden_size, lstm.epochs, lstm.lr) == ("stdlib", 64, 24, 1e-2)
    full = {m: LD.LearningDynamicsConfig.for_scale("full", model=m) for m in LD.MODELS}
    assert {m: c.dataset for m, c in full.items()} == {
        "conv": "cifar10",
        "resnet": "cifar10",
        "lstm": "ptb",
        "mlp": "cifar10",
        "plain": "cifar10",
    }
    assert all(c.device == available_device() for c in full.values())
    assert dataclasses.replace(cfg, device="cuda").key() == cfg.key()
    assert dataclasses.replace(cfg, seeds=(1,)).key() != cfg.key()
    assert cfg.seeds == (0, 1, 2) and cfg.split_seed == 0
    with pytest.raises(
        ValueError, match="model must be one of 'conv', 'resnet', 'lstm', 'mlp', 'plain'; got 'vit'"
    ):
        LD.LearningDynamicsConfig.for_scale("tiny", model="vit")
    with pytest.raises(ValueError, match="scale must be one of tiny, default, full; got 'huge'"):
        LD.LearningDynamicsConfig.for_scale("huge")


def test_layer_labels():
    assert [LD.layer_label(n) for n in ("conv1.0", "conv1.1", "conv1", "logits")] == [
        "conv1",
        "bn1",
        "relu1",
        "logits",
    ]
    assert LD.layer_label("stage3.1.bn1") == "3.1 bn1"


def test_depth_correlation_ranks_layers_against_depth():
    assert LD.depth_correlation([0, 7, 12, 18, 26]) == pytest.approx(1.0)
    assert LD.depth_correlation([0, 7, 12, 26, 18]) == pytest.approx(0.9)  # one swap at the top
    assert LD.depth_correlation([0.99, 0.9, 0.8]) == pytest.approx(-1.0)
    assert LD.depth_correlation([0, np.nan, 5]) == pytest.approx(0.5)  # never reached: ranked last
    assert np.isnan(LD.depth_correlation([3, 3, 3]))  # all tied: no order (a claim on it fails)
    with pytest.raises(
        ValueError, match=r"values must be one number per layer, at least two; got shape \(1,\)"
    ):
        LD.depth_correlation([1.0])


def test_a_seed_offset_moves_every_seed_of_both_experiments():
    from svcca.experiments import book_config

    for name in ("learning_dynamics.conv", "learning_dynamics.resnet", "freeze_training"):
        base, moved = (
            book_config(name, scale="default", seed_offset=0),
            book_config(name, scale="default", seed_offset=2),
        )
        assert moved.seeds == tuple(s + 2 for s in base.seeds) and moved.split_seed == base.split_seed + 2
        assert moved.key() != base.key()
    assert book_config("learning_dynamics.conv", scale="default").seeds == (0, 1, 2)


# --------------------------------------------------------------------------- claims

CHAPTER5 = (
    "learning_dynamics.conv",
    "learning_dynamics.resnet",
    "learning_dynamics.lstm",
    "learning_dynamics.mlp",
    "learning_dynamics.plain",
    "freeze_training",
)


def _synthetic_conv(firsts, *, epochs=30, conv_bn=0.97, bn_relu=0.8):
    """A conv result whose layer ``j`` of seed ``s`` first reaches SVCCA 0.95 at epoch ``firsts[s][j]``.

    Curves rise linearly from 0.85 (0.99 for a layer already there at 0); the logits reach
    0.95 at epoch 2; pooled, the top conv layer reaches it at epoch 3.
    """
    n_seeds, n_conv = len(firsts), len(firsts[0])
    t = np.arange(epochs + 1, dtype=np.float64)

    def curve(e):
        return np.minimum(1.0, 0.99 + 0.01 * t / epochs) if e == 0 else np.minimum(1.0, 0.85 + 0.1 * t / e)

    sims = np.stack([np.stack([curve(e) for e in (*f, 2)], axis=1) for f in firsts])
    pooled = sims.copy()
    pooled[:, :, n_conv - 1] = curve(3)
    grid_layers = [n for k in range(1, n_conv + 1) for n in (f"conv{k}.0", f"conv{k}.1", f"conv{k}")]
    g = len(grid_layers)
    final = np.eye(g)
    for b in range(n_conv):
        final[3 * b, 3 * b + 1] = final[3 * b + 1, 3 * b] = conv_bn
        final[3 * b + 1, 3 * b + 2] = final[3 * b + 2, 3 * b + 1] = bn_relu
    early = np.eye(g) * 0.5
    early[np.arange(2, g, 3), np.arange(2, g, 3)] = np.linspace(0.99, 0.6, n_conv)
    coarse = np.eye(g)
    coarse[np.arange(2, g, 3), 0] = np.linspace(1.0, 0.3, n_conv)
    history = np.full((n_seeds, epochs), 0.99)
    return {
        "seeds": np.arange(n_seeds),
        "layers": np.array([*(f"conv{k}" for k in range(1, n_conv + 1)), "logits"]),
        "steps": np.arange(epochs + 1),
        "steps_per_epoch": np.array(1),
        "similarity": sims,
        "similarity_pooled": pooled,
        "dims": np.ones(sims.shape, dtype=np.int64),
        "grid_layers": np.array(grid_layers),
        "grid_steps": np.array([0, 3, 10, epochs]),
        "grids": np.stack([np.stack([early, early, early, final])] * n_seeds),
        "final_grid_coarse": np.stack([coarse] * n_seeds),
        "history_test_accuracy": history,
        "history_test_loss": history,
        "history_train_loss": history,
        "history_time_s": history,
        "description": np.array("synthetic"),
        "n_datapoints": np.full(n_conv + 1, 100),
        "layer_widths": np.full(n_conv + 1, 8),
    }


def test_conv_claims_are_about_every_seed():
    cfg = LD.LearningDynamicsConfig(seeds=(0, 1, 2))
    arrays = _synthetic_conv([(0, 5, 10, 15, 20), (0, 5, 12, 10, 25), (0, 4, 8, 12, 24)])
    claims = {c.name: c for c in svcca.experiments.check_claims(LD.unpack(arrays, cfg).claims())}
    assert all(n.startswith("learning_dynamics.conv.") for n in claims)
    bottom_up = claims["learning_dynamics.conv.bottom_up_first"]
    assert bottom_up.value == pytest.approx(0.9)  # the worst seed: conv3 and conv4 swapped
    assert bottom_up.details == pytest.approx({"seed 0": 1.0, "seed 1": 0.9, "seed 2": 1.0})
    assert claims["learning_dynamics.conv.bottom_up_early"].value == pytest.approx(-0.9)  # the same swap
    assert claims["learning_dynamics.conv.bn_invisible"].value == pytest.approx(0.97)
    assert claims["learning_dynamics.conv.relu_changes"].value == pytest.approx(0.17)
    assert claims["learning_dynamics.conv.logits_early"].value == pytest.approx(
        6.0
    )  # conv3 at 8, logits at 2
    assert claims["learning_dynamics.conv.pooled_top_early"].value == pytest.approx(17.0)  # 20 vs 3
    assert claims["learning_dynamics.conv.pooled_top_with_logits"].value == pytest.approx(1.0)
    assert claims["learning_dynamics.conv.grid_gap"].value == pytest.approx(0.39)
    assert claims["learning_dynamics.conv.top_forgets_first"].value == pytest.approx(0.3)
    # conv5 reaches 0.95 at epochs 20, 25 and 24 of 30: in the median seed at 24, after the 60%
    # where freeze training stops it; the details keep every seed
    unsettled = claims["learning_dynamics.conv.top_unsettled_at_freeze"]
    assert unsettled.value == pytest.approx(24 / 30)
    assert unsettled.details == pytest.approx({"seed 0": 20 / 30, "seed 1": 25 / 30, "seed 2": 24 / 30})


def test_the_top_layer_claim_is_bounded_where_freeze_training_stops_it():
    relation, bound, statement = LD.CLAIMS["conv"]["top_unsettled_at_freeze"]
    stop = FT.FreezeTrainingConfig().freeze_stop
    assert (relation, bound) == (">", stop)
    assert f"after {stop:.0%} of training" in statement


def test_a_seed_against_the_order_fails_the_claim_by_name():
    cfg = LD.LearningDynamicsConfig(seeds=(0, 1))
    arrays = _synthetic_conv([(0, 5, 10, 15, 20), (20, 15, 10, 5, 1)], conv_bn=0.9)
    with pytest.raises(svcca.experiments.ClaimFailure) as err:
        svcca.experiments.check_claims(LD.unpack(arrays, cfg).claims())
    failed = {c.name: c for c in err.value.failed}
    assert failed["learning_dynamics.conv.bottom_up_first"].value == pytest.approx(-1.0)
    assert failed["learning_dynamics.conv.bn_invisible"].value == pytest.approx(0.9)
    assert "learning_dynamics.conv.bottom_up_first" in str(err.value)


def _synthetic_lstm(ramps, *, epochs=25, accuracy=0.72, embedding=0.95):
    """An LSTM result whose lstm1 and lstm2 of seed ``s`` rise linearly from 0.5 to their final
    state at epochs ``ramps[s]`` (then stay there): a ramp of ``a`` epochs crosses SVCCA 0.9
    at ``0.8 a`` and has area ``1 - 0.25 a / epochs``."""
    t = np.arange(epochs + 1, dtype=np.float64)

    def curve(a):
        return np.minimum(1.0, 0.5 + 0.5 * t / a)

    sims = np.stack(
        [np.stack([np.full_like(t, embedding), curve(a1), curve(a2), curve(2)], axis=1) for a1, a2 in ramps]
    )
    history = np.full((len(ramps), epochs), accuracy)
    grid = np.stack([np.eye(4)] * len(ramps))[:, None]
    return {
        "seeds": np.arange(len(ramps)),
        "layers": np.array(["embedding", "lstm1", "lstm2", "logits"]),
        "steps": np.arange(epochs + 1),
        "steps_per_epoch": np.array(1),
        "similarity": sims,
        "dims": np.ones(sims.shape, dtype=np.int64),
        "grid_layers": np.array(["embedding", "lstm1", "lstm2", "logits"]),
        "grid_steps": np.array([epochs]),
        "grids": grid,
        "history_test_accuracy": history,
        "history_test_loss": history,
        "history_train_loss": history,
        "history_time_s": history,
        "description": np.array("synthetic"),
        "n_datapoints": np.full(4, 100),
        "layer_widths": np.full(4, 8),
    }


def test_lstm_claims_compare_the_two_recurrent_layers_in_every_seed():
    cfg = LD.LearningDynamicsConfig.for_scale("default", model="lstm", seeds=(0, 1))
    # seed 0: lstm1 above 0.9 from epoch 9 (8.8), lstm2 from 17 (16.8); seed 1: 9 and 13 (12.8)
    arrays = _synthetic_lstm([(11, 21), (11, 16)])
    data = LD.unpack(arrays, cfg)
    claims = {c.name: c for c in svcca.experiments.check_claims(data.claims())}
    assert set(claims) == {
        f"learning_dynamics.lstm.{n}"
        for n in ("accuracy", "embedding_at_init", "lstm1_settles_first", "lstm1_area")
    }
    settles = claims["learning_dynamics.lstm.lstm1_settles_first"]
    assert settles.value == pytest.approx(4.0)  # the worst seed: 13 - 9
    assert settles.details == pytest.approx({"seed 0": 8.0, "seed 1": 4.0})
    assert data.runs[0].area()["lstm2"] == pytest.approx(1 - 0.25 * 21 / 25)
    assert claims["learning_dynamics.lstm.lstm1_area"].value == pytest.approx(0.25 * (16 - 11) / 25)
    assert claims["learning_dynamics.lstm.embedding_at_init"].value == pytest.approx(0.95)
    assert claims["learning_dynamics.lstm.accuracy"].value == pytest.approx(0.72)


def test_lstm_layers_that_settle_together_fail_both_order_claims():
    cfg = LD.LearningDynamicsConfig.for_scale("default", model="lstm", seeds=(0, 1))
    arrays = _synthetic_lstm([(11, 21), (16, 16)])
    with pytest.raises(svcca.experiments.ClaimFailure) as err:
        svcca.experiments.check_claims(LD.unpack(arrays, cfg).claims())
    failed = {c.name: c for c in err.value.failed}
    assert set(failed) == {"learning_dynamics.lstm.lstm1_settles_first", "learning_dynamics.lstm.lstm1_area"}
    assert failed["learning_dynamics.lstm.lstm1_settles_first"].value == pytest.approx(0.0)
    assert failed["learning_dynamics.lstm.lstm1_area"].value == pytest.approx(0.0)


def test_curve_area_weighs_snapshots_by_the_time_between_them():
    # five log-spaced snapshots at 0 in the first epoch, a ramp to 1 by epoch 2, then 1 until epoch
    # 10: the first epoch counts for one tenth (the plain mean over snapshots would be 9 / 14)
    epochs = [0.0, 0.1, 0.2, 0.5, 1.0, *range(2, 11)]
    values = [0.0] * 5 + [1.0] * 9
    assert LD.curve_area(epochs, values) == pytest.approx((0.5 + 8.0) / 10)
    assert LD.curve_area([2, 4], [0.5, 0.7]) == pytest.approx(0.6)
    with pytest.raises(
        ValueError, match=r"epochs must be increasing .* got epochs of shape \(3,\), values of shape \(2,\)"
    ):
        LD.curve_area([0, 1, 2], [0.5, 1.0])
    with pytest.raises(ValueError, match="epochs must be increasing"):
        LD.curve_area([0, 2, 1], [0.5, 1.0, 1.0])


def test_freeze_claims_bracket_the_saving_and_bound_the_worst_seed():
    acc = {
        "normal": np.array([[0.5, 0.99], [0.5, 0.98], [0.5, 0.985]]),
        "frozen": np.array([[0.5, 0.985], [0.5, 0.99], [0.5, 0.985]]),
    }
    arrays = {
        "seeds": np.array([0, 1, 2]),
        "frozen_layers": np.array(["conv1", "conv2"]),
        "freeze_fractions": np.array([0.2, 0.6]),
        "frozen_at_step": np.array([[2, 6]] * 3),
        "flops_full": np.full(3, 100.0),
        "updates_saved": np.full(3, 0.4),
        "steps_per_epoch": np.array(5),
        "description": np.array("synthetic"),
        "normal_flops": np.full(3, 100.0),
        "frozen_flops": np.full(3, 60.5),
        **{f"{r}_test_accuracy": a for r, a in acc.items()},
        **{f"{r}_test_loss": a for r, a in acc.items()},
        **{f"{r}_time_s": np.ones(3) for r in acc},
    }
    claims = {c.name: c for c in FT.unpack(arrays, FT.FreezeTrainingConfig()).claims()}
    assert set(claims) == {
        "freeze_training." + n
        for n in (
            "same_accuracy",
            "same_accuracy_every_seed",
            "accuracy",
            "compute_saved_low",
            "compute_saved_high",
        )
    }
    assert claims["freeze_training.same_accuracy"].value == pytest.approx(0.005 / 3)  # mean of -.005, .01, 0
    # one-sided: the largest shortfall, normal - frozen (seed 0); seed 1's frozen run ends 0.01
    # *above* normal training, which is no cost of freezing
    every = claims["freeze_training.same_accuracy_every_seed"]
    assert every.value == pytest.approx(0.005)
    assert every.details == pytest.approx({"seed 0": 0.005, "seed 1": -0.01, "seed 2": 0.0})
    assert claims["freeze_training.accuracy"].value == pytest.approx(0.985)
    assert claims["freeze_training.compute_saved_low"].value == pytest.approx(0.395)
    assert all(c.holds for c in claims.values())


def _synthetic_controls():
    """Four runs of three seeds, 10 epochs; normal accuracy flat from epoch 4 at 0.98."""
    normal = np.tile(np.r_[0.5, 0.8, 0.9, np.full(7, 0.98)], (3, 1))
    acc = {
        "normal": normal,
        "frozen": normal + [[0.0] * 9 + [d] for d in (0.005, -0.005, 0.0)],
        "reverse": normal - [[0.0] * 9 + [d] for d in (0.01, 0.0, 0.015)],
        "threshold": normal - [[0.0] * 9 + [d] for d in (0.0, 0.01, 0.0)],
    }
    flops = {"normal": 100.0, "frozen": 60.0, "reverse": 80.0, "threshold": 75.0}
    return {
        "seeds": np.array([0, 1, 2]),
        "frozen_layers": np.array(["conv1", "conv2"]),
        "freeze_fractions": np.array([0.2, 0.6]),
        "frozen_at_step": np.array([[2, 6]] * 3),
        "threshold_frozen_at_step": np.array([[10, -1]] * 3),
        "flops_full": np.full(3, 100.0),
        "updates_saved": np.full(3, 0.4),
        "steps_per_epoch": np.array(5),
        "description": np.array("synthetic"),
        **{f"{r}_flops": np.full(3, v) for r, v in flops.items()},
        **{f"{r}_stability": np.full((3, 8, 2), 0.99) for r in ("normal", "threshold")},
        **{f"{r}_test_accuracy": a for r, a in acc.items()},
        **{f"{r}_test_loss": a for r, a in acc.items()},
        **{f"{r}_time_s": np.ones(3) for r in acc},
    }


def test_freeze_controls_compare_stopping_early_reverse_order_and_a_convergence_test():
    d = FT.unpack(_synthetic_controls(), FT.FreezeTrainingConfig())
    # freeze training spent 60% of normal training's FLOPs: normal training stopped after epoch 6
    np.testing.assert_array_equal(d.stop_epoch(), [6, 6, 6])
    np.testing.assert_array_equal(d.stop_epoch("threshold"), [7, 7, 7])
    np.testing.assert_allclose(d.stopped_accuracy(), 0.98)
    np.testing.assert_allclose(d.saved("reverse"), 0.2)
    np.testing.assert_allclose(d.threshold_frozen_epochs(), [[2.0, np.nan]] * 3)
    claims = {c.name: c for c in d.control_claims()}
    assert set(claims) == {
        "freeze_training." + n
        for n in (
            "stop_early_as_good",
            "reverse_saves_less",
            "reverse_accuracy",
            "threshold_saves",
            "threshold_near_schedule",
            "threshold_accuracy",
        )
    }
    assert set(claims) < {c.name for c in d.claims()}
    # the mean difference over seeds: seeds 0 and 1 (-0.005, +0.005) cancel; the details keep them
    stop = claims["freeze_training.stop_early_as_good"]
    assert stop.value == pytest.approx(0.0, abs=1e-12)
    assert stop.details == pytest.approx({"seed 0": -0.005, "seed 1": 0.005, "seed 2": 0.0})
    assert claims["freeze_training.reverse_saves_less"].value == pytest.approx(0.4 - 0.2)
    assert claims["freeze_training.reverse_accuracy"].value == pytest.approx(0.015)  # seed 2
    assert claims["freeze_training.threshold_saves"].value == pytest.approx(0.25)
    assert claims["freeze_training.threshold_accuracy"].value == pytest.approx(0.01)  # seed 1
    # schedule: epochs 2 and 6; the test froze conv1 at epoch 2 and conv2 never (counts as 10)
    assert claims["freeze_training.threshold_near_schedule"].value == pytest.approx(4.0)
    # a result from before the controls has none of their claims
    old = {k: v for k, v in _synthetic_controls().items() if not k.startswith(("reverse", "threshold"))}
    assert FT.unpack(old, FT.FreezeTrainingConfig()).control_claims() == []


def test_the_stability_test_freezes_bottom_up_only():
    cfg = FT.FreezeTrainingConfig.for_scale("tiny")
    data = cfg.load_data()
    net = cfg.build_model(data, 0)
    probe = data.train.tensors[0][:40]
    test = FT.StabilityTest(cfg, probe, net.layer_names[:-1], seed=0)
    assert test(1, net) == []  # nothing to compare with yet
    with torch.no_grad():
        net.conv2[0].weight.mul_(-1.0).add_(0.3)  # conv2 and everything above it change
    assert test(2, net) == ["conv1"]  # conv3-5 changed too; none may freeze above conv2
    assert test(3, net) == [*net.layer_names[:-1]]  # unchanged since: every layer freezes
    hist = test.history(5)
    assert hist.shape == (3, 5) and np.isnan(hist[2]).all()
    assert hist[0, 0] == pytest.approx(1.0) and hist[0, 1] < cfg.threshold
    passive = FT.StabilityTest(cfg, probe, net.layer_names[:-1], seed=0, active=False)
    assert passive(1, net) == [] and passive(2, net) == []
    with pytest.raises(ValueError, match=r"threshold must be an SVCCA value in \(0, 1\]; got 1.5"):
        FT.FreezeTrainingConfig(threshold=1.5)


def test_plain_net_has_the_resnets_widths_and_depth_without_shortcuts():
    cfg = LD.LearningDynamicsConfig.for_scale("default", model="plain")
    res = LD.LearningDynamicsConfig.for_scale("default", model="resnet")
    assert (cfg.blocks, cfg.widths, cfg.epochs, cfg.seeds) == (res.blocks, res.widths, res.epochs, res.seeds)
    data = cfg.load_data()
    net = cfg.build_model(data, 0)
    assert isinstance(net, ConvNet) and [s.channels for s in net.specs] == [16, 16, 16, 32, 32, 64, 64]
    assert [s.stride for s in net.specs] == [1, 1, 1, 2, 1, 2, 1]
    convs = [m for m in cfg.build_model(data, 0).modules() if isinstance(m, torch.nn.Conv2d)]
    resnet_convs = [m for m in res.build_model(data, 0).modules() if isinstance(m, torch.nn.Conv2d)]
    # the same 3x3 convs; the ResNet adds two 1x1 projections on its shortcuts
    assert [c.weight.shape for c in convs] == [
        c.weight.shape for c in resnet_convs if c.kernel_size == (3, 3)
    ]
    assert LD.grid_layers(net, model="plain")[:3] == ("conv1.0", "conv1.1", "conv1")
    assert "no shortcuts" in cfg.describe()


def test_plain_claims_mirror_the_resnets():
    cfg = LD.LearningDynamicsConfig(model="plain", seeds=(0, 1, 2))
    arrays = _synthetic_conv([[0, 1, 2, 4, 8, 12, 20]] * 3)
    claims = {c.name: c for c in LD.unpack(arrays, cfg).claims()}
    assert set(claims) == {
        f"learning_dynamics.plain.{n}"
        for n in ("accuracy", "bottom_up_first", "bottom_up_early", "top_loses_stem", "below_top_keeps_first")
    }
    assert claims["learning_dynamics.plain.bottom_up_first"].value == pytest.approx(1.0)
    assert claims["learning_dynamics.plain.top_loses_stem"].value == pytest.approx(
        0.3
    )  # the coarse column's end


# --------------------------------------------------------------------------- tiny runs


@pytest.mark.slow
def test_tiny_conv_run_caches_and_its_accessors_work(conv, tiny_cache):
    cfg = LD.LearningDynamicsConfig.for_scale("tiny", model="conv")
    again = run_or_load(cfg, tiny_cache)
    assert not conv.from_cache and again.from_cache
    d = LD.unpack(again)
    # one network per seed, measured the same way; ``d`` itself is the first seed's run
    assert d.seeds == cfg.seeds == (0, 1) and [r.seed for r in d.runs] == [0, 1] and d.seed == 0
    np.testing.assert_array_equal(d.runs[0].similarity, d.similarity)
    assert not np.allclose(d.runs[1].similarity[:-1], d.similarity[:-1])
    assert d.runs[1].grids.shape == d.grids.shape and d.runs[1].test_accuracy.shape == (cfg.epochs,)
    n_ckpt = len(LD.checkpoint_steps(d.steps_per_epoch, cfg.epochs, cfg.early_checkpoints))
    assert d.layers == ("conv1", "conv2", "conv3", "conv4", "conv5", "logits")
    assert d.similarity.shape == d.similarity_pooled.shape == d.dims.shape == (n_ckpt, 6)
    np.testing.assert_allclose(d.similarity[-1], 1.0, atol=TOL64)  # the final network against itself
    assert np.all((d.similarity >= 0) & (d.similarity <= 1 + TOL64))
    assert d.epochs[0] == 0 and d.epochs[-1] == cfg.epochs
    # positions as datapoints: n_eval images x positions_per_image rows; the logits one row per image
    np.testing.assert_array_equal(d.n_datapoints, [60 * 4] * 5 + [60])
    np.testing.assert_array_equal(d.layer_widths, [8] * 5 + [10])
    assert d.test_accuracy.shape == (cfg.epochs,) and "8x8 digits" in d.description
    # grids: rows at a snapshot, columns final; the last is the final network against itself
    assert d.grids.shape == (4, 15, 15) and d.grid_steps[0] == 0 and d.grid_steps[-1] == d.steps[-1]
    final = d.grid(int(d.grid_steps[-1]))
    np.testing.assert_allclose(np.diag(final.values), 1.0, atol=1e-8)
    # batch norm is a per-channel affine map, invisible to CCA; SVCCA's variance cut is not
    # scale-invariant, so conv and BN outputs come out nearly (not exactly) identical
    for k in range(5):
        assert final.values[3 * k, 3 * k + 1] > 0.99
    assert final.row_labels[:3] == ("conv1", "bn1", "relu1") and final.measure == "svcca"
    assert d.grid(index=0).values.shape == (15, 15)
    coarse = d.coarse_grid()  # every layer pooled to 2x2: one resolution for every architecture
    assert coarse.values.shape == (15, 15) and coarse.row_labels == final.row_labels
    np.testing.assert_allclose(coarse.values, coarse.values.T, atol=TOL64)
    with pytest.raises(KeyError, match="no grid at step 7"):
        d.grid(7)
    with pytest.raises(IndexError, match=r"index must be an int from -\d+ to \d+ \(there are \d+ grids"):
        d.grid(index=99)  # a raw numpy IndexError before
    with pytest.raises(ValueError, match="give exactly one of step and index"):
        d.grid()
    first = d.first_reaching(0.95)
    assert list(first) == list(d.layers) and first["conv1"] <= cfg.epochs
    settled = d.settled_from(0.95)
    assert all(settled[n] >= first[n] for n in d.layers)
    assert set(d.mean_similarity(1, 2)) == set(d.layers)
    assert d.first_reaching(0.95, pooled=True)["logits"] == first["logits"]  # the logits are not pooled
    with pytest.raises(ValueError, match="no snapshot between epochs 5 and 6"):
        d.mean_similarity(5, 6)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["resnet", "lstm", "mlp"])
def test_tiny_runs_of_the_other_models(model, tiny_cache):
    d = LD.unpack(run_or_load(LD.LearningDynamicsConfig.for_scale("tiny", model=model), tiny_cache))
    expected = {
        "resnet": ("stem", "stage1.0", "stage2.0", "stage3.0", "logits"),
        "lstm": ("embedding", "lstm1", "lstm2", "logits"),
        "mlp": ("fc1", "fc2", "logits"),
    }[model]
    assert d.layers == expected
    np.testing.assert_allclose(d.similarity[-1], 1.0, atol=TOL64)
    np.testing.assert_allclose(np.diag(d.grids[-1]), 1.0, atol=1e-8)
    if model == "lstm":  # every sequence position is a datapoint, in every layer
        assert d.similarity_pooled is None
        assert len(str(run_or_load(d.config, tiny_cache)["corpus_sha256"])) == 64
        np.testing.assert_array_equal(d.n_datapoints, [20 * 32] * 4)
        with pytest.raises(ValueError, match="this result has no pooled curves"):
            d.first_reaching(pooled=True)
        with pytest.raises(ValueError, match="this result has no coarse grid"):
            d.coarse_grid()
    if model == "resnet":
        assert d.grid_layers[-1] == "stage3.0" and d.similarity_pooled.shape == d.similarity.shape
        # the 2x2 maps of stage 3 hold at most 4 positions per image
        np.testing.assert_array_equal(d.n_datapoints, [240, 240, 240, 240, 60])


@pytest.mark.slow
def test_freeze_training_saves_compute_and_stops_layers_in_order(frozen):
    cfg = FT.FreezeTrainingConfig.for_scale("tiny")
    d = FT.unpack(frozen)
    net = ConvNet(cfg.arch, width=cfg.width)
    schedule = freeze_schedule(net.layer_names, start=cfg.freeze_start, stop=cfg.freeze_stop)
    assert d.frozen_layers == tuple(schedule) == ("conv1", "conv2", "conv3", "conv4", "conv5")
    np.testing.assert_allclose(d.freeze_fractions, list(schedule.values()))
    total = d.steps_per_epoch * cfg.epochs
    np.testing.assert_array_equal(d.frozen_at_step[0], [round(f * total) for f in schedule.values()])
    assert list(d.frozen_epochs().values()) == sorted(d.frozen_epochs().values())
    assert d.test_accuracy["normal"].shape == d.test_accuracy["frozen"].shape == (1, cfg.epochs)
    assert np.all(d.flops["frozen"] < d.flops["normal"]) and 0.1 < d.compute_saved < 0.9
    assert np.all((d.updates_saved > 0) & (d.updates_saved < 1))
    assert d.accuracy_difference.shape == (1,) and np.isfinite(d.time_saved)
    assert 0.0 <= d.final_accuracy("frozen") <= 1.0
    with pytest.raises(
        ValueError, match="run must be one of 'normal', 'frozen', 'reverse', 'threshold'; got 'both'"
    ):
        d.final_accuracy("both")


def test_thread_limit_is_not_part_of_the_key():
    cfg = LD.LearningDynamicsConfig()
    assert cfg.num_threads == 1 and dataclasses.replace(cfg, num_threads=None).key() == cfg.key()
    assert LD.LearningDynamicsConfig.for_scale("full").num_threads is None  # a GPU run keeps its threads


def test_freeze_config_follows_the_learning_dynamics_network():
    cfg = FT.FreezeTrainingConfig.for_scale("default")
    dyn = LD.LearningDynamicsConfig.for_scale("default")
    assert (cfg.arch, cfg.width, cfg.batch_size, cfg.lr) == (dyn.arch, dyn.width, dyn.batch_size, dyn.lr)
    assert cfg.dynamics_config(1).seeds == (1,) and cfg.dynamics_config(1).arch == "pilot5"
    assert cfg.seeds == (0, 1, 2) and cfg.dynamics_config(1).split_seed == cfg.split_seed
    assert FT.FreezeTrainingConfig.for_scale("full").dataset == "cifar10"
    with pytest.raises(ValueError, match="need 0 <= freeze_start <= freeze_stop <= 1; got 0.7, 0.2"):
        FT.FreezeTrainingConfig(freeze_start=0.7, freeze_stop=0.2)
    with pytest.raises(ValueError, match=r"keep_last must be an int >= 1; got 0"):
        FT.FreezeTrainingConfig(keep_last=0)
    # the MLP's widths are a learning-dynamics field only: freeze training refuses the MLP
    with pytest.raises(ValueError, match="model must be one of 'conv', 'resnet', 'lstm'; got 'mlp'"):
        FT.FreezeTrainingConfig(model="mlp")


def test_freeze_training_trains_the_learning_dynamics_network():
    """Both experiments load, build and train through the one network config they share."""
    frz = FT.FreezeTrainingConfig.for_scale("tiny")
    dyn = frz.dynamics_config(0)
    assert isinstance(frz, LD.DynamicsTrainingConfig) and isinstance(dyn, LD.DynamicsTrainingConfig)
    data = frz.load_data()
    a, b = frz.build_model(data, 0), dyn.build_model(data, 0)
    assert a.layer_names == b.layer_names
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(p, q), name
    lstm = LD.LearningDynamicsConfig.for_scale("tiny", model="lstm", augment_shift=2)
    corpus = lstm.load_data()
    train, test = lstm.train_test(corpus)
    assert train.tensors[0].shape[1] == lstm.seq_len and lstm.augmentation(corpus) is None
    assert lstm.build_model(corpus, 0).layer_names == ("embedding", "lstm1", "lstm2", "logits")


@pytest.mark.slow
@pytest.mark.parametrize("name", CHAPTER5)
def test_claims_of_each_book_experiment_are_named_after_it(name, conv, frozen, tiny_cache):
    """At the tiny scale the claims need not hold, but they compute, with unique prefixed names."""
    from svcca.experiments import book_config

    cfg = book_config(name, scale="tiny", seed_offset=0)
    claims = cfg.claims(run_or_load(cfg, tiny_cache))
    names = [c.name for c in claims]
    assert names and len(set(names)) == len(names)
    assert all(n.startswith(name + ".") and n[len(name) + 1 :].isidentifier() for n in names)
    assert all(np.isfinite(c.bound) for c in claims)


@pytest.mark.slow
def test_tiny_figures_render(conv, frozen, tiny_cache, tmp_path):
    assert_figures_render(FIGURES, tmp_path, tiny_cache)


# --------------------------------------------------------------------------- full scale on fake data


def _write_fake_ptb(root: Path) -> None:
    """Penn Treebank's layout: ptb.{train,valid,test}.txt, one space-separated sentence per line."""
    folder = root / "ptb"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    for split, lines in (("train", 300), ("valid", 30), ("test", 60)):
        text = "".join(" " + " ".join(rng.choice(words, size=8)) + " \n" for _ in range(lines))
        (folder / f"ptb.{split}.txt").write_text(text)


@pytest.mark.slow
def test_full_presets_run_end_to_end_on_fake_cifar10(tmp_path):
    write_fake_cifar10(tmp_path / "data", per_batch=16)
    common = dict(epochs=1, device="cpu", data_root=str(tmp_path / "data"), verify_data=False)
    cfg = LD.LearningDynamicsConfig.for_scale("full", width=0.25, **common)
    assert (cfg.dataset, cfg.arch, cfg.augment_shift) == ("cifar10", "tiny10", 2)
    d = LD.unpack(run_or_load(cfg, tmp_path / "cache"))
    assert d.layers == (*(f"conv{i}" for i in range(1, 9)), "logits")
    assert "CIFAR-10" in d.description and len(d.test_accuracy) == 1
    # 16 test images; the grid compares every conv layer at the coarsest map (the 6x6 of the valid conv)
    assert int(run_or_load(cfg, tmp_path / "cache")["grid_side"]) == 6
    assert d.n_datapoints[-1] == 16 and d.n_datapoints[0] == 16 * 16
    np.testing.assert_allclose(d.similarity[-1], 1.0, atol=TOL64)
    frz = FT.FreezeTrainingConfig.for_scale("full", seeds=(0,), width=0.25, **common)
    f = FT.unpack(run_or_load(frz, tmp_path / "cache"))
    assert f.frozen_layers[-1] == "conv8" and f.compute_saved > 0


@pytest.mark.slow
def test_full_lstm_preset_runs_end_to_end_on_a_fake_ptb_folder(tmp_path):
    _write_fake_ptb(tmp_path / "data")
    cfg = LD.LearningDynamicsConfig.for_scale(
        "full",
        model="lstm",
        epochs=1,
        embedding_dim=8,
        hidden_size=8,
        device="cpu",
        data_root=str(tmp_path / "data"),
        verify_data=False,  # a stand-in: PTB's published md5s would refuse it
    )
    assert (cfg.dataset, cfg.level, cfg.seq_len) == ("ptb", "word", 35)
    d = LD.unpack(run_or_load(cfg, tmp_path / "cache"))
    assert d.layers == ("embedding", "lstm1", "lstm2", "logits") and "Penn Treebank" in d.description
    # 60 test lines of 9 tokens (8 words + <eos>) in windows of 35: 15 sequences, every position a datapoint
    np.testing.assert_array_equal(d.n_datapoints, [15 * 35] * 4)
    np.testing.assert_array_equal(d.layer_widths, [8, 8, 8, 32])  # 30 words + <unk> + <eos>


@pytest.mark.parametrize("model", ["conv", "lstm"])
def test_full_presets_without_data_point_at_the_download_commands(tmp_path, model):
    cfg = LD.LearningDynamicsConfig.for_scale("full", model=model, device="cpu", data_root=str(tmp_path))
    script = "download_cifar10.py" if model == "conv" else "download_lm_corpora.py ptb"
    with pytest.raises(FileNotFoundError, match=f"data_scripts/{script}"):
        cfg.run()


def test_block_rows_are_the_block_outputs_of_a_detailed_grid():
    d = LD.unpack(_synthetic_conv([[1, 2, 3]]), LD.LearningDynamicsConfig(seeds=(0,)))
    assert d.block_rows.tolist() == [2, 5, 8] and d.block_labels == ("relu1", "relu2", "relu3")
    assert d.block_labels == d.coarse_grid().row_labels[2::3]  # what chapter 5 indexed by hand
    np.testing.assert_array_equal(d.coarse_first_column(), d.coarse_grid().values[d.block_rows, 0])
    flat = LD.unpack({**_synthetic_conv([[1, 2, 3]]), "grid_layers": np.array(["conv1", "conv2", "conv3"])},
                     LD.LearningDynamicsConfig(seeds=(0,)))  # fmt: skip
    assert flat.block_rows.tolist() == [0, 1, 2]  # one row per layer: every row is a block output


def test_an_mlp_seed_whose_layers_all_tie_counts_as_no_order_not_nan():
    # every hidden layer first reaches 0.95 at the same epoch: the rank correlation is
    # undefined (NaN), and for "no consistent bottom-up order" that is no order at all
    from types import SimpleNamespace

    def run(seed, firsts):
        return SimpleNamespace(
            seed=seed,
            hidden_layers=("fc1", "fc2", "fc3"),
            similarity=np.full((2, 4), 0.9),
            first_reaching=lambda threshold, f=firsts: dict(zip(("fc1", "fc2", "fc3"), f)),
        )

    measured = LD._measured("mlp", [run(0, (3, 3, 3)), run(1, (1, 2, 3))])
    value, details = measured["no_bottom_up"]
    assert value == 0.0 and details == {"seed 0": 0.0, "seed 1": 1.0}
    assert LD.depth_correlation([3, 3, 3]) != LD.depth_correlation([3, 3, 3])  # NaN on its own


def test_a_layer_below_the_threshold_at_the_end_never_settled():
    # settled_from clipped to the last snapshot: a layer that ends below the threshold (or a
    # threshold above every value) "settled" at the last epoch; a NaN threshold, at epoch 0
    arrays = _synthetic_conv([(0, 5, 10, 15, 20)])
    arrays["similarity"][0, -1, 1] = 0.9  # conv2 ends below 0.95
    run = LD.unpack(arrays, LD.LearningDynamicsConfig(seeds=(0,))).runs[0]
    sims = run.similarity
    oracle = {}  # the first epoch from which every later snapshot is at or above 0.95
    for j, name in enumerate(run.layers):
        ok = [e for i, e in enumerate(run.epochs) if all(sims[i:, j] >= 0.95)]
        oracle[name] = float(ok[0]) if ok else None
    settled = run.settled_from(0.95)
    assert np.isnan(settled["conv2"]) and oracle["conv2"] is None
    others = [k for k in settled if k != "conv2"]
    assert [settled[k] for k in others] == [oracle[k] for k in others]
    assert all(np.isnan(v) for v in run.settled_from(1.5).values())


@pytest.mark.parametrize("call", ["settled_from", "first_reaching", "similarity_at"])
@pytest.mark.parametrize("value", [float("nan"), "0.9", True])
def test_nan_or_non_numbers_are_refused_by_the_curve_readers(call, value):
    run = LD.unpack(_synthetic_conv([(0, 5, 10, 15, 20)]), LD.LearningDynamicsConfig(seeds=(0,))).runs[0]
    with pytest.raises(ValueError, match="must be a real number"):
        getattr(run, call)(value)


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_similarity_at_a_fraction_outside_training_is_an_error(fraction):
    # the nearest snapshot to 1.5 x training is the last one: a quiet answer to a wrong question
    run = LD.unpack(_synthetic_conv([(0, 5, 10, 15, 20)]), LD.LearningDynamicsConfig(seeds=(0,))).runs[0]
    with pytest.raises(ValueError, match=r"fraction must be a fraction of training in \[0, 1\]"):
        run.similarity_at(fraction)


def test_a_result_on_the_stdlib_corpus_is_keyed_to_the_python_that_read_it(monkeypatch):
    # the corpus is Python's own sources: a cached result of another Python read another corpus,
    # and was loaded as if it were this one's
    import platform

    cfg = LD.LearningDynamicsConfig.for_scale("tiny", model="lstm")
    here = cfg.data_fingerprint()
    assert here is not None and platform.python_version() in here
    monkeypatch.setattr(platform, "python_version", lambda: "3.99.0")
    assert cfg.data_fingerprint() != here
