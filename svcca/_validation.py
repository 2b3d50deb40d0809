"""Every input check of the package, in one place.

Errors say what was expected and what arrived, e.g.
``X and Y must have the same number of samples; got X.shape=(500, 64), Y.shape=(499, 32)``.
"""

from __future__ import annotations

import numbers
import sys
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._backend import is_torch

__all__ = [
    "PrecisionWarning",
    "SampleSizeWarning",
    "check_array",
    "assert_finite",
    "check_pair",
    "check_min_samples",
    "check_count",
    "LayoutWarning",
    "ShuffledLoaderWarning",
    "check_conv",
    "check_conv_pair",
    "check_option",
    "check_keep",
    "check_fraction",
    "check_n_components",
    "check_int",
    "resolve_keep",
    "check_epsilon",
    "check_rtol",
    "check_confidence",
    "check_rng",
    "check_groups",
    "shape_of",
    "warn_sample_size",
]


class DegenerateLayerError(ValueError):
    """A layer on which the measure is undefined.

    No feature varies (dead neurons), its variation is only rounding, or its samples are
    all alike (RBF CKA's bandwidth). A ``ValueError``; the statistics catch it to count a
    resample of a sparse layer as degenerate instead of failing, and the conv-layer CCA to
    skip a frequency.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> try:
    ...     svcca.cca(np.zeros((20, 3)), np.random.default_rng(0).standard_normal((20, 2)))
    ... except svcca.DegenerateLayerError as exc:
    ...     print(str(exc)[:31])
    X has no varying feature: all 3
    """


class SampleSizeWarning(UserWarning):
    """Too few samples for the number of features: canonical correlations are inflated.

    With ``n`` samples and ``p + q > n - 1`` features, at least ``p + q - (n - 1)``
    canonical correlations are 1 whatever the data.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = svcca.cca(rng.standard_normal((10, 6)), rng.standard_normal((10, 6)))
    >>> [w.category.__name__ for w in caught]
    ['SampleSizeWarning']
    >>> int((res.rho > 1 - 1e-9).sum())  # 6 + 6 - (10 - 1) correlations are forced to 1
    3
    """


class PrecisionWarning(UserWarning):
    """The input's own precision (float16, bfloat16) limits the answer.

    Directions below its rounding were dropped. Computation itself always runs in float32 or
    wider.

    Examples
    --------
    A float16 layer of rank 5 with 10 features: the five directions beyond its rank are
    rounding noise, which is dropped with a warning.

    >>> import warnings
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> L = rng.standard_normal((100, 5)) @ rng.standard_normal((5, 10))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = svcca.cca(L.astype(np.float16), rng.standard_normal((100, 3)))
    >>> [w.category.__name__ for w in caught], res.x_rank
    (['PrecisionWarning'], 5)
    """


class LayoutWarning(UserWarning):
    """A conv layer's shape looks channels-first; svcca's conv functions take channels last.

    torch's conv layers give ``(n, channels, height, width)``; :mod:`svcca.conv` takes
    ``(n, height, width, channels)``, and reads the other layout as an image of ``channels``
    rows without a word. A shape ``(n, a, b, b)`` with ``a != b`` (a square image, channels
    first) is warned about.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from svcca.conv import average_pool
    >>> nchw = np.zeros((10, 16, 8, 8))  # 16 channels of 8 x 8, channels first
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = average_pool(nchw, 1)
    >>> [w.category.__name__ for w in caught]
    ['LayoutWarning']
    >>> average_pool(nchw.transpose(0, 2, 3, 1), 1).shape  # channels last: 16 features
    (10, 16)
    """


class ShuffledLoaderWarning(UserWarning):
    """A data loader draws its samples in a random order, which another pass will not repeat.

    Rows recorded in one pass of such a loader (every layer of one model in that pass
    shares them) do not correspond to the rows of another pass: another model's, or the
    same model's again. Pairing them, e.g. by zipping two
    :func:`svcca.nn.iter_activations` over one shuffling ``DataLoader``, compares different
    images row by row and gives wrong similarities without an error. Use ``shuffle=False``
    (a sequential sampler) for recording.

    Examples
    --------
    >>> import warnings
    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> from svcca.nn import MLP, record
    >>> loader = DataLoader(TensorDataset(torch.randn(8, 64)), batch_size=4, shuffle=True)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = record(MLP(hidden=(4,), seed=0), loader, ["fc1"])
    >>> [w.category.__name__ for w in caught]
    ['ShuffledLoaderWarning']
    """


