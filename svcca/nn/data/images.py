"""Image datasets: the embedded 8x8 digits, shifted copies and probe sets, random labels.

Images are float32 tensors of shape ``(channels, height, width)`` (batches ``(n, C, H, W)``),
normalised; targets are int64 class indices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, TensorDataset

from ..utils import as_tensors


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

    Examples
    --------
    >>> from svcca.nn.data import load_digits
    >>> digits = load_digits()
    >>> digits.name, digits.n_classes, digits.input_shape
    ('digits', 10, (1, 8, 8))
    >>> image, label = digits.train[0]
    >>> tuple(image.shape), image.dtype
    ((1, 8, 8), torch.float32)
    >>> round(digits.background, 4)  # a blank pixel, normalised
    -0.8118
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
        """Return the ``split`` images under every shift of up to ``max_shift`` pixels.

        See :func:`probe_set`.
        """
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
        """Return the number of images."""
        return len(self.images)

    def _convert(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.uint8:
            return (x.float() / 255.0 - self._mean) / self._std
        return x

    def get_batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the items at ``index`` (a 1-D int64 tensor), batched."""
        return self._convert(self.images[index]), self.targets[index]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Return image ``i``, converted, and its target."""
        return self._convert(self.images[i][None])[0], self.targets[i]


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
    """Return a larger evaluation set: every image under every shift of up to ``max_shift`` pixels.

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
        x, y = as_tensors(dataset)
    if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be an int >= 0; got {max_shift!r}")
    xs, ys, shifts = [], [], []
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            xs.append(shift_images(x, dy, dx, mode=mode, fill=fill))
            ys.append(y)
            shifts.append(torch.tensor([[dy, dx]]).expand(len(x), 2))
    return TensorDataset(torch.cat(xs), torch.cat(ys), torch.cat(shifts))


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
        """Return the constructor call that rebuilds this transform."""
        return f"RandomShift(max_shift={self.max_shift}, mode={self.mode!r}, fill={self.fill!r})"

    def __call__(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Shift each image of a batch by its own random offset.

        Parameters
        ----------
        images : torch.Tensor of shape (n, c, h, w)
            The batch.
        generator : torch.Generator, optional
            The source of the offsets (torch's global one when None).

        Returns
        -------
        torch.Tensor of shape (n, c, h, w)
            The shifted images (``images`` itself when ``max_shift`` is 0).
        """
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
    """Return the targets of a map-style dataset as one int64 tensor (fast for the common types).

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
    """Return the same inputs with a fixed, seeded permutation of their labels (memorization).

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
