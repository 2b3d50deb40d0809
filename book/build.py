"""Build the book: execute every chapter (cached) and fail on any error or warning.

Run through ``make book``. Prints the wall time of the build; the per-chapter execution
times are on the book's status page (``status.md``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parent


def main() -> int:
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # an inherited Agg backend makes inline figures vanish
    # One thread per chapter kernel, for torch and BLAS alike. Measured while building:
    # torch's OpenMP threads and OpenBLAS's spinning threads fight over 2 cores, and a
    # chapter ran 2.5-15x slower with 2 threads than with 1; set SVCCA_BOOK_THREADS on a
    # bigger machine.
    threads = os.environ.get("SVCCA_BOOK_THREADS", "1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = threads
    # Experiment results computed by the chapters are cached beside the HTML, so
    # `make clean-book` gives a truly cold build; `svcca figures` can reuse them with
    # SVCCA_CACHE_DIR=book/_build/experiment-cache.
    env.setdefault("SVCCA_CACHE_DIR", str(BOOK / "_build" / "experiment-cache"))
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    cmd = [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(BOOK),
        "--warningiserror",
        "--keep-going",
        *sys.argv[1:],
    ]
    start = time.perf_counter()
    rc = subprocess.call(cmd, env=env)
    print(f"book build: exit {rc} after {time.perf_counter() - start:.1f} s", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
