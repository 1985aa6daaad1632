"""Map assembly: offline assets only, escaped data, click handling."""

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from lib.maps import leaflet
from lib.maps import view as mapview
from lib.maps.style import merge_structure
from lib.maps.urlstate import ViewState

EVIL = "Xã <script>alert(\"x\")</script> & 'Ô'"


def tiny():
    communes = gpd.GeoDataFrame(
        {
            "code": ["00001", "00002", "00003"],
            "full_name": [EVIL, "Phường Hai", "Xã Ba"],
            "name": ["Một", "Hai", "Ba"],
            "type": ["Xã", "Phường", "Xã"],
            "province_code": ["01", "01", "79"],
            "province_name": ["Tỉnh A", "Tỉnh A", "Tỉnh B"],
            "area_km2": [1.0, 2.0, 3.0],
            "population": [10, 20, 30],
            "admin_centre": ["", "", ""],
        },
        geometry=[box(105.8, 21.0, 105.9, 21.1), box(105.9, 21.0, 106.0, 21.1), box(106.6, 10.7, 106.7, 10.8)],
        crs="EPSG:4326",
    )
    provinces = gpd.GeoDataFrame(
        {"code": ["01", "79"], "full_name": ["Tỉnh A", "Tỉnh B"]},
        geometry=[box(105.8, 21.0, 106.0, 21.1), box(106.6, 10.7, 106.7, 10.8)],
        crs="EPSG:4326",
    )
    crosswalk = pd.DataFrame(
        {
            "old_code": ["10001", "10002", "10002", "10003"],
            "new_code": ["00001", "00001", "00002", "00003"],
            "old_province_code": ["01", "01", "01", "79"],
            "new_province_code": ["01", "01", "01", "79"],
            "part": ["whole", "part", "part", "whole"],
            "old_name": ["Xã X", "Xã Y", "Xã Y", "Xã Z"],
            "old_district_name": ["H"] * 4,
            "old_type": ["Xã"] * 4,
            "old_province_name": ["Tỉnh A", "Tỉnh A", "Tỉnh A", "Tỉnh B"],
            "share_of_new": [None] * 4,
            "share_of_old": [None] * 4,
            "relation": ["merged", "split", "split", "renamed"],
            "new_name": [EVIL, EVIL, "Phường Hai", "Xã Ba"],
            "new_province_name": ["Tỉnh A"] * 3 + ["Tỉnh B"],
        }
    )
    return communes, provinces, crosswalk


def render(view):
    communes, provinces, crosswalk = tiny()
    communes = communes.assign(label=communes["full_name"], kind="commune")

    def geometry(kind, province):
        return leaflet.geojson_text(communes, {"code": "code", "label": "label", "kind": "kind"}, decimals=5)

    built = mapview.build(
        view,
        communes=communes,
        provinces=provinces,
        crosswalk=crosswalk,
        geometry=geometry,
        merge=merge_structure(crosswalk),
        status=None,
    )
    return built, built.map.get_root().render()


def test_geojson_text_is_script_safe_and_round_trips():
    communes, _, _ = tiny()
    text = leaflet.geojson_text(communes, {"code": "code", "label": "full_name"}, decimals=4)
    assert "</script" not in text and "<" not in text
    data = json.loads(text)
    assert data["features"][0]["properties"] == {"code": "00001", "label": EVIL}
    assert data["features"][0]["geometry"]["coordinates"][0][0] == [105.9, 21.0]


def test_map_uses_only_local_assets_and_escapes_names():
    _, html = render(ViewState(province="01", mode="merge"))
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/app/static/leaflet/") for u in urls), urls
    assert "cdn" not in html.lower()
    assert "<script>alert" not in html
    assert "textContent" in html  # tooltips are set as text, never as HTML


def test_title_and_legend_follow_the_view():
    built, _ = render(ViewState(province="01", mode="merge"))
    assert built.title == "Tỉnh A — cấu trúc sáp nhập"
    assert built.legend.title == "Số xã cũ hợp thành"
    built, _ = render(ViewState(mode="task"))
    assert built.title == "Toàn quốc: 2 tỉnh, thành phố — tiến độ thực hiện nhiệm vụ"  # the fixture's two provinces
    built, _ = render(ViewState(mode="centre", level="commune"))
    assert built.title == "Toàn quốc: 3 xã, phường, đặc khu — trung tâm phục vụ hành chính công"


def test_url_source_fetches_instead_of_inlining():
    m = leaflet.base_map()
    leaflet.UnitLayer(url="/app/static/geo/v1/x.json", name="units").add_to(m)
    html = m.get_root().render()
    assert 'fetch("/app/static/geo/v1/x.json")' in html
    with pytest.raises(ValueError):
        leaflet.UnitLayer(name="neither")


def test_old_layers_stay_above_the_units_whatever_loads_first():
    _, html = render(ViewState(province="01"))
    assert "bringToFront" not in html  # one layer: nothing to keep in order
    _, html = render(ViewState(province="01", layers=("old_communes",)))
    order = re.search(r"var layers = \[([^\]]*)\];", html).group(1).split(", ")
    # the units first, the old communes (which take the click in "xã cũ" mode) above them
    assert len(order) == 2 and html.index(f"var {order[0]} =") < html.index(f"var {order[1]} =")
    assert "bringToFront" in html


@pytest.mark.parametrize(
    "view, props, expected",
    [
        (ViewState(), {"code": "79", "kind": "province"}, {"province": "79"}),
        (ViewState(province="01"), {"code": "00002", "kind": "commune"}, {"unit": "00002", "old": ""}),
        (
            ViewState(province="01", unit="00002"),
            {"code": "10002", "kind": "old_communes"},
            {"old": "10002", "unit": ""},
        ),
    ],
)
def test_click_changes_view(view, props, expected):
    new = mapview.apply_click(view, {"last_active_drawing": {"properties": props}})
    for field, value in expected.items():
        assert getattr(new, field) == value


def test_repeated_or_empty_click_changes_nothing():
    props = {"code": "00002", "kind": "commune"}
    view = ViewState(province="01")
    assert mapview.apply_click(view, {"last_active_drawing": {"properties": props}}, last=props) is None
    assert mapview.apply_click(view, None) is None
    assert mapview.apply_click(view, {"last_active_drawing": None}) is None
    assert (
        mapview.apply_click(ViewState(province="01", unit="00002"), {"last_active_drawing": {"properties": props}})
        is None
    )


def test_panel_tables_lineage_both_ways():
    communes, _, crosswalk = tiny()
    tables = mapview.panel_tables(
        ViewState(province="01", unit="00001", old="10002"), communes=communes, crosswalk=crosswalk
    )
    assert tables["commune"]["full_name"] == EVIL
    assert list(tables["predecessors"]["old_name"]) == ["Xã X", "Xã Y"]
    assert list(tables["predecessors"]["part"]) == ["toàn bộ", "một phần"]
    assert list(tables["targets"]["new_code"]) == ["00001", "00002"]


def test_tiles_only_when_configured(monkeypatch):
    monkeypatch.delenv("VNMAP_TILE_URL", raising=False)
    assert leaflet.configured_tiles() is None
    assert "tile.openstreetmap" not in leaflet.base_map(tiles=leaflet.configured_tiles()).get_root().render()
    monkeypatch.setenv("VNMAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    html = leaflet.base_map(tiles=leaflet.configured_tiles()).get_root().render()
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html and "OpenStreetMap contributors" in html
