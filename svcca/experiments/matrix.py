"""The robustness matrix: every book experiment under seed and CPU-kernel variants.

Training on a CPU is not reproducible across CPUs: another processor, or only another set
of vector kernels, gives other networks. The book therefore states effects, and this module
checks that each claim holds under variants: an offset added to every seed the experiment
uses, times a CPU kernel setting: the instruction set of another x86 processor, emulated
in every library that computes (``default``: a baseline SSE4.2 processor, ``avx2``, ``avx512``;
``native`` leaves the CPU's own choice; see :data:`ISA_ENV`). Each (experiment, variant) job
runs in its own process with one BLAS and torch thread, jobs run in parallel, and results
are cached per kernel, so a rerun only computes what changed.

Run it as ``svcca claims`` (or ``make claims``); the book's build uses
:func:`run_matrix` with the build's own single variant to run all experiments in parallel
before the chapters execute.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._io import atomic_write, probe_writable
from ._cache import current_scale, default_cache_dir
from ._claims import smallest_margin

__all__ = ["ISA_ENV", "KERNELS", "MatrixResult", "Variant", "current_variant", "run_matrix"]

#: Values of torch's ``ATEN_CPU_CAPABILITY``; ``native`` leaves it unset.
KERNELS = ("native", "default", "avx2", "avx512", "zvector", "vsx", "sve256")

#: The environment that emulates each x86 kernel setting's processor. torch's own vector
#: kernels (``ATEN_CPU_CAPABILITY``) are only one of four libraries that compute: matrix
#: products go through MKL, convolutions through oneDNN, and numpy's measures through
#: OpenBLAS, and each picks its code by the CPU. ``ATEN_CPU_CAPABILITY=avx2`` alone, on an
#: AVX-512 machine, leaves products and convolutions bit for bit as they are; a real AVX2
#: processor trains other networks. Each setting therefore caps all four. Other kernels
#: (``zvector``, ``vsx``, ``sve256``) set torch's alone: those libraries are x86 ones. torch
#: ignores a setting its processor cannot run (:func:`check_kernel` refuses it).
ISA_ENV: dict[str, dict[str, str]] = {
    kernel: {"MKL_ENABLE_INSTRUCTIONS": mkl, "ONEDNN_MAX_CPU_ISA": onednn, "OPENBLAS_CORETYPE": openblas}
    for kernel, mkl, onednn, openblas in (
        ("default", "SSE4_2", "SSE41", "Nehalem"),
        ("avx2", "AVX2", "AVX2", "Haswell"),
        ("avx512", "AVX512", "AVX512_CORE", "SkylakeX"),
    )
}
_ISA_VARS = ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "OPENBLAS_CORETYPE")


@dataclass(frozen=True, order=True)
class Variant:
    """A seed offset and a CPU kernel setting.

    Examples
    --------
    >>> Variant(1, "default").label
    'seed+1/default'
    """

    seed_offset: int = 0
    kernel: str = "native"

    def __post_init__(self) -> None:
        """Check the kernel setting."""
        if self.kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {', '.join(KERNELS)}; got {self.kernel!r}")

    @property
    def label(self) -> str:
        """The variant's name in tables and caches, ``seed+K/KERNEL``."""
        return f"seed+{self.seed_offset}/{self.kernel}"

    @property
    def cache_name(self) -> str:
        """The sub-folder of a per-kernel cache, ``KERNEL`` or ``KERNEL-isa``.

        ``-isa`` marks a kernel emulated in every library (:data:`ISA_ENV`), so that results
        computed under torch's kernels alone are not reused.
        """
        return f"{self.kernel}-isa" if self.kernel in ISA_ENV else self.kernel

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Build the environment of a job: this kernel (:data:`ISA_ENV`), one thread for torch and BLAS.

        Examples
        --------
        >>> env = Variant(0, "avx2").env({})
        >>> env["ATEN_CPU_CAPABILITY"], env["MKL_ENABLE_INSTRUCTIONS"], env["OMP_NUM_THREADS"]
        ('avx2', 'AVX2', '1')
        """
        env = dict(os.environ if base is None else base)
        for var in _ISA_VARS:
            env.pop(var, None)
        if self.kernel != "native":
            env["ATEN_CPU_CAPABILITY"] = self.kernel
            env.update(ISA_ENV.get(self.kernel, {}))
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
        env.pop("MPLBACKEND", None)
        return env


def check_kernel(kernel: str) -> None:
    """Refuse a kernel setting this machine's torch does not run.

    torch ignores an ``ATEN_CPU_CAPABILITY`` it cannot honour (``sve256``, ``vsx`` or
    ``zvector`` on an x86 processor, ``avx512`` on one without AVX-512) and runs its own
    kernels, so a variant named after it would be the native one under another label. A
    child process with the variant's environment says which kernels torch runs.

    Raises
    ------
    ValueError
        Naming the kernels torch ran instead.
    """
    if kernel == "native":
        return
    code = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], env=Variant(0, kernel).env(),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    got = proc.stdout.strip().lower()
    if proc.returncode != 0 or got != kernel:
        native = (
            subprocess.run(
                [sys.executable, "-c", code],
                env=Variant(0, "native").env(),
                capture_output=True,
                text=True,
                check=False,
            )
            .stdout.strip()
            .lower()
        )
        raise ValueError(
            f"kernel {kernel!r} cannot be emulated on this {platform.machine()} processor: torch runs "
            f"{got or 'nothing (' + proc.stderr.strip()[-200:] + ')'} when asked for it, so the variant "
            f"would be the native one ({native}) under another name"
        )


def current_variant() -> Variant:
    """Read the variant this process runs under (``$SVCCA_SEED_OFFSET``, ``$ATEN_CPU_CAPABILITY``).

    Returns
    -------
    Variant
        The seed offset (0 when unset) and the torch CPU kernel setting (``"native"`` when
        unset).

    Examples
    --------
    >>> import os
    >>> from svcca.experiments.matrix import current_variant
    >>> if "SVCCA_SEED_OFFSET" not in os.environ:
    ...     print(current_variant().seed_offset)
    0
    """
    from ._book import seed_offset_from_env

    kernel = os.environ.get("ATEN_CPU_CAPABILITY", "").strip().lower() or "native"
    return Variant(seed_offset_from_env(), kernel)


@dataclass
class MatrixResult:
    """What :func:`run_matrix` found.

    Attributes
    ----------
    jobs : list of dict
        One per (experiment, variant): ``name``, ``variant``, ``seconds``, ``from_cache``,
        ``capability`` (the kernels torch reported using), ``error`` (or None), ``claims``.
    wall_seconds : float
    """

    jobs: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0
    scale: str = "default"

    @property
    def variants(self) -> list[str]:
        """Labels of the variants run, seed offsets first."""
        return sorted({j["variant"] for j in self.jobs}, key=_variant_sort_key)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The jobs that raised (each with its traceback under ``"error"``)."""
        return [j for j in self.jobs if j.get("error")]

    def table(self) -> dict[str, dict[str, Any]]:
        """Claim name -> statement, relation, bound, and per-variant value/holds/margin."""
        out: dict[str, dict[str, Any]] = {}
        for job in self.jobs:
            for c in job.get("claims", []):
                row = out.setdefault(
                    c["name"],
                    {
                        "experiment": job["name"],
                        "statement": c["statement"],
                        "relation": c["relation"],
                        "bound": c["bound"],
                        "values": {},
                    },
                )
                row["values"][job["variant"]] = {
                    "value": c["value"],
                    "holds": c["holds"],
                    "margin": c["margin"],
                }
        return out

    @property
    def failed(self) -> list[tuple[str, str]]:
        """(claim, variant) pairs that do not hold, or that the variant's run did not state."""
        ran: dict[str, list[str]] = {}
        for job in self.jobs:
            if not job.get("error"):
                ran.setdefault(job["name"], []).append(job["variant"])
        out = []
        for name, row in self.table().items():
            out += [(name, v) for v, cell in row["values"].items() if not cell["holds"]]
            # a claim one variant's run did not state is not known to hold there (the pages say "missing")
            out += [(name, v) for v in ran.get(row["experiment"], []) if v not in row["values"]]
        return out

    @property
    def ok(self) -> bool:
        """True when every job ran and every claim held in every variant."""
        return not self.failed and not self.errors

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-able data (the format of ``book/robustness.json``)."""
        return {
            "scale": self.scale,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"processor": _processor(), "machine": platform.machine(), "cores": os.cpu_count()},
            "wall_seconds": round(self.wall_seconds, 1),
            # what the runs cost when they were computed (a rerun may load them from the cache)
            "compute_seconds": round(sum(float(j.get("run_seconds") or 0.0) for j in self.jobs), 1),
            "variants": self.variants,
            # a job's claims keep their details (which seed or layer was worst); the values,
            # verdicts, margins, statements, relations and bounds are in "claims", once
            "jobs": [{**job, "claims": [_job_claim(c) for c in job.get("claims", [])]} for job in self.jobs],
            "claims": self.table(),
        }

    def summary(self) -> str:
        """Format a plain-text table, claim x variant, with each claim's smallest margin."""
        variants = self.variants
        width = max([8, *(len(v) for v in variants)])
        table = self.table()
        name_w = max([5, *(len(n) for n in table)])
        lines = [
            f"{'':4s} {'claim':{name_w}s} {'bound':>10s} "
            + " ".join(f"{v:>{width}s}" for v in variants)
            + "  min margin"
        ]
        for name, row in table.items():
            cells = [row["values"].get(v) for v in variants]
            worst = smallest_margin(c["margin"] for c in cells if c is not None)
            flag = "ok  " if all(c is not None and c["holds"] for c in cells) else "FAIL"
            vals = " ".join(f"{c['value']:>{width}.4g}" if c else f"{'-':>{width}s}" for c in cells)
            bound = f"{row['relation']} {row['bound']:.4g}"
            lines.append(f"{flag} {name:{name_w}s} {bound:>10s} {vals}  {worst:+.3g}")
        for job in self.errors:
            lines.append(f"ERROR {job['name']} [{job['variant']}]: {job['error']}")
        return "\n".join(lines)


