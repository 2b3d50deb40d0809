"""Benchmark: streaming CCA of a conv layer too long to hold, against the in-memory computation.

Two conv layers with 64 channels each, positions as samples: 2,000,000 rows (e.g. 2,000
images x 32 x 32 positions) generated batch by batch and fed to
``svcca.streaming.PairAccumulator``. Reported:

* the peak memory the streaming pass allocates *beyond one batch* (tracemalloc; the
  target is under 100 MB), which does not grow with the number of rows;
* the streaming time (``update`` calls and ``cca()``, not the generation of the batches)
  against ``svcca.cca`` on the same rows held in memory, where they fit (target: within
  1.5x), and the agreement of the two.

Run ``python benchmarks/bench_streaming.py`` (``--quick``: 200,000 rows).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import svcca
from svcca.streaming import PairAccumulator

CHANNELS = 64


def make_batch(seed: int, i: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Batch ``i`` of two related conv layers (float32, as recorded), reproducible by index."""
    rng = np.random.default_rng([seed, i])
    w = np.random.default_rng(seed).standard_normal((2, CHANNELS, CHANNELS)).astype(np.float32) / 8
    X = (
        rng.standard_normal((rows, CHANNELS), dtype=np.float32) @ (np.eye(CHANNELS, dtype=np.float32) + w[0])
        + 3.0
    )
    Y = np.maximum(X @ w[1] + rng.standard_normal((rows, CHANNELS), dtype=np.float32), 0.0)  # ReLU
    return X, Y


def batch_sizes(n: int, batch: int) -> list[int]:
    return [min(batch, n - i) for i in range(0, n, batch)]


def available_bytes() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 rows instead of 2,000,000")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--batch", type=int, default=16_384, help="rows per batch (default 16384)")
    args = parser.parse_args(argv)
    n = args.rows or (200_000 if args.quick else 2_000_000)
    sizes = batch_sizes(n, args.batch)
    seed = 0

    # warm up imports and BLAS on a small problem, outside every measurement
    X0, Y0 = make_batch(seed, 0, 1000)
    PairAccumulator().update(X0, Y0).cca()
    svcca.cca(X0, Y0)

    # --- streaming: time the accumulator only, trace every allocation
    acc = PairAccumulator()
    t_stream = 0.0
    batch_bytes = 0
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for i, n_rows in enumerate(sizes):
        X, Y = make_batch(seed, i, n_rows)
        batch_bytes = max(batch_bytes, X.nbytes + Y.nbytes)
        t0 = time.perf_counter()
        acc.update(X, Y)
        t_stream += time.perf_counter() - t0
        del X, Y
    t0 = time.perf_counter()
    res = acc.cca()
    t_stream += time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    beyond = peak - batch_bytes

    # --- in memory, when the rows and svcca.cca's float64 working copies fit
    need = n * 2 * CHANNELS * (4 + 3 * 8)
    t_batch = diff = None
    if need < 0.6 * available_bytes():
        X = np.concatenate([make_batch(seed, i, r)[0] for i, r in enumerate(sizes)])
        Y = np.concatenate([make_batch(seed, i, r)[1] for i, r in enumerate(sizes)])
        t0 = time.perf_counter()
        ref = svcca.cca(X, Y)
        t_batch = time.perf_counter() - t0
        diff = float(np.max(np.abs(np.asarray(res.rho) - np.asarray(ref.rho))))
        del X, Y

    layout = f"{n:,} rows x {CHANNELS} + {CHANNELS} channels"
    print(f"streaming CCA: {layout}, {len(sizes)} batches of {args.batch:,} rows")
    table = [
        ("one batch (X and Y, float32)", f"{batch_bytes / 2**20:10.1f} MB"),
        ("peak allocated while streaming", f"{peak / 2**20:10.1f} MB"),
        ("peak beyond one batch (target < 100 MB)", f"{beyond / 2**20:10.1f} MB"),
        ("streaming time (update + cca)", f"{t_stream:10.3f} s"),
    ]
    if t_batch is not None:
        table += [
            ("in-memory svcca.cca time", f"{t_batch:10.3f} s"),
            ("streaming / in-memory (target <= 1.5)", f"{t_stream / t_batch:10.2f}x"),
            ("max |rho_stream - rho_batch|", f"{diff:10.1e}"),
        ]
    else:
        table.append(("in-memory svcca.cca", f"skipped: needs ~{need / 2**30:.1f} GiB"))
    width = max(len(r[0]) for r in table)
    for name, value in table:
        print(f"  {name:<{width}}  {value}")
    print(f"  similarity {res.similarity:.6f}, x_rank {res.x_rank}, y_rank {res.y_rank}")


if __name__ == "__main__":
    main()
