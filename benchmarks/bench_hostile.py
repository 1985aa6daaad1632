"""Benchmark of hostile files against the app as `make run` starts it (issue 20).

For each case a real Chromium uploads the file on the page a visitor would use, and this script reads, until
the Vietnamese answer is on screen: the seconds to that answer, the server process's peak resident memory
growth over its level before the upload (sampled every 20 ms from /proc), the reading workers' peak memory
(the fork server's children, for information) and the longest answer of `/_stcore/health`, polled every 50 ms
by another client while the file is handled. Each case runs RUNS times; medians and worst values are printed.

    .venv/bin/python benchmarks/bench_hostile.py [--runs 3] [--only NAME]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, ScriptRuns, launch_app, stop_app, wait_for_app  # noqa: E402

PASSWORD = "bench-hostile"


@dataclass
class Case:
    name: str
    path: str  # the page's URL path
    tab: str | None  # a tab to open first
    uploader: str  # the widget's label (the file input under it is used)
    make: object  # function(folder) -> Path
    answer: str  # text on screen that ends the case
    password: bool = False


def cases() -> list[Case]:
    made = [
        Case("convert: 90 M-character cell", "/lookup", "Chuyển đổi danh sách", "Danh sách đơn vị cũ",
             lambda d: hostile.long_cell(d / "o-dai.xlsx"), "VNMAP_MAX_CELL_CHARS"),
        Case("import: 90 M-character cell", "/status", "Nhập báo cáo", "Tệp báo cáo",
             lambda d: hostile.long_cell(d / "o-dai.xlsx"), "VNMAP_MAX_CELL_CHARS", password=True),
        Case("convert: 64 KB of ,\" (sniffer trap)", "/lookup", "Chuyển đổi danh sách", "Danh sách đơn vị cũ",
             lambda d: hostile.sniffer_trap(d / "bay.csv"), "VNMAP_MAX_COLUMNS"),
        Case("import: 64 KB of ,\" (sniffer trap)", "/status", "Nhập báo cáo", "Tệp báo cáo",
             lambda d: hostile.sniffer_trap(d / "bay.csv"), "VNMAP_MAX_COLUMNS", password=True),
        Case("import: 126 rows × one 2 MB shared string", "/status", "Nhập báo cáo", "Tệp báo cáo",
             lambda d: hostile.amplified_shared_string(d / "khuech-dai.xlsx"), "VNMAP_MAX_CELL_CHARS", password=True),
        Case("convert: 126 rows × one 2 MB shared string", "/lookup", "Chuyển đổi danh sách", "Danh sách đơn vị cũ",
             lambda d: hostile.amplified_shared_string(d / "khuech-dai.xlsx"), "VNMAP_MAX_CELL_CHARS"),
    ]  # fmt: skip
    layers = [
        ("GeoPackage, view over an endless recursive query", lambda d: hostile.recursive_view_gpkg(d / "de-quy.gpkg"),
         "VNMAP_WORKER_CPU_SECONDS"),
        ("polygon of 1,000,003 vertices", lambda d: hostile.million_vertex_polygon(d / "trieu-dinh.geojson"),
         "VNMAP_MAX_FEATURE_VERTICES"),
        ("92,702 bad features", lambda d: hostile.bad_features(d / "loi.geojson"), "VNMAP_MAX_FEATURES"),
        ("layer with no properties", lambda d: hostile.no_properties(d / "khong-truong.geojson"),
         "không có trường thuộc tính"),
        ("GML uploaded as .json", lambda d: hostile.gml_as_json(d / "gml.json"), "tệp là GML"),
    ]  # fmt: skip
    for name, maker, answer in layers:
        made.append(Case(f"data: {name}", "/data", None, "Tệp ranh giới", maker, answer))
    return made


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            queue += children
    return found


class Meter:
    """Samples the server's RSS and its readers' RSS every 20 ms, and /_stcore/health every 50 ms."""

    def __init__(self, pid: int, url: str, readers: set[int]) -> None:
        self.pid, self.url, self.known = pid, url, readers  # pids that are not readers (the fork server)
        self.server_peak = self.worker_peak = 0.0
        self.health: list[float] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._memory), threading.Thread(target=self._health)]

    def __enter__(self) -> Meter:
        self.base = _rss_mb(self.pid)
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _memory(self) -> None:
        while not self.stop.is_set():
            self.server_peak = max(self.server_peak, _rss_mb(self.pid))
            workers = [p for p in _descendants(self.pid) if p not in self.known]
            self.worker_peak = max([self.worker_peak, *(_rss_mb(p) for p in workers)])
            time.sleep(0.02)

    def _health(self) -> None:
        deadline = time.monotonic() + 600
        while not self.stop.is_set() and time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=120) as response:
                    response.read()
            except OSError:
                pass
            self.health.append(time.perf_counter() - started)
            time.sleep(0.05)


def run_case(browser, case: Case, path: Path, url: str, pid: int) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.script_runs = ScriptRuns()  # what wait_for_app follows (as the browser tests' page fixture)
    page.on("websocket", page.script_runs.watch)
    page.goto(f"{url}{case.path}")
    wait_for_app(page)
    if case.tab:
        page.get_by_role("tab", name=case.tab).click()
    if case.password:
        page.get_by_label("Mật khẩu nhập dữ liệu").fill(PASSWORD)
        page.get_by_label("Mật khẩu nhập dữ liệu").press("Enter")
    file_input = page.locator('[data-testid="stFileUploader"]', has_text=case.uploader).locator('input[type="file"]')
    file_input.wait_for(state="attached", timeout=120_000)
    wait_for_app(page)
    known = set(_descendants(pid))
    with Meter(pid, url, known) as meter:
        started = time.monotonic()
        file_input.set_input_files(str(path))
        page.get_by_text(case.answer).first.wait_for(state="attached", timeout=300_000)  # also in a table cell
        seconds = time.monotonic() - started
    context.close()
    return {
        "seconds": seconds,
        "growth": meter.server_peak - meter.base,
        "worker": meter.worker_peak,
        "health": max(meter.health, default=0.0),
    }


def intake_cases(folder: Path) -> None:
    """The intake's cases through the command line (no server there): rc, seconds, peak memory, and what held."""
    from lib.data import geodata
    from lib.status.store import StatusStore
    from tests.test_intake import _drop, _report
    from tests.test_intake_hostile import LONG_NAME, SECRET

    codes = sorted(geodata.load_crosswalk()["new_code"].unique())[:12]
    inbox, outside = folder / "inbox", folder / "outside"
    inbox.mkdir()
    outside.mkdir()
    (outside / "secrets.toml").write_text(f'import_password = "{SECRET}"\n', encoding="utf-8")
    (outside / "bao-cao-ngoai.csv").write_text(_report(codes[9:12], 18), encoding="utf-8")
    (inbox / "lien-ket-bi-mat.csv").symlink_to(outside / "secrets.toml")
    (inbox / "lien-ket-bao-cao.csv").symlink_to(outside / "bao-cao-ngoai.csv")
    _drop(inbox, os.fsdecode(b"a-\xff\xfe-ten-hong.csv"), _report(codes[:3], 18))
    _drop(inbox, LONG_NAME, _report(codes[3:6], 18))
    _drop(inbox, "z-bao-cao-sau.csv", _report(codes[6:9], 18))
    url = f"sqlite:///{folder / 'intake.sqlite'}"
    run = hostile.measure("ingest-dir", str(inbox), "--db", url)
    stored = StatusStore(url).count_reports()
    said = run["stdout"] + run["stderr"] + "".join(p.read_text() for p in inbox.rglob("*.txt"))
    print(
        f"intake: bad UTF-8 name, 170-character NFD name, 2 links, a later file: rc {run['rc']}, "
        f"{run['seconds']:.2f} s, peak {run['peak_kb'] / 1024:.0f} MB; {stored} of 9 reports stored "
        f"(links left: {sum(p.is_symlink() for p in inbox.iterdir())}), secret written: {SECRET in said}"
    )
    for label, db in (
        ("password URL, unreachable", "postgresql+psycopg://vnmap:s3cret-bench@127.0.0.1:1/vnmap"),
        ("mistyped SQLite folder", f"sqlite:///{folder}/typo/dir/x.sqlite"),
        ("not a URL", "notaurl"),
    ):
        again = folder / f"inbox-{len(label)}"
        again.mkdir()
        _drop(again, "bao-cao.csv", _report(codes[:3], 19))
        run = hostile.measure("ingest-dir", str(again), "--db", db)
        shown = run["stdout"] + run["stderr"] + "".join(p.read_text() for p in again.rglob("*.txt"))
        print(
            f"intake --db {label}: rc {run['rc']}, {run['seconds']:.2f} s; file left in the inbox: "
            f"{(again / 'bao-cao.csv').exists()}; password shown: {'s3cret-bench' in shown}; "
            f"typo folder created: {(folder / 'typo').exists()}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="run the cases whose name contains this text")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    if not args.only or "intake" in args.only:
        intake_cases(folder)
    env = {**os.environ, "VNMAP_IMPORT_PASSWORD": PASSWORD, "VNMAP_STATUS_DB": f"sqlite:///{folder / 's.sqlite'}"}
    server, url = launch_app(ROOT, env=env, log=folder / "server.log")
    print(f"server pid {server.pid} at {url} (scripts/serve.py, as make run starts it); {args.runs} runs per case")
    print(
        "median (worst) of the runs: seconds to the answer, server RSS growth MB, reader worker RSS MB, "
        "longest /_stcore/health s"
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=CHROMIUM_ARGS)
            for case in cases():
                if args.only and args.only not in case.name:
                    continue
                path = case.make(folder)
                runs = []
                for run in range(args.runs):  # a new name each run: the server answers a file it refused from
                    named = path.with_name(f"{path.stem}-{run}{path.suffix}")  # memory (by content and name)
                    shutil.copyfile(path, named)
                    runs.append(run_case(browser, case, named, url, server.pid))
                again = run_case(browser, case, named, url, server.pid)  # the same file again: from memory

                def figure(key: str, runs=runs) -> str:
                    values = [r[key] for r in runs]
                    return f"{statistics.median(values):.2f} ({max(values):.2f})"

                print(
                    f"{case.name:<46} [{path.stat().st_size / 1024:,.0f} KB]  answer {figure('seconds')} s · "
                    f"server {figure('growth')} MB · worker {figure('worker')} MB · health {figure('health')} s · "
                    f"same file again {again['seconds']:.2f} s",
                    flush=True,
                )
            browser.close()
    finally:
        stop_app(server)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
