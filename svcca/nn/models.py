"""Small models whose layers the experiments compare, each listing its analysable layers.

Every model here has ``layer_names``: the dotted submodule names (``model.get_submodule``)
of its analysable layers, input side first, ending with the logits. Recording
"every layer" is then ``svcca.nn.activations.record(model, data)`` with no hand list.
What a layer's output is:

* :class:`MLP`: ``fc1``, ``fc2``, ... are the hidden units after the nonlinearity;
* :class:`ConvNet`: ``conv1``, ... are conv -> batch norm -> ReLU blocks (their outputs are
  ``(n, channels, height, width)``; the recorder turns them into
  ``(n, height, width, channels)``);
* :class:`SmallResNet`: ``stem`` and the residual blocks ``stage1.0``, ... (after the
  addition and ReLU);
* :class:`LSTMLanguageModel`: ``embedding``, ``lstm1``, ... and ``logits``; each is
  ``(n_sequences, seq_len, features)``: every sequence position is a datapoint;
* :func:`resnet18` / :func:`resnet50`: torchvision's ResNets with the same attribute.

Construction is seeded without touching the global random state: pass ``seed=``.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._architectures import CONV_ARCHITECTURES, ConvSpec
from .._validation import check_int

__all__ = [
    "CONV_ARCHITECTURES",
    "ConvNet",
    "ConvSpec",
    "LSTMLanguageModel",
    "MLP",
    "SmallResNet",
    "build_model",
    "resnet18",
    "resnet50",
    "torchvision_resnet",
]


@contextlib.contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Run the block with ``torch.manual_seed(seed)``, restoring the global RNG afterwards."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


def _activation(name: str) -> nn.Module:
    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}
    if name not in acts:
        raise ValueError(f"activation must be one of {', '.join(map(repr, acts))}; got {name!r}")
    return acts[name]()


class MLP(nn.Module):
    """A fully connected network: flatten, ``len(hidden)`` hidden layers, logits.

    Parameters
    ----------
    in_features : int, default=64
        Inputs of any shape ``(n, ...)`` are flattened to ``(n, in_features)``.
    hidden : sequence of int, default=(256, 256, 256)
        Width of each hidden layer (Morcos et al. 2018 use 3 x 256 on digits-size data).
    n_classes : int, default=10
    activation : {"relu", "tanh", "gelu", "sigmoid"}, default="relu"
    seed : int, optional
        Seeds the initialisation (the global RNG is left untouched).

    Attributes
    ----------
    layer_names : tuple of str
        ``("fc1", ..., "fcK", "logits")``.

    Examples
    --------
    >>> import torch
    >>> from svcca.nn.models import MLP
    >>> net = MLP(64, hidden=(32, 32), seed=0)
    >>> net.layer_names
    ('fc1', 'fc2', 'logits')
    >>> net(torch.zeros(5, 1, 8, 8)).shape
    torch.Size([5, 10])
    """

    def __init__(
        self,
        in_features: int = 64,
        hidden: Sequence[int] = (256, 256, 256),
        n_classes: int = 10,
        *,
        activation: str = "relu",
        seed: int | None = None,
    ) -> None:
        super().__init__()
        in_features = int(check_int(in_features, "in_features"))  # type: ignore[arg-type]
        n_classes = int(check_int(n_classes, "n_classes"))  # type: ignore[arg-type]
        # a layer of width 0 builds, and makes every logit constant
        hidden = tuple(int(check_int(h, "each of hidden")) for h in hidden)  # type: ignore[arg-type]
        self.config = {
            "in_features": in_features,
            "hidden": list(hidden),
            "n_classes": n_classes,
            "activation": activation,
        }
        with _seeded(seed):
            widths = (in_features, *hidden)
            for i, (a, b) in enumerate(zip(widths[:-1], widths[1:]), start=1):
                self.add_module(f"fc{i}", nn.Sequential(nn.Linear(a, b), _activation(activation)))
            self.logits = nn.Linear(widths[-1], n_classes)
        self.layer_names: tuple[str, ...] = (*(f"fc{i}" for i in range(1, len(hidden) + 1)), "logits")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map inputs of shape ``(n, ...)`` (flattened) to logits of shape ``(n, n_classes)``."""
        x = x.flatten(1)
        for name in self.layer_names:
            x = getattr(self, name)(x)
        return x


