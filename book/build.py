"""Build the book: run its experiments in parallel, check their claims, execute the chapters.

Run through ``make book``. The steps:

1. Every experiment of the book (``svcca.experiments.book_experiments``) runs, or loads
   from the cache, in parallel one-thread processes (longest first), and its claims are
   evaluated once and remembered for this build (``$SVCCA_CLAIMS_MEMO``). On the same
   cores, each chapter missing from Jupyter Book's execution cache is executed as soon as
   the experiments it loads are done and a core is free; the chapters load the results
   and the claims instead of computing them again.
2. The status page (claims per chapter, whether each held) and the robustness page (the
   committed matrix of ``make claims``, next to this build's values) are generated.
3. Jupyter Book renders the chapters (executing any not executed in step 1) and fails on
   any cell error or warning.
4. Each chapter is written as a notebook (``book/notebooks.py``) into the HTML's
   ``_notebooks`` folder, where its Colab button points.

The console shows one line per experiment and per chapter; Sphinx's full output is in
``book/_build/build.log``. The build fails if an experiment fails, a claim fails, a claim
of this build is missing from the robustness matrix (rerun ``make claims``), or Jupyter
Book fails. Environment: ``SVCCA_SEED_OFFSET`` and ``ATEN_CPU_CAPABILITY`` build the book
under a variant of the matrix (the kernel emulated in every library, as in
``svcca.experiments.matrix.ISA_ENV``, with its own cache sub-folder);
``SVCCA_BOOK_WORKERS`` sets the parallel processes (default: the number of cores);
``SVCCA_BOOK_THREADS`` the threads per chapter kernel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parent
BUILD = BOOK / "_build"
GENERATED = BOOK / "_generated"
MATRIX = BOOK / "robustness.json"

_READING = re.compile(r"reading sources\.\.\. \[\s*\d+%\]\s+(\S+)")
_EXECUTED = re.compile(r"Executed notebook in ([0-9.]+) seconds")
_CACHED = re.compile(r"Using cached notebook")
_PROBLEM = re.compile(r"(WARNING|ERROR|CRITICAL)")


def _chapter_of(experiment: str, claim: str) -> str:
    from svcca.experiments import book_experiments

    return book_experiments()[experiment].chapter_of(claim)


def _write(path: Path, text: str) -> None:
    """Write only when the content changes, so Sphinx does not rebuild pages needlessly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)


def figures_markdown(chapter: int) -> str:
    """A chapter's "reproduce these figures" box: each figure's ``svcca figures`` name and the
    command that runs its experiment at the papers' scale (from ``svcca.figures.specs``)."""
    from svcca.figures import specs

    rows = [s for s in specs() if s.chapter == chapter]
    if not rows:
        return ""
    out = [
        ":::{dropdown} Reproduce this chapter's figures",
        "Each figure of this chapter is drawn by the same public function that `svcca figures NAME` "
        "calls (add `--scale full` for the papers' scale, `--format png` for another format). At the "
        "papers' scale, run its experiment first (on a GPU where one is available; the data comes "
        "through `data_scripts/`):",
        "",
        "| figure | draw it | its experiment at the papers' scale |",
        "|---|---|---|",
    ]
    for spec in rows:
        first = spec.caption.split(". ")[0].rstrip(".")
        run = (
            f"`python data_scripts/run_experiment.py {spec.experiment} --scale full`"
            if spec.experiment
            else "none (synthetic data, made by the code)"
        )
        out.append(f"| {first} | `svcca figures {spec.name}` | {run} |")
    out.append(":::")
    return "\n".join(out) + "\n"


