"""Mergeable accumulators for activations that do not fit in memory.

An accumulator takes activations batch by batch (numpy arrays, torch tensors on any device,
or an iterable such as a ``torch.utils.data.DataLoader``) and keeps only float64 sufficient
statistics: the sample count, each layer's mean, the co-moments ``C_ab = sum (x_a -
mean_a)(x_b - mean_b)^T`` (``X^T X``, ``X^T Y``, ``Y^T Y`` of the centred data) and each
feature's largest ``|value|`` over all batches. Memory is O(features^2), whatever the
number of samples. Partial accumulators combine exactly
(:meth:`PairAccumulator.merge`, or :meth:`PairAccumulator.all_reduce` across
``torch.distributed`` processes), and finish into the same result objects as
:func:`svcca.cca`, :func:`svcca.svcca`, :func:`svcca.pwcca`, :func:`svcca.pls` and
:func:`svcca.linear_cka` (biased).

- :class:`PairAccumulator`: two layers, ``update(X_batch, Y_batch)``.
- :class:`MultiLayerAccumulator`: several named layers over the same samples,
  ``update({name: batch})`` (the sink protocol of ``svcca.nn.activations.record``), with
  every pairwise cross-product or only chosen pairs; ``pair(a, b)`` and
  ``similarity_matrix()`` finish it.

Numerics (code symbol -> paper symbol): each batch is centred on its own mean (in two
passes, so constant features come out as exact zeros) and its co-moment merged with the
running one by the pairwise update of Chan, Golub and LeVeque (1979): with counts ``n_A``,
``n_B`` and ``delta = mean_B - mean_A``, ``C = C_A + C_B + n_A n_B / n * delta delta^H``.
Large offsets therefore cost little accuracy, unlike accumulating raw ``sum x x^T``: only
the rounding of each batch's mean, about ``eps |offset|``, which costs about ``eps
|offset| / spread`` of the results (1e-9 for activations of 1e6 +- 0.01 in batches of one
sample; larger batches and spreads lose less). ``C / (n - 1)`` is the paper's ``Sigma``.
Each layer's statistics share one exact power-of-two scale (SVCCA and PLS need the layer's
own units), so a layer with a feature whose largest ``|value|`` is more than about 1e144
below the layer's largest values is refused when results are computed, with a
``ValueError`` that says which feature (the per-feature maxima tell such a feature, even a
zero-mean one, from a dead one; they survive ``merge``, ``save``/``load``, ``all_reduce``
and ``pair``); :func:`svcca.cca` in memory takes it.

Finishing reuses the Gram path of :func:`svcca._cca.whiten`: constant features are dropped
with the same tolerance, each side is rescaled to its correlation matrix ``G`` and
whitened by a Cholesky factor when ``G`` is well conditioned (``cond(G) <= 1e5``, where
:func:`svcca.cca` itself takes that path), else by an eigendecomposition that keeps only
the directions squared statistics resolve, ``lam > sqrt(max(n, p) eps) lam_max``, as
``svcca.cca(..., algorithm="gram")`` does. Exact rank deficiency (duplicated or linearly
dependent features) is therefore dropped as in the batch computation, and the results
equal the batch ones to about 1e-10 when each side's kept correlation matrix has
``cond <= 1e5``. Weaker directions are resolved only to about ``eps * lam_max / lam``,
and those under the threshold are dropped where the batch SVD path would keep them. For
SVCCA the singular values come from the eigenvalues of ``C``: those below about
``sqrt(eps) * s_max`` are rounding noise.

Canonical variates, PLS scores and anything else that needs the samples are not available
from statistics: accessing ``x_variates`` (or ``x_scores``) on a finished result raises an
``AttributeError`` that says so; compute ``(X - x_mean) @ x_weights`` batch by batch
instead. PWCCA's projection weights *are* available: ``<h_i, x_j> = (C_xx w_i)_j``.
"""

from __future__ import annotations

import copy as _copy
import json
import math
import os
import zipfile
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from ._backend import NumpyOps, TorchOps, is_torch, to_numpy
from ._cca import (
    CCAResult,
    Whitened,
    _cca_result,
    _col_scale_tolerance,
    _extend,
    _fix_signs,
    _input_eps,
    _no_varying,
    _offset_ratio,
    _rounding_floors,
    _try_gram,
    cca_from_whitened,
)
from ._cka import CKAResult, _unscale
from ._grid import SimilarityMatrix
from ._io import atomic_write
from ._measures import Measure, _keep_of, resolve
from ._pca import _sign_flip, n_directions_for
from ._pls import PLSResult, _pls_directions, resolved_pairs, rounding_floor
from ._pwcca import DIRECTIONS, PWCCAResult, pair_alphas
from ._pwcca import SIDES as _PWCCA_SIDES
from ._svcca import SVCCAResult, _only_rows
from ._validation import (
    DegenerateLayerError,
    check_array,
    check_bool,
    check_epsilon,
    check_int,
    check_keep,
    check_option,
    check_rtol,
    resolve_keep,
    shape_of,
    warn_sample_size,
)

__all__ = ["PairAccumulator", "MultiLayerAccumulator"]

#: The registry's measures that second moments determine (the others need the samples).
STREAMING_MEASURES = ("cca", "svcca", "pwcca", "cka")
_DEFAULT_MAX_BYTES = 4 * 2**30
_DEBIASED_CKA = "debiased CKA needs the samples (its diagonal terms); use debiased=False when streaming"
_NO_DATA = (
    "{what} need the samples, which a result finished from streamed statistics does not hold; "
    "compute (X - x_mean) @ x_weights batch by batch instead"
)


class _NoData:
    """Stands in for the data of a result finished from statistics: using it says why it is missing."""

    __array_ufunc__ = None  # make numpy defer `array @ self` to us

    def __init__(self, what: str) -> None:
        self.what = what

    def _raise(self, *args: Any) -> Any:
        raise AttributeError(_NO_DATA.format(what=self.what))

    __matmul__ = __rmatmul__ = __array__ = __sub__ = __getitem__ = __len__ = __iter__ = _raise

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        self._raise()

    def __repr__(self) -> str:
        return "<not available: finished from streamed statistics>"


# --- backend helpers (statistics are float64/complex128, on the first batch's device) --------


def _checked_device(device: Any) -> Any:
    """Return ``device`` as a ``torch.device`` this machine has (``"auto"`` resolved), or None.

    Checked by :func:`svcca.nn.utils.check_device`, as :func:`svcca.nn.record` checks its
    ``device``: a GPU this machine lacks or a misspelt name is refused when the accumulator
    is made, not by torch at the first batch. torch is imported only when a device is given.
    """
    if device is None:
        return None
    import torch

    from .nn.utils import check_device

    return torch.device(check_device(device))


def _ops_for(x: Any, device: Any) -> Any:
    if device is not None:
        return TorchOps(dtype=np.float64, device=device)
    if is_torch(x):
        return TorchOps(dtype=np.float64, device=x.device)
    return NumpyOps(dtype=np.float64)


def _to_backend(ops: Any, x: Any) -> Any:
    """``x`` as float64 (or complex128) in ``ops``' backend and device, detached from autograd."""
    if ops.name == "torch":
        if is_torch(x):
            x = x.detach()
        return ops.asarray(x)
    return ops.asarray(to_numpy(x) if is_torch(x) else x)


def _flip(ops: Any, a: Any, axis: int) -> Any:
    return a.flip(axis) if ops.name == "torch" else np.flip(a, axis)


def _clip0(ops: Any, a: Any) -> Any:
    return a.clamp(min=0) if ops.name == "torch" else np.maximum(a, 0)


def _is_complex(a: Any) -> bool:
    return bool(a.is_complex()) if is_torch(a) else np.iscomplexobj(a)


def _batch_matrix(ops: Any, arrays: list[Any], nb: int, width: int, complex_: bool) -> Any:
    """Return the layers of one batch side by side, as one new float64 (complex128) array: a single copy."""
    if ops.name == "torch":
        torch = ops.torch
        Z = torch.empty((nb, width), dtype=torch.complex128 if complex_ else torch.float64, device=ops.device)
        off = 0
        for a in arrays:
            t = a.detach() if is_torch(a) else torch.from_numpy(np.require(a, requirements=("C", "W")))
            Z[:, off : off + t.shape[1]].copy_(t)
            off += t.shape[1]
        return Z
    Z = np.empty((nb, width), dtype=np.complex128 if complex_ else np.float64)
    off = 0
    for a in arrays:
        a = to_numpy(a)
        Z[:, off : off + a.shape[1]] = a
        off += a.shape[1]
    return Z


# --- the statistics ---------------------------------------------------------------------------


