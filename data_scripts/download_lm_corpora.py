#!/usr/bin/env python
"""Download the language-model corpora (Penn Treebank, WikiText-2) into the data folder.

Run once on a machine with internet; every file is checked against its published md5
(the checksums torchtext used). Afterwards ``svcca.nn.data.load_ptb()`` and
``load_wikitext2()`` read them offline. The default text corpus of the book needs no
download (it is the Python standard library's own source). An error (no network, a
checksum that does not match, a folder that cannot be written) is one line on stderr and
exit status 1.

    python data_scripts/download_lm_corpora.py              # both, into $SVCCA_DATA or ./data
    python data_scripts/download_lm_corpora.py ptb --data-dir /big/disk/data
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

PROG = "download_lm_corpora.py"
CHOICES = ("ptb", "wikitext2", "all")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # no choices= here: argparse checks a nargs="*" default against them, differently in
    # different Python versions; the names are checked below
    parser.add_argument("corpora", nargs="*", metavar="CORPUS", help="ptb, wikitext2 or all (default: all)")
    parser.add_argument("--data-dir", default=None, help="data folder (default: $SVCCA_DATA, else ./data)")
    args = parser.parse_args(argv)
    for name in args.corpora:
        if name not in CHOICES:
            parser.error(
                f"argument CORPUS: invalid choice: {name!r} (choose from {', '.join(map(repr, CHOICES))})"
            )
    corpora = args.corpora or ["all"]
    names = ["ptb", "wikitext2"] if "all" in corpora else list(dict.fromkeys(corpora))

    from svcca.nn.data import run_data_script

    return run_data_script(PROG, lambda: _download(names, args.data_dir))


def _download(names: list[str], data_dir: str | None) -> int:
    from svcca.nn.data import LM_CORPORA, download_lm_corpus, load_ptb, load_wikitext2

    loaders = {"ptb": load_ptb, "wikitext2": load_wikitext2}
    for name in names:
        folder: Path = download_lm_corpus(name, data_dir)
        corpus = loaders[name](data_dir)
        print(
            f"{name} ready in {folder}: vocabulary {corpus.vocab_size}, {len(corpus.train)} training tokens"
        )
        for filename in LM_CORPORA[name]["files"]:
            digest = hashlib.sha256((folder / filename).read_bytes()).hexdigest()
            print(f"  sha256 {digest}  {filename}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
