"""Embed link and HTML export in a real browser: only the map and its legend; the file works from disk."""

from pathlib import Path

import pytest

from lib.maps import html, staticdata
from lib.maps.urlstate import ViewState
from tests.browser.conftest import artifact, units_on_map, wait_for_app, wait_for_units

pytestmark = pytest.mark.browser


def test_embed_url_shows_map_and_legend_without_sidebar_or_panel(app_url, page):
    page.goto(f"{app_url}/?embed=true&province=46&mode=merge")
    frame = wait_for_units(page, 40)
    assert units_on_map(frame) == 40  # Huế's communes
    page.get_by_text("Số xã cũ hợp thành").wait_for(timeout=30_000)  # the legend of the view asked for
    page.get_by_text("Thành phố Huế — cấu trúc sáp nhập").wait_for(timeout=10_000)
    wait_for_app(page)  # the run is over and on screen before proving absence
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert page.locator('[data-testid="stSidebarCollapsedControl"]').count() == 0  # no way to open one either
    assert page.get_by_text("Nhấp vào một đơn vị trên bản đồ", exact=False).count() == 0  # no side panel
    assert page.locator('[data-testid="stSelectbox"]:visible').count() == 0  # no widgets shown
    assert (
        page.get_by_text("Bản đồ cho báo cáo").count() == 0
        or not page.get_by_text("Bản đồ cho báo cáo").first.is_visible()
    )
    assert "embed=true" in page.url and "province=46" in page.url  # the app kept the view in the URL
    page.screenshot(path=str(artifact("embed_hue_merge.png")))
    assert page.requests.foreign() == [], page.requests.foreign()


def test_same_page_without_embed_has_sidebar_and_panel(app_url, page):
    page.goto(f"{app_url}/?province=46&mode=merge")
    wait_for_units(page, 40)
    page.get_by_text("Nhấp vào một đơn vị trên bản đồ", exact=False).wait_for(timeout=30_000)
    assert page.locator('[data-testid="stSidebar"]').is_visible()


def test_briefing_page_gives_embed_link(app_url, page):
    page.goto(f"{app_url}/briefing")
    page.get_by_text("Nhúng vào trang nội bộ").wait_for(timeout=120_000)
    code = page.locator('[data-testid="stCode"]').first
    code.wait_for(timeout=30_000)
    assert code.inner_text().strip() == f"{app_url}/?embed=true"
    page.get_by_role("img").first.wait_for(timeout=60_000)  # the preview PNG
    assert page.requests.foreign() == []


def test_exported_html_works_from_disk_without_network(tmp_path, page):
    out = html.write_html(ViewState(province="46", mode="merge"), staticdata.load_inputs(), tmp_path / "hue.html")
    page.goto(Path(out).as_uri())
    page.wait_for_function(
        "() => Object.keys(window).filter(k => k.startsWith('map_')).some(k => window[k] && window[k]._layers"
        " && Object.values(window[k]._layers).filter(l => l.feature).length >= 40)",
        timeout=60_000,
    )
    page.get_by_text("Số xã cũ hợp thành").wait_for(timeout=10_000)
    page.screenshot(path=str(artifact("export_hue.png")))
    assert all(u.startswith(("file:", "data:")) for u in page.requests.urls), page.requests.urls
