"""svcca.stats: permutation nulls, random baselines, bootstrap intervals, Bartlett's test,
the sample-size diagnostic."""

from __future__ import annotations

import functools
import re
import warnings

import numpy as np
import pytest
import scipy.stats

import svcca
from conftest import TOL64
from svcca import stats
from svcca._cka import linear_cka, procrustes

# --- fixtures named after their truth ---------------------------------------------------


def independent_views(n: int, p: int, q: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, p)), rng.standard_normal((n, q))


def shared_latent_views(n: int = 300, p: int = 8, q: int = 10, k: int = 3, noise: float = 0.5, seed: int = 0):
    """``k`` shared latent directions seen through independent noise of standard deviation
    ``noise`` on each side, plus private directions, mixed by invertible maps. The population
    canonical correlations are ``k`` times ``1 / (1 + noise^2)`` and then zeros."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, k))
    sx = latent + noise * rng.standard_normal((n, k))
    sy = latent + noise * rng.standard_normal((n, k))
    X = np.hstack([sx, rng.standard_normal((n, p - k))]) @ rng.standard_normal((p, p))
    Y = np.hstack([sy, rng.standard_normal((n, q - k))]) @ rng.standard_normal((q, q))
    return X, Y


# every registry measure, some with options (the statistics no longer fix SVCCA's keep)
MEASURE_CASES = {
    "cca": svcca.Measure("cca"),
    "svcca": svcca.Measure("svcca"),
    "svcca_keep": svcca.Measure("svcca", keep=0.8),
    "pwcca": svcca.Measure("pwcca"),
    "pwcca_y": svcca.Measure("pwcca", side="y"),
    "pwcca_symmetric": svcca.Measure("pwcca", side="symmetric"),
    "cka": svcca.Measure("cka"),
    "cka_debiased": svcca.Measure("cka", debiased=True),
    "rbf_cka": svcca.Measure("rbf_cka"),
    "rbf_cka_debiased": svcca.Measure("rbf_cka", bandwidth=0.5, debiased=True),
    "minibatch_cka": svcca.Measure("minibatch_cka", batch_size=64),
    "procrustes": svcca.Measure("procrustes"),
}

# the same measures as plain callables: one call of the per-pair function per permutation
LOOPED = {
    "cca": lambda X, Y: svcca.cca(X, Y, warn=False),
    "svcca": lambda X, Y: svcca.svcca(X, Y, warn=False),
    "svcca_keep": lambda X, Y: svcca.svcca(X, Y, keep=0.8, warn=False),
    "pwcca": lambda X, Y: svcca.pwcca(X, Y, warn=False),
    "pwcca_y": lambda X, Y: svcca.pwcca(X, Y, side="y", warn=False),
    "pwcca_symmetric": lambda X, Y: svcca.pwcca(X, Y, side="symmetric", warn=False),
    "cka": linear_cka,
    "cka_debiased": functools.partial(linear_cka, debiased=True),
    "rbf_cka": svcca.rbf_cka,
    "rbf_cka_debiased": functools.partial(svcca.rbf_cka, bandwidth=0.5, debiased=True),
    "minibatch_cka": functools.partial(svcca.minibatch_cka, batch_size=64),
    "procrustes": procrustes,
}


def test_every_registered_measure_has_a_case():
    assert {m.name for m in MEASURE_CASES.values()} == set(stats.MEASURES) == set(svcca.MEASURES)


# --- permutation test -------------------------------------------------------------------


@pytest.mark.parametrize("measure", MEASURE_CASES)
def test_vectorised_permutation_null_equals_the_naive_loop(measure):
    X, Y = shared_latent_views(n=80, noise=1.5)
    fast = stats.permutation_test(X, Y, MEASURE_CASES[measure], n_resamples=300, rng=3)
    slow = stats.permutation_test(X, Y, LOOPED[measure], n_resamples=300, rng=3)
    assert fast.vectorised and not slow.vectorised
    np.testing.assert_allclose(fast.null_distribution, slow.null_distribution, rtol=0, atol=TOL64)
    assert fast.observed == pytest.approx(slow.observed, abs=TOL64)
    assert fast.p_value == slow.p_value


@pytest.mark.parametrize("measure", ["cca", "pwcca"])
def test_vectorised_null_equals_loop_for_complex_activations(measure):
    # e.g. the per-frequency activations of a DFT; Hermitian products throughout
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 4)) + 1j * rng.standard_normal((80, 4))
    Y = X[:, :2] @ rng.standard_normal((2, 5)) + rng.standard_normal((80, 5))
    fast = stats.permutation_test(X, Y, MEASURE_CASES[measure], n_resamples=50, rng=0)
    slow = stats.permutation_test(X, Y, LOOPED[measure], n_resamples=50, rng=0)
    np.testing.assert_allclose(fast.null_distribution, slow.null_distribution, rtol=0, atol=TOL64)
    assert fast.observed == pytest.approx(slow.observed, abs=TOL64)


@pytest.mark.parametrize("measure", ["cka", "cka_debiased", "rbf_cka_debiased", "procrustes"])
def test_vectorised_null_equals_loop_for_layers_wider_than_tall(measure):
    # n^2 < p q: CKA gathers permuted Gram matrices; Procrustes works on n x n factors
    X, Y = independent_views(20, 50, 40, 1)
    fast = stats.permutation_test(X, Y, MEASURE_CASES[measure], n_resamples=60, rng=0)
    slow = stats.permutation_test(X, Y, LOOPED[measure], n_resamples=60, rng=0)
    np.testing.assert_allclose(fast.null_distribution, slow.null_distribution, rtol=0, atol=TOL64)


@pytest.mark.parametrize("measure", ["pwcca", "pwcca_symmetric", "cka_debiased", "rbf_cka"])
def test_batching_does_not_change_the_null(monkeypatch, measure):
    X, Y = shared_latent_views(n=60)
    whole = stats.permutation_test(X, Y, MEASURE_CASES[measure], n_resamples=50, rng=9)
    monkeypatch.setattr(svcca._measures, "_BATCH_BYTES", 1)  # one permutation per batch
    monkeypatch.setattr(stats, "_PERM_BLOCK", 7)
    split = stats.permutation_test(X, Y, MEASURE_CASES[measure], n_resamples=50, rng=9)
    np.testing.assert_allclose(whole.null_distribution, split.null_distribution, rtol=0, atol=TOL64)


@pytest.mark.parametrize("measure", ["cca", "cka_debiased"])
def test_permutation_p_values_are_uniform_under_independence(measure):
    pvals = [
        stats.permutation_test(
            *independent_views(30, 3, 4, seed), MEASURE_CASES[measure], n_resamples=99, rng=seed
        ).p_value
        for seed in range(200)
    ]
    # p-values live on the grid k/100: allow the grid's 0.01 on top of KS noise
    assert scipy.stats.kstest(pvals, "uniform").statistic < 0.115
    assert 0.3 < np.mean(pvals) < 0.7


@pytest.mark.parametrize("measure", MEASURE_CASES)
def test_permutation_p_value_is_the_smallest_possible_under_a_shared_latent(measure):
    X, Y = shared_latent_views(n=200)
    res = stats.permutation_test(X, Y, MEASURE_CASES[measure], n_resamples=199, rng=0)
    assert res.p_value == pytest.approx(1 / 200)  # the +1 correction: never 0
    assert res.observed > res.null_quantile(0.99)


def pillai(A, B):
    """Pillai's trace of CCA as a user-supplied measure (a result names it after the function)."""
    return svcca.cca(A, B, warn=False).pillai


