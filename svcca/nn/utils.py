"""Small tools that experiments on trained networks share.

Thread limits, datasets as tensors, and the spatial positions kept of a conv layer.

- :func:`limit_threads`: torch's intra-op threads and the BLAS pools, limited inside a block;
- :func:`get_items`, :func:`as_tensors` and :func:`take`: a dataset's items at some indices,
  all of them, and its first ``n``, as tensors;
- :func:`sample_positions` and :func:`take_positions`: a fixed random choice of spatial
  positions per image, and the rows of a conv layer at those positions (positions as
  datapoints, the same ones for every network);
- :func:`state_arrays` and :func:`load_state_arrays`: a network's weights as named numpy
  arrays (to store with an experiment's results) and back;
- :func:`available_device`: the device a ``device="auto"`` setting means on this machine.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._backend import is_torch
from .._validation import check_int

__all__ = [
    "as_tensors",
    "available_device",
    "get_items",
    "limit_threads",
    "load_state_arrays",
    "sample_positions",
    "state_arrays",
    "take",
    "take_positions",
]


def available_device(device: str = "auto") -> str:
    """Resolve a device setting: ``"auto"`` is ``"cuda"`` when a GPU is usable, else ``"cpu"``.

    Any other name is returned unchanged.

    Parameters
    ----------
    device : str, default "auto"
        ``"auto"``, or a torch device name (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``).

    Returns
    -------
    str

    Examples
    --------
    >>> import torch
    >>> from svcca.nn import available_device
    >>> available_device("cpu")
    'cpu'
    >>> available_device() == ("cuda" if torch.cuda.is_available() else "cpu")
    True
    """
    if not isinstance(device, str) or not device:
        raise TypeError(f"device must be a device name such as 'auto', 'cpu' or 'cuda'; got {device!r}")
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def check_device(device: Any) -> str:
    """Check that ``device`` names a torch device this machine has; return it.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, ..., or ``"auto"`` (resolved by
        :func:`available_device`).

    Returns
    -------
    str
        The device's name (``"auto"`` resolved).

    Raises
    ------
    ValueError
        For a name torch does not know, or a GPU this machine does not have.

    Examples
    --------
    >>> from svcca.nn.utils import check_device
    >>> check_device("cpu")
    'cpu'
    >>> check_device("auto") in ("cpu", "cuda")
    True
    >>> check_device("gpu0")
    Traceback (most recent call last):
    ...
    ValueError: device must be a torch device such as 'cpu', 'cuda' or 'cuda:1' (or 'auto'); got 'gpu0'
    """
    import torch

    if device == "auto":
        device = available_device(device)
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(
            f"device must be a torch device such as 'cpu', 'cuda' or 'cuda:1' (or 'auto'); got {device!r}"
        ) from None
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (dev.index is not None and dev.index >= count):
            raise ValueError(
                f"device={str(device)!r} asks for a CUDA GPU, but this machine has {count} usable "
                f"(torch.cuda.is_available() is {torch.cuda.is_available()}); use device='auto' or 'cpu'"
            )
    elif dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"device={str(device)!r} asks for Apple's MPS, which this machine lacks; use 'cpu'")
    return str(device)


@contextlib.contextmanager
def eval_mode(model: Any) -> Iterator[Any]:
    """Put ``model`` in eval mode inside the block; restore every submodule's own mode after.

    ``model.train(was_training)`` would set every submodule to the top-level flag, and so
    undo a frozen batch norm (``bn.eval()`` inside a training model) or a deliberately
    active dropout: each module's flag is restored as it was.

    Parameters
    ----------
    model : torch.nn.Module

    Yields
    ------
    torch.nn.Module
        ``model``, in eval mode.

    Examples
    --------
    >>> import torch
    >>> from svcca.nn.utils import eval_mode
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2)).train()
    >>> _ = net[1].eval()                                  # a frozen batch norm
    >>> with eval_mode(net):
    ...     net.training, net[1].training
    (False, False)
    >>> net.training, net[1].training                      # each module as it was
    (True, False)
    """
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, training in modes:
            m.training = training


@contextlib.contextmanager
def limit_threads(n: int | None) -> Iterator[None]:
    """Limit torch's intra-op threads and every BLAS pool to ``n`` inside the block.

    Small networks and layers gain nothing from more threads, and on a busy machine
    several spinning threads per process slow a run down by an order of magnitude. The
    previous settings are restored on leaving the block.

    Parameters
    ----------
    n : int or None
        Threads to allow; None changes nothing.

    Raises
    ------
    TypeError, ValueError
        When ``n`` is neither None nor an int >= 1.

    Examples
    --------
    >>> import torch
    >>> from svcca.nn import limit_threads
    >>> before = torch.get_num_threads()
    >>> with limit_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    threads = check_int(n, "n", allow_none=True)
    if threads is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(previous)


