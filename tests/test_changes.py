"""The dated change log: parsing the catalogue's notes, amendments, and the units as of a date."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from lib.assemble import changes
from lib.data import asof, geodata

SOURCES = Path(__file__).resolve().parents[2] / "shared" / "sources"
BAC_NINH_12 = [
    "07294",
    "07375",
    "07399",
    "07444",
    "07840",
    "09193",
    "09292",
    "09313",
    "09319",
    "09454",
    "09475",
    "09496",
]


def kinds(parsed: changes.ParsedNote) -> list[str]:
    return [r["kind"] for r in parsed.records]


def test_reform_note_with_rename_merge_and_part():
    note = (
        "Đổi tên từ phường Trúc Bạch thành phường Ba Đình, hợp nhất phường Quán Thánh, phường Trúc Bạch, "
        "1 phần phường Kim Mã. Bỏ cấp huyện. Số: 1656/NQ-UBTVQH15; Ngày: 16/06/2025"
    )
    parsed = changes.parse_note("00004", note)
    assert not parsed.problems
    assert kinds(parsed) == ["reform", "rename", "merge", "boundary"]
    assert {r["effective_date"] for r in parsed.records} == {"2025-07-01"}
    assert {r["legal_basis"] for r in parsed.records} == {"1656/NQ-UBTVQH15"}
    assert {r["basis_date"] for r in parsed.records} == {"2025-06-16"}
    rename = parsed.records[1]
    assert (rename["old_value"], rename["new_value"]) == ("Trúc Bạch", "Ba Đình")
    assert rename["field"] == ""  # a reform-time change: never replayed by date
    assert "Kim Mã" in parsed.records[3]["detail"]


def test_typos_and_spacing():
    note = (
        "Đổi loại hình, đổi tên tè thị trấn Lim thành xã Tiên Du , hợp nhất thị trấn Lim, xã Nội Duệ."
        "  Bỏ cấp huyện.Số:1658 / NQ-UBTVQH15 ;Ngày : 16/6/2025"
    )
    parsed = changes.parse_note("09319", note)
    assert not parsed.problems
    by_kind = {r["kind"]: r for r in parsed.records}
    assert (by_kind["rename"]["old_value"], by_kind["rename"]["new_value"]) == ("Lim", "Tiên Du")
    assert (by_kind["type_change"]["old_value"], by_kind["type_change"]["new_value"]) == ("Thị trấn", "Xã")
    assert by_kind["reform"]["legal_basis"] == "1658/NQ-UBTVQH15"


def test_two_resolutions_in_one_note():
    note = (
        "Hợp nhất xã Yên Giả, xã Chi Lăng. Bỏ cấp huyện. Số: 1658/NQ-UBTVQH15; Ngày: 16/06/2025. "
        "Thành lập phường Chi Lăng từ xã Chi Lăng. Số: 388/NQ-UBTVQH16; Ngày: 04/08/2026"
    )
    parsed = changes.parse_note("09313", note)
    assert not parsed.problems
    assert kinds(parsed) == ["reform", "merge", "type_change"]
    reform, _, later = parsed.records
    assert (reform["effective_date"], reform["legal_basis"], reform["basis_from"]) == (
        "2025-07-01",
        "1658/NQ-UBTVQH15",
        "note",
    )
    assert later["effective_date"] == "2026-08-04"  # no stated date: the resolution's date
    assert (later["field"], later["old_value"], later["new_value"]) == ("type", "Xã", "Phường")
    assert later["legal_basis"] == "388/NQ-UBTVQH16"


def test_later_resolution_only_takes_the_province_reform_basis_and_stated_date():
    note = (
        "Hợp nhất xã Yên Giả, xã Chi Lăng. Bỏ cấp huyện. Thành lập Phường Chi Lăng từ xã Chi Lăng, "
        "có hiệu lực từ ngày 01/09/2026. Số: 388/NQ-UBTVQH16; Ngày: 04/08/2026"
    )
    parsed = changes.parse_note("09313", note, reform_basis=("1658/NQ-UBTVQH15", "2025-06-16"))
    assert not parsed.problems
    reform = parsed.records[0]
    assert (reform["legal_basis"], reform["basis_from"]) == ("1658/NQ-UBTVQH15", "province")
    later = parsed.records[-1]
    assert (later["kind"], later["effective_date"], later["basis_date"]) == ("type_change", "2026-09-01", "2026-08-04")


def test_establishment_with_another_name_is_also_a_rename():
    note = "Giữ nguyên. Bỏ cấp huyện. Thành lập phường Kép Mới từ xã Kép. Số: 388/NQ-UBTVQH16; Ngày: 04/08/2026"
    parsed = changes.parse_note("07399", note, reform_basis=("1658/NQ-UBTVQH15", "2025-06-16"))
    later = [r for r in parsed.records if r["effective_date"] == "2026-08-04"]
    assert [(r["field"], r["old_value"], r["new_value"]) for r in later] == [
        ("type", "Xã", "Phường"),
        ("name", "Kép", "Kép Mới"),
    ]


@pytest.mark.parametrize(
    "note, problem",
    [
        ("Hợp nhất xã A, xã B. Bỏ cấp huyện.", "no legal basis"),
        ("Hợp nhất xã A. Số: 1656/NQ-UBTVQH15; Ngày: 31/02/2025", "impossible date"),
        ("Một điều gì đó. Số: 388/NQ-UBTVQH16; Ngày: 04/08/2026", "no change found"),
    ],
)
def test_notes_that_cannot_be_read_are_reported(note, problem):
    parsed = changes.parse_note("00001", note)
    assert any(problem in p for p in parsed.problems)


def latest_fixture() -> tuple[pd.DataFrame, pd.DataFrame]:
    communes = pd.DataFrame({"code": ["00001", "00002"], "name": ["Kép", "Ba Đình"], "type": ["Phường", "Phường"]})
    log = pd.DataFrame(
        [
            {**dict.fromkeys(asof.CHANGE_COLUMNS, ""), "effective_date": "2025-07-01", "code": "00001"}
            | {"kind": "reform", "legal_basis": "1658/NQ-UBTVQH15", "basis_date": "2025-06-16"},
            {**dict.fromkeys(asof.CHANGE_COLUMNS, ""), "effective_date": "2025-07-01", "code": "00002"}
            | {"kind": "reform", "legal_basis": "1656/NQ-UBTVQH15", "basis_date": "2025-06-16"},
            {**dict.fromkeys(asof.CHANGE_COLUMNS, ""), "effective_date": "2026-08-04", "code": "00001"}
            | {"kind": "type_change", "field": "type", "old_value": "Xã", "new_value": "Phường"}
            | {"legal_basis": "388/NQ-UBTVQH16", "basis_date": "2026-08-04"},
        ]
    )
    return communes, log


def test_units_on_undoes_later_changes():
    communes, log = latest_fixture()
    before = asof.units_on(dt.date(2026, 8, 3), communes, log)
    assert before["full_name"].tolist() == ["Xã Kép", "Phường Ba Đình"]
    assert before["basis"].tolist() == ["1658/NQ-UBTVQH15 ngày 16/06/2025", "1656/NQ-UBTVQH15 ngày 16/06/2025"]
    after = asof.units_on("2026-08-04", communes, log)
    assert after["full_name"].tolist() == ["Phường Kép", "Phường Ba Đình"]
    assert after["basis"].iloc[0] == "388/NQ-UBTVQH16 ngày 04/08/2026"


@pytest.mark.parametrize("bad", ["2025-06-30", dt.date(2024, 1, 1), "30/06/2025", "hôm qua"])
def test_units_on_refuses_dates_before_the_reform(bad):
    communes, log = latest_fixture()
    with pytest.raises(asof.DateError):
        asof.units_on(bad, communes, log)


def write_amendments(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows, columns=changes.AMENDMENT_COLUMNS).to_csv(path, index=False)
    return path


def amendment(**values) -> dict:
    row = dict.fromkeys(changes.AMENDMENT_COLUMNS, "")
    row.update(effective_date="2026-10-01", code="00002", kind="rename", new_value="Ba Đình Mới")
    row.update(values)
    return row


def test_amendment_is_applied_and_dated(tmp_path):
    communes, log = latest_fixture()
    path = write_amendments(tmp_path / "a.csv", [amendment(legal_basis="999/NQ-UBTVQH16", basis_date="01/10/2026")])
    table = changes.read_amendments(path, set(communes["code"]))
    state, new_log = changes.apply_amendments(communes, log, table, path=path)
    assert state.loc[1, "name"] == "Ba Đình Mới"
    row = new_log[new_log["basis_from"] == "amendment"].iloc[0]
    assert (row["old_value"], row["basis_date"], row["field"]) == ("Ba Đình", "2026-10-01", "name")
    assert asof.units_on("2026-09-30", state, new_log)["name"].iloc[1] == "Ba Đình"
    assert asof.units_on("2026-10-01", state, new_log)["name"].iloc[1] == "Ba Đình Mới"


@pytest.mark.parametrize(
    "row, column",
    [
        (amendment(code="99999"), "code"),
        (amendment(effective_date="2026-13-01"), "effective_date"),
        (amendment(effective_date="2025-06-01"), "effective_date"),
        (amendment(kind="split"), "kind"),
        (amendment(kind="type_change", new_value="Thị trấn"), "new_value"),
        (amendment(field="type"), "field"),
        (amendment(new_value=""), "new_value"),
    ],
)
def test_malformed_amendment_names_file_row_and_column(tmp_path, row, column):
    communes, _ = latest_fixture()
    path = write_amendments(tmp_path / "bad.csv", [amendment(), row])
    with pytest.raises(changes.AmendmentError) as err:
        changes.read_amendments(path, set(communes["code"]))
    assert str(err.value).startswith(f"{path}, dòng 3, cột {column}:")


def test_amendment_with_a_wrong_old_value_is_refused(tmp_path):
    communes, log = latest_fixture()
    path = write_amendments(tmp_path / "a.csv", [amendment(old_value="Hoàn Kiếm")])
    table = changes.read_amendments(path, set(communes["code"]))
    with pytest.raises(changes.AmendmentError, match="dòng 2, cột old_value"):
        changes.apply_amendments(communes, log, table, path=path)


# The bundled dataset.


@pytest.fixture(scope="module")
def bundled():
    return geodata.load_new_communes(), asof.load_changes()


@pytest.mark.skipif(not SOURCES.is_dir(), reason="../shared/sources not present")
def test_today_equals_the_catalogue(bundled):
    from lib.assemble import sources

    communes, log = bundled
    catalogue = changes.catalogue_state(sources.read_nso_communes(SOURCES))
    today = asof.units_on(None, communes, log)
    assert len(today) == 3321
    got = today[["code", "name", "type"]].astype(str).values.tolist()
    assert got == catalogue.astype(str).values.tolist()


def test_the_12_bac_ninh_communes_by_date(bundled):
    communes, log = bundled
    january = asof.units_on("2026-01-01", communes, log).set_index("code").loc[BAC_NINH_12]
    assert set(january["type"]) == {"Xã"}
    assert january["legal_basis"].str.endswith("/NQ-UBTVQH15").all()
    august = asof.units_on("2026-08-04", communes, log).set_index("code").loc[BAC_NINH_12]
    assert set(august["type"]) == {"Phường"}
    assert set(august["basis"]) == {"388/NQ-UBTVQH16 ngày 04/08/2026"}
    assert (january["name"] == august["name"]).all()


def test_every_new_commune_has_a_legal_basis(bundled):
    communes, log = bundled
    state = asof.units_on("2025-07-01", communes, log)
    assert (state["legal_basis"] != "").all()
    assert set(log["kind"]) == set(asof.KINDS)
