"""Static maps: valid PNG/SVG/PDF files with the title, legend, date, demo note, labels and footer in them.

The small two-province dataset (``small_inputs``, ``small_geodata``, ``small_day``) is in conftest.py.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from PIL import Image

from lib.core import palette
from lib.maps import static, staticdata, style
from lib.maps.urlstate import ViewState
from lib.status.store import StatusStore, StoreError


def svg_texts(path) -> str:
    """All text of an SVG's <text> elements, lines joined by spaces (wrapped text reads as written)."""
    root = ET.parse(path).getroot()
    texts = ["".join(el.itertext()) for el in root.iter() if el.tag.endswith("}text") or el.tag == "text"]
    return re.sub(r"\s+", " ", " ".join(texts))


def test_status_as_of_ignores_later_reports(tmp_path, small_inputs, small_day):
    inputs = small_inputs(tmp_path)
    classes = inputs.status.set_index("code")["task_class"]
    assert inputs.as_of == small_day
    assert classes.to_dict() == {"00001": "green", "00002": "amber", "00003": "red", "00004": "grey", "00005": "grey"}
    (tmp_path / "later").mkdir()
    later = small_inputs(tmp_path / "later", date=small_day + dt.timedelta(days=3))
    assert later.status.set_index("code").loc["00004", "task_class"] == "green"


def test_no_store_means_no_status(tmp_path, small_day):
    assert staticdata.status_as_of(None, small_day) == (None, None)
    empty = StatusStore(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert staticdata.status_as_of(empty, small_day) == (None, None)


def test_open_store_does_not_create_a_missing_file(tmp_path, monkeypatch):
    missing = tmp_path / "none.sqlite"
    monkeypatch.setenv("VNMAP_STATUS_DB", f"sqlite:///{missing}")
    assert staticdata.open_store() is None  # the default store not made yet: no status
    for named in (f"sqlite:///{missing}", str(missing)):  # a store named on purpose that is not there: an error
        with pytest.raises(StoreError, match="Không có kho trạng thái .*none.sqlite: tệp không tồn tại"):
            staticdata.open_store(named)
    assert not missing.exists()


def test_national_png_is_wide_enough(tmp_path, small_inputs):
    out = static.render_map(ViewState(), small_inputs(tmp_path), tmp_path / "national.png")
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.width >= 2000 and image.height >= 1500
        colours = {c for _, c in image.convert("RGB").getcolors(1_000_000)}
    # The two provinces (50 % and 0 % green) fall in the two share classes the app's map uses.
    bins = style.share_bins(palette.share_breaks([0.5, 0.0]))
    assert len(bins) == 2
    for _, _, colour, _ in bins:
        assert tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) in colours, colour


def test_province_svg_has_title_legend_date_demo_labels_and_footer(tmp_path, small_inputs):
    out = static.render_map(ViewState(province="01"), small_inputs(tmp_path), tmp_path / "hanoi.svg")
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    text = svg_texts(out)
    assert "Thành phố Hà Nội — tiến độ thực hiện nhiệm vụ" in text
    assert "Xanh: mọi nhiệm vụ đã hoàn thành (1)" in text
    assert "Vàng: còn nhiệm vụ đang làm, không quá hạn (1)" in text
    assert "Đỏ: có nhiệm vụ quá hạn (0)" in text  # the red commune is in the other province
    assert "Số liệu tính đến: 20/11/2025" in text
    assert "DỮ LIỆU MINH HOẠ" in text
    assert "Ba Đình" in text and "Sóc Sơn" in text  # commune labels fit their units
    assert "bộ dữ liệu test-0001" in text and "Nguồn A; Nguồn B" in text
    assert re.search(r"\b\d+ km\b", text)  # scale bar


def test_national_pdf_text(tmp_path, small_inputs, pdf_text):
    out = static.render_map(ViewState(), small_inputs(tmp_path), tmp_path / "national.pdf")
    reader, text = pdf_text(out)
    assert len(reader.pages) == 1
    assert "Toàn quốc: 2 tỉnh, thành phố — tiến độ thực hiện nhiệm vụ" in text
    assert "Tỉ lệ xã “xanh”" in text and "DỮ LIỆU MINH HOẠ" in text and "20/11/2025" in text
    assert "Hà Nội" in text and "Quảng Trị" in text  # province labels
    assert "Đặc khu Hoàng Sa" in text  # the offshore zone is named on the national map


def test_real_data_has_no_demo_note_and_merge_mode_needs_no_status(tmp_path, small_inputs):
    real = small_inputs(tmp_path, demo=False)
    text = svg_texts(static.render_map(ViewState(mode="centre", province="02"), real, tmp_path / "c.svg"))
    assert "MINH HOẠ" not in text
    assert "Chưa hoạt động (1)" in text
    none = small_inputs(tmp_path, with_status=False)
    text = svg_texts(static.render_map(ViewState(level="commune", mode="merge"), none, tmp_path / "m.svg"))
    assert "Số xã cũ hợp thành" in text and "2 xã cũ (3)" in text
    text = svg_texts(static.render_map(ViewState(), none, tmp_path / "t.svg"))
    assert "Chưa có số liệu trạng thái." in text and "Chưa có số liệu (2)" in text


def test_bad_requests_fail_clearly_and_write_nothing(tmp_path, small_inputs):
    inputs = small_inputs(tmp_path, with_status=False)
    with pytest.raises(staticdata.StaticMapError, match="99"):
        static.render_map(ViewState(province="99"), inputs, tmp_path / "x.png")
    with pytest.raises(staticdata.StaticMapError, match="tiff"):
        static.render_map(ViewState(), inputs, tmp_path / "x.tiff")
    assert list(tmp_path.glob("x.*")) == [] and list(tmp_path.glob(".x.*")) == []


