"""One map view assembled from its parts: layers, colours, selection, legend; and what a click changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

from lib.core import palette
from lib.core.vocab import LOCAL_TZ, end_of_day
from lib.lookup import unitinfo
from lib.maps import leaflet
from lib.maps import style as mapstyle
from lib.maps.urlstate import ViewState, with_changes

OLD_LINE_STYLES = {
    "old_provinces": {"color": palette.OLD_PROVINCE_LINE, "weight": 2.2, "fill": False, "dashArray": "6 4"},
    "old_districts": {"color": palette.OLD_DISTRICT_LINE, "weight": 1.4, "fill": False, "dashArray": "4 3"},
    "old_communes": {"color": palette.OLD_COMMUNE_LINE, "weight": 0.8, "fill": False, "dashArray": "2 3"},
}


class KeepLayerOrder(MacroElement):
    """Keep unit layers stacked in the order they were added, whenever their data arrives.

    A layer whose GeoJSON is fetched adds its polygons when the fetch completes; in one SVG
    those land on top of polygons added earlier. Without this, a later layer (old communes,
    the one that takes the click in "xã cũ" mode) could end up under the new communes at
    random, and a click would select the new commune.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function() {
  var layers = [{% for layer in this.layers %}{{ layer.get_name() }}{{ ', ' if not loop.last }}{% endfor %}];
  layers.forEach(function(l) {
    // addData calls itself once per feature: restack once, when the outermost call returns,
    // so the order is right before anything can be clicked.
    var add = l.addData, depth = 0;
    l.addData = function() {
      depth += 1;
      try { return add.apply(this, arguments); }
      finally { depth -= 1; if (depth === 0) { layers.forEach(function(x) { x.bringToFront(); }); } }
    };
  });
})();
{% endmacro %}
"""
    )

    def __init__(self, layers: list[Element]):
        super().__init__()
        self._name = "keep_layer_order"
        self.layers = layers  # names read when rendered: streamlit-folium renames the elements first


@dataclass
class BuiltView:
    """A ready map with its legend and a title that says what it shows; with the old communes drawn,
    ``old_lines`` explains their line styles (confidence classes).

    ``base`` holds only what fixes the map's frame (Leaflet, tiles, the extent of the province or
    country); ``overlay`` holds every layer that changes with the colour mode, the date, the old
    boundaries or the selection. The page gives them to ``st_folium`` apart
    (``feature_group_to_add``), so that the component, keyed by the base map's script, is not
    mounted again when only the overlay changes: the reader's zoom and position stay.
    ``map`` is the whole map in one (for an HTML file).
    """

    base: folium.Map
    overlay: folium.FeatureGroup
    legend: mapstyle.Legend
    title: str
    old_lines: mapstyle.LineLegend | None = None

    @property
    def map(self) -> folium.Map:
        if self.overlay._parent is not self.base:
            self.overlay.add_to(self.base)
        return self.base


def build(
    view: ViewState,
    *,
    communes: gpd.GeoDataFrame,
    provinces: gpd.GeoDataFrame,
    crosswalk: pd.DataFrame,
    geometry: Callable[[str, str], str],
    merge: pd.DataFrame,
    status: pd.DataFrame | None,
    old_communes: gpd.GeoDataFrame | None = None,
    pick_old: bool = False,
    tiles: tuple[str, str] | None = None,
    as_of: dt.date | dt.datetime | None = None,
    province_reports: pd.DataFrame | None = None,
) -> BuiltView:
    """Assemble the map for ``view``.

    ``geometry(kind, province)`` returns where a layer's GeoJSON comes from: a URL path
    ("/app/static/…", fetched by the browser) or the GeoJSON text itself (inlined). Either is
    prepared once, so only the colour table changes when the colour mode does.
    ``province_reports`` (``lib.status.status.province_reported_status``) adds the provinces' own
    reports: dots on the national province map, a legend line in a province's view.
    """
    bounds = leaflet.bounds_of(provinces[provinces["code"] == view.province]) if view.province else None
    m = leaflet.base_map(bounds=bounds, tiles=tiles)
    overlay = folium.FeatureGroup(name="vn-overlay", control=False)
    colouring = mapstyle.colour_view(
        view,
        communes=communes,
        provinces=provinces,
        crosswalk=crosswalk,
        merge=merge,
        status=status,
        as_of=as_of,
        province_reports=province_reports,
    )
    if not view.province and view.level == "province":
        data, selected = geometry("national_provinces", ""), set()
    else:
        data = geometry("province_communes", view.province) if view.province else geometry("national_communes", "")
        selected = {view.unit} if view.unit else set()
    if view.old:
        selected |= set(crosswalk.loc[crosswalk["old_code"] == view.old, "new_code"])
    stacked = [
        leaflet.UnitLayer(
            **_source(data),
            name="units",
            fill=colouring.fill,
            outlined=colouring.outlined,
            selected=selected,
            outline={"color": colouring.outline_colour, "weight": 1.5},
            hatched=colouring.hatched,
            tips=colouring.tips,
            hatch_colour=palette.HATCH_COLOUR,
            style={
                "color": palette.UNIT_EDGE,
                "weight": 0.5 if view.province else 0.25,
                "fillOpacity": 0.8,
                "fillColor": palette.GREY,
            },
            canvas=not view.province,
        ).add_to(overlay)
    ]  # canvas draws 3,321 polygons far faster than SVG
    for kind in reversed(view.layers):  # provinces drawn last, on top
        clickable = pick_old and kind == "old_communes"
        style = {**OLD_LINE_STYLES[kind], "fill": True, "fillOpacity": 0.02} if clickable else OLD_LINE_STYLES[kind]
        stacked.append(
            leaflet.UnitLayer(
                **_source(geometry(kind, view.province)),
                name=kind,
                style=style,
                interactive=clickable,
                selected={view.old} if clickable and view.old else set(),
                highlight={"color": palette.HIGHLIGHT, "weight": 3},
                by_class=mapstyle.OLD_COMMUNE_CLASS_LINES if kind == "old_communes" else None,
            ).add_to(overlay)
        )
    if view.layers:
        colouring.legend.notes.append("Ranh giới cũ là ranh giới dựng lại, gần đúng: xem Dữ liệu › SOURCES.md.")
    old_lines = None
    if "old_communes" in view.layers:
        drawn = None
        if old_communes is not None:  # attributes only: the legend counts the classes drawn
            drawn = pd.DataFrame({c: old_communes[c] for c in ("code", "method", "confidence") if c in old_communes})
            if view.province:  # plain membership: Series.isin on text is ~10x slower here
                codes = set(crosswalk.loc[crosswalk["new_province_code"] == view.province, "old_code"])
                drawn = drawn[[code in codes for code in drawn["code"].tolist()]]
        old_lines = mapstyle.old_commune_lines(drawn)
    if view.unit and view.province:
        predecessors = set(crosswalk.loc[crosswalk["new_code"] == view.unit, "old_code"])
        if old_communes is not None and predecessors:
            parts = old_communes[old_communes["code"].isin(predecessors)].assign(label=lambda d: d["name"])
            stacked.append(
                leaflet.UnitLayer(
                    leaflet.geojson_text(parts, {"code": "code", "label": "label"}, decimals=5),
                    name="predecessors",
                    interactive=False,
                    style={"color": palette.HIGHLIGHT, "weight": 2.5, "fill": False},
                ).add_to(overlay)
            )
    if len(stacked) > 1:  # fetched layers add their polygons in whatever order the fetches complete
        KeepLayerOrder(stacked).add_to(overlay)
    if colouring.dots:
        points = provinces[provinces["code"].isin(set(colouring.dots))]
        spots = points.geometry.representative_point()
        leaflet.PointLayer(
            [
                (pt.y, pt.x, colouring.dots[code], f"{name}\n{colouring.tips.get(code, '')}", code)
                for code, name, pt in zip(points["code"], points["full_name"], spots, strict=False)
            ],
            name="province_reports",
            kind="province",
            style=PROVINCE_DOT_STYLE,
        ).add_to(overlay)
    title = mapstyle.map_title(view, provinces=provinces, communes=communes)
    return BuiltView(m, overlay, colouring.legend, title, old_lines=old_lines)


PROVINCE_DOT_STYLE = {"radius": 5, "color": palette.HATCH_COLOUR, "weight": 2, "fillOpacity": 1}


def _source(geometry: str) -> dict:
    return {"url": geometry} if geometry.startswith("/") else {"data": geometry}


def clicked_code(returned: dict | None) -> str | None:
    """The unit code of the feature the user last clicked, from st_folium's return value."""
    feature = (returned or {}).get("last_active_drawing") or {}
    code = (feature.get("properties") or {}).get("code")
    return str(code) if code else None


