"""The one reader of users' spreadsheets (CSV and XLSX uploads, CLI inputs): bytes → a grid of text cells.

Encoding policy for CSV (the same for every caller):

- UTF-8, with or without BOM, and UTF-16 with a BOM are read;
- anything else that is not binary is refused, never guessed: the legacy Vietnamese
  encodings (Windows-1258, TCVN3/ABC, VNI) decode to plausible-looking wrong letters
  in one another, so the message names the likely one and says how to re-save the
  file as "CSV UTF-8" in Excel.

XLSX is read with openpyxl in read-only (streaming) mode. Every check of a file's size
or shape belongs in :func:`read_grid`, the single entry point.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lib.data.names import name_key

RESAVE_HINT = (
    "mở tệp bằng Excel, chọn Tệp → Lưu thành → “CSV UTF-8 (Comma delimited) (*.csv)” "
    "hoặc “Sổ làm việc Excel (*.xlsx)”, rồi tải lên lại"
)

# Legacy-encoding hints. Windows-1258 text decodes (cp1258, then NFC) to Vietnamese letters only;
# VNI writes a tone or hat as a byte after an ASCII vowel (a\xf8 = à, o\xe4 = ộ, d\xf1 = đ);
# TCVN3 (ABC) replaces the whole vowel by one byte (0xB8 á, 0xB5 à, 0xAD ư, 0xAE đ ...), usually after
# a consonant.
_VIET_LETTERS = frozenset(
    unicodedata.normalize("NFC", base + hat + tone)
    for base in "aeiouyAEIOUY"
    for hat in ("", "\u0302", "\u0306", "\u031b")
    for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
) | set("đĐ")
_VNI_LEAD = frozenset(b"aeiouyAEIOUYdD")
_TCVN3_BYTES = frozenset(range(0xA1, 0xFF))

_SIGNATURES = {
    b"%PDF-": "PDF",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_BRACKETS = re.compile(r"\(.*?\)|\[.*?\]")


class SheetError(ValueError):
    """The file cannot be read as a spreadsheet (or as the table a caller needs); the message says
    what is wrong, where (file, row, column) and what to do, in Vietnamese."""


@dataclass(frozen=True)
class Grid:
    """The cells of one sheet as text ("" when empty): frame row ``i`` is line/row ``i + 1`` of the file."""

    name: str
    cells: pd.DataFrame
    sheet_name: str | None = None


def header_key(text: object) -> str:
    """Matching key of a column header: brackets dropped, then :func:`lib.data.names.name_key` without
    removing unit-type words ("Mã xã (cũ)" → "ma xa", "Tổng số nhiệm vụ" → "tong so nhiem vu")."""
    return name_key(_BRACKETS.sub(" ", str(text)), strip_type=False)


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique: a repeated "Tên" becomes "Tên (2)", "Tên (3)" ..."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def read_grid(data: bytes, name: str, *, sheet: str | int | None = None) -> Grid:
    """Read CSV or XLSX ``data`` (file name ``name``, used in messages) into a :class:`Grid`.

    ``sheet`` picks an XLSX sheet by name or 0-based position (default: the first).
    Raises :class:`SheetError` for an empty file, a PDF or image, an old .xls, a broken
    .xlsx, a CSV that is not UTF-8/UTF-16 (see the module's encoding policy), or a CSV
    whose quotes do not close.
    """
    if not data.lstrip(b"\xef\xbb\xbf").strip():
        raise SheetError(f"{name}: tệp rỗng — hãy chọn một tệp CSV hoặc XLSX có dòng tiêu đề và dữ liệu")
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            raise SheetError(
                f"{name}: là tệp {kind} (PDF hoặc ảnh), không phải bảng tính — hãy chọn tệp .csv hoặc .xlsx"
            )
    if data.startswith(_OLE):
        raise SheetError(f"{name}: là tệp Excel cũ (.xls, Excel 97-2003), chưa được hỗ trợ — {RESAVE_HINT}")
    if data.startswith(_ZIP):
        cells, sheet_name = _read_xlsx(data, name, sheet)
        return Grid(name, cells, sheet_name)
    if Path(name).suffix.lower() in (".xlsx", ".xlsm"):
        raise SheetError(
            f"{name}: không phải tệp bảng tính .xlsx hợp lệ (có đuôi .xlsx nhưng nội dung không phải "
            f"Excel) — {RESAVE_HINT}"
        )
    return Grid(name, _read_csv(data, name))


def sheet_names(data: bytes) -> list[str]:
    """Names of the sheets of an XLSX file ([] for anything else)."""
    if not data.startswith(_ZIP):
        return []
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return []
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def decode_text(data: bytes, name: str) -> str:
    """The text of a CSV under the encoding policy of this module (see its docstring)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise SheetError(f"{name}: tệp đánh dấu UTF-16 nhưng nội dung hỏng — {RESAVE_HINT}") from None
    if b"\x00" in data[:4096]:
        raise SheetError(f"{name}: không phải bảng tính (CSV hoặc XLSX) — hãy chọn tệp .csv hoặc .xlsx")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise SheetError(
            f"{name}: dòng {line} không phải UTF-8 — tệp dùng bảng mã cũ ({legacy_encoding(data)}) — {RESAVE_HINT}"
        ) from None


def legacy_encoding(data: bytes) -> str:
    """A Vietnamese name for the legacy encoding ``data`` most likely uses (for messages only).

    The guess is never used to decode: the three encodings give the same bytes different letters.
    """
    sample = data[:65536]
    high = [i for i, byte in enumerate(sample) if byte >= 0x80]
    likely = ""
    if high:
        decoded = [
            ch for ch in unicodedata.normalize("NFC", sample.decode("cp1258", errors="replace")) if ord(ch) >= 0x80
        ]
        vni = sum(1 for i in high if i and (sample[i - 1] in _VNI_LEAD or sample[i - 1] >= 0x80)) / len(high)
        tcvn3 = sum(1 for i in high if sample[i] in _TCVN3_BYTES) / len(high)
        if decoded and sum(ch in _VIET_LETTERS for ch in decoded) / len(decoded) >= 0.95:
            likely = "Windows-1258"
        elif vni >= 0.8:
            likely = "VNI"
        elif tcvn3 >= 0.9 and vni < 0.6:
            likely = "TCVN3 (ABC)"
    legacy = "mã cũ Windows-1258, TCVN3 hoặc VNI"
    return f"có lẽ là {likely}; {legacy}" if likely else legacy


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    text = decode_text(data, name)
    sample = "\n".join(text.splitlines()[:20])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise SheetError(f"{name}: không đọc được như CSV ({err}) — kiểm tra dấu phân cách và dấu ngoặc kép") from None
    if rows and _unclosed_quote(text, delimiter):
        raise SheetError(
            f"{name}: không đọc được như CSV: dấu ngoặc kép mở ở dòng {_open_quote_line(text)} "
            "không được đóng — kiểm tra dấu ngoặc kép"
        )
    return _frame(rows)


def _unclosed_quote(text: str, delimiter: str) -> bool:
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as err:
        return "unexpected end of data" in str(err)
    return False


def _open_quote_line(text: str) -> int:
    line, inside = 1, False
    opened = 1
    for ch in text:
        if ch == '"':
            inside = not inside
            opened = line if inside else opened
        elif ch == "\n":
            line += 1
    return opened


def _read_xlsx(data: bytes, name: str, sheet: str | int | None) -> tuple[pd.DataFrame, str]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise SheetError(f"{name}: không phải tệp bảng tính .xlsx hợp lệ ({err}) — {RESAVE_HINT}") from None
    try:
        chosen = _choose_sheet(list(workbook.sheetnames), name, sheet)
        # Streaming from row 1, so that frame row i is sheet row i + 1 (empty rows kept).
        rows = [[_cell_text(v) for v in row] for row in workbook[chosen].iter_rows(min_row=1, values_only=True)]
    finally:
        workbook.close()
    return _frame(rows), chosen


def _choose_sheet(names: list[str], name: str, sheet: str | int | None) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) or str(sheet).isdigit():
        if int(sheet) >= len(names):
            raise SheetError(
                f"{name}: không có trang tính số {int(sheet) + 1} (tệp có {len(names)}: {', '.join(names)})"
            )
        return names[int(sheet)]
    if sheet in names:
        return str(sheet)
    raise SheetError(f"{name}: không có trang tính “{sheet}” (có: {', '.join(names)})")


def _frame(rows: list[list[str]]) -> pd.DataFrame:
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
