"""Leaflet maps served offline: folium map with local assets, and a compact GeoJSON unit layer."""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.map import FitBounds
from jinja2 import Template

from lib.core import palette
from lib.core.settings import settings

# Leaflet 1.9.4 is served by the app itself (static/leaflet, Streamlit static serving),
# so the map needs no CDN and works on a closed network.
STATIC_PREFIX = "/app/static/leaflet"
# The folder Streamlit serves as /app/static/ (server.enableStaticServing).
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
LEAFLET_JS = [("leaflet", f"{STATIC_PREFIX}/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{STATIC_PREFIX}/leaflet.css")]
VIETNAM_BOUNDS = [[8.2, 102.1], [23.4, 109.5]]


def geojson_text(gdf: gpd.GeoDataFrame, properties: dict[str, str], *, decimals: int) -> str:
    """Compact GeoJSON FeatureCollection text for embedding in a page's script.

    ``properties`` maps output names to columns. Coordinates are rounded to ``decimals``.
    The text is safe inside ``<script>``: "<", ">" and "&" are written as JSON escapes, so a
    name such as ``</script>`` cannot end the script (it still reads back as the same string).
    """
    geoms = shapely.set_precision(gdf.geometry.values, 10.0**-decimals, mode="pointwise")
    geometry_texts = shapely.to_geojson(geoms)
    columns = {out: gdf[col].astype(object).where(gdf[col].notna(), None).tolist() for out, col in properties.items()}
    features = []
    for i, geometry in enumerate(geometry_texts):
        props = json.dumps(
            {out: values[i] for out, values in columns.items()}, ensure_ascii=False, separators=(",", ":")
        )
        features.append(f'{{"type":"Feature","properties":{props},"geometry":{geometry.replace(" ", "")}}}')
    text = '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _js(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")


