"""Province brief: the figures it states, the predecessors table, and the A4 PDF's pages and text."""

from __future__ import annotations

import pytest

from lib.maps import brief, staticdata

A4_POINTS = (595, 842)


def test_predecessor_table_marks_parts_and_other_provinces(small_geodata):
    _, _, crosswalk = small_geodata
    table = brief.predecessor_table("01", crosswalk).set_index("code")
    assert list(table.index) == ["00001", "00002"]  # ordered by name: Ba Đình, Sóc Sơn
    assert table.loc["00001", "predecessors"] == "Phúc Xá, Trúc Bạch*"
    assert table.loc["00002", "predecessors"] == "Sóc Sơn, Trúc Bạch*"
    other = brief.predecessor_table("02", crosswalk).set_index("code")
    # 00004 takes one commune of each old province: the mode is the first name, the other is marked
    assert other.loc["00004", "count"] == 2
    assert other.loc["00004", "predecessors"].count("(") == 1
    assert brief.predecessor_table("77", crosswalk).empty


def test_key_figures_count_old_new_status_gaps_and_stale(tmp_path, small_inputs):
    figures = brief.key_figures("01", small_inputs(tmp_path))
    assert figures.name == "Thành phố Hà Nội"
    assert (figures.old_communes, figures.split_old) == (3, 1)
    assert figures.old_provinces == ["Thành phố Hà Nội"]
    assert figures.new_by_type == {"Phường": 1, "Xã": 1}
    assert figures.tasks == {"green": 1, "amber": 1, "red": 0, "grey": 0}
    assert figures.centres == {"operating": 1, "gaps": 1, "not_operating": 0, "unknown": 0}
    assert figures.gaps == {"chữ ký số": 1}
    assert figures.stale == 0 and figures.is_demo
    (tmp_path / "other").mkdir()
    other = brief.key_figures("02", small_inputs(tmp_path / "other"))
    assert other.stale == 2  # 00004 reported only after the date shown, 00005 never
    assert other.old_provinces == ["Thành phố Đà Nẵng", "Tỉnh Quảng Bình", "Tỉnh Quảng Trị cũ"]


def test_brief_pdf_is_one_a4_page_with_figures_and_table(tmp_path, small_inputs, pdf_text):
    out = brief.render_brief("01", small_inputs(tmp_path), tmp_path / "brief.pdf")
    reader, text = pdf_text(out)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4_POINTS
    assert "Thành phố Hà Nội: tóm tắt chính quyền địa phương hai cấp" in text
    assert "DỮ LIỆU MINH HOẠ" in text and "Số liệu tính đến 20/11/2025" in text
    assert "3 → 2 xã" in text
    assert "Xã “xanh” (xong mọi nhiệm vụ): 1/2 (50,0 %)" in text
    assert "Thiếu: chữ ký số 1 xã" in text
    assert "P. Ba Đình (00001): Phúc Xá, Trúc Bạch*" in text
    assert "bộ dữ liệu test-0001" in text
    assert reader.metadata.title.startswith("Thành phố Hà Nội")


def test_brief_without_status_says_so(tmp_path, small_inputs, pdf_text):
    inputs = small_inputs(tmp_path, with_status=False)
    _, text = pdf_text(brief.render_brief("02", inputs, tmp_path / "b.pdf"))
    assert "Chưa có số liệu trạng thái." in text and "MINH HOẠ" not in text
    assert "Kim Thuỷ (Tỉnh Quảng Bình)" in text or "Triệu Long (Tỉnh Quảng Trị cũ)" in text
    assert "Xã &lt;b&gt;" not in text and "<b>Mỹ</b>" in text  # a PDF shows names as written


def test_brief_of_unknown_province_fails_and_writes_nothing(tmp_path, small_inputs):
    with pytest.raises(staticdata.StaticMapError, match="88"):
        brief.render_brief("88", small_inputs(tmp_path, with_status=False), tmp_path / "b.pdf")
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".b.pdf*"))


def test_long_tables_continue_overleaf(tmp_path, small_inputs, pdf_text):
    inputs = small_inputs(tmp_path, with_status=False)
    many = inputs.crosswalk.iloc[[0] * 400].assign(
        new_code=[f"2{i:04d}" for i in range(400)], new_name=[f"Xã Thử Nghiệm Số {i}" for i in range(400)]
    )
    inputs.crosswalk = many
    reader, text = pdf_text(brief.render_brief("01", inputs, tmp_path / "long.pdf"))
    assert len(reader.pages) == 2
    assert "(tiếp)" in text and "Thử Nghiệm Số 399" in text and "Thử Nghiệm Số 0 (20000)" in text


@pytest.mark.dataset
def test_brief_of_a_real_province_fits_one_page(tmp_path, pdf_text):
    inputs = staticdata.load_inputs()
    reader, text = pdf_text(brief.render_brief("46", inputs, tmp_path / "hue.pdf"))
    assert len(reader.pages) == 1
    assert "Thành phố Huế" in text and "40 xã, phường, đặc khu mới" in text
    assert "Chưa có số liệu trạng thái." in text
