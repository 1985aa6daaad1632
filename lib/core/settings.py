"""The deployment's settings: every ``VNMAP_*`` environment variable, declared once, read once.

Each field of :class:`Settings` is one setting: its variable, default, one line of help and whether it is
a secret (:data:`SETTINGS` lists them; the README's settings table is checked against it). :func:`settings`
returns the effective values, parsed again only when a ``VNMAP_*`` variable of ``os.environ`` changed
(so a test's ``monkeypatch.setenv`` is seen). A value that cannot be used (not a number, not positive)
raises :class:`SettingError` naming the variable and what it expects.

Nothing else in lib/, views/, app.py or scripts/ reads a ``VNMAP_*`` variable (tests/test_settings.py
keeps it so). Variables read only by the tests stay with them: ``VNMAP_TEST_PG_URL`` and
``VNMAP_TEST_PG_REQUIRED`` (tests/conftest.py, scripts/test_postgres.sh) and ``VNMAP_BROWSER_STATUS_DB``
(tests/browser/conftest.py).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

PROJECT_DIR = Path(__file__).resolve().parents[2]
STATUS_PATH = PROJECT_DIR / "data" / "status.sqlite"  # the default status store (its data/ folder is made)
PREFIX = "VNMAP_"
_T = TypeVar("_T")


class SettingError(ValueError):
    """A ``VNMAP_*`` variable holds a value that cannot be used; the message names it and what it expects."""


def _text(text: str) -> str:
    return text.strip()


def _password(text: str) -> str | None:
    return text  # as written: spaces may belong to it


def _path(text: str) -> Path:
    return Path(text.strip())


def _flag(text: str) -> bool:
    return text.strip() != "0"


def _int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError("một số nguyên dương")
    return value


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:  # also NaN
        raise ValueError("một số dương")
    return value


def _setting(env: str, default: _T, help: str, *, parse: Callable[[str], Any] = _text, secret: bool = False) -> _T:
    """One setting (a dataclass field): its variable, default, help line, parser and secrecy (a secret is
    left out of the object's ``repr``)."""
    metadata = {"env": env, "help": help, "parse": parse, "secret": secret}
    return dataclasses.field(default=default, repr=not secret, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """The effective settings; the default of each field is the value used when its variable is unset or empty."""

    # Data and stores.
    geodata_dir: Path = _setting(
        "VNMAP_GEODATA_DIR",
        PROJECT_DIR / "geodata",
        "dataset folder served, of the same shape as geodata/ (run the prepare step with the same setting)",
        parse=_path,
    )
    cache_dir: Path = _setting(
        "VNMAP_CACHE_DIR",
        PROJECT_DIR / ".cache" / "layers",
        "GeoParquet copies of the layers, written by the prepare step and only read by the app",
        parse=_path,
    )
    status_db: str = _setting(
        "VNMAP_STATUS_DB",
        f"sqlite:///{STATUS_PATH}",
        "status store: an SQLAlchemy URL or an SQLite file (`--db` overrides it on the command line)",
        secret=True,
    )
    import_password: str | None = _setting(
        "VNMAP_IMPORT_PASSWORD",
        None,
        "password of the import page (else `import_password` in `.streamlit/secrets.toml`; neither: importing off)",
        parse=_password,
        secret=True,
    )
    # The map.
    tile_url: str = _setting(
        "VNMAP_TILE_URL",
        "",
        "basemap tiles, e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png` (unset: a plain background, "
        "no request outside the app)",
    )
    tile_attribution: str = _setting(
        "VNMAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors", "attribution shown with the basemap tiles"
    )
    reraise_errors: bool = _setting(
        "VNMAP_RERAISE_ERRORS",
        False,
        "not `0`: a page's unexpected error reaches Streamlit as it is (development, tests)",
        parse=_flag,
    )
    # Limits on files read (lib.io.sheets.ReadLimits; see "Limits and hostile input").
    max_bytes: int = _setting(
        "VNMAP_MAX_FILE_BYTES",
        20 * 1024 * 1024,
        "bytes of a file (CSV, or XLSX compressed), checked before reading; said next to each upload button",
        parse=_int,
    )
    max_uncompressed: int = _setting(
        "VNMAP_MAX_UNCOMPRESSED_BYTES",
        100 * 1024 * 1024,
        "bytes of an XLSX's parts read (sheet, shared strings, styles), inflated: declared sizes first, "
        "then chunk by chunk",
        parse=_int,
    )
    max_rows: int = _setting(
        "VNMAP_MAX_ROWS",
        200_000,
        "rows of a file, checked at the first row beyond it (a row number jumping ahead counts)",
        parse=_int,
    )
    max_columns: int = _setting(
        "VNMAP_MAX_COLUMNS",
        200,
        "columns of a file, checked at the first cell beyond it (`<dimension>` is ignored, rows never padded)",
        parse=_int,
    )
    max_cells: int = _setting(
        "VNMAP_MAX_CELLS", 2_000_000, "cells of a file (rows × widest row), checked while rows are added", parse=_int
    )
    max_cell_chars: int = _setting(
        "VNMAP_MAX_CELL_CHARS",
        32_767,
        "characters in one cell (Excel's own limit), checked while the cell's text streams in",
        parse=_int,
    )
    max_row_chars: int = _setting(
        "VNMAP_MAX_ROW_CHARS", 100_000, "characters in one row, checked as the row's cells are added", parse=_int
    )
    max_text_chars: int = _setting(
        "VNMAP_MAX_TEXT_CHARS",
        20_000_000,
        "characters in a whole file, a shared string counted each time a cell uses it",
        parse=_int,
    )
    max_shared_strings: int = _setting(
        "VNMAP_MAX_SHARED_STRINGS",
        1_000_000,
        "distinct shared strings of an XLSX, checked while `sharedStrings.xml` is read",
        parse=_int,
    )
    max_seconds: float = _setting(
        "VNMAP_MAX_SECONDS",
        60.0,
        "seconds of one conversion or import (reading, checking, converting); the reading worker's wall time",
        parse=_float,
    )
    worker_memory_mb: int = _setting(
        "VNMAP_WORKER_MEMORY_MB",
        1024,
        "MB of address space the reading worker may add to its start (`RLIMIT_AS`: an allocation beyond it fails)",
        parse=_int,
    )
    worker_cpu_seconds: float = _setting(
        "VNMAP_WORKER_CPU_SECONDS",
        20.0,
        "CPU seconds of the reading worker (`RLIMIT_CPU`: the worker is stopped)",
        parse=_float,
    )
    max_workers: int = _setting(
        "VNMAP_MAX_WORKERS",
        2,
        "reading workers at once per server process; a further read waits (at most `VNMAP_MAX_SECONDS`)",
        parse=_int,
    )
    max_features: int = _setting(
        "VNMAP_MAX_FEATURES",
        20_000,
        "features of an uploaded layer (*Dữ liệu*), counted when its fields are listed",
        parse=_int,
    )
    max_vertices: int = _setting(
        "VNMAP_MAX_VERTICES",
        2_000_000,
        "vertices of an uploaded layer, all features, counted before any validity check",
        parse=_int,
    )
    max_feature_vertices: int = _setting(
        "VNMAP_MAX_FEATURE_VERTICES",
        500_000,
        "vertices of one feature of an uploaded layer, counted before any validity check",
        parse=_int,
    )
    max_problems: int = _setting(
        "VNMAP_MAX_PROBLEMS",
        200,
        "problems listed on a page (layer check, import, conversion); the rest are counted, the whole list is "
        "a download",
        parse=_int,
    )


@dataclass(frozen=True)
class Setting:
    """One entry of the registry: the :class:`Settings` field, its variable, default, help and secrecy."""

    name: str
    env: str
    default: object
    help: str
    secret: bool
    parse: Callable[[str], Any]


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, f.metadata["env"], f.default, f.metadata["help"], f.metadata["secret"], f.metadata["parse"])
    for f in dataclasses.fields(Settings)
)
ENV = {setting.name: setting.env for setting in SETTINGS}  # field name → variable


