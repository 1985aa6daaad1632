"""Generators of hostile and careless input files (tests of issue 13), and a meter of a CLI run's time and memory."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell(row: int, column: int, value: object) -> str:
    ref = f"{column_letters(column)}{row}"
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, str) and value.startswith("="):
        return f'<c r="{ref}"><f>{escape(value[1:])}</f></c>'  # a formula without a cached value
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def sheet_xml(rows: list[list[object]], *, dimension: str = "", merges: tuple[str, ...] = ()) -> str:
    body = "".join(
        f'<row r="{r}">' + "".join(cell(r, c, v) for c, v in enumerate(row, start=1) if v != "") + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    merged = ""
    if merges:
        merged = f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
        merged += "</mergeCells>"
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{SHEET_HEAD}{dim}<sheetData>{body}</sheetData>{merged}</worksheet>"


def write_xlsx(path: Path, sheet: str | None = None, *, sheet_writer=None) -> Path:
    """An XLSX package with one sheet: ``sheet`` (XML text) or written by ``sheet_writer(stream)``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _RELS)
        package.writestr("xl/workbook.xml", _WORKBOOK)
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        if sheet is not None:
            package.writestr("xl/worksheets/sheet1.xml", sheet)
        else:
            with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as stream:
                sheet_writer(stream)
    return path


STATUS_HEADER = ["Mã xã", "Tổng số nhiệm vụ", "Đã hoàn thành", "Quá hạn", "Tình trạng trung tâm", "Ghi chú"]
CONVERT_ROWS = [["Mã xã", "Tên xã"], ["00001", "Phúc Xá"], ["00004", "Trúc Bạch"], ["00006", "Vĩnh Phúc"]]


def lying_dimension(path: Path) -> Path:
    """A few KB XLSX whose ``<dimension>`` claims A1:XFD1048576 (16,384 × 1,048,576 cells)."""
    return write_xlsx(path, sheet_xml(CONVERT_ROWS, dimension="A1:XFD1048576"))


