"""Networks trained from different seeds, their untrained twins, and low-rank projections.

The data behind the methods chapters (1, 3 and 4 of the book): a few networks of one
architecture, trained on the same data from different seeds, and the same networks at
initialisation as a baseline. Every layer is recorded over an evaluation set large enough
for CCA, and each hidden layer is replaced by its projection onto its top ``k`` directions
(PCA, SVCCA, CCA or random), or reduced to ``k`` of its neurons, to measure how much of the
layer the network really uses (Raghu et al. 2017, "intrinsic dimensionality").

Presets (``SeedPairConfig.for_scale``):

* ``tiny``: two small MLPs on the digits, a few epochs (seconds; tests);
* ``default``: three MLPs 64 -> 3 x 128 -> 10 on scikit-learn's 8x8 digits (embedded, no
  download), evaluated on the 500 test images under every one-pixel shift (n = 4500);
* ``full``: three conv nets (Tiny-10 at twice the width) on CIFAR-10, conv layers with
  spatial positions as datapoints; runs only when CIFAR-10 is in the data folder.

Claims: :meth:`SeedPairData.claims` (and ``SeedPairConfig.claims(result)``) states what
chapters 1, 3 and 4 say about these networks as effects checked on every network or pair of
seeds: ``seed_pair.cca.*`` (trained pairs above untrained pairs for every summary, SVCCA
and PWCCA, and untrained pairs above the permutation null; the learned part of PWCCA grows
with depth; few samples inflate CCA), ``seed_pair.methods.*`` (an eighth of the principal
or SVCCA directions recovers the accuracy; random directions and single neurons lag in the
first hidden layer and catch up deeper; the 99%-variance cut is conservative) and ``seed_pair.significance.*``
(chance levels, permutation and bootstrap facts, Bartlett counts; the 9 shifts of an image
are worth fewer than half as many independent samples, yet more than 8 effective samples
per neuron remain). Every statistic that resamples or permutes rows does so by whole test
images (``groups=data.images(layer)``), with :data:`N_BOOTSTRAP` bootstrap resamples, and
Bartlett's test counts the effective sample size. Their bounds are the ``default`` preset's.

The result holds arrays only (it is cached as ``.npz``); :func:`unpack` gives named access::

    from svcca.experiments import run_or_load
    from svcca.experiments.seed_pair import SeedPairConfig, unpack

    data = unpack(run_or_load(SeedPairConfig.for_scale("default")))
    X, Y = data.acts("fc2", seed=0), data.acts("fc2", seed=1)        # (4500, 128) each
    X0, Y0 = data.acts("fc2", seed=0, state="init"), data.acts("fc2", seed=1, state="init")
    ks, curves = data.intrinsic_dimensionality("fc2")               # method -> (n_ks, n_seeds)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .._validation import check_fraction, check_int, check_option
from ._cache import stored
from ._claims import claim_specs
from ._toolbox import (
    CIFAR10_TRAINING,
    NetworkFields,
    SeedNetworksData,
    TrainingConfig,
    check_layers,
    check_seeds,
    network_key,
    probe_inputs,
)

__all__ = [
    "CLAIM_GROUPS",
    "METHODS",
    "SeedPairConfig",
    "SeedPairData",
    "direction_weights",
    "fit_projection",
    "Reconstruction",
    "projected_accuracy",
    "unpack",
]

#: Direction families a layer can be projected onto: directions (principal, SVCCA, CCA,
#: random) and, as the SVCCA paper's baseline, single neurons (in random order, or the
#: neurons of largest variance first).
METHODS = ("pca", "svcca", "cca", "random", "neurons", "top_neurons")

_SEP = "__"


@dataclass(frozen=True)
class SeedPairConfig(NetworkFields, TrainingConfig):
    """Train networks from several seeds; record every layer, trained and untrained.

    Parameters
    ----------
    model, hidden, arch, width
        The network: see :class:`~svcca.experiments.NetworkFields` (default an MLP of
        ``hidden=(128, 128, 128)``; ``arch="six"``).
    seeds : tuple of int, default (0, 1, 2)
        One network per seed (initialisation and data order); at least two.
    augment_shift : int, default 0
        Random shifts of up to this many pixels during training.
    probe_shift : int, default 1
        The evaluation set is the test images under every shift of up to this many pixels
        (``(2 s + 1)^2`` times the test set: 4500 rows for the digits at ``s = 1``).
    n_eval : int or None, default None
        Use only the first ``n_eval`` test images (None: all).
    positions_per_image : int or None, default 16
        Conv layers: spatial positions are datapoints; keep this many random positions
        per image (the same ones for every network), or all of them (None).
    project_layers : tuple of str or None, default None
        Layers to project (None: every layer but the logits).
    ks : tuple of int
        Numbers of kept directions; values above a layer's number of directions are capped.
    methods : tuple of str, default ("pca", "svcca", "cca", "random", "neurons", "top_neurons")
        Direction families (:data:`METHODS`); ``"neurons"`` and ``"top_neurons"`` keep single
        neurons (:func:`direction_weights`).
    keep : float, default 0.99
        Variance SVCCA keeps before its CCA.
    fit_shift : int, default 1
        Directions are fitted on the *training* images under every shift of up to this many
        pixels (never on the test set the accuracy is measured on).
    n_fit : int or None, default None
        Use only the first ``n_fit`` training images for fitting (None: all).
    seed : int, default 0
        Seeds the digits' train/test split (``svcca.nn.load_digits(seed=...)``), the random
        directions, the choice of conv positions and the random draws of the claims.
    dataset, image_size, epochs, batch_size, lr, device, data_root, verify_data, num_threads
        See :class:`~svcca.experiments.TrainingConfig`; here ``epochs=20`` and
        ``num_threads=1``.
    """

    experiment: ClassVar[str] = "seed_pair"
    schema_version: ClassVar[int] = 2

    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 20
    augment_shift: int = 0
    probe_shift: int = 1
    n_eval: int | None = None
    positions_per_image: int | None = 16
    project_layers: tuple[str, ...] | None = None
    ks: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128)
    methods: tuple[str, ...] = METHODS
    keep: float = 0.99
    fit_shift: int = 1
    n_fit: int | None = None
    seed: int = 0
    num_threads: int | None = field(default=1, compare=False)

    def __post_init__(self) -> None:
        """Check the fields."""
        super().__post_init__()  # model, arch, hidden, width and augment_shift: TrainingConfig's
        check_seeds(self.seeds, minimum=2)
        bad = [m for m in self.methods if m not in METHODS]
        if bad or not self.methods:
            raise ValueError(f"methods must be a non-empty subset of {METHODS}; got {self.methods!r}")
        if not self.ks or any(int(k) < 1 for k in self.ks) or list(self.ks) != sorted(set(self.ks)):
            raise ValueError(f"ks must be increasing positive ints; got {self.ks!r}")
        # here, not after the networks trained (where keep and project_layers were first read)
        for name in ("probe_shift", "fit_shift"):  # seed: ThreadLimitedConfig
            check_int(getattr(self, name), name, minimum=0)
        for name in ("n_eval", "n_fit", "positions_per_image"):
            check_int(getattr(self, name), name, allow_none=True)
        check_fraction(self.keep, "keep")
        layers = self.project_layers
        if layers is not None and (
            not isinstance(layers, tuple) or not layers or not all(isinstance(n, str) for n in layers)
        ):
            raise ValueError(f"project_layers must be None or a non-empty tuple of names; got {layers!r}")

    # ---- presets ---------------------------------------------------------------------
    @classmethod
    def preset_tiny(cls) -> SeedPairConfig:
        """Two 2 x 32 MLPs, 3 epochs, 900-row probe: seconds."""
        return cls(hidden=(32, 32), seeds=(0, 1), epochs=3, n_eval=100, n_fit=200, ks=(1, 4, 16, 32))

    @classmethod
    def preset_full(cls) -> SeedPairConfig:
        """Three Tiny-10 conv nets (width 2) on CIFAR-10, positions as datapoints (GPU)."""
        return cls(
            **CIFAR10_TRAINING, model="conv", arch="tiny10", width=2.0,
            probe_shift=0, n_eval=2000, positions_per_image=25, n_fit=5000, fit_shift=0,
            ks=(1, 2, 4, 8, 16, 32, 64, 128),
        )  # fmt: skip

    # ---- the experiment --------------------------------------------------------------
    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        """Train, record and project; see :func:`unpack` for the arrays returned."""
        import torch

        from ..nn import evaluate, state_arrays, take

        data = self.load_data()
        probe, n_images = probe_inputs(data, self.n_eval, self.probe_shift)
        eval_x, eval_y, eval_shift = probe.tensors
        eval_image = torch.arange(n_images).repeat(len(eval_x) // n_images)
        test = take(data.test, self.n_eval)
        fit_x = probe_inputs(data, self.n_fit, self.fit_shift, split="train")[0].tensors[0]

        out: dict[str, np.ndarray] = {}
        nets = {}
        test_acc, init_acc = [], []
        augment = self.augmentation(data)
        for seed in self.seeds:
            init = self.build_model(data, seed)
            check_layers("project_layers", self.project_layers, init.layer_names)  # before training
            init_acc.append(evaluate(init, test, device=self.device)[1])
            net = self.build_model(data, seed)
            self.fit(net, data.train, seed, augment=augment, progress=progress)
            test_acc.append(evaluate(net, test, device=self.device)[1])
            nets[seed] = net
            for state, model in (("trained", net), ("init", init)):
                acts, rows = _collect(model, eval_x, self, tag=0)
                for layer, a in acts.items():
                    out[network_key(state, seed, layer)] = a
            out.update(state_arrays(net, network_key("weights", seed)))
        layers = tuple(acts)
        for layer in layers:
            out[_SEP.join(("rows", layer))] = rows[layer]
        out["layers"] = np.array(layers)
        out["layer_widths"] = np.array(
            [out[network_key("trained", self.seeds[0], layer)].shape[1] for layer in layers]
        )
        out["seeds"] = np.array(self.seeds)
        out["test_accuracy"] = np.array(test_acc)
        out["init_accuracy"] = np.array(init_acc)
        out["eval_labels"] = eval_y.numpy().astype(np.int64)
        out["eval_shifts"] = eval_shift.numpy().astype(np.int64)
        out["eval_image"] = eval_image.numpy().astype(np.int64)
        out["n_classes"] = np.array(data.n_classes)
        out["dataset"] = np.array(data.name)
        out.update(_intrinsic_dimensionality(self, nets, fit_x, test, layers))
        return out


# --------------------------------------------------------------------------- helpers


class _Sink:
    """Collect a model's layers batch by batch, sampling fixed positions of conv layers.

    The same positions for every network, chosen from ``seed`` and the layer.
    """

    def __init__(self, n_images: int, per_image: int | None, seed: int) -> None:
        self.n, self.per_image, self.seed = n_images, per_image, seed
        self.chunks: dict[str, list[np.ndarray]] = {}
        self.row_chunks: dict[str, list[np.ndarray]] = {}
        self.choice: dict[str, np.ndarray] = {}
        self.offset: dict[str, int] = {}

    def update(self, batch: Mapping[str, Any]) -> None:
        from ..nn import sample_positions, take_positions

        for li, (name, t) in enumerate(batch.items()):
            a = t.detach().cpu().numpy().astype(np.float32, copy=False)
            start = self.offset.get(name, 0)
            b = a.shape[0]
            images = np.arange(start, start + b)
            if a.ndim == 4:  # (b, h, w, c): positions as datapoints
                if name not in self.choice:
                    hw = a.shape[1] * a.shape[2]
                    self.choice[name] = sample_positions(self.n, hw, self.per_image, [self.seed, li])
                pos = self.choice[name][start : start + b]
                a = take_positions(a, pos)
                images = np.repeat(images, pos.shape[1])
            self.chunks.setdefault(name, []).append(np.ascontiguousarray(a))
            self.row_chunks.setdefault(name, []).append(images)
            self.offset[name] = start + b

    def result(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        acts = {k: np.concatenate(v) for k, v in self.chunks.items()}
        rows = {k: np.concatenate(v) for k, v in self.row_chunks.items()}
        return acts, rows


def _collect(model: Any, x: Any, cfg: SeedPairConfig, tag: int, layers: Sequence[str] | None = None) -> Any:
    from ..nn.activations import record

    sink = _Sink(len(x), cfg.positions_per_image, cfg.seed * 1000 + tag)
    record(model, x, layers, sink=sink, batch_size=500)
    return sink.result()


def direction_weights(
    method: str,
    X: np.ndarray,
    Y: np.ndarray | None = None,
    *,
    keep: float = 0.99,
    rng: Any = None,
) -> np.ndarray:
    """Weights of a layer's ordered directions: scores ``(X - mean) @ W[:, :k]`` for any ``k``.

    Parameters
    ----------
    method : {"pca", "svcca", "cca", "random", "neurons", "top_neurons"}
        ``"pca"``: principal directions by variance; ``"svcca"``/``"cca"``: canonical
        directions of ``X`` against ``Y`` (the same layer of another network), by
        correlation, after (SVCCA) or without an SVD reduction; ``"random"``: Gaussian
        random directions; ``"neurons"``: single neurons (columns of the identity) in
        random order, ``"top_neurons"``: by decreasing variance; neurons constant on the
        fitting data (dead) are left out.
    X : array of shape (n_samples, n_features)
        The layer's activations on the fitting data.
    Y : array of shape (n_samples, n_features_y), optional
        The partner layer (for ``"svcca"`` and ``"cca"``).
    keep : float, default 0.99
        SVCCA's kept variance.
    rng : None, int or numpy.random.Generator
        For ``"random"`` and ``"neurons"``.

    Returns
    -------
    numpy.ndarray of shape (n_features, n_directions)
        ``n_directions`` is the number the method provides (the rank for PCA and CCA,
        ``min(x_dims, y_dims)`` for SVCCA, ``n_features`` for random, the neurons that
        vary for the neuron families).

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.seed_pair import direction_weights
    >>> X = np.random.default_rng(0).standard_normal((200, 5)) * [5.0, 1, 1, 1, 1]
    >>> W = direction_weights("pca", X)
    >>> W.shape, int(np.argmax(np.abs(W[:, 0])))
    ((5, 5), 0)
    >>> direction_weights("top_neurons", X)[:, 0].tolist()   # the loudest neuron first
    [1.0, 0.0, 0.0, 0.0, 0.0]
    """
    import svcca

    from .._validation import check_option, check_rng

    check_option(method, "method", METHODS)
    X = np.asarray(X, dtype=np.float64)
    if method == "pca":
        return np.asarray(svcca.pca(X).components).T
    if method == "random":
        return check_rng(rng).standard_normal((X.shape[1], X.shape[1]))
    if method in ("neurons", "top_neurons"):
        live = np.flatnonzero(np.ptp(X, axis=0) > 0)  # a dead neuron carries nothing
        if method == "neurons":
            order = check_rng(rng).permutation(live)
        else:
            order = live[np.argsort(-X[:, live].var(axis=0), kind="stable")]
        return np.eye(X.shape[1])[:, order]
    if Y is None:
        raise ValueError(f"method={method!r} needs the partner layer Y; got Y=None")
    Y = np.asarray(Y, dtype=np.float64)
    res = svcca.svcca(X, Y, keep=keep, warn=False) if method == "svcca" else svcca.cca(X, Y, warn=False)
    return np.asarray(res.x_weights)


def fit_projection(X: np.ndarray, W: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Reconstruct a layer linearly, as well as possible, from its first ``k`` direction scores.

    With scores ``H = (X - mean) @ W[:, :k]``, the layer is reconstructed by least squares,
    ``X_hat = mean + H B`` with ``B = argmin ||(X - mean) - H B||``; as a map on the
    features, ``X_hat = mean + (X - mean) @ P`` with ``P = W[:, :k] @ B`` (rank ``k``,
    idempotent on the fitting data). For orthonormal ``W`` (PCA) ``P`` is the orthogonal
    projection onto the top ``k`` directions; for canonical directions it is the oblique
    projection that keeps exactly what the ``k`` canonical variates carry.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        The layer on the fitting data.
    W : array of shape (n_features, n_directions)
        Ordered directions (:func:`direction_weights`).
    k : int
        Directions kept; capped at ``n_directions``.

    Returns
    -------
    mean : array of shape (n_features,)
    P : array of shape (n_features, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.seed_pair import direction_weights, fit_projection
    >>> X = np.random.default_rng(0).standard_normal((300, 4))
    >>> mean, P = fit_projection(X, direction_weights("pca", X), 4)
    >>> bool(np.allclose(P, np.eye(4)))      # all directions: nothing is removed
    True
    >>> mean, P = fit_projection(X, direction_weights("pca", X), 2)
    >>> round(float(np.trace(P)), 6), bool(np.allclose(P @ P, P))
    (2.0, True)
    """
    return Reconstruction(X).fit(W, k)