def _parse_spec(s: ConvSpec | int | str | Sequence[int]) -> ConvSpec:
    if isinstance(s, ConvSpec):
        return s
    if isinstance(s, int) and not isinstance(s, bool):
        return ConvSpec(s)
    if isinstance(s, str):  # "32" or "32s2"
        c, _, stride = s.partition("s")
        try:
            return ConvSpec(int(c), int(stride or 1))
        except ValueError:
            pass
    elif isinstance(s, Sequence):
        return ConvSpec(*(int(v) if v is not None else None for v in s))  # type: ignore[arg-type]
    raise ValueError(
        f"a conv layer spec must be a ConvSpec, an int, a string like '32s2' or a tuple; got {s!r}"
    )


def _check_spec(spec: ConvSpec, name: str) -> None:
    """Refuse a conv layer of fewer than 1 channel, stride or kernel, or of negative padding."""
    for attr, low in (("channels", 1), ("stride", 1), ("kernel_size", 1), ("padding", 0)):
        check_int(getattr(spec, attr), f"{name} {attr}", minimum=low, allow_none=attr == "padding")


class ConvNet(nn.Module):
    """A plain conv net with batch norm: conv blocks, global average pooling, logits.

    Parameters
    ----------
    arch : str or sequence, default="pilot5"
        A name in :data:`CONV_ARCHITECTURES` or one spec per conv layer: a
        :class:`ConvSpec`, an int (channels), or a string such as ``"32s2"`` (stride 2).
    in_channels : int, default=1
    n_classes : int, default=10
    batch_norm : bool, default=True
    width : float, default=1.0
        Multiplies every layer's channels (rounded, at least 1).
    seed : int, optional
        Seeds the initialisation.

    Attributes
    ----------
    layer_names : tuple of str
        ``("conv1", ..., "convK", "logits")``.
    specs : tuple of ConvSpec

    Examples
    --------
    >>> import torch
    >>> from svcca.nn.models import ConvNet
    >>> net = ConvNet("six", seed=0)
    >>> net.layer_names
    ('conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'conv6', 'logits')
    >>> net(torch.zeros(2, 1, 16, 16)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        arch: str | Sequence[ConvSpec | int | str] = "pilot5",
        in_channels: int = 1,
        n_classes: int = 10,
        *,
        batch_norm: bool = True,
        width: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if isinstance(arch, str):
            if arch not in CONV_ARCHITECTURES:
                raise ValueError(
                    f"arch must be one of {', '.join(map(repr, CONV_ARCHITECTURES))} or a list of layer "
                    f"specs; got {arch!r}"
                )
            specs = CONV_ARCHITECTURES[arch]
        else:
            specs = tuple(_parse_spec(s) for s in arch)
        if not specs:
            raise ValueError("arch must have at least one conv layer")
        for i, spec in enumerate(specs, start=1):  # a channel count of 0 or -3 used to become 1 quietly
            _check_spec(spec, f"conv{i}")
        in_channels = int(check_int(in_channels, "in_channels"))  # type: ignore[arg-type]
        n_classes = int(check_int(n_classes, "n_classes"))  # type: ignore[arg-type]  # 0 built (n, 0) logits
        w: Any = width  # mypy does not count float as a numbers.Real
        if isinstance(w, bool) or not isinstance(w, numbers.Real) or not 0 < float(w) < math.inf:
            raise ValueError(f"width must be a positive finite number (a channel multiplier); got {width!r}")
        # the config keeps the specs before the width multiplier, which it records apart, so
        # that build_model("conv", **net.config) applies the multiplier once, as here
        arch_config = arch if isinstance(arch, str) else [list(s) for s in specs]
        specs = tuple(s._replace(channels=max(1, round(s.channels * width))) for s in specs)
        self.specs = specs
        self.config = {
            "arch": arch_config,
            "in_channels": in_channels,
            "n_classes": n_classes,
            "batch_norm": batch_norm,
            "width": width,
        }
        with _seeded(seed):
            c_in = in_channels
            for i, s in enumerate(specs, start=1):
                pad = s.kernel_size // 2 if s.padding is None else s.padding
                layers: list[nn.Module] = [
                    nn.Conv2d(
                        c_in, s.channels, s.kernel_size, stride=s.stride, padding=pad, bias=not batch_norm
                    )
                ]
                if batch_norm:
                    layers.append(nn.BatchNorm2d(s.channels))
                layers.append(nn.ReLU())
                self.add_module(f"conv{i}", nn.Sequential(*layers))
                c_in = s.channels
            self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1))
            self.logits = nn.Linear(c_in, n_classes)
        self._convs = tuple(f"conv{i}" for i in range(1, len(specs) + 1))
        self.layer_names: tuple[str, ...] = (*self._convs, "logits")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map images of shape ``(n, channels, height, width)`` to logits of shape ``(n, n_classes)``."""
        for name in self._convs:
            x = getattr(self, name)(x)
        return self.logits(self.pool(x))


