"""build-geodata: turn the public sources into the bundled dataset under geodata/.

Everything is written to a temporary folder beside the output and moved into place only
when every step has succeeded, so a failed build leaves the previous dataset untouched.

The build is deterministic: the same source data gives a byte-identical output folder on any
machine, whatever the row order of the source files or PYTHONHASHSEED (every reader of
:mod:`lib.assemble.sources` returns its rows in a canonical order, every sort has a total tie-break).
Nothing machine- or run-dependent (durations, dates, paths) is written into the output:
durations go to the progress output and to the build log, :data:`BUILD_LOG` beside the output
folder (``.cache/`` is not committed).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from lib.assemble import attributes, changes, reconcile, sources
from lib.assemble import crosswalk as cw
from lib.assemble.census import match_census, read_census_2009
from lib.assemble.oldcommunes import points_from_table
from lib.assemble.oldlayers import build_old_layers
from lib.data import contract, geodata
from lib.data.asof import AMENDMENTS, CHANGES
from lib.data.geometry import COORDINATE_GRID_DEG, DISPLAY_TOLERANCE_DEG, area_km2, remove_overlaps, to_multipolygons
from lib.data.names import name_key, split_unit_type

# Known label errors of the gis.chinhphu.vn district layer: polygon code → true code.
# Two pairs of neighbouring districts carry each other's codes (none of their own
# geocoded commune points fall inside them; sources README).
DISTRICT_CODE_REPAIRS = {"108": "109", "109": "108", "723": "726", "726": "723"}

Progress = Callable[[str], None]
# Per new province: official population against the communes' sum (lib.assemble.attributes.province_report).
POPULATION_CHECK = "population_check_provinces.csv"
# The build log (progress lines with durations), relative to the output folder's parent.
BUILD_LOG = Path(".cache") / "build-geodata.log"


def build_geodata(
    sources_dir: Path, out_dir: Path, *, progress: Progress = print, amendments: Path | None = None
) -> dict:
    """Build every layer and table from ``sources_dir`` into ``out_dir``; return the manifest.

    ``amendments``: a user amendments file applied after the catalogue (default: the
    ``amendments.csv`` already in ``out_dir``, so that a rebuild keeps them).
    """
    sources_dir, out_dir = Path(sources_dir), Path(out_dir)
    if amendments is None:
        amendments = out_dir / AMENDMENTS
    started = time.monotonic()
    progress = _logged(progress, out_dir.parent / BUILD_LOG, sources_dir, out_dir)
    steps = [
        "new communes",
        "new provinces",
        "old lists",
        "old district outlines",
        "crosswalk",
        "old communes (reconstructed), old districts, old provinces",
        "provenance",
    ]

    def step(i: int) -> None:
        progress(f"[{i}/{len(steps)}] {steps[i - 1]} … ({time.monotonic() - started:.0f} s)")

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".geodata-build-", dir=out_dir.parent))
    try:
        step(1)
        new_provinces = sources.read_new_provinces(sources_dir)
        communes, stats = _new_communes(sources_dir, new_provinces)
        province_check = stats.pop("province_population_check")
        communes, change_log, change_report = _catalogue_names_types(sources_dir, communes, amendments)
        step(2)
        provinces = _new_provinces(communes, new_provinces, sources_dir)
        step(3)
        old_communes = sources.read_old_communes(sources_dir)
        old_districts = sources.read_old_districts(sources_dir)
        step(4)
        outlines, district_notes = district_outlines(sources_dir, old_districts)
        step(5)
        crosswalk, rejected = cw.build_crosswalk(
            sources.read_vau_pairs(sources_dir),
            sources.read_dvhcvn_pairs(sources_dir),
            old_communes,
            old_districts,
            communes,
            new_provinces,
        )
        crosswalk, rejected = _reconcile(sources_dir, crosswalk, rejected, communes, old_communes, stats)
        province_crosswalk = cw.build_province_crosswalk(crosswalk)
        step(6)
        old = build_old_layers(
            sources_dir,
            crosswalk=crosswalk,
            new_display=communes,
            district_outlines=outlines,
            old_communes=old_communes,
            old_districts=old_districts,
            progress=progress,
        )
        crosswalk, districts, old_provinces = old.crosswalk, old.districts, old.provinces
        stats.update(old.stats)
        step(7)
        _write_layer(communes, work / geodata.LAYERS["new_communes"].path)
        _write_layer(provinces, work / geodata.LAYERS["new_provinces"].path)
        _write_layer(old_provinces, work / geodata.LAYERS["old_provinces"].path)
        _write_layer(districts, work / geodata.LAYERS["old_districts"].path)
        _write_layer(old.communes, work / geodata.LAYERS["old_communes"].path)
        _write_csv(old.district_iou, work / geodata.OLD_DISTRICT_IOU)
        _write_csv(old.points_outside, work / geodata.OLD_POINTS_OUTSIDE)
        _write_csv(old.holdout, work / geodata.OLD_HOLDOUT)
        _write_csv(old.exclaves, work / geodata.OLD_EXCLAVES)
        (work / geodata.OLD_QUALITY).write_text(old.figures.render() + "\n", encoding="utf-8")
        _write_csv(old_communes, work / geodata.OLD_COMMUNE_LIST)
        _write_csv(old_districts, work / geodata.OLD_DISTRICT_LIST)
        _write_csv(crosswalk, work / geodata.CROSSWALK)
        _write_csv(province_crosswalk, work / geodata.CROSSWALK_PROVINCES)
        _write_csv(rejected, work / geodata.CROSSWALK_REJECTED)
        _write_csv(change_log, work / CHANGES)
        changes.write_amendments(amendments, work / AMENDMENTS)
        _write_csv(province_check, work / POPULATION_CHECK)
        manifest = _manifest(
            work,
            sources_dir,
            {
                "new_provinces": len(provinces),
                "new_communes": len(communes),
                "old_provinces": len(old_provinces),
                "old_districts": len(districts),
                "old_communes": len(old.communes),
                "old_districts_gso": len(old_districts),
                "old_communes_gso": len(old_communes),
                **{f"crosswalk_{k}": v for k, v in contract.summarise(crosswalk).items()},
                "crosswalk_rejected_pairs": len(rejected),
                **change_report.counts(change_log),
            },
            stats,
        )
        from lib.assemble.provenance import changes_section, write_sources_md  # the long text lives in its own module

        write_sources_md(
            work / "SOURCES.md",
            manifest,
            district_notes,
            old_quality=old.figures.render(),
            changes=changes_section(manifest["counts"], change_report, change_log),
        )
        _replace_dir(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    progress(f"done in {time.monotonic() - started:.0f} s: {out_dir} (version {manifest['version']})")
    return manifest


def _new_communes(sources_dir: Path, new_provinces: pd.DataFrame) -> tuple[gpd.GeoDataFrame, dict]:
    raw = sources.read_new_communes(sources_dir)
    types_names = raw["fullName"].map(split_unit_type)
    province_names = new_provinces.set_index("code")
    gdf = gpd.GeoDataFrame(
        {
            "code": raw["code"],
            "name": raw["name"],
            "full_name": raw["fullName"],
            "name_en": raw["nameEn"],
            "type": types_names.map(lambda t: t[0]),
            "province_code": raw["province_code"],
            "province_name": raw["province_code"].map(province_names["full_name"]),
        },
        geometry=raw.geometry.values,
        crs="EPSG:4326",
    )
    sapnhap = sources.read_sapnhap_communes(sources_dir)
    gdf["province_key"] = raw["province_code"].map(province_names["name"]).map(name_key)
    gdf["name_key"] = gdf["name"].map(name_key)
    gdf = gdf.merge(sapnhap.drop_duplicates(["province_key", "name_key"]), on=["province_key", "name_key"], how="left")
    gdf["predecessors_text"] = gdf["code"].map(sources.read_predecessor_texts(sources_dir)).fillna("")

    vertices_before = int(shapely.get_num_coordinates(gdf.geometry.values).sum())
    area_before = area_km2(gdf).sum()
    gdf = gdf.sort_values("code", kind="mergesort", ignore_index=True)
    simplified = shapely.coverage_simplify(gdf.geometry.values, DISPLAY_TOLERANCE_DEG)
    snapped = shapely.set_precision(simplified, COORDINATE_GRID_DEG, mode="valid_output")
    cleaned, overlaps = remove_overlaps(snapped, grid_size=COORDINATE_GRID_DEG)
    gdf.geometry = to_multipolygons(cleaned)
    stats = {
        "new_communes_overlapping_pairs_resolved": overlaps,
        "new_communes_overlap_km2_removed": round(
            float(area_km2(gpd.GeoDataFrame(geometry=simplified, crs="EPSG:4326")).sum() - area_km2(gdf).sum()), 3
        ),
        "new_communes_vertices_source": vertices_before,
        "new_communes_vertices": int(shapely.get_num_coordinates(gdf.geometry.values).sum()),
        "new_communes_area_change_pct": round(100 * (area_km2(gdf).sum() / area_before - 1), 5),
        "new_communes_with_population": int(gdf["population"].notna().sum()),
    }
    gdf, province_check = _checked_attributes(gdf, sources_dir, new_provinces, stats)
    stats["province_population_check"] = province_check  # a table: popped and written by build_geodata
    columns = [
        "code",
        "name",
        "full_name",
        "name_en",
        "type",
        "province_code",
        "province_name",
        "area_km2",
        "area_official_km2",
        "area_quality",
        "population",
        "population_quality",
        "admin_centre",
        "admin_centre_quality",
        "centre_lon",
        "centre_lat",
        "predecessors_text",
        "geometry",
    ]
    return gdf[columns].sort_values("code", kind="mergesort", ignore_index=True), stats


def _catalogue_names_types(
    sources_dir: Path, communes: gpd.GeoDataFrame, amendments: Path | None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, changes.ChangeReport]:
    """Names and types from the statistics office's catalogue (then the amendments), the change log."""
    catalogue = sources.read_nso_communes(sources_dir)
    return changes.apply_catalogue(communes, catalogue, amendments=amendments)


