"""Figures of the introduction and the methods chapters (1, 3 and 4).

Three kinds of public functions, used alike by the chapters and by ``svcca figures``:

* *computations* (``invariance_table``, ``pwcca_by_layer``, ``bootstrap_by_layer``, ...)
  return what a figure shows, so that a chapter can also print and check it;
* *drawings* (``draw_*``) draw those values with :mod:`svcca.plotting` and return the axes;
* *figures* (``cca_invariance``, ``sig_bootstrap``, ...) take the seed-pair result
  (:class:`svcca.experiments.seed_pair.SeedPairData`), or nothing for a synthetic example,
  compute and draw: they are the entries of the table behind ``svcca figures``.

The seeds are those of the chapters, so ``svcca figures NAME`` draws the figure the book shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._docs import fill_doc
from ._layout import panel_axes

__all__ = [
    "BASELINES",
    "BASELINE_MEASURES",
    "baseline_table",
    "baselines",
    "bootstrap_by_layer",
    "cca_explained_variance",
    "cca_geometry",
    "cca_invariance",
    "cca_keep",
    "cca_pwcca_weights",
    "cca_real_spectrum",
    "cca_sample_size",
    "cca_seed_pairs",
    "cca_toy_spectrum",
    "draw_baselines",
    "draw_bootstrap",
    "draw_directions",
    "draw_intrinsic_dimensionality",
    "draw_invariance",
    "draw_keep",
    "draw_layer_variance",
    "draw_real_spectrum",
    "draw_sample_size",
    "draw_seed_pairs",
    "draw_toy_spectrum",
    "first_directions",
    "geometry_views",
    "ID_LABELS",
    "independent_spectra",
    "intro_spectrum",
    "intro_views",
    "invariance_table",
    "methods_directions",
    "methods_intrinsic_dim",
    "methods_variance",
    "permutation_spectra",
    "pwcca_by_layer",
    "sample_size_sweep",
    "sig_baselines",
    "sig_bootstrap",
    "svcca_by_keep",
    "three_signal_views",
]

#: Legend labels of the projection families of :data:`svcca.experiments.seed_pair.METHODS`.
ID_LABELS = {"neurons": "random neurons", "top_neurons": "neurons, largest variance first"}


# --------------------------------------------------------------------------- synthetic data


def intro_views(rng: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two synthetic 'layers' (2000 samples; 20 and 30 neurons) sharing 3 latent directions.

    Parameters
    ----------
    rng : int or numpy.random.Generator, default 0
        A Generator is used (and advanced) as given.

    Returns
    -------
    X : numpy.ndarray of shape (2000, 20)
    Y : numpy.ndarray of shape (2000, 30)

    Examples
    --------
    >>> import svcca
    >>> from svcca.figures.methods import intro_views
    >>> X, Y = intro_views(0)
    >>> bool((svcca.cca(X, Y).rho[:3] > 0.99).all())
    True
    """
    rng = np.random.default_rng(rng)
    latent = rng.standard_normal((2000, 3))
    X = np.hstack([latent, rng.standard_normal((2000, 17))]) @ rng.standard_normal((20, 20))
    Y = np.hstack([latent, rng.standard_normal((2000, 27))]) @ rng.standard_normal((30, 30))
    return X, Y


def independent_spectra(x_shape: Any, y_shape: Any, n_resamples: int = 30, rng: Any = 1) -> np.ndarray:
    """Canonical correlations of independent Gaussian layers of the given shapes.

    Returns
    -------
    numpy.ndarray of shape (n_resamples, min(p, q))
        One spectrum per draw (a null band for :func:`svcca.plotting.plot_spectrum`).

    Examples
    --------
    >>> from svcca.figures.methods import independent_spectra
    >>> independent_spectra((200, 4), (200, 3), n_resamples=2).shape
    (2, 3)
    """
    import svcca

    gen = np.random.default_rng(rng)
    return np.array(
        [
            svcca.cca(gen.standard_normal(x_shape), gen.standard_normal(y_shape)).rho
            for _ in range(n_resamples)
        ]
    )


