"""Dữ liệu: the dataset in use (version, counts, validation, provenance) and checking another layer."""

import streamlit as st

from lib.data import geodata
from lib.data.i18n import format_int
from lib.data.validate import LayerError
from lib.io.layers import check_uploaded_layer, layer_fields
from lib.io.text import md_escape
from lib.ui import cache

st.title("Dữ liệu ranh giới")
info = cache.manifest()
st.markdown(f"Bộ dữ liệu đang dùng: **{info['version']}** — thư mục `{geodata.default_dir().name}`")
labels = {
    "new_provinces": "Tỉnh, thành phố mới",
    "new_communes": "Xã, phường, đặc khu mới",
    "old_provinces": "Tỉnh cũ",
    "old_communes_gso": "Xã cũ (danh mục 30/06/2025)",
    "crosswalk_pairs": "Cặp xã cũ – xã mới",
    "crosswalk_split_old_communes": "Xã cũ bị chia tách",
    "crosswalk_disagreeing_pairs": "Cặp mà hai nguồn không khớp",
}
cols = st.columns(4)
for i, (key, label) in enumerate(labels.items()):
    cols[i % 4].metric(label, format_int(info["counts"].get(key)))

if st.button("Kiểm tra toàn bộ dữ liệu", key="data_validate"):
    report = cache.validation_report()
    (st.success if report.ok else st.error)("Tất cả kiểm tra đạt" if report.ok else "Có kiểm tra không đạt")
    st.caption("Báo cáo kỹ thuật của bộ dữ liệu (bằng tiếng Anh, dành cho người xây dựng dữ liệu):")
    st.code(report.render(), language=None)

st.subheader("Kiểm tra một lớp dữ liệu khác")
st.caption(
    "Tải lên tệp GeoJSON/GeoPackage (hệ toạ độ EPSG:4326), chọn trường mã và trường tên; "
    "ứng dụng kiểm tra hệ toạ độ, hình học, mã trùng hoặc thiếu."
)
upload = st.file_uploader(
    f"Tệp ranh giới ({cache.upload_limit()})", type=["geojson", "json", "gpkg"], key="data_upload"
)
if upload is not None:
    data = upload.getvalue()
    try:
        fields = layer_fields(data, upload.name)
    except LayerError as err:
        st.error("\n\n".join(md_escape(problem) for problem in err.problems))
        st.stop()
    level = st.selectbox("Cấp", ["Xã (5 chữ số)", "Huyện (3 chữ số)", "Tỉnh (2 chữ số)"], key="data_level")
    code_field = st.selectbox("Trường mã", fields, key="data_code_field")
    name_field = st.selectbox("Trường tên", fields, index=min(1, len(fields) - 1), key="data_name_field")
    width = {"X": 5, "H": 3, "T": 2}[level[0]]
    try:
        count = check_uploaded_layer(data, upload.name, code_field=code_field, name_field=name_field, code_width=width)
    except LayerError as err:
        st.error(f"{format_int(err.total)} lỗi trong {md_escape(upload.name)}:")
        st.dataframe({"Lỗi": err.problems}, hide_index=True, width="stretch")
    else:
        st.success(f"{md_escape(upload.name)}: {format_int(count)} đơn vị, hợp lệ.")

with st.expander("Nguồn gốc dữ liệu (SOURCES.md)"):
    st.markdown(cache.sources_text())
