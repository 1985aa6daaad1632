"""What the static maps, the brief and the HTML file draw, without drawing it: the store's status on a
day, the layers, the colouring of a view, the units and outlines projected for plotting, the texts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from lib.core.vocab import LOCAL_TZ, REFORM_TEXT, end_of_day
from lib.data import geodata
from lib.data.i18n import format_date, today
from lib.maps import layers as mapdata
from lib.maps import style as mapstyle
from lib.maps.urlstate import ViewState
from lib.status import status as status_lib

PLOT_CRS = "EPSG:32648"  # UTM 48N: metres, so the scale bar is true to within ~2 % over Vietnam
OFFSHORE_LON = 110.5  # the mainland and near islands lie west of it; Hoàng Sa and Trường Sa east


class StaticMapError(ValueError):
    """A map that cannot be drawn as asked (unknown province, format or mode)."""


@dataclass
class MapInputs:
    """Everything a static map, a brief or an HTML export draws from (layers are read-only)."""

    communes: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame
    crosswalk: pd.DataFrame
    merge: pd.DataFrame
    status: pd.DataFrame | None  # lib.status.status.commune_status, or None when no report is stored
    as_of: dt.date | None  # the date the status is shown at (None: no status)
    version: str
    sources: list[str]
    # lib.status.status.province_reported_status at the same time: the provinces' own reports
    province_reports: pd.DataFrame | None = None


def source_names(geodata_dir: Path | None = None) -> list[str]:
    """Short names of the dataset's sources, from the first column of SOURCES.md's "Sources" table."""
    path = geodata.folder(geodata_dir) / "SOURCES.md"
    if not path.is_file():
        return []
    section = path.read_text(encoding="utf-8").split("## Sources", 1)[-1].split("\n## ", 1)[0]
    names = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or cells[0] in ("source", "") or set(cells[0]) <= set("-: "):
            continue
        name = re.split(r" \(| via ", cells[0])[0].strip()
        if name not in names:
            names.append(name)
    return names


def status_as_of(
    store, date: dt.date | None, *, now: dt.datetime | None = None, codes: list[str] | None = None
) -> tuple[pd.DataFrame | None, dt.date | None]:
    """Commune status at the end of ``date`` (Vietnam time), or at the store's default time.

    Returns ``(None, None)`` when the store holds no report, so maps say "no status" instead of
    painting every commune grey as if all had missed the deadline.
    """
    if store is None or store.is_empty():
        return None, None
    if date is None:
        moment = status_lib.default_as_of(store, now=now)
    else:
        moment = end_of_day(date)
    frame = status_lib.commune_status(store, as_of=moment, codes=codes)
    return frame, pd.Timestamp(moment).tz_convert(LOCAL_TZ).date()


def province_reports_as_of(store, as_of: dt.date | None) -> pd.DataFrame | None:
    """The provinces' own reports (level "province") at the end of ``as_of`` (see :func:`status_as_of`)."""
    if store is None or as_of is None:
        return None
    return status_lib.province_reported_status(store, as_of=end_of_day(as_of))


def open_store(url: str | None = None, *, demo: bool = False, scratch: Path | None = None):
    """The status store to draw from, or None when there is none yet.

    ``url`` defaults to the app's store (``$VNMAP_STATUS_DB`` or data/status.sqlite); that default
    SQLite file is not created when it does not exist (the output then says it has no status). An SQLite
    file named in ``url`` that does not exist is a :class:`lib.status.store.StoreError` (most likely a
    typing mistake: a map without status would hide it). With ``demo`` the seeded demonstration data is
    written to a new SQLite file under ``scratch`` and used instead.
    """
    from lib.status import store as store_lib

    if demo:
        from lib.status import demo as demo_lib

        if scratch is None:
            raise StaticMapError("demonstration data needs a scratch folder")
        store = store_lib.StatusStore(Path(scratch) / "demo-status.sqlite")
        demo_lib.load_demo(store)
        return store
    text = url or store_lib.default_url()
    path = text[len("sqlite:///") :] if text.startswith("sqlite:///") else None if "://" in text else text
    if path is not None and not Path(path).is_file():
        if url is None:
            return None
        raise store_lib.StoreError(
            f"Không có kho trạng thái {store_lib.mask_url(text)}: tệp không tồn tại — kiểm tra đường dẫn --db "
            "(bỏ --db để dùng kho mặc định)"
        )
    return store_lib.StatusStore(text)


def load_inputs(
    *, store=None, date: dt.date | None = None, geodata_dir: Path | None = None, now: dt.datetime | None = None
) -> MapInputs:
    """Load layers, crosswalk and (when ``store`` is given) the status at ``date`` for the outputs."""
    geodata_dir = geodata.folder(geodata_dir)
    crosswalk = geodata.load_crosswalk(geodata_dir)
    communes = geodata.load_new_communes(geodata_dir)
    status, as_of = status_as_of(store, date, now=now, codes=sorted(communes["code"]))
    return MapInputs(
        communes=communes,
        provinces=geodata.load_new_provinces(geodata_dir),
        crosswalk=crosswalk,
        merge=mapstyle.merge_structure(crosswalk),
        status=status,
        as_of=as_of,
        version=geodata.load_manifest(geodata_dir)["version"],
        sources=source_names(geodata_dir),
        province_reports=province_reports_as_of(store, as_of),
    )


