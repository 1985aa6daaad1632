"""Tests of lib.status.template: the report template (XLSX) and its round trip through the real importer.

The template is written to a real file, filled with openpyxl as a reporter's spreadsheet program would,
saved, then read, mapped, validated and committed into a real SQLite store by lib.status.importer.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lib import cli
from lib.core import parse
from lib.core.vocab import LOCAL_TZ
from lib.data import geodata
from lib.lookup.resolve import UnitResolver
from lib.status import importer, template, values
from lib.status.store import StatusStore

pytestmark = pytest.mark.dataset  # reads the bundled geodata/
NOW = dt.datetime(2025, 11, 21, 10, 0, tzinfo=LOCAL_TZ)
WHEN = dt.datetime(2025, 11, 20, 15, 0)  # what a reporter types: Vietnam local time, no zone


@pytest.fixture(scope="module")
def resolver() -> UnitResolver:
    return UnitResolver.from_geodata(geodata.default_dir())


@pytest.fixture(scope="module")
def crosswalk() -> pd.DataFrame:
    return geodata.load_crosswalk(geodata.default_dir())


def _write(path: Path, crosswalk: pd.DataFrame, province: str | None) -> pd.DataFrame:
    communes = template.template_communes(crosswalk, province)
    path.write_bytes(template.template_bytes(communes, version="test"))
    return communes


def _fill(path: Path, out: Path, *, every: int = 1) -> dict[str, tuple]:
    """Fill every ``every``-th data row of the template at ``path`` as a reporter would; save to ``out``.

    Returns {commune code: (total, done, overdue, centre, gaps)} of the rows filled."""
    book = openpyxl.load_workbook(path)
    sheet = book[template.SHEET]
    col = {cell.value: cell.column for cell in sheet[1]}
    header = template.HEADERS
    centres = itertools.cycle(template.CENTRE_CHOICES)
    filled = {}
    for row in range(2, sheet.max_row + 1):
        if (row - 2) % every:
            continue
        total, done = 10 + row % 7, row % 11
        done = min(done, total)
        overdue = min(row % 3, total - done)
        centre = next(centres)
        gaps = "chữ ký số; thiết bị" if centre == "hoạt động còn thiếu" else ""
        sheet.cell(row, col[header["as_of"]]).value = WHEN
        sheet.cell(row, col[header["tasks_total"]]).value = total
        sheet.cell(row, col[header["tasks_done"]]).value = done
        sheet.cell(row, col[header["tasks_overdue"]]).value = overdue
        sheet.cell(row, col[header["centre_state"]]).value = centre
        sheet.cell(row, col[header["gaps"]]).value = gaps or None
        code = sheet.cell(row, col[header["commune_code"]]).value
        filled[code] = (total, done, overdue, centre, gaps)
    book.save(out)
    return filled


def test_headers_are_recognised_without_mapping(tmp_path, crosswalk):
    path = tmp_path / "mau.xlsx"
    _write(path, crosswalk, "01")
    sheet = importer.read_sheet(path)
    mapping = importer.guess_mapping(list(sheet.frame.columns))
    assert mapping.unrecognised == []
    assert set(mapping.columns) == set(template.TEMPLATE_FIELDS)
    assert mapping.keys == "new"
    assert mapping.missing(has_default_as_of=False) == []


def test_one_row_per_commune_codes_as_text(tmp_path, crosswalk):
    path = tmp_path / "mau.xlsx"
    communes = _write(path, crosswalk, "01")
    expected = sorted(crosswalk.loc[crosswalk["new_province_code"] == "01", "new_code"].unique())
    assert list(communes["commune_code"]) == expected
    sheet = openpyxl.load_workbook(path)[template.SHEET]
    code_column = list(template.TEMPLATE_FIELDS).index("commune_code") + 1
    cells = [sheet.cell(row, code_column) for row in range(2, sheet.max_row + 1)]
    assert [c.value for c in cells] == expected
    assert all(c.data_type == "s" and c.number_format == "@" for c in cells)
    province_cells = [sheet.cell(row, 1) for row in range(2, sheet.max_row + 1)]
    assert {c.value for c in province_cells} == {"01"} and all(c.data_type == "s" for c in province_cells)


def test_whole_country_template(tmp_path, crosswalk):
    communes = template.template_communes(crosswalk)
    assert len(communes) == crosswalk["new_code"].nunique() == 3321
    assert communes["commune_code"].is_unique and communes["commune_code"].str.fullmatch(r"\d{5}").all()
    assert communes["province_code"].nunique() == 34


def test_unknown_province_is_refused(crosswalk):
    with pytest.raises(template.TemplateError, match="99"):
        template.template_communes(crosswalk, "99")


def test_data_validation_of_the_cells_to_fill(tmp_path, crosswalk):
    path = tmp_path / "mau.xlsx"
    communes = _write(path, crosswalk, "01")
    sheet = openpyxl.load_workbook(path)[template.SHEET]
    letter = {f: openpyxl.utils.get_column_letter(i + 1) for i, f in enumerate(template.TEMPLATE_FIELDS)}
    rules = {str(rule.sqref): rule for rule in sheet.data_validations.dataValidation}
    last = len(communes) + 1

    def rule(field):
        return rules[f"{letter[field]}2:{letter[field]}{last}"]

    total = rule("tasks_total")
    assert (total.type, total.formula1) == ("whole", "0")
    assert total.operator in (None, "between")  # "between" is the default, left out of the file
    assert int(total.formula2) == parse.STORE_INT_MAX
    done, overdue = rule("tasks_done"), rule("tasks_overdue")
    assert done.type == overdue.type == "custom"
    t, d, o = (f"{letter[f]}2" for f in ("tasks_total", "tasks_done", "tasks_overdue"))
    assert f"{d}<={t}" in done.formula1 and f"INT({d})={d}" in done.formula1 and f"{d}>=0" in done.formula1
    assert f"{o}<={t}-{d}" in overdue.formula1
    centre = rule("centre_state")
    assert centre.type == "list"
    offered = [v for v in centre.formula1.strip('"').split(",")]
    assert offered == list(template.CENTRE_CHOICES)
    # every offered value is one the importer accepts, and together they cover every state
    assert {values._centre(v) for v in offered} == {"operating", "gaps", "not_operating", "unknown"}
    when = rule("as_of")
    assert when.type == "date" and when.operator == "greaterThanOrEqual"
    formats = {f: sheet.cell(last, list(template.TEMPLATE_FIELDS).index(f) + 1).number_format for f in letter}
    assert formats["as_of"] == template.DATE_FORMAT
    assert formats["tasks_total"] == formats["tasks_done"] == formats["tasks_overdue"] == "0"
    assert formats["centre_state"] == formats["gaps"] == formats["note"] == "@"


def test_guide_sheet_explains_every_column(tmp_path, crosswalk):
    path = tmp_path / "mau.xlsx"
    _write(path, crosswalk, "01")
    guide = openpyxl.load_workbook(path)[template.GUIDE_SHEET]
    values = [[c.value for c in row] for row in guide.iter_rows()]
    explained = {row[0]: row for row in values if row[0] in template.HEADERS.values()}
    assert set(explained) == set(template.HEADERS.values())
    assert all(all(row[1:5]) for row in explained.values())  # required?, meaning, how, example all given
    assert any("Thành phố Hà Nội" in str(row[1]) for row in values)  # the scope names the province


@pytest.mark.parametrize("province", ["01", None])
def test_filled_template_validates_with_zero_issues(tmp_path, crosswalk, resolver, province):
    blank, filled_path = tmp_path / "mau.xlsx", tmp_path / "da-dien.xlsx"
    communes = _write(blank, crosswalk, province)
    filled = _fill(blank, filled_path)
    assert len(filled) == len(communes)
    sheet = importer.read_sheet(filled_path)
    mapping = importer.guess_mapping(list(sheet.frame.columns))
    assert mapping.missing(has_default_as_of=False) == [] and not mapping.unrecognised
    report = importer.validate(sheet, mapping, resolver, now=NOW)
    assert report.issues == [], report.render(limit=5)
    assert report.counts == {"valid": len(communes), "ambiguous": 0, "unknown": 0, "invalid": 0}
    assert sorted(report.records["unit_code"]) == sorted(communes["commune_code"])


def test_unfilled_rows_are_skipped(tmp_path, crosswalk, resolver):
    blank, filled_path = tmp_path / "mau.xlsx", tmp_path / "mot-phan.xlsx"
    communes = _write(blank, crosswalk, "01")
    filled = _fill(blank, filled_path, every=5)
    assert 0 < len(filled) < len(communes)
    sheet = importer.read_sheet(filled_path)
    report = importer.validate(sheet, importer.guess_mapping(list(sheet.frame.columns)), resolver, now=NOW)
    assert report.issues == []
    assert sorted(report.records["unit_code"]) == sorted(filled)
    # a row with only its code and name filled in is no report, but one more value makes it one
    book = openpyxl.load_workbook(filled_path)
    unfilled_row = 3  # (3 - 2) % 5 != 0: left blank by _fill
    book[template.SHEET].cell(unfilled_row, len(template.TEMPLATE_FIELDS)).value = "chỉ ghi chú"
    book.save(filled_path)
    sheet = importer.read_sheet(filled_path)
    report = importer.validate(sheet, importer.guess_mapping(list(sheet.frame.columns)), resolver, now=NOW)
    assert [issue.row for issue in report.issues] == [unfilled_row]
    assert "thiếu thời điểm" in report.issues[0].message


def test_filled_template_round_trip_into_the_store(tmp_path, crosswalk, resolver):
    blank, filled_path = tmp_path / "mau.xlsx", tmp_path / "da-dien.xlsx"
    _write(blank, crosswalk, "01")
    filled = _fill(blank, filled_path)
    store = StatusStore(tmp_path / "status.sqlite")
    report, batch = importer.import_file(store, filled_path, resolver, imported_by="tỉnh 01", now=NOW)
    assert report.clean and batch is not None
    assert store.count_reports() == len(filled)
    state = store.state_as_of().set_index("unit_code")
    assert sorted(state.index) == sorted(filled)
    states = {choice: values._centre(choice) for choice in template.CENTRE_CHOICES}
    for code, (total, done, overdue, centre, gaps) in filled.items():
        row = state.loc[code]
        assert (row["tasks_total"], row["tasks_done"], row["tasks_overdue"]) == (total, done, overdue)
        assert row["centre_state"] == states[centre] and row["gaps"] == gaps
    expected_time = pd.Timestamp(WHEN, tz=LOCAL_TZ).tz_convert("UTC")
    assert (state["as_of"] == expected_time).all()
    assert store.batches()["source_sha256"].iloc[0] == report.sheet.sha256


def test_cli_template(tmp_path, crosswalk, capsys):
    out = tmp_path / "mau-bao-cao.xlsx"
    assert cli.main(["template", "--out", str(out), "--province", "1"]) == 0
    count = crosswalk.loc[crosswalk["new_province_code"] == "01", "new_code"].nunique()
    assert f"{count} xã" in capsys.readouterr().out
    sheet = importer.read_sheet(out)
    assert len(sheet.frame) == count and sheet.sheet_name == template.SHEET
    assert cli.main(["template", "--out", str(tmp_path / "x.xlsx"), "--province", "99"]) == 2
    assert "99" in capsys.readouterr().err and not (tmp_path / "x.xlsx").exists()


def test_import_page_offers_the_template_without_password(monkeypatch, tmp_path):
    """The import page has the template download (deferred: made when clicked) for every visitor."""
    from streamlit.testing.v1 import AppTest

    from lib.ui import cache

    monkeypatch.setenv("VNMAP_STATUS_DB", f"sqlite:///{tmp_path / 's.sqlite'}")
    monkeypatch.delenv("VNMAP_IMPORT_PASSWORD", raising=False)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180).run()
    at.switch_page("views/import_reports.py").run()
    assert not at.exception, at.exception
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    assert "Tải mẫu báo cáo (.xlsx)" in buttons and buttons["Tải mẫu báo cáo (.xlsx)"].deferred_file_id
    assert not at.file_uploader  # importing itself stays off without a password
    box = at.selectbox(key="status_template_province")
    assert box.options[0].startswith("Cả nước (3.321 xã)") and len(box.options) == 35
    box.select("01").run()
    assert not at.exception, at.exception
    # what the button serves: the template of the chosen province, importable as is
    data = cache.report_template("01")
    sheet = importer.read_sheet(data, name=template.file_name("01"))
    assert set(sheet.frame[template.HEADERS["province_code"]]) == {"01"}
    assert set(importer.guess_mapping(list(sheet.frame.columns)).columns) == set(template.TEMPLATE_FIELDS)


def test_template_saved_again_by_libreoffice_still_imports(tmp_path, crosswalk, resolver):
    """A reporter using LibreOffice: the filled template, opened and saved as XLSX by LibreOffice, keeps its
    data validation (LibreOffice parsed every rule) and still imports with zero issues and no mapping."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.fail("LibreOffice (soffice) is not installed: run `make system-deps`")
    blank, filled_path, out = tmp_path / "mau.xlsx", tmp_path / "da-dien.xlsx", tmp_path / "lo"
    _write(blank, crosswalk, "01")
    filled = _fill(blank, filled_path, every=2)
    run = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(filled_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr or run.stdout
    saved = out / filled_path.name
    sheet_xml = openpyxl.load_workbook(saved)[template.SHEET]
    kinds = sorted(rule.type for rule in sheet_xml.data_validations.dataValidation)
    assert kinds == ["custom", "custom", "date", "list", "whole"]
    sheet = importer.read_sheet(saved)
    report = importer.validate(sheet, importer.guess_mapping(list(sheet.frame.columns)), resolver, now=NOW)
    assert report.issues == [], report.render(limit=5)
    assert sorted(report.records["unit_code"]) == sorted(filled)
