"""Bản đồ: the new units coloured by status or merge structure; click a unit to see what it was made of."""

import streamlit as st
from streamlit_folium import st_folium

from lib.core.vocab import REFORM_DATE
from lib.data.i18n import today
from lib.io.text import md_escape
from lib.lookup.search import MAX_QUERY
from lib.maps import leaflet, urlstate
from lib.maps import view as mapview
from lib.maps.style import MODE_LABELS
from lib.maps.urlstate import OLD_LAYERS, ViewState
from lib.status import status
from lib.status.store import default_url
from lib.ui import cache, widgets

communes = cache.layer("new_communes")
provinces = cache.layer("new_provinces")
table = cache.crosswalk()
store = cache.status_store(default_url())
province_names = dict(zip(provinces["code"], provinces["full_name"], strict=False))
commune_province = dict(zip(communes["code"], communes["province_code"], strict=False))
LAYER_LABELS = {
    "old_communes": "Xã cũ (dựng lại)",
    "old_districts": "Huyện cũ (dựng lại)",
    "old_provinces": "Tỉnh cũ (dựng lại)",
}
available_layers = [k for k in OLD_LAYERS if cache.has_layer(k)]

# First run of a session: the URL decides; afterwards the widgets do, and the URL follows.
if "map_view" not in st.session_state:
    view, messages = urlstate.parse_view(
        st.query_params.to_dict(),
        provinces=province_names,
        communes=commune_province,
        old_communes=set(table["old_code"]),
    )
    st.session_state["map_view"], st.session_state["map_url_messages"] = view, messages
for message in st.session_state.get("map_url_messages", []):
    st.warning(md_escape(message))
view: ViewState = st.session_state["map_view"]

with st.sidebar:
    query = st.text_input(
        "Tìm xã, phường, tỉnh (cũ hoặc mới)", key="map_search", placeholder="vd. phuc xa, 00001", max_chars=MAX_QUERY
    )
    results = cache.search_index().search(query, limit=10) if query else None
    if results is not None and results.empty:
        st.caption("Không tìm thấy đơn vị nào.")
    elif results is not None:
        labels = mapview.search_labels(results)
        pick = st.selectbox(
            "Kết quả",
            range(len(results)),
            index=None,
            format_func=labels.__getitem__,
            key="map_search_pick",
            placeholder="Chọn một kết quả",
        )
        if pick is not None:
            row = results.iloc[pick]
            st.session_state["map_view"] = mapview.view_for_result(
                view, row["kind"], row["code"], row["new_codes"], commune_province
            )
            for key in ("map_search_pick", "map_province_select"):
                st.session_state.pop(key, None)
            st.rerun()
    options = [""] + list(province_names)
    province = st.selectbox(
        "Tỉnh, thành phố",
        options,
        index=options.index(view.province),
        format_func=lambda c: province_names.get(c, "Toàn quốc"),
        key="map_province_select",
    )
    level = view.level
    if not province:
        level = st.radio(
            "Hiển thị",
            urlstate.LEVELS,
            index=urlstate.LEVELS.index(view.level),
            horizontal=True,
            format_func={"province": "34 tỉnh", "commune": "3.321 xã"}.get,
            key="map_level",
        )
    mode = st.radio(
        "Tô màu theo",
        urlstate.MODES,
        index=urlstate.MODES.index(view.mode),
        format_func=MODE_LABELS.get,
        key="map_mode",
    )
    default_as_of = status.default_as_of(store)
    day = st.date_input(
        "Số liệu tính đến ngày",
        value=view.date or default_as_of.date(),
        format="DD/MM/YYYY",
        key="map_date",
        disabled=mode == "merge",
    )
    on = st.date_input(
        "Tên, loại hình đơn vị tính đến ngày",
        value=view.on or today(),
        min_value=REFORM_DATE,
        format="DD/MM/YYYY",
        key="map_on",
    )
    layers = st.multiselect(
        "Ranh giới cũ",
        available_layers,
        default=[x for x in view.layers if x in available_layers],
        format_func=LAYER_LABELS.get,
        key="map_layers",
        placeholder="Chọn lớp ranh giới cũ",
    )
    pick_old = (
        "old_communes" in layers
        and st.radio(
            "Nhấp vào bản đồ để chọn",
            ["new", "old"],
            horizontal=True,
            key="map_pick",
            format_func={"new": "xã mới", "old": "xã cũ"}.get,
        )
        == "old"
    )
date = None if day == default_as_of.date() and view.date is None else day
on = None if on == today() and view.on is None else on
view = urlstate.with_changes(view, province=province, level=level, mode=mode, layers=tuple(layers), date=date, on=on)
st.session_state["map_view"] = view
st.query_params.from_dict(urlstate.to_params(view))

as_of = mapview.as_of_time(view.date, default_as_of)
status_frame = (
    None if view.mode == "merge" else cache.commune_status(default_url(), as_of.isoformat(), store.revision())
)
province_reports = (
    None if view.mode == "merge" else cache.province_reports(default_url(), as_of.isoformat(), store.revision())
)
built = mapview.build(
    view,
    communes=communes,
    provinces=provinces,
    crosswalk=table,
    geometry=lambda kind, prov: cache.map_geometry_url(kind, prov) or cache.map_geometry(kind, prov),
    merge=cache.merge_structure(),
    status=status_frame,
    as_of=as_of,
    pick_old=pick_old,
    tiles=leaflet.configured_tiles(),
    province_reports=province_reports,
    old_communes=cache.layer("old_communes") if "old_communes" in available_layers else None,
)
map_col, panel_col = st.columns([3, 1.4])
with map_col:
    st.subheader(md_escape(built.title), anchor=False)
    # The base map (frame, extent) and the overlay (colours, layers, selection) go in apart: the
    # component is keyed by the base's script, so a new colour mode or date only swaps the overlay
    # and the reader's zoom and position stay (see lib.maps.view.BuiltView).
    clicked = st_folium(
        built.base,
        feature_group_to_add=built.overlay,
        key="map",
        height=640,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
    )
    new_view = mapview.apply_click(view, clicked, last=st.session_state.get("map_last_click"))
    if new_view is not None:
        st.session_state["map_last_click"] = (clicked or {}).get("last_active_drawing", {}).get("properties")
        st.session_state["map_view"] = new_view
        st.session_state.pop("map_province_select", None)
        st.rerun()
with panel_col:
    widgets.legend(built.legend)
    widgets.line_legend(built.old_lines)  # the old communes' line styles (confidence classes)
    if not st.context.is_embedded:  # ?embed=true (iframe on an intranet page): only the map and its legend
        widgets.unit_panel(
            mapview.panel_tables(
                view,
                communes=communes,
                crosswalk=table,
                status=status_frame,
                changes=cache.changes(),
                old_communes=cache.layer("old_communes") if "old_communes" in available_layers else None,
            )
        )
