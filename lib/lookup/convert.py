"""Batch conversion of a user's list of old units (codes, names or addresses) to the new communes."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from lib.core.vocab import REFORM_TEXT
from lib.data.confidence import EXPORT_DOCS as OLD_SHAPE_DOCS
from lib.data.confidence import shape_columns
from lib.data.names import fold, name_key, split_unit_type
from lib.io.export import ExportInfo, csv_bytes, xlsx_bytes
from lib.io.headers import HEADER_SCAN_ROWS, locate_header, read_headers, refusal
from lib.io.sheets import Deadline, SheetError, header_key, read_grid, unique_names
from lib.lookup.resolve import AMBIGUOUS, RESOLVED, UNKNOWN, Match, UnitResolver

# The roles of the user's columns, and the fields of the header vocabulary (lib.core.vocab.HEADER_FIELDS,
# read by lib.io.headers) each takes, best first: a district or province may be given by name or code.
ROLE_FIELDS = {
    "code": ("commune_code",),
    "name": ("commune_name",),
    "district": ("district_name", "district_code"),
    "province": ("province_name", "province_code"),
    "address": ("address",),
}
ROLES = tuple(ROLE_FIELDS)
_UNIT_ROLES = ("code", "name", "address")

# Columns appended to the user's table, documented for the output's 'about' sheet.
OUTPUT_DOCS = {
    "input_row": "row number in the uploaded file (1 = first data row under the header)",
    "match_quality": "code (matched by old code), name (by name, with district/province when given), address "
    "(parsed from the address), ambiguous (several old units fit: see match_note), unknown (no old unit fits), "
    "wrong_level (the value is a district, province or NEW commune, not an old commune), empty (nothing given)",
    "match_method": "how the resolver matched: code, name, name+district, name+district+province, ...",
    "old_code_matched": "GSO code of the old unit the row was matched to ('; '-joined candidates when ambiguous)",
    "old_name_matched": "full name of that old unit with its old district and province",
    "new_count": "number of new communes the old unit went to (more than 1: split, every one listed)",
    "new_code": "GSO code(s) of the new commune(s), '; '-joined for a split old commune (never one default)",
    "new_name": "full name(s) of the new commune(s), in the order of new_code",
    "new_province_code": "code(s) of the new province(s), in the order of new_code",
    "new_province_name": "name(s) of the new province(s), in the order of new_code",
    "part": "whole / part per new commune (part: only part of the old unit went there), in the order of new_code",
    "match_note": "why a row did not resolve, or which new communes a split commune went to (Vietnamese)",
}
OUTPUT_COLUMNS = list(OUTPUT_DOCS)
QUALITY_LABELS = {
    "code": "khớp theo mã xã cũ",
    "name": "khớp theo tên (kèm huyện, tỉnh nếu có)",
    "address": "khớp theo địa chỉ",
    "ambiguous": "nhiều xã cũ trùng tên: cần thêm huyện/tỉnh hoặc mã",
    "unknown": "không tìm thấy xã cũ",
    "wrong_level": "không phải xã cũ (huyện, tỉnh hoặc xã mới)",
    "empty": "dòng trống",
}
QUALITIES = tuple(QUALITY_LABELS)
MAX_ROWS = 200_000
# A number cell of the user's table: no leading zero (that is a code), no thousands separators, ≤ 15 digits.
_PLAIN_NUMBER = re.compile(r"-?(0|[1-9]\d{0,14})(\.\d{1,14})?")
_CODE_HEADER = re.compile(r"\b(ma|code|id|so hieu|sdt|dien thoai|phone|cccd|cmnd)\b")
_MEMO_LIMIT = 250_000

_SKIP_PART = re.compile(
    r"^(\d|so |so\d|duong |pho |ngo |ngach |hem |kiet |to |to dan pho |tdp |thon |ap |ban |khu |khom |xom |kp |"
    r"khu pho |lo |toa |can ho |km |quoc lo |ql |tinh lo |tl )"
)
_COMMUNE_WORDS = ("xa ", "phuong ", "thi tran ", "p ", "x ", "tt ")
_DISTRICT_WORDS = ("quan ", "huyen ", "thi xa ", "q ", "h ", "tx ")
_PROVINCE_WORDS = ("tinh ", "t ")
_CITY_WORDS = ("thanh pho ", "tp ")
_HIGHER_TYPES = ("quan", "huyen", "thi xa", "thanh pho", "tinh")
# Abbreviated unit-type words of addresses → the full word the resolver knows.
_ABBREVIATIONS = {
    "p": "Phường",
    "x": "Xã",
    "tt": "Thị trấn",
    "q": "Quận",
    "h": "Huyện",
    "tx": "Thị xã",
    "tp": "Thành phố",
    "t": "Tỉnh",
}
_ABBREVIATED = re.compile(r"^(p|x|tt|q|h|tx|tp|t)(?:\.\s*|\s+)(?=\S)", re.IGNORECASE)


# The uploaded file cannot be read or converted: the message says what, where and what to do.
ConvertError = SheetError


@dataclass(frozen=True)
class ColumnMap:
    """Which input column plays which role (``None`` when absent)."""

    code: str | None = None
    name: str | None = None
    district: str | None = None
    province: str | None = None
    address: str | None = None

    def describe(self) -> str:
        """ "Mã xã cũ → code, Tỉnh → province" for the page and the CLI."""
        return ", ".join(f"{getattr(self, role)} → {role}" for role in ROLES if getattr(self, role))


@dataclass
class Conversion:
    """Result of :meth:`Converter.convert`: the table with appended columns and what went wrong."""

    table: pd.DataFrame
    columns: ColumnMap
    problems: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def given_rows(self) -> int:
        """Input rows that name a unit (not empty)."""
        return sum(self.counts.values()) - self.counts.get("empty", 0)

    @property
    def match_rate(self) -> float:
        """Share of non-empty input rows resolved to one old unit (0–1)."""
        resolved = sum(self.counts.get(q, 0) for q in ("code", "name", "address"))
        return resolved / self.given_rows if self.given_rows else 0.0

    def summary(self) -> pd.DataFrame:
        """Rows per match quality (every quality listed, zero included) with its meaning in Vietnamese."""
        return pd.DataFrame(
            {
                "match_quality": list(QUALITIES),
                "rows": [self.counts.get(q, 0) for q in QUALITIES],
                "meaning": [QUALITY_LABELS[q] for q in QUALITIES],
            }
        )


def read_table(
    data: bytes, filename: str, *, sheet: str | int | None = 0, deadline: Deadline | None = None
) -> pd.DataFrame:
    """Read an uploaded CSV or XLSX through :func:`lib.io.sheets.read_grid`: the first non-empty row is
    the header, every cell is text (codes keep their zeros), empty cells are missing (NaN).

    Raises :class:`ConvertError` (= :class:`lib.io.sheets.SheetError`) for an unreadable file or a
    sheet without data rows.
    """
    cells = read_grid(data, filename, sheet=sheet, deadline=deadline).cells
    cells = cells.apply(lambda column: column.str.strip()).replace("", np.nan).dropna(how="all")
    if cells.empty:
        raise ConvertError(f"{filename}: tệp không có ô nào có dữ liệu — hãy chọn tệp có dòng tiêu đề và dữ liệu")
    header = ["" if value != value else str(value) for value in cells.iloc[0].tolist()]
    table = cells.iloc[1:].dropna(how="all")
    if table.empty:
        raise ConvertError(f"{filename}: không có dòng dữ liệu nào dưới dòng tiêu đề")
    table.columns = unique_names([value or f"Cột {i + 1}" for i, value in enumerate(header)])
    return table.reset_index(drop=True)


def _part_key(text: str) -> str:
    """Folded words of an address part or unit name ("P. 2" → "p 2"), for recognising unit-type words."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def detect_columns(columns: list[str], *, overrides: dict[str, str] | None = None) -> ColumnMap:
    """Find the code, name, district, province and address columns by their headers.

    Headers are read by :func:`lib.io.headers.read_headers` (the importer's reader too); a column
    marked "mới" (new units) is never taken. ``overrides`` ({role: column}) wins over the guess.
    Raises :class:`ConvertError` listing the columns seen and the names accepted when none of code,
    name or address is present, when two columns claim one role alike, or when an override names a
    column that does not exist.
    """
    reading = read_headers(columns, old=True, only_old=True)
    found: dict[str, str] = {}
    for role, fields in ROLE_FIELDS.items():
        for name in fields:
            if name in reading.conflicts and not (overrides and role in overrides):
                claimed = ", ".join(f"“{c}”" for c in reading.conflicts[name])
                raise ConvertError(refusal(f"Không biết dùng cột nào: các cột {claimed} cùng chỉ một thứ", columns))
            if name in reading.columns:
                found[role] = reading.columns[name]
                break
    for role, column in (overrides or {}).items():
        if role not in ROLES:
            raise ConvertError(f"Vai trò cột không hợp lệ “{role}”; dùng một trong: {', '.join(ROLES)}.")
        if column not in columns:
            raise ConvertError(f"Không có cột “{column}” trong tệp; các cột có: {', '.join(columns)}.")
        found[role] = column
    if not any(role in found for role in _UNIT_ROLES):
        raise ConvertError(
            refusal(
                "Không tìm thấy cột chỉ đơn vị cũ. Cần ít nhất một cột “Mã xã”, “Tên xã” (có thể kèm “Huyện”, "
                "“Tỉnh”) hoặc “Địa chỉ” (cột ghi “mới” là đơn vị mới, không dùng được)",
                columns,
            )
        )
    return ColumnMap(**found)


