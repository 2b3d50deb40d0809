"""Every input check of the package, in one place.

Errors say what was expected and what arrived, e.g.
``X and Y must have the same number of samples; got X.shape=(500, 64), Y.shape=(499, 32)``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._backend import is_torch

__all__ = [
    "SampleSizeWarning",
    "check_array",
    "check_pair",
    "check_option",
    "check_keep",
    "check_epsilon",
    "check_rng",
    "shape_of",
    "warn_sample_size",
]


class SampleSizeWarning(UserWarning):
    """Too few samples for the number of features: canonical correlations are inflated."""


def shape_of(x: Any) -> tuple[int, ...]:
    """The shape of an array-like, as a plain tuple (works for lists and tensors)."""
    if is_torch(x):
        return tuple(int(s) for s in x.shape)
    return tuple(np.shape(x))


def _is_numeric(x: Any) -> bool:
    if is_torch(x):
        return not x.dtype == __import__("torch").bool
    dt = np.asarray(x).dtype
    return dt.kind in "biufc"


def check_array(x: Any, name: str = "X", *, ndim: int = 2, allow_complex: bool = True) -> Any:
    """Check one activation array and return it (as an ndarray unless it is a tensor).

    Parameters
    ----------
    x : array-like or torch.Tensor
        Expected of shape ``(n_samples, n_features)`` when ``ndim=2``, or
        ``(n_samples, height, width, channels)`` when ``ndim=4``.
    name : str
        The name used in error messages.
    ndim : int
        The required number of dimensions.
    allow_complex : bool
        Whether complex values are accepted.

    Raises
    ------
    ValueError
        On the wrong number of dimensions, an empty array, non-numeric, NaN or Inf values.
    TypeError
        When ``x`` cannot be read as an array at all.
    """
    if x is None:
        raise TypeError(f"{name} must be an array of shape {_layout(ndim)}; got None")
    if not is_torch(x):
        try:
            x = np.asarray(x)
        except Exception as exc:  # ragged lists and such
            raise TypeError(f"{name} could not be read as an array: {exc}") from exc
        if x.dtype == object:
            raise TypeError(
                f"{name} must be a numeric array of shape {_layout(ndim)}; got an object array"
                f" of shape {x.shape} (ragged or mixed input?)"
            )
    shape = shape_of(x)
    if len(shape) != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D of shape {_layout(ndim)}; got {name}.shape={shape}"
            + (" (reshape a single feature with x.reshape(-1, 1))" if len(shape) == 1 and ndim == 2 else "")
        )
    if any(s == 0 for s in shape):
        raise ValueError(f"{name} is empty; expected {_layout(ndim)} with no zero size, got {name}.shape={shape}")
    if not _is_numeric(x):
        raise TypeError(f"{name} must hold numbers; got dtype {x.dtype}")
    if is_torch(x):
        if x.is_complex() and not allow_complex:
            raise ValueError(f"{name} must be real-valued; got dtype {x.dtype}")
        finite = bool(__import__("torch").isfinite(x).all())
    else:
        if np.iscomplexobj(x) and not allow_complex:
            raise ValueError(f"{name} must be real-valued; got dtype {x.dtype}")
        finite = bool(np.isfinite(x).all())
    if not finite:
        raise ValueError(f"{name} contains NaN or Inf values (shape {shape}); clean or impute them first")
    return x


def _layout(ndim: int) -> str:
    if ndim == 2:
        return "(n_samples, n_features)"
    if ndim == 4:
        return "(n_samples, height, width, channels)"
    return f"{ndim}-D"


def check_pair(X: Any, Y: Any, *, ndim: int = 2, names: tuple[str, str] = ("X", "Y")) -> tuple[Any, Any]:
    """Check two activation arrays over the same samples.

    Raises
    ------
    ValueError
        Everything :func:`check_array` raises, and different sample counts, naming both shapes.
    """
    nx, ny = names
    X = check_array(X, nx, ndim=ndim)
    Y = check_array(Y, ny, ndim=ndim)
    sx, sy = shape_of(X), shape_of(Y)
    if sx[0] != sy[0]:
        raise ValueError(
            f"{nx} and {ny} must have the same number of samples (rows); got "
            f"{nx}.shape={sx}, {ny}.shape={sy}"
        )
    return X, Y


def warn_sample_size(n: int, p: int, q: int, *, stacklevel: int = 3) -> None:
    """Warn when ``p + q > n - 1``: then ``p + q - (n - 1)`` correlations are 1 whatever the data."""
    if p + q > n - 1:
        forced = p + q - (n - 1)
        warnings.warn(
            f"CCA with n_samples={n} and {p} + {q} features: at least {min(forced, min(p, q))} "
            f"canonical correlation(s) are exactly 1 whatever the data, so the similarity is "
            f"inflated. Use at least 5-10x the features in samples (here {5 * max(p, q)}-"
            f"{10 * max(p, q)} samples), reduce the features (svcca, pooling), or treat conv "
            f"positions as datapoints.",
            SampleSizeWarning,
            stacklevel=stacklevel,
        )


def check_option(value: Any, name: str, allowed: Iterable[Any]) -> Any:
    """Check a string option against its allowed set; the message lists the set."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_keep(keep: Any, name: str = "keep") -> float | int:
    """``keep`` is a variance fraction in (0, 1] or a positive number of directions."""
    if isinstance(keep, bool):
        raise TypeError(f"{name} must be a float in (0, 1] or a positive int; got {keep!r}")
    if isinstance(keep, numbers.Integral):
        if keep < 1:
            raise ValueError(f"{name} as a number of directions must be >= 1; got {keep}")
        return int(keep)
    if isinstance(keep, numbers.Real):
        if not 0.0 < float(keep) <= 1.0:
            raise ValueError(f"{name} as a variance fraction must be in (0, 1]; got {keep}")
        return float(keep)
    raise TypeError(f"{name} must be a float in (0, 1] or a positive int; got {type(keep).__name__}")


def check_epsilon(epsilon: Any) -> float:
    """The ridge ``epsilon`` is a finite number >= 0."""
    try:
        e = float(epsilon)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"epsilon must be a number >= 0; got {epsilon!r}") from exc
    if not np.isfinite(e) or e < 0:
        raise ValueError(f"epsilon must be a finite number >= 0; got {epsilon!r}")
    return e


def check_rng(rng: Any) -> np.random.Generator:
    """``rng`` may be None, an int seed or a ``numpy.random.Generator``."""
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator; got {type(rng).__name__}")
