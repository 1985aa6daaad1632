"""What is known wrong or uncertain in the dataset, per unit: one searchable, exportable table.

Gathers what the build recorded: rejected crosswalk pairs (``crosswalk_rejected.csv``), pairs
kept or changed with a review note (crosswalk ``review``), blanked populations and administrative
centres and area gaps (new communes' ``*_quality`` columns), provinces whose communes do not add up
(``population_check_provinces.csv``) and, when present, the amendments (``changes.csv``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from lib.core.vocab import REFORM_DATE, REFORM_TEXT
from lib.data import geodata
from lib.data.names import name_key

REJECTED = geodata.CROSSWALK_REJECTED
POPULATION_CHECK = "population_check_provinces.csv"
CHANGES = "changes.csv"

COLUMNS = ["kind", "level", "code", "name", "province_name", "related_code", "related_name", "detail", "source"]
COLUMN_DOCS = {
    "kind": "what is wrong or uncertain (Vietnamese label)",
    "level": "xã mới (new commune), xã cũ (old commune), tỉnh mới (new province)",
    "code": "GSO code of the unit",
    "name": "name of the unit",
    "province_name": "its province (new province for new units, old province for old ones)",
    "related_code": "the other unit of a pair (the new commune of an old commune's pair)",
    "related_name": "its name",
    "detail": "the reason, as recorded by the build",
    "source": "the file of the dataset the row comes from",
}

KINDS = {
    "rejected": "Cặp xã cũ → mới bị loại",
    "review": "Cặp cần xem lại",
    "lone_part": "Xã cũ 'một phần' một đích đã xử lý",
    "population": "Dân số không hiển thị",
    "admin_centre": "Trụ sở không hiển thị",
    "area": "Diện tích lệch",
    "province": "Tổng dân số tỉnh lệch",
    "change": f"Điều chỉnh sau {REFORM_TEXT}",
}

# The build writes its reasons in English; the page shows them in Vietnamese (unknown texts as they are).
_REASONS: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (r"one source only", "chỉ một nguồn ghi cặp này"),
    (r"the official note does not name it", "ghi chú chính thức không nêu xã này"),
    (r"its evidence lies ([\d.]+) km away", r"ranh giới 2009 / điểm của xã cách \1 km"),
    (
        r"the note may name another old commune of the same name \(several went into the new province\)",
        "ghi chú có thể nói tới xã cũ khác cùng tên (nhiều xã cùng tên nhập vào tỉnh mới)",
    ),
    (r"kept although contradicted \((.*)\): its only target", r"giữ lại dù có mâu thuẫn (\1): đích duy nhất"),
    (r"the official note names it whole, but it has several targets: part", "ghi chú nêu toàn bộ, nhưng có nhiều đích"),
    (
        r"lone part: its target's official note names it whole, and no other unit's note names it",
        "ghi 'một phần' nhưng chỉ một đích: ghi chú chính thức nêu toàn bộ → toàn bộ",
    ),
    (
        r"lone part: no unit's official note names it in part; taken as whole",
        "ghi 'một phần' nhưng chỉ một đích → toàn bộ",
    ),
    (
        r"lone part: its target's note says '1 phần' but no other unit's note names it; taken as whole",
        "ghi chú nói '1 phần' nhưng không tìm thấy đích khác → toàn bộ",
    ),
    (
        r"lone part: its other target (\d+) found in that unit's official note \('1 phần'\)",
        r"tìm thấy đích còn lại \1 (ghi chú '1 phần')",
    ),
    (r"pair not in vietnamadminunits", "chỉ dvhcvn ghi cặp này"),
    (r"old code not in the GSO list of 30/06/2025", "mã cũ không có trong danh mục 30/06/2025"),
    (r"no figure in the source", "nguồn không có số liệu"),
    (r"\(source figure (\d+)\)", r"(nguồn ghi \1)"),
    (r"same figure as a same-named commune in another province", "trùng số với xã cùng tên ở tỉnh khác"),
    (r"a province's total, not a commune's", "là số của cả tỉnh, không phải của xã"),
    (r"fewer than ([\d,]+) people", lambda m: f"dưới {m.group(1).replace(',', '.')} người"),
    (r"density out of range \(5–60,000 per km²\)", "mật độ ngoài khoảng 5–60.000 người/km²"),
    (r"placeholder text in the source: ", "nguồn ghi: "),
    (r"no address in the source", "nguồn không có địa chỉ"),
    (r"no official area in the source", "nguồn không có diện tích chính thức"),
    (
        r"polygon area differs from the official area by ([+-]?\d+) %",
        r"diện tích đa giác lệch \1 % so với số chính thức",
    ),
    (r"not checked: communes without a figure", "chưa kiểm được: có xã không có số liệu"),
    (r"off by ([+-][\d.]+) %:[^(]*", r"lệch \1 % so với số của tỉnh "),
]


def to_vietnamese(text: str) -> str:
    """A build reason in Vietnamese (texts it does not know are returned as they are)."""
    out = str(text)
    for pattern, replacement in _REASONS:
        out = re.sub(pattern, replacement, out)
    return out


def load_inputs(geodata_dir: Path | None = None) -> dict[str, pd.DataFrame | None]:
    """The tables :func:`quality_issues` needs besides the crosswalk and the new communes (missing files → None)."""
    folder = geodata.folder(geodata_dir)

    def read(name: str) -> pd.DataFrame | None:
        path = folder / name
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False) if path.is_file() else None

    return {"rejected": read(REJECTED), "province_check": read(POPULATION_CHECK), "changes": read(CHANGES)}


def quality_issues(
    crosswalk: pd.DataFrame,
    new_communes: pd.DataFrame,
    *,
    new_provinces: pd.DataFrame | None = None,
    rejected: pd.DataFrame | None = None,
    province_check: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per known problem or uncertainty (:data:`COLUMNS`), in a stable order."""
    parts = [
        _rejected(rejected, crosswalk),
        _reviewed(crosswalk),
        _attributes(new_communes),
        _provinces(province_check, new_provinces),
        _changes(changes, new_communes),
    ]
    table = pd.concat([p for p in parts if p is not None and len(p)], ignore_index=True)
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    table = table[COLUMNS].fillna("")
    table["detail"] = table["detail"].map(to_vietnamese)
    order = {label: i for i, label in enumerate(KINDS.values())}
    table["_order"] = table["kind"].map(order)
    return table.sort_values(["_order", "code", "related_code"], kind="mergesort", ignore_index=True).drop(
        columns="_order"
    )


