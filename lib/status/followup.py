"""Who to follow up: overdue communes, service centres not operating or with gaps, communes silent since a date.

Each list is a table for people (Vietnamese headers, codes as text, numbers as numbers) built from
``lib.status.status.commune_status`` and the crosswalk's names, and exports to XLSX through
``lib.io.export.xlsx_bytes``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from lib.core import vocab
from lib.core.vocab import LOCAL_TZ
from lib.data.i18n import format_date
from lib.io.export import ExportInfo, xlsx_bytes
from lib.status import status

CODE = "Mã xã"
NAME = "Xã, phường, đặc khu"
PROVINCE_CODE = "Mã tỉnh"
PROVINCE = "Tỉnh, thành phố"
REPORTED = "Báo cáo gần nhất"
SOURCE = "Nguồn số liệu"
HEADER_DOCS = {
    CODE: "Mã xã mới (5 chữ số, dạng chữ)",
    NAME: "Tên xã, phường, đặc khu mới",
    PROVINCE_CODE: "Mã tỉnh mới (2 chữ số, dạng chữ)",
    PROVINCE: "Tên tỉnh, thành phố mới",
    REPORTED: "Thời điểm của báo cáo gần nhất, giờ Việt Nam (trống: chưa từng báo cáo)",
    "Nhiệm vụ quá hạn": "Số nhiệm vụ quá hạn theo báo cáo gần nhất",
    "Đã hoàn thành": "Số nhiệm vụ đã hoàn thành",
    "Tổng số nhiệm vụ": "Tổng số nhiệm vụ được giao",
    "Tình trạng trung tâm": "Tình trạng trung tâm phục vụ hành chính công theo báo cáo gần nhất",
    "Còn thiếu": "Những gì trung tâm còn thiếu (chữ ký số, tài khoản, kết nối, thiết bị)",
    "Số ngày không báo cáo": "Số ngày từ báo cáo gần nhất đến thời điểm xem (trống: chưa từng báo cáo)",
    "Quá hạn báo cáo": f"Có: báo cáo gần nhất trước hạn {vocab.DEADLINE_TEXT} gần nhất (số liệu đã cũ)",
    SOURCE: f"“{status.DEMO_MARK}” cho số liệu minh hoạ, “báo cáo” cho số liệu thật",
}
SHEET_NAMES = {
    "overdue": "Xa qua han",
    "centres": "Trung tam",
    "silent": "Khong bao cao",
}
TITLES = {
    "overdue": "Xã có nhiệm vụ quá hạn",
    "centres": "Trung tâm chưa hoạt động hoặc còn thiếu",
    "silent": "Xã không báo cáo từ ngày đã chọn",
}


def with_names(view: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """``commune_status`` rows with the commune's name and its province's code and name."""
    communes = crosswalk.drop_duplicates("new_code").set_index("new_code")
    return view.assign(
        name=view["code"].map(communes["new_name"]).fillna(""),
        province_code=view["code"].map(communes["new_province_code"]).fillna(""),
        province_name=view["code"].map(communes["new_province_name"]).fillna(""),
    )


def _unit_columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        CODE: frame["code"].astype(str),
        NAME: frame["name"].astype(str),
        PROVINCE_CODE: frame["province_code"].astype(str),
        PROVINCE: frame["province_name"].astype(str),
    }


def _reported(frame: pd.DataFrame) -> pd.Series:
    """Report times as naive Vietnam time (spreadsheets and st.dataframe show them as they are)."""
    times = pd.to_datetime(frame["reported_at"], utc=True).dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    return times.astype("datetime64[s]")


def _source(frame: pd.DataFrame) -> pd.Series:
    return frame["is_demo"].map({True: status.DEMO_MARK, False: "báo cáo"}).astype(str)


def overdue(named: pd.DataFrame) -> pd.DataFrame:
    """Red communes (a fresh report with tasks overdue), most overdue first."""
    frame = named[named["task_class"] == "red"]
    frame = frame.sort_values(["tasks_overdue", "province_code", "code"], ascending=[False, True, True])
    out = pd.DataFrame(
        {
            **_unit_columns(frame),
            "Nhiệm vụ quá hạn": frame["tasks_overdue"].astype("Int64"),
            "Đã hoàn thành": frame["tasks_done"].astype("Int64"),
            "Tổng số nhiệm vụ": frame["tasks_total"].astype("Int64"),
            REPORTED: _reported(frame),
            SOURCE: _source(frame),
        }
    )
    return out.reset_index(drop=True)


def centres(named: pd.DataFrame) -> pd.DataFrame:
    """Communes whose service centre does not operate, then those operating with gaps (the gaps named)."""
    frame = named[named["centre_class"].isin(["not_operating", "gaps"])]
    order = frame["centre_class"].map({"not_operating": 0, "gaps": 1})
    frame = frame.assign(_order=order).sort_values(["_order", "province_code", "code"])
    out = pd.DataFrame(
        {
            **_unit_columns(frame),
            "Tình trạng trung tâm": frame["centre_class"].map(vocab.CENTRE_LABELS).astype(str),
            "Còn thiếu": frame["gaps"].fillna("").astype(str),
            REPORTED: _reported(frame),
            "Quá hạn báo cáo": frame["stale"].map({True: "có", False: ""}).astype(str),
            SOURCE: _source(frame),
        }
    )
    return out.reset_index(drop=True)


def silent(named: pd.DataFrame, since: dt.date, *, as_of: dt.datetime) -> pd.DataFrame:
    """Communes with no report from 00:00 of ``since`` up to ``as_of`` (never reported first, then the oldest)."""
    start = pd.Timestamp(dt.datetime.combine(since, dt.time()), tz=LOCAL_TZ)
    reported = pd.to_datetime(named["reported_at"], utc=True)
    frame = named[reported.isna() | (reported < start)]
    frame = frame.assign(_time=pd.to_datetime(frame["reported_at"], utc=True))
    frame = frame.sort_values(["_time", "province_code", "code"], na_position="first")
    days = (pd.Timestamp(as_of).tz_convert("UTC") - frame["_time"]).dt.days.astype("Int64")
    out = pd.DataFrame(
        {
            **_unit_columns(frame),
            REPORTED: _reported(frame),
            "Số ngày không báo cáo": days,
            SOURCE: _source(frame),
        }
    )
    return out.reset_index(drop=True)


def workbook(tables: dict[str, pd.DataFrame], *, as_of: dt.datetime, version: str, note: str = "") -> bytes:
    """The lists ``tables`` (keys of :data:`SHEET_NAMES`) as one XLSX, with an 'about' sheet saying what they are."""
    notes: tuple[str, ...] = (f"Tình hình tại {format_date(as_of, with_time=True)} (giờ Việt Nam)",)
    if note:
        notes += (note,)
    info = ExportInfo(
        version=version,
        date=pd.Timestamp(as_of).date(),
        selection="; ".join(TITLES[key] for key in tables),
        source="Kho báo cáo tình hình của ứng dụng (các lô báo cáo đã nhập); tên đơn vị từ geodata/crosswalk.csv",
        notes=notes,
    )
    sheets = {SHEET_NAMES[key]: _times_as_text(table) for key, table in tables.items()}
    return xlsx_bytes(sheets, info, docs=HEADER_DOCS)


def _times_as_text(table: pd.DataFrame) -> pd.DataFrame:
    """Time columns as "dd/mm/yyyy HH:MM" text, as a Vietnamese reader writes them."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%d/%m/%Y %H:%M").astype(object).where(out[column].notna(), None)
    return out
