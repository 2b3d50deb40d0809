"""Numpy/torch dispatch.

The numerical core is written once against the small namespace below. A numpy array
selects :class:`NumpyOps`; a ``torch.Tensor`` selects :class:`TorchOps`, which keeps
every operation on the tensor's device. ``torch`` is imported only when a tensor is
actually handed in (we look the class up in ``sys.modules`` first), so the core works
with numpy alone; scipy's LAPACK wrappers are imported on first use.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["is_torch", "get_ops", "NumpyOps", "TorchOps", "to_numpy"]


def is_torch(x: Any) -> bool:
    """Tell whether ``x`` is a ``torch.Tensor`` (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def to_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a numpy array.

    Torch tensors are detached and moved to the CPU; bfloat16, which numpy lacks, arrives
    as float32, exactly.
    """
    if is_torch(x):
        x = x.detach().cpu()
        if x.dtype == sys.modules["torch"].bfloat16:
            x = x.float()
        return x.numpy()
    return np.asarray(x)


@functools.cache
def _scipy_own_blas() -> tuple[Any, ...]:
    """Find the threadpoolctl controllers of the BLAS libraries that scipy loads beside numpy's.

    Wheels from PyPI ship numpy and scipy each with its own OpenBLAS. Two thread pools
    that take turns fight: the workers of one spin for a while after each call, so a
    multi-threaded call into the other runs up to several times slower. Where scipy has
    such a library of its own, the core runs scipy's (small, p x p) LAPACK work on one
    thread and leaves the large products to numpy's pool. A shared BLAS (conda, MKL)
    needs nothing.
    """
    try:
        import scipy.linalg  # noqa: F401  (load scipy's BLAS before looking)
        from threadpoolctl import ThreadpoolController

        libs = ThreadpoolController().lib_controllers
    except Exception:  # pragma: no cover - threadpoolctl missing or failing
        return ()
    own = []
    for lib in libs:
        path = str(getattr(lib, "filepath", "")).replace("\\", "/")
        if getattr(lib, "user_api", "") == "blas" and ("/scipy.libs/" in path or "/scipy/" in path):
            own.append(lib)
    return tuple(own)


@contextlib.contextmanager
def scipy_blas_one_thread() -> Iterator[None]:
    """Run scipy's own BLAS/LAPACK on one thread inside the block (see :func:`_scipy_own_blas`)."""
    libs = _scipy_own_blas()
    saved = []
    for lib in libs:
        n = lib.num_threads if not hasattr(lib, "get_num_threads") else lib.get_num_threads()
        saved.append(n)
        if n != 1:
            lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(libs, saved):
            if n != 1:
                lib.set_num_threads(n)


def _np_compute_dtype(dtype: Any) -> np.dtype | None:
    """float32/float64 (numpy or torch spelling) as a numpy dtype; None stays None."""
    if dtype is None:
        return None
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(dtype, torch.dtype):
        table = {torch.float32: np.float32, torch.float64: np.float64}
        if dtype not in table:
            raise ValueError(f"dtype must be None, float32 or float64; got {dtype}")
        return np.dtype(table[dtype])
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"dtype must be None, float32 or float64; got {dtype!r}") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be None, float32 or float64; got {dt}")
    return dt


