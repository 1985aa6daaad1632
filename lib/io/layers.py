"""Uploaded layers (page *Dữ liệu*): judged by their bytes, then read and checked in a bounded worker.

A GeoJSON (first character ``{``) or GeoPackage (SQLite header) only, each opened by its own GDAL driver
(``GeoJSON:``/``GPKG:`` prefixes), in a worker process of :mod:`lib.io.sandbox`: first the fields and the
number of features, then the vertices, before anything slower (validity) runs. The page gets plain data
back (field names, a count) or a :class:`lib.data.validate.LayerError` in Vietnamese.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from lib.data.i18n import format_int
from lib.data.validate import LayerError, padded_problems, unreadable_message
from lib.io import sandbox
from lib.io.sheets import ReadLimits, SheetError, format_mb, limit_message

UPLOAD_DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}
_FORMAT_NAMES = {"GeoJSON": "GeoJSON", "GPKG": "GeoPackage (SQLite)"}
_SQLITE = b"SQLite format 3\x00"
_ACCEPTED = (
    "chỉ nhận lớp GeoJSON (.geojson, .json) hoặc GeoPackage (.gpkg) ở hệ toạ độ EPSG:4326 — hãy mở lớp trong QGIS "
    "và xuất lại (Xuất → Lưu đối tượng thành…) ở một trong hai định dạng đó"
)


def layer_fields(data: bytes, filename: str, *, limits: ReadLimits | None = None) -> list[str]:
    """Attribute field names of an uploaded layer (for choosing the code and name fields).

    Read in a bounded worker (:mod:`lib.io.sandbox`). Raises :class:`LayerError` when the file is not a
    GeoJSON/GeoPackage layer (judged by its bytes), is over a limit of ``limits`` (default
    :meth:`ReadLimits.from_env`: file size, features, the worker's memory, CPU and wall time) or has no field.
    """
    return _bounded(_read_fields, data, filename, limits)


def check_uploaded_layer(data: bytes, filename: str, *, limits: ReadLimits | None = None, **options) -> int:
    """The number of features of an uploaded layer that passes :func:`layer_problems` (``options``: its keywords).

    Read and checked in a bounded worker: the format, then the number of features, then the vertices
    (per feature and in all), then :func:`layer_problems`. Raises :class:`LayerError` listing the first
    ``limits.max_problems`` problems and "… và N lỗi khác" (``total`` counts them all), or naming the limit
    reached. Messages name the file as ``filename`` (the name the user uploaded), never the temporary path.
    """
    return _bounded(_read_and_check, data, filename, limits, **options)


def _bounded(func, data: bytes, filename: str, limits: ReadLimits | None, **options):
    """``func(path, source, limits, **options)`` in a worker, on ``data`` written to a private temporary folder
    (removed here even when the worker is killed)."""
    source = Path(filename).name
    limits = limits or ReadLimits.from_env()
    if len(data) > limits.max_bytes:
        raise LayerError(
            [_over(source, f"tệp nặng {format_mb(len(data))}", f"{format_mb(limits.max_bytes)} mỗi tệp", "max_bytes")]
        )
    driver = _upload_driver(data, source)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("layer.gpkg" if driver == "GPKG" else "layer.geojson")
        path.write_bytes(data)
        try:
            key = sandbox.file_key(data, func.__name__, source, limits, tuple(sorted(options.items())))
            return sandbox.run_bounded(func, path, source, limits, name=source, limits=limits, key=key, **options)
        except SheetError as err:  # the worker reached its memory, CPU or wall-time limit, or died
            raise LayerError([str(err)]) from None


LAYER_ADVICE = (
    "Hãy đơn giản hoá hình học (QGIS: Vector → Công cụ hình học → Đơn giản hoá) hoặc chia lớp theo tỉnh rồi tải lên lại"
)


def _over(source: str, what: str, limit: str, attr: str) -> str:
    return limit_message(source, what, limit, attr, LAYER_ADVICE)


def _upload_driver(data: bytes, source: str) -> str:
    """The GDAL driver for an upload: GeoJSON when it starts with "{" (after a BOM and white space), GeoPackage
    with the SQLite header; it must agree with the file name's extension. :class:`LayerError` otherwise."""
    first = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    found = "GPKG" if data.startswith(_SQLITE) else "GeoJSON" if first == b"{" else None
    suffix = Path(source).suffix.lower()
    wanted = UPLOAD_DRIVERS.get(suffix)
    head = f"{source}: không đọc được như một lớp ranh giới"
    if found is None:
        raise LayerError([f"{head} — tệp {_looks_like(data, first)}; {_ACCEPTED}."])
    if wanted not in (None, found):
        right = ".gpkg" if found == "GPKG" else ".geojson"
        raise LayerError(
            [f"{head} — tệp có đuôi {suffix} nhưng nội dung là {_FORMAT_NAMES[found]}; hãy đổi đuôi thành {right}."]
        )
    return found


def _looks_like(data: bytes, first: bytes) -> str:
    """What a file that is neither GeoJSON nor GeoPackage seems to be, for the message."""
    head = data[:4096].lower()
    if not first:
        return "rỗng"
    if first == b"<":
        if b"<kml" in head:
            return "là KML (XML)"
        if b"gml" in head:
            return "là GML (XML)"
        if b"<html" in head or b"<!doctype html" in head:
            return "là một trang web (HTML)"
        return "là XML"
    if data.startswith(b"PK\x03\x04"):
        return "là một tệp nén ZIP (có thể là Shapefile nén hoặc KMZ)"
    if data.startswith(b"\x00\x00\x27\x0a"):
        return "là Shapefile (.shp)"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "là văn bản UTF-16 (GeoJSON phải ở UTF-8)"
    if first == b"[":
        return "là JSON nhưng không phải một đối tượng GeoJSON (bắt đầu bằng “[”)"
    return "không phải GeoJSON hay GeoPackage"


def _gdal_path(path: Path) -> str:
    """The path that opens ``path`` with its one GDAL driver, named by the extension :func:`_bounded` gave it."""
    return f"{'GPKG' if path.suffix == '.gpkg' else 'GeoJSON'}:{path}"


def _check_shape(source: str, features: int, geometry: bool, fields: list, limits: ReadLimits) -> None:
    """The checks of a layer's features (``features`` more than the limit: at least that many), geometry and fields."""
    most = format_int(limits.max_features)
    if features > limits.max_features:  # a read stops at the limit + 1: only a larger number is a real count
        what = f"có {format_int(features)}" if features > limits.max_features + 1 else f"có hơn {most}"
        raise LayerError([_over(source, f"{what} đối tượng", f"{most} đối tượng", "max_features")])
    if not geometry:
        raise LayerError([f"{source}: lớp không có hình học (chỉ có bảng thuộc tính) — cần các đa giác ranh giới"])
    if not fields:
        raise LayerError([f"{source}: lớp không có trường thuộc tính nào — cần ít nhất một trường mã"])


def _read_fields(path: Path, source: str, limits: ReadLimits) -> list[str]:
    """:func:`layer_fields`'s work, in the worker: :func:`pyogrio.read_info` with the count of features."""
    try:
        info = pyogrio.read_info(_gdal_path(path), force_feature_count=True)
    except Exception as err:  # pyogrio raises several error types for unreadable files
        raise LayerError([unreadable_message(source, err, path)]) from None
    fields = [str(name) for name in info["fields"]]
    _check_shape(source, info["features"], info["geometry_type"] is not None, fields, limits)
    return fields


def _read_and_check(
    path: Path,
    source: str,
    limits: ReadLimits,
    *,
    code_field: str,
    name_field: str | None = None,
    code_width: int | None = None,
    expected_count: int | None = None,
) -> int:
    """:func:`check_uploaded_layer`'s work, in the worker."""
    try:  # never more features than the limit allows, whatever the file says its count is
        gdf = pyogrio.read_dataframe(_gdal_path(path), max_features=limits.max_features + 1)
    except Exception as err:  # pyogrio raises several error types for unreadable files
        raise LayerError([unreadable_message(source, err, path)]) from None
    geometry = isinstance(gdf, gpd.GeoDataFrame)
    _check_shape(source, len(gdf), geometry, [c for c in gdf.columns if not geometry or c != gdf.geometry.name], limits)
    vertices = shapely.get_num_coordinates(gdf.geometry.values)
    if len(gdf) and vertices.max() > limits.max_feature_vertices:
        i = int(vertices.argmax())
        what, limit = f"đối tượng {i} có {format_int(vertices[i])} đỉnh", format_int(limits.max_feature_vertices)
        raise LayerError([_over(source, what, f"{limit} đỉnh mỗi đối tượng", "max_feature_vertices")])
    if vertices.sum() > limits.max_vertices:
        what, limit = f"có {format_int(vertices.sum())} đỉnh", f"{format_int(limits.max_vertices)} đỉnh mỗi lớp"
        raise LayerError([_over(source, what, limit, "max_vertices")])
    problems = padded_problems(gdf, source, code_field, name_field, code_width, expected_count)
    if problems:
        shown = problems[: limits.max_problems]
        if len(problems) > len(shown):
            shown.append(f"… và {format_int(len(problems) - len(shown))} lỗi khác")
        raise LayerError(shown, total=len(problems))
    return len(gdf)
