"""Which layer knows which class: class sensitivity through depth (Raghu et al. 2017).

Raghu et al. (2017) used CCA between a layer's representation and one class's logit (a
one-dimensional "representation") to ask *where in a network* each class becomes readable.
For a pretrained ResNet on ImageNet they found that the fire engine ("firetruck") logit is
matched by shallow layers already, while the dog breeds (two huskies, two terriers) are
matched only in deep layers. With a one-dimensional target, CCA has a single canonical
correlation: the multiple correlation between the target and its best linear prediction
from the layer.

This module measures that correlation for every layer and every class, and stores what a
picture version of the original release's interpretability figure needs (the release
plotted activation traces over class-sorted images): the images that most strongly drive a
layer's top canonical directions (CCA between the layer and all class logits) beside those
that most strongly drive its most active single neurons.

How each number is made (the pilot study found each choice necessary on the digits):

* every layer is **flattened** (``(n, height * width * channels)``; global pooling hides the
  effect) and reduced to its top SVD directions (99% of the variance, at most 64 of them,
  :func:`reduce_layer`), so that CCA is not degenerate on a few hundred images;
* the correlation is **cross-validated** (:func:`cv_correlation`: a ridge regression fitted
  on one half of the images, the correlation read on the other half, both ways). In-sample
  CCA is inflated by fitting noise and compresses the differences between classes; both
  are stored;
* the raw **pixels** are a layer too (``"input"``, depth 0): how linearly readable each
  class's logit is from the image itself, the baseline that explains which classes the
  network "knows" early.

The images figure compares four rankings (:data:`KINDS`): canonical directions fitted to
the class logits, the most active neurons, the label-free SVCCA directions between two
networks' layers (the original release's comparison), and the single neuron closest to
each logit direction. Fitted directions against unfitted neurons builds part of the purity
gap in; the two fair comparisons are SVCCA directions against neurons (no labels) and
fitted directions against their closest neurons (labels for both).

Claims (:meth:`ClassSensitivityConfig.claims`, names ``class_sensitivity.*``, checked by
chapter 7 and by ``svcca claims``) are effects over the seeds, never one network's layer:
the rank correlation of the pixel baseline with the first decodable layer (seed-averaged
and per network), how much later the three least pixel-readable classes become decodable
than the three most readable, the spread of depths, the in-sample inflation, the
one-hot and stricter-threshold variants, and the purity gaps of the fair comparisons.
Raghu et al.'s second observation, that visually similar classes have similar curves, is
tested over all pairs of classes against a permutation null over classes
(:func:`mantel_test`, :meth:`ClassSensitivityData.similar_classes_test`): curve similarity
against the similarity of the class-mean images, against how much the networks confuse
the classes, and, as the control, against the closeness of the pixel baselines; its claims
(:meth:`ClassSensitivityData.similar_classes_claims`) state what holds on the digits: not
the observation, but curves that follow the pixel baselines.

Presets (``ClassSensitivityConfig.for_scale``):

* ``tiny``: two half-width ResNet-8s on the native 8x8 digits, one epoch, 200 test images
  (seconds; tests);
* ``default``: three ResNet-14s (:class:`svcca.nn.SmallResNet`, two basic blocks per stage,
  widths 8/16/32) trained from different seeds on scikit-learn's digits upsampled to 16x16
  (embedded, no download), every layer flattened over the 500 test images;
* ``full``: torchvision's pretrained ResNet-50 on the ImageNet validation images of the
  classes standing in for the SVCCA paper's (:data:`svcca.nn.data.IMAGENET_SUBSET`: fire
  engine, Siberian husky, Eskimo dog, and two terriers, Border and Australian, where the
  released figure names its two only as "s_terrier" and "w_terrier"), every block
  average-pooled to 7x7 and flattened; ``device="auto"`` (the GPU when there is one; 250
  images through ResNet-50 also take a few minutes on a CPU). Runs only when the subset
  has been extracted with ``data_scripts/prepare_imagenet_subset.py`` and the weights are
  in torchvision's cache.

The result holds arrays only; :func:`unpack` gives named access::

    from svcca.experiments import run_or_load
    from svcca.experiments.class_sensitivity import ClassSensitivityConfig, unpack

    data = unpack(run_or_load(ClassSensitivityConfig.for_scale("default")))
    data.mean_similarity()            # (n_layers, n_classes): CV correlation with each logit
    data.first_layer()                # (n_seeds, n_classes): first layer reaching the threshold
    data.pixel_baseline()             # (n_classes,): the same correlation from the raw pixels
    data.top_images("stage2.0", "direction")   # image indices driving the top CCA directions

References
----------
M. Raghu, J. Gilmer, J. Yosinski, J. Sohl-Dickstein. SVCCA: Singular Vector Canonical
Correlation Analysis for Deep Learning Dynamics and Interpretability. NeurIPS 2017
(arXiv:1706.05806), "Interpreting representations: when are classes learned?".
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np

from .._validation import check_fraction, check_int, check_option
from ._cache import ExperimentData, ExperimentResult, stored
from ._claims import Claim, claim_details, claim_specs, claims_table
from ._toolbox import TrainingConfig, check_seeds

__all__ = [
    "KINDS",
    "TARGETS",
    "ClassSensitivityConfig",
    "ClassSensitivityData",
    "cv_correlation",
    "insample_correlation",
    "mantel_test",
    "reduce_layer",
    "unpack",
]

#: What each layer is correlated with: a class's logit, or its one-hot label (0/1).
TARGETS = ("logit", "onehot")

_MODELS = ("resnet_small", "resnet18", "resnet50")
#: What the interpretability figure ranks images by: canonical directions fitted to the class
#: logits ("direction"), the most active single neurons ("neuron"), the top SVCCA directions
#: between this network's layer and the same layer of another seed ("svcca", no labels
#: involved), and for each "direction" the single neuron closest to it ("matched").
KINDS = ("direction", "neuron", "svcca", "matched")


@dataclass(frozen=True)
class ClassSensitivityConfig(TrainingConfig):
    """Correlate every layer of a ResNet with every class's logit, through depth.

    Parameters
    ----------
    dataset : {"digits", "imagenet"}, default "digits"
        ``"imagenet"`` reads the ImageNet class subset of the SVCCA paper
        (:func:`svcca.nn.data.load_imagenet_subset`).
    image_size : int, default 16
        Side of the images (digits: 8 is native, 16 upsamples; ImageNet: the centre crop).
    epochs, batch_size, lr, device, data_root, verify_data, num_threads
        See :class:`~svcca.experiments.TrainingConfig`; here ``batch_size=64``,
        and ``epochs=0`` trains nothing (a pretrained network is analysed as it is).
        ``device="cuda"`` trains and records on the GPU, ``"auto"`` picks it when there is
        one; ``data_root`` is, for ImageNet, the data folder holding ``imagenet_subset/``
        or the subset's folder itself, with one subfolder per WordNet id (default
        ``data_dir() / "imagenet_subset"``).
    resize : int or None, default None
        ImageNet only: resize the shorter side to this before cropping (None: 256/224 of
        ``image_size``, torchvision's recipe).
    model : {"resnet_small", "resnet18", "resnet50"}, default "resnet_small"
        :class:`svcca.nn.SmallResNet` (trained here) or a torchvision ResNet.
    blocks : int, default 2
        Basic blocks per stage of the small ResNet (2 is ResNet-14: 8 layers including the
        pixels).
    widths : (int, int, int), default (8, 16, 32)
        Channels of the small ResNet's three stages.
    weights : str or None, default None
        Pretrained torchvision weights (e.g. ``"IMAGENET1K_V1"``); None is random
        initialisation. Only for the torchvision models.
    seeds : tuple of int, default (0, 1, 2)
        One network per seed (initialisation and data order of training).
    augment_shift : int, default 0
        Random shifts of up to this many pixels during training.
    n_eval : int or None, default None
        Digits: use the first ``n_eval`` test images (None: all 500).
    n_per_class : int or None, default None
        ImageNet: use at most this many images per class (None: all).
    pool : int or None, default None
        None flattens every layer as it is; ``k`` first average-pools each map (the pixels
        included) to ``k x k`` (for large images, where a flattened layer would not fit in
        memory).
    keep : float, default 0.99
        Fraction of a layer's variance its SVD directions keep.
    max_dims : int, default 64
        At most this many SVD directions per layer.
    folds : int, default 2
        Folds of the cross-validated correlation.
    ridge : float, default 1e-3
        Ridge penalty of the cross-validated regression, relative to the mean eigenvalue of
        the training fold's covariance.
    threshold : float, default 0.9
        A class is "decodable" at the first layer whose cross-validated correlation with its
        logit reaches this (:meth:`ClassSensitivityData.first_layer`).
    n_directions : int, default 3
        Canonical directions (and most active neurons) per layer in the images figure.
    n_images : int, default 8
        Images per direction or neuron.
    thumb_size : int, default 64
        ImageNet: side of the stored thumbnails (digits are stored at ``image_size``).
    seed : int, default 0
        Seed of the digits train/test split and of the cross-validation folds.
    allow_download : bool, default False
        Let torchvision download missing pretrained weights (needs internet). Not part of
        the cache key.
    """

    experiment: ClassVar[str] = "class_sensitivity"
    schema_version: ClassVar[int] = 3
    datasets: ClassVar[tuple[str, ...]] = ("digits", "imagenet")
    min_epochs: ClassVar[int] = 0

    image_size: int = 16
    resize: int | None = None
    model: str = "resnet_small"
    blocks: int = 2
    widths: tuple[int, int, int] = (8, 16, 32)
    weights: str | None = None
    seeds: tuple[int, ...] = (0, 1, 2)
    batch_size: int = 64
    augment_shift: int = 0
    n_eval: int | None = None
    n_per_class: int | None = None
    pool: int | None = None
    keep: float = 0.99
    max_dims: int = 64
    folds: int = 2
    ridge: float = 1e-3
    threshold: float = 0.9
    n_directions: int = 3
    n_images: int = 8
    thumb_size: int = 64
    seed: int = 0
    allow_download: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        """Check the fields."""
        super().__post_init__()
        check_option(self.model, "model", _MODELS)
        if self.weights is not None and self.model == "resnet_small":
            raise ValueError(
                f"weights apply to the torchvision models only; got weights={self.weights!r} "
                "with model='resnet_small'"
            )
        check_seeds(self.seeds)
        if self.dataset == "imagenet":  # refused here, not after every image is loaded
            if self.model == "resnet_small":
                raise ValueError(
                    "dataset='imagenet' reads the logits of ImageNet's 1000 classes: model must be a "
                    f"torchvision ResNet ('resnet18' or 'resnet50'); got model={self.model!r}"
                )
            if self.epochs != 0:
                raise ValueError(
                    "dataset='imagenet' analyses a network as it is (training is done on the digits "
                    f"only): epochs must be 0; got epochs={self.epochs!r}"
                )
        for name in ("blocks", "max_dims", "n_directions", "n_images", "thumb_size"):
            check_int(getattr(self, name), name)
        check_int(self.folds, "folds", minimum=2)
        for name in ("pool", "n_eval", "n_per_class", "resize"):
            check_int(getattr(self, name), name, allow_none=True)
        # the fields of one dataset only: given for the other, they were ignored under a key of their own
        for name, dataset in (("n_eval", "digits"), ("n_per_class", "imagenet"), ("resize", "imagenet")):
            value = getattr(self, name)
            if value is not None and self.dataset != dataset:
                raise ValueError(
                    f"{name} is for dataset={dataset!r} only (None otherwise); got {name}={value!r} "
                    f"with dataset={self.dataset!r}"
                )
        n_eval = 500 if self.n_eval is None else min(500, self.n_eval)
        if self.dataset == "digits" and n_eval < 2 * self.folds:  # failed only after training
            raise ValueError(
                f"n_eval must give every one of the {self.folds} folds at least 2 images (n_eval >= "
                f"{2 * self.folds}); got n_eval={self.n_eval}, folds={self.folds}"
            )
        if self.resize is not None and self.resize < self.image_size:
            raise ValueError(
                f"resize must be at least image_size (the centre crop is taken after resizing); "
                f"got resize={self.resize}, image_size={self.image_size}"
            )
        check_fraction(self.keep, "keep")  # the int 1: the same run as 1.0 under a key of its own
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1); got {self.threshold!r}")
        if not self.ridge >= 0.0:
            raise ValueError(f"ridge must be >= 0; got {self.ridge!r}")
        if len(self.widths) != 3:
            raise ValueError(f"widths must hold three stage widths; got {self.widths!r}")
        for w in self.widths:
            check_int(w, "each of widths")

    # ---- presets (``default`` is the fields' defaults) -------------------------------
    @classmethod
    def preset_tiny(cls) -> ClassSensitivityConfig:
        """Two half-width ResNet-8s on the 8x8 digits, one epoch, 200 test images: seconds."""
        return cls(
            image_size=8, blocks=1, widths=(4, 8, 8), seeds=(0, 1), epochs=1,
            n_eval=200, max_dims=16, n_images=4,
        )  # fmt: skip

    @classmethod
    def preset_full(cls) -> ClassSensitivityConfig:
        """Pretrained torchvision ResNet-50 on the ImageNet subset of the SVCCA paper (GPU), pooled to 7x7."""
        return cls(
            dataset="imagenet",
            image_size=224,
            model="resnet50",
            weights="IMAGENET1K_V1",
            seeds=(0,),
            epochs=0,
            pool=7,
            device="auto",
        )

    def describe(self) -> str:
        """One line saying what ran on which data (for the book and reports).

        Examples
        --------
        >>> from svcca.experiments.class_sensitivity import ClassSensitivityConfig
        >>> text = ClassSensitivityConfig.for_scale("default").describe()
        >>> print(text[:72])
        3 x ResNet-14 (widths 8/16/32), trained 10 epochs on digits 16x16 (500 t
        """
        if self.model == "resnet_small":
            net = f"ResNet-{6 * self.blocks + 2} (widths {'/'.join(map(str, self.widths))})"
        else:
            net = f"torchvision {self.model} ({self.weights or 'random weights'})"
        nets = f"{len(self.seeds)} x {net}" if len(self.seeds) > 1 else net
        if self.dataset == "digits":
            n = 500 if self.n_eval is None else min(500, self.n_eval)
            data = f"digits {self.image_size}x{self.image_size} ({n} test images)"
        else:
            per = "all" if self.n_per_class is None else f"<= {self.n_per_class}"
            size = f"{self.image_size}px"
            data = f"the ImageNet subset of Raghu et al. ({per} validation images per class, {size})"
        trained = f", trained {self.epochs} epochs on " if self.epochs else " on "
        layer = "flattened" if self.pool is None else f"pooled to {self.pool}x{self.pool} and flattened"
        return (
            f"{nets}{trained}{data}; layers {layer}, SVD to {self.keep:.0%} / <= {self.max_dims} dims, "
            f"{self.folds}-fold CV correlation (ridge {self.ridge:g})"
        )

    def _compute_claims(self, result: ExperimentResult) -> list[Claim]:
        """Return the data's claims, then its claims about similar classes (the default scale's).

        :meth:`~ClassSensitivityData.claims`, then
        :meth:`~ClassSensitivityData.similar_classes_claims`.
        """
        return [*super()._compute_claims(result), *self.unpack(result).similar_classes_claims()]

    def model_spec(self, data: Any) -> tuple[str, dict[str, Any]]:
        """Specify the small ResNet over ``data``'s input shape and classes, or a torchvision ResNet."""
        if self.model == "resnet_small":
            return super().model_spec(data)
        return self.model, {"weights": self.weights, "allow_download": self.allow_download}

    # ---- the experiment --------------------------------------------------------------
    def _run(self, progress: bool) -> dict[str, np.ndarray]:
        """Train (or load) the networks, record every layer, and correlate it with each class.

        Returns the arrays described in :func:`unpack`.
        """
        import torch.nn.functional as F

        from ..nn import record

        x, labels, classes, class_index, thumbs, data = _load_eval(self)
        n, n_classes = len(labels), len(classes)
        onehot = (labels[:, None] == np.arange(n_classes)[None, :]).astype(np.float64)
        pixels = F.adaptive_avg_pool2d(x, self.pool) if self.pool is not None else x
        pixels_np = pixels.reshape(n, -1).numpy().astype(np.float64)

        S, D, K = len(self.seeds), self.n_directions, self.n_images
        layers: tuple[str, ...] = ()
        out: dict[str, Any] = {}
        accuracy: list[float] = []
        confusion: list[np.ndarray] = []
        for si, seed in enumerate(self.seeds):
            net = _network(self, seed, data, progress)
            names = tuple(net.layer_names)
            hidden, head = names[:-1], names[-1]
            pool: Any = {name: self.pool for name in hidden} if self.pool is not None else None
            acts = record(net, x, list(names), pool=pool, batch_size=256 if self.dataset == "digits" else 32)
            logits = np.asarray(acts.pop(head), dtype=np.float64).reshape(n, -1)[:, class_index]
            accuracy.append(float(np.mean(np.argmax(logits, axis=1) == labels)))
            confusion.append(_soft_confusion(logits, labels, n_classes))
            reps = [pixels_np, *(np.asarray(acts.pop(name)).reshape(n, -1) for name in hidden)]
            if si == 0:
                layers = ("input", *hidden)
                L = len(layers)
                shape = (S, L, n_classes)
                for key in ("cv_logit", "cv_onehot", "insample_logit", "insample_onehot"):
                    out[key] = np.zeros(shape)
                out["dims"] = np.zeros((S, L), dtype=np.int64)
                out["widths"] = np.array([r.shape[1] for r in reps], dtype=np.int64)
                reduced: list[list[Any]] = [[None] * L for _ in range(S)]
            for li, X in enumerate(reps):
                Z = reduce_layer(X, keep=self.keep, max_dims=self.max_dims)
                out["dims"][si, li] = Z.shape[1]
                reduced[si][li] = Z
                rng = np.random.default_rng([self.seed, int(seed)])  # the same folds for every layer
                folds = _fold_ids(n, self.folds, rng)
                out["cv_logit"][si, li] = cv_correlation(Z, logits, folds=folds, ridge=self.ridge)
                out["cv_onehot"][si, li] = cv_correlation(Z, onehot, folds=folds, ridge=self.ridge)
                out["insample_logit"][si, li] = insample_correlation(Z, logits)
                out["insample_onehot"][si, li] = insample_correlation(Z, onehot)
                for key, value in _top_images(X, Z, logits, D, K).items():
                    out.setdefault(key, np.zeros((S, L, *value.shape), dtype=value.dtype))[si, li] = value
                del X
            del reps

        # the comparison of the original release: SVCCA between the same layer of two
        # networks (each seed with the next one), without labels; a single network has
        # no partner and falls back to its layer's own top SVD directions
        out["svcca_images"] = np.zeros((S, L, D, K), dtype=np.int64)
        out["svcca_rho"] = np.full((S, L, D), np.nan)
        for si in range(S):
            for li in range(L):
                partner = reduced[(si + 1) % S][li] if S > 1 else None
                images, rho = _svcca_images(reduced[si][li], partner, D, K)
                out["svcca_images"][si, li], out["svcca_rho"][si, li] = images, rho
        kinds = [out[f"{kind}_images"].ravel() for kind in KINDS]
        needed = np.unique(np.concatenate(kinds))
        out["thumb_index"] = needed.astype(np.int64)
        out["thumbnails"] = thumbs(needed)
        out["layers"] = np.array(layers)
        out["classes"] = np.array(classes)
        out["seeds"] = np.array(self.seeds, dtype=np.int64)
        out["accuracy"] = np.array(accuracy)
        out["confusion"] = np.stack(confusion)
        out["class_mean_similarity"] = _class_mean_similarity(pixels_np, labels, n_classes)
        out["labels"] = labels.astype(np.int64)
        out["threshold"] = np.array(self.threshold)
        out["dataset"] = np.array(self.dataset)
        out["model"] = np.array(self.model)
        return out


# --------------------------------------------------------------------------- measures


def reduce_layer(X: Any, *, keep: float = 0.99, max_dims: int | None = 64) -> np.ndarray:
    """Reduce a layer to its top SVD directions, as scores: the SVD step of SVCCA with a cap.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A layer's activations, samples first (conv layers flattened).
    keep : float, default 0.99
        Keep the fewest leading directions explaining this fraction of the variance.
    max_dims : int or None, default 64
        And at most this many.

    Returns
    -------
    numpy.ndarray of shape (n_samples, k)
        ``U[:, :k] * s[:k]`` of the centred ``X = U diag(s) V^T`` (float64): the data in the
        coordinates of its top ``k`` principal directions.

    Notes
    -----
    When ``n_features > n_samples`` the SVD is taken through the ``n x n`` Gram matrix
    ``X X^T = U diag(s^2) U^T``, so a wide flattened conv layer costs ``O(n^2 p)``.
    Directions with a singular value below ``1e-10`` of the largest are never kept.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.class_sensitivity import reduce_layer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 3)) @ rng.standard_normal((3, 500))   # rank 3, 500 features
    >>> reduce_layer(X).shape
    (200, 3)
    >>> reduce_layer(X, max_dims=2).shape
    (200, 2)
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"X must be (n_samples, n_features) with n_samples >= 2; got shape {X.shape}")
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep must be in (0, 1]; got {keep!r}")
    Xc = X - X.mean(axis=0)
    n, p = Xc.shape
    if p > n:
        w, U = np.linalg.eigh(Xc @ Xc.T)
        w, U = w[::-1].clip(min=0.0), U[:, ::-1]
        s = np.sqrt(w)
    else:
        U, s, _ = np.linalg.svd(Xc, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        return np.zeros((n, 0))
    rank = int(np.sum(s > 1e-10 * s[0]))
    var = s[:rank] ** 2
    k = int(np.searchsorted(np.cumsum(var) / var.sum(), keep - 1e-12) + 1)
    k = min(k, rank) if max_dims is None else min(k, rank, int(max_dims))
    # one sign convention (the largest-magnitude entry of each direction positive)
    signs = np.sign(U[np.argmax(np.abs(U[:, :k]), axis=0), np.arange(k)])
    return U[:, :k] * (s[:k] * np.where(signs == 0, 1.0, signs))


def _fold_ids(n: int, folds: int, rng: Any) -> np.ndarray:
    ids = np.arange(n) % folds
    return np.asarray(np.random.default_rng(rng).permutation(ids))


def _layer_and_targets(Z: Any, y: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """Check a layer ``(n, d)`` and its targets; the targets as columns, and whether there was one."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2:
        raise ValueError(f"Z must be (n_samples, n_features); got shape {Z.shape}")
    n = Z.shape[0]
    Y = np.asarray(y, dtype=np.float64)
    single = Y.ndim == 1
    Y = Y[:, None] if single else Y
    if Y.ndim != 2 or Y.shape[0] != n:
        raise ValueError(
            f"y must be (n_samples,) or (n_samples, n_targets) with n_samples = {n}; got shape {np.shape(y)}"
        )
    return Z, Y, single


def _corr_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of matching columns; 0 where either column is constant."""
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    den = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    num = (a * b).sum(axis=0)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def cv_correlation(Z: Any, y: Any, *, folds: Any = 2, ridge: float = 1e-3, rng: Any = 0) -> Any:
    """Cross-validated correlation between a target and its linear prediction from a layer.

    The out-of-sample version of the single canonical correlation between a layer ``Z`` and
    a one-dimensional target ``y`` (CCA of ``Z`` with one column is the multiple correlation
    of ``y`` on ``Z``): for each fold, a ridge regression of ``y`` on ``Z`` is fitted on the
    other folds and the correlation between its predictions and ``y`` is read on the fold;
    the result is the mean over folds.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        The (reduced) layer, samples first.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        One target, or several handled at once (e.g. every class's logit).
    folds : int or array-like of shape (n_samples,), default 2
        Number of folds (a seeded random partition of near-equal sizes), or each sample's fold id.
    ridge : float, default 1e-3
        Penalty ``lambda = ridge * trace(A^T A) / n_features`` on the centred training fold
        ``A``: relative to the mean eigenvalue, so it does not depend on the layer's scale.
    rng : None, int or numpy.random.Generator, default 0
        Seeds the random partition when ``folds`` is an int.

    Returns
    -------
    float, or numpy.ndarray of shape (n_targets,)
        In ``[-1, 1]``; 0 where a prediction or a target is constant on a fold.

    Raises
    ------
    ValueError
        When the shapes disagree or a fold is too small to fit.

    Notes
    -----
    In-sample, the correlation of ``y`` with its least-squares prediction is the canonical
    correlation, and it grows with the number of features even when they carry nothing
    (with ``n_features = n_samples - 1`` it is 1). Held-out data removes that inflation.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.class_sensitivity import cv_correlation, insample_correlation
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.standard_normal((200, 60))
    >>> noise = rng.standard_normal(200)                 # unrelated to Z
    >>> round(float(insample_correlation(Z, noise)), 2)  # inflated by 60 features
    0.57
    >>> abs(float(cv_correlation(Z, noise))) < 0.2       # out of sample: about 0
    True
    >>> signal = Z[:, 0] + 0.1 * rng.standard_normal(200)
    >>> float(cv_correlation(Z, signal)) > 0.95
    True
    """
    Z, Y, single = _layer_and_targets(Z, y)
    n, d = Z.shape
    if isinstance(folds, (int, np.integer)) and not isinstance(folds, bool):
        if folds < 2:
            raise ValueError(f"folds must be >= 2; got {folds}")
        fold = _fold_ids(n, int(folds), rng)
    else:
        fold = np.asarray(folds)
        if fold.shape != (n,):
            raise ValueError(f"folds must be an int or one fold id per sample ({n}); got shape {fold.shape}")
    ids = np.unique(fold)
    if ids.size < 2:
        raise ValueError(f"folds must define at least two folds; got {ids.size}")
    r = np.zeros((ids.size, Y.shape[1]))
    for i, f in enumerate(ids):
        test = fold == f
        train = ~test
        if train.sum() < 2 or test.sum() < 2:
            raise ValueError(
                f"every fold needs at least 2 samples and 2 outside it; fold {f} has {int(test.sum())}"
            )
        if d == 0:
            continue
        A, B = Z[train], Y[train]
        mA, mB = A.mean(axis=0), B.mean(axis=0)
        A, B = A - mA, B - mB
        G = A.T @ A
        lam = ridge * np.trace(G) / d
        W = np.linalg.solve(G + lam * np.eye(d), A.T @ B) if lam > 0 else np.linalg.lstsq(A, B, rcond=None)[0]
        r[i] = _corr_columns((Z[test] - mA) @ W, Y[test])
    res = r.mean(axis=0)
    return float(res[0]) if single else res


def insample_correlation(Z: Any, y: Any) -> Any:
    """In-sample multiple correlation of a target on a layer: the canonical correlation of ``Z`` and ``y``.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets)

    Returns
    -------
    float, or numpy.ndarray of shape (n_targets,)
        ``sqrt(R^2)`` of the least-squares fit of each centred target on the centred ``Z``
        (equal to ``svcca.cca(Z, y).rho[0]`` for one target).

    Examples
    --------
    >>> import numpy as np, svcca
    >>> from svcca.experiments.class_sensitivity import insample_correlation
    >>> rng = np.random.default_rng(1)
    >>> Z, y = rng.standard_normal((100, 5)), rng.standard_normal(100)
    >>> bool(np.isclose(insample_correlation(Z, y), svcca.cca(Z, y[:, None]).rho[0]))
    True
    """
    Z, Y, single = _layer_and_targets(Z, y)
    Zc = Z - Z.mean(axis=0)
    Yc = Y - Y.mean(axis=0)
    if Zc.shape[1] == 0:
        res = np.zeros(Y.shape[1])
    else:
        U, s, _ = np.linalg.svd(Zc, full_matrices=False)
        U = U[:, s > 1e-10 * s[0]] if s.size and s[0] > 0 else U[:, :0]
        explained = ((U.T @ Yc) ** 2).sum(axis=0)
        total = (Yc**2).sum(axis=0)
        res = np.sqrt(
            np.clip(np.where(total > 0, explained / np.where(total > 0, total, 1.0), 0.0), 0.0, 1.0)
        )
    return float(res[0]) if single else res


def _top_images(X: np.ndarray, Z: np.ndarray, logits: np.ndarray, D: int, K: int) -> dict[str, np.ndarray]:
    """Find the images at the top of a layer's canonical directions and of its most active neurons.

    The canonical directions are against all logits; the most active neurons have the largest
    Euclidean norm of their activation vectors.
    """
    import svcca

    out = {
        "direction_images": np.zeros((D, K), dtype=np.int64),
        "direction_class": np.zeros(D, dtype=np.int64),
        "direction_rho": np.full(D, np.nan),
        "neuron_images": np.zeros((D, K), dtype=np.int64),
        "neuron_ids": np.zeros(D, dtype=np.int64),
        "neuron_match": np.full(D, np.nan),
        "matched_images": np.zeros((D, K), dtype=np.int64),
        "matched_ids": np.zeros(D, dtype=np.int64),
    }
    m = 0
    if Z.shape[1]:
        res = svcca.cca(Z, logits, warn=False)
        V = np.asarray(res.x_variates, dtype=np.float64)
        m = min(D, V.shape[1])
    if m:
        V = V[:, :m]
        C = _corr_matrix(V, logits)  # (m, n_classes)
        best = np.argmax(np.abs(C), axis=1)
        sign = np.sign(C[np.arange(m), best])
        V = V * np.where(sign == 0, 1.0, sign)  # oriented: high values = high logit of its class
        out["direction_class"][:m] = best
        out["direction_rho"][:m] = res.rho[:m]
        out["direction_images"][:m] = np.argsort(-V, axis=0, kind="stable")[:K].T
        # how well the single neuron closest to each direction follows it, and its top images
        # (oriented like the direction: a supervised choice of neuron, for a fair comparison)
        R = _corr_matrix(V, X)
        closest = np.argmax(np.abs(R), axis=1)
        out["neuron_match"][:m] = np.abs(R[np.arange(m), closest])
        out["matched_ids"][:m] = closest
        Xm = X[:, closest].astype(np.float64) * np.where(R[np.arange(m), closest] < 0, -1.0, 1.0)
        out["matched_images"][:m] = np.argsort(-Xm, axis=0, kind="stable")[:K].T
    norms = np.sqrt((X.astype(np.float64) ** 2).sum(axis=0))
    ids = np.argsort(-norms, kind="stable")[:D]
    out["neuron_ids"][: len(ids)] = ids
    out["neuron_images"][: len(ids)] = np.argsort(-X[:, ids].astype(np.float64), axis=0, kind="stable")[:K].T
    return out


def _svcca_images(Za: np.ndarray, Zb: np.ndarray | None, D: int, K: int) -> tuple[np.ndarray, np.ndarray]:
    """Find the images at the top of the first ``D`` SVCCA directions of ``Za`` against ``Zb``.

    ``Za`` and ``Zb`` are two networks' reduced layers; the directions' canonical
    correlations come with the images. With ``Zb=None``, the directions are ``Za``'s own
    top SVD directions (correlations NaN).

    A direction has no sign; each is oriented so that its long tail (positive skewness
    over the images) is on top, as a ReLU neuron's strongest responses are.
    """
    import svcca

    images, rho = np.zeros((D, K), dtype=np.int64), np.full(D, np.nan)
    if Za.shape[1] == 0 or (Zb is not None and Zb.shape[1] == 0):
        return images, rho
    if Zb is None:
        V = Za
    else:
        res = svcca.cca(Za, Zb, warn=False)
        V = np.asarray(res.x_variates, dtype=np.float64)
    m = min(D, V.shape[1])
    V = V[:, :m] - V[:, :m].mean(axis=0)
    skew = (V**3).mean(axis=0)
    V = V * np.where(skew < 0, -1.0, 1.0)
    images[:m] = np.argsort(-V, axis=0, kind="stable")[:K].T
    if Zb is not None:
        rho[:m] = np.asarray(res.rho)[:m]
    return images, rho


def _soft_confusion(logits: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Measure how confusable two classes are for a network, ``(n_classes, n_classes)``.

    The mean softmax probability (over the studied classes' logits) that the images of class
    ``i`` give class ``j``, symmetrised; diagonal included.
    """
    z = logits - logits.max(axis=1, keepdims=True)
    prob = np.exp(z)
    prob /= prob.sum(axis=1, keepdims=True)
    per = np.stack(
        [
            prob[labels == c].mean(axis=0) if np.any(labels == c) else np.zeros(n_classes)
            for c in range(n_classes)
        ]
    )
    return (per + per.T) / 2


def _class_mean_similarity(pixels: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Measure how alike two classes look, ``(n_classes, n_classes)``.

    The correlation between their mean images, each taken relative to the mean of the class
    means (so the shared average image does not make every pair look alike).
    """
    means = np.stack([pixels[labels == c].mean(axis=0) for c in range(n_classes)])
    return _corr_matrix((means - means.mean(axis=0)).T, (means - means.mean(axis=0)).T)


def mantel_test(A: Any, B: Any, *, n_resamples: int = 2000, rng: Any = 0) -> tuple[float, float]:
    """Rank-correlate two symmetric class x class similarity matrices, with a permutation null.

    A Mantel test with Spearman's correlation: the null permutes the classes.

    Parameters
    ----------
    A, B : array-like of shape (n_classes, n_classes)
        Symmetric similarities; only the pairs above the diagonal are compared.
    n_resamples : int, default 2000
        Random relabellings of the classes of ``B``; when ``n_classes!`` is no larger, every
        permutation is enumerated instead (an exact test).
    rng : None, int or numpy.random.Generator, default 0

    Returns
    -------
    rho : float
        Spearman correlation over the ``n_classes * (n_classes - 1) / 2`` pairs.
    p_value : float
        One-sided (similar in ``A`` goes with similar in ``B``): the share of relabellings,
        the observed one included, whose correlation is at least ``rho``.

    Notes
    -----
    The pairs of classes are not independent (each class is in ``n_classes - 1`` pairs), so
    the null permutes whole classes, never single pairs.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.experiments.class_sensitivity import mantel_test
    >>> rng = np.random.default_rng(0)
    >>> pos = rng.standard_normal((8, 2))                     # 8 classes in a plane
    >>> A = -np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    >>> rho, p = mantel_test(A, A + 0.1 * (lambda E: E + E.T)(rng.standard_normal((8, 8))))
    >>> bool(rho > 0.8 and p < 0.01)
    True
    """
    import itertools
    import math

    from scipy.stats import rankdata

    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape != B.shape or A.shape[0] < 3:
        raise ValueError(
            f"A and B must be square (n_classes, n_classes) of the same shape with n_classes >= 3; "
            f"got A.shape={A.shape}, B.shape={B.shape}"
        )
    check_int(n_resamples, "n_resamples")
    C = A.shape[0]
    iu = np.triu_indices(C, 1)
    a = A[iu]
    rho = _spearman(a, B[iu])
    if math.factorial(C) <= n_resamples:
        perms = np.array(list(itertools.permutations(range(C))))
        observed_included = 0  # the identity is one of them
    else:
        gen = np.random.default_rng(rng)
        perms = np.array([gen.permutation(C) for _ in range(n_resamples)])
        observed_included = 1
    # Spearman's correlation of every relabelling at once: Pearson's on the (tie-averaged) ranks
    ra = rankdata(a)
    rb = rankdata(B[perms[:, iu[0]], perms[:, iu[1]]], axis=1)
    ra, rb = ra - ra.mean(), rb - rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra**2).sum() * (rb**2).sum(axis=1))
    null = np.where(den > 0, (rb @ ra) / np.where(den > 0, den, 1.0), np.nan)
    if not np.isfinite(rho):
        return float("nan"), float("nan")
    p_value = (observed_included + np.sum(null >= rho - 1e-12)) / (null.size + observed_included)
    return rho, float(p_value)


def _check_threshold(threshold: Any) -> float:
    """Check a similarity threshold given to a method: a real number, never NaN (nothing reaches it)."""
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or math.isnan(threshold):
        raise ValueError(f"threshold must be a real number (a similarity level); got {threshold!r}")
    return float(threshold)


def _spearman(a: Any, b: Any) -> float:
    """Spearman rank correlation; NaN when either side is constant (no ranking to correlate)."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _corr_matrix(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Correlations between every column of ``A`` and every column of ``B`` (0 for constant ones)."""
    A = A - A.mean(axis=0)
    B = np.asarray(B, dtype=np.float64)
    B = B - B.mean(axis=0)
    na, nb = np.sqrt((A * A).sum(axis=0)), np.sqrt((B * B).sum(axis=0))
    C = A.T @ B
    den = np.outer(na, nb)
    return np.where(den > 0, C / np.where(den > 0, den, 1.0), 0.0)


# --------------------------------------------------------------------------- helpers


def _load_eval(cfg: ClassSensitivityConfig) -> tuple[Any, np.ndarray, tuple[str, ...], np.ndarray, Any, Any]:
    """Load the evaluation images and what the experiment needs with them.

    Returns the images ``(n, C, H, W)``, labels, class names, the logit column of each class,
    a function giving uint8 thumbnails of chosen images, and the data the networks are built
    for (the digits' :class:`~svcca.nn.data.ImageData`; for ImageNet, its input shape and
    number of classes).
    """
    if cfg.dataset == "digits":
        return _load_digits_eval(cfg)
    return _load_imagenet_eval(cfg)


def _load_digits_eval(
    cfg: ClassSensitivityConfig,
) -> tuple[Any, np.ndarray, tuple[str, ...], np.ndarray, Any, Any]:
    import torch

    from ..nn import as_tensors, take

    data = cfg.load_data()
    x, y = as_tensors(take(data.test, cfg.n_eval))
    x = x.contiguous()
    mean, std = data.mean[0], data.std[0]

    def thumbs(idx: np.ndarray) -> np.ndarray:
        img = (x[torch.as_tensor(idx, dtype=torch.long), 0] * std + mean).clamp(0.0, 1.0)
        return (img.numpy() * 255.0 + 0.5).astype(np.uint8)

    labels = y.numpy().astype(np.int64)
    return x, labels, tuple(data.classes), np.arange(len(data.classes)), thumbs, data


def _load_imagenet_eval(
    cfg: ClassSensitivityConfig,
) -> tuple[Any, np.ndarray, tuple[str, ...], np.ndarray, Any, Any]:
    import torch
    import torch.nn.functional as F

    from ..nn.data import IMAGENET_MEAN, IMAGENET_STD, load_imagenet_subset

    resize = cfg.resize if cfg.resize is not None else max(cfg.image_size, round(cfg.image_size * 256 / 224))
    ds: Any = load_imagenet_subset(cfg.data_root, image_size=cfg.image_size, resize=resize)
    targets = np.asarray(ds.targets, dtype=np.int64)
    chosen = np.arange(len(targets))
    if cfg.n_per_class is not None:
        chosen = np.concatenate(
            [np.flatnonzero(targets == c)[: cfg.n_per_class] for c in range(len(ds.classes))]
        )
        chosen.sort()
    if chosen.size == 0:
        raise FileNotFoundError(f"the ImageNet subset at {ds.root} holds no images")
    x = torch.stack([ds[int(i)][0] for i in chosen])
    y = targets[chosen]
    index = np.asarray(ds.imagenet_indices, dtype=np.int64)
    if (index < 0).any():
        unknown = [c.wnid for c, i in zip(ds.imagenet_classes, index) if i < 0]
        raise ValueError(f"classes {unknown} have no known index among the 1000 ImageNet outputs")
    names = tuple(c.name for c in ds.imagenet_classes)
    m = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    s = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)

    def thumbs(idx: np.ndarray) -> np.ndarray:
        img = x[torch.as_tensor(idx, dtype=torch.long)] * s + m
        img = F.interpolate(img, size=(cfg.thumb_size, cfg.thumb_size), mode="bilinear", antialias=True)
        img = img.clamp(0.0, 1.0).permute(0, 2, 3, 1)
        return (img.numpy() * 255.0 + 0.5).astype(np.uint8)

    shape = SimpleNamespace(input_shape=tuple(x.shape[1:]), n_classes=len(names))
    return x, y, names, index, thumbs, shape


def _network(cfg: ClassSensitivityConfig, seed: int, data: Any, progress: bool) -> Any:
    """Build the network of ``seed``: a trained small ResNet, or a torchvision ResNet (pretrained or not)."""
    net = cfg.build_model(data, seed)
    if cfg.epochs > 0:
        if cfg.dataset != "digits":
            raise ValueError(
                "training is only done on the digits; use epochs=0 with a pretrained ImageNet model"
            )
        cfg.fit(net, data.train, seed, augment=cfg.augmentation(data), progress=progress)
    return net.eval()


# --------------------------------------------------------------------------- unpacking


@dataclass(frozen=True, eq=False)
class ClassSensitivityData(ExperimentData):
    """How well each layer of every network predicts each class, through depth.

    Attributes
    ----------
    layers : tuple of str
        ``"input"`` (the pixels, depth 0), then the network's layers, input side first (the
        logits excluded).
    classes : tuple of str
    seeds : tuple of int
    accuracy : numpy.ndarray of shape (n_seeds,)
        Accuracy on the evaluation images (argmax over the classes' logits).
    labels : numpy.ndarray of shape (n_eval,)
    threshold : float
        Default threshold of :meth:`first_layer`.
    dataset : str

    Notes
    -----
    The arrays: ``layers`` and ``classes`` (names); ``seeds``; ``cv_logit``, ``cv_onehot``,
    ``insample_logit``, ``insample_onehot`` of shape ``(n_seeds, n_layers, n_classes)``;
    ``dims`` ``(n_seeds, n_layers)`` and ``widths`` ``(n_layers,)``; ``accuracy``;
    ``labels``; ``direction_images`` and ``neuron_images`` ``(n_seeds, n_layers,
    n_directions, n_images)``, ``direction_class``, ``direction_rho``, ``neuron_ids`` and
    ``neuron_match`` ``(n_seeds, n_layers, n_directions)``; ``thumb_index`` and
    ``thumbnails`` (uint8) of the images those point at; ``threshold``, ``dataset``, ``model``.
    """

    config_class = ClassSensitivityConfig

    layers: tuple[str, ...] = field(metadata=stored())
    classes: tuple[str, ...] = field(metadata=stored())
    seeds: tuple[int, ...] = field(metadata=stored())
    accuracy: np.ndarray = field(metadata=stored())
    labels: np.ndarray = field(metadata=stored())
    threshold: float = field(metadata=stored())
    dataset: str = field(metadata=stored())

    @property
    def n_eval(self) -> int:
        """Number of evaluation images."""
        return int(self.labels.shape[0])

    @property
    def dims(self) -> np.ndarray:
        """SVD directions kept per seed and layer, shape ``(n_seeds, n_layers)``."""
        return np.asarray(self.arrays["dims"])

    @property
    def widths(self) -> np.ndarray:
        """Features of each (flattened, possibly pooled) layer, shape ``(n_layers,)``."""
        return np.asarray(self.arrays["widths"])

    def similarity(self, target: str = "logit", cv: bool = True) -> np.ndarray:
        """Correlation of every layer with every class, shape ``(n_seeds, n_layers, n_classes)``.

        ``target`` is ``"logit"`` (each class's logit, as Raghu et al.) or ``"onehot"``
        (its 0/1 label); ``cv`` chooses the cross-validated or the in-sample correlation.
        """
        check_option(target, "target", TARGETS)
        return np.asarray(self.arrays[f"{'cv' if cv else 'insample'}_{target}"], dtype=np.float64)

    def mean_similarity(self, target: str = "logit", cv: bool = True) -> np.ndarray:
        """:meth:`similarity` averaged over seeds, shape ``(n_layers, n_classes)``."""
        return self.similarity(target, cv).mean(axis=0)

    def pixel_baseline(self, target: str = "logit", cv: bool = True) -> np.ndarray:
        """Return the correlation from the pixels (layer ``"input"``), seed-averaged: ``(n_classes,)``."""
        return self.mean_similarity(target, cv)[0]

    def first_layer(
        self, threshold: float | None = None, target: str = "logit", cv: bool = True
    ) -> np.ndarray:
        """Index (into :attr:`layers`) of the first layer reaching ``threshold``, per seed and class.

        Returns
        -------
        numpy.ndarray of int, shape (n_seeds, n_classes)
            0 is the pixels, 1 the first layer of the network, ...; ``-1`` where the class
            never reaches the threshold.
        """
        t = self.threshold if threshold is None else _check_threshold(threshold)
        reached = self.similarity(target, cv) >= t
        return np.where(reached.any(axis=1), np.argmax(reached, axis=1), -1)

    def mean_first_layer(
        self, threshold: float | None = None, target: str = "logit", cv: bool = True
    ) -> np.ndarray:
        """:meth:`first_layer` averaged over seeds, ``(n_classes,)``; "never" counts as ``n_layers``."""
        return self._first_or_never(threshold, target, cv).mean(axis=0)

    def _first_or_never(
        self, threshold: float | None = None, target: str = "logit", cv: bool = True
    ) -> np.ndarray:
        """:meth:`first_layer` with "never" counted as ``n_layers``."""
        first = self.first_layer(threshold, target, cv)
        return np.where(first < 0, len(self.layers), first)

    def order(
        self, threshold: float | None = None, target: str = "logit", cv: bool = True
    ) -> tuple[str, ...]:
        """Class names from the earliest decodable to the latest (ties: higher mean correlation first)."""
        first = self.mean_first_layer(threshold, target, cv)
        mean = self.mean_similarity(target, cv)[1:].mean(axis=0)
        return tuple(self.classes[i] for i in np.lexsort((-mean, first)))

    def pixel_rank_correlation(
        self, threshold: float | None = None, target: str = "logit", cv: bool = True
    ) -> float:
        """Spearman correlation between the pixel baseline and the mean first layer, over classes.

        Strongly negative when the classes most linearly readable from the pixels are the
        ones the network can read earliest.
        """
        return _spearman(self.pixel_baseline(target, cv), self.mean_first_layer(threshold, target, cv))

    def layer_index(self, layer: str | int) -> int:
        """Position of ``layer`` (a name or an index) in :attr:`layers`."""
        if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
            if not -len(self.layers) <= int(layer) < len(self.layers):
                raise IndexError(f"layer index {layer} out of range for {len(self.layers)} layers")
            return int(layer) % len(self.layers)
        if layer not in self.layers:
            raise KeyError(f"unknown layer {layer!r}; layers are {self.layers}")
        return self.layers.index(layer)

    def _seed_index(self, seed: int | None) -> int:
        if seed is None:
            return 0
        if int(seed) not in self.seeds:
            raise KeyError(f"unknown seed {seed!r}; seeds are {self.seeds}")
        return self.seeds.index(int(seed))

    @property
    def middle_layer(self) -> str:
        """The network layer halfway through depth (the default layer of the images figure)."""
        return self.layers[1 + (len(self.layers) - 1) // 2]

    def top_images(self, layer: str | int, kind: str = "direction", seed: int | None = None) -> np.ndarray:
        """Return the indices of the evaluation images that most drive ``layer``'s top directions or neurons.

        Parameters
        ----------
        layer : str or int
        kind : {"direction", "neuron", "svcca", "matched"}
            ``"direction"``: the top canonical directions of CCA between the layer and all
            class logits, each oriented so that its most correlated logit increases along it;
            ``"neuron"``: the layer's most active single neurons (largest Euclidean norm of
            their activation vectors over the images); ``"svcca"``: the top SVCCA directions
            between the layer and the same layer of the next seed's network (no labels
            involved; oriented so that the long tail is on top); ``"matched"``: for each
            ``"direction"``, the single neuron most correlated with it.
        seed : int, optional
            Default the first seed.

        Returns
        -------
        numpy.ndarray of int, shape (n_directions, n_images)
            Row ``j``: the images with the highest value along direction (or neuron) ``j``,
            highest first.
        """
        check_option(kind, "kind", KINDS)
        return np.asarray(self.arrays[f"{kind}_images"][self._seed_index(seed), self.layer_index(layer)])

    def direction_class(self, layer: str | int, seed: int | None = None) -> tuple[str, ...]:
        """For each top canonical direction of ``layer``: the class whose logit it follows most."""
        idx = self.arrays["direction_class"][self._seed_index(seed), self.layer_index(layer)]
        return tuple(self.classes[int(i)] for i in idx)

    def neuron_match(self, layer: str | int | None = None) -> np.ndarray:
        """Largest |correlation| of any single neuron with each top canonical direction.

        Shape ``(n_seeds, n_layers, n_directions)``, or ``(n_seeds, n_directions)`` for one layer.
        """
        a = np.asarray(self.arrays["neuron_match"], dtype=np.float64)
        return a if layer is None else a[:, self.layer_index(layer)]

    def purity(self, kind: str = "direction") -> np.ndarray:
        """Share of the top images of each direction (or neuron) that belong to its most common class.

        Returns
        -------
        numpy.ndarray of shape (n_seeds, n_layers, n_directions)
            1.0: all top images show one class; ``1 / n_classes`` is as mixed as it gets.
        """
        check_option(kind, "kind", KINDS)
        lab = self.labels[np.asarray(self.arrays[f"{kind}_images"])]  # (S, L, D, K)
        counts = (lab[..., None] == np.arange(len(self.classes))).sum(axis=-2)
        return counts.max(axis=-1) / lab.shape[-1]

    def images(self, indices: Any) -> np.ndarray:
        """Return stored thumbnails (uint8) of evaluation images, ``(n, h, w)`` or ``(n, h, w, 3)``.

        Only the images some direction or neuron points at are stored.
        """
        idx = np.asarray(indices, dtype=np.int64)
        stored = np.asarray(self.arrays["thumb_index"])
        pos = np.searchsorted(stored, idx.ravel())
        ok = (pos < stored.size) & (stored[np.minimum(pos, stored.size - 1)] == idx.ravel())
        if not ok.all():
            raise KeyError(
                f"images {idx.ravel()[~ok][:5].tolist()} were not stored; stored are top images only"
            )
        thumbs = np.asarray(self.arrays["thumbnails"])[pos]
        return thumbs.reshape(*idx.shape, *thumbs.shape[1:])

    def pixel_extremes(self, n: int = 3) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the ``n`` classes most and the ``n`` least linearly readable from the pixels, most first.

        ``n`` is an int >= 1 (all classes when it is larger than their number).
        """
        check_int(n, "n")
        order = np.argsort(-self.pixel_baseline(), kind="stable")
        return tuple(self.classes[i] for i in order[:n]), tuple(self.classes[i] for i in order[::-1][:n])

    def extremes_gap(self, n: int = 3, threshold: float | None = None) -> np.ndarray:
        """Measure per seed how many layers later the least pixel-readable classes become decodable.

        On average, the ``n`` classes least readable from the pixels against the ``n`` most
        readable (:meth:`pixel_extremes`).

        Returns
        -------
        numpy.ndarray of shape (n_seeds,)
            Mean first decodable layer of the bottom ``n`` minus that of the top ``n`` ("never"
            counts as ``n_layers``); positive when the pixel-readable classes come first.
        """
        first = self._first_or_never(threshold)
        top, bottom = (np.array([self.classes.index(c) for c in g]) for g in self.pixel_extremes(n))
        return first[:, bottom].mean(axis=1) - first[:, top].mean(axis=1)

    def per_seed_rank_correlation(self, threshold: float | None = None) -> np.ndarray:
        """Correlate, per seed, the pixel baseline with that network's first decodable layer.

        Spearman correlation over classes. Shape ``(n_seeds,)``.
        """
        base = self.pixel_baseline()
        return np.array([_spearman(base, f) for f in self.first_layer(threshold)], dtype=np.float64)

    def purity_by_seed(self, kind: str = "direction") -> np.ndarray:
        """:meth:`purity` over the network's layers (the pixels excluded) and directions, per seed."""
        return self.purity(kind)[:, 1:].mean(axis=(1, 2))

    def claims(self) -> list[Claim]:
        """State the claims chapter 7 makes about a default-scale digits run, each over all seeds.

        Names start with ``"class_sensitivity."`` (:data:`CLAIMS`). Every claim is a worst
        case over the networks (seeds) or a seed-averaged effect; none names one network's
        exact layer.
        """
        seeds = [f"seed {s}" for s in self.seeds]
        L = len(self.layers)
        cv, ins = self.mean_similarity(cv=True), self.mean_similarity(cv=False)
        inflation = (ins.mean(1) - cv.mean(1))[: L - 2]
        compress = ((cv.max(1) - cv.min(1)) - (ins.max(1) - ins.min(1)))[: L - 2]
        last = self.mean_similarity("onehot")[-1].mean() - self.mean_similarity()[-1].mean()
        rho = self.per_seed_rank_correlation()
        mean_first = self.mean_first_layer()
        gap = self.extremes_gap()
        onehot_first = self.mean_first_layer(target="onehot")
        pur = {k: self.purity_by_seed(k) for k in KINDS}
        svcca_gap = pur["svcca"] - pur["neuron"]

        def mean_of(v: np.ndarray, labels: Any) -> tuple[float, dict[str, float]]:
            return float(v.mean()), claim_details(labels, v)

        measured: dict[str, Any] = {
            "accuracy": (self.accuracy, seeds),
            "insample_inflates": (inflation, self.layers),
            "insample_compresses": (compress, self.layers),
            "pixel_rank_correlation": self.pixel_rank_correlation(),
            # every network: one whose correlation is undefined (NaN) fails it, as in any worst case
            "pixel_rank_correlation_every_network": (rho, seeds),
            "pixel_extremes_order": mean_of(gap, seeds),
            "pixel_extremes_every_network": (gap, seeds),
            "depth_spread": (np.ptp(mean_first), claim_details(self.classes, mean_first)),
            "onehot_order_agrees": _spearman(mean_first, onehot_first),
            "onehot_later": mean_of(onehot_first - mean_first, self.classes),
            "onehot_lower_at_top": last,
            "strict_threshold_keeps_order": _spearman(self.pixel_baseline(), self.mean_first_layer(0.95)),
            "insample_earlier": mean_of(mean_first - self.mean_first_layer(cv=False), self.classes),
            "purity_logit_directions_vs_neurons": (pur["direction"] - pur["neuron"], seeds),
            "purity_svcca_vs_neurons": mean_of(svcca_gap, seeds),
            "purity_svcca_vs_neurons_every_network": (svcca_gap, seeds),
            "purity_directions_vs_matched_neurons": mean_of(pur["direction"] - pur["matched"], seeds),
            "no_neuron_follows_a_direction": (self.neuron_match()[:, 1:].mean(axis=(1, 2)), seeds),
        }
        return claims_table("class_sensitivity.", CLAIMS, measured)

    # ---- Raghu et al.'s second observation: do similar classes have similar curves? ----
    def curve_similarity(self, target: str = "logit") -> np.ndarray:
        """How alike two classes' sensitivity curves are, ``(n_classes, n_classes)``.

        Minus the mean absolute difference of the seed-averaged cross-validated curves over
        the layers, the last layer excluded (it feeds the logits: every curve is 1 there).
        """
        curves = self.mean_similarity(target)[:-1]
        return -np.abs(curves[:, :, None] - curves[:, None, :]).mean(axis=0)

    def class_similarity(self, kind: str = "image") -> np.ndarray:
        """How alike two classes are, ``(n_classes, n_classes)``, by ``kind``.

        ``"image"``: the correlation of their mean images (relative to the mean of the class
        means, pixels as the layer ``"input"`` sees them); ``"confusion"``: how much the
        networks confuse them (mean softmax probability that an image of one gives the
        other, symmetrised, averaged over seeds); ``"pixels"``: how close their pixel
        baselines are (minus the absolute difference), the control.
        """
        check_option(kind, "kind", ("image", "confusion", "pixels"))
        if kind == "image":
            return np.asarray(self.arrays["class_mean_similarity"], dtype=np.float64)
        if kind == "confusion":
            return np.asarray(self.arrays["confusion"], dtype=np.float64).mean(axis=0)
        base = self.pixel_baseline()
        return -np.abs(base[:, None] - base[None, :])

    def similar_classes_test(self, kind: str = "image", n_resamples: int = 2000) -> tuple[float, float]:
        """Test whether classes alike by ``kind`` have alike sensitivity curves.

        Do classes alike by ``kind`` (:meth:`class_similarity`) have alike curves
        (:meth:`curve_similarity`)? Spearman correlation over the pairs of classes and its
        one-sided p-value under a permutation null over classes (:func:`mantel_test`, seeded
        by the config's ``seed``).
        """
        seed = int(getattr(self.config, "seed", 0))
        return mantel_test(
            self.curve_similarity(), self.class_similarity(kind), n_resamples=n_resamples, rng=seed
        )

    def similar_classes_claims(self) -> list[Claim]:
        """State the claims about Raghu et al.'s second observation at the default scale (chapter 7).

        On the digits, the observation is *not* shown: classes whose mean images look alike
        do not have more alike curves than chance, while the pixel baseline explains which
        curves are alike (:data:`SIMILAR_CLASSES_CLAIMS`).
        """
        rho_img, p_img = self.similar_classes_test("image")
        rho_pix, p_pix = self.similar_classes_test("pixels")
        rho_conf, p_conf = self.similar_classes_test("confusion")
        measured = {
            "similar_looking_classes_not_similar_curves": (rho_img, {"p_value": p_img}),
            "confused_classes_not_similar_curves": (rho_conf, {"p_value": p_conf}),
            "curves_follow_pixel_baseline": (rho_pix, {"p_value": p_pix}),
            "curves_follow_pixel_baseline_significant": p_pix,
        }
        return claims_table("class_sensitivity.", SIMILAR_CLASSES_CLAIMS, measured)

    def summary(self, threshold: float | None = None, target: str = "logit") -> dict[str, np.ndarray]:
        """Per class: pixel baseline, first layer per seed, mean first layer (a table's columns)."""
        first = self.first_layer(threshold, target)
        out: dict[str, np.ndarray] = {
            "class": np.array(self.classes),
            "pixels": self.pixel_baseline(target),
            "mean first layer": self.mean_first_layer(threshold, target),
        }
        for i, s in enumerate(self.seeds):
            out[f"seed {s}"] = first[i]
        return out


#: Named access to the arrays of a class-sensitivity run: :meth:`ClassSensitivityData.from_result`.
unpack = ClassSensitivityData.from_result


#: The claims of :meth:`ClassSensitivityData.claims` (``class_sensitivity.<claim>``):
#: name -> (relation, bound, statement).
CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    # a network in a few trains less well (0.898 seen)
    accuracy                               >  0.85  every network classifies the test digits with accuracy
                                                    above 0.85
    insample_inflates                      >  0.0   the in-sample correlation is higher than the
                                                    cross-validated one in every layer below the last stage
                                                    (smallest seed-averaged excess)
    insample_compresses                    >  0.0   in every layer below the last stage the in-sample
                                                    correlation spreads the classes less than the
                                                    cross-validated one (smallest difference of ranges)
    pixel_rank_correlation                 <  -0.6  averaged over the networks, the classes more linearly
                                                    readable from the pixels become decodable earlier
                                                    (Spearman correlation over classes of the pixel baseline
                                                    and the mean first decodable layer)
    pixel_rank_correlation_every_network   <  -0.3  the same rank correlation is negative in every network
                                                    (largest per-network value)
    pixel_extremes_order                   >= 1.5   averaged over the networks, the three classes least
                                                    readable from the pixels become decodable at least 1.5
                                                    layers after the three most readable (which classes these
                                                    are moves with the data split; the chapter names them)
    pixel_extremes_every_network           >  0.0   in every network, the three least pixel-readable classes
                                                    become decodable later, on average, than the three most
                                                    readable (smallest per-network gap, in layers)
    depth_spread                           >= 2.0   averaged over the networks, the earliest and the latest
                                                    class become decodable at least two layers apart
    onehot_order_agrees                    >= 0.4   with one-hot labels as targets, the classes become
                                                    decodable in much the same order (Spearman correlation
                                                    with the logit order)
    onehot_later                           >= 1.0   with one-hot labels the classes become decodable later
                                                    than with their logits (mean over classes of the
                                                    difference of mean first layers, in layers)
    onehot_lower_at_top                    <  0.0   at the last block the one-hot labels are matched less well
                                                    than the logits (difference of mean correlations)
    strict_threshold_keeps_order           <  -0.3  with the threshold at 0.95 the pixel baseline still orders
                                                    the classes (Spearman correlation with the mean first
                                                    layer)
    insample_earlier                       >= 0.4   in-sample, the classes look decodable earlier than they
                                                    are (mean over classes of the cross-validated minus the
                                                    in-sample mean first layer)
    purity_logit_directions_vs_neurons     >  0.05  the images along the logit-fitted canonical directions are
                                                    more often of one class than those of the most active
                                                    neurons (smallest per-network purity gap; partly built in:
                                                    supervised vs unsupervised)
    purity_svcca_vs_neurons                >  0.1   label-free SVCCA directions (aligned with another network)
                                                    pick out one class more often than the most active neurons
                                                    (purity gap, averaged over the networks)
    purity_svcca_vs_neurons_every_network  >  0.0   ... and in every network (smallest per-network purity gap)
    purity_directions_vs_matched_neurons   >  0.1   the logit-fitted directions pick out one class more often
                                                    than the single neuron closest to each of them (purity
                                                    gap, averaged over the networks)
    no_neuron_follows_a_direction          <  0.85  no single neuron follows a canonical direction closely
                                                    (largest per-network mean of the best neuron's
                                                    correlation)
    """
)

#: The claims of :meth:`ClassSensitivityData.similar_classes_claims` (``class_sensitivity.<claim>``):
#: name -> (relation, bound, statement).
SIMILAR_CLASSES_CLAIMS: dict[str, tuple[str, float, str]] = claim_specs(
    """
    similar_looking_classes_not_similar_curves  < 0.35  classes whose mean images look alike do not have
                                                        clearly more alike sensitivity curves (Spearman
                                                        correlation over pairs of classes, permutation null
                                                        over classes)
    confused_classes_not_similar_curves         < 0.2   pairs of classes the networks confuse more do not have
                                                        clearly more alike sensitivity curves (Spearman
                                                        correlation over pairs of classes)
    curves_follow_pixel_baseline                > 0.6   classes with close pixel baselines have alike
                                                        sensitivity curves (Spearman correlation over pairs of
                                                        classes)
    curves_follow_pixel_baseline_significant    < 0.01  ... beyond the permutation null over classes
                                                        (one-sided p-value)
    """
)
