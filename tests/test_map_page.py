"""The map page through AppTest: URL parsing, mode switching, province choice, text shown as text."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_map(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def heading(at: AppTest) -> str:
    """The map's title, unescaped (the page escapes it for markdown)."""
    return "**" + at.subheader[0].value.replace("\\", "") + "**"


def test_default_is_national_provinces():
    at = open_map()
    assert not at.exception
    assert heading(at) == "**Toàn quốc: 34 tỉnh, thành phố — tiến độ thực hiện nhiệm vụ**"
    assert not at.warning


def test_url_sets_the_view():
    at = open_map(province="01", mode="merge", unit="00004")
    assert not at.exception
    assert at.selectbox(key="map_province_select").value == "01"
    assert at.radio(key="map_mode").value == "merge"
    assert heading(at) == "**Thành phố Hà Nội — cấu trúc sáp nhập**"
    assert any(h.value == "Phường Ba Đình" for h in at.subheader)


def test_bad_url_values_fall_back_with_messages():
    at = open_map(province="99", mode="rainbow", unit="abc", date="2025-02-30")
    assert not at.exception
    messages = [w.value for w in at.warning]
    assert len(messages) == 4
    assert heading(at).startswith("**Toàn quốc")


def test_switching_mode_and_province():
    at = open_map()
    at.radio(key="map_mode").set_value("centre").run()
    assert "trung tâm phục vụ hành chính công" in heading(at)
    at.selectbox(key="map_province_select").set_value("79").run()
    assert heading(at) == "**Thành phố Hồ Chí Minh — trung tâm phục vụ hành chính công**"
    assert not at.exception


def test_national_commune_level():
    at = open_map(level="commune", mode="merge")
    assert heading(at).startswith("**Toàn quốc: 3.321 xã")
    legend = next(m.value for m in at.markdown if "Số xã cũ hợp thành" in m.value)
    assert "(3.321)" not in legend  # counts are split across bins
    assert not at.exception


def panel_script():
    import pandas as pd

    from lib.ui import widgets

    evil = 'Xã <script>alert("x")</script> *đậm*'
    widgets.unit_panel(
        {
            "commune": {
                "full_name": evil,
                "code": "00001",
                "type": "Xã",
                "province_name": "Tỉnh <b>A</b>",
                "area_km2": 1.5,
                "population": 1234,
                "admin_centre": "<img src=x onerror=alert(1)>",
            },
            "predecessors": pd.DataFrame(
                {
                    "old_code": ["10001"],
                    "old_name": [evil],
                    "old_district_name": ["H"],
                    "old_province_name": ["T"],
                    "part": ["toàn bộ"],
                    "share_of_new": [0.5],
                    "relation": ["sáp nhập"],
                }
            ),
        }
    )


def test_names_with_markup_are_shown_as_text():
    at = AppTest.from_function(panel_script).run()
    assert not at.exception
    shown = at.subheader[0].value
    assert "\\<script\\>" in shown and "\\*đậm\\*" in shown  # escaped, so markdown shows the characters
    tables = [t.value for t in at.table]
    assert any('Xã <script>alert("x")</script> *đậm*' in table.index for table in tables)
    assert any("<img src=x onerror=alert(1)>" in table.to_string() for table in tables)


def test_search_old_name_leads_to_its_new_commune():
    for query in ("phuc xa", "Phúc Xá", "00001"):
        at = open_map()
        at.text_input(key="map_search").set_value(query).run()
        options = at.selectbox(key="map_search_pick").options
        index = next(i for i, label in enumerate(options) if label.startswith("Phường Phúc Xá (xã cũ)"))
        at.selectbox(key="map_search_pick").set_value(index).run()
        assert not at.exception
        assert heading(at).startswith("**Thành phố Hà Nội")
        assert any(s.value == "Phường Phúc Xá \\(cũ\\)" for s in at.subheader)
        targets = at.table[-1].value
        assert list(targets.index) == ["Phường Hồng Hà"]


def test_search_without_result_says_so():
    at = open_map()
    at.text_input(key="map_search").set_value("zzzz qqqq").run()
    assert any("Không tìm thấy" in c.value for c in at.caption)


def test_status_shown_for_selected_commune_and_labelled_demo():
    at = open_map(province="01", unit="00004", mode="task")
    assert not at.exception
    texts = " ".join(m.value for m in at.markdown)
    assert "Trung tâm:" in texts and "nhiệm vụ xong" in texts
    assert "DỮ LIỆU MINH HOẠ" in texts  # both in the legend notes and the panel
    legend = next(m.value for m in at.markdown if m.value.startswith("**Tiến độ"))
    assert "Số liệu tính đến" in legend


def test_old_boundaries_are_labelled_reconstructed():
    at = open_map(province="01", layers="old_communes,old_districts")
    assert not at.exception
    assert at.multiselect(key="map_layers").value == ["old_communes", "old_districts"]
    notes = " ".join(m.value for m in at.markdown)
    assert "dựng lại" in notes
    at.radio(key="map_pick").set_value("old").run()
    assert not at.exception


def test_old_commune_panel_says_how_far_its_boundary_can_be_trusted():
    from lib.data import confidence, geodata

    layer = geodata.load_layer("old_communes").set_index("code")
    code = layer.index[layer["province_code"].eq("01") & layer["confidence"].notna()][0]
    value, method = layer.at[code, "confidence"], layer.at[code, "method"]
    at = open_map(province="01", old=code, layers="old_communes")
    assert not at.exception
    texts = (" ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)).replace("\\", "")
    expected = f"Độ tin cậy ranh giới: {confidence.CLASS_LABELS[confidence.class_of(value, method)]}"
    assert expected in texts
    if confidence.class_of(value, method) != "unknown":
        assert f"IoU dự đoán {confidence.format_iou(value)}" in texts
    assert "Cách dựng: " in texts and "ranh giới dựng lại" in texts
    legend = next(m.value for m in at.markdown if m.value.startswith("**Xã cũ dựng lại"))
    assert legend.count("<svg") == len(confidence.CLASSES)  # one line sample per class


def legend_text(at: AppTest, title: str) -> str:
    return next(m.value for m in at.markdown if title in m.value)


def test_national_legend_states_the_classes_and_the_province_reports():
    at = open_map()  # the demonstration data: every province also reports for itself
    assert not at.exception
    legend = legend_text(at, "Tỉ lệ xã “xanh”")
    assert "phân vị của 34 tỉnh" in legend  # how the classes are cut
    assert "dưới " in legend and "trở lên" in legend  # the classes' bounds, in Vietnamese
    assert "Chấm tròn: báo cáo cấp tỉnh" in legend
    assert "không tính vào tỉ lệ xã" in legend  # how they relate to the communes' share


def test_province_legend_marks_stale_communes_and_the_province_report():
    at = open_map(province="01")
    assert not at.exception
    legend = legend_text(at, "Tiến độ thực hiện nhiệm vụ")
    assert "Gạch chéo: chưa báo cáo hoặc báo cáo quá hạn 16:00" in legend
    assert "Báo cáo cấp tỉnh (nhiệm vụ của chính tỉnh" in legend
    at.radio(key="map_mode").set_value("merge").run()
    assert not any("Gạch chéo" in m.value or "cấp tỉnh" in m.value for m in at.markdown)  # no status in merge mode
