"""The status store: batches of reports appended (never overwritten) in SQLite or any SQLAlchemy database."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event

from lib.core.settings import ENV as SETTING_ENV
from lib.core.settings import STATUS_PATH, settings
from lib.core.vocab import LOCAL_TZ
from lib.data.i18n import format_int

DEFAULT_PATH = STATUS_PATH
ENV_URL = SETTING_ENV["status_db"]  # named in messages

LEVELS = ("province", "commune")
# Columns of a report as given to :meth:`StatusStore.append` (``via_old_code`` and ``source_row`` optional).
REPORT_COLUMNS = (
    "level",
    "unit_code",
    "as_of",
    "tasks_total",
    "tasks_done",
    "tasks_overdue",
    "centre_state",
    "gaps",
    "note",
    "via_old_code",
    "source_row",
)

metadata = sa.MetaData()

batches_table = sa.Table(
    "status_batch",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("imported_at", sa.DateTime, nullable=False, doc="UTC, naive"),
    sa.Column("imported_by", sa.String(200), nullable=False),
    sa.Column("source_name", sa.String(500), nullable=False),
    sa.Column("source_sha256", sa.String(64), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("is_demo", sa.Boolean, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)

reports_table = sa.Table(
    "status_report",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("status_batch.id"), nullable=False),
    sa.Column("level", sa.String(10), nullable=False),
    sa.Column("unit_code", sa.String(5), nullable=False, doc="code of the NEW unit"),
    sa.Column("as_of", sa.DateTime, nullable=False, doc="UTC, naive"),
    sa.Column("tasks_total", sa.Integer),
    sa.Column("tasks_done", sa.Integer),
    sa.Column("tasks_overdue", sa.Integer),
    sa.Column("centre_state", sa.String(16), nullable=False),
    sa.Column("gaps", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("via_old_code", sa.String(5), nullable=False, doc="old unit the row was keyed by, '' if new"),
    sa.Column("source_row", sa.Integer),
    sa.Index("ix_status_report_unit_time", "level", "unit_code", "as_of"),
    sa.Index("ix_status_report_batch", "batch_id"),
)

# A batch withdrawn after import (one row per batch, never deleted): its reports stay in the store and
# every reader ignores them (see :func:`_live_batches`). In ``metadata``: created on opening a store made
# before it existed.
MAX_REVOKER = 200
MAX_REASON = 1000
revocations_table = sa.Table(
    "status_revocation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("status_batch.id"), nullable=False, unique=True),
    sa.Column("revoked_at", sa.DateTime, nullable=False, doc="UTC, naive"),
    sa.Column("revoked_by", sa.String(MAX_REVOKER), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, doc=f"at most {MAX_REASON} characters"),
)


def _live_batches(*, include_demo: bool = True) -> sa.Select:
    """Ids of the batches readers use: every batch not revoked (and not demonstration data unless
    ``include_demo``). The one place that decides which reports count."""
    b = batches_table
    query = sa.select(b.c.id).where(b.c.id.not_in(sa.select(revocations_table.c.batch_id)))
    return query if include_demo else query.where(b.c.is_demo == sa.false())


# Files claimed by unattended intake (``python -m lib.cli ingest-dir``), one row per file content: the
# primary key makes "import this file" happen once across processes and machines sharing the database.
# In its own MetaData, created on first use by :meth:`StatusStore.ensure_intake`, so that opening a
# store never needs the right to create it; no foreign key, so dropping the report tables is not blocked.
intake_metadata = sa.MetaData()
intake_table = sa.Table(
    "status_intake",
    intake_metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("claimed_at", sa.DateTime, nullable=False, doc="UTC, naive"),
    sa.Column("claimed_by", sa.String(200), nullable=False, doc="host and process that imported the file"),
    sa.Column("source_name", sa.String(500), nullable=False),
    sa.Column("batch_id", sa.Integer, doc="the batch the file was stored as"),
)


class StoreError(Exception):
    """The store cannot be opened or written; the message says which database and what to do."""


class RevokeError(StoreError):
    """A batch cannot be revoked (unknown, revoked already, no reason given); the message says why."""


class AlreadyClaimed(StoreError):
    """A file with this content was imported already (by an intake run, or a real batch of the same SHA-256)."""

    def __init__(self, message: str, batch_id: int | None = None) -> None:
        super().__init__(message)
        self.batch_id = batch_id


def default_url() -> str:
    """The setting ``status_db`` (``$VNMAP_STATUS_DB``; default: the SQLite file data/status.sqlite under the
    project root)."""
    return settings().status_db


def mask_url(url: str | sa.URL) -> str:
    """``url`` as it may be printed or written: the password, and query values whose key names one, as ***.

    A text that does not parse as a URL (or a plain file path) keeps its scheme and what follows its
    last ``@``, without the query.
    """
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        text = str(url)
        prefix = text[: text.index("://") + 3] if "://" in text else ""
        rest = text[len(prefix) :]
        if "@" in rest:
            rest = "***@" + rest.rpartition("@")[2]
        if prefix and "?" in rest:
            rest = rest.partition("?")[0] + "?…"
        return prefix + rest
    hidden = {key: "***" for key in parsed.query if _names_secret(key)}
    return (
        (parsed.update_query_dict(hidden) if hidden else parsed)
        .render_as_string(hide_password=True)
        .replace("%2A%2A%2A", "***")
    )


def _names_secret(key: str) -> bool:
    return any(word in key.lower() for word in ("pass", "secret", "token"))


def _secrets(parsed: sa.URL) -> list[str]:
    """The clear texts of ``parsed`` that must never be shown: its password and secret query values."""
    values = [parsed.password or ""]
    for key, value in parsed.query.items():
        if _names_secret(key):
            values += [value] if isinstance(value, str) else list(value)
    return [v for v in values if v]


def to_utc_naive(value: dt.datetime | pd.Timestamp) -> dt.datetime:
    """A tz-aware time as naive UTC for the database (naive input is taken as UTC already)."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def describe_revocation(revocation) -> str:
    """The words "đã bị thu hồi lúc dd/mm/yyyy hh:mm bởi “…” (lý do: …)" (Vietnam time) of a revocation: a
    mapping with revoked_at (UTC, naive or aware), revoked_by and reason (cut at 200 characters)."""
    when = pd.Timestamp(revocation["revoked_at"])
    when = (when.tz_localize("UTC") if when.tzinfo is None else when).tz_convert(LOCAL_TZ)
    reason = str(revocation["reason"])
    reason = reason if len(reason) <= 200 else reason[:199] + "…"
    return f"đã bị thu hồi lúc {when:%d/%m/%Y %H:%M} bởi “{revocation['revoked_by']}” (lý do: {reason})"


