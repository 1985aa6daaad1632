"""Benchmark of the map: bytes per view, time to polygons in headless Chromium, server time of a click.

Starts its own server on a free localhost port the way `make run` does (scripts/serve.py, after
`python -m lib.cli prepare`) and drives Debian's Chromium, launched once before any clock starts.
Times are what a user sees: from the start of the navigation to the polygons drawn, read from the
browser's clock. First visits are to a just-started server (median over several starts);
``--plain`` also measures them with a plain `streamlit run` for comparison.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import median_seconds, report  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, launch_app, stop_app, wait_for_units  # noqa: E402

RUNS = 5
STARTS = int(os.environ.get("BENCH_STARTS", 5))  # server starts for the first-visit figures
NATIONAL = {"/": ("34 provinces", 34), "/?level=commune": ("3,321 communes", 3321)}
# Frame-side check: the moment the map holds ``minimum`` polygons, as epoch milliseconds.
_DRAWN_AT = (
    "() => {{ const n = window.map ? Object.values(window.map._layers).filter(l => l.feature).length : 0;"
    " return n >= {minimum} ? performance.timeOrigin + performance.now() : false; }}"
)


def start_server(*, plain: bool = False) -> tuple[subprocess.Popen, str]:
    """A just-started server: `make run`'s launch, or plain `streamlit run` with ``plain``."""
    return launch_app(ROOT, env=os.environ.copy(), plain=plain)


def visit(browser, url: str, minimum: int) -> dict[str, float]:
    """Open ``url`` in a fresh browser context as a user would; return seconds of

    - ``seen``: what the user sees, from the navigation's start (the page's time origin) to the
      moment the map frame holds ``minimum`` polygons, both read from the browser's clock;
    - ``wall``: the earlier benchmark's clock, from before creating the context to the return of
      the polygon wait (adds context creation and Playwright's polling and round trips).
    """
    started = time.perf_counter()
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(url)
    frame = wait_for_units(page, 1)  # the map frame exists and is drawing
    drawn_at = frame.wait_for_function(_DRAWN_AT.format(minimum=minimum), timeout=120_000, polling="raf").json_value()
    wall = time.perf_counter() - started
    seen = (drawn_at - page.evaluate("performance.timeOrigin")) / 1000
    context.close()
    return {"seen": seen, "wall": wall}


