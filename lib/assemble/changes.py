"""The dated change log of the new communes, parsed from the catalogue's notes, and user amendments.

A catalogue note is free text written by people, e.g. "Đổi tên từ phường Trúc Bạch thành phường
Ba Đình, hợp nhất phường Quán Thánh, …, 1 phần phường Kim Mã. Bỏ cấp huyện. Số:
1656/NQ-UBTVQH15; Ngày: 16/06/2025". A unit changed again later has the later change and its
resolution in the same note ("… Thành lập phường Kép từ xã Kép. Số: 388/NQ-UBTVQH16; Ngày:
04/08/2026"), sometimes in place of the reform resolution. :func:`parse_note` turns one note into
records (one per change); :func:`build_change_log` does it for the catalogue;
:func:`read_amendments` reads and checks a user's amendments file; :func:`latest_state`
applies name and type changes to the communes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pandas as pd

from lib.core.parse import parse_day
from lib.core.vocab import REFORM_DATE
from lib.data.asof import CHANGE_COLUMNS, FIELDS, KINDS

# The 34 resolutions of 16/06/2025 that carry the reform itself; they took effect on 01/07/2025.
REFORM_NUMBERS = range(1654, 1688)
REFORM_BASIS_DATE = dt.date(2025, 6, 16)
# An amendment is a change record's first columns (up to the resolution's date) and the user's note.
AMENDMENT_COLUMNS = [*CHANGE_COLUMNS[: CHANGE_COLUMNS.index("basis_date") + 1], "note"]
AMENDMENT_KINDS = {"rename": "name", "type_change": "type"}
UNIT_TYPES = ("Xã", "Phường", "Đặc khu")

_TYPE = r"(?:thị trấn|thị xã|đặc khu|phường|xã|quận|huyện)"
_FROM = r"(?:t[ừèeứ]|tư)"  # "từ", and the typos seen: "tè", …
_NAME = r"([^,.;]+?)"
_END = r"(?=\s*(?:,|\.|;|$)|\s+và\s|\s*(?:và|vf)?\s*hợp\s+nhất)"
_INTO = r"(?-i:thành)(?:\s+(?-i:thành))?"  # lower case only: names hold "Thành"; "thành thành" is a typo seen
_BASIS = re.compile(
    r"\bSố\s*[:：]?\s*(\d+)\s*/\s*NQ\s*-\s*UBTVQH\s*(\d+)\s*[;,.]?\s*Ngày\s*[:：]?\s*"
    r"(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})",
    re.IGNORECASE,
)
_STATED_DATE = re.compile(
    r"hiệu lực\s+(?:thi hành\s+)?(?:kể\s+)?(?:từ\s+)?ngày\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})", re.IGNORECASE
)
_TYPE_CHANGE = re.compile(
    rf"(?:thay\s+)?đổi\s+loại\s+hình(?:\s+{_FROM}\s+({_TYPE})\s+{_NAME}\s+{_INTO}\s+({_TYPE})\s+{_NAME}{_END})?",
    re.IGNORECASE,
)
_RENAME = re.compile(
    rf"đổi\s+tên(?:\s+mới)?\s+(?:(?:{_FROM}\s+)?(?:({_TYPE})\s*)?{_NAME}\s+)?{_INTO}\s+(?:({_TYPE})\s+)?{_NAME}{_END}",
    re.IGNORECASE,
)
_MERGE = re.compile(r"hợp\s+(?:nhất|thành)\s+(.+?)(?=\.\s|\.$|$)", re.IGNORECASE)
_PART = re.compile(
    r"(?:\b1|một)\s+phần\s+(?:của\s+)?" + _TYPE + r"\s+[^,.;]+?(?=\s*(?:,|\.|;|$)|\s+và\s)", re.IGNORECASE
)
_ESTABLISH = re.compile(
    rf"thành\s+lập\s+({_TYPE})\s+{_NAME}\s+(?:{_FROM}|trên\s+cơ\s+sở\b[^.]*?\bcủa)\s+({_TYPE})\s+{_NAME}{_END}",
    re.IGNORECASE,
)
_KEEP = re.compile(r"giữ\s+nguyên", re.IGNORECASE)


class AmendmentError(ValueError):
    """A row of the amendments file is malformed: the message names the file, row and column."""


@dataclass
class ParsedNote:
    """Records of one note, and what of it could not be read."""

    records: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text)).split())


def _type_word(text: str) -> str:
    return _clean(text).capitalize()


def _name(text: str) -> str:
    # "Yên PHong" → "Yên Phong": words written with stray capitals are title-cased.
    words = _clean(text).strip(" .,;").split()
    return " ".join(w if not w[1:].isupper() or len(w) == 1 else w.capitalize() for w in words)


def is_reform(number: str, suffix: str, basis_date: dt.date) -> bool:
    """Whether resolution ``number``/NQ-UBTVQH``suffix`` of ``basis_date`` is one of the 34 reform ones."""
    return suffix == "15" and int(number) in REFORM_NUMBERS and basis_date == REFORM_BASIS_DATE


def _segments(note: str) -> list[tuple[str, dict | None]]:
    """The note cut after each legal basis: (text, basis) pairs; text after the last basis has none."""
    out: list[tuple[str, dict | None]] = []
    start = 0
    for match in _BASIS.finditer(note):
        number, suffix, day, month, year = match.groups()
        try:
            basis_date = dt.date(int(year), int(month), int(day))
        except ValueError:
            basis_date = None
        basis = {
            "legal_basis": f"{int(number)}/NQ-UBTVQH{suffix}",
            "basis_date": basis_date,
            "reform": basis_date is not None and is_reform(number, suffix, basis_date),
        }
        out.append((note[start : match.start()], basis))
        start = match.end()
    tail = note[start:].strip(" .;,")
    if tail:
        out.append((tail, None))
    return out


def parse_note(code: str, note: str, *, reform_basis: tuple[str, str] | None = None) -> ParsedNote:
    """Records of one catalogue note (see :data:`lib.data.asof.CHANGE_COLUMNS`).

    Parameters
    ----------
    code
        The new commune's code.
    note
        The note text.
    reform_basis
        (number, ISO date) of the province's reform resolution, used when the note names only a
        later resolution (its reform clauses then get this basis, ``basis_from`` = "province").
    """
    note = _clean(note)
    parsed = ParsedNote()
    segments = _segments(note)
    if not any(basis for _, basis in segments):
        parsed.problems.append("no legal basis (Số: …; Ngày: …)")
    reform_seen = False
    for text, basis in segments:
        if basis is None:
            parsed.problems.append(f"text after the last legal basis: “{text[:60]}”")
            continue
        if basis["basis_date"] is None:
            parsed.problems.append(f"impossible date for {basis['legal_basis']}")
            continue
        later_date = _later_effective_date(text, basis)
        establish = list(_ESTABLISH.finditer(text))
        reform_text = text
        for match in reversed(establish):
            reform_text = reform_text[: match.start()] + reform_text[match.end() :]
        reform_text = _clean(reform_text).strip(" .;,")
        if basis["reform"]:
            reform = (basis["legal_basis"], basis["basis_date"].isoformat(), "note")
        elif reform_basis:
            reform = (*reform_basis, "province")
        else:
            reform = None
        if reform_text and not _only_establish_leftovers(reform_text):
            if reform is None:
                parsed.problems.append(f"reform clauses without a reform resolution: “{reform_text[:60]}”")
            else:
                parsed.records += _reform_records(code, reform_text, reform, parsed.problems)
                reform_seen = True
        effective = REFORM_DATE if basis["reform"] else later_date
        kind_from = "note"
        seen = set()
        for match in establish:
            new_type, new_name, old_type, old_name = match.groups()
            key = (_type_word(new_type), _name(new_name), _type_word(old_type), _name(old_name))
            if key in seen:
                continue
            seen.add(key)
            common = _record(code, effective, basis["legal_basis"], basis["basis_date"].isoformat(), kind_from)
            detail = _clean(match.group(0))
            if key[0] != key[2]:
                parsed.records.append(
                    {**common, "kind": "type_change", "field": "type", "old_value": key[2], "new_value": key[0]}
                    | {"detail": detail}
                )
            if _name(old_name).lower() != _name(new_name).lower():
                parsed.records.append(
                    {**common, "kind": "rename", "field": "name", "old_value": key[3], "new_value": key[1]}
                    | {"detail": detail}
                )
        if not basis["reform"] and not establish:
            parsed.problems.append(f"{basis['legal_basis']}: no change found (“Thành lập … từ …”)")
    if not reform_seen and reform_basis is None and not parsed.problems:
        parsed.problems.append("no reform clause")
    return parsed


def _only_establish_leftovers(text: str) -> bool:
    return not re.sub(r"[\s.,;]", "", text)


def _later_effective_date(text: str, basis: dict) -> dt.date:
    """The date a later resolution took effect: the one the note states, else the resolution's date."""
    stated = _STATED_DATE.search(text)
    if stated:
        day, month, year = (int(x) for x in stated.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            pass
    return basis["basis_date"]


def _record(code: str, effective: dt.date, legal_basis: str, basis_date: str, basis_from: str) -> dict:
    return {
        "effective_date": effective.isoformat(),
        "code": code,
        "kind": "",
        "field": "",
        "old_value": "",
        "new_value": "",
        "legal_basis": legal_basis,
        "basis_date": basis_date,
        "basis_from": basis_from,
        "source": "nso2026",
        "detail": "",
    }


def _reform_records(code: str, text: str, reform: tuple[str, str, str], problems: list[str]) -> list[dict]:
    """The reform record of a unit and its reform-time type change, rename, merge, boundary records."""
    common = _record(code, REFORM_DATE, *reform)
    records = [{**common, "kind": "reform", "detail": text}]
    renames = list(_RENAME.finditer(text))
    for match in _TYPE_CHANGE.finditer(text):
        old_type, _old, new_type, _new = match.groups()
        if not old_type:  # "Đổi loại hình, đổi tên từ thị trấn Chờ thành xã Yên Phong": the rename has the types
            typed = [m for m in renames if m.group(1) and m.group(3)]
            old_type, new_type = (typed[0].group(1), typed[0].group(3)) if typed else (None, None)
        values = {"old_value": _type_word(old_type), "new_value": _type_word(new_type)} if old_type else {}
        records.append({**common, "kind": "type_change", **values, "detail": _clean(match.group(0))})
    for match in renames:
        _old_type, old_name, _new_type, new_name = match.groups()
        values = {"old_value": _name(old_name) if old_name else "", "new_value": _name(new_name)}
        records.append({**common, "kind": "rename", **values, "detail": _clean(match.group(0))})
    for match in _MERGE.finditer(text):
        records.append({**common, "kind": "merge", "detail": _clean(match.group(1))})
    parts = [_clean(m.group(0)) for m in _PART.finditer(text)]
    if parts:
        records.append({**common, "kind": "boundary", "detail": "; ".join(parts)})
    if re.search(r"đổi\s+tên", text, re.IGNORECASE) and not _RENAME.search(text):
        problems.append(f"rename not understood: “{text[:60]}”")
    if len(records) == 1 and not _KEEP.search(text) and not re.search(r"bỏ\s+cấp\s+huyện", text, re.IGNORECASE):
        problems.append(f"no change understood: “{text[:60]}”")
    return records


def province_reform_bases(catalogue: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Province code → (number, ISO date) of the reform resolution its communes' notes cite most."""
    found: dict[str, dict[tuple[str, str], int]] = {}
    for province, note in zip(catalogue["province_code"], catalogue["note"], strict=True):
        for _, basis in _segments(_clean(note)):
            if basis and basis["reform"]:
                key = (basis["legal_basis"], basis["basis_date"].isoformat())
                counts = found.setdefault(province, {})
                counts[key] = counts.get(key, 0) + 1
    return {p: max(sorted(c), key=c.__getitem__) for p, c in found.items()}


def build_change_log(catalogue: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The change log of the catalogue (sorted by code, date, log order) and the notes' problems by code."""
    bases = province_reform_bases(catalogue)
    records, problems = [], {}
    for code, province, note in zip(catalogue["code"], catalogue["province_code"], catalogue["note"], strict=True):
        parsed = parse_note(code, note, reform_basis=bases.get(province))
        records += parsed.records
        if parsed.problems:
            problems[code] = parsed.problems
    log = pd.DataFrame(records, columns=CHANGE_COLUMNS)
    return _sorted(log), problems


def _sorted(log: pd.DataFrame) -> pd.DataFrame:
    order = {k: i for i, k in enumerate(("reform", "type_change", "rename", "merge", "boundary"))}
    log = log.assign(_kind=log["kind"].map(order), _source=(log["source"] != "nso2026").astype(int))
    log["_row"] = range(len(log))
    log = log.sort_values(["code", "effective_date", "_source", "_kind", "_row"], kind="mergesort")
    return log.drop(columns=["_kind", "_source", "_row"]).reset_index(drop=True)


def catalogue_state(catalogue: pd.DataFrame) -> pd.DataFrame:
    """``code``, ``name`` (without the type word), ``type`` (Xã/Phường/Đặc khu) of the catalogue."""
    words = {"xa": "Xã", "phuong": "Phường", "dac-khu": "Đặc khu"}
    types = catalogue["type"].map(words)
    names = [
        _clean(full)[len(t) + 1 :] if _clean(full).lower().startswith(t.lower() + " ") else _clean(full)
        for full, t in zip(catalogue["name"], types, strict=True)
    ]
    return pd.DataFrame({"code": catalogue["code"], "name": names, "type": types})


def read_amendments(path: Path, known_codes: set[str]) -> pd.DataFrame:
    """The amendments file as change records; :class:`AmendmentError` (file, row, column) when a row is wrong.

    Columns: :data:`AMENDMENT_COLUMNS`. ``kind`` is ``rename`` (field ``name``: the name without
    its type word) or ``type_change`` (field ``type``: Xã, Phường or Đặc khu); ``field`` may be
    left empty. Dates are YYYY-MM-DD (or dd/mm/yyyy), on or after 2025-07-01.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise AmendmentError(f"{path}: không đọc được tệp ({err})") from err
    missing = [c for c in AMENDMENT_COLUMNS if c not in table.columns]
    if missing:
        raise AmendmentError(f"{path}: thiếu cột {', '.join(missing)} (cần: {', '.join(AMENDMENT_COLUMNS)})")
    records = []
    for i, row in enumerate(table.to_dict("records"), start=2):  # row 1 is the header

        def fail(column: str, message: str, row_number: int = i) -> NoReturn:
            raise AmendmentError(f"{path}, dòng {row_number}, cột {column}: {message}")

        values = {c: _clean(row[c]) for c in AMENDMENT_COLUMNS}
        if not any(values.values()):
            continue
        effective = _amendment_date(values["effective_date"]) or fail("effective_date", "ngày không hợp lệ")
        if effective < REFORM_DATE:
            fail("effective_date", "ngày trước 01/07/2025")
        code = values["code"].zfill(5) if values["code"].isdigit() else values["code"]
        if code not in known_codes:
            fail("code", f"mã xã “{values['code']}” không có trong bộ dữ liệu")
        if values["kind"] not in AMENDMENT_KINDS:
            fail("kind", f"“{values['kind']}” không hợp lệ (dùng: {', '.join(AMENDMENT_KINDS)})")
        field_name = values["field"] or AMENDMENT_KINDS[values["kind"]]
        if field_name != AMENDMENT_KINDS[values["kind"]]:
            fail("field", f"“{field_name}” không khớp loại {values['kind']} (cần {AMENDMENT_KINDS[values['kind']]})")
        if not values["new_value"]:
            fail("new_value", "giá trị mới trống")
        if field_name == "type" and values["new_value"] not in UNIT_TYPES:
            fail("new_value", f"loại hình phải là {', '.join(UNIT_TYPES)}")
        basis_date = ""
        if values["basis_date"]:
            parsed = _amendment_date(values["basis_date"]) or fail("basis_date", "ngày không hợp lệ")
            basis_date = parsed.isoformat()
        records.append(
            {
                "effective_date": effective.isoformat(),
                "code": code,
                "kind": values["kind"],
                "field": field_name,
                "old_value": values["old_value"],
                "new_value": values["new_value"],
                "legal_basis": values["legal_basis"],
                "basis_date": basis_date,
                "basis_from": "amendment",
                "source": path.name,
                "detail": values["note"],
                "_row": i,
            }
        )
    return pd.DataFrame(records, columns=[*CHANGE_COLUMNS, "_row"])


def _amendment_date(text: str) -> dt.date | None:
    return parse_day(text, day_first=True)


def apply_amendments(
    state: pd.DataFrame, log: pd.DataFrame, amendments: pd.DataFrame, *, path: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The latest state and the change log after the amendments (in date order).

    An empty ``old_value`` is filled with the value before the amendment; one that differs
    from it raises :class:`AmendmentError`.
    """
    state = state.copy()
    index = pd.Series(state.index, index=state["code"])
    rows = []
    for _, row in amendments.sort_values(["effective_date", "_row"], kind="mergesort").iterrows():
        where = index[row["code"]]
        before = state.at[where, row["field"]]
        if row["old_value"] and row["old_value"] != before:
            raise AmendmentError(
                f"{path}, dòng {row['_row']}, cột old_value: “{row['old_value']}” khác giá trị hiện có “{before}”"
            )
        state.at[where, row["field"]] = row["new_value"]
        rows.append({**row.drop("_row").to_dict(), "old_value": before})
    log = pd.concat([log, pd.DataFrame(rows, columns=CHANGE_COLUMNS)], ignore_index=True) if rows else log
    return state, _sorted(log)


def latest_state(state: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Check that the catalogue state is the log's latest: the new value of every dated change
    of a field equals the unit's current value unless a later change of the field follows."""
    later = log[log["field"].isin(FIELDS) & (log["effective_date"] > REFORM_DATE.isoformat())]
    last = later.drop_duplicates(["code", "field"], keep="last")
    current = state.set_index("code")
    bad = [
        f"{r.code} {r.field}: log says “{r.new_value}”, catalogue “{current.at[r.code, r.field]}”"
        for r in last.itertuples()
        if current.at[r.code, r.field] != r.new_value
    ]
    return pd.DataFrame({"problem": bad})


@dataclass
class ChangeReport:
    """What the catalogue changed against the earlier sources, and what of the notes could not be read."""

    differences: pd.DataFrame  # code, field, before (new2025), after (catalogue), explained_by
    problems: dict[str, list[str]]
    note_name_mismatches: pd.DataFrame  # code, note_name, catalogue_name
    amendments: int = 0

    def counts(self, log: pd.DataFrame) -> dict:
        """Figures for the manifest."""
        by_kind = log["kind"].value_counts()
        return {
            **{f"changes_{k}": int(by_kind.get(k, 0)) for k in KINDS},
            "changes_after_reform": int((log["effective_date"] > REFORM_DATE.isoformat()).sum()),
            "changes_notes_unparsed": len(self.problems),
            "changes_amendments": self.amendments,
            "catalogue_differences": len(self.differences),
        }


def apply_catalogue(
    communes: pd.DataFrame, catalogue: pd.DataFrame, *, amendments: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, ChangeReport]:
    """``communes`` with the catalogue's names and types (then the amendments), the change log, a report.

    ``communes`` (from new2025) must have the same codes as the catalogue; ``name``, ``type`` and
    ``full_name`` are replaced, every difference is listed in the report with the change record
    that explains it.
    """
    missing = sorted(set(communes["code"]) ^ set(catalogue["code"]))
    if missing:
        raise ValueError(f"catalogue and polygons differ in codes: {', '.join(missing[:10])}")
    log, problems = build_change_log(catalogue)
    state = catalogue_state(catalogue)
    n_amendments = 0
    if amendments is not None and Path(amendments).is_file():
        table = read_amendments(Path(amendments), set(state["code"]))
        state, log = apply_amendments(state, log, table, path=Path(amendments))
        n_amendments = len(table)
    out = communes.copy()
    indexed = state.set_index("code")
    before = out[["code", "name", "type"]].copy()
    out["name"] = out["code"].map(indexed["name"])
    out["type"] = out["code"].map(indexed["type"])
    out["full_name"] = out["type"] + " " + out["name"]
    report = ChangeReport(
        differences=_differences(before, out, log),
        problems=problems,
        note_name_mismatches=_note_names(log, state),
        amendments=n_amendments,
    )
    return out, log, report


def _differences(before: pd.DataFrame, after: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    from lib.data.names import name_key

    rows = []
    dated = log[log["field"].isin(FIELDS)].drop_duplicates(["code", "field"], keep="last").set_index(["code", "field"])
    for fld in FIELDS:
        changed = before[fld].to_numpy() != after[fld].to_numpy()
        for code, old, new in zip(before["code"][changed], before[fld][changed], after[fld][changed], strict=True):
            record = dated.loc[(code, fld)] if (code, fld) in dated.index else None
            explained = (
                f"{record['kind']} {record['legal_basis']} ({record['effective_date']})" if record is not None else ""
            )
            if not explained and fld == "name" and name_key(old) == name_key(new):
                explained = "spelling only (tone-mark placement: oà/òa, uỷ/ủy)"
            rows.append({"code": code, "field": fld, "before": old, "after": new, "explained_by": explained})
    return pd.DataFrame(rows, columns=["code", "field", "before", "after", "explained_by"])


def _note_names(log: pd.DataFrame, state: pd.DataFrame) -> pd.DataFrame:
    """Reform renames whose new name (as the note writes it) is not the catalogue's name."""
    from lib.data.names import name_key

    renames = log[(log["kind"] == "rename") & (log["source"] == "nso2026")].drop_duplicates("code", keep="last")
    current = state.set_index("code")["name"]
    later = set(log.loc[(log["field"] == "name") & (log["effective_date"] > REFORM_DATE.isoformat()), "code"])
    rows = [
        {"code": r.code, "note_name": r.new_value, "catalogue_name": current[r.code]}
        for r in renames.itertuples()
        if r.code not in later and name_key(r.new_value) != name_key(current[r.code])
    ]
    return pd.DataFrame(rows, columns=["code", "note_name", "catalogue_name"])


def write_amendments(source: Path | None, path: Path) -> None:
    """The dataset's copy of the amendments file ``source`` (just the header when there is none)."""
    if source is not None and Path(source).is_file():
        rows = pd.read_csv(source, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        rows = rows[[c for c in AMENDMENT_COLUMNS]]
        rows = rows[rows.apply(lambda r: any(v.strip() for v in r), axis=1)] if len(rows) else rows
    else:
        rows = pd.DataFrame(columns=AMENDMENT_COLUMNS)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
