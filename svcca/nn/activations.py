"""Record the activations of named layers of any torch model over a dataset.

Batch by batch, on the model's device, in eval mode and without gradients; each layer's
output is put in the library's samples-first layout as it arrives:

* ``(n, channels, height, width)`` conv outputs -> ``(n, height, width, channels)``, a
  1 x 1 map too (a ResNet's ``avgpool`` gives ``(n, 1, 1, channels)``; ``pool="mean"`` or
  ``x.reshape(len(x), -1)`` makes it ``(n, channels)`` for the flat measures);
* ``(n, positions, features)`` sequence outputs (LSTM layers, a language model's logits)
  -> ``(n * positions, features)``: every position is a datapoint. Modules known to put
  channels first or samples second are turned into that layout first: 1-D convolutions,
  pooling and norms ``(n, channels, length)``, and recurrent layers without
  ``batch_first`` ``(length, n, features)``; any other module's 3-D output is read as
  ``(n, positions, features)``;
* ``(n, features)`` stays; ``(n,)`` becomes ``(n, 1)``; a tuple output (``nn.LSTM``
  returns ``(output, (h, c))``) is reduced to its first element.

Optional spatial pooling (``pool``) and strided subsampling of positions (``stride``) are
applied on the device before anything is copied, so a wide conv layer never has to exist
in full in host memory. The processed batches go to a *sink*: any object with
``update(batch)`` taking ``{layer_name: torch.Tensor}``. :class:`ArraySink` (the default)
concatenates them into numpy arrays; :class:`svcca.streaming.MultiLayerAccumulator`
consumes them without storing the samples at all (statistics stay on the model's device)::

    from svcca.streaming import MultiLayerAccumulator
    acc = record(model, data, sink=MultiLayerAccumulator())
    grid = acc.similarity_matrix(measure="svcca")

Two models over the same data stream into one accumulator through
:func:`iter_activations` (zip the two iterators; see its docstring), when the data come in a
fixed order: a shuffling ``DataLoader`` draws another order on every pass.
"""

from __future__ import annotations

import difflib
import itertools
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import (
    DataLoader,
    Dataset,
    RandomSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)

from .._validation import ShuffledLoaderWarning, check_option
from .utils import _ordered_loader, check_device, eval_mode

__all__ = ["ActivationSink", "ArraySink", "iter_activations", "layer_names_of", "record"]


@runtime_checkable
class ActivationSink(Protocol):
    """Anything that consumes recorded batches: ``update({layer: tensor})`` once per batch.

    Tensors arrive in the samples-first layout, on the model's device, detached; a sink
    that keeps them must copy or move them (``ArraySink`` moves them to host numpy).
    The streaming accumulators of :mod:`svcca.streaming` are sinks too.

    Examples
    --------
    A sink that keeps a running count of samples per layer:

    >>> import torch
    >>> from svcca.nn.activations import ActivationSink
    >>> class Count:
    ...     def __init__(self):
    ...         self.n = {}
    ...     def update(self, batch):
    ...         for name, t in batch.items():
    ...             self.n[name] = self.n.get(name, 0) + t.shape[0]
    >>> sink = Count()
    >>> sink.update({"fc1": torch.ones(4, 8)})
    >>> isinstance(sink, ActivationSink), sink.n
    (True, {'fc1': 4})
    """

    def update(self, batch: Mapping[str, torch.Tensor]) -> None:
        """Consume one batch: ``{layer: tensor of shape (batch_size, ...)}``."""
        ...


