"""Rebuild the 10,035 pre-reform communes by partitioning each new commune among its predecessors.

Inside each new commune (exact 2025 outline) the area is split in two levels: first among
the old districts of its predecessors (seeded by the gis.chinhphu.vn district outlines,
corrected by the communes' 2009 shapes, and the predecessors' geocoded points), then inside
each district piece among the old communes (seeded by their 2009 census shapes where matched,
and their geocoded points). See
:func:`lib.assemble.partition.partition_region` for one level and ``METHODS`` for the labels.
The pieces' display geometry is made in :mod:`lib.assemble.olddisplay`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from lib.assemble.partition import (
    EMPTY,
    FAR_PART_DEG,
    MIN_PART_DEG2,
    Seed,
    clean_parts,
    longest_shared_line,
    merge_part,
    partition_region,
    polygonal,
)
from lib.assemble.quality import FAR_PART_M, covered_by_2009_shape, metres_apart
from lib.data.geometry import EQUAL_AREA_CRS, to_multipolygons

METHODS = {
    "exact": "the old unit alone forms its new commune(s): the outline is the new commune's, exact",
    "census2009": "cut from its new commune(s) along old district lines and its 2009 census shape (matched by "
    "name); gaps between the known shapes filled by the nearest shape or point",
    "located2009": "as census2009, with the 2009 census shape that no name matched but that holds its geocoded "
    "point (and no other commune's): mostly communes renamed since 2009",
    "points": "no 2009 shape: the gap left between its neighbours' 2009 shapes (and district lines) around its "
    "geocoded point; a gap holding several points is cut in proportion to their 2009 census areas (power "
    "diagram), equal-distance only where no area is known; a gap over 1.3 times its census area is trimmed to "
    "that area around the point",
    "gap": "no 2009 shape and its geocode lies outside its new commune: the largest gap left between the known "
    "shapes of that new commune (most likely its unmatched 2009 shape)",
    "estimated": "no 2009 shape, no point and no free gap in its new commune: a cell cut from the piece "
    "nearest its geocode, sized to its 2009 census area (or an equal share); position approximate",
}
CONFIDENCE_DOC = (
    "IoU (0–1) of the polygon with the commune's 2009 census shape. Measured where that shape was used "
    "(census2009, located2009, and exact communes with a 2009 shape): agreement with the evidence, lowered by "
    "changes since 2009. Predicted elsewhere (points, gap, estimated, exact without a 2009 shape), by a model "
    "fitted on the hold-out (communes rebuilt with their 2009 shape hidden) from the method, the area against "
    "the 2009 census area, the share of the area fixed by the neighbours' shapes, and the point's position (for "
    "communes without a census area, another model fitted on the hold-out rebuilt with the census areas hidden "
    "too); 5-fold cross-validated, calibrated per decile (old/quality.txt)"
)

# A district with no outline and no point in a new commune gets a cell of this share of a fair
# share there (the area of the former placeholder discs): most such pairs are small transfers.
# Level 1 moves no slivers between districts (their lines follow the district outlines).
LEVEL1_UNSEEDED_SHARE = 1 / 16

Progress = Callable[[str], None]


@dataclass
class Inputs:
    """Everything the partition reads, keyed by GSO codes (strings)."""

    new_communes: gpd.GeoDataFrame  # code, geometry (full resolution, EPSG:4326)
    members: pd.DataFrame  # crosswalk rows: old_code, old_level, new_code, old_district_code
    points: dict[str, BaseGeometry]  # old code → geocoded point
    districts: dict[str, BaseGeometry]  # old district code → gis.chinhphu.vn outline (repaired)
    census: dict[str, BaseGeometry]  # old commune code → matched 2009 polygon
    targets: dict[str, float] = field(default_factory=dict)  # old code → 2009 census area (deg²)
    located: dict[str, BaseGeometry] = field(default_factory=dict)  # old code → 2009 polygon at its point


def points_from_table(points: pd.DataFrame) -> dict[str, BaseGeometry]:
    """``code``/``lon``/``lat`` rows (``lib.assemble.sources.read_commune_points``) as code → Point."""
    ok = points.dropna(subset=["lon", "lat"])
    return dict(zip(ok["code"], shapely.points(ok["lon"].to_numpy(), ok["lat"].to_numpy()), strict=True))


def rebuild_pieces(
    inputs: Inputs,
    *,
    holdout: frozenset[str] = frozenset(),
    progress: Progress | None = None,
    only_new: set[str] | None = None,
    district_cache: dict | None = None,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (old unit, new commune) piece at full resolution.

    Parameters
    ----------
    holdout
        Old commune codes whose 2009 shapes are *not* used (for the hold-out score).
    only_new
        Restrict to these new communes (hold-out reruns, experiments and tests).
    district_cache
        A dict filled with (and reused for) the first-level cut of each new commune among
        old districts, which does not depend on the 2009 shapes.
    previous
        Pieces of an earlier run with the same inputs: a district piece none of whose old
        communes is held out is copied from it instead of being cut again.

    Returns
    -------
    DataFrame
        ``old_code``, ``new_code``, ``geometry``, ``exact`` (the old unit alone forms the new
        commune), ``core_fraction`` (share of the piece inside the clipped 2009 shape),
        ``fallback`` (placed without a usable seed), ``district_level`` (the piece was cut
        among several districts first), ``regridded`` (overlays recomputed on a grid).
    """
    members = inputs.members
    if only_new is not None:
        members = members[members["new_code"].isin(only_new)]
    groups = members.groupby("new_code", sort=True)
    geoms = dict(zip(inputs.new_communes["code"], inputs.new_communes.geometry.values, strict=True))
    missing = sorted(set(members["new_code"]) - set(geoms))
    if missing:
        raise ValueError(f"new commune(s) in the crosswalk without a polygon: {', '.join(missing[:10])}")
    rows: list[dict] = []
    reuse = None
    if previous is not None:
        reuse = {key: frame.to_dict("records") for key, frame in previous.groupby("new_code")}
    started, total = time.monotonic(), groups.ngroups
    for n, (new_code, group) in enumerate(groups, start=1):
        earlier = reuse.get(new_code) if reuse is not None else None
        rows.extend(_partition_new_commune(new_code, geoms[new_code], group, inputs, holdout, district_cache, earlier))
        if progress and (n % 500 == 0 or n == total):
            progress(f"  old communes: {n:,}/{total:,} new communes partitioned ({time.monotonic() - started:.0f} s)")
    _tidy_split_communes(rows, inputs, holdout)
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["geometry"] = to_multipolygons(frame["geometry"].to_numpy())
    return frame


