"""The old-commune partition on hand-made squares and points, and the committed old layer."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from lib.build.census import match_census
from lib.build.oldcommunes import (
    Inputs,
    display_pieces,
    display_units,
    fill_crosswalk_areas,
    rebuild_pieces,
    summarise_units,
)
from lib.build.partition import Seed, clean_parts, partition_region, power_cells, split_by_cells
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
