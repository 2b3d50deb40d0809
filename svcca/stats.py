"""Statistics for similarity measures: baselines, permutation nulls, bootstrap intervals, tests.

Every function takes a *measure*: a name from the registry (:data:`MEASURES`: ``"cca"``,
``"svcca"``, ``"pwcca"``, ``"cka"``, ``"rbf_cka"``, ``"minibatch_cka"``, ``"procrustes"``)
with its options (``measure_options={"keep": 0.95}``), a :class:`svcca.Measure`, or a
callable ``measure(X, Y)`` returning a result with a ``.similarity`` attribute (every
result of this package has one) or a plain float. Anything random takes ``rng`` (None, an
int seed or a ``numpy.random.Generator``); every resample count is ``n_resamples``.
P-values are printed by :func:`p_value_text` (results' reprs, ``svcca compare``), with the
digits that keep each on its side of 0.05 and the other usual levels.

For registry measures the permutation null is batched: each side is prepared once (centred,
whitened, its kernel formed), and the similarity of every permutation in a batch comes
from one batched product and one batched SVD, never from a Python loop calling the measure.
The input is checked once, at the public function.

Under independence, a CCA similarity is not 0: with ``n`` samples and ``p``, ``q``
features the expected Pillai trace is ``p q / (n - 1)``, and when ``p + q > n - 1`` some
correlations are 1 whatever the data. Always compare against a baseline.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._backend import get_ops, is_torch, to_numpy
from ._cca import CCAResult
from ._docs import fill_doc
from ._measures import MEASURES, LoopEngine, Measure, build_engine, entry_of, real_only, resolve, take_rows
from ._validation import (
    DegenerateLayerError,
    SampleSizeWarning,
    check_array,
    check_bool,
    check_confidence,
    check_count,
    check_groups,
    check_min_samples,
    check_option,
    check_pair,
    check_rng,
    shape_of,
    warn_sample_size,
)

__all__ = [
    "MEASURES",
    "BCaUnresolvedError",
    "BartlettResult",
    "BootstrapResult",
    "DegenerateResampleWarning",
    "EffectiveSampleSize",
    "PermutationTestResult",
    "RandomBaselineResult",
    "SampleSizeDiagnostic",
    "analytic_null_pillai",
    "bartlett_test",
    "bootstrap_ci",
    "effective_sample_size",
    "get_measure",
    "p_value_text",
    "permutation_test",
    "random_baseline",
    "sample_size_diagnostic",
]

# Permutations are drawn in blocks of this many, whatever the measure, so that the
# vectorised and the looped null see the same permutations for the same seed.
_PERM_BLOCK = 256


# --- measures ---------------------------------------------------------------------------


def get_measure(
    measure: str | Measure | Callable[..., Any], measure_options: Mapping[str, Any] | None = None
) -> tuple[str, Callable[[Any, Any], float]]:
    """Resolve a measure to ``(name, f)`` where ``f(X, Y)`` returns the similarity as a float.

    Parameters
    ----------
    measure : str, svcca.Measure or callable
        One of :data:`MEASURES` (with ``measure_options``), a :class:`svcca.Measure`, or a
        callable ``measure(X, Y)`` returning a result with a ``.similarity`` attribute or
        a number. Registry measures never warn about sample size here (the statistics
        functions warn once for the observed pair instead).
    measure_options : dict, optional
        The options of a measure given by name (``{"keep": 0.95}`` for ``"svcca"``).

    Returns
    -------
    name : str
    f : callable

    Raises
    ------
    ValueError
        For an unknown string (the message lists :data:`MEASURES`) or an option the
        measure does not take.
    TypeError
        For anything that is neither a string, a Measure nor callable, or options given
        with a callable.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.stats import get_measure
    >>> name, f = get_measure("cka")
    >>> X = np.random.default_rng(0).standard_normal((50, 3))
    >>> name, round(f(X, 2 * X), 6)
    ('cka', 1.0)
    """
    m = _registered(measure, measure_options)
    if m is not None:
        return m.name, lambda X, Y: _as_similarity(m(X, Y, warn=False), m.name)
    assert callable(measure)  # _registered refused anything else
    fn = measure
    name = getattr(fn, "__name__", type(fn).__name__)
    return name, lambda X, Y: _as_similarity(fn(X, Y), name)


def _registered(measure: Any, measure_options: Mapping[str, Any] | None) -> Measure | None:
    """Resolve a name or Measure to a :class:`Measure` (options checked here, once).

    Returns None for a callable.
    """
    if isinstance(measure, (str, Measure)):
        return resolve(measure, measure_options)
    if not callable(measure):
        raise TypeError(
            f"measure must be one of {', '.join(map(repr, MEASURES))}, a svcca.Measure or a callable "
            f"measure(X, Y); got {type(measure).__name__}"
        )
    if measure_options:
        raise TypeError(
            "measure_options apply to a measure given by name; pass them to your callable instead"
        )
    return None


def _as_similarity(result: Any, name: str) -> float:
    value = result.similarity if hasattr(result, "similarity") else result
    complex_ = isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real)
    if complex_ or (_array_like(value) and np.iscomplexobj(to_numpy(value))):
        raise TypeError(
            f"measure {name!r} must return a real similarity; got the complex {value!r} (float() would "
            f"drop its imaginary part)"
        )
    if hasattr(result, "similarity"):
        return float(value)
    if isinstance(result, numbers.Real) or (_array_like(result) and np.ndim(to_numpy(result)) == 0):
        return float(result)
    raise TypeError(
        f"measure {name!r} must return a result with a .similarity attribute or a number; "
        f"got {type(result).__name__}"
    )


def _array_like(x: Any) -> bool:
    return isinstance(x, np.ndarray | np.generic) or is_torch(x)


def _check_input(X: Any, Y: Any, m: Measure | None) -> tuple[Any, Any]:
    """Check a statistics function's pair, once.

    Real-valued for the measures outside the CCA family, and at least the samples the
    measure needs.
    """
    X, Y = check_pair(X, Y, allow_complex=m is None or not real_only(m))
    if m is not None:
        check_min_samples(X, Y, entry_of(m).min_samples, m.name)
    return X, Y


def _prepare(
    X: Any, Y: Any, measure: Any, measure_options: Mapping[str, Any] | None, n_resamples: Any, rng: Any
) -> tuple[Measure | None, str, Callable[[Any, Any], float], Any, Any, int, np.random.Generator]:
    """Do what every resampling function starts with.

    Returns the measure resolved (``m``, None for a callable; its ``name`` and float-valued
    ``f``), the pair checked once, the resample count and the random generator.
    """
    m = _registered(measure, measure_options)
    X, Y = _check_input(X, Y, m)
    name, f = get_measure(m if m is not None else measure)
    return m, name, f, X, Y, check_count(n_resamples, "n_resamples"), check_rng(rng)


def _sd(values: np.ndarray) -> float:
    """Sample standard deviation of resampled similarities; 0 for a single one."""
    return float(values.std(ddof=1)) if values.size > 1 else 0.0


def _observed(m: Measure | None, f: Callable[[Any, Any], float], X: Any, Y: Any) -> float:
    """Compute the similarity of the observed pair.

    Registry measures of the CCA family warn here, once, about sample size (their calls on
    resampled or random data never do).
    """
    if m is not None:
        return _as_similarity(m(X, Y, warn=True), m.name)
    return f(X, Y)


def _bar(progress: bool, total: int, desc: str) -> Any:
    """Return a tqdm bar over ``total`` resamples, silent unless ``progress``."""
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not progress, desc=desc, leave=False)


def _permutation_blocks(
    n: int, n_resamples: int, rng: np.random.Generator, groups: _Groups | None = None
) -> Iterator[np.ndarray]:
    """Yield blocks of row permutations.

    With ``groups``, permutations of whole groups (the ``j``-th row of a group goes where
    the ``j``-th row of another was).
    """
    members = None if groups is None else groups.members()
    done = 0
    while done < n_resamples:
        b = min(_PERM_BLOCK, n_resamples - done)
        if members is None:
            yield rng.permuted(np.tile(np.arange(n), (b, 1)), axis=1)
        else:
            g = rng.permuted(np.tile(np.arange(len(members)), (b, 1)), axis=1)
            perm = np.empty((b, n), dtype=np.intp)
            perm[:, members.ravel()] = members[g].reshape(b, -1)
            yield perm
        done += b


class _Groups:
    """The rows of each group (codes ``0..G-1`` from :func:`check_groups`).

    For grouped (cluster) resampling: a bootstrap draws whole groups, a permutation moves
    whole groups.
    """

    def __init__(self, codes: np.ndarray) -> None:
        self.order = np.argsort(codes, kind="stable")  # rows by group, in their order within one
        self.sizes = np.bincount(codes)
        self.starts = np.cumsum(self.sizes) - self.sizes
        self.n_groups = int(self.sizes.size)

    @classmethod
    def of(cls, groups: Any, n: int) -> _Groups | None:
        return None if groups is None else cls(check_groups(groups, n))

    def rows(self, g: np.ndarray) -> np.ndarray:
        """Return the rows of the groups ``g`` (1-D, repeats allowed), group after group."""
        sizes = self.sizes[g]
        ends = np.cumsum(sizes)
        return self.order[np.repeat(self.starts[g] - ends + sizes, sizes) + np.arange(int(ends[-1]))]

    def without(self, g: int) -> np.ndarray:
        """Every row but those of group ``g`` (a jackknife's leave-one-group-out draw)."""
        return np.sort(self.rows(np.delete(np.arange(self.n_groups), g)))

    def members(self) -> np.ndarray:
        """``(G, k)`` rows of each group; groups must be of one size ``k``."""
        if self.sizes.min() != self.sizes.max():
            raise ValueError(
                "a grouped permutation test moves whole groups onto each other, so every group must "
                f"hold the same number of rows; got group sizes from {self.sizes.min()} to "
                f"{self.sizes.max()} ({self.n_groups} groups)"
            )
        return self.order.reshape(self.n_groups, -1)


# --- permutation test -------------------------------------------------------------------


def _on_its_side(x: float, thresholds: tuple[float, ...], digits: int, kind: str) -> str:
    """Format ``x`` with ``digits`` (``kind`` "f" or "g"), or more to keep it on its side of each threshold.

    A ratio of 4.99 is "4.99 (< 5)", never "5.0 (< 5)"; a p-value of 0.0500025 is never "0.05".
    """
    for d in range(digits, 18):
        text = f"{x:.{d}{kind}}"
        if all(np.sign(float(text) - t) == np.sign(x - t) for t in thresholds):
            return text
    return repr(x)


# the levels a p-value is read against: its text never crosses one
_LEVELS = (0.1, 0.05, 0.01, 0.005, 0.001)


def p_value_text(p: float) -> str:
    """Format a p-value in 4 significant digits, or more where that would cross 0.05 and the like.

    Parameters
    ----------
    p : float
        The p-value.

    Returns
    -------
    str
        Its text, on the same side of every usual level as ``p`` itself.

    Raises
    ------
    ValueError
        When ``p`` is not a number in [0, 1].

    Examples
    --------
    >>> from svcca.stats import p_value_text
    >>> p_value_text(0.0500025), p_value_text(0.0123456)
    ('0.050002', '0.01235')
    """
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"p must be a probability, a number in [0, 1]; got {p!r}")
    return _on_its_side(float(p), _LEVELS, 4, "g")


