"""Tests of svcca.nn.data: digits split, shifts and probes, random labels, text corpora,
CIFAR-10 (fake files in the real on-disk format) and the ImageNet subset (fake images)."""

from __future__ import annotations

import hashlib
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.utils.data import Dataset, TensorDataset  # noqa: E402

from svcca.nn import data as D  # noqa: E402

pytestmark = pytest.mark.torch

ATOL32 = 1e-5


@pytest.fixture(scope="module")
def digits():
    return D.load_digits()


# --------------------------------------------------------------------------- digits


def test_digits_split_has_pilot_sizes_and_normalised_training_pixels(digits):
    x, y = digits.train.tensors
    xt, yt = digits.test.tensors
    assert (len(y), len(yt)) == (1297, 500)
    assert x.shape == (1297, 1, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert abs(float(x.mean())) < ATOL32 and abs(float(x.std()) - 1.0) < ATOL32
    # the blank pixel maps to `background`, which is also the minimum of every image
    assert float(x.min()) == pytest.approx(digits.background, abs=ATOL32)
    assert digits.n_classes == 10 and digits.input_shape == (1, 8, 8)


def test_digits_split_is_stratified(digits):
    from sklearn.datasets import load_digits as sk

    full = np.bincount(sk().target, minlength=10)
    test = np.bincount(digits.test.tensors[1].numpy(), minlength=10)
    # each class keeps its share of the 500 test images, up to rounding
    assert np.all(np.abs(test - full * 500 / full.sum()) <= 1)


def test_digits_split_is_deterministic_and_depends_on_the_seed(digits):
    again = D.load_digits()
    assert torch.equal(again.train.tensors[0], digits.train.tensors[0])
    assert torch.equal(again.test.tensors[1], digits.test.tensors[1])
    other = D.load_digits(seed=1)  # negative control
    assert not torch.equal(other.test.tensors[0], digits.test.tensors[0])


def test_digits_train_and_test_images_are_disjoint_and_cover_the_dataset(digits):
    from sklearn.datasets import load_digits as sk

    raw = D.load_digits(normalize=False)
    both = torch.cat([raw.train.tensors[0], raw.test.tensors[0]]).reshape(1797, 64).numpy() * 16
    ref = sk().images.reshape(1797, 64)
    key = lambda a: sorted(map(bytes, a.astype(np.uint8)))  # noqa: E731
    assert key(both) == key(ref)


def test_digits_upsampled_and_replicated_over_channels():
    d = D.load_digits(image_size=16, channels=3)
    x = d.train.tensors[0]
    assert x.shape == (1297, 3, 16, 16) and d.input_shape == (3, 16, 16)
    assert torch.equal(x[:, 0], x[:, 2])
    assert abs(float(x.mean())) < ATOL32


@pytest.mark.parametrize("bad", [0, -8, 2.5, "16"])
def test_digits_rejects_bad_image_size(bad):
    with pytest.raises(ValueError, match="image_size must be a positive int"):
        D.load_digits(image_size=bad)


def test_digits_rejects_bad_channels():
    with pytest.raises(ValueError, match="channels must be a positive int"):
        D.load_digits(channels=0)


def test_data_dir_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(D.DATA_ENV, str(tmp_path))
    assert D.data_dir() == tmp_path
    monkeypatch.delenv(D.DATA_ENV)
    assert D.data_dir() == Path("data")
    assert D.data_dir("elsewhere") == Path("elsewhere")


# --------------------------------------------------------------------------- shifts


@pytest.mark.parametrize("dy,dx", [(0, 0), (1, 0), (0, -2), (-1, 3), (2, 2)])
def test_cyclic_shift_equals_numpy_roll(dy, dx):
    x = torch.randn(3, 2, 6, 7, generator=torch.Generator().manual_seed(0))
    out = D.shift_images(x, dy, dx, mode="cyclic")
    np.testing.assert_array_equal(out.numpy(), np.roll(x.numpy(), (dy, dx), axis=(2, 3)))


@pytest.mark.parametrize("dy,dx", [(1, 0), (0, -2), (-1, 3), (2, 2)])
def test_fill_shift_moves_content_and_fills_the_border(dy, dx):
    x = torch.randn(2, 1, 6, 7, generator=torch.Generator().manual_seed(1))
    out = D.shift_images(x, dy, dx, fill=-9.0).numpy()
    ref = np.full_like(x.numpy(), -9.0)
    h, w = 6, 7
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                ref[..., i, j] = x.numpy()[..., i - dy, j - dx]
    np.testing.assert_array_equal(out, ref)


def test_shift_errors():
    x = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="mode must be one of 'fill', 'cyclic'; got 'wrap'"):
        D.shift_images(x, 1, 0, mode="wrap")
    with pytest.raises(ValueError, match=r"shift \(4, 0\) must be smaller than the image \(4, 4\)"):
        D.shift_images(x, 4, 0)
    with pytest.raises(
        ValueError, match=r"images must be \(n, channels, height, width\); got shape \(4, 4\)"
    ):
        D.shift_images(torch.zeros(4, 4), 1, 0)


