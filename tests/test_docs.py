"""The shared docstring entries (``svcca._docs``): filled everywhere, all used, safe to write.

Every placeholder ``%(name)s`` in the package is filled at import, so no public docstring
keeps one; every entry of ``DOCS`` is named by at least one docstring; ``fill_doc``
re-indents multi-line entries, leaves any other ``%`` alone and refuses unknown names.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import svcca
from svcca._docs import DOCS, fill_doc

PACKAGE = Path(svcca.__file__).resolve().parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _modules() -> list[str]:
    names = ["svcca"] + [m.name for m in pkgutil.walk_packages(svcca.__path__, "svcca.")]
    return [n for n in names if n != "svcca.__main__"]


def _docstrings() -> dict[str, str]:
    """Every docstring of the package's modules, their functions, classes and methods."""
    out: dict[str, str] = {}
    for name in _modules():
        module = importlib.import_module(name)
        out[name] = module.__doc__ or ""
        for attr, obj in vars(module).items():
            own = getattr(obj, "__module__", None) == name
            if not own or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            out[f"{name}.{attr}"] = obj.__doc__ or ""
            for member, value in vars(obj).items() if inspect.isclass(obj) else ():
                func = getattr(value, "fget", None) or getattr(value, "__func__", None) or value
                if inspect.isfunction(func):
                    out[f"{name}.{attr}.{member}"] = func.__doc__ or ""
    return out


@pytest.mark.torch
def test_no_docstring_keeps_a_placeholder() -> None:
    # svcca._docs itself shows placeholders in its notes and its example
    docs = {where: doc for where, doc in _docstrings().items() if not where.startswith("svcca._docs")}
    left = {where: PLACEHOLDER.findall(doc) for where, doc in docs.items() if PLACEHOLDER.search(doc)}
    assert not left, f"unfilled placeholders (add @fill_doc): {left}"


def test_every_entry_is_used() -> None:
    used = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name != "_docs.py":
            used.update(PLACEHOLDER.findall(path.read_text(encoding="utf-8")))
    assert sorted(set(DOCS) - used) == [], "entries of DOCS that no docstring names"
    assert sorted(used - set(DOCS)) == [], "placeholders that name no entry"


@pytest.mark.parametrize("name", sorted(DOCS))
def test_entries_are_numpydoc_shaped(name: str) -> None:
    lines = DOCS[name].split("\n")
    assert lines[0] and not lines[0][0].isspace(), "an entry starts at the margin"
    assert all(line == line.rstrip() for line in lines), "no trailing white space"
    assert "%(" not in DOCS[name], "entries are not nested"


def test_fill_doc_reindents_to_the_placeholder() -> None:
    @fill_doc
    class Deep:
        def method(self) -> None:
            """Nothing."""

    @fill_doc
    def f() -> None:
        """Summary.

        Parameters
        ----------
        %(X)s
        %(ax)s
        """

    lines = f.__doc__.splitlines()
    x_name, *x_text = DOCS["X"].split("\n")
    # the section's own indent: 8 spaces, or none where Python (3.13+) dedents docstrings
    indent = lines[2][: len(lines[2]) - len(lines[2].lstrip())]
    assert lines[2] == indent + "Parameters" and indent in ("", " " * 8)
    assert lines[4] == indent + x_name
    k = len(x_text)
    assert lines[5 : 5 + k] == [indent + line for line in x_text]
    assert lines[5 + k] == indent + DOCS["ax"].split("\n")[0]
    assert inspect.cleandoc(f.__doc__).split("\n")[4 : 5 + k] == DOCS["X"].split("\n")
    assert Deep.__doc__ is None


def test_fill_doc_keeps_other_percent_signs() -> None:
    @fill_doc
    def f() -> None:
        """A 95% interval, ``"%d" % n``, ``%(name)r`` and 100%% stay as written.

        %(Y)s
        """

    assert f.__doc__.startswith('A 95% interval, ``"%d" % n``, ``%(name)r`` and 100%% stay as written.')
    assert DOCS["Y"].split("\n")[0] in f.__doc__


def test_fill_doc_inline_placeholder_takes_the_text() -> None:
    @fill_doc
    def f() -> None:
        """See: %(ref_pwcca)s"""

    assert f.__doc__ == "See: " + DOCS["ref_pwcca"]


def test_fill_doc_rejects_unknown_names() -> None:
    with pytest.raises(KeyError, match=r"%\(X_typo\)s"):

        @fill_doc
        def f() -> None:
            """%(X_typo)s"""


def test_fill_doc_without_docstring() -> None:
    def f() -> None:
        pass

    assert fill_doc(f) is f and f.__doc__ is None
