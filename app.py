"""Bản đồ chính quyền địa phương hai cấp — entry point: page config, navigation, shared sidebar."""

import streamlit as st

from lib.ui import cache, widgets

st.set_page_config(page_title="Bản đồ chính quyền hai cấp", page_icon="static/favicon.png", layout="wide")

# One entry per page; each page file is thin and draws from lib/. The files live in views/, not
# pages/: Streamlit would also serve a pages/ folder by file name (/map), bypassing this frame.
# Streamlit serves the default page only at "/" (its url_path gives "/map" a "Page not found"),
# so the map is registered twice: the default page in the menu, opened at "/", and a hidden
# copy of the same file at "/map", so that every page has its own path.
PAGES = [
    st.Page("views/map.py", title="Bản đồ", icon=":material/map:", default=True, url_path="ban-do"),
    st.Page("views/map.py", title="Bản đồ", icon=":material/map:", url_path="map", visibility="hidden"),
    st.Page("views/overview.py", title="Tổng quan", icon=":material/account_balance:", url_path="overview"),
    st.Page("views/data.py", title="Dữ liệu", icon=":material/dataset:", url_path="data"),
    st.Page("views/lookup.py", title="Tra cứu xã cũ ↔ mới", icon=":material/search:", url_path="lookup"),
    st.Page("views/status.py", title="Tình hình", icon=":material/monitoring:", url_path="status"),
    st.Page("views/import_reports.py", title="Nhập báo cáo", icon=":material/upload_file:", url_path="import"),
    st.Page("views/quality.py", title="Chất lượng dữ liệu", icon=":material/fact_check:", url_path="quality"),
    st.Page("views/briefing.py", title="Bản đồ cho báo cáo", icon=":material/print:", url_path="briefing"),
]

embedded = bool(st.context.is_embedded)  # ?embed=true: an iframe on an intranet page
page = st.navigation(PAGES, position="hidden" if embedded else "sidebar")
if (
    embedded
):  # Streamlit 1.67 keeps the sidebar in embed mode: hide it (and its opener), the page shows only its content
    st.html("<style>[data-testid='stSidebar'],[data-testid='stSidebarCollapsedControl']{display:none}</style>")
with st.sidebar:
    info = cache.manifest()
    st.caption(f"Dữ liệu: phiên bản {info['version']}")
widgets.run_page(page)  # an unexpected error: one Vietnamese line with a reference, logged
