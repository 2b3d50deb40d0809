"""The table behind ``svcca figures``: public functions, book experiments, and chapters that
import public names only."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from svcca import figures  # noqa: E402
from svcca.cli import main  # noqa: E402

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "book" / "chapters").glob("[0-9][0-9]_*.md"))


@pytest.mark.parametrize("spec", figures.FIGURES, ids=lambda s: s.name)
def test_every_figure_is_drawn_by_a_public_function_of_a_public_module(spec):
    f = spec.draw
    assert not any(part.startswith("_") for part in f.__module__.split(".")), f"{spec.name}: {f.__module__}"
    assert not f.__name__.startswith("_"), f"{spec.name}: {f.__name__} is private"
    module = importlib.import_module(f.__module__)
    assert getattr(module, f.__name__) is f and f.__name__ in module.__all__
    params = inspect.signature(f).parameters
    assert set(spec.options) <= set(params), f"{spec.name}: options {spec.options} are not parameters"
    if spec.experiment is None:  # a synthetic example, drawn at a scale
        assert "scale" in params
    else:
        from svcca.experiments import book_experiments

        assert spec.experiment in book_experiments()
    assert spec.caption.strip() and spec.chapter in range(0, 10)


def test_figure_names_are_unique_and_listed_by_chapter():
    names = [s.name for s in figures.FIGURES]
    assert len(set(names)) == len(names)
    assert figures.names() == [s.name for s in sorted(figures.FIGURES, key=lambda s: (s.chapter, s.name))]


def _code_lines(text):
    """The lines of a chapter's code cells."""
    inside = False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = line.startswith("```{code-cell}")
            continue
        if inside:
            yield line


def _imports(lines):
    """(module, imported names) of every import statement, parenthesised ones included."""
    lines = list(lines)
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        m = re.match(r"from\s+(\S+)\s+import\s+(.*)", line)
        if m:
            names = m.group(2)
            if names.startswith("("):
                while ")" not in names:
                    i += 1
                    names += " " + lines[i].strip()
            yield (
                m.group(1),
                [n.split(" as ")[0].strip() for n in re.sub(r"[()]", "", names).split(",") if n.strip()],
            )
        else:
            m = re.match(r"import\s+(.*)", line)
            if m:
                yield from ((n.split(" as ")[0].strip(), []) for n in m.group(1).split(","))
        i += 1


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapters_import_public_modules_and_names_only(chapter):
    lines = list(_code_lines(chapter.read_text()))
    found = list(_imports(lines))
    assert found, "no imports found: the parser is broken"
    for module, names in found:
        assert not any(part.startswith("_") for part in module.split(".")), (
            f"{chapter.name}: import of {module}"
        )
        private = [n for n in names if n.startswith("_")]
        assert not private, f"{chapter.name}: private names {private} from {module}"
    reached = [line for line in lines if re.search(r"\b[A-Za-z]\w*\._[A-Za-z]", line)]
    assert not reached, f"{chapter.name} reaches a private attribute: {reached}"


def test_the_private_import_check_catches_what_it_should():
    bad = [
        "from svcca.figures._conv import draw",
        "import svcca._cca as c",
        "from svcca.x import (\n a,\n _b,\n)",
    ]
    for text in bad:
        found = list(_imports(text.splitlines()))
        assert any(
            any(p.startswith("_") for p in m.split(".")) or any(n.startswith("_") for n in ns)
            for m, ns in found
        ), text


@pytest.mark.torch
@pytest.mark.slow
def test_figures_all_writes_every_figure(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["figures", "all", "--out", str(out), "--format", "png", "--scale", "tiny",
                 "--cache-dir", str(tmp_path / "cache")]) == 0  # fmt: skip
    written = sorted(p.stem for p in out.iterdir())
    assert written == sorted(figures.names())
    assert all(p.stat().st_size > 1000 for p in out.iterdir())
    assert len(capsys.readouterr().out.splitlines()) == len(figures.names())
