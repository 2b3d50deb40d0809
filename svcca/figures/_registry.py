"""The table behind ``svcca figures``.

Each figure's name, the experiment it needs and the public function that draws it (the one
its chapter calls).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import (
    class_sensitivity,
    conv,
    generalization,
    layer_identification,
    learning_dynamics,
    methods,
    open_questions,
    pwcca_noise,
)

__all__ = ["FIGURES", "FigureSpec", "load_experiment", "make_figure", "names", "save_figures", "specs"]


@dataclass(frozen=True)
class FigureSpec:
    """A figure of the book.

    Attributes
    ----------
    name : str
        The name ``svcca figures`` takes (the chapter's figure is ``fig-NAME``).
    chapter : int
        The chapter that shows it (0: the introduction).
    experiment : str or None
        The book experiment it draws (a name of :func:`svcca.experiments.book_experiments`),
        or None for a synthetic example.
    draw : callable
        ``draw(data, **options)`` with ``data`` the experiment's result
        (:func:`load_experiment`), or ``draw(scale=scale)`` for a synthetic example; it
        returns the Figure, or the Axes (one or an array) it drew on.
    caption : str
    options : mapping
        Keyword arguments of ``draw``, as the chapter passes them.

    Examples
    --------
    >>> from svcca.figures import specs
    >>> spec = next(s for s in specs() if s.name == "intro-spectrum")
    >>> spec.chapter, spec.experiment, spec.caption.split()[0]
    (0, None, 'Canonical')
    """

    name: str
    chapter: int
    experiment: str | None
    draw: Callable[..., Any]
    caption: str
    options: Mapping[str, Any] = field(default_factory=dict)


_LD, _GEN, _CS, _LI = learning_dynamics, generalization, class_sensitivity, layer_identification


def _ld_curves(network: str, each: str, finding: str = "") -> FigureSpec:
    """Chapter 5's curves of one network of ``learning_dynamics``: each layer against its final state."""
    caption = f"SVCCA of each {each} with its final state, over training{finding}."
    return FigureSpec(f"ld-{network}-curves", 5, f"learning_dynamics.{network}", _LD.draw_curves, caption)


#: Every figure of the book, in the book's order.
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "intro-spectrum", 0, None, methods.intro_spectrum,
        "Canonical correlations of two layers sharing three latent directions.",
    ),
    FigureSpec(
        "cca-geometry", 1, None, methods.cca_geometry,
        "CCA's geometry for two layers of two neurons: each layer's points with its canonical "
        "directions, and the canonical variates of the two layers against each other.",
    ),
    FigureSpec(
        "cca-toy-spectrum", 1, None, methods.cca_toy_spectrum,
        "Canonical correlations of two synthetic layers sharing three signals, from svcca.cca and as "
        "cosines of principal angles, against independent layers of the same shapes.",
    ),
    FigureSpec(
        "cca-invariance", 1, "seed_pair", methods.cca_invariance,
        "Similarity between a transformed hidden layer of one network and the same layer of a network "
        "trained from another seed: mean CCA is invariant, measures weighing variance are not.",
    ),
    FigureSpec(
        "cca-sample-size", 1, None, methods.cca_sample_size,
        "Mean canonical correlation of independent Gaussian layers against samples per neuron, for "
        "three widths: the chance level depends on n / p only.",
    ),
    FigureSpec(
        "cca-real-spectrum", 1, "seed_pair", methods.cca_real_spectrum,
        "Canonical correlations of a hidden layer between two networks trained from different seeds "
        "and between the same networks untrained, against a permutation null.",
    ),
    FigureSpec(
        "cca-explained-variance", 1, "seed_pair", methods.cca_explained_variance,
        "Cumulative variance explained by the singular directions of a hidden layer in two networks; "
        "the dashed lines mark the directions SVCCA keeps at 99%.",
    ),
    FigureSpec(
        "cca-keep", 1, "seed_pair", methods.cca_keep,
        "SVCCA similarity of a hidden layer against the variance kept, for trained and untrained pairs "
        "of networks.",
    ),
    FigureSpec(
        "cca-pwcca-weights", 1, "seed_pair", methods.cca_pwcca_weights,
        "PWCCA weight of each canonical direction against its correlation, for a hidden layer of two "
        "networks trained from different seeds.",
    ),
    FigureSpec(
        "cca-seed-pairs", 1, "seed_pair", methods.cca_seed_pairs,
        "PWCCA between the same layer of networks trained from different seeds, of the same networks "
        "untrained, and under a permutation null.",
    ),
    FigureSpec(
        "conv-subsampling", 2, "conv_pair", conv.conv_subsampling,
        "Similarity of the same conv layer of two networks, positions as datapoints, "
        "against the number of positions kept.",
    ),
    FigureSpec(
        "conv-variance-kept", 2, "conv_pair", conv.conv_variance_kept,
        "Fraction of each conv layer's variance that survives global average pooling "
        "and pooling to a 2x2 grid.",
    ),
    FigureSpec(
        "conv-recipes", 2, "conv_pair", conv.conv_recipes,
        "Similarity of the same conv layer of two networks under four recipes, trained and untrained.",
    ),
    FigureSpec(
        "conv-dft-spectrum", 2, None, conv.conv_dft_spectrum,
        "On a shift-closed dataset the per-frequency DFT correlations are the flattened layers' CCA.",
    ),
    FigureSpec(
        "conv-frequency-map", 2, "conv_pair", conv.conv_frequency_map,
        "Mean canonical correlation at each spatial frequency between the same conv layer "
        "of two networks.",
    ),
    FigureSpec(
        "methods-directions", 3, None, methods.methods_directions,
        "Absolute correlation between the first direction PCA, PLS and CCA find and the three signals "
        "two synthetic layers are made of.",
    ),
    FigureSpec(
        "methods-intrinsic-dim", 3, "seed_pair", methods.draw_intrinsic_dimensionality,
        "Test accuracy when the first and last hidden layers are projected onto their top k directions "
        "(PCA, SVCCA, CCA, random) or reduced to k single neurons (random, or largest variance first), "
        "against the unprojected network.",
    ),
    FigureSpec(
        "methods-variance", 3, "seed_pair", methods.methods_variance,
        "Cumulative variance explained by the principal directions of each hidden layer of one trained "
        "network; dashed lines mark 99% of the variance.",
    ),
    FigureSpec(
        "sig-baselines", 4, "seed_pair", methods.sig_baselines,
        "A hidden layer of two trained networks compared with three baselines (untrained networks, "
        "random layers of the same shape or spectrum, a permutation null) for three measures.",
    ),
    FigureSpec(
        "sig-bootstrap", 4, "seed_pair", methods.sig_bootstrap,
        "Mean CCA between the layers of two trained networks and of the same networks untrained: "
        "bias-corrected estimates with basic bootstrap 95% intervals over the test images.",
    ),
    _ld_curves("conv", "layer of a conv net with batch norm", ": lower layers converge first"),
    FigureSpec(
        "ld-conv-grids", 5, "learning_dynamics.conv", _LD.draw_grids,
        "Layer x layer SVCCA of the conv net at four points in training against the final network; "
        "conv and batch-norm outputs form nearly identical pairs.",
    ),
    _ld_curves("resnet", "block of a small ResNet"),
    FigureSpec(
        "ld-resnet-grids", 5, "learning_dynamics.resnet", _LD.draw_grids,
        "Layer x layer SVCCA of the small ResNet at four points in training against the final network.",
    ),
    _ld_curves("plain", "conv layer of a plain net with the ResNet's widths and depth (no shortcuts)"),
    _ld_curves("lstm", "layer of an LSTM language model"),
    FigureSpec(
        "ld-conv-pooled-curves", 5, "learning_dynamics.conv", _LD.draw_curves,
        "The conv net's curves with every conv layer globally average-pooled (one datapoint per image).",
        {"pooled": True},
    ),
    _ld_curves("mlp", "layer of an MLP", ": no bottom-up order"),
    FigureSpec(
        "ld-freeze", 5, "freeze_training", _LD.draw_freeze,
        "Test accuracy during normal training and freeze training (lower layers frozen one by one).",
    ),
    FigureSpec(
        "generalization-pwcca", 6, "generalization", _GEN.draw_group_comparison,
        "PWCCA between networks trained on true labels (generalizing) and on randomly permuted "
        "labels (memorizing), per layer: mean over pairs of two generalizing networks (GG), two "
        "memorizing networks (MM) and one of each (GM); bars are 95% bootstrap intervals over "
        "networks.",
        {"measure": "pwcca"},
    ),
    FigureSpec(
        "generalization-measures", 6, "generalization", _GEN.draw_measures,
        "The comparison of generalizing and memorizing networks with mean CCA (left) and linear "
        "CKA (right); bars are 95% bootstrap intervals over networks.",
        {"measures": ("cca", "cka")},
    ),
    FigureSpec(
        "generalization-svcca", 6, "generalization", _GEN.draw_svcca_caveat,
        "SVCCA at 99% variance misleads here. Left: SVCCA per layer and kind of pair. Right: "
        "the number of directions SVCCA keeps per network (memorizing networks keep more).",
    ),
    FigureSpec(
        "width-similarity", 6, "width", _GEN.draw_width,
        "Similarity across seeds of the last hidden layer against width, for trained networks, "
        "the same networks at initialisation, and the trained pairs with one network's rows "
        "shuffled (the shape-matched random baseline) (PWCCA, linear CKA), and the part training adds "
        "(trained minus untrained). Bars: mean ± one standard deviation over pairs of seeds.",
        {"measures": ("pwcca", "cka")},
    ),
    FigureSpec(
        "pwcca-noise", 6, "pwcca_noise", pwcca_noise.draw_pwcca_noise,
        "Mean CCA and PWCCA as noise is added to one side of a comparison. Left: a representation "
        "of a few shared signals gains pure-noise neurons. Right: one network's layer gets noise "
        "along a growing share of its directions, compared with another network. PWCCA weighted "
        "by the untouched side moves least; weighted by the noisy side it moves most. Bands: "
        "mean ± one standard deviation over draws (left) and pairs of networks (right).",
    ),
    FigureSpec(
        "class-sensitivity", 7, "class_sensitivity", _CS.draw_curves,
        "Cross-validated correlation between each layer (flattened, top SVD directions) and each "
        "class's logit, through the depth of a ResNet, averaged over seeds; 'input' is the raw "
        "pixels. Coloured: the classes decodable earliest and latest.",
    ),
    FigureSpec(
        "class-sensitivity-images", 7, "class_sensitivity", _CS.draw_images,
        "The images that most drive a middle layer's top canonical directions fitted to all class "
        "logits ('cca'), its top label-free SVCCA directions against the same layer of another "
        "network ('svcca'), and its most active single neurons ('neuron'), highest first, titled "
        "with their class.",
        {"kinds": ("direction", "svcca", "neuron")},
    ),
    FigureSpec(
        "layer-identification", 8, "layer_identification", _LI.draw_accuracy,
        "Accuracy of finding the corresponding layer of another network by maximum similarity, "
        "per measure: this run (left) and Kornblith et al. (2019), Table 2 (right; ten Tiny-10 "
        "CNNs on CIFAR-10). Dashed: chance.",
    ),
    FigureSpec(
        "layer-identification-matrices", 8, "layer_identification", _LI.draw_matrices,
        "Seed-averaged similarity between the layers of networks trained from different seeds "
        "(rows: network A, columns: network B); each panel has its own colour scale.",
    ),
    FigureSpec(
        "layer-identification-by-layer", 8, "layer_identification", _LI.draw_by_layer,
        "Fraction of network pairs in which each layer is identified, per measure. Dashed: chance.",
    ),
    FigureSpec(
        "open-autoencoder", 9, "open_questions", open_questions.draw_autoencoder,
        "Similarity between the layers of an autoencoder on the test digits (input, encoder layer, "
        "8-unit code, decoder layer, reconstruction): mean CCA (left) and linear CKA (right); first seed.",
    ),
    FigureSpec(
        "open-compression", 9, "open_questions", open_questions.draw_compression,
        "Test accuracy of a 64-128-10 MLP when its hidden layer is projected onto its top k PCA, PLS "
        "(against the labels) or random directions; first seed.",
    ),
    FigureSpec(
        "open-dynamics", 9, "open_questions", open_questions.draw_dynamics,
        "PWCCA between the last hidden layers of two networks trained from different seeds, over "
        "training, for a pair trained on the true labels and a pair trained on permuted labels.",
    ),
    FigureSpec(
        "open-recording", 9, "open_questions", open_questions.draw_recording,
        "Similarity of each layer of a conv net to a synthetic recording of 60 Poisson neurons driven "
        "by layer conv3, by SVCCA and by linear CKA; first seed.",
    ),
)  # fmt: skip

