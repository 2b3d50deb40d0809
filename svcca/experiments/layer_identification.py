"""Layer identification across seeds: the sanity check of Kornblith et al. (2019), Table 2.

Train ``K`` architecturally identical networks from different seeds. For every ordered pair
of networks ``(A, B)`` and every layer ``i`` of ``A``, ask whether the layer of ``B`` most
similar to ``A_i`` is ``B_i``. A similarity index that reflects what the networks compute
should find the corresponding layer almost always; Kornblith et al. found linear CKA does
(99.3% for ten Tiny-10 CNNs on CIFAR-10) while mean CCA, SVCCA and PWCCA do not (1.4% to
15.1%; chance is one over the number of layers).

Every measure is computed on the same recorded activations through one
:func:`svcca.similarity_matrix` per measure over *all* layers of *all* networks, so each
layer is whitened (CCA family) or centred (CKA) exactly once.

Presets (``LayerIdentificationConfig.for_scale``):

* ``tiny``: three half-width strided conv nets on the 8x8 digits, two epochs (seconds; tests);
* ``default``: five six-layer strided conv nets ("six": 16, 32s2, 32, 64s2, 64, 128s2, with
  batch norm) on scikit-learn's digits upsampled to 16x16 (embedded, no download), trained
  with random shifts of up to 2 pixels; every conv layer globally average-pooled over the
  500 test images. The pilot study found this the configuration in which the contrast shows
  on the digits (a deep plain stack or an MLP has nearly interchangeable layers, which
  defeats every measure, CKA included);
* ``full``: ten Tiny-10 CNNs (Kornblith et al., Table E.1) on CIFAR-10, nine layers (eight
  conv layers and the global-average-pooling layer; logits excluded, as in the paper), each
  conv map average-pooled to 4x4 so that the CCA family has about ten samples per feature,
  on 10000 training images (the paper's Figure 2 uses the training set). Runs only when
  CIFAR-10 is in the data folder; ``device="auto"`` (the GPU when there is one).

Claims: ``LayerIdentificationConfig.claims(result)`` (:meth:`LayerIdentificationData.claims`)
states chapter 8's findings as margins that survive other seeds and CPUs: CKA's accuracy
above chance and above the whole CCA family (with a jackknife z), the CCA family near
chance with the first layer as its hub, CKA's diagonal, and the two exercises (SVCCA at
lower thresholds, the top-k mean) recomputed from the stored activations. The
sample-size check (``check_pool``: every image of both splits, each conv map pooled to
2x2 with positions as datapoints, 56 rows per channel of the widest layer instead of 3.9)
repeats the test; :meth:`LayerIdentificationData.check_claims` states that the findings
stand (``layer_identification.check.*``).

The result holds arrays only; :func:`unpack` gives named access::

    from svcca.experiments import run_or_load
    from svcca.experiments.layer_identification import LayerIdentificationConfig, unpack

    data = unpack(run_or_load(LayerIdentificationConfig.for_scale("default")))
    data.accuracies()             # {"cca": ..., "svcca": ..., "pwcca": ..., "cka": ...}
    data.mean_matrix("cka")       # seed-averaged layer x layer matrix (svcca.SimilarityMatrix)
    data.jackknife("cka", "cca")  # difference in accuracy, its jackknife SE and z

References
----------
S. Kornblith, M. Norouzi, H. Lee, G. Hinton. Similarity of Neural Network Representations
Revisited. ICML 2019 (arXiv:1905.00414), Section 6.1, Table 2 and Table E.1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .._measures import MEASURES as REGISTERED
from .._validation import check_fraction, check_int, check_option
from ._cache import ExperimentData, stored
from ._claims import claim_details, claim_specs, claims_table
from ._toolbox import (
    CIFAR10_TRAINING,
    ConvNetFields,
    TrainingConfig,
    check_index,
    check_seeds,
    measure_options,
)

__all__ = [
    "KORNBLITH2019_TABLE2",
    "DEFAULT_MEASURES",
    "MEASURE_LABELS",
    "JackknifeResult",
    "LayerIdentificationConfig",
    "LayerIdentificationData",
    "identification_hits",
    "unpack",
]

#: The measures compared by default (any of :data:`svcca.MEASURES` can be asked for).
DEFAULT_MEASURES = ("cca", "svcca", "pwcca", "cka")

#: How the measures are named in tables and figures.
MEASURE_LABELS = {"cca": "mean cca", "svcca": "svcca", "pwcca": "pwcca", "cka": "linear cka"}

#: Kornblith et al. (2019), Table 2: accuracy (%) of identifying the corresponding layer by
#: maximum similarity, for ten Tiny-10 CNNs trained on CIFAR-10 from different initialisations
#: (logits excluded; SVCCA at 0.99 variance; PWCCA and linear regression symmetrised as
#: S + S^T; RBF CKA bandwidths as fractions of the median distance). Transcribed from the
#: paper's text (arXiv:1905.00414v4); "rho-bar" is the mean canonical correlation, the
#: summary :func:`svcca.cca` reports as ``.mean``.
KORNBLITH2019_TABLE2: dict[str, float] = {
    "CCA (rho-bar)": 1.4,
    "CCA (R^2_CCA)": 10.6,
    "SVCCA (rho-bar)": 9.9,
    "SVCCA (R^2_CCA)": 15.1,
    "PWCCA": 11.1,
    "Linear Reg.": 45.4,
    "Linear HSIC": 22.2,
    "CKA (Linear)": 99.3,
    "CKA (RBF 0.2)": 80.6,
    "CKA (RBF 0.4)": 99.1,
    "CKA (RBF 0.8)": 99.3,
}

#: Which row of Table 2 matches each measure computed here.
PAPER_ROW = {"cca": "CCA (rho-bar)", "svcca": "SVCCA (rho-bar)", "pwcca": "PWCCA", "cka": "CKA (Linear)"}

_SPLITS = ("test", "train")
_PWCCA_SIDES = ("x", "y", "smaller", "symmetric")


@dataclass(frozen=True)
class LayerIdentificationConfig(ConvNetFields, TrainingConfig):
    """Train networks from several seeds and test whether each measure finds corresponding layers.

    Parameters
    ----------
    arch, width
        The conv net: see :class:`~svcca.experiments.ConvNetFields` (default ``"six"`` at width 1).
    seeds : tuple of int, default (0, 1, 2, 3, 4)
        One network per seed (initialisation, data order and augmentation); at least two.
    augment_shift : int, default 2
        Random shifts of up to this many pixels during training (0: none).
    eval_split : {"test", "train"}, default "test"
        Images the layers are recorded on (without augmentation).
    n_eval : int or None, default None
        Use the first ``n_eval`` images of ``eval_split`` (None: all of them).
    pool : int or None, default 1
        How a conv layer becomes a matrix: ``1`` averages each channel over all positions
        (global average pooling, ``(n, channels)``); ``k > 1`` average-pools the map to
        ``k x k`` and flattens it (``(n, k * k * channels)``); ``None`` flattens the whole map
        (CCA is then degenerate wherever a layer has more features than samples).
    include_pool_layer : bool, default False
        Also compare the global-average-pooling layer that feeds the logits (Kornblith et
        al.'s ninth layer of Tiny-10). The logits are never compared, as in the paper.
    measures : tuple of str, default ("cca", "svcca", "pwcca", "cka")
        Distinct names from :data:`svcca.MEASURES`.
    keep : float, default 0.99
        Variance SVCCA keeps before its CCA (Raghu et al.'s recommendation).
    pwcca_side : {"x", "y", "smaller", "symmetric"}, default "symmetric"
        Whose projections weight PWCCA; ``"symmetric"`` averages both sides, which for the
        argmax is Kornblith et al.'s symmetrisation ``S + S^T``.
    store_activations : bool, default True
        Keep every compared layer's activations (float32) in the result, for analyses
        beyond the four measures (a few MB at the default scale; off for ``full``).
    seed : int, default 0
        Seed of the digits train/test split (unused for CIFAR-10).
    check_pool : int or None, default 2
        The sample-size check: repeat the test on every image of both splits with each
        conv map average-pooled to ``check_pool x check_pool`` and its positions as
        datapoints (rows ``n_images * check_pool ** 2``, columns the channels; the same
        grid cell is the same part of the image in every layer). None: skip it.
    dataset, image_size, epochs, batch_size, lr, device, data_root, verify_data, num_threads
        See :class:`~svcca.experiments.TrainingConfig`; here ``image_size=16``
        (8 is native), ``epochs=20``, ``batch_size=64`` and ``num_threads=1`` (training
        results differ in their last bits between thread counts, so one thread keeps the
        CPU result the same on every machine; ``full`` uses None). ``"cuda"`` trains,
        records and measures on the GPU.
    """

    experiment: ClassVar[str] = "layer_identification"
    schema_version: ClassVar[int] = 2  # 2: the sample-size check (``check_pool``)

    image_size: int = 16
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    epochs: int = 20
    batch_size: int = 64
    augment_shift: int = 2
    eval_split: str = "test"
    n_eval: int | None = None
    pool: int | None = 1
    include_pool_layer: bool = False
    measures: tuple[str, ...] = DEFAULT_MEASURES
    keep: float = 0.99
    pwcca_side: str = "symmetric"
    store_activations: bool = True
    seed: int = 0
    num_threads: int | None = field(default=1, compare=False)
    check_pool: int | None = 2

    def __post_init__(self) -> None:
        """Check the fields (``arch`` and ``augment_shift``: :class:`~svcca.experiments.TrainingConfig`)."""
        super().__post_init__()
        check_seeds(self.seeds, minimum=2)
        check_option(self.eval_split, "eval_split", _SPLITS)
        check_int(self.pool, "pool", allow_none=True)
        bad = [m for m in self.measures if m not in REGISTERED]
        if bad or not self.measures or len(set(self.measures)) != len(self.measures):
            raise ValueError(
                f"measures must be a non-empty subset of {REGISTERED} without repeats; got {self.measures!r}"
            )
        check_option(self.pwcca_side, "pwcca_side", _PWCCA_SIDES)
        check_int(self.n_eval, "n_eval", minimum=2, allow_none=True)
        check_int(self.check_pool, "check_pool", allow_none=True)
        check_fraction(self.keep, "keep")

    # ---- presets (``default`` is the fields' defaults) -------------------------------
    @classmethod
    def preset_tiny(cls) -> LayerIdentificationConfig:
        """Three "six" nets at half width on the native 8x8 digits, 2 epochs, 200 test images: seconds."""
        return cls(image_size=8, seeds=(0, 1, 2), width=0.5, epochs=2, n_eval=200)

    @classmethod
    def preset_full(cls) -> LayerIdentificationConfig:
        """Ten Tiny-10 nets on CIFAR-10 (GPU), nine layers pooled to 4x4, 10000 training images."""
        return cls(
            **CIFAR10_TRAINING,
            arch="tiny10",
            seeds=tuple(range(10)),
            eval_split="train",
            n_eval=10000,
            pool=4,
            include_pool_layer=True,
            store_activations=False,
            check_pool=None,
        )

    # ---- the experiment --------------------------------------------------------------
    def _grids(self, acts: dict[str, Any], progress: bool) -> np.ndarray:
        """Compute every measure's layer x layer grid over ``acts``, shape ``(n_measures, N, N)``."""
        import svcca

        grid_input = {k: _to_device(v, self.device) for k, v in acts.items()}
        grids = []
        for measure in self.measures:
            opts = measure_options(measure, keep=self.keep, side=self.pwcca_side)
            grid = svcca.similarity_matrix(
                grid_input, measure=measure, measure_options=opts, progress=progress
            )
            grids.append(np.asarray(grid.values, dtype=np.float64))
        return np.stack(grids)

    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        """Train every network, record its layers, and build each measure's grid (see :func:`unpack`)."""
        from ..nn import as_tensors, evaluate, record, take

        data = self.load_data()
        split = data.test if self.eval_split == "test" else data.train
        eval_x, _ = as_tensors(take(split, self.n_eval))
        augment = self.augmentation(data)

        layers: tuple[str, ...] = ()
        acts: dict[str, Any] = {}
        test_acc = []
        check_x = self._check_inputs(data)
        check_acts: dict[str, Any] = {}
        for seed in self.seeds:
            net = self.build_model(data, seed)
            self.fit(net, data.train, seed, augment=augment, progress=progress)
            test_acc.append(evaluate(net, data.test, device=self.device)[1])
            layers = tuple(name for name in net.layer_names if name != "logits")
            if self.include_pool_layer:
                layers = (*layers, "pool")
            pool: Any = "mean" if self.pool == 1 else self.pool
            recorded = record(net, eval_x, list(layers), pool=pool, batch_size=500)
            for layer in layers:
                a = recorded[layer]
                acts[_key(seed, layer)] = a.reshape(a.shape[0], -1)
            if check_x is not None:
                check_acts.update(self._check_record(net, seed, check_x, layers))

        widths = np.array([acts[_key(self.seeds[0], layer)].shape[1] for layer in layers])
        out: dict[str, np.ndarray] = {}
        grid_arr = self._grids(acts, progress)
        n_nets, n_layers = len(self.seeds), len(layers)
        pairs = np.array([(a, b) for a in range(n_nets) for b in range(n_nets) if a != b], dtype=np.int64)
        argmax, pair_acc, mean_matrix = _identify(grid_arr, pairs, n_layers)

        out["measures"] = np.array(self.measures)
        out["layers"] = np.array(layers)
        out["layer_widths"] = widths
        out["seeds"] = np.array(self.seeds, dtype=np.int64)
        out["pairs"] = pairs
        out["grid"] = grid_arr
        out["argmax"] = argmax
        out["pair_accuracy"] = pair_acc
        out["mean_matrix"] = mean_matrix
        out["test_accuracy"] = np.array(test_acc)
        out["n_eval"] = np.array(int(eval_x.shape[0]))
        out["n_classes"] = np.array(data.n_classes)
        out["dataset"] = np.array(data.name)
        out["input_shape"] = np.array(data.input_shape, dtype=np.int64)
        if check_x is not None:
            out.update(self._check_identify(check_acts, pairs, n_layers, progress))
        if self.store_activations:
            for k, a in acts.items():
                seed_key, layer = k.split(":")
                out[_SEP.join(("acts", seed_key, layer))] = np.asarray(a, dtype=np.float32)
        return out

    # ---- the sample-size check ---------------------------------------------------------
    def _check_inputs(self, data: Any) -> Any:
        """Every image of both splits, training images first (None without ``check_pool``)."""
        if self.check_pool is None:
            return None
        import torch

        from ..nn import as_tensors

        return torch.cat([as_tensors(data.train)[0], as_tensors(data.test)[0]])

    def _check_record(self, net: Any, seed: int, x: Any, layers: tuple[str, ...]) -> dict[str, Any]:
        """Each layer pooled to ``check_pool x check_pool``, positions as datapoints."""
        from ..nn import record

        recorded = record(net, x, list(layers), pool=self.check_pool, positions=True, batch_size=500)
        return {_key(seed, layer): recorded[layer] for layer in layers}

    def _check_identify(
        self, check_acts: dict[str, Any], pairs: np.ndarray, n_layers: int, progress: bool
    ) -> dict[str, np.ndarray]:
        """Run the identification test on the check's rows.

        Returns ``check_grid``, ``check_argmax``, ``check_pair_accuracy``,
        ``check_mean_matrix`` and ``check_rows``.
        """
        grid_arr = self._grids(check_acts, progress)
        argmax, pair_acc, mean_matrix = _identify(grid_arr, pairs, n_layers)
        return {
            "check_grid": grid_arr,
            "check_argmax": argmax,
            "check_pair_accuracy": pair_acc,
            "check_mean_matrix": mean_matrix,
            "check_rows": np.array(int(next(iter(check_acts.values())).shape[0]), dtype=np.int64),
        }


# --------------------------------------------------------------------------- helpers


_SEP = "__"


def _key(seed: int, layer: str) -> str:
    return f"s{int(seed)}:{layer}"


def _to_device(a: np.ndarray, device: str) -> Any:
    """Activations for the grid: numpy on the CPU, a float64 tensor on another device."""
    if str(device) == "cpu":
        return np.asarray(a, dtype=np.float64)
    import torch

    return torch.as_tensor(np.asarray(a), dtype=torch.float64, device=device)


def identification_hits(matrix: Any) -> np.ndarray:
    """Which rows of a layer x layer similarity matrix have their maximum on the diagonal.

    Parameters
    ----------
    matrix : array-like of shape (n_layers, n_layers)
        ``matrix[i, j]`` is the similarity of layer ``i`` of network A and layer ``j`` of
        network B (e.g. the ``values`` of :func:`svcca.similarity_matrix`).

    Returns
    -------
    numpy.ndarray of bool, shape (n_layers,)
        ``hits[i]`` is True when ``argmax_j matrix[i, j] == i``: layer ``i`` is identified.
        Ties go to the first maximum (``numpy.argmax``); a row with NaN is never a hit.

    Raises
    ------
    ValueError
        When the matrix is not square.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.layer_identification import identification_hits
    >>> hub = np.array([[0.9, 0.5, 0.4], [0.95, 0.8, 0.7], [0.9, 0.85, 0.88]])
    >>> identification_hits(hub).tolist()        # every row's maximum is layer 0: a hub
    [True, False, False]
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"matrix must be square (n_layers, n_layers); got shape {m.shape}")
    ok = ~np.isnan(m).any(axis=1)
    return ok & (_row_argmax(m) == np.arange(m.shape[0]))


def _row_argmax(m: np.ndarray) -> np.ndarray:
    """Each row's first maximum, NaN never chosen (a row of NaN gives 0)."""
    return np.argmax(np.where(np.isnan(m), -np.inf, m), axis=1)


def _identify(
    grid: np.ndarray, pairs: np.ndarray, n_layers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Identify the layers of every ordered pair, for every measure.

    Returns, per measure and ordered pair, each layer's argmax and the pair's accuracy, and
    per measure the cross-network block averaged over pairs.
    """
    n_measures = grid.shape[0]
    L = n_layers
    argmax = np.zeros((n_measures, len(pairs), L), dtype=np.int64)
    acc = np.zeros((n_measures, len(pairs)))
    mean = np.zeros((n_measures, L, L))
    for m in range(n_measures):
        for p, (a, b) in enumerate(pairs):
            block = grid[m, a * L : (a + 1) * L, b * L : (b + 1) * L]
            argmax[m, p] = _row_argmax(block)
            acc[m, p] = identification_hits(block).mean()
            mean[m] += block
        mean[m] /= len(pairs)
    return argmax, acc, mean


# --------------------------------------------------------------------------- unpacking


@dataclass(frozen=True)
class JackknifeResult:
    """A leave-one-network-out jackknife estimate (Kornblith et al.'s jackknife z-test).

    Attributes
    ----------
    estimate : float
        The statistic on all networks (an accuracy, or a difference of two accuracies).
    se : float
        Jackknife standard error over networks.
    z : float
        ``estimate / se`` (``inf`` with the estimate's sign when ``se`` is 0 and the
        estimate is not; ``nan`` when both are 0).
    leave_one_out : numpy.ndarray of shape (n_networks,)
        The statistic with each network left out.
    """

    estimate: float
    se: float
    z: float
    leave_one_out: np.ndarray


@dataclass(frozen=True, eq=False)
class LayerIdentificationData(ExperimentData):
    """Every layer of every network against every other, and the layers each measure identifies.

    Attributes
    ----------
    measures : tuple of str
        Measures computed, in :data:`svcca.MEASURES` names.
    layers : tuple of str
        Compared layers, input side first.
    seeds : tuple of int
    pairs : numpy.ndarray of shape (n_pairs, 2)
        Ordered pairs ``(a, b)`` of network indices (into ``seeds``), ``a != b``.
    test_accuracy : numpy.ndarray of shape (n_networks,)

    Notes
    -----
    The arrays: ``measures``, ``layers``, ``layer_widths``, ``seeds``, ``pairs``
    ``(n_pairs, 2)``; ``grid`` ``(n_measures, K L, K L)``, every layer of every network
    against every other (network-major); ``argmax`` ``(n_measures, n_pairs, L)``;
    ``pair_accuracy`` ``(n_measures, n_pairs)``; ``mean_matrix`` ``(n_measures, L, L)``, the
    cross-network block averaged over ordered pairs; ``test_accuracy`` ``(K,)``; ``n_eval``,
    ``n_classes``, ``dataset``, ``input_shape``; with ``store_activations``, one
    ``acts__s<seed>__<layer>`` array ``(n_eval, n_features)`` per network and layer.
    """

    config_class = LayerIdentificationConfig

    measures: tuple[str, ...] = field(metadata=stored())
    layers: tuple[str, ...] = field(metadata=stored())
    seeds: tuple[int, ...] = field(metadata=stored())
    pairs: np.ndarray = field(metadata=stored())
    test_accuracy: np.ndarray = field(metadata=stored())

    @property
    def n_layers(self) -> int:
        """Number of compared layers per network."""
        return len(self.layers)

    @property
    def chance(self) -> float:
        """Accuracy of guessing a layer at random, ``1 / n_layers``."""
        return 1.0 / self.n_layers

    @property
    def dataset(self) -> str:
        """``"digits"`` or ``"cifar10"``."""
        return str(self.arrays["dataset"])

    @property
    def n_eval(self) -> int:
        """Number of images the layers were recorded on (the samples of every measure)."""
        return int(self.arrays["n_eval"])

    @property
    def layer_widths(self) -> np.ndarray:
        """Features of each compared layer's matrix (after pooling)."""
        return np.asarray(self.arrays["layer_widths"])

    def _m(self, measure: str) -> int:
        if measure not in self.measures:
            raise KeyError(f"measure {measure!r} was not computed; measures: {self.measures}")
        return self.measures.index(measure)

    def grid(self, measure: str) -> np.ndarray:
        """Return the ``(n_networks * n_layers)`` square grid of every layer of every network."""
        return np.asarray(self.arrays["grid"][self._m(measure)])

    def block(self, measure: str, a: int, b: int) -> np.ndarray:
        """Layer x layer similarities between networks ``a`` and ``b`` (indices into ``seeds``)."""
        K = len(self.seeds)
        for i in (a, b):  # a slice out of range would quietly give an empty block
            if int(check_int(i, "network index", minimum=-K) or 0) >= K:
                raise IndexError(f"network index must be in [-{K}, {K}) for {K} networks; got {i}")
        a, b = a % K, b % K
        L = self.n_layers
        return self.grid(measure)[a * L : (a + 1) * L, b * L : (b + 1) * L]

    def pair_accuracy(self, measure: str) -> np.ndarray:
        """Identification accuracy of each ordered pair, shape ``(n_pairs,)``."""
        return np.asarray(self.arrays["pair_accuracy"][self._m(measure)])

    def accuracy(self, measure: str) -> float:
        """Accuracy over every ordered pair and layer (the number in Kornblith et al.'s Table 2)."""
        return float(self.pair_accuracy(measure).mean())

    def accuracies(self) -> dict[str, float]:
        """``{measure: accuracy}`` for every measure."""
        return {m: self.accuracy(m) for m in self.measures}

    def argmax(self, measure: str) -> np.ndarray:
        """Return the layer of B found for each layer of A, shape ``(n_pairs, n_layers)``."""
        return np.asarray(self.arrays["argmax"][self._m(measure)])

    def layer_accuracy(self, measure: str) -> np.ndarray:
        """Fraction of pairs in which each layer is identified, shape ``(n_layers,)``."""
        return (self.argmax(measure) == np.arange(self.n_layers)).mean(axis=0)

    def match_frequency(self, measure: str) -> np.ndarray:
        """``f[i, j]``: fraction of pairs in which layer ``i`` of A was matched to layer ``j`` of B."""
        am = self.argmax(measure)
        L = self.n_layers
        return np.stack([np.bincount(am[:, i], minlength=L) / len(am) for i in range(L)])

    def hub_layer(self, measure: str) -> tuple[str, float]:
        """Return the layer of B chosen most often as a match, and the fraction of choices it got.

        A measure that identifies layers spreads its choices evenly (``1 / n_layers`` each);
        one that fails by mapping most layers onto one "hub" layer concentrates them.
        """
        shares = self._choice_shares(self.argmax(measure))
        j = int(np.argmax(shares))
        return self.layers[j], float(shares[j])

    def mean_matrix(self, measure: str) -> Any:
        """Return the cross-network similarity matrix averaged over ordered pairs (a ``SimilarityMatrix``).

        Diagnostic: for a measure that identifies layers, every row's maximum is on the diagonal.
        """
        from .._grid import SimilarityMatrix

        values = np.array(self.arrays["mean_matrix"][self._m(measure)], dtype=np.float64)
        values.setflags(write=False)
        keep, side = getattr(self.config, "keep", 0.99), getattr(self.config, "pwcca_side", "symmetric")
        options = measure_options(measure, keep=float(keep), side=str(side))
        return SimilarityMatrix(
            values=values, row_labels=self.layers, col_labels=self.layers, measure=measure, options=options
        )

    def jackknife(self, measure: str, baseline: str | None = None) -> JackknifeResult:
        """Jackknife over networks of ``measure``'s accuracy, or of its difference from ``baseline``'s.

        Leaving network ``k`` out removes every ordered pair that contains it. The standard
        error is ``sqrt((K - 1) / K * sum_k (theta_k - mean_k theta_k)^2)``. Kornblith et al.
        compare indexes with a jackknife z-test of this kind.
        """
        K = len(self.seeds)
        if K < 3:
            raise ValueError(f"the jackknife needs at least 3 networks; got {K}")

        def stat(keep: np.ndarray) -> float:
            sel = keep[self.pairs[:, 0]] & keep[self.pairs[:, 1]]
            value = self.pair_accuracy(measure)[sel].mean()
            if baseline is not None:
                value -= self.pair_accuracy(baseline)[sel].mean()
            return float(value)

        full = stat(np.ones(K, dtype=bool))
        loo = np.array([stat(np.arange(K) != k) for k in range(K)])
        se = float(math.sqrt((K - 1) / K * np.sum((loo - loo.mean()) ** 2)))
        if se > 0:
            z = full / se
        else:
            z = math.copysign(math.inf, full) if full != 0 else math.nan
        return JackknifeResult(estimate=full, se=se, z=float(z), leave_one_out=loo)

    @property
    def _has_acts(self) -> bool:
        return any(k.startswith("acts" + _SEP) for k in self.arrays)

    def acts(self, layer: str, seed: int | None = None) -> np.ndarray:
        """Return the recorded activations of ``layer`` of network ``seed`` (default the first), float64.

        Shape ``(n_eval, n_features)``, the matrix every measure compared. Needs a run with
        ``store_activations=True``.
        """
        seed = self.seeds[0] if seed is None else int(seed)
        key = _SEP.join(("acts", f"s{seed}", layer))
        if key not in self.arrays:
            if not self._has_acts:
                raise KeyError("this run did not store activations; rerun with store_activations=True")
            raise KeyError(
                f"no activations for layer={layer!r}, seed={seed}; layers {self.layers}, seeds {self.seeds}"
            )
        return np.asarray(self.arrays[key], dtype=np.float64)

    def network(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """``{layer: activations}`` of network ``seed`` (default the first), input side first."""
        return {layer: self.acts(layer, seed) for layer in self.layers}

    def identification_from_acts(self, measure: str, **options: Any) -> tuple[float, np.ndarray]:
        """Rerun the test with another measure (or other options) on the stored activations.

        Parameters
        ----------
        measure : str
            One of :data:`svcca.MEASURES`, e.g. ``"svcca"`` with ``keep=0.5``.
        **options
            The measure's options (``measure_options`` of :func:`svcca.similarity_matrix`).

        Returns
        -------
        accuracy : float
            Fraction of (ordered pair, layer) cases whose most similar layer is the corresponding one.
        choices : numpy.ndarray of int, shape (n_layers,)
            How often each layer of B was chosen as the match, over all pairs and layers of A.
        """
        import svcca

        every = {(s, layer): self.acts(layer, s) for s in self.seeds for layer in self.layers}
        grid = np.asarray(svcca.similarity_matrix(every, measure=measure, measure_options=options).values)
        return self._score(lambda a, b: grid[self._rows(a), self._rows(b)])

    def top_k_identification(self, k: int | None = None) -> tuple[float, np.ndarray]:
        """Rerun the test with the mean of the ``k`` largest canonical correlations as the summary.

        Every pair of layers then averages the same number of correlations (default ``k``:
        the narrowest compared layer's width), which removes mean CCA's dependence on the
        smaller layer's width. Returns ``(accuracy, choices)`` as
        :meth:`identification_from_acts` does.
        """
        import svcca

        k = int(self.layer_widths.min()) if k is None else int(k)
        nets = [self.network(s) for s in self.seeds]
        blocks: dict[tuple[int, int], np.ndarray] = {}
        for a, b in self.pairs:
            if (b, a) in blocks:  # canonical correlations do not depend on the order of the layers
                blocks[a, b] = blocks[b, a].T
                continue
            blocks[a, b] = np.array(
                [
                    [svcca.cca(nets[a][la], nets[b][lb]).top_k_mean(k) for lb in self.layers]
                    for la in self.layers
                ]
            )
        return self._score(lambda a, b: blocks[a, b])

    def _rows(self, net: int) -> slice:
        L = self.n_layers
        return slice(net * L, (net + 1) * L)

    def _score(self, block: Any) -> tuple[float, np.ndarray]:
        hits, choices = [], np.zeros(self.n_layers, dtype=np.int64)
        for a, b in self.pairs:
            m = np.asarray(block(int(a), int(b)), dtype=np.float64)
            hits.append(identification_hits(m))
            choices += np.bincount(_row_argmax(m), minlength=self.n_layers)
        return float(np.mean(hits)), choices

    # ---- the sample-size check ----------------------------------------------------------
    @property
    def check_rows(self) -> int | None:
        """Rows of the sample-size check (images of both splits x pooled positions), None when not run."""
        return int(self.arrays["check_rows"]) if "check_rows" in self.arrays else None

    def check_argmax(self, measure: str) -> np.ndarray:
        """As :meth:`argmax`, on the sample-size check's rows."""
        if self.check_rows is None:
            raise KeyError("this run has no sample-size check (check_pool=None)")
        return np.asarray(self.arrays["check_argmax"][self._m(measure)])

    def check_accuracies(self) -> dict[str, float]:
        """``{measure: accuracy}`` on the sample-size check's rows."""
        return {m: float(np.mean(self.check_argmax(m) == np.arange(self.n_layers))) for m in self.measures}

    def check_share(self, measure: str, layer: int) -> float:
        """Share of all choices that go to ``layer`` (an index) on the sample-size check's rows."""
        shares = self._choice_shares(self.check_argmax(measure))
        return float(shares[check_index(layer, len(shares), "layer")])

    def check_claims(self) -> list[Any]:
        """State the claims about the sample-size check (names ``"layer_identification.check.*"``).

        With every image and 2x2 positions as datapoints (56 rows per channel of the widest
        layer at the default scale instead of 3.9), the findings stand: linear CKA still
        identifies most layers and leads the CCA family by far, and the CCA family stays
        near chance with the first layer as its hub (:data:`CHECK_CLAIMS`). None without
        the check.
        """
        if self.check_rows is None:
            return []
        lead = self._lead(self.check_accuracies(), self.check_share)
        measured = {name.replace(".", "_"): value for name, value in lead.items()}
        return claims_table("layer_identification.check.", CHECK_CLAIMS, measured, first=self.layers[0])

    def _lead(self, acc: dict[str, float], share: Callable[[str, int], float]) -> dict[str, Any]:
        """Measure what the claims and the check's claims share, from accuracies and choice shares.

        CKA's accuracy and its lead over the CCA family, the CCA family's best accuracy over
        chance and the share of choices its members give the first layer.
        """
        family = self._cca_family
        measured: dict[str, Any] = {}
        if "cka" in self.measures:
            measured["cka.accuracy"] = acc["cka"]
        if family:
            best = max(acc[m] for m in family)
            shares = {m: share(m, 0) for m in family}
            measured["cca_family.at_chance"] = (best - self.chance, {m: acc[m] for m in family})
            measured["cca_family.hub_first"] = (min(shares.values()), shares)
            if "cka" in self.measures:
                measured["cka.above_cca_family"] = acc["cka"] - best
        return measured

    @property
    def _cca_family(self) -> list[str]:
        return [m for m in ("cca", "svcca", "pwcca") if m in self.measures]

    def claims(self) -> list[Any]:
        """State the claims chapter 8 makes about a default-scale run (a list of :class:`Claim`).

        Names are ``"layer_identification.<claim>"`` (:data:`CLAIMS`). Accuracies are over
        every ordered pair of networks and every layer; "the CCA family" is mean CCA, SVCCA
        and PWCCA (those computed). The claims: linear CKA identifies most layers, far above
        chance (``cka.accuracy``, ``cka.above_chance``) and far above every member of the
        CCA family (``cka.above_cca_family``, with a jackknife z over networks,
        ``cka.jackknife_z``, and on every ordered pair, ``cka.every_pair``); the CCA family
        is not clearly above chance (``cca_family.at_chance``) and fails by choosing the
        first layer for at least half of all layers (``cca_family.hub_first``), identifying
        no other layer in more than half of the comparisons (``cca_family.other_layers``);
        CKA's seed-averaged matrix has every row's maximum on the diagonal
        (``cka.diagonal``), no hub
        (``cka.no_hub``) and identifies every layer in at least 40% of the pairs
        (``cka.every_layer``).
        With stored activations, also the two exercises: SVCCA at lower variance
        thresholds (``svcca_keep.*``) and the mean of the top-k correlations
        (``top_k.*``).
        """
        acc = self.accuracies()
        family = self._cca_family
        measured = self._lead(acc, self._share)
        if "cka" in self.measures:
            cka_mean = self.mean_matrix("cka").values
            off = np.where(np.eye(self.n_layers, dtype=bool), -np.inf, cka_mean)
            measured["cka.above_chance"] = (acc["cka"] - self.chance, {"chance": self.chance})
            measured["cka.diagonal"] = float(np.min(np.diag(cka_mean) - off.max(axis=1)))
            measured["cka.no_hub"] = self.hub_layer("cka")[1]
            measured["cka.every_layer"] = float(self.layer_accuracy("cka").min())
        if family:
            measured["cca_family.other_layers"] = max(float(self.layer_accuracy(m)[1:].max()) for m in family)
        if family and "cka" in self.measures:
            if len(self.seeds) >= 3:
                z = {f"z_{m}": self.jackknife("cka", m).z for m in family}
                measured["cka.jackknife_z"] = (min(z.values()), z)
            if "cca" in self.measures:
                worst = self.pair_accuracy("cka").min() - self.pair_accuracy("cca").max()
                measured["cka.every_pair"] = float(worst)
        if self._has_acts and "cka" in self.measures:
            by_keep = {keep: self.identification_from_acts("svcca", keep=keep)[0] for keep in (0.5, 0.8, 0.9)}
            top_acc, top_choices = self.top_k_identification()
            shares = top_choices / top_choices.sum()
            measured["svcca_keep.half_beats_default"] = (
                by_keep[0.5] - max(acc.get("svcca", 0.0), self.chance),
                {f"keep_{k}": v for k, v in by_keep.items()},
            )
            measured["svcca_keep.below_cka"] = acc["cka"] - max(by_keep.values())
            measured["top_k.first_layer_out"] = float(shares[0])
            measured["top_k.hub_widest"] = (
                float(shares[-1] - shares[:-1].max()),
                claim_details(self.layers, shares),
            )
            measured["top_k.below_cka"] = acc["cka"] - top_acc
        claims = claims_table("layer_identification.", CLAIMS, measured, first=self.layers[0])
        return claims + self.check_claims()

    def _choice_shares(self, argmax: np.ndarray) -> np.ndarray:
        """Share of the choices in ``argmax`` (layer indices) that go to each layer, ``(n_layers,)``."""
        counts = np.bincount(argmax.ravel(), minlength=self.n_layers)
        return counts / counts.sum()

    def _share(self, measure: str, layer: int) -> float:
        return float(self._choice_shares(self.argmax(measure))[layer])

    def paper_table(self) -> dict[str, tuple[float, float]]:
        """``{measure: (accuracy here in %, Kornblith et al.'s Table 2 in %)}``."""
        return {m: (100.0 * self.accuracy(m), KORNBLITH2019_TABLE2[PAPER_ROW[m]]) for m in self.measures}


#: Named access to the arrays of a layer-identification run: :meth:`LayerIdentificationData.from_result`.
unpack = LayerIdentificationData.from_result


#: The claims of :meth:`LayerIdentificationData.claims` (``layer_identification.<claim>``):
#: name -> (relation, bound, statement); ``{first}`` is the first compared layer.
CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    cka.accuracy                   >  0.7   linear CKA identifies most layers (accuracy)
    cka.above_chance               >  0.5   linear CKA's accuracy is far above chance (accuracy minus chance)
    cka.diagonal                   >  0.0   every row of CKA's seed-averaged matrix has its maximum on the
                                            diagonal (smallest diagonal minus the row's largest other value)
    cka.no_hub                     <  0.35  linear CKA has no hub layer (largest share of the choices any one
                                            layer gets)
    cka.every_layer                >= 0.4   linear CKA identifies every layer in at least 40% of the pairs,
                                            more than twice chance (lowest per-layer accuracy)
    cca_family.at_chance           <  0.05  no member of the CCA family beats chance by more than 5 points
                                            (best accuracy minus chance)
    cca_family.hub_first           >  0.5   each member of the CCA family chooses {first} for at least half of
                                            all layers (smallest share of choices {first} gets)
    cca_family.other_layers        <= 0.5   the CCA family identifies no layer but {first} in more than half
                                            of the comparisons (highest per-layer accuracy after the first
                                            layer)
    cka.above_cca_family           >  0.5   linear CKA's accuracy exceeds the best of the CCA family by a wide
                                            margin (difference)
    cka.jackknife_z                >  3.0   CKA's lead over each member of the CCA family is many jackknife
                                            standard errors (smallest z)
    cka.every_pair                 >  0.0   linear CKA beats mean CCA on every ordered pair (worst CKA pair
                                            minus best mean-CCA pair)
    svcca_keep.half_beats_default  >  0.0   SVCCA keeping half of the variance identifies more layers than at
                                            99% and than chance (accuracy at 0.5 minus the larger of the two)
    svcca_keep.below_cka           >  0.2   every SVCCA threshold stays more than 20 points below linear CKA
                                            (CKA minus the best threshold)
    top_k.first_layer_out          <  0.1   with the top-k mean the first layer is rarely chosen (its share of
                                            choices)
    top_k.hub_widest               >  0.0   with the top-k mean the widest layer becomes the hub (its share
                                            minus the largest other share)
    top_k.below_cka                >  0.3   the top-k mean stays far below linear CKA (CKA minus its accuracy)
    """
)


#: The sample-size check's claims (see :meth:`LayerIdentificationData.check_claims`):
#: name -> (relation, bound, statement).
CHECK_CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    cka_accuracy          > 0.7   with many datapoints linear CKA still identifies most layers (accuracy)
    cka_above_cca_family  > 0.5   with many datapoints linear CKA still leads the best of the CCA family by a
                                  wide margin (difference)
    cca_family_at_chance  < 0.05  with many datapoints no member of the CCA family beats chance by more than 5
                                  points (best accuracy minus chance)
    cca_family_hub_first  > 0.6   with many datapoints each member of the CCA family still chooses {first} for
                                  most layers (smallest share of choices {first} gets)
    """
)
