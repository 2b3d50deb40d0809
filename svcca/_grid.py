"""Layer x layer similarity grids that prepare every layer once.

Comparing every layer of one network with every layer of another is the typical SVCCA
figure (Raghu et al. 2017, fig. 4; Kornblith et al. 2019, fig. 5). Calling ``svcca.cca``
once per pair recentres, rescales and whitens each layer once *per pair*; here each layer
is prepared once and only the pairwise work is repeated:

- ``"cca"``, ``"pwcca"``: centre, drop constant features and whiten once
  (:func:`svcca._cca.whiten`); per pair, the cross-product of the whitened bases and its
  singular values (:func:`svcca._cca.cca_from_whitened`'s first half);
- ``"svcca"``: the reduction of each layer once (:func:`svcca._svcca.reduce_and_whiten`),
  then as ``"cca"``;
- ``"pwcca"`` also keeps each layer's ``Xc^T Xc`` (from its whitening, without a pass over
  the samples) so the projection weights cost O(p^2 k) per pair instead of O(n p k);
- ``"cka"``: centre once and keep either the centred data or, when a layer has at least as
  many features as samples, its n x n Gram matrix; per pair one Frobenius inner product.

A grid of one set of layers with itself (``layers_b=None``) is symmetric for every method
except PWCCA weighted from one side: the upper triangle is computed and mirrored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._backend import get_ops, is_torch
from ._cca import cca_from_whitened, whiten
from ._pwcca import projection_weights_from_comoment
from ._svcca import reduce_and_whiten
from ._validation import check_array, check_option, resolve_keep, shape_of, warn_sample_size

__all__ = ["SimilarityMatrix", "similarity_matrix"]

METHODS = ("cca", "svcca", "pwcca", "cka")
_PWCCA_SIDES = ("x", "y", "smaller", "symmetric")


@dataclass(frozen=True, eq=False)
class SimilarityMatrix:
    """A labelled layer x layer similarity matrix, ready for plotting.

    Attributes
    ----------
    values : numpy.ndarray of shape (n_rows, n_cols)
        ``values[i, j]`` is the similarity of row layer ``i`` and column layer ``j`` (the
        ``.similarity`` of the per-pair result). Read-only.
    row_labels, col_labels : tuple
        The layers' names: the dict keys, or ``0, 1, ...`` for lists.
    method : str
        The measure: ``"cca"``, ``"svcca"``, ``"pwcca"`` or ``"cka"``.
    options : dict
        The measure's options that were used (``keep``, ``side``, ``debiased``,
        ``epsilon``, ...).

    Examples
    --------
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 4))
    >>> m = svcca.similarity_matrix({"a": X, "b": X @ rng.standard_normal((4, 6))})
    >>> m.row_labels, m.values.round(6).tolist()
    (('a', 'b'), [[1.0, 1.0], [1.0, 1.0]])
    """

    values: np.ndarray
    row_labels: tuple
    col_labels: tuple
    method: str
    options: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_rows, n_cols)``."""
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.array(self.values, dtype=dtype)

    def to_pandas(self) -> Any:
        """The matrix as a ``pandas.DataFrame`` indexed by the row and column labels.

        Raises
        ------
        ImportError
            When pandas is not installed (it is optional).
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("SimilarityMatrix.to_pandas needs pandas; pip install pandas") from exc
        return pd.DataFrame(np.array(self.values), index=list(self.row_labels), columns=list(self.col_labels))

    def __repr__(self) -> str:
        return (
            f"SimilarityMatrix(method={self.method!r}, shape={self.shape}, "
            f"rows={list(self.row_labels)}, cols={list(self.col_labels)})"
        )


# --- input handling -----------------------------------------------------------------------


def _as_layers(layers: Any, name: str, allow_complex: bool) -> tuple[tuple, list]:
    """``(labels, arrays)`` from a dict or a list/tuple of arrays, each checked."""
    if isinstance(layers, Mapping):
        labels, arrays = tuple(layers.keys()), list(layers.values())
    elif isinstance(layers, (list, tuple)):
        labels, arrays = tuple(range(len(layers))), list(layers)
    elif isinstance(layers, np.ndarray) or is_torch(layers):
        raise TypeError(
            f"{name} must be a list or dict of arrays (one per layer); got a single array of shape "
            f"{shape_of(layers)}: wrap it as [{name}] or {{'layer': {name}}}"
        )
    else:
        raise TypeError(
            f"{name} must be a list or dict of arrays (one per layer); got {type(layers).__name__}"
        )
    if not arrays:
        raise ValueError(f"{name} is empty; expected at least one layer")
    checked = [
        check_array(a, f"{name}[{label!r}]", allow_complex=allow_complex) for label, a in zip(labels, arrays)
    ]
    return labels, checked


def _check_same_samples(named: list[tuple[str, Any]]) -> int:
    first_name, first = named[0]
    n = shape_of(first)[0]
    for name, a in named[1:]:
        if shape_of(a)[0] != n:
            raise ValueError(
                f"all layers must have the same number of samples (rows); got "
                f"{first_name}.shape={shape_of(first)} but {name}.shape={shape_of(a)}"
            )
    return int(n)


def _keep_of(opts: dict[str, Any]) -> float | int:
    """SVCCA's choice of directions from resolved options: a fraction or a number."""
    return opts["keep"] if "keep" in opts else opts["n_components"]


