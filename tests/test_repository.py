"""The repository holds the product only: no file names a folder of the machine it was written on."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        pytest.skip("not a git checkout")
    return [ROOT / p for p in out.decode().split("\0") if p]


def _machine_folders() -> list[str]:
    """Absolute folders of this machine that a tracked file must never name."""
    folders = {str(ROOT.parent), str(Path.home()), tempfile.gettempdir(), os.environ.get("TMPDIR", "")}
    # "/" or an empty string would match everything; a folder is named with its trailing slash
    return sorted(f.rstrip("/") + "/" for f in folders if f and f.rstrip("/"))


def test_no_tracked_file_names_a_folder_of_this_machine() -> None:
    folders = _machine_folders()
    offenders = []
    for path in _tracked_files():
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary files (images) carry no paths
        for folder in folders:
            if folder in text:
                line = next(i for i, ln in enumerate(text.splitlines(), 1) if folder in ln)
                offenders.append(f"{path.relative_to(ROOT)}:{line} names {folder!r}")
    assert not offenders, "tracked files name absolute folders of this machine:\n" + "\n".join(offenders)


def test_no_working_notes_or_patches_are_tracked() -> None:
    names = [p.relative_to(ROOT).as_posix() for p in _tracked_files()]
    notes = [n for n in names if n.startswith(".dev/") or n.endswith((".diff", ".patch", ".orig", ".rej"))]
    assert not notes, f"working notes or unmerged patches are tracked: {notes}"


def test_no_build_output_or_large_file_is_tracked() -> None:
    """Build folders, experiment caches and large files stay out of the repository."""
    offenders = []
    for path in _tracked_files():
        rel = path.relative_to(ROOT)
        built = "_build" in rel.parts or "experiment-cache" in rel.parts
        if built or rel.suffix in (".npz", ".ipynb", ".pt"):
            offenders.append(str(rel))
        elif path.is_file() and path.stat().st_size > 2_000_000:
            offenders.append(f"{rel} ({path.stat().st_size // 1_000_000} MB)")
    assert not offenders, "build output or large files are tracked:\n" + "\n".join(offenders)
