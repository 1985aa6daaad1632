"""Hostile input through a real server and Chromium: Markdown in the URL fetches nothing; a lying dimension, a
deflate bomb, a 90-million-character cell, the CSV sniffer's trap and an amplified shared string uploaded to the
conversion tab are answered within 10 s without the server's memory growing."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

from tests import hostile
from tests.browser.conftest import SERVER_PIDS, wait_for_app

EVIL = "https://evil.example"
PARAMS = ("province", "level", "mode", "unit", "old", "layers", "date")


def _peak_mb(pid: int) -> float:
    """VmHWM (peak resident memory) of the server process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_markdown_in_the_url_makes_no_request_outside(page, app_url):
    query = "&".join(f"{name}={quote(f'![x]({EVIL}/{name}.png) [Bấm để cập nhật]({EVIL}/{name})')}" for name in PARAMS)
    page.goto(f"{app_url}/?{query}")
    wait_for_app(page)
    assert page.get_by_text("không hợp lệ").count() >= 1
    links = page.locator(f'a[href^="{EVIL}"]')
    assert links.count() == 0, [
        links.nth(i).evaluate("a => a.outerHTML + ' IN ' + a.parentElement.outerHTML") for i in range(links.count())
    ]
    assert page.locator(f'img[src^="{EVIL}"]').count() == 0
    assert page.requests.foreign() == []


def test_hostile_uploads_are_answered_quickly_and_in_bounded_memory(page, app_url, tmp_path):
    files = [
        (hostile.lying_dimension(tmp_path / "d.xlsx"), "Tỷ lệ khớp"),
        (hostile.deflate_bomb(tmp_path / "b.xlsx"), "VNMAP_MAX_UNCOMPRESSED_BYTES"),
        (hostile.long_cell(tmp_path / "c.xlsx"), "VNMAP_MAX_CELL_CHARS"),
        (hostile.sniffer_trap(tmp_path / "s.csv"), "VNMAP_MAX_COLUMNS"),
        (hostile.amplified_shared_string(tmp_path / "a.xlsx"), "VNMAP_MAX_CELL_CHARS"),
    ]
    page.goto(f"{app_url}/lookup")
    wait_for_app(page)
    page.get_by_role("tab", name="Chuyển đổi danh sách").click()
    pid = SERVER_PIDS[-1]
    for path, answer in files:
        before = _peak_mb(pid)
        start = time.monotonic()
        page.locator('input[type="file"]').set_input_files(
            {
                "name": f"<img src={EVIL}/x.png>[a]({EVIL}){path.suffix}",
                "mimeType": "application/octet-stream",
                "buffer": path.read_bytes(),
            }
        )
        page.get_by_text(answer).first.wait_for(timeout=60_000)
        seconds = time.monotonic() - start
        growth = _peak_mb(pid) - before
        print(f"\nMEASURED page upload {path.name}: {seconds:.1f} s, server peak growth {growth:+.0f} MB")
        assert seconds < 10
        assert growth < 300
        wait_for_app(page)
    assert page.locator(f'img[src^="{EVIL}"]').count() == 0
    assert page.requests.foreign() == []
