"""The registry of measures (svcca._measures): one entry per measure, options checked once."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import svcca
from svcca import _measures


def test_every_entry_takes_the_options_of_its_function_with_its_defaults():
    """A registry entry and its public per-pair function agree on option names and defaults."""
    for name in svcca.MEASURES:
        entry = _measures.entry(name)
        params = inspect.signature(entry.function).parameters
        resolved = svcca.Measure(name).options
        for opt in entry.options:
            assert opt in params, (name, opt)
            if opt in resolved and params[opt].default is not None:
                assert resolved[opt] == params[opt].default, (name, opt)


def test_a_measure_is_its_function_with_its_options():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 6))
    Y = X[:, :3] @ rng.standard_normal((3, 5)) + rng.standard_normal((120, 5))
    m = svcca.Measure("svcca", keep=0.8)
    assert m.name == "svcca" and m.options == {"keep": 0.8, "epsilon": 0.0, "rtol": None}
    assert m(X, Y).similarity == svcca.svcca(X, Y, keep=0.8).similarity
    assert svcca.Measure("svcca", n_components=2).options == {"n_components": 2, "epsilon": 0.0, "rtol": None}
    rbf = svcca.Measure("rbf_cka", bandwidth=0.5)
    assert rbf(X, Y).similarity == svcca.rbf_cka(X, Y, bandwidth=0.5).similarity
    assert repr(svcca.Measure("cka", debiased=True)) == "Measure('cka', debiased=True)"
    assert repr(svcca.Measure("procrustes")) == "Measure('procrustes')"
    assert svcca.Measure("cka", debiased=True) == svcca.Measure("cka", debiased=True) != svcca.Measure("cka")
    assert len({svcca.Measure("cka"), svcca.Measure("cka", debiased=False)}) == 1
    options = m.options
    options["keep"] = 0.1  # a copy: the measure's options cannot be changed
    assert m.options["keep"] == 0.8


def test_measure_errors_name_what_is_allowed():
    with pytest.raises(ValueError, match=r"measure must be one of 'cca', 'svcca', 'pwcca', 'cka', 'rbf_cka', "
                                         r"'minibatch_cka', 'procrustes'; got 'rsa'"):  # fmt: skip
        svcca.Measure("rsa")
    with pytest.raises(ValueError, match=r"got 'linear_cka', the name of the function svcca.linear_cka, "
                                         r"whose measure is named 'cka'"):  # fmt: skip
        svcca.Measure("linear_cka")
    with pytest.raises(ValueError, match=r"bandwidth does not apply to measure='cka' \(its options: deb"):
        svcca.Measure("cka", bandwidth=1.0)
    with pytest.raises(ValueError, match=r"keep does not apply to measure='procrustes' \(its options: none"):
        svcca.Measure("procrustes", keep=0.9)
    with pytest.raises(ValueError, match="pass keep .* or n_components .*, not both"):
        svcca.Measure("svcca", keep=0.9, n_components=3)
    with pytest.raises(ValueError, match="epsilon must be a finite number >= 0"):
        svcca.Measure("cca", epsilon=-1.0)
    reuse = r"got function \(here each layer's preparation is reused.*loop your function over the pairs"
    with pytest.raises(TypeError, match=r"measure must be one of .* or a svcca.Measure; " + reuse):
        _measures.resolve(svcca.cca)


@pytest.mark.parametrize("value", ["false", "False", 0.5, None, 1])
def test_debiased_must_be_a_bool_not_a_truthy_value(value):
    """bool("false") is True: an option read from a config file or a command line as text
    silently chose the debiased estimator, a different number (None is the default)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    Y = X[:, :2] @ rng.standard_normal((2, 3)) + rng.standard_normal((60, 3))
    if value is None:
        assert svcca.Measure("cka", debiased=value).options == {"debiased": False}
        return
    for measure in ("cka", "rbf_cka"):
        with pytest.raises(TypeError, match=f"debiased must be True or False; got {value!r}"):
            svcca.Measure(measure, debiased=value)
        with pytest.raises(TypeError, match="debiased must be True or False"):
            svcca.similarity_matrix([X, Y], measure=measure, measure_options={"debiased": value})
    for function in (svcca.linear_cka, svcca.rbf_cka):  # the functions check it the same way
        with pytest.raises(TypeError, match=f"debiased must be True or False; got {value!r}"):
            function(X, Y, debiased=value)
    assert svcca.Measure("cka", debiased=np.bool_(True)).options == {"debiased": True}


@pytest.mark.parametrize("side", ["X", "Y"])
@pytest.mark.parametrize("measure", ["cca", "svcca", "pwcca", "pls", "cka", "procrustes"])
def test_a_constant_layer_is_refused_and_named(measure, side):
    # pls made a pair of centring's rounding (0.1 repeated), svcca said "all 1 features"
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((300, 20)), np.full((300, 15), 0.1)
    A, B = (Y, X) if side == "X" else (X, Y)
    width = (
        "all 15 features are constant"
        if measure in ("cca", "svcca", "pwcca", "pls")
        else r"shape \(300, 15\)"
    )
    f = svcca.pls if measure == "pls" else svcca.Measure(measure)
    with pytest.raises(ValueError, match=rf"{side} has no varying feature.*{width}"):
        f(A, B)


# --------------------------------------------------------------------------- narrowing casts