def _resolve_options(
    method: str, keep: Any, side: Any, debiased: Any, epsilon: Any, rtol: Any, n_components: Any = None
) -> dict[str, Any]:
    """Each method's options, with the defaults filled in; an option of another method is an error."""
    given = {
        "keep": keep, "n_components": n_components, "side": side, "debiased": debiased, "epsilon": epsilon,
        "rtol": rtol,
    }  # fmt: skip
    applies = {
        "cca": ("epsilon", "rtol"),
        "svcca": ("keep", "n_components", "epsilon", "rtol"),
        "pwcca": ("side", "epsilon", "rtol"),
        "cka": ("debiased",),
    }[method]
    for opt, value in given.items():
        if value is not None and opt not in applies:
            raise ValueError(
                f"{opt} does not apply to method={method!r} (its options: {', '.join(applies)}); "
                f"got {opt}={value!r}"
            )
    out: dict[str, Any] = {}
    if "keep" in applies:
        k = resolve_keep(keep, n_components)
        out["keep" if isinstance(k, float) else "n_components"] = k
    if "side" in applies:
        out["side"] = check_option("x" if side is None else side, "side", _PWCCA_SIDES)
    if "debiased" in applies:
        out["debiased"] = bool(debiased)
    if "epsilon" in applies:
        out["epsilon"] = 0.0 if epsilon is None else epsilon
        out["rtol"] = rtol
    return out


# --- per-layer preparation and per-pair values -----------------------------------------------


@dataclass(eq=False)
class _Prepared:
    """One layer, prepared once for the whole grid."""

    label: str
    w: Any = None  # Whitened (cca, svcca, pwcca)
    comoment: Any = None  # Xc^H Xc over the kept features (pwcca)
    n_varying: int = 0  # features that vary (pwcca side="smaller")
    data: Any = None  # centred data (cka, when p < n)
    gram: Any = None  # Xc Xc^T (cka, when p >= n)
    self_hsic: float = 0.0  # raw HSIC term of the layer with itself (cka)
    diag: Any = None  # row squared norms (debiased cka)
    ones: float = 0.0  # 1^T Kt 1 (debiased cka)
    u: Any = None  # Kt 1 (debiased cka)