def _utc_column(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.tz_localize("UTC") if len(series) else series.astype("datetime64[us, UTC]")


def _sqlite_setup(engine: sa.Engine) -> None:
    """Let SQLite writers wait for each other (BEGIN IMMEDIATE) instead of failing or deadlocking."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


# PostgreSQL SQLSTATEs: a concurrent CREATE TABLE loses with duplicate_table/duplicate_object, or with a
# unique_violation on the catalogue (pg_type); insufficient_privilege is a missing right, not a race.
_ALREADY_CREATED = {"42P07", "42710", "23505"}
_INSUFFICIENT_PRIVILEGE = "42501"


def _sqlstate(err: sa.exc.DBAPIError) -> str | None:
    """The SQLSTATE of a driver error (psycopg 3 ``sqlstate``, psycopg2 ``pgcode``); None for SQLite."""
    return getattr(err.orig, "sqlstate", None) or getattr(err.orig, "pgcode", None)


SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


def _plain_path(text: str) -> Path:
    """A plain ``--db`` text as the SQLite file it names; :class:`StoreError` when it names none.

    Rule: a text without ``://`` is an SQLite file when it ends in .sqlite, .sqlite3 or .db, or names a
    file that exists; anything else (``notaurl``, a mistyped URL) is refused rather than made a new file.
    """
    path = Path(text)
    if path.suffix.lower() not in SQLITE_SUFFIXES and not path.is_file():
        raise StoreError(
            f"“{mask_url(text)}” không phải địa chỉ cơ sở dữ liệu (sqlite:///…, postgresql+psycopg://…) "
            f"cũng không phải tệp SQLite (đuôi {', '.join(SQLITE_SUFFIXES)} hoặc một tệp đã có) — "
            f"kiểm tra lại --db hoặc {ENV_URL}"
        )
    return path.resolve()


def _sqlite_folder(path: Path, shown: str) -> None:
    """Check the folder of an SQLite file exists; only the default store's (data/) is created when missing."""
    folder = path.parent
    if folder.is_dir():
        return
    if path.resolve() == DEFAULT_PATH.resolve():
        folder.mkdir(parents=True, exist_ok=True)
        return
    raise StoreError(
        f"Không có thư mục {folder} cho tệp SQLite {shown} — không tạo kho mới; kiểm tra lại đường dẫn "
        "(nếu đúng, hãy tạo thư mục trước)"
    )


def _first_line(err: sa.exc.DBAPIError) -> str:
    """The driver's message without SQLAlchemy's statement dump."""
    lines = str(err.orig).strip().splitlines()
    return lines[0] if lines else type(err.orig).__name__


class StatusStore:
    """Append-only store of status reports grouped in batches (one batch = one imported file); a batch
    can be revoked (:meth:`revoke`): kept, and ignored by every reader.

    Parameters
    ----------
    url
        An SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://...``) or a plain file
        path of an SQLite database (ending in .sqlite, .sqlite3 or .db, or an existing file);
        ``None`` means :func:`default_url`. A text that is neither, or an SQLite file whose folder
        does not exist (except the default data/status.sqlite, whose folder is created), raises
        :class:`StoreError`: a mistyped ``--db`` never makes a new empty store.
    """

    def __init__(self, url: str | os.PathLike | None = None) -> None:
        text = str(url) if url is not None else default_url()
        if "://" not in text:
            text = f"sqlite:///{_plain_path(text)}"
        self.url = text
        try:
            parsed = sa.engine.make_url(text)
        except (sa.exc.ArgumentError, ValueError):
            raise StoreError(
                f"Địa chỉ cơ sở dữ liệu không hợp lệ: {mask_url(text)} — dạng đúng: sqlite:///đường/dẫn/tệp.sqlite "
                "hoặc postgresql+psycopg://người_dùng:mật_khẩu@máy:cổng/tên_cơ_sở_dữ_liệu"
            ) from None
        self._secrets = _secrets(parsed)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            _sqlite_folder(Path(parsed.database), mask_url(text))
        kwargs = {"connect_args": {"timeout": 60}} if self.is_sqlite else {"pool_pre_ping": True}
        try:
            self.engine = sa.create_engine(parsed, **kwargs)
        except (sa.exc.NoSuchModuleError, ImportError) as err:
            raise StoreError(
                f"Không có trình điều khiển cho cơ sở dữ liệu {parsed.drivername!r}: {self.redact(str(err))} — "
                "với PostgreSQL dùng postgresql+psycopg://… (gói psycopg)"
            ) from None
        if self.is_sqlite:
            _sqlite_setup(self.engine)
        self._create_tables()

    def __repr__(self) -> str:
        return f"StatusStore({mask_url(self.engine.url)!r})"

    def redact(self, text: str) -> str:
        """``text`` (a driver's message, say) with this store's password and secret query values as ***."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _create_tables(self, tables: sa.MetaData = metadata) -> None:
        for attempt in range(5):
            try:
                with self._write() as conn:
                    tables.create_all(conn, checkfirst=True)
                return
            except sa.exc.OperationalError as err:
                if attempt == 4:
                    raise StoreError(f"Không mở được cơ sở dữ liệu {self!r}: {self.redact(_first_line(err))}") from None
                time.sleep(0.2 * (attempt + 1))
            except sa.exc.DatabaseError as err:
                if _sqlstate(err) in _ALREADY_CREATED:
                    # Another process created the tables at the same moment (PostgreSQL) and committed.
                    return
                if _sqlstate(err) == _INSUFFICIENT_PRIVILEGE:
                    raise StoreError(
                        f"Tài khoản của {self!r} không có quyền tạo bảng trạng thái ({self.redact(_first_line(err))}): "
                        "hãy cấp quyền CREATE trên schema, hoặc nhờ quản trị viên tạo bảng một lần "
                        "bằng một tài khoản có quyền."
                    ) from None
                raise StoreError(
                    f"Không mở được cơ sở dữ liệu {self!r}: {self.redact(_first_line(err))} — kiểm tra địa chỉ "
                    "có trỏ đúng tới một cơ sở dữ liệu (tệp SQLite hoặc máy chủ) hay không."
                ) from None

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A connection in a transaction that takes the write lock at once (SQLite), committed on exit."""
        with self.engine.connect() as conn:
            conn.execution_options(write=True)
            with conn.begin():
                yield conn

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    # ------------------------------------------------------------------ writing
    def append(
        self,
        reports: pd.DataFrame,
        *,
        imported_by: str,
        source_name: str,
        source_sha256: str,
        is_demo: bool = False,
        note: str = "",
        imported_at: dt.datetime | None = None,
        progress: Callable[[int, int], None] | None = None,
        chunk_size: int = 5000,
        only_if_empty: bool = False,
        claim: str | None = None,
        claimed_by: str = "",
    ) -> int | None:
        """Append one batch of reports in a single transaction and return its id.

        ``reports`` has the columns of :data:`REPORT_COLUMNS`; ``as_of`` is tz-aware. Either the
        whole batch is stored or, after any error (or the process being killed), none of it.
        ``progress(done, total)`` is called after each chunk of rows. With ``only_if_empty`` the
        batch is written only when the store holds no batch yet (checked under the write lock);
        otherwise ``None`` is returned.

        With ``claim`` (a file's SHA-256; see :meth:`ensure_intake`) the file is claimed in the same
        transaction: a row of ``status_intake`` keyed by it is inserted first, so of two processes
        importing the same file at once (on any machines) one waits for the other and then gets
        :class:`AlreadyClaimed`, as it does when a real batch of that SHA-256 is stored already. A
        killed import leaves no claim behind.
        """
        rows = _rows(reports, sqlite=self.is_sqlite)
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        insert = (
            f"INSERT INTO {reports_table.name} (batch_id, {', '.join(REPORT_COLUMNS)}) "
            f"VALUES ({', '.join([mark] * (len(REPORT_COLUMNS) + 1))})"
        )
        stamp = to_utc_naive(imported_at or dt.datetime.now(dt.UTC))
        batch = {
            "imported_at": stamp,
            "imported_by": imported_by or "?",
            "source_name": source_name,
            "source_sha256": source_sha256,
            "rows": len(rows),
            "is_demo": bool(is_demo),
            "note": note,
        }
        with self._write() as conn:
            if only_if_empty:
                if not self.is_sqlite and self.engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"LOCK TABLE {batches_table.name} IN SHARE ROW EXCLUSIVE MODE")
                if conn.execute(sa.select(batches_table.c.id).limit(1)).first() is not None:
                    return None
            if claim is not None:
                self._claim(conn, claim, claimed_by=claimed_by, source_name=source_name, stamp=stamp)
            inserted = conn.execute(batches_table.insert().values(**batch)).inserted_primary_key
            assert inserted is not None  # an INSERT of one row always has one
            batch_id = inserted[0]
            if claim is not None:
                conn.execute(intake_table.update().where(intake_table.c.sha256 == claim).values(batch_id=batch_id))
            for start in range(0, len(rows), chunk_size):
                part = [(batch_id, *row) for row in rows[start : start + chunk_size]]
                if part:
                    conn.exec_driver_sql(insert, part)
                if progress is not None:
                    progress(min(start + chunk_size, len(rows)), len(rows))
        return int(batch_id)

    def revoke(self, batch_id: int, *, by: str, reason: str, revoked_at: dt.datetime | None = None) -> dict:
        """Withdraw batch ``batch_id``: its reports stay stored, and every reader ignores them from now on.

        Who (``by``, at most 200 characters) and why (``reason``, 1 to 1,000 characters; runs of white
        space become one space) are recorded with the time (UTC). A demonstration batch may be revoked
        too: the store then shows no demonstration data, and it is not loaded again (the store is not
        empty). There is no undo: to restore a batch, import its file again (``ingest --force``).
        Returns the revocation as a row of :meth:`revocations`; raises :class:`RevokeError` for an
        unknown batch, a batch revoked already, or a missing or too long ``by`` or ``reason``.
        """
        reason, by = " ".join(str(reason).split()), " ".join(str(by).split())
        if not reason:
            raise RevokeError(f"Chưa ghi lý do thu hồi lô {batch_id}")
        if len(reason) > MAX_REASON:
            raise RevokeError(
                f"Lý do thu hồi dài {format_int(len(reason))} ký tự; tối đa {format_int(MAX_REASON)} ký tự — "
                "hãy viết gọn lại"
            )
        if not by or len(by) > MAX_REVOKER:
            raise RevokeError(f"Tên người thu hồi phải có từ 1 đến {MAX_REVOKER} ký tự")
        if not 0 < int(batch_id) < 2**31:  # the INTEGER column's range (PostgreSQL refuses a larger number)
            raise RevokeError(f"Không có lô {batch_id} trong kho {self!r}")
        b, rv = batches_table, revocations_table
        row = {"batch_id": int(batch_id), "revoked_by": by, "reason": reason}
        row["revoked_at"] = to_utc_naive(revoked_at or dt.datetime.now(dt.UTC))
        earlier = sa.select(rv).where(rv.c.batch_id == row["batch_id"])
        try:
            with self._write() as conn:
                if conn.execute(sa.select(b.c.id).where(b.c.id == row["batch_id"])).first() is None:
                    raise RevokeError(f"Không có lô {batch_id} trong kho {self!r}")
                found = conn.execute(earlier).mappings().first()
                if found is None:
                    conn.execute(rv.insert().values(**row))
        except sa.exc.IntegrityError:  # revoked by another process at the same moment (PostgreSQL)
            with self.engine.connect() as conn:
                found = conn.execute(earlier).mappings().first()
        if found is not None:
            raise RevokeError(f"Lô {batch_id} {describe_revocation(found)}")
        revocations = self.revocations()
        return revocations[revocations["batch_id"] == row["batch_id"]].iloc[0].to_dict()

    # ------------------------------------------------------------------ unattended intake
    def ensure_intake(self) -> None:
        """Create the ``status_intake`` table of :meth:`append`'s ``claim`` if it does not exist yet."""
        self._create_tables(intake_metadata)

    def _claim(self, conn: sa.Connection, sha256: str, *, claimed_by: str, source_name: str, stamp) -> None:
        """Insert the claim of ``sha256`` (inside :meth:`append`'s transaction), or raise :class:`AlreadyClaimed`.

        PostgreSQL makes a second insert of the same key wait until the first transaction ends, then fail
        (unique violation) if it committed; SQLite runs one writer at a time (BEGIN IMMEDIATE).
        """
        try:
            with conn.begin_nested():  # a savepoint: the failed insert is undone, the error reported below
                conn.execute(
                    intake_table.insert().values(
                        sha256=sha256,
                        claimed_at=stamp,
                        claimed_by=(claimed_by or "?")[:200],
                        source_name=source_name[:500],
                    )
                )
        except sa.exc.IntegrityError:
            taken = conn.execute(sa.select(intake_table).where(intake_table.c.sha256 == sha256)).mappings().first()
            batch = taken["batch_id"] if taken else None
            raise AlreadyClaimed(
                f"Tệp có SHA-256 {sha256[:12]}… đã được nhập ở lô {batch} ({taken['claimed_by'] if taken else '?'})",
                batch,
            ) from None
        same = conn.execute(
            sa.select(batches_table.c.id)
            .where(batches_table.c.source_sha256 == sha256, batches_table.c.is_demo == sa.false())
            .order_by(batches_table.c.id)
            .limit(1)
        ).scalar()
        if same is not None:
            raise AlreadyClaimed(f"Tệp có SHA-256 {sha256[:12]}… đã được nhập ở lô {same}", int(same))

    def intake_claim(self, sha256: str) -> dict | None:
        """The claim of a file's content by unattended intake (sha256, claimed_at UTC, claimed_by,
        source_name, batch_id), or None (also when intake never ran on this store)."""
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(intake_table).where(intake_table.c.sha256 == sha256)).mappings().first()
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # no status_intake table yet
            return None
        if row is None:
            return None
        claim = dict(row)
        claim["claimed_at"] = pd.Timestamp(claim["claimed_at"]).tz_localize("UTC")
        return claim

    # ------------------------------------------------------------------ reading
    # Every reader below but batches() and revocations() ignores revoked batches (:func:`_live_batches`).
    def is_empty(self) -> bool:
        """True when no batch is stored, or every stored batch was revoked."""
        with self.engine.connect() as conn:
            return conn.execute(_live_batches().limit(1)).first() is None

    def batches(self, *, include_revoked: bool = True) -> pd.DataFrame:
        """Every batch, newest first: id, imported_at (UTC), imported_by, source_name, source_sha256,
        rows, is_demo, note, and revoked, revoked_at (UTC or NaT), revoked_by, reason ("" when not revoked).

        With ``include_revoked=False`` only the batches readers use."""
        b, rv = batches_table, revocations_table
        query = (
            sa.select(b, rv.c.revoked_at, rv.c.revoked_by, rv.c.reason)
            .outerjoin(rv, rv.c.batch_id == b.c.id)
            .order_by(b.c.id.desc())
        )
        if not include_revoked:
            query = query.where(rv.c.batch_id.is_(None))
        with self.engine.connect() as conn:
            frame = pd.read_sql(query, conn)
        frame["imported_at"] = _utc_column(frame["imported_at"])
        frame["is_demo"] = frame["is_demo"].astype(bool)
        frame["revoked"] = frame["revoked_at"].notna()
        frame["revoked_at"] = _utc_column(frame["revoked_at"])
        for column in ("revoked_by", "reason"):
            frame[column] = frame[column].fillna("").astype(str)
        return frame

    def revocations(self) -> pd.DataFrame:
        """Every revocation, newest first: batch_id, revoked_at (UTC), revoked_by, reason, and the batch's
        source_name, imported_by, imported_at (UTC), rows and is_demo."""
        b, rv = batches_table, revocations_table
        query = (
            sa.select(rv.c.batch_id, rv.c.revoked_at, rv.c.revoked_by, rv.c.reason)
            .add_columns(b.c.source_name, b.c.imported_by, b.c.imported_at, b.c.rows, b.c.is_demo)
            .join(b, b.c.id == rv.c.batch_id)
            .order_by(rv.c.id.desc())
        )
        with self.engine.connect() as conn:
            frame = pd.read_sql(query, conn)
        for column in ("revoked_at", "imported_at"):
            frame[column] = _utc_column(frame[column])
        frame["is_demo"] = frame["is_demo"].astype(bool)
        return frame

    def text_sizes(self, batch_ids: list[int]) -> dict[int, int]:
        """Characters of note and gaps text stored by each of ``batch_ids`` (revoked or not): what a batch
        weighs beyond its row count. Reads every report of those batches."""
        r = reports_table
        ids = [int(i) for i in batch_ids]
        size = sa.func.sum(sa.func.length(r.c.note) + sa.func.length(r.c.gaps))
        query = sa.select(r.c.batch_id, size).where(r.c.batch_id.in_(ids)).group_by(r.c.batch_id)
        with self.engine.connect() as conn:
            found = {int(batch): int(total or 0) for batch, total in conn.execute(query)}
        return {batch: found.get(batch, 0) for batch in ids}

    def revision(self) -> int:
        """A number that changes after every import or revocation, by this process or any other, for cache
        keys (0 when empty).

        The number of batches and the newest id together: on PostgreSQL two imports running at once
        can commit out of id order (ids come from a sequence when the row is inserted), so the newest
        id alone would not change when the import with the lower id commits last; the count does,
        since batches are only ever appended. Revocations are only ever appended too: their count
        changes with each one, whatever order they commit in.
        """
        revoked = sa.select(sa.func.count()).select_from(revocations_table).scalar_subquery()
        query = sa.select(sa.func.count(), sa.func.max(batches_table.c.id), revoked)
        with self.engine.connect() as conn:
            count, newest, revoked = conn.execute(query).one()
        return (int(revoked) << 64) | (int(count) << 32) | int(newest or 0)

    def count_reports(self) -> int:
        """Number of stored report rows (of batches not revoked)."""
        query = sa.select(sa.func.count()).where(reports_table.c.batch_id.in_(_live_batches()))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def latest_as_of(self, *, level: str = "commune") -> pd.Timestamp | None:
        """Time of the newest report of ``level`` (UTC), or ``None`` when there is none."""
        r = reports_table
        query = sa.select(sa.func.max(r.c.as_of)).where(r.c.level == level, r.c.batch_id.in_(_live_batches()))
        with self.engine.connect() as conn:
            value = conn.execute(query).scalar_one()
        return None if value is None else pd.Timestamp(value).tz_localize("UTC")

    def has_real_data(self) -> bool:
        """True when at least one batch (not revoked) is not demonstration data."""
        with self.engine.connect() as conn:
            return conn.execute(_live_batches(include_demo=False).limit(1)).first() is not None

    def state_as_of(
        self, as_of: dt.datetime | None = None, *, level: str = "commune", include_demo: bool = True
    ) -> pd.DataFrame:
        """Reports of each unit at its latest report time not after ``as_of`` (``None``: all time).

        Several rows per unit are returned when several were made for that time (corrections in
        later batches, or parts of old units carried to one new unit); ``lib.status.status`` decides.
        Columns: those of the report table plus ``is_demo``; ``as_of`` tz-aware UTC. Revoked batches
        are ignored, and with ``include_demo=False`` demonstration batches too.
        """
        r, b = reports_table, batches_table
        live = r.c.batch_id.in_(_live_batches(include_demo=include_demo))
        times = sa.select(r.c.level, r.c.unit_code, sa.func.max(r.c.as_of).label("latest"))
        times = times.where(r.c.level == level, live)
        if as_of is not None:
            times = times.where(r.c.as_of <= to_utc_naive(as_of))
        latest = times.group_by(r.c.level, r.c.unit_code).subquery()
        # Drive the join from the (few) latest times so the (level, unit_code, as_of) index finds the rows.
        query = (
            sa.select(r, b.c.is_demo)
            .select_from(latest)
            .join(
                r,
                sa.and_(r.c.level == latest.c.level, r.c.unit_code == latest.c.unit_code, r.c.as_of == latest.c.latest),
            )
            .join(b, b.c.id == r.c.batch_id)
            .where(live)
            .order_by(r.c.unit_code, r.c.batch_id, r.c.id)
        )
        return self._read(query)

    def batch_ids(self) -> list[int]:
        """Ids of every batch not revoked, ascending (a small read: lets a cache tell which batches it lacks)."""
        with self.engine.connect() as conn:
            return [int(v) for v in conn.execute(_live_batches().order_by(batches_table.c.id)).scalars()]

    def report_counts(self, batch_ids: list[int], *, level: str = "commune") -> pd.DataFrame:
        """The counts of every report of ``level`` in the batches ``batch_ids`` (revoked ones left out), in one
        read (daily series).

        Columns: id, batch_id, unit_code, as_of (tz-aware UTC), tasks_total, tasks_done, tasks_overdue,
        via_old_code. The centre and gaps are left out (see :meth:`reports_by_id`): fewer values to carry.
        """
        r = reports_table
        columns = [r.c.id, r.c.batch_id, r.c.unit_code, r.c.as_of, r.c.tasks_total, r.c.tasks_done]
        columns += [r.c.tasks_overdue, r.c.via_old_code]
        names = [c.name for c in columns]
        if not batch_ids:
            return self._typed(pd.DataFrame({name: pd.Series([], dtype=object) for name in names}))
        query = sa.select(*columns).where(r.c.level == level, r.c.batch_id.in_([int(b) for b in batch_ids]))
        query = query.where(r.c.batch_id.in_(_live_batches()))
        sql = str(query.compile(self.engine, compile_kwargs={"literal_binds": True}))  # ints and a level name
        with self.engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None  # an open connection has its driver's
            if self.engine.dialect.name == "postgresql" and hasattr(driver, "cursor"):
                # COPY … TO STDOUT as CSV, parsed by pandas in C: no Python object per value.
                buffer = io.BytesIO()
                with driver.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
                    for block in copy:
                        buffer.write(block)
                buffer.seek(0)
                frame = pd.read_csv(
                    buffer,
                    names=names,
                    header=None,
                    dtype={"unit_code": str, "via_old_code": str, "as_of": str},
                    keep_default_na=False,
                    na_values={c: [""] for c in ("tasks_total", "tasks_done", "tasks_overdue")},
                )
                frame["as_of"] = pd.to_datetime(frame["as_of"], format="ISO8601")
                return self._typed(frame)
            cursor = driver.cursor()  # the driver's rows, without SQLAlchemy's per-value conversion
            try:
                rows = cursor.execute(sql).fetchall() if self.is_sqlite else _fetch(cursor, sql)
            finally:
                cursor.close()
        if self.is_sqlite:
            values: list[tuple | list] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
            frame = pd.DataFrame({name: np.array(v, dtype=object) for name, v in zip(names, values, strict=True)})
            frame["as_of"] = pd.to_datetime(frame["as_of"].astype(str), format="%Y-%m-%d %H:%M:%S.%f")
        else:
            frame = pd.DataFrame.from_records(rows, columns=names)
        return self._typed(frame)

    def reports_by_id(self, ids: list[int]) -> pd.DataFrame:
        """Full report rows (with the batch's ``is_demo``) of the given report ids (revoked batches left out)."""
        r, b = reports_table, batches_table
        ids = [int(i) for i in ids]
        parts = []
        for start in range(0, max(len(ids), 1), 20_000):  # PostgreSQL binds at most 65,535 values a statement
            query = sa.select(r, b.c.is_demo).join(b, b.c.id == r.c.batch_id).where(r.c.batch_id.in_(_live_batches()))
            parts.append(self._read(query.where(r.c.id.in_(ids[start : start + 20_000]))))
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        return frame.sort_values(["unit_code", "batch_id", "id"], ignore_index=True)

    @staticmethod
    def _typed(frame: pd.DataFrame) -> pd.DataFrame:
        frame["as_of"] = _utc_column(frame["as_of"])
        for column in ("id", "batch_id"):
            frame[column] = frame[column].astype("int64")
        for column in ("tasks_total", "tasks_done", "tasks_overdue"):
            frame[column] = pd.array(frame[column], dtype="Int64")
        for column in ("unit_code", "via_old_code"):
            frame[column] = frame[column].fillna("").astype(str)
        return frame

    def history(self, unit_code: str, *, level: str = "commune") -> pd.DataFrame:
        """Every report of one (new) unit, oldest first, with the batch it came in (revoked batches left out)."""
        r, b = reports_table, batches_table
        query = (
            sa.select(r, b.c.imported_at, b.c.imported_by, b.c.source_name, b.c.is_demo)
            .join(b, b.c.id == r.c.batch_id)
            .where(r.c.level == level, r.c.unit_code == str(unit_code), r.c.batch_id.in_(_live_batches()))
            .order_by(r.c.as_of, r.c.batch_id, r.c.id)
        )
        frame = self._read(query)
        if "imported_at" in frame:
            frame["imported_at"] = _utc_column(frame["imported_at"])
        return frame

    def _read(self, query: sa.Select) -> pd.DataFrame:
        with self.engine.connect() as conn:
            frame = pd.read_sql(query, conn)
        frame["as_of"] = _utc_column(frame["as_of"])
        for column in ("tasks_total", "tasks_done", "tasks_overdue", "source_row"):
            frame[column] = frame[column].astype("Int64")
        if "is_demo" in frame:
            frame["is_demo"] = frame["is_demo"].astype(bool)
        return frame


