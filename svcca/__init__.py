"""svcca: comparing neural-network representations with canonical correlation analysis.

Samples-first arrays everywhere: ``X`` has shape ``(n_samples, n_features)``. numpy arrays
and torch tensors are both accepted; tensors come back as tensors on the same device (the
measures' results detached from autograd).

Measures: :func:`cca`, :func:`svcca`, :func:`pwcca`, :func:`pls`, :func:`pca`,
:func:`linear_cka`, :func:`rbf_cka`, :func:`minibatch_cka`, :func:`procrustes`; by name with
options through :class:`Measure` (the names are :data:`MEASURES`); layer x layer grids with
:func:`similarity_matrix`. Modules: :mod:`svcca.conv` (conv layers and the DFT method of
:mod:`svcca.dft`), :mod:`svcca.stats` (nulls, intervals, tests), :mod:`svcca.streaming`,
:mod:`svcca.plotting`, :mod:`svcca.legacy` (the original code's API), :mod:`svcca.nn` and
:mod:`svcca.experiments` (torch side), :mod:`svcca.figures` (the book's figures by name).
"""

from . import conv, stats  # submodules; neither imports torch
from ._cca import CCAResult, cca
from ._cka import CKAResult, ProcrustesResult, linear_cka, minibatch_cka, procrustes, rbf_cka
from ._grid import SimilarityMatrix, similarity_matrix
from ._measures import MEASURES, Measure
from ._pca import PCAResult, pca
from ._pls import PLSResult, pls
from ._pwcca import PWCCAResult, pwcca
from ._svcca import SVCCAResult, svcca
from ._validation import (
    DegenerateLayerError,
    LayoutWarning,
    PrecisionWarning,
    SampleSizeWarning,
    ShuffledLoaderWarning,
)

__version__ = "0.1.0"

__all__ = [
    "CCAResult",
    "CKAResult",
    "MEASURES",
    "Measure",
    "PCAResult",
    "PLSResult",
    "PWCCAResult",
    "ProcrustesResult",
    "SVCCAResult",
    "DegenerateLayerError",
    "LayoutWarning",
    "PrecisionWarning",
    "SampleSizeWarning",
    "ShuffledLoaderWarning",
    "SimilarityMatrix",
    "__version__",
    "cca",
    "conv",
    "linear_cka",
    "minibatch_cka",
    "pca",
    "pls",
    "procrustes",
    "rbf_cka",
    "similarity_matrix",
    "stats",
    "pwcca",
    "svcca",
]
