"""Quality figures of the old-commune layer, on hand-made squares."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, box

from lib.assemble import quality
from lib.data import geodata


def test_iou_of_half_overlapping_squares():
    a = np.array([box(0, 0, 2, 1), box(0, 0, 1, 1)], dtype=object)
    b = np.array([box(1, 0, 3, 1), box(5, 5, 6, 6)], dtype=object)
    assert quality.iou(a, b).tolist() == pytest.approx([1 / 3, 0.0])


def test_tiling_measures_gaps_and_overlaps():
    pieces = pd.DataFrame(
        {
            "new_code": ["N1", "N1", "N2", "N2"],
            "geometry": [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(2.5, 0, 4, 1)],
        }
    )
    tiles = quality.tiling(pieces, {"N1": box(0, 0, 2, 1), "N2": box(2, 0, 4, 1)}).set_index("new_code")
    assert tiles.loc["N1", "sum_rel_diff"] == pytest.approx(0.0)
    assert tiles.loc["N1", "overlap_share"] == pytest.approx(0.0)
    assert tiles.loc["N2", "sum_rel_diff"] == pytest.approx(0.25)  # 2.5 of pieces for 2 of commune
    assert tiles.loc["N2", "overlap_share"] == pytest.approx(0.25)


def test_district_iou_unions_the_communes_of_each_district():
    units = pd.DataFrame({"old_code": ["a", "b", "c"], "geometry": [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)]})
    result = quality.district_iou(
        units, {"a": "001", "b": "001", "c": "002"}, {"001": box(0, 0, 2, 1), "002": box(2, 0, 4, 1)}
    ).set_index("district_code")
    assert result.loc["001", "iou"] == pytest.approx(1.0)
    assert result.loc["002", "iou"] == pytest.approx(0.5)


def test_points_inside_reports_the_distance_of_the_others():
    units = pd.DataFrame({"old_code": ["a", "b"], "geometry": [box(105, 20, 105.1, 20.1), box(105.1, 20, 105.2, 20.1)]})
    points = {"a": Point(105.05, 20.05), "b": Point(105.3, 20.05)}
    result = quality.points_inside(units, points).set_index("old_code")
    assert bool(result.loc["a", "inside"]) and result.loc["a", "distance_m"] == 0
    assert not result.loc["b", "inside"]
    assert 9_000 < result.loc["b", "distance_m"] < 12_000  # 0.1° of longitude at 20° N ≈ 10.5 km


def test_one_to_one_equality_spots_a_different_polygon():
    crosswalk = pd.DataFrame({"old_code": ["a", "b", "c", "c"], "new_code": ["N1", "N2", "N3", "N4"]})
    old = {"a": MultiPolygon([box(0, 0, 1, 1)]), "b": MultiPolygon([box(0, 0, 1, 2)])}
    new = {"N1": MultiPolygon([box(0, 0, 1, 1)]), "N2": MultiPolygon([box(0, 0, 1, 1)])}
    result = quality.one_to_one_equal(crosswalk, old, new).set_index("old_code")
    assert list(result.index) == ["a", "b"]  # c is split: not a 1:1 case
    assert result["equal"].tolist() == [True, False]


def test_summary_fails_when_a_target_is_missed():
    tiles = pd.DataFrame(
        {"new_code": ["N1"], "pieces": [2], "area": [1.0], "sum_rel_diff": [0.0], "overlap_share": [0.0]}
    )
    districts = pd.DataFrame(
        {"district_code": ["001", "002"], "iou": [0.99, 0.5], "rebuilt_km2": [1.0, 2.0], "outline_km2": [1.0, 1.0]}
    )
    inside = pd.DataFrame({"old_code": ["a"], "inside": [True], "distance_m": [0.0]})
    equal = pd.DataFrame({"old_code": ["a"], "new_code": ["N1"], "equal": [True]})
    holdout = pd.DataFrame({"old_code": ["a", "b"], "method": ["points", "points"], "iou": [0.9, 0.95]})
    report = quality.summarise(
        units_count=1,
        invalid=0,
        tiles=tiles,
        districts=districts,
        holdout=holdout,
        inside=inside,
        equal=equal,
        expected_units=1,
    )
    assert not report.ok  # the district 10th percentile is far below 0.91
    assert "[FAIL]" in report.render() and "worst: 002" in report.render()
    good = districts.assign(iou=[0.99, 0.98])
    assert quality.summarise(
        units_count=1,
        invalid=0,
        tiles=tiles,
        districts=good,
        holdout=holdout,
        inside=inside,
        equal=equal,
        expected_units=1,
    ).ok


# ---------------------------------------------------------------------- issue 14: shapes, confidence


def test_part_checks_measure_far_parts_and_tell_islands_from_parts_touching_a_neighbour():
    # 0.1° squares near 21°N: A has a body, a far part inside B's area (touching B), and an island.
    a = MultiPolygon([box(105, 21, 105.1, 21.1), box(105.3, 21, 105.31, 21.01), box(106, 22, 106.01, 22.01)])
    b = box(105.2, 21, 105.4, 21.1).difference(box(105.3, 21, 105.31, 21.01))
    units = pd.DataFrame({"old_code": ["A", "B"], "geometry": [a, b]})
    parts = quality.part_checks(units).set_index("part")
    assert len(parts) == 3 and (parts["old_code"] == "A").all()
    body = parts["area_km2"].idxmax()
    assert parts.loc[body, "distance_m"] == 0
    far = parts.drop(index=body)
    assert (far["distance_m"] > quality.FAR_PART_M).all()
    assert sorted(far["island"].tolist()) == [False, True]


def test_part_checks_tell_detached_bits_of_a_new_commune_and_parts_with_2009_evidence():
    # A's far part P is all of new commune N2 (nothing in N2 to merge it into); it touches C of N3.
    body, far_part = box(105, 21, 105.1, 21.1), box(105.5, 21, 105.51, 21.01)
    c = box(105.51, 21, 105.6, 21.1)
    units = pd.DataFrame({"old_code": ["A", "C"], "geometry": [MultiPolygon([body, far_part]), c]})
    pieces = pd.DataFrame(
        {"old_code": ["A", "A", "C"], "new_code": ["N1", "N2", "N3"], "geometry": [body, far_part, c]}
    )
    plain = quality.part_checks(units)
    assert not plain["detached"].any() and not plain["evidence"].any()
    parts = quality.part_checks(units, pieces, {"A": box(105.49, 20.99, 105.52, 21.02)})
    far = parts[parts["distance_m"] > quality.FAR_PART_M].iloc[0]
    assert not far["island"] and far["detached"] and far["evidence"]
    # With another old commune of N2 sharing a line with it, the part is not detached.
    d = box(105.5, 21.01, 105.51, 21.1)
    units = pd.concat([units, pd.DataFrame({"old_code": ["D"], "geometry": [d]})], ignore_index=True)
    pieces = pd.concat([pieces, pd.DataFrame({"old_code": ["D"], "new_code": ["N2"], "geometry": [d]})])
    parts = quality.part_checks(units, pieces.reset_index(drop=True))
    assert not parts.loc[parts["distance_m"] > quality.FAR_PART_M, "detached"].any()


def test_far_parts_kept_for_a_new_commune_never_near_the_body_or_a_pair_in_doubt():
    body, far_part = box(105, 21, 105.1, 21.1), box(105.5, 21, 105.51, 21.01)

    def reasons(d, doubtful=frozenset()):
        units = pd.DataFrame({"old_code": ["A", "D"], "geometry": [MultiPolygon([body, far_part]), d]})
        pieces = pd.DataFrame(
            {"old_code": ["A", "A", "D"], "new_code": ["N1", "N2", "N2"], "geometry": [body, far_part, d]}
        )
        parts = quality.part_checks(units, pieces, doubtful=doubtful)
        far = parts[parts["distance_m"] > quality.FAR_PART_M]
        return quality.far_reason(far).tolist()

    # N2 (the far part and D) lies ~40 km from A's body: no place in it could be drawn nearer.
    assert reasons(box(105.5, 21.01, 105.51, 21.1)) == ["new commune far"]
    # N2 reaching A's body: the far part could have been drawn next to it, so it is a defect.
    reaching = box(105.1, 21.01, 105.51, 21.1)
    assert reasons(reaching) == [""]
    # ...unless the pair itself is in doubt (its own evidence lies far from N2).
    assert reasons(reaching, doubtful={("A", "N2")}) == ["pair in doubt"]
    assert reasons(reaching, doubtful={("D", "N2")}) == [""]


def test_below_census_flags_small_units_and_keeps_the_split_ones_apart():
    units = pd.DataFrame({"old_code": ["A", "B", "C"], "method": "census2009", "area_km2": [1.0, 1.0, 5.0]})
    small = quality.below_census(units, {"A": 10.0, "B": 10.0, "C": 6.0}, split={"B"})
    assert small["old_code"].tolist() == ["A", "B"]
    assert small["split_since_2009"].tolist() == [False, True]


def test_issue14_summary_fails_on_fallback_far_parts_and_poor_calibration():
    parts = pd.DataFrame(
        {"old_code": ["A", "A"], "part": [0, 1], "area_km2": [5.0, 0.001], "distance_m": [0.0, 3000.0], "island": False}
    )
    holdout = pd.DataFrame({"old_code": ["A", "B"], "method": "points", "iou": [0.95, 0.95]})
    table = pd.DataFrame(
        {"decile": [1], "n": [2], "predicted": [0.5], "actual": [0.95], "mean_abs_error": [0.45], "gap": [0.45]}
    ).assign(group="all")
    f = quality.summarise_issue14(
        quality.Figures(),
        methods=pd.Series(["points", "fallback"]),
        estimated=pd.DataFrame(columns=["code", "name", "province_name", "why"]),
        parts=parts,
        small=pd.DataFrame(columns=["old_code", "method", "area_km2", "census_km2", "split_since_2009"]),
        holdout=holdout,
        calibration=table,
    )
    assert not f.ok
    failed = [line for line in f.lines if "[FAIL]" in line]
    assert any("fallback 1" in line for line in failed)
    assert any("smaller than" in line and "others 1 in 1" in line for line in failed)
    assert any("others 1 in 1 communes" in line for line in failed)
    assert any("calibration" in line for line in failed)
    assert not any("hold-out, issue-14" in line for line in failed)


def test_isotonic_fit_is_non_decreasing_and_pools_violators():
    from lib.assemble.confidence import isotonic

    kx, ky = isotonic(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.1, 0.5, 0.3, 0.9]))
    assert np.all(np.diff(ky) >= 0) and np.all(np.diff(kx) > 0)
    assert ky.tolist() == pytest.approx([0.1, 0.4, 0.9])


def test_confidence_model_is_deterministic_and_calibrated_on_a_learnable_signal():
    from lib.assemble import confidence as conf

    rng = np.random.default_rng(7)
    n = 600
    frame = pd.DataFrame({"has_target": 1.0, "abs_log_ratio": rng.uniform(0, 2, n), "noise": rng.normal(size=n)})
    y = np.clip(0.95 - 0.4 * frame["abs_log_ratio"].to_numpy() + rng.normal(0, 0.05, n), 0, 1)
    columns = ["abs_log_ratio", "noise"]
    oof = conf.cross_validate(frame, y, columns)
    assert np.array_equal(oof, conf.cross_validate(frame.iloc[::-1].iloc[::-1], y, columns))
    table = conf.calibration(oof, y)
    assert len(table) == 10 and table["n"].sum() == n
    assert table["gap"].max() <= 0.05
    assert np.corrcoef(oof, y)[0, 1] > 0.9
    # Without the informative column the model cannot rank: the spread of its predictions collapses.
    flat = conf.cross_validate(frame, y, ["noise"])
    assert flat.std() < oof.std() / 3
    assert conf.columns_for(pd.DataFrame(columns=["log_ratio", "capped"]), with_target=False) == ["capped"]


# ---------------------------------------------------------------------- the committed dataset
# Each target of lib.assemble.quality is recomputed here from the committed layers (and, where the figure
# needs them, the public sources), with the library's own functions, and only then compared with the
# threshold: a report file the build wrote (old/*.csv, old/quality.txt) that says more than the data
# cannot make these pass. The hold-out IoU of all ~1,900 held-out communes takes minutes to rebuild:
# test_holdout_recomputed_on_a_sample rebuilds a seeded sample from the sources as the build does and
# must find the very figures of old/holdout_iou.csv; the tests of the whole file's figures read it.

SOURCES = Path(__file__).resolve().parents[2] / "shared" / "sources"
needs_sources = pytest.mark.skipif(not SOURCES.is_dir(), reason="../shared/sources not present")
# The display layers are snapped to a coordinate grid and simplified; the pieces of an old commune
# drawn inside its new commune tile it to within this share of its area (the full-resolution pieces,
# from which the crosswalk's areas come, to within quality.TILING_RTOL).
DISPLAY_TILING_RTOL = 1e-3
# A geocoded point near a line can fall on the other side of the simplified line: the display layer
# may count a few more or fewer points outside than the full-resolution figure (old/points_outside.csv).
DISPLAY_POINTS_SLACK = 20


def _table(name: str, **dtype) -> pd.DataFrame:
    return pd.read_csv(geodata.default_dir() / name, dtype=dtype, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def old_communes():
    return geodata.load_layer("old_communes")


@pytest.fixture(scope="module")
def old_districts():
    return geodata.load_layer("old_districts")


@pytest.fixture(scope="module")
def manifest():
    return geodata.load_manifest()


@pytest.fixture(scope="module")
def crosswalk():
    return geodata.load_crosswalk()


def _old_units(old_communes, old_districts, crosswalk) -> pd.DataFrame:
    """``old_code``/``geometry`` of every old unit of the crosswalk (communes, and island districts without any)."""
    districts = old_districts[old_districts["code"].isin(crosswalk["old_code"])]
    units = pd.concat([old_communes[["code", "geometry"]], districts[["code", "geometry"]]], ignore_index=True)
    return units.rename(columns={"code": "old_code"})


@pytest.mark.dataset
def test_committed_old_communes_are_complete_valid_and_labelled(old_communes):
    geoms = old_communes.geometry.to_numpy()
    assert len(old_communes) == 10035 and old_communes["code"].is_unique
    assert not (~shapely.is_valid(geoms) | shapely.is_empty(geoms)).any()
    assert old_communes["reconstructed"].astype(bool).all()
    assert old_communes["confidence"].between(0, 1).all()


@pytest.mark.dataset
def test_committed_methods_agree_with_the_manifest(old_communes, manifest):
    counts = old_communes["method"].value_counts().to_dict()
    assert counts == manifest["geometry"]["old_communes_methods"]
    assert sum(counts.values()) == len(old_communes)


@pytest.mark.dataset
def test_committed_pieces_tile_their_new_commune(old_communes, old_districts, crosswalk):
    """Each new commune is tiled by its predecessors' drawn shapes cut to it (recomputed with quality.tiling),
    and the crosswalk's shares of each new commune add up to 1."""
    units = _old_units(old_communes, old_districts, crosswalk).set_index("old_code")["geometry"]
    new = geodata.load_new_communes()
    new_geoms = dict(zip(new["code"], new.geometry.to_numpy(), strict=True))
    pairs = crosswalk[["old_code", "new_code"]].drop_duplicates()
    cut = shapely.intersection(
        units.reindex(pairs["old_code"]).to_numpy(), np.array([new_geoms[c] for c in pairs["new_code"]], dtype=object)
    )
    tiles = quality.tiling(pairs.assign(geometry=cut), new_geoms)
    assert len(tiles) == len(new_geoms) == 3321
    assert tiles["sum_rel_diff"].max() <= DISPLAY_TILING_RTOL
    assert tiles["overlap_share"].max() <= DISPLAY_TILING_RTOL
    assert crosswalk["area_km2"].notna().all()
    worst = (crosswalk.groupby("new_code")["share_of_new"].sum() - 1).abs().max()
    assert worst <= quality.TILING_RTOL