@dataclass(frozen=True, eq=False)
class PermutationTestResult:
    """The result of :func:`permutation_test`.

    Attributes
    ----------
    observed : float
        The similarity of ``X`` and ``Y`` as paired.
    null_distribution : numpy.ndarray of shape (n_resamples,)
        The similarity after each shuffle of ``Y``'s samples; shorter by the shuffles on
        which the measure was undefined (NaN), which a :class:`DegenerateResampleWarning`
        counts.
    p_value : float
        ``(1 + #{null >= observed}) / (1 + null_distribution.size)``: one-sided (more
        similar than chance), never 0; a null value within ``1e-12`` times the largest
        ``|value|`` (observed or null) below ``observed`` counts as a tie, at least as large.
    n_resamples : int
        The number of shuffles.
    measure : str
        The measure's name.
    vectorised : bool
        Whether the registry's batched path was used, or one call per permutation (a
        callable measure).
    n_groups : int or None
        The number of groups permuted as wholes (``groups=``); None when rows were
        permuted one by one.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca import stats
    >>> X = np.random.default_rng(0).standard_normal((200, 5))
    >>> res = stats.permutation_test(X, np.tanh(X[:, :3]), measure="cca", n_resamples=99, rng=0)
    >>> bool(res.observed > res.null_quantile(0.95)), bool(res.p_value <= 0.01)
    (True, True)
    """

    observed: float
    null_distribution: np.ndarray
    p_value: float
    n_resamples: int
    measure: str
    vectorised: bool
    n_groups: int | None = None

    @property
    def null_mean(self) -> float:
        """Mean of the null distribution (the chance level of the measure on this data)."""
        return float(self.null_distribution.mean())

    @property
    def null_std(self) -> float:
        """Standard deviation of the null distribution."""
        return _sd(self.null_distribution)

    def null_quantile(self, q: float = 0.95) -> float:
        """Return a quantile of the null distribution (e.g. the 95% chance level).

        Parameters
        ----------
        q : float, default 0.95
            In ``[0, 1]``.

        Returns
        -------
        float
        """
        return float(np.quantile(self.null_distribution, q))

    def __repr__(self) -> str:
        """Show the observed value, the null's mean and the p-value."""
        return (
            f"PermutationTestResult(observed={self.observed:.4f}, null_mean={self.null_mean:.4f}, "
            f"p_value={p_value_text(self.p_value)}, n_resamples={self.n_resamples}, "
            f"measure={self.measure!r}"
            + (f", n_groups={self.n_groups}" if self.n_groups is not None else "")
            + ")"
        )


def _defined(observed: float, null: np.ndarray, what: str) -> np.ndarray:
    """Refuse a NaN observed similarity; leave NaN draws out of the null, saying how many.

    A p-value over a null with undefined draws in its denominator would be too small.
    """
    _check_observed(observed, "no p-value can be computed")
    bad = ~np.isfinite(null)
    if bad.all():
        raise ValueError(f"the measure is undefined (NaN) for every one of the {null.size} {what}")
    if bad.any():
        warnings.warn(
            f"{int(bad.sum())} of {null.size} {what} gave an undefined (NaN) similarity and were left "
            f"out; the null and its p-value use the other {int((~bad).sum())}",
            DegenerateResampleWarning,
            stacklevel=3,
        )
        return null[~bad]
    return null


def _check_observed(observed: float, consequence: str) -> None:
    """Refuse an observed similarity that is NaN or infinite (nothing can be said about it)."""
    if not np.isfinite(observed):
        what = "undefined (NaN)" if np.isnan(observed) else f"not finite ({observed})"
        raise ValueError(f"the measure is {what} for the observed pair; {consequence}")


def _ties(observed: float, values: np.ndarray) -> np.ndarray:
    """Mask of ``values`` equal to ``observed`` within rounding.

    Rounding relative to the values compared (``1e-12`` times the largest ``|value|``): a
    callable's similarities may all be 1e-8.
    """
    scale = max(abs(observed), float(np.max(np.abs(values))) if values.size else 0.0)
    return np.abs(values - observed) <= 1e-12 * scale


def _p_value(observed: float, null: np.ndarray) -> float:
    # ties within rounding count as "at least as extreme" (as scipy.stats.permutation_test)
    return float((1 + np.count_nonzero((null >= observed) | _ties(observed, null))) / (1 + null.size))


