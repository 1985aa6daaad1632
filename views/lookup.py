"""Tra cứu: search any old or new unit, its lineage both ways, the filtered crosswalk, exports, batch conversion."""

import streamlit as st

from lib.core.vocab import REFORM_DATE, RELATION_LABELS, RELATIONS
from lib.data.i18n import format_date, format_int, format_percent, today
from lib.io.export import FORMATS, MEDIA_TYPES, export_info
from lib.io.text import md_escape
from lib.lookup import lineage
from lib.lookup.convert import ConvertError, conversion_bytes, convert_file
from lib.lookup.crosswalk_export import crosswalk_export
from lib.lookup.search import MAX_QUERY
from lib.ui import cache, widgets

st.title("Tra cứu xã cũ ↔ xã mới")
on = st.date_input(
    "Tên, loại hình xã mới tính đến ngày", value=today(), min_value=REFORM_DATE, format="DD/MM/YYYY", key="lookup_on"
)
crosswalk = cache.crosswalk_on(on.isoformat())  # new names and types as of that date, with their legal basis
manifest = cache.manifest()
columns = {c: st.column_config.TextColumn(label) for c, label in lineage.COLUMN_LABELS.items()}
shown = [c for c in lineage.COLUMN_LABELS if c in crosswalk.columns]
search_tab, table_tab, convert_tab = st.tabs(["Tìm đơn vị", "Bảng chuyển đổi và xuất tệp", "Chuyển đổi danh sách"])

with search_tab:
    query = st.text_input(
        "Tên hoặc mã đơn vị (xã, huyện, tỉnh; cũ hoặc mới; có dấu hoặc không)",
        key="lookup_query",
        max_chars=MAX_QUERY,
        placeholder="ví dụ: phuc xa, Phường Phúc Xá, Ba Đình, 00001",
    )
    results = cache.search_index().search(query, limit=30) if query.strip() else None
    if results is not None and results.empty:
        st.info("Không tìm thấy đơn vị nào. Hãy thử bỏ bớt từ hoặc nhập mã.")
    elif results is not None:
        labels = lineage.result_labels(results)
        choice = st.radio("Kết quả", range(len(labels)), format_func=labels.__getitem__, key="lookup_choice")
        picked = results.iloc[choice if choice is not None and choice < len(results) else 0]
        item = lineage.lineage(crosswalk, kind=picked["kind"], code=picked["code"])
        st.subheader(md_escape(item.name))
        st.markdown(md_escape(lineage.describe(item)))
        cols = st.columns(3)
        cols[0].metric("Đơn vị cũ", format_int(len(item.old_codes)))
        cols[1].metric("Xã mới", format_int(len(item.new_codes)))
        cols[2].metric("Cặp các nguồn khác nhau", format_int(item.disagreements))
        st.dataframe(item.pairs[shown], hide_index=True, width="stretch", column_config=columns)
        if not item.related.empty:
            related = (
                "Các đơn vị cũ khác cùng vào những xã mới này"
                if item.kind.startswith("old")
                else "Các xã mới khác nhận một phần của những đơn vị cũ này"
            )
            st.caption(related)
            st.dataframe(item.related[shown], hide_index=True, width="stretch", column_config=columns)