class _Moments:
    """Count, layer means and co-moment blocks of named layers over the same samples."""

    def __init__(
        self, names: Sequence[Hashable] | None, pairs: Any, device: Any, max_bytes: int | None, what: str
    ) -> None:
        self.what = what  # the owner's class name, for messages
        self.pairs_spec = pairs
        self.device = _checked_device(device)
        self.max_bytes = check_int(max_bytes, "max_bytes", allow_none=True)
        self.names: Any = None  # tuple of layer names, once known
        self.keys: list[tuple[Hashable, Hashable]] = []
        self.n = 0
        self.n_batches = 0
        self.ops: Any = None  # NumpyOps or TorchOps, set by the first batch
        self.widths: dict[Hashable, int] = {}
        self.offsets: dict[Hashable, int] = {}
        self.mean: Any = None  # joint mean vector over all layers (length P)
        self.C: dict[tuple[Hashable, Hashable], Any] = {}
        self.is_complex = False
        self.input_eps = 0.0
        # per layer: the statistics are those of the data times 2**exps[layer] (exact), so that
        # co-moments of layers at 1e155 or 1e-160 neither overflow nor lose digits (0 normally)
        self.exps: dict[Hashable, int] = {}
        # per feature: the largest |value| seen in any batch, in the data's own units (numpy
        # float64): it tells a feature too small for its layer's shared scale from a dead one
        self.amax: Any = None
        if pairs != "all":
            if isinstance(pairs, str) or not isinstance(pairs, Iterable):
                raise TypeError(f'pairs must be "all" or a list of (layer, layer) pairs; got {pairs!r}')
            pairs = [tuple(p) for p in pairs]
            for p in pairs:
                if len(p) != 2:
                    raise ValueError(f"pairs must hold (layer, layer) pairs; got {p!r}")
            involved = list(dict.fromkeys(x for p in pairs for x in p))
            if names is not None:
                missing = [x for x in involved if x not in list(names)]
                if missing:
                    raise ValueError(
                        f"pairs name layers that are not in names: {missing}; names={list(names)}"
                    )
            else:  # the layers of the pairs; named layers in no pair keep their own block
                names = involved
            self.pairs_spec = pairs
        if names is not None:
            names = tuple(names)
            if not names:
                raise ValueError("names is empty; expected at least one layer name")
            if len(set(names)) != len(names):
                raise ValueError(f"layer names must be unique; got {list(names)}")
            self._set_names(names)

    # layout ---------------------------------------------------------------------------------
    def _set_names(self, names: tuple) -> None:
        self.names = names
        index = {x: i for i, x in enumerate(names)}
        if self.pairs_spec == "all":
            keys = [(a, b) for i, a in enumerate(names) for b in names[i:]]
        else:
            keys = [(a, a) for a in names]
            for a, b in self.pairs_spec:
                k = (a, b) if index[a] <= index[b] else (b, a)
                if k not in keys:
                    keys.append(k)
        self.keys = keys

    def _layout(self, widths: dict[Hashable, int]) -> None:
        assert self.names is not None
        off = 0
        for x in self.names:
            self.offsets[x] = off
            off += widths[x]
        self.widths = dict(widths)
        if self.max_bytes is not None:
            n_elements = off + sum(widths[a] * widths[b] for a, b in self.keys)
            need = 8 * n_elements
            if need > self.max_bytes:
                detail = ", ".join(f"{x!r}: {widths[x]}" for x in self.names)
                size = (
                    f"{need / 2**30:.2f} GiB" if need >= 2**30
                    else f"{need / 2**20:.2f} MiB" if need >= 2**20 else f"{need} bytes"
                )  # fmt: skip
                raise ValueError(
                    f"the statistics of these layers need {size} (features per layer: "
                    f"{detail}), "
                    f"more than max_bytes={self.max_bytes}; pool conv layers over space, treat positions as "
                    f"samples (reshape to (-1, channels)), accumulate fewer pairs, or raise max_bytes"
                )

    def slice(self, name: Hashable) -> slice:
        o = self.offsets[name]
        return slice(o, o + self.widths[name])

    def block(self, a: Hashable, b: Hashable) -> Any:
        """``C_ab`` (conjugate-transposing the stored ``C_ba`` when needed)."""
        if (a, b) in self.C:
            return self.C[(a, b)]
        if (b, a) in self.C:
            return self.ops.ct(self.C[(b, a)])
        raise KeyError(
            f"the cross-product of layers {a!r} and {b!r} was not accumulated (pairs={self.pairs_spec!r})"
        )

    # updates --------------------------------------------------------------------------------
    def _check_batch(
        self, batch: Mapping[Hashable, Any], display: Mapping[Hashable, str]
    ) -> tuple[dict, int]:
        """Validate a batch; a rejected one leaves no trace (the layout its first batch fixes)."""
        before = (self.names, list(self.keys), dict(self.offsets), self.widths)
        try:
            return self._check_batch_layout(batch, display)
        except Exception:
            self.names, self.keys, self.offsets, self.widths = before
            raise

    def _check_batch_layout(
        self, batch: Mapping[Hashable, Any], display: Mapping[Hashable, str]
    ) -> tuple[dict, int]:
        if self.names is None:
            if not len(batch):
                raise ValueError(
                    "a batch must hold at least one layer (a mapping name -> array, or a sequence of "
                    "arrays); got an empty batch"
                )
            self._set_names(tuple(batch.keys()))
        assert self.names is not None
        missing = [x for x in self.names if x not in batch]
        if missing:
            raise ValueError(
                f"batch {self.n_batches} lacks layer(s) {missing}; it has {list(batch.keys())}, "
                f"the accumulator expects {list(self.names)}"
            )
        arrays, shapes = {}, {}
        for x in self.names:
            a = batch[x]
            name = display.get(x, f"batch[{x!r}]")
            if a is None or isinstance(a, (str, bytes)):
                raise TypeError(
                    f"{name} must be an array of shape (n_samples, n_features); got {type(a).__name__}"
                )
            if not is_torch(a):
                a = np.asarray(a)
            shape = shape_of(a)
            if len(shape) < 2:
                raise ValueError(
                    f"{name} must be 2-D of shape (n_samples, n_features) (or conv (n_samples, height, "
                    f"width, channels), flattened per sample); got {name}.shape={shape}"
                    + (" (reshape a single feature with x.reshape(-1, 1))" if len(shape) == 1 else "")
                )
            if shape[0] > 0:
                check_array(a, name, ndim=len(shape))
            width = int(np.prod(shape[1:]))
            if len(shape) > 2:
                a = a.reshape(shape[0], width)
            arrays[x], shapes[x] = a, shape
        rows = {shape[0] for shape in shapes.values()}
        if len(rows) > 1:
            detail = ", ".join(f"{display.get(x, f'batch[{x!r}]')}.shape={shapes[x]}" for x in self.names)
            raise ValueError(
                f"all layers of a batch must have the same number of samples (rows); got {detail}"
            )
        widths = {x: int(np.prod(shapes[x][1:])) for x in self.names}
        if self.widths:
            for x in self.names:
                if widths[x] != self.widths[x]:
                    name = display.get(x, f"batch[{x!r}]")
                    raise ValueError(
                        f"{name} has {widths[x]} features in batch {self.n_batches} (shape {shapes[x]}) but "
                        f"{self.widths[x]} in the earlier ones"
                    )
        else:
            self._layout(widths)
        return arrays, rows.pop()

    def update(self, batch: Mapping[Hashable, Any], display: Mapping[Hashable, str]) -> None:
        arrays, nb = self._check_batch(batch, display)
        self.n_batches += 1
        if nb == 0:
            return
        if self.ops is None:
            self.ops = _ops_for(next(iter(arrays.values())), self.device)
        ops = self.ops
        eps_in = max(_input_eps(a) for a in arrays.values())
        self.input_eps = max(self.input_eps, eps_in)
        if any(_is_complex(a) for a in arrays.values()) and not self.is_complex:
            self._promote_complex()
        # one float64 copy of the batch (never the caller's array), centred in place
        Z = _batch_matrix(
            ops, [arrays[x] for x in self.names], nb, sum(self.widths.values()), self.is_complex
        )
        # centre in two passes: the second removes the rounding of the first mean (numpy sums
        # axis 0 naively, O(nb eps) per mean), so constant features end at (almost) exactly 0
        cmax = np.asarray(ops.to_numpy(ops.colmaxabs(Z)), dtype=np.float64)
        prior = self.amax
        self.amax = _joint_amax([(self.n, self.amax), (nb, cmax)])
        self._rescale_batch(Z, cmax, prior)
        Z, mb = ops.centre(Z, twice=True, inplace=True)
        Cb = {(a, b): ops.ct(Z[:, self.slice(a)]) @ Z[:, self.slice(b)] for a, b in self.keys}
        self._merge(nb, mb, Cb)

    # extreme scales ----------------------------------------------------------------------------
    def _holds_only_zeros(self, x: Hashable, amax: np.ndarray | None) -> bool:
        """Whether layer ``x``'s statistics are of all-zero data (any exponent holds them exactly).

        ``amax``: the per-feature maxima of what is stored (``self.amax`` before a batch).
        """
        if self.n == 0:
            return True
        return amax is not None and float(np.max(amax[self.slice(x)], initial=0.0)) == 0.0

    def _rescale_batch(self, Z: Any, cmax: np.ndarray, prior: np.ndarray | None) -> None:
        """Scale each layer's columns of the batch ``Z`` by ``2**exps[layer]`` in place.

        ``cmax`` holds each column's largest ``|value|`` in this batch, ``prior`` the maxima
        of what is stored. A layer's exponent is lowered first (and what is stored rescaled)
        when the batch needs it. A batch in which a layer is all zeros (a dead ReLU layer)
        leaves its exponent alone, and a layer that held only zeros takes the batch's: a
        zero once read as "needs the ordinary scale" and shifted a layer of 1e-160 into
        underflow.
        """
        for x in self.names:
            sl = self.slice(x)
            amax = float(cmax[sl].max()) if self.widths[x] else 0.0
            if amax == 0.0:
                continue
            want = _exponent_for(amax)
            have = self.exps.get(x)
            if have is None or (want != have and self._holds_only_zeros(x, prior)):
                self.exps[x] = have = want
            elif want < have:  # larger values than before: scale what is stored down
                self._shift(x, want - have)
                self.exps[x] = have = want
            if have:
                Z[:, sl] *= 2.0**have

    def _shift(self, x: Hashable, d: int) -> None:
        """Multiply the stored statistics of layer ``x`` by ``2**d``.

        A layer that holds only zeros stays as it is (``0 * 2**1060`` would be ``0 * inf``).
        """
        if self._holds_only_zeros(x, self.amax):
            return
        f = 2.0**d
        sl = self.slice(x)
        self.mean[sl] *= f
        for a, b in self.keys:
            if x in (a, b):  # (C f) f: f * f alone may overflow where the product does not
                self.C[(a, b)] = self.C[(a, b)] * f * f if a == b else self.C[(a, b)] * f

    def _align(self, exps: Mapping[Hashable, int]) -> None:
        """Bring this accumulator to the exponents ``exps`` (layer by layer)."""
        for x, e in exps.items():
            have = self.exps.get(x, 0)
            if e != have:
                self._shift(x, e - have)
            self.exps[x] = e

    def true_mean(self, x: Hashable) -> Any:
        """Return the mean of layer ``x`` in the data's own units."""
        e = self.exps.get(x, 0)
        m = self.mean[self.slice(x)]
        return m * 2.0**-e if e else m

    def true_block(self, a: Hashable, b: Hashable) -> Any:
        """``C_ab`` in the data's own units (inf where that overflows)."""
        e = self.exps.get(a, 0) + self.exps.get(b, 0)
        C = self.block(a, b)
        if not e:
            return C
        with np.errstate(over="ignore"):
            return C * 2.0**-e

    def _promote_complex(self) -> None:
        ops = self.ops
        self.is_complex = True
        if self.mean is None:
            return
        conv = (
            (lambda a: a.to(ops.torch.complex128))
            if ops.name == "torch"
            else (lambda a: a.astype(np.complex128))
        )
        self.mean = conv(self.mean)
        self.C = {k: conv(v) for k, v in self.C.items()}

    def _merge(self, nb: int, mb: Any, Cb: dict) -> None:
        """Chan et al.'s pairwise update with a part of ``nb`` samples, mean ``mb``, co-moments ``Cb``."""
        if nb == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.C = (
                nb,
                self.ops.copy(mb),
                {k: self.ops.copy(v) for k, v in Cb.items()},
            )
            return
        ops = self.ops
        n = self.n + nb
        delta = mb - self.mean
        f = self.n * nb / n
        for a, b in self.keys:
            sa, sb = self.slice(a), self.slice(b)
            self.C[(a, b)] = self.C[(a, b)] + Cb[(a, b)] + f * ops.outer(delta[sa], delta[sb])
        self.mean = self.mean + delta * (nb / n)
        self.n = n

    def merge(self, other: _Moments) -> None:
        if other.n == 0 and other.names is None:
            return
        if self.names is None and self.n == 0 and self.pairs_spec == other.pairs_spec:
            self._set_names(other.names)
        self._check_compatible(other)
        if other.n == 0:
            return
        if self.ops is None:
            self.ops = _ops_for(other.mean, self.device)
        if other.is_complex and not self.is_complex:
            self._promote_complex()
        ops = self.ops
        conv = (
            (lambda a: _to_backend(ops, a)) if not self.is_complex else (lambda a: _to_backend(ops, a) + 0j)
        )
        self.input_eps = max(self.input_eps, other.input_eps)
        self.n_batches += other.n_batches
        other = other._copy_aligned(self)  # reads both sides' maxima as they were
        self.amax = _joint_amax([(self.n, self.amax), (other.n, other.amax)])
        self._merge(other.n, conv(other.mean), {k: conv(v) for k, v in other.C.items()})

    def _copy_aligned(self, target: _Moments) -> _Moments:
        """Return this accumulator's statistics at ``target``'s exponents.

        ``target``'s exponents are lowered where this one needs smaller ones; ``self``
        itself is returned when they already agree.
        """
        names = self.names or ()
        if target.n:
            common = {}
            for x in names:  # a layer that holds only zeros on one side takes the other's
                mine, theirs = self.exps.get(x, 0), target.exps.get(x, 0)
                if self._holds_only_zeros(x, self.amax):
                    common[x] = theirs
                elif target._holds_only_zeros(x, target.amax):
                    common[x] = mine
                else:
                    common[x] = min(mine, theirs)
            target._align(common)
        else:
            common = {x: self.exps.get(x, 0) for x in names}
            target.exps.update(common)
        if all(self.exps.get(x, 0) == e for x, e in common.items()):
            return self
        other = _Moments.__new__(_Moments)
        other.__dict__.update(self.__dict__)
        other.mean = self.ops.copy(self.mean) if self.mean is not None else None
        other.C = {k: self.ops.copy(v) for k, v in self.C.items()}
        other.exps = dict(self.exps)
        other._align(common)
        return other

    def _check_compatible(self, other: _Moments) -> None:
        if other.names != self.names:
            raise ValueError(f"cannot merge accumulators of different layers: {self.names} and {other.names}")
        if self.keys != other.keys:
            raise ValueError(
                f"cannot merge accumulators of different pairs: {self.pairs_spec!r} and {other.pairs_spec!r}"
            )
        if self.widths and other.widths and self.widths != other.widths:
            raise ValueError(
                f"cannot merge accumulators of different widths: {self.widths} and {other.widths}"
            )
        if not self.widths and other.widths:
            self._layout(other.widths)

    # torch.distributed ---------------------------------------------------------------------
    def all_reduce(self, group: Any) -> None:
        import torch
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError(
                "all_reduce needs an initialised torch.distributed process group; call "
                "torch.distributed.init_process_group(...) in every process first"
            )
        world = dist.get_world_size(group)
        meta = (
            self.n, self.names, self.pairs_spec, self.widths or None, self.is_complex, self.input_eps,
            dict(self.exps) if self.n else None, self.amax,
        )  # fmt: skip
        metas: list[Any] = [None] * world
        dist.all_gather_object(metas, meta, group=group)
        known = [m for m in metas if m[3] is not None]
        if not known:
            return  # no process has seen a batch
        ref = known[0]
        for r, m in enumerate(metas):
            if m[3] is not None and (m[1], m[3]) != (ref[1], ref[3]):
                raise ValueError(
                    f"process {r} accumulated layers {m[1]} with widths {m[3]} but another one {ref[1]} with "
                    f"widths {ref[3]}; every process must accumulate the same layers"
                )
        if self.names is None:
            self._set_names(ref[1])
        if not self.widths:
            self._layout(ref[3])
        counts = [int(m[0]) for m in metas]
        seen = [m[6] for m in metas if m[6] is not None]
        common = {x: min(e.get(x, 0) for e in seen) for x in self.names} if seen else {}
        if self.n:
            self._align(common)
        else:
            self.exps = dict(common)
        is_complex = any(m[4] for m in metas)
        self.input_eps = max(m[5] for m in metas)
        self.amax = _joint_amax((m[0], m[7]) for m in metas)
        backend = dist.get_backend(group)
        if self.ops is not None and self.ops.name == "torch":
            comm = (
                self.ops.torch.device(self.ops.device) if self.ops.device is not None else torch.device("cpu")
            )
        else:
            comm = torch.device("cpu")
        if backend == "nccl" and comm.type != "cuda":
            comm = torch.device("cuda", torch.cuda.current_device())
        tops = TorchOps(dtype=np.float64, device=comm)
        P = sum(self.widths.values())
        cdtype = torch.complex128 if is_complex else torch.float64

        def local(a: Any) -> Any:
            return (tops.torch.as_tensor(to_numpy(a)) if not is_torch(a) else a).to(device=comm, dtype=cdtype)

        mean = local(self.mean) if self.n else torch.zeros(P, dtype=cdtype, device=comm)
        means = [torch.zeros(P, dtype=cdtype, device=comm) for _ in range(world)]
        dist.all_gather(means, mean, group=group)
        # the global mean, folded in rank order (identical on every process)
        n_tot, mu = 0, torch.zeros(P, dtype=cdtype, device=comm)
        for c, m in zip(counts, means):
            if c:
                n_tot += c
                mu = mu + (m - mu) * (c / n_tot)
        # each process's co-moments about the global mean, summed over processes
        d = mean - mu
        parts = []
        for a, b in self.keys:
            sa, sb = self.slice(a), self.slice(b)
            if self.n:
                blk = local(self.C[(a, b)]) + self.n * tops.outer(d[sa], d[sb])
            else:
                blk = torch.zeros((self.widths[a], self.widths[b]), dtype=cdtype, device=comm)
            parts.append(blk.reshape(-1))
        flat = torch.cat(parts)
        flat_real = torch.view_as_real(flat).reshape(-1) if is_complex else flat
        dist.all_reduce(flat_real, op=dist.ReduceOp.SUM, group=group)
        if is_complex:
            flat = torch.view_as_complex(flat_real.reshape(-1, 2))
        else:
            flat = flat_real
        if self.ops is None:
            self.ops = _ops_for(None, self.device)
        self.is_complex = is_complex
        back = (lambda t: t.to(self.ops.device)) if self.ops.name == "torch" else (lambda t: t.cpu().numpy())
        C, off = {}, 0
        for a, b in self.keys:
            size = self.widths[a] * self.widths[b]
            C[(a, b)] = back(flat[off : off + size].reshape(self.widths[a], self.widths[b]).clone())
            off += size
        self.C, self.mean, self.n = C, back(mu.clone()), n_tot
        self.n_batches = -1  # unknown after a reduction

    # state ---------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        arrays: dict[str, Any] = {}
        if self.n:
            arrays["mean"] = to_numpy(self.mean)
            if self.amax is not None:
                arrays["amax"] = self.amax
            for i, (a, b) in enumerate(self.keys):
                arrays[f"C{i}"] = to_numpy(self.C[(a, b)])
        meta = {
            "format": "svcca.streaming/1",
            "what": self.what,
            "names": list(self.names) if self.names is not None else None,
            "pairs": self.pairs_spec if self.pairs_spec == "all" else [list(p) for p in self.pairs_spec],
            "widths": [self.widths[x] for x in self.names] if self.widths else None,
            "n": self.n,
            "n_batches": self.n_batches,
            "input_eps": self.input_eps,
        }
        if any(self.exps.values()):  # extreme scales: the statistics are of the data times 2**exp
            meta["exps"] = [int(self.exps.get(x, 0)) for x in self.names]
        return {"meta": meta, "arrays": arrays}

    def load_state(self, state: Mapping[str, Any]) -> None:
        meta, arrays = state["meta"], state["arrays"]
        if meta.get("format") != "svcca.streaming/1":
            raise ValueError(f"not saved statistics of svcca.streaming; got format {meta.get('format')!r}")
        if meta["names"] is not None:
            self._set_names(tuple(meta["names"]))
        if meta["widths"] is not None:
            self._layout(dict(zip(self.names, meta["widths"])))
        self.n, self.n_batches, self.input_eps = (
            int(meta["n"]),
            int(meta["n_batches"]),
            float(meta["input_eps"]),
        )
        if meta.get("exps") is not None:
            self.exps = {x: int(e) for x, e in zip(self.names, meta["exps"])}
        if self.n:
            self.ops = _ops_for(None, self.device)
            self.mean = _to_backend(self.ops, arrays["mean"])
            self.is_complex = self.ops.is_complex(self.mean)
            self.C = {k: _to_backend(self.ops, arrays[f"C{i}"]) for i, k in enumerate(self.keys)}
            # statistics saved before the per-feature maxima were kept have none: the scale
            # check then falls back to the means and co-moments
            self.amax = np.asarray(arrays["amax"], dtype=np.float64) if "amax" in arrays else None


