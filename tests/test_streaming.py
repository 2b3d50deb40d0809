"""Tests of svcca.streaming: streamed statistics equal the in-memory computation."""

from __future__ import annotations

import os
import re
import socket

import numpy as np
import pytest
import scipy.linalg

import svcca
from conftest import TOL64, make_shared_latent_views, offset_feature_layers
from svcca._grid import similarity_matrix
from svcca.streaming import MultiLayerAccumulator, PairAccumulator

# --- helpers ---------------------------------------------------------------------------------


def random_cuts(rng: np.random.Generator, n: int, n_batches: int) -> list[tuple[int, int]]:
    """``n_batches`` consecutive (start, stop) ranges of random sizes covering ``range(n)``."""
    cuts = np.sort(rng.choice(np.arange(1, n), n_batches - 1, replace=False)) if n_batches > 1 else []
    edges = np.r_[0, cuts, n].astype(int)
    return list(zip(edges[:-1], edges[1:]))


def stream(X, Y, ranges, acc=None) -> PairAccumulator:
    acc = PairAccumulator() if acc is None else acc
    for a, b in ranges:
        acc.update(X[a:b], Y[a:b])
    return acc


def assert_weights_close(w, ref, rtol):
    """Weights agree column by column relative to the column's size (same sign convention)."""
    w, ref = np.asarray(w), np.asarray(ref)
    assert w.shape == ref.shape
    scale = np.abs(ref).max(axis=0, keepdims=True)
    np.testing.assert_allclose(w / scale, ref / scale, rtol=0, atol=rtol)


def assert_same_cca(res, ref, tol=TOL64, wtol=1e-9):
    np.testing.assert_allclose(np.asarray(res.rho), np.asarray(ref.rho), rtol=0, atol=tol)
    assert (res.x_rank, res.y_rank) == (ref.x_rank, ref.y_rank)
    np.testing.assert_array_equal(np.asarray(res.x_kept), np.asarray(ref.x_kept))
    np.testing.assert_array_equal(np.asarray(res.y_kept), np.asarray(ref.y_kept))
    assert res.n_samples == ref.n_samples
    assert_weights_close(res.x_weights, ref.x_weights, wtol)
    assert_weights_close(res.y_weights, ref.y_weights, wtol)


@pytest.fixture
def offset_views(rng):
    """600 samples sharing 3 latent directions, every neuron offset by about 1e6."""
    X, Y = make_shared_latent_views(rng, 600, 10, 8, 3)
    return X + 1e6 * rng.uniform(0.5, 1.5, 10), Y - 1e6 * rng.uniform(0.5, 1.5, 8)


@pytest.fixture
def dead_and_dependent_views(rng):
    """X with 2 constant neurons (values exactly representable) and 2 exactly dependent
    ones (rank 8 of 12); Y shares 3 directions: ranks and kept features are known."""
    n = 500
    X, Y = make_shared_latent_views(rng, n, 8, 7, 3)
    dependent = X[:, :2] @ np.array([[1.0, 2.0], [-1.0, 0.5]])
    X = np.hstack([X[:, :3], np.full((n, 1), 2.0), X[:, 3:], dependent, np.zeros((n, 1))])
    return X, Y


# --- equality with the batch computation ----------------------------------------------------


@pytest.mark.parametrize("n_batches", [1, 2, 7, 50])
def test_cca_streamed_equals_batch_for_any_split(shared_latent_views, rng, n_batches):
    X, Y = shared_latent_views
    res = stream(X, Y, random_cuts(rng, len(X), n_batches)).cca()
    assert_same_cca(res, svcca.cca(X, Y))


def test_single_row_batches(shared_latent_views):
    X, Y = shared_latent_views
    acc = stream(X, Y, [(i, i + 1) for i in range(len(X))])
    assert_same_cca(acc.cca(), svcca.cca(X, Y))
    np.testing.assert_allclose(acc.x_mean, X.mean(0), rtol=1e-14)


def test_offsets_of_1e6_cost_no_accuracy(offset_views, rng):
    X, Y = offset_views
    ref = svcca.cca(X, Y)
    res = stream(X, Y, random_cuts(rng, len(X), 9)).cca()
    assert_same_cca(res, ref, wtol=1e-8)
    # negative control: raw sums (sum x x^T - n m m^T) lose digits to the offset; ours do not
    n, m = len(X), X.mean(0)
    exact = (X - m).T @ (X - m) / (n - 1)
    naive = (X.T @ X - n * np.outer(m, m)) / (n - 1)
    streamed = stream(X, Y, random_cuts(rng, n, 9)).covariance("X", "X")
    assert np.abs(naive - exact).max() / np.abs(exact).max() > 1e-5
    assert np.abs(streamed - exact).max() / np.abs(exact).max() < 1e-10


def test_constant_and_dependent_features_as_in_batch(dead_and_dependent_views, rng):
    X, Y = dead_and_dependent_views
    ref = svcca.cca(X, Y)
    res = stream(X, Y, random_cuts(rng, len(X), 6)).cca()
    assert res.x_rank == 8 and ref.x_rank == 8
    np.testing.assert_array_equal(np.asarray(res.x_dropped), [3, 11])
    np.testing.assert_allclose(res.rho, ref.rho, rtol=0, atol=TOL64)


def test_constant_feature_with_unrepresentable_value_is_dropped(rng):
    """A constant 0.9999092 (tanh(5)): its batch means carry rounding; two-pass centring
    makes it exactly constant, so it is dropped. Oracle: CCA without that column."""
    X, Y = make_shared_latent_views(rng, 5000, 5, 4, 2)
    Xc = np.hstack([X, np.full((5000, 1), np.tanh(5.0))])
    res = stream(Xc, Y, random_cuts(rng, 5000, 4)).cca()
    np.testing.assert_array_equal(np.asarray(res.x_dropped), [5])
    np.testing.assert_allclose(res.rho, svcca.cca(X, Y).rho, rtol=0, atol=TOL64)


def test_ridge_epsilon_as_in_batch(shared_latent_views, rng):
    X, Y = shared_latent_views
    res = stream(X, Y, random_cuts(rng, len(X), 5)).cca(epsilon=1e-2)
    ref = svcca.cca(X, Y, epsilon=1e-2)
    assert_same_cca(res, ref)
    assert res.similarity < svcca.cca(X, Y).similarity  # negative control: the ridge acts


