"""CIFAR-10 from the data folder, read without unpickling arbitrary objects."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._folder import DATA_ENV, _md5, data_dir
from .images import ImageData, ImageTensorDataset

#: CIFAR-10's python-version files and their md5 sums (as published with the dataset, and in
#: torchvision's ``CIFAR10`` class).
_CIFAR10_FOLDER = "cifar-10-batches-py"
_CIFAR10_MD5: dict[str, str] = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}


class _Dtype:
    """A numpy dtype named inside a pickle (plain numeric types only)."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype


class _PendingArray:
    """``numpy.core.multiarray._reconstruct(ndarray, ...)``: the array arrives with BUILD."""

    array: np.ndarray | None = None


_NUMERIC_DTYPE = re.compile(r"^[<>|=]?[biuf][1248]$|^b1$|^\?$")
_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): "reconstruct",
    ("numpy._core.multiarray", "_reconstruct"): "reconstruct",
    ("numpy.core.multiarray", "scalar"): "scalar",
    ("numpy._core.multiarray", "scalar"): "scalar",
    ("numpy.core.numeric", "_frombuffer"): "frombuffer",
    ("numpy._core.numeric", "_frombuffer"): "frombuffer",
    ("numpy", "ndarray"): "ndarray",
    ("numpy", "dtype"): "dtype",
    ("_codecs", "encode"): "encode",  # how protocols 0-2 write Python 3 bytes
    ("__builtin__", "bytes"): "bytes",  # ... and empty ones (an empty array's data), as bytes()
    ("builtins", "bytes"): "bytes",
}


