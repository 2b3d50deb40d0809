"""Per-frequency CCA of conv layers: the scalable method of Raghu et al. (2017, section 3).

:func:`dft_cca` takes a 2-D DFT of two conv layers over height and width and runs one complex
CCA of the channels at every spatial frequency. On a dataset closed under cyclic shifts, with
translation-equivariant layers, the union of the per-frequency correlations *is* the CCA of
the full flattened layer, at a fraction of the cost. :mod:`svcca.conv` re-exports it beside
the other recipes for conv layers, so ``svcca.conv.dft_cca`` is the same function.

numpy arrays and torch tensors are both accepted (the shared dispatch of
:mod:`svcca._backend`); tensors come back as tensors on the same device. The computation is
in float64 unless float32 is asked for. Channels come last: ``(n_samples, height, width,
channels)``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from ._backend import _np_compute_dtype, get_ops, to_numpy
from ._cca import (
    ALGORITHMS,
    CCAResult,
    Whitened,
    _input_eps,
    _no_varying,
    _pow2_rescale,
    cast_to,
    cca_from_whitened,
    pow2_factors,
    whiten,
)
from ._docs import fill_doc
from ._validation import (
    DegenerateLayerError,
    assert_finite,
    check_conv_pair,
    check_epsilon,
    check_option,
    check_rtol,
    shape_of,
    warn_sample_size,
)

__all__ = ["DFTCCAResult", "dft_cca"]

# Working memory per chunk of samples (chunks and spectra of both layers), and for the spectra
# gathered for the exact per-frequency SVD path.
_CHUNK_BYTES = 2**28
_GATHER_BYTES = 2**28
# The Gram path of a frequency is used when the condition number of its channel correlation
# matrix stays below this, by compute itemsize: the rule of the core (svcca._cca), whose
# error in rho is about eps * cond (~2e-11 in float64).
_GRAM_LIMIT = {8: 1e5, 4: 1e2}


@dataclass(frozen=True)
class _Frequencies:
    """The spatial frequencies of an (h, w) grid, one of each conjugate pair (u, v) ~ (-u, -v).

    ``row``, ``col`` index the half spectrum (``rfft`` along the width: ``col`` in
    ``0..w//2``); ``signed`` holds the frequencies as ``numpy.fft.fftfreq`` integers.
    """

    h: int
    w: int
    row: np.ndarray
    col: np.ndarray
    signed: np.ndarray
    multiplicity: np.ndarray
    self_conjugate: np.ndarray


def _frequencies(h: int, w: int) -> _Frequencies:
    rows, cols, mult = [], [], []
    for v in range(w // 2 + 1):
        edge = v == 0 or 2 * v == w  # the columns that are their own conjugate
        for u in range(h // 2 + 1 if edge else h):
            rows.append(u)
            cols.append(v)
            mult.append(1 if edge and (u == 0 or 2 * u == h) else 2)
    row, col, m = np.array(rows), np.array(cols), np.array(mult)
    fu = np.rint(np.fft.fftfreq(h) * h).astype(int)
    fv = np.rint(np.fft.fftfreq(w) * w).astype(int)
    signed = np.stack([fu[row], fv[col]], axis=1)
    return _Frequencies(h, w, row, col, signed, m, m == 1)


def _spectrum(ops: Any, x: Any, fr: _Frequencies, row: Any, col: Any) -> Any:
    """Unitary 2-D DFT of a real chunk ``(b, H, W, c)``, low-passed to the ``(h, w)`` grid.

    Returns the ``(n_freq, b, c)`` coefficients at one frequency of each conjugate pair.
    Cropping keeps the frequencies common to both grids; at an even Nyquist frequency of
    the smaller grid the two bins +-N/2 of the larger one are summed, so the result is the
    DFT of the layer Fourier-resampled to the smaller grid (up to a scale per frequency,
    which CCA ignores).
    """
    _, H, W, _ = x.shape
    h, w = fr.h, fr.w
    X = ops.rfft(x, 2)[:, :, : w // 2 + 1]
    if w < W and w % 2 == 0:
        # bins +w/2 and -w/2 of a real row are conjugate: their sum is twice the real part
        nyq = X[:, :, w // 2]
        X[:, :, w // 2] = 2 * nyq.real
    X = ops.fft(X, 1, overwrite=True)
    if h < H:
        keep = ops.index(np.rint(np.fft.fftfreq(h) * h).astype(int) % H)
        cropped = X[:, keep]
        if h % 2 == 0:
            cropped[:, h // 2] = X[:, h // 2] + X[:, H - h // 2]
        X = cropped
    S = ops.contiguous(ops.permute(X, (1, 2, 0, 3))[row, col])  # (n_freq, b, c)
    if fr.self_conjugate.any():
        sc = ops.index(np.flatnonzero(fr.self_conjugate))
        S[sc] = S[sc].real + 0j  # real coefficients, kept in the complex array
    return S


@dataclass
class _Moments:
    """Per-frequency sums for one layer, accumulated chunk by chunk.

    The activations are shifted by the first chunk's mean image before the DFT (whose
    rounding is relative to the energy it transforms: an offset of 1e5 +- 1 would bury the
    variation in float32), and the coefficients by the first chunk's mean, so centring
    inside the Gram matrix loses no precision. Both shifts are constant over samples and
    leave every per-frequency CCA as it is, as do the powers of two ``factor`` that scale
    each channel's largest value in the first chunk near 1 (a diagonal map of the features
    at every frequency), so that the squares of layers of 1e-160 or 1e200, or of a channel
    stuck at 1e200 beside ordinary ones, neither underflow nor overflow. When a later chunk
    is so much larger that its squares overflow all the same, the sums are taken again with
    each channel's factor from its largest value in every chunk.
    """

    origin: Any = None  # (H, W, c) the first chunk's mean image (scaled by ``factor``)
    factor: Any = None  # (c,) powers of two: each channel's largest value (first chunk) near 1
    shift: Any = None  # (F, c)
    total: Any = None  # (F, c) sum of shifted coefficients
    sq: Any = None  # (F, c) sum of |shifted|^2 (from the Gram diagonal when there is one)
    gram: Any = None  # (F, c, c) sum of T^H T, or None
    energy: Any = None  # (c,) sum of squares of the shifted spatial activations (DFT rounding)
    input_energy: Any = None  # (c,) sum of squares of the raw activations (input rounding)


def _accumulate(ops: Any, m: _Moments, x: Any, d: Any, S: Any, grams: bool) -> Any:
    """Add one chunk: ``x`` (b, H, W, c) raw, ``d`` shifted, ``S`` (F, b, c) the coefficients of ``d``.

    The coefficients are shifted in place.

    Returns the real view ``P`` (F, b, 2c) of ``S`` for the cross Gram (None without Grams).
    """
    F, _, c = S.shape
    if m.shift is None:
        m.shift = S.mean(1)
        m.total = ops.zeros((F, c), complex_=True)
        m.energy = ops.zeros((c,))
        m.input_energy = ops.zeros((c,))
        if grams:
            m.gram = ops.zeros((F, 2 * c, 2 * c))
        else:
            m.sq = ops.zeros((F, c))
    S -= m.shift[:, None, :]
    m.total += S.sum(1)
    flat = d.reshape(-1, c)
    m.energy += (flat * flat).sum(0)
    flat = x.reshape(-1, c)
    m.input_energy += (flat * flat).sum(0)
    if not grams:
        m.sq += (S.real**2 + S.imag**2).sum(1)
        return None
    P = ops.real_view(S)
    m.gram += ops.ct(P) @ P
    return P


def _complex_gram(G: Any, p: int, q: int) -> Any:
    """Return ``T_x^H T_y`` (F, p, q) from the real product of the interleaved (re, im) views.

    The real product is ``P_x^T P_y`` (F, 2p, 2q):
    ``conj(x) y = (x_r y_r + x_i y_i) + i (x_r y_i - x_i y_r)``.
    """
    G4 = G.reshape(G.shape[0], p, 2, q, 2)
    return (G4[:, :, 0, :, 0] + G4[:, :, 1, :, 1]) + 1j * (G4[:, :, 0, :, 1] - G4[:, :, 1, :, 0])


@dataclass
class _Side:
    """One layer's per-frequency whitening (batched over frequencies)."""

    kept: np.ndarray  # (F, c) bool, features above the noise floor
    n_kept: np.ndarray  # (F,)
    rtol: np.ndarray  # (F,) rank tolerance at each frequency
    scale: Any = None  # (F, c) 1 / centred column norm (0 for dropped)
    W: Any = None  # (F, c, c) whitening map on rescaled features (masked columns 0)
    rank: np.ndarray | None = None  # (F,)
    accurate: np.ndarray | None = None  # (F,) Gram path accurate enough