def test_permutation_null_mean_of_cca_pillai_matches_the_analytic_null():
    X, Y = independent_views(60, 4, 6, 0)
    res = stats.permutation_test(X, Y, pillai, n_resamples=400, rng=0)
    sem = res.null_std / np.sqrt(res.n_resamples)
    assert abs(res.null_mean - stats.analytic_null_pillai(60, 4, 6)) < 4 * sem
    assert res.measure == "pillai"


def test_permutation_test_is_reproducible_and_seeded():
    X, Y = shared_latent_views(n=50)
    a = stats.permutation_test(X, Y, "cka", n_resamples=30, rng=1)
    b = stats.permutation_test(X, Y, "cka", n_resamples=30, rng=np.random.default_rng(1))
    c = stats.permutation_test(X, Y, "cka", n_resamples=30, rng=2)
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    assert not np.array_equal(a.null_distribution, c.null_distribution)
    assert "PermutationTestResult(observed=" in repr(a)


@pytest.mark.parametrize("b, n_resamples", [(1000, 20018), (999, 19999), (10000, 200001), (4, 999)])
def test_the_printed_p_value_never_rounds_across_a_significance_level(b, n_resamples):
    # with 20018 shuffles p = 1001 / 20019 = 0.0500025 printed as "p_value=0.05"
    null = np.r_[np.ones(b), np.zeros(n_resamples - b)]
    p = (1 + b) / (1 + n_resamples)
    res = stats.PermutationTestResult(1.0, null, p, n_resamples, "cca", True)
    shown = float(repr(res).split("p_value=")[1].split(",")[0])
    for level in (0.1, 0.05, 0.01, 0.005, 0.001):
        assert np.sign(shown - level) == np.sign(p - level)
    assert shown == pytest.approx(p, rel=1e-3)


def test_permutation_observed_equals_the_measure():
    X, Y = shared_latent_views(n=100)
    assert stats.permutation_test(X, Y, "pwcca", n_resamples=5, rng=0).observed == pytest.approx(
        svcca.pwcca(X, Y).similarity, abs=TOL64
    )
    assert stats.permutation_test(X, Y, "procrustes", n_resamples=5, rng=0).observed == pytest.approx(
        procrustes(X, Y).similarity, abs=TOL64
    )


def test_permutation_test_warns_once_about_sample_size_for_cca():
    X, Y = independent_views(20, 12, 12, 0)
    with pytest.warns(svcca.SampleSizeWarning) as record:
        res = stats.permutation_test(X, Y, "cca", n_resamples=20, rng=0)
    assert len(record) == 1
    with pytest.warns(svcca.SampleSizeWarning) as record:  # n <= 4 said it twice
        stats.permutation_test(X[:4, :2], Y[:4, :2], "cca", n_resamples=5, rng=0)
    assert len(record) == 1
    # 12 + 12 - 19 = 5 correlations are forced to 1 in every shuffle too: the null is inflated
    assert res.null_distribution.min() >= 5 / 12 and res.p_value > 0.05


@pytest.mark.torch
@pytest.mark.parametrize("measure", MEASURE_CASES)
def test_permutation_test_on_tensors_matches_numpy(measure):
    torch = pytest.importorskip("torch")
    X, Y = shared_latent_views(n=60, noise=1.5)
    want = stats.permutation_test(X, Y, MEASURE_CASES[measure], n_resamples=40, rng=0)
    tX, tY = torch.from_numpy(X), torch.from_numpy(Y)
    got = stats.permutation_test(tX, tY, MEASURE_CASES[measure], n_resamples=40, rng=0)
    np.testing.assert_allclose(got.null_distribution, want.null_distribution, rtol=0, atol=TOL64)


def test_permutation_test_errors():
    X, Y = independent_views(20, 3, 3, 0)
    with pytest.raises(ValueError, match=r"measure must be one of 'cca', 'svcca', .* got 'cosine'"):
        stats.permutation_test(X, Y, "cosine")
    with pytest.raises(TypeError, match=r"measure must be one of .* or a callable measure\(X, Y\); got int"):
        stats.permutation_test(X, Y, 3)
    with pytest.raises(ValueError, match="n_resamples must be >= 1; got 0"):
        stats.permutation_test(X, Y, n_resamples=0)
    with pytest.raises(TypeError, match="n_resamples must be an int >= 1; got 1.5"):
        stats.permutation_test(X, Y, n_resamples=1.5)
    with pytest.raises(ValueError, match=r"same number of samples.*X.shape=\(20, 3\), Y.shape=\(19, 3\)"):
        stats.permutation_test(X, Y[:-1])
    with pytest.raises(TypeError, match="rng must be None, an int seed or a numpy.random.Generator"):
        stats.permutation_test(X, Y, rng="seed")
    with pytest.raises(TypeError, match=r"measure 'bad' must return .* \.similarity .*; got str"):

        def bad(A, B):
            return "high"

        stats.permutation_test(X, Y, bad, n_resamples=2)


# --- random baseline and the analytic null ----------------------------------------------


def test_analytic_null_pillai_matches_a_simulation():
    X, Y = independent_views(50, 5, 8, 0)
    base = stats.random_baseline(X, Y, pillai, n_resamples=400, rng=0)
    sem = base.std / np.sqrt(base.n_resamples)
    assert abs(base.mean - stats.analytic_null_pillai(50, 5, 8)) < 4 * sem
    assert stats.analytic_null_pillai(50, 5, 8) == pytest.approx(40 / 49)


def test_analytic_null_pillai_caps_ranks_at_n_minus_1():
    assert stats.analytic_null_pillai(11, 30, 4) == 4.0  # every direction of Y lies in X's span
    with pytest.raises(ValueError, match="n must be >= 2; got 1"):
        stats.analytic_null_pillai(1, 2, 2)
    with pytest.raises(TypeError, match="p must be an int >= 1; got 2.0"):
        stats.analytic_null_pillai(10, 2.0, 2)


def test_random_baseline_of_independent_data_is_chance_and_shared_data_exceed_it():
    X, Y = independent_views(100, 6, 9, 0)
    base = stats.random_baseline(X, Y, "cca", n_resamples=100, rng=0)
    assert base.p_value > 0.05
    assert abs(base.excess) < 3 * base.std
    Xs, Ys = shared_latent_views(n=100, p=6, q=9)
    shared = stats.random_baseline(Xs, Ys, "cca", n_resamples=100, rng=0)
    assert shared.p_value == pytest.approx(1 / 101)
    assert shared.mean == pytest.approx(base.mean, abs=0.03)  # depends only on (n, p, q)
    assert "RandomBaselineResult(observed=" in repr(shared)


def test_spectrum_matched_draws_keep_each_layers_mean_and_covariance_exactly():
    X, _ = shared_latent_views(n=100)
    X = X * np.geomspace(1.0, 50.0, X.shape[1]) + 3.0
    sampler = stats._SpectrumSampler(X)
    gen = np.random.default_rng(0)
    A, B = sampler(gen), sampler(gen)
    for R in (A, B):
        np.testing.assert_allclose(R.mean(0), X.mean(0), rtol=0, atol=1e-9)
        np.testing.assert_allclose(np.cov(R, rowvar=False), np.cov(X, rowvar=False), rtol=1e-10, atol=1e-9)
    assert not np.allclose(A, B)  # but the samples are random


