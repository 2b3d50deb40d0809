"""Every registered figure of the introduction and chapters 1, 3 and 4 renders at scale "tiny".

Chapter 2's figures are rendered by ``tests/test_conv_chapter.py``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from svcca import figures  # noqa: E402

# the figures of the methods chapters, by chapter (their names in the book carry a "fig-" prefix)
METHODS_FIGURES = {
    0: ["intro-spectrum"],
    1: [
        "cca-geometry",
        "cca-toy-spectrum",
        "cca-invariance",
        "cca-sample-size",
        "cca-real-spectrum",
        "cca-explained-variance",
        "cca-keep",
        "cca-pwcca-weights",
        "cca-seed-pairs",
    ],
    3: ["methods-directions", "methods-intrinsic-dim", "methods-variance"],
    4: ["sig-baselines", "sig-bootstrap"],
}
ALL = [name for names in METHODS_FIGURES.values() for name in names]
# a figure drawn from an experiment needs torch (its networks); a synthetic one does not
_EXPERIMENT = {spec.name: spec.experiment for spec in figures.specs()}
PARAMS = [pytest.param(name, marks=[pytest.mark.torch] if _EXPERIMENT.get(name) else []) for name in ALL]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """One experiment cache for the module: the tiny seed-pair run happens once."""
    return tmp_path_factory.mktemp("figure_cache")


def test_methods_figures_are_registered_with_their_chapters():
    specs = {s.name: s for s in figures.specs()}
    for chapter, names in METHODS_FIGURES.items():
        for name in names:
            assert name in specs, f"figure {name!r} is not registered"
            assert specs[name].chapter == chapter
            assert specs[name].caption.strip()
    # chapter 2's figures (svcca/figures/conv.py) are rendered by tests/test_conv_chapter.py
    registered_here = {s.name for s in figures.specs() if s.chapter in METHODS_FIGURES}
    assert registered_here == set(ALL), "a figure of these chapters is registered but not tested here"


@pytest.mark.slow
@pytest.mark.parametrize("name", PARAMS)
def test_figure_renders_at_tiny_scale(name, cache_dir):
    fig = figures.make_figure(name, scale="tiny", cache_dir=cache_dir)
    try:
        assert isinstance(fig, Figure)
        axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        assert axes
        for ax in axes:
            drawn = ax.lines or ax.collections or ax.patches or ax.images
            assert drawn, f"{name}: an axes has nothing drawn"
            assert ax.get_title() == "", f"{name}: titles belong in captions"
            for label in (ax.get_xlabel(), ax.get_ylabel()):
                assert label == label.lower(), f"{name}: axis labels are lowercase, got {label!r}"
        fig.canvas.draw()
    finally:
        plt.close(fig)


def test_save_figures_writes_a_methods_figure(tmp_path, cache_dir):
    written = figures.save_figures(
        ["methods-directions"], tmp_path, fmt="png", scale="tiny", cache_dir=cache_dir
    )
    assert [p.name for p in written] == ["methods-directions.png"]
    assert written[0].stat().st_size > 1000


def test_bootstrap_figure_shows_the_basic_interval_about_the_bias_corrected_estimate():
    # the hand-made reflection the chapter used before bootstrap_ci(method="basic") existed
    import numpy as np

    from svcca import stats
    from svcca.figures.methods import draw_bootstrap

    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 2))
    y = x + rng.standard_normal((300, 2))
    b = stats.bootstrap_ci(x, y, "cca", n_resamples=30, method="basic", rng=0)
    q_lo, q_med, q_hi = np.quantile(b.bootstrap_distribution, [0.025, 0.5, 0.975])
    reflected = (2 * b.observed - q_med, 2 * b.observed - q_hi, 2 * b.observed - q_lo)
    assert (b.bias_corrected, b.low, b.high) == reflected
    ax = draw_bootstrap(["layer"], {"trained": [b]})
    try:
        assert ax.get_ylabel() == "mean cca (bias-corrected)"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["trained pair"]
    finally:
        plt.close(ax.figure)


def test_figure_functions_check_the_axes_they_are_given():
    # panels were paired with axes silently: one axes for three layers drew one panel
    rng = np.random.default_rng(0)
    acts = {k: rng.standard_normal((50, p)) for k, p in [("h1", 5), ("h2", 6), ("h3", 7)]}
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"at least one Axes per panel \(3\); got 1"):
        figures.methods.draw_layer_variance(acts, axes=[ax])
    with pytest.raises(ValueError, match="must be matplotlib Axes"):
        figures.methods.draw_layer_variance(acts, axes=["a", "b", "c"])
    fig5, axes5 = plt.subplots(1, 5)
    assert len(figures.methods.draw_layer_variance(acts, axes=axes5)) == 3
    plt.close("all")
