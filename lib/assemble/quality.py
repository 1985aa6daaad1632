"""Quality figures of the rebuilt old communes: tiling, district IoU, hold-out, points, 1:1 equality."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from lib.data.geometry import EQUAL_AREA_CRS

# Targets of issue 7.
TILING_RTOL = 1e-5
OVERLAP_MAX_SHARE = 1e-4
DISTRICT_IOU_MEDIAN = 0.975
DISTRICT_IOU_P10 = 0.91
HOLDOUT_IOU_MEDIAN = 0.85
HOLDOUT_SHARE_OVER_HALF = 0.85
POINTS_INSIDE_MIN = 0.94


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of two arrays of geometries, element-wise (0 where both are empty)."""
    inter = shapely.area(shapely.intersection(a, b))
    union = shapely.area(a) + shapely.area(b) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def tiling(pieces: pd.DataFrame, new_geoms: dict[str, BaseGeometry]) -> pd.DataFrame:
    """Per new commune: area of the commune, sum of its pieces, relative gap, overlap share.

    ``pieces`` has ``new_code`` and ``geometry`` (full resolution); areas in the source CRS
    units are enough for these ratios.
    """
    rows = []
    for new_code, group in pieces.groupby("new_code"):
        geoms = group["geometry"].to_numpy()
        area = float(shapely.area(new_geoms[new_code]))
        total = float(shapely.area(geoms).sum())
        union = float(shapely.area(shapely.union_all(geoms))) if len(geoms) > 1 else total
        rows.append(
            {
                "new_code": new_code,
                "pieces": len(geoms),
                "area": area,
                "sum_rel_diff": abs(total - area) / area if area else 0.0,
                "overlap_share": max(total - union, 0.0) / area if area else 0.0,
            }
        )
    return pd.DataFrame(rows)


def district_iou(units: pd.DataFrame, district_of: dict[str, str], outlines: dict[str, BaseGeometry]) -> pd.DataFrame:
    """IoU of each rebuilt old district (union of its communes) against its reference outline.

    Parameters
    ----------
    units
        ``old_code`` and ``geometry`` of the rebuilt old units.
    district_of
        Old unit code → old district code.
    outlines
        Old district code → reference outline (gis.chinhphu.vn, label errors repaired).
    """
    frame = pd.DataFrame({"district": units["old_code"].map(district_of), "geometry": units["geometry"]})
    rebuilt = frame.groupby("district")["geometry"].agg(lambda g: _union(g.to_numpy()))
    codes = sorted(set(rebuilt.index) & set(outlines))
    a = rebuilt.reindex(codes).to_numpy()
    b = np.array([outlines[c] for c in codes], dtype=object)
    return pd.DataFrame({"district_code": codes, "iou": iou(a, b), "rebuilt_km2": _km2(a), "outline_km2": _km2(b)})


def _union(geoms: np.ndarray) -> BaseGeometry:
    """Union of polygons that tile an area (fast coverage union, full union if that fails)."""
    if len(geoms) == 1:
        return geoms[0]
    try:
        union = shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:  # not noded alike: fall back to the full union
        return shapely.union_all(geoms)
    if shapely.is_valid(union) and abs(shapely.area(union) - shapely.area(geoms).sum()) <= 1e-6 * shapely.area(union):
        return union
    return shapely.union_all(geoms)


def _km2(geoms: np.ndarray) -> np.ndarray:
    return gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6


def holdout_scores(units: pd.DataFrame, census: dict[str, BaseGeometry], holdout: set[str]) -> pd.DataFrame:
    """IoU of held-out communes (rebuilt without their 2009 shape) against their 2009 polygon."""
    frame = units[units["old_code"].isin(holdout)]
    ref = np.array([census[c] for c in frame["old_code"]], dtype=object)
    return pd.DataFrame(
        {
            "old_code": frame["old_code"].to_numpy(),
            "method": frame["method"].to_numpy(),
            "iou": iou(frame["geometry"].to_numpy(), ref),
        }
    )


