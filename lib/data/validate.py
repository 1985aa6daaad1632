"""Validation of polygon layers and of the whole dataset, with messages that name file and feature.

Messages about a layer (:func:`layer_problems`, :func:`read_user_layer`) are in Vietnamese: the page
*Dữ liệu* shows them to users (uploads are read in a bounded worker by :mod:`lib.io.layers`). The
whole-dataset report (:func:`validate_dataset`, the crosswalk, nesting and tiling checks) is for whoever
builds ``geodata/`` and stays in English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lib.core import vocab
from lib.data import contract, geodata
from lib.data.i18n import format_int

# Vietnam with its islands (Hoàng Sa, Trường Sa) lies well inside this lon/lat box.
VIETNAM_BOUNDS = (100.0, 6.0, 118.0, 24.0)
EXPECTED = {"new_provinces": 34, "new_communes": 3321, "old_provinces": 63, "old_communes": 10035}


class LayerError(Exception):
    """A layer cannot be used; ``problems`` lists the reasons (in Vietnamese), each naming the file and feature.

    ``total`` counts every problem when ``problems`` lists only the first ones (an uploaded layer).
    """

    def __init__(self, problems: list[str], total: int | None = None):
        self.problems = problems
        self.total = len(problems) if total is None else total
        super().__init__("\n".join(problems))

    def __reduce__(self):  # raised in the reading worker and pickled back: keep the list, not its joined text
        return type(self), (self.problems, self.total)


@dataclass
class Check:
    """One line of a validation report."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class Report:
    """Checks and headline counts of a dataset validation."""

    checks: list[Check] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, problems: list[str], detail: str = "") -> None:
        shown = "; ".join(problems[:5]) + (f"; … {len(problems) - 5} more" if len(problems) > 5 else "")
        self.checks.append(Check(name, not problems, shown or detail))

    def render(self) -> str:
        lines = ["Counts:"] + [f"  {k:<34} {v:>8,}" for k, v in self.counts.items()] + ["Checks:"]
        lines += [
            f"  [{'ok' if c.ok else 'FAIL'}] {c.name}" + (f": {c.detail}" if c.detail else "") for c in self.checks
        ]
        failed = sum(not c.ok for c in self.checks)
        lines.append("RESULT: " + ("all checks passed" if not failed else f"{failed} check(s) failed"))
        return "\n".join(lines)


def layer_problems(
    gdf: gpd.GeoDataFrame,
    *,
    source: str,
    code_field: str,
    name_field: str | None = None,
    code_width: int | None = None,
    expected_count: int | None = None,
) -> list[str]:
    """Every reason ``gdf`` cannot serve as a layer of administrative units.

    Checks CRS (geographic lon/lat in EPSG:4326, coordinates inside Vietnam), the code and
    name fields, unique non-empty codes of ``code_width`` digits, and non-empty, valid,
    polygonal geometries. Each message (in Vietnamese) names ``source`` and the feature (index and code).
    """
    if not code_field:
        return [f"{source}: chưa chọn trường mã"]
    problems = []
    missing = [f for f in (code_field, name_field) if f and f not in gdf.columns]
    if missing:
        fields = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        return [f"{source}: không có trường {', '.join(missing)}; các trường của lớp: {fields}"]
    problems += _crs_problems(gdf, source)
    codes = gdf[code_field].astype(object).where(gdf[code_field].notna(), "").astype(str).str.strip()
    label = [f"{source}: đối tượng {i} (mã {c or '∅'})" for i, c in zip(range(len(gdf)), codes, strict=False)]
    for i in np.flatnonzero(codes.eq("").to_numpy()):
        problems.append(f"{label[i]}: thiếu mã")
    if code_width:
        bad = ~codes.str.fullmatch(rf"\d{{{code_width}}}") & codes.ne("")
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(f"{label[i]}: mã không gồm đúng {code_width} chữ số (mã là văn bản, giữ các số 0 ở đầu)")
    duplicated = codes[codes.duplicated(keep=False) & codes.ne("")]
    for code, group in duplicated.groupby(duplicated):
        rows = ", ".join(str(gdf.index.get_loc(i)) for i in group.index)
        problems.append(f"{source}: mã {code} được dùng cho {len(group)} đối tượng (đối tượng {rows})")
    if name_field:
        for i in np.flatnonzero(gdf[name_field].isna().to_numpy() | gdf[name_field].astype(str).str.strip().eq("")):
            problems.append(f"{label[i]}: thiếu tên")
    geoms = gdf.geometry.values
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(empty):
        problems.append(f"{label[i]}: không có hình học (rỗng hoặc thiếu)")
    types = shapely.get_type_id(geoms)
    for i in np.flatnonzero(~empty & ~np.isin(types, (3, 6))):
        problems.append(f"{label[i]}: hình học là {geoms[i].geom_type}, không phải đa giác (Polygon/MultiPolygon)")
    invalid = ~empty & ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        problems.append(f"{label[i]}: hình học không hợp lệ ({shapely.is_valid_reason(geoms[i])})")
    if expected_count is not None and len(gdf) != expected_count:
        problems.append(f"{source}: có {format_int(len(gdf))} đối tượng, cần {format_int(expected_count)}")
    return problems


