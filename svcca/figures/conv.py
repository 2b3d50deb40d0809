"""Figures of chapter 2 (convolutional layers).

Computations (``subsampling_curve``, ``recipe_similarities``, ...) return what a figure
shows; ``draw_*`` functions draw it; the figure functions (``conv_subsampling``, ...) take
the conv-pair result (:class:`svcca.experiments.conv_pair.ConvPairData`), compute and draw,
and are the entries of ``svcca figures``. The chapter calls the same computations and
drawings, so the book's figure and the one ``svcca figures`` writes are the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .._docs import fill_doc
from ._layout import panel_axes

__all__ = [
    "centred_frequencies",
    "conv_dft_spectrum",
    "conv_frequency_map",
    "conv_recipes",
    "conv_subsampling",
    "conv_variance_kept",
    "draw_dft_spectrum",
    "draw_frequency_maps",
    "draw_recipes",
    "draw_subsampling",
    "draw_variance_kept",
    "frequency_maps",
    "recipe_similarities",
    "shift_closed_example",
    "subsampling_curve",
    "variance_kept",
    "variance_kept_by_layer",
]

STATES = ("trained", "init")


# --------------------------------------------------------------------------- data


def subsampling_curve(
    data: Any, n_resamples: int = 3, n_halvings: int = 7, pair: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean CCA (positions as datapoints) of each layer pair against the number of rows kept.

    Returns ``(row_counts, sims)``: the rows kept, ascending, and ``sims`` of shape
    ``(len(row_counts), n_layers)``, each the mean over ``n_resamples`` seeded subsets.
    The counts are ``n_rows / 2**k`` for ``k = n_halvings..0``, ``n_rows`` the rows
    (images x positions) of the layer with the most, and each layer's own number of rows
    (all rows: the same counts when every layer has the same grid). A layer is NaN at the
    counts above its own rows (a layer after a strided conv has fewer): a count it cannot
    keep is not drawn. ``pair`` names the two networks' seeds (default the first two).
    """
    import svcca
    from svcca.conv import positions_as_samples

    s0, s1 = data.seeds[:2] if pair is None else pair
    rows = [int(np.prod(data.acts(layer, s0).shape[:3])) for layer in data.layers]
    n_rows = max(rows)
    row_counts = np.array(sorted({n_rows // 2**k for k in range(n_halvings + 1)} | set(rows)))
    sims = np.full((len(row_counts), len(data.layers)), np.nan)
    for j, layer in enumerate(data.layers):
        A, B = data.acts(layer, s0), data.acts(layer, s1)
        for i, m in enumerate(row_counts[row_counts <= rows[j]]):
            draws = [
                svcca.cca(
                    positions_as_samples(A, max_rows=int(m), rng=seed),
                    positions_as_samples(B, max_rows=int(m), rng=seed),
                    warn=False,
                ).mean
                for seed in range(n_resamples)
            ]
            sims[i, j] = np.mean(draws)
    return row_counts, sims


def variance_kept(A: Any, size: int | None = None) -> float:
    """Fraction of the variance of a conv layer that survives average pooling.

    Parameters
    ----------
    A : array of shape (n_samples, height, width, channels)
    size : int, optional
        Pool to a ``size x size`` grid; None pools globally.

    Returns
    -------
    float
        ``(h * w / size**2) * total variance of the pooled layer / total variance of A``:
        average pooling is the orthogonal projection onto the maps that are constant on each
        cell, so this is the fraction of the (centred) layer the projection keeps. NaN where
        ``size`` does not divide the grid (a layer after a strided conv can be smaller than
        ``size``): the cells would not be of one size, and the ratio not that fraction.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.figures.conv import variance_kept
    >>> rng = np.random.default_rng(0)
    >>> constant = np.repeat(np.repeat(rng.standard_normal((50, 1, 1, 3)), 4, 1), 4, 2)
    >>> round(variance_kept(constant), 6), round(variance_kept(rng.standard_normal((50, 4, 4, 3)), 4), 6)
    (1.0, 1.0)
    """
    from svcca.conv import average_pool

    A = np.asarray(A, dtype=np.float64)
    _, h, w, _ = A.shape
    if size is not None and (h % size or w % size):
        return math.nan
    cells = 1 if size is None else size * size
    return float((h * w / cells) * average_pool(A, size).var(axis=0).sum() / A.var(axis=0).sum())


def recipe_similarities(data: Any, pair: Sequence[int] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Mean CCA of each layer pair under four recipes, trained and untrained networks.

    Returns ``{state: {recipe: array of shape (n_layers,)}}`` with recipes ``"positions"``,
    ``"pooled to 2x2, positions"``, ``"global pool"`` and ``"dft union"``. ``pair`` names
    the two networks' seeds (default the first two).
    """
    import svcca
    from svcca.conv import average_pool, dft_cca, positions_as_samples

    recipes: dict[str, Callable[[Any, Any], Any]] = {
        "positions": lambda A, B: svcca.cca(positions_as_samples(A), positions_as_samples(B)),
        "pooled to 2x2, positions": lambda A, B: svcca.cca(
            average_pool(A, 2, positions="samples"), average_pool(B, 2, positions="samples")
        ),
        "global pool": lambda A, B: svcca.cca(average_pool(A), average_pool(B), warn=False),
        "dft union": lambda A, B: dft_cca(A, B, warn=False),
    }
    s0, s1 = data.seeds[:2] if pair is None else pair
    states = STATES if data.has_init else STATES[:1]
    return {
        state: {
            name: np.array([f(data.acts(L, s0, state), data.acts(L, s1, state)).mean for L in data.layers])
            for name, f in recipes.items()
        }
        for state in states
    }


def shift_closed_example(
    n_images: int = 100, width: float = 0.5, layer: str = "conv2", seeds: Sequence[int] = (10, 11)
) -> tuple[np.ndarray, np.ndarray]:
    """Two conv layers over a dataset closed under cyclic shifts, both exactly equivariant.

    Two untrained ``ConvNet("pilot5", width=width)`` networks with circular padding see the
    first ``n_images`` test digits; the activations of every cyclic shift of each image are
    the rolled activations of the image (the networks commute with cyclic shifts exactly).

    Returns
    -------
    A, B : float64 arrays of shape (n_images * h * w, h, w, channels)
    """
    import torch

    from ..nn import ConvNet, load_digits, record

    test: Any = load_digits().test  # a TensorDataset of (images, labels)
    images = test.tensors[0][:n_images]
    out = []
    for seed in seeds:
        net = ConvNet("pilot5", width=width, seed=seed)
        for module in net.modules():
            if isinstance(module, torch.nn.Conv2d):
                module.padding_mode = "circular"
        acts = record(net.eval(), images, [layer])[layer]
        _, h, w, _ = acts.shape
        rolled = [np.roll(acts, (dy, dx), axis=(1, 2)) for dy in range(h) for dx in range(w)]
        out.append(np.concatenate(rolled).astype(np.float64))
    return out[0], out[1]


def frequency_maps(
    data: Any, pair: Sequence[int] | None = None, state: str = "trained"
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-frequency mean CCA of each layer pair, zero frequency centred.

    Returns ``({layer: (h, w) map}, freqs)`` with ``freqs`` the integer frequencies along the
    first layer's (square) grid in plotting order (a layer after a strided conv has a smaller
    grid, and :func:`draw_frequency_maps` labels it with its own). ``pair`` names the two
    networks' seeds (default the first two); ``state`` is ``"trained"`` or ``"init"``.
    """
    from svcca.conv import dft_cca

    s0, s1 = data.seeds[:2] if pair is None else pair
    maps = {
        L: np.fft.fftshift(
            dft_cca(data.acts(L, s0, state), data.acts(L, s1, state), warn=False).frequency_mean
        )
        for L in data.layers
    }
    return maps, centred_frequencies(data.grid(data.layers[0])[0])


def centred_frequencies(n: int) -> np.ndarray:
    """Return the integer DFT frequencies of a side of ``n`` positions, zero centred (``fftshift`` order).

    The axis of a zero-centred per-frequency map (:func:`frequency_maps`).

    Examples
    --------
    >>> from svcca.figures.conv import centred_frequencies
    >>> centred_frequencies(4).tolist(), centred_frequencies(3).tolist()
    ([-2, -1, 0, 1], [-1, 0, 1])
    """
    return np.fft.fftshift(np.fft.fftfreq(n) * n).astype(int)


# --------------------------------------------------------------------------- drawing


def draw_subsampling(row_counts: Any, sims: Any, layers: Sequence[str], ax: Any = None) -> Any:
    """Similarity of each layer pair against the number of positions kept (log axis)."""
    from .. import plotting

    return plotting.plot_learning_dynamics(
        row_counts, sims, list(layers), ax=ax, logx=True, xlabel="positions kept (rows)", ylabel="mean cca"
    )


def draw_variance_kept(layers: Sequence[str], kept: Mapping[str, Any], ax: Any = None) -> Any:
    """Fraction of each layer's variance kept by pooling, one line per ``kept`` entry."""
    from .. import plotting

    return plotting.plot_group_comparison(
        list(layers), {k: np.asarray(v) for k, v in kept.items()}, ax=ax, ylabel="variance kept"
    )


@fill_doc
def draw_recipes(layers: Sequence[str], recipe_sim: Mapping[str, Mapping[str, Any]], axes: Any = None) -> Any:
    """One panel per network state: each recipe's similarity over depth.

    Parameters
    ----------
    layers : sequence of str
    recipe_sim : mapping state -> (mapping recipe -> array of shape (n_layers,))
        As :func:`recipe_similarities` returns.
    axes : sequence of matplotlib Axes, optional
        One per state; a new double-column figure when None.

    %(returns_axes_array)s
    """
    from .. import plotting

    states = list(recipe_sim)
    axes = panel_axes(axes, len(states), aspect=0.38, sharey=True)
    names = {"trained": "layer, trained networks", "init": "layer, untrained networks"}
    for ax, state in zip(axes, states):
        plotting.plot_group_comparison(
            list(layers),
            {k: np.asarray(v) for k, v in recipe_sim[state].items()},
            ax=ax,
            ylabel="mean cca",
            xlabel=names.get(state, f"layer, {state}"),
        )
    return axes


def draw_dft_spectrum(full: Any, per_freq: Any, ax: Any = None) -> Any:
    """Draw the flattened layers' canonical correlations and the DFT method's union, overlaid."""
    from .. import plotting

    ax = plotting.plot_spectrum(full, ax=ax, label="flattened layers")
    return plotting.plot_spectrum(per_freq, ax=ax, label="union over frequencies (dft)")


@fill_doc
def draw_frequency_maps(maps: Mapping[str, Any], freqs: Any, axes: Any = None) -> Any:
    """One heatmap per layer of the per-frequency mean CCA, on a shared colour scale.

    Parameters
    ----------
    maps : mapping layer -> array of shape (h, w)
        Zero frequency centred (:func:`frequency_maps`).
    freqs : array of int
        Tick labels of an axis of ``len(freqs)`` positions (:func:`frequency_maps` gives the
        first layer's); an axis of another length (a layer after a strided conv) is
        labelled with its own integer frequencies.
    axes : sequence of matplotlib Axes, optional
        One per layer; a new double-column figure when None.

    %(returns_axes_array)s
    """
    from .. import plotting

    layers = list(maps)
    axes = panel_axes(axes, len(layers), aspect=0.24)
    values = np.concatenate([np.asarray(m, dtype=float).ravel() for m in maps.values()])
    vmin, vmax = float(np.nanmin(values)), float(np.nanmax(values))
    freqs = np.asarray(freqs)

    def labels(n: int) -> list[str]:
        return [str(int(f)) for f in (freqs if len(freqs) == n else centred_frequencies(n))]

    for i, (ax, layer) in enumerate(zip(axes, layers)):
        h, w = np.shape(maps[layer])
        plotting.plot_similarity_matrix(
            maps[layer],
            labels(h),
            labels(w),
            ax=ax,
            annot=False,
            cbar=i == len(layers) - 1,
            vmin=vmin,
            vmax=vmax,
            cbar_label="mean cca",
            xlabel=f"{layer}: v",
            ylabel="u" if i == 0 else None,
        )
    return axes


# --------------------------------------------------------------------------- figures


def conv_subsampling(data: Any) -> Any:
    """Figure: :func:`subsampling_curve` of the conv-pair result ``data``, drawn."""
    row_counts, sims = subsampling_curve(data)
    return draw_subsampling(row_counts, sims, data.layers).figure


def variance_kept_by_layer(data: Any, seed: int | None = None) -> dict[str, np.ndarray]:
    """:func:`variance_kept` of every layer of the network ``seed`` (default the first).

    Returns
    -------
    dict of str -> numpy.ndarray of shape (n_layers,)
        ``"global pool, trained"``, ``"pooled to 2x2, trained"`` and, when the result has
        the untrained networks, ``"global pool, untrained"``: the lines of
        :func:`draw_variance_kept`.
    """
    s0 = data.seeds[0] if seed is None else seed
    kept = {
        "global pool, trained": np.array([variance_kept(data.acts(L, s0)) for L in data.layers]),
        "pooled to 2x2, trained": np.array([variance_kept(data.acts(L, s0), 2) for L in data.layers]),
    }
    if data.has_init:
        kept["global pool, untrained"] = np.array(
            [variance_kept(data.acts(L, s0, "init")) for L in data.layers]
        )
    return kept


def conv_variance_kept(data: Any) -> Any:
    """Figure: :func:`variance_kept_by_layer`, drawn."""
    return draw_variance_kept(data.layers, variance_kept_by_layer(data)).figure


def conv_recipes(data: Any) -> Any:
    """Figure: :func:`recipe_similarities`, drawn."""
    return draw_recipes(data.layers, recipe_similarities(data))[0].figure


def conv_dft_spectrum(*, scale: str | None = None) -> Any:
    """Draw the flattened CCA and the DFT union of :func:`shift_closed_example`.

    The example is smaller at ``scale="tiny"``.
    """
    import svcca
    from svcca.conv import dft_cca

    n_images, width = (40, 0.25) if scale == "tiny" else (100, 0.5)
    A, B = shift_closed_example(n_images, width)
    n = len(A)
    full = svcca.cca(A.reshape(n, -1), B.reshape(n, -1))
    return draw_dft_spectrum(full, dft_cca(A, B)).figure


def conv_frequency_map(data: Any) -> Any:
    """Figure: :func:`frequency_maps`, drawn."""
    maps, freqs = frequency_maps(data)
    return draw_frequency_maps(maps, freqs)[0].figure