class UnitLayer(MacroElement):
    """A GeoJSON layer styled per feature from a code → colour table, with text-only tooltips.

    A feature whose properties carry a class (``cls``) also takes that class's style from
    ``by_class`` (e.g. the line style of an old commune's confidence class).
    Colours are looked up in the browser (``fill[code]``), so changing the colour mode
    re-sends a small table, not the geometry. The geometry is either inlined (``data``, for
    files that must work alone) or fetched from the app's static files (``url``), which
    keeps it out of every rerun's payload and lets the browser cache it.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function() {
  var fill = {{ this.fill_js }}, outlined = {{ this.outlined_js }}, selected = {{ this.selected_js }};
  var base = {{ this.style_js }}, outline = {{ this.outline_js }}, highlight = {{ this.highlight_js }};
  var byClass = {{ this.by_class_js }};
  var hatched = {{ this.hatched_js }}, tips = {{ this.tips_js }};
  // Stale units are striped, so they are told apart without colour: the unit's own colour with
  // dark diagonal lines, as an SVG pattern (province view) or a canvas pattern (national view;
  // Leaflet's canvas renderer hands fillColor to ctx.fillStyle, which takes a CanvasPattern).
  var canvasPatterns = {};
  function canvasHatch(colour) {
    if (!canvasPatterns[colour]) {
      var c = document.createElement('canvas'), g = c.getContext('2d');
      c.width = 6; c.height = 6;
      g.fillStyle = colour; g.fillRect(0, 0, 6, 6);
      g.strokeStyle = {{ this.hatch_colour_js }}; g.globalAlpha = 0.75; g.lineWidth = 1.5;
      g.beginPath(); g.moveTo(0, 6); g.lineTo(6, 0); g.moveTo(-1, 1); g.lineTo(1, -1);
      g.moveTo(5, 7); g.lineTo(7, 5); g.stroke();
      canvasPatterns[colour] = g.createPattern(c, 'repeat');
    }
    return canvasPatterns[colour];
  }
  function hatch(colour) {
    var id = 'vn-hatch-' + colour.replace(/[^0-9a-zA-Z]/g, '');
    if (!document.getElementById(id)) {
      var ns = 'http://www.w3.org/2000/svg', holder = document.getElementById('vn-hatch-defs');
      if (!holder) {
        holder = document.createElementNS(ns, 'svg');
        holder.setAttribute('id', 'vn-hatch-defs');
        holder.setAttribute('width', '0'); holder.setAttribute('height', '0');
        holder.style.position = 'absolute';
        holder.appendChild(document.createElementNS(ns, 'defs'));
        document.body.appendChild(holder);
      }
      var p = document.createElementNS(ns, 'pattern');
      p.setAttribute('id', id); p.setAttribute('patternUnits', 'userSpaceOnUse');
      p.setAttribute('width', '7'); p.setAttribute('height', '7');
      p.setAttribute('patternTransform', 'rotate(45)');
      var r = document.createElementNS(ns, 'rect');
      r.setAttribute('width', '7'); r.setAttribute('height', '7'); r.setAttribute('fill', colour);
      var l = document.createElementNS(ns, 'line');
      l.setAttribute('x1', '0'); l.setAttribute('y1', '0'); l.setAttribute('x2', '0'); l.setAttribute('y2', '7');
      l.setAttribute('stroke', {{ this.hatch_colour_js }}); l.setAttribute('stroke-width', '2.2');
      l.setAttribute('stroke-opacity', '0.75');
      p.appendChild(r); p.appendChild(l);
      holder.firstChild.appendChild(p);
    }
    return 'url(#' + id + ')';
  }
  var layer = L.geoJSON(null, {
    interactive: {{ 'true' if this.interactive else 'false' }},
    {%- if this.canvas %}
    renderer: L.canvas({padding: 0.2}),
    {%- endif %}
    style: function(f) {
      var code = f.properties.code, s = Object.assign({}, base);
      if (fill[code]) { s.fillColor = fill[code]; }
      if (f.properties.cls && byClass[f.properties.cls]) { Object.assign(s, byClass[f.properties.cls]); }
      if (hatched[code]) {
        {%- if this.canvas %}
        s.fillColor = canvasHatch(s.fillColor || {{ this.no_fill_js }});
        {%- else %}
        s.fillColor = hatch(s.fillColor || {{ this.no_fill_js }});
        {%- endif %}
      }
      if (outlined[code]) { Object.assign(s, outline); }
      if (selected[code]) { Object.assign(s, highlight); }
      return s;
    },
    onEachFeature: function(f, l) {
      if (!{{ 'true' if this.interactive else 'false' }}) { return; }
      var tip = document.createElement('div'), extra = tips[f.properties.code];
      tip.style.whiteSpace = 'pre';  // line breaks kept, no wrapping (Leaflet sizes the tooltip to its text)
      tip.textContent = f.properties.label + (extra ? '\\n' + extra : '');
      l.bindTooltip(tip, {sticky: true});
    }
  });
  layer.addTo({{ this._parent.get_name() }});
  {%- if this.url %}
  fetch({{ this.url_js }}).then(function(r) { return r.json(); }).then(function(d) { layer.addData(d); });
  {%- else %}
  // Inline data is added once the rest of the map script has run (view set, frame sized), as
  // fetched data is: polygons added before that are projected against a stale origin and
  // drawn, and clicked, several pixels off.
  setTimeout(function() { layer.addData({{ this.data }}); }, 0);
  {%- endif %}
  return layer;
})();
{% endmacro %}
"""
    )

    def __init__(
        self,
        data: str | None = None,
        *,
        name: str,
        url: str | None = None,
        fill: dict[str, str] | None = None,
        outlined: AbstractSet[str] = frozenset(),
        selected: AbstractSet[str] = frozenset(),
        style: dict | None = None,
        outline: dict | None = None,
        highlight: dict | None = None,
        by_class: dict[str, dict] | None = None,
        interactive: bool = True,
        canvas: bool = False,
        hatched: AbstractSet[str] = frozenset(),
        tips: dict[str, str] | None = None,
        hatch_colour: str = palette.HATCH_COLOUR,
    ):
        super().__init__()
        self._name = name
        if (data is None) == (url is None):
            raise ValueError("give the layer either inline data or a url")
        self.data = data
        self.url = url
        self.url_js = _js(url)
        self.interactive = interactive
        self.canvas = canvas
        self.fill_js = _js(fill or {})
        self.outlined_js = _js({c: 1 for c in sorted(outlined)})
        self.selected_js = _js({c: 1 for c in sorted(selected)})
        self.hatched_js = _js({c: 1 for c in sorted(hatched)})
        self.tips_js = _js(dict(sorted((tips or {}).items())))
        self.hatch_colour_js = _js(hatch_colour)
        self.no_fill_js = _js(palette.NO_FILL)
        default = {"color": palette.UNIT_EDGE, "weight": 0.4, "fillOpacity": 0.75, "fillColor": palette.NO_FILL}
        self.style_js = _js(style or default)
        self.outline_js = _js(outline or {"color": palette.SPLIT_OUTLINE, "weight": 1.5})
        self.highlight_js = _js(highlight or {"color": palette.SELECTED, "weight": 3, "fillOpacity": 0.9})
        self.by_class_js = _js(by_class or {})


