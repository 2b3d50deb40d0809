"""Import boundaries: one way through the house.

- No module of the package imports a private (underscore) name from a module in another
  folder; experiment modules never import a private name of another experiment module.
- Chapters, the book's scripts and data_scripts import public modules and names only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "svcca"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_file(dotted: str) -> Path | None:
    path = ROOT.joinpath(*dotted.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _absolute(node: ast.ImportFrom, file: Path) -> str:
    if not node.level:
        return node.module or ""
    package = file.relative_to(ROOT).with_suffix("").parts[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(file: Path, source: str | None = None):
    """(dotted module, imported name or None) for every import in ``file``."""
    tree = ast.parse(source if source is not None else file.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, file)
            for alias in node.names:
                yield module, alias.name


def test_no_private_name_crosses_a_package_folder() -> None:
    offenders = []
    for file in sorted(PACKAGE.rglob("*.py")):
        for module, name in _imports(file):
            if not module.startswith("svcca") or name is None or not _private(name):
                continue
            target = _module_file(module) or _module_file(f"{module}.{name}")
            if target is None or target.parent != file.parent:
                offenders.append(f"{file.relative_to(ROOT)}: from {module} import {name}")
    assert not offenders, "private names imported across folders:\n" + "\n".join(offenders)


def test_no_module_reads_a_private_name_of_another_module() -> None:
    # `stats._UnresolvedBCa` in the command line: an attribute, which the import rule above missed
    offenders = []
    for file in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        modules = {  # names bound to modules of the package: `from . import stats`, `import svcca.x as y`
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
            if _module_file(f"{_absolute(node, file)}.{alias.name}") is not None
        } | {
            alias.asname or alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
            if alias.name.startswith("svcca")
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and _private(node.attr)
            ):
                offenders.append(f"{file.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not offenders, "private names of other modules read:\n" + "\n".join(offenders)


def test_experiments_share_no_private_helpers() -> None:
    folder = PACKAGE / "experiments"
    offenders = []
    for file in sorted(folder.glob("*.py")):
        for module, name in _imports(file):
            target = _module_file(module)
            if (
                target is not None
                and target.parent == folder
                and target != file
                and not _private(target.stem)  # the folder's own infrastructure (_cache, _claims)
                and name is not None
                and _private(name)
            ):
                offenders.append(f"{file.name}: from {module} import {name}")
    assert not offenders, "experiments import each other's private helpers:\n" + "\n".join(offenders)


def _chapter_code(path: Path) -> str:
    import jupytext

    cells = [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]
    # IPython magics and shell escapes are not Python
    return "\n".join(ln for src in cells for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!")))


def _public_only(files: list[tuple[Path, str | None]]) -> list[str]:
    offenders = []
    for file, source in files:
        for module, name in _imports(file, source):
            if not module.startswith("svcca"):
                continue
            if any(_private(part) for part in module.split(".")) or (name is not None and _private(name)):
                offenders.append(f"{file.relative_to(ROOT)}: {module}{'' if name is None else ' -> ' + name}")
    return offenders


def test_chapters_and_scripts_import_public_names_only() -> None:
    pytest.importorskip("jupytext")
    pages = [p for p in sorted((ROOT / "book").rglob("*.md")) if "_build" not in p.parts]
    # the executable pages (MyST notebooks, with a jupytext header)
    files = [(p, _chapter_code(p)) for p in pages if "\njupytext:" in p.read_text(encoding="utf-8")[:400]]
    scripts = sorted((ROOT / "data_scripts").glob("*.py")) + sorted((ROOT / "book").glob("*.py"))
    files += [(p, None) for p in scripts]
    offenders = _public_only(files)
    assert not offenders, "private modules or names imported:\n" + "\n".join(offenders)
