"""A real `streamlit run` on localhost and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
# Flags that keep Chromium from calling home on a closed network (see the env notes).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """Start the app with `streamlit run` on a free localhost port; stop it after the session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "VNMAP_STATUS_DB": os.environ.get("VNMAP_BROWSER_STATUS_DB",
                                                            f"sqlite:///{tmp_path_factory.mktemp('db') / 'status.sqlite'}")}
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "scripts/serve.py", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        server.kill()
        pytest.fail(f"streamlit did not start: {log.read_text()[-2000:]}")
    yield url
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (never a downloaded browser), headless."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.fail("Debian's chromium is not installed: run `make system-deps` (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class RequestLog:
    """Every request a page makes, to prove nothing leaves localhost."""

    def __init__(self):
        self.urls: list[str] = []

    def record(self, request) -> None:
        self.urls.append(request.url)

    def foreign(self) -> list[str]:
        return [u for u in self.urls if urlparse(u).scheme in ("http", "https", "ws", "wss")
                and urlparse(u).hostname not in LOCAL_HOSTS]


@pytest.fixture
def page(browser):
    """A fresh page (own context) whose requests are logged in ``page.requests``."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    page = context.new_page()
    log = RequestLog()
    page.on("request", log.record)
    page.on("websocket", lambda ws: log.urls.append(ws.url))
    page.requests = log
    yield page
    context.close()


MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
# Number of unit polygons Leaflet holds (SVG or canvas alike): features on the map.
_UNITS_ON_MAP = "() => window.map ? Object.values(window.map._layers).filter(l => l.feature).length : 0"


def map_frame(page, timeout: float = 120_000):
    """The frame of the map component, once it exists."""
    page.wait_for_selector(MAP_FRAME, timeout=timeout, state="attached")
    return page.locator(MAP_FRAME).element_handle().content_frame()


def wait_for_units(page, minimum: int, timeout: float = 120_000):
    """Wait until the map holds at least ``minimum`` unit polygons; return the map frame."""
    frame = map_frame(page, timeout)
    frame.wait_for_function(f"() => ({_UNITS_ON_MAP})() >= {minimum}", timeout=timeout, polling=50)
    return frame


def units_on_map(frame) -> int:
    return frame.evaluate(_UNITS_ON_MAP)


def click_latlng(page, lat: float, lng: float) -> None:
    """Click the map at a geographic position (Leaflet converts it to a pixel of the frame)."""
    frame = map_frame(page)
    x, y = frame.evaluate(f"() => {{ const p = window.map.latLngToContainerPoint([{lat}, {lng}]); return [p.x, p.y]; }}")
    box = page.locator(MAP_FRAME).bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def artifact(name: str) -> Path:
    """Path under artifacts/ (kept after the run, ignored by git) for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
