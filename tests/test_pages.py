"""Every page runs without an exception (AppTest), and shows what it is for."""

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def registered_pages() -> list[str]:
    """Page files named in app.py's PAGES list."""
    tree = ast.parse(Path(APP).read_text(encoding="utf-8"))
    files = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page"
    ]
    return list(dict.fromkeys(files))  # a file registered twice (the map at "/" and "/map") runs once


def run(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    if page != "views/map.py":
        at.switch_page(page).run()
    return at


@pytest.mark.parametrize("page", registered_pages())
def test_page_runs(page):
    at = run(page)
    assert not at.exception, at.exception
    assert at.title or at.header or at.subheader, f"{page} shows no heading"


def test_overview_counts():
    at = run("views/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Tỉnh, thành phố"] == "34"
    assert metrics["Xã, phường, đặc khu"] == "3.321"
    assert metrics["Xã cũ"] == "10.035"
    table = at.dataframe[0].value
    assert len(table) == 34 and table["communes"].sum() == 3321
    hanoi = table.set_index("code").loc["01"]
    assert hanoi["communes"] == 126 and hanoi["old_provinces"] == "Thành phố Hà Nội"


def test_data_page_validates_dataset():
    at = run("views/data.py")
    at.button(key="data_validate").click().run()
    assert not at.exception
    assert at.success and "đạt" in at.success[0].value
    assert "RESULT: all checks passed" in at.code[0].value


def test_import_page_offers_the_template_and_stays_closed_without_password(monkeypatch):
    monkeypatch.delenv("VNMAP_IMPORT_PASSWORD", raising=False)
    at = run("views/import_reports.py")
    assert not at.exception, at.exception
    assert at.title[0].value == "Nhập báo cáo tình hình"
    assert [b.proto.label for b in at.get("download_button")] == ["Tải mẫu báo cáo (.xlsx)"]
    assert any("Chức năng nhập báo cáo đang tắt" in i.value for i in at.info)
    assert not at.text_input and not at.file_uploader and not at.tabs
