"""Figures of the introduction and the methods chapters (1-4).

Each function recomputes (or loads through :func:`svcca.experiments.run_or_load`) the data
of one figure of the book and draws it with :mod:`svcca.plotting`, with the same seeds as
the chapter, so ``svcca figures NAME`` regenerates the figure the book shows.
"""

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


@register(
    "intro-spectrum",
    chapter=0,
    caption="Canonical correlations of two layers sharing three latent directions.",
)
def intro_spectrum(*, scale: str = "default", cache_dir: Any = None) -> Any:
    import svcca
    from svcca import plotting

    X, Y = intro_views()
    with plotting.style():
        ax = plotting.plot_spectrum(svcca.cca(X, Y))
    return ax.figure


# --------------------------------------------------------------------------- shared data


def seed_pair_data(scale: str, cache_dir: Any = None) -> Any:
    """The seed-pair experiment of chapters 1, 3 and 4 at ``scale``, unpacked."""
    from ..experiments import run_or_load
    from ..experiments.seed_pair import SeedPairConfig, unpack

    return unpack(run_or_load(SeedPairConfig.for_scale(scale), cache_dir))


def middle_layer(layers: Any) -> str:
    """The middle hidden layer (the logits are last): ``fc2`` of a 3-hidden-layer MLP."""
    hidden = tuple(layers)[:-1] if len(layers) > 1 else tuple(layers)
    return hidden[len(hidden) // 2]


def three_signal_views(rng: Any, n: int = 2000) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Two 6-neuron layers mixing a quiet well-shared signal, a loud weakly shared signal
    and a loud private signal (chapter 3, section 1)."""
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


def _subplots(width: str = "single", aspect: float = 0.75, ncols: int = 1, **kw: Any) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt

    from .. import plotting

    return plt.subplots(
        1, ncols, figsize=plotting.figure_size(width, aspect=aspect), layout="constrained", **kw
    )


# --------------------------------------------------------------------------- chapter 1


@register(
    "cca-toy-spectrum",
    chapter=1,
    caption="Canonical correlations of two synthetic layers sharing three signals, from svcca.cca and as "
    "cosines of principal angles, against independent layers of the same shapes.",
)
def cca_toy_spectrum(*, scale: str = "default", cache_dir: Any = None) -> Any:
    import scipy.linalg

    import svcca
    from svcca import plotting

    Xt, Yt = intro_views(0)
    toy = svcca.cca(Xt, Yt)
    cosines = np.sort(np.cos(scipy.linalg.subspace_angles(Xt - Xt.mean(0), Yt - Yt.mean(0))))[::-1]
    null_rng = np.random.default_rng(1)
    null = np.array(
        [
            svcca.cca(null_rng.standard_normal(Xt.shape), null_rng.standard_normal(Yt.shape)).rho
            for _ in range(30)
        ]
    )
    with plotting.style():
        ax = plotting.plot_spectrum(toy, null=null, label="svcca.cca")
        plotting.plot_spectrum(cosines, ax=ax, label="cos(principal angles)")
    return ax.figure


def invariance_table(X: np.ndarray, Y: np.ndarray, rng: Any = 2) -> tuple[np.ndarray, list[str], list[str]]:
    """Similarity of ``T(X)`` and ``Y`` for five measures (rows) and five transforms (columns)."""
    import svcca

    rng = np.random.default_rng(rng)
    p = X.shape[1]
    A = rng.standard_normal((p, p))
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


@register(
    "cca-invariance",
    chapter=1,
    caption="Similarity between a transformed hidden layer of one network and the same layer of a network "
    "trained from another seed: mean CCA is invariant, measures weighing variance are not.",
)
def cca_invariance(*, scale: str = "default", cache_dir: Any = None) -> Any:
    from svcca import plotting

    data = seed_pair_data(scale, cache_dir)
    layer = middle_layer(data.layers)
    table, rows, cols = invariance_table(data.acts(layer, data.seeds[0]), data.acts(layer, data.seeds[1]))
    with plotting.style():
        fig, ax = _subplots("double", aspect=0.4)
        plotting.plot_similarity_matrix(
            table, rows, cols, ax=ax, square=False, vmin=None, vmax=None,
            xlabel="transform of the first layer", ylabel="measure", cbar_label="similarity",
        )  # fmt: skip
    return fig


def sample_size_sweep(
    ratios: Any = (1, 2, 3, 5, 10, 20, 50, 100), widths: Any = (8, 32, 64), rng: Any = 3, n_resamples: int = 5
) -> dict[str, np.ndarray]:
    """Mean CCA of independent Gaussian layers: ``{"p = q = P": draws of shape (n_ratios, n_resamples)}``."""
    import svcca
    from svcca import stats

    def mean_cca(U: Any, V: Any) -> Any:
        return svcca.cca(U, V, warn=False)

    rng = np.random.default_rng(rng)
    sweep = {}
    for p in widths:
        draws = []
        for ratio in ratios:
            n = int(ratio * p)
            U, V = rng.standard_normal((n, p)), rng.standard_normal((n, p))
            base = stats.random_baseline(U, V, mean_cca, n_resamples=n_resamples, rng=p)
            draws.append(base.null_distribution)
        sweep[f"p = q = {p}"] = np.array(draws)
    return sweep


@register(
    "cca-sample-size",
    chapter=1,
    caption="Mean canonical correlation of independent Gaussian layers against samples per neuron, for "
    "three widths: the chance level depends on n / p only.",
)
def cca_sample_size(*, scale: str = "default", cache_dir: Any = None) -> Any:
    from svcca import plotting

    ratios = np.array([1, 2, 3, 5, 10, 20, 50, 100])
    widths = (8, 32, 64) if scale != "tiny" else (8,)
    sweep = sample_size_sweep(ratios, widths)
    with plotting.style():
        ax = plotting.plot_intrinsic_dimensionality(
            ratios,
            sweep,
            logx=True,
            xlabel="samples per neuron (n / p)",
            ylabel="mean cca of independent layers",
        )
    return ax.figure


@register(
    "cca-real-spectrum",
    chapter=1,
    caption="Canonical correlations of a hidden layer between two networks trained from different seeds "
    "and between the same networks untrained, against a permutation null.",
)
def cca_real_spectrum(*, scale: str = "default", cache_dir: Any = None) -> Any:
    import svcca
    from svcca import plotting

    data = seed_pair_data(scale, cache_dir)
    layer = middle_layer(data.layers)
    s0, s1 = data.seeds[:2]
    X, Y = data.acts(layer, s0), data.acts(layer, s1)
    trained = svcca.cca(X, Y)
    untrained = svcca.cca(data.acts(layer, s0, "init"), data.acts(layer, s1, "init"))
    perm_rng = np.random.default_rng(4)
    perm = np.array([svcca.cca(X, Y[perm_rng.permutation(len(Y))]).rho for _ in range(20)])
    with plotting.style():
        ax = plotting.plot_spectrum(trained, null=perm, threshold=0.98, label="trained pair")
        plotting.plot_spectrum(untrained, ax=ax, label="untrained pair")
    return ax.figure


@register(
    "cca-explained-variance",
    chapter=1,
    caption="Cumulative variance explained by the singular directions of a hidden layer in two networks; "
    "the dashed lines mark the directions SVCCA keeps at 99%.",
)
def cca_explained_variance(*, scale: str = "default", cache_dir: Any = None) -> Any:
    import svcca
    from svcca import plotting

    data = seed_pair_data(scale, cache_dir)
    layer = middle_layer(data.layers)
    sv = svcca.svcca(data.acts(layer, data.seeds[0]), data.acts(layer, data.seeds[1]), keep=0.99)
    with plotting.style():
        ax = plotting.plot_explained_variance(sv, keep=0.99)
    return ax.figure


def svcca_by_keep(data: Any, layer: str, keeps: Any) -> dict[str, np.ndarray]:
    """SVCCA of ``layer`` for every pair of seeds and every ``keep``: ``{state: (n_pairs, n_keeps)}``."""
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


@register(
    "cca-keep",
    chapter=1,
    caption="SVCCA similarity of a hidden layer against the variance kept, for trained and untrained pairs "
    "of networks.",
)
def cca_keep(*, scale: str = "default", cache_dir: Any = None) -> Any:
    from svcca import plotting

    data = seed_pair_data(scale, cache_dir)
    keeps = [0.8, 0.9, 0.95, 0.99, 0.999]
    by_keep = svcca_by_keep(data, middle_layer(data.layers), keeps)
    with plotting.style():
        ax = plotting.plot_group_comparison(
            keeps,
            {"trained pairs": by_keep["trained"], "untrained pairs": by_keep["init"]},
            xlabel="variance kept",
            ylabel="svcca similarity",
        )
    return ax.figure


@register(
    "cca-pwcca-weights",
    chapter=1,
    caption="PWCCA weight of each canonical direction against its correlation, for a hidden layer of two "
    "networks trained from different seeds.",
)
def cca_pwcca_weights(*, scale: str = "default", cache_dir: Any = None) -> Any:
    import svcca
    from svcca import plotting

    data = seed_pair_data(scale, cache_dir)
    layer = middle_layer(data.layers)
    with plotting.style():
        ax = plotting.plot_pwcca_weights(
            svcca.pwcca(data.acts(layer, data.seeds[0]), data.acts(layer, data.seeds[1]))
        )
    return ax.figure


def pwcca_by_layer(data: Any, n_resamples: int = 50) -> dict[str, Any]:
    """PWCCA of every layer: trained and untrained pairs (n_pairs, n_layers) and a
    permutation null band (mean, 2.5%, 97.5%) for the first pair."""
    import svcca
    from svcca import stats

    s0, s1 = data.seeds[:2]
    out: dict[str, Any] = {}
    for name, state in (("trained pairs", "trained"), ("untrained pairs", "init")):
        out[name] = np.array(
            [
                [svcca.pwcca(data.acts(L, a, state), data.acts(L, b, state)).similarity for L in data.layers]
                for a, b in data.pairs()
            ]
        )
    nulls = [
        stats.permutation_test(data.acts(L, s0), data.acts(L, s1), "pwcca", n_resamples=n_resamples, rng=0)
        for L in data.layers
    ]
    out["permutation null"] = tuple(
        np.array(v)
        for v in zip(*[(t.null_mean, t.null_quantile(0.025), t.null_quantile(0.975)) for t in nulls])
    )
    return out


@register(
    "cca-seed-pairs",
    chapter=1,
    caption="PWCCA between the same layer of networks trained from different seeds, of the same networks "
    "untrained, and under a permutation null.",
)
def cca_seed_pairs(*, scale: str = "default", cache_dir: Any = None) -> Any:
    from svcca import plotting

    data = seed_pair_data(scale, cache_dir)
    groups = pwcca_by_layer(data)
    with plotting.style():
        ax = plotting.plot_group_comparison(data.layers, groups, ylabel="pwcca")
    return ax.figure


# --------------------------------------------------------------------------- chapter 3


@register(
    "methods-directions",
    chapter=3,
    caption="Absolute correlation between the first direction PCA, PLS and CCA find and the three signals "
    "two synthetic layers are made of.",
)
def methods_directions(*, scale: str = "default", cache_dir: Any = None) -> Any:
    import svcca
    from svcca import plotting

    X, Y, signals = three_signal_views(0)
    scores = {
        "pca": svcca.pca(X).scores[:, 0],
        "pls": svcca.pls(X, Y).x_scores[:, 0],
        "cca": svcca.cca(X, Y).x_variates[:, 0],
    }
    table = np.array([[abs(np.corrcoef(s, z)[0, 1]) for z in signals.values()] for s in scores.values()])
    with plotting.style():
        ax = plotting.plot_similarity_matrix(
            table, list(scores), list(signals), square=False,
            xlabel="signal", ylabel="first direction of", cbar_label="|correlation|",
        )  # fmt: skip
    return ax.figure


@register(
    "methods-intrinsic-dim",
    chapter=3,
    caption="Test accuracy when the first and last hidden layers are projected onto their top k directions "
    "(PCA, SVCCA, CCA, random), against the unprojected network.",
)
def methods_intrinsic_dim(*, scale: str = "default", cache_dir: Any = None) -> Any:
    from svcca import plotting

    data = seed_pair_data(scale, cache_dir)
    hidden = data.id_layers
    panels = (hidden[0], hidden[-1]) if len(hidden) > 1 else hidden
    full = float(data.test_accuracy.mean())
    with plotting.style():
        fig, axes = _subplots("double", aspect=0.4, ncols=len(panels), sharey=True)
        for ax, name in zip(np.atleast_1d(axes), panels):
            ks, curves = data.intrinsic_dimensionality(name)
            plotting.plot_intrinsic_dimensionality(
                ks, curves, full_accuracy=full, chance=data.chance, ax=ax, xlabel=f"directions kept in {name}"
            )
    return fig


@register(
    "methods-variance",
    chapter=3,
    caption="Cumulative variance explained by the principal directions of each hidden layer of one trained "
    "network; dashed lines mark 99% of the variance.",
)
def methods_variance(*, scale: str = "default", cache_dir: Any = None) -> Any:
    import svcca
    from svcca import plotting

    from ..nn import record

    data = seed_pair_data(scale, cache_dir)
    hidden = data.id_layers
    fit_images, _ = data.inputs()
    acts = record(data.network(data.seeds[0]), fit_images, list(hidden))
    with plotting.style():
        fig, axes = _subplots("double", aspect=0.35, ncols=len(hidden), sharey=True)
        for ax, name in zip(np.atleast_1d(axes), hidden):
            plotting.plot_explained_variance(
                svcca.pca(acts[name].astype(np.float64)),
                keep=0.99,
                ax=ax,
                label=name,
                xlabel=f"directions of {name}",
            )
    return fig


# --------------------------------------------------------------------------- chapter 4

BASELINES = ("trained pair", "untrained pair", "random (shape)", "random (spectrum)", "permutation")


def baseline_table(data: Any, layer: str) -> tuple[np.ndarray, list[str], list[str]]:
    """Mean similarity of a trained pair and of each baseline (rows) for three measures (columns)."""
    import svcca
    from svcca import stats

    s0, s1 = data.seeds[:2]
    X, Y = data.acts(layer, s0), data.acts(layer, s1)
    Xi, Yi = data.acts(layer, s0, "init"), data.acts(layer, s1, "init")
    measures = {"mean cca": "cca", "svcca": "svcca", "linear cka": "cka"}
    functions = {"mean cca": svcca.cca, "svcca": svcca.svcca, "linear cka": svcca.linear_cka}
    cols = []
    for label, m in measures.items():
        shape = stats.random_baseline(X, Y, m, n_resamples=5, match="shape", rng=0)
        spectrum = stats.random_baseline(X, Y, m, n_resamples=5, match="spectrum", rng=0)
        perm = stats.permutation_test(X, Y, m, n_resamples=100, rng=0)
        cols.append(
            [perm.observed, functions[label](Xi, Yi).similarity, shape.mean, spectrum.mean, perm.null_mean]
        )
    return np.array(cols).T, list(BASELINES), list(measures)


@register(
    "sig-baselines",
    chapter=4,
    caption="A hidden layer of two trained networks compared with three baselines (untrained networks, "
    "random layers of the same shape or spectrum, a permutation null) for three measures.",
)
def sig_baselines(*, scale: str = "default", cache_dir: Any = None) -> Any:
    from svcca import plotting

    data = seed_pair_data(scale, cache_dir)
    table, rows, cols = baseline_table(data, middle_layer(data.layers))
    with plotting.style():
        fig, ax = _subplots("single", aspect=0.85)
        plotting.plot_similarity_matrix(
            table,
            rows,
            cols,
            ax=ax,
            square=False,
            xlabel="measure",
            ylabel="compared with",
            cbar_label="similarity",
        )
    return fig


def basic_interval(b: Any) -> tuple[float, float, float]:
    """(bias-corrected estimate, low, high) of the basic bootstrap interval of a BootstrapResult."""
    q_lo, q_med, q_hi = np.quantile(b.bootstrap_distribution, [0.025, 0.5, 0.975])
    return 2 * b.observed - q_med, 2 * b.observed - q_hi, 2 * b.observed - q_lo


@register(
    "sig-bootstrap",
    chapter=4,
    caption="Mean CCA between the layers of two trained networks and of the same networks untrained: "
    "bias-corrected estimates with basic bootstrap 95% intervals over the test images.",
)
def sig_bootstrap(*, scale: str = "default", cache_dir: Any = None) -> Any:
    from svcca import plotting, stats

    data = seed_pair_data(scale, cache_dir)
    s0, s1 = data.seeds[:2]
    groups = {}
    for name, state in (("trained pair", "trained"), ("untrained pair", "init")):
        boot = [
            stats.bootstrap_ci(data.acts(L, s0, state), data.acts(L, s1, state), "cca", n_resamples=20, rng=0)
            for L in data.layers
        ]
        groups[name] = tuple(np.array(v) for v in zip(*map(basic_interval, boot)))
    with plotting.style():
        ax = plotting.plot_group_comparison(data.layers, groups, ylabel="mean cca (bias-corrected)")
    return ax.figure
