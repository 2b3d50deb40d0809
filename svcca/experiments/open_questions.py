"""Starting points for the open questions of the SVCCA tutorials (chapter 9), over several seeds.

The tutorials that accompanied the SVCCA and PWCCA papers closed with open problems. The
book's last chapter gives each a small starting point on the embedded digits; this module
trains what those starting points measure, once per seed, so that every statement the
chapter makes about a trained network is a claim over seeds (:meth:`OpenQuestionsConfig.claims`)
checked by the robustness matrix (``svcca claims``), and the book's build can run it in
parallel with the other experiments.

Per seed ``s`` of ``seeds`` (all on scikit-learn's 8x8 digits, split by ``seed``):

1. **autoencoder**: an MLP 64 -> 32 -> 8 -> 32 -> 64 trained to reconstruct its input;
   mean CCA and linear CKA between its layers (input, encoder, code, decoder, output) on
   the test images;
2. **compression**: an MLP 64 -> 128 -> 10; test accuracy with the hidden layer projected
   onto its top ``k`` PCA, PLS (against the one-hot labels) or random directions;
3. **dynamics**: MLPs 64 -> 128 -> 128 -> 10 on the true labels and on one fixed permutation
   of them (``random_labels(seed=seed)``), checkpointed; PWCCA between the last hidden
   layers of the networks of seed ``s`` and of the next seed, at each checkpoint;
4. **neurons**: for each class, the held-out correlation between the compression
   network's hidden layer and the class indicator, using only the top ``m`` neurons by
   their loading on the layer's canonical direction for that class;
5. **layer types**: mean CCA and linear CKA between a trained conv block's steps
   (conv -> batch norm -> ReLU -> next conv), spatial positions as datapoints;
6. **recording**: similarity (SVCCA, linear CKA) of every conv layer to a synthetic
   Poisson "recording" driven by one of them (conv3 over four trials, the section; conv1
   and conv5 over one trial, the exercise).

Claims (names ``open_questions.*``, checked by the chapter and by the matrix): the
autoencoder's code is a near-exact linear image of every layer by mean CCA but not by CKA;
PCA and PLS keep the accuracy within five points with 8 of 128 directions where random
directions do worse; the generalizing pair ends more similar than it started and more
similar than the memorizing pair, which has not finished memorizing; the best single
neuron carries at least a third of a class's held-out correlation and the digits need
different numbers of neurons; CKA sees batch norm and CCA sees the ReLU (that CCA cannot
see batch norm is an identity, asserted by the chapter); CKA's seed-averaged profile peaks
at the recording's source layer while SVCCA's profile is flatter. Every claim holds in
every seed unless it says "averaged".

Presets (``OpenQuestionsConfig.for_scale``): ``tiny`` (one short run of each, two seeds;
tests), ``default`` (three seeds, the chapter's settings). There is no full-scale version:
these are starting points, not results.

Reading a result::

    from svcca.experiments import book_config, run_or_load
    from svcca.experiments.open_questions import unpack

    config = book_config("open_questions")
    data = unpack(run_or_load(config))
    data.arrays["ae_cca"][0]          # 5 x 5 mean-CCA grid of the first seed's autoencoder
    config.claims(run_or_load(config))
"""

from __future__ import annotations

import numbers
import tempfile
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .._validation import check_int, check_option
from ._cache import ExperimentData, stored
from ._claims import Claim, claim_details, claim_specs, claims_table, median_case
from ._toolbox import ThreadLimitedConfig, check_index, check_seeds

__all__ = [
    "AE_LAYERS",
    "COMPRESSION_METHODS",
    "LAYER_STEPS",
    "OpenQuestionsConfig",
    "OpenQuestionsData",
    "TEST_IMAGES",
    "synthetic_recording",
    "unpack",
]

