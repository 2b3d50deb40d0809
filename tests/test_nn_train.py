"""Tests of svcca.nn.train: determinism, exact resumption, atomic checkpoints, freeze training."""

from __future__ import annotations

import importlib
import json
import math
import os

import pytest

from conftest import PickleTrap

torch = pytest.importorskip("torch")

from torch.utils.data import Dataset, TensorDataset  # noqa: E402

# the package re-exports the function `train`, which shadows the submodule's name
T = importlib.import_module("svcca.nn.train")
from svcca.nn.data import RandomShift, load_digits, load_stdlib_corpus, random_labels  # noqa: E402
from svcca.nn.models import MLP, ConvNet, LSTMLanguageModel  # noqa: E402

pytestmark = pytest.mark.torch


class Interrupted(Exception):
    pass


def interrupt_at(step):
    def callback(info):
        if info.step == step:
            raise Interrupted(step)

    return callback


def same_state(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def without_time(history):
    d = history.to_dict()
    d.pop("time_s")
    return d


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def small_digits(digits):
    x, y = digits.train.tensors
    return TensorDataset(x[:200], y[:200]), TensorDataset(*(t[:100] for t in digits.test.tensors))


@pytest.fixture(scope="module")
def char_sequences():
    corpus = load_stdlib_corpus(max_chars=4_000)
    return corpus, corpus.sequences("train", seq_len=16), corpus.sequences("valid", seq_len=16)


def conv_setup(small_digits, digits):
    train, test = small_digits
    model = ConvNet([4, "4s2"], seed=0)
    kwargs = dict(test_data=test, epochs=3, batch_size=32, augment=RandomShift(1, fill=digits.background))
    return model, train, kwargs  # 7 steps per epoch


def lstm_setup(char_sequences):
    corpus, train, valid = char_sequences
    model = LSTMLanguageModel(
        corpus.vocab_size, embedding_dim=8, hidden_size=16, num_layers=2, dropout=0.3, seed=0
    )
    kwargs = dict(test_data=valid, epochs=2, batch_size=40, grad_clip=1.0, lr=3e-3)
    return model, train, kwargs  # 225 sequences: 6 steps per epoch


# --------------------------------------------------------------------------- determinism and resumption


def test_same_call_gives_bit_identical_weights_and_history(small_digits, digits):
    m1, data, kw = conv_setup(small_digits, digits)
    m2, _, _ = conv_setup(small_digits, digits)
    h1 = T.train(m1, data, seed=3, progress=False, **kw)
    h2 = T.train(m2, data, seed=3, progress=False, **kw)
    assert same_state(m1, m2) and without_time(h1) == without_time(h2)
    m3, _, _ = conv_setup(small_digits, digits)
    T.train(m3, data, seed=4, progress=False, **kw)  # negative control: another seed, other batches
    assert not same_state(m1, m3)


def test_training_leaves_the_global_rng_and_determinism_flags_alone(small_digits, digits):
    model, data, kw = conv_setup(small_digits, digits)
    before = torch.get_rng_state()
    T.train(model, data, progress=False, **{**kw, "epochs": 1})
    assert torch.equal(torch.get_rng_state(), before)
    assert not torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("setup", ["conv_augmented", "lstm_dropout"])
@pytest.mark.parametrize("stop", [7, 9, 11], ids=["epoch-end", "at-a-save", "between-saves"])
def test_resuming_after_an_interruption_equals_the_uninterrupted_run(
    setup, stop, tmp_path, small_digits, digits, char_sequences
):
    build = (
        (lambda: conv_setup(small_digits, digits))
        if setup == "conv_augmented"
        else lambda: lstm_setup(char_sequences)
    )
    steps = (0, 4, 9, 12)
    ref_model, data, kw = build()
    ref = T.train(
        ref_model, data, checkpoint_dir=tmp_path / "ref", checkpoint_steps=steps, progress=False, **kw
    )

    model, _, _ = build()
    with pytest.raises(Interrupted):  # conv: 7 steps per epoch; lstm: 6
        T.train(model, data, checkpoint_dir=tmp_path / "run", checkpoint_steps=steps,
                callback=interrupt_at(stop), progress=False, **kw)  # fmt: skip
    assert T.list_checkpoints(tmp_path / "run").keys() == {s for s in steps if s <= stop}
    fresh, _, _ = build()  # a new process would start from a freshly built model
    hist = T.train(fresh, data, checkpoint_dir=tmp_path / "run", checkpoint_steps=steps, progress=False, **kw)

    assert same_state(fresh, ref_model)
    assert without_time(hist) == without_time(ref)
    for s in steps:
        a = T.load_checkpoint(tmp_path / "ref", step=s).state_dict
        b = T.load_checkpoint(tmp_path / "run", step=s).state_dict
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_finished_run_is_reloaded_not_retrained(tmp_path, small_digits, digits):
    model, data, kw = conv_setup(small_digits, digits)
    first = T.train(model, data, checkpoint_dir=tmp_path, progress=False, **kw)
    calls = []
    again, _, _ = conv_setup(small_digits, digits)
    second = T.train(again, data, checkpoint_dir=tmp_path, callback=calls.append, progress=False, **kw)
    assert calls == [] and second == first and same_state(again, model)


def test_resuming_with_another_configuration_is_refused(tmp_path, small_digits, digits):
    model, data, kw = conv_setup(small_digits, digits)
    T.train(model, data, checkpoint_dir=tmp_path, progress=False, **{**kw, "epochs": 1})
    with pytest.raises(
        ValueError, match=r"different training configuration \(saved, now\): \{'lr': \(0.001, 0.01\)\}"
    ):
        fresh, _, _ = conv_setup(small_digits, digits)
        T.train(fresh, data, checkpoint_dir=tmp_path, progress=False, **{**kw, "epochs": 1, "lr": 1e-2})


def test_a_run_from_other_weights_or_labels_is_not_answered_with_the_finished_one(tmp_path, digits):
    # the saved configuration held only hyperparameters: a network of another seed, or random
    # labels, got the first run's finished weights back without a word
    data = digits.train
    kw = {"epochs": 1, "checkpoint_dir": tmp_path, "progress": False}
    T.train(MLP(hidden=(8,), seed=0), data, **kw)
    with pytest.raises(ValueError, match=r"different training configuration .*'initial_state'"):
        T.train(MLP(hidden=(8,), seed=1), data, **kw)
    with pytest.raises(ValueError, match=r"different training configuration .*'targets'"):
        T.train(MLP(hidden=(8,), seed=0), random_labels(data, seed=0), **kw)
    again = MLP(hidden=(8,), seed=0)
    T.train(again, data, **kw)  # the same run: reloaded


def test_a_new_run_never_mixes_its_snapshots_with_another_runs(tmp_path, digits):
    # resume=False (the advice for a configuration change) wrote the new run's snapshots
    # beside the old run's: iter_checkpoints then yielded steps of both
    kw = {"checkpoint_dir": tmp_path, "progress": False}
    T.train(MLP(hidden=(8,), seed=0), digits.train, epochs=2, checkpoint_steps=(0, 5, 22), **kw)
    with pytest.raises(ValueError, match=r"holds the snapshots of another training run \(3 step_\*\.pt"):
        T.train(MLP(hidden=(8,), seed=0), digits.train, epochs=1, lr=1e-2, resume=False, **kw)
    assert sorted(p.name for p in tmp_path.glob("step_*.pt")) == [f"step_{s:08d}.pt" for s in (0, 5, 22)]


def test_load_checkpoint_says_what_it_was_given(tmp_path, digits):
    # resume.pt raised KeyError('meta'); a file and a conflicting step= returned the file's step
    net = MLP(hidden=(8,), seed=0)
    T.train(net, digits.train, epochs=1, checkpoint_dir=tmp_path, checkpoint_steps=(0, 5), progress=False)
    with pytest.raises(ValueError, match=r"resume.pt is a run's resume state, not a snapshot"):
        T.load_checkpoint(tmp_path / "resume.pt")
    with pytest.raises(ValueError, match=r"step_00000005.pt holds step 5, not step=11"):
        T.load_checkpoint(tmp_path / "step_00000005.pt", step=11)
    with pytest.raises(TypeError, match=r"step must be None or an int >= 0; got '5'"):
        T.load_checkpoint(tmp_path, step="5")
    assert T.load_checkpoint(tmp_path / "step_00000005.pt", step=5).step == 5


@pytest.mark.parametrize(
    ("option", "value", "error", "match"),
    [
        ("grad_clip", -1.0, ValueError, "grad_clip must be a finite number > 0"),
        ("grad_clip", 0, ValueError, "grad_clip must be a finite number > 0"),
        ("resume_every", -1, ValueError, "resume_every must be a positive int"),
        ("checkpoint_steps", "12", TypeError, "checkpoint_steps must be a sequence of ints"),
        ("checkpoint_steps", (1.7,), TypeError, r"checkpoint_steps must be ints .*got 1.7"),
        ("device", "gpu", ValueError, "gpu"),
    ],
)
def test_training_options_are_refused_before_any_step(tmp_path, digits, option, value, error, match):
    # grad_clip=-1 flipped every gradient (training climbed the loss); "12" gave steps 1 and 2
    with pytest.raises(error, match=match):
        T.train(MLP(hidden=(8,), seed=0), digits.train, epochs=1, checkpoint_dir=tmp_path, progress=False,
                **{option: value})  # fmt: skip


def test_freeze_schedule_never_freezes_the_kept_layers():
    with pytest.raises(ValueError, match=r"keep_last must be an int >= 0; got -1"):  # froze the classifier
        T.freeze_schedule(["conv1", "conv2", "fc"], keep_last=-1)


def test_device_auto_trains_and_evaluates_where_a_device_is(digits):
    model = MLP(hidden=(8,), seed=0)
    T.train(model, digits.train, epochs=1, device="auto", progress=False)
    assert len(T.evaluate(model, digits.test, device="auto")) == 2


class _ListDataset(Dataset):
    def __init__(self, tensors):
        self.x, self.y = tensors

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def test_a_generic_dataset_trains_exactly_like_a_tensor_dataset(small_digits):
    train, _ = small_digits
    a, b = MLP(hidden=(16,), seed=0), MLP(hidden=(16,), seed=0)
    ha = T.train(a, train, epochs=2, batch_size=64, progress=False)
    hb = T.train(b, _ListDataset(train.tensors), epochs=2, batch_size=64, progress=False)
    assert same_state(a, b) and without_time(ha) == without_time(hb)


def test_a_generic_dataset_with_dropout_resumes_exactly(tmp_path, small_digits):
    # a DataLoader's iterator drew its base seed from the global RNG that dropout uses: the
    # loader made again on resuming mid-epoch shifted every later dropout mask
    train, _ = small_digits
    data = _ListDataset(train.tensors)

    def build():
        torch.manual_seed(0)
        return torch.nn.Sequential(
            torch.nn.Flatten(),
            torch.nn.Linear(64, 16),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.5),
            torch.nn.Linear(16, 10),
        )

    kw = dict(epochs=2, batch_size=32, resume_every=2, eval_train=False, progress=False)  # 7 steps per epoch
    ref = build()
    h_ref = T.train(ref, data, checkpoint_dir=tmp_path / "ref", **kw)
    with pytest.raises(Interrupted):
        T.train(build(), data, checkpoint_dir=tmp_path / "run", callback=interrupt_at(4), **kw)
    fresh = build()
    hist = T.train(fresh, data, checkpoint_dir=tmp_path / "run", **kw)
    assert same_state(fresh, ref) and without_time(hist) == without_time(h_ref)
    before = torch.get_rng_state()  # evaluating a generic dataset leaves the global RNG alone too
    T.evaluate(ref, data)
    assert torch.equal(torch.get_rng_state(), before)