@fill_doc
def permutation_test(
    X: Any,
    Y: Any,
    measure: str | Measure | Callable[..., Any] = "cca",
    *,
    measure_options: Mapping[str, Any] | None = None,
    n_resamples: int = 1000,
    groups: Any = None,
    rng: Any = None,
    progress: bool = False,
) -> PermutationTestResult:
    """Permutation test of a similarity: shuffle the pairing of samples between the layers.

    Parameters
    ----------
    %(X)s
    %(Y)s
    measure : str, svcca.Measure or callable, default "cca"
        One of :data:`MEASURES` or a :class:`svcca.Measure` (batched: each side is
        prepared once), or a callable ``measure(X, Y)`` returning a result with
        ``.similarity`` or a float (called once per permutation).
    measure_options : dict, optional
        The options of a measure given by name, e.g. ``{"keep": 0.95}`` for ``"svcca"``.
    n_resamples : int, default 1000
        Number of shuffles of ``Y``'s rows.
    groups : array-like of shape (n_samples,), optional
        A label per row (e.g. the image each row came from) when rows are not independent:
        whole groups are permuted, the ``j``-th row of one group taking the place of the
        ``j``-th row of another, so every group must hold the same number of rows. With one
        row per group this is the ungrouped test, permutation for permutation.
    rng : None, int or numpy.random.Generator
        Seeds the permutations. The same seed gives the same permutations whichever
        measure (and path) is used.
    %(progress_resamples)s

    Returns
    -------
    PermutationTestResult
        ``observed``, ``null_distribution``, ``p_value`` and the null's summaries.

    Raises
    ------
    ValueError
        For invalid arrays (checked once, here), an unknown measure name or option,
        ``n_resamples < 1``, or ``groups`` of the wrong length, with fewer than two groups
        or with groups of unequal sizes.

    Notes
    -----
    The null hypothesis is that the rows of ``X`` and ``Y`` are independent (exchangeable
    pairing). When rows come in groups (an image under several shifts), rows of one group
    are alike and shuffling them one by one breaks more than the null allows: the null
    distribution is too narrow and the p-value too small. ``groups=`` makes the groups the
    exchangeable units. The p-value is ``(1 + b) / (1 + B)`` with ``b`` the number of the ``B``
    permuted similarities at least as large as the observed one (Phipson & Smyth 2010), so
    it is a valid, never-zero p-value. For CCA-type measures each side is whitened once:
    permuting ``Y``'s rows permutes the rows of its whitened basis ``Z_y``, so the
    correlations of a shuffle are the singular values of ``Z_x^H Z_y[perm]``, computed for
    a batch of shuffles with one batched SVD. For CKA only the cross term changes.

    References
    ----------
    Phipson & Smyth (2010), Permutation p-values should never be zero, Stat. Appl. Genet.
    Mol. Biol. 9(1).

    Examples
    --------
    Two layers that share two signals among independent features:

    >>> import numpy as np
    >>> from svcca import stats
    >>> rng = np.random.default_rng(0)
    >>> latent = rng.standard_normal((200, 2))
    >>> X = np.hstack([latent, rng.standard_normal((200, 3))])
    >>> Y = np.hstack([latent @ [[1.0, 2.0], [0.5, -1.0]], rng.standard_normal((200, 4))])
    >>> res = stats.permutation_test(X, Y, "cca", n_resamples=199, rng=0)
    >>> round(res.observed, 2), round(res.null_mean, 2), res.p_value
    (0.49, 0.15, 0.005)

    Rows that come in groups (here each sample three times) are permuted group by group:

    >>> image = np.repeat(np.arange(200), 3)
    >>> grouped = stats.permutation_test(X[image], Y[image], "cca", n_resamples=199, groups=image, rng=0)
    >>> round(grouped.null_mean, 2), grouped.n_groups
    (0.15, 200)
    """
    m, name, f, X, Y, n_resamples, gen = _prepare(X, Y, measure, measure_options, n_resamples, rng)
    check_bool(progress, "progress")
    n = shape_of(X)[0]
    grouped = _Groups.of(groups, n)
    if grouped is not None:
        grouped.members()  # equal sizes, checked before any work
    if m is None:
        engine: Any = LoopEngine(X, Y, f)
        observed = f(X, Y)
    else:
        if n <= 4:  # below a measure's minimum (debiased CKA needs 4): its own clear error
            m(X, Y, warn=False)  # the sample-size warning is said once, below
        engine = build_engine(m, X, Y, get_ops(X, Y))
        if engine.ranks is not None:
            warn_sample_size(n, *engine.ranks)
        # the observed value through the same arithmetic as the null (exact ties stay ties)
        observed = float(engine(np.arange(n)[None, :])[0])
    parts = []
    with _bar(progress, n_resamples, f"permutation_test ({name})") as bar:
        for block in _permutation_blocks(n, n_resamples, gen, grouped):
            parts.append(engine(block))
            bar.update(len(block))
    null = _defined(observed, np.concatenate(parts), "permutations")
    return PermutationTestResult(
        observed=observed,
        null_distribution=null,
        p_value=_p_value(observed, null),
        n_resamples=n_resamples,
        measure=name,
        vectorised=m is not None,
        n_groups=None if grouped is None else grouped.n_groups,
    )


# --- random baseline --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RandomBaselineResult:
    """The result of :func:`random_baseline`.

    Attributes
    ----------
    observed : float
        The similarity of ``X`` and ``Y``.
    null_distribution : numpy.ndarray of shape (n_resamples,)
        The similarity of each pair of independent random matrices (less the pairs on which
        the measure was undefined, which a :class:`DegenerateResampleWarning` counts).
    match : {"shape", "spectrum"}
        What the random matrices share with the data.
    n_resamples : int
        The number of random pairs.
    measure : str

    Examples
    --------
    >>> import numpy as np
    >>> from svcca import stats
    >>> noise = np.random.default_rng(0).standard_normal((200, 9))
    >>> X, Y = noise[:, :5], noise[:, :5] @ np.ones((5, 4)) + noise[:, 5:]
    >>> res = stats.random_baseline(X, Y, measure="cca", n_resamples=20, rng=0)
    >>> bool(res.observed > res.mean + 3 * res.std)
    True
    """

    observed: float
    null_distribution: np.ndarray
    match: str
    n_resamples: int
    measure: str

    @property
    def mean(self) -> float:
        """The chance level: mean similarity of the random pairs."""
        return float(self.null_distribution.mean())

    @property
    def std(self) -> float:
        """Standard deviation of the random pairs' similarity."""
        return _sd(self.null_distribution)

    @property
    def excess(self) -> float:
        """``observed - mean``: how far above chance the data are."""
        return self.observed - self.mean

    @property
    def p_value(self) -> float:
        """``(1 + #{random >= observed}) / (1 + null_distribution.size)``, ties as in permutation_test."""
        return _p_value(self.observed, self.null_distribution)

    def __repr__(self) -> str:
        """Show the observed value and the baseline's mean and spread."""
        return (
            f"RandomBaselineResult(observed={self.observed:.4f}, mean={self.mean:.4f}, std={self.std:.4f}, "
            f"match={self.match!r}, n_resamples={self.n_resamples}, measure={self.measure!r})"
        )


def _gaussian(gen: np.random.Generator, shape: tuple[int, int], complex_: bool) -> np.ndarray:
    """Draw standard Gaussians; circular complex ones (``E|z|^2 = 1``) for complex data."""
    if not complex_:
        return gen.standard_normal(shape)
    return (gen.standard_normal(shape) + 1j * gen.standard_normal(shape)) / np.sqrt(2.0)


class _SpectrumSampler:
    """Draw random data with a layer's exact covariance (complex layers stay complex).

    ``Q diag(s) V^H + mean`` with ``Q`` a random orthonormal basis of the centred sample
    space (``s``, ``V`` from the layer).
    """

    def __init__(self, X: np.ndarray) -> None:
        X = np.asarray(X)
        X = X.astype(np.complex128 if np.iscomplexobj(X) else np.float64)
        self.mean = X.mean(0)
        _, s, Vh = np.linalg.svd(X - self.mean, full_matrices=False)
        r = int((s > max(X.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)).sum())
        self.sV = s[:r, None] * Vh[:r]
        self.n, self.r, self.complex = X.shape[0], r, np.iscomplexobj(X)

    def __call__(self, gen: np.random.Generator) -> np.ndarray:
        G = _gaussian(gen, (self.n, self.r), self.complex)
        G -= G.mean(0)
        Q, _ = np.linalg.qr(G)
        return Q @ self.sV + self.mean


@fill_doc
def random_baseline(
    X: Any,
    Y: Any,
    measure: str | Measure | Callable[..., Any] = "cca",
    *,
    measure_options: Mapping[str, Any] | None = None,
    n_resamples: int = 100,
    match: str = "shape",
    rng: Any = None,
    progress: bool = False,
) -> RandomBaselineResult:
    """Similarity of independent random matrices shaped like the data: the chance level.

    Parameters
    ----------
    %(X)s
    %(Y)s
    %(measure)s
    %(measure_options)s
    n_resamples : int, default 100
        Number of random pairs.
    match : {"shape", "spectrum"}, default "shape"
        ``"shape"``: i.i.d. standard Gaussian matrices of shapes ``(n, p)`` and ``(n, q)``
        (circular complex ones for complex layers).
        ``"spectrum"``: each random matrix has exactly its layer's mean and covariance
        (singular values and feature directions) but random, independent sample
        directions; the right baseline for measures that weigh directions by variance
        (SVCCA, PWCCA, CKA, Procrustes), and for CCA of layers with dead or redundant
        units, whose chance level is set by their rank, not their width.
    rng : None, int or numpy.random.Generator
        Seeds the draws.
    %(progress_resamples)s

    Returns
    -------
    RandomBaselineResult
        ``observed``, the random similarities, their ``mean``, ``std`` and ``excess``.

    Raises
    ------
    ValueError
        For invalid arrays, an unknown measure, option or ``match``, or ``n_resamples < 1``.

    Notes
    -----
    For CCA on Gaussian data the random similarity depends only on ``(n, p, q)``; its
    Pillai trace has mean ``p q / (n - 1)`` (:func:`analytic_null_pillai`). Random draws
    are numpy arrays; with tensor input they are moved to the input's device before the
    measure is called.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca import stats
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((100, 10)), rng.standard_normal((100, 20))
    >>> base = stats.random_baseline(X, Y, "cca", n_resamples=50, rng=1)
    >>> round(base.mean, 2), round(base.observed, 2)      # X and Y are independent
    (0.43, 0.42)
    """
    m, name, f, X, Y, n_resamples, gen = _prepare(X, Y, measure, measure_options, n_resamples, rng)
    check_bool(progress, "progress")
    check_option(match, "match", ("shape", "spectrum"))
    observed = _observed(m, f, X, Y)
    (n, p), q = shape_of(X), shape_of(Y)[1]
    ops = get_ops(X, Y)
    like = X if is_torch(X) else Y

    def to_input(a: np.ndarray) -> Any:
        return ops.from_numpy(a, like=like) if ops.name == "torch" else a

    if match == "spectrum":
        sx, sy = _SpectrumSampler(to_numpy(X)), _SpectrumSampler(to_numpy(Y))
        draws = (lambda: (sx(gen), sy(gen)) for _ in range(n_resamples))
    else:  # complex layers get circular complex Gaussians
        cx, cy = ops.is_complex(ops.asarray(X)), ops.is_complex(ops.asarray(Y))
        draws = (lambda: (_gaussian(gen, (n, p), cx), _gaussian(gen, (n, q), cy)) for _ in range(n_resamples))
    null = np.empty(n_resamples)
    with _bar(progress, n_resamples, f"random_baseline ({name})") as bar:
        for i, draw in enumerate(draws):
            A, B = draw()
            null[i] = f(to_input(A), to_input(B))
            bar.update(1)
    null = _defined(observed, null, "random pairs")
    return RandomBaselineResult(
        observed=observed, null_distribution=null, match=match, n_resamples=n_resamples, measure=name
    )


