"""Interactive HTML export: one file with Leaflet, geometry and legend inside, nothing fetched, names escaped."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest

from lib.maps import html as htmlexport
from lib.maps import staticdata
from lib.maps.urlstate import ViewState


class _References(HTMLParser):
    """Every src/href of the document, and the text of its scripts."""

    def __init__(self):
        super().__init__()
        self.references: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        self.references += [value for name, value in attrs if name in ("src", "href") and value]

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def parse(text: str) -> _References:
    parser = _References()
    parser.feed(text)
    return parser


def test_html_is_self_contained(tmp_path, small_inputs):
    out = htmlexport.write_html(ViewState(province="02", mode="centre"), small_inputs(tmp_path), tmp_path / "m.html")
    text = out.read_text(encoding="utf-8")
    doc = parse(text)
    assert doc.references == []  # no script, stylesheet or image is loaded from anywhere
    assert "url(images/" not in text and "data:image/png;base64," in text  # Leaflet's CSS images inlined
    assert any("L.geoJSON" in s for s in doc.scripts) and any("Leaflet" in s and "1.9" in s for s in doc.scripts)
    assert '"code":"00003"' in text and '"code":"00004"' in text  # the province's geometry is inside
    assert '"code":"00001"' not in text  # and only that province's


def test_html_states_title_legend_date_demo_and_sources(tmp_path, small_inputs):
    text = htmlexport.render_html(ViewState(province="02", mode="centre"), small_inputs(tmp_path))
    assert "<title>Tỉnh Quảng Trị — trung tâm phục vụ hành chính công</title>" in text
    assert "Chưa hoạt động (1)" in text and "Chưa rõ (2)" in text
    assert "Số liệu tính đến: 20/11/2025" in text and "DỮ LIỆU MINH HOẠ" in text
    assert "bộ dữ liệu test-0001" in text


def test_names_from_data_are_escaped(tmp_path, small_inputs):
    text = htmlexport.render_html(ViewState(province="02"), small_inputs(tmp_path))
    assert "<b>Mỹ</b>" not in text  # neither as markup in the page nor raw inside a script
    start = text.index("layer.addData(") + len("layer.addData(")
    geojson, _ = json.JSONDecoder().raw_decode(text, start)
    labels = [f["properties"]["label"] for f in geojson["features"]]
    assert "Xã <b>Mỹ</b> & Co — Tỉnh Quảng Trị" in labels  # reads back as written (tooltips use textContent)


def test_national_html_colours_provinces_from_the_same_classes(tmp_path, small_inputs):
    inputs = small_inputs(tmp_path)
    text = htmlexport.render_html(ViewState(), inputs)
    fills = json.loads(re.search(r"var fill = (\{.*?\}), outlined", text).group(1))
    assert fills == staticdata.colouring_of(ViewState(), inputs).fill
    assert set(fills) == {"01", "02"}


@pytest.mark.parametrize(
    "view, page_url, expected",
    [
        (ViewState(), "http://127.0.0.1:8501/briefing", "http://127.0.0.1:8501/?embed=true"),
        (
            ViewState(province="01", mode="centre", date=dt.date(2025, 11, 1)),
            "https://intra.gov.vn/vnmap/briefing",
            "https://intra.gov.vn/vnmap/?embed=true&province=01&mode=centre&date=2025-11-01",
        ),
        (ViewState(level="commune", mode="merge"), None, "/?embed=true&level=commune&mode=merge"),
    ],
)
def test_embed_link_carries_the_view(view, page_url, expected):
    assert htmlexport.embed_link(view, page_url=page_url) == expected


def test_iframe_snippet_escapes_the_url():
    snippet = htmlexport.iframe_snippet('/?embed=true&x="><script>')
    assert "<script>" not in snippet and "&amp;x=&quot;&gt;&lt;script&gt;" in snippet


def test_missing_leaflet_is_a_clear_error(tmp_path, small_inputs):
    with pytest.raises(htmlexport.HtmlExportError, match="static/leaflet"):
        htmlexport.write_html(
            ViewState(),
            small_inputs(tmp_path, with_status=False),
            tmp_path / "x.html",
            leaflet_dir=tmp_path / "nowhere",
        )
    assert not list(tmp_path.glob("*.html")) and not list(tmp_path.glob(".x.html*"))


@pytest.mark.dataset
def test_national_commune_html_of_the_bundled_dataset(tmp_path):
    inputs = staticdata.load_inputs()
    out = htmlexport.write_html(ViewState(level="commune", mode="merge"), inputs, tmp_path / "vn.html")
    text = out.read_text(encoding="utf-8")
    assert parse(text).references == []
    assert text.count('"kind":"commune"') == 3321
    assert out.stat().st_size < 6_000_000


@pytest.mark.dataset
def test_html_with_old_communes_draws_their_confidence_classes(tmp_path):
    from lib.data import confidence, geodata
    from lib.maps import layers as mapdata

    inputs = staticdata.load_inputs()
    view = ViewState(province="01", mode="merge", layers=("old_communes",))
    text = htmlexport.render_html(view, inputs)
    old = mapdata.old_units_of_province(geodata.load_layer("old_communes"), inputs.crosswalk, "01", key="old_code")
    classes = confidence.confidence_class(old["confidence"], old["method"])
    drawn = re.findall(r'"kind":"old_communes","cls":"(\w+)"', text)
    assert sorted(drawn) == sorted(classes)  # every old commune of province 01 carries its class
    legend = text[text.index('<div class="vn-lines">') :]
    assert legend.count("<svg") == len(confidence.CLASSES)
    for name in confidence.CLASSES:  # each line style with the number of old communes drawn in it
        label = re.escape(confidence.CLASS_LABELS[name].capitalize())
        count = re.search(rf"<span>{label}: [^<]*\(([\d.]+)\)</span>", legend).group(1)
        assert int(count.replace(".", "")) == int((classes == name).sum())
