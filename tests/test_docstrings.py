"""Every public name has a numpydoc docstring that pytest runs.

Public means listed in ``__all__`` of a public module. A function needs a summary line,
a Parameters section naming each of its parameters (and nothing else), a Returns (or
Yields) section unless it returns None, and an Examples section with doctest lines; a class
needs a summary, its constructor's parameters under Parameters or Attributes, and Examples.
The Examples run as doctests because pytest collects the package with ``--doctest-modules``.

``numpydoc`` is not a dependency, so the sections are read by the small parser below
(numpydoc's layout: a title line underlined with dashes; entries at the left margin,
``name : type`` or ``a, b : type``, descriptions indented under them).
"""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

PUBLIC_MODULES = (
    "svcca",
    "svcca.stats",
    "svcca.conv",
    "svcca.streaming",
    "svcca.legacy",
    "svcca.plotting",
    "svcca.nn",
    "svcca.experiments",
    "svcca.figures",
)

# Public names whose docstrings still lack something this test asks for. The set only
# shrinks: a listed name that now passes, or that is no longer public, fails
# test_known_missing_is_current until it is removed from here.
KNOWN_MISSING: frozenset[str] = frozenset({})

SECTIONS = (
    "Parameters",
    "Other Parameters",
    "Attributes",
    "Methods",
    "Returns",
    "Yields",
    "Receives",
    "Raises",
    "Warns",
    "Warnings",
    "See Also",
    "Notes",
    "References",
    "Examples",
)


def parse_sections(doc: str) -> dict[str, list[str]]:
    """Split a cleaned docstring into ``{title: lines}``; the summary is under ``""``."""
    lines = doc.splitlines()
    sections: dict[str, list[str]] = {"": []}
    current = ""
    i = 0
    while i < len(lines):
        title = lines[i].strip()
        underline = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if title and re.fullmatch(r"-{3,}", underline) and not lines[i].startswith(" "):
            current = title
            sections[current] = []
            i += 2
            continue
        sections[current].append(lines[i])
        i += 1
    return sections


def entry_names(lines: list[str]) -> set[str]:
    """The names an entry list documents: ``a, b : type`` gives ``{"a", "b"}``."""
    names: set[str] = set()
    for line in lines:
        if not line.strip() or line.startswith((" ", "\t")):
            continue
        head = line.split(" : ", 1)[0].strip().rstrip(":")
        for name in head.split(","):
            name = name.strip().lstrip("*")
            if name.isidentifier():
                names.add(name)
    return names


