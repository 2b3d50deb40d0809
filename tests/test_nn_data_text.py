"""Tests of svcca.nn.data.text: the standard-library corpus, PTB-style word corpora and the
checked download."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")


from svcca.nn import data as D  # noqa: E402

pytestmark = pytest.mark.torch


# --------------------------------------------------------------------------- text


def test_stdlib_corpus_is_deterministic_and_round_trips():
    a = D.load_stdlib_corpus(max_chars=30_000)
    b = D.load_stdlib_corpus(max_chars=30_000)
    assert a.sha256 == b.sha256 and torch.equal(a.train, b.train) and a.vocab == b.vocab
    assert a.info["missing"] == [] and a.info["files"] == list(D.STDLIB_CORPUS_FILES)
    assert len(a.train) == 27_000 and len(a.valid) == 1500 and len(a.test) == 1500
    assert a.decode(a.train[:200]).startswith(a.decode(a.encode(a.decode(a.train[:200]))))
    assert list(a.vocab) == sorted(set(a.vocab))
    full = D.load_stdlib_corpus()
    assert len(full.train) > 500_000  # the documented selection is about 0.8 MB of text


def test_stdlib_corpus_sequences_are_next_token_windows():
    c = D.load_stdlib_corpus(max_chars=5_000)
    inputs, targets = c.sequences("valid", seq_len=16).tensors
    assert inputs.shape == targets.shape == ((250 - 1) // 16, 16)
    assert torch.equal(inputs.reshape(-1), c.valid[: inputs.numel()])
    assert torch.equal(targets.reshape(-1), c.valid[1 : inputs.numel() + 1])
    with pytest.raises(ValueError, match="split must be one of 'train', 'valid', 'test'; got 'dev'"):
        c.sequences("dev")
    with pytest.raises(ValueError, match="too few for seq_len=1000"):
        c.sequences("test", seq_len=1000)


def test_stdlib_corpus_skips_missing_files_with_a_warning(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    with pytest.warns(UserWarning, match="1 standard-library corpus file"):
        c = D.load_stdlib_corpus(files=["a.py", "gone.py", "b.py"], stdlib_dir=tmp_path)
    assert c.info["missing"] == ["gone.py"] and c.info["files"] == ["a.py", "b.py"]
    assert c.decode(torch.cat([c.train, c.valid, c.test])) == "x = 1\n\n\ny = 2\n"
    with pytest.raises(FileNotFoundError, match="none of the 1 corpus files exist"):
        D.load_stdlib_corpus(files=["gone.py"], stdlib_dir=tmp_path)
    with pytest.raises(ValueError, match="splits must be three fractions"):
        D.load_stdlib_corpus(splits=(0.5, 0.5))


def test_stdlib_corpus_names_a_file_that_is_not_utf8_and_decodes_only_its_vocabulary(tmp_path):
    # a raw UnicodeDecodeError named no file; files="a.py" was read as "a", ".", "p", "y";
    # decode([-1]) gave the last token and decode([999]) a bare IndexError
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "bad.py").write_bytes(b"x = '\xff'\n")
    with pytest.raises(ValueError, match=r"bad.py is not UTF-8 text \(byte 0xff at offset 5\)"):
        D.load_stdlib_corpus(files=["a.py", "bad.py"], stdlib_dir=tmp_path)
    c = D.load_stdlib_corpus(files="a.py", stdlib_dir=tmp_path)
    assert c.info["files"] == ["a.py"]
    for bad in (-1, len(c.vocab)):
        with pytest.raises(ValueError, match=rf"token ids must lie in \[0, {len(c.vocab)}\).*got {bad}"):
            c.decode([0, bad])


def test_stdlib_corpus_max_chars_must_be_a_positive_int(tmp_path):
    # max_chars=-5 used to slice text[:-5] (all but the last 5 characters) and 0 an empty corpus
    (tmp_path / "a.py").write_text("0123456789")
    assert D.load_stdlib_corpus(files=["a.py"], stdlib_dir=tmp_path, max_chars=4).info["n_chars"] == 4
    for bad, error in ((-5, ValueError), (0, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match=f"max_chars must be None or an int >= 1; got {bad!r}"):
            D.load_stdlib_corpus(files=["a.py"], stdlib_dir=tmp_path, max_chars=bad)


def _write_ptb(root: Path) -> None:
    folder = root / "ptb"
    folder.mkdir(parents=True)
    (folder / "ptb.train.txt").write_text(" the cat sat \n the dog sat \n")
    (folder / "ptb.valid.txt").write_text(" the bird sat \n")
    (folder / "ptb.test.txt").write_text(" a cat \n")


def test_ptb_word_level_uses_the_training_vocabulary(tmp_path):
    _write_ptb(tmp_path)
    c = D.load_ptb(tmp_path, verify=False)  # a stand-in: not PTB's published files
    assert set(c.vocab) == {"the", "cat", "sat", "dog", "<eos>", "<unk>"}
    assert c.decode(c.train) == "the cat sat <eos> the dog sat <eos>"
    assert c.decode(c.valid) == "the <unk> sat <eos>"  # "bird" is not in the training split
    chars = D.load_ptb(tmp_path, level="char", verify=False)
    assert chars.decode(chars.test) == " a cat \n"


def test_text_corpora_absent_point_at_the_download_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="download_lm_corpora.py ptb"):
        D.load_ptb(tmp_path)
    with pytest.raises(FileNotFoundError, match="download_lm_corpora.py wikitext2"):
        D.load_wikitext2(tmp_path)


def test_word_tokens_end_every_line_blank_ones_too_and_only_at_newlines():
    # PyTorch's word language model example: line.split() + ["<eos>"] for each line of the file
    from svcca.nn.data.text import _word_tokens

    text = " = Title = \n\n the cat\u2028sat \n\x0c\n"
    assert _word_tokens(text) == ["=", "Title", "=", "<eos>", "<eos>", "the", "cat", "sat", "<eos>", "<eos>"]
    assert _word_tokens("a b") == ["a", "b", "<eos>"]  # no final newline: the same last line
    assert _word_tokens("") == []


def test_download_checks_md5_and_extracts_zip_archives(tmp_path):
    src = tmp_path / "mirror"
    src.mkdir()
    inner = {
        "wikitext-2/wiki.train.tokens": " = Title = \n the cat \n",
        "wikitext-2/wiki.valid.tokens": " the dog \n",
        "wikitext-2/wiki.test.tokens": " the \n",
    }
    archive = src / "wikitext-2-v1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, text in inner.items():
            zf.writestr(name, text)
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    data = tmp_path / "data"
    bad_then_good = ([(src / "missing.zip").as_uri(), archive.as_uri()], md5)
    folder = D.download_lm_corpus("wikitext2", data, sources={"wikitext-2-v1.zip": bad_then_good})
    assert folder == data / "wikitext-2" and (folder / "wiki.train.tokens").is_file()
    c = D.load_wikitext2(data, verify=False)  # a stand-in archive: not the published md5
    assert c.decode(c.valid) == "the <unk> <eos>"
    assert not list(folder.glob(".*.tmp"))

    with pytest.raises(RuntimeError, match="could not download ptb.train.txt with md5 0{32}; tried:") as exc:
        D.download_lm_corpus("ptb", data, sources={"ptb.train.txt": ([archive.as_uri()], "0" * 32)})
    assert "\n" not in str(exc.value) and "fails its md5 check: expected 0" in str(exc.value)  # one line
    assert not (data / "ptb" / "ptb.train.txt").exists()  # a file with the wrong checksum is never kept
    with pytest.raises(ValueError, match="name must be one of 'ptb', 'wikitext2'; got 'wt103'"):
        D.download_lm_corpus("wt103", data)


def _published(monkeypatch, name: str, folder: Path) -> None:
    """Make the files in ``folder`` the published ones: their md5s into LM_CORPORA."""
    spec = D.LM_CORPORA[name]
    files = {
        f: (urls, hashlib.md5((folder / f).read_bytes()).hexdigest())
        for f, (urls, _) in spec["files"].items()
    }
    monkeypatch.setitem(D.LM_CORPORA, name, {**spec, "files": files})


def test_ptb_is_checked_against_its_published_md5s(tmp_path, monkeypatch):
    _write_ptb(tmp_path)
    with pytest.raises(
        FileNotFoundError,
        match=r"ptb in .* is incomplete or corrupted: ptb.train.txt should have md5 "
        r"f26c4b92c5fdc7b3f8c7cdcb991d8420; got [0-9a-f]{32}\. "
        r"Download it again with `python data_scripts/download_lm_corpora.py ptb",
    ):
        D.load_ptb(tmp_path)
    _published(monkeypatch, "ptb", tmp_path / "ptb")
    c = D.load_ptb(tmp_path)
    assert c.info["verified"] and c.decode(c.test) == "<unk> cat <eos>"
    (tmp_path / "ptb" / "ptb.valid.txt").write_text(" the bird \n")  # changed after the download
    with pytest.raises(FileNotFoundError, match="ptb.valid.txt should have md5"):
        D.load_ptb(tmp_path)


def test_wikitext2_splits_are_checked_against_the_archive(tmp_path, monkeypatch):
    folder = tmp_path / "wikitext-2"
    folder.mkdir()
    archive = folder / "wikitext-2-v1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for split in ("train", "valid", "test"):
            zf.writestr(f"wikitext-2/wiki.{split}.tokens", f" the {split} \n")
            (folder / f"wiki.{split}.tokens").write_text(f" the {split} \n")
    with pytest.raises(
        FileNotFoundError, match="wikitext-2-v1.zip should have md5 542ccefacc6c27f945fb54453812b3cd"
    ):
        D.load_wikitext2(tmp_path)
    _published(monkeypatch, "wikitext2", folder)
    assert D.load_wikitext2(tmp_path).decode(D.load_wikitext2(tmp_path).test) == "the <unk> <eos>"
    (folder / "wiki.train.tokens").write_text("")  # a half-finished extraction
    with pytest.raises(
        FileNotFoundError, match=r"wiki.train.tokens is not wikitext-2/wiki.train.tokens of .*0 bytes"
    ):
        D.load_wikitext2(tmp_path)
    # unchecked, the empty split is named (it loaded as 0 tokens, and training failed later
    # with "the train split has 0 tokens", naming no file)
    with pytest.raises(ValueError, match=r"wiki.train.tokens holds no text \(0 bytes\)"):
        D.load_wikitext2(tmp_path, verify=False)


def test_a_split_that_is_not_utf8_is_named(tmp_path):
    _write_ptb(tmp_path)
    (tmp_path / "ptb" / "ptb.test.txt").write_bytes(b"\xff\xfe bad\n")
    with pytest.raises(ValueError, match=r"ptb.test.txt is not UTF-8 text \(byte 0xff at offset 0\)"):
        D.load_ptb(tmp_path, verify=False)
