"""Writers of the crosswalk exports (CSV with BOM, XLSX, GeoJSON, GeoParquet) with their column documentation."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import numpy as np
import shapely

from lib.crosswalk import COLUMN_DOCS
from lib.i18n import format_date
from lib.lineage import SUMMARY_DOCS, filter_province_crosswalk, new_to_old_summary
from lib.xlsx import Sheet, write_xlsx

FORMATS = ("csv", "xlsx", "geojson", "parquet")
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "parquet": "application/vnd.apache.parquet",
}
SOURCE_TEXT = ("Bảng chuyển đổi xã cũ → xã mới của bộ dữ liệu đi kèm ứng dụng (geodata/crosswalk.csv), "
               "dựng từ danh mục GSO 30/06/2025, vietnamadminunits và dvhcvn; nguồn và giấy phép: geodata/SOURCES.md")

# Columns every export appends so that a file read on its own still says where it came from.
META_DOCS = {
    "dataset_version": "version id of the bundled dataset the rows come from (geodata/manifest.json)",
    "export_date": "date the file was written (yyyy-mm-dd)",
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


@dataclass(frozen=True)
class ExportInfo:
    """What every export states about itself: dataset version, date, source, selection."""

    version: str
    date: dt.date
    selection: str = "toàn bộ bảng chuyển đổi"
    source: str = SOURCE_TEXT
    notes: tuple[str, ...] = field(default_factory=tuple)


def export_info(manifest: dict, *, selection: str = "toàn bộ bảng chuyển đổi", date: dt.date | None = None) -> ExportInfo:
    """An :class:`ExportInfo` from ``lib.geodata.load_manifest()`` (date defaults to today)."""
    return ExportInfo(version=str(manifest["version"]), date=date or dt.date.today(), selection=selection)


UNDOCUMENTED = "(not documented: column added after this export module was written)"


def column_docs(columns: list[str] | pd.Index, *, extra: dict[str, str] | None = None,
                default: str = UNDOCUMENTED) -> dict[str, str]:
    """Meaning of each column; a column nobody documented says so instead of vanishing."""
    known = {**COLUMN_DOCS, **SUMMARY_DOCS, **PROVINCE_DOCS, **META_DOCS, **GEOMETRY_DOCS, **(extra or {})}
    return {column: known.get(column, default) for column in columns}


def with_meta(table: pd.DataFrame, info: ExportInfo) -> pd.DataFrame:
    """``table`` with the ``dataset_version`` and ``export_date`` columns appended."""
    _check_codes(table)
    return table.assign(dataset_version=info.version, export_date=info.date.isoformat())


def csv_bytes(table: pd.DataFrame, info: ExportInfo) -> bytes:
    """UTF-8 CSV with a BOM (Excel then shows Vietnamese correctly); codes written as text."""
    buffer = io.StringIO()
    with_meta(table, info).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: dict[str, pd.DataFrame], info: ExportInfo, *, docs: dict[str, str] | None = None,
               undocumented: str = UNDOCUMENTED) -> bytes:
    """An XLSX workbook: one sheet per table (frozen header, filters, widths), then an 'about' sheet.

    The dataset version and date are stated once, on the 'about' sheet (not repeated on
    every row as in the single-table formats). Every text cell is written as text (codes
    keep their zeros; nothing becomes a formula or a number) and code columns carry the
    text number format '@'.
    """
    written, documented = [], []
    for sheet_name, table in sheets.items():
        _check_codes(table)
        columns = [str(column) for column in table.columns]
        rows = [columns, *table.astype(object).to_numpy().tolist()]
        written.append(Sheet(sheet_name, rows, widths=[_width(c, table.iloc[:, i]) for i, c in enumerate(columns)],
                             column_styles=["text" if _is_code(c) else None for c in columns]))
        documented.append((sheet_name, column_docs(table.columns, extra=docs, default=undocumented)))
    written.append(_about_sheet(info, documented))
    return write_xlsx(written)


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
        '{"type":"Feature","properties":' + json.dumps(dict(zip(columns, row)), ensure_ascii=False, default=str,
                                                          separators=(",", ":"))
        + ',"geometry":' + (geometry if geometry is not None else "null") + "}"
        for row, geometry in zip(zip(*values), geometries)
    ]
    return ('{"type":"FeatureCollection","features":[\n' + ",\n".join(features_json) + "\n]}\n").encode("utf-8")


def parquet_bytes(features: gpd.GeoDataFrame, info: ExportInfo) -> bytes:
    """GeoParquet (WKB geometry, GeoParquet metadata written by geopandas); codes stay strings."""
    buffer = io.BytesIO()
    with_meta(features, info).to_parquet(buffer, index=False)
    return buffer.getvalue()


def export_bytes(fmt: str, pairs: pd.DataFrame, info: ExportInfo, *, summary: pd.DataFrame | None = None,
                 provinces: pd.DataFrame | None = None, new_communes: gpd.GeoDataFrame | None = None) -> bytes:
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


def crosswalk_export(fmt: str, selected: pd.DataFrame, *, crosswalk: pd.DataFrame, province_crosswalk: pd.DataFrame,
                     manifest: dict, new_communes: gpd.GeoDataFrame | None = None,
                     selection: str = "toàn bộ bảng chuyển đổi", date: dt.date | None = None) -> bytes:
    """Export the ``selected`` crosswalk rows (``date`` defaults to today); the XLSX new→old sheet lists every predecessor of the
    selected new communes (taken from the whole ``crosswalk``, not only the selection)."""
    info = export_info(manifest, selection=selection, date=date)
    summary = provinces = None
    if fmt == "xlsx":
        summary = new_to_old_summary(crosswalk[crosswalk["new_code"].isin(set(selected["new_code"]))])
        provinces = filter_province_crosswalk(province_crosswalk, selected)
    return export_bytes(fmt, selected, info, summary=summary, provinces=provinces, new_communes=new_communes)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so an error never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _check_codes(table: pd.DataFrame) -> None:
    """Code columns must hold text: a float code (1.0) or int (1) has already lost its zeros."""
    for column in table.columns:
        if _is_code(column):
            values = table[column].dropna()
            if len(values) and not (pd.api.types.is_string_dtype(values) and values.map(type).eq(str).all()):
                raise ValueError(f"column {column!r} must hold codes as text (e.g. '00001'), found {values.dtype}; "
                                 "read the table with lib.geodata loaders, which keep codes as strings")


def _is_code(column: str) -> bool:
    return str(column).endswith(CODE_SUFFIX) or column in ("code", "old_code", "new_code")


def _width(column: str, values: pd.Series) -> int:
    """Column width from the header and the 95th percentile of the text lengths, within bounds."""
    lengths = values.head(5000).dropna().astype(str).str.len().dropna()
    typical = int(lengths.quantile(0.95)) if len(lengths) else 0
    return max(_MIN_WIDTH, min(_MAX_WIDTH, max(len(column), typical) + 2))


def _about_sheet(info: ExportInfo, documented: list[tuple[str, dict[str, str]]]) -> Sheet:
    facts = [
        ("Nguồn (source)", info.source),
        ("Phiên bản dữ liệu (dataset version)", info.version),
        ("Ngày xuất (export date)", f"{format_date(info.date)} ({info.date.isoformat()})"),
        ("Phạm vi (selection)", info.selection),
        ("Mã (codes)", "Mọi cột mã là văn bản, giữ số 0 ở đầu (00001); codes are text with their leading zeros"),
        *[("Ghi chú (note)", note) for note in info.notes],
    ]
    rows: list[list[object]] = [[label, text, None] for label, text in facts]
    styles = {(r, 0): "header" for r in range(len(facts))} | {(r, 1): "wrap" for r in range(len(facts))}
    merges = [f"B{r + 1}:C{r + 1}" for r in range(len(facts))]
    rows.append([])
    styles |= {(len(rows), c): "header" for c in range(3)}
    rows.append(["sheet", "column", "meaning"])
    rows += [[sheet_name, column, meaning] for sheet_name, docs in documented for column, meaning in docs.items()]
    return Sheet(SHEETS["about"], rows, widths=[36, 28, 100], column_styles=[None, None, "wrap"], cell_styles=styles,
                 header_rows=0, autofilter=False, merges=merges)
