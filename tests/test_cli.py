"""The ``svcca`` command line: ``svcca compare`` on .npy/.npz/.pt files, and its errors."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import svcca
from conftest import TOL64, PickleTrap
from svcca import stats
from svcca._cka import linear_cka
from svcca.cli import SUBCOMMANDS, build_parser, load_activations, main


def shared_latent_views(n: int = 300, p: int = 8, q: int = 10, k: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, k))
    X = np.hstack([latent + 0.5 * rng.standard_normal((n, k)), rng.standard_normal((n, p - k))])
    Y = np.hstack([latent + 0.5 * rng.standard_normal((n, k)), rng.standard_normal((n, q - k))])
    return X, Y


@pytest.fixture
def views():
    return shared_latent_views()


@pytest.fixture
def npz_pair(tmp_path, views):
    """One .npz file holding both layers under the keys model_0 and model_1."""
    X, Y = views
    path = tmp_path / "acts.npz"
    np.savez(path, model_0=X, model_1=Y)
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- success paths ----------------------------------------------------------------------


def test_compare_npy_files_prints_the_similarity_and_summaries(tmp_path, capsys, views):
    X, Y = views
    np.save(tmp_path / "a.npy", X)
    np.save(tmp_path / "b.npy", Y)
    code, out, err = run(capsys, "compare", tmp_path / "a.npy", tmp_path / "b.npy", "--measure", "pwcca")
    assert code == 0 and err == ""
    assert f"similarity              {svcca.pwcca(X, Y).similarity:.6f}" in out
    assert "yanai_r2" in out and "pillai" in out and "sample size: adequate" in out
    assert "(300 samples x 8 features)" in out


def test_compare_takes_the_first_command_lines_method_flag(tmp_path, capsys, views):
    """``--method pwcca``, the flag's first name, still runs scripts written for it (unlisted)."""
    X, Y = views
    np.save(tmp_path / "a.npy", X)
    np.save(tmp_path / "b.npy", Y)
    argv = ("compare", tmp_path / "a.npy", tmp_path / "b.npy", "--json")
    for flag in ("--method", "--measure"):
        code, out, _ = run(capsys, *argv, flag, "svcca")
        assert code == 0 and json.loads(out)["measure"] == "svcca"
    code, out, _ = run(capsys, *argv)
    assert code == 0 and json.loads(out)["measure"] == "pwcca"  # the default stays
    code, shown, _ = run(capsys, "compare", "--help")
    assert "--measure" in shown and "--method" not in shown.replace("--ci-method", "")