def test_probe_set_holds_every_test_image_under_every_one_pixel_shift(digits):
    probe = digits.probe(max_shift=1)
    x, y, shifts = probe.tensors
    xt, yt = digits.test.tensors
    assert len(probe) == 4500
    assert torch.equal(y, yt.repeat(9))
    centre = 4  # (dy, dx) = (0, 0) is the middle of the 3 x 3 grid of shifts
    assert torch.equal(x[centre * 500 : (centre + 1) * 500], xt)
    assert shifts[centre * 500].tolist() == [0, 0]
    k = 500 * 5  # (0, 1)
    assert shifts[k].tolist() == [0, 1]
    assert torch.equal(x[k : k + 500], D.shift_images(xt, 0, 1, fill=digits.background))


def test_probe_set_of_a_bare_tensor_has_unknown_labels():
    p = D.probe_set(torch.zeros(2, 1, 5, 5), max_shift=2)
    assert len(p) == 50 and bool((p.tensors[1] == -1).all())


def test_random_shift_is_seeded_and_each_image_is_a_shift_of_its_input():
    x = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    aug = D.RandomShift(2, fill=-1.0)
    a = aug(x, torch.Generator().manual_seed(3))
    b = aug(x, torch.Generator().manual_seed(3))
    c = aug(x, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    shifts = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)]
    for img, out in zip(x, a):
        assert any(torch.equal(out, D.shift_images(img[None], dy, dx, fill=-1.0)[0]) for dy, dx in shifts)
    assert not torch.equal(a, x)  # negative control: something moved


def test_random_shift_rejects_bad_options():
    with pytest.raises(ValueError, match="max_shift must be an int >= 0; got -1"):
        D.RandomShift(-1)
    with pytest.raises(ValueError, match="mode must be one of 'fill', 'cyclic'"):
        D.RandomShift(1, mode="reflect")


# --------------------------------------------------------------------------- random labels


def test_random_labels_are_a_fixed_permutation(digits):
    y = digits.train.tensors[1]
    a = D.random_labels(digits.train, seed=0).tensors[1]
    b = D.random_labels(digits.train, seed=0).tensors[1]
    c = D.random_labels(digits.train, seed=1).tensors[1]
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(torch.bincount(a), torch.bincount(y))
    perm = np.random.default_rng(0).permutation(len(y))
    assert torch.equal(a, y[perm])
    assert float((a == y).float().mean()) < 0.2  # about chance (0.1), not the true labels
    assert D.random_labels(digits.train, seed=0).tensors[0] is digits.train.tensors[0]


class _ListDataset(Dataset):
    def __init__(self, xs, ys):
        self.xs, self.ys = xs, ys

    def __len__(self):
        return len(self.ys)

    def __getitem__(self, i):
        return self.xs[i], int(self.ys[i])


def test_random_labels_of_any_dataset_match_the_tensor_path(digits):
    x, y = digits.train.tensors
    generic = D.random_labels(_ListDataset(x, y), seed=5)
    tensor = D.random_labels(digits.train, seed=5)
    got = torch.tensor([int(generic[i][1]) for i in range(len(generic))])
    assert torch.equal(got, tensor.tensors[1])
    assert torch.equal(generic[3][0], x[3])


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


