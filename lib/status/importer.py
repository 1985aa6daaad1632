"""Import status sheets: read CSV/XLSX, map columns, resolve units, validate values, commit to the store."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from lib.core.vocab import GAP_LABELS, LOCAL_TZ
from lib.data.i18n import format_int
from lib.data.names import name_key
from lib.io.sheets import (  # noqa: F401 (re-exported)
    Deadline,
    LimitError,
    ReadLimits,
    SheetError,
    check_file_size,
    header_key,
    read_grid,
    sheet_names,
    unique_names,
)
from lib.lookup.resolve import RESOLVED, Match, UnitResolver
from lib.status.store import describe_revocation

# Canonical fields a sheet may carry, with the headers (as ``name_key(..., strip_type=False)``)
# that denote them. Headers naming old units ("cũ", "old", "trước sáp nhập") are detected apart.
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "level": ("Cấp", ("cap", "cap hanh chinh", "level", "unit level", "cap don vi")),
    "province_code": (
        "Mã tỉnh",
        ("ma tinh", "ma tinh thanh pho", "ma tinh tp", "ma tp", "province code", "province id", "ma tinh thanh"),
    ),
    "province_name": (
        "Tỉnh, thành phố",
        (
            "tinh",
            "tinh thanh pho",
            "tinh tp",
            "ten tinh",
            "tinh thanh",
            "ten tinh thanh pho",
            "province",
            "province name",
            "thanh pho",
        ),
    ),
    "district_code": ("Mã huyện", ("ma huyen", "ma quan huyen", "ma qh", "district code", "district id")),
    "district_name": (
        "Quận, huyện",
        ("huyen", "quan huyen", "ten huyen", "ten quan huyen", "district", "district name", "quan huyen thi xa"),
    ),
    "commune_code": (
        "Mã xã",
        (
            "ma xa",
            "ma xa phuong",
            "ma phuong xa",
            "ma don vi",
            "ma dvhc",
            "ma",
            "commune code",
            "code",
            "unit code",
            "ward code",
            "ma xa phuong dac khu",
        ),
    ),
    "commune_name": (
        "Xã, phường, đặc khu",
        (
            "xa",
            "ten xa",
            "xa phuong",
            "phuong xa",
            "ten xa phuong",
            "ten don vi",
            "don vi",
            "xa phuong dac khu",
            "ten xa phuong dac khu",
            "commune",
            "commune name",
            "ward",
            "unit",
            "unit name",
            "name",
            "ten",
        ),
    ),
    "as_of": (
        "Thời điểm báo cáo",
        (
            "ngay",
            "ngay bao cao",
            "thoi diem",
            "thoi diem bao cao",
            "ngay cap nhat",
            "cap nhat luc",
            "thoi gian",
            "thoi gian cap nhat",
            "as of",
            "as_of",
            "date",
            "report date",
            "reported at",
            "updated at",
            "timestamp",
        ),
    ),
    "tasks_total": (
        "Tổng số nhiệm vụ",
        (
            "tong so nhiem vu",
            "so nhiem vu",
            "tong nhiem vu",
            "nhiem vu",
            "nhiem vu duoc giao",
            "so nhiem vu duoc giao",
            "tasks total",
            "total tasks",
            "tasks",
            "tasks_total",
            "assigned tasks",
            "total",
        ),
    ),
    "tasks_done": (
        "Đã hoàn thành",
        (
            "da hoan thanh",
            "hoan thanh",
            "so nhiem vu hoan thanh",
            "nhiem vu hoan thanh",
            "so da hoan thanh",
            "tasks done",
            "done",
            "completed",
            "tasks_done",
            "tasks completed",
        ),
    ),
    "tasks_overdue": (
        "Quá hạn",
        (
            "qua han",
            "nhiem vu qua han",
            "so qua han",
            "so nhiem vu qua han",
            "tasks overdue",
            "overdue",
            "tasks_overdue",
        ),
    ),
    "centre_state": (
        "Trung tâm phục vụ HCC",
        (
            "trung tam",
            "trung tam phuc vu hanh chinh cong",
            "trung tam phuc vu hcc",
            "tinh trang trung tam",
            "trang thai trung tam",
            "tthcc",
            "trung tam hcc",
            "centre",
            "center",
            "service centre",
            "service center",
            "centre state",
            "centre status",
            "center status",
            "centre_state",
        ),
    ),
    "gaps": (
        "Còn thiếu",
        ("con thieu", "thieu", "ton tai", "kho khan", "han che", "gaps", "centre gaps", "missing", "ton tai han che"),
    ),
    "gap_signature": (
        "Thiếu chữ ký số",
        (
            "chu ky so",
            "thieu chu ky so",
            "chung thu so",
            "thieu chung thu so",
            "digital signature",
            "signature certificates",
        ),
    ),
    "gap_bank": ("Thiếu tài khoản", ("tai khoan", "thieu tai khoan", "tai khoan ngan hang", "bank account")),
    "gap_payment": (
        "Chưa kết nối cổng thanh toán",
        ("cong thanh toan", "ket noi cong thanh toan", "chua ket noi cong thanh toan", "payment portal"),
    ),
    "gap_equipment": ("Thiếu thiết bị", ("thiet bi", "thieu thiet bi", "trang thiet bi", "equipment")),
    "note": ("Ghi chú", ("ghi chu", "note", "notes", "remarks", "comment")),
}
UNIT_FIELDS = ("province_code", "province_name", "district_code", "district_name", "commune_code", "commune_name")
NUMBER_FIELDS = ("tasks_total", "tasks_done", "tasks_overdue")
# Fields that make a row a report: a row naming a unit with none of these filled is skipped like a blank row.
REPORT_VALUE_FIELDS = ("as_of", *NUMBER_FIELDS, "centre_state", "gaps", *GAP_LABELS, "note")
_OLD_WORDS = re.compile(r"\b(cu|old|truoc sap nhap|truoc 1 7 2025|former)\b")
_NEW_WORDS = re.compile(r"\b(moi|new|sau sap nhap)\b")
_HEADER_KEYS = {syn: fieldname for fieldname, (_, syns) in FIELDS.items() for syn in syns}

CENTRE_VALUES = {
    "operating": (
        "hoat dong",
        "dang hoat dong",
        "da hoat dong",
        "hoat dong tot",
        "hoat dong on dinh",
        "operating",
        "co",
        "yes",
        "x",
        "1",
        "binh thuong",
        "ok",
    ),
    "gaps": (
        "hoat dong con thieu",
        "hoat dong co thieu",
        "con thieu",
        "co thieu",
        "han che",
        "hoat dong han che",
        "chua day du",
        "hoat dong chua day du",
        "operating with gaps",
        "gaps",
        "partial",
        "mot phan",
    ),
    "not_operating": (
        "chua hoat dong",
        "khong hoat dong",
        "dung hoat dong",
        "ngung hoat dong",
        "not operating",
        "khong",
        "no",
        "0",
    ),
    "unknown": ("", "khong ro", "chua ro", "unknown", "na", "n a", "-", "chua co thong tin"),
}
_CENTRE_LOOKUP = {value: state for state, values in CENTRE_VALUES.items() for value in values}
_TRUE = {"x", "co", "yes", "true", "1", "thieu", "chua", "chua co", "v"}
_FALSE = {"", "khong", "no", "false", "0", "du", "da co", "-"}
LEVEL_VALUES = {
    "tinh": "province",
    "thanh pho": "province",
    "province": "province",
    "tinh thanh pho": "province",
    "xa": "commune",
    "phuong": "commune",
    "dac khu": "commune",
    "commune": "commune",
    "ward": "commune",
    "xa phuong": "commune",
    "xa phuong dac khu": "commune",
}
# New units exist from 1 July 2025 (Vietnam time): a report before that cannot be about them.
EARLIEST = pd.Timestamp("2025-07-01", tz=LOCAL_TZ)
FUTURE_TOLERANCE = dt.timedelta(minutes=10)
_DATE_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
)


ENV_PASSWORD = "VNMAP_IMPORT_PASSWORD"
SECRET_PASSWORD = "import_password"


def import_password(secrets: object = None) -> str | None:
    """The import credential: ``$VNMAP_IMPORT_PASSWORD``, else ``secrets["import_password"]``; None = importing off.

    ``secrets`` is a mapping such as ``st.secrets`` (a missing secrets file counts as unset).
    """
    value = os.environ.get(ENV_PASSWORD, "")
    if value:
        return value
    if secrets is None:
        return None
    try:
        value = secrets.get(SECRET_PASSWORD)  # type: ignore[attr-defined]
    except (FileNotFoundError, KeyError):
        return None
    return str(value) if value else None


def password_ok(given: str | None, expected: str | None) -> bool:
    """True when a credential is set and ``given`` equals it (constant-time comparison)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