def get_items(dataset: Any, index: Any) -> tuple[Any, Any]:
    """Return the items of a dataset at ``index``, as a batch of inputs and a batch of targets.

    A ``TensorDataset`` is indexed directly, a dataset with ``get_batch`` (the image datasets
    of :mod:`svcca.nn.data`) reads the batch in one call, any other dataset is read item by
    item and collated.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Items ``(input, target)``.
    index : torch.Tensor of int64, shape (n,)

    Returns
    -------
    x, y : torch.Tensor
        Inputs ``(n, ...)`` and targets ``(n, ...)``.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> from svcca.nn import get_items
    >>> x, y = get_items(TensorDataset(torch.zeros(5, 2), torch.arange(5)), torch.tensor([4, 0]))
    >>> tuple(x.shape), y.tolist()
    ((2, 2), [4, 0])
    """
    from torch.utils.data import TensorDataset
    from torch.utils.data._utils.collate import default_collate

    if isinstance(dataset, TensorDataset):
        return dataset.tensors[0][index], dataset.tensors[1][index]
    if hasattr(dataset, "get_batch"):
        return dataset.get_batch(index)
    batch = default_collate([dataset[int(i)] for i in index])
    return batch[0], batch[1]


def _ordered_loader(
    dataset: Any, batch_size: int, *, sampler: Any = None, num_workers: int = 0, seed: int = 0
) -> Any:
    """Return a ``DataLoader`` over ``dataset`` in the given order that never draws from torch's global RNG.

    Each iterator of a ``DataLoader`` draws its workers' base seed from its ``generator``, else
    from the global one; training keeps dropout on the global generator, so a loader created
    when a run resumes mid-epoch would shift every later dropout mask (and a recording would
    change its caller's random state). ``seed`` fixes that base seed instead.
    """
    import torch
    from torch.utils.data import DataLoader

    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        sampler=sampler,
        num_workers=num_workers,
        generator=torch.Generator().manual_seed(seed),
    )


def as_tensors(dataset: Any) -> tuple[Any, Any]:
    """All inputs and all targets of a dataset, as two stacked tensors.

    A ``TensorDataset`` gives its own tensors; any other dataset is read with
    :func:`get_items`.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Items ``(input, target)``.

    Returns
    -------
    x, y : torch.Tensor
        Every input stacked, ``(n_items, ...)``, and every target, ``(n_items, ...)``.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> from svcca.nn import as_tensors
    >>> x, y = as_tensors(TensorDataset(torch.zeros(5, 2), torch.arange(5)))
    >>> tuple(x.shape), y.tolist()
    ((5, 2), [0, 1, 2, 3, 4])
    """
    import torch
    from torch.utils.data import TensorDataset

    if isinstance(dataset, TensorDataset):
        return dataset.tensors[0], dataset.tensors[1]
    return get_items(dataset, torch.arange(len(dataset)))


def take(dataset: Any, n: int | None) -> Any:
    """Return the first ``n`` items of a dataset, as a ``TensorDataset``.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Items ``(input, target)``.
    n : int or None
        Items to keep; None, or ``n`` at least the dataset's length, returns ``dataset``
        itself.

    Returns
    -------
    torch.utils.data.Dataset

    Raises
    ------
    TypeError, ValueError
        When ``n`` is neither None nor a positive int.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> from svcca.nn import take
    >>> ds = TensorDataset(torch.zeros(5, 2), torch.arange(5))
    >>> len(take(ds, 3)), take(ds, None) is ds, take(ds, 10) is ds
    (3, True, True)
    """
    count = check_int(n, "n", allow_none=True)
    if count is None or count >= len(dataset):
        return dataset
    import torch
    from torch.utils.data import TensorDataset

    return TensorDataset(*get_items(dataset, torch.arange(count)))