@pytest.mark.parametrize("method", svcca.MEASURES)
def test_compare_json_matches_the_library_for_every_method(capsys, npz_pair, views, method):
    X, Y = views
    code, out, _ = run(
        capsys,
        "compare",
        npz_pair,
        npz_pair,
        "--key-a",
        "model_0",
        "--key-b",
        "model_1",
        "--measure",
        method,
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    want = svcca.Measure(method)(X, Y).similarity
    assert data["similarity"] == pytest.approx(want, abs=TOL64)
    assert data["a"] == {"path": str(npz_pair), "key": "model_0", "shape": [300, 8]}
    assert data["b"]["key"] == "model_1" and data["measure"] == method
    assert data["options"] == svcca.Measure(method).options
    assert data["warnings"] == []


def test_compare_null_and_interval_match_the_stats_functions(capsys, npz_pair, views):
    X, Y = views
    argv = ["compare", npz_pair, npz_pair, "--key-a", "model_0", "--key-b", "model_1", "--measure", "cka"]
    code, out, _ = run(capsys, *argv, "--null", "99", "--ci", "50", "--seed", "4", "--json")
    assert code == 0
    data = json.loads(out)
    perm = stats.permutation_test(X, Y, "cka", n_resamples=99, rng=4)
    ci = stats.bootstrap_ci(X, Y, "cka", n_resamples=50, rng=4)
    assert data["permutation_null"]["p_value"] == pytest.approx(perm.p_value)
    assert data["permutation_null"]["mean"] == pytest.approx(perm.null_mean, abs=TOL64)
    assert data["bootstrap"]["low"] == pytest.approx(ci.low, abs=TOL64)
    assert data["bootstrap"]["high"] == pytest.approx(ci.high, abs=TOL64)
    code, out, _ = run(capsys, *argv, "--null", "99", "--ci", "50", "--seed", "4")
    assert "permutation null (99 shuffles, seed 4)" in out and "p = 0.01" in out
    assert "bootstrap 95% interval (50 resamples, basic, seed 4): [" in out


def test_compare_neurons_first_layout_is_transposed(tmp_path, capsys, views):
    X, Y = views
    np.save(tmp_path / "a.npy", X.T)
    np.save(tmp_path / "b.npy", Y.T)
    code, out, _ = run(
        capsys,
        "compare",
        tmp_path / "a.npy",
        tmp_path / "b.npy",
        "--layout",
        "neurons-first",
        "--measure",
        "cca",
    )
    assert code == 0
    assert f"{svcca.cca(X, Y).similarity:.6f}" in out


def test_compare_pt_files_tensor_and_dict(tmp_path, capsys, views):
    torch = pytest.importorskip("torch")
    X, Y = views
    torch.save(torch.from_numpy(X), tmp_path / "a.pt")
    torch.save({"layer1": torch.from_numpy(Y), "step": 3}, tmp_path / "b.pt")
    code, out, _ = run(
        capsys, "compare", tmp_path / "a.pt", tmp_path / "b.pt", "--key-b", "layer1", "--measure", "cka"
    )
    assert code == 0
    assert f"{linear_cka(X, Y).similarity:.6f}" in out
    assert f"B: {tmp_path / 'b.pt'}[layer1]" in out


def test_compare_svcca_keep_and_conv_flatten(tmp_path, capsys):
    rng = np.random.default_rng(0)
    conv = rng.standard_normal((200, 2, 2, 3))
    np.save(tmp_path / "conv.npy", conv)
    np.save(tmp_path / "fc.npy", conv.reshape(200, -1) @ rng.standard_normal((12, 12)))
    code, out, _ = run(
        capsys, "compare", tmp_path / "conv.npy", tmp_path / "fc.npy", "--flatten", "--measure", "svcca",
        "--n-components", "12", "--null", "20",
    )  # fmt: skip
    assert code == 0
    assert "similarity              1.000000" in out


def test_sample_size_warning_is_printed_not_raised(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "a.npy", rng.standard_normal((20, 12)))
    np.save(tmp_path / "b.npy", rng.standard_normal((20, 12)))
    code, out, err = run(capsys, "compare", tmp_path / "a.npy", tmp_path / "b.npy", "--measure", "cca")
    assert code == 0
    assert "svcca compare: warning: CCA with n_samples=20" in err
    assert "sample size: degenerate: with n=20 samples and 12 + 12 features, 5 canonical" in out


# --- errors: non-zero exit, one line on stderr, no traceback ----------------------------


def _error(capsys, *argv) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 1, (out, err)
    assert out == "" and "Traceback" not in err
    assert err.startswith("svcca compare: error: ")
    return err


def test_missing_file(tmp_path, capsys):
    err = _error(capsys, "compare", tmp_path / "nope.npy", tmp_path / "nope2.npy")
    assert f"file not found: {tmp_path / 'nope.npy'}" in err


def test_npz_with_several_arrays_needs_a_key_and_lists_them(capsys, npz_pair):
    err = _error(capsys, "compare", npz_pair, npz_pair)
    assert "holds several arrays; choose one with --key" in err
    assert "Available keys: model_0, model_1" in err


def test_wrong_key_lists_the_available_keys(capsys, npz_pair):
    err = _error(capsys, "compare", npz_pair, npz_pair, "--key", "model_2")
    assert f"no array 'model_2' in {npz_pair}; available keys: model_0, model_1" in err


def test_key_on_a_single_array_file(tmp_path, capsys, views):
    np.save(tmp_path / "a.npy", views[0])
    err = _error(capsys, "compare", tmp_path / "a.npy", tmp_path / "a.npy", "--key", "x")
    assert "holds a single array; --key 'x' does not apply" in err


def test_mismatched_sample_counts(tmp_path, capsys, views):
    X, Y = views
    np.save(tmp_path / "a.npy", X)
    np.save(tmp_path / "b.npy", Y[:-1])
    err = _error(capsys, "compare", tmp_path / "a.npy", tmp_path / "b.npy")
    assert "A and B must have the same number of samples" in err
    assert "shape (300, 8)" in err and "shape (299, 10)" in err and "--layout neurons-first" in err


def test_one_dimensional_array(tmp_path, capsys, views):
    np.save(tmp_path / "a.npy", views[0][:, 0])
    err = _error(capsys, "compare", tmp_path / "a.npy", tmp_path / "a.npy")
    assert "has shape (300,): expected a 2-D array (n_samples, n_features)" in err


def test_conv_array_needs_flatten(tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.zeros((10, 2, 2, 3)))
    err = _error(capsys, "compare", tmp_path / "a.npy", tmp_path / "a.npy")
    assert "has shape (10, 2, 2, 3): expected 2-D (n_samples, n_features); pass --flatten" in err


def test_pickled_npy_is_refused_without_unpickling(tmp_path, capsys):
    marker = tmp_path / "unpickled"
    # a pickle whose loading would create a file: it must never run
    payload = pickle.dumps(PickleTrap(str(marker)))
    (tmp_path / "evil.npy").write_bytes(payload)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    for name in ("evil.npy", "obj.npy"):
        err = _error(capsys, "compare", tmp_path / name, tmp_path / name)
        assert "holds pickled Python objects" in err and "never unpickles" in err
    assert not marker.exists()


def test_malformed_files(tmp_path, capsys, views):
    np.save(tmp_path / "good.npy", views[0])
    (tmp_path / "trunc.npy").write_bytes((tmp_path / "good.npy").read_bytes()[:-100])
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "bad.pt").write_bytes(b"not a torch file")
    err = _error(capsys, "compare", tmp_path / "trunc.npy", tmp_path / "good.npy")
    assert f"could not read {tmp_path / 'trunc.npy'}" in err
    err = _error(capsys, "compare", tmp_path / "bad.npz", tmp_path / "good.npy")
    assert f"could not read {tmp_path / 'bad.npz'}" in err
    pytest.importorskip("torch")
    err = _error(capsys, "compare", tmp_path / "bad.pt", tmp_path / "good.npy")
    assert "as a torch file of tensors (torch.load with weights_only=True)" in err


