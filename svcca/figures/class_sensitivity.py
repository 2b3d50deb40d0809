"""Figures of chapter 7 ("Which layer knows which class"): class sensitivity through depth.

The drawing helpers take the unpacked result (:func:`svcca.experiments.class_sensitivity.unpack`)
and are what the chapter and ``svcca figures`` (its table) both call, so ``svcca figures`` draws
exactly what the book shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._docs import fill_doc

__all__ = ["draw_curves", "draw_images", "highlighted", "short_layer_names"]


def short_layer_names(layers: Any) -> list[str]:
    """Tick labels: ``"stage2.1"`` -> ``"2.1"``, ``"layer3.5"`` -> ``"3.5"``; others unchanged."""
    out = []
    for name in layers:
        for prefix in ("stage", "layer"):
            if name.startswith(prefix) and name[len(prefix) : len(prefix) + 1].isdigit():
                name = name[len(prefix) :]
        out.append(name)
    return out


def highlighted(data: Any, target: str = "logit", n: int = 2) -> list[str] | None:
    """Classes drawn in colour: all of them up to five; else the ``n`` earliest and ``n`` latest."""
    if len(data.classes) <= 5:
        return None
    order = list(data.order(target=target))
    return order[:n] + order[-n:]


@fill_doc
def draw_curves(data: Any, ax: Any = None, target: str = "logit", cv: bool = True) -> Any:
    """Seed-averaged correlation of every layer with every class's logit, through depth.

    Parameters
    ----------
    data : ClassSensitivityData
    %(ax)s
    target : {"logit", "onehot"}, default "logit"
    cv : bool, default True
        Cross-validated (True) or in-sample correlations.

    Returns
    -------
    matplotlib Axes
    """
    from .. import plotting

    sims = data.mean_similarity(target, cv)
    label = "class logit" if target == "logit" else "class label"
    ax = plotting.plot_class_sensitivity(
        short_layer_names(data.layers),
        sims,
        list(data.classes),
        ax=ax,
        highlight=highlighted(data, target),
        ylabel=f"{'cross-validated' if cv else 'in-sample'} corr. with {label}",
    )
    # zoom on the range the curves span (they all lie between the pixels' value and 1)
    low = float(np.floor(np.nanmin(sims) * 20.0) / 20.0)
    ax.set_ylim(max(0.0, low), 1.005)
    return ax


def draw_images(
    data: Any,
    layer: Any = None,
    seed: int | None = None,
    axes: Any = None,
    kinds: Any = ("direction", "neuron"),
) -> Any:
    """Draw the images at the top of a layer's directions or neurons, titled with their class.

    There is one group of rows per kind.

    Parameters
    ----------
    data : ClassSensitivityData
    layer : str or int, optional
        Default :attr:`ClassSensitivityData.middle_layer`.
    seed : int, optional
        Default the first seed.
    axes : array of matplotlib Axes, optional
        ``len(kinds) * n_directions`` rows of ``n_images`` axes; a new double-column figure
        when None.
    kinds : sequence of str, default ("direction", "neuron")
        Which rankings to show, top to bottom (see
        :data:`svcca.experiments.class_sensitivity.KINDS`): canonical directions fitted to
        the class logits, most active neurons, label-free SVCCA directions against another
        seed's network, or the neuron closest to each logit direction.

    Returns
    -------
    numpy.ndarray of Axes, shape (len(kinds) * n_directions, n_images)
    """
    import matplotlib.pyplot as plt

    from .. import plotting

    layer = data.middle_layer if layer is None else layer
    kinds = tuple(kinds)
    tops = [data.top_images(layer, kind, seed) for kind in kinds]
    d, k = tops[0].shape
    rows_total = len(kinds) * d
    if axes is None:
        width, _ = plotting.figure_size("double")
        _, axes = plt.subplots(
            rows_total, k, figsize=(width, width * rows_total / k * 1.2), squeeze=False, layout="constrained"
        )
    axes = np.asarray(axes).reshape(rows_total, k)
    tags = {"direction": "cca", "neuron": "neuron", "svcca": "svcca", "matched": "matched"}
    for g, (kind, top) in enumerate(zip(kinds, tops)):
        rows = axes[g * d : (g + 1) * d]
        titles = []
        for j in range(d):
            for i in range(k):
                c = data.classes[int(data.labels[top[j, i]])]
                titles.append(f"{tags[kind]} {j + 1}: {c}" if i == 0 else c)
        plotting.plot_images(data.images(top.ravel()), axes=rows.ravel(), titles=titles)
    return axes
