"""Tables for people on the status page: Vietnamese headers, codes as text, numbers kept numeric (for sorting).

Shares are fractions (0–1) and changes differences of fractions; the page formats them (vi-VN).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from lib.core import palette, vocab
from lib.core.vocab import LOCAL_TZ
from lib.status import progress, status

SHORT_LABELS = vocab.TASK_WORDS
# Column headers of the province table: "TT" (trung tâm) and the centre's state.
CENTRE_SHORT = {key: f"TT {label.lower()}" for key, label in vocab.CENTRE_LABELS.items()}
# The class whose share a province map and the tables show, per colour mode.
GOOD_CLASS = {"task": ("task_class", "green"), "centre": ("centre_class", "operating")}
# The progress chart: the task classes' colours in vocab.TASK_CLASSES order, and the marked day's rule.
CHART_COLOURS = [palette.TASK_COLOURS[cls] for cls in vocab.TASK_CLASSES]
CHART_MARK = palette.TEXT


def moment(day: dt.date, clock: dt.time) -> dt.datetime:
    """The moment the page shows for ``day`` at ``clock`` (to the minute, as a time input gives it), in
    Vietnam: the last minute, 23:59, is the end of the day (:func:`lib.core.vocab.end_of_day`), so that a
    report made at 23:59:30 counts for that day, as on the map and in the brief."""
    if clock.replace(second=0, microsecond=0) >= dt.time(23, 59):
        return vocab.end_of_day(day)
    return dt.datetime.combine(day, clock, tzinfo=LOCAL_TZ)


def province_shares(frame: pd.DataFrame | None, commune_province: pd.Series, mode: str = "task") -> pd.Series:
    """Per province code: the share of its communes in ``frame`` (:func:`lib.status.status.commune_status`)
    with every task done (``mode`` "task") or a fully operating centre ("centre"); empty without status."""
    if frame is None or frame.empty:
        return pd.Series(dtype=float)
    column, good = GOOD_CLASS[mode]
    per_commune = frame.set_index("code")[column]
    return per_commune.eq(good).groupby(commune_province.reindex(per_commune.index)).mean().astype(float)


def share_breaks(frame: pd.DataFrame | None, commune_province: pd.Series, mode: str = "task") -> list[float]:
    """The day's share classes (:func:`lib.core.palette.share_breaks` of :func:`province_shares`): the
    province map and the dashboard's tables colour shares at the same breaks."""
    return palette.share_breaks(province_shares(frame, commune_province, mode))


def share_style(value: float | None, breaks: list[float]) -> str:
    """CSS of a table cell holding a share: the province map's colour at ``breaks``, text that reads on it."""
    colour = palette.share_colour(value, breaks)
    if colour == palette.GREY:
        return f"background-color: {colour}"
    return f"background-color: {colour}; color: {palette.ink_on(colour)}"


def province_names(crosswalk: pd.DataFrame) -> pd.Series:
    """New province code → name."""
    return crosswalk.drop_duplicates("new_province_code").set_index("new_province_code")["new_province_name"]