def run_experiments(env: dict[str, str], workers: int, on_done=None) -> tuple[dict, bool]:  # noqa: ANN001
    """Step 1: every book experiment in parallel; returns the build's matrix record and ok.

    ``on_done(name, ok)`` is called as each experiment finishes (the chapters that need
    only finished experiments start then, see :func:`build_parallel`).
    """
    from svcca.experiments.matrix import current_variant, run_matrix

    variant = current_variant()
    cache = Path(env["SVCCA_CACHE_DIR"])
    print(f"experiments: {variant.label}, {workers} parallel process(es)", flush=True)

    def line(job: dict) -> None:
        state = "error" if job.get("error") else ("cached" if job.get("from_cache") else "ran")
        failed = [c["name"] for c in job.get("claims", []) if not c["holds"]]
        note = f"  {len(failed)} claim(s) FAIL" if failed else f"  {len(job.get('claims', []))} claim(s) hold"
        print(
            f"  {job['name']:28s} {job['seconds']:7.1f} s  {state:6s}{note if not job.get('error') else ''}",
            flush=True,
        )
        if on_done is not None:
            on_done(job["name"], not job.get("error"))

    # a variant's kernel has its own sub-folder, already in SVCCA_CACHE_DIR (see main)
    result = run_matrix(
        None, [variant], workers=max(1, workers), cache_dir=cache, per_kernel_cache=False, on_job=line
    )
    record = result.to_dict()
    record["variant"] = variant.label
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "claims.json").write_text(json.dumps(record, indent=1))
    for job in result.errors:
        print(f"experiment {job['name']} failed:\n{job['error']}", file=sys.stderr)
    print(f"experiments: {result.wall_seconds:.0f} s wall", flush=True)
    return record, result.ok


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def status_markdown(record: dict) -> str:
    """The status page's claims section: each chapter's claims in this build."""
    from svcca.experiments import Claim, claims_markdown

    claims = record["claims"]
    variant = record.get("variant", "")
    failed = [n for n, row in claims.items() if not all(c["holds"] for c in row["values"].values())]
    errors = [j["name"] for j in record["jobs"] if j.get("error")]
    out = []
    if failed or errors:
        out.append(":::{error}")
        out.append(
            f"**Not green.** {len(failed)} claim(s) and {len(errors)} experiment(s) failed in this build."
        )
        out.append(":::")
    else:
        out.append(":::{admonition} All claims hold")
        out.append(":class: tip")
        out.append(
            f"All {len(claims)} claims of the book held in this build (variant `{variant}`, "
            f"{record['machine']['processor']})."
        )
        out.append(":::")
    by_chapter: dict[str, list[tuple[str, dict]]] = {}
    for name, row in claims.items():
        by_chapter.setdefault(_chapter_of(row["experiment"], name), []).append((name, row))
    for chapter in sorted(by_chapter):
        out.append("")
        out.append(f"### {{doc}}`chapters/{chapter}`")
        out.append("")
        rows = [(name, row, *row["values"].values()) for name, row in by_chapter[chapter]]
        out.append(
            claims_markdown(
                Claim(name, row["statement"], cell["value"], row["relation"], row["bound"])
                for name, row, cell in rows
            )
        )
    for name in errors:
        out.append(f"\n**Experiment `{name}` failed** (see the build log).")
    return "\n".join(out) + "\n"