#: The autoencoder's layers, input side first.
AE_LAYERS = ("input", "enc", "code", "dec", "output")
#: The digits' test images every section evaluates and compares on (1297 train the networks).
TEST_IMAGES = 500
#: How the compression network's hidden layer is projected.
COMPRESSION_METHODS = ("pca", "pls (labels)", "random")
#: The steps of a conv block compared in section 5 (display name, recorded module).
LAYER_STEPS = (
    ("conv2 conv", "conv2.0"),
    ("conv2 batch norm", "conv2.1"),
    ("conv2 relu", "conv2.2"),
    ("conv3 conv", "conv3.0"),
)
#: The layers a synthetic recording may be driven by: the conv layers of the "pilot5" net.
_RECORDED_LAYERS = tuple(f"conv{i}" for i in range(1, 6))


@dataclass(frozen=True)
class OpenQuestionsConfig(ThreadLimitedConfig):
    """The trained networks of chapter 9's starting points, once per seed.

    Parameters
    ----------
    seeds : tuple of int, default (0, 1, 2)
        One set of networks per seed (initialisation, batch order, random directions,
        synthetic recording). The dynamics section pairs each seed with the next one.
    seed : int, default 0
        Seed of the digits train/test split and of the memorizing networks' label
        permutation (shared by all seeds, as in Morcos et al.).
    ae_steps : int, default 400
        Training steps of the autoencoder (Adam 3e-3, batch 128).
    compression_epochs : int, default 15
        Epochs of the 64-128-10 MLP of the compression and neuron sections.
    ks : tuple of int
        Numbers of kept directions in the compression section.
    neuron_ms : tuple of int
        Numbers of top neurons in the neuron section.
    dynamics_epochs : tuple of int
        Checkpoint epochs of the dynamics section (the last is the training length).
    conv_epochs : int, default 3
        Epochs of the conv net of the layer-types and recording sections.
    recording_sources : tuple of (str, int)
        Source layer and number of trials of each synthetic recording.
    n_neurons : int, default 60
        Neurons of a synthetic recording.
    num_threads : int or None, default None
        See :class:`~svcca.experiments.ThreadLimitedConfig`. Not part of the cache key.
    """

    experiment: ClassVar[str] = "open_questions"
    schema_version: ClassVar[int] = 1

    seeds: tuple[int, ...] = (0, 1, 2)
    seed: int = 0
    ae_steps: int = 400
    compression_epochs: int = 15
    ks: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)
    neuron_ms: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128)
    dynamics_epochs: tuple[int, ...] = (0, 1, 2, 5, 10, 20, 30)
    conv_epochs: int = 3
    recording_sources: tuple[tuple[str, int], ...] = (("conv3", 4), ("conv1", 1), ("conv5", 1))
    n_neurons: int = 60

    def __post_init__(self) -> None:
        """Check the fields."""
        super().__post_init__()
        check_seeds(self.seeds, minimum=2)
        for name in ("ae_steps", "compression_epochs", "conv_epochs", "n_neurons"):
            check_int(getattr(self, name), name)
        for name in ("ks", "neuron_ms"):  # numbers of directions and of neurons kept
            given = getattr(self, name)
            values = list(given)
            if not values or values != sorted(set(values)) or values[0] < 1:
                raise ValueError(f"{name} must be increasing ints >= 1, at least one; got {given!r}")
        if 8 not in self.ks:
            raise ValueError(f"ks must include 8 (the chapter's claims read k = 8); got {self.ks!r}")
        epochs = list(self.dynamics_epochs)
        if len(epochs) < 2 or epochs != sorted(set(epochs)) or epochs[0] != 0:  # the last: training length
            raise ValueError(
                f"dynamics_epochs must be increasing, start at 0 and hold at least two epochs; "
                f"got {self.dynamics_epochs!r}"
            )
        if not self.recording_sources or self.recording_sources[0][0] != "conv3":
            raise ValueError(
                "recording_sources must start with conv3 (the chapter's section); "
                f"got {self.recording_sources!r}"
            )
        for source, trials in self.recording_sources:
            check_option(source, "each recording source", _RECORDED_LAYERS)
            check_int(trials, f"trials of recording source {source!r}")

    @classmethod
    def preset_tiny(cls) -> OpenQuestionsConfig:
        """Two seeds, a few steps of each network: seconds (tests)."""
        return cls(
            seeds=(0, 1),
            ae_steps=20,
            compression_epochs=1,
            ks=(2, 8),
            neuron_ms=(1, 8, 128),
            dynamics_epochs=(0, 1),
            conv_epochs=1,
        )

    def describe(self) -> str:
        """One line saying what ran.

        Examples
        --------
        >>> from svcca.experiments.open_questions import OpenQuestionsConfig
        >>> print(OpenQuestionsConfig().describe()[:60])
        open-question starting points on 8x8 digits, seeds (0, 1, 2)
        """
        return (
            f"open-question starting points on 8x8 digits, seeds {self.seeds}: autoencoder "
            f"{self.ae_steps} steps, MLP {self.compression_epochs} epochs, dynamics to epoch "
            f"{self.dynamics_epochs[-1]}, conv net {self.conv_epochs} epochs"
        )

    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        """Train every section's networks for every seed and measure them (see :func:`unpack`)."""
        return _run(self)


