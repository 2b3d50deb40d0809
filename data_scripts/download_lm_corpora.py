#!/usr/bin/env python
"""Download the language-model corpora (Penn Treebank, WikiText-2) into the data folder.

Run once on a machine with internet; every file is checked against its published md5
(the checksums torchtext used). Afterwards ``svcca.nn.data.load_ptb()`` and
``load_wikitext2()`` read them offline. The default text corpus of the book needs no
download (it is the Python standard library's own source).

    python data_scripts/download_lm_corpora.py              # both, into $SVCCA_DATA or ./data
    python data_scripts/download_lm_corpora.py ptb --data-dir /big/disk/data
"""

from __future__ import annotations

import argparse
import hashlib
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "corpora",
        nargs="*",
        choices=["ptb", "wikitext2", "all"],
        default=["all"],
        help="which corpora (default: all)",
    )
    parser.add_argument("--data-dir", default=None, help="data folder (default: $SVCCA_DATA, else ./data)")
    args = parser.parse_args(argv)

    from svcca.nn.data import LM_CORPORA, download_lm_corpus, load_ptb, load_wikitext2

    names = list(LM_CORPORA) if "all" in args.corpora else list(dict.fromkeys(args.corpora))
    loaders = {"ptb": load_ptb, "wikitext2": load_wikitext2}
    for name in names:
        folder = download_lm_corpus(name, args.data_dir)
        corpus = loaders[name](args.data_dir)
        print(
            f"{name} ready in {folder}: vocabulary {corpus.vocab_size}, {len(corpus.train)} training tokens"
        )
        for filename in LM_CORPORA[name]["files"]:
            digest = hashlib.sha256((folder / filename).read_bytes()).hexdigest()
            print(f"  sha256 {digest}  {filename}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
