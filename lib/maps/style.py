"""Colour modes of the map: which class each unit is in, its colour, and the legend that explains it."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.core.vocab import LOCAL_TZ
from lib.data.i18n import format_date, format_int, format_percent
from lib.maps.urlstate import ViewState

MODE_LABELS = {
    "task": "Tiến độ thực hiện nhiệm vụ",
    "centre": "Trung tâm phục vụ hành chính công",
    "merge": "Cấu trúc sáp nhập",
}
# One palette for the app's map, the static maps, the briefing and the HTML export (all colour
# through this module). Classes are told apart by lightness as well as hue, so that they stay
# distinct to colour-blind readers: checked with lib.maps.cvd (Machado 2009 deuteranopia,
# CIEDE2000), see PALETTE_MIN_DELTA_E and ``python scripts/palette_check.py``.
GREY = "#9e9e9e"
TASK_GREEN = "#00796b"  # dark bluish green (teal): "xanh"
TASK_AMBER = "#f0c419"  # light yellow: "vàng"
TASK_RED = "#c0392b"  # mid red: "đỏ"; darker than amber, lighter than green under deuteranopia
TASK_STYLES = {
    "green": (TASK_GREEN, "Xanh: mọi nhiệm vụ đã hoàn thành"),
    "amber": (TASK_AMBER, "Vàng: còn nhiệm vụ đang làm, không quá hạn"),
    "red": (TASK_RED, "Đỏ: có nhiệm vụ quá hạn"),
    "grey": (GREY, "Xám: chưa báo cáo hoặc báo cáo quá hạn 16:00"),
}
CENTRE_STYLES = {
    "operating": (TASK_GREEN, "Đang hoạt động đầy đủ"),
    "gaps": (TASK_AMBER, "Hoạt động nhưng còn thiếu (chữ ký số, tài khoản, kết nối, thiết bị)"),
    "not_operating": (TASK_RED, "Chưa hoạt động"),
    "unknown": (GREY, "Chưa rõ"),
}
# Smallest CIEDE2000 difference every class palette keeps between any two of its colours, with
# normal vision and under simulated deuteranopia (tests/test_mapstyle.py checks it). The former
# palette (#2e7d32 green, #c62828 red) had 6.8 under deuteranopia: the two read as one olive.
PALETTE_MIN_DELTA_E = 10.0
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
# Shares (of green communes, of operating centres) per province: ColorBrewer YlGnBu, a sequential
# scheme marked colour-blind safe, light = low, dark = high; fewer classes take colours spread
# over the whole ramp so that neighbours stay far apart.
SHARE_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
SHARE_PICKS = {1: (2,), 2: (0, 3), 3: (0, 2, 4), 4: (0, 1, 3, 4), 5: (0, 1, 2, 3, 4)}
SHARE_CLASSES = 5
SPLIT_OUTLINE = "#6a1b9a"


HATCH = "hatch"  # a mark drawn over the fill: diagonal stripes (stale or unreported units)
DOT = "dot"  # a round marker inside a province: the province's own report (level "province")
HATCH_COLOUR = "#212121"
STALE_MARK = "Gạch chéo: chưa báo cáo hoặc báo cáo quá hạn 16:00"
PROVINCE_STALE_MARK = "Gạch chéo: quá nửa số xã chưa báo cáo hoặc quá hạn 16:00"
PROVINCE_REPORT = "báo cáo cấp tỉnh"


@dataclass
class Legend:
    """What the colours mean: title, (colour, label, count) entries, notes (date, demo data), and
    marks drawn over the fill without colour: (kind, colour, label, count), kind :data:`HATCH` or :data:`DOT`."""

    title: str
    entries: list[tuple[str, str, int]]
    notes: list[str] = field(default_factory=list)
    marks: list[tuple[str, str, str, int]] = field(default_factory=list)


CONFLICT_OUTLINE = "#d50000"


@dataclass
class Colouring:
    """Fill colour per unit code, codes to outline specially (and the outline's colour), and the legend."""

    fill: dict[str, str]
    legend: Legend
    outlined: set[str] = field(default_factory=set)
    outline_colour: str = SPLIT_OUTLINE
    hatched: set[str] = field(default_factory=set)  # drawn striped: stale or unreported
    dots: dict[str, str] = field(default_factory=dict)  # code → colour of a province's own report
    tips: dict[str, str] = field(default_factory=dict)  # code → extra tooltip line (plain text)


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


def _percent_text(share: float) -> str:
    return format_percent(share, 0 if round(share * 100, 6) == round(share * 100) else 1)


def share_breaks(values: pd.Series | list[float], classes: int = SHARE_CLASSES) -> list[float]:
    """Class breaks of shares (0–1) spread over the range the values actually span.

    The quantiles that cut ``values`` into ``classes`` groups of about equal size, rounded to
    whole percents, keeping only breaks that leave no class empty. So a day when most provinces
    are below 10 % still shows five shades, not one pale class; the legend states the breaks.
    """
    v = pd.Series(values, dtype=float).dropna()
    if v.empty:
        return []
    raw = np.quantile(v.to_numpy(), [i / classes for i in range(1, classes)])
    candidates = sorted({round(q * 100) / 100 for q in raw} - {0.0})
    breaks: list[float] = []
    for b in candidates:
        lower = breaks[-1] if breaks else -np.inf
        if 0 < b <= 1 and ((v >= lower) & (v < b)).any() and (v >= b).any():
            breaks.append(b)
    return breaks


def share_bins(breaks: list[float], values: pd.Series | None = None) -> list[tuple[float, float, str, str]]:
    """(low, high, colour, label) of the classes cut at ``breaks`` (see :func:`share_breaks`), from
    0 % to 100 %; with no break, one class labelled with the range of ``values``."""
    edges = [0.0, *breaks, 1.0001]
    colours = [SHARE_COLOURS[i] for i in SHARE_PICKS[min(len(edges) - 1, len(SHARE_COLOURS))]]
    if not breaks:
        v = pd.Series(values if values is not None else [], dtype=float).dropna()
        if v.empty:
            label = "0–100 %"
        elif v.min() == v.max():
            label = f"{_percent_text(v.min())} (mọi đơn vị)"
        else:
            label = f"{_percent_text(v.min())} – {_percent_text(v.max())}"
        return [(0.0, 1.0001, colours[0], label)]
    bins = []
    for i, (low, high) in enumerate(zip(edges, edges[1:], strict=False)):
        if i == 0:
            label = f"dưới {_percent_text(high)}"
        elif high > 1:
            label = f"từ {_percent_text(low)} trở lên"
        else:
            label = f"{_percent_text(low)} – dưới {_percent_text(high)}"
        bins.append((low, high, colours[i], label))
    return bins


# Fixed quintile-like bins for tables that colour shares without data to spread (kept for callers).
SHARE_BINS = share_bins([0.2, 0.4, 0.6, 0.8])


def share_colour(share: float | None, bins: list[tuple[float, float, str, str]] = SHARE_BINS) -> str:
    """The colour of ``share`` in ``bins`` (:func:`share_bins`); :data:`GREY` when missing."""
    if share is None or pd.isna(share):
        return GREY
    return next((colour for low, high, colour, _ in bins if low <= share < high), bins[-1][2])


def _report_text(row: dict, labels: dict[str, str]) -> str:
    """One line on a unit's own report: class, tasks done, overdue, time (plain text)."""
    parts = [labels.get(row.get("task_class"), "")]
    if not pd.isna(row.get("tasks_total")):
        parts.append(
            f"{format_int(row.get('tasks_done'))}/{format_int(row.get('tasks_total'))} nhiệm vụ xong, "
            f"{format_int(row.get('tasks_overdue'))} quá hạn"
        )
    reported = row.get("reported_at")
    if isinstance(reported, pd.Timestamp) and not pd.isna(reported):
        parts.append(f"báo cáo {format_date(reported.tz_convert(LOCAL_TZ).to_pydatetime(), with_time=True)}")
    return ", ".join(p for p in parts if p)


def _stale_tips(status: pd.DataFrame | None, codes: pd.Index) -> tuple[set[str], dict[str, str]]:
    """Codes among ``codes`` with no report or a report older than the last 16:00 deadline, and a
    tooltip line for each."""
    if status is None or status.empty:
        return set(codes), dict.fromkeys(codes, "⚠ Chưa có báo cáo")
    frame = status.set_index("code").reindex(codes)
    stale = frame["stale"].astype("boolean").fillna(True).astype(bool) if "stale" in frame else pd.Series(True, codes)
    reported = pd.to_datetime(frame["reported_at"], utc=True) if "reported_at" in frame else pd.Series(pd.NaT, codes)
    tips = {}
    for code in stale.index[stale.to_numpy()]:
        when = reported.get(code)
        if when is None or pd.isna(when):
            tips[code] = "⚠ Chưa có báo cáo"
        else:
            last = format_date(when.tz_convert(LOCAL_TZ).to_pydatetime(), with_time=True)
            tips[code] = f"⚠ Báo cáo quá hạn 16:00 (gần nhất {last})"
    return set(tips), tips


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
    colouring.hatched, colouring.tips = _stale_tips(status, codes)
    if colouring.hatched:
        colouring.legend.marks.append((HATCH, GREY, STALE_MARK, len(colouring.hatched)))
    return colouring


def province_report_note(reports: pd.DataFrame | None, province: str) -> str | None:
    """Legend line on a province's own report (level "province"), or None when it has none."""
    if reports is None or reports.empty:
        return None
    rows = reports[(reports["code"] == province) & reports["reported_at"].notna()]
    if rows.empty:
        return None
    text = _report_text(rows.iloc[0].to_dict(), _TASK_WORDS)
    return f"Báo cáo cấp tỉnh (nhiệm vụ của chính tỉnh, không tính vào các xã): {text}."


_TASK_WORDS = {"green": "Xanh", "amber": "Vàng", "red": "Đỏ", "grey": "Xám (quá hạn báo cáo)"}
_CENTRE_WORDS = {
    "operating": "Trung tâm hoạt động",
    "gaps": "Trung tâm còn thiếu",
    "not_operating": "Trung tâm chưa hoạt động",
    "unknown": "Trung tâm chưa rõ",
}


def colour_provinces(
    mode: str,
    codes: pd.Index,
    *,
    status: pd.DataFrame | None,
    commune_province: pd.Series,
    old_provinces: pd.Series,
    as_of: dt.date | None = None,
    province_reports: pd.DataFrame | None = None,
) -> Colouring:
    """Colours of new provinces: share of green communes, share of operating centres, or provinces merged.

    ``commune_province`` maps new commune code → province code; ``old_provinces`` counts old
    provinces per new province code. The fill is always the aggregate of the communes' reports;
    ``province_reports`` (``lib.status.status.province_reported_status``: what a province reports
    for its own, province-level tasks) is shown beside it, as a dot coloured by its class and a
    tooltip line marked "báo cáo cấp tỉnh", never mixed into the communes' share.
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
    breaks = share_breaks(shares)
    colouring = _bin_colouring(shares, share_bins(breaks, shares), title, notes, "Chưa có số liệu")
    reported = int(shares.notna().sum())
    if breaks:
        colouring.legend.notes.insert(
            0,
            f"Ngưỡng lớp: phân vị của {format_int(reported)} tỉnh có số liệu ngày đang xem "
            "(các lớp gần bằng số tỉnh, để thấy rõ chênh lệch); đổi theo ngày.",
        )
    if status is not None and not status.empty:
        frame = status.set_index("code")
        stale = frame["stale"].astype(bool).groupby(commune_province.reindex(frame.index)).agg(["sum", "size"])
        stale = stale.reindex(codes)
        for code, row in stale.dropna().iterrows():
            if row["sum"]:
                colouring.tips[code] = (
                    f"{format_int(row['sum'])}/{format_int(row['size'])} xã chưa báo cáo hoặc quá hạn"
                )
        colouring.hatched = set(stale.index[(stale["sum"] > stale["size"] / 2).fillna(False).to_numpy()])
    colouring.hatched |= set(shares.index[shares.isna().to_numpy()])
    if colouring.hatched:
        colouring.legend.marks.append((HATCH, GREY, PROVINCE_STALE_MARK, len(colouring.hatched)))
    if province_reports is not None and not province_reports.empty:
        column, styles, words = (
            ("task_class", TASK_STYLES, _TASK_WORDS)
            if mode == "task"
            else ("centre_class", CENTRE_STYLES, _CENTRE_WORDS)
        )
        own = province_reports[province_reports["code"].isin(set(codes)) & province_reports["reported_at"].notna()]
        for row in own.to_dict("records"):
            colouring.dots[row["code"]] = styles.get(row[column], styles[list(styles)[-1]])[0]
            line = (
                f"Báo cáo cấp tỉnh: {_report_text(row, _TASK_WORDS) if mode == 'task' else words.get(row[column], '')}"
            )
            colouring.tips[row["code"]] = "\n".join(x for x in (colouring.tips.get(row["code"]), line) if x)
        counts = own[column].value_counts()
        for key, (colour, _) in styles.items():
            if counts.get(key, 0):
                colouring.legend.marks.append(
                    (DOT, colour, f"Chấm tròn: {PROVINCE_REPORT} — {words[key]}", int(counts[key]))
                )
        if len(own):
            colouring.legend.notes.append(
                "Màu nền: tổng hợp báo cáo của các xã. Chấm tròn: báo cáo cấp tỉnh "
                "(nhiệm vụ của chính tỉnh), không tính vào tỉ lệ xã."
            )
    return colouring


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
