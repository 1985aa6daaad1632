"""The map in a real browser: polygons drawn, a click opens the panel, links reproduce the view, offline."""

import time

import pytest

from tests.browser.conftest import (
    MAP_FRAME,
    artifact,
    click_latlng,
    map_frame,
    rerun,
    units_on_map,
    wait_for_app,
    wait_for_units,
)

pytestmark = pytest.mark.browser


def test_national_view_draws_every_commune_offline(app_url, page):
    started = time.monotonic()
    page.goto(f"{app_url}/?level=commune")
    frame = wait_for_units(page, 3321)
    print(f"national communes drawn in {time.monotonic() - started:.1f} s")
    assert units_on_map(frame) == 3321
    wait_for_app(page)
    page.screenshot(path=str(artifact("map_national_communes.png")))
    assert page.requests.foreign() == [], page.requests.foreign()
    assert any("/app/static/leaflet/leaflet.js" in u for u in page.requests.urls)


def test_click_commune_shows_predecessors_and_link_reproduces_view(app_url, page):
    page.goto(f"{app_url}/?province=01&mode=merge")
    frame = wait_for_units(page, 126)
    assert units_on_map(frame) == 126
    wait_for_app(page)  # the first run is over: the map on screen is the one that stays
    click_latlng(page, 21.0386, 105.8380)  # administrative centre of Phường Ba Đình
    page.get_by_role("heading", name="Phường Ba Đình").wait_for(timeout=30_000)
    panel = page.locator('[data-testid="stTable"]').last
    panel.get_by_text("Phường Trúc Bạch").wait_for(timeout=30_000)  # predecessors listed
    panel.get_by_text("Phường Quán Thánh").wait_for(timeout=10_000)
    wait_for_app(page)  # the rerun the click started is over: the map shows the selection, the URL has it
    page.screenshot(path=str(artifact("map_province_hanoi.png")))
    shared = page.url
    assert "unit=00004" in shared and "province=01" in shared and "mode=merge" in shared

    other = page.context.new_page()
    other.goto(shared)
    wait_for_units(other, 126)
    other.get_by_role("heading", name="Phường Ba Đình").wait_for(timeout=60_000)
    other.get_by_text("Số xã cũ hợp thành").wait_for(timeout=10_000)  # the merge-mode legend
    assert page.requests.foreign() == []


def test_bad_url_falls_back_with_message(app_url, page):
    page.goto(f"{app_url}/?province=99&mode=rainbow&date=2025-13-45")
    wait_for_units(page, 34)
    page.get_by_text("không hợp lệ", exact=False).first.wait_for(timeout=30_000)
    assert page.get_by_text("Toàn quốc: 34 tỉnh", exact=False).count() == 1


def test_page_path_goes_through_the_app_frame(app_url, page):
    page.goto(f"{app_url}/map?province=01")
    wait_for_units(page, 126)
    page.get_by_text("Dữ liệu: phiên bản").wait_for(timeout=30_000)  # the shared sidebar of app.py
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Bản đồ" in nav and "Tra cứu" in nav
    links = [t.split("\n")[-1] for t in page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()]
    assert links.count("Bản đồ") == 1, links  # listed once, though registered at "/" and at "/map"
    wait_for_app(page)
    assert page.script_runs.pages_not_found == 0 and page.get_by_text("Page not found").count() == 0
    assert page.url.startswith(f"{app_url}/map?") and "province=01" in page.url  # not sent back to "/"


def test_click_old_commune_shows_where_it_went(app_url, page):
    page.goto(f"{app_url}/?province=01&layers=old_communes")
    wait_for_units(page, 126 + 400)  # new communes plus Hà Nội's old ones
    # Click mode "old communes": the rerun replaces the map with one whose old communes take the
    # click. Clicking before that map is on screen would select the new commune under the point.
    with rerun(page, new_map=126 + 400):
        page.get_by_text("xã cũ", exact=True).click()
    click_latlng(page, 21.0468, 105.8481)  # geocoded point of Phường Phúc Xá (old)
    page.get_by_role("heading", name="Phường Phúc Xá (cũ)").wait_for(timeout=30_000)
    page.locator('[data-testid="stTable"]').last.get_by_text("Phường Hồng Hà").wait_for(timeout=10_000)
    wait_for_app(page)
    assert "old=00001" in page.url
    page.screenshot(path=str(artifact("map_old_commune_selected.png")))
    assert page.requests.foreign() == []