def read(environ: Mapping[str, str]) -> Settings:
    """The settings given by ``environ`` (a variable unset or blank keeps the default); raises :class:`SettingError`."""
    values = {}
    for setting in SETTINGS:
        text = environ.get(setting.env, "")
        if not text.strip():
            continue
        try:
            values[setting.name] = setting.parse(text)
        except ValueError as err:
            raise SettingError(
                f"Biến môi trường {setting.env}={text!r} không dùng được: cần {err} "
                f"(bỏ trống để dùng mặc định {setting.default})."
            ) from None
    return Settings(**values)


def _snapshot() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((key, value) for key, value in os.environ.items() if key.startswith(PREFIX)))


@functools.lru_cache(maxsize=8)
def _read_snapshot(snapshot: tuple[tuple[str, str], ...]) -> Settings:
    return read(dict(snapshot))


def settings() -> Settings:
    """The effective settings of this process's environment (parsed once per distinct set of ``VNMAP_*`` values)."""
    return _read_snapshot(_snapshot())


def sources(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Where each setting's value comes from: ``"environment"`` or ``"default"``, by field name."""
    environ = os.environ if environ is None else environ
    return {s.name: "environment" if environ.get(s.env, "").strip() else "default" for s in SETTINGS}


def shown(value: object) -> str:
    """A value as the README and ``python -m lib.cli settings`` write it: paths under the project relative to it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return text.replace(f"{PROJECT_DIR}/", "") if f"{PROJECT_DIR}/" in text else text


def markdown_table() -> str:
    """The README's settings table (``python -m lib.cli settings --markdown``; a test keeps the README equal)."""
    lines = ["| variable | default | what it does |", "|---|---|---|"]
    for setting in SETTINGS:
        default = shown(setting.default)
        lines.append(f"| `{setting.env}` | {f'`{default}`' if default else '(unset)'} | {setting.help} |")
    return "\n".join(lines) + "\n"