# --------------------------------------------------------------------------- the run


def synthetic_recording(
    source: Any, n_neurons: int = 60, trials: int = 4, gain: float = 2.0, rng: Any = 0
) -> np.ndarray:
    """Trial-averaged Poisson counts whose rates are a random softplus readout of ``source``.

    Parameters
    ----------
    source : array-like of shape (n_stimuli, n_features)
        The layer that drives the synthetic neurons.
    n_neurons : int, default 60
    trials : int, default 4
        Trials averaged per stimulus (more trials: less Poisson noise).
    gain : float, default 2.0
        Scale of the rates (mean counts per trial).
    rng : None, int or numpy.random.Generator, default 0
        Seeds the readout weights and the spikes.

    Returns
    -------
    numpy.ndarray of shape (n_stimuli, n_neurons)
        Mean spike counts per trial, non-negative multiples of ``1 / trials``.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.open_questions import synthetic_recording
    >>> X = np.random.default_rng(0).standard_normal((100, 8))
    >>> synthetic_recording(X, n_neurons=5).shape
    (100, 5)
    """
    from .._validation import check_rng

    gen = check_rng(rng)
    X = np.asarray(source, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"source must be (n_stimuli, n_features); got shape {X.shape}")
    Z = (X - X.mean(0)) / (X.std(0) + 1e-8)
    W = gen.standard_normal((Z.shape[1], n_neurons)) / np.sqrt(Z.shape[1])
    rates = gain * np.logaddexp(0.0, Z @ W)
    return np.asarray(gen.poisson(rates[None], size=(trials, *rates.shape)).mean(axis=0))


