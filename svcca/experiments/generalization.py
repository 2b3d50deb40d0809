"""Generalizing vs memorizing networks (Morcos, Raghu & Bengio 2018).

``K`` networks are trained on the true labels (the *generalizing* group, G) and ``K`` on
one fixed random permutation of the training labels (the *memorizing* group, M; Zhang et
al. 2017), each until it fits its training labels (100% training accuracy by default).
Every layer of every network is recorded over one evaluation set, and for each layer and
each measure (PWCCA, mean CCA, SVCCA, linear CKA) the similarity of every pair of
networks is stored. Pairs fall into three kinds: both generalizing (GG), both memorizing
(MM), one of each (GM). Morcos et al. found that late layers of generalizing networks
are more similar to each other than late layers of memorizing networks are, that early
layers are about equally similar in both groups, and that memorizing networks are about
as similar to each other as to generalizing ones (MM ~ GM) in late layers.

Presets (``GeneralizationConfig.for_scale``):

* ``tiny``: 2 + 2 MLPs 64 -> 2 x 32 -> 10 on the digits, a few epochs (seconds; tests);
* ``default``: 5 + 5 MLPs 64 -> 3 x 256 -> 10 on scikit-learn's 8x8 digits (embedded, no
  download), Adam 1e-3, batch 128, each trained to 100% training accuracy, compared on the
  500 test images under every one-pixel shift (n = 4500; a 256-unit layer needs that many
  datapoints, see the pilot study);
* ``full``: 5 + 5 Tiny-10 conv nets (4x width) on CIFAR-10, conv layers with spatial
  positions as datapoints (GPU); runs only when CIFAR-10 is in the data folder.

Uncertainty: the pairs share networks (network 1 is in four GG pairs), so the pair
similarities are not independent and a t-interval over pairs is too narrow. The intervals
here resample *networks*, the unit that was drawn at random (:func:`network_bootstrap`),
and the GG-vs-MM comparison has an exact permutation test over the assignment of
networks to groups (:func:`group_permutation_test`).

Claims: ``GeneralizationConfig.claims(result)`` (:meth:`GeneralizationData.claims`) states
what chapter 6 says as effects with margins: the PWCCA GG - MM gap in the last hidden layer
and its growth from each layer to the next (network-bootstrap intervals), the small gap of
the first layer, MM slightly but significantly above GM in the last hidden layer, the
permutation test, and how mean CCA, CKA and SVCCA differ. The robustness matrix
(``svcca claims``) checks them under seed and CPU-kernel variants.

Reading a result::

    from svcca.experiments import run_or_load
    from svcca.experiments.generalization import GeneralizationConfig, unpack

    data = unpack(run_or_load(GeneralizationConfig.for_scale("default")))
    data.mean("pwcca", "GG")                       # per-layer mean over GG pairs
    gap = data.gap("pwcca", data.last_hidden)      # GG - MM with a network-bootstrap interval

References
----------
A. S. Morcos, M. Raghu, S. Bengio. Insights on representational similarity in neural
networks with canonical correlation. NeurIPS 2018.
C. Zhang, S. Bengio, M. Hardt, B. Recht, O. Vinyals. Understanding deep learning requires
rethinking generalization. ICLR 2017.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import numpy as np

from .._validation import check_confidence
from ._cache import ExperimentData, stored
from ._claims import claim_specs
from ._toolbox import (
    DEFAULT_MEASURES,
    NetworkFields,
    TrainingConfig,
    check_comparison,
    names_or,
    probe_inputs,
    record_layer,
    similarity_grid,
)

__all__ = [
    "KINDS",
    "DEFAULT_MEASURES",
    "GapResult",
    "GeneralizationConfig",
    "GeneralizationData",
    "group_permutation_test",
    "network_bootstrap",
    "pair_values",
    "unpack",
]

#: Kinds of pairs: both generalizing, both memorizing, one of each.
KINDS = ("GG", "MM", "GM")


@dataclass(frozen=True)
class GeneralizationConfig(NetworkFields, TrainingConfig):
    """Train generalizing and memorizing networks; compare every pair, layer by layer.

    As in Morcos et al. (2018): ``n_networks`` networks learn the true labels
    (generalizing, G) and as many learn one random permutation of them (memorizing, M);
    every pair, GG, MM or GM, is compared in every layer.

    Parameters
    ----------
    model, hidden, arch, width
        The network: see :class:`~svcca.experiments.NetworkFields` (default an MLP of
        ``hidden=(256, 256, 256)``; ``arch="tiny10"``).
    n_networks : int, default 5
        Networks per group (``K``); at least 2.
    epochs : int, default 300
        Most epochs a network may train; it stops at the first epoch whose training
        accuracy (exact, in eval mode) reaches ``target_train_accuracy``.
    target_train_accuracy : float, default 1.0
        The training accuracy at which a network stops (a memorizing network fits its last
        random labels slowly).
    n_train : int or None, default None
        Train on the first ``n_train`` training images only (None: all).
    eval_shift : int, default 1
        The evaluation set is the test images under every shift of up to this many pixels
        (``(2 s + 1)^2`` times the test set; 0: the plain test set).
    n_eval : int or None, default None
        Use only the first ``n_eval`` test images (None: all).
    positions_per_image : int or None, default 16
        Conv layers: spatial positions are datapoints; keep about this many per image
        (the same rows for every network), or all of them (None).
    measures : tuple of str, default ("pwcca", "cca", "svcca", "cka")
        Distinct names from :data:`svcca.MEASURES`.
    keep : float, default 0.99
        Variance SVCCA keeps (and the threshold of the stored direction counts).
    seed : int, default 0
        Seeds the digits' train/test split, the label permutation
        (``random_labels(train, seed=seed)``) and the networks: generalizing network ``i``
        uses seed ``1000 * seed + i``, memorizing network ``i`` seed ``1000 * seed + 500 + i``
        (initialisation and data order).
    dataset, image_size, batch_size, lr, device, data_root, verify_data, num_threads
        See :class:`~svcca.experiments.TrainingConfig`.
    """

    experiment: ClassVar[str] = "generalization"
    schema_version: ClassVar[int] = 2  # 2: the digits split follows ``seed``

    hidden: tuple[int, ...] = (256, 256, 256)
    arch: str = "tiny10"
    n_networks: int = 5
    epochs: int = 300
    target_train_accuracy: float = 1.0
    n_train: int | None = None
    eval_shift: int = 1
    n_eval: int | None = None
    positions_per_image: int | None = 16
    measures: tuple[str, ...] = DEFAULT_MEASURES
    keep: float = 0.99
    seed: int = 0

    def __post_init__(self) -> None:
        """Check the fields."""
        super().__post_init__()
        check_comparison(self)
        if isinstance(self.n_networks, bool) or not isinstance(self.n_networks, int) or self.n_networks < 2:
            raise ValueError(f"n_networks must be an int >= 2 (networks per group); got {self.n_networks!r}")
        if not 0.0 < float(self.target_train_accuracy) <= 1.0:
            raise ValueError(f"target_train_accuracy must be in (0, 1]; got {self.target_train_accuracy!r}")

    # ---- presets ---------------------------------------------------------------------
    @classmethod
    def preset_tiny(cls) -> GeneralizationConfig:
        """3 + 3 MLPs 2 x 32 on 300 digits, at most 4 epochs, 100 test images: seconds."""
        return cls(hidden=(32, 32), n_networks=3, epochs=4, n_train=300, eval_shift=0, n_eval=100)

    @classmethod
    def preset_full(cls) -> GeneralizationConfig:
        """5 + 5 Tiny-10 conv nets (4x width) on CIFAR-10 to 99% training accuracy (GPU).

        Fitting the last 1% of 50000 random labels can take as long as the first 99%, so
        the full preset stops at 99%; set ``target_train_accuracy=1.0`` to follow the
        paper exactly.
        """
        return cls(
            dataset="cifar10", model="conv", arch="tiny10", width=4.0,
            epochs=400, target_train_accuracy=0.99,
            eval_shift=0, n_eval=2000, positions_per_image=16, device="auto",
        )  # fmt: skip

    # ---- the experiment --------------------------------------------------------------
    def network_seeds(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Seeds of the generalizing and of the memorizing networks."""
        base = 1000 * int(self.seed)
        k = self.n_networks
        return tuple(base + i for i in range(k)), tuple(base + 500 + i for i in range(k))

    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        """Train both groups, record every layer, compare all pairs; see :func:`unpack`."""
        import torch

        from ..nn import evaluate, take
        from ..nn.data import random_labels

        data = self.load_data()
        train_true = take(data.train, self.n_train)
        groups = {"G": train_true, "M": random_labels(train_true, seed=int(self.seed))}
        probe, n_images = probe_inputs(data, self.n_eval, self.eval_shift)
        eval_x = probe.tensors[0].to(torch.float32)
        g_seeds, m_seeds = self.network_seeds()
        nets, epochs, train_acc, test_acc, reached = [], [], [], [], []
        for group, seeds in (("G", g_seeds), ("M", m_seeds)):
            for s in seeds:
                net = self.build_model(data, s)
                hist = self.fit(
                    net,
                    groups[group],
                    s,
                    target_train_accuracy=self.target_train_accuracy,
                    eval_train=True,
                    progress=progress,
                )
                nets.append(net)
                epochs.append(len(hist.epoch))
                train_acc.append(hist.train_accuracy[-1] if hist.train_accuracy else np.nan)
                reached.append(bool(hist.reached_target))
                test_acc.append(evaluate(net, data.test, device=self.device)[1])
        layers = tuple(nets[0].layer_names)
        n_nets = len(nets)
        sims = np.full((len(self.measures), len(layers), n_nets, n_nets), np.nan)
        dims = np.zeros((len(layers), n_nets), dtype=np.int64)
        widths, rows = [], []
        for li, layer in enumerate(layers):
            acts = record_layer(nets, eval_x, layer, per_image=self.positions_per_image, rng=[self.seed, li])
            widths.append(acts[0].shape[1])
            rows.append(acts[0].shape[0])
            named = {i: a for i, a in enumerate(acts)}
            for mi, measure in enumerate(self.measures):
                sims[mi, li] = similarity_grid(named, measure, keep=self.keep)
            dims[li] = [_directions_kept(a, self.keep) for a in acts]
        return {
            "layers": np.array(layers),
            "layer_widths": np.array(widths, dtype=np.int64),
            "n_rows": np.array(rows, dtype=np.int64),
            "measures": np.array(self.measures),
            "similarity": sims,
            "svcca_dims": dims,
            "memorizing": np.array([False] * len(g_seeds) + [True] * len(m_seeds)),
            "seeds": np.array(g_seeds + m_seeds, dtype=np.int64),
            "epochs": np.array(epochs, dtype=np.int64),
            "train_accuracy": np.array(train_acc, dtype=np.float64),
            "test_accuracy": np.array(test_acc, dtype=np.float64),
            "reached_target": np.array(reached),
            "n_eval_images": np.array(n_images, dtype=np.int64),
            "n_classes": np.array(data.n_classes, dtype=np.int64),
            "dataset": np.array(data.name),
        }


