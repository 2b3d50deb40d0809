#!/usr/bin/env python
"""Extract the validation images of a few ImageNet classes into data/imagenet_subset/<wnid>/.

ImageNet cannot be downloaded automatically (it needs an account); point this at your own
copy of the ILSVRC-2012 validation set. Three layouts are understood:

  * a folder already organised by class (``val/<wnid>/*.JPEG``):
        python data_scripts/prepare_imagenet_subset.py --val-dir /imagenet/val
  * flat ``ILSVRC2012_val_XXXXXXXX.JPEG`` files plus Kaggle's LOC_val_solution.csv:
        python data_scripts/prepare_imagenet_subset.py --val-dir /imagenet/val --labels LOC_val_solution.csv
  * flat files plus the extracted ILSVRC2012 devkit (data/meta.mat and the ground truth):
        python data_scripts/prepare_imagenet_subset.py --val-dir /imagenet/val --devkit ILSVRC2012_devkit_t12

The default classes stand in for those of the SVCCA paper's class-sensitivity figure: fire
engine (n03345487), Siberian husky (n02110185), Eskimo dog (n02109961), and two terriers,
Border terrier (n02093754) and Australian terrier (n02096294) (the released figure names
its two only as "s_terrier" and "w_terrier"). Afterwards ``svcca.nn.data.load_imagenet_subset()``
reads them.

Only image files (.JPEG, .png, ...; not hidden) are taken, and every one must open before
anything is copied. The output folder gets a marker, .svcca-imagenet-subset.json, written
first as "in progress" and last as "complete", once every image is in place: if the run is
interrupted, the loader refuses the folder until the same command is run again. A rerun keeps
the images already in place and replaces the others: a symlink left dangling when the
validation folder moved (rerun with the new --val-dir), an empty file, a symlink where a copy
is asked for. A rerun that finds everything in place changes nothing, so the experiment
results cached from the folder stay valid. An error (a missing folder or labels file, a class
with no images, an image that does not open, images in the output that are not among the
sources) is one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROG = "prepare_imagenet_subset.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--val-dir", required=True, help="the ImageNet validation images")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--labels", default=None, help="LOC_val_solution.csv for a flat --val-dir")
    group.add_argument(
        "--devkit", default=None, help="extracted ILSVRC2012_devkit_t12 folder for a flat --val-dir"
    )
    parser.add_argument("--out", default=None, help="output folder (default: DATA_DIR/imagenet_subset)")
    parser.add_argument("--data-dir", default=None, help="data folder (default: $SVCCA_DATA, else ./data)")
    parser.add_argument(
        "--classes", nargs="+", default=None, metavar="WNID", help="WordNet ids (default: the five)"
    )
    parser.add_argument("--symlink", action="store_true", help="symlink the images instead of copying them")
    args = parser.parse_args(argv)

    from svcca.nn.data import data_dir, run_data_script

    out = Path(args.out) if args.out is not None else data_dir(args.data_dir) / "imagenet_subset"
    return run_data_script(PROG, lambda: _prepare(args, out))


def _prepare(args: argparse.Namespace, out: Path) -> int:
    from svcca.nn.data import prepare_imagenet_subset

    counts = prepare_imagenet_subset(
        args.val_dir,
        out,
        labels=args.labels,
        devkit=args.devkit,
        classes=args.classes,
        mode="symlink" if args.symlink else "copy",
    )
    for wnid, k in counts.items():
        print(f"{wnid}: {k} images")
    print(f"ImageNet subset ready in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
