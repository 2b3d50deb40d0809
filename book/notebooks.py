"""Make the book's chapters into Jupyter notebooks that run on Colab and Binder.

The chapters are MyST markdown notebooks (``book/chapters/*.md``), which Colab cannot
open. This script writes one ``.ipynb`` per chapter whose first code cell installs svcca
when it is missing (a no-op where it is installed), followed by the chapter's own cells,
unchanged. The book's build writes them into ``book/_build/html/_notebooks`` (published
with the HTML, where the Colab buttons point); Binder's ``postBuild`` writes them into
``book/_notebooks`` of its image (where the Binder buttons point).

Usage::

    python book/notebooks.py OUT_DIR             # one OUT_DIR/chapters/<name>.ipynb a chapter
    python book/notebooks.py --execute OUT_DIR   # ... and run each one (``make notebooks-check``)

``--execute`` runs every written notebook from top to bottom in its own kernel (two at a
time, or ``$SVCCA_BOOK_WORKERS``), with the experiments the book's build left in
``book/_build/experiment-cache`` (so nothing trains twice), and fails if any cell fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parent
#: Where the package is installed from when it is missing (the book's repository).
INSTALL_SPEC = "svcca[torch,book] @ git+https://github.com/svcca/svcca"
#: The sub-folder, under the published HTML, that holds the notebooks.
HTML_FOLDER = "_notebooks"

INSTALL_MARKDOWN = (
    "This notebook is a chapter of the book *Comparing neural representations with CCA*. "
    "The first cell installs the `svcca` package when it is missing (on Colab or a fresh "
    "environment); where it is installed, it does nothing."
)
INSTALL_CODE = f"""\
# Install svcca when it is missing (Colab, a fresh environment); a no-op where it is installed.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("svcca") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", {INSTALL_SPEC!r}])"""


def chapter_sources(book: Path = BOOK) -> list[Path]:
    """The book's executable pages: every ``chapters/*.md`` and the legacy page."""
    return sorted((book / "chapters").glob("*.md")) + [book / "legacy.md"]


def to_notebook(source: Path):
    """The chapter at ``source`` as a notebook, with the install cell first."""
    import jupytext
    from nbformat.v4 import new_code_cell, new_markdown_cell

    nb = jupytext.read(source)
    # jupytext's own header metadata only matters for the .md pairing: a plain notebook
    nb.metadata.pop("jupytext", None)
    setup = [
        new_markdown_cell(INSTALL_MARKDOWN, metadata={"tags": ["svcca-install"]}),
        new_code_cell(INSTALL_CODE, metadata={"tags": ["svcca-install"]}),
    ]
    # keep the chapter's title (its first markdown cell) on top
    at = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
    nb.cells[at:at] = setup
    return nb


def write_notebooks(out: Path, book: Path = BOOK) -> list[Path]:
    """Write every chapter as ``out/<path relative to the book>.ipynb``; return the paths.

    Each file is written to a temporary name and renamed, so a reader never sees half a
    notebook.
    """
    import nbformat

    written = []
    for source in chapter_sources(book):
        target = (out / source.relative_to(book)).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        nbformat.write(to_notebook(source), tmp)
        os.replace(tmp, target)
        written.append(target)
    return written


def execute_notebook(path: Path, timeout: int = 900) -> None:
    """Run ``path`` from top to bottom in a fresh kernel, in its own folder; raise on error."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()


def execute_all(paths: list[Path], workers: int, log: Path) -> bool:
    """Run each notebook in its own process, ``workers`` at a time; one line each."""
    env = dict(os.environ)
    env.setdefault("SVCCA_CACHE_DIR", str(BOOK / "_build" / "experiment-cache"))
    env.pop("MPLBACKEND", None)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    log.parent.mkdir(parents=True, exist_ok=True)
    pending, running, ok = list(paths), [], True
    with open(log, "w") as out:
        while pending or running:
            while pending and len(running) < workers:
                path = pending.pop(0)
                cmd = [sys.executable, __file__, "--run-one", str(path)]
                proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
                running.append((path, proc, time.perf_counter()))
            time.sleep(0.2)
            for item in list(running):
                path, proc, start = item
                if proc.poll() is None:
                    continue
                running.remove(item)
                state = "ok" if proc.returncode == 0 else "FAILED"
                ok &= proc.returncode == 0
                print(f"  {path.name:40s} {time.perf_counter() - start:7.1f} s  {state}", flush=True)
    if not ok:
        print(f"notebooks: failures; see {log}", file=sys.stderr)
    return ok


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--run-one":
        execute_notebook(Path(argv[1]))
        return 0
    execute = argv[:1] == ["--execute"]
    argv = argv[1:] if execute else argv
    if len(argv) != 1:
        print("usage: python book/notebooks.py [--execute] OUT_DIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    paths = write_notebooks(out)
    print(f"notebooks: {len(paths)} in {out}", flush=True)
    if execute:
        workers = int(os.environ.get("SVCCA_BOOK_WORKERS", os.cpu_count() or 1))
        return 0 if execute_all(paths, max(1, workers), out / "execute.log") else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