def _run(cfg: OpenQuestionsConfig) -> dict[str, np.ndarray]:
    from ..nn import load_digits, random_labels, record

    digits = load_digits(seed=cfg.seed, test_size=TEST_IMAGES)
    train_set: Any = digits.train
    test_set: Any = digits.test
    x_train = train_set.tensors[0].flatten(1)
    x_test = test_set.tensors[0].flatten(1)
    y_train = train_set.tensors[1].numpy()
    y_test = test_set.tensors[1].numpy()
    memorize = random_labels(digits.train, seed=cfg.seed)

    per_seed: list[dict[str, Any]] = []
    for s in cfg.seeds:
        out: dict[str, Any] = {}
        out.update(_autoencoder(cfg, int(s), x_train, x_test))
        net, comp = _compression(cfg, int(s), digits, y_train)
        out.update(comp)
        out["neuron_table"] = _neurons(cfg, net, digits, y_train, y_test)
        out.update(_conv_sections(cfg, int(s), digits))
        per_seed.append(out)
    arrays = {k: np.stack([o[k] for o in per_seed]) for k in per_seed[0]}

    # dynamics: every seed's network on each labelling, then each seed with the next one
    runs: dict[str, list[list[np.ndarray]]] = {"generalizing": [], "memorizing": []}
    final_train: dict[str, list[float]] = {"generalizing": [], "memorizing": []}
    with tempfile.TemporaryDirectory() as folder:
        for kind, data in (("generalizing", digits.train), ("memorizing", memorize)):
            for s in cfg.seeds:
                acts, acc = _checkpointed_run(cfg, int(s), data, x_test, f"{folder}/{kind}-{s}", record)
                runs[kind].append(acts)
                final_train[kind].append(acc)
    import svcca

    S = len(cfg.seeds)
    for kind, key in (("generalizing", "dyn_gen"), ("memorizing", "dyn_mem")):
        arrays[key] = np.array(
            [
                [
                    svcca.pwcca(a, b, side="symmetric").similarity
                    for a, b in zip(runs[kind][i], runs[kind][(i + 1) % S])
                ]
                for i in range(S)
            ]
        )
        arrays[f"{key}_train_accuracy"] = np.array(final_train[kind])

    arrays.update(
        seeds=np.array(cfg.seeds, dtype=np.int64),
        ks=np.array(cfg.ks, dtype=np.int64),
        neuron_ms=np.array(cfg.neuron_ms, dtype=np.int64),
        dynamics_epochs=np.array(cfg.dynamics_epochs, dtype=np.int64),
        ae_layers=np.array(AE_LAYERS),
        compression_methods=np.array(COMPRESSION_METHODS),
        layer_steps=np.array([name for name, _ in LAYER_STEPS]),
        recording_sources=np.array([src for src, _ in cfg.recording_sources]),
        recording_trials=np.array([t for _, t in cfg.recording_sources], dtype=np.int64),
    )
    return arrays