def _prepare(method: str, X: Any, label: str, ops: Any, opts: dict[str, Any], n: int) -> _Prepared:
    if method in ("cca", "pwcca"):
        w = whiten(X, epsilon=opts["epsilon"], rtol=opts["rtol"], _ops=ops, _checked=True, _name=label)
        prep = _Prepared(label, w=w, n_varying=int(w.kept.shape[0]))
        if method == "pwcca":
            prep.comoment = w.comoment()  # over the kept features, from the whitening itself
        return prep
    if method == "svcca":
        red = reduce_and_whiten(X, _keep_of(opts), ops, epsilon=opts["epsilon"], rtol=opts["rtol"])
        return _Prepared(label, w=red.w)
    # cka
    from ._cka import _centre

    Xc = _centre(ops, X)
    p = int(Xc.shape[1])
    prep = _Prepared(label)
    if p < n:
        prep.data = Xc
    else:
        prep.gram = Xc @ ops.ct(Xc)
    if opts["debiased"]:
        if n < 4:
            raise ValueError(f"debiased CKA needs at least 4 samples; got {label}.shape={(n, p)}")
        if prep.data is not None:
            d = ops.sum(Xc * Xc, axis=1)
            colsum = ops.sum(Xc, axis=0)  # X^T 1 (about 0 after centring; kept for exactness)
            prep.ones = float(ops.sum(colsum * colsum)) - float(ops.sum(d))
            prep.u = Xc @ colsum - d
        else:
            K = prep.gram
            d = K[ops.arange(n), ops.arange(n)]
            prep.u = ops.sum(K, axis=1) - d
            prep.ones = float(ops.sum(prep.u))
        prep.diag = d
    prep.self_hsic = _cka_cross(ops, prep, prep)
    return prep


def _self_similarity(ops: Any, a: _Prepared, method: str, epsilon: float) -> float:
    """A layer against itself, without the cross-product. The whitened basis has
    ``Z^H Z = diag(s^2 / (s^2 + epsilon))``, the identity when ``epsilon = 0``, so the
    canonical correlations are the squared shrink factors (all 1 without a ridge, whatever
    PWCCA's weights); CKA of a layer with itself is 1."""
    if method == "cka" or epsilon == 0:
        return 1.0
    shrink = a.w.shrink
    return _mean(ops, ops.clip01(shrink * shrink))


def _mean(ops: Any, rho: Any) -> float:
    return float(ops.to_numpy(rho).astype(np.float64).mean()) if rho.shape[0] else float("nan")


def _pwcca_value(ops: Any, a: _Prepared, b: _Prepared, side: str) -> float:
    res = cca_from_whitened(a.w, b.w, weights=True)  # rho from the SVD the weights need
    if side == "smaller":
        side = "x" if a.n_varying <= b.n_varying else "y"
    xw, yw = res.x_weights[a.w.kept], res.y_weights[b.w.kept]
    if side == "x":
        alpha = projection_weights_from_comoment(ops, a.comoment, xw)
    elif side == "y":
        alpha = projection_weights_from_comoment(ops, b.comoment, yw)
    else:
        x_alpha = projection_weights_from_comoment(ops, a.comoment, xw)
        alpha = 0.5 * (x_alpha + projection_weights_from_comoment(ops, b.comoment, yw))
    return float((alpha * res.rho).sum())


def _cka_cross(ops: Any, a: _Prepared, b: _Prepared) -> float:
    """``<K_a, K_b>_F`` (= ``||Xa^T Xb||_F^2``) from whichever representation each side holds."""
    if a.data is not None and b.data is not None:
        M = ops.ct(a.data) @ b.data
        return float(ops.sum(M * M))
    if a.gram is not None and b.gram is not None:
        return float(ops.sum(a.gram * b.gram))
    K, Xc = (a.gram, b.data) if a.gram is not None else (b.gram, a.data)
    return float(ops.sum((K @ Xc) * Xc))


def _cka_hsic(ops: Any, a: _Prepared, b: _Prepared, n: int, debiased: bool, cross: float) -> float:
    if not debiased:
        return cross / (n - 1) ** 2
    from ._cka import _unbiased_hsic

    tr = cross - float(ops.sum(a.diag * b.diag))
    return _unbiased_hsic(n, tr, a.ones, b.ones, float(ops.sum(a.u * b.u)))


def _cka_value(ops: Any, a: _Prepared, b: _Prepared, n: int, debiased: bool) -> float:
    hab = _cka_hsic(ops, a, b, n, debiased, _cka_cross(ops, a, b))
    haa = _cka_hsic(ops, a, a, n, debiased, a.self_hsic)
    hbb = _cka_hsic(ops, b, b, n, debiased, b.self_hsic)
    return float(np.clip(hab / math.sqrt(haa * hbb), -1.0 if debiased else 0.0, 1.0))


