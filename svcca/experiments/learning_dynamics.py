"""Learning dynamics: how each layer converges to its final representation during training.

Reproduces the learning-dynamics analysis of Raghu et al. (2017, Section 4 and Fig. 4):
a network is trained once, snapshots are kept at log-spaced steps early on and at the end
of every epoch, and each layer of each snapshot is compared by SVCCA (99% of the variance)
with the same layer of the final network, on held-out data. Layers close to the input
reach their final representation first ("bottom-up convergence"). Layer x layer grids
(layer ``i`` at a snapshot against layer ``j`` of the final network) show the same thing
at a glance, together with the block patterns that batch norm (a per-channel affine map,
invisible to CCA) and residual connections (a block's output contains its input) create.
Morcos et al. (2018) report the same bottom-up order for recurrent language models.

Five model kinds, one config (``model=``):

* ``"conv"``: a plain conv net with batch norm (:class:`svcca.nn.models.ConvNet`); conv
  layers with spatial positions as datapoints ``(n_images * height * width, channels)``;
* ``"resnet"``: :class:`svcca.nn.models.SmallResNet`, measured the same way;
* ``"lstm"``: a character- or word-level LSTM language model
  (:class:`svcca.nn.models.LSTMLanguageModel`); every sequence position is a datapoint;
* ``"mlp"``: a fully connected network (:class:`svcca.nn.models.MLP`), the counter-example:
  on the digits its hidden layers converge in no consistent order;
* ``"plain"``: the ResNet's control, a :class:`svcca.nn.models.ConvNet` with its widths,
  depth and strides but no shortcuts (:func:`plain_arch`), measured as the conv net.

For the image models each conv layer is also measured after global average pooling (one
datapoint per image, ``similarity_pooled``): the representation the classifier reads, and
a common shortcut that changes the picture for the top layers.

Presets (``LearningDynamicsConfig.for_scale(scale, model=...)``):

* ``tiny``: seconds, for tests;
* ``default``: scikit-learn's 8x8 digits (embedded) for the conv net and the ResNet, the
  Python standard library's own source as a character corpus for the LSTM (offline);
* ``full``: CIFAR-10 for the conv net and the ResNet, Penn Treebank (word level) for the
  LSTM, on ``device="auto"`` (the GPU when there is one); they run only when the data is in the data folder
  (``data_scripts/download_cifar10.py``, ``data_scripts/download_lm_corpora.py ptb``).

Every run trains one network per seed of ``seeds`` (the conv net's default: three) and
measures each the same way. The claims the book makes (:meth:`LearningDynamicsData.claims`,
``learning_dynamics.<model>.<claim>``) are effects over all of them, meant to survive
other seeds and CPUs: for the conv net, the epoch at which a layer first reaches SVCCA
0.95 rises with depth in every seed (a Spearman correlation with a margin), conv and
batch-norm outputs are nearly the same layer, the logits and the pooled top layer settle
early; for the ResNet, the same bottom-up trend and the stem carried up by the shortcuts;
for the LSTM, the first recurrent layer settles several epochs before the second and the
area under its curve is larger, in every seed; for the MLP, no order.

Freeze training (Raghu et al. 2017, Section 4.1) is in
:mod:`svcca.experiments.freeze_training`.

Example::

    from svcca.experiments import run_or_load
    from svcca.experiments.learning_dynamics import LearningDynamicsConfig, unpack

    dyn = unpack(run_or_load(LearningDynamicsConfig.for_scale("default", model="conv")))
    dyn.first_reaching(0.95)          # epoch at which each layer first reaches SVCCA 0.95
    dyn.grid(dyn.grid_steps[1])       # layer x layer SVCCA grid at an early snapshot
    [r.seed for r in dyn.runs]        # every seed's run (dyn itself is the first)
    dyn.claims()                      # the book's claims, over every seed

References
----------
M. Raghu, J. Gilmer, J. Yosinski, J. Sohl-Dickstein. SVCCA: Singular Vector Canonical
Correlation Analysis for Deep Learning Dynamics and Interpretability. NeurIPS 2017.

A. S. Morcos, M. Raghu, S. Bengio. Insights on representational similarity in neural
networks with canonical correlation. NeurIPS 2018.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from .._grid import SimilarityMatrix
from .._validation import check_fraction, check_int, check_option
from ._cache import ExperimentData, ExperimentResult, arrays_and_config, stored
from ._claims import Claim, claim_details, claim_specs, claims_table, median_case
from ._toolbox import (
    CIFAR10_TRAINING,
    ConvNetFields,
    TrainingConfig,
    _check_positive,
    check_index,
    check_seeds,
)

__all__ = [
    "DATASETS",
    "MODELS",
    "DynamicsTrainingConfig",
    "LearningDynamicsConfig",
    "LearningDynamicsData",
    "checkpoint_steps",
    "curve_area",
    "depth_correlation",
    "grid_layers",
    "layer_label",
    "plain_arch",
    "unpack",
]

#: Model kinds of the experiment.
MODELS = ("conv", "resnet", "lstm", "mlp", "plain")

#: Datasets each model kind can be trained on.
DATASETS: dict[str, tuple[str, ...]] = {
    "conv": ("digits", "cifar10"),
    "resnet": ("digits", "cifar10"),
    "lstm": ("stdlib", "ptb", "wikitext2"),
    "mlp": ("digits", "cifar10"),
    "plain": ("digits", "cifar10"),
}


def plain_arch(blocks: int, widths: Sequence[int]) -> tuple[str, ...]:
    """Return the conv layers of :class:`svcca.nn.models.SmallResNet` without its shortcuts.

    For ``blocks`` blocks per stage of ``widths`` channels: the stem, then two convs per
    block, the first of stages 2 and 3 at stride 2.

    A :class:`svcca.nn.models.ConvNet` of this ``arch`` has the ResNet's widths, depth and
    resolutions; only the skip connections (and their 1x1 projections) are missing.

    Examples
    --------
    >>> from svcca.experiments.learning_dynamics import plain_arch
    >>> plain_arch(1, (16, 32, 64))
    ('16', '16', '16', '32s2', '32', '64s2', '64')
    """
    out = [str(widths[0])]
    for k, w in enumerate(widths):
        for b in range(blocks):
            out += [f"{w}s2" if (k > 0 and b == 0) else str(w), str(w)]
    return tuple(out)


@dataclass(frozen=True)
class DynamicsTrainingConfig(ConvNetFields, TrainingConfig):
    """The network, data and training of learning dynamics, shared by freeze training.

    Parameters
    ----------
    model : {"conv", "resnet", "lstm", "mlp", "plain"}, default "conv"
    dataset : str, default "digits"
        ``"digits"`` or ``"cifar10"`` for image models and the MLP; ``"stdlib"`` (the offline corpus of
        :func:`svcca.nn.data.load_stdlib_corpus`), ``"ptb"`` or ``"wikitext2"`` for the LSTM.
    arch, width
        The conv net: see :class:`~svcca.experiments.ConvNetFields`; here ``arch="pilot5"``.
    blocks : int, default 1
        Residual blocks per stage of the ResNet.
    widths : (int, int, int), default (16, 32, 64)
        Channels of the ResNet's three stages.
    embedding_dim, hidden_size, num_layers : int
        LSTM language model (defaults 32, 64, 2).
    dropout : float, default 0.0
        LSTM dropout between layers, in [0, 1).
    seq_len : int, default 64
        LSTM training and evaluation window.
    max_chars : int or None, default None
        Use only the first ``max_chars`` characters of the ``"stdlib"`` corpus.
    level : {"word", "char"}, default "word"
        Tokens of PTB / WikiText-2.
    optimizer : {"adam", "sgd"}, default "adam"
    momentum : float, default 0.9
        SGD only; in [0, 1).
    lr_schedule : {None, "cosine"}, default None
        Constant learning rate, or cosine decay to 0 over training.
    grad_clip : float or None, default None
        Clip the gradient norm to this (> 0; language models).
    augment_shift : int, default 0
        Random shifts of up to this many pixels during training (image models).
    seeds : tuple of int, default (0,)
        One training run per seed (initialisation, data order and augmentation).
    split_seed : int, default 0
        The seeded train/test split of the digits (CIFAR-10 and the text corpora have fixed
        splits).
    image_size, epochs, batch_size, lr, device, data_root, verify_data, num_threads
        See :class:`~svcca.experiments.TrainingConfig`; here ``epochs=30``,
        ``batch_size=64`` and ``num_threads=1`` (the ``full`` presets, on a GPU, use None).
        ``data_root`` also holds PTB / WikiText-2, whose published checksums ``verify_data``
        checks too.

    Notes
    -----
    Class attribute ``models``: the model kinds an experiment accepts (``"mlp"`` needs a
    ``hidden`` field, as :class:`LearningDynamicsConfig` has).

    Examples
    --------
    >>> from svcca.experiments.learning_dynamics import LearningDynamicsConfig
    >>> cfg = LearningDynamicsConfig.for_scale("tiny", model="lstm")
    >>> corpus = cfg.load_data()
    >>> train, test = cfg.train_test(corpus)          # windows of seq_len tokens
    >>> tuple(train.tensors[0].shape[1:])
    (32,)
    >>> cfg.build_model(corpus, seed=0).layer_names
    ('embedding', 'lstm1', 'lstm2', 'logits')
    """

    models: ClassVar[tuple[str, ...]] = MODELS
    datasets: ClassVar[tuple[str, ...]] = tuple(dict.fromkeys(d for ds in DATASETS.values() for d in ds))

    model: str = "conv"
    arch: str = "pilot5"
    blocks: int = 1
    widths: tuple[int, int, int] = (16, 32, 64)
    embedding_dim: int = 32
    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.0
    seq_len: int = 64
    max_chars: int | None = None
    level: str = "word"
    epochs: int = 30
    batch_size: int = 64
    optimizer: str = "adam"
    momentum: float = 0.9
    lr_schedule: str | None = None
    grad_clip: float | None = None
    augment_shift: int = 0
    seeds: tuple[int, ...] = (0,)
    split_seed: int = 0
    num_threads: int | None = field(default=1, compare=False)

    def __post_init__(self) -> None:
        """Check the model kind, its dataset and the training."""
        check_option(self.model, "model", self.models)
        if self.dataset not in DATASETS[self.model]:
            allowed = ", ".join(map(repr, DATASETS[self.model]))
            raise ValueError(
                f"dataset for model={self.model!r} must be one of {allowed}; got {self.dataset!r}"
            )
        super().__post_init__()  # arch (for the conv net) and augment_shift: TrainingConfig's
        check_option(self.level, "level", ("word", "char"))
        check_seeds(self.seeds)
        # the networks' sizes: a 0 or a negative size failed only when the network was built
        for name in ("blocks", "embedding_dim", "hidden_size", "num_layers", "seq_len"):
            check_int(getattr(self, name), name)
        for w in self.widths:
            check_int(w, "each of widths")
        check_int(self.max_chars, "max_chars", allow_none=True)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1); got {self.dropout!r}")
        # the training: an unknown optimizer or schedule failed only when training started
        check_option(self.optimizer, "optimizer", ("adam", "sgd"))
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1); got {self.momentum!r}")
        check_option(self.lr_schedule, "lr_schedule", (None, "cosine"))
        if self.grad_clip is not None:
            _check_positive(self.grad_clip, "grad_clip")

    def load_data(self) -> Any:
        """Load the images (:class:`svcca.nn.data.ImageData`) or, for the LSTM, the text corpus.

        The corpus is a :class:`svcca.nn.data.TextCorpus`.
        """
        if self.model != "lstm":
            return super().load_data()
        from ..nn import data as D

        if self.dataset == "stdlib":
            return D.load_stdlib_corpus(max_chars=self.max_chars)
        if self.dataset == "ptb":
            return D.load_ptb(self.data_root, level=self.level, verify=self.verify_data)
        return D.load_wikitext2(self.data_root, level=self.level, verify=self.verify_data)

    def train_test(self, data: Any) -> tuple[Any, Any]:
        """Return the training and the test set of ``data`` (the LSTM's: windows of ``seq_len`` tokens)."""
        if self.model == "lstm":
            return data.sequences("train", seq_len=self.seq_len), data.sequences("test", seq_len=self.seq_len)
        return data.train, data.test

    def augmentation(self, data: Any) -> Any:
        """Shift the images at random (as :meth:`~svcca.experiments.TrainingConfig.augmentation`).

        None for the LSTM.
        """
        return None if self.model == "lstm" else super().augmentation(data)

    def model_spec(self, data: Any) -> tuple[str, dict[str, Any]]:
        """Name the network of ``model`` and its options, the LSTM language model included.

        As :meth:`~svcca.experiments.TrainingConfig.model_spec`.
        """
        if self.model == "plain":
            c = data.input_shape[0]
            return "conv", {
                "arch": plain_arch(self.blocks, self.widths),
                "in_channels": c,
                "n_classes": data.n_classes,
            }
        if self.model != "lstm":
            return super().model_spec(data)
        return "lstm_lm", {
            "vocab_size": data.vocab_size,
            "embedding_dim": self.embedding_dim,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
        }

    def fit(self, model: Any, train_data: Any, seed: int, *, progress: bool = False, **options: Any) -> Any:
        """Train ``model`` with the config's optimizer, momentum, schedule and clipping.

        As :meth:`~svcca.experiments.TrainingConfig.fit`.
        """
        for name in ("optimizer", "momentum", "lr_schedule", "grad_clip"):
            options.setdefault(name, getattr(self, name))
        return super().fit(model, train_data, seed, progress=progress, **options)


@dataclass(frozen=True)
class LearningDynamicsConfig(DynamicsTrainingConfig):
    """Train one network per seed, keep snapshots, compare every layer with its final state.

    Parameters
    ----------
    hidden : tuple of int, default (256, 256, 256, 256)
        Hidden widths of the MLP.
    early_checkpoints : int, default 8
        Log-spaced snapshots within the first epoch (step 0 included), as
        :func:`svcca.nn.train.checkpoint_schedule`; then one at the end of every
        ``checkpoint_every`` epochs (and always the last step).
    checkpoint_every : int, default 1
    keep : float, default 0.99
        Variance SVCCA keeps on each side.
    n_eval : int or None, default None
        Evaluation data: the first ``n_eval`` test images (LSTM: test sequences); None: all.
    positions_per_image : int or None, default 16
        Conv layers: spatial positions are datapoints; keep this many per image (random,
        seeded, the same for every snapshot and every layer of the same spatial size), or
        all of them (None).
    grid_fractions : tuple of float, default (0.0, 0.1, 0.35, 1.0)
        Snapshots for the layer x layer grids, as fractions of training (the nearest
        snapshot is used).
    grid_detail : bool, default True
        Grids include the sub-layers of each block (conv and batch-norm outputs, residual
        branches), where the block patterns of batch norm and residual connections show.
        Image models compare every spatial layer of a grid at the coarsest resolution among
        them (average-pooled); the logits are not in the image grids (one row per image
        against one per position would not match).
    coarse_side : int, default 2
        Image models: the final network's grid is also computed with every layer pooled to
        ``coarse_side x coarse_side``, so that networks whose grids use different
        resolutions (a plain conv net at 8x8, a ResNet down to 2x2) can be compared.

    Notes
    -----
    The network, the data and the training (``model``, ``dataset``, ``seeds``, ``epochs``,
    ...) are the fields of :class:`DynamicsTrainingConfig`. Every seed's run is measured the
    same way (the seed also chooses the positions); the claims are about all seeds.
    """

    experiment: ClassVar[str] = "learning_dynamics"
    schema_version: ClassVar[int] = 2

    hidden: tuple[int, ...] = (256, 256, 256, 256)
    early_checkpoints: int = 8
    checkpoint_every: int = 1
    keep: float = 0.99
    n_eval: int | None = None
    positions_per_image: int | None = 16
    grid_fractions: tuple[float, ...] = (0.0, 0.1, 0.35, 1.0)
    grid_detail: bool = True
    coarse_side: int = 2

    def __post_init__(self) -> None:
        """Check the snapshots, the datapoints and the grids."""
        super().__post_init__()
        check_int(self.early_checkpoints, "early_checkpoints", minimum=2)
        check_int(self.checkpoint_every, "checkpoint_every")
        check_fraction(self.keep, "keep")  # the int 1 failed only in the SVCCA call, after training
        check_int(self.positions_per_image, "positions_per_image", allow_none=True)
        check_int(self.n_eval, "n_eval", minimum=2, allow_none=True)
        fr = tuple(self.grid_fractions)
        if not fr or any(not 0.0 <= f <= 1.0 for f in fr) or list(fr) != sorted(fr):
            raise ValueError(f"grid_fractions must be increasing fractions in [0, 1], at least one; got {fr}")
        check_int(self.coarse_side, "coarse_side")

    # ---- presets ---------------------------------------------------------------------
    @classmethod
    def for_scale(
        cls, scale: str | None = None, *, model: str = "conv", **overrides: Any
    ) -> LearningDynamicsConfig:
        """Return the preset of ``model`` at ``scale`` (``tiny``, ``default`` or ``full``).

        ``scale=None`` reads ``SVCCA_SCALE``.

        Examples
        --------
        >>> from svcca.experiments.learning_dynamics import LearningDynamicsConfig
        >>> cfg = LearningDynamicsConfig.for_scale("default", model="lstm")
        >>> cfg.dataset, cfg.num_layers
        ('stdlib', 2)
        >>> LearningDynamicsConfig.for_scale("full").dataset
        'cifar10'
        """
        if model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(map(repr, MODELS))}; got {model!r}")
        return cls._preset(scale, (model,), overrides)

    @classmethod
    def preset_tiny(cls, model: str = "conv") -> LearningDynamicsConfig:
        """Train small networks a few epochs on a slice of the data: seconds (the conv net: two seeds)."""
        if model == "lstm":
            return cls(
                model="lstm", dataset="stdlib", max_chars=20_000, embedding_dim=8, hidden_size=16,
                seq_len=32, epochs=1, batch_size=32, lr=3e-3, grad_clip=1.0,
                early_checkpoints=3, n_eval=20,
            )  # fmt: skip
        common = dict(epochs=2, batch_size=64, early_checkpoints=3, n_eval=60, positions_per_image=4)
        if model == "mlp":
            return cls(model="mlp", hidden=(16, 16), **common)  # type: ignore[arg-type]
        if model in ("resnet", "plain"):
            return cls(model=model, widths=(4, 8, 8), **common)  # type: ignore[arg-type]
        return cls(model="conv", arch="pilot5", width=0.25, seeds=(0, 1), **common)  # type: ignore[arg-type]

    @classmethod
    def preset_default(cls, model: str = "conv") -> LearningDynamicsConfig:
        """Train on the digits (conv net, ResNet) or the standard-library corpus (LSTM), on a CPU.

        * conv: 5 x [conv3x3-32, BN, ReLU] at 8x8, Adam 1e-3, batch 64, 30 epochs, three
          seeds (the bottom-up claim is about all three);
        * resnet: ResNet-8 (one block per stage, 16/32/64 channels) at 8x8, 15 epochs, three seeds;
        * lstm: 2 x 64 LSTM on 100,000 characters of Python source, Adam 1e-2, 24 epochs,
          three seeds (trained far enough for its layers to settle in order; the earlier
          default, a 2 x 128 LSTM trained 6 epochs at 3e-3 with two thirds of the compute,
          moved both layers together until the end);
        * mlp: 4 x 256 MLP on the 8x8 digits, 15 epochs, three seeds.

        Every default trains three seeds, so each claim is about several networks (the
        robustness matrix, ``svcca claims``, reruns them with other seeds too).
        """
        if model == "lstm":
            return cls(
                model="lstm", dataset="stdlib", max_chars=100_000,
                embedding_dim=32, hidden_size=64, num_layers=2,
                seq_len=64, epochs=24, batch_size=32, lr=1e-2, grad_clip=1.0,
                n_eval=64, seeds=(0, 1, 2),
            )  # fmt: skip
        if model in ("resnet", "plain"):
            return cls(model=model, blocks=1, widths=(16, 32, 64), epochs=15, seeds=(0, 1, 2))
        if model == "mlp":
            return cls(model="mlp", hidden=(256, 256, 256, 256), epochs=15, seeds=(0, 1, 2))
        return cls(model="conv", seeds=(0, 1, 2))

    @classmethod
    def preset_full(cls, model: str = "conv") -> LearningDynamicsConfig:
        """Train at the papers' scale: CIFAR-10 (conv net, ResNet-20) and Penn Treebank (LSTM), on a GPU."""
        if model == "lstm":
            return cls(
                model="lstm", dataset="ptb", level="word",
                embedding_dim=200, hidden_size=200, num_layers=2, dropout=0.2,
                seq_len=35, epochs=20, batch_size=20, lr=1e-3, grad_clip=0.25,
                n_eval=200, device="auto", num_threads=None,
            )  # fmt: skip
        common = dict(CIFAR10_TRAINING, n_eval=2000, positions_per_image=16)
        if model in ("resnet", "plain"):
            return cls(model=model, blocks=3, widths=(16, 32, 64), **common)
        if model == "mlp":
            return cls(model="mlp", hidden=(512, 512, 512, 512), **common)
        return cls(model="conv", arch="tiny10", width=2.0, **common)

    # ---- the experiment --------------------------------------------------------------
    def describe(self) -> str:
        """One line saying what ran on which data (for the book and reports)."""
        if self.model == "lstm":
            size = "" if self.max_chars is None else f" ({self.max_chars:,} characters)"
            net = f"LSTM language model ({self.num_layers} x {self.hidden_size})"
            corpora = {
                "stdlib": "Python standard-library source" + size,
                "ptb": "Penn Treebank",
                "wikitext2": "WikiText-2",
            }
            return f"{net} on {corpora[self.dataset]}, {self.epochs} epochs"
        net = {
            "conv": f"conv net {self.arch!r} with batch norm",
            "resnet": f"ResNet-{6 * self.blocks + 2} (widths {tuple(self.widths)})",
            "plain": f"plain conv net of ResNet-{6 * self.blocks + 2}'s widths {tuple(self.widths)}, "
            "no shortcuts",
            "mlp": f"MLP {' x '.join(map(str, self.hidden))}",
        }[self.model]
        data = f"{self.image_size}x{self.image_size} digits" if self.dataset == "digits" else "CIFAR-10"
        return f"{net} on {data}, {self.epochs} epochs"

    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        """Train, snapshot, record and measure; see :func:`unpack` for the arrays returned."""
        from ..nn import as_tensors, take

        data = self.load_data()
        train, test = self.train_test(data)
        x = as_tensors(take(test, self.n_eval))[0]
        augment = self.augmentation(data)
        runs = [self._run_seed(data, train, test, x, augment, seed, progress) for seed in self.seeds]
        out = dict(runs[0])  # what every run shares: layers, steps, datapoints, grid layers
        for name in _PER_SEED:
            if name in out:
                out[name] = np.stack([r[name] for r in runs])
        out.update(
            {
                "seeds": np.array(self.seeds, dtype=np.int64),
                "model": np.array(self.model),
                "dataset": np.array(data.name),
                "description": np.array(self.describe()),
            }
        )
        if self.model == "lstm":  # the text corpus (the standard library's changes with Python)
            out["corpus_sha256"] = np.array(data.sha256)
        return out

    def _run_seed(
        self, data: Any, train: Any, test: Any, x: Any, augment: Any, seed: int, progress: bool
    ) -> dict[str, np.ndarray]:
        """Train one seed on ``train``, snapshot, record the snapshots on ``x`` and measure."""
        import copy

        import torch

        from ..nn.train import list_checkpoints, load_checkpoint, steps_per_epoch
        from ._partial import kept_or_fresh, network_folder, resume_options

        net = self.build_model(data, seed)
        spe = steps_per_epoch(len(train), self.batch_size)
        wanted = checkpoint_steps(spe, self.epochs, self.early_checkpoints, self.checkpoint_every)
        want = set(wanted)
        folder = network_folder(net, seed)  # in run_or_load: snapshots on disk, and a rerun resumes
        snaps: dict[int, dict[str, Any]] = {}
        if folder is not None:
            kept = resume_options(folder)

            def fit_kept() -> tuple[Any, dict[int, dict[str, Any]]]:
                hist = self.fit(
                    net, train, seed, test_data=test, augment=augment, progress=progress,
                    checkpoint_steps=wanted, **kept,
                )  # fmt: skip
                found = list_checkpoints(folder)
                if tuple(found) != wanted:  # a snapshot file removed by hand: train it again
                    raise ValueError(f"{folder} holds the snapshots {tuple(found)}, not {wanted}")
                return hist, {step: load_checkpoint(path).state_dict for step, path in found.items()}

            hist, snaps = kept_or_fresh(folder, net, fit_kept)
        else:

            def state() -> dict[str, Any]:
                return {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()}

            snaps[0] = state()

            def snapshot(info: Any) -> None:
                if info.step in want:
                    snaps[info.step] = state()

            hist = self.fit(
                net, train, seed, test_data=test, augment=augment, progress=progress, callback=snapshot
            )
        steps = sorted(snaps)
        final = steps[-1]
        curve_layers = tuple(net.layer_names)
        grid_names = grid_layers(net, detail=self.grid_detail, model=self.model)
        measured = copy.deepcopy(net).eval()
        with torch.no_grad():
            out = _measure(self, seed, measured, snaps, steps, final, x, curve_layers, grid_names)
        out.update(
            {
                "steps_per_epoch": np.array(spe),
                "history_epoch": np.array(hist.epoch),
                "history_train_loss": np.array(hist.train_loss),
                "history_test_loss": np.array(hist.test_loss),
                "history_test_accuracy": np.array(hist.test_accuracy),
                "history_time_s": np.array(hist.time_s),
            }
        )
        return out


