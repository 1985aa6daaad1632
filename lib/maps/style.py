"""Colour modes of the map: which class each unit is in, its colour, and the legend that explains it."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import pandas as pd

from lib.core import palette, vocab
from lib.core.palette import CONFLICT_OUTLINE, GREY, SPLIT_OUTLINE, share_breaks
from lib.core.vocab import LOCAL_TZ
from lib.data.i18n import format_date, format_int, format_percent
from lib.maps.urlstate import ViewState
from lib.status import dashboard

MODE_LABELS = {
    "task": "Tiến độ thực hiện nhiệm vụ",
    "centre": "Trung tâm phục vụ hành chính công",
    "merge": "Cấu trúc sáp nhập",
}
# Colours come from lib.core.palette (one palette for the app's map, the static maps, the brief, the HTML
# file and the dashboard); labels from lib.core.vocab. Re-exported here for the map's callers.
TASK_STYLES = {key: (palette.TASK_COLOURS[key], vocab.TASK_LEGEND[key]) for key in vocab.TASK_CLASSES}
CENTRE_STYLES = {key: (palette.CENTRE_COLOURS[key], vocab.CENTRE_LEGEND[key]) for key in vocab.CENTRE_CLASSES}
# Smallest CIEDE2000 difference every class palette keeps between any two of its colours, with
# normal vision and under simulated deuteranopia (tests/test_mapstyle.py checks it). The former
# palette (palette.FORMER_TASK: its green and red) had 6.8 under deuteranopia: the two read as one olive.
PALETTE_MIN_DELTA_E = 10.0
MERGE_BINS = [
    (low, high, colour, label)
    for (low, high, label), colour in zip(
        [
            (1, 1, "1 xã cũ (giữ nguyên)"),
            (2, 2, "2 xã cũ"),
            (3, 3, "3 xã cũ"),
            (4, 5, "4–5 xã cũ"),
            (6, 10_000, "6 xã cũ trở lên"),
        ],
        palette.MERGE_COLOURS,
        strict=True,
    )
]
PROVINCE_MERGE_BINS = [
    (low, high, colour, label)
    for (low, high, label), colour in zip(
        [(1, 1, "Giữ nguyên"), (2, 2, "Hợp nhất 2 tỉnh"), (3, 10, "Hợp nhất 3 tỉnh trở lên")],
        palette.PROVINCE_MERGE_COLOURS,
        strict=True,
    )
]


HATCH = "hatch"  # a mark drawn over the fill: diagonal stripes (stale or unreported units)
DOT = "dot"  # a round marker inside a province: the province's own report (level "province")
STALE_MARK = f"Gạch chéo: chưa báo cáo hoặc báo cáo quá hạn {vocab.DEADLINE_TEXT}"
PROVINCE_STALE_MARK = f"Gạch chéo: quá nửa số xã chưa báo cáo hoặc quá hạn {vocab.DEADLINE_TEXT}"
PROVINCE_REPORT = "báo cáo cấp tỉnh"


@dataclass
class Legend:
    """What the colours mean: title, (colour, label, count) entries, notes (date, demo data), and
    marks drawn over the fill without colour: (kind, colour, label, count), kind :data:`HATCH` or :data:`DOT`."""

    title: str
    entries: list[tuple[str, str, int]]
    notes: list[str] = field(default_factory=list)
    marks: list[tuple[str, str, str, int]] = field(default_factory=list)


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


def share_bins(breaks: list[float], values: pd.Series | None = None) -> list[tuple[float, float, str, str]]:
    """(low, high, colour, label) of the classes cut at ``breaks`` (see :func:`share_breaks`), from
    0 % to 100 %; with no break, one class labelled with the range of ``values``."""
    edges, colours = palette.share_edges(breaks), palette.share_ramp(breaks)
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


def _report_text(row: dict, labels: dict[str, str]) -> str:
    """One line on a unit's own report: class, tasks done, overdue, time (plain text)."""
    parts = [labels.get(str(row.get("task_class")), "")]
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
            tips[code] = f"⚠ Báo cáo quá hạn {vocab.DEADLINE_TEXT} (gần nhất {last})"
    return set(tips), tips


