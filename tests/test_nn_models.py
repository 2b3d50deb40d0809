"""Tests of svcca.nn.models: layer names, shapes, seeded construction, configs, pretrained weights."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from svcca.nn import models as M  # noqa: E402

pytestmark = pytest.mark.torch


def _same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


TINY_MODELS = {
    "mlp": (lambda s: M.MLP(64, hidden=(16, 8), seed=s), torch.zeros(3, 1, 8, 8), (3, 10)),
    "pilot5": (lambda s: M.ConvNet("pilot5", width=0.25, seed=s), torch.zeros(3, 1, 8, 8), (3, 10)),
    "six": (lambda s: M.ConvNet("six", width=0.25, seed=s), torch.zeros(3, 1, 16, 16), (3, 10)),
    "tiny9": (lambda s: M.ConvNet("tiny9", width=0.25, seed=s), torch.zeros(3, 1, 8, 8), (3, 10)),
    "tiny10": (
        lambda s: M.ConvNet("tiny10", in_channels=3, width=0.25, seed=s),
        torch.zeros(3, 3, 16, 16),
        (3, 10),
    ),
    "resnet_small": (
        lambda s: M.SmallResNet(blocks=2, widths=(4, 8, 8), in_channels=1, seed=s),
        torch.zeros(3, 1, 8, 8),
        (3, 10),
    ),
    "lstm": (
        lambda s: M.LSTMLanguageModel(30, embedding_dim=4, hidden_size=8, num_layers=3, seed=s),
        torch.zeros(3, 5, dtype=torch.long),
        (3, 5, 30),
    ),
}


@pytest.mark.parametrize("kind", list(TINY_MODELS))
def test_every_layer_name_is_a_submodule_and_the_forward_pass_works(kind):
    build, x, out_shape = TINY_MODELS[kind]
    net = build(0)
    modules = dict(net.named_modules())
    assert len(net.layer_names) == len(set(net.layer_names)) >= 3
    assert all(name in modules for name in net.layer_names)
    assert net.layer_names[-1] == "logits"
    assert net(x).shape == out_shape


@pytest.mark.parametrize("kind", list(TINY_MODELS))
def test_seeded_construction_is_reproducible_and_leaves_the_global_rng_alone(kind):
    build = TINY_MODELS[kind][0]
    before = torch.get_rng_state()
    a, b, c = build(3), build(3), build(4)
    assert torch.equal(torch.get_rng_state(), before)
    assert _same_weights(a, b)
    assert not _same_weights(a, c)  # negative control


def test_layer_names_for_known_architectures():
    assert M.MLP().layer_names == ("fc1", "fc2", "fc3", "logits")
    assert M.ConvNet().layer_names == ("conv1", "conv2", "conv3", "conv4", "conv5", "logits")
    assert len(M.ConvNet("tiny10").layer_names) == 9  # 8 conv layers + logits (pooling is not a layer)
    assert M.SmallResNet(blocks=2).layer_names == (
        "stem",
        "stage1.0",
        "stage1.1",
        "stage2.0",
        "stage2.1",
        "stage3.0",
        "stage3.1",
        "logits",
    )
    assert M.LSTMLanguageModel(10, num_layers=2).layer_names == ("embedding", "lstm1", "lstm2", "logits")


def test_conv_specs_from_names_ints_and_strings():
    six = M.ConvNet("six")
    assert [(s.channels, s.stride) for s in six.specs] == [
        (16, 1),
        (32, 2),
        (32, 1),
        (64, 2),
        (64, 1),
        (128, 2),
    ]
    custom = M.ConvNet([8, "16s2", (4, 1, 1, 0)])
    assert custom.specs == (M.ConvSpec(8), M.ConvSpec(16, 2), M.ConvSpec(4, 1, 1, 0))
    assert custom(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    assert [s.channels for s in M.ConvNet("six", width=2.0).specs] == [32, 64, 64, 128, 128, 256]
    tiny10 = M.ConvNet("tiny10", in_channels=3)
    assert tiny10.specs[6] == M.ConvSpec(64, 1, 3, 0) and tiny10.specs[7] == M.ConvSpec(64, 1, 1, 0)


def test_conv_net_without_batch_norm_has_biases():
    net = M.ConvNet([4, 4], batch_norm=False)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert net.conv1[0].bias is not None


def test_model_errors():
    with pytest.raises(ValueError, match="arch must be one of 'pilot5', 'six', 'tiny9', 'tiny10'"):
        M.ConvNet("vgg")
    with pytest.raises(ValueError, match="a string like '32s2'"):
        M.ConvNet(["32x2"])
    with pytest.raises(ValueError, match="activation must be one of"):
        M.MLP(activation="swish")
    with pytest.raises(ValueError, match=r"SmallResNet needs 3 stage widths; got widths=\(8, 16\)"):
        M.SmallResNet(widths=(8, 16))
    with pytest.raises(ValueError, match="num_layers must be an int >= 1; got 0"):
        M.LSTMLanguageModel(10, num_layers=0)
    # these built (0 classes: (n, 0) logits; 4.7 channels: 4) or failed inside torch
    for build, match in (
        (lambda: M.ConvNet(in_channels=0), "in_channels must be an int >= 1; got 0"),
        (lambda: M.ConvNet(n_classes=0), "n_classes must be an int >= 1; got 0"),
        (lambda: M.SmallResNet(widths=(4.7, 8, 16)), "each of widths must be an int >= 1; got 4.7"),
        (lambda: M.SmallResNet(blocks="2"), "blocks must be an int >= 1; got '2'"),
        (lambda: M.LSTMLanguageModel(0), "vocab_size must be an int >= 1; got 0"),
    ):
        with pytest.raises((TypeError, ValueError), match=match):
            build()
    with pytest.raises(ValueError, match="kind must be one of 'mlp', 'conv'"):
        M.build_model("transformer")


@pytest.mark.parametrize("kind", ["mlp", "conv", "resnet_small", "lstm_lm"])
def test_build_model_round_trips_the_config(kind):
    kwargs = {"lstm_lm": {"vocab_size": 12, "hidden_size": 4}, "conv": {"arch": "six", "width": 0.5}}.get(
        kind, {}
    )
    net = M.build_model(kind, seed=1, **kwargs)
    again = M.build_model(kind, seed=1, **net.config)
    assert _same_weights(net, again)


def test_a_conv_net_of_listed_layers_round_trips_its_width():
    # the config of a listed arch used to hold the channels after the width multiplier, and
    # rebuilding applied it a second time: (16, 32) at width 0.5 came back as (4, 8)
    net = M.ConvNet([16, "32s2", (8, 1, 1, 0)], width=0.5, seed=1)
    assert [s.channels for s in net.specs] == [8, 16, 4]
    again = M.build_model("conv", seed=1, **net.config)
    assert again.specs == net.specs
    assert _same_weights(net, again)


def test_torchvision_resnets_have_block_level_layer_names():
    r18 = M.resnet18(num_classes=7, seed=0)
    assert r18.layer_names == (
        "maxpool",
        "layer1.0",
        "layer1.1",
        "layer2.0",
        "layer2.1",
        "layer3.0",
        "layer3.1",
        "layer4.0",
        "layer4.1",
        "fc",
    )
    assert _same_weights(r18, M.build_model("resnet18", seed=0, **r18.config))
    assert r18(torch.zeros(2, 3, 32, 32)).shape == (2, 7)


def test_resnet50_layer_names():
    r50 = M.resnet50(num_classes=3)
    assert len(r50.layer_names) == 1 + 16 + 1 and r50.layer_names[-2] == "layer4.2"


def test_pretrained_weights_absent_offline_fail_fast_with_the_cache_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"not in torchvision's cache \(.*checkpoints/resnet18-.*\.pth\)"):
        M.resnet18(weights="IMAGENET1K_V1", allow_download=False)
    with pytest.raises(ValueError, match="pretrained weights have 1000 classes; got num_classes=5"):
        M.resnet18(weights="DEFAULT", num_classes=5)


def test_pretrained_weights_are_read_from_torchvisions_cache(tmp_path, monkeypatch):
    """A file in the cache is used without any network access (here: random weights saved there)."""
    import torchvision

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    w = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
    cached = tmp_path / "hub" / "checkpoints" / w.url.rsplit("/", 1)[1]
    cached.parent.mkdir(parents=True)
    donor = M.resnet18(seed=5)
    torch.save(donor.state_dict(), cached)
    # torchvision checks the hash prefix in the file name only when downloading, so this loads offline
    net = M.resnet18(weights="IMAGENET1K_V1", allow_download=False)
    assert _same_weights(net, donor) and net.config["weights"] == "IMAGENET1K_V1"


@pytest.mark.parametrize(
    "arch, width, message",
    [
        ([0], 1.0, "conv1 channels must be an int >= 1; got 0"),
        ([16, -3], 1.0, "conv2 channels must be an int >= 1; got -3"),
        ([(16, 0)], 1.0, "conv1 stride must be an int >= 1; got 0"),
        ([(16, 1, 3, -1)], 1.0, "conv1 padding must be None or an int >= 0; got -1"),
        ("six", 0, "width must be a positive finite number"),
        ("six", -1.0, "width must be a positive finite number"),
        ("six", float("nan"), "width must be a positive finite number"),
    ],
)
def test_conv_net_refuses_layers_of_no_channels_and_a_width_that_is_not_positive(arch, width, message):
    # these used to build quietly: every channel count below 1 became 1
    with pytest.raises(ValueError, match=message):
        M.ConvNet(arch, width=width)


def test_tiny10_takes_inputs_down_to_9x9_as_documented():
    net = M.ConvNet("tiny10", in_channels=3, width=0.25, seed=0).eval()
    assert net(torch.zeros(2, 3, 9, 9)).shape == (2, 10)
    with pytest.raises(RuntimeError):
        net(torch.zeros(2, 3, 8, 8))


@pytest.mark.parametrize("kw", [{"hidden": (0,)}, {"in_features": 0}, {"hidden": (8, 2.5)}, {"n_classes": 0}])
def test_mlp_refuses_widths_that_build_a_constant_network(kw):
    with pytest.raises((ValueError, TypeError), match="in_features|n_classes|each of hidden"):
        M.MLP(**kw)