def deflate_bomb(path: Path, inflated: int = 520 * 1024 * 1024) -> Path:
    """A small XLSX whose sheet inflates to ``inflated`` bytes (written streaming, never held in memory)."""
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 200 + b"</t></is></c></row>"
    block = row * (1024 * 1024 // len(row))

    def writer(stream) -> None:
        stream.write(SHEET_HEAD.encode() + b"<sheetData>")
        written = 0
        while written < inflated:
            stream.write(block)
            written += len(block)
        stream.write(b"</sheetData></worksheet>")

    return write_xlsx(path, sheet_writer=writer)


def wide(path: Path, columns: int = 16_384) -> Path:
    """A header row with 16,384 columns (A … XFD)."""
    return write_xlsx(path, sheet_xml([[f"c{i}" for i in range(columns)], ["00001"]]))


def million_rows(path: Path, rows: int = 1_000_000) -> Path:
    """1,000,000 rows of one code each (about 6 MB compressed)."""

    def writer(stream) -> None:
        stream.write(
            SHEET_HEAD.encode() + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Ma xa</t></is></c></row>'
        )
        for start in range(2, rows + 2, 10_000):
            stream.write(
                b"".join(
                    b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>00001</t></is></c></row>' % (r, r)
                    for r in range(start, min(start + 10_000, rows + 2))
                )
            )
        stream.write(b"</sheetData></worksheet>")

    return write_xlsx(path, sheet_writer=writer)


def million_rows_csv(path: Path, rows: int = 1_000_000) -> Path:
    path.write_bytes(b"Ma xa,Ten\r\n" + b"00001,Phuc Xa\r\n" * rows)
    return path


def formulas(path: Path) -> Path:
    """A status sheet written by a program that does not compute formulas: totals are ``=B2+C2`` without values."""
    rows = [STATUS_HEADER, ["00004", "=C2+D2", 5, 1, "hoạt động", ""], ["00008", "=C3+D3", 3, 0, "hoạt động", ""]]
    return write_xlsx(path, sheet_xml(rows))


def merged_header(path: Path) -> Path:
    """An official-template layout: "Nhiệm vụ" merged over three sub-headers, codes merged over two rows."""
    rows = [
        ["Mã xã", "Nhiệm vụ", "", "", "Tình trạng trung tâm"],
        ["", "Tổng số", "Đã hoàn thành", "Quá hạn", ""],
        ["00004", 10, 5, 1, "hoạt động"],
        ["00008", 8, 8, 0, "hoạt động"],
    ]
    return write_xlsx(path, sheet_xml(rows, merges=("A1:A2", "B1:D1", "E1:E2")))


def html_as_xls(path: Path) -> Path:
    path.write_text(
        "<html><head><meta charset='utf-8'></head><body><table><tr><th>Mã xã</th><th>Tổng số nhiệm vụ</th></tr>"
        "<tr><td>00004</td><td>10</td></tr></table></body></html>",
        encoding="utf-8",
    )
    return path


def status_csv(path: Path, rows: list[list[object]]) -> Path:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(STATUS_HEADER)
        writer.writerows(rows)
    return path


_METER = """
import json, resource, subprocess, sys, time
start = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.monotonic() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": done.returncode, "seconds": seconds, "peak_kb": peak, "stdout": done.stdout[-4000:],
                  "stderr": done.stderr[-4000:]}))
"""


def measure(*cli_args: str, env: dict | None = None) -> dict:
    """Run ``python -m lib.cli ARGS`` in a fresh meter process: rc, wall seconds, peak RSS (KB), output."""
    meter = subprocess.run(
        [sys.executable, "-c", _METER, sys.executable, "-m", "lib.cli", *cli_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(meter.stdout)


# ---------------------------------------------------------------------- issue 20: costs the first limits did not name
def long_cell(path: Path, chars: int = 90_000_000) -> Path:
    """About 100 KB of XLSX whose header row is one inline cell of ``chars`` characters (90 MB inflated)."""

    def writer(stream) -> None:
        stream.write(SHEET_HEAD.encode() + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
        block = b"A" * (1024 * 1024)
        for _ in range(chars // len(block)):
            stream.write(block)
        stream.write(b"A" * (chars % len(block)))
        stream.write(b'</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row></sheetData></worksheet>')

    return write_xlsx(path, sheet_writer=writer)


def sniffer_trap(path: Path, size: int = 64 * 1024) -> Path:
    """64 KB of ``,"`` repeated: csv.Sniffer's regular expressions backtrack on it for tens of seconds."""
    path.write_bytes(b',"' * (size // 2))
    return path


def amplified_shared_string(path: Path, rows: int = 126, chars: int = 2 * 1024 * 1024) -> Path:
    """A status XLSX of a few KB whose ``rows`` notes all point at one shared string of ``chars`` characters."""
    header = "".join(cell(1, c, v) for c, v in enumerate(STATUS_HEADER, start=1))
    body = "".join(
        f'<row r="{r}">{cell(r, 1, f"{4 * (r - 1):05d}")}{cell(r, 2, 10)}{cell(r, 3, 5)}{cell(r, 4, 0)}'
        f'{cell(r, 5, "hoạt động")}<c r="F{r}" t="s"><v>0</v></c></row>'
        for r in range(2, rows + 2)
    )
    sheet = f'{SHEET_HEAD}<sheetData><row r="1">{header}</row>{body}</sheetData></worksheet>'
    with zipfile.ZipFile(write_xlsx(path, sheet), "a", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        with package.open("xl/sharedStrings.xml", "w") as stream:
            stream.write(SHARED_HEAD.encode() + b"<si><t>")
            stream.write(b"N" * chars)
            stream.write(b"</t></si></sst>")
    return path


SHARED_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'count="1" uniqueCount="1">'
)


# ---------------------------------------------------------------------- issue 20: hostile layers (page Dữ liệu)
def _square(path: Path, driver: str) -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    layer = gpd.GeoDataFrame({"ma": ["00001"], "ten": ["Xã Một"]}, geometry=[box(105.8, 21.0, 105.9, 21.1)], crs=4326)
    layer.to_file(path, driver=driver, layer="xa")
    return path


def recursive_view_gpkg(path: Path) -> Path:
    """A GeoPackage (about 100 KB) whose feature table ``xa`` is a VIEW over an endless recursive query that never
    yields a row: counting or reading its features spins a core for ever."""
    import sqlite3

    _square(path, "GPKG")
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE xa RENAME TO xa_data")
        db.execute("DELETE FROM gpkg_extensions WHERE table_name = 'xa'")
        db.execute("DELETE FROM gpkg_ogr_contents WHERE table_name = 'xa'")
        db.execute(
            "CREATE VIEW xa AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
            "SELECT d.fid AS fid, d.geom AS geom, d.ma AS ma, d.ten AS ten FROM r, xa_data AS d WHERE r.n = 0"
        )
        assert db.execute("SELECT count(*) FROM gpkg_contents WHERE table_name = 'xa'").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM gpkg_geometry_columns WHERE table_name = 'xa'").fetchone() == (1,)
    return path


def million_vertex_polygon(path: Path, vertices: int = 1_000_000) -> Path:
    """One GeoJSON polygon (a circle near Hà Nội, 4 decimals) of ``vertices`` + 1 vertices, about 19 MB."""
    import math

    step = 2 * math.pi / vertices
    points = ",".join(
        f"[{105.85 + 0.5 * math.cos(i * step):.4f},{21.03 + 0.5 * math.sin(i * step):.4f}]" for i in range(vertices)
    )
    first = f"[{105.85 + 0.5:.4f},{21.03:.4f}]"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"ma":"00001","ten":"Xã Tròn"},'
        f'"geometry":{{"type":"Polygon","coordinates":[[{points},{first}]]}}}}]}}',
        encoding="utf-8",
    )
    return path


def bad_features(path: Path, count: int = 92_702) -> Path:
    """``count`` features (about 19 MB of GeoJSON), each with four problems: a one-digit code shared by all, an empty
    name and a self-intersecting "bow-tie" polygon."""
    feature = (
        '{"type":"Feature","properties":{"ma":"1","ten":"","ghi_chu":"đối tượng hỏng"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[105.80,21.00],[105.90,21.10],[105.90,21.00],[105.80,21.10],[105.80,21.00]]]}}'
    )
    path.write_text('{"type":"FeatureCollection","features":[' + ",".join([feature] * count) + "]}", encoding="utf-8")
    return path


def no_properties(path: Path) -> Path:
    """A valid GeoJSON square whose feature has no attribute at all."""
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon",'
        '"coordinates":[[[105.8,21.0],[105.9,21.0],[105.9,21.1],[105.8,21.1],[105.8,21.0]]]}}]}',
        encoding="utf-8",
    )
    return path


def gml_as_json(path: Path) -> Path:
    """A GML (XML) layer of one commune saved under a ``.json`` name."""
    path.write_text(
        '<?xml version="1.0" encoding="utf-8" ?>\n'
        '<ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" xmlns:gml="http://www.opengis.net/gml">\n'
        '<gml:featureMember><ogr:xa fid="xa.0"><ogr:geometryProperty><gml:Polygon srsName="EPSG:4326">'
        "<gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>105.8,21.0 105.9,21.0 105.9,21.1 105.8,21.1 105.8,21.0"
        "</gml:coordinates></gml:LinearRing></gml:outerBoundaryIs></gml:Polygon></ogr:geometryProperty>"
        "<ogr:ma>00001</ogr:ma><ogr:ten>Xã Một</ogr:ten></ogr:xa></gml:featureMember>\n"
        "</ogr:FeatureCollection>\n",
        encoding="utf-8",
    )
    return path