class ArraySink:
    """Collect recorded batches into one numpy array per layer (the in-memory default).

    Parameters
    ----------
    dtype : numpy dtype, optional
        Convert every batch to this dtype (e.g. ``np.float64``); default: as recorded, except
        bfloat16, which numpy lacks: it arrives as float32 (exactly; every bfloat16 is one).

    Examples
    --------
    >>> import torch
    >>> from svcca.nn.activations import ArraySink
    >>> sink = ArraySink()
    >>> sink.update({"a": torch.ones(2, 3)})
    >>> sink.update({"a": torch.zeros(1, 3)})
    >>> sink.result()["a"].shape
    (3, 3)
    """

    def __init__(self, dtype: Any = None) -> None:
        self.dtype = dtype
        self._chunks: dict[str, list[np.ndarray]] = {}

    def update(self, batch: Mapping[str, torch.Tensor]) -> None:
        """Append one batch, ``{layer: tensor}``, moved to host numpy."""
        for name, t in batch.items():
            t = t.detach().cpu()
            a = (t.float() if t.dtype == torch.bfloat16 else t).numpy()
            self._chunks.setdefault(name, []).append(
                a if self.dtype is None else a.astype(self.dtype, copy=False)
            )

    def result(self) -> dict[str, np.ndarray]:
        """``{layer: array}`` with the batches concatenated along the samples axis."""
        return {name: np.concatenate(chunks, axis=0) for name, chunks in self._chunks.items()}


def layer_names_of(model: nn.Module) -> tuple[str, ...]:
    """Return the model's analysable layers (its ``layer_names``); a clear error when it has none."""
    names = getattr(model, "layer_names", None)
    if names is None:
        raise ValueError(
            f"{type(model).__name__} has no `layer_names`; pass layers=[...] with submodule names "
            f"(e.g. {[n for n, _ in model.named_children()][:4]}) or torchvision node names"
        )
    return tuple(names)


def _model_device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    for b in model.buffers():
        return b.device
    return torch.device("cpu")


def _input_batches(data: Any, batch_size: int) -> Iterator[Any]:
    """Yield input batches (targets dropped) from a tensor, array, dataset, loader or iterable."""
    if isinstance(data, np.ndarray):
        # batch by batch, each copied: torch cannot wrap a reversed (negative-stride) array and
        # warns on a read-only one, and a copy of one batch never costs the whole array's memory
        for i in range(0, len(data), batch_size):
            yield torch.from_numpy(np.array(data[i : i + batch_size]))
        return
    if isinstance(data, torch.Tensor):
        for i in range(0, len(data), batch_size):
            yield data[i : i + batch_size]
        return
    if (
        isinstance(data, Dataset)
        and hasattr(data, "__len__")
        and not isinstance(data, torch.utils.data.IterableDataset)
    ):
        n = len(data)
        if isinstance(data, TensorDataset):
            x = data.tensors[0]
            for i in range(0, n, batch_size):
                yield x[i : i + batch_size]
            return
        if hasattr(data, "get_batch"):
            for i in range(0, n, batch_size):
                yield data.get_batch(torch.arange(i, min(i + batch_size, n)))[0]
            return
        data = _ordered_loader(data, batch_size)
    if not isinstance(data, Iterable) or isinstance(data, (str, bytes, Mapping)):
        raise TypeError(
            "data must be a Dataset, DataLoader, torch.Tensor, numpy array or an iterable of batches; "
            f"got {type(data).__name__}"
        )
    for batch in data:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        if isinstance(x, np.ndarray):
            x = torch.from_numpy(np.array(x))
        if not isinstance(x, torch.Tensor):  # a dict-shaped batch failed deep inside the model
            raise TypeError(
                "each batch must be a tensor of inputs, or a tuple/list whose first item is one; got "
                + (
                    f"a batch whose first item is a {type(x).__name__}"
                    if x is not batch
                    else type(x).__name__
                )
            )
        yield x


def _per_layer(option: Any, name: str) -> Any:
    return option.get(name) if isinstance(option, Mapping) else option


def _valid_pool(v: Any) -> bool:
    return v is None or v in ("mean", "max") or (isinstance(v, int) and not isinstance(v, bool) and v >= 1)


def _valid_stride(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1)


