"""Curves over depth and over training.

Learning dynamics, group comparisons, class sensitivity, layer identification and
intrinsic dimensionality.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np

from .._docs import fill_doc
from .._typing import ArrayOrTensor
from .._validation import check_option
from ._inputs import as_float, attr, layer_positions, set_layer_ticks, slant_xticklabels
from ._style import MARK_COLOR, PALETTE, depth_colors, finish_axes, new_axes, plain_log_labels, unit_ylim

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_class_sensitivity",
    "plot_group_comparison",
    "plot_intrinsic_dimensionality",
    "plot_layer_identification",
    "plot_learning_dynamics",
]


def _check_level(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    return float(level)


def _sequence(labels: Any, name: str) -> Any:
    """``labels``, refusing one string (its characters would silently become the labels)."""
    if isinstance(labels, str):
        raise TypeError(f"{name} must be a sequence of names; got the string {labels!r}")
    return labels


def _real(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return float(value)


@fill_doc
def plot_learning_dynamics(
    steps: ArrayOrTensor,
    sims: ArrayOrTensor,
    layer_labels: Any = None,
    *,
    ax: Axes | None = None,
    logx: bool = False,
    cmap: Any = "viridis",
    legend: bool | str = "auto",
    xlabel: str = "training step",
    ylabel: str = "similarity to final",
) -> Axes:
    """Plot each layer's similarity over training, coloured by depth (shallow dark, deep light).

    Parameters
    ----------
    steps : array-like of shape (n_checkpoints,)
        Training step or epoch of each checkpoint, in any order (the curves join them by
        increasing step).
    sims : array-like of shape (n_checkpoints, n_layers)
        Similarity of each layer at each checkpoint (typically to its final state).
    layer_labels : sequence of str, optional
        One label per layer, shallow to deep; default ``"1"``, ``"2"``, ... under a legend
        title ``"layer"``.
    %(ax)s
    logx : bool, default False
        Logarithmic step axis (symmetric-log with a linear part up to the first positive
        step when the steps include 0, as checkpoint schedules often do).
    cmap : str or colormap, default "viridis"
        Sequential map for depth.
    legend : bool or "auto", default "auto"
        ``"auto"``: a legend for up to 8 layers, a depth colour bar beyond.
    %(xlabel_ylabel)s

    %(returns_axes)s

    Raises
    ------
    ValueError
        When ``sims`` is not ``(len(steps), n_layers)``, the labels do not match the layers,
        or ``logx`` is asked for without a positive step.

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> from svcca.plotting import plot_learning_dynamics
    >>> steps = np.array([0, 1, 2, 5, 10, 20])
    >>> rates = np.array([1.0, 0.5, 0.2])                 # lower layers converge first
    >>> sims = 1 - np.exp(-np.outer(steps + 1, rates))
    >>> ax = plot_learning_dynamics(steps, sims, ["conv1", "conv2", "fc"], logx=True)
    >>> len(ax.lines), ax.get_xscale()
    (3, 'symlog')
    >>> plt.close(ax.figure)
    """
    t = as_float(steps, "steps", ndim=1)
    s = as_float(sims, "sims", ndim=2, finite=False)
    if s.shape[0] != t.size:
        raise ValueError(
            f"sims must have shape (n_checkpoints, n_layers) with n_checkpoints = len(steps) = {t.size}; "
            f"got sims.shape={s.shape}"
        )
    order = np.argsort(t, kind="stable")  # checkpoints in listing order (ckpt_10 before ckpt_2)
    t, s = t[order], s[order]
    n_layers = s.shape[1]
    if layer_labels is None:
        labels = [str(i + 1) for i in range(n_layers)]
    else:
        labels = [str(v) for v in _sequence(layer_labels, "layer_labels")]
        if len(labels) != n_layers:
            raise ValueError(
                f"layer_labels must have one label per layer (sims.shape[1] = {n_layers}); got {len(labels)}"
            )
    if legend not in (True, False, "auto"):
        raise ValueError(f"legend must be True, False or 'auto'; got {legend!r}")
    if logx and not np.any(t > 0):
        raise ValueError(f"logx needs at least one positive step; got steps from {t.min():g} to {t.max():g}")
    ax = new_axes(ax)
    colors = depth_colors(n_layers, cmap)
    for j in range(n_layers):
        ax.plot(t, s[:, j], color=colors[j], label=labels[j], marker="o" if t.size <= 25 else None)
    if logx:
        if t.min() > 0:
            ax.set_xscale("log")
        else:
            ax.set_xscale("symlog", linthresh=float(t[t > 0].min()), linscale=0.5)
        if np.allclose(t, np.round(t)):
            plain_log_labels(ax.xaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    unit_ylim(ax, s)
    use_legend = legend is True or (legend == "auto" and n_layers <= 8)
    if use_legend:
        ax.legend(title="layer" if layer_labels is None else None)
    elif legend == "auto":
        cm = mpl.colors.ListedColormap(colors)
        norm = mpl.colors.BoundaryNorm(np.arange(n_layers + 1) - 0.5, n_layers)
        cb = ax.figure.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cm), ax=ax, label="layer")
        ticks = np.unique(np.linspace(0, n_layers - 1, min(n_layers, 6)).round().astype(int))
        cb.set_ticks(ticks.tolist(), labels=[labels[i] for i in ticks])
        cb.outline.set_visible(False)
    return ax


def _interval_of(obj: Any) -> tuple[Any, Any, Any] | None:
    """``(centre, lower, upper)`` of an interval result or mapping, or None if it is not one."""
    if isinstance(obj, np.ndarray) or np.isscalar(obj):
        return None
    centre = attr(obj, "mean", "observed")
    lower = attr(obj, "lower", "low")
    upper = attr(obj, "upper", "high")
    if centre is None or lower is None or upper is None:
        return None
    return centre, lower, upper


def _group_summary(
    name: str, spec: Any, n_layers: int, interval: str, level: float
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(mean, lower, upper)`` of one group, from interval results, a (mean, lo, hi) triple or samples."""
    per_layer = [_interval_of(r) for r in spec] if isinstance(spec, (list, tuple)) else []
    whole = _interval_of(spec)
    if per_layer and all(iv is not None for iv in per_layer):
        # one interval result per layer, e.g. svcca.stats.bootstrap_ci (observed, low, high)
        parts = [np.array(v, dtype=float) for v in zip(*per_layer)]
    elif isinstance(spec, tuple) and len(spec) == 3:
        parts = [as_float(p, f"groups[{name!r}][{i}]", ndim=1) for i, p in enumerate(spec)]
    elif whole is not None:
        parts = [
            as_float(v, f"groups[{name!r}].{k}", ndim=1) for k, v in zip(("mean", "lower", "upper"), whole)
        ]
    else:
        samples = as_float(spec, f"groups[{name!r}]", ndim=(1, 2))
        if samples.ndim == 1:
            samples = samples[None, :]
        if samples.shape[1] != n_layers:
            raise ValueError(
                f"groups[{name!r}] samples must have shape (n_samples, n_layers) with n_layers = {n_layers}; "
                f"got shape {samples.shape}"
            )
        n = samples.shape[0]
        mean = samples.mean(0)
        if n < 2:
            return mean, None, None
        if interval == "ci":
            from scipy import stats as _sps  # imported here: it is slow to import

            half = _sps.t.ppf(0.5 + level / 2.0, n - 1) * samples.std(0, ddof=1) / np.sqrt(n)
            return mean, mean - half, mean + half
        if interval == "sd":
            sd = samples.std(0, ddof=1)
            return mean, mean - sd, mean + sd
        lo, hi = np.percentile(samples, [50.0 * (1.0 - level), 100.0 - 50.0 * (1.0 - level)], axis=0)
        return mean, lo, hi
    mean, lo, hi = parts
    for label, p in zip(("mean", "lower", "upper"), parts):
        if p.size != n_layers:
            raise ValueError(
                f"groups[{name!r}] {label} must have one value per layer ({n_layers}); got shape {p.shape}"
            )
    if np.any(lo > hi):
        raise ValueError(f"groups[{name!r}]: lower must not exceed upper")
    return mean, lo, hi