def _signature(obj: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _parameters(sig: inspect.Signature, skip_first: bool = False) -> list[str]:
    params = list(sig.parameters.values())
    if skip_first and params:
        params = params[1:]
    return [p.name for p in params]


def _returns_nothing(sig: inspect.Signature) -> bool:
    ann = sig.return_annotation
    if ann is inspect.Signature.empty or ann is None:
        return True
    # a context manager that yields nothing (``@contextmanager`` over ``Iterator[None]``)
    return re.fullmatch(r"None|(\w+\.)*(Iterator|Generator)\[None\b.*", str(ann)) is not None


def _is_protocol(cls: type) -> bool:
    return bool(getattr(cls, "_is_protocol", False))


def _init_parameters(cls: type) -> list[str]:
    if issubclass(cls, BaseException) or _is_protocol(cls):
        return []
    if dataclasses.is_dataclass(cls):
        # fields inherited from a dataclass base are documented on the base
        own = cls.__dict__.get("__annotations__", {})
        return [
            f.name for f in dataclasses.fields(cls) if f.init and f.name in own and not f.name.startswith("_")
        ]
    init = cls.__dict__.get("__init__")
    if init is None:
        # inherited constructor: documented where it is defined
        return []
    sig = _signature(init)
    return [] if sig is None else [n for n in _parameters(sig, skip_first=True) if not n.startswith("_")]


def docstring_problems(obj: Any, name: str) -> list[str]:
    """What the docstring of ``obj`` lacks; an empty list when it is complete."""
    raw = obj.__doc__ if isinstance(obj, type) else getattr(obj, "__doc__", None)
    doc = inspect.cleandoc(raw) if isinstance(raw, str) else ""
    if dataclasses.is_dataclass(obj) and "\n" not in doc and doc.startswith(f"{obj.__name__}("):
        doc = ""  # the signature that @dataclass writes when a class has no docstring
    if not doc.strip():
        return ["no docstring"]
    sections = parse_sections(doc)
    problems: list[str] = []
    summary = next((ln for ln in sections[""] if ln.strip()), "")
    if not summary:
        problems.append("no summary line")
    for title in sections:
        if title and title not in SECTIONS:
            problems.append(f"unknown section {title!r} (numpydoc knows {', '.join(SECTIONS)})")

    if isinstance(obj, type):
        wanted = _init_parameters(obj)
        documented = entry_names(sections.get("Parameters", [])) | entry_names(sections.get("Attributes", []))
        missing = [p for p in wanted if p not in documented]
        if missing:
            problems.append(f"constructor parameters not under Parameters/Attributes: {missing}")
    elif callable(obj):
        sig = _signature(obj)
        if sig is not None:
            params = [n for n in _parameters(sig) if n not in ("self", "cls") and not n.startswith("_")]
            documented = entry_names(sections.get("Parameters", []) + sections.get("Other Parameters", []))
            if params and "Parameters" not in sections:
                problems.append("no Parameters section")
            else:
                missing = [p for p in params if p not in documented]
                if missing:
                    problems.append(f"parameters not documented: {missing}")
                all_names = {n for n in _parameters(sig)}
                stale = sorted(documented - all_names)
                if stale and not any(
                    p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in sig.parameters.values()
                ):
                    problems.append(f"documented parameters not in the signature: {stale}")
            if not _returns_nothing(sig) and not ({"Returns", "Yields"} & set(sections)):
                problems.append("no Returns/Yields section")

    examples = sections.get("Examples", [])
    if not examples:
        problems.append("no Examples section")
    else:
        module = inspect.getmodule(obj)
        tests = doctest.DocTestFinder(recurse=False).find(obj, name, module=module, globs={})
        if not any(t.examples for t in tests):
            problems.append("Examples hold no doctest (>>> lines)")
    return problems


def _import(modname: str) -> ModuleType | None:
    try:
        return importlib.import_module(modname)
    except ImportError:  # the torch side, where torch is absent
        return None


def public_names() -> dict[str, Any]:
    """``{"module.name": object}`` for every documented kind of public name, each object once."""
    found: dict[str, Any] = {}
    seen: set[int] = set()
    for modname in PUBLIC_MODULES:
        mod = _import(modname)
        if mod is None:
            continue
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            # constants (tuples, dicts, paths, version strings) carry no docstring of their
            # own; submodules are checked by test_public_modules_have_docstrings
            if not (inspect.isclass(obj) or callable(obj)) or inspect.ismodule(obj):
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            found[f"{modname}.{name}"] = obj
    return found


PUBLIC = public_names()
CHECKED = sorted(n for n in PUBLIC if n not in KNOWN_MISSING)


@pytest.mark.parametrize("qualname", CHECKED)
def test_public_name_has_numpydoc_docstring(qualname: str) -> None:
    problems = docstring_problems(PUBLIC[qualname], qualname.rsplit(".", 1)[1])
    assert not problems, f"{qualname}: " + "; ".join(problems)


def test_known_missing_is_current() -> None:
    if any(_import(m) is None for m in PUBLIC_MODULES):
        pytest.skip("a public module needs torch; the list names torch-side names too")
    gone = sorted(n for n in KNOWN_MISSING if n not in PUBLIC)
    fixed = sorted(
        n for n in KNOWN_MISSING if n in PUBLIC and not docstring_problems(PUBLIC[n], n.rsplit(".", 1)[1])
    )
    assert not gone, f"remove from KNOWN_MISSING (no longer public): {gone}"
    assert not fixed, f"remove from KNOWN_MISSING (their docstrings are complete now): {fixed}"


@pytest.mark.parametrize("modname", PUBLIC_MODULES)
def test_public_modules_have_docstrings(modname: str) -> None:
    mod = _import(modname)
    if mod is None:
        pytest.skip(f"{modname} needs torch")
    assert (mod.__doc__ or "").strip(), f"{modname} has no module docstring"
    assert hasattr(mod, "__all__"), f"{modname} defines no __all__"


def test_pytest_collects_the_package_doctests() -> None:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"][
        "ini_options"
    ]
    assert "--doctest-modules" in options["addopts"].split()
    assert "svcca" in options["testpaths"]


def test_the_parser_reads_numpydoc_layout() -> None:
    doc = inspect.cleandoc(
        """Summary line.

        Parameters
        ----------
        X, Y : array-like of shape (n_samples, n_features)
            Two views.
        keep : float, default=0.99
        **kwargs
            Passed on.

        Returns
        -------
        float

        Examples
        --------
        >>> 1 + 1
        2
        """
    )
    sections = parse_sections(doc)
    assert list(sections) == ["", "Parameters", "Returns", "Examples"]
    assert entry_names(sections["Parameters"]) == {"X", "Y", "keep", "kwargs"}

    def good(X: Any, Y: Any, keep: float = 0.99, **kwargs: Any) -> float:
        return 0.0

    def bad(X: Any, alpha: float) -> float:
        return 0.0

    good.__doc__ = bad.__doc__ = doc
    assert docstring_problems(good, "good") == []
    problems = docstring_problems(bad, "bad")
    assert any("['alpha']" in p for p in problems)  # a parameter the docstring does not name
    assert docstring_problems(lambda: None, "f") == ["no docstring"]