def _rejected(rejected: pd.DataFrame | None, crosswalk: pd.DataFrame) -> pd.DataFrame | None:
    if rejected is None or rejected.empty:
        return None
    old = crosswalk.drop_duplicates("old_code").set_index("old_code")
    names = rejected.get("old_name", pd.Series("", index=rejected.index)).replace("", pd.NA)
    return pd.DataFrame(
        {
            "kind": KINDS["rejected"],
            "level": "xã cũ",
            "code": rejected["old_code"],
            "name": names.fillna(rejected["old_code"].map(old["old_name"])).fillna(""),
            "province_name": rejected["old_code"].map(old["old_province_name"]).fillna(""),
            "related_code": rejected["new_code"],
            "related_name": rejected.get("new_name", pd.Series("", index=rejected.index)),
            "detail": rejected["reason"],
            "source": REJECTED,
        }
    )


def _reviewed(crosswalk: pd.DataFrame) -> pd.DataFrame | None:
    if "review" not in crosswalk.columns:
        return None
    rows = crosswalk[crosswalk["review"].fillna("").ne("")]
    lone = rows["review"].str.contains("lone part", regex=False)
    return pd.DataFrame(
        {
            "kind": lone.map({True: KINDS["lone_part"], False: KINDS["review"]}),
            "level": "xã cũ",
            "code": rows["old_code"],
            "name": rows["old_name"],
            "province_name": rows["old_province_name"],
            "related_code": rows["new_code"],
            "related_name": rows["new_name"],
            "detail": rows["review"],
            "source": geodata.CROSSWALK,
        }
    )


