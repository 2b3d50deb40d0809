"""Shared docstring entries, filled into public docstrings at import (private).

Several public functions document the same parameter, return value or reference in the
same words (the two layers ``X`` and ``Y``, a plot's ``ax``, a measure's paper). Each such
entry is written once in :data:`DOCS`, and a docstring names it with a placeholder
``%(name)s`` on a line of its own, where the entry is wanted; :func:`fill_doc` replaces the
placeholders when the module is imported, so ``help()``, ``__doc__`` and the rendered API
show the full text.

Only placeholders of the form ``%(name)s`` are touched: any other ``%`` in a docstring
(``95%``, ``%d``) stays as written, with no escaping. A placeholder with a name that is not
in :data:`DOCS` is an error at import, so a typo cannot reach the documentation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeVar

__all__ = ["DOCS", "fill_doc"]

_T = TypeVar("_T", bound=Callable[..., object])

#: ``%(name)s``: the name is a Python identifier.
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")

_X = (
    "X : array-like or torch.Tensor of shape (n_samples, n_features_x)\n"
    "    Activations of the first layer, samples first. Tensors give tensors on their\n"
    "    device, detached from autograd."
)
_CKA_DTYPE = (
    "dtype : {None, numpy.float32, numpy.float64}, optional\n"
    "    Compute precision; float64 unless float32 is asked for"
)

#: The shared entries, each a complete numpydoc entry (a name line and its description,
#: indented by four spaces relative to the name line) or a whole References paragraph.
DOCS: dict[str, str] = {
    # -- the two layers being compared ------------------------------------------------
    "X": _X,
    "X_real": _X + " Real-valued.",
    "Y": "Y : array-like or torch.Tensor of shape (n_samples, n_features_y)\n"
    "    Activations of the second layer over the same samples.",
    # -- the statistics of a measure (svcca.stats) --------------------------------------
    "measure": 'measure : str, svcca.Measure or callable, default "cca"\n'
    "    One of :data:`MEASURES`, a :class:`svcca.Measure` or a callable ``measure(X, Y)``.",
    "measure_options": "measure_options : dict, optional\n    The options of a measure given by name.",
    "progress_resamples": "progress : bool, default False\n    Show a tqdm progress bar over the resamples.",
    # -- compute precision of the CKA family ------------------------------------------
    "cka_dtype": _CKA_DTYPE + ".",
    "cka_dtype_scaled": _CKA_DTYPE + " (half-precision input is\n"
    "    computed in float32 or wider). Each side is scaled by an exact power of two while\n"
    "    computing, so any finite scale (1e-160 to 1e160) gives the same value.",
    # -- results and errors of the CCA family -----------------------------------------
    "ridge_used": "epsilon : float\n    The ridge that was used.",
    "column_means": "mean : array of shape (n_features,)\n    Column means that were subtracted.",
    "xy_means": "x_mean, y_mean : arrays\n    Column means that were subtracted.",
    "raises_non_numeric": "TypeError\n    For input that cannot be read as a numeric array.",
    "legacy_acts1": "acts1 : array-like of shape (num_neurons1, num_datapoints)\n"
    "    First layer; fewer neurons than datapoints.",
    # -- plots --------------------------------------------------------------------------
    "ax": "ax : matplotlib Axes, optional\n    Where to draw; a new single-column figure when None.",
    "xlabel_ylabel": "xlabel, ylabel : str\n    Axis labels.",
    "returns_axes": "Returns\n-------\nmatplotlib.axes.Axes",
    "returns_axes_array": "Returns\n-------\nnumpy.ndarray of matplotlib Axes",
    # -- references -----------------------------------------------------------------------
    "ref_cka": "Kornblith, Norouzi, Lee, Hinton (2019), Similarity of neural network representations\n"
    "revisited, ICML. Song, Smola, Gretton, Bedo, Borgwardt (2012), Feature selection via\n"
    "dependence maximization, JMLR 13.",
    "ref_pwcca": "Morcos, Raghu, Bengio (2018), Insights on representational similarity in neural\n"
    "networks with canonical correlation, NeurIPS.",
}


def _fill(doc: str, entries: Mapping[str, str]) -> str:
    """Return ``doc`` with each ``%(name)s`` replaced by ``entries[name]``, re-indented."""

    def entry(name: str) -> str:
        if name not in entries:
            raise KeyError(
                f"docstring placeholder %({name})s names no shared entry; known: {sorted(entries)}"
            )
        return entries[name]

    def own_line(match: re.Match[str]) -> str:
        indent = match.group(1)
        return "\n".join(indent + part if part else part for part in entry(match.group(2)).split("\n"))

    # A placeholder alone on its line gives every line of the entry that line's indentation;
    # one inside a line of text takes the entry as it is.
    doc = re.sub(r"(?m)^([ \t]*)%\((\w+)\)s[ \t]*$", own_line, doc)
    return _PLACEHOLDER.sub(lambda match: entry(match.group(1)), doc)


def fill_doc(obj: _T) -> _T:
    """Fill the ``%(name)s`` placeholders of a function's or class's docstring from :data:`DOCS`.

    Parameters
    ----------
    obj : function or class
        Its ``__doc__`` is rewritten in place (a docstring-less object, as under
        ``python -OO``, is returned unchanged).

    Returns
    -------
    function or class
        ``obj`` itself, so that ``fill_doc`` serves as a decorator.

    Raises
    ------
    KeyError
        When a placeholder names no entry of :data:`DOCS` (at import of the module that
        uses it).

    Examples
    --------
    >>> from svcca._docs import fill_doc
    >>> @fill_doc
    ... def f(X, Y):
    ...     '''Compare two layers.
    ...
    ...     Parameters
    ...     ----------
    ...     %(X)s
    ...     %(Y)s
    ...     '''
    >>> print(f.__doc__.splitlines()[4])
        X : array-like or torch.Tensor of shape (n_samples, n_features_x)
    >>> print(f.__doc__.splitlines()[6])
            device, detached from autograd.
    """
    if obj.__doc__:
        obj.__doc__ = _fill(obj.__doc__, DOCS)
    return obj
