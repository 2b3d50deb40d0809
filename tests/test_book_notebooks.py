"""The chapters as notebooks for Colab and Binder (book/notebooks.py, book/_ext)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

pytest.importorskip("jupytext")
nbformat = pytest.importorskip("nbformat")


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


notebooks = _load("book_notebooks", BOOK / "notebooks.py")
launch = _load("book_launch_notebooks", BOOK / "_ext" / "launch_notebooks.py")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("notebooks")
    return out, notebooks.write_notebooks(out)


def test_one_valid_notebook_per_chapter(written):
    out, paths = written
    sources = notebooks.chapter_sources()
    assert len(paths) == len(sources) >= 10
    assert {p.relative_to(out).with_suffix("") for p in paths} == {
        s.relative_to(BOOK).with_suffix("") for s in sources
    }
    for path in paths:
        nbformat.validate(nbformat.read(path, as_version=4))
    assert not list(out.rglob(".*.tmp")), "a temporary file was left behind"


def test_notebook_is_the_chapter_after_the_install_cell(written):
    import jupytext

    out, _ = written
    for source in notebooks.chapter_sources():
        nb = nbformat.read((out / source.relative_to(BOOK)).with_suffix(".ipynb"), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code[0].source == notebooks.INSTALL_CODE, source.name
        chapter = [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
        assert [c.source for c in code[1:]] == chapter, source.name
        # the title stays the first cell; the install cell comes before any chapter code
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith(("(", "#"))


def _run_install_cell(monkeypatch, found: bool) -> list[list[str]]:
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "check_call", lambda cmd, **kw: calls.append(cmd))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object() if found else None)
    exec(compile(notebooks.INSTALL_CODE, "<install cell>", "exec"), {})
    return calls


def test_install_cell_is_a_noop_where_svcca_is_installed(monkeypatch):
    assert _run_install_cell(monkeypatch, found=True) == []


def test_install_cell_installs_svcca_where_it_is_missing(monkeypatch):
    (cmd,) = _run_install_cell(monkeypatch, found=False)
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
    assert cmd[-1] == notebooks.INSTALL_SPEC and cmd[-1].startswith("svcca[")


def test_generated_notebook_executes(written, tmp_path, monkeypatch):
    """The legacy chapter runs top to bottom as a generated notebook (the book's build and
    ``make notebooks-check`` run every chapter; this one needs no trained network)."""
    pytest.importorskip("nbclient")
    out, _ = written
    monkeypatch.setenv("SVCCA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebooks.execute_notebook(out / "legacy.ipynb", timeout=300)


def _buttons(pagename: str, suffix: str = ".md") -> list[dict]:
    path = f"book/{pagename}{suffix}"
    return [
        {"text": "Binder", "url": f"https://mybinder.org/v2/gh/svcca/svcca/main?urlpath=lab/tree/{path}"},
        {"text": "Colab", "url": f"https://colab.research.google.com/github/svcca/svcca/blob/main/{path}"},
        {"text": "JupyterHub", "url": f"https://hub.example/{path}"},
    ]


@pytest.mark.parametrize("suffix", [".md", ".ipynb"])
def test_launch_buttons_open_the_notebooks(suffix):
    buttons = _buttons("chapters/05_learning_dynamics", suffix)
    launch.notebook_links(buttons, "chapters/05_learning_dynamics", "book/")
    binder, colab, other = (b["url"] for b in buttons)
    assert binder == (
        "https://mybinder.org/v2/gh/svcca/svcca/main?urlpath=lab/tree/book/_notebooks/chapters/05_learning_dynamics.ipynb"
    )
    assert colab == (
        "https://colab.research.google.com/github/svcca/svcca/blob/gh-pages/_notebooks/chapters/05_learning_dynamics.ipynb"
    )
    assert other == "https://hub.example/book/chapters/05_learning_dynamics" + suffix


def test_launch_buttons_of_other_pages_are_left_alone():
    buttons = _buttons("chapters/01_cca")
    before = [dict(b) for b in buttons]
    launch.notebook_links(buttons, "chapters/02_conv_layers", "book/")
    assert buttons == before


def test_binder_writes_the_notebooks_the_buttons_open():
    post = (ROOT / "postBuild").read_text()
    assert "book/notebooks.py book/_notebooks" in post
    # environment.yml installs the checkout (repo2docker installs a local pip requirement
    # after copying the repository); postBuild installing it again cost the image build time
    assert '-e ".[all]"' in (ROOT / "environment.yml").read_text() and "pip install" not in post
    assert launch.NOTEBOOKS == "_notebooks" == notebooks.HTML_FOLDER


def test_setup_cells_are_shown_collapsed_not_removed():
    """A reader of the HTML sees each page's imports and settings (collapsed), so copied cells run."""
    import jupytext

    for source in notebooks.chapter_sources():
        first = next(c for c in jupytext.read(source).cells if c.cell_type == "code")
        tags = first.metadata.get("tags", [])
        assert "hide-cell" in tags and "remove-cell" not in tags, source.name
        assert "import" in first.source, source.name