def parse_address(address: str, *, is_province=None) -> dict[str, str]:
    """Split a free-text address into commune, district and province parts.

    "Số 5, phường Phúc Xá, quận Ba Đình, Hà Nội" → {"commune": "phường Phúc Xá",
    "district": "quận Ba Đình", "province": "Hà Nội"}. Parts are taken by their unit-type
    word ("xã", "P.", "quận", "TP." ...); untyped parts are placed from the right
    (a known province name first; ``is_province(text) -> bool`` decides that).
    Street, house-number and village parts are skipped. Parts are separated by commas,
    semicolons or new lines, or by " - " when there is none of those.
    """
    text = str(address)
    # " - " separates parts only in addresses without commas: names such as "Bà Rịa - Vũng Tàu" contain it.
    separators = r"[,;\n]" if re.search(r"[,;\n]", text) else r" - "
    parts = [part.strip() for part in re.split(separators, text) if part.strip()]
    slots: dict[str, str] = {}
    untyped: list[int] = []
    for index, part in enumerate(parts):
        key = _part_key(part) + " "
        if _SKIP_PART.match(key):
            continue
        if key.startswith(_COMMUNE_WORDS):
            slots.setdefault("commune", part)
        elif key.startswith(_DISTRICT_WORDS):
            slots.setdefault("district", part)
        elif key.startswith(_PROVINCE_WORDS):
            slots.setdefault("province", part)
        elif key.startswith(_CITY_WORDS):
            # "Thành phố X": the province when it is the last part, else a provincial city (district level).
            later = any(not _SKIP_PART.match(_part_key(p) + " ") for p in parts[index + 1 :])
            slots.setdefault("district" if later else "province", part)
        else:
            untyped.append(index)
    for index in reversed(untyped):
        part = parts[index]
        has_left = any(i < index for i in untyped) or "commune" in slots
        if "province" not in slots and (is_province is None or is_province(part)) and index == len(parts) - 1:
            slots["province"] = part
        elif "district" not in slots and has_left and index > 0:
            slots["district"] = part
        elif "commune" not in slots:
            slots["commune"] = part
    return {slot: _unabbreviate(part) for slot, part in slots.items()}