def shape_of(x: Any) -> tuple[int, ...]:
    """Return the shape of an array-like, as a plain tuple (works for lists and tensors)."""
    if is_torch(x):
        return tuple(int(s) for s in x.shape)
    return tuple(np.shape(x))


def _is_numeric(x: Any) -> bool:
    if is_torch(x):
        return True  # every torch dtype is numeric (bool reads as 0/1, as in numpy)
    return np.asarray(x).dtype.kind in "biufc"


def _is_scipy_sparse(x: Any) -> bool:
    mod = type(x).__module__
    if not mod.startswith("scipy.sparse"):
        return False
    from scipy import sparse

    return bool(sparse.issparse(x))


def _as_array(x: Any, name: str, ndim: int) -> Any:
    """``x`` as an ndarray (tensors pass through); TypeError when it cannot be one."""
    if x is None:
        raise TypeError(f"{name} must be an array of shape {_layout(ndim)}; got None")
    if is_torch(x):
        if x.device.type == "meta":  # shapes without data (a model built on the meta device)
            raise ValueError(
                f"{name} is a tensor on the 'meta' device, which holds no values (shape "
                f"{tuple(x.shape)}); move it to 'cpu' or 'cuda' first"
            )
        if getattr(x, "is_nested", False):
            raise TypeError(
                f"{name} is a nested tensor (rows of different lengths); the measures need one "
                f"array of shape {_layout(ndim)}: pad or crop its rows to one length first"
            )
        import torch

        if x.layout != torch.strided:  # sparse COO/CSR/...: torch's reductions refuse them
            raise TypeError(
                f"{name} is a sparse tensor (layout {x.layout}); pass it dense, {name}.to_dense(), "
                f"of shape {_layout(ndim)}"
            )
        return x
    if _is_scipy_sparse(x):  # np.asarray would make a 0-d object array of it
        raise TypeError(
            f"{name} is a scipy sparse matrix ({type(x).__name__}, shape {x.shape}); pass it "
            f"dense, {name}.toarray(), of shape {_layout(ndim)}"
        )
    if isinstance(x, np.ma.MaskedArray) and np.ma.count_masked(x):
        # np.asarray drops the mask: the masked entries' stored values would be measured
        raise ValueError(
            f"{name} is a masked array with {np.ma.count_masked(x)} masked entries, and the measures have "
            "no notion of a missing value; drop the samples (rows) that have one, or fill them"
        )
    try:
        a = np.asarray(x)
    except Exception as exc:  # ragged lists and such
        raise TypeError(f"{name} could not be read as an array: {exc}") from exc
    if a.dtype == object:
        raise TypeError(
            f"{name} must be a numeric array of shape {_layout(ndim)}; got an object array"
            f" of shape {a.shape} (ragged or mixed input?)"
        )
    return a