def points_inside(units: pd.DataFrame, points: dict[str, BaseGeometry]) -> pd.DataFrame:
    """Each geocoded point against its own rebuilt polygon: inside or not, distance in metres."""
    frame = units[units["old_code"].isin(points)]
    pts = np.array([points[c] for c in frame["old_code"]], dtype=object)
    geoms = frame["geometry"].to_numpy()
    inside = shapely.covers(geoms, pts)
    distance = np.zeros(len(frame))
    if (~inside).any():
        projected_pts = gpd.GeoSeries(pts[~inside], crs="EPSG:4326").to_crs(EQUAL_AREA_CRS)
        projected = gpd.GeoSeries(geoms[~inside], crs="EPSG:4326").to_crs(EQUAL_AREA_CRS)
        distance[~inside] = projected.distance(projected_pts, align=False).to_numpy()
    return pd.DataFrame({"old_code": frame["old_code"].to_numpy(), "inside": inside, "distance_m": distance.round(0)})


def one_to_one_equal(
    crosswalk: pd.DataFrame, old: dict[str, BaseGeometry], new: dict[str, BaseGeometry]
) -> pd.DataFrame:
    """For every 1:1 pair (one old unit forms one new commune whole): are the geometries equal?"""
    targets = crosswalk.groupby("old_code")["new_code"].transform("size")
    sources_ = crosswalk.groupby("new_code")["old_code"].transform("size")
    pairs = crosswalk.loc[targets.eq(1) & sources_.eq(1), ["old_code", "new_code"]]
    pairs = pairs[pairs["old_code"].isin(old)]
    equal = [
        bool(shapely.equals_exact(old[o], new[n], tolerance=0.0)) or bool(shapely.equals(old[o], new[n]))
        for o, n in zip(pairs["old_code"], pairs["new_code"], strict=True)
    ]
    return pairs.assign(equal=equal).reset_index(drop=True)


@dataclass
class Figures:
    """The figures the issue asks for, with pass/fail per target."""

    lines: list[str] = field(default_factory=list)
    ok: bool = True

    def add(self, text: str, passed: bool | None = None) -> None:
        """Add one line; ``passed`` False marks the report failed."""
        mark = "" if passed is None else ("  [ok]" if passed else "  [FAIL]")
        self.lines.append(text + mark)
        if passed is not None and not passed:  # (numpy booleans are not `False`)
            self.ok = False

    def render(self) -> str:
        """The report as text."""
        return "\n".join(self.lines)


