"""svcca: comparing neural-network representations with canonical correlation analysis.

Samples-first arrays everywhere: ``X`` has shape ``(n_samples, n_features)``. numpy arrays
and torch tensors are both accepted; tensors come back as tensors on the same device.
"""

from ._cca import CCAResult, cca
from ._pca import PCAResult, pca
from ._pls import PLSResult, pls
from ._pwcca import PWCCAResult, pwcca
from ._svcca import SVCCAResult, svcca
from ._validation import SampleSizeWarning

__version__ = "0.1.0"

__all__ = [
    "CCAResult",
    "PCAResult",
    "PLSResult",
    "PWCCAResult",
    "SVCCAResult",
    "SampleSizeWarning",
    "__version__",
    "cca",
    "pca",
    "pls",
    "pwcca",
    "svcca",
]
