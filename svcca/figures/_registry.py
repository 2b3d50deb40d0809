"""The registry behind ``svcca figures``."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FigureSpec", "register", "names", "specs", "make_figure", "save_figures"]


@dataclass(frozen=True)
class FigureSpec:
    """A figure of the book: its name, chapter, caption and the function that draws it.

    ``make(scale=..., cache_dir=...)`` returns a matplotlib Figure.
    """

    name: str
    chapter: int
    caption: str
    make: Callable[..., Any]


_REGISTRY: dict[str, FigureSpec] = {}


def register(name: str, chapter: int, caption: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering ``f(*, scale, cache_dir) -> Figure`` under ``name``."""

    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name].make is not f:
            raise ValueError(f"figure {name!r} is already registered")
        _REGISTRY[name] = FigureSpec(name=name, chapter=chapter, caption=caption, make=f)
        return f

    return deco


def _load_all() -> None:
    """Import every figure module of ``svcca.figures`` (one per chapter or experiment):
    importing one registers its figures."""
    import pkgutil

    from .. import figures

    for info in pkgutil.iter_modules(figures.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"svcca.figures.{info.name}")


def specs() -> list[FigureSpec]:
    """All registered figures, by chapter then name."""
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda s: (s.chapter, s.name))


def names() -> list[str]:
    """Names of all registered figures."""
    return [s.name for s in specs()]


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
    """
    _load_all()
    if name not in _REGISTRY:
        raise ValueError(f"unknown figure {name!r}; available: {', '.join(names())}")
    from ..experiments import current_scale

    scale = current_scale() if scale is None else scale
    return _REGISTRY[name].make(scale=scale, cache_dir=cache_dir)


def save_figures(
    which: Iterable[str] | str,
    out_dir: str | Path,
    *,
    fmt: str = "pdf",
    scale: str | None = None,
    cache_dir: str | Path | None = None,
) -> list[Path]:
    """Make the figures ``which`` (names, or ``"all"``) and save them as ``out_dir/NAME.fmt``."""
    import matplotlib.pyplot as plt

    from ..plotting import save_figure

    if fmt not in ("pdf", "svg", "png"):
        raise ValueError(f"format must be one of 'pdf', 'svg', 'png'; got {fmt!r}")
    wanted = names() if which == "all" else ([which] if isinstance(which, str) else list(which))
    unknown = [w for w in wanted if w not in names()]
    if unknown:
        raise ValueError(
            f"unknown figure(s) {', '.join(map(repr, unknown))}; available: {', '.join(names())}"
        )
    out = Path(out_dir)
    written = []
    for name in wanted:
        fig = make_figure(name, scale=scale, cache_dir=cache_dir)
        path = out / f"{name}.{fmt}"
        save_figure(fig, path)
        plt.close(fig)
        written.append(path)
    return written