def summarise(
    *,
    units_count: int,
    invalid: int,
    tiles: pd.DataFrame,
    districts: pd.DataFrame,
    holdout: pd.DataFrame | None,
    inside: pd.DataFrame,
    equal: pd.DataFrame,
    expected_units: int = 10035,
) -> Figures:
    """Turn the tables above into the printed figures with the issue's targets."""
    f = Figures()
    f.add(
        f"old communes: {units_count:,} (expected {expected_units:,}); invalid or empty: {invalid}",
        units_count == expected_units and invalid == 0,
    )
    if len(tiles):
        worst_gap, worst_overlap = tiles["sum_rel_diff"].max(), tiles["overlap_share"].max()
        national_gap = abs((tiles["sum_rel_diff"] * tiles["area"]).sum()) / tiles["area"].sum()
        national_overlap = (tiles["overlap_share"] * tiles["area"]).sum() / tiles["area"].sum()
        f.add(
            f"tiling: pieces vs new commune area, national {national_gap:.2e}, worst {worst_gap:.2e} "
            f"({tiles.loc[tiles['sum_rel_diff'].idxmax(), 'new_code']}); target ≤ {TILING_RTOL:g}",
            worst_gap <= TILING_RTOL,
        )
        f.add(
            f"tiling: overlaps, national {100 * national_overlap:.5f} %, worst {100 * worst_overlap:.5f} % "
            f"({tiles.loc[tiles['overlap_share'].idxmax(), 'new_code']}); target < {100 * OVERLAP_MAX_SHARE:g} %",
            worst_overlap < OVERLAP_MAX_SHARE,
        )
    if len(districts):
        median, p10 = districts["iou"].median(), districts["iou"].quantile(0.1)
        f.add(
            f"old districts vs gis.chinhphu.vn ({len(districts)}): median IoU {median:.4f} "
            f"(target ≥ {DISTRICT_IOU_MEDIAN}), 10th percentile {p10:.4f} (target ≥ {DISTRICT_IOU_P10})",
            median >= DISTRICT_IOU_MEDIAN and p10 >= DISTRICT_IOU_P10,
        )
        worst = districts.sort_values(["iou", "district_code"], kind="mergesort").head(10)  # ties by code
        for row in worst.itertuples():
            f.add(
                f"  worst: {row.district_code} IoU {row.iou:.3f} (rebuilt {row.rebuilt_km2:,.1f} km², "
                f"outline {row.outline_km2:,.1f} km²)"
            )
    if holdout is not None and len(holdout):
        median, share = holdout["iou"].median(), (holdout["iou"] >= 0.5).mean()
        partitioned = holdout[holdout["method"].ne("exact")]
        f.add(
            f"hold-out ({len(holdout)} communes, 2009 shapes hidden): median IoU {median:.3f} (target ≥ "
            f"{HOLDOUT_IOU_MEDIAN}), IoU ≥ 0.5: {100 * share:.1f} % (target ≥ {100 * HOLDOUT_SHARE_OVER_HALF:g} %)",
            median >= HOLDOUT_IOU_MEDIAN and share >= HOLDOUT_SHARE_OVER_HALF,
        )
        if len(partitioned):
            f.add(
                f"  of which cut from a shared new commune ({len(partitioned)}): median IoU "
                f"{partitioned['iou'].median():.3f}, IoU ≥ 0.5: {100 * (partitioned['iou'] >= 0.5).mean():.1f} %"
            )
    if len(inside):
        share = inside["inside"].mean()
        out = inside[~inside["inside"]]
        f.add(
            f"geocoded points inside their own polygon: {100 * share:.2f} % of {len(inside):,} "
            f"(target ≥ {100 * POINTS_INSIDE_MIN:g} %); outside: {len(out)}, median distance "
            f"{out['distance_m'].median() if len(out) else 0:,.0f} m",
            share >= POINTS_INSIDE_MIN,
        )
    if len(equal):
        f.add(
            f"1:1 cases equal to their new commune: {int(equal['equal'].sum()):,} of {len(equal):,}",
            bool(equal["equal"].all()),
        )
    return f