def _unabbreviate(part: str) -> str:
    """ "P. 2" → "Phường 2", "Q.Ba Đình" → "Quận Ba Đình", "TP. HCM" → "Thành phố HCM"."""
    return _ABBREVIATED.sub(lambda m: _ABBREVIATIONS[m.group(1).lower()] + " ", part.strip(), count=1)


class Converter:
    """Convert tables of old units with one :class:`lib.lookup.resolve.UnitResolver` (build once, reuse).

    It remembers the outcome of each distinct (code, name, district, province, address)
    row, so repeated values cost nothing; the memo is cleared past 250,000 entries.
    """

    def __init__(
        self, resolver: UnitResolver, crosswalk: pd.DataFrame, *, old_communes: pd.DataFrame | None = None
    ) -> None:
        self._resolver = resolver
        self._old_communes = old_communes
        districts = crosswalk.drop_duplicates("old_district_code")
        self._district_keys = {name_key(name) for name in districts["old_district_name"].tolist()}
        units = crosswalk.drop_duplicates("old_code")
        self._island_districts = set(units.loc[units["old_level"].eq("district"), "old_code"])
        self._old_name = dict(zip(units["old_code"].tolist(), units["old_name"].tolist(), strict=False))
        labels = units["old_name"] + " (" + units["old_district_name"] + ", " + units["old_province_name"] + ")"
        self._old_label = dict(zip(units["old_code"].tolist(), labels.tolist(), strict=False))
        self._targets: dict[str, list[tuple[str, ...]]] = {}
        columns = ["old_code", "new_code", "new_name", "new_province_code", "new_province_name", "part"]
        for old_code, *values in zip(*(crosswalk[c].tolist() for c in columns), strict=False):
            self._targets.setdefault(old_code, []).append(tuple(values))
        self._memo: dict[tuple, tuple[str, Match]] = {}

    @classmethod
    def from_crosswalk(cls, crosswalk: pd.DataFrame, *, old_communes: pd.DataFrame | None = None) -> Converter:
        """A converter whose resolver takes the new units' attributes from the crosswalk itself.

        Every new commune and province occurs in the crosswalk with its code, full name,
        type and province, so the 15 MB new-commune GeoJSON need not be read (saves ~1.5 s
        in the CLI). Only the provinces' English names (name_en) are missing from it.
        ``old_communes`` (``code``, ``method``, ``confidence``) adds the old-shape columns (:meth:`convert`).
        """
        communes = crosswalk.drop_duplicates("new_code")
        new_communes = pd.DataFrame(
            {
                "code": communes["new_code"].tolist(),
                "full_name": communes["new_name"].tolist(),
                "name": [split_unit_type(name)[1] for name in communes["new_name"].tolist()],
                "type": communes["new_type"].tolist(),
                "province_code": communes["new_province_code"].tolist(),
                "province_name": communes["new_province_name"].tolist(),
            }
        )
        provinces = crosswalk.drop_duplicates("new_province_code")
        new_provinces = pd.DataFrame(
            {
                "code": provinces["new_province_code"].tolist(),
                "full_name": provinces["new_province_name"].tolist(),
                "name": [split_unit_type(name)[1] for name in provinces["new_province_name"].tolist()],
                "type": [split_unit_type(name)[0] for name in provinces["new_province_name"].tolist()],
            }
        )
        return cls(UnitResolver(crosswalk, new_communes, new_provinces), crosswalk, old_communes=old_communes)

    def convert(
        self,
        table: pd.DataFrame,
        *,
        columns: ColumnMap | None = None,
        expand: bool = False,
        deadline: Deadline | None = None,
        name: str = "tệp",
    ) -> Conversion:
        """Append :data:`OUTPUT_COLUMNS` to ``table`` (one row per input row, or per candidate if ``expand``);
        with the old-commune layer, also the matched old commune's ``old_shape_method``, ``old_shape_iou``
        and ``old_shape_class`` (empty for a row that matched no single old unit)."""
        columns = columns or detect_columns(list(table.columns))
        values = {role: _cells(table, getattr(columns, role)) for role in ROLES}
        deadline = deadline or Deadline(what="chuyển đổi")
        records = []
        for i in range(len(table)):
            if i % 1024 == 0:
                deadline.check(name)
            records.append(self._row(*(values[role][i] for role in ROLES)))
        appended = pd.DataFrame(records, columns=OUTPUT_COLUMNS[1:], index=table.index)
        appended.insert(0, "input_row", range(1, len(table) + 1))
        if self._old_communes is not None:
            appended = appended.join(self._old_shapes(appended))
        out = numbers_as_numbers(table, keep=[getattr(columns, role) for role in ROLES])
        out = out.rename(columns={c: f"{c} (gốc)" for c in table.columns if c in appended.columns}).join(appended)
        counts = out["match_quality"].value_counts().to_dict()
        problems = out.loc[
            ~out["match_quality"].isin(["code", "name", "address"]),
            ["input_row", *[c for c in (getattr(columns, r) for r in ROLES) if c], "match_quality", "match_note"],
        ]
        if expand:
            out = _expand(out)
        return Conversion(
            table=out.reset_index(drop=True),
            columns=columns,
            problems=problems.reset_index(drop=True),
            counts={str(k): int(v) for k, v in counts.items()},
        )

    def _old_shapes(self, appended: pd.DataFrame) -> pd.DataFrame:
        """The old-shape columns of the matched old units; empty where a row matched none (or several)."""
        shapes = shape_columns(appended["old_code_matched"], self._old_communes)
        matched = appended["match_quality"].isin(["code", "name", "address"])
        return shapes.astype(object).where(matched, None)

    def _row(self, code: str, name: str, district: str, province: str, address: str) -> tuple:
        key = (code, name, district, province, address)
        if len(self._memo) > _MEMO_LIMIT:  # one converter serves every session: keep its memory bounded
            self._memo.clear()
        if key not in self._memo:
            self._memo[key] = self._resolve(code, name, district, province, address)
        quality, match = self._memo[key]
        return self._describe(quality, match)

    def _resolve(self, code: str, name: str, district: str, province: str, address: str) -> tuple[str, Match]:
        if code:
            if re.fullmatch(r"0\d{1,2}", code):
                return "wrong_level", Match(
                    UNKNOWN,
                    (),
                    "code",
                    f"Mã “{code}” có {len(code)} chữ số: là mã huyện/tỉnh, không phải mã xã (5 chữ số)",
                )
            match = self._resolver.old_commune(code=code)
            if match.status == RESOLVED and name and name_key(name) != name_key(self._old_name.get(match.codes[0])):
                # The code wins, but a name that contradicts it is worth a look.
                label = self._old_label.get(match.codes[0], match.codes[0])
                return "code", replace(
                    match,
                    message=f"Tên “{name}” khác tên của mã {match.codes[0]} ({label}): hãy kiểm tra lại mã hoặc tên",
                )
            if match.status == RESOLVED or not (name or address):
                return ("code" if match.status == RESOLVED else "unknown"), match
        if name:
            match = self._resolver.old_commune(name=name, district=district or None, province=province or None)
            return self._quality(match, "name", name, province, district)
        if address:
            parts = parse_address(address, is_province=self._is_province)
            if not parts.get("commune") and (parts.get("district") or parts.get("province")):
                return "wrong_level", Match(
                    UNKNOWN,
                    (),
                    "address",
                    f"Địa chỉ “{address}” chỉ có cấp huyện/tỉnh, không có xã: không chuyển được sang xã mới",
                )
            if not parts.get("commune"):
                return "unknown", Match(UNKNOWN, (), "address", f"Không tách được tên xã từ địa chỉ “{address}”")
            match = self._resolver.old_commune(
                name=parts["commune"], district=parts.get("district"), province=parts.get("province")
            )
            return self._quality(
                match, "address", parts["commune"], parts.get("province", ""), parts.get("district", "")
            )
        return "empty", Match(UNKNOWN, (), "", "Dòng không có mã, tên hay địa chỉ")

    def _quality(self, match: Match, how: str, name: str, province: str, district: str) -> tuple[str, Match]:
        higher = (_part_key(name) + " ").startswith(tuple(f"{word} " for word in _HIGHER_TYPES))
        if higher and not (match.status == RESOLVED and match.codes[0] in self._island_districts):
            # "Quận Ba Đình" must not match the communes called Ba Đình; only island districts are old units.
            return "wrong_level", replace(
                match,
                status=UNKNOWN,
                codes=(),
                message=f"“{name}” là tên huyện/quận/thị xã/thành phố hoặc tỉnh, không phải xã",
            )
        if match.status == RESOLVED:
            return how, match
        if match.status == AMBIGUOUS:
            return "ambiguous", match
        reason = self._wrong_level(name, province, district)
        if reason:
            return "wrong_level", replace(match, message=f"“{name}” {reason}")
        return "unknown", match

    def _wrong_level(self, name: str, province: str, district: str) -> str:
        """Why an unresolved name is not an old commune (a district, province or NEW commune), or ""."""
        folded = _part_key(name) + " "
        typed_commune = folded.startswith(_COMMUNE_WORDS)
        if folded.startswith(tuple(f"{word} " for word in _HIGHER_TYPES)):
            return "là tên huyện/quận/thị xã/thành phố hoặc tỉnh, không phải xã"
        if not typed_commune and name_key(name) in self._district_keys:
            return "là tên huyện/quận cũ, không phải xã"
        if not typed_commune and self._is_province(name):
            return "là tên tỉnh, không phải xã"
        if not district and self._resolver.new_commune(name=name, province=province or None).status == RESOLVED:
            return f"là xã mới (từ {REFORM_TEXT}), không phải xã cũ: tra trực tiếp trong danh sách xã mới"
        return ""

    def _is_province(self, text: str) -> bool:
        return (
            self._resolver.old_province(name=text).status == RESOLVED
            or self._resolver.new_province(name=text).status == RESOLVED
        )

    def _describe(self, quality: str, match: Match) -> tuple:
        if match.status == AMBIGUOUS:
            return (quality, match.method, "; ".join(match.codes), "", 0, "", "", "", "", "", match.message)
        if match.status != RESOLVED:
            return (quality, match.method, "", "", 0, "", "", "", "", "", match.message)
        old_code = match.codes[0]
        targets = self._targets.get(old_code, ())
        joined = ["; ".join(column) for column in zip(*targets, strict=False)] if targets else [""] * 5
        notes = [match.message] if match.message else []
        if len(targets) > 1:
            notes.append(
                f"Xã cũ được chia cho {len(targets)} xã mới: {'; '.join(t[1] for t in targets)} — xem mọi phương án"
            )
        note = ". ".join(notes)
        return (quality, match.method, old_code, self._old_label.get(old_code, ""), len(targets), *joined, note)


