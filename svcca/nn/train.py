"""Seeded, resumable training with checkpoints at chosen steps, and freeze training.

One function, :func:`train`, covers what the experiments need: classification and
next-token language modelling (the loss is cross-entropy over the last axis of the logits),
training for a number of epochs or until a target training accuracy (memorizing
networks), seeded augmentation, snapshots at chosen steps for learning-dynamics analyses,
and freeze training (Raghu et al. 2017).

Reproducibility and files:

* The run is seeded by ``seed`` alone: the epoch order is ``torch.randperm`` of a generator
  seeded from ``(seed, epoch)``, augmentation draws from its own generator, and dropout from
  the torch RNG seeded inside :func:`torch.random.fork_rng` (the caller's global random
  state is left untouched). On CPU, with ``deterministic=True``
  (``torch.use_deterministic_algorithms``), the same call gives bit-identical weights.
* ``checkpoint_dir/step_XXXXXXXX.pt``: a snapshot at each step of ``checkpoint_steps``
  (``{"model": state_dict, "meta": {...}}``: plain data only, so it loads with
  ``torch.load(..., weights_only=True)``).
* ``checkpoint_dir/resume.pt``: the full training state (model, optimizer, RNG states,
  history, step), rewritten at every snapshot, every ``resume_every`` steps and at the end
  of every epoch. Every file is written through :func:`svcca._io.atomic_write` (temp file
  in the same folder, fsync, ``os.replace``), so a half-written file is never read, and
  carries the sha256 of its content (key ``"sha256"``): a file whose content does not
  match is refused with a message naming the file to delete, never used. Calling
  :func:`train` again with the same arguments resumes from ``resume.pt``, reproducing the
  uninterrupted run exactly on CPU; after a finished run it only reloads the weights.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import numbers
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from .._io import atomic_write, load_torch, remove_stale_temps
from .._validation import check_int
from .utils import _ordered_loader, check_device, eval_mode, get_items, state_digest

__all__ = [
    "Checkpoint",
    "StepInfo",
    "TrainHistory",
    "checkpoint_schedule",
    "evaluate",
    "freeze_schedule",
    "iter_checkpoints",
    "list_checkpoints",
    "load_checkpoint",
    "steps_per_epoch",
    "train",
]

RESUME_FILE = "resume.pt"
_SNAPSHOT = re.compile(r"^step_(\d{8})\.pt$")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class TrainHistory:
    """What happened during training, one entry per completed epoch.

    Attributes
    ----------
    epoch : tuple of int
        1, 2, ... (the epochs completed).
    step : tuple of int
        Optimizer steps done at the end of each epoch.
    train_loss : tuple of float
        Mean training loss over the epoch's batches (train mode, augmented inputs).
    train_accuracy : tuple of float
        Accuracy on the training set at the end of the epoch: in eval mode on the
        un-augmented data when ``eval_train`` (default), else the running accuracy of the
        epoch's batches.
    test_loss, test_accuracy : tuple of float
        On ``test_data`` in eval mode at the end of each epoch (NaN without test data).
    time_s : tuple of float
        Cumulative wall-clock seconds of training (excluding evaluation) at each epoch end.
    total_steps : int
        Optimizer steps done.
    steps_per_epoch : int
    reached_target : bool or None
        Whether ``target_train_accuracy`` was reached (None when not asked).
    checkpoints : tuple of int
        Steps with a snapshot file.
    frozen_at : dict of str -> int
        Step at which each frozen layer stopped training (freeze training).
    flops, flops_full : float
        Estimated training FLOPs (forward + backward, counted by
        ``torch.utils.flop_counter`` on one batch of each freezing state, per sample) done,
        and what the same samples would have cost without freezing.
    parameter_updates, parameter_updates_full : int
        Sum over steps of the number of parameters updated, with and without freezing.

    Examples
    --------
    >>> from svcca.nn.train import TrainHistory
    >>> h = TrainHistory(epoch=(1, 2), test_accuracy=(0.81, 0.9), flops=3.0, flops_full=4.0)
    >>> h.final_test_accuracy, h.compute_saved
    (0.9, 0.25)
    >>> TrainHistory.from_dict(h.to_dict()) == h
    True
    """

    epoch: tuple[int, ...] = ()
    step: tuple[int, ...] = ()
    train_loss: tuple[float, ...] = ()
    train_accuracy: tuple[float, ...] = ()
    test_loss: tuple[float, ...] = ()
    test_accuracy: tuple[float, ...] = ()
    time_s: tuple[float, ...] = ()
    total_steps: int = 0
    steps_per_epoch: int = 0
    reached_target: bool | None = None
    checkpoints: tuple[int, ...] = ()
    frozen_at: dict[str, int] = field(default_factory=dict)
    flops: float = 0.0
    flops_full: float = 0.0
    parameter_updates: int = 0
    parameter_updates_full: int = 0

    @property
    def compute_saved(self) -> float:
        """Fraction of training FLOPs saved by freezing, ``1 - flops / flops_full`` (0 without freezing)."""
        return 0.0 if self.flops_full <= 0 else 1.0 - self.flops / self.flops_full

    @property
    def updates_saved(self) -> float:
        """Fraction of parameter updates saved by freezing."""
        full = self.parameter_updates_full
        return 0.0 if full <= 0 else 1.0 - self.parameter_updates / full

    @property
    def final_test_accuracy(self) -> float:
        """Test accuracy after the last epoch (NaN when none)."""
        return self.test_accuracy[-1] if self.test_accuracy else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable fields (lists instead of tuples)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainHistory:
        """Inverse of :meth:`to_dict`."""
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**fields)


class StepInfo(NamedTuple):
    """Passed to ``callback`` after every optimizer step."""

    step: int
    epoch: int
    loss: float


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A loaded snapshot: the step, the model's ``state_dict`` and plain metadata."""

    step: int
    epoch: int
    state_dict: dict[str, torch.Tensor]
    meta: dict[str, Any]
    path: Path

    @property
    def history(self) -> TrainHistory:
        """The training history up to this snapshot."""
        return TrainHistory.from_dict(self.meta["history"])