class _BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, plus a 1x1 projection shortcut when the shape changes, then ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class SmallResNet(nn.Module):
    """A ResNet for small images (He et al. 2016, CIFAR variant): stem, 3 stages, pooling, logits.

    Depth ``6 * blocks + 2`` (``blocks=1`` is ResNet-8, ``3`` is ResNet-20).

    Parameters
    ----------
    blocks : int, default=1
        Basic blocks per stage.
    widths : (int, int, int), default=(16, 32, 64)
        Channels of the three stages; stages 2 and 3 halve the resolution.
    in_channels : int, default=3
    n_classes : int, default=10
    seed : int, optional

    Attributes
    ----------
    layer_names : tuple of str
        ``("stem", "stage1.0", ..., "stage3.<blocks-1>", "logits")``.

    Examples
    --------
    >>> import torch
    >>> from svcca.nn.models import SmallResNet
    >>> net = SmallResNet(blocks=1, widths=(8, 16, 32), in_channels=1, seed=0)
    >>> net.layer_names
    ('stem', 'stage1.0', 'stage2.0', 'stage3.0', 'logits')
    >>> net(torch.zeros(2, 1, 16, 16)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        blocks: int = 1,
        widths: Sequence[int] = (16, 32, 64),
        in_channels: int = 3,
        n_classes: int = 10,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        # int(4.7) built 4 channels, blocks="2" failed inside torch
        widths = tuple(int(check_int(w, "each of widths")) for w in widths)  # type: ignore[arg-type]
        blocks = int(check_int(blocks, "blocks"))  # type: ignore[arg-type]
        in_channels = int(check_int(in_channels, "in_channels"))  # type: ignore[arg-type]
        n_classes = int(check_int(n_classes, "n_classes"))  # type: ignore[arg-type]
        if len(widths) != 3:
            raise ValueError(f"SmallResNet needs 3 stage widths; got widths={widths}")
        self.config = {
            "blocks": blocks,
            "widths": list(widths),
            "in_channels": in_channels,
            "n_classes": n_classes,
        }
        with _seeded(seed):
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                nn.BatchNorm2d(widths[0]),
                nn.ReLU(),
            )
            c_in = widths[0]
            for k, w in enumerate(widths, start=1):
                stage = nn.Sequential(
                    *(
                        _BasicBlock(c_in if b == 0 else w, w, 2 if (k > 1 and b == 0) else 1)
                        for b in range(blocks)
                    )
                )
                self.add_module(f"stage{k}", stage)
                c_in = w
            self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1))
            self.logits = nn.Linear(c_in, n_classes)
        self.layer_names: tuple[str, ...] = (
            "stem",
            *(f"stage{k}.{b}" for k in (1, 2, 3) for b in range(blocks)),
            "logits",
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map images of shape ``(n, channels, height, width)`` to logits of shape ``(n, n_classes)``."""
        x = self.stem(x)
        for k in (1, 2, 3):
            x = self.get_submodule(f"stage{k}")(x)
        return self.logits(self.pool(x))


