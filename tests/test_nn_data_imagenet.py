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
