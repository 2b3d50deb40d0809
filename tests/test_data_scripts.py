"""Tests of the data_scripts/ front doors: --help, and the offline parts run end to end."""

from __future__ import annotations

import dataclasses
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


def _local_lm_mirror(tmp_path: Path, monkeypatch) -> None:
    """Both corpora served from files on disk (file:// URLs), with their md5s put in LM_CORPORA."""
    import zipfile

    import svcca.nn.data as D

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    ptb = {}
    for split, text in {"train": " a b c \n a b \n", "valid": " a c \n", "test": " b \n"}.items():
        path = mirror / f"ptb.{split}.txt"
        path.write_text(text)
        ptb[path.name] = ([path.as_uri()], hashlib.md5(path.read_bytes()).hexdigest())
    archive = mirror / "wikitext-2-v1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for split, text in {"train": " x y \n", "valid": " x \n", "test": " y \n"}.items():
            zf.writestr(f"wikitext-2/wiki.{split}.tokens", text)
    wiki = {archive.name: ([archive.as_uri()], hashlib.md5(archive.read_bytes()).hexdigest())}
    monkeypatch.setitem(D.LM_CORPORA, "ptb", {**D.LM_CORPORA["ptb"], "files": ptb})
    monkeypatch.setitem(D.LM_CORPORA, "wikitext2", {**D.LM_CORPORA["wikitext2"], "files": wiki})


