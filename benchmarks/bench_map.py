"""Benchmark of the map: bytes per view, time to polygons in headless Chromium, server time of a click.

Starts its own `streamlit run` on a free localhost port and drives Debian's Chromium.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import median_seconds, report  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, _free_port, wait_for_units  # noqa: E402

RUNS = 5


def start_server() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                               "--server.address", "127.0.0.1"], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return server, url
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("streamlit did not start")


def open_view(browser, url: str, minimum: int) -> tuple[float, int, int]:
    """Open ``url`` in a fresh context; return (seconds to polygons, websocket bytes in, http bytes in)."""
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


def payload_bytes(view_params: dict) -> int:
    """Bytes of what st_folium sends for a view (script, header, html), computed server-side."""
    import streamlit_folium as sf

    from lib import geodata, mapdata, mapview, urlstate
    from lib.mapstyle import merge_structure

    communes = geodata.load_new_communes()
    provinces = geodata.load_new_provinces()
    crosswalk = geodata.load_crosswalk()
    def geometry(kind: str, province: str) -> str:
        return mapdata.geometry_text(kind, province, layer=geodata.load_layer, crosswalk=crosswalk)

    view, _ = urlstate.parse_view(view_params, provinces=set(provinces["code"]), communes=set(communes["code"]))
    built = mapview.build(view, communes=communes, provinces=provinces, crosswalk=crosswalk, geometry=geometry,
                          merge=merge_structure(crosswalk), status=None)
    m = built.map
    m.get_root().render()
    script = sf.generate_leaflet_string(m)
    return len(script.encode()) + len(sf._get_header(m).encode()) + len(sf._get_html(m).encode())


def main() -> None:
    from playwright.sync_api import sync_playwright
    import shutil

    from lib import geodata

    old_layers = [k for k in ("old_communes", "old_districts", "old_provinces")
                  if (geodata.DEFAULT_DIR / geodata.LAYERS[k].path).is_file()] if "old_communes" in geodata.LAYERS \
        else ["old_districts", "old_provinces"]
    hanoi = {"province": "01", "layers": ",".join(old_layers)}
    print(f"{'map payload, national commune view':<55} {payload_bytes({'level': 'commune'}) / 1e6:.2f} MB (target ≤ 3 MB)")
    print(f"{'map payload, Hà Nội with ' + '+'.join(old_layers):<55} {payload_bytes(hanoi) / 1e6:.2f} MB (target ≤ 1.5 MB)")

    server, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)
            open_view(browser, f"{url}/?level=commune", 3321)  # warm the server's caches once
            open_view(browser, f"{url}/?province=01&layers={hanoi['layers']}", 126)
            national = [open_view(browser, f"{url}/?level=commune", 3321) for _ in range(RUNS)]
            report("open page → 3,321 polygons drawn (warm server)", statistics.median(t for t, _, _ in national),
                   [t for t, _, _ in national], target=4.0)
            print(f"{'  websocket bytes received, national communes':<55} median {statistics.median(w for _, w, _ in national) / 1e6:.2f} MB"
                  f"; HTTP (Streamlit's own JS/CSS, Leaflet) {statistics.median(h for _, _, h in national) / 1e6:.2f} MB")
            province = [open_view(browser, f"{url}/?province=01&layers={hanoi['layers']}", 126) for _ in range(RUNS)]
            report("open page → Hà Nội polygons drawn (warm server)", statistics.median(t for t, _, _ in province),
                   [t for t, _, _ in province], target=4.0)
            print(f"{'  websocket bytes received, Hà Nội + old boundaries':<55} median {statistics.median(w for _, w, _ in province) / 1e6:.2f} MB")
            browser.close()
    finally:
        server.terminate()
    click_benchmark()


def click_benchmark() -> None:
    """Server work of one click in a province view: new view, map build, component payload, panel tables."""
    import streamlit_folium as sf

    from lib import geodata, mapdata, mapview, urlstate
    from lib.mapstyle import merge_structure

    communes = geodata.load_new_communes()
    provinces = geodata.load_new_provinces()
    crosswalk = geodata.load_crosswalk()
    merge = merge_structure(crosswalk)
    cached = mapdata.geometry_text("province_communes", "01", layer=geodata.load_layer, crosswalk=crosswalk)
    view = urlstate.ViewState(province="01", mode="merge")
    clicked = {"last_active_drawing": {"properties": {"code": "00004", "label": "Phường Ba Đình", "kind": "commune"}}}

    def one_click() -> None:
        new_view = mapview.apply_click(view, clicked)
        built = mapview.build(new_view, communes=communes, provinces=provinces, crosswalk=crosswalk,
                              geometry=lambda kind, province: cached, merge=merge, status=None)
        built.map.get_root().render()
        sf.generate_leaflet_string(built.map)
        mapview.panel_tables(new_view, communes=communes, crosswalk=crosswalk)

    one_click()
    median, times = median_seconds(one_click, runs=7)
    report("click → panel, server work (warm)", median, times, target=0.3)


if __name__ == "__main__":
    main()