def permutation_spectra(X: Any, Y: Any, n_resamples: int = 100, rng: Any = 4) -> np.ndarray:
    """Canonical correlations of ``X`` against ``Y`` with its rows shuffled, one spectrum a draw.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.figures.methods import permutation_spectra
    >>> X = np.random.default_rng(0).standard_normal((100, 3))
    >>> permutation_spectra(X, X, n_resamples=2).shape
    (2, 3)
    """
    import svcca

    gen = np.random.default_rng(rng)
    return np.array([svcca.cca(X, Y[gen.permutation(len(Y))]).rho for _ in range(n_resamples)])


def three_signal_views(rng: Any, n: int = 2000) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Make two 6-neuron layers that mix three signals (chapter 3, section 1).

    The signals are a quiet well-shared one, a loud weakly shared one and a loud private
    one.

    Returns
    -------
    X, Y : numpy.ndarray of shape (n, 6)
    signals : dict of str -> numpy.ndarray of shape (n,)
        ``"quiet shared"``, ``"loud shared"`` and ``"private (x)"``.

    Examples
    --------
    >>> from svcca.figures.methods import three_signal_views
    >>> X, Y, signals = three_signal_views(0, n=100)
    >>> X.shape, list(signals)
    ((100, 6), ['quiet shared', 'loud shared', 'private (x)'])
    """
    rng = np.random.default_rng(rng)
    quiet, loud = rng.standard_normal(n), rng.standard_normal(n)
    private_x, private_y = rng.standard_normal(n), rng.standard_normal(n)

    def layer(private: np.ndarray) -> np.ndarray:
        cols = [quiet + 0.2 * rng.standard_normal(n), 5 * (loud + 1.5 * rng.standard_normal(n)), 10 * private]
        return (
            np.column_stack([*cols, rng.standard_normal((n, 3))])
            @ np.linalg.qr(rng.standard_normal((6, 6)))[0]
        )

    X, Y = layer(private_x), layer(private_y)
    return X, Y, {"quiet shared": quiet, "loud shared": loud, "private (x)": private_x}


def first_directions(X: Any, Y: Any, signals: Mapping[str, Any]) -> tuple[np.ndarray, list[str], list[str]]:
    """Absolute correlation of the first direction PCA, PLS and CCA find in ``X`` with each signal.

    Returns
    -------
    table : numpy.ndarray of shape (3, n_signals)
        Rows ``pca``, ``pls``, ``cca``.
    rows, cols : list of str
        The methods and the signals' names.

    Examples
    --------
    >>> from svcca.figures.methods import first_directions, three_signal_views
    >>> X, Y, signals = three_signal_views(0)
    >>> table, rows, cols = first_directions(X, Y, signals)
    >>> [cols[j] for j in table.argmax(1)]
    ['private (x)', 'loud shared', 'quiet shared']
    """
    import svcca

    scores = {
        "pca": svcca.pca(X).scores[:, 0],
        "pls": svcca.pls(X, Y).x_scores[:, 0],
        "cca": svcca.cca(X, Y).x_variates[:, 0],
    }
    table = np.array([[abs(np.corrcoef(s, z)[0, 1]) for z in signals.values()] for s in scores.values()])
    return table, list(scores), list(signals)


def invariance_table(X: np.ndarray, Y: np.ndarray, rng: Any = 2) -> tuple[np.ndarray, list[str], list[str]]:
    """Similarity of ``T(X)`` and ``Y`` for five measures (rows) and five transforms (columns).

    The transforms: none, a constant offset per neuron, a rotation, a positive scale per
    neuron, a general invertible map, all drawn from ``rng``.

    Returns
    -------
    table : numpy.ndarray of shape (5, 5)
    rows, cols : list of str
        The measures and the transforms.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.figures.methods import invariance_table
    >>> gen = np.random.default_rng(0)
    >>> X = gen.standard_normal((300, 4))
    >>> table, rows, cols = invariance_table(X, X + 0.5 * gen.standard_normal((300, 4)))
    >>> rows[0], bool(np.ptp(table[0]) < 1e-8)
    ('mean cca', True)
    """
    import svcca

    rng = np.random.default_rng(rng)
    p = X.shape[1]
    A = rng.standard_normal((p, p))  # invertible with probability 1
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    scales = np.exp(rng.normal(0.0, 1.0, p))
    offsets = rng.integers(-5, 6, p).astype(float)
    transforms = {
        "none": lambda Z: Z,
        "offsets": lambda Z: Z + offsets,
        "rotation": lambda Z: Z @ Q,
        "neuron scales": lambda Z: Z * scales,
        "invertible map": lambda Z: Z @ A,
    }
    measures = {
        "mean cca": lambda U, V: svcca.cca(U, V).similarity,
        "svcca": lambda U, V: svcca.svcca(U, V).similarity,
        "pwcca": lambda U, V: svcca.pwcca(U, V).similarity,
        "linear cka": lambda U, V: svcca.linear_cka(U, V).similarity,
        "pls": lambda U, V: svcca.pls(U, V).similarity,
    }
    table = np.array([[f(T(X), Y) for T in transforms.values()] for f in measures.values()])
    return table, list(measures), list(transforms)


def sample_size_sweep(
    ratios: Any = (1, 2, 3, 5, 10, 20, 50, 100), widths: Any = (8, 32, 64), rng: Any = 3, n_resamples: int = 5
) -> dict[str, np.ndarray]:
    """Mean CCA of independent Gaussian layers against samples per neuron.

    Returns
    -------
    dict of str -> numpy.ndarray of shape (n_ratios, n_resamples)
        ``{"p = q = P": draws}`` for each width ``P``.

    Examples
    --------
    >>> from svcca.figures.methods import sample_size_sweep
    >>> sweep = sample_size_sweep((1, 100), widths=(4,), n_resamples=2)
    >>> draws = sweep["p = q = 4"]
    >>> draws.shape, bool(draws[0].min() > 0.99), bool(draws[1].max() < 0.2)
    ((2, 2), True, True)
    """
    import svcca
    from svcca import stats

    def mean_cca(U: Any, V: Any) -> Any:
        return svcca.cca(U, V, warn=False)  # below n = p + q the warning is the point

    rng = np.random.default_rng(rng)
    sweep = {}
    for p in widths:
        draws = []
        for ratio in ratios:
            n = int(ratio * p)
            U, V = rng.standard_normal((n, p)), rng.standard_normal((n, p))
            draws.append(
                stats.random_baseline(U, V, mean_cca, n_resamples=n_resamples, rng=p).null_distribution
            )
        sweep[f"p = q = {p}"] = np.array(draws)
    return sweep


# --------------------------------------------------------------------------- seed-pair computations


def svcca_by_keep(data: Any, layer: str, keeps: Any) -> dict[str, np.ndarray]:
    """SVCCA of ``layer`` for every pair of seeds and every ``keep``.

    Returns
    -------
    dict of str -> numpy.ndarray of shape (n_pairs, n_keeps)
        For the states ``"trained"`` and ``"init"``.
    """
    import svcca

    return {
        state: np.array(
            [
                [
                    svcca.svcca(data.acts(layer, a, state), data.acts(layer, b, state), keep=k).similarity
                    for k in keeps
                ]
                for a, b in data.pairs()
            ]
        )
        for state in ("trained", "init")
    }


def pwcca_by_layer(data: Any, n_resamples: int = 200, rng: int | None = None) -> dict[str, Any]:
    """Compute PWCCA of every layer, the same networks untrained and a permutation null.

    The null permutes whole images (``groups=data.images(layer)``).

    Parameters
    ----------
    data : SeedPairData
    n_resamples : int, default 200
        Shuffles of the null.
    rng : int, optional
        Seed of the shuffles; the experiment's ``seed`` when None (so the book's claims and
        chapter 1 use the same ones, computed once in a build).

    Returns
    -------
    dict
        ``"trained pairs"`` and ``"untrained pairs"``: arrays of shape (n_pairs, n_layers);
        ``"permutation null"``: (mean, 2.5%, 97.5%) over the shuffles of the first pair,
        each of shape (n_layers,). The groups of :func:`draw_seed_pairs`.
    """
    import svcca
    from svcca import stats
    from svcca.experiments import memoized

    seed = int(data.config.seed) if rng is None else rng
    s0, s1 = data.seeds[:2]

    def compute() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, state in (("trained pairs", "trained"), ("untrained pairs", "init")):
            out[name] = np.array(
                [
                    [
                        svcca.pwcca(data.acts(L, a, state), data.acts(L, b, state)).similarity
                        for L in data.layers
                    ]
                    for a, b in data.pairs()
                ]
            )
        nulls = [
            stats.permutation_test(
                data.acts(L, s0),
                data.acts(L, s1),
                "pwcca",
                n_resamples=n_resamples,
                groups=data.images(L),
                rng=seed,
            )
            for L in data.layers
        ]
        out["permutation null"] = tuple(
            np.array(v)
            for v in zip(*[(t.null_mean, t.null_quantile(0.025), t.null_quantile(0.975)) for t in nulls])
        )
        return out

    # the book's claims and chapter 1 both use these: inside the build, computed once
    return memoized(data.config, data.arrays, f"pwcca_by_layer-{n_resamples}-{seed}", compute)


#: The rows of :func:`baseline_table`.
BASELINES = ("trained pair", "untrained pair", "random (shape)", "random (spectrum)", "permutation")

#: The measures of :func:`baselines`: table label -> name in :mod:`svcca.stats`.
BASELINE_MEASURES = {"mean cca": "cca", "svcca": "svcca", "linear cka": "cka"}


def baselines(data: Any, layer: str, rng: int | None = None) -> dict[str, dict[str, Any]]:
    """Compare a trained pair of ``layer`` (the first two seeds) against three baselines, per measure.

    Parameters
    ----------
    data : SeedPairData
    layer : str
    rng : int, optional
        Seed of the random layers and the shuffles; the experiment's ``seed`` when None (so
        the book's claims and chapter 4 draw the same ones, computed once in a build).

    Returns
    -------
    dict of str -> dict
        For ``"mean cca"``, ``"svcca"`` and ``"linear cka"``: ``"shape"`` and
        ``"spectrum"`` (:func:`svcca.stats.random_baseline`, 5 draws), ``"permutation"``
        (:func:`svcca.stats.permutation_test`, 100 shuffles of whole images; its ``observed``
        is the trained pair) and ``"untrained"`` (the similarity of the same networks
        untrained, a float).
    """
    import svcca
    from svcca import stats
    from svcca.experiments import memoized

    seed = int(data.config.seed) if rng is None else rng
    s0, s1 = data.seeds[:2]
    X, Y = data.acts(layer, s0), data.acts(layer, s1)
    Xi, Yi = data.acts(layer, s0, "init"), data.acts(layer, s1, "init")

    def compute() -> dict[str, dict[str, Any]]:
        return {
            label: {
                "shape": stats.random_baseline(X, Y, m, n_resamples=5, match="shape", rng=seed),
                "spectrum": stats.random_baseline(X, Y, m, n_resamples=5, match="spectrum", rng=seed),
                "permutation": stats.permutation_test(
                    X, Y, m, n_resamples=100, groups=data.images(layer), rng=seed
                ),
                "untrained": svcca.Measure(m)(Xi, Yi).similarity,
            }
            for label, m in BASELINE_MEASURES.items()
        }

    # the book's claims and chapter 4 both use these: inside the build, computed once
    return memoized(data.config, data.arrays, f"baselines-{layer}-{seed}", compute)


def baseline_table(results: Mapping[str, Mapping[str, Any]]) -> tuple[np.ndarray, list[str], list[str]]:
    """Return the mean of each baseline of :func:`baselines` (rows :data:`BASELINES`, a column a measure).

    Returns
    -------
    table : numpy.ndarray of shape (5, n_measures)
    rows, cols : list of str
    """
    cols = [
        [
            r["permutation"].observed,
            r["untrained"],
            r["shape"].mean,
            r["spectrum"].mean,
            r["permutation"].null_mean,
        ]
        for r in results.values()
    ]
    return np.array(cols).T, list(BASELINES), list(results)


def bootstrap_by_layer(
    data: Any, method: str = "basic", n_resamples: int = 200, *, grouped: bool = True, rng: int = 0
) -> dict[str, list[Any]]:
    """Bootstrap intervals of mean CCA over the images, every layer of the first pair of seeds.

    Parameters
    ----------
    data : SeedPairData
    method : {"percentile", "basic", "bca"}, default "basic"
        As :func:`svcca.stats.bootstrap_ci`.
    n_resamples : int, default 200
    grouped : bool, default True
        Resample whole test images (``groups=data.images(layer)``: an image's shifts and
        positions together), or rows one by one (False).
    rng : int, default 0
        Seed of the resamples (the same resamples whatever ``method``).

    Returns
    -------
    dict of str -> list of BootstrapResult
        For the states ``"trained"`` and ``"init"``, one result per layer.
    """
    from svcca import stats
    from svcca.experiments import memoized

    s0, s1 = data.seeds[:2]

    def compute() -> dict[str, list[Any]]:
        return {
            state: [
                stats.bootstrap_ci(
                    data.acts(L, s0, state),
                    data.acts(L, s1, state),
                    "cca",
                    n_resamples=n_resamples,
                    method=method,
                    groups=data.images(L) if grouped else None,
                    rng=rng,
                )
                for L in data.layers
            ]
            for state in ("trained", "init")
        }

    # the book's claims and chapter 4 both draw these: inside the build, computed once
    return memoized(
        data.config, data.arrays, f"bootstrap_by_layer-{method}-{n_resamples}-{grouped}-{rng}", compute
    )


# --------------------------------------------------------------------------- drawings


def draw_toy_spectrum(result: Any, cosines: Any, null: Any, ax: Any = None) -> Any:
    """``svcca.cca``'s correlations, the principal angles' cosines and a null band, overlaid."""
    from .. import plotting

    ax = plotting.plot_spectrum(result, null=null, ax=ax, label="svcca.cca")
    return plotting.plot_spectrum(cosines, ax=ax, label="cos(principal angles)")


def draw_invariance(table: Any, rows: Sequence[str], cols: Sequence[str], ax: Any = None) -> Any:
    """Draw the measures x transforms table of :func:`invariance_table` as a heatmap."""
    from .. import plotting

    if ax is None:
        ax = panel_axes(None, 1, aspect=0.4)[0]
    return plotting.plot_similarity_matrix(
        table, list(rows), list(cols), ax=ax, square=False, vmin=None, vmax=None,
        xlabel="transform of the first layer", ylabel="measure", cbar_label="similarity",
    )  # fmt: skip


def draw_sample_size(ratios: Any, sweep: Mapping[str, Any], ax: Any = None) -> Any:
    """Draw the chance level of :func:`sample_size_sweep` against samples per neuron (log axis)."""
    from .. import plotting

    return plotting.plot_intrinsic_dimensionality(
        ratios, sweep, ax=ax, logx=True,
        xlabel="samples per neuron (n / p)", ylabel="mean cca of independent layers",
    )  # fmt: skip


def draw_real_spectrum(trained: Any, untrained: Any, null: Any, ax: Any = None) -> Any:
    """Draw a trained pair's spectrum with a permutation band and the truncation, and the untrained pair's."""
    from .. import plotting

    ax = plotting.plot_spectrum(trained, null=null, ax=ax, threshold=0.98, label="trained pair")
    return plotting.plot_spectrum(untrained, ax=ax, label="untrained pair")


def draw_keep(keeps: Any, by_keep: Mapping[str, Any], ax: Any = None) -> Any:
    """SVCCA against the variance kept (:func:`svcca_by_keep`), trained and untrained pairs."""
    from .. import plotting

    return plotting.plot_group_comparison(
        keeps, {"trained pairs": by_keep["trained"], "untrained pairs": by_keep["init"]}, ax=ax,
        xlabel="variance kept", ylabel="svcca similarity",
    )  # fmt: skip


def draw_seed_pairs(layers: Sequence[str], groups: Mapping[str, Any], ax: Any = None) -> Any:
    """PWCCA per layer for each group of :func:`pwcca_by_layer`."""
    from .. import plotting

    return plotting.plot_group_comparison(list(layers), dict(groups), ax=ax, ylabel="pwcca")


def draw_directions(table: Any, rows: Sequence[str], cols: Sequence[str], ax: Any = None) -> Any:
    """Draw the methods x signals table of :func:`first_directions` as a heatmap."""
    from .. import plotting

    return plotting.plot_similarity_matrix(
        table, list(rows), list(cols), ax=ax, square=False,
        xlabel="signal", ylabel="first direction of", cbar_label="|correlation|",
    )  # fmt: skip


@fill_doc
def draw_intrinsic_dimensionality(data: Any, axes: Any = None) -> Any:
    """Test accuracy against directions kept, in the first and the last projected layer.

    Parameters
    ----------
    data : SeedPairData
    axes : sequence of matplotlib Axes, optional
        One per panel; a new double-column figure when None.

    %(returns_axes_array)s
    """
    from .. import plotting

    hidden = data.id_layers
    panels = (hidden[0], hidden[-1]) if len(hidden) > 1 else hidden
    axes = panel_axes(axes, len(panels), aspect=0.4, sharey=True)
    full = float(data.test_accuracy.mean())
    for ax, name in zip(axes, panels):
        ks, curves = data.intrinsic_dimensionality(name)
        curves = {ID_LABELS.get(m, m): c for m, c in curves.items()}
        plotting.plot_intrinsic_dimensionality(
            ks, curves, full_accuracy=full, chance=data.chance, ax=ax, xlabel=f"directions kept in {name}"
        )
    return axes


@fill_doc
def draw_layer_variance(acts: Mapping[str, Any], axes: Any = None) -> Any:
    """Cumulative explained variance of each layer in ``acts`` (one panel a layer, 99% marked).

    Parameters
    ----------
    acts : mapping layer -> array of shape (n_samples, n_features)
    axes : sequence of matplotlib Axes, optional
        One per layer; a new double-column figure when None.

    %(returns_axes_array)s
    """
    import svcca
    from svcca import plotting

    axes = panel_axes(axes, len(acts), aspect=0.35, sharey=True)
    for ax, (name, A) in zip(axes, acts.items()):
        plotting.plot_explained_variance(
            svcca.pca(np.asarray(A, dtype=np.float64)), keep=0.99, ax=ax, label=name,
            xlabel=f"directions of {name}",
        )  # fmt: skip
    return axes


def draw_baselines(table: Any, rows: Sequence[str], cols: Sequence[str], ax: Any = None) -> Any:
    """Draw the baselines x measures table of :func:`baseline_table` as a heatmap."""
    from .. import plotting

    if ax is None:
        ax = panel_axes(None, 1, aspect=0.85, width="single")[0]
    return plotting.plot_similarity_matrix(
        table, list(rows), list(cols), ax=ax, square=False,
        xlabel="measure", ylabel="compared with", cbar_label="similarity",
    )  # fmt: skip


def draw_bootstrap(layers: Sequence[str], boot: Mapping[str, Sequence[Any]], ax: Any = None) -> Any:
    """Bias-corrected estimates with their intervals (:func:`bootstrap_by_layer`), per layer.

    Each point is :attr:`~svcca.stats.BootstrapResult.bias_corrected`, its bar the
    result's interval (basic, for the book's figure).
    """
    from .. import plotting

    names = {"trained": "trained pair", "init": "untrained pair"}
    groups = {
        names.get(state, state): tuple(
            np.array(v) for v in zip(*[(b.bias_corrected, b.low, b.high) for b in bs])
        )
        for state, bs in boot.items()
    }
    return plotting.plot_group_comparison(list(layers), groups, ax=ax, ylabel="mean cca (bias-corrected)")


# --------------------------------------------------------------------------- figures


def intro_spectrum(*, scale: str | None = None) -> Any:
    """Canonical correlations of :func:`intro_views` (the introduction's figure)."""
    import svcca
    from svcca import plotting

    X, Y = intro_views()
    return plotting.plot_spectrum(svcca.cca(X, Y)).figure


def geometry_views(rng: Any = 0, n: int = 1000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two layers of two neurons sharing one signal ``z``, each with a private one (chapter 1).

    Returns ``(X, Y, z)``: ``X``, ``Y`` of shape ``(n, 2)`` mix the shared signal differently
    into their neurons; ``z`` (shape ``(n,)``) colours the points of the geometry figure.

    Examples
    --------
    >>> X, Y, z = geometry_views(0)
    >>> X.shape, Y.shape, z.shape
    ((1000, 2), (1000, 2), (1000,))
    """
    gen = np.random.default_rng(rng)
    z, private_x, private_y = gen.standard_normal((3, n))
    X = np.column_stack([z + 0.3 * private_x, 0.8 * z - 0.9 * private_x]) + 0.2 * gen.standard_normal((n, 2))
    Y = np.column_stack([0.5 * z + private_y, -z + 0.2 * private_y]) + 0.2 * gen.standard_normal((n, 2))
    return X, Y, z


def cca_geometry(*, scale: str | None = None) -> Any:
    """Chapter 1: :func:`svcca.plotting.plot_canonical_directions` of :func:`geometry_views`."""
    from .. import plotting

    X, Y, z = geometry_views(0)
    return plotting.plot_canonical_directions(X, Y, color=z)[0].figure


def cca_toy_spectrum(*, scale: str | None = None) -> Any:
    """Chapter 1: :func:`intro_views`' spectrum, two ways, against independent layers."""
    import scipy.linalg

    import svcca

    Xt, Yt = intro_views(0)
    cosines = np.sort(np.cos(scipy.linalg.subspace_angles(Xt - Xt.mean(0), Yt - Yt.mean(0))))[::-1]
    null = independent_spectra(Xt.shape, Yt.shape)
    return draw_toy_spectrum(svcca.cca(Xt, Yt), cosines, null).figure


def cca_invariance(data: Any) -> Any:
    """Chapter 1: :func:`invariance_table` of the middle layer of the first two networks."""
    layer = data.middle_layer
    table, rows, cols = invariance_table(data.acts(layer, data.seeds[0]), data.acts(layer, data.seeds[1]))
    return draw_invariance(table, rows, cols).figure


def cca_sample_size(*, scale: str | None = None) -> Any:
    """Chapter 1: :func:`sample_size_sweep` (one width only at ``scale="tiny"``)."""
    ratios = np.array([1, 2, 3, 5, 10, 20, 50, 100])
    widths = (8,) if scale == "tiny" else (8, 32, 64)
    return draw_sample_size(ratios, sample_size_sweep(ratios, widths)).figure


def cca_real_spectrum(data: Any) -> Any:
    """Chapter 1: the middle layer's spectrum, trained and untrained, against a permutation null."""
    import svcca

    layer = data.middle_layer
    s0, s1 = data.seeds[:2]
    X, Y = data.acts(layer, s0), data.acts(layer, s1)
    untrained = svcca.cca(data.acts(layer, s0, "init"), data.acts(layer, s1, "init"))
    return draw_real_spectrum(svcca.cca(X, Y), untrained, permutation_spectra(X, Y)).figure


def cca_explained_variance(data: Any) -> Any:
    """Chapter 1: the middle layer's explained variance and the directions SVCCA keeps at 99%."""
    import svcca
    from svcca import plotting

    layer = data.middle_layer
    sv = svcca.svcca(data.acts(layer, data.seeds[0]), data.acts(layer, data.seeds[1]), keep=0.99)
    return plotting.plot_explained_variance(sv, keep=0.99).figure


def cca_keep(data: Any) -> Any:
    """Chapter 1: :func:`svcca_by_keep` of the middle layer."""
    keeps = [0.8, 0.9, 0.95, 0.99, 0.999]
    return draw_keep(keeps, svcca_by_keep(data, data.middle_layer, keeps)).figure


def cca_pwcca_weights(data: Any) -> Any:
    """Chapter 1: PWCCA's weights against the correlations of the middle layer."""
    import svcca
    from svcca import plotting

    layer = data.middle_layer
    pw = svcca.pwcca(data.acts(layer, data.seeds[0]), data.acts(layer, data.seeds[1]))
    return plotting.plot_pwcca_weights(pw).figure


def cca_seed_pairs(data: Any) -> Any:
    """Chapter 1: :func:`pwcca_by_layer`."""
    return draw_seed_pairs(data.layers, pwcca_by_layer(data)).figure


def methods_directions(*, scale: str | None = None) -> Any:
    """Chapter 3: :func:`first_directions` of :func:`three_signal_views`."""
    X, Y, signals = three_signal_views(0)
    return draw_directions(*first_directions(X, Y, signals)).figure


def methods_intrinsic_dim(data: Any) -> Any:
    """Chapter 3: :func:`draw_intrinsic_dimensionality`."""
    return draw_intrinsic_dimensionality(data)[0].figure


def methods_variance(data: Any) -> Any:
    """Draw chapter 3's figure of the layer variance (:func:`draw_layer_variance`).

    It shows the first network's projected layers on the training images.
    """
    from ..nn import record

    fit_images, _ = data.inputs()
    acts = record(data.network(data.seeds[0]), fit_images, list(data.id_layers))
    return draw_layer_variance({name: acts[name] for name in data.id_layers})[0].figure


def sig_baselines(data: Any) -> Any:
    """Chapter 4: :func:`baseline_table` of the middle layer."""
    return draw_baselines(*baseline_table(baselines(data, data.middle_layer))).figure


def sig_bootstrap(data: Any) -> Any:
    """Chapter 4: basic bootstrap intervals of :func:`bootstrap_by_layer`."""
    return draw_bootstrap(data.layers, bootstrap_by_layer(data, "basic")).figure