def test_spectrum_matched_baseline_is_the_right_chance_level_for_cka():
    # CKA's chance level falls with the effective dimension, about sqrt(d_x d_y) / n: for
    # independent layers with a steep spectrum the spectrum-matched baseline holds the
    # observed value, the white-noise one (negative control) sits far above it
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 10)) * np.geomspace(1.0, 100.0, 10)
    Y = rng.standard_normal((200, 10)) * np.geomspace(1.0, 100.0, 10)
    spectrum = stats.random_baseline(X, Y, "cka", n_resamples=50, match="spectrum", rng=1)
    shape = stats.random_baseline(X, Y, "cka", n_resamples=50, match="shape", rng=1)
    assert abs(spectrum.excess) < 2 * spectrum.std
    assert shape.excess < -4 * shape.std
    assert spectrum.match == "spectrum" and shape.match == "shape"


@pytest.mark.torch
def test_random_baseline_accepts_tensors():
    torch = pytest.importorskip("torch")
    X, Y = independent_views(40, 3, 4, 0)
    want = stats.random_baseline(X, Y, "cka", n_resamples=10, rng=0)
    got = stats.random_baseline(torch.from_numpy(X), torch.from_numpy(Y), "cka", n_resamples=10, rng=0)
    np.testing.assert_allclose(got.null_distribution, want.null_distribution, rtol=0, atol=TOL64)


def test_random_baseline_errors():
    X, Y = independent_views(20, 3, 3, 0)
    with pytest.raises(ValueError, match="match must be one of 'shape', 'spectrum'; got 'rank'"):
        stats.random_baseline(X, Y, match="rank")
    with pytest.raises(ValueError, match="n_resamples must be >= 1; got -1"):
        stats.random_baseline(X, Y, n_resamples=-1)


# --- bootstrap --------------------------------------------------------------------------


def _correlated_pair(n: int, rho: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1))
    return x, rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, 1))


@pytest.mark.slow
def test_bootstrap_interval_covers_the_true_correlation_at_about_the_nominal_rate():
    truth, reps = 0.6, 40
    covered = 0
    for seed in range(reps):
        ci = stats.bootstrap_ci(*_correlated_pair(300, truth, seed), "cca", n_resamples=100, rng=seed)
        covered += ci.low <= truth <= ci.high
    assert covered >= 34  # nominal 95%: P(Binomial(40, 0.95) < 34) is about 0.01


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_every_interval_method_covers_the_truth_on_a_synthetic_case(method):
    x, y = _correlated_pair(200, 0.6, 0)
    ci = stats.bootstrap_ci(x, y, "cca", n_resamples=400, method=method, rng=0)
    assert ci.low < 0.6 < ci.high
    assert ci.low < ci.observed < ci.high
    assert ci.method == method and ci.n_resamples == 400
    assert 0.05 < ci.high - ci.low < 0.3


def _scipy_rng_keyword(func) -> str:  # noqa: ANN001
    import inspect

    return "rng" if "rng" in inspect.signature(func).parameters else "random_state"


@pytest.mark.slow
def test_bca_interval_agrees_with_scipy_bootstrap():
    # independent oracle: scipy.stats.bootstrap (paired, BCa) on Pearson's r, which is the
    # canonical correlation of two single features (up to sign); Monte Carlo agreement only
    x, y = _correlated_pair(150, 0.5, 1)
    ours = stats.bootstrap_ci(x, y, "cca", n_resamples=2000, method="bca", rng=0)
    theirs = scipy.stats.bootstrap(
        (x[:, 0], y[:, 0]),
        lambda a, b: np.corrcoef(a, b)[0, 1],
        paired=True,
        vectorized=False,
        n_resamples=2000,
        method="BCa",
        # SciPy 1.15 renamed random_state to rng; the oldest SciPy svcca supports is 1.10
        **{_scipy_rng_keyword(scipy.stats.bootstrap): np.random.default_rng(0)},
    ).confidence_interval
    assert ours.low == pytest.approx(theirs.low, abs=0.02)
    assert ours.high == pytest.approx(theirs.high, abs=0.02)


def test_basic_interval_is_the_percentile_interval_reflected_about_the_estimate():
    x, y = _correlated_pair(100, 0.3, 2)
    pct = stats.bootstrap_ci(x, y, "cka", n_resamples=200, method="percentile", rng=5)
    basic = stats.bootstrap_ci(x, y, "cka", n_resamples=200, rng=5)  # the default
    assert basic.method == "basic"
    assert basic.low == pytest.approx(2 * pct.observed - pct.high, abs=TOL64)
    assert basic.high == pytest.approx(2 * pct.observed - pct.low, abs=TOL64)
    assert pct.standard_error > 0 and np.isfinite(pct.bias)
    assert "BootstrapResult(observed=" in repr(pct)


def test_bca_refuses_an_interval_when_no_resample_lies_below_the_observed_value():
    # resampling inflates biased CKA of independent layers: none of the 1000 resamples lies
    # below the observed 0.093, and BCa returned [0.1245, 0.1245], the smallest resample twice
    X, Y = independent_views(200, 128, 5, 0)
    with pytest.raises(
        ValueError,
        match=r"method='bca' cannot place this interval: none of the 1000 resamples lies below the "
        r"observed similarity 0\.09303 \(resampling inflates this measure\), so its bias correction "
        r"Phi\^-1\(0\) is infinite and both adjusted levels are 0, the outermost resample; use "
        r"method='basic' or 'percentile'$",
    ):
        stats.bootstrap_ci(X, Y, "cka", n_resamples=1000, method="bca", rng=0)
    basic = stats.bootstrap_ci(X, Y, "cka", n_resamples=1000, rng=0)  # the same resamples
    assert np.all(basic.bootstrap_distribution > basic.observed) and basic.high - basic.low > 0.03


def test_bca_refuses_adjusted_levels_beyond_the_outermost_resamples():
    # 6.5% of the resamples below the observed PWCCA moves the lower level to 1.8e-7: the
    # interval was the smallest resample and a level near it, a fraction of the standard error
    rng = np.random.default_rng(1)
    X = rng.standard_normal((150, 8))
    Y = np.tanh(X @ rng.standard_normal((8, 6))) + 0.5 * rng.standard_normal((150, 6))
    with pytest.raises(ValueError) as info:
        stats.bootstrap_ci(X, Y, "pwcca", n_resamples=200, method="bca", rng=0)
    msg = str(info.value)
    assert msg.startswith("method='bca' cannot place this interval: 6.5% of the 200 resamples lie below")
    assert (
        "quantile levels from 0.025 and 0.975 to 1.82e-07 and 0.142, beyond what 200 resamples resolve" in msg
    )
    # 1 / 1.8e-7 resamples is no advice: only the other methods are offered
    assert msg.endswith("use method='basic' or 'percentile'")


def test_bca_says_how_many_resamples_would_resolve_its_levels():
    # a well-behaved case: 20 resamples cannot resolve a 95% BCa interval (0.025 * 20 < 1),
    # and the message says how many would; with enough the interval is what it was
    x, y = _correlated_pair(200, 0.6, 0)
    with pytest.raises(ValueError, match=r"beyond what 20 resamples resolve .*, or n_resamples >= 334$"):
        stats.bootstrap_ci(x, y, "cca", n_resamples=20, method="bca", rng=0)
    ci = stats.bootstrap_ci(x, y, "cca", n_resamples=400, method="bca", rng=0)
    # golden numbers: the BCa interval of the code before the rule (levels well inside the resamples)
    assert (ci.low, ci.high) == pytest.approx((0.4514390898446786, 0.6180616931485585), abs=TOL64)


