"""Map assembly: offline assets only, escaped data, click handling."""

import datetime as dt
import json
import re
import shutil
import subprocess

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


# --- the base map stays the same when only the overlay changes (the reader's zoom is kept) ---------------


def built_with(view, *, status=None, province_reports=None):
    communes, provinces, crosswalk = tiny()
    communes = communes.assign(label=communes["full_name"], kind="commune")
    return mapview.build(
        view,
        communes=communes,
        provinces=provinces,
        crosswalk=crosswalk,
        geometry=lambda kind, prov: "/app/static/geo/v1/" + kind + ".json",
        merge=merge_structure(crosswalk),
        status=status,
        province_reports=province_reports,
    )


def component_key(built) -> str:
    """The key streamlit-folium gives the component: a hash of the base map's script (see st_folium)."""
    from streamlit_folium import _get_map_string, generate_js_hash

    built.base.get_root().render()
    return generate_js_hash(_get_map_string(built.base), "map")


def test_mode_date_layers_and_selection_leave_the_base_map_unchanged():
    status = pd.DataFrame(
        {
            "code": ["00001", "00002"],
            "task_class": ["green", "red"],
            "centre_class": ["operating", "gaps"],
            "reported_at": pd.to_datetime(["2025-10-01 09:00", "2025-10-01 10:00"]).tz_localize("Asia/Ho_Chi_Minh"),
            "stale": [False, True],
            "conflict": ["", ""],
            "is_demo": [False, False],
        }
    )
    first = built_with(ViewState(province="01", mode="task"), status=status)
    keys = {
        component_key(built_with(ViewState(province="01", mode=mode), status=status))
        for mode in ("task", "centre", "merge")
    }
    keys.add(component_key(built_with(ViewState(province="01", mode="task", date=dt.date(2025, 10, 15)))))
    keys.add(component_key(built_with(ViewState(province="01", unit="00002", layers=("old_communes",)))))
    assert keys == {component_key(first)}

    # ...while what is drawn does change, and another province is another frame (fitted to it).
    def fills(built):
        return [c.fill_js for c in built.overlay._children.values() if isinstance(c, leaflet.UnitLayer)]

    assert fills(built_with(ViewState(province="01", mode="centre"), status=status)) != fills(first)
    assert component_key(built_with(ViewState(province="79"))) != component_key(first)


def test_overlay_carries_stripes_tooltip_lines_and_province_dots():
    status = pd.DataFrame(
        {
            "code": ["00001", "00002", "00003"],
            "task_class": ["green", "grey", "amber"],
            "centre_class": ["operating", "gaps", "operating"],
            "reported_at": pd.to_datetime(["2025-10-01 09:00", "2025-09-01 10:00", "2025-10-01 11:00"]).tz_localize(
                "Asia/Ho_Chi_Minh"
            ),
            "stale": [False, True, False],
            "conflict": ["", "", ""],
            "is_demo": [False, False, False],
        }
    )
    html = built_with(ViewState(province="01"), status=status).map.get_root().render()
    assert '{"00002":1}' in html  # the stale commune is striped
    assert "Báo cáo quá hạn 16:00 (gần nhất 01/09/2025 10:00)" in html
    reports = pd.DataFrame(
        {
            "code": ["01", "79"],
            "task_class": ["amber", "grey"],
            "centre_class": ["operating", "unknown"],
            "tasks_total": pd.array([10, pd.NA], dtype="Int64"),
            "tasks_done": pd.array([4, pd.NA], dtype="Int64"),
            "tasks_overdue": pd.array([0, pd.NA], dtype="Int64"),
            "reported_at": pd.to_datetime(["2025-10-01 08:00", None]).tz_localize("Asia/Ho_Chi_Minh"),
            "stale": [False, True],
        }
    )
    national = built_with(ViewState(), status=status, province_reports=reports)
    html = national.map.get_root().render()
    assert html.count("L.circleMarker") == 1 and "Báo cáo cấp tỉnh: Vàng, 4/10 nhiệm vụ xong" in html
    assert any(kind == "dot" for kind, *_ in national.legend.marks)
    province = built_with(ViewState(province="01"), status=status, province_reports=reports)
    assert any("Báo cáo cấp tỉnh" in n for n in province.legend.notes)


def test_map_scripts_parse_as_javascript(tmp_path):
    """Every script of a map with striped units, tooltip lines and dots is valid JavaScript (Node.js, which
    `make test` installs from Debian's `nodejs`, checks the syntax)."""
    assert shutil.which("node"), "node is missing: `make system-deps` installs Debian's nodejs"
    status = pd.DataFrame(
        {
            "code": ["00001"],
            "task_class": ["grey"],
            "centre_class": ["unknown"],
            "reported_at": pd.to_datetime([None]).tz_localize("Asia/Ho_Chi_Minh"),
            "stale": [True],
            "conflict": [""],
            "is_demo": [False],
        }
    )
    for view in (ViewState(province="01"), ViewState(level="commune"), ViewState(layers=("old_communes",))):
        html = built_with(view, status=status).map.get_root().render()
        scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
        assert scripts
        path = tmp_path / "map.js"
        path.write_text("\n;\n".join(scripts), encoding="utf-8")
        result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