# --- finishing from statistics --------------------------------------------------------------


def _whiten_stats(
    ops: Any,
    n: int,
    mean: Any,
    C: Any,
    *,
    epsilon: float,
    rtol: float | None,
    input_eps: float,
    name: str,
    exp: int = 0,
) -> Whitened:
    """Return the core's Gram-path whitening from ``n``, the mean and ``C = Xc^H Xc``.

    As in :func:`svcca._cca.whiten`: constant features dropped with the same tolerance,
    the kept ones rescaled to the correlation matrix ``G``, Cholesky when ``G`` is well
    conditioned and otherwise an eigendecomposition that keeps the directions it resolves.
    """
    p = int(C.shape[0])
    eps64 = ops.real_dtype_eps(C)
    noise = max(n, p) * eps64
    norms = ops.sqrt(_clip0(ops, ops.diag_real(C)))
    # constant features from the compute precision, as svcca.cca (the statistics are float64)
    kept = ops.nonzero((norms > _col_scale_tolerance(ops.abs(mean), n, eps64)) & (norms > 0))
    n_kept = int(kept.shape[0])
    if n_kept == 0:
        _no_varying(name, p, n)
    scale = norms[kept]
    floors = None
    user_rtol = rtol is not None
    if rtol is None:
        rtol = max(n, p) * eps64
        if input_eps > eps64:  # the input's rounding, feature by feature, as svcca.cca's SVD path
            floors = _rounding_floors(_offset_ratio(ops, mean, kept, scale, n, p), n_kept, n, input_eps)
    Gs = C[kept][:, kept] / ops.outer(scale, scale)
    fields = _try_gram(
        ops, Gs, 1.0, epsilon, False, rtol, noise, user_rtol=user_rtol
    )  # Cholesky, as svcca.cca
    if not isinstance(fields, dict):  # as svcca.cca(algorithm="gram"), with the input's rounding
        if floors is not None:
            # a feature whose own rounding reaches its spread (float32 1000 +- 1e-5) carries no
            # direction: it is dropped as constant, so that it does not mix its rounding into
            # the floor of every direction it leans on by chance
            real = ops.nonzero(floors < 1.0)
            if int(real.shape[0]) == 0:
                _no_varying(name, p, n)
            if int(real.shape[0]) < n_kept:
                kept, scale, floors, Gs = kept[real], scale[real], floors[real], Gs[real][:, real]
                n_kept = int(kept.shape[0])
        fields = _try_gram(ops, Gs, 1.0, epsilon, True, rtol, noise, floors)
    assert isinstance(fields, dict)
    colscale = None
    if exp:  # statistics of the data times 2**exp: means and weights back in the data's units
        colscale = ops.from_numpy(np.full(p, 2.0**exp), like=mean)
        mean = mean / colscale
    return Whitened(
        mean=mean, kept=kept, scale=scale, algorithm="gram", n_samples=n, n_features=p,
        dropped_constant=p - n_kept, epsilon=epsilon, ops=ops, gram=Gs, colscale=colscale, **fields,
    )  # fmt: skip