def test_an_unresolved_bca_interval_raises_a_public_value_error_with_what_would_resolve_it():
    # the exception was private (stats._UnresolvedBCa), yet the command line had to catch it
    assert "BCaUnresolvedError" in stats.__all__ and not hasattr(stats, "_UnresolvedBCa")
    assert issubclass(stats.BCaUnresolvedError, ValueError)
    x, y = _correlated_pair(200, 0.6, 0)
    with pytest.raises(stats.BCaUnresolvedError) as info:
        stats.bootstrap_ci(x, y, "cca", n_resamples=20, method="bca", rng=0)
    assert info.value.needed == 334  # 1 / 0.003 (the upper level 0.997 needs one resample beyond it)
    assert info.value.why.startswith("65.0% of the 20 resamples lie below the observed similarity")
    assert str(info.value) == (
        f"method='bca' cannot place this interval: {info.value.why}; use method='basic' or "
        "'percentile', or n_resamples >= 334"
    )
    X, Y = independent_views(200, 128, 5, 0)  # no resample below: more resamples would not help
    with pytest.raises(stats.BCaUnresolvedError) as info:
        stats.bootstrap_ci(X, Y, "cka", n_resamples=200, method="bca", rng=0)
    assert info.value.needed is None and str(info.value).endswith("use method='basic' or 'percentile'")


def test_bca_resolution_rule_is_one_rule_on_its_levels():
    # the rule itself, on the levels: at least one resample beyond each adjusted level
    ok = stats._bca_levels(0.5, 0.0, 0.05, 40, 0.5)
    assert ok == pytest.approx((0.025, 0.975), abs=TOL64)  # z0 = a = 0: the percentile levels
    for below, a, B in ((0.5, 0.0, 39), (0.0, 0.0, 1000), (1.0, 0.0, 1000), (0.02, 0.0, 1000)):
        with pytest.raises(ValueError, match="method='bca' cannot place this interval"):
            stats._bca_levels(below, a, 0.05, B, 0.5)
    # past the pole of the acceleration (1 - a (z0 + z) <= 0) a level is at its limit: refused
    with pytest.raises(ValueError, match=r"to 0\.\d+ and 1, beyond"):
        stats._bca_levels(0.5, 0.6, 0.05, 10_000, 0.5)


def test_bootstrap_repr_states_the_bias_and_why_an_interval_excludes_the_observed_value():
    # resamples above the observed value: resampling inflated the measure by 0.04
    boot = np.array([0.52, 0.54, 0.56])
    basic = stats.BootstrapResult(0.5, 0.44, 0.48, 0.95, "basic", boot, 3, "cca")
    assert (
        repr(basic)
        == str(basic)
        == (
            "BootstrapResult(observed=0.5000, low=0.4400, high=0.4800, bias=+0.04, confidence=0.95, "
            "method='basic', n_resamples=3; the interval lies below the observed value: resampling inflates "
            "this measure, and the basic interval corrects for that bias)"
        )
    )
    pct = stats.BootstrapResult(0.5, 0.52, 0.56, 0.95, "percentile", boot, 3, "cca")
    assert repr(pct).endswith(
        "; the interval lies above the observed value: resampling inflates this measure, and the "
        "percentile interval keeps that bias (method='basic' corrects for it))"
    )
    held = stats.BootstrapResult(0.5, 0.45, 0.55, 0.95, "basic", boot - 0.1, 3, "cca")
    assert repr(held).endswith("bias=-0.06, confidence=0.95, method='basic', n_resamples=3)")
    # as the README's SVCCA: a basic interval below its estimate, now with the reason
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 20))
    Y = np.tanh(X @ rng.standard_normal((20, 15)))
    ci = stats.bootstrap_ci(X, Y, "pwcca", n_resamples=200, rng=0)
    assert ci.high < ci.observed and ci.bias > 0
    assert f"bias={ci.bias:+.3g}" in repr(ci) and "the interval lies below the observed value" in repr(ci)


def test_bootstrap_resamples_rows_in_pairs():
    # with the pairing kept every resample of an exact copy still scores 1
    X, _ = shared_latent_views(n=50)
    ci = stats.bootstrap_ci(X, 2 * X + 1, "procrustes", n_resamples=30, rng=0)
    np.testing.assert_allclose(ci.bootstrap_distribution, 1.0, atol=TOL64)


def test_bootstrap_errors():
    X, Y = independent_views(20, 3, 3, 0)
    with pytest.raises(ValueError, match=r"confidence must be a number in \(0, 1\); got 95"):
        stats.bootstrap_ci(X, Y, confidence=95)
    with pytest.raises(ValueError, match="method must be one of 'percentile', 'basic', 'bca'; got 'bc'"):
        stats.bootstrap_ci(X, Y, method="bc")
    with pytest.raises(ValueError, match="n_resamples must be >= 1; got 0"):
        stats.bootstrap_ci(X, Y, n_resamples=0)


# --- Bartlett's test --------------------------------------------------------------------


def test_bartlett_finds_three_shared_directions():
    X, Y = shared_latent_views(n=1000, p=8, q=10, k=3, noise=0.5)
    res = stats.bartlett_test(svcca.cca(X, Y))
    assert res.n_significant == 3
    assert np.all(res.p_value[:3] < 1e-10) and res.p_value[3] > res.alpha
    np.testing.assert_array_equal(res.dof, [(8 - k) * (10 - k) for k in range(8)])
    assert "BartlettResult(n_significant=3" in repr(res)


def test_bartlett_finds_nothing_in_independent_data_and_its_p_values_are_uniform():
    pvals = []
    for seed in range(150):
        res = stats.bartlett_test(svcca.cca(*independent_views(200, 3, 4, seed)))
        pvals.append(res.p_value[0])
    assert scipy.stats.kstest(pvals, "uniform").pvalue > 0.01
    assert stats.bartlett_test(svcca.cca(*independent_views(200, 3, 4, 0))).n_significant == 0


def test_wilks_lambda_equals_the_determinant_ratio():
    # independent oracle: Lambda_0 = det(R) / (det(R_xx) det(R_yy)) for the joint correlation R
    X, Y = shared_latent_views(n=400, p=4, q=5, k=2)
    R = np.corrcoef(np.hstack([X, Y]), rowvar=False)
    oracle = np.linalg.det(R) / (np.linalg.det(R[:4, :4]) * np.linalg.det(R[4:, 4:]))
    res = stats.bartlett_test(svcca.cca(X, Y))
    assert res.wilks_lambda[0] == pytest.approx(oracle, rel=1e-9)
    factor = 400 - 1 - (4 + 5 + 1) / 2
    assert res.statistic[0] == pytest.approx(-factor * np.log(oracle), rel=1e-9)


def test_bartlett_on_bare_correlations_by_hand():
    rho = np.array([0.3, 0.9, 0.05])  # sorted inside
    res = stats.bartlett_test(rho, n=100, p=3, q=5, alpha=0.01)
    factor = 100 - 1 - (3 + 5 + 1) / 2
    want = -factor * np.log(
        np.array([(1 - 0.81) * (1 - 0.09) * (1 - 0.0025), (1 - 0.09) * (1 - 0.0025), 1 - 0.0025])
    )
    np.testing.assert_allclose(res.statistic, want, rtol=1e-12)
    np.testing.assert_allclose(res.p_value, scipy.stats.chi2.sf(want, [15, 8, 3]), rtol=1e-12)
    np.testing.assert_array_equal(res.rho, [0.9, 0.3, 0.05])


def test_bartlett_with_a_correlation_of_one_rejects_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = stats.bartlett_test([1.0, 0.1], n=50, p=2, q=2)
    assert res.statistic[0] == np.inf and res.p_value[0] == 0.0 and res.n_significant == 1


