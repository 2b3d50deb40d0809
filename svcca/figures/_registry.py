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

    Attributes
    ----------
    name : str
        The name ``svcca figures`` and :func:`make_figure` know it by.
    chapter : int
        The book chapter that shows it (0 is the introduction).
    caption : str
        The caption the chapter gives it.
    make : callable
        ``make(*, scale, cache_dir)`` returns a matplotlib Figure.

    Examples
    --------
    >>> from svcca.figures import specs
    >>> spec = next(s for s in specs() if s.name == "intro-spectrum")
    >>> spec.chapter, spec.caption.split()[0]
    (0, 'Canonical')
    """

    name: str
    chapter: int
    caption: str
    make: Callable[..., Any]


_REGISTRY: dict[str, FigureSpec] = {}


def register(name: str, chapter: int, caption: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated ``f(*, scale, cache_dir) -> Figure`` as the figure ``name``.

    Parameters
    ----------
    name : str
        The figure's name; registering another function under a taken name is an error.
    chapter : int
        The book chapter that shows it.
    caption : str
        Its caption.

    Returns
    -------
    callable
        The decorator; it returns ``f`` unchanged.

    Raises
    ------
    ValueError
        When ``name`` is already registered to another function.

    Examples
    --------
    >>> from svcca.figures import register
    >>> deco = register("intro-spectrum", chapter=0, caption="")
    >>> deco(lambda *, scale, cache_dir: None)
    Traceback (most recent call last):
    ...
    ValueError: figure 'intro-spectrum' is already registered
    """

    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name].make is not f:
            raise ValueError(f"figure {name!r} is already registered")
        _REGISTRY[name] = FigureSpec(name=name, chapter=chapter, caption=caption, make=f)
        return f

    return deco


def _load_all() -> None:
    """Import every figure module of ``svcca.figures`` (one per chapter or experiment).

    Importing a module registers its figures.
    """
    import pkgutil

    from .. import figures

    for info in pkgutil.iter_modules(figures.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"svcca.figures.{info.name}")


def specs() -> list[FigureSpec]:
    """List all registered figures, by chapter then name.

    Returns
    -------
    list of FigureSpec

    Examples
    --------
    >>> from svcca.figures import specs
    >>> first = specs()[0]
    >>> first.chapter, first.name
    (0, 'intro-spectrum')
    """
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda s: (s.chapter, s.name))


def names() -> list[str]:
    """List the names of all registered figures, by chapter then name.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from svcca.figures import names
    >>> names()[0], "layer-identification" in names()
    ('intro-spectrum', True)
    """
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

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For a name that is not registered; the message lists the registered ones.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from svcca.figures import make_figure
    >>> fig = make_figure("intro-spectrum", scale="tiny")
    >>> len(fig.axes)
    1
    >>> plt.close(fig)
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
    """Make the figures ``which`` and save them as ``out_dir/NAME.fmt``.

    Parameters
    ----------
    which : str or iterable of str
        A figure name, several names, or ``"all"``.
    out_dir : path
        The folder to write into (created if missing).
    fmt : {"pdf", "svg", "png"}, default="pdf"
        File format.
    scale : {"tiny", "default", "full"}, optional
        Experiment scale; default from ``SVCCA_SCALE``.
    cache_dir : path, optional
        Experiment cache; default :func:`svcca.experiments.default_cache_dir`.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``which``.

    Raises
    ------
    ValueError
        For an unknown format or figure name; the message lists the allowed ones.

    Examples
    --------
    >>> import tempfile
    >>> from svcca.figures import save_figures
    >>> with tempfile.TemporaryDirectory() as out:
    ...     [p.name for p in save_figures("intro-spectrum", out, fmt="png", scale="tiny")]
    ['intro-spectrum.png']
    """
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
