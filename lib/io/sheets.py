"""The one reader of users' spreadsheets (CSV and XLSX uploads, CLI inputs): bytes → a grid of text cells.

Encoding policy for CSV (the same for every caller):

- UTF-8, with or without BOM, and UTF-16 with a BOM are read;
- anything else that is not binary is refused, never guessed: the legacy Vietnamese
  encodings (Windows-1258, TCVN3/ABC, VNI) decode to plausible-looking wrong letters
  in one another, so the message names the likely one and says how to re-save the
  file as "CSV UTF-8" in Excel.

XLSX is streamed from its sheet XML (never trusting ``<dimension>``): each part's declared and
actual inflated size, the rows, columns and cells are counted while reading and the read stops at
the first :class:`ReadLimits` bound. Every check of a file's size or shape belongs here, behind
:func:`read_grid`, the single entry point.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import posixpath
import re
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from xml.etree import ElementTree
from xml.parsers import expat

import pandas as pd

from lib.core.settings import ENV as SETTING_ENV
from lib.core.settings import Settings, settings
from lib.core.settings import read as read_settings
from lib.data.i18n import format_number
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


# ---------------------------------------------------------------------- limits
_DEFAULTS = Settings()


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on one file read by :func:`read_grid`; every one is enforced while reading, before memory grows.
    The layer bounds (features, vertices, problems listed) are enforced by :mod:`lib.io.layers`.

    Each has an environment variable (see :data:`LIMIT_ENV`), a setting of :mod:`lib.core.settings`; the
    defaults here are the settings' defaults.
    The worker's limits (memory, CPU seconds, and ``max_seconds`` as its wall time) bound the process
    that reads the file (:mod:`lib.io.sandbox`), whatever the file does.
    """

    max_bytes: int = _DEFAULTS.max_bytes  # the file as uploaded (CSV, or XLSX compressed)
    max_uncompressed: int = _DEFAULTS.max_uncompressed  # XLSX: the parts read (sheet, shared strings, styles), inflated
    max_rows: int = _DEFAULTS.max_rows
    max_columns: int = _DEFAULTS.max_columns
    max_cells: int = _DEFAULTS.max_cells  # rows × columns of the grid
    max_cell_chars: int = _DEFAULTS.max_cell_chars  # Excel's own limit of one cell
    max_row_chars: int = _DEFAULTS.max_row_chars
    max_text_chars: int = _DEFAULTS.max_text_chars  # all cells of the file together (shared strings counted as used)
    # distinct shared strings (their text counts in max_text_chars)
    max_shared_strings: int = _DEFAULTS.max_shared_strings
    # time budget of a conversion or an import (reading, checking, converting)
    max_seconds: float = _DEFAULTS.max_seconds
    worker_memory: int = _DEFAULTS.worker_memory_mb * 1024 * 1024  # address space the reading worker may add, bytes
    worker_cpu_seconds: float = _DEFAULTS.worker_cpu_seconds  # CPU time of the reading worker
    max_workers: int = _DEFAULTS.max_workers  # reading workers running at once in one server process (others wait)
    max_features: int = _DEFAULTS.max_features  # features of an uploaded layer (the largest real layer: 10,035)
    max_vertices: int = _DEFAULTS.max_vertices  # vertices of an uploaded layer, all features (real: at most 654,371)
    max_feature_vertices: int = _DEFAULTS.max_feature_vertices  # vertices of one feature (real: at most 14,712)
    max_problems: int = _DEFAULTS.max_problems  # problems of a layer listed on the page (then "… và N lỗi khác")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReadLimits:
        """The limits of the settings (:func:`lib.core.settings.settings`, or those ``environ`` gives); a value
        that is not a positive number raises :class:`lib.core.settings.SettingError` naming its variable."""
        given = settings() if environ is None else read_settings(environ)
        values = {attr: getattr(given, attr) for attr in LIMIT_ENV if attr != "worker_memory"}
        return cls(**values, worker_memory=given.worker_memory_mb * 1024 * 1024)


