"""Wider networks converge to more similar representations (Morcos, Raghu & Bengio 2018).

For each width ``w``, networks of that width are trained from several seeds and the
similarity of their last hidden layer (optionally every hidden layer) is measured between
every pair of seeds, for the trained networks **and for the same networks at
initialisation**. Morcos et al. report that similarity across seeds grows with width.
The untrained baseline matters: with a fixed number of datapoints, two random networks'
layers also look more similar the wider they are (a wide random ReLU layer spans much of
the input's principal subspace), so the part of "wider is more similar" that training
produces is the gap between the trained and the untrained curves, not the trained curve.

Presets (``WidthConfig.for_scale``):

* ``tiny``: MLPs of width 8 and 16, two seeds, two epochs (seconds; tests);
* ``default``: MLPs 64 -> 3 x w -> 10 for w in 32, 64, 128, 256, 512 on scikit-learn's
  8x8 digits (embedded), 3 seeds, Adam 1e-3 for 30 epochs, compared on the 500 test
  images under every one-pixel shift (n = 4500);
* ``full``: Tiny-10 conv nets on CIFAR-10 with channel multipliers 0.25 to 4, 3 seeds,
  conv layers with spatial positions as datapoints (GPU; needs CIFAR-10 in the data folder).

Claims: ``WidthConfig.claims(result)`` (:meth:`WidthData.claims`) states only what the
untrained baseline leaves standing: trained CKA rises with width, trained PWCCA barely
moves, untrained networks rise at every step and faster than trained ones, and what
training adds shrinks with width while staying positive. Two controls for the sample-size
rule of chapter 1 (4500 rows are under 9 per unit at width 512) add
:meth:`WidthData.control_claims`: a shape-matched random baseline (each pair again with
one network's rows shuffled: same shapes and spectra, no correspondence) inflates PWCCA
with width but not CKA, and above it trained PWCCA falls with width
(``width.baseline.*``); on every image of both splits (16173 rows) the conclusions stand
(``width.check.*``). The controls are computed for PWCCA and CKA, the measures the claims
and the figure read (``control_measures`` asks for others).

Reading a result::

    from svcca.experiments import run_or_load
    from svcca.experiments.width import WidthConfig, unpack

    data = unpack(run_or_load(WidthConfig.for_scale("default")))
    data.mean("pwcca", "trained"), data.mean("pwcca", "init")    # one value per width

References
----------
A. S. Morcos, M. Raghu, S. Bengio. Insights on representational similarity in neural
networks with canonical correlation. NeurIPS 2018.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import numpy as np

from .._validation import check_int, check_option
from ._cache import ExperimentData, stored
from ._claims import claim_specs
from ._toolbox import (
    DEFAULT_MEASURES,
    STATES,
    TrainingConfig,
    _matches,
    check_comparison,
    check_seeds,
    names_or,
    probe_inputs,
    record_layer,
    similarity_grid,
)

__all__ = ["STATES", "WidthConfig", "WidthData", "unpack"]

#: The measures whose controls chapter 6 states claims about and draws (see
#: :attr:`WidthConfig.control_measures`).
_CONTROLLED_BY_DEFAULT = ("pwcca", "cka")


@dataclass(frozen=True)
class WidthConfig(TrainingConfig):
    """Train networks of several widths from several seeds; compare seeds, trained and untrained.

    Parameters
    ----------
    model : {"mlp", "conv"}, default "mlp"
    depth : int, default 3
        Hidden layers of the MLP (each of the width being compared).
    arch : str, default "tiny10"
        Conv architecture; its channels are multiplied by each width.
    widths : tuple of number, default (32, 64, 128, 256, 512)
        Units per hidden layer (MLP, kept as ints) or channel multipliers (conv, kept as
        floats), increasing.
    seeds : tuple of int, default (0, 1, 2)
        One network per seed and width (initialisation and data order); at least two.
    n_train : int or None, default None
        Train on the first ``n_train`` training images only.
    eval_shift : int, default 1
        Evaluation set: the test images under every shift of up to this many pixels.
    n_eval : int or None, default None
        Use only the first ``n_eval`` test images.
    positions_per_image : int or None, default 16
        Conv layers: positions as datapoints, about this many per image.
    all_layers : bool, default False
        Compare every hidden layer, not only the last one.
    measures : tuple of str, default ("pwcca", "cca", "svcca", "cka")
    keep : float, default 0.99
        Variance SVCCA keeps.
    seed : int, default 0
        Seeds the digits' train/test split, the choice of conv positions and the row
        shuffles of the random baseline (networks are seeded by ``seeds``).
    check_all_images : bool, default True
        Also compare the trained and untrained networks on every image of both splits
        under the same shifts (the sample-size check: 16173 rows at the default scale
        instead of 4500).
    control_measures : tuple of str or None, default None
        The measures the controls (the shuffled baseline and the sample-size check) are
        computed for, some of ``measures``; by default those of ``("pwcca", "cka")`` in
        ``measures``, the two that chapter 6's claims and figure state them for. The
        controls cost more than the comparisons themselves (the check has 3.6 times their
        rows), so they are not computed for measures nothing reads them for; ``()`` skips
        them.
    dataset, image_size, epochs, batch_size, lr, device, data_root, verify_data, num_threads
        See :class:`~svcca.experiments.TrainingConfig`; here ``epochs=30``.
    """

    experiment: ClassVar[str] = "width"
    # 2: the digits split follows ``seed``; 3: shuffled baseline; 4: controls for control_measures only
    schema_version: ClassVar[int] = 4

    model: str = "mlp"
    depth: int = 3
    arch: str = "tiny10"
    widths: tuple[int | float, ...] = (32, 64, 128, 256, 512)
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 30
    n_train: int | None = None
    eval_shift: int = 1
    n_eval: int | None = None
    positions_per_image: int | None = 16
    all_layers: bool = False
    measures: tuple[str, ...] = DEFAULT_MEASURES
    keep: float = 0.99
    seed: int = 0
    check_all_images: bool = True
    control_measures: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        """Check the fields."""
        super().__post_init__()
        check_comparison(self)
        if self.control_measures is not None:
            c = self.control_measures
            if not _matches(c, tuple[str, ...]) or len(set(c)) != len(c) or not set(c) <= set(self.measures):
                raise ValueError(
                    f"control_measures must be distinct names among measures={self.measures!r} "
                    f"(or None: those of {_CONTROLLED_BY_DEFAULT} among them); got {c!r}"
                )
        check_seeds(self.seeds, minimum=2)
        w = [float(v) for v in self.widths]
        if not w or any(v <= 0 for v in w) or w != sorted(set(w)):
            raise ValueError(f"widths must be increasing positive numbers; got {self.widths!r}")
        if self.model == "mlp" and any(v != int(v) for v in w):
            raise ValueError(f"MLP widths must be whole numbers of units; got {self.widths!r}")
        if _matches(self.widths, tuple[float, ...]):  # numbers (strings are refused after this check)
            # one run, one cache key: an MLP's widths are counts of units, a conv net's multipliers
            object.__setattr__(self, "widths", tuple(int(v) for v in w) if self.model == "mlp" else tuple(w))
        check_int(self.depth, "depth")

    @property
    def controlled(self) -> tuple[str, ...]:
        """The measures the controls are computed for (``control_measures`` resolved)."""
        if self.control_measures is not None:
            return tuple(self.control_measures)
        return tuple(m for m in self.measures if m in _CONTROLLED_BY_DEFAULT)

    # ---- presets ---------------------------------------------------------------------
    @classmethod
    def preset_tiny(cls) -> WidthConfig:
        """MLPs of width 8 and 16, 2 hidden layers, two seeds, two epochs on 300 digits: seconds."""
        return cls(depth=2, widths=(8, 16), seeds=(0, 1), epochs=2, n_train=300, eval_shift=0, n_eval=100)

    @classmethod
    def preset_full(cls) -> WidthConfig:
        """Tiny-10 conv nets on CIFAR-10, channel multipliers 0.25 ... 4, 3 seeds (GPU)."""
        return cls(
            dataset="cifar10",
            model="conv",
            arch="tiny10",
            widths=(0.25, 0.5, 1.0, 2.0, 4.0),
            epochs=30,
            eval_shift=0,
            n_eval=2000,
            positions_per_image=16,
            check_all_images=False,
            device="auto",
        )

    # ---- the experiment --------------------------------------------------------------
    def model_spec(self, data: Any) -> tuple[str, dict[str, Any]]:
        """Specify an MLP of ``depth`` hidden layers or a ConvNet of ``arch`` (`_run` sets widths)."""
        c, h, w = data.input_shape
        if self.model == "mlp":
            return "mlp", {"in_features": c * h * w, "hidden": (1,) * self.depth, "n_classes": data.n_classes}
        return "conv", {"arch": self.arch, "in_channels": c, "n_classes": data.n_classes}

    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        """Train every width and seed, compare seeds trained and untrained; see :func:`unpack`."""
        import torch

        from ..nn import evaluate, take

        data = self.load_data()
        train_set = take(data.train, self.n_train)
        probe, n_images = probe_inputs(data, self.n_eval, self.eval_shift)
        eval_x = probe.tensors[0].to(torch.float32)
        n_seeds = len(self.seeds)
        pairs = [(i, j) for i in range(n_seeds) for j in range(i + 1, n_seeds)]
        test_acc = np.zeros((len(self.widths), n_seeds))
        init_acc = np.zeros((len(self.widths), n_seeds))
        sims: np.ndarray | None = None
        layers: tuple[str, ...] = ()
        check_x = self._check_inputs(data)
        controls: list[dict[str, np.ndarray]] = []
        n_rows = 0
        for wi, w in enumerate(self.widths):
            trained, init = [], []
            for si, s in enumerate(self.seeds):
                size = {"hidden": (int(w),) * self.depth} if self.model == "mlp" else {"width": float(w)}
                net = self.build_model(data, s, **size)
                init.append(copy.deepcopy(net).eval())
                init_acc[wi, si] = evaluate(init[-1], data.test, device=self.device)[1]
                self.fit(net, train_set, s, progress=progress)
                test_acc[wi, si] = evaluate(net, data.test, device=self.device)[1]
                trained.append(net)
            names = tuple(trained[0].layer_names)
            layers = names[:-1] if self.all_layers else (names[-2],)
            if sims is None:
                sims = np.full(
                    (len(STATES), len(self.measures), len(self.widths), len(layers), len(pairs)), np.nan
                )
            for state_i, nets in enumerate((trained, init)):
                for li, layer in enumerate(layers):
                    rng = [self.seed, names.index(layer)]
                    acts = record_layer(nets, eval_x, layer, per_image=self.positions_per_image, rng=rng)
                    n_rows = acts[0].shape[0]
                    named = {i: a for i, a in enumerate(acts)}
                    for mi, measure in enumerate(self.measures):
                        grid = similarity_grid(named, measure, keep=self.keep)
                        sims[state_i, mi, wi, li] = [grid[i, j] for i, j in pairs]
            if self.controlled:
                controls.append(self._controls(wi, (trained, init), names, layers, pairs, eval_x, check_x))
        assert sims is not None
        return {
            **(self._stack_controls(controls, check_x) if controls else {}),
            "control_measures": np.array(self.controlled, dtype=str),
            "widths": np.array([float(w) for w in self.widths]),
            "seeds": np.array(self.seeds, dtype=np.int64),
            "pairs": np.array(pairs, dtype=np.int64).reshape(-1, 2),
            "layers": np.array(layers),
            "measures": np.array(self.measures),
            "states": np.array(STATES),
            "similarity": sims,
            "test_accuracy": test_acc,
            "init_accuracy": init_acc,
            "n_eval_images": np.array(n_images, dtype=np.int64),
            "n_rows": np.array(n_rows, dtype=np.int64),
            "dataset": np.array(data.name),
        }

    # ---- the controls: a shuffled baseline and more datapoints -----------------------
    def _check_inputs(self, data: Any) -> Any:
        """Every image of both splits under the probe's shifts (None when not asked for)."""
        if not self.check_all_images:
            return None
        import torch

        parts = [probe_inputs(data, None, self.eval_shift, split=s)[0].tensors[0] for s in ("train", "test")]
        return torch.cat(parts).to(torch.float32)

    def _controls(
        self,
        wi: int,
        states: tuple[list[Any], list[Any]],
        names: tuple[str, ...],
        layers: tuple[str, ...],
        pairs: list[tuple[int, int]],
        eval_x: Any,
        check_x: Any,
    ) -> dict[str, np.ndarray]:
        """One width's controls, per state, controlled measure, layer and pair of seeds.

        ``shuffled``: the pair's similarity after shuffling the rows of the second
        network's layer (same shapes and spectra, no correspondence: what width and the
        number of rows give two unrelated layers). ``check``: the similarity on
        :meth:`_check_inputs` (absent when not asked for).
        """
        shape = (len(STATES), len(self.controlled), len(layers), len(pairs))
        shuffled = np.full(shape, np.nan)
        check = np.full(shape, np.nan)
        for state_i, nets in enumerate(states):
            for li, layer in enumerate(layers):
                rng = [self.seed, names.index(layer)]
                acts = record_layer(nets, eval_x, layer, per_image=self.positions_per_image, rng=rng)
                perm = np.random.default_rng([self.seed, wi, li, state_i]).permutation(len(acts[0]))
                big = None
                if check_x is not None:
                    big = record_layer(nets, check_x, layer, per_image=self.positions_per_image, rng=rng)
                for mi, measure in enumerate(self.controlled):
                    for pi, (i, j) in enumerate(pairs):
                        pair = {0: acts[i], 1: acts[j][perm]}
                        shuffled[state_i, mi, li, pi] = similarity_grid(pair, measure, keep=self.keep)[0, 1]
                    if big is not None:
                        grid = similarity_grid(dict(enumerate(big)), measure, keep=self.keep)
                        check[state_i, mi, li] = [grid[i, j] for i, j in pairs]
        out = {"shuffled": shuffled}
        if check_x is not None:
            out["check"] = check
            out["check_rows"] = np.array(len(big[0]) if big is not None else 0)
        return out

    @staticmethod
    def _stack_controls(controls: list[dict[str, np.ndarray]], check_x: Any) -> dict[str, np.ndarray]:
        """Stack every width's controls: ``(n_states, n_controlled, n_widths, n_layers, n_pairs)``."""
        out = {"shuffled_similarity": np.stack([c["shuffled"] for c in controls], axis=2)}
        if check_x is not None:
            out["check_similarity"] = np.stack([c["check"] for c in controls], axis=2)
            out["check_rows"] = np.array(int(controls[0]["check_rows"]), dtype=np.int64)
        return out