def _cross_stats(wx: Whitened, wy: Whitened, Cxy: Any) -> Any:
    """``M = Z_x^H Z_y = W_x^H R_xy W_y``, ``R_xy`` the cross-correlation of the kept features."""
    ops = wx.ops
    R = Cxy[wx.kept][:, wy.kept] / ops.outer(wx.scale, wy.scale)
    return ops.ct(wy._apply_WH(ops.ct(wx._apply_WH(R))))


# a feature whose entries stay below 2**-480 once its layer is scaled (its largest entries
# near 1) has co-moments below 2**-960: near float64's underflow, where they lose their
# digits or vanish, and the feature would pass for a constant one
_SHARED_SCALE_MIN = 2.0**-480


def _check_shared_scale(
    ops: Any, n: int, mean: Any, C: Any, exp: int, name: Hashable, amax: np.ndarray | None = None
) -> None:
    """Raise where one layer's features span more scales than one float64 exponent can hold.

    The statistics of a layer share one power-of-two scale (SVCCA and PLS need the layer's
    own units), so a feature whose every value is below ``2**-480`` at that scale (about
    ``1e144`` times below an ordinary layer's largest values) would lose its co-moments to
    underflow, and with them a direction, silently; even a zero-mean one, which would then
    pass for dead. ``amax`` holds each feature's largest ``|value|`` over all batches (the
    data's own units): a feature that is tiny in one batch but not in others is kept.
    Statistics saved without ``amax`` are checked on their means and co-moments instead.
    """
    scale = 2.0**exp
    if amax is not None:
        size = np.asarray(amax, dtype=np.float64)
        tiny = (size > 0) & (size * scale < _SHARED_SCALE_MIN)
    else:
        size = np.abs(ops.to_numpy(mean)).astype(np.float64) / scale
        d = np.abs(ops.to_numpy(ops.diag_real(C))).astype(np.float64)
        tiny = (size > 0) & (size * scale < _SHARED_SCALE_MIN) & (d < n * _SHARED_SCALE_MIN**2)
    if tiny.any():
        j = int(np.argmax(tiny))
        largest = f" (up to {amax.max():.3g})" if amax is not None else ""
        raise ValueError(
            f"layer {name!r}: feature {j} (values {'up to' if amax is not None else 'about'} "
            f"{size[j]:.3g}) is too small beside the layer's largest values{largest} to accumulate "
            f"in float64 at one shared scale (every value below 2**-480 at the layer's scale, about "
            f"1e144 times below its largest); divide each feature by its scale first (CCA and PWCCA "
            f"do not change; SVCCA, PLS and CKA weigh features by variance), or compare the layers "
            f"in memory with svcca.cca, which scales each feature on its own"
        )


def _joint_amax(parts: Iterable[tuple[int, np.ndarray | None]]) -> np.ndarray | None:
    """Return the per-feature maxima of statistics joined from ``(n, amax)`` parts.

    A part without samples adds nothing; one with samples but no maxima (saved before they
    were kept) makes the joint maxima unknown (``None``).
    """
    seen = [(n, a) for n, a in parts if n]
    if not seen or any(a is None for _, a in seen):
        return None
    return np.maximum.reduce([np.asarray(a, dtype=np.float64) for _, a in seen])


def _exponent_for(amax: float) -> int:
    """Return the exponent ``e`` to scale a layer by (``2**e``).

    It is 0 for ordinary magnitudes, else one that brings its largest entry near 1 (the
    co-moments square it).
    """
    if not amax > 0 or 2.0**-200 < amax < 2.0**200:
        return 0
    return min(max(-int(np.frexp(amax)[1]), -1000), 1000)  # 2**e stays a float


def _reduce_stats(ops: Any, n: int, C: Any, keep: float | int) -> tuple[Any, Any, int, float]:
    """SVCCA's reduction (:func:`svcca._svcca.svd_reduce`) from ``C = Xc^H Xc``.

    Returns ``(s, V_k, k, explained)``: all ``min(n, p)`` singular values of the centred
    layer, the kept right singular vectors, their number and the variance they explain.
    ``k`` never exceeds the directions the statistics resolve, ``lam > sqrt(noise) lam_max``.
    """
    p = int(C.shape[0])
    lam, V = ops.eigh(C)
    lam, V = _flip(ops, ops.real(lam), 0), _flip(ops, V, 1)
    m = min(n, p)
    lam, V = _clip0(ops, lam[:m]), V[:, :m]
    s = ops.sqrt(lam)
    V, _ = _sign_flip(ops, V, ops.ct(V))
    k = n_directions_for(s, keep)
    lam_np = np.asarray(ops.to_numpy(lam), dtype=np.float64)
    resolved = int((lam_np > math.sqrt(max(n, p) * ops.real_dtype_eps(C)) * lam_np[0]).sum())
    k = max(1, min(k, resolved))
    total = float(lam_np.sum())
    explained = float(lam_np[:k].sum()) / total if total > 0 else 0.0
    return s, V[:, :k], k, explained


def _varying_stats(ops: Any, n: int, mean: Any, C: Any, eps: float) -> Any:
    norms = ops.sqrt(_clip0(ops, ops.diag_real(C)))
    return ops.nonzero((norms > _col_scale_tolerance(ops.abs(mean), n, eps)) & (norms > 0))


