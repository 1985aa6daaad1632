"""Static maps for slides and reports (PNG, SVG, PDF) drawn with matplotlib from the bundled geometry.

What is drawn (status, layers, colouring, projected units) comes from :mod:`lib.maps.staticdata`."""

from __future__ import annotations

import datetime as dt
import functools
import textwrap
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import matplotlib.patheffects
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.typing import RcKeyType

from lib.core import palette
from lib.data.i18n import format_int
from lib.io.files import write_atomic
from lib.maps import style as mapstyle
from lib.maps.staticdata import (
    MapInputs,
    StaticMapError,
    check_view,
    colouring_of,
    footer_text,
    offshore_codes,
    offshore_zones,
    plotted_units,
    title_of,
)
from lib.maps.urlstate import ViewState

FORMATS = ("png", "svg", "pdf")
PNG_DPI = 200
FIGURE_SIZE = (12.0, 9.5)  # inches; 2400 px wide at PNG_DPI
FONT = "DejaVu Sans"  # bundled with matplotlib, has every Vietnamese diacritic; never fetched
TEXT = palette.TEXT
# Applied while saving: SVG keeps text as <text> (searchable, editable in slides). The PDF embeds
# Type 3 glyph subsets (with a ToUnicode map, so text stays searchable and extractable): measured
# ~40 % faster to write than TrueType (Type 42) subsets, which took 1 s per font face here.
SAVE_RC: dict[RcKeyType, Any] = {"svg.fonttype": "none", "pdf.fonttype": 3}


# Every text is drawn as written: names and notes come from users and files, and with math-text on,
# "$\\frac{…}$" or an odd number of "$" in one of them makes matplotlib's parser fail the whole drawing.
DRAWING_RC: dict[RcKeyType, Any] = {"font.family": FONT, "text.parse_math": False, "text.usetex": False}


def with_font(func):
    """Run ``func`` with :data:`FONT` as the font of every text it creates (not the process default) and
    every text drawn literally, without math-text parsing (:data:`DRAWING_RC`)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(DRAWING_RC):
            return func(*args, **kwargs)

    return wrapper


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (m) of about a fifth of ``span_m``."""
    target = span_m / 5
    steps = [s * 10**e for e in range(0, 7) for s in (1, 2, 5)]
    return max([s for s in steps if s <= target] or [steps[0]])


def _scale_bar(ax, extent: tuple[float, float, float, float]) -> None:
    minx, miny, maxx, maxy = extent
    length = _nice_length(maxx - minx)
    x0, y0, h = minx + 0.04 * (maxx - minx), miny + 0.04 * (maxy - miny), 0.008 * (maxy - miny)
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / 4, y0),
                length / 4,
                h,
                facecolor=TEXT if i % 2 == 0 else "white",
                edgecolor=TEXT,
                linewidth=0.6,
                zorder=6,
            )
        )
    label = f"{format_int(length / 1000)} km" if length >= 1000 else f"{format_int(length)} m"
    for x, text in ((x0, "0"), (x0 + length, label)):
        ax.text(x, y0 + 2 * h, text, ha="center", va="bottom", fontsize=7, color=TEXT, zorder=6)
    ax.annotate(
        "B",
        xy=(x0 + length + 0.06 * (maxx - minx), y0 + 7 * h),
        xytext=(x0 + length + 0.06 * (maxx - minx), y0),
        ha="center",
        va="bottom",
        fontsize=8,
        fontweight="bold",
        color=TEXT,
        zorder=6,
        arrowprops={"arrowstyle": "-|>", "color": TEXT, "lw": 1.2},
    )


def _overlaps(box, placed: list) -> bool:
    return any(box.overlaps(other) for other in placed)


