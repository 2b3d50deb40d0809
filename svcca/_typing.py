"""Type aliases of the public signatures, in one place.

``ArrayOrTensor`` is what the functions that read data accept: anything
:func:`numpy.asarray` reads (arrays, nested lists, scalars, objects with ``__array__``) or
a ``torch.Tensor``. A tensor already satisfies numpy's :data:`numpy.typing.ArrayLike`
(it has ``__array__``); naming it says that it is kept as a tensor, on its device, where a
function computes on the torch backend. torch is imported for the type checker only.

Examples
--------
>>> import numpy as np
>>> from svcca._typing import ArrayOrTensor
>>> def n_samples(X: ArrayOrTensor) -> int:
...     return int(np.shape(X)[0])
>>> n_samples([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
3
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, Union

from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import torch

__all__ = ["ArrayLike", "ArrayOrTensor"]

#: An array-like of numbers (see :data:`numpy.typing.ArrayLike`) or a ``torch.Tensor``.
ArrayOrTensor: TypeAlias = Union[ArrayLike, "torch.Tensor"]
