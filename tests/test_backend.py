"""numpy and torch: torch is never imported for numpy input; tensors in -> tensors out
(same device; float64 unless float32 is asked for); both backends agree."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import svcca
from conftest import TOL32, TOL64, make_shared_latent_views
from svcca._backend import NumpyOps, TorchOps, get_ops, is_torch, svdvals_tridiagonal, to_numpy


def test_numpy_alone_never_imports_torch():
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        import svcca
        rng = np.random.default_rng(0)
        X, Y = rng.standard_normal((60, 5)), rng.standard_normal((60, 4))
        r = svcca.cca(X, Y)
        r.x_weights, r.x_variates, r.x_dropped
        svcca.cca(X, Y, algorithm="svd"); svcca.cca(X + 1j * X, Y)
        svcca.svcca(X, Y).x_weights; svcca.pwcca(X, Y, side="symmetric"); svcca.pls(X, Y); svcca.pca(X)
        assert "torch" not in sys.modules, "torch was imported"
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_numpy_helpers():
    a = np.arange(6.0).reshape(3, 2)
    assert not is_torch(a) and to_numpy(a) is a
    assert isinstance(get_ops(a), NumpyOps) and get_ops(a).asarray(a) is a  # no copy when float64
    assert get_ops(a, dtype=np.float32).asarray(a).dtype == np.float32
    with pytest.raises(ValueError, match=r"dtype must be None, float32 or float64; got int64"):
        get_ops(a, dtype=np.int64)


def test_scipy_blas_threads_are_restored():
    from threadpoolctl import threadpool_info

    from svcca._backend import _scipy_own_blas, scipy_blas_one_thread

    before = [d["num_threads"] for d in threadpool_info()]
    with scipy_blas_one_thread():
        with scipy_blas_one_thread():  # nests
            assert all(lib.num_threads == 1 for lib in _scipy_own_blas())
    rng = np.random.default_rng(0)
    svcca.cca(rng.standard_normal((300, 20)), rng.standard_normal((300, 10)))
    assert [d["num_threads"] for d in threadpool_info()] == before


def test_column_means_through_blas_match_numpy():
    rng = np.random.default_rng(1)
    for a in (rng.standard_normal((3000, 40)) + 1e3, rng.standard_normal((2000, 50)).astype(np.float32)):
        np.testing.assert_allclose(
            NumpyOps().mean0(a), a.mean(axis=0), rtol=0, atol=1e-12 * 1e3 if a.dtype == float else 1e-5
        )


@pytest.mark.parametrize("shape", [(150, 150), (130, 260), (260, 130)])
@pytest.mark.parametrize("spectrum", ["uniform", "ones_and_zeros", "tiny_tail", "cluster", "log_uniform"])
def test_tridiagonal_singular_values_match_lapack_svd(shape, spectrum):
    rng = np.random.default_rng([*shape, len(spectrum)])
    p, q = shape
    k = min(p, q)
    U = np.linalg.qr(rng.standard_normal((p, k)))[0]
    V = np.linalg.qr(rng.standard_normal((q, k)))[0]
    rho = {
        "uniform": rng.uniform(0, 0.9, k),
        "ones_and_zeros": np.r_[np.ones(k // 3), rng.uniform(0, 1, k - k // 3 - 5), np.zeros(5)],
        "tiny_tail": np.r_[rng.uniform(0, 0.44, k - 20), 10 ** rng.uniform(-9, -3, 10), np.zeros(10)],
        "cluster": np.r_[np.full(k - 10, 0.5), 1e-9 * np.arange(10)],
        "log_uniform": 10 ** rng.uniform(-12, 0, k),  # too many small values: falls back (None)
    }[spectrum]
    M = (U * np.sort(rho)[::-1]) @ V.T
    s = svdvals_tridiagonal(M)
    ref = np.linalg.svd(M, compute_uv=False)
    if spectrum == "log_uniform":
        assert s is None
        s = NumpyOps().svdvals(M)
    # accurate to 2e-12 of the largest, the small values included (not just sqrt(eps))
    np.testing.assert_allclose(s, ref, rtol=0, atol=2e-12 * ref[0])
    np.testing.assert_allclose(NumpyOps().svdvals(M), ref, rtol=0, atol=2e-12 * ref[0])


# --- torch ------------------------------------------------------------------------------------
torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture
def views(rng):
    return make_shared_latent_views(rng, 500, 9, 7, 3)


def _t(a, device="cpu", dtype=torch.float64):
    return torch.as_tensor(a).to(device=device, dtype=dtype)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("method", ["auto", "gram", "svd"])
def test_cca_agrees_in_float64(views, device, method):
    X, Y = views
    ref = svcca.cca(X, Y, algorithm=method)
    res = svcca.cca(_t(X, device), _t(Y, device), algorithm=method)
    for name in ("rho", "x_weights", "y_weights", "x_variates", "y_variates", "x_mean", "x_kept"):
        value = getattr(res, name)
        assert is_torch(value) and value.device.type == device, name
        np.testing.assert_allclose(to_numpy(value), getattr(ref, name), atol=1e-9, err_msg=name)
    assert res.rho.dtype == torch.float64
    assert (res.x_algorithm, res.x_rank, res.similarity) == (
        ref.x_algorithm,
        ref.x_rank,
        pytest.approx(ref.similarity, abs=TOL64),
    )


@pytest.mark.parametrize("device", DEVICES)
def test_float32_on_request_keeps_dtype_and_device(views, device):
    X, Y = views
    ref = svcca.cca(X, Y)
    for dtype in (torch.float32, np.float32):
        res = svcca.cca(_t(X, device, torch.float32), _t(Y, device, torch.float32), dtype=dtype)
        assert res.rho.dtype == res.x_weights.dtype == res.x_variates.dtype == torch.float32
        assert res.rho.device.type == device
        np.testing.assert_allclose(to_numpy(res.rho), ref.rho, atol=TOL32)


def test_float32_tensors_compute_in_float64_by_default(views):
    X, Y = views
    res = svcca.cca(_t(X, dtype=torch.float32), _t(Y, dtype=torch.float32))
    assert res.rho.dtype == torch.float64
    ref = svcca.cca(X.astype(np.float32), Y.astype(np.float32))
    np.testing.assert_allclose(to_numpy(res.rho), ref.rho, atol=TOL64)


def test_mixing_a_tensor_and_an_array_gives_tensors(views):
    X, Y = views
    res = svcca.cca(_t(X), Y)
    assert is_torch(res.rho) and is_torch(res.y_weights)
    np.testing.assert_allclose(to_numpy(res.rho), svcca.cca(X, Y).rho, atol=TOL64)


def test_complex_tensors(rng):
    X = rng.standard_normal((200, 4)) + 1j * rng.standard_normal((200, 4))
    Y = np.hstack([X[:, :1] * 1j, rng.standard_normal((200, 3))])
    ref = svcca.cca(X, Y)
    res = svcca.cca(torch.as_tensor(X), torch.as_tensor(Y))
    assert res.rho.dtype == torch.float64 and res.x_weights.dtype == torch.complex128
    np.testing.assert_allclose(to_numpy(res.rho), ref.rho, atol=TOL64)
    np.testing.assert_allclose(to_numpy(res.x_weights), ref.x_weights, atol=1e-9)


def test_ill_conditioned_tensors(rank_deficient_ill_conditioned):
    X, Y = rank_deficient_ill_conditioned
    ref = svcca.cca(X, Y)
    res = svcca.cca(_t(X), _t(Y))
    assert res.x_algorithm == "svd" and res.x_rank == ref.x_rank
    np.testing.assert_allclose(to_numpy(res.rho), ref.rho, atol=1e-8)


def test_dead_features_as_tensors(views):
    X, Y = views
    X = np.insert(X, 2, 0.0, axis=1)
    res = svcca.cca(_t(X), _t(Y))
    assert to_numpy(res.x_dropped).tolist() == [2]
    assert float(res.x_weights[2].abs().max()) == 0.0


def test_other_measures_agree(views):
    X, Y = views
    tX, tY = _t(X), _t(Y)
    a, b = svcca.svcca(X, Y, keep=0.99), svcca.svcca(tX, tY, keep=0.99)
    assert (a.x_dims, a.y_dims) == (b.x_dims, b.y_dims)
    np.testing.assert_allclose(to_numpy(b.rho), a.rho, atol=TOL64)
    np.testing.assert_allclose(to_numpy(b.x_weights), a.x_weights, atol=1e-9)
    a, b = svcca.pwcca(X, Y, side="symmetric"), svcca.pwcca(tX, tY, side="symmetric")
    assert is_torch(b.alpha) and b.similarity == pytest.approx(a.similarity, abs=TOL64)
    np.testing.assert_allclose(to_numpy(b.alpha), a.alpha, atol=1e-9)
    a, b = svcca.pls(X, Y), svcca.pls(tX, tY)
    assert is_torch(b.correlations) and b.similarity == pytest.approx(a.similarity, abs=TOL64)
    np.testing.assert_allclose(to_numpy(b.x_weights), a.x_weights, atol=1e-9)
    a, b = svcca.pca(X), svcca.pca(tX)
    np.testing.assert_allclose(to_numpy(b.explained_variance_ratio), a.explained_variance_ratio, atol=TOL64)
    np.testing.assert_allclose(to_numpy(b.components), a.components, atol=1e-9)


@pytest.mark.parametrize("algorithm", ["auto", "gram", "svd"])
def test_tensor_that_requires_grad(views, algorithm):
    # results are detached on every route (the SVD route used to return a rho whose
    # backward() failed on an in-place division, the others one with a gradient)
    X, Y = views
    Xt = _t(X).requires_grad_()
    res = svcca.cca(Xt, _t(Y), algorithm=algorithm)
    np.testing.assert_allclose(to_numpy(res.rho), svcca.cca(X, Y).rho, atol=TOL64)
    results = [res, svcca.svcca(Xt, _t(Y)), svcca.pwcca(Xt, _t(Y)), svcca.pca(Xt), svcca.pls(Xt, _t(Y))]
    for r in results:
        for name, value in vars(r).items():
            if value is not Xt:  # the input itself, kept for the variates
                assert not (torch.is_tensor(value) and value.requires_grad), (type(r).__name__, name)
    assert not res.x_variates.requires_grad


def test_tensor_errors_name_both_shapes():
    X = torch.ones(5, 2, dtype=torch.float64)
    X[1, 1] = float("nan")
    with pytest.raises(
        ValueError, match=r"X contains NaN or Inf values \(X.shape=\(5, 2\), Y.shape=\(5, 1\)\)"
    ):
        svcca.cca(X, torch.ones(5, 1))
    with pytest.raises(
        ValueError, match=r"same number of samples \(rows\); got X.shape=\(5, 2\), Y.shape=\(4, 1\)"
    ):
        svcca.cca(X, torch.ones(4, 1))
    with pytest.raises(ValueError, match=r"dtype must be None, float32 or float64; got torch.float16"):
        svcca.cca(torch.ones(5, 2), torch.ones(5, 1), dtype=torch.float16)


def test_torch_complex_with_torch_real_promotes_as_numpy():
    # "expected m1 and m2 to have the same dtype" before: torch refuses mixed products
    torch = pytest.importorskip("torch")
    from svcca import stats

    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 4)) + 1j * rng.standard_normal((100, 4))
    Y = X.real @ rng.standard_normal((4, 3)) + rng.standard_normal((100, 3))
    tX, tY = torch.tensor(X), torch.tensor(Y)
    for f in (svcca.cca, svcca.svcca, svcca.pwcca):
        assert f(tX, tY).similarity == pytest.approx(f(X, Y).similarity, abs=TOL64)
        assert f(tY, tX).similarity == pytest.approx(f(Y, X).similarity, abs=TOL64)
    a = stats.permutation_test(tX, tY, n_resamples=9, rng=0)
    b = stats.permutation_test(X, Y, n_resamples=9, rng=0)
    np.testing.assert_allclose(a.null_distribution, b.null_distribution, atol=TOL64)
    grid = svcca.similarity_matrix([tX, tY]).values
    np.testing.assert_allclose(grid, svcca.similarity_matrix([X, Y]).values, atol=TOL64)


def test_bfloat16_tensor_to_numpy():
    torch = pytest.importorskip("torch")
    t = torch.tensor([1.5, -2.0]).bfloat16()
    a = to_numpy(t)
    assert a.dtype == np.float32 and a.tolist() == [1.5, -2.0]


@pytest.mark.parametrize("dtype", ["float8_e4m3fn", "float8_e5m2"])
@pytest.mark.parametrize(
    "measure", ["cca", "svcca", "pwcca", "pls", "linear_cka", "rbf_cka", "minibatch_cka", "procrustes"]
)
def test_float8_tensors_give_the_numbers_of_their_exact_float64_copy(dtype, measure):
    # torch has no reductions for float8: the finite check upcasts to float16 (exact) first
    torch = pytest.importorskip("torch")
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(80, 3, generator=gen).to(getattr(torch, dtype))
    Y = torch.randn(80, 2, generator=gen)
    f = getattr(svcca, measure)
    assert float(f(X, Y).similarity) == pytest.approx(float(f(X.double(), Y).similarity), abs=1e-12)
    X[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"X contains NaN or Inf values \(X.shape=\(80, 3\)"):
        f(X, Y)


def test_torch_svd_falls_back_to_gesvd_when_gesdd_fails(monkeypatch):
    # the long fuzz met torch's "linalg.svd: The algorithm failed to converge" on an
    # ill-conditioned input; numpy's side already retried with LAPACK's gesvd
    torch = pytest.importorskip("torch")
    from svcca._backend import get_ops

    a = torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    ops = get_ops(a)

    def fail(*args, **kwargs):
        raise torch._C._LinAlgError("linalg.svd: The algorithm failed to converge")

    monkeypatch.setattr(torch.linalg, "svd", fail)
    monkeypatch.setattr(torch.linalg, "svdvals", fail)
    U, s, Vh = ops.svd(a)
    assert torch.allclose((U * s) @ Vh, a) and s.dtype == torch.float64
    assert torch.allclose(ops.svdvals(a), s)


def test_svd_left_eigh_against_the_svd(rng):
    from svcca._backend import svd_left_eigh

    def check(M, k, tol):
        s, U = svd_left_eigh(M, k)
        Uref, sref, _ = np.linalg.svd(M)
        np.testing.assert_allclose(s, sref[:k], rtol=0, atol=tol)
        np.testing.assert_allclose(U.T @ U, np.eye(k), atol=1e-12)
        # M^T u_i = s_i v_i: the vectors belong to their values
        np.testing.assert_allclose(np.linalg.norm(M.T @ U, axis=0), s, atol=1e-12)
        # separated values: the same vectors as the SVD's, up to sign
        np.testing.assert_allclose(np.abs(np.sum(U * Uref[:, :k], axis=0)), 1.0, atol=1e-8)

    Q1 = np.linalg.qr(rng.standard_normal((200, 200)))[0]
    Q2 = np.linalg.qr(rng.standard_normal((150, 150)))[0]
    spread = np.linspace(1.0, 0.01, 150)
    check((Q1[:, :150] * spread) @ Q2.T, 150, 1e-13)  # more rows: no small values
    tiny = np.logspace(0, -9, 150)  # values far below the squared route's accuracy
    check((Q2 * tiny) @ Q1[:, :150].T, 150, 2e-12 * tiny[0])
    # more rows than columns and a value near zero: it could lean into B's null space
    assert svd_left_eigh((Q1[:, :150] * tiny) @ Q2.T, 150) is None
    s, U = svd_left_eigh(np.zeros((130, 140)), 130)
    assert not s.any() and U.shape == (130, 130)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int32", "uint8", "complex128"])
def test_colmaxabs_is_the_largest_absolute_value_of_each_column(dtype):
    # the float path takes max and -min (no n x p temporary); the others |a|, as the oracle
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((40, 5)) * 50).astype(np.float64)
    if dtype == "complex128":
        a = a + 1j * a[::-1]
    a = np.abs(a) if dtype == "uint8" else a
    a = a.astype(dtype)
    want = np.abs(a).max(axis=0)
    np.testing.assert_array_equal(NumpyOps().colmaxabs(a), want)
    if dtype == "float64":  # NaN stays NaN in its column
        a[3, 2] = np.nan
        assert np.isnan(NumpyOps().colmaxabs(a)[2])
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(np.ascontiguousarray(a))
    got = TorchOps().colmaxabs(t)  # torch's complex |z| may differ from numpy's in the last bit
    np.testing.assert_allclose(got.numpy(), np.abs(a).max(axis=0), rtol=4e-16, atol=0)
    if dtype == "float32":
        for low in (torch.float16, torch.bfloat16):
            tl = t.to(low)
            assert torch.equal(TorchOps().colmaxabs(tl), tl.abs().amax(dim=0))