#: Arrays that differ between seeds; the result stacks them along a first axis (one row per seed).
_PER_SEED = (
    "similarity",
    "similarity_pooled",
    "dims",
    "grids",
    "final_grid_coarse",
    "history_train_loss",
    "history_test_loss",
    "history_test_accuracy",
    "history_time_s",
)


# --------------------------------------------------------------------------- helpers


def depth_correlation(values: ArrayLike) -> float:
    """Spearman rank correlation of per-layer values with depth (input side first).

    A NaN (a layer that never reached a threshold) ranks after every number. +1: the
    values rise with depth (e.g. the epoch at which each layer settles, bottom-up); -1:
    they fall with depth.

    Examples
    --------
    >>> from svcca.experiments.learning_dynamics import depth_correlation
    >>> depth_correlation([0, 7, 12, 18, 26])
    1.0
    >>> round(depth_correlation([0, 7, 12, 30, 26]), 2)
    0.9
    >>> depth_correlation([0.0, 3.0, float("nan")])
    1.0
    """
    from scipy.stats import rankdata

    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(f"values must be one number per layer, at least two; got shape {v.shape}")
    r = rankdata(np.where(np.isnan(v), np.inf, v))
    d = np.arange(v.size, dtype=np.float64)
    if np.ptp(r) == 0:
        return float("nan")  # every layer tied: no order to correlate
    return float(np.corrcoef(d, r)[0, 1])


