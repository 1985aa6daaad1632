"""Writers of the crosswalk exports (CSV with BOM, XLSX, GeoJSON, GeoParquet) with their column documentation."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xlsxwriter
from xlsxwriter.exceptions import DuplicateWorksheetName, InvalidWorksheetName

from lib.core import palette
from lib.data.confidence import EXPORT_DOCS as OLD_SHAPE_DOCS
from lib.data.contract import COLUMN_DOCS, SUMMARY_DOCS
from lib.data.i18n import format_date, today

FORMATS = ("csv", "xlsx", "geojson", "parquet")
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "parquet": "application/vnd.apache.parquet",
}
SOURCE_TEXT = (
    "Bảng chuyển đổi xã cũ → xã mới của bộ dữ liệu đi kèm ứng dụng (geodata/crosswalk.csv), "
    "dựng từ danh mục GSO 30/06/2025, vietnamadminunits và dvhcvn; nguồn và giấy phép: geodata/SOURCES.md"
)

# Columns every export appends so that a file read on its own still says where it came from.
META_DOCS = {
    "dataset_version": "version id of the bundled dataset the rows come from (geodata/manifest.json)",
    "export_date": "date the file was written (yyyy-mm-dd)",
}
AS_OF_DOCS = {
    "new_legal_basis": "legal basis of the new commune's name and type as of the export's date of state "
    "(resolution number, e.g. 1656/NQ-UBTVQH15; geodata/changes.csv)",
    "new_basis_date": "date of that resolution (yyyy-mm-dd)",
}
GEOMETRY_DOCS = {
    "geometry_of": "whose polygon the feature carries: 'new_commune' = the boundary of the NEW commune of "
    "the pair (geodata/new/communes.geojson), so every pair of one new commune has the same polygon",
}
PROVINCE_DOCS = {
    "old_province_code": "GSO code of the old province (2 digits, one of 63)",
    "old_province_name": "name of the old province",
    "new_province_code": "GSO code of the new province (2 digits, one of 34)",
    "new_province_name": "name of the new province",
    "old_units": "number of old communes (and island districts) of the old province that went to the new one",
    "new_communes": "number of new communes of the new province that received them",
    "part": "whole: all of the old province went to this new province; part: only part of it did",
    "relation": "unchanged, merged (the new province has several predecessors) or split",
}
SHEETS = {"pairs": "old_to_new", "summary": "new_to_old", "provinces": "provinces", "about": "about"}
CODE_SUFFIX = "_code"
_PRECISION = 5  # GeoJSON decimals: 1e-5 degree ≈ 1 m, finer than the simplified polygons
_MAX_WIDTH, _MIN_WIDTH = 60, 6
# Excel's limits (Microsoft: "Excel specifications and limits").
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_TEXT = 32_767
TRUNCATED_MARK = " …[đã cắt bớt: quá 32.767 ký tự]"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class ExportInfo:
    """What every export states about itself: dataset version, date, source, selection."""

    version: str
    date: dt.date
    selection: str = "toàn bộ bảng chuyển đổi"
    source: str = SOURCE_TEXT
    notes: tuple[str, ...] = field(default_factory=tuple)


def export_info(
    manifest: dict, *, selection: str = "toàn bộ bảng chuyển đổi", date: dt.date | None = None
) -> ExportInfo:
    """An :class:`ExportInfo` from ``lib.data.geodata.load_manifest()`` (date defaults to today)."""
    return ExportInfo(version=str(manifest["version"]), date=date or today(), selection=selection)


UNDOCUMENTED = "(not documented: column added after this export module was written)"


def column_docs(
    columns: list[str] | pd.Index, *, extra: dict[str, str] | None = None, default: str = UNDOCUMENTED
) -> dict[str, str]:
    """Meaning of each column; a column nobody documented says so instead of vanishing."""
    known = {
        **COLUMN_DOCS,
        **OLD_SHAPE_DOCS,
        **SUMMARY_DOCS,
        **PROVINCE_DOCS,
        **META_DOCS,
        **AS_OF_DOCS,
        **GEOMETRY_DOCS,
        **(extra or {}),
    }
    return {column: known.get(column, default) for column in columns}


def with_meta(table: pd.DataFrame, info: ExportInfo) -> pd.DataFrame:
    """``table`` with the ``dataset_version`` and ``export_date`` columns appended."""
    _check_codes(table)
    return table.assign(dataset_version=info.version, export_date=info.date.isoformat())


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_TEXT = re.compile(r"[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?")


def neutralise_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR: OWASP
    "CSV injection") with a leading apostrophe; numbers, and text that is just a number ("-5"), unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER_TEXT.fullmatch(value):
        return "'" + value
    return value


def neutralise(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell passed through :func:`neutralise_cell` (headers too)."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def frame_csv_bytes(table: pd.DataFrame, *, lineterminator: str = "\r\n") -> bytes:
    """Every CSV the app or CLI writes: UTF-8 with a BOM (Excel shows Vietnamese), formulas neutralised."""
    buffer = io.StringIO()
    neutralise(table).to_csv(buffer, index=False, lineterminator=lineterminator)
    return buffer.getvalue().encode("utf-8-sig")


def csv_bytes(table: pd.DataFrame, info: ExportInfo) -> bytes:
    """UTF-8 CSV with a BOM (Excel then shows Vietnamese correctly); codes written as text; no cell can run
    as a formula (:func:`neutralise`)."""
    return frame_csv_bytes(with_meta(table, info))


def xlsx_bytes(
    sheets: dict[str, pd.DataFrame],
    info: ExportInfo,
    *,
    docs: dict[str, str] | None = None,
    undocumented: str = UNDOCUMENTED,
) -> bytes:
    """An XLSX workbook (XlsxWriter): one sheet per table (frozen header, filters, widths), then an 'about' sheet.

    The dataset version and date are stated once, on the 'about' sheet (not repeated on
    every row as in the single-table formats). Text is written as text (codes keep their
    zeros; nothing becomes a formula, link or number), numbers as numbers; code columns
    carry the text number format '@'. Raises ``ValueError`` for a table beyond Excel's
    limits (:data:`XLSX_MAX_ROWS`, :data:`XLSX_MAX_COLUMNS`) or a sheet name Excel refuses;
    text longer than :data:`XLSX_MAX_TEXT` characters is cut and marked.
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": palette.SHEET_HEADER, "border": 1}),
        "text": workbook.add_format({"num_format": "@"}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
    }
    documented = []
    try:
        for sheet_name, table in sheets.items():
            _check_codes(table)
            check_excel_limits(sheet_name, len(table) + 1, len(table.columns))
            _write_table(_add_sheet(workbook, sheet_name), table, formats)
            documented.append((sheet_name, column_docs(table.columns, extra=docs, default=undocumented)))
        _write_about(_add_sheet(workbook, SHEETS["about"]), info, documented, formats)
    finally:
        workbook.close()
    return buffer.getvalue()


