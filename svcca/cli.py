"""The ``svcca`` command line (also ``python -m svcca``).

``svcca compare A B --measure pwcca`` prints the similarity of two layers' activations
stored in ``.npy``, ``.npz`` or ``.pt`` files, with its summaries and, on request, a
permutation null and a bootstrap interval. ``svcca figures`` regenerates the book's
figures (:mod:`svcca.figures`) and ``svcca claims`` runs the robustness matrix of its
claims (:mod:`svcca.experiments.matrix`). Files are read without unpickling anything:
``numpy.load(..., allow_pickle=False)`` and ``torch.load(..., weights_only=True)``.

Subcommands are registered from :data:`SUBCOMMANDS`: each entry is a function that adds
its parser to the ``subparsers`` of the main parser and sets ``func`` (``args -> exit code``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._io import check_regular_file, load_torch, read_npy_header

__all__ = ["main", "CLIError", "load_activations", "SUBCOMMANDS"]

_SUFFIXES = (".npy", ".npz", ".pt", ".pth")


class CLIError(Exception):
    """A user-facing error: printed as one line on stderr, exit status 1, no traceback."""


# --- reading activation files -----------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """One activation array read from a file, and where it came from."""

    array: np.ndarray
    path: str
    key: str | None
    #: the file held bfloat16, which numpy lacks: ``array`` holds its values exactly, in float32
    bfloat16: bool = False

    @property
    def label(self) -> str:
        return f"{self.path}[{self.key}]" if self.key is not None else self.path

    def values(self) -> Any:
        """Return the array to compute with: as read, or a bfloat16 tensor where the file held one.

        The measures weigh each input's own rounding (a bfloat16 activation carries about
        0.4% of it), so the command passes them what the file held, as the Python API would get.
        """
        if not self.bfloat16:
            return self.array
        import torch

        return torch.from_numpy(np.ascontiguousarray(self.array)).to(torch.bfloat16)  # exact


def _pick_key(mapping_keys: list[str], key: str | None, path: Path) -> str:
    if not mapping_keys:
        raise CLIError(f"{path} holds no arrays")
    if key is None:
        if len(mapping_keys) == 1:
            return mapping_keys[0]
        raise CLIError(
            f"{path} holds several arrays; choose one with --key (or --key-a/--key-b). "
            f"Available keys: {', '.join(mapping_keys)}"
        )
    if key not in mapping_keys:
        raise CLIError(f"no array {key!r} in {path}; available keys: {', '.join(mapping_keys)}")
    return key


def _numpy_error(path: Path, exc: Exception) -> CLIError:
    msg = str(exc)
    if "Object arrays" in msg or "allow_pickle" in msg:
        return CLIError(
            f"{path} is not a plain numeric array file: it holds pickled Python objects (or is not "
            f"a .npy/.npz file at all). svcca never unpickles files; save numeric arrays with "
            f"numpy.save / numpy.savez"
        )
    if isinstance(exc, MemoryError):
        return CLIError(f"could not read {path}: its array does not fit in memory")
    return CLIError(
        msg if msg.startswith((f"could not read {path}", str(path))) else f"could not read {path}: {msg}"
    )


def _check_npy(fh: Any, available: int, label: str, path: Path) -> None:
    """Refuse a forged or oversized header before numpy allocates anything (``fh`` is rewound)."""
    start = fh.tell()
    try:
        read_npy_header(fh, available, label)
    except ValueError as exc:
        raise _numpy_error(path, exc) from None
    fh.seek(start)


def _load_numpy(path: Path, key: str | None) -> tuple[np.ndarray, str | None]:
    # we own the file handle (numpy leaves it open when a .npz turns out to be malformed)
    errors = (ValueError, OSError, EOFError, MemoryError, zipfile.BadZipFile)
    with open(path, "rb") as fh:
        is_npy = fh.read(6) == b"\x93NUMPY"
        fh.seek(0)
        if is_npy:
            _check_npy(fh, os.fstat(fh.fileno()).st_size, str(path), path)
        try:
            data = np.load(fh, allow_pickle=False)
        except errors as exc:
            raise _numpy_error(path, exc) from None
        if isinstance(data, np.ndarray):
            if key is not None:
                raise CLIError(f"{path} holds a single array; --key {key!r} does not apply")
            return data, None
        with data:
            chosen = _pick_key(list(data.files), key, path)
            try:
                member = f"{chosen}.npy" if f"{chosen}.npy" in data.zip.namelist() else chosen
                info = data.zip.getinfo(member)
                with data.zip.open(member) as entry:
                    _check_npy(entry, info.file_size, f"{path}[{chosen}]", path)
                return data[chosen], chosen
            except errors as exc:
                raise _numpy_error(path, exc) from None


def _as_numpy(tensor: Any, label: str) -> np.ndarray:
    import torch

    if getattr(tensor, "is_nested", False):
        raise CLIError(f"{label} is a nested tensor (rows of different lengths); expected one 2-D array")
    t = tensor.detach().cpu()
    if t.layout != torch.strided:  # a sparse tensor: read as the dense array it stands for
        t = t.to_dense()
    if t.is_floating_point() and t.dtype not in (torch.float16, torch.float32, torch.float64):
        t = t.to(torch.float32)  # bfloat16 and the 8-bit floats have no numpy dtype
    return t.numpy()


def _load_torch(path: Path, key: str | None) -> tuple[Any, str | None]:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is optional
        raise CLIError(f"reading {path} needs torch (pip install torch), or save it as .npy/.npz") from None
    try:
        obj = load_torch(path)
    except ValueError as exc:
        reason = str(exc).removeprefix(f"{path} ")
        raise CLIError(
            f"could not read {path} as a torch file of tensors (torch.load with weights_only=True): {reason}"
        ) from None
    if isinstance(obj, torch.Tensor):
        if key is not None:
            raise CLIError(f"{path} holds a single tensor; --key {key!r} does not apply")
        return obj, None
    if isinstance(obj, dict):
        named = [k for k, v in obj.items() if isinstance(v, torch.Tensor)]  # the keys of tensors
        tensors = {str(k): obj[k] for k in named}
        if not named:
            raise CLIError(f"{path} holds no tensors at the top level {_dict_contents(obj)}")
        if key is not None and key not in tensors:
            found = [v for k, v in obj.items() if str(k) == key]
            if found:
                raise CLIError(
                    f"{path}[{key}] is of type {type(found[0]).__name__}, not a tensor (nested containers "
                    f"are not searched); choose one of its tensors' keys: {', '.join(tensors)}"
                )
        if len(tensors) < len(named):  # keys such as 1 and "1" would name one array
            clash = sorted({str(k) for k in named if sum(str(j) == str(k) for j in named) > 1})
            raise CLIError(
                f"{path} holds several tensors under keys that read alike ({', '.join(map(repr, clash))} "
                f"as text: {', '.join(repr(k) for k in named if str(k) in clash)}); save them under "
                f"distinct string keys"
            )
        chosen = _pick_key(list(tensors), key, path)
        return tensors[chosen], chosen
    raise CLIError(f"{path} holds a {type(obj).__name__}; expected a tensor or a dict of tensors")


def _dict_contents(obj: dict[Any, Any], shown: int = 10) -> str:
    """Say what a dict read from a .pt file holds instead of tensors: its keys and their types."""
    if not obj:
        return "(an empty dict)"
    items = [f"{k!r} ({type(v).__name__})" for k, v in list(obj.items())[:shown]]
    rest = f" and {len(obj) - shown} more" if len(obj) > shown else ""
    return (
        f"of its dict (nested dicts are not searched); its keys: {', '.join(items)}{rest}. Save the "
        f"tensors themselves as the dict's values, e.g. torch.save({{'acts': tensor}}, path)"
    )


def load_activations(
    path: str | Path, key: str | None = None, *, layout: str = "samples-first", flatten: bool = False
) -> Loaded:
    """Read one activation array, samples first, from a ``.npy``/``.npz``/``.pt`` file.

    Parameters
    ----------
    path : str or Path
        A ``.npy`` file (one array), ``.npz`` file (one or several arrays), or ``.pt``/``.pth``
        file (a tensor or a dict of tensors).
    key : str, optional
        Which array of an ``.npz`` or dict ``.pt`` file; required when it holds several.
    layout : {"samples-first", "neurons-first"}
        How the file stores the array; ``"neurons-first"`` (the original SVCCA code's
        ``(n_neurons, n_datapoints)``) is transposed.
    flatten : bool
        Reshape a samples-first array of more than 2 dimensions (e.g. conv activations
        ``(n_samples, height, width, channels)``) to ``(n_samples, -1)``.

    Returns
    -------
    Loaded
        The float array of shape ``(n_samples, n_features)``, with its path and key.
        Tensors in bfloat16 (or another float type numpy lacks) arrive as float32; for
        bfloat16, ``.bfloat16`` is set and ``.values()`` gives the exact bfloat16 tensor.

    Raises
    ------
    CLIError
        For a missing or malformed file, a FIFO or other non-regular file (refused before it
        is opened), a pickled file, a ``.npy`` header that declares more data than the file
        holds, a wrong or missing key, a ``.pt`` dict whose tensors are nested (only its top
        level is read), an array that is not 2-D, or NaN or infinite values.
    """
    p = Path(path)
    try:
        check_regular_file(p)  # a FIFO would block forever once opened
    except FileNotFoundError as exc:
        raise CLIError(str(exc)) from None
    except ValueError as exc:
        raise CLIError(f"{exc}: a .npy, .npz or .pt file") from None
    suffix = p.suffix.lower()
    if suffix not in _SUFFIXES:
        raise CLIError(
            f"{p}: unsupported file type {suffix or '(none)'!r}; expected one of {', '.join(_SUFFIXES)}"
        )
    array, key = _load_torch(p, key) if suffix in (".pt", ".pth") else _load_numpy(p, key)
    bfloat16 = not isinstance(array, np.ndarray) and str(array.dtype) == "torch.bfloat16"
    label = f"{p}[{key}]" if key is not None else str(p)
    if not isinstance(array, np.ndarray):
        array = _as_numpy(array, label)
    if array.dtype.kind not in "biufc":
        raise CLIError(f"{label} holds {array.dtype} values; expected numbers")
    if array.ndim < 2:
        raise CLIError(
            f"{label} has shape {array.shape}: expected a 2-D array (n_samples, n_features)"
            + (" (a single feature? save it as shape (n, 1))" if array.ndim == 1 else "")
        )
    if array.ndim > 2:
        if layout == "neurons-first":
            raise CLIError(f"{label} has shape {array.shape}: the neurons-first layout needs a 2-D array")
        if not flatten:
            raise CLIError(
                f"{label} has shape {array.shape}: expected 2-D (n_samples, n_features); pass --flatten "
                f"to treat every unit of the trailing dimensions as a feature"
            )
        array = array.reshape(array.shape[0], -1)
    _check_finite(array, label)
    if layout == "neurons-first":
        array = array.T
    return Loaded(array=array, path=str(p), key=key, bfloat16=bfloat16)


def _check_finite(array: np.ndarray, label: str) -> None:
    """Refuse NaN or infinite values, naming the file (the measures would name only X or Y)."""
    if array.dtype.kind not in "fc":
        return
    # a sum is finite when every value is (cheap); only then is it worth counting them
    total = array.sum(dtype=np.complex128 if array.dtype.kind == "c" else np.float64)
    if np.isfinite(total):
        return
    bad = int(array.size - np.count_nonzero(np.isfinite(array)))
    if bad:
        raise CLIError(
            f"{label} contains {bad} NaN or infinite value(s) of {array.size} (shape {array.shape}); "
            f"clean or impute them first"
        )


# --- compare ----------------------------------------------------------------------------


def _parse_keep(text: str) -> float:
    if text.strip().lstrip("+-").isdigit():  # "1": one direction, or all the variance?
        raise argparse.ArgumentTypeError(
            f"expected a variance fraction such as 0.99 or 1.0; got {text!r} (for a number of "
            f"directions use --n-components {text.strip()})"
        )
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a variance fraction in (0, 1]; got {text!r}") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a variance fraction in (0, 1] (for a number of directions use --n-components); "
            f"got {text!r}"
        )
    return value


#: The most shuffles (--null) or resamples (--ci) accepted: beyond it a run takes hours and
#: the Monte Carlo error of a p-value or interval is already far below any other error.
MAX_RESAMPLES = 100_000


def _integer(text: str, minimum: int, what: str) -> int:
    """Parse an integer option of at least ``minimum``; ``what`` names it in the message."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a {what}; got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a {what}; got {value}")
    return value