def _fetch(cursor, sql: str) -> list[tuple]:
    cursor.execute(sql)
    return cursor.fetchall()


def _rows(reports: pd.DataFrame, *, sqlite: bool) -> list[tuple]:
    """Report rows as tuples in :data:`REPORT_COLUMNS` order for the driver (None for missing numbers).

    For SQLite, times are written as the text SQLAlchemy's ``DateTime`` uses, so that queries
    through SQLAlchemy compare them correctly.
    """
    missing = [c for c in REPORT_COLUMNS[:9] if c not in reports.columns]
    if missing:
        raise StoreError(f"Thiếu cột {', '.join(missing)} trong dữ liệu cần ghi")
    frame = reports.reset_index(drop=True)
    columns: list[list] = []
    for column in REPORT_COLUMNS:
        values = frame[column] if column in frame else pd.Series([None] * len(frame), dtype=object)
        if column == "as_of":
            stamps = pd.to_datetime(values, utc=True).dt.tz_localize(None)
            if stamps.isna().any():
                raise StoreError("Có báo cáo thiếu thời điểm (as_of)")
            columns.append(
                stamps.dt.strftime("%Y-%m-%d %H:%M:%S.%f").tolist() if sqlite else stamps.dt.to_pydatetime().tolist()
            )
        elif column in ("tasks_total", "tasks_done", "tasks_overdue", "source_row"):
            columns.append(pd.array(values, dtype="Int64").to_numpy(dtype=object, na_value=None).tolist())
        elif column in ("gaps", "note", "via_old_code"):
            columns.append(values.astype(object).where(values.notna(), "").astype(str).tolist())
        else:
            missing_values = values.isna().tolist()
            columns.append(
                [None if m else str(v) for v, m in zip(values.astype(object).tolist(), missing_values, strict=False)]
            )
    return list(zip(*columns, strict=False))
