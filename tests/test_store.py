"""Tests of lib.status.store: append-only batches, queries by time, atomic commits, concurrent writers.

Every test runs against SQLite and against PostgreSQL; the PostgreSQL runs are reported as
skipped unless VNMAP_TEST_PG_URL is set (scripts/test_postgres.sh starts a throw-away server and
prints such a URL; `make test` does it for you). See the ``pg_url`` fixture in conftest.py.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from lib.status import store as store_module
from lib.status.store import StatusStore, StoreError, mask_url, metadata
from tests.conftest import emptied_pg

ROOT = Path(__file__).resolve().parent.parent
VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def url(status_url) -> str:
    """A fresh store URL per backend (tests/conftest.py ``status_url``)."""
    return status_url


@pytest.fixture
def store(url) -> StatusStore:
    opened = StatusStore(url)
    yield opened
    opened.close()


def _reports(codes: list[str], when: dt.datetime, *, done: int = 5, via: str = "") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "level": "commune",
            "unit_code": codes,
            "as_of": when,
            "tasks_total": 10,
            "tasks_done": done,
            "tasks_overdue": 0,
            "centre_state": "operating",
            "gaps": "",
            "note": "ghi chú <b>",
            "via_old_code": via,
        }
    )


def _append(store: StatusStore, frame: pd.DataFrame, **kwargs) -> int:
    return store.append(
        frame,
        imported_by=kwargs.pop("by", "tester"),
        source_name=kwargs.pop("name", "a.csv"),
        source_sha256="ab" * 32,
        **kwargs,
    )


def test_new_store_is_empty(store):
    assert store.is_empty()
    assert store.batches().empty
    assert store.latest_as_of() is None
    assert store.state_as_of().empty


def test_append_keeps_batch_metadata_and_times(store):
    when = dt.datetime(2025, 11, 20, 15, 30, tzinfo=VN)
    stamp = dt.datetime(2025, 11, 21, 8, 0, tzinfo=dt.UTC)
    batch = _append(
        store, _reports(["00004", "00008"], when), by="Nguyễn Văn A", name="báo cáo.xlsx", imported_at=stamp
    )
    batches = store.batches()
    assert list(batches["id"]) == [batch]
    row = batches.iloc[0]
    assert (row["imported_by"], row["source_name"], row["rows"], row["is_demo"]) == (
        "Nguyễn Văn A",
        "báo cáo.xlsx",
        2,
        False,
    )
    assert row["imported_at"] == pd.Timestamp(stamp)
    state = store.state_as_of()
    assert sorted(state["unit_code"]) == ["00004", "00008"]
    assert (state["as_of"] == pd.Timestamp(when)).all()  # 08:30 UTC read back as the same instant
    assert state["note"].iloc[0] == "ghi chú <b>"
    assert not store.is_empty()


def test_reports_are_appended_never_overwritten(store):
    when = dt.datetime(2025, 11, 20, 9, tzinfo=VN)
    _append(store, _reports(["00004"], when, done=5))
    _append(store, _reports(["00004"], when, done=7))  # a correction for the same time
    history = store.history("00004")
    assert list(history["tasks_done"]) == [5, 7]
    assert list(history["source_name"]) == ["a.csv", "a.csv"]
    assert len(store.state_as_of()) == 2  # both kept; lib.status.status picks the later batch
    assert store.count_reports() == 2


def test_state_as_of_any_time(store):
    days = [dt.datetime(2025, 11, d, 10, tzinfo=VN) for d in (1, 2, 3)]
    for done, day in enumerate(days):
        _append(store, _reports(["00004", "00008"], day, done=done))
    _append(store, _reports(["00025"], days[1], done=9))
    at_noon_day2 = store.state_as_of(dt.datetime(2025, 11, 2, 12, tzinfo=VN)).set_index("unit_code")
    assert at_noon_day2.loc["00004", "tasks_done"] == 1
    assert at_noon_day2.loc["00025", "tasks_done"] == 9
    exactly_day1 = store.state_as_of(days[0])
    assert sorted(exactly_day1["unit_code"]) == ["00004", "00008"] and (exactly_day1["tasks_done"] == 0).all()
    assert store.state_as_of(dt.datetime(2025, 10, 1, tzinfo=VN)).empty
    assert store.latest_as_of() == pd.Timestamp(days[2])


def test_history_is_in_time_order_with_old_unit_parts(store):
    _append(store, _reports(["00004"], dt.datetime(2025, 11, 3, 9, tzinfo=VN), via="00001"))
    _append(store, _reports(["00004"], dt.datetime(2025, 11, 1, 9, tzinfo=VN)))
    history = store.history("00004")
    assert list(history["via_old_code"]) == ["", "00001"]
    assert store.history("99999").empty


def test_province_level_is_separate(store):
    frame = _reports(["01"], dt.datetime(2025, 11, 3, 9, tzinfo=VN)).assign(level="province")
    _append(store, frame)
    assert store.state_as_of().empty
    assert list(store.state_as_of(level="province")["unit_code"]) == ["01"]


def test_error_midway_leaves_store_unchanged(store):
    good = _reports(["00004"], dt.datetime(2025, 11, 3, 9, tzinfo=VN))
    _append(store, good)
    bad = _reports([f"{i:05d}" for i in range(1, 13)], dt.datetime(2025, 11, 4, 9, tzinfo=VN))
    # NOT NULL violated on the last row, after two chunks of five went in.
    bad["unit_code"] = bad["unit_code"].astype(object).where(bad.index < 11, None)
    with pytest.raises(sa.exc.IntegrityError):
        _append(store, bad, chunk_size=5)
    assert len(store.batches()) == 1
    assert store.count_reports() == 1


def test_only_if_empty(store):
    frame = _reports(["00004"], dt.datetime(2025, 11, 3, 9, tzinfo=VN))
    assert _append(store, frame, only_if_empty=True) is not None
    assert _append(store, frame, only_if_empty=True) is None
    assert len(store.batches()) == 1


def test_missing_columns_are_refused(store):
    with pytest.raises(StoreError, match="tasks_done"):
        _append(store, _reports(["00004"], dt.datetime(2025, 11, 3, tzinfo=VN)).drop(columns="tasks_done"))
    assert store.is_empty()


def test_plain_path_and_bad_url(tmp_path, monkeypatch):
    store = StatusStore(tmp_path / "x.sqlite")
    assert store.is_empty() and (tmp_path / "x.sqlite").exists()
    with pytest.raises(StoreError):
        StatusStore("notadialect://nowhere")
    # a mistyped --db is refused, never made a new empty store: a folder that does not exist, a bare word
    for given in (tmp_path / "sub" / "x.sqlite", f"sqlite:///{tmp_path / 'sub' / 'x.sqlite'}", "notaurl"):
        with pytest.raises(StoreError, match="Không có thư mục|không phải địa chỉ cơ sở dữ liệu"):
            StatusStore(given)
    assert not (tmp_path / "sub").exists() and not Path("notaurl").exists()
    # only the app's default store gets its data/ folder created
    monkeypatch.setattr(store_module, "DEFAULT_PATH", tmp_path / "data" / "status.sqlite")
    monkeypatch.setenv("VNMAP_STATUS_DB", f"sqlite:///{tmp_path / 'data' / 'status.sqlite'}")
    StatusStore().close()
    assert (tmp_path / "data" / "status.sqlite").is_file()


def test_mask_url_hides_passwords():
    assert mask_url("postgresql+psycopg://u:s3cret@db.example:5432/x") == "postgresql+psycopg://u:***@db.example:5432/x"
    assert "s3cret" not in mask_url("postgresql://u:p@db/x?sslpassword=s3cret&application_name=a")
    assert mask_url("postgresql://u:s3cret@db:abc/x?password=s3cret") == "postgresql://***@db:abc/x?…"  # unparsable
    assert mask_url("u:s3cret@db/x") == "***@db/x" and mask_url("/srv/status.sqlite") == "/srv/status.sqlite"


def test_file_that_is_not_a_database(tmp_path):
    notes = tmp_path / "notes.sqlite"
    notes.write_text("not a database\n" * 100, encoding="utf-8")
    with pytest.raises(StoreError, match="Không mở được cơ sở dữ liệu .*not a database"):
        StatusStore(notes)


@pytest.fixture
def pg_role_without_create(pg_url):
    """URL of ``pg_url``'s database as a role that may connect but not create tables (store tables dropped)."""
    role = "vnmap_no_create"
    engine = sa.create_engine(emptied_pg(pg_url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    yield sa.engine.make_url(pg_url).set(username=role, password=None).render_as_string(hide_password=False)
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.exec_driver_sql(f"DROP OWNED BY {role}")
        conn.exec_driver_sql(f"DROP ROLE {role}")
    engine.dispose()


def test_pg_permission_error_is_not_taken_for_existing_tables(pg_role_without_create, pg_url):
    with pytest.raises(StoreError, match="không có quyền tạo bảng") as caught:
        StatusStore(pg_role_without_create)
    assert "permission denied" in str(caught.value) and "CREATE" in str(caught.value)
    # Once an account with the right has created the tables, the restricted role opens the store.
    StatusStore(pg_url).close()
    StatusStore(pg_role_without_create).close()


def test_env_default_url(tmp_path, monkeypatch):
    monkeypatch.setenv("VNMAP_STATUS_DB", f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert StatusStore().url.endswith("env.sqlite")


_WRITER = textwrap.dedent("""
    import datetime as dt, sys, time
    import pandas as pd
    sys.path.insert(0, {root!r})
    from lib.status.store import StatusStore
    url, worker, rows, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    store = StatusStore(url)
    when = dt.datetime(2025, 11, 3, 9, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=worker)
    frame = pd.DataFrame({{"level": "commune", "unit_code": [f"{{i:05d}}" for i in range(rows)], "as_of": when,
                          "tasks_total": 10, "tasks_done": worker % 10, "tasks_overdue": 0,
                          "centre_state": "operating", "gaps": "", "note": f"worker {{worker}}"}})
    def progress(done, total):
        print("CHUNK", done, flush=True)
        time.sleep(pause)
    store.append(frame, imported_by=f"w{{worker}}", source_name="c.csv", source_sha256="0" * 64,
                 progress=progress, chunk_size=500)
    print("DONE", flush=True)
""")


def _writer(tmp_path: Path) -> Path:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER.format(root=str(ROOT)), encoding="utf-8")
    return script


def test_concurrent_imports_lose_no_rows(url, tmp_path):
    StatusStore(url).close()  # tables exist before the race (also tested without: see next test)
    script, workers, rows = _writer(tmp_path), 6, 2000
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), url, str(w), str(rows), "0.01"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-800:] for _, err in outputs]
    store = StatusStore(url)
    batches = store.batches()
    assert sorted(batches["imported_by"]) == sorted(f"w{w}" for w in range(workers))
    assert store.count_reports() == workers * rows
    assert (batches["rows"] == rows).all()


