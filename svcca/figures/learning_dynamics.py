"""Figures of chapter 5 (learning dynamics and freeze training).

Each registered figure loads (or runs) its experiment through ``run_or_load`` and draws
with a ``draw_*`` helper that the chapter calls too, so the book's figure and the one
``svcca figures`` writes are the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._registry import register

__all__ = [
    "draw_curves",
    "draw_freeze",
    "draw_grids",
    "freeze_training",
    "learning_dynamics",
]


def learning_dynamics(model: str, *, scale: str | None = None, cache_dir: Any = None) -> Any:
    """The learning-dynamics result of ``model`` at ``scale`` (run or loaded), unpacked."""
    from ..experiments import run_or_load
    from ..experiments.learning_dynamics import LearningDynamicsConfig, unpack

    return unpack(run_or_load(LearningDynamicsConfig.for_scale(scale, model=model), cache_dir))


def freeze_training(*, scale: str | None = None, cache_dir: Any = None) -> Any:
    """The freeze-training result at ``scale`` (run or loaded), unpacked."""
    from ..experiments import run_or_load
    from ..experiments.freeze_training import FreezeTrainingConfig, unpack

    return unpack(run_or_load(FreezeTrainingConfig.for_scale(scale), cache_dir))


def draw_curves(data: Any, ax: Any = None, *, pooled: bool = False) -> Any:
    """Each layer's SVCCA with its final state against the training step (log-scaled).

    Parameters
    ----------
    data : LearningDynamicsData
    ax : matplotlib Axes, optional
    pooled : bool, default False
        Draw the curves of the globally average-pooled conv layers instead.

    Returns
    -------
    matplotlib.axes.Axes
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


def draw_grids(data: Any, axes: Any = None) -> Any:
    """The layer x layer grids: rows at a snapshot, columns the final network; one panel each.

    Parameters
    ----------
    data : LearningDynamicsData
    axes : sequence of matplotlib Axes, optional
        One per grid; a new double-column figure when None.

    Returns
    -------
    numpy.ndarray of matplotlib Axes
    """
    import matplotlib.pyplot as plt

    from .. import plotting

    n = len(data.grid_steps)
    if axes is None:
        _, axes = plt.subplots(1, n, figsize=plotting.figure_size("double", aspect=0.3), layout="constrained")
    axes = np.atleast_1d(np.asarray(axes, dtype=object))
    big = len(data.grid_layers) > 6
    for g, ax in enumerate(axes):
        grid = data.grid(index=g)
        labels = list(grid.row_labels)
        if big:  # small panels: label only each block's output (every third row of a detailed grid)
            detail = len(labels) % 3 == 0 and data.grid_layers != data.layers[:-1]
            labels = [s if (not detail or i % 3 == 2) else "" for i, s in enumerate(labels)]
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


def draw_freeze(data: Any, ax: Any = None) -> Any:
    """Test accuracy after every epoch, normal vs freeze training (mean and sd over seeds).

    Parameters
    ----------
    data : FreezeTrainingData
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
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


def _curves_figure(model: str, scale: str | None, cache_dir: Any, pooled: bool = False) -> Any:
    from .. import plotting

    with plotting.style():
        return draw_curves(learning_dynamics(model, scale=scale, cache_dir=cache_dir), pooled=pooled).figure


def _grids_figure(model: str, scale: str | None, cache_dir: Any) -> Any:
    from .. import plotting

    with plotting.style():
        axes = draw_grids(learning_dynamics(model, scale=scale, cache_dir=cache_dir))
        return axes[0].figure


@register(
    "ld-conv-curves",
    chapter=5,
    caption="SVCCA of each layer of a conv net with batch norm with its final state, over training: "
    "lower layers converge first.",
)
def ld_conv_curves(*, scale: str | None = None, cache_dir: Any = None) -> Any:
    return _curves_figure("conv", scale, cache_dir)


@register(
    "ld-conv-grids",
    chapter=5,
    caption="Layer x layer SVCCA of the conv net at four points in training against the final network; "
    "conv and batch-norm outputs form nearly identical pairs.",
)
def ld_conv_grids(*, scale: str | None = None, cache_dir: Any = None) -> Any:
    return _grids_figure("conv", scale, cache_dir)


@register(
    "ld-resnet-curves",
    chapter=5,
    caption="SVCCA of each block of a small ResNet with its final state, over training.",
)
def ld_resnet_curves(*, scale: str | None = None, cache_dir: Any = None) -> Any:
    return _curves_figure("resnet", scale, cache_dir)


@register(
    "ld-resnet-grids",
    chapter=5,
    caption="Layer x layer SVCCA of the small ResNet at four points in training against the final network.",
)
def ld_resnet_grids(*, scale: str | None = None, cache_dir: Any = None) -> Any:
    return _grids_figure("resnet", scale, cache_dir)


@register(
    "ld-lstm-curves",
    chapter=5,
    caption="SVCCA of each layer of an LSTM language model with its final state, over training.",
)
def ld_lstm_curves(*, scale: str | None = None, cache_dir: Any = None) -> Any:
    return _curves_figure("lstm", scale, cache_dir)


@register(
    "ld-conv-pooled-curves",
    chapter=5,
    caption="The conv net's curves with every conv layer globally average-pooled (one datapoint per image).",
)
def ld_conv_pooled_curves(*, scale: str | None = None, cache_dir: Any = None) -> Any:
    return _curves_figure("conv", scale, cache_dir, pooled=True)


@register(
    "ld-mlp-curves",
    chapter=5,
    caption="SVCCA of each layer of an MLP with its final state, over training: no bottom-up order.",
)
def ld_mlp_curves(*, scale: str | None = None, cache_dir: Any = None) -> Any:
    return _curves_figure("mlp", scale, cache_dir)


@register(
    "ld-freeze",
    chapter=5,
    caption="Test accuracy during normal training and freeze training (lower layers frozen one by one).",
)
def ld_freeze(*, scale: str | None = None, cache_dir: Any = None) -> Any:
    from .. import plotting

    with plotting.style():
        return draw_freeze(freeze_training(scale=scale, cache_dir=cache_dir)).figure
