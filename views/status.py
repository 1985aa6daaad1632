"""Tình hình: the "xanh hoá" dashboard (progress by day, ranking, weeks, changes, who to follow up), status at a
chosen time, history of one commune, the batches imported (the import itself: views/import_reports.py)."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from lib.core import vocab
from lib.data.i18n import format_int, format_number, format_percent, today
from lib.maps import style
from lib.status import dashboard, followup, progress, status
from lib.status.store import default_url
from lib.ui import cache

URL = default_url()
FOLLOWUP_LISTS = ("overdue", "centres", "silent")


store = cache.status_store(URL)
st.title("Tình hình thực hiện nhiệm vụ và trung tâm phục vụ hành chính công")
revision = store.revision()
start = status.default_as_of(store)
if "status_day" not in st.session_state:
    st.session_state["status_day"] = start.date()
    st.session_state["status_clock"] = start.time().replace(second=0, microsecond=0)


def _pick(day: dt.date, clock: dt.time) -> None:
    st.session_state["status_day"], st.session_state["status_clock"] = day, clock


latest = start.date()
is_today = latest == today()
quick = [
    ("Hôm nay" if is_today else "Ngày mới nhất", latest, start.time().replace(second=0, microsecond=0)),
    ("Hôm qua" if is_today else "Ngày trước đó", latest - dt.timedelta(days=1), dt.time(vocab.DEADLINE_HOUR)),
    ("7 ngày trước", latest - dt.timedelta(days=7), dt.time(vocab.DEADLINE_HOUR)),
]
left, right, *buttons = st.columns([3, 2, 2, 2, 2], vertical_alignment="bottom")
day = left.date_input("Xem tình hình tại ngày", format="DD/MM/YYYY", key="status_day")
clock = right.time_input("giờ", key="status_clock")
for column, (label, quick_day, quick_clock), key in zip(buttons, quick, ("today", "yesterday", "week"), strict=True):
    column.button(
        f"{label} ({quick_day:%d/%m})",
        key=f"status_quick_{key}",
        on_click=_pick,
        args=(quick_day, quick_clock),
        width="stretch",
        help=f"Tình hình lúc {quick_clock:%H:%M} ngày {quick_day:%d/%m/%Y}",
    )
as_of = dashboard.moment(day, clock)
before_at = progress.deadline(as_of.date() - dt.timedelta(days=1)).to_pydatetime()
named = cache.named_commune_status(URL, as_of.isoformat(), revision)
before = cache.named_commune_status(URL, before_at.isoformat(), revision)
series = cache.daily_series(URL, progress.last_deadline_day(as_of).isoformat(), revision)
names = dashboard.province_names(cache.crosswalk())
is_demo = bool(named["is_demo"].any())
if is_demo:
    st.warning(
        f"⚠️ {status.DEMO_MARK}: số liệu do chương trình sinh ra để trình diễn, không phải báo cáo thật. "
        "Dữ liệu thật thay thế khi có báo cáo được nhập."
    )
st.caption(
    f"Hạn cập nhật gần nhất: {vocab.DEADLINE_TEXT} ngày {status.latest_deadline(as_of):%d/%m/%Y} (giờ Việt Nam); "
    "xã không có báo cáo sau hạn trước đó được tính là xám (quá hạn báo cáo). "
    f"Mũi tên: thay đổi số xã so với {vocab.DEADLINE_TEXT} ngày {before_at:%d/%m/%Y}."
)

changes, total = dashboard.deltas(named, before), len(named)
national = series.counts()
trend_counts = {  # the last 28 days' counts of each class: the metric's small chart
    cls: national.loc[national["task_class"] == cls, "communes"].tail(28).tolist() for cls in vocab.TASK_CLASSES
}
GOOD_UP = {"green": "normal", "amber": "off", "red": "inverse", "grey": "inverse"}
for column, cls in zip(st.columns(4), vocab.TASK_CLASSES, strict=True):
    count, change = changes[f"task_{cls}"]
    column.metric(
        vocab.TASK_LABELS[cls],
        f"{format_int(count)} ({format_percent(count / total if total else None)})",
        f"{'+' if change > 0 else ''}{format_int(change)} xã",
        delta_color=GOOD_UP[cls] if change else "off",
        delta_arrow="auto" if change else "off",
        delta_description=f"so với {vocab.DEADLINE_TEXT} {before_at:%d/%m}",
        chart_data=trend_counts.get(cls),
        chart_type="area",
    )
CENTRE_UP = {"operating": "normal", "gaps": "off", "not_operating": "inverse", "unknown": "inverse"}
for column, cls in zip(st.columns(4), vocab.CENTRE_CLASSES, strict=True):
    count, change = changes[f"centre_{cls}"]
    column.metric(
        f"Trung tâm: {vocab.CENTRE_LABELS[cls]}",
        format_int(count),
        f"{'+' if change > 0 else ''}{format_int(change)} xã",
        delta_color=CENTRE_UP[cls] if change else "off",
        delta_arrow="auto" if change else "off",
        delta_description=f"so với {vocab.DEADLINE_TEXT} {before_at:%d/%m}",
    )


def _signed_points(value: float) -> str:
    """A change of share in percentage points, vi-VN: "+2,5 điểm"; "" when unknown."""
    if pd.isna(value):
        return ""
    points = 100 * value
    return f"{'+' if points > 0.05 else ''}{format_number(points, 1)} điểm"


SHARE_BREAKS = dashboard.share_breaks(named, cache.commune_province())  # the day's classes, as on the map


def _share_colour(value: float) -> str:
    """Background of a share of green communes: the province map's colour on the day viewed."""
    return dashboard.share_style(value, SHARE_BREAKS)


