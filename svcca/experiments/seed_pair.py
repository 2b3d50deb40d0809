"""Networks trained from different seeds, their untrained twins, and low-rank projections.

The data behind the methods chapters (1, 3 and 4 of the book): a few networks of one
architecture, trained on the same data from different seeds, and the same networks at
initialisation as a baseline. Every layer is recorded over an evaluation set large enough
for CCA, and each hidden layer is replaced by its projection onto its top ``k`` directions
(PCA, SVCCA, CCA or random) to measure how much of the layer the network really uses
(Raghu et al. 2017, "intrinsic dimensionality").

Presets (``SeedPairConfig.for_scale``):

* ``tiny``: two small MLPs on the digits, a few epochs (seconds; tests);
* ``default``: three MLPs 64 -> 3 x 128 -> 10 on scikit-learn's 8x8 digits (embedded, no
  download), evaluated on the 500 test images under every one-pixel shift (n = 4500);
* ``full``: three conv nets (Tiny-10 at twice the width) on CIFAR-10, conv layers with
  spatial positions as datapoints; runs only when CIFAR-10 is in the data folder.

The result holds arrays only (it is cached as ``.npz``); :func:`unpack` gives named access::

    from svcca.experiments import run_or_load
    from svcca.experiments.seed_pair import SeedPairConfig, unpack

    data = unpack(run_or_load(SeedPairConfig.for_scale("default")))
    X, Y = data.acts("fc2", seed=0), data.acts("fc2", seed=1)        # (4500, 128) each
    X0, Y0 = data.acts("fc2", seed=0, state="init"), data.acts("fc2", seed=1, state="init")
    ks, curves = data.intrinsic_dimensionality("fc2")               # method -> (n_ks, n_seeds)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ._cache import ExperimentConfig, ExperimentResult

__all__ = [
    "METHODS",
    "SeedPairConfig",
    "SeedPairData",
    "direction_weights",
    "fit_projection",
    "projected_accuracy",
    "unpack",
]

#: Direction families a layer can be projected onto.
METHODS = ("pca", "svcca", "cca", "random")

_SEP = "__"


@dataclass(frozen=True)
class SeedPairConfig(ExperimentConfig):
    """Train networks from several seeds; record every layer, trained and untrained.

    Parameters
    ----------
    dataset : {"digits", "cifar10"}, default "digits"
    image_size : int, default 8
        Side of the digits images (16 or 32 upsample; ignored for CIFAR-10).
    model : {"mlp", "conv"}, default "mlp"
    hidden : tuple of int, default (128, 128, 128)
        Hidden widths of the MLP.
    arch : str, default "six"
        Conv architecture (a name in :data:`svcca.nn.models.CONV_ARCHITECTURES`).
    width : float, default 1.0
        Channel multiplier of the conv net.
    seeds : tuple of int, default (0, 1, 2)
        One network per seed (initialisation and data order); at least two.
    epochs, batch_size, lr : training settings (Adam).
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
    methods : tuple of str, default ("pca", "svcca", "cca", "random")
        Direction families (:data:`METHODS`).
    keep : float, default 0.99
        Variance SVCCA keeps before its CCA.
    fit_shift : int, default 1
        Directions are fitted on the *training* images under every shift of up to this many
        pixels (never on the test set the accuracy is measured on).
    n_fit : int or None, default None
        Use only the first ``n_fit`` training images for fitting (None: all).
    seed : int, default 0
        Seeds the random directions and the choice of conv positions.
    device : str, default "cpu"
        Not part of the cache key.
    data_root : str or None
        Folder holding CIFAR-10 (default: :func:`svcca.nn.data.data_dir`); not part of the key.
    num_threads : int or None, default 1
        Limit torch and BLAS (threadpoolctl) to this many threads while the experiment
        runs (restored afterwards); None leaves them as they are. Networks and layers this
        small gain nothing from more threads, and on a busy machine several threads per
        process slow the run down by an order of magnitude. Not part of the key.
    """

    experiment: ClassVar[str] = "seed_pair"
    schema_version: ClassVar[int] = 1

    dataset: str = "digits"
    image_size: int = 8
    model: str = "mlp"
    hidden: tuple[int, ...] = (128, 128, 128)
    arch: str = "six"
    width: float = 1.0
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
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
    device: str = field(default="cpu", compare=False)
    data_root: str | None = field(default=None, compare=False)
    num_threads: int | None = field(default=1, compare=False)

    def __post_init__(self) -> None:
        if self.dataset not in ("digits", "cifar10"):
            raise ValueError(f"dataset must be one of 'digits', 'cifar10'; got {self.dataset!r}")
        if self.model not in ("mlp", "conv"):
            raise ValueError(f"model must be one of 'mlp', 'conv'; got {self.model!r}")
        if len(self.seeds) < 2 or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must hold at least two distinct seeds; got {self.seeds!r}")
        bad = [m for m in self.methods if m not in METHODS]
        if bad or not self.methods:
            raise ValueError(f"methods must be a non-empty subset of {METHODS}; got {self.methods!r}")
        if not self.ks or any(int(k) < 1 for k in self.ks) or list(self.ks) != sorted(set(self.ks)):
            raise ValueError(f"ks must be increasing positive ints; got {self.ks!r}")

    # ---- presets ---------------------------------------------------------------------
    @classmethod
    def preset_tiny(cls) -> SeedPairConfig:
        """Two 2 x 32 MLPs, 3 epochs, 900-row probe: seconds."""
        return cls(hidden=(32, 32), seeds=(0, 1), epochs=3, n_eval=100, n_fit=200, ks=(1, 4, 16, 32))

    @classmethod
    def preset_default(cls) -> SeedPairConfig:
        """Three 3 x 128 MLPs on the 8x8 digits, evaluated on 4500 shifted test images."""
        return cls()

    @classmethod
    def preset_full(cls) -> SeedPairConfig:
        """Three Tiny-10 conv nets (width 2) on CIFAR-10, positions as datapoints (GPU)."""
        return cls(
            dataset="cifar10",
            model="conv",
            arch="tiny10",
            width=2.0,
            epochs=30,
            augment_shift=2,
            probe_shift=0,
            n_eval=2000,
            positions_per_image=25,
            n_fit=5000,
            fit_shift=0,
            ks=(1, 2, 4, 8, 16, 32, 64, 128),
            device="cuda",
            num_threads=None,
        )

    # ---- the experiment --------------------------------------------------------------
    def run(self, progress: bool = False) -> dict[str, np.ndarray]:
        """Train, record and project; see :func:`unpack` for the arrays returned."""
        with _limit_threads(self.num_threads):
            return self._run(progress)

    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        from ..nn import evaluate, train
        from ..nn.data import RandomShift

        data = _load_data(self)
        eval_x, eval_y, eval_shift, eval_image = _eval_inputs(self, data)
        test = _first(data.test, self.n_eval)
        fit_x = _fit_inputs(self, data)

        out: dict[str, np.ndarray] = {}
        nets = {}
        test_acc, init_acc = [], []
        augment = None
        if self.augment_shift:
            fill = 0.0 if data.background is None else data.background
            augment = RandomShift(self.augment_shift, fill=fill)
        for seed in self.seeds:
            init = _build(self, data, seed).to(self.device)
            init_acc.append(evaluate(init, test, device=self.device)[1])
            net = _build(self, data, seed).to(self.device)
            train(
                net,
                data.train,
                epochs=self.epochs,
                batch_size=self.batch_size,
                lr=self.lr,
                seed=seed,
                augment=augment,
                device=self.device,
                eval_train=False,
                deterministic=self.device == "cpu",
                progress=progress,
            )
            test_acc.append(evaluate(net, test, device=self.device)[1])
            nets[seed] = net
            for state, model in (("trained", net), ("init", init)):
                acts, rows = _collect(model, eval_x, self, tag=0)
                for layer, a in acts.items():
                    out[_key(state, seed, layer)] = a
            for name, t in net.state_dict().items():
                out[_key("weights", seed, name)] = t.detach().cpu().numpy()
        layers = tuple(acts)
        for layer in layers:
            out[_SEP.join(("rows", layer))] = rows[layer]
        out["layers"] = np.array(layers)
        out["layer_widths"] = np.array(
            [out[_key("trained", self.seeds[0], layer)].shape[1] for layer in layers]
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


@contextlib.contextmanager
def _limit_threads(n: int | None) -> Iterator[None]:
    """Limit torch's intra-op threads and the BLAS pools to ``n`` inside the block (None: no change)."""
    if n is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        with threadpool_limits(limits=int(n)):
            yield
    finally:
        torch.set_num_threads(previous)