def deltas(now: pd.DataFrame, before: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """(count now, change since ``before``) of every task class ("task_*") and centre class ("centre_*")."""
    a, b = status.class_counts(now), status.class_counts(before)
    return {key: (a[key], a[key] - b[key]) for key in a}


def province_table(named: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Per province: communes, communes in each class, share green and red, centres, stale, conflicts."""
    raw = status.province_status(named, named.set_index("code")["province_code"])
    out = pd.DataFrame(
        {
            "Mã tỉnh": raw["province_code"].astype(str),
            "Tỉnh, thành phố": raw["province_code"].map(names).fillna("").astype(str),
            "Số xã": raw["communes"].astype(int),
        }
    )
    for cls in vocab.TASK_CLASSES:
        out[SHORT_LABELS[cls]] = raw[cls].astype(int)
    out["Tỉ lệ xanh"] = raw["share_green"].astype(float)
    out["Tỉ lệ đỏ"] = raw["share_red"].astype(float)
    for cls in vocab.CENTRE_CLASSES:
        out[CENTRE_SHORT[cls]] = raw[f"centre_{cls}"].astype(int)
    out["Quá hạn báo cáo"] = raw["stale"].astype(int)
    out["Báo cáo không khớp"] = raw["conflicts"].astype(int)
    return out


def commune_table(named: pd.DataFrame) -> pd.DataFrame:
    """Every commune: code, names, class, counts, centre, gaps, last report, stale, conflict."""
    reported = pd.to_datetime(named["reported_at"], utc=True).dt.tz_convert("Asia/Ho_Chi_Minh").dt.tz_localize(None)
    return pd.DataFrame(
        {
            "Mã xã": named["code"].astype(str),
            "Xã, phường, đặc khu": named["name"].astype(str),
            "Mã tỉnh": named["province_code"].astype(str),
            "Tỉnh, thành phố": named["province_name"].astype(str),
            "Tiến độ": named["task_class"].map(SHORT_LABELS).astype(str),
            "Đã hoàn thành": named["tasks_done"].astype("Int64"),
            "Tổng số nhiệm vụ": named["tasks_total"].astype("Int64"),
            "Quá hạn": named["tasks_overdue"].astype("Int64"),
            "Trung tâm": named["centre_class"].map(vocab.CENTRE_LABELS).astype(str),
            "Còn thiếu": named["gaps"].fillna("").astype(str),
            "Báo cáo gần nhất": reported.astype("datetime64[s]"),
            "Quá hạn báo cáo": named["stale"].astype(bool),
            "Báo cáo không khớp": named["conflict"].fillna("").astype(str),
            "Nguồn số liệu": named["is_demo"].map({True: status.DEMO_MARK, False: "báo cáo"}).astype(str),
        }
    )


def ranking_table(series: progress.DailySeries, names: pd.Series, day: dt.date | None = None) -> pd.DataFrame:
    """:func:`lib.status.progress.ranking` with Vietnamese headers and the provinces' names."""
    raw = progress.ranking(series, day)
    return pd.DataFrame(
        {
            "Hạng": raw["rank"].astype(int),
            "Thay đổi hạng": raw["rank_change_day"].astype("Int64"),
            "Mã tỉnh": raw["province_code"].astype(str),
            "Tỉnh, thành phố": raw["province_code"].map(names).fillna("").astype(str),
            "Số xã": raw["communes"].astype(int),
            "Tỉ lệ xanh": raw["share_green"].astype(float),
            "So với hôm trước": raw["change_day"].astype(float),
            "So với 7 ngày trước": raw["change_week"].astype(float),
        }
    )


def weekly_table(series: progress.DailySeries, names: pd.Series, *, weeks: int = 26) -> pd.DataFrame:
    """Share green per province (rows, by name) at the end of each of the last ``weeks`` weeks (columns
    "dd/mm", newest first)."""
    raw = progress.weekly_table(series)
    raw = raw[raw.columns[::-1][:weeks]]  # the newest week first: the one a reader looks for
    out = raw.copy()
    out.columns = [f"{d:%d/%m}" for d in raw.columns]
    out.index = pd.Index([f"{names.get(code, code)} ({code})" for code in raw.index], name="Tỉnh, thành phố")
    return out


def changes_table(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """:func:`lib.status.progress.transitions` between two named states, with names and Vietnamese labels."""
    moves = progress.transitions(before, after)
    info = after.set_index("code")
    return pd.DataFrame(
        {
            "Thay đổi": moves["change"].map(progress.CHANGE_LABELS).astype(str),
            "Mã xã": moves["code"].astype(str),
            "Xã, phường, đặc khu": moves["code"].map(info["name"]).fillna("").astype(str),
            "Tỉnh, thành phố": moves["code"].map(info["province_name"]).fillna("").astype(str),
            "Trước": moves["class_before"].map(SHORT_LABELS).astype(str),
            "Nay": moves["class_after"].map(SHORT_LABELS).astype(str),
        }
    )


def chart_frame(counts: pd.DataFrame) -> pd.DataFrame:
    """``DailySeries.counts`` for the chart: the deadline (naive Vietnam time), the class's label and order."""
    order = {cls: i for i, cls in enumerate(vocab.TASK_CLASSES)}
    return pd.DataFrame(
        {
            "deadline": (pd.to_datetime(counts["day"]) + pd.Timedelta(hours=vocab.DEADLINE_HOUR)).dt.strftime(
                "%Y-%m-%dT%H:%M:%S"
            ),
            "class": counts["task_class"].map(vocab.TASK_LABELS).astype(str),
            "order": counts["task_class"].map(order).astype(int),
            "communes": counts["communes"].astype(int),
            "share": counts["share"].astype(float),
        }
    )


def _local_times(times: pd.Series) -> pd.Series:
    """UTC times as naive Vietnam time to the second (st.dataframe and spreadsheets show them as they are)."""
    return pd.to_datetime(times, utc=True).dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).astype("datetime64[s]")


def batches_table(batches: pd.DataFrame) -> pd.DataFrame:
    """``StatusStore.batches`` for people: batch, when, who, file, rows, demonstration data, revoked and why."""
    return pd.DataFrame(
        {
            "Lô": batches["id"].astype(int),
            "Thời điểm nhập": _local_times(batches["imported_at"]),
            "Người nhập": batches["imported_by"].astype(str),
            "Tệp": batches["source_name"].astype(str),
            "Số dòng": batches["rows"].astype(int),
            "Minh hoạ": batches["is_demo"].astype(bool),
            "Đã thu hồi": batches["revoked"].astype(bool),
            "Lý do thu hồi": batches["reason"].astype(str),
        }
    )


def revocations_table(revocations: pd.DataFrame) -> pd.DataFrame:
    """``StatusStore.revocations`` for people: batch, when and by whom revoked, why, and the batch's file."""
    return pd.DataFrame(
        {
            "Lô": revocations["batch_id"].astype(int),
            "Thời điểm thu hồi": _local_times(revocations["revoked_at"]),
            "Người thu hồi": revocations["revoked_by"].astype(str),
            "Lý do": revocations["reason"].astype(str),
            "Tệp": revocations["source_name"].astype(str),
            "Số dòng": revocations["rows"].astype(int),
            "Người nhập": revocations["imported_by"].astype(str),
            "Thời điểm nhập": _local_times(revocations["imported_at"]),
        }
    )
