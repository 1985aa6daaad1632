"""Unattended daily intake: import every new report file of a folder once, file it, and say what happened.

``python -m lib.cli ingest-dir INBOX --db URL`` runs :func:`ingest_dir`, typically from cron or a systemd
timer. :func:`check_inbox` first makes sure files can be moved out of ``INBOX`` into ``done/`` and
``failed/`` and reports written there; otherwise nothing is done (exit code 2). Then for each regular
file directly in ``INBOX`` (hidden files, ``~$`` lock files and ``.part``/``.tmp``/``.crdownload`` names
are never touched; folders, FIFOs and other special files are left alone):

* a symbolic link is never followed: it is reported and left where it is (files are opened with
  ``O_NOFOLLOW`` and checked to be regular files once open, so a link swapped in is not read either);
* a file modified less than ``settle`` seconds ago, or whose size or time changes while it is read, is
  left for the next run (it may still be being written or copied);
* a file whose content (SHA-256) was imported before is moved to ``done/`` with a report naming the batch
  (and its revocation, when that batch was revoked: a corrected file, with another content, is imported);
* otherwise it is read, mapped and checked as ``python -m lib.cli ingest`` does, and its valid rows are
  stored as one batch (the same rule as the command and the status page: valid rows are imported, the
  issues reported). It is moved to ``done/``, or to ``failed/`` when nothing could be stored (not a
  sheet, columns not recognised, no valid row, not readable); the store is then unchanged.

Files are filed under a generated name: the time, then the original name made safe (bytes that are not
UTF-8 and control characters replaced, NFC, cut so that the name and its reports fit in 255 bytes); the
original name is written in the report. Beside each moved file a ``.bao-cao.txt`` report says what was
done, and a ``.loi.csv`` lists every issue (row, column, message). A file that is not recognised as a
report is never quoted: its report says what kind of problem and where (line, counts), never its cells.
One file never stops the run: whatever goes wrong with it is its outcome, and the next file is taken.
The store claims each file's content inside the transaction that stores it
(``StatusStore.append(claim=...)``: a primary key in the database), so two runs at once, on one machine
or several sharing the database, never import a file twice, even one that cannot be moved; the file
system is only used to move files.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import socket
import stat
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from lib.core.vocab import LOCAL_TZ
from lib.data.i18n import format_int
from lib.io.export import frame_csv_bytes
from lib.io.files import display_name, write_atomic
from lib.lookup.resolve import UnitResolver
from lib.status import importer
from lib.status.store import AlreadyClaimed, StatusStore, StoreError, describe_revocation

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
    "link": "là liên kết tượng trưng — không đọc, để nguyên",
}
LOOK_STATES = ("failed", "link")  # outcomes the operator must look at: the run's exit code is 1
# A filed name is at most this many bytes, so that it plus ".bao-cao.txt" (12) plus write_atomic's
# temporary wrapping (".NAME.XXXXXXXX.part", 15 more) stays under the 255 bytes of a file name.
FILED_NAME_BYTES = 200
# What a file that read_sheet refused was, keyed by a phrase of lib.io.sheets' and the importer's
# messages, in this order; the messages themselves may quote the file (a header, a sheet's name, a
# library's error text), so the intake only says which kind of problem it was (and the line, if any).
READ_PROBLEMS = (
    ("tệp rỗng", "tệp rỗng"),
    ("PDF hoặc ảnh", "là tệp PDF hoặc ảnh, không phải bảng tính"),
    ("Excel cũ", "là tệp Excel cũ (.xls, Excel 97-2003), chưa được hỗ trợ — hãy lưu lại thành .xlsx"),
    ("trang web", "là một trang web lưu với đuôi bảng tính, không phải tệp Excel thật"),
    ("XML Spreadsheet", "là tệp XML Spreadsheet 2003, không phải tệp Excel thật"),
    ("không phải tệp bảng tính .xlsx hợp lệ", "không phải tệp bảng tính .xlsx hợp lệ"),
    ("công thức", "có ô công thức chưa có giá trị đã tính — mở và lưu lại bằng Excel hoặc LibreOffice"),
    (".xlsx", "tệp .xlsx bị hỏng hoặc thiếu phần"),
    ("UTF-16", "tệp đánh dấu UTF-16 nhưng nội dung hỏng"),
    ("UTF-8", "không phải UTF-8 (bảng mã cũ) — hãy lưu lại dạng CSV UTF-8"),
    ("không phải bảng tính", "không phải bảng tính (CSV hoặc XLSX)"),
    ("CSV", "không đọc được như CSV — kiểm tra dấu phân cách và dấu ngoặc kép"),
    ("không có ô nào", "tệp không có ô nào có dữ liệu"),
    ("chỉ có dòng tiêu đề", "chỉ có dòng tiêu đề, không có dòng dữ liệu nào"),
)


class IntakeError(Exception):
    """The run cannot start (the inbox is not a writable folder, done/ or failed/ cannot be made): nothing is done."""


@dataclass
class Outcome:
    """What happened to one file of the inbox (``name``: its name as it may be shown, see ``display_name``)."""

    name: str
    state: str  # "imported" | "duplicate" | "failed" | "waiting" | "taken" | "link"
    message: str = ""
    batch: int | None = None
    records: int = 0
    issues: int = 0
    moved_to: Path | None = None
    report: Path | None = None
    problem: str = ""  # the file could not be filed (moved, or its report written): the operator must look


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
        """True when a file failed, is a link, or could not be filed: the operator must look (exit code 1)."""
        return any(o.state in LOOK_STATES or o.problem for o in self.outcomes)

    def render(self) -> str:
        """Vietnamese summary: one line per file, then the totals."""
        lines = [
            f"{o.name}: {STATE_LABELS[o.state]}" + "".join(f" — {text}" for text in (o.message, o.problem) if text)
            for o in self.outcomes
        ]
        lines.append(
            f"{display_name(self.inbox)}: {format_int(len(self.outcomes))} tệp — đã nhập {self.count('imported')} "
            f"({format_int(self.records)} báo cáo), lỗi {self.count('failed')}, đã nhập trước đây "
            f"{self.count('duplicate')}, chờ lần sau {self.count('waiting')}, lần chạy khác xử lý "
            f"{self.count('taken')}, liên kết không đọc {self.count('link')}"
            + (f", không chuyển được {stuck}" if (stuck := sum(1 for o in self.outcomes if o.problem)) else "")
        )
        return "\n".join(lines)


def worker_name() -> str:
    """Who imports, as stored with each batch and claim: this host and process."""
    return f"ingest-dir@{socket.gethostname()}:{os.getpid()}"


def check_inbox(inbox: Path) -> None:
    """Make sure files can be moved out of ``inbox`` and filed in done/ and failed/ (created if missing).

    Runs before anything is stored: a write probe in each folder (permission bits alone do not say
    what root may do, nor whether the file system is read-only). done/ and failed/ must be real
    folders, not links. Raises :class:`IntakeError` with a Vietnamese message.
    """
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise IntakeError(f"{display_name(inbox)}: không phải thư mục")
    for folder in (inbox, inbox / DONE, inbox / FAILED):
        try:
            if folder != inbox:
                if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                    raise IntakeError(
                        f"{display_name(folder)}: không phải thư mục (là tệp hoặc liên kết tượng trưng) — "
                        "không nhập gì; hãy xoá hoặc đổi tên nó để lần chạy sau tạo thư mục"
                    )
                folder.mkdir(exist_ok=True)
            handle, probe = tempfile.mkstemp(dir=folder, prefix=".ingest-dir-probe-", suffix=".tmp")
            os.close(handle)
            os.unlink(probe)
        except OSError as err:
            raise IntakeError(
                f"{display_name(folder)}: không ghi được ({err.strerror or err}) — không nhập gì; thư mục nhận "
                f"và {DONE}/, {FAILED}/ phải ghi được để chuyển tệp và viết báo cáo"
            ) from None


def candidates(inbox: Path) -> list[Path]:
    """Regular files and symbolic links directly in ``inbox`` that intake looks at, in name order.

    Folders, FIFOs, sockets and devices, hidden and temporary names are left out; links are listed
    (never followed) so that the run can report them.
    """
    with os.scandir(inbox) as entries:
        return sorted(
            Path(inbox) / e.name
            for e in entries
            if (e.is_symlink() or e.is_file(follow_symlinks=False))
            and not e.name.startswith(SKIP_PREFIXES)
            and not e.name.lower().endswith(SKIP_SUFFIXES)
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
    times from above (default: the clock of the importer). Raises :class:`IntakeError` (nothing done)
    when the inbox cannot be used or ``imported_by`` is too long, and :class:`StoreError` when the
    database fails: that stops the run, since no file is to blame; anything else that goes wrong with
    one file is that file's outcome.
    """
    inbox = Path(inbox)
    who = (imported_by or worker_name()).strip()
    if not who or len(who) > importer.MAX_IMPORTER:
        raise IntakeError(f"Tên người nhập phải có từ 1 đến {importer.MAX_IMPORTER} ký tự (đang có {len(who)})")
    check_inbox(inbox)
    store.ensure_intake()
    summary = IntakeSummary(inbox)
    resolved: list[UnitResolver] = []

    def get_resolver() -> UnitResolver:
        if not resolved:
            resolved.append(resolver if isinstance(resolver, UnitResolver) else resolver())
        return resolved[0]

    for path in candidates(inbox):
        try:
            outcome = _one_file(
                path, get_resolver, store=store, who=who, settle=settle, stale_claim=stale_claim, clock=clock, now=now
            )
        except StoreError:
            raise
        except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as err:  # the database, not the file
            detail = (str(getattr(err, "orig", None) or err).strip().splitlines() or [type(err).__name__])[0]
            raise StoreError(
                f"Lỗi cơ sở dữ liệu {store!r} khi xử lý tệp {display_name(path.name)}: {store.redact(detail)} — "
                "dừng lần chạy; các tệp chưa xử lý để nguyên"
            ) from None
        except Exception as err:  # noqa: BLE001 - one file never stops the run; its text is not quoted
            outcome = _file(
                path,
                Outcome(display_name(path.name), "failed", f"lỗi không lường trước ({type(err).__name__})"),
                store=store,
                who=who,
            )
        summary.outcomes.append(outcome)
    return summary