class NumpyOps:
    """Array operations on numpy arrays (float64 by default)."""

    name = "numpy"

    def __init__(self, dtype: Any = None) -> None:
        self.dtype: Any = _np_compute_dtype(dtype)

    def wider(self) -> NumpyOps:
        """Return the same backend computing in float64 (complex128 for complex data)."""
        return NumpyOps()

    # construction / conversion -------------------------------------------------------
    def asarray(self, x: Any, complex_ok: bool = True) -> np.ndarray:
        """Convert ``x`` to the compute precision (float64 unless float32 was asked for).

        No copy is made when it already is.
        """
        a = np.asarray(x)
        target: Any
        if np.iscomplexobj(a) and complex_ok:
            target = np.complex64 if self.dtype == np.float32 else np.complex128
        else:
            target = self.dtype if self.dtype is not None else np.float64
        return np.ascontiguousarray(a, dtype=target)

    def zeros(self, shape: tuple[int, ...], like: Any = None, *, complex_: bool = False) -> np.ndarray:
        """Return zeros of ``like``'s dtype, or of the compute precision when ``like`` is None.

        With ``complex_``, the compute precision's complex type.
        """
        if like is not None:
            return np.zeros(shape, dtype=like.dtype)
        return np.zeros(shape, dtype=self._compute_dtype(complex_))

    def _compute_dtype(self, complex_: bool) -> Any:
        single = self.dtype == np.float32
        if complex_:
            return np.complex64 if single else np.complex128
        return np.float32 if single else np.float64

    def eye(self, n: int, like: np.ndarray) -> np.ndarray:
        return np.eye(n, dtype=like.dtype)

    def arange(self, n: int) -> np.ndarray:
        return np.arange(n)

    def from_numpy(self, a: np.ndarray, like: Any = None) -> np.ndarray:
        return np.asarray(a)

    def index(self, idx: np.ndarray) -> np.ndarray:
        """Return an integer index array, ready to index this backend's arrays."""
        return idx

    def to_numpy(self, a: Any) -> np.ndarray:
        return np.asarray(a)

    def lapack_context(self) -> Any:
        """Context for the small LAPACK work (see :func:`scipy_blas_one_thread`)."""
        return scipy_blas_one_thread()

    def real_dtype_eps(self, a: np.ndarray) -> float:
        return float(np.finfo(a.real.dtype).eps)

    def finfo(self, a: np.ndarray) -> Any:
        return np.finfo(a.real.dtype)

    def is_complex(self, a: np.ndarray) -> bool:
        return np.iscomplexobj(a)

    # linear algebra -------------------------------------------------------------------
    def ct(self, a: np.ndarray) -> np.ndarray:
        """Conjugate transpose (of the last two axes of a stack of matrices)."""
        b = a.conj() if np.iscomplexobj(a) else a
        return b.T if b.ndim <= 2 else np.swapaxes(b, -1, -2)

    def gram(self, a: np.ndarray) -> np.ndarray:
        """``a^H a``; for real input numpy hands ``a.T @ a`` to BLAS ``syrk`` (half the flops)."""
        return self.ct(a) @ a

    def eigh(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.linalg.eigh(a)

    def eigvalsh(self, a: np.ndarray) -> np.ndarray:
        return np.linalg.eigvalsh(a)

    def svd(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        try:
            return np.linalg.svd(a, full_matrices=False)
        except np.linalg.LinAlgError:  # gesdd rarely fails to converge; gesvd is robust
            import scipy.linalg

            return scipy.linalg.svd(a, full_matrices=False, lapack_driver="gesvd")

    def svdvals(self, a: np.ndarray) -> np.ndarray:
        """Singular values, descending (see :func:`svdvals_tridiagonal` for the fast route).

        A large real float32 matrix takes the same route in float64, asked for the accuracy
        of float32 (``eps32 / 16`` of the largest value, finer than float32's own SVD):
        squaring in float64 then costs nothing a float32 answer can show, and the small
        values rarely need recomputing (a float64 ``p x p`` tridiagonalisation costs less than
        a float32 bidiagonalisation of the same matrix).
        """
        if a.ndim == 2 and a.dtype in (np.float64, np.float32) and min(a.shape) >= _TRIDIAGONAL_MIN:
            if a.dtype == np.float64:
                s = svdvals_tridiagonal(a)
            else:
                s = svdvals_tridiagonal(a.astype(np.float64), tol=_TRIDIAGONAL_TOL_F32)
            if s is not None:
                return s.astype(a.dtype, copy=False)
        try:
            return np.linalg.svd(a, compute_uv=False)
        except np.linalg.LinAlgError:  # pragma: no cover - see svd
            return self.svd(a)[1]

    def cross(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a^H b``; real results come Fortran-ordered, as LAPACK and BLAS want them."""
        if np.iscomplexobj(a) or np.iscomplexobj(b):
            return self.ct(a) @ b
        return (b.T @ a).T

    def cholesky(self, a: np.ndarray) -> tuple[np.ndarray | None, bool]:
        """Lower Cholesky factor ``L`` (``a = L L^H``) and whether ``a`` was positive definite."""
        from scipy.linalg import get_lapack_funcs

        (potrf,) = get_lapack_funcs(("potrf",), (a,))
        L, info = potrf(a, lower=1, clean=1)
        return (L, True) if info == 0 else (None, False)

    def rcond_chol(self, L: np.ndarray, a: np.ndarray) -> float:
        """LAPACK's estimate of ``1 / cond_1(a)`` from the Cholesky factor ``L`` of ``a``.

        For a Hermitian matrix ``cond_1 >= cond_2``, and the estimate is rarely more than
        a few times below ``cond_1``, so it is a safe measure of accuracy loss.
        """
        from scipy.linalg import get_lapack_funcs

        L = np.asarray(L)
        (pocon,) = get_lapack_funcs(("pocon",), (L,))
        (lange,) = get_lapack_funcs(("lange",), (a,))
        # the 1-norm, without a temporary: ||a||_1 = ||a^T||_inf, and a^T is Fortran-ordered
        anorm = float(lange("I", a.T) if a.flags.c_contiguous else lange("1", a))
        rcond, info = pocon(L, anorm, "L")
        return float(rcond) if info == 0 else 0.0

    def solve_tril(self, L: np.ndarray, B: np.ndarray, adjoint: bool = False) -> np.ndarray:
        """``L^{-1} B`` (or ``L^{-H} B``) for lower-triangular ``L``."""
        from scipy.linalg import get_blas_funcs

        (trsm,) = get_blas_funcs(("trsm",), (L, B))
        return trsm(1.0, L, B, side=0, lower=1, trans_a=2 if adjoint else 0)

    def tril_sandwich(self, Lx: np.ndarray, C: np.ndarray, Ly: np.ndarray) -> np.ndarray:
        """``Lx^{-1} C Ly^{-H}`` for lower-triangular ``Lx``, ``Ly``; may overwrite ``C``."""
        from scipy.linalg import get_blas_funcs

        (trsm,) = get_blas_funcs(("trsm",), (Lx, C, Ly))
        M = trsm(1.0, Lx, C, side=0, lower=1, trans_a=0, overwrite_b=1)
        return trsm(1.0, Ly, M, side=1, lower=1, trans_a=2, overwrite_b=1)

    def sub_outer_(self, A: np.ndarray, x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
        """Compute ``A -= alpha * conj(x) y^T`` in place (a BLAS rank-1 update: no temporary)."""
        from scipy.linalg import get_blas_funcs

        x, y = x.conj(), y  # A -= alpha x y^T
        if A.flags.f_contiguous:
            F, u, v = A, x, y
        elif A.flags.c_contiguous:
            F, u, v = A.T, y, x  # A^T -= alpha y x^T
        else:
            A -= alpha * np.outer(x, y)
            return A
        name = "geru" if np.iscomplexobj(F) else "ger"
        (ger,) = get_blas_funcs((name,), (F,))
        out = ger(-alpha, u.astype(F.dtype, copy=False), v.astype(F.dtype, copy=False), a=F, overwrite_a=1)
        if not np.shares_memory(out, F):  # pragma: no cover - f2py copied after all
            F[...] = out
        return A

    # elementwise / reductions ----------------------------------------------------------
    def mean0(self, a: np.ndarray) -> np.ndarray:
        """Column means.

        Large 2-D arrays go through BLAS (``1^T a / n``: one pass, on every BLAS thread);
        the summation error is of the same order as numpy's.
        """
        if a.ndim == 2 and a.size >= 1 << 16 and a.dtype.kind in "fc" and a.shape[0] > 1:
            ones = np.ones(a.shape[0], dtype=a.real.dtype)
            return (ones @ a) / a.shape[0]
        return a.mean(axis=0)

    def centre(
        self, a: Any, mean: Any = None, twice: bool | None = None, inplace: bool = False
    ) -> tuple[Any, Any]:
        """Subtract the column means; return the centred array and the means.

        The centred array is new, or ``a`` itself with ``inplace``. A computed mean misses
        the exact one by up to about ``n eps |mean|`` (in float32, a column of 7e5 +- 1 over
        1000 samples by 0.8), which would stay in the centred copy as an offset entering
        every product. ``twice`` (the default in float32 and narrower,
        where it matters; streaming asks for it in float64) subtracts the mean of the
        centred copy in a second pass, which leaves only the rounding of values near 0.
        """
        mean = self.mean0(a) if mean is None else mean
        if inplace:
            a -= mean
            c = a
        else:
            c = a - mean
        if twice or (twice is None and self.real_dtype_eps(c) > 1e-10):
            fix = self.mean0(c)
            c -= fix
            mean = mean + fix
        return c, mean

    def colnorm(self, a: np.ndarray) -> np.ndarray:
        """Euclidean norm of each column (of a real matrix: one pass, no squared temporary)."""
        if a.ndim == 2 and a.dtype.kind == "f":
            return np.sqrt(np.einsum("ij,ij->j", a, a))  # 4x np.linalg.norm(a, axis=0) at 10000 x 500
        return np.linalg.norm(a, axis=0)

    def colmaxabs(self, a: np.ndarray) -> np.ndarray:
        if a.dtype.kind != "f" or a.shape[0] == 0:  # complex, ints (-min of unsigned wraps)
            return np.abs(a).max(axis=0)
        return np.maximum(a.max(axis=0), -a.min(axis=0))  # no n x p temporary

    def colmedian(self, a: np.ndarray) -> np.ndarray:
        """Return a median of each column (a robust location: one outlier does not move it)."""
        return np.median(a, axis=0)

    def diag_real(self, a: np.ndarray) -> np.ndarray:
        """Real part of the diagonal (of each matrix of a stack)."""
        return np.ascontiguousarray(np.diagonal(a, axis1=-2, axis2=-1).real)

    def outer(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``conj(a) b^T``: the outer product that appears in ``A^H B``."""
        return np.outer(a.conj(), b) if np.iscomplexobj(a) else np.outer(a, b)

    def sqrt(self, a: np.ndarray) -> np.ndarray:
        return np.sqrt(a)

    def abs(self, a: np.ndarray) -> np.ndarray:
        return np.abs(a)

    def clip01(self, a: np.ndarray) -> np.ndarray:
        return np.clip(a, 0.0, 1.0)

    def at_least(self, a: np.ndarray, lo: float) -> np.ndarray:
        """Elementwise ``max(a, lo)``."""
        return np.maximum(a, lo)

    def all_finite(self, a: np.ndarray) -> bool:
        return bool(np.isfinite(a).all())

    def nonzero(self, mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask)

    def sum(self, a: np.ndarray, axis: int | None = None) -> np.ndarray:
        return a.sum(axis=axis)

    def max(self, a: np.ndarray) -> float:
        return float(a.max()) if a.size else 0.0

    def min(self, a: np.ndarray) -> float:
        return float(a.min()) if a.size else 0.0

    def real(self, a: np.ndarray) -> np.ndarray:
        return a.real

    def item(self, a: Any) -> float:
        return float(a)

    def index_cols(self, a: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return a[:, idx]

    def expm1(self, a: np.ndarray) -> np.ndarray:
        return np.expm1(a)

    def exp(self, a: np.ndarray) -> np.ndarray:
        return np.exp(a)

    def upper_median(self, a: np.ndarray) -> float:
        """Return the median of the strictly upper-triangular entries of a square matrix.

        For an even count, the average of the two middle values, as ``numpy.median``.
        """
        return float(np.median(a[np.triu_indices(a.shape[0], 1)]))

    # shape / FFT -----------------------------------------------------------------------
    def permute(self, a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        return a.transpose(axes)

    def contiguous(self, a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a)

    def concat(self, parts: list[Any], axis: int = 0) -> np.ndarray:
        return np.concatenate(parts, axis=axis)

    def copy(self, a: np.ndarray) -> np.ndarray:
        """Return a new array with ``a``'s values (never a view)."""
        return a.copy()

    def sort_desc(self, a: np.ndarray) -> np.ndarray:
        return np.sort(a)[::-1].copy()

    def real_view(self, a: np.ndarray) -> np.ndarray:
        """View a C-contiguous complex ``(..., c)`` array as real ``(..., 2c)``, without a copy.

        The real and imaginary parts are interleaved, ``(re, im)``.
        """
        return a.view(a.real.dtype)

    def rfft(self, a: np.ndarray, axis: int) -> np.ndarray:
        """Unitary (``norm="ortho"``) FFT of real input along ``axis``, half spectrum."""
        import scipy.fft

        return scipy.fft.rfft(a, axis=axis, norm="ortho")

    def fft(self, a: np.ndarray, axis: int, overwrite: bool = False) -> np.ndarray:
        """Unitary (``norm="ortho"``) FFT along ``axis`` (``overwrite``: ``a`` may be reused)."""
        import scipy.fft

        return scipy.fft.fft(a, axis=axis, norm="ortho", overwrite_x=overwrite)


class TorchOps(NumpyOps):
    """The same operations on torch tensors, staying on the tensor's device."""

    name = "torch"

    def __init__(self, dtype: Any = None, device: Any = None, complex_: bool = False) -> None:
        import torch

        self.torch = torch
        self.device = device
        # torch does not mix real and complex operands in a product (numpy promotes): when
        # any input is complex, every real input is promoted to complex on the way in
        self.complex_ = complex_
        dt = _np_compute_dtype(dtype)
        self.dtype = None if dt is None else {np.float32: torch.float32, np.float64: torch.float64}[dt.type]

    def wider(self) -> TorchOps:
        """Return the same backend and device computing in float64 (complex128 for complex data)."""
        return TorchOps(device=self.device, complex_=self.complex_)

    def asarray(self, x: Any, complex_ok: bool = True) -> Any:
        # detached: the measures are statistics, not losses (their routes and rank decisions
        # are not differentiable), and autograd would keep every n x p intermediate alive
        torch = self.torch
        t = x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
        if (t.is_complex() or self.complex_) and complex_ok:
            target = torch.complex64 if self.dtype == torch.float32 else torch.complex128
        else:
            target = self.dtype if self.dtype is not None else torch.float64
        return t.to(device=self.device if self.device is not None else t.device, dtype=target)

    def zeros(self, shape: tuple[int, ...], like: Any = None, *, complex_: bool = False) -> Any:
        if like is not None:
            return self.torch.zeros(shape, dtype=like.dtype, device=like.device)
        return self.torch.zeros(shape, dtype=self._compute_dtype(complex_), device=self.device)

    def _compute_dtype(self, complex_: bool) -> Any:
        single = self.dtype == self.torch.float32
        if complex_:
            return self.torch.complex64 if single else self.torch.complex128
        return self.torch.float32 if single else self.torch.float64

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

    def index(self, idx: np.ndarray) -> Any:
        return self.torch.as_tensor(idx, device=self.device)

    def lapack_context(self) -> Any:
        return contextlib.nullcontext()

    def real_dtype_eps(self, a: Any) -> float:
        return float(self.finfo(a).eps)

    def finfo(self, a: Any) -> Any:
        dt = a.real.dtype if a.is_complex() else a.dtype
        return self.torch.finfo(dt)

    def is_complex(self, a: Any) -> bool:
        return bool(a.is_complex())

    def ct(self, a: Any) -> Any:
        return a.mH if a.is_complex() else a.mT

    def eigh(self, a: Any) -> tuple[Any, Any]:
        return self.torch.linalg.eigh(a)

    def eigvalsh(self, a: Any) -> Any:
        return self.torch.linalg.eigvalsh(a)

    def svd(self, a: Any) -> tuple[Any, Any, Any]:
        try:
            return self.torch.linalg.svd(a, full_matrices=False)
        except RuntimeError:  # torch's LinAlgError: gesdd failed to converge; as NumpyOps, use gesvd
            U, s, Vh = NumpyOps.svd(self, self.to_numpy(a))
            return self.from_numpy(U, like=a), self.from_numpy(s, like=a), self.from_numpy(Vh, like=a)

    def svdvals(self, a: Any) -> Any:
        try:
            return self.torch.linalg.svdvals(a)
        except RuntimeError:  # see svd
            return self.svd(a)[1]

    def cholesky(self, a: Any) -> tuple[Any, bool]:
        L, info = self.torch.linalg.cholesky_ex(a)
        return (L, True) if int(info) == 0 else (None, False)

    def rcond_chol(self, L: Any, a: Any) -> float:
        # a p x p matrix: the estimate runs on the CPU through LAPACK
        return NumpyOps.rcond_chol(self, self.to_numpy(L), self.to_numpy(a))

    def cross(self, a: Any, b: Any) -> Any:
        return self.ct(a) @ b

    def solve_tril(self, L: Any, B: Any, adjoint: bool = False) -> Any:
        if adjoint:
            return self.torch.linalg.solve_triangular(self.ct(L), B, upper=True)
        return self.torch.linalg.solve_triangular(L, B, upper=False)

    def tril_sandwich(self, Lx: Any, C: Any, Ly: Any) -> Any:
        M = self.torch.linalg.solve_triangular(Lx, C, upper=False)
        return self.torch.linalg.solve_triangular(self.ct(Ly), M, upper=True, left=False)

    def sub_outer_(self, A: Any, x: Any, y: Any, alpha: float) -> Any:
        return A.addr_(x.conj() if x.is_complex() else x, y, alpha=-alpha)

    def mean0(self, a: Any) -> Any:
        return a.mean(dim=0)

    def colnorm(self, a: Any) -> Any:
        return self.torch.linalg.vector_norm(a, dim=0)

    def colmaxabs(self, a: Any) -> Any:
        if not a.is_floating_point() or a.shape[0] == 0:  # complex, ints
            return self.torch.abs(a).amax(dim=0)
        lo, hi = self.torch.aminmax(a, dim=0)  # no n x p temporary
        return self.torch.maximum(hi, -lo)

    def colmedian(self, a: Any) -> Any:
        return a.median(dim=0).values  # the lower of the two middle values: any location will do

    def diag_real(self, a: Any) -> Any:
        d = self.torch.diagonal(a, dim1=-2, dim2=-1)
        return (d.real if d.is_complex() else d).contiguous()

    def outer(self, a: Any, b: Any) -> Any:
        return self.torch.outer(a.conj() if a.is_complex() else a, b)

    def sqrt(self, a: Any) -> Any:
        return self.torch.sqrt(a)

    def abs(self, a: Any) -> Any:
        return self.torch.abs(a)

    def clip01(self, a: Any) -> Any:
        return self.torch.clamp(a, 0.0, 1.0)

    def at_least(self, a: Any, lo: float) -> Any:
        return self.torch.clamp(a, min=lo)

    def all_finite(self, a: Any) -> bool:
        return bool(self.torch.isfinite(a).all())

    def nonzero(self, mask: Any) -> Any:
        return self.torch.nonzero(mask).flatten()

    def sum(self, a: Any, axis: int | None = None) -> Any:
        return a.sum() if axis is None else a.sum(dim=axis)

    def max(self, a: Any) -> float:
        return float(a.detach().max()) if a.numel() else 0.0

    def min(self, a: Any) -> float:
        return float(a.detach().min()) if a.numel() else 0.0

    def real(self, a: Any) -> Any:
        return a.real if a.is_complex() else a

    def item(self, a: Any) -> float:
        return float(a.detach()) if is_torch(a) else float(a)

    def expm1(self, a: Any) -> Any:
        return self.torch.expm1(a)

    def exp(self, a: Any) -> Any:
        return self.torch.exp(a)

    def upper_median(self, a: Any) -> float:
        n = int(a.shape[0])
        i, j = self.torch.triu_indices(n, n, 1, device=a.device)
        v = a[i, j]
        m = int(v.numel())
        lo = self.torch.kthvalue(v, (m + 1) // 2).values  # kthvalue counts from 1
        hi = self.torch.kthvalue(v, m // 2 + 1).values
        return 0.5 * (float(lo) + float(hi))

    def permute(self, a: Any, axes: tuple[int, ...]) -> Any:
        return a.permute(*axes)

    def contiguous(self, a: Any) -> Any:
        return a.contiguous()

    def concat(self, parts: list[Any], axis: int = 0) -> Any:
        return self.torch.cat(parts, dim=axis)

    def copy(self, a: Any) -> Any:
        return a.clone()

    def sort_desc(self, a: Any) -> Any:
        return self.torch.sort(a, descending=True).values

    def real_view(self, a: Any) -> Any:
        return self.torch.view_as_real(a).reshape(*a.shape[:-1], 2 * a.shape[-1])

    def rfft(self, a: Any, axis: int) -> Any:
        return self.torch.fft.rfft(a, dim=axis, norm="ortho")

    def fft(self, a: Any, axis: int, overwrite: bool = False) -> Any:
        return self.torch.fft.fft(a, dim=axis, norm="ortho")


# the tridiagonal route pays from about this size on (below, LAPACK's SVD takes < 2 ms)
_TRIDIAGONAL_MIN = 128
# accuracy asked of the squared route, relative to the largest singular value
_TRIDIAGONAL_TOL = 2e-12
# the same for a float32 matrix (computed in float64): below float32's own SVD error
_TRIDIAGONAL_TOL_F32 = float(np.finfo(np.float32).eps) / 16


def svdvals_tridiagonal(M: np.ndarray, tol: float = _TRIDIAGONAL_TOL) -> np.ndarray | None:
    """Singular values of a real float64 matrix, descending; None when it cannot be sure.

    About twice as fast as LAPACK's SVD for large square matrices, and as accurate.

    The large singular values come from the eigenvalues of ``B = A A^T`` (``A`` = ``M``
    or ``M^T``, whichever has fewer rows): one Householder tridiagonalisation (``sytrd``)
    and ``sterf``. Squaring costs accuracy only for the small ones: an eigenvalue of
    ``B`` is known to about ``c eps s_max^2`` (``c <= max(p, q)``), so ``s_i`` to about
    ``c eps s_max^2 / (2 s_i)``. Those with ``s_i < s* = max(p, q) eps s_max / (2 tol)``
    are therefore recomputed without squaring: the eigenvectors of ``B`` for them
    (MRRR on the tridiagonal matrix, ``stemr``, then the Householder back-transform,
    ``ormqr``) span their singular subspace, and the singular values of ``A^T Z``
    (``k`` columns) are the small singular values to ``eps s_max``. Every ``s_i`` is
    then accurate to ``tol * s_max`` or better. Returns None (use a full SVD) when many
    values are small, so that the recomputation would not pay, or on any LAPACK failure.
    """
    from scipy.linalg import lapack

    A = M if M.shape[0] <= M.shape[1] else M.T
    n, m = int(A.shape[0]), int(A.shape[1])
    B = A @ A.T  # syrk
    lwork = int(lapack.dsytrd_lwork(n, lower=1)[0])
    c, d, e, tau, info = lapack.dsytrd(B, lower=1, lwork=max(lwork, 1), overwrite_a=1)
    if info != 0:
        return None
    lam, info = lapack.dsterf(d, e)
    if info != 0:
        return None
    lam = np.clip(lam[::-1], 0.0, None)
    s = np.sqrt(lam)
    if s[0] == 0.0:
        return s
    cut = m * float(np.finfo(np.float64).eps) * s[0] / (2.0 * tol)
    k = int(np.sum(s < cut))
    if k == 0:
        return s
    if k > n // 2:  # the recomputation would cost about a full SVD
        return None
    found, _, z, info = lapack.dstemr(d, np.r_[e, 0.0], 2, 0.0, 0.0, 1, k)  # range "I": 1..k
    if info != 0 or found != k:
        return None
    Z = np.asfortranarray(z[:, :k])
    if n > 1:  # B = Q T Q^T with Q = H(1)...H(n-1), reflectors below the subdiagonal of c
        # the blocked code needs room for its block reflector too (64 x 65 beside 64 k);
        # with less, LAPACK falls back to one reflector at a time (4x slower at n = 500)
        cq, _, info = lapack.dormqr("L", "N", c[1:, : n - 1], tau, Z[1:], lwork=64 * k + 65 * 64)
        if info != 0:
            return None
        Z[1:] = cq
    small = np.linalg.svd(A.T @ Z, compute_uv=False)
    s[n - k :] = small
    return s


def svd_left_eigh(M: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the ``k`` largest singular values of a real float64 ``M`` and their left vectors.

    From one symmetric eigendecomposition of ``B = M M^T`` (about a third of the time of an
    SVD with vectors, which also computes the right vectors). The small values are then
    recomputed without squaring, as in :func:`svdvals_tridiagonal`: the singular values
    of ``M^T U_small`` (and its right vectors rotate ``U_small``), so every value is
    accurate to ``_TRIDIAGONAL_TOL * s_max``. Returns ``(s, U)`` (descending, ``U`` of
    shape ``(rows, k)`` with orthonormal columns), or None where the route cannot be sure
    and the SVD should be used: when ``M`` has more rows than columns, ``B`` has a null
    space, and a vector whose ``s_i^2`` is below ``1e8 eps s_max^2`` could lean into it.

    A vector of a value inside a tight cluster may differ from the SVD's by a rotation
    within the cluster (the SVD's own vectors are defined only up to one there); weights
    built from it (PWCCA) then differ by about the cluster's width.
    """
    r, c = int(M.shape[0]), int(M.shape[1])
    if k == 0:
        return np.zeros(0), np.zeros((r, 0))
    lam, V = np.linalg.eigh(M @ M.T)  # syrk, then syevd on numpy's threads
    lam = np.clip(lam[::-1][:k], 0.0, None)
    U = np.ascontiguousarray(V[:, ::-1][:, :k])
    s = np.sqrt(lam)
    if s[0] == 0.0:
        return s, U
    eps = float(np.finfo(np.float64).eps)
    if r > c and max(r, c) * eps * lam[0] > 1e-8 * lam[-1]:
        return None
    cut = max(r, c) * eps * s[0] / (2.0 * _TRIDIAGONAL_TOL)
    small = int(np.sum(s < cut))
    if small:
        _, sv, Qh = np.linalg.svd(M.T @ U[:, k - small :], full_matrices=False)
        s[k - small :] = sv
        U[:, k - small :] = U[:, k - small :] @ Qh.T
    return s, U


def get_ops(*arrays: Any, dtype: Any = None) -> NumpyOps:
    """Pick the backend for ``arrays``: torch if any is a tensor, else numpy.

    Mixing a tensor with a numpy array is allowed; the numpy side is moved to the
    tensor's device. On the torch backend, real inputs are promoted to complex when any
    input is complex (numpy promotes in every product; torch refuses mixed operands).
    ``dtype`` (None, float32 or float64, numpy or torch spelling) is the compute
    precision; None means float64.

    Raises
    ------
    ValueError
        For any other ``dtype``.
    """
    for a in arrays:
        if is_torch(a):
            complex_ = any(b.is_complex() if is_torch(b) else np.iscomplexobj(b) for b in arrays)
            return TorchOps(dtype=dtype, device=a.device, complex_=complex_)
    return NumpyOps(dtype=dtype)
