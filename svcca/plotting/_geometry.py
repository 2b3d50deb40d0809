"""The geometry of CCA for two layers of two neurons: clouds, canonical directions, variates."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._inputs import as_float
from ._style import PALETTE, figure_size

__all__ = ["plot_canonical_directions"]


def plot_canonical_directions(
    X: Any,
    Y: Any,
    result: Any = None,
    *,
    color: Any = None,
    axes: Any = None,
    labels: tuple[str, str] = ("x", "y"),
) -> np.ndarray:
    """Draw CCA's geometry for two layers of two neurons each.

    Three panels: each layer's point cloud in its own neuron space with its two canonical
    directions drawn from the mean (the weight vectors ``a_k``, ``b_k``, scaled to unit
    length), and the canonical variates of the two layers plotted against each other
    (``X a_k`` against ``Y b_k``), whose correlations are the canonical correlations.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The first layer (two neurons), samples first.
    Y : array-like of shape (n_samples, 2)
        The second layer over the same samples.
    result : CCAResult, optional
        ``svcca.cca(X, Y)``, computed when not given.
    color : array-like of shape (n_samples,), optional
        A value per datapoint that colours the points in every panel (e.g. a latent signal).
    axes : sequence of three matplotlib Axes, optional
        Where to draw; a new double-column figure when None.
    labels : tuple of two str, default ("x", "y")
        Names of the two layers.

    Returns
    -------
    numpy.ndarray of matplotlib Axes
        The three panels.

    Raises
    ------
    ValueError
        When ``X`` or ``Y`` is not ``(n_samples, 2)``, their sample counts differ, or
        ``axes`` does not hold three axes.

    Examples
    --------
    One shared signal (the first column of ``z``), coloured by its value:

    >>> import numpy as np
    >>> from svcca.plotting import plot_canonical_directions
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((300, 2))
    >>> X = z @ [[1.0, 0.5], [0.0, 1.0]]
    >>> Y = np.column_stack([z[:, 0] + 0.3 * rng.standard_normal(300), rng.standard_normal(300)])
    >>> axes = plot_canonical_directions(X, Y, color=z[:, 0])
    >>> len(axes)
    3
    """
    import matplotlib.pyplot as plt

    from .._cca import cca

    if isinstance(labels, str) or len(labels) != 2:
        raise ValueError(f"labels must be two names, one per layer; got {labels!r}")
    X = as_float(X, "X")
    Y = as_float(Y, "Y")
    for name, A in (("X", X), ("Y", Y)):
        if A.ndim != 2 or A.shape[1] != 2:
            raise ValueError(
                f"{name} must have shape (n_samples, 2): two neurons; got {name}.shape={A.shape}"
            )
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X and Y must have the same number of samples; got X.shape={X.shape}, Y.shape={Y.shape}"
        )
    res = cca(X, Y) if result is None else result
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=figure_size("double", 0.33), layout="constrained")
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != 3:
        raise ValueError(f"axes must hold three matplotlib Axes; got {axes.size}")
    colors = (PALETTE[0], PALETTE[1])
    point: dict[str, Any] = {"s": 4, "alpha": 0.5, "linewidths": 0}
    point.update({"c": color, "cmap": "viridis"} if color is not None else {"color": "0.5"})
    rho = np.asarray(res.rho, dtype=float)
    sides = ((axes[0], X, res.x_weights, labels[0], "a"), (axes[1], Y, res.y_weights, labels[1], "b"))
    for ax, A, W, name, letter in sides:
        W = np.asarray(W, dtype=float)
        mean = A.mean(0)
        ax.scatter(A[:, 0], A[:, 1], **point)
        reach = 2.5 * A.std(0).max()
        for k in range(min(2, W.shape[1])):
            w = W[:, k] / np.linalg.norm(W[:, k])
            ax.annotate(
                "",
                xy=mean + reach * w,
                xytext=mean,
                arrowprops={"arrowstyle": "-|>", "color": colors[k], "lw": 1.5},
            )
            ax.text(*(mean + 1.1 * reach * w), f"{letter}$_{k + 1}$", color=colors[k])
        ax.set_xlabel(f"{name}: neuron 1")
        ax.set_ylabel(f"{name}: neuron 2")
        ax.set_aspect("equal", adjustable="datalim")
    U = (X - X.mean(0)) @ np.asarray(res.x_weights, dtype=float)
    V = (Y - Y.mean(0)) @ np.asarray(res.y_weights, dtype=float)
    for k in range(min(2, U.shape[1])):
        u, v = U[:, k] / U[:, k].std(), V[:, k] / V[:, k].std()
        axes[2].scatter(
            u,
            v,
            s=4,
            alpha=0.5,
            linewidths=0,
            color=colors[k],
            zorder=3 - k,
            label=f"pair {k + 1}: ρ = {rho[k]:.2f}",
        )
    axes[2].set_xlabel(f"canonical variate of {labels[0]}")
    axes[2].set_ylabel(f"canonical variate of {labels[1]}")
    axes[2].legend(loc="upper left", markerscale=3)
    return axes