def _place_labels(
    ax,
    renderer,
    points: np.ndarray,
    texts: list[str],
    *,
    fontsize: float,
    fit: np.ndarray | None = None,
    style: str = "normal",
    weight: str = "normal",
    placed: list | None = None,
) -> int:
    """Write labels where they do not overlap earlier ones (and fit their unit, when ``fit`` gives
    each unit's (width, height) in pixels); returns how many were placed."""
    placed = [] if placed is None else placed
    count = 0
    options = {
        "ha": "center",
        "va": "center",
        "fontsize": fontsize,
        "fontstyle": style,
        "fontweight": weight,
        "clip_on": True,
    }
    for i, (point, text) in enumerate(zip(points, texts, strict=False)):
        label = ax.text(point[0], point[1], text, color=TEXT, zorder=7, **options)
        box = label.get_window_extent(renderer).expanded(1.05, 1.1)
        if fit is not None and (box.width > fit[i][0] * 0.95 or box.height > fit[i][1] * 0.9):
            label.remove()
            continue
        # Labels that need not fit their unit may move beside their point (above, below, left, right).
        shifts = (
            [(0, 0)]
            if fit is not None
            else [
                (0, 0),
                (0, box.height),
                (0, -box.height),
                (0.6 * box.width, 0),
                (-0.6 * box.width, 0),
                (0, 2 * box.height),
                (0, -2 * box.height),
            ]
        )
        shift = next((d for d in shifts if not _overlaps(box.translated(*d), placed)), None)
        if shift is None:
            label.remove()
            continue
        x, y = ax.transData.inverted().transform(ax.transData.transform(point) + np.asarray(shift))
        label.set_position((x, y))
        # A white halo drawn as outlines under the label, so the label itself stays text in SVG and PDF
        # (a path effect on the label would turn it into curves: not searchable, not editable).
        ax.text(
            x,
            y,
            text,
            color="white",
            zorder=6.9,
            **options,
            path_effects=[matplotlib.patheffects.Stroke(linewidth=1.6, foreground="white")],
        )
        placed.append(box.translated(*shift))
        count += 1
    return count


def _pixel_sizes(ax, units: gpd.GeoDataFrame) -> np.ndarray:
    bounds = units.geometry.bounds.to_numpy()
    low = ax.transData.transform(bounds[:, [0, 1]])
    high = ax.transData.transform(bounds[:, [2, 3]])
    return np.abs(high - low)


def _labels(
    ax, renderer, view: ViewState, units: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame, offshore: gpd.GeoDataFrame
) -> None:
    placed: list = []
    if view.province:
        order = units.geometry.area.sort_values(ascending=False).index
        ordered = units.loc[order]
        points = shapely.get_coordinates(ordered.geometry.representative_point().values)
        _place_labels(
            ax, renderer, points, list(ordered["name"]), fontsize=5.5, fit=_pixel_sizes(ax, ordered), placed=placed
        )
        others = provinces[provinces["code"] != view.province]
        points = shapely.get_coordinates(others.geometry.representative_point().values)
        inside = _inside(ax, points)
        _place_labels(
            ax, renderer, points[inside], list(others["name"][inside]), fontsize=7, style="italic", placed=placed
        )
        return
    smallest_first = provinces.loc[provinces.geometry.area.sort_values().index]  # they have the least room
    points = shapely.get_coordinates(smallest_first.geometry.representative_point().values)
    _place_labels(ax, renderer, points, list(smallest_first["name"]), fontsize=8, weight="bold", placed=placed)
    if len(offshore):
        points = shapely.get_coordinates(offshore.geometry.values)  # the middle of each archipelago
        _place_labels(ax, renderer, points, list(offshore["label"]), fontsize=7, style="italic", placed=placed)


def _inside(ax, points: np.ndarray) -> np.ndarray:
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return (points[:, 0] > x0) & (points[:, 0] < x1) & (points[:, 1] > y0) & (points[:, 1] < y1)


def _fit_extent(ax, bounds: tuple[float, float, float, float]) -> None:
    """Show ``bounds`` at equal x/y scale, widened to the axes' shape so nothing is cut off."""
    minx, miny, maxx, maxy = bounds
    box = ax.get_position()
    width_in, height_in = ax.figure.get_size_inches()
    ratio = (box.width * width_in) / (box.height * height_in)
    w, h = maxx - minx, maxy - miny
    w, h = (h * ratio, h) if w / h < ratio else (w, w / ratio)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal", adjustable="box")


