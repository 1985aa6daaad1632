"""Streamlit drawing helpers shared by pages: the map legend and the unit panel."""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd
import streamlit as st

from lib.core import palette
from lib.core.settings import settings
from lib.core.vocab import LOCAL_TZ
from lib.data.confidence import CLASS_MEANINGS, RECONSTRUCTED_CAVEAT, format_iou
from lib.data.i18n import format_date, format_int, format_percent
from lib.io.text import md_escape
from lib.lookup import quality_report
from lib.maps.style import CENTRE_STYLES, TASK_STYLES, Legend, LineLegend, line_sample


def legend(legend: Legend) -> None:
    """A colour legend as an HTML list; every label is escaped."""
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
        f'<span style="width:14px;height:14px;background:{html.escape(colour)};border:1px solid #777;flex:none"></span>'
        f"<span>{html.escape(label)} ({format_int(count)})</span></div>"
        for colour, label, count in legend.entries
    )
    rows += "".join(_mark_row(kind, colour, label, count) for kind, colour, label, count in legend.marks)
    notes = "".join(f'<div style="font-size:0.85em;color:#555">{html.escape(n)}</div>' for n in legend.notes)
    st.markdown(f"**{html.escape(legend.title)}**<div>{rows}</div>{notes}", unsafe_allow_html=True)


def line_legend(legend: LineLegend | None) -> None:
    """A legend of line styles (the old communes' confidence classes); nothing when ``legend`` is None."""
    if legend is None:
        return
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">{line_sample(style)}'
        f"<span>{html.escape(label)}{'' if count is None else f' ({format_int(count)})'}</span></div>"
        for style, label, count in legend.entries
    )
    notes = "".join(f'<div style="font-size:0.85em;color:#555">{html.escape(n)}</div>' for n in legend.notes)
    st.markdown(f"**{html.escape(legend.title)}**<div>{rows}</div>{notes}", unsafe_allow_html=True)


def _mark_row(kind: str, colour: str, label: str, count: int) -> str:
    """A legend row of a mark drawn without colour: stripes (stale units) or a dot (a province's own report)."""
    if kind == "hatch":
        swatch = (
            f"width:14px;height:14px;border:1px solid #777;background-color:{html.escape(colour)};"
            "background-image:repeating-linear-gradient(45deg,rgba(33,33,33,.75) 0 2px,transparent 2px 5px)"
        )
    else:
        swatch = (
            "width:10px;height:10px;margin:0 2px;border:2px solid " + palette.HATCH_COLOUR + ";border-radius:50%;"
            f"background:{html.escape(colour)}"
        )
    return (
        f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
        f'<span style="{swatch};flex:none"></span><span>{html.escape(label)} ({format_int(count)})</span></div>'
    )


def status_lines(row: dict) -> None:
    """The unit's current status: task class and counts, service centre and gaps, last report."""
    task_colour, task_label = TASK_STYLES.get(row.get("task_class") or "", TASK_STYLES["grey"])
    centre_colour, centre_label = CENTRE_STYLES.get(row.get("centre_class") or "", CENTRE_STYLES["unknown"])
    reported = row.get("reported_at")
    when = (
        format_date(reported.tz_convert(LOCAL_TZ).to_pydatetime(), with_time=True)
        if isinstance(reported, pd.Timestamp) and not pd.isna(reported)
        else "chưa có"
    )
    counts = ""
    if not pd.isna(row.get("tasks_total")):
        counts = (
            f" — {format_int(row.get('tasks_done'))}/{format_int(row.get('tasks_total'))} nhiệm vụ xong, "
            f"{format_int(row.get('tasks_overdue'))} quá hạn"
        )
    gaps = f" (thiếu: {row['gaps']})" if row.get("gaps") else ""
    lines = [
        (task_colour, task_label + counts),
        (centre_colour, "Trung tâm: " + centre_label + gaps),
    ]
    body = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;background:{c};margin-right:6px"></span>'
        f"{html.escape(text)}</div>"
        for c, text in lines
    )
    notes = [f"Báo cáo gần nhất: {when}" + (" (quá hạn cập nhật)" if row.get("stale") else "")]
    if row.get("conflict"):
        notes.append(f"Các phần không thống nhất: {row['conflict']}")
    if row.get("is_demo"):
        notes.append("DỮ LIỆU MINH HOẠ")
    body += "".join(f'<div style="font-size:0.85em;color:#555">{html.escape(n)}</div>' for n in notes)
    st.markdown(body, unsafe_allow_html=True)


