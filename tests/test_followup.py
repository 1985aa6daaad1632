"""Tests of lib.status.followup: the three follow-up lists from a small real store, and their XLSX export."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from lib.core import vocab
from lib.core.vocab import LOCAL_TZ
from lib.status import followup, status
from lib.status.store import StatusStore

DAY = dt.date(2025, 11, 20)


def _at(day: dt.date, hour: int) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.combine(day, dt.time(hour)), tz=LOCAL_TZ)


@pytest.fixture
def named(tmp_path, small_geodata):
    """Five communes: 00001 green; 00002 red (3 overdue) with a gap; 00003 red (1 overdue), centre closed;
    00004 stale with gaps; 00005 never reported."""
    _, _, crosswalk = small_geodata
    rows = pd.DataFrame(
        [
            ("00001", _at(DAY, 9), 10, 10, 0, "operating", ""),
            ("00002", _at(DAY, 9), 10, 6, 3, "operating", "chữ ký số"),
            ("00003", _at(DAY, 10), 10, 4, 1, "not_operating", ""),
            ("00004", _at(DAY - dt.timedelta(days=5), 10), 10, 2, 5, "gaps", "thiết bị; tài khoản ngân hàng"),
        ],
        columns=["unit_code", "as_of", "tasks_total", "tasks_done", "tasks_overdue", "centre_state", "gaps"],
    ).assign(level="commune", note="", via_old_code="")
    store = StatusStore(tmp_path / "status.sqlite")
    store.append(rows, imported_by="t", source_name="t.csv", source_sha256="0" * 64)
    as_of = _at(DAY, 17).to_pydatetime()
    view = status.commune_status(store, as_of=as_of, codes=sorted(crosswalk["new_code"].unique()))
    store.close()
    return followup.with_names(view, crosswalk), as_of


def test_overdue_lists_red_communes_most_overdue_first(named):
    frame, _ = named
    table = followup.overdue(frame)
    assert list(table[followup.CODE]) == ["00002", "00003"]  # 00004 has 5 overdue but its report is stale
    assert list(table["Nhiệm vụ quá hạn"]) == [3, 1]
    assert table[followup.NAME].iloc[1] == "Xã Đông Hà"
    assert table[followup.PROVINCE].iloc[0] == "Thành phố Hà Nội"
    assert pd.api.types.is_integer_dtype(table["Nhiệm vụ quá hạn"])  # numeric, so the table sorts by number


def test_centres_name_the_gaps(named):
    frame, _ = named
    table = followup.centres(frame)
    assert list(table[followup.CODE]) == ["00003", "00002", "00004"]  # not operating first, then with gaps
    states = dict(zip(table[followup.CODE], table["Tình trạng trung tâm"], strict=True))
    assert states["00003"] == vocab.CENTRE_LABELS["not_operating"]
    assert states["00002"] == vocab.CENTRE_LABELS["gaps"]
    gaps = dict(zip(table[followup.CODE], table["Còn thiếu"], strict=True))
    assert gaps["00002"] == "chữ ký số" and "thiết bị" in gaps["00004"]
    assert dict(zip(table[followup.CODE], table["Quá hạn báo cáo"], strict=True))["00004"] == "có"


def test_silent_since_a_date(named):
    frame, as_of = named
    table = followup.silent(frame, DAY - dt.timedelta(days=2), as_of=as_of)
    assert list(table[followup.CODE]) == ["00005", "00004"]  # never reported first
    assert pd.isna(table["Số ngày không báo cáo"].iloc[0])
    assert table["Số ngày không báo cáo"].iloc[1] == 5
    assert list(followup.silent(frame, DAY - dt.timedelta(days=10), as_of=as_of)[followup.CODE]) == ["00005"]
    assert len(followup.silent(frame, DAY + dt.timedelta(days=1), as_of=as_of)) == 5


def test_workbook_keeps_codes_as_text_and_numbers_as_numbers(named):
    frame, as_of = named
    tables = {
        "overdue": followup.overdue(frame),
        "centres": followup.centres(frame),
        "silent": followup.silent(frame, DAY, as_of=as_of),
    }
    data = followup.workbook(tables, as_of=as_of, version="test-1")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [*followup.SHEET_NAMES.values(), "about"]
    sheet = book[followup.SHEET_NAMES["overdue"]]
    header = [c.value for c in sheet[1]]
    assert header[:4] == [followup.CODE, followup.NAME, followup.PROVINCE_CODE, followup.PROVINCE]
    first = [c.value for c in sheet[2]]
    assert first[0] == "00002" and first[2] == "01"  # zeros kept: text
    assert first[header.index("Nhiệm vụ quá hạn")] == 3  # a number, not "3"
    assert first[header.index(followup.REPORTED)] == "20/11/2025 09:00"
    about = " ".join(str(c.value) for row in book["about"].iter_rows() for c in row if c.value)
    assert "20/11/2025 17:00" in about and "Xã có nhiệm vụ quá hạn" in about
    assert "not documented" not in about
