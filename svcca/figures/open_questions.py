"""Figures of chapter 9 ("Open questions"): one starting point per open problem.

Each ``draw_*`` function takes the open-questions result
(:class:`svcca.experiments.open_questions.OpenQuestionsData`) and draws one seed's networks
(the first by default); the chapter and ``svcca figures`` (its table) call the same
functions, so ``svcca figures`` draws exactly what the book shows.
"""

from __future__ import annotations

from typing import Any

from ._layout import panel_axes

__all__ = ["draw_autoencoder", "draw_compression", "draw_dynamics", "draw_recording"]


def draw_autoencoder(data: Any, seed_index: int = 0, axes: Any = None) -> Any:
    """Draw the autoencoder's layer x layer similarity: mean CCA (left) and linear CKA (right).

    Parameters
    ----------
    data : OpenQuestionsData
    seed_index : int, default 0
        Which seed's network (an index into ``data.seeds``).
    axes : pair of matplotlib Axes, optional
        A new double-column figure when None.

    Returns
    -------
    numpy.ndarray of matplotlib Axes, shape (2,)
    """
    from .. import plotting
    from ..experiments.open_questions import AE_LAYERS

    axes = panel_axes(axes, 2, aspect=0.42)
    for ax, (measure, label) in zip(axes, (("cca", "mean cca"), ("cka", "linear cka"))):
        plotting.plot_similarity_matrix(
            data.autoencoder_grid(measure, seed_index),
            list(AE_LAYERS),
            list(AE_LAYERS),
            ax=ax,
            cbar_label=label,
        )
    return axes


def draw_compression(data: Any, seed_index: int = 0, ax: Any = None) -> Any:
    """Test accuracy with the hidden layer projected onto its top k PCA, PLS or random directions.

    Parameters
    ----------
    data : OpenQuestionsData
    seed_index : int, default 0
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    from .. import plotting

    return plotting.plot_intrinsic_dimensionality(
        list(data["ks"]),
        data.compression_curves(seed_index),
        full_accuracy=float(data["compression_full"][seed_index]),
        chance=0.1,
        ax=ax,
    )


def draw_dynamics(data: Any, seed_index: int = 0, ax: Any = None) -> Any:
    """PWCCA between two networks over training: a generalizing and a memorizing pair.

    Parameters
    ----------
    data : OpenQuestionsData
    seed_index : int, default 0
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    from .. import plotting

    return plotting.plot_learning_dynamics(
        list(data["dynamics_epochs"]),
        data.dynamics_curves(seed_index),
        ["generalizing pair", "memorizing pair"],
        ax=ax,
        xlabel="epoch",
        ylabel="pwcca between seeds",
    )


def draw_recording(data: Any, seed_index: int = 0, ax: Any = None) -> Any:
    """Similarity of each conv layer to the synthetic recording, by SVCCA and linear CKA.

    Parameters
    ----------
    data : OpenQuestionsData
    seed_index : int, default 0
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    from .. import plotting

    return plotting.plot_layer_identification(
        data.recording_similarity(seed_index),
        ax=ax,
        layers=data.conv_layers,
        ylabel="similarity to the recording",
    )