def _check_layer_options(layers: tuple[str, ...], **options: Any) -> None:
    """Check ``pool``/``stride``/``positions`` (one value, or one per layer) before any work.

    A mapping may name only recorded layers (a misspelt key would silently not apply).
    """
    valid = {
        "pool": (_valid_pool, "None, 'mean', 'max' or an int output size >= 1"),
        "stride": (_valid_stride, "None or an int >= 1"),
        "positions": (lambda v: v is None or isinstance(v, (bool, np.bool_)), "True or False"),
    }
    for option, value in options.items():
        ok, expected = valid[option]
        if isinstance(value, Mapping):
            unknown = [k for k in value if k not in layers]
            if unknown:
                raise ValueError(
                    f"{option} names layer(s) {unknown} that are not recorded; recorded: {list(layers)}"
                )
            items = list(value.items())
        else:
            items = [(None, value)]
        for layer, v in items:
            if not ok(v):
                where = f" for {layer!r}" if layer is not None else ""
                raise ValueError(f"{option} must be {expected}{where}; got {v!r}")


def _layout(out: Any, name: str, pool: Any, stride: Any, positions: bool = False) -> torch.Tensor:
    """One layer's raw output -> samples-first tensor (pooled / subsampled on the device)."""
    if isinstance(out, (tuple, list)):
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"layer {name!r} returned {type(out).__name__}, not a tensor")
    out = out.detach()
    if out.ndim == 4:
        if stride is not None:
            out = out[:, :, ::stride, ::stride]
        if pool == "mean":
            return out.mean(dim=(2, 3))
        if pool == "max":
            return out.amax(dim=(2, 3))
        if isinstance(pool, int) and not isinstance(pool, bool):
            out = F.adaptive_avg_pool2d(out, pool)  # a smaller map is repeated up to k x k
        elif pool is not None:
            raise ValueError(
                f"pool must be None, 'mean', 'max' or an int output size; got {pool!r} for {name!r}"
            )
        out = out.permute(0, 2, 3, 1)
        return out.reshape(-1, out.shape[-1]) if positions else out
    if out.ndim == 3:
        return out.reshape(-1, out.shape[-1])
    if out.ndim == 1:
        return out.unsqueeze(1)
    if out.ndim == 2:
        return out
    return out.flatten(1)


# modules whose 3-D output is (n, channels, length)
_CHANNELS_FIRST_1D = (
    nn.Conv1d, nn.ConvTranspose1d, nn.MaxPool1d, nn.AvgPool1d, nn.AdaptiveAvgPool1d,
    nn.AdaptiveMaxPool1d, nn.LPPool1d, nn.BatchNorm1d, nn.InstanceNorm1d,
)  # fmt: skip


def _samples_first(model: nn.Module, name: str, out: Any) -> Any:
    """Put a 3-D output of a module known to lay it out otherwise as ``(n, positions, features)``.

    A 1-D convolution (pooling, norm) gives ``(n, channels, length)`` and a recurrent layer
    without ``batch_first`` ``(length, n, features)``; read as ``(n, positions, features)``
    their rows would mix channels or samples. A name that is not a submodule (a graph node
    of ``capture="fx"``) is left as it is.
    """
    if not isinstance(out, torch.Tensor) or out.ndim != 3:
        return out
    try:
        module = model.get_submodule(name)
    except AttributeError:
        return out
    if isinstance(module, _CHANNELS_FIRST_1D):
        return out.transpose(1, 2)
    if isinstance(module, nn.RNNBase) and not module.batch_first:
        return out.transpose(0, 1)
    return out


def _snapshot(output: Any) -> Any:
    """Return a layer's output as recorded: the first element of a tuple (``nn.LSTM``), copied.

    A copy, because later in-place operations of the forward pass (``ReLU(inplace=True)``,
    ``out += x``) would otherwise change what was recorded; forward hooks and the graph of
    torchvision's feature extraction both take it here.
    """
    if isinstance(output, (tuple, list)):
        output = output[0]
    return output.clone() if isinstance(output, torch.Tensor) else output


