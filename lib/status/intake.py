"""Unattended daily intake: import every new report file of a folder once, file it, and say what happened.

``python -m lib.cli ingest-dir INBOX --db URL`` runs :func:`ingest_dir`, typically from cron or a systemd
timer. For each file directly in ``INBOX`` (hidden files, ``~$`` lock files and ``.part``/``.tmp``/
``.crdownload`` names are never touched):

* a file modified less than ``settle`` seconds ago, or whose size or time changes while it is read, is
  left for the next run (it may still be being written or copied);
* a file whose content (SHA-256) was imported before is moved to ``done/`` with a report naming the batch
  (and its revocation, when that batch was revoked: a corrected file, with another content, is imported);
* otherwise it is read, mapped and checked as ``python -m lib.cli ingest`` does, and its valid rows are
  stored as one batch (the same rule as the command and the status page: valid rows are imported, the
  issues reported). It is moved to ``done/``, or to ``failed/`` when nothing could be stored (not a
  sheet, columns not recognised, no valid row); the store is then unchanged.

Beside each moved file a ``.bao-cao.txt`` report says what was done, and a ``.loi.csv`` lists every issue
(row, column, message). The store claims each file's content inside the transaction that stores it
(``StatusStore.append(claim=...)``: a primary key in the database), so two runs at once, on one machine
or several sharing the database, never import a file twice; the file system is only used to move files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lib.data.i18n import LOCAL_TZ, format_int
from lib.io.export import frame_csv_bytes
from lib.io.files import write_atomic
from lib.lookup.resolve import UnitResolver
from lib.status import importer
from lib.status.store import AlreadyClaimed, StatusStore, describe_revocation

DONE, FAILED = "done", "failed"
SETTLE_SECONDS = 60.0  # a file modified more recently than this may still be being written
STALE_CLAIM_SECONDS = 300.0  # a claimed file still in the inbox after this: its importer stopped before moving it
SKIP_PREFIXES = (".", "~$")
SKIP_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".swp")
REPORT_SUFFIX = ".bao-cao.txt"
ISSUES_SUFFIX = ".loi.csv"
KIND_LABELS = {
    "unknown": "không rõ đơn vị",
    "ambiguous": "nhiều khả năng",
    "invalid": "giá trị sai",
    "duplicate": "trùng",
}
STATE_LABELS = {
    "imported": "đã nhập",
    "duplicate": "đã nhập trước đây",
    "failed": "lỗi, không nhập",
    "waiting": "chờ lần sau (đang ghi)",
    "taken": "lần chạy khác đang xử lý",
}


@dataclass
class Outcome:
    """What happened to one file of the inbox."""

    name: str
    state: str  # "imported" | "duplicate" | "failed" | "waiting" | "taken"
    message: str = ""
    batch: int | None = None
    records: int = 0
    issues: int = 0
    moved_to: Path | None = None
    report: Path | None = None


@dataclass
class IntakeSummary:
    """Every file the run looked at, in name order."""

    inbox: Path
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)

    @property
    def records(self) -> int:
        """Reports stored by this run."""
        return sum(o.records for o in self.outcomes if o.state == "imported")

    @property
    def failed(self) -> bool:
        return self.count("failed") > 0

    def render(self) -> str:
        """Vietnamese summary: one line per file, then the totals."""
        lines = [f"{o.name}: {STATE_LABELS[o.state]}" + (f" — {o.message}" if o.message else "") for o in self.outcomes]
        lines.append(
            f"{self.inbox}: {format_int(len(self.outcomes))} tệp — đã nhập {self.count('imported')} "
            f"({format_int(self.records)} báo cáo), lỗi {self.count('failed')}, đã nhập trước đây "
            f"{self.count('duplicate')}, chờ lần sau {self.count('waiting')}, lần chạy khác xử lý {self.count('taken')}"
        )
        return "\n".join(lines)


def worker_name() -> str:
    """Who imports, as stored with each batch and claim: this host and process."""
    return f"ingest-dir@{socket.gethostname()}:{os.getpid()}"


def candidates(inbox: Path) -> list[Path]:
    """Files directly in ``inbox`` that intake may take, in name order (sub-folders and temporary names left)."""
    return sorted(
        p
        for p in inbox.iterdir()
        if p.is_file() and not p.name.startswith(SKIP_PREFIXES) and not p.name.lower().endswith(SKIP_SUFFIXES)
    )


def ingest_dir(
    inbox: Path,
    store: StatusStore,
    resolver: UnitResolver | Callable[[], UnitResolver],
    *,
    imported_by: str | None = None,
    settle: float = SETTLE_SECONDS,
    stale_claim: float = STALE_CLAIM_SECONDS,
    clock: Callable[[], float] = time.time,
    now: dt.datetime | None = None,
) -> IntakeSummary:
    """Import every new file of ``inbox`` once into ``store`` and file it under done/ or failed/.

    ``resolver`` may be a function making one, called at the first file that needs it. ``clock``
    gives the time files' ages are measured against (seconds since the epoch); ``now`` bounds report
    times from above (default: the clock of the importer).
    """
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise FileNotFoundError(2, "không có thư mục", str(inbox))
    store.ensure_intake()
    who = imported_by or worker_name()
    summary = IntakeSummary(inbox)
    resolved: list[UnitResolver] = []

    def get_resolver() -> UnitResolver:
        if not resolved:
            resolved.append(resolver if isinstance(resolver, UnitResolver) else resolver())
        return resolved[0]

    for path in candidates(inbox):
        summary.outcomes.append(
            _one_file(path, store, get_resolver, who=who, settle=settle, stale_claim=stale_claim, clock=clock, now=now)
        )
    return summary


def _one_file(path: Path, store: StatusStore, get_resolver, *, who, settle, stale_claim, clock, now) -> Outcome:
    name = path.name
    try:
        before = path.stat()
    except FileNotFoundError:
        return Outcome(name, "taken", "tệp đã được lần chạy khác chuyển đi")
    age = clock() - before.st_mtime
    if age < settle:
        return Outcome(name, "waiting", f"sửa đổi cách đây {age:.0f} giây (< {settle:.0f} giây)")
    try:
        importer.check_file_size(before.st_size, name)
        data = path.read_bytes()
        after = path.stat()
    except FileNotFoundError:
        return Outcome(name, "taken", "tệp đã được lần chạy khác chuyển đi")
    except importer.SheetError as err:  # LimitError: too big to read
        return _file(path, Outcome(name, "failed", str(err)), store=store, who=who)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or len(data) != after.st_size:
        return Outcome(name, "waiting", "tệp thay đổi trong khi đọc")
    sha = hashlib.sha256(data).hexdigest()
    earlier = _earlier(store, sha)
    if earlier is not None:
        return _imported_before(path, earlier, store=store, who=who, sha=sha, stale_claim=stale_claim)
    try:
        sheet = importer.read_sheet(data, name=name, deadline=importer.Deadline(what="nhập báo cáo"))
        mapping = importer.guess_mapping(list(sheet.frame.columns))
        report = importer.validate(sheet, mapping, get_resolver(), now=now)
    except importer.SheetError as err:
        return _file(path, Outcome(name, "failed", str(err)), store=store, who=who, sha=sha)
    if not report.ok:
        why = "không có dòng hợp lệ nào" if sum(report.counts.values()) else "không có dòng nào có số liệu"
        outcome = Outcome(name, "failed", f"{why} — không ghi gì", issues=len(report.issues))
        return _file(path, outcome, store=store, who=who, sha=sha, report=report)
    try:
        batch = importer.commit(store, report, imported_by=who, claim=who)
    except (AlreadyClaimed, importer.AlreadyImported):  # imported by another run since our check
        earlier = _earlier(store, sha)
        return _imported_before(path, earlier, store=store, who=who, sha=sha, stale_claim=stale_claim)
    outcome = Outcome(
        name,
        "imported",
        f"lô {batch}: {format_int(len(report.records))} báo cáo"
        + (f", {format_int(len(report.issues))} lỗi (các dòng lỗi không được nhập)" if report.issues else ""),
        batch=batch,
        records=len(report.records),
        issues=len(report.issues),
    )
    return _file(path, outcome, store=store, who=who, sha=sha, report=report)


def _imported_before(path: Path, earlier, *, store: StatusStore, who: str, sha: str, stale_claim: float) -> Outcome:
    """A file whose content is stored already: left to the run that is filing it, or filed as a duplicate.

    The same file (same name) claimed moments ago by another run is that run's to move; the same
    content under another name, or a claim older than ``stale_claim`` seconds (its run stopped between
    storing and moving the file), is moved to done/ here with a report naming the batch.
    """
    batch, when, by, source = earlier if earlier is not None else (None, None, "?", "")
    same_file = source == path.name or source.startswith(f"{path.name} [")
    if same_file and when is not None and (pd.Timestamp.now(tz="UTC") - when).total_seconds() < stale_claim:
        return Outcome(path.name, "taken", f"vừa được {by} nhập ở lô {batch}")
    revoked = store.revocations()
    revoked = revoked[revoked["batch_id"] == batch]
    note = f"; lô đó {describe_revocation(revoked.iloc[0])}" if len(revoked) else ""
    message = f"cùng nội dung đã được nhập ở lô {batch} (tệp “{source}”){note} — không nhập lại"
    return _file(path, Outcome(path.name, "duplicate", message, batch=batch), store=store, who=who, sha=sha)


def _earlier(store: StatusStore, sha: str) -> tuple[int | None, pd.Timestamp | None, str, str] | None:
    """(batch, claimed at, by whom, source name) when this content was imported before; None when it is new."""
    claim = store.intake_claim(sha)
    if claim is not None:
        return claim["batch_id"], claim["claimed_at"], claim["claimed_by"], claim["source_name"]
    batches = store.batches()
    same = batches[(batches["source_sha256"] == sha) & ~batches["is_demo"].astype(bool)]
    if same.empty:
        return None
    first = same.iloc[-1]
    return int(first["id"]), None, str(first["imported_by"]), str(first["source_name"])


def _file(
    path: Path,
    outcome: Outcome,
    *,
    store: StatusStore,
    who: str,
    sha: str = "",
    report: importer.ValidationReport | None = None,
) -> Outcome:
    """Move ``path`` to done/ or failed/ and write its report beside it; another run moving it first wins."""
    folder = path.parent / (FAILED if outcome.state == "failed" else DONE)
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now(LOCAL_TZ)
    target = _free_name(folder, f"{stamp:%Y%m%d-%H%M%S}-{path.name}")
    try:
        os.rename(path, target)
    except FileNotFoundError:
        if outcome.state != "imported":  # another run filed it; this run stored nothing
            return Outcome(outcome.name, "taken", "tệp đã được lần chạy khác chuyển đi")
        # this run stored it: the report still says so, under the name the file would have had
    outcome.moved_to = target
    outcome.report = target.with_name(target.name + REPORT_SUFFIX)
    write_atomic(outcome.report, _report_text(path.name, outcome, stamp, who=who, sha=sha, report=report, store=store))
    if report is not None and report.issues:
        write_atomic(target.with_name(target.name + ISSUES_SUFFIX), issues_csv(report))
    return outcome


def _free_name(folder: Path, name: str) -> Path:
    target, number = folder / name, 1
    while target.exists() or target.with_name(target.name + REPORT_SUFFIX).exists():
        number += 1
        stem, dot, suffix = name.rpartition(".")
        target = folder / (f"{stem}-{number}.{suffix}" if dot else f"{name}-{number}")
    return target


def issues_csv(report: importer.ValidationReport) -> bytes:
    """Every issue of ``report`` as a CSV for people: kind, file row, column, message, candidate units."""
    frame = report.issues_frame()
    table = pd.DataFrame(
        {
            "Loại lỗi": frame["kind"].map(KIND_LABELS).fillna(frame["kind"]),
            "Dòng": frame["row"].astype("Int64"),
            "Cột": frame["column"],
            "Nội dung": frame["message"],
            "Đơn vị có thể là": frame["candidates"],
        }
    )
    return frame_csv_bytes(table)


def _report_text(
    name: str,
    outcome: Outcome,
    stamp: dt.datetime,
    *,
    who: str,
    sha: str,
    report: importer.ValidationReport | None,
    store: StatusStore,
) -> bytes:
    verdict = {
        "imported": f"ĐÃ NHẬP — {outcome.message}.",
        "duplicate": f"KHÔNG NHẬP LẠI — {outcome.message}. Kho dữ liệu không thay đổi.",
        "failed": f"KHÔNG NHẬP — {outcome.message}. Kho dữ liệu không thay đổi.",
    }[outcome.state]
    lines = [
        f"Nhập báo cáo tự động: {name}",
        f"Thời điểm xử lý: {stamp:%d/%m/%Y %H:%M:%S} (giờ Việt Nam), bởi {who}",
        f"Kho dữ liệu: {store!r}",
        f"Nội dung tệp (SHA-256): {sha or '—'}",
        f"Kết quả: {verdict}",
    ]
    if report is not None:
        lines += ["", "Kiểm tra từng dòng:", report.render(limit=1000)]
        if report.issues:
            lines += [
                "",
                f"Danh sách lỗi đầy đủ (dòng, cột, nội dung): tệp {outcome.moved_to.name}{ISSUES_SUFFIX} bên cạnh.",
                "Sửa các dòng lỗi rồi đặt lại vào thư mục nhận một tệp chỉ gồm các dòng đã sửa.",
            ]
    elif outcome.state == "failed":
        lines += ["", "Sửa tệp (hoặc dùng mẫu: python -m lib.cli template) rồi đặt lại vào thư mục nhận."]
    return ("\n".join(lines) + "\n").encode("utf-8")