@dataclass(frozen=True, eq=False)
class WidthData(ExperimentData):
    """Similarity across seeds at every width, trained and untrained, with its controls.

    Attributes
    ----------
    widths : numpy.ndarray of shape (n_widths,)
    seeds : tuple of int
    layers : tuple of str
        Compared layers (by default only the last hidden layer).
    measures : tuple of str
    test_accuracy, init_accuracy : numpy.ndarray of shape (n_widths, n_seeds)
        Test accuracy of each trained network and of its untrained twin.
    """

    config_class = WidthConfig

    widths: np.ndarray = field(metadata=stored(convert=partial(np.asarray, dtype=np.float64)))
    seeds: tuple[int, ...] = field(metadata=stored())
    layers: tuple[str, ...] = field(metadata=stored())
    measures: tuple[str, ...] = field(metadata=stored())
    test_accuracy: np.ndarray = field(metadata=stored())
    init_accuracy: np.ndarray = field(metadata=stored())

    @property
    def width_labels(self) -> list[str]:
        """The widths as tick labels (``"32"``, ``"0.5"``)."""
        return [f"{w:g}" for w in self.widths]

    @property
    def dataset(self) -> str:
        """Name of the dataset the networks were trained on."""
        return str(self.arrays["dataset"])

    def pairs(self, measure: str, state: str = "trained", layer: str | None = None) -> np.ndarray:
        """Similarity of every pair of seeds at each width, shape ``(n_pairs, n_widths)``.

        ``state`` is ``"trained"`` or ``"init"``; ``layer`` defaults to the last compared
        layer (the last hidden layer).
        """
        return self._control("similarity", measure, state, layer)

    def mean(self, measure: str, state: str = "trained", layer: str | None = None) -> np.ndarray:
        """Mean over pairs of seeds, one value per width."""
        return self.pairs(measure, state, layer).mean(axis=0)

    def learned(self, measure: str, layer: str | None = None) -> np.ndarray:
        """Trained minus untrained similarity (mean over pairs), one value per width."""
        return self.mean(measure, "trained", layer) - self.mean(measure, "init", layer)

    # ---- the controls (shuffled baseline, more datapoints) ------------------------------
    def shuffled(self, measure: str, state: str = "trained", layer: str | None = None) -> np.ndarray:
        """Return the shape-matched random baseline, shape ``(n_pairs, n_widths)``.

        The similarity of each pair of seeds after shuffling the rows of the second
        network's layer: two layers of exactly these shapes and spectra with no
        correspondence between their rows, so what width and the number of rows alone give.
        """
        return self._control("shuffled_similarity", measure, state, layer)

    def above_baseline(self, measure: str, state: str = "trained", layer: str | None = None) -> np.ndarray:
        """Mean similarity minus the mean shuffled baseline of the same state, one value per width."""
        return self.mean(measure, state, layer) - self.shuffled(measure, state, layer).mean(axis=0)

    @property
    def check_rows(self) -> int | None:
        """Rows of the sample-size check (every image of both splits), None when not run."""
        return int(self.arrays["check_rows"]) if "check_rows" in self.arrays else None

    def check(self, measure: str, state: str = "trained", layer: str | None = None) -> np.ndarray:
        """Similarity on every image of both splits (the sample-size check), ``(n_pairs, n_widths)``."""
        if "check_similarity" not in self.arrays and self.controlled:
            # (a run without controls at all, control_measures=(), says so in _control)
            raise KeyError("this run has no sample-size check (check_all_images=False)")
        return self._control("check_similarity", measure, state, layer)

    @property
    def controlled(self) -> tuple[str, ...]:
        """The measures this run has controls for (see :attr:`WidthConfig.control_measures`)."""
        if "control_measures" in self.arrays:
            return tuple(str(m) for m in np.atleast_1d(self.arrays["control_measures"]))
        return self.measures  # runs before schema 4 controlled every measure

    def _control(self, key: str, measure: str, state: str, layer: str | None) -> np.ndarray:
        """Array ``key`` (``similarity`` or a control) at one state, measure and layer, pairs first."""
        check_option(state, "state", STATES)
        if measure not in self.measures:
            raise KeyError(f"unknown measure {measure!r}; measures: {self.measures}")
        layer = self.layers[-1] if layer is None else layer
        if layer not in self.layers:
            raise KeyError(f"layer {layer!r} was not compared; layers: {self.layers}")
        measures = self.measures
        if key != "similarity":
            if measure not in self.controlled or key not in self.arrays:
                raise KeyError(
                    f"this run has no controls for {measure!r} (control_measures={self.controlled}); "
                    f"run it with control_measures including {measure!r} (--set control_measures=...)"
                )
            measures = self.controlled
        sims = self.arrays[key][STATES.index(state), measures.index(measure)]
        return np.asarray(sims[:, self.layers.index(layer), :]).T

    def control_claims(self) -> list[Any]:
        """Claims about the controls: the shuffled baseline and the sample-size check.

        Names ``"width.baseline.*"`` and ``"width.check.*"``. The shape-matched baseline
        inflates PWCCA with width but not CKA; trained and untrained networks stay far above
        it; above it, trained PWCCA *falls* with width; most of untrained PWCCA's rise is the
        baseline's. On every image of both splits (the check) the conclusions of the
        untrained control stand: trained PWCCA flat, trained CKA rising, untrained networks
        rising faster, what training adds shrinking.
        """
        from ._claims import claims_table

        lo, hi = self.width_labels[0], self.width_labels[-1]
        measured: dict[str, Any] = {}
        both = [m for m in ("pwcca", "cka") if m in self.controlled]
        if "shuffled_similarity" in self.arrays and both:
            measured["above_everywhere"] = min(
                float(np.min(self.above_baseline(m, state))) for m in both for state in STATES
            )
        if "shuffled_similarity" in self.arrays and "pwcca" in self.controlled:
            base_t, base_i = self.shuffled("pwcca").mean(axis=0), self.shuffled("pwcca", "init").mean(axis=0)
            above = self.above_baseline("pwcca")
            init = self.mean("pwcca", "init")
            measured["pwcca_rises"] = float(base_t[-1] - base_t[0])
            measured["pwcca_trained_above_falls"] = float(above[0] - above[-1])
            measured["pwcca_init_rise_inflation"] = (
                float((base_i[-1] - base_i[0]) / (init[-1] - init[0])),
                {"rise_baseline": float(base_i[-1] - base_i[0]), "rise_init": float(init[-1] - init[0])},
            )
        if "shuffled_similarity" in self.arrays and "cka" in self.controlled:
            measured["cka_flat"] = float(max(self.shuffled("cka", st).mean(axis=0).max() for st in STATES))
        claims = claims_table("width.baseline.", BASELINE_CLAIMS, measured, lo=lo, hi=hi)
        if self.check_rows is None:
            return claims
        checked: dict[str, Any] = {}
        for m in both:
            t, i = self.check(m).mean(axis=0), self.check(m, "init").mean(axis=0)
            checked[f"{m}_learned_shrinks"] = float((t[0] - i[0]) - (t[-1] - i[-1]))
            checked[f"{m}_init_rises_faster"] = float((i[-1] - i[0]) - (t[-1] - t[0]))
            if m == "pwcca":
                rise = float(t[-1] - t[0])
                checked["pwcca_trained_rise_small"] = (abs(rise), {"difference": rise})
            else:
                checked["cka_trained_rises"] = float(t[-1] - t[0])
        return claims + claims_table(
            "width.check.", CHECK_CLAIMS, checked, lo=lo, hi=hi, rows=self.check_rows
        )

    def claims(self) -> list[Any]:
        """Return the claims chapter 6 makes about a default-scale run (a list of :class:`Claim`).

        Names are ``"width.<claim>"``. They state what the untrained baseline leaves of
        "wider networks are more similar", and nothing more: the trained networks' rise
        with width (clear for CKA, small for PWCCA), that the same networks *before*
        training are more similar at every width than at the narrowest, and rise by more
        than the trained ones
        (``*.init_rises``, ``*.init_rises_faster``), and that what training adds, trained
        minus untrained, shrinks from the narrowest to the widest network
        (``*.learned_shrinks``) while staying positive (``*.learned_positive``).
        """
        from ._claims import claims_table

        lo, hi = self.width_labels[0], self.width_labels[-1]
        claims = claims_table("width.", CLAIMS, {"test_accuracy": float(self.test_accuracy.min())})
        labels = {"pwcca": "PWCCA", "cka": "linear CKA", "cca": "mean CCA", "svcca": "SVCCA"}
        for m in ("pwcca", "cka"):
            if m not in self.measures:
                continue
            t, i, learned = self.mean(m, "trained"), self.mean(m, "init"), self.learned(m)
            rise_t, rise_i = float(t[-1] - t[0]), float(i[-1] - i[0])
            measured: dict[str, Any] = {
                "init_rises": float(np.min(i[1:] - i[0])),
                "init_rises_faster": (rise_i - rise_t, {"rise_init": rise_i, "rise_trained": rise_t}),
                "learned_shrinks": float(learned[0] - learned[-1]),
                "init_share_rises": (
                    float(i[-1] / t[-1] - i[0] / t[0]),
                    {f"share_{w}": float(v) for w, v in zip(self.width_labels, i / t)},
                ),
                "init_share_widest": float(i[-1] / t[-1]),
                "learned_positive": float(np.min(learned)),
            }
            if m == "cka":
                measured["trained_rises"] = rise_t
            else:
                measured["trained_rise_small"] = (abs(rise_t), {"difference": rise_t})
            claims += claims_table(f"width.{m}.", MEASURE_CLAIMS, measured, name=labels[m], lo=lo, hi=hi)
        return claims + self.control_claims()

    def table(self, measures: tuple[str, ...] | None = None, *, layer: str | None = None) -> str:
        """Plain-text table: test accuracy and, per measure, trained (init) similarity per width."""
        measures = names_or(measures, "measures", self.measures)
        head = f"{'width':>6}{'test acc':>10}" + "".join(f"{m + ' trained (init)':>24}" for m in measures)
        lines = [head]
        for wi, label in enumerate(self.width_labels):
            row = f"{label:>6}{self.test_accuracy[wi].mean():>10.3f}"
            for m in measures:
                t, i = self.mean(m, "trained", layer)[wi], self.mean(m, "init", layer)[wi]
                row += f"{f'{t:.3f} ({i:.3f})':>24}"
            lines.append(row)
        return "\n".join(lines)


