"""Build step for the reconstructed old layers: communes, districts and provinces that nest exactly.

Called by :func:`lib.assemble.dataset.build_geodata` after the crosswalk: partitions the full-resolution
new communes (:mod:`lib.assemble.oldcommunes`), fills the crosswalk's area columns, scores the result
(:mod:`lib.assemble.quality`, including a hold-out rebuild), and derives the display layers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from lib.assemble import confidence as conf
from lib.assemble import quality, sources
from lib.assemble.census import census_areas, locate_unmatched, match_census, read_census_2009
from lib.assemble.oldcommunes import (
    Inputs,
    fill_crosswalk_areas,
    piece_areas,
    points_from_table,
    rebuild_pieces,
    summarise_units,
)
from lib.assemble.olddisplay import display_pieces, display_units
from lib.data.geometry import COORDINATE_GRID_DEG, EQUAL_AREA_CRS, simplify_coverage, to_multipolygons

HOLDOUT_SHARE = 0.2
HOLDOUT_SEED = 2025
Progress = Callable[[str], None]


@dataclass
class OldLayers:
    """Everything the build writes for the old units."""

    communes: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame
    crosswalk: pd.DataFrame
    district_iou: pd.DataFrame
    points_outside: pd.DataFrame
    holdout: pd.DataFrame
    exclaves: pd.DataFrame
    figures: quality.Figures
    stats: dict


def holdout_codes(census_codes: list[str], *, share: float = HOLDOUT_SHARE, seed: int = HOLDOUT_SEED) -> frozenset[str]:
    """A reproducible random ``share`` of the 2009-matched communes."""
    codes = sorted(census_codes)
    rng = np.random.default_rng(seed)
    return frozenset(rng.choice(codes, size=round(share * len(codes)), replace=False).tolist())


def build_old_layers(
    sources_dir: Path,
    *,
    crosswalk: pd.DataFrame,
    new_display: gpd.GeoDataFrame,
    district_outlines: gpd.GeoDataFrame,
    old_communes: pd.DataFrame,
    old_districts: pd.DataFrame,
    progress: Progress = print,
) -> OldLayers:
    """Rebuild the old communes and derive everything that depends on them.

    Parameters
    ----------
    crosswalk
        The crosswalk (``lib.data.contract.COLUMNS``), area columns empty.
    new_display
        The new communes at display resolution (``code``, ``geometry``), as written.
    district_outlines
        gis.chinhphu.vn district outlines at full resolution with ``code`` already repaired
        (``lib.assemble.dataset.DISTRICT_CODE_REPAIRS``) and restricted to codes of the GSO list.
    old_communes, old_districts
        The GSO lists of 30/06/2025.
    """
    started = time.monotonic()

    def say(text: str) -> None:
        progress(f"  old communes: {text} ({time.monotonic() - started:.0f} s)")

    new_full = sources.read_new_communes(sources_dir)[["code", "geometry"]]
    census = read_census_2009(sources_dir)
    matches = match_census(old_communes, census)
    census_shapes = dict(zip(matches["old_code"], census.geometry.loc[matches["census_index"]].to_numpy(), strict=True))
    points = points_from_table(sources.read_commune_points(sources_dir))
    located = locate_unmatched(census, matches, list(old_communes["code"]), points)
    targets = {**census_areas(census_shapes), **census_areas(located)}
    inputs = Inputs(
        new_full,
        crosswalk,
        points,
        dict(zip(district_outlines["code"], district_outlines.geometry.to_numpy(), strict=True)),
        census_shapes,
        targets,
        located,
    )
    say(
        f"{len(census_shapes):,} of {len(old_communes):,} matched to a 2009 shape by name, {len(located):,} more "
        "at their point; partitioning"
    )
    cache: dict = {}
    pieces = rebuild_pieces(inputs, progress=progress, district_cache=cache)
    pieces["area_km2"] = piece_areas(pieces)
    units = summarise_units(pieces)

    held = holdout_codes(list(census_shapes))
    touched = set(pieces.loc[pieces["old_code"].isin(held), "new_code"])
    say(f"hold-out rebuild: {len(held):,} 2009 shapes hidden, {len(touched):,} new communes")
    held_pieces = rebuild_pieces(inputs, holdout=held, only_new=touched, district_cache=cache, previous=pieces)
    held_pieces["area_km2"] = piece_areas(held_pieces)
    held_units = summarise_units(held_pieces)
    # An old commune cut between several new communes is scored on all of its pieces.
    held_units = held_units[held_units["old_code"].isin(held)]
    # The same with the census areas hidden too: how communes without any 2009 match fare,
    # and the training set of the confidence model for them.
    say("hold-out rebuild without the census areas")
    targets_blind = {k: v for k, v in targets.items() if k not in held}
    blind_pieces = rebuild_pieces(
        replace(inputs, targets=targets_blind), holdout=held, only_new=touched, district_cache=cache, previous=pieces
    )
    blind_pieces["area_km2"] = piece_areas(blind_pieces)
    blind_units = summarise_units(blind_pieces)
    blind_units = blind_units[blind_units["old_code"].isin(held)]

    say("quality figures")
    new_geoms = dict(zip(new_full["code"], new_full.geometry.to_numpy(), strict=True))
    tiles = quality.tiling(pieces, new_geoms)
    scores = quality.holdout_scores(held_units, census_shapes, set(held))
    blind_scores = quality.holdout_scores(blind_units, census_shapes, set(held))
    units, calibration = _confidence(
        units, (held_units, scores, targets), (blind_units, blind_scores, targets_blind), census_shapes, located, points
    )
    evidence = {**census_shapes, **located}
    # Pairs whose own evidence lies over 2 km from their new commune (lib.assemble.reconcile): in doubt.
    evidence_km = crosswalk["evidence_km"] if "evidence_km" in crosswalk else pd.Series(np.nan, index=crosswalk.index)
    far_pairs = crosswalk[evidence_km.gt(quality.FAR_PART_M / 1000)]
    doubtful = set(zip(far_pairs["old_code"], far_pairs["new_code"], strict=True))
    parts = quality.part_checks(units, pieces, evidence, doubtful)
    census_km2 = dict(zip(units["old_code"], units["old_code"].map(_km2_of(census_shapes, located)), strict=True))
    split = _split_since(census_shapes, points)
    small = quality.below_census(units, census_km2, split)
    small["inside_share"] = _inside_share(small["old_code"], {**census_shapes, **located}, crosswalk, new_geoms)
    inside = quality.points_inside(units[units["old_code"].isin(old_communes["code"])], points)

    say("display geometry")
    display_new = dict(zip(new_display["code"], new_display.geometry.to_numpy(), strict=True))
    shown_pieces = display_pieces(pieces, display_new)
    say("display geometry: pieces done")
    shown = display_units(pieces, shown_pieces)
    say("display geometry: communes done")
    equal = quality.one_to_one_equal(crosswalk, shown.to_dict(), display_new)
    communes = _communes_layer(units, shown, old_communes, pieces)
    invalid = int(
        (~shapely.is_valid(communes.geometry.to_numpy()) | shapely.is_empty(communes.geometry.to_numpy())).sum()
    )
    districts = _districts_layer(units, shown, old_communes, old_districts)
    say("display geometry: districts done; district IoU")
    # Both sides at display resolution: the rebuilt districts are unions of display communes,
    # the outlines are simplified the same way (a full-resolution union costs minutes).
    outlines = simplify_coverage(district_outlines.geometry.to_numpy())
    iou = quality.district_iou(
        districts.rename(columns={"code": "old_code"}),
        {c: c for c in districts["code"]},
        dict(zip(district_outlines["code"], outlines, strict=True)),
    )
    iou = _explain_districts(iou, old_districts)
    districts["iou_gis"] = districts["code"].map(iou.set_index("district_code")["iou"].round(4))
    figures = quality.summarise(
        units_count=len(communes),
        invalid=invalid,
        tiles=tiles,
        districts=iou,
        holdout=scores,
        inside=inside,
        equal=equal,
        expected_units=len(old_communes),
    )
    exclaves = _exclaves(parts, old_communes, old_districts)
    quality.summarise_issue14(
        figures,
        methods=communes["method"],
        estimated=_estimated(communes, points, pieces, new_geoms),
        parts=parts,
        small=small,
        holdout=scores,
        blind_holdout=blind_scores,
        calibration=calibration,
        display_parts=quality.part_checks(
            communes[["code", "geometry"]].rename(columns={"code": "old_code"}),
            pieces[["old_code", "new_code"]].assign(geometry=shown_pieces),
            evidence,
            doubtful,
        ),
    )
    provinces = _provinces_layer(districts, old_communes)
    outside = (
        inside[~inside["inside"]]
        .merge(old_communes[["code", "name", "district_name", "province_name"]], left_on="old_code", right_on="code")
        .drop(columns=["code", "inside"])
    )
    # Farthest first; equal distances (rounded to metres) by code, so the order is total.
    outside = outside.sort_values(
        ["distance_m", "old_code"], ascending=[False, True], kind="mergesort", ignore_index=True
    )
    stats = {
        "old_communes_census_matched": len(census_shapes),
        "old_communes_methods": dict(sorted(communes["method"].value_counts().to_dict().items())),
        "old_communes_confidence_median": float(communes["confidence"].median()),
        "old_communes_regridded_overlays": int(pieces["regridded"].gt(0).sum()),
        "old_communes_vertices": int(shapely.get_num_coordinates(communes.geometry.to_numpy()).sum()),
        "holdout_communes": len(scores),
        "holdout_seed": HOLDOUT_SEED,
    }
    # The duration goes to the progress output (and the build log) only, never into the dataset.
    say("done")
    return OldLayers(
        communes,
        districts,
        provinces,
        fill_crosswalk_areas(crosswalk, pieces),
        iou,
        outside,
        scores,
        exclaves,
        figures,
        stats,
    )


def _km2_of(*shapes: dict[str, BaseGeometry]) -> dict[str, float]:
    merged = {k: v for d in shapes for k, v in d.items()}
    codes = sorted(merged)
    areas = gpd.GeoSeries([merged[c] for c in codes], crs="EPSG:4326").to_crs(EQUAL_AREA_CRS).area / 1e6
    return dict(zip(codes, areas.to_numpy(), strict=True))


def _split_since(census_shapes: dict[str, BaseGeometry], points: dict[str, BaseGeometry]) -> set[str]:
    """Old communes whose 2009 shape holds another old commune's point: split (or merged) since 2009."""
    codes = sorted(c for c in census_shapes)
    pcodes = sorted(points)
    tree = shapely.STRtree(np.array([census_shapes[c] for c in codes], dtype=object))
    hit_pt, hit_shape = tree.query(np.array([points[c] for c in pcodes], dtype=object), predicate="within")
    owner = np.array(codes)[hit_shape]
    other = np.array(pcodes)[hit_pt] != owner
    return set(owner[other].tolist())