def numbers_as_numbers(table: pd.DataFrame, *, keep: Sequence[str | None] = ()) -> pd.DataFrame:
    """``table`` with its number columns as numbers (whole numbers as Int64), everything else as read.

    A column is a number column when every non-empty cell is a plain decimal number without
    a leading zero ("12", "-3", "0.25"; never "007", "1.234.567" or "1e5") of at most 15
    digits, and its header does not name a code, identifier or phone number. Columns in
    ``keep`` (the unit columns) stay text.
    """
    out = table.copy()
    for column in table.columns:
        if column in keep or _CODE_HEADER.search(header_key(column).replace("_", " ")):
            continue
        values = table[column].dropna()
        if values.empty or not values.map(lambda v: isinstance(v, str) and bool(_PLAIN_NUMBER.fullmatch(v))).all():
            continue
        numbers = pd.to_numeric(table[column])
        whole = values.map(lambda v: "." not in v).all()
        out[column] = numbers.astype("Int64") if whole else numbers.astype(float)
    return out


def _cells(table: pd.DataFrame, column: str | None) -> list[str]:
    if column is None:
        return [""] * len(table)
    return ["" if value is None or value != value else str(value).strip() for value in table[column].tolist()]


def _expand(out: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate new commune (rows with none are kept once)."""
    split_columns = ["new_code", "new_name", "new_province_code", "new_province_name", "part"]
    lists = out[split_columns].apply(lambda column: column.str.split("; "))
    expanded = out.drop(columns=split_columns).join(lists).explode(split_columns)
    return expanded[out.columns]


def convert_file(
    data: bytes,
    filename: str,
    converter: Converter | Callable[[], Converter],
    *,
    sheet: str | int = 0,
    overrides: dict[str, str] | None = None,
    expand: bool = False,
) -> Conversion:
    """Read, check and convert an uploaded file (see :func:`read_table` and :func:`detect_columns`).

    ``converter`` may be a function that makes one, called only once the file has been read and
    checked (the command line then refuses a bad file before loading the dataset).
    """
    deadline = Deadline(what="chuyển đổi")
    table = read_table(data, filename, sheet=sheet, deadline=deadline)
    if len(table) > MAX_ROWS:
        raise ConvertError(f"“{filename}” có {len(table):,} dòng; tối đa {MAX_ROWS:,} dòng mỗi lần: hãy chia nhỏ tệp.")
    if not overrides:
        table = find_header(table)
    columns = detect_columns(list(table.columns), overrides=overrides)
    if not isinstance(converter, Converter):
        converter = converter()
    return converter.convert(table, columns=columns, expand=expand, deadline=deadline, name=filename)


def find_header(table: pd.DataFrame, *, scan: int = HEADER_SCAN_ROWS) -> pd.DataFrame:
    """Use a lower row (or two rows) as the header when the sheet opens with a title ("DANH SÁCH ...",
    blank rows) or a two-row header: :func:`lib.io.headers.locate_header`, as the importer does.

    Keeps ``table`` as it is when its own header is the best among the first ``scan`` rows.
    """
    rows = [["" if re.fullmatch(r"Cột \d+", str(c)) else str(c) for c in table.columns]]  # read_table's blanks
    for position in range(min(scan, len(table))):
        rows.append(["" if v is None or v != v else str(v).strip() for v in table.iloc[position].tolist()])
    position, header, spans = locate_header(rows, scan=scan)
    if position == 0 and spans == 1:
        return table
    body = table.iloc[position + spans - 1 :].reset_index(drop=True)
    body.columns = unique_names(header)
    return body.dropna(how="all").reset_index(drop=True)


def conversion_bytes(conversion: Conversion, fmt: str, info: ExportInfo) -> bytes:
    """The converted table as CSV (BOM) or XLSX (converted rows, problems, summary, about)."""
    if fmt == "csv":
        return csv_bytes(conversion.table, info)
    if fmt != "xlsx":
        raise ValueError(f"the converted table is written as csv or xlsx, not {fmt!r}")
    sheets = {"converted": conversion.table, "problems": conversion.problems, "summary": conversion.summary()}
    docs = {**OUTPUT_DOCS, **OLD_SHAPE_DOCS, "rows": "number of input rows with that match quality"}
    return xlsx_bytes(sheets, info, docs=docs, undocumented="column of the uploaded file, unchanged")