def draw_map(ax, view: ViewState, inputs: MapInputs, *, labels: bool = True) -> mapstyle.Colouring:
    """Draw ``view`` on ``ax`` (units, outlines, labels, scale bar); return the colouring used."""
    units, provinces = plotted_units(view, inputs)
    colouring = colouring_of(view, inputs)
    far = offshore_codes(inputs.communes[inputs.communes["code"].isin(set(units["code"]))]) if view.province else set()
    if view.province:
        minx, miny, maxx, maxy = units[~units["code"].isin(far)].total_bounds
        pad = 0.04 * max(maxx - minx, maxy - miny)
        provinces.plot(ax=ax, color=palette.NEIGHBOUR_FILL, edgecolor=palette.NEIGHBOUR_EDGE, linewidth=0.5, zorder=1)
    else:
        minx, miny, maxx, maxy = provinces.total_bounds
        pad = 0.02 * max(maxx - minx, maxy - miny)
    fills = units["code"].map(colouring.fill).fillna(palette.GREY)
    units.plot(ax=ax, color=list(fills), edgecolor="white", linewidth=0.35 if view.province else 0.12, zorder=2)
    if colouring.hatched:  # stale units striped, told apart without colour (as on the app's map)
        with matplotlib.rc_context({"hatch.color": palette.HATCH_COLOUR, "hatch.linewidth": HATCH_WIDTH}):
            units[units["code"].isin(colouring.hatched)].plot(
                ax=ax, facecolor="none", edgecolor=palette.HATCH_COLOUR, hatch=HATCH, linewidth=0, zorder=2.5
            )
    if colouring.outlined:
        units[units["code"].isin(colouring.outlined)].plot(
            ax=ax,
            facecolor="none",
            edgecolor=colouring.outline_colour,
            linewidth=0.9 if view.province else 0.5,
            zorder=3,
        )
    outline = provinces[provinces["code"] == view.province] if view.province else provinces
    outline.boundary.plot(ax=ax, color=palette.TEXT_NOTE, linewidth=1.2 if view.province else 0.5, zorder=4)
    if colouring.dots:  # the provinces' own reports, a dot inside each
        own = units[units["code"].isin(set(colouring.dots))]
        spots = shapely.get_coordinates(own.geometry.representative_point().values)
        ax.scatter(
            spots[:, 0],
            spots[:, 1],
            s=DOT_SIZE,
            c=[colouring.dots[c] for c in own["code"]],
            edgecolors=palette.HATCH_COLOUR,
            linewidths=1.2,
            zorder=5,
        )
    _fit_extent(ax, (minx - pad, miny - pad, maxx + pad, maxy + pad))
    ax.set_axis_off()
    extent = (*ax.get_xlim(), *ax.get_ylim())
    _scale_bar(ax, (extent[0], extent[2], extent[1], extent[3]))
    if far:
        mainland = units[~units["code"].isin(far)]
        _inset(ax, units[units["code"].isin(far)], fills[units["code"].isin(far)], avoid=mainland)
    if labels:
        offshore = offshore_zones(inputs.communes) if not view.province else None
        _labels(ax, ax.figure.canvas.get_renderer(), view, units[~units["code"].isin(far)], provinces, offshore)
    return colouring


HATCH = "////"
HATCH_WIDTH = 0.6
DOT_SIZE = 42  # points², about the app's 6 px marker


def draw_marks(ax, x: float, y: float, w: float, h: float, kind: str, colour: str) -> None:
    """The legend swatch of a mark: a striped box (``mapstyle.HATCH``) or a dot (``mapstyle.DOT``)."""
    if kind == mapstyle.HATCH:
        with matplotlib.rc_context({"hatch.color": palette.HATCH_COLOUR, "hatch.linewidth": HATCH_WIDTH}):
            ax.add_patch(
                Rectangle((x, y), w, h, facecolor=colour, edgecolor=palette.TEXT_SOFT, hatch=HATCH, linewidth=0.6)
            )
    else:
        ax.scatter([x + w / 2], [y + h / 2], s=DOT_SIZE, c=[colour], edgecolors=palette.HATCH_COLOUR, linewidths=1.2)


INSET_CORNERS = ((0.64, 0.03), (0.64, 0.64), (0.02, 0.64))  # lower right, upper right, upper left (axes fraction)
INSET_SIZE = (0.34, 0.30)


def _inset_corner(ax, avoid: gpd.GeoDataFrame) -> tuple[float, float]:
    """The inset corner that covers the least of ``avoid`` (the mainland), checked in data units."""
    to_data = ax.transAxes + ax.transData.inverted()
    geoms = avoid.geometry.values

    def covered(corner: tuple[float, float]) -> float:
        (x0, y0), (x1, y1) = to_data.transform([corner, (corner[0] + INSET_SIZE[0], corner[1] + INSET_SIZE[1] + 0.04)])
        return float(shapely.area(shapely.intersection(geoms, shapely.box(x0, y0, x1, y1))).sum())

    return min(INSET_CORNERS, key=covered)


def _inset(ax, far: gpd.GeoDataFrame, fills: pd.Series, *, avoid: gpd.GeoDataFrame) -> None:
    """The province's offshore archipelago in a framed inset, at its own scale, in the corner of the
    map that hides the least of the mainland."""
    inset = ax.inset_axes((*_inset_corner(ax, avoid), *INSET_SIZE), zorder=8)
    far.plot(ax=inset, color=list(fills), edgecolor=palette.TEXT_NOTE, linewidth=0.6)
    minx, miny, maxx, maxy = far.total_bounds
    pad = 0.06 * max(maxx - minx, maxy - miny)
    _fit_extent(inset, (minx - pad, miny - pad, maxx + pad, maxy + pad))
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_facecolor("white")
    for spine in inset.spines.values():
        spine.set_edgecolor(palette.FRAME)
    inset.set_title(f"{', '.join(far['full_name'])} (khung riêng, tỉ lệ khác)", fontsize=6.5, color=TEXT, pad=3)


