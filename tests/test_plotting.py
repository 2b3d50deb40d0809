"""Tests for svcca.plotting: each figure is rendered on tiny data (Agg) and what was drawn is checked."""

import logging
import os

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import PolyCollection, QuadMesh  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402
from scipy import stats as sps  # noqa: E402

import svcca  # noqa: E402
import svcca.plotting as sp  # noqa: E402

ATOL = 1e-12  # drawn coordinates are the data themselves, up to float rounding


@pytest.fixture(autouse=True)
def isolated_figures():
    """Each test starts from matplotlib's defaults and leaves no figure or rcParam behind."""
    with mpl.rc_context():
        yield
    plt.close("all")


@pytest.fixture
def shared_latent_views():
    """Two 'layers' sharing a 3-d latent, plus noise: 3 high correlations, the rest low."""
    rng = np.random.default_rng(0)
    latent = rng.standard_normal((300, 3))
    X = latent @ rng.standard_normal((3, 8)) + 0.3 * rng.standard_normal((300, 8))
    Y = latent @ rng.standard_normal((3, 6)) + 0.3 * rng.standard_normal((300, 6))
    return X, Y


def luminance(color):
    r, g, b = to_rgb(color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def reference_lines(ax, axis):
    """Positions of the axis-spanning reference lines on ``ax``: axvline's x (``axis="x"``) or
    axhline's y (``axis="y"``); such lines are constant along ``axis`` and not in data coordinates."""
    out = []
    for line in ax.lines:
        v = np.asarray(line.get_xdata() if axis == "x" else line.get_ydata(), dtype=float)
        if v.size == 2 and v[0] == v[1] and line.get_transform() != ax.transData:
            out.append(float(v[0]))
    return out


def vlines_x(ax):
    return reference_lines(ax, "x")


def hlines_y(ax):
    return reference_lines(ax, "y")


def data_lines(ax):
    return [line for line in ax.lines if line.get_transform() == ax.transData]


def legend_texts(ax):
    leg = ax.get_legend()
    return [] if leg is None else [t.get_text() for t in leg.get_texts()]


def band_range(coll):
    """(min, max) of a fill_between band's y coordinates."""
    v = coll.get_paths()[0].vertices
    return v[:, 1].min(), v[:, 1].max()


# ---------------------------------------------------------------------------------------------
# the style


def test_style_file_is_packaged_and_loads_without_bad_keys(caplog):
    assert sp.STYLE_PATH.name == "svcca.mplstyle" and sp.STYLE_PATH.is_file()
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        rc = mpl.rc_params_from_file(sp.STYLE_PATH, use_default_template=False)
    assert not [r for r in caplog.records if "Bad" in r.getMessage() or "Illegal" in r.getMessage()]
    assert rc["pdf.fonttype"] == 42
    assert rc["savefig.dpi"] == 300
    assert rc["axes.grid"] is True
    assert [to_hex(c).upper() for c in rc["axes.prop_cycle"].by_key()["color"]] == list(sp.PALETTE)


def test_style_is_importable_by_dotted_package_name():
    with plt.style.context("svcca.plotting.svcca"):
        assert mpl.rcParams["font.size"] == 8.0


def test_use_style_changes_rcparams_and_accepts_overrides():
    assert mpl.rcParams["axes.spines.top"] is True  # matplotlib default: the negative control
    sp.use_style(rc={"font.size": 9})
    assert mpl.rcParams["axes.spines.top"] is False
    assert mpl.rcParams["font.size"] == 9.0
    assert mpl.rcParams["pdf.fonttype"] == 42


def test_style_context_restores_previous_settings():
    before = mpl.rcParams["font.size"]
    with sp.style(rc={"lines.linewidth": 2.0}):
        assert mpl.rcParams["font.size"] == 8.0
        assert mpl.rcParams["lines.linewidth"] == 2.0
    assert mpl.rcParams["font.size"] == before


def test_use_style_rejects_non_mapping_rc():
    with pytest.raises(TypeError, match="rc must be a mapping"):
        sp.use_style(rc=["font.size", 9])


def test_palette_is_okabe_ito():
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    assert set(sp.PALETTE) == okabe_ito and len(sp.PALETTE) == 8


def test_figure_size_paper_widths():
    assert sp.figure_size("single") == (3.4, 2.55)
    assert sp.figure_size("double", 0.5) == (7.0, 3.5)
    assert sp.figure_size(5, 1.0) == (5.0, 5.0)


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        (("triple",), ValueError, r"width must be one of 'single', 'double'.*got 'triple'"),
        ((-1.0,), ValueError, "width must be a positive number of inches; got -1.0"),
        (("single", 0), ValueError, r"aspect \(height / width\) must be a positive number; got 0"),
        ((None,), TypeError, "width must be 'single', 'double' or a number of inches; got NoneType"),
    ],
)
def test_figure_size_bad_inputs(args, exc, match):
    with pytest.raises(exc, match=match):
        sp.figure_size(*args)


def test_depth_colors_get_lighter_with_depth():
    cols = sp.depth_colors(6)
    lum = [luminance(c) for c in cols]
    assert len(cols) == 6 and np.all(np.diff(lum) > 0)
    with pytest.raises(ValueError, match="n must be a positive int; got 0"):
        sp.depth_colors(0)


# ---------------------------------------------------------------------------------------------
# save_figure

MAGIC = {"pdf": b"%PDF-", "png": b"\x89PNG\r\n\x1a\n"}


def small_figure():
    return sp.plot_spectrum([0.99, 0.7, 0.2], label="spectrum").figure


def test_save_figure_writes_each_format_with_its_magic_bytes(tmp_path):
    fig = small_figure()
    paths = sp.save_figure(fig, tmp_path / "a" / "b" / "fig", formats=["pdf", "svg", "png"])
    assert [p.name for p in paths] == ["fig.pdf", "fig.svg", "fig.png"]
    assert paths[0].read_bytes().startswith(MAGIC["pdf"])
    assert paths[2].read_bytes().startswith(MAGIC["png"])
    svg = paths[1].read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    assert sorted(os.listdir(tmp_path / "a" / "b")) == ["fig.pdf", "fig.png", "fig.svg"]  # no temp files


def test_save_figure_format_from_suffix_and_axes_accepted(tmp_path):
    ax = small_figure().axes[0]
    (path,) = sp.save_figure(ax, tmp_path / "spectrum.PNG")
    assert path == tmp_path / "spectrum.PNG"
    assert path.read_bytes().startswith(MAGIC["png"])


def test_save_figure_png_has_requested_dpi(tmp_path):
    fig = small_figure()
    (p100,) = sp.save_figure(fig, tmp_path / "lo.png", dpi=100)
    (p200,) = sp.save_figure(fig, tmp_path / "hi.png", dpi=200)
    w100 = plt.imread(p100).shape[1]
    w200 = plt.imread(p200).shape[1]
    assert abs(w200 / w100 - 2.0) < 0.05


def test_save_figure_is_reproducible_byte_for_byte(tmp_path):
    # the same figure made twice (as a figure script reruns) gives the same bytes: no dates,
    # fixed SVG ids. (Saving one figure object twice may differ in the last digits of its
    # coordinates: constrained layout refines positions on every draw.)
    a = sp.save_figure(small_figure(), tmp_path / "one", formats=["pdf", "svg", "png"])
    b = sp.save_figure(small_figure(), tmp_path / "two", formats=["pdf", "svg", "png"])
    for pa, pb in zip(a, b):
        assert pa.read_bytes() == pb.read_bytes(), pa.suffix