class Reconstruction:
    """One layer on the fitting data, factored once for :func:`fit_projection` with many ``W`` and ``k``.

    With ``Xc = Q R`` (a QR factorisation of the centred layer) and scores ``H = Xc W_k =
    Q (R W_k)``, the least-squares problem ``min ||Xc - H B||`` is ``min ||R - (R W_k) B||``:
    a ``p x k`` problem instead of an ``n x k`` one, with the same singular values (``Q``
    has orthonormal columns), so the same rank decisions (``rcond = eps max(n, k)``, numpy's
    default for the full problem).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        The layer on the fitting data.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.seed_pair import Reconstruction, direction_weights
    >>> X = np.random.default_rng(0).standard_normal((300, 4))
    >>> rec = Reconstruction(X)
    >>> mean, P = rec.fit(direction_weights("pca", X), 2)
    >>> Xc = X - mean
    >>> H = Xc @ direction_weights("pca", X)[:, :2]
    >>> B = np.linalg.lstsq(H, Xc, rcond=None)[0]        # the full problem
    >>> bool(np.allclose(P, direction_weights("pca", X)[:, :2] @ B))
    True
    """

    def __init__(self, X: np.ndarray) -> None:
        X = np.asarray(X, dtype=np.float64)
        self.n_samples = int(X.shape[0])
        self.mean = X.mean(0)
        self.R = np.linalg.qr(X - self.mean, mode="r")

    def fit(self, W: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(mean, P)`` of :func:`fit_projection` for directions ``W`` and ``k`` of them."""
        W = np.asarray(W, dtype=np.float64)
        k = max(1, min(int(k), W.shape[1]))
        rcond = float(np.finfo(np.float64).eps) * max(self.n_samples, k)
        B = np.linalg.lstsq(self.R @ W[:, :k], self.R, rcond=rcond)[0]
        return self.mean, W[:, :k] @ B


def projected_accuracy(
    model: Any, layer: str, mean: np.ndarray, P: np.ndarray, data: Any, *, device: Any = None
) -> float:
    """Test accuracy of ``model`` with ``layer``'s output replaced by ``mean + (out - mean) @ P``.

    The rest of the network runs forward on the projected layer (a forward hook replaces
    the output; conv outputs are projected on their channels at every position).

    Parameters
    ----------
    model : torch.nn.Module
    layer : str
        Submodule name (e.g. ``"fc2"``, ``"conv3"``).
    mean, P : arrays of shape (n_features,), (n_features, n_features)
        From :func:`fit_projection`.
    data : Dataset of (input, label)

    Returns
    -------
    float
    """
    import torch

    from ..nn import evaluate

    p = next(model.parameters())
    m = torch.as_tensor(np.asarray(mean), dtype=p.dtype, device=p.device)
    Pt = torch.as_tensor(np.asarray(P), dtype=p.dtype, device=p.device)

    def hook(module: Any, args: Any, out: Any) -> Any:
        if out.ndim == 4:
            z = out.permute(0, 2, 3, 1)
            return (m + (z - m) @ Pt).permute(0, 3, 1, 2).contiguous()
        return m + (out - m) @ Pt

    handle = model.get_submodule(layer).register_forward_hook(hook)
    try:
        return float(evaluate(model, data, device=device)[1])
    finally:
        handle.remove()


def _intrinsic_dimensionality(
    cfg: SeedPairConfig, nets: dict[int, Any], fit_x: Any, test: Any, layers: Sequence[str]
) -> dict[str, np.ndarray]:
    proj = tuple(cfg.project_layers) if cfg.project_layers is not None else tuple(layers[:-1])
    check_layers("project_layers", proj, layers)
    seeds = list(cfg.seeds)
    fit = {s: _collect(nets[s], fit_x, cfg, tag=1, layers=proj)[0] for s in seeds}
    acc = np.full((len(proj), len(cfg.methods), len(cfg.ks), len(seeds)), np.nan)
    dims = np.zeros((len(proj), len(cfg.methods), len(seeds)), dtype=np.int64)
    for li, layer in enumerate(proj):
        for si, s in enumerate(seeds):
            partner = seeds[(si + 1) % len(seeds)]
            X = fit[s][layer].astype(np.float64)
            Y = fit[partner][layer].astype(np.float64)
            rec = Reconstruction(X)
            for mi, method in enumerate(cfg.methods):
                rng = np.random.default_rng([cfg.seed, li, si])
                W = direction_weights(method, X, Y, keep=cfg.keep, rng=rng)
                dims[li, mi, si] = W.shape[1]
                for ki, k in enumerate(cfg.ks):
                    mean, P = rec.fit(W, k)
                    acc[li, mi, ki, si] = projected_accuracy(nets[s], layer, mean, P, test, device=cfg.device)
    return {
        "id_layers": np.array(proj),
        "id_methods": np.array(cfg.methods),
        "id_ks": np.array(cfg.ks),
        "id_accuracy": acc,
        "id_dims": dims,
    }


# --------------------------------------------------------------------------- unpacking


@dataclass(frozen=True, eq=False)
class SeedPairData(SeedNetworksData):
    """Every layer of networks of several seeds, trained and untrained, and their projections.

    ``acts(layer, seed, state)`` gives a layer samples first: dense layers one row per
    evaluation image, conv layers one row per sampled position (:meth:`rows` gives each
    row's image); ``network(seed, state)`` rebuilds a network. ``seeds``, ``test_accuracy``
    and ``init_accuracy`` are those of every network's seed.

    Attributes
    ----------
    layers : tuple of str
        Recorded layers, input side first (the last is the logits).
    labels : numpy.ndarray of shape (n_eval,)
        Class of each evaluation image (one row per image for dense layers).
    shifts : numpy.ndarray of shape (n_eval, 2)
        The ``(dy, dx)`` shift of each evaluation image.
    n_classes : int
    """

    config_class = SeedPairConfig

    labels: np.ndarray = field(metadata=stored("eval_labels"))
    shifts: np.ndarray = field(metadata=stored("eval_shifts"))
    n_classes: int = field(metadata=stored())

    @property
    def chance(self) -> float:
        """Chance accuracy, ``1 / n_classes``."""
        return 1.0 / self.n_classes

    def rows(self, layer: str) -> np.ndarray:
        """Index of the evaluation image of each row of ``layer``'s activations."""
        return np.asarray(self.arrays[_SEP.join(("rows", self._layer(layer)))])

    def images(self, layer: str) -> np.ndarray:
        """Return the test image of each row of ``layer``'s activations (``0 .. n_images - 1``).

        Rows of one image (its shifts, its positions) are not independent samples: pass
        this as ``groups=`` to :mod:`svcca.stats` to resample or permute whole images.

        Examples
        --------
        >>> import numpy as np
        >>> from svcca.experiments.seed_pair import SeedPairData
        >>> arrays = {"eval_image": np.array([0, 1, 0, 1]), "rows__fc1": np.array([0, 1, 2, 3, 3])}
        >>> SeedPairData(None, arrays, ("fc1",), (0,), *[None] * 4, 10).images("fc1")
        array([0, 1, 0, 1, 1])
        """
        return np.asarray(self.arrays["eval_image"])[self.rows(layer)]

    def unshifted(self, layer: str) -> np.ndarray:
        """Boolean mask of ``layer``'s rows that come from unshifted images (the plain test set)."""
        return np.all(self.shifts[self.rows(layer)] == 0, axis=1)

    def width(self, layer: str) -> int:
        """Return the number of units (channels) of ``layer``."""
        return int(self.arrays[network_key("trained", self.seeds[0], self._layer(layer))].shape[1])

    def inputs(self) -> tuple[Any, Any]:
        """Return ``(fit_images, test_set)`` of the projection experiment.

        The training images the projection directions were fitted on (a tensor) and the
        test set the accuracies were measured on (a dataset).
        """
        from ..nn import take

        cfg = self.config
        data = cfg.load_data()
        fit_x = probe_inputs(data, cfg.n_fit, cfg.fit_shift, split="train")[0].tensors[0]
        return fit_x, take(data.test, cfg.n_eval)

    @property
    def id_layers(self) -> tuple[str, ...]:
        """Layers with intrinsic-dimensionality curves."""
        return tuple(str(v) for v in self.arrays["id_layers"])

    @property
    def id_methods(self) -> tuple[str, ...]:
        """Direction families of the curves."""
        return tuple(str(v) for v in self.arrays["id_methods"])

    def intrinsic_dimensionality(self, layer: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """``(ks, {method: accuracy of shape (n_ks, n_seeds)})`` for one projected layer."""
        if layer not in self.id_layers:
            raise KeyError(f"layer {layer!r} was not projected; projected layers: {self.id_layers}")
        li = self.id_layers.index(layer)
        acc = self.arrays["id_accuracy"][li]
        return np.asarray(self.arrays["id_ks"]), {m: acc[i] for i, m in enumerate(self.id_methods)}

    def claims(self, groups: Sequence[str] | str | None = None) -> list[Any]:
        """Return the book's claims about these networks (a list of :class:`~svcca.experiments.Claim`).

        Parameters
        ----------
        groups : str or sequence of str, optional
            Which chapters' claims: ``"cca"`` (chapter 1, names ``"seed_pair.cca.*"``),
            ``"methods"`` (chapter 3) and ``"significance"`` (chapter 4); default all
            (:data:`CLAIM_GROUPS`). The bounds are those of the ``default`` preset.
        """
        groups = CLAIM_GROUPS if groups is None else ((groups,) if isinstance(groups, str) else tuple(groups))
        for g in groups:
            check_option(g, "groups", CLAIM_GROUPS)
        # inside the book build every claim was computed once already, where the experiment ran
        remembered = self.remembered_claims()
        if remembered is not None:
            by_group = {g: [c for c in remembered if c.name.split(".")[1] == g] for g in CLAIM_GROUPS}
            return [c for g in groups for c in by_group[g]]
        out: list[Any] = []
        for g in groups:
            out += _CLAIM_BUILDERS[g](self)
        return out

    def id_dims(self, layer: str) -> dict[str, np.ndarray]:
        """Return the number of directions each method provides for ``layer``, per seed."""
        li = self.id_layers.index(check_option(layer, "layer", self.id_layers))
        d = self.arrays["id_dims"][li]
        return {m: d[i] for i, m in enumerate(self.id_methods)}

    @property
    def hidden_layers(self) -> tuple[str, ...]:
        """Every recorded layer but the logits (the last)."""
        return self.layers[:-1] if len(self.layers) > 1 else self.layers

    @property
    def middle_layer(self) -> str:
        """Name the middle hidden layer, the one chapters 1, 3 and 4 study.

        It is ``fc2`` of the default three-hidden-layer MLP.

        Examples
        --------
        >>> from svcca.experiments.seed_pair import SeedPairData
        >>> SeedPairData(None, {}, ("fc1", "fc2", "fc3", "logits"), (0, 1), *[None] * 4, 10).middle_layer
        'fc2'
        """
        hidden = self.hidden_layers
        return hidden[len(hidden) // 2]


#: Named access to the arrays of a seed-pair run: :meth:`SeedPairData.from_result`.
unpack = SeedPairData.from_result


# --------------------------------------------------------------------------- claims

#: Claim groups of :meth:`SeedPairData.claims`, by the chapter that states them.
CLAIM_GROUPS = ("cca", "methods", "significance")


def _cca_claims(d: SeedPairData) -> list[Any]:
    """Chapter 1: summaries, SVCCA's kept variance and PWCCA on the trained networks."""
    import svcca
    from svcca import stats

    from ..figures.methods import pwcca_by_layer
    from ._claims import claim_details, claims_table

    cfg = d.config
    layer = d.middle_layer
    pairs = d.pairs()
    labels = [f"{a}-{b}" for a, b in pairs]
    rng = np.random.default_rng([cfg.seed, 1])
    s0, s1 = d.seeds[:2]
    X, Y = d.acts(layer, s0), d.acts(layer, s1)

    # few samples inflate the similarity (the plain test set against the shifted probe)
    test = d.unshifted(layer)
    inflate = [
        svcca.cca(d.acts(layer, a)[test], d.acts(layer, b)[test]).mean
        - svcca.cca(d.acts(layer, a), d.acts(layer, b)).mean
        for a, b in pairs
    ]
    # summaries of the spectrum: trained against untrained pairs
    summary_gap, pillai_ratio = [], []
    for a, b in pairs:
        t = svcca.cca(d.acts(layer, a), d.acts(layer, b))
        u = svcca.cca(d.acts(layer, a, "init"), d.acts(layer, b, "init"))
        k_t, k_u = min(t.x_rank, t.y_rank), min(u.x_rank, u.y_rank)
        summary_gap.append(
            min(
                t.mean - u.mean,
                t.truncated_mean(0.98) - u.truncated_mean(0.98),
                t.yanai - u.yanai,
                t.pillai / k_t - u.pillai / k_u,
            )
        )
        pillai_ratio.append(t.pillai / stats.analytic_null_pillai(t.n_samples, t.x_rank, t.y_rank))
    untrained = svcca.cca(d.acts(layer, s0, "init"), d.acts(layer, s1, "init"))
    perm = np.array([svcca.cca(X, Y[rng.permutation(len(Y))]).rho for _ in range(100)])
    perm_lead = float(np.min(untrained.rho[:5] - np.quantile(perm, 0.975, axis=0)[:5]))
    # invariance: measures that weigh directions by variance move under neuron scales
    p = X.shape[1]
    A = rng.standard_normal((p, p))
    scales = np.exp(rng.normal(0.0, 1.0, p))
    moving: dict[str, Callable[..., Any]] = {
        "svcca": svcca.svcca,
        "linear cka": svcca.linear_cka,
        "pls": svcca.pls,
    }
    moved = {
        name: max(
            abs(f(X * scales, Y).similarity - f(X, Y).similarity),
            abs(f(X @ A, Y).similarity - f(X, Y).similarity),
        )
        for name, f in moving.items()
    }
    pw_moved = max(
        abs(svcca.pwcca(T, Y).similarity - svcca.pwcca(X, Y).similarity) for T in (X * scales, X @ A)
    )
    # SVCCA: directions kept and the dependence on keep
    kept_frac = [
        svcca.svcca(d.acts(layer, a), d.acts(layer, b), keep=0.99).x_dims / d.width(layer) for a, b in pairs
    ]
    keeps = (0.8, 0.9, 0.95, 0.99, 0.999)
    by_keep = {
        state: np.array(
            [
                [
                    svcca.svcca(d.acts(layer, a, state), d.acts(layer, b, state), keep=k).similarity
                    for k in keeps
                ]
                for a, b in pairs
            ]
        )
        for state in ("trained", "init")
    }
    # PWCCA over layers and pairs, against untrained pairs and a permutation null (chapter 1's
    # figure draws the same)
    by_layer = pwcca_by_layer(d, n_resamples=200, rng=cfg.seed)
    pw = {"trained": by_layer["trained pairs"], "init": by_layer["untrained pairs"]}
    null_hi = by_layer["permutation null"][2]
    pw_over_mean = [
        svcca.pwcca(d.acts(layer, a), d.acts(layer, b)).similarity
        - svcca.cca(d.acts(layer, a), d.acts(layer, b)).mean
        for a, b in pairs
    ]
    gap = pw["trained"].mean(0) - pw["init"].mean(0)
    sides = np.array(
        [
            [
                [
                    svcca.pwcca(d.acts(L, s0, st), d.acts(L, s1, st), side=sd).similarity
                    for st in ("trained", "init")
                ]
                for sd in ("x", "y", "symmetric")
            ]
            for L in d.layers
        ]
    )
    return claims_table(
        "seed_pair.cca.",
        CCA_CLAIMS,
        {
            "accuracy": (d.test_accuracy, d.seeds),
            "untrained_near_chance": (d.init_accuracy, d.seeds),
            "few_samples_inflate": (inflate, labels),
            "summaries_rank_trained_first": (summary_gap, labels),
            "pillai_above_chance": (pillai_ratio, labels),
            "untrained_above_permutation": perm_lead,
            "variance_weighted_measures_move": moved,
            "pwcca_moves_little": pw_moved,
            "svcca_keeps_few": (kept_frac, labels),
            "svcca_keep_trained_above_untrained": (by_keep["trained"].min(0) - by_keep["init"].max(0), keeps),
            "svcca_depends_on_keep": np.ptp(by_keep["trained"].mean(0)),
            "pwcca_above_mean": (pw_over_mean, labels),
            "pwcca_trained_above_untrained": (pw["trained"].min(0) - pw["init"].max(0), d.layers),
            "pwcca_untrained_above_null": (pw["init"].min(0) - null_hi, d.layers),
            "pwcca_trained_high": (pw["trained"].mean(0), d.layers),
            "learned_gap_grows": (gap[-2] - gap[0], claim_details(d.layers, gap)),
            "learned_gap_first": gap[0],
            "learned_gap_last_hidden": gap[-2],
            "pwcca_side_small": np.ptp(sides, axis=1).max(),
            "pwcca_side_same_conclusion": (sides[:, :, 0] - sides[:, :, 1]).min(),
        },
        layer=layer,
    )


def _methods_claims(d: SeedPairData) -> list[Any]:
    """Chapter 3: how many directions of each hidden layer the networks use."""
    import svcca

    from ..nn import record
    from ._claims import claims_table

    full = float(d.test_accuracy.mean())
    hidden = d.id_layers
    first, deep = hidden[0], hidden[1:]
    ks = list(d.intrinsic_dimensionality(first)[0])

    def kidx(k: int) -> int:
        """Index of the largest computed k not above ``k`` (the first one if none is)."""
        return max(int(np.searchsorted(ks, k, side="right")) - 1, 0)

    def at(layer: str, method: str, k: int) -> float:
        """Mean accuracy over the networks with ``k`` directions of ``method``."""
        return float(d.intrinsic_dimensionality(layer)[1][method][kidx(k)].mean())

    k8 = {L: min(d.width(L) // 8, ks[-1]) for L in hidden}
    pca_short = {L: full - at(L, "pca", k8[L]) for L in hidden}
    svcca_short = {L: full - at(L, "svcca", k8[L]) for L in hidden}
    one_dir = {L: full - at(L, "pca", 1) for L in hidden}
    drop_4_16 = at(first, "pca", 16) - at(first, "pca", 4)
    # random directions: behind in the first hidden layer, caught up in the deeper ones
    random_gap_first = at(first, "pca", 8) - at(first, "random", 8)

    def canonical_lead(L: str) -> float:
        return min(at(L, "cca", k8[L]), at(L, "svcca", k8[L])) - at(L, "random", k8[L])

    lead_deep = {L: max(at(L, "cca", k8[L]), at(L, "svcca", k8[L])) - at(L, "random", k8[L]) for L in deep}
    # the 99%-variance cut against the eighth of the directions that recovers the accuracy
    fit_images, test_set = d.inputs()
    ratio, deeper_lower = [], []
    for s in d.seeds:
        acts = record(d.network(s), fit_images, list(hidden))
        kept = {L: svcca.pca(acts[L].astype(np.float64)).n_components_for(0.99) for L in hidden}
        ratio.append(kept[first] / k8[first])
        deeper_lower.append(kept[first] - kept[hidden[-1]])
    # random neurons against principal directions (exercise)
    net = d.network(d.seeds[0])
    X1 = record(net, fit_images, [first])[first].astype(np.float64)
    select = direction_weights("neurons", X1, rng=np.random.default_rng([d.config.seed, 3]))
    curves1 = d.intrinsic_dimensionality(first)[1]["pca"]
    k_n = int(ks[kidx(8)])
    neurons = projected_accuracy(net, first, *fit_projection(X1, select, k_n), test_set)
    pca_n = float(curves1[kidx(k_n), 0])
    return claims_table(
        "seed_pair.methods.",
        METHODS_CLAIMS,
        {
            "pca_recovers": pca_short,
            "svcca_recovers": svcca_short,
            "one_direction_short": one_dir,
            "four_directions_drop": drop_4_16,
            "random_behind_pca_first": random_gap_first,
            "random_behind_canonical_first": canonical_lead(first),
            "random_catches_up_deeper": lead_deep,
            "variance_cut_conservative": (ratio, d.seeds),
            "deeper_lower_dimensional": (deeper_lower, d.seeds),
            "random_neurons_weak": (
                pca_n - neurons,
                {"random neurons": neurons, "principal directions": pca_n},
            ),
        },
        first=first,
        k_n=k_n,
    ) + _neuron_claims(d, at, k8)


def _neuron_claims(d: SeedPairData, at: Callable[[str, str, int], float], k8: Mapping[str, int]) -> list[Any]:
    """Chapter 3: the SVCCA paper's comparison of top SVCCA directions with single neurons.

    ``at(layer, method, k)`` is the mean accuracy over the networks with ``k`` directions;
    ``k8`` an eighth of each hidden layer's width. Empty when the run has no neuron curves.
    """
    from ._claims import Claim

    families = ("neurons", "top_neurons")
    if not set(families) <= set(d.id_methods):
        return []
    pre = "seed_pair.methods."
    hidden = d.id_layers
    first, deep = hidden[0], hidden[1:]

    def lead(L: str, k: int) -> float:
        """SVCCA's lead over the better of the two neuron baselines with ``k`` kept."""
        return at(L, "svcca", k) - max(at(L, f, k) for f in families)

    k16 = {L: max(1, d.width(L) // 16) for L in hidden}
    lead16 = {L: lead(L, k16[L]) for L in hidden}
    lag8 = {L: -lead(L, k8[L]) for L in deep}
    return [
        Claim(
            pre + "svcca_beats_neurons_first",
            f"in {first}, with an eighth of the directions, the top SVCCA directions recover more "
            "than 0.03 more accuracy than as many single neurons, random or of largest variance",
            lead(first, k8[first]),
            ">",
            0.03,
            {f: at(first, f, k8[first]) for f in ("svcca", *families)},
        ),
        Claim(
            pre + "svcca_beats_neurons_sixteenth",
            "with a sixteenth of the directions, the top SVCCA directions are ahead of both neuron "
            "baselines in every hidden layer (smallest lead)",
            min(lead16.values()),
            ">",
            0.0,
            lead16,
        ),
        Claim(
            pre + "neurons_catch_up_deeper",
            "in the deeper hidden layers, with an eighth of the directions, single neurons are within "
            "0.025 of the top SVCCA directions (largest lag)",
            max(lag8.values()),
            "<",
            0.025,
            lag8,
        ),
    ]


def _significance_claims(d: SeedPairData) -> list[Any]:
    """Chapter 4: baselines, permutation tests, bootstrap intervals and Bartlett's test."""
    import svcca
    from svcca import stats

    from ..figures.methods import BASELINE_MEASURES, baselines, bootstrap_by_layer
    from ._claims import claim_details, claims_table

    seed = d.config.seed
    layer = d.middle_layer
    s0, s1 = d.seeds[:2]
    X, Y = d.acts(layer, s0), d.acts(layer, s1)
    Xi, Yi = d.acts(layer, s0, "init"), d.acts(layer, s1, "init")
    over_chance, trained_lead, perm_lead, spectrum_shift = {}, {}, {}, 0.0
    rows = baselines(d, layer, rng=seed)  # chapter 4's figure draws the same
    for label, m in BASELINE_MEASURES.items():
        shape, spectrum, perm = rows[label]["shape"], rows[label]["spectrum"], rows[label]["permutation"]
        chance = max(
            np.max(shape.null_distribution),
            np.max(spectrum.null_distribution),
            np.max(perm.null_distribution),
        )
        untrained = rows[label]["untrained"]
        over_chance[m] = untrained - chance
        trained_lead[m] = perm.observed - untrained
        perm_lead[m] = perm.observed - np.max(perm.null_distribution)
        if m == "cka":
            spectrum_shift = abs(shape.mean - spectrum.mean)
    boot = bootstrap_by_layer(d, "basic", N_BOOTSTRAP, rng=seed)
    bias = np.array([[b.bias for b in boot[state][:-1]] for state in ("trained", "init")])
    # the percentile interval's lower end: the 2.5% quantile of the same resamples
    miss = max(float(np.quantile(b.bootstrap_distribution, 0.025)) - b.observed for b in boot["trained"])
    tr = np.array([(b.low, b.high) for b in boot["trained"]])
    ut = np.array([(b.low, b.high) for b in boot["init"]])
    across = np.array(
        [[svcca.cca(d.acts(L, a), d.acts(L, b)).similarity for L in d.layers] for a, b in d.pairs()]
    )
    # the spread between networks against the spread from resampling the images: the
    # standard deviation over pairs of seeds against the bootstrap's standard error
    seed_sd = across.std(axis=0, ddof=min(1, len(across) - 1))  # one pair (tiny scale): 0
    ses = np.array([b.standard_error for b in boot["trained"]])
    se = float(ses.max())
    frac = {}
    for name, (U, V) in {"trained": (X, Y), "untrained": (Xi, Yi)}.items():
        res = svcca.cca(U, V)
        n_eff = int(stats.effective_sample_size(U, d.images(layer), V).n_effective)
        frac[name] = stats.bartlett_test(res, n=n_eff).n_significant / res.n_components
    untrained_lead = {
        L: (lambda t: t.observed - np.max(t.null_distribution))(
            stats.permutation_test(
                d.acts(L, s0, "init"),
                d.acts(L, s1, "init"),
                "cka",
                n_resamples=50,
                groups=d.images(L),
                rng=seed,
            )
        )
        for L in d.layers
    }
    return claims_table(
        "seed_pair.significance.",
        SIGNIFICANCE_CLAIMS,
        {
            "untrained_above_chance": over_chance,
            "trained_above_untrained": trained_lead,
            "cka_spectrum_matters": spectrum_shift,
            "permutation_smallest_p": perm_lead,
            "bootstrap_bias_positive": bias.min(),
            "percentile_misses": miss,
            "intervals_separate": (tr[:, 0] - ut[:, 1], d.layers),
            "seeds_wider_than_bootstrap": (
                float(seed_sd.mean() / ses.mean()),
                claim_details(d.layers, seed_sd / ses),
            ),
            "bootstrap_se_small": se,
            "bartlett_most_significant": frac,
            "untrained_cka_significant": untrained_lead,
        },
        layer=layer,
    )


#: The book's claims about the seed pair, one table per chapter: name -> (relation, bound,
#: statement); ``{layer}`` is the middle hidden layer, ``{first}`` the first hidden layer and
#: ``{k_n}`` the number of random neurons compared (see :meth:`SeedPairData.claims`).
CCA_CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    accuracy                            > 0.9   every trained network classifies the test digits with over 90%
                                                accuracy
    untrained_near_chance               < 0.3   the untrained networks are near chance (below 30%)
    few_samples_inflate                 > 0.05  on the 500 plain test images the trained pairs' mean CCA
                                                ({layer}) is more than 0.05 above its value on the shifted
                                                probe (every pair)
    summaries_rank_trained_first        > 0.0   every summary (mean, truncated mean, Yanai's R2, Pillai per
                                                direction) ranks the trained pair above the untrained pair
                                                (smallest gap, every pair)
    pillai_above_chance                 > 5.0   the trained pairs' Pillai trace is more than 5 times its
                                                chance level (every pair)
    untrained_above_permutation         > 0.0   the top 5 correlations of the untrained pair lie above the
                                                permutation null's 97.5% quantile (smallest lead)
    variance_weighted_measures_move     > 0.02  SVCCA, linear CKA and PLS each move by more than 0.02 under
                                                per-neuron scaling or an invertible map (smallest move)
    pwcca_moves_little                  < 0.01  PWCCA moves by less than 0.01 under the same maps
    svcca_keeps_few                     < 0.5   at 99% variance SVCCA keeps fewer than half of the layer's
                                                directions (every pair)
    svcca_keep_trained_above_untrained  > 0.0   every trained pair beats every untrained pair at every kept
                                                variance (smallest gap)
    svcca_depends_on_keep               > 0.1   the trained pairs' mean SVCCA moves by more than 0.1 as the
                                                kept variance varies
    pwcca_above_mean                    > 0.0   PWCCA lies above the plain mean CCA (every pair)
    pwcca_trained_above_untrained       > 0.0   in every layer every trained pair is more similar (PWCCA) than
                                                every untrained pair (smallest gap)
    pwcca_untrained_above_null          > 0.0   in every layer every untrained pair is above the permutation
                                                null's 97.5% quantile (smallest gap)
    pwcca_trained_high                  > 0.8   the trained pairs' mean PWCCA exceeds 0.8 in every layer
    learned_gap_grows                   > 0.1   the learned part of the similarity (trained minus untrained
                                                PWCCA) is larger in the last hidden layer than in the first,
                                                by more than 0.1
    learned_gap_first                   > 0.05  the learned part exceeds 0.05 in the first hidden layer
    learned_gap_last_hidden             > 0.2   the learned part exceeds 0.2 in the last hidden layer
    pwcca_side_small                    < 0.05  the side PWCCA weighs by moves its value by less than 0.05 in
                                                every layer
    pwcca_side_same_conclusion          > 0.0   with every side, the trained pair stays above the untrained
                                                pair in every layer (smallest gap)
    """
)
METHODS_CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    pca_recovers                   < 0.02   in every hidden layer the top eighth of the principal directions
                                            recovers the accuracy to within 0.02 (largest shortfall)
    svcca_recovers                 < 0.025  the SVCCA directions shared with another network recover it to
                                            within 0.025 with as many directions (largest shortfall)
    one_direction_short            > 0.3    one principal direction is far from enough: accuracy more than 0.3
                                            below full in every hidden layer
    four_directions_drop           > 0.1    in {first}, 4 principal directions give more than 0.1 less
                                            accuracy than 16
    random_behind_pca_first        > 0.1    in {first}, random directions fall more than 0.1 behind PCA at
                                            k = 8
    random_behind_canonical_first  > 0.03   in {first}, with an eighth of the directions, random directions
                                            are more than 0.03 behind both CCA and SVCCA
    random_catches_up_deeper       < 0.035  in the deeper hidden layers, with an eighth of the directions,
                                            random directions are within 0.035 of CCA and SVCCA (largest lag)
    variance_cut_conservative      > 4.0    the 99%-variance cut keeps more than 4 times the eighth of
                                            {first}'s directions that recovers the accuracy (every network)
    deeper_lower_dimensional       > 0.0    the 99%-variance cut keeps fewer directions in the last hidden
                                            layer than in the first (every network)
    random_neurons_weak            > 0.1    {k_n} random neurons of {first} recover more than 0.1 less
                                            accuracy than {k_n} principal directions
    """
)
SIGNIFICANCE_CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    untrained_above_chance      > 0.2   for mean CCA, SVCCA and linear CKA the untrained pair is more than 0.2
                                        above every chance level (smallest gap)
    trained_above_untrained     > 0.0   the trained pair is above the untrained pair for every measure
                                        (smallest gap)
    cka_spectrum_matters        > 0.01  for linear CKA the spectrum-matched chance level differs from the
                                        shape-matched one by more than 0.01
    permutation_smallest_p      > 0.0   no shuffle of 100 (whole images) reaches the observed similarity, so p
                                        is the smallest value 100 shuffles allow (smallest lead over the
                                        largest shuffle)
    bootstrap_bias_positive     > 0.0   resampling inflates CCA in every hidden layer, trained or untrained
                                        (smallest bias)
    percentile_misses           > 0.0   in at least one layer the percentile interval lies entirely above the
                                        observed value (largest lead of its lower end)
    intervals_separate          > 0.0   the basic intervals of trained and untrained pairs never overlap
                                        (smallest gap)
    seeds_wider_than_bootstrap  > 1.0   on average over layers the spread over pairs of seeds is larger than
                                        the bootstrap's: their standard deviation over the bootstrap standard
                                        error (ratio of the means)
    bootstrap_se_small          < 0.01  the bootstrap standard error is below 0.01 in every layer
    bartlett_most_significant   > 0.6   Bartlett's test finds more than 60% of the correlations of {layer}
                                        significant, trained and untrained (smallest fraction)
    untrained_cka_significant   > 0.0   the untrained pair's linear CKA beats all 50 shuffles of whole images
                                        in every layer (smallest lead)
    """
)
#: Bootstrap resamples of the book's intervals: enough for the standard error to within 5%
#: (relative error ``1 / sqrt(2 (B - 1))``) and for each end of a 95% interval to sit within
#: about one percentage point of its level (``sqrt(0.025 * 0.975 / B)``); 20 would make the
#: interval the minimum and the maximum of the resamples.
N_BOOTSTRAP = 200


def _grouped_claims(d: SeedPairData) -> list[Any]:
    """Chapter 4: the rows of one image (its 9 shifts) are not independent samples."""
    from svcca import stats

    from ._claims import Claim, claim_details

    pre = "seed_pair.significance."
    layer, (s0, s1) = d.middle_layer, d.seeds[:2]
    ess = {L: stats.effective_sample_size(d.acts(L, s0), d.images(L), d.acts(L, s1)) for L in d.hidden_layers}
    per_neuron = np.array([ess[L].n_effective / d.width(L) for L in d.hidden_layers])
    X, Y = d.acts(layer, s0), d.acts(layer, s1)
    nulls = {
        kind: stats.permutation_test(X, Y, "pwcca", n_resamples=100, groups=g, rng=d.config.seed).null_mean
        for kind, g in (("rows", None), ("images", d.images(layer)))
    }
    return [
        Claim(
            pre + "effective_share_small",
            f"in {layer} the 9 shifts of an image are worth fewer than half as many independent "
            "samples: effective sample size over rows",
            ess[layer].n_effective / ess[layer].n_samples,
            "<",
            0.5,
            {"n_effective": ess[layer].n_effective, "icc": ess[layer].icc},
        ),
        Claim(
            pre + "effective_per_neuron",
            "counting effective samples, not rows, every hidden layer still has more than 8 "
            "samples per neuron (fewest)",
            per_neuron.min(),
            ">",
            8.0,
            claim_details(d.hidden_layers, per_neuron),
        ),
        Claim(
            pre + "grouped_null_higher",
            f"permuting whole images keeps what the shift alone explains: the PWCCA null of {layer} "
            "is more than 0.03 above the null of rows shuffled one by one (difference of means)",
            nulls["images"] - nulls["rows"],
            ">",
            0.03,
            nulls,
        ),
    ]


_CLAIM_BUILDERS = {
    "cca": _cca_claims,
    "methods": _methods_claims,
    "significance": lambda d: _significance_claims(d) + _grouped_claims(d),
}
