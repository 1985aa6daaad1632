"""Bản đồ chính quyền địa phương hai cấp — entry point: page config, navigation, shared sidebar."""

import streamlit as st

from lib import cache

st.set_page_config(page_title="Bản đồ chính quyền hai cấp", page_icon="🗺️", layout="wide")

# One entry per page; each page file is thin and draws from lib/.
PAGES = [
    st.Page("pages/overview.py", title="Tổng quan", icon="🏛️", default=True, url_path="overview"),
    st.Page("pages/lookup.py", title="Tra cứu xã cũ ↔ mới", icon="🔎", url_path="lookup"),
    st.Page("pages/status.py", title="Tình hình", icon="📊", url_path="status"),
]

page = st.navigation(PAGES)
with st.sidebar:
    info = cache.manifest()
    st.caption(f"Dữ liệu: phiên bản {info['version']}")
page.run()
