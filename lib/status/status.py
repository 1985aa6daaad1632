"""Derived status: task and service-centre classes, staleness against the 16:00 deadline, aggregation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from lib.core.vocab import CENTRE_CLASSES, CENTRE_LABELS, DEADLINE_HOUR, LOCAL_TZ, TASK_CLASSES
from lib.data import geodata
from lib.io.export import frame_csv_bytes

STATUS_COLUMNS = [
    "code",
    "task_class",
    "centre_class",
    "tasks_total",
    "tasks_done",
    "tasks_overdue",
    "gaps",
    "reported_at",
    "stale",
    "conflict",
    "is_demo",
]
_VALUE_COLUMNS = ["tasks_total", "tasks_done", "tasks_overdue", "centre_state", "gaps"]


def _aware(value: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    """A tz-aware timestamp; naive times are taken as Vietnam local time."""
    stamp = pd.Timestamp(value)
    return stamp.tz_localize(LOCAL_TZ) if stamp.tzinfo is None else stamp


def latest_deadline(now: dt.datetime) -> dt.datetime:
    """The most recent 16:00 Asia/Ho_Chi_Minh at or before ``now`` (naive ``now`` is local time)."""
    local = _aware(now).tz_convert(LOCAL_TZ).to_pydatetime()
    deadline = local.replace(hour=DEADLINE_HOUR, minute=0, second=0, microsecond=0)
    if deadline > local:
        deadline -= dt.timedelta(days=1)
    return deadline


def stale_mask(reported_at: pd.Series, *, now: dt.datetime) -> pd.Series:
    """True where a report misses the most recent deadline (or is missing).

    A report counts for the deadline D (16:00 of a day) when it was made after D − 24 h, that is
    after the previous deadline: at 17:00 a report of 15:00 the same day is fresh, one of
    yesterday's 15:00 is stale; at 10:00 yesterday's 15:00 report is still fresh.
    """
    cutoff = pd.Timestamp(latest_deadline(now) - dt.timedelta(days=1))
    times = pd.to_datetime(reported_at, utc=True)
    return (times <= cutoff) | times.isna()


def task_class(total: pd.Series, done: pd.Series, overdue: pd.Series, stale: pd.Series) -> pd.Series:
    """green (all tasks done), amber (none overdue), red (any overdue), grey (no report, no counts or stale)."""
    total, done, overdue = (pd.to_numeric(s).astype("Float64") for s in (total, done, overdue))
    out = pd.Series("amber", index=total.index, dtype=object)
    out[(done >= total).fillna(False)] = "green"
    out[(overdue > 0).fillna(False)] = "red"
    out[(total.isna() | done.isna() | stale).to_numpy()] = "grey"
    return out.astype(str)


def centre_class(state: pd.Series, gaps: pd.Series) -> pd.Series:
    """The reported centre state, "operating" turned into "gaps" when gaps are listed; "unknown" if missing."""
    state = state.fillna("unknown").astype(str)
    has_gaps = gaps.fillna("").astype(str).str.strip() != ""
    state = state.where(~((state == "operating") & has_gaps), "gaps")
    return state.where(state.isin(CENTRE_CLASSES), "unknown")


def _describe(row: dict) -> str:
    counts = "?" if pd.isna(row["tasks_total"]) else f"{row['tasks_done']}/{row['tasks_total']} xong"
    overdue = "" if pd.isna(row["tasks_overdue"]) else f", {row['tasks_overdue']} quá hạn"
    gaps = f", thiếu: {row['gaps']}" if row["gaps"] else ""
    return (
        f"{row['via_old_code']}: {counts}{overdue}, {CENTRE_LABELS.get(row['centre_state'], row['centre_state'])}{gaps}"
    )


def _signature(frame: pd.DataFrame) -> pd.Series:
    """The reported values of each row as one text, to tell agreeing parts from disagreeing ones."""
    out = frame[_VALUE_COLUMNS[0]].astype(str)
    for column in _VALUE_COLUMNS[1:]:
        out = out + "|" + frame[column].astype(str)
    return out


def combine_reports(reports: pd.DataFrame) -> pd.DataFrame:
    """One row per unit from the reports of each unit's latest time (``StatusStore.state_as_of``).

    Direct reports (keyed by the new code) win over reports carried from old units; among
    them the latest batch wins (a correction). Reports carried from several old units that
    disagree keep the worst one (most overdue, least done) and set ``conflict`` to a text
    naming every part; parts that agree give that value and no conflict.
    """
    if reports.empty:
        return pd.DataFrame(columns=["unit_code", *_VALUE_COLUMNS, "as_of", "is_demo", "conflict"])
    frame = reports.sort_values(["unit_code", "batch_id", "id"])
    frame = frame.assign(direct=frame["via_old_code"].fillna("") == "")
    has_direct = frame.groupby("unit_code")["direct"].transform("any")
    frame = frame[frame["direct"] | ~has_direct]
    # One row per (unit, source): the newest batch's.
    frame = frame.drop_duplicates(["unit_code", "via_old_code"], keep="last")
    frame = frame.assign(
        _ratio=(frame["tasks_done"].astype("Float64") / frame["tasks_total"].astype("Float64").replace(0, pd.NA)),
        _signature=_signature(frame),
    )
    parts = frame.groupby("unit_code")["_signature"].transform("nunique")
    worst_first = frame.sort_values(
        ["unit_code", "tasks_overdue", "_ratio"], ascending=[True, False, True], na_position="last"
    )
    chosen = worst_first.drop_duplicates("unit_code", keep="first").set_index("unit_code")
    disagreeing = frame[parts > 1]
    conflicts = pd.Series(dtype=str)
    if len(disagreeing):
        described = pd.Series([_describe(r) for r in disagreeing.to_dict("records")], index=disagreeing.index)
        conflicts = "Báo cáo theo xã cũ không khớp — " + described.groupby(disagreeing["unit_code"]).agg("; ".join)
    chosen["conflict"] = conflicts.reindex(chosen.index).fillna("").astype(str)
    return chosen.reset_index()[["unit_code", *_VALUE_COLUMNS, "as_of", "is_demo", "conflict"]]


def unit_status(reports: pd.DataFrame, codes: Iterable[str], *, now: dt.datetime) -> pd.DataFrame:
    """Classes of every unit in ``codes`` from its raw reports (see :func:`combine_reports`)."""
    combined = combine_reports(reports).set_index("unit_code")
    index = pd.Index(list(codes), name="code", dtype=object)
    out = combined.reindex(index)
    stale = stale_mask(out["as_of"], now=now)
    result = pd.DataFrame(
        {
            "code": pd.Series(index, dtype=str).to_numpy(),
            "task_class": task_class(out["tasks_total"], out["tasks_done"], out["tasks_overdue"], stale).to_numpy(),
            "centre_class": centre_class(out["centre_state"], out["gaps"]).to_numpy(),
            "tasks_total": out["tasks_total"].astype("Int64").array,
            "tasks_done": out["tasks_done"].astype("Int64").array,
            "tasks_overdue": out["tasks_overdue"].astype("Int64").array,
            "gaps": out["gaps"].fillna("").astype(str).to_numpy(),
            "reported_at": pd.to_datetime(out["as_of"], utc=True).dt.tz_convert(LOCAL_TZ).to_numpy(),
            "stale": stale.to_numpy(),
            "conflict": out["conflict"].fillna("").astype(str).to_numpy(),
            "is_demo": out["is_demo"].fillna(False).astype(bool).to_numpy(),
        }
    )
    result["reported_at"] = pd.to_datetime(result["reported_at"], utc=True).dt.tz_convert(LOCAL_TZ)
    return result


def _reference_time(as_of: dt.datetime | None, now: dt.datetime | None) -> dt.datetime:
    if as_of is not None:
        return _aware(as_of).to_pydatetime()
    return _aware(now).to_pydatetime() if now is not None else dt.datetime.now(dt.UTC)


def commune_status(
    store,
    *,
    as_of: dt.datetime | None = None,
    now: dt.datetime | None = None,
    codes: Iterable[str] | None = None,
    include_demo: bool | None = None,
) -> pd.DataFrame:
    """Status of every new commune as of ``as_of`` (default: now), one row per code.

    Staleness is judged at ``as_of`` when given, else at ``now`` (default: the clock). ``codes``
    defaults to the 3,321 communes of the bundled crosswalk. Demonstration data is used only
    while the store holds no real report (``include_demo=None``), so that it never mixes with
    real data; pass True or False to decide. Columns: :data:`STATUS_COLUMNS`.
    """
    return _level_status(store, "commune", "new_code", as_of=as_of, now=now, codes=codes, include_demo=include_demo)


def province_reported_status(
    store,
    *,
    as_of: dt.datetime | None = None,
    now: dt.datetime | None = None,
    codes: Iterable[str] | None = None,
    include_demo: bool | None = None,
) -> pd.DataFrame:
    """Status reported for the provinces themselves (province-level rows), like :func:`commune_status`."""
    return _level_status(
        store, "province", "new_province_code", as_of=as_of, now=now, codes=codes, include_demo=include_demo
    )


def _level_status(store, level: str, code_column: str, *, as_of, now, codes, include_demo) -> pd.DataFrame:
    """Status of every unit of ``level``; ``codes`` default to the crosswalk's ``code_column``."""
    reference = _reference_time(as_of, now)
    if codes is None:
        codes = sorted(geodata.load_crosswalk()[code_column].unique())
    if include_demo is None:
        include_demo = not store.has_real_data()
    reports = store.state_as_of(reference, level=level, include_demo=include_demo)
    return unit_status(reports, codes, now=reference)


