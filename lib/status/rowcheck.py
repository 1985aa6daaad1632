"""Check a status sheet's rows: resolve each unit, read its values, refuse duplicates; nothing is written."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from lib.core.parse import parse_count
from lib.core.parse import quote as _quote
from lib.core.vocab import CENTRE_CHOICES, GAP_LABELS, LEVEL_VALUES, LOCAL_TZ
from lib.data.i18n import format_int
from lib.data.names import name_key
from lib.io.headers import accepted_names
from lib.io.sheets import Deadline, SheetError
from lib.lookup.resolve import RESOLVED, Match, UnitResolver
from lib.status.reading import (
    NUMBER_FIELDS,
    REPORT_VALUE_FIELDS,
    UNIT_FIELDS,
    Issue,
    Mapping,
    Sheet,
    ValidationReport,
)
from lib.status.values import MAX_TEXT_CHARS, _centre, _judge_time, _truthy

_UNIT_EXAMPLES = ("commune_code", "commune_name", "province_name")


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
            + ("" if any(f in mapping.columns for f in UNIT_FIELDS) else f". {accepted_names(_UNIT_EXAMPLES)}")
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
            layer = "old_commune" if old else "new_commune"
            issues.append(
                Issue(
                    "invalid",
                    file_row,
                    mapping.columns["commune_code"],
                    f"mã {code} là {resolver.label(layer, code)} nhưng tên “{_quote(get['commune_name'])}” là "
                    f"{resolver.label(layer, by_name.codes[0])} — sửa mã hoặc tên",
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
        value, error = parse_count(get.get(f, ""))
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
                f"tình trạng trung tâm “{_quote(centre_text)}” không rõ — dùng: {' / '.join(CENTRE_CHOICES)}",
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