# --------------------------------------------------------------------------- files


def test_snapshots_hold_plain_data_and_load_with_weights_only(tmp_path, small_digits, digits):
    model, data, kw = conv_setup(small_digits, digits)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    hist = T.train(model, data, checkpoint_dir=tmp_path, checkpoint_steps=(0, 7, 21), progress=False, **kw)
    assert hist.checkpoints == (0, 7, 21)
    blob = torch.load(tmp_path / "step_00000000.pt", weights_only=True)
    assert all(torch.equal(blob["model"][k], initial[k]) for k in initial)
    ck = T.load_checkpoint(tmp_path, step=7)
    assert (ck.step, ck.epoch) == (7, 1) and ck.history.epoch == (1,)
    assert ck.meta["config"]["seed"] == 0
    last, _, _ = conv_setup(small_digits, digits)
    assert T.load_checkpoint(tmp_path, last).step == 21  # the latest by default, loaded into `last`
    assert same_state(last, model)
    json.dumps(hist.to_dict())  # histories go into JSON manifests
    assert T.TrainHistory.from_dict(hist.to_dict()) == hist
    with pytest.raises(FileNotFoundError, match=r"no snapshot for step 5 .* available: \[0, 7, 21\]"):
        T.load_checkpoint(tmp_path, step=5)
    probe, _, _ = conv_setup(small_digits, digits)
    assert [c.step for c in T.iter_checkpoints(tmp_path, probe)] == [0, 7, 21] and same_state(probe, model)
    with pytest.raises(FileNotFoundError, match=r"no snapshot for step\(s\) \[8\]"):
        list(T.iter_checkpoints(tmp_path, probe, steps=[7, 8]))