def test_save_figure_embeds_truetype_fonts_in_pdf(tmp_path):
    (p,) = sp.save_figure(small_figure(), tmp_path / "f.pdf")
    data = p.read_bytes()
    assert b"/FontFile2" in data  # embedded TrueType (fonttype 42) ...
    assert b"/Type3" not in data  # ... and not matplotlib's default Type 3 glyphs
    assert b"/CreationDate" not in data


def test_save_figure_failure_leaves_previous_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "fig.pdf"
    target.write_bytes(b"previous")
    fig = small_figure()

    def broken_savefig(fh, **kwargs):
        fh.write(b"%PDF-half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        sp.save_figure(fig, target)
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["fig.pdf"]


@pytest.mark.parametrize(
    ("path", "formats", "match"),
    [
        ("fig", None, r"cannot tell the format from 'fig'.*got suffix ''"),
        ("fig.jpg", None, r"cannot tell the format from 'fig.jpg'.*got suffix '.jpg'"),
        ("fig", ["pdf", "eps"], r"formats must be among 'pdf', 'svg', 'png'; got 'eps'"),
        ("fig", [], "formats must name at least one format"),
    ],
)
def test_save_figure_bad_formats(tmp_path, path, formats, match):
    with pytest.raises(ValueError, match=match):
        sp.save_figure(small_figure(), tmp_path / path, formats=formats)
    assert os.listdir(tmp_path) == []


def test_save_figure_rejects_non_figure(tmp_path):
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure or Axes; got list"):
        sp.save_figure([1], tmp_path / "f.png")


# ---------------------------------------------------------------------------------------------
# every figure function: takes ax=, returns it, creates a paper-sized figure when ax is None


def _calls():
    rho = np.array([0.95, 0.8, 0.4, 0.1])
    return {
        "spectrum": lambda ax: sp.plot_spectrum(rho, ax=ax),
        "matrix": lambda ax: sp.plot_similarity_matrix(np.eye(3), ax=ax),
        "dynamics": lambda ax: sp.plot_learning_dynamics([0, 1, 2], np.ones((3, 2)), ax=ax),
        "groups": lambda ax: sp.plot_group_comparison([1, 2], {"a": np.ones((3, 2))}, ax=ax),
        "classes": lambda ax: sp.plot_class_sensitivity([1, 2], np.ones((2, 3)), ax=ax),
        "variance": lambda ax: sp.plot_explained_variance([3.0, 2.0, 1.0], ax=ax),
        "pwcca": lambda ax: sp.plot_pwcca_weights(rho, [0.4, 0.3, 0.2, 0.1], ax=ax),
        "identification": lambda ax: sp.plot_layer_identification({"cca": 0.5}, ax=ax),
        "intrinsic": lambda ax: sp.plot_intrinsic_dimensionality([1, 2], [0.5, 0.9], ax=ax),
    }


@pytest.mark.parametrize("name", sorted(_calls()))
def test_figure_functions_draw_on_the_given_axes(name):
    fig, ax = plt.subplots()
    out = _calls()[name](ax)
    assert out is ax
    assert plt.get_fignums() == [fig.number]


@pytest.mark.parametrize("name", sorted(_calls()))
def test_figure_functions_make_a_paper_sized_figure(name):
    out = _calls()[name](None)
    assert isinstance(out, Axes)
    w, h = out.figure.get_size_inches()
    assert 1.0 <= w <= sp.figure_size("double")[0] and 0.5 <= h <= 7.0
    assert out.get_title() == ""  # no titles inside plots
    labels = [out.get_xlabel(), out.get_ylabel()]
    assert all(s == s.lower() for s in labels)


@pytest.mark.parametrize("name", sorted(_calls()))
def test_figure_functions_reject_non_axes(name):
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes or None; got str"):
        _calls()[name]("ax")


def test_public_api_is_documented_with_examples():
    for name in sp.__all__:
        obj = getattr(sp, name)
        if callable(obj):
            assert obj.__doc__ and "Examples" in obj.__doc__, name


# ---------------------------------------------------------------------------------------------
# plot_spectrum


def test_spectrum_from_result_draws_rho(shared_latent_views):
    X, Y = shared_latent_views
    res = svcca.cca(X, Y)
    ax = sp.plot_spectrum(res, label="x vs y")
    (line,) = data_lines(ax)
    np.testing.assert_allclose(line.get_ydata(), res.rho, atol=ATOL)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, res.rho.size + 1))
    assert ax.get_ylim() == (0.0, 1.02)
    assert ax.get_xlabel() == "canonical direction" and ax.get_ylabel() == "canonical correlation"
    assert legend_texts(ax) == ["x vs y"]


def test_spectrum_null_band_is_the_central_interval_of_the_draws():
    rng = np.random.default_rng(1)
    draws = rng.uniform(0.0, 0.5, size=(200, 5))
    ax = sp.plot_spectrum(np.linspace(0.9, 0.5, 5), draws, level=0.9)
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    lo, hi = np.percentile(draws, [5, 95], axis=0)
    v = band.get_paths()[0].vertices
    # the band's outline visits (x, upper) and (x, lower) for every direction
    for i in range(5):
        ys = v[np.isclose(v[:, 0], i + 1), 1]
        assert np.isclose(ys.min(), lo[i], atol=ATOL) and np.isclose(ys.max(), hi[i], atol=ATOL)
    assert "null (90%)" in legend_texts(ax)


