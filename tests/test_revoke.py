"""Revoking an imported batch (``StatusStore.revoke``, ``python -m lib.cli revoke``): the reports stay stored and
every reader ignores them (state, history, daily series, exports, maps), the revision changes, the revocation
is listed with who and why, and a store made before revocations existed gets the table when opened.

Store tests run against SQLite and PostgreSQL (tests/conftest.py ``status_url``; skipped without a server).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from lib.core.vocab import LOCAL_TZ
from lib.data import geodata
from lib.maps import staticdata
from lib.status import demo, importer, progress, status
from lib.status.store import RevokeError, StatusStore, revocations_table

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DAY = dt.date(2025, 11, 20)
CODES = ["00004", "00008", "00025"]  # real new communes of the bundled dataset


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LOCAL_TZ)


def _rows(codes: list[str], when: dt.datetime, *, done: int, overdue: int = 0, note: str = "") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "level": "commune",
            "unit_code": codes,
            "as_of": when,
            "tasks_total": 10,
            "tasks_done": done,
            "tasks_overdue": overdue,
            "centre_state": "operating",
            "gaps": "",
            "note": note,
            "via_old_code": "",
        }
    )


def _append(store: StatusStore, frame: pd.DataFrame, name: str, *, demo_batch: bool = False) -> int:
    return store.append(
        frame, imported_by="Nguyễn Văn A", source_name=name, source_sha256=name.ljust(64, "0")[:64], is_demo=demo_batch
    )


def _two_batches(store: StatusStore) -> tuple[int, int]:
    """Batch A: 00004 green and 00008 amber on DAY; batch B (hostile) a day later: 00004 red, 00025 amber."""
    a = _append(store, pd.concat([_rows(["00004"], _at(DAY), done=10), _rows(["00008"], _at(DAY), done=6)]), "a.csv")
    hostile = pd.concat(
        [
            _rows(["00004"], _at(DAY + dt.timedelta(days=1)), done=2, overdue=3, note="x" * 5000),
            _rows(["00025"], _at(DAY + dt.timedelta(days=1)), done=5, note="x" * 5000),
        ]
    )
    return a, _append(store, hostile, "b.csv")


@pytest.fixture
def store(status_url):
    opened = StatusStore(status_url)
    yield opened
    opened.close()


def test_store_readers_ignore_a_revoked_batch(store):
    a, b = _two_batches(store)
    assert store.text_sizes([a, b]) == {a: 0, b: 10_000}
    store.revoke(b, by="Trần B", reason="tệp độc hại")
    state = store.state_as_of().set_index("unit_code")
    assert sorted(state.index) == ["00004", "00008"] and (state["batch_id"] == a).all()
    assert state.loc["00004", "tasks_done"] == 10  # batch A's report, no longer hidden by B's later one
    assert list(store.history("00004")["batch_id"]) == [a] and store.history("00025").empty
    assert store.latest_as_of() == pd.Timestamp(_at(DAY))
    assert store.batch_ids() == [a] and store.count_reports() == 2
    assert set(store.report_counts([a, b])["batch_id"]) == {a}
    assert set(store.reports_by_id(list(range(1, 10)))["batch_id"]) == {a}
    assert store.has_real_data() and not store.is_empty()
    listed = store.batches().set_index("id")
    assert list(listed["revoked"]) == [True, False] and listed.loc[b, "reason"] == "tệp độc hại"
    assert list(store.batches(include_revoked=False)["id"]) == [a]
    assert store.text_sizes([b]) == {b: 10_000}  # the revoked content is still stored (nothing deleted)


def test_status_series_export_and_map_ignore_a_revoked_batch(store):
    a, b = _two_batches(store)
    later = _at(DAY + dt.timedelta(days=1), 17)
    cache = progress.ReportCache()
    provinces = pd.Series("01", index=CODES)

    def series():
        return progress.daily_series(
            store, later.date(), codes=CODES, commune_province=provinces, start=DAY, cache=cache
        ).at(later.date())

    before = status.commune_status(store, as_of=later, codes=CODES).set_index("code")
    assert list(before["task_class"]) == ["red", "grey", "amber"]  # 00008 reported only on DAY: stale
    assert list(series()["task_class"]) == ["red", "grey", "amber"]  # the cache has read batch B
    store.revoke(b, by="Trần B", reason="tệp độc hại")
    day_after = status.commune_status(store, as_of=later, codes=CODES).set_index("code")
    assert list(day_after["task_class"]) == ["grey", "grey", "grey"]  # A's reports are stale a day later
    on_day = status.commune_status(store, as_of=_at(DAY, 17), codes=CODES).set_index("code")
    assert list(on_day["task_class"]) == ["green", "amber", "grey"]
    assert list(series()["task_class"]) == ["grey", "grey", "grey"]
    assert list(progress.daily_series(store, DAY, codes=CODES, commune_province=provinces, start=DAY, cache=cache)
                .at(DAY)["task_class"]) == ["green", "amber", "grey"]  # fmt: skip
    crosswalk = geodata.load_crosswalk()
    exported = status.export_frame(store, as_of=_at(DAY, 17), crosswalk=crosswalk).set_index("code")
    assert exported.loc["00004", "task_class"] == "green" and exported.loc["00025", "task_class"] == "grey"
    assert (exported["data_source"] == "báo cáo").all()
    shown, shown_day = staticdata.status_as_of(store, DAY, codes=CODES)
    assert shown_day == DAY and list(shown["task_class"]) == ["green", "amber", "grey"]


def test_revision_changes_and_every_instance_sees_it(store):
    _a, b = _two_batches(store)
    other = StatusStore(store.url)  # another app instance on the same database
    seen = other.revision()
    store.revoke(b, by="Trần B", reason="tệp độc hại")
    assert store.revision() != seen and other.revision() == store.revision()
    other.close()


def test_revocation_is_listed_with_who_and_why(store):
    _a, b = _two_batches(store)
    returned = store.revoke(b, by="  Trần   B ", reason="ghi chú\n2 MB mỗi dòng  ")
    listed = store.revocations()
    assert len(listed) == 1
    row = listed.iloc[0]
    assert (row["batch_id"], row["revoked_by"], row["reason"]) == (b, "Trần B", "ghi chú 2 MB mỗi dòng")
    assert (row["source_name"], row["rows"], bool(row["is_demo"])) == ("b.csv", 2, False)
    assert abs(pd.Timestamp.now(tz="UTC") - row["revoked_at"]) < pd.Timedelta(minutes=5)
    assert returned["batch_id"] == b and returned["reason"] == row["reason"]


def test_revoking_twice_or_an_unknown_batch_fails_in_vietnamese(store):
    _a, b = _two_batches(store)
    store.revoke(b, by="Trần B", reason="tệp độc hại")
    with pytest.raises(RevokeError, match=r"^Lô \d+ đã bị thu hồi lúc .* bởi “Trần B” \(lý do: tệp độc hại\)$"):
        store.revoke(b, by="Lê C", reason="lần nữa")
    with pytest.raises(RevokeError, match="^Không có lô 999 trong kho StatusStore"):
        store.revoke(999, by="Lê C", reason="không có")
    with pytest.raises(RevokeError, match="^Không có lô 99999999999 "):
        store.revoke(99_999_999_999, by="Lê C", reason="quá lớn")
    with pytest.raises(RevokeError, match="Chưa ghi lý do"):
        store.revoke(b - 1, by="Lê C", reason=" \n ")
    with pytest.raises(RevokeError, match="tối đa 1.000 ký tự"):
        store.revoke(b - 1, by="Lê C", reason="x" * 1001)
    assert len(store.revocations()) == 1 and store.batch_ids() == [b - 1]


def test_demo_data_comes_back_when_the_only_real_batch_is_revoked(store):
    """A revoked batch counts as never imported: with no real batch left the labelled demo data shows again;
    with the demo batch revoked too the store reads as empty, and the demo is not loaded again."""
    demo_batch = _append(store, _rows(["00004"], _at(DAY), done=10), "demo", demo_batch=True)
    real = _append(store, _rows(["00004"], _at(DAY + dt.timedelta(days=2)), done=1, overdue=2), "real.csv")
    now = _at(DAY + dt.timedelta(days=2), 17)
    assert status.commune_status(store, now=now, codes=["00004"])["task_class"].tolist() == ["red"]
    store.revoke(real, by="Trần B", reason="nhầm tệp")
    assert not store.has_real_data() and not store.is_empty()
    view = status.commune_status(store, as_of=_at(DAY, 17), codes=["00004"])
    assert view["task_class"].tolist() == ["green"] and view["is_demo"].all()  # labelled as demonstration
    assert status.default_as_of(store, now=now).date() == DAY  # the end of the demo history, as on first run
    store.revoke(demo_batch, by="Trần B", reason="không dùng số liệu minh hoạ")
    assert store.is_empty() and staticdata.status_as_of(store, DAY, codes=["00004"]) == (None, None)
    assert demo.load_demo(store) is None  # only_if_empty: a store that ever held a batch is not refilled


def test_the_same_file_is_refused_after_revocation_with_the_reason(store):
    _a, b = _two_batches(store)
    sha = store.batches().set_index("id").loc[b, "source_sha256"]
    assert "không ghi lại để tránh trùng" in importer.already_imported(store, sha)
    store.revoke(b, by="Trần B", reason="tệp độc hại")
    message = importer.already_imported(store, sha)
    assert f"đã được nhập ở lô {b}" in message and "đã bị thu hồi" in message and "tệp độc hại" in message
    assert "sửa tệp" in message and "--force" in message
    assert importer.already_imported(store, "f" * 64) == ""  # a corrected file (other content) is new


@pytest.mark.dataset  # the resolver reads the bundled dataset
def test_intake_refuses_the_revoked_file_and_takes_the_corrected_one(tmp_path, store):
    from lib.lookup.resolve import UnitResolver
    from lib.status import intake

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    header = "Mã xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn,Trung tâm phục vụ HCC,Thời điểm báo cáo\n"

    def drop(name: str, done: int, overdue: int) -> None:
        path = inbox / name
        path.write_text(f"{header}00004,10,{done},{overdue},hoạt động,20/11/2025 15:00\n", encoding="utf-8")
        os.utime(path, (path.stat().st_mtime - 3600,) * 2)  # a finished upload

    resolver = UnitResolver.from_geodata(geodata.default_dir())
    drop("bao-cao.csv", 2, 3)
    batch = intake.ingest_dir(inbox, store, resolver, now=_at(DAY, 17)).outcomes[0].batch
    store.revoke(batch, by="Trần B", reason="số liệu sai")
    drop("bao-cao-gui-lai.csv", 2, 3)  # the same content again
    drop("bao-cao-da-sua.csv", 9, 0)
    outcomes = {o.name: o for o in intake.ingest_dir(inbox, store, resolver, now=_at(DAY, 17)).outcomes}
    again = outcomes["bao-cao-gui-lai.csv"]
    assert again.state == "duplicate" and f"lô {batch}" in again.message
    assert "đã bị thu hồi" in again.message and "số liệu sai" in again.message
    assert outcomes["bao-cao-da-sua.csv"].state == "imported"
    assert store.state_as_of()["tasks_done"].tolist() == [9]


def test_a_store_made_before_revocations_gets_the_table(status_url):
    old = StatusStore(status_url)
    batch = _append(old, _rows(["00004"], _at(DAY), done=10), "a.csv")
    revocations_table.drop(old.engine)  # the schema of a store created before this table existed
    assert "status_revocation" not in sa.inspect(old.engine).get_table_names()
    old.close()
    reopened = StatusStore(status_url)
    assert "status_revocation" in sa.inspect(reopened.engine).get_table_names()
    assert reopened.batch_ids() == [batch] and reopened.revocations().empty
    reopened.revoke(batch, by="Trần B", reason="thử")
    assert reopened.is_empty()
    reopened.close()


@pytest.mark.dataset  # `status` reads the bundled crosswalk
def test_cli_batches_revoke_and_status_export(tmp_path):
    path = tmp_path / "status.sqlite"
    store = StatusStore(path)
    a, b = _two_batches(store)
    store.close()
    env = {**os.environ, "VNMAP_STATUS_DB": f"sqlite:///{tmp_path / 'unused.sqlite'}"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "lib.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    listed = cli("batches", "--db", str(path))
    assert listed.returncode == 0, listed.stderr
    assert "2 lô trong kho" in listed.stdout and "(0 đã thu hồi)" in listed.stdout
    assert "a.csv" in listed.stdout and "b.csv" in listed.stdout and "10.000" in listed.stdout  # text size of B
    done = cli("revoke", str(b), "--reason", "tệp độc hại", "--by", "Trần B", "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert f"Đã thu hồi lô {b} (tệp “b.csv”, 2 báo cáo)" in done.stdout
    again = cli("revoke", str(b), "--reason", "lần nữa", "--db", str(path))
    assert again.returncode == 2 and again.stderr.strip().splitlines() == [again.stderr.strip()]
    assert f"Lô {b} đã bị thu hồi" in again.stderr and "Trần B" in again.stderr and "Traceback" not in again.stderr
    unknown = cli("revoke", "999", "--reason", "không có", "--db", str(path))
    assert unknown.returncode == 2 and "Không có lô 999" in unknown.stderr
    assert cli("revoke", "abc", "--reason", "x", "--db", str(path)).returncode == 2
    listed = cli("batches", "--db", str(path), "--limit", "1")
    assert listed.returncode == 0 and "(1 đã thu hồi)" in listed.stdout and "1 lô mới nhất" in listed.stdout
    last = listed.stdout.strip().splitlines()[-1]
    assert last.split()[0] == str(b) and "có" in last and "tệp độc hại" in last and "a.csv" not in listed.stdout
    export = cli("status", "--db", str(path), "--as-of", "20/11/2025 17:00", "--format", "csv")
    assert export.returncode == 0, export.stderr
    rows = {line.split(",")[0]: line for line in export.stdout.splitlines()[1:]}
    assert ",green," in rows["00004"] and ",grey," in rows["00025"]  # batch A; batch B left out
    assert a == b - 1


def test_cli_never_prints_a_password():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lib.cli",
            "revoke",
            "1",
            "--reason",
            "x",
            "--db",
            "postgresql+psycopg://u:secret@127.0.0.1:1/db",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "secret" not in result.stdout + result.stderr
    assert "Không mở được cơ sở dữ liệu" in result.stderr and "***" in result.stderr


def test_status_page_lists_the_revocation(monkeypatch, tmp_path):
    path = tmp_path / "status.sqlite"
    store = StatusStore(path)
    a, b = _two_batches(store)
    store.revoke(b, by="Trần B", reason="tệp độc hại")
    store.close()
    monkeypatch.setenv("VNMAP_STATUS_DB", f"sqlite:///{path}")
    monkeypatch.delenv("VNMAP_IMPORT_PASSWORD", raising=False)
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("views/status.py").run()
    assert not at.exception, at.exception
    batches = next(d.value for d in at.dataframe if "Đã thu hồi" in d.value.columns).set_index("Lô")
    assert batches.loc[b, "Đã thu hồi"] and not batches.loc[a, "Đã thu hồi"]
    assert batches.loc[b, "Lý do thu hồi"] == "tệp độc hại" and batches.loc[a, "Tệp"] == "a.csv"
    revoked = next(d.value for d in at.dataframe if "Người thu hồi" in d.value.columns)
    assert revoked[["Lô", "Người thu hồi", "Lý do", "Tệp"]].values.tolist() == [[b, "Trần B", "tệp độc hại", "b.csv"]]
    assert any(h.value == "Các lô đã thu hồi: 1" for h in at.subheader)
    assert not any(status.DEMO_MARK in w.value for w in at.warning)  # batch A is real and still counts
