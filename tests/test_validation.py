"""Every bad input, with its exact error; the sample-size warning, with its numbers."""

from __future__ import annotations

import numpy as np
import pytest

import svcca
from svcca._validation import (
    assert_finite,
    check_array,
    check_epsilon,
    check_keep,
    check_option,
    check_pair,
    check_rng,
    resolve_keep,
    warn_sample_size,
)

MEASURES = [svcca.cca, svcca.svcca, svcca.pwcca, svcca.pls]


def _ok(n=20, p=3):
    return np.random.default_rng(0).standard_normal((n, p))


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize(
    ("X", "Y", "match"),
    [
        (
            np.ones(20),
            _ok(),
            r"X must be 2-D of shape \(n_samples, n_features\); got X.shape=\(20,\), Y.shape=\(20, 3\) "
            r"\(reshape a single feature with x.reshape\(-1, 1\)\)",
        ),
        (
            _ok(),
            np.ones((20, 3, 2)),
            r"Y must be 2-D of shape \(n_samples, n_features\); got X.shape=\(20, 3\), Y.shape=\(20, 3, 2\) "
            r"\(a sequence layer \(n, positions, features\)\? make every position a sample with "
            r"x.reshape\(-1, x.shape\[-1\]\); or flatten each sample with x.reshape\(len\(x\), -1\)\)$",
        ),
        (
            np.ones((0, 3)),
            np.ones((0, 2)),
            r"X is empty; expected \(n_samples, n_features\) with no zero size, "
            r"got X.shape=\(0, 3\), Y.shape=\(0, 2\)",
        ),
        (
            _ok(),
            np.ones((20, 0)),
            r"Y is empty; expected \(n_samples, n_features\) with no zero size, "
            r"got X.shape=\(20, 3\), Y.shape=\(20, 0\)",
        ),
        (
            _ok(500, 64),
            _ok(499, 32),
            r"X and Y must have the same number of samples \(rows\); "
            r"got X.shape=\(500, 64\), Y.shape=\(499, 32\)",
        ),
    ],
)
def test_shape_errors_name_both_shapes(measure, X, Y, match):
    with pytest.raises(ValueError, match=match):
        measure(X, Y)


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["X", "Y"])
def test_nan_and_inf(measure, bad, where):
    X, Y = _ok(), _ok(p=2)
    (X if where == "X" else Y)[3, 1] = bad
    shapes = r"\(X.shape=\(20, 3\), Y.shape=\(20, 2\)\)"
    match = rf"{where} contains NaN or Inf values {shapes}; clean or impute them first"
    with pytest.raises(ValueError, match=match):
        measure(X, Y)


def test_nan_in_complex_and_float32_input():
    X = _ok().astype(np.complex128)
    X[0, 0] = complex(0, np.nan)
    with pytest.raises(ValueError, match="X contains NaN or Inf values"):
        svcca.cca(X, _ok())
    X = _ok().astype(np.float32)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="X contains NaN or Inf values"):
        svcca.cca(X, _ok())


def test_finite_values_whose_sum_overflows_are_accepted():
    X = np.full((4, 2), 1e308)
    X[:, 1] = [1.0, 2.0, 3.0, 5.0]
    assert_finite(X)
    check_array(X)


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        (None, TypeError, r"X must be an array of shape \(n_samples, n_features\); got None"),
        ([[1.0, 2.0], [3.0]], TypeError, r"X could not be read as an array"),
        (
            np.array([[1, "a"]], dtype=object),
            TypeError,
            r"X must be a numeric array .* got an object array of shape \(1, 2\)",
        ),
        (
            np.array([["a", "b"], ["c", "d"]]),
            TypeError,
            r"X must hold numbers; got dtype <U1 \(X.shape=\(2, 2\)\)",
        ),
    ],
)
def test_unreadable_input(X, error, match):
    with pytest.raises(error, match=match):
        check_array(X)
    with pytest.raises(error, match=match.replace("X.shape=\\(2, 2\\)\\)", "X.shape=\\(2, 2\\), Y.shape")):
        svcca.cca(X, _ok(2, 2))


@pytest.mark.parametrize("measure", [*MEASURES, svcca.linear_cka])
def test_a_masked_array_with_masked_entries_is_refused(measure):
    # np.asarray dropped the mask, so the masked entries' stored values were measured
    X, Y = _ok(20, 3), _ok(20, 2) + 1.0
    masked = np.ma.masked_array(X, mask=np.zeros_like(X, bool))
    masked[3, 1] = np.ma.masked
    with pytest.raises(ValueError, match="X is a masked array with 1 masked entries"):
        measure(masked, Y)
    with pytest.raises(ValueError, match="Y is a masked array with 1 masked entries"):
        measure(Y, masked)
    plain = np.ma.masked_array(X, mask=False)  # nothing masked: the plain array's value
    assert measure(plain, Y).similarity == measure(X, Y).similarity