def test_pt_keys_that_read_alike_are_refused_not_merged(tmp_path, capsys, views):
    # {1: X, "1": Y} once became {"1": Y}: --key 1 then read Y without a word
    torch = pytest.importorskip("torch")
    X, Y = views
    torch.save({1: torch.from_numpy(X), "1": torch.from_numpy(Y)}, tmp_path / "alike.pt")
    err = _error(capsys, "compare", tmp_path / "alike.pt", tmp_path / "alike.pt", "--key", "1")
    assert "keys that read alike ('1' as text: 1, '1')" in err


def test_a_pt_file_whose_tensors_are_nested_says_so_and_lists_its_keys(tmp_path, capsys, views):
    # {"acts": {"nested": tensor}} was "holds no arrays", as if the file were empty
    torch = pytest.importorskip("torch")
    X, _ = views
    np.save(tmp_path / "a.npy", X)
    torch.save({"acts": {"nested": torch.from_numpy(X)}, "step": 3}, tmp_path / "nested.pt")
    err = _error(capsys, "compare", tmp_path / "a.npy", tmp_path / "nested.pt")
    assert (
        f"{tmp_path / 'nested.pt'} holds no tensors at the top level of its dict (nested dicts are not "
        f"searched); its keys: 'acts' (dict), 'step' (int)."
    ) in err
    torch.save({}, tmp_path / "empty.pt")
    err = _error(capsys, "compare", tmp_path / "a.npy", tmp_path / "empty.pt")
    assert "empty.pt holds no tensors at the top level (an empty dict)" in err
    # a key that names a nested dict beside tensors: what it holds, and the tensors' keys
    torch.save({"acts": {"nested": torch.from_numpy(X)}, "b": torch.from_numpy(X)}, tmp_path / "mixed.pt")
    err = _error(capsys, "compare", tmp_path / "a.npy", tmp_path / "mixed.pt", "--key-b", "acts")
    assert "mixed.pt[acts] is of type dict, not a tensor (nested containers are not searched)" in err
    assert err.rstrip().endswith("choose one of its tensors' keys: b")


def test_a_file_with_nan_values_is_named(tmp_path, capsys, views):
    # the measure's check named only "X" and the shapes, not which file held the NaN
    X, Y = views
    X = X.copy()
    X[3, 1] = np.nan
    np.save(tmp_path / "a.npy", X)
    np.savez(tmp_path / "b.npz", acts=Y)
    err = _error(capsys, "compare", tmp_path / "b.npz", tmp_path / "a.npy")
    assert err == (
        f"svcca compare: error: {tmp_path / 'a.npy'} contains 1 NaN or infinite value(s) of 2400 "
        f"(shape (300, 8)); clean or impute them first\n"
    )
    Y = Y.astype(np.float32)
    Y[0, 0] = np.inf
    np.savez(tmp_path / "b.npz", acts=Y)
    err = _error(capsys, "compare", tmp_path / "b.npz", tmp_path / "a.npy")
    assert f"{tmp_path / 'b.npz'}[acts] contains 1 NaN or infinite value(s) of 3000" in err


