"""Tests of svcca.nn.activations: layouts and shapes for every model, pooling, hooks vs FX,
sinks, and streaming into accumulators (equal to recording into memory)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.utils.data import DataLoader, Dataset, TensorDataset  # noqa: E402

from svcca.nn import activations as A  # noqa: E402
from svcca.nn import models as M  # noqa: E402
from svcca.nn.data import IMAGENET_SUBSET, load_digits, load_imagenet_subset  # noqa: E402

pytestmark = pytest.mark.torch

TOL32 = 1e-5


@pytest.fixture(scope="module")
def images():
    """40 digits at 16x16 (a tensor dataset with labels)."""
    d = load_digits(image_size=16)
    x, y = d.test.tensors
    return TensorDataset(x[:40], y[:40])


def _out_shapes(model, x, names):
    """Independent oracle: the raw output shape of each named module, by forward hooks."""
    shapes = {}
    handles = [
        model.get_submodule(n).register_forward_hook(
            lambda m, a, o, n=n: shapes.__setitem__(n, tuple((o[0] if isinstance(o, tuple) else o).shape))
        )
        for n in names
    ]
    model.eval()
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return shapes


def _expected(shape):
    if len(shape) == 4:
        n, c, h, w = shape
        return (n, h, w, c)
    if len(shape) == 3:
        return (shape[0] * shape[1], shape[2])
    return shape


CASES = {
    "mlp": lambda: (M.MLP(256, hidden=(12, 8), seed=0), None),
    "pilot5": lambda: (M.ConvNet("pilot5", width=0.25, seed=0), None),
    "six": lambda: (M.ConvNet("six", width=0.25, seed=0), None),
    "tiny9": lambda: (M.ConvNet("tiny9", width=0.25, seed=0), None),
    "tiny10": lambda: (M.ConvNet("tiny10", width=0.25, seed=0), None),
    "resnet_small": lambda: (M.SmallResNet(blocks=1, widths=(4, 8, 8), in_channels=1, seed=0), None),
    "resnet18": lambda: (M.resnet18(num_classes=10, seed=0), 3),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_every_layer_of_every_image_model_is_recorded_samples_first(kind, images):
    model, channels = CASES[kind]()
    data = images
    if channels:
        x, y = images.tensors
        data = TensorDataset(x.expand(-1, channels, -1, -1), y)
    acts = A.record(model, data, batch_size=16)
    assert list(acts) == list(model.layer_names)
    raw = _out_shapes(model, data.tensors[0], model.layer_names)
    for name, a in acts.items():
        assert a.shape == _expected(raw[name]), name
        assert a.dtype == np.float32 and np.isfinite(a).all()
    assert acts[model.layer_names[-1]].shape == (40, 10)


def test_lstm_layers_have_one_row_per_sequence_position():
    lm = M.LSTMLanguageModel(20, embedding_dim=6, hidden_size=10, num_layers=2, seed=0)
    tokens = torch.randint(0, 20, (7, 9), generator=torch.Generator().manual_seed(0))
    acts = A.record(lm, TensorDataset(tokens, tokens), batch_size=3)
    assert {k: v.shape for k, v in acts.items()} == {
        "embedding": (63, 6),
        "lstm1": (63, 10),
        "lstm2": (63, 10),
        "logits": (63, 20),
    }
    # oracle: row k * 9 + t is sequence k at position t of nn.LSTM's full output
    with torch.no_grad():
        out, _ = lm.lstm1(lm.embedding(tokens))
    np.testing.assert_allclose(acts["lstm1"], out.reshape(63, 10).numpy(), atol=TOL32)
    # feature extraction records the same: the LSTM node returns a tuple, (output, (h, c))
    fx = A.record(lm, tokens, ["lstm1", "lstm2"], capture="fx", batch_size=3)
    np.testing.assert_allclose(fx["lstm1"], out.reshape(63, 10).numpy(), atol=TOL32)
    np.testing.assert_allclose(fx["lstm2"], acts["lstm2"], atol=TOL32)


def test_conv_layout_is_a_transpose_of_the_module_output(images):
    net = M.ConvNet("six", width=0.25, seed=0)
    x = images.tensors[0]
    acts = A.record(net, x, ["conv2"], batch_size=7)
    net.eval()
    with torch.no_grad():
        ref = net.conv2(net.conv1(x)).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(acts["conv2"], ref, atol=TOL32)


def test_pooling_subsampling_and_positions_agree_with_numpy(images):
    net = M.ConvNet("pilot5", width=0.25, seed=0)
    full = A.record(net, images, ["conv1", "conv2"])
    c1 = full["conv1"]  # (40, 16, 16, 8)
    pooled = A.record(
        net, images, ["conv1", "conv2"], pool={"conv1": "mean", "conv2": 4}, stride={"conv2": 2}
    )
    np.testing.assert_allclose(pooled["conv1"], c1.mean(axis=(1, 2)), atol=TOL32)
    strided = full["conv2"][:, ::2, ::2, :]  # (40, 8, 8, 8) then 2x2 average pooling to 4x4
    ref = strided.reshape(40, 4, 2, 4, 2, 8).mean(axis=(2, 4))
    np.testing.assert_allclose(pooled["conv2"], ref, atol=TOL32)
    mx = A.record(net, images, ["conv1"], pool="max")["conv1"]
    np.testing.assert_allclose(mx, c1.max(axis=(1, 2)), atol=TOL32)
    pos = A.record(net, images, ["conv1"], positions=True)["conv1"]
    np.testing.assert_array_equal(pos, c1.reshape(-1, c1.shape[-1]))


def test_inputs_from_tensors_arrays_loaders_and_generic_datasets_agree(images):
    net = M.MLP(256, hidden=(8,), seed=1)
    x, y = images.tensors

    class Items(Dataset):
        def __len__(self):
            return len(y)

        def __getitem__(self, i):
            return x[i], y[i]

    ref = A.record(net, images, ["fc1"])["fc1"]
    rng = torch.get_rng_state()
    A.record(net, Items(), ["fc1"])  # read through a DataLoader, which must not draw from the global RNG
    assert torch.equal(torch.get_rng_state(), rng)
    reversed_rows = x.numpy()[::-1]  # negative strides, which torch.from_numpy refuses
    got = A.record(net, reversed_rows, ["fc1"], batch_size=11)["fc1"]
    np.testing.assert_allclose(got[::-1], ref, rtol=1e-5, atol=1e-6)
    read_only = x.numpy().copy()
    read_only.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns about wrapping a read-only array
        np.testing.assert_allclose(A.record(net, read_only, ["fc1"])["fc1"], ref, rtol=1e-5, atol=1e-6)
    for data in (
        x,
        x.numpy(),
        DataLoader(images, batch_size=9),
        Items(),
        [(x[:15], y[:15]), (x[15:], y[15:])],
    ):
        # the same images reach the network; other batch sizes may round float32 GEMMs
        # differently on some CPUs (seen on one), so equal to float32 precision, not bitwise
        got = A.record(net, data, ["fc1"], batch_size=11)["fc1"]
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_recording_restores_the_mode_and_keeps_no_gradients(images):
    net = M.ConvNet([4], seed=0)
    net.train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    modes = []
    for batch in A.iter_activations(net, images, batch_size=8):
        assert not batch["conv1"].requires_grad
        modes.append(net.training)
    # eval mode while recording (batch norm uses running statistics); the last batch is
    # handed on after the mode is back, as the iteration has nothing left to run
    assert len(modes) > 2 and not any(modes[:-1]) and modes[-1]
    assert net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # BN statistics untouched
    assert not net.conv1[0]._forward_hooks  # hooks removed


def test_fx_node_names_are_recorded_and_agree_with_hooks(images):
    net = M.resnet18(num_classes=10, seed=0)
    x = images.tensors[0][:6].expand(-1, 3, -1, -1)
    names = ["maxpool", "layer1.0", "layer1.0.bn2"]
    fx = A.record(net, x, names, capture="fx")
    hooks = A.record(net, x, names, capture="hooks")
    for name in names:
        np.testing.assert_allclose(fx[name], hooks[name], atol=TOL32)
    relu_1 = A.record(net, x, ["layer1.0.relu_1"])  # the block's second ReLU: its output
    np.testing.assert_allclose(relu_1["layer1.0.relu_1"], hooks["layer1.0"], atol=TOL32)
    auto = A.record(net, x, ["layer2.1.add"])  # not a module: "auto" picks feature extraction
    assert auto["layer2.1.add"].shape == (6, 2, 2, 128)


class _AddOne(torch.nn.Module):
    """A linear layer, then ``relu(.) + 1``: 'add' is a graph node, not a submodule."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        return torch.relu(self.fc(x)) + 1