def _attributes(communes: pd.DataFrame) -> pd.DataFrame | None:
    frames = []
    for column, kind in (
        ("population_quality", "population"),
        ("admin_centre_quality", "admin_centre"),
        ("area_quality", "area"),
    ):
        if column not in communes.columns:
            continue
        rows = communes[communes[column].fillna("").ne("")]
        detail = rows[column]
        if kind == "area":
            detail = detail + rows.apply(_areas, axis=1)
        frames.append(
            pd.DataFrame(
                {
                    "kind": KINDS[kind],
                    "level": "xã mới",
                    "code": rows["code"],
                    "name": rows["full_name"] if "full_name" in rows else rows["name"],
                    "province_name": rows["province_name"],
                    "related_code": "",
                    "related_name": "",
                    "detail": detail,
                    "source": geodata.LAYERS["new_communes"].path,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else None


def _areas(row: pd.Series) -> str:
    polygon, official = row.get("area_km2"), row.get("area_official_km2")
    if pd.isna(polygon) or pd.isna(official):
        return ""
    return (
        f" (đa giác {polygon:,.1f} km², chính thức {official:,.1f} km²)".replace(",", "·")
        .replace(".", ",")
        .replace("·", ".")
    )


def _provinces(check: pd.DataFrame | None, provinces: pd.DataFrame | None) -> pd.DataFrame | None:
    if check is None or check.empty:
        return None
    rows = check[check["verdict"].ne("within ±5 %")]
    names = provinces.set_index("code")["full_name"] if provinces is not None else pd.Series(dtype=object)
    return pd.DataFrame(
        {
            "kind": KINDS["province"],
            "level": "tỉnh mới",
            "code": rows["province_code"],
            "name": rows["province_code"].map(names).fillna(""),
            "province_name": rows["province_code"].map(names).fillna(""),
            "related_code": "",
            "related_name": "",
            "detail": rows["verdict"]
            + " (tỉnh "
            + rows["province_population"].map(_int_text)
            + ", tổng các xã "
            + rows["communes_sum"].map(_int_text)
            + ", "
            + rows["communes_without_figure"]
            + " xã không có số)",
            "source": POPULATION_CHECK,
        }
    )


def _int_text(value: str) -> str:
    number = pd.to_numeric(value, errors="coerce")
    return "?" if pd.isna(number) else f"{int(round(number)):,}".replace(",", ".")


def _changes(changes: pd.DataFrame | None, new_communes: pd.DataFrame) -> pd.DataFrame | None:
    """Changes that took effect after 1 July 2025 (later resolutions and amendments) in ``changes.csv``."""
    if changes is None or changes.empty:
        return None
    later = changes[changes["effective_date"] > REFORM_DATE.isoformat()]
    what = later["field"].where(later["field"].ne(""), later["kind"])
    return pd.DataFrame(
        {
            "kind": KINDS["change"],
            "level": "xã mới",
            "code": later["code"],
            "name": later["code"].map(new_communes.set_index("code")["full_name"]).fillna(""),
            "province_name": "",
            "related_code": "",
            "related_name": "",
            "detail": what
            + ": "
            + later["old_value"]
            + " → "
            + later["new_value"]
            + " (từ "
            + later["effective_date"]
            + ", "
            + later["legal_basis"]
            + ")",
            "source": CHANGES,
        }
    )


def filter_issues(issues: pd.DataFrame, query: str = "", *, kinds: list[str] | None = None) -> pd.DataFrame:
    """Rows whose code starts with ``query`` or whose name (or related unit) matches it by :func:`name_key`."""
    rows = issues if not kinds else issues[issues["kind"].isin(kinds)]
    query = (query or "").strip()
    if not query:
        return rows.reset_index(drop=True)
    key = name_key(query)
    by_code = rows["code"].str.startswith(query) | rows["related_code"].str.startswith(query)
    by_name = pd.Series(False, index=rows.index)
    if key:
        for column in ("name", "related_name", "province_name"):
            by_name |= rows[column].map(name_key).str.contains(key, regex=False)
    return rows[by_code | by_name].reset_index(drop=True)


def counts(issues: pd.DataFrame) -> dict[str, int]:
    """How many rows of each kind (every kind listed, zero where none)."""
    found = issues["kind"].value_counts()
    return {label: int(found.get(label, 0)) for label in KINDS.values()}


def commune_facts(commune: dict) -> dict[str, str]:
    """Area, population and administrative centre of a new commune as shown in its panel (Vietnamese).

    A value the build blanked reads "không rõ" with the reason; the official area is shown beside
    the polygon's where the two differ by more than 10 %.
    """
    from lib.data.i18n import format_int, format_number

    def unknown(column: str) -> str:
        reason = commune.get(column) or ""
        return f"không rõ ({to_vietnamese(reason)})" if isinstance(reason, str) and reason else "không rõ"

    area = f"{format_number(commune.get('area_km2'), 2)} km²"
    official = commune.get("area_official_km2")
    if commune.get("area_quality") and official is not None and not pd.isna(official):
        area += f" (đa giác; số chính thức {format_number(official, 2)} km²)"
    population = commune.get("population")
    missing = population is None or pd.isna(population)
    return {
        "Diện tích": area,
        "Dân số": unknown("population_quality") if missing else format_int(population),
        "Trụ sở": commune.get("admin_centre") or unknown("admin_centre_quality"),
    }