def _array_from_bytes(raw: Any, dtype: Any, shape: Any, fortran: bool, where: str) -> np.ndarray:
    if isinstance(raw, str):  # a Python 2 str, read as latin-1
        raw = raw.encode("latin-1")
    if not isinstance(raw, (bytes, bytearray)) or not isinstance(dtype, _Dtype):
        raise ValueError(f"{where}: malformed array in the pickle")
    if not (isinstance(shape, tuple) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise ValueError(f"{where}: malformed array shape {shape!r} in the pickle")
    if math.prod(shape) * dtype.dtype.itemsize != len(raw):
        raise ValueError(
            f"{where}: array of shape {shape} and dtype {dtype.dtype} does not match its {len(raw)} bytes"
        )
    return np.frombuffer(bytes(raw), dtype=dtype.dtype).reshape(shape, order="F" if fortran else "C").copy()


def _read_plain_pickle(path: Path) -> Any:
    """Read a pickle of plain data WITHOUT unpickling.

    Plain data are dicts, lists, tuples, str, bytes, numbers and numeric numpy arrays: the
    opcodes are interpreted here, and no callable named in the file is ever called. Anything
    else (a class, a function, an object dtype) is refused.
    """
    import io
    import pickletools

    where = str(path)
    data = path.read_bytes()  # a declared length past the end then fails; nothing is preallocated
    stack: list[Any] = []
    marks: list[int] = []
    memo: dict[int, Any] = {}

    def pop_mark() -> list[Any]:
        if not marks:
            raise ValueError(f"{where}: malformed pickle (no MARK)")
        at = marks.pop()
        items = stack[at:]
        del stack[at:]
        return items

    def as_str(x: Any) -> str:
        return x.decode("latin-1") if isinstance(x, (bytes, bytearray)) else x

    try:
        ops = pickletools.genops(io.BytesIO(data))
        arg: Any  # None or the opcode's argument, whose type the opcode fixes (int, str, bytes, ...)
        for op, arg, _ in ops:
            name = op.name
            if name in ("PROTO", "FRAME"):
                continue
            if name == "STOP":
                break
            if name == "MARK":
                marks.append(len(stack))
            elif name == "POP":
                stack.pop()
            elif name == "POP_MARK":
                pop_mark()
            elif name in ("EMPTY_DICT",):
                stack.append({})
            elif name == "DICT":
                items = pop_mark()
                stack.append(dict(zip(items[::2], items[1::2])))
            elif name in ("EMPTY_LIST",):
                stack.append([])
            elif name == "LIST":
                stack.append(pop_mark())
            elif name == "EMPTY_TUPLE":
                stack.append(())
            elif name == "TUPLE":
                stack.append(tuple(pop_mark()))
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                items = stack[-n:]
                del stack[-n:]
                stack.append(tuple(items))
            elif name == "SETITEM":
                value, key = stack.pop(), stack.pop()
                stack[-1][key] = value
            elif name == "SETITEMS":
                items = pop_mark()
                target = stack[-1]
                if not isinstance(target, dict):
                    raise ValueError(f"{where}: malformed pickle (SETITEMS on a {type(target).__name__})")
                target.update(zip(items[::2], items[1::2]))
            elif name == "APPEND":
                value = stack.pop()
                stack[-1].append(value)
            elif name == "APPENDS":
                items = pop_mark()
                target = stack[-1]
                if not isinstance(target, list):
                    raise ValueError(f"{where}: malformed pickle (APPENDS on a {type(target).__name__})")
                target.extend(items)
            elif name == "NONE":
                stack.append(None)
            elif name in ("NEWTRUE", "NEWFALSE"):
                stack.append(name == "NEWTRUE")
            elif name in (
                "INT",
                "BININT",
                "BININT1",
                "BININT2",
                "LONG",
                "LONG1",
                "LONG4",
                "BINFLOAT",
                "FLOAT",
            ):
                stack.append(arg)
            elif name in ("STRING", "BINSTRING", "SHORT_BINSTRING"):
                stack.append(arg.encode("latin-1") if isinstance(arg, str) else bytes(arg))
            elif name in ("UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"):
                stack.append(str(arg))
            elif name in ("BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"):
                stack.append(bytes(arg))
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(arg)] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo[int(arg)])
            elif name in ("GLOBAL", "STACK_GLOBAL"):
                if name == "GLOBAL":
                    module, _, attr = str(arg).partition(" ")
                else:
                    attr, module = as_str(stack.pop()), as_str(stack.pop())
                token = _PICKLE_GLOBALS.get((module, attr))
                if token is None:
                    raise ValueError(
                        f"{where} names {module}.{attr}; a CIFAR-10 file holds only plain data and numeric "
                        "numpy arrays, and svcca never unpickles anything else"
                    )
                stack.append(("global", token))
            elif name == "REDUCE":
                args, func = stack.pop(), stack.pop()
                stack.append(_reduce(func, args, where))
            elif name == "BUILD":
                state, target = stack.pop(), stack[-1]
                _build(target, state, where)
            else:
                raise ValueError(f"{where}: pickle opcode {name} is not allowed in a data file")
        else:
            raise ValueError(f"{where}: truncated pickle (no STOP)")
        if len(stack) != 1:
            raise ValueError(f"{where}: malformed pickle ({len(stack)} objects left on the stack)")
        return _resolve(stack[0], where)
    except ValueError as exc:
        if str(exc).startswith(where):  # ours
            raise
        raise ValueError(f"{where}: malformed or truncated pickle ({exc})") from None
    except (IndexError, KeyError, TypeError, AttributeError, EOFError, RecursionError) as exc:
        raise ValueError(f"{where}: malformed or truncated pickle ({type(exc).__name__}: {exc})") from None


def _reduce(func: Any, args: Any, where: str) -> Any:
    if not (isinstance(func, tuple) and len(func) == 2 and func[0] == "global") or not isinstance(
        args, tuple
    ):
        raise ValueError(f"{where}: malformed pickle (REDUCE of {type(func).__name__})")
    kind = func[1]
    if kind == "dtype" and args and isinstance(args[0], (str, bytes)):
        code = args[0].decode("latin-1") if isinstance(args[0], bytes) else args[0]
        if not _NUMERIC_DTYPE.match(code):
            raise ValueError(f"{where}: numpy dtype {code!r} is not a plain numeric type")
        return _Dtype(np.dtype(code))
    if kind == "encode" and len(args) == 2 and isinstance(args[0], str) and args[1] in ("latin1", "latin-1"):
        return args[0].encode("latin-1")
    if kind == "bytes" and args == ():
        return b""
    if kind == "reconstruct" and args[:1] == (("global", "ndarray"),):
        return _PendingArray()
    if kind == "frombuffer" and len(args) == 4:
        raw, dtype, shape, order = args
        return _array_from_bytes(raw, dtype, shape, order == "F", where)
    if kind == "scalar" and len(args) == 2 and isinstance(args[0], _Dtype):
        return _array_from_bytes(args[1], args[0], (), False, where)[()]
    raise ValueError(f"{where}: malformed pickle (a call to {kind} with unexpected arguments)")


