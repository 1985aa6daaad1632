"""Quality figures of the old-commune layer, on hand-made squares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Point, box

from lib import geodata, quality


def test_iou_of_half_overlapping_squares():
    a = np.array([box(0, 0, 2, 1), box(0, 0, 1, 1)], dtype=object)
    b = np.array([box(1, 0, 3, 1), box(5, 5, 6, 6)], dtype=object)
    assert quality.iou(a, b).tolist() == pytest.approx([1 / 3, 0.0])


def test_tiling_measures_gaps_and_overlaps():
    pieces = pd.DataFrame({
        "new_code": ["N1", "N1", "N2", "N2"],
        "geometry": [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(2.5, 0, 4, 1)],
    })
    tiles = quality.tiling(pieces, {"N1": box(0, 0, 2, 1), "N2": box(2, 0, 4, 1)}).set_index("new_code")
    assert tiles.loc["N1", "sum_rel_diff"] == pytest.approx(0.0)
    assert tiles.loc["N1", "overlap_share"] == pytest.approx(0.0)
    assert tiles.loc["N2", "sum_rel_diff"] == pytest.approx(0.25)  # 2.5 of pieces for 2 of commune
    assert tiles.loc["N2", "overlap_share"] == pytest.approx(0.25)


def test_district_iou_unions_the_communes_of_each_district():
    units = pd.DataFrame({"old_code": ["a", "b", "c"],
                          "geometry": [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)]})
    result = quality.district_iou(units, {"a": "001", "b": "001", "c": "002"},
                                  {"001": box(0, 0, 2, 1), "002": box(2, 0, 4, 1)}).set_index("district_code")
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
    tiles = pd.DataFrame({"new_code": ["N1"], "pieces": [2], "area": [1.0], "sum_rel_diff": [0.0],
                          "overlap_share": [0.0]})
    districts = pd.DataFrame({"district_code": ["001", "002"], "iou": [0.99, 0.5],
                              "rebuilt_km2": [1.0, 2.0], "outline_km2": [1.0, 1.0]})
    inside = pd.DataFrame({"old_code": ["a"], "inside": [True], "distance_m": [0.0]})
    equal = pd.DataFrame({"old_code": ["a"], "new_code": ["N1"], "equal": [True]})
    holdout = pd.DataFrame({"old_code": ["a", "b"], "method": ["points", "points"], "iou": [0.9, 0.95]})
    report = quality.summarise(units_count=1, invalid=0, tiles=tiles, districts=districts, holdout=holdout,
                               inside=inside, equal=equal, expected_units=1)
    assert not report.ok  # the district 10th percentile is far below 0.91
    assert "[FAIL]" in report.render() and "worst: 002" in report.render()
    good = districts.assign(iou=[0.99, 0.98])
    assert quality.summarise(units_count=1, invalid=0, tiles=tiles, districts=good, holdout=holdout,
                             inside=inside, equal=equal, expected_units=1).ok


@pytest.mark.dataset
def test_committed_quality_report_meets_the_targets():
    text = (geodata.DEFAULT_DIR / geodata.OLD_QUALITY).read_text(encoding="utf-8")
    assert "[FAIL]" not in text
    assert "hold-out" in text and "1:1 cases" in text