LOCKOUT_FREE = 3  # failures allowed without waiting
LOCKOUT_AFTER = 10  # failures (within LOCKOUT_SECONDS) that lock the import out
LOCKOUT_SECONDS = 15 * 60
_log = logging.getLogger("vnmap.import")


class PasswordGuard:
    """Slows down, then locks out, repeated wrong import passwords, per key (a session, a client address).

    After :data:`LOCKOUT_FREE` failures each further attempt must wait 2, 4, 8 … seconds (at most 60);
    after :data:`LOCKOUT_AFTER` failures the key is locked for :data:`LOCKOUT_SECONDS`. Failures are
    logged (never the password). One guard is shared by all sessions (``lib.ui.cache.password_guard``);
    ``clock`` is injectable for tests.
    """

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def wait(self, keys: list[str]) -> float:
        """Seconds before ``keys`` may try again (0: now)."""
        now = self._clock()
        with self._lock:
            return max((self._wait(key, now) for key in keys), default=0.0)

    def _wait(self, key: str, now: float) -> float:
        times = [t for t in self._failures.get(key, []) if now - t < LOCKOUT_SECONDS]
        self._failures[key] = times
        if len(times) >= LOCKOUT_AFTER:
            return times[-LOCKOUT_AFTER] + LOCKOUT_SECONDS - now
        if len(times) < LOCKOUT_FREE:
            return 0.0
        return max(0.0, times[-1] + min(60.0, 2.0 ** (len(times) - LOCKOUT_FREE + 1)) - now)

    def check(self, given: str | None, expected: str | None, keys: list[str]) -> tuple[bool, str]:
        """(accepted, Vietnamese message): refuses without comparing while ``keys`` must wait."""
        if not given:
            return False, ""
        waiting = self.wait(keys)
        if waiting > 0:
            locked = self.failures(keys) >= LOCKOUT_AFTER
            what = "Đã khoá nhập dữ liệu do nhập sai mật khẩu nhiều lần" if locked else "Nhập sai nhiều lần"
            return False, f"{what}: hãy thử lại sau {math.ceil(waiting)} giây."
        if password_ok(given, expected):
            with self._lock:
                for key in keys:
                    self._failures.pop(key, None)
            return True, ""
        with self._lock:
            now = self._clock()
            for key in keys:
                self._failures.setdefault(key, []).append(now)
        count = self.failures(keys)
        _log.warning(
            "import password refused (%s): %d failure(s) in %d min", ", ".join(keys), count, LOCKOUT_SECONDS // 60
        )
        return False, "Sai mật khẩu." + (" Các lần thử tiếp theo sẽ phải chờ." if count >= LOCKOUT_FREE else "")

    def failures(self, keys: list[str]) -> int:
        """Recent failures of the worst of ``keys``."""
        with self._lock:
            return max((len(self._failures.get(key, [])) for key in keys), default=0)


