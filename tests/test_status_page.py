"""The dashboard of the status page (AppTest) on a small real store: chart, metrics with day-over-day changes,
ranking, changes since the day before, follow-up lists and their download buttons, quick date choices."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from lib.core import vocab
from lib.core.vocab import LOCAL_TZ
from lib.data.i18n import format_percent, today
from lib.maps import style
from lib.status import status
from lib.status.store import StatusStore

APP = str(Path(__file__).resolve().parents[1] / "app.py")
DAY = dt.date(2025, 7, 11)


def _row(code: str, day: dt.date, done: int, overdue: int = 0, centre: str = "operating", gaps: str = "") -> dict:
    return {
        "level": "commune",
        "unit_code": code,
        "as_of": pd.Timestamp(dt.datetime.combine(day, dt.time(9)), tz=LOCAL_TZ),
        "tasks_total": 10,
        "tasks_done": done,
        "tasks_overdue": overdue,
        "centre_state": centre,
        "gaps": gaps,
        "note": "",
        "via_old_code": "",
    }


@pytest.fixture
def page(monkeypatch, tmp_path):
    """The status page on a real store: 00004 amber → green, 00008 green → red, 00025 new (amber, closed centre)."""
    path = tmp_path / "status.sqlite"
    store = StatusStore(path)
    before = DAY - dt.timedelta(days=1)
    rows = [
        _row("00004", before, 5),
        _row("00008", before, 10),
        _row("00004", DAY, 10),
        _row("00008", DAY, 7, overdue=2, centre="operating", gaps="chữ ký số"),
        _row("00025", DAY, 5, centre="not_operating"),
    ]
    store.append(pd.DataFrame(rows), imported_by="t", source_name="t.csv", source_sha256="0" * 64)
    store.close()
    monkeypatch.setenv("VNMAP_STATUS_DB", f"sqlite:///{path}")
    monkeypatch.delenv("VNMAP_IMPORT_PASSWORD", raising=False)
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("views/status.py").run()
    assert not at.exception, at.exception
    at.date_input(key="status_day").set_value(DAY)
    at.time_input(key="status_clock").set_value(dt.time(17, 0)).run()
    assert not at.exception, at.exception
    return at


def _table(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_metrics_show_changes_since_the_day_before(page):
    metrics = {m.label: m for m in page.metric}
    green = metrics[vocab.TASK_LABELS["green"]]
    assert green.value == f"1 ({format_percent(1 / 3321)})"
    red, grey = metrics[vocab.TASK_LABELS["red"]], metrics[vocab.TASK_LABELS["grey"]]
    assert (red.value.split()[0], red.proto.delta) == ("1", "+1 xã")
    assert (grey.value.split()[0], grey.proto.delta) == ("3.318", "-1 xã")  # 3,321 − 3 reported; the day before 3,319
    assert metrics[vocab.TASK_LABELS["green"]].proto.delta == "0 xã"  # one turned green, one left green
    closed = metrics[f"Trung tâm: {vocab.CENTRE_LABELS['not_operating']}"]
    assert (closed.value, closed.proto.delta) == ("1", "+1 xã")
    assert not any(status.DEMO_MARK in w.value for w in page.warning)


def test_chart_is_drawn_with_vietnamese_labels_and_the_maps_colours(page):
    charts = page.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    text = json.dumps(spec, ensure_ascii=False)
    assert "Hạn báo cáo 16:00 từng ngày" in text and "Tỉ lệ xã" in text
    for cls in vocab.TASK_CLASSES:
        assert vocab.TASK_LABELS[cls] in text and style.TASK_STYLES[cls][0] in text
    frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in charts[0].proto.datasets]
    marks = next(f for f in frames if "text" in f.columns)
    assert list(marks["text"]) == ["16:00 11/07"]  # the chosen day's deadline is marked
    series = next(f for f in frames if "share" in f.columns)
    assert len(series) == 11 * 4  # 1 to 11 July, four classes
    last = series[series["deadline"] == "2025-07-11T16:00:00"].set_index("class")["communes"]
    assert last[vocab.TASK_LABELS["green"]] == 1 and last[vocab.TASK_LABELS["red"]] == 1


def test_ranking_and_changes_tables(page):
    ranking = _table(page, "Hạng")
    assert list(ranking.columns[:4]) == ["Hạng", "Thay đổi hạng", "Mã tỉnh", "Tỉnh, thành phố"]
    assert len(ranking) == 34 and ranking["Mã tỉnh"].map(type).eq(str).all()
    assert pd.api.types.is_float_dtype(ranking["Tỉ lệ xanh"])  # numeric: sorts by value
    first = ranking.iloc[0]
    assert first["Tỉ lệ xanh"] > 0 and first["Tỉnh, thành phố"]
    changes = _table(page, "Thay đổi")
    moves = set(zip(changes["Mã xã"], changes["Thay đổi"], strict=True))
    assert ("00004", "Chuyển sang xanh") in moves and ("00008", "Chuyển sang đỏ") in moves
    weekly = _table(page, "11/07")
    assert len(weekly) == 34 and list(weekly.columns) == ["11/07", "06/07"]  # the newest week first


def test_followup_lists_and_download_buttons(page):
    overdue = _table(page, "Nhiệm vụ quá hạn")
    assert list(overdue["Mã xã"]) == ["00008"] and overdue["Nhiệm vụ quá hạn"].iloc[0] == 2
    centres = _table(page, "Tình trạng trung tâm")
    assert list(centres["Mã xã"]) == ["00025", "00008"]
    assert centres.set_index("Mã xã").loc["00008", "Còn thiếu"] == "chữ ký số"
    silent = _table(page, "Số ngày không báo cáo")
    assert len(silent) == 3321 - 3  # nobody else ever reported
    labels = [b.proto.label for b in page.get("download_button")]
    assert sum(label.startswith("Tải Excel") for label in labels) == 3


def test_people_tables_have_vietnamese_headers(page):
    for table in (_table(page, "Tiến độ"), _table(page, "Số xã")):
        assert not any(c in table.columns for c in ("code", "share_green", "province_code", "task_class"))
    communes = _table(page, "Tiến độ")
    assert communes.set_index("Mã xã").loc["00008", "Tiến độ"] == "Đỏ"


def test_quick_choices_set_the_date(page):
    page.button(key="status_quick_yesterday").click().run()
    assert not page.exception, page.exception
    assert page.date_input(key="status_day").value == today() - dt.timedelta(days=1)
    assert page.time_input(key="status_clock").value == dt.time(16, 0)
    page.button(key="status_quick_week").click().run()
    assert page.date_input(key="status_day").value == today() - dt.timedelta(days=7)


def test_import_is_its_own_page_linked_from_the_batches_tab(page):
    tabs = [t.label for t in page.tabs]
    assert "Các lần nhập" in tabs and "Nhập báo cáo" not in tabs
    assert not page.text_input and not page.file_uploader  # no password box, no upload on the dashboard
    links = page.get("page_link")
    assert [link.proto.label for link in links] == ["Nhập báo cáo mới"]
    assert links[0].proto.page.endswith("import")