def _check_cka_layer(ops: Any, prep: _Prepared, n: int, debiased: bool, shape: tuple) -> None:
    h = _cka_hsic(ops, prep, prep, n, debiased, prep.self_hsic)
    if not h > 0:
        raise ValueError(
            f"{prep.label} has no varying feature (shape {shape}): its HSIC with itself is {h:g}; "
            f"CKA is undefined for it"
        )


# --- the public function ---------------------------------------------------------------------


def similarity_matrix(
    layers_a: Mapping[Any, Any] | Sequence[Any],
    layers_b: Mapping[Any, Any] | Sequence[Any] | None = None,
    *,
    method: str = "cca",
    keep: float | None = None,
    n_components: int | None = None,
    side: str | None = None,
    debiased: bool | None = None,
    epsilon: float | None = None,
    rtol: float | None = None,
    dtype: Any = None,
    warn: bool = True,
    progress: bool = False,
) -> SimilarityMatrix:
    """Similarity of every layer in ``layers_a`` with every layer in ``layers_b``.

    Each layer is centred, reduced and whitened (or, for CKA, centred) **once** and reused
    across its whole row or column, so a grid costs little more than its pairwise
    cross-products. ``values[i, j]`` equals the ``.similarity`` of the per-pair function
    (``svcca.cca``, ``svcca.svcca``, ``svcca.pwcca`` or ``svcca.linear_cka``) with the same
    options, to rounding.

    Parameters
    ----------
    layers_a : dict of name -> array, or list of arrays
        Activations of the row layers over the same samples, each of shape
        ``(n_samples, n_features_i)`` (samples first; widths may differ). numpy arrays or
        torch tensors (computation stays on the tensors' device). Dict keys become labels;
        a list is labelled ``0, 1, ...``.
    layers_b : dict or list, optional
        The column layers, over the same samples. ``None`` compares ``layers_a`` with
        itself: the grid is symmetric and only its upper triangle is computed (both
        triangles for PWCCA, which weights by one side, unless ``side="symmetric"``).
    method : {"cca", "svcca", "pwcca", "cka"}, default "cca"
        Mean canonical correlation, SVCCA, projection-weighted CCA, or linear CKA.
    keep : float, optional
        SVCCA only: variance fraction in (0, 1] per layer (default 0.99); an int is refused.
    n_components : int, optional
        SVCCA only, instead of ``keep``: the number of SVD directions per layer.
    side : {"x", "y", "smaller", "symmetric"}, optional
        PWCCA only: whose projections weight the correlations; ``"x"`` (default) is the
        row layer.
    debiased : bool, optional
        CKA only: use the unbiased HSIC estimator (default False).
    epsilon, rtol : float, optional
        CCA, SVCCA, PWCCA: the ridge and rank tolerance of :func:`svcca.cca` (defaults 0
        and ``max(n, p) * eps``).
    dtype : {None, numpy.float32, numpy.float64}, optional
        Compute precision; float64 by default.
    warn : bool, default True
        CCA family: one :class:`svcca.SampleSizeWarning` for the pair with the most
        features when ``x_rank + y_rank > n_samples - 1``.
    progress : bool, default False
        Show a tqdm progress bar over the pairs.

    Returns
    -------
    SimilarityMatrix
        ``values`` (numpy float64, ``len(layers_a) x len(layers_b)``), ``row_labels``,
        ``col_labels``, ``method``, ``options``; ``to_pandas()`` when pandas is installed.

    Raises
    ------
    TypeError
        When a set of layers is not a list or dict of arrays.
    ValueError
        For an unknown method, an option of another method (``keep`` with ``"cca"``), an
        empty set, a layer that is not 2-D or holds NaN/Inf, layers with different numbers
        of samples (naming both layers and shapes), or a layer with no varying feature.

    Notes
    -----
    Costs, with ``n`` samples and widths ``p_i``: per layer one whitening,
    ``O(n p_i^2 + p_i^3)``; per pair the cross-product ``O(n p_i p_j)`` and a small SVD.
    Calling ``svcca.cca`` per pair repeats both whitenings for every pair. For CKA a layer
    with ``p_i >= n`` is kept as its n x n Gram matrix, as :func:`svcca.linear_cka` does.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> rng = np.random.default_rng(0)
    >>> latent = rng.standard_normal((1000, 8))
    >>> layers = {f"l{i}": latent[:, 2 * i : 2 * i + 4] @ rng.standard_normal((4, 16)) for i in range(3)}
    >>> grid = svcca.similarity_matrix(layers, method="cca")   # neighbours share 2 of 4 latents
    >>> grid.values.round(2)
    array([[1.  , 0.52, 0.06],
           [0.52, 1.  , 0.53],
           [0.06, 0.53, 1.  ]])
    >>> grid.row_labels
    ('l0', 'l1', 'l2')
    >>> round(float(grid.values[1, 2]), 6) == round(svcca.cca(layers["l1"], layers["l2"]).similarity, 6)
    True
    """
    check_option(method, "method", METHODS)
    opts = _resolve_options(method, keep, side, debiased, epsilon, rtol, n_components)
    symmetric = layers_b is None or layers_b is layers_a
    allow_complex = method != "cka"
    rows, arrays_a = _as_layers(layers_a, "layers_a", allow_complex)
    if symmetric:
        cols, arrays_b = rows, arrays_a
    else:
        cols, arrays_b = _as_layers(layers_b, "layers_b", allow_complex)
    named = [(f"layers_a[{r!r}]", a) for r, a in zip(rows, arrays_a)]
    if not symmetric:
        named += [(f"layers_b[{c!r}]", b) for c, b in zip(cols, arrays_b)]
    n = _check_same_samples(named)
    if n < 2:
        raise ValueError(
            f"similarity_matrix needs at least 2 samples; got {named[0][0]}.shape={shape_of(arrays_a[0])}"
        )
    ops = get_ops(*arrays_a, *([] if symmetric else arrays_b), dtype=dtype)

    from tqdm.auto import tqdm

    mirror = symmetric and not (method == "pwcca" and opts["side"] != "symmetric")
    pairs = [(i, j) for i in range(len(rows)) for j in range(len(cols)) if not mirror or j >= i]
    n_layers = len(rows) + (0 if symmetric else len(cols))
    bar = tqdm(
        total=n_layers + len(pairs), disable=not progress, desc=f"similarity_matrix ({method})", leave=False
    )

    def prepare_all(labels: tuple, arrays: list, set_name: str) -> list[_Prepared]:
        out = []
        for label, X in zip(labels, arrays):
            prep = _prepare(method, X, f"{set_name}[{label!r}]", ops, opts, n)
            if method == "cka":
                _check_cka_layer(ops, prep, n, opts["debiased"], shape_of(X))
            out.append(prep)
            bar.update(1)
        return out

    try:
        prep_a = prepare_all(rows, arrays_a, "layers_a")
        prep_b = prep_a if symmetric else prepare_all(cols, arrays_b, "layers_b")
        if method != "cka" and warn:
            ra = max(p.w.rank for p in prep_a)
            rb = max(p.w.rank for p in prep_b)
            warn_sample_size(n, ra, rb)
        values = np.full((len(rows), len(cols)), np.nan)
        for i, j in pairs:
            a, b = prep_a[i], prep_b[j]
            if a is b and (method != "pwcca" or opts["epsilon"] == 0):
                values[i, j] = _self_similarity(ops, a, method, opts.get("epsilon", 0.0))
            elif method in ("cca", "svcca"):
                values[i, j] = cca_from_whitened(a.w, b.w).mean
            elif method == "pwcca":
                values[i, j] = _pwcca_value(ops, a, b, opts["side"])
            else:
                values[i, j] = _cka_value(ops, a, b, n, opts["debiased"])
            if mirror:
                values[j, i] = values[i, j]
            bar.update(1)
    finally:
        bar.close()
    values.setflags(write=False)
    return SimilarityMatrix(values=values, row_labels=rows, col_labels=cols, method=method, options=opts)
