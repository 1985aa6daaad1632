"""Rebuild the 10,035 pre-reform communes by partitioning each new commune among its predecessors.

Inside each new commune (exact 2025 outline) the area is split in two levels: first among
the old districts of its predecessors (seeded by the gis.chinhphu.vn district outlines and
the predecessors' geocoded points), then inside each district piece among the old communes
(seeded by their 2009 census shapes where matched, and their geocoded points). See
:func:`lib.build.partition.partition_region` for one level and ``METHODS`` for the labels.
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

from lib.build.partition import EMPTY, Seed, clean_parts, partition_region
from lib.data.geometry import COORDINATE_GRID_DEG, DISPLAY_TOLERANCE_DEG, EQUAL_AREA_CRS, to_multipolygons

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
    """``code``/``lon``/``lat`` rows (``lib.build.sources.read_commune_points``) as code → Point."""
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
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["geometry"] = to_multipolygons(frame["geometry"].to_numpy())
    return frame


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
    if cache is not None and new_code in cache:
        regions, regridded, placed = cache[new_code]
    elif len(districts) > 1:
        seeds = {}
        for d in districts:
            codes = owners.loc[owners["old_district_code"].eq(d), "old_code"]
            pts = [inputs.points[c] for c in codes if c in inputs.points]
            seeds[d] = Seed(polygon=inputs.districts.get(d), point=shapely.multipoints(pts) if pts else None)
        level1 = partition_region(region, seeds, clean=False, unseeded_share=LEVEL1_UNSEEDED_SHARE)
        regions, regridded, placed = level1.pieces, level1.regridded, level1.fallback
    else:
        regions = {districts[0]: region}
    if cache is not None:
        cache[new_code] = (regions, regridded, placed)
    rows = []
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
    2009 shapes); :mod:`lib.build.confidence` replaces it by a predicted IoU. The other columns
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


# The old communes' inner lines are rebuilt, known to a few hundred metres at best (hold-out median
# IoU ~0.89): drawn at 2.5x the new communes' tolerance they lose nothing real, and the committed
# layer stays under 20 MB. Their outer lines are the new communes' own (DISPLAY_TOLERANCE_DEG).
OLD_INNER_TOLERANCE_DEG = 2.5 * DISPLAY_TOLERANCE_DEG


def display_pieces(
    pieces: pd.DataFrame, new_display: dict[str, BaseGeometry], tolerance: float = OLD_INNER_TOLERANCE_DEG
) -> np.ndarray:
    """Display geometry of each piece: tiles the simplified new commune, outer lines identical to it.

    A piece that is its whole new commune takes the simplified commune as is. The others are
    first thinned as one coverage at a quarter of the tolerance, then cut from the simplified
    commune (:func:`_faces_by_piece`: the slivers between the two outlines go to the piece
    they touch), and their inner lines simplified as a coverage with the outer line kept
    (exactly collinear vertices dropped first).
    """
    out = np.empty(len(pieces), dtype=object)
    groups = pieces.groupby("new_code").indices
    shared = np.concatenate([ix for ix in groups.values() if len(ix) > 1])
    thinned = np.empty(len(pieces), dtype=object)
    thinned[shared] = shapely.coverage_simplify(pieces["geometry"].to_numpy()[shared], tolerance / 4)
    for new_code, index in groups.items():
        outline = new_display[new_code]
        if len(index) == 1:
            out[index[0]] = outline
            continue
        clipped = _faces_by_piece(outline, thinned[index])
        # Noding the two outlines adds collinear vertices along the outer line: a first pass
        # at 1e-8° drops them (and only exactly collinear ones), then the inner lines are simplified
        # with the outer line kept.
        cleaned = shapely.coverage_simplify(np.array(clipped, dtype=object), 1e-8, simplify_boundary=True)
        simplified = shapely.coverage_simplify(cleaned, tolerance, simplify_boundary=False)
        snapped = shapely.set_precision(simplified, COORDINATE_GRID_DEG, mode="valid_output")
        for k, _ in enumerate(index):
            # A piece too small to survive simplification keeps its unsimplified shape,
            # carved out of its neighbours.
            if shapely.is_empty(snapped[k]) or shapely.area(snapped[k]) <= 0:
                small = shapely.set_precision(clipped[k], COORDINATE_GRID_DEG, mode="valid_output")
                for j in range(len(index)):
                    if j != k and shapely.intersects(snapped[j], small):
                        snapped[j] = _polygonal_parts(shapely.difference(snapped[j], small))
                snapped[k] = small
        for k, i in enumerate(index):
            out[i] = snapped[k]
            if shapely.is_empty(out[i]):  # lost in the thinning: its own shape, clipped
                full = pieces["geometry"].iloc[i]
                out[i] = shapely.set_precision(
                    _polygonal_parts(shapely.intersection(outline, full)), COORDINATE_GRID_DEG, mode="valid_output"
                )
        # Slivers and far parts the simplification left go to the neighbour they share most line with.
        cleaned = clean_parts({k: out[i] for k, i in enumerate(index)})
        for k, i in enumerate(index):
            if cleaned[k] is not out[i]:
                out[i] = shapely.set_precision(cleaned[k], COORDINATE_GRID_DEG, mode="valid_output")
    return out


def _faces_by_piece(outline: BaseGeometry, thinned: np.ndarray) -> list[BaseGeometry]:
    """Cut ``outline`` into one part per thinned piece, properly noded so that they form a coverage.

    The outline and the pieces' outlines are noded together and polygonized; each face inside
    the outline goes to the piece that holds it, or (a sliver between the two outlines) to
    the piece it touches or lies nearest to. Faces are merged per piece by coverage union.
    """
    lines = shapely.union_all([shapely.boundary(outline), *shapely.boundary(thinned)])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.area(faces) > 0]
    inner = shapely.point_on_surface(faces)
    keep = shapely.contains_properly(outline, inner) | shapely.covers(outline, inner)
    faces, inner = faces[keep], inner[keep]
    tree = shapely.STRtree(thinned)
    owner = np.full(len(faces), -1)
    hit = tree.query(inner, predicate="within")
    owner[hit[0][::-1]] = hit[1][::-1]
    loose = np.flatnonzero(owner < 0)
    if len(loose):
        touching = tree.query(faces[loose], predicate="intersects")
        owner[loose[touching[0][::-1]]] = touching[1][::-1]
        still = loose[owner[loose] < 0]
        if len(still):
            owner[still] = tree.query_nearest(faces[still], all_matches=False)[1]
    out = []
    for k in range(len(thinned)):
        mine = faces[owner == k]
        out.append(_merge(list(mine)) if len(mine) else EMPTY)
    return out


def _merge(parts: list[BaseGeometry]) -> BaseGeometry:
    """Union of adjacent polygons: fast coverage union where they are noded alike, else full."""
    try:
        merged = shapely.coverage_union_all(parts)
        if shapely.is_valid(merged) and abs(shapely.area(merged) - sum(shapely.area(p) for p in parts)) <= 1e-12:
            return merged
    except shapely.errors.GEOSException:
        pass
    return shapely.union_all(parts)


def _polygonal_parts(geom: BaseGeometry) -> BaseGeometry:
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) == 3]
    return shapely.union_all(parts) if parts else EMPTY


def display_units(pieces: pd.DataFrame, display: np.ndarray) -> pd.Series:
    """Union of the display pieces per old unit, as MultiPolygons (index: old code)."""
    frame = pd.DataFrame({"old_code": pieces["old_code"].to_numpy(), "geometry": display})
    union = frame.groupby("old_code")["geometry"].agg(
        lambda g: g.iloc[0] if len(g) == 1 else shapely.union_all(g.to_numpy(), grid_size=COORDINATE_GRID_DEG)
    )
    return pd.Series(to_multipolygons(union.to_numpy()), index=union.index)
