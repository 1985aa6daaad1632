"""Colour modes of the map: which class each unit is in, its colour, and the legend that explains it."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.data.i18n import LOCAL_TZ, format_date, format_int
from lib.maps.urlstate import ViewState

MODE_LABELS = {
    "task": "Tiến độ thực hiện nhiệm vụ",
    "centre": "Trung tâm phục vụ hành chính công",
    "merge": "Cấu trúc sáp nhập",
}
GREY = "#9e9e9e"
TASK_STYLES = {
    "green": ("#2e7d32", "Xanh: mọi nhiệm vụ đã hoàn thành"),
    "amber": ("#f9a825", "Vàng: còn nhiệm vụ đang làm, không quá hạn"),
    "red": ("#c62828", "Đỏ: có nhiệm vụ quá hạn"),
    "grey": (GREY, "Xám: chưa báo cáo hoặc báo cáo quá hạn 16:00"),
}
CENTRE_STYLES = {
    "operating": ("#2e7d32", "Đang hoạt động đầy đủ"),
    "gaps": ("#f9a825", "Hoạt động nhưng còn thiếu (chữ ký số, tài khoản, kết nối, thiết bị)"),
    "not_operating": ("#c62828", "Chưa hoạt động"),
    "unknown": (GREY, "Chưa rõ"),
}
MERGE_BINS = [
    (1, 1, "#e3f2fd", "1 xã cũ (giữ nguyên)"),
    (2, 2, "#90caf9", "2 xã cũ"),
    (3, 3, "#42a5f5", "3 xã cũ"),
    (4, 5, "#1e88e5", "4–5 xã cũ"),
    (6, 10_000, "#0d47a1", "6 xã cũ trở lên"),
]
PROVINCE_MERGE_BINS = [
    (1, 1, "#e3f2fd", "Giữ nguyên"),
    (2, 2, "#64b5f6", "Hợp nhất 2 tỉnh"),
    (3, 10, "#1565c0", "Hợp nhất 3 tỉnh trở lên"),
]
SHARE_BINS = [
    (0.0, 0.2, "#ffebee", "dưới 20 %"),
    (0.2, 0.4, "#ffcdd2", "20–40 %"),
    (0.4, 0.6, "#fff59d", "40–60 %"),
    (0.6, 0.8, "#a5d6a7", "60–80 %"),
    (0.8, 1.0001, "#2e7d32", "80–100 %"),
]
SPLIT_OUTLINE = "#6a1b9a"


@dataclass
class Legend:
    """What the colours mean: title, (colour, label, count) entries, and notes (date, demo data)."""

    title: str
    entries: list[tuple[str, str, int]]
    notes: list[str] = field(default_factory=list)


CONFLICT_OUTLINE = "#d50000"


@dataclass
class Colouring:
    """Fill colour per unit code, codes to outline specially (and the outline's colour), and the legend."""

    fill: dict[str, str]
    legend: Legend
    outlined: set[str] = field(default_factory=set)
    outline_colour: str = SPLIT_OUTLINE


def map_title(view: ViewState, *, provinces: pd.DataFrame, communes: pd.DataFrame) -> str:
    """What a map shows: "Thành phố Hà Nội — …", or "Toàn quốc: 34 tỉnh, thành phố — …" with the
    number of units in ``provinces`` or ``communes`` (the frames drawn), never a fixed figure."""
    mode_label = MODE_LABELS[view.mode].lower()
    if view.province:
        name = provinces.loc[provinces["code"] == view.province, "full_name"].iloc[0]
        return f"{name} — {mode_label}"
    if view.level == "province":
        return f"Toàn quốc: {format_int(len(provinces))} tỉnh, thành phố — {mode_label}"
    return f"Toàn quốc: {format_int(len(communes))} xã, phường, đặc khu — {mode_label}"


def merge_structure(crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Per new commune: how many old communes formed it, and whether one of them was split."""
    return pd.DataFrame(
        {
            "predecessors": crosswalk.groupby("new_code")["old_code"].nunique(),
            "has_split_part": crosswalk["part"].eq("part").groupby(crosswalk["new_code"]).any(),
        }
    )


def _as_of_note(
    status: pd.DataFrame | None, as_of: dt.date | dt.datetime | None, shown: pd.Index | None = None
) -> list[str]:
    """Date and demonstration notes of the status shown; conflicts counted among ``shown`` codes only."""
    notes = []
    if status is None or status.empty:
        return ["Chưa có số liệu trạng thái."]
    latest = (
        pd.to_datetime(status["reported_at"], utc=True).max().tz_convert(LOCAL_TZ)
        if "reported_at" in status and status["reported_at"].notna().any()
        else None
    )
    when = format_date(as_of, with_time=isinstance(as_of, dt.datetime)) if as_of else "mới nhất"
    notes.append(
        f"Số liệu tính đến: {when}"
        + (
            f" (báo cáo gần nhất {format_date(latest.to_pydatetime(), with_time=True)})"
            if latest is not None and not pd.isna(latest)
            else ""
        )
    )
    if "is_demo" in status and bool(status["is_demo"].any()):
        notes.append("DỮ LIỆU MINH HOẠ — không phải số liệu thật.")
    conflicts = status["conflict"].fillna("").ne("") if "conflict" in status else pd.Series(False, index=status.index)
    if shown is not None:
        conflicts &= status["code"].isin(shown)
    if conflicts.any():
        notes.append(f"{int(conflicts.sum())} xã có báo cáo các phần không thống nhất (viền đỏ).")
    return notes


def _class_colouring(codes: pd.Index, classes: pd.Series, styles: dict, title: str, notes: list[str]) -> Colouring:
    classes = classes.reindex(codes).fillna(list(styles)[-1])
    fill = {code: styles[c][0] for code, c in classes.items()}
    counts = classes.value_counts()
    entries = [(colour, label, int(counts.get(key, 0))) for key, (colour, label) in styles.items()]
    return Colouring(fill, Legend(title, entries, notes))


def _bin_colouring(values: pd.Series, bins: list, title: str, notes: list[str], missing_label: str) -> Colouring:
    fill, counts = {}, {b[3]: 0 for b in bins}
    missing = 0
    for code, value in values.items():
        if pd.isna(value):
            fill[code] = GREY
            missing += 1
            continue
        for low, high, colour, label in bins:
            if (low <= value <= high) if isinstance(low, int) else (low <= value < high):
                fill[code], counts[label] = colour, counts[label] + 1
                break
    entries = [(colour, label, counts[label]) for _, _, colour, label in bins]
    if missing:
        entries.append((GREY, missing_label, missing))
    return Colouring(fill, Legend(title, entries, notes))


def colour_communes(
    mode: str, codes: pd.Index, *, status: pd.DataFrame | None, merge: pd.DataFrame, as_of: dt.date | None = None
) -> Colouring:
    """Colours of the new communes ``codes`` in ``mode`` ("task", "centre" or "merge")."""
    if mode == "merge":
        info = merge.reindex(codes)
        colouring = _bin_colouring(
            info["predecessors"],
            MERGE_BINS,
            "Số xã cũ hợp thành",
            ["Viền tím: nhận một phần của xã cũ bị chia tách."],
            "Không rõ",
        )
        colouring.outlined = set(info.index[info["has_split_part"].fillna(False).astype(bool)])
        colouring.legend.entries.append(
            (SPLIT_OUTLINE, "Viền tím: có phần của xã cũ bị chia tách", len(colouring.outlined))
        )
        return colouring
    notes = _as_of_note(status, as_of, shown=codes)
    column, styles = ("task_class", TASK_STYLES) if mode == "task" else ("centre_class", CENTRE_STYLES)
    classes = status.set_index("code")[column] if status is not None and not status.empty else pd.Series(dtype=object)
    colouring = _class_colouring(codes, classes, styles, MODE_LABELS[mode], notes)
    colouring.outline_colour = CONFLICT_OUTLINE
    if status is not None and "conflict" in status:
        colouring.outlined = set(status.loc[status["conflict"].fillna("").ne(""), "code"]) & set(codes)
    return colouring


def colour_provinces(
    mode: str,
    codes: pd.Index,
    *,
    status: pd.DataFrame | None,
    commune_province: pd.Series,
    old_provinces: pd.Series,
    as_of: dt.date | None = None,
) -> Colouring:
    """Colours of new provinces: share of green communes, share of operating centres, or provinces merged.

    ``commune_province`` maps new commune code → province code; ``old_provinces`` counts old
    provinces per new province code.
    """
    if mode == "merge":
        return _bin_colouring(old_provinces.reindex(codes), PROVINCE_MERGE_BINS, "Số tỉnh cũ hợp thành", [], "Không rõ")
    notes = _as_of_note(status, as_of)
    if status is None or status.empty:
        shares = pd.Series(np.nan, index=codes)
    else:
        column, good = ("task_class", "green") if mode == "task" else ("centre_class", "operating")
        per_commune = status.set_index("code")[column]
        province = commune_province.reindex(per_commune.index)
        shares = per_commune.eq(good).groupby(province).mean().reindex(codes)
    title = "Tỉ lệ xã “xanh” (hoàn thành mọi nhiệm vụ)" if mode == "task" else "Tỉ lệ xã có trung tâm hoạt động đầy đủ"
    return _bin_colouring(shares, SHARE_BINS, title, notes, "Chưa có số liệu")


# Old communes (reconstructed): the line style tells the confidence class of each polygon
# (lib.data.confidence): solid = high, dashed = medium, dotted = low, grey dash-dot = unknown.
OLD_COMMUNE_LINE_COLOUR = "#5d4037"
OLD_COMMUNE_CLASS_LINES = {
    "high": {"color": OLD_COMMUNE_LINE_COLOUR, "weight": 1.0, "dashArray": None},
    "medium": {"color": OLD_COMMUNE_LINE_COLOUR, "weight": 1.0, "dashArray": "6 4"},
    "low": {"color": OLD_COMMUNE_LINE_COLOUR, "weight": 1.4, "dashArray": "1 4", "lineCap": "round"},
    "unknown": {"color": GREY, "weight": 1.2, "dashArray": "8 4 1 4"},
}


@dataclass
class LineLegend:
    """What the line styles mean: title, (Leaflet line style, label, count or None) entries, and notes."""

    title: str
    entries: list[tuple[dict, str, int | None]]
    notes: list[str] = field(default_factory=list)


def old_commune_lines(shown: pd.DataFrame | None) -> LineLegend:
    """Legend of the old communes' line styles, with how many of the ``shown`` old communes (the layer's
    rows drawn, with ``confidence`` and ``method``) are in each class; no counts when ``shown`` is None."""
    from lib.data.confidence import CLASS_LABELS, CLASS_MEANINGS, IOU_MEANING, confidence_class

    counts = None
    if shown is not None and "confidence" in shown.columns:
        method = shown["method"] if "method" in shown.columns else None
        counts = confidence_class(shown["confidence"], method).value_counts()
    entries = [
        (
            style,
            f"{CLASS_LABELS[name].capitalize()}: {CLASS_MEANINGS[name]}",
            None if counts is None else int(counts.get(name, 0)),
        )
        for name, style in OLD_COMMUNE_CLASS_LINES.items()
    ]
    return LineLegend("Xã cũ dựng lại: độ tin cậy của ranh giới", entries, [IOU_MEANING + "."])


def line_sample(style: dict, *, width: int = 28) -> str:
    """An inline SVG line drawn as the Leaflet line ``style`` is (colour, weight, dashes), for legends; escaped."""
    attributes = {
        "stroke": style.get("color", "#000000"),
        "stroke-width": style.get("weight", 1),
        "stroke-dasharray": style.get("dashArray"),
        "stroke-linecap": style.get("lineCap"),
    }
    drawn = " ".join(f'{name}="{html.escape(str(value), quote=True)}"' for name, value in attributes.items() if value)
    return (
        f'<svg width="{width}" height="10" style="flex:none" aria-hidden="true">'
        f'<line x1="1" y1="5" x2="{width - 1}" y2="5" {drawn}/></svg>'
    )