def _key(*parts: Any) -> str:
    a, seed, rest = parts
    return _SEP.join((a, f"s{int(seed)}", rest))


def _load_data(cfg: SeedPairConfig) -> Any:
    from ..nn.data import load_cifar10, load_digits

    if cfg.dataset == "digits":
        return load_digits(image_size=cfg.image_size)
    return load_cifar10(cfg.data_root)


def _tensors(ds: Any) -> tuple[Any, Any]:
    from torch.utils.data import TensorDataset

    if isinstance(ds, TensorDataset):
        return ds.tensors[0], ds.tensors[1]
    import torch

    return ds.get_batch(torch.arange(len(ds)))


def _first(ds: Any, n: int | None) -> Any:
    """The first ``n`` items of a dataset (all when None)."""
    if n is None or n >= len(ds):
        return ds
    from torch.utils.data import TensorDataset

    x, y = _tensors(ds)
    return TensorDataset(x[:n], y[:n])


def _eval_inputs(cfg: SeedPairConfig, data: Any) -> tuple[Any, Any, Any, Any]:
    """Evaluation images (the first ``n_eval`` test images under every shift of up to
    ``probe_shift`` pixels, shift-major), their labels, shifts and test-image indices."""
    import torch

    n_all = len(data.test)
    n_test = n_all if cfg.n_eval is None else min(cfg.n_eval, n_all)
    if not cfg.probe_shift:
        x, y = _tensors(_first(data.test, cfg.n_eval))
        return x, y, torch.zeros(len(x), 2, dtype=torch.long), torch.arange(len(x))
    x, y, s = data.probe(cfg.probe_shift, split="test").tensors
    rows = torch.cat([torch.arange(n_test) + k * n_all for k in range(len(x) // n_all)])
    return x[rows], y[rows], s[rows], rows % n_all


def _fit_inputs(cfg: SeedPairConfig, data: Any) -> Any:
    """Images the projection directions are fitted on: the first ``n_fit`` training images
    under every shift of up to ``fit_shift`` pixels (never test images)."""
    import torch

    fit_data = _first(data.train, cfg.n_fit)
    if not cfg.fit_shift:
        return _tensors(fit_data)[0]
    x = data.probe(cfg.fit_shift, split="train").tensors[0]
    n_tr, n_all = len(fit_data), len(data.train)
    return torch.cat([x[k * n_all : k * n_all + n_tr] for k in range(len(x) // n_all)])


def _build(cfg: SeedPairConfig, data: Any, seed: int) -> Any:
    from ..nn.models import MLP, ConvNet

    c, h, w = data.input_shape
    if cfg.model == "mlp":
        return MLP(c * h * w, cfg.hidden, data.n_classes, seed=seed)
    return ConvNet(cfg.arch, c, data.n_classes, width=cfg.width, seed=seed)


class _Sink:
    """Collect a model's layers batch by batch, sampling fixed spatial positions of conv
    layers (the same positions for every network, chosen from ``seed`` and the layer)."""

    def __init__(self, n_images: int, per_image: int | None, seed: int) -> None:
        self.n, self.per_image, self.seed = n_images, per_image, seed
        self.chunks: dict[str, list[np.ndarray]] = {}
        self.row_chunks: dict[str, list[np.ndarray]] = {}
        self.choice: dict[str, np.ndarray] = {}
        self.offset: dict[str, int] = {}

    def update(self, batch: Mapping[str, Any]) -> None:
        for li, (name, t) in enumerate(batch.items()):
            a = t.detach().cpu().numpy().astype(np.float32, copy=False)
            start = self.offset.get(name, 0)
            b = a.shape[0]
            images = np.arange(start, start + b)
            if a.ndim == 4:  # (b, h, w, c): positions as datapoints
                hw = a.shape[1] * a.shape[2]
                flat = a.reshape(b, hw, a.shape[3])
                m = hw if self.per_image is None else min(self.per_image, hw)
                if name not in self.choice:
                    rng = np.random.default_rng([self.seed, li])
                    self.choice[name] = np.argsort(rng.random((self.n, hw)), axis=1)[:, :m]
                pos = self.choice[name][start : start + b]
                a = np.take_along_axis(flat, pos[:, :, None], axis=1).reshape(b * m, -1)
                images = np.repeat(images, m)
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
    method : {"pca", "svcca", "cca", "random"}
        ``"pca"``: principal directions by variance; ``"svcca"``/``"cca"``: canonical
        directions of ``X`` against ``Y`` (the same layer of another network), by
        correlation, after (SVCCA) or without an SVD reduction; ``"random"``: Gaussian
        random directions.
    X : array of shape (n_samples, n_features)
        The layer's activations on the fitting data.
    Y : array of shape (n_samples, n_features_y), optional
        The partner layer (for ``"svcca"`` and ``"cca"``).
    keep : float, default 0.99
        SVCCA's kept variance.
    rng : None, int or numpy.random.Generator
        For ``"random"``.

    Returns
    -------
    numpy.ndarray of shape (n_features, n_directions)
        ``n_directions`` is the number the method provides (the rank for PCA and CCA,
        ``min(x_dims, y_dims)`` for SVCCA, ``n_features`` for random).

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.seed_pair import direction_weights
    >>> X = np.random.default_rng(0).standard_normal((200, 5)) * [5.0, 1, 1, 1, 1]
    >>> W = direction_weights("pca", X)
    >>> W.shape, int(np.argmax(np.abs(W[:, 0])))
    ((5, 5), 0)
    """
    import svcca

    from .._validation import check_option, check_rng

    check_option(method, "method", METHODS)
    X = np.asarray(X, dtype=np.float64)
    if method == "pca":
        return np.asarray(svcca.pca(X).components).T
    if method == "random":
        return check_rng(rng).standard_normal((X.shape[1], X.shape[1]))
    if Y is None:
        raise ValueError(f"method={method!r} needs the partner layer Y; got Y=None")
    Y = np.asarray(Y, dtype=np.float64)
    res = svcca.svcca(X, Y, keep=keep, warn=False) if method == "svcca" else svcca.cca(X, Y, warn=False)
    return np.asarray(res.x_weights)


def fit_projection(X: np.ndarray, W: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The best linear reconstruction of a layer from its first ``k`` direction scores.

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
    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    k = max(1, min(int(k), W.shape[1]))
    mean = X.mean(0)
    Xc = X - mean
    H = Xc @ W[:, :k]
    B = np.linalg.lstsq(H, Xc, rcond=None)[0]
    return mean, W[:, :k] @ B


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
    unknown = [name for name in proj if name not in layers]
    if unknown:
        raise ValueError(f"project_layers {unknown} are not layers of the model; layers: {list(layers)}")
    seeds = list(cfg.seeds)
    fit = {s: _collect(nets[s], fit_x, cfg, tag=1, layers=proj)[0] for s in seeds}
    acc = np.full((len(proj), len(cfg.methods), len(cfg.ks), len(seeds)), np.nan)
    dims = np.zeros((len(proj), len(cfg.methods), len(seeds)), dtype=np.int64)
    for li, layer in enumerate(proj):
        for si, s in enumerate(seeds):
            partner = seeds[(si + 1) % len(seeds)]
            X = fit[s][layer].astype(np.float64)
            Y = fit[partner][layer].astype(np.float64)
            for mi, method in enumerate(cfg.methods):
                rng = np.random.default_rng([cfg.seed, li, si])
                W = direction_weights(method, X, Y, keep=cfg.keep, rng=rng)
                dims[li, mi, si] = W.shape[1]
                for ki, k in enumerate(cfg.ks):
                    mean, P = fit_projection(X, W, k)
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
class SeedPairData:
    """Named access to a seed-pair result (see :func:`unpack`).

    Attributes
    ----------
    config : SeedPairConfig
    arrays : dict of str -> numpy.ndarray
    layers : tuple of str
        Recorded layers, input side first (the last is the logits).
    seeds : tuple of int
    test_accuracy, init_accuracy : numpy.ndarray of shape (n_seeds,)
        Test accuracy of each trained network and of its untrained twin.
    labels : numpy.ndarray of shape (n_eval,)
        Class of each evaluation image (one row per image for dense layers).
    shifts : numpy.ndarray of shape (n_eval, 2)
        The ``(dy, dx)`` shift of each evaluation image.
    n_classes : int
    """

    config: Any
    arrays: Mapping[str, np.ndarray]
    layers: tuple[str, ...]
    seeds: tuple[int, ...]
    test_accuracy: np.ndarray
    init_accuracy: np.ndarray
    labels: np.ndarray
    shifts: np.ndarray
    n_classes: int

    @property
    def chance(self) -> float:
        """Chance accuracy, ``1 / n_classes``."""
        return 1.0 / self.n_classes

    def acts(self, layer: str, seed: int | None = None, state: str = "trained") -> np.ndarray:
        """Activations of ``layer`` of the network ``seed`` (default the first), samples first.

        ``state`` is ``"trained"`` or ``"init"`` (the same network before training). Dense
        layers have one row per evaluation image; conv layers one row per sampled position
        (:meth:`rows` gives each row's image). float64.
        """
        if state not in ("trained", "init"):
            raise ValueError(f"state must be one of 'trained', 'init'; got {state!r}")
        seed = self.seeds[0] if seed is None else int(seed)
        key = _key(state, seed, layer)
        if key not in self.arrays:
            raise KeyError(
                f"no activations for layer={layer!r}, seed={seed}; layers {self.layers}, seeds {self.seeds}"
            )
        return np.asarray(self.arrays[key], dtype=np.float64)

    def rows(self, layer: str) -> np.ndarray:
        """Index of the evaluation image of each row of ``layer``'s activations."""
        return np.asarray(self.arrays[_SEP.join(("rows", layer))])

    def unshifted(self, layer: str) -> np.ndarray:
        """Boolean mask of ``layer``'s rows that come from unshifted images (the plain test set)."""
        return np.all(self.shifts[self.rows(layer)] == 0, axis=1)

    def width(self, layer: str) -> int:
        """Number of units (channels) of ``layer``."""
        return int(self.arrays[_key("trained", self.seeds[0], layer)].shape[1])

    def pairs(self) -> list[tuple[int, int]]:
        """Every pair of distinct seeds, in order."""
        s = self.seeds
        return [(s[i], s[j]) for i in range(len(s)) for j in range(i + 1, len(s))]

    def network(self, seed: int | None = None, state: str = "trained") -> Any:
        """Rebuild the network ``seed`` (trained weights, or its initialisation), in eval mode."""
        import torch

        seed = self.seeds[0] if seed is None else int(seed)
        cfg = self.config
        data = _load_data(cfg)
        net = _build(cfg, data, seed)
        if state == "trained":
            prefix = _SEP.join(("weights", f"s{seed}", ""))
            sd = {
                k[len(prefix) :]: torch.from_numpy(np.array(v))
                for k, v in self.arrays.items()
                if k.startswith(prefix)
            }
            net.load_state_dict(sd)
        elif state != "init":
            raise ValueError(f"state must be one of 'trained', 'init'; got {state!r}")
        return net.eval()

    def inputs(self) -> tuple[Any, Any]:
        """``(fit_images, test_set)``: the training images the projection directions were
        fitted on (a tensor) and the test set the accuracies were measured on (a dataset)."""
        cfg = self.config
        data = _load_data(cfg)
        return _fit_inputs(cfg, data), _first(data.test, cfg.n_eval)

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

    def id_dims(self, layer: str) -> dict[str, np.ndarray]:
        """Number of directions each method provides for ``layer``, per seed."""
        li = self.id_layers.index(layer)
        d = self.arrays["id_dims"][li]
        return {m: d[i] for i, m in enumerate(self.id_methods)}


def unpack(result: ExperimentResult | Mapping[str, np.ndarray], config: Any = None) -> SeedPairData:
    """Named access to the arrays of a seed-pair run.

    Parameters
    ----------
    result : ExperimentResult or dict of arrays
        What ``run_or_load(SeedPairConfig(...))`` returned (or its ``arrays``).
    config : SeedPairConfig, optional
        Needed only with a bare dict (for :meth:`SeedPairData.network`).

    Returns
    -------
    SeedPairData
    """
    arrays = result.arrays if isinstance(result, ExperimentResult) else result
    cfg = result.config if isinstance(result, ExperimentResult) else config
    return SeedPairData(
        config=cfg if cfg is not None else SeedPairConfig(),
        arrays=arrays,
        layers=tuple(str(v) for v in arrays["layers"]),
        seeds=tuple(int(v) for v in arrays["seeds"]),
        test_accuracy=np.asarray(arrays["test_accuracy"]),
        init_accuracy=np.asarray(arrays["init_accuracy"]),
        labels=np.asarray(arrays["eval_labels"]),
        shifts=np.asarray(arrays["eval_shifts"]),
        n_classes=int(arrays["n_classes"]),
    )
