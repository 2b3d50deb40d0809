#!/usr/bin/env python
"""Run one of the papers' experiments at a scale, on a device, into the experiment cache.

Examples::

    python data_scripts/run_experiment.py --list
    python data_scripts/run_experiment.py learning_dynamics                 # digits, CPU
    python data_scripts/run_experiment.py learning_dynamics.resnet --scale full
    python data_scripts/run_experiment.py class_sensitivity --scale full    # GPU if there is one
    python data_scripts/run_experiment.py generalization --scale full --device cpu
    python data_scripts/run_experiment.py layer_identification --set seeds=3 --force

``--scale full`` needs the papers' data, fetched first with ``download_cifar10.py``,
``download_lm_corpora.py`` or ``prepare_imagenet_subset.py`` (into ``$SVCCA_DATA``,
default ``./data``). Results land in ``$SVCCA_CACHE_DIR`` (default
``~/.cache/svcca/experiments``), where the book and ``svcca figures`` find them.

A name is an experiment (``learning_dynamics``) or one of the book's experiments
(``learning_dynamics.resnet``: the config the book's chapter uses, see
``svcca.experiments.book_experiments``).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from svcca.experiments import ExperimentConfig


def _parse_value(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main(argv: list[str] | None = None) -> int:
    from svcca.experiments import SCALES, book_config, book_experiments, experiments, run_or_load

    registry = experiments()
    book = book_experiments()
    parser = argparse.ArgumentParser(
        prog="run_experiment.py",
        description="Run (or load from the cache) one of svcca's paper experiments.",
        epilog="experiments: " + ", ".join(registry) + "; the book's: " + ", ".join(book),
    )
    parser.add_argument("name", nargs="?", help="experiment name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the experiments and their presets")
    parser.add_argument(
        "--scale", choices=SCALES, default=None, help="preset (default: $SVCCA_SCALE or 'default')"
    )
    parser.add_argument(
        "--device",
        default=None,
        help="torch device: auto (the GPU when there is one), cpu, cuda, ... (default: the "
        "preset's: auto at full scale, cpu at the default and tiny scales, whose CPU results "
        "are reproducible bit for bit)",
    )
    parser.add_argument("--cache-dir", default=None, help="experiment cache folder")
    parser.add_argument("--force", action="store_true", help="recompute even if a cached result exists")
    parser.add_argument("--progress", action="store_true", help="show progress bars")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override a config field (repeatable)",
    )
    args = parser.parse_args(argv)

    if args.list:
        for name, cls in registry.items():
            doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
            print(f"{name:<24} {cls.__name__:<32} {doc}")
        for name, entry in book.items():
            print(f"{name:<24} {'(book, ' + entry.chapter + ')':<32}")
        return 0
    if not args.name:
        parser.error("name an experiment (see --list)")
    if args.name not in registry and args.name not in book:
        parser.error(f"unknown experiment {args.name!r}; choose from: {', '.join([*registry, *book])}")
    if args.name in registry:
        cls = registry[args.name]

        def make(scale: str | None, **changes: object) -> ExperimentConfig:
            return cls.for_scale(scale, **changes)

    else:
        cls = type(book_config(args.name, "tiny"))

        def make(scale: str | None, **changes: object) -> ExperimentConfig:
            return dataclasses.replace(book_config(args.name, scale), **changes)

    overrides: dict[str, object] = {}
    fields = {f.name for f in dataclasses.fields(cls)}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or key not in fields:
            parser.error(
                f"--set expects FIELD=VALUE with FIELD one of {', '.join(sorted(fields))}; got {item!r}"
            )
        overrides[key] = _parse_value(value)
    if args.device is not None:
        if "device" not in fields:
            parser.error(f"experiment {args.name!r} has no device setting")
        overrides["device"] = args.device
    from svcca.nn.data import run_data_script

    def work() -> int:
        config = make(args.scale, **overrides)
        t0 = time.perf_counter()
        result = run_or_load(config, args.cache_dir, force=args.force, progress=args.progress)
        how = "loaded from cache" if result.from_cache else f"computed in {time.perf_counter() - t0:.1f} s"
        print(f"{args.name} ({how}): {result.path}")
        for key, value in sorted(result.arrays.items()):
            print(f"  {key:<28} {str(value.dtype):<10} {tuple(value.shape)}")
        return 0

    return run_data_script("run_experiment.py", work)  # errors in one line, never a traceback


if __name__ == "__main__":
    sys.exit(main())