def _checked_attributes(
    gdf: gpd.GeoDataFrame, sources_dir: Path, new_provinces: pd.DataFrame, stats: dict
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Polygon and official area side by side; population and admin centre checked (:mod:`lib.assemble.attributes`)."""
    gdf = gdf.merge(attributes.read_official_areas(sources_dir), on=["province_key", "name_key"], how="left")
    gdf["area_km2"] = area_km2(gdf).round(2)
    gdf["area_official_km2"] = gdf["area_official_km2"].round(2)
    gdf["area_quality"] = attributes.check_area(gdf)
    by_key = sources.read_sapnhap_provinces(sources_dir).set_index("province_key")["population"]
    official = pd.Series(new_provinces["name"].map(name_key).map(by_key).to_numpy(), index=new_provinces["code"])
    gdf, report = attributes.check_population(gdf, official)
    gdf["admin_centre"], gdf["admin_centre_quality"] = attributes.check_admin_centre(gdf["admin_centre"])
    stats["new_communes_with_population_shown"] = int(gdf["population"].notna().sum())
    for column in ("population_quality", "admin_centre_quality", "area_quality"):
        reasons = gdf.loc[gdf[column].ne(""), column].str.replace(
            r":.*| by [+-]?\d+ %| \(source figure \d+\)", "", regex=True
        )
        stats[f"new_communes_{column}"] = {k: int(v) for k, v in sorted(reasons.value_counts().items())}
    return gdf, report


def _reconcile(
    sources_dir: Path,
    crosswalk: pd.DataFrame,
    rejected: pd.DataFrame,
    communes: gpd.GeoDataFrame,
    old_communes: pd.DataFrame,
    stats: dict,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check every pair against the official notes and the geography (:mod:`lib.assemble.reconcile`)."""
    census = read_census_2009(sources_dir)
    matches = match_census(old_communes, census)
    shapes = dict(zip(matches["old_code"], census.geometry.loc[matches["census_index"]].to_numpy(), strict=True))
    checked, removed = reconcile.reconcile(
        crosswalk,
        notes=reconcile.read_catalogue_notes(sources_dir),
        new_communes=communes,
        new_geoms=dict(zip(communes["code"], communes.geometry.to_numpy(), strict=True)),
        census_shapes=shapes,
        points=points_from_table(sources.read_commune_points(sources_dir)),
    )
    stats["crosswalk_pairs_rejected_by_reconcile"] = len(removed)
    stats["crosswalk_pairs_under_review"] = int(checked["review"].ne("").sum())
    columns = ["old_code", "new_code", "old_name", "new_name", "sources", "note_check", "evidence_km", "reason"]
    removed = removed[columns]
    both = pd.concat([rejected, removed.assign(old_level="commune")], ignore_index=True)
    return checked[contract.COLUMNS], both.sort_values(["old_code", "new_code"], kind="mergesort", ignore_index=True)


def _new_provinces(communes: gpd.GeoDataFrame, new_provinces: pd.DataFrame, sources_dir: Path) -> gpd.GeoDataFrame:
    # Dissolving the already simplified communes makes the two levels nest exactly. ("unary",
    # not "coverage": the source has a few overlaps that coverage union rejects.)
    dissolved = communes[["province_code", "geometry"]].dissolve(
        by="province_code", method="unary", grid_size=COORDINATE_GRID_DEG
    )
    counts = communes.groupby("province_code").size().rename("communes")
    gdf = new_provinces.merge(dissolved, left_on="code", right_index=True).merge(
        counts, left_on="code", right_index=True
    )
    gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs="EPSG:4326")
    gdf["type"] = gdf["full_name"].map(lambda n: split_unit_type(n)[0])
    extra = sources.read_sapnhap_provinces(sources_dir).drop_duplicates("province_key")
    gdf["province_key"] = gdf["name"].map(name_key)
    gdf = gdf.merge(extra, on="province_key", how="left")
    gdf["area_km2"] = area_km2(gdf).round(2)
    gdf["population"] = gdf["population"].astype("Int64")
    gdf.geometry = to_multipolygons(gdf.geometry.values)
    columns = [
        "code",
        "name",
        "full_name",
        "name_en",
        "type",
        "communes",
        "area_km2",
        "population",
        "admin_centre",
        "geometry",
    ]
    return gdf[columns].sort_values("code", kind="mergesort", ignore_index=True)


