"""One-page A4 province brief (PDF): map, key figures, and the new communes with their predecessors."""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from lib.core import palette, vocab
from lib.data.i18n import format_date, format_int, format_number, format_percent, today
from lib.data.names import name_key, split_unit_type
from lib.io.files import write_atomic
from lib.maps import static, staticdata
from lib.maps import style as mapstyle
from lib.maps.urlstate import ViewState
from lib.status import status as status_lib

A4 = (8.27, 11.69)  # inches, portrait
TYPE_ABBREVIATIONS = {"Phường": "P.", "Xã": "X.", "Thị trấn": "TT.", "Đặc khu": "ĐK.", "Huyện": "H."}
TABLE_FONT_SIZES = (6.0, 5.5, 5.0, 4.6, 4.2)  # tried in turn until the table fits the first page
TABLE_COLUMNS = 3
CHAR_WIDTH_EM = 0.56  # mean advance of DejaVu Sans over Vietnamese text, in em (measured on the table)
LINE_HEIGHT = 1.22  # in font sizes
TEXT = static.TEXT


@dataclass
class KeyFigures:
    """What the brief states about one province, already counted."""

    name: str
    old_communes: int
    old_districts: int
    old_provinces: list[str]
    new_by_type: dict[str, int]
    split_old: int
    area_km2: float | None
    population: float | None
    tasks: dict[str, int]  # task class → communes (empty without status)
    centres: dict[str, int]  # centre class → communes
    gaps: dict[str, int]  # gap label → communes reporting it
    stale: int
    conflicts: int
    is_demo: bool


def _short(full_name: str) -> str:
    kind, name = split_unit_type(full_name)
    prefix = TYPE_ABBREVIATIONS.get(kind, kind + " " if kind else "")
    return f"{prefix}{' ' if kind in TYPE_ABBREVIATIONS else ''}{name}".strip()


def key_figures(province: str, inputs: staticdata.MapInputs) -> KeyFigures:
    """Counts for ``province``: old → new units, status classes, centre gaps, stale and conflicting reports."""
    staticdata.check_view(ViewState(province=province), inputs)
    row = inputs.provinces.loc[inputs.provinces["code"] == province].iloc[0]
    pairs = inputs.crosswalk[inputs.crosswalk["new_province_code"] == province]
    old = pairs.drop_duplicates("old_code")
    communes = inputs.communes[inputs.communes["province_code"] == province]
    tasks, centres, gaps, stale, conflicts, demo = {}, {}, {}, 0, 0, False
    if inputs.status is not None:
        frame = inputs.status[inputs.status["code"].isin(set(communes["code"]))]
        tasks = {c: int((frame["task_class"] == c).sum()) for c in status_lib.TASK_CLASSES}
        centres = {c: int((frame["centre_class"] == c).sum()) for c in status_lib.CENTRE_CLASSES}
        listed = frame.loc[frame["centre_class"] == "gaps", "gaps"].str.split(";").explode().str.strip()
        gaps = {k: int(v) for k, v in listed[listed != ""].value_counts().items()}
        stale, conflicts = int(frame["stale"].sum()), int((frame["conflict"] != "").sum())
        demo = bool(frame["is_demo"].any())
    return KeyFigures(
        name=str(row["full_name"]),
        old_communes=int((old["old_level"] == "commune").sum()),
        old_districts=int(old.loc[old["old_level"] == "commune", "old_district_code"].nunique()),
        old_provinces=sorted(old["old_province_name"].unique()),
        new_by_type={k: int(v) for k, v in communes["type"].value_counts().items()},
        split_old=int((old["part"] == "part").sum()),
        area_km2=None if pd.isna(row.get("area_km2")) else float(row["area_km2"]),
        population=None if pd.isna(row.get("population")) else float(row["population"]),
        tasks=tasks,
        centres=centres,
        gaps=gaps,
        stale=stale,
        conflicts=conflicts,
        is_demo=demo,
    )