def sample_positions(
    n_images: int, n_positions: int, per_image: int | None, rng: Any, *, sort: bool = False
) -> np.ndarray:
    """Return a random choice of spatial positions for each image, drawn once for every network.

    Conv layers are compared with their spatial positions as datapoints; keeping a few
    positions per image (Raghu et al. 2017) bounds the cost and the redundancy of
    neighbouring positions. Drawing the positions from a seed, not from the network, keeps
    the same datapoints for every network and snapshot compared.

    Parameters
    ----------
    n_images : int
        Images (rows of the result).
    n_positions : int
        Positions of the layer's grid, ``height * width``.
    per_image : int or None
        Positions kept per image (capped at ``n_positions``); None keeps all, in a random
        order unless ``sort``.
    rng : int, sequence of int or numpy.random.Generator
        Seed of the draw (``numpy.random.default_rng(rng)``), e.g. ``[seed, layer_index]``.
    sort : bool, default False
        Sort each image's positions (raster order) instead of keeping the order drawn.

    Returns
    -------
    numpy.ndarray of int64, shape (n_images, min(per_image, n_positions))
        Flat position indices ``y * width + x`` of each image, distinct within an image.

    Raises
    ------
    TypeError, ValueError
        For sizes that are not ints, ``n_images < 0``, ``n_positions < 1`` or ``per_image < 1``.

    See Also
    --------
    take_positions : the rows of a conv layer at these positions.
    svcca.conv.positions_as_samples : every position of every image, or a uniform subsample
        of all of them.

    Examples
    --------
    >>> from svcca.nn import sample_positions
    >>> pos = sample_positions(3, 16, 4, rng=[0, 1])
    >>> pos.shape
    (3, 4)
    >>> bool((pos == sample_positions(3, 16, 4, rng=[0, 1])).all())   # same seed, same positions
    True
    """
    check_int(n_images, "n_images", minimum=0)
    check_int(n_positions, "n_positions")
    per_image = check_int(per_image, "per_image", allow_none=True)
    m = n_positions if per_image is None else min(per_image, int(n_positions))
    gen = np.random.default_rng(rng)
    # a random permutation of the grid per image: argsort of uniform draws, first m kept
    pos = np.argsort(gen.random((int(n_images), int(n_positions))), axis=1)[:, :m]
    return np.sort(pos, axis=1) if sort else pos


def take_positions(A: Any, positions: Any) -> Any:
    """Return the rows of a conv layer at chosen positions: ``(n, h, w, c) -> (n * m, c)``.

    Parameters
    ----------
    A : numpy.ndarray or torch.Tensor of shape (n_images, height, width, channels)
        Conv activations, samples first.
    positions : array-like of int, shape (n_images, m)
        Flat position indices ``y * width + x`` per image (:func:`sample_positions`).

    Returns
    -------
    numpy.ndarray or torch.Tensor of shape (n_images * m, channels)
        Row ``i * m + j`` holds ``A[i]`` at position ``positions[i, j]``; a tensor stays a
        tensor on its device.

    Raises
    ------
    ValueError
        When ``A`` is not 4-D, ``positions`` is not one row per image, or holds anything but
        integer indices in ``[0, height * width)``.

    Examples
    --------
    >>> import numpy as np
    >>> from svcca.nn import take_positions
    >>> A = np.arange(2 * 2 * 2 * 3).reshape(2, 2, 2, 3)
    >>> take_positions(A, [[3], [0]]).tolist()
    [[9, 10, 11], [12, 13, 14]]
    """
    shape = tuple(A.shape)
    if len(shape) != 4:
        raise ValueError(f"A must be conv activations (n_images, height, width, channels); got shape {shape}")
    n, h, w, c = shape
    pos_shape = tuple(np.shape(positions)) if not is_torch(positions) else tuple(positions.shape)
    if len(pos_shape) != 2 or pos_shape[0] != n:
        raise ValueError(
            f"positions must be one row of position indices per image, shape ({n}, m); got shape {pos_shape}"
        )
    m = pos_shape[1]
    # checked here, once for both routes: numpy would wrap a negative index around to another
    # position, and casting 2.7 to an index would quietly pick position 2
    pos = np.asarray(positions.cpu() if is_torch(positions) else positions)
    if pos.size and not (np.issubdtype(pos.dtype, np.integer) and 0 <= pos.min() and pos.max() < h * w):
        got = (
            f"dtype {pos.dtype}"
            if not np.issubdtype(pos.dtype, np.integer)
            else f"[{pos.min()}, {pos.max()}]"
        )
        raise ValueError(
            f"positions must be integer indices y * width + x in [0, {h * w}) for a {h}x{w} grid; got {got}"
        )
    if is_torch(A):
        import torch

        idx = torch.as_tensor(pos, dtype=torch.long, device=A.device)
        flat = A.reshape(n, h * w, c)
        return torch.gather(flat, 1, idx[:, :, None].expand(-1, -1, c)).reshape(n * m, c)
    pos = pos.astype(np.int64, copy=False)
    return np.take_along_axis(np.asarray(A).reshape(n, h * w, c), pos[:, :, None], axis=1).reshape(n * m, c)