def province_status(communes: pd.DataFrame, commune_province: pd.Series) -> pd.DataFrame:
    """Per new province: counts and shares of each task and centre class, stale and conflict counts.

    ``communes`` is :func:`commune_status`; ``commune_province`` maps commune code → province code.
    """
    frame = communes.assign(province_code=communes["code"].map(commune_province))
    if frame["province_code"].isna().any():
        missing = ", ".join(frame.loc[frame["province_code"].isna(), "code"].head(5))
        raise ValueError(f"no province for commune code(s) {missing}")
    groups = frame.groupby("province_code")
    out = pd.DataFrame({"communes": groups.size()})
    for column, classes, prefix in (("task_class", TASK_CLASSES, ""), ("centre_class", CENTRE_CLASSES, "centre_")):
        counts = pd.crosstab(frame["province_code"], frame[column]).reindex(columns=list(classes), fill_value=0)
        for cls in classes:
            out[f"{prefix}{cls}"] = counts[cls].reindex(out.index, fill_value=0).astype(int)
            out[f"share_{prefix}{cls}"] = out[f"{prefix}{cls}"] / out["communes"]
    out["stale"] = groups["stale"].sum().astype(int)
    out["conflicts"] = groups["conflict"].apply(lambda s: int((s != "").sum()))
    for column in ("tasks_total", "tasks_done", "tasks_overdue"):
        out[column] = groups[column].sum(min_count=1).astype("Int64")
    out["is_demo"] = groups["is_demo"].any()
    return out.reset_index()