def analytic_null_pillai(n: int, p: int, q: int) -> float:
    """Return the expected Pillai trace ``sum rho^2`` of CCA between independent layers: ``p q / (n - 1)``.

    Parameters
    ----------
    n : int
        Number of samples (>= 2).
    p, q : int
        Ranks (numbers of varying, linearly independent features) of the two layers.

    Returns
    -------
    float
        ``min(p, n-1) * min(q, n-1) / (n - 1)``.

    Raises
    ------
    TypeError, ValueError
        For non-integer or out-of-range arguments.

    Notes
    -----
    After centring, each layer spans a random subspace of the ``(n - 1)``-dimensional
    space orthogonal to the all-ones vector, and ``sum rho^2 = tr(P_x P_y)`` for the
    orthogonal projections onto them. When one side is rotation invariant (e.g. Gaussian)
    ``E tr(P_x P_y) = tr(P_x) tr(P_y) / (n - 1)``, exactly. The mean squared correlation
    is this divided by ``min(p, q)``: ``max(p, q) / (n - 1)``, the chance level of Yanai's R^2.

    Examples
    --------
    >>> from svcca.stats import analytic_null_pillai
    >>> analytic_null_pillai(1001, 10, 50)
    0.5
    """
    n = check_count(n, "n", 2)
    p = check_count(p, "p")
    q = check_count(q, "q")
    return min(p, n - 1) * min(q, n - 1) / (n - 1)


