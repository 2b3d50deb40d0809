"""Tests of svcca.nn.data.cifar: fake files in the real on-disk format, and the plain-pickle
reader that never unpickles objects."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")


from conftest import write_fake_cifar10  # noqa: E402
from svcca.nn import data as D  # noqa: E402

pytestmark = pytest.mark.torch

ATOL32 = 1e-5


# --------------------------------------------------------------------------- CIFAR-10 (fake, real format)


def test_cifar10_reads_the_real_on_disk_format(tmp_path):
    written = write_fake_cifar10(tmp_path)
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
    write_fake_cifar10(tmp_path)
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
    write_fake_cifar10(tmp_path)
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
    written = write_fake_cifar10(tmp_path)
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
        ({"data": np.zeros((4, 3072), dtype=np.uint8), "labels": [0, True, 2, 3]}, "a list of integers"),
    ],
)  # fmt: skip
def test_cifar10_batches_of_the_wrong_shape_are_refused(tmp_path, payload, message):
    write_fake_cifar10(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(ValueError, match=message):
        D.load_cifar10(tmp_path, verify=False)


def test_cifar10_truncated_batch_is_a_clear_error(tmp_path):
    write_fake_cifar10(tmp_path)
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
            D.cifar._read_plain_pickle(path)
        except ValueError as exc:
            assert str(exc).startswith(str(path))


def test_cifar10_absent_points_at_the_download_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"CIFAR-10 not found.*data_scripts/download_cifar10.py"):
        D.load_cifar10(tmp_path)


def test_an_empty_stand_in_written_with_protocol_2_is_read_not_called_unsafe(tmp_path):
    # protocol 2 writes b"" (an empty array's data) as a call of bytes(): it was refused as
    # "names __builtin__.bytes ... svcca never unpickles anything else"
    written = write_fake_cifar10(tmp_path, per_batch=0)
    folder = tmp_path / "cifar-10-batches-py"
    for name in [f"data_batch_{i}" for i in range(1, 6)]:
        with open(folder / name, "wb") as fh:
            pickle.dump({"labels": [], "data": written[name], "batch_label": b""}, fh, protocol=2)
    with pytest.raises(ValueError, match="holds 0 training"):
        D.load_cifar10(tmp_path, verify=False)


@pytest.mark.parametrize("what", ["constant", "empty"])
def test_a_stand_in_that_cannot_be_normalised_is_refused(tmp_path, what):
    # a constant stand-in loaded with std 0 (every image NaN), an empty one with NaN mean
    written = write_fake_cifar10(tmp_path, per_batch=0 if what == "empty" else 4)
    if what == "constant":
        folder = tmp_path / "cifar-10-batches-py"
        for name in [f"data_batch_{i}" for i in range(1, 6)]:
            rows = np.full_like(written[name], 7)
            with open(folder / name, "wb") as fh:
                pickle.dump({"labels": written[name + "_labels"].tolist(), "data": rows}, fh)
    with pytest.raises(ValueError, match="constant over all 20 training images|holds 0 training"):
        D.load_cifar10(tmp_path, verify=False)
