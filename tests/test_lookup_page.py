"""AppTest smoke tests of views/lookup.py: search, lineage, filters and the export button."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/lookup.py").run()
    assert not at.exception
    return at


@pytest.mark.dataset
def test_search_shows_the_lineage(page):
    page.text_input(key="lookup_query").input("phuc xa").run()
    assert not page.exception
    assert "Phường Phúc Xá" in [s.value for s in page.subheader]
    assert any("Phường Hồng Hà" in m.value for m in page.markdown)
    page.text_input(key="lookup_query").input("khong co xa nao nhu the").run()
    assert any("Không tìm thấy" in i.value for i in page.info)


@pytest.mark.dataset
def test_filters_and_csv_export(page):
    page.selectbox(key="lookup_new_province").set_value("01").run()
    page.checkbox(key="lookup_only_split").check().run()
    assert not page.exception
    assert any("cặp (xã cũ, xã mới)" in c.value for c in page.caption)
    page.radio(key="lookup_export_format").set_value("csv").run()
    page.button(key="lookup_export_make").click().run()
    assert not page.exception
    made = page.session_state["lookup_export"]
    assert made[0][0] == "csv" and made[1].startswith(b"\xef\xbb\xbf")
    assert "tỉnh mới 01" in made[0][1] and "chỉ xã bị chia tách" in made[0][1]


@pytest.mark.dataset
def test_a_new_query_resets_the_chosen_result(page):
    page.text_input(key="lookup_query").input("phu").run()
    page.radio(key="lookup_choice").set_value(25).run()
    assert not page.exception
    page.text_input(key="lookup_query").input("phuc xa").run()
    assert not page.exception
    assert page.radio(key="lookup_choice").value == 0
    assert [s.value for s in page.subheader][0] == "Phường Phúc Xá"
