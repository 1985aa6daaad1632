"""Every export that carries old communes says how far each one's rebuilt polygon can be trusted:
old_shape_method, old_shape_iou (predicted IoU) and old_shape_class, documented, codes kept as text."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from lib.assemble.crosswalk import build_province_crosswalk
from lib.data import confidence
from lib.io.export import UNDOCUMENTED, ExportInfo, column_docs
from lib.lookup.convert import Converter, conversion_bytes, convert_file
from lib.lookup.crosswalk_export import crosswalk_export
from lib.lookup.resolve import UnitResolver
from tests.test_export import DATA, MANIFEST, crosswalk, polygons  # noqa: F401  (fixtures)

INFO = ExportInfo(version="test-1234", date=dt.date(2025, 7, 1))
SHAPE_COLUMNS = list(confidence.EXPORT_DOCS)
# A few old communes of the fixture crosswalk, one per class; 00019 has a hostile method name.
LAYER = pd.DataFrame(
    {
        "code": ["00001", "00004", "00007", "00019"],
        "method": ["census2009", "points", "points", '=HYPERLINK("x")'],
        "confidence": [0.91, 0.74, 0.32, None],
    }
)
EXPECTED = {"00001": "high", "00004": "medium", "00007": "low", "00019": "unknown", "00025": "unknown"}


def export(fmt: str, table: pd.DataFrame, **kwargs) -> bytes:
    return crosswalk_export(
        fmt,
        table,
        crosswalk=table,
        province_crosswalk=build_province_crosswalk(table),
        manifest=MANIFEST,
        date=INFO.date,
        old_communes=LAYER,
        **kwargs,
    )


def classes_of(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["old_code"], frame["old_shape_class"], strict=False))


def test_the_columns_are_documented_not_left_undocumented():
    docs = column_docs(SHAPE_COLUMNS)
    assert all(docs[c] == confidence.EXPORT_DOCS[c] != UNDOCUMENTED for c in SHAPE_COLUMNS)
    assert str(confidence.HIGH) in docs["old_shape_class"] and str(confidence.MEDIUM) in docs["old_shape_class"]


def test_csv_carries_iou_and_class_per_old_commune_and_neutralises_text(crosswalk):  # noqa: F811
    back = pd.read_csv(io.BytesIO(export("csv", crosswalk)), dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert set(SHAPE_COLUMNS) <= set(back.columns)
    assert {k: v for k, v in classes_of(back).items() if k in EXPECTED} == EXPECTED
    first = back[back["old_code"] == "00004"].iloc[0]
    assert (first["old_shape_method"], float(first["old_shape_iou"])) == ("points", 0.74)
    assert back.loc[back["old_code"] == "00019", "old_shape_method"].iloc[0].startswith("'=")  # not a formula
    assert back.loc[back["old_code"] == "755", "old_shape_iou"].iloc[0] == ""  # island district: no polygon value


def test_xlsx_pairs_sheet_has_numbers_text_and_the_about_sheet_explains_them(crosswalk):  # noqa: F811
    book = openpyxl.load_workbook(io.BytesIO(export("xlsx", crosswalk)))
    pairs = book["old_to_new"]
    header = [c.value for c in pairs[1]]
    assert set(SHAPE_COLUMNS) <= set(header)
    rows = [dict(zip(header, [c.value for c in row], strict=False)) for row in pairs.iter_rows(min_row=2)]
    by_code = {r["old_code"]: r for r in rows}
    assert by_code["00001"]["old_shape_iou"] == 0.91 and by_code["00001"]["old_shape_class"] == "high"
    assert pairs.cell(2, header.index("old_code") + 1).data_type == "s"  # codes stay text
    about = {r[1]: r[2] for r in book["about"].iter_rows(values_only=True) if r[0] == "old_to_new"}
    assert all(about[c] == confidence.EXPORT_DOCS[c] for c in SHAPE_COLUMNS)


@pytest.mark.parametrize("fmt", ["geojson", "parquet"])
def test_geometry_exports_carry_the_columns_too(crosswalk, polygons, fmt):  # noqa: F811
    data = export(fmt, crosswalk, new_communes=polygons)
    if fmt == "geojson":
        table = pd.DataFrame([f["properties"] for f in json.loads(data)["features"]])
    else:
        table = pq.read_table(io.BytesIO(data)).to_pandas()
    assert {k: v for k, v in classes_of(table).items() if k in EXPECTED} == EXPECTED
    assert table["old_code"].map(type).eq(str).all()


def test_without_the_layer_the_export_is_unchanged(crosswalk):  # noqa: F811
    plain = crosswalk_export("csv", crosswalk, crosswalk=crosswalk, province_crosswalk=None, manifest=MANIFEST)
    assert "old_shape_class" not in plain.decode("utf-8-sig").splitlines()[0]


def test_converted_list_says_the_matched_old_commune_s_class_and_nothing_for_unmatched_rows():
    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)

    table = read("crosswalk.csv")
    resolver = UnitResolver(table, read("new_communes.csv"), read("new_provinces.csv"))
    converter = Converter(resolver, table, old_communes=LAYER)
    text = "Mã xã,old_shape_iou\n00004,giữ\n00007,\n99999,\n"
    result = convert_file(text.encode("utf-8-sig"), "list.csv", converter, expand=True)
    out = result.table
    assert out["old_shape_iou (gốc)"].tolist()[0] == "giữ"  # the user's own column is kept, renamed
    assert out["old_shape_class"].tolist()[:2] == ["medium", "low"] and out["old_shape_iou"].iloc[0] == 0.74
    assert out["old_shape_class"].iloc[-1] is None and out["old_shape_method"].iloc[-1] is None
    book = openpyxl.load_workbook(io.BytesIO(conversion_bytes(result, "xlsx", INFO)))
    about = {r[1]: r[2] for r in book["about"].iter_rows(values_only=True) if r[0] == "converted"}
    assert about["old_shape_class"] == confidence.EXPORT_DOCS["old_shape_class"]


def test_cli_export_and_convert_of_the_dataset_carry_the_layer_s_classes(tmp_path):
    from lib import cli
    from lib.data import geodata

    layer = geodata.load_old_commune_confidence().set_index("code")
    out = tmp_path / "cw.csv"
    assert cli.main(["export", "crosswalk", "--province", "01", "--format", "csv", "--out", str(out)]) == 0
    back = pd.read_csv(out, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    communes = back[back["old_level"].eq("commune")].drop_duplicates("old_code")
    expected = confidence.confidence_class(
        communes["old_code"].map(layer["confidence"]), communes["old_code"].map(layer["method"])
    )
    assert communes["old_shape_class"].tolist() == expected.tolist()
    listing = tmp_path / "list.csv"
    listing.write_text("Mã xã\n" + "\n".join(communes["old_code"].head(5)) + "\n", encoding="utf-8")
    converted = tmp_path / "list-moi.csv"
    assert cli.main(["convert", str(listing), "--out", str(converted)]) == 0
    result = pd.read_csv(converted, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert result["old_shape_class"].tolist() == expected.head(5).tolist()


def test_the_loader_reads_codes_as_text_without_geometry_and_none_without_the_layer(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from lib.data import geodata

    assert geodata.load_old_commune_confidence(tmp_path) is None
    (tmp_path / "old").mkdir()
    layer = gpd.GeoDataFrame(
        {"code": ["00001", "00002"], "method": ["exact", "points"], "confidence": [1.0, 0.5]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=4326,
    )
    layer.to_file(tmp_path / "old" / "communes.geojson", driver="GeoJSON")
    table = geodata.load_old_commune_confidence(tmp_path)
    assert list(table.columns) == ["code", "method", "confidence"]
    assert table["code"].tolist() == ["00001", "00002"] and table["confidence"].tolist() == [1.0, 0.5]
