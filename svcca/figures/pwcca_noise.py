"""The figure of PWCCA's robustness to noise (chapter 6; :mod:`svcca.experiments.pwcca_noise`).

The chapter and ``svcca figures pwcca-noise`` both call :func:`draw_pwcca_noise`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["NOISE_LABELS", "draw_pwcca_noise"]

#: Legend labels of the curves of :data:`svcca.experiments.pwcca_noise.CURVES`.
NOISE_LABELS = {
    "cca": "mean cca",
    "pwcca": "pwcca, weights of the untouched side",
    "pwcca_noisy": "pwcca, weights of the noisy side",
}


def draw_pwcca_noise(data: Any, layer: str | None = None, axes: Any = None) -> Any:
    """Mean CCA and PWCCA as noise is added to one side: synthetic (left), networks (right).

    Parameters
    ----------
    data : PWCCANoiseData
        :func:`svcca.experiments.pwcca_noise.unpack` of a run.
    layer : str, optional
        The networks' layer of the right panel (default the middle compared layer).
    axes : sequence of two matplotlib Axes, optional
        Where to draw; a new double-column figure when None (one panel without networks).

    Returns
    -------
    numpy.ndarray of matplotlib Axes
        Mean ± one standard deviation over the synthetic draws (left) and over the pairs
        of networks (right).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from svcca.experiments.pwcca_noise import PWCCANoiseConfig, unpack
    >>> cfg = PWCCANoiseConfig(networks=None, n_samples=300, width=16, synthetic_dims=(0, 4), n_resamples=2)
    >>> axes = draw_pwcca_noise(unpack(cfg.run()))
    >>> axes[0].get_xlabel()
    'noise neurons appended'
    >>> plt.close(axes[0].figure)
    """
    import matplotlib.pyplot as plt

    from .. import plotting
    from ..experiments.pwcca_noise import CURVES

    n = 2 if data.layers else 1
    if axes is None:
        _, axes = plt.subplots(
            1, n, figsize=plotting.figure_size("double", aspect=0.38), layout="constrained"
        )
    axes = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    syn = {NOISE_LABELS[m]: data.synthetic(m) for m in CURVES}
    plotting.plot_group_comparison(
        data.synthetic_dims.astype(float), syn, ax=axes[0], interval="sd", kind="band",
        xlabel="noise neurons appended", ylabel=f"similarity ({data.config.n_signals} shared signals)",
    )  # fmt: skip
    if n == 2:
        layer = data.layers[len(data.layers) // 2] if layer is None else layer
        nets = {NOISE_LABELS[m]: data.network(m, layer) for m in CURVES}
        plotting.plot_group_comparison(
            100 * data.network_fractions, nets, ax=axes[1], interval="sd", kind="band",
            xlabel=f"noisy directions (% of {layer}'s width)", ylabel=f"similarity of two networks, {layer}",
        )  # fmt: skip
        if axes[1].get_legend() is not None:
            axes[1].get_legend().remove()
    return axes
