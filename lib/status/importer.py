"""Import status sheets: read CSV/XLSX, map columns, then check (:mod:`lib.status.rowcheck`) and commit
(:mod:`lib.status.commit`); every public name of those parts is importable from here."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from lib.core.parse import NUMBER_RULE, STORE_INT_MAX  # noqa: F401 (re-exported)
from lib.core.vocab import LOCAL_TZ, REFORM_TEXT
from lib.data.i18n import format_int
from lib.io.headers import HEADER_SCAN_ROWS, locate_header, read_headers
from lib.io.sheets import (  # noqa: F401 (re-exported)
    Deadline,
    LimitError,
    ReadLimits,
    SheetError,
    check_file_size,
    read_grid,
    sheet_names,
    unique_names,
)
from lib.lookup.resolve import UnitResolver
from lib.status.commit import MAX_IMPORTER, MAX_SOURCE_NAME, AlreadyImported, already_imported, commit  # noqa: F401
from lib.status.reading import (  # noqa: F401 (re-exported)
    FIELDS,
    NUMBER_FIELDS,
    REPORT_VALUE_FIELDS,
    UNIT_FIELDS,
    Issue,
    Mapping,
    Sheet,
    ValidationReport,
)
from lib.status.rowcheck import validate
from lib.status.values import (  # noqa: F401 (re-exported)
    EARLIEST,
    FUTURE_TOLERANCE,
    MAX_TEXT_CHARS,
    parse_time,
)


# ---------------------------------------------------------------------- reading
def read_sheet(
    source: Path | bytes, *, name: str | None = None, sheet: str | int | None = None, deadline: Deadline | None = None
) -> Sheet:
    """Read a CSV or XLSX file into text cells (see :mod:`lib.io.sheets` for the accepted encodings).

    ``sheet`` picks an XLSX sheet by name or 0-based position (default: the first). The header
    row and a second header row under it are found by :func:`lib.io.headers.locate_header` (the
    row, among the first :data:`~lib.io.headers.HEADER_SCAN_ROWS`, that names the most known fields). Raises
    :class:`SheetError` for an empty file, a file that is not a spreadsheet, or legacy encodings.
    """
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), name or "tệp tải lên"
    else:
        path = Path(source)
        if not path.is_file():
            raise SheetError(f"Không tìm thấy tệp {path}")
        check_file_size(path.stat().st_size, name or path.name)
        data, name = path.read_bytes(), name or path.name
    digest = hashlib.sha256(data).hexdigest()
    grid = read_grid(data, name, sheet=sheet, deadline=deadline)
    raw = grid.cells.fillna("").astype(str).apply(lambda col: col.str.strip())
    raw = raw.loc[:, (raw != "").any(axis=0)]
    raw = raw[(raw != "").any(axis=1)]
    if raw.empty:
        raise SheetError(f"{name}: tệp không có ô nào có dữ liệu")
    header_pos, header, spans = locate_header(raw.head(HEADER_SCAN_ROWS + 1).values.tolist())
    header_pos += spans - 1
    frame = raw.iloc[header_pos + 1 :].copy()
    frame.columns = unique_names(header)
    if frame.empty:
        raise SheetError(f"{name}: chỉ có dòng tiêu đề, không có dòng dữ liệu nào")
    header_row = int(raw.index[header_pos]) + 1
    positions = [int(i) - header_row for i in frame.index]  # 0-based data positions relative to the header
    frame.index = pd.Index(positions)
    return Sheet(name=name, sha256=digest, frame=frame, header_row=header_row, sheet_name=grid.sheet_name)


# ---------------------------------------------------------------------- mapping
def guess_mapping(columns: list[str], *, keys: str = "auto") -> Mapping:
    """Map sheet headers (Vietnamese or English, any order) to fields.

    ``keys``: "new", "old" or "auto" (old when a header says "cũ"/"old" or a district column
    is present, since districts no longer exist after 1/7/2025). Headers are read by
    :func:`lib.io.headers.read_headers`; of two columns for one field the one on the units' side
    wins, else the first, and the other is left unrecognised.
    """
    if keys not in ("new", "old", "auto"):
        raise ValueError(f"keys must be 'new', 'old' or 'auto', not {keys!r}")
    side = None if keys == "auto" else keys == "old"
    reading = read_headers(columns, old=side, fields=tuple(FIELDS))
    mapping = Mapping(dict(reading.columns), unrecognised=reading.unrecognised)
    if keys == "auto":
        district = "district_name" in mapping.columns or "district_code" in mapping.columns
        keys = "old" if reading.old or district else "new"
    mapping.keys = keys
    return mapping


# ---------------------------------------------------------------------- import wizard (the status page's steps)
NO_COLUMN = "—"  # the choice "no column" in the page's column-mapping boxes
KEY_CHOICES = {
    "auto": "tự nhận biết",
    "new": f"đơn vị mới (từ {REFORM_TEXT})",
    "old": f"đơn vị cũ (trước {REFORM_TEXT})",
}


def column_choices(sheet: Sheet) -> list[str]:
    """The options of each column-mapping box: "no column", then every header of ``sheet``."""
    return [NO_COLUMN, *map(str, sheet.frame.columns)]


def mapping_choices(sheet: Sheet, guess: Mapping) -> dict[str, tuple[str, int]]:
    """{field: (Vietnamese label, index of the guessed column in :func:`column_choices`)} for every field."""
    choices = column_choices(sheet)
    return {f: (label, choices.index(guess.columns.get(f, NO_COLUMN))) for f, (label, _) in FIELDS.items()}


def mapping_from_choices(chosen: dict[str, str], keys: str) -> Mapping:
    """The :class:`Mapping` the user chose (fields left at "no column" are dropped)."""
    return Mapping({f: c for f, c in chosen.items() if c and c != NO_COLUMN}, keys)


def default_time(day: dt.date | None) -> dt.datetime | None:
    """Report time for rows without one: 00:00 Vietnam time on ``day`` (None when no day is given)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ) if day else None


