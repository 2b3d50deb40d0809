"""An interrupted experiment keeps the networks it trained; its rerun resumes and gives the same result."""

from __future__ import annotations

import importlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from svcca.experiments import (  # noqa: E402
    TrainingConfig,
    _partial,  # noqa: E402
    book_config,
    run_or_load,
)
from svcca.nn.data import load_digits  # noqa: E402
from svcca.nn.models import MLP  # noqa: E402
from svcca.nn.train import train  # noqa: E402
from svcca.nn.utils import state_digest  # noqa: E402

pytestmark = pytest.mark.torch
train_module = importlib.import_module("svcca.nn.train")  # ``svcca.nn.train`` the attribute is the function


@dataclass(frozen=True)
class TwoNets(TrainingConfig):
    """Two small MLPs on the digits (20 steps each); the result is their final weights."""

    experiment: ClassVar[str] = "two_nets_resume_test"
    hidden: tuple[int, ...] = (16,)
    model: str = "mlp"
    seed: int = 0
    seeds: tuple[int, ...] = (0, 1)
    epochs: int = 4
    batch_size: int = 256
    n_train: int = 1200

    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        from svcca.nn.utils import take

        data = self.load_data()
        train_set = take(data.train, self.n_train)
        out: dict[str, np.ndarray] = {}
        for seed in self.seeds:
            net = self.build_model(data, seed)
            hist = self.fit(net, train_set, seed)
            out[f"w{seed}"] = torch.cat([p.detach().ravel() for p in net.parameters()]).numpy()
            out[f"loss{seed}"] = np.array(hist.train_loss)
        return out


class Steps:
    """Count training steps (calls of the loss); raise KeyboardInterrupt at step ``stop``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, stop: int | None = None) -> None:
        self.count, self.stop = 0, stop
        real = train_module._loss_and_correct

        def counted(*args: Any) -> Any:
            self.count += 1
            if self.stop is not None and self.count == self.stop:
                raise KeyboardInterrupt
            return real(*args)

        monkeypatch.setattr(train_module, "_loss_and_correct", counted)


def partial_folders(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"*{_partial.PARTIAL_SUFFIX}"))


def same_arrays(a: dict[str, np.ndarray], b: dict[str, np.ndarray], skip: str = "time") -> None:
    assert sorted(a) == sorted(b)
    for k in a:
        if skip not in k and a[k].dtype.kind not in "USO":
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """The uninterrupted run's result."""
    return run_or_load(TwoNets(num_threads=1), tmp_path_factory.mktemp("ref")).arrays


def steps_per_network(cfg: TwoNets) -> int:
    return cfg.epochs * -(-cfg.n_train // cfg.batch_size)


def interrupted_in_second_network(cache: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TwoNets, Path]:
    """Run TwoNets into ``cache`` and stop it (Ctrl-C) in its second network: its work folder."""
    cfg = TwoNets(num_threads=1)
    Steps(monkeypatch, stop=steps_per_network(cfg) + 3)
    with pytest.raises(KeyboardInterrupt):
        run_or_load(cfg, cache)
    (work,) = partial_folders(cache)
    return cfg, work


def test_uninterrupted_run_leaves_no_work_folder(tmp_path: Path, reference: dict[str, np.ndarray]) -> None:
    result = run_or_load(TwoNets(num_threads=1), tmp_path)
    same_arrays(result.arrays, reference)
    assert partial_folders(tmp_path) == []
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".npz"]


@pytest.mark.parametrize("keep_seconds", [0.0, 1e9])
def test_interrupted_run_resumes_without_retraining(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, np.ndarray], keep_seconds: float
) -> None:
    """Stopped in the second network's third epoch: the first is reloaded, the second resumed."""
    cfg = TwoNets(num_threads=1)
    per_net = steps_per_network(cfg)
    monkeypatch.setattr(_partial, "RESUME_SECONDS", keep_seconds)
    stop = per_net + 2 * (per_net // cfg.epochs) + 2  # inside the second network's third epoch
    Steps(monkeypatch, stop=stop)
    with pytest.raises(KeyboardInterrupt):
        run_or_load(cfg, tmp_path)
    (work,) = partial_folders(tmp_path)
    assert not list(tmp_path.glob("*.npz"))  # no entry from an interrupted run
    nets = sorted(p.name for p in work.iterdir() if p.is_dir())
    assert [n.split("-")[:3] for n in nets] == [["fit", "001", "seed0"], ["fit", "002", "seed1"]]
    assert json.loads((work / "run.json").read_text())["key"] == cfg.key()

    steps = Steps(monkeypatch)
    result = run_or_load(cfg, tmp_path)
    same_arrays(result.arrays, reference)  # bit-identical to the run that was never stopped
    # the first network is only reloaded; the second resumes from its last kept epoch (or,
    # when nothing of it was kept yet, trains again): never is the first one trained again
    kept_epochs = 2 if keep_seconds == 0.0 else 0
    assert steps.count == per_net - kept_epochs * (per_net // cfg.epochs)
    assert partial_folders(tmp_path) == []


def test_work_kept_by_another_version_is_discarded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, np.ndarray], caplog: Any
) -> None:
    cfg, work = interrupted_in_second_network(tmp_path, monkeypatch)
    identity = json.loads((work / "run.json").read_text())
    identity["versions"]["torch"] = "0.0.1"
    (work / "run.json").write_text(json.dumps(identity))
    steps = Steps(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="svcca.experiments"):
        result = run_or_load(cfg, tmp_path)
    assert "discarding" in caplog.text
    assert steps.count == 2 * steps_per_network(cfg)  # both trained again
    same_arrays(result.arrays, reference)