def test_an_unresolvable_bca_interval_is_one_line_in_the_flags_words(tmp_path, capsys):
    # BCa collapsed onto the smallest resample ([0.1245, 0.1245] around an observed 0.093)
    rng = np.random.default_rng(0)
    np.save(tmp_path / "a.npy", rng.standard_normal((200, 128)))
    np.save(tmp_path / "b.npy", rng.standard_normal((200, 5)))
    argv = ("compare", tmp_path / "a.npy", tmp_path / "b.npy", "--measure", "cka", "--ci-method", "bca")
    err = _error(capsys, *argv, "--ci", "1000")
    assert err.startswith(
        "svcca compare: error: --ci-method bca cannot place this interval: none of the 1000 resamples "
        "lies below the observed similarity 0.09303"
    )
    assert err.endswith("; use --ci-method basic or percentile\n") and "method='" not in err
    # where more resamples would resolve the levels, the flag says how many
    x = rng.standard_normal((200, 1))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", 0.6 * x + 0.8 * rng.standard_normal((200, 1)))
    argv = ("compare", tmp_path / "x.npy", tmp_path / "y.npy", "--measure", "cca", "--ci-method", "bca")
    err = _error(capsys, *argv, "--ci", "20")
    assert "beyond what 20 resamples resolve" in err
    assert re.search(r"; use --ci-method basic or percentile, or --ci \d+ or more\n$", err)


def test_the_bootstrap_states_its_bias_and_why_the_interval_excludes_the_similarity(tmp_path, capsys):
    # the basic interval lay below the similarity, and nothing said why
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 20))
    np.save(tmp_path / "a.npy", X)
    np.save(tmp_path / "b.npy", np.tanh(X @ rng.standard_normal((20, 15))))
    argv = ("compare", tmp_path / "a.npy", tmp_path / "b.npy", "--ci", "200")
    ci = stats.bootstrap_ci(X, np.load(tmp_path / "b.npy"), "pwcca", n_resamples=200, rng=0)
    assert ci.high < ci.observed  # the case
    code, out, _ = run(capsys, *argv)
    assert code == 0
    lines = out.splitlines()
    (line,) = [i for i, text in enumerate(lines) if text.startswith("bootstrap 95% interval")]
    assert lines[line].endswith(
        f"[{ci.low:.6f}, {ci.high:.6f}], bootstrap bias {ci.bias:+.3g} (mean of the resamples minus the "
        f"similarity)"
    )
    assert lines[line + 1] == (
        "  note: the interval lies below the observed value: resampling inflates this measure, and the "
        "basic interval corrects for that bias"
    )
    code, out, _ = run(capsys, *argv, "--json")
    data = json.loads(out)["bootstrap"]
    assert data["bias"] == pytest.approx(ci.bias, abs=TOL64)
    assert data["note"].startswith("the interval lies below the observed value")
    # an interval that holds the similarity has no note
    code, out, _ = run(capsys, *argv, "--ci-method", "percentile", "--confidence", "0.999999")
    assert "bootstrap bias" in out and "note:" not in out


def test_pt_file_with_a_pickled_object_is_refused(tmp_path, capsys, views):
    torch = pytest.importorskip("torch")
    marker = tmp_path / "unpickled"
    torch.save({"acts": torch.zeros(3, 2), "evil": PickleTrap(str(marker))}, tmp_path / "evil.pt")
    torch.save([torch.zeros(3, 2)], tmp_path / "list.pt")
    err = _error(capsys, "compare", tmp_path / "evil.pt", tmp_path / "evil.pt")
    assert "weights_only=True" in err
    assert not marker.exists()
    err = _error(capsys, "compare", tmp_path / "list.pt", tmp_path / "list.pt")
    assert "holds a list; expected a tensor or a dict of tensors" in err


def test_unsupported_suffix_and_non_numeric_arrays(tmp_path, capsys):
    (tmp_path / "a.csv").write_text("1,2\n")
    err = _error(capsys, "compare", tmp_path / "a.csv", tmp_path / "a.csv")
    assert "unsupported file type '.csv'; expected one of .npy, .npz, .pt, .pth" in err
    np.save(tmp_path / "s.npy", np.array([["a", "b"], ["c", "d"]]))
    err = _error(capsys, "compare", tmp_path / "s.npy", tmp_path / "s.npy")
    assert "holds <U1 values; expected numbers" in err


def test_library_errors_are_reported_cleanly(tmp_path, capsys, views):
    np.save(tmp_path / "a.npy", views[0])
    np.save(tmp_path / "dead.npy", np.ones((300, 4)))
    err = _error(capsys, "compare", tmp_path / "a.npy", tmp_path / "dead.npy", "--measure", "cka")
    assert "Y has no varying feature" in err
    err = _error(
        capsys, "compare", tmp_path / "a.npy", tmp_path / "a.npy", "--measure", "cca", "--keep", "0.9"
    )
    assert "--keep applies to --measure svcca only" in err


