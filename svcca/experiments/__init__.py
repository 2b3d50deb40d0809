"""The papers' experiments: one module per experiment, each a config dataclass + run/load.

Each module defines a frozen ``...Config`` (a subclass of :class:`ExperimentConfig`) with
``tiny``, ``default`` and ``full`` presets (``Config.for_scale(scale)``; the scale comes
from ``SVCCA_SCALE`` when not given) and returns its results through :func:`run_or_load`,
which caches them as ``.npz`` + JSON manifest.
"""

from ._cache import (
    SCALES,
    CacheWriteWarning,
    ExperimentConfig,
    ExperimentResult,
    current_scale,
    default_cache_dir,
    experiments,
    run_or_load,
)

__all__ = [
    "SCALES",
    "CacheWriteWarning",
    "ExperimentConfig",
    "ExperimentResult",
    "current_scale",
    "default_cache_dir",
    "experiments",
    "run_or_load",
]
