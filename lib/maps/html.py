"""A self-contained interactive HTML file of a map view: Leaflet, geometry, legend all inlined, no requests."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import re
import string
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from branca.element import Element, Figure

from lib.core import palette
from lib.data import geodata
from lib.data.i18n import format_int
from lib.io.files import write_atomic
from lib.maps import layers as mapdata
from lib.maps import leaflet, staticdata
from lib.maps import style as mapstyle
from lib.maps import view as mapview
from lib.maps.urlstate import ViewState, to_params

LEAFLET_DIR = geodata.PROJECT_DIR / "static" / "leaflet"
OLD_KEYS = {"old_provinces": "old_province_code", "old_districts": "old_district_code", "old_communes": "old_code"}


class HtmlExportError(staticdata.StaticMapError):
    """The HTML file cannot be made (Leaflet's files missing, unknown view)."""


def _leaflet_assets(leaflet_dir: Path) -> tuple[str, str]:
    """Leaflet's JS and CSS as text, the CSS's images turned into data: URIs (no file is fetched)."""
    try:
        js = (leaflet_dir / "leaflet.js").read_text(encoding="utf-8")
        css = (leaflet_dir / "leaflet.css").read_text(encoding="utf-8")
    except OSError as err:
        raise HtmlExportError(
            f"Không đọc được Leaflet trong {leaflet_dir}: {err}. Kiểm tra thư mục static/leaflet."
        ) from None

    def inline(match: re.Match) -> str:
        path = leaflet_dir / match.group(1)
        if not path.is_file():
            return "url(data:,)"
        return f"url(data:image/png;base64,{base64.b64encode(path.read_bytes()).decode('ascii')})"

    css = re.sub(r"url\((images/[^)]+)\)", inline, css)
    return js.replace("</script", "<\\/script"), css.replace("</style", "<\\/style")


def geometry_text(kind: str, province: str, inputs: staticdata.MapInputs, *, geodata_dir: Path | None = None) -> str:
    """GeoJSON text of one map layer, prepared as the app prepares it (lib.ui.cache.map_geometry)."""
    if kind in ("national_communes", "national_provinces"):
        layer = inputs.communes if kind == "national_communes" else inputs.provinces
        units = mapdata.simplify_for_national(layer)
        units["label"] = mapdata.commune_labels(units) if kind == "national_communes" else units["full_name"]
        units["kind"] = "commune" if kind == "national_communes" else "province"
        return leaflet.geojson_text(units, mapdata.PROPERTIES, decimals=mapdata.NATIONAL_DECIMALS)
    if kind == "province_communes":
        units = mapdata.communes_of_province(inputs.communes, province).copy()
        units["label"], units["kind"] = mapdata.commune_labels(units), "commune"
        return leaflet.geojson_text(units, mapdata.PROPERTIES, decimals=mapdata.PROVINCE_DECIMALS)
    if kind in OLD_KEYS and kind in geodata.LAYERS:
        folder = geodata.folder(geodata_dir)
        return mapdata.geometry_text(
            kind, province, layer=lambda name: geodata.load_layer(name, folder), crosswalk=inputs.crosswalk
        )
    raise HtmlExportError(f"Lớp bản đồ “{kind}” không có.")


def _line_legend_html(legend) -> str:
    """The old communes' line styles (confidence classes), when they are drawn; "" otherwise."""
    if legend is None:
        return ""
    rows = "".join(
        f'<div class="vn-row">{mapstyle.line_sample(style)}<span>{html.escape(label)}'
        f"{'' if count is None else f' ({format_int(count)})'}</span></div>"
        for style, label, count in legend.entries
    )
    notes = "".join(f'<div class="vn-note">{html.escape(n)}</div>' for n in legend.notes)
    return f'<div class="vn-lines"><b>{html.escape(legend.title)}</b>{rows}{notes}</div>'


def _legend_html(legend, title: str, footer: str, lines: str = "") -> str:
    rows = "".join(
        f'<div class="vn-row"><span class="vn-box" style="background:{html.escape(colour)}"></span>'
        f"<span>{html.escape(label)} ({format_int(count)})</span></div>"
        for colour, label, count in legend.entries
    )
    rows += "".join(
        f'<div class="vn-row"><span class="vn-{"hatch" if kind == "hatch" else "dot"}" '
        f'style="background-color:{html.escape(colour)}"></span>'
        f"<span>{html.escape(label)} ({format_int(count)})</span></div>"
        for kind, colour, label, count in legend.marks
    )
    notes = "".join(
        f'<div class="{"vn-demo" if "MINH HOẠ" in n else "vn-note"}">{html.escape(n)}</div>' for n in legend.notes
    )
    return (
        f'<div id="vn-title">{html.escape(title)}</div>'
        f'<div id="vn-legend"><b>{html.escape(legend.title)}</b>{rows}{notes}{lines}</div>'
        f'<div id="vn-footer">{html.escape(footer)}</div>'
    )


_PAGE_CSS = string.Template("""
html, body {height: 100%; margin: 0; font-family: 'DejaVu Sans', Arial, sans-serif;}
#vn-title {position: absolute; top: 8px; left: 56px; z-index: 1000; background: rgba(255,255,255,0.92);
  padding: 6px 10px; font-weight: bold; font-size: 16px; border-radius: 4px; max-width: 60%;}
#vn-legend {position: absolute; top: 8px; right: 8px; z-index: 1000; background: rgba(255,255,255,0.94);
  padding: 8px 10px; font-size: 12px; border-radius: 4px; max-width: 300px; box-shadow: 0 1px 4px rgba(0,0,0,0.3);}
.vn-row {display: flex; align-items: center; gap: 6px; margin: 3px 0;}
.vn-box {width: 14px; height: 14px; border: 1px solid #777; flex: none;}
.vn-hatch {width: 14px; height: 14px; border: 1px solid #777; flex: none;
  background-image: repeating-linear-gradient(45deg, rgba(33,33,33,0.75) 0 2px, transparent 2px 5px);}
.vn-dot {width: 10px; height: 10px; margin: 0 2px; border: 2px solid $mark; border-radius: 50%; flex: none;}
.vn-note {font-size: 11px; color: #555; margin-top: 4px;}
.vn-lines {margin-top: 8px;}
.vn-demo {font-size: 11px; color: $warn; font-weight: bold; margin-top: 6px; border: 1px solid $warn;
  background: $warn_background; padding: 3px 5px; border-radius: 3px;}
.leaflet-bottom {bottom: 34px;}  /* scale and attribution stay above the footer */
#vn-footer {position: absolute; bottom: 0; left: 0; right: 0; z-index: 1000; background: rgba(255,255,255,0.85);
  font-size: 10px; color: #555; padding: 2px 8px;}
""").substitute(mark=palette.HATCH_COLOUR, warn=palette.WARN, warn_background=palette.WARN_BACKGROUND)


def render_html(
    view: ViewState,
    inputs: staticdata.MapInputs,
    *,
    leaflet_dir: Path = LEAFLET_DIR,
    geodata_dir: Path | None = None,
    made: dt.date | None = None,
) -> str:
    """The view as one HTML document that works from disk with no network: Leaflet, geometry,
    colours, title, legend and sources are all inside it; every text from data is escaped."""
    staticdata.check_view(view, inputs)
    folder = geodata.folder(geodata_dir)
    js, css = _leaflet_assets(leaflet_dir)
    view = dataclasses.replace(view, date=inputs.as_of, layers=tuple(k for k in view.layers if k in geodata.LAYERS))
    old_communes = None
    layer = geodata.LAYERS.get("old_communes")
    wanted = (view.unit and view.province) or "old_communes" in view.layers  # predecessors, or the layer's legend
    if wanted and layer is not None and (folder / layer.path).is_file():
        old_communes = geodata.load_layer("old_communes", folder)
    built = mapview.build(
        view,
        communes=inputs.communes,
        provinces=inputs.provinces,
        crosswalk=inputs.crosswalk,
        geometry=lambda kind, prov: geometry_text(kind, prov, inputs, geodata_dir=folder),
        merge=inputs.merge,
        status=inputs.status,
        old_communes=old_communes,
        as_of=inputs.as_of,
        province_reports=inputs.province_reports,
    )
    m = built.map
    m.default_js, m.default_css = [], []  # Leaflet goes in inline instead of from the app's static files
    root = m.get_root()
    assert isinstance(root, Figure)  # a folium map's root is always its page
    title = staticdata.title_of(view, inputs)
    root.header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="vn_title")
    root.header.add_child(Element(f"<style>{css}</style><style>{_PAGE_CSS}</style>"), name="vn_css")
    root.header.add_child(Element(f"<script>{js}</script>"), name="vn_leaflet")
    root.html.add_child(
        Element(
            _legend_html(
                built.legend, title, staticdata.footer_text(inputs, made=made), _line_legend_html(built.old_lines)
            )
        ),
        name="vn_overlay",
    )
    return root.render()


