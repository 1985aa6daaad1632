"""Bản đồ cho báo cáo: static maps (PNG, SVG, PDF), interactive HTML, a province brief and an embed link."""

import streamlit as st

from lib.data import i18n
from lib.maps import html as htmlexport
from lib.maps import staticdata, urlstate
from lib.maps.style import MODE_LABELS
from lib.maps.urlstate import ViewState
from lib.status import status
from lib.status.store import default_url
from lib.ui import cache

URL = default_url()
store = cache.status_store(URL)
revision = store.revision()
provinces = cache.layer("new_provinces")
province_names = dict(zip(provinces["code"], provinces["full_name"], strict=False))

st.title("Bản đồ cho báo cáo, trình chiếu và trang nội bộ")
left, middle, right = st.columns([1.3, 1, 1])
province = left.selectbox(
    "Tỉnh, thành phố",
    [""] + list(province_names),
    key="brief_province",
    format_func=lambda c: province_names.get(c, "Toàn quốc"),
)
level = "province"
if not province:
    level = middle.radio(
        "Hiển thị",
        urlstate.LEVELS,
        horizontal=True,
        key="brief_level",
        format_func={"province": "34 tỉnh", "commune": "3.321 xã"}.get,
    )
mode = middle.radio("Tô màu theo", urlstate.MODES, format_func=MODE_LABELS.get, key="brief_mode")
default_day = status.default_as_of(store).date()
day = right.date_input(
    "Số liệu tính đến hết ngày", value=default_day, max_value=i18n.today(), format="DD/MM/YYYY", key="brief_day"
)
view = ViewState(province=province, level=level, mode=mode, date=day if day != default_day else None)
args = (province, level, mode, URL, day.isoformat(), revision)
inputs = cache.briefing_inputs(URL, day.isoformat(), revision)
if inputs.status is not None and inputs.status["is_demo"].any():
    st.warning("DỮ LIỆU MINH HOẠ — không phải số liệu thật. Các bản đồ và bản tóm tắt đều ghi rõ điều này.")

st.subheader("Xem trước", anchor=False)
st.caption(staticdata.title_of(view, inputs))
with st.spinner("Đang vẽ bản đồ…"):
    st.image(cache.briefing_output("png", *args), width="stretch")

st.subheader("Tải về", anchor=False)
stem = f"ban-do-{province or 'toan-quoc'}-{mode}-{day:%Y%m%d}"
formats = [
    ("png", "Ảnh PNG (2400 px, cho trình chiếu)", "image/png"),
    ("svg", "SVG (sửa được)", "image/svg+xml"),
    ("pdf", "PDF (in ấn)", "application/pdf"),
    ("html", "HTML tương tác (mở không cần mạng)", "text/html"),
]
columns = st.columns(len(formats) + 1)
for column, (kind, label, mime) in zip(columns, formats, strict=False):
    column.download_button(
        label,
        lambda kind=kind: cache.briefing_output(kind, *args),
        f"{stem}.{kind}",
        mime=mime,
        key=f"brief_dl_{kind}",
        on_click="ignore",
    )
if province:
    columns[-1].download_button(
        "Bản tóm tắt tỉnh (PDF, A4)",
        lambda: cache.briefing_output("brief", *args),
        f"tom-tat-{province}-{day:%Y%m%d}.pdf",
        mime="application/pdf",
        key="brief_dl_brief",
        on_click="ignore",
    )
else:
    columns[-1].caption("Chọn một tỉnh để tải bản tóm tắt một trang.")

st.subheader("Nhúng vào trang nội bộ", anchor=False)
link = htmlexport.embed_link(view, page_url=st.context.url)
st.caption("Liên kết chỉ hiện bản đồ và chú giải (không có thanh bên). Nút sao chép ở góc phải ô.")
st.code(link, language=None)
st.code(htmlexport.iframe_snippet(link), language="html")