@pytest.mark.dataset
@needs_sources
def test_committed_district_iou_meets_the_targets(old_districts):
    """The IoU of each rebuilt old district (geodata) against its gis.chinhphu.vn outline (the sources), both
    at display resolution as the build measures it; old/districts_iou.csv must say the same."""
    from lib.assemble import sources
    from lib.assemble.dataset import district_outlines
    from lib.data.geometry import simplify_coverage

    outlines, _notes = district_outlines(SOURCES, sources.read_old_districts(SOURCES))
    simplified = simplify_coverage(outlines.geometry.to_numpy())
    districts = quality.district_iou(
        old_districts.rename(columns={"code": "old_code"}),
        {c: c for c in old_districts["code"]},
        dict(zip(outlines["code"], simplified, strict=True)),
    )
    assert len(districts) >= 600 and districts["district_code"].is_unique  # ~696 districts, most with an outline
    assert districts["iou"].median() >= quality.DISTRICT_IOU_MEDIAN
    assert districts["iou"].quantile(0.1) >= quality.DISTRICT_IOU_P10
    written = _table(geodata.OLD_DISTRICT_IOU, district_code=str).set_index("district_code")["iou"]
    recomputed = districts.set_index("district_code")["iou"]
    assert set(written.index) == set(recomputed.index)
    assert (written - recomputed.reindex(written.index)).abs().max() <= 1e-9