def test_bartlett_errors():
    with pytest.raises(TypeError, match="needs n, p and q"):
        stats.bartlett_test([0.5, 0.2])
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]; got min 0.2, max 1.5"):
        stats.bartlett_test([1.5, 0.2], n=50, p=2, q=2)
    with pytest.raises(
        ValueError, match=r"needs all min\(p, q\) = 2 canonical correlations \(p=2, q=4\); got 3"
    ):
        stats.bartlett_test([0.5, 0.2, 0.1], n=50, p=2, q=4)
    with pytest.raises(ValueError, match="needs n - 1 > .* got n=10, p=8, q=9"):
        stats.bartlett_test([0.5] * 8, n=10, p=8, q=9)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        stats.bartlett_test(np.zeros((2, 2)), n=50, p=2, q=2)
    for alpha in ("0.05", None, True):  # compared with 0 as it came: "'<' not supported"
        with pytest.raises(TypeError, match=rf"alpha must be a number in \(0, 1\); got {alpha!r}"):
            stats.bartlett_test([0.5], n=100, p=1, q=1, alpha=alpha)


# --- sample size ------------------------------------------------------------------------


def test_forced_ones_match_the_correlations_cca_reports():
    X, Y = independent_views(50, 30, 28, 0)
    diag = stats.sample_size_diagnostic(X, Y)
    rho = svcca.cca(X, Y, warn=False).rho
    assert diag.forced_ones == 30 + 28 - 49 == int(np.sum(rho > 1 - 1e-8))
    assert diag.regime == "degenerate" and "9 canonical correlation(s)" in diag.verdict


@pytest.mark.parametrize(
    ("n", "p", "q", "regime"),
    [
        (100, 60, 50, "degenerate"),
        (100, 30, 20, "too few samples"),
        (500, 60, 40, "marginal"),
        (1000, 100, 7, "adequate"),
    ],
)
def test_sample_size_regimes(n, p, q, regime):
    d = stats.sample_size_diagnostic(n, p, q)
    assert d.regime == regime
    assert d.samples_per_feature == pytest.approx(n / max(p, q))
    assert d.samples_per_total_features == pytest.approx(n / (p + q))
    assert d.null_mean_rho2 == pytest.approx(min(1.0, max(p, q) / (n - 1)))
    assert d.null_pillai == pytest.approx(stats.analytic_null_pillai(n, p, q))
    assert str(d).startswith(regime)


@pytest.mark.parametrize(
    "n, shown",
    [(499, "4.99 (< 5)"), (998, "9.98 (5-10)"), (500, "5.0 (5-10)"), (9996, "100.0 (>= 10)")],
)
def test_the_verdict_never_rounds_the_ratio_across_its_threshold(n, shown):
    # 4.99 samples per feature printed as "5.0 (< 5)", 9.98 as "10.0 (5-10)"
    d = stats.sample_size_diagnostic(n, 100, 7)
    assert f"n / max(p, q) = {shown};" in d.verdict


def test_sample_size_diagnostic_from_arrays_equals_from_counts():
    X, Y = independent_views(120, 7, 30, 0)
    assert stats.sample_size_diagnostic(X, Y) == stats.sample_size_diagnostic(120, 7, 30)


def test_sample_size_diagnostic_errors():
    X, Y = independent_views(20, 3, 3, 0)
    with pytest.raises(TypeError, match=r"sample_size_diagnostic\(X, Y\) with two arrays, or \(n, p, q\)"):
        stats.sample_size_diagnostic(20, 3)
    with pytest.raises(TypeError, match="with three ints"):
        stats.sample_size_diagnostic(X, Y, 3)
    with pytest.raises(ValueError, match="q must be >= 1; got 0"):
        stats.sample_size_diagnostic(20, 3, 0)


# --- measures ---------------------------------------------------------------------------


def test_measures_accept_results_floats_and_zero_d_arrays():
    X, Y = shared_latent_views(n=40)
    for fn in (
        lambda A, B: svcca.cca(A, B),
        lambda A, B: 0.5,
        lambda A, B: np.float32(0.5),
        lambda A, B: np.array(0.5),
    ):
        _, f = stats.get_measure(fn)
        assert isinstance(f(X, Y), float)
    name, f = stats.get_measure(functools.partial(linear_cka, debiased=True))
    assert name == "partial" and f(X, Y) == pytest.approx(linear_cka(X, Y, debiased=True).similarity)


def test_a_complex_similarity_is_refused_not_cut_to_its_real_part():
    # np.complex128(0.5 + 0.1j) became 0.5 (a ComplexWarning at most); 0-d arrays raised float()'s error
    X, Y = shared_latent_views(n=40)
    result = type("Result", (), {"similarity": np.complex64(0.5)})()
    for value in (0.5 + 0.1j, np.complex128(0.5 + 0.1j), np.array(0.5 + 0j), result):
        _, f = stats.get_measure(lambda A, B, v=value: v)
        with pytest.raises(TypeError, match=r"must return a real similarity; got the complex"):
            f(X, Y)


def _sparse_layer(n: int = 30) -> np.ndarray:
    S = np.zeros((n, 3))  # three units, each active on one sample
    S[0, 0], S[1, 1], S[2, 2] = 1.0, 2.0, 1.0
    return S


def test_bootstrap_skips_and_counts_degenerate_resamples():
    # a resample that draws none of rows 0-2 has no varying feature: this aborted before
    Y = np.random.default_rng(0).standard_normal((30, 2))
    res = stats.bootstrap_ci(_sparse_layer(), Y, n_resamples=200, rng=0)
    assert 0 < res.n_degenerate <= 0.1 * 200 and res.bootstrap_distribution.size == 200 - res.n_degenerate
    assert np.all(np.isfinite(res.bootstrap_distribution)) and 0 <= res.low <= res.high <= 1
    assert f"n_degenerate={res.n_degenerate}" in repr(res)
    # (BCa needs a resample beyond each adjusted level: 20 resamples do not resolve 95%)
    assert stats.bootstrap_ci(_sparse_layer(), Y, n_resamples=200, method="bca", rng=0).high <= 1


def test_a_basic_interval_stays_within_the_values_the_measure_takes():
    # reflecting the quantiles about the observed value put a mean CCA's interval below 0
    Y = np.random.default_rng(0).standard_normal((30, 2))
    pct = stats.bootstrap_ci(_sparse_layer(), Y, n_resamples=200, method="percentile", rng=0)
    reflected = 2 * pct.observed - pct.high
    assert reflected < 0  # the unclipped lower end
    basic = stats.bootstrap_ci(_sparse_layer(), Y, n_resamples=200, rng=0)
    assert basic.low == 0.0 and basic.high == pytest.approx(2 * pct.observed - pct.low, abs=TOL64)
    # a callable's values are unknown: its interval is the reflection itself
    free = stats.bootstrap_ci(_sparse_layer(), Y, lambda A, B: svcca.cca(A, B).mean, n_resamples=200, rng=0)
    assert free.low == pytest.approx(reflected, abs=TOL64)
    assert svcca.Measure("cka", debiased=True).bounds == (-1.0, 1.0) == svcca.Measure("minibatch_cka").bounds
    assert {svcca.Measure(m).bounds for m in ("cca", "svcca", "pwcca", "cka", "rbf_cka", "procrustes")} == {
        (0.0, 1.0)
    }


def test_bootstrap_warns_when_many_resamples_are_degenerate():
    S = np.zeros((30, 1))
    S[0, 0] = 1.0  # one active sample: about 1/3 of the resamples miss it
    Y = np.random.default_rng(0).standard_normal((30, 2))
    with pytest.warns(stats.DegenerateResampleWarning, match=r"of 100 bootstrap resamples were degenerate"):
        res = stats.bootstrap_ci(S, Y, n_resamples=100, rng=0)
    assert res.n_degenerate > 10