def _side(
    ops: Any,
    m: _Moments,
    n: int,
    grid_size: int,
    eps_in: float,
    epsilon: float,
    rtol: float,
    user_rtol: bool,
    itemsize: int,
) -> _Side:
    """One layer's kept features, rank tolerances, ranks and whitening at every frequency.

    ``eps_in``: the machine epsilon of the layer's own dtype (0 for integers); the compute
    precision is the one of ``itemsize``. ``rtol``: the user's (``user_rtol``) or the default
    for the compute precision, which input rounding may raise.
    """
    eps = float(np.finfo(np.float32 if itemsize == 4 else np.float64).eps)
    mean = m.total / n  # mean of the shifted data
    gram = _complex_gram(m.gram, m.total.shape[1], m.total.shape[1]) if m.gram is not None else None
    raw_sq = ops.diag_real(gram) if gram is not None else m.sq
    sq = ops.to_numpy(raw_sq) - n * np.abs(ops.to_numpy(mean)) ** 2
    norms = np.sqrt(np.clip(sq, 0.0, None))
    # Noise floor: DFT and centring rounding leave about eps * log2(size) of a channel's
    # total (uncentred) energy in every coefficient; a coefficient below it is constant.
    # The input's own rounding (float32, float16 data) is white over the grid: at most
    # eps_in * energy / sqrt(12 * grid_size) at each frequency (twice that at a cropped
    # Nyquist frequency, where bins are summed), so its floor is 4 eps_in / sqrt(grid_size)
    # of the energy, not eps_in * log2(size): a frequency a smoothing layer damps to 1e-4
    # of the energy is still well resolved in float32.
    energy = np.sqrt(ops.to_numpy(m.energy))
    input_energy = np.sqrt(ops.to_numpy(m.input_energy))
    floor = np.maximum(
        8.0 * eps * max(1.0, math.log2(n * grid_size)) * energy,
        4.0 * eps_in / math.sqrt(grid_size) * input_energy,
    )
    kept = (norms > floor[None, :]) & (norms > 0)
    F, c = kept.shape
    # Rank tolerance: the user's as given; by default the core's, max(n, c_a, c_b) eps of the compute
    # precision, and for input coarser than it the core's floor for input rounding
    # (svcca._cca._rounding_floors, unweighed): 2 (1 + sqrt(c / n)) times the rounding of a
    # unit-norm feature, here eps_in * energy / (sqrt(grid_size) * norm) at each frequency
    rt = np.full(F, rtol)
    if not user_rtol and eps_in > eps:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_in = np.where(
                kept, input_energy[None, :] / (math.sqrt(grid_size) * np.where(kept, norms, 1.0)), 0.0
            )
        rt = np.maximum(rt, 2.0 * (1.0 + math.sqrt(c / n)) * eps_in * ratio_in.max(1))
    side = _Side(kept=kept, n_kept=kept.sum(1), rtol=rt)
    if gram is None:
        return side
    scale = np.where(kept, 1.0 / np.where(kept, norms, 1.0), 0.0)
    side.scale = ops.from_numpy(scale.astype(np.float32 if itemsize == 4 else np.float64), like=m.total)
    C = gram - n * (mean.conj()[:, :, None] * mean[:, None, :])
    R = side.scale[:, :, None] * C * side.scale[:, None, :]
    lam, V = ops.eigh(R)
    lam_np = ops.to_numpy(lam)
    n_drop = c - side.n_kept
    lam_max = lam_np[:, -1]
    lam_min = lam_np[np.arange(F), np.minimum(n_drop, c - 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (lam_min + epsilon) / (lam_max + epsilon)
    side.accurate = (side.n_kept > 0) & (ratio * _GRAM_LIMIT[itemsize] >= 1.0)
    # dropped features hold the n_drop smallest (zero) eigenvalues. The rank rule is the core's
    # forced Gram path (svcca._cca._try_gram): an eigenvalue is known to about noise * q *
    # lam_max (q: how much larger the shifted coefficients' energy is than the centred one),
    # so on a frequency too ill-conditioned to be accurate one below sqrt(noise * q) * lam_max
    # is rounding, not a direction, whatever rtol says (an accurate one keeps every direction)
    noise = max(n, c) * eps
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(kept, ops.to_numpy(raw_sq) / np.where(kept, sq, 1.0), 1.0)
    resolve = np.where(side.accurate, 0.0, np.sqrt(noise * q.max(1)))
    cut = np.maximum(rt * rt, resolve) * lam_max
    mask = (np.arange(c)[None, :] >= n_drop[:, None]) & (lam_np > cut[:, None])
    side.rank = mask.sum(1)
    inv = np.where(mask, 1.0 / np.sqrt(np.where(mask, lam_np + epsilon, 1.0)), 0.0)
    side.W = (
        V * ops.from_numpy(inv.astype(np.float32 if itemsize == 4 else np.float64), like=m.total)[:, None, :]
    )
    return side


@fill_doc
def dft_cca(
    A: Any,
    B: Any,
    *,
    epsilon: float = 0.0,
    rtol: float | None = None,
    algorithm: str = "auto",
    batch_size: int | None = None,
    dtype: Any = None,
    warn: bool = True,
) -> DFTCCAResult:
    """CCA of two conv layers frequency by frequency (Raghu et al. 2017, section 3).

    Both layers are transformed by a 2-D DFT over height and width; at every spatial
    frequency ``(u, v)`` the channels' complex coefficients over the samples are compared
    with a complex CCA. The result holds each frequency's correlations and their union.

    Parameters
    ----------
    A : array-like or torch.Tensor of shape (n_samples, height_a, width_a, channels_a)
    B : array-like or torch.Tensor of shape (n_samples, height_b, width_b, channels_b)
        Real conv activations of two layers over the same samples. Grids and channel counts
        may differ. Arrays are read in chunks of samples, so a ``numpy.memmap`` (e.g.
        ``numpy.load(path, mmap_mode="r")``) is never loaded whole.
    epsilon : float, default 0.0
        Ridge added to each frequency's channel correlation matrix, as in :func:`svcca.cca`.
    rtol : float, optional
        Relative rank tolerance within a frequency, as in :func:`svcca.cca`; default
        ``max(n_samples, channels_a, channels_b) * eps`` of the compute precision. Input
        coarser than that (float32 data computed in float64, float16, bfloat16) adds its own
        rounding as a floor, as in :func:`svcca.cca`, taken as white noise over the grid: at
        each frequency ``2 (1 + sqrt(channels / n_samples)) * eps_input / sqrt(height *
        width)`` times the largest ratio of a channel's root energy (over samples and
        positions) to its centred norm at that frequency. With such input a coefficient below
        ``4 eps_input / sqrt(height * width)`` of its channel's root energy counts as
        constant.
    algorithm : {"auto", "gram", "svd"}, default "auto"
        ``"gram"``: every frequency from its accumulated channel covariance, whitened by an
        eigendecomposition batched over frequencies (fast; memory independent of
        ``n_samples``). ``"svd"``: every frequency from its coefficients, whitened by the SVD
        path of :func:`svcca.cca` (exact for any rank and conditioning; the coefficients are
        gathered a group of frequencies at a time, ``n_samples * channels`` each, which costs
        a pass over the data per group). ``"auto"``: the Gram path, and the SVD path for the
        frequencies whose channel correlation matrix has a condition number above ``1e5``
        (float64; ``1e2`` in float32), the limit :func:`svcca.cca` uses. In float32, when
        some frequency is above that limit, the whole comparison is computed in float64 and
        handed on in float32 (a float32 SVD would drop weak directions that float64 keeps).
    batch_size : int, optional
        Samples per chunk; default sized for about 256 MiB of working memory (the memory
        used does not grow with ``n_samples``).
    dtype : {None, float32, float64}, optional
        Compute precision (numpy or torch spelling); float64 unless float32 is asked for.
    warn : bool, default True
        Warn (:class:`svcca.SampleSizeWarning`) when at some frequency the channels outnumber
        the samples, ``rank_a + rank_b > n_samples - 1``.

    Returns
    -------
    DFTCCAResult
        ``rho``: the union of the per-frequency correlations, each frequency ``(u, v)``
        counted together with its conjugate ``(-u, -v)``, sorted descending;
        ``frequency_rho``, ``frequencies``, ranks, and the summaries of :func:`svcca.cca`.

    Raises
    ------
    ValueError
        For input that is not 4-D, complex, empty or not finite, different sample counts,
        fewer than 2 samples, or an unknown ``algorithm``, ``dtype`` or ``batch_size``.
    %(raises_non_numeric)s

    Warns
    -----
    SampleSizeWarning
        When ``rank_a + rank_b > n_samples - 1`` at some frequency.

    Notes
    -----
    *What it assumes.* Let the dataset be closed under cyclic spatial shifts (with every
    image, all its ``h * w`` cyclic translations) and both layers translation-equivariant
    (circular convolutions, followed by anything pointwise: biases, nonlinearities, channel
    mixing). Then ``Sigma_xx``, ``Sigma_yy`` and ``Sigma_xy`` of the flattened layers are
    block circulant, and the unitary 2-D DFT over positions block-diagonalises them into one
    ``c_x x c_y`` block per frequency. CCA is invariant to invertible (here unitary) maps of
    each side, so the canonical correlations of the full ``h * w * c`` neuron layers are
    exactly the union over frequencies of the per-frequency complex CCAs (the theorem of
    Raghu et al. 2017, section 3). The cost drops from ``O(n (h w c)^2 + (h w c)^3)`` to
    ``O(h w (n c^2 + c^3))``. Real datasets are only approximately shift-closed and real
    layers (zero padding, strides) only approximately equivariant; the union is then an
    approximation whose per-frequency values remain meaningful on their own.

    *Conventions.* The DFT is unitary (``norm="ortho"``); each frequency is centred over
    samples (the DFT of the position-wise centred layer) and, like :func:`svcca.cca`, its
    channels are rescaled to unit norm, so any scale per frequency is irrelevant. Real input
    gives conjugate-symmetric spectra, ``A_hat(-u, -v) = conj(A_hat(u, v))``, and the two
    frequencies have identical correlations: one of each pair is computed and counted twice;
    the self-conjugate frequencies (``u`` and ``v`` each ``0`` or Nyquist) have real
    coefficients and get a real CCA, counted once. Coefficients at the rounding-noise
    level of a channel's energy (e.g. a frequency a smoothing layer removes) count as
    constant features. Like the full-layer CCA, ``rho`` is padded with zeros up to
    ``min(x_rank, y_rank)`` when the per-frequency ranks differ between the layers.

    *Different grids.* The larger layer is low-passed to the common grid ``(min(h_a, h_b),
    min(w_a, w_b))``: its frequencies shared with the smaller grid are kept and, at an even
    Nyquist frequency, its two bins ``+-N/2`` are summed. This equals the DFT of the layer
    resized with ``resize(..., mode="fourier")`` (``scipy.signal.resample``). The original
    code kept the bin ``-N/2`` alone instead.

    References
    ----------
    Raghu, Gilmer, Yosinski, Sohl-Dickstein (2017), SVCCA: Singular Vector Canonical
    Correlation Analysis for Deep Learning Dynamics and Interpretability, NeurIPS, section 3.

    Examples
    --------
    A shift-closed dataset (20 images and all 16 cyclic shifts of each) and a pointwise
    layer on top: the per-frequency CCA equals the CCA of the flattened layers.

    >>> import numpy as np, svcca
    >>> from svcca.conv import dft_cca
    >>> rng = np.random.default_rng(0)
    >>> images = rng.standard_normal((20, 4, 4, 3))
    >>> A = np.concatenate([np.roll(images, (dy, dx), axis=(1, 2)) for dy in range(4) for dx in range(4)])
    >>> B = np.tanh(A @ rng.standard_normal((3, 5)))
    >>> res = dft_cca(A, B)
    >>> res.n_components, len(res.frequencies), int(res.multiplicity.sum())
    (48, 10, 16)
    >>> full = svcca.cca(A.reshape(320, -1), B.reshape(320, -1))
    >>> bool(np.abs(res.rho - full.rho).max() < 1e-10)
    True
    """
    check_option(algorithm, "algorithm", ALGORITHMS)
    epsilon, rtol = check_epsilon(epsilon), check_rtol(rtol)
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be None or a positive int; got {batch_size!r}")
    A, B = check_conv_pair(A, B, finite=False)
    n, Ha, Wa, ca = shape_of(A)
    _, Hb, Wb, cb = shape_of(B)
    if n < 2:
        raise ValueError(f"CCA needs at least 2 samples; got A.shape={shape_of(A)}, B.shape={shape_of(B)}")
    real = _np_compute_dtype(dtype) or np.dtype(np.float64)
    ops = get_ops(A, B, dtype=real)
    itemsize = 4 if real == np.float32 else 8
    fr = _frequencies(min(Ha, Hb), min(Wa, Wb))
    F = len(fr.row)
    row, col = ops.index(fr.row), ops.index(fr.col)
    if batch_size is None:
        # bytes per sample: both raw chunks, FFT temporaries of the larger layer, both spectra
        fft_tmp = 2 * 16 * max(Ha * (Wa // 2 + 1) * ca, Hb * (Wb // 2 + 1) * cb)
        per_sample = 2 * 8 * (Ha * Wa * ca + Hb * Wb * cb) + fft_tmp + 16 * F * (ca + cb)
        batch_size = max(1, _CHUNK_BYTES // per_sample)

    def raw_chunks(X: Any) -> Any:
        for start in range(0, n, batch_size):
            yield ops.asarray(X[start : min(n, start + batch_size)], complex_ok=False)

    def chunks(X: Any, m: _Moments) -> Any:
        for x in raw_chunks(X):
            if m.factor is None:
                # one power of two per channel, from its raw entries: a channel stuck at 1e200
                # scales only itself (one factor for the layer, set by that channel's rounding
                # once shifted, underflowed the other channels' squares)
                m.factor = _pow2_rescale(ops, x.reshape(-1, int(x.shape[-1])))[1].reshape(-1)
            x = x * m.factor
            if m.origin is None:  # of the scaled chunk: the sum of 3e37s overflows float32
                m.origin = x.mean(0)
            d = x - m.origin
            yield x, d, _spectrum(ops, d, fr, row, col)

    # pass 1: per-frequency moments (and Gram matrices unless every frequency takes the SVD path)
    grams = algorithm != "svd"

    def moments(mx: _Moments, my: _Moments) -> Any:
        gxy: Any = None
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite input is reported below
            for (a, da, SA), (b, db, SB) in zip(chunks(A, mx), chunks(B, my)):
                PA = _accumulate(ops, mx, a, da, SA, grams)
                PB = _accumulate(ops, my, b, db, SB, grams)
                if grams:
                    if gxy is None:
                        gxy = ops.zeros((F, 2 * ca, 2 * cb))
                    gxy += ops.ct(PA) @ PB
                del a, da, SA, PA, b, db, SB, PB
        return gxy

    def overflowed(m: _Moments) -> bool:
        return not (ops.all_finite(m.total) and ops.all_finite(m.input_energy))

    def layer_factors(X: Any) -> Any:
        # each channel's power of two from its largest value in every chunk, not the first's
        amax = np.zeros(int(shape_of(X)[-1]))
        for x in raw_chunks(X):
            amax = np.maximum(amax, ops.to_numpy(ops.colmaxabs(x.reshape(-1, int(x.shape[-1])))))
        return pow2_factors(ops, amax, ops.zeros((1,)))

    mx, my = _Moments(), _Moments()
    gxy = moments(mx, my)
    # NaN or Inf anywhere in the input reaches the sums: checked once here, not per element
    if overflowed(mx) or overflowed(my):
        for m, name, X in ((mx, "A", A), (my, "B", B)):
            if overflowed(m):
                assert_finite(X, name)  # raises for NaN/Inf; otherwise the squares overflowed
        # finite values far larger than the first chunk's (which set the factors): once more,
        # with factors from every chunk
        mx, my = _Moments(factor=layer_factors(A)), _Moments(factor=layer_factors(B))
        gxy = moments(mx, my)
        for m, name, X in ((mx, "A", A), (my, "B", B)):
            if overflowed(m):
                raise ValueError(
                    f"{name} is too large to square in the compute precision (overflow, {name}.shape="
                    f"{shape_of(X)}); rescale the layer (CCA does not depend on its scale)"
                )
    user_rtol = rtol is not None
    if rtol is None:
        rtol = max(n, ca, cb) * float(np.finfo(real).eps)
    sx = _side(ops, mx, n, Ha * Wa, _input_eps(A), epsilon, rtol, user_rtol, itemsize)
    sy = _side(ops, my, n, Hb * Wb, _input_eps(B), epsilon, rtol, user_rtol, itemsize)
    for side, name, (h, w, c) in ((sx, "A", (Ha, Wa, ca)), (sy, "B", (Hb, Wb, cb))):
        if not bool((np.asarray(side.n_kept) > 0).any()):  # a dead layer: as svcca.cca says
            _no_varying(name, h * w * c, n)

    both = (sx.n_kept > 0) & (sy.n_kept > 0)
    rho_f: list[Any] = [ops.zeros((0,)) for _ in range(F)]
    how = ["none"] * F
    if grams:
        assert (
            sx.rank is not None
            and sy.rank is not None
            and sx.accurate is not None
            and sy.accurate is not None
        )
        x_ranks, y_ranks = sx.rank.copy(), sy.rank.copy()
        mean_x, mean_y = mx.total / n, my.total / n
        Cxy = _complex_gram(gxy, ca, cb) - n * (mean_x.conj()[:, :, None] * mean_y[:, None, :])
        M = ops.ct(sx.W) @ (sx.scale[:, :, None] * Cxy * sy.scale[:, None, :]) @ sy.W
        s = ops.clip01(ops.svdvals(M))
        for f in np.flatnonzero(both):
            rho_f[f], how[f] = s[f, : min(x_ranks[f], y_ranks[f])], "gram"
        if algorithm == "auto":
            redo = ((sx.n_kept > 0) & ~sx.accurate) | ((sy.n_kept > 0) & ~sy.accurate)
        else:
            redo = np.zeros(F, dtype=bool)
    else:
        x_ranks, y_ranks = np.zeros(F, dtype=int), np.zeros(F, dtype=int)
        redo = (sx.n_kept > 0) | (sy.n_kept > 0)
    todo = np.flatnonzero(redo)
    if algorithm == "auto" and itemsize == 4 and todo.size:
        # float32 cannot whiten these frequencies through their Gram matrices, and a float32
        # SVD's rank tolerance, max(n, c_a, c_b) eps32, would drop weak directions that
        # float64 resolves (as svcca.cca, whose float32 compute hands such layers on from
        # float64): the float64 computation, handed on in float32
        wide = dft_cca(
            A, B, epsilon=epsilon, rtol=rtol if user_rtol else None, batch_size=batch_size, warn=warn
        )
        return replace(
            wide, rho=cast_to(ops, wide.rho), frequency_rho=tuple(cast_to(ops, r) for r in wide.frequency_rho)
        )
    group = max(1, _GATHER_BYTES // (16 * n * (ca + cb)))
    for g in range(0, todo.size, group):
        sel = todo[g : g + group]
        sel_idx = ops.index(sel)
        parts_a, parts_b = [], []
        for (_, _, SA), (_, _, SB) in zip(chunks(A, mx), chunks(B, my)):
            parts_a.append(SA[sel_idx])
            parts_b.append(SB[sel_idx])
        DA, DB = ops.concat(parts_a, axis=1), ops.concat(parts_b, axis=1)
        for j, f in enumerate(sel):
            wx = _whiten_frequency(ops, DA[j], sx.kept[f], fr.self_conjugate[f], epsilon, sx.rtol[f], real)
            wy = _whiten_frequency(ops, DB[j], sy.kept[f], fr.self_conjugate[f], epsilon, sy.rtol[f], real)
            x_ranks[f] = wx.rank if wx is not None else 0
            y_ranks[f] = wy.rank if wy is not None else 0
            if wx is not None and wy is not None:
                rho_f[f], how[f] = cca_from_whitened(wx, wy).rho, "svd"
            else:
                rho_f[f], how[f] = ops.zeros((0,)), "none"

    mult = fr.multiplicity
    x_rank, y_rank = int((mult * x_ranks).sum()), int((mult * y_ranks).sum())
    n_comp = min(x_rank, y_rank)
    parts = [r for f, r in enumerate(rho_f) for _ in range(int(mult[f]))]
    n_union = sum(int(r.shape[0]) for r in parts)
    parts.append(ops.zeros((n_comp - n_union,)))
    rho = ops.sort_desc(ops.concat(parts))

    if warn and F:
        worst = int(np.argmax(x_ranks + y_ranks))
        warn_sample_size(n, int(x_ranks[worst]), int(y_ranks[worst]))
    return DFTCCAResult(
        rho=rho,
        frequency_rho=tuple(rho_f),
        frequencies=fr.signed,
        multiplicity=mult,
        x_ranks=x_ranks,
        y_ranks=y_ranks,
        x_rank=x_rank,
        y_rank=y_rank,
        grid=(fr.h, fr.w),
        x_grid=(Ha, Wa),
        y_grid=(Hb, Wb),
        n_samples=n,
        epsilon=epsilon,
        frequency_algorithm=tuple(how),
    )


def _whiten_frequency(
    ops: Any, D: Any, kept: np.ndarray, real_valued: bool, epsilon: float, rtol: float, dtype: Any
) -> Whitened | None:
    """Whiten one frequency's coefficients (n, c) by the core's SVD path (None: no varying feature)."""
    if not kept.any():
        return None
    D = D[:, ops.index(np.flatnonzero(kept))]
    if real_valued:  # a self-conjugate frequency: real coefficients, a real CCA
        D = D.real
    try:
        return whiten(D, epsilon=epsilon, rtol=rtol, algorithm="svd", dtype=dtype)
    except DegenerateLayerError:
        return None


@fill_doc
@dataclass(frozen=True, eq=False)
class DFTCCAResult:
    """The result of :func:`dft_cca`: per-frequency canonical correlations and their union.

    Per-frequency arrays are numpy arrays, or torch tensors on the input's device when
    tensors were passed; frequency tables are numpy integer arrays; summaries are floats
    and mean what they mean for :class:`svcca.CCAResult`.

    Attributes
    ----------
    rho : array of shape (n_components,)
        The union of the per-frequency correlations, each frequency counted with its
        conjugate, zero-padded to ``min(x_rank, y_rank)``, descending, in [0, 1]. On a
        shift-closed dataset it equals ``svcca.cca`` of the flattened layers.
    frequency_rho : tuple of arrays
        ``frequency_rho[i]`` holds the correlations (descending) at ``frequencies[i]``.
    frequencies : int array of shape (n_frequencies, 2)
        One frequency ``(u, v)`` of each conjugate pair, as ``numpy.fft.fftfreq`` integers
        on the common grid (``-h//2 <= u < (h+1)//2``).
    multiplicity : int array of shape (n_frequencies,)
        2 for a frequency standing for itself and its conjugate, 1 for a self-conjugate one.
    x_ranks, y_ranks : int arrays of shape (n_frequencies,)
        Each layer's rank at each frequency.
    x_rank, y_rank : int
        Total ranks, counted with multiplicity (the ranks of the flattened layers on a
        shift-closed dataset).
    grid : (int, int)
        The common grid whose frequencies were compared.
    x_grid, y_grid : (int, int)
        The inputs' own grids.
    n_samples : int
    %(ridge_used)s
    frequency_algorithm : tuple of str
        The path each frequency took, ``"gram"`` or ``"svd"`` (see :func:`dft_cca`'s
        ``algorithm``); ``"none"`` where a layer has rank 0.

    Examples
    --------
    A shift-closed dataset (20 images and all 16 cyclic shifts of each) and a pointwise
    layer on top, compared on its own grid and on a subsampled one:

    >>> import numpy as np
    >>> from svcca.conv import dft_cca
    >>> rng = np.random.default_rng(0)
    >>> images = rng.standard_normal((20, 4, 4, 3))
    >>> shifts = [(dy, dx) for dy in range(4) for dx in range(4)]
    >>> A = np.concatenate([np.roll(images, shift, axis=(1, 2)) for shift in shifts])
    >>> B = np.tanh(A @ rng.standard_normal((3, 5)))
    >>> res = dft_cca(A, B)
    >>> res
    DFTCCAResult(similarity=0.9549, n_components=48, grid=(4, 4), n_frequencies=10, n_samples=320)
    >>> res.frequencies[:3].tolist(), res.multiplicity.tolist()
    ([[0, 0], [1, 0], [-2, 0]], [1, 2, 1, 2, 2, 2, 2, 1, 2, 1])
    >>> res.x_ranks.tolist() == [3] * 10, res.x_rank, res.y_rank
    (True, 48, 80)
    >>> small = dft_cca(A, B[:, ::2, ::2])
    >>> small.grid, small.x_grid, small.y_grid
    ((2, 2), (4, 4), (2, 2))
    """

    rho: Any
    frequency_rho: tuple[Any, ...]
    frequencies: np.ndarray
    multiplicity: np.ndarray
    x_ranks: np.ndarray
    y_ranks: np.ndarray
    x_rank: int
    y_rank: int
    grid: tuple[int, int]
    x_grid: tuple[int, int]
    y_grid: tuple[int, int]
    n_samples: int
    epsilon: float
    frequency_algorithm: tuple[str, ...]

    # The summaries are CCAResult's own (they read only ``rho``), so both results summarise
    # a spectrum identically.
    _rho_np: ClassVar[Any] = CCAResult._rho_np
    n_components: ClassVar[Any] = CCAResult.n_components
    mean: ClassVar[Any] = CCAResult.mean
    similarity: ClassVar[Any] = CCAResult.similarity
    yanai: ClassVar[Any] = CCAResult.yanai
    pillai: ClassVar[Any] = CCAResult.pillai
    truncated_mean: ClassVar[Any] = CCAResult.truncated_mean
    top_k_mean: ClassVar[Any] = CCAResult.top_k_mean
    summaries: ClassVar[Any] = CCAResult.summaries

    def __repr__(self) -> str:
        """Return a one-line summary: similarity, components, grid, frequencies and samples."""
        return (
            f"DFTCCAResult(similarity={self.similarity:.4f}, n_components={self.n_components}, "
            f"grid={self.grid}, n_frequencies={len(self.frequencies)}, n_samples={self.n_samples})"
        )

    def rho_at(self, u: int, v: int) -> Any:
        """Return the correlations at frequency ``(u, v)``.

        Parameters
        ----------
        u, v : int
            Frequency indices along height and width; any integers are taken modulo the
            grid, and a frequency and its conjugate ``(-u, -v)`` give the same array.

        Returns
        -------
        array or torch.Tensor
            The canonical correlations at that frequency, descending.
        """
        h, w = self.grid
        for name, value in (("u", u), ("v", v)):  # 1.7 was read as 1, "a" failed in int()
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be an int (a frequency index); got {value!r}")
        uu, vv = int(u) % h, int(v) % w
        table = self.frequencies % np.array([h, w])
        for key in ((uu, vv), ((-uu) % h, (-vv) % w)):
            hit = np.flatnonzero((table[:, 0] == key[0]) & (table[:, 1] == key[1]))
            if hit.size:
                return self.frequency_rho[int(hit[0])]
        raise KeyError(f"frequency ({u}, {v}) not found on the {h} x {w} grid")  # pragma: no cover

    @property
    def frequency_mean(self) -> np.ndarray:
        """Return the mean correlation at every frequency, shape ``grid``, in ``numpy.fft`` order.

        ``numpy.fft.fftshift`` centres the zero frequency for plotting; NaN where a layer
        has rank 0.
        """
        h, w = self.grid
        out = np.full((h, w), np.nan)
        for (u, v), r in zip(self.frequencies, self.frequency_rho):
            r = to_numpy(r)
            if r.size:
                out[u % h, v % w] = out[-u % h, -v % w] = float(r.mean())
        return out