def test_unresolvable_directions_are_dropped_not_invented(rank_deficient_ill_conditioned):
    """Condition 1e8: Cholesky is refused, and the eigendecomposition keeps exactly the
    directions with s > (max(n, p) eps)^(1/4) s_max (the documented threshold)."""
    X, Y = rank_deficient_ill_conditioned
    res = stream(X, Y, [(0, 150), (150, 400)]).cca()
    Xs = (X - X.mean(0)) / np.linalg.norm(X - X.mean(0), axis=0)
    s = np.linalg.svd(Xs, compute_uv=False)
    threshold = (max(X.shape) * np.finfo(float).eps) ** 0.25
    assert res.x_rank == int((s > threshold * s[0]).sum())
    assert res.x_rank < svcca.cca(X, Y).x_rank  # the batch SVD path resolves more
    assert np.all((np.asarray(res.rho) >= 0) & (np.asarray(res.rho) <= 1))


@pytest.mark.parametrize("keep", [{"keep": 0.99}, {"n_components": 3}])
def test_svcca_streamed_equals_batch(rng, keep):
    X, Y = make_shared_latent_views(rng, 800, 12, 9, 3)
    X = X @ np.diag(np.logspace(0, -1, 12))  # a spread spectrum, so keep=0.99 bites
    res = stream(X, Y, random_cuts(rng, 800, 6)).svcca(**keep)
    ref = svcca.svcca(X, Y, **keep)
    assert (res.x_dims, res.y_dims) == (ref.x_dims, ref.y_dims)
    assert res.x_explained == pytest.approx(ref.x_explained, abs=TOL64)
    np.testing.assert_allclose(res.rho, ref.rho, rtol=0, atol=TOL64)
    # singular values from eigenvalues: the kept ones to rounding, the rest to ~sqrt(eps) s_max
    k = res.x_dims
    np.testing.assert_allclose(res.x_singular_values[:k], ref.x_singular_values[:k], rtol=1e-10)
    np.testing.assert_allclose(
        res.x_singular_values, ref.x_singular_values, rtol=0, atol=1e-6 * ref.x_singular_values[0]
    )
    assert_weights_close(res.x_weights, ref.x_weights, 1e-9)
    assert_weights_close(res.y_weights, ref.y_weights, 1e-9)


@pytest.mark.parametrize("side", ["x", "y", "smaller", "symmetric"])
def test_pwcca_streamed_equals_batch(dead_and_dependent_views, rng, side):
    X, Y = dead_and_dependent_views
    res = stream(X, Y, random_cuts(rng, len(X), 4)).pwcca(side=side)
    ref = svcca.pwcca(X, Y, side=side)
    assert res.side == ref.side
    assert res.similarity == pytest.approx(ref.similarity, abs=TOL64)
    np.testing.assert_allclose(res.alpha, ref.alpha, rtol=0, atol=TOL64)


def test_pls_streamed_equals_batch(offset_views, rng):
    X, Y = offset_views
    res = stream(X, Y, random_cuts(rng, len(X), 5)).pls()
    ref = svcca.pls(X, Y)
    np.testing.assert_allclose(res.covariances, ref.covariances, rtol=1e-9)
    np.testing.assert_allclose(res.correlations, ref.correlations, rtol=0, atol=1e-9)
    assert_weights_close(res.x_weights, ref.x_weights, 1e-8)
    assert res.similarity == pytest.approx(ref.similarity, abs=1e-9)


def test_complex_batches(rng):
    n = 400
    Z = rng.standard_normal((n, 3)) + 1j * rng.standard_normal((n, 3))
    X = np.hstack([Z, rng.standard_normal((n, 2)) + 1j * rng.standard_normal((n, 2))]) @ (
        rng.standard_normal((5, 5)) + 1j * rng.standard_normal((5, 5))
    )
    Y = np.hstack([Z + 0.3 * rng.standard_normal((n, 3)), rng.standard_normal((n, 2))])
    res = stream(X, Y, random_cuts(rng, n, 5)).cca()
    np.testing.assert_allclose(res.rho, svcca.cca(X, Y).rho, rtol=0, atol=TOL64)


def test_float32_batches_match_the_batch_computation(shared_latent_views, rng):
    X, Y = (a.astype(np.float32) for a in shared_latent_views)
    res = stream(X, Y, random_cuts(rng, len(X), 4)).cca()
    np.testing.assert_allclose(res.rho, svcca.cca(X, Y).rho, rtol=0, atol=TOL64)


@pytest.mark.parametrize("offset, spread, rank", [(100.0, 1e-3, 59), (1000.0, 1e-5, 58)])
def test_float32_offset_feature_streams_as_the_batch(rng, offset, spread, rank):
    # the input's rounding feature by feature, as the batch SVD path: a coarse offset feature
    # costs no other direction, one lost in its own rounding goes alone
    X, Y = offset_feature_layers(offset, spread)
    res = stream(X, Y, random_cuts(rng, len(X), 5)).cca()
    batch = svcca.cca(X, Y)
    assert res.x_rank == batch.x_rank == rank
    np.testing.assert_allclose(res.rho, batch.rho, rtol=0, atol=1e-9)


# --- merging, saving, memory ------------------------------------------------------------------


def test_merge_of_parts_equals_one_pass(offset_views, rng):
    X, Y = offset_views
    ranges = random_cuts(rng, len(X), 12)
    parts = [stream(X, Y, ranges[i : i + 3]) for i in range(0, 12, 3)]
    snapshot = parts[1].cca().rho.copy()
    left = parts[0].copy().merge(parts[1])
    right = parts[2].copy().merge(parts[3])
    merged = left.merge(right, PairAccumulator())  # an empty part is a no-op
    assert merged.n_samples == len(X)
    assert_same_cca(merged.cca(), stream(X, Y, ranges).cca(), wtol=1e-8)
    np.testing.assert_array_equal(parts[1].cca().rho, snapshot)  # the others are unchanged


def test_merge_into_empty(shared_latent_views):
    X, Y = shared_latent_views
    acc = PairAccumulator().merge(stream(X, Y, [(0, 300), (300, 600)]))
    assert_same_cca(acc.cca(), svcca.cca(X, Y))