def curve_area(epochs: ArrayLike, values: ArrayLike) -> float:
    """Area under a curve over training (trapezoids), divided by its length in epochs.

    A time-weighted mean of ``values``: for SVCCA with the final state, 1 for a layer at
    its final state all along, and the larger the earlier a layer gets close to it.

    Parameters
    ----------
    epochs : array_like of float, shape (n,)
        Increasing times of the snapshots (the first and last bound the run).
    values : array_like of float, shape (n,)
        The curve at each snapshot, e.g. SVCCA with the final state.

    Returns
    -------
    float
        The time-weighted mean of ``values``, in their units.

    Examples
    --------
    >>> from svcca.experiments.learning_dynamics import curve_area
    >>> curve_area([0, 1, 2, 4], [0.5, 1.0, 1.0, 1.0])  # a quarter epoch short of 1
    0.9375
    """
    t = np.asarray(epochs, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if t.ndim != 1 or t.shape != v.shape or t.size < 2 or not np.all(np.diff(t) > 0):
        raise ValueError(
            "epochs must be increasing and values of the same length (at least 2); "
            f"got epochs of shape {t.shape}, values of shape {v.shape}"
        )
    return float(np.sum(np.diff(t) * (v[1:] + v[:-1])) / 2.0 / (t[-1] - t[0]))


def checkpoint_steps(steps_per_epoch: int, epochs: int, early: int = 8, every: int = 1) -> tuple[int, ...]:
    """Snapshot steps: ``early`` log-spaced steps in the first epoch, then every ``every`` epochs.

    The last step is always included.

    Examples
    --------
    >>> from svcca.experiments.learning_dynamics import checkpoint_steps
    >>> checkpoint_steps(21, 3)
    (0, 1, 2, 3, 5, 8, 13, 21, 42, 63)
    >>> checkpoint_steps(10, 6, early=3, every=2)
    (0, 1, 10, 20, 40, 60)
    """
    from ..nn.train import checkpoint_schedule

    first = checkpoint_schedule(steps_per_epoch, early) if steps_per_epoch > 1 else (0, 1)
    total = steps_per_epoch * epochs
    later = {e * steps_per_epoch for e in range(every, epochs + 1, every)} | {total}
    return tuple(sorted(set(first) | later))


def grid_layers(net: Any, *, detail: bool = True, model: str | None = None) -> tuple[str, ...]:
    """Return the layers of a grid: the analysable layers, with each block's sub-layers when ``detail``.

    * conv net: for each block ``convK``: its conv output ``convK.0``, its batch-norm
      output ``convK.1`` and the block output (after ReLU) ``convK``;
    * ResNet: the stem (conv, batch norm, ReLU), then for each residual block the first
      conv's batch-norm output ``bn1``, the residual branch ``bn2`` (before the addition)
      and the block output;
    * LSTM and MLP: every layer, logits included.

    The logits of the image models are left out (they have one datapoint per image, the
    spatial layers one per position).
    """
    names = tuple(net.layer_names)
    kind = model or {"embedding": "lstm", "stem": "resnet", "fc1": "mlp"}.get(names[0], "conv")
    if kind in ("lstm", "mlp"):
        return names
    spatial = names[:-1]
    if not detail:
        return spatial
    out: list[str] = []
    for name in spatial:
        if kind in ("conv", "plain"):
            out += [f"{name}.0", f"{name}.1", name]
        elif name == "stem":
            out += ["stem.0", "stem.1", "stem"]
        else:
            out += [f"{name}.bn1", f"{name}.bn2", name]
    return tuple(out)


def layer_label(name: str) -> str:
    """Shorten a (sub-)layer name into a label: ``conv2.1`` -> ``bn2``, ``stage2.0.bn2`` -> ``2.0 branch``.

    Examples
    --------
    >>> from svcca.experiments.learning_dynamics import layer_label
    >>> [layer_label(n) for n in ("conv2.0", "conv2.1", "conv2", "stem.1", "stage1.0.bn2", "stage1.0")]
    ['conv2', 'bn2', 'relu2', 'stem bn', '1.0 branch', '1.0 out']
    """
    parts = name.split(".")
    if parts[0].startswith("conv") and parts[0][4:].isdigit():
        k = parts[0][4:]
        if len(parts) == 1:
            return f"relu{k}"
        return {"0": f"conv{k}", "1": f"bn{k}", "2": f"relu{k}"}.get(parts[1], name)
    if parts[0] == "stem":
        return {1: "stem", 2: {"0": "stem conv", "1": "stem bn"}.get(parts[-1], name)}.get(len(parts), name)
    if parts[0].startswith("stage") and len(parts) >= 2:
        block = f"{parts[0][5:]}.{parts[1]}"
        if len(parts) == 2:
            return f"{block} out"
        return f"{block} " + {"bn1": "bn1", "bn2": "branch", "conv1": "conv1", "conv2": "conv2"}.get(
            parts[2], parts[2]
        )
    return name


class _Views:
    """A sink for :func:`svcca.nn.activations.record` that keeps named *views* of layers.

    A view is ``(layer, side)``: the layer's output, average-pooled to ``side x side`` when
    ``side`` is given (grids compare layers at one resolution), with ``per_image`` spatial
    positions per image kept as datapoints. The positions depend only on the seed, the
    image and the spatial size, so every snapshot and every layer of one size uses the
    same datapoints.
    """

    def __init__(
        self, views: Mapping[str, tuple[str, int | None]], n_images: int, per_image: int | None, seed: int
    ) -> None:
        self.views = dict(views)
        self.n, self.per_image, self.seed = n_images, per_image, seed
        self.chunks: dict[str, list[Any]] = {k: [] for k in self.views}
        self.offset = 0
        self._positions: dict[tuple[int, int], np.ndarray] = {}

    def positions(self, h: int, w: int) -> np.ndarray:
        """Return the positions kept of every image at spatial size ``h x w`` (drawn once)."""
        from ..nn import sample_positions

        if (h, w) not in self._positions:
            self._positions[(h, w)] = sample_positions(
                self.n, h * w, self.per_image, [self.seed, h, w], sort=True
            )
        return self._positions[(h, w)]

    def update(self, batch: Mapping[str, Any]) -> None:
        import torch
        import torch.nn.functional as F

        from ..nn import take_positions

        n_batch = 0
        for key, (layer, side) in self.views.items():
            t = batch[layer]
            if t.ndim == 4:  # (b, h, w, c): positions as datapoints
                if side is not None and (t.shape[1], t.shape[2]) != (side, side):
                    t = F.adaptive_avg_pool2d(t.permute(0, 3, 1, 2), side).permute(0, 2, 3, 1)
                n_batch, h, w, _ = t.shape
                t = take_positions(t, self.positions(h, w)[self.offset : self.offset + n_batch])
            self.chunks[key].append(t.to(torch.float64))
        self.offset += n_batch  # images seen (only spatial layers need it)

    def result(self, numpy: bool) -> dict[str, Any]:
        import torch

        out = {k: torch.cat(v) for k, v in self.chunks.items()}
        return {k: v.cpu().numpy() for k, v in out.items()} if numpy else out


def _record_views(
    model: Any,
    x: Any,
    views: Mapping[str, tuple[str, int | None]],
    cfg: LearningDynamicsConfig,
    seed: int,
    n_images: int,
) -> dict[str, Any]:
    from ..nn.activations import record

    layers = tuple(dict.fromkeys(layer for layer, _ in views.values()))
    sink = _Views(views, n_images, cfg.positions_per_image, seed)
    record(model, x, layers, batch_size=256 if cfg.model == "lstm" else 500, sink=sink)
    return sink.result(numpy=str(cfg.device) == "cpu")


class _Prepared:
    """One layer reduced and whitened once (SVCCA's per-layer work), for many comparisons.

    The very preparation :func:`svcca.svcca` and the grids make (``reduce_and_whiten``:
    through the Gram matrix where it resolves the kept directions), with the number of
    directions kept (``dims``) beside it.
    """

    def __init__(self, X: Any, keep: float) -> None:
        from .._backend import get_ops
        from .._svcca import reduce_and_whiten

        reduction = reduce_and_whiten(X, keep, get_ops(X))
        self.dims = reduction.k
        self.whitened = reduction.w

    def svcca(self, other: _Prepared) -> float:
        """SVCCA similarity (mean canonical correlation of the reduced layers)."""
        from .._cca import cca_from_whitened

        return float(cca_from_whitened(self.whitened, other.whitened).mean)


def _spatial_side(model: Any, x: Any, layers: Sequence[str]) -> int | None:
    """Return the smallest spatial side among ``layers`` (one forward pass on two inputs)."""
    from ..nn.activations import record

    acts = record(model, x[:2], layers)
    sides = [a.shape[1] for a in acts.values() if a.ndim == 4]
    return min(sides) if sides else None


def _measure(
    cfg: LearningDynamicsConfig,
    seed: int,
    model: Any,
    snaps: Mapping[int, Mapping[str, Any]],
    steps: Sequence[int],
    final: int,
    x: Any,
    curve_layers: Sequence[str],
    grid_names: Sequence[str],
) -> dict[str, np.ndarray]:
    """Record every snapshot on ``x`` and compare it with the final one (curves, pooled curves, grids)."""
    from .._grid import similarity_matrix

    grid_steps = sorted({min(steps, key=lambda s: abs(s - f * final)) for f in cfg.grid_fractions})
    model.load_state_dict(snaps[final])
    images = cfg.model in ("conv", "resnet", "plain")
    side = _spatial_side(model, x, grid_names) if images else None
    views: dict[str, tuple[str, int | None]] = {f"c:{name}": (name, None) for name in curve_layers}
    if images:  # global average pooling: one datapoint per image
        views.update({f"p:{name}": (name, 1) for name in curve_layers})
    grid_views = {f"g:{name}": (name, side) for name in grid_names}
    coarse_views = {f"k:{name}": (name, cfg.coarse_side) for name in grid_names} if images else {}
    kinds = ("c", "p") if images else ("c",)

    def acts_at(step: int) -> dict[str, Any]:
        model.load_state_dict(snaps[step])
        extra = grid_views if step in grid_steps else {}
        if step == final:  # the reference of every grid, and the common-resolution grid
            extra = {**grid_views, **coarse_views}
        return _record_views(model, x, {**views, **extra}, cfg, seed, len(x))

    last = acts_at(final)
    ref = {(k, n): _Prepared(last[f"{k}:{n}"], cfg.keep) for k in kinds for n in curve_layers}
    grid_final = {name: last[f"g:{name}"] for name in grid_names}
    sims = {k: np.ones((len(steps), len(curve_layers))) for k in kinds}
    dims = np.zeros((len(steps), len(curve_layers)), dtype=np.int64)
    grids = np.zeros((len(grid_steps), len(grid_names), len(grid_names)))
    for i, step in enumerate(steps):
        acts = last if step == final else acts_at(step)
        for k in kinds:
            for j, name in enumerate(curve_layers):
                prep = ref[(k, name)] if step == final else _Prepared(acts[f"{k}:{name}"], cfg.keep)
                if step != final:
                    sims[k][i, j] = prep.svcca(ref[(k, name)])
                if k == "c":
                    dims[i, j] = prep.dims
        if step in grid_steps:
            rows = {name: acts[f"g:{name}"] for name in grid_names}
            grids[grid_steps.index(step)] = similarity_matrix(
                rows, grid_final, measure="svcca", measure_options={"keep": cfg.keep}
            ).values
    out = {
        "layers": np.array(curve_layers, dtype=str),
        "steps": np.array(steps, dtype=np.int64),
        "similarity": sims["c"],
        "dims": dims,
        "n_datapoints": np.array([last[f"c:{n}"].shape[0] for n in curve_layers], dtype=np.int64),
        "layer_widths": np.array([last[f"c:{n}"].shape[1] for n in curve_layers], dtype=np.int64),
        "grid_layers": np.array(grid_names, dtype=str),
        "grid_steps": np.array(grid_steps, dtype=np.int64),
        "grids": grids,
        "grid_side": np.array(-1 if side is None else side),
        "keep": np.array(cfg.keep),
    }
    if images:
        out["similarity_pooled"] = sims["p"]
        coarse = {name: last[f"k:{name}"] for name in grid_names}
        out["final_grid_coarse"] = similarity_matrix(
            coarse, measure="svcca", measure_options={"keep": cfg.keep}
        ).values
    return out


# --------------------------------------------------------------------------- unpacking


@dataclass(frozen=True, eq=False)
class LearningDynamicsData(ExperimentData):
    """One seed's training run: each layer's similarity with its final state, snapshot by snapshot.

    Attributes
    ----------
    seed : int
        The seed of this run.
    layers : tuple of str
        Layers of the per-layer curves, input side first (the last is the logits).
    steps : numpy.ndarray of shape (n_checkpoints,)
        Optimizer step of each snapshot (0 is the initialisation).
    epochs : numpy.ndarray of shape (n_checkpoints,)
        The same in epochs (``steps / steps_per_epoch``).
    similarity : numpy.ndarray of shape (n_checkpoints, n_layers)
        SVCCA of each layer at each snapshot with the same layer of the final network.
    dims : numpy.ndarray of shape (n_checkpoints, n_layers)
        SVD directions SVCCA kept for each layer at each snapshot.
    grid_layers : tuple of str
        Layers (and sub-layers) of the grids.
    grid_steps : numpy.ndarray of shape (n_grids,)
    grids : numpy.ndarray of shape (n_grids, n_grid_layers, n_grid_layers)
        ``grids[g, i, j]``: SVCCA of grid layer ``i`` at ``grid_steps[g]`` with grid layer
        ``j`` of the final network.
    test_accuracy, test_loss, train_loss, time_s : numpy.ndarray of shape (epochs,)
        Per epoch (accuracy and loss per token for the LSTM).
    steps_per_epoch : int
    description : str
        What ran on which data.
    n_datapoints, layer_widths : numpy.ndarray of shape (n_layers,)
        Rows (datapoints) and features of each layer in the comparisons.
    similarity_pooled : numpy.ndarray of shape (n_checkpoints, n_layers) or None
        Image models: as ``similarity`` with every conv layer globally average-pooled (one
        datapoint per image); None for the LSTM and the MLP.
    final_grid_coarse : numpy.ndarray of shape (n_grid_layers, n_grid_layers) or None
        Image models: the final network's grid with every layer pooled to
        ``config.coarse_side`` (a common resolution across architectures).
    runs : tuple of LearningDynamicsData
        The run of every seed of the config, this one (the first seed's) included; the
        claims are about all of them. Empty in the per-seed runs themselves.
    """

    config_class = LearningDynamicsConfig

    seed: int
    layers: tuple[str, ...] = field(metadata=stored())
    steps: np.ndarray = field(metadata=stored())
    epochs: np.ndarray
    similarity: np.ndarray
    dims: np.ndarray
    grid_layers: tuple[str, ...] = field(metadata=stored())
    grid_steps: np.ndarray = field(metadata=stored())
    grids: np.ndarray
    test_accuracy: np.ndarray
    test_loss: np.ndarray
    train_loss: np.ndarray
    time_s: np.ndarray
    steps_per_epoch: int = field(metadata=stored())
    description: str = field(metadata=stored())
    n_datapoints: np.ndarray = field(metadata=stored())
    layer_widths: np.ndarray = field(metadata=stored())
    similarity_pooled: np.ndarray | None = None
    final_grid_coarse: np.ndarray | None = None
    runs: tuple[LearningDynamicsData, ...] = ()

    @classmethod
    def from_result(
        cls, result: ExperimentResult | Mapping[str, np.ndarray], config: Any = None
    ) -> LearningDynamicsData:
        """Named access to the arrays of a learning-dynamics run (the module's ``unpack``).

        Parameters
        ----------
        result : ExperimentResult or dict of arrays
            What ``run_or_load(LearningDynamicsConfig(...))`` returned (or its ``arrays``).
        config : LearningDynamicsConfig, optional
            With a bare dict.

        Returns
        -------
        LearningDynamicsData
            The run of the first seed, with every seed's run in ``runs``.
        """
        arrays, cfg = arrays_and_config(result, config, cls.config_class)
        shared = cls.read(arrays)  # what every seed's run shares
        epochs = shared["steps"] / shared["steps_per_epoch"]

        def per_seed(i: int) -> dict[str, Any]:  # the ``history_*`` arrays are the per-epoch fields
            return {
                name.removeprefix("history_"): np.asarray(arrays[name][i]) if name in arrays else None
                for name in _PER_SEED
            }

        runs = tuple(
            cls(config=cfg, arrays=arrays, seed=int(seed), epochs=epochs, **shared, **per_seed(i))
            for i, seed in enumerate(arrays["seeds"])
        )
        return dataclasses.replace(runs[0], runs=runs)

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds of :attr:`runs`."""
        return tuple(r.seed for r in self.runs) if self.runs else (self.seed,)

    @property
    def hidden_layers(self) -> tuple[str, ...]:
        """Every layer but the logits."""
        return self.layers[:-1]

    def curve(self, layer: str) -> np.ndarray:
        """SVCCA of ``layer`` with its final state at each snapshot (``len(steps)``)."""
        return self.similarity[:, self._index(layer)]

    def _index(self, layer: str) -> int:
        if layer not in self.layers:
            raise KeyError(f"no layer {layer!r}; layers: {self.layers}")
        return self.layers.index(layer)

    def _sims(self, pooled: bool) -> np.ndarray:
        if not pooled:
            return self.similarity
        if self.similarity_pooled is None:
            raise ValueError("this result has no pooled curves (only the conv net and the ResNet have them)")
        return self.similarity_pooled

    def first_reaching(self, threshold: float = 0.95, *, pooled: bool = False) -> dict[str, float]:
        """Epoch at which each layer *first* reaches ``threshold`` SVCCA with its final state.

        ``pooled=True`` reads the curves of the globally average-pooled layers; NaN for a
        layer that never reaches ``threshold``.
        """
        threshold = _check_level(threshold, "threshold")
        sims = self._sims(pooled)
        out = {}
        for j, name in enumerate(self.layers):
            hit = np.nonzero(sims[:, j] >= threshold)[0]
            out[name] = float(self.epochs[hit[0]]) if hit.size else float("nan")
        return out

    def settled_from(self, threshold: float = 0.95, *, pooled: bool = False) -> dict[str, float]:
        """Epoch from which each layer *stays* at or above ``threshold`` until the end.

        NaN for a layer whose last snapshot is below ``threshold`` (it never settles there).
        """
        threshold = _check_level(threshold, "threshold")
        sims = self._sims(pooled)
        out = {}
        for j, name in enumerate(self.layers):
            below = np.nonzero(~(sims[:, j] >= threshold))[0]  # a NaN similarity is not at the threshold
            first = 0 if not below.size else int(below[-1]) + 1
            out[name] = float(self.epochs[first]) if first < len(self.epochs) else float("nan")
        return out

    def mean_similarity(
        self, start: float = 1.0, stop: float | None = None, *, pooled: bool = False
    ) -> dict[str, float]:
        """Mean SVCCA with the final state over the snapshots between epochs ``start`` and ``stop``.

        Higher means the layer converged earlier. Default window: from the first epoch to
        the first third of training (the pilot's "epochs 1-10 of 30"), or to ``start`` when
        training is shorter than three epochs.
        """
        stop = max(self.epochs[-1] / 3.0, start) if stop is None else stop
        sel = (self.epochs >= start) & (self.epochs <= stop)
        if not sel.any():
            raise ValueError(f"no snapshot between epochs {start} and {stop}; epochs: {self.epochs.tolist()}")
        sims = self._sims(pooled)
        return {name: float(sims[sel, j].mean()) for j, name in enumerate(self.layers)}

    def area(self, *, pooled: bool = False) -> dict[str, float]:
        """Each layer's area under its curve over training, divided by the epochs trained.

        The mean SVCCA with the final state over the whole run, each snapshot weighted by
        the training time around it (:func:`curve_area`), so the log-spaced snapshots of the
        first epoch count for one epoch, not for most of the curve. Larger means the layer
        came close to its final state earlier.
        """
        sims = self._sims(pooled)
        return {name: curve_area(self.epochs, sims[:, j]) for j, name in enumerate(self.layers)}

    def coarse_grid(self) -> SimilarityMatrix:
        """Return the final network's grid, every layer pooled to ``config.coarse_side`` (image models)."""
        if self.final_grid_coarse is None:
            raise ValueError("this result has no coarse grid (only the conv net and the ResNet have one)")
        return self._matrix(self.final_grid_coarse)

    def _matrix(self, values: np.ndarray) -> SimilarityMatrix:
        labels = tuple(layer_label(n) for n in self.grid_layers)
        return SimilarityMatrix(
            values=values,
            row_labels=labels,
            col_labels=labels,
            measure="svcca",
            options={"keep": float(getattr(self.config, "keep", 0.99))},
        )

    def grid(self, step: int | None = None, *, index: int | None = None) -> SimilarityMatrix:
        """Return the layer x layer grid at snapshot ``step`` (or the ``index``-th grid).

        Rows at that snapshot, columns of the final network, labelled with short layer names.
        """
        if (step is None) == (index is None):
            raise ValueError("give exactly one of step and index")
        if index is None:
            hits = np.nonzero(self.grid_steps == step)[0]
            if not hits.size:
                raise KeyError(f"no grid at step {step}; grid steps: {self.grid_steps.tolist()}")
            index = int(hits[0])
        n_grids = len(self.grid_steps)
        if (
            isinstance(index, bool)
            or not isinstance(index, (int, np.integer))
            or not -n_grids <= index < n_grids
        ):
            raise IndexError(
                f"index must be an int from {-n_grids} to {n_grids - 1} (there are {n_grids} grids, at steps "
                f"{self.grid_steps.tolist()}); got {index!r}"
            )
        return self._matrix(self.grids[index])

    @property
    def final_test_accuracy(self) -> float:
        """Test accuracy after the last epoch."""
        return float(self.test_accuracy[-1])

    # ---- quantities the claims rest on (one run) -------------------------------------
    def similarity_at(self, fraction: float, *, pooled: bool = False) -> dict[str, float]:
        """Each layer's SVCCA with its final state at the snapshot nearest ``fraction`` (0-1) of training."""
        fraction = _check_level(fraction, "fraction")
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be a fraction of training in [0, 1]; got {fraction!r}")
        i = int(np.argmin(np.abs(self.steps - fraction * self.steps[-1])))
        sims = self._sims(pooled)
        return {name: float(sims[i, j]) for j, name in enumerate(self.layers)}

    def block_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Return, for the conv net, SVCCA of conv -> batch norm and of batch norm -> ReLU in each block.

        Read in the final network's grid: each block's conv output with its batch-norm
        output, and the batch-norm output with the block output after the ReLU.
        """
        self._need_blocks()
        final = self.grids[-1]
        k = len(self.grid_layers) // 3
        conv_bn = np.array([final[3 * b, 3 * b + 1] for b in range(k)])
        bn_relu = np.array([final[3 * b + 1, 3 * b + 2] for b in range(k)])
        return conv_bn, bn_relu

    def early_diagonal(self, index: int = 1) -> np.ndarray:
        """SVCCA of each block output at the ``index``-th grid with the same block at the end."""
        self._need_blocks()
        return np.diag(self.grids[check_index(index, len(self.grids), "index")])[2::3].copy()

    def coarse_first_column(self) -> np.ndarray:
        """At ``config.coarse_side``: SVCCA of each block output with the network's first layer."""
        self._need_blocks()
        return self.coarse_grid().values[2::3, 0].copy()

    def _need_blocks(self) -> None:
        if (
            self.final_grid_coarse is None
            or len(self.grid_layers) % 3
            or self.grid_layers == self.layers[:-1]
        ):
            raise ValueError(
                "block patterns need the detailed grids of an image model (grid_detail=True); "
                f"this result has grid layers {self.grid_layers}"
            )

    # ---- claims ------------------------------------------------------------------------
    def claims(self) -> list[Claim]:
        """Return the book's claims (:data:`CLAIMS`), each over every seed in :attr:`runs`.

        Names are ``learning_dynamics.<model>.<claim>``. Each claim is an effect meant to
        survive other seeds and CPUs (the ``default`` preset is the one checked): a rank
        correlation with depth in every seed, a margin in the worst seed.

        * conv: ``accuracy``, ``bottom_up_first``, ``bottom_up_early``, ``settled_bottom_up``,
          ``conv1_at_init``, ``logits_early``, ``bn_invisible``, ``relu_changes``,
          ``grid_bottom_up``, ``grid_gap``, ``top_forgets_first``, ``top_unsettled_at_freeze``,
          ``pooled_top_early``, ``pooled_top_with_logits``;
        * resnet: ``accuracy``, ``bottom_up_first``, ``bottom_up_early``, ``top_keeps_stem``;
        * lstm: ``accuracy``, ``embedding_at_init``, ``lstm1_settles_first``, ``lstm1_area``;
        * mlp: ``near_ceiling_at_init``, ``no_bottom_up``;
        * plain (the ResNet without shortcuts): ``accuracy``, ``bottom_up_first``,
          ``bottom_up_early``, ``top_loses_stem``, ``below_top_keeps_first``.

        Returns
        -------
        list of Claim
        """
        model = str(getattr(self.config, "model", "conv"))
        runs = self.runs or (self,)
        labels = [f"seed {r.seed}" for r in runs]
        measured = {k: v if isinstance(v, tuple) else (v, labels) for k, v in _measured(model, runs).items()}
        hidden = runs[0].hidden_layers
        return claims_table(
            f"learning_dynamics.{model}.",
            CLAIMS[model],
            measured,
            first=hidden[0],
            top=hidden[-1],
            side=runs[0].config.coarse_side,
        )

    # ---- layout of the grids -----------------------------------------------------------
    @property
    def block_rows(self) -> np.ndarray:
        """Rows (and columns) of the grids that hold a block's output.

        A detailed grid of an image model (:func:`grid_layers` with ``detail=True``) has
        three rows per block (conv, batch norm, block output), so every third row from the
        third; any other grid has one row per layer, all of them block outputs.

        Examples
        --------
        >>> from svcca.experiments.learning_dynamics import LearningDynamicsData
        >>> fields = dict.fromkeys(("config", "arrays", "seed", "steps", "epochs", "similarity", "dims",
        ...     "grid_steps", "grids", "test_accuracy", "test_loss", "train_loss", "time_s",
        ...     "steps_per_epoch", "description", "n_datapoints", "layer_widths"))
        >>> detailed = ("conv1.0", "conv1.1", "conv1", "conv2.0", "conv2.1", "conv2")
        >>> LearningDynamicsData(layers=("conv1", "conv2", "logits"), grid_layers=detailed,
        ...                      **fields).block_rows.tolist()
        [2, 5]
        """
        n = len(self.grid_layers)
        detailed = n % 3 == 0 and self.grid_layers != self.layers[:-1]
        return np.arange(2, n, 3) if detailed else np.arange(n)

    @property
    def block_labels(self) -> tuple[str, ...]:
        """Short labels (as the grids' ``row_labels``) of the block outputs, :attr:`block_rows`."""
        return tuple(layer_label(self.grid_layers[i]) for i in self.block_rows)


# --------------------------------------------------------------------------- claims

# the bottom-up claims of the conv net, the ResNet and its plain control
_BOTTOM_UP: dict[str, tuple[str, float, str]] = claim_specs(
    """
    bottom_up_first  > 0.7   the epoch at which a hidden layer first reaches SVCCA 0.95 with its final state
                             rises with depth: Spearman correlation above 0.7 in every seed
    bottom_up_early  < -0.7  a hidden layer's mean SVCCA with its final state over the first third of training
                             falls with depth: Spearman correlation below -0.7 in every seed
    """
)

#: The book's claims (:meth:`LearningDynamicsData.claims`) by model kind: name -> (relation,
#: bound, statement), each about every seed (its worst seed against the bound) but the MLP's
#: ``no_bottom_up`` (the mean over seeds). ``{first}`` and ``{top}`` are the first and the last
#: hidden layer, ``{side}`` is ``coarse_side``.
CLAIMS: dict[str, dict[str, tuple[str, float, str]]] = {
    "conv": {
        **claim_specs("accuracy > 0.97 final test accuracy above 97% in every seed"),
        **_BOTTOM_UP,
        **claim_specs(
            """
            settled_bottom_up        >  0.7   the epoch from which a conv layer stays above SVCCA 0.9 or 0.95
                                              rises with depth: Spearman correlation above 0.7 at each
                                              threshold in every seed
            conv1_at_init            >  0.9   {first} is above SVCCA 0.9 with its final state at
                                              initialisation in every seed
            logits_early             >  3.0   the logits reach SVCCA 0.95 at least 3 epochs before conv3 in
                                              every seed (out of order)
            bn_invisible             >  0.94  a conv output and its batch-norm output are nearly the same
                                              layer for SVCCA: above 0.94 in every block and seed (final
                                              network)
            relu_changes             >  0.05  the ReLU changes the representation: mean SVCCA of batch norm ->
                                              ReLU at least 0.05 below conv -> batch norm in every seed
            grid_bottom_up           <  -0.7  early in training the grid's diagonal (block outputs) falls with
                                              depth: Spearman correlation below -0.7 in every seed
            grid_gap                 >  0.2   early in training the first block matches its final self at
                                              least 0.2 better than the last block, in every seed
            top_forgets_first        <  0.5   at {side}x{side}, the top block's SVCCA with the first conv
                                              layer is below 0.5 in every seed
            # the bound is freeze training's default freeze_stop (FreezeTrainingConfig)
            top_unsettled_at_freeze  >  0.6   {top} first reaches SVCCA 0.95 with its final state only after
                                              60% of training (where freeze training stops it), in most seeds;
                                              value: the median over seeds, as a fraction of training (the
                                              earliest seed can come close to 60%)
            pooled_top_early         >  5.0   globally average-pooled, {top} reaches SVCCA 0.95 at least 5
                                              epochs earlier than with positions as datapoints, in every seed
            pooled_top_with_logits   <= 6.0   globally average-pooled, {top} reaches SVCCA 0.95 at most 6
                                              epochs after the logits, in every seed (it is what the
                                              classifier reads)
            """
        ),
    },
    "resnet": {
        **claim_specs(
            """
            # a seed in a few ends near 97% (0.972 seen)
            accuracy  > 0.95  final test accuracy above 95% in every seed
            """
        ),
        **_BOTTOM_UP,
        **claim_specs(
            """
            top_keeps_stem  > 0.6  at {side}x{side}, the top block's SVCCA with the stem is above 0.6 in every
                                   seed (the shortcuts carry it up)
            """
        ),
    },
    "lstm": claim_specs(
        """
        accuracy             >  0.69  final test accuracy above 69% in every seed
        embedding_at_init    >  0.9   the embedding is above SVCCA 0.9 with its final state at initialisation,
                                      in every seed
        lstm1_settles_first  >= 3.0   lstm1 stays above SVCCA 0.9 with its final state from at least 3 epochs
                                      before lstm2 does, in every seed; value: the epochs between them
        lstm1_area           >  0.03  the area under lstm1's curve (its mean SVCCA with its final state over
                                      training, weighted by time) exceeds lstm2's by more than 0.03 in every
                                      seed
        """
    ),
    "mlp": claim_specs(
        """
        near_ceiling_at_init  > 0.85  every hidden layer is above SVCCA 0.85 with its final state at
                                      initialisation, in every seed
        no_bottom_up          < 0.7   no consistent bottom-up order: in some seed the Spearman correlation of
                                      first reaching SVCCA 0.95 with depth is below 0.7, where the conv net's
                                      is above it in every seed (smallest over seeds; a seed whose layers all
                                      tie counts as 0)
        """
    ),
    # the control of the ResNet: the same widths and depth without shortcuts (issue 12)
    "plain": {
        **claim_specs(
            """
            # without shortcuts some seeds train less well (0.946 seen)
            accuracy  > 0.9  final test accuracy above 90% in every seed
            """
        ),
        **_BOTTOM_UP,
        **claim_specs(
            """
            top_loses_stem         < 0.6  at {side}x{side}, the top layer's SVCCA with the first is below 0.6
                                          in every seed (without shortcuts nothing carries it up)
            below_top_keeps_first  > 0.7  at {side}x{side}, the layer below the top keeps SVCCA above 0.7 with
                                          the first in every seed (the coarse comparison alone keeps much of
                                          it)
            """
        ),
    },
}


def _measured(model: str, runs: Sequence[LearningDynamicsData]) -> dict[str, Any]:
    """Measure what the claims of ``model`` rest on: name -> every run's value (or a value and details)."""
    if model == "lstm":
        emb = runs[0].layers.index("embedding")
        settled = [r.settled_from(0.9) for r in runs]
        areas = [r.area() for r in runs]
        return {
            "accuracy": [r.final_test_accuracy for r in runs],
            "embedding_at_init": [r.similarity[0, emb] for r in runs],
            "lstm1_settles_first": [s["lstm2"] - s["lstm1"] for s in settled],
            "lstm1_area": [a["lstm1"] - a["lstm2"] for a in areas],
        }
    first = [depth_correlation([r.first_reaching(0.95)[n] for n in r.hidden_layers]) for r in runs]
    if model == "mlp":
        # a seed whose layers all first reach 0.95 together has no order at all: 0, not NaN
        no_order = np.nan_to_num(first, nan=0.0)
        return {
            "near_ceiling_at_init": [r.similarity[0, :-1].min() for r in runs],
            "no_bottom_up": (
                float(no_order.min()),
                claim_details([r.seed for r in runs], no_order, prefix="seed "),
            ),
        }
    coarse = [r.coarse_first_column() for r in runs]
    out: dict[str, Any] = {
        "accuracy": [r.final_test_accuracy for r in runs],
        "bottom_up_first": first,
        "bottom_up_early": [
            depth_correlation([r.mean_similarity()[n] for n in r.hidden_layers]) for r in runs
        ],
        # at coarse_side, the top layer's and the one below's SVCCA with the first layer
        **dict.fromkeys(("top_forgets_first", "top_keeps_stem", "top_loses_stem"), [c[-1] for c in coarse]),
        "below_top_keeps_first": [c[-2] for c in coarse],
    }
    if model != "conv":
        return out
    hidden = runs[0].hidden_layers
    top = hidden[-1]
    firsts = [r.first_reaching(0.95) for r in runs]
    pooled = [r.first_reaching(0.95, pooled=True) for r in runs]
    pairs = [r.block_pairs() for r in runs]
    diags = [r.early_diagonal() for r in runs]
    return out | {
        "settled_bottom_up": [
            min(depth_correlation([r.settled_from(t)[n] for n in hidden]) for t in (0.9, 0.95)) for r in runs
        ],
        "conv1_at_init": [r.similarity[0, 0] for r in runs],
        "logits_early": [_later_by(r, f["conv3"], f["logits"]) for f, r in zip(firsts, runs)],
        "bn_invisible": [cb.min() for cb, _ in pairs],
        "relu_changes": [cb.mean() - br.mean() for cb, br in pairs],
        "grid_bottom_up": [depth_correlation(d) for d in diags],
        "grid_gap": [d[0] - d[-1] for d in diags],
        "top_unsettled_at_freeze": median_case(
            [r.seed for r in runs], [_fraction(r, f[top]) for f, r in zip(firsts, runs)], prefix="seed "
        ),
        "pooled_top_early": [_later_by(r, f[top], q[top]) for f, q, r in zip(firsts, pooled, runs)],
        "pooled_top_with_logits": [
            _later_by(r, q[top], f["logits"]) for f, q, r in zip(firsts, pooled, runs)
        ],
    }


def _check_level(value: Any, name: str) -> float:
    """Check a threshold or fraction given to a method: a real number, never NaN (it compares false)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a real number; got {value!r}")
    return float(value)


def _fraction(run: LearningDynamicsData, epoch: float) -> float:
    """Return an epoch as a fraction of training (never reached, NaN: 1 + one epoch)."""
    end = float(run.epochs[-1])
    return (end + 1.0 if np.isnan(epoch) else epoch) / end


def _later_by(run: LearningDynamicsData, late: float, early: float) -> float:
    """Count the epochs from ``early`` to ``late`` (two epochs of first reaching a threshold).

    A layer that never reaches it (NaN) counts as reaching it one epoch after the end.
    """
    end = float(run.epochs[-1]) + 1.0
    return (end if np.isnan(late) else late) - (end if np.isnan(early) else early)


#: Named access to the arrays of a learning-dynamics run: :meth:`LearningDynamicsData.from_result`.
unpack = LearningDynamicsData.from_result