def test_graph_node_names_trace_the_model_once_per_call(monkeypatch):
    # it traced twice: get_graph_node_names to check the names, create_feature_extractor to record
    from torchvision.models import feature_extraction

    calls = []
    for name in ("create_feature_extractor", "get_graph_node_names"):
        traced = getattr(feature_extraction, name)
        monkeypatch.setattr(
            feature_extraction, name, lambda *a, f=traced, n=name, **k: calls.append(n) or f(*a, **k)
        )
    net, x = _AddOne(), torch.randn(5, 4)
    with torch.no_grad():
        expected = (torch.relu(net.fc(x)) + 1).numpy()
    np.testing.assert_allclose(A.record(net, x, ["add", "fc"], batch_size=2)["add"], expected, atol=TOL32)
    assert calls == ["create_feature_extractor"]
    calls.clear()
    batches = list(A.iter_activations(net, x, ["add"], batch_size=2))
    np.testing.assert_allclose(torch.cat([b["add"] for b in batches]).numpy(), expected, atol=TOL32)
    assert calls == ["create_feature_extractor"]
    calls.clear()
    A.record(net, x, ["fc"], capture="fx")  # submodule names through feature extraction
    assert calls == ["create_feature_extractor"]


def test_later_in_place_operations_do_not_change_what_was_recorded(images):
    """torchvision's BasicBlock does `out = bn2(out); out += identity; relu_(out)` in place."""
    net = M.resnet18(num_classes=10, seed=0).eval()
    x = images.tensors[0][:6].expand(-1, 3, -1, -1)
    rec = A.record(net, x, ["maxpool", "layer1.0.bn2", "layer1.0.add"])  # hooks + FX (add is a node)
    blk = net.layer1[0]
    with torch.no_grad():
        h = torch.from_numpy(rec["maxpool"]).permute(0, 3, 1, 2)
        bn2 = blk.bn2(blk.conv2(blk.relu(blk.bn1(blk.conv1(h)))))
    np.testing.assert_allclose(rec["layer1.0.bn2"], bn2.permute(0, 2, 3, 1).numpy(), atol=TOL32)
    np.testing.assert_allclose(rec["layer1.0.add"], (bn2 + h).permute(0, 2, 3, 1).numpy(), atol=TOL32)
    assert rec["layer1.0.add"].min() < 0  # before the in-place ReLU