def test_merge_rejects_other_widths_and_types(shared_latent_views):
    X, Y = shared_latent_views
    a = stream(X, Y, [(0, 100)])
    b = stream(X[:, :5], Y, [(0, 100)])
    with pytest.raises(ValueError, match="cannot merge accumulators of different widths"):
        a.merge(b)
    with pytest.raises(TypeError, match="can only merge PairAccumulator objects; got MultiLayerAccumulator"):
        a.merge(MultiLayerAccumulator())


def test_save_and_load_round_trip(tmp_path, shared_latent_views):
    X, Y = shared_latent_views
    acc = stream(X, Y, [(0, 250), (250, 600)])
    path = tmp_path / "stats.npz"
    acc.save(path)
    back = PairAccumulator.load(path)
    assert back.n_samples == 600
    assert_same_cca(back.cca(), acc.cca(), tol=0, wtol=0)
    assert not list(tmp_path.glob("*.tmp"))  # written atomically, nothing left behind
    with pytest.raises(ValueError, match="holds 'PairAccumulator' statistics, not MultiLayerAccumulator"):
        MultiLayerAccumulator.load(path)


def test_memory_does_not_grow_with_samples(rng):
    """Statistics are O(features^2): the same size after 10 rows and after 20,000."""

    def stored_bytes(acc):
        m = acc._m
        return m.mean.nbytes + sum(c.nbytes for c in m.C.values())

    small = stream(rng.standard_normal((10, 6)), rng.standard_normal((10, 4)), [(0, 10)])
    X, Y = rng.standard_normal((20_000, 6)), rng.standard_normal((20_000, 4))
    large = stream(X, Y, random_cuts(rng, 20_000, 40))
    assert stored_bytes(small) == stored_bytes(large) == 8 * (6 + 4 + 6 * 6 + 6 * 4 + 4 * 4)


# --- torch, loaders and the multi-layer accumulator -------------------------------------------


@pytest.mark.torch
def test_torch_batches_give_tensors_equal_to_numpy(shared_latent_views):
    torch = pytest.importorskip("torch")
    X, Y = shared_latent_views
    Xt = torch.as_tensor(X, dtype=torch.float32).requires_grad_()  # recorded activations may need grad
    Yt = torch.as_tensor(Y, dtype=torch.float32)
    acc = PairAccumulator()
    for a in range(0, 600, 128):
        acc.update(Xt[a : a + 128], Yt[a : a + 128].numpy() if a % 256 else Yt[a : a + 128])
    res = acc.cca()
    assert isinstance(res.rho, torch.Tensor) and res.rho.dtype == torch.float64
    assert res.rho.device == Xt.device
    ref = svcca.cca(Xt.detach().numpy(), Yt.numpy())
    np.testing.assert_allclose(res.rho.numpy(), ref.rho, rtol=0, atol=TOL64)
    assert_weights_close(res.x_weights.numpy(), ref.x_weights, 1e-9)
    for method in ("svcca", "pwcca"):
        got = getattr(acc, method)().similarity
        assert got == pytest.approx(
            getattr(svcca, method)(Xt.detach().numpy(), Yt.numpy()).similarity, abs=TOL64
        )
    assert isinstance(acc.pls().x_weights, torch.Tensor)


@pytest.mark.torch
def test_dataloader_of_pairs(shared_latent_views):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    X, Y = shared_latent_views
    loader = DataLoader(TensorDataset(torch.as_tensor(X), torch.as_tensor(Y)), batch_size=37)
    res = PairAccumulator().update_from(loader, progress=False).cca()
    assert_same_cca(res, svcca.cca(X, Y))


def test_update_from_rejects_non_pairs(shared_latent_views):
    X, _ = shared_latent_views
    with pytest.raises(
        TypeError, match=r"each batch must be an \(X, Y\) pair; batch 0 is a tuple of length 3"
    ):
        PairAccumulator().update_from([(X, X, X)])


@pytest.fixture
def three_layers(rng):
    x = rng.standard_normal((900, 6))
    return {
        "conv": x @ rng.standard_normal((6, 10)) + 5.0,
        "fc": np.tanh(x @ rng.standard_normal((6, 7))),
        "logits": np.hstack([x[:, :2], rng.standard_normal((900, 2))]),
    }


@pytest.mark.parametrize("method", ["cca", "svcca", "pwcca", "cka"])
def test_multilayer_grid_equals_in_memory_grid(three_layers, rng, method):
    acc = MultiLayerAccumulator()
    for a, b in random_cuts(rng, 900, 5):
        acc.update({k: v[a:b] for k, v in three_layers.items()})
    got = acc.similarity_matrix(measure=method)
    want = similarity_matrix(three_layers, measure=method)
    assert got.row_labels == ("conv", "fc", "logits")
    np.testing.assert_allclose(got.values, want.values, rtol=0, atol=TOL64)


def test_multilayer_cka_leaves_out_features_constant_up_to_rounding(rng):
    """A feature that varies only in the last bits of its offset (1e6 +- a few ulps) is
    constant to linear_cka and the in-memory grid, which leave it out or refuse a layer of
    only such features. Streaming CKA used to weigh that rounding as signal (0.0077 where
    memory refuses) and divided 0 by 0 for a dead layer (ZeroDivisionError)."""
    n = 300
    ulps = 1e6 + np.round(2 * rng.standard_normal((n, 1))) * 2.0**-33  # 1 ulp of 1e6 is 2**-33
    layers = {"a": rng.standard_normal((n, 3)), "m": np.hstack([rng.standard_normal((n, 2)), ulps])}
    acc = MultiLayerAccumulator()
    for a, b in random_cuts(rng, n, 6):
        acc.update({k: v[a:b] for k, v in {**layers, "u": ulps, "z": np.full((n, 2), 0.1)}.items()})
    got = acc.similarity_matrix(["a", "m"], measure="cka")
    np.testing.assert_allclose(
        got.values, similarity_matrix(layers, measure="cka").values, rtol=0, atol=TOL64
    )
    for dead in ("u", "z"):
        with pytest.raises(ValueError, match="no varying feature"):
            svcca.linear_cka(layers["a"], ulps if dead == "u" else np.full((n, 2), 0.1))
        with pytest.raises(ValueError, match=f"layer '{dead}' has no varying feature.*CKA is undefined"):
            acc.similarity_matrix(["a", dead], measure="cka")
    complex_acc = MultiLayerAccumulator().update({"a": layers["a"] + 1j, "b": layers["m"]})
    with pytest.raises(ValueError, match="CKA takes real activations"):
        complex_acc.similarity_matrix(measure="cka")


