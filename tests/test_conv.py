"""svcca.conv: the three recipes for conv layers (positions as samples, pooling, resizing)
and make_comparable, checked against independent oracles (scipy.signal.resample, torch's
interpolate and adaptive pooling). The per-frequency DFT CCA is tested in test_dft.py."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import svcca
from conftest import TOL64, fourier_resample, raises_exact
from svcca.conv import average_pool, make_comparable, positions_as_samples, resize


# --------------------------------------------------------------------------------------
# recipe (a): positions as samples
# --------------------------------------------------------------------------------------
def test_positions_as_samples_puts_every_position_in_a_row(rng):
    A = rng.standard_normal((3, 4, 5, 6))
    X = positions_as_samples(A)
    assert X.shape == (60, 6)
    for i, y, x in [(0, 0, 0), (1, 2, 3), (2, 3, 4)]:
        np.testing.assert_array_equal(X[i * 20 + y * 5 + x], A[i, y, x])


def test_subsampling_is_seeded_and_keeps_rows_in_order(rng):
    A = rng.standard_normal((10, 4, 4, 3))
    full = positions_as_samples(A)
    X = positions_as_samples(A, max_rows=50, rng=7)
    np.testing.assert_array_equal(X, positions_as_samples(A, max_rows=50, rng=7))
    np.testing.assert_array_equal(X, positions_as_samples(A, max_rows=50, rng=np.random.default_rng(7)))
    assert not np.array_equal(X, positions_as_samples(A, max_rows=50, rng=8))  # negative control
    rows = [int(np.flatnonzero((full == r).all(axis=1))[0]) for r in X]
    assert rows == sorted(set(rows)) and len(rows) == 50
    np.testing.assert_array_equal(positions_as_samples(A, max_rows=10_000, rng=7), full)


@pytest.mark.torch
def test_positions_as_samples_torch_draws_the_same_rows(rng):
    torch = pytest.importorskip("torch")
    A = rng.standard_normal((10, 4, 4, 3))
    X = positions_as_samples(torch.as_tensor(A), max_rows=30, rng=3)
    assert isinstance(X, torch.Tensor)
    np.testing.assert_array_equal(X.numpy(), positions_as_samples(A, max_rows=30, rng=3))


def test_positions_as_samples_errors(rng):
    A = rng.standard_normal((2, 3, 3, 2))
    with pytest.raises(ValueError, match="max_rows must be >= 1; got 0"):
        positions_as_samples(A, max_rows=0)
    with pytest.raises(TypeError, match="max_rows must be None or a positive int; got 2.5"):
        positions_as_samples(A, max_rows=2.5)
    with pytest.raises(TypeError, match="rng must be None, an int seed or a numpy.random.Generator"):
        positions_as_samples(A, max_rows=3, rng="seed")
    with pytest.raises(ValueError, match=r"A must be 4-D .* got A\.shape=\(2, 3, 3\)"):
        positions_as_samples(A[..., 0])


# --------------------------------------------------------------------------------------
# recipe (b): average pooling
# --------------------------------------------------------------------------------------
def test_global_pooling_is_the_spatial_mean(rng):
    A = rng.standard_normal((5, 6, 7, 4))
    np.testing.assert_allclose(average_pool(A), A.mean(axis=(1, 2)), rtol=0, atol=TOL64)
    assert average_pool(A, positions="grid").shape == (5, 1, 1, 4)
    np.testing.assert_allclose(average_pool(A, (1, 1)), A.mean(axis=(1, 2)), rtol=0, atol=TOL64)


@pytest.mark.parametrize(("dtype", "size"), [(np.float32, 1e37), (np.float64, 5e307)])
def test_global_pooling_of_huge_finite_values_stays_finite(rng, dtype, size):
    # the spatial sums overflowed: 1e37 in float32 pooled to inf, while a 1 x 1 grid was right
    torch = pytest.importorskip("torch")
    A = ((1 + 0.1 * rng.standard_normal((5, 8, 8, 3))) * size).astype(dtype)
    exact = (A.astype(np.float64) / size).mean(axis=(1, 2)) * size
    for data in (A, torch.from_numpy(A)):
        pooled = np.asarray(average_pool(data), dtype=np.float64)
        np.testing.assert_allclose(pooled, exact, rtol=1e-6 if dtype == np.float32 else 1e-14)
        np.testing.assert_array_equal(pooled, np.asarray(average_pool(data, 1), np.float64).reshape(5, 3))


def test_pooling_to_a_grid_averages_blocks(rng):
    A = rng.standard_normal((5, 8, 6, 4))
    blocks = A.reshape(5, 2, 4, 2, 3, 4).mean(axis=(2, 4))  # (5, 2, 2, 4)
    np.testing.assert_allclose(average_pool(A, 2, positions="grid"), blocks, rtol=0, atol=TOL64)
    np.testing.assert_allclose(average_pool(A, 2), blocks.reshape(5, 16), rtol=0, atol=TOL64)
    np.testing.assert_allclose(
        average_pool(A, 2, positions="samples"), blocks.reshape(20, 4), rtol=0, atol=TOL64
    )
    assert average_pool(A, (8, 6), positions="grid") is not None
    np.testing.assert_array_equal(average_pool(A, (8, 6), positions="grid"), A)


@pytest.mark.torch
@pytest.mark.parametrize(("grid", "out"), [((5, 7), (2, 3)), ((7, 7), (3, 2)), ((4, 6), (6, 4))])
def test_pooling_matches_torch_adaptive_average_pooling(rng, grid, out):
    torch = pytest.importorskip("torch")
    A = rng.standard_normal((3, *grid, 4))
    oracle = torch.nn.functional.adaptive_avg_pool2d(torch.as_tensor(A).permute(0, 3, 1, 2), out)
    oracle = oracle.permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(average_pool(A, out, positions="grid"), oracle, rtol=0, atol=TOL64)
    res = average_pool(torch.as_tensor(A), out, positions="grid")
    assert isinstance(res, torch.Tensor)
    np.testing.assert_allclose(res.numpy(), oracle, rtol=0, atol=TOL64)


def test_pooling_dtypes_and_errors(rng):
    A = rng.standard_normal((2, 4, 4, 3))
    assert average_pool(A.astype(np.float32), 2).dtype == np.float32
    assert average_pool(np.ones((2, 4, 4, 3), dtype=np.int64), 2).dtype == np.float64
    with pytest.raises(
        ValueError, match="positions must be one of 'features', 'samples', 'grid'; got 'rows'"
    ):
        average_pool(A, positions="rows")
    with pytest.raises(
        ValueError,
        match=r"output_size must be a positive int or a pair of positive ints \(height, width\); "
        r"got \(0, 2\)",
    ):
        average_pool(A, (0, 2))
    with pytest.raises(TypeError, match="output_size must be a positive int or a pair"):
        average_pool(A, (2, 2, 2))
    with pytest.raises(TypeError, match="output_size must be a positive int or a pair"):
        average_pool(A, 2.0)


# --------------------------------------------------------------------------------------
# recipe (c): resizing
# --------------------------------------------------------------------------------------
MODES = ["auto", "area", "bilinear", "nearest", "fourier"]


@pytest.mark.parametrize("mode", MODES)
def test_resize_shapes_identity_and_constants(rng, mode):
    A = rng.standard_normal((3, 6, 5, 2))
    assert resize(A, (9, 4), mode=mode).shape == (3, 9, 4, 2)
    assert resize(A, 3, mode=mode).shape == (3, 3, 3, 2)
    np.testing.assert_array_equal(resize(A, (6, 5), mode=mode), A)
    const = np.full((2, 6, 5, 3), 2.5)
    for size in [(3, 3), (12, 7), (4, 10)]:
        np.testing.assert_allclose(resize(const, size, mode=mode), 2.5, rtol=0, atol=TOL64)


@pytest.mark.torch
@pytest.mark.parametrize(("size", "out"), [((6, 5), (9, 13)), ((8, 8), (3, 5)), ((7, 4), (14, 2))])
@pytest.mark.parametrize(("mode", "torch_mode"), [("bilinear", "bilinear"), ("nearest", "nearest-exact")])
def test_resize_matches_torch_interpolate(rng, size, out, mode, torch_mode):
    torch = pytest.importorskip("torch")
    A = rng.standard_normal((2, *size, 3))
    kw = {"align_corners": False} if torch_mode == "bilinear" else {}
    oracle = torch.nn.functional.interpolate(
        torch.as_tensor(A).permute(0, 3, 1, 2), size=out, mode=torch_mode, **kw
    )
    oracle = oracle.permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(resize(A, out, mode=mode), oracle, rtol=0, atol=TOL64)
    mine = resize(torch.as_tensor(A), out, mode=mode)
    assert isinstance(mine, torch.Tensor) and mine.dtype == torch.float64
    np.testing.assert_allclose(mine.numpy(), oracle, rtol=0, atol=TOL64)


@pytest.mark.parametrize(
    ("size", "out"), [((6, 5), (9, 13)), ((8, 8), (3, 5)), ((7, 4), (14, 2)), ((8, 6), (4, 6))]
)
def test_fourier_resize_matches_scipy_signal_resample(rng, size, out):
    A = rng.standard_normal((2, *size, 3))
    np.testing.assert_allclose(resize(A, out, mode="fourier"), fourier_resample(A, out), rtol=0, atol=TOL64)


def test_area_resize_averages_and_auto_picks_area_or_bilinear(rng):
    A = rng.standard_normal((2, 8, 6, 3))
    np.testing.assert_allclose(
        resize(A, (4, 3), mode="area"), A.reshape(2, 4, 2, 3, 2, 3).mean(axis=(2, 4)), rtol=0, atol=TOL64
    )
    np.testing.assert_array_equal(resize(A, (4, 3)), resize(A, (4, 3), mode="area"))
    np.testing.assert_array_equal(resize(A, (16, 9)), resize(A, (16, 9), mode="bilinear"))
    mixed = resize(A, (4, 9))  # shrink the height by area, grow the width bilinearly
    np.testing.assert_allclose(
        mixed, resize(resize(A, (4, 6), mode="area"), (4, 9), mode="bilinear"), rtol=0, atol=TOL64
    )


def test_resize_dtypes_and_errors(rng):
    A = rng.standard_normal((2, 4, 4, 3))
    assert resize(A.astype(np.float32), 8).dtype == np.float32
    assert resize(np.ones((2, 4, 4, 3), dtype=np.int32), 8).dtype == np.float64
    with pytest.raises(
        ValueError,
        match="mode must be one of 'auto', 'area', 'bilinear', 'nearest', 'fourier'; got 'cubic'",
    ):
        resize(A, 8, mode="cubic")
    with pytest.raises(
        ValueError, match=r"size must be a positive int or a pair of positive ints \(height, width\); got 0"
    ):
        resize(A, 0)
    with pytest.raises(TypeError, match="size must be a positive int or a pair"):
        resize(A, "big")
    with pytest.raises(TypeError, match="size must be a positive int or a pair"):
        resize(A, (True, 2))
    with pytest.raises(ValueError, match="A contains NaN or Inf values"):
        resize(np.full((2, 4, 4, 3), np.nan), 2)


# --------------------------------------------------------------------------------------
# make_comparable
# --------------------------------------------------------------------------------------
def test_make_comparable_shapes(rng):
    A, B = rng.standard_normal((30, 8, 8, 4)), rng.standard_normal((30, 4, 6, 5))
    X, Y = make_comparable(A, B)
    assert X.shape == (30 * 4 * 6, 4) and Y.shape == (30 * 4 * 6, 5)
    X, Y = make_comparable(A, B, grid="larger")
    assert X.shape == (30 * 8 * 8, 4) and Y.shape == (30 * 8 * 8, 5)
    X, Y = make_comparable(A, B, grid=(2, 3), positions="features")
    assert X.shape == (30, 24) and Y.shape == (30, 30)
    X, Y = make_comparable(A, B, positions="pool")
    np.testing.assert_allclose(X, A.mean(axis=(1, 2)), rtol=0, atol=TOL64)
    np.testing.assert_allclose(Y, B.mean(axis=(1, 2)), rtol=0, atol=TOL64)


def test_make_comparable_subsamples_the_same_rows_of_both_layers(rng):
    A, B = rng.standard_normal((30, 8, 8, 4)), rng.standard_normal((30, 4, 6, 5))
    X, Y = make_comparable(A, B, max_rows=100, rng=5, mode="bilinear")
    Xa = positions_as_samples(resize(A, (4, 6), mode="bilinear"), max_rows=100, rng=5)
    Yb = positions_as_samples(B, max_rows=100, rng=5)
    np.testing.assert_array_equal(X, Xa)
    np.testing.assert_array_equal(Y, Yb)
    # the same layer on both sides stays perfectly correlated after subsampling
    X, Y = make_comparable(A, A, max_rows=200, rng=1)
    assert svcca.cca(X, Y).similarity == pytest.approx(1.0, abs=TOL64)


@pytest.mark.torch
def test_make_comparable_torch(rng):
    torch = pytest.importorskip("torch")
    A, B = rng.standard_normal((6, 8, 8, 4)), rng.standard_normal((6, 4, 4, 5))
    X, Y = make_comparable(torch.as_tensor(A), torch.as_tensor(B), max_rows=40, rng=2)
    Xn, Yn = make_comparable(A, B, max_rows=40, rng=2)
    assert isinstance(X, torch.Tensor) and isinstance(Y, torch.Tensor)
    np.testing.assert_allclose(X.numpy(), Xn, rtol=0, atol=TOL64)
    np.testing.assert_allclose(Y.numpy(), Yn, rtol=0, atol=TOL64)


def test_make_comparable_errors(rng):
    A = rng.standard_normal((10, 4, 4, 3))
    with raises_exact(
        "A and B must have the same number of samples (rows); got A.shape=(10, 4, 4, 3), B.shape=(9, 4, 4, 3)"
    ):
        make_comparable(A, A[:9])
    with pytest.raises(ValueError, match="grid must be one of 'smaller', 'larger'; got 'middle'"):
        make_comparable(A, A, grid="middle")
    with pytest.raises(
        ValueError, match="positions must be one of 'samples', 'features', 'pool'; got 'grid'"
    ):
        make_comparable(A, A, positions="grid")
    with pytest.raises(ValueError, match="mode must be one of"):
        make_comparable(A, A, mode="lanczos")
    with pytest.raises(TypeError, match="grid must be a positive int or a pair"):
        make_comparable(A, A, grid=None)


def test_a_channels_first_layer_is_warned_about(rng):
    # torch's (n, channels, height, width) read as (n, height, width, channels) is another
    # layer, with no error: a square image with channels first is named
    torch = pytest.importorskip("torch")
    A = torch.from_numpy(rng.standard_normal((50, 6, 8, 8)))
    for call in (
        lambda: svcca.conv.dft_cca(A, A),
        lambda: average_pool(A, 2),
        lambda: resize(A, (4, 4)),
        lambda: positions_as_samples(A),
    ):
        with pytest.warns(svcca.LayoutWarning, match=r"[AB].shape=\(50, 6, 8, 8\) looks channels-first"):
            call()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svcca.conv.dft_cca(A.permute(0, 2, 3, 1), A.permute(0, 2, 3, 1))  # channels last: silent
        average_pool(rng.standard_normal((50, 8, 8, 8)), 2)  # as many channels as pixels a side


def test_positions_as_samples_turns_integers_into_float64_as_documented():
    from svcca.conv import positions_as_samples

    A = np.arange(2 * 3 * 3 * 4).reshape(2, 3, 3, 4)
    X = positions_as_samples(A)
    assert X.dtype == np.float64 and X.shape == (18, 4)
    assert positions_as_samples(A.astype(np.float32)).dtype == np.float32


def test_make_comparable_warns_once_per_channels_first_layer_and_names_it(rng):
    # it warned 4 times: once per layer, then again from its inner resize, which called the
    # second layer "A.shape=(5, 32, 4, 4)"
    torch = pytest.importorskip("torch")
    A, B = torch.randn(5, 16, 8, 8), torch.randn(5, 32, 4, 4)
    for positions in ("samples", "features", "pool"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            make_comparable(A, B, positions=positions)
        assert [w.category for w in caught] == [svcca.LayoutWarning] * 2, positions
        assert str(caught[0].message).startswith("A.shape=(5, 16, 8, 8) looks channels-first")
        assert str(caught[1].message).startswith("B.shape=(5, 32, 4, 4) looks channels-first")
        assert {w.filename for w in caught} == {__file__}  # at the user's call
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svcca.conv.dft_cca(A, A)
    layout = [w for w in caught if w.category is svcca.LayoutWarning]
    assert [w.filename for w in layout] == [__file__] * 2


@pytest.mark.parametrize("mode", ["fourier", "bilinear", "area"])
def test_resize_near_float32s_largest_value_matches_float64_and_spares_the_other_maps(mode):
    # the sums overflowed to inf: each map is now resampled scaled by a power of two
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 8, 8, 2)).astype(np.float32)
    A[0, ..., 0] *= np.float32(3e38) / np.abs(A[0, ..., 0]).max()
    A[1] *= np.float32(1e-30)  # a map of tiny values, resampled beside the huge one
    A[2, ..., 1] = np.float32(1e-40)  # a subnormal map: its factor must stay finite in float32
    got = resize(A, 5, mode=mode)
    ref = resize(A.astype(np.float64), 5, mode=mode)
    assert np.isfinite(got).all()
    for k in range(3):
        for c in range(2):
            scale = np.abs(ref[k, ..., c]).max()
            tiny = 4 * np.finfo(np.float32).smallest_subnormal  # a subnormal's own spacing
            assert np.abs(got[k, ..., c] - ref[k, ..., c]).max() <= 1e-6 * scale + tiny


def test_resize_whose_overshoot_leaves_float32_says_so():
    A = np.zeros((1, 8, 8, 1), np.float32)
    A[0, :4] = np.finfo(np.float32).max  # a step: the Fourier resampling rings above it
    with pytest.raises(ValueError, match=r"beyond float32's range.*pass float64"):
        resize(A, (11, 8), mode="fourier")
    assert np.isfinite(resize(A.astype(np.float64), (11, 8), mode="fourier")).all()