def robustness_markdown(record: dict, matrix: dict | None) -> tuple[str, list[str]]:
    """The robustness page's table, and the claims of this build missing from the matrix."""
    from svcca.experiments import smallest_margin

    if matrix is None:
        return ":::{error}\nNo robustness matrix (`book/robustness.json`): run `make claims`.\n:::\n", list(
            record["claims"]
        )
    variants = matrix["variants"]
    mclaims = matrix["claims"]
    stale = []
    for name, row in record["claims"].items():
        m = mclaims.get(name)
        if m is None or (m["statement"], m["relation"], m["bound"]) != (
            row["statement"],
            row["relation"],
            row["bound"],
        ):
            stale.append(name)
    mach = matrix.get("machine", {})
    out = [
        f"The matrix below was computed by `make claims` on {mach.get('processor', '?')} "
        f"({mach.get('machine', '?')}, {mach.get('cores', '?')} cores) on {matrix.get('created', '?')[:10]}, "
        f"in {matrix.get('wall_seconds', 0) / 60:.0f} minutes of wall time (computing every run from "
        f"scratch took {matrix.get('compute_seconds', 0) / 60:.0f} single-thread minutes): "
        f"{len(matrix.get('jobs', []))} runs of "
        f"{len({j['name'] for j in matrix.get('jobs', [])})} experiments under {len(variants)} variants. "
        f"The column *this build* is the build that made this page ({record.get('variant', '')}).",
        "",
    ]
    if stale:
        out += [
            ":::{error}",
            f"{len(stale)} claim(s) of this build are not in the matrix, or changed since it "
            "was run: " + ", ".join(f"`{n}`" for n in stale) + ". Run `make claims`.",
            ":::",
            "",
        ]
    out += [
        "Variants: " + ", ".join(f"`{v}`" for v in variants) + ". *Lowest* and *highest* are the "
        "claim's value over them; a claim that fails somewhere names where.",
        "",
        "| claim | bound | lowest | highest | this build | min margin | holds everywhere |",
        "|" + "---|" * 7,
    ]
    for name, m in mclaims.items():
        cells = {v: m["values"][v] for v in variants if v in m["values"]}
        this = record["claims"].get(name, {}).get("values", {})
        this_cell = next(iter(this.values()), None)
        all_cells = [*cells.values(), *([this_cell] if this_cell is not None else [])]
        margin = smallest_margin(c["margin"] for c in all_cells)
        values = [c["value"] for c in cells.values() if c["value"] == c["value"]]  # not NaN
        low, high = (_fmt(min(values)), _fmt(max(values))) if values else ("–", "–")
        failing = [v for v, c in cells.items() if not c["holds"]]
        failing += ["this build"] if this_cell is not None and not this_cell["holds"] else []
        missing = [v for v in variants if v not in cells]
        if failing or missing:
            where = ", ".join([*failing, *(f"{v} (missing)" for v in missing)])
            verdict = f"**no** ({where})"
        else:
            verdict = "yes"
        tv = _fmt(this_cell["value"]) if this_cell else "–"
        statement = m["statement"].replace("|", "\\|")  # a "|" would end the table cell
        out.append(
            f"| `{name}`: {statement} | {m['relation']} {_fmt(m['bound'])} | {low} | {high} | {tv} | "
            f"{margin:+.3g} | {verdict} |"
        )
    return "\n".join(out) + "\n", stale


def _chapters() -> list[Path]:
    """The book's notebooks (MyST files with a kernel), in the table of contents' order."""
    toc = (BOOK / "_toc.yml").read_text()
    files = [BOOK / f"{m}.md" for m in re.findall(r"(?:root|file):\s*(\S+)", toc)]
    return [f for f in files if f.exists() and "kernelspec:" in f.read_text()[:600]]


def _read_notebook(path: Path):  # noqa: ANN202 - a nbformat NotebookNode
    """Read a chapter exactly as the book's build does, so the execution cache matches it."""
    from myst_nb.core.config import NbParserConfig
    from myst_nb.core.read import create_nb_reader
    from myst_parser.config.main import MdParserConfig

    text = path.read_text()
    reader = create_nb_reader(str(path), MdParserConfig(), NbParserConfig(), text)
    return None if reader is None else reader.read(text)