def test_multilayer_svcca_grid_warns_about_sample_size_as_in_memory(rng):
    """SVCCA of 30 samples keeps 18 + 18 directions per pair: 7 correlations are forced to 1.
    The in-memory grid says so once; the streamed grid used to say nothing."""
    layers = {
        "a": rng.standard_normal((30, 20)),
        "b": rng.standard_normal((30, 20)),
        "c": rng.standard_normal((30, 3)),
    }
    acc = MultiLayerAccumulator().update(layers)
    for rows, cols in [(None, None), (["b"], ["a", "c"])]:
        with pytest.warns(svcca.SampleSizeWarning, match="18 \\+ 18 features") as streamed:
            got = acc.similarity_matrix(rows, cols, measure="svcca")
        with pytest.warns(svcca.SampleSizeWarning) as in_memory:
            want = similarity_matrix(
                [layers[r] for r in got.row_labels],
                None if cols is None else [layers[c] for c in cols],
                measure="svcca",
            )
        assert [str(w.message) for w in streamed] == [str(w.message) for w in in_memory]
        np.testing.assert_allclose(got.values, want.values, rtol=0, atol=TOL64)
    acc.similarity_matrix(["c"], ["a", "c"], measure="svcca")  # 3 + 18 directions: no warning


def test_multilayer_pair_equals_pair_accumulator(three_layers, rng):
    ranges = random_cuts(rng, 900, 4)
    acc = MultiLayerAccumulator()
    for a, b in ranges:
        acc.update([three_layers[k][a:b] for k in ("conv", "fc", "logits")])  # a sequence: names 0, 1, 2
    ref = stream(three_layers["logits"], three_layers["conv"], ranges).cca()
    assert_same_cca(acc.pair(2, 0).cca(), ref)
    np.testing.assert_allclose(
        acc.covariance(0, 1), np.cov(three_layers["conv"].T, three_layers["fc"].T)[:10, 10:]
    )


@pytest.mark.torch
def test_multilayer_selected_pairs_and_conv_batches(rng):
    """Only the asked-for cross-products are kept; conv batches are flattened per sample."""
    torch = pytest.importorskip("torch")
    conv = rng.standard_normal((300, 2, 2, 3))
    layers = {
        "a": conv,
        "b": conv.reshape(300, 12)[:, :5] + 0.1 * rng.standard_normal((300, 5)),
        "c": rng.standard_normal((300, 4)),
    }
    acc = MultiLayerAccumulator(pairs=[("b", "a")])
    acc.update_from(
        [{k: torch.as_tensor(v[i : i + 100]) for k, v in layers.items()} for i in range(0, 300, 100)]
    )
    assert acc.names == ("b", "a")  # in order of appearance; "c" takes part in no pair
    assert set(acc._m.C) == {("a", "a"), ("b", "b"), ("b", "a")}
    ref = svcca.cca(conv.reshape(300, 12), layers["b"])
    np.testing.assert_allclose(acc.pair("a", "b").cca().rho.numpy(), ref.rho, rtol=0, atol=TOL64)
    with pytest.raises(KeyError, match="unknown layer 'c'"):
        acc.pair("a", "c")
    # a named layer in no pair keeps its own block, as the docstring says (it used to be dropped)
    named = MultiLayerAccumulator(["a", "b", "c"], pairs=[("b", "a")]).update(layers)
    assert named.names == ("a", "b", "c")
    assert set(named._m.C) == {("a", "a"), ("b", "b"), ("c", "c"), ("a", "b")}
    np.testing.assert_allclose(named.covariance("c"), np.cov(layers["c"], rowvar=False), atol=TOL64)
    with pytest.raises(KeyError, match="the cross-product of layers 'a' and 'c' was not accumulated"):
        named.covariance("a", "c")


def test_multilayer_bad_batches(three_layers):
    acc = MultiLayerAccumulator(["conv", "fc"])
    with pytest.raises(ValueError, match=r"batch 0 lacks layer\(s\) \['fc'\]"):
        acc.update({"conv": three_layers["conv"]})
    with pytest.raises(
        ValueError,
        match=r"got batch\['conv'\].shape=\(900, 10\), batch\['fc'\].shape=\(899, 7\)",
    ):
        acc.update({"conv": three_layers["conv"], "fc": three_layers["fc"][:-1]})
    with pytest.raises(ValueError, match="debiased CKA needs the samples"):
        acc.update({"conv": three_layers["conv"], "fc": three_layers["fc"]}).similarity_matrix(
            measure="cka", measure_options={"debiased": True}
        )
    with pytest.raises(ValueError, match="need 2592 bytes .* more than max_bytes=100"):
        MultiLayerAccumulator(max_bytes=100).update(three_layers)


# --- what statistics cannot give, and bad input -----------------------------------------------


def test_variates_and_scores_are_not_available(shared_latent_views):
    X, Y = shared_latent_views
    acc = stream(X, Y, [(0, 600)])
    with pytest.raises(AttributeError, match="X was not kept with this result"):
        _ = acc.cca().x_variates
    with pytest.raises(AttributeError, match=r"PLS scores \(x_scores\) need the samples"):
        _ = acc.pls().x_scores @ np.ones(3)
    with pytest.raises(AttributeError, match="need the samples"):
        _ = acc.pls().y_scores.shape


def test_bad_batches_raise_clear_errors(shared_latent_views):
    X, Y = shared_latent_views
    acc = PairAccumulator().update(X[:10], Y[:10])
    with pytest.raises(
        ValueError, match=r"same number of samples \(rows\); got X.shape=\(10, 10\), Y.shape=\(9, 8\)"
    ):
        acc.update(X[:10], Y[:9])
    with pytest.raises(
        ValueError, match=r"X has 9 features in batch 1 \(shape \(10, 9\)\) but 10 in the earlier ones"
    ):
        acc.update(X[:10, :9], Y[:10])
    bad = X[:10].copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or Inf"):
        acc.update(bad, Y[:10])
    with pytest.raises(ValueError, match=r"Y must be 2-D .* got Y.shape=\(10,\)"):
        acc.update(X[:10], Y[:10, 0])
    with pytest.raises(TypeError, match="X must be an array"):
        acc.update(None, Y[:10])
    assert acc.update(X[:0], Y[:0]).n_samples == 10  # an empty batch is a no-op


