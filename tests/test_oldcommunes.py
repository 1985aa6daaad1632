"""The old-commune partition on hand-made squares and points, and the committed old layer."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from lib.assemble.census import match_census
from lib.assemble.oldcommunes import (
    Inputs,
    _tidy_split_communes,
    fill_crosswalk_areas,
    rebuild_pieces,
    summarise_units,
)
from lib.assemble.olddisplay import _display_slivers_to_neighbours, display_pieces, display_units
from lib.assemble.partition import Seed, clean_parts, partition_region, power_cells, split_by_cells
from lib.data import geodata


def _tiles(region, pieces: dict) -> None:
    """The pieces add up to the region and do not overlap."""
    geoms = [g for g in pieces.values()]
    assert sum(g.area for g in geoms) == pytest.approx(region.area, rel=1e-9)
    assert shapely.union_all(geoms).area == pytest.approx(region.area, rel=1e-9)
    assert all(g.is_valid and not g.is_empty for g in geoms)


# --- one level -----------------------------------------------------------------------------


def test_two_points_split_a_rectangle_at_their_bisector():
    region = box(0, 0, 2, 1)
    result = partition_region(region, {"A": Seed(point=Point(0.5, 0.5)), "B": Seed(point=Point(1.5, 0.5))})
    _tiles(region, result.pieces)
    assert result.pieces["A"].equals(box(0, 0, 1, 1))
    assert result.pieces["B"].area == pytest.approx(1.0)
    assert not result.fallback


def test_polygon_seed_is_kept_and_the_hole_goes_to_the_point_inside_it():
    region = box(0, 0, 2, 1)
    seeds = {"A": Seed(polygon=box(-1, 0, 0.5, 1), point=Point(0.2, 0.5)), "B": Seed(point=Point(1.9, 0.5))}
    result = partition_region(region, seeds)
    _tiles(region, result.pieces)
    # A keeps its core (clipped to the region); the rest, which holds B's point, is B's.
    assert result.pieces["A"].area == pytest.approx(0.5)
    assert result.cores["A"].area == pytest.approx(0.5)
    assert result.pieces["B"].area == pytest.approx(1.5)


def test_polygon_seed_holding_another_owners_point_is_shared():
    region = box(0, 0, 2, 1)
    seeds = {"A": Seed(polygon=box(0, 0, 2, 1), point=Point(0.5, 0.5)), "B": Seed(point=Point(1.5, 0.5))}
    result = partition_region(region, seeds)
    _tiles(region, result.pieces)
    assert result.pieces["A"].area == pytest.approx(1.0)
    assert result.pieces["B"].area == pytest.approx(1.0)


def test_owner_without_any_seed_gets_a_fallback_piece():
    region = box(0, 0, 2, 1)
    seeds = {"A": Seed(point=Point(0.5, 0.5)), "B": Seed(point=Point(1.5, 0.5)), "C": Seed()}
    result = partition_region(region, seeds)
    _tiles(region, result.pieces)
    assert result.fallback == {"C"}
    assert result.pieces["C"].area > 0


def test_duplicate_points_both_get_area():
    region = box(0, 0, 2, 1)
    seeds = {"A": Seed(point=Point(1, 0.5)), "B": Seed(point=Point(1, 0.5)), "C": Seed(point=Point(1.8, 0.5))}
    result = partition_region(region, seeds)
    _tiles(region, result.pieces)
    assert result.pieces["A"].area > 0.01 and result.pieces["B"].area > 0.01


def test_point_outside_the_region_still_gets_the_side_nearest_to_it():
    region = box(0, 0, 2, 1)
    seeds = {"A": Seed(point=Point(0.5, 0.5)), "B": Seed(point=Point(5, 0.5))}
    result = partition_region(region, seeds)
    _tiles(region, result.pieces)
    assert result.pieces["B"].centroid.x > result.pieces["A"].centroid.x


def test_point_outside_and_buried_neighbour_core_falls_back_at_the_nearest_edge():
    region = box(0, 0, 2, 1)
    seeds = {"A": Seed(polygon=box(0, 0, 2, 1), point=Point(1, 0.5)), "B": Seed(point=Point(5, 0.5))}
    result = partition_region(region, seeds)
    _tiles(region, result.pieces)
    assert "B" in result.fallback
    assert result.pieces["B"].intersects(shapely.LineString([(2, 0), (2, 1)]))


def test_two_points_with_census_areas_split_a_gap_in_proportion():
    region = box(0, 0, 2, 1)
    seeds = {"A": Seed(point=Point(0.5, 0.5), target=1.5), "B": Seed(point=Point(1.5, 0.5), target=0.5)}
    result = partition_region(region, seeds)
    _tiles(region, result.pieces)
    assert result.pieces["A"].area == pytest.approx(1.5, rel=0.05)
    assert result.pieces["A"].contains(Point(0.5, 0.5)) and result.pieces["B"].contains(Point(1.5, 0.5))


def test_power_cells_tile_the_box_and_weights_move_the_line():
    xy = np.array([[0.5, 0.5], [1.5, 0.5], [1.0, 2.0]])
    region = box(0, 0, 2, 3)
    plain = power_cells(xy, np.zeros(3), region)
    weighted = power_cells(xy, np.array([0.5, 0.0, 0.0]), region)
    total = sum(c.intersection(region).area for c in weighted.values())
    assert total == pytest.approx(region.area)
    assert weighted[0].intersection(region).area > plain[0].intersection(region).area


def test_a_gap_far_larger_than_the_census_area_is_trimmed_around_the_point():
    region = box(0, 0, 4, 1)
    seeds = {"A": Seed(polygon=box(3, 0, 4, 1), point=Point(3.5, 0.5)), "B": Seed(point=Point(0.5, 0.5), target=1.0)}
    result = partition_region(region, seeds)
    _tiles(region, result.pieces)
    assert "B" in result.capped
    assert result.pieces["B"].contains(Point(0.5, 0.5))
    assert 1.0 <= result.pieces["B"].area < 3.0


def test_owner_with_its_point_outside_takes_the_free_gap():
    region = box(0, 0, 2, 1)
    seeds = {"A": Seed(polygon=box(0, 0, 1, 1), point=Point(0.5, 0.5)), "B": Seed(point=Point(5, 0.5))}
    result = partition_region(region, seeds)
    _tiles(region, result.pieces)
    assert result.holes == {"B"} and not result.fallback
    assert result.pieces["B"].area == pytest.approx(1.0)


def test_estimated_cell_is_sized_to_the_census_area():
    region = box(0, 0, 2, 1)
    seeds = {"A": Seed(polygon=box(0, 0, 2, 1), point=Point(1, 0.5)), "B": Seed(point=Point(5, 0.5), target=0.4)}
    result = partition_region(region, seeds)
    _tiles(region, result.pieces)
    assert result.fallback == {"B"}
    assert result.pieces["B"].area == pytest.approx(0.4, rel=0.1)


def test_clean_parts_moves_slivers_and_far_parts_but_keeps_islands():
    body_a, body_b = box(0, 0, 1, 1), box(1, 0, 2, 1)
    sliver = box(1.5, 0.9995, 1.5005, 1)  # A's speck inside B's square
    far = box(1.9, 0, 2, 0.1)  # A's part in B's far corner
    island = box(5, 5, 5.1, 5.1)  # touches no other piece
    pieces = {
        "A": shapely.union_all([body_a, sliver, far, island]),
        "B": body_b.difference(sliver).difference(far),
    }
    cleaned = clean_parts(pieces, min_area=1e-6, far=0.5)
    assert cleaned["B"].covers(far) and cleaned["B"].covers(sliver)
    assert cleaned["A"].covers(island) and cleaned["A"].area == pytest.approx(1 + island.area)
    assert sum(g.area for g in cleaned.values()) == pytest.approx(sum(g.area for g in pieces.values()))


def test_clean_parts_finds_the_parts_again_after_each_move():
    # A's speck lies inside B's sliver, which lies inside C: the speck goes to B, then B's
    # sliver (speck included) to C. A stale list of parts would leave the speck in B.
    outer = box(0.99, 0.39, 1.011, 0.51)
    speck = box(1.0, 0.4, 1.001, 0.5)
    pieces = {
        "A": shapely.union_all([box(-1, 0, 0, 1), speck]),
        "B": shapely.union_all([box(3, 0, 4, 1), outer.difference(speck)]),
        "C": box(0, 0, 3, 1).difference(outer),
    }
    cleaned = clean_parts(pieces, min_area=0.01, far=10)
    assert all(shapely.get_num_geometries(g) == 1 for g in cleaned.values())
    assert cleaned["C"].covers(outer)
    assert sum(g.area for g in cleaned.values()) == pytest.approx(sum(g.area for g in pieces.values()))


def test_clean_parts_merges_a_sliver_meeting_its_neighbour_only_through_overlay_noise():
    # B's sliver lies against C's edge, 1e-12° off: the exact intersection is empty, yet it is C's neighbour.
    sliver = box(1.0, 0.4, 1.001 - 1e-12, 0.5)
    pieces = {"B": shapely.union_all([box(3, 0, 4, 1), sliver]), "C": box(1.001, 0, 3, 1)}
    assert shapely.length(shapely.intersection(sliver.boundary, pieces["C"])) == 0
    cleaned = clean_parts(pieces, min_area=0.01, far=10)
    assert cleaned["B"].equals(box(3, 0, 4, 1))
    assert shapely.get_num_geometries(cleaned["C"]) == 1
    assert cleaned["C"].area == pytest.approx(pieces["C"].area + sliver.area)


def test_clean_parts_rejoins_a_sliver_split_from_its_own_piece_by_overlay_noise():
    body, sliver = box(0, 0, 1, 1), box(1 + 1e-12, 0.4, 1.001, 0.5)
    pieces = {"A": shapely.union_all([body, sliver]), "B": box(5, 0, 6, 1)}
    assert shapely.get_num_geometries(pieces["A"]) == 2
    cleaned = clean_parts(pieces, min_area=0.01, far=10)
    assert shapely.get_num_geometries(cleaned["A"]) == 1
    assert cleaned["A"].area == pytest.approx(pieces["A"].area)
    assert cleaned["B"].equals(pieces["B"])


def test_split_by_cells_parts_add_up():
    whole = box(0, 0, 2, 1)
    parts, regridded = split_by_cells(whole, {0: box(-5, -5, 1, 5), 1: box(1, -5, 5, 5)})
    assert parts[0].area + parts[1].area == pytest.approx(2.0)
    assert regridded is False


# --- whole build on a tiny country ----------------------------------------------------------


def _country(*, districts: dict | None = None) -> Inputs:
    # N1 = [0,2]×[0,1] from A and B (district 001) and D (district 002); N2 = [2,4]×[0,1] from
    # B (split) and C; N3 = [0,1]×[1,2] from E alone.
    new = gpd.GeoDataFrame(
        {"code": ["10001", "10002", "10003"]},
        geometry=[box(0, 0, 2, 1), box(2, 0, 4, 1), box(0, 1, 1, 2)],
        crs="EPSG:4326",
    )
    members = pd.DataFrame(
        {
            "old_code": ["00001", "00002", "00004", "00002", "00003", "00005"],
            "old_level": "commune",
            "new_code": ["10001", "10001", "10001", "10002", "10002", "10003"],
            "old_district_code": ["001", "001", "002", "001", "001", "001"],
        }
    )
    points = {
        "00001": Point(0.3, 0.3),
        "00002": Point(1.2, 0.5),
        "00003": Point(3.5, 0.5),
        "00004": Point(0.5, 0.8),
        "00005": Point(0.5, 1.5),
    }
    if districts is None:
        districts = {"001": box(0, 0, 4, 0.6).union(box(0, 1, 1, 2)), "002": box(0, 0.6, 2, 1)}
    return Inputs(new, members, points, districts, census={"00003": box(3, 0, 4, 1)})


def test_rebuild_tiles_every_new_commune_and_unions_the_split_commune():
    inputs = _country()
    pieces = rebuild_pieces(inputs)
    for code, geom in zip(inputs.new_communes["code"], inputs.new_communes.geometry, strict=True):
        _tiles(geom, dict(enumerate(pieces.loc[pieces["new_code"].eq(code), "geometry"])))
    units = summarise_units(pieces)
    split = units.set_index("old_code").loc["00002"]
    assert split["pieces"] == 2
    assert split["geometry"].area == pytest.approx(
        shapely.area(pieces.loc[pieces["old_code"].eq("00002"), "geometry"].to_numpy()).sum()
    )
    # The 2009 shape of C (clipped to N2) is kept as C's core; confidence is the core's share.
    c = units.set_index("old_code").loc["00003"]
    assert c["method"] == "census2009"
    assert c["geometry"].buffer(1e-9).covers(box(3, 0, 4, 1))
    assert c["confidence"] == pytest.approx(1.0 / c["geometry"].area, abs=1e-3)
    # District 002 (D) is cut along its outline inside N1.
    d = units.set_index("old_code").loc["00004"]["geometry"]
    assert d.equals(box(0, 0.6, 2, 1)) or shapely.equals_exact(
        shapely.normalize(d), shapely.normalize(box(0, 0.6, 2, 1)), 1e-12
    )


def test_one_to_one_commune_is_exact():
    inputs = _country()
    units = summarise_units(rebuild_pieces(inputs)).set_index("old_code")
    assert units.loc["00005", "method"] == "exact"
    assert units.loc["00005", "confidence"] == 1.0
    assert units.loc["00005", "geometry"].equals(box(0, 1, 1, 2))


def test_missing_district_outline_falls_back_to_points():
    inputs = _country(districts={"001": box(0, 0, 4, 0.6)})  # no outline for 002
    pieces = rebuild_pieces(inputs)
    n1 = pieces[pieces["new_code"].eq("10001")]
    _tiles(box(0, 0, 2, 1), dict(enumerate(n1["geometry"])))
    assert n1.set_index("old_code").loc["00004", "geometry"].contains(Point(0.5, 0.8))


def test_old_commune_with_no_point_is_placed_and_flagged():
    inputs = _country()
    del inputs.points["00001"]
    units = summarise_units(rebuild_pieces(inputs)).set_index("old_code")
    assert units.loc["00001", "method"] == "estimated"
    assert units.loc["00001", "geometry"].area > 0


def test_new_commune_without_polygon_is_an_error():
    inputs = _country()
    inputs.new_communes = inputs.new_communes[inputs.new_communes["code"].ne("10003")]
    with pytest.raises(ValueError, match="10003"):
        rebuild_pieces(inputs)


def test_holdout_ignores_the_2009_shape():
    inputs = _country()
    units = summarise_units(rebuild_pieces(inputs, holdout=frozenset({"00003"}))).set_index("old_code")
    assert units.loc["00003", "method"] == "points"
    assert units.loc["00003", "confidence"] == 0.0


def test_district_outline_yields_to_the_2009_shape_of_a_commune_moved_since():
    # District 002's outline (drawn before a transfer) covers the top of A's 2009 shape; A is in 001 now.
    inputs = _country()
    inputs.points["00004"] = Point(1.5, 0.8)
    inputs.census["00001"] = box(0, 0, 1, 1)
    cache: dict = {}
    units = summarise_units(rebuild_pieces(inputs, district_cache=cache)).set_index("old_code")
    assert units.loc["00001", "geometry"].buffer(1e-9).covers(box(0, 0, 1, 1))
    assert units.loc["00004", "geometry"].area == pytest.approx(0.4)
    # With A's shape held out, the outline alone decides again, and the cached cut is not reused.
    held = summarise_units(rebuild_pieces(inputs, holdout=frozenset({"00001"}), district_cache=cache))
    assert held.set_index("old_code").loc["00004", "geometry"].area == pytest.approx(0.8)


def _split_rows(stray_piece):
    # N1 = [0, .02] x [0, .01]: B, then A's body (touching N2); N2 = [.02, .06] x [0, .01]: C and A's stray piece.
    n2 = box(0.02, 0, 0.06, 0.01)
    return [
        {"old_code": "B", "new_code": "N1", "geometry": box(0, 0, 0.01, 0.01)},
        {"old_code": "A", "new_code": "N1", "geometry": box(0.01, 0, 0.02, 0.01)},
        {"old_code": "C", "new_code": "N2", "geometry": n2.difference(stray_piece)},
        {"old_code": "A", "new_code": "N2", "geometry": stray_piece},
    ]


def _empty_inputs(census=None) -> Inputs:
    return Inputs(gpd.GeoDataFrame(geometry=[]), pd.DataFrame(), {}, {}, census=census or {})


def test_a_stray_whole_piece_of_a_split_commune_moves_next_to_its_body_with_its_area():
    stray = box(0.055, 0, 0.06, 0.01)  # 0.035° from A's body, the pair's only area in N2
    rows = _split_rows(stray)
    _tidy_split_communes(rows, _empty_inputs(), frozenset())
    a_n2, c = rows[3]["geometry"], rows[2]["geometry"]
    _tiles(box(0.02, 0, 0.06, 0.01), {"A": a_n2, "C": c})
    assert a_n2.area == pytest.approx(stray.area, rel=1e-3)
    assert a_n2.intersection(box(0.02, 0, 0.03, 0.01)).area == pytest.approx(a_n2.area)  # next to the body
    assert shapely.get_num_geometries(shapely.union_all([rows[1]["geometry"], a_n2])) == 1
    assert c.covers(stray)


def test_a_stray_part_goes_to_the_neighbour_and_the_pair_keeps_its_near_part():
    near, far = box(0.02, 0, 0.025, 0.01), box(0.055, 0, 0.06, 0.01)
    rows = _split_rows(near.union(far))
    _tidy_split_communes(rows, _empty_inputs(), frozenset())
    assert rows[3]["geometry"].equals(near)
    assert rows[2]["geometry"].covers(far)


def test_a_stray_part_covered_by_the_2009_shape_stays():
    far = box(0.055, 0, 0.06, 0.01)
    rows = _split_rows(far)
    _tidy_split_communes(rows, _empty_inputs({"A": box(0.01, 0, 0.02, 0.01).union(far)}), frozenset())
    assert rows[3]["geometry"].equals(far)
    # ...unless that shape is held out.
    rows = _split_rows(far)
    _tidy_split_communes(rows, _empty_inputs({"A": box(0.01, 0, 0.02, 0.01).union(far)}), frozenset({"A"}))
    assert not rows[3]["geometry"].intersects(far.buffer(-1e-6))


def test_a_display_sliver_cut_off_from_its_split_commune_goes_to_its_neighbour_but_a_joined_one_stays():
    pieces = pd.DataFrame({"old_code": ["A", "A", "C"], "new_code": ["N1", "N2", "N2"]})
    body = box(0, 0, 1, 1)
    for sliver, moved in ((box(2, 0, 2.0005, 0.001), True), (box(1, 0, 1.0005, 0.001), False)):
        c = box(sliver.bounds[0], 0, 3, 1).difference(sliver)
        out = np.array([body, sliver, c], dtype=object)
        _display_slivers_to_neighbours(pieces, out)
        assert out[1].is_empty is moved
        assert out[2].covers(sliver) is moved
        assert out[1].area + out[2].area == pytest.approx(c.area + sliver.area)


# --- shares ---------------------------------------------------------------------------------


def _crosswalk(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(pairs, columns=["old_code", "new_code"])
    frame["old_name"] = "x"
    for column in ("area_km2", "share_of_old", "share_of_new"):
        frame[column] = np.nan
    return frame


def test_shares_add_up_per_old_and_per_new_commune():
    pieces = pd.DataFrame(
        {
            "old_code": ["A", "B", "B", "C"],
            "new_code": ["N1", "N1", "N2", "N2"],
            "area_km2": [1.0, 3.0, 1.0, 4.0],
            "geometry": None,
        }
    )
    out = fill_crosswalk_areas(_crosswalk([("A", "N1"), ("B", "N1"), ("B", "N2"), ("C", "N2")]), pieces)
    out = out.set_index(["old_code", "new_code"])
    assert out.loc[("B", "N1"), "area_km2"] == 3.0
    assert out.loc[("B", "N1"), "share_of_old"] == pytest.approx(0.75)
    assert out.loc[("B", "N2"), "share_of_new"] == pytest.approx(0.2)
    assert out.groupby("old_code")["share_of_old"].sum().tolist() == pytest.approx([1, 1, 1])
    assert out.groupby("new_code")["share_of_new"].sum().tolist() == pytest.approx([1, 1])


def test_pair_without_a_piece_is_an_error():
    pieces = pd.DataFrame({"old_code": ["A"], "new_code": ["N1"], "area_km2": [1.0], "geometry": None})
    with pytest.raises(ValueError, match="without a rebuilt piece"):
        fill_crosswalk_areas(_crosswalk([("A", "N1"), ("B", "N1")]), pieces)


# --- display --------------------------------------------------------------------------------


def test_display_pieces_tile_the_simplified_commune_and_keep_one_to_one_exact():
    inputs = _country()
    pieces = rebuild_pieces(inputs)
    # A "simplified" outline of N1 that bulges beyond the full-resolution one.
    outline_n1 = shapely.Polygon([(0, 0), (2, 0), (2.0, 1), (1, 1.05), (0, 1)])
    display = {"10001": outline_n1, "10002": box(2, 0, 4, 1), "10003": box(0, 1, 1, 2)}
    shown = display_pieces(pieces, display)
    n1 = shown[pieces["new_code"].eq("10001").to_numpy()]
    assert sum(g.area for g in n1) == pytest.approx(outline_n1.area, rel=1e-6)
    assert shapely.union_all(n1).symmetric_difference(outline_n1).area < 1e-9
    units = display_units(pieces, shown)
    assert units["00005"].equals(shapely.MultiPolygon([box(0, 1, 1, 2)]))


# --- 2009 matching --------------------------------------------------------------------------


def test_census_match_requires_a_unique_name():
    old = pd.DataFrame(
        {
            "code": ["1", "2", "3"],
            "name": ["Xã An Bình", "Xã Tân Hòa", "Xã Tân Hòa"],
            "district_name": ["Huyện X", "Huyện X", "Huyện X"],
            "province_name": ["Tỉnh Y"] * 3,
        }
    )
    census = pd.DataFrame(
        {
            "province_key": ["y", "y", "y"],
            "district_key": ["x", "x", "z"],
            "commune_key": ["an binh", "tan hoa", "tan hoa"],
        },
        index=[10, 11, 12],
    )
    matched = match_census(old, census)
    assert matched.to_dict("records") == [{"old_code": "1", "census_index": 10}]


# --- the committed layer --------------------------------------------------------------------


@pytest.mark.dataset
def test_committed_old_communes_are_complete_and_labelled():
    gdf = geodata.load_layer("old_communes")
    assert len(gdf) == 10035 and gdf["code"].is_unique
    assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
    assert set(gdf["method"]) <= {"exact", "census2009", "located2009", "points", "gap", "estimated"}
    assert gdf["confidence"].between(0, 1).all()
    assert gdf["reconstructed"].astype(bool).all()


@pytest.mark.dataset
def test_committed_crosswalk_shares_add_up():
    cw = geodata.load_crosswalk()
    assert cw["area_km2"].notna().all()
    # Every pair the crosswalk lists keeps some area: cleaning moves stray parts, never a pair's only piece.
    assert (cw["area_km2"] > 0).all(), cw.loc[cw["area_km2"].le(0), ["old_code", "new_code"]].head().to_dict("records")
    assert np.allclose(cw.groupby("old_code")["share_of_old"].sum(), 1, atol=1e-6)
    assert np.allclose(cw.groupby("new_code")["share_of_new"].sum(), 1, atol=1e-6)


def test_holdout_rerun_reusing_earlier_pieces_matches_a_fresh_run():
    inputs = _country()
    first = rebuild_pieces(inputs, district_cache=(cache := {}))
    fresh = rebuild_pieces(inputs, holdout=frozenset({"00003"}))
    reused = rebuild_pieces(inputs, holdout=frozenset({"00003"}), district_cache=cache, previous=first)
    key = ["new_code", "old_code"]
    fresh, reused = fresh.sort_values(key, ignore_index=True), reused.sort_values(key, ignore_index=True)
    assert fresh[key].equals(reused[key])
    assert all(a.equals(b) for a, b in zip(fresh["geometry"], reused["geometry"], strict=True))