def check_summary(report: ValidationReport) -> str:
    """One Vietnamese sentence on what validation found and what a commit would write (plain text)."""
    c = report.counts
    return (
        f"{format_int(sum(c.values()))} dòng — hợp lệ {format_int(c['valid'])}, "
        f"không rõ đơn vị {format_int(c['unknown'])}, nhiều khả năng {format_int(c['ambiguous'])}, "
        f"giá trị sai {format_int(c['invalid'])}. Sẽ ghi {format_int(len(report.records))} báo cáo."
    )


def commit_label(report: ValidationReport) -> str:
    """Text of the commit button."""
    return f"Ghi {format_int(report.counts['valid'])} dòng hợp lệ (bỏ các dòng lỗi)"


def import_file(
    store,
    source: Path | bytes,
    resolver: UnitResolver | Callable[[], UnitResolver],
    *,
    imported_by: str,
    name: str | None = None,
    sheet: str | int | None = None,
    keys: str = "auto",
    as_of: dt.datetime | None = None,
    now: dt.datetime | None = None,
    overrides: dict[str, str] | None = None,
    all_or_nothing: bool = False,
    dry_run: bool = False,
    force: bool = False,
) -> tuple[ValidationReport, int | None]:
    """Read, map, validate and (when something is valid) commit a file; returns (report, batch id or None).

    ``resolver`` may be a function that makes one, called once the file has been read.

    With ``all_or_nothing`` nothing is written unless every row is valid; with ``dry_run`` nothing is.
    """
    deadline = Deadline(what="nhập báo cáo")
    loaded = read_sheet(source, name=name, sheet=sheet, deadline=deadline)
    mapping = guess_mapping(list(loaded.frame.columns), keys=keys)
    for fieldname, column in (overrides or {}).items():
        if fieldname not in FIELDS:
            raise SheetError(f"trường “{fieldname}” không tồn tại (có: {', '.join(FIELDS)})")
        if column not in loaded.frame.columns:
            raise SheetError(f"{loaded.name}: không có cột “{column}”")
        mapping.columns[fieldname] = column
    if not isinstance(resolver, UnitResolver):
        resolver = resolver()
    report = validate(loaded, mapping, resolver, as_of=as_of, now=now, deadline=deadline)
    if dry_run or not report.ok or (all_or_nothing and not report.clean):
        return report, None
    return report, commit(store, report, imported_by=imported_by, force=force)