_NARROW_EXACT = {  # centred and scaled in float64 before the cast: the float64 value
    "linear_cka": lambda X, Y, **k: svcca.linear_cka(X, Y, **k).similarity,
    "debiased_cka": lambda X, Y, **k: svcca.linear_cka(X, Y, debiased=True, **k).similarity,
    "rbf_cka": lambda X, Y, **k: svcca.rbf_cka(X, Y, **k).similarity,
    "minibatch_cka": lambda X, Y, **k: svcca.minibatch_cka(X, Y, batch_size=10, **k).similarity,
    "procrustes": lambda X, Y, **k: svcca.procrustes(X, Y, **k).similarity,
    "gram_cka": lambda X, Y, **k: svcca.linear_cka(X, Y, algorithm="gram", **k).similarity,
}
_NARROW_REFUSED = {  # a clear error where the cast would compare rounding, not values
    "cca": lambda X, Y, **k: svcca.cca(X, Y, **k),
    "svcca": lambda X, Y, **k: svcca.svcca(X, Y, keep=0.99, **k),
    "pls": lambda X, Y, **k: svcca.pls(X, Y, **k),
    "pca": lambda X, Y, **k: svcca.pca(X, **k),
}


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize(
    ("transform", "refusal"),
    [
        (lambda X: X + 1e8, "resolution at their offset"),
        (lambda X: X + 1e13, "resolution at their offset"),
        (lambda X: 1e6 + 1e-6 * X, "resolution at their offset"),
        (lambda X: X * 1e-45, "underflow float32"),
        (lambda X: X * 1e-120, "underflow float32"),
        (lambda X: X * 1e39, "overflow float32"),
    ],
    ids=["offset 1e8", "offset 1e13", "spread 1e-12 of offset", "scale 1e-45", "scale 1e-120", "scale 1e39"],
)
def test_float64_data_computed_in_float32_is_never_read_through_its_rounding(backend, transform, refusal):
    # dtype=float32 on float64 layers rounded them first: CKA of a layer with itself plus
    # an offset of 1e8 was 0.49, PCA's variance ratios of data at 1e-120 were all 0
    rng = np.random.default_rng(17)
    X = rng.standard_normal((30, 3)) * [3.0, 2.0, 1.0]
    Y = X @ rng.standard_normal((3, 3)) + 0.5 * rng.standard_normal((30, 3))
    Xt = transform(X)
    if backend == "torch":
        torch = pytest.importorskip("torch")
        Xt, Y = torch.from_numpy(Xt), torch.from_numpy(Y)
    for name, f in _NARROW_EXACT.items():
        wide = f(Xt, Y)
        assert f(Xt, Y, dtype=np.float32) == pytest.approx(wide, abs=2e-6), name
    for f in _NARROW_REFUSED.values():
        with pytest.raises(ValueError, match=refusal):
            f(Xt, Y, dtype=np.float32)
        f(Xt, Y)  # in float64 it is computed


# --------------------------------------------------------------------------- stuck neurons

_VALUES = {  # each measure's numbers, for a layer X and a layer Y
    "cca": lambda X, Y, **k: svcca.cca(X, Y, **k).rho,
    "svcca": lambda X, Y, **k: svcca.svcca(X, Y, **k).rho,
    "pwcca": lambda X, Y, **k: svcca.pwcca(X, Y, **k).similarity,
    "pls": lambda X, Y, **k: svcca.pls(X, Y, **k).correlations,
    "pca": lambda X, Y, **k: svcca.pca(X, **k).explained_variance_ratio[:6],  # 6 varying features
    **_NARROW_EXACT,
}


@pytest.mark.parametrize("measure", sorted(_VALUES))
@pytest.mark.parametrize(
    ("constant", "dtype"),
    [(1e100, np.float64), (1e200, np.float64), (-1e300, np.float64), (1e30, np.float32), (-3e37, np.float32)],
)
def test_a_neuron_stuck_at_a_huge_value_changes_no_measure(measure, constant, dtype):
    # the power of two that keeps squares in range came from the raw entries: a neuron stuck
    # at 1e100 scaled the others towards 0 first. Linear CKA then found no varying feature,
    # PCA's variance ratios moved in the 4th digit, and float32 PLS at 1e30 gave [1, 1, 1, 1, 1]
    rng = np.random.default_rng(11)
    X = rng.standard_normal((300, 6))
    Y = X @ rng.standard_normal((6, 5)) + rng.standard_normal((300, 5))
    stuck = np.hstack([X, np.full((300, 1), constant)]).astype(dtype)
    X, Y = X.astype(dtype), Y.astype(dtype)
    f, k = _VALUES[measure], {"dtype": dtype}
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(np.asarray(f(stuck, Y, **k), float), np.asarray(f(X, Y, **k), float), atol=tol)


def test_measures_and_their_results_cross_process_boundaries():
    # a Measure held lambdas of its registry entry, and CCA results a closure that computes
    # the weights on demand: neither pickled, so neither went to or came from a process pool
    import pickle

    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 5))
    Y = X[:, :3] + rng.standard_normal((100, 3))
    for name in svcca.MEASURES:
        m = svcca.Measure(name)
        assert pickle.loads(pickle.dumps(m)) == m
    m = svcca.Measure("svcca", keep=0.9)
    again = pickle.loads(pickle.dumps(m))
    assert again.options == m.options and again(X, Y).similarity == m(X, Y).similarity
    for result in (svcca.cca(X, Y), svcca.svcca(X, Y), svcca.pwcca(X, Y)):
        copy = pickle.loads(pickle.dumps(result))
        assert type(copy) is type(result) and copy.similarity == result.similarity
        np.testing.assert_array_equal(copy.x_weights, result.x_weights)
        np.testing.assert_array_equal(copy.y_variates, result.y_variates)