@dataclass(frozen=True)
class Sheet:
    """A sheet read from a file: its cells as text, and where the header was found."""

    name: str
    sha256: str
    frame: pd.DataFrame
    header_row: int = 1  # 1-based row of the header in the file
    sheet_name: str | None = None

    def file_row(self, position: int) -> int:
        """1-based row in the file of data row ``position`` (0-based)."""
        return self.header_row + 1 + position


@dataclass
class Mapping:
    """Which sheet column holds each field, and whether the unit columns name old or new units."""

    columns: dict[str, str] = field(default_factory=dict)
    keys: str = "new"  # "new" or "old"
    unrecognised: list[str] = field(default_factory=list)

    def missing(self, *, has_default_as_of: bool) -> list[str]:
        """Fields that must be mapped before the sheet can be validated (Vietnamese labels)."""
        out = []
        if not any(f in self.columns for f in UNIT_FIELDS):
            out.append("mã hoặc tên đơn vị (xã hoặc tỉnh)")
        if not any(f in self.columns for f in ("tasks_total", "centre_state", "gaps", *GAP_LABELS)):
            out.append("số nhiệm vụ hoặc tình trạng trung tâm")
        if "as_of" not in self.columns and not has_default_as_of:
            out.append("thời điểm báo cáo (cột hoặc tuỳ chọn --as-of)")
        return out


@dataclass(frozen=True)
class Issue:
    """One problem found in a sheet, with its place (file row and column)."""

    kind: str  # "unknown" | "ambiguous" | "invalid" | "duplicate"
    row: int | None
    column: str | None
    message: str
    candidates: tuple[str, ...] = ()

    def render(self, file_name: str) -> str:
        where = [file_name]
        if self.row is not None:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f"cột “{self.column}”")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class ValidationReport:
    """What validating a sheet found: per-row outcome, every issue, and the rows ready to store."""

    sheet: Sheet
    mapping: Mapping
    rows: pd.DataFrame  # row, status, level, key (resolved code), message
    issues: list[Issue]
    records: pd.DataFrame  # lib.status.store.REPORT_COLUMNS, one per (valid row, new unit)

    @property
    def counts(self) -> dict[str, int]:
        """Rows per status: valid, ambiguous, unknown, invalid (blank rows are not counted)."""
        counts = self.rows["status"].value_counts()
        return {s: int(counts.get(s, 0)) for s in ("valid", "ambiguous", "unknown", "invalid")}

    @property
    def ok(self) -> bool:
        """True when at least one row is valid."""
        return self.counts["valid"] > 0

    @property
    def clean(self) -> bool:
        """True when every row is valid."""
        return self.ok and not self.issues

    def issues_frame(self) -> pd.DataFrame:
        """The issues as a table (for display and export)."""
        return pd.DataFrame(
            [
                {
                    "kind": i.kind,
                    "row": i.row,
                    "column": i.column or "",
                    "message": i.message,
                    "candidates": ", ".join(i.candidates),
                }
                for i in self.issues
            ],
            columns=["kind", "row", "column", "message", "candidates"],
        )

    def render(self, *, limit: int = 50) -> str:
        """A text report for the command line."""
        c = self.counts
        lines = [
            f"{self.sheet.name}: {sum(c.values())} dòng — hợp lệ {c['valid']}, không rõ đơn vị {c['unknown']}, "
            f"nhiều khả năng {c['ambiguous']}, giá trị sai {c['invalid']}; "
            f"{len(self.records)} báo cáo sẽ ghi cho đơn vị mới (mã {'cũ' if self.mapping.keys == 'old' else 'mới'})"
        ]
        lines += [issue.render(self.sheet.name) for issue in self.issues[:limit]]
        if len(self.issues) > limit:
            lines.append(f"… và {len(self.issues) - limit} lỗi khác")
        return "\n".join(lines)


