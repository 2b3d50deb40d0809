"""Figures of chapter 6 ("Generalizing vs memorizing networks") and of the width result.

The drawing helpers take the unpacked results
(:func:`svcca.experiments.generalization.unpack`, :func:`svcca.experiments.width.unpack`)
and are what the chapter and ``svcca figures`` (its table) both call, so ``svcca figures`` draws
exactly what the book shows.
"""

from __future__ import annotations

from typing import Any

from .._docs import fill_doc
from ._layout import panel_axes

__all__ = [
    "GROUP_LABELS",
    "MEASURE_LABELS",
    "draw_group_comparison",
    "draw_measures",
    "draw_svcca_caveat",
    "draw_width",
]

#: Axis labels of the measures (lowercase, house style).
MEASURE_LABELS = {"pwcca": "pwcca", "cca": "mean cca", "svcca": "svcca (99% variance)", "cka": "linear cka"}

#: Legend labels of the kinds of pairs.
GROUP_LABELS = {
    "GG": "generalizing pairs (GG)",
    "MM": "memorizing pairs (MM)",
    "GM": "between groups (GM)",
}


def _short(layers: Any) -> list[str]:
    return [name.replace("conv", "c") if len(layers) > 6 else name for name in layers]


@fill_doc
def draw_group_comparison(
    data: Any, measure: str = "pwcca", ax: Any = None, *, n_resamples: int = 2000, legend: bool = True
) -> Any:
    """Mean similarity of GG, MM and GM pairs per layer, with 95% network-bootstrap intervals.

    Parameters
    ----------
    data : GeneralizationData
    measure : str, default "pwcca"
    %(ax)s
    n_resamples : int, default 2000
        Bootstrap replicates (networks resampled within each group).
    legend : bool, default True

    Returns
    -------
    matplotlib Axes
    """
    from .. import plotting

    groups = {
        GROUP_LABELS[k]: data.intervals(measure, k, n_resamples=n_resamples) for k in ("GG", "MM", "GM")
    }
    ax = plotting.plot_group_comparison(
        _short(data.layers), groups, ax=ax, ylabel=MEASURE_LABELS.get(measure, measure)
    )
    if not legend and ax.get_legend() is not None:
        ax.get_legend().remove()
    return ax


def draw_measures(
    data: Any, measures: Any = ("cca", "cka"), axes: Any = None, *, n_resamples: int = 2000
) -> Any:
    """:func:`draw_group_comparison` for several measures side by side (legend on the first)."""
    measures = list(measures)
    axes = panel_axes(axes, len(measures), aspect=0.38)
    for i, (ax, m) in enumerate(zip(axes, measures)):
        draw_group_comparison(data, m, ax=ax, n_resamples=n_resamples, legend=i == 0)
    return axes


def draw_svcca_caveat(data: Any, axes: Any = None, *, n_resamples: int = 2000) -> Any:
    """SVCCA (99% variance) per layer and group (left); directions it keeps per network (right).

    Memorizing networks spread their variance over more directions, and SVCCA averages
    ``min(d_x, d_y)`` correlations, so a pair with one generalizing network averages only
    its best-matched directions: GM comes out above MM.
    """
    from .. import plotting

    axes = panel_axes(axes, 2, aspect=0.38)
    draw_group_comparison(data, "svcca", ax=axes[0], n_resamples=n_resamples)
    layers = data.hidden_layers
    n = len(layers)
    dims = {
        "generalizing networks": data.svcca_dims("G")[:, :n].astype(float),
        "memorizing networks": data.svcca_dims("M")[:, :n].astype(float),
    }
    plotting.plot_group_comparison(
        _short(layers), dims, ax=axes[1], interval="sd",
        ylabel=f"directions kept ({data.config.keep:.0%} variance)",
    )  # fmt: skip
    axes[1].set_ylim(bottom=0)
    return axes


def draw_width(data: Any, measures: Any = ("pwcca", "cka"), axes: Any = None) -> Any:
    """Draw the similarity across seeds of the last hidden layer against width, per measure.

    Trained and untrained networks are drawn, and (last panel) the part training adds:
    trained minus untrained.

    Each measure's panel also draws the shape-matched random baseline: the trained pairs
    with the rows of one network shuffled (same shapes and spectra, no correspondence).

    Bars: mean ± one standard deviation over the pairs of seeds.
    """
    from .. import plotting

    measures = list(measures)
    n = len(measures) + 1
    axes = panel_axes(axes, n, aspect=0.36)
    labels = data.width_labels
    layer = data.layers[-1]
    unit = "units per layer" if data.config.model == "mlp" else "channel multiplier"
    for ax, m in zip(axes, measures):
        plotting.plot_group_comparison(
            labels,
            {
                "trained": data.pairs(m, "trained"),
                "untrained": data.pairs(m, "init"),
                "rows shuffled": data.shuffled(m, "trained"),
            },
            ax=ax, interval="sd", xlabel=f"width ({unit})",
            ylabel=f"{MEASURE_LABELS.get(m, m)}, {layer}",
        )  # fmt: skip
    learned = {MEASURE_LABELS.get(m, m): data.pairs(m, "trained") - data.pairs(m, "init") for m in measures}
    plotting.plot_group_comparison(
        labels, learned, ax=axes[len(measures)], interval="sd", xlabel=f"width ({unit})",
        ylabel="trained minus untrained",
    )  # fmt: skip
    return axes