# Each limit's environment variable (for messages), from the settings registry.
LIMIT_ENV = {
    attr: SETTING_ENV["worker_memory_mb" if attr == "worker_memory" else attr]
    for attr in ReadLimits.__dataclass_fields__
}


class LimitError(SheetError):
    """A file is over one of the :class:`ReadLimits` (or a task over its time budget)."""

    transient = False  # True: due to the moment (a busy machine), not to the file


def format_mb(size: int) -> str:
    """``size`` bytes in MB for messages: "20 MB", "20,3 MB"."""
    return format_number(size / 1024 / 1024, 1).removesuffix(",0") + " MB"


SHEET_ADVICE = "Hãy chia nhỏ tệp, xoá các dòng/cột thừa (kể cả ô chỉ có định dạng) rồi lưu lại"


def limit_message(name: str, what: str, limit: str, attr: str, advice: str = SHEET_ADVICE) -> str:
    """The one wording of a refusal by a limit: the file, what it holds, the limit and its variable, what to do."""
    return (
        f"{name}: {what} — vượt giới hạn {limit} ({LIMIT_ENV[attr]}). {advice}; quản trị viên có thể nâng giới "
        f"hạn bằng biến môi trường {LIMIT_ENV[attr]}."
    )


def _limit_error(name: str, what: str, limit: str, attr: str) -> LimitError:
    return LimitError(limit_message(name, what, limit, attr))


def _transient(error: LimitError) -> LimitError:
    """Mark ``error`` as due to the moment (time on a busy machine), not to the file: not remembered as the
    file's answer (:func:`lib.io.sandbox.run_bounded`)."""
    error.transient = True
    return error


class Deadline:
    """The time budget of one task (:attr:`ReadLimits.max_seconds`), checked by the loops that may run long."""

    def __init__(self, limits: ReadLimits | None = None, *, what: str = "xử lý tệp") -> None:
        self.seconds = (limits or ReadLimits.from_env()).max_seconds
        self.what = what
        self._end = time.monotonic() + self.seconds

    def check(self, name: str) -> None:
        """Raise :class:`LimitError` once the budget is spent."""
        if time.monotonic() > self._end:
            raise _transient(
                LimitError(
                    f"{name}: {self.what} quá thời gian cho phép ({self.seconds:g} giây, {LIMIT_ENV['max_seconds']}) "
                    "— hãy chia nhỏ tệp rồi thử lại; quản trị viên có thể nâng giới hạn bằng biến môi trường "
                    f"{LIMIT_ENV['max_seconds']}."
                )
            )


def check_file_size(size: int, name: str, limits: ReadLimits | None = None) -> None:
    """Refuse a file of ``size`` bytes over :attr:`ReadLimits.max_bytes` (call before reading it)."""
    limits = limits or ReadLimits.from_env()
    if size > limits.max_bytes:
        raise _limit_error(name, f"tệp nặng {format_mb(size)}", f"{format_mb(limits.max_bytes)} mỗi tệp", "max_bytes")