def test_an_interrupted_forced_run_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, np.ndarray]
) -> None:
    # --force cleared the kept networks, and its Ctrl-C message said to rerun without --force,
    # which loaded the old entry: a forced recompute could never be continued
    cfg = TwoNets(num_threads=1)
    run_or_load(cfg, tmp_path)  # an entry exists: only force recomputes it
    Steps(monkeypatch, stop=steps_per_network(cfg) + 3)
    with pytest.raises(KeyboardInterrupt):
        run_or_load(cfg, tmp_path, force=True)
    steps = Steps(monkeypatch)
    result = run_or_load(cfg, tmp_path, force=True)
    assert not result.from_cache and steps.count == steps_per_network(cfg)  # the first is kept
    same_arrays(result.arrays, reference)
    assert partial_folders(tmp_path) == []


def test_damaged_kept_file_trains_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, np.ndarray], caplog: Any
) -> None:
    cfg, work = interrupted_in_second_network(tmp_path, monkeypatch)
    first = sorted(p for p in work.iterdir() if p.is_dir())[0] / "resume.pt"
    first.write_bytes(first.read_bytes()[:-40])  # truncated: its digest no longer matches
    steps = Steps(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="svcca.experiments"):
        result = run_or_load(cfg, tmp_path)
    assert "again from the start" in caplog.text
    assert steps.count == 2 * steps_per_network(cfg)  # the damaged first and the unfinished second
    same_arrays(result.arrays, reference)


