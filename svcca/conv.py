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
per-frequency correlations *is* the CCA of the full flattened layer, at a fraction of the cost
(it lives in :mod:`svcca.dft` and is re-exported here).

numpy arrays and torch tensors are both accepted; tensors come back as tensors on the same
device. The recipes keep a floating input's dtype (integers become float64); :func:`dft_cca`
computes in float64 unless asked for float32. Channels come last: torch's conv layers give
``(n, channels, height, width)``, so pass ``x.permute(0, 2, 3, 1)``; a square layer that
arrives channels first (``(n, c, h, h)`` with ``c != h``) gets a :class:`svcca.LayoutWarning`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ._backend import get_ops, is_torch
from ._cca import pow2_factors
from ._validation import check_conv, check_conv_pair, check_option, check_rng, shape_of
from .dft import DFTCCAResult, dft_cca

__all__ = [
    "DFTCCAResult",
    "average_pool",
    "dft_cca",
    "make_comparable",
    "positions_as_samples",
    "resize",
]

_RESIZE_MODES = ("auto", "area", "bilinear", "nearest", "fourier")
_POSITIONS = ("features", "samples", "grid")


# --------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------
def _check_size(size: Any, name: str) -> tuple[int, int]:
    """Check an int (square grid) or a pair of positive ints (height, width)."""
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

    See Also
    --------
    svcca.nn.sample_positions, svcca.nn.take_positions : keep the same number of random
        positions of every image (``m`` each), whose rows' images are known:
        ``np.repeat(np.arange(n), m)``.

    Notes
    -----
    Rows from the same image and neighbouring positions are not independent, so the
    number of rows overstates the effective sample size; subsampling positions reduces
    the cost and this redundancy (Raghu et al. 2017; the SVCCA tutorials). The statistics
    of :mod:`svcca.stats` take each row's image as ``groups=`` and then resample or permute
    whole images: with every position kept, ``groups = np.repeat(np.arange(n), h * w)``;
    for a subsample keep ``m`` positions per image with :func:`svcca.nn.sample_positions`
    and :func:`svcca.nn.take_positions` instead of ``max_rows``, so that the groups are
    ``np.repeat(np.arange(n), m)``.

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
    A = _as_float(check_conv(A, "A"))  # integers become float64, as in the other recipes
    max_rows = _check_max_rows(max_rows)
    n, h, w, c = shape_of(A)
    X = A.reshape(n * h * w, c)
    return _take_rows(X, _draw_rows(n * h * w, max_rows, rng))