def _autoencoder(cfg: OpenQuestionsConfig, s: int, x_train: Any, x_test: Any) -> dict[str, Any]:
    import torch

    import svcca

    from ..nn import record
    from ..nn.models import MLP

    ae = MLP(64, hidden=(32, 8, 32), n_classes=64, seed=s)  # fc1, fc2 (the code), fc3, logits (output)
    optimizer = torch.optim.Adam(ae.parameters(), lr=3e-3)
    batches = torch.Generator().manual_seed(s)
    for _ in range(cfg.ae_steps):
        idx = torch.randint(0, len(x_train), (128,), generator=batches)
        loss = torch.nn.functional.mse_loss(ae(x_train[idx]), x_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        mse = float(torch.nn.functional.mse_loss(ae(x_test), x_test))
    acts = record(ae, x_test)
    layers = [x_test.numpy(), acts["fc1"], acts["fc2"], acts["fc3"], acts["logits"]]
    layers = [np.asarray(a, dtype=np.float64) for a in layers]
    return {
        "ae_mse": np.array(mse),
        "ae_cca": np.asarray(svcca.similarity_matrix(layers, measure="cca").values),
        "ae_cka": np.asarray(svcca.similarity_matrix(layers, measure="cka").values),
    }


def _compression(
    cfg: OpenQuestionsConfig, s: int, digits: Any, y_train: np.ndarray
) -> tuple[Any, dict[str, Any]]:
    import svcca

    from ..nn import evaluate, record, train
    from ..nn.models import MLP
    from .seed_pair import Reconstruction, direction_weights, projected_accuracy

    net = MLP(64, hidden=(128,), seed=s)
    train(net, digits.train, epochs=cfg.compression_epochs, seed=s, progress=False, eval_train=False)
    full = evaluate(net, digits.test)[1]
    H = np.asarray(record(net, digits.train, ["fc1"])["fc1"], dtype=np.float64)
    n_classes = int(y_train.max()) + 1
    directions = {
        "pca": direction_weights("pca", H),
        "pls (labels)": np.asarray(svcca.pls(H, np.eye(n_classes)[y_train]).x_weights),
        "random": direction_weights("random", H, rng=s),
    }
    acc = np.full((len(COMPRESSION_METHODS), len(cfg.ks)), np.nan)
    rec = Reconstruction(H)
    for i, name in enumerate(COMPRESSION_METHODS):
        W = directions[name]
        for j, k in enumerate(cfg.ks):
            if k <= W.shape[1]:
                acc[i, j] = projected_accuracy(net, "fc1", *rec.fit(W, k), digits.test)
    return net, {
        "compression_full": np.array(full),
        "compression_accuracy": acc,
        "pls_dims": np.array(directions["pls (labels)"].shape[1]),
    }


def _neurons(
    cfg: OpenQuestionsConfig, net: Any, digits: Any, y_train: np.ndarray, y_test: np.ndarray
) -> np.ndarray:
    """(n_classes, n_ms): held-out correlation of each class with its top-m neurons."""
    import svcca

    from ..nn import record

    H = np.asarray(record(net, digits.train, ["fc1"])["fc1"], dtype=np.float64)
    H_test = np.asarray(record(net, digits.test, ["fc1"])["fc1"], dtype=np.float64)

    def test_correlation(cols: np.ndarray, c: int) -> float:
        fit = svcca.cca(H[:, cols], (y_train == c)[:, None].astype(float), warn=False)
        variate = (H_test[:, cols] - fit.x_mean) @ fit.x_weights[:, 0]
        if variate.std() == 0:
            return 0.0
        return float(abs(np.corrcoef(variate, y_test == c)[0, 1]))

    n_classes = int(y_train.max()) + 1
    table = np.zeros((n_classes, len(cfg.neuron_ms)))
    std = H.std(axis=0)
    for c in range(n_classes):
        fit = svcca.cca(H, (y_train == c)[:, None].astype(float), warn=False)
        v = np.asarray(fit.x_variates)[:, 0]
        Hc = H - H.mean(axis=0)
        den = np.sqrt((Hc**2).sum(0) * ((v - v.mean()) ** 2).sum())
        loading = np.abs(np.where(std > 0, Hc.T @ (v - v.mean()) / np.where(den > 0, den, 1.0), 0.0))
        order = np.argsort(-loading, kind="stable")
        table[c] = [test_correlation(order[: min(m, H.shape[1])], c) for m in cfg.neuron_ms]
    return table


def _conv_sections(cfg: OpenQuestionsConfig, s: int, digits: Any) -> dict[str, Any]:
    import svcca

    from ..nn import record, train
    from ..nn.models import ConvNet

    conv = ConvNet("pilot5", seed=s)
    train(conv, digits.train, epochs=cfg.conv_epochs, seed=s, progress=False, eval_train=False)
    block = record(conv, digits.test, [m for _, m in LAYER_STEPS], positions=True)
    types = np.zeros((2, len(LAYER_STEPS) - 1))
    for i, ((_, a), (_, b)) in enumerate(zip(LAYER_STEPS[:-1], LAYER_STEPS[1:])):
        X, Y = np.asarray(block[a], dtype=np.float64), np.asarray(block[b], dtype=np.float64)
        types[0, i] = svcca.cca(X, Y, warn=False).mean
        types[1, i] = svcca.linear_cka(X, Y).similarity
    del block
    layers = {
        k: np.asarray(v, dtype=np.float64)
        for k, v in record(conv, digits.test, pool="mean").items()
        if k != "logits"
    }
    names = list(layers)
    rec = np.zeros((2, len(cfg.recording_sources), len(names)))
    rng = np.random.default_rng([s, 6])
    for j, (source, trials) in enumerate(cfg.recording_sources):
        recording = synthetic_recording(layers[source], n_neurons=cfg.n_neurons, trials=trials, rng=rng)
        for m, measure in enumerate(("svcca", "cka")):
            rec[m, j] = [
                svcca.similarity_matrix([X], [recording], measure=measure).values[0, 0]
                for X in layers.values()
            ]
    return {
        "types_cca": types[0],
        "types_cka": types[1],
        "recording_svcca": rec[0],
        "recording_cka": rec[1],
        "conv_layers": np.array(names),
    }


def _checkpointed_run(
    cfg: OpenQuestionsConfig, s: int, data: Any, x_test: Any, folder: str, record: Any
) -> tuple[list[np.ndarray], float]:
    from ..nn import iter_checkpoints, steps_per_epoch, train
    from ..nn.models import MLP

    spe = steps_per_epoch(len(data), 128)
    hist = train(
        MLP(64, hidden=(128, 128), seed=s),
        data,
        epochs=cfg.dynamics_epochs[-1],
        seed=s,
        checkpoint_dir=folder,
        checkpoint_steps=[e * spe for e in cfg.dynamics_epochs],
        progress=False,
    )
    model = MLP(64, hidden=(128, 128))
    acts = [
        np.asarray(record(model, x_test, ["fc2"])["fc2"], dtype=np.float64)
        for _ in iter_checkpoints(folder, model)
    ]
    return acts, float(hist.train_accuracy[-1])


# --------------------------------------------------------------------------- unpacking


@dataclass(frozen=True, eq=False)
class OpenQuestionsData(ExperimentData):
    """The measurements of chapter 9's starting points, one row per seed.

    Attributes
    ----------
    seeds : tuple of int

    Notes
    -----
    Per seed (leading axis): ``ae_mse``, ``ae_cca`` and ``ae_cka`` (5 x 5 over
    :data:`AE_LAYERS`); ``compression_full``, ``compression_accuracy`` (methods x ``ks``,
    NaN where a method has fewer directions), ``pls_dims``; ``neuron_table`` (classes x
    ``neuron_ms``); ``dyn_gen`` and ``dyn_mem`` (PWCCA of the pair seed/next seed at each of
    ``dynamics_epochs``) with ``dyn_gen_train_accuracy`` and ``dyn_mem_train_accuracy``;
    ``types_cca`` and ``types_cka`` (consecutive :data:`LAYER_STEPS`); ``recording_svcca``
    and ``recording_cka`` (sources x ``conv_layers``).
    """

    config_class = OpenQuestionsConfig

    seeds: tuple[int, ...] = field(metadata=stored())

    @property
    def conv_layers(self) -> list[str]:
        """Names of the conv net's layers (the recording section's x axis)."""
        return [str(v) for v in self["conv_layers"][0]]

    def compression(self, k: int) -> dict[str, np.ndarray]:
        """Per method: test accuracy with ``k`` kept directions, one value per seed."""
        ks = [int(v) for v in self["ks"]]
        j = ks.index(check_option(k, "k", ks))
        acc = self["compression_accuracy"]
        return {str(m): acc[:, i, j] for i, m in enumerate(self["compression_methods"])}

    def compression_curves(self, seed_index: int = 0) -> dict[str, np.ndarray]:
        """Return, per method, the test accuracy at every ``k`` for one seed.

        A method with fewer than ``k`` directions (PLS has at most nine) keeps all of its
        directions (its last value is carried).
        """
        acc = self["compression_accuracy"][check_index(seed_index, len(self.seeds), "seed_index")]
        out = {}
        for i, m in enumerate(self["compression_methods"]):
            row = acc[i].copy()
            ok = np.isfinite(row)
            if ok.any() and not ok.all():
                last = int(np.flatnonzero(ok)[-1])
                row[last + 1 :] = row[last]
            out[str(m)] = row
        return out

    def single_neuron_share(self) -> np.ndarray:
        """(n_seeds, n_classes): held-out correlation with the best neuron / with the whole layer."""
        t = self["neuron_table"]
        return t[..., 0] / t[..., -1]

    def neurons_needed(self, fraction: float = 0.9) -> np.ndarray:
        """(n_seeds, n_classes): fewest top neurons reaching ``fraction`` of the whole layer's correlation.

        ``fraction`` is a number in (0, 1].
        """
        real = isinstance(fraction, numbers.Real) and not isinstance(fraction, bool)
        if not real or not 0.0 < float(fraction) <= 1.0:  # NaN fails too: no count reaches it
            raise ValueError(f"fraction must be a number in (0, 1]; got {fraction!r}")
        t = self["neuron_table"]
        ms = self["neuron_ms"]
        reached = t >= fraction * t[..., -1:]
        return ms[np.argmax(reached, axis=-1)]

    def recording_peak(self, measure: str = "cka", source: int = 0) -> list[str]:
        """Per seed: the layer most similar to recording ``source`` by ``measure``."""
        recordings = self[f"recording_{measure}"]
        sims = recordings[:, check_index(source, recordings.shape[1], "source")]
        names = self.conv_layers
        return [names[int(i)] for i in np.argmax(sims, axis=1)]

    def claims(self) -> list[Claim]:
        """Return the chapter's claims, each the worst case over seeds (see the module docstring)."""
        seeds = [f"seed {s}" for s in self.seeds]
        cca_code = self["ae_cca"][:, 2].min(axis=1)
        k8 = self.compression(8)
        full = self["compression_full"]
        gen, mem = self["dyn_gen"], self["dyn_mem"]
        names = self.conv_layers
        source = names.index("conv3")
        cka_rec, svcca_rec = self["recording_cka"][:, 0], self["recording_svcca"][:, 0]
        cka_peak_gap = cka_rec[:, source] - np.delete(cka_rec, source, axis=1).max(axis=1)
        mean_rec = cka_rec.mean(axis=0)
        pca_pls = k8["pca"] - k8["pls (labels)"]
        measured = {
            "ae.mse": (self["ae_mse"], seeds),
            "ae.cca_code_everywhere": median_case(seeds, cca_code),
            "ae.cka_code_vs_output": median_case(seeds, self["ae_cka"][:, 2, 4]),
            "compression.pca_pls_keep_accuracy": (np.minimum(k8["pca"], k8["pls (labels)"]) - full, seeds),
            "compression.random_worse": (k8["pca"] - k8["random"], seeds),
            "compression.pca_pls_close": (np.abs(pca_pls).max(), claim_details(seeds, pca_pls)),
            "dynamics.gen_grows": (gen[:, -1] - gen[:, 0], seeds),
            "dynamics.gen_above_mem": (gen[:, -1] - mem[:, -1], seeds),
            "dynamics.mem_unfinished": (self["dyn_mem_train_accuracy"], seeds),
            "neurons.single_share_min": (self.single_neuron_share().min(axis=1), seeds),
            "neurons.needed_vary": ([len(set(row.tolist())) for row in self.neurons_needed()], seeds),
            "layer_types.bn_visible_to_cka": (self["types_cka"][:, 0], seeds),
            "layer_types.relu_visible_to_cca": (self["types_cca"][:, 1], seeds),
            "recording.cka_peaks_at_source": (
                mean_rec[source] - np.delete(mean_rec, source).max(),
                claim_details(seeds, cka_peak_gap),
            ),
            "recording.svcca_flatter": (np.ptp(cka_rec, axis=1) - np.ptp(svcca_rec, axis=1), seeds),
        }
        return claims_table("open_questions.", CLAIMS, measured)

    # ---- what the figures show, for one seed -------------------------------------------
    def autoencoder_grid(self, measure: str = "cca", seed_index: int = 0) -> np.ndarray:
        """Return the autoencoder's layer x layer grid (:data:`AE_LAYERS`) by ``measure`` ("cca" or "cka").

        Examples
        --------
        >>> import numpy as np
        >>> from svcca.experiments.open_questions import OpenQuestionsData
        >>> d = OpenQuestionsData(None, {"ae_cca": np.arange(50.0).reshape(2, 5, 5)}, (0, 1))
        >>> d.autoencoder_grid("cca", seed_index=1)[0, :2].tolist()
        [25.0, 26.0]
        """
        from .._validation import check_option

        check_option(measure, "measure", ("cca", "cka"))
        return self[f"ae_{measure}"][check_index(seed_index, len(self.seeds), "seed_index")]

    def dynamics_curves(self, seed_index: int = 0) -> np.ndarray:
        """Return PWCCA between the seeds' last hidden layers at each epoch of ``dynamics_epochs``.

        Shape (n_epochs, 2): the generalizing pair, then the memorizing pair.
        """
        i = check_index(seed_index, len(self.seeds), "seed_index")
        return np.column_stack([self["dyn_gen"][i], self["dyn_mem"][i]])

    def recording_similarity(self, seed_index: int = 0, source: int = 0) -> dict[str, np.ndarray]:
        """SVCCA and linear CKA of each conv layer (:attr:`conv_layers`) with recording ``source``."""
        i = check_index(seed_index, len(self.seeds), "seed_index")
        j = check_index(source, self["recording_cka"].shape[1], "source")
        return {"svcca": self["recording_svcca"][i, j], "linear cka": self["recording_cka"][i, j]}


#: The chapter's claims: name -> (relation, bound, statement); each is the worst case over
#: seeds (see :meth:`OpenQuestionsData.claims`).
CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    ae.mse                             <  0.5     the autoencoder reconstructs the test images with error
                                                  below 0.5 (unit-variance pixels), in every seed
    ae.cca_code_everywhere             >  0.98    by mean CCA the code is a near-exact linear image of every
                                                  layer in most seeds (median over seeds of the smallest entry
                                                  of its row; an autoencoder in a few has a code less linear
                                                  in its input)
    ae.cka_code_vs_output              <  0.95    by linear CKA the code and the reconstruction are not alike
                                                  (below 0.95) in most seeds (median over seeds)
    compression.pca_pls_keep_accuracy  >  -0.05   8 of 128 PCA or PLS directions keep the accuracy within 5
                                                  points of the full network, in every seed (worst accuracy
                                                  change)
    compression.random_worse           >  0.0     8 random directions do worse than 8 PCA directions, in every
                                                  seed (accuracy gap)
    compression.pca_pls_close          <  0.02    with 8 directions PCA and PLS are within 2 points of each
                                                  other, in every seed
    dynamics.gen_grows                 >  0.0     the generalizing pair ends more similar than it started
                                                  (PWCCA, last minus first checkpoint), in every pair
    dynamics.gen_above_mem             >  0.0     at the end the generalizing pair is more similar than the
                                                  memorizing pair (PWCCA gap), in every pair
    dynamics.mem_unfinished            <  1.0     the memorizing networks have not finished memorizing
                                                  (largest training accuracy below 1)
    neurons.single_share_min           >= 0.3     the best single neuron carries at least 30% of the layer's
                                                  held-out correlation with every digit, in every seed
    neurons.needed_vary                >  1.0     the digits need different numbers of neurons to reach 90% of
                                                  the layer (fewest distinct counts over seeds)
    layer_types.bn_visible_to_cka      <  0.9999  linear CKA between a convolution and its batch norm is below
                                                  1 by far more than rounding (below 0.9999), in every seed
    layer_types.relu_visible_to_cca    <  0.99    mean CCA registers the ReLU (below 0.99), in every seed
    recording.cka_peaks_at_source      >  0.0     averaged over the seeds, linear CKA is highest for conv3,
                                                  the layer that drove the recording (gap to the best other
                                                  layer of the averaged profile)
    recording.svcca_flatter            >  0.0     SVCCA's profile over layers is flatter than CKA's (range of
                                                  CKA minus range of SVCCA), in every seed
    """
)


#: Named access to the arrays of an open-questions run: :meth:`OpenQuestionsData.from_result`.
unpack = OpenQuestionsData.from_result