_BY_NAME = {s.name: s for s in FIGURES}
if len(_BY_NAME) != len(FIGURES):  # pragma: no cover - a typo in the table above
    raise ValueError("two figures share a name in svcca.figures.FIGURES")


def specs() -> list[FigureSpec]:
    """All figures, by chapter, then name.

    Returns
    -------
    list of FigureSpec

    Examples
    --------
    >>> from svcca import figures
    >>> spec = next(s for s in figures.specs() if s.name == "ld-freeze")
    >>> spec.chapter, spec.experiment, spec.draw.__name__
    (5, 'freeze_training', 'draw_freeze')
    """
    return sorted(FIGURES, key=lambda s: (s.chapter, s.name))


def names() -> list[str]:
    """Names of all figures, in the order of :func:`specs`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from svcca import figures
    >>> figures.names()[0]
    'intro-spectrum'
    """
    return [s.name for s in specs()]


def load_experiment(
    name: str, scale: str | None = None, cache_dir: str | Path | None = None, *, progress: bool = False
) -> Any:
    """Load the book experiment ``name`` at ``scale`` into its data class.

    The experiment is run, or loaded from the cache; its data class is what a figure
    function takes.

    Parameters
    ----------
    name : str
        A name of :func:`svcca.experiments.book_experiments` (``"seed_pair"``,
        ``"learning_dynamics.conv"``, ...); its config is :func:`svcca.experiments.book_config`'s.
    scale : {"tiny", "default", "full"}, optional
        Default from ``SVCCA_SCALE``.
    cache_dir : path, optional
        Experiment cache; default :func:`svcca.experiments.default_cache_dir`.
    progress : bool, default False
        Show tqdm progress bars when the experiment is not cached and runs (which can take
        minutes at the default scale).

    Returns
    -------
    The experiment's data class (``SeedPairData``, ``ConvPairData``, ...).

    Examples
    --------
    >>> from svcca.figures import load_experiment
    >>> load_experiment("no_such_experiment")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: no book experiment named 'no_such_experiment'; known: seed_pair, ...
    """
    from ..experiments import book_config, run_or_load

    config = book_config(name, scale)  # checks the name
    module = importlib.import_module(f"svcca.experiments.{name.split('.')[0]}")
    return module.unpack(run_or_load(config, cache_dir, progress=progress))