# --------------------------------------------------------------------------------------
# separable resampling matrices (one small matrix per spatial axis)
# --------------------------------------------------------------------------------------
def _axis_matrix(n_in: int, n_out: int, mode: str) -> np.ndarray:
    """Return the linear map ``(n_out, n_in)`` that resamples one spatial axis."""
    if n_in == n_out:
        return np.eye(n_in)
    if mode == "auto":
        mode = "area" if n_out < n_in else "bilinear"
    M = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode == "area":
        # adaptive average pooling: output cell i averages the input cells
        # [floor(i * n_in / n_out), ceil((i + 1) * n_in / n_out))
        for i in range(n_out):
            start = (i * n_in) // n_out
            stop = -((-(i + 1) * n_in) // n_out)
            M[i, start:stop] = 1.0 / (stop - start)
    elif mode == "nearest":
        # cell centres matched (half-pixel convention): source floor((i + 1/2) * n_in / n_out)
        src = np.minimum(((2 * rows + 1) * n_in) // (2 * n_out), n_in - 1)
        M[rows, src] = 1.0
    elif mode == "bilinear":
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
    A = check_conv(A, "A")
    check_option(positions, "positions", _POSITIONS)
    return _average_pool(A, output_size, positions)


def _average_pool(A: Any, output_size: Any, positions: str) -> Any:
    """:func:`average_pool` of an array already checked (no second check, no second warning)."""
    A = _as_float(A)
    n, H, W, c = shape_of(A)
    if output_size is None:
        with np.errstate(over="ignore"):  # checked below
            pooled = A.mean(axis=(1, 2)) if not is_torch(A) else A.mean(dim=(1, 2))
        if not get_ops(pooled).all_finite(pooled) and get_ops(A).all_finite(A):
            # the sums overflowed finite entries (1e37 in float32): weigh each entry first
            pooled = _apply_axis_matrices(A, _axis_matrix(H, 1, "area"), _axis_matrix(W, 1, "area"))
            pooled = pooled.reshape(n, c)
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
def resize(A: Any, size: Any, *, mode: str = "auto") -> Any:
    """Resample conv activations to another spatial grid, channel by channel.

    Parameters
    ----------
    A : array-like or torch.Tensor of shape (n_samples, height, width, channels)
        Conv activations, samples first.
    size : int or (int, int)
        The new grid ``(height, width)``; an int means a square grid.
    mode : {"auto", "area", "bilinear", "nearest", "fourier"}, default "auto"
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
        For input that is not 4-D, empty or not finite, a bad ``size`` or an unknown ``mode``.

    Notes
    -----
    Each mode is a linear map along each axis, ``out = M_h A M_w^T`` per sample and
    channel, so numpy and torch give the same numbers. A layer's mean over space is
    preserved by ``"fourier"`` (the ``(0, 0)`` frequency is kept), and by ``"area"`` where
    the new size divides the old (otherwise its cells overlap, as torch's
    ``adaptive_avg_pool2d``, and cells at the overlaps weigh twice). The
    original tutorials used ``scipy.misc.imresize``, removed from SciPy in 1.3.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.conv import resize
    >>> A = np.random.default_rng(0).standard_normal((4, 8, 8, 3))
    >>> resize(A, 4).shape, resize(A, (16, 12), mode="bilinear").shape
    ((4, 4, 4, 3), (4, 16, 12, 3))
    >>> bool(np.allclose(resize(A, 4, mode="area"), A.reshape(4, 4, 2, 4, 2, 3).mean(axis=(2, 4))))
    True
    """
    A = check_conv(A, "A")
    check_option(mode, "mode", _RESIZE_MODES)
    return _resize(A, _check_size(size, "size"), mode)


def _resize(A: Any, size: tuple[int, int], mode: str) -> Any:
    """:func:`resize` of an array already checked (no second check, no second warning)."""
    h, w = size
    A = _as_float(A)
    _, H, W, _ = shape_of(A)
    if (h, w) == (H, W):
        return A
    Mh, Mw = _axis_matrix(H, h, mode), _axis_matrix(W, w, mode)
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        out = _apply_axis_matrices(A, Mh, Mw)
    ops = get_ops(out)
    if ops.all_finite(out) or not get_ops(A).all_finite(A):
        return out
    # finite entries near the dtype's largest overflowed the sums (in float32, or a Fourier
    # or bilinear overshoot): resample each map scaled by a power of two (exact, and a map
    # scaled alone keeps its small values), then scale back
    amax = ops.to_numpy(
        abs(A).amax(dim=(1, 2), keepdim=True) if is_torch(A) else np.abs(A).max(axis=(1, 2), keepdims=True)
    )
    factor = pow2_factors(ops, amax.astype(np.float64), A)
    with np.errstate(over="ignore", invalid="ignore"):
        out = _apply_axis_matrices(A * factor, Mh, Mw) / factor
    if not ops.all_finite(out):
        raise ValueError(
            f"resizing A to {h} x {w} with mode={mode!r} gives values beyond {ops.finfo(A).dtype}'s range "
            f"(the resampling overshoots the largest entries, {float(amax.max()):.3g}); pass float64 "
            "activations or rescale the layer (CCA does not depend on its scale)"
        )
    return out


def make_comparable(
    A: Any,
    B: Any,
    *,
    grid: Any = "smaller",
    mode: str = "auto",
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
    mode : {"auto", "area", "bilinear", "nearest", "fourier"}, default "auto"
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

    Warns
    -----
    svcca.LayoutWarning
        Once for each layer whose shape looks channels-first (``A`` or ``B``, by name).

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
    A, B = check_conv_pair(A, B)
    check_option(positions, "positions", ("samples", "features", "pool"))
    check_option(mode, "mode", _RESIZE_MODES)
    max_rows = _check_max_rows(max_rows)
    if positions == "pool":  # the layers are checked (and warned about) once, above
        return _average_pool(A, None, "features"), _average_pool(B, None, "features")
    _, Ha, Wa, _ = shape_of(A)
    _, Hb, Wb, _ = shape_of(B)
    if isinstance(grid, str):
        check_option(grid, "grid", ("smaller", "larger"))
        pick = min if grid == "smaller" else max
        size = (pick(Ha, Hb), pick(Wa, Wb))
    else:
        size = _check_size(grid, "grid")
    X = _resize(A, size, mode)
    Y = _resize(B, size, mode)
    if positions == "features":
        return _arrange_positions(X, "features"), _arrange_positions(Y, "features")
    n, h, w = shape_of(X)[:3]
    rows = _draw_rows(n * h * w, max_rows, rng)
    return _take_rows(_arrange_positions(X, "samples"), rows), _take_rows(
        _arrange_positions(Y, "samples"), rows
    )