def open_view(browser, url: str, minimum: int) -> tuple[float, int, int]:
    """Open ``url`` in a fresh context with byte counters; return (seconds, websocket bytes in, http bytes in).

    The counters fetch every response body through Playwright, which slows the page: use this for
    bytes only, and :func:`visit` for times.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    received = {"ws": 0, "http": 0}

    def on_ws(ws):
        ws.on("framereceived", lambda payload: received.__setitem__("ws", received["ws"] + len(payload)))

    def on_response(response):
        try:
            received["http"] += len(response.body())
        except Exception:  # redirects and aborted requests have no body
            pass

    page.on("websocket", on_ws)
    page.on("response", on_response)
    started = time.perf_counter()
    page.goto(url)
    wait_for_units(page, minimum)
    elapsed = time.perf_counter() - started
    page.wait_for_timeout(500)
    context.close()
    return elapsed, received["ws"], received["http"]


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def payload_bytes(view_params: dict) -> int:
    """Bytes of what st_folium sends for a view (script, header, html), computed server-side."""
    import streamlit_folium as sf

    from lib.data import geodata
    from lib.maps import layers as mapdata
    from lib.maps import urlstate
    from lib.maps import view as mapview
    from lib.maps.style import merge_structure

    communes = geodata.load_new_communes()
    provinces = geodata.load_new_provinces()
    crosswalk = geodata.load_crosswalk()

    def geometry(kind: str, province: str) -> str:
        return mapdata.geometry_text(kind, province, layer=geodata.load_layer, crosswalk=crosswalk)

    view, _ = urlstate.parse_view(view_params, provinces=set(provinces["code"]), communes=set(communes["code"]))
    built = mapview.build(
        view,
        communes=communes,
        provinces=provinces,
        crosswalk=crosswalk,
        geometry=geometry,
        merge=merge_structure(crosswalk),
        status=None,
    )
    m = built.map
    m.get_root().render()
    script = sf.generate_leaflet_string(m)
    return len(script.encode()) + len(sf._get_header(m).encode()) + len(sf._get_html(m).encode())


def first_visits(browser, *, plain: bool = False) -> None:
    """Median over ``STARTS`` server starts of the first visit to a just-started server and of a
    second visit right after, for both national views (each start serves one view first)."""
    for path, (label, minimum) in NATIONAL.items():
        firsts, seconds = [], []
        for _ in range(STARTS):
            server, url = start_server(plain=plain)
            try:
                firsts.append(visit(browser, url + path, minimum)["seen"])
                seconds.append(visit(browser, url + path, minimum)["seen"])
            finally:
                stop_app(server)
        first, second = statistics.median(firsts), statistics.median(seconds)
        how = "streamlit run" if plain else "scripts/serve.py"
        report(f"first visit, {label} ({how})", first, firsts, target=5.0)
        report(f"second visit, {label} ({how})", second, seconds)
        verdict = "OK" if first <= 1.3 * second else "OVER TARGET"
        print(f"{'  first ÷ second':<55} ×{first / second:.2f} (target ≤ ×1.3)  {verdict}   {load()}")


def main() -> None:
    import shutil

    from playwright.sync_api import sync_playwright

    from lib.data import geodata

    plain = "--plain" in sys.argv  # also measure first visits with a plain `streamlit run`
    if not os.environ.get("VNMAP_STATUS_DB"):  # a throw-away status store, not the project's data/
        import atexit
        import tempfile

        folder = tempfile.mkdtemp(prefix="vnmap-bench-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["VNMAP_STATUS_DB"] = f"sqlite:///{folder}/status.sqlite"
    old_layers = [
        k
        for k in ("old_communes", "old_districts", "old_provinces")
        if (geodata.default_dir() / geodata.LAYERS[k].path).is_file()
    ]
    hanoi = {"province": "01", "layers": ",".join(old_layers)}
    print(
        f"{'map payload, national commune view':<55} {payload_bytes({'level': 'commune'}) / 1e6:.2f} MB (target ≤ 3 MB)"
    )
    print(
        f"{'map payload, Hà Nội with ' + '+'.join(old_layers):<55} "
        f"{payload_bytes(hanoi) / 1e6:.2f} MB (target ≤ 1.5 MB)"
    )
    print(f"times: navigation start → polygons drawn, in the browser's clock; {load()}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)
        first_visits(browser)
        if plain:
            first_visits(browser, plain=True)
        server, url = start_server()
        try:
            communes_url, hanoi_url = f"{url}/?level=commune", f"{url}/?province=01&layers=old_communes"
            visit(browser, communes_url, 3321)  # warm the server's caches once
            visit(browser, hanoi_url, 126)
            national = [visit(browser, communes_url, 3321) for _ in range(RUNS)]
            report(
                "all communes, warm: navigation → 3,321 polygons",
                statistics.median(v["seen"] for v in national),
                [v["seen"] for v in national],
                target=2.5,
            )
            report(
                "  same, old clock (context creation … wait returns)",
                statistics.median(v["wall"] for v in national),
                [v["wall"] for v in national],
            )
            counted = [open_view(browser, communes_url, 3321) for _ in range(3)]
            report(
                "  same, old clock with the byte counters on",
                statistics.median(t for t, _, _ in counted),
                [t for t, _, _ in counted],
            )
            _, ws, http = counted[-1]
            print(f"{'  bytes received, national communes':<55} websocket {ws / 1e6:.2f} MB; HTTP {http / 1e6:.2f} MB")
            province = [visit(browser, hanoi_url, 126) for _ in range(RUNS)]
            report(
                "Hà Nội + old communes, warm: navigation → polygons",
                statistics.median(v["seen"] for v in province),
                [v["seen"] for v in province],
                target=3.5,
            )
            print(f"  {load()}")
        finally:
            stop_app(server)
            browser.close()
    click_benchmark()


def click_benchmark() -> None:
    """Server work of one click in a province view: new view, map build, component payload, panel tables."""
    import streamlit_folium as sf

    from lib.data import geodata
    from lib.maps import layers as mapdata
    from lib.maps import urlstate
    from lib.maps import view as mapview
    from lib.maps.style import merge_structure

    communes = geodata.load_new_communes()
    provinces = geodata.load_new_provinces()
    crosswalk = geodata.load_crosswalk()
    merge = merge_structure(crosswalk)
    cached = mapdata.geometry_text("province_communes", "01", layer=geodata.load_layer, crosswalk=crosswalk)
    view = urlstate.ViewState(province="01", mode="merge")
    clicked = {"last_active_drawing": {"properties": {"code": "00004", "label": "Phường Ba Đình", "kind": "commune"}}}

    def one_click() -> None:
        new_view = mapview.apply_click(view, clicked)
        built = mapview.build(
            new_view,
            communes=communes,
            provinces=provinces,
            crosswalk=crosswalk,
            geometry=lambda kind, province: cached,
            merge=merge,
            status=None,
        )
        built.map.get_root().render()
        sf.generate_leaflet_string(built.map)
        mapview.panel_tables(new_view, communes=communes, crosswalk=crosswalk)

    one_click()
    median, times = median_seconds(one_click, runs=7)
    report("click → panel, server work (warm)", median, times, target=0.3)


if __name__ == "__main__":
    main()