class _Finisher:
    """The finishing methods shared by both accumulators, for one pair of layers."""

    _m: _Moments

    def _need(self, what: str) -> None:
        if self._m.n < 2:
            raise ValueError(f"{what} needs at least 2 samples; this accumulator has seen {self._m.n}")

    def _pair_stats(self, a: Hashable, b: Hashable) -> tuple[Any, Any, Any, Any, Any]:
        """Means and co-moments of layers ``a`` and ``b``, as stored (times ``2**exps``)."""
        m = self._m
        for x in (a, b):
            self._check_scale(x)
        return m.mean[m.slice(a)], m.mean[m.slice(b)], m.block(a, a), m.block(b, b), m.block(a, b)

    def _check_scale(self, x: Hashable) -> None:
        m = self._m
        amax = m.amax[m.slice(x)] if m.amax is not None else None
        _check_shared_scale(m.ops, m.n, m.mean[m.slice(x)], m.block(x, x), self._exp(x), x, amax)

    def _exp(self, a: Hashable) -> int:
        return self._m.exps.get(a, 0)

    def _cka_pair(
        self, a: Hashable, b: Hashable, names: tuple[str, str], varying: dict[Hashable, Any] | None = None
    ) -> CKAResult:
        """Biased linear CKA of layers ``a`` and ``b`` from their co-moments (as :func:`svcca.linear_cka`).

        ``||C_ab||_F^2 / (||C_aa||_F ||C_bb||_F)`` over the features that vary: those constant
        up to rounding count as 0 and a layer with none is refused, as in memory. ``names``
        are the layers' names in messages; ``varying`` caches each layer's varying features
        across the pairs of a grid. The HSIC terms are scaled as :func:`svcca.linear_cka`'s,
        ``||Xc^T Yc||_F^2 / (n - 1)^2``, in the data's own units.
        """
        self._need("CKA")
        m, ops = self._m, self._m.ops
        if m.is_complex:
            raise ValueError("CKA takes real activations (as svcca.linear_cka); these statistics are complex")
        varying = {} if varying is None else varying
        for x, label in ((a, names[0]), (b, names[1])):
            if x not in varying:
                varying[x] = self._varying(x, label, "CKA")

        def fro2(x: Hashable, y: Hashable) -> float:  # ||C_xy||_F^2 of the varying features
            return float(ops.sum(ops.abs(m.block(x, y)[varying[x]][:, varying[y]]) ** 2))

        hab, haa, hbb = fro2(a, b), fro2(a, a), fro2(b, b)
        value = min(max(hab / math.sqrt(haa * hbb), 0.0), 1.0)  # the 2**exps cancel in the ratio
        ea, eb, scale = self._exp(a), self._exp(b), 1.0 / (m.n - 1) ** 2
        return CKAResult(
            cka=value, hsic_xy=_unscale(hab * scale, -2 * (ea + eb)), hsic_xx=_unscale(haa * scale, -4 * ea),
            hsic_yy=_unscale(hbb * scale, -4 * eb), debiased=False, algorithm="features", n_samples=m.n,
            n_features_x=m.widths[a], n_features_y=m.widths[b],
        )  # fmt: skip

    def _varying(self, x: Hashable, label: str, measure: str) -> Any:
        """Return the indices of layer ``x``'s features that vary (as in memory); none is an error."""
        m = self._m
        kept = _varying_stats(m.ops, m.n, m.mean[m.slice(x)], m.block(x, x), m.ops.real_dtype_eps(m.mean))
        if int(kept.shape[0]) == 0:
            raise DegenerateLayerError(
                f"{label} has no varying feature: all {m.widths[x]} features are constant "
                f"over the {m.n} samples (dead neurons?); {measure} is undefined for it"
            )
        return kept

    def _whiten(
        self, mean: Any, C: Any, name: str, epsilon: float, rtol: float | None, exp: int = 0
    ) -> Whitened:
        m = self._m
        return _whiten_stats(
            m.ops, m.n, mean, C, epsilon=epsilon, rtol=rtol, input_eps=m.input_eps, name=name, exp=exp
        )

    def _cca_pair(
        self, a: Hashable, b: Hashable, names: tuple[str, str], epsilon: float, rtol: float | None,
        warn: bool, directions: str | None = None,
    ) -> CCAResult:  # fmt: skip
        self._need("CCA")
        epsilon, rtol, warn = check_epsilon(epsilon), check_rtol(rtol), check_bool(warn, "warn")
        mx, my, Cxx, Cyy, Cxy = self._pair_stats(a, b)
        wx = self._whiten(mx, Cxx, names[0], epsilon, rtol, self._exp(a))
        wy = self._whiten(my, Cyy, names[1], epsilon, rtol, self._exp(b))
        if warn:
            warn_sample_size(self._m.n, wx.rank, wy.rank, stacklevel=4)
        return cca_from_whitened(wx, wy, cross=_cross_stats(wx, wy, Cxy), directions=directions)

    def _svcca_pair(
        self, a: Hashable, b: Hashable, names: tuple[str, str], keep: Any, epsilon: float, rtol: float | None,
        warn: bool,
    ) -> SVCCAResult:  # fmt: skip
        self._need("SVCCA")
        keep = check_keep(keep)  # resolved by the callers: a fraction (float) or a number (int)
        epsilon, rtol, warn = check_epsilon(epsilon), check_rtol(rtol), check_bool(warn, "warn")
        m, ops = self._m, self._m.ops
        mx, my, Cxx, Cyy, Cxy = self._pair_stats(a, b)
        for x, label in ((a, names[0]), (b, names[1])):  # a dead layer, named as in memory
            self._varying(x, label, "SVCCA")
        sx, Vx, kx, ex = _reduce_stats(ops, m.n, Cxx, keep)
        sy, Vy, ky, ey = _reduce_stats(ops, m.n, Cyy, keep)
        # the reduced layers (X - mean) V_k are centred, with co-moments V_k^H C V_k
        wx = self._whiten(ops.zeros((kx,), like=mx), ops.ct(Vx) @ Cxx @ Vx, names[0], epsilon, rtol)
        wy = self._whiten(ops.zeros((ky,), like=my), ops.ct(Vy) @ Cyy @ Vy, names[1], epsilon, rtol)
        if warn:
            warn_sample_size(m.n, wx.rank, wy.rank, stacklevel=4)
        inner = cca_from_whitened(wx, wy, cross=_cross_stats(wx, wy, ops.ct(Vx) @ Cxy @ Vy))
        eps = ops.real_dtype_eps(Cxx)
        x_kept, y_kept = _varying_stats(ops, m.n, mx, Cxx, eps), _varying_stats(ops, m.n, my, Cyy, eps)
        ea, eb = self._exp(a), self._exp(b)  # back to the data's units (exact powers of two)
        mx, my, sx, sy = mx * 2.0**-ea, my * 2.0**-eb, sx * 2.0**-ea, sy * 2.0**-eb

        def weights() -> dict[str, Any]:
            xw, yw = Vx @ inner.x_weights * 2.0**ea, Vy @ inner.y_weights * 2.0**eb
            xw, yw = _fix_signs(ops, _only_rows(ops, xw, x_kept), _only_rows(ops, yw, y_kept))
            return {"x_weights": xw, "y_weights": yw}

        return _cca_result(
            SVCCAResult, wx, wy, inner.rho, weights, x_kept=x_kept, y_kept=y_kept, x_mean=mx, y_mean=my,
            keep=keep if isinstance(keep, float) else None,
            n_directions=keep if isinstance(keep, int) else None,
            x_dims=wx.rank, y_dims=wy.rank,  # as svcca.svcca: the directions compared
            x_explained=ex, y_explained=ey, x_singular_values=sx, y_singular_values=sy,
        )  # fmt: skip

    def _pwcca_pair(
        self, a: Hashable, b: Hashable, names: tuple[str, str], side: str, epsilon: float, rtol: float | None,
        warn: bool,
    ) -> PWCCAResult:  # fmt: skip
        check_option(side, "side", _PWCCA_SIDES)
        res = self._cca_pair(a, b, names, epsilon, rtol, warn, directions=DIRECTIONS[side])
        side, alpha, x_alpha, y_alpha = pair_alphas(res, side)
        value = float((alpha * res.rho).sum())
        return _extend(
            res, PWCCAResult, side=side, alpha=alpha, x_alpha=x_alpha, y_alpha=y_alpha, pwcca=value
        )

    def _pls_pair(
        self, a: Hashable, b: Hashable, names: tuple[str, str], n_components: int | None, rtol: float | None
    ) -> PLSResult:
        self._need("PLS")
        m, ops = self._m, self._m.ops
        n = m.n
        mx, my, Cxx, Cyy, Cxy = self._pair_stats(a, b)
        # features constant up to rounding are 0, as svcca.pls's centred data have them
        vx, vy = (
            ops.from_numpy(
                np.isin(np.arange(m.widths[x]), ops.to_numpy(self._varying(x, label, "PLS"))), like=Cxy
            )
            for x, label in ((a, names[0]), (b, names[1]))
        )
        if not (bool(vx.all()) and bool(vy.all())):
            Cxx, Cyy, Cxy = Cxx * ops.outer(vx, vx), Cyy * ops.outer(vy, vy), Cxy * ops.outer(vx, vy)
        n_components = check_int(n_components, "n_components", allow_none=True)
        U, s, V, share = _pls_directions(ops, Cxy / (n - 1), n_components, rtol)
        # |Xc u|^2 = u^H C_xx u
        sx = ops.sqrt(ops.real(ops.sum(U.conj() * (Cxx @ U), axis=0)))
        sy = ops.sqrt(ops.real(ops.sum(V.conj() * (Cyy @ V), axis=0)))
        if rtol is None and m.input_eps > ops.real_dtype_eps(Cxy):

            def col_ms(mean: Any, C: Any) -> Any:  # each column's mean square of the raw entries
                return ops.diag_real(C) / n + ops.abs(mean) ** 2

            tx = rounding_floor(ops, n, m.input_eps, col_ms(mx, Cxx), U)
            ty = rounding_floor(ops, n, m.input_eps, col_ms(my, Cyy), V)
            what = f"eps={m.input_eps:.1e}; layers {a!r} and {b!r}, {n} samples"
            sx, sy, U, s, V, share = resolved_pairs(ops, tx, ty, sx, sy, U, s, V, share, what=what)
        corr = ops.clip01(s * (n - 1) / (sx * sy))
        ea, eb = self._exp(a), self._exp(b)
        with np.errstate(over="ignore"):  # back to the data's units (inf beyond the float range)
            s, mx, my = s * 2.0**-ea * 2.0**-eb, mx * 2.0**-ea, my * 2.0**-eb
        return PLSResult(
            covariances=s, x_weights=U, y_weights=V, x_mean=mx, y_mean=my, n_samples=n,
            correlations=corr,
            x_scores=_NoData("PLS scores (x_scores)"), y_scores=_NoData("PLS scores (y_scores)"),
            explained_covariance_ratio=share,
        )  # fmt: skip


