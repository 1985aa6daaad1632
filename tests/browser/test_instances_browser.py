"""Two app instances on one PostgreSQL: an import through either (command line or the import page of one
server) shows in the other on its next rerun, with no stale cache.

Two plain ``streamlit run`` servers share a throw-away PostgreSQL database (the ``pg_url`` fixture of
tests/conftest.py). Server B's status page is opened once; its time of view is then fixed for the session
(a keyed widget keeps its value), so B's cached status tables are found again under the same time and
only the store's revision can renew them. Reports are imported through ``python -m lib.cli ingest-dir``
and through server A's import page (the template downloaded from A, filled, uploaded); after each, B is
rerun and must count the new green communes.
"""

from __future__ import annotations

import os
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

from lib.core.vocab import LOCAL_TZ, TASK_LABELS
from lib.data import geodata
from lib.status import template
from lib.status.store import StatusStore
from tests.browser.conftest import ROOT, RequestLog, ScriptRuns, launch_app, rerun, stop_app, wait_for_app
from tests.conftest import emptied_pg

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-thu"


def _new_page(browser):
    """A page like conftest's ``page`` fixture (script runs followed), in its own context."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    page.requests, page.script_runs = RequestLog(), ScriptRuns()
    page.on("request", page.requests.record)
    page.on("websocket", page.script_runs.watch)
    return context, page


def _green(page) -> int:
    """The number of green communes in the status page's metrics ("1.234 (37,2 %)": the count comes first)."""
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=TASK_LABELS["green"]).first
    value = metric.locator('[data-testid="stMetricValue"]').inner_text()
    return int(value.split("(")[0].replace(".", "").strip())


def _rerun_and_count(page) -> int:
    with rerun(page):
        page.locator('[data-testid="stMain"] h1').first.click()  # focus out of any input: "r" reruns
        page.keyboard.press("r")
    return _green(page)


@pytest.fixture
def two_servers(pg_url, tmp_path):
    """(url of A, url of B, database URL): A with importing on, B without; both on the same PostgreSQL."""
    emptied_pg(pg_url)
    started = []
    try:
        for name, extra in (("a", {"VNMAP_IMPORT_PASSWORD": PASSWORD}), ("b", {})):
            env = {**os.environ, "VNMAP_STATUS_DB": pg_url, **extra}
            if name == "b":
                env.pop("VNMAP_IMPORT_PASSWORD", None)
            server, url = launch_app(ROOT, env=env, log=tmp_path / f"server-{name}.log", plain=True, timeout=180)
            started.append((server, url))
    except RuntimeError as err:
        for server, _ in started:
            stop_app(server)
        pytest.fail(str(err))
    yield started[0][1], started[1][1], pg_url
    for server, _ in started:
        stop_app(server)
    emptied_pg(pg_url)  # later tests of the session expect an empty database