class _StopForward(Exception):
    """Raised by a hook once every requested layer is captured: the rest of the forward is skipped.

    Only from the second batch on: the first runs the whole forward pass, so a module that
    runs more than once (an ambiguous hook) is detected.
    """


class _HookRecorder:
    def __init__(self, model: nn.Module, layers: Sequence[str]) -> None:
        self.layers = tuple(layers)
        self.outputs: dict[str, Any] = {}
        self.calls: dict[str, int] = {}
        self.checked = False
        # the hooks act only inside this recorder's own forward pass: while a generator of
        # iter_activations is suspended, another forward pass through the model (the caller's,
        # or a second recorder's) runs untouched
        self.active = False
        self.handles = []
        for name in self.layers:
            self.handles.append(model.get_submodule(name).register_forward_hook(self._hook(name)))

    def _hook(self, name: str) -> Any:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            if not self.active:
                return
            self.calls[name] = self.calls.get(name, 0) + 1
            self.outputs[name] = _snapshot(output)
            if self.checked and len(self.outputs) == len(self.layers):
                raise _StopForward

        return hook

    def __call__(self, model: nn.Module, x: Any) -> dict[str, Any]:
        self.outputs, self.calls = {}, {}
        self.active = True
        try:
            model(x)
        except _StopForward:
            pass
        finally:
            self.active = False
        twice = [n for n, c in self.calls.items() if c > 1]
        if twice:
            raise ValueError(
                f"module(s) {twice} ran more than once in one forward pass, so their output is ambiguous; "
                "use torchvision node names instead (see torchvision.models.feature_extraction."
                "get_graph_node_names, e.g. 'layer1.0.relu_1') with capture='fx'"
            )
        missing = [n for n in self.layers if n not in self.outputs]
        if missing:
            raise ValueError(f"layer(s) {missing} did not run in the forward pass of {type(model).__name__}")
        self.checked = True
        return self.outputs

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def _clone_returned_nodes(graph_module: Any) -> None:
    """Copy each returned node's value where it is computed, before later in-place ops can change it.

    Through :func:`_snapshot`, as the forward hooks do: a node that returns a tuple (an
    ``nn.LSTM`` called as a module) gives its first element.
    """
    graph = graph_module.graph
    output = next(node for node in graph.nodes if node.op == "output")
    returned = output.args[0]
    cloned = {}
    for name, node in returned.items():
        with graph.inserting_after(node):
            cloned[name] = graph.call_function(_snapshot, (node,))
    output.args = (cloned,)
    graph_module.recompile()


def _close_matches(names: Sequence[str], candidates: Sequence[str]) -> str:
    """``; close matches: 'a' -> [...]`` for the names that have some among ``candidates``."""
    candidates = list(dict.fromkeys(candidates))  # a module's name is often a node's too
    found = {n: difflib.get_close_matches(n, candidates, n=4) for n in names}
    found = {n: m for n, m in found.items() if m}
    if not found:
        return "; no close match among them"
    return "; close matches: " + ", ".join(f"{n!r} -> {m}" for n, m in found.items())


def _graph_node_names(model: nn.Module) -> tuple[list[str] | None, str]:
    """Return the node names torchvision's feature extraction can return (eval mode), or None and why."""
    from torchvision.models.feature_extraction import get_graph_node_names

    try:
        with eval_mode(model):  # it traces in train and eval mode: every module's own mode comes back
            _, nodes = get_graph_node_names(model, suppress_diff_warning=True)
    except Exception as exc:  # a model torch.fx cannot trace
        return None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return nodes, ""


def _is_node(name: str, nodes: Sequence[str]) -> bool:
    """Whether ``name`` is a graph node, or a module path that prefixes some (torchvision takes its last)."""
    return any(node == name or node.startswith(name + ".") for node in nodes)


