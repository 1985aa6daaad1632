"""Progress over time: the task class of every commune at each day's 16:00 deadline, and what follows from it.

The rules are those of :mod:`lib.status.status` (staleness, :func:`~lib.status.status.combine_reports`,
:func:`~lib.status.status.task_class`); only the way the reports are gathered is vectorised. The
class of a unit at the deadline D (16:00 of a day) depends only on the reports made in the window
(D − 24 h, D]: a report before it is stale at D (grey whatever it says), and the latest report of
the window is the latest report not after D. So every report belongs to exactly one day, the
reports of the store are read once, and each (unit, day) is decided by its window's latest reports.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.core import vocab
from lib.core.vocab import REFORM_DATE
from lib.status import status

SERIES_START = REFORM_DATE  # the two-level government starts on 1 July 2025
CLASS_INDEX = {cls: i for i, cls in enumerate(vocab.TASK_CLASSES)}
GREY = CLASS_INDEX["grey"]
DAY = pd.Timedelta(days=1)


def deadline(day: dt.date) -> pd.Timestamp:
    """16:00 of ``day`` in Vietnam time (:func:`lib.core.vocab.deadline_of` as a Timestamp)."""
    return pd.Timestamp(vocab.deadline_of(day))


def last_deadline_day(as_of: dt.datetime) -> dt.date:
    """The day of the most recent 16:00 deadline at or before ``as_of``."""
    return status.latest_deadline(as_of).date()


@dataclass
class DailySeries:
    """Task class and staleness of each commune (rows, ``codes``) at each day's deadline (columns, ``days``).

    ``classes`` holds indexes into :data:`lib.status.vocab.TASK_CLASSES`; ``provinces`` the province
    code of each commune.
    """

    days: list[dt.date]
    codes: pd.Index
    provinces: np.ndarray
    classes: np.ndarray  # int8, len(codes) × len(days)
    stale: np.ndarray  # bool, len(codes) × len(days)
    is_demo: bool = False

    def column(self, day: dt.date) -> int:
        """Column of ``day`` (KeyError when the series does not cover it)."""
        offset = (day - self.days[0]).days if self.days else -1
        if not 0 <= offset < len(self.days):
            raise KeyError(day)
        return offset

    def at(self, day: dt.date) -> pd.DataFrame:
        """code, province_code, task_class, stale at the deadline of ``day``."""
        i = self.column(day)
        return pd.DataFrame(
            {
                "code": self.codes.to_numpy(),
                "province_code": self.provinces,
                "task_class": np.asarray(vocab.TASK_CLASSES, dtype=object)[self.classes[:, i]],
                "stale": self.stale[:, i],
            }
        )

    def counts(self, *, by_province: bool = False, province: str | None = None) -> pd.DataFrame:
        """Long table: day, (province_code,) task_class, communes, share — shares of each day sum to 1.

        ``province``: only that province's communes (one group, like ``by_province`` for one code).
        """
        days = pd.to_datetime(pd.Series(self.days)).to_numpy()
        rows = np.arange(len(self.codes)) if province is None else np.flatnonzero(self.provinces == province)
        if by_province or province is not None:
            groups, group_index = np.unique(self.provinces[rows], return_inverse=True)
        else:
            groups, group_index = np.array([""]), np.zeros(len(rows), dtype=int)
        sizes = np.bincount(group_index, minlength=len(groups))
        onehot = np.zeros((len(groups), len(rows)))
        onehot[group_index, np.arange(len(rows))] = 1
        classes = self.classes[rows]
        frames = []
        for cls, index in CLASS_INDEX.items():
            counts = np.rint(onehot @ (classes == index).astype(float)).astype(np.int64)  # groups × days (BLAS)
            frame = pd.DataFrame(
                {
                    "day": np.tile(days, len(groups)),
                    "province_code": np.repeat(groups, len(self.days)),
                    "task_class": cls,
                    "communes": counts.ravel(),
                    "share": (counts / np.maximum(sizes, 1)[:, None]).ravel(),
                }
            )
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True).sort_values(["province_code", "day", "task_class"], kind="stable")
        if not (by_province or province is not None):
            out = out.drop(columns="province_code")
        return out.reset_index(drop=True)

    def green_share(self) -> pd.DataFrame:
        """Share of green communes: provinces (rows, code) × days (columns)."""
        groups, group_index = np.unique(self.provinces, return_inverse=True)
        onehot = np.zeros((len(groups), len(self.codes)))
        onehot[group_index, np.arange(len(self.codes))] = 1
        sums = onehot @ (self.classes == CLASS_INDEX["green"]).astype(float)
        sizes = np.bincount(group_index, minlength=len(groups))[:, None]
        return pd.DataFrame(
            sums / np.maximum(sizes, 1), index=pd.Index(groups, name="province_code"), columns=self.days
        )


def series_days(end: dt.date, start: dt.date = SERIES_START) -> list[dt.date]:
    """Every day from ``start`` to ``end`` (empty when ``end`` is before ``start``)."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


