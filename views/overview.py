"""Tổng quan: the 34 new provinces with their commune counts (national overview)."""

import streamlit as st

from lib.core.vocab import REFORM_TEXT
from lib.data.i18n import format_int
from lib.lookup import overview
from lib.ui import cache

st.title(f"Tổng quan 34 tỉnh, thành phố từ {REFORM_TEXT}")
provinces = cache.layer("new_provinces")
province_crosswalk = cache.province_crosswalk()
table = overview.province_table(provinces, cache.crosswalk(), province_crosswalk)
totals = overview.totals(table, province_crosswalk)

cols = st.columns(4)
cols[0].metric("Tỉnh, thành phố", format_int(totals["provinces"]))
cols[1].metric("Xã, phường, đặc khu", format_int(totals["communes"]))
cols[2].metric(f"Tỉnh cũ (trước {REFORM_TEXT})", format_int(totals["old_provinces"]))
cols[3].metric("Xã cũ", format_int(totals["old_communes"]))

st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "code": st.column_config.TextColumn("Mã"),
        "full_name": st.column_config.TextColumn("Tỉnh, thành phố"),
        "communes": st.column_config.NumberColumn("Số xã, phường, đặc khu"),
        "phuong": st.column_config.NumberColumn("Phường"),
        "xa": st.column_config.NumberColumn("Xã"),
        "dac_khu": st.column_config.NumberColumn("Đặc khu"),
        "old_provinces": st.column_config.TextColumn("Hình thành từ (tỉnh cũ)"),
        "old_communes": st.column_config.NumberColumn("Số xã cũ"),
        "area_km2": st.column_config.NumberColumn("Diện tích (km²)", format="%.1f"),
        "population": st.column_config.NumberColumn("Dân số"),
    },
)
st.caption(f"Nguồn: {cache.manifest()['version']} — xem geodata/SOURCES.md")