def test_spectrum_null_from_lower_upper_mapping_object_and_results(shared_latent_views):
    X, Y = shared_latent_views
    rho = svcca.cca(X, Y).rho

    class Interval:
        lower = np.full(6, 0.1)
        upper = np.full(6, 0.3)

    for null in ({"lower": 0.1, "upper": 0.3}, Interval()):
        ax = sp.plot_spectrum(rho, null)
        (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert np.allclose(band_range(band), (0.1, 0.3))
    rng = np.random.default_rng(0)
    results = [svcca.cca(X, rng.permutation(Y), warn=False) for _ in range(5)]
    ax = sp.plot_spectrum(rho, results)
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    stacked = np.array([r.rho for r in results])
    assert np.isclose(band_range(band)[1], np.percentile(stacked, 97.5, axis=0).max(), atol=ATOL)


def test_spectrum_null_of_other_length_sets_the_x_range():
    ax = sp.plot_spectrum([0.9, 0.5], np.full((10, 4), 0.2))
    assert ax.get_xlim() == (0.5, 4.5)


def test_spectrum_threshold_cut_matches_truncated_mean(shared_latent_views):
    X, Y = shared_latent_views
    res = svcca.cca(X, Y)
    ax = sp.plot_spectrum(res, threshold=0.5)
    (x,) = vlines_x(ax)
    k = int(x - 0.5)
    # independent check: the mean of the first k correlations is the library's truncated mean
    assert np.isclose(res.rho[:k].mean(), res.truncated_mean(0.5), atol=ATOL)
    assert (
        np.isclose(res.rho[: k - 1].sum() / res.rho.sum(), 0.5)
        or res.rho[: k - 1].sum() / res.rho.sum() < 0.5
    )


def test_spectrum_svcca_cut_from_result_and_int(shared_latent_views):
    X, Y = shared_latent_views
    res = svcca.svcca(X, Y, keep=0.9)
    ax = sp.plot_spectrum(svcca.cca(X, Y))
    ax = sp.plot_spectrum(res, svcca_cut=True)
    assert vlines_x(ax) == [min(res.x_dims, res.y_dims) + 0.5]
    ax = sp.plot_spectrum(res.rho, svcca_cut=2)
    assert vlines_x(ax) == [2.5]
    assert "svcca cut (k=2)" in legend_texts(ax)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"result_or_rho": np.ones((2, 2))}, r"rho must be 1-D; got shape \(2, 2\)"),
        ({"result_or_rho": [0.5, np.nan]}, "rho must be finite; got 1 NaN/inf value"),
        ({"threshold": 1.5}, r"threshold must be in \(0, 1\]; got 1.5"),
        (
            {"svcca_cut": 0},
            r"svcca_cut must be from 1 to 2 \(the number of directions in the spectrum\); got 0",
        ),
        ({"svcca_cut": 2.5}, "svcca_cut must be True or an int from 1 to 2; got 2.5"),
        ({"svcca_cut": True}, "svcca_cut=True needs an SVCCAResult"),
        ({"null": {"lower": [0.3, 0.2], "upper": [0.1, 0.1]}}, "null lower must not exceed null upper"),
        ({"null": {"lower": [0.1, 0.1]}}, "null needs both 'lower' and 'upper'"),
        ({"null": {"lower": [0.1], "upper": [0.2, 0.3]}}, r"same shape; got \(1,\) and \(2,\)"),
        (
            {"null": np.ones(3)},
            r"null must be 2-D draws of the spectrum \(n_draws, k\); got shape \(3,\) \(a 1-D null",
        ),
        ({"null": np.ones((4, 2)), "level": 1.0}, r"level must be in \(0, 1\); got 1.0"),
    ],
)
def test_spectrum_bad_inputs(kwargs, match):
    kwargs = {"result_or_rho": [0.9, 0.5], **kwargs}
    with pytest.raises(ValueError, match=match):
        sp.plot_spectrum(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"svcca_cut": True}, "svcca_cut=True needs an SVCCAResult"),
        ({"svcca_cut": 0}, "svcca_cut must be from 1 to 4"),
        (
            {"svcca_cut": 99},
            r"svcca_cut must be from 1 to 4 \(the number of directions in the spectrum\); got 99",
        ),
        ({"threshold": 1.5}, r"threshold must be in \(0, 1\]; got 1.5"),
        ({"null": np.ones((5, 4)), "level": 1.0}, r"level must be in \(0, 1\); got 1.0"),
    ],
)
def test_spectrum_checks_every_argument_before_drawing(kwargs, match):
    # the spectrum and the band were drawn before the check: a retry doubled the legend,
    # and svcca_cut=99 on 4 correlations drew a cut beyond the spectrum without a word
    rho, kwargs = [0.9, 0.6, 0.3, 0.1], dict(kwargs)
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=match):
        sp.plot_spectrum(rho, null=kwargs.pop("null", np.full((5, 4), 0.2)), ax=ax, label="x", **kwargs)
    assert not ax.lines and not ax.collections and ax.get_legend() is None
    sp.plot_spectrum(rho, null=np.full((5, 4), 0.2), ax=ax, label="x", svcca_cut=4)  # the retry
    assert legend_texts(ax) == ["null (95%)", "x", "svcca cut (k=4)"]
    with pytest.raises(ValueError, match="svcca_cut"):  # nothing new on axes already drawn on
        sp.plot_spectrum(rho, ax=ax, svcca_cut=5)
    assert len(ax.lines) == 2 and len(ax.collections) == 1


def test_spectrum_svcca_cut_true_beyond_the_spectrum_is_refused():
    res = type("Result", (), {"rho": np.array([0.9, 0.5]), "x_dims": 3, "y_dims": 5})()
    with pytest.raises(
        ValueError, match=r"svcca_cut=True takes min\(x_dims, y_dims\) = 3 directions, outside"
    ):
        sp.plot_spectrum(res, svcca_cut=True)


def test_spectrum_refuses_similarities_as_a_null_and_says_how_to_build_one(shared_latent_views):
    # a bootstrap interval of the mean similarity was drawn as a flat "null (95%)" band over
    # every direction; a permutation or random null holds one similarity per draw, no spectrum
    X, Y = shared_latent_views
    res = svcca.cca(X, Y)
    nulls = {
        "BootstrapResult, the interval of one similarity": svcca.stats.bootstrap_ci(
            X, Y, "cca", n_resamples=20, rng=0
        ),
        "PermutationTestResult, whose null_distribution holds one similarity per draw": (
            svcca.stats.permutation_test(X, Y, "cca", n_resamples=20, rng=0)
        ),
        "RandomBaselineResult, whose null_distribution holds one similarity per draw": (
            svcca.stats.random_baseline(X, Y, "cca", n_resamples=5, rng=0)
        ),
        "Interval with low and high": type("Interval", (), {"low": 0.1, "high": 0.3})(),
    }
    fig, ax = plt.subplots()
    for what, null in nulls.items():
        with pytest.raises(TypeError) as info:
            sp.plot_spectrum(res, null=null, ax=ax)
        msg = str(info.value)
        assert msg.startswith("null= needs spectra of the null, one value per canonical direction")
        assert "np.array([svcca.cca(X, rng.permutation(Y)).rho for _ in range(100)])" in msg
        assert f"got a {what}" in msg
    assert not ax.lines and not ax.collections
    # what the message says to build is accepted: a band per direction
    gen = np.random.default_rng(0)
    draws = np.array([svcca.cca(X, gen.permutation(Y), warn=False).rho for _ in range(20)])
    (band,) = sp.plot_spectrum(res, null=draws, ax=ax).collections
    assert np.ptp(band.get_paths()[0].vertices[:, 1]) > 0


def test_spectrum_rejects_complex_and_non_numeric():
    with pytest.raises(TypeError, match="rho must be real"):
        sp.plot_spectrum(np.array([0.5 + 1j]))
    with pytest.raises(TypeError, match="rho must be a numeric array-like; got list"):
        sp.plot_spectrum(["a", "b"])


# ---------------------------------------------------------------------------------------------
# plot_similarity_matrix


@pytest.fixture
def banded_grid():
    """A 4x4 layer grid, similarity falling off with layer distance."""
    d = np.abs(np.subtract.outer(np.arange(4), np.arange(4)))
    return 1.0 - 0.2 * d


def test_similarity_matrix_draws_values_labels_colorbar_and_annotations(banded_grid):
    labels = ["conv1", "conv2", "conv3", "fc"]
    ax = sp.plot_similarity_matrix(banded_grid, labels, xlabel="network b layer")
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(4, 4), banded_grid, atol=ATOL)
    assert mesh.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == labels  # row labels reused for a square grid
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    assert mesh.colorbar is not None and mesh.colorbar.ax.get_ylabel() == "similarity"
    annotations = [t.get_text() for t in ax.texts]
    assert len(annotations) == 16 and annotations[1] == "0.80"
    assert ax.get_xlabel() == "network b layer"
    assert ax.get_title() == ""


def test_similarity_matrix_hatches_masked_cells(banded_grid):
    mask = banded_grid < 0.7  # the two far corners and their neighbours
    ax = sp.plot_similarity_matrix(banded_grid, mask=mask)
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == mask.sum() == 6
    cells = sorted((int(p.get_y()), int(p.get_x())) for p in hatched)
    assert cells == sorted(zip(*map(list, np.nonzero(mask))))
    assert len(ax.texts) == 16  # values stay readable under the hatching


def test_similarity_matrix_grey_mask_hides_cells(banded_grid):
    mask = np.zeros((4, 4), dtype=bool)
    mask[0, 3] = mask[3, 0] = True
    ax = sp.plot_similarity_matrix(banded_grid, mask=mask, mask_style="grey")
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    arr = mesh.get_array()
    assert np.ma.count_masked(arr) == 2
    assert len([p for p in ax.patches if not p.get_hatch()]) == 2
    assert len(ax.texts) == 14


