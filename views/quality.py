"""Chất lượng dữ liệu: what is known wrong or uncertain, per unit (searchable, exportable)."""

import streamlit as st

from lib.data.i18n import format_int
from lib.io import export
from lib.io.text import md_escape
from lib.lookup import quality_report
from lib.ui import cache

st.title("Chất lượng dữ liệu")
st.caption(
    "Những gì đã biết là sai hoặc chưa chắc chắn, theo từng đơn vị: cặp xã cũ → mới bị loại hoặc cần xem lại, "
    "số liệu không hiển thị (kèm lý do), diện tích lệch, tỉnh có tổng dân số các xã lệch."
)
manifest = cache.manifest()
issues = cache.quality_issues()
counts = quality_report.counts(issues)

cols = st.columns(4)
for i, (label, count) in enumerate(counts.items()):
    cols[i % 4].metric(label, format_int(count))

query = st.text_input("Tìm theo mã hoặc tên (xã, tỉnh)", key="quality_query", placeholder="vd. 28439, Cai Lậy")
kinds = st.multiselect("Loại", list(counts), key="quality_kinds", placeholder="Tất cả")
shown = quality_report.filter_issues(issues, query, kinds=kinds)
if query:
    st.markdown(f"{format_int(len(shown))} dòng khớp với «{md_escape(query)}».")
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_config={
        "kind": st.column_config.TextColumn("Loại"),
        "level": st.column_config.TextColumn("Cấp"),
        "code": st.column_config.TextColumn("Mã"),
        "name": st.column_config.TextColumn("Tên"),
        "province_name": st.column_config.TextColumn("Tỉnh"),
        "related_code": st.column_config.TextColumn("Mã liên quan"),
        "related_name": st.column_config.TextColumn("Tên liên quan"),
        "detail": st.column_config.TextColumn("Lý do", width="large"),
        "source": st.column_config.TextColumn("Tệp nguồn"),
    },
)

info = export.export_info(manifest, selection=f"chất lượng dữ liệu; tìm: {query or '(tất cả)'}")
left, right = st.columns(2)
left.download_button("Tải CSV", export.csv_bytes(shown, info), "chat-luong-du-lieu.csv", "text/csv", key="quality_csv")
right.download_button(
    "Tải Excel (XLSX)",
    export.xlsx_bytes({"chat_luong": shown}, info, docs=quality_report.COLUMN_DOCS),
    "chat-luong-du-lieu.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="quality_xlsx",
)
st.caption(
    f"Nguồn: bộ dữ liệu {md_escape(manifest['version'])} (geodata/crosswalk_rejected.csv, crosswalk.csv, "
    "new/communes.geojson, population_check_provinces.csv; changes.csv nếu có) — cách kiểm tra: geodata/SOURCES.md"
)