def _one_file(path: Path, get_resolver, *, store: StatusStore, who: str, settle, stale_claim, clock, now) -> Outcome:
    name = display_name(path.name)
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        return Outcome(name, "taken", "tệp đã được lần chạy khác chuyển đi")
    if stat.S_ISLNK(before.st_mode):
        return Outcome(name, "link")
    age = clock() - before.st_mtime
    if age < settle:
        return Outcome(name, "waiting", f"sửa đổi cách đây {age:.0f} giây (< {settle:.0f} giây)")
    try:
        data = _read_regular(path, name, before)
    except FileNotFoundError:
        return Outcome(name, "taken", "tệp đã được lần chạy khác chuyển đi")
    except _Changed as changed:
        return Outcome(name, "waiting" if changed.args[0] != "link" else "link", changed.args[1])
    except importer.SheetError as err:  # LimitError: too big to read
        return _file(path, Outcome(name, "failed", str(err)), store=store, who=who)
    except OSError as err:
        return _file(path, Outcome(name, "failed", f"không đọc được tệp ({err.strerror or err})"), store=store, who=who)
    sha = hashlib.sha256(data).hexdigest()
    earlier = _earlier(store, sha)
    if earlier is not None:
        return _imported_before(path, earlier, store=store, who=who, sha=sha, stale_claim=stale_claim)
    try:
        sheet = importer.read_sheet(data, name=name, deadline=importer.Deadline(what="nhập báo cáo"))
        mapping = importer.guess_mapping(list(sheet.frame.columns))
        missing = mapping.missing(has_default_as_of=False)
        if missing:
            return _file(
                path, Outcome(name, "failed", _unmapped(sheet, mapping, missing)), store=store, who=who, sha=sha
            )
        report = importer.validate(sheet, mapping, get_resolver(), now=now)
    except importer.SheetError as err:
        return _file(path, Outcome(name, "failed", read_problem(err, name)), store=store, who=who, sha=sha)
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


