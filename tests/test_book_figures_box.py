"""Every chapter names the `svcca figures` name and the experiment command behind each figure."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book" / "chapters").glob("*.md"))
PAGES = [*CHAPTERS, ROOT / "book" / "intro.md"]


def _build_module():
    spec = importlib.util.spec_from_file_location("book_build", ROOT / "book" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_chapter_includes_its_figures_box(page):
    where = "../_generated" if page.parent.name == "chapters" else "_generated"
    assert f"```{{include}} {where}/figures/{page.name}\n```" in page.read_text()


def test_box_lists_every_figure_with_runnable_commands():
    from svcca.experiments import book_experiments
    from svcca.figures import specs

    build = _build_module()
    for chapter in PAGES:
        number = int(chapter.name[:2]) if chapter.name[:2].isdigit() else 0
        box = build.figures_markdown(number)
        for spec in (s for s in specs() if s.chapter == number):
            assert f"`svcca figures {spec.name}`" in box
            if spec.experiment:
                assert spec.experiment in book_experiments()
                assert f"run_experiment.py {spec.experiment} --scale full" in box
    named = set(
        re.findall(r"`svcca figures ([a-z0-9-]+)`", "".join(build.figures_markdown(n) for n in range(10)))
    )
    assert named == {s.name for s in specs()}
