"""The map in a real browser: polygons drawn, a click opens the panel, links reproduce the view, offline."""

import time

import pytest

from tests.browser.conftest import artifact

pytestmark = pytest.mark.browser
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def map_frame(page):
    page.wait_for_selector(MAP_FRAME, timeout=60_000)
    return page.frame_locator(MAP_FRAME)


def wait_for_polygons(page, minimum: int, timeout: float = 60_000) -> int:
    frame = map_frame(page)
    paths = frame.locator("path.leaflet-interactive")
    paths.nth(minimum - 1).wait_for(state="attached", timeout=timeout)
    return paths.count()


def click_latlng(page, lat: float, lng: float) -> None:
    """Click the map at a geographic position (Leaflet converts it to a pixel in the frame)."""
    frame = page.frame(url=lambda u: "st_folium" in u or "component" in u) or page.frames[-1]
    for f in page.frames:
        if f.evaluate("() => typeof window.map !== 'undefined' && !!window.map.latLngToContainerPoint"):
            frame = f
            break
    point = frame.evaluate(f"() => {{ const p = window.map.latLngToContainerPoint([{lat}, {lng}]); return [p.x, p.y]; }}")
    box = page.locator(MAP_FRAME).bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])


def test_national_view_draws_every_commune_offline(app_url, page):
    started = time.monotonic()
    page.goto(f"{app_url}/?level=commune")
    count = wait_for_polygons(page, 3321, timeout=90_000)
    elapsed = time.monotonic() - started
    assert count >= 3321
    page.screenshot(path=str(artifact("map_national_communes.png")))
    assert page.requests.foreign() == [], page.requests.foreign()
    print(f"national communes drawn in {elapsed:.1f} s")


def test_click_commune_shows_predecessors_and_link_reproduces_view(app_url, page):
    page.goto(f"{app_url}/?province=01&mode=merge")
    wait_for_polygons(page, 126)
    click_latlng(page, 21.0386, 105.8380)  # administrative centre of Phường Ba Đình
    page.get_by_text("Phường Ba Đình", exact=False).first.wait_for(timeout=30_000)
    page.get_by_text("Phường Trúc Bạch").first.wait_for(timeout=30_000)  # a predecessor, in the panel
    page.get_by_text("Phường Quán Thánh").first.wait_for(timeout=10_000)
    page.screenshot(path=str(artifact("map_province_hanoi.png")))
    shared = page.url
    assert "unit=00004" in shared and "province=01" in shared and "mode=merge" in shared

    other = page.context.new_page()
    other.goto(shared)
    other.get_by_text("Phường Trúc Bạch").first.wait_for(timeout=60_000)
    assert "Cấu trúc sáp nhập" in other.content() or "cấu trúc sáp nhập" in other.content()
    assert page.requests.foreign() == []


def test_bad_url_falls_back_with_message(app_url, page):
    page.goto(f"{app_url}/?province=99&mode=rainbow&date=2025-13-45")
    wait_for_polygons(page, 34)
    page.get_by_text("không hợp lệ", exact=False).first.wait_for(timeout=30_000)
    assert "Toàn quốc" in page.content()