# ---------------------------------------------------------------------- reading
def read_sheet(
    source: Path | bytes, *, name: str | None = None, sheet: str | int | None = None, deadline: Deadline | None = None
) -> Sheet:
    """Read a CSV or XLSX file into text cells (see :mod:`lib.io.sheets` for the accepted encodings).

    ``sheet`` picks an XLSX sheet by name or 0-based position (default: the first). The header
    row is the row, among the first 15, that names the most known fields; a second header row
    under it (two-row headers with merged cells, as in official templates: "Nhiệm vụ" over
    "Tổng số | Đã hoàn thành | Quá hạn") is joined to it when that recognises more fields. Raises
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
    header_pos = _header_position(raw)
    header = [_header_text(v, i) for i, v in enumerate(raw.iloc[header_pos])]
    two_rows = _two_row_header(raw, header_pos)
    if two_rows is not None:
        header, header_pos = two_rows, header_pos + 1
    frame = raw.iloc[header_pos + 1 :].copy()
    frame.columns = unique_names(header)
    if frame.empty:
        raise SheetError(f"{name}: chỉ có dòng tiêu đề, không có dòng dữ liệu nào")
    header_row = int(raw.index[header_pos]) + 1
    positions = [int(i) - header_row for i in frame.index]  # 0-based data positions relative to the header
    frame.index = pd.Index(positions)
    return Sheet(name=name, sha256=digest, frame=frame, header_row=header_row, sheet_name=grid.sheet_name)


def _header_position(raw: pd.DataFrame) -> int:
    best, best_score = 0, 0
    for position in range(min(15, len(raw))):
        score = sum(1 for value in raw.iloc[position] if _match_header(value)[0] is not None)
        if score > best_score:
            best, best_score = position, score
    return best


def _two_row_header(raw: pd.DataFrame, position: int) -> list[str] | None:
    """Headers joined from rows ``position`` and ``position + 1`` when the second is a sub-header row (no
    numbers; merged cells of the first carried to the right) and the join recognises more fields."""
    if position + 1 >= len(raw):
        return None
    top, sub = list(raw.iloc[position]), list(raw.iloc[position + 1])
    if not any(sub) or any(re.fullmatch(r"[\d.,\s]+", v) for v in sub if v):
        return None
    parents, carried = [], ""
    for value, child in zip(top, sub, strict=True):
        carried = value or (carried if child else "")
        parents.append(carried)
    joined = []
    for i, (parent, child) in enumerate(zip(parents, sub, strict=True)):
        candidates = [f"{child} {parent}", f"{parent} {child}", child, parent] if child else [parent]
        known = [c for c in candidates if c.strip() and _match_header(c)[0] is not None]
        joined.append(known[0] if known else _header_text(f"{parent} – {child}".strip(" –"), i))

    def score(names: list[str]) -> int:
        return len({f for f in (_match_header(n)[0] for n in names) if f is not None})

    single = [_header_text(v, i) for i, v in enumerate(top)]
    return joined if score(joined) > score(single) else None


def _header_text(value: str, position: int) -> str:
    return value if value else f"Cột {position + 1}"


def _match_header(header: str) -> tuple[str | None, bool]:
    """The field a header denotes (or None) and whether it marks old units."""
    key = header_key(header)
    is_old = bool(_OLD_WORDS.search(key))
    bare = _NEW_WORDS.sub(" ", _OLD_WORDS.sub(" ", key))
    bare = " ".join(bare.split())
    return _HEADER_KEYS.get(bare, _HEADER_KEYS.get(key)), is_old


# ---------------------------------------------------------------------- mapping
def guess_mapping(columns: list[str], *, keys: str = "auto") -> Mapping:
    """Map sheet headers (Vietnamese or English, any order) to fields.

    ``keys``: "new", "old" or "auto" (old when a header says "cũ"/"old" or a district column
    is present, since districts no longer exist after 1/7/2025).
    """
    mapping = Mapping()
    old_marked = False
    for column in columns:
        fieldname, is_old = _match_header(column)
        if fieldname is None or fieldname in mapping.columns:
            mapping.unrecognised.append(column)
            continue
        mapping.columns[fieldname] = column
        old_marked |= is_old and fieldname in UNIT_FIELDS
    if keys == "auto":
        keys = (
            "old" if old_marked or "district_name" in mapping.columns or "district_code" in mapping.columns else "new"
        )
    if keys not in ("new", "old"):
        raise ValueError(f"keys must be 'new', 'old' or 'auto', not {keys!r}")
    mapping.keys = keys
    return mapping


# ---------------------------------------------------------------------- values
# The one rule for numbers in a sheet (also in README and NUMBER_RULE): a count is a whole number
# 0 … STORE_INT_MAX. Thousands may be grouped by ".", "," or a space, in either convention, as long
# as every group after the first has exactly three digits ("1.000" = "1,000" = "1 000" = 1000).
# Anything else with a separator ("1,5", "1.000,5", "12,34"), an exponent ("1e3") or a sign is
# refused with a message, never guessed: "1,000" never becomes 1.
STORE_INT_MAX = 2_147_483_647  # INTEGER of PostgreSQL (and the store's columns); SQLite holds it too
NUMBER_RULE = (
    "Số nhiệm vụ là số nguyên từ 0 đến 2.147.483.647; có thể nhóm hàng nghìn bằng dấu chấm, dấu phẩy "
    "hoặc khoảng trắng (1.000 = 1,000 = 1 000 = một nghìn); không dùng phần thập phân, dạng 1e3 hay dấu âm."
)
_NUMBER_HINT = "dùng số nguyên, nhóm hàng nghìn bằng dấu chấm, dấu phẩy hoặc khoảng trắng (1.000 hay 1,000)"
_GROUPED = re.compile(r"\d{1,3}(?:([.,\s])\d{3})(?:\1\d{3})*")
_WHOLE_DECIMAL = re.compile(r"(\d+)[.,]0+")


MAX_TEXT_CHARS = 2_000  # a stored note or list of gaps: what a person writes about one unit on one day
_QUOTE_CHARS = 60


def _quote(text: str) -> str:
    """A cell's text as quoted in a row's message: at most 60 characters (a cell may hold 32,767)."""
    return text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 1] + "…"


def _parse_count(text: str) -> tuple[int | None, str | None]:
    """(value, error) of a count cell under :data:`NUMBER_RULE`; "" is missing."""
    value = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if value == "":
        return None, None
    if value.isdigit() and value.isascii():
        number = int(value)
    elif _GROUPED.fullmatch(value):
        number = int(re.sub(r"[.,\s]", "", value))
    elif _WHOLE_DECIMAL.fullmatch(value) and not _GROUPED.fullmatch(value):
        number = int(_WHOLE_DECIMAL.fullmatch(value).group(1))
    elif re.fullmatch(r"-\s*[\d.,\s]+", value):
        return None, f"số âm ({text})"
    elif re.fullmatch(r"\d+[.,]\d+", value):
        return None, f"“{_quote(text)}” không phải số nguyên (hoặc dấu nhóm hàng nghìn đặt sai) — {_NUMBER_HINT}"
    else:
        return None, f"“{text[:40]}” không phải là số — {_NUMBER_HINT}"
    if number > STORE_INT_MAX:
        return None, f"số {text[:40]} quá lớn (tối đa {format_int(STORE_INT_MAX)})"
    return number, None


def parse_time(text: str) -> pd.Timestamp | None:
    """A report time from a cell or option: dd/mm/yyyy [HH:MM], ISO, with or without zone.

    Times without a zone are Vietnam local time; a date alone means 00:00 that day.
    Returns ``None`` when the text is not a date, or is one outside the years 1900–2200 (which
    would overflow later computations and cannot be a report time).
    """
    stamp = _parse_time(text)
    return stamp if stamp is not None and 1900 <= stamp.year <= 2200 else None


def _parse_time(text: str) -> pd.Timestamp | None:
    value = str(text).strip()
    if not value:
        return None
    for fmt in _DATE_FORMATS:
        try:
            stamp = pd.Timestamp(dt.datetime.strptime(value, fmt))
            return stamp.tz_localize(LOCAL_TZ)
        except ValueError:
            continue
    try:
        stamp = pd.Timestamp(dt.datetime.fromisoformat(value))
    except ValueError:
        return None
    return stamp.tz_localize(LOCAL_TZ) if stamp.tzinfo is None else stamp.tz_convert(LOCAL_TZ)


@lru_cache(maxsize=4096)
def _centre(text: str) -> str | None:
    return _CENTRE_LOOKUP.get(name_key(text, strip_type=False))


@lru_cache(maxsize=4096)
def _truthy(text: str) -> bool | None:
    key = name_key(text, strip_type=False)
    return True if key in _TRUE else False if key in _FALSE else None


# ---------------------------------------------------------------------- validation
def validate(
    sheet: Sheet,
    mapping: Mapping,
    resolver: UnitResolver,
    *,
    as_of: dt.datetime | None = None,
    now: dt.datetime | None = None,
    deadline: Deadline | None = None,
) -> ValidationReport:
    """Check every row of ``sheet`` and build the records to store; nothing is written here.

    ``as_of`` is the report time for rows without one (required when no column holds it);
    ``now`` (default: the clock) bounds report times from above.
    """
    missing = mapping.missing(has_default_as_of=as_of is not None)
    if missing:
        raise SheetError(
            f"{sheet.name}: chưa xác định cột cho: {'; '.join(missing)} — hãy ghép cột "
            "(trong ứng dụng: bước ghép cột; dòng lệnh: --map TRƯỜNG=CỘT) "
            f"(tiêu đề hiện có: {', '.join(_quote(str(c)) for c in sheet.frame.columns[:30])})"
        )
    now_ts = pd.Timestamp(now) if now is not None else pd.Timestamp.now(tz=LOCAL_TZ)
    now_ts = now_ts.tz_localize(LOCAL_TZ) if now_ts.tzinfo is None else now_ts
    default_time = None
    if as_of is not None:
        default_time = pd.Timestamp(as_of)
        default_time = default_time.tz_localize(LOCAL_TZ) if default_time.tzinfo is None else default_time
    cells = {f: sheet.frame[c].tolist() for f, c in mapping.columns.items()}
    n = len(sheet.frame)
    time_cache: dict[str, pd.Timestamp | None] = {}
    rows, issues, records = [], [], []
    file_rows = [sheet.file_row(int(position)) for position in sheet.frame.index]
    deadline = deadline or Deadline(what="kiểm tra báo cáo")
    for i in range(n):
        if i % 2048 == 0:
            deadline.check(sheet.name)
        file_row = file_rows[i]
        get = {f: values[i] for f, values in cells.items()}
        if not any(get.get(f, "") for f in (*UNIT_FIELDS, *NUMBER_FIELDS, "centre_state")):
            continue  # a blank or decorative row
        if not any(get.get(f, "") for f in REPORT_VALUE_FIELDS):
            continue  # a unit named but nothing reported (an unfilled row of the template): not a report
        row_issues: list[Issue] = []
        level, match, targets = _resolve_row(get, mapping, resolver, file_row, row_issues)
        values = _row_values(get, mapping, file_row, row_issues, time_cache, default_time, now_ts)
        status = _row_status(row_issues)
        key = match.codes[0] if match is not None and match.status == RESOLVED else ""
        rows.append(
            {
                "row": file_row,
                "status": status,
                "level": level,
                "key": key,
                "as_of": values.get("as_of"),
                "message": "; ".join(x.message for x in row_issues),
            }
        )
        issues.extend(row_issues)
        if status == "valid":
            for new_code, via in targets:
                records.append(
                    {"level": level, "unit_code": new_code, "via_old_code": via, "source_row": file_row, **values}
                )
    rows_frame = pd.DataFrame(rows, columns=["row", "status", "level", "key", "as_of", "message"])
    records_frame = pd.DataFrame(records)
    rows_frame, records_frame = _mark_duplicates(rows_frame, records_frame, mapping, issues)
    if records_frame.empty:
        records_frame = pd.DataFrame(
            columns=[
                "level",
                "unit_code",
                "via_old_code",
                "source_row",
                "as_of",
                *NUMBER_FIELDS,
                "centre_state",
                "gaps",
                "note",
            ]
        )
    issues.sort(key=lambda x: x.row or 0)
    return ValidationReport(sheet=sheet, mapping=mapping, rows=rows_frame, issues=issues, records=records_frame)


def _row_status(row_issues: list[Issue]) -> str:
    kinds = {x.kind for x in row_issues}
    for kind in ("unknown", "ambiguous", "invalid"):
        if kind in kinds:
            return kind
    return "valid"


def _resolve_row(
    get: dict[str, str], mapping: Mapping, resolver: UnitResolver, file_row: int, issues: list[Issue]
) -> tuple[str, Match | None, list[tuple[str, str]]]:
    """Level, match and the (new code, via old code) targets of one row."""
    level_text = get.get("level", "")
    has_commune = bool(get.get("commune_code") or get.get("commune_name"))
    level = "commune" if has_commune else "province"
    if level_text:
        level = LEVEL_VALUES.get(name_key(level_text, strip_type=False), "")
        if not level:
            issues.append(
                Issue(
                    "invalid",
                    file_row,
                    mapping.columns["level"],
                    f"cấp “{_quote(level_text)}” không rõ — dùng “tỉnh” hoặc “xã”",
                )
            )
            return "", None, []
    province = get.get("province_code") or get.get("province_name")
    unit_column = (
        mapping.columns.get("commune_code" if get.get("commune_code") else "commune_name")
        if level == "commune"
        else mapping.columns.get("province_code" if get.get("province_code") else "province_name")
    )
    old = mapping.keys == "old"
    if level == "commune":
        if old:
            match = resolver.old_commune(
                code=get.get("commune_code"),
                province=province,
                district=get.get("district_code") or get.get("district_name"),
                name=get.get("commune_name"),
            )
        else:
            match = resolver.new_commune(code=get.get("commune_code"), province=province, name=get.get("commune_name"))
    else:
        kind = resolver.old_province if old else resolver.new_province
        match = kind(code=get.get("province_code"), name=get.get("province_name"))
    if match.status != RESOLVED:
        issues.append(
            Issue(match.status, file_row, unit_column, match.message or "không xác định được đơn vị", match.codes)
        )
        return level, match, []
    code = match.codes[0]
    if level == "commune" and get.get("commune_code") and get.get("commune_name"):
        by_name = (
            resolver.old_commune(
                province=province,
                district=get.get("district_code") or get.get("district_name"),
                name=get.get("commune_name"),
            )
            if old
            else resolver.new_commune(province=province, name=get.get("commune_name"))
        )
        if by_name.status == RESOLVED and by_name.codes[0] != code:
            kind = "old_commune" if old else "new_commune"
            issues.append(
                Issue(
                    "invalid",
                    file_row,
                    mapping.columns["commune_code"],
                    f"mã {code} là {resolver.label(kind, code)} nhưng tên “{_quote(get['commune_name'])}” là "
                    f"{resolver.label(kind, by_name.codes[0])} — sửa mã hoặc tên",
                )
            )
            return level, match, []
    if not old:
        return level, match, [(code, "")]
    if level == "commune":
        targets = resolver.new_codes_of_old(code)
    else:
        targets = resolver.new_provinces_of_old(code)
    return level, match, [(t, code) for t in dict.fromkeys(targets)]


def _row_values(
    get: dict[str, str],
    mapping: Mapping,
    file_row: int,
    issues: list[Issue],
    time_cache: dict,
    default_time: pd.Timestamp | None,
    now: pd.Timestamp,
) -> dict:
    values: dict = {}
    unreadable = False
    for f in NUMBER_FIELDS:
        value, error = _parse_count(get.get(f, ""))
        if error:
            issues.append(Issue("invalid", file_row, mapping.columns[f], error))
            unreadable = True
        values[f] = value
    total, done, overdue = (values[f] for f in NUMBER_FIELDS)
    col = mapping.columns.get
    if unreadable:
        pass  # the counts cannot be checked against each other
    elif (done is not None or overdue is not None) and total is None:
        issues.append(
            Issue(
                "invalid",
                file_row,
                col("tasks_total") or col("tasks_done") or col("tasks_overdue"),
                "thiếu tổng số nhiệm vụ",
            )
        )
    elif total is not None and done is None:
        issues.append(
            Issue("invalid", file_row, col("tasks_done") or col("tasks_total"), "thiếu số nhiệm vụ đã hoàn thành")
        )
    if total is not None and done is not None and done > total:
        issues.append(
            Issue(
                "invalid", file_row, col("tasks_done"), f"số đã hoàn thành ({done}) lớn hơn tổng số nhiệm vụ ({total})"
            )
        )
    elif total is not None and done is not None and overdue is not None and overdue > total - done:
        issues.append(
            Issue(
                "invalid",
                file_row,
                col("tasks_overdue"),
                f"số quá hạn ({overdue}) lớn hơn số chưa hoàn thành ({total - done})",
            )
        )
    centre_text = get.get("centre_state", "")
    state = _centre(centre_text)
    if state is None:
        issues.append(
            Issue(
                "invalid",
                file_row,
                col("centre_state"),
                f"tình trạng trung tâm “{_quote(centre_text)}” không rõ — dùng: hoạt động / hoạt động còn thiếu / "
                "chưa hoạt động / không rõ",
            )
        )
    gaps = [g for g in re.split(r"\s*[;\n]\s*", get.get("gaps", "")) if g]
    for f, label in GAP_LABELS.items():
        if f in mapping.columns:
            flag = _truthy(get.get(f, ""))
            if flag is None:
                quoted = _quote(get.get(f, ""))
                issues.append(Issue("invalid", file_row, col(f), f"“{quoted}” — dùng “x”/“có” hoặc để trống"))
            elif flag:
                gaps.append(label)
    values["centre_state"] = state or "unknown"
    if values["centre_state"] == "unknown" and gaps:
        values["centre_state"] = "gaps"
    values["gaps"] = "; ".join(dict.fromkeys(gaps))
    values["note"] = get.get("note", "")
    for f, label in (("gaps", "phần còn thiếu"), ("note", "ghi chú")):
        if len(values[f]) > MAX_TEXT_CHARS:
            issues.append(
                Issue(
                    "invalid",
                    file_row,
                    col(f) or col("note"),
                    f"{label} dài {format_int(len(values[f]))} ký tự, quá {format_int(MAX_TEXT_CHARS)} ký tự "
                    "— hãy rút gọn",
                )
            )
    values["as_of"] = _row_time(get.get("as_of", ""), col("as_of"), file_row, issues, time_cache, default_time, now)
    return values


def _row_time(
    text: str,
    column: str | None,
    file_row: int,
    issues: list[Issue],
    cache: dict,
    default_time: pd.Timestamp | None,
    now: pd.Timestamp,
) -> pd.Timestamp | None:
    if text not in cache:
        cache[text] = _judge_time(text, default_time, now)
    stamp, problem = cache[text]
    if problem:
        issues.append(Issue("invalid", file_row, column, problem))
    return stamp


def _judge_time(text: str, default_time: pd.Timestamp | None, now: pd.Timestamp) -> tuple[pd.Timestamp | None, str]:
    """(time, problem) of a report-time cell; the problem is "" when the time is acceptable."""
    if not text:
        stamp = default_time
        if stamp is None:
            return None, "thiếu thời điểm báo cáo"
    else:
        stamp = parse_time(text)
        if stamp is None:
            return None, f"“{_quote(text)}” không phải ngày (dùng dd/mm/yyyy [hh:mm])"
    if stamp > now + FUTURE_TOLERANCE:
        return stamp, (
            f"thời điểm {stamp:%d/%m/%Y %H:%M} ở tương lai (bây giờ {now.tz_convert(LOCAL_TZ):%d/%m/%Y %H:%M})"
        )
    if stamp < EARLIEST:
        return stamp, f"thời điểm {stamp:%d/%m/%Y} trước 01/7/2025, khi các đơn vị mới chưa hoạt động"
    return stamp, ""


def _mark_duplicates(
    rows: pd.DataFrame, records: pd.DataFrame, mapping: Mapping, issues: list[Issue]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows that report the same unit for the same time are all refused (no silent choice)."""
    valid = rows[(rows["status"] == "valid")]
    if valid.empty:
        return rows, records
    copies = valid[valid.duplicated(["level", "key", "as_of"], keep=False)]
    duplicated = copies.groupby(["level", "key", "as_of"])["row"].agg(list) if len(copies) else pd.Series(dtype=object)
    bad_rows: set[int] = set()
    for (_, key, stamp), file_rows in duplicated.items():
        for file_row in file_rows:
            others = ", ".join(str(r) for r in file_rows if r != file_row)
            issues.append(
                Issue(
                    "invalid",
                    file_row,
                    mapping.columns.get("as_of"),
                    f"trùng đơn vị {key} và thời điểm {stamp:%d/%m/%Y %H:%M} với dòng {others}",
                )
            )
        bad_rows.update(file_rows)
    if bad_rows:
        hit = rows["row"].isin(bad_rows)
        rows.loc[hit, "status"] = "invalid"
        rows.loc[hit, "message"] = (rows.loc[hit, "message"] + "; trùng dòng").str.lstrip("; ")
        records = records[~records["source_row"].isin(bad_rows)].reset_index(drop=True)
    return rows, records


