"""The papers' experiments: one module per experiment, each a config dataclass + run/load.

Each module defines a frozen ``...Config`` (a subclass of :class:`ExperimentConfig`) with
``tiny``, ``default`` and ``full`` presets (``Config.for_scale(scale)``; the scale comes
from ``SVCCA_SCALE`` when not given; a module without a ``full`` preset, such as
``open_questions``, gives its defaults) and returns its results through
:func:`run_or_load`, which caches them as ``.npz`` + JSON manifest. A config checks its
fields when it is made, before anything runs: its own ranges and combinations, then (for
a :class:`ThreadLimitedConfig`, as every book experiment's is) each field against its
annotation. Its ``...Data`` class (a subclass of
:class:`ExperimentData`) gives named access to the arrays: ``run_or_load(config).data``, or
the module's ``unpack(result)``.
"""

from ._book import BookExperiment, book_config, book_experiments, seed_offset_from_env
from ._cache import (
    SCALES,
    CacheWriteWarning,
    ExperimentConfig,
    ExperimentData,
    ExperimentResult,
    UncheckedCacheWarning,
    config_from_dict,
    config_to_dict,
    current_scale,
    default_cache_dir,
    experiments,
    load_result,
    partial_folder,
    run_or_load,
    stored,
)
from ._claims import (
    Claim,
    ClaimFailure,
    bound_text,
    check_claims,
    claims_markdown,
    recall_claims,
    remember_claims,
    smallest_margin,
)
from ._memo import memoized
from ._toolbox import ConvNetFields, NetworkFields, ThreadLimitedConfig, TrainingConfig

__all__ = [
    "BookExperiment",
    "Claim",
    "ClaimFailure",
    "ConvNetFields",
    "book_config",
    "book_experiments",
    "bound_text",
    "check_claims",
    "claims_markdown",
    "recall_claims",
    "remember_claims",
    "smallest_margin",
    "SCALES",
    "CacheWriteWarning",
    "UncheckedCacheWarning",
    "ExperimentConfig",
    "ExperimentData",
    "ExperimentResult",
    "NetworkFields",
    "ThreadLimitedConfig",
    "TrainingConfig",
    "config_from_dict",
    "config_to_dict",
    "current_scale",
    "default_cache_dir",
    "experiments",
    "load_result",
    "partial_folder",
    "memoized",
    "run_or_load",
    "seed_offset_from_env",
    "stored",
]
