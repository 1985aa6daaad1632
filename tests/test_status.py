"""Tests of lib.status.status (classes, staleness, old-unit conflicts, aggregation) and lib.status.demo."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lib.core import vocab
from lib.core.vocab import LOCAL_TZ
from lib.status import demo, status
from lib.status.status import latest_deadline, stale_mask
from lib.status.store import StatusStore

VN = LOCAL_TZ


def _t(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(
    "now, expected",
    [
        (_t(20, 15, 59), _t(19, 16)),
        (_t(20, 16, 0), _t(20, 16)),
        (_t(20, 23, 30), _t(20, 16)),
        (_t(1, 0, 5, month=12), _t(30, 16)),
        (dt.datetime(2025, 11, 20, 9, 30, tzinfo=dt.UTC), _t(20, 16)),  # 16:30 in Hà Nội
        (dt.datetime(2025, 11, 20, 10, 0), _t(19, 16)),  # naive = Vietnam time
    ],
)
def test_latest_deadline(now, expected):
    assert latest_deadline(now) == expected


def test_stale_window_around_the_deadline():
    reports = pd.Series([_t(20, 15), _t(19, 15), _t(19, 17), None], dtype=object)
    times = pd.to_datetime(reports, utc=True)
    assert list(stale_mask(times, now=_t(20, 17))) == [False, True, False, True]
    assert list(stale_mask(times, now=_t(20, 10))) == [False, False, False, True]


def test_task_classes():
    total = pd.Series([10, 10, 10, 0, None, 10], dtype="Int64")
    done = pd.Series([10, 6, 6, 0, None, 6], dtype="Int64")
    overdue = pd.Series([0, 0, 2, 0, None, pd.NA], dtype="Int64")
    stale = pd.Series([False, False, False, False, False, True])
    assert list(status.task_class(total, done, overdue, stale)) == ["green", "amber", "red", "green", "grey", "grey"]


def test_centre_classes():
    state = pd.Series(["operating", "operating", "not_operating", None, "gaps"])
    gaps = pd.Series(["", "chữ ký số", "", "", "thiết bị"])
    assert list(status.centre_class(state, gaps)) == ["operating", "gaps", "not_operating", "unknown", "gaps"]


@pytest.fixture
def store(tmp_path) -> StatusStore:
    return StatusStore(tmp_path / "status.sqlite")


def _rows(
    code: str,
    when: dt.datetime,
    done: int,
    *,
    overdue: int = 0,
    via: str = "",
    level: str = "commune",
    centre: str = "operating",
    gaps: str = "",
) -> dict:
    return {
        "level": level,
        "unit_code": code,
        "as_of": when,
        "tasks_total": 10,
        "tasks_done": done,
        "tasks_overdue": overdue,
        "centre_state": centre,
        "gaps": gaps,
        "note": "",
        "via_old_code": via,
    }


def _put(store: StatusStore, *rows: dict, demo_batch: bool = False) -> int:
    return store.append(
        pd.DataFrame(list(rows)), imported_by="t", source_name="t.csv", source_sha256="0" * 64, is_demo=demo_batch
    )


CODES = ["00004", "00008", "00025", "00070"]


def test_commune_status_covers_every_code(store):
    _put(store, _rows("00004", _t(20, 9), 10), _rows("00008", _t(20, 9), 5, overdue=1))
    _put(store, _rows("00025", _t(18, 9), 5))  # stale at 17:00 on the 20th
    result = status.commune_status(store, now=_t(20, 17), codes=CODES).set_index("code")
    assert list(result.index) == CODES
    assert list(result["task_class"]) == ["green", "red", "grey", "grey"]
    assert list(result["stale"]) == [False, False, True, True]
    assert result.loc["00070", "centre_class"] == "unknown"
    assert result.loc["00004", "reported_at"] == pd.Timestamp(_t(20, 9))
    assert str(result["reported_at"].dt.tz) == "Asia/Ho_Chi_Minh"
    assert set(status.STATUS_COLUMNS) <= set(result.reset_index().columns)


def test_status_as_of_an_earlier_time(store):
    _put(store, _rows("00004", _t(10, 9), 3), _rows("00004", _t(20, 9), 10))
    early = status.commune_status(store, as_of=_t(10, 12), codes=["00004"]).iloc[0]
    assert (early["tasks_done"], early["task_class"], early["stale"]) == (3, "amber", False)
    late = status.commune_status(store, as_of=_t(21, 12), codes=["00004"]).iloc[0]
    assert (late["tasks_done"], late["task_class"]) == (10, "green")


def test_later_batch_corrects_same_time(store):
    _put(store, _rows("00004", _t(20, 9), 5, overdue=2))
    _put(store, _rows("00004", _t(20, 9), 10))
    row = status.commune_status(store, now=_t(20, 10), codes=["00004"]).iloc[0]
    assert (row["task_class"], row["conflict"]) == ("green", "")


def test_direct_report_wins_over_old_unit_parts(store):
    _put(store, _rows("00004", _t(20, 9), 2, overdue=3, via="00001"), _rows("00004", _t(20, 9), 10))
    row = status.commune_status(store, now=_t(20, 10), codes=["00004"]).iloc[0]
    assert (row["task_class"], row["conflict"]) == ("green", "")


def test_old_unit_parts_that_agree_give_no_conflict(store):
    _put(store, _rows("00004", _t(20, 9), 7, via="00001"), _rows("00004", _t(20, 9), 7, via="00004"))
    row = status.commune_status(store, now=_t(20, 10), codes=["00004"]).iloc[0]
    assert (row["task_class"], row["tasks_done"], row["conflict"]) == ("amber", 7, "")


def test_old_unit_parts_that_disagree_are_flagged_and_worst_shown(store):
    _put(
        store,
        _rows("00004", _t(20, 9), 10, via="00001"),
        _rows("00004", _t(20, 9), 6, overdue=2, via="00004"),
        _rows("00004", _t(20, 9), 8, via="00007", centre="gaps", gaps="thiết bị"),
    )
    row = status.commune_status(store, now=_t(20, 10), codes=["00004"]).iloc[0]
    assert row["task_class"] == "red" and row["tasks_done"] == 6
    for part in ("00001", "00004", "00007", "10/10", "6/10", "thiết bị"):
        assert part in row["conflict"]


def test_province_status_counts_and_shares(store):
    _put(
        store,
        _rows("00004", _t(20, 9), 10),
        _rows("00008", _t(20, 9), 5, overdue=1),
        _rows("00025", _t(20, 9), 5, gaps="bank"),
    )
    communes = status.commune_status(store, now=_t(20, 10), codes=CODES)
    provinces = status.province_status(
        communes, pd.Series({"00004": "01", "00008": "01", "00025": "02", "00070": "02"})
    )
    one = provinces.set_index("province_code").loc["01"]
    assert (one["communes"], one["green"], one["red"], one["grey"], one["share_green"]) == (2, 1, 1, 0, 0.5)
    two = provinces.set_index("province_code").loc["02"]
    assert (two["amber"], two["grey"], two["stale"], two["centre_gaps"], two["centre_unknown"]) == (1, 1, 1, 1, 1)
    assert two["tasks_total"] == 10
    shares = provinces[[f"share_{c}" for c in vocab.TASK_CLASSES]].sum(axis=1)
    assert (shares.round(9) == 1).all()


def test_province_status_refuses_unknown_commune():
    communes = pd.DataFrame(
        {
            "code": ["00004"],
            "task_class": ["green"],
            "centre_class": ["operating"],
            "stale": [False],
            "conflict": [""],
            "tasks_total": [1],
            "tasks_done": [1],
            "tasks_overdue": [0],
            "is_demo": [False],
        }
    )
    with pytest.raises(ValueError, match="00004"):
        status.province_status(communes, pd.Series({"00008": "01"}))


def test_province_reports_are_their_own_level(store):
    _put(store, _rows("01", _t(20, 9), 10, level="province"))
    result = status.province_reported_status(store, now=_t(20, 10), codes=["01", "04"])
    assert list(result["task_class"]) == ["green", "grey"]


def test_default_as_of_ends_demo_history_but_not_real_data(store):
    now = _t(27, 10, month=11) + dt.timedelta(days=365)
    assert status.default_as_of(store, now=now) == now
    _put(store, _rows("00004", _t(20, 9), 10), demo_batch=True)
    assert status.default_as_of(store, now=now) == _t(20, 9)
    _put(store, _rows("00008", _t(21, 9), 10))
    assert status.default_as_of(store, now=now) == now


def test_demo_snapshot_days():
    days = demo.snapshot_dates()
    assert days[0] == demo.DEMO_START and days[-1] == demo.DEMO_END
    assert days == sorted(set(days))
    assert all((b - a).days == 1 for a, b in zip(days[-demo.DAILY_DAYS :], days[-demo.DAILY_DAYS + 1 :], strict=False))


@pytest.mark.dataset
def test_demo_history_is_seeded_and_complete(tmp_path):
    first = demo.generate(seed=7)
    assert first.equals(demo.generate(seed=7))
    assert not first.equals(demo.generate(seed=8))
    communes = first[first["level"] == "commune"]
    assert communes["unit_code"].nunique() >= 3321 - 30  # a few communes never report
    assert first.loc[first["level"] == "province", "unit_code"].nunique() == 34
    assert (communes["tasks_done"] <= communes["tasks_total"]).all()
    assert (communes["tasks_overdue"] <= communes["tasks_total"] - communes["tasks_done"]).all()
    assert communes["as_of"].min() >= pd.Timestamp(demo.DEMO_START, tz=VN)
    store = StatusStore(tmp_path / "demo.sqlite")
    batch = demo.load_demo(store, seed=7)
    assert batch is not None and demo.load_demo(store, seed=7) is None  # only when empty
    assert store.batches()["is_demo"].all()
    view = status.commune_status(store, as_of=status.default_as_of(store))
    assert len(view) == 3321 and view["is_demo"].sum() >= 3321 - 30
    counts = view["task_class"].value_counts()
    assert all(counts.get(c, 0) > 30 for c in vocab.TASK_CLASSES), counts
    assert (view["conflict"] != "").sum() >= 1
    assert set(view["centre_class"]) == set(vocab.CENTRE_CLASSES)


# ---------------------------------------------------------------------- the page (AppTest)
APP = str(__import__("pathlib").Path(__file__).resolve().parents[1] / "app.py")


def _page(monkeypatch, db_path, *, password: str | None = None):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("VNMAP_STATUS_DB", f"sqlite:///{db_path}")
    if password is None:
        monkeypatch.delenv("VNMAP_IMPORT_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("VNMAP_IMPORT_PASSWORD", password)
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("views/status.py").run()
    return at


@pytest.mark.dataset
def test_page_first_run_loads_labelled_demo_data(monkeypatch, tmp_path):
    at = _page(monkeypatch, tmp_path / "first.sqlite")
    assert not at.exception, at.exception
    assert any(status.DEMO_MARK in w.value for w in at.warning)
    labels = [m.label for m in at.metric]
    assert vocab.TASK_LABELS["green"] in labels and "Trung tâm: Hoạt động" in labels
    tables = {tuple(d.value.columns[:2]): d.value for d in at.dataframe}
    communes = next(d.value for d in at.dataframe if "Tiến độ" in d.value.columns)
    assert len(communes) == 3321 and (communes["Nguồn số liệu"] == status.DEMO_MARK).sum() > 3000
    assert at.date_input(key="status_day").value == demo.DEMO_END
    history = tables[("as_of", "tasks_total")]  # the first commune's reports, oldest first
    assert len(history) > 20 and history["as_of"].is_monotonic_increasing
    assert (history["data_source"] == status.DEMO_MARK).all()
    batches = tables[("Lô", "Thời điểm nhập")]  # the tab "Các lần nhập", Vietnamese headers
    assert len(batches) == 1 and bool(batches["Minh hoạ"].iloc[0]) and not batches["Đã thu hồi"].any()
    # browsing works without a password; importing is on its own page (tests/test_pages.py)
    assert not at.text_input and not at.file_uploader


@pytest.mark.dataset
def test_cli_status_csv_export_labels_demo_data(tmp_path, capsys):
    from lib import cli

    store = StatusStore(tmp_path / "demo.sqlite")
    _put(store, _rows("00004", _t(20, 9), 10), demo_batch=True)
    out = tmp_path / "state.csv"
    assert (
        cli.main(
            [
                "status",
                "--db",
                str(tmp_path / "demo.sqlite"),
                "--as-of",
                "20/11/2025 18:00",
                "--format",
                "csv",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert status.DEMO_MARK in capsys.readouterr().err
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert len(table) == 3321
    row = table.set_index("code").loc["00004"]
    assert (row["task_class"], row["data_source"], row["reported_at"]) == (
        "green",
        status.DEMO_MARK,
        "20/11/2025 09:00",
    )
    assert (
        cli.main(
            [
                "status",
                "--db",
                str(tmp_path / "demo.sqlite"),
                "--level",
                "province",
                "--format",
                "csv",
                "--as-of",
                "2025-11-20T18:00",
            ]
        )
        == 0
    )
    provinces = capsys.readouterr().out
    assert provinces.count("\n") == 35 and "Thành phố Hà Nội" in provinces


def test_demo_data_is_hidden_once_real_reports_exist(store):
    _put(store, _rows("00004", _t(20, 9), 10), _rows("00008", _t(20, 9), 10), demo_batch=True)
    before = status.commune_status(store, now=_t(20, 10), codes=["00004", "00008"])
    assert list(before["task_class"]) == ["green", "green"] and before["is_demo"].all()
    _put(store, _rows("00004", _t(19, 9), 4))  # real, and older than the demo report
    after = status.commune_status(store, now=_t(20, 10), codes=["00004", "00008"]).set_index("code")
    assert after.loc["00004", "tasks_done"] == 4 and not after.loc["00004", "is_demo"]
    assert after.loc["00008", "task_class"] == "grey" and not after["is_demo"].any()
    shown = status.commune_status(store, now=_t(20, 10), codes=["00004"], include_demo=True)
    assert shown["is_demo"].all()  # asked for explicitly
