"""One header matcher for every uploaded sheet: which field each column holds and whether it names old units."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lib.core import vocab
from lib.data.names import fold

# Rows searched for the header (a title, a date line or blank rows may open a sheet): both readers.
HEADER_SCAN_ROWS = 15

_BRACKETS = re.compile(r"\(.*?\)|\[.*?\]")
_LEVEL_ORDER = ("commune", "district", "province")


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_DATE = r"(?: ngay)? \d{1,2} \d{1,2}(?: \d{2,4})?"  # "trước 01/07/2025", "sau ngày 1/7"
_OLD = re.compile(rf"\b(?:{_alternatives(vocab.HEADER_OLD_WORDS)}|truoc{_DATE})\b")
_NEW = re.compile(rf"\b(?:{_alternatives(vocab.HEADER_NEW_WORDS)}|sau{_DATE})\b")
_EXACT = {syn: name for name, (_, syns) in vocab.HEADER_FIELDS.items() for syn in syns}
_WORDS: dict[str, tuple[str, str]] = {
    **{w: ("filler", "") for w in vocab.HEADER_FILLER_WORDS},
    **{w: ("unit", "") for w in vocab.HEADER_UNIT_WORDS},
    **{w: ("name", "") for w in vocab.HEADER_NAME_WORDS},
    **{w: ("code", "") for w in vocab.HEADER_CODE_WORDS},
    **{w: ("type", level) for w, level in vocab.HEADER_TYPE_WORDS.items()},
}
_LONGEST = max(len(w.split()) for w in _WORDS)


@dataclass(frozen=True)
class HeaderMatch:
    """The field a header names (None: not one the app reads) and its marker: True "cũ", False "mới", None."""

    field: str | None
    old: bool | None = None


def header_words(text: object) -> str:
    """``text`` folded to plain words: case, accents, underscores, slashes, hyphens and brackets do not matter."""
    return " ".join(re.sub(r"[\W_]+", " ", fold(str(text))).split())


def match_header(text: object) -> HeaderMatch:
    """The field a column header names and whether it marks old or new units.

    A header listed in :data:`lib.core.vocab.HEADER_FIELDS` names its field; any other is read word by
    word: type words tell the level (alternatives such as "Phường/Xã" are one header, the lowest level
    wins), "mã"/"code"/"id" make it a code column, otherwise a name column. Words in brackets only mark.
    """
    full = header_words(text)
    is_old, is_new = bool(_OLD.search(full)), bool(_NEW.search(full))
    old = True if is_old and not is_new else False if is_new and not is_old else None
    plain = header_words(_BRACKETS.sub(" ", str(text)))
    key = " ".join(_NEW.sub(" ", _OLD.sub(" ", plain)).split())
    found = _EXACT.get(key) or _EXACT.get(plain) or _by_words(key)
    return HeaderMatch(found, old)


def _by_words(key: str) -> str | None:
    """A unit field read from the header's words, or None when a word is not a unit header's word."""
    tokens = key.split()
    levels: list[str] = []
    kinds: set[str] = set()
    i = 0
    while i < len(tokens):
        for n in range(min(_LONGEST, len(tokens) - i), 0, -1):
            word = _WORDS.get(" ".join(tokens[i : i + n]))
            if word is not None:
                break
        else:
            return None
        kind, level = word
        if kind == "type":
            levels.append(level)
        else:
            kinds.add(kind)
        i += n
    if not levels and "unit" not in kinds:
        return None  # "mã", "tên" alone are in the vocabulary; "ID" or "Số" alone name no unit
    if {"code", "name"} <= kinds:
        return None  # "Mã và tên xã": two fields in one column
    if "filler" in kinds and not kinds & {"code", "name", "unit"}:
        return None  # "Cấp xã" is a level, not a unit's name
    level = min(levels, key=_LEVEL_ORDER.index) if levels else "commune"
    return f"{level}_{'code' if 'code' in kinds else 'name'}"


@dataclass
class HeaderReading:
    """What a list of headers holds: {field: column}, the side their units are on, and what was not used."""

    columns: dict[str, str] = field(default_factory=dict)
    old: bool | None = None  # True: the unit columns name old units; False: new; None: not said
    unrecognised: list[str] = field(default_factory=list)
    conflicts: dict[str, list[str]] = field(default_factory=dict)  # field → columns that claim it alike


def read_headers(
    columns: list[str], *, old: bool | None = None, only_old: bool = False, fields: tuple[str, ...] | None = None
) -> HeaderReading:
    """Read ``columns`` into a :class:`HeaderReading`.

    ``old`` says which side's units are wanted (None: the side the unit headers mark). When two
    columns claim one field, the one marked for that side wins, then an unmarked one; two alike are a
    conflict (the first is taken). With ``only_old`` a column marked "mới" is never taken. ``fields``
    limits the fields read (others count as unrecognised).
    """
    matches = [(column, match_header(column)) for column in columns]
    if old is None:
        marks = {m.old for _, m in matches if m.field in vocab.UNIT_HEADER_FIELDS}
        old = True if True in marks else False if False in marks else None
    claims: dict[str, list[tuple[int, str]]] = {}
    for column, m in matches:
        if m.field is None or (fields is not None and m.field not in fields) or (only_old and m.old is False):
            continue
        rank = 1 if m.old is None or old is None else 0 if m.old == old else 2
        claims.setdefault(m.field, []).append((rank, column))
    reading = HeaderReading(old=old)
    for name, candidates in claims.items():
        best = min(rank for rank, _ in candidates)
        alike = [column for rank, column in candidates if rank == best]
        reading.columns[name] = alike[0]
        if len(alike) > 1:
            reading.conflicts[name] = alike
    taken = set(reading.columns.values())
    reading.unrecognised = [column for column in columns if column not in taken]
    return reading


def accepted_names(fields: tuple[str, ...] = tuple(vocab.HEADER_EXAMPLES)) -> str:
    """The header names accepted for ``fields``, in Vietnamese, for a refusal message."""
    listed = "; ".join(
        f"{vocab.HEADER_FIELDS[f][0]}: " + ", ".join(f"“{e}”" for e in vocab.HEADER_EXAMPLES.get(f, ())) for f in fields
    )
    return (
        f"Tên cột được nhận — {listed} (có thể thêm “cũ” hoặc “mới”; không phân biệt chữ hoa, dấu, "
        "gạch dưới, gạch chéo)"
    )


def refusal(problem: str, columns: list[str], fields: tuple[str, ...] = tuple(vocab.HEADER_EXAMPLES)) -> str:
    """A message for headers that cannot be read: the problem, the columns seen and the names accepted."""
    seen = ", ".join(columns[:40]) + (" …" if len(columns) > 40 else "")
    return f"{problem}. Các cột trong tệp: {seen}. {accepted_names(fields)}. Hãy đổi tên tiêu đề cột rồi tải lại."


def header_score(cells: list[str]) -> int:
    """How many cells of a row name a field the readers know."""
    return sum(1 for cell in cells if cell and match_header(cell).field is not None)


def locate_header(rows: list[list[str]], *, scan: int = HEADER_SCAN_ROWS) -> tuple[int, list[str], int]:
    """(position of the header row, its headers, rows it spans: 1 or 2) among the first ``scan`` rows.

    The header is the row naming the most known fields (the first when none does); a sub-header row
    under it (two-row headers with merged cells: "Nhiệm vụ" over "Tổng số | Đã hoàn thành | Quá hạn")
    is joined to it when that recognises more fields. Empty headers become "Cột N".
    """
    best, best_score = 0, 0
    for position in range(min(scan, len(rows))):
        score = header_score(rows[position])
        if score > best_score:
            best, best_score = position, score
    if not rows:
        return 0, [], 1
    joined = _two_row_header(rows, best)
    if joined is not None:
        return best, joined, 2
    return best, [_header_text(v, i) for i, v in enumerate(rows[best])], 1


def _two_row_header(rows: list[list[str]], position: int) -> list[str] | None:
    """Headers joined from rows ``position`` and ``position + 1`` when the second is a sub-header row (no
    numbers; merged cells of the first carried to the right) and the join recognises more fields."""
    if position + 1 >= len(rows):
        return None
    top, sub = rows[position], rows[position + 1]
    if not any(sub) or any(re.fullmatch(r"[\d.,\s]+", v) for v in sub if v):
        return None
    parents, carried = [], ""
    for value, child in zip(top, sub, strict=True):
        carried = value or (carried if child else "")
        parents.append(carried)
    joined = []
    for i, (parent, child) in enumerate(zip(parents, sub, strict=True)):
        candidates = [f"{child} {parent}", f"{parent} {child}", child, parent] if child else [parent]
        known = [c for c in candidates if c.strip() and match_header(c).field is not None]
        joined.append(known[0] if known else _header_text(f"{parent} – {child}".strip(" –"), i))

    def score(names: list[str]) -> int:
        return len({f for f in (match_header(n).field for n in names) if f is not None})

    single = [_header_text(v, i) for i, v in enumerate(top)]
    return joined if score(joined) > score(single) else None


def _header_text(value: str, position: int) -> str:
    return value if value else f"Cột {position + 1}"