def test_import_through_either_shows_in_the_other(two_servers, browser, tmp_path):
    url_a, url_b, database = two_servers
    codes = sorted(geodata.load_crosswalk().query("new_province_code == '01'")["new_code"].unique())
    seeded, by_cli, by_page = codes[:1], codes[1:4], codes[4:9]
    # Reports ten minutes old: fresh, and before the time B's page opens at (now, to the minute).
    when = pd.Timestamp.now(tz=LOCAL_TZ).floor("min") - pd.Timedelta(minutes=10)
    StatusStore(database).append(  # a real report, so that no demonstration data is loaded
        pd.DataFrame(
            {
                "level": "commune",
                "unit_code": seeded,
                "as_of": when,
                "tasks_total": 4,
                "tasks_done": 4,
                "tasks_overdue": 0,
                "centre_state": "operating",
                "gaps": "",
                "note": "",
            }
        ),
        imported_by="seed",
        source_name="seed.csv",
        source_sha256="0" * 64,
    )
    context_b, page_b = _new_page(browser)
    context_a, page_a = _new_page(browser)
    try:
        page_b.goto(f"{url_b}/status")
        wait_for_app(page_b)
        assert _green(page_b) == 1

        # 1. the command line (unattended intake) writes; B sees it on its next rerun
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        lines = ["Mã xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn,Trung tâm phục vụ HCC,Thời điểm báo cáo"]
        lines += [f"{code},5,5,0,hoạt động,{when:%d/%m/%Y %H:%M}" for code in by_cli]
        (inbox / "bao-cao.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "lib.cli", "ingest-dir", str(inbox), "--db", database, "--settle", "0"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert _rerun_and_count(page_b) == 1 + len(by_cli)

        # 2. server A: download the template, fill it, import it through the import page; B sees it too
        page_a.goto(f"{url_a}/import")
        wait_for_app(page_a)
        with page_a.expect_download(timeout=120_000) as download:
            page_a.get_by_role("button", name="Tải mẫu báo cáo (.xlsx)").click()
        blank = tmp_path / download.value.suggested_filename
        download.value.save_as(blank)
        assert blank.name == template.file_name()
        book = openpyxl.load_workbook(blank)
        sheet = book[template.SHEET]
        column = {cell.value: cell.column for cell in sheet[1]}
        rows = {sheet.cell(r, column[template.HEADERS["commune_code"]]).value: r for r in range(2, sheet.max_row + 1)}
        assert len(rows) == 3321
        for code in by_page:
            row = rows[code]
            sheet.cell(row, column[template.HEADERS["as_of"]]).value = when.to_pydatetime().replace(tzinfo=None)
            sheet.cell(row, column[template.HEADERS["tasks_total"]]).value = 7
            sheet.cell(row, column[template.HEADERS["tasks_done"]]).value = 7
            sheet.cell(row, column[template.HEADERS["tasks_overdue"]]).value = 0
            sheet.cell(row, column[template.HEADERS["centre_state"]]).value = template.CENTRE_CHOICES[0]
        filled = tmp_path / "da-dien.xlsx"
        book.save(filled)

        with rerun(page_a):
            page_a.get_by_label("Mật khẩu nhập dữ liệu").fill(PASSWORD)
            page_a.get_by_label("Mật khẩu nhập dữ liệu").press("Enter")
        with rerun(page_a):
            page_a.get_by_label("Người nhập (họ tên, đơn vị)").fill("Sở Nội vụ (thử)")
            page_a.get_by_label("Người nhập (họ tên, đơn vị)").press("Enter")
        with rerun(page_a):
            page_a.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(filled))
        page_a.get_by_text(f"hợp lệ {len(by_page)}", exact=False).first.wait_for(timeout=120_000)
        assert page_a.get_by_text("giá trị sai 0", exact=False).count() >= 1  # zero issues, no column mapping
        with rerun(page_a):
            page_a.get_by_role("button", name=f"Ghi {len(by_page)} dòng hợp lệ").click()
        page_a.get_by_text("Đã ghi lô", exact=False).first.wait_for(timeout=60_000)

        assert _rerun_and_count(page_b) == 1 + len(by_cli) + len(by_page)
        names = StatusStore(database).batches()["imported_by"]
        assert len(names) == 3 and {"seed", "Sở Nội vụ (thử)"} < set(names)
        assert names.str.startswith("ingest-dir@").sum() == 1
        page_b.screenshot(path=str(tmp_path / "b-after.png"))
        assert page_a.requests.foreign() == [] and page_b.requests.foreign() == []
    finally:
        context_a.close()
        context_b.close()


def test_revision_is_read_from_the_database_each_time(pg_url):
    """The cache key (``StatusStore.revision``) of one process moves when another process imports."""
    emptied_pg(pg_url)
    reader = StatusStore(pg_url)
    before = reader.revision()
    code = "00004"
    script = (
        "import sys, pandas as pd; sys.path.insert(0, sys.argv[2]);"
        "from lib.status.store import StatusStore;"
        "StatusStore(sys.argv[1]).append(pd.DataFrame({'level': ['commune'], 'unit_code': [sys.argv[3]],"
        "'as_of': [pd.Timestamp('2025-11-20 15:00', tz='Asia/Ho_Chi_Minh')], 'tasks_total': [1], 'tasks_done': [1],"
        "'tasks_overdue': [0], 'centre_state': ['operating'], 'gaps': [''], 'note': ['']}),"
        "imported_by='other', source_name='o.csv', source_sha256='1' * 64)"
    )
    subprocess.run([sys.executable, "-c", script, pg_url, str(ROOT), code], check=True, timeout=120)
    assert reader.revision() != before
    assert reader.batches()["imported_by"].tolist() == ["other"]
    reader.close()
    emptied_pg(pg_url)