# --- bootstrap --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """The result of :func:`bootstrap_ci`.

    Attributes
    ----------
    observed : float
        The similarity on the full data.
    low, high : float
        The confidence interval.
    confidence : float
    method : {"percentile", "basic", "bca"}
    bootstrap_distribution : numpy.ndarray of shape (n_resamples - n_degenerate,)
        The similarity on each usable resample.
    n_resamples : int
        The number of resamples drawn.
    measure : str
    n_degenerate : int
        Resamples on which the measure is undefined (a sparse layer whose draw holds no
        active row: "no varying feature"; a callable returning NaN or inf); they are left
        out of the interval.
    n_groups : int or None
        The number of groups resampled as wholes (``groups=``); None when rows were
        resampled one by one.

    Notes
    -----
    The repr shows :attr:`bias`, the mean resampled similarity less ``observed``. Resampling
    inflates CCA-family measures and biased CKA, so their bias is positive, and an interval
    that corrects for it (``"basic"``) can lie wholly below ``observed`` while the
    ``"percentile"`` interval lies above it; the repr then says so in one sentence.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.stats import bootstrap_ci
    >>> x = np.random.default_rng(0).standard_normal((200, 1))
    >>> ci = bootstrap_ci(x, x**3, measure="cca", n_resamples=200, rng=0)
    >>> bool(ci.low <= ci.observed <= ci.high), ci.n_resamples
    (True, 200)
    """

    observed: float
    low: float
    high: float
    confidence: float
    method: str
    bootstrap_distribution: np.ndarray
    n_resamples: int
    measure: str
    n_degenerate: int = 0
    n_groups: int | None = None

    @property
    def standard_error(self) -> float:
        """Bootstrap standard error (standard deviation of the resampled similarities)."""
        return _sd(self.bootstrap_distribution)

    @property
    def bias(self) -> float:
        """Bootstrap estimate of the bias: mean resampled similarity minus ``observed``."""
        return float(self.bootstrap_distribution.mean()) - self.observed

    @property
    def bias_corrected(self) -> float:
        """``2 * observed - median`` of the resampled similarities.

        The observed value less the bootstrap's median bias (the ``"basic"`` interval
        reflects the quantiles around ``2 * observed``). Not clipped to the measure's
        range: near a bound it can leave it, as the bias it removes is then not constant.

        Examples
        --------
        >>> import numpy as np
        >>> from svcca.stats import BootstrapResult
        >>> b = BootstrapResult(0.5, 0.4, 0.6, 0.95, "basic", np.array([0.52, 0.54, 0.56]), 3, "cca")
        >>> round(b.bias_corrected, 6)
        0.46
        """
        return 2 * self.observed - float(np.quantile(self.bootstrap_distribution, 0.5))

    @property
    def note(self) -> str | None:
        """Why the interval excludes ``observed``, in one sentence; None when it holds it.

        :meth:`__repr__` and ``svcca compare`` print it.

        Examples
        --------
        >>> import numpy as np
        >>> from svcca.stats import BootstrapResult
        >>> b = BootstrapResult(0.5, 0.55, 0.6, 0.95, "percentile", np.array([0.56, 0.58]), 2, "cca")
        >>> b.note.split(":")[0]
        'the interval lies above the observed value'
        """
        if self.low <= self.observed <= self.high:
            return None
        side = "below" if self.high < self.observed else "above"
        moves = "inflates" if self.bias > 0 else "deflates"
        why = (
            "the percentile interval keeps that bias (method='basic' corrects for it)"
            if self.method == "percentile"
            else f"the {self.method} interval corrects for that bias"
        )
        return f"the interval lies {side} the observed value: resampling {moves} this measure, and {why}"

    def __repr__(self) -> str:
        """Show the observed value, the interval, the bootstrap bias and why it excludes ``observed``."""
        note = self.note
        return (
            f"BootstrapResult(observed={self.observed:.4f}, low={self.low:.4f}, high={self.high:.4f}, "
            f"bias={self.bias:+.3g}, confidence={self.confidence}, method={self.method!r}, "
            f"n_resamples={self.n_resamples}"
            + (f", n_degenerate={self.n_degenerate}" if self.n_degenerate else "")
            + (f", n_groups={self.n_groups}" if self.n_groups is not None else "")
            + (f"; {note}" if note else "")
            + ")"
        )


@fill_doc
def bootstrap_ci(
    X: Any,
    Y: Any,
    measure: str | Measure | Callable[..., Any] = "cca",
    *,
    measure_options: Mapping[str, Any] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    method: str = "basic",
    groups: Any = None,
    rng: Any = None,
    progress: bool = False,
) -> BootstrapResult:
    """Bootstrap confidence interval of a similarity, resampling samples (rows) in pairs.

    Parameters
    ----------
    %(X)s
    %(Y)s
    %(measure)s
    %(measure_options)s
    n_resamples : int, default 1000
        Number of resamples.
    confidence : float, default 0.95
        Coverage of the interval, in (0, 1).
    method : {"basic", "percentile", "bca"}, default "basic"
        ``"basic"``: the quantiles of the resampled similarities reflected about the
        observed value, which corrects a constant bias to first order. Resampling inflates
        CCA-family measures and biased CKA (a resample repeats rows, and fewer distinct
        samples raise the similarity), so their ``"percentile"`` interval, the quantiles
        themselves, sits above the observed value and can miss it altogether (the book's
        chapter 4). The reflection can leave the values the measure takes, so the basic
        interval of a measure given by name is clipped to them
        (:attr:`svcca.Measure.bounds`). ``"bca"``: bias-corrected and accelerated
        (Efron 1987), which needs ``n_samples`` extra evaluations (a jackknife). Its bias
        correction moves the quantile levels towards the side where the observed value lies;
        when nearly every resample lies on the other side (as resampling inflates these
        measures) a level falls beyond the outermost resamples, and the interval is refused
        rather than collapsed onto them. No method is exact: for a skewed statistic at about
        100 samples every one covers less than its nominal level, the basic interval most
        (in a simulation of linear CKA between two variables correlated at 0.5, n = 100,
        nominal 95%: basic about 89%, percentile and BCa about 93-94%). Read an interval
        at that size as approximate, and prefer more samples to another method.
    groups : array-like of shape (n_samples,), optional
        A label per row (e.g. the image each row came from) when rows are not independent:
        the cluster bootstrap draws whole groups with replacement (and the ``"bca"``
        jackknife leaves out one group at a time). With one row per group this is the
        ungrouped bootstrap, resample for resample.
    rng : None, int or numpy.random.Generator
        Seeds the resampling.
    %(progress_resamples)s

    Returns
    -------
    BootstrapResult
        ``observed``, ``low``, ``high``, the resampled similarities and their standard error.

    Raises
    ------
    ValueError
        For invalid arrays, an unknown measure, option or method, ``n_resamples < 1``, a confidence
        outside (0, 1), ``groups`` of the wrong length or with fewer than two groups, or when
        the measure is undefined (NaN or infinite) on the observed pair or on every resample.
        For an unbiased HSIC estimate (``cka`` or ``rbf_cka`` with ``debiased=True``,
        ``minibatch_cka``; :attr:`svcca.Measure.unbiased`): it counts a resample's repeated
        rows as distinct, perfectly similar samples, which biases every resample upwards.
    BCaUnresolvedError
        With ``method="bca"``, when no resample (or every one) lies below the observed
        value, or an adjusted level leaves fewer than one resample beyond it
        (``alpha_1 B < 1`` or ``(1 - alpha_2) B < 1`` for ``B`` usable resamples); the message
        gives the fraction below and the levels, and ``needed`` the number of resamples that
        would resolve them (a ``ValueError``).

    Warns
    -----
    DegenerateResampleWarning
        When more than 10% of the resamples were degenerate (left out): the interval then
        describes only the draws on which the measure is defined.
    SampleSizeWarning
        For the CCA family, when a resample's distinct rows (about ``0.632 n``) are fewer than
        the directions both sides keep: every resample then has correlations forced to 1.

    Notes
    -----
    The same rows are drawn for ``X`` and ``Y``, so the pairing is kept. A resample on
    which the measure is undefined (a sparse layer whose draw holds no active row raises
    "no varying feature") is not the user's input: it is skipped and counted in
    ``n_degenerate``. The interval
    describes sampling variability of the *estimate*; CCA similarities are biased upwards
    when ``n`` is not large compared to ``p + q`` (see :func:`sample_size_diagnostic`), and
    no bootstrap interval corrects that.

    Rows that are not independent (an image under several shifts) make the row bootstrap
    too narrow: each image counts once per row, as if its copies were new samples. Pass
    ``groups=`` to resample whole images: with each row repeated ``k`` times the grouped
    interval is the interval of the data without the repeats, while the row bootstrap's is
    about ``sqrt(k)`` times too narrow.

    With ``B`` resamples a 95% percentile interval rests on its ``0.025 B`` outermost
    resamples on each side: with ``B = 20`` it is the minimum and maximum. The Monte Carlo
    error of a tail quantile shrinks like ``1 / sqrt(B)``; use ``B >= 1000`` for a 95%
    interval reported to two digits (Efron & Tibshirani 1993, section 19.3).

    References
    ----------
    Efron (1987), Better bootstrap confidence intervals, JASA 82(397). Efron & Tibshirani
    (1993), An Introduction to the Bootstrap, ch. 13-14.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca import stats
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((400, 1))
    >>> y = 0.6 * x + 0.8 * rng.standard_normal((400, 1))      # correlation 0.6
    >>> ci = stats.bootstrap_ci(x, y, "cca", n_resamples=200, rng=0)
    >>> bool(ci.low < 0.6 < ci.high), round(ci.high - ci.low, 1)
    (True, 0.1)

    Each sample recorded three times: the grouped interval is the interval above, the
    row bootstrap's is too narrow:

    >>> image = np.repeat(np.arange(400), 3)
    >>> grouped = stats.bootstrap_ci(x[image], y[image], "cca", n_resamples=200, groups=image, rng=0)
    >>> rows = stats.bootstrap_ci(x[image], y[image], "cca", n_resamples=200, rng=0)
    >>> bool(np.isclose(grouped.low, ci.low)), bool(rows.high - rows.low < ci.high - ci.low)
    (True, True)
    """
    m, name, f, X, Y, n_resamples, gen = _prepare(X, Y, measure, measure_options, n_resamples, rng)
    check_bool(progress, "progress")
    check_option(method, "method", ("percentile", "basic", "bca"))
    check_confidence(confidence)
    if m is not None and m.unbiased:
        biased = "measure='cka' (biased)" if m.name == "minibatch_cka" else "debiased=False"
        raise ValueError(
            f"bootstrap_ci cannot resample {m!r}: an unbiased HSIC estimate counts every row as a "
            "distinct sample, and a resample repeats rows, so the repeats count as distinct samples "
            "that are perfectly similar. Every resample is then biased upwards, and the interval is "
            "wrong: it can exclude the estimate and lie below 0 for independent layers. Use the "
            f"biased estimate ({biased}), whose resampling bias the 'basic' interval corrects, or "
            "stats.permutation_test for significance (permutations repeat no row)"
        )
    n = shape_of(X)[0]
    grouped = _Groups.of(groups, n)
    if m is not None:
        result = m(X, Y, warn=True)
        observed = _as_similarity(result, m.name)
        _warn_resample_rank(n, getattr(result, "x_rank", None), getattr(result, "y_rank", None))
    else:
        observed = f(X, Y)
    _check_observed(observed, "no interval can be computed")
    units = n if grouped is None else grouped.n_groups
    boot = np.empty(n_resamples)
    with _bar(progress, n_resamples, f"bootstrap_ci ({name})") as bar:
        for b in range(n_resamples):
            draw = gen.integers(0, units, units)
            idx = draw if grouped is None else grouped.rows(draw)
            boot[b] = _on_rows(f, X, Y, idx)
            bar.update(1)
    n_degenerate = int((~np.isfinite(boot)).sum())
    if n_degenerate:
        boot = boot[np.isfinite(boot)]
        if boot.size == 0:
            why, what = (
                (
                    "a degenerate layer in every draw: no varying feature, or identical samples",
                    "the layer is too sparse for a bootstrap interval",
                )
                if m is not None
                else ("the measure gave NaN or inf on every draw", "check what the measure returns")
            )
            raise ValueError(
                f"the {name if m is not None else 'measure'} is undefined on all {n_resamples} "
                f"bootstrap resamples ({why}; X.shape={shape_of(X)}, Y.shape={shape_of(Y)}); {what}"
            )
        if n_degenerate > 0.1 * n_resamples:
            why = "a degenerate layer in the draw" if m is not None else "the measure gave NaN or inf"
            warnings.warn(
                f"{n_degenerate} of {n_resamples} bootstrap resamples were degenerate ({why}) and were "
                f"left out; the interval describes the other {boot.size}",
                DegenerateResampleWarning,
                stacklevel=2,
            )
    alpha = 1.0 - float(confidence)
    if method == "percentile":
        low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    elif method == "basic":
        qlo, qhi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
        low, high = 2 * observed - qhi, 2 * observed - qlo
        if m is not None:  # the reflection can leave the values the measure takes (a mean CCA below 0)
            lo, hi = m.bounds
            low, high = min(max(low, lo), hi), max(min(high, hi), lo)
    else:
        low, high = _bca(X, Y, f, observed, boot, alpha, n, grouped)
    return BootstrapResult(
        observed=observed, low=float(low), high=float(high), confidence=float(confidence), method=method,
        bootstrap_distribution=boot, n_resamples=n_resamples, measure=name, n_degenerate=n_degenerate,
        n_groups=None if grouped is None else grouped.n_groups,
    )  # fmt: skip


class DegenerateResampleWarning(UserWarning):
    """Resamples (bootstrap draws, permutations, random pairs) left the measure undefined and were left out.

    Examples
    --------
    >>> import warnings
    >>> from svcca.stats import DegenerateResampleWarning
    >>> issubclass(DegenerateResampleWarning, UserWarning)
    True
    """


def _warn_resample_rank(n: int, rx: int | None, ry: int | None) -> None:
    """Warn where a bootstrap resample's distinct rows are too few for the CCA's directions.

    A resample of ``n`` rows with replacement holds about ``(1 - 1/e) n = 0.632 n`` distinct
    ones; with ``r_x + r_y`` beyond that (minus one) every resample has correlations forced
    to 1, and the interval lies above the estimate.
    """
    if rx is None or ry is None:
        return
    distinct = n * (1.0 - (1.0 - 1.0 / n) ** n)
    if rx + ry > distinct - 1:
        warnings.warn(
            f"a bootstrap resample holds about {distinct:.0f} distinct rows of {n}, fewer than the "
            f"{rx} + {ry} directions the CCA keeps: correlations are forced to 1 in the resamples and "
            f"the interval lies above the estimate; use more samples or fewer features (svcca, pooling)",
            SampleSizeWarning,
            stacklevel=3,
        )


def _on_rows(f: Callable[[Any, Any], float], X: Any, Y: Any, idx: np.ndarray) -> float:
    """``f`` on the rows ``idx`` of both layers; NaN when the draw leaves it undefined."""
    try:
        with warnings.catch_warnings():  # the observed pair warned about its sample size once
            warnings.simplefilter("ignore", SampleSizeWarning)
            return float(f(take_rows(X, idx), take_rows(Y, idx)))
    except DegenerateLayerError:  # no varying feature, only rounding, identical samples
        return float("nan")


class BCaUnresolvedError(ValueError):
    """A BCa interval whose adjusted quantile levels lie beyond what the resamples resolve.

    Raised by :func:`bootstrap_ci` with ``method="bca"`` when no resample (or every one)
    lies below the observed similarity, or when an adjusted level leaves fewer than one
    resample beyond it. A ``ValueError``. The message says what to do in the Python API's
    words (``method=``, ``n_resamples=``); ``why`` and ``needed`` let a caller say it in
    its own (the command line's ``--ci-method`` and ``--ci``).

    Parameters
    ----------
    why : str
        Why the levels are not resolved: the fraction of resamples below the observed
        similarity and the adjusted levels.
    needed : int or None
        The number of resamples that would resolve the levels; None when more resamples
        would not help (no resample, or every one, lies below the observed similarity) or
        would take more than 100,000.

    Examples
    --------
    Twenty resamples cannot resolve a 95% BCa interval; the error says how many would:

    >>> import numpy as np
    >>> from svcca import stats
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((200, 1))
    >>> y = 0.6 * x + 0.8 * rng.standard_normal((200, 1))
    >>> try:
    ...     stats.bootstrap_ci(x, y, "cca", n_resamples=20, method="bca", rng=0)
    ... except stats.BCaUnresolvedError as exc:
    ...     print(exc.needed)
    334
    """

    def __init__(self, why: str, needed: int | None) -> None:
        self.why, self.needed = why, needed
        more = f", or n_resamples >= {needed}" if needed is not None else ""
        super().__init__(
            f"method='bca' cannot place this interval: {why}; use method='basic' or 'percentile'{more}"
        )


# Past this many resamples (hours of work) more resamples are not suggested to resolve a BCa level.
_MOST_RESAMPLES_SUGGESTED = 100_000


def _bca_levels(below: float, a: float, alpha: float, B: int, observed: float) -> tuple[float, float]:
    """Return BCa's adjusted levels ``(alpha_1, alpha_2)``; raise where ``B`` resamples cannot resolve them.

    ``below`` is the fraction of resamples below ``observed`` (ties count half), ``a`` the
    acceleration. The rule, the one place for it: each end needs at least one resample
    beyond its level (``alpha_1 B >= 1`` and ``(1 - alpha_2) B >= 1``), and the bias
    correction ``z0 = Phi^-1(below)`` needs ``0 < below < 1``. Otherwise the quantiles are
    the outermost resamples, or beyond them, and the interval collapses.
    """
    from scipy.special import ndtr, ndtri

    if below <= 0 or below >= 1:
        side = "none of" if below <= 0 else "every one of"
        raise BCaUnresolvedError(
            f"{side} the {B} resamples lies below the observed similarity {observed:.4g} (resampling "
            f"{'inflates' if below <= 0 else 'deflates'} this measure), so its bias correction "
            f"Phi^-1({below:g}) is infinite and both adjusted levels are {below:g}, the outermost resample",
            None,
        )
    z0 = float(ndtri(below))  # Efron's bias correction
    levels = []
    for z in (float(ndtri(alpha / 2)), float(ndtri(1 - alpha / 2))):
        denom = 1.0 - a * (z0 + z)
        # past a pole of the adjustment the level is at its limit, 0 or 1
        levels.append(float(ndtr(z0 + (z0 + z) / denom)) if denom > 0 else float(z0 + z > 0))
    tail = min(levels[0], 1.0 - levels[1])
    if tail * B < 1.0 - 1e-9:  # (rounding: a level of exactly 1 / B is resolved)
        needed = int(np.ceil(1.0 / tail)) if tail > 0 else None
        raise BCaUnresolvedError(
            f"{below:.1%} of the {B} resamples lie below the observed similarity {observed:.4g}, which "
            f"moves the interval's quantile levels from {alpha / 2:g} and {1 - alpha / 2:g} to "
            f"{levels[0]:.3g} and {levels[1]:.3g}, beyond what {B} resamples resolve (each end needs "
            f"at least one resample beyond it)",
            needed if needed is not None and needed <= _MOST_RESAMPLES_SUGGESTED else None,
        )
    return levels[0], levels[1]


def _bca(
    X: Any, Y: Any, f: Any, observed: float, boot: np.ndarray, alpha: float, n: int, grouped: _Groups | None
) -> tuple[float, float]:
    # bias correction: where the observed value sits in the bootstrap distribution; ties
    # within rounding (as the permutation test's) count half
    tie = _ties(observed, boot)
    below = (np.count_nonzero((boot < observed) & ~tie) + 0.5 * np.count_nonzero(tie)) / boot.size
    if below <= 0 or below >= 1:  # refused before the jackknife's n evaluations
        _bca_levels(below, 0.0, alpha, boot.size, observed)
    # acceleration from the jackknife (leave one sample, or one group, out)
    units = n if grouped is None else grouped.n_groups
    keep = np.ones(n, dtype=bool)
    jack = np.empty(units)
    for i in range(units):
        if grouped is None:
            keep[i] = False
            idx = np.flatnonzero(keep)
            keep[i] = True
        else:
            idx = grouped.without(i)
        try:
            jack[i] = _on_rows(f, X, Y, idx)
        except ValueError as exc:  # one sample fewer than the measure needs
            raise ValueError(
                f"method='bca' needs the measure on every leave-one-out subset, and with "
                f"{idx.size} of {n} rows it fails ({exc}); use method='percentile' or 'basic'"
            ) from None
    jack = jack[~np.isnan(jack)]  # leaving out a sparse layer's only active row
    d = jack.mean() - jack if jack.size else jack
    denom = 6.0 * float((d * d).sum()) ** 1.5
    a = float((d**3).sum()) / denom if denom > 0 else 0.0
    low, high = np.quantile(boot, _bca_levels(below, a, alpha, boot.size, observed))
    return float(low), float(high)


# --- Bartlett's test --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BartlettResult:
    """The result of :func:`bartlett_test`.

    Attributes
    ----------
    rho : numpy.ndarray of shape (m,)
        The canonical correlations tested, descending.
    wilks_lambda : numpy.ndarray of shape (m,)
        ``Lambda_k = prod_{i >= k} (1 - rho_i^2)`` (0-based ``i`` and ``k``): Wilks' lambda
        for the correlations after the first ``k``.
    statistic : numpy.ndarray of shape (m,)
        ``-(n - 1 - (p + q + 1) / 2) ln Lambda_k``.
    dof : numpy.ndarray of shape (m,)
        ``(p - k)(q - k)``.
    p_value : numpy.ndarray of shape (m,)
        Chi-square p-value of "at most ``k`` correlations are non-zero".
    n_significant : int
        The first ``k`` whose hypothesis is not rejected at ``alpha`` (the estimated number
        of non-zero canonical correlations); ``m`` when all are rejected.
    alpha : float
    n_samples, p, q : int

    Examples
    --------
    >>> from svcca.stats import bartlett_test
    >>> res = bartlett_test([0.9, 0.5, 0.1], n=200, p=3, q=4)      # all min(p, q) = 3 correlations
    >>> res.n_significant                                            # 0.1 is chance at n = 200
    2
    """

    rho: np.ndarray
    wilks_lambda: np.ndarray
    statistic: np.ndarray
    dof: np.ndarray
    p_value: np.ndarray
    n_significant: int
    alpha: float
    n_samples: int
    p: int
    q: int

    def __repr__(self) -> str:
        """Show how many correlations are significant."""
        return (
            f"BartlettResult(n_significant={self.n_significant}, alpha={self.alpha}, "
            f"n_samples={self.n_samples}, p={self.p}, q={self.q})"
        )


def bartlett_test(
    result_or_rho: Any,
    n: int | None = None,
    p: int | None = None,
    q: int | None = None,
    *,
    alpha: float = 0.05,
) -> BartlettResult:
    """Bartlett's sequential chi-square test for the number of non-zero canonical correlations.

    Parameters
    ----------
    result_or_rho : CCAResult or array-like of shape (m,)
        A result of :func:`svcca.cca` (or SVCCA/PWCCA), or the canonical correlations.
    n : int, optional
        Number of samples; taken from the result when omitted.
    p, q : int, optional
        Numbers of variables on each side (the ranks); taken from the result
        (``x_rank``, ``y_rank``) when omitted.
    alpha : float, default 0.05
        Level of each test in the sequence.

    Returns
    -------
    BartlettResult
        Per-``k`` statistics, degrees of freedom and p-values, and ``n_significant``.

    Raises
    ------
    ValueError
        For correlations outside [0, 1], other than ``min(p, q)`` correlations, the CCA of
        complex layers or a regularised one (``epsilon > 0``), or
        ``n - 1 <= (p + q + 1) / 2`` where the approximation does not hold.
    TypeError
        When ``n``, ``p``, ``q`` are missing for a bare array of correlations.

    Notes
    -----
    For ``k = 0, 1, ..., m - 1`` the hypothesis "only the first ``k`` correlations are
    non-zero" is tested with Bartlett's (1941) statistic
    ``chi2_k = -(n - 1 - (p + q + 1) / 2) ln prod_{i > k} (1 - rho_i^2)``, approximately
    chi-square with ``(p - k)(q - k)`` degrees of freedom for Gaussian data. The number of
    significant correlations is the first ``k`` not rejected. Correlations forced to 1 by
    too few samples (``p + q > n - 1``) make every test reject (a
    :class:`svcca.SampleSizeWarning` says so): check :func:`sample_size_diagnostic` first.

    References
    ----------
    Bartlett (1941), The statistical significance of canonical correlations, Biometrika
    32(1), 29-37. Mardia, Kent, Bibby (1979), Multivariate Analysis, section 10.2.

    Examples
    --------
    >>> import numpy as np, svcca
    >>> from svcca import stats
    >>> rng = np.random.default_rng(0)
    >>> latent = rng.standard_normal((500, 2))
    >>> X = np.hstack([latent, rng.standard_normal((500, 4))]) @ rng.standard_normal((6, 6))
    >>> Y = np.hstack([latent, rng.standard_normal((500, 5))]) @ rng.standard_normal((7, 7))
    >>> stats.bartlett_test(svcca.cca(X, Y)).n_significant
    2
    >>> stats.bartlett_test([0.9, 0.5, 0.05], n=200, p=3, q=4).n_significant
    2
    """
    if isinstance(result_or_rho, CCAResult):
        if np.iscomplexobj(to_numpy(result_or_rho.x_mean)):
            raise ValueError(
                "bartlett_test's chi-square approximation is for real Gaussian data; got the CCA of "
                "complex layers (their statistic follows another distribution)"
            )
        if float(result_or_rho.epsilon) > 0:
            raise ValueError(
                f"bartlett_test needs the correlations of exact CCA; got a regularised one "
                f"(epsilon={result_or_rho.epsilon:g}), whose correlations are shrunk"
            )
        rho = result_or_rho._rho_np
        n = result_or_rho.n_samples if n is None else n
        p = result_or_rho.x_rank if p is None else p
        q = result_or_rho.y_rank if q is None else q
    else:
        rho = to_numpy(result_or_rho)
        if n is None or p is None or q is None:
            raise TypeError("bartlett_test needs n, p and q when given correlations instead of a CCAResult")
    rho = np.asarray(rho, dtype=np.float64)
    if rho.ndim != 1 or rho.size == 0:
        raise ValueError(f"rho must be a non-empty 1-D array of correlations; got shape {rho.shape}")
    n = check_count(n, "n", 2)
    p = check_count(p, "p")
    q = check_count(q, "q")
    if not (np.all(rho >= 0) and np.all(rho <= 1)):
        raise ValueError(
            f"canonical correlations must lie in [0, 1]; got min {rho.min():g}, max {rho.max():g}"
        )
    if rho.size != min(p, q):  # missing ones would silently count as 0
        raise ValueError(
            f"bartlett_test needs all min(p, q) = {min(p, q)} canonical correlations (p={p}, q={q}); "
            f"got {rho.size}"
        )
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a number in (0, 1); got {alpha!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}")
    factor = n - 1 - (p + q + 1) / 2
    if factor <= 0:
        raise ValueError(
            f"Bartlett's approximation needs n - 1 > (p + q + 1) / 2; got n={n}, p={p}, q={q}: "
            f"too few samples"
        )
    # correlations forced to 1 by too few samples would count as significant: say so
    warn_sample_size(n, p, q, stacklevel=2)
    from scipy.stats import chi2

    rho = np.sort(rho)[::-1]
    m = rho.size
    with np.errstate(divide="ignore"):
        logs = np.log1p(-(rho * rho))  # -inf where rho == 1
    tail = np.cumsum(logs[::-1])[::-1]  # sum_{i >= k} ln(1 - rho_i^2)
    k = np.arange(m)
    stat = -factor * tail
    dof = (p - k) * (q - k)
    pval = chi2.sf(stat, dof)
    not_rejected = np.flatnonzero(pval > alpha)
    n_sig = int(not_rejected[0]) if not_rejected.size else m
    return BartlettResult(
        rho=rho, wilks_lambda=np.exp(tail), statistic=stat, dof=dof, p_value=pval, n_significant=n_sig,
        alpha=float(alpha), n_samples=n, p=p, q=q,
    )  # fmt: skip


# --- sample size ------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveSampleSize:
    """The result of :func:`effective_sample_size`.

    Attributes
    ----------
    n_samples : int
        The rows.
    n_groups : int
        The groups; the conservative bound of the effective sample size (rows of one group
        counted as one sample).
    mean_group_size : float
        ``n_samples / n_groups``.
    icc : float
        Intraclass correlation of the rows within a group, in [0, 1]: the share of the
        features' total variance that lies between the groups' means (one-way ANOVA
        estimator, features pooled by variance; the larger of the two layers').
    design_effect : float
        Kish's ``1 + (mean_group_size - 1) icc``.
    n_effective : float
        ``n_samples / design_effect``, between ``n_groups`` and ``n_samples``.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca import stats
    >>> X = np.random.default_rng(0).standard_normal((50, 3))
    >>> image = np.repeat(np.arange(50), 2)
    >>> ess = stats.effective_sample_size(X[image], image)
    >>> ess.n_groups, ess.n_effective
    (50, 50.0)
    """

    n_samples: int
    n_groups: int
    mean_group_size: float
    icc: float
    design_effect: float
    n_effective: float

    def __str__(self) -> str:
        """Say how many independent samples the rows are worth."""
        return (
            f"effective sample size {self.n_effective:.0f} of {self.n_samples} rows in {self.n_groups} "
            f"groups (intraclass correlation {self.icc:.3g}, design effect {self.design_effect:.2f})"
        )


def _real_features(A: np.ndarray) -> np.ndarray:
    """Return a layer as real features: a complex feature counts as its real and imaginary parts."""
    A = np.asarray(A)
    if np.iscomplexobj(A):
        return np.hstack([A.real, A.imag]).astype(np.float64)
    return A.astype(np.float64)


def _icc(A: np.ndarray, codes: np.ndarray, sizes: np.ndarray) -> float:
    """Compute the one-way ANOVA intraclass correlation of the rows of ``A`` within groups.

    The features' sums of squares are pooled (a variance-weighted ICC), clipped to [0, 1].
    """
    n, G = A.shape[0], sizes.size
    means = np.zeros((G, A.shape[1]))
    np.add.at(means, codes, A)
    means /= sizes[:, None]
    ssw = float(((A - means[codes]) ** 2).sum())
    ssb = float((sizes[:, None] * (means - A.mean(0)) ** 2).sum())
    if n == G or ssw + ssb <= 0:  # one row per group, or no variance: no correlation to see
        return 0.0
    msb, msw = ssb / (G - 1), ssw / (n - G)
    n0 = (n - float((sizes * sizes).sum()) / n) / (G - 1)
    return float(np.clip((msb - msw) / (msb + (n0 - 1) * msw), 0.0, 1.0))


def effective_sample_size(X: Any, groups: Any, Y: Any = None) -> EffectiveSampleSize:
    """How many independent samples rows that come in groups are worth (Kish's design effect).

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n_samples, n_features_x)
        Activations, samples first.
    groups : array-like of shape (n_samples,)
        A label per row, e.g. the image each row came from.
    Y : array-like or torch.Tensor of shape (n_samples, n_features_y), optional
        A second layer over the same rows; the more clustered of the two counts.

    Returns
    -------
    EffectiveSampleSize
        The intraclass correlation, the design effect and ``n_effective``.

    Raises
    ------
    ValueError
        For invalid arrays, or ``groups`` of the wrong length or with fewer than two groups.

    Notes
    -----
    Rows of one group (one image under several shifts or at several positions) are alike.
    With intraclass correlation ``icc`` (the share of variance between groups) and ``m``
    rows per group, a mean over the rows has the variance of a mean over
    ``n / (1 + (m - 1) icc)`` independent samples (Kish 1965). This is the number the
    sample-size rule (:func:`sample_size_diagnostic` with ``groups=``) applies to. It is
    exact for identical copies (``icc = 1``: one sample per group) and for independent rows
    (``icc = 0``); in between it is an approximation for means, and the number of groups
    is the bound that needs no approximation.

    References
    ----------
    Kish (1965), Survey Sampling, section 5.4.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca import stats
    >>> X = np.random.default_rng(0).standard_normal((100, 4))
    >>> image = np.repeat(np.arange(100), 9)
    >>> ess = stats.effective_sample_size(X[image], image)      # 9 identical copies of each
    >>> ess.icc, ess.design_effect, ess.n_effective
    (1.0, 9.0, 100.0)
    >>> round(stats.effective_sample_size(X, np.arange(100) % 10).icc, 2)   # no clusters
    0.0
    """
    if Y is None:
        X = check_array(X, "X")
        layers = [X]
    else:
        X, Y = check_pair(X, Y)
        layers = [X, Y]
    n = shape_of(X)[0]
    codes = check_groups(groups, n)
    sizes = np.bincount(codes)
    icc = max(_icc(_real_features(to_numpy(A)), codes, sizes) for A in layers)
    m = n / sizes.size
    deff = 1.0 + (m - 1.0) * icc
    return EffectiveSampleSize(
        n_samples=n, n_groups=int(sizes.size), mean_group_size=m, icc=icc, design_effect=deff,
        n_effective=n / deff,
    )  # fmt: skip


@dataclass(frozen=True)
class SampleSizeDiagnostic:
    """The result of :func:`sample_size_diagnostic`.

    Attributes
    ----------
    n_samples, p, q : int
    forced_ones : int
        ``min(p + q - (n - 1), p, q)`` when positive: canonical correlations that are 1
        whatever the data.
    samples_per_feature : float
        ``n / max(p, q)``: the quantity the 5-10x rule of thumb is about.
    samples_per_total_features : float
        ``n / (p + q)``; at or below about 1 correlations are forced to 1.
    null_pillai : float
        Expected ``sum rho^2`` of independent layers, ``p q / (n - 1)``.
    null_mean_rho2 : float
        Expected mean squared correlation of independent layers (Yanai's R^2 at chance),
        ``max(p, q) / (n - 1)`` (at most 1).
    regime : {"degenerate", "too few samples", "marginal", "adequate"}
    verdict : str
        One sentence a user can act on.
    effective : EffectiveSampleSize or None
        With ``groups=``: the effective sample size the ratios, the chance levels and the
        regime were computed from (``forced_ones`` counts rows: it is algebra, not
        statistics). None otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.stats import sample_size_diagnostic
    >>> X = np.random.default_rng(0).standard_normal((200, 5))
    >>> diag = sample_size_diagnostic(X, X[:, :4])
    >>> diag.n_samples
    200
    """

    n_samples: int
    p: int
    q: int
    forced_ones: int
    samples_per_feature: float
    samples_per_total_features: float
    null_pillai: float
    null_mean_rho2: float
    regime: str
    verdict: str
    effective: EffectiveSampleSize | None = None

    def __str__(self) -> str:
        """Return the diagnostic's verdict."""
        return self.verdict


def sample_size_diagnostic(
    n_or_X: Any, p_or_Y: Any, q: int | None = None, *, groups: Any = None
) -> SampleSizeDiagnostic:
    """How far a layer pair is from the regime where CCA is trivially 1.

    Call as ``sample_size_diagnostic(X, Y)`` with the activations, or
    ``sample_size_diagnostic(n, p, q)`` with the numbers of samples and features.

    Parameters
    ----------
    n_or_X : int or array-like of shape (n_samples, n_features_x)
        The number of samples, or the first layer's activations.
    p_or_Y : int or array-like of shape (n_samples, n_features_y)
        The first layer's number of features, or the second layer's activations.
    q : int, optional
        The second layer's number of features (with the integer form only).
    groups : array-like of shape (n_samples,), optional
        With the array form: a label per row (e.g. the image each row came from). The rule
        then counts :func:`effective_sample_size` samples, not rows. With the integer form
        pass the effective number as ``n``.

    Returns
    -------
    SampleSizeDiagnostic
        Forced correlations, ratios, the chance level of the summaries and a verdict.

    Raises
    ------
    TypeError
        When the arguments mix the two forms, or ``groups`` comes with the integer form.
    ValueError
        For invalid arrays, counts or groups.

    Notes
    -----
    With ``n`` centred samples each layer spans at most ``n - 1`` dimensions, so when
    ``p + q > n - 1`` the two spans intersect in at least ``p + q - (n - 1)`` dimensions:
    that many correlations are exactly 1 whatever the data. Below that, independent layers
    still give ``E[mean rho^2] = max(p, q) / (n - 1)``. The rule of thumb of the SVCCA
    tutorials is at least 5-10 samples per feature (``n >= 5-10 x max(p, q)``); with
    arrays the feature counts are the widths (dead features still count: drop them or use
    ranks for a sharper answer).

    Examples
    --------
    >>> from svcca.stats import sample_size_diagnostic
    >>> d = sample_size_diagnostic(1000, 600, 500)
    >>> d.regime, d.forced_ones
    ('degenerate', 101)
    >>> sample_size_diagnostic(10000, 256, 512).regime
    'adequate'

    Rows that are copies of fewer samples count as those samples:

    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((100, 40))
    >>> image = np.repeat(np.arange(100), 9)
    >>> sample_size_diagnostic(X[image], X[image]).regime
    'adequate'
    >>> sample_size_diagnostic(X[image], X[image], groups=image).regime
    'too few samples'
    """
    ess = None
    if q is None:
        if isinstance(n_or_X, numbers.Integral) or isinstance(p_or_Y, numbers.Integral):
            raise TypeError("call sample_size_diagnostic(X, Y) with two arrays, or (n, p, q) with three ints")
        X, Y = check_pair(n_or_X, p_or_Y)
        (n, p), qq = shape_of(X), shape_of(Y)[1]
        if groups is not None:
            ess = effective_sample_size(X, groups, Y)
    else:
        if not all(isinstance(v, numbers.Integral) for v in (n_or_X, p_or_Y)):
            raise TypeError("call sample_size_diagnostic(X, Y) with two arrays, or (n, p, q) with three ints")
        if groups is not None:
            raise TypeError(
                "groups= needs the activations, sample_size_diagnostic(X, Y, groups=...); with counts "
                "pass the effective number of samples as n"
            )
        n = check_count(n_or_X, "n", 2)
        p = check_count(p_or_Y, "p")
        qq = check_count(q, "q")
    forced = max(0, min(p + qq - (n - 1), p, qq))
    widest = max(p, qq)
    n_rule = n if ess is None else ess.n_effective
    ratio = n_rule / widest
    null_pillai = (
        analytic_null_pillai(n, p, qq)
        if ess is None
        else min(p, n_rule - 1) * min(qq, n_rule - 1) / (n_rule - 1)
    )
    null_rho2 = min(1.0, widest / (n_rule - 1))
    shown = _on_its_side(ratio, (5.0, 10.0), 1, "f")
    if forced > 0:
        regime = "degenerate"
        verdict = (
            f"degenerate: with n={n} samples and {p} + {qq} features, {forced} canonical correlation(s) "
            f"are exactly 1 whatever the data; CCA similarity is meaningless here. Use at least "
            f"{5 * widest}-{10 * widest} samples, or reduce the features (SVCCA, pooling)."
        )
    elif ratio < 5:
        regime = "too few samples"
        verdict = (
            f"too few samples: n / max(p, q) = {shown} (< 5); independent layers would score "
            f"mean rho^2 = {null_rho2:.2f}. Compare against a permutation null, or use "
            f"{5 * widest}-{10 * widest} samples."
        )
    elif ratio < 10:
        regime = "marginal"
        verdict = (
            f"marginal: n / max(p, q) = {shown} (5-10); chance level mean rho^2 = {null_rho2:.3f}. "
            f"Report a permutation null beside the similarity."
        )
    else:
        regime = "adequate"
        verdict = f"adequate: n / max(p, q) = {shown} (>= 10); chance level mean rho^2 = {null_rho2:.3f}."
    if ess is not None:
        verdict += f" (n counts {ess}.)"
    return SampleSizeDiagnostic(
        n_samples=n, p=p, q=qq, forced_ones=forced, samples_per_feature=ratio,
        samples_per_total_features=n_rule / (p + qq), null_pillai=null_pillai, null_mean_rho2=null_rho2,
        regime=regime, verdict=verdict, effective=ess,
    )  # fmt: skip
