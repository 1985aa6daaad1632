"""Bản đồ: the new units coloured by status or merge structure; click a unit to see what it was made of."""

import streamlit as st
from streamlit_folium import st_folium

from lib import cache, mapview, urlstate, widgets
from lib.mapstyle import MODE_LABELS
from lib.urlstate import OLD_LAYERS, ViewState

communes = cache.layer("new_communes")
provinces = cache.layer("new_provinces")
table = cache.crosswalk()
province_names = dict(zip(provinces["code"], provinces["full_name"]))
LAYER_LABELS = {"old_communes": "Xã cũ (dựng lại)", "old_districts": "Huyện cũ", "old_provinces": "Tỉnh cũ"}
available_layers = [k for k in OLD_LAYERS if cache.has_layer(k)]

# First run of a session: the URL decides; afterwards the widgets do, and the URL follows.
if "map_view" not in st.session_state:
    view, messages = urlstate.parse_view(
        st.query_params.to_dict(), provinces=province_names, communes=set(communes["code"]),
        old_communes=set(table["old_code"]))
    st.session_state["map_view"] = view
    st.session_state["map_url_messages"] = messages
for message in st.session_state.get("map_url_messages", []):
    st.warning(message)
view: ViewState = st.session_state["map_view"]

with st.sidebar:
    province = st.selectbox("Tỉnh, thành phố", [""] + list(province_names), index=([""] + list(province_names)).index(view.province),
                            format_func=lambda c: province_names.get(c, "Toàn quốc"), key="map_province_select")
    level = view.level
    if not province:
        level = st.radio("Hiển thị", urlstate.LEVELS, index=urlstate.LEVELS.index(view.level), horizontal=True,
                         format_func={"province": "34 tỉnh", "commune": "3.321 xã"}.get, key="map_level")
    mode = st.radio("Tô màu theo", urlstate.MODES, index=urlstate.MODES.index(view.mode),
                    format_func=MODE_LABELS.get, key="map_mode")
    layers = st.multiselect("Ranh giới cũ", available_layers, default=[x for x in view.layers if x in available_layers],
                            format_func=LAYER_LABELS.get, key="map_layers", placeholder="Chọn lớp ranh giới cũ")
    pick_old = "old_communes" in layers and st.radio(
        "Nhấp vào bản đồ để chọn", ["new", "old"], horizontal=True, key="map_pick",
        format_func={"new": "xã mới", "old": "xã cũ"}.get) == "old"
view = urlstate.with_changes(view, province=province, level=level, mode=mode, layers=tuple(layers))
st.session_state["map_view"] = view
st.query_params.from_dict(urlstate.to_params(view))

built = mapview.build(view, communes=communes, provinces=provinces, crosswalk=table,
                      geometry=lambda kind, prov: cache.map_geometry_url(kind, prov) or cache.map_geometry(kind, prov),
                      merge=cache.merge_structure(), status=None, pick_old=pick_old,
                      old_communes=cache.layer("old_communes") if "old_communes" in available_layers else None)
map_col, panel_col = st.columns([3, 1.4])
with map_col:
    st.markdown(f"**{built.title}**")
    clicked = st_folium(built.map, key="map", height=640, use_container_width=True,
                        returned_objects=["last_active_drawing"])
    new_view = mapview.apply_click(view, clicked, last=st.session_state.get("map_last_click"))
    if new_view is not None:
        st.session_state["map_last_click"] = (clicked or {}).get("last_active_drawing", {}).get("properties")
        st.session_state["map_view"] = new_view
        st.rerun()
with panel_col:
    widgets.legend(built.legend)
    if not st.context.is_embedded:  # ?embed=true (iframe on an intranet page): only the map and its legend
        widgets.unit_panel(mapview.panel_tables(view, communes=communes, crosswalk=table))