# A kernel that dies before it answers, as one does that loses the race for a TCP port
# against a kernel started at the same moment: `run_in_kernel` starts another one, and
# only that; a cell that fails is never run twice.
FLAKY_KERNEL = """\
import runpy, sys
from pathlib import Path

counter, deaths = Path(sys.argv[1]), int(sys.argv[2])
starts = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(starts))
if starts <= deaths:
    sys.exit("zmq.error.ZMQError: Address already in use (simulated)")
sys.argv = ["ipykernel_launcher", *sys.argv[3:]]
runpy.run_module("ipykernel_launcher", run_name="__main__")
"""


def _flaky_kernel(tmp_path, monkeypatch, deaths: int) -> Path:
    """A kernelspec 'flaky' whose first ``deaths`` starts die; returns its start counter."""
    import json

    script, counter = tmp_path / "flaky_kernel.py", tmp_path / "starts"
    script.write_text(FLAKY_KERNEL)
    spec = tmp_path / "jupyter" / "kernels" / "flaky"
    spec.mkdir(parents=True)
    argv = [sys.executable, str(script), str(counter), str(deaths), "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "flaky", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return counter


def _notebook(*sources: str):
    from nbformat.v4 import new_code_cell, new_notebook

    return new_notebook(cells=[new_code_cell(s) for s in sources])


def test_kernel_that_dies_before_the_first_cell_is_started_again(tmp_path, monkeypatch, capsys):
    counter = _flaky_kernel(tmp_path, monkeypatch, deaths=1)
    nb = _notebook("print(6 * 7)")
    kernels = notebooks.run_in_kernel(nb, tmp_path, timeout=60, kernel_name="flaky")
    assert kernels == int(counter.read_text()) >= 2  # more, should a real port race strike as well
    assert nb.cells[0].outputs[0]["text"].strip() == "42"
    # outputs only: the book's build stores executed chapters under the unexecuted key,
    # which hashes the cells' metadata
    assert nb.cells[0].metadata == {}
    assert "kernel start 1 of 3 failed" in capsys.readouterr().err


def test_kernel_that_never_starts_is_a_clear_error(tmp_path, monkeypatch):
    counter = _flaky_kernel(tmp_path, monkeypatch, deaths=99)
    with pytest.raises(notebooks.KernelStartError, match="died before the first cell ran, 2 times"):
        notebooks.run_in_kernel(_notebook("1"), tmp_path, timeout=60, starts=2, kernel_name="flaky")
    assert counter.read_text() == "2"


@pytest.mark.parametrize("starts", [0, -1, 1.5, None])
def test_no_kernel_start_allowed_is_refused_not_a_silent_no_op(tmp_path, starts):
    nb = _notebook("print(1)")
    with pytest.raises(ValueError, match=r"starts must be an int >= 1 \(kernel starts allowed\); got "):
        notebooks.run_in_kernel(nb, tmp_path, timeout=60, starts=starts)
    assert "outputs" not in nb.cells[0] or nb.cells[0].outputs == []


def test_restarts_note_says_only_what_happened():
    assert notebooks.restarts_note(1) == ""
    assert notebooks.restarts_note(3) == " (kernel started 3 times)"


def test_failing_cell_is_not_run_again(tmp_path, monkeypatch):
    from nbclient.exceptions import CellExecutionError

    _flaky_kernel(tmp_path, monkeypatch, deaths=0)
    ran = tmp_path / "ran"
    nb = _notebook(f"open({str(ran)!r}, 'a').write('ran\\n')", "raise ValueError('the chapter is wrong')")
    with pytest.raises(CellExecutionError, match="the chapter is wrong"):
        notebooks.run_in_kernel(nb, tmp_path, timeout=60, kernel_name="flaky")
    assert ran.read_text() == "ran\n"