#: What ``to_dict`` keeps of each claim of a job (the rest is in its ``"claims"`` table).
_JOB_CLAIM_KEYS = ("name", "details")


def _job_claim(claim: dict[str, Any]) -> dict[str, Any]:
    return {k: claim[k] for k in _JOB_CLAIM_KEYS if k in claim}


def _variant_sort_key(label: str) -> tuple[int, str]:
    seed, _, kernel = label.partition("/")
    return int(seed.removeprefix("seed+")), kernel


def _processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _worker_command(variant: Variant, scale: str, cache: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "svcca.experiments.matrix",
        "worker",
        "--seed-offset",
        str(variant.seed_offset),
        "--scale",
        scale,
        "--cache",
        str(cache),
    ]


#: The line a worker prints when it has finished a job (its other output is the job's log).
_DONE = "@@svcca-matrix-job-done"


class _Worker:
    """A process that runs jobs of one variant one after another (torch is imported once).

    Its environment (the CPU kernel, one thread) is set when it starts, so each variant has
    workers of its own. A worker that died is started again for the next job.
    """

    def __init__(self, variant: Variant, scale: str, cache: Path) -> None:
        self.proc = subprocess.Popen(
            _worker_command(variant, scale, cache),
            env=variant.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )

    def run(self, name: str, out: Path) -> tuple[int | None, list[str]]:
        """Run one job; return the worker's exit code (None while it lives) and the job's log."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        log: list[str] = []
        try:
            self.proc.stdin.write(f"{name}\t{out}\n")
            self.proc.stdin.flush()
        except OSError:
            return self.proc.wait(), log
        for line in self.proc.stdout:
            if line.rstrip("\n") == _DONE:
                return None, log
            log.append(line)
        return self.proc.wait(), log

    def close(self) -> None:
        """End the worker: it exits when its input closes."""
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        self.proc.wait()


def run_matrix(
    names: Sequence[str] | None = None,
    variants: Sequence[Variant] = (Variant(0, "default"), Variant(0, "avx2")),
    *,
    scale: str | None = None,
    workers: int = 2,
    cache_dir: str | os.PathLike[str] | None = None,
    per_kernel_cache: bool = True,
    on_job: Callable[[dict[str, Any]], None] | None = None,
) -> MatrixResult:
    """Run book experiments under variants in parallel processes and collect their claims.

    Parameters
    ----------
    names : sequence of str, optional
        Book experiments (see :func:`~svcca.experiments.book_experiments`); default all.
    variants : sequence of Variant
        Seed offsets x kernels to run.
    scale : str, optional
        Default ``$SVCCA_SCALE`` or ``"default"``.
    workers : int, default 2
        Parallel processes, each with one thread.
    cache_dir : path, optional
        Experiment cache root; default ``<default cache>/matrix``. Results of each kernel
        go to their own sub-folder (:attr:`Variant.cache_name`) when ``per_kernel_cache``
        (a kernel is not part of a config, so it must not share a cache key).
    on_job : callable, optional
        Called with each finished job's record (for progress lines).

    Returns
    -------
    MatrixResult
    """
    from ._book import book_experiments

    registry = book_experiments()
    names = list(registry) if names is None else list(names)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown book experiment(s) {unknown}; known: {', '.join(registry)}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1; got {workers}")
    scale = current_scale() if scale is None else scale
    for kernel in dict.fromkeys(v.kernel for v in variants):
        check_kernel(kernel)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "matrix"
    jobs = [(n, v) for v in variants for n in names]
    jobs.sort(key=lambda job: -registry[job[0]].cost)  # longest first
    result = MatrixResult(scale=scale)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="svcca-matrix-") as tmp:
        local = threading.local()  # each thread's workers, one per variant
        started: list[_Worker] = []

        def one(i: int, name: str, variant: Variant) -> dict[str, Any]:
            cache = root / variant.cache_name if per_kernel_cache else root
            out = Path(tmp) / f"job{i}.json"
            t0 = time.perf_counter()
            workers_here = local.__dict__.setdefault("workers", {})
            worker = workers_here.get(variant)
            if worker is None or worker.proc.poll() is not None:
                worker = workers_here[variant] = _Worker(variant, scale, cache)
                started.append(worker)
            code, log = worker.run(name, out)
            record: dict[str, Any] = {"name": name, "variant": variant.label, "error": None, "claims": []}
            found = json.loads(out.read_text()) if code is None and out.exists() else None
            if found is not None and not found.get("error"):
                record.update(found)
            else:
                tail = "\n".join("".join(log).strip().splitlines()[-15:])
                why = found["error"] if found is not None else f"the worker exited with code {code}"
                record["error"] = f"{why}\n{tail}".strip()
                record["worker_pid"] = (found or {}).get("worker_pid")
            record["seconds"] = round(time.perf_counter() - t0, 1)
            if on_job is not None:
                on_job(record)
            return record

        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                futures = [pool.submit(one, i, n, v) for i, (n, v) in enumerate(jobs)]
                result.jobs = [f.result() for f in futures]
        finally:
            for worker in started:
                worker.close()
    result.jobs.sort(key=lambda j: (list(registry).index(j["name"]), _variant_sort_key(j["variant"])))
    result.wall_seconds = time.perf_counter() - start
    return result


def _run_job(name: str, seed_offset: int, scale: str, cache: str, out: str) -> None:
    """Body of one job (in its own process): run or load, then evaluate the claims."""
    import torch

    torch.set_num_threads(1)
    from ._book import book_config
    from ._cache import run_or_load

    t0 = time.perf_counter()
    config = book_config(name, scale=scale, seed_offset=seed_offset)
    result = run_or_load(config, cache)
    # claims are the book's statements about the default scale (the embedded data); at
    # the tiny (test) and full (papers' data) scales they are not checked
    claims = config.claims(result) if scale == "default" else []
    record = {
        "capability": torch.backends.cpu.get_cpu_capability(),
        "isa_env": {var: os.environ[var] for var in _ISA_VARS if var in os.environ},
        "from_cache": result.from_cache,
        "run_seconds": result.manifest.get("run_seconds"),
        "job_seconds": round(time.perf_counter() - t0, 1),
        "worker_pid": os.getpid(),
        "claims": [c.to_dict() for c in claims],
    }
    atomic_write(Path(out), json.dumps(record).encode())


def _parse_variants(offsets: Sequence[int], kernels: Sequence[str]) -> list[Variant]:
    # once each: a variant named twice ran its jobs twice, writing the same cache entries at once
    return list(dict.fromkeys(Variant(int(o), k) for o in offsets for k in kernels))


DESCRIPTION = (
    "Run every book experiment under seed offsets x CPU kernel settings (another x86 "
    "processor's instruction set, emulated in torch, MKL, oneDNN and OpenBLAS), in "
    "parallel one-thread processes with a per-kernel cache, "
    "and check the book's claims in each. Exit status 1 if a claim fails anywhere."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``svcca claims`` to ``parser``."""
    parser.add_argument("--only", nargs="+", metavar="NAME", help="book experiments to run (default: all)")
    parser.add_argument(
        "--seed-offsets",
        nargs="+",
        type=int,
        default=list(range(8)),
        metavar="K",
        help="default: 0 to 7 (three offsets let claims through that a fourth broke)",
    )
    parser.add_argument(
        "--kernels",
        nargs="+",
        default=["default", "avx2", "native"],
        choices=KERNELS,
        help="default: default avx2 native (default, avx2, avx512: an x86 processor emulated in torch, "
        "MKL, oneDNN and OpenBLAS; zvector, vsx, sve256: torch's kernels only, on a processor whose "
        "torch has them; native: the CPU's own). A kernel torch would ignore here is refused",
    )
    parser.add_argument("--workers", type=int, default=2, help="parallel processes (default 2)")
    parser.add_argument(
        "--scale",
        default=None,
        choices=("tiny", "default", "full"),
        help="experiment scale (default: $SVCCA_SCALE or 'default')",
    )
    parser.add_argument("--cache", default=None, help="cache root (default: <svcca cache>/matrix)")
    parser.add_argument("--out", default=None, help="write the matrix as JSON here (the book renders it)")


