"""Numpy/torch dispatch.

The numerical core is written once against the tiny namespace below. A numpy array
selects :class:`NumpyOps`; a ``torch.Tensor`` selects :class:`TorchOps`, which keeps
every operation on the tensor's device. ``torch`` is imported only when a tensor is
actually handed in (we look the class up in ``sys.modules`` first), so the core works
with numpy alone.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = ["is_torch", "get_ops", "NumpyOps", "TorchOps", "to_numpy"]


def is_torch(x: Any) -> bool:
    """True when ``x`` is a ``torch.Tensor`` (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def to_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a numpy array (torch tensors are detached and moved to the CPU)."""
    if is_torch(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


class NumpyOps:
    """Array operations on numpy arrays (float64 by default)."""

    name = "numpy"

    def __init__(self, dtype: Any = None) -> None:
        self.dtype = np.dtype(dtype) if dtype is not None else None

    # construction / conversion -------------------------------------------------------
    def asarray(self, x: Any, complex_ok: bool = True) -> np.ndarray:
        a = np.asarray(x)
        if np.iscomplexobj(a) and complex_ok:
            target = np.complex64 if self.dtype == np.float32 else np.complex128
        else:
            target = self.dtype if self.dtype is not None else np.float64
        return np.ascontiguousarray(a, dtype=target)

    def zeros(self, shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
        return np.zeros(shape, dtype=like.dtype)

    def eye(self, n: int, like: np.ndarray) -> np.ndarray:
        return np.eye(n, dtype=like.dtype)

    def arange(self, n: int) -> np.ndarray:
        return np.arange(n)

    def from_numpy(self, a: np.ndarray, like: Any = None) -> np.ndarray:
        return np.asarray(a)

    def to_numpy(self, a: Any) -> np.ndarray:
        return np.asarray(a)

    def real_dtype_eps(self, a: np.ndarray) -> float:
        return float(np.finfo(a.real.dtype).eps)

    def is_complex(self, a: np.ndarray) -> bool:
        return np.iscomplexobj(a)

    # linear algebra -------------------------------------------------------------------
    def ct(self, a: np.ndarray) -> np.ndarray:
        """Conjugate transpose."""
        return a.conj().T if np.iscomplexobj(a) else a.T

    def gram(self, a: np.ndarray) -> np.ndarray:
        return self.ct(a) @ a

    def eigh(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.linalg.eigh(a)

    def svd(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        try:
            return np.linalg.svd(a, full_matrices=False)
        except np.linalg.LinAlgError:  # gesdd rarely fails to converge; gesvd is robust
            import scipy.linalg

            return scipy.linalg.svd(a, full_matrices=False, lapack_driver="gesvd")

    # elementwise / reductions ----------------------------------------------------------
    def mean0(self, a: np.ndarray) -> np.ndarray:
        return a.mean(axis=0)

    def colnorm(self, a: np.ndarray) -> np.ndarray:
        return np.linalg.norm(a, axis=0)

    def sqrt(self, a: np.ndarray) -> np.ndarray:
        return np.sqrt(a)

    def abs(self, a: np.ndarray) -> np.ndarray:
        return np.abs(a)

    def clip01(self, a: np.ndarray) -> np.ndarray:
        return np.clip(a, 0.0, 1.0)

    def all_finite(self, a: np.ndarray) -> bool:
        return bool(np.isfinite(a).all())

    def nonzero(self, mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask)

    def sum(self, a: np.ndarray, axis: int | None = None) -> np.ndarray:
        return a.sum(axis=axis)

    def max(self, a: np.ndarray) -> float:
        return float(a.max()) if a.size else 0.0

    def real(self, a: np.ndarray) -> np.ndarray:
        return a.real

    def item(self, a: Any) -> float:
        return float(a)


class TorchOps(NumpyOps):
    """The same operations on torch tensors, staying on the tensor's device."""

    name = "torch"

    def __init__(self, dtype: Any = None, device: Any = None) -> None:
        import torch

        self.torch = torch
        self.device = device
        if dtype is None:
            self.dtype = None
        elif isinstance(dtype, torch.dtype):
            self.dtype = dtype
        else:
            self.dtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
                np.dtype(dtype)
            ]

    def asarray(self, x: Any, complex_ok: bool = True) -> Any:
        torch = self.torch
        t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
        if t.is_complex() and complex_ok:
            target = torch.complex64 if self.dtype == torch.float32 else torch.complex128
        else:
            target = self.dtype if self.dtype is not None else torch.float64
        return t.to(device=self.device if self.device is not None else t.device, dtype=target)

    def zeros(self, shape: tuple[int, ...], like: Any) -> Any:
        return self.torch.zeros(shape, dtype=like.dtype, device=like.device)

    def eye(self, n: int, like: Any) -> Any:
        return self.torch.eye(n, dtype=like.dtype, device=like.device)

    def arange(self, n: int) -> Any:
        return self.torch.arange(n, device=self.device)

    def from_numpy(self, a: np.ndarray, like: Any = None) -> Any:
        t = self.torch.as_tensor(np.ascontiguousarray(a))
        if like is not None:
            t = t.to(device=like.device)
        return t

    def to_numpy(self, a: Any) -> np.ndarray:
        return a.detach().cpu().numpy()

    def real_dtype_eps(self, a: Any) -> float:
        dt = a.real.dtype if a.is_complex() else a.dtype
        return float(self.torch.finfo(dt).eps)

    def is_complex(self, a: Any) -> bool:
        return bool(a.is_complex())

    def ct(self, a: Any) -> Any:
        return a.mH if a.is_complex() else a.mT

    def eigh(self, a: Any) -> tuple[Any, Any]:
        return self.torch.linalg.eigh(a)

    def svd(self, a: Any) -> tuple[Any, Any, Any]:
        return self.torch.linalg.svd(a, full_matrices=False)

    def mean0(self, a: Any) -> Any:
        return a.mean(dim=0)

    def colnorm(self, a: Any) -> Any:
        return self.torch.linalg.vector_norm(a, dim=0)

    def sqrt(self, a: Any) -> Any:
        return self.torch.sqrt(a)

    def abs(self, a: Any) -> Any:
        return self.torch.abs(a)

    def clip01(self, a: Any) -> Any:
        return self.torch.clamp(a, 0.0, 1.0)

    def all_finite(self, a: Any) -> bool:
        return bool(self.torch.isfinite(a).all())

    def nonzero(self, mask: Any) -> Any:
        return self.torch.nonzero(mask).flatten()

    def sum(self, a: Any, axis: int | None = None) -> Any:
        return a.sum() if axis is None else a.sum(dim=axis)

    def max(self, a: Any) -> float:
        return float(a.max()) if a.numel() else 0.0

    def real(self, a: Any) -> Any:
        return a.real if a.is_complex() else a

    def item(self, a: Any) -> float:
        return float(a)


def get_ops(*arrays: Any, dtype: Any = None) -> NumpyOps:
    """Pick the backend for ``arrays``: torch if any is a tensor, else numpy.

    Mixing a tensor with a numpy array is allowed; the numpy side is moved to the
    tensor's device.
    """
    for a in arrays:
        if is_torch(a):
            return TorchOps(dtype=dtype, device=a.device)
    return NumpyOps(dtype=dtype)