def dataset_report(geodata_dir) -> Figures:
    """Figures of the committed dataset: what can be checked on the display layers, plus the
    full-resolution figures the build wrote to ``old/quality.txt``."""
    from pathlib import Path

    from lib.data import geodata

    geodata_dir = Path(geodata_dir)
    f = Figures()
    communes = geodata.load_layer("old_communes", geodata_dir)
    new = geodata.load_layer("new_communes", geodata_dir)
    geoms = communes.geometry.to_numpy()
    invalid = int((~shapely.is_valid(geoms) | shapely.is_empty(geoms)).sum())
    f.add("display layers (geodata/):")
    f.add(
        f"  old communes: {len(communes):,}, invalid or empty: {invalid}, labelled reconstructed: "
        f"{int(communes['reconstructed'].astype(bool).sum()):,}",
        len(communes) == 10035 and invalid == 0 and bool(communes["reconstructed"].astype(bool).all()),
    )
    methods = communes["method"].value_counts().to_dict()
    f.add(
        "  method: "
        + ", ".join(f"{k} {v:,}" for k, v in methods.items())
        + f"; confidence median {communes['confidence'].median():.3f}"
    )
    crosswalk = geodata.load_crosswalk(geodata_dir)
    equal = one_to_one_equal(
        crosswalk,
        dict(zip(communes["code"], geoms, strict=True)),
        dict(zip(new["code"], new.geometry.to_numpy(), strict=True)),
    )
    f.add(
        f"  1:1 cases identical to their new commune: {int(equal['equal'].sum()):,} of {len(equal):,}",
        bool(equal["equal"].all()),
    )
    sums_old = crosswalk.groupby("old_code")["share_of_old"].sum()
    sums_new = crosswalk.groupby("new_code")["share_of_new"].sum()
    worst = max((sums_old - 1).abs().max(), (sums_new - 1).abs().max())
    f.add(
        f"  crosswalk shares: worst |sum − 1| {worst:.1e} over {len(sums_old):,} old and {len(sums_new):,} new units",
        bool(worst <= 1e-6 and crosswalk["area_km2"].notna().all()),
    )
    districts = geodata.load_layer("old_districts", geodata_dir)
    by_district = communes.groupby("district_code").size()
    f.add(
        f"  old districts: {len(districts):,} (communes' districts: {len(by_district):,}); old provinces: "
        f"{len(geodata.load_layer('old_provinces', geodata_dir))}"
    )
    from lib.data.validate import nesting_problems, tiling_problems

    provinces = geodata.load_layer("old_provinces", geodata_dir)
    for label, children, parents, key in (
        ("old communes in their old district", communes, districts, "district_code"),
        ("old districts in their old province", districts, provinces, "province_code"),
    ):
        problems = nesting_problems(children, parents, child_key=key) + tiling_problems(
            children, parents, child_key=key
        )
        f.add(
            f"  {label} (nest and tile, tolerance 1e-6): {len(problems)} problems"
            + (f", e.g. {problems[0]}" if problems else ""),
            not problems,
        )
    report = geodata_dir / geodata.OLD_QUALITY
    if report.is_file():
        f.add("full-resolution figures written by the build (old/quality.txt):")
        for line in report.read_text(encoding="utf-8").splitlines():
            f.add("  " + line)
            if "[FAIL]" in line:
                f.ok = False
    else:
        f.add(f"{report} is missing: rebuild with python -m lib.cli build-geodata", False)
    iou_path = geodata_dir / geodata.OLD_DISTRICT_IOU
    if iou_path.is_file():
        iou = pd.read_csv(iou_path, dtype={"district_code": str}, encoding="utf-8-sig")
        f.add("worst ten districts and why (old/districts_iou.csv):")
        for row in iou.nsmallest(10, "iou").itertuples():
            f.add(
                f"  {row.district_code} {row.name} ({row.province_name}): IoU {row.iou:.3f}, rebuilt "
                f"{row.rebuilt_km2:,.1f} km² vs outline {row.outline_km2:,.1f} km² — {row.note}"
            )
    outside_path = geodata_dir / geodata.OLD_POINTS_OUTSIDE
    if outside_path.is_file():
        outside = pd.read_csv(outside_path, dtype={"old_code": str}, encoding="utf-8-sig")
        f.add(f"geocoded points outside their own polygon: {len(outside)} (old/points_outside.csv), farthest:")
        for row in outside.head(5).itertuples():
            f.add(f"  {row.old_code} {row.name} ({row.district_name}, {row.province_name}): {row.distance_m:,.0f} m")
    return f


# Clean shapes (issue 14): parts smaller than this are slivers; parts farther than this from
# their commune's largest part are far parts. Slivers are allowed only where nothing can take
# them: islands (touching no other commune) and detached bits of a new commune's own outline
# (sharing no line with another old commune of it); far parts only for one of FAR_REASONS (see
# lib.assemble.oldcommunes._tidy_split_communes). Kept far parts: old/exclaves.csv.
SLIVER_KM2 = 0.01
FAR_PART_M = 2000.0
EVIDENCE_SHARE = 0.5
# Columns of part_checks after ``island``, each a reason a part may stay (see FAR_REASONS).
PART_FLAGS = ("detached", "evidence", "unreachable", "doubtful")
SMALL_SHARE_OF_CENSUS = 0.2
HOLDOUT_IOU_MEDIAN_14 = 0.89
HOLDOUT_SHARE_OVER_HALF_14 = 0.88
CALIBRATION_MAX_GAP = 0.05