def _feature_extractor(model: nn.Module, layers: Sequence[str]) -> Any:
    """Build torchvision's feature extractor returning ``layers`` (eval mode); it checks the names.

    Each returned node is copied where it is computed (:func:`_clone_returned_nodes`).
    """
    from torchvision.models.feature_extraction import create_feature_extractor

    with eval_mode(model):  # it traces in train and eval mode: every module's own mode comes back
        extractor = create_feature_extractor(model, return_nodes={n: n for n in layers}).eval()
    _clone_returned_nodes(extractor)
    return extractor


def _resolve_capture(model: nn.Module, layers: Sequence[str], capture: str) -> tuple[str, Any]:
    """Return ``("hooks", None)`` or ``("fx", extractor)``; unknown names are refused, with close matches.

    A name that is not a submodule needs torchvision's feature extraction (``capture="fx"``):
    the extractor is built here, once, before any recording, and records every batch. Its
    build checks the names; only when it fails are the graph's node names looked up, so
    that a misspelt name gets the names it resembles, not a message from the tracer.
    """
    check_option(capture, "capture", ("auto", "hooks", "fx"))
    modules = [n for n, _ in model.named_modules() if n]
    not_modules = [n for n in layers if n not in modules]
    if not not_modules and capture != "fx":
        return "hooks", None
    model_name = type(model).__name__
    known = getattr(model, "layer_names", None)
    its_layers = f"; its layer_names: {list(known)}" if known is not None else ""
    if capture == "hooks":
        raise ValueError(
            f"layer(s) {not_modules} are not submodules of {model_name} (forward hooks need "
            f"submodule names){_close_matches(not_modules, modules)}{its_layers}"
        )
    try:
        return "fx", _feature_extractor(model, layers)
    except Exception as exc:  # an unknown name, or a graph torch.fx cannot trace
        failure = exc
    # only on failure: the node names, for the close matches (another trace, which may fail too)
    if not_modules:
        nodes, why = _graph_node_names(model)
        if nodes is None:
            raise ValueError(
                f"layer(s) {not_modules} are not submodules of {model_name}"
                f"{_close_matches(not_modules, modules)}{its_layers}; other names are graph nodes of "
                f"torchvision's feature extraction, which cannot trace {model_name} ({why})"
            )
        unknown = [n for n in not_modules if not _is_node(n, nodes)]
        if unknown:
            raise ValueError(
                f"layer(s) {unknown} are neither submodules of {model_name} nor nodes of its graph "
                f"(torchvision's get_graph_node_names){_close_matches(unknown, modules + list(nodes))}"
                f"{its_layers}"
            )
    first_line = str(failure).splitlines()[0] if str(failure) else ""
    raise ValueError(
        f"could not record {list(layers)} from {model_name} with torchvision's "
        f"feature extraction ({type(failure).__name__}: {first_line}); name "
        f"submodules (forward hooks) instead{its_layers}"
    ) from failure


# samplers that draw a random order, which another pass over the loader does not repeat
_RANDOM_SAMPLERS = (RandomSampler, SubsetRandomSampler, WeightedRandomSampler)


def _warn_if_shuffled(data: Any, stacklevel: int) -> None:
    """Warn (once) when ``data`` is a ``DataLoader`` whose sampler draws a random order.

    The sampler is looked for as the loader's ``sampler``, its ``batch_sampler``, and the
    sampler inside that (a ``BatchSampler`` over a ``RandomSampler``).
    """
    if not isinstance(data, DataLoader):
        return
    batch_sampler = data.batch_sampler
    for sampler in (data.sampler, batch_sampler, getattr(batch_sampler, "sampler", None)):
        if isinstance(sampler, _RANDOM_SAMPLERS):
            warnings.warn(
                f"data is a DataLoader whose {type(sampler).__name__} draws the samples in a random "
                "order, which another pass over it will not repeat: the recorded rows must not be "
                "paired with the rows of another pass (another model's, or this model's again), or "
                "different samples are compared row by row. Layers recorded in this one pass share "
                "their row order. For rows that match across passes, use a loader with shuffle=False",
                ShuffledLoaderWarning,
                stacklevel=stacklevel,
            )
            return


