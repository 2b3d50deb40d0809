"""Every shell command in README.md is run here, or listed with the reason it is not.

The fenced ``bash``/``sh``/``shell``/``console`` blocks are read line by line; each command
(comments stripped) either runs in a temporary folder, on tiny activation files made there,
or appears in ``NOT_RUN`` with the reason (a GPU, the network, a long build). A README
command in neither place fails the test, so the README cannot name a command that does not
work.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# command -> why the test does not run it
NOT_RUN = {
    "make claims": "runs every book experiment under 24 variants (about three hours); tests/test_claims.py "
    "runs the matrix on a tiny experiment",
    "make book": "builds the whole book (minutes); the book build is checked by .ci/run",
    "make test": "runs this very test suite",
    "make notebooks-check": "executes every chapter as a notebook (minutes) after make book; run by "
    ".ci/run, and tests/test_book_notebooks.py executes one generated notebook",
    "python data_scripts/download_cifar10.py": "downloads CIFAR-10 (network)",
    "python data_scripts/download_lm_corpora.py": "downloads Penn Treebank and WikiText-2 (network)",
    "python data_scripts/prepare_imagenet_subset.py --val-dir /path/to/imagenet/val "
    "--labels LOC_val_solution.csv": "needs the ImageNet validation set",
    "export SVCCA_CACHE_DIR=$HOME/svcca-full-cache": "sets the cache of the full-scale commands that follow",
    "SVCCA_SCALE=full make book": "full-scale experiments (GPU, hours)",
    "python data_scripts/run_experiment.py learning_dynamics --scale full --device cuda": "needs a GPU",
    "SVCCA_SCALE=full svcca figures all --out figs/ --format pdf": "full-scale experiments (GPU, hours)",
}


def readme_commands() -> list[str]:
    """The commands of README.md's fenced shell blocks, comments and blank lines removed."""
    text = README.read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"^```(?:bash|sh|shell|console)\n(.*?)^```", text, flags=re.M | re.S):
        for line in block.splitlines():
            line = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            if line:
                commands.append(re.sub(r"\s+", " ", line.removeprefix("$ ")))
    return commands


def test_readme_has_shell_commands():
    cmds = readme_commands()
    assert "svcca figures --list" in cmds and len(cmds) >= 8, cmds


def test_every_readme_command_is_run_or_explained():
    not_run = [c for c in readme_commands() if c in NOT_RUN]
    runnable = [c for c in readme_commands() if c not in NOT_RUN]
    assert all(_argv(c) is not None for c in runnable), [c for c in runnable if _argv(c) is None]
    assert not_run, "the skip table should match some README command"


def _argv(command: str) -> list[str] | None:
    """How the test runs a README command: ``svcca ...`` and ``python -m svcca ...`` through
    this interpreter (so the checkout under test is the one imported); None when unknown."""
    words = shlex.split(command)
    if words[0] == "svcca":
        return [sys.executable, "-m", "svcca", *words[1:]]
    if words[:3] == ["python", "-m", "svcca"]:
        return [sys.executable, "-m", "svcca", *words[3:]]
    return None


@pytest.fixture
def layer_files(tmp_path):
    """The files the README's `svcca compare` names: two tiny related layers under key `acts`."""
    rng = np.random.default_rng(0)
    latent = rng.standard_normal((120, 3))
    a = latent @ rng.standard_normal((3, 6)) + 0.1 * rng.standard_normal((120, 6))
    b = np.tanh(latent @ rng.standard_normal((3, 5)))
    np.savez(tmp_path / "layer_a.npz", acts=a)
    np.savez(tmp_path / "layer_b.npz", acts=b)
    return tmp_path


@pytest.mark.parametrize("command", [c for c in readme_commands() if c not in NOT_RUN])
def test_readme_command_runs(command, layer_files):
    argv = _argv(command)
    assert argv is not None, f"README command {command!r} is neither run by this test nor in NOT_RUN"
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    proc = subprocess.run(argv, cwd=layer_files, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{command!r} exited with {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip(), f"{command!r} printed nothing"


def readme_python_blocks() -> list[str]:
    """The fenced Python blocks of README.md, in order."""
    text = README.read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.M | re.S)


def test_readme_python_blocks_run_as_written():
    # one namespace, block after block, as a reader pastes them into one session
    blocks = readme_python_blocks()
    assert len(blocks) >= 3 and "similarity_matrix" in "".join(blocks)
    namespace: dict = {"__name__": "readme"}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README's own code
