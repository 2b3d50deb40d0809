"""The experiments the book runs: one registry, shared by the chapters, the build and the matrix.

A chapter asks :func:`book_config` for its experiment's config, so the book's build step
(which runs every experiment in parallel before the chapters execute), the robustness
matrix (``svcca claims``) and the chapter itself use the very same config and cache key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ._cache import ExperimentConfig, current_scale

__all__ = ["BookExperiment", "book_experiments", "book_config", "seed_offset_from_env"]


@dataclass(frozen=True)
class BookExperiment:
    """One experiment of the book.

    Attributes
    ----------
    name : str
        Registry name; the prefix of its claims' names (``"learning_dynamics.conv"``).
    chapter : str
        The chapter that shows it (file stem under ``book/chapters``).
    make : callable
        ``make(scale) -> ExperimentConfig``.
    cost : float
        Rough single-thread seconds at the default scale; the build starts the longest
        first so that parallel workers finish together.
    claim_chapters : dict of str -> str
        Chapters of claims shown elsewhere than ``chapter``, by claim-name prefix
        (``{"seed_pair.methods": "03_other_methods"}``).

    Examples
    --------
    >>> from svcca.experiments import book_experiments
    >>> exp = book_experiments()["seed_pair"]
    >>> exp.name, type(exp.make("tiny")).__name__
    ('seed_pair', 'SeedPairConfig')
    """

    name: str
    chapter: str
    make: Callable[[str], ExperimentConfig]
    cost: float = 60.0
    claim_chapters: Mapping[str, str] = field(default_factory=dict)

    def chapter_of(self, claim: str) -> str:
        """Name the chapter that states ``claim`` (a claim name of this experiment)."""
        for prefix, chapter in self.claim_chapters.items():
            if claim == prefix or claim.startswith(prefix + "."):
                return chapter
        return self.chapter


def _registry() -> tuple[BookExperiment, ...]:
    # imported here: the experiment modules import torch-side code lazily, and the
    # registry must not pay for that at `import svcca.experiments`
    from .class_sensitivity import ClassSensitivityConfig
    from .conv_pair import ConvPairConfig
    from .freeze_training import FreezeTrainingConfig
    from .generalization import GeneralizationConfig
    from .layer_identification import LayerIdentificationConfig
    from .learning_dynamics import LearningDynamicsConfig
    from .open_questions import OpenQuestionsConfig
    from .pwcca_noise import PWCCANoiseConfig
    from .seed_pair import SeedPairConfig
    from .width import WidthConfig

    def ld(model: str) -> Callable[[str], ExperimentConfig]:
        return lambda scale: LearningDynamicsConfig.for_scale(scale, model=model)

    return (
        BookExperiment(
            "seed_pair",
            "01_cca",
            SeedPairConfig.for_scale,
            120,
            {"seed_pair.methods": "03_other_methods", "seed_pair.significance": "04_significance"},
        ),
        BookExperiment("conv_pair", "02_conv_layers", ConvPairConfig.for_scale, 100),
        BookExperiment("learning_dynamics.conv", "05_learning_dynamics", ld("conv"), 180),
        BookExperiment("learning_dynamics.resnet", "05_learning_dynamics", ld("resnet"), 60),
        BookExperiment("learning_dynamics.lstm", "05_learning_dynamics", ld("lstm"), 70),
        BookExperiment("learning_dynamics.mlp", "05_learning_dynamics", ld("mlp"), 30),
        BookExperiment("learning_dynamics.plain", "05_learning_dynamics", ld("plain"), 60),
        BookExperiment("freeze_training", "05_learning_dynamics", FreezeTrainingConfig.for_scale, 150),
        BookExperiment("generalization", "06_generalization", GeneralizationConfig.for_scale, 150),
        BookExperiment("width", "06_generalization", WidthConfig.for_scale, 80),
        BookExperiment("pwcca_noise", "06_generalization", PWCCANoiseConfig.for_scale, 15),
        BookExperiment("class_sensitivity", "07_class_sensitivity", ClassSensitivityConfig.for_scale, 120),
        BookExperiment("layer_identification", "08_when_cca_fails", LayerIdentificationConfig.for_scale, 200),
        BookExperiment("open_questions", "09_open_questions", OpenQuestionsConfig.for_scale, 80),
    )


def book_experiments() -> dict[str, BookExperiment]:
    """List every experiment the book runs, by registry name, in the book's order.

    Returns
    -------
    dict of str -> BookExperiment

    Examples
    --------
    >>> names = list(book_experiments())
    >>> names[:2]
    ['seed_pair', 'conv_pair']
    """
    return {e.name: e for e in _registry()}


def seed_offset_from_env() -> int:
    """Read ``$SVCCA_SEED_OFFSET`` as an int (default 0): the book built under a seed variant.

    :func:`book_config` and ``data_scripts/run_experiment.py`` add it to every seed of an
    experiment (:meth:`ExperimentConfig.with_seed_offset`).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        When the variable holds something other than an integer.

    Examples
    --------
    >>> import os
    >>> from svcca.experiments import seed_offset_from_env
    >>> saved = os.environ.pop("SVCCA_SEED_OFFSET", None)   # unset: no offset
    >>> before = seed_offset_from_env()
    >>> os.environ["SVCCA_SEED_OFFSET"] = "2"
    >>> before, seed_offset_from_env()
    (0, 2)
    >>> if saved is None: del os.environ["SVCCA_SEED_OFFSET"]
    ... else: os.environ["SVCCA_SEED_OFFSET"] = saved
    """
    raw = os.environ.get("SVCCA_SEED_OFFSET", "0").strip() or "0"
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"SVCCA_SEED_OFFSET must be an integer; got {raw!r}") from None


def book_config(name: str, scale: str | None = None, seed_offset: int | None = None) -> ExperimentConfig:
    """Build the config of one of the book's experiments.

    Parameters
    ----------
    name : str
        A name of :func:`book_experiments` (e.g. ``"learning_dynamics.conv"``).
    scale : {"tiny", "default", "full"}, optional
        Default: ``$SVCCA_SCALE`` or ``"default"``.
    seed_offset : int, optional
        Added to every seed of the experiment; default ``$SVCCA_SEED_OFFSET`` or 0.

    Returns
    -------
    ExperimentConfig

    Examples
    --------
    >>> cfg = book_config("seed_pair", scale="tiny", seed_offset=1)
    >>> cfg.seeds
    (1, 2)
    """
    registry = book_experiments()
    if name not in registry:
        raise ValueError(f"no book experiment named {name!r}; known: {', '.join(registry)}")
    scale = current_scale() if scale is None else scale
    offset = seed_offset_from_env() if seed_offset is None else int(seed_offset)
    return registry[name].make(scale).with_seed_offset(offset)