class _Changed(Exception):
    """The file changed under the reader: ("waiting", why) to try again next run, ("link", why) never read."""


def _read_regular(path: Path, name: str, seen: os.stat_result) -> bytes:
    """The bytes of the regular file ``path``, never through a link (O_NOFOLLOW, then fstat on what was opened).

    Raises :class:`_Changed` when ``path`` is (now) a link, not a regular file or not the file ``seen``
    (its lstat), or changed while read; ``LimitError`` when it is too big; ``OSError`` when it cannot be read.
    """
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _Changed("link", "") from None
        raise
    with os.fdopen(handle, "rb") as stream:
        before = os.fstat(handle)
        if not stat.S_ISREG(before.st_mode) or (before.st_dev, before.st_ino) != (seen.st_dev, seen.st_ino):
            raise _Changed("waiting", "tệp vừa bị thay bằng tệp khác hoặc không còn là tệp thường — để nguyên")
        importer.check_file_size(before.st_size, name)
        data = stream.read(before.st_size + 1)
        after = os.fstat(handle)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or len(data) != after.st_size:
        raise _Changed("waiting", "tệp thay đổi trong khi đọc")
    return data


def read_problem(err: importer.SheetError, name: str) -> str:
    """What kind of problem made ``read_sheet`` refuse a file, without quoting anything of the file.

    A limit (size, rows, time) is said as it is: its message holds only sizes, counts and the variable
    to raise. Other messages are reduced to the kind of problem (:data:`READ_PROBLEMS`) and a line number.
    """
    if isinstance(err, importer.LimitError):
        return str(err)
    text = str(err).removeprefix(f"{name}: ").split(" — ", 1)[0]
    kind = next((label for phrase, label in READ_PROBLEMS if phrase in text), "không đọc được như bảng tính")
    line = re.search(r"dòng (\d+)", text)
    return f"{name}: {kind}" + (f" (dòng {line.group(1)})" if line else "")