def _check_weights(model: nn.Module, device: torch.device) -> None:
    """Refuse a model (or a device) on 'meta', which has shapes but no values to compute with."""
    on_meta = next(
        (n for n, t in itertools.chain(model.named_parameters(), model.named_buffers()) if t.is_meta), None
    )
    if on_meta is not None:
        raise ValueError(
            f"{type(model).__name__} has no weights: its tensor {on_meta!r} is on the 'meta' device, "
            "which holds shapes but no values; load or initialise the weights first, e.g. "
            "model.to_empty(device='cpu') then model.load_state_dict(state_dict)"
        )
    if device.type == "meta":
        raise ValueError("device='meta' holds no values to record; use 'cpu', 'cuda' or 'auto'")


def iter_activations(
    model: nn.Module,
    data: Any,
    layers: Sequence[str] | None = None,
    *,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    pool: Any = None,
    stride: Any = None,
    positions: Any = False,
    capture: str = "auto",
) -> Iterator[dict[str, torch.Tensor]]:
    """Yield ``{layer: activations of one batch}`` (samples first, on the device).

    The primitive under :func:`record`. Two models run over the same ``data`` yield their
    batches in the same order when ``data`` gives its samples in a fixed order (a tensor,
    an array, a dataset, or a ``DataLoader`` that does not shuffle), so zipping two
    iterators streams a pair of layers into an accumulator. A shuffling ``DataLoader``
    draws a new order on every pass: its rows must not be paired with another pass's, and
    it gets a :class:`svcca.ShuffledLoaderWarning` (the layers of one pass
    still share their order). The model is in eval mode (its mode comes back, and the
    hooks are removed, as the last batch is handed on, or when the iterator is closed) and
    no gradients are kept. The arguments are checked when
    it is called, the model runs as the batches are drawn.

    Parameters
    ----------
    model : torch.nn.Module
        As in :func:`record`.
    data : Dataset, DataLoader, torch.Tensor, numpy array, or iterable of batches
        As in :func:`record`.
    layers : sequence of str, optional
        As in :func:`record`; default ``model.layer_names``.
    batch_size : int, default=256
        As in :func:`record`.
    device : str or torch.device, optional
        As in :func:`record`.
    pool, stride, positions
        As in :func:`record`.
    capture : {"auto", "hooks", "fx"}, default="auto"
        As in :func:`record`.

    Yields
    ------
    dict of str -> torch.Tensor
        One batch per item: ``{layer: tensor}``, samples first, detached, on ``device``.

    Raises
    ------
    ValueError
        No layers, repeated layers, unknown layer names (with the close matches), a
        ``batch_size`` that is not a positive int, or a model without weights (on the
        'meta' device).

    Warns
    -----
    ShuffledLoaderWarning
        When ``data`` is a ``DataLoader`` whose sampler draws a random order.

    Examples
    --------
    Stream one layer of two networks into a pair accumulator, never holding the samples:

    >>> from svcca.nn.data import load_digits
    >>> from svcca.nn.models import MLP
    >>> from svcca.nn.activations import iter_activations
    >>> from svcca.streaming import PairAccumulator
    >>> test = load_digits().test
    >>> net_a, net_b = MLP(hidden=(32,), seed=0), MLP(hidden=(32,), seed=1)
    >>> acc = PairAccumulator()
    >>> for a, b in zip(iter_activations(net_a, test, ["fc1"]), iter_activations(net_b, test, ["fc1"])):
    ...     _ = acc.update(a["fc1"], b["fc1"])
    >>> acc.n_samples
    500
    """
    return _start(model, data, layers, batch_size, device, pool, stride, positions, capture, stacklevel=3)


