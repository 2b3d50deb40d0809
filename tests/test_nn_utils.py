"""svcca.nn.utils: thread limits, datasets as tensors, and the one position sampler."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
threadpoolctl = pytest.importorskip("threadpoolctl")

from torch.utils.data import Dataset, TensorDataset  # noqa: E402

from svcca.nn import (  # noqa: E402
    as_tensors,
    get_items,
    limit_threads,
    load_state_arrays,
    sample_positions,
    state_arrays,
    take,
    take_positions,
)

pytestmark = pytest.mark.torch


# --------------------------------------------------------------------------- limit_threads


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]


def test_limit_threads_limits_torch_and_blas_and_restores_both():
    torch_before, blas_before = torch.get_num_threads(), _blas_threads()
    with limit_threads(1):
        assert torch.get_num_threads() == 1
        assert all(n == 1 for n in _blas_threads())
    assert torch.get_num_threads() == torch_before
    assert _blas_threads() == blas_before


def test_limit_threads_restores_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"), limit_threads(1):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_limit_threads_none_changes_nothing():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with limit_threads(None):
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("bad", "error"), [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_limit_threads_refuses_what_is_not_a_thread_count(bad, error):
    with pytest.raises(error, match=rf"n must be None or an int >= 1; got {bad!r}"):
        with limit_threads(bad):
            pass  # pragma: no cover


# --------------------------------------------------------------------------- datasets as tensors


class _Items(Dataset):
    """A dataset with neither tensors nor get_batch: items one by one."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return torch.full((2,), float(i)), i % 3


class _Batched(_Items):
    """A dataset with get_batch (as the image datasets of svcca.nn.data)."""

    def get_batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return idx.to(torch.float32)[:, None].repeat(1, 2), idx % 3


@pytest.mark.parametrize("kind", ["tensors", "items", "batched"])
def test_as_tensors_and_take_agree_on_every_kind_of_dataset(kind):
    x_all = torch.arange(7.0)[:, None].repeat(1, 2)
    y_all = torch.arange(7) % 3
    ds = {"tensors": TensorDataset(x_all, y_all), "items": _Items(7), "batched": _Batched(7)}[kind]
    x, y = as_tensors(ds)
    assert torch.equal(x, x_all) and torch.equal(y, y_all)
    first = take(ds, 4)
    assert isinstance(first, TensorDataset) and len(first) == 4
    assert torch.equal(first.tensors[0], x_all[:4]) and torch.equal(first.tensors[1], y_all[:4])
    assert take(ds, None) is ds and take(ds, 7) is ds and take(ds, 70) is ds


@pytest.mark.parametrize("kind", ["tensors", "items", "batched"])
def test_get_items_reads_any_index_in_its_order(kind):
    x_all = torch.arange(7.0)[:, None].repeat(1, 2)
    ds = {"tensors": TensorDataset(x_all, torch.arange(7) % 3), "items": _Items(7), "batched": _Batched(7)}[
        kind
    ]
    x, y = get_items(ds, torch.tensor([5, 0, 5]))
    assert torch.equal(x, x_all[[5, 0, 5]]) and y.tolist() == [2, 0, 2]


@pytest.mark.parametrize(
    ("bad", "error"), [(0, ValueError), (-3, ValueError), (2.0, TypeError), (True, TypeError)]
)
def test_take_refuses_what_is_not_a_count(bad, error):
    with pytest.raises(error, match=rf"n must be None or an int >= 1; got {bad!r}"):
        take(TensorDataset(torch.zeros(3, 1), torch.zeros(3)), bad)


# --------------------------------------------------------------------------- positions


def test_sample_positions_draws_distinct_positions_per_image_from_the_seed():
    pos = sample_positions(50, 16, 5, rng=[3, 1])
    assert pos.shape == (50, 5) and pos.dtype == np.int64
    assert pos.min() >= 0 and pos.max() < 16
    assert all(len(set(row)) == 5 for row in pos)
    np.testing.assert_array_equal(pos, sample_positions(50, 16, 5, rng=[3, 1]))
    assert not np.array_equal(pos, sample_positions(50, 16, 5, rng=[3, 2]))  # negative control
    # every position is drawn about equally often (uniform choice): 50 * 5 / 16 ~ 15.6 each
    counts = np.bincount(pos.ravel(), minlength=16)
    assert counts.min() > 3 and counts.max() < 35


def test_sample_positions_keeps_all_positions_in_a_random_order_or_sorted():
    every = sample_positions(4, 9, None, rng=0)
    np.testing.assert_array_equal(np.sort(every, axis=1), np.tile(np.arange(9), (4, 1)))
    assert not np.array_equal(every, np.sort(every, axis=1))  # a random order, not raster
    capped = sample_positions(4, 9, 100, rng=0)
    np.testing.assert_array_equal(capped, every)  # per_image above the grid keeps all
    sorted_ = sample_positions(4, 9, 3, rng=0, sort=True)
    np.testing.assert_array_equal(sorted_, np.sort(sample_positions(4, 9, 3, rng=0), axis=1))