def test_lists_and_booleans_are_read_as_numbers():
    X = [[0.0, 1.0], [1.0, 0.5], [2.0, 0.25], [3.0, 1.5]]
    Y = [[True], [False], [True], [True]]
    res = svcca.cca(X, Y)
    assert res.n_components == 1 and 0 <= res.rho[0] <= 1


def test_complex_rejected_where_not_supported():
    with pytest.raises(ValueError, match=r"X must be real-valued; got dtype complex128 \(X.shape=\(3, 2\)\)"):
        check_array(np.ones((3, 2), dtype=complex), allow_complex=False)
    with pytest.raises(
        ValueError, match=r"Y must be real-valued; got dtype complex64 \(X.shape=\(3, 2\), Y.shape=\(3, 1\)\)"
    ):
        check_pair(np.ones((3, 2)), np.ones((3, 1), dtype=np.complex64), allow_complex=False)


def test_four_dimensional_layout():
    with pytest.raises(
        ValueError,
        match=r"X must be 4-D of shape \(n_samples, height, width, channels\); got X.shape=\(5, 3\)",
    ):
        check_array(np.ones((5, 3)), ndim=4)
    assert check_array(np.ones((2, 3, 3, 4)), ndim=4).shape == (2, 3, 3, 4)


@pytest.mark.parametrize("measure", [*MEASURES, svcca.linear_cka])
def test_conv_activations_to_a_flat_measure_get_the_ways_to_flatten_them(measure):
    # it said only "X must be 2-D ...; got (100, 3, 8, 8)"
    conv, flat = np.ones((100, 3, 8, 8)), _ok(100)
    with pytest.raises(ValueError) as info:
        measure(conv, flat)
    message = str(info.value)
    assert message.startswith(
        "X must be 2-D of shape (n_samples, n_features); got X.shape=(100, 3, 8, 8), Y.shape=(100, 3) "
        "(conv activations (n, height, width, channels)? flatten each sample with x.reshape(len(x), -1)"
    )
    for way in ("svcca.conv.average_pool(x)", "svcca.conv.positions_as_samples(x)", "svcca.conv.dft_cca",
                "x.permute(0, 2, 3, 1)"):  # fmt: skip
        assert way in message
    # a 1 x 1 map, as svcca.nn.record gives for a ResNet's avgpool: (n, 1, 1, channels)
    with pytest.raises(
        ValueError,
        match=r"Y.shape=\(100, 1, 1, 512\) \(a conv layer with a 1 x 1 spatial map, as recorded after "
        r"a global average pool\? x.reshape\(len\(x\), -1\) gives its channels as the features\)$",
    ):
        measure(flat, np.ones((100, 1, 1, 512)))
    with pytest.raises(ValueError, match=r"\(flatten each sample with x.reshape\(len\(x\), -1\)\)$"):
        measure(np.ones((100, 2, 2, 2, 2)), flat)


# --- the sample-size warning -----------------------------------------------------------------
def test_fewer_samples_than_features_warns_with_the_samples_needed():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((40, 50)), rng.standard_normal((40, 10))
    msg = (
        r"CCA with n_samples=40 and 39 \+ 10 features: 10 canonical correlation\(s\) are exactly 1 "
        r"whatever the data \(all of them: the similarity is trivially 1\), so the similarity is "
        r"inflated. Use 5-10x as many samples as features, here 195-390 samples"
    )
    with pytest.warns(svcca.SampleSizeWarning, match=msg):
        res = svcca.cca(X, Y)
    np.testing.assert_allclose(res.rho, 1.0, atol=1e-10)


def test_partial_overlap_warning_counts_the_forced_ones():
    with pytest.warns(
        svcca.SampleSizeWarning, match=r"n_samples=50 and 30 \+ 30 features: 11 canonical"
    ) as rec:
        warn_sample_size(50, 30, 30, stacklevel=1)
    assert "trivially" not in str(rec[0].message) and "150-300 samples" in str(rec[0].message)


@pytest.mark.parametrize("measure", [svcca.svcca, svcca.pwcca])
def test_other_measures_warn_too(measure):
    rng = np.random.default_rng(1)
    with pytest.warns(svcca.SampleSizeWarning):
        measure(rng.standard_normal((20, 15)), rng.standard_normal((20, 15)))