def check_view(view: ViewState, inputs: MapInputs) -> None:
    """Raise :class:`StaticMapError` when ``view`` names a province or mode the data does not have."""
    if view.mode not in mapstyle.MODE_LABELS:
        raise StaticMapError(f"Chế độ màu “{view.mode}” không có; dùng một trong: {', '.join(mapstyle.MODE_LABELS)}.")
    if view.province and view.province not in set(inputs.provinces["code"]):
        raise StaticMapError(
            f"Không có tỉnh mã “{view.province}” trong bộ dữ liệu {inputs.version}; "
            "dùng mã 2 chữ số của 34 tỉnh mới (ví dụ 01 cho Hà Nội)."
        )


def title_of(view: ViewState, inputs: MapInputs) -> str:
    """What the map shows, e.g. "Thành phố Hà Nội — tiến độ thực hiện nhiệm vụ" (see :func:`mapstyle.map_title`)."""
    return mapstyle.map_title(view, provinces=inputs.provinces, communes=inputs.communes)


def colouring_of(view: ViewState, inputs: MapInputs) -> mapstyle.Colouring:
    """The app's colouring (:func:`lib.maps.style.colour_view`) of ``view`` at the inputs' day."""
    return mapstyle.colour_view(
        view,
        communes=inputs.communes,
        provinces=inputs.provinces,
        crosswalk=inputs.crosswalk,
        merge=inputs.merge,
        status=inputs.status,
        as_of=inputs.as_of,
        province_reports=inputs.province_reports,
    )


def footer_text(inputs: MapInputs, *, made: dt.date | None = None) -> str:
    """Dataset version, sources and the day the output was made."""
    made = made or today()
    sources = "; ".join(inputs.sources) or "xem geodata/SOURCES.md"
    return (
        f"Ranh giới: bộ dữ liệu {inputs.version} (đơn vị hành chính từ {REFORM_TEXT}). Nguồn: {sources}. "
        f"Lập ngày {format_date(made)}."
    )


def plotted_units(view: ViewState, inputs: MapInputs) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(units coloured, province outlines drawn on top), projected to :data:`PLOT_CRS`."""
    if view.province:
        units = mapdata.communes_of_province(inputs.communes, view.province)
        mainland = units[~units["code"].isin(offshore_codes(units))]
        return units.to_crs(PLOT_CRS), _neighbourhood(inputs.provinces, tuple(mainland.total_bounds))
    provinces = mapdata.simplify_for_national(inputs.provinces).to_crs(PLOT_CRS)
    if view.level == "province":
        return provinces, provinces
    return mapdata.simplify_for_national(inputs.communes).to_crs(PLOT_CRS), provinces


def _neighbourhood(provinces: gpd.GeoDataFrame, bounds: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """Provinces around ``bounds`` (lon/lat), cut to a box well beyond it, projected: drawing (and
    writing to PDF/SVG) the whole country at full resolution behind one province made it slow."""
    minx, miny, maxx, maxy = bounds
    margin = 0.6 * max(maxx - minx, maxy - miny)
    box = (minx - margin, miny - margin, maxx + margin, maxy + margin)
    near = provinces[provinces.intersects(shapely.box(*box))].copy()
    near.geometry = shapely.clip_by_rect(near.geometry.values, *box)
    return near[~near.geometry.is_empty].to_crs(PLOT_CRS)


def offshore_codes(communes: gpd.GeoDataFrame) -> set[str]:
    """Codes of units reaching east of :data:`OFFSHORE_LON` (lon/lat): the Hoàng Sa and Trường Sa
    archipelagos, which a province map shows in an inset rather than at the mainland's scale."""
    return set(communes.loc[communes.geometry.bounds["maxx"] > OFFSHORE_LON, "code"])


def offshore_zones(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Special zones reaching east of 110.5° E (the Hoàng Sa and Trường Sa archipelagos), with a label
    naming the zone and its province; projected to :data:`PLOT_CRS`."""
    bounds = communes.geometry.bounds
    far = communes[bounds["maxx"] > OFFSHORE_LON].to_crs(PLOT_CRS)
    boxes = far.geometry.bounds
    centres = gpd.points_from_xy((boxes["minx"] + boxes["maxx"]) / 2, (boxes["miny"] + boxes["maxy"]) / 2, crs=PLOT_CRS)
    return gpd.GeoDataFrame(
        {"label": (far["full_name"] + "\n(" + far["province_name"] + ")").to_numpy()}, geometry=centres, crs=PLOT_CRS
    )
