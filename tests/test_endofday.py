"""End of day is one moment everywhere: a report at 23:59:30 of a day counts for that day on the map,
on the dashboard, in the brief and in ``status --as-of``."""

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lib.core.vocab import LOCAL_TZ, end_of_day
from lib.data import geodata
from lib.maps import brief, staticdata
from lib.maps import view as mapview
from lib.status import dashboard
from lib.status.store import StatusStore

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2025, 11, 20)
LATE = dt.datetime.combine(DAY, dt.time(23, 59, 30), tzinfo=LOCAL_TZ)


@pytest.fixture(scope="module")
def unit() -> tuple[str, str]:
    """A real new commune and its province (the command line and the brief read the bundled dataset)."""
    row = geodata.load_crosswalk().sort_values("new_code").iloc[0]
    return str(row["new_code"]), str(row["new_province_code"])


@pytest.fixture(scope="module")
def store_path(tmp_path_factory, unit) -> Path:
    """A SQLite store: the commune red at 09:00, then green at 23:59:30 of the same day."""
    path = tmp_path_factory.mktemp("endofday") / "status.sqlite"
    rows = pd.DataFrame(
        [
            (unit[0], pd.Timestamp(dt.datetime.combine(DAY, dt.time(9)), tz=LOCAL_TZ), 10, 4, 2, "not_operating"),
            (unit[0], pd.Timestamp(LATE), 10, 10, 0, "operating"),
        ],
        columns=["unit_code", "as_of", "tasks_total", "tasks_done", "tasks_overdue", "centre_state"],
    ).assign(level="commune", note="", via_old_code="", gaps="")
    StatusStore(f"sqlite:///{path}").append(
        rows, imported_by="test", source_name="late.xlsx", source_sha256="1" * 64, is_demo=False
    )
    return path


def test_end_of_day_is_after_the_last_second():
    assert end_of_day(DAY) > LATE
    assert end_of_day(DAY) < dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ)


def test_map_shows_the_late_report_on_its_day(store_path, unit):
    from lib.ui import cache

    url = f"sqlite:///{store_path}"
    moment = mapview.as_of_time(DAY, dt.datetime.now(LOCAL_TZ), now=dt.datetime(2026, 1, 1, tzinfo=LOCAL_TZ))
    assert moment >= LATE
    frame = cache.commune_status(url, moment.isoformat(), StatusStore(url).revision())  # what views/map.py loads
    row = frame.set_index("code").loc[unit[0]]
    assert row["task_class"] == "green" and row["centre_class"] == "operating"


def test_dashboard_shows_the_late_report_on_its_day(store_path, unit):
    from lib.ui import cache

    url = f"sqlite:///{store_path}"
    moment = dashboard.moment(DAY, dt.time(23, 59))  # the last minute the page's time input gives
    named = cache.named_commune_status(url, moment.isoformat(), StatusStore(url).revision())
    assert named.set_index("code").loc[unit[0], "task_class"] == "green"
    table = dashboard.province_table(named, dashboard.province_names(cache.crosswalk()))
    assert table.set_index("Mã tỉnh").loc[unit[1], "Xanh"] == 1
    assert dashboard.moment(DAY, dt.time(16)) == dt.datetime.combine(DAY, dt.time(16), tzinfo=LOCAL_TZ)


def test_brief_shows_the_late_report_on_its_day(store_path, unit):
    inputs = staticdata.load_inputs(store=StatusStore(f"sqlite:///{store_path}"), date=DAY)
    assert inputs.as_of == DAY
    figures = brief.key_figures(unit[1], inputs)
    assert figures.tasks["green"] == 1 and figures.tasks["red"] == 0


@pytest.mark.parametrize("given", [DAY.isoformat(), f"{DAY:%d/%m/%Y}"])
def test_status_command_as_of_a_date_means_its_end(store_path, unit, given):
    env = {**os.environ, "VNMAP_STATUS_DB": f"sqlite:///{store_path}"}
    done = subprocess.run(
        [sys.executable, "-m", "lib.cli", "status", "--as-of", given, "--format", "csv"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    frame = pd.read_csv(io.BytesIO(done.stdout), dtype=str, encoding="utf-8-sig").set_index("code")
    assert frame.loc[unit[0], "task_class"] == "green"
    assert frame.loc[unit[0], "reported_at"] == f"{DAY:%d/%m/%Y} 23:59"