def test_warning_can_be_switched_off():
    rng = np.random.default_rng(2)
    svcca.cca(rng.standard_normal((20, 15)), rng.standard_normal((20, 15)), warn=False)


def test_no_warning_at_the_boundary():
    warn_sample_size(50, 25, 24)  # p + q = n - 1: nothing is forced


# --- option checks ------------------------------------------------------------------------------
def test_check_option():
    assert check_option("x", "side", ("x", "y")) == "x"
    with pytest.raises(ValueError, match=r"side must be one of 'x', 'y'; got 'z'"):
        check_option("z", "side", ("x", "y"))


@pytest.mark.parametrize(
    ("keep", "expected"), [(0.5, 0.5), (1.0, 1.0), (3, 3), (np.int64(2), 2), (np.float32(0.25), 0.25)]
)
def test_check_keep_accepts(keep, expected):
    out = check_keep(keep)
    assert out == expected and type(out) is type(expected)


def test_resolve_keep_separates_fraction_and_count():
    assert resolve_keep(None, None) == 0.99 and resolve_keep(1.0, None) == 1.0
    assert resolve_keep(None, 3) == 3 and type(resolve_keep(None, np.int64(3))) is int
    with pytest.raises(ValueError, match=r"keep is a variance fraction .*pass n_components=1"):
        resolve_keep(1, None)
    with pytest.raises(ValueError, match=r"not both; got keep=0.5, n_components=2"):
        resolve_keep(0.5, 2)


def test_check_epsilon():
    assert check_epsilon(0) == 0.0 and check_epsilon(np.float32(1e-3)) == pytest.approx(1e-3)
    with pytest.raises(TypeError, match=r"epsilon must be a number >= 0; got 'a'"):
        check_epsilon("a")
    with pytest.raises(ValueError, match=r"epsilon must be a finite number >= 0; got inf"):
        check_epsilon(np.inf)
    for bad in (True, "1", None):  # a bool or a numeric string is a mistake, not a ridge
        with pytest.raises(TypeError, match=r"epsilon must be a number >= 0"):
            check_epsilon(bad)


def test_check_rng():
    g = np.random.default_rng(3)
    assert check_rng(g) is g
    assert check_rng(5).integers(100) == np.random.default_rng(5).integers(100)
    assert isinstance(check_rng(None), np.random.Generator)
    with pytest.raises(
        TypeError, match=r"rng must be None, an int seed or a numpy.random.Generator; got RandomState"
    ):
        check_rng(np.random.RandomState(0))
    with pytest.raises(
        ValueError, match=r"rng must be None, an int seed >= 0 or a numpy.random.Generator; got -1"
    ):
        check_rng(-1)


def test_a_meta_tensor_is_refused_with_what_to_do():
    torch = pytest.importorskip("torch")
    import svcca

    X, Y = torch.empty((50, 4), device="meta"), torch.empty((50, 3), device="meta")
    for f in (svcca.cca, svcca.svcca, svcca.pwcca, svcca.linear_cka, svcca.procrustes):
        with pytest.raises(ValueError, match=r"X is a tensor on the 'meta' device, which holds no values"):
            f(X, Y)


def test_sparse_and_nested_input_is_refused_with_the_way_to_densify_it():
    # torch's reductions failed inside ("Could not run 'aten::mean.dim' ... 'SparseCPU'"), a
    # scipy matrix read as "an object array of shape ()"
    import warnings

    import scipy.sparse as sp

    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((30, 4)), rng.standard_normal((30, 3))
    with pytest.raises(
        TypeError, match=r"X is a sparse tensor \(layout torch.sparse_coo\); pass it dense, X.to_dense\(\)"
    ):
        svcca.cca(torch.tensor(X).to_sparse(), torch.tensor(Y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: sparse CSR is in beta
        csr = torch.tensor(Y).to_sparse_csr()
    with pytest.raises(TypeError, match=r"Y is a sparse tensor .*Y.to_dense\(\)"):
        svcca.linear_cka(torch.tensor(X), csr)
    with pytest.raises(
        TypeError,
        match=r"X is a scipy sparse matrix \(csr_matrix, shape \(30, 4\)\); pass it dense, X.toarray\(\)",
    ):
        svcca.cca(sp.csr_matrix(X), Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: nested tensors are a prototype
        nested = torch.nested.nested_tensor([torch.randn(4), torch.randn(4)])
    with pytest.raises(TypeError, match="X is a nested tensor"):
        svcca.cca(nested, torch.tensor(Y[:2]))