def old_shape_lines(old: dict) -> None:
    """How the old commune's polygon was rebuilt: confidence class, predicted IoU, method, and the caveat."""
    iou = format_iou(old.get("confidence"))
    lines = [
        f"Độ tin cậy ranh giới: {old['class_label']}" + (f" (IoU dự đoán {iou})" if iou else ""),
        f"Cách dựng: {old['method_label'] or 'không rõ'}",
    ]
    st.markdown("  \n".join(md_escape(line) for line in lines))
    meaning = CLASS_MEANINGS[old["confidence_class"]]
    st.caption(md_escape(f"{RECONSTRUCTED_CAVEAT} {meaning[:1].upper()}{meaning[1:]}."))


def unit_panel(tables: dict) -> None:
    """Details of the selected new commune (with predecessors) or old commune (with targets)."""
    commune = tables.get("commune")
    if commune:
        st.subheader(md_escape(commune["full_name"]), anchor=False)
        st.caption(md_escape(f"Mã {commune['code']} · {commune['type']} · {commune['province_name']}"))
        if commune.get("basis"):
            when = f" (tên, loại hình tính đến {format_date(commune['on'])})" if commune.get("on") else ""
            st.caption(md_escape(f"Căn cứ: {commune['basis']}{when}"))
        facts = quality_report.commune_facts(commune)
        st.table(pd.DataFrame({"": list(facts), "Giá trị": list(facts.values())}).set_index(""))
        if tables.get("status"):
            status_lines(tables["status"])
        predecessors = tables["predecessors"]
        st.markdown(f"**Hình thành từ {len(predecessors)} đơn vị cũ**")
        shown = predecessors.assign(share_of_new=predecessors["share_of_new"].map(format_percent))
        if shown["old_province_name"].nunique() <= 1:
            shown = shown.drop(columns="old_province_name")
        shown = shown.drop(columns=["relation"]).rename(
            columns={
                "old_code": "Mã",
                "old_name": "Xã cũ",
                "old_district_name": "Huyện cũ",
                "old_province_name": "Tỉnh cũ",
                "part": "Phần",
                "share_of_new": "Tỉ lệ DT",
            }
        )
        st.table(shown.set_index("Xã cũ"))
    old = tables.get("old")
    if old:
        st.subheader(md_escape(f"{old['old_name']} (cũ)"), anchor=False)
        st.caption(md_escape(f"Mã {old['old_code']} · {old['old_district_name']} · {old['old_province_name']}"))
        if "confidence_class" in old:
            old_shape_lines(old)
        targets = tables["targets"]
        st.markdown(f"**Nay thuộc {len(targets)} đơn vị mới**")
        shown = targets.assign(share_of_old=targets["share_of_old"].map(format_percent)).rename(
            columns={
                "new_code": "Mã mới",
                "new_name": "Xã mới",
                "new_province_name": "Tỉnh mới",
                "part": "Toàn bộ/một phần",
                "share_of_old": "Tỉ lệ diện tích",
            }
        )
        st.table(shown.set_index("Xã mới"))
    if not commune and not old:
        st.info("Nhấp vào một đơn vị trên bản đồ, hoặc tìm theo tên hay mã, để xem nó được hình thành từ đâu.")


def run_page(page) -> None:
    """Run ``page``; an unexpected error is logged with its traceback and a reference, and the visitor sees
    one Vietnamese line with that reference (never Streamlit's English error box or a server path).

    Streamlit's own stop and rerun signals are not errors (they derive from BaseException) and pass.
    """
    import logging
    import secrets

    try:
        page.run()
    except Exception:
        if settings().reraise_errors:
            raise
        reference = secrets.token_hex(4).upper()
        logging.getLogger("vnmap.app").exception("unexpected error, reference %s, page %s", reference, page.url_path)
        st.error(
            f"Đã xảy ra lỗi ngoài dự kiến (mã tham chiếu {reference}). Hãy tải lại trang và thử lại; nếu lỗi lặp "
            "lại, hãy gửi mã tham chiếu này cho quản trị viên (mã được ghi trong nhật ký của máy chủ)."
        )


def problems_table(
    frame: pd.DataFrame, *, key: str, csv: Callable[[], bytes] | None = None, file_name: str = "loi.csv"
) -> None:
    """The first ``max_problems`` (:mod:`lib.core.settings`) rows of a list of problems, a line saying how
    many there are, and (with ``csv``, called only when the file is asked for) the whole list as a download:
    a file with a problem on every one of its 200,000 rows must not send them all to the browser."""
    shown = settings().max_problems
    st.dataframe(frame.head(shown), hide_index=True, width="stretch")
    if len(frame) > shown:
        st.caption(
            f"Hiện {format_int(shown)} dòng đầu trong {format_int(len(frame))}"
            + ("; danh sách đầy đủ ở tệp tải về dưới đây." if csv is not None else ".")
        )
    if csv is not None and len(frame) > shown:
        st.download_button("Tải danh sách lỗi đầy đủ (.csv)", csv, file_name, mime="text/csv", key=key)