def test_truncated_temporary_files_are_ignored(tmp_path, small_digits, digits):
    model, data, kw = conv_setup(small_digits, digits)
    ref = T.train(model, data, checkpoint_dir=tmp_path / "ref", checkpoint_steps=(7,), progress=False, **kw)
    run = tmp_path / "run"
    first, _, _ = conv_setup(small_digits, digits)
    with pytest.raises(Interrupted):
        T.train(
            first,
            data,
            checkpoint_dir=run,
            checkpoint_steps=(7,),
            callback=interrupt_at(8),
            progress=False,
            **kw,
        )
    # what a crash in the middle of writing would leave behind
    (run / ".step_00000014.pt.x1y2.tmp").write_bytes(b"PK\x03\x04trunc")
    (run / ".resume.pt.a9b8.tmp").write_bytes(b"PK\x03")
    assert T.list_checkpoints(run).keys() == {7}
    again, _, _ = conv_setup(small_digits, digits)
    hist = T.train(again, data, checkpoint_dir=run, checkpoint_steps=(7,), progress=False, **kw)
    assert same_state(again, model) and without_time(hist) == without_time(ref)


def test_a_write_that_fails_midway_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    target = tmp_path / "resume.pt"
    T._atomic_save({"v": torch.tensor([1.0])}, target)
    real_save = torch.save

    def crashing_save(obj, fh, *args, **kwargs):
        real_save(obj, fh, *args, **kwargs)
        fh.truncate(10)  # half-written
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crashing_save)
    with pytest.raises(OSError, match="disk full"):
        T._atomic_save({"v": torch.tensor([2.0])}, target)
    monkeypatch.undo()
    assert float(torch.load(target, weights_only=True)["v"]) == 1.0
    assert os.listdir(tmp_path) == ["resume.pt"]