def part_checks(
    units: pd.DataFrame,
    pieces: pd.DataFrame | None = None,
    evidence: dict[str, BaseGeometry] | None = None,
    doubtful: set[tuple[str, str]] | frozenset = frozenset(),
) -> pd.DataFrame:
    """Every part of every multi-part unit: area (km²), distance to the unit's largest part (m), island.

    ``island``: the part touches no other unit (an exclave separated by water or the border).
    With ``pieces`` (``old_code``, ``new_code``, ``geometry``), ``detached``: the part shares no
    line with another old unit of its new commune (a detached bit of the new commune's own
    outline, or one touching its neighbours at points only): the cleaning, which must keep the
    pieces inside their new commune, has nothing to merge it into. With ``evidence`` (2009
    shapes), ``evidence``: that shape covers at least half of the part (the commune did reach there).
    With ``pieces``, ``unreachable`` (far parts): no place of the part's new commune lies within
    FAR_PART_M of the unit's largest part, so the crosswalk pair cannot be drawn nearer (the pair
    and the 2009 shape disagree). With ``pieces``, ``doubtful`` (far parts): the part lies in the
    piece of a pair in ``doubtful`` (``old_code``, ``new_code``), e.g. pairs whose own evidence
    lies far from their new commune.
    """
    columns = ["old_code", "part", "area_km2", "distance_m", "island", *PART_FLAGS]
    multi = units[shapely.get_num_geometries(units["geometry"].to_numpy()) > 1]
    if not len(multi):
        return pd.DataFrame(columns=columns)
    parts, index = shapely.get_parts(multi["geometry"].to_numpy(), return_index=True)
    codes = multi["old_code"].to_numpy()[index]
    projected = gpd.GeoSeries(parts, crs="EPSG:4326").to_crs(EQUAL_AREA_CRS)
    areas = projected.area.to_numpy() / 1e6
    frame = pd.DataFrame({"old_code": codes, "area_km2": areas, "k": np.arange(len(parts))})
    frame["part"] = frame.groupby("old_code").cumcount()
    body = frame.loc[frame.groupby("old_code")["area_km2"].idxmax(), ["old_code", "k"]].set_index("old_code")["k"]
    body_geom = projected.to_numpy()[body.reindex(frame["old_code"]).to_numpy()]
    frame["distance_m"] = shapely.distance(projected.to_numpy(), body_geom)
    tree = shapely.STRtree(units["geometry"].to_numpy())
    hit_part, hit_unit = tree.query(parts, predicate="intersects")
    other = units["old_code"].to_numpy()[hit_unit] != codes[hit_part]
    touching = np.zeros(len(parts), bool)
    touching[hit_part[other]] = True
    frame["island"] = ~touching
    flagged = (frame["area_km2"] < SLIVER_KM2) | (frame["distance_m"] > FAR_PART_M)
    frame["detached"] = False
    if pieces is not None:
        frame.loc[flagged, "detached"] = [_detached(parts[k], codes[k], pieces) for k in frame.loc[flagged, "k"]]
    frame["evidence"] = False
    if evidence is not None:
        frame.loc[flagged, "evidence"] = [
            covered_by_2009_shape(parts[k], evidence.get(codes[k])) for k in frame.loc[flagged, "k"]
        ]
    frame["unreachable"] = False
    frame["doubtful"] = False
    if pieces is not None:
        far = frame["distance_m"] > FAR_PART_M
        frame.loc[far, "doubtful"] = [
            any((codes[k], n) in doubtful for n in _new_communes_of(parts[k], codes[k], pieces))
            for k in frame.loc[far, "k"]
        ]
        bodies = units.set_index("old_code")["geometry"].map(lambda g: max(shapely.get_parts(g), key=shapely.area))
        frame.loc[far, "unreachable"] = [
            _unreachable(parts[k], bodies[codes[k]], codes[k], pieces) for k in frame.loc[far, "k"]
        ]
    return frame[columns]