@pytest.mark.parametrize("span, expected", [(1_000, 200), (9_000, 1_000), (60_000, 10_000), (1_500_000, 200_000)])
def test_scale_bar_length_is_round(span, expected):
    assert static._nice_length(span) == expected


def test_source_names_from_sources_table(tmp_path):
    (tmp_path / "SOURCES.md").write_text(
        "# x\n## Sources\n\n| source | files |\n|---|---|\n| A org (from b) | f |\n| C via D | g |\n| A org | h |\n"
        "\n## Other\n| Z | z |\n",
        encoding="utf-8",
    )
    assert staticdata.source_names(tmp_path) == ["A org", "C"]


@pytest.mark.dataset
def test_national_png_of_the_bundled_dataset(tmp_path):
    inputs = staticdata.load_inputs()
    out = static.render_map(ViewState(mode="merge"), inputs, tmp_path / "vn.svg")
    text = svg_texts(out)
    assert "Toàn quốc: 34 tỉnh, thành phố" in text and "Số tỉnh cũ hợp thành" in text
    for name in ("Hà Nội", "Hồ Chí Minh", "Cà Mau", "Lai Châu", "Đặc khu Hoàng Sa", "Đặc khu Trường Sa"):
        assert name in text
    assert inputs.version in text


@pytest.mark.dataset
def test_cli_map_and_brief(tmp_path, capsys, pdf_text, monkeypatch):
    from lib.cli import main

    missing = tmp_path / "no-store.sqlite"
    monkeypatch.setenv("VNMAP_STATUS_DB", f"sqlite:///{missing}")  # the app's store, not made yet
    assert main(["map", "--province", "46", "--mode", "merge", "--out", str(tmp_path / "hue.svg")]) == 0
    assert "Thành phố Huế — cấu trúc sáp nhập" in svg_texts(tmp_path / "hue.svg")
    assert not missing.exists()  # asking for a map never creates a store
    assert main(["map", "--province", "99", "--out", str(tmp_path / "x.png")]) == 2
    assert main(["map", "--out", str(tmp_path / "x.gif")]) == 2
    assert main(["map", "--out", str(tmp_path / "x.png"), "--db", str(missing)]) == 2  # named, and not there
    assert not list(tmp_path.glob("x.*")) and not missing.exists()
    assert "99" in capsys.readouterr().err
    assert main(["brief", "--province", "46", "--out", str(tmp_path / "hue.pdf")]) == 0
    reader, text = pdf_text(tmp_path / "hue.pdf")
    assert len(reader.pages) == 1 and "Chưa có số liệu trạng thái." in text


def test_offshore_zone_of_a_province_goes_to_an_inset(tmp_path, small_inputs):
    inputs = small_inputs(tmp_path, with_status=False)
    fig = static.map_figure(ViewState(province="02", mode="merge"), inputs)
    main = fig.axes[0]
    far_x = gpd.GeoSeries([shapely.Point(112.0, 16.0)], crs="EPSG:4326").to_crs(staticdata.PLOT_CRS).x.iloc[0]
    assert main.get_xlim()[1] < far_x  # the mainland keeps its scale
    insets = [a for a in main.child_axes]
    assert len(insets) == 1 and insets[0].get_title().startswith("Đặc khu Hoàng Sa")
    assert staticdata.offshore_codes(inputs.communes) == {"00005"}


def test_stripes_and_province_reports_in_the_static_outputs(tmp_path, small_inputs, small_day):
    inputs = small_inputs(tmp_path)
    store = StatusStore(f"sqlite:///{tmp_path / 'status.sqlite'}")  # the fixture's store: add Hà Nội's own report
    row = pd.DataFrame(
        [("province", "01", pd.Timestamp(f"{small_day} 11:00", tz="Asia/Ho_Chi_Minh"), 5, 5, 0, "operating", "")],
        columns=["level", "unit_code", "as_of", "tasks_total", "tasks_done", "tasks_overdue", "centre_state", "gaps"],
    ).assign(note="", via_old_code="")
    store.append(row, imported_by="test", source_name="tinh.xlsx", source_sha256="1" * 64, is_demo=True)
    inputs.province_reports = staticdata.province_reports_as_of(store, small_day)

    national = static.render_map(ViewState(), inputs, tmp_path / "national.svg")
    text = svg_texts(national)
    assert "Chấm tròn: báo cáo cấp tỉnh — Xanh (1)" in text  # Hà Nội reports for itself
    assert "không tính vào tỉ lệ xã" in text
    # Quảng Trị: two of its three communes have no report on the day, so it is striped.
    assert "Gạch chéo: quá nửa số xã chưa báo cáo hoặc quá hạn 16:00 (1)" in text
    assert "<pattern" in national.read_text()  # matplotlib's hatch

    province = static.render_map(ViewState(province="02"), inputs, tmp_path / "quang-tri.svg")
    text = svg_texts(province)
    assert "Gạch chéo: chưa báo cáo hoặc báo cáo quá hạn 16:00 (2)" in text
    assert "Báo cáo cấp tỉnh" not in text  # Quảng Trị has no report of its own
    text = svg_texts(static.render_map(ViewState(province="01"), inputs, tmp_path / "ha-noi.svg"))
    assert "Báo cáo cấp tỉnh (nhiệm vụ của chính tỉnh, không tính vào các xã): Xanh, 5/5 nhiệm vụ xong" in text