@pytest.mark.dataset
def test_committed_holdout_meets_the_targets(old_communes, manifest):
    """The whole hold-out's figures, read from old/holdout_iou.csv (test_holdout_recomputed_on_a_sample
    recomputes its communes and a sample of its IoUs): count, codes, median and share against the targets."""
    holdout = _table(geodata.OLD_HOLDOUT, old_code=str)
    assert len(holdout) == manifest["geometry"]["holdout_communes"] > 1000
    assert holdout["old_code"].isin(old_communes["code"]).all()
    assert holdout["iou"].median() >= quality.HOLDOUT_IOU_MEDIAN
    assert (holdout["iou"] >= 0.5).mean() >= quality.HOLDOUT_SHARE_OVER_HALF


# The hold-out sample: this many held-out communes drawn with this seed (rebuilt with every new commune
# they share a crosswalk component with: ~200 held-out communes scored, ~20 s). The drawn communes' median
# and share of IoU ≥ 0.5 may fall this far below the targets of the whole hold-out: of 5,000 draws of 100
# from the committed IoUs (median 0.894, 90.5 % ≥ 0.5), 0.1 % have a median under 0.83 or a share under 0.81.
HOLDOUT_SAMPLE = 100
HOLDOUT_SAMPLE_SEED = 21
HOLDOUT_SAMPLE_SLACK = 0.05


