"""Figures of chapter 5 (learning dynamics and freeze training).

Each ``draw_*`` function takes an experiment's result
(:class:`svcca.experiments.learning_dynamics.LearningDynamicsData` or
:class:`svcca.experiments.freeze_training.FreezeTrainingData`) and draws one figure; the
chapter and ``svcca figures`` call the same functions, so their figures are the same.
"""

from __future__ import annotations

from typing import Any

from .._docs import fill_doc
from ._layout import panel_axes

__all__ = ["draw_curves", "draw_freeze", "draw_grids"]


@fill_doc
def draw_curves(data: Any, ax: Any = None, *, pooled: bool = False) -> Any:
    """Each layer's SVCCA with its final state against the training step (log-scaled).

    Parameters
    ----------
    data : LearningDynamicsData
    ax : matplotlib Axes, optional
    pooled : bool, default False
        Draw the curves of the globally average-pooled conv layers instead.

    %(returns_axes)s
    """
    from .. import plotting

    sims = data.similarity_pooled if pooled else data.similarity
    if sims is None:
        raise ValueError("this result has no pooled curves (only the conv net and the ResNet have them)")
    return plotting.plot_learning_dynamics(
        data.steps,
        sims,
        list(data.layers),
        ax=ax,
        logx=True,
        xlabel=f"training step ({data.steps_per_epoch} per epoch)",
        ylabel="svcca with the final layer",
    )


@fill_doc
def draw_grids(data: Any, axes: Any = None) -> Any:
    """Draw the layer x layer grids: rows at a snapshot, columns the final network; one panel each.

    Parameters
    ----------
    data : LearningDynamicsData
    axes : sequence of matplotlib Axes, optional
        One per grid; a new double-column figure when None.

    %(returns_axes_array)s
    """
    from .. import plotting

    n = len(data.grid_steps)
    axes = panel_axes(axes, n, aspect=0.3)
    big = len(data.grid_layers) > 6
    shown = set(data.block_rows.tolist()) if big else None  # small panels: label the block outputs
    for g, ax in enumerate(axes):
        grid = data.grid(index=g)
        labels = [s if shown is None or i in shown else "" for i, s in enumerate(grid.row_labels)]
        plotting.plot_similarity_matrix(
            grid,
            labels,
            labels,
            ax=ax,
            annot=not big,
            cbar=g == n - 1,
            cbar_label="svcca",
            xlabel="layer, end of training",
            ylabel=f"layer at epoch {data.grid_steps[g] / data.steps_per_epoch:.3g}",
        )
    return axes


@fill_doc
def draw_freeze(data: Any, ax: Any = None) -> Any:
    """Test accuracy after every epoch, normal vs freeze training (mean and sd over seeds).

    Parameters
    ----------
    data : FreezeTrainingData
    ax : matplotlib Axes, optional

    %(returns_axes)s
    """
    from .. import plotting

    return plotting.plot_group_comparison(
        data.epochs,
        {"normal training": data.test_accuracy["normal"], "freeze training": data.test_accuracy["frozen"]},
        ax=ax,
        interval="sd",
        kind="band",
        xlabel="epoch",
        ylabel="test accuracy",
    )