def test_recording_errors_say_what_to_do(images):
    net = M.resnet18(num_classes=10, seed=0)
    x = images.tensors[0][:2].expand(-1, 3, -1, -1)
    with pytest.raises(ValueError, match=r"ran more than once in one forward pass.*'layer1.0.relu_1'"):
        A.record(net, x, ["layer1.0.relu"])
    with pytest.raises(ValueError, match=r"layer\(s\) \['conv9'\] are not submodules of ConvNet"):
        A.record(M.ConvNet([4]), images, ["conv9"], capture="hooks")
    with pytest.raises(
        ValueError, match=r"\['conv9'\] are neither submodules of ConvNet nor nodes of its graph"
    ):
        A.record(M.ConvNet([4]), images, ["conv9"])
    with pytest.raises(ValueError, match="Sequential has no `layer_names`; pass layers="):
        A.record(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 3)), images)
    with pytest.raises(
        ValueError, match="pool must be None, 'mean', 'max' or an int output size >= 1; got 'median'"
    ):
        A.record(M.ConvNet([4]), images, pool="median")
    with pytest.raises(ValueError, match="batch_size must be a positive int; got 0"):
        A.record(M.ConvNet([4]), images, batch_size=0)
    with pytest.raises(TypeError, match="sink must have an update"):
        A.record(M.ConvNet([4]), images, sink=object())


