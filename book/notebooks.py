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
``book/_build/experiment-cache`` (so nothing trains twice), and fails if any cell fails,
printing the end of that notebook's log (beside it, ``<name>.log``). A kernel that
dies before its first cell runs (two kernels started together can race for a port) is
started again, up to three times in all.
"""

from __future__ import annotations

import os
import re
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


#: How many times a kernel is started for one notebook when it dies before running a cell.
KERNEL_STARTS = 3
#: The end of the line ``run_in_kernel`` prints for each start that failed.
RESTARTED = "starting another"
#: Terminal colour codes (IPython's tracebacks, Sphinx's output), removed from what is shown.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class KernelStartError(RuntimeError):
    """The kernel died (or never answered) before the notebook's first cell ran, every time."""


def restarts_note(kernels: int) -> str:
    """What a notebook's console line adds when its kernel had to be started again."""
    return f" (kernel started {kernels} times)" if kernels > 1 else ""


def run_in_kernel(
    nb,  # noqa: ANN001 - a nbformat NotebookNode
    cwd: Path,
    timeout: int = 900,
    starts: int = KERNEL_STARTS,
    kernel_name: str = "python3",
) -> int:
    """Execute ``nb`` in place in a fresh kernel started in ``cwd``; raise on a failing cell.

    jupyter_client picks a kernel's TCP ports by binding free ones and releasing them, and
    the kernel binds them again a second later: two kernels started at the same moment can
    pick the same port, and the one that loses dies before it runs a cell (``ZMQError:
    Address already in use``; jupyter/jupyter_client, nteract/papermill#511). Such a start
    is tried again, up to ``starts`` times in all, after a short random pause. A cell that
    fails is never run again: its error is raised as nbclient reports it. The cells get
    their outputs and nothing else (no timings in their metadata).

    Returns
    -------
    int
        How many kernels were started (1 unless one died before the first cell).

    Raises
    ------
    KernelStartError
        When no kernel got as far as the first cell, with the last start's error.
    nbclient.exceptions.CellExecutionError
        When a cell fails.
    """
    import atexit
    import random

    from nbclient import NotebookClient

    if not (isinstance(starts, int) and starts >= 1):
        raise ValueError(f"starts must be an int >= 1 (kernel starts allowed); got {starts!r}")
    started: list[int] = []  # the attempts whose kernel got as far as the first cell
    for attempt in range(1, starts + 1):
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=kernel_name,
            resources={"metadata": {"path": str(cwd)}},
            # no timings in the cells' metadata: Jupyter Book's cache key hashes it, and the
            # build stores the chapters it executes under the key of the unexecuted chapter
            record_timing=False,
            on_notebook_start=lambda notebook, n=attempt: started.append(n),
        )
        try:
            client.execute()
            return attempt
        except Exception as exc:
            if attempt in started:
                raise
            # nbclient's exit hook would clean up a kernel it has already dropped (and fail)
            atexit.unregister(client._cleanup_kernel)
            if attempt == starts:
                raise KernelStartError(
                    f"the kernel died before the first cell ran, {starts} times; last: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            print(
                f"kernel start {attempt} of {starts} failed ({type(exc).__name__}: {exc}); {RESTARTED}",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(random.uniform(0.5, 2.0))


def execute_notebook(path: Path, timeout: int = 900) -> None:
    """Run ``path`` from top to bottom in a fresh kernel, in its own folder; raise on error."""
    import nbformat

    run_in_kernel(nbformat.read(path, as_version=4), path.parent, timeout)


#: Seconds between two kernel starts: the port race above needs two starts within about one.
START_GAP = 1.0


def execute_all(paths: list[Path], workers: int, log: Path) -> bool:
    """Run each notebook in its own process, ``workers`` at a time; one line each.

    Each notebook's output goes to its own log beside it (``<name>.log``), and ``log``
    gets them all, one after the other. A notebook that fails has the end of its log printed
    (its failing cell and error), so a CI log that keeps only the end shows why.
    """
    env = dict(os.environ)
    env.setdefault("SVCCA_CACHE_DIR", str(BOOK / "_build" / "experiment-cache"))
    env.pop("MPLBACKEND", None)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    log.parent.mkdir(parents=True, exist_ok=True)
    pending, running, ok, last_start = list(paths), [], True, -START_GAP
    own_log = {path: path.with_suffix(".log") for path in paths}
    while pending or running:
        if pending and len(running) < workers and time.perf_counter() - last_start >= START_GAP:
            path = pending.pop(0)
            cmd = [sys.executable, __file__, "--run-one", str(path)]
            with open(own_log[path], "w") as out:
                proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
            last_start = time.perf_counter()
            running.append((path, proc, last_start))
        time.sleep(0.2)
        for item in list(running):
            path, proc, start = item
            if proc.poll() is None:
                continue
            running.remove(item)
            text = own_log[path].read_text(errors="replace")
            state = "ok" if proc.returncode == 0 else "FAILED"
            state += restarts_note(text.count(RESTARTED) + 1)
            ok &= proc.returncode == 0
            print(f"  {path.name:40s} {time.perf_counter() - start:7.1f} s  {state}", flush=True)
            if proc.returncode != 0:
                tail = ANSI.sub("", text).rstrip().splitlines()[-40:]
                print("\n".join("    " + line for line in tail), file=sys.stderr, flush=True)
    with open(log, "w") as out:
        for path in paths:
            out.write(f"==== {path.name}\n{own_log[path].read_text(errors='replace')}\n")
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