def _progress_chart(counts: pd.DataFrame, marked: dt.date) -> alt.LayerChart:
    """Stacked shares of the classes at each day's 16:00, in the map's task colours, the chosen day marked."""
    data = dashboard.chart_frame(counts)
    labels = [vocab.TASK_LABELS[c] for c in vocab.TASK_CLASSES]
    colours = dashboard.CHART_COLOURS
    area = (
        alt.Chart(data)
        .mark_area()
        .encode(
            x=alt.X(
                "deadline:T",
                title=f"Hạn báo cáo {vocab.DEADLINE_TEXT} từng ngày",
                axis=alt.Axis(format="%d/%m", labelAngle=0),
            ),
            y=alt.Y("share:Q", stack="normalize", title="Tỉ lệ xã", axis=alt.Axis(format="%")),
            color=alt.Color(
                "class:N",
                scale=alt.Scale(domain=labels, range=colours),
                sort=labels,
                legend=alt.Legend(title=None, orient="bottom", columns=2, labelLimit=320),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("deadline:T", title="Lúc", format=f"{vocab.DEADLINE_TEXT} %d/%m/%Y"),
                alt.Tooltip("class:N", title="Loại"),
                alt.Tooltip("communes:Q", title="Số xã", format=",d"),
                alt.Tooltip("share:Q", title="Tỉ lệ", format=".1%"),
            ],
        )
    )
    mark = pd.DataFrame(
        {"deadline": [f"{marked:%Y-%m-%d}T{vocab.DEADLINE_TEXT}:00"], "text": [f"{vocab.DEADLINE_TEXT} {marked:%d/%m}"]}
    )
    rule = alt.Chart(mark).mark_rule(color=dashboard.CHART_MARK, strokeDash=[4, 3]).encode(x="deadline:T")
    text = (
        alt.Chart(mark)
        .mark_text(align="right", dx=-4, dy=-6, color=dashboard.CHART_MARK, fontWeight="bold")
        .encode(x="deadline:T", y=alt.value(10), text="text:N")
    )
    return (
        alt.layer(area, rule, text)
        .properties(height=320)
        .configure(
            locale={
                "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]},
                "time": {
                    "dateTime": "%A, %d/%m/%Y %X",
                    "date": "%d/%m/%Y",
                    "time": "%H:%M:%S",
                    "periods": ["SA", "CH"],
                    "days": ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"],
                    "shortDays": ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
                    "months": [f"Tháng {i}" for i in range(1, 13)],
                    "shortMonths": [f"Th{i}" for i in range(1, 13)],
                },
            }
        )
    )