class _Shape:
    """Counts rows, columns and cells while a grid grows, and stops at the first limit."""

    def __init__(self, name: str, limits: ReadLimits, deadline: Deadline) -> None:
        self.name, self.limits, self.deadline = name, limits, deadline
        self.rows = self.width = self.total = 0

    def row(self, number: int, width: int) -> None:
        limits = self.limits
        if number > limits.max_rows:
            raise _limit_error(
                self.name,
                f"có hơn {limits.max_rows:,} dòng".replace(",", "."),
                f"{limits.max_rows:,} dòng".replace(",", "."),
                "max_rows",
            )
        if width > limits.max_columns:
            raise _limit_error(
                self.name,
                f"dòng {number} có dữ liệu tới cột thứ {width:,}".replace(",", "."),
                f"{limits.max_columns} cột",
                "max_columns",
            )
        self.rows, self.width = number, max(self.width, width)
        if self.rows * self.width > limits.max_cells:
            raise _limit_error(
                self.name,
                f"bảng có hơn {limits.max_cells:,} ô (dòng × cột)".replace(",", "."),
                f"{limits.max_cells:,} ô".replace(",", "."),
                "max_cells",
            )
        if number % 4096 == 0:
            self.deadline.check(self.name)

    def cell_chars(self, chars: int, where: str) -> None:
        """Refuse a cell (``where``: "ô C5", "dòng 5, cột 3") once its text passes :attr:`ReadLimits.max_cell_chars`."""
        if chars > self.limits.max_cell_chars:
            raise _limit_error(
                self.name,
                f"{where} có hơn {_count(self.limits.max_cell_chars)} ký tự",
                f"{_count(self.limits.max_cell_chars)} ký tự mỗi ô",
                "max_cell_chars",
            )

    def row_chars(self, number: int, chars: int) -> None:
        """Count a row's characters (``chars``, the whole row) against the row and whole-file bounds."""
        if chars > self.limits.max_row_chars:
            raise _limit_error(
                self.name,
                f"dòng {number} có hơn {_count(self.limits.max_row_chars)} ký tự",
                f"{_count(self.limits.max_row_chars)} ký tự mỗi dòng",
                "max_row_chars",
            )
        self.text_chars(chars)

    def text_chars(self, chars: int, what: str = "nội dung chữ của tệp") -> None:
        """Add ``chars`` to the file's total text and refuse it past :attr:`ReadLimits.max_text_chars`."""
        self.total += chars
        if self.total > self.limits.max_text_chars:
            raise _limit_error(
                self.name,
                f"{what} dài hơn {_count(self.limits.max_text_chars)} ký tự",
                f"{_count(self.limits.max_text_chars)} ký tự mỗi tệp",
                "max_text_chars",
            )


def _count(number: int) -> str:
    return f"{number:,}".replace(",", ".")


# ---------------------------------------------------------------------- XLSX (streaming)
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)$")
_DATE_IDS = frozenset([*range(14, 23), 27, 30, 36, *range(45, 48), 50, 57])
_CHUNK = 1 << 16


class _Zip:
    """An XLSX package whose parts are read with their declared and actual inflated sizes bounded."""

    def __init__(self, data: bytes, name: str, limits: ReadLimits) -> None:
        self.name, self.limits = name, limits
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            raise SheetError(f"{name}: không phải tệp bảng tính .xlsx hợp lệ ({err}) — {RESAVE_HINT}") from None
        self.sizes = {info.filename: info.file_size for info in infos}
        self.read_total = 0

    def _too_big(self, size: int) -> LimitError:
        return _limit_error(
            self.name,
            f"khi giải nén, nội dung tệp lớn hơn {format_mb(size)}",
            f"{format_mb(self.limits.max_uncompressed)} sau giải nén",
            "max_uncompressed",
        )

    def has(self, part: str) -> bool:
        return part in self.sizes

    def chunks(self, part: str):
        """The inflated bytes of ``part`` in chunks; refuses before (declared size) and while (actual size)."""
        if part not in self.sizes:
            raise SheetError(f"{self.name}: tệp .xlsx thiếu phần {part} — {RESAVE_HINT}")
        if self.read_total + self.sizes[part] > self.limits.max_uncompressed:
            raise self._too_big(self.read_total + self.sizes[part])
        try:
            with self.zip.open(part) as stream:
                while chunk := stream.read(_CHUNK):
                    self.read_total += len(chunk)
                    if self.read_total > self.limits.max_uncompressed:
                        raise self._too_big(self.read_total)
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as err:
            raise SheetError(f"{self.name}: tệp .xlsx bị hỏng ({err}) — {RESAVE_HINT}") from None

    def parse(self, part: str, handler) -> None:
        """Stream ``part`` through expat into ``handler``'s ``start``/``end``/``text`` (no tree is built)."""
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler = handler.start, handler.end
        parser.CharacterDataHandler = handler.text
        try:
            for chunk in self.chunks(part):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as err:
            raise SheetError(f"{self.name}: phần {part} của tệp .xlsx hỏng ({err}) — {RESAVE_HINT}") from None

    def elements(self, part: str, tags: tuple[str, ...]) -> Iterator[ElementTree.Element]:
        """(event "end", element) of the ``tags`` of an XML part, streamed; the caller clears what it keeps."""
        parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(events=("end",))

        def ended() -> Iterator[tuple[str, ElementTree.Element]]:
            # "end" events only: each item is an element (typeshed types every event kind's item)
            return cast("Iterator[tuple[str, ElementTree.Element]]", parser.read_events())

        try:
            for chunk in self.chunks(part):
                parser.feed(chunk)
                for _, element in ended():
                    if element.tag in tags:
                        yield element
            parser.close()
            for _, element in ended():
                if element.tag in tags:
                    yield element
        except ElementTree.ParseError as err:
            raise SheetError(f"{self.name}: phần {part} của tệp .xlsx hỏng ({err}) — {RESAVE_HINT}") from None