def test_keep_is_a_fraction_and_n_components_a_count(tmp_path, capsys, views):
    np.save(tmp_path / "a.npy", views[0])
    np.save(tmp_path / "b.npy", views[1])
    a, b = str(tmp_path / "a.npy"), str(tmp_path / "b.npy")
    assert main(["compare", a, b, "--measure", "svcca", "--keep", "1.0"]) == 0
    assert "similarity" in capsys.readouterr().out
    assert main(["compare", a, b, "--measure", "svcca", "--keep", "1"]) == 2  # one direction or all?
    assert "for a number of directions use --n-components 1" in capsys.readouterr().err
    assert main(["compare", a, b, "--measure", "svcca", "--keep", "1.5"]) == 2
    assert "expected a variance fraction in (0, 1]" in capsys.readouterr().err
    assert main(["compare", a, b, "--measure", "svcca", "--n-components", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summaries"]["n_components"] == 2
    # usage errors (exit 2, before any file is read), as argparse gives for every other flag
    assert main(["compare", a, b, "--measure", "svcca", "--keep", "0.9", "--n-components", "2"]) == 2
    assert "argument --n-components: not allowed with argument --keep" in capsys.readouterr().err
    assert main(["compare", "no_such_a.npy", "no_such_b.npy", "--confidence", "1.5"]) == 2
    assert "argument --confidence: expected a coverage in (0, 1) such as 0.95; got '1.5'" in (
        capsys.readouterr().err
    )


def test_ci_on_a_sparse_layer_reports_degenerate_resamples(tmp_path, capsys):
    S = np.zeros((30, 3))
    S[0, 0], S[1, 1], S[2, 2] = 1.0, 2.0, 1.0
    np.save(tmp_path / "s.npy", S)
    np.save(tmp_path / "y.npy", np.random.default_rng(0).standard_normal((30, 2)))
    assert main(["compare", str(tmp_path / "s.npy"), str(tmp_path / "y.npy"), "--ci", "200", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bootstrap"]["n_degenerate"] > 0


def test_usage_errors_exit_2(capsys, npz_pair):
    assert main(["compare", str(npz_pair)]) == 2
    assert main(["compare", str(npz_pair), str(npz_pair), "--measure", "cosine"]) == 2
    assert main(["compare", str(npz_pair), str(npz_pair), "--null", "0"]) == 2
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'cosine'" in err and "expected a positive integer; got 0" in err
    assert "choose a command" in err


def test_help_and_version_exit_0(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"svcca {svcca.__version__}"
    assert main(["compare", "--help"]) == 0
    assert "--layout {samples-first,neurons-first}" in capsys.readouterr().out


def test_subcommands_come_from_the_registration_table():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert list(sub.choices) == ["compare", "figures", "claims"]
    assert len(SUBCOMMANDS) == 3


# --- python -m svcca --------------------------------------------------------------------


def test_python_dash_m_svcca_compare(npz_pair, views):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "svcca", "compare", str(npz_pair), str(npz_pair), "--key-a", "model_0",
         "--key-b", "model_1", "--measure", "cka", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["similarity"] == pytest.approx(linear_cka(*views).similarity, abs=TOL64)
    bad = subprocess.run(
        [sys.executable, "-m", "svcca", "compare", str(npz_pair), str(npz_pair)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 1 and "Available keys: model_0, model_1" in bad.stderr
    assert "Traceback" not in bad.stderr


# --- issue 10: one line instead of a traceback, bounded counts, safe reading ---------------


def _forged_npy(shape, header_pad: int = 0) -> bytes:
    """A .npy header declaring ``shape`` of float64, followed by 16 bytes of data."""
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape!r}, }}".ljust(header_pad) + "\n"
    if len(header) > 65535:
        raise ValueError("header too long for format 1.0")
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + bytes(16)


def test_a_tiny_npy_declaring_a_huge_array_is_refused_before_allocating(tmp_path, capsys):
    (tmp_path / "huge.npy").write_bytes(_forged_npy((10**6, 10**6)))
    err = _error(capsys, "compare", tmp_path / "huge.npy", tmp_path / "huge.npy")
    assert "declares an array of shape (1000000, 1000000)" in err and "holds only 16 bytes" in err
    assert err.count("\n") == 1


def test_an_npz_member_declaring_a_huge_array_is_refused(tmp_path, capsys):
    import zipfile

    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as zf:
        zf.writestr("acts.npy", _forged_npy((10**6, 10**6)))
    err = _error(capsys, "compare", tmp_path / "huge.npz", tmp_path / "huge.npz")
    assert f"{tmp_path / 'huge.npz'}[acts]" in err and "declares an array of shape (1000000, 1000000)" in err


def test_an_npy_header_beyond_numpys_limit_is_named_as_such_not_as_a_pickle(tmp_path, capsys):
    (tmp_path / "long.npy").write_bytes(_forged_npy((2, 2), header_pad=20_000))
    err = _error(capsys, "compare", tmp_path / "long.npy", tmp_path / "long.npy")
    assert "more than numpy's safety limit" in err and "pickled" not in err and "allow_pickle" not in err


@pytest.mark.parametrize("option", ["--null", "--ci"])
def test_resample_counts_are_bounded_and_the_bound_is_documented(capsys, npz_pair, option):
    argv = ["compare", str(npz_pair), str(npz_pair), "--key", "model_0", option]
    assert main([*argv, "100000000000"]) == 2
    err = capsys.readouterr().err
    assert f"argument {option}: expected at most 100000; got 100000000000" in err and "Traceback" not in err
    assert main([*argv, "1000000000"]) == 2
    assert main(["compare", "--help"]) == 0
    assert f"{option} N" in (out := capsys.readouterr().out) and "(1 to 100000)" in out


def test_a_negative_seed_names_the_option(capsys, npz_pair):
    assert main(["compare", str(npz_pair), str(npz_pair), "--key", "model_0", "--seed", "-5"]) == 2
    assert "argument --seed: expected a non-negative integer; got -5" in capsys.readouterr().err


def test_figures_out_naming_an_existing_file_is_one_line(tmp_path, capsys):
    (tmp_path / "taken").write_text("a file")
    code, out, err = run(capsys, "figures", "all", "--out", tmp_path / "taken")
    assert code == 1 and out == "" and "Traceback" not in err
    expected = f"--out {tmp_path / 'taken'} exists and is not a folder; name a folder"
    assert err == f"svcca figures: error: {expected} (it is created if missing)\n"


def test_a_full_disk_is_one_line(tmp_path, capsys, monkeypatch):
    import errno

    from svcca import figures

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "figs" / "a.pdf"))

    monkeypatch.setattr(figures, "save_figures", full)
    code, out, err = run(capsys, "figures", "all", "--out", tmp_path / "figs")
    assert (
        code == 1
        and err
        == f"svcca figures: error: No space left on device: '{tmp_path / 'figs' / 'a.pdf'}'; "
        "the disk is full; free some space or choose another folder\n"
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_writing_the_output_to_a_full_device_is_one_line():
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "svcca", "figures", "--list"], stdout=full,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "svcca figures: error: No space left on device; "
        "the disk is full; free some space or choose another folder"
    )


def test_ctrl_c_is_exit_130_and_one_line(capsys, npz_pair, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    import dataclasses

    import svcca._measures as measures

    cca = dataclasses.replace(measures._REGISTRY["cca"], function=interrupted)
    monkeypatch.setitem(measures._REGISTRY, "cca", cca)
    code, out, err = run(capsys, "compare", npz_pair, npz_pair, "--key", "model_0", "--measure", "cca")
    assert code == 130 and err == "svcca compare: interrupted\n"


def test_a_closed_pipe_is_quiet():
    # `svcca figures --list | head -1`: the reader is gone before svcca writes
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "svcca", "figures", "--list"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)  # fmt: skip
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert err.decode() == "" and proc.returncode == 141


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_at_once_not_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.npy")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "svcca", "compare", str(tmp_path / "pipe.npy"),
                           str(tmp_path / "pipe.npy")], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 1
    assert f"{tmp_path / 'pipe.npy'} is a FIFO (named pipe); expected a regular file" in proc.stderr