TREND_SPANS = {"4 tuần": 27, "8 tuần": 55, "Từ 01/07/2025": None}  # days before the last one
PERCENT = {"Tỉ lệ xanh": format_percent, "Tỉ lệ đỏ": format_percent}
tab_names = [
    "Tiến độ theo ngày",
    "Xếp hạng tỉnh",
    "Theo tuần",
    "Thay đổi từ hôm trước",
    "Cần đôn đốc",
    "Theo tỉnh",
    "Theo xã",
    "Lịch sử một xã",
    "Các lần nhập",
]
(trend, ranks, weeks, moved, follow, by_province, by_commune, history, batches) = st.tabs(tab_names)
suffix = "-minh-hoa" if is_demo else ""
last_day = series.days[-1] if series.days else None
with trend:
    if last_day is None:
        st.info("Chưa có hạn 16:00 nào từ 01/07/2025 đến thời điểm đã chọn.")
    else:
        choices = ["", *names.sort_index().index]
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        scope = left.selectbox(
            "Phạm vi",
            choices,
            key="status_trend_scope",
            format_func=lambda c: "Cả nước" if c == "" else f"{names[c]} ({c})",
        )
        span = right.segmented_control(
            "Khoảng thời gian", list(TREND_SPANS), default="4 tuần", required=True, key="status_trend_span"
        )
        first_day = max(progress.SERIES_START, last_day - dt.timedelta(days=TREND_SPANS.get(span) or 10_000))
        counts = series.counts(province=scope) if scope else national
        counts = counts[counts["day"] >= pd.Timestamp(first_day)]
        st.altair_chart(_progress_chart(counts, last_day), width="stretch", key="status_trend_chart")
        st.caption(
            f"Tỉ lệ xã xanh / vàng / đỏ / xám lúc 16:00 (hạn báo cáo) mỗi ngày từ {first_day:%d/%m/%Y} "
            f"đến {last_day:%d/%m/%Y}; đường đứt nét: hạn 16:00 của ngày đang xem. Xám: chưa báo cáo, báo cáo "
            "trước hạn hôm trước (quá hạn) hoặc thiếu số liệu."
            + (
                " Số liệu minh hoạ chỉ có báo cáo hằng ngày trong bốn tuần cuối, trước đó mỗi thứ Hai một lần: "
                "những ngày khác xám vì quá hạn báo cáo."
                if is_demo
                else ""
            )
        )
with ranks:
    if last_day is not None:
        table = dashboard.ranking_table(series, names)
        st.caption(
            f"Xếp theo tỉ lệ xã xanh lúc 16:00 ngày {last_day:%d/%m/%Y}; thay đổi tính bằng điểm phần trăm. "
            "Thay đổi hạng dương: tăng hạng so với hôm trước."
        )
        styled = table.style.format(
            {
                "Tỉ lệ xanh": format_percent,
                "So với hôm trước": _signed_points,
                "So với 7 ngày trước": _signed_points,
                "Thay đổi hạng": lambda v: "" if pd.isna(v) else f"{'+' if v > 0 else ''}{v}",
                "Số xã": format_int,
            }
        ).map(_share_colour, subset=["Tỉ lệ xanh"])
        st.dataframe(styled, hide_index=True, width="stretch", key="status_ranking")
with weeks:
    if last_day is not None:
        table = dashboard.weekly_table(series, names)
        st.caption(
            "Tỉ lệ xã xanh của từng tỉnh lúc 16:00 ngày báo cáo cuối của mỗi tuần (thứ Hai – Chủ nhật; ngày cuối "
            "có ít nhất một nửa số báo cáo của ngày nhiều nhất trong tuần; 26 tuần gần nhất, tuần mới nhất bên trái), "
            "tô màu như bản đồ tỉnh: " + "; ".join(label for *_, label in style.share_bins(SHARE_BREAKS)) + "."
        )
        st.dataframe(table.style.format(format_percent).map(_share_colour), width="stretch", height=36 * 35 + 3)
with moved:
    table = dashboard.changes_table(before, named)
    st.caption(
        f"So với 16:00 ngày {before_at:%d/%m/%Y}: xã chuyển sang xanh, chuyển sang đỏ, hoặc không còn báo cáo "
        "đúng hạn (quá hạn báo cáo)."
    )
    for column, label in zip(st.columns(3), progress.CHANGE_LABELS.values(), strict=True):
        column.metric(label, format_int(int((table["Thay đổi"] == label).sum())))
    st.dataframe(table, hide_index=True, width="stretch", key="status_changes")


def _xlsx(key: str, since: dt.date | None = None):
    """The follow-up list ``key`` as XLSX bytes, made when the button is pressed."""

    def build() -> bytes:
        frame = _followup(key, since)
        version = cache.manifest().get("version", "")
        return followup.workbook({key: frame}, as_of=as_of, version=version, note=status.DEMO_MARK if is_demo else "")

    return build


