"""Tests of lib.lookup.convert: reading uploads, finding columns, resolving old units, every bad input."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lib.io.export import ExportInfo
from lib.lookup.convert import (
    OUTPUT_COLUMNS,
    Converter,
    ConvertError,
    conversion_bytes,
    convert_file,
    detect_columns,
    parse_address,
    read_table,
)
from lib.lookup.resolve import UnitResolver

DATA = Path(__file__).parent / "data" / "lookup"
INFO = ExportInfo(version="test-1234", date=dt.date(2025, 7, 1))


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def converter() -> Converter:
    crosswalk = _read("crosswalk.csv")
    return Converter(UnitResolver(crosswalk, _read("new_communes.csv"), _read("new_provinces.csv")), crosswalk)


def _csv(text: str, *, bom: bool = True) -> bytes:
    return text.encode("utf-8-sig" if bom else "utf-8")


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- reading and columns
def test_csv_and_xlsx_are_read_as_text_keeping_zeros():
    csv_table = read_table(_csv("Mã xã;Tên xã\n00001;Phường Phúc Xá\n"), "list.csv")
    assert csv_table.to_dict("records") == [{"Mã xã": "00001", "Tên xã": "Phường Phúc Xá"}]
    xlsx_table = read_table(
        _xlsx([["Mã xã", "Tên xã"], ["00001", "Phường Phúc Xá"], [7, "Phường Cống Vị"]]), "list.xlsx"
    )
    assert xlsx_table["Mã xã"].tolist() == ["00001", "7"]


@pytest.mark.parametrize(
    "headers, expected",
    [
        (["STT", "Mã xã", "Tên xã"], {"code": "Mã xã", "name": "Tên xã"}),
        (
            ["Xã/Phường", "Quận/Huyện", "Tỉnh/Thành phố"],
            {"name": "Xã/Phường", "district": "Quận/Huyện", "province": "Tỉnh/Thành phố"},
        ),
        (["TEN XA", "huyen", "TINH"], {"name": "TEN XA", "district": "huyen", "province": "TINH"}),
        (["Họ tên", "Địa chỉ"], {"address": "Địa chỉ"}),
        (["old_code", "old_name"], {"code": "old_code", "name": "old_name"}),
    ],
)
def test_columns_are_found_by_header(headers, expected):
    columns = detect_columns(headers)
    assert {role: getattr(columns, role) for role in expected} == expected
    assert sum(
        getattr(columns, role) is not None for role in ("code", "name", "district", "province", "address")
    ) == len(expected)


def test_overrides_win_and_bad_overrides_are_named():
    assert detect_columns(["A", "B"], overrides={"name": "B"}).name == "B"
    with pytest.raises(ConvertError, match="Không có cột “C”.*A, B"):
        detect_columns(["A", "B"], overrides={"name": "C"})
    with pytest.raises(ConvertError, match="Vai trò cột không hợp lệ “ward”"):
        detect_columns(["A", "B"], overrides={"ward": "A"})


# ---------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"", "list.csv", "rỗng"),
        (b"  \r\n \n", "list.csv", "rỗng"),
        (_csv("Tên xã,Huyện\n"), "list.csv", "không có dòng dữ liệu"),
        (_csv("Tên xã,Huyện\n,\n,\n"), "list.csv", "không có dòng dữ liệu"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "photo.png", "không phải bảng tính"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00", "anim.gif", "không phải bảng tính"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "old.xls", "Excel cũ"),
        (b"this is not a zip", "list.xlsx", "không phải tệp bảng tính .xlsx hợp lệ"),
        (b"PK\x03\x04broken zip", "list.xlsx", "không phải tệp bảng tính .xlsx hợp lệ"),
        (_csv('Tên xã,Huyện\n"Phường Phúc Xá,Ba Đình\n'), "list.csv", "không đọc được như CSV.*dòng 2"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(converter, data, filename, message):
    with pytest.raises(ConvertError, match=message):
        convert_file(data, filename, converter)


def test_wrong_columns_are_refused_listing_the_columns_found(converter):
    with pytest.raises(ConvertError, match="Không tìm thấy cột chỉ đơn vị cũ.*Họ tên, Số điện thoại"):
        convert_file(_csv("Họ tên,Số điện thoại\nAn,0901\n"), "people.csv", converter)


@pytest.mark.parametrize(
    "data", [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", b"\xff\xd8\xff\xe0\x00\x10JFIF"]
)
def test_a_pdf_or_image_is_not_taken_for_a_list(converter, data):
    with pytest.raises(ConvertError, match="PDF hoặc ảnh"):
        convert_file(data, "danh_sach.csv", converter)


def test_title_rows_above_the_header_are_skipped(converter):
    data = _xlsx(
        [
            ["DANH SÁCH XÃ CẦN CHUYỂN ĐỔI"],
            [],
            ["STT", "Tên xã", "Quận/Huyện", "Tỉnh"],
            [1, "Phường Phúc Xá", "Ba Đình", "Hà Nội"],
            [2, "Phường 2", "Quận 5", "Hồ Chí Minh"],
        ]
    )
    result = convert_file(data, "ds.xlsx", converter)
    assert result.columns.name == "Tên xã" and result.columns.district == "Quận/Huyện"
    assert result.table["old_code_matched"].tolist() == ["00001", "27307"]
    assert result.table["STT"].tolist() == [1, 2]


def test_mixed_levels_are_flagged_row_by_row(converter):
    text = (
        "Mã xã,Tên xã,Tỉnh\n"
        "00001,,\n"  # old commune by code
        "001,,\n"  # a district code (3 digits)
        "01,,\n"  # a province code
        ",Quận Ba Đình,Hà Nội\n"  # a district by name
        ",Tỉnh Tiền Giang,\n"  # a province by name
        ",Phường Chợ Quán,Hồ Chí Minh\n"  # a NEW commune, not an old one
        ",Huyện Côn Đảo,\n"
    )  # an island district: a real old unit
    result = convert_file(_csv(text), "mixed.csv", converter)
    quality = result.table["match_quality"].tolist()
    assert quality == ["code", "wrong_level", "wrong_level", "wrong_level", "wrong_level", "wrong_level", "name"]
    assert result.table.loc[6, "new_code"] == "26732"
    notes = result.problems.set_index("input_row")["match_note"]
    assert "mã huyện/tỉnh" in notes[2] and "không phải xã" in notes[4] and "là xã mới" in notes[6]
    assert result.counts == {"code": 1, "wrong_level": 5, "name": 1}


# ---------------------------------------------------------------- conversion
def test_names_with_district_and_province_resolve(converter):
    table = pd.DataFrame(
        {
            "Tên xã": [unicodedata.normalize("NFD", "Phường Phúc Xá"), "phuong 1", "Xã Tân Phú"],
            "Huyện": ["Ba Đình", "Quận 5", "Thị xã Cai Lậy"],
            "Tỉnh": ["Hà Nội", "TP HCM", "Tiền Giang"],
        }
    )
    result = converter.convert(table)
    out = result.table
    assert list(out.columns) == ["Tên xã", "Huyện", "Tỉnh", *OUTPUT_COLUMNS]
    assert out["match_quality"].tolist() == ["name"] * 3
    assert out["old_code_matched"].tolist() == ["00001", "27301", "28459"]
    assert out["new_code"].tolist() == ["00097", "27301", "28400"]
    assert out["new_province_name"].tolist() == ["Thành phố Hà Nội", "Thành phố Hồ Chí Minh", "Tỉnh Đồng Tháp"]
    assert result.match_rate == 1.0 and result.problems.empty


def test_split_commune_lists_every_candidate_never_one_default(converter):
    result = converter.convert(pd.DataFrame({"Mã xã": ["7", "00007"]}))
    row = result.table.iloc[0]
    assert (row["match_quality"], row["new_count"], row["new_code"]) == ("code", 2, "00008; 00025")
    assert row["new_name"] == "Phường Ngọc Hà; Phường Giảng Võ" and row["part"] == "part; part"
    assert "chia cho 2 xã mới" in row["match_note"]
    expanded = converter.convert(pd.DataFrame({"Mã xã": ["7", "00001"]}), expand=True).table
    assert expanded["new_code"].tolist() == ["00008", "00025", "00097"]
    assert expanded["input_row"].tolist() == [1, 1, 2]


def test_ambiguous_name_lists_candidates_and_no_new_commune(converter):
    result = converter.convert(pd.DataFrame({"Tên xã": ["Phường 1", "Xã Tân Phú"]}))
    out = result.table
    assert out["match_quality"].tolist() == ["ambiguous", "ambiguous"]
    assert out.loc[0, "old_code_matched"] == "26734; 27301" and out.loc[0, "new_code"] == ""
    assert "hãy ghi thêm huyện" in out.loc[0, "match_note"]
    assert result.match_rate == 0.0 and len(result.problems) == 2


def test_unknown_and_empty_rows_are_summarised(converter):
    table = pd.DataFrame({"Tên xã": ["Xã Không Có", None, "Phường Phúc Xá"], "Tỉnh": ["Hà Nội", None, "Hà Nội"]})
    result = converter.convert(table)
    assert result.table["match_quality"].tolist() == ["unknown", "empty", "name"]
    summary = result.summary().set_index("match_quality")["rows"]
    assert (summary["unknown"], summary["empty"], summary["name"], summary["ambiguous"]) == (1, 1, 1, 0)
    assert result.given_rows == 2 and result.match_rate == 0.5
    assert result.problems["input_row"].tolist() == [1, 2]


def test_bad_code_falls_back_to_the_name(converter):
    result = converter.convert(pd.DataFrame({"Mã xã": ["99999", "abc"], "Tên xã": ["Phường Phúc Xá", ""]}))
    assert result.table["match_quality"].tolist() == ["name", "unknown"]
    assert "không phải là số" in result.table.loc[1, "match_note"]


def test_a_name_contradicting_the_code_is_pointed_out(converter):
    table = pd.DataFrame({"Mã xã": ["00001", "00001", "1"], "Tên xã": ["Phường Trúc Bạch", "phuc xa", ""]})
    out = converter.convert(table).table
    assert out["match_quality"].tolist() == ["code"] * 3 and out["new_code"].tolist() == ["00097"] * 3
    assert "khác tên của mã 00001" in out.loc[0, "match_note"]
    assert out.loc[1, "match_note"] == "" and out.loc[2, "match_note"] == ""


def test_input_columns_named_like_output_columns_are_kept(converter):
    result = converter.convert(pd.DataFrame({"Mã xã": ["00001"], "new_code": ["mine"]}))
    assert result.table.loc[0, "new_code (gốc)"] == "mine" and result.table.loc[0, "new_code"] == "00097"


# ---------------------------------------------------------------- addresses
@pytest.mark.parametrize(
    "address, expected",
    [
        (
            "Số 5, phường Phúc Xá, quận Ba Đình, Hà Nội",
            {"commune": "phường Phúc Xá", "district": "quận Ba Đình", "province": "Hà Nội"},
        ),
        ("Phúc Xá, Ba Đình, Hà Nội", {"commune": "Phúc Xá", "district": "Ba Đình", "province": "Hà Nội"}),
        (
            "123 Nguyễn Trãi, P. 2, Q.5, TP. HCM",
            {"commune": "Phường 2", "district": "Quận 5", "province": "Thành phố HCM"},
        ),
        (
            "Thôn 3, xã Tân Phú, TX Cai Lậy, tỉnh Tiền Giang",
            {"commune": "xã Tân Phú", "district": "Thị xã Cai Lậy", "province": "tỉnh Tiền Giang"},
        ),
        ("Phường Phúc Xá, Ba Đình", {"commune": "Phường Phúc Xá", "district": "Ba Đình"}),
        (
            "Phường 1 - Quận 5 - Thành phố Hồ Chí Minh",
            {"commune": "Phường 1", "district": "Quận 5", "province": "Thành phố Hồ Chí Minh"},
        ),
        (
            "Số 1, Phường Văn Miếu - Quốc Tử Giám, Quận Đống Đa, Hà Nội",
            {"commune": "Phường Văn Miếu - Quốc Tử Giám", "district": "Quận Đống Đa", "province": "Hà Nội"},
        ),
        (
            "Phường 1, Thành phố Vũng Tàu, Tỉnh Bà Rịa - Vũng Tàu",
            {"commune": "Phường 1", "district": "Thành phố Vũng Tàu", "province": "Tỉnh Bà Rịa - Vũng Tàu"},
        ),
    ],
)
def test_parse_address(address, expected):
    known = {"Hà Nội", "Tiền Giang"}
    assert parse_address(address, is_province=lambda text: text in known) == expected


def test_addresses_are_converted(converter):
    table = pd.DataFrame(
        {
            "Địa chỉ": [
                "Số 5, phường Phúc Xá, quận Ba Đình, Hà Nội",
                "P. 2, Q. 5, TP. HCM",
                "Phúc Xá, Ba Đình, Hà Nội",
                "Quận Ba Đình, Hà Nội",
                "Số 5 phố Hàng Bạc",
            ]
        }
    )
    out = converter.convert(table).table
    assert out["match_quality"].tolist() == ["address", "address", "address", "wrong_level", "unknown"]
    assert out["new_code"].tolist()[:3] == ["00097", "27301", "00097"]


# ---------------------------------------------------------------- outputs
def test_outputs_read_back(converter):
    result = convert_file(_csv("Mã xã,Ghi chú\n00007,đầu tiên\n00001,\n001,\n"), "list.csv", converter)
    back = pd.read_csv(
        io.BytesIO(conversion_bytes(result, "csv", INFO)), dtype=str, encoding="utf-8-sig", keep_default_na=False
    )
    assert back["Mã xã"].tolist() == ["00007", "00001", "001"] and back["Ghi chú"][0] == "đầu tiên"
    assert back["new_code"].tolist() == ["00008; 00025", "00097", ""]
    book = openpyxl.load_workbook(io.BytesIO(conversion_bytes(result, "xlsx", INFO)))
    assert book.sheetnames == ["converted", "problems", "summary", "about"]
    assert book["converted"]["A2"].value == "00007" and book["converted"].freeze_panes == "A2"
    about = {row[1]: row[2] for row in book["about"].iter_rows(values_only=True) if row[0] == "converted"}
    assert about["Ghi chú"] == "column of the uploaded file, unchanged" and "split" in about["new_count"]
    with pytest.raises(ValueError, match="csv or xlsx"):
        conversion_bytes(result, "geojson", INFO)


def test_numbers_stay_numbers_and_codes_stay_text_in_both_outputs(converter):
    data = _csv(
        "STT,Mã xã,Dân số,Diện tích,Mã huyện,Số điện thoại,Ghi chú\n"
        "1,00007,1200,1.5,001,0901234567,a\n2,00001,,2.25,002,0912345678,7\n10,00097,900,3,003,,b\n"
    )
    result = convert_file(data, "list.csv", converter)
    table = result.table
    assert table["STT"].tolist() == [1, 2, 10] and str(table["STT"].dtype) == "Int64"
    assert table["Dân số"].tolist()[::2] == [1200, 900] and pd.isna(table["Dân số"][1])
    assert table["Diện tích"].tolist() == [1.5, 2.25, 3.0]
    for text in ("Mã xã", "Mã huyện", "Số điện thoại", "Ghi chú"):
        assert all(isinstance(v, str) or pd.isna(v) for v in table[text]), text
    back = pd.read_csv(
        io.BytesIO(conversion_bytes(result, "csv", INFO)), dtype=str, encoding="utf-8-sig", keep_default_na=False
    )
    assert back["STT"].tolist() == ["1", "2", "10"] and back["Dân số"].tolist() == ["1200", "", "900"]
    assert back["Mã xã"].tolist() == ["00007", "00001", "00097"] and back["Mã huyện"][0] == "001"
    sheet = openpyxl.load_workbook(io.BytesIO(conversion_bytes(result, "xlsx", INFO)))["converted"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    first = dict(zip(header, rows[1], strict=False))
    assert first["STT"] == 1 and first["Dân số"] == 1200 and first["Diện tích"] == 1.5
    assert first["Mã xã"] == "00007" and first["Mã huyện"] == "001" and first["Số điện thoại"] == "0901234567"
    assert dict(zip(header, rows[2], strict=False))["Ghi chú"] == "7"  # a mixed column stays text


def test_converter_from_the_crosswalk_alone_gives_the_same_answers(converter):
    table = pd.DataFrame(
        {
            "Tên xã": ["Phường Phúc Xá", "Phường 1", "Phường Chợ Quán", "Quận 5", "Cống Vị"],
            "Tỉnh": ["Hà Nội", "", "Hồ Chí Minh", "", "Hà Nội"],
        }
    )
    alone = Converter.from_crosswalk(_read("crosswalk.csv")).convert(table).table
    pd.testing.assert_frame_equal(alone, converter.convert(table).table)


# ---------------------------------------------------------------- the committed dataset
@pytest.mark.dataset
def test_every_gso_old_commune_resolves_by_names_and_the_cli_writes_the_file(tmp_path):
    from lib.cli import main
    from lib.data import geodata

    crosswalk = geodata.load_crosswalk()
    communes = crosswalk[crosswalk["old_level"].eq("commune")].drop_duplicates("old_code")
    table = pd.DataFrame(
        {"Tên xã": communes["old_name"], "Huyện": communes["old_district_name"], "Tỉnh": communes["old_province_name"]}
    )
    source = tmp_path / "gso.csv"
    table.to_csv(source, index=False, encoding="utf-8-sig")
    out = tmp_path / "gso_converted.csv"
    assert main(["convert", str(source), "--out", str(out)]) == 0
    back = pd.read_csv(out, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert len(back) == 10035 and set(back["match_quality"]) == {"name"}
    assert back["old_code_matched"].tolist() == communes["old_code"].tolist()
    targets = crosswalk.groupby("old_code")["new_code"].agg("; ".join)
    assert back["new_code"].tolist() == targets.loc[communes["old_code"]].tolist()


@pytest.mark.dataset
def test_cli_export_and_convert_errors(tmp_path, capsys):
    from lib.cli import main

    out = tmp_path / "hn.csv"
    assert main(["export", "crosswalk", "--province", "01", "--format", "csv", "--out", str(out)]) == 0
    back = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert set(back["new_province_code"]) == {"01"} and back["old_code"].str.len().eq(5).all()
    assert main(["export", "crosswalk", "--province", "99", "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 2
    assert not (tmp_path / "x.csv").exists()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["convert", str(empty), "--out", str(tmp_path / "y.csv")]) == 2
    assert "rỗng" in capsys.readouterr().err and not (tmp_path / "y.csv").exists()
