"""`svcca figures` and `data_scripts/run_experiment.py`: the front doors to the experiments."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from svcca import figures
from svcca.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_list_names_every_registered_figure(capsys):
    assert main(["figures", "--list"]) == 0
    out = capsys.readouterr().out
    for name in figures.names():
        assert name in out


@pytest.mark.parametrize("fmt, magic", [("pdf", b"%PDF"), ("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_writes_a_figure_in_each_format(tmp_path, capsys, fmt, magic):
    assert (
        main(["figures", "intro-spectrum", "--out", str(tmp_path), "--format", fmt, "--scale", "tiny"]) == 0
    )
    path = tmp_path / f"intro-spectrum.{fmt}"
    assert path.read_bytes().startswith(magic)
    assert str(path) in capsys.readouterr().out


def test_chapter_number_selects_its_figures(tmp_path):
    assert main(["figures", "0", "--out", str(tmp_path), "--format", "png", "--scale", "tiny"]) == 0
    assert (tmp_path / "intro-spectrum.png").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["figures", "no-such-figure"], "unknown figure(s) 'no-such-figure'; available:"),
        (["figures", "99"], "no figures for chapter 99"),
        (["figures"], "name at least one figure"),
    ],
)
def test_bad_requests_fail_clearly(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_bad_format_is_a_usage_error(capsys):
    assert main(["figures", "intro-spectrum", "--format", "jpg"]) == 2
    assert "invalid choice: 'jpg'" in capsys.readouterr().err


def _run_script(argv, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["run_experiment.py", *argv])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(str(ROOT / "data_scripts" / "run_experiment.py"), run_name="__main__")
    return exc.value.code


def test_run_experiment_lists_experiments(monkeypatch, capsys):
    from svcca.experiments import experiments

    assert _run_script(["--list"], monkeypatch) == 0
    out = capsys.readouterr().out
    for name in experiments():
        assert name in out


def test_run_experiment_rejects_unknown_names_and_fields(monkeypatch, capsys):
    assert _run_script(["no_such_experiment"], monkeypatch) == 2
    assert "unknown experiment 'no_such_experiment'" in capsys.readouterr().err
    name = next(iter(__import__("svcca.experiments", fromlist=["x"]).experiments()))
    assert _run_script([name, "--set", "not_a_field=3"], monkeypatch) == 2
    assert "--set expects FIELD=VALUE with FIELD one of" in capsys.readouterr().err


@pytest.mark.torch
def test_run_experiment_lists_and_runs_the_book_experiments(monkeypatch, capsys, tmp_path):
    """A book name (``learning_dynamics.mlp``) runs the config its chapter uses, at any scale."""
    from svcca.experiments import book_config, book_experiments, run_or_load

    assert _run_script(["--list"], monkeypatch) == 0
    out = capsys.readouterr().out
    for name in book_experiments():
        assert name in out
    argv = ["learning_dynamics.mlp", "--scale", "tiny", "--cache-dir", str(tmp_path)]
    assert _run_script(argv, monkeypatch) == 0
    assert "learning_dynamics.mlp (computed in" in capsys.readouterr().out
    # the same cache entry as the chapter's config at that scale
    assert run_or_load(book_config("learning_dynamics.mlp", "tiny"), tmp_path).from_cache


@pytest.mark.parametrize(
    ("device", "message"),
    [("bogus", r"device must be a torch device such as 'cpu'"), ("cuda:7", r"asks for a CUDA GPU, but this")],
)
@pytest.mark.torch
def test_run_experiment_says_in_one_line_when_a_device_is_wrong(
    monkeypatch, capsys, tmp_path, device, message
):
    # checked before any work; no traceback (a GPU this machine lacks, a name torch does not know)
    import re

    argv = ["conv_pair", "--scale", "tiny", "--cache-dir", str(tmp_path), "--device", device]
    assert _run_script(argv, monkeypatch) == 1
    err = capsys.readouterr().err
    assert err.startswith("run_experiment.py: error: ") and "Traceback" not in err
    assert re.search(message, err) and err.count("\n") == 1
