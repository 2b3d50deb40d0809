"""Tests of the data_scripts/ front doors: --help, and the offline parts run end to end."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

pytestmark = pytest.mark.torch

SCRIPTS = Path(__file__).resolve().parents[1] / "data_scripts"
OWN = ["download_cifar10.py", "download_lm_corpora.py", "prepare_imagenet_subset.py"]


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), SCRIPTS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", OWN)
def test_help_runs_without_importing_torch(name):
    """--help answers quickly: the heavy imports happen only after the arguments are parsed."""
    code = (
        "import runpy, sys; sys.argv = [sys.argv[0], '--help']\n"
        "try:\n"
        f"    runpy.run_path({str(SCRIPTS / name)!r}, run_name='__main__')\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "assert 'torch' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "usage:" in out.stdout and "--data-dir" in out.stdout


def test_prepare_imagenet_subset_script_end_to_end(tmp_path, capsys):
    from PIL import Image

    from svcca.nn.data import IMAGENET_SUBSET, load_imagenet_subset

    val = tmp_path / "val"
    for c in IMAGENET_SUBSET:
        (val / c.wnid).mkdir(parents=True)
        Image.new("RGB", (20, 20), color=(1, 2, 3)).save(val / c.wnid / "img.JPEG")
    script = load_script("prepare_imagenet_subset.py")
    assert script.main(["--val-dir", str(val), "--data-dir", str(tmp_path / "data"), "--symlink"]) == 0
    assert "n03345487: 1 images" in capsys.readouterr().out
    assert len(load_imagenet_subset(tmp_path / "data" / "imagenet_subset", image_size=16, resize=16)) == 5


def test_download_lm_corpora_script_offline_with_a_local_mirror(tmp_path, monkeypatch, capsys):
    import svcca.nn.data as D

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    files = {}
    for split, text in {"train": " a b c \n a b \n", "valid": " a c \n", "test": " b \n"}.items():
        path = mirror / f"ptb.{split}.txt"
        path.write_text(text)
        files[path.name] = ([path.as_uri()], hashlib.md5(path.read_bytes()).hexdigest())
    monkeypatch.setitem(D.LM_CORPORA, "ptb", {**D.LM_CORPORA["ptb"], "files": files})
    script = load_script("download_lm_corpora.py")
    assert script.main(["ptb", "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "ptb ready in" in out and "vocabulary 5" in out and "sha256" in out
    assert D.load_ptb(tmp_path / "data").decode(D.load_ptb(tmp_path / "data").test) == "b <eos>"


def test_scripts_reject_unknown_arguments(capsys):
    script = load_script("download_lm_corpora.py")
    with pytest.raises(SystemExit):
        script.main(["imagenet"])
    assert "invalid choice: 'imagenet'" in capsys.readouterr().err
