"""The ImageNet subset of the SVCCA paper's class-sensitivity experiment.

It is prepared from an ImageNet download and read back. :func:`prepare_imagenet_subset`
checks that every image opens before it copies anything, and writes the marker
``.svcca-imagenet-subset.json`` into the subset's folder twice: first saying "in progress"
(when there is anything to place), last (atomically) saying "complete" with the file names of
every class, and only after checking that the folder holds exactly those. :func:`load_imagenet_subset`
refuses a folder whose marker is not "complete" or disagrees with the files on disk, so an
interrupted preparation is never read as a smaller data set.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
import shlex
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from torch.utils.data import Dataset

from ..._io import atomic_write, remove_stale_temps
from ._folder import data_dir


@functools.cache
def _image_extensions() -> tuple[str, ...]:
    """File name extensions of the images a subset holds, in any case.

    Those torchvision's ``ImageFolder`` reads, from its own list, so that preparing and
    loading agree. Other files (``.DS_Store``, ``Thumbs.db``, notes) and hidden files are
    neither copied nor counted. Imported here, not at the top: ``import torchvision`` costs
    about 2 s, which every process that imports :mod:`svcca.nn` would otherwise pay.
    """
    from torchvision.datasets.folder import IMG_EXTENSIONS

    return tuple(IMG_EXTENSIONS)


#: The marker :func:`prepare_imagenet_subset` leaves in the subset's folder (JSON).
_SUBSET_MANIFEST = ".svcca-imagenet-subset.json"

_WNID = re.compile(r"^n\d{8}$")
_PREPARE = "python data_scripts/prepare_imagenet_subset.py"

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
    if isinstance(classes, (str, ImageNetClass)):  # one class: "n03345487" was split into characters
        classes = [classes]
    for c in classes:
        if isinstance(c, ImageNetClass):
            out.append(c)
        elif isinstance(c, str):
            out.append(known.get(c, ImageNetClass(c, c, -1)))
        else:
            raise TypeError(f"classes must hold WordNet ids (str) or ImageNetClass; got {c!r}")
    if not out:
        raise ValueError("classes must not be empty")
    repeated = sorted({c.wnid for c in out if sum(d.wnid == c.wnid for d in out) > 1})
    if repeated:
        # a class's label is its position; a repeated one would give every image of it the
        # last position's label, and leave the first without images
        raise ValueError(f"classes must not repeat a WordNet id; got {', '.join(repeated)} more than once")
    return tuple(out)


def _is_image_name(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(_image_extensions())


def _image_files(folder: Path) -> list[Path]:
    """Return the image files of a folder (by extension, hidden files left out), sorted by name."""
    return sorted(p for p in folder.iterdir() if _is_image_name(p.name) and p.is_file())


def _files_read(folder: Path) -> set[str]:
    """Return what the loader reads from a class folder: image names, nested ones as relative paths.

    ``ImageFolder`` walks the class folder recursively (following symlinks), so an image in
    a subfolder is read as one of the class's.
    """
    return {
        Path(dirpath, name).relative_to(folder).as_posix()
        for dirpath, _, names in os.walk(folder, followlinks=True)
        for name in names
        if _is_image_name(name)
    }


def _disagreement(folder: Path, listed: set[str]) -> tuple[list[str], list[str]]:
    """Compare a class folder with the image names a marker lists for it.

    Returns
    -------
    missing, extra : list of str
        Listed names that are not a readable file there (absent, or a dangling symlink), and
        images the loader would read there that are not listed (nested ones as relative paths).
    """
    missing = sorted(n for n in listed if not (folder / n).is_file())  # is_file follows symlinks
    extra = sorted(_files_read(folder) - listed) if folder.is_dir() else []
    return missing, extra


def _few(items: list[str], k: int = 5) -> str:
    shown = ", ".join(items[:k])
    return shown + (f" and {len(items) - k} more" if len(items) > k else "")


def _read_rgb(path: str) -> Any:
    """Open an image as RGB; 16-bit greyscale is scaled to 8 bits (PIL's ``convert`` would saturate it)."""
    import numpy as np
    from PIL import Image

    with open(path, "rb") as fh:
        img = Image.open(fh)
        if img.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
            # 0..65535 onto 0..255: v / 257 maps 257 * k exactly onto k
            values = np.clip(np.asarray(img, dtype=np.float64), 0, 65535) / 257.0
            return Image.fromarray(np.rint(values).astype(np.uint8), "L").convert("RGB")
        return img.convert("RGB")


def _rerun_command(manifest: dict[str, Any], root: Path, wnid: str | None = None) -> str:
    """Return the prepare command the marker records; with ``wnid``, one that prepares that class.

    A class kept from an earlier preparation (one the last command did not name) is named
    with ``--classes``, so that the command repairs it rather than the last command's classes.
    """
    raw = manifest.get("arguments")
    args: dict[str, Any] = raw if isinstance(raw, dict) else {}
    parts = ["--val-dir", str(args.get("val_dir", "PATH/TO/val"))]
    for key in ("labels", "devkit"):
        if args.get(key):
            parts += [f"--{key}", str(args[key])]
    classes = args.get("classes")
    if wnid is not None and not (isinstance(classes, list) and wnid in classes):
        classes = [wnid]
    if isinstance(classes, list) and classes != [c.wnid for c in IMAGENET_SUBSET]:
        parts += ["--classes", *map(str, classes)]
    if args.get("mode") == "symlink":
        parts.append("--symlink")
    parts += ["--out", str(root)]
    return " ".join([_PREPARE, *map(shlex.quote, parts)])


def _check_prepared(root: Path, wnids: list[str]) -> None:
    """Refuse a subset whose marker is missing its "complete" or disagrees with the files on disk."""
    marker = root / _SUBSET_MANIFEST
    if not marker.exists():
        return  # a folder made by hand (or by svcca before the marker): read as it is
    try:
        manifest = json.loads(marker.read_bytes().decode("utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest.get("classes"), dict):
            raise ValueError("not a JSON object with 'classes'")
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"the ImageNet subset in {root} has an unreadable marker {marker.name} ({exc}); rerun "
            f"`{_PREPARE} --val-dir PATH/TO/val [--labels ... | --devkit ...] --out {root}`"
        ) from None
    rerun = _rerun_command(manifest, root)
    if manifest.get("status") != "complete":
        raise FileNotFoundError(
            f"the ImageNet subset in {root} is incomplete: its preparation was interrupted ({marker.name} "
            f"says {manifest.get('status')!r}, not 'complete'). Rerun `{rerun}` to finish it"
        )
    prepared: dict[str, Any] = manifest["classes"]
    absent = [w for w in wnids if not isinstance(prepared.get(w), list)]
    if absent:
        raise FileNotFoundError(
            f"the ImageNet subset in {root} was prepared for the classes {', '.join(sorted(prepared))}, "
            f"not {', '.join(absent)}; run `{_PREPARE} --val-dir PATH/TO/val ... --classes "
            f"{' '.join(absent)} --out {root}`"
        )
    for w in wnids:
        listed = {str(name) for name in prepared[w]}
        missing, extra = _disagreement(root / w, listed)
        if missing:
            raise FileNotFoundError(
                f"the ImageNet subset in {root} is incomplete: {len(missing)} of the {len(listed)} images "
                f"of {w} that {marker.name} lists are missing or dangling symlinks ({_few(missing)}). "
                f"Rerun `{_rerun_command(manifest, root, w)}`"
            )
        if extra:
            raise ValueError(
                f"the ImageNet subset in {root} changed since it was prepared: {root / w} holds "
                f"{len(extra)} image(s) that {marker.name} does not list ({_few(extra)}). Remove them, or "
                f"rerun `{rerun}` after adding them to the source"
            )


def imagenet_subset_folder(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the ImageNet subset's folder, given it or the data folder that holds it.

    ``root`` is the subset's folder itself, or, as for CIFAR-10 and the text corpora, the
    data folder holding it as ``imagenet_subset/`` (when that exists and ``root`` is not a
    prepared subset itself); default ``data_dir() / "imagenet_subset"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from svcca.nn.data.imagenet import imagenet_subset_folder
    >>> imagenet_subset_folder("my/subset").as_posix()
    'my/subset'
    >>> with tempfile.TemporaryDirectory() as data:
    ...     (pathlib.Path(data) / "imagenet_subset").mkdir()
    ...     imagenet_subset_folder(data).name           # the data folder that holds it
    'imagenet_subset'
    """
    if root is None:
        return data_dir() / "imagenet_subset"
    folder = Path(root)
    nested = folder / "imagenet_subset"
    if nested.is_dir() and not (folder / _SUBSET_MANIFEST).exists():
        return nested
    return folder


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
        The folder with one subfolder per WordNet id (``<wnid>/*.JPEG``), or the data
        folder holding it as ``imagenet_subset/`` (:func:`imagenet_subset_folder`); default
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
        When the folder or any class subfolder is missing or holds no image; or, in a folder that
        :func:`prepare_imagenet_subset` made, when its preparation did not finish (was
        interrupted), a class was not prepared, or an image it placed is gone. The message
        names the folder and the command that repairs it.
    ValueError
        When ``classes`` is empty or repeats a WordNet id, a prepared folder's marker is
        unreadable, or a class folder holds images the marker does not list; or for
        ``image_size``/``resize`` below 1 (``resize`` must be at least ``image_size``).
    TypeError
        When ``image_size`` or ``resize`` is not an int.

    Notes
    -----
    Only files with an image extension (those torchvision's ``ImageFolder`` reads: ``.jpg``,
    ``.JPEG``, ``.png``, ...) that are not hidden are read. A folder that carries the marker
    ``.svcca-imagenet-subset.json`` (written by :func:`prepare_imagenet_subset`) is checked
    against it; a folder without one (made by hand, or prepared by an earlier svcca) is read
    as it is.
    Images are converted to RGB; 16-bit greyscale images (PNG, TIFF) are scaled to 8 bits
    (value / 257) rather than saturated at 255.

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

    from ..._validation import check_int

    check_int(image_size, "image_size")
    check_int(resize, "resize")
    if resize < image_size:
        raise ValueError(
            f"resize must be at least image_size (the centre crop is taken after resizing); got "
            f"resize={resize}, image_size={image_size}"
        )
    chosen = _imagenet_classes(classes)
    root = imagenet_subset_folder(root)
    wnids = [c.wnid for c in chosen]
    if (root / _SUBSET_MANIFEST).exists():  # a prepared subset says what it was prepared for, and how
        _check_prepared(root, wnids)  # to add classes (the advice below would nest a second one)
    missing = [c.wnid for c in chosen if not (root / c.wnid).is_dir()]
    if missing:
        # a data folder that holds other things (CIFAR-10, corpora) gets the subset beside them
        holds_other = root.is_dir() and any(root.iterdir()) and len(missing) == len(chosen)
        out = root / "imagenet_subset" if holds_other else root
        raise FileNotFoundError(
            f"ImageNet subset not found: {root} lacks the class folder(s) {', '.join(missing)}. "
            f"Build it from your ImageNet validation set with `{_PREPARE} "
            f"--val-dir PATH/TO/val [--labels LOC_val_solution.csv | --devkit DEVKIT_DIR] --out {out}`."
        )
    _check_prepared(root, wnids)
    empty = [w for w in wnids if not any(_is_image_name(p.name) for p in (root / w).iterdir())]
    if empty:  # torchvision's own message names neither the folder nor a way out
        raise FileNotFoundError(
            f"ImageNet subset {root}: the class folder(s) {', '.join(empty)} hold no image (.JPEG, .png, "
            f"...). Build the subset from your ImageNet validation set with `{_PREPARE} "
            f"--val-dir PATH/TO/val [--labels LOC_val_solution.csv | --devkit DEVKIT_DIR] --out {root}`."
        )

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
    ds = _Subset(
        str(root), transform=tf, loader=_read_rgb, is_valid_file=lambda p: _is_image_name(Path(p).name)
    )
    ds.imagenet_classes = chosen
    ds.imagenet_indices = tuple(c.imagenet_index for c in chosen)
    return ds


_LOC_COLUMNS = ("ImageId", "PredictionString")


def _read_loc_solution(path: Path) -> dict[str, str]:
    """Image id -> wnid from Kaggle's ``LOC_val_solution.csv`` (ImageId, PredictionString)."""
    if not path.is_file():
        raise FileNotFoundError(
            f"labels file {path} not found; expected Kaggle's LOC_val_solution.csv (columns "
            f"{', '.join(_LOC_COLUMNS)})"
        )
    out = {}
    try:
        # utf-8-sig: a file saved by Excel starts with a byte-order mark
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            if any(c not in header for c in _LOC_COLUMNS):
                raise ValueError(
                    f"{path} is not Kaggle's LOC_val_solution.csv: expected the header line "
                    f"'{','.join(_LOC_COLUMNS)}'; got {','.join(header)!r}"
                )
            for row in reader:
                image, prediction = (row.get(c) or "" for c in _LOC_COLUMNS)
                words = prediction.split()
                if not image or not words or not _WNID.match(words[0]):
                    got = repr(words[0]) if words else "an empty PredictionString"
                    raise ValueError(
                        f"{path}, line {reader.line_num}: expected an ImageId and a PredictionString "
                        f"starting with a WordNet id ('n01751748 x1 y1 x2 y2 ...'); got {got} for image "
                        f"{image!r}"
                    )
                out[image] = words[0]
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    return out


def _read_devkit(devkit: Path) -> dict[str, str]:
    """Image id -> wnid from an extracted ILSVRC2012 devkit (``data/meta.mat`` + ground truth)."""
    from scipy.io import loadmat

    meta_path = devkit / "data" / "meta.mat"
    truth_path = devkit / "data" / "ILSVRC2012_validation_ground_truth.txt"
    expected = "the extracted ILSVRC2012_devkit_t12/ folder, with data/meta.mat and data/" + truth_path.name
    if not devkit.is_dir():
        raise FileNotFoundError(f"devkit {devkit} is not a folder; expected {expected}")
    for path in (meta_path, truth_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found; expected {expected}")
    try:
        meta = loadmat(str(meta_path), squeeze_me=True)["synsets"]
        id_to_wnid = {
            int(i): str(w)
            for i, w, nc in zip(meta["ILSVRC2012_ID"], meta["WNID"], meta["num_children"])
            if int(nc) == 0
        }
    except Exception as exc:  # noqa: BLE001 - scipy raises ValueError, TypeError, KeyError, its own errors
        raise ValueError(
            f"{meta_path} is not the devkit's meta.mat (a MATLAB file whose 'synsets' table has "
            f"ILSVRC2012_ID, WNID and num_children): {type(exc).__name__}: {exc}"
        ) from None
    out = {}
    for k, line in enumerate(truth_path.read_text(encoding="utf-8", errors="replace").split()):
        label = int(line) if line.isdigit() else None
        if label not in id_to_wnid:
            raise ValueError(
                f"{truth_path}, entry {k + 1}: expected a class id in 1..{len(id_to_wnid)} from meta.mat; "
                f"got {line!r}"
            )
        out[f"ILSVRC2012_val_{k + 1:08d}"] = id_to_wnid[label]
    return out


def _image_problem(path: Path) -> str | None:
    """Why ``path`` is not an image PIL can decode completely, or None."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()  # decodes it all: a truncated file fails here, not at training time
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _organised_sources(val_dir: Path, wnids: list[str]) -> dict[str, list[Path]]:
    """Return the images of each class of a folder organised by class; a missing class is an error."""
    absent = [w for w in wnids if not (val_dir / w).is_dir()]
    if absent:
        present = sorted(p.name for p in val_dir.iterdir() if p.is_dir() and _WNID.match(p.name))
        raise FileNotFoundError(
            f"{val_dir} is organised by class but has no folder for {', '.join(absent)}; it holds "
            f"{len(present)} class folder(s): {_few(present, 10)}. Check the WordNet id(s) given to "
            "--classes, or point --val-dir at a copy that has them"
        )
    sources = {w: _image_files(val_dir / w) for w in wnids}
    empty = [w for w, ps in sources.items() if not ps]
    if empty:
        where = ", ".join(str(val_dir / w) for w in empty)
        raise FileNotFoundError(f"no image file ({', '.join(_image_extensions())}) in {where}")
    return sources


def _flat_sources(
    val_dir: Path, wnids: list[str], truth: dict[str, str], source: Path
) -> dict[str, list[Path]]:
    """Return the images of each class of a flat folder, assigned by ``truth`` (read from ``source``)."""
    sources: dict[str, list[Path]] = {w: [] for w in wnids}
    for p in _image_files(val_dir):
        label = truth.get(p.stem)
        if label in sources:
            sources[label].append(p)
    empty = [w for w, ps in sources.items() if not ps]
    if empty:
        named = {w: sorted(i for i, label in truth.items() if label == w) for w in empty}
        why = "; ".join(
            f"{w}: {source} names no image of it (check the WordNet id)"
            if not ids
            else f"{w}: {source} names {len(ids)} image(s) of it ({_few(ids, 2)}) but none is an image file "
            f"in {val_dir}"
            for w, ids in named.items()
        )
        raise FileNotFoundError(f"no validation image found for class(es) {', '.join(empty)}: {why}")
    return sources


def _write_manifest(out: Path, content: dict[str, Any]) -> None:
    """Write the marker atomically, unless it already holds exactly this content.

    An identical rerun then leaves the marker (and its mtime) as it was.
    """
    data = (json.dumps(content, indent=2, sort_keys=True) + "\n").encode()
    path = out / _SUBSET_MANIFEST
    try:
        if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
            return
    except OSError:
        pass  # unreadable: write it
    atomic_write(path, data)


def _in_place(source: Path, target: Path, mode: str) -> bool:
    """Whether ``target`` already holds ``source`` the way ``mode`` places it (then a rerun keeps it).

    Not in place, and so replaced: nothing there, a dangling symlink, a file whose size
    differs from the source's (an empty one included), a symlink where a copy is asked for,
    and, in ``"symlink"`` mode, a symlink to another file. A copy serves in ``"symlink"`` mode.
    """
    try:
        if not target.is_file() or target.stat().st_size != source.stat().st_size:
            return False
        if not target.is_symlink():
            return True
        return mode == "symlink" and target.resolve() == source.resolve()
    except OSError:
        return False


def _place(source: Path, target: Path, mode: str) -> None:
    """Copy ``source`` to ``target`` atomically, or symlink it there, replacing what is there."""
    if mode == "symlink":
        if target.is_symlink() or target.exists():
            target.unlink()  # the marker says "in progress" until every image is in place
        target.symlink_to(source.resolve())
    else:
        with open(source, "rb") as src:  # os.replace puts the copy in place of a link, too
            atomic_write(target, functools.partial(shutil.copyfileobj, src))


def _previous_classes(out: Path) -> dict[str, list[str]]:
    """Return the classes that finished earlier preparations of ``out`` recorded (kept listed)."""
    try:
        old = json.loads((out / _SUBSET_MANIFEST).read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(old, dict) or not isinstance(old.get("classes"), dict):
        return {}
    # an interrupted run's own classes are in "preparing", never in "classes"
    return {str(w): list(v) for w, v in old["classes"].items() if isinstance(v, list)}


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
        The validation images.
    out : path, optional
        Default ``data_dir() / "imagenet_subset"``.
    labels, devkit : path, optional
        One of them for a flat ``val_dir``.
    classes : iterable, optional
        Default :data:`IMAGENET_SUBSET`.
    mode : {"copy", "symlink"}, default="copy"
        Copy the images, or link to them (``val_dir`` must then stay where it is).

    Returns
    -------
    dict
        Images per wnid, now in ``out``. A rerun keeps what is already in place (reruns are
        cheap) and replaces what is not: a dangling symlink (``val_dir`` moved), an empty or
        truncated file, a symlink where a copy is asked for.

    Raises
    ------
    FileNotFoundError
        When ``val_dir``, ``labels`` or ``devkit`` is missing, a requested class has no
        folder (organised layout; the message lists the folders there) or no image.
    NotADirectoryError
        When ``out`` is a file.
    ValueError
        When a flat ``val_dir`` comes without ``labels`` or ``devkit`` (or with both), a
        labels file or devkit is not what it should be (the message names the file and,
        for the CSV, the line), an image file does not open (all of them are named before
        anything is written), a class folder of ``out`` already holds images that are not
        among the class's sources (the loader would refuse it; nothing is written),
        ``classes`` is empty or repeats a WordNet id, or ``mode`` is unknown.

    Notes
    -----
    Only files with an image extension (those torchvision's ``ImageFolder`` reads: ``.jpg``,
    ``.JPEG``, ``.png``, ...), not hidden, are taken, and each must open and decode with PIL
    before anything is copied. The marker ``.svcca-imagenet-subset.json`` is written into
    ``out`` first saying "in progress" (when any image is to be placed) and last, atomically,
    saying "complete" with every class's file names, once each of them is a readable file
    there; :func:`load_imagenet_subset` refuses the folder until then, so an interrupted run
    (Ctrl-C) is never read as a smaller subset: rerun the same command to finish it. A rerun
    that finds everything in place writes nothing, the marker included, so the folder's
    :func:`svcca._io.folder_fingerprint` (and the cached results computed from it) stays.

    Examples
    --------
    A folder organised by class, with one image of the fire-engine class:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from svcca.nn.data import prepare_imagenet_subset, load_imagenet_subset
    >>> with tempfile.TemporaryDirectory() as d:
    ...     (Path(d) / "val" / "n03345487").mkdir(parents=True)
    ...     Image.new("RGB", (8, 8)).save(Path(d) / "val" / "n03345487" / "a.JPEG")
    ...     counts = prepare_imagenet_subset(Path(d) / "val", Path(d) / "sub", classes=["n03345487"])
    ...     n = len(load_imagenet_subset(Path(d) / "sub", classes=["n03345487"], image_size=4, resize=4))
    >>> counts, n
    ({'n03345487': 1}, 1)
    """
    if mode not in ("copy", "symlink"):
        raise ValueError(f"mode must be one of 'copy', 'symlink'; got {mode!r}")
    if labels is not None and devkit is not None:
        raise ValueError("pass labels or devkit, not both; they are two sources of the same class labels")
    val_dir = Path(val_dir)
    if not val_dir.is_dir():
        raise FileNotFoundError(
            f"val_dir {val_dir} is not a folder; expected the ImageNet validation images (ILSVRC2012_img_val "
            "extracted), flat or one folder per WordNet id"
        )
    out = imagenet_subset_folder() if out is None else Path(out)  # the folder named, as named
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"out {out} is a file; expected a folder for the subset (or a new path)")
    wnids = [c.wnid for c in _imagenet_classes(classes)]
    if any((val_dir / w).is_dir() for w in wnids) or (
        labels is None
        and devkit is None
        and any(p.is_dir() and _WNID.match(p.name) for p in val_dir.iterdir())
    ):
        sources = _organised_sources(val_dir, wnids)
    elif labels is not None:
        sources = _flat_sources(val_dir, wnids, _read_loc_solution(Path(labels)), Path(labels))
    elif devkit is not None:
        sources = _flat_sources(val_dir, wnids, _read_devkit(Path(devkit)), Path(devkit))
    else:
        raise ValueError(
            f"{val_dir} is not organised by WordNet id; pass labels=LOC_val_solution.csv or "
            "devkit=ILSVRC2012_devkit_t12/ so the images can be assigned to classes"
        )
    bad = [(p, why) for ps in sources.values() for p in ps if (why := _image_problem(p)) is not None]
    if bad:
        raise ValueError(
            f"{len(bad)} file(s) of {val_dir} do not open as images: "
            + "; ".join(f"{p} ({why})" for p, why in bad[:5])
            + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
            + ". Replace them from your ImageNet archive; nothing was written"
        )
    unlisted = {w: e for w in sources if (e := _disagreement(out / w, {p.name for p in sources[w]})[1])}
    if unlisted:
        raise ValueError(
            "the ImageNet subset's class folder(s) already hold images that are not among the class's "
            f"sources in {val_dir}, and the loader would refuse them: "
            + "; ".join(f"{out / w}: {len(e)} ({_few(e)})" for w, e in unlisted.items())
            + ". Remove them (or add them to the source) and rerun; nothing was written"
        )
    previous = {w: v for w, v in _previous_classes(out).items() if w not in sources}
    arguments = {
        "val_dir": str(val_dir.resolve()),
        "labels": None if labels is None else str(Path(labels).resolve()),
        "devkit": None if devkit is None else str(Path(devkit).resolve()),
        "classes": wnids,
        "mode": mode,
    }
    marker = {"format": "svcca ImageNet subset", "version": 1, "arguments": arguments}
    todo = [(p, out / w / p.name) for w, paths in sources.items() for p in paths]
    todo = [(p, target) for p, target in todo if not _in_place(p, target, mode)]
    if todo:
        out.mkdir(parents=True, exist_ok=True)
        _write_manifest(out, {**marker, "status": "in progress", "preparing": wnids, "classes": previous})
        for w in sources:
            (out / w).mkdir(exist_ok=True)
            remove_stale_temps(out / w)
        for p, target in todo:
            _place(p, target, mode)
    done = {w: [p.name for p in paths] for w, paths in sources.items()}
    for w, names in done.items():
        # never "complete" for a folder the loader would refuse
        missing, extra = _disagreement(out / w, set(names))
        if missing or extra:
            raise FileNotFoundError(
                f"the ImageNet subset's folder {out / w} does not hold what was placed there: "
                f"{len(missing)} image(s) missing or dangling ({_few(missing)}), {len(extra)} not among "
                f"the sources ({_few(extra)}); it changed while it was prepared. Rerun the same command"
            )
    _write_manifest(out, {**marker, "status": "complete", "classes": {**previous, **done}})
    return {w: len(paths) for w, paths in sources.items()}