def _directions_kept(a: np.ndarray, keep: float) -> int:
    """Count the SVD directions explaining ``keep`` of a layer's variance (what SVCCA keeps)."""
    from .._pca import pca

    return int(pca(np.asarray(a, dtype=np.float64)).n_components_for(keep))


# --------------------------------------------------------------------------- statistics


def _group_index(memorizing: Any) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(memorizing, dtype=bool).ravel()
    g_idx, m_idx = np.flatnonzero(~m), np.flatnonzero(m)
    if g_idx.size < 2 or m_idx.size < 2:
        raise ValueError(
            "need at least 2 networks in each group; "
            f"got {g_idx.size} generalizing and {m_idx.size} memorizing"
        )
    return g_idx, m_idx


def _check_matrix(matrix: Any, n: int) -> np.ndarray:
    M = np.asarray(matrix, dtype=np.float64)
    if M.shape != (n, n):
        raise ValueError(f"matrix must have shape (n_networks, n_networks) = ({n}, {n}); got {M.shape}")
    return M


def pair_values(matrix: Any, memorizing: Any, kind: str) -> np.ndarray:
    """Similarities of all pairs of one kind, from a networks x networks matrix.

    Parameters
    ----------
    matrix : array of shape (n_networks, n_networks)
        ``matrix[i, j]``: similarity of networks ``i`` and ``j`` (one layer, one measure).
    memorizing : array of bool, shape (n_networks,)
        Which networks were trained on random labels.
    kind : {"GG", "MM", "GM"}
        Both generalizing (``i < j``), both memorizing (``i < j``), or one of each (all
        ``n_G * n_M`` pairs; the matrix is read at ``[g, m]``).

    Returns
    -------
    numpy.ndarray of shape (n_pairs,)

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.generalization import pair_values
    >>> M = np.array([[1, .9, .5, .4], [.9, 1, .6, .5], [.5, .6, 1, .7], [.4, .5, .7, 1]])
    >>> mem = [False, False, True, True]
    >>> pair_values(M, mem, "GG"), pair_values(M, mem, "MM"), pair_values(M, mem, "GM")
    (array([0.9]), array([0.7]), array([0.5, 0.4, 0.6, 0.5]))
    """
    from .._validation import check_option

    check_option(kind, "kind", KINDS)
    g_idx, m_idx = _group_index(memorizing)
    M = _check_matrix(matrix, g_idx.size + m_idx.size)
    if kind == "GM":
        return M[np.ix_(g_idx, m_idx)].ravel()
    idx = g_idx if kind == "GG" else m_idx
    i, j = np.triu_indices(idx.size, 1)
    return M[idx[i], idx[j]]


