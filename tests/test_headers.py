"""One header matcher: convert and the status importer read the same real-world headers the same way."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from lib import cli
from lib.io.headers import HEADER_SCAN_ROWS, match_header
from lib.lookup.convert import Converter, ConvertError, convert_file, detect_columns
from lib.lookup.resolve import UnitResolver
from lib.status import importer

DATA = Path(__file__).parent / "data" / "lookup"
# The cell written under each role (an old commune of the small crosswalk), by the column's header.
VALUES = {"code": "00001", "name": "Phường Phúc Xá", "district": "Quận Ba Đình", "province": "Thành phố Hà Nội"}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def converter() -> Converter:
    crosswalk = _read("crosswalk.csv")
    return Converter(UnitResolver(crosswalk, _read("new_communes.csv"), _read("new_provinces.csv")), crosswalk)


# (what it is, the rows above the data, {role: header as read}, marked old?)
# Roles: code, name, district, province; marked: True "cũ", False "mới", None not said.
HEADER_SETS = [
    ("planners' snake case", [["ma_xa", "ten_xa", "huyen", "tinh"]], ("ma_xa", "ten_xa", "huyen", "tinh"), None),
    ("upper case", [["MA_XA", "TEN_XA", "HUYEN", "TINH"]], ("MA_XA", "TEN_XA", "HUYEN", "TINH"), None),
    (
        "all marked old",
        [["Mã xã cũ", "Tên xã cũ", "Tên huyện cũ", "Tên tỉnh cũ"]],
        ("Mã xã cũ", "Tên xã cũ", "Tên huyện cũ", "Tên tỉnh cũ"),
        True,
    ),
    (
        "alternatives with slashes",
        [["Phường/Xã cũ", "Quận/Huyện cũ", "Tỉnh/Thành phố cũ"]],
        (None, "Phường/Xã cũ", "Quận/Huyện cũ", "Tỉnh/Thành phố cũ"),
        True,
    ),
    ("English", [["old_code", "old_name"]], ("old_code", "old_name", None, None), True),
    (
        "English, every level",
        [["old_code", "old_name", "old_district_name", "old_province_name"]],
        ("old_code", "old_name", "old_district_name", "old_province_name"),
        True,
    ),
    (
        "English field names",
        [["commune_code", "commune_name", "district_name", "province_name"]],
        ("commune_code", "commune_name", "district_name", "province_name"),
        None,
    ),
    (
        "official words",
        [["Mã ĐVHC", "Tên đơn vị hành chính cũ"]],
        ("Mã ĐVHC", "Tên đơn vị hành chính cũ", None, None),
        True,
    ),
    (
        "every type word",
        [["Xã/Phường/Thị trấn", "Quận/Huyện/Thị xã/Thành phố thuộc tỉnh", "TP/Tỉnh"]],
        (None, "Xã/Phường/Thị trấn", "Quận/Huyện/Thị xã/Thành phố thuộc tỉnh", "TP/Tỉnh"),
        None,
    ),
    ("hyphens", [["Mã-Xã", "Tên-Xã", "Tỉnh-TP"]], ("Mã-Xã", "Tên-Xã", None, "Tỉnh-TP"), None),
    (
        "no accents, title case",
        [["Ma Xa", "Ten Xa", "Quan Huyen", "Tinh Thanh Pho"]],
        ("Ma Xa", "Ten Xa", "Quan Huyen", "Tinh Thanh Pho"),
        None,
    ),
    (
        "marker in brackets, other columns around",
        [["STT", "Mã xã (cũ)", "Tên xã (trước sáp nhập)", "Ghi chú"]],
        ("Mã xã (cũ)", "Tên xã (trước sáp nhập)", None, None),
        True,
    ),
    (
        "old and new side by side",
        [["Mã xã cũ", "Tên xã cũ", "Mã xã mới", "Tên xã mới"]],
        ("Mã xã cũ", "Tên xã cũ", None, None),
        True,
    ),
    (
        "codes of the higher levels",
        [["Mã số xã", "Tên gọi xã", "Mã huyện", "Mã tỉnh"]],
        ("Mã số xã", "Tên gọi xã", "Mã huyện", "Mã tỉnh"),
        None,
    ),
    (
        "a title row and a blank row above the header",
        [["DANH SÁCH XÃ CẦN CHUYỂN ĐỔI", "", "", ""], ["", "", "", ""], ["ma_xa", "ten_xa", "huyen", "tinh"]],
        ("ma_xa", "ten_xa", "huyen", "tinh"),
        None,
    ),
    (
        "two-row header with merged cells",
        [["Xã cũ", "", "Huyện cũ", "Tỉnh cũ"], ["Mã", "Tên", "", ""]],
        ("Mã Xã cũ", "Tên Xã cũ", "Huyện cũ", "Tỉnh cũ"),
        True,
    ),
    (
        "header as low as the scan reaches",
        [[f"Dòng tiêu đề {i}", "", ""] for i in range(HEADER_SCAN_ROWS - 1)] + [["Mã xã", "Tên xã", "Tỉnh"]],
        ("Mã xã", "Tên xã", None, "Tỉnh"),
        None,
    ),
]
ROLES = ("code", "name", "district", "province")


def _sheet(rows: list[list[str]], roles: tuple[str | None, ...]) -> bytes:
    """A CSV: ``rows``, then one data row naming Phúc Xá in each role's column (other cells "x")."""
    by_header = {column: role for role, column in zip(ROLES, roles, strict=True) if column}
    width = max(len(r) for r in rows)
    data = []
    for i in range(width):
        read = _read_header(rows, i)
        data.append(VALUES[by_header[read]] if read in by_header else "x")
    buffer = io.StringIO()
    pd.DataFrame([*rows, data]).to_csv(buffer, header=False, index=False)
    return buffer.getvalue().encode("utf-8")