# --------------------------------------------------------------------------- stopping, freezing, options


def test_training_until_a_target_accuracy_memorizes_random_labels(digits):
    x, y = digits.train.tensors
    data = random_labels(TensorDataset(x[:64], y[:64]), seed=0)
    net = MLP(hidden=(128,), seed=0)
    hist = T.train(net, data, epochs=200, batch_size=64, lr=1e-2, target_train_accuracy=1.0, progress=False)
    assert hist.reached_target is True and hist.train_accuracy[-1] == 1.0
    assert len(hist.epoch) < 200 and hist.train_accuracy[-2] < 1.0
    short = T.train(
        MLP(hidden=(128,), seed=0), data, epochs=1, batch_size=64, target_train_accuracy=1.0, progress=False
    )
    assert short.reached_target is False
    assert math.isnan(short.final_test_accuracy)


def test_freeze_training_stops_the_lowest_layers_in_order(tmp_path, small_digits):
    train, test = small_digits
    net = ConvNet([4, 4, 4], seed=0)
    schedule = T.freeze_schedule(net.layer_names, start=0.25, stop=0.5)
    assert schedule == {"conv1": 0.25, "conv2": 0.375, "conv3": 0.5}
    hist = T.train(net, train, test_data=test, epochs=4, batch_size=50, freeze=schedule,  # 16 steps
                   checkpoint_dir=tmp_path, checkpoint_steps=(4, 6, 8, 16), progress=False)  # fmt: skip
    assert hist.frozen_at == {"conv1": 4, "conv2": 6, "conv3": 8}
    at = {s: T.load_checkpoint(tmp_path, step=s).state_dict for s in (4, 6, 8, 16)}
    for layer, step in hist.frozen_at.items():
        keys = [k for k in at[16] if k.startswith(layer + ".")]
        assert keys and all(torch.equal(at[step][k], at[16][k]) for k in keys)  # weights and BN statistics
    assert not torch.equal(at[4]["conv2.0.weight"], at[16]["conv2.0.weight"])  # trained after conv1 froze
    assert not torch.equal(at[8]["logits.weight"], at[16]["logits.weight"])  # the classifier never freezes
    assert 0 < hist.compute_saved < 1 and 0 < hist.updates_saved < 1
    assert hist.flops_full > hist.flops > 0

    plain = T.train(ConvNet([4, 4, 4], seed=0), train, epochs=1, batch_size=50, progress=False)
    assert plain.compute_saved == 0.0 and plain.updates_saved == 0.0 and plain.flops == plain.flops_full > 0