# --------------------------------------------------------------------------- helpers


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    """Count the optimizer steps of one epoch: ``ceil(n_samples / batch_size)``.

    Parameters
    ----------
    n_samples : int
        Training samples.
    batch_size : int
        Samples per step; the last batch may be smaller.

    Returns
    -------
    int
        At least 1 for a non-empty training set.

    Examples
    --------
    >>> from svcca.nn.train import steps_per_epoch
    >>> steps_per_epoch(1000, 128), steps_per_epoch(1024, 128)
    (8, 8)
    """
    return -(-int(n_samples) // int(batch_size))


def checkpoint_schedule(total_steps: int, n: int = 20, *, spacing: str = "log") -> tuple[int, ...]:
    """Choose about ``n`` checkpoint steps in ``[0, total_steps]``, including both ends.

    Parameters
    ----------
    total_steps : int
        The last optimizer step (at least 1).
    n : int, default=20
        How many steps to aim for (at least 2); rounding may merge a few early ones.
    spacing : {"log", "linear"}, default="log"
        ``"log"`` places them geometrically (dense early, where representations change
        fastest; Raghu et al. 2017 analyse learning dynamics this way); ``"linear"`` evenly.

    Returns
    -------
    tuple of int
        Distinct steps, ascending, starting at 0 and ending at ``total_steps``.

    Raises
    ------
    ValueError
        For ``total_steps < 1``, ``n < 2`` or an unknown ``spacing``.

    Examples
    --------
    >>> from svcca.nn.train import checkpoint_schedule
    >>> checkpoint_schedule(1000, 6)
    (0, 1, 6, 32, 178, 1000)
    >>> checkpoint_schedule(100, 5, spacing="linear")
    (0, 25, 50, 75, 100)
    """
    if total_steps < 1 or n < 2:
        raise ValueError(f"need total_steps >= 1 and n >= 2; got total_steps={total_steps}, n={n}")
    if spacing == "linear":
        steps = np.linspace(0, total_steps, n)
    elif spacing == "log":
        # np.geomspace(1, total, 1) is [1], not [total]: with n = 2 the two ends are the schedule
        steps = (
            np.concatenate([[0], np.geomspace(1, total_steps, n - 1)])
            if n > 2
            else np.array([0, total_steps])
        )
    else:
        raise ValueError(f"spacing must be one of 'log', 'linear'; got {spacing!r}")
    return tuple(sorted({int(round(s)) for s in steps}))


def freeze_schedule(
    layers: Sequence[str], *, start: float = 0.25, stop: float = 0.75, keep_last: int = 1
) -> dict[str, float]:
    """Schedule freeze training: layer ``i`` (input side first) stops at a growing fraction of training.

    The first ``len(layers) - keep_last`` layers are frozen at fractions spaced evenly from
    ``start`` to ``stop``; the last ``keep_last`` (the classifier) train to the end.

    Parameters
    ----------
    layers : sequence of str
        Layer names, input side first.
    start, stop : float, default=0.25, 0.75
        Fractions of training at which the first and the last frozen layer stop;
        ``0 <= start <= stop <= 1``.
    keep_last : int, default=1
        Layers at the output side that are never frozen.

    Returns
    -------
    dict of str -> float
        ``{layer: fraction of training at which it is frozen}``, for the frozen layers only.

    Raises
    ------
    ValueError
        When ``start`` and ``stop`` are not ordered within [0, 1].

    Examples
    --------
    >>> from svcca.nn.train import freeze_schedule
    >>> freeze_schedule(["conv1", "conv2", "conv3", "logits"], start=0.2, stop=0.6)
    {'conv1': 0.2, 'conv2': 0.4, 'conv3': 0.6}
    """
    # keep_last=-1 froze the classifier too
    keep_last = int(check_int(keep_last, "keep_last", minimum=0))  # type: ignore[arg-type]
    frozen = list(layers)[: max(0, len(layers) - keep_last)]
    if not 0.0 <= start <= stop <= 1.0:
        raise ValueError(f"need 0 <= start <= stop <= 1; got start={start}, stop={stop}")
    if len(frozen) == 1:
        return {frozen[0]: float(start)}
    return {
        name: float(round(start + i * (stop - start) / (len(frozen) - 1), 12))
        for i, name in enumerate(frozen)
    }


_DIGEST_KEY = "sha256"


def _digest(obj: Any) -> str:
    """Hash a checkpoint's content with sha256.

    Every tensor's dtype, shape and bytes, and the plain data around them, in order (so one
    flipped bit anywhere in a weight changes it).
    """
    h = hashlib.sha256()

    def feed(x: Any) -> None:
        if isinstance(x, torch.Tensor):
            t = x.detach().cpu().contiguous()
            h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
            if t.numel():
                h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
        elif isinstance(x, Mapping):
            h.update(f"D{len(x)}".encode())
            for k, v in x.items():
                feed(k)
                feed(v)
        elif isinstance(x, (list, tuple)):
            h.update(f"{type(x).__name__[0]}{len(x)}".encode())
            for v in x:
                feed(v)
        else:
            h.update(f"{type(x).__name__}:{x!r};".encode())

    feed(obj)
    return h.hexdigest()


def _atomic_save(obj: dict[str, Any], path: Path) -> None:
    """``torch.save`` of ``obj`` plus its content digest, through the one atomic writer."""
    blob = {**obj, _DIGEST_KEY: _digest(obj)}
    atomic_write(path, lambda fh: torch.save(blob, fh))


def _load_verified(path: Path, map_location: Any, what: str) -> dict[str, Any]:
    """Load a checkpoint written by :func:`_atomic_save` and check its digest.

    The message says which file to delete when anything is wrong with it. A snapshot is
    written only as the run passes its step, so its advice names the run's resume file
    too: a run that resumed past the step (or had finished) would not write it again.
    """
    advice = f"delete {path} and run the training again"
    if what == "snapshot":
        advice = (
            f"delete {path} and the run's {path.parent / RESUME_FILE}, and run the training again "
            "(from the start: a resumed or finished run does not write a snapshot it has passed)"
        )
    try:
        blob = load_torch(path, map_location=map_location)
    except ValueError as exc:
        raise ValueError(f"the {what} cannot be used: {exc}; {advice}") from None
    if not isinstance(blob, dict) or not isinstance(blob.get(_DIGEST_KEY), str):
        raise ValueError(
            f"the {what} {path} has no integrity digest (damaged, or not written by svcca); {advice}"
        )
    content = {k: v for k, v in blob.items() if k != _DIGEST_KEY}
    if _digest(content) != blob[_DIGEST_KEY]:
        raise ValueError(
            f"the {what} {path} is corrupted: its content does not match the sha256 stored with it; {advice}"
        )
    return content


def list_checkpoints(checkpoint_dir: str | os.PathLike[str]) -> dict[int, Path]:
    """Find the snapshot files ``step_XXXXXXXX.pt`` of a run (temporary files are ignored).

    Parameters
    ----------
    checkpoint_dir : path
        The run's ``checkpoint_dir`` (see :func:`train`).

    Returns
    -------
    dict of int -> pathlib.Path
        ``{step: file}``, by ascending step; empty when the folder does not exist.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from svcca.nn.train import list_checkpoints
    >>> with tempfile.TemporaryDirectory() as run:
    ...     for name in ("step_00000010.pt", "step_00000002.pt", "resume.pt"):
    ...         _ = (Path(run) / name).write_bytes(b"")
    ...     {step: p.name for step, p in list_checkpoints(run).items()}
    {2: 'step_00000002.pt', 10: 'step_00000010.pt'}
    """
    folder = Path(checkpoint_dir)
    if not folder.is_dir():
        return {}
    found = {int(m.group(1)): p for p in folder.iterdir() if (m := _SNAPSHOT.match(p.name))}
    return dict(sorted(found.items()))


def load_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module | None = None,
    *,
    step: int | None = None,
    map_location: Any = "cpu",
) -> Checkpoint:
    """Load a snapshot (``weights_only=True``), optionally into ``model``.

    Parameters
    ----------
    path : path
        A snapshot file, or a checkpoint folder together with ``step`` (default: its
        latest snapshot).
    model : torch.nn.Module, optional
        Receives the weights (``load_state_dict``, strict).
    step : int, optional
        The snapshot to load when ``path`` is a folder; default: the latest.
    map_location : str, torch.device or callable, default="cpu"
        As in :func:`torch.load`.

    Returns
    -------
    Checkpoint
        ``step``, ``epoch``, ``state_dict``, ``meta`` (with the training ``history``) and
        the ``path`` read.

    Raises
    ------
    ValueError
        When the file is damaged (its content does not match its sha256), unreadable, or
        holds Python objects other than tensors; the message names the file to delete.
    FileNotFoundError
        When a folder holds no snapshot, or none for ``step``.

    Examples
    --------
    >>> import tempfile
    >>> from svcca.nn.data import load_digits
    >>> from svcca.nn.models import MLP
    >>> from svcca.nn.train import train, load_checkpoint
    >>> digits, net = load_digits(), MLP(hidden=(16,), seed=0)
    >>> with tempfile.TemporaryDirectory() as run:
    ...     _ = train(net, digits.train, epochs=1, checkpoint_dir=run, checkpoint_steps=(0, 11),
    ...               progress=False)
    ...     ck = load_checkpoint(run, MLP(hidden=(16,)))
    ...     ck.step, ck.epoch, ck.history.total_steps
    (11, 1, 11)
    """
    step = check_int(step, "step", minimum=0, allow_none=True)  # "11" found no step 11 among [0, 11]
    path = Path(path)
    folder_given = path.is_dir()
    if folder_given:
        snaps = list_checkpoints(path)
        if not snaps:
            raise FileNotFoundError(f"no snapshot step_XXXXXXXX.pt in {path}")
        if step is None:
            step = max(snaps)
        if step not in snaps:
            raise FileNotFoundError(f"no snapshot for step {step} in {path}; available: {sorted(snaps)}")
        path = snaps[step]
    blob = _load_verified(path, map_location, "snapshot")
    if "meta" not in blob:  # resume.pt: the full training state, not a snapshot
        raise ValueError(
            f"{path} is a run's resume state, not a snapshot; load a step_XXXXXXXX.pt file, or the "
            f"folder ({path.parent}) with step="
        )
    meta = blob["meta"]
    if not folder_given and step is not None and int(meta["step"]) != step:  # said, not ignored
        raise ValueError(
            f"{path} holds step {int(meta['step'])}, not step={step}; pass the folder to pick a step"
        )
    named = _SNAPSHOT.match(path.name)
    if named and int(named.group(1)) != int(meta["step"]):  # intact, but another step's file
        raise ValueError(
            f"the snapshot {path} holds step {int(meta['step'])}, not the step its name says "
            f"({int(named.group(1))}): a file copied or renamed over it. Delete it and the run's "
            f"{path.parent / RESUME_FILE}, and run the training again"
        )
    if model is not None:
        model.load_state_dict(blob["model"])
    return Checkpoint(
        step=int(meta["step"]), epoch=int(meta["epoch"]), state_dict=blob["model"], meta=meta, path=path
    )


