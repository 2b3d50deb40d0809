"""Tests of svcca.nn.data.imagenet: the ImageNet subset from fake images, prepared from each
layout of an ImageNet download."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")


from svcca.nn import data as D  # noqa: E402

pytestmark = pytest.mark.torch


# --------------------------------------------------------------------------- ImageNet subset (fake)


def test_imagenet_subset_names_and_indices_match_torchvision():
    from torchvision.models import ResNet18_Weights

    categories = ResNet18_Weights.IMAGENET1K_V1.meta["categories"]
    for c in D.IMAGENET_SUBSET:
        assert categories[c.imagenet_index] == c.name
    wnids = [c.wnid for c in D.IMAGENET_SUBSET]
    # ILSVRC class indices follow the sorted WordNet ids
    indices = [c.imagenet_index for c in D.IMAGENET_SUBSET]
    assert [c.imagenet_index for c in sorted(D.IMAGENET_SUBSET)] == sorted(indices)
    assert len(set(wnids)) == 5


def _write_fake_images(folder: Path, names: list[str], size=(40, 30)) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(names):
        Image.new("RGB", size, color=(10 * k, 100, 200)).save(folder / name)


def test_imagenet_subset_loads_class_folders_with_imagenet_normalisation(tmp_path):
    for c in D.IMAGENET_SUBSET:
        _write_fake_images(tmp_path / c.wnid, [f"{c.wnid}_{i}.JPEG" for i in range(2)])
    ds = D.load_imagenet_subset(tmp_path, image_size=32, resize=36)
    assert len(ds) == 10 and ds.imagenet_indices == (555, 250, 248, 182, 193)
    x, _ = ds[0]
    assert x.shape == (3, 32, 32)
    wnids = [c.wnid for c in D.IMAGENET_SUBSET]
    assert all(Path(path).parent.name == wnids[label] for path, label in ds.samples)
    assert sorted(label for _, label in ds.samples) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    # a flat colour (r, 100, 200) comes back as (pixel/255 - mean) / std
    g = (100 / 255 - D.IMAGENET_MEAN[1]) / D.IMAGENET_STD[1]
    assert float(x[1].mean()) == pytest.approx(g, abs=0.02)


def test_imagenet_subset_is_found_from_the_data_folder_as_cifar_and_the_corpora_are(tmp_path):
    # data_root meant the parent folder for CIFAR-10 and the corpora, the subset itself here
    from svcca.experiments.class_sensitivity import ClassSensitivityConfig

    subset = tmp_path / "imagenet_subset"
    for c in D.IMAGENET_SUBSET:
        _write_fake_images(subset / c.wnid, [f"{c.wnid}_0.JPEG"])
    by_parent = D.load_imagenet_subset(tmp_path, image_size=16, resize=18)
    by_subset = D.load_imagenet_subset(subset, image_size=16, resize=18)
    assert by_parent.samples == by_subset.samples and len(by_parent) == 5
    for root in (tmp_path, subset):
        cfg = ClassSensitivityConfig(
            dataset="imagenet", model="resnet18", epochs=0, data_root=str(root), image_size=16
        )
        assert cfg.data_folder() == subset
        assert cfg.data_fingerprint() is not None


def test_a_data_folder_without_the_subset_is_told_to_prepare_it_beside_the_rest(tmp_path):
    # the advice said --out <data folder>, which would put the class folders beside CIFAR-10
    (tmp_path / "cifar-10-batches-py").mkdir()
    with pytest.raises(FileNotFoundError, match=rf"--out {tmp_path / 'imagenet_subset'}`"):
        D.load_imagenet_subset(tmp_path)
    with pytest.raises(FileNotFoundError, match=rf"--out {tmp_path / 'new'}`"):
        D.load_imagenet_subset(tmp_path / "new")


def test_imagenet_subset_absent_points_at_the_prepare_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="prepare_imagenet_subset.py"):
        D.load_imagenet_subset(tmp_path)


def _flat_val(tmp_path: Path) -> tuple[Path, list[str]]:
    val = tmp_path / "val"
    wnids = [c.wnid for c in D.IMAGENET_SUBSET] + ["n01440764"]  # plus one class not asked for
    truth = [wnids[k % 6] for k in range(12)]
    _write_fake_images(val, [f"ILSVRC2012_val_{k + 1:08d}.JPEG" for k in range(12)], size=(8, 8))
    return val, truth


def test_prepare_imagenet_subset_from_a_loc_solution_csv(tmp_path):
    val, truth = _flat_val(tmp_path)
    csv = tmp_path / "LOC_val_solution.csv"
    rows = [f"ILSVRC2012_val_{k + 1:08d},{w} 1 2 3 4 {w} 5 6 7 8" for k, w in enumerate(truth)]
    csv.write_text("ImageId,PredictionString\n" + "\n".join(rows) + "\n")
    out = tmp_path / "subset"
    counts = D.prepare_imagenet_subset(val, out, labels=csv)
    assert counts == {c.wnid: 2 for c in D.IMAGENET_SUBSET}
    assert sorted(p.name for p in (out / "n03345487").iterdir()) == [
        "ILSVRC2012_val_00000001.JPEG",
        "ILSVRC2012_val_00000007.JPEG",
    ]
    assert not (out / "n01440764").exists()
    assert D.prepare_imagenet_subset(val, out, labels=csv) == counts  # a rerun is harmless


def test_prepare_imagenet_subset_from_the_devkit(tmp_path):
    from scipy.io import savemat

    val, truth = _flat_val(tmp_path)
    devkit = tmp_path / "ILSVRC2012_devkit_t12"
    (devkit / "data").mkdir(parents=True)
    wnids = sorted(set(truth))
    ids = {w: i + 1 for i, w in enumerate(wnids)}
    synsets = np.zeros(len(wnids) + 1, dtype=[("ILSVRC2012_ID", "O"), ("WNID", "O"), ("num_children", "O")])
    for i, w in enumerate(wnids):
        synsets[i] = (ids[w], w, 0)
    synsets[-1] = (1001, "n00001740", 3)  # an inner node of the hierarchy: ignored
    savemat(str(devkit / "data" / "meta.mat"), {"synsets": synsets})
    gt = "\n".join(str(ids[w]) for w in truth) + "\n"
    (devkit / "data" / "ILSVRC2012_validation_ground_truth.txt").write_text(gt)
    out = tmp_path / "subset"
    counts = D.prepare_imagenet_subset(val, out, devkit=devkit, mode="symlink")
    assert counts == {c.wnid: 2 for c in D.IMAGENET_SUBSET}
    link = out / "n02110185" / "ILSVRC2012_val_00000002.JPEG"
    assert link.is_symlink() and link.resolve() == (val / link.name).resolve()


def test_prepare_imagenet_subset_from_a_folder_organised_by_class(tmp_path):
    val = tmp_path / "val"
    for c in D.IMAGENET_SUBSET[:2]:
        _write_fake_images(val / c.wnid, ["a.JPEG", "b.JPEG", "c.JPEG"], size=(8, 8))
    counts = D.prepare_imagenet_subset(val, tmp_path / "out", classes=[c.wnid for c in D.IMAGENET_SUBSET[:2]])
    assert counts == {"n03345487": 3, "n02110185": 3}


def test_prepare_imagenet_subset_errors(tmp_path):
    val, _ = _flat_val(tmp_path)
    with pytest.raises(ValueError, match="is not organised by WordNet id; pass labels="):
        D.prepare_imagenet_subset(val, tmp_path / "out")
    with pytest.raises(ValueError, match="mode must be one of 'copy', 'symlink'; got 'move'"):
        D.prepare_imagenet_subset(val, tmp_path / "out", mode="move")
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        D.prepare_imagenet_subset(tmp_path / "nope", tmp_path / "out")


# --------------------------------------------------------------------------- labels files, layouts


def _loc_rows(truth: list[str]) -> list[str]:
    return [f"ILSVRC2012_val_{k + 1:08d},{w} 1 2 3 4" for k, w in enumerate(truth)]


def test_prepare_imagenet_subset_reads_a_labels_file_saved_by_excel(tmp_path):
    # Excel writes a byte-order mark and CRLF line ends; the header used to read as "\ufeffImageId"
    val, truth = _flat_val(tmp_path)
    csv = tmp_path / "LOC_val_solution.csv"
    text = "ImageId,PredictionString\r\n" + "\r\n".join(_loc_rows(truth)) + "\r\n"
    csv.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert D.prepare_imagenet_subset(val, tmp_path / "out", labels=csv) == {
        c.wnid: 2 for c in D.IMAGENET_SUBSET
    }


def test_prepare_imagenet_subset_malformed_labels_files_name_the_problem(tmp_path):
    val, truth = _flat_val(tmp_path)
    csv = tmp_path / "LOC_val_solution.csv"
    csv.write_text("\n".join(_loc_rows(truth)) + "\n")  # no header line
    with pytest.raises(
        ValueError, match="expected the header line 'ImageId,PredictionString'; got 'ILSVRC2012"
    ):
        D.prepare_imagenet_subset(val, tmp_path / "out", labels=csv)
    rows = _loc_rows(truth)
    rows[1] = "ILSVRC2012_val_00000002,"  # an empty PredictionString, on line 3 of the file
    csv.write_text("ImageId,PredictionString\n" + "\n".join(rows) + "\n")
    with pytest.raises(
        ValueError, match=r"LOC_val_solution.csv, line 3: .* got an empty PredictionString for "
    ):
        D.prepare_imagenet_subset(val, tmp_path / "out", labels=csv)
    with pytest.raises(FileNotFoundError, match="labels file .*nope.csv not found; expected Kaggle's"):
        D.prepare_imagenet_subset(val, tmp_path / "out", labels=tmp_path / "nope.csv")
    assert not (tmp_path / "out").exists()


def test_prepare_imagenet_subset_bad_devkits_name_the_file(tmp_path):
    val, _ = _flat_val(tmp_path)
    with pytest.raises(
        FileNotFoundError, match="is not a folder; expected the extracted ILSVRC2012_devkit_t12"
    ):
        D.prepare_imagenet_subset(val, tmp_path / "out", devkit=tmp_path / "nodevkit")
    devkit = tmp_path / "devkit"
    (devkit / "data").mkdir(parents=True)
    (devkit / "data" / "meta.mat").write_text("garbage\n")
    with pytest.raises(FileNotFoundError, match="ILSVRC2012_validation_ground_truth.txt not found"):
        D.prepare_imagenet_subset(val, tmp_path / "out", devkit=devkit)
    (devkit / "data" / "ILSVRC2012_validation_ground_truth.txt").write_text("1\n")
    with pytest.raises(ValueError, match="meta.mat is not the devkit's meta.mat"):
        D.prepare_imagenet_subset(val, tmp_path / "out", devkit=devkit)


def test_prepare_imagenet_subset_an_unknown_class_of_an_organised_folder_is_named(tmp_path):
    # it used to say the folder "is not organised by WordNet id"
    val = tmp_path / "val"
    for c in D.IMAGENET_SUBSET[:2]:
        _write_fake_images(val / c.wnid, ["a.JPEG"], size=(8, 8))
    with pytest.raises(FileNotFoundError, match="has no folder for n99999999; it holds 2 class folder"):
        D.prepare_imagenet_subset(val, tmp_path / "out", classes=["n99999999"])
    with pytest.raises(
        FileNotFoundError, match="n02109961.*it holds 2 class folder\\(s\\): n02110185, n03345487"
    ):
        D.prepare_imagenet_subset(val, tmp_path / "out")  # the third default class is missing


def test_prepare_imagenet_subset_takes_only_images_and_checks_they_open(tmp_path):
    val = tmp_path / "val"
    _write_fake_images(val / "n03345487", ["a.JPEG", "b.png"], size=(8, 8))
    for junk in (".DS_Store", "Thumbs.db", "notes.txt", "._a.JPEG"):
        (val / "n03345487" / junk).write_bytes(b"x")
    out = tmp_path / "out"
    assert D.prepare_imagenet_subset(val, out, classes=["n03345487"]) == {"n03345487": 2}
    assert sorted(p.name for p in (out / "n03345487").iterdir()) == ["a.JPEG", "b.png"]
    # a truncated image is refused before anything is written, and named
    raw = (val / "n03345487" / "a.JPEG").read_bytes()
    (val / "n03345487" / "c.JPEG").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"1 file\(s\) of .* do not open as images: .*c\.JPEG \(OSError: "):
        D.prepare_imagenet_subset(val, tmp_path / "out2", classes=["n03345487"])
    assert not (tmp_path / "out2").exists()


def test_prepare_imagenet_subset_refuses_an_out_that_is_a_file(tmp_path):
    val = tmp_path / "val"
    _write_fake_images(val / "n03345487", ["a.JPEG"], size=(8, 8))
    (tmp_path / "afile").write_text("")
    with pytest.raises(NotADirectoryError, match="out .*afile is a file; expected a folder"):
        D.prepare_imagenet_subset(val, tmp_path / "afile", classes=["n03345487"])


# --------------------------------------------------------------------------- interrupted preparations


def _organised_val(tmp_path: Path, n: int = 4) -> Path:
    val = tmp_path / "val"
    for c in D.IMAGENET_SUBSET:
        _write_fake_images(val / c.wnid, [f"{k}.JPEG" for k in range(n)], size=(8, 8))
    return val


def test_an_interrupted_preparation_is_refused_until_it_is_rerun(tmp_path, monkeypatch):
    import shutil

    val, out = _organised_val(tmp_path), tmp_path / "sub"
    real, calls = shutil.copyfileobj, []

    def copy_then_ctrl_c(src, dst, *args):
        calls.append(1)
        if len(calls) == 18:  # in the middle of the fifth class
            real(src, dst, 100)
            raise KeyboardInterrupt
        return real(src, dst, *args)

    monkeypatch.setattr(shutil, "copyfileobj", copy_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        D.prepare_imagenet_subset(val, out)
    monkeypatch.setattr(shutil, "copyfileobj", real)
    assert len(list((out / "n02096294").iterdir())) == 1  # 1 of 4 images: never loaded silently
    with pytest.raises(FileNotFoundError, match=r"is incomplete: its preparation was interrupted") as exc:
        D.load_imagenet_subset(out)
    assert f"prepare_imagenet_subset.py --val-dir {val.resolve()} --out {out}" in str(exc.value)
    assert D.prepare_imagenet_subset(val, out) == {c.wnid: 4 for c in D.IMAGENET_SUBSET}
    assert len(D.load_imagenet_subset(out, image_size=8, resize=8)) == 20


def test_a_prepared_subset_that_changed_on_disk_is_refused(tmp_path):
    val, out = _organised_val(tmp_path, n=2), tmp_path / "sub"
    D.prepare_imagenet_subset(val, out, mode="symlink")
    assert len(D.load_imagenet_subset(out, image_size=8, resize=8)) == 10
    (out / "n02110185" / "1.JPEG").unlink()
    with pytest.raises(
        FileNotFoundError, match=r"1 of the 2 images of n02110185 .* missing or dangling .*1\.JPEG"
    ):
        D.load_imagenet_subset(out)
    D.prepare_imagenet_subset(val, out, mode="symlink")  # a rerun repairs it
    _write_fake_images(out / "n02110185", ["extra.JPEG"], size=(8, 8))
    with pytest.raises(ValueError, match=r"holds 1 image\(s\) that .svcca-imagenet-subset.json does not"):
        D.load_imagenet_subset(out)
    (out / "n02110185" / "extra.JPEG").unlink()
    _write_fake_images(out / "n01440764", ["a.JPEG"], size=(8, 8))  # a class folder added by hand
    with pytest.raises(FileNotFoundError, match="was prepared for the classes .* not n01440764"):
        D.load_imagenet_subset(out, classes=["n01440764"])


def test_a_prepared_subset_without_a_class_says_how_to_add_it(tmp_path):
    # the "class folder missing" advice came first: it named a nested out/imagenet_subset,
    # which the loader never reads, so following it repeated the same advice
    val, out = _organised_val(tmp_path, n=1), tmp_path / "sub"
    D.prepare_imagenet_subset(val, out, classes=["n02110185"], mode="symlink")
    with pytest.raises(
        FileNotFoundError, match=r"prepared for the classes n02110185, not n01440764; .*--out \S*sub`"
    ):
        D.load_imagenet_subset(out, classes=["n01440764"])
    # one WordNet id as a string is one class, not its characters
    assert len(D.load_imagenet_subset(out, classes="n02110185", image_size=8, resize=8)) == 1


def test_a_subset_prepared_class_by_class_keeps_every_class(tmp_path):
    val, out = _organised_val(tmp_path, n=1), tmp_path / "sub"
    wnids = [c.wnid for c in D.IMAGENET_SUBSET]
    D.prepare_imagenet_subset(val, out, classes=wnids[:2])
    D.prepare_imagenet_subset(val, out, classes=wnids[2:])
    assert len(D.load_imagenet_subset(out, image_size=8, resize=8)) == 5


def test_sixteen_bit_images_are_scaled_not_saturated(tmp_path):
    from PIL import Image

    folder = tmp_path / "n03345487"
    folder.mkdir()
    # 128 * 257 is the 16-bit value of 8-bit grey 128; PIL's own convert("RGB") gives 255
    Image.fromarray(np.full((8, 8), 128 * 257, dtype=np.uint16)).save(folder / "grey16.png")
    x, _ = D.load_imagenet_subset(tmp_path, classes=["n03345487"], image_size=8, resize=8)[0]
    pixels = x * torch.tensor(D.IMAGENET_STD).view(3, 1, 1) + torch.tensor(D.IMAGENET_MEAN).view(3, 1, 1)
    np.testing.assert_allclose(pixels.numpy(), 128 / 255, atol=1e-5)


def test_a_repeated_class_is_refused_not_given_the_wrong_label(tmp_path):
    # classes=[c, c] used to label every image of c with 1 (the last position) and report two
    # classes, the first of them empty
    _write_fake_images(tmp_path / "n03345487", ["a.JPEG"], size=(8, 8))
    fire = D.IMAGENET_SUBSET[0]
    for classes in (["n03345487", "n03345487"], [fire, "n03345487"]):
        with pytest.raises(ValueError, match="must not repeat a WordNet id; got n03345487 more than once"):
            D.load_imagenet_subset(tmp_path, classes=classes, image_size=8, resize=8)
        with pytest.raises(ValueError, match="must not repeat a WordNet id"):
            D.prepare_imagenet_subset(tmp_path, tmp_path / "sub", classes=classes)
    assert not (tmp_path / "sub").exists()


def test_a_prepared_subset_refuses_an_image_put_in_a_subfolder_of_a_class(tmp_path):
    # the loader (ImageFolder) reads class folders recursively; the check against the marker
    # used to look at the top level only, so a nested image was read as one more of the class
    val, out = _organised_val(tmp_path, n=2), tmp_path / "sub"
    D.prepare_imagenet_subset(val, out)
    _write_fake_images(out / "n02110185" / "more", ["extra.JPEG"], size=(8, 8))
    with pytest.raises(
        ValueError, match=r"n02110185 holds 1 image\(s\) that .* does not list \(more/extra\.JPEG\)"
    ):
        D.load_imagenet_subset(out)
    (out / "n02110185" / "more" / "notes.txt").write_text("")  # not an image: not read, not counted
    (out / "n02110185" / "more" / "extra.JPEG").unlink()
    assert len(D.load_imagenet_subset(out, image_size=8, resize=8)) == 10


# --------------------------------------------------------------------------- reruns


def test_a_rerun_replaces_symlinks_left_dangling_when_the_sources_moved(tmp_path):
    # the rerun used to keep every name already there, dangling links included, and mark the
    # folder "complete": the loader then refused it again, however often it was rerun
    import shutil

    val, out = _organised_val(tmp_path, n=2), tmp_path / "sub"
    D.prepare_imagenet_subset(val, out, mode="symlink")
    moved = tmp_path / "moved"
    shutil.move(val, moved)
    with pytest.raises(FileNotFoundError, match=r"2 of the 2 images of n03345487 .* dangling") as exc:
        D.load_imagenet_subset(out)
    assert f"--val-dir {val.resolve()} --symlink --out {out}" in str(exc.value)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        D.prepare_imagenet_subset(val, out, mode="symlink")  # the old folder: refused, not "complete"
    assert D.prepare_imagenet_subset(moved, out, mode="symlink") == {c.wnid: 2 for c in D.IMAGENET_SUBSET}
    assert len(D.load_imagenet_subset(out, image_size=8, resize=8)) == 10
    link = out / "n02110185" / "1.JPEG"
    assert link.is_symlink() and link.resolve() == (moved / "n02110185" / "1.JPEG").resolve()
    # moved again, then prepared as copies: the dangling links become files
    shutil.move(moved, val)
    assert D.prepare_imagenet_subset(val, out) == {c.wnid: 2 for c in D.IMAGENET_SUBSET}
    assert not link.is_symlink() and link.read_bytes() == (val / "n02110185" / "1.JPEG").read_bytes()
    assert len(D.load_imagenet_subset(out, image_size=8, resize=8)) == 10


def test_a_rerun_replaces_an_empty_file_and_keeps_the_others(tmp_path):
    val, out = _organised_val(tmp_path, n=2), tmp_path / "sub"
    D.prepare_imagenet_subset(val, out)
    kept, emptied = out / "n03345487" / "0.JPEG", out / "n03345487" / "1.JPEG"
    emptied.write_bytes(b"")
    before = kept.stat().st_mtime_ns
    D.prepare_imagenet_subset(val, out)
    assert emptied.read_bytes() == (val / "n03345487" / "1.JPEG").read_bytes()
    assert kept.stat().st_mtime_ns == before
    assert len(D.load_imagenet_subset(out, image_size=8, resize=8)) == 10


def test_a_preparation_never_marks_complete_a_folder_the_loader_refuses(tmp_path):
    # an image in a class folder that is not among the sources: the loader refuses the folder,
    # so the preparation refuses it too, before writing anything
    val, out = _organised_val(tmp_path, n=2), tmp_path / "sub"
    D.prepare_imagenet_subset(val, out)
    marker = out / ".svcca-imagenet-subset.json"
    text = marker.read_text()
    _write_fake_images(out / "n02110185", ["extra.JPEG"], size=(8, 8))
    (out / "n03345487" / "0.JPEG").unlink()
    with pytest.raises(
        ValueError, match=r"n02110185: 1 \(extra\.JPEG\)\. Remove them .* nothing was written"
    ):
        D.prepare_imagenet_subset(val, out)
    assert marker.read_text() == text and not (out / "n03345487" / "0.JPEG").exists()
    (out / "n02110185" / "extra.JPEG").unlink()
    D.prepare_imagenet_subset(val, out)
    assert len(D.load_imagenet_subset(out, image_size=8, resize=8)) == 10


def test_an_identical_rerun_writes_nothing_and_keeps_the_folder_fingerprint(tmp_path):
    # the marker used to be rewritten (same bytes, new mtime) and the fingerprint hashed its
    # mtime: every rerun of the same command discarded the experiment results cached from it
    import os

    from svcca._io import folder_fingerprint

    val, out = _organised_val(tmp_path, n=2), tmp_path / "sub"
    for mode in ("copy", "symlink"):
        D.prepare_imagenet_subset(val, out, mode=mode)
        marker = out / ".svcca-imagenet-subset.json"
        os.utime(marker, ns=(10**18, 10**18))  # a rewrite, however quick, shows in the mtime
        fingerprint = folder_fingerprint(out)
        D.prepare_imagenet_subset(val, out, mode=mode)
        assert marker.stat().st_mtime_ns == 10**18 and folder_fingerprint(out) == fingerprint
        os.utime(marker)  # and the marker's mtime is not part of the data's fingerprint
        assert folder_fingerprint(out) == fingerprint
    # an image that changes still changes the fingerprint
    fingerprint = folder_fingerprint(out)
    (out / "n03345487" / "0.JPEG").unlink()
    assert folder_fingerprint(out) != fingerprint
    D.prepare_imagenet_subset(val, out)
    assert folder_fingerprint(out) != fingerprint  # copied again: a new mtime


def test_the_rerun_asked_for_a_class_of_an_earlier_preparation_names_that_class(tmp_path):
    # the command shown was the last preparation's, which does not touch this class: rerunning
    # it left the class broken
    import shutil

    val, out = _organised_val(tmp_path, n=1), tmp_path / "sub"
    first, last = D.IMAGENET_SUBSET[0].wnid, D.IMAGENET_SUBSET[1].wnid
    D.prepare_imagenet_subset(val, out, classes=[first], mode="symlink")
    D.prepare_imagenet_subset(val, out, classes=[last], mode="symlink")
    shutil.move(val, tmp_path / "moved")
    with pytest.raises(FileNotFoundError, match=f"--classes {first} --symlink --out"):
        D.load_imagenet_subset(out, classes=[first])
    D.prepare_imagenet_subset(tmp_path / "moved", out, classes=[first], mode="symlink")
    assert len(D.load_imagenet_subset(out, classes=[first], image_size=8, resize=8)) == 1


def test_the_fingerprint_sees_images_behind_linked_class_folders(tmp_path):
    # a hand-made subset links its class folders to the full validation set; Path.rglob does
    # not descend into linked folders, so images added there left a stale cache entry valid
    import os

    from svcca._io import folder_fingerprint

    (tmp_path / "val" / "n03345487").mkdir(parents=True)
    (tmp_path / "val" / "n03345487" / "a.JPEG").write_bytes(b"a")
    (tmp_path / "subset").mkdir()
    os.symlink(tmp_path / "val" / "n03345487", tmp_path / "subset" / "n03345487")
    before = folder_fingerprint(tmp_path / "subset")
    (tmp_path / "val" / "n03345487" / "b.JPEG").write_bytes(b"b")
    assert folder_fingerprint(tmp_path / "subset") != before
    os.symlink(tmp_path / "subset", tmp_path / "subset" / "loop")  # a cycle is walked once
    assert len(folder_fingerprint(tmp_path / "subset")) == 64


def test_a_hand_made_subset_with_an_empty_class_or_bad_sizes_says_what_to_do(tmp_path):
    # torchvision's "Found no valid file for the classes n02109961." named no folder and no
    # way out; image_size=-1 failed in PIL ("Coordinate 'right' is less than 'left'")
    from PIL import Image

    wnids = ["n03345487", "n02109961"]
    for w in wnids:
        (tmp_path / w).mkdir()
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / wnids[0] / "a.JPEG")
    (tmp_path / wnids[1] / "notes.txt").write_text("not an image")
    with pytest.raises(
        FileNotFoundError, match=r"class folder\(s\) n02109961 hold no image .*prepare_imagenet"
    ):
        D.load_imagenet_subset(tmp_path, classes=wnids, image_size=4, resize=4)
    with pytest.raises(ValueError, match="image_size must be an int >= 1; got -1"):
        D.load_imagenet_subset(tmp_path, classes=wnids[:1], image_size=-1, resize=4)
    with pytest.raises(TypeError, match="image_size must be an int >= 1; got '8'"):
        D.load_imagenet_subset(tmp_path, classes=wnids[:1], image_size="8", resize=8)
    with pytest.raises(ValueError, match="resize must be at least image_size"):
        D.load_imagenet_subset(tmp_path, classes=wnids[:1], image_size=8, resize=4)


def test_importing_svcca_nn_does_not_import_torchvision():
    """torchvision (about 2 s to import) is loaded only where it is used: the image
    extensions of a subset are read from it on first use, and then agree with its list."""
    import subprocess
    import sys

    code = "import sys, svcca.nn; print('torchvision' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    from torchvision.datasets.folder import IMG_EXTENSIONS

    from svcca.nn.data.imagenet import _image_extensions

    assert _image_extensions() == tuple(IMG_EXTENSIONS)