def _save(state: dict[str, Any], path: str | os.PathLike) -> None:
    """Write ``state`` to ``path`` (.npz) through the one atomic writer (fsync, rename, umask)."""
    atomic_write(path, lambda fh: np.savez(fh, meta=np.array(json.dumps(state["meta"])), **state["arrays"]))


def _load(path: str | os.PathLike) -> dict[str, Any]:
    try:
        with np.load(os.fspath(path), allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            arrays = {k: f[k] for k in f.files if k != "meta"}
    except FileNotFoundError:
        raise
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ValueError(
            f"{os.fspath(path)} is not statistics saved by svcca.streaming (an .npz written by "
            f".save()): {type(exc).__name__}: {exc}"
        ) from exc
    return {"meta": meta, "arrays": arrays}


# --- public classes ------------------------------------------------------------------------------

_Acc = TypeVar("_Acc", bound="MultiLayerAccumulator")


class MultiLayerAccumulator(_Finisher):
    """Streaming statistics of several named layers over the same samples.

    Accumulates each layer's mean and co-moment and the cross-products of every pair of
    layers (``pairs="all"``) or only of the pairs asked for. ``update({name: batch})`` is
    the sink protocol of :func:`svcca.nn.activations.record`, so a recording can stream
    straight into it: ``record(model, data, sink=MultiLayerAccumulator())``.

    Parameters
    ----------
    names : sequence of hashable, optional
        The layers, in order; default: the keys of the first batch, or, when ``pairs`` is a
        list, the layers it names, in order of appearance. Layers in a batch but not in
        ``names`` are ignored.
    pairs : "all" or sequence of (name, name), default "all"
        Which cross-products to keep. Memory is O(sum of widths^2) for ``"all"``; a list
        keeps only each named layer's own block and the listed cross blocks.
    device : str or torch.device, optional
        Keep the statistics on this device (``"auto"``: a GPU when one is usable, else the
        CPU); default: where the first batch is. Checked here: a GPU this machine lacks or
        a name torch does not know is a ``ValueError``.
    max_bytes : int or None, default 4 GiB
        Refuse layers whose statistics would need more memory; ``None`` for no limit.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> from svcca.streaming import MultiLayerAccumulator
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((4000, 6))
    >>> layers = {"a": x, "b": np.tanh(x @ rng.standard_normal((6, 8))), "c": rng.standard_normal((4000, 5))}
    >>> acc = MultiLayerAccumulator()
    >>> for i in range(0, 4000, 1000):
    ...     _ = acc.update({k: v[i : i + 1000] for k, v in layers.items()})
    >>> grid = acc.similarity_matrix(measure="cca")
    >>> np.allclose(grid.values, svcca.similarity_matrix(layers).values, atol=1e-10)
    True
    >>> round(acc.pair("a", "b").cca().similarity, 2)
    0.84
    """

    _KIND = "MultiLayerAccumulator"  # the class a saved file belongs to (its "what")

    def __init__(
        self,
        names: Sequence[Hashable] | None = None,
        *,
        pairs: str | Sequence[tuple[Hashable, Hashable]] = "all",
        device: Any = None,
        max_bytes: int | None = _DEFAULT_MAX_BYTES,
    ) -> None:
        if isinstance(pairs, str) and pairs != "all":
            raise ValueError(f'pairs must be "all" or a list of (layer, layer) pairs; got {pairs!r}')
        self._m = _Moments(names, pairs, device, max_bytes, self._KIND)

    def update(self, batch: Mapping[Hashable, Any] | Sequence[Any]) -> MultiLayerAccumulator:
        """Add one batch of every layer.

        Parameters
        ----------
        batch : dict of name -> array, or sequence of arrays
            Each of shape ``(batch_size, n_features)`` (higher-dimensional arrays such as
            conv ``(batch_size, height, width, channels)`` are flattened per sample), the
            same rows for every layer. A sequence is matched to ``names`` (default ``0, 1, ...``).

        Returns
        -------
        MultiLayerAccumulator
            ``self``.

        Raises
        ------
        ValueError
            For a missing layer, different row counts across layers, a width that changed,
            NaN/Inf, or statistics larger than ``max_bytes``.
        """
        if not isinstance(batch, Mapping):
            if isinstance(batch, (list, tuple)):
                names = self._m.names if self._m.names is not None else tuple(range(len(batch)))
                if len(names) != len(batch):
                    raise ValueError(
                        f"a batch sequence must have one array per layer {list(names)}; got {len(batch)}"
                    )
                batch = dict(zip(names, batch))
            else:
                raise TypeError(
                    f"batch must be a dict of name -> array or a sequence of arrays; got "
                    f"{type(batch).__name__}"
                )
        self._m.update(batch, {})
        return self

    def _update_item(self, i: int, item: Any) -> None:
        """Add item ``i`` of :meth:`update_from`'s iterable (a batch as :meth:`update` takes it)."""
        self.update(item)

    def update_from(self: _Acc, batches: Iterable[Any], *, progress: bool = False) -> _Acc:
        """Add every batch of an iterable, e.g. a ``torch.utils.data.DataLoader``.

        Parameters
        ----------
        batches : iterable
            Batches as :meth:`update` takes them: a dict or a sequence of arrays here, an
            ``(X, Y)`` pair for :class:`PairAccumulator` (a ``DataLoader`` over a
            ``TensorDataset(X, Y)`` yields such pairs).
        progress : bool, default False
            Show a tqdm progress bar.

        Returns
        -------
        MultiLayerAccumulator or PairAccumulator
            ``self``, so calls chain.
        """
        from tqdm.auto import tqdm

        progress = check_bool(progress, "progress")
        total = len(batches) if hasattr(batches, "__len__") else None  # type: ignore[arg-type]
        for i, item in enumerate(
            tqdm(batches, total=total, disable=not progress, desc="accumulating", leave=False)
        ):
            self._update_item(i, item)
        return self

    def merge(self: _Acc, *others: _Acc) -> _Acc:
        """Fold the statistics of other accumulators into this one.

        They must have the same class, layers and pairs (e.g. other workers' parts).

        The result is the same as if every batch had gone through this accumulator (to
        rounding). The others are not changed.

        Parameters
        ----------
        *others : MultiLayerAccumulator or PairAccumulator
            Accumulators of this one's class.

        Returns
        -------
        MultiLayerAccumulator or PairAccumulator
            ``self``.

        Raises
        ------
        TypeError
            For an accumulator of another class.
        ValueError
            When the layers, the pairs or the layers' widths differ.
        """
        for other in others:
            if type(other) is not type(self):
                raise TypeError(f"can only merge {type(self).__name__} objects; got {type(other).__name__}")
            self._m.merge(other._m)
        return self

    def all_reduce(self: _Acc, group: Any = None) -> _Acc:
        """Combine the statistics of every process of a ``torch.distributed`` group, in place.

        Call it in every process (it is a collective). Afterwards each process holds the
        statistics of all samples, exactly as if one process had seen every batch: the
        partial co-moments are shifted to the global mean and summed by an all-reduce.

        Parameters
        ----------
        group : torch.distributed.ProcessGroup, optional
            Default: the whole world.

        Returns
        -------
        MultiLayerAccumulator or PairAccumulator
            ``self``, now holding the statistics of the whole group.

        Raises
        ------
        RuntimeError
            When no process group is initialised.
        ValueError
            When processes accumulated layers of different widths.
        """
        self._m.all_reduce(group)
        return self

    def copy(self: _Acc) -> _Acc:
        """Return an independent copy (merging into it leaves this one unchanged)."""
        m = self._m
        new = _copy.copy(self)  # the same class and labels, with statistics of its own
        new._m = _Moments(m.names, m.pairs_spec, m.device, m.max_bytes, m.what)
        new._m.merge(m)
        new._m.n_batches = m.n_batches
        return new

    def save(self, path: str | os.PathLike) -> None:
        """Write the statistics to an ``.npz`` file (atomically; no pickles).

        The parts computed on several machines can then be merged with :meth:`load` and
        :meth:`merge`. Layer names must be strings or ints (they are stored as JSON).

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (an existing one is replaced whole, never half-written).

        Raises
        ------
        ValueError
            When a layer name is neither a str nor an int (nothing is written).
        """
        odd = [x for x in self.names if isinstance(x, bool) or not isinstance(x, (str, int))]
        if odd:
            raise ValueError(
                f"save stores layer names as JSON, so they must be str or int; got {odd[0]!r} "
                f"({type(odd[0]).__name__}); name the layers with strings to save them"
            )
        _save(self._m.state(), path)

    @classmethod
    def _from_meta(cls: type[_Acc], meta: Mapping[str, Any], device: Any) -> _Acc:
        """Return an empty accumulator for the layers and pairs a saved file describes."""
        pairs = meta["pairs"] if meta["pairs"] == "all" else [tuple(p) for p in meta["pairs"]]
        return cls(meta["names"], pairs=pairs, device=device)

    @classmethod
    def load(cls: type[_Acc], path: str | os.PathLike, *, device: Any = None) -> _Acc:
        """Read statistics written by :meth:`save` of the same class.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.npz`` file.
        device : str or torch.device, optional
            Put the statistics on this device (checked as the constructor's ``device``);
            default numpy.

        Returns
        -------
        MultiLayerAccumulator or PairAccumulator
        """
        state = _load(path)
        what = state["meta"].get("what")
        if what != cls._KIND:
            raise ValueError(f"{os.fspath(path)} holds {what!r} statistics, not {cls._KIND}")
        acc = cls._from_meta(state["meta"], device)
        acc._m.load_state(state)
        return acc

    @property
    def n_samples(self) -> int:
        """Number of samples seen."""
        return self._m.n

    @property
    def names(self) -> tuple:
        """The layers (empty before the first batch when not given)."""
        return self._m.names or ()

    def mean(self, name: Hashable) -> Any:
        """Return the running mean of one layer.

        Parameters
        ----------
        name : hashable
            A layer of :attr:`names`.

        Returns
        -------
        array or torch.Tensor of shape (n_features,)
        """
        self._check_name(name)
        return self._m.true_mean(name)

    def covariance(self, a: Hashable, b: Hashable | None = None) -> Any:
        """Return the sample covariance ``Sigma_ab = C_ab / (n - 1)`` of two layers.

        Parameters
        ----------
        a : hashable
            A layer of :attr:`names` (the rows).
        b : hashable, optional
            Another (the columns); default ``a``.

        Returns
        -------
        array or torch.Tensor of shape (n_features_a, n_features_b)
        """
        b = a if b is None else b
        self._check_name(a)
        self._check_name(b)
        self._need("a covariance")
        return self._m.true_block(a, b) / (self._m.n - 1)

    def _check_name(self, name: Hashable) -> None:
        if name not in self.names:
            raise KeyError(f"unknown layer {name!r}; the accumulator has {list(self.names)}")

    def pair(self, a: Hashable, b: Hashable) -> PairAccumulator:
        """Return the statistics of two layers as a :class:`PairAccumulator` (``X = a``, ``Y = b``).

        Finish it with ``.cca()``, ``.svcca()``, ``.pwcca()``, ``.pls()`` or ``.cka()``.

        Parameters
        ----------
        a, b : hashable
            Layers of :attr:`names`; their cross block must have been kept (``pairs``).

        Returns
        -------
        PairAccumulator
            A copy: updating it does not change this accumulator.
        """
        self._check_name(a)
        self._check_name(b)
        m = self._m
        out = PairAccumulator(device=m.device, max_bytes=None)
        out._labels = (f"layer {a!r}", f"layer {b!r}")
        om = out._m
        om._layout({"X": m.widths[a], "Y": m.widths[b]})
        om.exps = {"X": m.exps.get(a, 0), "Y": m.exps.get(b, 0)}
        om.n, om.n_batches, om.ops, om.is_complex, om.input_eps = (
            m.n,
            m.n_batches,
            m.ops,
            m.is_complex,
            m.input_eps,
        )
        if m.n:
            ops = m.ops
            if m.amax is not None:
                om.amax = np.concatenate([m.amax[m.slice(a)], m.amax[m.slice(b)]])
            om.mean = ops.concat([m.mean[m.slice(a)], m.mean[m.slice(b)]])
            om.C = {
                ("X", "X"): ops.copy(m.block(a, a)),
                ("X", "Y"): ops.copy(m.block(a, b)),
                ("Y", "Y"): ops.copy(m.block(b, b)),
            }
        return out

    def __repr__(self) -> str:
        """Return a one-line summary: samples seen, layers and pairs."""
        m = self._m
        return f"MultiLayerAccumulator(n_samples={m.n}, layers={list(self.names)}, pairs={m.pairs_spec!r})"

    def similarity_matrix(
        self,
        rows: Sequence[Hashable] | None = None,
        cols: Sequence[Hashable] | None = None,
        *,
        measure: str | Measure = "cca",
        measure_options: Mapping[str, Any] | None = None,
        warn: bool = True,
        progress: bool = False,
    ) -> SimilarityMatrix:
        """Layer x layer similarities from the statistics, as :func:`svcca.similarity_matrix`.

        Parameters
        ----------
        rows, cols : sequence of names, optional
            The row and column layers; default all (``cols`` defaults to ``rows``, giving a
            symmetric grid whose upper triangle is computed once).
        measure : {"cca", "svcca", "pwcca", "cka"} or svcca.Measure, default "cca"
            As in :func:`svcca.similarity_matrix`, for the measures that second moments
            determine (``"cca"``, ``"svcca"``, ``"pwcca"``, ``"cka"``). CKA is the biased linear CKA
            ``||C_ab||_F^2 / (||C_aa||_F ||C_bb||_F)`` of real layers, features constant up to
            rounding left out and a layer with none varying refused (as in memory); the
            debiased one needs the samples.
        measure_options, warn, progress
            As in :func:`svcca.similarity_matrix`.

        Returns
        -------
        SimilarityMatrix
        """
        from tqdm.auto import tqdm

        warn, progress = check_bool(warn, "warn"), check_bool(progress, "progress")
        chosen = resolve(measure, measure_options)
        which, opts = check_option(chosen.name, "measure", STREAMING_MEASURES), chosen.options
        if which == "cka" and opts["debiased"]:
            raise ValueError(_DEBIASED_CKA)
        self._need("similarity_matrix")
        rows = tuple(self.names) if rows is None else tuple(rows)
        symmetric = cols is None or tuple(cols) == rows
        cols = rows if cols is None else tuple(cols)
        for name in rows + cols:
            self._check_name(name)
        mirror = symmetric and not (which == "pwcca" and opts["side"] != "symmetric")
        pairs = [(i, j) for i in range(len(rows)) for j in range(len(cols)) if not mirror or j >= i]
        values = np.full((len(rows), len(cols)), np.nan)
        m = self._m
        cache: dict[Hashable, Any] = {}

        def whitened(name: Hashable) -> Whitened:  # each layer whitened once
            if name not in cache:
                self._check_scale(name)
                cache[name] = self._whiten(
                    m.mean[m.slice(name)],
                    m.block(name, name),
                    f"layer {name!r}",
                    opts["epsilon"],
                    opts["rtol"],
                    self._exp(name),
                )
            return cache[name]

        def names(a: Hashable, b: Hashable) -> tuple[str, str]:
            return f"layer {a!r}", f"layer {b!r}"

        varying: dict[Hashable, Any] = {}  # each layer's varying features, for CKA

        reduced_ranks = [0, 0]  # svcca: the largest reduced rank among the rows and among the columns
        if which in ("cca", "pwcca") and warn:
            warn_sample_size(m.n, max(whitened(r).rank for r in rows), max(whitened(c).rank for c in cols))
        for i, j in tqdm(pairs, disable=not progress, desc=f"similarity_matrix ({which})", leave=False):
            a, b = rows[i], cols[j]
            if which == "cca":
                wa, wb = whitened(a), whitened(b)
                values[i, j] = cca_from_whitened(wa, wb, cross=_cross_stats(wa, wb, m.block(a, b))).mean
            elif which == "svcca":
                sv = self._svcca_pair(a, b, names(a, b), _keep_of(opts), opts["epsilon"], opts["rtol"], False)
                values[i, j] = sv.similarity
                reduced_ranks[0], reduced_ranks[1] = (
                    max(reduced_ranks[0], sv.x_rank),
                    max(reduced_ranks[1], sv.y_rank),
                )
            elif which == "pwcca":
                pw = self._pwcca_pair(a, b, names(a, b), opts["side"], opts["epsilon"], opts["rtol"], False)
                values[i, j] = pw.similarity
            else:
                values[i, j] = self._cka_pair(a, b, names(a, b), varying).cka
            if mirror:
                values[j, i] = values[i, j]
        if which == "svcca" and warn:  # the reduced layers' ranks, as the in-memory grid warns
            warn_sample_size(m.n, *reduced_ranks)
        values.setflags(write=False)
        return SimilarityMatrix(values=values, row_labels=rows, col_labels=cols, measure=which, options=opts)


class PairAccumulator(MultiLayerAccumulator):
    """Streaming CCA, SVCCA, PWCCA, PLS and CKA of two layers: batches in, the usual results out.

    Keeps the sample count, the two means and the co-moments ``X^T X``, ``X^T Y``,
    ``Y^T Y`` of the centred data in float64, on the device of the first batch (a numpy
    batch keeps them in numpy). Memory is O((p + q)^2), whatever the number of samples.

    Parameters
    ----------
    device : str or torch.device, optional
        Keep the statistics as torch tensors on this device (``"auto"``: a GPU when one is
        usable, else the CPU); default: where the first batch is (numpy for numpy batches).
        Checked here: a GPU this machine lacks or a name torch does not know is a
        ``ValueError``.
    max_bytes : int or None, default 4 GiB
        Refuse layers whose statistics would need more memory (conv layers flattened per
        sample grow fast); ``None`` for no limit.

    Attributes
    ----------
    n_samples : int
        Samples seen so far.
    x_mean, y_mean : arrays
        The running means.

    See Also
    --------
    MultiLayerAccumulator : several layers over the same samples; a PairAccumulator is one
        with the two layers ``"X"`` and ``"Y"``, and shares its merging, saving and reading.

    Notes
    -----
    Batches are centred on their own means and merged by the pairwise update of Chan,
    Golub and LeVeque (1979), so offsets as large as 1e6 cost little accuracy (module
    notes: about ``eps |offset| / spread``), and
    :meth:`merge` (in a process) and :meth:`all_reduce` (across processes) combine
    partial statistics exactly. The results equal the in-memory functions to about
    1e-10 when the kept spectrum is not too ill-conditioned (module notes). Canonical
    variates and PLS scores need the samples and are not available: accessing them
    raises ``AttributeError``.

    References
    ----------
    Chan, Golub, LeVeque (1979), Updating formulae and a pairwise algorithm for computing
    sample variances, Stanford CS report STAN-CS-79-773.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> from svcca.streaming import PairAccumulator
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((10_000, 8)) + 1e6           # large offsets are harmless
    >>> Y = X @ rng.standard_normal((8, 5)) + rng.standard_normal((10_000, 5))
    >>> acc = PairAccumulator()
    >>> for i in range(0, 10_000, 3000):                     # batches of any size
    ...     _ = acc.update(X[i : i + 3000], Y[i : i + 3000])
    >>> res = acc.cca()
    >>> acc.n_samples, abs(res.similarity - svcca.cca(X, Y).similarity) < 1e-10
    (10000, True)
    """

    _KIND = "PairAccumulator"
    _DISPLAY: dict[Hashable, str] = {"X": "X", "Y": "Y"}

    def __init__(self, *, device: Any = None, max_bytes: int | None = _DEFAULT_MAX_BYTES) -> None:
        super().__init__(("X", "Y"), device=device, max_bytes=max_bytes)
        self._labels = ("X", "Y")  # names in error messages (the layers' names after pair())

    @classmethod
    def _from_meta(cls, meta: Mapping[str, Any], device: Any) -> PairAccumulator:
        return cls(device=device)

    def update(self, X: Any, Y: Any) -> PairAccumulator:  # type: ignore[override]
        """Add a batch of samples.

        Parameters
        ----------
        X : array-like or torch.Tensor of shape (batch_size, n_features_x)
            The first layer's activations for the batch (samples first). Arrays with more
            dimensions, such as conv ``(batch_size, height, width, channels)``, are
            flattened per sample; for positions as samples pass ``X.reshape(-1, channels)``.
        Y : array-like or torch.Tensor of shape (batch_size, n_features_y)
            The second layer's activations for the same samples.

        Returns
        -------
        PairAccumulator
            ``self``, so calls chain.

        Raises
        ------
        ValueError
            For NaN/Inf, 1-D input, different row counts in ``X`` and ``Y``, or a width that
            differs from the earlier batches'.
        """
        self._m.update({"X": X, "Y": Y}, self._DISPLAY)
        return self

    def _update_item(self, i: int, item: Any) -> None:
        if isinstance(item, Mapping) or not isinstance(item, (tuple, list)) or len(item) != 2:
            got = f"a {type(item).__name__} of length {len(item)}" if hasattr(item, "__len__") else repr(item)
            raise TypeError(f"each batch must be an (X, Y) pair; batch {i} is {got}")
        self.update(item[0], item[1])

    # --- read-outs ------------------------------------------------------------------------------
    @property
    def x_mean(self) -> Any:
        """Mean of the X samples seen (None before the first batch)."""
        return None if self._m.mean is None else self._m.true_mean("X")

    @property
    def y_mean(self) -> Any:
        """Mean of the Y samples seen (None before the first batch)."""
        return None if self._m.mean is None else self._m.true_mean("Y")

    def covariance(self, a: Hashable = "X", b: Hashable | None = "Y") -> Any:
        """Sample (cross-)covariance ``Sigma_ab = C_ab / (n - 1)`` with ``a``, ``b`` in {"X", "Y"}."""
        check_option(a, "a", ("X", "Y"))
        check_option(b, "b", ("X", "Y"))
        self._need("a covariance")
        return self._m.true_block(a, b) / (self._m.n - 1)

    def __repr__(self) -> str:
        """Return a one-line summary: samples seen and the widths of the two sides."""
        w = self._m.widths
        shape = f"X: {w['X']} features, Y: {w['Y']} features" if w else "no batch yet"
        return f"PairAccumulator(n_samples={self._m.n}, {shape})"

    # --- finishing ------------------------------------------------------------------------------
    def cca(self, *, epsilon: float = 0.0, rtol: float | None = None, warn: bool = True) -> CCAResult:
        """Canonical correlation analysis from the statistics (as :func:`svcca.cca`).

        Parameters
        ----------
        epsilon : float, default 0.0
            Ridge on each side's correlation matrix, as in :func:`svcca.cca`.
        rtol : float, optional
            Directions with singular value ``<= rtol * s_max`` are dropped; default
            ``sqrt(max(n_samples, n_features) * eps)`` (module notes).
        warn : bool, default True
            Warn (:class:`svcca.SampleSizeWarning`) when ``x_rank + y_rank > n_samples - 1``.

        Returns
        -------
        CCAResult
            ``x_algorithm = y_algorithm = "gram"``; variates are not available.

        Raises
        ------
        ValueError
            Fewer than 2 samples seen, or a side with no varying feature.
        """
        return self._cca_pair("X", "Y", self._labels, epsilon, rtol, warn)

    def svcca(
        self,
        *,
        keep: float | None = None,
        n_components: int | None = None,
        epsilon: float = 0.0,
        rtol: float | None = None,
        warn: bool = True,
    ) -> SVCCAResult:
        """Compute SVCCA from the statistics (as :func:`svcca.svcca`).

        The SVD reduction comes from the eigendecomposition of each side's covariance.

        Parameters
        ----------
        keep : float, default 0.99
            Variance fraction in (0, 1] per side (an int is refused). A direction whose
            variance is below ``sqrt(max(n, p) eps)`` of the largest (about 5e-7 in float64
            for 1,000 samples) is never kept: the covariance's eigendecomposition does not
            resolve it well enough to whiten it, so ``keep=1.0`` can keep fewer directions
            than :func:`svcca.svcca` on the same data, which resolves them from the samples.
        n_components : int, optional
            Instead of ``keep``: the number of directions per side (capped alike).
        epsilon, rtol, warn
            As in :meth:`cca`.

        Returns
        -------
        SVCCAResult
        """
        return self._svcca_pair("X", "Y", self._labels, resolve_keep(keep, n_components), epsilon, rtol, warn)

    def pwcca(
        self, *, side: str = "x", epsilon: float = 0.0, rtol: float | None = None, warn: bool = True
    ) -> PWCCAResult:
        """Projection-weighted CCA from the statistics (as :func:`svcca.pwcca`).

        The weights need only ``<h_i, x_j> = (C_xx a_i)_j``, the co-moment times the weights.

        Parameters
        ----------
        side : {"x", "y", "smaller", "symmetric"}, default "x"
            Whose activations define the weights, as in :func:`svcca.pwcca`.
        epsilon, rtol, warn
            As in :meth:`cca`.

        Returns
        -------
        PWCCAResult
        """
        return self._pwcca_pair("X", "Y", self._labels, side, epsilon, rtol, warn)

    def cka(self, *, debiased: bool = False) -> CKAResult:
        """Linear CKA from the statistics (as :func:`svcca.linear_cka`).

        The same computation as ``similarity_matrix(measure="cka")`` for the two layers:
        ``||C_xy||_F^2 / (||C_xx||_F ||C_yy||_F)`` of real layers, features constant up to
        rounding left out.

        Parameters
        ----------
        debiased : bool, default False
            Only the biased CKA is available: the debiased one needs the samples (each
            sample's own kernel terms), so ``True`` is refused.

        Returns
        -------
        CKAResult
            ``algorithm="features"``; the HSIC terms are scaled as :func:`svcca.linear_cka`'s.

        Raises
        ------
        ValueError
            Fewer than 2 samples seen, complex statistics, ``debiased=True``, or a side with
            no varying feature (:class:`svcca.DegenerateLayerError`).
        TypeError
            For a ``debiased`` that is not a bool.

        Examples
        --------
        Two halves streamed give the CKA of the whole:

        >>> import numpy as np, svcca
        >>> from svcca.streaming import PairAccumulator
        >>> X, Y = np.split(np.random.default_rng(0).standard_normal((2000, 10)), [6], axis=1)
        >>> Y += X[:, :4]
        >>> acc = PairAccumulator().update(X[:1000], Y[:1000]).update(X[1000:], Y[1000:])
        >>> abs(acc.cka().similarity - svcca.linear_cka(X, Y).similarity) < 1e-10
        True
        """
        if check_bool(debiased, "debiased"):
            raise ValueError(_DEBIASED_CKA)
        return self._cka_pair("X", "Y", self._labels)

    def pls(self, *, n_components: int | None = None, rtol: float | None = None) -> PLSResult:
        """Partial least squares from the statistics (as :func:`svcca.pls`); scores are not available.

        Parameters
        ----------
        n_components : int, optional
            Keep at most this many pairs; by default every pair with a non-zero covariance.
        rtol : float, optional
            Pairs with covariance ``<= rtol * max`` are dropped; the default is
            :func:`svcca.pls`'s (with the input's own rounding for float32 activations).

        Returns
        -------
        PLSResult
            ``x_scores`` and ``y_scores`` raise: the samples were not kept.
        """
        return self._pls_pair("X", "Y", self._labels, n_components, rtol)