with table_tab:
    left, middle, right = st.columns(3)
    new_options = lineage.choices(crosswalk, "new_province_code", "new_province_name")
    old_options = lineage.choices(crosswalk, "old_province_code", "old_province_name")
    new_province = left.selectbox(
        "Tỉnh mới", [None, *new_options], format_func=lambda c: new_options.get(c, "Tất cả"), key="lookup_new_province"
    )
    old_province = middle.selectbox(
        "Tỉnh cũ", [None, *old_options], format_func=lambda c: old_options.get(c, "Tất cả"), key="lookup_old_province"
    )
    district_options = lineage.choices(crosswalk, "old_district_code", "old_district_name", old_province=old_province)
    old_district = right.selectbox(
        "Huyện cũ",
        [None, *district_options],
        format_func=lambda c: district_options.get(c, "Tất cả"),
        key="lookup_old_district",
    )
    relations = st.multiselect("Quan hệ", RELATIONS, format_func=RELATION_LABELS.get, key="lookup_relations")
    checks = st.columns(2)
    only_split = checks[0].checkbox("Chỉ xã cũ bị chia tách", key="lookup_only_split")
    only_disagreement = checks[1].checkbox("Chỉ cặp mà các nguồn khác nhau", key="lookup_only_disagreement")
    filters = dict(
        new_province=new_province,
        old_province=old_province,
        old_district=old_district,
        relations=tuple(relations),
        only_split=only_split,
        only_disagreement=only_disagreement,
    )
    selected = lineage.filter_crosswalk(crosswalk, **filters)
    st.caption(
        f"{format_int(len(selected))} cặp (xã cũ, xã mới) · {format_int(selected['old_code'].nunique())} "
        f"đơn vị cũ · {format_int(selected['new_code'].nunique())} xã mới"
    )
    st.dataframe(selected[shown], hide_index=True, width="stretch", column_config=columns)

    st.subheader("Xuất tệp")
    scope = st.radio(
        "Phạm vi",
        ["filtered", "all"],
        horizontal=True,
        key="lookup_export_scope",
        format_func={"filtered": "Theo bộ lọc", "all": "Toàn bộ bảng"}.get,
    )
    fmt = st.radio(
        "Định dạng",
        FORMATS,
        horizontal=True,
        key="lookup_export_format",
        format_func={"csv": "CSV (Excel)", "xlsx": "XLSX", "geojson": "GeoJSON", "parquet": "GeoParquet"}.get,
    )
    rows = selected if scope == "filtered" else crosswalk
    selection = lineage.describe_filters(**filters) if scope == "filtered" else "toàn bộ bảng chuyển đổi"
    selection = f"{selection}; tên, loại hình xã mới tính đến {format_date(on)}"
    request = (fmt, selection, len(rows))
    if fmt in ("geojson", "parquet"):
        st.caption(
            "Hình học: mỗi cặp mang ranh giới của XÃ MỚI (cột geometry_of = new_commune). "
            "GeoJSON của toàn bộ bảng nặng khoảng 43 MB; GeoParquet khoảng 12 MB."
        )
    if rows.empty:
        st.warning("Bộ lọc không chọn cặp nào: không có gì để xuất.")
    elif st.button("Tạo tệp", key="lookup_export_make"):
        with st.spinner("Đang tạo tệp…"):
            polygons = cache.layer("new_communes") if fmt in ("geojson", "parquet") else None
            data = crosswalk_export(
                fmt,
                rows,
                crosswalk=crosswalk,
                province_crosswalk=cache.province_crosswalk(),
                manifest=manifest,
                new_communes=polygons,
                selection=selection,
                changes=cache.changes(),
                on=on,
                old_communes=cache.layer("old_communes") if cache.has_layer("old_communes") else None,
            )
        st.session_state["lookup_export"] = (request, data)
    made = st.session_state.get("lookup_export")
    if made and made[0] == request:
        st.download_button(
            f"Tải xuống ({format_int(len(made[1]) / 1024)} KB)",
            made[1],
            file_name=f"chuyen_doi_xa_{manifest['version']}.{fmt}",
            mime=MEDIA_TYPES[fmt],
            key="lookup_export_download",
        )
    st.caption(
        f"Dữ liệu phiên bản {manifest['version']}; mã luôn là văn bản (giữ số 0 ở đầu). Mở bằng Excel: nên "
        "dùng XLSX — Excel mở thẳng tệp CSV sẽ đổi mã 00001 thành số 1 (hãy nhập qua Data → From Text/CSV, "
        "kiểu Text)."
    )

with convert_tab:
    st.markdown(
        "Tải lên danh sách đơn vị cũ (CSV hoặc XLSX) có cột **Mã xã**, hoặc **Tên xã** (kèm **Huyện**, "
        "**Tỉnh** nếu có), hoặc **Địa chỉ**. Kết quả thêm xã mới, tỉnh mới và cột mức độ khớp; xã bị chia "
        "tách có mọi phương án."
    )
    upload = st.file_uploader(
        f"Danh sách đơn vị cũ ({cache.upload_limit()})", type=["csv", "xlsx", "xls"], key="lookup_upload"
    )
    expand = st.checkbox("Mỗi phương án một dòng (xã bị chia tách)", key="lookup_expand")
    if upload is not None:
        try:
            result = convert_file(upload.getvalue(), upload.name, cache.converter(), expand=expand)
        except ConvertError as err:
            st.error(md_escape(err))
        else:
            st.caption(f"Cột đã nhận: {md_escape(result.columns.describe())}")
            cols = st.columns(3)
            cols[0].metric("Dòng có đơn vị", format_int(result.given_rows))
            cols[1].metric("Tỷ lệ khớp", format_percent(result.match_rate))
            cols[2].metric("Cần xem lại", format_int(len(result.problems)))
            st.dataframe(result.summary(), hide_index=True)
            if not result.problems.empty:
                st.caption("Các dòng chưa khớp và lý do")
                widgets.problems_table(result.problems, key="lookup_problems")  # all in the XLSX download
            st.dataframe(result.table, hide_index=True, width="stretch")
            info = export_info(manifest, selection=f"chuyển đổi tệp {upload.name}")
            stem = upload.name.rsplit(".", 1)[0]
            for out_fmt, column in zip(("csv", "xlsx"), st.columns(2), strict=False):
                column.download_button(
                    f"Tải kết quả .{out_fmt}",
                    conversion_bytes(result, out_fmt, info),
                    file_name=f"{stem}_xa_moi.{out_fmt}",
                    mime=MEDIA_TYPES[out_fmt],
                    key=f"lookup_convert_{out_fmt}",
                )