def _part_path(target: str) -> str:
    target = target.lstrip("/")
    return target if target.startswith("xl/") else posixpath.normpath(posixpath.join("xl", target))


def _workbook(package: _Zip) -> tuple[list[tuple[str, str]], bool]:
    """[(sheet name, part path)] in workbook order, and whether dates count from 1904."""
    targets = {
        rel.get("Id"): _part_path(rel.get("Target", ""))
        for rel in package.elements("xl/_rels/workbook.xml.rels", (f"{_PKG_REL}Relationship",))
    }
    sheets, date1904 = [], False
    for element in package.elements("xl/workbook.xml", (f"{_NS}sheet", f"{_NS}workbookPr")):
        if element.tag == f"{_NS}workbookPr":
            date1904 = element.get("date1904", "0").lower() in ("1", "true")
        else:
            sheets.append((element.get("name", ""), targets.get(element.get(f"{_REL_NS}id"), "")))
    if not sheets:
        raise SheetError(f"{package.name}: tệp .xlsx không có trang tính nào — {RESAVE_HINT}")
    return sheets, date1904


def _shared_strings(package: _Zip, shape: _Shape) -> list[str]:
    if not package.has("xl/sharedStrings.xml"):
        return []
    reader = _StringsReader(shape)
    package.parse("xl/sharedStrings.xml", reader)
    return reader.strings


class _StringsReader:
    """Expat handlers for sharedStrings.xml: each ``<si>``'s text (runs joined, phonetic ``<rPh>`` left out),
    bounded per string (:attr:`ReadLimits.max_cell_chars`), in number and in total characters."""

    def __init__(self, shape: _Shape) -> None:
        self.shape = shape
        self.strings: list[str] = []
        self.parts: list[str] | None = None
        self.length = self.total = self.phonetic = 0
        self.inside_text = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag = tag.rpartition(":")[2]
        if tag == "si":
            self.parts, self.length = [], 0
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "t":
            self.inside_text = self.parts is not None and not self.phonetic

    def text(self, data: str) -> None:
        if self.inside_text and self.parts is not None:
            self.parts.append(data)
            self.length += len(data)
            self.shape.cell_chars(self.length, f"chuỗi chữ dùng chung số {len(self.strings) + 1}")

    def end(self, tag: str) -> None:
        tag = tag.rpartition(":")[2]
        if tag == "t":
            self.inside_text = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "si" and self.parts is not None:
            self.strings.append("".join(self.parts))
            self.parts = None
            self.total += self.length
            limits = self.shape.limits
            if len(self.strings) > limits.max_shared_strings:
                raise _limit_error(
                    self.shape.name,
                    f"có hơn {_count(limits.max_shared_strings)} chuỗi chữ dùng chung (sharedStrings)",
                    f"{_count(limits.max_shared_strings)} chuỗi",
                    "max_shared_strings",
                )
            if self.total > limits.max_text_chars:
                raise _limit_error(
                    self.shape.name,
                    f"các chuỗi chữ dùng chung (sharedStrings) dài hơn {_count(limits.max_text_chars)} ký tự",
                    f"{_count(limits.max_text_chars)} ký tự mỗi tệp",
                    "max_text_chars",
                )


