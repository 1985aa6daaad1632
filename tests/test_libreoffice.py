"""Round trip through LibreOffice: the XLSX files we write open in another spreadsheet program with
codes as text (leading zeros kept) and numbers as numbers.

Needs Debian's ``libreoffice-calc`` (``make system-deps`` installs it); the test fails, not skips,
without it. Each run uses its own LibreOffice profile, so no home profile is needed and concurrent
runs do not clash.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lib import cli

# Comma, text delimiter ", UTF-8 (76), from line 1, quote every text cell and save numbers as shown (so text and
# numbers differ: "00001" is text, 1.5 a number), every sheet (-1) as <file>-<sheet>.csv.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,false,true,false,false,-1"
_FIELD = re.compile(r'("(?:[^"]|"")*"|[^,]*)(,|$)')


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        pytest.fail(
            "LibreOffice (soffice) is not installed: run `make system-deps` or "
            "`apt-get install -y --no-install-recommends libreoffice-calc`"
        )
    return found


def _to_csv(files: list[Path], folder: Path) -> None:
    """Every sheet of every file as ``<stem>-<sheet>.csv`` in ``folder`` (LibreOffice headless)."""
    profile = (folder / "profile").as_uri()
    run = subprocess.run(
        [
            _soffice(),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(folder),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, f"soffice failed: {run.stderr or run.stdout}"


def _rows(path: Path) -> list[list[tuple[str, bool]]]:
    """Rows of a LibreOffice CSV as (value, was_quoted) cells: quoted = a text cell, bare = a number or empty."""
    assert path.is_file(), f"LibreOffice wrote no {path.name}: {sorted(p.name for p in path.parent.iterdir())}"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = []
        for value, end in _FIELD.findall(line):
            quoted = value.startswith('"')
            cells.append((value[1:-1].replace('""', '"') if quoted else value, quoted))
            if not end:
                break
        rows.append(cells)
    return rows


def _records(path: Path) -> list[dict[str, tuple[str, bool]]]:
    header, *body = _rows(path)
    names = [value for value, _ in header]
    return [dict(zip(names, row, strict=False)) for row in body]


def test_crosswalk_and_conversion_xlsx_keep_codes_and_numbers_in_libreoffice(tmp_path):
    _soffice()
    export = tmp_path / "crosswalk.xlsx"
    assert cli.main(["export", "crosswalk", "--province", "01", "--format", "xlsx", "--out", str(export)]) == 0
    source = tmp_path / "list.csv"
    source.write_text("STT,Mã xã,Dân số,Ghi chú\n1,00001,1200,đầu\n2,00004,,cuối\n", encoding="utf-8-sig")
    converted = tmp_path / "list-moi.xlsx"
    assert cli.main(["convert", str(source), "--out", str(converted)]) == 0

    _to_csv([export, converted], tmp_path)

    pairs = _records(tmp_path / "crosswalk-old_to_new.csv")
    first = next(row for row in pairs if row["old_code"][0] == "00001")
    assert first["old_code"] == ("00001", True) and first["old_district_code"] == ("001", True)
    assert first["old_province_code"] == ("01", True) and first["new_province_code"] == ("01", True)
    area, quoted = first["area_km2"]
    assert not quoted and float(area) > 0, f"area_km2 should stay a number, LibreOffice read {first['area_km2']}"
    provinces = _records(tmp_path / "crosswalk-provinces.csv")
    assert provinces[0]["old_province_code"] == ("01", True) and not provinces[0]["old_units"][1]

    rows = _records(tmp_path / "list-moi-converted.csv")
    assert [row["Mã xã"] for row in rows] == [("00001", True), ("00004", True)]
    assert [row["STT"] for row in rows] == [("1", False), ("2", False)]
    assert [row["Dân số"] for row in rows] == [("1200", False), ("", False)]
    assert rows[0]["new_code"] == ("00097", True) and rows[0]["new_count"] == ("1", False)