def _inside_share(
    codes: pd.Series, shapes: dict[str, BaseGeometry], crosswalk: pd.DataFrame, new_geoms: dict[str, BaseGeometry]
) -> np.ndarray:
    """Share of each commune's 2009 shape inside the new communes it is paired with."""
    pairs = crosswalk.groupby("old_code")["new_code"].agg(sorted)
    out = []
    for code in codes:
        shape = shapes[code]
        paired = shapely.union_all([new_geoms[n] for n in pairs[code]])
        out.append(float(shapely.area(shapely.intersection(shape, paired)) / shapely.area(shape)))
    return np.array(out, dtype=float)


def _confidence(
    units: pd.DataFrame,
    held: tuple[pd.DataFrame, pd.DataFrame, dict[str, float]],
    blind: tuple[pd.DataFrame, pd.DataFrame, dict[str, float]],
    census_shapes: dict[str, BaseGeometry],
    located: dict[str, BaseGeometry],
    points: dict[str, BaseGeometry],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace ``confidence`` by the IoU against the 2009 shape: measured, or predicted (see lib.assemble.confidence).

    ``held``: the hold-out rebuilt with the census areas known (units, scores, targets): trains
    the model of communes with a census area. ``blind``: the same with the census areas hidden:
    trains the model of communes without one.
    """
    targets = held[2]
    tables, models = [], []
    for (frame, scores, known), with_target, label in ((held, True, "census area known"), (blind, False, "blind")):
        train = frame.set_index("old_code").loc[scores["old_code"]].reset_index()
        y = scores["iou"].to_numpy(float)
        x_train = conf.features(train, known, points)
        columns = conf.columns_for(x_train, with_target)
        oof = conf.cross_validate(x_train, y, columns)
        is_points = scores["method"].eq("points").to_numpy()
        tables.append(conf.calibration(oof, y).assign(group=f"all, {label}"))
        tables.append(conf.calibration(oof[is_points], y[is_points]).assign(group=f"points, {label}"))
        models.append(conf.fit(x_train, y, columns))
    x = conf.features(units, targets, points)
    predicted = np.where(x["has_target"].gt(0), models[0].predict(x), models[1].predict(x))
    shapes = {**census_shapes, **located}
    measured_rows = units["method"].isin(["census2009", "located2009"]) | (
        units["method"].eq("exact") & units["old_code"].isin(shapes)
    )
    measured = np.full(len(units), np.nan)
    rows = np.flatnonzero(measured_rows.to_numpy())
    if len(rows):
        ref = np.array([shapes[c] for c in units["old_code"].to_numpy()[rows]], dtype=object)
        measured[rows] = quality.iou(units["geometry"].to_numpy()[rows], ref)
    value = np.where(np.isnan(measured), predicted, measured)
    units = units.assign(confidence=np.round(np.clip(value, 0, 1), 3))
    return units, pd.concat(tables, ignore_index=True)


def _exclaves(parts: pd.DataFrame, old_communes: pd.DataFrame, old_districts: pd.DataFrame) -> pd.DataFrame:
    """Far parts kept, of old communes and of district-level units (island districts), each with why.

    ``reason``: a key of :data:`lib.assemble.quality.FAR_REASONS`.
    """
    far = parts[parts["distance_m"] > quality.FAR_PART_M].copy()
    far["reason"] = quality.far_reason(far)
    far = far[far["reason"].ne("")]
    columns = ["code", "name", "district_name", "province_name"]
    districts = old_districts.assign(district_name=old_districts["name"])[columns]
    info = pd.concat([old_communes[columns], districts], ignore_index=True).drop_duplicates("code")
    far = far.merge(info, left_on="old_code", right_on="code", how="left")
    far["area_km2"] = far["area_km2"].round(4)
    far["distance_m"] = far["distance_m"].round(0)
    cols = ["old_code", "name", "district_name", "province_name", "part", "area_km2", "distance_m", "reason"]
    return far.sort_values(["old_code", "part"], kind="mergesort", ignore_index=True)[cols]


def _estimated(
    communes: gpd.GeoDataFrame,
    points: dict[str, BaseGeometry],
    pieces: pd.DataFrame,
    new_geoms: dict[str, BaseGeometry],
) -> pd.DataFrame:
    """The communes placed without a seed of their own, each with why."""
    frame = communes.loc[communes["method"].isin(["estimated", "fallback"]), ["code", "name", "province_name"]].copy()
    largest = pieces.loc[pieces.groupby("old_code")["area_km2"].idxmax()].set_index("old_code")
    why = []
    for code in frame["code"]:
        point = points.get(code)
        new_code = largest.loc[code, "new_code"]
        if point is None:
            why.append("no geocoded point and no 2009 shape")
        elif not shapely.covers(new_geoms[new_code], point):
            why.append(f"no 2009 shape; geocode outside its new commune {new_code}; no free gap there")
        else:
            why.append(f"no 2009 shape; point inside {new_code} but within another commune's 2009 shape")
    return frame.assign(why=why).reset_index(drop=True)


def _explain_districts(iou: pd.DataFrame, old_districts: pd.DataFrame) -> pd.DataFrame:
    info = old_districts.set_index("code")
    iou = iou.copy()
    iou["name"] = iou["district_code"].map(info["name"])
    iou["province_name"] = iou["district_code"].map(info["province_name"])
    ratio = iou["rebuilt_km2"] / iou["outline_km2"]
    note = np.select(
        [iou["iou"] >= 0.9, ratio > 1.5, ratio < 1 / 1.5],
        [
            "",
            "outline smaller than the district of 2025: it predates a merger or boundary change",
            "outline larger than the district of 2025: it predates a split or transfer",
        ],
        default="outline and 2025 commune lines disagree (different vintage or survey); check the neighbours",
    )
    iou["note"] = note
    return iou[["district_code", "name", "province_name", "iou", "rebuilt_km2", "outline_km2", "note"]]


def _communes_layer(
    units: pd.DataFrame, shown: pd.Series, old_communes: pd.DataFrame, pieces: pd.DataFrame
) -> gpd.GeoDataFrame:
    targets = pieces.groupby("old_code")["new_code"].agg(lambda s: ",".join(sorted(s)))
    frame = old_communes.merge(
        units[["old_code", "method", "confidence", "area_km2"]],
        left_on="code",
        right_on="old_code",
        how="left",
        validate="one_to_one",
    )
    if frame["method"].isna().any():
        missing = frame.loc[frame["method"].isna(), "code"].head(10).tolist()
        raise ValueError(f"old communes without a rebuilt polygon (not in the crosswalk?): {missing}")
    gdf = gpd.GeoDataFrame(
        {
            "code": frame["code"],
            "name": frame["name"],
            "type": frame["type"],
            "district_code": frame["district_code"],
            "district_name": frame["district_name"],
            "province_code": frame["province_code"],
            "province_name": frame["province_name"],
            "new_codes": frame["code"].map(targets),
            "area_km2": frame["area_km2"].round(3),
            "method": frame["method"],
            "confidence": frame["confidence"],
            "reconstructed": True,
        },
        geometry=shown.reindex(frame["code"]).to_numpy(),
        crs="EPSG:4326",
    )
    return gdf.sort_values("code", kind="mergesort", ignore_index=True)


def _districts_layer(
    units: pd.DataFrame, shown: pd.Series, old_communes: pd.DataFrame, old_districts: pd.DataFrame
) -> gpd.GeoDataFrame:
    district_of = {
        **dict(zip(old_communes["code"], old_communes["district_code"], strict=True)),
        **{c: c for c in old_districts["code"]},
    }
    frame = pd.DataFrame({"district": shown.index.map(district_of), "geometry": shown.to_numpy()})
    geoms = frame.groupby("district")["geometry"].agg(
        lambda g: shapely.union_all(g.to_numpy(), grid_size=COORDINATE_GRID_DEG)
    )
    areas = units.assign(district=units["old_code"].map(district_of)).groupby("district")["area_km2"].sum()
    counts = old_communes.groupby("district_code").size()
    info = old_districts.set_index("code")
    codes = sorted(geoms.index)
    gdf = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": info["name"].reindex(codes).to_numpy(),
            "type": info["type"].reindex(codes).to_numpy(),
            "province_code": info["province_code"].reindex(codes).to_numpy(),
            "province_name": info["province_name"].reindex(codes).to_numpy(),
            "communes": counts.reindex(codes).fillna(0).astype("Int64").to_numpy(),
            "area_km2": areas.reindex(codes).round(2).to_numpy(),
            "iou_gis": np.nan,
            "outline_source": "union of the reconstructed old communes",
            "reconstructed": True,
        },
        geometry=to_multipolygons(geoms.reindex(codes).to_numpy()),
        crs="EPSG:4326",
    )
    return gdf


def _provinces_layer(districts: gpd.GeoDataFrame, old_communes: pd.DataFrame) -> gpd.GeoDataFrame:
    geoms = districts.groupby("province_code")["geometry"].agg(
        lambda g: shapely.union_all(g.to_numpy(), grid_size=COORDINATE_GRID_DEG)
    )
    codes = sorted(geoms.index)
    names = old_communes.drop_duplicates("province_code").set_index("province_code")["province_name"]
    gdf = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": names.reindex(codes).to_numpy(),
            "districts": districts.groupby("province_code").size().reindex(codes).astype("Int64").to_numpy(),
            "communes": old_communes.groupby("province_code").size().reindex(codes).astype("Int64").to_numpy(),
            "area_km2": districts.groupby("province_code")["area_km2"].sum().reindex(codes).round(2).to_numpy(),
            "outline_source": "union of the reconstructed old communes",
            "reconstructed": True,
        },
        geometry=to_multipolygons(geoms.reindex(codes).to_numpy()),
        crs="EPSG:4326",
    )
    return gdf