def test_finishing_needs_two_samples(shared_latent_views):
    X, Y = shared_latent_views
    for acc in (PairAccumulator(), PairAccumulator().update(X[:1], Y[:1])):
        with pytest.raises(ValueError, match=r"CCA needs at least 2 samples; this accumulator has seen \d"):
            acc.cca()


def test_constant_side_raises(rng):
    acc = PairAccumulator().update(np.full((50, 3), 2.0), rng.standard_normal((50, 2)))
    with pytest.raises(ValueError, match="X has no varying feature: all 3 features are constant over the 50"):
        acc.cca()


def test_sample_size_warning(rng):
    acc = PairAccumulator().update(rng.standard_normal((30, 20)), rng.standard_normal((30, 15)))
    with pytest.warns(svcca.SampleSizeWarning, match="exactly 1 whatever the data"):
        acc.cca()


# --- torch.distributed ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _distributed_data() -> tuple[np.ndarray, np.ndarray]:
    """The rows the two processes share out (seeded; offset by 1e6)."""
    rng = np.random.default_rng(7)
    latent = rng.standard_normal((900, 2))
    X = np.hstack([latent, rng.standard_normal((900, 4))]) @ rng.standard_normal((6, 6)) + 1e6
    Y = np.hstack([latent + 0.3 * rng.standard_normal((900, 2)), rng.standard_normal((900, 3))])
    return X, Y


# Each process is a fresh interpreter running this script (no pickled test functions, so
# nothing depends on how pytest imported this module): rank, world size, port, output folder.
_WORKER = """
import datetime, os, sys
import numpy as np
import torch
import torch.distributed as dist
from svcca.streaming import MultiLayerAccumulator, PairAccumulator

{data_source}

rank, world, port, out_dir = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(1)
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{{port}}", rank=rank, world_size=world,
                        timeout=datetime.timedelta(seconds=60))
try:
    X, Y = _distributed_data()
    pair, multi = PairAccumulator(), MultiLayerAccumulator()
    for a in range(0, 900, 100)[rank::world]:  # rank 0: 5 batches, rank 1: 4 batches
        pair.update(X[a : a + 100], Y[a : a + 100])
        multi.update({{"x": torch.as_tensor(X[a : a + 100]), "y": torch.as_tensor(Y[a : a + 100])}})
    pair.all_reduce()
    multi.all_reduce()
    res = pair.cca()
    np.savez(os.path.join(out_dir, f"rank{{rank}}.npz"), rho=res.rho, xw=res.x_weights, n=pair.n_samples,
             grid=multi.similarity_matrix().values, mean=pair.x_mean)
finally:
    dist.destroy_process_group()
"""


@pytest.mark.torch
@pytest.mark.slow
def test_all_reduce_over_two_processes_gives_the_single_process_answer(tmp_path):
    """Two gloo processes over loopback, each with part of the batches: after all_reduce
    both hold the single-process answer."""
    import inspect
    import subprocess
    import sys

    pytest.importorskip("torch")
    script = _WORKER.format(data_source=inspect.getsource(_distributed_data))
    # the port is free when picked and bound again by rank 0 a moment later: another test's
    # kernel or process group can take it between the two, so a taken port means a new one
    for _ in range(3):
        port = str(_free_port())
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(rank), "2", port, str(tmp_path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
            for rank in range(2)
        ]
        try:
            outputs = [procs[0].communicate(timeout=120)[0]]
            if procs[0].returncode and re.search("EADDRINUSE|address already in use", outputs[0], re.I):
                procs[1].kill()  # rank 1 may wait on whatever took the port
                procs[1].communicate()
                continue
            outputs.append(procs[1].communicate(timeout=120)[0])
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            pytest.fail("the two gloo processes did not finish within 120 s")
        break
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out
    X, Y = _distributed_data()
    ref = svcca.cca(X, Y)
    results = [np.load(tmp_path / f"rank{r}.npz") for r in range(2)]
    for r in results:
        assert int(r["n"]) == 900
        np.testing.assert_allclose(r["rho"], ref.rho, rtol=0, atol=TOL64)
        assert_weights_close(r["xw"], ref.x_weights, 1e-8)
        np.testing.assert_allclose(r["mean"], X.mean(0), rtol=1e-13)
        np.testing.assert_allclose(r["grid"], similarity_matrix({"x": X, "y": Y}).values, rtol=0, atol=TOL64)
    for key in ("rho", "xw", "grid", "mean"):  # every process holds the same answer
        np.testing.assert_array_equal(results[0][key], results[1][key])


@pytest.mark.torch
def test_all_reduce_needs_a_process_group(shared_latent_views):
    pytest.importorskip("torch")
    X, Y = shared_latent_views
    with pytest.raises(RuntimeError, match="initialised torch.distributed process group"):
        PairAccumulator().update(X, Y).all_reduce()


def test_covariance_matches_numpy(shared_latent_views, rng):
    X, Y = shared_latent_views
    acc = stream(X, Y, random_cuts(rng, 600, 3))
    np.testing.assert_allclose(acc.covariance("X", "Y"), np.cov(X.T, Y.T)[:10, 10:], rtol=1e-12, atol=1e-14)
    assert "n_samples=600" in repr(acc)
    assert scipy.linalg.issymmetric(np.asarray(acc.covariance("Y", "Y")))


@pytest.mark.torch
def test_activation_recording_streams_straight_into_the_accumulator():
    """``svcca.nn.activations.record(..., sink=MultiLayerAccumulator())``: no arrays are kept."""
    torch = pytest.importorskip("torch")
    activations = pytest.importorskip("svcca.nn.activations")
    torch.manual_seed(0)  # a model drawn at random: about 1 in 150 is ill-conditioned enough to miss TOL64
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    data = torch.randn(300, 6, generator=torch.Generator().manual_seed(0))
    acc = activations.record(model, data, ["0", "2"], batch_size=64, sink=MultiLayerAccumulator())
    assert acc.n_samples == 300 and acc.names == ("0", "2")
    arrays = activations.record(model, data, ["0", "2"], batch_size=64)
    for method in ("cca", "cka"):
        want = similarity_matrix(arrays, measure=method).values
        np.testing.assert_allclose(acc.similarity_matrix(measure=method).values, want, rtol=0, atol=TOL64)


