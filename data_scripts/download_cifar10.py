#!/usr/bin/env python
"""Download CIFAR-10 into the data folder with torchvision's checksummed downloader.

Run once on a machine with internet; afterwards ``svcca.nn.data.load_cifar10()`` reads it
offline. The archive (about 170 MB) and every extracted batch are checked against the
published md5 sums. Nothing is unpickled: the batches are read by svcca's own reader.

    python data_scripts/download_cifar10.py                 # into $SVCCA_DATA or ./data
    python data_scripts/download_cifar10.py --data-dir /big/disk/data
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sized
from typing import cast


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default=None, help="data folder (default: $SVCCA_DATA, else ./data)")
    args = parser.parse_args(argv)

    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import download_and_extract_archive

    from svcca.nn.data import data_dir, load_cifar10

    root = data_dir(args.data_dir)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / CIFAR10.base_folder
    try:
        data = load_cifar10(root)  # already there and intact
    except FileNotFoundError:
        # downloads and checks the archive's md5; torchvision's dataset class (which would
        # unpickle the batches) is not instantiated
        download_and_extract_archive(CIFAR10.url, str(root), filename=CIFAR10.filename, md5=CIFAR10.tgz_md5)
        data = load_cifar10(root)
    # ImageData types its splits as Dataset, which declares no __len__; these are tensor sets
    n_train, n_test = len(cast(Sized, data.train)), len(cast(Sized, data.test))
    print(f"CIFAR-10 ready in {folder}: {n_train} train, {n_test} test images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