def iter_checkpoints(
    checkpoint_dir: str | os.PathLike[str],
    model: nn.Module,
    steps: Iterable[int] | None = None,
    *,
    map_location: Any = "cpu",
) -> Iterator[Checkpoint]:
    """Load each snapshot of a run into ``model`` in turn (learning-dynamics analyses).

    Parameters
    ----------
    checkpoint_dir : path
        The run's ``checkpoint_dir`` (see :func:`train`).
    model : torch.nn.Module
        Receives the weights of each snapshot before it is yielded (record its
        activations inside the loop).
    steps : iterable of int, optional
        Default: every snapshot, in step order.
    map_location : str, torch.device or callable, default="cpu"
        As in :func:`torch.load`.

    Yields
    ------
    Checkpoint

    Raises
    ------
    FileNotFoundError
        When a step of ``steps`` has no snapshot; the message lists the available ones.

    Examples
    --------
    >>> import tempfile
    >>> from svcca.nn import MLP, iter_checkpoints, load_digits, train
    >>> digits, net = load_digits(), MLP(hidden=(16,), seed=0)
    >>> with tempfile.TemporaryDirectory() as run:
    ...     _ = train(net, digits.train, epochs=2, checkpoint_dir=run, checkpoint_steps=(0, 11, 22),
    ...               progress=False)
    ...     [ck.step for ck in iter_checkpoints(run, MLP(hidden=(16,)))]
    [0, 11, 22]
    """
    snaps = list_checkpoints(checkpoint_dir)
    wanted = sorted(snaps) if steps is None else list(steps)
    missing = [s for s in wanted if s not in snaps]
    if missing:
        raise FileNotFoundError(
            f"no snapshot for step(s) {missing} in {checkpoint_dir}; available: {sorted(snaps)}"
        )
    for step in wanted:
        yield load_checkpoint(snaps[step], model, map_location=map_location)


