"""Figures for representation-similarity results, in one paper-ready house style.

Every figure function takes ``ax=`` (a new figure of a paper size when None) and returns the
axes it drew on, so figures compose (the multi-panel :func:`plot_canonical_directions` and
:func:`plot_images` take and return an array of axes, ``axes=``)::

    import svcca, svcca.plotting as splt
    splt.use_style()                                 # once, e.g. in a notebook's setup cell
    ax = splt.plot_spectrum(svcca.cca(X, Y), null=null_draws, threshold=0.98)
    splt.save_figure(ax.figure, "figures/spectrum", formats=["pdf", "png"])

The style (``svcca.mplstyle``, shipped with the package) is sized for a single-column
(3.4 in) or double-column (7 in) paper figure, uses the colour-blind-safe Okabe-Ito palette,
light grids, lowercase axis labels and no titles inside plots.
"""

from ._curves import (
    plot_class_sensitivity,
    plot_group_comparison,
    plot_intrinsic_dimensionality,
    plot_layer_identification,
    plot_learning_dynamics,
)
from ._geometry import plot_canonical_directions
from ._heatmap import plot_similarity_matrix
from ._images import plot_images
from ._save import FORMATS, save_figure
from ._spectra import plot_explained_variance, plot_pwcca_weights, plot_spectrum
from ._style import PALETTE, STYLE_PATH, depth_colors, figure_size, style, use_style

__all__ = [
    "FORMATS",
    "PALETTE",
    "STYLE_PATH",
    "depth_colors",
    "figure_size",
    "plot_canonical_directions",
    "plot_class_sensitivity",
    "plot_explained_variance",
    "plot_group_comparison",
    "plot_images",
    "plot_intrinsic_dimensionality",
    "plot_layer_identification",
    "plot_learning_dynamics",
    "plot_pwcca_weights",
    "plot_similarity_matrix",
    "plot_spectrum",
    "save_figure",
    "style",
    "use_style",
]