def default_as_of(store, *, now: dt.datetime | None = None) -> dt.datetime:
    """The time a view should open at: now, or the end of the demonstration history when the
    store holds only demonstration data (so that it is not all grey years later). Revoked batches do not count."""
    now_aware = _reference_time(None, now)
    batches = store.batches(include_revoked=False)
    if len(batches) and batches["is_demo"].all():
        latest = store.latest_as_of()
        if latest is not None and latest.to_pydatetime() < now_aware:
            return latest.tz_convert(LOCAL_TZ).to_pydatetime()
    return pd.Timestamp(now_aware).tz_convert(LOCAL_TZ).to_pydatetime()


DEMO_MARK = "DỮ LIỆU MINH HOẠ"


def export_frame(
    store,
    *,
    as_of: dt.datetime | None = None,
    now: dt.datetime | None = None,
    level: str = "commune",
    crosswalk: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The state of every commune (or the per-province aggregation) with names, ready to export.

    Every row carries ``data_source``: "DỮ LIỆU MINH HOẠ" for demonstration data, else "báo cáo".
    """
    crosswalk = geodata.load_crosswalk() if crosswalk is None else crosswalk
    communes = crosswalk.drop_duplicates("new_code").set_index("new_code")
    view = commune_status(store, as_of=as_of, now=now, codes=sorted(communes.index))
    if level == "province":
        provinces = crosswalk.drop_duplicates("new_province_code").set_index("new_province_code")
        out = province_status(view, communes["new_province_code"])
        out.insert(1, "province_name", out["province_code"].map(provinces["new_province_name"]))
    else:
        out = view.copy()
        out.insert(1, "name", out["code"].map(communes["new_name"]))
        out.insert(2, "province_code", out["code"].map(communes["new_province_code"]))
        out.insert(3, "province_name", out["code"].map(communes["new_province_name"]))
        out["reported_at"] = out["reported_at"].dt.strftime("%d/%m/%Y %H:%M").fillna("")
    out["data_source"] = out["is_demo"].map({True: DEMO_MARK, False: "báo cáo"})
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with BOM (opens correctly in Excel); no cell can run as a formula (OWASP CSV injection)."""
    return frame_csv_bytes(frame, lineterminator="\n")


def commune_choices(crosswalk: pd.DataFrame) -> dict[str, str]:
    """New commune code → "Phường Ba Đình — Thành phố Hà Nội (00004)", in code order."""
    communes = crosswalk.drop_duplicates("new_code").sort_values("new_code")
    return {
        code: f"{name} — {province} ({code})"
        for code, name, province in zip(
            communes["new_code"], communes["new_name"], communes["new_province_name"], strict=False
        )
    }


def history_table(store, code: str, *, level: str = "commune") -> pd.DataFrame:
    """Every report of one unit, oldest first, in Vietnam time with the batch it came in."""
    history = store.history(code, level=level)
    out = pd.DataFrame(
        {
            "as_of": history["as_of"].dt.tz_convert(LOCAL_TZ),
            "tasks_total": history["tasks_total"],
            "tasks_done": history["tasks_done"],
            "tasks_overdue": history["tasks_overdue"],
            "centre": centre_class(history["centre_state"], history["gaps"]).map(CENTRE_LABELS),
            "gaps": history["gaps"],
            "via_old_code": history["via_old_code"],
            "note": history["note"],
            "batch_id": history["batch_id"],
            "source_name": history["source_name"],
            "imported_by": history["imported_by"],
            "imported_at": history["imported_at"].dt.tz_convert(LOCAL_TZ) if len(history) else history["imported_at"],
            "data_source": history["is_demo"].map({True: DEMO_MARK, False: "báo cáo"}),
        }
    )
    return out.reset_index(drop=True)


def class_counts(communes: pd.DataFrame) -> dict[str, int]:
    """Number of communes in each task class, then each centre class (keys "task_*", "centre_*")."""
    out = {f"task_{c}": int((communes["task_class"] == c).sum()) for c in TASK_CLASSES}
    out.update({f"centre_{c}": int((communes["centre_class"] == c).sum()) for c in CENTRE_CLASSES})
    return out