def test_a_freeze_callable_decides_each_epoch_and_matches_the_same_fixed_schedule(small_digits):
    train, test = small_digits
    asked = []

    def decide(epoch, model):  # conv1 after the first epoch, conv2 after the second
        asked.append((epoch, model.training))
        return ["conv1", "conv2"][:epoch]

    net = ConvNet([4, 4, 4], seed=0)
    hist = T.train(net, train, test_data=test, epochs=3, batch_size=50, freeze=decide, progress=False)
    assert [e for e, _ in asked] == [1, 2]  # at the start of every epoch after the first
    assert hist.frozen_at == {"conv1": 4, "conv2": 8}  # 4 steps per epoch
    fixed = T.train(ConvNet([4, 4, 4], seed=0), train, test_data=test, epochs=3, batch_size=50,
                    freeze={"conv1": 4 / 12, "conv2": 8 / 12}, progress=False)  # fmt: skip
    assert fixed.frozen_at == hist.frozen_at and fixed.test_accuracy == hist.test_accuracy
    assert fixed.flops == hist.flops < hist.flops_full

    with pytest.raises(ValueError, match="freeze returned 'conv9', not a submodule name of the model"):
        T.train(ConvNet([4, 4], seed=0), train, epochs=2, batch_size=100,
                freeze=lambda epoch, model: ["conv9"], progress=False)  # fmt: skip


def test_freezing_from_the_start_still_reports_the_full_cost(small_digits):
    train, _ = small_digits
    hist = T.train(
        ConvNet([4, 4], seed=0), train, epochs=1, batch_size=100, freeze={"conv1": 0.0}, progress=False
    )
    assert hist.frozen_at == {"conv1": 0} and hist.flops_full > hist.flops > 0


def test_language_model_learns_and_is_evaluated_per_token(char_sequences):
    model, data, kw = lstm_setup(char_sequences)
    before, _ = T.evaluate(model, kw["test_data"])
    hist = T.train(model, data, progress=False, **{**kw, "epochs": 3})
    assert hist.test_loss[-1] < before and hist.train_loss[-1] < hist.train_loss[0]
    assert hist.total_steps == 18 and hist.steps_per_epoch == 6
    model.train()
    T.evaluate(model, kw["test_data"])
    assert model.training  # the mode is restored


def test_sgd_with_a_cosine_schedule_and_running_accuracy(small_digits):
    train, _ = small_digits
    hist = T.train(MLP(hidden=(16,), seed=0), train, epochs=2, optimizer="sgd", lr=0.1,
                   lr_schedule="cosine", eval_train=False, progress=False)  # fmt: skip
    assert len(hist.train_accuracy) == 2 and 0.0 < hist.train_accuracy[-1] <= 1.0
    assert T._lr_factor("cosine", 0, 10) == 1.0 and T._lr_factor("cosine", 10, 10) == pytest.approx(0.0)
    custom = T.train(MLP(hidden=(4,), seed=0), train, epochs=1, progress=False,
                     optimizer=lambda p: torch.optim.SGD(p, lr=0.01))  # fmt: skip
    assert custom.total_steps == 2


