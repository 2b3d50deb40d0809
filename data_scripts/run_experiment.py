#!/usr/bin/env python
"""Run one of the papers' experiments at a scale, on a device, into the experiment cache.

Examples::

    python data_scripts/run_experiment.py --list
    python data_scripts/run_experiment.py learning_dynamics                 # digits, CPU
    python data_scripts/run_experiment.py learning_dynamics.resnet --scale full
    python data_scripts/run_experiment.py class_sensitivity --scale full    # GPU if there is one
    python data_scripts/run_experiment.py generalization --scale full --device cpu
    python data_scripts/run_experiment.py layer_identification --set "seeds=(0, 1, 2)" --force

``--scale full`` needs the papers' data, fetched first with ``download_cifar10.py``,
``download_lm_corpora.py`` or ``prepare_imagenet_subset.py`` (into ``$SVCCA_DATA``,
default ``./data``). Results land in ``$SVCCA_CACHE_DIR`` (default
``~/.cache/svcca/experiments``), where the book and ``svcca figures`` find them. A result
that cannot be kept there (a folder that is not writable, a full disk) is an error: one line
on stderr and exit status 1, before the run when the folder is not writable.

``$SVCCA_SEED_OFFSET`` shifts every seed of the experiment, as it does for the book built
under a seed variant (``--set seeds=...`` then replaces the shifted seeds).

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
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from svcca.experiments import ExperimentConfig


def _parse_value(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _reason(exc: OSError) -> str:
    """``"No space left on device: 'path'"``: an OSError's reason and file, without the errno."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return reason if exc.filename is None else f"{reason}: {str(exc.filename)!r}"


def _why_unwritable(cache: Path) -> str | None:
    """Why no file can be created in ``cache`` (one line), or None when one can."""
    import tempfile

    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=cache):
            pass
    except OSError as exc:
        return _reason(exc)
    return None


def _not_kept(name: str, cache: Path, warning: Warning, elapsed: float) -> str:
    """The error for a result that could not be written to the cache (a CacheWriteWarning turned error).

    ``run_or_load`` warns before the run when the folder is not writable, and after it, from the
    handler of the ``OSError`` (its ``__context__``), when the entry could not be written.
    """
    cause = warning.__context__
    if isinstance(cause, OSError):
        return (
            f"{name} was computed in {elapsed:.1f} s, but its result could not be written to the cache "
            f"folder {cache} ({_reason(cause)}), so it was not saved. Free space there, or pass --cache-dir "
            "a writable folder (or set SVCCA_CACHE_DIR), and rerun"
        )
    why = _why_unwritable(cache) or str(warning)
    return (
        f"the result of {name} could not be written to the cache folder {cache} ({why}), so it was not "
        "run. Pass --cache-dir a writable folder (or set SVCCA_CACHE_DIR) and rerun"
    )


def main(argv: list[str] | None = None) -> int:
    from svcca.experiments import (
        SCALES,
        CacheWriteWarning,
        book_config,
        book_experiments,
        default_cache_dir,
        experiments,
        partial_folder,
        run_or_load,
        seed_offset_from_env,
    )

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
        "are reproducible bit for bit). The device is not part of a cached result's identity: a "
        "result loaded from the cache says which device computed it (use --force to recompute)",
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
        names = list(dict.fromkeys([*registry, *book]))  # a book job may share its experiment's name
        parser.error(f"unknown experiment {args.name!r}; choose from: {', '.join(names)}")
    if args.name in registry:
        cls = registry[args.name]

        def make(scale: str | None, **changes: object) -> ExperimentConfig:
            # $SVCCA_SEED_OFFSET shifts the seeds as for the book's names (then --set applies)
            shifted = cls.for_scale(scale).with_seed_offset(seed_offset_from_env())
            return dataclasses.replace(shifted, **changes) if changes else shifted

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

    cache = Path(args.cache_dir) if args.cache_dir is not None else default_cache_dir()

    def work() -> int:
        config = make(args.scale, **overrides)
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # a result the cache cannot keep is an error here: the command exists to keep it
                warnings.simplefilter("error", CacheWriteWarning)
                result = run_or_load(config, args.cache_dir, force=args.force, progress=args.progress)
        except CacheWriteWarning as exc:
            raise RuntimeError(_not_kept(args.name, cache, exc, time.perf_counter() - t0)) from None
        if result.path is None:  # not kept, whatever the reason: never print it as if it were
            raise RuntimeError(
                f"the result of {args.name} was not written to the cache folder {cache}. Pass --cache-dir "
                "a writable folder (or set SVCCA_CACHE_DIR) and rerun"
            )
        how = "loaded from cache" if result.from_cache else f"computed in {time.perf_counter() - t0:.1f} s"
        made = result.manifest.get("computed_with")
        if result.from_cache and made:  # device and threads are not part of the entry's identity
            how += f", computed with device={made.get('device')}, num_threads={made.get('num_threads')}"
        offset = seed_offset_from_env()
        shifted = f", seeds shifted by SVCCA_SEED_OFFSET={offset}" if offset else ""
        print(f"{args.name} ({how}{shifted}): {result.path}")
        for key, value in sorted(result.arrays.items()):
            print(f"  {key:<28} {str(value.dtype):<10} {tuple(value.shape)}")
        return 0

    again = "rerun the same command to continue"

    def interrupted() -> str:
        partial = partial_folder(make(args.scale, **overrides), cache)
        if not partial.is_dir():
            return "interrupted before any network was kept; rerun the same command to start again"
        return f"interrupted; the networks trained so far are kept in {partial}: {again}"

    return run_data_script("run_experiment.py", work, interrupted=interrupted)  # errors in one line


if __name__ == "__main__":
    sys.exit(main())
