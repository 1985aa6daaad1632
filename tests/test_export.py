"""Tests of lib.io.export: every format is read back (pandas, openpyxl, pyogrio, pyarrow) and compared."""

from __future__ import annotations

import datetime as dt
import io
import json
import stat
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from shapely.geometry import box

from lib.assemble.crosswalk import build_province_crosswalk
from lib.data.contract import COLUMN_DOCS
from lib.data.geodata import CROSSWALK_CODE_COLUMNS, read_code_table
from lib.io.export import (
    FORMATS,
    SHEETS,
    TRUNCATED_MARK,
    UNDOCUMENTED,
    XLSX_MAX_COLUMNS,
    XLSX_MAX_ROWS,
    XLSX_MAX_TEXT,
    ExportInfo,
    check_excel_limits,
    csv_bytes,
    export_bytes,
    geojson_bytes,
    parquet_bytes,
    with_geometry,
    xlsx_bytes,
)
from lib.io.files import write_atomic
from lib.lookup.crosswalk_export import crosswalk_export
from lib.lookup.lineage import SUMMARY_COLUMNS

DATA = Path(__file__).parent / "data" / "lookup"
INFO = ExportInfo(version="test-1234", date=dt.date(2025, 7, 1))
MANIFEST = {"version": "test-1234"}


@pytest.fixture(scope="module")
def crosswalk() -> pd.DataFrame:
    # The same reader as the real loader: codes as text, empty shares as NaN floats.
    return read_code_table(DATA / "crosswalk.csv", CROSSWALK_CODE_COLUMNS)


@pytest.fixture(scope="module")
def polygons() -> gpd.GeoDataFrame:
    communes = pd.read_csv(DATA / "new_communes.csv", dtype=str)
    # Every other square is drawn clockwise: GeoJSON (RFC 7946) wants exterior rings counter-clockwise.
    shapes = [box(105 + i * 0.01, 21, 105.005 + i * 0.01, 21.005, ccw=i % 2 == 0) for i in range(len(communes))]
    return gpd.GeoDataFrame(communes, geometry=shapes, crs=4326)


def test_csv_has_bom_and_reads_back_equal(crosswalk):
    data = csv_bytes(crosswalk, INFO)
    assert data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    assert "00001,commune,Phường Phúc Xá".encode() in data
    back = read_code_table(io.BytesIO(data), CROSSWALK_CODE_COLUMNS)
    assert list(back.columns) == [*crosswalk.columns, "dataset_version", "export_date"]
    pd.testing.assert_frame_equal(back[crosswalk.columns], crosswalk)
    assert set(back["dataset_version"]) == {"test-1234"} and set(back["export_date"]) == {"2025-07-01"}
    # Without dtype hints, codes still read as numbers would lose their zeros; the file itself keeps them.
    raw = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert raw.loc[0, "old_code"] == "00001" and raw.loc[13, "old_code"] == "755"


def test_float_codes_are_refused(crosswalk):
    broken = crosswalk.assign(old_code=pd.Series(range(len(crosswalk)), dtype=float))
    with pytest.raises(ValueError, match="'old_code' must hold codes as text"):
        csv_bytes(broken, INFO)


def test_extra_and_filled_columns_are_carried_and_documented(crosswalk):
    extended = crosswalk.assign(area_km2=1.5, share_of_old=0.25, confidence="reconstructed")
    back = pd.read_csv(io.BytesIO(csv_bytes(extended, INFO)), dtype={"old_code": str}, encoding="utf-8-sig")
    assert back["area_km2"].tolist() == [1.5] * len(crosswalk) and set(back["confidence"]) == {"reconstructed"}
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"old_to_new": extended}, INFO)))
    header = [c.value for c in book["old_to_new"][1]]
    assert book["old_to_new"].cell(2, header.index("share_of_old") + 1).value == 0.25
    docs = {row[1]: row[2] for row in book[SHEETS["about"]].iter_rows(values_only=True) if row[0] == "old_to_new"}
    assert docs["confidence"] == UNDOCUMENTED and docs["old_code"] == COLUMN_DOCS["old_code"]


@pytest.fixture(scope="module")
def workbook(crosswalk) -> bytes:
    return crosswalk_export(
        "xlsx",
        crosswalk,
        crosswalk=crosswalk,
        province_crosswalk=build_province_crosswalk(crosswalk),
        manifest=MANIFEST,
        date=INFO.date,
    )