def test_similarity_matrix_from_labelled_object_and_dataframe(banded_grid):
    class SimilarityMatrix:  # the shape of svcca's labelled grid
        values = banded_grid[:, :3]
        row_labels = ["a1", "a2", "a3", "a4"]
        col_labels = ["b1", "b2", "b3"]
        measure = "pwcca"

    ax = sp.plot_similarity_matrix(SimilarityMatrix(), cbar_label=None)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["b1", "b2", "b3"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a1", "a2", "a3", "a4"]
    assert ax.collections[0].colorbar.ax.get_ylabel() == "pwcca"
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(banded_grid, index=list("pqrs"), columns=list("wxyz"))
    ax = sp.plot_similarity_matrix(df, cbar=False)
    assert [t.get_text() for t in ax.get_xticklabels()] == list("wxyz")
    assert ax.collections[0].colorbar is None
    # a symmetric grid relabelled by row_labels alone: the columns kept the old names
    grid = svcca.similarity_matrix({"conv1": banded_grid[:, :2], "conv2": banded_grid[:, 2:]}, warn=False)
    ax = sp.plot_similarity_matrix(grid, ["A", "B"], cbar=False)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]


def test_an_all_nan_similarity_matrix_says_its_heatmap_is_empty():
    # it drew an empty grid without a word (and seaborn's "All-NaN slice" warnings)
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = sp.plot_similarity_matrix(np.full((2, 3), np.nan))
    assert [str(w.message) for w in caught] == ["every cell of the 2 x 3 matrix is NaN: the heatmap is empty"]
    plt.close(ax.figure)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = sp.plot_similarity_matrix(np.array([[np.nan, 0.5], [0.5, np.nan]]))  # some values: no warning
    plt.close(ax.figure)


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_an_infinite_cell_is_an_error_not_a_blank_that_reads_as_missing(value):
    sims = np.array([[1.0, 0.5], [0.5, 1.0]])
    sims[1, 0] = value
    with pytest.raises(ValueError, match=r"1 infinite cell\(s\), the first at row 1, column 0: -?inf"):
        sp.plot_similarity_matrix(sims)


def test_similarity_matrix_large_grid_is_not_annotated():
    ax = sp.plot_similarity_matrix(np.full((11, 11), 0.5))
    assert len(ax.texts) == 0


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"matrix": np.ones(3)}, ValueError, r"matrix must be 2-D; got shape \(3,\)"),
        ({"row_labels": ["a", "b"]}, ValueError, r"row_labels must have one label per row \(3\); got 2"),
        ({"col_labels": list("abcd")}, ValueError, r"col_labels must have one label per col \(3\); got 4"),
        (
            {"mask": np.zeros((2, 3), bool)},
            ValueError,
            r"mask must have the matrix's shape \(3, 3\); got mask.shape",
        ),
        ({"mask": np.zeros((3, 3))}, TypeError, "mask must be boolean"),
        ({"mask_style": "dots"}, ValueError, "mask_style must be one of 'hatch', 'grey'; got 'dots'"),
        ({"annot": "yes"}, ValueError, "annot must be True, False or 'auto'; got 'yes'"),
    ],
)
def test_similarity_matrix_bad_inputs(kwargs, exc, match):
    kwargs = {"matrix": np.eye(3), **kwargs}
    with pytest.raises(exc, match=match):
        sp.plot_similarity_matrix(**kwargs)


# ---------------------------------------------------------------------------------------------
# plot_learning_dynamics


@pytest.fixture
def bottom_up_convergence():
    """Three layers converging to their final state, lowest first."""
    steps = np.array([0, 1, 2, 4, 8, 16])
    sims = 1.0 - np.exp(-np.outer(steps + 1, [1.0, 0.3, 0.1]))
    return steps, sims


def test_learning_dynamics_one_line_per_layer_coloured_by_depth(bottom_up_convergence):
    steps, sims = bottom_up_convergence
    ax = sp.plot_learning_dynamics(steps, sims, ["conv1", "conv2", "fc"])
    lines = data_lines(ax)
    assert len(lines) == 3
    for j, line in enumerate(lines):
        np.testing.assert_allclose(line.get_ydata(), sims[:, j], atol=ATOL)
    lum = [luminance(line.get_color()) for line in lines]
    assert lum[0] < lum[1] < lum[2]  # sequential map: deeper is lighter
    assert legend_texts(ax) == ["conv1", "conv2", "fc"]
    assert ax.get_ylim() == (0.0, 1.02)
    assert ax.get_xscale() == "linear"


def test_learning_dynamics_log_axes(bottom_up_convergence):
    steps, sims = bottom_up_convergence
    assert sp.plot_learning_dynamics(steps, sims, logx=True).get_xscale() == "symlog"  # has step 0
    assert sp.plot_learning_dynamics(steps + 1, sims, logx=True).get_xscale() == "log"


def test_learning_dynamics_many_layers_get_a_colorbar():
    steps = np.arange(5)
    ax = sp.plot_learning_dynamics(steps, np.linspace(0, 1, 5)[:, None] * np.ones((5, 12)))
    assert ax.get_legend() is None
    assert len(ax.figure.axes) == 2  # the depth colour bar
    ax = sp.plot_learning_dynamics(steps, np.ones((5, 12)), legend=False)
    assert ax.get_legend() is None and len(ax.figure.axes) == 1
    assert legend_texts(sp.plot_learning_dynamics(steps, np.ones((5, 2)))) == ["1", "2"]