class ReportCache:
    """The counts of every commune report, kept in memory by batch: a new batch is read once.

    The store is append-only (a batch never changes once committed), so the reports of a batch read
    earlier are still right; each call asks the store which batches exist (a small read) and reads
    only those it has not seen, whatever order they were committed in. A batch revoked later is no
    longer asked for (its reports stay in memory, left out of what is returned). The frame is kept
    sorted by unit and time, with the unit as a category, so that a series needs no sort of its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_url: dict[str, tuple[frozenset[int], pd.DataFrame]] = {}

    def reports(self, store, batch_ids: list[int]) -> pd.DataFrame:
        """Counts of the reports of ``batch_ids`` (see ``StatusStore.report_counts``), sorted by unit_code
        (a category) and as_of, with ``ns`` (as_of in ns since the epoch)."""
        with self._lock:
            seen, frame = self._by_url.get(store.url, (frozenset(), None))
            missing = [b for b in batch_ids if b not in seen]
            if missing or frame is None:
                fresh = store.report_counts(missing)
                if frame is not None:
                    fresh = pd.concat([frame.assign(unit_code=frame["unit_code"].astype(str)), fresh])
                frame = _prepared(fresh)
                seen = seen | frozenset(missing)
                self._by_url[store.url] = (seen, frame)
        wanted = set(batch_ids)
        return frame if wanted == set(seen) else frame[frame["batch_id"].isin(wanted)]

    def clear(self) -> None:
        with self._lock:
            self._by_url.clear()


def _prepared(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values(["unit_code", "as_of", "batch_id", "id"], kind="stable", ignore_index=True)
    return frame.assign(
        unit_code=frame["unit_code"].astype("category"),
        ns=frame["as_of"]
        .dt.tz_convert("UTC")
        .dt.tz_localize(None)
        .to_numpy()
        .astype("datetime64[ns]")
        .astype(np.int64),
    )


def daily_series(
    store,
    end: dt.date,
    *,
    codes: Iterable[str],
    commune_province: pd.Series,
    start: dt.date = SERIES_START,
    include_demo: bool | None = None,
    cache: ReportCache | None = None,
) -> DailySeries:
    """The class of every commune in ``codes`` at 16:00 of each day from ``start`` to ``end``.

    Equal, day by day, to ``lib.status.status.commune_status(store, as_of=16:00 of the day)`` (the
    tests compare both), from one read of the store (or of the batches ``cache`` has not seen yet).
    ``include_demo`` as in ``commune_status``.
    """
    communes = pd.Index(list(codes), dtype=object)
    days = series_days(end, start)
    provinces = commune_province.reindex(communes).fillna("").astype(str).to_numpy()
    classes = np.full((len(communes), len(days)), GREY, dtype=np.int8)
    stale = np.ones((len(communes), len(days)), dtype=np.bool_)
    batches = store.batches(include_revoked=False)
    if include_demo is None:
        include_demo = bool(len(batches)) and bool(batches["is_demo"].all())
    used = batches if include_demo else batches[~batches["is_demo"]]
    is_demo = bool(len(used)) and bool(used["is_demo"].any())
    ids = sorted(int(b) for b in used["id"])
    if not days or not ids:
        return DailySeries(days, communes, provinces, classes, stale, is_demo)
    reports = (cache or ReportCache()).reports(store, ids)
    first = deadline(days[0]).tz_convert("UTC").tz_localize(None).value
    last = deadline(days[-1]).tz_convert("UTC").tz_localize(None).value
    ns = reports["ns"].to_numpy()
    inside = (ns > first - DAY.value) & (ns <= last)
    if not inside.any():
        return DailySeries(days, communes, provinces, classes, stale, is_demo)
    reports = reports[inside]
    ns = ns[inside]
    units = reports["unit_code"].cat.codes.to_numpy().astype(np.int64)
    # Window k holds the reports of (D_k − 24 h, D_k]: k = ceil((as_of − D_0) / 1 day).
    window = -(-(ns - first) // DAY.value)
    # Rows are sorted by unit and time, so (unit, window) groups are contiguous and end with their latest report.
    key = units * len(days) + window
    starts = np.r_[True, key[1:] != key[:-1]]
    group = np.cumsum(starts) - 1
    ends = np.flatnonzero(np.r_[starts[1:], True])
    latest = ns == ns[ends][group]
    at_latest = np.bincount(group[latest], minlength=len(ends))
    single = ends[at_latest == 1]
    chosen = pd.DataFrame(
        {
            "unit": units[single],
            "window": window[single],
            "tasks_total": reports["tasks_total"].array[single],
            "tasks_done": reports["tasks_done"].array[single],
            "tasks_overdue": reports["tasks_overdue"].array[single],
        }
    )
    tied = latest & (at_latest[group] > 1)
    if tied.any():
        # Corrections or parts of old units at one time: the rules of combine_reports, per (unit, day).
        full = store.reports_by_id(reports["id"].to_numpy()[tied].tolist()).set_index("id")
        keys = pd.Series(key[tied], index=reports["id"].to_numpy()[tied])
        full["unit_code"] = keys.reindex(full.index).astype(str).to_numpy()
        combined = status.combine_reports(full.reset_index())
        combined_key = combined["unit_code"].astype(np.int64).to_numpy()
        chosen = pd.concat(
            [
                chosen,
                pd.DataFrame(
                    {
                        "unit": combined_key // len(days),
                        "window": combined_key % len(days),
                        "tasks_total": combined["tasks_total"].astype("Int64").array,
                        "tasks_done": combined["tasks_done"].astype("Int64").array,
                        "tasks_overdue": combined["tasks_overdue"].astype("Int64").array,
                    }
                ),
            ],
            ignore_index=True,
        )
    found = task_class_index(chosen, pd.Series(False, index=chosen.index))
    rows = communes.get_indexer(reports["unit_code"].cat.categories)[chosen["unit"].to_numpy()]
    keep = rows >= 0
    columns = chosen["window"].to_numpy(dtype=np.int64)[keep]
    classes[rows[keep], columns] = found[keep]
    stale[rows[keep], columns] = False
    return DailySeries(days, communes, provinces, classes, stale, is_demo)


def task_class_index(frame: pd.DataFrame, stale: pd.Series) -> np.ndarray:
    """:func:`lib.status.status.task_class` of ``frame``'s counts as indexes into TASK_CLASSES."""
    found = status.task_class(frame["tasks_total"], frame["tasks_done"], frame["tasks_overdue"], stale)
    return pd.Categorical(found, categories=list(vocab.TASK_CLASSES)).codes.astype(np.int8)