def test_download_lm_corpora_script_offline_with_a_local_mirror(tmp_path, monkeypatch, capsys):
    import svcca.nn.data as D

    _local_lm_mirror(tmp_path, monkeypatch)
    script = load_script("download_lm_corpora.py")
    assert script.main(["ptb", "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "ptb ready in" in out and "vocabulary 5" in out and "sha256" in out
    assert D.load_ptb(tmp_path / "data").decode(D.load_ptb(tmp_path / "data").test) == "b <eos>"


def test_scripts_reject_unknown_arguments(capsys):
    script = load_script("download_lm_corpora.py")
    with pytest.raises(SystemExit) as exc:
        script.main(["imagenet"])
    assert exc.value.code == 2  # a usage error
    assert "invalid choice: 'imagenet'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        load_script("prepare_imagenet_subset.py").main(["--classes", "n03345487"])
    assert exc.value.code == 2 and "--val-dir" in capsys.readouterr().err


def test_download_lm_corpora_without_a_corpus_downloads_both(tmp_path, monkeypatch, capsys):
    # the README's command names no corpus; argparse used to check the default ["all"]
    # against the choices and refuse it ("invalid choice: ['all']") on some Python versions
    _local_lm_mirror(tmp_path, monkeypatch)
    script = load_script("download_lm_corpora.py")
    assert script.main(["--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "ptb ready in" in out and "wikitext2 ready in" in out
    assert script.main(["all", "ptb", "--data-dir", str(tmp_path / "data")]) == 0  # each corpus once
    assert capsys.readouterr().out.count("ready in") == 2


class _FakeResponse:
    """What urllib.request.urlopen returns, serving ``data``."""

    def __init__(self, url: str, data: bytes) -> None:
        import io

        self.url, self.length, self._buf = url, len(data), io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._buf.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False


def _fake_network(monkeypatch, mode: str) -> None:
    import urllib.error
    import urllib.request

    def urlopen(request, *args, **kwargs):
        url = getattr(request, "full_url", request)
        if mode == "offline":
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        return _FakeResponse(url, b"an error page from a proxy, not the archive")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


def _one_error_line(capsys, prog: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    # a download's progress bar may come first (tqdm, ending in "\r" or "\n"); then one line
    last = err.rstrip("\n").replace("\r", "\n").split("\n")[-1]
    assert err.endswith("\n") and last.startswith(f"{prog}: error: ") and err.count(": error: ") == 1, err
    return last


def test_download_cifar10_offline_is_one_line_naming_the_url(tmp_path, monkeypatch, capsys):
    _fake_network(monkeypatch, "offline")
    assert load_script("download_cifar10.py").main(["--data-dir", str(tmp_path / "data")]) == 1
    err = _one_error_line(capsys, "download_cifar10.py")
    assert "could not download https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in err
    assert "Temporary failure in name resolution" in err and "copy cifar-10-python.tar.gz into" in err


def test_download_cifar10_wrong_checksum_names_the_url_and_both_md5s_and_writes_nothing(
    tmp_path, monkeypatch, capsys
):
    from torchvision.datasets import CIFAR10

    _fake_network(monkeypatch, "proxy page")
    assert load_script("download_cifar10.py").main(["--data-dir", str(tmp_path / "data")]) == 1
    err = _one_error_line(capsys, "download_cifar10.py")
    got = hashlib.md5(b"an error page from a proxy, not the archive").hexdigest()
    assert f"the download of {CIFAR10.url} fails its md5 check: expected {CIFAR10.tgz_md5}, got {got}" in err
    # the bad bytes never took the archive's name, and no temporary file is left behind
    assert not (tmp_path / "data" / "cifar-10-python.tar.gz").exists()
    assert [p.name for p in (tmp_path / "data").iterdir()] == []


def _fake_cifar10_archive(tmp_path: Path) -> bytes:
    import io
    import tarfile

    from conftest import write_fake_cifar10

    write_fake_cifar10(tmp_path / "src")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return buf.getvalue()


def _serve(monkeypatch, payload: bytes, fail_after: int | None = None) -> None:
    import urllib.request

    class Response(_FakeResponse):
        def read(self, n: int = -1) -> bytes:
            if fail_after is not None and self._buf.tell() >= fail_after:
                raise ConnectionResetError(104, "Connection reset by peer")
            return super().read(n)

    monkeypatch.setattr(
        urllib.request, "urlopen", lambda request, *a, **k: Response(request.full_url, payload)
    )


def _fake_published_md5s(monkeypatch, archive: bytes, root: Path) -> None:
    """Make the fake archive and its batches the 'published' ones, as the real files are."""
    from torchvision.datasets import CIFAR10

    from svcca.nn.data import cifar

    monkeypatch.setattr(CIFAR10, "tgz_md5", hashlib.md5(archive).hexdigest())
    folder = root / "src" / "cifar-10-batches-py"
    sums = {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in cifar._CIFAR10_MD5}
    monkeypatch.setattr(cifar, "_CIFAR10_MD5", sums)


def test_download_cifar10_end_to_end_on_a_fake_archive_in_the_real_format(tmp_path, monkeypatch, capsys):
    archive = _fake_cifar10_archive(tmp_path)
    _fake_published_md5s(monkeypatch, archive, tmp_path)
    _serve(monkeypatch, archive)
    data = tmp_path / "data"
    assert load_script("download_cifar10.py").main(["--data-dir", str(data)]) == 0
    assert "CIFAR-10 ready in" in capsys.readouterr().out
    assert sorted(p.name for p in data.iterdir()) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]
    from svcca.nn.data import load_cifar10

    assert len(load_cifar10(data).train) == 20
    # offline afterwards: the archive there is used, nothing fetched
    _fake_network(monkeypatch, "offline")
    (data / "cifar-10-batches-py" / "test_batch").unlink()
    assert load_script("download_cifar10.py").main(["--data-dir", str(data)]) == 0


def test_an_interrupted_cifar10_download_leaves_no_partial_archive(tmp_path, monkeypatch, capsys):
    archive = _fake_cifar10_archive(tmp_path)
    _fake_published_md5s(monkeypatch, archive, tmp_path)
    _serve(monkeypatch, archive, fail_after=len(archive) // 2)
    data = tmp_path / "data"
    assert load_script("download_cifar10.py").main(["--data-dir", str(data)]) == 1
    err = _one_error_line(capsys, "download_cifar10.py")
    assert "could not download" in err and "Connection reset by peer" in err
    assert list(data.iterdir()) == []


def test_download_cifar10_offline_names_a_hand_copied_archive_that_fails_its_md5(
    tmp_path, monkeypatch, capsys
):
    # offline with a copy put there by hand (as the docstring advises) that is truncated: the
    # error used to say only "copy cifar-10-python.tar.gz into the folder", which was done
    from torchvision.datasets import CIFAR10

    _fake_network(monkeypatch, "offline")
    archive = tmp_path / "data" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(b"half an archive")
    assert load_script("download_cifar10.py").main(["--data-dir", str(tmp_path / "data")]) == 1
    err = _one_error_line(capsys, "download_cifar10.py")
    got = hashlib.md5(b"half an archive").hexdigest()
    assert "Temporary failure in name resolution" in err
    expected = f"{archive} fails its md5 check: expected {CIFAR10.tgz_md5}, got {got}"
    assert f"the copy there now will not do: {expected}" in err
    assert archive.read_bytes() == b"half an archive"


def test_download_lm_corpora_offline_is_one_line(tmp_path, monkeypatch, capsys):
    _fake_network(monkeypatch, "offline")
    assert load_script("download_lm_corpora.py").main(["ptb", "--data-dir", str(tmp_path / "data")]) == 1
    err = _one_error_line(capsys, "download_lm_corpora.py")
    assert (
        "could not download ptb.train.txt with md5 f26c4b92c5fdc7b3f8c7cdcb991d8420; tried: https://" in err
    )
    assert "URLError" in err and "Check the internet connection" in err


@pytest.mark.parametrize("name", ["download_cifar10.py", "download_lm_corpora.py"])
def test_download_scripts_refuse_a_file_in_place_of_the_data_folder(tmp_path, monkeypatch, capsys, name):
    _fake_network(monkeypatch, "offline")  # nothing must be fetched
    afile = tmp_path / "afile"
    afile.write_text("")
    assert load_script(name).main(["--data-dir", str(afile)]) == 1
    err = _one_error_line(capsys, name)
    assert str(afile) in err and (
        "is a file; expected a folder" in err or "a file stands where a folder" in err
    )


def _prepare_errors_setup(tmp_path: Path) -> dict[str, Path]:
    from PIL import Image

    organised = tmp_path / "organised" / "n03345487"
    organised.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(organised / "a.JPEG")
    (tmp_path / "organised" / "n02110185").mkdir()  # a class folder with no image
    (tmp_path / "organised" / "n02110185" / "notes.txt").write_text("x")
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.new("RGB", (8, 8)).save(flat / "ILSVRC2012_val_00000001.JPEG")
    (tmp_path / "broken" / "n03345487").mkdir(parents=True)
    (tmp_path / "broken" / "n03345487" / "a.JPEG").write_bytes(b"not a jpeg")
    (tmp_path / "devkit" / "data").mkdir(parents=True)
    (tmp_path / "devkit" / "data" / "meta.mat").write_text("garbage\n")
    (tmp_path / "devkit" / "data" / "ILSVRC2012_validation_ground_truth.txt").write_text("1\n")
    (tmp_path / "afile").write_text("")
    return {"tmp": tmp_path}


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--val-dir", "{tmp}/nope"], ["val_dir {tmp}/nope is not a folder"]),
        (["--val-dir", "{tmp}/flat"], ["is not organised by WordNet id; pass labels="]),
        (["--val-dir", "{tmp}/flat", "--labels", "{tmp}/nope.csv"], ["labels file {tmp}/nope.csv not found"]),
        (["--val-dir", "{tmp}/flat", "--devkit", "{tmp}/none"], ["devkit {tmp}/none is not a folder"]),
        (["--val-dir", "{tmp}/flat", "--devkit", "{tmp}/devkit"], ["meta.mat is not the devkit's meta.mat"]),
        (["--val-dir", "{tmp}/organised", "--classes", "n99999999"],
         ["has no folder for n99999999; it holds 2 class folder(s): n02110185, n03345487"]),
        (["--val-dir", "{tmp}/organised", "--classes", "n02110185"], ["no image file", "n02110185"]),
        (["--val-dir", "{tmp}/broken", "--classes", "n03345487"],
         ["do not open as images: {tmp}/broken/n03345487/a.JPEG", "nothing was written"]),
        (["--val-dir", "{tmp}/organised", "--classes", "n03345487", "--out", "{tmp}/afile"],
         ["out {tmp}/afile is a file; expected a folder"]),
    ],
)  # fmt: skip
def test_prepare_imagenet_subset_errors_are_one_line(tmp_path, capsys, argv, words):
    _prepare_errors_setup(tmp_path)
    argv = [a.format(tmp=tmp_path) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    assert load_script("prepare_imagenet_subset.py").main(argv) == 1
    err = _one_error_line(capsys, "prepare_imagenet_subset.py")
    for w in words:
        assert w.format(tmp=tmp_path) in err
    assert not (tmp_path / "out").exists()  # a refused run writes nothing


def _flat_val_with_labels(root: Path, per_class: int = 2) -> tuple[Path, Path]:
    """Flat ``ILSVRC2012_val_*.JPEG`` files of the five classes plus Kaggle's LOC_val_solution.csv."""
    from PIL import Image

    from svcca.nn.data import IMAGENET_SUBSET

    val = root / "val"
    val.mkdir(parents=True)
    rows = []
    for k, c in enumerate(list(IMAGENET_SUBSET) * per_class):
        name = f"ILSVRC2012_val_{k + 1:08d}"
        Image.new("RGB", (12, 10), color=(k, 2, 3)).save(val / f"{name}.JPEG")
        rows.append(f"{name},{c.wnid} 1 2 3 4")
    labels = root / "LOC_val_solution.csv"
    labels.write_text("ImageId,PredictionString\n" + "\n".join(rows) + "\n")
    return val, labels


def test_prepare_script_rerun_repairs_the_symlinks_a_moved_val_dir_left_dangling(tmp_path, capsys):
    # the rerun the loader asks for used to print "ready" and exit 0, keeping the dangling
    # links and marking the folder complete: the loader then refused it again, forever
    import shutil

    from svcca.nn.data import load_imagenet_subset

    val, labels = _flat_val_with_labels(tmp_path)
    out = tmp_path / "subset"
    script = load_script("prepare_imagenet_subset.py")
    argv = ["--labels", str(labels), "--out", str(out)]
    assert script.main(["--val-dir", str(val), *argv, "--symlink"]) == 0
    moved = tmp_path / "val2"
    shutil.move(val, moved)
    with pytest.raises(FileNotFoundError, match=r"missing or dangling symlinks .* Rerun `"):
        load_imagenet_subset(out, image_size=8, resize=8)
    capsys.readouterr()
    assert script.main(["--val-dir", str(val), *argv, "--symlink"]) == 1  # the old folder is gone
    assert "is not a folder" in _one_error_line(capsys, "prepare_imagenet_subset.py")
    assert script.main(["--val-dir", str(moved), *argv, "--symlink"]) == 0
    assert "ImageNet subset ready" in capsys.readouterr().out
    assert len(load_imagenet_subset(out, image_size=8, resize=8)) == 10
    shutil.move(moved, val)  # moved back, and prepared as copies this time
    assert script.main(["--val-dir", str(val), *argv]) == 0
    assert len(load_imagenet_subset(out, image_size=8, resize=8)) == 10
    assert not any(p.is_symlink() for p in out.rglob("*.JPEG"))


def test_rerunning_the_same_prepare_command_keeps_the_cached_results_valid(tmp_path, capsys):
    # the rerun rewrote the marker with the same bytes and a new mtime, which changed the data
    # fingerprint: the full-scale results cached from the subset were computed again
    import os

    from svcca.experiments.class_sensitivity import ClassSensitivityConfig

    val, labels = _flat_val_with_labels(tmp_path)
    out = tmp_path / "subset"
    argv = ["--val-dir", str(val), "--labels", str(labels), "--out", str(out)]
    script = load_script("prepare_imagenet_subset.py")
    assert script.main(argv) == 0
    config = ClassSensitivityConfig.for_scale("full", data_root=str(out), device="cpu")
    marker = out / ".svcca-imagenet-subset.json"
    os.utime(marker, ns=(10**18, 10**18))  # so that a rewrite shows, however quick
    before = config.data_fingerprint()
    assert script.main(argv) == 0
    assert marker.stat().st_mtime_ns == 10**18 and config.data_fingerprint() == before
    image = next((out / "n03345487").iterdir())
    image.write_bytes(image.read_bytes() + b"\0")  # a rewritten image still counts
    assert config.data_fingerprint() != before
    capsys.readouterr()


def _cache_write_error(capsys) -> str:
    out, err = capsys.readouterr()
    assert "(computed in" not in out and "None" not in out  # never reported as if it were kept
    assert "Traceback" not in err and "CacheWriteWarning" not in err, err
    assert err.count("\n") == 1 and err.startswith("run_experiment.py: error: "), err
    return err


def test_run_experiment_on_a_full_cache_folder_is_an_error_not_a_result_kept_nowhere(
    tmp_path, monkeypatch, capsys
):
    # it printed "learning_dynamics.mlp (computed in 1.9 s): None" and exited 0
    import errno

    import svcca.experiments._cache as cache_module

    def full_disk(path, arrays):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(cache_module, "_atomic_savez", full_disk)
    cache = tmp_path / "cache"
    argv = ["learning_dynamics.mlp", "--scale", "tiny", "--cache-dir", str(cache)]
    assert load_script("run_experiment.py").main(argv) == 1
    err = _cache_write_error(capsys)
    assert "learning_dynamics.mlp was computed in " in err
    assert f"could not be written to the cache folder {cache} (No space left on device: '{cache}" in err
    assert "so it was not saved. Free space there, or pass --cache-dir a writable folder" in err


@pytest.mark.parametrize("how", ["under a file", "read-only"])
def test_run_experiment_on_an_unwritable_cache_folder_stops_before_the_run(
    tmp_path, monkeypatch, capsys, how
):
    import os

    import svcca.experiments._cache as cache_module

    if how == "under a file":
        (tmp_path / "afile").write_text("")
        cache = tmp_path / "afile" / "cache"
    else:
        cache = tmp_path / "cache"
        cache.mkdir()
        cache.chmod(0o555)
        if os.access(cache, os.W_OK):
            cache.chmod(0o755)
            pytest.skip("running as root: a read-only mode does not stop the writes")

    def never(*args, **kwargs):
        raise AssertionError("the experiment ran, though its result could not be kept")

    monkeypatch.setattr(cache_module, "_check_arrays", never)  # called on what the run returns
    try:
        argv = ["learning_dynamics.mlp", "--scale", "tiny", "--cache-dir", str(cache)]
        assert load_script("run_experiment.py").main(argv) == 1
    finally:
        if how == "read-only":
            cache.chmod(0o755)
    err = _cache_write_error(capsys)
    assert f"the result of learning_dynamics.mlp could not be written to the cache folder {cache} (" in err
    assert "so it was not run. Pass --cache-dir a writable folder (or set SVCCA_CACHE_DIR)" in err


def test_run_data_script_reports_os_errors_with_a_hint_and_ctrl_c_as_130(capsys):
    import errno

    from svcca.nn.data import run_data_script

    def denied() -> int:
        raise PermissionError(errno.EACCES, "Permission denied", "/ro/data")

    assert run_data_script("x.py", denied) == 1
    err = capsys.readouterr().err
    hint = "check the permissions of that path, or choose another folder"
    assert err == f"x.py: error: Permission denied: '/ro/data'; {hint}\n"

    def multiline() -> int:
        raise RuntimeError("first\n  second")

    assert run_data_script("x.py", multiline) == 1
    assert capsys.readouterr().err == "x.py: error: first; second\n"

    def interrupted() -> int:
        raise KeyboardInterrupt

    assert run_data_script("x.py", interrupted) == 130
    assert capsys.readouterr().err.startswith("x.py: interrupted")

    def bug() -> int:
        raise KeyError("a bug keeps its traceback")

    with pytest.raises(KeyError):
        run_data_script("x.py", bug)


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
    assert sorted(p.name for p in (data / "imagenet_subset").iterdir() if p.is_dir()) == sorted(
        c.wnid for c in IMAGENET_SUBSET
    )
    assert (data / "imagenet_subset" / ".svcca-imagenet-subset.json").is_file()  # the completion marker

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
        "pool=1",  # layer4 of a 32-pixel input is 1x1: a coarser grid cannot be pooled to
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


def test_run_experiment_shifts_every_experiments_seeds_by_the_environments_offset(
    tmp_path, monkeypatch, capsys
):
    # SVCCA_SEED_OFFSET shifted the book's names (learning_dynamics.conv) but not registry
    # names (seed_pair): a variant run computed the unshifted networks without a word
    from svcca.experiments import run_or_load
    from svcca.experiments.seed_pair import SeedPairConfig

    monkeypatch.setenv("SVCCA_SEED_OFFSET", "3")
    cache = tmp_path / "cache"
    argv = ["seed_pair", "--scale", "tiny", "--cache-dir", str(cache), "--set", "epochs=1"]
    assert load_script("run_experiment.py").main(argv) == 0
    out = capsys.readouterr().out
    assert "seeds shifted by SVCCA_SEED_OFFSET=3" in out
    shifted = dataclasses.replace(SeedPairConfig.for_scale("tiny").with_seed_offset(3), epochs=1)
    assert shifted.seeds != SeedPairConfig.for_scale("tiny").seeds
    loaded = run_or_load(shifted, cache)
    assert loaded.from_cache  # the run stored exactly the shifted config
    # device and threads are not part of the identity, so the entry says what computed it
    assert loaded.manifest["computed_with"] == {"device": "cpu", "num_threads": 1}
    assert load_script("run_experiment.py").main(argv) == 0
    assert (
        "(loaded from cache, computed with device=cpu, num_threads=1, seeds shifted by SVCCA_SEED_OFFSET=3)"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize("force", [False, True])
def test_run_experiment_interrupted_says_where_the_trained_networks_are_kept(
    tmp_path, monkeypatch, capsys, force
):
    # Ctrl-C said "rerun the same command to finish" while the rerun started from zero; then
    # it said the networks were kept when none was yet
    import importlib

    from svcca.experiments import book_config

    train_module = importlib.import_module("svcca.nn.train")
    real = train_module._loss_and_correct
    calls = []

    def counted(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(train_module, "_loss_and_correct", counted)
    counting = ["seed_pair", "--scale", "tiny", "--cache-dir", str(tmp_path / "counting")]
    assert load_script("run_experiment.py").main(counting) == 0
    capsys.readouterr()
    total, calls[:] = len(calls), []

    def interrupt_in_second_network(*args):
        calls.append(1)
        if len(calls) > total // 2 + 1:  # two networks of one size: inside the second
            raise KeyboardInterrupt
        return real(*args)

    def interrupt_at_once(*args):
        raise KeyboardInterrupt

    cache = tmp_path / "cache"
    argv = ["seed_pair", "--scale", "tiny", "--cache-dir", str(cache)] + (["--force"] if force else [])
    monkeypatch.setattr(train_module, "_loss_and_correct", interrupt_at_once)
    assert load_script("run_experiment.py").main(argv) == 130
    assert capsys.readouterr().err == (
        "run_experiment.py: interrupted before any network was kept; rerun the same command to start again\n"
    )
    monkeypatch.setattr(train_module, "_loss_and_correct", interrupt_in_second_network)
    assert load_script("run_experiment.py").main(argv) == 130
    cfg = book_config("seed_pair", scale="tiny")
    partial = cache / f"seed_pair-{cfg.key()[:20]}.partial"
    assert partial.is_dir()
    kept = f"the networks trained so far are kept in {partial}: rerun the same command to continue"
    assert capsys.readouterr().err == f"run_experiment.py: interrupted; {kept}\n"


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_extract_archive_refuses_unsafe_members_and_extracts_nothing(tmp_path, kind):
    import io
    import tarfile

    from svcca.nn.data import extract_archive

    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tf:
        ok = tarfile.TarInfo("folder/fine.txt")
        ok.size = 2
        tf.addfile(ok, io.BytesIO(b"ok"))
        bad = tarfile.TarInfo({"dotdot": "../escape.txt", "absolute": "/escape.txt"}.get(kind, "link"))
        if kind == "symlink":
            bad.type, bad.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tf.addfile(bad)
        else:
            bad.size = 2
            tf.addfile(bad, io.BytesIO(b"no"))
    dest = tmp_path / "dest"
    with pytest.raises(RuntimeError, match="unsafe path|link or device"):
        extract_archive(archive, dest)
    assert list(dest.iterdir()) == [] and not (tmp_path / "escape.txt").exists()