@pytest.mark.parametrize(
    ("steps", "sims", "kwargs", "match"),
    [
        (np.arange(6), np.ones((3, 6)), {}, r"n_checkpoints = len\(steps\) = 6; got sims.shape=\(3, 6\)"),
        (
            np.arange(3),
            np.ones((3, 2)),
            {"layer_labels": ["a"]},
            r"one label per layer \(sims.shape\[1\] = 2\); got 1",
        ),
        (np.zeros(3), np.ones((3, 2)), {"logx": True}, "logx needs at least one positive step"),
        (np.arange(3), np.ones(3), {}, r"sims must be 2-D; got shape \(3,\)"),
        (np.arange(3), np.ones((3, 2)), {"legend": "yes"}, "legend must be True, False or 'auto'"),
    ],
)
def test_learning_dynamics_bad_inputs(steps, sims, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sp.plot_learning_dynamics(steps, sims, **kwargs)


# ---------------------------------------------------------------------------------------------
# plot_group_comparison


@pytest.fixture
def generalizing_vs_memorizing():
    """Per-pair similarities over 4 layers: memorizing groups diverge in late layers."""
    rng = np.random.default_rng(3)
    base = 0.9 - np.array([0.0, 0.05, 0.1, 0.15])
    gen = base + 0.02 * rng.standard_normal((8, 4))
    mem = base - np.array([0.0, 0.05, 0.15, 0.3]) + 0.02 * rng.standard_normal((8, 4))
    return ["l1", "l2", "l3", "l4"], gen, mem


def errorbar_bounds(container):
    """(lower, upper) per point of an ErrorbarContainer's vertical bars."""
    segs = container.lines[2][0].get_segments()
    return np.array([s[:, 1].min() for s in segs]), np.array([s[:, 1].max() for s in segs])


def test_group_comparison_errorbars_are_t_intervals(generalizing_vs_memorizing):
    layers, gen, mem = generalizing_vs_memorizing
    ax = sp.plot_group_comparison(layers, {"generalizing": gen, "memorizing": mem})
    assert len(ax.containers) == 2
    assert legend_texts(ax) == ["generalizing", "memorizing"]
    assert [t.get_text() for t in ax.get_xticklabels()] == layers
    for cont, samples in zip(ax.containers, (gen, mem)):
        lo, hi = errorbar_bounds(cont)
        # independent oracle: scipy's t interval for the mean
        want_lo, want_hi = sps.t.interval(
            0.95, samples.shape[0] - 1, loc=samples.mean(0), scale=sps.sem(samples, axis=0)
        )
        np.testing.assert_allclose(lo, want_lo, atol=1e-10)
        np.testing.assert_allclose(hi, want_hi, atol=1e-10)
        np.testing.assert_allclose(cont.lines[0].get_ydata(), samples.mean(0), atol=ATOL)
    # the two groups are dodged apart so their bars do not overlap
    x0, x1 = (c.lines[0].get_xdata() for c in ax.containers)
    assert np.all(x0 < x1) and np.allclose((x0 + x1) / 2, np.arange(4))


def test_group_comparison_summaries_and_bands(generalizing_vs_memorizing):
    layers, gen, mem = generalizing_vs_memorizing
    mean = mem.mean(0)
    groups = {"between": (mean, mean - 0.05, mean + 0.05), "memorizing": mem}
    ax = sp.plot_group_comparison(layers, groups, kind="band", interval="sd")
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2 and len(data_lines(ax)) == 2
    assert np.allclose(band_range(bands[0]), ((mean - 0.05).min(), (mean + 0.05).max()))
    sd = mem.std(0, ddof=1)
    assert np.allclose(band_range(bands[1]), ((mean - sd).min(), (mean + sd).max()))


def test_group_comparison_from_one_interval_result_per_layer():
    class Interval:  # the fields of svcca.stats.bootstrap_ci's result
        def __init__(self, observed, low, high):
            self.observed, self.low, self.high = observed, low, high

    per_layer = [Interval(0.9, 0.85, 0.95), Interval(0.7, 0.6, 0.75), Interval(0.5, 0.45, 0.6)]
    ax = sp.plot_group_comparison(["a", "b", "c"], {"generalizing": per_layer})
    lo, hi = errorbar_bounds(ax.containers[0])
    np.testing.assert_allclose(ax.containers[0].lines[0].get_ydata(), [0.9, 0.7, 0.5], atol=ATOL)
    np.testing.assert_allclose(lo, [0.85, 0.6, 0.45], atol=ATOL)
    np.testing.assert_allclose(hi, [0.95, 0.75, 0.6], atol=ATOL)


def test_group_comparison_percentile_interval_and_numeric_layers(generalizing_vs_memorizing):
    _, gen, _ = generalizing_vs_memorizing
    ax = sp.plot_group_comparison([2, 4, 6, 8], {"g": gen}, interval="percentile", level=0.5)
    lo, hi = errorbar_bounds(ax.containers[0])
    np.testing.assert_allclose(lo, np.percentile(gen, 25, axis=0), atol=ATOL)
    np.testing.assert_allclose(hi, np.percentile(gen, 75, axis=0), atol=ATOL)
    np.testing.assert_array_equal(ax.containers[0].lines[0].get_xdata(), [2, 4, 6, 8])


@pytest.mark.parametrize(
    ("groups", "kwargs", "exc", "match"),
    [
        (
            {"g": np.ones((5, 3))},
            {},
            ValueError,
            r"samples must have shape \(n_samples, n_layers\) with n_layers = 4; got shape \(5, 3\)",
        ),
        (
            {"g": (np.ones(4), np.ones(3), np.ones(4))},
            {},
            ValueError,
            r"lower must have one value per layer \(4\); got shape \(3,\)",
        ),
        ({"g": (np.ones(4), np.ones(4), np.zeros(4))}, {}, ValueError, "lower must not exceed upper"),
        (
            {"g": np.ones((5, 4))},
            {"interval": "iqr"},
            ValueError,
            "interval must be one of 'ci', 'sd', 'percentile'; got 'iqr'",
        ),
        ({"g": np.ones((5, 4))}, {"kind": "violin"}, ValueError, "kind must be one of 'errorbar', 'band'"),
        ({}, {}, TypeError, "groups must be a non-empty mapping"),
    ],
)
def test_group_comparison_bad_inputs(groups, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sp.plot_group_comparison(["a", "b", "c", "d"], groups, **kwargs)


# ---------------------------------------------------------------------------------------------
# plot_class_sensitivity


@pytest.fixture
def early_and_late_classes():
    """5 layers x 4 classes: class 0 decodable early, class 3 only at the top."""
    depth = np.linspace(0.0, 1.0, 5)[:, None]
    return depth ** np.array([[0.3, 1.0, 2.0, 5.0]])


def test_class_sensitivity_one_curve_per_class(early_and_late_classes):
    names = ["fire engine", "husky", "terrier", "cat"]
    ax = sp.plot_class_sensitivity(["b1", "b2", "b3", "b4", "fc"], early_and_late_classes, names)
    lines = data_lines(ax)
    assert len(lines) == 4
    for c, line in enumerate(lines):
        np.testing.assert_allclose(line.get_ydata(), early_and_late_classes[:, c], atol=ATOL)
    assert legend_texts(ax) == names
    assert len({line.get_color() for line in lines}) == 4
    assert [t.get_text() for t in ax.get_xticklabels()] == ["b1", "b2", "b3", "b4", "fc"]


def test_class_sensitivity_highlight_greys_the_rest(early_and_late_classes):
    ax = sp.plot_class_sensitivity(range(5), early_and_late_classes, highlight=[0, "3"])
    lines = data_lines(ax)
    grey = [line for line in lines if to_hex(line.get_color()) == to_hex("0.78")]
    assert len(lines) == 4 and len(grey) == 2
    assert legend_texts(ax) == ["other classes", "0", "3"]


def test_class_sensitivity_many_classes_vary_linestyle():
    ax = sp.plot_class_sensitivity(range(3), np.ones((3, 10)))
    styles = [line.get_linestyle() for line in data_lines(ax)]
    assert styles[:8] == ["-"] * 8 and styles[8:] == ["--", "--"]


@pytest.mark.parametrize(
    ("layers", "names", "kwargs", "match"),
    [
        (range(4), None, {}, r"n_layers = len\(layer_labels\) = 4; got sims.shape=\(5, 4\)"),
        (range(5), ["a", "b"], {}, r"n_classes = len\(class_names\) = 2; got sims.shape=\(5, 4\)"),
        (
            range(5),
            None,
            {"highlight": ["dog"]},
            r"highlight 'dog' is not a class; classes are \['0', '1', '2', '3'\]",
        ),
    ],
)
def test_class_sensitivity_bad_inputs(early_and_late_classes, layers, names, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sp.plot_class_sensitivity(layers, early_and_late_classes, names, **kwargs)


# ---------------------------------------------------------------------------------------------
# plot_explained_variance


@pytest.fixture
def three_dim_layer():
    """20 neurons driven by 3 latent directions plus tiny noise: 3 directions hold >99%."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((200, 3)) @ rng.standard_normal((3, 20)) + 0.01 * rng.standard_normal(
        (200, 20)
    )


def test_explained_variance_of_pca_marks_keep(three_dim_layer):
    res = svcca.pca(three_dim_layer)
    ax = sp.plot_explained_variance(res, keep=0.99)
    (curve,) = data_lines(ax)
    np.testing.assert_allclose(curve.get_ydata(), np.cumsum(res.explained_variance_ratio), atol=1e-10)
    assert vlines_x(ax) == [res.n_components_for(0.99)] == [3]
    assert hlines_y(ax) == [0.99]
    assert ax.get_ylim() == (0.0, 1.02)


def test_explained_variance_of_svcca_draws_both_sides_at_its_keep(three_dim_layer):
    rng = np.random.default_rng(1)
    Y = three_dim_layer[:, :12] @ rng.standard_normal((12, 10))
    res = svcca.svcca(three_dim_layer, Y, keep=0.95)
    ax = sp.plot_explained_variance(res)
    assert len(data_lines(ax)) == 2
    assert sorted(vlines_x(ax)) == sorted([res.x_dims, res.y_dims])
    assert legend_texts(ax) == ["layer x", "layer y", "keep=0.95"]
    assert len(data_lines(sp.plot_explained_variance(res, side="y"))) == 1


def test_explained_variance_from_singular_values_scree():
    s = np.array([4.0, 2.0, 1.0, 0.5])
    ax = sp.plot_explained_variance(s, cumulative=False, keep=2)
    (curve,) = data_lines(ax)
    np.testing.assert_allclose(curve.get_ydata(), s**2 / np.sum(s**2), atol=ATOL)
    assert ax.get_yscale() == "log"
    assert vlines_x(ax) == [2]
    assert ax.get_xlabel() == "direction"
    # squared as given, 1e200 overflowed to a NaN curve and 1e-170 underflowed to "all zero"
    for scale in (1e200, 1e-170):
        (curve,) = data_lines(sp.plot_explained_variance(s * scale, cumulative=False))
        np.testing.assert_allclose(curve.get_ydata(), s**2 / np.sum(s**2), atol=ATOL)


@pytest.mark.parametrize(
    ("arg", "kwargs", "exc", "match"),
    [
        ([1.0, -1.0], {}, ValueError, "singular values must be >= 0; got min -1"),
        ([0.0, 0.0], {}, ValueError, "singular values must not all be zero"),
        ([1.0, 0.5], {"keep": 1.5}, ValueError, r"keep as a variance fraction must be in \(0, 1\]; got 1.5"),
        ([1.0, 0.5], {"side": "z"}, ValueError, "side must be one of 'both', 'x', 'y'; got 'z'"),
        (np.ones((2, 2)), {}, ValueError, r"singular_values must be 1-D; got shape \(2, 2\)"),
    ],
)
def test_explained_variance_bad_inputs(arg, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sp.plot_explained_variance(arg, **kwargs)


# ---------------------------------------------------------------------------------------------
# plot_pwcca_weights


def test_pwcca_weights_scatter_marks_both_summaries(shared_latent_views):
    X, Y = shared_latent_views
    res = svcca.pwcca(X, Y)
    ax = sp.plot_pwcca_weights(res)
    (points,) = ax.collections
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([res.rho, res.alpha]), atol=ATOL)
    xs = vlines_x(ax)
    assert np.isclose(xs[0], res.mean, atol=ATOL) and np.isclose(xs[1], res.pwcca, atol=1e-10)
    assert hlines_y(ax) == [pytest.approx(1.0 / res.rho.size)]
    assert f"pwcca = {res.pwcca:.2f}" in legend_texts(ax)


def test_pwcca_weights_bars_with_twin_correlation_axis():
    rho, alpha = np.array([0.9, 0.6, 0.2]), np.array([0.5, 0.3, 0.2])
    ax = sp.plot_pwcca_weights(rho, alpha, kind="bars")
    assert [p.get_height() for p in ax.patches] == pytest.approx(alpha)
    (line,) = ax.right_ax.lines
    np.testing.assert_allclose(line.get_ydata(), rho, atol=ATOL)
    assert legend_texts(ax) == ["weight", "correlation"]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([0.9, 0.5], [0.5, 0.3, 0.2]), {}, r"rho.shape=\(2,\), alpha.shape=\(3,\)"),
        (([0.9, 0.5],), {}, "needs a PWCCAResult or rho and alpha arrays; got no alpha"),
        (([0.9, 0.5], [0.5, -0.1]), {}, "alpha must be >= 0"),
        (([0.9, 0.5], [0.5, 0.5]), {"kind": "pie"}, "kind must be one of 'scatter', 'bars'; got 'pie'"),
    ],
)
def test_pwcca_weights_bad_inputs(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sp.plot_pwcca_weights(*args, **kwargs)


# ---------------------------------------------------------------------------------------------
# plot_layer_identification and plot_intrinsic_dimensionality


def test_layer_identification_bars_values_and_chance():
    acc = {"cca": 0.4, "svcca": 0.5, "pwcca": 0.6, "linear cka": 0.95}
    ax = sp.plot_layer_identification(acc, chance=0.1)
    assert [p.get_height() for p in ax.patches] == pytest.approx(list(acc.values()))
    assert [t.get_text() for t in ax.get_xticklabels()] == list(acc)
    assert [t.get_text() for t in ax.texts] == ["0.40", "0.50", "0.60", "0.95"]
    assert hlines_y(ax) == [0.1] and legend_texts(ax) == ["chance"]


def test_layer_identification_per_layer_curves():
    acc = {"cca": [0.2, 0.5, 0.9], "cka": [0.8, 0.9, 1.0]}
    ax = sp.plot_layer_identification(acc, layers=["a", "b", "c"])
    assert len(data_lines(ax)) == 2 and legend_texts(ax) == ["cca", "cka"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("acc", "kwargs", "exc", "match"),
    [
        (
            {"cca": 0.5, "cka": [0.1, 0.2]},
            {},
            ValueError,
            "every measure to a float, or every measure to per-layer arrays; got a mix",
        ),
        ({"cca": [0.5], "cka": [0.1, 0.2]}, {}, ValueError, r"same length; got cca: \(1,\), cka: \(2,\)"),
        ({"cca": 0.5}, {"chance": float("nan")}, ValueError, "chance must be a finite number"),
        ({}, {}, TypeError, "accuracies must be a non-empty mapping"),
    ],
)
def test_layer_identification_bad_inputs(acc, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sp.plot_layer_identification(acc, **kwargs)


def test_intrinsic_dimensionality_curves_band_and_references():
    ks = np.array([1, 2, 4, 8, 16, 32])
    repeats = 0.9 - 0.7 * np.exp(-ks[:, None] / np.array([3.0, 4.0, 5.0]))
    ax = sp.plot_intrinsic_dimensionality(
        ks, {"svcca": repeats, "random": 0.9 - 0.7 * np.exp(-ks / 20)}, full_accuracy=0.9, chance=0.1
    )
    curves = data_lines(ax)
    assert len(curves) == 2
    np.testing.assert_allclose(curves[0].get_ydata(), repeats.mean(1), atol=ATOL)
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert np.allclose(band_range(band), (repeats.min(), repeats.max()))
    assert sorted(hlines_y(ax)) == [0.1, 0.9]
    assert ax.get_xscale() == "log"
    assert legend_texts(ax) == ["svcca", "random", "full layer", "chance"]
    assert sp.plot_intrinsic_dimensionality([1, 2, 3], [0.3, 0.5, 0.6]).get_xscale() == "linear"


@pytest.mark.parametrize(
    ("ks", "acc", "match"),
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], "ks must be positive numbers of directions; got min 0"),
        (
            [1, 2, 3],
            [0.1, 0.2],
            r"accuracies must have len\(ks\) = 3 rows \(n_ks, \[n_repeats\]\); got shape \(2,\)",
        ),
        ([1, 2], {"svcca": np.ones((3, 2))}, r"len\(ks\) = 2 rows .*got shape \(3, 2\)"),
    ],
)
def test_intrinsic_dimensionality_bad_inputs(ks, acc, match):
    with pytest.raises(ValueError, match=match):
        sp.plot_intrinsic_dimensionality(ks, acc)


# ---------------------------------------------------------------------------------------------
# plot_images


def test_images_grid_titles_and_spare_axes_switched_off():
    imgs = np.random.default_rng(0).random((5, 8, 8))
    axes = sp.plot_images(imgs, titles=list("abcde"), ncols=3)
    assert axes.shape == (5,)
    assert [a.get_title() for a in axes] == list("abcde")
    fig = axes[0].figure
    assert len(fig.axes) == 6 and not fig.axes[5].axison and not fig.axes[5].images
    shown = axes[0].images[0].get_array()
    assert shown.shape == (8, 8) and np.isclose(shown.min(), 0.0) and np.isclose(shown.max(), 1.0)


def test_images_channels_first_rgb_and_given_axes():
    imgs = np.random.default_rng(0).random((2, 3, 4, 5))  # n, channels, height, width
    fig, grid = plt.subplots(1, 3)
    axes = sp.plot_images(imgs, axes=grid, layout="nchw")
    assert axes[1].images[0].get_array().shape == (4, 5, 3)
    assert plt.get_fignums() == [fig.number]


@pytest.mark.torch
def test_images_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    axes = sp.plot_images(torch.zeros(2, 4, 4, 1))
    assert axes[0].images[0].get_array().shape == (4, 4)


@pytest.mark.parametrize(
    ("imgs", "kwargs", "exc", "match"),
    [
        (
            np.ones((2, 3, 4, 5)),
            {},
            ValueError,
            r"1, 3 or 4 channels .*got shape \(2, 3, 4, 5\) \(channels-first data\? pass layout='nchw'\)",
        ),
        (np.ones((4, 4)), {}, ValueError, r"images must be 3-D or 4-D; got shape \(4, 4\)"),
        (
            np.ones((3, 4, 4)),
            {"titles": ["a"]},
            ValueError,
            r"titles must have one entry per image \(3\); got 1",
        ),
        (np.ones((3, 4, 4)), {"ncols": 0}, ValueError, "ncols must be a positive int; got 0"),
        (
            np.ones((3, 4, 4)),
            {"layout": "hwc"},
            ValueError,
            "layout must be one of 'nhwc', 'nchw'; got 'hwc'",
        ),
    ],
)
def test_images_bad_inputs(imgs, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sp.plot_images(imgs, **kwargs)


def test_images_too_few_axes():
    fig, grid = plt.subplots(1, 2)
    with pytest.raises(ValueError, match=r"axes must hold at least one Axes per image \(3\); got 2"):
        sp.plot_images(np.ones((3, 4, 4)), axes=grid)


def test_edge_inputs_get_a_figure_or_a_clear_error():
    import warnings as _warnings

    from svcca.figures import conv, methods

    # an interval beside its estimate (a biased statistic's bootstrap) is drawn as it is
    ax = sp.plot_group_comparison(["a", "b"], {"g": ([0.5, 0.6], [0.55, 0.5], [0.6, 0.7])})
    assert len(ax.collections) >= 1
    plt.close("all")
    for draw in (lambda: conv.draw_recipes(["a"], {}), lambda: methods.draw_layer_variance({})):
        with pytest.raises(ValueError, match=r"nothing to draw"):
            draw()
    plt.close("all")
    with pytest.raises(ValueError, match=r"labels must be two names, one per layer; got \('x',\)"):
        sp.plot_canonical_directions(np.ones((5, 2)), np.ones((5, 2)), labels=("x",))
    with pytest.raises(TypeError, match=r"row_labels must be a sequence of names; got the string 'abc'"):
        sp.plot_similarity_matrix(np.eye(3), "abc")
    # a direction that no null draw reached: a gap in the band, without a warning storm
    null = np.random.default_rng(0).uniform(size=(20, 3))
    null[:, 2] = np.nan
    with _warnings.catch_warnings():
        _warnings.simplefilter("error")
        sp.plot_spectrum(np.array([0.9, 0.5, 0.1]), null=null)
    plt.close("all")


def test_the_default_colour_scale_never_clips_a_value_and_never_writes_minus_zero():
    # debiased CKA below 0: the scale widens to it instead of painting it as 0
    M = np.array([[1.0, -0.2], [-0.001, 0.5]])
    ax = sp.plot_similarity_matrix(M)
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert mesh.norm.vmin == pytest.approx(-0.2) and mesh.norm.vmax == pytest.approx(1.0)
    texts = [t.get_text() for t in ax.texts]
    assert "-0.00" not in texts and "0.00" in texts and "-0.20" in texts
    plt.close("all")
    ax = sp.plot_similarity_matrix(np.array([[0.2, 0.4], [0.4, 0.9]]))  # the usual [0, 1]
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert (mesh.norm.vmin, mesh.norm.vmax) == (0.0, 1.0)
    with pytest.raises(ValueError, match=r"vmin must be a number, 'auto' or None; got 'low'"):
        sp.plot_similarity_matrix(np.eye(2), vmin="low")
    plt.close("all")


def test_explicit_colour_limits_are_checked_and_clipped_cells_get_a_colour_bar_arrow():
    # a NaN or inverted limit used to paint the cells on a scale they are not on, without a word
    M = np.array([[0.05, 0.09], [0.18, 0.08]])
    with pytest.raises(ValueError, match=r"vmin must be a finite number, 'auto' or None; got nan"):
        sp.plot_similarity_matrix(M, vmin=np.nan)
    with pytest.raises(ValueError, match=r"vmax must be a finite number"):
        sp.plot_similarity_matrix(M, vmax=np.inf)
    with pytest.raises(ValueError, match=r"vmin must not exceed vmax; got vmin=1 and vmax=0"):
        sp.plot_similarity_matrix(M, vmin=1, vmax=0)
    with pytest.raises(ValueError, match=r"vmax=0.18 \(the data maximum\)"):
        sp.plot_similarity_matrix(M, vmin=0.5, vmax=None)

    def drawn(ax):
        mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
        return mesh.get_clim(), mesh.colorbar.extend

    # cells beyond explicit limits take the end colour: the colour bar says so with an arrow
    D = np.array([[1.0, -0.3], [-0.3, 1.2]])
    assert drawn(sp.plot_similarity_matrix(D, vmin=0, vmax=1)) == ((0.0, 1.0), "both")
    assert drawn(sp.plot_similarity_matrix(M, vmax=0.1)) == ((0.0, 0.1), "max")
    assert drawn(sp.plot_similarity_matrix(M, vmin=0.1, vmax=None))[1] == "min"
    # only the cells shown count: grey-masked ones are not painted
    grey = np.array([[False, True], [True, True]])
    assert drawn(sp.plot_similarity_matrix(D, vmin=0, vmax=1, mask=grey, mask_style="grey"))[1] == "neither"
    # within the limits (and by default) nothing changes
    assert drawn(sp.plot_similarity_matrix(M))[1] == "neither"
    assert drawn(sp.plot_similarity_matrix(D))[1] == "neither"
    # equal limits would paint every cell its bottom colour: they are widened around the value
    (lo, hi), _ = drawn(sp.plot_similarity_matrix(np.full((2, 2), 0.5), vmin=0.5, vmax=0.5))
    assert lo < 0.5 < hi and (lo + hi) / 2 == pytest.approx(0.5)


def test_save_figure_transparent_gives_a_transparent_background(tmp_path):
    # the white facecolor save_figure sets used to override transparent=True (opaque white)
    (p,) = sp.save_figure(small_figure(), tmp_path / "t.png", transparent=True)
    assert plt.imread(p)[0, 0, 3] == 0.0
    (p,) = sp.save_figure(small_figure(), tmp_path / "w.png")  # default: opaque white
    assert tuple(plt.imread(p)[0, 0]) == (1.0, 1.0, 1.0, 1.0)


def test_images_shown_as_they_are_read_integers_on_0_255_and_refuse_out_of_range():
    # rescale=False used to clip a uint8 image to white and a normalised one to black/white
    u8 = np.random.default_rng(0).integers(0, 256, (2, 4, 4, 3), dtype=np.uint8)
    shown = sp.plot_images(u8, rescale=False)[0].images[0].get_array()
    np.testing.assert_allclose(shown, u8[0] / 255.0, atol=ATOL)
    gray = np.arange(16, dtype=np.uint8).reshape(1, 4, 4) * 17
    ax = sp.plot_images(gray, rescale=False)[0]
    np.testing.assert_allclose(ax.images[0].get_array(), gray[0] / 255.0, atol=ATOL)
    assert ax.images[0].get_clim() == (0.0, 1.0)
    unit = np.random.default_rng(1).random((1, 4, 4))
    np.testing.assert_allclose(
        sp.plot_images(unit, rescale=False)[0].images[0].get_array(), unit[0], atol=ATOL
    )
    with pytest.raises(
        ValueError, match=r"images must lie in \[0, 1\] .*got values from -2 to 2: pass rescale=True"
    ):
        sp.plot_images(np.linspace(-2, 2, 16).reshape(1, 4, 4), rescale=False)
    with pytest.raises(ValueError, match=r"images must lie in \[0, 255\]"):
        sp.plot_images(np.full((1, 2, 2), 300, dtype=np.int16), rescale=False)


def test_spectrum_null_of_one_direction_stays_on_it_and_has_an_area():
    # draws of a one-direction spectrum used to be taken for scalar bounds and stretched over
    # every direction; a band of one direction was a zero-width polygon (invisible)
    draws = np.array([[0.1], [0.3], [0.2]])
    lo, hi = np.percentile(draws[:, 0], [2.5, 97.5])
    for rho in ([0.9, 0.5, 0.2], [0.9]):
        ax = sp.plot_spectrum(rho, draws)
        (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
        v = band.get_paths()[0].vertices
        assert (v[:, 0].min(), v[:, 0].max()) == (0.5, 1.5)  # direction 1's cell, nothing beyond
        assert np.allclose(band_range(band), (lo, hi), atol=ATOL)
    # scalar bounds still mean one band for every direction
    ax = sp.plot_spectrum([0.9, 0.5, 0.2], {"lower": 0.1, "upper": 0.3})
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert np.ptp(band.get_paths()[0].vertices[:, 0]) == 2.0


def test_spectrum_values_beyond_the_correlation_range_are_not_cut_off():
    ax = sp.plot_spectrum([1.5, 0.5, -0.2])
    lo, hi = ax.get_ylim()
    assert lo < -0.2 and hi > 1.5
    ax = sp.plot_spectrum([0.9, 0.2], ax=ax)  # a second spectrum keeps the first one in view
    assert ax.get_ylim() == (lo, hi)
    assert sp.plot_spectrum([1.0 + 1e-12, 0.0]).get_ylim() == (0.0, 1.02)  # rounding: the usual range


@pytest.mark.parametrize(("rc", "exc"), [({"no.such": 1}, KeyError), ({"font.size": "huge"}, ValueError)])
def test_use_style_with_a_bad_override_changes_nothing(rc, exc):
    # the style used to be applied before the overrides failed: half a style left behind
    before = dict(mpl.rcParams)
    with pytest.raises(exc):
        sp.use_style(rc=rc)
    with pytest.raises(exc), sp.style(rc=rc):
        pass
    assert dict(mpl.rcParams) == before


def test_curves_join_checkpoints_and_ks_in_increasing_order():
    # checkpoints listed as files sort ckpt_10 before ckpt_2: the curve used to zigzag back
    steps = np.array([0, 10, 2, 5])
    sims = np.array([[0.1, 0.0], [0.9, 0.8], [0.4, 0.3], [0.7, 0.6]])
    ax = sp.plot_learning_dynamics(steps, sims)
    for j, line in enumerate(ax.lines):
        np.testing.assert_array_equal(line.get_xdata(), [0, 2, 5, 10])
        np.testing.assert_array_equal(line.get_ydata(), sims[[0, 2, 3, 1], j])
    acc = np.array([[0.9, 0.8], [0.2, 0.1], [0.4, 0.3], [0.6, 0.5]])
    ax = sp.plot_intrinsic_dimensionality([8, 1, 2, 4], {"a": acc, "b": acc[:, 0]})
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 4, 8])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), acc[[1, 2, 3, 0]].mean(1), atol=ATOL)
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), acc[[1, 2, 3, 0], 0])


def test_one_string_is_not_a_list_of_labels_and_a_class_highlighted_twice_is_drawn_once():
    # "ab" for two layers used to label them "a" and "b" without a word
    with pytest.raises(TypeError, match=r"layer_labels must be a sequence of names; got the string 'ab'"):
        sp.plot_learning_dynamics([0, 1], np.ones((2, 2)), "ab")
    with pytest.raises(TypeError, match=r"layer_labels must be a sequence of names; got the string 'abcd'"):
        sp.plot_class_sensitivity("abcd", np.ones((4, 3)))
    with pytest.raises(TypeError, match=r"class_names must be a sequence of names; got the string 'xyz'"):
        sp.plot_class_sensitivity(range(4), np.ones((4, 3)), "xyz")
    ax = sp.plot_class_sensitivity(range(4), np.ones((4, 3)), ["a", "b", "c"], highlight=[1, "b"])
    assert len(ax.lines) == 3 and legend_texts(ax) == ["other classes", "b"]


def test_save_figure_bad_dpi_or_format_keyword_get_a_clear_error(tmp_path):
    for dpi in ("high", 0, -5, np.nan, True):
        with pytest.raises(ValueError, match=r"dpi must be a positive number"):
            sp.save_figure(small_figure(), tmp_path / "f.png", dpi=dpi)
    with pytest.raises(TypeError, match=r"format from the path's suffix or formats=, not format="):
        sp.save_figure(small_figure(), tmp_path / "f.png", format="pdf")
    assert os.listdir(tmp_path) == []


def test_similarities_drawn_onto_an_axes_keep_what_it_already_shows():
    # the y-range [0, 1.02] of similarities once pushed a debiased CKA below 0 out of view
    fig, ax = plt.subplots()
    sp.plot_learning_dynamics([0, 1, 2], [[-0.3], [0.0], [0.2]], ["debiased cka"], ax=ax)
    sp.plot_learning_dynamics([0, 1, 2], [[0.5], [0.7], [0.9]], ["cca"], ax=ax)
    low, high = ax.get_ylim()
    assert low <= -0.3 and high >= 0.9
    fig2, ax2 = plt.subplots()
    sp.plot_learning_dynamics([0, 1, 2], [[0.5], [0.7], [0.9]], ["cca"], ax=ax2)
    assert ax2.get_ylim() == (0.0, 1.02)
    plt.close(fig)
    plt.close(fig2)
