"""Image grids, for "the images that most drive a direction" figures."""

from __future__ import annotations

import numbers
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from .._backend import to_numpy
from .._typing import ArrayOrTensor
from .._validation import check_option
from ._inputs import as_float
from ._style import WIDTHS

__all__ = ["plot_images"]


def _check_unit_range(a: np.ndarray, integer: bool) -> None:
    """Raise unless ``a`` lies in [0, 1] (floats, up to rounding) or 0..255 (integers)."""
    top, slack = (255.0, 0.0) if integer else (1.0, 1e-6)
    lo, hi = float(a.min()), float(a.max())
    if lo < -slack or hi > top + slack:
        raise ValueError(
            f"images must lie in [0, {top:g}] to be shown as they are (rescale=False); got values from "
            f"{lo:g} to {hi:g}: pass rescale=True to stretch each image to [0, 1], or scale them first"
        )


def plot_images(
    images: ArrayOrTensor,
    *,
    axes: Any = None,
    titles: Any = None,
    ncols: int | None = None,
    layout: str = "nhwc",
    cmap: str = "gray",
    rescale: bool = True,
) -> np.ndarray:
    """Show images in a grid, e.g. those that most drive a canonical direction or a neuron.

    Parameters
    ----------
    images : array-like of shape (n, height, width) or (n, height, width, channels)
        Samples first, channels last (``channels`` 1, 3 or 4); torch tensors are accepted.
        With ``layout="nchw"``: shape ``(n, channels, height, width)`` as torchvision gives.
    axes : array of matplotlib Axes, optional
        At least ``n`` axes to draw into (extra axes are switched off); a new figure with a
        grid of ``ncols`` columns when None.
    titles : sequence of str, optional
        One short caption per image (e.g. its class or its activation).
    ncols : int, optional
        Columns of a new grid; default ``min(n, 8)``.
    layout : {"nhwc", "nchw"}, default "nhwc"
        Where the channel axis is.
    cmap : str, default "gray"
        Colour map for single-channel images.
    rescale : bool, default True
        Stretch each image to [0, 1] (min-max), so arrays in any range display faithfully.
        ``False`` shows the values as they are: floats in [0, 1], integers on the 0..255
        scale (as matplotlib reads ``uint8`` images); values beyond that range raise rather
        than being clipped to white or black.

    Returns
    -------
    numpy.ndarray of matplotlib Axes
        One axes per image, in order (flat).

    Raises
    ------
    ValueError
        For a wrong number of dimensions or channels, too few axes, titles of the wrong
        length, or values outside [0, 1] (0..255 for integers) with ``rescale=False``.

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> from svcca.plotting import plot_images
    >>> imgs = np.random.default_rng(0).random((6, 8, 8))
    >>> axes = plot_images(imgs, titles=[f"#{i}" for i in range(6)], ncols=3)
    >>> axes.shape, axes[0].get_title()
    ((6,), '#0')
    >>> plt.close(axes[0].figure)
    """
    check_option(layout, "layout", ("nhwc", "nchw"))
    raw = to_numpy(images)
    a = as_float(raw, "images", ndim=(3, 4))
    if not rescale:
        _check_unit_range(a, integer=raw.dtype.kind in "iu")
        if raw.dtype.kind in "iu":
            a = a / 255.0
    if a.ndim == 4:
        if layout == "nchw":
            a = np.moveaxis(a, 1, -1)
        if a.shape[-1] not in (1, 3, 4):
            hint = (
                " (channels-first data? pass layout='nchw')"
                if layout == "nhwc" and a.shape[1] in (1, 3, 4)
                else ""
            )
            raise ValueError(
                f"images must have 1, 3 or 4 channels in the last axis (n, height, width, channels); "
                f"got shape {a.shape}{hint}"
            )
        if a.shape[-1] == 1:
            a = a[..., 0]
    n = a.shape[0]
    if titles is not None:
        titles = [str(t) for t in titles]
        if len(titles) != n:
            raise ValueError(f"titles must have one entry per image ({n}); got {len(titles)}")
    if axes is None:
        if ncols is None:
            ncols = min(n, 8)
        if isinstance(ncols, bool) or not isinstance(ncols, numbers.Integral) or ncols < 1:
            raise ValueError(f"ncols must be a positive int; got {ncols!r}")
        nrows = -(-n // ncols)
        width = WIDTHS["single"] if ncols <= 4 else WIDTHS["double"]
        cell = width / ncols
        height = nrows * cell * (1.12 if titles is not None else 1.0)
        fig, grid = plt.subplots(
            nrows, int(ncols), figsize=(width, height), squeeze=False, layout="constrained"
        )
        axes_flat = grid.ravel()
    else:
        axes_flat = np.asarray(axes, dtype=object).ravel()
        if not all(isinstance(x, Axes) for x in axes_flat):
            raise TypeError("axes must be matplotlib Axes (an array or list of them)")
        if axes_flat.size < n:
            raise ValueError(f"axes must hold at least one Axes per image ({n}); got {axes_flat.size}")
    for i, ax in enumerate(axes_flat):
        ax.set_axis_off()
        if i >= n:
            continue
        img = a[i]
        if rescale:
            lo, hi = img.min(), img.max()
            img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
        else:  # within [0, 1] up to float rounding (checked above)
            img = np.clip(img, 0.0, 1.0)
        ax.imshow(
            img,
            cmap=cmap if img.ndim == 2 else None,
            vmin=0.0 if img.ndim == 2 else None,
            vmax=1.0 if img.ndim == 2 else None,
            interpolation="nearest",
        )
        if titles is not None:
            ax.set_title(titles[i], fontsize="small", pad=2)
    return axes_flat[:n]