def _within_means(M: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Mean similarity over pairs of distinct networks within each row of resampled indices."""
    sub = M[draws[:, :, None], draws[:, None, :]]
    k = draws.shape[1]
    upper = np.triu(np.ones((k, k), dtype=bool), 1)
    valid = upper[None] & (draws[:, :, None] != draws[:, None, :])
    counts = valid.sum(axis=(1, 2))
    sums = np.where(valid, sub, 0.0).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def network_bootstrap(
    matrix: Any, memorizing: Any, *, n_resamples: int = 2000, rng: Any = None
) -> dict[str, np.ndarray]:
    """Bootstrap distributions of the GG, MM and GM mean similarities, resampling networks.

    Each replicate draws ``n_G`` generalizing and ``n_M`` memorizing networks with
    replacement and averages the similarity over the pairs of *distinct* networks drawn
    (a network is never paired with its own copy). Resampling networks, not pairs,
    respects that the pairs share networks; the three distributions come from the same
    draws, so differences between kinds (GG - MM, MM - GM) are bootstrapped consistently.

    Parameters
    ----------
    matrix : array of shape (n_networks, n_networks)
    memorizing : array of bool, shape (n_networks,)
    n_resamples : int, default 2000
    rng : None, int or numpy.random.Generator

    Returns
    -------
    dict of {"GG", "MM", "GM"} -> numpy.ndarray of shape (n_resamples,)
        Replicates in which every draw was the same network (no distinct pair) are NaN;
        with ``n >= 3`` networks per group they are rare (probability ``n^(1-n)``).

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.generalization import network_bootstrap
    >>> mem = np.array([False] * 4 + [True] * 4)
    >>> M = np.where(mem[:, None] & mem[None, :], 0.6, 0.5)   # MM pairs 0.6, the rest 0.5
    >>> M[np.ix_(~mem, ~mem)] = 0.9                           # GG pairs 0.9
    >>> boot = network_bootstrap(M, mem, n_resamples=200, rng=0)
    >>> [float(np.nanmean(boot[k])) for k in ("GG", "MM", "GM")]
    [0.9, 0.6, 0.5]
    """
    from .._validation import check_rng

    g_idx, m_idx = _group_index(memorizing)
    M = _check_matrix(matrix, g_idx.size + m_idx.size)
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive int; got {n_resamples!r}")
    gen = check_rng(rng)
    g_draw = g_idx[gen.integers(0, g_idx.size, (int(n_resamples), g_idx.size))]
    m_draw = m_idx[gen.integers(0, m_idx.size, (int(n_resamples), m_idx.size))]
    gm = M[g_draw[:, :, None], m_draw[:, None, :]].mean(axis=(1, 2))
    return {"GG": _within_means(M, g_draw), "MM": _within_means(M, m_draw), "GM": gm}


def group_permutation_test(matrix: Any, memorizing: Any) -> tuple[float, float]:
    """Exact permutation test of ``mean(GG) - mean(MM)`` over the assignment of networks to groups.

    Under the null hypothesis that the labels a network was trained on do not change how
    similar it is to the others, every way of splitting the networks into groups of sizes
    ``n_G`` and ``n_M`` is equally likely. The p-value is the fraction of the
    ``C(n_G + n_M, n_G)`` splits whose statistic is at least the observed one (one-sided,
    the observed split included), so it is never below ``1 / C(n_G + n_M, n_G)``: 1/252
    for 5 + 5 networks.

    Parameters
    ----------
    matrix : array of shape (n_networks, n_networks)
    memorizing : array of bool, shape (n_networks,)

    Returns
    -------
    (observed, p_value) : tuple of float

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.generalization import group_permutation_test
    >>> mem = np.array([False] * 3 + [True] * 3)
    >>> M = np.full((6, 6), 0.5)
    >>> M[:3, :3] = 0.9                      # generalizing networks agree
    >>> observed, p = group_permutation_test(M, mem)
    >>> round(observed, 3), round(p, 3)      # no other split of 6 into 3 + 3 does as well
    (0.4, 0.05)
    """
    g_idx, m_idx = _group_index(memorizing)
    n = g_idx.size + m_idx.size
    M = _check_matrix(matrix, n)

    def stat(g: np.ndarray, m: np.ndarray) -> float:
        i, j = np.triu_indices(g.size, 1)
        k, l = np.triu_indices(m.size, 1)
        return float(M[g[i], g[j]].mean() - M[m[k], m[l]].mean())

    observed = stat(g_idx, m_idx)
    everyone = np.arange(n)
    null = []
    for split in itertools.combinations(range(n), g_idx.size):
        g = np.array(split)
        null.append(stat(g, np.setdiff1d(everyone, g)))
    null_arr = np.array(null)
    p = float(np.mean(null_arr >= observed - 1e-12))
    return observed, p


@dataclass(frozen=True)
class GapResult:
    """The difference of mean similarity between two kinds of pairs, in one layer.

    Attributes
    ----------
    measure, layer : str
    kinds : (str, str)
        E.g. ``("GG", "MM")``: ``difference = mean(GG) - mean(MM)``.
    difference : float
        Over all pairs of each kind.
    low, high : float
        Network-bootstrap percentile interval of the difference (:func:`network_bootstrap`),
        widened if needed to contain ``difference``, as :meth:`GeneralizationData.intervals`.
    confidence : float
    cohens_d : float
        The difference over the pooled standard deviation of the pair similarities. The
        pairs share networks, so this overstates how separable the groups are; read it as
        "the spread between pairs is small next to the gap", not as an independent-sample
        effect size.
    p_value : float or None
        Exact permutation p-value over group assignments (:func:`group_permutation_test`);
        only for ``("GG", "MM")``.
    """

    measure: str
    layer: str
    kinds: tuple[str, str]
    difference: float
    low: float
    high: float
    confidence: float
    cohens_d: float
    p_value: float | None = None

    def __repr__(self) -> str:
        """Show the estimate, its interval and p-value."""
        p = "" if self.p_value is None else f", p={self.p_value:.4f}"
        return (
            f"GapResult({self.kinds[0]} - {self.kinds[1]}, {self.measure}, {self.layer}: "
            f"{self.difference:+.3f} [{self.low:+.3f}, {self.high:+.3f}], d={self.cohens_d:.1f}{p})"
        )


def _cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = a.size, b.size
    if na + nb <= 2:
        return float("nan")
    ss = (na - 1) * a.var(ddof=1 if na > 1 else 0) + (nb - 1) * b.var(ddof=1 if nb > 1 else 0)
    pooled = ss / (na + nb - 2)
    diff = float(a.mean() - b.mean())
    if pooled <= 0:
        return float("inf") * np.sign(diff) if diff else 0.0
    return diff / float(np.sqrt(pooled))


# --------------------------------------------------------------------------- unpacking


@dataclass(frozen=True, eq=False)
class GeneralizationData(ExperimentData):
    """Generalizing and memorizing networks, every pair compared layer by layer.

    Attributes
    ----------
    layers : tuple of str
        Recorded layers, input side first (the last is the logits).
    measures : tuple of str
    memorizing : numpy.ndarray of bool, shape (n_networks,)
        Generalizing networks first.
    seeds, epochs : numpy.ndarray of int, shape (n_networks,)
        Each network's seed and the epochs it trained.
    train_accuracy, test_accuracy : numpy.ndarray of shape (n_networks,)
        Training accuracy on the labels it was trained on, and test accuracy (true labels).
    reached_target : numpy.ndarray of bool, shape (n_networks,)
    """

    config_class = GeneralizationConfig

    layers: tuple[str, ...] = field(metadata=stored())
    measures: tuple[str, ...] = field(metadata=stored())
    memorizing: np.ndarray = field(metadata=stored(convert=partial(np.asarray, dtype=bool)))
    seeds: np.ndarray = field(metadata=stored())
    epochs: np.ndarray = field(metadata=stored())
    train_accuracy: np.ndarray = field(metadata=stored())
    test_accuracy: np.ndarray = field(metadata=stored())
    reached_target: np.ndarray = field(metadata=stored(convert=partial(np.asarray, dtype=bool)))

    @property
    def hidden_layers(self) -> tuple[str, ...]:
        """Every layer but the logits."""
        return self.layers[:-1]

    @property
    def last_hidden(self) -> str:
        """The layer that feeds the logits."""
        return self.layers[-2]

    @property
    def n_per_group(self) -> tuple[int, int]:
        """``(n_generalizing, n_memorizing)``."""
        m = self.memorizing
        return int((~m).sum()), int(m.sum())

    @property
    def n_rows(self) -> dict[str, int]:
        """Datapoints each layer was compared over (images, or image positions for conv layers)."""
        return {layer: int(n) for layer, n in zip(self.layers, self.arrays["n_rows"])}

    @property
    def layer_widths(self) -> dict[str, int]:
        """Units (channels) of each layer."""
        return {layer: int(n) for layer, n in zip(self.layers, self.arrays["layer_widths"])}

    @property
    def dataset(self) -> str:
        """Name of the dataset the networks were trained on."""
        return str(self.arrays["dataset"])

    def group(self, name: str) -> np.ndarray:
        """Return the indices of the networks of ``"G"`` (generalizing) or ``"M"`` (memorizing)."""
        if name not in ("G", "M"):
            raise ValueError(f"group must be one of 'G', 'M'; got {name!r}")
        return np.flatnonzero(self.memorizing if name == "M" else ~self.memorizing)

    def _layer_index(self, layer: str | int) -> int:
        if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
            n = len(self.layers)
            if not -n <= layer < n:
                raise IndexError(f"layer index {layer} out of range: {n} layers {self.layers}")
            return int(range(n)[layer])
        if layer not in self.layers:
            raise KeyError(f"unknown layer {layer!r}; layers: {self.layers}")
        return self.layers.index(layer)

    def _measure_index(self, measure: str) -> int:
        if measure not in self.measures:
            raise KeyError(f"unknown measure {measure!r}; measures: {self.measures}")
        return self.measures.index(measure)

    def matrix(self, measure: str, layer: str | int) -> np.ndarray:
        """Networks x networks similarity of one layer (generalizing networks first)."""
        return np.asarray(self.arrays["similarity"][self._measure_index(measure), self._layer_index(layer)])

    def pairs(self, measure: str, kind: str, layers: Sequence[str | int] | None = None) -> np.ndarray:
        """Similarity of every pair of ``kind`` in each layer, shape ``(n_pairs, n_layers)``.

        ``layers`` defaults to every layer (logits included).
        """
        chosen = names_or(layers, "layers", self.layers)
        cols = [pair_values(self.matrix(measure, layer), self.memorizing, kind) for layer in chosen]
        return np.stack(cols, axis=1)

    def mean(self, measure: str, kind: str, layers: Sequence[str | int] | None = None) -> np.ndarray:
        """Mean over the pairs of ``kind``, per layer."""
        return self.pairs(measure, kind, layers).mean(axis=0)

    def bootstrap(
        self, measure: str, layer: str | int, *, n_resamples: int = 2000, rng: Any = 0
    ) -> dict[str, np.ndarray]:
        """:func:`network_bootstrap` of one layer (replicates of the GG, MM and GM means)."""
        matrix = self.matrix(measure, layer)
        return network_bootstrap(matrix, self.memorizing, n_resamples=n_resamples, rng=rng)

    def intervals(
        self,
        measure: str,
        kind: str,
        layers: Sequence[str] | None = None,
        *,
        n_resamples: int = 2000,
        confidence: float = 0.95,
        rng: Any = 0,
    ) -> list[Any]:
        """Network-bootstrap percentile intervals of the mean of ``kind``, one per layer.

        Returns
        -------
        list of svcca.stats.BootstrapResult
            ``observed`` is the mean over all pairs of ``kind``; ``low``/``high`` the
            percentile interval over resampled networks, widened if needed to contain
            ``observed`` (with few networks the resampled means can all fall on one side
            of it). Ready for :func:`svcca.plotting.plot_group_comparison`.
        """
        check_confidence(confidence)
        chosen = names_or(layers, "layers", self.layers)
        out = []
        for layer in chosen:
            observed = float(pair_values(self.matrix(measure, layer), self.memorizing, kind).mean())
            boot = self.bootstrap(measure, layer, n_resamples=n_resamples, rng=rng)[kind]
            out.append(_percentile(boot, confidence, observed, measure))
        return out

    def gap(
        self,
        measure: str,
        layer: str | int,
        kinds: tuple[str, str] = ("GG", "MM"),
        *,
        n_resamples: int = 2000,
        confidence: float = 0.95,
        rng: Any = 0,
    ) -> GapResult:
        """``mean(kinds[0]) - mean(kinds[1])`` in one layer, with a network-bootstrap interval.

        For ``("GG", "MM")`` also the exact permutation p-value over group assignments.
        """
        check_confidence(confidence)
        a_kind, b_kind = kinds
        M = self.matrix(measure, layer)
        a = pair_values(M, self.memorizing, a_kind)
        b = pair_values(M, self.memorizing, b_kind)
        boot = self.bootstrap(measure, layer, n_resamples=n_resamples, rng=rng)
        difference = float(a.mean() - b.mean())
        interval = _percentile(boot[a_kind] - boot[b_kind], confidence, difference, measure)
        low, high = interval.low, interval.high
        p = group_permutation_test(M, self.memorizing)[1] if tuple(kinds) == ("GG", "MM") else None
        return GapResult(
            measure=measure,
            layer=self.layers[self._layer_index(layer)],
            kinds=(a_kind, b_kind),
            difference=difference,
            low=low,
            high=high,
            confidence=float(confidence),
            cohens_d=_cohens_d(a, b),
            p_value=p,
        )

    def gap_change(
        self,
        measure: str,
        lower: str | int,
        upper: str | int,
        kinds: tuple[str, str] = ("GG", "MM"),
        *,
        n_resamples: int = 2000,
        confidence: float = 0.95,
        rng: Any = 0,
    ) -> Any:
        """How much the gap ``mean(kinds[0]) - mean(kinds[1])`` grows from layer ``lower`` to ``upper``.

        Both layers are bootstrapped with the *same* draws of networks (the draws depend
        only on ``rng`` and the group sizes), so the change of the gap is resampled
        consistently: each replicate is the gap in ``upper`` minus the gap in ``lower`` for
        one set of resampled networks.

        Returns
        -------
        svcca.stats.BootstrapResult
            ``observed`` is the change over all pairs; ``low``/``high`` the network-bootstrap
            percentile interval, widened if needed to contain ``observed``.

        Examples
        --------
        >>> import numpy as np
        >>> from svcca.experiments.generalization import unpack
        >>> mem = np.array([False] * 3 + [True] * 3)
        >>> def layer(gg):                       # GG pairs at gg, every other pair at 0.5
        ...     M = np.full((6, 6), 0.5)
        ...     M[:3, :3] = gg
        ...     return M
        >>> sims = np.stack([layer(0.6), layer(0.9)])[None]     # one measure, two layers
        >>> data = unpack({"layers": np.array(["a", "b"]), "measures": np.array(["cka"]),
        ...                "similarity": sims, "memorizing": mem, "seeds": np.arange(6),
        ...                "epochs": np.ones(6), "train_accuracy": np.ones(6),
        ...                "test_accuracy": np.ones(6), "reached_target": np.ones(6, bool)})
        >>> change = data.gap_change("cka", "a", "b")
        >>> round(change.observed, 3), round(change.low, 3), round(change.high, 3)
        (0.3, 0.3, 0.3)
        """
        check_confidence(confidence)
        a_kind, b_kind = kinds
        reps = []
        for layer in (lower, upper):
            boot = self.bootstrap(measure, layer, n_resamples=n_resamples, rng=rng)
            reps.append(boot[a_kind] - boot[b_kind])
        observed = float(
            self.mean(measure, a_kind, [upper])[0]
            - self.mean(measure, b_kind, [upper])[0]
            - self.mean(measure, a_kind, [lower])[0]
            + self.mean(measure, b_kind, [lower])[0]
        )
        return _percentile(reps[1] - reps[0], confidence, observed, measure)

    def naive_interval_widths(
        self, measure: str, layer: str | int, *, confidence: float = 0.95
    ) -> dict[str, float]:
        """Width of the t-interval over pairs (which treats pairs as independent), per kind of pair."""
        from scipy import stats as sps

        check_confidence(confidence)
        out = {}
        for kind in KINDS:
            v = pair_values(self.matrix(measure, layer), self.memorizing, kind)
            q = sps.t.ppf(0.5 + float(confidence) / 2, v.size - 1)
            out[kind] = float(2 * q * v.std(ddof=1) / np.sqrt(v.size))
        return out

    def claims(self) -> list[Any]:
        """Return the claims chapter 6 makes about a default-scale run (a list of :class:`Claim`).

        Names are ``"generalization.<claim>"``. All intervals are 95% network-bootstrap
        intervals (2000 resamples, fixed generator), so every claim is an effect with a
        margin, not one run's exact values:

        * ``fit``, ``test_accuracy_g``, ``test_accuracy_m``, ``epochs_ratio``: every network
          fits its labels; generalizing networks generalize, memorizing ones stay near
          chance, and memorizing takes more than twice as many epochs;
        * ``pwcca.gap_last``: in the last hidden layer the GG - MM gap of PWCCA is positive
          (lower end of its interval above the bound);
        * ``pwcca.gap_grows``: the gap grows from each hidden layer to the next (smallest
          lower end of the interval of the change);
        * ``pwcca.gap_first_small``: the gap of the first layer is under 0.4 of the last's;
        * ``pwcca.mm_gm_close``: MM and GM stay close in every hidden layer. (In the last
          hidden layer their difference is a few thousandths in some runs, with an interval
          that includes zero, so its sign is not a claim.)
        * ``pwcca.permutation_p``: the exact permutation test of the last layer's gap;
        * ``pwcca.bootstrap_wider``: the network bootstrap is wider than a t-interval over
          pairs, for every kind of pair;
        * ``cca.*``, ``cka.*``, ``svcca.*``, ``all_measures.gap_last``,
          ``pwcca.separation_beats_cca_svcca``: the other measures (Sections 4 and 5 and the first
          exercise).
        """
        from ._claims import claims_table, smallest

        G, M = self.group("G"), self.group("M")
        hidden = list(self.hidden_layers)
        first, last = hidden[0], hidden[-1]
        gaps = {m: self.gap(m, last) for m in self.measures}
        measured: dict[str, Any] = {
            "fit": (self.reached_target.mean(), {"min_train_accuracy": self.train_accuracy.min()}),
            "test_accuracy_g": self.test_accuracy[G].min(),
            "test_accuracy_m": self.test_accuracy[M].max(),
            "epochs_ratio": (
                self.epochs[M].mean() / self.epochs[G].mean(),
                {"epochs_g": self.epochs[G].mean(), "epochs_m": self.epochs[M].mean()},
            ),
        }
        if "pwcca" in self.measures:
            g_first, g_last = self.gap("pwcca", first), gaps["pwcca"]
            steps = list(zip(hidden[:-1], hidden[1:]))
            changes = [self.gap_change("pwcca", a, b) for a, b in steps]
            close = max(
                abs(float(self.mean("pwcca", "MM", [h])[0] - self.mean("pwcca", "GM", [h])[0]))
                for h in hidden
            )
            naive = self.naive_interval_widths("pwcca", last)
            netboot = {k: (lambda b: b.high - b.low)(self.intervals("pwcca", k, [last])[0]) for k in KINDS}
            # a t-interval of width 0 is narrower than any; an undefined one (a kind with one
            # pair) makes the ratio undefined, and the claim fails, never passes
            widths = {
                k: netboot[k] / naive[k] if naive[k] > 0 else (math.inf if naive[k] == 0 else math.nan)
                for k in KINDS
            }
            measured |= {
                "pwcca.gap_last": (g_last.low, {"gap": g_last.difference, "high": g_last.high}),
                "pwcca.gap_grows": (
                    min(c.low for c in changes),
                    {f"change_{a}_{b}": c.observed for (a, b), c in zip(steps, changes)},
                ),
                "pwcca.gap_first_small": (
                    g_first.difference / g_last.difference,
                    {"gap_first": g_first.difference, "gap_last": g_last.difference},
                ),
                "pwcca.mm_gm_close": close,
                "pwcca.cohens_d": g_last.cohens_d,
                "pwcca.permutation_p": float("nan") if g_last.p_value is None else g_last.p_value,
                "pwcca.bootstrap_wider": (
                    smallest(widths.values()),
                    {f"ratio_{k}": v for k, v in widths.items()},
                ),
            }
        if "cca" in self.measures:
            firsts = [float(self.mean("cca", k, [first])[0]) for k in KINDS]
            measured |= {
                "cca.first_spread": max(firsts) - min(firsts),
                "cca.gap_last": gaps["cca"].low,
                "cca.mm_gm_close": abs(
                    float(self.mean("cca", "MM", [last])[0] - self.mean("cca", "GM", [last])[0])
                ),
            }
        if "cka" in self.measures:
            cka_mm_gm = self.gap("cka", last, ("MM", "GM"))
            measured["cka.mm_above_gm_last"] = (cka_mm_gm.low, {"difference": cka_mm_gm.difference})
            if "pwcca" in self.measures:
                measured["cka.gap_larger"] = gaps["cka"].difference - gaps["pwcca"].difference
        n_h = len(hidden)
        early = hidden[: max(1, n_h - 1)]
        if "svcca" in self.measures:
            sv = {k: self.mean("svcca", k, hidden) for k in KINDS}
            dims_g, dims_m = self.svcca_dims("G").mean(0), self.svcca_dims("M").mean(0)
            measured |= {
                "svcca.gm_above_mm": float(np.min(sv["GM"] - sv["MM"])),
                "svcca.gm_level_with_gg": float(np.min(sv["GM"][: len(early)] - sv["GG"][: len(early)])),
                "svcca.dims_more": (
                    float(np.min(dims_m[:n_h] / dims_g[:n_h])),
                    {f"ratio_{h}": float(dims_m[i] / dims_g[i]) for i, h in enumerate(hidden)},
                ),
            }
        measured["all_measures.gap_last"] = (
            min(g.low for g in gaps.values()),
            {m: g.low for m, g in gaps.items()},
        )
        if "cka" in self.measures and len(self.measures) > 1:
            measured["cka.largest_gap"] = (
                gaps["cka"].difference - max(g.difference for m, g in gaps.items() if m != "cka"),
                {m: g.difference for m, g in gaps.items()},
            )
        if "pwcca" in self.measures and ({"cca", "svcca"} & set(self.measures)):
            sep = {
                m: g.difference / (g.high - g.low) if g.high > g.low else math.inf for m, g in gaps.items()
            }
            measured["pwcca.separation_beats_cca_svcca"] = (
                sep["pwcca"] - max(v for m, v in sep.items() if m in ("cca", "svcca")),
                sep,
            )
        return claims_table(
            "generalization.", CLAIMS, measured, first=first, last=last, early=", ".join(early)
        )

    def svcca_dims(self, group: str) -> np.ndarray:
        """Return the directions SVCCA keeps (``keep`` of the variance) per network and layer.

        Shape ``(n_networks_in_group, n_layers)``, for the networks of ``group``.
        """
        return np.asarray(self.arrays["svcca_dims"])[:, self.group(group)].T

    def table(self, measure: str, *, digits: int = 3) -> str:
        """Plain-text table of the GG, MM and GM means per layer, and GG - MM."""
        head = f"{'layer':<8}" + "".join(f"{k:>8}" for k in (*KINDS, "GG-MM"))
        lines = [f"{measure}", head]
        for layer in self.layers:
            g, m, x = (float(self.mean(measure, k, [layer])[0]) for k in KINDS)
            lines.append(f"{layer:<8}" + "".join(f"{v:>8.{digits}f}" for v in (g, m, x, g - m)))
        return "\n".join(lines)


#: Chapter 6's claims: name -> (relation, bound, statement); ``{first}``, ``{last}`` and
#: ``{early}`` name the hidden layers (see :meth:`GeneralizationData.claims`).
CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    fit                               >= 1.0    every network fits the labels it was trained on (fraction that
                                                reached the target)
    test_accuracy_g                   >  0.94   generalizing networks classify the test digits well (lowest
                                                test accuracy)
    test_accuracy_m                   <  0.2    memorizing networks stay near chance on the test set (highest
                                                test accuracy)
    epochs_ratio                      >  1.5    memorizing takes more than 1.5 times as many epochs as
                                                generalizing (ratio of means)
    pwcca.gap_last                    >  0.05   PWCCA: GG above MM in {last} (lower end of the 95% interval of
                                                GG - MM)
    pwcca.gap_grows                   >  0.0    PWCCA: the GG - MM gap grows from each hidden layer to the
                                                next (smallest lower end of the 95% interval of the change)
    pwcca.gap_first_small             <  0.4    PWCCA: the gap in {first} is under 0.4 of the gap in {last}
                                                (ratio)
    pwcca.mm_gm_close                 <  0.05   PWCCA: MM and GM stay close in every hidden layer (largest
                                                |MM - GM|)
    pwcca.cohens_d                    >  5.0    PWCCA: the spread between pairs is tiny next to the gap in
                                                {last} (Cohen's d over pairs)
    pwcca.permutation_p               <  0.01   PWCCA: the exact permutation test of GG - MM in {last}
                                                (p-value)
    pwcca.bootstrap_wider             >  1.0    the network-bootstrap interval of each kind's mean in {last}
                                                is wider than the t-interval over pairs (smallest ratio of
                                                widths)
    cca.first_spread                  <  0.03   mean CCA: GG, MM and GM within a narrow band in {first}
                                                (max - min)
    cca.gap_last                      >  0.03   mean CCA: GG above MM in {last} (lower end of the 95%
                                                interval)
    cca.mm_gm_close                   <  0.05   mean CCA: MM and GM close in {last} (|MM - GM|)
    cka.mm_above_gm_last              >  0.2    linear CKA: MM far above GM in {last} (lower end of the 95%
                                                interval of MM - GM)
    cka.gap_larger                    >  0.0    linear CKA's GG - MM gap in {last} is larger than PWCCA's
                                                (difference)
    svcca.gm_above_mm                 >  0.05   SVCCA (99%): GM above MM in every hidden layer (smallest
                                                GM - MM)
    svcca.gm_level_with_gg            >  -0.03  SVCCA (99%): GM about level with GG in {early} (smallest
                                                GM - GG)
    svcca.dims_more                   >  1.0    memorizing networks keep more directions than generalizing
                                                ones in every hidden layer (smallest ratio of the mean counts)
    all_measures.gap_last             >  0.0    every measure puts GG above MM in {last} (smallest lower end
                                                of the 95% intervals)
    cka.largest_gap                   >  0.0    in raw units, linear CKA has the largest GG - MM gap in {last}
                                                (its gap minus the largest other measure's)
    pwcca.separation_beats_cca_svcca  >  0.0    relative to its interval's width, PWCCA separates GG from MM
                                                in {last} better than mean CCA and SVCCA (its gap/width minus
                                                the larger of theirs)
    """
)