def test_bfloat16_pt_files_are_read_as_float32(tmp_path, capsys, views):
    torch = pytest.importorskip("torch")
    X, Y = views
    torch.save(torch.as_tensor(X).to(torch.bfloat16), tmp_path / "a.pt")
    torch.save({"acts": torch.as_tensor(Y).to(torch.bfloat16)}, tmp_path / "b.pt")
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    code, out, err = run(capsys, "compare", a, b, "--measure", "cka", "--json")
    assert code == 0, err
    Xb = torch.as_tensor(X).to(torch.bfloat16).float().numpy()
    Yb = torch.as_tensor(Y).to(torch.bfloat16).float().numpy()
    assert json.loads(out)["similarity"] == pytest.approx(linear_cka(Xb, Yb).similarity, abs=1e-6)


@pytest.mark.parametrize("measure", ["cca", "pwcca", "svcca", "cka"])
def test_bfloat16_pt_files_give_the_python_apis_number(tmp_path, capsys, rng, measure):
    """The measures weigh each input's own rounding: features of a bfloat16 layer at 30 +- 0.3
    (steps of 0.125) are mostly rounding, which svcca.cca(bf16 tensor) leaves out. The command
    read the file as float32 and computed CCA 0.72 where the API gives 0.92 for the same tensor."""
    torch = pytest.importorskip("torch")
    latent = rng.standard_normal((500, 3))
    X = np.hstack([latent @ rng.standard_normal((3, 6)), 30 + 0.3 * rng.standard_normal((500, 4))])
    Xb = torch.as_tensor(X).to(torch.bfloat16)
    Y = latent @ rng.standard_normal((3, 4)) + 0.5 * rng.standard_normal((500, 4))
    torch.save(Xb, tmp_path / "a.pt")
    np.save(tmp_path / "b.npy", Y)
    code, out, err = run(
        capsys, "compare", tmp_path / "a.pt", tmp_path / "b.npy", "--measure", measure, "--json"
    )
    assert code == 0, err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", svcca.PrecisionWarning)  # the command says it once, below
        want = svcca.Measure(measure)(Xb, Y, warn=False).similarity
    assert json.loads(out)["similarity"] == pytest.approx(want, abs=1e-12)
    if measure == "cca":  # the float32 reading of the same values is another number
        assert svcca.cca(Xb.float().numpy(), Y, warn=False).similarity < want - 0.1
        assert any("arrived in bfloat16" in w for w in json.loads(out)["warnings"])
    assert (
        load_activations(tmp_path / "a.pt").bfloat16
        and load_activations(tmp_path / "a.pt").array.dtype == np.float32
    )