def _crs_problems(gdf: gpd.GeoDataFrame, source: str) -> list[str]:
    if gdf.crs is not None and not gdf.crs.is_geographic:
        return [f"{source}: toạ độ phẳng ({gdf.crs.name}); hãy chuyển sang EPSG:4326 (kinh độ/vĩ độ) trước khi tải lên"]
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        return [f"{source}: hệ toạ độ là {gdf.crs.name}, cần EPSG:4326 (WGS 84, kinh độ/vĩ độ)"]
    present = ~(shapely.is_missing(gdf.geometry.values) | shapely.is_empty(gdf.geometry.values))
    if not present.any():
        return []
    minx, miny, maxx, maxy = shapely.total_bounds(gdf.geometry.values[present])
    west, south, east, north = VIETNAM_BOUNDS
    if minx < west or maxx > east or miny < south or maxy > north:
        hint = (
            " — có vẻ là mét của toạ độ phẳng (ví dụ VN-2000 / UTM), không phải độ"
            if max(abs(minx), abs(maxy)) > 1000
            else ""
        )
        return [
            f"{source}: toạ độ ({minx:.4g}, {miny:.4g}) – ({maxx:.4g}, {maxy:.4g}) nằm ngoài khung kinh độ/vĩ độ "
            f"của Việt Nam{hint}; lớp phải ở EPSG:4326, kinh độ đứng trước"
        ]
    return []


def padded_problems(
    gdf: gpd.GeoDataFrame,
    source: str,
    code_field: str,
    name_field: str | None,
    code_width: int | None,
    expected_count: int | None,
) -> list[str]:
    """:func:`layer_problems` of ``gdf`` once a numeric code field is zero-padded to text."""
    _pad_codes(gdf, code_field, code_width)
    return layer_problems(
        gdf,
        source=source,
        code_field=code_field,
        name_field=name_field,
        code_width=code_width,
        expected_count=expected_count,
    )


def read_user_layer(
    path: Path | str,
    *,
    source: str | None = None,
    code_field: str,
    name_field: str | None = None,
    code_width: int | None = None,
    expected_count: int | None = None,
) -> gpd.GeoDataFrame:
    """Read a user's layer (GeoJSON, GeoPackage, Shapefile …) and validate it.

    Codes are read as text (a numeric code field is zero-padded to ``code_width``). Messages
    name the file as ``source`` (default: the file's name, never its folder).
    Raises :class:`LayerError` listing every problem, or returns the layer.
    """
    path = Path(path)
    source = source or path.name
    if not path.is_file():
        raise LayerError([f"{source}: không tìm thấy tệp"])
    try:
        gdf = geodata.read_layer(path)
    except Exception as err:  # pyogrio raises several error types for unreadable files
        raise LayerError([unreadable_message(source, err, path)]) from None
    problems = padded_problems(gdf, source, code_field, name_field, code_width, expected_count)
    if problems:
        raise LayerError(problems)
    return gdf