def _component(pairs: pd.DataFrame, new_codes: set[str]) -> set[str]:
    """``new_codes`` and every new commune linked to them through shared old units (crosswalk pairs)."""
    while True:
        olds = pairs.loc[pairs["new_code"].isin(new_codes), "old_code"]
        more = set(pairs.loc[pairs["old_code"].isin(olds), "new_code"])
        if more <= new_codes:
            return new_codes
        new_codes |= more


@pytest.mark.dataset
@needs_sources
def test_holdout_recomputed_on_a_sample(crosswalk):
    """A seeded sample of the hold-out rebuilt from the sources as lib.assemble.oldlayers.build_old_layers
    does (the full partition, then the partition with the held-out 2009 shapes hidden, reusing the first),
    scored with quality.holdout_scores: the same communes and IoUs as old/holdout_iou.csv, and figures near
    the targets. The rebuild is run on whole crosswalk components (old communes split between new communes
    are tidied across them), so each new commune comes out as in the whole build."""
    from lib.assemble import sources
    from lib.assemble.census import census_areas, locate_unmatched, match_census, read_census_2009
    from lib.assemble.dataset import district_outlines
    from lib.assemble.oldcommunes import Inputs, points_from_table, rebuild_pieces, summarise_units
    from lib.assemble.oldlayers import holdout_codes

    old_communes = sources.read_old_communes(SOURCES)
    census = read_census_2009(SOURCES)
    matches = match_census(old_communes, census)
    census_shapes = dict(zip(matches["old_code"], census.geometry.loc[matches["census_index"]].to_numpy(), strict=True))
    points = points_from_table(sources.read_commune_points(SOURCES))
    located = locate_unmatched(census, matches, list(old_communes["code"]), points)
    outlines, _notes = district_outlines(SOURCES, sources.read_old_districts(SOURCES))
    inputs = Inputs(
        sources.read_new_communes(SOURCES)[["code", "geometry"]],
        crosswalk,  # the committed pairs (the crosswalk's own tests check them); its area columns are unused
        points,
        dict(zip(outlines["code"], outlines.geometry.to_numpy(), strict=True)),
        census_shapes,
        {**census_areas(census_shapes), **census_areas(located)},
        located,
    )
    held = holdout_codes(list(census_shapes))
    written = _table(geodata.OLD_HOLDOUT, old_code=str)
    assert set(written["old_code"]) == held  # the whole hold-out: the same communes as the build's draw

    rng = np.random.default_rng(HOLDOUT_SAMPLE_SEED)
    sample = set(rng.choice(sorted(held), size=HOLDOUT_SAMPLE, replace=False).tolist())
    pairs = crosswalk[["old_code", "new_code"]].drop_duplicates()
    region = _component(pairs, set(pairs.loc[pairs["old_code"].isin(sample), "new_code"]))
    cache: dict = {}
    pieces = rebuild_pieces(inputs, only_new=region, district_cache=cache)
    touched = set(pieces.loc[pieces["old_code"].isin(held), "new_code"])
    held_pieces = rebuild_pieces(inputs, holdout=held, only_new=touched, district_cache=cache, previous=pieces)
    units = summarise_units(held_pieces)
    scores = quality.holdout_scores(units[units["old_code"].isin(held)], census_shapes, set(held))

    assert sample <= set(scores["old_code"]) and scores["old_code"].is_unique
    expected = written.set_index("old_code").reindex(scores["old_code"])
    assert scores["method"].tolist() == expected["method"].tolist()
    assert np.abs(scores["iou"].to_numpy() - expected["iou"].to_numpy()).max() <= 1e-6
    drawn = scores.loc[scores["old_code"].isin(sample), "iou"]  # a fair draw (the others cluster)
    assert drawn.median() >= quality.HOLDOUT_IOU_MEDIAN - HOLDOUT_SAMPLE_SLACK
    assert (drawn >= 0.5).mean() >= quality.HOLDOUT_SHARE_OVER_HALF - HOLDOUT_SAMPLE_SLACK