def test_a_run_in_progress_elsewhere_is_not_shared(tmp_path: Path, reference: dict[str, np.ndarray]) -> None:
    """The work folder is locked: a second process running the same experiment keeps nothing."""
    fcntl = pytest.importorskip("fcntl")
    cfg = TwoNets(num_threads=1)
    work = tmp_path / f"{cfg.experiment}-{cfg.key()[:20]}{_partial.PARTIAL_SUFFIX}"
    work.mkdir()
    with (work / "lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_or_load(cfg, tmp_path)
        assert [p.name for p in work.iterdir()] == ["lock"]  # nothing written into the held folder
    same_arrays(result.arrays, reference)


def test_outside_run_or_load_nothing_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    TwoNets(num_threads=1, seeds=(0,)).run()
    assert list(tmp_path.iterdir()) == []
    assert _partial.network_folder(MLP(hidden=(4,), seed=0), 0) is None


def test_network_folder_names_the_initial_weights() -> None:
    a, b = MLP(hidden=(4,), seed=0), MLP(hidden=(4,), seed=1)
    assert state_digest(a) == state_digest(MLP(hidden=(4,), seed=0))
    assert state_digest(a) != state_digest(b)


def test_learning_dynamics_resumes_its_snapshots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshots go to the kept folder: an interrupted run, and one missing a snapshot, resume."""
    cfg = book_config("learning_dynamics.mlp", scale="tiny")
    monkeypatch.setattr(_partial, "RESUME_SECONDS", 0.0)
    reference = run_or_load(cfg, tmp_path / "ref").arrays
    cache = tmp_path / "cache"
    counter = Steps(monkeypatch)
    run_or_load(cfg, tmp_path / "count")
    total = counter.count
    Steps(monkeypatch, stop=total - 3)
    with pytest.raises(KeyboardInterrupt):
        run_or_load(cfg, cache)
    (work,) = partial_folders(cache)
    last = sorted(p for p in work.iterdir() if p.is_dir())[0]
    snapshots = sorted(last.glob("step_*.pt"))
    snapshots[1].unlink()  # removed by hand: the network is trained again, not measured without it
    result = run_or_load(cfg, cache)
    same_arrays(result.arrays, reference)
    assert partial_folders(cache) == []


def test_train_keeps_its_state_once_a_minute() -> None:
    """``resume_seconds``: the resume state is written when due and always at the end."""
    digits = load_digits()
    writes: list[str] = []
    real = train_module._atomic_save

    def counted(obj: Any, path: Path) -> None:
        writes.append(path.name)
        real(obj, path)

    import tempfile

    with pytest.MonkeyPatch.context() as mp, tempfile.TemporaryDirectory() as folder:
        mp.setattr(train_module, "_atomic_save", counted)
        kwargs = {"epochs": 3, "seed": 0, "progress": False, "checkpoint_dir": folder}
        net = MLP(hidden=(8,), seed=0)
        train(net, digits.train, resume_seconds=1e9, checkpoint_steps=(1, 2), **kwargs)
        assert writes == ["step_00000001.pt", "step_00000002.pt", "resume.pt"]
        writes.clear()
        again = MLP(hidden=(8,), seed=0)
        train(again, digits.train, resume_seconds=1e9, checkpoint_steps=(1, 2), **kwargs)
        assert writes == []  # finished: only reloaded
        for p, q in zip(net.parameters(), again.parameters(), strict=True):
            assert torch.equal(p, q)
    writes.clear()
    with pytest.MonkeyPatch.context() as mp, tempfile.TemporaryDirectory() as folder:
        mp.setattr(train_module, "_atomic_save", counted)
        train(MLP(hidden=(8,), seed=0), digits.train, epochs=3, seed=0, progress=False, checkpoint_dir=folder)
        assert writes == ["resume.pt"] * 3  # the default: every epoch


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "60", True])
def test_train_refuses_bad_resume_seconds(bad: Any) -> None:
    with pytest.raises(ValueError, match="resume_seconds"):
        train(MLP(hidden=(4,), seed=0), load_digits().train, epochs=1, resume_seconds=bad, progress=False)


def test_work_kept_on_another_device_is_discarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, work = interrupted_in_second_network(tmp_path, monkeypatch)
    identity = json.loads((work / "run.json").read_text())
    assert identity["device"] == "cpu"
    (work / "run.json").write_text(json.dumps({**identity, "device": "cuda"}))
    steps = Steps(monkeypatch)
    run_or_load(cfg, tmp_path)
    assert steps.count == 2 * steps_per_network(cfg)


def test_kept_paths_of_the_wrong_kind_are_trained_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, np.ndarray]
) -> None:
    # a resume.pt that is a folder raised IsADirectoryError, a file in place of a network's
    # folder FileExistsError, and a lock that is a folder left the work folder for good
    cfg, work = interrupted_in_second_network(tmp_path, monkeypatch)
    first, second = sorted(p for p in work.iterdir() if p.is_dir())
    (first / "resume.pt").unlink()
    (first / "resume.pt").mkdir()
    import shutil

    shutil.rmtree(second)
    second.write_bytes(b"not a folder")
    (work / "lock").unlink()
    (work / "lock").mkdir()
    steps = Steps(monkeypatch)
    result = run_or_load(cfg, tmp_path)
    assert steps.count == 2 * steps_per_network(cfg)
    same_arrays(result.arrays, reference)
    assert partial_folders(tmp_path) == []


def test_networks_with_a_freeze_callable_are_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # freeze_training's convergence test keeps its own state (what it saw, what it froze):
    # a reloaded network skipped it, and the stability came back NaN
    cfg = book_config("freeze_training", scale="tiny")
    reference = run_or_load(cfg, tmp_path / "ref").arrays
    counter = Steps(monkeypatch)
    run_or_load(cfg, tmp_path / "count")
    Steps(monkeypatch, stop=counter.count - 2)
    with pytest.raises(KeyboardInterrupt):
        run_or_load(cfg, tmp_path / "cache")
    (work,) = partial_folders(tmp_path / "cache")
    monkeypatch.setattr(_partial, "RESUME_SECONDS", 0.0)
    result = run_or_load(cfg, tmp_path / "cache")
    same_arrays(result.arrays, reference)


def test_a_snapshot_file_of_another_step_is_refused() -> None:
    import tempfile

    digits = load_digits()
    with tempfile.TemporaryDirectory() as run:
        train(MLP(hidden=(8,), seed=0), digits.train, epochs=1, seed=0, progress=False,
              checkpoint_dir=run, checkpoint_steps=(0, 5))  # fmt: skip
        folder = Path(run)
        (folder / "step_00000005.pt").write_bytes((folder / "step_00000000.pt").read_bytes())
        with pytest.raises(ValueError, match=r"holds step 0, not the step its name says \(5\)"):
            train_module.load_checkpoint(folder, step=5)