def _execute(path: str, env: dict[str, str], timeout: int):  # noqa: ANN202
    """Worker: execute one chapter in its folder.

    Returns (path, executed notebook or None, seconds, error or None, what its console line
    adds when the kernel had to be started again).
    """
    import traceback

    from notebooks import ANSI, restarts_note, run_in_kernel  # book/notebooks.py: one way to run one

    os.environ.clear()
    os.environ.update(env)
    # the kernels' own chatter (jupyter_client's transport notice) goes to a log, not the console
    log = os.open(BUILD / "kernels.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 2)
    nb = _read_notebook(Path(path))
    start = time.perf_counter()
    try:
        kernels = run_in_kernel(nb, Path(path).parent, timeout)
    except Exception:
        return path, None, time.perf_counter() - start, ANSI.sub("", traceback.format_exc()), ""
    return path, nb, time.perf_counter() - start, None, restarts_note(kernels)


def _library_digest() -> str:
    """sha256 of the svcca package's source: chapters depend on it, not only on their own code."""
    import hashlib

    h = hashlib.sha256()
    package = BOOK.parent / "svcca"
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".mplstyle"):
            h.update(path.relative_to(package).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def invalidate_stale_executions() -> None:
    """Forget the executed chapters when the library changed since they ran.

    Jupyter Book's cache keys a chapter on its own code cells only, so a chapter would
    otherwise keep showing outputs (and claims) of an older svcca.
    """
    stamp = BUILD / "svcca-source.sha256"
    digest = _library_digest()
    cache = BUILD / ".jupyter_cache"
    if cache.exists() and (not stamp.exists() or stamp.read_text().strip() != digest):
        print("chapters: the svcca package changed since they ran: executing them again", flush=True)
        shutil.rmtree(cache)
        # and make Sphinx read every page again: it rereads a page only when its source changed
        shutil.rmtree(BUILD / ".doctrees", ignore_errors=True)
    BUILD.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")


#: Where the build keeps each chapter's last execution time (its scheduling hint).
CHAPTER_SECONDS = BUILD / "chapter-seconds.json"
#: Rough single-thread seconds of the slow chapters at the default scale, for a cold build.
_CHAPTER_SECONDS = {"04_significance": 40.0, "01_cca": 25.0, "02_conv_layers": 25.0}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def chapters_to_execute() -> list[Path]:
    """The chapters missing from Jupyter Book's execution cache."""
    from jupyter_cache import get_cache

    cache = get_cache(str(BUILD / ".jupyter_cache"))
    todo = []
    for path in _chapters():
        nb = _read_notebook(path)
        if nb is None:
            continue
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            todo.append(path)
    return todo


def chapter_experiments(path: Path) -> set[str]:
    """The book experiments a chapter loads: those it shows or states claims of, and any
    it names with ``book_config("...")``."""
    from svcca.experiments import book_experiments

    stem = path.stem
    needs = {
        e.name for e in book_experiments().values() if e.chapter == stem or stem in e.claim_chapters.values()
    }
    return needs | set(re.findall(r'book_config\(\s*"([^"]+)"', path.read_text()))


def build_parallel(env: dict[str, str], workers: int) -> tuple[dict, bool]:
    """Steps 1 and 2b on one set of ``workers`` cores: the experiments, longest first, and
    each chapter missing from the execution cache as soon as the experiments it loads are
    done and a core is free (so no core idles while the last experiments finish).

    Each chapter runs in its own kernel, as the build would run it, and its executed
    notebook is stored in Jupyter Book's cache under the same key, so Jupyter Book then only
    renders it. A chapter that fails here, or whose experiment failed, is left to Jupyter
    Book, which reports the error.
    """
    import threading
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    from svcca.experiments import book_experiments

    n_experiments = len(book_experiments())
    finished: dict[str, bool] = {}
    lock = threading.Lock()

    def on_done(name: str, ok: bool) -> None:
        with lock:
            finished[name] = ok

    outcome: list[tuple[dict, bool]] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(run_experiments(env, workers, on_done))
        except BaseException as exc:  # re-raised below, once the chapters are stopped
            failure.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    # the slowest chapters first, once their experiments are done (seconds of the last run,
    # else a rough estimate), so that the build does not end waiting for one long chapter
    seconds = {**_CHAPTER_SECONDS, **_read_json(CHAPTER_SECONDS)}
    order = sorted(chapters_to_execute(), key=lambda p: -seconds.get(p.stem, 10.0))
    todo = {p: chapter_experiments(p) for p in order}
    cache = get_cache(str(BUILD / ".jupyter_cache"))
    start = time.perf_counter()
    running: dict = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        while todo or running:
            stopped = not runner.is_alive()  # read before `finished`: nothing finishes after
            with lock:
                done = dict(finished)
            if stopped:  # experiments that never finished (the runner failed): Jupyter Book reports
                todo = {p: n for p, n in todo.items() if n <= set(done)}
            busy = (0 if stopped else min(workers, n_experiments - len(done))) + len(running)
            for path, needs in list(todo.items()):
                if not needs <= set(done):
                    continue  # an experiment it loads is still running
                if not all(done[n] for n in needs):
                    del todo[path]  # an experiment it loads failed: Jupyter Book runs it and reports
                elif busy < workers:
                    del todo[path]
                    running[pool.submit(_execute, str(path), env, 600)] = path
                    busy += 1
            if not running:
                time.sleep(0.5)
                continue
            ready, _ = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in ready:
                del running[fut]
                path, nb, took, error, restarts = fut.result()
                name = Path(path).relative_to(BOOK).with_suffix("").as_posix()
                if error is not None:
                    print(
                        f"  {name:40s} {took:7.1f} s  failed (Jupyter Book reruns it and reports)",
                        flush=True,
                    )
                    print(f"    {error.strip().splitlines()[-1][:300]}", file=sys.stderr, flush=True)
                    continue
                cache.cache_notebook_bundle(
                    CacheBundleIn(nb, path, data={"execution_seconds": took}),
                    check_validity=False,
                    overwrite=True,
                )
                print(f"  {name:40s} {took:7.1f} s  executed{restarts}", flush=True)
                _write(CHAPTER_SECONDS, json.dumps({**_read_json(CHAPTER_SECONDS), Path(path).stem: took}))
    runner.join()
    if failure:
        raise failure[0]
    print(f"experiments and chapters: {time.perf_counter() - start:.0f} s wall", flush=True)
    return outcome[0]


def run_jupyter_book(env: dict[str, str], extra: list[str]) -> int:
    """Step 3: Jupyter Book, its output to the log, one console line per chapter."""
    from notebooks import ANSI  # book/notebooks.py (this script's folder)

    cmd = [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(BOOK),
        "--warningiserror",
        "--keep-going",
        *extra,
    ]
    BUILD.mkdir(parents=True, exist_ok=True)
    log_path = BUILD / "build.log"
    start, last = time.perf_counter(), time.perf_counter()
    doc = None
    failing = 0  # lines of a failing cell still to show
    with (
        open(log_path, "w") as log,
        subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        ) as proc,
    ):
        assert proc.stdout is not None
        for raw in proc.stdout:
            log.write(raw)
            ln = ANSI.sub("", raw)
            m = _READING.search(ln)
            if m:
                doc, last = m.group(1), time.perf_counter()
                continue
            m = _EXECUTED.search(ln)
            if m and doc:
                print(f"  {doc:40s} {float(m.group(1)):7.1f} s  executed", flush=True)
            elif _CACHED.search(ln) and doc:
                print(f"  {doc:40s} {time.perf_counter() - last:7.1f} s  cached", flush=True)
            elif "Executing notebook failed" in ln:
                print(f"  {doc or '?':40s} {time.perf_counter() - last:7.1f} s  FAILED:", flush=True)
                failing = 60
            elif failing:
                # the failing cell and its error, up to the end of nbclient's report
                print("    " + ln.rstrip(), file=sys.stderr, flush=True)
                failing = 0 if "ExecutionError" in ln and "CellExecutionError" not in ln else failing - 1
            elif _PROBLEM.search(ln) and "without encryption" not in ln:
                print("  " + ln.rstrip()[:300], file=sys.stderr, flush=True)
        rc = proc.wait()
    print(
        f"chapters: {time.perf_counter() - start:.0f} s; full log in {log_path.relative_to(BOOK.parent)}",
        flush=True,
    )
    return rc