# ---------------------------------------------------------------------- import wizard (the status page's steps)
NO_COLUMN = "—"  # the choice "no column" in the page's column-mapping boxes
KEY_CHOICES = {"auto": "tự nhận biết", "new": "đơn vị mới (từ 01/7/2025)", "old": "đơn vị cũ (trước 01/7/2025)"}


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


# ---------------------------------------------------------------------- commit
MAX_IMPORTER = 200  # status_batch.imported_by is VARCHAR(200)
MAX_SOURCE_NAME = 500  # status_batch.source_name is VARCHAR(500)


class AlreadyImported(SheetError):
    """The same file (same SHA-256) is in the store already; commit again only with ``force=True``."""


def already_imported(store, sha256: str) -> str:
    """A Vietnamese description of the real batch(es) that stored a file with ``sha256`` ("" when none).

    A revoked batch counts too: the same file stays refused, and the message says the batch was revoked
    (a corrected file has another content and imports as usual)."""
    batches = store.batches()
    same = batches[(batches["source_sha256"] == sha256) & ~batches["is_demo"].astype(bool)]
    if same.empty:
        return ""
    live = same[~same["revoked"]]
    first = (live if len(live) else same).iloc[-1]  # the oldest, preferably one still in use
    when = pd.Timestamp(first["imported_at"]).tz_convert(LOCAL_TZ)
    told = (
        f"Tệp này (cùng nội dung) đã được nhập ở lô {int(first['id'])} lúc {when:%d/%m/%Y %H:%M} "
        f"(tên tệp “{first['source_name']}”, người nhập “{first['imported_by']}”)"
    )
    if first["revoked"]:
        return (
            f"{told}; lô đó {describe_revocation(first)} — không ghi lại. Hãy sửa tệp rồi nhập tệp đã sửa; nếu "
            "thật sự muốn nhập lại đúng tệp này: trong ứng dụng đánh dấu ô “Vẫn nhập lại”, ở dòng lệnh thêm --force."
        )
    return (
        f"{told} — không ghi lại để tránh trùng. Nếu thật sự muốn nhập lại: trong ứng dụng đánh dấu ô "
        "“Vẫn nhập lại”, ở dòng lệnh thêm --force."
    )