def check_array(
    x: Any,
    name: str = "X",
    *,
    ndim: int = 2,
    allow_complex: bool = True,
    check_finite: bool = True,
    _got: str | None = None,
) -> Any:
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
    check_finite : bool, default True
        Whether to look for NaN and Inf (one pass over the data). Callers that make a
        pass anyway may check later with :func:`assert_finite`.

    Raises
    ------
    ValueError
        On the wrong number of dimensions, an empty array, NaN or Inf values, or complex
        values where they are not allowed. Where 2-D is expected, a 1-D, 3-D, conv (4-D) or
        higher array gets a hint on how to bring it to ``(n_samples, n_features)``.
    TypeError
        When ``x`` cannot be read as a numeric array at all.
    """
    x = _as_array(x, name, ndim)
    shape = shape_of(x)
    got = _got if _got is not None else f"{name}.shape={shape}"
    if len(shape) != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D of shape {_layout(ndim)}; got {got}"
            + (_flat_hint(shape) if ndim == 2 else "")
        )
    if any(s == 0 for s in shape):
        raise ValueError(f"{name} is empty; expected {_layout(ndim)} with no zero size, got {got}")
    if not _is_numeric(x):
        raise TypeError(f"{name} must hold numbers; got dtype {x.dtype} ({got})")
    complex_in = x.is_complex() if is_torch(x) else np.iscomplexobj(x)
    if complex_in and not allow_complex:
        raise ValueError(f"{name} must be real-valued; got dtype {x.dtype} ({got})")
    if check_finite:
        assert_finite(x, name, _got=got)
    return x


def _flat_hint(shape: tuple[int, ...]) -> str:
    """Return what to do with an array of ``shape`` where ``(n_samples, n_features)`` was expected."""
    if len(shape) == 1:
        return " (reshape a single feature with x.reshape(-1, 1))"
    if len(shape) == 3:
        return (
            " (a sequence layer (n, positions, features)? make every position a sample with "
            "x.reshape(-1, x.shape[-1]); or flatten each sample with x.reshape(len(x), -1))"
        )
    if len(shape) == 4 and shape[1] == shape[2] == 1:
        return (
            " (a conv layer with a 1 x 1 spatial map, as recorded after a global average pool? "
            "x.reshape(len(x), -1) gives its channels as the features)"
        )
    if len(shape) == 4:
        return (
            " (conv activations (n, height, width, channels)? flatten each sample with "
            "x.reshape(len(x), -1), average over space with svcca.conv.average_pool(x), or keep "
            "the positions as samples with svcca.conv.positions_as_samples(x) or frequency by "
            "frequency with svcca.conv.dft_cca; torch's (n, channels, height, width) needs "
            "x.permute(0, 2, 3, 1) first)"
        )
    if len(shape) > 4:
        return " (flatten each sample with x.reshape(len(x), -1))"
    return ""


def assert_finite(x: Any, name: str = "X", *, _got: str | None = None) -> None:
    """Raise ``ValueError`` when ``x`` holds NaN or Inf.

    A sum is finite exactly when every term is (an infinity cannot be cancelled back),
    so the common case costs one reduction and no temporary; only a non-finite (or
    overflowing) sum is followed by the elementwise test.
    """
    got = _got if _got is not None else f"{name}.shape={shape_of(x)}"
    if is_torch(x):
        torch = sys.modules["torch"]
        if not (x.is_floating_point() or x.is_complex()):
            return
        if x.element_size() == 1:  # float8: torch has no reductions for it; float16 holds it exactly
            x = x.to(torch.float16)
        if bool(torch.isfinite(x.sum())) or bool(torch.isfinite(x).all()):
            return
    else:
        x = np.asarray(x)
        if x.dtype.kind in "biu":
            return
        with np.errstate(over="ignore", invalid="ignore"):
            total = x.sum()
        if np.isfinite(total) or np.isfinite(x).all():
            return
    raise ValueError(f"{name} contains NaN or Inf values ({got}); clean or impute them first")


def _layout(ndim: int) -> str:
    if ndim == 2:
        return "(n_samples, n_features)"
    if ndim == 4:
        return "(n_samples, height, width, channels)"
    return f"{ndim}-D"


def check_pair(
    X: Any,
    Y: Any,
    *,
    ndim: int = 2,
    names: tuple[str, str] = ("X", "Y"),
    allow_complex: bool = True,
    check_finite: bool = True,
) -> tuple[Any, Any]:
    """Check two activation arrays over the same samples.

    Every message names both shapes, e.g. ``X and Y must have the same number of samples
    (rows); got X.shape=(500, 64), Y.shape=(499, 32)``.

    Raises
    ------
    ValueError
        Everything :func:`check_array` raises, and different sample counts.
    TypeError
        When either input cannot be read as a numeric array.
    """
    nx, ny = names
    X = _as_array(X, nx, ndim)
    Y = _as_array(Y, ny, ndim)
    sx, sy = shape_of(X), shape_of(Y)
    got = f"{nx}.shape={sx}, {ny}.shape={sy}"
    X = check_array(X, nx, ndim=ndim, allow_complex=allow_complex, check_finite=check_finite, _got=got)
    Y = check_array(Y, ny, ndim=ndim, allow_complex=allow_complex, check_finite=check_finite, _got=got)
    if sx[0] != sy[0]:
        raise ValueError(f"{nx} and {ny} must have the same number of samples (rows); got {got}")
    return X, Y


def check_min_samples(X: Any, Y: Any, minimum: int, what: str) -> None:
    """Raise ``ValueError`` when a checked pair has fewer than ``minimum`` samples."""
    sx, sy = shape_of(X), shape_of(Y)
    if sx[0] < minimum:
        raise ValueError(f"{what} needs at least {minimum} samples; got X.shape={sx}, Y.shape={sy}")


def check_count(value: Any, name: str, minimum: int = 1) -> int:
    """Check a count (an int, not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def check_conv(x: Any, name: str, *, finite: bool = True, _stacklevel: int = 3) -> Any:
    """Check one conv activation array of shape (n, height, width, channels), real-valued.

    A 2-D or 3-D array gets a hint (a dense layer, a missing channel axis). With
    ``finite=False`` the NaN/Inf test is left to the caller (``dft_cca`` finds them in its
    per-frequency sums, so a memory-mapped layer is read only once). ``_stacklevel`` points
    the :class:`LayoutWarning` at the caller's caller (the user's call of a public function).
    """
    if is_torch(x) or isinstance(x, np.ndarray):
        shape = shape_of(x)
        hint = {
            2: " (a dense layer? use svcca.cca, or reshape it to (n_samples, 1, 1, features))",
            3: " (a single channel? add the axis with x[..., None])",
        }.get(len(shape))
        if hint:
            raise ValueError(f"{name} must be 4-D of shape {_layout(4)}; got {name}.shape={shape}{hint}")
        if len(shape) == 4 and shape[2] == shape[3] != shape[1]:
            warnings.warn(
                f"{name}.shape={shape} looks channels-first (n, channels, height, width), torch's "
                f"layout; svcca's conv functions take {_layout(4)} and read it as {shape[1]} x "
                f"{shape[2]} images of {shape[3]} channels. Pass x.permute(0, 2, 3, 1) (numpy: "
                "x.transpose(0, 2, 3, 1)); if the layout is right, filter svcca.LayoutWarning",
                LayoutWarning,
                stacklevel=_stacklevel,
            )
    return check_array(x, name, ndim=4, allow_complex=False, check_finite=finite)


def check_conv_pair(A: Any, B: Any, *, finite: bool = True) -> tuple[Any, Any]:
    """Check two conv activation arrays ``A``, ``B`` over the same samples (see :func:`check_conv`)."""
    A = check_conv(A, "A", finite=finite, _stacklevel=4)
    B = check_conv(B, "B", finite=finite, _stacklevel=4)
    return check_pair(A, B, ndim=4, names=("A", "B"), allow_complex=False, check_finite=False)


def warn_sample_size(n: int, p: int, q: int, *, stacklevel: int = 3) -> None:
    """Warn when ``p + q > n - 1``: then ``p + q - (n - 1)`` correlations are 1 whatever the data.

    ``p`` and ``q`` are the two sides' effective ranks (features that vary, after rank
    truncation). Centred data live in ``n - 1`` dimensions, so two subspaces of
    dimensions ``p`` and ``q`` share at least ``p + q - (n - 1)`` directions.
    """
    if p + q > n - 1:
        forced = min(p + q - (n - 1), p, q)
        m = max(p, q)
        trivially = " (all of them: the similarity is trivially 1)" if forced == min(p, q) else ""
        warnings.warn(
            f"CCA with n_samples={n} and {p} + {q} features: {forced} canonical correlation(s) "
            f"are exactly 1 whatever the data{trivially}, so the similarity is inflated. Use 5-10x "
            f"as many samples as features, here {5 * m}-{10 * m} samples; or reduce the features "
            f"(svcca, pooling), or treat conv positions as samples.",
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
    """Check that ``keep`` is a variance fraction in (0, 1] or a positive number of directions.

    This is for where one parameter means either, as ``pca``'s ``n_components``; SVCCA
    separates them, see :func:`resolve_keep`.
    """
    if isinstance(keep, numbers.Integral) and not isinstance(keep, bool):
        return check_n_components(keep, name)
    if isinstance(keep, numbers.Real) and not isinstance(keep, bool):
        return check_fraction(keep, name)
    raise TypeError(f"{name} must be a float in (0, 1] or a positive int; got {keep!r}")


def check_fraction(keep: Any, name: str = "keep", *, count_name: str = "n_components") -> float:
    """Check a variance fraction in (0, 1]; an int is refused.

    ``keep=1`` would read as one direction where ``keep=1.0`` keeps all the variance; the
    message names ``count_name`` instead.
    """
    if isinstance(keep, numbers.Integral) and not isinstance(keep, bool):
        count = f"pass {count_name}={int(keep)}" if int(keep) >= 1 else f"pass {count_name}, a positive int"
        raise ValueError(
            f"{name} is a variance fraction in (0, 1]; got the int {int(keep)}. For a number of "
            f"directions {count}; for all the variance pass {name}=1.0"
        )
    if isinstance(keep, bool) or not isinstance(keep, numbers.Real):
        raise TypeError(f"{name} must be a float in (0, 1]; got {keep!r}")
    if not 0.0 < float(keep) <= 1.0:
        raise ValueError(f"{name} as a variance fraction must be in (0, 1]; got {keep}")
    return float(keep)


def check_n_components(n: Any, name: str = "n_components") -> int:
    """Check a positive number of directions (an int; a float is refused)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be a positive int (a number of directions); got {n!r}")
    if n < 1:
        raise ValueError(f"{name} as a number of directions must be >= 1; got {n}")
    return int(n)


def resolve_keep(keep: Any, n_components: Any) -> float | int:
    """Resolve SVCCA's two ways to choose directions, of which at most one is given.

    They are ``keep`` (variance fraction, float in (0, 1], default 0.99) and
    ``n_components`` (a number of directions, int). Returns the fraction (float) or the
    number (int).
    """
    if n_components is not None:
        if keep is not None:
            raise ValueError(
                f"pass keep (a variance fraction) or n_components (a number of directions), not both; "
                f"got keep={keep!r}, n_components={n_components!r}"
            )
        return check_n_components(n_components)
    return check_fraction(0.99 if keep is None else keep)


def check_epsilon(epsilon: Any) -> float:
    """Check that the ridge ``epsilon`` is a finite real number >= 0 (never a bool or a string)."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
        raise TypeError(f"epsilon must be a number >= 0; got {epsilon!r}")
    e = float(epsilon)
    if not np.isfinite(e) or e < 0:
        raise ValueError(f"epsilon must be a finite number >= 0; got {epsilon!r}")
    return e


def check_rtol(rtol: Any) -> float | None:
    """Check a relative rank tolerance: None (the default rule) or a real number in [0, 1).

    Examples
    --------
    >>> from svcca._validation import check_rtol
    >>> check_rtol(None), check_rtol(1e-6)
    (None, 1e-06)
    >>> check_rtol(1.5)
    Traceback (most recent call last):
    ...
    ValueError: rtol must be None or a number in [0, 1) (a fraction of the largest singular value); got 1.5
    """
    if rtol is None:
        return None
    if isinstance(rtol, bool) or not isinstance(rtol, numbers.Real):
        raise TypeError(f"rtol must be None or a number in [0, 1); got {rtol!r}")
    if not 0.0 <= float(rtol) < 1.0:  # NaN fails too
        raise ValueError(
            "rtol must be None or a number in [0, 1) (a fraction of the largest singular value); "
            f"got {rtol!r}"
        )
    return float(rtol)


def check_confidence(confidence: Any) -> float:
    """Check a confidence level: a real number strictly between 0 and 1 (never a bool)."""
    real = isinstance(confidence, numbers.Real) and not isinstance(confidence, bool)
    if not real or not 0 < float(confidence) < 1:
        raise ValueError(f"confidence must be a number in (0, 1); got {confidence!r}")
    return float(confidence)


def check_rng(rng: Any) -> np.random.Generator:
    """``rng`` may be None, an int seed or a ``numpy.random.Generator``."""
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng must be None, an int seed >= 0 or a numpy.random.Generator; got {rng}")
        return np.random.default_rng(int(rng))
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator; got {type(rng).__name__}")


def check_groups(groups: Any, n: int) -> np.ndarray:
    """Group labels of ``n`` rows as integer codes ``0..G-1``, in order of first appearance.

    ``groups`` is a 1-D array-like (or tensor) of ``n`` hashable labels, e.g. the image each
    row came from; at least two distinct groups.
    """
    labels = groups.detach().cpu().numpy() if is_torch(groups) else np.asarray(groups)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(
            f"groups must be a 1-D array with one label per sample (row), shape ({n},); "
            f"got shape {labels.shape}"
        )
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
        raise ValueError("groups must not contain NaN or infinite labels")
    try:
        _, first, codes = np.unique(labels, return_index=True, return_inverse=True)
    except TypeError:  # labels of kinds that do not compare (None beside ints)
        raise TypeError(
            f"groups must hold labels of one comparable kind (ints or strings); got "
            f"{sorted({type(v).__name__ for v in labels.tolist()})}"
        ) from None
    if first.size < 2:
        raise ValueError(f"groups must hold at least 2 distinct labels; got {first.size}")
    order = np.argsort(np.argsort(first))  # sorted-label code -> code by first appearance
    return order[codes.ravel()].astype(np.intp)


def check_bool(value: Any, name: str) -> bool:
    """Check a bool (numpy's too): a switch read by truthiness takes ``"false"`` for True.

    Raises TypeError, saying what arrived, for anything else.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_int(value: Any, name: str, *, minimum: int = 1, allow_none: bool = False) -> int | None:
    """Check an int (numpy ints too, never a bool or a float) of at least ``minimum``; None when allowed.

    Raises TypeError for another type and ValueError below ``minimum``; both messages say
    what was expected and what arrived.
    """
    expected = f"{'None or ' if allow_none else ''}an int >= {minimum}"
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {expected}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {expected}; got {value!r}")
    return int(value)