def colour_communes(
    mode: str,
    codes: pd.Index,
    *,
    status: pd.DataFrame | None,
    merge: pd.DataFrame,
    as_of: dt.date | dt.datetime | None = None,
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


# A province's own report is drawn only when it exists: grey then means it is past the deadline.
_TASK_WORDS = {**vocab.TASK_WORDS, "grey": f"{vocab.TASK_WORDS['grey']} (quá hạn báo cáo)"}
_CENTRE_WORDS = {key: f"Trung tâm {label.lower()}" for key, label in vocab.CENTRE_LABELS.items()}


def colour_provinces(
    mode: str,
    codes: pd.Index,
    *,
    status: pd.DataFrame | None,
    commune_province: pd.Series,
    old_provinces: pd.Series,
    as_of: dt.date | dt.datetime | None = None,
    province_reports: pd.DataFrame | None = None,
    breaks: list[float] | None = None,
) -> Colouring:
    """Colours of new provinces: share of green communes, share of operating centres, or provinces merged.

    ``commune_province`` maps new commune code → province code; ``old_provinces`` counts old
    provinces per new province code. The fill is always the aggregate of the communes' reports;
    ``province_reports`` (``lib.status.status.province_reported_status``: what a province reports
    for its own, province-level tasks) is shown beside it, as a dot coloured by its class and a
    tooltip line marked "báo cáo cấp tỉnh", never mixed into the communes' share. Shares are
    classed at ``breaks`` (default: the day's, :func:`lib.status.dashboard.share_breaks`, as the
    dashboard's tables are).
    """
    if mode == "merge":
        return _bin_colouring(old_provinces.reindex(codes), PROVINCE_MERGE_BINS, "Số tỉnh cũ hợp thành", [], "Không rõ")
    notes = _as_of_note(status, as_of)
    shares = dashboard.province_shares(status, commune_province, mode).reindex(codes)
    title = "Tỉ lệ xã “xanh” (hoàn thành mọi nhiệm vụ)" if mode == "task" else "Tỉ lệ xã có trung tâm hoạt động đầy đủ"
    if breaks is None:
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


def colour_view(
    view: ViewState,
    *,
    communes: pd.DataFrame,
    provinces: pd.DataFrame,
    crosswalk: pd.DataFrame,
    merge: pd.DataFrame,
    status: pd.DataFrame | None,
    as_of: dt.date | dt.datetime | None = None,
    province_reports: pd.DataFrame | None = None,
) -> Colouring:
    """The one colouring of ``view``: the app's map, the static maps, the brief and the HTML file use it.

    The national province map colours provinces (:func:`colour_provinces`); every other view colours the
    new communes shown, all of them or ``view.province``'s (:func:`colour_communes`), with its notes
    (latest report, demonstration data, conflicts) counted among the communes shown, and in a province's
    view a line on the province's own report.
    """
    if not view.province and view.level == "province":
        return colour_provinces(
            view.mode,
            pd.Index(provinces["code"]),
            status=status,
            commune_province=communes.set_index("code")["province_code"],
            old_provinces=crosswalk.groupby("new_province_code")["old_province_code"].nunique(),
            as_of=as_of,
            province_reports=province_reports if view.mode != "merge" else None,
        )
    shown = communes[communes["province_code"] == view.province] if view.province else communes
    if status is not None and view.province:
        status = status[status["code"].isin(set(shown["code"]))]
    colouring = colour_communes(view.mode, pd.Index(shown["code"]), status=status, merge=merge, as_of=as_of)
    note = province_report_note(province_reports, view.province) if view.province else None
    if note and view.mode != "merge":
        colouring.legend.notes.append(note)
    return colouring


# Old communes (reconstructed): the line style tells the confidence class of each polygon
# (lib.data.confidence): solid = high, dashed = medium, dotted = low, grey dash-dot = unknown.
OLD_COMMUNE_LINE_COLOUR = palette.OLD_COMMUNE_LINE
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
        "stroke": style.get("color", palette.SELECTED),
        "stroke-width": style.get("weight", 1),
        "stroke-dasharray": style.get("dashArray"),
        "stroke-linecap": style.get("lineCap"),
    }
    drawn = " ".join(f'{name}="{html.escape(str(value), quote=True)}"' for name, value in attributes.items() if value)
    return (
        f'<svg width="{width}" height="10" style="flex:none" aria-hidden="true">'
        f'<line x1="1" y1="5" x2="{width - 1}" y2="5" {drawn}/></svg>'
    )