def _build(target: Any, state: Any, where: str) -> None:
    if isinstance(target, _Dtype) and isinstance(state, tuple) and len(state) >= 2:
        order = state[1].decode("latin-1") if isinstance(state[1], bytes) else state[1]
        if any(x is not None for x in state[2:5]) or order not in ("<", ">", "|", "="):
            raise ValueError(f"{where}: numpy dtype with fields or subarrays is not allowed")
        if order in "<>" and target.dtype.itemsize > 1:
            target.dtype = target.dtype.newbyteorder("<" if order == "<" else ">")
        return
    if isinstance(target, _PendingArray) and isinstance(state, tuple) and len(state) == 5:
        _, shape, dtype, fortran, raw = state
        target.array = _array_from_bytes(raw, dtype, shape, bool(fortran), where)
        return
    raise ValueError(f"{where}: malformed pickle (BUILD of {type(target).__name__})")


def _resolve(obj: Any, where: str) -> Any:
    if isinstance(obj, _PendingArray):
        if obj.array is None:
            raise ValueError(f"{where}: malformed pickle (an array without data)")
        return obj.array
    if isinstance(obj, dict):
        return {_resolve(k, where): _resolve(v, where) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_resolve(v, where) for v in obj]
    if isinstance(obj, tuple):
        if len(obj) == 2 and obj[0] == "global":
            raise ValueError(f"{where}: malformed pickle (a bare {obj[1]})")
        return tuple(_resolve(v, where) for v in obj)
    if isinstance(obj, _Dtype):
        raise ValueError(f"{where}: malformed pickle (a bare dtype)")
    return obj


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 batch: images ``(n, 3, 32, 32)`` uint8 and labels ``(n,)`` int64."""
    batch = _read_plain_pickle(path)
    if not isinstance(batch, dict):
        raise ValueError(
            f"{path} holds a {type(batch).__name__}; expected CIFAR-10's dict with data and labels"
        )
    batch = {k.decode("latin-1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    rows, labels = batch.get("data"), batch.get("labels")
    if not isinstance(rows, np.ndarray) or rows.dtype != np.uint8 or rows.ndim != 2 or rows.shape[1] != 3072:
        got = (
            f"shape {rows.shape} and dtype {rows.dtype}"
            if isinstance(rows, np.ndarray)
            else type(rows).__name__
        )
        raise ValueError(f"{path}: 'data' must be uint8 rows of shape (n, 3072); got {got}")
    if not isinstance(labels, list) or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in labels
    ):
        raise ValueError(f"{path}: 'labels' must be a list of integers")
    y = np.asarray(labels, dtype=np.int64)
    if len(y) != len(rows) or (len(y) and (y.min() < 0 or y.max() > 9)):
        raise ValueError(
            f"{path}: expected {len(rows)} labels in 0..9; got {len(y)} in [{y.min()}, {y.max()}]"
        )
    return rows.reshape(-1, 3, 32, 32), y


def _read_cifar_classes(path: Path) -> tuple[str, ...]:
    meta = _read_plain_pickle(path)
    names = meta.get("label_names", meta.get(b"label_names")) if isinstance(meta, dict) else None
    if not isinstance(names, list) or len(names) != 10 or not all(isinstance(n, (str, bytes)) for n in names):
        raise ValueError(f"{path}: expected 'label_names', a list of 10 class names")
    return tuple(n.decode("latin-1") if isinstance(n, bytes) else n for n in names)


def cifar10_folder(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder CIFAR-10's batches are read from: ``data_dir(root) / "cifar-10-batches-py"``.

    Examples
    --------
    >>> from svcca.nn.data.cifar import cifar10_folder
    >>> cifar10_folder("data").as_posix()
    'data/cifar-10-batches-py'
    """
    return data_dir(root) / _CIFAR10_FOLDER