def test_a_callable_measure_warns_about_sample_size_once():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((10, 6)), rng.standard_normal((10, 6))
    for run in (
        lambda: stats.permutation_test(X, Y, svcca.cca, n_resamples=5, rng=0),
        lambda: stats.bootstrap_ci(X, Y, svcca.cca, n_resamples=5, rng=0),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run()
        assert [type(w.message) for w in caught] == [svcca.SampleSizeWarning]


# --- one check per call ------------------------------------------------------------------


@pytest.mark.parametrize("measure", MEASURE_CASES)
def test_one_permutation_test_checks_its_input_once(monkeypatch, measure):
    """The public function checks X and Y once (one check_array each); preparing the sides,
    the observed value and the null trust that check (no second pair check, no whitening
    that checks again, no CKA check of its own)."""
    import sys

    import svcca._validation as validation

    calls = []
    real = validation.check_array

    def counting(x, name="X", **kw):
        calls.append(name)
        return real(x, name, **kw)

    for mod in [m for k, m in sys.modules.items() if k == "svcca" or k.startswith("svcca.")]:
        if getattr(mod, "check_array", None) is real:
            monkeypatch.setattr(mod, "check_array", counting)
    X, Y = shared_latent_views(n=60)
    stats.permutation_test(X, Y, MEASURE_CASES[measure], n_resamples=5, rng=0)
    assert calls == ["X", "Y"]


def test_measure_options_reach_the_null():
    """stats no longer fixes SVCCA's keep: a name with options equals the Measure and the loop."""
    X, Y = shared_latent_views(n=80, noise=1.5)
    by_name = stats.permutation_test(X, Y, "svcca", measure_options={"keep": 0.8}, n_resamples=30, rng=0)
    by_measure = stats.permutation_test(X, Y, svcca.Measure("svcca", keep=0.8), n_resamples=30, rng=0)
    looped = stats.permutation_test(X, Y, LOOPED["svcca_keep"], n_resamples=30, rng=0)
    default = stats.permutation_test(X, Y, "svcca", n_resamples=30, rng=0)
    np.testing.assert_array_equal(by_name.null_distribution, by_measure.null_distribution)
    np.testing.assert_allclose(by_name.null_distribution, looped.null_distribution, rtol=0, atol=TOL64)
    assert abs(by_name.observed - default.observed) > 1e-3
    ci = stats.bootstrap_ci(X, Y, "rbf_cka", measure_options={"bandwidth": 2.0}, n_resamples=5, rng=0)
    assert ci.observed == pytest.approx(svcca.rbf_cka(X, Y, bandwidth=2.0).similarity, abs=TOL64)
    base = stats.random_baseline(X, Y, "rbf_cka", measure_options={"bandwidth": 2.0}, n_resamples=3, rng=0)
    assert base.observed == pytest.approx(svcca.rbf_cka(X, Y, bandwidth=2.0).similarity, abs=TOL64)


def test_measure_option_errors():
    X, Y = shared_latent_views(n=40)
    with pytest.raises(ValueError, match=r"keep does not apply to measure='cka' \(its options: debiased\)"):
        stats.permutation_test(X, Y, "cka", measure_options={"keep": 0.5})
    with pytest.raises(TypeError, match="measure_options apply to a measure given by name"):
        stats.permutation_test(X, Y, LOOPED["cca"], measure_options={"keep": 0.5})
    with pytest.raises(ValueError, match="measure_options apply to a measure given by name"):
        stats.bootstrap_ci(X, Y, svcca.Measure("cka"), measure_options={"debiased": True})
    with pytest.raises(ValueError, match="bandwidth must be a finite number > 0"):
        stats.random_baseline(X, Y, "rbf_cka", measure_options={"bandwidth": 0})
    with pytest.raises(ValueError, match=r"X must be real-valued; got dtype complex128"):
        stats.permutation_test(X + 1j, Y, "cka")


# --- grouped (cluster) resampling --------------------------------------------------------


def repeated(X, Y, k: int):
    """Each row repeated ``k`` times (an image seen under ``k`` identical "shifts"), and the
    group of each row."""
    image = np.repeat(np.arange(len(X)), k)
    return X[image], Y[image], image


@pytest.mark.parametrize("measure", ["cca", "cka", svcca.cca])
def test_one_row_per_group_permutes_exactly_as_rows(measure):
    X, Y = shared_latent_views(n=60, p=4, q=5, seed=3)
    rows = stats.permutation_test(X, Y, measure, n_resamples=300, rng=7)
    shuffled_labels = np.random.default_rng(0).permutation(60) + 1000  # any labels, one per row
    grouped = stats.permutation_test(X, Y, measure, n_resamples=300, groups=shuffled_labels, rng=7)
    np.testing.assert_array_equal(grouped.null_distribution, rows.null_distribution)
    assert grouped.p_value == rows.p_value and grouped.n_groups == 60 and rows.n_groups is None


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_one_row_per_group_bootstraps_exactly_as_rows(method):
    X, Y = shared_latent_views(n=40, p=3, q=3, seed=4)
    rows = stats.bootstrap_ci(X, Y, "cca", n_resamples=100, method=method, rng=2)
    grouped = stats.bootstrap_ci(X, Y, "cca", n_resamples=100, method=method, groups=np.arange(40), rng=2)
    np.testing.assert_array_equal(grouped.bootstrap_distribution, rows.bootstrap_distribution)
    assert (grouped.low, grouped.high) == (rows.low, rows.high)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_grouped_bootstrap_of_repeated_rows_is_the_interval_of_the_data(method):
    X, Y = shared_latent_views(n=80, p=3, q=4, seed=5)
    plain = stats.bootstrap_ci(X, Y, "cca", n_resamples=200, method=method, rng=1)
    Xk, Yk, image = repeated(X, Y, 9)
    grouped = stats.bootstrap_ci(Xk, Yk, "cca", n_resamples=200, method=method, groups=image, rng=1)
    np.testing.assert_allclose(grouped.bootstrap_distribution, plain.bootstrap_distribution, atol=TOL64)
    np.testing.assert_allclose([grouped.low, grouped.high], [plain.low, plain.high], atol=TOL64)
    # resampling the copies one by one treats them as new images: about 3 = sqrt(9) times too narrow
    naive = stats.bootstrap_ci(Xk, Yk, "cca", n_resamples=200, method="percentile", rng=1)
    assert 2 < plain.standard_error / naive.standard_error < 4.5


def test_grouped_permutation_of_repeated_rows_is_the_null_of_the_data():
    X, Y = shared_latent_views(n=50, p=4, q=4, noise=3.0, seed=6)
    plain = stats.permutation_test(X, Y, "cca", n_resamples=200, rng=3)
    Xk, Yk, image = repeated(X, Y, 5)
    grouped = stats.permutation_test(Xk, Yk, "cca", n_resamples=200, groups=image, rng=3)
    np.testing.assert_allclose(grouped.null_distribution, plain.null_distribution, atol=TOL64)
    assert grouped.p_value == plain.p_value
    # shuffling the copies one by one: a null of 250 "samples", far below the data's chance level
    naive = stats.permutation_test(Xk, Yk, "cca", n_resamples=200, rng=3)
    assert naive.null_mean < 0.5 * plain.null_mean and naive.p_value <= plain.p_value


def test_grouped_permutation_keeps_the_order_within_groups():
    # rows of group g at positions j go where the rows j of another group were: shift j stays shift j
    shift = np.tile(np.arange(3), 20)[:, None].astype(float)
    image = np.repeat(np.arange(20), 3)
    X = np.hstack([shift, np.random.default_rng(0).standard_normal((60, 1))])

    def shift_kept(A, B):
        return float(np.all(A[:, 0] == B[:, 0]))

    res = stats.permutation_test(X, X, shift_kept, n_resamples=20, groups=image, rng=0)
    assert np.all(res.null_distribution == 1.0)


def test_effective_sample_size_bounds():
    X = np.random.default_rng(0).standard_normal((120, 6))
    # identical copies: one sample per group
    Xk, _, image = repeated(X, X, 4)
    ess = stats.effective_sample_size(Xk, image)
    assert (ess.icc, ess.design_effect, ess.n_effective, ess.n_groups) == (1.0, 4.0, 120.0, 120)
    # one row per group, or groups drawn at random over independent rows: every row counts
    assert stats.effective_sample_size(X, np.arange(120)).n_effective == 120
    loose = stats.effective_sample_size(X, np.arange(120) % 30)
    assert loose.icc < 0.1 and loose.n_effective > 0.7 * 120
    # the more clustered layer counts
    pair = stats.effective_sample_size(np.random.default_rng(1).standard_normal((480, 6)), image, Xk)
    assert pair.icc == 1.0 and str(pair).startswith("effective sample size 120 of 480 rows")


def test_effective_sample_size_of_a_random_effect():
    # rows = group effect + noise of equal variance: icc 1/2, design effect 1 + (m - 1) / 2
    rng = np.random.default_rng(2)
    G, m = 400, 5
    image = np.repeat(np.arange(G), m)
    X = rng.standard_normal((G, 3))[image] + rng.standard_normal((G * m, 3))
    ess = stats.effective_sample_size(X, image)
    assert abs(ess.icc - 0.5) < 0.05
    assert abs(ess.design_effect - 3.0) < 0.2


def test_sample_size_rule_counts_effective_samples():
    X = np.random.default_rng(0).standard_normal((100, 40))
    Xk, _, image = repeated(X, X, 9)
    rows = stats.sample_size_diagnostic(Xk, Xk)
    grouped = stats.sample_size_diagnostic(Xk, Xk, groups=image)
    assert rows.regime == "adequate" and rows.effective is None
    assert grouped.regime == "too few samples" and grouped.samples_per_feature == 100 / 40
    assert grouped.null_mean_rho2 == stats.sample_size_diagnostic(100, 40, 40).null_mean_rho2
    assert "120" not in grouped.verdict and "100 of 900 rows" in grouped.verdict


def test_grouped_errors_say_what_arrived():
    X, Y = independent_views(12, 2, 2, seed=0)
    with pytest.raises(ValueError, match=r"one label per sample.*\(12,\); got shape \(11,\)"):
        stats.bootstrap_ci(X, Y, groups=np.arange(11))
    with pytest.raises(ValueError, match=r"one label per sample.*got shape \(12, 1\)"):
        stats.permutation_test(X, Y, groups=np.arange(12)[:, None])
    with pytest.raises(ValueError, match="at least 2 distinct labels; got 1"):
        stats.bootstrap_ci(X, Y, groups=np.zeros(12))
    with pytest.raises(ValueError, match="same number of rows; got group sizes from 1 to 11"):
        stats.permutation_test(X, Y, groups=np.r_[0, np.ones(11)])
    with pytest.raises(ValueError, match="NaN"):
        stats.effective_sample_size(X, np.r_[np.nan, np.arange(11.0)])
    with pytest.raises(TypeError, match="groups= needs the activations"):
        stats.sample_size_diagnostic(100, 4, 4, groups=np.arange(100))


def test_bartlett_warns_when_correlations_are_forced_to_one(rng):
    # 8 samples, ranks 5 and 4: two correlations are 1 whatever the data, and count as significant
    X, Y = rng.standard_normal((8, 5)), rng.standard_normal((8, 4))
    res = svcca.cca(X, Y, warn=False)
    with pytest.warns(svcca.SampleSizeWarning, match="2 canonical correlation"):
        assert stats.bartlett_test(res).n_significant == 2


def test_complex_layers_get_complex_chance_levels_and_sample_sizes():
    # a real Gaussian stand-in understated the chance level of complex CCA; an imaginary part
    # full of near-copies within groups was invisible to the intraclass correlation
    rng = np.random.default_rng(0)
    X = rng.standard_normal((15, 4)) + 1j * rng.standard_normal((15, 4))
    Y = rng.standard_normal((15, 4)) + 1j * rng.standard_normal((15, 4))

    def draw():
        return rng.standard_normal((15, 4)) + 1j * rng.standard_normal((15, 4))

    oracle = np.mean([svcca.cca(draw(), draw()).similarity for _ in range(400)])
    for match in ("shape", "spectrum"):
        base = stats.random_baseline(X, Y, "cca", n_resamples=400, match=match, rng=1)
        assert base.mean == pytest.approx(oracle, abs=0.01)
    g = np.repeat(np.arange(30), 3)
    A = (rng.standard_normal((30, 4)) + 1j * rng.standard_normal((30, 4)))[g]
    A = A.real + 1j * (A.imag + 1e-3 * rng.standard_normal((90, 4)))
    ess = stats.effective_sample_size(A, g)
    assert ess.icc > 0.99 and ess.n_effective == pytest.approx(30, rel=0.01)
    with pytest.raises(ValueError, match=r"chi-square approximation is for real Gaussian data"):
        stats.bartlett_test(svcca.cca(X, Y))
    with pytest.raises(ValueError, match=r"needs the correlations of exact CCA; got a regularised one"):
        stats.bartlett_test(svcca.cca(X.real, Y.real, epsilon=0.1))


@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e4])
def test_a_callables_p_value_does_not_depend_on_the_scale_of_its_values(scale):
    # the tie tolerance was 1e-12 in absolute terms below 1: a callable's squared
    # covariances of 1e-16 all counted as ties, and the p-value became 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 1))
    y = 0.6 * x + rng.standard_normal((50, 1))

    def cov2(A, B):
        return float(np.cov(A[:, 0], B[:, 0])[0, 1] ** 2)

    res = stats.permutation_test(x * scale, y * scale, cov2, n_resamples=999, rng=0)
    by_hand = (1 + np.count_nonzero(res.null_distribution >= res.observed)) / 1000
    assert res.p_value == by_hand == stats.permutation_test(x, y, cov2, n_resamples=999, rng=0).p_value
    assert res.p_value < 0.05


