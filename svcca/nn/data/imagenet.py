"""The ImageNet subset of the SVCCA paper's class-sensitivity experiment.

It is prepared from an ImageNet download and read back.
"""

from __future__ import annotations

import csv
import functools
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from torch.utils.data import Dataset

from ..._io import atomic_write
from ._folder import data_dir

#: Per-channel mean and standard deviation of the ImageNet training images (RGB, in [0, 1]),
#: the normalisation torchvision's pretrained ResNets expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


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
    """Read ImageNet validation images of a few classes, ImageFolder-style, ImageNet-normalised.

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

    Examples
    --------
    A stand-in folder with one black image of the fire-engine class:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from PIL import Image
    >>> from svcca.nn.data import load_imagenet_subset
    >>> with tempfile.TemporaryDirectory() as root:
    ...     folder = Path(root, "n03345487")
    ...     folder.mkdir()
    ...     Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(folder / "a.JPEG")
    ...     ds = load_imagenet_subset(root, classes=["n03345487"], image_size=4, resize=4)
    ...     image, label = ds[0]
    >>> len(ds), tuple(image.shape), label, ds.imagenet_indices
    (1, (3, 4, 4), 0, (555,))
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
                    atomic_write(target, functools.partial(shutil.copyfileobj, src))
        counts[w] = len(paths)
    return counts
