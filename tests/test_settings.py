"""The settings object: one registry, read once per environment, the only reader of ``VNMAP_*``."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lib.core import settings as registry
from lib.core.settings import SettingError, Settings, settings
from lib.data import geodata
from lib.io.sheets import LIMIT_ENV, ReadLimits
from lib.maps.leaflet import configured_tiles

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def clean_env(monkeypatch):
    """No ``VNMAP_*`` variable set (the test session sets a few)."""
    for key in [key for key in os.environ if key.startswith("VNMAP_")]:
        monkeypatch.delenv(key)
    return monkeypatch


def _reads_vnmap(path: Path) -> bool:
    """True when a module names ``os.environ``/``getenv`` and holds a ``VNMAP_`` text outside its docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    environ = any(
        (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"))
        or (isinstance(node, ast.Name) and node.id == "getenv")
        or (isinstance(node, ast.ImportFrom) and node.module == "os")
        for node in ast.walk(tree)
    )
    texts = any(
        isinstance(node, ast.Constant) and isinstance(node.value, str) and "VNMAP_" in node.value
        for node in ast.walk(tree)
        if id(node) not in docstrings
    )
    return environ and texts


def _sources() -> list[Path]:
    files = [*(ROOT / "lib").rglob("*.py"), *(ROOT / "views").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")]
    return sorted([*files, ROOT / "app.py"])


def test_only_the_settings_module_reads_vnmap_variables():
    readers = {p.relative_to(ROOT).as_posix() for p in _sources() if _reads_vnmap(p)}
    assert readers == {"lib/core/settings.py"}


def test_the_scan_sees_a_reader(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('import os\nNAME = "VNMAP_X"\nvalue = os.environ.get(NAME)\n', encoding="utf-8")
    assert _reads_vnmap(module)
    module.write_text('"""Reads VNMAP_X."""\nimport os\nvalue = os.environ.get("HOME")\n', encoding="utf-8")
    assert not _reads_vnmap(module)


def test_defaults(clean_env):
    given = settings()
    assert given == Settings()
    assert given.geodata_dir == ROOT / "geodata" == geodata.default_dir()
    assert given.cache_dir == ROOT / ".cache" / "layers" == geodata.cache_dir()
    assert given.status_db == f"sqlite:///{ROOT / 'data' / 'status.sqlite'}"
    assert given.import_password is None and not given.reraise_errors and configured_tiles() is None
    assert ReadLimits.from_env() == ReadLimits() and ReadLimits().worker_memory == 1024 * 1024 * 1024
    assert set(registry.sources().values()) == {"default"}


def test_environment_overrides(clean_env, tmp_path):
    clean_env.setenv("VNMAP_MAX_ROWS", "10")
    clean_env.setenv("VNMAP_MAX_SECONDS", "0.5")
    clean_env.setenv("VNMAP_WORKER_MEMORY_MB", "300")
    clean_env.setenv("VNMAP_CACHE_DIR", str(tmp_path / "layers"))
    clean_env.setenv("VNMAP_TILE_URL", " https://tiles.example/{z}/{x}/{y}.png ")
    limits = ReadLimits.from_env()
    assert (limits.max_rows, limits.max_seconds, limits.worker_memory) == (10, 0.5, 300 * 1024 * 1024)
    assert limits.max_columns == ReadLimits().max_columns
    assert (
        geodata.cache_dir() == tmp_path / "layers"
        and geodata.cache_path(ROOT / "geodata" / "manifest.json").parent == tmp_path / "layers"
    )
    assert configured_tiles() == ("https://tiles.example/{z}/{x}/{y}.png", "© OpenStreetMap contributors")
    assert registry.sources()["max_rows"] == "environment" and registry.sources()["max_columns"] == "default"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("VNMAP_MAX_ROWS", "x", "một số nguyên dương"),
        ("VNMAP_MAX_WORKERS", "1.5", "một số nguyên dương"),
        ("VNMAP_WORKER_MEMORY_MB", "0", "một số nguyên dương"),
        ("VNMAP_MAX_SECONDS", "-1", "một số dương"),
        ("VNMAP_WORKER_CPU_SECONDS", "nan", "một số dương"),
    ],
)
def test_a_bad_value_names_its_variable(clean_env, variable, value, expected):
    clean_env.setenv(variable, value)
    with pytest.raises(SettingError, match=re.escape(f"{variable}={value!r}")) as caught:
        settings()
    assert expected in str(caught.value) and "mặc định" in str(caught.value)
    with pytest.raises(SettingError, match=variable):
        ReadLimits.from_env()


def test_read_once_per_environment(clean_env):
    first = settings()
    assert settings() is first  # nothing parsed again while nothing changed
    clean_env.setenv("VNMAP_MAX_PROBLEMS", "5")
    assert settings().max_problems == 5
    clean_env.setenv("VNMAP_MAX_PROBLEMS", "7")
    assert settings().max_problems == 7
    clean_env.delenv("VNMAP_MAX_PROBLEMS")
    assert settings() == first


def test_the_limits_name_the_registry_variables():
    assert LIMIT_ENV["max_rows"] == registry.ENV["max_rows"] == "VNMAP_MAX_ROWS"
    assert LIMIT_ENV["worker_memory"] == "VNMAP_WORKER_MEMORY_MB"
    assert set(LIMIT_ENV.values()) <= {s.env for s in registry.SETTINGS}


def test_secrets_are_flagged_and_left_out_of_repr():
    assert {s.env for s in registry.SETTINGS if s.secret} == {"VNMAP_IMPORT_PASSWORD", "VNMAP_STATUS_DB"}
    given = registry.read({"VNMAP_IMPORT_PASSWORD": "hunter2-secret"})
    assert given.import_password == "hunter2-secret" and "hunter2-secret" not in repr(given)


def test_cli_prints_the_settings_with_secrets_masked(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("VNMAP_")}
    env.update(
        VNMAP_IMPORT_PASSWORD="hunter2-secret",
        VNMAP_STATUS_DB="postgresql+psycopg://vnmap:db-s3cret@db.example:5432/vnmap",
        VNMAP_MAX_ROWS="10",
    )
    done = subprocess.run(
        [sys.executable, "-m", "lib.cli", "settings"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "hunter2-secret" not in out and "db-s3cret" not in out
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert set(lines) == {s.env for s in registry.SETTINGS}
    assert "***" in lines["VNMAP_IMPORT_PASSWORD"] and "biến môi trường" in lines["VNMAP_IMPORT_PASSWORD"]
    assert "postgresql+psycopg://vnmap:***@db.example:5432/vnmap" in lines["VNMAP_STATUS_DB"]
    assert "10" in lines["VNMAP_MAX_ROWS"] and "mặc định" in lines["VNMAP_MAX_COLUMNS"]
    del env["VNMAP_IMPORT_PASSWORD"]
    env["VNMAP_MAX_ROWS"] = "nhiều"
    done = subprocess.run(
        [sys.executable, "-m", "lib.cli", "settings"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and "VNMAP_MAX_ROWS='nhiều'" in done.stderr and "Traceback" not in done.stderr


def test_unset_password_is_said_so(clean_env, capsys):
    from lib.cli import main

    assert main(["settings"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("VNMAP_IMPORT_PASSWORD"))
    assert "(chưa đặt)" in line and "mặc định" in line


def test_readme_table_is_the_registry():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert registry.markdown_table() in readme, "README's settings table: paste `python -m lib.cli settings --markdown`"
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `(VNMAP_\w+)`", table, flags=re.M))
    assert named == {s.env for s in registry.SETTINGS}


def test_the_dataset_folder_is_read_when_used_not_at_import(clean_env, tmp_path):
    """Loaders imported long before follow ``VNMAP_GEODATA_DIR`` set afterwards, as do the app's cached ones."""
    from lib.data.asof import CHANGE_COLUMNS, load_changes
    from lib.data.validate import validate_dataset
    from lib.ui import cache

    version = geodata.load_manifest()["version"]
    assert len(load_changes()) > 0 and cache.manifest()["version"] == version
    (tmp_path / "changes.csv").write_text(
        ",".join(CHANGE_COLUMNS) + "\n2026-01-01,00004,rename,,Ba Đình,Tiny,1/NQ,2025-12-01,note,test,\n",
        encoding="utf-8",
    )
    (tmp_path / "manifest.json").write_text('{"version": "tiny-1"}', encoding="utf-8")
    clean_env.setenv("VNMAP_GEODATA_DIR", str(tmp_path))
    assert geodata.folder(None) == tmp_path and geodata.folder("elsewhere") == Path("elsewhere")
    assert load_changes()["new_value"].tolist() == ["Tiny"]
    assert cache.manifest()["version"] == "tiny-1"  # the folder is part of the cache key
    missing = tmp_path / "missing"
    clean_env.setenv("VNMAP_GEODATA_DIR", str(missing))
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        validate_dataset()
    clean_env.delenv("VNMAP_GEODATA_DIR")
    assert cache.manifest()["version"] == version