@pytest.mark.dataset
@needs_sources
def test_committed_points_inside_meet_the_target(old_communes):
    """Every old commune's geocoded point (the sources) against its drawn polygon (recomputed with
    quality.points_inside); old/points_outside.csv lists the full-resolution misses, nearly the same ones."""
    from lib.assemble import sources
    from lib.assemble.oldcommunes import points_from_table

    points = points_from_table(sources.read_commune_points(SOURCES))
    inside = quality.points_inside(old_communes[["code", "geometry"]].rename(columns={"code": "old_code"}), points)
    assert len(inside) == len(old_communes)  # every old commune has a point
    assert inside["inside"].mean() >= quality.POINTS_INSIDE_MIN
    outside = _table(geodata.OLD_POINTS_OUTSIDE, old_code=str)
    assert outside["old_code"].is_unique and outside["old_code"].isin(old_communes["code"]).all()
    assert (outside["distance_m"] >= 0).all()  # metres, rounded: a point just outside shows 0
    assert len(set(outside["old_code"]) ^ set(inside.loc[~inside["inside"], "old_code"])) <= DISPLAY_POINTS_SLACK


@pytest.mark.dataset
def test_committed_one_to_one_cases_equal_their_new_commune(old_communes, crosswalk):
    new = geodata.load_new_communes()
    equal = quality.one_to_one_equal(
        crosswalk,
        dict(zip(old_communes["code"], old_communes.geometry.to_numpy(), strict=True)),
        dict(zip(new["code"], new.geometry.to_numpy(), strict=True)),
    )
    assert len(equal) > 0
    assert equal["equal"].all(), equal.loc[~equal["equal"], "old_code"].tolist()[:10]