def _figure_of(drawn: Any) -> Any:
    """Return the Figure of what a drawing function returned (a Figure, Axes or array of Axes)."""
    import numpy as np
    from matplotlib.figure import Figure

    if isinstance(drawn, Figure):
        return drawn
    first = np.asarray(drawn, dtype=object).flat[0] if not hasattr(drawn, "figure") else drawn
    return first.figure


def make_figure(name: str, *, scale: str | None = None, cache_dir: str | Path | None = None) -> Any:
    """Draw the figure ``name`` (running its experiment if no cached result exists).

    Parameters
    ----------
    name : str
        One of :func:`names`.
    scale : {"tiny", "default", "full"}, optional
        Experiment scale; default from ``SVCCA_SCALE``.
    cache_dir : path, optional
        Experiment cache; default :func:`svcca.experiments.default_cache_dir`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from svcca import figures
    >>> fig = figures.make_figure("intro-spectrum")
    >>> fig.axes[0].get_xlabel()
    'canonical direction'
    >>> plt.close(fig)
    """
    return _make(name, scale, cache_dir, {})


def _make(
    name: str, scale: str | None, cache_dir: Any, loaded: dict[str, Any], progress: bool = False
) -> Any:
    from .. import plotting
    from ..experiments import current_scale

    if name not in _BY_NAME:
        raise ValueError(f"unknown figure {name!r}; available: {', '.join(names())}")
    spec = _BY_NAME[name]
    scale = current_scale() if scale is None else scale
    with plotting.style():
        if spec.experiment is None:
            return _figure_of(spec.draw(scale=scale, **spec.options))
        if spec.experiment not in loaded:
            loaded[spec.experiment] = load_experiment(spec.experiment, scale, cache_dir, progress=progress)
        return _figure_of(spec.draw(loaded[spec.experiment], **spec.options))