def state_arrays(model: Any, prefix: str = "") -> dict[str, np.ndarray]:
    """Return a network's state (weights and buffers) as numpy arrays named ``prefix + name``.

    Parameters
    ----------
    model : torch.nn.Module
    prefix : str, default ""
        Put before every parameter name, so that several networks' weights share one dict.

    Returns
    -------
    dict of str -> numpy.ndarray
        On the CPU, in the order of ``model.state_dict()``; copies, so training the model
        further never changes them (nor writing to them the model). bfloat16 tensors, which
        numpy cannot hold, come as float32 (exactly; :func:`load_state_arrays` casts back).

    See Also
    --------
    load_state_arrays : the way back.

    Examples
    --------
    >>> import torch
    >>> from svcca.nn import state_arrays
    >>> sorted(state_arrays(torch.nn.Linear(3, 2), prefix="net0/"))
    ['net0/bias', 'net0/weight']
    """
    import torch

    def array(t: Any) -> np.ndarray:
        t = t.detach().cpu()
        # .numpy() of a CPU tensor shares its memory: copy, or later optimizer steps rewrite the
        # "stored" weights
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy().copy()

    return {prefix + name: array(t) for name, t in model.state_dict().items()}


def load_state_arrays(model: Any, arrays: Any, prefix: str = "") -> Any:
    """Load the arrays named ``prefix + name`` into ``model`` (strictly: every name, nothing else).

    Parameters
    ----------
    model : torch.nn.Module
        A network of the same architecture as the one stored.
    arrays : mapping of str -> array-like
        E.g. an experiment's result arrays; names without ``prefix`` are ignored.
    prefix : str, default ""

    Returns
    -------
    torch.nn.Module
        ``model`` itself, with the stored state.

    Raises
    ------
    RuntimeError
        From ``load_state_dict`` when names or shapes do not match the model.

    Examples
    --------
    >>> import torch
    >>> from svcca.nn import load_state_arrays, state_arrays
    >>> a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    >>> b = load_state_arrays(b, state_arrays(a, "a/"), "a/")
    >>> bool(torch.equal(a.weight, b.weight))
    True
    """
    import torch

    n = len(prefix)
    state = {k[n:]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith(prefix)}
    model.load_state_dict(state)
    return model


def state_digest(model: Any) -> str:
    """Digest of a torch module's state: its names, shapes, dtypes and values.

    Two modules have the same digest when their ``state_dict`` holds the same tensors (on
    any device). :func:`svcca.nn.train` records the digest of the network a run starts
    from, and the experiments name the folder of each network they train after it.

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    str
        16 hexadecimal digits.

    Examples
    --------
    >>> from svcca.nn.models import MLP
    >>> from svcca.nn.utils import state_digest
    >>> state_digest(MLP(seed=0)) == state_digest(MLP(seed=0)) != state_digest(MLP(seed=1))
    True
    """
    import torch

    h = hashlib.blake2b(digest_size=8)
    for name, tensor in model.state_dict().items():
        if not isinstance(tensor, torch.Tensor):  # a module's extra state (get_extra_state)
            h.update(f"{name}|{tensor!r}|".encode())
            continue
        t = tensor.detach().cpu().contiguous().view(-1)
        h.update(f"{name}|{t.dtype}|{tuple(tensor.shape)}|".encode())
        if t.numel():
            h.update(t.view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