def _followup(key: str, since: dt.date | None = None) -> pd.DataFrame:
    if key == "overdue":
        return followup.overdue(named)
    if key == "centres":
        return followup.centres(named)
    return followup.silent(named, since, as_of=as_of)


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FOLLOWUP_COLUMNS = {
    "Nhiệm vụ quá hạn": st.column_config.NumberColumn(format="localized"),
    "Đã hoàn thành": st.column_config.NumberColumn(format="localized"),
    "Tổng số nhiệm vụ": st.column_config.NumberColumn(format="localized"),
    "Số ngày không báo cáo": st.column_config.NumberColumn(format="localized"),
    followup.REPORTED: st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
}
with follow:
    st.caption(
        "Danh sách để đôn đốc, theo tình hình tại thời điểm đang xem; mỗi danh sách tải được thành tệp Excel "
        "(mã là chữ, số là số)."
    )
    for key in FOLLOWUP_LISTS:
        since = None
        if key == "silent":
            since = st.columns([1, 2])[0].date_input(
                "Xã không báo cáo từ ngày",
                value=as_of.date() - dt.timedelta(days=2),
                format="DD/MM/YYYY",
                key=f"status_silent_since_{as_of:%Y%m%d}",  # follows the day viewed
            )
        frame = _followup(key, since)
        st.subheader(f"{followup.TITLES[key]}: {format_int(len(frame))}")
        st.dataframe(frame, hide_index=True, width="stretch", column_config=FOLLOWUP_COLUMNS, key=f"status_fu_{key}")
        st.download_button(
            f"Tải Excel: {followup.TITLES[key].lower()}",
            _xlsx(key, since),
            f"{key}{suffix}-{as_of:%Y%m%d-%H%M}.xlsx",
            mime=XLSX_MIME,
            key=f"status_dl_{key}",
            icon=":material/download:",
        )
with by_province:
    table = dashboard.province_table(named, names)
    counts_format = {c: format_int for c in table.columns if pd.api.types.is_integer_dtype(table[c])}
    st.dataframe(
        table.style.format({**counts_format, **PERCENT}).map(_share_colour, subset=["Tỉ lệ xanh"]),
        hide_index=True,
        width="stretch",
        key="status_provinces",
    )
    st.download_button(
        "Tải CSV theo tỉnh",
        lambda: status.to_csv_bytes(cache.status_table(URL, as_of.isoformat(), revision, "province")),
        f"tinh-hinh-tinh{suffix}-{as_of:%Y%m%d-%H%M}.csv",
        mime="text/csv",
        key="status_dl_provinces",
    )
with by_commune:
    table = dashboard.commune_table(named)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="status_communes",
        column_config={
            **{c: st.column_config.NumberColumn(format="localized") for c in ("Đã hoàn thành", "Tổng số nhiệm vụ")},
            "Quá hạn": st.column_config.NumberColumn(format="localized"),
            "Báo cáo gần nhất": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm"),
            "Quá hạn báo cáo": st.column_config.CheckboxColumn(),
        },
    )
    st.download_button(
        "Tải CSV theo xã",
        lambda: status.to_csv_bytes(cache.status_table(URL, as_of.isoformat(), revision, "commune")),
        f"tinh-hinh-xa{suffix}-{as_of:%Y%m%d-%H%M}.csv",
        mime="text/csv",
        key="status_dl_communes",
    )
with history:
    choices = status.commune_choices(cache.crosswalk())
    code = st.selectbox("Xã, phường, đặc khu", list(choices), format_func=choices.get, key="status_history_code")
    table = status.history_table(store, code)
    st.caption(f"{format_int(len(table))} báo cáo, cũ nhất trước")
    st.dataframe(table, hide_index=True, width="stretch")


TIME_COLUMN = st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")
with batches:
    st.caption(
        "Mỗi lô là một lần nhập tệp (giờ Việt Nam). Lô đã thu hồi vẫn được lưu nhưng không còn được tính ở đâu; "
        'thu hồi bằng dòng lệnh: `python -m lib.cli revoke LÔ --reason "lý do"`.'
    )
    st.page_link("views/import_reports.py", label="Nhập báo cáo mới", icon=":material/upload_file:")
    st.dataframe(
        dashboard.batches_table(store.batches()),
        hide_index=True,
        width="stretch",
        key="status_batches",
        column_config={"Thời điểm nhập": TIME_COLUMN, "Số dòng": st.column_config.NumberColumn(format="localized")},
    )
    revoked = dashboard.revocations_table(store.revocations())
    st.subheader(f"Các lô đã thu hồi: {format_int(len(revoked))}")
    if len(revoked):
        st.dataframe(
            revoked,
            hide_index=True,
            width="stretch",
            key="status_revocations",
            column_config={"Thời điểm thu hồi": TIME_COLUMN, "Thời điểm nhập": TIME_COLUMN},
        )