def _unmapped(sheet: importer.Sheet, mapping: importer.Mapping, missing: list[str]) -> str:
    """Columns not recognised, said with counts and the header's line, never the header's text."""
    return (
        f"{sheet.name}: chưa xác định cột cho: {'; '.join(missing)} — tiêu đề ở dòng {sheet.header_row} có "
        f"{len(sheet.frame.columns)} cột, nhận ra {len(mapping.columns)}; dùng tiêu đề của mẫu báo cáo "
        "(python -m lib.cli template)"
    )


def _imported_before(path: Path, earlier, *, store: StatusStore, who: str, sha: str, stale_claim: float) -> Outcome:
    """A file whose content is stored already: left to the run that is filing it, or filed as a duplicate.

    The same file (same name) claimed moments ago by another run is that run's to move; the same
    content under another name, or a claim older than ``stale_claim`` seconds (its run stopped between
    storing and moving the file), is moved to done/ here with a report naming the batch.
    """
    name = display_name(path.name)
    batch, when, by, source = earlier if earlier is not None else (None, None, "?", "")
    same_file = source == name or source.startswith(f"{name} [")
    if same_file and when is not None and (pd.Timestamp.now(tz="UTC") - when).total_seconds() < stale_claim:
        return Outcome(name, "taken", f"vừa được {display_name(by)} nhập ở lô {batch}")
    revoked = store.revocations()
    revoked = revoked[revoked["batch_id"] == batch]
    note = f"; lô đó {describe_revocation(revoked.iloc[0])}" if len(revoked) else ""
    message = f"cùng nội dung đã được nhập ở lô {batch} (tệp “{display_name(source)}”){note} — không nhập lại"
    return _file(path, Outcome(name, "duplicate", message, batch=batch), store=store, who=who, sha=sha)


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
    """Move ``path`` to done/ or failed/ under a safe name and write its report beside it.

    Another run moving it first wins. When it cannot be moved, it stays in the inbox, the report is
    still written (under the name it would have had) and :attr:`Outcome.problem` says so; a stored
    file's content is claimed, so later runs do not import it again.
    """
    folder = path.parent / (FAILED if outcome.state == "failed" else DONE)
    stamp = dt.datetime.now(LOCAL_TZ)
    target = _free_name(folder, filed_name(path.name, stamp))
    try:
        os.rename(path, target)
    except FileNotFoundError:
        if outcome.state != "imported":  # another run filed it; this run stored nothing
            return Outcome(outcome.name, "taken", "tệp đã được lần chạy khác chuyển đi")
        # this run stored it: the report still says so, under the name the file would have had
    except OSError as err:
        outcome.problem = (
            f"không chuyển được vào {folder.name}/ ({err.strerror or err}), tệp để nguyên trong thư mục nhận"
            + (
                "; nội dung đã được ghi nhận nên các lần chạy sau không nhập lại"
                if outcome.state in ("imported", "duplicate")
                else ""
            )
        )
    else:
        outcome.moved_to = target
    try:
        report_path = write_atomic(
            target.with_name(target.name + REPORT_SUFFIX),
            _report_text(path.name, target, outcome, stamp, who=who, sha=sha, report=report, store=store),
        )
        if report is not None and report.issues:
            write_atomic(target.with_name(target.name + ISSUES_SUFFIX), issues_csv(report))
    except OSError as err:
        outcome.problem = "; ".join(filter(None, [outcome.problem, f"không ghi được báo cáo ({err.strerror or err})"]))
    else:
        outcome.report = report_path
    return outcome