def _start(
    model: nn.Module,
    data: Any,
    layers: Sequence[str] | None,
    batch_size: int,
    device: str | torch.device | None,
    pool: Any,
    stride: Any,
    positions: Any,
    capture: str,
    *,
    stacklevel: int,
) -> Iterator[dict[str, torch.Tensor]]:
    """Check the arguments of :func:`iter_activations` (or :func:`record`) now; return the iterator.

    ``stacklevel`` points a warning at the user's call of the public function.
    """
    if isinstance(layers, str):  # one layer's name, not its characters
        layers = (layers,)
    layers = layer_names_of(model) if layers is None else tuple(layers)
    if not layers:
        raise ValueError("layers must name at least one layer")
    if len(set(layers)) != len(layers):
        raise ValueError(f"layers must be distinct; got {list(layers)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    _check_layer_options(layers, pool=pool, stride=stride, positions=positions)
    if device is not None:  # 'auto', a name or a torch.device this machine has
        device = torch.device(check_device(device))
    device = _model_device(model) if device is None else device
    _check_weights(model, device)
    # may trace the model (once: the extractor it builds records the batches): after the cheap checks
    _, extractor = _resolve_capture(model, layers, capture)
    _warn_if_shuffled(data, stacklevel + 1)
    return _iterate(model, data, layers, batch_size, device, pool, stride, positions, extractor)


def _iterate(
    model: nn.Module,
    data: Any,
    layers: tuple[str, ...],
    batch_size: int,
    device: torch.device,
    pool: Any,
    stride: Any,
    positions: Any,
    extractor: Any,
) -> Iterator[dict[str, torch.Tensor]]:
    # forward hooks, or the feature extractor that _resolve_capture built (and checked the names with).
    # eval mode for the whole iteration; every submodule's own mode comes back when it ends,
    # fails or is closed (a suspended generator keeps it until then). The next input is read
    # before a batch is handed on, so the last batch is handed on after the hooks are gone and
    # the modes are back: zip() of two iterators stops without finishing the second one, which
    # would otherwise keep its model in eval mode, hooked, as long as the zip object lives
    last = None
    with eval_mode(model):
        recorder: Any
        if extractor is None:
            hooks = _HookRecorder(model, layers)
            recorder = hooks
        else:
            hooks = None
            recorder = lambda m, x: extractor(x)  # noqa: E731
        # float inputs in the model's own precision (a float64 numpy array into a float32 model)
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), None)
        try:
            inputs = iter(_input_batches(data, batch_size))
            x = next(inputs, _END)
            while x is not _END:
                # no_grad around the work only, never across a `yield`: a suspended or abandoned
                # generator would otherwise leave gradients switched off in the caller
                with torch.no_grad():
                    if isinstance(x, torch.Tensor):
                        cast = dtype if dtype is not None and x.is_floating_point() else None
                        x = x.to(device, dtype=cast, non_blocking=True)
                    outputs = recorder(model, x)
                    batch = {
                        n: _layout(
                            _samples_first(model, n, outputs[n]),
                            n,
                            _per_layer(pool, n),
                            _per_layer(stride, n),
                            bool(_per_layer(positions, n)),
                        )
                        for n in layers
                    }
                x = next(inputs, _END)
                if x is _END:
                    last = batch
                    break
                yield batch
        finally:
            if hooks is not None:
                hooks.remove()
    if last is not None:
        yield last


_END = object()  # the end of the input batches