def test_old_commune_lines_and_tooltip_show_the_confidence_class(app_url, page):
    from lib.data import confidence, geodata
    from lib.maps.style import OLD_COMMUNE_CLASS_LINES

    layer = geodata.load_old_commune_confidence().set_index("code")
    value, method = layer.at["00001", "confidence"], layer.at["00001", "method"]
    iou = confidence.format_iou(value)
    expected = f"Độ tin cậy: {confidence.CLASS_LABELS[confidence.class_of(value, method)]}"
    expected += f" — IoU dự đoán {iou}" if iou else ""
    page.goto(f"{app_url}/?province=01&layers=old_communes")
    frame = wait_for_units(page, 126 + 400)
    # every old commune's line is drawn in its class's dashes (the SVG attribute Leaflet set)
    drawn = frame.evaluate(
        """() => Object.values(window.map._layers)
             .filter(l => l.feature && l.feature.properties.kind === 'old_communes' && l._path)
             .map(l => [l.feature.properties.cls, l._path.getAttribute('stroke-dasharray')])"""
    )
    assert len(drawn) >= 400
    pairs = {(cls, dash) for cls, dash in drawn}
    assert pairs == {(cls, OLD_COMMUNE_CLASS_LINES[cls]["dashArray"]) for cls, _ in pairs}
    with rerun(page, new_map=126 + 400):  # tooltips come with the clickable old communes ("xã cũ")
        page.get_by_text("xã cũ", exact=True).click()
    frame = map_frame(page)
    point = "() => { const p = window.map.latLngToContainerPoint([21.0468, 105.8481]); return [p.x, p.y]; }"
    x, y = frame.evaluate(point)  # geocoded point of Phường Phúc Xá (old)
    box = page.locator(MAP_FRAME).bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    tip = frame.locator(".leaflet-tooltip")
    tip.wait_for(timeout=30_000)
    lines = tip.inner_text().splitlines()
    assert lines[0].startswith("Phường Phúc Xá (cũ") and lines[1] == expected
    assert lines[2] == f"Cách dựng: {confidence.method_label(method)}"
    page.screenshot(path=str(artifact("map_old_commune_tooltip.png")))


_VIEW = "() => { const c = window.map.getCenter(); return [c.lat, c.lng, window.map.getZoom()]; }"
_AT_REST = (
    "() => !!window.map && !window.map._animatingZoom && !(window.map._panAnim && window.map._panAnim._inProgress)"
)
_FILLS = """() => [...new Set(Object.values(window.map._layers).filter(l => l.feature && l.options)
  .map(l => l.options.fillColor))].sort()"""


def _settle_after(frame, action) -> None:
    """Do ``action`` and wait for the map's last "moveend" it causes (after any zoom animation or
    drag inertia), then for Leaflet to be at rest."""
    frame.evaluate(
        "() => { window.__settled = false; window.map.off('moveend', window.__onSettle);"
        " window.__onSettle = () => { window.__settled = !window.map._animatingZoom; };"
        " window.map.on('moveend', window.__onSettle); }"
    )
    action()
    frame.wait_for_function(f"() => window.__settled && ({_AT_REST})()", timeout=30_000, polling=50)
    frame.evaluate("() => window.map.off('moveend', window.__onSettle)")


def _zoom_and_pan(page, frame) -> list[float]:
    """Zoom in with the wheel and drag the map, as a reader does; the view once Leaflet is at rest."""
    frame.wait_for_function(_AT_REST, timeout=30_000, polling=50)
    start = frame.evaluate(_VIEW)
    box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    _settle_after(frame, lambda: page.mouse.wheel(0, -600))

    def drag():
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 120, y + 80, steps=8)
        page.mouse.up()

    _settle_after(frame, drag)
    wait_for_app(page)  # a move that made the component report back has had its rerun
    view = frame.evaluate(_VIEW)
    assert view[2] >= start[2] + 1 and (view[0], view[1]) != (start[0], start[1])
    return view


def test_colour_mode_and_date_keep_zoom_and_position(app_url, page):
    page.goto(f"{app_url}/?province=01")
    frame = wait_for_units(page, 126)
    wait_for_app(page)
    view = _zoom_and_pan(page, frame)
    fills = frame.evaluate(_FILLS)

    with rerun(page, new_map=126):  # the colour mode: the overlay is replaced, the map is not
        page.get_by_text("Trung tâm phục vụ hành chính công", exact=True).click()
    frame = map_frame(page)
    assert frame.evaluate("() => window.map.__seenBeforeRerun === true")  # the same Leaflet map
    assert frame.evaluate(_VIEW) == pytest.approx(view, abs=1e-9)
    assert frame.evaluate(_FILLS) != fills  # and it does show the new colours
    page.get_by_text("Đang hoạt động đầy đủ", exact=False).first.wait_for(timeout=10_000)  # the legend
    page.screenshot(path=str(artifact("map_zoom_kept_after_mode.png")))

    label = "Số liệu tính đến ngày"
    with rerun(page, new_map=126):  # the date field's day and month segments, typed as a reader does
        page.get_by_role("spinbutton", name=f"day, {label}").click()
        page.keyboard.type("15")
        page.get_by_role("spinbutton", name=f"month, {label}").click()
        page.keyboard.type("10")
        page.get_by_text("Tô màu theo").click()  # the field commits its value when it loses focus
    frame = map_frame(page)
    assert "date=2025-10-15" in page.url
    assert frame.evaluate("() => window.map.__seenBeforeRerun === true")
    assert frame.evaluate(_VIEW) == pytest.approx(view, abs=1e-9)
    assert page.requests.foreign() == []