def load_cifar10(root: str | os.PathLike[str] | None = None, *, verify: bool = True) -> ImageData:
    """CIFAR-10 from the data folder (never downloads), read without unpickling anything.

    Parameters
    ----------
    root : path, optional
        The folder holding ``cifar-10-batches-py/``; default :func:`data_dir`.
    verify : bool, default=True
        Check the published md5 of every file. ``False`` only checks they exist (for
        stand-ins written in CIFAR-10's on-disk format, e.g. in tests).

    Returns
    -------
    ImageData
        50000 train / 10000 test images ``(3, 32, 32)``, normalised per channel with the
        training mean and sd, held as ``uint8`` in :class:`ImageTensorDataset`.

    Raises
    ------
    FileNotFoundError
        When the data is absent or incomplete; run ``python data_scripts/download_cifar10.py``.
    ValueError
        When a file is not what CIFAR-10's python version holds (a dict of uint8 rows and
        integer labels), e.g. a file that names a Python class or function.

    Notes
    -----
    The batches are pickles. They are never unpickled: their opcodes are interpreted by a
    reader that builds only plain data and numeric numpy arrays and calls nothing the file
    names, so a crafted file cannot run code whether or not ``verify`` is set.

    Examples
    --------
    >>> from svcca.nn.data import load_cifar10
    >>> try:
    ...     data = load_cifar10("a-folder-without-cifar")  # a loader never downloads
    ... except FileNotFoundError as exc:
    ...     print(str(exc)[:19])
    CIFAR-10 not found:
    """
    root = data_dir(root)
    folder = cifar10_folder(root)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"CIFAR-10 not found: expected {folder}/. Download it (about 170 MB, checksummed) with "
            f"`python data_scripts/download_cifar10.py --data-dir {root}` on a machine with internet, "
            f"or set {DATA_ENV} to the folder that holds cifar-10-batches-py/."
        )
    for name, md5 in _CIFAR10_MD5.items():
        path = folder / name
        problem = (
            "is missing"
            if not path.is_file()
            else "fails its md5 check"
            if verify and _md5(path) != md5
            else None
        )
        if problem is not None:
            raise FileNotFoundError(
                f"CIFAR-10 in {folder} is incomplete or corrupted ({name} {problem}). Re-run "
                f"`python data_scripts/download_cifar10.py --data-dir {root}`."
            )
    train = [_read_cifar_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_train = torch.from_numpy(np.concatenate([x for x, _ in train]))
    y_train = torch.from_numpy(np.concatenate([y for _, y in train]))
    del train
    x_test, y_test = (torch.from_numpy(a) for a in _read_cifar_batch(folder / "test_batch"))
    classes = _read_cifar_classes(folder / "batches.meta")
    if len(x_train) < 2 or len(x_test) == 0:  # a stand-in folder; the real one has 50000 and 10000
        raise ValueError(
            f"CIFAR-10 in {folder} holds {len(x_train)} training and {len(x_test)} test images; the "
            f"per-channel normalisation needs at least 2 and 1. Re-run "
            f"`python data_scripts/download_cifar10.py --data-dir {root}`."
        )
    pixels = x_train.double() / 255.0
    mean = tuple(float(m) for m in pixels.mean(dim=(0, 2, 3)))
    std = tuple(float(s) for s in pixels.std(dim=(0, 2, 3)))
    del pixels
    if not min(std) > 0:  # every image would be NaN after normalising
        raise ValueError(
            f"CIFAR-10 in {folder}: a colour channel is constant over all {len(x_train)} training images "
            f"(per-channel std {std}), so normalising would divide by 0; these are not CIFAR-10's images. "
            f"Re-run `python data_scripts/download_cifar10.py --data-dir {root}`."
        )
    return ImageData(
        name="cifar10",
        train=ImageTensorDataset(x_train, y_train, mean, std),
        test=ImageTensorDataset(x_test, y_test, mean, std),
        classes=classes,
        input_shape=(3, 32, 32),
        mean=mean,
        std=std,
        background=None,
        info={
            "source": "cifar-10-batches-py (read without unpickling)",
            "root": str(root),
            "verified": verify,
            "n_train": len(y_train),
            "n_test": len(y_test),
        },
    )