def test_a_malicious_or_damaged_pt_never_suggests_weights_only_false(tmp_path, capsys, views):
    torch = pytest.importorskip("torch")
    marker = tmp_path / "unpickled"
    torch.save({"acts": torch.zeros(3, 2), "evil": PickleTrap(str(marker))}, tmp_path / "evil.pt")
    torch.save(torch.zeros(30, 2), tmp_path / "good.pt")
    (tmp_path / "trunc.pt").write_bytes((tmp_path / "good.pt").read_bytes()[:200])
    (tmp_path / "bad.pt").write_bytes(b"garbage, not a torch file")
    for name in ("evil.pt", "trunc.pt", "bad.pt"):
        err = _error(capsys, "compare", tmp_path / name, tmp_path / name)
        assert "weights_only=False" not in err and "file an issue" not in err.lower(), err
        assert err.count("\n") == 1
    assert "holds Python objects other than tensors" in _error(
        capsys, "compare", tmp_path / "evil.pt", tmp_path / "evil.pt"
    )
    assert not marker.exists()


def test_compare_measure_option_flags(capsys, npz_pair, views):
    """One flag per option of the registry's measures; a flag of another measure is refused."""
    X, Y = views
    argv = ["compare", npz_pair, npz_pair, "--key-a", "model_0", "--key-b", "model_1", "--json"]
    cases = [
        (
            ["--measure", "rbf_cka", "--bandwidth", "0.5", "--debiased"],
            svcca.rbf_cka(X, Y, bandwidth=0.5, debiased=True),
        ),
        (["--measure", "minibatch_cka", "--batch-size", "64"], svcca.minibatch_cka(X, Y, batch_size=64)),
        (["--measure", "cka", "--debiased"], svcca.linear_cka(X, Y, debiased=True)),
        (["--measure", "pwcca", "--side", "symmetric"], svcca.pwcca(X, Y, side="symmetric")),
    ]
    for flags, want in cases:
        code, out, _ = run(capsys, *argv, *flags, "--null", "9")
        assert code == 0
        data = json.loads(out)
        assert data["similarity"] == pytest.approx(want.similarity, abs=TOL64)
        assert data["permutation_null"]["n_resamples"] == 9
    err = _error(capsys, *argv, "--measure", "cca", "--bandwidth", "0.5")
    assert "--bandwidth applies to --measure rbf_cka only; got --measure cca" in err
    err = _error(capsys, *argv, "--measure", "svcca", "--debiased")
    assert "--debiased applies to --measure cka or rbf_cka only" in err


def test_compare_says_every_warning_once_in_its_own_words(tmp_path, capsys):
    # the resampling statistics' warnings too (too few samples, degenerate resamples): one
    # "svcca compare: warning:" line each and in --json's list, never Python's source-line format
    np.save(tmp_path / "a.npy", np.random.default_rng(0).standard_normal((2, 5)))  # 2 samples
    argv = ("compare", tmp_path / "a.npy", tmp_path / "a.npy", "--null", "5", "--ci", "5")
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0 and "Warning:" not in err and ".py:" not in err
    lines = [line for line in err.splitlines() if line]
    assert lines and all(line.startswith("svcca compare: warning: ") for line in lines)
    said = json.loads(out)["warnings"]
    assert len(said) == len(set(said)) == len(lines) >= 2  # the CCA's and the resamples'