def write_html(view: ViewState, inputs: staticdata.MapInputs, out: Path, **options) -> Path:
    """Write :func:`render_html` to ``out`` (UTF-8); written whole or not at all."""
    out = Path(out)
    text = render_html(view, inputs, **options)
    return write_atomic(out, text.encode("utf-8"))


def embed_link(view: ViewState, *, page_url: str | None) -> str:
    """URL of the app's map showing ``view`` for an iframe: ``…/?embed=true&province=…``.

    The map is the app's default page, so the link points at the app's root: a page path such
    as ``/map`` would be run by Streamlit without app.py's frame. ``page_url`` is the address of
    the page asking (``st.context.url``, without query); without it the link is root-relative.
    """
    query = urlencode({"embed": "true", **to_params(view)})
    if not page_url:
        return f"/?{query}"
    scheme, netloc, path, _, _ = urlsplit(page_url)
    base = path.rsplit("/", 1)[0] if "/" in path else ""
    return urlunsplit((scheme, netloc, f"{base}/", query, ""))


def iframe_snippet(url: str, *, height: int = 700) -> str:
    """HTML of an iframe showing ``url`` (escaped), to paste into an intranet page."""
    return (
        f'<iframe src="{html.escape(url, quote=True)}" width="100%" height="{int(height)}" '
        f'style="border:0" title="Bản đồ chính quyền địa phương hai cấp"></iframe>'
    )