@pytest.mark.parametrize("bad", [-0.1, 2, float("nan"), "0.05", None, True])
def test_p_value_text_refuses_what_is_not_a_probability(bad):
    with pytest.raises(ValueError, match=r"p must be a probability, a number in \[0, 1\]; got"):
        stats.p_value_text(bad)


def test_bca_counts_resamples_equal_to_the_observed_value_within_rounding_as_ties():
    # a layer against itself: every resample is 1 to rounding; the exact == counted 59% of
    # them "below", and the interval was refused with advice to draw more resamples
    x = np.random.default_rng(0).standard_normal((40, 3))
    res = stats.bootstrap_ci(x, x, "cca", method="bca", n_resamples=200, rng=0)
    assert res.low == pytest.approx(1.0, abs=1e-12) and res.high == pytest.approx(1.0, abs=1e-12)


def test_undefined_similarities_never_shrink_a_p_value():
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((10, 2)), rng.standard_normal((10, 2))
    with pytest.raises(ValueError, match=r"undefined \(NaN\) for the observed pair"):
        stats.permutation_test(X, Y, lambda a, b: float("nan"), n_resamples=9)
    calls = iter(range(100))

    def half_nan(a, b):
        return float("nan") if next(calls) % 2 else 0.5

    with pytest.warns(stats.DegenerateResampleWarning, match=r"of 9 permutations gave an undefined"):
        res = stats.permutation_test(X, Y, half_nan, n_resamples=9)
    assert np.all(np.isfinite(res.null_distribution)) and res.p_value == 1.0