def _write_ptb(root: Path) -> None:
    folder = root / "ptb"
    folder.mkdir(parents=True)
    (folder / "ptb.train.txt").write_text(" the cat sat \n the dog sat \n")
    (folder / "ptb.valid.txt").write_text(" the bird sat \n")
    (folder / "ptb.test.txt").write_text(" a cat \n")


def test_ptb_word_level_uses_the_training_vocabulary(tmp_path):
    _write_ptb(tmp_path)
    c = D.load_ptb(tmp_path)
    assert set(c.vocab) == {"the", "cat", "sat", "dog", "<eos>", "<unk>"}
    assert c.decode(c.train) == "the cat sat <eos> the dog sat <eos>"
    assert c.decode(c.valid) == "the <unk> sat <eos>"  # "bird" is not in the training split
    chars = D.load_ptb(tmp_path, level="char")
    assert chars.decode(chars.test) == " a cat \n"


def test_text_corpora_absent_point_at_the_download_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="download_lm_corpora.py ptb"):
        D.load_ptb(tmp_path)
    with pytest.raises(FileNotFoundError, match="download_lm_corpora.py wikitext2"):
        D.load_wikitext2(tmp_path)


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
    c = D.load_wikitext2(data)
    assert c.decode(c.valid) == "the <unk> <eos>"
    assert not list(folder.glob(".*.tmp"))

    with pytest.raises(RuntimeError, match="could not download ptb.train.txt with md5 0{32}; tried:"):
        D.download_lm_corpus("ptb", data, sources={"ptb.train.txt": ([archive.as_uri()], "0" * 32)})
    assert not (data / "ptb" / "ptb.train.txt").exists()  # a file with the wrong checksum is never kept
    with pytest.raises(ValueError, match="name must be one of 'ptb', 'wikitext2'; got 'wt103'"):
        D.download_lm_corpus("wt103", data)


# --------------------------------------------------------------------------- CIFAR-10 (fake, real format)


def _write_fake_cifar10(root: Path, per_batch: int = 4) -> dict[str, np.ndarray]:
    """CIFAR-10's on-disk format: pickled dicts of uint8 rows (3072 = 3 x 32 x 32, channel-major)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    written = {}
    for name in [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]:
        rows = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=per_batch)]
        with open(folder / name, "wb") as fh:
            pickle.dump({"batch_label": name.encode(), "labels": labels, "data": rows, "filenames": []}, fh)
        written[name] = rows
        written[name + "_labels"] = np.array(labels)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": names, "num_cases_per_batch": per_batch, "num_vis": 3072}, fh)
    return written


def test_cifar10_reads_the_real_on_disk_format(tmp_path):
    written = _write_fake_cifar10(tmp_path)
    data = D.load_cifar10(tmp_path, verify=False)
    assert len(data.train) == 20 and len(data.test) == 4 and data.classes[0] == "airplane"
    x, y = data.test.get_batch(torch.arange(4))
    assert x.shape == (4, 3, 32, 32) and x.dtype == torch.float32
    assert torch.equal(y, torch.as_tensor(written["test_batch_labels"]))
    # pixel (c, i, j) of image k is byte c*1024 + i*32 + j of its row, normalised per channel
    raw = written["test_batch"].reshape(4, 3, 32, 32) / 255.0
    expect = (raw - np.array(data.mean)[:, None, None]) / np.array(data.std)[:, None, None]
    np.testing.assert_allclose(x.numpy(), expect, atol=ATOL32)
    xtr = torch.stack([data.train[i][0] for i in range(20)])
    assert np.allclose(xtr.double().mean(dim=(0, 2, 3)).numpy(), 0.0, atol=1e-5)


def test_cifar10_verification_rejects_files_with_the_wrong_checksum(tmp_path):
    _write_fake_cifar10(tmp_path)
    with pytest.raises(FileNotFoundError, match="incomplete or corrupted"):
        D.load_cifar10(tmp_path)


class _RunsCode:
    """Unpickling this creates ``path``: a stand-in for any code a crafted file would run."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
