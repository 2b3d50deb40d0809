"""svcca.dft (re-exported as ``svcca.conv.dft_cca``): the per-frequency DFT CCA, checked against the theorem
that justifies it (on a shift-closed dataset the union of per-frequency correlations is the
full-layer CCA), with negative controls and independent oracles (numpy.fft + svcca.cca per
frequency, scipy.signal.resample through ``resize(..., mode="fourier")``)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from scipy import ndimage

import svcca
from conftest import TOL32, TOL64, fourier_resample, raises_exact
from svcca.conv import DFTCCAResult, dft_cca, resize


# --------------------------------------------------------------------------------------
# translation-equivariant layers on shift-closed data
# --------------------------------------------------------------------------------------
def circular_conv(x: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Circular (wrap-around) convolution of (n, H, W, c_in) with a (k, k, c_in, c_out) kernel:
    translation-equivariant exactly, whatever the kernel. scipy.ndimage computes it, so the layers
    do not depend on code of svcca's own (nor on the benchmark's numpy version)."""
    c_in, c_out = K.shape[2:]
    return np.stack(
        [
            sum(ndimage.correlate(x[..., c], K[None, :, :, c, o], mode="wrap") for c in range(c_in))
            for o in range(c_out)
        ],
        axis=-1,
    )


def all_cyclic_shifts(x: np.ndarray) -> np.ndarray:
    """Every image of x under all height * width cyclic shifts, shift-major."""
    H, W = x.shape[1:3]
    return np.concatenate([np.roll(x, (dy, dx), axis=(1, 2)) for dy in range(H) for dx in range(W)])


def two_equivariant_layers(rng: np.random.Generator, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A = relu(conv(images)) with 3 channels; B = tanh(conv(A)) mixed into 4 channels.
    Convolutions are circular and everything else pointwise, so both commute with shifts."""
    A = np.maximum(circular_conv(images, rng.standard_normal((3, 3, images.shape[3], 3))), 0.0)
    B = np.tanh(circular_conv(A, rng.standard_normal((3, 3, 3, 4)))) @ rng.standard_normal((4, 4))
    return A, B


def flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1)


@pytest.fixture
def shift_closed_conv_acts(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """12 random 6 x 5 images and all 30 cyclic shifts of each (360 samples) through two
    translation-equivariant layers (3 and 4 channels: 90 and 120 flattened neurons)."""
    A, B = two_equivariant_layers(rng, rng.standard_normal((12, 6, 5, 2)))
    return all_cyclic_shifts(A), all_cyclic_shifts(B)


@pytest.fixture
def not_shift_closed_conv_acts(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The same kind of layers on 360 independent images: no shift closure."""
    return two_equivariant_layers(rng, rng.standard_normal((360, 6, 5, 2)))


# --------------------------------------------------------------------------------------
# the theorem and its negative control
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ["auto", "gram", "svd"])
def test_union_of_frequencies_equals_full_layer_cca_on_shift_closed_data(shift_closed_conv_acts, algorithm):
    A, B = shift_closed_conv_acts
    res = dft_cca(A, B, algorithm=algorithm)
    full = svcca.cca(flat(A), flat(B))
    assert res.n_components == full.n_components == 90
    np.testing.assert_allclose(res.rho, full.rho, rtol=0, atol=TOL64)
    assert (res.x_rank, res.y_rank) == (full.x_rank, full.y_rank) == (90, 120)
    for name in ("similarity", "mean", "yanai", "pillai"):
        assert getattr(res, name) == pytest.approx(getattr(full, name), abs=TOL64)
    assert res.truncated_mean(0.9) == pytest.approx(full.truncated_mean(0.9), abs=TOL64)
    assert res.top_k_mean(7) == pytest.approx(full.top_k_mean(7), abs=TOL64)
    assert set(res.frequency_algorithm) == {"svd" if algorithm == "svd" else "gram"}


def test_union_differs_from_full_layer_cca_without_shift_closure(not_shift_closed_conv_acts):
    A, B = not_shift_closed_conv_acts
    res = dft_cca(A, B)
    full = svcca.cca(flat(A), flat(B))
    assert res.n_components == full.n_components  # same count, different values
    assert np.abs(res.rho - full.rho).max() > 0.05