def metres_apart(a: BaseGeometry, b: BaseGeometry) -> float:
    """Distance between two EPSG:4326 geometries in metres (equal-area projection)."""
    projected = gpd.GeoSeries([a, b], crs="EPSG:4326").to_crs(EQUAL_AREA_CRS).to_numpy()
    return float(shapely.distance(projected[0], projected[1]))


def _new_communes_of(part: BaseGeometry, code: str, pieces: pd.DataFrame) -> set[str]:
    """The new communes whose piece of ``code`` holds (some of) ``part``."""
    own = pieces[pieces["old_code"].eq(code)]
    return set(own.loc[shapely.intersects(own["geometry"].to_numpy(), part), "new_code"])


def _unreachable(part: BaseGeometry, body: BaseGeometry, code: str, pieces: pd.DataFrame) -> bool:
    """True when ``part`` is in a new commune no place of which lies within FAR_PART_M of ``body``."""
    news = _new_communes_of(part, code, pieces)
    if not news:
        return False
    region = shapely.union_all(pieces.loc[pieces["new_code"].isin(news), "geometry"].to_numpy())
    return metres_apart(body, region) > FAR_PART_M


def _detached(part: BaseGeometry, code: str, pieces: pd.DataFrame) -> bool:
    """True when ``part`` shares no line with another old unit's piece in the new commune(s) holding it."""
    news = _new_communes_of(part, code, pieces)
    others = pieces[pieces["new_code"].isin(news) & pieces["old_code"].ne(code)]
    if not len(others):
        return True
    edge = shapely.boundary(part)
    shared = shapely.length(shapely.intersection(edge, others["geometry"].to_numpy()))
    return not bool((shared > 0).any())


def covered_by_2009_shape(part: BaseGeometry, shape: BaseGeometry | None) -> bool:
    """True when the commune's 2009 ``shape`` covers at least EVIDENCE_SHARE of ``part`` (it did reach there)."""
    area = float(shapely.area(part))
    return (
        shape is not None
        and area > 0
        and float(shapely.area(shapely.intersection(shape, part))) >= EVIDENCE_SHARE * area
    )


# Why a far part is kept, in order of precedence ('' = not kept: a defect).
FAR_REASONS = {
    "island": "touches no other commune",
    "detached": "a detached bit of the new commune's own outline, sharing no line with another old commune of it",
    "2009 shape": "the commune's 2009 shape covers at least half of it",
    "new commune far": "a crosswalk pair whose new commune lies wholly more than 2 km from the commune's largest "
    "part (the pair and the 2009 shape disagree)",
    "pair in doubt": "a crosswalk pair whose own evidence (2009 shape, else geocoded point) lies more than 2 km "
    "from its new commune (crosswalk.csv evidence_km; its review note says more)",
}


def _with_flags(parts: pd.DataFrame) -> pd.DataFrame:
    missing = {c: False for c in PART_FLAGS if c not in parts}
    return parts.assign(**missing) if missing else parts


def far_reason(parts: pd.DataFrame) -> pd.Series:
    """Per part of :func:`part_checks`, the key of ``FAR_REASONS`` it is kept for, or ''."""
    parts = _with_flags(parts)
    flags = [parts[column] for column in ("island", *PART_FLAGS)]  # in the order of FAR_REASONS
    return pd.Series(np.select(flags, list(FAR_REASONS), default=""), index=parts.index)


def _reason_counts(reasons: pd.Series) -> str:
    counts = [f"{key} {int(reasons.eq(key).sum())}" for key in FAR_REASONS]
    return ", ".join([*counts, f"others {int(reasons.eq('').sum())}"])