def predecessor_table(province: str, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """One row per new commune of ``province``: code, name and its predecessors as short text.

    Predecessors are named without their unit type; one only partly taken over is marked with
    "*"; one from another old province than most of the commune's names that province in brackets.
    """
    pairs = crosswalk[crosswalk["new_province_code"] == province]
    pairs = pairs.assign(_order=pairs["new_name"].map(name_key), _old=pairs["old_name"].map(name_key))
    pairs = pairs.sort_values(["_order", "new_code", "_old"])
    if pairs.empty:
        return pd.DataFrame(columns=["code", "name", "predecessors", "count"])
    main_old = pairs.groupby("new_code")["old_province_name"].agg(lambda s: s.mode().iloc[0])
    foreign = pairs["old_province_name"] != pairs["new_code"].map(main_old)
    text = (
        pairs["old_name"].map(lambda n: split_unit_type(n)[1])
        + pairs["part"].eq("part").map({True: "*", False: ""})
        + ("  (" + pairs["old_province_name"] + ")").where(foreign, "").str.replace("  (", " (", regex=False)
    )
    grouped = pairs.assign(text=text).groupby("new_code", sort=False)
    return pd.DataFrame(
        {
            "code": list(grouped.groups),
            "name": grouped["new_name"].first().to_numpy(),
            "predecessors": grouped["text"].agg(", ".join).to_numpy(),
            "count": grouped.size().to_numpy(),
        }
    )


def _figure_lines(fig: KeyFigures, as_of: dt.date | None) -> list[tuple[str, str]]:
    """(style, text) lines of the key-figure box; style is "head", "text" or "warn"."""
    new_total = sum(fig.new_by_type.values())
    kinds = ", ".join(f"{format_int(n)} {k.lower()}" for k, n in sorted(fig.new_by_type.items(), key=lambda kv: -kv[1]))
    lines = [
        ("head", "Sắp xếp đơn vị hành chính"),
        (
            "text",
            f"Trước {vocab.REFORM_TEXT}: {format_int(fig.old_communes)} xã cũ, "
            f"{format_int(fig.old_districts)} huyện cũ, thuộc {', '.join(fig.old_provinces)}",
        ),
        ("text", f"Nay: {format_int(new_total)} đơn vị cấp xã ({kinds})"),
        (
            "text",
            f"{format_int(fig.old_communes)} → {format_int(new_total)} xã; "
            f"{format_int(fig.split_old)} xã cũ bị chia cho nhiều xã mới",
        ),
    ]
    if fig.area_km2 or fig.population:
        lines.append(("text", f"Diện tích {format_number(fig.area_km2, 1)} km²; dân số {format_int(fig.population)}"))
    if not fig.tasks:
        return lines + [("head", "Tình hình thực hiện"), ("text", "Chưa có số liệu trạng thái.")]
    total = sum(fig.tasks.values())
    lines += [
        ("head", f"Nhiệm vụ (đến {format_date(as_of)})" if as_of else "Nhiệm vụ"),
        (
            "text",
            f"Xã “xanh” (xong mọi nhiệm vụ): {format_int(fig.tasks['green'])}/{format_int(total)} "
            f"({format_percent(fig.tasks['green'] / total if total else None)})",
        ),
        (
            "text",
            f"Vàng {format_int(fig.tasks['amber'])} · đỏ (quá hạn) {format_int(fig.tasks['red'])} · "
            f"xám {format_int(fig.tasks['grey'])}",
        ),
        ("head", "Trung tâm phục vụ hành chính công"),
        (
            "text",
            f"Hoạt động đầy đủ: {format_int(fig.centres['operating'])}; còn thiếu: {format_int(fig.centres['gaps'])}; "
            f"chưa hoạt động: {format_int(fig.centres['not_operating'])}; "
            f"chưa rõ: {format_int(fig.centres['unknown'])}",
        ),
    ]
    if fig.gaps:
        lines.append(("text", "Thiếu: " + "; ".join(f"{k} {format_int(v)} xã" for k, v in fig.gaps.items())))
    lines.append(
        (
            "warn" if fig.stale else "text",
            f"Báo cáo quá hạn {vocab.DEADLINE_TEXT} / chưa báo cáo: {format_int(fig.stale)} xã",
        )
    )
    if fig.conflicts:
        lines.append(("warn", f"Báo cáo theo xã cũ không thống nhất: {format_int(fig.conflicts)} xã"))
    return lines


def _draw_figures(ax, lines: list[tuple[str, str]], legend: mapstyle.Legend) -> None:
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    y = 1.0
    for style, text in lines:
        wrapped = textwrap.fill(text, 52)
        ax.text(
            0,
            y,
            wrapped,
            va="top",
            fontsize=8.6 if style == "head" else 7.6,
            color=palette.WARN if style == "warn" else TEXT,
            fontweight="bold" if style != "text" else "normal",
        )
        y -= 0.03 * (wrapped.count("\n") + 1) + (0.022 if style == "head" else 0.012)
    y -= 0.02
    for colour, label, count in legend.entries:
        ax.add_patch(
            Rectangle((0, y - 0.028), 0.05, 0.028, facecolor=colour, edgecolor=palette.TEXT_SOFT, linewidth=0.5)
        )
        ax.text(0.07, y - 0.014, f"{label} ({format_int(count)})", va="center", fontsize=6.6, color=TEXT)
        y -= 0.04
    for kind, colour, label, count in legend.marks:
        static.draw_marks(ax, 0, y - 0.028, 0.05, 0.028, kind, colour)
        ax.text(0.07, y - 0.014, f"{label} ({format_int(count)})", va="center", fontsize=6.6, color=TEXT)
        y -= 0.04


def _table_lines(table: pd.DataFrame, width_chars: int) -> list[tuple[bool, str]]:
    """(is_first_line_of_row, text) lines of the predecessor table, wrapped to ``width_chars``."""
    out = []
    for _, row in table.iterrows():
        text = f"{_short(row['name'])} ({row['code']}): {row['predecessors']}"
        for i, line in enumerate(textwrap.wrap(text, width_chars, subsequent_indent="   ")):
            out.append((i == 0, line))
    return out


def _layout_table(table: pd.DataFrame, height_in: float, width_in: float) -> tuple[float, list[tuple[bool, str]], int]:
    """The largest font size at which the table fits ``height_in`` × ``width_in`` (or the smallest)."""
    column_pt = width_in * 72 / TABLE_COLUMNS - 8
    for size in TABLE_FONT_SIZES:
        lines = _table_lines(table, int(column_pt / (size * CHAR_WIDTH_EM)))
        per_column = int(height_in * 72 / (size * LINE_HEIGHT))
        if len(lines) <= per_column * TABLE_COLUMNS:
            break
    return size, lines, per_column


def _draw_table(
    fig: Figure, rect: tuple[float, float, float, float], lines: list[tuple[bool, str]], size: float, per_column: int
) -> list[tuple[bool, str]]:
    """Flow ``lines`` into the columns of ``rect`` (figure fraction); return the lines left over.

    Each column is one multi-line text (hundreds of single-line texts make the PDF slow to write).
    """
    x0, y0, w, h = rect
    shown = lines[: per_column * TABLE_COLUMNS]
    for column in range(TABLE_COLUMNS):
        chunk = [text for _, text in shown[column * per_column : (column + 1) * per_column]]
        if chunk:
            fig.text(
                x0 + column * w / TABLE_COLUMNS,
                y0 + h,
                "\n".join(chunk),
                fontsize=size,
                va="top",
                color=TEXT,
                linespacing=LINE_HEIGHT,
            )
    return lines[len(shown) :]


@static.with_font
def brief_figures(province: str, inputs: staticdata.MapInputs, *, made: dt.date | None = None) -> list[Figure]:
    """The brief's page (and continuation pages when a very large table does not fit one page)."""
    figures = key_figures(province, inputs)
    view = ViewState(province=province, mode="task" if inputs.status is not None else "merge")
    page = Figure(figsize=A4, facecolor="white")
    FigureCanvasAgg(page)
    page.text(
        0.04,
        0.975,
        f"{figures.name}: tóm tắt chính quyền địa phương hai cấp",
        fontsize=13.5,
        fontweight="bold",
        va="top",
        color=TEXT,
    )
    subtitle = (
        f"Số liệu tính đến {format_date(inputs.as_of)} · " if inputs.as_of else ""
    ) + f"bộ dữ liệu ranh giới {inputs.version} · lập ngày {format_date(made or today())}"
    page.text(0.04, 0.952, subtitle, fontsize=7.5, va="top", color=palette.TEXT_SOFT)
    if figures.is_demo:
        page.text(
            0.04,
            0.937,
            "DỮ LIỆU MINH HOẠ — không phải số liệu thật",
            fontsize=8.5,
            fontweight="bold",
            va="top",
            color=palette.WARN,
            bbox={"facecolor": palette.WARN_BACKGROUND, "edgecolor": palette.WARN, "boxstyle": "round,pad=0.3"},
        )
    ax = page.add_axes((0.02, 0.50, 0.56, 0.42))
    colouring = static.draw_map(ax, view, inputs)
    _draw_figures(page.add_axes((0.60, 0.50, 0.37, 0.41)), _figure_lines(figures, inputs.as_of), colouring.legend)
    table = predecessor_table(province, inputs.crosswalk)
    page.text(
        0.04,
        0.488,
        f"{format_int(len(table))} xã, phường, đặc khu mới và các đơn vị cũ hợp thành",
        fontsize=8.6,
        fontweight="bold",
        va="top",
        color=TEXT,
    )
    page.text(
        0.04,
        0.472,
        "Đơn vị mới (mã): các đơn vị cũ hợp thành. P. = phường, X. = xã, ĐK. = đặc khu; "
        "* = chỉ một phần của đơn vị cũ; (tên tỉnh) = đơn vị cũ thuộc tỉnh khác",
        fontsize=6.2,
        va="top",
        color=palette.TEXT_SOFT,
    )
    width_in = 0.92 * A4[0]
    size, lines, per_column = _layout_table(table, 0.405 * A4[1], width_in)
    rest = _draw_table(page, (0.04, 0.055, 0.92, 0.405), lines, size, per_column)
    footer = textwrap.fill(staticdata.footer_text(inputs, made=made), 175)
    page.text(0.04, 0.012, footer, fontsize=5.4, color=palette.TEXT_SOFT, va="bottom")
    pages = [page]
    while rest:  # only the largest provinces at the smallest size: the table continues overleaf
        extra = Figure(figsize=A4, facecolor="white")
        FigureCanvasAgg(extra)
        extra.text(
            0.04,
            0.975,
            f"{figures.name}: các đơn vị cũ hợp thành (tiếp)",
            fontsize=10,
            fontweight="bold",
            va="top",
            color=TEXT,
        )
        per_page = int(0.90 * A4[1] * 72 / (size * LINE_HEIGHT))
        rest = _draw_table(extra, (0.04, 0.04, 0.92, 0.90), rest, size, per_page)
        pages.append(extra)
    return pages


def _write_pdf(pages: list[Figure], target, *, version: str) -> None:
    with (
        matplotlib.rc_context(static.SAVE_RC),
        PdfPages(target, metadata={"Title": pages[0].texts[0].get_text(), "Subject": f"bộ dữ liệu {version}"}) as pdf,
    ):
        for page in pages:
            pdf.savefig(page)


def render_brief(province: str, inputs: staticdata.MapInputs, out: Path, *, made: dt.date | None = None) -> Path:
    """Write the brief of ``province`` to ``out`` (PDF, A4); written whole or not at all."""
    out = Path(out)
    pages = brief_figures(province, inputs, made=made)
    return write_atomic(out, lambda stream: _write_pdf(pages, stream, version=inputs.version))


def brief_bytes(province: str, inputs: staticdata.MapInputs, *, made: dt.date | None = None) -> bytes:
    """The brief of ``province`` as PDF bytes (for a download button)."""
    buffer = io.BytesIO()
    _write_pdf(brief_figures(province, inputs, made=made), buffer, version=inputs.version)
    return buffer.getvalue()