def record(
    model: nn.Module,
    data: Any,
    layers: Sequence[str] | None = None,
    *,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    pool: Any = None,
    stride: Any = None,
    positions: Any = False,
    sink: ActivationSink | None = None,
    dtype: Any = None,
    capture: str = "auto",
    progress: bool = False,
) -> Any:
    """Record named layers of a model over a dataset.

    Parameters
    ----------
    model : torch.nn.Module
        Run in eval mode on its own device (its training mode is restored afterwards).
    data : Dataset, DataLoader, torch.Tensor, numpy array, or iterable of batches
        Items/batches may be ``(inputs, targets, ...)``; only the inputs are used, in order
        (a ``DataLoader`` must not shuffle if the rows are to match another recording: one
        that draws a random order gets a :class:`svcca.ShuffledLoaderWarning`).
    layers : sequence of str, optional
        Submodule names (forward hooks) or torchvision graph-node names (feature extraction,
        needs an FX-traceable model). Default: ``model.layer_names``.
    batch_size : int, default=256
        For datasets and tensors (a ``DataLoader`` keeps its own).
    device : str or torch.device, optional
        Where the inputs go; default: the model's device.
    pool : None, "mean", "max", int, or dict, default=None
        Spatial pooling of conv outputs: ``"mean"`` (global average -> ``(n, channels)``),
        ``"max"``, or an int ``k`` (adaptive average pooling to ``k x k`` ->
        ``(n, k, k, channels)``). A dict gives one value per layer. A map smaller than
        ``k x k`` is repeated up to it (every layer gets the same grid; measures of the
        CCA and CKA families do not change under repeated features), so with
        ``positions=True`` its repeated positions are not independent datapoints.
    stride : None, int, or dict, default=None
        Keep every ``stride``-th row and column of conv outputs (before pooling).
    positions : bool or dict, default=False
        Conv outputs as ``(n * height * width, channels)``: every spatial position is a
        datapoint (image-major, then row, then column), after ``stride`` and ``pool``. For
        streaming a conv layer into an accumulator that way; in memory, the same is
        ``array.reshape(-1, channels)``.
    sink : ActivationSink, optional
        Receive the batches instead of returning arrays (e.g. a streaming accumulator).
    dtype : numpy dtype, optional
        dtype of the returned arrays (default: as computed, float32 for float32 models and
        for bfloat16 ones, which numpy cannot hold).
    capture : {"auto", "hooks", "fx"}, default="auto"
        ``"auto"`` uses forward hooks when every name is a submodule, else torchvision's
        ``create_feature_extractor``.
    progress : bool, default=False
        Show a tqdm bar over batches.

    Returns
    -------
    dict of str -> numpy.ndarray, or the sink
        ``{layer: array}`` in the samples-first layout (module docstring), or ``sink``
        itself after feeding it every batch.

    Raises
    ------
    ValueError
        Unknown layers (with the close matches among the submodule and graph-node names),
        a module that runs twice in one forward pass (hooks are ambiguous; use node names),
        a layer that never runs, a model without weights (on the 'meta' device).

    Warns
    -----
    ShuffledLoaderWarning
        When ``data`` is a ``DataLoader`` whose sampler draws a random order (the rows of
        this recording then match no other recording's).

    Examples
    --------
    >>> from svcca.nn import ConvNet, load_digits, record
    >>> digits = load_digits()
    >>> net = ConvNet("pilot5", seed=0)
    >>> acts = record(net, digits.test)
    >>> acts["conv1"].shape, acts["logits"].shape
    ((500, 8, 8, 32), (500, 10))
    >>> record(net, digits.test, ["conv5"], pool="mean")["conv5"].shape
    (500, 32)
    """
    from tqdm.auto import tqdm

    memory = ArraySink(dtype) if sink is None else None
    target: Any = memory if sink is None else sink
    if not callable(getattr(target, "update", None)):
        raise TypeError(f"sink must have an update(batch_dict) method; got {type(target).__name__}")
    batches: Iterable[dict[str, torch.Tensor]] = _start(
        model, data, layers, batch_size, device, pool, stride, positions, capture, stacklevel=3
    )
    total = None
    if hasattr(data, "__len__") and not isinstance(data, DataLoader):
        total = -(-len(data) // batch_size)
    elif isinstance(data, DataLoader):
        total = len(data)
    n_batches = 0
    for batch in tqdm(batches, total=total, disable=not progress, desc="recording", leave=False):
        target.update(batch)
        n_batches += 1
    if n_batches == 0:
        raise ValueError(f"data is empty: no batch to record (got {type(data).__name__} of length 0)")
    return memory.result() if memory is not None else sink