#: Width's claims (see :meth:`WidthData.claims`): name -> (relation, bound, statement);
#: :data:`MEASURE_CLAIMS` holds for PWCCA and CKA (``width.<measure>.<claim>``), ``{name}`` is
#: the measure and ``{lo}``, ``{hi}`` the narrowest and widest width.
CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    test_accuracy  > 0.9  every trained network classifies the test digits well (lowest test accuracy)
    """
)
MEASURE_CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    trained_rises       > 0.05  {name}: trained networks are more similar at width {hi} than at {lo} by more
                                than 0.05
    trained_rise_small  < 0.08  {name}: for trained networks the change from width {lo} to {hi} is small
                                (|difference|)
    init_rises          > 0.0   {name}: untrained networks are more similar at every width above {lo} than at
                                {lo} (smallest gain; a single step between neighbouring widths can be near
                                zero)
    init_rises_faster   > 0.0   {name}: from width {lo} to {hi}, untrained networks gain more similarity than
                                trained ones (untrained rise minus trained rise)
    learned_shrinks     > 0.1   {name}: what training adds (trained minus untrained) shrinks from width {lo}
                                to {hi} (decrease)
    init_share_rises    > 0.15  {name}: the share of the trained similarity that untrained networks already
                                reach (untrained / trained) rises by more than 0.15 from width {lo} to {hi}
    init_share_widest   > 0.5   {name}: at width {hi} untrained networks reach more than half of the trained
                                similarity (untrained / trained)
    learned_positive    > 0.0   {name}: trained networks are more similar than untrained ones at every width
                                (smallest trained minus untrained)
    """
)


