"""Tests of svcca.nn.data.images (and the data folder): digits split, shifts and probes,
random labels, image tensor datasets."""

from __future__ import annotations

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


def test_image_tensor_dataset_rejects_mismatched_targets():
    with pytest.raises(ValueError, match=r"got images.shape=\(2, 3, 4, 4\), targets.shape=\(3,\)"):
        D.ImageTensorDataset(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.zeros(3))


def test_image_tensor_dataset_items_match_the_batch_path_for_every_index():
    # ds[-1] used to slice images[-1:0] (empty) and fail; ds[n] failed with "index 0 is out of bounds"
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (3, 2, 4, 5), dtype=torch.uint8, generator=g)
    ds = D.ImageTensorDataset(images, torch.tensor([4, 5, 6]), mean=(0.5, 0.25), std=(0.2, 0.1))
    x, y = ds.get_batch(torch.arange(3))
    expect = (images.double() / 255 - torch.tensor([0.5, 0.25]).view(2, 1, 1)) / torch.tensor(
        [0.2, 0.1]
    ).view(2, 1, 1)
    torch.testing.assert_close(x.double(), expect, atol=1e-5, rtol=0)
    for i in (0, 2, -1, -3):
        xi, yi = ds[i]
        assert torch.equal(xi, x[i]) and int(yi) == int(y[i])
    with pytest.raises(IndexError, match="index 3 is out of bounds"):
        ds[3]


def test_tensor_dataset_targets_helper(digits):
    assert D.dataset_targets(digits.test) is digits.test.tensors[1]
    assert isinstance(digits.train, TensorDataset)
