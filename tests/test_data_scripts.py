"""Tests of the data_scripts/ front doors: --help, and the offline parts run end to end."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
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


def test_imagenet_recipe_end_to_end_offline(tmp_path, monkeypatch, capsys):
    """Chapter 7's recipe, step by step, on tiny fake data in the real formats: flat
    ``ILSVRC2012_val_*.JPEG`` files with Kaggle's LOC_val_solution.csv -> the prepare script ->
    pretrained weights placed by hand under $TORCH_HOME/hub/checkpoints/ under torchvision's
    file name -> the one run_experiment.py command, offline, on the device that is available."""
    import torch
    import torchvision
    from PIL import Image

    from svcca.experiments import run_or_load
    from svcca.experiments.class_sensitivity import ClassSensitivityConfig, unpack
    from svcca.nn import available_device
    from svcca.nn.data import IMAGENET_SUBSET

    # 1. the validation images as ImageNet ships them, plus the labels file (two images a
    # class of the subset, and one of a class that is not asked for)
    val = tmp_path / "imagenet" / "val"
    val.mkdir(parents=True)
    wnids = [c.wnid for c in IMAGENET_SUBSET] * 2 + ["n01440764"]
    g = np.random.default_rng(0)
    rows = []
    for k, wnid in enumerate(wnids):
        name = f"ILSVRC2012_val_{k + 1:08d}"
        Image.fromarray(g.integers(0, 256, size=(30, 40, 3), dtype=np.uint8)).save(val / f"{name}.JPEG")
        rows.append(f"{name},{wnid} 1 2 3 4")
    labels = tmp_path / "imagenet" / "LOC_val_solution.csv"
    labels.write_text("ImageId,PredictionString\n" + "\n".join(rows) + "\n")
    data = tmp_path / "data"
    monkeypatch.setenv("SVCCA_DATA", str(data))
    prepare = load_script("prepare_imagenet_subset.py")
    assert prepare.main(["--val-dir", str(val), "--labels", str(labels)]) == 0
    assert "n03345487: 2 images" in capsys.readouterr().out
    assert sorted(p.name for p in (data / "imagenet_subset").iterdir()) == sorted(
        c.wnid for c in IMAGENET_SUBSET
    )

    # 2. the weights, copied from a machine with internet: torchvision's own file name in
    # $TORCH_HOME/hub/checkpoints/ (here a random ResNet-18's state dict stands in for them)
    weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
    assert Path(weights.url).name == "resnet18-f37072fd.pth"
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    checkpoints = tmp_path / "torch_home" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), checkpoints / Path(weights.url).name)

    # 3. the one command (shrunk: ResNet-18 instead of ResNet-50, small images), no --device
    cache = tmp_path / "cache"
    small = [
        "model=resnet18",
        "image_size=32",
        "resize=36",
        "pool=2",
        "max_dims=4",
        "n_images=2",
        "thumb_size=8",
    ]
    run = load_script("run_experiment.py")
    argv = ["class_sensitivity", "--scale", "full", "--cache-dir", str(cache)]
    assert run.main([*argv, *(a for s in small for a in ("--set", s))]) == 0
    assert "class_sensitivity (computed in" in capsys.readouterr().out

    config = ClassSensitivityConfig.for_scale("full", **dict(_parse(s) for s in small))
    assert config.device == available_device() and config.weights == "IMAGENET1K_V1"
    result = run_or_load(config, cache)
    assert result.from_cache
    found = unpack(result)
    assert found.dataset == "imagenet" and np.bincount(found.labels).tolist() == [2] * 5
    assert found.class_similarity("confusion").shape == (5, 5)


def _parse(setting: str) -> tuple[str, object]:
    key, _, value = setting.partition("=")
    return key, int(value) if value.isdigit() else value


def test_no_hard_coded_gpu_in_the_scripts_or_the_full_presets():
    """The full path runs where it can: the full presets say device="auto" (resolved to the
    GPU when there is one), and no script names cuda as a default."""
    import re

    from svcca.experiments import TrainingConfig, experiments
    from svcca.nn import available_device

    for path in SCRIPTS.glob("*.py"):
        assert not re.search(r"""default=["']cuda|device=["']cuda""", path.read_text()), path.name
    for name, cls in experiments().items():
        if issubclass(cls, TrainingConfig):
            assert cls.for_scale("full").device == available_device(), name