def run_from_args(args: argparse.Namespace) -> int:
    """Run the matrix as the parsed options say; print progress and the table."""
    if not 1 <= args.workers <= 64:
        raise ValueError(f"--workers must be between 1 and 64; got {args.workers}")
    if any(o < 0 for o in args.seed_offsets):
        raise ValueError(f"--seed-offsets must be >= 0; got {args.seed_offsets}")
    if args.out:  # before hours of work, not after
        out = Path(args.out)
        why = "it is a folder" if out.is_dir() else probe_writable(out.parent)
        if why is not None:
            raise ValueError(f"--out {args.out} cannot be written ({why})")

    def progress(job: dict[str, Any]) -> None:
        state = "error" if job.get("error") else ("cached" if job.get("from_cache") else "ran")
        failed = [c["name"] for c in job.get("claims", []) if not c["holds"]]
        note = f", {len(failed)} claim(s) fail" if failed else ""
        print(f"  {job['name']:28s} {job['variant']:16s} {job['seconds']:7.1f} s  {state}{note}", flush=True)

    variants = _parse_variants(args.seed_offsets, args.kernels)
    print(f"svcca claims: {len(variants)} variant(s), {args.workers} worker(s)", flush=True)
    result = run_matrix(
        args.only, variants, scale=args.scale, workers=args.workers, cache_dir=args.cache, on_job=progress
    )
    print(result.summary())
    print(
        f"matrix: {len(result.jobs)} jobs in {result.wall_seconds:.0f} s; "
        f"{len(result.failed)} failing claim/variant pair(s), {len(result.errors)} error(s)"
    )
    if args.out:
        data = json.dumps(result.to_dict(), indent=1) + "\n"  # claims in the book's order
        atomic_write(Path(args.out), data.encode())
        print(f"wrote {args.out}")
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``svcca claims``: run the robustness matrix and print claim x variant."""
    parser = argparse.ArgumentParser(prog="svcca claims", description=DESCRIPTION)
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


def _worker_main(argv: Sequence[str]) -> int:
    """Run the jobs named on stdin (``NAME<TAB>OUT`` lines), answering each with :data:`_DONE`.

    A job that raises writes its traceback as the job's error and the worker goes on.
    """
    import traceback

    parser = argparse.ArgumentParser(prog="svcca.experiments.matrix worker")
    parser.add_argument("--seed-offset", type=int, default=0)
    parser.add_argument("--scale", default="default")
    parser.add_argument("--cache", required=True)
    a = parser.parse_args(argv)
    for line in sys.stdin:
        name, out = line.rstrip("\n").split("\t")
        try:
            _run_job(name, a.seed_offset, a.scale, a.cache, out)
        except Exception:
            record = {"error": traceback.format_exc()[-3000:], "worker_pid": os.getpid()}
            atomic_write(Path(out), json.dumps(record).encode())
        print(_DONE, flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through subprocesses
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        sys.exit(_worker_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