@pytest.mark.parametrize("scale", [1e155, 1e-160, 1e300])
def test_extreme_scales_match_batch(scale):
    # 1e155: LinAlgError after seven RuntimeWarnings; 1e-160: off by 1e-5 (subnormal co-moments)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 4))
    Y = X @ rng.standard_normal((4, 3)) + rng.standard_normal((100, 3))
    ref = svcca.cca(X * scale, Y)
    acc = PairAccumulator().update(X[:50] * scale, Y[:50]).update(X[50:] * scale, Y[50:])
    res = acc.cca()
    np.testing.assert_allclose(res.rho, ref.rho, atol=TOL64)
    np.testing.assert_allclose(acc.x_mean, X.mean(0) * scale, rtol=1e-10)
    np.testing.assert_allclose(res.x_weights, ref.x_weights, rtol=1e-8)
    sv, sv_ref = acc.svcca(), svcca.svcca(X * scale, Y)
    np.testing.assert_allclose(sv.rho, sv_ref.rho, atol=TOL64)
    np.testing.assert_allclose(sv.x_singular_values, sv_ref.x_singular_values, rtol=1e-8)
    pls = acc.pls()
    np.testing.assert_allclose(pls.correlations, svcca.pls(X * scale, Y).correlations, atol=1e-8)