def check_excel_limits(sheet_name: str, rows: int, columns: int) -> None:
    """Raise ``ValueError`` when a sheet of ``rows`` rows (header included) and ``columns`` columns
    does not fit Excel."""
    if rows > XLSX_MAX_ROWS:
        raise ValueError(
            f"sheet {sheet_name!r} has {rows:,} rows; Excel holds at most {XLSX_MAX_ROWS:,} "
            "(header included): export a smaller selection or use CSV"
        )
    if columns > XLSX_MAX_COLUMNS:
        raise ValueError(f"sheet {sheet_name!r} has {columns:,} columns; Excel holds at most {XLSX_MAX_COLUMNS:,}")


def excel_text(value: str) -> str:
    """``value`` as an Excel cell can hold it: XML-invalid control characters dropped, cut to
    :data:`XLSX_MAX_TEXT` characters with :data:`TRUNCATED_MARK` at the end when longer."""
    value = _INVALID_XML.sub("", value)
    if len(value) > XLSX_MAX_TEXT:
        value = value[: XLSX_MAX_TEXT - len(TRUNCATED_MARK)] + TRUNCATED_MARK
    return value


def _add_sheet(workbook, name: str):
    try:
        return workbook.add_worksheet(name)
    except (InvalidWorksheetName, DuplicateWorksheetName) as err:
        raise ValueError(f"invalid sheet name {name!r}: {err}") from None


