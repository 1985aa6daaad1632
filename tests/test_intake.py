"""Tests of lib.status.intake (``python -m lib.cli ingest-dir``): each new file imported once, filed in done/
or failed/ with a report, files still being written left alone, concurrent runs (real processes) never
importing a file twice. Real files, real stores: SQLite, and PostgreSQL when tests/conftest.py provides it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from lib import cli
from lib.core.vocab import LOCAL_TZ
from lib.data import geodata
from lib.lookup.resolve import UnitResolver
from lib.status import intake
from lib.status.store import StatusStore
from tests.conftest import emptied_pg

pytestmark = pytest.mark.dataset  # reads the bundled geodata/
ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2025, 11, 21, 10, 0, tzinfo=LOCAL_TZ)
HEADER = "Mã xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn,Trung tâm phục vụ HCC,Thời điểm báo cáo\n"


@pytest.fixture
def url(status_url) -> str:
    """A fresh store URL per backend (tests/conftest.py ``status_url``)."""
    return status_url


@pytest.fixture
def store(url):
    opened = StatusStore(url)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def resolver() -> UnitResolver:
    return UnitResolver.from_geodata(geodata.default_dir())


@pytest.fixture(scope="module")
def codes() -> list[str]:
    """Codes of real new communes (the CLI runs read the bundled dataset)."""
    return sorted(geodata.load_crosswalk(geodata.default_dir())["new_code"].unique())[:60]


def _report(codes: list[str], day: int, *, bad: dict[str, str] | None = None) -> str:
    """A status CSV: one row per code, reported on November ``day`` 2025 at 15:00; ``bad`` replaces the
    'done' cell of some codes."""
    lines = [HEADER]
    for i, code in enumerate(codes):
        done = (bad or {}).get(code, str(i % 10))
        lines.append(f"{code},10,{done},0,hoạt động,{day:02d}/11/2025 15:00\n")
    return "".join(lines)


def _drop(inbox: Path, name: str, text: str | bytes, *, age: float = 3600) -> Path:
    """Write a file into the inbox as a finished upload (modified ``age`` seconds ago)."""
    path = inbox / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def _run(inbox: Path, store: StatusStore, resolver, **kwargs) -> intake.IntakeSummary:
    return intake.ingest_dir(inbox, store, resolver, now=NOW, **kwargs)


def _filed(inbox: Path, folder: str) -> list[str]:
    """Names of the files filed in done/ or failed/ without the time prefix (reports left out)."""
    where = inbox / folder
    if not where.is_dir():
        return []
    return sorted(
        p.name.split("-", 2)[2]
        for p in where.iterdir()
        if not p.name.endswith((intake.REPORT_SUFFIX, intake.ISSUES_SUFFIX))
    )


def _left(inbox: Path) -> list[str]:
    return sorted(p.name for p in inbox.iterdir() if p.is_file())


def test_new_files_are_imported_once_and_filed(tmp_path, store, resolver, codes):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox, "a.csv", _report(codes[:10], 18))
    _drop(inbox, "b.csv", _report(codes[10:25], 19))
    # partly invalid: the valid rows are imported, the two bad ones reported (as `lib.cli ingest` does)
    _drop(inbox, "c.csv", _report(codes[25:35], 20, bad={codes[26]: "12", codes[30]: "-1"}))
    first = _run(inbox, store, resolver)
    assert [(o.name, o.state) for o in first.outcomes] == [("a.csv", "imported"), ("b.csv", "imported"),
                                                           ("c.csv", "imported")]  # fmt: skip
    assert store.count_reports() == 10 + 15 + 8 == first.records
    assert _left(inbox) == [] and _filed(inbox, "done") == ["a.csv", "b.csv", "c.csv"]
    batches = store.batches()
    assert len(batches) == 3 and batches["source_sha256"].is_unique
    partial = next(o for o in first.outcomes if o.name == "c.csv")
    assert partial.issues == 2
    text = partial.report.read_text(encoding="utf-8")
    assert "ĐÃ NHẬP" in text and f"lô {partial.batch}" in text and "dòng 3" in text and "dòng 7" in text
    rows = list(csv.DictReader(io.StringIO(partial.moved_to.with_name(partial.moved_to.name + ".loi.csv")
                                           .read_text(encoding="utf-8-sig"))))  # fmt: skip
    assert [(r["Dòng"], r["Cột"]) for r in rows] == [("3", "Đã hoàn thành"), ("7", "Đã hoàn thành")]

    second = _run(inbox, store, resolver)  # nothing new: imports nothing
    assert second.outcomes == [] and second.records == 0
    assert store.count_reports() == 33 and len(store.batches()) == 3

    # the same content again under another name: not imported again, filed with a report naming the batch
    _drop(inbox, "a-lan-nua.csv", _report(codes[:10], 18))
    third = _run(inbox, store, resolver)
    (again,) = third.outcomes
    assert again.state == "duplicate" and again.batch == first.outcomes[0].batch
    assert "KHÔNG NHẬP LẠI" in again.report.read_text(encoding="utf-8")
    assert store.count_reports() == 33 and len(store.batches()) == 3 and _left(inbox) == []


def test_broken_files_land_in_failed_and_the_store_is_unchanged(tmp_path, store, resolver, codes):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox, "truoc.csv", _report(codes[:5], 18))
    _run(inbox, store, resolver)
    before = (len(store.batches()), store.count_reports(), store.revision())
    _drop(inbox, "hong.xlsx", b"PK\x03\x04 not really a zip")
    _drop(inbox, "khong-dong-nao-dung.csv", _report(codes[5:8], 19, bad={c: "x" for c in codes[5:8]}))
    _drop(inbox, "cot-la.csv", "Cột A,Cột B\n1,2\n")
    summary = _run(inbox, store, resolver)
    assert {o.name: o.state for o in summary.outcomes} == {
        "hong.xlsx": "failed",
        "khong-dong-nao-dung.csv": "failed",
        "cot-la.csv": "failed",
    }
    assert summary.failed and (len(store.batches()), store.count_reports(), store.revision()) == before
    assert _filed(inbox, "failed") == ["cot-la.csv", "hong.xlsx", "khong-dong-nao-dung.csv"] and _left(inbox) == []
    reports = {o.name: o.report.read_text(encoding="utf-8") for o in summary.outcomes}
    assert all("KHÔNG NHẬP" in text and "Kho dữ liệu không thay đổi" in text for text in reports.values())
    assert "không phải tệp bảng tính .xlsx hợp lệ" in reports["hong.xlsx"]
    assert "chưa xác định cột" in reports["cot-la.csv"]
    assert "dòng 2, cột “Đã hoàn thành”" in reports["khong-dong-nao-dung.csv"]


def test_files_still_being_written_are_left_for_the_next_run(tmp_path, store, resolver, codes):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fresh = _drop(inbox, "dang-ghi.csv", _report(codes[:4], 18), age=5)
    _drop(inbox, ".dang-tai.csv.x1.part", _report(codes[4:8], 18))  # write_atomic's temporary name
    _drop(inbox, "bao-cao.xlsx.crdownload", b"partial")
    _drop(inbox, "~$bao-cao.xlsx", b"lock")
    summary = _run(inbox, store, resolver, settle=60)
    assert [(o.name, o.state) for o in summary.outcomes] == [("dang-ghi.csv", "waiting")]
    assert store.is_empty() and fresh.exists()
    later = _run(inbox, store, resolver, settle=60, clock=lambda: time.time() + 120)
    assert [(o.name, o.state) for o in later.outcomes] == [("dang-ghi.csv", "imported")]
    assert store.count_reports() == 4
    assert _left(inbox) == sorted([".dang-tai.csv.x1.part", "bao-cao.xlsx.crdownload", "~$bao-cao.xlsx"])


def test_cli_second_run_imports_zero_rows(tmp_path, url, codes, capsys):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _drop(inbox, "a.csv", _report(codes[:12], 18))
    assert cli.main(["ingest-dir", str(inbox), "--db", url, "--settle", "0"]) == 0
    assert "đã nhập 1 (12 báo cáo)" in capsys.readouterr().out
    assert cli.main(["ingest-dir", str(inbox), "--db", url, "--settle", "0"]) == 0
    assert "0 tệp — đã nhập 0 (0 báo cáo)" in capsys.readouterr().out
    assert StatusStore(url).count_reports() == 12
    _drop(inbox, "hong.csv", b"\xff\xfe\x00garbage\x81")
    assert cli.main(["ingest-dir", str(inbox), "--db", url, "--settle", "0"]) == 1  # a failure tells cron
    assert cli.main(["ingest-dir", str(tmp_path / "khong-co"), "--db", url]) == 2


# One run of ingest-dir in its own process. It builds the resolver first (seconds), then waits for the signal
# file, so that all runs reach the inbox at the same moment instead of the first one ready taking everything.
_RACER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from lib.lookup.resolve import UnitResolver
    from lib.status import intake
    from lib.status.store import StatusStore
    resolver = UnitResolver.from_geodata()
    store = StatusStore(sys.argv[3])
    go = Path(sys.argv[1])
    print("READY", flush=True)
    while not go.exists():
        time.sleep(0.002)
    summary = intake.ingest_dir(Path(sys.argv[2]), store, resolver, settle=0)
    print(summary.render(), flush=True)
""")