def apply_click(view: ViewState, returned: dict | None, *, last: object = None) -> ViewState | None:
    """The view after a click, or None when nothing new was clicked.

    A click on a province opens it; on a new commune selects it (the panel shows it and its
    predecessors are highlighted); on an old commune selects that (its new communes are
    highlighted). A click already handled (``last``) changes nothing.
    """
    feature = (returned or {}).get("last_active_drawing") or {}
    properties = feature.get("properties") or {}
    code = clicked_code(returned)
    if not code or properties == last:
        return None
    kind = properties.get("kind", "commune")
    if kind == "province":
        return with_changes(view, province=code) if code != view.province else None
    if kind == "old_communes":
        return with_changes(view, old=code, unit="") if code != view.old else None
    if kind != "commune" or code == view.unit:
        return None
    return with_changes(view, unit=code, old="")


def as_of_time(date: dt.date | None, default: dt.datetime, *, now: dt.datetime | None = None) -> dt.datetime:
    """The moment a view shows: the end of ``date`` in Vietnam (:func:`lib.core.vocab.end_of_day`, so a
    report at 23:59:30 counts; never after now), or ``default``."""
    if date is None:
        return default
    now = now or dt.datetime.now(LOCAL_TZ)
    return min(end_of_day(date), now)


def view_for_result(
    view: ViewState, kind: str, code: str, new_codes: tuple[str, ...], commune_province: Mapping[str, str]
) -> ViewState:
    """The view that shows a search result: its province, with the unit selected.

    An old commune is selected as such (its new communes are highlighted); a new commune as
    the selected unit; a province (old or new) or an old district opens its new province.
    """
    if kind == "new_province":
        return with_changes(view, province=code, unit="", old="")
    province = commune_province.get(new_codes[0], "") if new_codes else ""
    if kind == "new_commune":
        return with_changes(view, province=commune_province.get(code, province), unit=code, old="")
    if kind == "old_commune":
        return with_changes(view, province=province, unit="", old=code)
    return with_changes(view, province=province, unit="", old="")