def _read_header(rows: list[list[str]], i: int) -> str:
    """The header column ``i`` is expected to be read as (the two-row case joins child and parent)."""
    if len(rows) == 2 and rows[1][0] == "Mã":
        parent = rows[0][i] or rows[0][i - 1]
        return f"{rows[1][i]} {parent}" if rows[1][i] else parent
    return rows[-1][i]


def _importer_roles(mapping: importer.Mapping) -> tuple[str | None, ...]:
    got = mapping.columns.get
    return (
        got("commune_code"),
        got("commune_name"),
        got("district_name") or got("district_code"),
        got("province_name") or got("province_code"),
    )


@pytest.mark.parametrize("what, rows, roles, old", HEADER_SETS, ids=[s[0] for s in HEADER_SETS])
def test_convert_and_the_importer_read_the_same_headers_alike(converter, what, rows, roles, old):
    data = _sheet(rows, roles)
    result = convert_file(data, "list.csv", converter)
    by_convert = tuple(getattr(result.columns, role) for role in ROLES)
    sheet = importer.read_sheet(data, name="list.csv")
    mapping = importer.guess_mapping(list(sheet.frame.columns))
    assert by_convert == roles
    assert _importer_roles(mapping) == roles
    # Old or new: the importer reads old units when a unit header says "cũ" (or districts are given);
    # convert reads old units always, and every row resolves to Phúc Xá through the columns it found.
    assert mapping.keys == ("old" if old or roles[2] else "new")
    assert result.table["old_code_matched"].tolist() == ["00001"], result.table["match_note"].tolist()


def test_headers_marked_new_are_not_taken_by_convert_and_make_the_importer_read_new_units(converter):
    data = "Mã xã mới,Tên xã mới,Tỉnh mới\n00004,Phường Ba Đình,Thành phố Hà Nội\n".encode()
    with pytest.raises(ConvertError, match="Không tìm thấy cột chỉ đơn vị cũ.*Mã xã mới, Tên xã mới, Tỉnh mới"):
        convert_file(data, "list.csv", converter)
    mapping = importer.guess_mapping(list(importer.read_sheet(data).frame.columns))
    assert mapping.keys == "new" and mapping.columns["commune_code"] == "Mã xã mới"