def filed_name(name: str, stamp: dt.datetime) -> str:
    """The name a file is filed under: the time, then ``name`` made safe and cut to :data:`FILED_NAME_BYTES`.

    Bytes that are not UTF-8, control and invisible formatting characters become ``_``; the text is
    NFC (as a Mac's NFD names are shown); the suffix (.csv, .xlsx) is kept and the stem cut at a
    character boundary, leaving room for the ``-N`` a clash adds.
    """
    text = unicodedata.normalize("NFC", os.fsencode(name).decode("utf-8", "replace"))
    safe = "".join(ch if ch.isprintable() and ch not in "\ufffd/\\" else "_" for ch in text)
    stem, suffix = os.path.splitext(safe)
    if len(suffix.encode()) > 16:
        stem, suffix = safe, ""
    prefix = f"{stamp:%Y%m%d-%H%M%S}-"
    room = FILED_NAME_BYTES - len(prefix.encode()) - len(suffix.encode()) - 8  # 8: "-N" of _free_name
    stem = stem.encode()[:room].decode("utf-8", "ignore") or "tep"
    return f"{prefix}{stem}{suffix}"


def _free_name(folder: Path, name: str) -> Path:
    target, number = folder / name, 1
    while os.path.lexists(target) or os.path.lexists(target.with_name(target.name + REPORT_SUFFIX)):
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
    original: str,
    target: Path,
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
        f"Nhập báo cáo tự động: {outcome.name}",
        f"Tên tệp gốc: {display_name(original)} ({len(os.fsencode(original))} byte)",
        f"Lưu thành: {target.name}"
        if outcome.moved_to
        else f"Tệp không được chuyển: {outcome.problem or 'lần chạy khác đã chuyển đi'}",
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
                f"Danh sách lỗi đầy đủ (dòng, cột, nội dung): tệp {target.name}{ISSUES_SUFFIX} bên cạnh.",
                "Sửa các dòng lỗi rồi đặt lại vào thư mục nhận một tệp chỉ gồm các dòng đã sửa.",
            ]
    elif outcome.state == "failed":
        lines += ["", "Sửa tệp (hoặc dùng mẫu: python -m lib.cli template) rồi đặt lại vào thư mục nhận."]
    return ("\n".join(lines) + "\n").encode("utf-8")