@pytest.mark.parametrize("where", ["labels", "top", "meta"])
def test_cifar10_never_unpickles_a_crafted_batch(tmp_path, protocol, where):
    # issue 10 item 3: verify=False used to hand the files to pickle.load
    _write_fake_cifar10(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    marker = tmp_path / "code-ran"
    boom = _RunsCode(str(marker))
    rows = np.zeros((4, 3072), dtype=np.uint8)
    if where == "labels":
        payload = {"data": rows, "labels": [0, 1, boom, 3]}
    elif where == "top":
        payload = boom
    else:
        payload = {"label_names": [boom] * 10}
    target = folder / ("batches.meta" if where == "meta" else "data_batch_3")
    target.write_bytes(pickle.dumps(payload, protocol=protocol))
    with pytest.raises(ValueError, match=r"names (builtins|io)\.open; .*never unpickles"):
        D.load_cifar10(tmp_path, verify=False)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_cifar10_reader_accepts_every_pickle_protocol(tmp_path, protocol):
    written = _write_fake_cifar10(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_2"
    rows, labels = written["data_batch_2"], [int(v) for v in written["data_batch_2_labels"]]
    batch.write_bytes(
        pickle.dumps({b"data": rows, b"labels": labels, b"batch_label": b"x"}, protocol=protocol)
    )
    data = D.load_cifar10(tmp_path, verify=False)
    assert torch.equal(data.train.targets[4:8], torch.as_tensor(labels))
    assert torch.equal(data.train.images[4:8].reshape(4, -1), torch.as_tensor(rows))


@pytest.mark.parametrize(
    "payload, message",
    [
        ([1, 2], "holds a list; expected CIFAR-10's dict"),
        ({"data": np.zeros((4, 3072), dtype=object), "labels": [0] * 4}, "not a plain numeric type"),
        ({"data": np.zeros((4, 10), dtype=np.uint8), "labels": [0] * 4}, r"\(n, 3072\); got shape \(4, 10\)"),
        ({"data": np.zeros((4, 3072), dtype=np.uint8), "labels": [0, 1, 2, 12]}, "labels in 0..9"),
    ],
)  # fmt: skip
def test_cifar10_batches_of_the_wrong_shape_are_refused(tmp_path, payload, message):
    _write_fake_cifar10(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(ValueError, match=message):
        D.load_cifar10(tmp_path, verify=False)


def test_cifar10_truncated_batch_is_a_clear_error(tmp_path):
    _write_fake_cifar10(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    batch.write_bytes(batch.read_bytes()[:500])
    with pytest.raises(ValueError, match="test_batch: .*truncated"):
        D.load_cifar10(tmp_path, verify=False)


def test_the_plain_pickle_reader_raises_only_value_errors_on_mutated_files(tmp_path):
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 256, size=(3, 16), dtype=np.uint8)
    base = pickle.dumps({"data": rows, "labels": [1, 2, 3], "batch_label": b"x", "names": ["a"]}, protocol=2)
    path = tmp_path / "batch"
    for _ in range(300):
        mutated = bytearray(base)
        for at in rng.integers(0, len(base), size=rng.integers(1, 4)):
            mutated[at] = rng.integers(0, 256)
        path.write_bytes(bytes(mutated))
        try:
            D._read_plain_pickle(path)
        except ValueError as exc:
            assert str(exc).startswith(str(path))


def test_cifar10_absent_points_at_the_download_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"CIFAR-10 not found.*data_scripts/download_cifar10.py"):
        D.load_cifar10(tmp_path)


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


def test_image_tensor_dataset_rejects_mismatched_targets():
    with pytest.raises(ValueError, match=r"got images.shape=\(2, 3, 4, 4\), targets.shape=\(3,\)"):
        D.ImageTensorDataset(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.zeros(3))


def test_tensor_dataset_targets_helper(digits):
    assert D.dataset_targets(digits.test) is digits.test.tensors[1]
    assert isinstance(digits.train, TensorDataset)