class PointLayer(MacroElement):
    """Round markers (lat, lng, colour, tooltip text, code): a province's own report, shown inside it.

    Each marker carries the feature properties of its province (code, kind "province"), so a
    click on it does what a click on the province does. Tooltips are text only.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function() {
  var group = L.featureGroup();
  {{ this.points_js }}.forEach(function(p) {
    var m = L.circleMarker([p[0], p[1]], {{ this.style_js }});
    m.setStyle({fillColor: p[2]});
    m.feature = {type: 'Feature', properties: {code: p[4], kind: {{ this.kind_js }}, label: p[3]}};
    var tip = document.createElement('div');
    tip.style.whiteSpace = 'pre';  // line breaks kept, no wrapping (Leaflet sizes the tooltip to its text)
    tip.textContent = p[3];
    m.bindTooltip(tip, {sticky: true});
    group.addLayer(m);
  });
  group.addTo({{ this._parent.get_name() }});
  return group;
})();
{% endmacro %}
"""
    )

    def __init__(self, points: list[tuple[float, float, str, str, str]], *, name: str, kind: str, style: dict):
        super().__init__()
        self._name = name
        self.points_js = _js(
            [[round(lat, 5), round(lng, 5), colour, text, code] for lat, lng, colour, text, code in points]
        )
        self.kind_js = _js(kind)
        self.style_js = _js(style)


def configured_tiles() -> tuple[str, str] | None:
    """Basemap tiles for connected deployments: (URL template, attribution) from the settings.

    ``tile_url`` (e.g. ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``) and ``tile_attribution``
    (:mod:`lib.core.settings`). Unset (the default), the map draws the units on a plain
    background and makes no request outside the app.
    """
    given = settings()
    return (given.tile_url, given.tile_attribution) if given.tile_url else None


def static_url(relative: str) -> str:
    """URL path of a file under the app's static folder."""
    return f"/app/static/{relative}"


def base_map(*, bounds: list[list[float]] | None = None, tiles: tuple[str, str] | None = None) -> folium.Map:
    """A folium map that loads Leaflet from the app's own static files; tiles only when given."""
    m = folium.Map(
        tiles=None, prefer_canvas=False, control_scale=True, zoom_snap=0.25, location=[16.0, 106.0], zoom_start=6
    )
    m.default_js = LEAFLET_JS
    m.default_css = LEAFLET_CSS
    if tiles:
        folium.TileLayer(tiles=tiles[0], attr=tiles[1], name="basemap").add_to(m)
    # Fitted at once, not animated: from zoom 6 the fit to a province is an animated zoom whose end
    # can come after the reader's first wheel zoom and undo it (seen on a loaded machine).
    fit = FitBounds(bounds or VIETNAM_BOUNDS)
    fit.options["animate"] = False
    fit.add_to(m)
    return m


def bounds_of(gdf: gpd.GeoDataFrame) -> list[list[float]]:
    """[[south, west], [north, east]] of a layer, for ``fit_bounds``."""
    minx, miny, maxx, maxy = shapely.total_bounds(gdf.geometry.values)
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        return VIETNAM_BOUNDS
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]