def _loss_and_correct(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy over the last axis (classes or vocabulary) and the number of correct argmaxes."""
    flat = logits.reshape(-1, logits.shape[-1])
    y = targets.reshape(-1)
    return F.cross_entropy(flat, y), (flat.argmax(1) == y).sum()


def _fast(dataset: Any) -> bool:
    return isinstance(dataset, TensorDataset) or hasattr(dataset, "get_batch")


def _xy_batches(data: Any, batch_size: int, num_workers: int = 0) -> Iterator[tuple[Any, Any]]:
    if isinstance(data, DataLoader):
        for b in data:
            yield b[0], b[1]
        return
    if _fast(data):
        n = len(data)
        for i in range(0, n, batch_size):
            yield get_items(data, torch.arange(i, min(i + batch_size, n)))
        return
    for b in _ordered_loader(data, batch_size, num_workers=num_workers):
        yield b[0], b[1]


def evaluate(
    model: nn.Module,
    data: Dataset | DataLoader,
    *,
    batch_size: int = 1024,
    device: str | torch.device | None = None,
    num_workers: int = 0,
) -> tuple[float, float]:
    """Compute the mean cross-entropy and accuracy of ``model`` on ``data``.

    In eval mode, without gradients; every submodule's training mode is restored. For language
    models both are per token.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch of inputs to logits (classes or vocabulary on the last axis).
    data : Dataset or DataLoader
        ``(inputs, targets)`` items or batches.
    batch_size : int, default=1024
        For datasets (a ``DataLoader`` keeps its own).
    device : str or torch.device, optional
        Default: the model's device.
    num_workers : int, default=0
        Loader workers for datasets that are not tensors in memory.

    Returns
    -------
    loss, accuracy : float
        Mean cross-entropy and the fraction of correct argmaxes.

    Raises
    ------
    ValueError
        When ``data`` is empty.

    Examples
    --------
    >>> from svcca.nn.data import load_digits
    >>> from svcca.nn.models import MLP
    >>> from svcca.nn.train import evaluate
    >>> loss, acc = evaluate(MLP(seed=0), load_digits().test)
    >>> 0.0 <= acc <= 0.3  # untrained: about chance
    True
    """
    if device is None:
        p = next(model.parameters(), None)
        device = p.device if p is not None else torch.device("cpu")
    device = torch.device(check_device(device))
    total_loss, correct, count = 0.0, 0, 0
    with eval_mode(model), torch.no_grad():
        for x, y in _xy_batches(data, batch_size, num_workers):
            x, y = x.to(device), y.to(device)
            loss, c = _loss_and_correct(model(x), y)
            k = y.numel()
            total_loss += float(loss) * k
            correct += int(c)
            count += k
    if count == 0:
        raise ValueError("data is empty")
    return total_loss / count, correct / count


@contextlib.contextmanager
def _deterministic(enabled: bool, device: torch.device) -> Iterator[None]:
    prev = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    prev_cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    if enabled:
        if device.type == "cuda":
            # needed by cuBLAS for deterministic matmuls; effective if set before cuBLAS starts
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
        # on accelerators some ops have no deterministic kernel: warn instead of failing there
        torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(prev[0], warn_only=prev[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = prev_cudnn


def _rng_devices(device: torch.device) -> list[int]:
    if device.type == "cuda":
        return [device.index if device.index is not None else torch.cuda.current_device()]
    return []


def _make_optimizer(
    optimizer: str | Callable[..., torch.optim.Optimizer],
    params: Iterable[nn.Parameter],
    lr: float,
    momentum: float,
    weight_decay: float,
) -> torch.optim.Optimizer:
    if callable(optimizer):
        return optimizer(params)
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'adam', 'sgd' or a callable(params) -> Optimizer; got {optimizer!r}")


def _lr_factor(schedule: str | None, step: int, total: int) -> float:
    if schedule in (None, "constant"):
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))
    raise ValueError(f"lr_schedule must be None, 'constant' or 'cosine'; got {schedule!r}")


def _apply_frozen(model: nn.Module, names: Iterable[str]) -> None:
    """Stop training the named layers: no gradients for their parameters, eval mode for their norms."""
    for name in names:
        module = model.get_submodule(name)
        for p in module.parameters():
            p.requires_grad_(False)
        module.eval()


# --------------------------------------------------------------------------- training


def _check_steps(steps: Any) -> list[int]:
    """Snapshot steps as sorted distinct ints; a string or a fraction is refused (``"12"`` read as 1, 2)."""
    if isinstance(steps, (str, bytes)) or not isinstance(steps, Iterable):
        raise TypeError(f"checkpoint_steps must be a sequence of ints (optimizer steps); got {steps!r}")
    values = list(steps)
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, numbers.Integral)]
    if bad:
        raise TypeError(f"checkpoint_steps must be ints (optimizer steps); got {bad[0]!r} in {values!r}")
    return sorted({int(v) for v in values})


def _targets_digest(data: Any) -> str | None:
    """Digest of a dataset's targets where they can be read without loading every input, else None."""
    from .data import dataset_targets

    if not isinstance(data, torch.utils.data.TensorDataset) and getattr(data, "targets", None) is None:
        return None
    t = torch.as_tensor(dataset_targets(data)).detach().cpu().contiguous()
    h = hashlib.blake2b(f"{t.dtype}|{tuple(t.shape)}|".encode(), digest_size=8)
    h.update(t.view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _check_no_other_run(folder: Path, config: dict[str, Any]) -> None:
    """Refuse to start a run in a folder whose snapshots another configuration wrote.

    A new run overwrites only the snapshots at its own steps: the others would stay, and
    :func:`iter_checkpoints` would mix two runs. The snapshots of an interrupted run of the
    same configuration are rewritten identically, and allowed.
    """
    found = sorted(folder.glob("step_*.pt"))
    written = folder / RESUME_FILE if (folder / RESUME_FILE).is_file() else (found[0] if found else None)
    if written is None:
        return
    blob = _load_verified(written, "cpu", "resume file" if written.name == RESUME_FILE else "snapshot")
    saved = blob["config"] if "config" in blob else blob.get("meta", {}).get("config", {})
    if saved != config:
        diff = {k: (saved.get(k), v) for k, v in config.items() if saved.get(k) != v}
        raise ValueError(
            f"{folder} holds the snapshots of another training run ({len(found)} step_*.pt, written with "
            f"(saved, now): {diff}); a new run would mix its snapshots with them: use another "
            "checkpoint_dir, or delete that run's files"
        )


def train(
    model: nn.Module,
    train_data: Dataset,
    *,
    test_data: Dataset | None = None,
    epochs: int = 10,
    batch_size: int = 128,
    optimizer: str | Callable[..., torch.optim.Optimizer] = "adam",
    lr: float = 1e-3,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    lr_schedule: str | None = None,
    grad_clip: float | None = None,
    seed: int = 0,
    augment: Callable[..., torch.Tensor] | None = None,
    device: str | torch.device = "cpu",
    checkpoint_dir: str | os.PathLike[str] | None = None,
    checkpoint_steps: Iterable[int] = (),
    resume: bool = True,
    resume_every: int | None = None,
    resume_seconds: float | None = None,
    target_train_accuracy: float | None = None,
    freeze: Mapping[str, float] | Callable[[int, nn.Module], Iterable[str]] | None = None,
    eval_train: bool = True,
    eval_batch_size: int = 1024,
    num_workers: int = 0,
    deterministic: bool | None = None,
    progress: bool = True,
    callback: Callable[[StepInfo], Any] | None = None,
) -> TrainHistory:
    """Train a classifier or language model in place; seeded, checkpointed and resumable.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits ``(batch, classes)`` or ``(batch, positions, vocab)``; moved to ``device``.
    train_data : Dataset
        Items ``(input, target)``; targets are class indices ``(batch,)`` or token ids
        ``(batch, positions)``. ``TensorDataset`` and datasets with ``get_batch`` are
        batched by tensor indexing (fast); others through a ``DataLoader``.
    test_data : Dataset, optional
        Evaluated at the end of every epoch.
    epochs : int, default=10
        Number of epochs, or the maximum with ``target_train_accuracy``.
    batch_size : int, default=128
    optimizer : {"adam", "sgd"} or callable, default="adam"
        A callable receives the parameters and returns an optimizer.
    lr, momentum, weight_decay : float
        Momentum is used by SGD only.
    lr_schedule : {None, "constant", "cosine"}, default=None
        Cosine decays the learning rate to 0 over ``epochs * steps_per_epoch`` steps.
    grad_clip : float, optional
        Clip the global gradient norm (language models).
    seed : int, default=0
        The only source of randomness of the run (shuffling, augmentation, dropout). The
        model's initialisation is seeded where it is built (``seed=`` of the models).
    augment : callable, optional
        ``augment(inputs, generator) -> inputs`` on each training batch, e.g.
        :class:`svcca.nn.data.RandomShift`; it must draw only from ``generator``.
    device : str or torch.device, default="cpu"
        ``"cuda"`` trains on the GPU; ``"auto"`` on the GPU when one is usable. A device
        torch does not know, or one this machine lacks, is a ``ValueError``.
    checkpoint_dir : path, optional
        Where snapshots and the resume state go; required for ``checkpoint_steps`` and
        resuming.
    checkpoint_steps : iterable of int, default=()
        Optimizer steps after which to write a snapshot (0 = the initial model); see
        :func:`checkpoint_schedule` and :func:`steps_per_epoch`. A snapshot at the last
        step of an epoch is written after that epoch's evaluation, so its history has it.
    resume : bool, default=True
        Continue from ``checkpoint_dir/resume.pt`` when present. Its configuration must
        match this call's, else ``ValueError``: the options, and digests of the network the
        call starts from (:func:`svcca.nn.utils.state_digest`) and of the training targets
        (where the dataset holds them as a tensor or a ``targets`` attribute). A run that
        starts afresh refuses a folder holding another configuration's snapshots, which
        :func:`iter_checkpoints` would mix with its own.
    resume_every : int, optional
        Also save the resume state every this many steps (it is always saved at each
        snapshot and at the end of each epoch).
    resume_seconds : float, optional
        Save the resume state at a snapshot or the end of an epoch only when at least this
        many seconds have passed since it was last saved (it is always saved when the run
        finishes, and every ``resume_every`` steps). Default None: at every snapshot and
        the end of every epoch. A run of many short epochs then writes a file a minute,
        say, instead of one per epoch, and an interruption loses at most that much work.
    target_train_accuracy : float, optional
        Stop after the first epoch whose training accuracy reaches it (e.g. 1.0 for
        memorizing networks).
    freeze : dict of str -> float, optional
        Freeze training: layer name -> fraction of the ``epochs * steps_per_epoch`` steps
        after which it stops training (its parameters get no gradient and its batch-norm
        statistics are fixed). See :func:`freeze_schedule`. A callable
        ``freeze(epoch, model) -> layer names`` decides instead, at the start of every epoch
        after the first (``epoch`` = epochs done), which layers stop training from then on
        (e.g. by a convergence test on the model; it must not draw random numbers); layers
        once frozen stay frozen.
    eval_train : bool, default=True
        Measure the training accuracy in eval mode on the whole training set each epoch
        (exact, costs about a third of an epoch); else use the running batch accuracy.
    eval_batch_size : int, default=1024
    num_workers : int, default=0
        ``DataLoader`` workers for datasets without fast batching (e.g. image folders).
    deterministic : bool, optional
        Use ``torch.use_deterministic_algorithms`` during training (restored afterwards).
        Default: on the CPU, where it is cheap and makes runs bit-reproducible; not on a GPU,
        where it slows training and some kernels (e.g. the backward pass of adaptive
        pooling) only warn that they are not deterministic. ``True`` on a GPU also sets
        cuDNN's deterministic mode and ``CUBLAS_WORKSPACE_CONFIG`` (effective when cuBLAS
        has not started yet).
    progress : bool, default=True
        tqdm bar over epochs.
    callback : callable, optional
        ``callback(StepInfo(step, epoch, loss))`` after every optimizer step (and after
        that step's checkpoint files are written).

    Returns
    -------
    TrainHistory

    Raises
    ------
    ValueError
        Bad options, or a ``resume.pt`` written by a different configuration, or one that
        is damaged (the message names the file to delete).

    References
    ----------
    M. Raghu, J. Gilmer, J. Yosinski, J. Sohl-Dickstein. SVCCA: Singular Vector Canonical
    Correlation Analysis for Deep Learning Dynamics and Interpretability. NeurIPS 2017
    (freeze training, Section 4.1).

    Examples
    --------
    >>> from svcca.nn.data import load_digits
    >>> from svcca.nn.models import MLP
    >>> from svcca.nn.train import train
    >>> digits = load_digits()
    >>> net = MLP(hidden=(64,), seed=0)
    >>> hist = train(net, digits.train, test_data=digits.test, epochs=3, seed=0, progress=False)
    >>> hist.epoch, hist.total_steps, hist.final_test_accuracy > 0.8
    ((1, 2, 3), 33, True)
    """
    from tqdm.auto import tqdm

    # ---- options
    for name, v in (("epochs", epochs), ("batch_size", batch_size), ("eval_batch_size", eval_batch_size)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int; got {v!r}")
    if resume_seconds is not None and (
        isinstance(resume_seconds, bool)
        or not isinstance(resume_seconds, (int, float))
        or not 0.0 <= resume_seconds < math.inf
    ):
        raise ValueError(f"resume_seconds must be a number of seconds >= 0, or None; got {resume_seconds!r}")
    if target_train_accuracy is not None and not 0.0 < target_train_accuracy <= 1.0:
        raise ValueError(f"target_train_accuracy must be in (0, 1]; got {target_train_accuracy}")
    if grad_clip is not None and (
        isinstance(grad_clip, bool)
        or not isinstance(grad_clip, (int, float))
        or not 0.0 < grad_clip < math.inf
    ):  # a negative norm made clip_grad_norm_ flip every gradient: training climbed the loss
        raise ValueError(
            f"grad_clip must be a finite number > 0 (a gradient norm), or None; got {grad_clip!r}"
        )
    if resume_every is not None and (
        isinstance(resume_every, bool) or not isinstance(resume_every, int) or resume_every < 1
    ):
        raise ValueError(f"resume_every must be a positive int (steps), or None; got {resume_every!r}")
    _lr_factor(lr_schedule, 0, 1)
    device = torch.device(check_device(device))
    n = len(train_data)  # type: ignore[arg-type]
    if n == 0:
        raise ValueError("train_data is empty")
    spe = steps_per_epoch(n, batch_size)
    max_steps = epochs * spe
    ckpt_steps = _check_steps(checkpoint_steps)
    if ckpt_steps and checkpoint_dir is None:
        raise ValueError("checkpoint_steps needs checkpoint_dir")
    if ckpt_steps and (ckpt_steps[0] < 0 or ckpt_steps[-1] > max_steps):
        raise ValueError(
            f"checkpoint_steps must lie in [0, {max_steps}] (epochs * steps_per_epoch); got {ckpt_steps}"
        )
    modules = dict(model.named_modules())
    decide_freeze = freeze if callable(freeze) else None
    freeze = {} if decide_freeze is not None else dict(freeze or {})  # type: ignore[arg-type]
    bad = {k: v for k, v in freeze.items() if k not in modules or not 0.0 <= float(v) <= 1.0}
    if bad:
        raise ValueError(f"freeze must map submodule names to fractions in [0, 1]; bad entries: {bad}")
    freeze_steps = {k: int(round(float(v) * max_steps)) for k, v in freeze.items()}
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(folder)

    config = {
        "model": type(model).__name__,
        "n_parameters": sum(p.numel() for p in model.parameters()),
        "n_train": n,
        "epochs": epochs,
        "batch_size": batch_size,
        "optimizer": optimizer if isinstance(optimizer, str) else getattr(optimizer, "__name__", "callable"),
        "lr": lr,
        "momentum": momentum,
        "weight_decay": weight_decay,
        "lr_schedule": lr_schedule,
        "grad_clip": grad_clip,
        "seed": seed,
        # without its memory address ("<function shift at 0x7f39...>"), which changes with every
        # process: a run with a function or lambda as augment could not be resumed in a new one
        "augment": re.sub(r" at 0x[0-9a-fA-F]+", "", repr(augment)) if augment is not None else None,
        "target_train_accuracy": target_train_accuracy,
        "freeze": {k: float(v) for k, v in freeze.items()}
        if decide_freeze is None
        else getattr(decide_freeze, "__name__", "callable"),
        "eval_train": eval_train,
        # the network it starts from and what it learns: another seed's weights or random
        # labels in the same folder were answered with the first run's finished weights
        "initial_state": state_digest(model),
        "targets": _targets_digest(train_data),
    }
    if folder is not None and not (resume and (folder / RESUME_FILE).is_file()):
        _check_no_other_run(folder, config)

    model.to(device)
    all_params = list(model.parameters())
    opt = _make_optimizer(optimizer, all_params, lr, momentum, weight_decay)
    aug_gen = torch.Generator().manual_seed(seed + 7919)

    # ---- state (restored from resume.pt when present)
    st: dict[str, Any] = {
        "step": 0,
        "epoch": 0,
        "finished": False,
        "hist": TrainHistory(steps_per_epoch=spe).to_dict(),
        "epoch_loss": 0.0,
        "epoch_correct": 0,
        "epoch_count": 0,
        "elapsed": 0.0,
        "flops_per_sample": {},
    }
    resumed = False
    if folder is not None and resume and (folder / RESUME_FILE).is_file():
        # on the CPU: RNG states must stay there; load_state_dict copies weights to the device
        blob = _load_verified(folder / RESUME_FILE, "cpu", "resume file")
        if blob["config"] != config:
            diff = {k: (blob["config"].get(k), v) for k, v in config.items() if blob["config"].get(k) != v}
            raise ValueError(
                f"{folder / RESUME_FILE} was written by a different training configuration "
                f"(saved, now): {diff}; use another checkpoint_dir, or delete that run's files"
            )
        model.load_state_dict(blob["model"])
        opt.load_state_dict(blob["optimizer"])
        aug_gen.set_state(blob["rng"]["augment"])
        st = blob["state"]
        resumed = True
        if decide_freeze is not None:  # the layers the callable froze before the interruption
            freeze_steps.update(st["hist"]["frozen_at"])

    def frozen_now(step: int) -> list[str]:
        return [k for k, s in freeze_steps.items() if step >= s]

    last_save = time.monotonic()

    def due() -> bool:
        return resume_seconds is None or time.monotonic() - last_save >= resume_seconds

    def save_resume() -> None:
        nonlocal last_save
        if folder is None:
            return
        last_save = time.monotonic()
        rng = {"torch": torch.get_rng_state(), "augment": aug_gen.get_state()}
        if device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(device)
        _atomic_save(
            {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "rng": rng,
                "state": st,
                "config": config,
            },
            folder / RESUME_FILE,
        )

    def save_snapshot(step: int) -> None:
        assert folder is not None
        meta = {"step": step, "epoch": st["epoch"], "config": config, "history": st["hist"]}
        _atomic_save({"model": model.state_dict(), "meta": meta}, folder / f"step_{step:08d}.pt")
        if step not in st["hist"]["checkpoints"]:
            st["hist"]["checkpoints"].append(step)

    if deterministic is None:
        deterministic = device.type == "cpu"
    with torch.random.fork_rng(devices=_rng_devices(device)), _deterministic(deterministic, device):
        if resumed:
            torch.set_rng_state(blob["rng"]["torch"])
            if device.type == "cuda" and "cuda" in blob["rng"]:
                torch.cuda.set_rng_state(blob["rng"]["cuda"], device)
        else:
            torch.manual_seed(seed)
            if 0 in ckpt_steps:
                save_snapshot(0)
        bar = tqdm(total=epochs, initial=st["epoch"], disable=not progress or st["finished"], desc="training")
        try:
            while not st["finished"] and st["epoch"] < epochs:
                epoch = st["epoch"]
                order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))
                first = st["step"] - epoch * spe  # > 0 when resuming inside an epoch
                if decide_freeze is not None and epoch > 0 and first == 0:
                    for name in decide_freeze(epoch, model):
                        if name not in modules:
                            raise ValueError(f"freeze returned {name!r}, not a submodule name of the model")
                        freeze_steps.setdefault(name, st["step"])
                model.train()
                _apply_frozen(model, frozen_now(st["step"]))
                if _fast(train_data):
                    batches: Iterable[Any] = (
                        get_items(train_data, order[b * batch_size : (b + 1) * batch_size])
                        for b in range(first, spe)
                    )
                else:
                    batches = _ordered_loader(
                        train_data,
                        batch_size,
                        sampler=order[first * batch_size :].tolist(),
                        num_workers=num_workers,
                        seed=seed * 1_000_003 + epoch,
                    )
                t0 = time.perf_counter()
                for x, y in batches:
                    step = st["step"]
                    frozen = frozen_now(step)
                    for name in frozen:
                        if name not in st["hist"]["frozen_at"]:
                            st["hist"]["frozen_at"][name] = step
                    _apply_frozen(model, frozen)
                    if augment is not None:
                        x = augment(x, aug_gen)
                    x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
                    for g in opt.param_groups:
                        g["lr"] = lr * _lr_factor(lr_schedule, step, max_steps)
                    opt.zero_grad(set_to_none=True)
                    fps = st["flops_per_sample"]
                    key = str(len(frozen))
                    if "0" not in fps and key != "0":  # frozen from the start: cost the unfrozen model once
                        fps["0"] = _full_flops_per_sample(model, x, y, device)
                    counting = key not in fps
                    with _flop_counter(counting) as fc:
                        loss, correct = _loss_and_correct(model(x), y)
                        loss.backward()
                    if counting:
                        fps[key] = fc.get_total_flops() / len(x)
                    if grad_clip is not None:
                        nn.utils.clip_grad_norm_([p for p in all_params if p.requires_grad], grad_clip)
                    opt.step()
                    st["step"] = step + 1
                    k = len(x)
                    lv = float(loss.detach())
                    st["epoch_loss"] += lv * k
                    st["epoch_correct"] += int(correct)
                    st["epoch_count"] += int(y.numel())
                    h = st["hist"]
                    h["flops"] += fps[key] * k
                    h["flops_full"] += fps["0"] * k
                    h["parameter_updates"] += sum(p.numel() for p in all_params if p.requires_grad)
                    h["parameter_updates_full"] += sum(p.numel() for p in all_params)
                    h["total_steps"] = st["step"]
                    # a snapshot at the epoch's last step waits for the epoch's evaluation (below)
                    epoch_end = st["step"] == (epoch + 1) * spe
                    snapshot = st["step"] in ckpt_steps and not epoch_end
                    every = bool(resume_every) and st["step"] % resume_every == 0 and not epoch_end
                    if snapshot or every:
                        st["elapsed"] += time.perf_counter() - t0
                        t0 = time.perf_counter()
                        if snapshot:
                            save_snapshot(st["step"])
                        if every or due():  # a resumed run passes the step again and rewrites it
                            save_resume()
                    if callback is not None:  # after the step is saved: an exception here loses nothing
                        callback(StepInfo(st["step"], epoch, lv))
                st["elapsed"] += time.perf_counter() - t0

                # ---- end of epoch: evaluate, record, maybe stop
                h = st["hist"]
                running_acc = st["epoch_correct"] / max(st["epoch_count"], 1)
                train_acc = (
                    evaluate(
                        model, train_data, batch_size=eval_batch_size, device=device, num_workers=num_workers
                    )[1]
                    if eval_train
                    else running_acc
                )
                test_loss, test_acc = (math.nan, math.nan)
                if test_data is not None:
                    test_loss, test_acc = evaluate(
                        model, test_data, batch_size=eval_batch_size, device=device, num_workers=num_workers
                    )
                st["epoch"] = epoch + 1
                h["epoch"].append(epoch + 1)
                h["step"].append(st["step"])
                h["train_loss"].append(st["epoch_loss"] / n)  # every epoch sees all n samples
                h["train_accuracy"].append(float(train_acc))
                h["test_loss"].append(float(test_loss))
                h["test_accuracy"].append(float(test_acc))
                h["time_s"].append(float(st["elapsed"]))
                st["epoch_loss"], st["epoch_correct"], st["epoch_count"] = 0.0, 0, 0
                if target_train_accuracy is not None:
                    h["reached_target"] = bool(train_acc >= target_train_accuracy)
                    if h["reached_target"]:
                        st["finished"] = True
                if st["epoch"] >= epochs:
                    st["finished"] = True
                if st["step"] in ckpt_steps:
                    save_snapshot(st["step"])
                if due() or st["finished"]:
                    save_resume()
                bar.update(1)
                bar.set_postfix(
                    loss=f"{h['train_loss'][-1]:.3f}", train=f"{train_acc:.3f}", test=f"{test_acc:.3f}"
                )
        finally:
            bar.close()
    return TrainHistory.from_dict(st["hist"])


def _full_flops_per_sample(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device) -> float:
    """FLOPs per sample of one training step of ``model`` with nothing frozen (on a copy, RNG untouched)."""
    import copy

    from torch.utils.flop_counter import FlopCounterMode

    twin = copy.deepcopy(model).train()
    for p in twin.parameters():
        p.requires_grad_(True)
    with torch.random.fork_rng(devices=_rng_devices(device)), FlopCounterMode(display=False) as fc:
        _loss_and_correct(twin(x), y)[0].backward()
    return fc.get_total_flops() / len(x)


@contextlib.contextmanager
def _flop_counter(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        yield fc
