"""Benchmark: float64 CCA on a CUDA GPU against its own Gram products and the numpy path.

One self-contained command for a machine with a GPU::

    python benchmarks/bench_gpu.py

Float64 CCA of ``n = 200,000`` samples with 1024 vs 1024 features, as torch tensors on the
GPU (``svcca.cca`` stays on the device). It prints, in one table:

* the time of the three Gram products ``X^T X``, ``Y^T Y``, ``X^T Y`` on the GPU (the
  floor of any CCA), the time of ``svcca.cca`` and their ratio (target: within 3x), with a
  breakdown (whitening of one side, the cross step);
* the time of the numpy path on this machine's CPU for the same data and the GPU's
  speed-up over it;
* checks that the results stay on the device and agree with the CPU to 1e-10, for
  ``svcca.cca``, ``svcca.similarity_matrix`` and ``svcca.streaming.PairAccumulator``.

Without CUDA it says so and exits cleanly; ``--small`` (alias ``--quick``) runs small sizes
(n = 20,000, 128 features) and, without CUDA, on the CPU through torch, as a dry run of the
script (the figures it then prints are CPU-through-torch against numpy, not a GPU's).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _sync(torch: Any, device: Any) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_of(f: Callable[[], Any], repeats: int, torch: Any, device: Any) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        _sync(torch, device)
        t0 = time.perf_counter()
        out = f()
        _sync(torch, device)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--small",
        "--quick",
        dest="small",
        action="store_true",
        help="n=20000, 128 features; CPU dry run without CUDA",
    )
    parser.add_argument("--n", type=int, default=None, help="samples (default 200000)")
    parser.add_argument("--p", type=int, default=None, help="features per side (default 1024)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-cpu", action="store_true", help="do not time the numpy path")
    args = parser.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("bench_gpu: torch is not installed; nothing to measure (pip install 'svcca[torch]').")
        return 0
    if torch.cuda.is_available():
        device = torch.device("cuda")
    elif args.small:
        device = torch.device("cpu")
    else:
        print("bench_gpu: CUDA is not available on this machine; nothing to measure.")
        print("           Run it on a machine with a GPU, or `--small` for a CPU dry run of the script.")
        return 0

    import svcca
    from svcca._cca import cca_from_whitened, whiten
    from svcca.streaming import PairAccumulator

    n = args.n or (20_000 if args.small else 200_000)
    p = args.p or (128 if args.small else 1024)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU (dry run through torch)"
    print(f"bench_gpu: float64 CCA, n={n:,}, {p} vs {p} features, on {name}; torch {torch.__version__}")
    print(f"           CPU: {os.cpu_count()} cores; times are the best of {args.repeats}")

    # two related layers, generated on the device (float64)
    gen = torch.Generator(device=device).manual_seed(0)
    latent = torch.randn(n, p // 4, generator=gen, device=device, dtype=torch.float64)
    X = latent @ torch.randn(p // 4, p, generator=gen, device=device, dtype=torch.float64)
    X += torch.randn(n, p, generator=gen, device=device, dtype=torch.float64) + 1.0
    Y = torch.tanh(latent @ torch.randn(p // 4, p, generator=gen, device=device, dtype=torch.float64) / 8)
    Y += 0.5 * torch.randn(n, p, generator=gen, device=device, dtype=torch.float64)

    # warm up cuBLAS / cuSOLVER and the library's lazy imports
    svcca.cca(X[:2000, :64], Y[:2000, :64])
    _sync(torch, device)

    def grams() -> tuple[Any, Any, Any]:
        return X.mT @ X, Y.mT @ Y, X.mT @ Y

    rows: list[tuple[str, str]] = []
    t_gram, _ = best_of(grams, args.repeats, torch, device)
    t_cca, res = best_of(lambda: svcca.cca(X, Y), args.repeats, torch, device)
    sim_gpu = res.similarity
    t_wx, wx = best_of(lambda: whiten(X), args.repeats, torch, device)
    wy = whiten(Y)
    t_cross, _ = best_of(lambda: cca_from_whitened(wx, wy).similarity, args.repeats, torch, device)
    rows += [
        ("three Gram products X^T X, Y^T Y, X^T Y", f"{t_gram:9.4f} s"),
        ("svcca.cca(X, Y) on the device", f"{t_cca:9.4f} s"),
        ("  of which whiten(X)", f"{t_wx:9.4f} s  ({wx.algorithm} path)"),
        ("  of which cross step + singular values", f"{t_cross:9.4f} s"),
        ("cca / Gram products (target <= 3)", f"{t_cca / t_gram:9.2f}x"),
    ]

    # the numpy path on this machine's CPU, same data
    if not args.skip_cpu:
        Xn, Yn = X.cpu().numpy(), Y.cpu().numpy()
        t_np, res_np = best_of(
            lambda: svcca.cca(Xn, Yn), 1 if device.type == "cuda" else args.repeats, torch, device
        )
        rows += [
            ("svcca.cca on numpy arrays (CPU)", f"{t_np:9.4f} s"),
            ("device speed-up over numpy", f"{t_np / t_cca:9.1f}x"),
            ("|similarity device - numpy|", f"{abs(sim_gpu - res_np.similarity):9.1e}"),
        ]
        del Xn, Yn

    # --- checks: results stay on the device and agree with the CPU
    from svcca import similarity_matrix

    checks = []
    m = min(n, 20_000)
    q = min(p, 96)
    layers = {"a": X[:m, :q], "b": Y[:m, :q], "c": torch.tanh(X[:m, :q] - Y[:m, :q])}
    res_small = svcca.cca(layers["a"], layers["b"])
    checks.append(("svcca.cca result on the device", res_small.rho.device.type == device.type))
    for measure in ("cca", "svcca", "pwcca", "cka"):
        g_dev = similarity_matrix(layers, measure=measure).values
        g_cpu = similarity_matrix({k: v.cpu().numpy() for k, v in layers.items()}, measure=measure).values
        checks.append(
            (f"similarity_matrix({measure!r}) device == numpy", float(np.abs(g_dev - g_cpu).max()) < 1e-10)
        )
    acc = PairAccumulator()
    for i in range(0, m, 4096):
        acc.update(layers["a"][i : i + 4096], layers["b"][i : i + 4096])
    sres = acc.cca()
    checks.append(("PairAccumulator statistics on the device", sres.rho.device.type == device.type))
    diff = float((sres.rho.cpu() - res_small.rho.cpu()).abs().max())
    checks.append(("PairAccumulator == svcca.cca (1e-10)", diff < 1e-10))

    width = max(len(r[0]) for r in rows + checks)
    print("-" * (width + 16))
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print("-" * (width + 16))
    for label, ok in checks:
        print(f"{label:<{width}}  {'ok' if ok else 'FAILED'}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