def commit(
    store,
    report: ValidationReport,
    *,
    imported_by: str,
    is_demo: bool = False,
    note: str = "",
    progress=None,
    force: bool = False,
    claim: str | None = None,
) -> int:
    """Store the valid rows of ``report`` as one batch (one transaction) and return the batch id.

    Raises :class:`SheetError` when there is nothing valid to store or the importer's name is longer
    than the store holds, and :class:`AlreadyImported` when the same file was imported before (unless
    ``force``). With ``claim`` (who imports: host and process) the file's content is claimed in the
    same transaction (``StatusStore.append(claim=...)``, for unattended intake): a file imported by
    another process, or at the same moment, raises ``lib.status.store.AlreadyClaimed`` instead.
    """
    if report.records.empty:
        raise SheetError(f"{report.sheet.name}: không có dòng hợp lệ nào để ghi — sửa các lỗi trong báo cáo kiểm tra")
    imported_by = imported_by.strip()
    if not imported_by:
        raise SheetError("Chưa ghi tên người nhập")
    if len(imported_by) > MAX_IMPORTER:
        raise SheetError(f"Tên người nhập dài {len(imported_by)} ký tự; tối đa {MAX_IMPORTER} ký tự — hãy viết gọn lại")
    if not force:
        earlier = already_imported(store, report.sheet.sha256)
        if earlier:
            raise AlreadyImported(earlier)
    name = report.sheet.name + (f" [{report.sheet.sheet_name}]" if report.sheet.sheet_name else "")
    return store.append(
        report.records,
        imported_by=imported_by,
        source_name=name[:MAX_SOURCE_NAME],
        source_sha256=report.sheet.sha256,
        is_demo=is_demo,
        note=note,
        progress=progress,
        **({"claim": report.sheet.sha256, "claimed_by": claim} if claim is not None else {}),
    )


def import_file(
    store,
    source: Path | bytes,
    resolver: UnitResolver,
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