def experiment_cache(env: dict[str, str]) -> str:
    """The experiment cache the build's experiments and chapters share.

    ``env["SVCCA_CACHE_DIR"]``, else ``book/_build/experiment-cache``; the kernel of the
    variant this process runs under (``$ATEN_CPU_CAPABILITY``) gets its own sub-folder
    there, for the experiments and the chapters alike: a kernel is not part of a config's
    cache key, and chapters that read the native folder once mixed a variant's results with
    the native ones.
    """
    from svcca.experiments.matrix import current_variant

    root = Path(env.get("SVCCA_CACHE_DIR") or BUILD / "experiment-cache")
    variant = current_variant()
    return str(root if variant.kernel == "native" else root / variant.cache_name)


def main() -> int:
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # an inherited Agg backend makes inline figures vanish
    # One thread per chapter kernel, for torch and BLAS alike: torch's OpenMP threads and
    # OpenBLAS's spinning threads fight over small machines (2.5-15x slower with 2 threads
    # on 2 cores while building); set SVCCA_BOOK_THREADS on a bigger machine.
    threads = os.environ.get("SVCCA_BOOK_THREADS", "1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = threads
    # Experiment results are cached beside the HTML, so `make clean-book` gives a truly
    # cold build; `svcca figures` can reuse them with SVCCA_CACHE_DIR=book/_build/experiment-cache.
    env["SVCCA_CACHE_DIR"] = experiment_cache(env)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # each experiment's claims are computed once, in its job, and the chapters read them from
    # this build's memo (emptied first: it holds only what this build computed)
    memo = BUILD / "claims-memo"
    shutil.rmtree(memo, ignore_errors=True)
    env["SVCCA_CLAIMS_MEMO"] = str(memo)
    os.environ.update({k: env[k] for k in ("SVCCA_CACHE_DIR", "SVCCA_CLAIMS_MEMO")})
    start = time.perf_counter()

    invalidate_stale_executions()
    record, experiments_ok = build_parallel(
        env, workers=int(os.environ.get("SVCCA_BOOK_WORKERS", os.cpu_count() or 1))
    )
    matrix = json.loads(MATRIX.read_text()) if MATRIX.exists() else None
    _write(GENERATED / "status_claims.md", status_markdown(record))
    table, stale = robustness_markdown(record, matrix)
    if record["scale"] != "default":
        stale = []  # the matrix covers the default scale, the only one whose claims are checked
    _write(GENERATED / "robustness_table.md", table)
    for chapter in sorted((BOOK / "chapters").glob("*.md")):
        _write(GENERATED / "figures" / chapter.name, figures_markdown(int(chapter.name[:2])))
    _write(GENERATED / "figures" / "intro.md", figures_markdown(0))

    rc = run_jupyter_book(env, sys.argv[1:])
    failed = [n for n, row in record["claims"].items() if not all(c["holds"] for c in row["values"].values())]
    verdict = "ok" if rc == 0 and experiments_ok and not stale else "FAILED"
    print(
        f"book build: {verdict} in {time.perf_counter() - start:.0f} s "
        f"({len(record['claims'])} claims, {len(failed)} failed)",
        flush=True,
    )
    if stale:
        print(
            f"book build: {len(stale)} claim(s) missing or changed in book/robustness.json: "
            "run `make claims`",
            file=sys.stderr,
        )
    if verdict == "ok":
        from notebooks import HTML_FOLDER, write_notebooks

        where = BUILD / "html" / HTML_FOLDER
        nbs = write_notebooks(where)
        print(f"notebooks: {len(nbs)} for Colab and Binder in {where.relative_to(BOOK.parent)}")
        print(f"open {(BUILD / 'html' / 'index.html').relative_to(BOOK.parent)} in a browser", flush=True)
        return 0
    return rc or 1


if __name__ == "__main__":
    sys.exit(main())
