"""Tests of lib.io.sheets, the one reader of users' sheets, through both callers (convert and importer)."""

from __future__ import annotations

import pytest

from lib.io.sheets import SheetError, header_key, legacy_encoding, read_grid
from lib.lookup import convert
from lib.status import importer
from tests.test_convert import converter  # noqa: F401 (fixture)
from tests.test_importer import _cp1258

TEXT = "Mã xã,Tên xã,Tổng số nhiệm vụ,Đã hoàn thành\n00004,Phường Ngọc Hà,10,4\n"
# The same list in the three legacy encodings (TCVN3 and VNI have no Python codec: bytes written out).
CP1258 = _cp1258(TEXT)
TCVN3 = (
    b"M\xb8 x\xb8,T\xaan x\xb8,T\xe9ng s\xe8 nhi\xd6m v\xf5,\xa7\xb8 ho\xb5n th\xb5nh\n"
    b"00004,Ph\xad\xeang Ng\xe4c H\xb5,10,4\n"
)
VNI = (
    b"Ma\xf5 xa\xf5,Te\xe2n xa\xf5,To\xe5ng so\xe1 nhie\xe4m vu\xf5,\xd1a\xf5 hoa\xf8n tha\xf8nh\n"
    b"00004,Phu\xf6o\xf8ng Ngo\xf5c Ha\xf8,10,4\n"
)


@pytest.mark.parametrize(
    "header, key",
    [
        ("Mã xã", "ma xa"),
        ("  MÃ XÃ (cũ) ", "ma xa"),
        ("Tổng số nhiệm vụ", "tong so nhiem vu"),
        ("Quận/Huyện", "quan huyen"),
        ("old_code", "old_code"),
        ("Xã [ghi chú]", "xa"),
    ],
)
def test_header_key_folds_case_diacritics_punctuation_and_brackets(header, key):
    assert header_key(header) == key


@pytest.mark.parametrize("data, guess", [(CP1258, "Windows-1258"), (TCVN3, "TCVN3"), (VNI, "VNI")])
def test_legacy_encodings_are_refused_with_one_message_in_both_callers(converter, data, guess):  # noqa: F811
    with pytest.raises(SheetError) as by_convert:
        convert.convert_file(data, "ds.csv", converter)
    with pytest.raises(SheetError) as by_import:
        importer.read_sheet(data, name="ds.csv")
    message = str(by_convert.value)
    assert message == str(by_import.value)
    assert "dòng 1 không phải UTF-8" in message and "CSV UTF-8" in message and "Excel" in message
    assert "Windows-1258, TCVN3 hoặc VNI" in message
    assert legacy_encoding(data).startswith(f"có lẽ là {guess}")


def test_a_legacy_file_is_never_decoded_to_wrong_letters():
    for data in (CP1258, TCVN3, VNI):
        with pytest.raises(SheetError):
            read_grid(data, "x.csv")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-8"])
def test_utf16_and_utf8_are_read_alike_by_both_callers(converter, encoding):  # noqa: F811
    data = TEXT.replace(",", "\t").encode(encoding)
    table = convert.read_table(data, "ds.csv")
    sheet = importer.read_sheet(data, name="ds.csv")
    assert list(table.columns) == list(sheet.frame.columns) == ["Mã xã", "Tên xã", "Tổng số nhiệm vụ", "Đã hoàn thành"]
    assert table.iloc[0].tolist() == sheet.frame.iloc[0].tolist() == ["00004", "Phường Ngọc Hà", "10", "4"]
    result = convert.convert_file(data, "ds.csv", converter)
    assert result.table["match_quality"].tolist() == ["code"]


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "rỗng"),
        (b"%PDF-1.4\n", "PDF hoặc ảnh"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", r"Excel cũ \(\.xls"),
        (b"PK\x03\x04junk", ".xlsx hợp lệ"),
        (b'a,b\n"c,d\n', "dấu ngoặc kép mở ở dòng 2"),
    ],
)
def test_unreadable_files_give_the_same_message_in_both_callers(data, fragment):
    with pytest.raises(SheetError, match=fragment) as by_convert:
        convert.read_table(data, "f.csv")
    with pytest.raises(SheetError) as by_import:
        importer.read_sheet(data, name="f.csv")
    assert str(by_convert.value) == str(by_import.value)