def test_past_the_scan_neither_reader_finds_the_header(converter):
    rows = [[f"Dòng tiêu đề {i}", "", ""] for i in range(HEADER_SCAN_ROWS)] + [["Mã xã", "Tên xã", "Tỉnh"]]
    data = _sheet(rows, ("Mã xã", "Tên xã", None, "Tỉnh"))
    with pytest.raises(ConvertError, match="Không tìm thấy cột chỉ đơn vị cũ"):
        convert_file(data, "list.csv", converter)
    mapping = importer.guess_mapping(list(importer.read_sheet(data).frame.columns))
    assert "commune_code" not in mapping.columns


def test_the_refusal_lists_the_columns_seen_and_the_names_accepted():
    with pytest.raises(ConvertError) as refused:
        detect_columns(["Họ tên", "Số điện thoại"])
    message = str(refused.value)
    assert "Các cột trong tệp: Họ tên, Số điện thoại" in message
    for accepted in ("“Mã xã”", "“Tên xã”", "“ma_xa”", "“Xã/Phường/Thị trấn”", "“Tỉnh/Thành phố”", "“Địa chỉ”"):
        assert accepted in message
    assert "cũ" in message and "gạch dưới" in message


def test_two_columns_claiming_one_field_are_refused_naming_both():
    with pytest.raises(ConvertError, match=r"các cột “Xã”, “Tên xã” cùng chỉ một thứ.*Các cột trong tệp: Xã, Tên xã"):
        detect_columns(["Xã", "Tên xã", "Tỉnh"])
    # Said by hand, the choice is made: no refusal.
    assert detect_columns(["Xã", "Tên xã", "Tỉnh"], overrides={"name": "Tên xã"}).name == "Tên xã"


def test_the_importer_without_a_unit_column_lists_the_names_accepted():
    crosswalk = _read("crosswalk.csv")
    resolver = UnitResolver(crosswalk, _read("new_communes.csv"), _read("new_provinces.csv"))
    sheet = importer.read_sheet("Họ tên,Tổng số nhiệm vụ,Ngày\nAn,3,20/11/2025\n".encode())
    with pytest.raises(importer.SheetError) as refused:
        importer.validate(sheet, importer.guess_mapping(list(sheet.frame.columns)), resolver)
    message = str(refused.value)
    assert "Họ tên" in message and "“Mã xã”" in message and "“ma_xa”" in message


@pytest.mark.parametrize(
    "header, field, old",
    [
        ("ma_xa", "commune_code", None),
        ("Mã xã (cũ)", "commune_code", True),
        ("Xã (trước 01/07/2025)", "commune_name", True),
        ("Tên xã sau ngày 1/7", "commune_name", False),
        ("new_code", "commune_code", False),
        ("Quận/Huyện/Thị xã", "district_name", None),
        ("Mã tỉnh/TP", "province_code", None),
        ("Tên đơn vị cấp xã", "commune_name", None),
        ("Tổng số nhiệm vụ", "tasks_total", None),
        ("tasks_total", "tasks_total", None),
        ("Địa chỉ cũ", "address", True),
        # Not unit columns: a row number, a level, a title, a unit's name in a data cell.
        ("ID", None, None),
        ("STT", None, None),
        ("Cấp xã", None, None),
        ("DANH SÁCH XÃ", None, None),
        ("Phường Phúc Xá", None, None),
    ],
)
def test_match_header(header, field, old):
    found = match_header(header)
    assert (found.field, found.old) == (field, old)


@pytest.mark.dataset
def test_cli_convert_reads_a_snake_case_header(tmp_path, capsys):
    source, out = tmp_path / "list.csv", tmp_path / "out.csv"
    source.write_text("ma_xa,ten_xa,huyen,tinh\n00001,Phúc Xá,Ba Đình,Hà Nội\n", encoding="utf-8")
    assert cli.main(["convert", str(source), "--out", str(out)]) == 0
    converted = pd.read_csv(out, dtype=str, encoding="utf-8-sig", comment=None)
    rows = converted[converted["match_quality"].notna() & converted["ma_xa"].notna()]
    assert rows["old_code_matched"].tolist() == ["00001"]
    assert re.search(r"\d", rows["new_code"].iloc[0])
