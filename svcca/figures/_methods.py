"""Figures of the introduction and the methods chapters (1-4)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._registry import register


def intro_views(rng: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two synthetic 'layers' (2000 samples; 20 and 30 neurons) sharing 3 latent directions."""
    rng = np.random.default_rng(rng)
    latent = rng.standard_normal((2000, 3))
    X = np.hstack([latent, rng.standard_normal((2000, 17))]) @ rng.standard_normal((20, 20))
    Y = np.hstack([latent, rng.standard_normal((2000, 27))]) @ rng.standard_normal((30, 30))
    return X, Y


@register("intro-spectrum", chapter=0, caption="Canonical correlations of two layers sharing three latent directions.")
def intro_spectrum(*, scale: str = "default", cache_dir: Any = None) -> Any:
    import svcca
    from svcca import plotting

    X, Y = intro_views()
    with plotting.style():
        ax = plotting.plot_spectrum(svcca.cca(X, Y))
    return ax.figure