KIND_LABELS = {
    "new_province": "tỉnh, thành phố",
    "old_province": "tỉnh cũ",
    "new_commune": "",
    "old_district": "huyện cũ",
    "old_commune": "xã cũ",
}


def search_labels(results: pd.DataFrame) -> list[str]:
    """One line per search result: name, what it is, where, and its code."""
    labels = []
    for row in results.itertuples():
        kind = KIND_LABELS.get(row.kind, "")
        where = ", ".join(x for x in (row.district_name, row.province_name) if x and x != row.name)
        labels.append(
            f"{row.name}" + (f" ({kind})" if kind else "") + (f" — {where}" if where else "") + f" · {row.code}"
        )
    return labels


def panel_tables(
    view: ViewState,
    *,
    communes: pd.DataFrame,
    crosswalk: pd.DataFrame,
    status: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
    old_communes: pd.DataFrame | None = None,
) -> dict:
    """What the side panel shows for the selected unit(s): records and tables, no drawing.

    With the change log ``changes``, the commune's name and type are those of ``view.on`` (default
    today), with its legal basis. With the old-commune layer ``old_communes``, a selected old commune's
    record says how its polygon was rebuilt and how far it can be trusted (predicted IoU and class).
    """
    out: dict = {}
    if view.unit:
        out["commune"] = unitinfo.commune_record(communes, view.unit, changes=changes, on=view.on)
        out["predecessors"] = unitinfo.predecessors(crosswalk, view.unit)
        if status is not None:
            rows = status[status["code"] == view.unit]
            out["status"] = rows.iloc[0].to_dict() if len(rows) else None
    if view.old:
        out["old"] = unitinfo.old_commune_record(crosswalk, view.old, old_communes=old_communes)
        out["targets"] = unitinfo.targets(crosswalk, view.old)
    return out