def save_figures(
    which: Iterable[str] | str,
    out_dir: str | Path,
    *,
    fmt: str = "pdf",
    scale: str | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> list[Path]:
    """Make the figures ``which`` (names, or ``"all"``) and save them as ``out_dir/NAME.fmt``.

    Each experiment is loaded once, however many of the figures draw it.

    Parameters
    ----------
    which : str or iterable of str
        Figure names (:func:`names`), or ``"all"``.
    out_dir : path
        Folder to write to (created if missing).
    fmt : str, default "pdf"
        File format (a format of :data:`svcca.plotting.FORMATS`).
    scale, cache_dir
        As in :func:`make_figure`.
    progress : bool, default False
        Show progress bars while an experiment that is not cached runs.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``which``.

    Examples
    --------
    >>> import tempfile
    >>> from svcca import figures
    >>> with tempfile.TemporaryDirectory() as out:
    ...     [p.name for p in figures.save_figures(["intro-spectrum"], out, fmt="svg")]
    ['intro-spectrum.svg']
    """
    import matplotlib.pyplot as plt

    from ..plotting import save_figure

    if fmt not in ("pdf", "svg", "png"):
        raise ValueError(f"format must be one of 'pdf', 'svg', 'png'; got {fmt!r}")
    wanted = names() if which == "all" else ([which] if isinstance(which, str) else list(which))
    unknown = [w for w in wanted if w not in _BY_NAME]
    if unknown:
        raise ValueError(
            f"unknown figure(s) {', '.join(map(repr, unknown))}; available: {', '.join(names())}"
        )
    out = Path(out_dir)
    loaded: dict[str, Any] = {}
    written = []
    for name in wanted:
        fig = _make(name, scale, cache_dir, loaded, progress)
        path = out / f"{name}.{fmt}"
        save_figure(fig, path)
        plt.close(fig)
        written.append(path)
    return written