def draw_legend(ax, legend: mapstyle.Legend, *, width: int = 38, fontsize: float = 8.5) -> None:
    """The legend in an empty axes: title, colour boxes with labels and counts, then the notes."""
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    y = 0.98
    step = 0.028 * fontsize / 8.5
    ax.text(
        0, y, textwrap.fill(legend.title, width - 4), fontsize=fontsize + 1.5, fontweight="bold", va="top", color=TEXT
    )
    y -= step * (1.6 + textwrap.fill(legend.title, width - 4).count("\n"))
    for colour, label, count in legend.entries:
        text = textwrap.fill(f"{label} ({format_int(count)})", width)
        lines = text.count("\n") + 1
        ax.add_patch(
            Rectangle((0, y - 0.022), 0.07, 0.022, facecolor=colour, edgecolor=palette.TEXT_SOFT, linewidth=0.6)
        )
        ax.text(
            0.1,
            y - 0.011,
            text,
            fontsize=fontsize,
            va="center" if lines == 1 else "top",
            color=TEXT,
            transform=ax.transData,
        )
        y -= step * (lines + 0.5)
    for kind, colour, label, count in legend.marks:
        text = textwrap.fill(f"{label} ({format_int(count)})", width)
        lines = text.count("\n") + 1
        draw_marks(ax, 0, y - 0.022, 0.07, 0.022, kind, colour)
        ax.text(0.1, y - 0.011, text, fontsize=fontsize, va="center" if lines == 1 else "top", color=TEXT)
        y -= step * (lines + 0.5)
    y -= step * 0.5
    for note in legend.notes:
        demo = "MINH HOẠ" in note
        text = textwrap.fill(note, width)
        ax.text(
            0,
            y,
            text,
            fontsize=fontsize - 0.5,
            va="top",
            color=palette.WARN if demo else palette.TEXT_NOTE,
            fontweight="bold" if demo else "normal",
            bbox={"facecolor": palette.WARN_BACKGROUND, "edgecolor": palette.WARN, "boxstyle": "round,pad=0.4"}
            if demo
            else None,
        )
        y -= step * (text.count("\n") + 1.8)


@with_font
def map_figure(view: ViewState, inputs: MapInputs, *, made: dt.date | None = None) -> Figure:
    """The whole static map: title, map with labels and scale bar, legend panel, footer."""
    check_view(view, inputs)
    fig = Figure(figsize=FIGURE_SIZE, facecolor="white")
    FigureCanvasAgg(fig)
    fig.text(0.02, 0.975, title_of(view, inputs), fontsize=16, fontweight="bold", va="top", color=TEXT)
    ax = fig.add_axes((0.01, 0.07, 0.68, 0.85))
    colouring = draw_map(ax, view, inputs)
    draw_legend(fig.add_axes((0.71, 0.07, 0.27, 0.85)), colouring.legend)
    fig.text(
        0.02,
        0.012,
        textwrap.fill(footer_text(inputs, made=made), 190),
        fontsize=6.5,
        color=palette.TEXT_SOFT,
        va="bottom",
    )
    return fig


def save_figure(fig: Figure, out: Path, *, fmt: str | None = None, dpi: int = PNG_DPI) -> Path:
    """Write ``fig`` to ``out`` (format from ``fmt`` or the suffix); written whole or not at all."""
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise StaticMapError(f"Định dạng “{fmt}” không hỗ trợ cho bản đồ tĩnh; dùng png, svg hoặc pdf.")
    metadata = {"Title": fig.texts[0].get_text() if fig.texts else None} if fmt in ("pdf", "svg") else None

    def save(stream) -> None:
        with matplotlib.rc_context(SAVE_RC):
            fig.savefig(stream, format=fmt, dpi=dpi, facecolor="white", metadata=metadata)

    return write_atomic(out, save)


def render_map(view: ViewState, inputs: MapInputs, out: Path, *, fmt: str | None = None) -> Path:
    """Draw ``view`` and write it to ``out`` as PNG (2400 px wide), SVG or PDF."""
    return save_figure(map_figure(view, inputs), out, fmt=fmt)


def figure_bytes(fig: Figure, fmt: str, *, dpi: int = PNG_DPI) -> bytes:
    """``fig`` as the bytes of a PNG, SVG or PDF file (for a download button)."""
    import io

    if fmt not in FORMATS:
        raise StaticMapError(f"Định dạng “{fmt}” không hỗ trợ cho bản đồ tĩnh; dùng png, svg hoặc pdf.")
    buffer = io.BytesIO()
    with matplotlib.rc_context(SAVE_RC):
        fig.savefig(buffer, format=fmt, dpi=dpi, facecolor="white")
    return buffer.getvalue()