#: Named access to the arrays of a width run: :meth:`WidthData.from_result`.
unpack = WidthData.from_result


#: The shape-matched baseline's claims (see :meth:`WidthData.control_claims`):
#: name -> (relation, bound, statement).
BASELINE_CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    pwcca_rises                > 0.1   PWCCA of shuffled pairs (the shape-matched baseline) rises from width
                                       {lo} to {hi} (rise)
    cka_flat                   < 0.02  linear CKA of shuffled pairs stays near zero at every width (largest)
    above_everywhere           > 0.1   trained and untrained networks are far above the baseline at every
                                       width, PWCCA and CKA (smallest difference)
    pwcca_trained_above_falls  > 0.08  above the baseline, trained PWCCA falls from width {lo} to {hi}
                                       (decrease of trained minus baseline)
    pwcca_init_rise_inflation  > 0.5   most of untrained PWCCA's rise from width {lo} to {hi} is the
                                       baseline's rise (baseline rise / untrained rise)
    """
)

#: The sample-size check's claims (every image of both splits): name -> (relation, bound, statement).
CHECK_CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    pwcca_trained_rise_small  < 0.08  on {rows} rows, trained PWCCA changes little from width {lo} to {hi}
                                      (|difference|)
    pwcca_init_rises_faster   > 0.1   on {rows} rows, untrained PWCCA rises more than trained PWCCA from width
                                      {lo} to {hi} (untrained rise minus trained rise)
    pwcca_learned_shrinks     > 0.1   on {rows} rows, what training adds to PWCCA shrinks from width {lo} to
                                      {hi} (decrease)
    cka_trained_rises         > 0.05  on {rows} rows, trained networks' CKA rises from width {lo} to {hi} by
                                      more than 0.05
    cka_init_rises_faster     > 0.1   on {rows} rows, untrained CKA rises more than trained CKA from width
                                      {lo} to {hi} (untrained rise minus trained rise)
    cka_learned_shrinks       > 0.1   on {rows} rows, what training adds to CKA shrinks from width {lo} to
                                      {hi} (decrease)
    """
)