def test_concurrent_runs_import_each_file_once(tmp_path, url, codes):
    StatusStore(url).close()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    contents = {f"bc-{i}.csv": _report(codes[i * 6 : i * 6 + 6], 10 + i) for i in range(8)}
    for name, text in contents.items():
        _drop(inbox, name, text)
    _drop(inbox, "bc-0-ban-sao.csv", contents["bc-0.csv"])  # same content, another name
    _drop(inbox, "hong.xlsx", b"not a workbook")
    script, go = tmp_path / "racer.py", tmp_path / "go"
    script.write_text(_RACER.format(root=str(ROOT)), encoding="utf-8")
    runs = [
        subprocess.Popen(
            [sys.executable, str(script), str(go), str(inbox), url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for run in runs:  # every run ready (resolver built, store open) before the signal
        assert run.stdout.readline().strip() == "READY", run.stderr.read()
    go.touch()
    outputs = [r.communicate(timeout=300) for r in runs]
    assert all(r.returncode == 0 for r in runs), [err[-2000:] for _, err in outputs]
    store = StatusStore(url)
    batches = store.batches()
    per_content = batches.groupby("source_sha256").size()
    assert len(batches) == len(contents) and (per_content == 1).all(), batches[["id", "source_name", "imported_by"]]
    assert store.count_reports() == 6 * len(contents)
    # every file filed exactly once: each good one in done/, the broken one in failed/, nothing left
    assert _filed(inbox, "done") == sorted([*contents, "bc-0-ban-sao.csv"])
    assert _filed(inbox, "failed") == ["hong.xlsx"] and _left(inbox) == []
    imported = sum(out.count(": đã nhập — ") for out, _ in outputs)
    assert imported == len(contents), outputs
    print("batches by run:", batches.groupby("imported_by").size().to_dict(),
          "outcomes:", {state: sum(out.count(f": {label}") for out, _ in outputs)
                        for state, label in intake.STATE_LABELS.items()})  # fmt: skip


def test_revision_changes_when_an_earlier_batch_commits_last(pg_url):
    """PostgreSQL hands out batch ids when rows are inserted: a batch with a lower id can commit after one
    with a higher id. The cache key must still change when it does (two app instances, one database)."""
    url = emptied_pg(pg_url)
    slow, quick, reader = StatusStore(url), StatusStore(url), StatusStore(url)
    frame = pd.DataFrame(
        {
            "level": "commune",
            "unit_code": ["00004"] * 3,
            "as_of": pd.Timestamp("2025-11-20 15:00", tz=LOCAL_TZ),
            "tasks_total": 10,
            "tasks_done": 5,
            "tasks_overdue": 0,
            "centre_state": "operating",
            "gaps": "",
            "note": "",
            "via_old_code": "",
        }
    )
    inserted, release = threading.Event(), threading.Event()

    def hold(done, total):  # called inside the open transaction, after the batch row got its id
        inserted.set()
        assert release.wait(60)

    def write_slowly():
        slow.append(frame, imported_by="slow", source_name="s.csv", source_sha256="1" * 64, progress=hold, chunk_size=1)

    thread = threading.Thread(target=write_slowly)
    thread.start()
    assert inserted.wait(60)
    quick.append(frame, imported_by="quick", source_name="q.csv", source_sha256="2" * 64)
    seen = reader.revision()
    assert reader.batches()["imported_by"].tolist() == ["quick"]
    release.set()
    thread.join(60)
    ids = reader.batches().set_index("imported_by")["id"]
    assert ids["slow"] < ids["quick"]  # the slow batch has the lower id and committed last
    assert reader.revision() != seen
    for opened in (slow, quick, reader):
        opened.close()
    emptied_pg(url)


def test_a_file_stored_but_not_moved_is_filed_by_a_later_run(tmp_path, store, resolver, codes):
    """A run that stopped between storing a file and moving it leaves the file and its claim: another run
    leaves it alone while the claim is fresh (its owner may be moving it), then files it as imported."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = _report(codes[:7], 18)
    _drop(inbox, "bc.csv", text)
    (first,) = _run(inbox, store, resolver).outcomes
    assert first.state == "imported"
    _drop(inbox, "bc.csv", text)  # as if the run had died before moving it
    (fresh,) = _run(inbox, store, resolver).outcomes
    assert fresh.state == "taken" and (inbox / "bc.csv").exists()
    (stale,) = _run(inbox, store, resolver, stale_claim=0).outcomes
    assert stale.state == "duplicate" and stale.batch == first.batch and not (inbox / "bc.csv").exists()
    assert f"lô {first.batch}" in stale.report.read_text(encoding="utf-8")
    assert store.count_reports() == 7 and len(store.batches()) == 1
