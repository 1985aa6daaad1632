"""A real `streamlit run` on localhost and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
# Flags that keep Chromium from calling home on a closed network (see the env notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_PIDS: list[int] = []  # the pid of the session's app server (its memory is read by tests)


def launch_app(
    cwd: Path, *, env: dict, log: Path | None = None, plain: bool = False, timeout: float = 120
) -> tuple[subprocess.Popen, str]:
    """Start the app on a free localhost port the way `make run` does (scripts/serve.py: caches
    warmed first), or with plain `streamlit run`; return the server once its health check answers."""
    port = _free_port()
    launcher = ["-m", "streamlit"] if plain else ["scripts/serve.py"]
    command = [sys.executable, *launcher, "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    out = open(log, "w") if log else subprocess.DEVNULL  # open while the server runs
    server = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server, url
        except OSError:
            time.sleep(0.3)
    server.kill()
    tail = log.read_text()[-3000:] if log else ""
    raise RuntimeError(f"streamlit did not start in {cwd}: {tail}")


def stop_app(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The app started with `make run`'s launch on a free localhost port; stopped after the session."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    database = os.environ.get("VNMAP_BROWSER_STATUS_DB", f"sqlite:///{tmp_path_factory.mktemp('db') / 'status.sqlite'}")
    try:
        server, url = launch_app(ROOT, env={**os.environ, "VNMAP_STATUS_DB": database}, log=log, timeout=60)
    except RuntimeError as err:
        pytest.fail(str(err))
    SERVER_PIDS.append(server.pid)
    yield url
    stop_app(server)


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
        return [
            u
            for u in self.urls
            if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname not in LOCAL_HOSTS
        ]


class ScriptRuns:
    """What the Streamlit server told the page over its websocket: runs finished, running now, pages not found.

    The server ends every script run with a ``script_finished`` message and says when a run starts
    and stops (``session_status_changed``); counting those frames is the one signal of "the rerun an
    action started is over" that does not depend on how fast the machine is.
    """

    # ForwardMsg.ScriptFinishedStatus values that end a run for good (not FINISHED_EARLY_FOR_RERUN,
    # which st.rerun() and an interrupting widget change produce; another run follows those).
    FINAL = frozenset({0, 1, 3})  # successfully, with compile error, fragment run successfully

    def __init__(self):
        self.finished = 0
        self.running = False
        self.pages_not_found = 0
        self.socket = None
        self.page: tuple[str, str] | None = None  # (title, url path) of the page the last run ran

    def watch(self, websocket) -> None:
        if urlparse(websocket.url).path.endswith("/_stcore/stream"):
            websocket.on("framereceived", self.record)
            self.socket = websocket

    def record(self, payload) -> None:
        if isinstance(payload, str):
            return
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg.FromString(payload)
        kind = msg.WhichOneof("type")
        if kind == "session_status_changed":
            self.running = msg.session_status_changed.script_is_running
        elif kind == "new_session":
            self.running = True
        elif kind == "script_finished" and msg.script_finished in self.FINAL:
            self.finished += 1
            self.running = False
        elif kind == "page_not_found":
            self.pages_not_found += 1
        elif kind == "navigation":
            current = msg.navigation.page_script_hash
            self.page = next(
                ((p.page_name, p.url_pathname) for p in msg.navigation.app_pages if p.page_script_hash == current), None
            )


@pytest.fixture
def page(browser):
    """A fresh page (own context) whose requests are logged in ``page.requests`` and whose
    Streamlit script runs are followed in ``page.script_runs`` (see `ScriptRuns`)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    page = context.new_page()
    log = RequestLog()
    runs = ScriptRuns()
    page.on("request", log.record)
    page.on("websocket", lambda ws: log.urls.append(ws.url))
    page.on("websocket", runs.watch)
    page.requests = log
    page.script_runs = runs
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
    x, y = frame.evaluate(
        f"() => {{ const p = window.map.latLngToContainerPoint([{lat}, {lng}]); return [p.x, p.y]; }}"
    )
    box = page.locator(MAP_FRAME).bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