@pytest.mark.dataset
def test_committed_old_communes_have_no_placeholders_and_known_methods(old_communes):
    from lib.assemble.oldcommunes import METHODS

    assert set(old_communes["method"]) <= set(METHODS)
    assert "fallback" not in set(old_communes["method"])


@pytest.mark.dataset
def test_committed_holdout_meets_the_issue14_targets_overall_and_for_points():
    holdout = _table(geodata.OLD_HOLDOUT, old_code=str)
    for frame in (holdout, holdout[holdout["method"].eq("points")]):
        assert len(frame) > 1000
        assert frame["iou"].median() >= quality.HOLDOUT_IOU_MEDIAN_14
        assert (frame["iou"] >= 0.5).mean() >= quality.HOLDOUT_SHARE_OVER_HALF_14


@pytest.mark.dataset
def test_committed_far_parts_are_all_declared_exclaves(old_communes, old_districts, crosswalk):
    """Every far part of a drawn old unit (recomputed with quality.part_checks) belongs to a unit that
    old/exclaves.csv lists with a reason; the file lists only far parts of known units."""
    parts = quality.part_checks(_old_units(old_communes, old_districts, crosswalk))
    far = parts[parts["distance_m"] > quality.FAR_PART_M]
    exclaves = _table(geodata.OLD_EXCLAVES, old_code=str)
    assert len(far) > 0 and set(far["old_code"]) <= set(exclaves["old_code"])
    assert exclaves["old_code"].isin(set(old_communes["code"]) | set(old_districts["code"])).all()
    assert exclaves["old_code"].isin(old_communes["code"]).mean() > 0.9
    assert (exclaves["distance_m"] > quality.FAR_PART_M).all()
    assert set(exclaves["reason"]) <= set(quality.FAR_REASONS)