def test_dropping_one_shift_breaks_the_equality(rng):
    A, B = two_equivariant_layers(rng, rng.standard_normal((12, 6, 5, 2)))
    A, B = all_cyclic_shifts(A)[12:], all_cyclic_shifts(B)[12:]  # the identity shift removed
    assert np.abs(dft_cca(A, B).rho - svcca.cca(flat(A), flat(B)).rho).max() > 1e-4


def test_ranks_that_differ_by_frequency_pad_the_union_with_zeros(rng):
    # a [1, 1] box filter along an even axis removes its Nyquist frequency: A loses u = 3,
    # B loses v = 2, so the layers' per-frequency ranks differ and, as in the full-layer
    # CCA, min(x_rank, y_rank) exceeds the correlations the frequencies pair up
    A, B = two_equivariant_layers(rng, rng.standard_normal((12, 6, 4, 2)))
    A = A + np.roll(A, 1, axis=1)
    B = (B + np.roll(B, 1, axis=2))[..., :3]
    A, B = all_cyclic_shifts(A), all_cyclic_shifts(B)
    res = dft_cca(A, B)
    full = svcca.cca(flat(A), flat(B))
    assert (res.x_rank, res.y_rank) == (full.x_rank, full.y_rank) == (60, 54)
    np.testing.assert_allclose(res.rho, full.rho, rtol=0, atol=TOL64)
    paired = sum(int(m) * r.shape[0] for m, r in zip(res.multiplicity, res.frequency_rho))
    assert paired == 45 and int((res.rho == 0).sum()) == 54 - 45
    assert res.rho_at(3, 0).size == 0 and res.rho_at(0, 2).size == 0
    assert np.isnan(res.frequency_mean[3, 1]) and np.isnan(res.frequency_mean[1, 2])
    for bad in (1.7, "a", True):  # 1.7 was read as frequency 1
        with pytest.raises(TypeError, match=rf"u must be an int \(a frequency index\); got {bad!r}"):
            res.rho_at(bad, 0)


def test_dead_channel_is_dropped_at_every_frequency(shift_closed_conv_acts):
    A, B = shift_closed_conv_acts
    A = A.copy()
    A[..., 1] = 0.7  # a dead channel
    res = dft_cca(A, B)
    full = svcca.cca(flat(A), flat(B))
    assert res.x_rank == full.x_rank == 60
    assert set(res.x_ranks.tolist()) == {2}
    np.testing.assert_allclose(res.rho, full.rho, rtol=0, atol=TOL64)


@pytest.mark.parametrize(
    ("value", "dtype"), [(1e176, np.float64), (-1e300, np.float64), (1e30, np.float32), (3e37, np.float32)]
)
def test_a_channel_stuck_at_a_huge_value_is_dropped_and_changes_nothing(shift_closed_conv_acts, value, dtype):
    # one power of two scaled the whole layer, set by that channel's rounding once shifted:
    # at 1e176 the other channels' squares underflowed and the union read 0.9998 against
    # 0.9638, at 1e200 "no varying feature"; float32 at 1e28 gave 1.0, at 3e37 "too large"
    A, B = (x.astype(dtype) for x in shift_closed_conv_acts)
    A = A.copy()
    A[..., 1] = value
    kw = {"dtype": dtype} if dtype == np.float32 else {}
    res, full = dft_cca(A, B, **kw), svcca.cca(flat(A), flat(B), **kw)
    assert res.x_rank == full.x_rank == 60
    np.testing.assert_allclose(res.rho, full.rho, rtol=0, atol=TOL64 if dtype == np.float64 else 1e-5)


# --------------------------------------------------------------------------------------
# per-frequency values: an independent oracle, conjugate symmetry, frequency tables
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("uv", [(0, 0), (1, 2), (-1, -2), (3, 0), (2, -1), (3, 2)])
def test_each_frequency_is_the_complex_cca_of_its_dft_coefficients(not_shift_closed_conv_acts, uv):
    A, B = not_shift_closed_conv_acts  # per-frequency values hold whatever the data
    res = dft_cca(A, B)
    u, v = uv
    Ahat = np.fft.fft2(A, axes=(1, 2))[:, u % 6, v % 5, :]
    Bhat = np.fft.fft2(B, axes=(1, 2))[:, u % 6, v % 5, :]
    if (2 * u) % 6 == 0 and (2 * v) % 5 == 0:  # self-conjugate: real coefficients
        assert np.abs(Ahat.imag).max() < 1e-10 * np.abs(Ahat).max()
        Ahat, Bhat = Ahat.real, Bhat.real
    oracle = svcca.cca(Ahat, Bhat).rho
    np.testing.assert_allclose(res.rho_at(u, v), oracle, rtol=0, atol=TOL64)
    np.testing.assert_allclose(res.rho_at(-u, -v), oracle, rtol=0, atol=TOL64)