def test_checkpoint_schedule_and_steps_per_epoch():
    assert T.steps_per_epoch(1297, 128) == 11
    s = T.checkpoint_schedule(330, 37)
    assert s[0] == 0 and s[-1] == 330 and list(s) == sorted(set(s)) and len(s) > 25
    assert T.checkpoint_schedule(10, 3, spacing="linear") == (0, 5, 10)
    # both ends for every n, also n = 2 (np.geomspace(1, total, 1) is [1], not [total])
    for spacing in ("log", "linear"):
        for total in (1, 2, 7, 1000):
            for n in (2, 3, 4):
                s = T.checkpoint_schedule(total, n, spacing=spacing)
                assert s[0] == 0 and s[-1] == total, (spacing, total, n, s)
    assert T.checkpoint_schedule(1000, 2) == (0, 1000)
    with pytest.raises(ValueError, match="spacing must be one of 'log', 'linear'; got 'exp'"):
        T.checkpoint_schedule(10, 3, spacing="exp")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": 0}, "epochs must be a positive int; got 0"),
        ({"batch_size": 2.5}, "batch_size must be a positive int; got 2.5"),
        ({"target_train_accuracy": 1.5}, r"target_train_accuracy must be in \(0, 1\]; got 1.5"),
        ({"lr_schedule": "step"}, "lr_schedule must be None, 'constant' or 'cosine'; got 'step'"),
        ({"optimizer": "rmsprop"}, "optimizer must be 'adam', 'sgd' or a callable"),
        ({"checkpoint_steps": (3,)}, "checkpoint_steps needs checkpoint_dir"),
        ({"freeze": {"conv9": 0.5}}, r"bad entries: \{'conv9': 0.5\}"),
        ({"freeze": {"fc1": 1.5}}, r"bad entries: \{'fc1': 1.5\}"),
    ],
)
def test_bad_options_are_refused(kwargs, message, small_digits):
    train, _ = small_digits
    with pytest.raises(ValueError, match=message):
        T.train(MLP(hidden=(4,)), train, progress=False, **kwargs)


def test_checkpoint_steps_beyond_the_run_are_refused(tmp_path, small_digits):
    train, _ = small_digits
    with pytest.raises(ValueError, match=r"checkpoint_steps must lie in \[0, 4\]"):
        T.train(
            MLP(hidden=(4,)), train, epochs=2, checkpoint_dir=tmp_path, checkpoint_steps=(5,), progress=False
        )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_training_on_cuda_matches_the_reference_loss_closely(small_digits):
    train, test = small_digits
    cpu, gpu = MLP(hidden=(16,), seed=0), MLP(hidden=(16,), seed=0)
    hc = T.train(cpu, train, test_data=test, epochs=2, progress=False)
    hg = T.train(gpu, train, test_data=test, epochs=2, device="cuda", progress=False)
    assert next(gpu.parameters()).is_cuda
    assert hg.train_loss == pytest.approx(hc.train_loss, rel=1e-3)


# --------------------------------------------------------------------------- issue 10: checkpoint integrity


def _interrupted_run(tmp_path, small_digits, digits):
    model, data, kw = conv_setup(small_digits, digits)
    run = tmp_path / "run"
    with pytest.raises(Interrupted):
        T.train(model, data, checkpoint_dir=run, checkpoint_steps=(7,), callback=interrupt_at(8),
                progress=False, **kw)  # fmt: skip
    return model, data, kw, run


def _flip_a_weight_byte(path):
    weights = torch.load(path, weights_only=True)["model"]
    tensor = max(weights.values(), key=lambda t: t.numel())
    raw = bytearray(path.read_bytes())
    at = bytes(raw).find(tensor.detach().contiguous().numpy().tobytes())
    assert at >= 0  # torch stores tensor data uncompressed
    raw[at + 5] ^= 0x01
    path.write_bytes(bytes(raw))