def test_layers_that_never_run_are_reported(images):
    class Skips(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = torch.nn.Flatten(), torch.nn.Identity()

        def forward(self, x):
            return self.used(x)

    with pytest.raises(ValueError, match=r"layer\(s\) \['unused'\] did not run"):
        A.record(Skips(), images, ["used", "unused"])


def test_an_abandoned_iterator_leaves_gradients_on_and_the_mode_restored(images):
    net = M.MLP(256, hidden=(4,), seed=0).train()
    it = A.iter_activations(net, images, ["fc1"], batch_size=8)
    next(it)
    assert torch.is_grad_enabled()  # also while the iterator is suspended
    it.close()
    assert torch.is_grad_enabled() and net.training
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        A.iter_activations(net, images, batch_size=-1)  # checked on the call, not on the first batch


def test_a_custom_sink_receives_tensors_batch_by_batch(images):
    class Counting:
        def __init__(self):
            self.rows, self.batches = 0, 0

        def update(self, batch):
            assert isinstance(batch["logits"], torch.Tensor)
            self.rows += batch["logits"].shape[0]
            self.batches += 1

    sink = A.record(M.MLP(256, hidden=(4,), seed=0), images, ["logits"], batch_size=16, sink=Counting())
    assert (sink.rows, sink.batches) == (40, 3)
    assert isinstance(sink, A.ActivationSink)


def test_array_sink_converts_dtype():
    sink = A.ArraySink(np.float64)
    sink.update({"a": torch.ones(2, 3, dtype=torch.float32)})
    assert sink.result()["a"].dtype == np.float64


def test_a_bfloat16_model_is_recorded_as_float32():
    net = torch.nn.Sequential(torch.nn.Linear(4, 3)).to(torch.bfloat16)
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    got = A.record(net, x, ["0"])["0"]  # numpy has no bfloat16
    with torch.no_grad():
        ref = net(x.to(torch.bfloat16)).float().numpy()  # oracle: the module called directly
    assert got.dtype == np.float32 and np.array_equal(got, ref)
    assert A.record(net, x, ["0"], dtype=np.float64)["0"].dtype == np.float64


def test_imagenet_subset_through_resnet18(tmp_path):
    from PIL import Image

    for k, c in enumerate(IMAGENET_SUBSET):
        (tmp_path / c.wnid).mkdir()
        for i in range(2):
            Image.new("RGB", (48, 40), color=(40 * k, 20 * i, 90)).save(tmp_path / c.wnid / f"{i}.JPEG")
    ds = load_imagenet_subset(tmp_path, image_size=32, resize=32)
    net = M.resnet18(weights=None, seed=0)
    acts = A.record(net, ds, ["maxpool", "layer4.1", "fc"], batch_size=4)
    assert acts["maxpool"].shape == (10, 8, 8, 64)
    assert acts["layer4.1"].shape == (10, 1, 1, 512) and acts["fc"].shape == (10, 1000)
    class_logits = acts["fc"][:, list(ds.imagenet_indices)]  # the five classes' outputs
    assert class_logits.shape == (10, 5)


# --------------------------------------------------------------------------- streaming


def test_recording_into_an_accumulator_equals_recording_into_memory(images):
    import svcca
    from svcca.streaming import MultiLayerAccumulator

    net = M.ConvNet("six", width=0.5, seed=0)
    layers = ["conv5", "conv6", "logits"]  # 2x2x32 = 128, 64 and 10 features over 40 images
    more = TensorDataset(torch.cat([images.tensors[0]] * 5) + 0.1 * torch.randn(200, 1, 16, 16,
                         generator=torch.Generator().manual_seed(0)), torch.zeros(200))  # fmt: skip
    in_memory = A.record(net, more, layers, dtype=np.float64)
    acc = A.record(net, more, layers, batch_size=64, sink=MultiLayerAccumulator())
    X = {k: v.reshape(200, -1) for k, v in in_memory.items()}
    for a, b in [("conv6", "logits"), ("conv5", "conv6")]:
        streamed = acc.pair(a, b).cca(warn=False).rho
        batch = svcca.cca(X[a], X[b], warn=False).rho
        np.testing.assert_allclose(streamed, batch, atol=1e-6)  # float32 activations, float64 statistics
    # conv positions as datapoints stream the same way
    # (conv5 is 4x4x32, average-pooled to 2x2; conv6 is 2x2x64: 800 positions each)
    pos = A.record(
        net, more, ["conv5", "conv6"], pool={"conv5": 2}, positions=True, sink=MultiLayerAccumulator()
    )
    c5 = in_memory["conv5"].reshape(200, 2, 2, 2, 2, 32).mean(axis=(2, 4)).reshape(800, 32)
    ref = svcca.cca(c5, in_memory["conv6"].reshape(800, 64)).rho
    np.testing.assert_allclose(pos.pair("conv5", "conv6").cca().rho, ref, atol=1e-6)


def test_two_models_stream_a_pair_of_layers_through_zipped_iterators(images):
    import svcca
    from svcca.streaming import PairAccumulator

    a, b = M.MLP(256, hidden=(16, 8), seed=0), M.MLP(256, hidden=(16, 8), seed=1)
    acc = PairAccumulator()
    for xa, xb in zip(A.iter_activations(a, images, ["fc2"], batch_size=16),
                      A.iter_activations(b, images, ["fc2"], batch_size=16)):  # fmt: skip
        acc.update(xa["fc2"], xb["fc2"])
    ref = svcca.cca(A.record(a, images, ["fc2"])["fc2"], A.record(b, images, ["fc2"])["fc2"])
    assert acc.cca().similarity == pytest.approx(ref.similarity, abs=1e-6)


def test_a_kept_zip_of_two_iterators_leaves_both_models_restored_and_unhooked(images):
    # zip() stops at the first iterator's end without finishing the second: that one used
    # to keep its model in eval mode, hooked, for as long as the zip object lived
    a, b = M.MLP(256, hidden=(16, 8), seed=0).train(), M.MLP(256, hidden=(16, 8), seed=1).train()
    pairs = zip(A.iter_activations(a, images, ["fc2"], batch_size=16),
                A.iter_activations(b, images, ["fc2"], batch_size=16))  # fmt: skip
    assert sum(xa["fc2"].shape[0] for xa, _ in pairs) == len(images)
    for net in (a, b):
        assert net.training and not net.fc2._forward_hooks
    assert list(A.iter_activations(a, [], ["fc2"])) == [] and a.training  # no batch: nothing yielded


def test_record_and_evaluate_restore_every_submodules_own_mode():
    # a model fine-tuned with frozen batch norms (net.train(); bn.eval()) keeps them frozen
    from torch import nn

    from svcca.nn import ConvNet, evaluate, record

    net = ConvNet("pilot5", seed=0).train()
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.eval()
    before = {n: m.training for n, m in net.named_modules()}
    x = torch.randn(6, 1, 8, 8)
    record(net, x, ["conv1"])
    evaluate(net, torch.utils.data.TensorDataset(x, torch.zeros(6, dtype=torch.long)))
    assert {n: m.training for n, m in net.named_modules()} == before
    stats = bns[0].running_mean.clone()
    net(x)  # the next fine-tuning step: the frozen statistics do not move
    assert torch.equal(stats, bns[0].running_mean)


def test_recording_options_are_checked_before_any_work():
    import numpy as np

    from svcca.nn import MLP, ConvNet, record

    conv, x = ConvNet("pilot5", seed=0), torch.randn(4, 1, 8, 8)
    bad = [
        ({"pool": 0}, r"pool must be None, 'mean', 'max' or an int output size >= 1; got 0"),
        ({"pool": "avg"}, r"pool must be .*; got 'avg'"),
        ({"stride": 2.0}, r"stride must be None or an int >= 1; got 2.0"),
        ({"stride": {"conv1": 0}}, r"stride must be None or an int >= 1 for 'conv1'; got 0"),
        ({"pool": {"nope": "mean"}}, r"pool names layer\(s\) \['nope'\] that are not recorded"),
        ({"device": "gpu"}, r"device must be a torch device"),
    ]
    for options, message in bad:
        with pytest.raises(ValueError, match=message):
            record(conv, x, ["conv1"], **options)
    mlp = MLP(hidden=(16,), seed=0)
    digits = np.random.default_rng(0).standard_normal((5, 64))  # float64, into a float32 model
    assert record(mlp, digits, "fc1")["fc1"].shape == (5, 16)  # one name, not its characters
    with pytest.raises(ValueError, match=r"data is empty"):
        record(mlp, torch.zeros((0, 64)), ["fc1"])
    assert record(mlp, digits, ["fc1"], device="auto")["fc1"].dtype == np.float32


def test_a_suspended_recording_leaves_other_forward_passes_alone():
    # the hooks of an open iter_activations raised their private stop signal in any other
    # forward pass through the model: the caller's own, or a second recording zipped with it
    from svcca.nn.activations import iter_activations
    from svcca.nn.models import MLP

    net = MLP(hidden=(16, 8), seed=0, in_features=64)
    X, X2 = torch.randn(12, 64), torch.randn(12, 64)
    for _ in iter_activations(net, X, ["fc1"], batch_size=3):
        assert tuple(net(X[:2]).shape) == (2, 10)
    first = iter_activations(net, X, ["fc1"], batch_size=3)
    pairs = list(zip(first, iter_activations(net, X2, ["fc1"], batch_size=3)))
    assert len(pairs) == 4
    alone = A.record(net, X2, ["fc1"])["fc1"]
    torch.testing.assert_close(torch.cat([b["fc1"] for _, b in pairs]), torch.as_tensor(alone))


def test_a_1d_convolution_is_recorded_with_its_channels_as_features():
    # (n, channels, length) was read as (n, positions, features): 20 rows of sample x channel
    # with positions as columns, instead of 40 rows of sample x position with channels
    net = torch.nn.Sequential(torch.nn.Conv1d(3, 5, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool1d(2))
    x = torch.randn(4, 3, 10)
    got = A.record(net, x, ["0", "2"])
    with torch.no_grad():
        conv = net[0](x)
        pooled = net[2](net[1](conv))
    np.testing.assert_allclose(got["0"], conv.permute(0, 2, 1).reshape(-1, 5).numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(got["2"], pooled.permute(0, 2, 1).reshape(-1, 5).numpy(), rtol=0, atol=1e-6)


def _caught(call):
    """Run ``call``; return the warnings it emitted (every one, none filtered)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return caught


def test_a_loader_that_draws_a_random_order_is_warned_about_once_per_call():
    # zipping two passes of a shuffling loader paired different images row by row: a network
    # against itself gave CCA 0.83 with no word; one pass (all layers of one model) is consistent
    from torch.utils.data import BatchSampler, SubsetRandomSampler, WeightedRandomSampler

    from svcca._validation import ShuffledLoaderWarning

    net = M.MLP(64, hidden=(8,), seed=0)
    ds = TensorDataset(torch.randn(24, 64))
    shuffling = {
        "RandomSampler": DataLoader(ds, batch_size=8, shuffle=True),
        "SubsetRandomSampler": DataLoader(ds, batch_size=8, sampler=SubsetRandomSampler(range(24))),
        "WeightedRandomSampler": DataLoader(ds, batch_size=8, sampler=WeightedRandomSampler([1.0] * 24, 24)),
        "batch_sampler": DataLoader(
            ds, batch_sampler=BatchSampler(torch.utils.data.RandomSampler(ds), batch_size=8, drop_last=False)
        ),
    }
    for kind, loader in shuffling.items():
        sampler = "RandomSampler" if kind == "batch_sampler" else kind
        for call in (
            lambda loader=loader: A.record(net, loader, ["fc1", "logits"]),
            lambda loader=loader: list(A.iter_activations(net, loader, ["fc1"])),
        ):
            caught = _caught(call)
            assert [w.category for w in caught] == [ShuffledLoaderWarning], kind
            message = str(caught[0].message)
            assert f"whose {sampler} draws the samples in a random order" in message
            assert (
                "must not be paired with the rows of another pass" in message and "shuffle=False" in message
            )
            assert caught[0].filename == __file__  # at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fixed order: silent
        A.record(net, DataLoader(ds, batch_size=8), ["fc1"])
        A.record(net, ds, ["fc1"])
        A.record(net, ds.tensors[0], ["fc1"])


def test_a_misspelt_layer_is_refused_with_its_close_matches_before_any_tracing():
    # it got torchvision's "use `get_graph_node_names` ..." and "name submodules (forward hooks) instead"
    net = M.resnet18(num_classes=10, seed=0)
    x = torch.randn(2, 3, 16, 16)
    with pytest.raises(ValueError) as info:
        A.iter_activations(net, x, ["layer1.0.conv"])  # on the call, before any batch
    message = str(info.value)
    assert message.startswith(
        "layer(s) ['layer1.0.conv'] are neither submodules of ResNet nor nodes of its graph"
    )
    assert "close matches: 'layer1.0.conv' -> ['layer1.0.conv2', 'layer1.0.conv1'" in message
    assert "Hint" not in message and "forward hooks) instead" not in message
    with pytest.raises(ValueError, match=r"close matches: 'layer2.1.ad' -> \['layer2.1.add'"):
        A.record(net, x, ["layer2.1.ad"])  # a graph node's name, misspelt
    with pytest.raises(
        ValueError,
        match=r"\['layer1.0.conv'\] are not submodules of ResNet \(forward hooks need submodule names\); "
        r"close matches: 'layer1.0.conv' -> \['layer1.0.conv2', 'layer1.0.conv1'",
    ):
        A.record(net, x, ["layer1.0.conv"], capture="hooks")
    with pytest.raises(ValueError, match=r"\['qwerty'\] are neither .*; no close match among them"):
        A.record(net, x, ["qwerty"])


def test_a_misspelt_layer_of_a_model_fx_cannot_trace_names_its_submodules():
    class Branchy(torch.nn.Module):  # control flow on values: torch.fx cannot trace it
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Linear(4, 4)
            self.bn = torch.nn.BatchNorm1d(4)

        def forward(self, x):
            return self.encoder(x) if x.sum() > 0 else x

    net = Branchy().train()
    net.bn.eval()  # a frozen batch norm: its own mode comes back after the lookup
    with pytest.raises(
        ValueError,
        match=r"\['encodr'\] are not submodules of Branchy; close matches: 'encodr' -> \['encoder'\]; "
        r"other names are graph nodes of torchvision's feature extraction, which cannot trace Branchy",
    ):
        A.record(net, torch.randn(3, 4), ["encodr"])
    assert net.training and not net.bn.training


def test_a_model_without_weights_is_refused_with_what_to_do():
    # it failed with torch's "NotImplementedError: Cannot copy out of meta tensor; no data!"
    with torch.device("meta"):
        net = M.MLP(64, hidden=(8,), seed=0)
    x = torch.randn(4, 64)
    with pytest.raises(
        ValueError,
        match=r"MLP has no weights: its tensor '.*' is on the 'meta' device, which holds shapes but no "
        r"values; load or initialise the weights first, e.g. model.to_empty\(device='cpu'\) then "
        r"model.load_state_dict\(state_dict\)",
    ):
        A.record(net, x, ["fc1"])
    with pytest.raises(ValueError, match="MLP has no weights"):
        A.iter_activations(net, x, ["fc1"])  # on the call, before any batch
    net.to_empty(device="cpu").load_state_dict(M.MLP(64, hidden=(8,), seed=0).state_dict())
    assert A.record(net, x, ["fc1"])["fc1"].shape == (4, 8)  # the fix the message names
    with pytest.raises(ValueError, match=r"device='meta' holds no values to record"):
        A.record(net, x, ["fc1"], device="meta")


def test_data_that_holds_no_input_batches_is_refused_before_the_model_runs():
    # A.record(net, 5) raised "'int' object is not iterable"; dict batches failed inside the model
    net = M.MLP(hidden=(4,), seed=0)
    with pytest.raises(TypeError, match=r"data must be a Dataset, DataLoader, .*; got int"):
        A.record(net, 5)
    with pytest.raises(TypeError, match=r"each batch must be a tensor of inputs, .*; got dict"):
        A.record(net, [{"x": torch.zeros(2, 64)}])
    rows = A.record(net, [np.zeros((3, 64), np.float32), np.ones((2, 64), np.float32)])  # numpy batches
    assert rows["fc1"].shape == (5, 4)