def district_outlines(sources_dir: Path, gso_districts: pd.DataFrame) -> tuple[gpd.GeoDataFrame, dict]:
    """gis.chinhphu.vn district outlines at full resolution, labels repaired, GSO 2025 codes only."""
    gis = sources.read_gis_districts(sources_dir)
    gis["code"] = gis["district_code"].map(lambda c: DISTRICT_CODE_REPAIRS.get(c, c))
    known = gis["code"].isin(gso_districts["code"])
    notes = {
        "repaired": DISTRICT_CODE_REPAIRS,
        "dropped_not_in_gso_2025": sorted(gis.loc[~known, "district_code"]),
        "without_polygon": sorted(set(gso_districts["code"]) - set(gis["code"])),
    }
    gis = gis[known].copy()
    gis["geometry"] = gis.geometry.make_valid()
    return gis[["code", "geometry"]].reset_index(drop=True), notes


def _logged(progress: Progress, log_path: Path, sources_dir: Path, out_dir: Path) -> Progress:
    """``progress`` that also appends each message to the build log (which may hold times and paths)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        log.write(
            f"build-geodata {datetime.now(UTC).isoformat(timespec='seconds')} "
            f"sources={sources_dir.resolve()} out={out_dir.resolve()}\n"
        )

    def both(message: str) -> None:
        progress(message)
        with log_path.open("a", encoding="utf-8") as log:
            log.write(message + "\n")

    return both


def _write_layer(gdf: gpd.GeoDataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(gdf, path, driver="GeoJSON", layer_options={"COORDINATE_PRECISION": 5})


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(work: Path, sources_dir: Path, counts: dict, stats: dict) -> dict:
    data_files = sorted(p for p in work.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in data_files:
        digest.update(path.relative_to(work).as_posix().encode() + _sha256(path).encode())
    manifest = {
        "version": f"vn2025-{digest.hexdigest()[:10]}",
        "counts": counts,
        "geometry": stats,
        "files": {p.relative_to(work).as_posix(): p.stat().st_size for p in data_files},
        "sources": {rel: _sha256(sources_dir / rel)[:16] for rel in sources.source_file_list(sources_dir)},
    }
    (work / geodata.MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


def _replace_dir(new: Path, target: Path) -> None:
    """Swap ``new`` into place of ``target``, keeping files of ``target`` the build does not own."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in new.rglob("*") if p.is_file()):
        destination = target / path.relative_to(new)
        destination.parent.mkdir(parents=True, exist_ok=True)
        path.replace(destination)
    shutil.rmtree(new, ignore_errors=True)