def test_a_flipped_byte_in_a_weight_of_the_resume_file_is_refused_and_named(tmp_path, small_digits, digits):
    _, data, kw, run = _interrupted_run(tmp_path, small_digits, digits)
    _flip_a_weight_byte(run / "resume.pt")
    again, _, _ = conv_setup(small_digits, digits)
    with pytest.raises(ValueError, match=r"resume\.pt is corrupted.*sha256.*delete .*resume\.pt") as info:
        T.train(again, data, checkpoint_dir=run, checkpoint_steps=(7,), progress=False, **kw)
    assert str(run / "resume.pt") in str(info.value)


def test_a_flipped_byte_in_a_snapshot_is_refused_and_named(tmp_path, small_digits, digits):
    _, _, _, run = _interrupted_run(tmp_path, small_digits, digits)
    snap = run / "step_00000007.pt"
    _flip_a_weight_byte(snap)
    with pytest.raises(ValueError, match=r"step_00000007\.pt is corrupted.*delete") as info:
        T.load_checkpoint(snap)
    # the advice works: deleting what it names and training again writes the snapshot again
    # (deleting the snapshot alone did not: the run resumed past step 7)
    assert str(run / "resume.pt") in str(info.value)
    snap.unlink()
    (run / "resume.pt").unlink()
    fresh, data, kw = conv_setup(small_digits, digits)
    T.train(fresh, data, checkpoint_dir=run, checkpoint_steps=(7,), progress=False, **kw)
    assert T.load_checkpoint(run, step=7).step == 7


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbage", "pickled_object", "no_digest"])
def test_a_damaged_resume_file_names_the_file_to_delete(tmp_path, small_digits, digits, damage):
    _, data, kw, run = _interrupted_run(tmp_path, small_digits, digits)
    resume = run / "resume.pt"
    marker = tmp_path / "unpickled"
    if damage == "truncated":
        resume.write_bytes(resume.read_bytes()[:1000])
    elif damage == "empty":
        resume.write_bytes(b"")
    elif damage == "garbage":
        resume.write_bytes(b"garbage, not a torch file")
    elif damage == "pickled_object":
        torch.save({"model": PickleTrap(str(marker))}, resume)
    else:
        torch.save({"model": {}, "optimizer": {}}, resume)
    again, _, _ = conv_setup(small_digits, digits)
    with pytest.raises(ValueError) as info:
        T.train(again, data, checkpoint_dir=run, checkpoint_steps=(7,), progress=False, **kw)
    msg = str(info.value)
    assert f"delete {resume}" in msg, msg
    assert "weights_only=False" not in msg and "file an issue" not in msg.lower()
    assert "\n" not in msg and not marker.exists()


def test_checkpoints_are_written_with_the_umask_and_stale_temps_removed(tmp_path, small_digits, digits):
    import stat

    run = tmp_path / "run"
    run.mkdir()
    stale = run / ".svcca-tmp-resume.pt.0a1b2c.tmp"
    stale.write_bytes(b"PK")
    os.utime(stale, (0, 0))
    model, data, kw = conv_setup(small_digits, digits)
    old = os.umask(0o022)
    try:
        T.train(model, data, checkpoint_dir=run, checkpoint_steps=(7,), progress=False, **{**kw, "epochs": 1})
    finally:
        os.umask(old)
    assert not stale.exists()
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in run.iterdir()} == {
        "resume.pt": 0o644,
        "step_00000007.pt": 0o644,
    }


def _make_flip():
    def flip(x, generator):  # the same function, at another address in every process
        return x.flip(-1) if torch.rand((), generator=generator) < 0.5 else x

    return flip


def test_a_run_augmented_by_a_plain_function_resumes_in_a_new_process(tmp_path, small_digits, digits):
    # the config held repr(augment), "<function ... at 0x7f39...>": a new process (here, a new
    # function object) was refused as "a different training configuration"
    model, data, kw = conv_setup(small_digits, digits)
    kw = {**kw, "augment": _make_flip()}
    with pytest.raises(Interrupted):
        T.train(model, data, checkpoint_dir=tmp_path, callback=interrupt_at(9), progress=False, **kw)
    fresh, _, _ = conv_setup(small_digits, digits)
    hist = T.train(fresh, data, checkpoint_dir=tmp_path, progress=False, **{**kw, "augment": _make_flip()})
    assert hist.total_steps == 21  # 3 epochs of 7 steps, resumed at step 9
