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

- ``"rbf_cka"``: each layer's RBF kernel once; per pair one Frobenius inner product;
- ``"minibatch_cka"``: centre once; per pair the per-batch cross-products;
- ``"procrustes"``: each layer's centred unit-norm factor once; per pair one nuclear norm.

Each measure's per-layer and per-pair work is its entry in the registry
(:mod:`svcca._measures`). A grid of one set of layers with itself (``layers_b=None``) is
symmetric for every measure except PWCCA weighted from one side: the upper triangle is
computed and mirrored, and for PWCCA each pair's one CCA gives both of its cells (weighted
from either side).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._backend import get_ops, is_torch
from ._measures import Measure, entry_of, real_only, resolve
from ._validation import check_array, check_bool, shape_of, warn_sample_size

__all__ = ["SimilarityMatrix", "similarity_matrix"]


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
    measure : str
        The measure's name (one of :data:`svcca.MEASURES`).
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
    measure: str
    options: dict = field(default_factory=dict)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled matrix, its values read-only again (pickle makes a writable copy)."""
        self.__dict__.update(state)
        if isinstance(self.values, np.ndarray):
            self.values.setflags(write=False)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_rows, n_cols)``."""
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.array(self.values, dtype=dtype)

    def to_pandas(self) -> Any:
        """Return the matrix as a ``pandas.DataFrame`` indexed by the row and column labels.

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
            f"SimilarityMatrix(measure={self.measure!r}, shape={self.shape}, "
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


# --- the public function ---------------------------------------------------------------------


def similarity_matrix(
    layers_a: Mapping[Any, Any] | Sequence[Any],
    layers_b: Mapping[Any, Any] | Sequence[Any] | None = None,
    *,
    measure: str | Measure = "cca",
    measure_options: Mapping[str, Any] | None = None,
    dtype: Any = None,
    warn: bool = True,
    progress: bool = False,
) -> SimilarityMatrix:
    """Similarity of every layer in ``layers_a`` with every layer in ``layers_b``.

    Each layer is prepared (centred, reduced and whitened; for CKA centred, or turned into
    its kernel) **once** and reused across its whole row or column, so a grid costs little
    more than its pairwise cross-products. ``values[i, j]`` equals the ``.similarity`` of
    the per-pair function (``svcca.cca``, ``svcca.svcca``, ``svcca.pwcca``,
    ``svcca.linear_cka``, ``svcca.rbf_cka``, ``svcca.minibatch_cka``, ``svcca.procrustes``)
    with the same options, to rounding.

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
    measure : str or svcca.Measure, default "cca"
        One of :data:`svcca.MEASURES` (``"cca"``, ``"svcca"``, ``"pwcca"``, ``"cka"``,
        ``"rbf_cka"``, ``"minibatch_cka"``, ``"procrustes"``), or a :class:`svcca.Measure`
        that carries its options.
    measure_options : dict, optional
        The options of a measure given by name, as its per-pair function takes them:
        ``{"keep": 0.95}`` or ``{"n_components": 10}`` for SVCCA (default keep 0.99),
        ``{"side": "symmetric"}`` for PWCCA (default ``"x"``, the row layer),
        ``{"debiased": True}`` for CKA, ``{"bandwidth": 0.5}`` for RBF CKA,
        ``{"batch_size": 128}`` for minibatch CKA, ``{"epsilon": ..., "rtol": ...}`` for the
        CCA family.
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
        ``col_labels``, ``measure``, ``options``; ``to_pandas()`` when pandas is installed.

    Raises
    ------
    TypeError
        When a set of layers is not a list or dict of arrays.
    ValueError
        For an unknown measure, an option of another measure (``keep`` with ``"cca"``), an
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
    >>> grid = svcca.similarity_matrix(layers, measure="cca")   # neighbours share 2 of 4 latents
    >>> grid.values.round(2)
    array([[1.  , 0.52, 0.06],
           [0.52, 1.  , 0.53],
           [0.06, 0.53, 1.  ]])
    >>> grid.row_labels
    ('l0', 'l1', 'l2')
    >>> round(float(grid.values[1, 2]), 6) == round(svcca.cca(layers["l1"], layers["l2"]).similarity, 6)
    True
    >>> svcca.similarity_matrix(layers, measure="svcca", measure_options={"keep": 0.5}).options
    {'keep': 0.5, 'epsilon': 0.0, 'rtol': None}
    """
    warn, progress = check_bool(warn, "warn"), check_bool(progress, "progress")
    m = resolve(measure, measure_options)
    e, opts = entry_of(m), m.options
    symmetric = layers_b is None or layers_b is layers_a
    allow_complex = not real_only(m)
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

    mirror = symmetric and e.symmetric(opts)
    # an asymmetric measure of a set with itself: both cells of a pair from one comparison
    both = symmetric and not mirror and e.compare_both is not None
    pairs = [(i, j) for i in range(len(rows)) for j in range(len(cols)) if not (mirror or both) or j >= i]
    n_layers = len(rows) + (0 if symmetric else len(cols))
    bar = tqdm(
        total=n_layers + len(pairs), disable=not progress, desc=f"similarity_matrix ({m.name})", leave=False
    )

    def prepare_all(labels: tuple, arrays: list, set_name: str) -> list:
        out = []
        for label, X in zip(labels, arrays):
            out.append(e.prepare(X, ops, opts, n, f"{set_name}[{label!r}]"))
            bar.update(1)
        return out

    try:
        prep_a = prepare_all(rows, arrays_a, "layers_a")
        prep_b = prep_a if symmetric else prepare_all(cols, arrays_b, "layers_b")
        if e.cca_family and warn:
            # the computed pair with the most features: a layer against itself is set to 1
            # without a CCA, so its 2p features never inflate a value
            computed = [(prep_a[i].w.rank, prep_b[j].w.rank) for i, j in pairs if prep_a[i] is not prep_b[j]]
            if computed:
                warn_sample_size(n, *max(computed, key=sum))
        values = np.full((len(rows), len(cols)), np.nan)
        for i, j in pairs:
            a, b = prep_a[i], prep_b[j]
            value = e.self_value(ops, a, opts) if a is b else None
            if both and a is not b and value is None:
                assert e.compare_both is not None
                values[i, j], values[j, i] = e.compare_both(ops, a, b, opts, n)
            else:
                values[i, j] = e.compare(ops, a, b, opts, n) if value is None else value
            if mirror:
                values[j, i] = values[i, j]
            bar.update(1)
    finally:
        bar.close()
    values.setflags(write=False)
    return SimilarityMatrix(values=values, row_labels=rows, col_labels=cols, measure=m.name, options=opts)