def test_compare_hints_at_the_other_layout_on_mismatched_samples(tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.ones((6, 3)))
    np.save(tmp_path / "b.npy", np.ones((5, 4)))
    for layout, other in (("samples-first", "neurons-first"), ("neurons-first", "samples-first")):
        code, _, err = run(capsys, "compare", tmp_path / "a.npy", tmp_path / "b.npy", "--layout", layout)
        assert code == 1 and f"use --layout {other}" in err
        # the shapes as the files hold them, not as transposed for neurons-first
        assert "with shape (6, 3)" in err and "with shape (5, 4)" in err


def test_compare_errors_name_the_files_and_the_flags(tmp_path, capsys):
    # the library's errors spoke of "X" and "Y", and of stats.permutation_test and debiased=False
    rng = np.random.default_rng(0)
    np.save(tmp_path / "a.npy", rng.standard_normal((60, 3)))
    np.save(tmp_path / "dead.npy", np.full((60, 4), 0.1))
    code, _, err = run(capsys, "compare", tmp_path / "a.npy", tmp_path / "dead.npy")
    assert code == 1 and "Y has no varying feature" in err
    assert re.search(r"\(X is A, \S*a\.npy; Y is B, \S*dead\.npy\)", err)
    for flags in (["--measure", "minibatch_cka"], ["--measure", "cka", "--debiased"]):
        code, _, err = run(capsys, "compare", tmp_path / "a.npy", tmp_path / "a.npy", *flags, "--ci", "5")
        assert code == 1 and f"--ci cannot resample {' '.join(flags[1:])}:" in err
        assert "--null N" in err and "permutation_test" not in err and "debiased=False" not in err


def test_compare_says_when_an_interval_or_seed_flag_has_nothing_to_shape(capsys, npz_pair):
    # --confidence, --ci-method and --seed without --ci/--null were ignored without a word
    pair = (npz_pair, npz_pair, "--key-a", "model_0", "--key-b", "model_1")
    for flags, said in (
        (["--confidence", "0.9"], "--confidence shapes the bootstrap interval, which --ci N asks for"),
        (["--ci-method", "bca", "--confidence", "0.9"], "--confidence and --ci-method shape"),
        (["--seed", "3"], "--seed seeds the permutation null (--null N) and the bootstrap interval"),
    ):
        code, _, err = run(capsys, "compare", *pair, *flags)
        assert code == 1 and said in err
    code, out, _ = run(capsys, "compare", *pair, "--null", "5", "--seed", "3")
    assert code == 0 and "seed 3" in out


def test_compare_refuses_a_plain_pickle_without_torchs_own_warning(tmp_path, capsys):
    # torch's UserWarning ("Detected pickle protocol 4") came through with its source line
    import pickle

    np.save(tmp_path / "a.npy", np.zeros((4, 2)))
    (tmp_path / "plain.pt").write_bytes(pickle.dumps({"a": [1, 2, 3]}, protocol=4))
    code, _, err = run(capsys, "compare", tmp_path / "plain.pt", tmp_path / "a.npy")
    assert code == 1 and "not written by torch.save (a plain pickle?)" in err and "Warning" not in err


def test_claims_checks_its_output_path_before_the_work(tmp_path, capsys, monkeypatch):
    import svcca.experiments.matrix as matrix

    def never(*args, **kwargs):  # the matrix must not start
        raise AssertionError("the matrix ran before --out was checked")

    monkeypatch.setattr(matrix, "run_matrix", never)
    (tmp_path / "afile").write_text("x")
    code, _, err = run(capsys, "claims", "--out", tmp_path / "afile" / "matrix.json")
    assert code == 1 and "--out" in err and "cannot be written" in err
    code, _, err = run(capsys, "claims", "--out", tmp_path)
    assert code == 1 and "it is a folder" in err


def test_compare_reads_a_sparse_tensor_file_as_its_dense_array(tmp_path, capsys):
    # it failed with torch's "can't convert Sparse layout tensor to numpy", naming no file
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((40, 4)), rng.standard_normal((40, 3))
    torch.save(torch.tensor(X).to_sparse(), tmp_path / "x.pt")
    np.save(tmp_path / "y.npy", Y)
    np.save(tmp_path / "x.npy", X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch validates sparse tensors it loads
        assert main(["compare", str(tmp_path / "x.pt"), str(tmp_path / "y.npy"), "--measure", "cca"]) == 0
    sparse_out = capsys.readouterr().out
    assert main(["compare", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--measure", "cca"]) == 0
    assert capsys.readouterr().out.replace("x.npy", "x.pt") == sparse_out
