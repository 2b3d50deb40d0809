"""The named conv architectures, as data: no torch needed to read or check them.

:class:`svcca.nn.ConvNet` builds them (``svcca.nn.models`` re-exports both names); experiment
configs check an ``arch`` name, and whether it fits the images, without importing torch, so
that loading a cached result does not pay for the import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["CONV_ARCHITECTURES", "ConvSpec"]


class ConvSpec(NamedTuple):
    """One conv block: ``Conv2d(kernel_size, stride, padding)`` -> BatchNorm -> ReLU.

    ``padding=None`` means "same" (``kernel_size // 2``); ``0`` is "valid".
    """

    channels: int
    stride: int = 1
    kernel_size: int = 3
    padding: int | None = None


def _specs(channels: Sequence[int], strides: Sequence[int] | None = None) -> tuple[ConvSpec, ...]:
    strides = strides or (1,) * len(channels)
    return tuple(ConvSpec(c, s) for c, s in zip(channels, strides))


#: Named conv architectures.
#:
#: * ``"pilot5"``: 5 x conv3x3-32 (bottom-up convergence on 8x8 digits);
#: * ``"six"``: 16, 32s2, 32, 64s2, 64, 128s2 (layer identification across seeds: the
#:   pilot's net, best at 16x16 with random shifts);
#: * ``"tiny9"``: 16, 16, 16, 32s2, 32, 32, 64s2, 64, 64 (the pilot's deep plain stack);
#: * ``"tiny10"``: the Tiny-10 CNN of Kornblith et al. (2019): conv 16 x2, 32s2, 32 x2, 64s2,
#:   a 3x3 64 with valid padding and a 1x1 64 (8 conv layers + pooling + logits; inputs of
#:   at least 9x9, since the valid conv needs a 3x3 map after two stride-2 layers).
CONV_ARCHITECTURES: dict[str, tuple[ConvSpec, ...]] = {
    "pilot5": _specs((32,) * 5),
    "six": _specs((16, 32, 32, 64, 64, 128), (1, 2, 1, 2, 1, 2)),
    "tiny9": _specs((16, 16, 16, 32, 32, 32, 64, 64, 64), (1, 1, 1, 2, 1, 1, 2, 1, 1)),
    "tiny10": (
        *_specs((16, 16, 32, 32, 32, 64), (1, 1, 2, 1, 1, 2)),
        ConvSpec(64, 1, 3, 0),
        ConvSpec(64, 1, 1, 0),
    ),
}
