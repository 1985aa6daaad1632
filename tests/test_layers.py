"""The architecture holds: views → lib, packages import only their own level or below, Streamlit only in lib/ui."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The packages of lib/, lowest first: each may import itself and those before it, never one after.
LAYERS = ["core", "data", "io", "assemble", "lookup", "status", "maps", "ui"]


def _imports(path: Path) -> set[str]:
    """Modules a file imports (absolute names; ``from lib.x import y`` gives lib.x and lib.x.y)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "lib" and parts[1] in LAYERS else None


def _lib_files() -> list[Path]:
    return sorted((ROOT / "lib").rglob("*.py"))


def test_every_lib_module_belongs_to_a_package():
    loose = [p.name for p in (ROOT / "lib").glob("*.py") if p.name not in ("__init__.py", "cli.py")]
    assert loose == [], f"modules outside the packages of lib/: {loose}"
    assert sorted(p.name for p in (ROOT / "lib").iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(LAYERS)


@pytest.mark.parametrize("path", _lib_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_package_imports_one_above_it(path):
    own = _package("lib." + ".".join(path.relative_to(ROOT / "lib").with_suffix("").parts))
    if own is None:  # lib/__init__.py and the command line on top
        return
    above = sorted(m for m in _imports(path) if _package(m) and LAYERS.index(_package(m)) > LAYERS.index(own))
    assert above == [], f"{path.relative_to(ROOT)} ({own}) imports from a higher package: {above}"


@pytest.mark.parametrize("path", _lib_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_streamlit_only_in_lib_ui(path):
    uses = any(m == "streamlit" or m.startswith("streamlit.") for m in _imports(path))
    assert not uses or path.parent.name == "ui", f"{path.relative_to(ROOT)} imports Streamlit outside lib/ui"


def test_views_use_lib_only_and_lib_never_imports_views():
    for path in _lib_files():
        assert not any(m.split(".")[0] in ("views", "app") for m in _imports(path)), path
