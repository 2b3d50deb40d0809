"""Figures of chapter 8 ("When CCA fails"): layer identification across seeds.

The drawing helpers take the unpacked result (:func:`svcca.experiments.layer_identification.unpack`)
and are what the chapter and ``svcca figures`` (its table) both call, so ``svcca figures`` draws
exactly what the book shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._layout import panel_axes

__all__ = ["draw_accuracy", "draw_by_layer", "draw_matrices"]

#: Number of layers Kornblith et al. compared per Tiny-10 network (ten layers, logits excluded).
PAPER_N_LAYERS = 9


def _labels(measures: Any) -> list[str]:
    from ..experiments.layer_identification import MEASURE_LABELS

    return [MEASURE_LABELS.get(m, m) for m in measures]


def draw_accuracy(data: Any, axes: Any = None) -> Any:
    """Identification accuracy per measure: this run (left) beside Kornblith et al.'s Table 2 (right).

    The right panel has the measures of this run that the table has a row for
    (:data:`~svcca.experiments.layer_identification.PAPER_ROW`); it is hidden when none has.
    Each panel names its source in its x label (the house style has no titles inside plots).

    Parameters
    ----------
    data : LayerIdentificationData
    axes : pair of matplotlib Axes, optional
        Where to draw; a new double-column figure when None.

    Returns
    -------
    numpy.ndarray of Axes, shape (2,)
    """
    from .. import plotting
    from ..experiments.layer_identification import KORNBLITH2019_TABLE2, PAPER_ROW

    axes = panel_axes(axes, 2, aspect=0.36, sharey=True)
    labels = _labels(data.measures)
    ours = dict(zip(labels, (data.accuracy(m) for m in data.measures)))
    paper = {
        label: KORNBLITH2019_TABLE2[PAPER_ROW[m]] / 100.0
        for m, label in zip(data.measures, labels)
        if m in PAPER_ROW
    }
    plotting.plot_layer_identification(ours, ax=axes[0], chance=data.chance, xlabel="measure, this run")
    if paper:
        plotting.plot_layer_identification(
            paper,
            ax=axes[1],
            chance=1.0 / PAPER_N_LAYERS,
            xlabel="measure, kornblith et al. (2019), table 2",
            ylabel="",
        )
    else:
        axes[1].set_visible(False)
    return axes


def draw_matrices(data: Any, axes: Any = None) -> Any:
    """Draw the seed-averaged layer x layer matrix of every measure (rows: network A, columns: network B).

    Each panel has its own colour scale, so that a hub column (a layer of B that is the most
    similar to every layer of A) stands out as clearly as a diagonal.

    Parameters
    ----------
    data : LayerIdentificationData
    axes : array of matplotlib Axes, optional
        At least ``len(data.measures)`` axes; a new double-column 2 x 2 figure when None.

    Returns
    -------
    numpy.ndarray of Axes
    """
    from .. import plotting

    n = len(data.measures)
    rows = int(np.ceil(n / 2))
    axes = panel_axes(axes, 2, aspect=0.42 * rows, nrows=rows, n_panels=n)
    short = [name.replace("conv", "c") if len(data.layers) > 6 else name for name in data.layers]
    for ax, measure, label in zip(axes, data.measures, _labels(data.measures)):
        plotting.plot_similarity_matrix(
            data.mean_matrix(measure).values,
            short,
            ax=ax,
            vmin=None,
            vmax=None,
            cbar_label=label,
            xlabel="network b layer",
            ylabel="network a layer",
        )
    for ax in axes[n:]:
        ax.set_visible(False)
    return axes


def draw_by_layer(data: Any, ax: Any = None) -> Any:
    """How often each layer is identified, per measure (the hub-layer failure shows as one spike)."""
    from .. import plotting

    acc = {label: data.layer_accuracy(m) for m, label in zip(data.measures, _labels(data.measures))}
    return plotting.plot_layer_identification(
        acc, ax=ax, chance=data.chance, layers=list(data.layers), ylabel="fraction of pairs identified"
    )