@fill_doc
def plot_group_comparison(
    layers: Any,
    groups: Mapping[str, Any],
    *,
    ax: Axes | None = None,
    interval: str = "ci",
    level: float = 0.95,
    kind: str = "errorbar",
    xlabel: str = "layer",
    ylabel: str = "similarity",
) -> Axes:
    """Compare groups layer by layer (e.g. generalizing vs memorizing networks), with intervals.

    Parameters
    ----------
    layers : sequence of length n_layers
        Layer labels (strings: categorical ticks) or positions (numbers).
    groups : mapping of str to summary or samples
        For each group, one of: a tuple ``(mean, lower, upper)`` of arrays of length
        ``n_layers`` (or an object/mapping with ``mean``, ``lower``, ``upper``); a list of
        one interval result per layer (anything with ``observed``/``mean`` and
        ``low``/``lower``, ``high``/``upper``, such as :func:`svcca.stats.bootstrap_ci`'s);
        or samples of shape ``(n_samples, n_layers)`` (e.g. one row per pair of networks),
        summarised as their mean and an ``interval``.
    %(ax)s
    interval : {"ci", "sd", "percentile"}, default "ci"
        For samples: Student-t ``level`` confidence interval of the mean, mean ± one standard
        deviation, or the central ``level`` percentile range of the samples.
    level : float, default 0.95
        Coverage of ``"ci"`` and ``"percentile"``.
    kind : {"errorbar", "band"}, default "errorbar"
        Points with error bars (dodged sideways so groups do not overlap), or lines with
        shaded bands.
    %(xlabel_ylabel)s

    %(returns_axes)s

    Raises
    ------
    ValueError
        When a group's arrays do not have one value per layer, or lower exceeds upper.

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> from svcca.plotting import plot_group_comparison
    >>> rng = np.random.default_rng(0)
    >>> layers = ["l1", "l2", "l3", "l4"]
    >>> gen = 0.9 - 0.05 * np.arange(4) + 0.02 * rng.standard_normal((10, 4))
    >>> mem = 0.9 - 0.15 * np.arange(4) + 0.02 * rng.standard_normal((10, 4))
    >>> ax = plot_group_comparison(layers, {"generalizing": gen, "memorizing": mem})
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['generalizing', 'memorizing']
    >>> plt.close(ax.figure)
    """
    check_option(interval, "interval", ("ci", "sd", "percentile"))
    check_option(kind, "kind", ("errorbar", "band"))
    level = _check_level(level)
    if not isinstance(groups, Mapping) or not groups:
        raise TypeError(
            f"groups must be a non-empty mapping of name -> summary or samples; got {groups!r:.60}"
        )
    n_layers = len(layers)
    x, ticklabels = layer_positions(layers, n_layers, "layers")
    summaries = {str(k): _group_summary(str(k), v, n_layers, interval, level) for k, v in groups.items()}
    ax = new_axes(ax)
    n_groups = len(summaries)
    spacing = float(np.min(np.diff(np.sort(x)))) if n_layers > 1 else 1.0
    dodge = 0.12 * spacing if kind == "errorbar" and n_groups > 1 else 0.0
    for g, (name, (mean, lo, hi)) in enumerate(summaries.items()):
        xg = x + (g - (n_groups - 1) / 2.0) * dodge
        if kind == "errorbar":
            if lo is None or hi is None or np.all((lo <= mean) & (mean <= hi)):
                yerr = None if lo is None else np.vstack([mean - lo, hi - mean])
                ax.errorbar(xg, mean, yerr=yerr, marker="o", label=name)
            else:  # an interval beside its estimate (a biased statistic's bootstrap): drawn as it is
                (line,) = ax.plot(xg, mean, marker="o", label=name)
                ax.vlines(xg, lo, hi, color=line.get_color())
        else:
            (line,) = ax.plot(xg, mean, marker="o", label=name)
            if lo is not None and hi is not None:
                ax.fill_between(xg, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    set_layer_ticks(ax, x, ticklabels)
    return finish_axes(ax, xlabel, ylabel, *[v for s in summaries.values() for v in s])


@fill_doc
def plot_class_sensitivity(
    layer_labels: Any,
    sims: ArrayOrTensor,
    class_names: Any = None,
    *,
    ax: Axes | None = None,
    highlight: Any = None,
    xlabel: str = "layer",
    ylabel: str = "similarity to class logit",
) -> Axes:
    """Plot, for each class, a similarity through the depth of a network (one curve per class).

    Parameters
    ----------
    layer_labels : sequence of length n_layers
        Layer names (categorical ticks) or positions.
    sims : array-like of shape (n_layers, n_classes)
        E.g. the CCA similarity between each layer and each class's logit.
    class_names : sequence of str, optional
        One name per class; default ``"0"``, ``"1"``, ...
    %(ax)s
    highlight : sequence of class names or indices, optional
        Draw these classes in colour (and in the legend) and all others in light grey.
    %(xlabel_ylabel)s

    %(returns_axes)s

    Raises
    ------
    ValueError
        When ``sims`` is not ``(len(layer_labels), len(class_names))`` or a highlighted
        class is unknown.

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> from svcca.plotting import plot_class_sensitivity
    >>> depth = np.linspace(0, 1, 5)[:, None]
    >>> sims = depth ** np.array([[0.5, 1.0, 3.0]])    # early, middle and late classes
    >>> ax = plot_class_sensitivity(range(1, 6), sims, ["fire engine", "husky", "terrier"],
    ...                             highlight=["husky"])
    >>> len(ax.lines), [t.get_text() for t in ax.get_legend().get_texts()]
    (3, ['other classes', 'husky'])
    >>> plt.close(ax.figure)
    """
    s = as_float(sims, "sims", ndim=2, finite=False)
    n_layers, n_classes = s.shape
    layer_list = list(_sequence(layer_labels, "layer_labels")) if layer_labels is not None else None
    if layer_list is not None and len(layer_list) != n_layers:
        raise ValueError(
            "sims must have shape (n_layers, n_classes) with "
            f"n_layers = len(layer_labels) = {len(layer_list)}; got sims.shape={s.shape}"
        )
    names = (
        [str(i) for i in range(n_classes)]
        if class_names is None
        else [str(c) for c in _sequence(class_names, "class_names")]
    )
    if len(names) != n_classes:
        raise ValueError(
            f"sims must have shape (n_layers, n_classes) with n_classes = len(class_names) = {len(names)}; "
            f"got sims.shape={s.shape}"
        )
    x, ticklabels = layer_positions(layer_list, n_layers, "layer_labels")
    chosen: list[int] = []
    if highlight is not None:
        items = [highlight] if isinstance(highlight, (str, numbers.Integral)) else list(highlight)
        for h in items:
            if isinstance(h, numbers.Integral) and not isinstance(h, bool) and 0 <= int(h) < n_classes:
                c = int(h)
            elif str(h) in names:
                c = names.index(str(h))
            else:
                raise ValueError(f"highlight {h!r} is not a class; classes are {names}")
            if c not in chosen:  # a class named twice is drawn (and listed in the legend) once
                chosen.append(c)
    ax = new_axes(ax)
    marker = "o" if n_layers <= 25 else None
    if chosen:
        first = True
        for c in range(n_classes):
            if c in chosen:
                continue
            ax.plot(
                x, s[:, c], color="0.78", linewidth=0.8, zorder=1, label="other classes" if first else None
            )
            first = False
        for i, c in enumerate(chosen):
            ax.plot(x, s[:, c], color=PALETTE[i % len(PALETTE)], marker=marker, zorder=3, label=names[c])
    else:
        styles = ["-", "--", ":"]
        for c in range(n_classes):
            ax.plot(
                x,
                s[:, c],
                color=PALETTE[c % len(PALETTE)],
                linestyle=styles[(c // len(PALETTE)) % len(styles)],
                marker=marker,
                label=names[c],
            )
    set_layer_ticks(ax, x, ticklabels)
    return finish_axes(ax, xlabel, ylabel, s, ncols=2 if (len(chosen) or n_classes) > 5 else 1)


@fill_doc
def plot_layer_identification(
    accuracies: Mapping[str, Any],
    *,
    ax: Axes | None = None,
    chance: float | None = None,
    layers: Any = None,
    annotate: bool = True,
    xlabel: str | None = None,
    ylabel: str = "identification accuracy",
) -> Axes:
    """Plot the layer-identification accuracy of several measures (Kornblith et al. 2019).

    Parameters
    ----------
    accuracies : mapping of measure name to float, or to array-like of shape (n_layers,)
        One accuracy per measure (bars), or one per layer per measure (curves over depth).
    %(ax)s
    chance : float, optional
        Chance accuracy, drawn as a dashed line (``1 / n_layers`` for the test).
    layers : sequence, optional
        Layer labels for per-layer accuracies.
    annotate : bool, default True
        Write each bar's value above it.
    xlabel : str, optional
        Default ``"measure"`` for bars and ``"layer"`` for curves.
    ylabel : str
        Axis label.

    %(returns_axes)s

    Raises
    ------
    ValueError
        When the values mix floats and arrays, or per-layer arrays differ in length.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from svcca.plotting import plot_layer_identification
    >>> acc = {"cca": 0.5, "svcca": 0.6, "pwcca": 0.7, "linear cka": 0.95}
    >>> ax = plot_layer_identification(acc, chance=0.1)
    >>> len(ax.patches)
    4
    >>> plt.close(ax.figure)
    """
    if not isinstance(accuracies, Mapping) or not accuracies:
        raise TypeError(
            f"accuracies must be a non-empty mapping of measure -> accuracy; got {accuracies!r:.60}"
        )
    names = [str(k) for k in accuracies]
    scalar = [
        isinstance(v, numbers.Real) and not isinstance(v, bool) or np.ndim(v) == 0
        for v in accuracies.values()
    ]
    ax = new_axes(ax)
    if all(scalar):
        vals = np.array([_real(float(v), f"accuracies[{n!r}]") for n, v in zip(names, accuracies.values())])
        x = np.arange(len(names))
        bars = ax.bar(x, vals, color=PALETTE[0], width=0.65)
        ax.set_xticks(x, names)
        if len(names) > 4 and max(len(n) for n in names) > 6:
            slant_xticklabels(ax, 30)
        if annotate:
            ax.bar_label(bars, fmt="%.2f", padding=1.5, fontsize="small")
        ax.grid(False, axis="x")
        allvals = vals
    elif not any(scalar):
        arrays = [as_float(v, f"accuracies[{n!r}]", ndim=1) for n, v in zip(names, accuracies.values())]
        sizes = {a.size for a in arrays}
        if len(sizes) != 1:
            shapes = ", ".join(f"{n}: {a.shape}" for n, a in zip(names, arrays))
            raise ValueError(f"per-layer accuracies must all have the same length; got {shapes}")
        n_layers = arrays[0].size
        x, ticklabels = layer_positions(layers, n_layers, "layers")
        for n, a in zip(names, arrays):
            ax.plot(x, a, marker="o", label=n)
        set_layer_ticks(ax, x, ticklabels)
        allvals = np.concatenate(arrays)
    else:
        raise ValueError(
            "accuracies must map every measure to a float, or every measure to per-layer arrays; got a mix"
        )
    if chance is not None:
        ax.axhline(_real(chance, "chance"), color=MARK_COLOR, linestyle="--", linewidth=0.9, label="chance")
    if xlabel is None:
        xlabel = "measure" if all(scalar) else "layer"
    return finish_axes(ax, xlabel, ylabel, allvals, top=1.08 if all(scalar) and annotate else 1.02)


@fill_doc
def plot_intrinsic_dimensionality(
    ks: ArrayOrTensor,
    accuracies: ArrayOrTensor | Mapping[str, ArrayOrTensor],
    *,
    full_accuracy: float | None = None,
    chance: float | None = None,
    ax: Axes | None = None,
    logx: bool | str = "auto",
    label: str | None = None,
    xlabel: str = "number of kept directions",
    ylabel: str = "test accuracy",
) -> Axes:
    """Plot accuracy as a function of the number of directions a layer is projected onto.

    The SVCCA paper's "intrinsic dimensionality" figure: a layer's activations projected onto
    its top ``k`` (SVCCA, PCA, ...) directions recover the full network's accuracy at a ``k``
    much smaller than the layer's width.

    Parameters
    ----------
    ks : array-like of shape (n_ks,)
        Numbers of kept directions (positive), in any order (the curves join them by
        increasing ``k``).
    accuracies : array-like of shape (n_ks,) or (n_ks, n_repeats), or a mapping of such
        Accuracy at each ``k``; repeats (e.g. seeds) are drawn as their mean with a min-max
        band. A mapping draws one curve per entry (e.g. ``{"svcca directions": ...,
        "random directions": ...}``).
    full_accuracy : float, optional
        Accuracy of the unprojected network, a dashed reference line.
    chance : float, optional
        Chance accuracy, a dotted reference line.
    %(ax)s
    logx : bool or "auto", default "auto"
        Log-scaled ``k`` axis; ``"auto"`` when ``ks`` spans a factor of 10 or more.
    label : str, optional
        Legend label for a single curve.
    %(xlabel_ylabel)s

    %(returns_axes)s

    Raises
    ------
    ValueError
        When ``ks`` are not positive or an accuracy array does not have ``len(ks)`` rows.

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> from svcca.plotting import plot_intrinsic_dimensionality
    >>> ks = np.array([1, 2, 4, 8, 16, 32, 64])
    >>> acc = 0.97 - 0.8 * np.exp(-ks / 4)
    >>> ax = plot_intrinsic_dimensionality(ks, {"top svcca directions": acc}, full_accuracy=0.97, chance=0.1)
    >>> len(ax.lines), ax.get_xscale()
    (3, 'log')
    >>> plt.close(ax.figure)
    """
    k = as_float(ks, "ks", ndim=1)
    if np.any(k <= 0):
        raise ValueError(f"ks must be positive numbers of directions; got min {k.min():g}")
    order = np.argsort(k, kind="stable")
    k = k[order]
    curves = (
        {str(n): v for n, v in accuracies.items()} if isinstance(accuracies, Mapping) else {label: accuracies}
    )
    if not curves:
        raise ValueError("accuracies must not be empty")
    if logx not in (True, False, "auto"):
        raise ValueError(f"logx must be True, False or 'auto'; got {logx!r}")
    ax = new_axes(ax)
    allvals = []
    for name, v in curves.items():
        a = as_float(v, "accuracies" if name is None else f"accuracies[{name!r}]", ndim=(1, 2))
        if a.shape[0] != k.size:
            raise ValueError(
                f"accuracies must have len(ks) = {k.size} rows (n_ks, [n_repeats]); got shape {a.shape}"
            )
        a = a[order]
        allvals.append(a.ravel())
        if a.ndim == 2:
            (line,) = ax.plot(k, a.mean(1), marker="o", label=name)
            ax.fill_between(k, a.min(1), a.max(1), color=line.get_color(), alpha=0.2, linewidth=0)
        else:
            ax.plot(k, a, marker="o", label=name)
    if full_accuracy is not None:
        ax.axhline(
            _real(full_accuracy, "full_accuracy"),
            color=MARK_COLOR,
            linestyle="--",
            linewidth=0.9,
            label="full layer",
        )
    if chance is not None:
        ax.axhline(_real(chance, "chance"), color=MARK_COLOR, linestyle=":", linewidth=0.9, label="chance")
    if logx is True or (logx == "auto" and k.max() / k.min() >= 10):
        ax.set_xscale("log")
        plain_log_labels(ax.xaxis)
    return finish_axes(ax, xlabel, ylabel, *allvals)