def _write_table(sheet, table: pd.DataFrame, formats: dict) -> None:
    """Header row, then the cells column by column (text as text, numbers as numbers, missing as empty)."""
    columns = [str(column) for column in table.columns]
    for index, column in enumerate(columns):
        code = _is_code(column)
        sheet.write_string(0, index, excel_text(column), formats["header"])
        sheet.set_column(index, index, _width(column, table.iloc[:, index]), formats["text"] if code else None)
        _write_column(sheet, index, table.iloc[:, index], formats["text"] if code else None)
    sheet.freeze_panes(1, 0)
    if columns:
        sheet.autofilter(0, 0, len(table), len(columns) - 1)


def _write_column(sheet, index: int, values: pd.Series, cell_format) -> None:
    missing = values.isna().to_numpy()
    write_string, write_number = sheet.write_string, sheet.write_number
    for row, (value, empty) in enumerate(zip(values.astype(object).to_numpy(), missing, strict=False), start=1):
        if empty:
            continue
        if isinstance(value, str):
            if value:
                write_string(row, index, excel_text(value), cell_format)
        elif isinstance(value, (bool, np.bool_)):
            sheet.write_boolean(row, index, bool(value), cell_format)
        elif isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value):
            write_number(row, index, value, cell_format)
        else:
            write_string(row, index, excel_text(str(value)), cell_format)


def _write_about(sheet, info: ExportInfo, documented: list[tuple[str, dict[str, str]]], formats: dict) -> None:
    facts = [
        ("Nguồn (source)", info.source),
        ("Phiên bản dữ liệu (dataset version)", info.version),
        ("Ngày xuất (export date)", f"{format_date(info.date)} ({info.date.isoformat()})"),
        ("Phạm vi (selection)", info.selection),
        ("Mã (codes)", "Mọi cột mã là văn bản, giữ số 0 ở đầu (00001); codes are text with their leading zeros"),
        *[("Ghi chú (note)", note) for note in info.notes],
    ]
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 2, 100, formats["wrap"])
    for row, (label, text) in enumerate(facts):
        sheet.write_string(row, 0, label, formats["header"])
        sheet.merge_range(row, 1, row, 2, "", formats["wrap"])
        sheet.write_string(row, 1, excel_text(text), formats["wrap"])
    row = len(facts) + 1
    for column, title in enumerate(("sheet", "column", "meaning")):
        sheet.write_string(row, column, title, formats["header"])
    for sheet_name, docs in documented:
        for column_name, meaning in docs.items():
            row += 1
            sheet.write_string(row, 0, sheet_name)
            sheet.write_string(row, 1, excel_text(str(column_name)))
            sheet.write_string(row, 2, excel_text(meaning), formats["wrap"])


def crosswalk_workbook(pairs: pd.DataFrame, summary: pd.DataFrame, provinces: pd.DataFrame, info: ExportInfo) -> bytes:
    """The planners' workbook: old→new pairs, new→old summary, province level, about."""
    return xlsx_bytes({SHEETS["pairs"]: pairs, SHEETS["summary"]: summary, SHEETS["provinces"]: provinces}, info)