@pytest.mark.parametrize("grid", [(1, 1), (1, 4), (4, 1), (4, 4), (5, 3), (6, 5), (7, 8), (8, 8)])
def test_one_frequency_of_each_conjugate_pair_covers_the_grid_once(rng, grid):
    h, w = grid
    res = dft_cca(rng.standard_normal((40, h, w, 2)), rng.standard_normal((40, h, w, 2)))
    assert int(res.multiplicity.sum()) == h * w
    covered = set()
    for (u, v), m in zip(res.frequencies, res.multiplicity):
        pair = {(u % h, v % w), (-u % h, -v % w)}
        assert len(pair) == m
        assert not covered & pair
        covered |= pair
    assert covered == {(u, v) for u in range(h) for v in range(w)}
    n_self = (1 + (h % 2 == 0)) * (1 + (w % 2 == 0)) if h * w > 1 else 1
    assert int((res.multiplicity == 1).sum()) == n_self
    assert len(res.frequencies) == (h * w + n_self) // 2
    assert res.n_components == 2 * h * w
    assert np.all(res.frequencies[:, 0] >= -(h // 2)) and np.all(res.frequencies[:, 0] < (h + 1) // 2)


def test_frequency_mean_is_conjugate_symmetric(not_shift_closed_conv_acts):
    res = dft_cca(*not_shift_closed_conv_acts)
    fm = res.frequency_mean
    assert fm.shape == res.grid == (6, 5)
    np.testing.assert_allclose(fm, np.roll(fm[::-1, ::-1], (1, 1), axis=(0, 1)))  # fm[-u, -v]
    assert fm[1, 2] == pytest.approx(float(res.rho_at(1, 2).mean()))


def test_rho_is_the_sorted_union_counted_with_multiplicity(not_shift_closed_conv_acts):
    res = dft_cca(*not_shift_closed_conv_acts)
    union = np.concatenate([np.repeat(r, m) for r, m in zip(res.frequency_rho, res.multiplicity)])
    np.testing.assert_array_equal(res.rho, np.sort(union)[::-1])
    assert np.all(np.diff(res.rho) <= 0) and res.rho.min() >= 0 and res.rho.max() <= 1


def test_a_dense_layer_as_a_1x1_grid_is_plain_cca(rng):
    X, Y = rng.standard_normal((300, 6)), rng.standard_normal((300, 4))
    res = dft_cca(X.reshape(300, 1, 1, 6), Y.reshape(300, 1, 1, 4))
    np.testing.assert_allclose(res.rho, svcca.cca(X, Y).rho, rtol=0, atol=TOL64)
    assert res.frequencies.tolist() == [[0, 0]]


# --------------------------------------------------------------------------------------
# different grids: low-pass cropping
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("a_grid", "b_grid"), [((6, 5), (8, 9)), ((6, 9), (8, 5)), ((5, 4), (7, 7))])
def test_cropping_equals_comparing_with_the_layer_fourier_resampled(rng, a_grid, b_grid):
    A = rng.standard_normal((150, *a_grid, 3))
    B = np.tanh(rng.standard_normal((150, *b_grid, 2)))
    res = dft_cca(A, B)
    grid = (min(a_grid[0], b_grid[0]), min(a_grid[1], b_grid[1]))
    assert res.grid == grid and res.x_grid == a_grid and res.y_grid == b_grid
    oracle = dft_cca(fourier_resample(A, grid), fourier_resample(B, grid))
    np.testing.assert_allclose(res.rho, oracle.rho, rtol=0, atol=TOL64)
    for r, o in zip(res.frequency_rho, oracle.frequency_rho):
        np.testing.assert_allclose(r, o, rtol=0, atol=TOL64)
    same = dft_cca(resize(A, grid, mode="fourier"), resize(B, grid, mode="fourier"))
    np.testing.assert_allclose(res.rho, same.rho, rtol=0, atol=TOL64)
    assert res.n_components == grid[0] * grid[1] * 2


def test_cropping_keeps_shared_structure_at_the_common_frequencies(rng):
    # B is A upsampled by 2 (Fourier): at the common low frequencies they carry the same
    # signal, so every correlation is 1; a foreign layer on the large grid is not
    A = rng.standard_normal((120, 4, 4, 3))
    B = resize(A, (8, 8), mode="fourier")
    np.testing.assert_allclose(dft_cca(A, B).rho, 1.0, rtol=0, atol=TOL64)
    assert dft_cca(A, rng.standard_normal((120, 8, 8, 3))).similarity < 0.5


# --------------------------------------------------------------------------------------
# backends, precision, chunking, paths
# --------------------------------------------------------------------------------------
@pytest.mark.torch
def test_torch_matches_numpy_and_stays_a_tensor(shift_closed_conv_acts):
    torch = pytest.importorskip("torch")
    A, B = shift_closed_conv_acts
    ref = dft_cca(A, B)
    for a, b in ((torch.as_tensor(A), torch.as_tensor(B)), (torch.as_tensor(A), B)):
        res = dft_cca(a, b)
        assert isinstance(res.rho, torch.Tensor) and res.rho.device == a.device
        assert res.rho.dtype == torch.float64
        assert all(isinstance(r, torch.Tensor) for r in res.frequency_rho)
        np.testing.assert_allclose(res.rho.numpy(), ref.rho, rtol=0, atol=TOL64)
        assert res.similarity == pytest.approx(ref.similarity, abs=TOL64)
    svd = dft_cca(torch.as_tensor(A), torch.as_tensor(B), algorithm="svd")
    np.testing.assert_allclose(svd.rho.numpy(), ref.rho, rtol=0, atol=TOL64)


@pytest.mark.torch
def test_torch_cropping_matches_numpy(rng):
    torch = pytest.importorskip("torch")
    A, B = rng.standard_normal((80, 6, 9, 3)), rng.standard_normal((80, 8, 5, 2))
    res = dft_cca(torch.as_tensor(A), torch.as_tensor(B))
    np.testing.assert_allclose(res.rho.numpy(), dft_cca(A, B).rho, rtol=0, atol=TOL64)


@pytest.mark.parametrize("batch_size", [1, 7, 359, 1000])
def test_batch_size_does_not_change_the_result(shift_closed_conv_acts, batch_size):
    A, B = shift_closed_conv_acts
    ref = dft_cca(A, B)
    np.testing.assert_allclose(dft_cca(A, B, batch_size=batch_size).rho, ref.rho, rtol=0, atol=TOL64)


def test_float32_agrees_with_float64(shift_closed_conv_acts):
    A, B = shift_closed_conv_acts
    ref = dft_cca(A, B)
    for res in (dft_cca(A, B, dtype=np.float32), dft_cca(A.astype(np.float32), B.astype(np.float32))):
        np.testing.assert_allclose(res.rho, ref.rho, rtol=0, atol=TOL32)
    assert dft_cca(A, B, dtype=np.float32).rho.dtype == np.float32


def test_float32_hands_ill_conditioned_channels_on_from_float64(rng):
    # channels with cond(G) 1e10: no frequency passes float32's Gram limit, and a float32 SVD
    # at n = 2000 cut at 2.4e-4 and dropped a quarter of the directions (similarity 0.46
    # against float64's 0.37); float32 now gets the float64 computation, in float32
    n, c = 2000, 32
    mix = np.diag(np.logspace(0, -5, c)) @ np.linalg.qr(rng.standard_normal((c, c)))[0]
    A = rng.standard_normal((n, 4, 4, c)) @ mix
    B = A[..., :10] @ rng.standard_normal((10, c)) + 0.3 * rng.standard_normal((n, 4, 4, c)) @ mix
    A, B = A.astype(np.float32), B.astype(np.float32)
    res, ref = dft_cca(A, B, dtype=np.float32), dft_cca(A, B)
    assert res.rho.dtype == np.float32 and all(r.dtype == np.float32 for r in res.frequency_rho)
    assert (res.x_rank, res.y_rank) == (ref.x_rank, ref.y_rank) == (512, 512)
    np.testing.assert_allclose(res.rho, ref.rho, rtol=0, atol=1e-6)
    assert dft_cca(A, B, dtype=np.float32, algorithm="svd").x_rank < 512  # the float32 SVD, as asked


def test_half_precision_layers_keep_their_frequencies(rng):
    # float16 and bfloat16 layers (white, 8 x 8, 500 samples) are computed in float64 like
    # the float64 copy of their values, and their rounding is far below every frequency.
    # The input's rounding used to enter as eps_in * log2(n * h * w) of a channel's energy
    # (a noise floor) and max(n, c) * eps_in (the rank tolerance, 0.49 for float16 and 3.9
    # for bfloat16): half of B's directions were dropped in float16 (similarity 0.885 for
    # 0.782), and a bfloat16 layer was refused as having no varying feature.
    torch = pytest.importorskip("torch")
    A = rng.standard_normal((500, 8, 8, 3))
    B = np.tanh(A @ rng.standard_normal((3, 4))) + 0.3 * rng.standard_normal((500, 8, 8, 4))
    for a, b in (
        (A.astype(np.float16), B.astype(np.float16)),
        (torch.tensor(A, dtype=torch.bfloat16), torch.tensor(B, dtype=torch.bfloat16)),
    ):
        a64, b64 = (np.asarray(x.float() if hasattr(x, "float") else x, dtype=np.float64) for x in (a, b))
        res, ref = dft_cca(a, b), dft_cca(a64, b64)
        assert (res.x_rank, res.y_rank) == (ref.x_rank, ref.y_rank) == (192, 256)
        np.testing.assert_allclose(np.asarray(res.rho, dtype=np.float64), ref.rho, rtol=0, atol=1e-6)


def test_float32_layer_keeps_a_frequency_damped_to_1e_4(rng):
    # x - (1 - 1e-4) roll(x) damps the frequencies u = 0 to 1e-4 of the others: in float32 far
    # above the input's rounding (about 1e-8 there), so they are kept and match the oracle
    # (numpy.fft of the float32 values, svcca.cca). They used to be dropped as constant.
    x = rng.standard_normal((400, 8, 8, 3))
    A = (x - (1 - 1e-4) * np.roll(x, 1, axis=1)).astype(np.float32)
    B = (np.tanh(x @ rng.standard_normal((3, 3))) + 0.5 * rng.standard_normal((400, 8, 8, 3))).astype(
        np.float32
    )
    res = dft_cca(A, B)
    assert res.x_rank == res.y_rank == 3 * 64
    for v in (1, 2):
        Ahat = np.fft.fft2(A.astype(np.float64), axes=(1, 2))[:, 0, v, :]
        Bhat = np.fft.fft2(B.astype(np.float64), axes=(1, 2))[:, 0, v, :]
        np.testing.assert_allclose(res.rho_at(0, v), svcca.cca(Ahat, Bhat).rho, rtol=0, atol=1e-6)


def test_ill_conditioned_frequencies_take_the_svd_path(rng):
    # channel 2 is channel 0 plus a 1e-5 perturbation: every frequency's channel correlation
    # matrix has condition number ~1e10, beyond what the Gram path resolves
    A = rng.standard_normal((400, 4, 4, 3))
    A[..., 2] = A[..., 0] + 1e-5 * rng.standard_normal((400, 4, 4))
    B = A[..., :2] @ rng.standard_normal((2, 3)) + 0.5 * rng.standard_normal((400, 4, 4, 3))
    auto = dft_cca(A, B)
    assert set(auto.frequency_algorithm) == {"svd"}
    svd = dft_cca(A, B, algorithm="svd")
    np.testing.assert_allclose(auto.rho, svd.rho, rtol=0, atol=1e-9)
    for f in ((0, 0), (1, 1), (2, 2)):
        Ahat = np.fft.fft2(A, axes=(1, 2))[:, f[0], f[1], :]
        Bhat = np.fft.fft2(B, axes=(1, 2))[:, f[0], f[1], :]
        if f != (1, 1):
            Ahat, Bhat = Ahat.real, Bhat.real
        np.testing.assert_allclose(auto.rho_at(*f), svcca.cca(Ahat, Bhat, algorithm="svd").rho, atol=1e-9)


@pytest.mark.parametrize("wide", [True, False])
def test_forced_gram_path_drops_rounding_directions_of_rank_deficient_frequencies(rng, wide):
    # wide: 4 and 3 channels over 3 samples (every frequency has rank n - 1 = 2); not wide:
    # a duplicated channel. algorithm="gram" used to count the rounding-level eigenvalues of
    # the singular Gram matrices as directions: ranks 3 instead of 2, and two spurious
    # correlations (0.63 and 0.08) in the union. The oracle: numpy.fft + the core's SVD path.
    if wide:
        A, B = rng.standard_normal((3, 2, 2, 4)), rng.standard_normal((3, 2, 2, 3))
    else:
        A, B = rng.standard_normal((200, 3, 5, 3)), rng.standard_normal((200, 3, 5, 2))
        A = np.concatenate([A, A[..., :1]], axis=-1)
        B = B + A[..., :2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", svcca.SampleSizeWarning)
        gram = dft_cca(A, B, algorithm="gram")
    assert set(gram.frequency_algorithm) == {"gram"}
    Ahat, Bhat = np.fft.fft2(A, axes=(1, 2)), np.fft.fft2(B, axes=(1, 2))
    for (u, v), r, rx, ry in zip(gram.frequencies, gram.frequency_rho, gram.x_ranks, gram.y_ranks):
        a, b = Ahat[:, u, v, :], Bhat[:, u, v, :]
        if np.abs(a.imag).max() < 1e-9:  # a self-conjugate frequency: real coefficients
            a, b = a.real, b.real
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", svcca.SampleSizeWarning)
            oracle = svcca.cca(a, b, algorithm="svd")
        assert (rx, ry) == (oracle.x_rank, oracle.y_rank)
        np.testing.assert_allclose(r, oracle.rho, rtol=0, atol=1e-7)


def test_memory_mapped_layers_are_read_in_chunks(tmp_path, shift_closed_conv_acts):
    A, B = shift_closed_conv_acts
    np.save(tmp_path / "a.npy", A)
    np.save(tmp_path / "b.npy", B.astype(np.float32))
    Am = np.load(tmp_path / "a.npy", mmap_mode="r")
    Bm = np.load(tmp_path / "b.npy", mmap_mode="r")
    res = dft_cca(Am, Bm, batch_size=50)
    np.testing.assert_allclose(res.rho, dft_cca(A, B.astype(np.float32)).rho, rtol=0, atol=TOL64)


def test_ridge_shrinks_correlations(shift_closed_conv_acts):
    A, B = shift_closed_conv_acts
    plain, ridged = dft_cca(A, B), dft_cca(A, B, epsilon=0.1)
    assert ridged.epsilon == 0.1
    assert ridged.similarity < plain.similarity
    svd = dft_cca(A, B, epsilon=0.1, algorithm="svd")
    np.testing.assert_allclose(svd.rho, ridged.rho, rtol=0, atol=TOL64)


def test_sample_size_warning_at_some_frequency(rng):
    A, B = rng.standard_normal((10, 4, 4, 6)), rng.standard_normal((10, 4, 4, 6))
    with pytest.warns(svcca.SampleSizeWarning):
        dft_cca(A, B)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dft_cca(A, B, warn=False)


def test_result_is_frozen_and_repr_is_short(not_shift_closed_conv_acts):
    res = dft_cca(*not_shift_closed_conv_acts)
    assert isinstance(res, DFTCCAResult)
    with pytest.raises(AttributeError):
        res.rho = None
    assert re.fullmatch(
        r"DFTCCAResult\(similarity=0\.\d{4}, n_components=90, grid=\(6, 5\), "
        r"n_frequencies=16, n_samples=360\)",
        repr(res),
    )
    assert set(res.summaries()) >= {"similarity", "mean", "yanai_r2", "pillai"}


# --------------------------------------------------------------------------------------
# dft_cca: bad input
# --------------------------------------------------------------------------------------
def test_dft_cca_errors(rng):
    A = rng.standard_normal((20, 4, 4, 3))
    with raises_exact(
        "A must be 4-D of shape (n_samples, height, width, channels); got A.shape=(20, 48) (a dense layer?"
    ):
        dft_cca(A.reshape(20, -1), A)
    with raises_exact(
        "B must be 4-D of shape (n_samples, height, width, channels); "
        "got B.shape=(20, 4, 4) (a single channel?"
    ):
        dft_cca(A, A[..., 0])
    with pytest.raises(ValueError, match=r"A must be 4-D .* got A\.shape=\(20, 4, 4, 3, 1\)"):
        dft_cca(A[..., None], A)
    with raises_exact(
        "A and B must have the same number of samples (rows); "
        "got A.shape=(20, 4, 4, 3), B.shape=(19, 4, 4, 3)"
    ):
        dft_cca(A, A[:19])
    with pytest.raises(ValueError, match="A must be real-valued"):
        dft_cca(A + 1j, A)
    bad = A.copy()
    bad[3, 1, 2, 0] = np.nan
    with raises_exact("B contains NaN or Inf values (B.shape=(20, 4, 4, 3))"):
        dft_cca(A, bad)
    bad[3, 1, 2, 0] = np.inf
    with pytest.raises(ValueError, match="A contains NaN or Inf values"):
        dft_cca(bad, A)
    # each layer is scaled by a power of two from its first chunk: 1e200 squares; a later
    # chunk far beyond the first overflowed ("too large to square", depending on batch_size):
    # its factors now come from every chunk, and every batch size gives one answer
    np.testing.assert_allclose(dft_cca(A * 1e200, A * 1e-160).rho, dft_cca(A, A).rho, rtol=0, atol=1e-12)
    big = A.copy()
    big[-5:] *= 1e300
    whole = dft_cca(big, A).rho
    assert np.isfinite(whole).all() and whole.shape == dft_cca(A, A).rho.shape
    for batch_size in (1, 4, 7):
        np.testing.assert_allclose(dft_cca(big, A, batch_size=batch_size).rho, whole, rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="CCA needs at least 2 samples"):
        dft_cca(A[:1], A[:1])
    with pytest.raises(ValueError, match="algorithm must be one of 'auto', 'gram', 'svd'; got 'eig'"):
        dft_cca(A, A, algorithm="eig")
    with pytest.raises(ValueError, match="batch_size must be None or a positive int; got 0"):
        dft_cca(A, A, batch_size=0)
    with pytest.raises(ValueError, match="rtol must be None or a number in"):
        dft_cca(A, A, rtol=2.0)
    with pytest.raises(ValueError, match="dtype must be None, float32 or float64"):
        dft_cca(A, A, dtype=np.float16)
    with pytest.raises(ValueError, match="epsilon must be a finite number >= 0"):
        dft_cca(A, A, epsilon=-1)
    with pytest.raises(TypeError, match="A must be an array"):
        dft_cca(None, A)
    # different channel counts are fine
    assert dft_cca(A, rng.standard_normal((20, 4, 4, 5))).n_components == 48


def test_dft_cca_dead_layer_raises_as_cca():
    # was NaN with two RuntimeWarnings
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((40, 4, 4, 3)), np.zeros((40, 4, 4, 2))
    with pytest.raises(
        ValueError,
        match=r"B has no varying feature: all 32 features are constant over "
        r"the 40 samples \(dead neurons\?\)",
    ):
        dft_cca(A, B)
    with pytest.raises(ValueError, match=r"A has no varying feature"):
        dft_cca(np.full((40, 4, 4, 3), 2.0), A)


@pytest.mark.parametrize("offset", [1e3, 1e5])
def test_float32_layers_with_offsets_keep_their_variation(offset):
    # the DFT's rounding is relative to the energy it transforms: unshifted, an offset of
    # 1e5 +- 1 buried every coefficient in float32 ("no varying feature")
    rng = np.random.default_rng(0)
    A = (rng.standard_normal((300, 4, 4, 3)) + offset).astype(np.float32)
    B = (A[..., :2] - offset + rng.standard_normal((300, 4, 4, 2))).astype(np.float32)
    got, ref = dft_cca(A, B, dtype=np.float32), dft_cca(A, B)
    assert abs(got.similarity - ref.similarity) < 1e-5
    np.testing.assert_array_equal(got.x_ranks, ref.x_ranks)


@pytest.mark.parametrize("scale", [1e-160, 1e-165, 1e-300])
def test_layers_of_tiny_values_give_the_flattened_cca(scale):
    # the squared coefficients underflowed: rho off by 6e-5 at 1e-160 with no warning, and at
    # 1e-165 "no varying feature (dead neurons?)"
    rng = np.random.default_rng(0)
    images = rng.standard_normal((20, 4, 4, 3))
    A = np.concatenate([np.roll(images, (dy, dx), axis=(1, 2)) for dy in range(4) for dx in range(4)])
    B = np.tanh(A @ rng.standard_normal((3, 5)))
    full = svcca.cca(A.reshape(320, -1), B.reshape(320, -1))
    np.testing.assert_allclose(dft_cca(A * scale, B).rho, full.rho, rtol=0, atol=1e-12)
