"""Tests of lib.status.progress: the daily series against lib.status.status day by day, shares, transitions,
ranking, weekly table; on SQLite and (with a server) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import pytest

from lib.core.vocab import LOCAL_TZ
from lib.status import progress, status
from lib.status.store import StatusStore

START = dt.date(2025, 7, 1)
PROVINCE = pd.Series({"00004": "01", "00008": "01", "00025": "02", "00070": "02", "00091": "02"})
CODES = list(PROVINCE.index)


def _t(day: int, hour: int, minute: int = 0, second: float = 0) -> pd.Timestamp:
    return pd.Timestamp(2025, 7, day, hour, minute, tz=LOCAL_TZ) + pd.Timedelta(seconds=second)


def _row(code: str, when: pd.Timestamp, done: int, *, overdue: int = 0, via: str = "", total: int | None = 10) -> dict:
    return {
        "level": "commune",
        "unit_code": code,
        "as_of": when,
        "tasks_total": total,
        "tasks_done": done,
        "tasks_overdue": overdue,
        "centre_state": "operating",
        "gaps": "",
        "note": "",
        "via_old_code": via,
    }


def _put(store: StatusStore, *rows: dict, demo: bool = False) -> int:
    frame = pd.DataFrame(list(rows))
    frame["tasks_total"] = frame["tasks_total"].astype("Int64")
    return store.append(frame, imported_by="t", source_name="t.csv", source_sha256="0" * 64, is_demo=demo)


def _fill(store: StatusStore) -> None:
    """Five days of hand-made reports (1–5 July 2025), the cases the rules distinguish."""
    _put(
        store,
        _row("00004", _t(1, 9), 10),  # green on day 1, then silent: stale (grey) from day 2
        _row("00008", _t(1, 10), 5),  # amber
        _row("00008", _t(2, 10), 5, overdue=2),  # red on day 2
        _row("00008", _t(3, 17), 10),  # after the deadline of day 3: counts for day 4 (green)
        _row("00025", _t(1, 16), 4),  # exactly at the deadline: still day 1 (amber)
        _row("00025", _t(2, 16, second=0.5), 4),  # half a second late: day 3 (amber); day 2 stale
        _row("00025", _t(4, 9), 6, via="10001"),  # two old units disagree on day 4: the worst one (red)
        _row("00025", _t(4, 9), 9, overdue=1, via="10002"),
        _row("00025", _t(4, 9), 6, overdue=3, via="10003"),
        _row("00070", _t(2, 9), 3),
        _row("00070", _t(2, 11), 0, total=None),  # a later report without counts: grey, not stale
        _row("00070", _t(5, 8), 10),
    )
    _put(store, _row("00008", _t(2, 10), 6))  # correction of the 2 July report in a later batch: amber
    _put(store, _row("00091", _t(3, 9), 10), demo=True)  # demonstration data never mixes with real data


@pytest.fixture
def store(tmp_path) -> StatusStore:
    store = StatusStore(tmp_path / "status.sqlite")
    _fill(store)
    yield store
    store.close()


def _series(store, end=dt.date(2025, 7, 5), **kwargs) -> progress.DailySeries:
    return progress.daily_series(store, end, codes=CODES, commune_province=PROVINCE, start=START, **kwargs)


def _per_day(store, day: dt.date) -> pd.DataFrame:
    """The independent path: lib.status.status at the deadline of ``day``."""
    return status.commune_status(store, as_of=progress.deadline(day).to_pydatetime(), codes=CODES)


def _compare_with_status(store, series: progress.DailySeries) -> None:
    for day in series.days:
        expected = _per_day(store, day)
        got = series.at(day)
        assert list(got["code"]) == list(expected["code"])
        assert list(got["task_class"]) == list(expected["task_class"]), day
        assert list(got["stale"]) == list(expected["stale"]), day


def test_series_matches_status_day_by_day(store):
    series = _series(store)
    assert series.days == [dt.date(2025, 7, d) for d in range(1, 6)]
    _compare_with_status(store, series)


def test_series_hand_checked_cases(store):
    series = _series(store)
    table = pd.DataFrame({day: series.at(day).set_index("code")["task_class"] for day in series.days})
    table.columns = [d.day for d in series.days]
    assert list(table.loc["00004"]) == ["green", "grey", "grey", "grey", "grey"]
    assert list(table.loc["00008"]) == ["amber", "amber", "grey", "green", "grey"]
    assert list(table.loc["00025"]) == ["amber", "grey", "amber", "red", "grey"]
    assert list(table.loc["00070"]) == ["grey", "grey", "grey", "grey", "green"]
    assert list(table.loc["00091"]) == ["grey"] * 5  # its only report is demonstration data
    day2 = series.at(dt.date(2025, 7, 2)).set_index("code")
    assert not day2.loc["00070", "stale"] and day2.loc["00004", "stale"]
    assert not series.is_demo


def test_series_with_a_cache_reads_new_batches(store):
    cache = progress.ReportCache()
    first = _series(store, cache=cache)
    _put(store, _row("00004", _t(5, 9), 2, overdue=1))
    second = _series(store, cache=cache)
    assert first.at(dt.date(2025, 7, 5)).set_index("code").loc["00004", "task_class"] == "grey"
    assert second.at(dt.date(2025, 7, 5)).set_index("code").loc["00004", "task_class"] == "red"
    _compare_with_status(store, second)


def test_series_of_demonstration_data_only(tmp_path):
    store = StatusStore(tmp_path / "demo.sqlite")
    _put(store, _row("00091", _t(3, 9), 10), demo=True)
    series = _series(store)
    assert series.is_demo
    assert series.at(dt.date(2025, 7, 3)).set_index("code").loc["00091", "task_class"] == "green"
    _compare_with_status(store, series)


def test_series_of_an_empty_store_is_grey(tmp_path):
    series = _series(StatusStore(tmp_path / "empty.sqlite"))
    assert (series.counts()["task_class"].eq("grey") == series.counts()["share"].eq(1)).all()


def test_counts_and_shares(store):
    series = _series(store)
    national = series.counts()
    assert set(national.columns) == {"day", "task_class", "communes", "share"}
    day4 = national[national["day"] == pd.Timestamp(2025, 7, 4)].set_index("task_class")["communes"]
    assert dict(day4) == {"green": 1, "amber": 0, "red": 1, "grey": 3}
    assert (national.groupby("day")["share"].sum().round(9) == 1).all()
    provinces = series.counts(by_province=True)
    one = provinces[(provinces["province_code"] == "01") & (provinces["day"] == pd.Timestamp(2025, 7, 1))]
    assert dict(one.set_index("task_class")["share"]) == {"green": 0.5, "amber": 0.5, "red": 0.0, "grey": 0.0}
    only = series.counts(province="02")
    expected = provinces[provinces["province_code"] == "02"].reset_index(drop=True)
    pd.testing.assert_frame_equal(only, expected)
    per_day = provinces.groupby(["province_code", "day"])["communes"].sum().reset_index()
    assert (per_day["communes"] == per_day["province_code"].map(PROVINCE.value_counts())).all()


def test_transitions_since_the_day_before(store):
    series = _series(store)
    moves = progress.transitions(series.at(dt.date(2025, 7, 3)), series.at(dt.date(2025, 7, 4)))
    assert set(zip(moves["code"], moves["change"], strict=True)) == {("00008", "green"), ("00025", "red")}
    moves = progress.transitions(series.at(dt.date(2025, 7, 1)), series.at(dt.date(2025, 7, 2)))
    assert set(zip(moves["code"], moves["change"], strict=True)) == {("00004", "stale"), ("00025", "stale")}
    assert moves.set_index("code").loc["00004", "class_before"] == "green"


def test_ranking_changes(store):
    series = _series(store)
    ranks = progress.ranking(series, dt.date(2025, 7, 4)).set_index("province_code")
    # Day 4: province 01 has 00008 green (1 of 2), 02 nothing green (0 of 3); day 3: neither.
    assert ranks.loc["01", "rank"] == 1 and ranks.loc["02", "rank"] == 2
    assert ranks.loc["01", "share_green"] == 0.5 and ranks.loc["01", "change_day"] == 0.5
    assert ranks.loc["01", "rank_change_day"] == 0  # tied first the day before
    assert pd.isna(ranks.loc["01", "change_week"])  # the series does not reach back a week
    assert ranks.loc["02", "communes"] == 3


def test_weekly_table_takes_each_weeks_last_well_reported_day(store):
    series = _series(store, end=dt.date(2025, 7, 8))
    weekly = progress.weekly_table(series)
    # Fresh reports on 1–5 July: 3, 2, 1, 2, 1. The last day with at least half the best day's: 4 July.
    # 7–8 July: no report at all, so the last day.
    assert list(weekly.columns) == [dt.date(2025, 7, 4), dt.date(2025, 7, 8)]
    assert list(weekly.index) == ["01", "02"]
    assert weekly.loc["01", dt.date(2025, 7, 4)] == 0.5  # 00008 green, 00004 stale
    assert weekly.loc["02", dt.date(2025, 7, 8)] == 0


def test_series_on_postgresql(pg_url):
    """The same store on PostgreSQL gives the same series as lib.status.status, day by day."""
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = sa.engine.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
        store = StatusStore(url.render_as_string(hide_password=False))
        _fill(store)
        series = _series(store)
        _compare_with_status(store, series)
        assert series.at(dt.date(2025, 7, 4)).set_index("code").loc["00025", "task_class"] == "red"
        store.close()
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def test_series_with_many_tied_reports(tmp_path):
    """A file imported twice (forced) ties every report with its copy: 2 × 17,000 tied rows, read back by id
    in parts, decided by the rules."""
    store = StatusStore(tmp_path / "twice.sqlite")
    codes = [f"{i:05d}" for i in range(1, 17_001)]
    rows = pd.DataFrame([_row(code, _t(2, 9), i % 11) for i, code in enumerate(codes)])
    for _ in range(2):
        _put(store, *rows.to_dict("records"))
    _put(store, _row("00001", _t(2, 9), 10))  # a correction in a third batch wins
    province = pd.Series("01", index=codes)
    series = progress.daily_series(store, dt.date(2025, 7, 2), codes=codes, commune_province=province, start=START)
    day = series.at(dt.date(2025, 7, 2)).set_index("code")["task_class"]
    assert day["00001"] == "green"  # 0 done in the first two batches, 10 in the correction
    assert day["00011"] == "green" and day["00002"] == "amber"
    expected = status.commune_status(store, as_of=progress.deadline(dt.date(2025, 7, 2)).to_pydatetime(), codes=codes)
    assert list(day) == list(expected["task_class"])