def test_xlsx_sheets_frozen_header_widths_and_text_codes(workbook, crosswalk):
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    assert book.sheetnames == ["old_to_new", "new_to_old", "provinces", "about"]
    pairs = book["old_to_new"]
    assert pairs.freeze_panes == "A2" and book["new_to_old"].freeze_panes == "A2"
    assert [c.value for c in pairs[1]] == list(crosswalk.columns)
    assert pairs["A2"].value == "00001" and pairs["A2"].data_type == "s" and pairs["A2"].number_format == "@"
    assert pairs["E2"].value == "001" and pairs["A15"].value == "755"
    assert pairs["C6"].value == "Phường Điện Biên"
    assert pairs.column_dimensions["C"].width > pairs.column_dimensions["B"].width >= 6
    assert pairs["P2"].value is None  # empty area stays empty, not 0 or "nan"


def test_xlsx_reads_back_equal_with_pandas(workbook, crosswalk):
    sheets = pd.read_excel(io.BytesIO(workbook), sheet_name=None, dtype=str, keep_default_na=False)
    pairs = sheets["old_to_new"]
    expected = crosswalk.astype(str).fillna("")
    pd.testing.assert_frame_equal(pairs, expected, check_dtype=False)
    summary = sheets["new_to_old"]
    assert list(summary.columns) == SUMMARY_COLUMNS and len(summary) == 9
    assert summary.set_index("new_code").loc["00008", "predecessor_codes"] == "00007; 00019"
    assert set(sheets["provinces"]["old_province_code"]) == {"01", "77", "79", "82"}


def test_xlsx_about_states_source_version_date_and_every_column(workbook):
    about = list(openpyxl.load_workbook(io.BytesIO(workbook))["about"].iter_rows(values_only=True))
    text = " ".join(str(v) for row in about for v in row if v)
    assert "test-1234" in text and "01/07/2025" in text and "SOURCES.md" in text
    documented = {(row[0], row[1]) for row in about if row[0] in ("old_to_new", "new_to_old", "provinces")}
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    for sheet in ("old_to_new", "new_to_old", "provinces"):
        for cell in book[sheet][1]:
            assert (sheet, cell.value) in documented
    meanings = [row[2] for row in about if row[0] in ("old_to_new", "new_to_old", "provinces")]
    assert UNDOCUMENTED not in meanings


def test_xlsx_selection_keeps_every_predecessor_of_selected_new_communes(crosswalk):
    selected = crosswalk[crosswalk["old_code"].eq("00007")]
    data = crosswalk_export(
        "xlsx",
        selected,
        crosswalk=crosswalk,
        province_crosswalk=build_province_crosswalk(crosswalk),
        manifest=MANIFEST,
        selection="xã cũ 00007",
    )
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str, keep_default_na=False)
    assert len(sheets["old_to_new"]) == 2
    summary = sheets["new_to_old"].set_index("new_code")
    assert summary.loc["00025", "predecessor_codes"] == "00007; 00025"


def test_geojson_reads_back_with_text_codes_and_new_commune_polygons(crosswalk, polygons):
    data = export_bytes("geojson", crosswalk, INFO, new_communes=polygons)
    assert json.loads(data)["type"] == "FeatureCollection"
    back = pyogrio.read_dataframe(io.BytesIO(data))
    assert back.crs.to_epsg() == 4326 and len(back) == len(crosswalk)
    for column in ("old_code", "old_district_code", "new_code", "old_name", "new_province_name"):
        assert back[column].tolist() == crosswalk[column].tolist(), column
    assert set(back["geometry_of"]) == {"new_commune"} and set(back["dataset_version"]) == {"test-1234"}
    expected = crosswalk[["new_code"]].merge(polygons[["code", "geometry"]], left_on="new_code", right_on="code")
    assert shapely.equals_exact(
        shapely.normalize(back.geometry.to_numpy()), shapely.normalize(expected["geometry"].to_numpy()), tolerance=1e-5
    ).all()
    assert shapely.is_ccw(shapely.get_exterior_ring(back.geometry.to_numpy())).all()
    assert "crs" not in json.loads(data)  # RFC 7946: WGS 84 implied


def test_geoparquet_reads_back_equal(crosswalk, polygons):
    data = parquet_bytes(with_geometry(crosswalk, polygons), INFO)
    assert b"geo" in pq.read_schema(io.BytesIO(data)).metadata
    back = gpd.read_parquet(io.BytesIO(data))
    pd.testing.assert_frame_equal(pd.DataFrame(back[list(crosswalk.columns)]), crosswalk)
    assert back.crs.to_epsg() == 4326 and back["old_code"].iloc[0] == "00001"


def test_geometry_needs_every_new_code(crosswalk, polygons):
    with pytest.raises(ValueError, match="without a polygon.*00097"):
        with_geometry(crosswalk, polygons[polygons["code"].ne("00097")])


@pytest.mark.parametrize(
    "fmt, kwargs, message",
    [
        ("shp", {}, "unknown export format 'shp'"),
        ("xlsx", {}, "needs the new→old summary"),
        ("geojson", {}, "needs the new-commune polygons"),
    ],
)
def test_export_bytes_refuses_what_it_cannot_write(crosswalk, fmt, kwargs, message):
    with pytest.raises(ValueError, match=message):
        export_bytes(fmt, crosswalk, INFO, **kwargs)