def unreadable_message(source: str, err: Exception, path: Path) -> str:
    """Message for a file GDAL cannot read; its detail names the file as ``source``, never the server's path."""
    detail = str(err)
    for text in (str(path.resolve()), str(path)):
        detail = detail.replace(text, source)
    folder = str(path.resolve().parent)
    detail = detail.replace(folder, "…") if len(folder) > 1 else detail
    detail = detail.split("; It might help")[0].rstrip(".")  # GDAL's hint about driver prefixes is no help here
    return (
        f"{source}: không đọc được như một lớp ranh giới (GeoJSON hoặc GeoPackage); "
        f"hãy kiểm tra tệp và định dạng (chi tiết: {detail})"
    )


def _pad_codes(gdf: gpd.GeoDataFrame, code_field: str, code_width: int | None) -> None:
    """A numeric code field as text, zero-padded to ``code_width`` (in place)."""
    if code_field in gdf.columns and code_width and pd.api.types.is_numeric_dtype(gdf[code_field]):
        numeric = gdf[code_field]
        gdf[code_field] = numeric.map(lambda v: "" if pd.isna(v) else str(int(v)).zfill(code_width))


def crosswalk_problems(table: pd.DataFrame, *, new_codes: set[str], old_codes: set[str] | None) -> list[str]:
    """Referential integrity and contract of the crosswalk (one row per pair, valid values)."""
    problems = []
    missing_cols = [c for c in contract.COLUMNS if c not in table.columns]
    if missing_cols:
        return [f"crosswalk.csv: missing column(s) {', '.join(missing_cols)}"]
    where = lambda mask: ", ".join(f"row {i + 2}" for i in np.flatnonzero(mask)[:5])  # noqa: E731 (+2: header, 1-based)
    dup = table.duplicated(["old_code", "new_code"], keep=False)
    if dup.any():
        problems.append(f"crosswalk.csv: {int(dup.sum())} rows repeat an (old, new) pair ({where(dup)})")
    unknown_new = ~table["new_code"].isin(new_codes)
    if unknown_new.any():
        problems.append(f"crosswalk.csv: {int(unknown_new.sum())} new codes have no polygon ({where(unknown_new)})")
    absent_new = new_codes - set(table["new_code"])
    if absent_new:
        problems.append(
            f"crosswalk.csv: {len(absent_new)} new communes have no predecessor: {', '.join(sorted(absent_new)[:5])}"
        )
    if old_codes is not None:
        communes = table["old_level"].eq("commune")
        unknown_old = communes & ~table["old_code"].isin(old_codes)
        if unknown_old.any():
            problems.append(
                f"crosswalk.csv: {int(unknown_old.sum())} old codes not in the old list ({where(unknown_old)})"
            )
        absent_old = old_codes - set(table.loc[communes, "old_code"])
        if absent_old:
            problems.append(
                f"crosswalk.csv: {len(absent_old)} old communes have no target: {', '.join(sorted(absent_old)[:5])}"
            )
    for column, allowed in (("relation", set(vocab.RELATIONS)), ("part", set(vocab.PARTS))):
        bad = ~table[column].isin(allowed)
        if bad.any():
            problems.append(
                f"crosswalk.csv: {int(bad.sum())} rows with {column} not in {sorted(allowed)} ({where(bad)})"
            )
    targets = table.groupby("old_code")["new_code"].transform("size")
    silent_default = targets.gt(1) & table["part"].ne("part")
    if silent_default.any():
        problems.append(
            f"crosswalk.csv: {int(silent_default.sum())} rows of split communes are not marked part "
            f"({where(silent_default)})"
        )
    expected = contract.classify_relations(
        targets=targets,
        predecessors=table.groupby("new_code")["old_code"].transform("size"),
        whole=table["part"].ne("part"),
        same_name=table["old_name"].eq(table["new_name"]),
    )
    off_rule = table["relation"].ne(expected)
    if off_rule.any():
        problems.append(
            f"crosswalk.csv: {int(off_rule.sum())} rows whose relation breaks the rule of "
            f"lib.data.contract.classify_relations ({where(off_rule)})"
        )
    for share, key in (("share_of_old", "old_code"), ("share_of_new", "new_code")):
        if table[share].notna().any():
            sums = table.groupby(key)[share].sum()
            off = sums[(sums - 1).abs() > 1e-6]
            if len(off):
                problems.append(
                    f"crosswalk.csv: {share} does not add up to 1 for {len(off)} units ({', '.join(off.index[:5])})"
                )
    return problems