# Split old communes (issue 14). clean_parts works inside one new commune; across new communes
# an old commune can still have a sliver, or a part farther than FAR_PART_DEG from its largest
# part (its body). Unless the commune's 2009 shape covers at least half of it (it did reach
# there), such a part:
# - goes to the old commune of its new commune sharing the longest line with it, when its piece
#   keeps a real part elsewhere (the crosswalk pair keeps area);
# - else (the whole piece is stray) the piece is moved next to the body: the part of its new
#   commune nearest the body, of the same area (at least 2 MIN_PART_DEG2 when it cannot join the
#   body), is cut from the other pieces there and the stray piece goes to that neighbour. So
#   no crosswalk pair loses its area. Not done when no place in the new commune lies within
#   FAR_PART_M of the body, or when the cut would take most of another commune's piece.
# A part sharing no line with another old commune of its new commune stays (quality lists it).
CUT_ROUNDS = 20
CUT_MAX_TAKEN = 0.5  # the cut may take at most this share of another commune's piece


def _tidy_split_communes(rows: list[dict], inputs: Inputs, holdout: frozenset[str]) -> None:
    """Move stray parts of split old communes next to their body, in place (see above)."""
    by_old, by_new = rows_by_code(rows)
    for code in sorted(c for c, ks in by_old.items() if len(ks) > 1):
        parts = shapely.get_parts(shapely.union_all([rows[k]["geometry"] for k in by_old[code]]))
        if len(parts) < 2:
            continue
        areas = shapely.area(parts)
        body = parts[int(np.argmax(areas))]
        shape = None if code in holdout else inputs.census.get(code, inputs.located.get(code))
        stray = [
            part
            for part, area in zip(parts, areas, strict=True)
            if part is not body
            and (area < MIN_PART_DEG2 or float(shapely.distance(part, body)) > FAR_PART_DEG)
            and not covered_by_2009_shape(part, shape)
        ]
        if not stray:
            continue
        strays = shapely.union_all(stray)
        for k in by_old[code]:
            piece = rows[k]["geometry"]
            if not shapely.intersects(piece, strays):
                continue
            neighbours = [j for j in by_new[rows[k]["new_code"]] if j != k]
            if float(shapely.area(shapely.difference(piece, strays))) >= MIN_PART_DEG2:
                for part in shapely.get_parts(polygonal(shapely.intersection(piece, strays))):
                    give_to_neighbour(rows, k, part, neighbours)
            else:
                _move_next_to(rows, k, body, neighbours)