def _positive_int(text: str) -> int:
    return _integer(text, 1, "positive integer")


def _resample_count(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_RESAMPLES:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_RESAMPLES}; got {value}")
    return value


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a coverage in (0, 1) such as 0.95; got {text!r}"
        ) from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a coverage in (0, 1) such as 0.95; got {text!r}")
    return value


def _seed(text: str) -> int:
    return _integer(text, 0, "non-negative integer")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}") from None
    if not 0.0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}")
    return value


# The options of the registry's measures as flags: flag -> (measure option, the measures taking it).
_MEASURE_FLAGS = {
    "keep": "--keep",
    "n_components": "--n-components",
    "side": "--side",
    "debiased": "--debiased",
    "bandwidth": "--bandwidth",
    "batch_size": "--batch-size",
}


def _add_compare(subparsers: Any) -> None:
    from ._measures import MEASURES, entry
    from ._pwcca import SIDES

    p = subparsers.add_parser(
        "compare",
        help="similarity of two layers' activations stored in .npy/.npz/.pt files",
        description=(
            "Print the similarity of two layers' activations (and, on request, a permutation null "
            "and a bootstrap interval). Files: .npy (one array), .npz (one or several arrays: pick "
            "with --key), .pt/.pth (a tensor or a dict of tensors). Nothing is unpickled."
        ),
    )
    p.add_argument("a", metavar="A", help="first activation file")
    p.add_argument("b", metavar="B", help="second activation file")
    p.add_argument(
        "--measure",
        choices=MEASURES,
        default="pwcca",
        help="similarity measure (default: pwcca): "
        + "; ".join(f"{m}: {entry(m).summary}" for m in MEASURES),
    )
    # the name the first command line had (``--method pwcca``): scripts written for it still run
    p.add_argument(
        "--method", dest="measure", choices=MEASURES, default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    p.add_argument("--key", help="array name in both files (.npz, or .pt holding a dict)")
    p.add_argument("--key-a", help="array name in A (overrides --key)")
    p.add_argument("--key-b", help="array name in B (overrides --key)")
    p.add_argument(
        "--layout",
        choices=("samples-first", "neurons-first"),
        default="samples-first",
        help="samples-first: (n_samples, n_features), the default; neurons-first: the original "
        "SVCCA code's (n_neurons, n_datapoints), transposed on reading",
    )
    p.add_argument("--flatten", action="store_true", help="reshape (n, h, w, c) arrays to (n, h*w*c)")
    directions = p.add_mutually_exclusive_group()  # a usage error (exit 2) before any file is read
    directions.add_argument(
        "--keep", type=_parse_keep, help="svcca only: variance fraction in (0, 1] (default 0.99)"
    )
    directions.add_argument(
        "--n-components",
        type=_positive_int,
        metavar="K",
        help="svcca only: K directions per side (not --keep)",
    )
    p.add_argument("--side", choices=SIDES, help="pwcca only: whose projections weight (default: x)")
    p.add_argument("--debiased", action="store_true", help="cka, rbf_cka: the unbiased HSIC estimator")
    p.add_argument(
        "--bandwidth",
        type=_positive_float,
        help="rbf_cka only: sigma as a fraction of the median distance between samples (default 1.0)",
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="B",
        help="minibatch_cka only: samples per batch, at least 4 (default 256); ceil(n / B) batches of "
        "near-equal sizes, or n // 4 batches of 4 to 7 samples when B < 8",
    )
    p.add_argument(
        "--null",
        type=_resample_count,
        metavar="N",
        help=f"permutation null with N shuffles (1 to {MAX_RESAMPLES})",
    )
    p.add_argument(
        "--ci",
        type=_resample_count,
        metavar="N",
        help=f"bootstrap interval with N resamples (1 to {MAX_RESAMPLES})",
    )
    # None: not given, so that one given without --ci or --null is said, not ignored
    p.add_argument("--confidence", type=_confidence, default=None, help="interval coverage (default: 0.95)")
    p.add_argument(
        "--ci-method",
        choices=("basic", "percentile", "bca"),
        default=None,
        help="interval method (default: basic, which corrects the upward bias resampling gives CCA)",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="non-negative seed for the null and the interval (default: 0)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=_run_compare)


def _measure_for(args: argparse.Namespace) -> Any:
    """Return the :class:`svcca.Measure` the flags name.

    That is ``--measure`` with its option flags (a flag of another measure is refused,
    naming the measures it applies to).
    """
    from ._measures import Measure, entry

    e = entry(args.measure)
    given = {opt: getattr(args, opt) for opt in _MEASURE_FLAGS if getattr(args, opt) not in (None, False)}
    for opt in given:
        if opt not in e.options:
            from ._measures import MEASURES

            takes = [m for m in MEASURES if opt in entry(m).options]
            raise CLIError(
                f"{_MEASURE_FLAGS[opt]} applies to --measure {' or '.join(takes)} only; "
                f"got --measure {args.measure}"
            )
    return Measure(args.measure, **given)


def _compare(args: argparse.Namespace, measure: Any, X: Any, Y: Any, out: dict[str, Any]) -> None:
    """Fill ``out`` with the measure, its sample-size verdict and the asked-for statistics."""
    from . import stats

    result = measure(X, Y, warn=True)
    out.update(
        {
            "measure": measure.name,
            "options": measure.options,
            "similarity": float(result.similarity),
            "summaries": {k: float(v) for k, v in result.summaries().items() if k != "similarity"},
        }
    )
    if hasattr(result, "x_rank"):
        diag = stats.sample_size_diagnostic(X.shape[0], max(result.x_rank, 1), max(result.y_rank, 1))
        out["sample_size"] = {
            "regime": diag.regime,
            "forced_ones": diag.forced_ones,
            "samples_per_feature": diag.samples_per_feature,
            "null_mean_rho2": diag.null_mean_rho2,
            "verdict": diag.verdict,
        }
    shown = sys.stderr.isatty()  # a progress bar where someone watches, never in a pipe or a log
    if args.null is not None:
        perm = stats.permutation_test(X, Y, measure, n_resamples=args.null, rng=args.seed, progress=shown)
        out["permutation_null"] = {
            "n_resamples": perm.n_resamples,
            "seed": args.seed,
            "mean": perm.null_mean,
            "std": perm.null_std,
            "quantile_95": perm.null_quantile(0.95),
            "p_value": perm.p_value,
        }
    if args.ci is not None:
        if measure.unbiased:  # stats says so in the API's words: here in the flags'
            flags = measure.name + (" --debiased" if measure.options.get("debiased") else "")
            raise CLIError(
                f"--ci cannot resample {flags}: its "
                "unbiased HSIC counts every row as a distinct sample, and a resample repeats rows, so "
                "every resample is biased upwards and the interval would be wrong; use --measure cka "
                "without --debiased (the basic interval corrects its resampling bias), or --null N for "
                "significance"
            )
        try:
            ci = stats.bootstrap_ci(
                X, Y, measure, n_resamples=args.ci, confidence=args.confidence, method=args.ci_method,
                rng=args.seed, progress=shown,
            )  # fmt: skip
        except stats.BCaUnresolvedError as exc:  # what to do, in the flags' words
            more = f", or --ci {exc.needed} or more" if exc.needed and exc.needed <= MAX_RESAMPLES else ""
            raise CLIError(
                f"--ci-method bca cannot place this interval: {exc.why}; use --ci-method basic or "
                f"percentile{more}"
            ) from None
        out["bootstrap"] = {
            "n_resamples": ci.n_resamples,
            "seed": args.seed,
            "confidence": ci.confidence,
            "method": ci.method,
            "low": ci.low,
            "high": ci.high,
            "standard_error": ci.standard_error,
            "bias": ci.bias,
            "note": ci.note,
            "n_degenerate": ci.n_degenerate,
        }


def _run_compare(args: argparse.Namespace) -> int:
    interval = [
        f for f, v in (("--confidence", args.confidence), ("--ci-method", args.ci_method)) if v is not None
    ]
    if interval and args.ci is None:
        verb = "shapes" if len(interval) == 1 else "shape"
        raise CLIError(f"{' and '.join(interval)} {verb} the bootstrap interval, which --ci N asks for")
    if args.seed is not None and args.ci is None and args.null is None:
        raise CLIError("--seed seeds the permutation null (--null N) and the bootstrap interval (--ci N)")
    args.confidence = 0.95 if args.confidence is None else args.confidence
    args.ci_method = "basic" if args.ci_method is None else args.ci_method
    args.seed = 0 if args.seed is None else args.seed
    key_a = args.key_a if args.key_a is not None else args.key
    key_b = args.key_b if args.key_b is not None else args.key
    A = load_activations(args.a, key_a, layout=args.layout, flatten=args.flatten)
    B = load_activations(args.b, key_b, layout=args.layout, flatten=args.flatten)
    if A.array.shape[0] != B.array.shape[0]:
        # the shapes as stored in the files (neurons-first arrays were transposed on reading)
        sa, sb = (
            tuple(L.array.shape[::-1] if args.layout == "neurons-first" else L.array.shape) for L in (A, B)
        )
        raise CLIError(
            f"A and B must have the same number of samples; got {A.label} with shape {sa} and "
            f"{B.label} with shape {sb} (layout {args.layout}: {A.array.shape[0]} and {B.array.shape[0]} "
            "samples; "
            + (
                "use --layout neurons-first for files stored as (n_neurons, n_datapoints))"
                if args.layout == "samples-first"
                else "use --layout samples-first for files stored as (n_samples, n_features))"
            )
        )
    measure = _measure_for(args)
    X, Y = A.values(), B.values()
    # every warning of the run (sample size, degenerate resamples, ...) is said once, in the
    # tool's own words and in --json's "warnings", never in Python's source-line format
    out: dict[str, Any] = {
        "a": {"path": A.path, "key": A.key, "shape": list(X.shape)},
        "b": {"path": B.path, "key": B.key, "shape": list(Y.shape)},
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)  # svcca's own; others keep their filters
        try:
            _compare(args, measure, X, Y, out)
        except (ValueError, TypeError) as exc:  # the library calls the layers X and Y
            if isinstance(exc, CLIError) or not re.search(r"\b[XY]\b", str(exc)):
                raise
            raise CLIError(f"{exc} (X is A, {A.label}; Y is B, {B.label})") from None
    said = list(dict.fromkeys(str(w.message) for w in caught))
    for message in said:
        print(f"svcca compare: warning: {message}", file=sys.stderr)
    if args.json:
        out["warnings"] = said
        print(json.dumps(out, indent=2))
    else:
        print(_format_compare(out))
    return 0


def _format_compare(out: dict[str, Any]) -> str:
    from .stats import p_value_text

    lines = []
    for side in ("a", "b"):
        d = out[side]
        where = f"{d['path']}[{d['key']}]" if d["key"] is not None else d["path"]
        lines.append(f"{side.upper()}: {where}  ({d['shape'][0]} samples x {d['shape'][1]} features)")
    opts = ", ".join(f"{k}={v}" for k, v in out["options"].items())
    lines.append(f"measure: {out['measure']}" + (f" ({opts})" if opts else ""))
    lines.append(f"{'similarity':<24}{out['similarity']:.6f}")
    for k, v in out["summaries"].items():
        lines.append(f"{k:<24}{v:.6g}" if k != "n_components" else f"{k:<24}{int(v)}")
    if "sample_size" in out:
        lines.append(f"sample size: {out['sample_size']['verdict']}")
    if "permutation_null" in out:
        d = out["permutation_null"]
        lines.append(
            f"permutation null ({d['n_resamples']} shuffle{'s' if d['n_resamples'] != 1 else ''}, "
            f"seed {d['seed']}): mean {d['mean']:.6f}, "
            f"95th percentile {d['quantile_95']:.6f}, p = {p_value_text(d['p_value'])}"
        )
    if "bootstrap" in out:
        d = out["bootstrap"]
        lines.append(
            f"bootstrap {100 * d['confidence']:g}% interval ({d['n_resamples']} resamples, {d['method']}, "
            f"seed {d['seed']}): [{d['low']:.6f}, {d['high']:.6f}], bootstrap bias {d['bias']:+.3g} "
            f"(mean of the resamples minus the similarity)"
            + (f"; {d['n_degenerate']} degenerate resamples left out" if d.get("n_degenerate") else "")
        )
        if d["note"]:
            lines.append(f"  note: {d['note']}")
    return "\n".join(lines)


# --- svcca figures ---------------------------------------------------------------------


def _add_figures(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "figures",
        help="regenerate the book's figures (introduction and chapters 1-9) for a manuscript",
        description=(
            "Regenerate figures of the book's introduction and chapters 1-9 from the cached experiment "
            "results (running an experiment first, with progress bars, when no cached result exists), in "
            "the paper style. "
            "NAME is a figure name (see --list), a chapter number such as 5 (0: the introduction), or 'all'."
        ),
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="figure names, chapter numbers, or 'all'")
    p.add_argument("--list", action="store_true", help="list the figures and exit")
    p.add_argument("--out", default="figures", help="output folder (default: ./figures)")
    p.add_argument("--format", default="pdf", choices=("pdf", "svg", "png"), help="file format (default pdf)")
    p.add_argument(
        "--scale",
        choices=("tiny", "default", "full"),
        default=None,
        help="experiment scale (default: $SVCCA_SCALE or 'default': digits on a CPU; "
        "'full': the papers' data on a GPU)",
    )
    p.add_argument(
        "--cache-dir",
        default=None,
        help="experiment cache (default: $SVCCA_CACHE_DIR or ~/.cache/svcca/experiments; "
        "the book's build uses book/_build/experiment-cache)",
    )
    p.set_defaults(func=_run_figures)


def _run_figures(args: argparse.Namespace) -> int:
    from . import figures

    specs = figures.specs()
    if args.list:
        width = max(len(s.name) for s in specs)
        for s in specs:
            print(f"{s.name:<{width}}  ch{s.chapter}  {s.caption}")
        return 0
    if not args.names:
        raise CLIError("name at least one figure, a chapter number or 'all' (see svcca figures --list)")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} exists and is not a folder; name a folder (it is created if missing)")
    wanted: list[str] = []
    for name in args.names:
        if name == "all":
            wanted.extend(s.name for s in specs)
        elif name.isdigit():
            found = [s.name for s in specs if s.chapter == int(name)]
            if not found:
                raise CLIError(
                    f"no figures for chapter {name}; chapters with figures: "
                    f"{sorted({s.chapter for s in specs})}"
                )
            wanted.extend(found)
        else:
            wanted.append(name)
    wanted = list(dict.fromkeys(wanted))
    for path in figures.save_figures(
        wanted, args.out, fmt=args.format, scale=args.scale, cache_dir=args.cache_dir, progress=True
    ):
        print(path)
    return 0


def _add_claims(subparsers: Any) -> None:
    from .experiments import matrix as robustness_matrix

    p = subparsers.add_parser(
        "claims",
        help="check the book's claims under seed and CPU-kernel variants",
        description=robustness_matrix.DESCRIPTION,
    )
    robustness_matrix.add_arguments(p)
    p.set_defaults(func=robustness_matrix.run_from_args)


# --- the parser -------------------------------------------------------------------------

# Subcommands, in the order `svcca --help` lists them. To add one (e.g. ``figures``), write
# ``_add_<name>(subparsers)`` that calls ``subparsers.add_parser(...)`` and sets
# ``func=<function (args) -> exit status>`` with ``set_defaults``, then append it here.
SUBCOMMANDS: list[Callable[[Any], None]] = [
    _add_compare,
    _add_figures,
    _add_claims,
]


def build_parser() -> argparse.ArgumentParser:
    """Return the ``svcca`` argument parser with every subcommand of :data:`SUBCOMMANDS`."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="svcca", description="Compare neural-network representations (CCA, SVCCA, PWCCA, CKA)."
    )
    parser.add_argument("--version", action="version", version=f"svcca {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``svcca`` command line; returns the exit status (0 on success).

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        0 on success, 1 for a data or file error (one line on stderr, no traceback: a
        missing or malformed file, a full disk, memory exhausted), 2 for a usage error,
        130 when interrupted (Ctrl-C), 141 when the reader of the output went away.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    func = getattr(args, "func", None)
    if func is None:
        parser.print_usage(sys.stderr)
        print("svcca: error: choose a command (see svcca --help)", file=sys.stderr)
        return 2
    from ._frontdoor import run_reporting_errors

    return run_reporting_errors(
        f"svcca {args.command}", lambda: func(args), user_errors=(CLIError, ValueError, TypeError)
    )