class LSTMLanguageModel(nn.Module):
    """A next-token language model: embedding, stacked LSTM layers, linear decoder.

    The layers are separate single-layer ``nn.LSTM`` modules so each layer's hidden states
    can be recorded; every sequence position is a datapoint, so a layer over
    ``n_sequences`` sequences of length ``seq_len`` gives ``n_sequences * seq_len`` rows.
    Each sequence starts from a zero state (no state is carried between batches).

    Parameters
    ----------
    vocab_size : int
    embedding_dim : int, default=32
    hidden_size : int, default=128
    num_layers : int, default=2
    dropout : float, default=0.0
        Dropout between layers (training only).
    seed : int, optional

    Attributes
    ----------
    layer_names : tuple of str
        ``("embedding", "lstm1", ..., "lstmK", "logits")``.

    Examples
    --------
    >>> import torch
    >>> from svcca.nn.models import LSTMLanguageModel
    >>> lm = LSTMLanguageModel(vocab_size=50, hidden_size=16, num_layers=2, seed=0)
    >>> lm.layer_names
    ('embedding', 'lstm1', 'lstm2', 'logits')
    >>> lm(torch.zeros(3, 20, dtype=torch.long)).shape  # (n_sequences, seq_len, vocab_size)
    torch.Size([3, 20, 50])
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 32,
        hidden_size: int = 128,
        num_layers: int = 2,
        *,
        dropout: float = 0.0,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("embedding_dim", embedding_dim),
                            ("hidden_size", hidden_size), ("num_layers", num_layers)):  # fmt: skip
            check_int(value, name)  # 0 built; "2" failed inside torch
        self.config = {
            "vocab_size": vocab_size,
            "embedding_dim": embedding_dim,
            "hidden_size": hidden_size,
            "num_layers": num_layers,
            "dropout": dropout,
        }
        with _seeded(seed):
            self.embedding = nn.Embedding(vocab_size, embedding_dim)
            for i in range(1, num_layers + 1):
                self.add_module(
                    f"lstm{i}",
                    nn.LSTM(embedding_dim if i == 1 else hidden_size, hidden_size, batch_first=True),
                )
            self.drop = nn.Dropout(dropout)
            self.logits = nn.Linear(hidden_size, vocab_size)
        self._lstms = tuple(f"lstm{i}" for i in range(1, num_layers + 1))
        self.layer_names: tuple[str, ...] = ("embedding", *self._lstms, "logits")

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Map token ids of shape ``(n, seq_len)`` to next-token logits ``(n, seq_len, vocab_size)``."""
        x = self.embedding(tokens)
        for name in self._lstms:
            x, _ = self.get_submodule(name)(self.drop(x))
        return self.logits(self.drop(x))


# --------------------------------------------------------------------------- torchvision


def _resnet_layer_names(model: nn.Module) -> tuple[str, ...]:
    blocks = [
        f"{stage}.{i}"
        for stage in ("layer1", "layer2", "layer3", "layer4")
        for i in range(len(getattr(model, stage)))
    ]
    return ("maxpool", *blocks, "fc")