def _percentile(replicates: np.ndarray, confidence: float, observed: float, measure: str) -> Any:
    """Percentile interval at ``confidence`` of the finite bootstrap replicates.

    Returned as a :class:`svcca.stats.BootstrapResult`; non-finite replicates are left out
    and counted in ``n_degenerate``. The interval is widened where needed to contain
    ``observed``: with few networks the resampled values can all fall on one side of it.
    """
    from ..stats import BootstrapResult

    finite = np.isfinite(replicates)
    kept = replicates[finite]
    if not kept.size:  # np.quantile raised IndexError on the empty array
        raise ValueError(
            f"none of the {replicates.size} network-bootstrap resample(s) drew networks of every kind "
            f"compared ({measure}): no interval; ask for more resamples (n_resamples)"
        )
    alpha = 1.0 - float(confidence)
    low, high = np.quantile(kept, [alpha / 2, 1 - alpha / 2])
    return BootstrapResult(
        observed=observed,
        low=min(float(low), observed),
        high=max(float(high), observed),
        confidence=float(confidence),
        method="percentile",
        bootstrap_distribution=kept,
        n_resamples=int(replicates.size),
        measure=measure,
        n_degenerate=int(replicates.size - kept.size),
    )


#: Named access to the arrays of a generalization run: :meth:`GeneralizationData.from_result`.
unpack = GeneralizationData.from_result
