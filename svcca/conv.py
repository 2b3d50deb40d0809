"""Convolutional layers: make them comparable with CCA, or compare them frequency by frequency.

Conv activations have shape ``(n_samples, height, width, channels)``. A CCA of the whole
flattened layer (``height * width * channels`` neurons) needs many more samples than that
and a cubic amount of work, so the original SVCCA tutorials use three practical recipes,
each a function here:

- :func:`positions_as_samples`: every spatial position is a datapoint, the channels are the
  features: ``(n * height * width, channels)``, optionally subsampled (seeded);
- :func:`average_pool`: average over space, globally or to a coarse grid (``2 x 2``), keeping
  the grid's positions as features or as datapoints;
- :func:`resize`: bring one layer's spatial grid to another's (area, bilinear, nearest or
  Fourier interpolation; the original used ``scipy.misc.imresize``, which no longer exists).

:func:`make_comparable` chains them: two layers on different grids in, two 2-D arrays ready
for :func:`svcca.cca` out.

:func:`dft_cca` is the scalable method of Raghu et al. (2017, section 3): a 2-D DFT over
height and width and one complex CCA of the channels at every spatial frequency. On a dataset
closed under cyclic shifts, with translation-equivariant layers, the union of the
per-frequency correlations *is* the CCA of the full flattened layer, at a fraction of the cost.

numpy arrays and torch tensors are both accepted; tensors come back as tensors on the same
device. The recipes keep a floating input's dtype (integers become float64); :func:`dft_cca`
computes in float64 unless asked for float32. Channels come last: torch's conv layers give
``(n, channels, height, width)``, so pass ``x.permute(0, 2, 3, 1)``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ._backend import _np_compute_dtype, is_torch, to_numpy
from ._cca import CCAResult, Whitened, _no_varying, cca_from_whitened, whiten
from ._validation import (
    assert_finite,
    check_array,
    check_epsilon,
    check_option,
    check_pair,
    check_rng,
    shape_of,
    warn_sample_size,
)

__all__ = [
    "DFTCCAResult",
    "average_pool",
    "dft_cca",
    "make_comparable",
    "positions_as_samples",
    "resize",
]

_LAYOUT = "(n_samples, height, width, channels)"
_RESIZE_METHODS = ("auto", "area", "bilinear", "nearest", "fourier")
_POSITIONS = ("features", "samples", "grid")
# Working memory per chunk of samples in dft_cca (chunks and spectra of both layers), and for the
# spectra gathered for the exact per-frequency SVD path.
_CHUNK_BYTES = 2**28
_GATHER_BYTES = 2**28
# The Gram path of a frequency is used when the condition number of its channel correlation
# matrix stays below this, by compute itemsize: the rule of the core (svcca._cca), whose
# error in rho is about eps * cond (~2e-11 in float64).
_GRAM_LIMIT = {8: 1e5, 4: 1e2}


# --------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------
def _check_conv(x: Any, name: str, *, finite: bool = True) -> Any:
    """Check one conv activation array of shape (n, height, width, channels), real-valued.

    With ``finite=False`` the NaN/Inf test is left to the caller (``dft_cca`` finds them in
    its per-frequency sums, so a memory-mapped layer is read only once).
    """
    if is_torch(x) or isinstance(x, np.ndarray):
        shape = shape_of(x)
        hint = {
            2: " (a dense layer? use svcca.cca, or reshape it to (n_samples, 1, 1, features))",
            3: " (a single channel? add the axis with x[..., None])",
        }.get(len(shape))
        if hint:
            raise ValueError(f"{name} must be 4-D of shape {_LAYOUT}; got {name}.shape={shape}{hint}")
    return check_array(x, name, ndim=4, allow_complex=False, check_finite=finite)


def _check_conv_pair(A: Any, B: Any, *, finite: bool = True) -> tuple[Any, Any]:
    A = _check_conv(A, "A", finite=finite)
    B = _check_conv(B, "B", finite=finite)
    return check_pair(A, B, ndim=4, names=("A", "B"), allow_complex=False, check_finite=False)


def _check_size(size: Any, name: str) -> tuple[int, int]:
    """An int (square grid) or a pair of positive ints (height, width)."""
    msg = f"{name} must be a positive int or a pair of positive ints (height, width); got {size!r}"
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (size, size)
    try:
        pair = tuple(size)
    except TypeError:
        raise TypeError(msg) from None
    if len(pair) != 2 or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in pair):
        raise TypeError(msg)
    if min(pair) < 1:
        raise ValueError(msg)
    return int(pair[0]), int(pair[1])


def _check_max_rows(max_rows: Any) -> int | None:
    if max_rows is None:
        return None
    if isinstance(max_rows, bool) or not isinstance(max_rows, numbers.Integral):
        raise TypeError(f"max_rows must be None or a positive int; got {max_rows!r}")
    if max_rows < 1:
        raise ValueError(f"max_rows must be >= 1; got {max_rows}")
    return int(max_rows)


def _as_float(x: Any) -> Any:
    """Keep a floating dtype; integers and booleans become float64."""
    if is_torch(x):
        import torch

        return x if x.is_floating_point() else x.to(torch.float64)
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


# --------------------------------------------------------------------------------------
# recipe (a): every position a datapoint
# --------------------------------------------------------------------------------------
def _draw_rows(total: int, max_rows: int | None, rng: Any) -> np.ndarray | None:
    """Sorted row indices to keep (None: keep all rows)."""
    if max_rows is None or max_rows >= total:
        return None
    gen = check_rng(rng)
    return np.sort(gen.choice(total, size=max_rows, replace=False))


def _take_rows(X: Any, rows: np.ndarray | None) -> Any:
    if rows is None:
        return X
    if is_torch(X):
        import torch

        return X[torch.as_tensor(rows, device=X.device)]
    return X[rows]


def positions_as_samples(A: Any, *, max_rows: int | None = None, rng: Any = None) -> Any:
    """Treat every spatial position as a datapoint: ``(n, h, w, c) -> (n * h * w, c)``.

    The channels are the features and each (image, position) pair is a row, so a layer
    with few channels gets many datapoints: the recipe of the original tutorials for
    comparing conv layers with CCA. Both layers must then be on the same grid (see
    :func:`resize` and :func:`make_comparable`) so that rows correspond.

    Parameters
    ----------
    A : array-like or torch.Tensor of shape (n_samples, height, width, channels)
        Conv activations, samples first.
    max_rows : int, optional
        Keep at most this many rows, drawn uniformly without replacement and kept in their
        original order. Default: keep all ``n * height * width`` rows.
    rng : None, int or numpy.random.Generator
        Seed of the subsampling. The rows depend only on ``rng`` and the number of rows, so
        two layers on the same grid subsampled with the same integer seed keep the same rows.

    Returns
    -------
    array or torch.Tensor of shape (n_rows, channels)
        Row ``i * h * w + y * w + x`` holds ``A[i, y, x, :]`` (before subsampling). The
        dtype of a floating input is kept; a tensor stays on its device.

    Raises
    ------
    ValueError
        For input that is not 4-D, empty or not finite, or ``max_rows < 1``.

    Notes
    -----
    Rows from the same image and neighbouring positions are not independent, so the
    number of rows overstates the effective sample size; subsampling positions reduces
    the cost and this redundancy (Raghu et al. 2017; the SVCCA tutorials).

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.conv import positions_as_samples
    >>> A = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    >>> positions_as_samples(A).shape
    (24, 5)
    >>> X = positions_as_samples(A, max_rows=10, rng=0)
    >>> X.shape
    (10, 5)
    >>> bool((X == positions_as_samples(A, max_rows=10, rng=0)).all())   # same seed, same rows
    True
    """
    A = _check_conv(A, "A")
    max_rows = _check_max_rows(max_rows)
    n, h, w, c = shape_of(A)
    X = A.reshape(n * h * w, c)
    return _take_rows(X, _draw_rows(n * h * w, max_rows, rng))


# --------------------------------------------------------------------------------------
# separable resampling matrices (one small matrix per spatial axis)
# --------------------------------------------------------------------------------------
def _axis_matrix(n_in: int, n_out: int, method: str) -> np.ndarray:
    """The linear map ``(n_out, n_in)`` that resamples one spatial axis."""
    if n_in == n_out:
        return np.eye(n_in)
    if method == "auto":
        method = "area" if n_out < n_in else "bilinear"
    M = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if method == "area":
        # adaptive average pooling: output cell i averages the input cells
        # [floor(i * n_in / n_out), ceil((i + 1) * n_in / n_out))
        for i in range(n_out):
            start = (i * n_in) // n_out
            stop = -((-(i + 1) * n_in) // n_out)
            M[i, start:stop] = 1.0 / (stop - start)
    elif method == "nearest":
        # cell centres matched (half-pixel convention): source floor((i + 1/2) * n_in / n_out)
        src = np.minimum(((2 * rows + 1) * n_in) // (2 * n_out), n_in - 1)
        M[rows, src] = 1.0
    elif method == "bilinear":
        # half-pixel centres (align_corners=False), edges clamped
        src = np.maximum((rows + 0.5) * (n_in / n_out) - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        frac = src - i0
        np.add.at(M, (rows, i0), 1.0 - frac)
        np.add.at(M, (rows, i1), frac)
    else:  # "fourier": band-limited periodic resampling of each column of the identity
        M = _fourier_matrix(n_in, n_out)
    return M


def _fourier_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Periodic band-limited resampling (the spectrum cropped or zero-padded).

    Frequencies common to both grids are kept; at an even Nyquist frequency the two bins
    +-N/2 of the finer grid are summed when shrinking and the single bin is split in half
    when growing, so real signals stay real (the convention of ``scipy.signal.resample``).
    """
    X = np.fft.fft(np.eye(n_in), axis=0)
    Y = np.zeros((n_out, n_in), dtype=complex)
    N = min(n_in, n_out)
    for f in range(-((N - 1) // 2), (N - 1) // 2 + 1):  # frequencies strictly below Nyquist
        Y[f % n_out] = X[f % n_in]
    if N % 2 == 0:
        nyq = N // 2
        if n_out < n_in:
            Y[nyq] = X[nyq] + X[-nyq % n_in]
        else:
            Y[nyq] = 0.5 * X[nyq]
            Y[-nyq % n_out] = 0.5 * X[nyq]
    return np.fft.ifft(Y, axis=0).real * (n_out / n_in)


def _apply_axis_matrices(A: Any, Mh: np.ndarray, Mw: np.ndarray) -> Any:
    """``out[n, i, j, c] = sum_{y, x} Mh[i, y] Mw[j, x] A[n, y, x, c]`` as two matmuls."""
    n, H, W, c = shape_of(A)
    h, w = Mh.shape[0], Mw.shape[0]

    def like_A(M: np.ndarray) -> Any:
        if is_torch(A):
            import torch

            return torch.as_tensor(M, dtype=A.dtype, device=A.device)
        return M.astype(A.dtype, copy=False)

    out = A
    if h != H:
        out = (like_A(Mh) @ out.reshape(n, H, W * c)).reshape(n, h, W, c)
    if w != W:
        out = (like_A(Mw) @ out.reshape(n * h, W, c)).reshape(n, h, w, c)
    return out


# --------------------------------------------------------------------------------------
# recipe (b): average pooling
# --------------------------------------------------------------------------------------
def average_pool(A: Any, output_size: Any = None, *, positions: str = "features") -> Any:
    """Average conv activations over space, globally or down to a coarse grid.

    Parameters
    ----------
    A : array-like or torch.Tensor of shape (n_samples, height, width, channels)
        Conv activations, samples first.
    output_size : None, int or (int, int), default None
        ``None``: global average pooling (one value per channel). Otherwise the pooled grid
        ``(out_height, out_width)`` (an int means a square grid); cells are the bins of
        adaptive average pooling, ``[floor(i * H / h), ceil((i + 1) * H / h))`` along each
        axis, so uneven sizes work and ``output_size`` larger than the grid replicates cells.
    positions : {"features", "samples", "grid"}, default "features"
        What to do with the pooled grid's positions: ``"features"`` flattens them into the
        features, ``(n, h * w * c)``; ``"samples"`` makes each position a datapoint,
        ``(n * h * w, c)``; ``"grid"`` keeps ``(n, h, w, c)``.

    Returns
    -------
    array or torch.Tensor
        ``(n, c)`` for global pooling with ``"features"`` or ``"samples"``; otherwise as
        described under ``positions``. A floating dtype is kept; tensors stay on their device.

    Raises
    ------
    ValueError
        For input that is not 4-D, empty or not finite, a bad ``output_size`` or an unknown
        ``positions``.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.conv import average_pool
    >>> A = np.random.default_rng(0).standard_normal((10, 8, 8, 16))
    >>> average_pool(A).shape
    (10, 16)
    >>> bool(np.allclose(average_pool(A), A.mean(axis=(1, 2))))
    True
    >>> average_pool(A, 2).shape, average_pool(A, 2, positions="samples").shape
    ((10, 64), (40, 16))
    """
    A = _check_conv(A, "A")
    check_option(positions, "positions", _POSITIONS)
    A = _as_float(A)
    n, H, W, c = shape_of(A)
    if output_size is None:
        pooled = A.mean(axis=(1, 2)) if not is_torch(A) else A.mean(dim=(1, 2))
        return pooled.reshape(n, 1, 1, c) if positions == "grid" else pooled
    h, w = _check_size(output_size, "output_size")
    out = _apply_axis_matrices(A, _axis_matrix(H, h, "area"), _axis_matrix(W, w, "area"))
    return _arrange_positions(out, positions)


def _arrange_positions(A: Any, positions: str) -> Any:
    n, h, w, c = shape_of(A)
    if positions == "features":
        return A.reshape(n, h * w * c)
    if positions == "samples":
        return A.reshape(n * h * w, c)
    return A


# --------------------------------------------------------------------------------------
# recipe (c): resizing a spatial grid
# --------------------------------------------------------------------------------------
def resize(A: Any, size: Any, *, method: str = "auto") -> Any:
    """Resample conv activations to another spatial grid, channel by channel.

    Parameters
    ----------
    A : array-like or torch.Tensor of shape (n_samples, height, width, channels)
        Conv activations, samples first.
    size : int or (int, int)
        The new grid ``(height, width)``; an int means a square grid.
    method : {"auto", "area", "bilinear", "nearest", "fourier"}, default "auto"
        Interpolation along each axis, with cell centres matched (half-pixel convention):

        - ``"area"``: each new cell averages the old cells it covers (adaptive average
          pooling); the choice for shrinking, as it does not alias;
        - ``"bilinear"``: linear interpolation between the two nearest cell centres, edges
          clamped (``torch.nn.functional.interpolate(..., align_corners=False)``, no antialias);
        - ``"nearest"``: the nearest cell centre (torch's ``"nearest-exact"``);
        - ``"fourier"``: periodic band-limited resampling: the spatial spectrum is cropped
          or zero-padded (``scipy.signal.resample`` along each axis). It keeps exactly the
          frequencies :func:`dft_cca` compares when grids differ;
        - ``"auto"``: ``"area"`` along an axis that shrinks and ``"bilinear"`` along one
          that grows.

    Returns
    -------
    array or torch.Tensor of shape (n_samples, size[0], size[1], channels)
        A floating dtype is kept (integers become float64); tensors stay on their device.
        With ``size`` equal to the current grid, ``A`` is returned unchanged.

    Raises
    ------
    ValueError
        For input that is not 4-D, empty or not finite, a bad ``size`` or an unknown ``method``.

    Notes
    -----
    Each method is a linear map along each axis, ``out = M_h A M_w^T`` per sample and
    channel, so numpy and torch give the same numbers and a layer's mean over space is
    preserved by ``"area"`` and ``"fourier"`` (the ``(0, 0)`` frequency is kept). The
    original tutorials used ``scipy.misc.imresize``, removed from SciPy in 1.3.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.conv import resize
    >>> A = np.random.default_rng(0).standard_normal((4, 8, 8, 3))
    >>> resize(A, 4).shape, resize(A, (16, 12), method="bilinear").shape
    ((4, 4, 4, 3), (4, 16, 12, 3))
    >>> bool(np.allclose(resize(A, 4, method="area"), A.reshape(4, 4, 2, 4, 2, 3).mean(axis=(2, 4))))
    True
    """
    A = _check_conv(A, "A")
    check_option(method, "method", _RESIZE_METHODS)
    h, w = _check_size(size, "size")
    A = _as_float(A)
    _, H, W, _ = shape_of(A)
    if (h, w) == (H, W):
        return A
    return _apply_axis_matrices(A, _axis_matrix(H, h, method), _axis_matrix(W, w, method))


def make_comparable(
    A: Any,
    B: Any,
    *,
    grid: Any = "smaller",
    method: str = "auto",
    positions: str = "samples",
    max_rows: int | None = None,
    rng: Any = None,
) -> tuple[Any, Any]:
    """Bring two conv layers to one spatial grid and return 2-D arrays for :func:`svcca.cca`.

    Parameters
    ----------
    A : array-like or torch.Tensor of shape (n_samples, height_a, width_a, channels_a)
    B : array-like or torch.Tensor of shape (n_samples, height_b, width_b, channels_b)
        Conv activations of two layers over the same samples; grids and channel counts may
        differ.
    grid : {"smaller", "larger"} or (int, int), default "smaller"
        The common grid: the smaller (or larger) of the two sizes along each axis, or an
        explicit ``(height, width)``. ``"smaller"`` invents no positions.
    method : {"auto", "area", "bilinear", "nearest", "fourier"}, default "auto"
        How a layer is resized to the common grid (see :func:`resize`).
    positions : {"samples", "features", "pool"}, default "samples"
        ``"samples"``: every position of the common grid is a datapoint, giving
        ``(n * h * w, c_a)`` and ``(n * h * w, c_b)`` with matching rows;
        ``"features"``: positions become features, ``(n, h * w * c)``;
        ``"pool"``: global average pooling, ``(n, c)`` (no resizing is needed).
    max_rows : int, optional
        With ``positions="samples"``, keep at most this many rows, the same rows for both
        layers, drawn with ``rng``.
    rng : None, int or numpy.random.Generator
        Seed of the row subsampling.

    Returns
    -------
    X, Y : arrays or torch.Tensors, 2-D, with the same number of rows

    Raises
    ------
    ValueError
        For input that is not 4-D, different sample counts, or an unknown option.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> from svcca.conv import make_comparable
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((50, 8, 8, 4))
    >>> B = rng.standard_normal((50, 4, 4, 6))
    >>> X, Y = make_comparable(A, B)                    # A is averaged down to 4 x 4
    >>> X.shape, Y.shape
    ((800, 4), (800, 6))
    >>> X, Y = make_comparable(A, B, max_rows=300, rng=0)
    >>> X.shape, Y.shape
    ((300, 4), (300, 6))
    >>> round(svcca.cca(*make_comparable(A, A)).similarity, 6)
    1.0
    """
    A, B = _check_conv_pair(A, B)
    check_option(positions, "positions", ("samples", "features", "pool"))
    check_option(method, "method", _RESIZE_METHODS)
    max_rows = _check_max_rows(max_rows)
    if positions == "pool":
        return average_pool(A), average_pool(B)
    _, Ha, Wa, _ = shape_of(A)
    _, Hb, Wb, _ = shape_of(B)
    if isinstance(grid, str):
        check_option(grid, "grid", ("smaller", "larger"))
        pick = min if grid == "smaller" else max
        size = (pick(Ha, Hb), pick(Wa, Wb))
    else:
        size = _check_size(grid, "grid")
    X = resize(A, size, method=method)
    Y = resize(B, size, method=method)
    if positions == "features":
        return _arrange_positions(X, "features"), _arrange_positions(Y, "features")
    n, h, w = shape_of(X)[:3]
    rows = _draw_rows(n * h * w, max_rows, rng)
    return _take_rows(_arrange_positions(X, "samples"), rows), _take_rows(
        _arrange_positions(Y, "samples"), rows
    )


# --------------------------------------------------------------------------------------
# DFT CCA
# --------------------------------------------------------------------------------------
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


class _Numpy:
    """The few array operations dft_cca needs, on numpy arrays."""

    torch = False

    def __init__(self, real: Any) -> None:
        self.real: Any = np.dtype(real)
        self.complex: Any = np.dtype(np.complex64 if self.real == np.float32 else np.complex128)
        self.eps = float(np.finfo(self.real).eps)

    def chunk(self, x: Any, start: int, stop: int) -> np.ndarray:
        return np.asarray(x[start:stop]).astype(self.real, copy=False)

    def all_finite(self, x: np.ndarray) -> bool:
        return bool(np.isfinite(x).all())

    def rfft(self, x: np.ndarray, axis: int) -> np.ndarray:
        import scipy.fft

        return scipy.fft.rfft(x, axis=axis, norm="ortho")

    def fft(self, x: np.ndarray, axis: int) -> np.ndarray:
        import scipy.fft

        return scipy.fft.fft(x, axis=axis, norm="ortho", overwrite_x=True)

    def index(self, idx: np.ndarray) -> np.ndarray:
        return idx

    def to_fmc(self, X: np.ndarray, row: np.ndarray, col: np.ndarray) -> np.ndarray:
        """(b, h, w', c) spectrum -> (n_freq, b, c) at the chosen frequencies."""
        return np.ascontiguousarray(X.transpose(1, 2, 0, 3)[row, col])

    def zeros(self, shape: tuple[int, ...], complex_: bool = True) -> np.ndarray:
        return np.zeros(shape, dtype=self.complex if complex_ else self.real)

    def ct(self, a: np.ndarray) -> np.ndarray:
        return np.swapaxes(a.conj(), -1, -2)

    def tr(self, a: np.ndarray) -> np.ndarray:
        return np.swapaxes(a, -1, -2)

    def real_view(self, a: np.ndarray) -> np.ndarray:
        """(..., c) complex, C-contiguous -> (..., 2c) real, interleaved (re, im), no copy."""
        return a.view(self.real)

    def eigh(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.linalg.eigh(a)

    def svdvals(self, a: np.ndarray) -> np.ndarray:
        return np.linalg.svd(a, compute_uv=False)

    def diag(self, a: np.ndarray) -> np.ndarray:
        return np.diagonal(a, axis1=-2, axis2=-1).real

    def from_numpy(self, a: np.ndarray) -> np.ndarray:
        return a

    def to_numpy(self, a: Any) -> np.ndarray:
        return np.asarray(a)

    def concat(self, parts: list[Any], axis: int = 0) -> np.ndarray:
        return np.concatenate(parts, axis=axis)

    def sort_desc(self, a: np.ndarray) -> np.ndarray:
        return np.sort(a)[::-1].copy()


class _Torch(_Numpy):
    """The same operations on torch tensors, on the input's device."""

    torch = True

    def __init__(self, real: Any, device: Any) -> None:
        import torch

        self.t = torch
        self.device = device
        self.real = torch.float32 if np.dtype(real) == np.float32 else torch.float64
        self.complex = torch.complex64 if self.real == torch.float32 else torch.complex128
        self.eps = float(torch.finfo(self.real).eps)

    def chunk(self, x: Any, start: int, stop: int) -> Any:
        part = x[start:stop]
        if not is_torch(part):
            part = self.t.as_tensor(np.asarray(part))
        return part.to(device=self.device, dtype=self.real)

    def all_finite(self, x: Any) -> bool:
        return bool(self.t.isfinite(x).all())

    def rfft(self, x: Any, axis: int) -> Any:
        return self.t.fft.rfft(x, dim=axis, norm="ortho")

    def fft(self, x: Any, axis: int) -> Any:
        return self.t.fft.fft(x, dim=axis, norm="ortho")

    def index(self, idx: np.ndarray) -> Any:
        return self.t.as_tensor(idx, device=self.device)

    def to_fmc(self, X: Any, row: Any, col: Any) -> Any:
        return X.permute(1, 2, 0, 3)[row, col].contiguous()

    def zeros(self, shape: tuple[int, ...], complex_: bool = True) -> Any:
        return self.t.zeros(shape, dtype=self.complex if complex_ else self.real, device=self.device)

    def ct(self, a: Any) -> Any:
        return a.mH

    def tr(self, a: Any) -> Any:
        return a.mT

    def real_view(self, a: Any) -> Any:
        return self.t.view_as_real(a).reshape(*a.shape[:-1], 2 * a.shape[-1])

    def eigh(self, a: Any) -> tuple[Any, Any]:
        return self.t.linalg.eigh(a)

    def svdvals(self, a: Any) -> Any:
        return self.t.linalg.svdvals(a)

    def diag(self, a: Any) -> Any:
        return self.t.diagonal(a, dim1=-2, dim2=-1).real

    def from_numpy(self, a: np.ndarray) -> Any:
        return self.t.as_tensor(np.ascontiguousarray(a), device=self.device)

    def to_numpy(self, a: Any) -> np.ndarray:
        return a.detach().cpu().numpy() if is_torch(a) else np.asarray(a)

    def concat(self, parts: list[Any], axis: int = 0) -> Any:
        return self.t.cat(parts, dim=axis)

    def sort_desc(self, a: Any) -> Any:
        return self.t.sort(a, descending=True).values


def _spectrum(bk: Any, x: Any, fr: _Frequencies, row: Any, col: Any) -> Any:
    """Unitary 2-D DFT of a real chunk ``(b, H, W, c)``, low-passed to the ``(h, w)`` grid.

    Returns the ``(n_freq, b, c)`` coefficients at one frequency of each conjugate pair.
    Cropping keeps the frequencies common to both grids; at an even Nyquist frequency of
    the smaller grid the two bins +-N/2 of the larger one are summed, so the result is the
    DFT of the layer Fourier-resampled to the smaller grid (up to a scale per frequency,
    which CCA ignores).
    """
    _, H, W, _ = x.shape
    h, w = fr.h, fr.w
    X = bk.rfft(x, 2)[:, :, : w // 2 + 1]
    if w < W and w % 2 == 0:
        # bins +w/2 and -w/2 of a real row are conjugate: their sum is twice the real part
        nyq = X[:, :, w // 2]
        X[:, :, w // 2] = 2 * nyq.real
    X = bk.fft(X, 1)
    if h < H:
        keep = bk.index(np.rint(np.fft.fftfreq(h) * h).astype(int) % H)
        cropped = X[:, keep]
        if h % 2 == 0:
            cropped[:, h // 2] = X[:, h // 2] + X[:, H - h // 2]
        X = cropped
    S = bk.to_fmc(X, row, col)
    if fr.self_conjugate.any():
        sc = bk.index(np.flatnonzero(fr.self_conjugate))
        S[sc] = S[sc].real.to(S.dtype) if bk.torch else S[sc].real
    return S


@dataclass
class _Moments:
    """Per-frequency sums for one layer, accumulated chunk by chunk. The coefficients are
    shifted by the first chunk's mean, so centring inside the Gram matrix loses no precision."""

    shift: Any = None  # (F, c)
    total: Any = None  # (F, c) sum of shifted coefficients
    sq: Any = None  # (F, c) sum of |shifted|^2 (from the Gram diagonal when there is one)
    gram: Any = None  # (F, c, c) sum of T^H T, or None
    energy: Any = None  # (c,) sum of squares of the raw spatial activations


def _accumulate(bk: Any, m: _Moments, x: Any, S: Any, grams: bool) -> Any:
    """Add one chunk: ``x`` (b, H, W, c) raw, ``S`` (F, b, c) its coefficients (shifted in
    place). Returns the real view ``P`` (F, b, 2c) of ``S`` for the cross Gram (None without
    Grams)."""
    F, _, c = S.shape
    if m.shift is None:
        m.shift = S.mean(1) if not bk.torch else S.mean(dim=1)
        m.total = bk.zeros((F, c))
        m.energy = bk.zeros((c,), complex_=False)
        if grams:
            m.gram = bk.zeros((F, 2 * c, 2 * c), complex_=False)
        else:
            m.sq = bk.zeros((F, c), complex_=False)
    S -= m.shift[:, None, :]
    m.total += S.sum(1)
    flat = x.reshape(-1, c)
    m.energy += (flat * flat).sum(0)
    if not grams:
        m.sq += (S.real**2 + S.imag**2).sum(1)
        return None
    P = bk.real_view(S)
    m.gram += bk.tr(P) @ P
    return P


def _complex_gram(G: Any, p: int, q: int) -> Any:
    """``T_x^H T_y`` (F, p, q) from the real product ``P_x^T P_y`` (F, 2p, 2q) of the
    interleaved (re, im) views: ``conj(x) y = (x_r y_r + x_i y_i) + i (x_r y_i - x_i y_r)``."""
    G4 = G.reshape(G.shape[0], p, 2, q, 2)
    return (G4[:, :, 0, :, 0] + G4[:, :, 1, :, 1]) + 1j * (G4[:, :, 0, :, 1] - G4[:, :, 1, :, 0])


@dataclass
class _Side:
    """One layer's per-frequency whitening (batched over frequencies)."""

    kept: np.ndarray  # (F, c) bool, features above the noise floor
    n_kept: np.ndarray  # (F,)
    scale: Any = None  # (F, c) 1 / centred column norm (0 for dropped)
    W: Any = None  # (F, c, c) whitening map on rescaled features (masked columns 0)
    rank: np.ndarray | None = None  # (F,)
    accurate: np.ndarray | None = None  # (F,) Gram path accurate enough


def _side(
    bk: Any, m: _Moments, n: int, grid_size: int, eps: float, epsilon: float, rtol: float, itemsize: int
) -> _Side:
    mean = m.total / n  # mean of the shifted data
    gram = _complex_gram(m.gram, m.total.shape[1], m.total.shape[1]) if m.gram is not None else None
    raw_sq = bk.diag(gram) if gram is not None else m.sq
    sq = bk.to_numpy(raw_sq) - n * np.abs(bk.to_numpy(mean)) ** 2
    norms = np.sqrt(np.clip(sq, 0.0, None))
    # Noise floor: DFT and centring rounding leave about eps * log2(size) of a channel's
    # total (uncentred) energy in every coefficient; a coefficient below it is constant.
    energy = np.sqrt(bk.to_numpy(m.energy))
    floor = 8.0 * eps * max(1.0, math.log2(n * grid_size)) * energy
    kept = (norms > floor[None, :]) & (norms > 0)
    side = _Side(kept=kept, n_kept=kept.sum(1))
    if gram is None:
        return side
    scale = np.where(kept, 1.0 / np.where(kept, norms, 1.0), 0.0)
    side.scale = bk.from_numpy(scale.astype(np.float32 if itemsize == 4 else np.float64))
    C = gram - n * (mean.conj()[:, :, None] * mean[:, None, :])
    R = side.scale[:, :, None] * C * side.scale[:, None, :]
    lam, V = bk.eigh(R)
    lam_np = bk.to_numpy(lam)
    F, c = lam_np.shape
    n_drop = c - side.n_kept
    lam_max = lam_np[:, -1]
    lam_min = lam_np[np.arange(F), np.minimum(n_drop, c - 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (lam_min + epsilon) / (lam_max + epsilon)
    side.accurate = (side.n_kept > 0) & (ratio * _GRAM_LIMIT[itemsize] >= 1.0)
    # dropped features hold the n_drop smallest (zero) eigenvalues; the rank tolerance is the core's
    mask = (np.arange(c)[None, :] >= n_drop[:, None]) & (lam_np > rtol * rtol * lam_max[:, None])
    side.rank = mask.sum(1)
    inv = np.where(mask, 1.0 / np.sqrt(np.where(mask, lam_np + epsilon, 1.0)), 0.0)
    side.W = V * bk.from_numpy(inv.astype(np.float32 if itemsize == 4 else np.float64))[:, None, :]
    return side


def dft_cca(
    A: Any,
    B: Any,
    *,
    epsilon: float = 0.0,
    rtol: float | None = None,
    method: str = "auto",
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
        ``max(n_samples, channels) * eps`` of the input's precision.
    method : {"auto", "gram", "svd"}, default "auto"
        ``"gram"``: every frequency from its accumulated channel covariance, whitened by an
        eigendecomposition batched over frequencies (fast; memory independent of
        ``n_samples``). ``"svd"``: every frequency from its coefficients, whitened by the SVD
        path of :func:`svcca.cca` (exact for any rank and conditioning; the coefficients are
        gathered a group of frequencies at a time, ``n_samples * channels`` each, which costs
        a pass over the data per group). ``"auto"``: the Gram path, and the SVD path for the
        frequencies whose channel correlation matrix has a condition number above ``1e5``
        (float64; ``1e2`` in float32), the limit :func:`svcca.cca` uses.
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
        fewer than 2 samples, or an unknown ``method``, ``dtype`` or ``batch_size``.
    TypeError
        For input that cannot be read as a numeric array.

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
    resized with ``resize(..., method="fourier")`` (``scipy.signal.resample``). The original
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
    check_option(method, "method", ("auto", "gram", "svd"))
    epsilon = check_epsilon(epsilon)
    if rtol is not None and not (isinstance(rtol, numbers.Real) and 0.0 <= float(rtol) < 1.0):
        raise ValueError(f"rtol must be None or a number in [0, 1); got {rtol!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be None or a positive int; got {batch_size!r}")
    A, B = _check_conv_pair(A, B, finite=False)
    n, Ha, Wa, ca = shape_of(A)
    _, Hb, Wb, cb = shape_of(B)
    if n < 2:
        raise ValueError(f"CCA needs at least 2 samples; got A.shape={shape_of(A)}, B.shape={shape_of(B)}")
    real = _np_compute_dtype(dtype) or np.dtype(np.float64)
    if is_torch(A) or is_torch(B):
        bk: Any = _Torch(real, (A if is_torch(A) else B).device)
    else:
        bk = _Numpy(real)
    itemsize = 4 if real == np.float32 else 8
    eps = max(bk.eps, _input_eps(A), _input_eps(B))
    if rtol is None:
        rtol = max(n, ca, cb) * eps

    fr = _frequencies(min(Ha, Hb), min(Wa, Wb))
    F = len(fr.row)
    row, col = bk.index(fr.row), bk.index(fr.col)
    if batch_size is None:
        # bytes per sample: both raw chunks, FFT temporaries of the larger layer, both spectra
        fft_tmp = 2 * 16 * max(Ha * (Wa // 2 + 1) * ca, Hb * (Wb // 2 + 1) * cb)
        per_sample = 8 * (Ha * Wa * ca + Hb * Wb * cb) + fft_tmp + 16 * F * (ca + cb)
        batch_size = max(1, _CHUNK_BYTES // per_sample)

    def chunks(X: Any) -> Any:
        for start in range(0, n, batch_size):
            x = bk.chunk(X, start, min(n, start + batch_size))
            yield x, _spectrum(bk, x, fr, row, col)

    # pass 1: per-frequency moments (and Gram matrices unless every frequency takes the SVD path)
    grams = method != "svd"
    mx, my = _Moments(), _Moments()
    gxy: Any = None
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite input is reported below
        for (a, SA), (b, SB) in zip(chunks(A), chunks(B)):
            PA = _accumulate(bk, mx, a, SA, grams)
            PB = _accumulate(bk, my, b, SB, grams)
            if grams:
                if gxy is None:
                    gxy = bk.zeros((F, 2 * ca, 2 * cb), complex_=False)
                gxy += bk.tr(PA) @ PB
            del a, SA, PA, b, SB, PB
    # NaN or Inf anywhere in the input reaches the sums: checked once here, not per element
    for m, name, X in ((mx, "A", A), (my, "B", B)):
        if not (bk.all_finite(m.total) and bk.all_finite(m.energy)):
            assert_finite(X, name)  # raises for NaN/Inf; otherwise the squares overflowed
            raise ValueError(
                f"{name} is too large to square in the compute precision (overflow, {name}.shape="
                f"{shape_of(X)}); rescale the layer (CCA does not depend on its scale)"
            )
    sx = _side(bk, mx, n, Ha * Wa, eps, epsilon, rtol, itemsize)
    sy = _side(bk, my, n, Hb * Wb, eps, epsilon, rtol, itemsize)
    for side, name, (h, w, c) in ((sx, "A", (Ha, Wa, ca)), (sy, "B", (Hb, Wb, cb))):
        if not bool((np.asarray(side.n_kept) > 0).any()):  # a dead layer: as svcca.cca says
            _no_varying(name, h * w * c, n)

    both = (sx.n_kept > 0) & (sy.n_kept > 0)
    rho_f: list[Any] = [bk.zeros((0,), complex_=False) for _ in range(F)]
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
        M = bk.ct(sx.W) @ (sx.scale[:, :, None] * Cxy * sy.scale[:, None, :]) @ sy.W
        s = bk.svdvals(M)
        s = s.clamp(0.0, 1.0) if bk.torch else np.clip(s, 0.0, 1.0)
        for f in np.flatnonzero(both):
            rho_f[f], how[f] = s[f, : min(x_ranks[f], y_ranks[f])], "gram"
        if method == "auto":
            redo = ((sx.n_kept > 0) & ~sx.accurate) | ((sy.n_kept > 0) & ~sy.accurate)
        else:
            redo = np.zeros(F, dtype=bool)
    else:
        x_ranks, y_ranks = np.zeros(F, dtype=int), np.zeros(F, dtype=int)
        redo = (sx.n_kept > 0) | (sy.n_kept > 0)
    todo = np.flatnonzero(redo)
    group = max(1, _GATHER_BYTES // (16 * n * (ca + cb)))
    for g in range(0, todo.size, group):
        sel = todo[g : g + group]
        sel_idx = bk.index(sel)
        parts_a, parts_b = [], []
        for (_, SA), (_, SB) in zip(chunks(A), chunks(B)):
            parts_a.append(SA[sel_idx])
            parts_b.append(SB[sel_idx])
        DA, DB = bk.concat(parts_a, axis=1), bk.concat(parts_b, axis=1)
        for j, f in enumerate(sel):
            wx = _whiten_frequency(bk, DA[j], sx.kept[f], fr.self_conjugate[f], epsilon, rtol, real)
            wy = _whiten_frequency(bk, DB[j], sy.kept[f], fr.self_conjugate[f], epsilon, rtol, real)
            x_ranks[f] = wx.rank if wx is not None else 0
            y_ranks[f] = wy.rank if wy is not None else 0
            if wx is not None and wy is not None:
                rho_f[f], how[f] = cca_from_whitened(wx, wy).rho, "svd"
            else:
                rho_f[f], how[f] = bk.zeros((0,), complex_=False), "none"

    mult = fr.multiplicity
    x_rank, y_rank = int((mult * x_ranks).sum()), int((mult * y_ranks).sum())
    n_comp = min(x_rank, y_rank)
    parts = [r for f, r in enumerate(rho_f) for _ in range(int(mult[f]))]
    n_union = sum(int(r.shape[0]) for r in parts)
    parts.append(bk.zeros((n_comp - n_union,), complex_=False))
    rho = bk.sort_desc(bk.concat(parts))

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
        frequency_method=tuple(how),
    )


def _whiten_frequency(
    bk: Any, D: Any, kept: np.ndarray, real_valued: bool, epsilon: float, rtol: float, dtype: Any
) -> Whitened | None:
    """Whiten one frequency's coefficients (n, c) by the core's SVD path (None: no varying
    feature)."""
    if not kept.any():
        return None
    D = D[:, bk.index(np.flatnonzero(kept))]
    if real_valued:  # a self-conjugate frequency: real coefficients, a real CCA
        D = D.real
    try:
        return whiten(D, epsilon=epsilon, rtol=rtol, algorithm="svd", dtype=dtype)
    except ValueError as exc:
        if "no varying feature" in str(exc):
            return None
        raise


def _input_eps(x: Any) -> float:
    """Machine epsilon of the input's own floating precision (0 for integers)."""
    if is_torch(x):
        return float(__import__("torch").finfo(x.dtype).eps) if x.is_floating_point() else 0.0
    dt = np.asarray(x).dtype
    return float(np.finfo(dt).eps) if dt.kind == "f" else 0.0


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
        The common grid whose frequencies were compared; ``x_grid``, ``y_grid`` the inputs'.
    n_samples : int
    epsilon : float
        The ridge that was used.
    frequency_method : tuple of str
        The path each frequency took, ``"gram"`` or ``"svd"`` (see :func:`dft_cca`'s
        ``method``); ``"none"`` where a layer has rank 0.
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
    frequency_method: tuple[str, ...]

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
        return (
            f"DFTCCAResult(similarity={self.similarity:.4f}, n_components={self.n_components}, "
            f"grid={self.grid}, n_frequencies={len(self.frequencies)}, n_samples={self.n_samples})"
        )

    def rho_at(self, u: int, v: int) -> Any:
        """The correlations at frequency ``(u, v)`` (any integers, taken modulo the grid;
        a frequency and its conjugate ``(-u, -v)`` give the same array)."""
        h, w = self.grid
        uu, vv = int(u) % h, int(v) % w
        table = self.frequencies % np.array([h, w])
        for key in ((uu, vv), ((-uu) % h, (-vv) % w)):
            hit = np.flatnonzero((table[:, 0] == key[0]) & (table[:, 1] == key[1]))
            if hit.size:
                return self.frequency_rho[int(hit[0])]
        raise KeyError(f"frequency ({u}, {v}) not found on the {h} x {w} grid")  # pragma: no cover

    @property
    def frequency_mean(self) -> np.ndarray:
        """Mean correlation at every frequency, shape ``grid``, in ``numpy.fft`` order
        (``numpy.fft.fftshift`` centres the zero frequency for plotting); NaN where a layer
        has rank 0."""
        h, w = self.grid
        out = np.full((h, w), np.nan)
        for (u, v), r in zip(self.frequencies, self.frequency_rho):
            r = to_numpy(r)
            if r.size:
                out[u % h, v % w] = out[-u % h, -v % w] = float(r.mean())
        return out