def rows_by_code(rows: list[dict]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Indexes of the piece rows per old code and per new code."""
    by_old: dict[str, list[int]] = {}
    by_new: dict[str, list[int]] = {}
    for k, row in enumerate(rows):
        by_old.setdefault(row["old_code"], []).append(k)
        by_new.setdefault(row["new_code"], []).append(k)
    return by_old, by_new


def give_to_neighbour(rows: list[dict], k: int, part: BaseGeometry, neighbours: list[int]) -> None:
    """Give ``part`` of piece ``k`` to the neighbouring piece sharing the longest line with it."""
    best = longest_shared_line(part, {j: rows[j]["geometry"] for j in neighbours})
    if best is not None:
        rows[k]["geometry"] = polygonal(shapely.difference(rows[k]["geometry"], part))
        rows[best]["geometry"] = merge_part(rows[best]["geometry"], part)


def _move_next_to(rows: list[dict], k: int, body: BaseGeometry, neighbours: list[int]) -> None:
    """Replace piece ``k`` by the part of its new commune nearest ``body``, of about its area."""
    if not neighbours:
        return
    piece = rows[k]["geometry"]
    region = shapely.union_all([rows[j]["geometry"] for j in [k, *neighbours]])
    near = shapely.intersection(body, shapely.buffer(region, 2 * FAR_PART_DEG))  # the body's end facing the region
    if near.is_empty or metres_apart(near, region) > FAR_PART_M:
        return  # no place in this new commune lies within FAR_PART_M of the body
    gap = float(shapely.distance(body, region))
    joins = float(shapely.length(shapely.intersection(shapely.boundary(body), region))) > 0
    target = float(shapely.area(piece)) if joins else max(float(shapely.area(piece)), 2 * MIN_PART_DEG2)

    def cut(radius: float) -> BaseGeometry:
        return polygonal(shapely.intersection(region, shapely.buffer(near, radius)))

    low, high = gap, gap + 1e-3
    while float(shapely.area(cut(high))) < target and high < gap + FAR_PART_DEG:
        high = gap + 2 * (high - gap)
    for _ in range(CUT_ROUNDS):
        mid = (low + high) / 2
        low, high = (mid, high) if float(shapely.area(cut(mid))) < target else (low, mid)
    carved = cut(high)
    rest = polygonal(shapely.difference(piece, carved))
    kept = {j: polygonal(shapely.difference(rows[j]["geometry"], carved)) for j in neighbours}
    if any(shapely.area(kept[j]) < (1 - CUT_MAX_TAKEN) * shapely.area(rows[j]["geometry"]) for j in neighbours):
        return
    best = longest_shared_line(rest, {j: rows[j]["geometry"] for j in neighbours}) if not rest.is_empty else None
    if best is None and not rest.is_empty:
        return
    for j in neighbours:
        rows[j]["geometry"] = kept[j]
    if best is not None:
        rows[best]["geometry"] = merge_part(rows[best]["geometry"], rest)
    rows[k]["geometry"] = carved


def _partition_new_commune(
    new_code: str,
    region: BaseGeometry,
    group: pd.DataFrame,
    inputs: Inputs,
    holdout: frozenset[str],
    cache: dict | None,
    earlier: list[dict] | None = None,
) -> list[dict]:
    region = shapely.make_valid(region)
    owners = group[["old_code", "old_district_code", "old_level"]].drop_duplicates("old_code")
    if len(owners) == 1:
        return [_row(owners["old_code"].iloc[0], new_code, region, exact=True)]
    districts = sorted(owners["old_district_code"].unique())
    regions: dict[str, BaseGeometry]
    regridded, placed = 0, set()
    # The first-level cut uses the 2009 shapes, so a run hiding some of them does not reuse it.
    store = cache if cache is not None and not holdout.intersection(owners["old_code"]) else None
    if store is not None and new_code in store:
        regions, regridded, placed = store[new_code]
    elif len(districts) > 1:
        seeds = _district_seeds(owners, districts, inputs, holdout)
        level1 = partition_region(region, seeds, clean=False, unseeded_share=LEVEL1_UNSEEDED_SHARE)
        regions, regridded, placed = level1.pieces, level1.regridded, level1.fallback
    else:
        regions = {districts[0]: region}
    if store is not None:
        store[new_code] = (regions, regridded, placed)
    rows: list[dict] = []
    for d, district_region in regions.items():
        sub = owners[owners["old_district_code"].eq(d)]
        if earlier is not None and not holdout.intersection(sub["old_code"]):
            codes = set(sub["old_code"])
            rows.extend({**row, "geometry": row["raw"]} for row in earlier if row["old_code"] in codes)
            continue
        seeds = {}
        for code in sub["old_code"]:
            shape = inputs.census.get(code, inputs.located.get(code)) if code not in holdout else None
            seeds[code] = Seed(polygon=shape, point=inputs.points.get(code), target=inputs.targets.get(code))
        level2 = partition_region(district_region, seeds)
        whole = float(shapely.area(district_region))
        fixed = sum(float(shapely.area(c)) for c in level2.cores.values())
        for code, piece in level2.pieces.items():
            core = level2.cores.get(code, EMPTY)
            fraction = float(shapely.area(core) / shapely.area(piece)) if shapely.area(piece) > 0 else 0.0
            seed = "census" if seeds[code].polygon is not None and code in inputs.census else ""
            seed = "located" if seeds[code].polygon is not None and code in inputs.located else seed
            rows.append(
                _row(
                    code,
                    new_code,
                    piece,
                    exact=False,
                    core_fraction=min(fraction, 1.0),
                    fallback=code in level2.fallback or d in placed,
                    district_level=len(districts) > 1,
                    regridded=regridded + level2.regridded,
                    seed=seed,
                    hole=code in level2.holes,
                    capped=code in level2.capped,
                    owners=len(seeds),
                    region_fixed=min(fixed / whole, 1.0) if whole > 0 else 0.0,
                )
            )
    # Slivers and far parts left between district pieces (and in district pieces of a single
    # commune) go to the neighbour in the new commune; the uncleaned pieces are kept for reuse.
    cleaned = clean_parts({k: row["geometry"] for k, row in enumerate(rows)}) if len(rows) > 1 else None
    for k, row in enumerate(rows):
        row["raw"] = row["geometry"]
        if cleaned is not None:
            row["geometry"] = cleaned[k]
    return rows


def _district_seeds(
    owners: pd.DataFrame, districts: list[str], inputs: Inputs, holdout: frozenset[str]
) -> dict[str, Seed]:
    """Level-1 seeds: each old district's outline, corrected by its communes' 2009 shapes.

    The gis.chinhphu.vn outlines predate some transfers of communes between districts (e.g. to
    Hải Dương, Hà Tĩnh and Huế cities in 2019–2021), while each commune's 2009 shape goes with
    the commune to its district of 2025. So a district's seed is its outline minus the 2009
    shapes of the other districts' communes here, plus its own communes' 2009 shapes (held-out
    ones excepted); with no outline, those shapes alone.
    """
    known: dict[str, BaseGeometry] = {}
    points: dict[str, BaseGeometry | None] = {}
    for d in districts:
        codes = owners.loc[owners["old_district_code"].eq(d), "old_code"]
        shapes = [inputs.census.get(c, inputs.located.get(c)) for c in codes if c not in holdout]
        shapes = [s for s in shapes if s is not None]
        known[d] = shapely.union_all(shapes) if shapes else EMPTY
        pts = [inputs.points[c] for c in codes if c in inputs.points]
        points[d] = shapely.multipoints(pts) if pts else None
    seeds = {}
    for d in districts:
        outline = inputs.districts.get(d)
        others = shapely.union_all([known[e] for e in districts if e != d])
        if outline is not None:
            outline = polygonal(shapely.union(shapely.difference(outline, others), known[d]))
        elif not known[d].is_empty:
            outline = known[d]
        seeds[d] = Seed(polygon=outline if outline is not None and not outline.is_empty else None, point=points[d])
    return seeds


def _row(
    old_code: str,
    new_code: str,
    geom: BaseGeometry,
    *,
    exact: bool,
    core_fraction: float = 0.0,
    fallback: bool = False,
    district_level: bool = False,
    regridded: int = 0,
    seed: str = "",
    hole: bool = False,
    capped: bool = False,
    owners: int = 1,
    region_fixed: float = 1.0,
) -> dict:
    return {
        "old_code": old_code,
        "new_code": new_code,
        "geometry": geom,
        "raw": geom,
        "exact": exact,
        "core_fraction": 1.0 if exact else core_fraction,
        "fallback": fallback,
        "district_level": district_level,
        "regridded": regridded,
        "seed": seed,
        "hole": hole,
        "capped": capped,
        "owners": owners,
        "region_fixed": region_fixed,
    }


def piece_areas(pieces: pd.DataFrame) -> np.ndarray:
    """Area of each piece in km² (equal-area projection)."""
    return gpd.GeoSeries(pieces["geometry"].to_numpy(), crs="EPSG:4326").to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6


def fill_crosswalk_areas(crosswalk: pd.DataFrame, pieces: pd.DataFrame) -> pd.DataFrame:
    """Set ``area_km2``, ``share_of_old`` and ``share_of_new`` of each crosswalk pair from the pieces.

    Shares divide by the sum of the pieces (of the old unit, of the new commune), so they add
    up to 1 per old unit and per new commune. Pairs without a piece raise ``ValueError``.
    """
    areas = pieces[["old_code", "new_code"]].copy()
    areas["area"] = pieces["area_km2"].to_numpy() if "area_km2" in pieces else piece_areas(pieces)
    areas = areas.groupby(["old_code", "new_code"], as_index=False)["area"].sum()
    areas["share_of_old"] = areas["area"] / areas.groupby("old_code")["area"].transform("sum")
    areas["share_of_new"] = areas["area"] / areas.groupby("new_code")["area"].transform("sum")
    out = crosswalk.drop(columns=["area_km2", "share_of_old", "share_of_new"]).merge(
        areas, on=["old_code", "new_code"], how="left", validate="one_to_one"
    )
    if out["area"].isna().any():
        bad = out.loc[out["area"].isna(), ["old_code", "new_code"]].head(5).to_dict("records")
        raise ValueError(f"crosswalk pairs without a rebuilt piece: {bad}")
    out["area_km2"] = out.pop("area").round(4)
    out["share_of_old"] = out["share_of_old"].round(9)
    out["share_of_new"] = out["share_of_new"].round(9)
    return out[crosswalk.columns]


def summarise_units(pieces: pd.DataFrame) -> pd.DataFrame:
    """Per old unit: full-resolution geometry (pieces unioned), ``method``, evidence figures, area.

    ``confidence`` here is the share of the area fixed by evidence (exact new communes and
    2009 shapes); :mod:`lib.assemble.confidence` replaces it by a predicted IoU. The other columns
    (``capped``, ``owners``, ``region_fixed``, ``district_level``) describe the largest piece and
    feed that prediction.
    """
    frame = pieces.copy()
    for column, default in (("seed", ""), ("hole", False), ("capped", False), ("owners", 1), ("region_fixed", 1.0)):
        if column not in frame:
            frame[column] = default
    if "area_km2" not in frame:
        frame["area_km2"] = piece_areas(frame)
    frame["fixed_km2"] = frame["area_km2"] * frame["core_fraction"]
    frame["has_core"] = frame["core_fraction"].gt(0) & ~frame["exact"]
    agg = frame.groupby("old_code").agg(
        area_km2=("area_km2", "sum"),
        fixed_km2=("fixed_km2", "sum"),
        all_exact=("exact", "all"),
        any_core=("has_core", "any"),
        pieces=("new_code", "size"),
        capped=("capped", "any"),
    )
    largest = frame.loc[frame.groupby("old_code")["area_km2"].idxmax()].set_index("old_code")
    agg["main_fallback"] = largest["fallback"].reindex(agg.index)
    located = frame[frame["has_core"]].groupby("old_code")["seed"].agg(lambda s: bool(s.eq("located").all()))
    agg["located"] = located.astype(bool).reindex(agg.index, fill_value=False).astype(bool)
    agg["hole"] = largest["hole"].reindex(agg.index).astype(bool)
    geoms = frame.groupby("old_code")["geometry"].agg(
        lambda g: g.iloc[0] if len(g) == 1 else shapely.union_all(g.to_numpy())
    )
    method = np.select(
        [
            agg["all_exact"],
            agg["main_fallback"],
            agg["any_core"] & agg["located"],
            agg["any_core"],
            agg["hole"],
        ],
        ["exact", "estimated", "located2009", "census2009", "gap"],
        default="points",
    )
    out = pd.DataFrame(
        {
            "old_code": agg.index,
            "method": method,
            "confidence": (agg["fixed_km2"] / agg["area_km2"]).clip(0, 1).round(3).to_numpy(),
            "area_km2": agg["area_km2"].to_numpy(),
            "pieces": agg["pieces"].to_numpy(),
            "capped": agg["capped"].to_numpy(),
            "owners": largest["owners"].reindex(agg.index).to_numpy(),
            "region_fixed": largest["region_fixed"].reindex(agg.index).to_numpy(),
            "district_level": largest["district_level"].reindex(agg.index).to_numpy(),
        }
    )
    out["geometry"] = geoms.reindex(out["old_code"]).to_numpy()
    return out.reset_index(drop=True)
