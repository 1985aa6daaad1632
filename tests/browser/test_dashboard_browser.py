"""The status dashboard in a real browser: Vega draws the progress chart; a follow-up list downloads as XLSX."""

import io

import openpyxl
import pytest

from tests.browser.conftest import artifact, wait_for_app

pytestmark = pytest.mark.browser

CHART = '[data-testid="stVegaLiteChart"]'


def test_dashboard_chart_and_followup_download(app_url, page):
    page.goto(f"{app_url}/status")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("heading", name="Tình hình thực hiện nhiệm vụ").wait_for(timeout=120_000)
    wait_for_app(page)
    assert page.get_by_text("DỮ LIỆU MINH HOẠ", exact=False).count() >= 1  # the demo data says so
    # Vega draws the stacked areas: a canvas (or an SVG) of real size inside the chart element.
    drawn = page.locator(f"{CHART} canvas, {CHART} svg.marks").first
    drawn.wait_for(state="visible", timeout=60_000)
    box = drawn.bounding_box()
    assert box["width"] > 300 and box["height"] > 150, box
    page.screenshot(path=str(artifact("dashboard-chart.png")), full_page=True)

    page.get_by_role("tab", name="Cần đôn đốc").click()  # tabs switch in the browser: no script run
    button = page.get_by_role("button", name="Tải Excel: xã có nhiệm vụ quá hạn")
    button.wait_for(state="visible", timeout=30_000)
    with page.expect_download(timeout=120_000) as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx") and "minh-hoa" in download.suggested_filename
    data = open(download.path(), "rb").read()
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[book.sheetnames[0]]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Mã xã", "Xã, phường, đặc khu"]
    codes = [row[0].value for row in sheet.iter_rows(min_row=2, max_row=20)]
    assert codes and all(isinstance(c, str) and len(c) == 5 for c in codes)  # codes as text, zeros kept
    assert "about" in book.sheetnames