def _date_styles(package: _Zip) -> list[bool]:
    """Per cell style index: whether its number format shows a date (Excel serial dates become dates)."""
    if not package.has("xl/styles.xml"):
        return []
    from openpyxl.styles.numbers import is_date_format

    custom: dict[int, str] = {}
    styles: list[bool] = []
    for element in package.elements("xl/styles.xml", (f"{_NS}numFmt", f"{_NS}cellXfs")):
        if element.tag == f"{_NS}numFmt":
            custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
            continue
        for xf in element.findall(f"{_NS}xf"):
            fid = int(xf.get("numFmtId", "0"))
            styles.append(fid in _DATE_IDS or (fid in custom and is_date_format(custom[fid])))
        element.clear()
    return styles


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _serial_text(value: float, date1904: bool) -> str | None:
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    try:
        stamp = epoch + dt.timedelta(days=value)
    except OverflowError:
        return None
    stamp = stamp.replace(microsecond=0) + dt.timedelta(seconds=round(stamp.microsecond / 1e6))
    return stamp.strftime("%Y-%m-%d %H:%M:%S")


def _number_text(text: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return str(int(number)) if number.is_integer() else str(number)


def _read_xlsx(
    data: bytes, name: str, sheet: str | int | None, limits: ReadLimits, deadline: Deadline
) -> tuple[pd.DataFrame, str]:
    """The chosen sheet streamed from its XML: ``<dimension>`` ignored, rows/columns/cells counted as they come."""
    package = _Zip(data, name, limits)
    sheets, date1904 = _workbook(package)
    chosen = _choose_sheet([s for s, _ in sheets], name, sheet)
    part = dict(sheets)[chosen]
    shape = _Shape(name, limits, deadline)
    strings = _shared_strings(package, shape)
    dates = _date_styles(package)
    reader = _SheetReader(shape, strings, dates, date1904)
    package.parse(part, reader)
    rows, uncached = reader.rows, reader.uncached
    if uncached:
        shown = ", ".join(uncached[:8]) + (" …" if len(uncached) > 8 else "")
        raise SheetError(
            f"{name}: {len(uncached)} ô có công thức nhưng chưa có giá trị đã tính ({shown}) — tệp được tạo bởi "
            "một chương trình không tính công thức. Hãy mở tệp bằng Excel hoặc LibreOffice, lưu lại (để công "
            "thức được tính), hoặc sao chép rồi “Dán giá trị”, sau đó tải lên lại"
        )
    return _frame(rows), chosen


class _SheetReader:
    """Expat handlers that turn a sheet's XML into rows of text as it streams (no tree is built)."""

    def __init__(self, shape: _Shape, strings: list[str], dates: list[bool], date1904: bool) -> None:
        self.shape, self.strings, self.dates, self.date1904 = shape, strings, dates, date1904
        self.rows: list[list[str]] = []
        self.uncached: list[str] = []
        self.cells: list[str] = []
        self.number = self.row_length = self.buffer_length = 0
        self.buffer: list[str] | None = None
        self.cell: tuple[str, str, str] = ("", "n", "")
        self.value: str | None = None
        self.inline: str | None = None
        self.formula = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag = tag.rpartition(":")[2]
        if tag == "c":
            self.cell = (attrs.get("r", ""), attrs.get("t", "n"), attrs.get("s", ""))
            self.value = self.inline = None
            self.formula = False
        elif tag == "v" or (tag == "t" and self.cell[1] == "inlineStr"):
            self.buffer, self.buffer_length = [], len(self.inline or "")
        elif tag == "f":
            self.formula = True
        elif tag == "row":
            self.number = int(attrs.get("r") or self.number + 1)
            self.shape.row(self.number, 0)
            self.cells, self.row_length = [], 0

    def text(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)
            self.buffer_length += len(data)
            if self.buffer_length > self.shape.limits.max_cell_chars:
                self.shape.cell_chars(self.buffer_length, f"ô {self.cell[0] or f'dòng {self.number}'}")

    def end(self, tag: str) -> None:
        tag = tag.rpartition(":")[2]
        if tag == "v" and self.buffer is not None:
            self.value, self.buffer = "".join(self.buffer), None
        elif tag == "t" and self.buffer is not None:
            self.inline, self.buffer = (self.inline or "") + "".join(self.buffer), None
        elif tag == "c":
            self._cell()
        elif tag == "row":
            self.shape.row(self.number, len(self.cells))
            self.shape.row_chars(self.number, self.row_length)
            while len(self.rows) < self.number - 1:
                self.rows.append([])
            self.rows.append(self.cells)
            self.cells = []

    def _cell(self) -> None:
        ref, kind, style = self.cell
        match = _CELL_REF.match(ref)
        column = _column_number(match.group(1)) if match else len(self.cells) + 1
        if column > self.shape.limits.max_columns:
            self.shape.row(self.number, column)
        text = self._value(kind, style)
        if text is None:
            self.uncached.append(ref or f"{self.number}:{column}")
        elif text:
            self.cells.extend([""] * (column - 1 - len(self.cells)))
            self.cells.append(text)
            self.row_length += len(text)
            if self.row_length > self.shape.limits.max_row_chars:
                self.shape.row_chars(self.number, self.row_length)

    def _value(self, kind: str, style: str) -> str | None:
        """The text of the current cell; None for a formula without a cached value."""
        value = self.value
        if kind == "inlineStr":
            return self.inline or ""
        if not value:
            return None if self.formula else ""
        if kind == "s":
            try:
                return self.strings[int(value)]
            except (ValueError, IndexError):
                return ""
        if kind == "b":
            return "True" if value.strip() in ("1", "true") else "False"
        if kind == "n":
            index = int(style) if style.isdigit() else 0
            if index < len(self.dates) and self.dates[index]:
                try:
                    return _serial_text(float(value), self.date1904) or value
                except ValueError:
                    return value
            return _number_text(value)
        return value  # str (a formula's text result), e (an error such as #REF!), d (an ISO date)


def sheet_names(data: bytes, name: str = "tệp") -> list[str]:
    """Names of the sheets of an XLSX file ([] for anything else), read in a bounded worker."""
    if not data.startswith(_ZIP):
        return []
    from lib.io import sandbox

    limits = ReadLimits.from_env()
    check_file_size(len(data), name, limits)
    try:
        key = sandbox.file_key(data, "sheets", limits)
        return sandbox.run_bounded(_sheet_names, data, limits, name=name, limits=limits, key=key)
    except SheetError:
        return []


def _sheet_names(data: bytes, limits: ReadLimits) -> list[str]:
    return [s for s, _ in _workbook(_Zip(data, "", limits))[0]]


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


def read_grid(
    data: bytes,
    name: str,
    *,
    sheet: str | int | None = None,
    limits: ReadLimits | None = None,
    deadline: Deadline | None = None,
) -> Grid:
    """Read CSV or XLSX ``data`` (file name ``name``, used in messages) into a :class:`Grid`.

    ``sheet`` picks an XLSX sheet by name or 0-based position (default: the first).
    Raises :class:`SheetError` for an empty file, a PDF or image, an old .xls, an HTML page saved
    as .xls, a broken .xlsx, formulas without computed values, a CSV that is not UTF-8/UTF-16 (see
    the module's encoding policy), or a CSV whose quotes do not close; :class:`LimitError` for a
    file over one of ``limits`` (default :meth:`ReadLimits.from_env`), checked while reading. The file
    is read in a worker process under the memory, CPU and wall-time limits (:mod:`lib.io.sandbox`).
    """
    from lib.io import sandbox

    limits = limits or ReadLimits.from_env()
    check_file_size(len(data), name, limits)
    key = sandbox.file_key(data, "grid", name, sheet, limits)
    return sandbox.run_bounded(_read_grid, data, name, sheet, limits, deadline, name=name, limits=limits, key=key)


def _read_grid(data: bytes, name: str, sheet: str | int | None, limits: ReadLimits, deadline: Deadline | None) -> Grid:
    """:func:`read_grid`'s work, in the worker."""
    deadline = deadline or Deadline(limits)
    if not data.lstrip(b"\xef\xbb\xbf").strip():
        raise SheetError(f"{name}: tệp rỗng — hãy chọn một tệp CSV hoặc XLSX có dòng tiêu đề và dữ liệu")
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            raise SheetError(
                f"{name}: là tệp {kind} (PDF hoặc ảnh), không phải bảng tính — hãy chọn tệp .csv hoặc .xlsx"
            )
    if data.startswith(_OLE):
        raise SheetError(f"{name}: là tệp Excel cũ (.xls, Excel 97-2003), chưa được hỗ trợ — {RESAVE_HINT}")
    web = _web_page(data)
    if web:
        raise SheetError(
            f"{name}: là {web} được lưu với đuôi {Path(name).suffix or '(không đuôi)'}, không phải bảng tính Excel "
            f"thật (thường do phần mềm xuất “Excel” dạng trang web) — {RESAVE_HINT}"
        )
    if data.startswith(_ZIP):
        cells, sheet_name = _read_xlsx(data, name, sheet, limits, deadline)
        return Grid(name, cells, sheet_name)
    if Path(name).suffix.lower() in (".xlsx", ".xlsm"):
        raise SheetError(
            f"{name}: không phải tệp bảng tính .xlsx hợp lệ (có đuôi .xlsx nhưng nội dung không phải "
            f"Excel) — {RESAVE_HINT}"
        )
    return Grid(name, _read_csv(data, name, _Shape(name, limits, deadline)))


_WEB_PAGE = re.compile(
    rb"^\s*(<!doctype\s+html|<html|<table|<\?xml[^>]*>\s*(<\?mso|<workbook)|<head|<body|<meta)", re.I
)


def _web_page(data: bytes) -> str:
    """ "một trang web (HTML)" / "một tệp XML Spreadsheet 2003" when ``data`` is one, else ""."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:8192].decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    match = _WEB_PAGE.match(head)
    if not match:
        return ""
    return "một tệp XML Spreadsheet 2003" if match.group(0).lstrip().startswith(b"<?") else "một trang web (HTML)"


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


DELIMITERS = ",;\t|"


def delimiter(text: str, *, lines: int = 20, chars: int = 65536) -> str:
    """The separator of a CSV, decided in one pass over its first ``lines`` lines (at most ``chars``
    characters): of the candidates found outside quotes on the header line, the one whose count is the
    same on the most following lines, then the one found more often on the header line, then the first
    of , ; tab |. A comma when the header line has none. Linear in the sample: no sniffing that can
    backtrack on hostile text (``csv.Sniffer`` takes tens of seconds on 64 KB of ``,"``)."""
    counts: list[dict[str, int]] = []
    current = dict.fromkeys(DELIMITERS, 0)
    inside = filled = False
    for ch in text[:chars]:
        if ch == '"':
            inside, filled = not inside, True
        elif inside:
            continue
        elif ch == "\n":
            if filled:
                counts.append(current)
                if len(counts) >= lines:
                    break
            current, filled = dict.fromkeys(DELIMITERS, 0), False
        elif ch in current:
            current[ch] += 1
            filled = True
        elif ch != "\r":
            filled = True
    else:
        if filled:
            counts.append(current)
    if not counts:
        return ","
    header = counts[0]

    def score(candidate: str) -> tuple[bool, int, int]:
        n = header[candidate]
        return n > 0, sum(1 for line in counts[1:] if line[candidate] == n), n

    best = max(DELIMITERS, key=score)
    return best if header[best] else ","


def _read_csv(data: bytes, name: str, shape: _Shape) -> pd.DataFrame:
    text = decode_text(data, name)
    separator = delimiter(text)
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    previous = csv.field_size_limit(shape.limits.max_cell_chars)  # a longer field is a csv.Error (worker-local)
    try:
        for number, row in enumerate(reader, start=1):
            shape.row(number, len(row))
            shape.row_chars(number, sum(len(cell) for cell in row))
            rows.append(row)
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            shape.cell_chars(shape.limits.max_cell_chars + 1, f"dòng {reader.line_num}")
        raise SheetError(f"{name}: không đọc được như CSV ({err}) — kiểm tra dấu phân cách và dấu ngoặc kép") from None
    finally:
        csv.field_size_limit(previous)
    if rows and _unclosed_quote(text, separator):
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
