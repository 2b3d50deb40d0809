"""Claims, the book's registry of experiments, the robustness matrix and the build's pages."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import platform
from pathlib import Path

import pytest

from svcca.experiments import (
    Claim,
    ClaimFailure,
    book_config,
    book_experiments,
    check_claims,
    claims_markdown,
)
from svcca.experiments.matrix import MatrixResult, Variant, run_matrix

ROOT = Path(__file__).resolve().parents[1]


# --- Claim -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "relation", "bound", "holds", "margin"),
    [
        (0.3, ">", 0.1, True, 0.2),
        (0.1, ">", 0.1, False, 0.0),
        (0.1, ">=", 0.1, True, 0.0),
        (0.05, "<", 0.1, True, 0.05),
        (0.2, "<=", 0.1, False, -0.1),
    ],
)
def test_claim_holds_and_margin(value, relation, bound, holds, margin) -> None:
    c = Claim("t.x", "statement", value, relation, bound)
    assert c.holds is holds
    assert c.margin == pytest.approx(margin)


def test_nan_never_holds() -> None:
    c = Claim("t.nan", "statement", math.nan, ">", 0.0)
    assert not c.holds and math.isnan(c.margin)
    c = Claim("t.nan", "statement", math.nan, "<", 0.0)
    assert not c.holds


@pytest.mark.parametrize("value", [math.inf, -math.inf])
@pytest.mark.parametrize("relation", [">", ">=", "<", "<="])
def test_an_infinite_value_never_holds(value, relation) -> None:
    # an infinity comes from a division by zero, not from a measurement: "inf > 0" must not pass
    c = Claim("t.inf", "statement", value, relation, 0.0)
    assert not c.holds and math.isnan(c.margin) and "FAILS" in c.describe()


def test_claim_rejects_bad_relation_and_name() -> None:
    with pytest.raises(ValueError, match=r"relation must be one of .*got '=='.*t\.bad"):
        Claim("t.bad", "s", 1.0, "==", 1.0)
    with pytest.raises(TypeError, match="non-empty string"):
        Claim("", "s", 1.0, ">", 0.0)


def test_claim_round_trips_through_json() -> None:
    c = Claim("t.rt", "s", 0.5, ">=", 0.25, details={"seed 0": 0.5})
    back = Claim.from_dict(json.loads(json.dumps(c.to_dict())))
    assert back == c and back.details == {"seed 0": 0.5}


def test_check_claims_names_every_failure() -> None:
    ok = Claim("t.ok", "fine", 1.0, ">", 0.0)
    bad1 = Claim("t.bad1", "first bad", 0.2, ">", 0.5)
    bad2 = Claim("t.bad2", "second bad", 3.0, "<=", 2.0)
    with pytest.raises(ClaimFailure) as info:
        check_claims([ok, bad1, bad2])
    msg = str(info.value)
    assert "2 of 3 claims do not hold" in msg
    assert "t.bad1: first bad -- measured 0.2 > 0.5? FAILS" in msg
    assert "t.bad2: second bad -- measured 3 <= 2? FAILS" in msg
    assert "t.ok" not in msg
    assert [c.name for c in info.value.failed] == ["t.bad1", "t.bad2"]
    assert check_claims([ok]) == [ok]


def test_check_claims_rejects_duplicates_and_non_claims() -> None:
    c = Claim("t.dup", "s", 1.0, ">", 0.0)
    with pytest.raises(TypeError, match="share the name 't.dup'"):
        check_claims([c, c])
    with pytest.raises(TypeError, match="expects Claim objects; got float"):
        check_claims([1.0])


def test_claims_markdown_marks_failures() -> None:
    text = claims_markdown([Claim("t.a", "a", 1.0, ">", 0.0), Claim("t.b", "b", 0.0, ">", 1.0)])
    assert "| `t.a` | a | 1 | > 0 | +1 | yes |" in text
    assert "| `t.b` | b | 0 | > 1 | -1 | **no** |" in text


# --- seeds and the registry --------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("name", list(book_experiments()))
def test_seed_offset_changes_every_seed_and_the_cache_key(name) -> None:
    base = book_config(name, scale="tiny", seed_offset=0)
    moved = book_config(name, scale="tiny", seed_offset=3)
    assert moved.key() != base.key()
    seeds = [
        f.name
        for f in dataclasses.fields(base)
        if f.name in ("seed", "seeds") or f.name.endswith(("_seed", "_seeds"))
    ]
    assert seeds, f"{name} has no seed field"
    for field in seeds:
        a, b = getattr(base, field), getattr(moved, field)
        if isinstance(a, int):
            assert b == a + 3
        else:
            assert tuple(b) == tuple(v + 3 for v in a)
    assert base.with_seed_offset(0) is base


def test_book_config_reads_the_seed_offset_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("SVCCA_SEED_OFFSET", "2")
    assert book_config("seed_pair", scale="tiny") == book_config("seed_pair", scale="tiny", seed_offset=2)
    monkeypatch.setenv("SVCCA_SEED_OFFSET", "two")
    with pytest.raises(ValueError, match="SVCCA_SEED_OFFSET must be an integer; got 'two'"):
        book_config("seed_pair", scale="tiny")


def test_book_config_unknown_name() -> None:
    with pytest.raises(ValueError, match="no book experiment named 'nope'; known: seed_pair"):
        book_config("nope")


def test_every_book_chapter_exists() -> None:
    for exp in book_experiments().values():
        assert (ROOT / "book" / "chapters" / f"{exp.chapter}.md").exists(), exp


# --- the matrix --------------------------------------------------------------------------


def test_variant_environment() -> None:
    env = Variant(1, "avx2").env({"ATEN_CPU_CAPABILITY": "avx512", "MPLBACKEND": "Agg"})
    assert env["ATEN_CPU_CAPABILITY"] == "avx2" and env["OMP_NUM_THREADS"] == "1"
    assert "MPLBACKEND" not in env
    assert "ATEN_CPU_CAPABILITY" not in Variant(0, "native").env({"ATEN_CPU_CAPABILITY": "avx2"})
    with pytest.raises(ValueError, match="kernel must be one of native, default"):
        Variant(0, "fast")


def test_variant_emulates_the_instruction_set_in_every_library() -> None:
    # torch's kernels alone leave MKL's products and oneDNN's convolutions as the CPU picks them
    env = Variant(0, "default").env({"MKL_ENABLE_INSTRUCTIONS": "AVX512"})
    assert env["ATEN_CPU_CAPABILITY"] == "default"
    assert env["MKL_ENABLE_INSTRUCTIONS"] == "SSE4_2" and env["ONEDNN_MAX_CPU_ISA"] == "SSE41"
    assert env["OPENBLAS_CORETYPE"] == "Nehalem"
    assert Variant(0, "avx2").env({})["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    # native clears every inherited cap; a non-x86 kernel sets torch's alone
    inherited = dict.fromkeys(("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "OPENBLAS_CORETYPE"), "AVX2")
    assert not set(inherited) & set(Variant(0, "native").env(inherited))
    vsx = Variant(0, "vsx").env(inherited)
    assert vsx["ATEN_CPU_CAPABILITY"] == "vsx" and "MKL_ENABLE_INSTRUCTIONS" not in vsx
    # emulated kernels do not reuse results computed under torch's kernels alone
    assert (Variant(0, "avx2").cache_name, Variant(0, "native").cache_name) == ("avx2-isa", "native")


def test_run_matrix_rejects_unknown_experiments() -> None:
    with pytest.raises(ValueError, match=r"unknown book experiment\(s\) \['nope'\]"):
        run_matrix(["nope"])


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="an x86 processor's torch")
def test_a_kernel_torch_would_ignore_is_refused_before_any_job(tmp_path) -> None:
    # torch ignores ATEN_CPU_CAPABILITY=sve256 on an x86 processor and runs its own kernels:
    # the matrix ran 'seed+K/sve256' variants that were the native ones under another name
    variants = [Variant(0, "default"), Variant(0, "sve256")]
    with pytest.raises(ValueError, match=r"kernel 'sve256' cannot be emulated on this .* torch runs \w+"):
        run_matrix(["seed_pair"], variants, scale="tiny", cache_dir=tmp_path)
    assert not any(tmp_path.iterdir())  # refused before any job ran


def _job(name, variant, value, bound=0.5, statement="statement"):
    c = Claim(f"{name}.c", statement, value, ">", bound)
    return {"name": name, "variant": variant, "error": None, "claims": [c.to_dict()], "seconds": 1.0}


def test_matrix_result_table_and_failures() -> None:
    res = MatrixResult(
        jobs=[_job("seed_pair", "seed+0/default", 0.9), _job("seed_pair", "seed+1/default", 0.4)]
    )
    assert res.variants == ["seed+0/default", "seed+1/default"]
    assert res.failed == [("seed_pair.c", "seed+1/default")]
    assert not res.ok
    text = res.summary()
    assert "FAIL seed_pair.c" in text and "-0.1" in text


def test_a_claim_one_variant_did_not_state_fails_the_matrix() -> None:
    # the summary said FAIL and the book's page "missing", but ok was True: svcca claims exited 0
    both = _job("seed_pair", "seed+0/default", 0.9)
    both["claims"].append(Claim("seed_pair.d", "statement", 0.9, ">", 0.5).to_dict())
    res = MatrixResult(jobs=[both, _job("seed_pair", "seed+1/default", 0.9)])
    assert res.failed == [("seed_pair.d", "seed+1/default")] and not res.ok
    assert "FAIL seed_pair.d" in res.summary()
    # a variant whose job raised is an error, not a list of missing claims
    broken = {**_job("seed_pair", "seed+1/default", 0.9), "error": "boom", "claims": []}
    assert MatrixResult(jobs=[both, broken]).failed == []


def test_the_summary_shows_a_nan_margin_wherever_it_is() -> None:
    # min() over [0.4, nan] is 0.4 and over [nan, 0.4] is nan
    for order in ([0.9, math.nan], [math.nan, 0.9]):
        res = MatrixResult(jobs=[_job("seed_pair", f"seed+{i}/default", v) for i, v in enumerate(order)])
        assert res.summary().splitlines()[1].endswith("+nan")


def test_a_variant_named_twice_runs_once() -> None:
    from svcca.experiments.matrix import _parse_variants

    assert _parse_variants([0, 0, 1], ["default", "default"]) == [
        Variant(0, "default"),
        Variant(1, "default"),
    ]


@pytest.mark.torch
@pytest.mark.slow
def test_run_matrix_runs_each_variant_in_its_own_process(tmp_path) -> None:
    res = run_matrix(
        ["seed_pair"],
        [Variant(0, "default"), Variant(1, "default")],
        scale="tiny",
        workers=2,
        cache_dir=tmp_path,
    )
    assert not res.errors, res.errors
    assert [j["variant"] for j in res.jobs] == ["seed+0/default", "seed+1/default"]
    assert all(j["capability"] == "DEFAULT" for j in res.jobs)
    assert all(j["isa_env"]["MKL_ENABLE_INSTRUCTIONS"] == "SSE4_2" for j in res.jobs)
    assert len(list((tmp_path / "default-isa").glob("*.npz"))) == 2
    again = run_matrix(["seed_pair"], [Variant(1, "default")], scale="tiny", workers=1, cache_dir=tmp_path)
    assert again.jobs[0]["from_cache"]


@pytest.mark.torch
@pytest.mark.slow
def test_one_worker_runs_many_jobs_and_survives_a_failing_one(tmp_path) -> None:
    """Jobs of one variant share a worker process (torch imported once); a job that raises
    is reported with its traceback and the next job still runs."""
    bad = run_matrix(
        ["seed_pair", "conv_pair"], [Variant(0, "default")], scale="bogus", workers=1, cache_dir=tmp_path
    )
    assert len(bad.errors) == 2 and all("ValueError" in j["error"] for j in bad.errors)
    assert len({j["worker_pid"] for j in bad.jobs}) == 1
    good = run_matrix(
        ["pwcca_noise", "seed_pair"], [Variant(0, "default")], scale="tiny", workers=1, cache_dir=tmp_path
    )
    assert not good.errors, good.errors
    assert len({j["worker_pid"] for j in good.jobs}) == 1


# --- the build's pages -------------------------------------------------------------------


def _build_module():
    spec = importlib.util.spec_from_file_location("book_build", ROOT / "book" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _record(*jobs):
    res = MatrixResult(jobs=list(jobs))
    out = res.to_dict()
    out["variant"] = jobs[0]["variant"]
    return out


def test_status_page_is_red_when_a_claim_fails() -> None:
    build = _build_module()
    green = build.status_markdown(_record(_job("seed_pair", "seed+0/native", 0.9)))
    assert "All 1 claims of the book held" in green and "{doc}`chapters/01_cca`" in green
    red = build.status_markdown(_record(_job("seed_pair", "seed+0/native", 0.1)))
    assert ":::{error}" in red and "1 claim(s)" in red and "| **no** |" in red


def test_pages_keep_a_bar_in_a_statement_inside_its_cell() -> None:
    # "|MM - GM|" in a statement used to end the table cell and shift the row
    build = _build_module()
    record = _record(_job("seed_pair", "seed+0/native", 0.9, statement="gap (|MM - GM|)"))
    assert "| gap (\\|MM - GM\\|) | 0.9 | > 0.5 |" in build.status_markdown(record)
    table, _ = build.robustness_markdown(record, record)
    assert "| `seed_pair.c`: gap (\\|MM - GM\\|) | > 0.5 |" in table


def test_robustness_page_flags_claims_missing_from_the_matrix() -> None:
    build = _build_module()
    record = _record(_job("seed_pair", "seed+0/native", 0.9))
    matrix = _record(_job("seed_pair", "seed+0/default", 0.8), _job("seed_pair", "seed+0/avx2", 0.7))
    table, stale = build.robustness_markdown(record, matrix)
    assert not stale
    assert "| `seed_pair.c`: statement | > 0.5 | 0.7 | 0.8 | 0.9 | +0.2 | yes |" in table
    # a variant where the claim fails is named in the verdict
    failing = _record(_job("seed_pair", "seed+0/default", 0.8), _job("seed_pair", "seed+3/default", 0.4))
    table, _ = build.robustness_markdown(record, failing)
    assert "| > 0.5 | 0.4 | 0.8 | 0.9 | -0.1 | **no** (seed+3/default) |" in table
    changed = _record({**_job("seed_pair", "seed+0/native", 0.9, bound=0.6)})
    _, stale = build.robustness_markdown(changed, matrix)
    assert stale == ["seed_pair.c"]
    _, stale = build.robustness_markdown(record, None)
    assert stale == ["seed_pair.c"]


def test_worst_case_takes_the_item_nearest_the_bound():
    from svcca.experiments._claims import worst_case

    above = worst_case("t.a", "all above", [0.3, 0.1, 0.2], ">", 0.0, ["a", "b", "c"])
    below = worst_case("t.b", "all below", [0.3, 0.1, 0.2], "<=", 0.5, ["a", "b", "c"])
    assert (above.value, below.value) == (0.1, 0.3)
    assert above.details == {"a": 0.3, "b": 0.1, "c": 0.2}


def test_a_claim_over_no_items_or_lost_items_is_refused():
    from svcca.experiments._claims import claim_details, claims_table, worst_case

    # a worst case over nothing raised numpy's "zero-size array to reduction operation"
    with pytest.raises(ValueError, match="'t.a' holds for every item, but no item was measured"):
        worst_case("t.a", "all above", [], ">", 0.0, [])
    with pytest.raises(ValueError, match="no item was measured"):
        claims_table("t.", {"a": (">", 0.0, "all above")}, {"a": {}})
    # values past the labels were dropped from the details, the worst perhaps among them
    with pytest.raises(ValueError, match="3 values for only 2 labels"):
        worst_case("t.a", "all above", [0.3, 0.2, -1.0], ">", 0.0, ["a", "b"])
    assert claim_details(["a", "b", "c"], [0.1, 0.2]) == {"a": 0.1, "b": 0.2}  # the lower layers


def test_a_statement_naming_a_field_not_given_is_refused():
    from svcca.experiments._claims import claims_table

    table = {"gap": (">", 0.0, "the gap in {layer}")}
    # without fields the statement was kept as it is: the book printed "the gap in {layer}"
    with pytest.raises(KeyError, match="'t.gap': its statement names 'layer'"):
        claims_table("t.", table, {"gap": 0.5})
    with pytest.raises(KeyError, match="names 'layer'"):
        claims_table("t.", table, {"gap": 0.5}, last="fc2")
    (claim,) = claims_table("t.", {"set": (">", 0.0, "over {{0, 1}}")}, {"set": 0.5})
    assert claim.statement == "over {0, 1}"


def test_claims_table_joins_statements_and_measured_values():
    from svcca.experiments._claims import claims_table

    table = {
        "every": (">", 0.0, "every item in {layer}"),
        "scalar": ("<", 1.0, "one number"),
        "detailed": (">", 0.0, "with details"),
        "by_label": ("<", 1.0, "a dict of items"),
        "missing": (">", 0.0, "not measured this run"),
    }
    measured = {
        "by_label": {"x": 0.5, "y": 0.7},
        "every": ([0.2, 0.4], ["s0", "s1"]),
        "scalar": 0.5,
        "detailed": (0.3, {"low": 0.1}),
    }
    claims = claims_table("t.", table, measured, layer="fc2")
    assert [c.name for c in claims] == ["t.every", "t.scalar", "t.detailed", "t.by_label"]
    assert claims[0].statement == "every item in fc2" and claims[0].value == 0.2
    assert claims[2].details == {"low": 0.1} and claims[3].value == 0.7


def test_each_chapter_waits_for_the_experiments_it_loads() -> None:
    """The build starts a chapter once its experiments are done: every experiment a chapter
    loads must be among its dependencies, else it would train that experiment itself."""
    build = _build_module()
    deps = {p.stem: build.chapter_experiments(p) for p in build._chapters()}
    assert deps["04_significance"] == {"seed_pair"} == deps["01_cca"] == deps["03_other_methods"]
    assert {"generalization", "width", "pwcca_noise"} <= deps["06_generalization"]
    assert {"freeze_training", "learning_dynamics.conv", "learning_dynamics.lstm"} <= deps[
        "05_learning_dynamics"
    ]
    assert deps["08_when_cca_fails"] == {"layer_identification"}
    # every book experiment is awaited by the chapter that shows it
    for exp in book_experiments().values():
        assert exp.name in deps[exp.chapter]


@pytest.mark.torch
def test_the_build_stops_and_reports_when_the_experiments_fail(monkeypatch) -> None:
    """A failure of the experiment runner reaches the build; the chapters waiting for its
    experiments are left to Jupyter Book instead of being waited for forever."""
    build = _build_module()

    def broken(env, workers, on_done):
        on_done("conv_pair", True)
        raise RuntimeError("the runner broke")

    monkeypatch.setattr(build, "run_experiments", broken)
    monkeypatch.setattr(
        build, "chapters_to_execute", lambda: [ROOT / "book" / "chapters" / "04_significance.md"]
    )
    with pytest.raises(RuntimeError, match="the runner broke"):
        build.build_parallel({}, workers=2)


# --- the build's memo --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _MemoConfig:
    experiment = "memo_demo"
    seed: int = 0

    def key(self) -> str:
        return f"{self.seed:064d}"


def test_the_memo_tells_a_scalar_from_a_one_element_array() -> None:
    from svcca.experiments._memo import arrays_digest

    np = pytest.importorskip("numpy")
    # ascontiguousarray turns a 0-d array into shape (1,): both had one digest
    assert arrays_digest({"x": np.array(5)}) != arrays_digest({"x": np.array([5])})
    assert arrays_digest({"x": np.arange(6).reshape(2, 3).T}) == arrays_digest(
        {"x": np.arange(6).reshape(2, 3).T.copy()}
    )


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"\x80\x04K\x03.",
        b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x04Nope\x94\x93\x94.",
    ],
    ids=["empty", "an int", "an unknown class"],
)
def test_a_damaged_memo_entry_is_computed_again(tmp_path, monkeypatch, damage) -> None:
    from svcca.experiments import memoized

    np = pytest.importorskip("numpy")
    monkeypatch.setenv("SVCCA_CLAIMS_MEMO", str(tmp_path))
    arrays = {"x": np.arange(3.0)}
    assert memoized(_MemoConfig(), arrays, "demo", lambda: [1, 2]) == [1, 2]
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(damage)  # unpickling it raised TypeError or AttributeError
    assert memoized(_MemoConfig(), arrays, "demo", lambda: [3]) == [3]
    assert memoized(_MemoConfig(), arrays, "demo", lambda: [4]) == [3]  # kept again


def test_a_memo_that_cannot_keep_a_value_still_returns_it(tmp_path, monkeypatch) -> None:
    from svcca.experiments import memoized

    np = pytest.importorskip("numpy")
    monkeypatch.setenv("SVCCA_CLAIMS_MEMO", str(tmp_path))
    arrays = {"x": np.arange(3.0)}
    memoized(_MemoConfig(), arrays, "demo", lambda: 1)
    (entry,) = tmp_path.iterdir()
    entry.unlink()
    entry.mkdir()  # the entry cannot be written: the computed value was lost to an OSError
    with pytest.warns(UserWarning, match="could not keep"):
        assert memoized(_MemoConfig(), arrays, "demo", lambda: 2) == 2


def test_a_variant_build_keeps_its_experiments_and_chapters_in_its_own_cache(tmp_path, monkeypatch) -> None:
    """Under ATEN_CPU_CAPABILITY the chapters read the folder the experiments wrote, not the
    native one (a kernel is not part of a config's cache key)."""
    build = _build_module()
    root = str(tmp_path / "cache")
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    assert build.experiment_cache({"SVCCA_CACHE_DIR": root}) == root
    assert build.experiment_cache({}).endswith("experiment-cache")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    assert build.experiment_cache({"SVCCA_CACHE_DIR": root}) == str(tmp_path / "cache" / "default-isa")


def test_bound_text_rounds_outward_so_the_sentence_stays_true():
    from svcca.experiments import bound_text

    assert bound_text(0.0133, "at most") == "0.02" and bound_text(0.0133, "at most", 3) == "0.014"
    assert bound_text(0.9492, "at least") == "0.94" and bound_text(0.2234, "at most") == "0.23"
    assert (
        bound_text(0.07, "at most") == "0.07" and bound_text(0.7, "at least", 1) == "0.7"
    )  # 0.07 * 100 = 7.000000000000001
    assert bound_text(-0.0133, "at least") == "-0.02"
    with pytest.raises(ValueError, match="side must be 'at most' or 'at least'; got 'within'"):
        bound_text(0.1, "within")
    assert bound_text(float("nan"), "at most") == "nan"  # a claim not checked at this scale


def test_claim_specs_reads_a_text_table():
    from svcca.experiments._claims import claim_specs

    specs = claim_specs(
        """
        gap     >  0.05  the trained pairs are above the untrained
                         pairs in {layer}
        # a comment, and a blank line

        within  <= 1e-3  the two solvers agree
        """
    )
    assert specs == {
        "gap": (">", 0.05, "the trained pairs are above the untrained pairs in {layer}"),
        "within": ("<=", 0.001, "the two solvers agree"),
    }
    assert claim_specs("one > 0 a claim on one line") == {"one": (">", 0.0, "a claim on one line")}
    # an indented "#" continues a statement; only a "#" at the names' margin is a comment
    assert claim_specs("n > 1 the number\n      # of seeds") == {"n": (">", 1.0, "the number # of seeds")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gap > 0.1", r"a claim reads 'name relation bound statement'; got 'gap > 0.1'"),
        ("gap => 0.1 the gap", r"claim 'gap': relation must be one of >, >=, <, <=; got '=>'"),
        ("gap > big the gap", r"claim 'gap': bound must be a finite number; got 'big'"),
        ("gap > nan the gap", r"claim 'gap': bound must be a finite number; got 'nan'"),
        ("\n  # only a comment\n", r"a claims table holds no claim"),
        ("gap > 0.1 the gap\ngap > 0.2 again", r"claim 'gap' is written twice in one table"),
        ("  continued\ngap > 0.1 the gap", r"starts with a continued statement: 'continued'"),
        ("g-a-p > 0.1 the gap", r"a claim name is letters, digits, '_' and '.'; got 'g-a-p'"),
    ],
)
def test_claim_specs_says_which_line_it_cannot_read(text, message):
    from svcca.experiments._claims import claim_specs

    with pytest.raises(ValueError, match=message):
        claim_specs(text)