def test_write_atomic_leaves_nothing_half_written(tmp_path):
    target = tmp_path / "out" / "x.csv"
    write_atomic(target, b"a,b\n")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"a,b\n"
    assert [p.name for p in target.parent.iterdir()] == ["x.csv"]


def test_write_atomic_gives_0644_and_takes_a_writer_function(tmp_path):
    target = write_atomic(tmp_path / "y.bin", lambda stream: stream.write(b"xyz"))
    assert target.read_bytes() == b"xyz" and stat.S_IMODE(target.stat().st_mode) == 0o644
    with pytest.raises(RuntimeError):
        write_atomic(target, lambda stream: (stream.write(b"half"), (_ for _ in ()).throw(RuntimeError("boom"))))
    assert target.read_bytes() == b"xyz" and [p.name for p in tmp_path.iterdir()] == ["y.bin"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_export_output_is_readable_by_others(tmp_path, fmt):
    from lib import cli

    out = tmp_path / f"cw.{fmt}"
    assert cli.main(["export", "crosswalk", "--province", "01", "--format", fmt, "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_geojson_bytes_accept_projected_input(crosswalk, polygons):
    projected = with_geometry(crosswalk, polygons).to_crs(3405)
    back = pyogrio.read_dataframe(io.BytesIO(geojson_bytes(projected, INFO)))
    assert back.crs.to_epsg() == 4326 and abs(back.total_bounds[0] - 105) < 1e-3


@pytest.mark.dataset
def test_whole_dataset_crosswalk_round_trips_in_csv_and_xlsx():
    from lib.data import geodata

    crosswalk = geodata.load_crosswalk()
    back = read_code_table(io.BytesIO(csv_bytes(crosswalk, INFO)), CROSSWALK_CODE_COLUMNS)
    pd.testing.assert_frame_equal(back[crosswalk.columns], crosswalk)
    data = crosswalk_export(
        "xlsx",
        crosswalk,
        crosswalk=crosswalk,
        province_crosswalk=geodata.load_province_crosswalk(),
        manifest=geodata.load_manifest(),
    )
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str, keep_default_na=False)
    assert len(sheets["old_to_new"]) == len(crosswalk) and len(sheets["new_to_old"]) == 3321
    assert len(sheets["provinces"]) == len(geodata.load_province_crosswalk())
    assert sheets["old_to_new"]["old_code"].tolist() == crosswalk["old_code"].tolist()
    assert FORMATS == ("csv", "xlsx", "geojson", "parquet")


# ---------------------------------------------------------------- the XLSX writer (XlsxWriter) and Excel's limits
def test_xlsx_cells_keep_their_type_and_text_never_becomes_a_formula_or_link():
    table = pd.DataFrame(
        {
            "code": ["00001", "=SUM(A1)", "0123", None],
            "text": ['A & B <c> "q"', "https://example.org", "bell\x07 removed", "Đặc khu Côn Đảo"],
            "number": [1.5, 3, float("nan"), -2.25e-7],
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"data": table}, INFO)))
    sheet = book["data"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["code", "text", "number", "count"]
    assert values[1] == ["00001", 'A & B <c> "q"', 1.5, 1]
    assert values[2] == ["=SUM(A1)", "https://example.org", 3, None] and sheet["A3"].data_type == "s"
    assert sheet["B3"].hyperlink is None
    assert values[3] == ["0123", "bell removed", None, 3]
    assert values[4] == [None, "Đặc khu Côn Đảo", -2.25e-7, 4]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D5"
    assert sheet["A2"].number_format == "@" and sheet["A1"].font.b


def test_xlsx_text_over_excel_limit_is_cut_and_marked():
    long = "x" * 40_000
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"data": pd.DataFrame({"note": [long]})}, INFO)))
    value = book["data"]["A2"].value
    assert len(value) == XLSX_MAX_TEXT and value.endswith(TRUNCATED_MARK)


def test_excel_row_and_column_limits_are_checked():
    check_excel_limits("ok", XLSX_MAX_ROWS, XLSX_MAX_COLUMNS)
    with pytest.raises(ValueError, match="1,048,577 rows; Excel holds at most 1,048,576"):
        check_excel_limits("big", XLSX_MAX_ROWS + 1, 3)
    with pytest.raises(ValueError, match="16,385 columns"):
        check_excel_limits("wide", 2, XLSX_MAX_COLUMNS + 1)


@pytest.mark.parametrize("names", [["a/b"], ["x" * 32], ["Same", "same"]])
def test_xlsx_writer_refuses_sheet_names_excel_refuses(names):
    with pytest.raises(ValueError, match="sheet name"):
        xlsx_bytes({name: pd.DataFrame({"a": ["1"]}) for name in names}, INFO)