def with_geometry(pairs: pd.DataFrame, new_communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each pair with the polygon of its NEW commune (``geometry_of`` = 'new_commune').

    Raises ``ValueError`` naming the new codes that have no polygon in ``new_communes``.
    """
    polygons = new_communes[["code", "geometry"]].rename(columns={"code": "new_code"})
    joined = pairs.merge(polygons, on="new_code", how="left")
    missing = sorted(set(joined.loc[joined["geometry"].isna(), "new_code"]))
    if missing:
        raise ValueError(f"new commune code(s) without a polygon in the new-commune layer: {', '.join(missing[:10])}")
    joined["geometry_of"] = "new_commune"
    return gpd.GeoDataFrame(joined, geometry="geometry", crs=new_communes.crs)


def geojson_bytes(features: gpd.GeoDataFrame, info: ExportInfo) -> bytes:
    """RFC 7946 GeoJSON (EPSG:4326, 5 decimals ≈ 1 m, exterior rings counter-clockwise), every attribute as
    in the table (codes as strings, empty values as null).

    Written directly (shapely.to_geojson + json) rather than through GDAL: the whole crosswalk,
    10,602 features, takes ~2 s instead of ~10 s.
    """
    table = with_meta(features, info).to_crs(4326)
    rounded = shapely.transform(table.geometry.to_numpy(), lambda xy: np.round(xy, _PRECISION))
    geometries = shapely.to_geojson(shapely.orient_polygons(rounded, exterior_cw=False))
    properties = pd.DataFrame(table.drop(columns=table.geometry.name))
    columns = [str(c) for c in properties.columns]
    values = [properties[c].astype(object).where(properties[c].notna(), None).tolist() for c in properties.columns]
    features_json = [
        '{"type":"Feature","properties":'
        + json.dumps(dict(zip(columns, row, strict=False)), ensure_ascii=False, default=str, separators=(",", ":"))
        + ',"geometry":'
        + (geometry if geometry is not None else "null")
        + "}"
        for row, geometry in zip(zip(*values, strict=False), geometries, strict=False)
    ]
    return ('{"type":"FeatureCollection","features":[\n' + ",\n".join(features_json) + "\n]}\n").encode("utf-8")


def parquet_bytes(features: gpd.GeoDataFrame, info: ExportInfo) -> bytes:
    """GeoParquet (WKB geometry, GeoParquet metadata written by geopandas); codes stay strings."""
    buffer = io.BytesIO()
    with_meta(features, info).to_parquet(buffer, index=False)
    return buffer.getvalue()


def export_bytes(
    fmt: str,
    pairs: pd.DataFrame,
    info: ExportInfo,
    *,
    summary: pd.DataFrame | None = None,
    provinces: pd.DataFrame | None = None,
    new_communes: gpd.GeoDataFrame | None = None,
) -> bytes:
    """The crosswalk rows ``pairs`` in format ``fmt`` (one of :data:`FORMATS`).

    ``summary`` and ``provinces`` are needed for XLSX, ``new_communes`` (polygons) for
    GeoJSON and GeoParquet; a missing one raises ``ValueError`` saying which.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return csv_bytes(pairs, info)
    if fmt == "xlsx":
        if summary is None or provinces is None:
            raise ValueError("the XLSX export needs the new→old summary and the province table")
        return crosswalk_workbook(pairs, summary, provinces, info)
    if new_communes is None:
        raise ValueError(f"the {fmt} export needs the new-commune polygons")
    features = with_geometry(pairs, new_communes)
    return geojson_bytes(features, info) if fmt == "geojson" else parquet_bytes(features, info)


def _check_codes(table: pd.DataFrame) -> None:
    """Code columns must hold text: a float code (1.0) or int (1) has already lost its zeros."""
    for column in table.columns:
        if _is_code(column):
            values = table[column].dropna()
            if len(values) and not (pd.api.types.is_string_dtype(values) and values.map(type).eq(str).all()):
                raise ValueError(
                    f"column {column!r} must hold codes as text (e.g. '00001'), found {values.dtype}; "
                    "read the table with lib.data.geodata loaders, which keep codes as strings"
                )


def _is_code(column: str) -> bool:
    return str(column).endswith(CODE_SUFFIX) or column in ("code", "old_code", "new_code")


def _width(column: str, values: pd.Series) -> int:
    """Column width from the header and the 95th percentile of the text lengths, within bounds."""
    lengths = values.head(5000).dropna().astype(str).str.len().dropna()
    typical = int(lengths.quantile(0.95)) if len(lengths) else 0
    return max(_MIN_WIDTH, min(_MAX_WIDTH, max(len(column), typical) + 2))