def test_concurrent_first_use_creates_tables_once(url, tmp_path):
    script = _writer(tmp_path)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), url, str(w), "300", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-800:] for _, err in outputs]
    assert StatusStore(url).count_reports() == 1200


def test_killed_import_leaves_store_unchanged(url, tmp_path):
    store = StatusStore(url)
    _append(store, _reports(["00004"], dt.datetime(2025, 11, 3, 9, tzinfo=VN)))
    before = (len(store.batches()), store.count_reports())
    proc = subprocess.Popen(
        [sys.executable, str(_writer(tmp_path)), url, "1", "5000", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()  # the first chunk is written, inside the open transaction
    assert line.startswith("CHUNK 500"), proc.stderr.read()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    reopened = StatusStore(url)
    assert (len(reopened.batches()), reopened.count_reports()) == before
    # and the store still takes writes (no lock left behind)
    _append(reopened, _reports(["00008"], dt.datetime(2025, 11, 4, 9, tzinfo=VN)))
    assert reopened.count_reports() == before[1] + 1


def test_derived_status_reads_through_either_backend(store):
    from lib.status import status

    _append(store, _reports(["00004"], dt.datetime(2025, 11, 20, 9, tzinfo=VN), done=10))
    _append(
        store,
        pd.concat(
            [
                _reports(["00008"], dt.datetime(2025, 11, 20, 9, tzinfo=VN), done=10, via="00010"),
                _reports(["00008"], dt.datetime(2025, 11, 20, 9, tzinfo=VN), done=3, via="00011"),
            ]
        ),
    )
    view = status.commune_status(
        store, now=dt.datetime(2025, 11, 20, 17, tzinfo=VN), codes=["00004", "00008", "00025"]
    ).set_index("code")
    assert list(view["task_class"]) == ["green", "amber", "grey"]
    assert "00010" in view.loc["00008", "conflict"] and "00011" in view.loc["00008", "conflict"]