def test_a_bootstrap_of_an_undefined_similarity_is_refused_not_an_interval():
    # the interval was [0.3, 0.3] around observed=nan (the tests refuse a NaN observed value)
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((20, 2)), rng.standard_normal((20, 2))
    for value, said in ((float("nan"), r"undefined \(NaN\)"), (float("inf"), r"not finite \(inf\)")):
        with pytest.raises(ValueError, match=said + r" for the observed pair; no interval can be computed"):
            stats.bootstrap_ci(X, Y, lambda a, b, v=value: v if a is X else 0.3, n_resamples=9, rng=0)
    # an infinite resample is left out like an undefined one (it made the upper bound NaN)
    calls = iter(range(100))

    def some_inf(a, b):
        return float("inf") if next(calls) % 3 == 1 else 0.3

    with pytest.warns(stats.DegenerateResampleWarning, match=r"3 of 9 .* \(the measure gave NaN or inf\)"):
        res = stats.bootstrap_ci(X, Y, some_inf, n_resamples=9)
    assert res.n_degenerate == 3 and (res.low, res.high) == (0.3, 0.3)


def test_a_cca_bootstrap_with_too_few_distinct_rows_says_so():
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((60, 20)), rng.standard_normal((60, 20))
    with pytest.warns(
        svcca.SampleSizeWarning, match=r"about 38 distinct rows of 60, fewer than the 20 \+ 20"
    ):
        stats.bootstrap_ci(X, Y, "cca", n_resamples=20, rng=0)


def test_errors_at_a_measures_minimum_sample_size_are_the_measures_own():
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    with pytest.raises(ValueError, match=r"debiased CKA needs at least 4 samples; got X.shape=\(3, 2\)"):
        stats.permutation_test(X[:3], Y[:3], "cka", measure_options={"debiased": True}, n_resamples=9)
    with pytest.raises(TypeError, match=r"groups must hold labels of one comparable kind"):
        stats.bootstrap_ci(X, Y, "cca", groups=[None, 1, 1, None], n_resamples=9)


@pytest.mark.parametrize("side", ["x", "y", "smaller", "symmetric"])
def test_ridge_pwcca_null_equals_the_loop(side):
    # with epsilon > 0 the whitened columns are not orthonormal: the engine weighed the
    # canonical variates without scaling them to unit norm (observed 0.3319 vs pwcca's 0.3333)
    X, Y = shared_latent_views(n=60, noise=1.0)
    m = svcca.Measure("pwcca", side=side, epsilon=0.2)
    fast = stats.permutation_test(X, Y, m, n_resamples=40, rng=0)
    slow = stats.permutation_test(X, Y, lambda a, b: m(a, b, warn=False), n_resamples=40, rng=0)
    np.testing.assert_allclose(fast.null_distribution, slow.null_distribution, rtol=0, atol=TOL64)
    assert fast.observed == pytest.approx(svcca.pwcca(X, Y, side=side, epsilon=0.2).similarity, abs=TOL64)


@pytest.mark.parametrize(
    ("run", "desc", "total"),
    [
        (
            lambda X, Y, **kw: stats.permutation_test(X, Y, n_resamples=300, rng=0, **kw),
            "permutation_test",
            300,
        ),
        (lambda X, Y, **kw: stats.bootstrap_ci(X, Y, n_resamples=20, rng=0, **kw), "bootstrap_ci", 20),
        (lambda X, Y, **kw: stats.random_baseline(X, Y, n_resamples=20, rng=0, **kw), "random_baseline", 20),
    ],
)
def test_resampling_shows_a_progress_bar_on_request_with_the_same_numbers(run, desc, total, capsys):
    X, Y = _correlated_pair(80, 0.5, 2)
    quiet = run(X, Y)
    capsys.readouterr()
    shown = run(X, Y, progress=True)
    err = capsys.readouterr().err
    assert f"{desc} (cca)" in err and f"/{total}" in err
    for field in ("null_distribution", "bootstrap_distribution"):
        if hasattr(quiet, field):
            np.testing.assert_array_equal(getattr(quiet, field), getattr(shown, field))
    with pytest.raises(TypeError, match="progress must be True or False; got 'yes'"):
        run(X, Y, progress="yes")


def test_bootstrap_of_rbf_cka_on_a_sparse_layer_leaves_out_draws_of_identical_samples():
    # a draw of mostly identical (all-zero) samples has a median distance of 0: that draw is
    # degenerate and counted, not a crash blaming the data
    rng = np.random.default_rng(0)
    X = np.maximum(rng.standard_normal((100, 5)), 0)
    X[:68] = 0
    Y = X @ rng.standard_normal((5, 4)) + 0.1 * rng.standard_normal((100, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateResampleWarning)
        ci = stats.bootstrap_ci(X, Y, "rbf_cka", n_resamples=200, rng=0)
    assert ci.n_degenerate > 0 and ci.low <= ci.observed <= ci.high


def test_a_callable_undefined_on_every_draw_is_not_blamed_on_the_layer():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((30, 3)), rng.standard_normal((30, 2))
    calls = []

    def measure(a, b):  # defined on the observed pair only
        calls.append(1)
        return 0.5 if len(calls) == 1 else float("nan")

    with pytest.raises(ValueError, match="the measure gave NaN or inf on every draw"):
        stats.bootstrap_ci(X, Y, measure, n_resamples=20, rng=0)


@pytest.mark.parametrize("option", ["progress", "warn"])
@pytest.mark.parametrize("value", [1, "false", None])
def test_grid_switches_are_bools(option, value):
    rng = np.random.default_rng(0)
    with pytest.raises((TypeError, ValueError), match=option):
        svcca.similarity_matrix({"a": rng.standard_normal((20, 3))}, **{option: value})


@pytest.mark.parametrize("f", [svcca.cca, svcca.svcca, svcca.pls, svcca.linear_cka, svcca.rbf_cka])
def test_a_layer_a_measure_is_undefined_on_raises_one_error_type(f):
    # the statistics once told a degenerate draw from a user error by matching message text
    with pytest.raises(svcca.DegenerateLayerError):
        f(np.zeros((30, 3)), np.random.default_rng(0).standard_normal((30, 2)))


@pytest.mark.parametrize(
    ("measure", "options", "instead"),
    [
        ("cka", {"debiased": True}, "debiased=False"),
        ("rbf_cka", {"debiased": True}, "debiased=False"),
        ("minibatch_cka", {}, "measure='cka'"),
    ],
)
def test_bootstrap_refuses_an_unbiased_hsic_estimate(measure, options, instead):
    # resamples repeat rows, which the unbiased HSIC counts as distinct, perfectly similar
    # samples: for independent layers every resample lay above the estimate and the basic
    # interval of debiased RBF CKA was [-0.29, -0.04] around -0.005
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((40, 3)), rng.standard_normal((40, 3))
    m = svcca.Measure(measure, **options)
    assert m.unbiased and m.bounds == (-1.0, 1.0)
    for given in ({"measure": measure, "measure_options": options}, {"measure": m}):
        with pytest.raises(
            ValueError, match=rf"unbiased HSIC estimate .*{re.escape(instead)}.*permutation_test"
        ):
            stats.bootstrap_ci(X, Y, **given, n_resamples=50, rng=0)
    # the permutation test repeats no row: its null is centred near 0, as the estimate is
    null = stats.permutation_test(X, Y, measure, measure_options=options, n_resamples=200, rng=0)
    assert abs(float(np.mean(null.null_distribution))) < 0.02
    assert not svcca.Measure("cka").unbiased and not svcca.Measure("rbf_cka").unbiased