def torchvision_resnet(
    name: str = "resnet18",
    *,
    weights: Any = None,
    num_classes: int | None = None,
    allow_download: bool = True,
    seed: int | None = None,
) -> nn.Module:
    """Build a torchvision ResNet with ``layer_names``; pretrained weights only via torchvision's cache.

    Parameters
    ----------
    name : {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152"}
    weights : None, str or torchvision Weights, default=None
        ``None`` is random initialisation; ``"DEFAULT"`` or ``"IMAGENET1K_V1"`` (etc.) loads
        torchvision's pretrained weights from its cache (``torch.hub.get_dir()/checkpoints``),
        downloading them there first when ``allow_download`` and online.
    num_classes : int, optional
        Output classes for random initialisation (default 1000); not with ``weights``.
    allow_download : bool, default=True
        ``False`` fails fast, without touching the network, when the weights are not cached.
    seed : int, optional
        Seeds the random initialisation.

    Returns
    -------
    torchvision.models.ResNet
        With ``layer_names = ("maxpool", "layer1.0", ..., "layer4.<last>", "fc")``: the stem
        (after max pooling), every residual block, and the logits. State-dict keys are
        torchvision's, so its checkpoints load directly.

    Raises
    ------
    RuntimeError
        When pretrained weights are requested but neither cached nor downloadable, with the
        path they are expected at.
    ValueError
        For an unknown ``name``, or ``num_classes`` other than 1000 with ``weights``.

    Examples
    --------
    >>> from svcca.nn.models import torchvision_resnet
    >>> net = torchvision_resnet("resnet18", num_classes=3, seed=0)
    >>> net.config
    {'name': 'resnet18', 'weights': None, 'num_classes': 3}
    """
    import torchvision

    builders = {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152"}
    if name not in builders:
        raise ValueError(f"name must be one of {', '.join(map(repr, sorted(builders)))}; got {name!r}")
    builder = getattr(torchvision.models, name)
    kwargs: dict[str, Any] = {}
    if weights is not None:
        if num_classes not in (None, 1000):
            raise ValueError(f"pretrained weights have 1000 classes; got num_classes={num_classes}")
        w = torchvision.models.get_model_weights(name).verify(weights)
        cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(w.url)
        if not cached.is_file() and not allow_download:
            raise RuntimeError(
                f"pretrained weights {w} are not in torchvision's cache ({cached}) and allow_download=False. "
                f'On a machine with internet run `python -c "import torchvision; torchvision.models.{name}'
                f"(weights='{w.name}')\"` and copy the file to {cached} (or set TORCH_HOME)."
            )
        try:
            model = builder(weights=w)
        except Exception as exc:  # URLError, HTTPError, OSError, ... while offline
            raise RuntimeError(
                f"could not load pretrained weights {w}: they are not in torchvision's cache ({cached}) "
                f"and the download from {w.url} failed ({type(exc).__name__}: {exc}). Download them on a "
                f"machine with internet and copy the file to {cached} (or set TORCH_HOME)."
            ) from exc
    else:
        if num_classes is not None:
            kwargs["num_classes"] = num_classes
        with _seeded(seed):
            model = builder(weights=None, **kwargs)
    model.layer_names = _resnet_layer_names(model)
    model.config = {
        "name": name,
        "weights": None if weights is None else w.name,
        "num_classes": model.fc.out_features,
    }
    return model


def _depth_builder(name: str, example: str) -> Callable[..., nn.Module]:
    """Make the public builder of one depth: :func:`torchvision_resnet` with ``name`` fixed.

    ``example`` holds the doctest lines that follow ``net = <name>(num_classes=5, seed=0)``.
    """

    def build(
        *,
        weights: Any = None,
        num_classes: int | None = None,
        allow_download: bool = True,
        seed: int | None = None,
    ) -> nn.Module:
        return torchvision_resnet(
            name, weights=weights, num_classes=num_classes, allow_download=allow_download, seed=seed
        )

    build.__name__ = build.__qualname__ = name
    depth = name.removeprefix("resnet")
    build.__doc__ = f"""Build torchvision's ResNet-{depth} with ``layer_names`` (:func:`torchvision_resnet`).

    Parameters
    ----------
    weights, num_classes, allow_download, seed
        As in :func:`torchvision_resnet` (``weights=None`` initialises at random).

    Returns
    -------
    torchvision.models.ResNet
        With ``layer_names``: the stem, every residual block and the logits.

    Examples
    --------
    >>> from svcca.nn.models import {name}
    >>> net = {name}(num_classes=5, seed=0)
{example}
    """
    return build


resnet18 = _depth_builder(
    "resnet18",
    """    >>> net.layer_names[:3], net.layer_names[-1], len(net.layer_names)
    (('maxpool', 'layer1.0', 'layer1.1'), 'fc', 10)""",
)
resnet50 = _depth_builder(
    "resnet50",
    """    >>> net.layer_names[:2], net.layer_names[-2:], len(net.layer_names)
    (('maxpool', 'layer1.0'), ('layer4.2', 'fc'), 18)""",
)


_REGISTRY = {"mlp": MLP, "conv": ConvNet, "resnet_small": SmallResNet, "lstm_lm": LSTMLanguageModel}


def build_model(kind: str, *, seed: int | None = None, **config: Any) -> nn.Module:
    """Build a model from a plain description (for configs and manifests).

    Parameters
    ----------
    kind : {"mlp", "conv", "resnet_small", "lstm_lm", "resnet18", "resnet50", ...}
        :class:`MLP`, :class:`ConvNet`, :class:`SmallResNet`, :class:`LSTMLanguageModel`, or
        a torchvision ResNet (:func:`torchvision_resnet`).
    seed : int, optional
        Seeds the random initialisation.
    **config
        The constructor's keyword arguments; ``model.config`` of a built model round-trips.

    Returns
    -------
    torch.nn.Module
        The model, with ``layer_names`` and ``config``.

    Raises
    ------
    ValueError
        For an unknown ``kind``; the message lists the known ones.

    Examples
    --------
    >>> from svcca.nn.models import build_model
    >>> net = build_model("conv", arch="six", seed=1)
    >>> build_model("conv", seed=1, **net.config).layer_names == net.layer_names
    True
    """
    if kind in _REGISTRY:
        return _REGISTRY[kind](seed=seed, **config)
    if kind.startswith("resnet"):
        config.pop("name", None)
        return torchvision_resnet(kind, seed=seed, **config)
    raise ValueError(
        f"kind must be one of {', '.join(map(repr, [*_REGISTRY, 'resnet18', 'resnet50']))}; got {kind!r}"
    )