def below_census(units: pd.DataFrame, census_km2: dict[str, float], split: set[str]) -> pd.DataFrame:
    """Units smaller than SMALL_SHARE_OF_CENSUS of their 2009 census area; ``split``: shape split since."""
    frame = units[["old_code", "method", "area_km2"]].copy()
    frame["census_km2"] = frame["old_code"].map(census_km2)
    frame = frame[frame["census_km2"].notna() & (frame["area_km2"] < SMALL_SHARE_OF_CENSUS * frame["census_km2"])]
    return frame.assign(split_since_2009=frame["old_code"].isin(split)).reset_index(drop=True)


def summarise_issue14(
    f: Figures,
    *,
    methods: pd.Series,
    estimated: pd.DataFrame,
    parts: pd.DataFrame,
    small: pd.DataFrame,
    holdout: pd.DataFrame,
    calibration: pd.DataFrame,
    display_parts: pd.DataFrame | None = None,
    blind_holdout: pd.DataFrame | None = None,
) -> Figures:
    """Add the figures of issue 14 (methods, placeholders, clean shapes, hold-out, calibration) to ``f``."""
    counts = methods.value_counts()
    f.add("methods: " + ", ".join(f"{m} {int(counts[m]):,}" for m in sorted(counts.index)))
    f.add(
        f"placeholders: fallback {int(counts.get('fallback', 0))} (target 0); estimated (cell sized to the 2009 "
        f"census area or a fair share, at the point nearest the geocode) {len(estimated)}",
        int(counts.get("fallback", 0)) == 0,
    )
    for row in estimated.itertuples():
        f.add(f"  estimated: {row.code} {row.name} ({row.province_name}): {row.why}")
    inside = small["inside_share"] if "inside_share" in small else pd.Series(1.0, index=small.index)
    elsewhere = ~small["split_since_2009"] & (inside < 0.5)
    unexplained = small[~small["split_since_2009"] & ~elsewhere]
    f.add(
        f"below {100 * SMALL_SHARE_OF_CENSUS:g} % of the 2009 census area: {len(small)}, of which 2009 shape split "
        f"since (another commune's point inside it) {int(small['split_since_2009'].sum())}, 2009 shape mostly "
        f"outside the new communes it is paired with (the pairs or the 2009 lines disagree) {int(elsewhere.sum())}; "
        f"others {len(unexplained)} (target 0)",
        len(unexplained) == 0,
    )
    for row in small.head(30).itertuples():
        share = getattr(row, "inside_share", float("nan"))
        f.add(
            f"  {row.old_code} ({row.method}): {row.area_km2:.3f} km² of {row.census_km2:.3f} km² in 2009; "
            f"{100 * share:.0f} % of that shape inside its new communes"
        )
    if display_parts is not None:
        display_parts = _with_flags(display_parts)
        slivers = display_parts[display_parts["area_km2"] < SLIVER_KM2]
        loose = slivers[~slivers["island"] & ~slivers["detached"]]
        far = display_parts[display_parts["distance_m"] > FAR_PART_M]
        reasons = far_reason(far)
        f.add(
            f"display layer (old/communes.geojson): parts smaller than {SLIVER_KM2:g} km² {len(slivers)}, of which "
            f"islets {int(slivers['island'].sum())}, detached {int((~slivers['island'] & slivers['detached']).sum())}"
            f", others {len(loose)} in {loose['old_code'].nunique()} communes; parts more than {FAR_PART_M:,.0f} m "
            f"away {len(far)}, of which {_reason_counts(reasons)}"
        )
    parts = _with_flags(parts)
    slivers = parts[parts["area_km2"] < SLIVER_KM2]
    touching = slivers[~slivers["island"] & ~slivers["detached"]]
    f.add(
        f"parts smaller than {SLIVER_KM2:g} km² (full resolution): {len(slivers)}, of which islets touching no "
        f"other commune (nothing to merge them into) {int(slivers['island'].sum())}, parts sharing no line with "
        "another old commune of their new commune (a detached bit of the new commune's own outline, or touching "
        "only at points: merging them would break the nesting in the new communes) "
        f"{int((~slivers['island'] & slivers['detached']).sum())}; others {len(touching)} in "
        f"{touching['old_code'].nunique()} communes (target 0)",
        len(touching) == 0,
    )
    for row in touching.sort_values(["area_km2", "old_code"], kind="mergesort").head(5).itertuples():
        f.add(f"  sliver: {row.old_code} part {row.part}: {1e6 * row.area_km2:,.0f} m², {row.distance_m:,.0f} m away")
    far = parts[parts["distance_m"] > FAR_PART_M]
    reasons = far_reason(far)
    loose = far[reasons.eq("")]
    f.add(
        f"parts more than {FAR_PART_M:,.0f} m from their commune's largest part: {len(far)}; listed in "
        f"old/exclaves.csv with the reason {int(reasons.ne('').sum())} ({_reason_counts(reasons)}); others "
        f"{len(loose)} in {loose['old_code'].nunique()} communes (target 0)",
        len(loose) == 0,
    )
    for row in far[reasons.isin(["new commune far", "pair in doubt"])].itertuples():
        f.add(
            f"  {reasons[row.Index]}: {row.old_code} part {row.part}: {row.area_km2:.4f} km², "
            f"{row.distance_m:,.0f} m away"
        )
    for row in loose.sort_values(["distance_m", "old_code"], kind="mergesort").head(5).itertuples():
        f.add(f"  far: {row.old_code} part {row.part}: {row.area_km2:.4f} km², {row.distance_m:,.0f} m away")
    for label, frame in (("all", holdout), ("points", holdout[holdout["method"].eq("points")])):
        if not len(frame):
            continue
        median, share = frame["iou"].median(), (frame["iou"] >= 0.5).mean()
        f.add(
            f"hold-out, issue-14 targets, {label} ({len(frame)}): median IoU {median:.3f} (target ≥ "
            f"{HOLDOUT_IOU_MEDIAN_14}), IoU ≥ 0.5: {100 * share:.1f} % "
            f"(target ≥ {100 * HOLDOUT_SHARE_OVER_HALF_14:g} %)",
            median >= HOLDOUT_IOU_MEDIAN_14 and share >= HOLDOUT_SHARE_OVER_HALF_14,
        )
    for method, frame in holdout.groupby("method"):
        f.add(
            f"  hold-out by method: {method} {len(frame)}: median IoU {frame['iou'].median():.3f}, mean "
            f"{frame['iou'].mean():.3f}, IoU ≥ 0.5 {100 * (frame['iou'] >= 0.5).mean():.1f} %"
        )
    if blind_holdout is not None and len(blind_holdout):
        for label, frame in (("all", blind_holdout), ("points", blind_holdout[blind_holdout["method"].eq("points")])):
            f.add(
                f"  hold-out with the census areas hidden too (as for communes with no 2009 match), {label} "
                f"({len(frame)}): median IoU {frame['iou'].median():.3f}, IoU ≥ 0.5: "
                f"{100 * (frame['iou'] >= 0.5).mean():.1f} %"
            )
    for group, table in calibration.groupby("group", sort=False):
        worst = table["gap"].max()
        f.add(
            f"calibration of confidence (predicted IoU, {len(table)} deciles of the out-of-fold prediction, "
            f"hold-out, {group}): worst |mean predicted − mean actual| {worst:.3f} (target ≤ {CALIBRATION_MAX_GAP})",
            worst <= CALIBRATION_MAX_GAP if str(group).startswith("all") else None,
        )
        for row in table.itertuples():
            f.add(
                f"  decile {row.decile:>2}: n {row.n:>4}, predicted {row.predicted:.3f}, actual {row.actual:.3f}, "
                f"|gap| {row.gap:.3f}, mean |error| {row.mean_abs_error:.3f}"
            )
    return f