def test_extreme_scales_merge_save_and_change_between_batches(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((120, 3))
    Y = X @ rng.standard_normal((3, 3)) + rng.standard_normal((120, 3))
    X[60:] *= 1e200  # a later batch far larger: what is stored is rescaled
    ref = svcca.cca(X, Y)
    a = PairAccumulator().update(X[:60], Y[:60])
    b = PairAccumulator().update(X[60:], Y[60:])
    a.merge(b)
    one = PairAccumulator().update(X[:60], Y[:60]).update(X[60:], Y[60:])
    for acc in (a, one):
        np.testing.assert_allclose(acc.cca().rho, ref.rho, atol=1e-8)
    one.save(tmp_path / "s.npz")
    back = PairAccumulator.load(tmp_path / "s.npz")
    np.testing.assert_allclose(back.cca().rho, one.cca().rho, atol=TOL64)
    np.testing.assert_allclose(back.x_mean, one.x_mean, rtol=1e-12)


def test_save_goes_through_the_one_atomic_writer(tmp_path, shared_latent_views, monkeypatch):
    # issue 10: the streaming writer did not fsync, and its files were created 0600
    import stat

    X, Y = shared_latent_views
    acc = stream(X, Y, [(0, 600)])
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    old = os.umask(0o022)
    try:
        acc.save(tmp_path / "stats.npz")
    finally:
        os.umask(old)
    assert synced and stat.S_IMODE((tmp_path / "stats.npz").stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["stats.npz"]


def test_saving_onto_a_folder_says_it_is_a_folder(tmp_path, shared_latent_views):
    """The atomic writer's refusal names the target, not its own temp file, and leaves nothing."""
    import matplotlib.pyplot as plt

    from svcca.plotting import save_figure

    X, Y = shared_latent_views
    (tmp_path / "stats.npz").mkdir()
    (tmp_path / "fig.png").mkdir()
    with pytest.raises(IsADirectoryError, match=r"stats\.npz: it is a folder; pass the path of a file"):
        stream(X, Y, [(0, 600)]).save(tmp_path / "stats.npz")
    fig = plt.figure()
    with pytest.raises(IsADirectoryError, match=r"fig\.png: it is a folder"):
        save_figure(fig, tmp_path / "fig.png")
    plt.close(fig)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png", "stats.npz"]


@pytest.mark.parametrize("content", [b"garbage", None])
def test_loading_a_file_that_is_not_saved_statistics_says_so(tmp_path, content):
    path = tmp_path / "other.npz"
    if content is None:
        np.savez(path, x=np.zeros(3))  # an .npz, but not ours
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=r"other.npz is not statistics saved by svcca.streaming"):
        PairAccumulator.load(path)


@pytest.mark.parametrize("e", [60, 100])
def test_features_too_far_apart_for_one_scale_are_refused_not_lost(rng, e):
    # one layer's statistics share one power-of-two scale: up to about 1e144 between its
    # features the directions all survive; beyond, underflow would drop one silently
    X = rng.standard_normal((200, 6)) * 10.0 ** np.array([-e, 0, 0, 0, 0, e])
    Y = (X / 10.0 ** np.array([-e, 0, 0, 0, 0, e])) @ rng.standard_normal((6, 5)) + rng.standard_normal(
        (200, 5)
    )
    acc = PairAccumulator()
    if 2 * e * np.log2(10) < 480:
        res = acc.update(X[:90], Y[:90]).update(X[90:], Y[90:]).cca()
        ref = svcca.cca(X, Y)
        assert res.x_rank == ref.x_rank == 6
        np.testing.assert_allclose(res.rho, ref.rho, atol=1e-10)
    else:
        acc.update(X, Y)
        with pytest.raises(ValueError, match=r"layer 'X': feature 0 \(values up to .*\) is too small beside"):
            acc.cca()


def _tiny_zero_mean_layer(rng, n=200):
    """A layer whose feature 0 is +-1e-150 with a mean of exactly 0 (its co-moment underflows)."""
    X = rng.standard_normal((n, 4))
    X[:, 0] = np.where(np.arange(n) % 2 == 0, 1e-150, -1e-150)
    Y = np.column_stack([np.sign(X[:, 0]), X[:, 1]]) + 0.1 * rng.standard_normal((n, 2))
    return X, Y


def test_a_zero_mean_feature_too_small_for_the_shared_scale_is_refused_not_taken_for_dead(rng):
    # its mean is exactly 0 and its co-moment underflows to 0: it used to be dropped as dead,
    # losing the direction that svcca.cca (which scales each feature) finds with rho ~ 1
    X, Y = _tiny_zero_mean_layer(rng)
    assert svcca.cca(X, Y).rho[0] > 0.99
    match = r"layer 'X': feature 0 \(values up to 1e-150\) is too small beside the layer's largest"
    with pytest.raises(ValueError, match=match):
        PairAccumulator().update(X[:100], Y[:100]).update(X[100:], Y[100:]).cca()
    # the per-feature maxima survive a merge, a save and load, and taking a pair of layers
    a, b = PairAccumulator().update(X[:100], Y[:100]), PairAccumulator().update(X[100:], Y[100:])
    with pytest.raises(ValueError, match=match):
        a.merge(b).svcca()
    multi = MultiLayerAccumulator().update({"X": X, "Y": Y})
    with pytest.raises(ValueError, match=r"layer 'X': feature 0 \(values up to 1e-150\)"):
        multi.similarity_matrix(measure="cca")
    with pytest.raises(ValueError, match=match):
        multi.pair("X", "Y").cca()


def test_per_feature_maxima_are_saved_and_old_files_without_them_still_load(rng, tmp_path):
    X, Y = _tiny_zero_mean_layer(rng)
    acc = PairAccumulator().update(X, Y)
    acc.save(tmp_path / "new.npz")
    with pytest.raises(ValueError, match=r"values up to 1e-150"):
        PairAccumulator.load(tmp_path / "new.npz").cca()
    # statistics saved before the maxima were kept: checked on means and co-moments, as then
    state = acc._m.state()
    del state["arrays"]["amax"]
    old = PairAccumulator()
    old._m.load_state(state)
    assert old._m.amax is None
    Xo = X.copy()
    Xo[:, 0] = 1e-150  # a constant tiny feature: nonzero mean, so the fallback refuses it
    old_const = PairAccumulator()
    st = PairAccumulator().update(Xo, Y)._m.state()
    del st["arrays"]["amax"]
    old_const._m.load_state(st)
    with pytest.raises(ValueError, match=r"feature 0 \(values about 1e-150\)"):
        old_const.cca()
    # joining them with new statistics leaves the maxima unknown (never half-known)
    assert old.merge(PairAccumulator().update(X, Y))._m.amax is None
    assert PairAccumulator().merge(acc)._m.amax is not None


def test_a_feature_tiny_in_one_batch_only_keeps_its_co_moments(rng):
    # a softmax-like unit at 1e-150 in one batch and O(1) in the others is not refused
    X = rng.standard_normal((300, 4))
    X[:100, 0] *= 1e-150  # the layer's other features are O(1)
    Y = X[:, :2] + rng.standard_normal((300, 2))
    acc = PairAccumulator().update(X[:100], Y[:100]).update(X[100:], Y[100:])
    np.testing.assert_allclose(acc.cca().rho, svcca.cca(X, Y).rho, atol=1e-10)


def test_save_refuses_layer_names_json_cannot_give_back(tmp_path):
    # a tuple name was written (as a JSON list) and then could not be loaded
    from svcca.streaming import MultiLayerAccumulator

    rng = np.random.default_rng(0)
    acc = MultiLayerAccumulator()
    acc.update({("conv", 1): rng.standard_normal((20, 3)), ("fc", 2): rng.standard_normal((20, 2))})
    with pytest.raises(ValueError, match=r"must be str or int; got \('conv', 1\) \(tuple\)"):
        acc.save(tmp_path / "acc.npz")
    assert not (tmp_path / "acc.npz").exists()
    good = MultiLayerAccumulator().update(
        {"a": rng.standard_normal((20, 3)), 7: rng.standard_normal((20, 2))}
    )
    good.save(tmp_path / "ok.npz")
    assert MultiLayerAccumulator.load(tmp_path / "ok.npz").names == good.names


def test_a_rejected_first_batch_leaves_no_trace():
    # the layout (names, widths) of a rejected first batch stayed: the next, valid batch was
    # refused for "5 features in batch 0 but 40 in the earlier ones", or for lacking its layers
    from svcca.streaming import MultiLayerAccumulator, PairAccumulator

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((50, 40)), rng.standard_normal((50, 3))
    acc = PairAccumulator(max_bytes=10000)
    with pytest.raises(ValueError, match=r"need 14176 bytes .* more than max_bytes=10000"):
        acc.update(X, Y)
    acc.update(X[:, :5], Y)
    assert acc.cca().similarity == pytest.approx(svcca.cca(X[:, :5], Y).similarity, abs=1e-12)
    multi, bad = MultiLayerAccumulator(), X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        multi.update({"a": bad, "b": Y})
    assert multi.update({"c": X, "d": Y}).names == ("c", "d")


def test_bad_accumulator_arguments_are_refused_where_they_arrive():
    # an empty first batch failed with KeyError('pop from an empty set'); max_bytes="1GB"
    # failed only at the first batch, and max_bytes=-1 refused every layer; warn="no" warned
    from svcca.streaming import MultiLayerAccumulator, PairAccumulator

    for empty in ({}, []):
        with pytest.raises(ValueError, match=r"a batch must hold at least one layer .*; got an empty batch"):
            MultiLayerAccumulator().update(empty)
    for bad, error in (("1GB", TypeError), (1.5, TypeError), (-1, ValueError), (0, ValueError)):
        with pytest.raises(error, match=rf"max_bytes must be None or an int >= 1; got {bad!r}"):
            PairAccumulator(max_bytes=bad)
    X = np.random.default_rng(0).standard_normal((30, 3))
    acc = PairAccumulator().update(X, X)
    for call in (
        lambda: acc.cca(warn="no"),
        lambda: acc.svcca(warn="no"),
        lambda: acc.pwcca(warn="no"),
        lambda: acc.similarity_matrix(warn="no"),
        lambda: acc.similarity_matrix(progress="no"),
        lambda: PairAccumulator().update_from([(X, X)], progress="no"),
        lambda: svcca.cca(X, X, warn="no"),
        lambda: svcca.svcca(X, X, warn="no"),
        lambda: svcca.pwcca(X, X, warn="no"),
    ):
        with pytest.raises(TypeError, match=r"(warn|progress) must be True or False; got 'no'"):
            call()


def test_a_batch_of_zeros_leaves_a_tiny_layers_scale_alone():
    # an all-zero batch (a dead ReLU layer) read as "needs the ordinary scale": it shifted a
    # layer of 1e-160 into underflow, in either order and through merge ("too small beside the
    # layer's largest values", about values of the same size)
    from svcca.streaming import PairAccumulator

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 4))
    Y = X[:, :2] @ rng.standard_normal((2, 3)) + rng.standard_normal((200, 3))
    tiny, zeros, Yz = X * 1e-160, np.zeros((20, 4)), rng.standard_normal((20, 3))
    ref = svcca.cca(np.r_[zeros, tiny], np.r_[Yz, Y]).similarity
    got = [
        PairAccumulator().update(tiny, Y).update(zeros, Yz).cca().similarity,
        PairAccumulator().update(zeros, Yz).update(tiny, Y).cca().similarity,
        PairAccumulator().update(tiny, Y).merge(PairAccumulator().update(zeros, Yz)).cca().similarity,
        PairAccumulator().update(zeros, Yz).merge(PairAccumulator().update(tiny, Y)).cca().similarity,
    ]
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