# ---------------------------------------------------------------------------------------- views of the series
CHANGE_LABELS = {
    "green": "Chuyển sang xanh",
    "red": "Chuyển sang đỏ",
    "stale": "Quá hạn báo cáo",
}


def transitions(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Communes that turned green, turned red, or went stale between two states.

    ``before`` and ``after`` have code, task_class, stale (``DailySeries.at`` or ``commune_status``).
    Columns: code, change (a key of :data:`CHANGE_LABELS`), class_before, class_after. A commune can
    appear once per kind of change.
    """
    merged = after[["code", "task_class", "stale"]].merge(
        before[["code", "task_class", "stale"]], on="code", how="left", suffixes=("_after", "_before")
    )
    merged["task_class_before"] = merged["task_class_before"].fillna("grey")
    merged["stale_before"] = merged["stale_before"].fillna(True).astype(bool)
    kinds = {
        "green": (merged["task_class_after"] == "green") & (merged["task_class_before"] != "green"),
        "red": (merged["task_class_after"] == "red") & (merged["task_class_before"] != "red"),
        "stale": merged["stale_after"].astype(bool) & ~merged["stale_before"],
    }
    frames = [
        pd.DataFrame(
            {
                "code": merged.loc[mask, "code"].to_numpy(),
                "change": kind,
                "class_before": merged.loc[mask, "task_class_before"].to_numpy(),
                "class_after": merged.loc[mask, "task_class_after"].to_numpy(),
            }
        )
        for kind, mask in kinds.items()
    ]
    return pd.concat(frames, ignore_index=True)


def ranking(series: DailySeries, day: dt.date | None = None) -> pd.DataFrame:
    """Provinces ranked by their share of green communes at ``day`` (default: the last day).

    Columns: rank, province_code, communes, share_green, change_day (vs the day before),
    change_week (vs seven days before), rank_change_day (positive = climbed); changes are NaN
    where the series does not reach back.
    """
    shares = series.green_share()
    day = series.days[-1] if day is None else day
    now = shares[day]
    previous = shares[day - dt.timedelta(days=1)] if day - dt.timedelta(days=1) in shares else None
    week = shares[day - dt.timedelta(days=7)] if day - dt.timedelta(days=7) in shares else None
    sizes = pd.Series(series.provinces).value_counts()
    out = pd.DataFrame(
        {
            "province_code": shares.index,
            "communes": sizes.reindex(shares.index).fillna(0).astype(int).to_numpy(),
            "share_green": now.to_numpy(),
            "change_day": (now - previous).to_numpy() if previous is not None else np.nan,
            "change_week": (now - week).to_numpy() if week is not None else np.nan,
        }
    )
    out["rank"] = out["share_green"].rank(method="min", ascending=False).astype(int)
    if previous is not None:
        before = previous.rank(method="min", ascending=False).to_numpy()
        out["rank_change_day"] = (before - out["rank"].to_numpy()).astype(int)
    else:
        out["rank_change_day"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out = out.sort_values(["rank", "province_code"]).reset_index(drop=True)
    return out[["rank", "province_code", "communes", "share_green", "change_day", "change_week", "rank_change_day"]]


def weekly_table(series: DailySeries) -> pd.DataFrame:
    """Share of green communes per province (rows) once a week (Monday–Sunday) of the series.

    Each week is read at its last day on which at least half as many communes had a fresh report as
    on the week's best day (a week reported on Mondays only, or without weekend reports, is not read
    on a day when nearly all are grey); a week without any report at its last day. Columns are those days.
    """
    shares = series.green_share()
    fresh = (~series.stale).sum(axis=0)
    ends: list[dt.date] = []
    week: list[int] = []
    for i, day in enumerate(series.days):
        week.append(i)
        if day.weekday() == 6 or i == len(series.days) - 1:
            best = max(fresh[j] for j in week)
            ends.append(series.days[[j for j in week if fresh[j] * 2 >= best][-1]])
            week = []
    return shares[ends]
