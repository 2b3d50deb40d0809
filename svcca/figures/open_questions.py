"""Figures of chapter 9 ("Open questions"): one starting point per open problem.

Each ``draw_*`` function takes the open-questions result ``data``
(:class:`svcca.experiments.open_questions.OpenQuestionsData`) and draws one seed's networks,
``seed_index`` (an index into ``data.seeds``; default 0, the first), on ``ax`` (or ``axes``),
a new figure when None; it returns what it drew on. The chapter and ``svcca figures`` (its
table) call the same functions, so ``svcca figures`` draws exactly what the book shows.
"""

from __future__ import annotations

from typing import Any

from ._layout import panel_axes

__all__ = ["draw_autoencoder", "draw_compression", "draw_dynamics", "draw_recording"]


def draw_autoencoder(data: Any, seed_index: int = 0, axes: Any = None) -> Any:
    """Draw the autoencoder's layer x layer similarity on two axes: mean CCA (left), linear CKA (right)."""
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
    """Test accuracy with the hidden layer projected onto its top k PCA, PLS or random directions."""
    from .. import plotting

    return plotting.plot_intrinsic_dimensionality(
        list(data["ks"]),
        data.compression_curves(seed_index),
        full_accuracy=float(data["compression_full"][seed_index]),
        chance=0.1,
        ax=ax,
    )


def draw_dynamics(data: Any, seed_index: int = 0, ax: Any = None) -> Any:
    """PWCCA between two networks over training: a generalizing and a memorizing pair."""
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
    """Similarity of each conv layer to the synthetic recording, by SVCCA and linear CKA."""
    from .. import plotting

    return plotting.plot_layer_identification(
        data.recording_similarity(seed_index),
        ax=ax,
        layers=data.conv_layers,
        ylabel="similarity to the recording",
    )
