"""Claims: the quantitative statements the book makes about an experiment's result.

A claim is an *effect* that must survive a rerun on another CPU or with other seeds: an
ordering with a margin, a difference with an interval, a fraction of seeds. Each one has
a stable name, the sentence the book says, the measured value and a bound. The book's
chapters and the robustness matrix (``svcca claims``) check them with one call,
:func:`check_claims`, which names every claim that failed with its value and bound.
"""

from __future__ import annotations

import math
import operator
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Claim",
    "ClaimFailure",
    "check_claims",
    "claim_details",
    "claim_specs",
    "claims_markdown",
    "claims_table",
    "median_case",
    "recall_claims",
    "remember_claims",
    "smallest_margin",
    "worst_case",
]

_RELATIONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass(frozen=True)
class Claim:
    """One statement of the book about a measured result, with its value and bound.

    Parameters
    ----------
    name : str
        Stable identifier, ``"<experiment>.<claim>"``, e.g.
        ``"learning_dynamics.conv.bottom_up"``. The robustness matrix and the status page
        key on it.
    statement : str
        The sentence the book says, in words a reader can check.
    value : float
        The measured value the statement rests on (an ordering's smallest gap, an interval's
        lower end, a fraction of seeds...).
    relation : {">", ">=", "<", "<="}
        How ``value`` must compare with ``bound``.
    bound : float
        The bound the statement promises.
    details : dict of str -> float, optional
        Supporting numbers (per seed, per layer) shown next to the claim; not checked.

    Attributes
    ----------
    holds : bool
        Whether ``value relation bound`` is true. A value that is not finite never holds:
        NaN, or an infinity from a division by zero, is no measurement.
    margin : float
        Distance from the bound on the side that holds, in the units of ``value``:
        negative when the claim fails, 0 at the bound (which holds for ``>=`` and ``<=``
        only), NaN for a value that is not finite.

    Examples
    --------
    >>> c = Claim("demo.gap", "the gap is positive", value=0.12, relation=">", bound=0.0)
    >>> c.holds, round(c.margin, 2)
    (True, 0.12)
    >>> Claim("demo.small", "at most 0.1", value=0.3, relation="<=", bound=0.1).holds
    False
    """

    name: str
    statement: str
    value: float
    relation: str
    bound: float
    details: dict[str, float] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"a claim's name must be a non-empty string; got {self.name!r}")
        if self.relation not in _RELATIONS:
            raise ValueError(
                f"relation must be one of {', '.join(map(repr, _RELATIONS))}; got {self.relation!r} "
                f"for claim {self.name!r}"
            )
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "bound", float(self.bound))
        object.__setattr__(self, "details", {str(k): float(v) for k, v in dict(self.details).items()})

    @property
    def holds(self) -> bool:
        if not math.isfinite(self.value):
            return False
        return bool(_RELATIONS[self.relation](self.value, self.bound))

    @property
    def margin(self) -> float:
        if not math.isfinite(self.value):
            return math.nan
        return self.value - self.bound if self.relation.startswith(">") else self.bound - self.value

    def text(self, digits: int = 2, *, percent: bool = False, signed: bool = False) -> str:
        """Return the measured value for the prose, rounded towards the bound so that it stays true.

        A claim ``value > bound`` reads "at least <value>" in the text, and ``value < bound``
        "at most <value>": the value is rounded down, or up (:func:`bound_text`).
        ``percent`` shows ``100 * value`` with a ``%`` sign; ``signed`` a ``+`` before a
        value that is not negative.

        Examples
        --------
        >>> from svcca.experiments import Claim
        >>> Claim("demo.acc", "accurate", value=0.97349, relation=">", bound=0.9).text(1, percent=True)
        '97.3%'
        >>> Claim("demo.small", "small", value=0.0133, relation="<", bound=0.05).text(3)
        '0.014'
        """
        side = "at least" if self.relation.startswith(">") else "at most"
        if percent:
            return bound_text(100.0 * self.value, side, digits, signed=signed) + "%"
        return bound_text(self.value, side, digits, signed=signed)

    def describe(self) -> str:
        """One line: name, statement, value, relation, bound and whether it holds."""
        verdict = "holds" if self.holds else "FAILS"
        return (
            f"{self.name}: {self.statement} -- measured {self.value:.4g} {self.relation} "
            f"{self.bound:.4g}? {verdict} (margin {self.margin:+.3g})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the robustness matrix stores claims this way)."""
        return {
            "name": self.name,
            "statement": self.statement,
            "value": self.value,
            "relation": self.relation,
            "bound": self.bound,
            "holds": self.holds,
            "margin": self.margin,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=data["name"],
            statement=data["statement"],
            value=data["value"],
            relation=data["relation"],
            bound=data["bound"],
            details=data.get("details", {}),
        )


def claim_details(labels: Iterable[Any], values: Any, prefix: str = "") -> dict[str, float]:
    """Supporting numbers of a claim, one per label (per seed, pair or layer).

    Examples
    --------
    >>> claim_details([0, 1], [0.91, 0.88], prefix="seed ")
    {'seed 0': 0.91, 'seed 1': 0.88}
    """
    import numpy as np

    flat = np.asarray(values, dtype=np.float64).ravel().tolist()
    labels = list(labels)  # more labels than values: the first ones (a claim on the lower layers)
    if len(flat) > len(labels):  # zip dropped the values past the labels, the worst among them perhaps
        raise ValueError(f"claim details: {len(flat)} values for only {len(labels)} labels {labels!r}")
    return {f"{prefix}{k}": float(v) for k, v in zip(labels, flat)}


def median_case(labels: Iterable[Any], values: Any, prefix: str = "") -> tuple[float, dict[str, float]]:
    """Return the median of per-item values, with every item's value as details.

    For a claim about most seeds rather than every seed: one network in a few that
    behaves differently (trains less well, ties its layers) does not decide it.

    Examples
    --------
    >>> median_case([0, 1, 2], [0.99, 0.82, 0.98], prefix="seed ")
    (0.98, {'seed 0': 0.99, 'seed 1': 0.82, 'seed 2': 0.98})
    """
    import numpy as np

    return float(np.median(np.asarray(values, dtype=np.float64))), claim_details(labels, values, prefix)


def smallest_margin(margins: Iterable[float]) -> float:
    """Return the smallest of a claim's margins, NaN where any is NaN or there are none.

    ``min()`` over a list holding NaN answers by the list's order; a NaN margin (a value
    that is no measurement) is the worst there is.

    Parameters
    ----------
    margins : iterable of float
        The claim's margins (:attr:`Claim.margin`), one per variant or run.

    Returns
    -------
    float
        Their minimum, or NaN.

    Examples
    --------
    >>> from svcca.experiments import smallest_margin
    >>> nan = float("nan")
    >>> smallest_margin([0.3, 0.1]), smallest_margin([nan, 0.1]), smallest_margin([0.1, nan])
    (0.1, nan, nan)
    """
    return smallest(margins)


def bound_text(value: float, side: str, digits: int = 2, *, signed: bool = False) -> str:
    """Format a run's value for the prose as a bound that stays true after rounding.

    A sentence such as "within 0.01 of each other" or "at least 0.95" states a bound; the
    value rounded to nearest can cross it (a spread of 0.0133 printed as "0.01"). Rounding
    up for ``"at most"`` and down for ``"at least"`` keeps the sentence true.

    Parameters
    ----------
    value : float
        The run's value.
    side : {"at most", "at least"}
        Which bound the sentence states.
    digits : int, default 2
        Decimals shown.
    signed : bool, default False
        Show a ``+`` before a value that is not negative (a difference).

    Returns
    -------
    str

    Examples
    --------
    >>> from svcca.experiments import bound_text
    >>> bound_text(0.0133, "at most"), bound_text(0.9492, "at least"), bound_text(0.25, "at most")
    ('0.02', '0.94', '0.25')
    >>> bound_text(0.0031, "at most", 3, signed=True), bound_text(-0.0031, "at most", 3, signed=True)
    ('+0.004', '-0.003')
    """
    if side not in ("at most", "at least"):
        raise ValueError(f"side must be 'at most' or 'at least'; got {side!r}")
    if not math.isfinite(value):  # no measurement (a claim not checked at this scale)
        return str(float(value))
    scaled = float(value) * 10.0**digits
    # a value that is a round number up to the rounding of its computation stays that number
    near = round(scaled)
    if abs(scaled - near) <= 1e-9 * max(1.0, abs(scaled)):
        scaled = float(near)
    rounded = math.ceil(scaled) if side == "at most" else math.floor(scaled)
    return f"{rounded / 10.0**digits:{'+' if signed else ''}.{digits}f}"


def smallest(values: Iterable[float]) -> float:
    """Return the minimum of ``values``, NaN where any is NaN or there are none (NaN is the worst)."""
    numbers_ = [float(v) for v in values]
    return math.nan if not numbers_ or any(math.isnan(v) for v in numbers_) else min(numbers_)


def worst_case(
    name: str, statement: str, values: Any, relation: str, bound: float, labels: Iterable[Any]
) -> Claim:
    """Build a claim that must hold for every item (seed, pair, layer): its value is the worst.

    The value is the smallest of ``values`` for ``">"``/``">="`` and the largest for
    ``"<"``/``"<="``; the details name every item's value by its label.

    Examples
    --------
    >>> c = worst_case("demo.acc", "every seed above 0.9", [0.95, 0.93], ">", 0.9, ["seed 0", "seed 1"])
    >>> c.value, c.details
    (0.93, {'seed 0': 0.95, 'seed 1': 0.93})
    """
    import numpy as np

    flat = np.asarray(values, dtype=np.float64).ravel()
    if not flat.size:
        raise ValueError(f"claim {name!r} holds for every item, but no item was measured")
    value = flat.min() if relation.startswith(">") else flat.max()
    return Claim(name, statement, value, relation, bound, claim_details(labels, flat))


def claims_table(
    prefix: str,
    table: Mapping[str, tuple[str, float, str]],
    measured: Mapping[str, Any],
    **fields: Any,
) -> list[Claim]:
    """Claims from a table of what the book says and the values measured for it.

    Parameters
    ----------
    prefix : str
        Prepended to every name (``"<experiment>."``).
    table : dict of str -> (relation, bound, statement)
        The book's statements, by claim name (without the prefix), in the order to report.
    measured : dict of str -> float, (float, dict), (values, labels) or dict
        For each name of ``table``: the value (a number, or a number and its details), or
        the value of every item (seed, pair, layer) with the items' labels (or as a dict
        label -> value), making the claim :func:`worst_case` over its items. Names missing
        here are skipped (a measurement this run did not make).
    **fields
        Every statement is formatted with them (``"... in {last}"``; a literal brace is
        doubled); a statement naming a field not given raises ``KeyError``.

    Returns
    -------
    list of Claim

    Examples
    --------
    >>> table = {"acc": (">", 0.9, "every seed above 0.9"), "gap": (">", 0.0, "{last} is above"),
    ...          "init": ("<", 0.2, "untrained below 0.2")}
    >>> measured = {"acc": ([0.95, 0.93], ["s0", "s1"]), "gap": 0.5}
    >>> for c in claims_table("demo.", table, measured, last="fc2"):
    ...     print(c.describe())
    demo.acc: every seed above 0.9 -- measured 0.93 > 0.9? holds (margin +0.03)
    demo.gap: fc2 is above -- measured 0.5 > 0? holds (margin +0.5)
    """
    out = []
    for name, (relation, bound, statement) in table.items():
        if name not in measured:
            continue
        try:  # a "{layer}" the caller forgot to give was printed as it is
            statement = statement.format(**fields)
        except (KeyError, IndexError) as exc:
            raise KeyError(
                f"claim {prefix + name!r}: its statement names {exc}, which was not given"
            ) from None
        entry = measured[name]
        if isinstance(entry, Mapping):
            out.append(worst_case(prefix + name, statement, list(entry.values()), relation, bound, entry))
        elif not isinstance(entry, tuple):
            out.append(Claim(prefix + name, statement, entry, relation, bound))
        elif isinstance(entry[1], Mapping):
            out.append(Claim(prefix + name, statement, entry[0], relation, bound, dict(entry[1])))
        else:
            out.append(worst_case(prefix + name, statement, entry[0], relation, bound, entry[1]))
    return out


def claim_specs(text: str) -> dict[str, tuple[str, float, str]]:
    """Read a table of claims written as text: ``name relation bound statement``, one per line.

    Claim tables are read by people checking what the book says, so they are written as
    tables: the name, the relation, the bound and the statement on one line, a long statement
    continued on the lines below (indented, joined with a space). Blank lines and lines
    starting with ``#`` at the names' margin are skipped (an indented ``#`` continues a
    statement); the text may be indented as a whole.

    Parameters
    ----------
    text : str
        The table.

    Returns
    -------
    dict of str -> (relation, bound, statement)
        In the order of the text, as :func:`claims_table` takes it.

    Raises
    ------
    ValueError
        When a line does not read as a claim, a name has other characters than letters,
        digits, ``_`` and ``.``, a relation is not one of ``>``, ``>=``, ``<``, ``<=``, a
        bound is not a finite number, a name repeats, the table starts with a continued
        statement, or it holds no claim; the message quotes the line.

    Examples
    --------
    >>> specs = claim_specs('''
    ...     accuracy  > 0.9  every seed classifies the test digits
    ...                      with over 90% accuracy
    ...     # the untrained network
    ...     init      < 0.2  untrained below 0.2
    ... ''')
    >>> specs["accuracy"]
    ('>', 0.9, 'every seed classifies the test digits with over 90% accuracy')
    >>> list(specs)
    ['accuracy', 'init']
    """
    specs: dict[str, tuple[str, float, str]] = {}
    last = None
    for line in textwrap.dedent(text).splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            if last is None:
                raise ValueError(f"a claims table starts with a continued statement: {line.strip()!r}")
            relation, bound, statement = specs[last]
            specs[last] = (relation, bound, f"{statement} {line.strip()}")
            continue
        parts = line.split(None, 3)
        if len(parts) < 4:
            raise ValueError(f"a claim reads 'name relation bound statement'; got {line!r}")
        name, relation, bound_text, statement = parts
        if not re.fullmatch(r"[A-Za-z_][\w.]*", name):
            raise ValueError(f"a claim name is letters, digits, '_' and '.'; got {name!r} in {line!r}")
        if relation not in _RELATIONS:
            raise ValueError(
                f"claim {name!r}: relation must be one of {', '.join(_RELATIONS)}; got {relation!r}"
            )
        try:
            bound = float(bound_text)
        except ValueError:
            bound = math.nan
        if not math.isfinite(bound):  # "nan" would make a claim that can never hold
            raise ValueError(f"claim {name!r}: bound must be a finite number; got {bound_text!r}")
        if name in specs:
            raise ValueError(f"claim {name!r} is written twice in one table")
        specs[name] = (relation, bound, statement.strip())
        last = name
    if not specs:
        raise ValueError(f"a claims table holds no claim; got {text!r}")
    return specs


class ClaimFailure(AssertionError):
    """Raised by :func:`check_claims`: lists every failing claim with its value and bound.

    An ``AssertionError``, so that a failing claim in a chapter or a test reads as a failed
    assertion.

    Parameters
    ----------
    failed : sequence of Claim
        The claims that do not hold (kept as the ``failed`` attribute).
    total : int
        How many claims were checked.

    Examples
    --------
    >>> bad = Claim("demo.bad", "below one half", value=0.7, relation="<", bound=0.5)
    >>> err = ClaimFailure([bad], total=3)
    >>> [c.name for c in err.failed]
    ['demo.bad']
    >>> print(err)
    1 of 3 claims do not hold:
      - demo.bad: below one half -- measured 0.7 < 0.5? FAILS (margin -0.2)
    """

    def __init__(self, failed: Sequence[Claim], total: int) -> None:
        self.failed = tuple(failed)
        lines = [f"{len(failed)} of {total} claims do not hold:"]
        lines += [f"  - {c.describe()}" for c in failed]
        super().__init__("\n".join(lines))


def check_claims(claims: Iterable[Claim]) -> list[Claim]:
    """Check claims; raise one error naming every claim that fails.

    Parameters
    ----------
    claims : iterable of Claim

    Returns
    -------
    list of Claim
        The claims, all of which hold.

    Raises
    ------
    ClaimFailure
        If any claim fails; its message lists each failing claim with its measured value,
        relation, bound and margin.
    TypeError
        If an item is not a :class:`Claim`, or two claims share a name.

    Examples
    --------
    >>> ok = Claim("demo.ok", "positive", value=1.0, relation=">", bound=0.0)
    >>> [c.name for c in check_claims([ok])]
    ['demo.ok']
    >>> bad = Claim("demo.bad", "below one half", value=0.7, relation="<", bound=0.5)
    >>> check_claims([ok, bad])
    Traceback (most recent call last):
    ...
    svcca.experiments._claims.ClaimFailure: 1 of 2 claims do not hold:
      - demo.bad: below one half -- measured 0.7 < 0.5? FAILS (margin -0.2)
    """
    claims = list(claims)
    seen: set[str] = set()
    for c in claims:
        if not isinstance(c, Claim):
            raise TypeError(f"check_claims expects Claim objects; got {type(c).__name__}")
        if c.name in seen:
            raise TypeError(f"two claims share the name {c.name!r}; names must be unique")
        seen.add(c.name)
    failed = [c for c in claims if not c.holds]
    if failed:
        raise ClaimFailure(failed, len(claims))
    return claims


def claims_markdown(claims: Iterable[Claim]) -> str:
    r"""Format claims as a Markdown table (statement, value, bound, margin, verdict).

    Parameters
    ----------
    claims : iterable of Claim

    Returns
    -------
    str
        The table, one row per claim; failing claims read ``**no**``.

    Examples
    --------
    >>> print(claims_markdown([Claim("demo.ok", "positive", 1.0, ">", 0.0)]))
    | claim | statement | measured | bound | margin | holds |
    |---|---|---|---|---|---|
    | `demo.ok` | positive | 1 | > 0 | +1 | yes |
    >>> print(claims_markdown([Claim("demo.abs", "|a - b| small", 0.1, "<", 0.5)]).splitlines()[-1])
    | `demo.abs` | \|a - b\| small | 0.1 | < 0.5 | +0.4 | yes |
    """
    rows = ["| claim | statement | measured | bound | margin | holds |", "|---|---|---|---|---|---|"]
    for c in claims:
        rows.append(
            f"| `{c.name}` | {_cell(c.statement)} | {c.value:.4g} | {c.relation} {c.bound:.4g} | "
            f"{c.margin:+.3g} | {'yes' if c.holds else '**no**'} |"
        )
    return "\n".join(rows)


def _cell(text: str) -> str:
    """``text`` for a Markdown table cell: a ``|`` (as in ``|MM - GM|``) would end the cell."""
    return text.replace("|", "\\|")


# --------------------------------------------------------------------------- the book's memo
def recall_claims(config: Any, arrays: Mapping[str, Any]) -> list[Claim] | None:
    """Return the claims remembered for this config and these very arrays, or None.

    Only where ``$SVCCA_CLAIMS_MEMO`` names a folder (the book build sets it) and a record
    of the same experiment key and the same arrays (by digest) is in it; a result that
    differs in any byte is never answered from the memo.

    Parameters
    ----------
    config : ExperimentConfig
        The experiment whose claims are asked for.
    arrays : dict of str -> numpy.ndarray
        The result's arrays, compared by digest with those the claims were computed from.

    Returns
    -------
    list of Claim or None
        The remembered claims, or None when there are none for this config and arrays.

    Examples
    --------
    >>> recall_claims(None, {}) is None  # no memo folder set outside the book build
    True
    """
    from ._memo import recall

    found = recall(config, arrays, "claims")
    return None if found is None else [Claim.from_dict(d) for d in found]


def remember_claims(config: Any, arrays: Mapping[str, Any], claims: Sequence[Claim]) -> None:
    """Keep ``claims`` for :func:`recall_claims` (atomically), where a memo folder is set.

    Parameters
    ----------
    config : ExperimentConfig
        The experiment the claims are about.
    arrays : dict of str -> numpy.ndarray
        The result's arrays the claims were computed from (kept as a digest).
    claims : sequence of Claim
        The claims to remember.

    Returns
    -------
    None

    Examples
    --------
    >>> remember_claims(None, {}, [])  # nothing is written without a memo folder
    """
    from ._memo import remember

    remember(config, arrays, "claims", [c.to_dict() for c in claims])