# The app frame is idle: the script is not running (Streamlit 1.67 writes its run state on the
# stApp element), the websocket is connected, and no element of an earlier run is still shown
# (elements are marked data-stale while a rerun has not yet replaced them).
_APP_IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stSkeleton"]');
}"""
# Every map on screen has drawn its units (a map from a new run may still be loading its geometry).
_MAPS_DRAWN = f"""() => [...document.querySelectorAll('{MAP_FRAME}')].every(f => {{
  const map = f.contentWindow && f.contentWindow.map;
  return !!map && Object.values(map._layers).some(l => l.feature);
}})"""
# The map on screen holds at least n units that were not there before the action: a new map,
# or the same map (kept, with its zoom and position) whose layers the rerun replaced.
_NEW_MAP_DRAWN = f"""(n) => {{
  const frames = document.querySelectorAll('{MAP_FRAME}');
  if (frames.length !== 1) return false;
  const map = frames[0].contentWindow && frames[0].contentWindow.map;
  return !!map && Object.values(map._layers).filter(l => l.feature && !l.__seenBeforeRerun).length >= n;
}}"""
_MARK_MAP = f"""() => {{
  const f = document.querySelector('{MAP_FRAME}');
  const map = f && f.contentWindow && f.contentWindow.map;
  if (map) {{
    map.__seenBeforeRerun = true;
    Object.values(map._layers).forEach(l => {{ l.__seenBeforeRerun = true; }});
  }}
}}"""


def _wait_for_server(page, finished_before: int, timeout: float) -> None:
    """Wait until the server has finished a script run after ``finished_before`` runs and runs none now."""
    runs = page.script_runs
    deadline = time.monotonic() + timeout / 1000
    while runs.finished <= finished_before or runs.running:
        left = (deadline - time.monotonic()) * 1000
        if runs.socket is None:
            page.wait_for_event("websocket", timeout=max(left, 1))
            continue
        try:  # the next frame from the server; ScriptRuns.record, registered first, has seen it on return
            runs.socket.wait_for_event("framereceived", timeout=max(left, 1))
        except Exception as error:
            raise AssertionError(
                f"the app did not finish a script run within {timeout / 1000:.0f} s "
                f"(runs finished: {runs.finished}, running: {runs.running})"
            ) from error


def wait_for_app(page, timeout: float = 120_000) -> None:
    """Wait until the app is at rest: its last script run is over on the server and on screen,
    and every map on screen has drawn its units. Use it instead of a pause before a screenshot or
    before proving that something is absent."""
    _wait_for_server(page, 0, timeout)
    page.wait_for_function(_APP_IDLE, timeout=timeout, polling=50)
    page.wait_for_function(_MAPS_DRAWN, timeout=timeout, polling=50)


@contextmanager
def rerun(page, *, new_map: int | None = None, timeout: float = 120_000):
    """Wait, after the body of the ``with`` block, until the rerun it caused is over and on screen.

    ``with rerun(page, new_map=526): page.get_by_text("xã cũ").click()``

    Before the body, the number of finished script runs is noted and the map on screen (if any)
    is marked. After it: the server must have finished a later run and be idle, the app frame must
    show no running state and no stale element, and — with ``new_map=n`` — the map on screen must
    hold at least ``n`` units drawn after the action: a new map when its frame changed (another
    province), or the same map with its layers replaced (another colour mode, date or layer; the
    map keeps its zoom). Clicking the old drawing in that window is the race this avoids.
    """
    wait_for_app(page, timeout)  # act on an app at rest, so the run counted below is the action's
    before = page.script_runs.finished
    if new_map is not None:
        page.evaluate(_MARK_MAP)
    yield
    _wait_for_server(page, before, timeout)
    page.wait_for_function(_APP_IDLE, timeout=timeout, polling=50)
    if new_map is not None:
        page.wait_for_function(_NEW_MAP_DRAWN, arg=new_map, timeout=timeout, polling=50)
    page.wait_for_function(_MAPS_DRAWN, timeout=timeout, polling=50)


def artifact(name: str) -> Path:
    """Path under artifacts/ (kept after the run, ignored by git) for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