# --- CKA of a pair, and the device ------------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 1e155, 1e-160])
def test_pair_cka_equals_linear_cka_and_the_grids_cell(offset_views, rng, scale):
    # PairAccumulator had no .cka(): streaming CKA was reachable only through similarity_matrix
    X, Y = offset_views
    X = X * scale
    acc = stream(X, Y, random_cuts(rng, len(X), 7))
    res, ref = acc.cka(), svcca.linear_cka(X, Y)  # the oracle: the in-memory computation
    assert isinstance(res, svcca.CKAResult)
    assert res.cka == pytest.approx(ref.cka, rel=0, abs=TOL64)
    for term in ("hsic_xy", "hsic_xx", "hsic_yy"):  # scaled as linear_cka's, in the data's units
        np.testing.assert_allclose(getattr(res, term), getattr(ref, term), rtol=1e-8, err_msg=term)
    assert (res.debiased, res.algorithm, res.n_samples, res.n_features_x, res.n_features_y) == (
        False, "features", 600, 10, 8,
    )  # fmt: skip
    assert res.cka == acc.similarity_matrix(measure="cka").values[0, 1]  # one computation
    multi = MultiLayerAccumulator().update({"a": X, "b": Y})
    assert multi.pair("a", "b").cka().cka == pytest.approx(ref.cka, abs=TOL64)


def test_pair_cka_refuses_what_statistics_cannot_give(rng):
    X, Y = rng.standard_normal((50, 3)), rng.standard_normal((50, 2))
    acc = PairAccumulator().update(X, Y)
    with pytest.raises(ValueError, match=r"debiased CKA needs the samples \(its diagonal terms\)"):
        acc.cka(debiased=True)
    with pytest.raises(TypeError, match="debiased must be True or False; got 'false'"):
        acc.cka(debiased="false")
    with pytest.raises(svcca.DegenerateLayerError, match="X has no varying feature: all 3 features"):
        PairAccumulator().update(np.zeros((50, 3)), Y).cka()
    with pytest.raises(ValueError, match="layer 'b' has no varying feature"):
        MultiLayerAccumulator().update({"a": X, "b": np.ones((50, 2))}).pair("a", "b").cka()
    with pytest.raises(ValueError, match="CKA takes real activations"):
        PairAccumulator().update(X + 1j * X, Y).cka()
    with pytest.raises(ValueError, match="CKA needs at least 2 samples; this accumulator has seen 1"):
        PairAccumulator().update(X[:1], Y[:1]).cka()


@pytest.mark.torch
def test_a_missing_or_misspelt_device_is_refused_when_the_accumulator_is_made(tmp_path, rng):
    # device="cuda" on a machine without one failed at the first update with torch's "Found no
    # NVIDIA driver", and "cdua" with torch's long list of device types
    pytest.importorskip("torch")
    X = rng.standard_normal((20, 3))
    missing = r"device='cuda:99' asks for a CUDA GPU, but this machine has \d+ usable"
    misspelt = r"device must be a torch device such as 'cpu', 'cuda' or 'cuda:1' \(or 'auto'\); got 'cdua'"
    for make in (PairAccumulator, MultiLayerAccumulator):
        with pytest.raises(ValueError, match=missing):
            make(device="cuda:99")
        with pytest.raises(ValueError, match=misspelt):
            make(device="cdua")
    path = tmp_path / "acc.npz"
    PairAccumulator().update(X, X).save(path)
    with pytest.raises(ValueError, match=missing):
        PairAccumulator.load(path, device="cuda:99")
    for device in ("cpu", "auto"):  # "auto": a GPU when one is usable, as for svcca.nn.record
        res = PairAccumulator(device=device).update(X, X[:, ::-1]).cca()
        assert res.similarity == pytest.approx(1.0, abs=TOL64)
        assert PairAccumulator.load(path, device=device).n_samples == 20


def _rounding_constant(rng, n, scale=1e-10):
    """A dead neuron at 1e6 whose value wobbles by about an ulp (not exactly constant)."""
    return 1e6 + scale * rng.standard_normal(n)


def test_streamed_pls_drops_rounding_constant_features_as_batch_pls_does():
    # they made an extra PLS pair out of noise: 0.765 streamed against 0.994 in memory
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 3))
    Y = X @ rng.standard_normal((3, 4)) + 0.1 * rng.standard_normal((500, 4))
    dead = _rounding_constant(rng, 500)
    X2 = np.column_stack([X, dead, 2 * dead])
    batch = svcca.pls(X2, Y)
    streamed = PairAccumulator().update(X2[:150], Y[:150]).update(X2[150:], Y[150:]).pls()
    np.testing.assert_allclose(streamed.correlations, batch.correlations, atol=1e-12)
    assert streamed.similarity == pytest.approx(batch.similarity, abs=1e-12)
    np.testing.assert_allclose(np.abs(streamed.x_weights), np.abs(batch.x_weights), atol=1e-10)


@pytest.mark.parametrize("side", ["X", "Y"])
def test_streamed_pls_and_svcca_refuse_a_dead_layer_as_in_memory(side):
    # streamed PLS returned similarity 0.0; streamed SVCCA counted "1 feature"
    rng = np.random.default_rng(1)
    live = rng.standard_normal((20, 3))
    dead = np.ones((20, 3)) * 0.1
    X, Y = (dead, live) if side == "X" else (live, dead)
    for measure in ("pls", "svcca"):
        with pytest.raises(
            svcca.DegenerateLayerError, match=rf"{side} has no varying feature: all 3 features"
        ):
            getattr(PairAccumulator().update(X, Y), measure)()
    rounding = np.column_stack([_rounding_constant(rng, 20, 1.2e-10 * k) for k in (1, 2)])
    X, Y = (rounding, live) if side == "X" else (live, rounding)
    with pytest.raises(svcca.DegenerateLayerError, match="no varying feature"):
        PairAccumulator().update(X, Y).pls()
