"""The code a reader of the book sees fits the page: no horizontal scrolling in the default theme.

Pure text parsing of the MyST pages (``book/*.md``, ``book/chapters/*.md``), so it runs in
milliseconds. It reads every code cell and every plain fenced code block (```` ```bash ````).
A cell tagged ``remove-cell`` or ``remove-input`` shows no code; ``hide-cell`` and
``hide-input`` cells do, once expanded, so they count. Prose and figure captions wrap, so
they do not count. One more test checks the parser against jupytext, which makes the notebooks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PAGES = sorted([*BOOK.glob("*.md"), *BOOK.glob("chapters/*.md")])
#: The pages that are notebooks (the chapters, the legacy page...).
NOTEBOOKS = [p for p in PAGES if "```{code-cell}" in p.read_text(encoding="utf-8")]
#: The widest code line the default theme shows without a scroll bar.
MAX_WIDTH = 88
#: Tags that keep a cell's code off the page.
HIDDEN = {"remove-cell", "remove-input"}

# an opening fence and its info string: a language, or a {directive} and its argument
_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*(\{[\w-]+\})?")
# the directives whose body is code; any other ({note}, {include}...) holds markdown, scanned on
_CODE_DIRECTIVES = {None, "{code-cell}", "{code-block}", "{code}", "{sourcecode}"}


def _closes(line: str, fence: str) -> bool:
    """Whether ``line`` closes a block opened with ``fence`` (the same character, at least as many)."""
    return re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*", line) is not None


def _tags(options: list[str]) -> set[str]:
    """The tags among a cell's options: ``tags: [a, b]``, or ``tags:`` then lines ``- a``."""
    for at, option in enumerate(options):
        if found := re.fullmatch(r"tags:\s*(.*?)\s*", option):
            if found.group(1):  # a flow list
                items = found.group(1).strip("[]").split(",")
            else:  # a block list: the "- a" lines that follow
                items = []
                for line in options[at + 1 :]:
                    if not (item := re.fullmatch(r"\s*- (.*)", line)):
                        break
                    items.append(item.group(1))
            return {tag.strip(" '\"") for tag in items} - {""}
    return set()


def code_blocks(text: str) -> Iterator[tuple[str | None, set[str], list[tuple[int, str]]]]:
    """Each code cell or fenced code block of a MyST page: its directive (None for a plain
    block), its tags, and its code lines with their 1-based numbers."""
    lines = text.splitlines()
    directives = []  # the fences of the enclosing directives that hold markdown
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if directives and _closes(line, directives[-1]):
            directives.pop()
            continue
        opening = _OPEN.match(line)
        if not opening:
            continue
        fence, directive = opening.groups()
        if directive not in _CODE_DIRECTIVES:
            directives.append(fence)
            continue
        options = []
        if directive and i < len(lines) and lines[i].strip() == "---":  # a YAML block of options
            end = lines.index("---", i + 1)
            options, i = lines[i + 1 : end], end + 1
        elif directive:  # ":key: value" options
            while i < len(lines) and lines[i].startswith(":"):
                options.append(lines[i][1:])
                i += 1
        code = []
        while i < len(lines) and not _closes(lines[i], fence):
            code.append((i + 1, lines[i]))
            i += 1
        i += 1
        yield directive, _tags(options), code


def wide_lines(text: str) -> list[tuple[int, int]]:
    """``(line number, length)`` of every visible code line of a page wider than ``MAX_WIDTH``."""
    return [
        (number, len(line))
        for _, tags, code in code_blocks(text)
        if not tags & HIDDEN
        for number, line in code
        if len(line) > MAX_WIDTH
    ]


def test_the_parser_reads_options_and_skips_removed_cells():
    long = "x" * 100
    text = f"""# Title

```{{code-cell}} ipython3
:tags: [remove-cell]
{long}
```

```{{code-cell}} ipython3
:tags: [hide-input]
{long}
```

```{{code-cell}} ipython3
---
tags:
  - remove-input
  - "hide-output"
---
{long}
```

```{{code-cell}} ipython3
---
mystnb:
  figure:
    caption: |
      {long}
---
x = 1
```
````{{note}}
{long}
```bash
make
```
````
```{{include}} x.md
```
"""
    blocks = list(code_blocks(text))
    assert [(directive, tags) for directive, tags, _ in blocks] == [
        ("{code-cell}", {"remove-cell"}),
        ("{code-cell}", {"hide-input"}),
        ("{code-cell}", {"remove-input", "hide-output"}),
        ("{code-cell}", set()),
        (None, set()),
    ]
    assert [code for *_, code in blocks][1:] == [[(10, long)], [(19, long)], [(29, "x = 1")], [(34, "make")]]
    assert wide_lines(text) == [(10, 100)]  # the caption wraps; the note is prose


@pytest.mark.parametrize("page", NOTEBOOKS, ids=lambda p: p.relative_to(BOOK).with_suffix("").as_posix())
def test_the_parser_finds_the_cells_jupytext_finds(page):
    """The cells and tags read here are the notebook's (book/notebooks.py reads it with jupytext)."""
    jupytext = pytest.importorskip("jupytext")
    text = page.read_text(encoding="utf-8")
    ours = [
        (sorted(tags), "\n".join(line for _, line in code).strip())
        for directive, tags, code in code_blocks(text)
        if directive == "{code-cell}"
    ]
    cells = [c for c in jupytext.reads(text, fmt="md:myst").cells if c.cell_type == "code"]
    assert ours == [(sorted(c.metadata.get("tags", [])), c.source.strip()) for c in cells]


def test_the_book_has_pages_with_code():
    paged = {p.relative_to(BOOK).as_posix() for p in PAGES if any(code_blocks(p.read_text(encoding="utf-8")))}
    assert {"chapters/01_cca.md", "legacy.md", "robustness.md"} <= paged


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(BOOK).with_suffix("").as_posix())
def test_visible_code_lines_fit_the_page(page):
    where = page.relative_to(ROOT)
    offenders = [
        f"{where}:{number}: {length}" for number, length in wide_lines(page.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"code lines wider than {MAX_WIDTH} characters:\n" + "\n".join(offenders)
