"""Conv nets trained from different seeds, their conv layers recorded whole.

The data behind the book's chapter on convolutional layers: a few small conv nets of one
architecture, trained on the same images from different seeds, and every conv layer of
each recorded over the test images as ``(n_images, height, width, channels)``, with no
pooling or subsampling, so that the chapter can apply each recipe (positions as
datapoints, subsampling, pooling, resizing, per-frequency DFT CCA) to the same layers.
The same networks at initialisation are recorded too, as a baseline.

Presets (``ConvPairConfig.for_scale``):

* ``tiny``: two narrow conv nets, one epoch, 40 test images (seconds; tests);
* ``default``: three ``"pilot5"`` conv nets (5 x conv3x3-32 + batch norm, stride 1) on
  scikit-learn's 8x8 digits (embedded, no download), 10 epochs, all 500 test images
  (under 40 s on 2 CPU cores);
* ``full``: the same nets on CIFAR-10 (32x32, random shifts in training), 250 test images;
  runs only when CIFAR-10 is in the data folder (``data_scripts/download_cifar10.py``).

Claims: :meth:`ConvPairData.claims` (and ``ConvPairConfig.claims(result)``) states what
chapter 2 says about the trained networks as effects that hold for every network and every
pair of seeds (names ``conv_pair.*``): how much variance pooling keeps and how it grows
with depth, how the recipes order the layers, how subsampling converges, how the resizing
routes compare, and how the per-frequency similarity concentrates at low frequencies in
deep layers. :meth:`ConvPairData.measurements` gives the numbers they rest on. Their
bounds are the ``default`` preset's.

The result holds arrays only (it is cached as ``.npz``); :func:`unpack` gives named access::

    from svcca.experiments import run_or_load
    from svcca.experiments.conv_pair import ConvPairConfig, unpack

    data = unpack(run_or_load(ConvPairConfig.for_scale("default")))
    A = data.acts("conv2", seed=0)                  # (500, 8, 8, 32), float64
    B = data.acts("conv2", seed=1)
    A0 = data.acts("conv2", seed=0, state="init")   # the same network before training
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .._validation import check_int
from ._cache import stored
from ._claims import claim_specs
from ._toolbox import (
    CIFAR10_TRAINING,
    ConvNetFields,
    SeedNetworksData,
    TrainingConfig,
    check_seeds,
    network_key,
)

__all__ = ["ConvPairConfig", "ConvPairData", "unpack"]

#: The three ways chapter 2 matches a fine grid with a coarse one: (grid, mode) of make_comparable.
_RESIZE_ROUTES = {
    "resize_area": ("smaller", "area"),
    "resize_fourier": ("smaller", "fourier"),
    "resize_bilinear": ("larger", "bilinear"),
}


@dataclass(frozen=True)
class ConvPairConfig(ConvNetFields, TrainingConfig):
    """Train conv nets from several seeds and record their conv layers, trained and untrained.

    Parameters
    ----------
    arch, width
        The conv net: see :class:`~svcca.experiments.ConvNetFields`; here ``arch="pilot5"``.
    seeds : tuple of int, default (0, 1, 2)
        One network per seed (initialisation and data order); at least two. The chapter
        shows the first pair; its claims hold for every pair.
    augment_shift : int, default 0
        Random shifts of up to this many pixels during training.
    n_eval : int or None, default None
        Record the first ``n_eval`` test images (None: all of them).
    record_init : bool, default True
        Also record every network at initialisation (the untrained baseline).
    seed : int, default 0
        Seed of the digits' train/test split (``svcca.nn.load_digits(seed=...)``).
    dataset, image_size, epochs, batch_size, lr, device, data_root, verify_data, num_threads
        See :class:`~svcca.experiments.TrainingConfig`; here ``epochs=10``,
        ``batch_size=64`` and ``num_threads=1`` (small conv nets on 8x8 images gain nothing
        from more threads).

    Examples
    --------
    >>> from svcca.experiments.conv_pair import ConvPairConfig
    >>> cfg = ConvPairConfig.for_scale("default")
    >>> cfg.arch, cfg.seeds, cfg.dataset
    ('pilot5', (0, 1, 2), 'digits')
    """

    experiment: ClassVar[str] = "conv_pair"
    schema_version: ClassVar[int] = 2

    arch: str = "pilot5"
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 10
    batch_size: int = 64
    augment_shift: int = 0
    n_eval: int | None = None
    record_init: bool = True
    seed: int = 0
    num_threads: int | None = field(default=1, compare=False)

    def __post_init__(self) -> None:
        """Check the fields (``arch`` and ``augment_shift``: :class:`~svcca.experiments.TrainingConfig`)."""
        super().__post_init__()
        check_seeds(self.seeds, minimum=2)
        check_int(self.n_eval, "n_eval", minimum=2, allow_none=True)

    # ---- presets ---------------------------------------------------------------------
    @classmethod
    def preset_tiny(cls) -> ConvPairConfig:
        """Two pilot5 nets at a quarter width (8 channels), 1 epoch, 40 test images: seconds."""
        return cls(width=0.25, epochs=1, n_eval=40, seeds=(0, 1))

    @classmethod
    def preset_full(cls) -> ConvPairConfig:
        """Two pilot5 conv nets on CIFAR-10 (32x32), random shifts, 250 test images (GPU)."""
        return cls(**CIFAR10_TRAINING, n_eval=250)

    # ---- the experiment --------------------------------------------------------------
    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        """Train every network, record its conv layers; see :func:`unpack` for the arrays."""
        from ..nn import as_tensors, evaluate, record, state_arrays, take

        data = self.load_data()
        test = take(data.test, self.n_eval)
        x_eval, y_eval = as_tensors(test)
        augment = self.augmentation(data)
        out: dict[str, np.ndarray] = {}
        test_acc, init_acc = [], []
        layers: tuple[str, ...] = ()
        for seed in self.seeds:
            init = self.build_model(data, seed)
            layers = tuple(n for n in init.layer_names if n != "logits")
            init_acc.append(evaluate(init, test, device=self.device)[1])
            net = self.build_model(data, seed)
            self.fit(net, data.train, seed, augment=augment, progress=progress)
            test_acc.append(evaluate(net, test, device=self.device)[1])
            states = (("trained", net), ("init", init)) if self.record_init else (("trained", net),)
            for state, model in states:
                acts = record(model, x_eval, layers, batch_size=250)
                for layer in layers:
                    out[network_key(state, seed, layer)] = np.ascontiguousarray(acts[layer], dtype=np.float32)
            out.update(state_arrays(net, network_key("weights", seed)))
        out["layers"] = np.array(layers)
        out["seeds"] = np.array(self.seeds)
        out["test_accuracy"] = np.array(test_acc)
        out["init_accuracy"] = np.array(init_acc)
        out["eval_images"] = x_eval.numpy().astype(np.float32)
        out["eval_labels"] = y_eval.numpy().astype(np.int64)
        out["n_classes"] = np.array(data.n_classes)
        out["dataset"] = np.array(data.name)
        return out


# --------------------------------------------------------------------------- helpers


def _subsampling_offsets(counts: np.ndarray, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each layer's similarity with the fewest rows, and with an eighth of its own, minus all its rows.

    ``counts, sims`` come from :func:`svcca.figures.conv.subsampling_curve`, where a layer is
    NaN above its own number of rows (a layer after a strided conv has fewer). "An eighth"
    is the largest count at most one eighth of the layer's rows (NaN if there is none).
    """
    first, eighth = np.full(sims.shape[1], np.nan), np.full(sims.shape[1], np.nan)
    for j in range(sims.shape[1]):
        own = np.flatnonzero(~np.isnan(sims[:, j]))
        if own.size == 0:
            continue
        full = sims[own[-1], j]
        first[j] = sims[0, j] - full
        below = np.flatnonzero(counts <= counts[own[-1]] // 8)
        if below.size:
            eighth[j] = sims[below[-1], j] - full
    return first, eighth


def _frequency_radius(shape: tuple[int, ...]) -> np.ndarray:
    """Chebyshev radius ``max(|u|, |v|)`` of each integer frequency of a zero-centred ``(h, w)`` map."""
    from ..figures.conv import centred_frequencies

    fh, fw = (np.abs(centred_frequencies(n)) for n in shape[:2])
    return np.maximum(fh[:, None], fw[None, :])


def _frequency_contrast(freq_map: np.ndarray) -> float:
    """Mean of a zero-centred per-frequency map over its low band minus over its high band.

    The bands are the radii up to ``h // 8`` and from ``3 h // 8`` on (``h`` the map's own
    height); NaN for a grid too small to keep them apart (2x2 or smaller).
    """
    h = freq_map.shape[0]
    radius = _frequency_radius(freq_map.shape)
    low, high = radius <= h // 8, radius >= 3 * h // 8
    if (low & high).any():
        return np.nan
    return float(np.nanmean(freq_map[low]) - np.nanmean(freq_map[high]))


# --------------------------------------------------------------------------- claims


#: Chapter 2's claims: name -> (relation, bound, statement); each must hold for every
#: network or pair (see :func:`_claims` for what is measured).
CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    # a network in a few ends near 95% (0.948 seen)
    accuracy                           > 0.9    every trained network classifies the test digits with over 90%
                                                accuracy
    positions_meaningful               < 0.9    with positions as datapoints the first layers' mean CCA is
                                                well below the flattened layers' 1
    subsample_inflates                 > 0.005  with 1/128 of the rows every layer's similarity is inflated by
                                                more than 0.005 (every pair)
    subsample_eighth                   < 0.02   from one eighth of the rows on, every layer is within 0.02 of
                                                its value with all rows (every pair)
    pool_discards_early                < 0.15   global average pooling keeps less than 15% of the variance of
                                                the first three conv layers (every network)
    pool_keeps_last                    > 0.5    global average pooling keeps more than half of the last
                                                layer's variance (every network)
    pool_grows_with_depth              > 0.8    the variance global pooling keeps grows with depth (Spearman
                                                correlation with the layer index above 0.8, every network)
    positions_first_layer_highest      > 0.15   with positions as datapoints the first layer is the most
                                                similar, by more than 0.15 over every later layer (every pair)
    global_pool_flat                   < 0.1    global pooling gives a nearly flat profile over depth (range
                                                below 0.1, every pair)
    global_pool_above_positions        > 0.05   global pooling sits more than 0.05 above positions as
                                                datapoints in every layer after the first (every pair)
    global_pool_below_positions_first  > 0.0    in the first layer global pooling is below positions as
                                                datapoints (every pair)
    resize_area_above_bilinear         > 0.0    area averaging down to the coarse grid gives a higher
                                                similarity than bilinear upsampling, in every layer and pair
    resize_area_above_fourier          > 0.0    area averaging gives a higher similarity than Fourier
                                                resampling down to the coarse grid, in every layer and pair
    frequency_first_flat               < 0.07   the first layer is equally similar at every spatial frequency
                                                (range below 0.07, every pair)
    frequency_last_peaks_at_zero       > 0.0    in the last layer the zero frequency is the most similar (lead
                                                over the next frequency, every pair)
    frequency_last_spread              > 0.2    in the last layer the zero frequency is more similar than the
                                                least similar frequency by more than 0.2 (every pair)
    zero_frequency_share_first         < 0.03   the zero frequency holds under 3% of the first layer's
                                                variance (every network)
    contrast_grows                     > 0.8    the margin of the lowest frequencies over the highest grows
                                                with depth (Spearman correlation with the layer index above
                                                0.8, every pair)
    contrast_first                     < 0.03   in the first layer the low-frequency margin is under 0.03
                                                (every pair)
    contrast_last                      > 0.06   in the last layer the low-frequency margin exceeds 0.06 (every
                                                pair)
    pool4_first                        < 0.9    pooling to 4x4 keeps under 90% of the first layer's variance
                                                (every network)
    pool4_last                         > 0.9    pooling to 4x4 keeps over 90% of the last layer's variance
                                                (every network)
    pool_untrained                     < 0.1    in the untrained networks global pooling keeps less than 10%
                                                of every layer's variance (every network)
    first_layer_not_learned            < 0.03   with positions as datapoints the untrained networks' first
                                                layer is within 0.03 of the trained value (every pair)
    contrast_learned                   > 0.02   the trained last layer's low-frequency margin exceeds the
                                                untrained networks' margin in every layer by more than 0.02
                                                (every pair)
    """
)


def _claims(data: ConvPairData, m: Mapping[str, np.ndarray]) -> list[Any]:
    """Return the claims of chapter 2 (:data:`CLAIMS`), from :meth:`ConvPairData.measurements`."""
    from scipy.stats import spearmanr

    from ._claims import claims_table

    def depth_rank(rows: np.ndarray) -> np.ndarray:
        """Spearman correlation of each row with the layer index (1: grows with every layer)."""
        depth = np.arange(rows.shape[1])
        return np.array([spearmanr(depth, r)[0] for r in rows])

    pairs = [f"{a}-{b}" for a, b in data.pairs()]
    seeds = [f"seed {s}" for s in data.seeds]
    pos, glob, kept, contrast = m["positions"], m["global"], m["kept_global"], m["contrast"]
    area = m["resize_area"]
    measured = {
        "accuracy": (data.test_accuracy, seeds),
        "positions_meaningful": (pos[:, 0], pairs),
        "subsample_inflates": (m["sub_first"].min(1), pairs),
        "subsample_eighth": (np.abs(m["sub_eighth"]).max(1), pairs),
        "pool_discards_early": (kept[:, :3].max(1), seeds),
        "pool_keeps_last": (kept[:, -1], seeds),
        "pool_grows_with_depth": (depth_rank(kept), seeds),
        "positions_first_layer_highest": (pos[:, 0] - pos[:, 1:].max(1), pairs),
        "global_pool_flat": (np.ptp(glob, axis=1), pairs),
        "global_pool_above_positions": ((glob[:, 1:] - pos[:, 1:]).min(1), pairs),
        "global_pool_below_positions_first": (pos[:, 0] - glob[:, 0], pairs),
        "resize_area_above_bilinear": ((area - m["resize_bilinear"]).min(1), pairs),
        "resize_area_above_fourier": ((area - m["resize_fourier"]).min(1), pairs),
        "frequency_first_flat": (m["first_map_range"], pairs),
        "frequency_last_peaks_at_zero": (m["last_zero_lead"], pairs),
        "frequency_last_spread": (m["last_zero_spread"], pairs),
        "zero_frequency_share_first": (kept[:, 0], seeds),
        "contrast_grows": (depth_rank(contrast), pairs),
        "contrast_first": (contrast[:, 0], pairs),
        "contrast_last": (contrast[:, -1], pairs),
        "pool4_first": (m["kept_4x4"][:, 0], seeds),
        "pool4_last": (m["kept_4x4"][:, -1], seeds),
    }
    if "positions_init" in m:
        measured["pool_untrained"] = (m["kept_global_init"].max(1), seeds)
        measured["first_layer_not_learned"] = (np.abs(m["positions_init"][:, 0] - pos[:, 0]), pairs)
        measured["contrast_learned"] = (contrast[:, -1] - m["contrast_init"].max(1), pairs)
    return claims_table("conv_pair.", CLAIMS, measured)


# --------------------------------------------------------------------------- unpacking


@dataclass(frozen=True, eq=False)
class ConvPairData(SeedNetworksData):
    """The conv layers of networks of several seeds, recorded whole, trained and untrained.

    ``acts(layer, seed, state)`` gives a conv layer whole, ``(n_eval, height, width,
    channels)``; ``network(seed, state)`` rebuilds a network. ``seeds``, ``test_accuracy``
    and ``init_accuracy`` are those of every network's seed.

    Attributes
    ----------
    layers : tuple of str
        Recorded conv layers, input side first.
    images : numpy.ndarray of shape (n_eval, channels, height, width)
        The recorded test images, as the networks saw them (normalised).
    labels : numpy.ndarray of shape (n_eval,)
    dataset : str
    n_classes : int
    """

    config_class = ConvPairConfig

    images: np.ndarray = field(metadata=stored("eval_images"))
    labels: np.ndarray = field(metadata=stored("eval_labels"))
    dataset: str = field(metadata=stored())
    n_classes: int = field(metadata=stored())

    def grid(self, layer: str) -> tuple[int, int]:
        """``(height, width)`` of ``layer``'s spatial grid."""
        shape = self.arrays[network_key("trained", self.seeds[0], self._layer(layer))].shape
        return int(shape[1]), int(shape[2])

    def channels(self, layer: str) -> int:
        """Return the number of channels of ``layer``."""
        return int(self.arrays[network_key("trained", self.seeds[0], self._layer(layer))].shape[3])

    def measurements(self) -> dict[str, np.ndarray]:
        """Return the numbers chapter 2's claims rest on, for every network and every pair.

        Returns a dict of arrays: ``"kept_global"``, ``"kept_2x2"``, ``"kept_4x4"``,
        ``"kept_global_init"`` (fraction of each layer's variance that average pooling
        keeps, shape ``(n_seeds, n_layers)``); per pair ``(n_pairs, n_layers)``: the four
        recipes of :func:`svcca.figures.conv.recipe_similarities`, trained and untrained
        (``"positions"``, ``"pool2"``, ``"global"``, ``"dft"``, ``"positions_init"``...), the
        subsampling curve's first and one-eighth points minus all rows (``"sub_first"``,
        ``"sub_eighth"``), the three resizing routes (``"resize_area"``,
        ``"resize_fourier"``, ``"resize_bilinear"``), and from the per-frequency maps the
        low-minus-high contrast (``"contrast"``, ``"contrast_init"``); per pair, for the
        first and last layer's maps, ``"first_map_range"``, ``"last_zero_lead"`` (zero
        frequency minus the best other frequency) and ``"last_zero_spread"`` (zero minus
        the least similar frequency). Each layer is measured on its own grid (a layer after
        a strided conv has a smaller one); an entry a layer's grid cannot give is NaN: pooling
        to cells that do not divide it, halving a side of one position, or frequency bands
        that overlap (2x2 and smaller).
        """
        import svcca
        from svcca.conv import average_pool, make_comparable

        from ..figures.conv import frequency_maps, recipe_similarities, subsampling_curve, variance_kept

        L = self.layers
        out: dict[str, Any] = {}

        for key, state, size in (
            ("kept_global", "trained", None),
            ("kept_2x2", "trained", 2),
            ("kept_4x4", "trained", 4),
            ("kept_global_init", "init", None),
        ):
            if state == "init" and not self.has_init:
                continue
            out[key] = np.array(
                [[variance_kept(self.acts(layer, s, state), size) for layer in L] for s in self.seeds]
            )
        names = {
            "positions": "positions",
            "pooled to 2x2, positions": "pool2",
            "global pool": "global",
            "dft union": "dft",
        }
        rows: dict[str, list[Any]] = {}
        for a, b in self.pairs():
            rec = recipe_similarities(self, pair=(a, b))
            for state, by_recipe in rec.items():
                for recipe, v in by_recipe.items():
                    rows.setdefault(names[recipe] + ("" if state == "trained" else "_init"), []).append(v)
            first, eighth = _subsampling_offsets(*subsampling_curve(self, pair=(a, b)))
            rows.setdefault("sub_first", []).append(first)
            rows.setdefault("sub_eighth", []).append(eighth)
            resized: dict[str, list[float]] = {"resize_area": [], "resize_fourier": [], "resize_bilinear": []}
            for layer in L:
                A, B = self.acts(layer, a), self.acts(layer, b)
                half = (A.shape[1] // 2, A.shape[2] // 2)
                if min(half) == 0:  # a 1-position side cannot be halved
                    for sims in resized.values():
                        sims.append(np.nan)
                    continue
                B_half = average_pool(B, half, positions="grid")
                for key, (grid, mode) in _RESIZE_ROUTES.items():
                    resized[key].append(svcca.cca(*make_comparable(A, B_half, grid=grid, mode=mode)).mean)
            for key, sims in resized.items():
                rows.setdefault(key, []).append(np.array(sims))
            for state in ("trained", "init") if self.has_init else ("trained",):
                maps, _ = frequency_maps(self, pair=(a, b), state=state)
                rows.setdefault("contrast" + ("" if state == "trained" else "_init"), []).append(
                    np.array([_frequency_contrast(maps[layer]) for layer in L])
                )
                if state == "trained":
                    first, last = maps[L[0]], maps[L[-1]]
                    zero = _frequency_radius(last.shape) == 0
                    others = last[~zero]
                    rows.setdefault("first_map_range", []).append(np.nanmax(first) - np.nanmin(first))
                    lead = float(last[zero][0]) - np.nanmax(others) if others.size else np.nan
                    spread = float(last[zero][0]) - np.nanmin(others) if others.size else np.nan
                    rows.setdefault("last_zero_lead", []).append(lead)
                    rows.setdefault("last_zero_spread", []).append(spread)
        out.update({k: np.array(v) for k, v in rows.items()})
        return out

    def claims(self) -> list[Any]:
        """Chapter 2's claims about the trained conv nets (see :meth:`ConvPairConfig.claims`)."""
        # inside the book build they were computed once already, where the experiment ran
        remembered = self.remembered_claims()
        return remembered if remembered is not None else _claims(self, self.measurements())

    def _build_network(self, seed: int) -> Any:
        """Return a fresh conv net of ``seed`` of the config's ``arch`` and ``width`` (no data loaded)."""
        from ..nn.models import ConvNet

        cfg = self.config
        return ConvNet(cfg.arch, int(self.images.shape[1]), self.n_classes, width=cfg.width, seed=seed)


#: Named access to the arrays of a conv-pair run: :meth:`ConvPairData.from_result`.
unpack = ConvPairData.from_result
