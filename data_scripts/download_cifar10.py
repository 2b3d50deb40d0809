#!/usr/bin/env python
"""Download CIFAR-10 into the data folder, checked against its published md5 sums.

Run once on a machine with internet; afterwards ``svcca.nn.data.load_cifar10()`` reads it
offline. The archive (about 170 MB) and every extracted batch are checked against the
published md5 sums, and nothing appears half-written: the archive is moved into place only
whole and checked, and each batch only whole. Nothing is unpickled: the batches are read
by svcca's own reader.
Offline, copy cifar-10-python.tar.gz into the data folder by hand and run this to check
and extract it. An error (no network, a checksum that does not match, a folder that cannot
be written) is one line on stderr and exit status 1.

    python data_scripts/download_cifar10.py                 # into $SVCCA_DATA or ./data
    python data_scripts/download_cifar10.py --data-dir /big/disk/data
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sized
from pathlib import Path
from typing import cast

PROG = "download_cifar10.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default=None, help="data folder (default: $SVCCA_DATA, else ./data)")
    args = parser.parse_args(argv)

    from svcca.nn.data import data_dir, run_data_script

    return run_data_script(PROG, lambda: _download(data_dir(args.data_dir)))


def _download(root: Path) -> int:
    import urllib.error

    from torchvision.datasets import CIFAR10

    from svcca.nn.data import download_file, extract_archive, load_cifar10

    folder = root / CIFAR10.base_folder
    try:
        data = load_cifar10(root)  # already there and intact
    except FileNotFoundError:
        if root.exists() and not root.is_dir():
            raise NotADirectoryError(
                f"the data folder {root} is a file; expected a folder (choose another --data-dir or set "
                "SVCCA_DATA)"
            ) from None
        archive = root / CIFAR10.filename
        try:
            # into a temporary file, moved into place only whole and with the published md5; a
            # copy put there by hand with that md5 is used as it is
            download_file(CIFAR10.url, archive, CIFAR10.tgz_md5)
        except urllib.error.HTTPError:
            raise  # its own report names the address and the server's answer
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc.strerror or exc
            # a copy put there by hand was tried first: say why it was not used
            copied = (
                f"; the copy there now will not do: {_md5_problem(archive, CIFAR10.tgz_md5)}"
                if archive.is_file()
                else ""
            )
            raise ConnectionError(
                f"could not download {CIFAR10.url}: {reason}; check the internet connection (and any "
                f"proxy), or copy {CIFAR10.filename} into {root} from a machine that has one and rerun"
                f"{copied}"
            ) from None
        # each batch appears whole (unpacked beside it, then moved into place); nothing is unpickled
        extract_archive(archive, root)
        data = load_cifar10(root)
    # ImageData types its splits as Dataset, which declares no __len__; these are tensor sets
    n_train, n_test = len(cast(Sized, data.train)), len(cast(Sized, data.test))
    print(f"CIFAR-10 ready in {folder}: {n_train} train, {n_test} test images")
    return 0


def _md5_problem(archive: Path, md5: str) -> str:
    got = hashlib.md5(archive.read_bytes(), usedforsecurity=False).hexdigest() if archive.is_file() else None
    return f"{archive} fails its md5 check: expected {md5}, got {got if got is not None else 'no file'}"


if __name__ == "__main__":
    sys.exit(main())