def nesting_problems(
    children: gpd.GeoDataFrame,
    parents: gpd.GeoDataFrame,
    *,
    child_key: str,
    parent_key: str = "code",
    tolerance: float = 1e-6,
) -> list[str]:
    """Children that do not lie inside the parent their ``child_key`` names (area share below 1 − tolerance)."""
    parent_geoms = parents.set_index(parent_key).geometry
    has_parent = children[child_key].isin(parent_geoms.index)
    problems = [
        f"code {c}: parent {p} does not exist"
        for c, p in zip(children.loc[~has_parent, "code"], children.loc[~has_parent, child_key], strict=False)
    ]
    inside = children[has_parent]
    own = inside.geometry.values
    parent = parent_geoms.loc[inside[child_key]].values
    share = shapely.area(shapely.intersection(own, parent)) / shapely.area(own)
    for code, p, s in zip(inside["code"], inside[child_key], share, strict=False):
        if s < 1 - tolerance:
            problems.append(f"code {code}: only {s:.6f} of its area lies in {p}")
    return problems


def tiling_problems(
    children: gpd.GeoDataFrame,
    parents: gpd.GeoDataFrame,
    *,
    child_key: str,
    parent_key: str = "code",
    tolerance: float = 1e-6,
) -> list[str]:
    """Parents whose children's areas do not add up to the parent's area (overlaps or gaps)."""
    child_area = (
        pd.Series(shapely.area(children.geometry.values), index=children.index).groupby(children[child_key]).sum()
    )
    parent_area = pd.Series(shapely.area(parents.geometry.values), index=parents[parent_key])
    ratio = child_area.reindex(parent_area.index) / parent_area
    return [f"{code}: its units cover {r:.7f} of its area" for code, r in ratio.items() if abs(r - 1) > tolerance]


def validate_dataset(geodata_dir: Path | None = None) -> Report:
    """Check every layer and table of a dataset folder; the report lists counts and checks."""
    geodata_dir = geodata.folder(geodata_dir)
    report = Report()
    layers = {}
    for name, layer in geodata.LAYERS.items():
        path = geodata_dir / layer.path
        if not path.is_file():
            report.add(f"layer {name}", [f"{path}: file not found"])
            continue
        gdf = geodata.load_layer(name, geodata_dir)
        layers[name] = gdf
        report.counts[name] = len(gdf)
        report.add(
            f"layer {name} ({layer.path})",
            layer_problems(
                gdf,
                source=layer.path,
                code_field=layer.code_field,
                name_field="name",
                code_width=layer.code_width,
                expected_count=layer.expected_count,
            ),
        )
    if "new_communes" in layers and "new_provinces" in layers:
        report.add(
            "new communes nest in their new province",
            nesting_problems(layers["new_communes"], layers["new_provinces"], child_key="province_code"),
        )
        report.add(
            "new communes tile their province (no overlaps, no gaps)",
            tiling_problems(layers["new_communes"], layers["new_provinces"], child_key="province_code"),
        )
    old_list = geodata.load_old_commune_list(geodata_dir)
    report.counts["old_communes (GSO list 30/06/2025)"] = len(old_list)
    report.add(
        "old commune list has 10,035 unique codes",
        []
        if len(old_list) == EXPECTED["old_communes"] and old_list["code"].is_unique
        else [f"{len(old_list):,} rows, {old_list['code'].nunique():,} unique codes"],
    )
    table = geodata.load_crosswalk(geodata_dir)
    new_codes = set(layers["new_communes"]["code"]) if "new_communes" in layers else set()
    report.add(
        "crosswalk: one row per pair, every old and new commune, valid values",
        crosswalk_problems(table, new_codes=new_codes, old_codes=set(old_list["code"])),
    )
    summary = contract.summarise(table)
    report.counts.update({f"crosswalk {k.replace('_', ' ')}": v for k, v in summary.items()})
    provinces = geodata.load_province_crosswalk(geodata_dir)
    report.counts["province crosswalk pairs (63 → 34)"] = len(provinces)
    report.add(
        "province crosswalk covers 63 old and 34 new provinces",
        []
        if (provinces["old_province_code"].nunique(), provinces["new_province_code"].nunique()) == (63, 34)
        else [f"{provinces['old_province_code'].nunique()} old, {provinces['new_province_code'].nunique()} new"],
    )
    return report