def test_the_sampler_continues_a_stream_batch_by_batch():
    # a sink draws once for all images and slices per batch: the slice of a batch is
    # the same as the rows of those images in one draw
    pos = sample_positions(10, 16, 3, rng=[0, 2])
    np.testing.assert_array_equal(np.concatenate([pos[:4], pos[4:]]), pos)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((-1, 4, 2), r"n_images must be an int >= 0; got -1"),
        ((3, 0, 2), r"n_positions must be an int >= 1; got 0"),
        ((3, 4, 0), r"per_image must be None or an int >= 1; got 0"),
    ],
)
def test_sample_positions_refuses_bad_sizes(args, match):
    with pytest.raises(ValueError, match=match):
        sample_positions(*args, rng=0)


def test_take_positions_picks_the_rows_of_each_image_numpy_and_torch_alike():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 3, 4, 5))
    pos = sample_positions(6, 12, 4, rng=1)
    got = take_positions(A, pos)
    # oracle: loop over images and positions, y = p // width, x = p % width
    expected = np.array([A[i, p // 4, p % 4] for i in range(6) for p in pos[i]])
    np.testing.assert_array_equal(got, expected)
    from_torch = take_positions(torch.from_numpy(A), pos)
    assert isinstance(from_torch, torch.Tensor)
    np.testing.assert_array_equal(from_torch.numpy(), expected)


def test_take_positions_says_what_shape_it_needs():
    with pytest.raises(ValueError, match=r"A must be conv activations .* got shape \(6, 5\)"):
        take_positions(np.zeros((6, 5)), np.zeros((6, 1), dtype=int))
    with pytest.raises(
        ValueError, match=r"one row of position indices per image, shape \(2, m\); got shape \(3, 1"
    ):
        take_positions(np.zeros((2, 2, 2, 1)), np.zeros((3, 1), dtype=int))


@pytest.mark.parametrize("to", [np.asarray, torch.from_numpy], ids=["numpy", "torch"])
@pytest.mark.parametrize(
    "bad, got",
    [
        (np.array([[0], [-1]]), r"got \[-1, 0\]"),  # numpy wrapped -1 around to the last position
        (np.array([[0], [4]]), r"got \[0, 4\]"),
        (np.array([[0.0], [2.7]]), "got dtype float64"),  # was truncated to position 2
    ],
)
def test_take_positions_refuses_indices_off_the_grid(to, bad, got):
    A = np.arange(2 * 2 * 2 * 1.0).reshape(2, 2, 2, 1)
    with pytest.raises(
        ValueError, match=r"integer indices y \* width \+ x in \[0, 4\) for a 2x2 grid; " + got
    ):
        take_positions(to(A), to(bad))
    assert take_positions(to(A), to(np.array([[3], [0]]))).tolist() == [[3.0], [4.0]]


# --------------------------------------------------------------------------- weights as arrays


def test_state_arrays_round_trip_through_a_shared_dict():
    a, b = torch.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    with torch.no_grad():
        a.weight.uniform_()
        a.running_mean.uniform_()  # buffers travel too
    stored = {**state_arrays(a, "a/"), "other/weight": np.zeros(3)}
    assert all(isinstance(v, np.ndarray) for v in stored.values())
    assert load_state_arrays(b, stored, "a/") is b
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_state_arrays_are_a_snapshot_not_a_view_of_the_weights():
    net = torch.nn.Linear(3, 2)
    stored = state_arrays(net)
    before = {k: v.copy() for k, v in stored.items()}
    with torch.no_grad():  # what further training does: in-place updates of the parameters
        net.weight.add_(1.0)
        net.bias.zero_()
    assert all(np.array_equal(stored[k], before[k]) for k in stored)
    stored["weight"][:] = 7.0
    assert not bool((net.weight == 7.0).any())


def test_load_state_arrays_refuses_a_state_of_another_architecture():
    stored = state_arrays(torch.nn.Linear(3, 2), "net/")
    with pytest.raises(RuntimeError, match="size mismatch"):
        load_state_arrays(torch.nn.Linear(4, 2), stored, "net/")


def test_check_device_names_what_this_machine_lacks():
    import torch

    from svcca.nn import check_device

    assert check_device("cpu") == "cpu" and check_device(torch.device("cpu")) == "cpu"
    with pytest.raises(ValueError, match=r"device must be a torch device .*; got 'gpu0'"):
        check_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"device='cuda' asks for a CUDA GPU, but this machine has 0"):
            check_device("cuda")


def test_state_arrays_of_a_bfloat16_model_round_trip():
    # numpy has no bfloat16: torch's "unsupported ScalarType BFloat16" came out raw
    import torch

    from svcca.nn import load_state_arrays, state_arrays

    a = torch.nn.Linear(3, 2).to(torch.bfloat16)
    arrays = state_arrays(a)
    assert arrays["weight"].dtype == np.float32
    b = load_state_arrays(torch.nn.Linear(3, 2).to(torch.bfloat16), arrays)
    assert b.weight.dtype == torch.bfloat16 and torch.equal(a.weight, b.weight)
